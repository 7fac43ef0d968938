/*
 * test_digest.c: SHA-256 and MD5 (common/digest.c).
 *
 * The published vectors (FIPS 180-2 appendix B, RFC 1321 appendix A.5),
 * and SHA-256 in parts checked against libsodium's, an implementation of
 * its own: random inputs cut at random places, a context reused after
 * final, and the million-'a' vector fed in odd-sized pieces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "digest.h"
#include "err.h"

static void
hex(char *out, const uint8_t *p, size_t len)
{
	sodium_bin2hex(out, len * 2 + 1, p, len);
}

static void
test_sha256_vectors(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
		    "91b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb4"
		    "10ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd4"
		    "19db06c1" },
	};
	uint8_t	md[DIGEST_SHA256_LEN];
	char	h[2 * DIGEST_SHA256_LEN + 1];
	size_t	i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(digest_sha256(md, v[i].in, strlen(v[i].in)),
		    0);
		hex(h, md, sizeof(md));
		assert_string_equal(h, v[i].out);
	}
}

/* A million 'a's in pieces of 1 to 997 bytes, through one context. */
static void
test_sha256_million(void **state)
{
	struct digest_sha256	*d;
	uint8_t			 buf[997], md[DIGEST_SHA256_LEN];
	char			 h[2 * DIGEST_SHA256_LEN + 1];
	size_t			 left = 1000000, n = 1;

	memset(buf, 'a', sizeof(buf));
	assert_int_equal(digest_sha256_new(&d), 0);
	assert_int_equal(digest_sha256_init(d), 0);
	while (left > 0) {
		n = n % sizeof(buf) + 1;
		if (n > left)
			n = left;
		assert_int_equal(digest_sha256_update(d, buf, n), 0);
		left -= n;
		n = n * 7 + 3;
	}
	assert_int_equal(digest_sha256_final(md, d), 0);
	digest_sha256_free(d);
	hex(h, md, sizeof(md));
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a4"
	    "97200e046d39ccc7112cd0");
}

/* Random inputs, cut at random places, against libsodium's SHA-256;
 * the context is reused after each final. */
static void
test_sha256_model(void **state)
{
	struct digest_sha256	*d;
	uint8_t			 in[4096], md[DIGEST_SHA256_LEN];
	uint8_t			 want[crypto_hash_sha256_BYTES];
	size_t			 len, off, n;
	int			 round;

	assert_int_equal(sodium_init() < 0, 0);
	assert_int_equal(digest_sha256_new(&d), 0);
	for (round = 0; round < 200; round++) {
		len = randombytes_uniform(sizeof(in) + 1);
		randombytes_buf(in, len);
		crypto_hash_sha256(want, in, len);
		assert_int_equal(digest_sha256_init(d), 0);
		for (off = 0; off < len; off += n) {
			n = randombytes_uniform((uint32_t)(len - off)) + 1;
			assert_int_equal(digest_sha256_update(d, in + off, n),
			    0);
		}
		assert_int_equal(digest_sha256_final(md, d), 0);
		assert_memory_equal(md, want, sizeof(want));
		assert_int_equal(digest_sha256(md, in, len), 0);
		assert_memory_equal(md, want, sizeof(want));
	}
	digest_sha256_free(d);
	digest_sha256_free(NULL);
}

static void
test_md5_vectors(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "1234567890123456789012345678901234567890123456789012345678"
		    "9012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a" },
	};
	uint8_t	md[DIGEST_MD5_LEN];
	char	h[2 * DIGEST_MD5_LEN + 1];
	size_t	i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(digest_md5(md, v[i].in, strlen(v[i].in)), 0);
		hex(h, md, sizeof(md));
		assert_string_equal(h, v[i].out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_million),
		cmocka_unit_test(test_sha256_model),
		cmocka_unit_test(test_md5_vectors),
	};

	assert_int_equal(digest_openssl_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
