/*
 * test_spool.c: the spool's contract, checked against real files.
 *
 * Each test gets a fresh directory under $VIGIL_TEST_TMP (or /tmp). Most
 * tests check behaviour through the API and then the invariants directly
 * in the file (bytes = SUM(length(body)), depth = COUNT(*)). test_model
 * replays seeded random appends, acks, bound changes and reopens against
 * a naive in-memory spool and compares everything after every step.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "err.h"
#include "log.h"
#include "raw_sql.h"
#include "spool.h"
#include "testutil.h"

/* Helpers. */

#define EV(t, p, s)	{ .type = (t), .prio = (p), .json = (s), \
			  .len = strlen(s) }

static void
append1(struct spool *s, const char *type, int prio, const char *json,
    uint64_t *seq, uint64_t *dropped)
{
	struct spool_in	ev = EV(type, prio, json);

	assert_int_equal(spool_append(s, &ev, 1, seq, dropped), 0);
}

/* An event of exactly len bytes; the content depends on id. */
static char *
body(unsigned id, size_t len)
{
	char	*b;
	size_t	 i;

	assert_non_null(b = malloc(len + 1));
	for (i = 0; i < len; i++)
		b[i] = (char)('a' + (id * 31 + i * 7) % 26);
	b[len] = '\0';
	return b;
}

struct got {
	size_t		 n;
	uint64_t	 seq[4096];
	char		*json[4096];
	int		 stop_at;	/* cb returns 7 on this call, 0 never */
};

static int
got_cb(void *arg, uint64_t seq, const char *json, size_t len)
{
	struct got	*g = arg;

	if (g->stop_at != 0 && (size_t)g->stop_at == g->n + 1)
		return 7;
	assert_true(g->n < 4096);
	assert_int_equal(strlen(json), len);	/* NUL-terminated, no NULs */
	g->seq[g->n] = seq;
	assert_non_null(g->json[g->n] = strndup(json, len));
	g->n++;
	return 0;
}

static void
got_free(struct got *g)
{
	size_t	i;

	for (i = 0; i < g->n; i++)
		free(g->json[i]);
	memset(g, 0, sizeof(*g));
}

static void
read_all(struct spool *s, struct got *g)
{
	size_t	n;

	memset(g, 0, sizeof(*g));
	assert_int_equal(spool_read(s, 0, SIZE_MAX, SIZE_MAX, got_cb, g, &n),
	    0);
	assert_int_equal(n, g->n);
}

static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The stored counters agree with the rows they count. */
static void
check_invariants(struct spool *s, const char *path)
{
	struct spool_stats	st;

	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.bytes, raw_int(path,
	    "SELECT ifnull(sum(length(body)), 0) FROM events"));
	assert_int_equal(st.depth, raw_int(path,
	    "SELECT count(*) FROM events"));
	assert_true(st.last_seq >= (uint64_t)raw_int(path,
	    "SELECT ifnull(max(seq), 0) FROM events"));
	assert_true(st.acked_seq <= st.last_seq);
	assert_int_equal(st.dropped, raw_int(path,
	    "SELECT ifnull(sum(n), 0) FROM drops"));
}

struct drops {
	size_t		 n;
	char		 type[16][32];
	uint64_t	 count[16];
	int		 stop_at;
};

static int
drops_cb(void *arg, const char *type, uint64_t n)
{
	struct drops	*d = arg;

	if (d->stop_at != 0 && (size_t)d->stop_at == d->n + 1)
		return 9;
	assert_true(d->n < 16);
	snprintf(d->type[d->n], sizeof(d->type[0]), "%s", type);
	d->count[d->n++] = n;
	return 0;
}

static uint64_t
drops_of(struct spool *s, const char *type)
{
	struct drops	d;
	size_t		i;

	memset(&d, 0, sizeof(d));
	assert_int_equal(spool_drops(s, drops_cb, &d), 0);
	for (i = 0; i < d.n; i++)
		if (strcmp(d.type[i], type) == 0)
			return d.count[i];
	return 0;
}

/* Tests. */

static void
test_append_read_order(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_in		 evs[3] = { EV("dns", 1, "{\"a\":1}"),
				    EV("flow", 2, "{\"b\":22}"),
				    EV("dns", 0, "{\"c\":333}") };
	struct spool_stats	 st;
	struct got		 g;
	uint64_t		 first, dropped;

	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, 0);
	assert_int_equal(st.last_seq, 0);
	assert_int_equal(st.max_bytes, SPOOL_DEFAULT_MAX);

	assert_int_equal(spool_append(s, evs, 3, &first, &dropped), 0);
	assert_int_equal(first, 1);
	assert_int_equal(dropped, 0);
	append1(s, "alert", 3, "{\"d\":4}", &first, NULL);
	assert_int_equal(first, 4);

	read_all(s, &g);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.seq[0], 1);
	assert_string_equal(g.json[0], "{\"a\":1}");
	assert_int_equal(g.seq[1], 2);
	assert_string_equal(g.json[1], "{\"b\":22}");
	assert_int_equal(g.seq[2], 3);
	assert_string_equal(g.json[2], "{\"c\":333}");
	assert_int_equal(g.seq[3], 4);
	assert_string_equal(g.json[3], "{\"d\":4}");
	got_free(&g);

	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, 4);
	assert_int_equal(st.bytes, 7 + 8 + 9 + 7);
	assert_int_equal(st.last_seq, 4);
	assert_int_equal(st.acked_seq, 0);
	assert_int_equal(st.dropped, 0);
	check_invariants(s, fx->path);
	spool_close(s);
}

static void
test_usage(void **state)
{
	struct tmpfile	*fx = *state;
	struct spool	*s;
	struct spool_in	 ev = EV("dns", 1, "{}");
	uint64_t	 first = 99, dropped = 99;
	char		*v = (char *)1;

	spool_close(NULL);
	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	assert_int_equal(spool_append(s, NULL, 0, &first, &dropped), 0);
	assert_int_equal(first, 0);
	assert_int_equal(dropped, 0);
	assert_int_equal(spool_append(s, NULL, 1, NULL, NULL), ERR_USAGE);
	ev.type = NULL;
	assert_int_equal(spool_append(s, &ev, 1, NULL, NULL), ERR_USAGE);
	ev.type = "dns";
	ev.json = NULL;
	assert_int_equal(spool_append(s, &ev, 1, NULL, NULL), ERR_USAGE);
	assert_int_equal(spool_meta_set(s, NULL, "x"), ERR_USAGE);
	assert_int_equal(spool_meta_set(s, "x", NULL), ERR_USAGE);
	assert_int_equal(spool_meta_get(s, NULL, &v), ERR_USAGE);
	assert_null(v);

	/* an empty event is stored, and read back as "" */
	ev.json = "";
	ev.len = 0;
	assert_int_equal(spool_append(s, &ev, 1, &first, NULL), 0);
	assert_int_equal(first, 1);
	check_invariants(s, fx->path);
	spool_close(s);
}

static void
test_seq_no_reuse(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_stats	 st;
	uint64_t		 seq;

	assert_int_equal(spool_open(&s, fx->path, 100), 0);
	append1(s, "dns", 1, "{\"x\":1}", &seq, NULL);
	append1(s, "dns", 1, "{\"x\":2}", &seq, NULL);
	append1(s, "dns", 1, "{\"x\":3}", &seq, NULL);
	assert_int_equal(seq, 3);
	assert_int_equal(spool_ack(s, 3), 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, 0);
	assert_int_equal(st.last_seq, 3);
	append1(s, "dns", 1, "{\"x\":4}", &seq, NULL);
	assert_int_equal(seq, 4);
	assert_int_equal(spool_ack(s, 4), 0);
	spool_close(s);

	/* an empty spool after a restart still continues the numbering */
	assert_int_equal(spool_open(&s, fx->path, 100), 0);
	append1(s, "dns", 0, "{\"x\":5}", &seq, NULL);
	assert_int_equal(seq, 5);

	/* the newest row evicted: its number is not handed out again */
	{
		char	*big = body(1, 95);

		append1(s, "alert", 9, big, &seq, NULL);
		free(big);
	}
	assert_int_equal(seq, 6);
	assert_int_equal(drops_of(s, "dns"), 1);
	assert_int_equal(spool_ack(s, 6), 0);
	append1(s, "dns", 0, "{\"x\":7}", &seq, NULL);
	assert_int_equal(seq, 7);
	check_invariants(s, fx->path);
	spool_close(s);
}

static void
test_ack(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_stats	 st;
	struct got		 g;
	size_t			 i;
	char			 j[32];

	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	for (i = 1; i <= 10; i++) {
		snprintf(j, sizeof(j), "{\"i\":%zu}", i);
		append1(s, "flow", 1, j, NULL, NULL);
	}
	assert_int_equal(spool_ack(s, 0), 0);
	assert_int_equal(spool_ack(s, 4), 0);
	read_all(s, &g);
	assert_int_equal(g.n, 6);
	assert_int_equal(g.seq[0], 5);
	got_free(&g);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.acked_seq, 4);
	assert_int_equal(st.depth, 6);

	/* monotonic: a lower ack deletes nothing more and keeps acked_seq */
	assert_int_equal(spool_ack(s, 2), 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.acked_seq, 4);
	assert_int_equal(st.depth, 6);

	/* beyond the last number: refused, nothing changes */
	assert_int_equal(spool_ack(s, 11), ERR_MALFORMED);
	assert_int_equal(spool_ack(s, UINT64_MAX), ERR_MALFORMED);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.acked_seq, 4);
	assert_int_equal(st.depth, 6);

	assert_int_equal(spool_ack(s, 7), 0);
	check_invariants(s, fx->path);
	spool_close(s);

	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.acked_seq, 7);
	assert_int_equal(st.depth, 3);
	assert_int_equal(st.last_seq, 10);
	read_all(s, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.seq[0], 8);
	assert_string_equal(g.json[0], "{\"i\":8}");
	got_free(&g);
	assert_int_equal(spool_ack(s, 10), 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, 0);
	assert_int_equal(st.bytes, 0);
	spool_close(s);
}

static void
test_reopen_keeps_state(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_stats	 a, b;
	char			*big = body(2, 60);

	assert_int_equal(spool_open(&s, fx->path, 100), 0);
	append1(s, "dns", 1, big, NULL, NULL);
	append1(s, "dns", 1, big, NULL, NULL);	/* dropped: same prio */
	append1(s, "flow", 1, "{\"f\":1}", NULL, NULL);
	assert_int_equal(spool_meta_set(s, "link", "up"), 0);
	assert_int_equal(spool_stats(s, &a), 0);
	spool_close(s);

	assert_int_equal(spool_open(&s, fx->path, 100), 0);
	assert_int_equal(spool_stats(s, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(b.depth, 2);
	assert_int_equal(b.bytes, 67);
	assert_int_equal(b.dropped, 1);
	assert_int_equal(drops_of(s, "dns"), 1);
	{
		char	*v;

		assert_int_equal(spool_meta_get(s, "link", &v), 0);
		assert_string_equal(v, "up");
		free(v);
	}
	check_invariants(s, fx->path);
	spool_close(s);
	free(big);
}

static void
test_evict_order(void **state)
{
	struct tmpfile	*fx = *state;
	struct spool	*s;
	struct got	 g;
	char		*b10[6];
	uint64_t	 seq, dropped;
	size_t		 i;

	for (i = 0; i < 6; i++)
		b10[i] = body((unsigned)i, 10);
	assert_int_equal(spool_open(&s, fx->path, 50), 0);
	append1(s, "p2", 2, b10[0], NULL, NULL);	/* 1 */
	append1(s, "p1", 1, b10[1], NULL, NULL);	/* 2 */
	append1(s, "p3", 3, b10[2], NULL, NULL);	/* 3 */
	append1(s, "p1", 1, b10[3], NULL, NULL);	/* 4 */
	append1(s, "p2", 2, b10[4], NULL, NULL);	/* 5: full */

	/* prio 3 evicts the oldest prio 1 first */
	append1(s, "p3", 3, b10[5], &seq, &dropped);
	assert_int_equal(seq, 6);
	assert_int_equal(dropped, 1);
	read_all(s, &g);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.seq[0], 1);
	assert_int_equal(g.seq[1], 3);
	assert_int_equal(g.seq[2], 4);
	got_free(&g);

	/* then the other prio 1, then the oldest prio 2 */
	append1(s, "p3", 3, "0123456789abcdefghij", &seq, &dropped);
	assert_int_equal(seq, 7);
	assert_int_equal(dropped, 2);
	read_all(s, &g);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.seq[0], 3);
	assert_int_equal(g.seq[1], 5);
	assert_int_equal(g.seq[2], 6);
	assert_int_equal(g.seq[3], 7);
	got_free(&g);
	assert_int_equal(drops_of(s, "p1"), 2);
	assert_int_equal(drops_of(s, "p2"), 1);
	assert_int_equal(drops_of(s, "p3"), 0);
	check_invariants(s, fx->path);
	spool_close(s);
	for (i = 0; i < 6; i++)
		free(b10[i]);
}

static void
test_drop_new(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_stats	 st;
	char			*b10 = body(3, 10), *b30 = body(4, 30);
	uint64_t		 seq, dropped;

	assert_int_equal(spool_open(&s, fx->path, 30), 0);
	append1(s, "hi", 5, b10, NULL, NULL);
	append1(s, "hi", 5, b10, NULL, NULL);
	append1(s, "hi", 5, b10, NULL, NULL);

	/* lower than everything stored: the new one goes */
	append1(s, "lo", 1, b10, &seq, &dropped);
	assert_int_equal(seq, 0);
	assert_int_equal(dropped, 1);
	/* equal to the lowest stored: the new one goes too */
	append1(s, "hi", 5, b10, &seq, &dropped);
	assert_int_equal(seq, 0);
	assert_int_equal(dropped, 1);
	assert_int_equal(drops_of(s, "lo"), 1);
	assert_int_equal(drops_of(s, "hi"), 1);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, 3);
	assert_int_equal(st.last_seq, 3);

	/* mixed: prio 1 (10 bytes) and prio 5 (10 bytes) stored, and a prio
	 * 3 event of 30 bytes would need both gone. Evicting the prio 1 one
	 * would not make room, so only the new event is dropped. */
	assert_int_equal(spool_ack(s, 3), 0);
	append1(s, "lo", 1, b10, NULL, NULL);
	append1(s, "hi", 5, b10, NULL, NULL);
	append1(s, "mid", 3, b30, &seq, &dropped);
	assert_int_equal(seq, 0);
	assert_int_equal(dropped, 1);
	assert_int_equal(drops_of(s, "mid"), 1);
	assert_int_equal(drops_of(s, "lo"), 1);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, 2);
	check_invariants(s, fx->path);
	spool_close(s);
	free(b10);
	free(b30);
}

static void
test_oversized(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_stats	 st;
	char			*b41 = body(5, 41), *b40 = body(6, 40);
	struct spool_in		 evs[3] = { EV("small", 1, "{}"),
				    EV("huge", 9, b41), EV("small", 1, "{}") };
	uint64_t		 first, dropped;

	assert_int_equal(spool_open(&s, fx->path, 40), 0);
	assert_int_equal(spool_append(s, evs, 3, &first, &dropped), 0);
	assert_int_equal(first, 1);
	assert_int_equal(dropped, 1);
	assert_int_equal(drops_of(s, "huge"), 1);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, 2);
	assert_int_equal(st.last_seq, 2);	/* the dropped one took none */
	assert_int_equal(st.dropped, 1);

	/* exactly max_bytes fits, evicting the rest */
	append1(s, "exact", 9, b40, &first, &dropped);
	assert_int_equal(first, 3);
	assert_int_equal(dropped, 2);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.bytes, 40);
	assert_int_equal(st.dropped, 3);

	/* a smaller bound later does not evict until the next append */
	spool_set_max(s, 10);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.max_bytes, 10);
	assert_int_equal(st.bytes, 40);
	append1(s, "small", 10, "{}", &first, &dropped);
	assert_int_equal(first, 4);
	assert_int_equal(dropped, 1);
	assert_int_equal(drops_of(s, "exact"), 1);
	spool_set_max(s, 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.max_bytes, SPOOL_DEFAULT_MAX);
	check_invariants(s, fx->path);
	spool_close(s);
	free(b41);
	free(b40);
}

static void
test_drops_by_type(void **state)
{
	struct tmpfile	*fx = *state;
	struct spool	*s;
	struct drops	 d;
	char		*big = body(7, 11);
	struct spool_in	 evs[6] = { EV("zeta", 1, big), EV("alpha", 1, big),
			    EV("zeta", 1, big), EV("mid", 1, big),
			    EV("zeta", 1, big), EV("alpha", 1, big) };
	uint64_t	 dropped;

	assert_int_equal(spool_open(&s, fx->path, 10), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(spool_drops(s, drops_cb, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(spool_append(s, evs, 6, NULL, &dropped), 0);
	assert_int_equal(dropped, 6);
	assert_int_equal(spool_drops(s, drops_cb, &d), 0);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.type[0], "alpha");
	assert_int_equal(d.count[0], 2);
	assert_string_equal(d.type[1], "mid");
	assert_int_equal(d.count[1], 1);
	assert_string_equal(d.type[2], "zeta");
	assert_int_equal(d.count[2], 3);

	memset(&d, 0, sizeof(d));
	d.stop_at = 2;
	assert_int_equal(spool_drops(s, drops_cb, &d), 9);
	assert_int_equal(d.n, 1);
	/* the stopped statement was reset: a full pass works again */
	memset(&d, 0, sizeof(d));
	assert_int_equal(spool_drops(s, drops_cb, &d), 0);
	assert_int_equal(d.n, 3);
	spool_close(s);
	free(big);
}

static void
test_meta(void **state)
{
	struct tmpfile	*fx = *state;
	struct spool	*s;
	char		*v = (char *)1;

	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	assert_int_equal(spool_meta_get(s, "enrolled", &v), ERR_NOTFOUND);
	assert_null(v);
	assert_int_equal(spool_meta_set(s, "enrolled", "no"), 0);
	assert_int_equal(spool_meta_set(s, "enrolled", "yes"), 0);
	assert_int_equal(spool_meta_set(s, "empty", ""), 0);
	assert_int_equal(spool_meta_get(s, "enrolled", &v), 0);
	assert_string_equal(v, "yes");
	free(v);
	assert_int_equal(spool_meta_get(s, "empty", &v), 0);
	assert_string_equal(v, "");
	free(v);
	/* meta keys cannot reach the counters */
	assert_int_equal(spool_meta_set(s, "last_seq", "0"), 0);
	append1(s, "dns", 1, "{}", NULL, NULL);
	assert_int_equal(spool_meta_set(s, "acked_seq", "999"), 0);
	{
		struct spool_stats	st;

		assert_int_equal(spool_stats(s, &st), 0);
		assert_int_equal(st.last_seq, 1);
		assert_int_equal(st.acked_seq, 0);
	}
	spool_close(s);
	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	assert_int_equal(spool_meta_get(s, "enrolled", &v), 0);
	assert_string_equal(v, "yes");
	free(v);
	spool_close(s);
}

/* `vigil-agent status` and `emit` open the spool while the daemon may be
 * inside a write transaction: opening does not wait for it (it used to
 * take the write lock to check the schema: a 10 s wait, then ERR_IO). */
static void
test_open_beside_writer(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_stats	 st;
	sqlite3			*w;
	time_t			 t0;

	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	append1(s, "dns", 1, "{}", NULL, NULL);
	spool_close(s);
	assert_int_equal(sqlite3_open(fx->path, &w), SQLITE_OK);
	assert_int_equal(sqlite3_exec(w, "BEGIN IMMEDIATE; DELETE FROM events",
	    NULL, NULL, NULL), SQLITE_OK);
	t0 = time(NULL);
	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_true(time(NULL) - t0 < 5);
	assert_int_equal(st.depth, 1);		/* the last commit */
	spool_close(s);
	assert_int_equal(sqlite3_exec(w, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(w);
}

static void
test_changed(void **state)
{
	struct tmpfile	*fx = *state;
	struct spool	*a, *b;

	assert_int_equal(spool_open(&a, fx->path, 0), 0);
	assert_int_equal(spool_open(&b, fx->path, 0), 0);
	assert_int_equal(spool_changed(a), 0);
	assert_int_equal(spool_changed(b), 0);

	append1(b, "dns", 1, "{}", NULL, NULL);
	assert_int_equal(spool_changed(a), 1);
	assert_int_equal(spool_changed(a), 0);
	assert_int_equal(spool_changed(b), 0);	/* its own commit */

	append1(a, "dns", 1, "{}", NULL, NULL);
	assert_int_equal(spool_changed(a), 0);
	assert_int_equal(spool_changed(b), 1);

	assert_int_equal(spool_meta_set(b, "k", "v"), 0);
	assert_int_equal(spool_ack(b, 1), 0);
	assert_int_equal(spool_changed(a), 1);
	assert_int_equal(spool_changed(a), 0);

	/* a failed write, or one with nothing to do, changes nothing */
	assert_int_equal(spool_ack(b, 100), ERR_MALFORMED);
	assert_int_equal(spool_ack(b, 1), 0);
	assert_int_equal(spool_changed(a), 0);
	spool_close(a);
	spool_close(b);
}

static void
test_two_handles(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*h[2];
	struct spool_stats	 sa, sb;
	struct spool_in		 evs[4];
	char			*bodies[8];
	uint64_t		 first, prev = 0, dropped, total_dropped = 0;
	size_t			 i, k;

	for (i = 0; i < 8; i++)
		bodies[i] = body((unsigned)i, 5 + i * 3);
	assert_int_equal(spool_open(&h[0], fx->path, 400), 0);
	assert_int_equal(spool_open(&h[1], fx->path, 400), 0);
	for (i = 0; i < 200; i++) {
		for (k = 0; k < 4; k++) {
			evs[k].type = (k & 1) ? "odd" : "even";
			evs[k].prio = (int)((i + k) % 3);
			evs[k].json = bodies[(i * 4 + k) % 8];
			evs[k].len = strlen(evs[k].json);
		}
		assert_int_equal(spool_append(h[i % 2], evs, 4, &first,
		    &dropped), 0);
		total_dropped += dropped;
		if (first != 0) {
			assert_true(first > prev);
			prev = first;
		}
		if (i % 17 == 0)
			assert_int_equal(spool_ack(h[(i + 1) % 2], prev), 0);
	}
	assert_int_equal(spool_stats(h[0], &sa), 0);
	assert_int_equal(spool_stats(h[1], &sb), 0);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	assert_true(sa.bytes <= 400);
	assert_true(total_dropped > 0);
	check_invariants(h[0], fx->path);
	spool_close(h[0]);
	spool_close(h[1]);
	for (i = 0; i < 8; i++)
		free(bodies[i]);
}

/* Separate processes appending to one file at once. */
#define NCHILD		4
#define CHILD_BATCHES	40
#define CHILD_BATCH	10

static int
child_run(const char *path, int id)
{
	struct spool	*s;
	struct spool_in	 evs[CHILD_BATCH];
	char		 j[CHILD_BATCH][64];
	uint64_t	 first, prev = 0;
	int		 i, k;

	if (spool_open(&s, path, 3000) != 0)
		return 1;
	for (i = 0; i < CHILD_BATCHES; i++) {
		for (k = 0; k < CHILD_BATCH; k++) {
			snprintf(j[k], sizeof(j[k]), "{\"child\":%d,\"i\":%d,"
			    "\"k\":%d}", id, i, k);
			evs[k].type = "child";
			evs[k].prio = (i + k + id) % 4;
			evs[k].json = j[k];
			evs[k].len = strlen(j[k]);
		}
		if (spool_append(s, evs, CHILD_BATCH, &first, NULL) != 0)
			return 2;
		if (first != 0 && first <= prev)
			return 3;
		if (first != 0)
			prev = first;
	}
	spool_close(s);
	return 0;
}

static void
test_processes(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_stats	 st;
	pid_t			 pid[NCHILD];
	int			 i, status;

	/* created first, so the children race only on appends */
	assert_int_equal(spool_open(&s, fx->path, 3000), 0);
	spool_close(s);
	for (i = 0; i < NCHILD; i++) {
		assert_true((pid[i] = fork()) != -1);
		if (pid[i] == 0)
			_exit(child_run(fx->path, i));
	}
	for (i = 0; i < NCHILD; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(spool_open(&s, fx->path, 3000), 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_true(st.bytes <= 3000);
	/* every event was stored or counted, none twice */
	assert_int_equal(st.dropped + st.depth,
	    NCHILD * CHILD_BATCHES * CHILD_BATCH);
	assert_true(st.last_seq >= st.depth);
	assert_true(st.last_seq <= NCHILD * CHILD_BATCHES * CHILD_BATCH);
	check_invariants(s, fx->path);
	spool_close(s);
}

static void
test_read_limits(void **state)
{
	struct tmpfile	*fx = *state;
	struct spool	*s;
	struct got	 g;
	char		*b10 = body(8, 10), *b50 = body(9, 50);
	size_t		 i, n;

	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(spool_read(s, 0, 10, 100, got_cb, &g, &n), 0);
	assert_int_equal(n, 0);
	append1(s, "big", 1, b50, NULL, NULL);
	for (i = 0; i < 5; i++)
		append1(s, "t", 1, b10, NULL, NULL);

	/* the first event passes whatever its size */
	assert_int_equal(spool_read(s, 0, 10, 5, got_cb, &g, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g.seq[0], 1);
	got_free(&g);
	assert_int_equal(spool_read(s, 0, 10, 0, got_cb, &g, &n), 0);
	assert_int_equal(n, 1);
	got_free(&g);

	/* never more than max_bytes after the first */
	assert_int_equal(spool_read(s, 1, 10, 25, got_cb, &g, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(g.seq[0], 2);
	assert_int_equal(g.seq[1], 3);
	got_free(&g);
	assert_int_equal(spool_read(s, 1, 10, 30, got_cb, &g, &n), 0);
	assert_int_equal(n, 3);
	got_free(&g);

	/* max */
	assert_int_equal(spool_read(s, 0, 4, SIZE_MAX, got_cb, &g, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(g.seq[3], 4);
	got_free(&g);
	assert_int_equal(spool_read(s, 0, 0, SIZE_MAX, got_cb, &g, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(spool_read(s, 6, 10, SIZE_MAX, got_cb, &g, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(spool_read(s, UINT64_MAX, 10, SIZE_MAX, got_cb, &g,
	    &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(spool_read(s, 0, 10, SIZE_MAX, got_cb, &g, NULL), 0);
	assert_int_equal(g.n, 6);
	got_free(&g);

	/* a non-zero return stops and is returned */
	g.stop_at = 3;
	assert_int_equal(spool_read(s, 0, 10, SIZE_MAX, got_cb, &g, &n), 7);
	assert_int_equal(n, 2);
	got_free(&g);
	/* and the read statement was reset: the next read starts afresh */
	assert_int_equal(spool_read(s, 0, 10, SIZE_MAX, got_cb, &g, &n), 0);
	assert_int_equal(n, 6);
	got_free(&g);
	spool_close(s);
	free(b10);
	free(b50);
}

static void
test_file_mode(void **state)
{
	struct tmpfile	*fx = *state;
	struct spool	*s;
	struct stat	 st;
	char		 wal[PATH_MAX + 8];
	mode_t		 old;
	int		 fd;

	old = umask(0);
	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	append1(s, "dns", 1, "{}", NULL, NULL);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	spool_close(s);
	assert_int_equal(unlink(fx->path), 0);

	/* an existing file that is too open is tightened */
	assert_true((fd = open(fx->path, O_CREAT | O_WRONLY, 0644)) != -1);
	close(fd);
	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	spool_close(s);
	umask(old);
}

static void
test_open_errors(void **state)
{
	struct tmpfile	*fx = *state;
	struct spool	*s = (struct spool *)1;
	char		 p[PATH_MAX + 16];
	int		 fd;

	snprintf(p, sizeof(p), "%s/no/such/dir", fx->dir.path);
	assert_int_equal(spool_open(&s, p, 0), ERR_IO);
	assert_null(s);

	snprintf(p, sizeof(p), "%s/garbage", fx->dir.path);
	assert_true((fd = open(p, O_CREAT | O_WRONLY, 0600)) != -1);
	{
		const char	*junk = "this is not a database, not at all,"
				    " and it is long enough for a header\n";

		assert_int_equal(write(fd, junk, strlen(junk)),
		    (ssize_t)strlen(junk));
	}
	close(fd);
	assert_int_equal(spool_open(&s, p, 0), ERR_IO);
	assert_null(s);

	/* a file from a newer vigil is left alone */
	raw_exec(fx->path, "PRAGMA user_version = 99");
	assert_int_equal(spool_open(&s, fx->path, 0), ERR_IO);
	assert_null(s);
}

/* A statement failing mid-append leaves nothing of that call behind. */
static void
test_atomic_failure(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_stats	 a, b;
	struct spool_in		 evs[3] = { EV("dns", 5, "{\"ok\":1}"),
				    EV("dns", 5, "{\"ok\":2}"),
				    EV("dns", 5, "{\"too big to fit\"}") };
	struct drops		 d;
	uint64_t		 first = 9, dropped = 9;

	assert_int_equal(spool_open(&s, fx->path, 16), 0);
	append1(s, "dns", 1, "{\"x\":1}", NULL, NULL);
	assert_int_equal(spool_stats(s, &a), 0);
	/* counting a drop will now fail */
	raw_exec(fx->path, "DROP TABLE drops");
	assert_int_equal(spool_append(s, evs, 3, &first, &dropped), ERR_IO);
	assert_int_equal(first, 0);
	assert_int_equal(dropped, 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM events"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT last_seq FROM state"), 1);
	memset(&d, 0, sizeof(d));
	assert_int_equal(spool_drops(s, drops_cb, &d), ERR_IO);
	assert_int_equal(spool_stats(s, &b), ERR_IO);

	/* the handle is still usable once the table is back */
	raw_exec(fx->path, "CREATE TABLE drops (type TEXT PRIMARY KEY,"
	    " n INTEGER NOT NULL)");
	assert_int_equal(spool_append(s, evs, 3, &first, &dropped), 0);
	assert_int_equal(first, 2);
	assert_int_equal(dropped, 2);	/* {"x":1} and the third */
	assert_int_equal(spool_stats(s, &b), 0);
	assert_int_equal(b.last_seq, 3);
	assert_int_equal(b.depth, 2);
	check_invariants(s, fx->path);
	spool_close(s);
}

/* Counters damaged behind the spool's back fail one call, then heal. */
static void
test_recount(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_stats	 st;
	uint64_t		 seq;

	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	append1(s, "dns", 1, "{\"a\":1}", NULL, NULL);
	append1(s, "dns", 1, "{\"a\":2}", NULL, NULL);
	append1(s, "dns", 1, "{\"a\":3}", NULL, NULL);

	/* last_seq behind the table: the insert collides once */
	raw_exec(fx->path, "UPDATE state SET last_seq = 1, depth = 0");
	{
		struct spool_in	ev = EV("dns", 1, "{\"a\":4}");

		assert_int_equal(spool_append(s, &ev, 1, &seq, NULL), ERR_IO);
	}
	append1(s, "dns", 1, "{\"a\":4}", &seq, NULL);
	assert_int_equal(seq, 4);
	check_invariants(s, fx->path);

	/* bytes below the truth: the ack that would underflow fails once */
	raw_exec(fx->path, "UPDATE state SET bytes = 3");
	assert_int_equal(spool_ack(s, 2), ERR_IO);
	assert_int_equal(spool_ack(s, 2), 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, 2);
	assert_int_equal(st.bytes, 14);
	assert_int_equal(st.acked_seq, 2);
	check_invariants(s, fx->path);

	raw_exec(fx->path, "DELETE FROM state");
	assert_int_equal(spool_ack(s, 3), ERR_IO);
	spool_close(s);
}

/* Drops are logged once per burst, not per event or per call. */
static void
drop_log_run(void *arg)
{
	struct tmpfile	*fx = arg;
	struct spool	*s;
	struct spool_in	 evs[50];
	size_t		 i;

	for (i = 0; i < 50; i++) {
		evs[i].type = "flood";
		evs[i].prio = 1;
		evs[i].json = "{\"0123456789\"}";
		evs[i].len = strlen(evs[i].json);
	}
	log_setlevel(LOG_LVL_INFO);
	assert_int_equal(spool_open(&s, fx->path, 100), 0);
	assert_int_equal(spool_append(s, evs, 50, NULL, NULL), 0); /* burst */
	assert_int_equal(spool_append(s, evs, 50, NULL, NULL), 0);
	assert_int_equal(spool_ack(s, 7), 0);
	assert_int_equal(spool_append(s, evs, 1, NULL, NULL), 0);  /* clean */
	assert_int_equal(spool_append(s, evs, 50, NULL, NULL), 0); /* burst */
	spool_close(s);
	log_setlevel(LOG_LVL_ERROR);
}

static void
test_drop_log(void **state)
{
	char	*buf, *q;
	int	 full = 0, again = 0;

	assert_non_null(buf = capture_stderr(drop_log_run, *state));
	for (q = buf; (q = strstr(q, "full at")) != NULL; q++)
		full++;
	for (q = buf; (q = strstr(q, "storing again")) != NULL; q++)
		again++;
	assert_int_equal(full, 2);
	assert_int_equal(again, 1);
	assert_non_null(strstr(buf, "dropped 43 new events"));
	free(buf);
}

/*
 * The time bounds hold for a normal build with room to spare (about 0.2 s
 * of CPU for 100,000 appends). Under ASan, SQLite's dozen mallocs per
 * insert go through the sanitizer's allocator and cost ten times as
 * much, so there the bounds only catch something quadratic.
 */
#if defined(__SANITIZE_ADDRESS__)
#define TIME_SCALE	5.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TIME_SCALE	5.0
#endif
#endif
#ifndef TIME_SCALE
#define TIME_SCALE	1.0
#endif

static double
clock_s(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

struct seqcheck {
	uint64_t	 next;
	size_t		 bytes;
};

static int
seqcheck_cb(void *arg, uint64_t seq, const char *json, size_t len)
{
	struct seqcheck	*c = arg;

	if (seq != c->next || len != 100 || json[0] != '{')
		return 1;
	c->next++;
	c->bytes += len;
	return 0;
}

#define BULK	100000

static void
test_bulk(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*s;
	struct spool_in		*evs;
	struct spool_stats	 st;
	struct seqcheck		 c = { 1, 0 };
	char			*j;
	uint64_t		 first, dropped;
	double			 t0, c0, t_app, c_app, t_read, t_all;
	size_t			 i, n;

	assert_non_null(j = malloc(BULK * 101));
	assert_non_null(evs = calloc(BULK, sizeof(*evs)));
	for (i = 0; i < BULK; i++) {
		snprintf(j + i * 101, 101, "{\"event_type\":\"flow\","
		    "\"i\":%08zu,\"pad\":\"%0*d\"}", i, 100 - 43, 0);
		evs[i].type = "flow";
		evs[i].prio = (int)(i % 4);
		evs[i].json = j + i * 101;
		evs[i].len = strlen(evs[i].json);
		assert_int_equal(evs[i].len, 100);
	}
	assert_int_equal(spool_open(&s, fx->path, 0), 0);
	t0 = now_s();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	assert_int_equal(spool_append(s, evs, BULK, &first, &dropped), 0);
	t_app = now_s() - t0;
	c_app = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	assert_int_equal(first, 1);
	assert_int_equal(dropped, 0);

	t0 = now_s();
	assert_int_equal(spool_read(s, 50000, 500, SIZE_MAX, seqcheck_cb,
	    &(struct seqcheck){ 50001, 0 }, &n), 0);
	t_read = now_s() - t0;
	assert_int_equal(n, 500);

	t0 = now_s();
	while (c.next <= BULK) {
		assert_int_equal(spool_read(s, c.next - 1, 500, 1 << 20,
		    seqcheck_cb, &c, &n), 0);
		assert_true(n > 0);
	}
	t_all = now_s() - t0;
	assert_int_equal(c.bytes, (size_t)BULK * 100);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, BULK);
	assert_int_equal(st.bytes, (uint64_t)BULK * 100);
	assert_int_equal(st.last_seq, BULK);
	print_message("bulk: %d appends in one call %.3f s (cpu %.3f s),"
	    " read 500 %.3f ms, read all in 500s %.3f s\n", BULK, t_app,
	    c_app, t_read * 1e3, t_all);
	assert_true(t_app < 2.0 * TIME_SCALE);
	assert_true(t_read < 0.05 * TIME_SCALE);

	/* a flood into the full spool evicts about one row per event */
	spool_set_max(s, (uint64_t)BULK * 100);
	for (i = 0; i < BULK; i++)
		evs[i].prio = 4;
	t0 = now_s();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	assert_int_equal(spool_append(s, evs, BULK, &first, &dropped), 0);
	t_app = now_s() - t0;
	c_app = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	assert_int_equal(first, BULK + 1);
	assert_int_equal(dropped, BULK);
	print_message("bulk: %d appends evicting one row each %.3f s"
	    " (cpu %.3f s)\n", BULK, t_app, c_app);
	assert_true(t_app < 4.0 * TIME_SCALE);
	check_invariants(s, fx->path);
	spool_close(s);
	free(evs);
	free(j);
}

/*
 * The naive model: events in seq order in an array, eviction by linear
 * search for the lowest (prio, seq), straight from the contract.
 */
#define M_TYPES		3
#define M_MAXEV		2048
#define M_STEPS		600	/* most steps commit, and commits fsync */

static const char *const m_type[M_TYPES] = { "alpha", "beta", "gamma" };

struct mev {
	uint64_t	 seq;
	int		 prio;
	int		 type;
	unsigned	 id;
	size_t		 len;
};

struct model {
	struct mev	 ev[M_MAXEV];
	size_t		 n;
	uint64_t	 bytes, max, last_seq, acked, drops[M_TYPES];
};

static size_t
m_lowest(const struct model *m)
{
	size_t	i, lo = 0;

	for (i = 1; i < m->n; i++)
		if (m->ev[i].prio < m->ev[lo].prio)
			lo = i;		/* ties: the earlier, so the older */
	return lo;
}

static void
m_append(struct model *m, const struct mev *e)
{
	uint64_t	lower = 0;
	size_t		i, lo;

	if (e->len > m->max) {
		m->drops[e->type]++;
		return;
	}
	for (i = 0; i < m->n; i++)
		if (m->ev[i].prio < e->prio)
			lower += m->ev[i].len;
	if (m->bytes + e->len > m->max && m->bytes - lower + e->len > m->max) {
		m->drops[e->type]++;
		return;
	}
	while (m->bytes + e->len > m->max) {
		lo = m_lowest(m);
		assert_true(m->ev[lo].prio < e->prio);
		m->drops[m->ev[lo].type]++;
		m->bytes -= m->ev[lo].len;
		memmove(&m->ev[lo], &m->ev[lo + 1],
		    (m->n - lo - 1) * sizeof(m->ev[0]));
		m->n--;
	}
	assert_true(m->n < M_MAXEV);
	m->ev[m->n] = *e;
	m->ev[m->n].seq = ++m->last_seq;
	m->bytes += e->len;
	m->n++;
}

static void
m_ack(struct model *m, uint64_t upto)
{
	size_t	i, k = 0;

	for (i = 0; i < m->n; i++) {
		if (m->ev[i].seq <= upto)
			m->bytes -= m->ev[i].len;
		else
			m->ev[k++] = m->ev[i];
	}
	m->n = k;
	if (upto > m->acked)
		m->acked = upto;
}

static uint64_t
m_dropped(const struct model *m)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < M_TYPES; i++)
		n += m->drops[i];
	return n;
}

static void
m_compare(struct model *m, struct spool *s)
{
	struct spool_stats	 st;
	struct got		 g;
	struct drops		 d;
	size_t			 i, k;
	char			*b;

	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, m->n);
	assert_int_equal(st.bytes, m->bytes);
	assert_int_equal(st.last_seq, m->last_seq);
	assert_int_equal(st.acked_seq, m->acked);
	assert_int_equal(st.max_bytes, m->max);
	read_all(s, &g);
	assert_int_equal(g.n, m->n);
	for (i = 0; i < m->n; i++) {
		assert_int_equal(g.seq[i], m->ev[i].seq);
		b = body(m->ev[i].id, m->ev[i].len);
		assert_string_equal(g.json[i], b);
		free(b);
	}
	got_free(&g);
	memset(&d, 0, sizeof(d));
	assert_int_equal(spool_drops(s, drops_cb, &d), 0);
	for (k = 0, i = 0; i < M_TYPES; i++) {
		if (m->drops[i] == 0)
			continue;
		assert_true(k < d.n);
		assert_string_equal(d.type[k], m_type[i]);
		assert_int_equal(d.count[k], m->drops[i]);
		k++;
	}
	assert_int_equal(k, d.n);
	assert_int_equal(st.dropped, m_dropped(m));
}

static void
model_run(const char *path, unsigned seed)
{
	struct model	*m;
	struct spool	*s;
	struct spool_in	 in[8];
	struct mev	 e[8];
	char		*b[8];
	unsigned	 id = 0;
	uint64_t	 first, dropped, ndrop, before, upto;
	size_t		 k, nb;
	int		 step, op;

	srandom(seed);
	assert_non_null(m = calloc(1, sizeof(*m)));
	m->max = 200;
	assert_int_equal(spool_open(&s, path, m->max), 0);
	for (step = 0; step < M_STEPS; step++) {
		op = (int)(random() % 100);
		if (op < 70) {
			nb = 1 + (size_t)random() % 8;
			before = m->last_seq;
			for (k = 0; k < nb; k++) {
				e[k].prio = (int)(random() % 4);
				e[k].type = (int)(random() % M_TYPES);
				e[k].id = id++;
				/* now and then longer than the bound */
				e[k].len = (size_t)random() % 60 +
				    (random() % 50 == 0 ? 200 : 0);
				b[k] = body(e[k].id, e[k].len);
				in[k].type = m_type[e[k].type];
				in[k].prio = e[k].prio;
				in[k].json = b[k];
				in[k].len = e[k].len;
			}
			ndrop = m_dropped(m);
			for (k = 0; k < nb; k++)
				m_append(m, &e[k]);
			ndrop = m_dropped(m) - ndrop;
			assert_int_equal(spool_append(s, in, nb, &first,
			    &dropped), 0);
			assert_int_equal(dropped, ndrop);
			assert_int_equal(first, m->last_seq == before ? 0 :
			    before + 1);
			for (k = 0; k < nb; k++)
				free(b[k]);
		} else if (op < 85) {
			upto = m->last_seq + 1 - (uint64_t)random() %
			    (m->last_seq + 2) / 2;
			if (upto > m->last_seq) {
				assert_int_equal(spool_ack(s, upto),
				    ERR_MALFORMED);
			} else {
				assert_int_equal(spool_ack(s, upto), 0);
				m_ack(m, upto);
			}
		} else if (op < 92) {
			m->max = 1 + (uint64_t)random() % 400;
			spool_set_max(s, m->max);
		} else {
			spool_close(s);
			assert_int_equal(spool_open(&s, path, m->max), 0);
		}
		m_compare(m, s);
	}
	check_invariants(s, path);
	spool_close(s);
	free(m);
}

static void
test_model(void **state)
{
	struct tmpfile	*fx = *state;
	char		 p[PATH_MAX + 16];
	unsigned	 seed;

	for (seed = 1; seed <= 3; seed++) {
		snprintf(p, sizeof(p), "%s/model%u.db", fx->dir.path, seed);
		model_run(p, seed);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_prestate_setup_teardown(f, tmpfile_setup, \
		    tmpdir_teardown, "spool.db")
		T(test_append_read_order),
		T(test_usage),
		T(test_seq_no_reuse),
		T(test_ack),
		T(test_reopen_keeps_state),
		T(test_evict_order),
		T(test_drop_new),
		T(test_oversized),
		T(test_drops_by_type),
		T(test_meta),
		T(test_changed),
		T(test_open_beside_writer),
		T(test_two_handles),
		T(test_processes),
		T(test_read_limits),
		T(test_file_mode),
		T(test_open_errors),
		T(test_atomic_failure),
		T(test_recount),
		T(test_drop_log),
		T(test_bulk),
		T(test_model),
#undef T
	};

	/* drops are expected by the hundred here; test_drop_log checks them */
	log_init("test_spool", LOG_LVL_ERROR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
