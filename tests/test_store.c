/*
 * test_store.c: the collector store against its contract (store.h).
 *
 * Each test gets a fresh directory under $VIGIL_TEST_TMP (or /tmp).
 * Event queries are checked against a naive model: the same events kept
 * in an array, filtered and sorted by brute force. The last test prints
 * the ingest rate of 100,000 events in batches of 2000; it asserts only
 * that they were all stored.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
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

#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "event.h"
#include "incident.h"
#include "store.h"
#include "taxonomy.h"
#include "store_fixture.h"
#include "raw_sql.h"

static void
mkhash(uint8_t hash[static TOKEN_HASH_LEN], int n)
{
	memset(hash, 0, TOKEN_HASH_LEN);
	hash[0] = (uint8_t)n;
	hash[1] = (uint8_t)(n >> 8);
	hash[31] = 0xa5;
}

/* Agent n: id is n in 16 hex digits, key bytes derived from n. */
static int64_t
mkagent(struct store *s, int n, const char *name, const char *office,
    int64_t now)
{
	uint8_t	pub[KEY_LEN];
	char	id[AGENT_ID_STRLEN];
	int64_t	rowid;

	memset(pub, n & 0xff, sizeof(pub));
	pub[0] = (uint8_t)(n >> 8);
	snprintf(id, sizeof(id), "%016x", n);
	assert_int_equal(store_agent_add(s, &rowid, id, pub, name, office,
	    now), 0);
	assert_true(rowid > 0);
	return rowid;
}

static char *
repeat(char c, size_t n)
{
	char	*p = malloc(n + 1);

	assert_non_null(p);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

static void
test_open_mode_schema(void **state)
{
	struct store_fx	*f = *state;
	struct store	*s2 = (struct store *)1;
	struct stat	 st;
	sqlite3		*db;
	sqlite3_stmt	*q;

	assert_int_equal(stat(f->tf.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(sqlite3_open_v2(f->tf.path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 8);
	sqlite3_finalize(q);
	/* a file from a newer build is refused */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&s2, f->tf.path), ERR_IO);
	assert_null(s2);

	s2 = (struct store *)1;
	assert_int_equal(store_open(&s2, "/nonexistent/dir/store.db"), ERR_IO);
	assert_null(s2);
	store_close(NULL);
}

/* A store of version 6 (before the time index carried the agent and
 * before the scheduled reports) is brought up to 8: its report tables
 * made, its rows kept. */
static void
test_upgrade_6_8(void **state)
{
	struct store_fx	*f = *state;
	sqlite3		*db;
	sqlite3_stmt	*q;

	mkagent(f->s, 1, "web1", "paris", 20);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(sqlite3_open_v2(f->tf.path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE report_files;"
	    "DROP TABLE report_runs; PRAGMA user_version = 6", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&f->s, f->tf.path), 0);
	assert_int_equal(sqlite3_open_v2(f->tf.path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT user_version"
	    " FROM pragma_user_version), (SELECT count(*) FROM agents),"
	    " (SELECT count(*) FROM report_runs) + (SELECT count(*)"
	    " FROM report_files)", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 8);
	assert_int_equal(sqlite3_column_int(q, 1), 1);
	assert_int_equal(sqlite3_column_int(q, 2), 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void
test_reopen_persists(void **state)
{
	struct store_fx		*f = *state;
	struct store_agent	 a;
	struct store_event	 ev = { 0 };
	struct store_query	 q = { 0 };
	uint8_t			 h[TOKEN_HASH_LEN];
	char			 name[STORE_NAME_MAX + 1];
	char			 office[STORE_NAME_MAX + 1];
	uint64_t		 count;
	size_t			 n;
	int64_t			 rowid;

	mkhash(h, 1);
	assert_int_equal(store_token_add(f->s, h, "web1", "paris", 10, 1000),
	    0);
	rowid = mkagent(f->s, 1, "web1", "paris", 20);
	ev.agent_rowid = rowid;
	ev.seq = 7;
	ev.ts_us = 123;
	ev.type = "alert";
	ev.json = "{}";
	ev.len = 2;
	assert_int_equal(store_events_insert(f->s, &ev, 1, &n), 0);
	assert_int_equal(n, 1);
	store_close(f->s);
	assert_int_equal(store_open(&f->s, f->tf.path), 0);

	assert_int_equal(store_token_consume(f->s, h, 30, name, office), 0);
	assert_string_equal(name, "web1");
	assert_int_equal(store_agent_get(f->s, &a, "web1"), 0);
	assert_int_equal(a.rowid, rowid);
	assert_int_equal(a.events, 1);
	assert_int_equal(a.last_seq, 7);
	store_agent_clear(&a);
	assert_int_equal(store_events_count(f->s, &q, &count), 0);
	assert_int_equal(count, 1);
}

static void
test_tokens(void **state)
{
	struct store_fx	*f = *state;
	uint8_t		 h[TOKEN_HASH_LEN], h2[TOKEN_HASH_LEN];
	char		 name[STORE_NAME_MAX + 1], office[STORE_NAME_MAX + 1];
	char		*n64 = repeat('n', STORE_NAME_MAX);
	char		*n65 = repeat('n', STORE_NAME_MAX + 1);

	mkhash(h, 1);
	assert_int_equal(store_token_add(f->s, h, n64, "lyon", 100, 200), 0);
	assert_int_equal(store_token_add(f->s, h, "x", "y", 100, 200),
	    ERR_EXISTS);

	/* expired: expires <= now, and a failed consume leaves it unused */
	assert_int_equal(store_token_consume(f->s, h, 200, name, office),
	    ERR_EXPIRED);
	assert_string_equal(name, "");
	assert_int_equal(store_token_consume(f->s, h, 199, name, office), 0);
	assert_string_equal(name, n64);
	assert_string_equal(office, "lyon");
	assert_int_equal(store_token_consume(f->s, h, 150, name, office),
	    ERR_EXISTS);
	assert_string_equal(office, "");

	mkhash(h2, 2);
	assert_int_equal(store_token_consume(f->s, h2, 150, name, office),
	    ERR_NOTFOUND);
	assert_int_equal(store_token_add(f->s, h2, n65, "o", 1, 2),
	    ERR_TOOBIG);
	assert_int_equal(store_token_add(f->s, h2, "n", n65, 1, 2),
	    ERR_TOOBIG);
	assert_int_equal(store_token_consume(f->s, h2, 1, name, office),
	    ERR_NOTFOUND);
	/* NULL office is "" */
	assert_int_equal(store_token_add(f->s, h2, "n", NULL, 1, 2), 0);
	assert_int_equal(store_token_consume(f->s, h2, 1, name, office), 0);
	assert_string_equal(name, "n");
	assert_string_equal(office, "");
	free(n64);
	free(n65);
}

struct racer {
	struct store		*s;
	pthread_barrier_t	*bar;
	const uint8_t		*hash;
	int			 rc;
};

static void *
race_consume(void *arg)
{
	struct racer	*r = arg;
	char		 name[STORE_NAME_MAX + 1], office[STORE_NAME_MAX + 1];

	pthread_barrier_wait(r->bar);
	r->rc = store_token_consume(r->s, r->hash, 50, name, office);
	return NULL;
}

static void
test_token_race(void **state)
{
	struct store_fx		*f = *state;
	struct store		*s2;
	struct racer		 r[2];
	pthread_barrier_t	 bar;
	pthread_t		 t[2];
	uint8_t			 h[TOKEN_HASH_LEN];
	int			 round, i, wins;

	assert_int_equal(store_open(&s2, f->tf.path), 0);
	assert_int_equal(pthread_barrier_init(&bar, NULL, 2), 0);
	for (round = 0; round < 25; round++) {
		mkhash(h, 100 + round);
		assert_int_equal(store_token_add(f->s, h, "n", "o", 1, 100),
		    0);
		for (i = 0; i < 2; i++) {
			r[i].s = i ? s2 : f->s;
			r[i].bar = &bar;
			r[i].hash = h;
			r[i].rc = 1;
			assert_int_equal(pthread_create(&t[i], NULL,
			    race_consume, &r[i]), 0);
		}
		for (i = 0; i < 2; i++)
			assert_int_equal(pthread_join(t[i], NULL), 0);
		wins = (r[0].rc == 0) + (r[1].rc == 0);
		assert_int_equal(wins, 1);
		assert_int_equal(r[0].rc + r[1].rc, ERR_EXISTS);
	}
	pthread_barrier_destroy(&bar);
	store_close(s2);
}

static void
test_agents(void **state)
{
	struct store_fx		*f = *state;
	struct store_agent	 a;
	uint8_t			 pub[KEY_LEN], pub2[KEY_LEN];
	char			*n65 = repeat('n', STORE_NAME_MAX + 1);
	int64_t			 rowid, r2;

	memset(pub, 1, sizeof(pub));
	memset(pub2, 2, sizeof(pub2));
	assert_int_equal(store_agent_add(f->s, &rowid, "00000000000000aa",
	    pub, "db1", "berlin", 500), 0);
	/* same key under another id, same id under another key */
	assert_int_equal(store_agent_add(f->s, &r2, "00000000000000bb", pub,
	    "db2", "berlin", 501), ERR_EXISTS);
	assert_int_equal(r2, 0);
	assert_int_equal(store_agent_add(f->s, &r2, "00000000000000aa", pub2,
	    "db2", "berlin", 501), ERR_EXISTS);
	/* malformed ids and oversized strings */
	assert_int_equal(store_agent_add(f->s, &r2, "00000000000000AA", pub2,
	    "db2", "b", 501), ERR_MALFORMED);
	assert_int_equal(store_agent_add(f->s, &r2, "0000000000000aa", pub2,
	    "db2", "b", 501), ERR_MALFORMED);
	assert_int_equal(store_agent_add(f->s, &r2, "00000000000000aa0", pub2,
	    "db2", "b", 501), ERR_MALFORMED);
	assert_int_equal(store_agent_add(f->s, &r2, NULL, pub2, "db2", "b",
	    501), ERR_MALFORMED);
	assert_int_equal(store_agent_add(f->s, &r2, "00000000000000bb", pub2,
	    n65, "b", 501), ERR_TOOBIG);
	assert_int_equal(store_agent_add(f->s, &r2, "00000000000000bb", pub2,
	    "db2", n65, 501), ERR_TOOBIG);
	assert_int_equal(store_agent_add(f->s, NULL, "00000000000000bb", pub2,
	    "db2", NULL, 501), 0);

	assert_int_equal(store_agent_get(f->s, &a, "00000000000000aa"), 0);
	assert_int_equal(a.rowid, rowid);
	assert_string_equal(a.id, "00000000000000aa");
	assert_memory_equal(a.pub, pub, KEY_LEN);
	assert_string_equal(a.name, "db1");
	assert_string_equal(a.office, "berlin");
	assert_int_equal(a.enrolled, 500);
	assert_int_equal(a.revoked, 0);
	assert_int_equal(a.first_seen, 0);
	assert_int_equal(a.last_seen, 0);
	assert_int_equal(a.events, 0);
	assert_string_equal(a.addr, "");
	assert_null(a.heartbeat);
	store_agent_clear(&a);

	assert_int_equal(store_agent_get(f->s, &a, "db2"), 0);
	assert_string_equal(a.id, "00000000000000bb");
	assert_string_equal(a.office, "");
	store_agent_clear(&a);
	assert_int_equal(store_agent_get_rowid(f->s, &a, rowid), 0);
	assert_string_equal(a.name, "db1");
	store_agent_clear(&a);

	assert_int_equal(store_agent_get(f->s, &a, "nope"), ERR_NOTFOUND);
	assert_int_equal(store_agent_get(f->s, &a, NULL), ERR_USAGE);
	assert_int_equal(store_agent_get_rowid(f->s, &a, 9999), ERR_NOTFOUND);
	store_agent_clear(&a);		/* harmless after a failed get */
	store_agent_clear(NULL);
	free(n65);
}

static void
expect_pick(struct store *s, const char *what, int64_t rowid)
{
	struct store_agent	a;

	assert_int_equal(store_agent_get(s, &a, what), 0);
	assert_int_equal(a.rowid, rowid);
	store_agent_clear(&a);
}

static void
test_agent_name_and_revoke(void **state)
{
	struct store_fx		*f = *state;
	struct store_agent	 a;
	int64_t			 w1, w2, w3;

	w2 = mkagent(f->s, 2, "web", "o", 200);
	w1 = mkagent(f->s, 1, "web", "o", 100);	/* enrolled earlier */
	w3 = mkagent(f->s, 3, "web", "o", 300);
	expect_pick(f->s, "web", w3);
	expect_pick(f->s, "0000000000000001", w1);

	assert_int_equal(store_agent_revoke(f->s, "web"), 0);
	assert_int_equal(store_agent_get_rowid(f->s, &a, w3), 0);
	assert_int_equal(a.revoked, 1);
	store_agent_clear(&a);
	expect_pick(f->s, "web", w2);		/* newest live one */

	assert_int_equal(store_agent_revoke(f->s, "0000000000000002"), 0);
	assert_int_equal(store_agent_revoke(f->s, "0000000000000002"), 0);
	expect_pick(f->s, "web", w1);
	assert_int_equal(store_agent_revoke(f->s, "web"), 0);
	expect_pick(f->s, "web", w3);		/* all revoked: the newest */
	assert_int_equal(store_agent_get_rowid(f->s, &a, w1), 0);
	assert_int_equal(a.revoked, 1);
	store_agent_clear(&a);

	assert_int_equal(store_agent_revoke(f->s, "nope"), ERR_NOTFOUND);
	assert_int_equal(store_agent_revoke(f->s, NULL), ERR_USAGE);
}

static void
test_seen(void **state)
{
	struct store_fx		*f = *state;
	struct store_agent	 a;
	char			*a64 = repeat('a', STORE_ADDR_MAX);
	char			*a65 = repeat('a', STORE_ADDR_MAX + 1);
	int64_t			 r;

	r = mkagent(f->s, 1, "h", "o", 10);
	assert_int_equal(store_agent_seen(f->s, r, 1000, 50,
	    "192.0.2.1:4000"), 0);
	assert_int_equal(store_agent_seen(f->s, r, 2000, 60,
	    "192.0.2.2:4001"), 0);
	/* an older handshake never lowers last_hs_ts */
	assert_int_equal(store_agent_seen(f->s, r, 1500, 70, a64), 0);
	assert_int_equal(store_agent_get_rowid(f->s, &a, r), 0);
	assert_int_equal(a.first_seen, 50);
	assert_int_equal(a.last_seen, 70);
	assert_int_equal(a.last_hs_ts, 2000);
	assert_string_equal(a.addr, a64);
	store_agent_clear(&a);

	assert_int_equal(store_agent_seen(f->s, r, 3000, 80, a65), ERR_TOOBIG);
	assert_int_equal(store_agent_seen(f->s, r, (uint64_t)INT64_MAX + 1,
	    80, "x"), ERR_MALFORMED);
	assert_int_equal(store_agent_seen(f->s, 9999, 1, 80, "x"),
	    ERR_NOTFOUND);
	assert_int_equal(store_agent_seen(f->s, r, (uint64_t)INT64_MAX, 90,
	    NULL), 0);
	assert_int_equal(store_agent_get_rowid(f->s, &a, r), 0);
	assert_int_equal(a.last_hs_ts, (uint64_t)INT64_MAX);
	assert_int_equal(a.first_seen, 50);
	assert_string_equal(a.addr, "");
	store_agent_clear(&a);
	free(a64);
	free(a65);
}

struct each_ctx {
	int	 n;
	int	 stop_at;
	int64_t	 rowids[8];
	char	 hb[8][32];
};

static int
agent_cb(void *arg, const struct store_agent *a)
{
	struct each_ctx	*c = arg;

	assert_true(c->n < 8);
	c->rowids[c->n] = a->rowid;
	snprintf(c->hb[c->n], sizeof(c->hb[0]), "%s",
	    a->heartbeat ? a->heartbeat : "-");
	if (++c->n == c->stop_at)
		return 42;
	return 0;
}

static void
test_heartbeat_each(void **state)
{
	struct store_fx		*f = *state;
	struct store_agent	 a;
	struct each_ctx		 c;
	char			*big = repeat('x', STORE_HEARTBEAT_MAX);
	char			*v33 = repeat('1', STORE_VERSION_MAX + 1);
	const char		 hb[] = "{\"drops\":{\"flow\":3}}";
	int64_t			 r1, r2, r3;

	r2 = mkagent(f->s, 2, "b", "o", 20);
	r1 = mkagent(f->s, 1, "a", "o", 10);
	r3 = mkagent(f->s, 3, "c", "o", 30);
	assert_int_equal(store_agent_heartbeat(f->s, r1, 99, "0.1.0", hb,
	    strlen(hb)), 0);
	assert_int_equal(store_agent_get_rowid(f->s, &a, r1), 0);
	assert_string_equal(a.version, "0.1.0");
	assert_string_equal(a.heartbeat, hb);
	assert_int_equal(a.last_seen, 99);
	assert_int_equal(a.first_seen, 0);
	store_agent_clear(&a);

	/* exactly at the limit, one over, an embedded NUL, bad arguments */
	assert_int_equal(store_agent_heartbeat(f->s, r2, 1, "v", big,
	    STORE_HEARTBEAT_MAX), 0);
	assert_int_equal(store_agent_heartbeat(f->s, r2, 1, "v", big,
	    STORE_HEARTBEAT_MAX + 1), ERR_TOOBIG);
	assert_int_equal(store_agent_heartbeat(f->s, r2, 1, v33, "{}", 2),
	    ERR_TOOBIG);
	assert_int_equal(store_agent_heartbeat(f->s, r2, 1, "v", "{\0}", 3),
	    ERR_MALFORMED);
	assert_int_equal(store_agent_heartbeat(f->s, r2, 1, "v", NULL, 3),
	    ERR_USAGE);
	assert_int_equal(store_agent_heartbeat(f->s, 9999, 1, "v", "{}", 2),
	    ERR_NOTFOUND);
	assert_int_equal(store_agent_get_rowid(f->s, &a, r2), 0);
	assert_int_equal(strlen(a.heartbeat), STORE_HEARTBEAT_MAX);
	store_agent_clear(&a);
	assert_int_equal(store_agent_heartbeat(f->s, r2, 2, "v2", NULL, 0), 0);
	assert_int_equal(store_agent_get_rowid(f->s, &a, r2), 0);
	assert_null(a.heartbeat);
	assert_string_equal(a.version, "v2");
	store_agent_clear(&a);

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_agent_each(f->s, agent_cb, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.rowids[0], r1);	/* enrollment order */
	assert_int_equal(c.rowids[1], r2);
	assert_int_equal(c.rowids[2], r3);
	assert_string_equal(c.hb[0], hb);
	assert_string_equal(c.hb[1], "-");
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	assert_int_equal(store_agent_each(f->s, agent_cb, &c), 42);
	assert_int_equal(c.n, 2);
	free(big);
	free(v33);
}

static const char *const types[] = { "alert", "flow", "dns", "fileinfo" };

static void
fill(struct store_event *evs, int64_t rowid, uint64_t from, uint64_t to)
{
	uint64_t	seq;

	for (seq = from; seq <= to; seq++) {
		struct store_event	*e = &evs[seq - from];

		e->agent_rowid = rowid;
		e->seq = seq;
		e->ts_us = (int64_t)seq * 1000;
		e->type = types[seq % 4];
		e->severity = seq % 4 == 0 ? 2 : 0;
		e->json = "{\"event_type\":\"x\"}";
		e->len = strlen(e->json);
	}
}

static void
expect_counts(struct store *s, int64_t rowid, uint64_t events,
    uint64_t last_seq)
{
	struct store_agent	a;

	assert_int_equal(store_agent_get_rowid(s, &a, rowid), 0);
	assert_int_equal(a.events, events);
	assert_int_equal(a.last_seq, last_seq);
	store_agent_clear(&a);
}

static uint64_t
count_all(struct store *s)
{
	struct store_query	q = { 0 };
	uint64_t		n;

	assert_int_equal(store_events_count(s, &q, &n), 0);
	return n;
}

static void
test_events_duplicates(void **state)
{
	struct store_fx		*f = *state;
	struct store_event	*evs;
	size_t			 n;
	int64_t			 r1, r2;

	evs = calloc(1001, sizeof(*evs));
	assert_non_null(evs);
	r1 = mkagent(f->s, 1, "a", "o", 1);
	r2 = mkagent(f->s, 2, "b", "o", 2);

	assert_int_equal(store_events_insert(f->s, evs, 0, &n), 0);
	assert_int_equal(n, 0);
	fill(evs, r1, 1, 1000);
	assert_int_equal(store_events_insert(f->s, evs, 1000, &n), 0);
	assert_int_equal(n, 1000);
	fill(evs, r1, 500, 1500);
	assert_int_equal(store_events_insert(f->s, evs, 1001, &n), 0);
	assert_int_equal(n, 500);
	assert_int_equal(count_all(f->s), 1500);
	expect_counts(f->s, r1, 1500, 1500);
	/* all duplicates: nothing changes */
	fill(evs, r1, 1, 10);
	assert_int_equal(store_events_insert(f->s, evs, 10, &n), 0);
	assert_int_equal(n, 0);
	expect_counts(f->s, r1, 1500, 1500);

	/* two agents interleaved in one batch, a duplicate within it */
	fill(evs, r2, 1, 10);
	fill(evs + 10, r1, 1501, 1510);
	evs[20] = evs[3];
	evs[21] = evs[15];
	evs[22] = evs[0];
	evs[22].seq = 50;
	assert_int_equal(store_events_insert(f->s, evs, 23, &n), 0);
	assert_int_equal(n, 21);
	expect_counts(f->s, r2, 11, 50);
	expect_counts(f->s, r1, 1510, 1510);

	/* all or nothing: an unknown agent rolls back the whole batch */
	fill(evs, r2, 100, 109);
	evs[5].agent_rowid = 9999;
	assert_int_equal(store_events_insert(f->s, evs, 10, &n), ERR_NOTFOUND);
	assert_int_equal(n, 0);
	assert_int_equal(count_all(f->s), 1521);
	expect_counts(f->s, r2, 11, 50);

	/* checked before anything is written */
	fill(evs, r2, 100, 109);
	evs[9].seq = (uint64_t)INT64_MAX + 1;
	assert_int_equal(store_events_insert(f->s, evs, 10, &n),
	    ERR_MALFORMED);
	fill(evs, r2, 100, 109);
	evs[9].type = "a_type_name_longer_than_32_bytes_";
	assert_int_equal(store_events_insert(f->s, evs, 10, &n), ERR_TOOBIG);
	fill(evs, r2, 100, 109);
	evs[9].len = EVENT_MAX_LEN + 1;
	assert_int_equal(store_events_insert(f->s, evs, 10, &n), ERR_TOOBIG);
	fill(evs, r2, 100, 109);
	evs[9].type = NULL;
	assert_int_equal(store_events_insert(f->s, evs, 10, &n), ERR_USAGE);
	fill(evs, r2, 100, 109);
	evs[9].json = NULL;
	assert_int_equal(store_events_insert(f->s, evs, 10, &n), ERR_USAGE);
	assert_int_equal(count_all(f->s), 1521);
	expect_counts(f->s, r2, 11, 50);
	free(evs);
}

/* The collector's own events (seq 0): each stored, under the agent,
 * outside its numbering, and read back with seq 0. */
static int
own_row(void *arg, const struct store_row *r)
{
	int	*n = arg;

	if (r->seq == 0) {
		assert_string_equal(r->type, "agent_health");
		n[0]++;
	} else
		n[1]++;
	return 0;
}

static void
test_events_own(void **state)
{
	struct store_fx		*f = *state;
	struct store_query	 q = { .agent = "a" };
	struct store_event	 evs[6];
	size_t			 n;
	uint64_t		 cnt;
	int64_t			 r1, r2;
	int			 seen[2] = { 0, 0 };

	r1 = mkagent(f->s, 1, "a", "o", 1);
	r2 = mkagent(f->s, 2, "b", "o", 2);
	fill(evs, r1, 1, 3);
	evs[3] = evs[0];
	evs[3].seq = 0;
	evs[3].type = "agent_health";
	evs[4] = evs[3];
	evs[5] = evs[3];
	evs[5].agent_rowid = r2;
	assert_int_equal(store_events_insert(f->s, evs, 6, &n), 0);
	assert_int_equal(n, 6);
	/* again: the agent's three are duplicates, the own ones are new */
	assert_int_equal(store_events_insert(f->s, evs, 6, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(count_all(f->s), 9);
	expect_counts(f->s, r1, 3, 3);		/* only its own numbering */
	expect_counts(f->s, r2, 0, 0);
	assert_int_equal(store_events_each(f->s, &q, own_row, seen), 0);
	assert_int_equal(seen[0], 4);
	assert_int_equal(seen[1], 3);
	q.type = "agent_health";
	assert_int_equal(store_events_count(f->s, &q, &cnt), 0);
	assert_int_equal(cnt, 4);
	/* the agent's numbering goes on untouched */
	fill(evs, r1, 4, 4);
	assert_int_equal(store_events_insert(f->s, evs, 1, &n), 0);
	assert_int_equal(n, 1);
	expect_counts(f->s, r1, 4, 4);
}

/* The naive model for queries. */
#define QN	900

struct mev {
	int		 agent;		/* index into qagents */
	int64_t		 rowid;
	uint64_t	 seq;
	int64_t		 ts_us;
	const char	*type;
	char		 json[48];
};

static const struct {
	int		 n;
	const char	*name;
	const char	*office;
	int64_t		 enrolled;
} qagents[] = {
	{ 1, "alpha", "paris", 10 },
	{ 2, "beta", "lyon", 20 },
	{ 3, "beta", "nice", 30 },	/* beta re-enrolled */
};

struct qctx {
	const struct mev	**want;
	size_t			  nwant;
	size_t			  n;
	size_t			  stop_at;
};

static int
mev_cmp(const void *a, const void *b)
{
	const struct mev	*x = *(const struct mev *const *)a;
	const struct mev	*y = *(const struct mev *const *)b;

	if (x->ts_us != y->ts_us)
		return x->ts_us < y->ts_us ? -1 : 1;
	if (x->rowid != y->rowid)
		return x->rowid < y->rowid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
mev_match(const struct mev *m, const struct store_query *q)
{
	char	id[AGENT_ID_STRLEN];

	snprintf(id, sizeof(id), "%016x", qagents[m->agent].n);
	if (q->agent && strcmp(q->agent, id) != 0 &&
	    strcmp(q->agent, qagents[m->agent].name) != 0)
		return 0;
	if (q->type && strcmp(q->type, m->type) != 0)
		return 0;
	if (q->since_us && m->ts_us < q->since_us)
		return 0;
	if (q->until_us && m->ts_us >= q->until_us)
		return 0;
	return 1;
}

static int
row_cb(void *arg, const struct store_row *r)
{
	struct qctx		*c = arg;
	const struct mev	*m;
	char			 id[AGENT_ID_STRLEN];

	assert_true(c->n < c->nwant);
	m = c->want[c->n++];
	snprintf(id, sizeof(id), "%016x", qagents[m->agent].n);
	assert_string_equal(r->agent_id, id);
	assert_string_equal(r->agent_name, qagents[m->agent].name);
	assert_string_equal(r->office, qagents[m->agent].office);
	assert_int_equal(r->seq, m->seq);
	assert_int_equal(r->ts_us, m->ts_us);
	assert_true(r->received > 0);
	assert_string_equal(r->type, m->type);
	assert_int_equal(r->len, strlen(m->json));
	assert_memory_equal(r->json, m->json, r->len);
	return c->n == c->stop_at ? -77 : 0;
}

static void
check_query(struct store *s, const struct mev *model,
    const struct store_query *q)
{
	const struct mev	**want;
	struct qctx		  c;
	uint64_t		  count;
	size_t			  i, n = 0;

	want = calloc(QN, sizeof(*want));
	assert_non_null(want);
	for (i = 0; i < QN; i++)
		if (mev_match(&model[i], q))
			want[n++] = &model[i];
	qsort(want, n, sizeof(*want), mev_cmp);
	if (q->limit > 0 && (size_t)q->limit < n)
		n = (size_t)q->limit;

	assert_int_equal(store_events_count(s, q, &count), 0);
	assert_int_equal(count, n);
	memset(&c, 0, sizeof(c));
	c.want = want;
	c.nwant = n;
	assert_int_equal(store_events_each(s, q, row_cb, &c), 0);
	assert_int_equal(c.n, n);
	free(want);
}

static void
test_events_query(void **state)
{
	static const char *const qagent[] = { NULL, "alpha", "beta",
	    "0000000000000003" };
	static const char *const qtype[] = { NULL, "alert", "dns", "nope" };
	static const int64_t qlimit[] = { 0, 1, 17, 100000 };
	struct store_fx		*f = *state;
	struct store_event	 evs[QN];
	struct store_query	 q;
	struct qctx		 c;
	struct mev		*model;
	uint64_t		 seq[3] = { 0, 0, 0 }, count;
	int64_t			 rowid[3];
	size_t			 i, n, a, t, l, since;

	model = calloc(QN, sizeof(*model));
	assert_non_null(model);
	for (i = 0; i < 3; i++)
		rowid[i] = mkagent(f->s, qagents[i].n, qagents[i].name,
		    qagents[i].office, qagents[i].enrolled);
	for (i = 0; i < QN; i++) {
		struct mev	*m = &model[i];

		m->agent = (int)(i * 7 % 3);
		m->rowid = rowid[m->agent];
		m->seq = ++seq[m->agent];
		/* out of order, with many equal timestamps */
		m->ts_us = 1000000 + (int64_t)(i * 7919 % 301) * 1000;
		m->type = types[i * 13 % 4 % 3 + (i % 50 == 0)];
		snprintf(m->json, sizeof(m->json), "{\"n\":%zu}", i);
		evs[i].agent_rowid = m->rowid;
		evs[i].seq = m->seq;
		evs[i].ts_us = m->ts_us;
		evs[i].type = m->type;
		evs[i].json = m->json;
		evs[i].len = strlen(m->json);
	}
	for (i = 0; i < QN; i += 100) {
		assert_int_equal(store_events_insert(f->s, evs + i, 100, &n), 0);
		assert_int_equal(n, 100);
	}

	for (a = 0; a < 4; a++)
	for (t = 0; t < 4; t++)
	for (since = 0; since < 4; since++)
	for (l = 0; l < 4; l++) {
		memset(&q, 0, sizeof(q));
		q.agent = qagent[a];
		q.type = qtype[t];
		q.since_us = since & 1 ? 1150000 : 0;
		q.until_us = since & 2 ? 1220000 : 0;	/* an equal ts is out */
		q.limit = qlimit[l];
		check_query(f->s, model, &q);
	}

	/* a callback's non-zero return stops the walk and is returned */
	memset(&q, 0, sizeof(q));
	memset(&c, 0, sizeof(c));
	c.want = calloc(QN, sizeof(*c.want));
	assert_non_null(c.want);
	for (i = 0; i < QN; i++)
		c.want[i] = &model[i];
	qsort(c.want, QN, sizeof(*c.want), mev_cmp);
	c.nwant = QN;
	c.stop_at = 3;
	assert_int_equal(store_events_each(f->s, &q, row_cb, &c), -77);
	assert_int_equal(c.n, 3);
	free(c.want);

	q.agent = "nobody";
	assert_int_equal(store_events_count(f->s, &q, &count), ERR_NOTFOUND);
	assert_int_equal(store_events_each(f->s, &q, row_cb, &c),
	    ERR_NOTFOUND);
	q.agent = NULL;
	q.limit = -1;
	assert_int_equal(store_events_count(f->s, &q, &count), ERR_USAGE);
	assert_int_equal(store_events_each(f->s, &q, row_cb, &c), ERR_USAGE);
	free(model);
}

static void
test_changed(void **state)
{
	struct store_fx	*f = *state;
	struct store	*s2;
	uint8_t		 h[TOKEN_HASH_LEN];

	assert_int_equal(store_open(&s2, f->tf.path), 0);
	assert_int_equal(store_changed(s2), 0);
	mkhash(h, 1);
	assert_int_equal(store_token_add(f->s, h, "n", "o", 1, 2), 0);
	assert_int_equal(store_changed(s2), 1);
	assert_int_equal(store_changed(s2), 0);
	/* its own writes are not news */
	mkhash(h, 2);
	assert_int_equal(store_token_add(s2, h, "n", "o", 1, 2), 0);
	assert_int_equal(store_changed(s2), 0);
	assert_int_equal(store_changed(f->s), 1);
	store_close(s2);
}

#ifndef BENCH_N			/* -DBENCH_N=... for a longer run */
#define BENCH_N		100000
#endif
#ifndef BENCH_BATCH
#define BENCH_BATCH	2000
#endif

static void
test_bench_insert(void **state)
{
	struct store_fx		*f = *state;
	struct store_event	*evs;
	struct timespec		 t0, t1;
	char			 body[512];
	size_t			 i, j, n, total = 0;
	int64_t			 r[4];
	double			 secs;
	int			 len;

	for (i = 0; i < 4; i++)
		r[i] = mkagent(f->s, (int)i + 1, "bench", "o", (int64_t)i);
	/* a typical flow record, ~350 bytes */
	len = snprintf(body, sizeof(body), "{\"timestamp\":\"2026-11-25T11:30:"
	    "17.123456+0000\",\"event_type\":\"flow\",\"src_ip\":\"10.1.2.3\","
	    "\"src_port\":51234,\"dest_ip\":\"192.0.2.44\",\"dest_port\":443,"
	    "\"proto\":\"TCP\",\"app_proto\":\"tls\",\"flow\":{\"pkts_toserver"
	    "\":12,\"pkts_toclient\":10,\"bytes_toserver\":1834,"
	    "\"bytes_toclient\":5123,\"start\":\"2026-11-25T11:30:12.000000+"
	    "0000\",\"end\":\"2026-11-25T11:30:17.000000+0000\",\"age\":5,"
	    "\"state\":\"closed\",\"reason\":\"timeout\",\"alerted\":false}}");
	assert_true(len > 0 && (size_t)len < sizeof(body));
	evs = calloc(BENCH_BATCH, sizeof(*evs));
	assert_non_null(evs);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < BENCH_N; i += BENCH_BATCH) {
		for (j = 0; j < BENCH_BATCH; j++) {
			size_t	k = i + j;

			evs[j].agent_rowid = r[k % 4];
			evs[j].seq = k / 4 + 1;
			evs[j].ts_us = 1764070217000000LL + (int64_t)k * 20;
			evs[j].type = types[k % 7 == 0 ? 0 : 1 + k % 3];
			evs[j].severity = k % 7 == 0 ? 2 : 0;
			evs[j].json = body;
			evs[j].len = (size_t)len;
		}
		assert_int_equal(store_events_insert(f->s, evs, BENCH_BATCH,
		    &n), 0);
		total += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(total, BENCH_N);
	expect_counts(f->s, r[0], BENCH_N / 4, BENCH_N / 4);
	print_message("store bench: %d events in batches of %d: %.3f s, "
	    "%.0f events/s\n", BENCH_N, BENCH_BATCH, secs,
	    (double)BENCH_N / secs);
	free(evs);
}

/*
 * Retention against a naive model: 3,000 events of two agents at random
 * times (some sharing a time), 300 of the old ones linked to incidents.
 * Purging in steps of 64 deletes exactly the unlinked events before the
 * cutoff and nothing else, 64 at most a step; the steps end (the cursor
 * moves past linked rows), and a later call with the same cutoff finds
 * nothing. The writer's transaction is joined.
 */
static int
count_rows(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;
	int		 n;

	assert_int_equal(sqlite3_prepare_v2(db_sqlite(store_db(s)), sql, -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_events_purge(void **state)
{
	struct store_fx		*f = *state;
	struct store_event	*evs;
	struct store_cursor	 cur = { INT64_MIN, 0 };
	struct incident_new	 in = { "old", "malware", SEV_HIGH, 0, 0, 0 };
	int64_t			*ids, a, b, inc, cut = 500 * 1000000LL;
	uint64_t		 n, total = 0;
	size_t			 i, k, nev = 3000, ins;
	int			 more = 1, steps = 0, linked = 0, keep = 0;
	char			*linkmap;
	uint64_t		 rng = 0x1234567;

	a = mkagent(f->s, 1, "pc1", "xa", 1);
	b = mkagent(f->s, 2, "pc2", "xa", 1);
	evs = calloc(nev, sizeof(*evs));
	ids = calloc(nev, sizeof(*ids));
	linkmap = calloc(nev, 1);
	assert_non_null(evs);
	assert_non_null(ids);
	assert_non_null(linkmap);
	for (i = 0; i < nev; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		evs[i].agent_rowid = i % 2 ? a : b;
		evs[i].seq = i + 1;
		/* 0..999 s, a tenth of them on whole seconds shared */
		evs[i].ts_us = (int64_t)(rng % 1000) * 1000000 +
		    (rng % 10 == 0 ? 0 : (int64_t)(rng >> 40) % 1000000);
		evs[i].type = "alert";
		evs[i].json = "{}";
		evs[i].len = 2;
	}
	assert_int_equal(store_events_insert_ids(f->s, evs, nev, &ins, ids), 0);
	assert_int_equal(ins, nev);
	assert_int_equal(incident_open(f->s, &inc, &in, "test", 1000), 0);
	for (i = 0, k = 0; i < nev; i++) {
		if (evs[i].ts_us < cut && k++ % 4 == 0 && linked < 300) {
			assert_int_equal(incident_link_event(f->s, inc, ids[i],
			    "test", 1000), 0);
			linkmap[i] = 1;
			linked++;
		}
		if (evs[i].ts_us >= cut || linkmap[i])
			keep++;
	}
	assert_int_equal(linked, 300);
	while (more) {
		assert_int_equal(store_events_purge(f->s, cut, 64, &cur, &n,
		    &more), 0);
		assert_true(n <= 64);
		total += n;
		assert_true(++steps < 1000);
	}
	assert_int_equal(total, nev - (size_t)keep);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM events"),
	    keep);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM events"
	    " WHERE ts < 500000000 AND id NOT IN (SELECT event FROM"
	    " incident_events)"), 0);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM"
	    " incident_events ie JOIN events e ON e.id = ie.event"), 300);
	/* caught up: nothing more, and the looks stay short */
	assert_int_equal(store_events_purge(f->s, cut, 64, &cur, &n, &more),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(more, 0);
	/* inside a caller's transaction: joined, rolled back with it */
	cur.ts = INT64_MIN;
	cur.id = 0;
	assert_int_equal(db_begin(store_db(f->s), DB_IMMEDIATE), 0);
	assert_int_equal(store_events_purge(f->s, 2000 * 1000000LL, 100000,
	    &cur, &n, &more), 0);
	assert_int_equal(n, (uint64_t)(keep - 300));
	assert_int_equal(db_end(store_db(f->s), ERR_IO), ERR_IO);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM events"),
	    keep);
	assert_int_equal(store_events_purge(f->s, cut, 0, &cur, &n, &more),
	    ERR_USAGE);
	free(linkmap);
	free(ids);
	free(evs);
}

/* The columns of index name, joined with ',' ("ts,agent"). */
static void
index_cols(const char *path, const char *name, char *out, size_t len)
{
	sqlite3		*db;
	sqlite3_stmt	*q;
	char		 sql[128];

	out[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT group_concat(name, ',') FROM"
	    " (SELECT name FROM pragma_index_info('%s') ORDER BY seqno)", name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	if (sqlite3_column_text(q, 0) != NULL)
		snprintf(out, len, "%s", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* A store of version 6 (events_ts on ts alone) is upgraded in place to
 * 7: the index is (ts, agent), every event is still there and found in
 * time order. */
static void
test_upgrade_7(void **state)
{
	struct store_fx		*f = *state;
	struct store_event	 ev[300];
	struct store_query	 q = { .since_us = 100 * 1000000LL };
	int64_t			 a;
	uint64_t		 n;
	size_t			 i, ins;
	char			 cols[64], json[] = "{\"x\":1}";

	a = mkagent(f->s, 1, "pc", "office", 1);
	for (i = 0; i < 300; i++)
		ev[i] = (struct store_event){ .agent_rowid = a, .seq = i + 1,
		    .ts_us = (int64_t)(300 - i) * 1000000, .type = "test",
		    .json = json, .len = strlen(json) };
	assert_int_equal(store_events_insert(f->s, ev, 300, &ins), 0);
	store_close(f->s);
	f->s = NULL;
	raw_exec(f->tf.path, "DROP INDEX events_ts;"
	    " CREATE INDEX events_ts ON events(ts); PRAGMA user_version = 6");
	index_cols(f->tf.path, "events_ts", cols, sizeof(cols));
	assert_string_equal(cols, "ts");
	assert_int_equal(store_open(&f->s, f->tf.path), 0);
	index_cols(f->tf.path, "events_ts", cols, sizeof(cols));
	assert_string_equal(cols, "ts,agent");
	assert_int_equal(store_events_count(f->s, &q, &n), 0);
	assert_int_equal(n, 201);	/* ts 100 .. 300 */
	q.since_us = 0;
	assert_int_equal(store_events_count(f->s, &q, &n), 0);
	assert_int_equal(n, 300);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, store_setup, \
		    store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_mode_schema),
		T(test_reopen_persists),
		T(test_upgrade_6_8),
		T(test_tokens),
		T(test_token_race),
		T(test_agents),
		T(test_agent_name_and_revoke),
		T(test_seen),
		T(test_heartbeat_each),
		T(test_events_duplicates),
		T(test_events_own),
		T(test_events_query),
		T(test_changed),
		T(test_events_purge),
		T(test_bench_insert),
		T(test_upgrade_7),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
