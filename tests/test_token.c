/*
 * test_token.c: enrollment tokens against their contract (token.h).
 *
 * Each test gets a fresh store under $VIGIL_TEST_TMP (or /tmp). What the
 * database holds is read back with sqlite3 directly, not through the
 * store, so "only the hash is stored" is checked on the file itself: the
 * tokens row, and every byte of the database and its WAL.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>

#include "err.h"
#include "store.h"
#include "store_fixture.h"
#include "token.h"

/* One row of the tokens table, as SQLite has it. */
struct token_row {
	uint8_t		 hash[TOKEN_HASH_LEN];
	int		 hash_len;
	char		 name[STORE_NAME_MAX + 1];
	char		 office[STORE_NAME_MAX + 1];
	int64_t		 created, expires, used;
};

static sqlite3 *
db_raw(const struct store_fx *f)
{
	sqlite3	*db = NULL;

	assert_int_equal(sqlite3_open_v2(f->tf.path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	return db;
}

static int64_t
tokens_count(const struct store_fx *f)
{
	sqlite3		*db = db_raw(f);
	sqlite3_stmt	*q;
	int64_t		 n;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM tokens",
	    -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* The only tokens row; also checks that no column of it, read as text or
 * as bytes, contains the token in hex or raw. */
static void
token_row_get(const struct store_fx *f, struct token_row *r, const char *hex,
    const uint8_t raw[static WIRE_TOKEN_LEN])
{
	sqlite3		*db = db_raw(f);
	sqlite3_stmt	*q;
	const void	*p;
	int		 i, n;

	memset(r, 0, sizeof(*r));
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT hash, name, office,"
	    " created, expires, used, used_at FROM tokens", -1, &q, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(q, 0), SQLITE_BLOB);
	r->hash_len = sqlite3_column_bytes(q, 0);
	assert_int_equal(r->hash_len, TOKEN_HASH_LEN);
	memcpy(r->hash, sqlite3_column_blob(q, 0), TOKEN_HASH_LEN);
	snprintf(r->name, sizeof(r->name), "%s", sqlite3_column_text(q, 1));
	snprintf(r->office, sizeof(r->office), "%s",
	    sqlite3_column_text(q, 2));
	r->created = sqlite3_column_int64(q, 3);
	r->expires = sqlite3_column_int64(q, 4);
	r->used = sqlite3_column_int64(q, 5);
	for (i = 0; i < sqlite3_column_count(q); i++) {
		if (sqlite3_column_type(q, i) == SQLITE_NULL)
			continue;
		p = sqlite3_column_blob(q, i);
		n = sqlite3_column_bytes(q, i);
		assert_null(memmem(p, (size_t)n, hex, strlen(hex)));
		assert_null(memmem(p, (size_t)n, raw, WIRE_TOKEN_LEN));
	}
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);	/* only one */
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* Neither form of the token occurs anywhere in path (if it exists). */
static void
file_lacks(const char *path, const char *hex,
    const uint8_t raw[static WIRE_TOKEN_LEN])
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "rb")) == NULL) {
		assert_int_equal(errno, ENOENT);
		return;
	}
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((len = ftell(fp)) >= 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	assert_null(memmem(buf, (size_t)len, hex, strlen(hex)));
	assert_null(memmem(buf, (size_t)len, raw, WIRE_TOKEN_LEN));
	free(buf);
}

/* Create a token and check its text form; raw gets its bytes. */
static void
create_ok(struct store_fx *f, char out[static TOKEN_STRLEN],
    uint8_t raw[static WIRE_TOKEN_LEN], const char *name, const char *office,
    int64_t ttl)
{
	size_t	i, rawlen;

	memset(out, 'Z', TOKEN_STRLEN);
	assert_int_equal(token_create(f->s, out, name, office, ttl), 0);
	assert_int_equal(strlen(out), 2 * WIRE_TOKEN_LEN);
	for (i = 0; i < 2 * WIRE_TOKEN_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", out[i]));
	assert_int_equal(sodium_hex2bin(raw, WIRE_TOKEN_LEN, out,
	    2 * WIRE_TOKEN_LEN, NULL, &rawlen, NULL), 0);
	assert_int_equal(rawlen, WIRE_TOKEN_LEN);
}

static void
test_create_stores_hash_only(void **state)
{
	struct store_fx		*f = *state;
	struct token_row	 r;
	char			 tok[TOKEN_STRLEN], p[PATH_MAX + 8];
	uint8_t			 raw[WIRE_TOKEN_LEN], h[TOKEN_HASH_LEN];
	uint8_t			 plain[TOKEN_HASH_LEN];
	int64_t			 before, after;

	before = (int64_t)time(NULL);
	create_ok(f, tok, raw, "web1", "paris", 3600);
	after = (int64_t)time(NULL);

	token_hash(h, raw);
	token_row_get(f, &r, tok, raw);
	assert_memory_equal(r.hash, h, TOKEN_HASH_LEN);
	/* keyed by a context string: not the bare BLAKE2b of the token */
	crypto_generichash(plain, sizeof(plain), raw, WIRE_TOKEN_LEN, NULL, 0);
	assert_memory_not_equal(r.hash, plain, TOKEN_HASH_LEN);
	assert_string_equal(r.name, "web1");
	assert_string_equal(r.office, "paris");
	assert_int_equal(r.used, 0);
	/* expiry = now + ttl, "now" being the creation time */
	assert_true(r.created >= before && r.created <= after);
	assert_int_equal(r.expires, r.created + 3600);

	/* nor anywhere in the files */
	file_lacks(f->tf.path, tok, raw);
	snprintf(p, sizeof(p), "%s-wal", f->tf.path);
	file_lacks(p, tok, raw);
}

static void
test_hash_deterministic(void **state)
{
	uint8_t	t1[WIRE_TOKEN_LEN], t2[WIRE_TOKEN_LEN];
	uint8_t	h1[TOKEN_HASH_LEN], h2[TOKEN_HASH_LEN], h3[TOKEN_HASH_LEN];

	(void)state;
	memset(t1, 0x5a, sizeof(t1));
	memcpy(t2, t1, sizeof(t2));
	token_hash(h1, t1);
	token_hash(h2, t2);
	assert_memory_equal(h1, h2, TOKEN_HASH_LEN);
	t2[WIRE_TOKEN_LEN - 1] ^= 1;
	token_hash(h3, t2);
	assert_memory_not_equal(h1, h3, TOKEN_HASH_LEN);
}

static void
test_consume_once(void **state)
{
	struct store_fx	*f = *state;
	char		 tok[TOKEN_STRLEN];
	char		 name[STORE_NAME_MAX + 1], office[STORE_NAME_MAX + 1];
	uint8_t		 raw[WIRE_TOKEN_LEN], h[TOKEN_HASH_LEN];
	uint8_t		 bad[TOKEN_HASH_LEN];
	int64_t		 now = (int64_t)time(NULL);

	create_ok(f, tok, raw, "xa-tan-phu-01", "Xã Tân Phú", 600);
	token_hash(h, raw);

	/* a hash of other bytes, or the hex text mistaken for the key */
	raw[0] ^= 0x80;
	token_hash(bad, raw);
	raw[0] ^= 0x80;
	assert_int_equal(store_token_consume(f->s, bad, now, name, office),
	    ERR_NOTFOUND);
	crypto_generichash(bad, sizeof(bad), (const uint8_t *)tok,
	    2 * WIRE_TOKEN_LEN, NULL, 0);
	assert_int_equal(store_token_consume(f->s, bad, now, name, office),
	    ERR_NOTFOUND);

	assert_int_equal(store_token_consume(f->s, h, now, name, office), 0);
	assert_string_equal(name, "xa-tan-phu-01");
	assert_string_equal(office, "Xã Tân Phú");
	assert_int_equal(store_token_consume(f->s, h, now, name, office),
	    ERR_EXISTS);
	assert_string_equal(name, "");
	assert_string_equal(office, "");
}

static void
test_expiry(void **state)
{
	struct store_fx		*f = *state;
	struct token_row	 r;
	char			 tok[TOKEN_STRLEN];
	char			 name[STORE_NAME_MAX + 1];
	char			 office[STORE_NAME_MAX + 1];
	uint8_t			 raw[WIRE_TOKEN_LEN], h[TOKEN_HASH_LEN];

	create_ok(f, tok, raw, "web2", OFFICE_DEFAULT, 1);
	token_hash(h, raw);
	token_row_get(f, &r, tok, raw);
	assert_int_equal(r.expires, r.created + 1);
	/* valid strictly before expires, never at or after it */
	assert_int_equal(store_token_consume(f->s, h, r.expires, name,
	    office), ERR_EXPIRED);
	assert_int_equal(store_token_consume(f->s, h, r.expires + 100, name,
	    office), ERR_EXPIRED);
	assert_int_equal(store_token_consume(f->s, h, r.created, name,
	    office), 0);
	assert_string_equal(office, OFFICE_DEFAULT);
}

static void
test_ttl_invalid(void **state)
{
	static const int64_t	 ttls[] = { 0, -1, -3600, INT64_MIN };
	struct store_fx		*f = *state;
	char			 tok[TOKEN_STRLEN];
	size_t			 i;

	for (i = 0; i < sizeof(ttls) / sizeof(ttls[0]); i++)
		assert_int_equal(token_create(f->s, tok, "web1", "paris",
		    ttls[i]), ERR_USAGE);
	assert_int_equal(tokens_count(f), 0);
}

/* A ttl so large that now + ttl does not fit int64_t: refused, not
 * wrapped into the past (or, under UBSan, an abort). */
static void
test_ttl_overflow(void **state)
{
	struct store_fx	*f = *state;
	char		 tok[TOKEN_STRLEN];

	assert_int_equal(token_create(f->s, tok, "web1", "paris", INT64_MAX),
	    ERR_USAGE);
	assert_int_equal(token_create(f->s, tok, "web1", "paris",
	    INT64_MAX - 10), ERR_USAGE);
	assert_int_equal(tokens_count(f), 0);
}

/* Names and offices the contract refuses: empty, over 64 bytes, ASCII and
 * C1 controls, and every kind of invalid UTF-8. */
static const char *const bad_names[] = {
	"",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	/* 32 x "ã" (64 bytes) and one more byte */
	"ããããããããããããããããããããããããããããããããa",
	"web\t1", "web\n1", "web\r1", "\x01", "\x1b[31mred", "web\x7f",
	"web\xc2\x80", "web\xc2\x85", "\xc2\x9b[31m", "web\xc2\x9f",
	"\xff", "web\xfe", "\x80", "web\xc3", "\xe1\x80", "\xc3\x28",
	"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
	"\xf0\x9f\x98",
};

static void
test_bad_names(void **state)
{
	struct store_fx	*f = *state;
	char		 tok[TOKEN_STRLEN];
	size_t		 i;

	assert_int_equal(strlen(bad_names[1]), 65);
	assert_int_equal(strlen(bad_names[2]), 65);
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		if (token_valid_name(bad_names[i]))
			fail_msg("bad_names[%zu] accepted", i);
		assert_int_equal(token_create(f->s, tok, bad_names[i], "paris",
		    3600), ERR_USAGE);
		assert_int_equal(token_create(f->s, tok, "web1", bad_names[i],
		    3600), ERR_USAGE);
		assert_int_equal(token_create(f->s, tok, bad_names[i],
		    bad_names[i], 3600), ERR_USAGE);
	}
	assert_int_equal(tokens_count(f), 0);
}

/* 64 bytes each: the longest names allowed */
#define LONG_ASCII \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG_UTF8	"ãããããããããããããããããããããããããããããããã"	/* 32 x U+00E3 */

static void
test_good_names(void **state)
{
	static const char *const good[] = {
		"Xã Tân Phú",
		"web1", "a", "~", " ", "host name with spaces",
		"Ủy ban nhân dân", "東京", "\xf0\x9f\x98\x80",	/* U+1F600 */
		"\xc2\xa0", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf",	/* U+10FFFF */
		LONG_ASCII, LONG_UTF8,
	};
	struct store_fx	*f = *state;
	char		 tok[TOKEN_STRLEN];
	char		 name[STORE_NAME_MAX + 1], office[STORE_NAME_MAX + 1];
	uint8_t		 raw[WIRE_TOKEN_LEN], h[TOKEN_HASH_LEN];
	size_t		 i;

	assert_int_equal(strlen(LONG_ASCII), 64);
	assert_int_equal(strlen(LONG_UTF8), 64);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!token_valid_name(good[i]))
			fail_msg("good[%zu] '%s' refused", i, good[i]);
	/* the longest names survive the round trip through the store */
	create_ok(f, tok, raw, LONG_ASCII, LONG_UTF8, 60);
	token_hash(h, raw);
	assert_int_equal(store_token_consume(f->s, h, (int64_t)time(NULL),
	    name, office), 0);
	assert_string_equal(name, LONG_ASCII);
	assert_string_equal(office, LONG_UTF8);
}

static void
test_tokens_differ(void **state)
{
	struct store_fx	*f = *state;
	char		 t1[TOKEN_STRLEN], t2[TOKEN_STRLEN];
	uint8_t		 r1[WIRE_TOKEN_LEN], r2[WIRE_TOKEN_LEN];

	/* same name and office twice: two tokens, two rows */
	create_ok(f, t1, r1, "web1", "paris", 3600);
	create_ok(f, t2, r2, "web1", "paris", 3600);
	assert_string_not_equal(t1, t2);
	assert_int_equal(tokens_count(f), 2);
}

static void
test_store_failure(void **state)
{
	struct store_fx	*f = *state;
	sqlite3		*db;
	char		 tok[TOKEN_STRLEN];

	/* the store's error comes back unchanged, and no token is shown */
	assert_int_equal(sqlite3_open_v2(f->tf.path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE tokens", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	memset(tok, 'Z', sizeof(tok));
	assert_int_equal(token_create(f->s, tok, "web1", "paris", 60), ERR_IO);
	assert_int_equal(tok[0], 'Z');
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, store_setup, \
		    store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_stores_hash_only),
		cmocka_unit_test(test_hash_deterministic),
		T(test_consume_once),
		T(test_expiry),
		T(test_ttl_invalid),
		T(test_ttl_overflow),
		T(test_bad_names),
		T(test_good_names),
		T(test_tokens_differ),
		T(test_store_failure),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
