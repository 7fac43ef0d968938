/*
 * test_keys.c: key files, fingerprints and agent ids (common/keys.c).
 *
 * Key files are written and read in a fresh temporary directory (under
 * $VIGIL_TEST_TMP): the round trip, the 0600 mode whatever the umask,
 * refusal of files group or others can read, of symlinks, directories,
 * existing files and malformed content. The X25519 derivation is checked
 * against RFC 7748's test vector, and fingerprints and agent ids against
 * values computed independently (Python's hashlib.blake2b), as well as
 * against crypto_generichash here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "keys.h"
#include "log.h"
#include "testutil.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 7748 section 6.1, Alice. */
#define ALICE_PRIV_B64	"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
static const char	ALICE_PRIV[] = "77076d0a7318a57d3c16c17251b26645"
    "df4c2f87ebc0992ab177fba51db92c2a";
static const char	ALICE_PUB[] = "8520f0098930a754748b7ddcb43ef75a"
    "0dbf3a0d26381af4eba4a98eaa9b4e6a";
/* hashlib.blake2b(pub, digest_size=32).hexdigest() */
static const char	ALICE_FPR[] = "7a91869e4c114964206972403b0a3d81"
    "603f2bd9ff5ced5923f0d234d80818f4";
/* hashlib.blake2b(b"vigil agent id" + pub, digest_size=32)[:8] */
static const char	ALICE_ID[] = "b67eaa6bc399baf7";

/* ---- helpers ---- */

static void
unhex(uint8_t *out, size_t len, const char *hex)
{
	size_t	n;

	assert_int_equal(sodium_hex2bin(out, len, hex, strlen(hex), NULL, &n,
	    NULL), 0);
	assert_int_equal(n, len);
}

static void
write_file(const char *path, const void *p, size_t len, mode_t mode)
{
	assert_int_equal(file_put(path, p, len, mode), 0);
}

static size_t
read_file(const char *path, char *buf, size_t size)
{
	ssize_t	n;

	assert_true((n = file_get(path, buf, size)) >= 0);
	return (size_t)n;
}

/* ---- generation ---- */

static void
test_generate(void **state)
{
	uint8_t	pub[KEY_LEN], priv[KEY_LEN], pub2[KEY_LEN], priv2[KEY_LEN];
	uint8_t	derived[KEY_LEN];

	(void)state;
	assert_int_equal(keys_generate(pub, priv), 0);
	assert_int_equal(crypto_scalarmult_base(derived, priv), 0);
	assert_memory_equal(pub, derived, KEY_LEN);
	assert_int_equal(keys_generate(pub2, priv2), 0);
	assert_memory_not_equal(priv, priv2, KEY_LEN);
	assert_memory_not_equal(pub, pub2, KEY_LEN);
}

/* ---- files ---- */

static void
test_save_load(void **state)
{
	struct tmpfile	*f = *state;
	uint8_t		 pub[KEY_LEN], priv[KEY_LEN];
	uint8_t		 lpub[KEY_LEN], lpriv[KEY_LEN], want[KEY_LEN];
	char		 text[128];
	mode_t		 old;

	unhex(priv, KEY_LEN, ALICE_PRIV);
	/* 0600 even with a umask that would allow more */
	old = umask(0);
	assert_int_equal(keys_save(f->path, priv), 0);
	umask(old);
	assert_int_equal(path_mode(f->path), 0600);
	/* base64 and a newline, nothing else */
	assert_int_equal(read_file(f->path, text, sizeof(text)),
	    strlen(ALICE_PRIV_B64) + 1);
	assert_string_equal(text, ALICE_PRIV_B64 "\n");

	assert_int_equal(keys_load(lpub, lpriv, f->path), 0);
	assert_memory_equal(lpriv, priv, KEY_LEN);
	unhex(want, KEY_LEN, ALICE_PUB);
	assert_memory_equal(lpub, want, KEY_LEN);

	/* a generated key too */
	unlink(f->path);
	assert_int_equal(keys_generate(pub, priv), 0);
	assert_int_equal(keys_save(f->path, priv), 0);
	assert_int_equal(keys_load(lpub, lpriv, f->path), 0);
	assert_memory_equal(lpub, pub, KEY_LEN);
	assert_memory_equal(lpriv, priv, KEY_LEN);
}

static void
test_save_exists(void **state)
{
	struct tmpfile	*f = *state;
	uint8_t		 priv[KEY_LEN], pub[KEY_LEN], lpriv[KEY_LEN];
	char		 text[128];
	char		 other[PATH_MAX];

	write_file(f->path, ALICE_PRIV_B64 "\n", strlen(ALICE_PRIV_B64) + 1,
	    0600);
	assert_int_equal(keys_generate(pub, priv), 0);
	assert_int_equal(keys_save(f->path, priv), ERR_EXISTS);
	/* untouched */
	read_file(f->path, text, sizeof(text));
	assert_string_equal(text, ALICE_PRIV_B64 "\n");
	assert_int_equal(keys_load(pub, lpriv, f->path), 0);
	assert_memory_not_equal(lpriv, priv, KEY_LEN);

	/* also an empty file, and a dangling symlink (not followed) */
	write_file(f->path, "", 0, 0600);
	assert_int_equal(keys_save(f->path, priv), ERR_EXISTS);
	unlink(f->path);
	tmpdir_path(other, sizeof(other), &f->dir, "other");
	assert_int_equal(symlink(other, f->path), 0);
	assert_int_equal(keys_save(f->path, priv), ERR_EXISTS);
	assert_int_equal(access(other, F_OK), -1);

	/* a directory, and a directory that is not there */
	unlink(f->path);
	assert_int_equal(keys_save(f->dir.path, priv), ERR_EXISTS);
	snprintf(text, sizeof(text), "%s", "/nonexistent-vigil-dir/key");
	assert_int_equal(keys_save(text, priv), ERR_IO);
}

static void
test_load_mode(void **state)
{
	static const mode_t	bad[] = { 0644, 0640, 0604, 0660, 0666,
	    0610, 0601, 0602, 0620, 0700 | 0044, 0777 };
	static const mode_t	good[] = { 0600, 0400, 0700, 0200 };
	struct tmpfile		*f = *state;
	uint8_t			 pub[KEY_LEN], priv[KEY_LEN], want[KEY_LEN];
	size_t			 i;

	unhex(want, KEY_LEN, ALICE_PRIV);
	for (i = 0; i < NITEMS(bad); i++) {
		write_file(f->path, ALICE_PRIV_B64 "\n",
		    strlen(ALICE_PRIV_B64) + 1, bad[i]);
		if (keys_load(pub, priv, f->path) != ERR_AUTH)
			fail_msg("mode %03o accepted", (unsigned)bad[i]);
	}
	for (i = 0; i < NITEMS(good); i++) {
		write_file(f->path, ALICE_PRIV_B64 "\n",
		    strlen(ALICE_PRIV_B64) + 1, good[i]);
		memset(priv, 0, sizeof(priv));
		if (getuid() != 0 && (good[i] & 0400) == 0)
			continue;	/* only root reads a 0200 file */
		if (keys_load(pub, priv, f->path) != 0)
			fail_msg("mode %03o refused", (unsigned)good[i]);
		assert_memory_equal(priv, want, KEY_LEN);
	}
}

static void
test_load_not_found(void **state)
{
	struct tmpfile	*f = *state;
	uint8_t		 pub[KEY_LEN], priv[KEY_LEN];
	char		 path[PATH_MAX];

	assert_int_equal(keys_load(pub, priv, f->path), ERR_NOTFOUND);
	snprintf(path, sizeof(path), "%s/no/such/key", f->dir.path);
	assert_int_equal(keys_load(pub, priv, path), ERR_NOTFOUND);
	assert_int_equal(keys_load(pub, priv, ""), ERR_NOTFOUND);
}

static void
test_load_not_regular(void **state)
{
	struct tmpfile	*f = *state;
	uint8_t		 pub[KEY_LEN], priv[KEY_LEN];
	char		 other[PATH_MAX];

	/* a symlink to a good key file is not followed */
	tmpdir_path(other, sizeof(other), &f->dir, "other");
	write_file(other, ALICE_PRIV_B64 "\n", strlen(ALICE_PRIV_B64) + 1,
	    0600);
	assert_int_equal(symlink(other, f->path), 0);
	assert_int_equal(keys_load(pub, priv, f->path), ERR_IO);
	unlink(f->path);
	/* a directory */
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(keys_load(pub, priv, f->path), ERR_IO);
	rmdir(f->path);
	/* a device */
	assert_int_equal(keys_load(pub, priv, "/dev/null"), ERR_IO);
}

static void
test_load_malformed(void **state)
{
	static const char	*bad[] = {
		"",
		"\n",
		"hello\n",
		/* 31 and 33 bytes */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LA==\n",
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp4\n",
		/* no padding; URL-safe alphabet */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo\n",
		"-__7__v_-__7__v_-__7__v_-__7__v_-__7__v_-_8=\n",
		/* around the key */
		" " ALICE_PRIV_B64 "\n",
		ALICE_PRIV_B64 " \n",
		ALICE_PRIV_B64 "\t\n",
		ALICE_PRIV_B64 "\n\n#x\n",
		ALICE_PRIV_B64 "\nextra line\n",
		ALICE_PRIV_B64 ALICE_PRIV_B64 "\n",
		ALICE_PRIV_B64 "\0\n",
		"dwdtCnMYpX08FsFy\nUbJmRd9ML4frwJkqsXf7pR25LCo=\n",
		/* hex is not base64 */
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a\n",
		"PrivateKey = " ALICE_PRIV_B64 "\n",
	};
	struct tmpfile		*f = *state;
	uint8_t			 pub[KEY_LEN], priv[KEY_LEN];
	size_t			 i, len;

	for (i = 0; i < NITEMS(bad); i++) {
		len = strlen(bad[i]);
		if (i == 13)
			len = strlen(ALICE_PRIV_B64) + 2;	/* keep the NUL */
		write_file(f->path, bad[i], len, 0600);
		if (keys_load(pub, priv, f->path) != ERR_MALFORMED)
			fail_msg("malformed case %zu accepted", i);
	}
	/* the newline is optional, and CRLF or extra newlines are fine */
	write_file(f->path, ALICE_PRIV_B64, strlen(ALICE_PRIV_B64), 0600);
	assert_int_equal(keys_load(pub, priv, f->path), 0);
	write_file(f->path, ALICE_PRIV_B64 "\r\n", strlen(ALICE_PRIV_B64) + 2,
	    0600);
	assert_int_equal(keys_load(pub, priv, f->path), 0);
	write_file(f->path, ALICE_PRIV_B64 "\n\n\n",
	    strlen(ALICE_PRIV_B64) + 3, 0600);
	assert_int_equal(keys_load(pub, priv, f->path), 0);
}

/* A key followed by more than newlines, however far away, is not one
 * base64 key. */
static void
test_load_large(void **state)
{
	struct tmpfile	*f = *state;
	uint8_t		 pub[KEY_LEN], priv[KEY_LEN];
	char		*big;
	size_t		 n = 1 << 20;

	assert_non_null(big = malloc(n));
	memset(big, 'A', n);
	memcpy(big, ALICE_PRIV_B64 "\n", strlen(ALICE_PRIV_B64) + 1);
	write_file(f->path, big, n, 0600);
	assert_int_equal(keys_load(pub, priv, f->path), ERR_MALFORMED);
	memset(big, '\n', n);
	memcpy(big, ALICE_PRIV_B64, strlen(ALICE_PRIV_B64));
	memcpy(big + n - 8, "garbage\n", 8);
	write_file(f->path, big, n, 0600);
	assert_int_equal(keys_load(pub, priv, f->path), ERR_MALFORMED);
	memcpy(big + strlen(ALICE_PRIV_B64) + 8, "garbage\n", 8);
	write_file(f->path, big, strlen(ALICE_PRIV_B64) + 16, 0600);
	assert_int_equal(keys_load(pub, priv, f->path), ERR_MALFORMED);
	free(big);
}

static void
test_load_or_create(void **state)
{
	struct tmpfile	*f = *state;
	uint8_t		 pub[KEY_LEN], priv[KEY_LEN];
	uint8_t		 pub2[KEY_LEN], priv2[KEY_LEN], derived[KEY_LEN];
	uint8_t		 zero[KEY_LEN] = { 0 };
	char		 text[128];
	mode_t		 old;

	old = umask(0);
	assert_int_equal(keys_load_or_create(pub, priv, f->path), 0);
	umask(old);
	assert_int_equal(path_mode(f->path), 0600);
	assert_memory_not_equal(priv, zero, KEY_LEN);
	assert_int_equal(crypto_scalarmult_base(derived, priv), 0);
	assert_memory_equal(pub, derived, KEY_LEN);
	/* the second time it loads the same key */
	assert_int_equal(keys_load_or_create(pub2, priv2, f->path), 0);
	assert_memory_equal(pub2, pub, KEY_LEN);
	assert_memory_equal(priv2, priv, KEY_LEN);
	assert_int_equal(keys_load(pub2, priv2, f->path), 0);
	assert_memory_equal(priv2, priv, KEY_LEN);

	/* a bad file is reported, never replaced */
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(keys_load_or_create(pub2, priv2, f->path), ERR_AUTH);
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(keys_load(pub2, priv2, f->path), 0);
	assert_memory_equal(priv2, priv, KEY_LEN);
	write_file(f->path, "garbage\n", 8, 0600);
	assert_int_equal(keys_load_or_create(pub2, priv2, f->path),
	    ERR_MALFORMED);
	read_file(f->path, text, sizeof(text));
	assert_string_equal(text, "garbage\n");

	/* a place it cannot create the file: error, and no key handed out */
	snprintf(text, sizeof(text), "%s", "/nonexistent-vigil-dir/key");
	memset(priv2, 0xaa, sizeof(priv2));
	assert_int_equal(keys_load_or_create(pub2, priv2, text), ERR_IO);
	assert_memory_equal(priv2, zero, KEY_LEN);
}

/* ---- names ---- */

static void
test_fingerprint(void **state)
{
	uint8_t	pub[KEY_LEN], priv[KEY_LEN], h[32], back[32];
	char	fpr[FPR_STRLEN], want[FPR_STRLEN];
	size_t	i;
	int	k;

	(void)state;
	unhex(pub, KEY_LEN, ALICE_PUB);
	memset(fpr, 'X', sizeof(fpr));
	keys_fingerprint(fpr, pub);
	assert_string_equal(fpr, ALICE_FPR);

	for (k = 0; k < 50; k++) {
		assert_int_equal(keys_generate(pub, priv), 0);
		keys_fingerprint(fpr, pub);
		assert_int_equal(strlen(fpr), 64);
		for (i = 0; i < 64; i++)
			assert_true(isxdigit((unsigned char)fpr[i]) &&
			    !isupper((unsigned char)fpr[i]));
		crypto_generichash(h, sizeof(h), pub, KEY_LEN, NULL, 0);
		sodium_bin2hex(want, sizeof(want), h, sizeof(h));
		assert_string_equal(fpr, want);
		assert_int_equal(keys_parse_fingerprint(back, fpr), 0);
		assert_memory_equal(back, h, 32);
	}
}

static void
test_parse_fingerprint(void **state)
{
	static const char	*ok[] = {
		ALICE_FPR,
		"7A91869E4C114964206972403B0A3D81603F2BD9FF5CED5923F0D234D80818F4",
		"7a91869E4c114964206972403B0a3d81603f2bd9ff5ced5923f0d234d80818f4",
		"7a:91:86:9e:4c:11:49:64:20:69:72:40:3b:0a:3d:81:60:3f:2b:d9:"
		    "ff:5c:ed:59:23:f0:d2:34:d8:08:18:f4",
		"7A-91-86-9E-4C-11-49-64-20-69-72-40-3B-0A-3D-81-60-3F-2B-D9-"
		    "FF-5C-ED-59-23-F0-D2-34-D8-08-18-F4",
		"7a91869e-4c114964-20697240-3b0a3d81:603f2bd9:ff5ced59:"
		    "23f0d234:d80818f4",
	};
	static const char	*bad[] = {
		"",
		/* 63 and 65 digits */
		"7a91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818f",
		"7a91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818f40",
		/* 62 and 66 */
		"7a91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818",
		"7a91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818f400",
		/* not hex */
		"7a91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818g4",
		"z791869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818f4",
		"0x7a91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818f4",
		/* other separators, or one inside a byte */
		"7a 91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818f4",
		"7a.91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818f4",
		"7a91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818f4\n",
		"7:a91869e4c114964206972403b0a3d81603f2bd9ff5ced5923f0d234d80818f4",
		/* base64 of the same hash */
		"epGGnkwRSWQgaXJAOwo9gWA/K9n/XO1ZI/DSNNgIGPQ=",
	};
	uint8_t			 out[32], want[32];
	size_t			 i;

	(void)state;
	unhex(want, 32, ALICE_FPR);
	for (i = 0; i < NITEMS(ok); i++) {
		memset(out, 0, sizeof(out));
		if (keys_parse_fingerprint(out, ok[i]) != 0)
			fail_msg("fingerprint %zu refused", i);
		assert_memory_equal(out, want, 32);
	}
	for (i = 0; i < NITEMS(bad); i++)
		if (keys_parse_fingerprint(out, bad[i]) != ERR_MALFORMED)
			fail_msg("fingerprint %zu accepted", i);
}

static void
test_agent_id(void **state)
{
	uint8_t				pub[KEY_LEN], priv[KEY_LEN], h[32];
	char				id[AGENT_ID_STRLEN], id2[AGENT_ID_STRLEN];
	char				want[AGENT_ID_STRLEN];
	crypto_generichash_state	st;
	size_t				i;
	int				k;

	(void)state;
	unhex(pub, KEY_LEN, ALICE_PUB);
	memset(id, 'X', sizeof(id));
	keys_agent_id(id, pub);
	assert_string_equal(id, ALICE_ID);
	/* stable */
	keys_agent_id(id2, pub);
	assert_string_equal(id2, id);
	/* not a prefix of the fingerprint: a separate hash */
	assert_memory_not_equal(id, ALICE_FPR, 16);

	for (k = 0; k < 50; k++) {
		assert_int_equal(keys_generate(pub, priv), 0);
		keys_agent_id(id2, pub);
		assert_int_equal(strlen(id2), 16);
		for (i = 0; i < 16; i++)
			assert_true(isxdigit((unsigned char)id2[i]) &&
			    !isupper((unsigned char)id2[i]));
		assert_string_not_equal(id2, id);
		crypto_generichash_init(&st, NULL, 0, sizeof(h));
		crypto_generichash_update(&st, (const uint8_t *)"vigil agent id",
		    14);
		crypto_generichash_update(&st, pub, KEY_LEN);
		crypto_generichash_final(&st, h, sizeof(h));
		sodium_bin2hex(want, sizeof(want), h, 8);
		assert_string_equal(id2, want);
		memcpy(id, id2, sizeof(id));
	}
}

int
main(void)
{
	/* a key file at T/key */
#define T(f)	cmocka_unit_test_prestate_setup_teardown(f, tmpfile_setup, \
		    tmpdir_teardown, "key")
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate),
		T(test_save_load),
		T(test_save_exists),
		T(test_load_mode),
		T(test_load_not_found),
		T(test_load_not_regular),
		T(test_load_malformed),
		T(test_load_large),
		T(test_load_or_create),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_parse_fingerprint),
		cmocka_unit_test(test_agent_id),
	};

	if (sodium_init() < 0)
		return 1;
	/* the refusals log warnings; keep the test output readable */
	log_init("test_keys", LOG_LVL_ERROR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
