/*
 * digest.c: SHA-256 and MD5 (digest.h says why not EVP).
 *
 * Load: the integrity checks hash every watched file (gigabytes at a
 * baseline), the scanner every file it scans, the network sensor a few
 * bytes per TLS handshake; the cost is OpenSSL's block function's.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* digest.h: on purpose, here only */

#include <stdlib.h>

/* OpenSSL's types.h has a typedef ERR_STATE, the name of one of our
 * error codes: hide it under another name. */
#define ERR_STATE	openssl_ERR_STATE
#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#undef ERR_STATE

#include "digest.h"
#include "err.h"

struct digest_sha256 {
	SHA256_CTX	c;
};

int
digest_openssl_init(void)
{
	return OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) == 1 ?
	    0 : ERR_IO;
}

int
digest_sha256_new(struct digest_sha256 **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return ERR_NOMEM;
	return 0;
}

void
digest_sha256_free(struct digest_sha256 *d)
{
	free(d);
}

int
digest_sha256_init(struct digest_sha256 *d)
{
	return SHA256_Init(&d->c) == 1 ? 0 : ERR_IO;
}

int
digest_sha256_update(struct digest_sha256 *d, const void *p, size_t len)
{
	return SHA256_Update(&d->c, p, len) == 1 ? 0 : ERR_IO;
}

int
digest_sha256_final(uint8_t out[static DIGEST_SHA256_LEN],
    struct digest_sha256 *d)
{
	return SHA256_Final(out, &d->c) == 1 ? 0 : ERR_IO;
}

int
digest_sha256(uint8_t out[static DIGEST_SHA256_LEN], const void *p,
    size_t len)
{
	struct digest_sha256	d;
	int			rc;

	if ((rc = digest_sha256_init(&d)) == 0 &&
	    (rc = digest_sha256_update(&d, p, len)) == 0)
		rc = digest_sha256_final(out, &d);
	return rc;
}

int
digest_md5(uint8_t out[static DIGEST_MD5_LEN], const void *p, size_t len)
{
	MD5_CTX	c;

	if (MD5_Init(&c) != 1 || MD5_Update(&c, p, len) != 1 ||
	    MD5_Final(out, &c) != 1)
		return ERR_IO;
	return 0;
}
