/*
 * test_ingest.c: the collector's writer thread against its contract
 * (ingest.h), with a real event_base and a real store file.
 *
 * Each test gets a fresh store under $VIGIL_TEST_TMP (or /tmp) with two
 * enrolled agents, and its own event_base; a 10 ms persistent timer keeps
 * event_base_loop(EVLOOP_ONCE) from blocking forever, so a missing
 * callback fails the test after WAIT_S instead of hanging it. The test's
 * own store handle and a raw sqlite3 connection read back what the writer
 * committed; stored rows are checked against a naive model (an array of
 * what was submitted).
 *
 * Transactions are counted with an SQLite commit hook installed on every
 * connection (sqlite3_auto_extension), counting commits made off the
 * event-loop thread, i.e. by the writer. That hook is process-wide by
 * nature, hence the one piece of global state here.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
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

#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "correlate.h"
#include "db.h"
#include "err.h"
#include "event.h"
#include "ingest.h"
#include "store.h"
#include "testutil.h"

#define WAIT_S		10		/* longest wait for a callback */
#define TS0		1700000000000000LL	/* a base event time, us */

/* Commits by threads other than the event loop's (the writer's). */
static struct {
	pthread_t	 loop;
	atomic_uint	 commits;
} hook;

struct done_rec {
	void			*owner;
	enum ingest_kind	 kind;
	uint64_t		 max_seq;
	size_t			 n;
	int			 rc;
	int			 on_loop;	/* ran on the loop thread */
};

/* What a test expects back, in submission order. */
struct expect {
	void			*owner;
	uint64_t		 max_seq;
};

/* One submitted event, for the model. */
struct mev {
	int64_t			 agent;
	uint64_t		 seq;
	int64_t			 ts_us;
	char			 type[EVENT_TYPE_MAX + 1];
	int			 severity;
	char			*json;
	int			 seen;
};

struct model {
	struct mev		*ev;
	size_t			 n, cap;
};

struct fixture {
	struct tmpfile		 tf;		/* first: T/store.db */
	struct event_base	*base;
	struct event		*tick;
	struct store		*s;
	int64_t			 a1, a2;	/* agent rowids */
	char			 id1[AGENT_ID_STRLEN];
	char			 id2[AGENT_ID_STRLEN];
	struct ingest		*ing;
	struct done_rec		*done;
	size_t			 ndone, capdone;
	struct model		 m;
	int			 owner_a, owner_b, owner_h; /* &: owners */
	int			 pool;		/* on_done puts batches back */
};

static int
hook_commit(void *arg)
{
	(void)arg;
	if (!pthread_equal(pthread_self(), hook.loop))
		atomic_fetch_add(&hook.commits, 1);
	return 0;
}

static int
hook_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	(void)err;
	(void)api;
	sqlite3_commit_hook(db, hook_commit, NULL);
	return SQLITE_OK;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	/* only wakes the loop so run_until can check its deadline */
}

static void
on_done(void *arg, struct ingest_batch *b)
{
	struct fixture	*f = arg;
	struct done_rec	*r;
	size_t		 cap;

	if (f->ndone == f->capdone) {
		cap = f->capdone ? f->capdone * 2 : 64;
		r = reallocarray(f->done, cap, sizeof(*r));
		assert_non_null(r);
		f->done = r;
		f->capdone = cap;
	}
	r = &f->done[f->ndone++];
	r->owner = b->owner;
	r->kind = b->kind;
	r->max_seq = b->max_seq;
	r->n = b->n;
	r->rc = b->rc;
	r->on_loop = pthread_equal(pthread_self(), hook.loop);
	if (f->pool)
		ingest_batch_put(f->ing, b);
	else
		ingest_batch_free(b);
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run the loop until n callbacks in all have arrived. */
static void
run_until(struct fixture *f, size_t n)
{
	double	t0 = now_s();

	while (f->ndone < n) {
		if (now_s() - t0 > WAIT_S)
			fail_msg("%zu of %zu batches back after %d s", f->ndone,
			    n, WAIT_S);
		assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
	}
}

/* Let the loop run for ms: nothing more may arrive. */
static void
run_idle(struct fixture *f, int ms)
{
	double	t0 = now_s();
	size_t	n = f->ndone;

	while (now_s() - t0 < ms / 1000.0)
		assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
	assert_int_equal(f->ndone, n);
}

static void
ing_start(struct fixture *f, int commit_events, int commit_ms)
{
	f->ing = (struct ingest *)1;
	assert_int_equal(ingest_new(&f->ing, f->base, f->tf.path, commit_events,
	    commit_ms, NULL, NULL, on_done, f), 0);
	assert_non_null(f->ing);
}

/* A new writer on the same store, e.g. to stop waiting out commit_ms. */
static void
ing_restart(struct fixture *f, int commit_events, int commit_ms)
{
	ingest_free(f->ing);
	f->ing = NULL;
	ing_start(f, commit_events, commit_ms);
}

/* Agent n: id is n in 16 hex digits, key bytes derived from n. */
static int64_t
mkagent(struct store *s, char id[static AGENT_ID_STRLEN], int n,
    const char *name)
{
	uint8_t	pub[KEY_LEN];
	int64_t	rowid;

	memset(pub, n & 0xff, sizeof(pub));
	snprintf(id, AGENT_ID_STRLEN, "%016x", n);
	assert_int_equal(store_agent_add(s, &rowid, id, pub, name, "paris",
	    1000), 0);
	return rowid;
}

static int
setup(void **state)
{
	struct fixture	*f;
	struct timeval	 tv = { 0, 10000 };

	if ((f = tmpfile_new(sizeof(*f), "store.db")) == NULL)
		return -1;
	if ((f->base = event_base_new()) == NULL ||
	    (f->tick = event_new(f->base, -1, EV_PERSIST, tick_cb, f)) ==
	    NULL || event_add(f->tick, &tv) != 0)
		goto fail;
	if (store_open(&f->s, f->tf.path) != 0)
		goto fail;
	f->a1 = mkagent(f->s, f->id1, 1, "web1");
	f->a2 = mkagent(f->s, f->id2, 2, "web2");
	*state = f;
	return 0;
fail:
	if (f->tick != NULL)
		event_free(f->tick);
	if (f->base != NULL)
		event_base_free(f->base);
	tmpdir_free(f);
	return -1;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	size_t		 i;

	ingest_free(f->ing);
	store_close(f->s);
	event_free(f->tick);
	event_base_free(f->base);
	for (i = 0; i < f->m.n; i++)
		free(f->m.ev[i].json);
	free(f->m.ev);
	free(f->done);
	tmpdir_free(f);
	return 0;
}

static void
model_put(struct model *m, int64_t agent, uint64_t seq, int64_t ts_us,
    const char *type, int severity, const char *json, size_t len)
{
	struct mev	*e;
	size_t		 cap;

	if (m->n == m->cap) {
		cap = m->cap ? m->cap * 2 : 64;
		e = reallocarray(m->ev, cap, sizeof(*e));
		assert_non_null(e);
		m->ev = e;
		m->cap = cap;
	}
	e = &m->ev[m->n++];
	memset(e, 0, sizeof(*e));
	e->agent = agent;
	e->seq = seq;
	e->ts_us = ts_us;
	snprintf(e->type, sizeof(e->type), "%s", type);
	e->severity = severity;
	assert_non_null(e->json = strndup(json, len));
}

static struct mev *
model_find(struct model *m, int64_t agent, uint64_t seq)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		if (m->ev[i].agent == agent && m->ev[i].seq == seq)
			return &m->ev[i];
	return NULL;
}

/*
 * Add an EVE event built by event_build/event_dump and validated by
 * event_parse, as the server does; an alert gets alert.severity sev.
 * model (may be NULL) records it.
 */
static void
add_built(struct ingest_batch *b, struct model *m, uint64_t seq,
    const char *type, int sev, int64_t ts_us)
{
	struct event_meta	 meta;
	char			 ts[EVENT_TS_STRLEN];
	json_t			*ev, *sub;
	char			*s;
	size_t			 len;

	assert_non_null(ev = event_build(type));
	event_format_ts(ts, ts_us);
	assert_int_equal(json_object_set_new(ev, "timestamp", json_string(ts)),
	    0);
	if (sev != 0)
		sub = json_pack("{s:i, s:s, s:I}", "severity", sev,
		    "signature", "test rule", "seq", (json_int_t)seq);
	else
		sub = json_pack("{s:I}", "seq", (json_int_t)seq);
	assert_non_null(sub);
	assert_int_equal(json_object_set_new(ev, sev ? "alert" : type, sub), 0);
	assert_non_null(s = event_dump(ev, &len));
	json_decref(ev);
	assert_int_equal(event_parse(&meta, s, len, NULL), 0);
	assert_int_equal(meta.ts_us, ts_us);
	assert_int_equal(meta.severity, sev);
	assert_int_equal(ingest_batch_add(b, seq, meta.ts_us, meta.type,
	    meta.severity, s, len), 0);
	if (m != NULL)
		model_put(m, b->agent_rowid, seq, ts_us, type, sev, s, len);
	free(s);
}

/* Add a literal EVE "flow" event; pad makes the body that much longer. */
static void
add_flow(struct ingest_batch *b, struct model *m, uint64_t seq, size_t pad)
{
	char	 ts[EVENT_TS_STRLEN], *s;
	int64_t	 ts_us = TS0 + (int64_t)seq;
	int	 n;

	event_format_ts(ts, ts_us);
	assert_non_null(s = malloc(pad + 128));
	n = snprintf(s, pad + 128, "{\"timestamp\":\"%s\",\"event_type\":"
	    "\"flow\",\"flow\":{\"seq\":%llu,\"pad\":\"%*s\"}}", ts,
	    (unsigned long long)seq, (int)pad, "");
	assert_true(n > 0 && (size_t)n < pad + 128);
	assert_int_equal(ingest_batch_add(b, seq, ts_us, "flow", 0, s,
	    (size_t)n), 0);
	if (m != NULL)
		model_put(m, b->agent_rowid, seq, ts_us, "flow", 0, s,
		    (size_t)n);
	free(s);
}

/* A batch of seqs first..last of agent, with literal flow events. */
static struct ingest_batch *
flow_batch(struct fixture *f, void *owner, int64_t agent, uint64_t first,
    uint64_t last, int model)
{
	struct ingest_batch	*b;
	uint64_t		 seq;

	assert_non_null(b = ingest_batch_new(INGEST_EVENTS, owner, agent));
	for (seq = first; seq <= last; seq++)
		add_flow(b, model ? &f->m : NULL, seq, 0);
	assert_int_equal(b->max_seq, last);
	return b;
}

/*
 * Every expected batch came back exactly once, on the loop thread, with
 * rc, and in submission order per owner. (max_seq tells apart batches of
 * one owner.)
 */
static void
check_done(struct fixture *f, const struct expect *exp, size_t n, int rc)
{
	size_t	i, j, k;

	assert_int_equal(f->ndone, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(f->done[i].rc, rc);
		assert_true(f->done[i].on_loop);
		/* the j-th of exp[i].owner's batches in both lists */
		for (j = 0, k = 0; k < i; k++)
			j += exp[k].owner == exp[i].owner;
		for (k = 0; k < n; k++)
			if (f->done[k].owner == exp[i].owner && j-- == 0)
				break;
		if (k == n)
			fail_msg("batch %zu (max_seq %llu) never came back", i,
			    (unsigned long long)exp[i].max_seq);
		assert_int_equal(f->done[k].max_seq, exp[i].max_seq);
	}
}

static uint64_t
count_events(struct fixture *f, const char *agent)
{
	struct store_query	q = { 0 };
	uint64_t		n;

	q.agent = agent;
	assert_int_equal(store_events_count(f->s, &q, &n), 0);
	return n;
}

static void
check_agent(struct fixture *f, const char *id, uint64_t events,
    uint64_t last_seq)
{
	struct store_agent	a;

	assert_int_equal(store_agent_get(f->s, &a, id), 0);
	assert_int_equal(a.events, events);
	assert_int_equal(a.last_seq, last_seq);
	store_agent_clear(&a);
}

static int
row_cb(void *arg, const struct store_row *r)
{
	struct fixture	*f = arg;
	struct mev	*e;
	int64_t		 agent;

	agent = strcmp(r->agent_id, f->id1) == 0 ? f->a1 : f->a2;
	if ((e = model_find(&f->m, agent, r->seq)) == NULL)
		fail_msg("stored event %s/%llu was never submitted",
		    r->agent_id, (unsigned long long)r->seq);
	assert_false(e->seen);
	e->seen = 1;
	assert_string_equal(r->type, e->type);
	assert_int_equal(r->ts_us, e->ts_us);
	assert_int_equal(r->len, strlen(e->json));
	assert_memory_equal(r->json, e->json, r->len);
	return 0;
}

/* The store holds exactly the model's events, field for field. */
static void
check_rows(struct fixture *f)
{
	struct store_query	 q = { 0 };
	sqlite3			*db;
	sqlite3_stmt		*st;
	struct mev		*e;
	size_t			 i, n = 0;

	assert_int_equal(store_events_each(f->s, &q, row_cb, f), 0);
	for (i = 0; i < f->m.n; i++)
		if (!f->m.ev[i].seen)
			fail_msg("event %lld/%llu not stored",
			    (long long)f->m.ev[i].agent,
			    (unsigned long long)f->m.ev[i].seq);
	/* severity is not in struct store_row: read it raw */
	assert_int_equal(sqlite3_open_v2(f->tf.path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT agent, seq, severity"
	    " FROM events", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		e = model_find(&f->m, sqlite3_column_int64(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1));
		assert_non_null(e);
		assert_int_equal(sqlite3_column_int(st, 2), e->severity);
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(n, f->m.n);
	for (i = 0; i < f->m.n; i++)
		f->m.ev[i].seen = 0;
}

/*
 * Batches of two connections, interleaved, with alerts of several
 * severities, DNS and flow events, seqs out of order within a batch: each
 * comes back once, in order per connection, with its highest seq, and
 * every event is stored as submitted.
 */
static void
test_commit_order_and_rows(void **state)
{
	static const char *const types[] = { "alert", "dns", "flow", "tls" };
	struct fixture		*f = *state;
	struct ingest_batch	*b;
	struct expect		 exp[8];
	uint64_t		 seq1 = 0, seq2 = 0, *seqp, seq, top;
	int64_t			 agent;
	void			*owner;
	size_t			 i, j;

	ing_start(f, 0, 0);
	for (i = 0; i < 8; i++) {
		owner = i % 2 ? &f->owner_b : &f->owner_a;
		agent = i % 2 ? f->a2 : f->a1;
		seqp = i % 2 ? &seq2 : &seq1;
		assert_non_null(b = ingest_batch_new(INGEST_EVENTS, owner,
		    agent));
		assert_int_equal(b->max_seq, 0);
		/* the highest seq in the middle of the batch */
		top = *seqp + 5;
		for (j = 0; j < 5; j++) {
			seq = j == 2 ? top : *seqp + 1 + j - (j > 2);
			add_built(b, &f->m, seq, types[(i + j) % 4],
			    (i + j) % 4 == 0 ? (int)(1 + j % 3) : 0,
			    TS0 + (int64_t)(i * 1000 + j));
		}
		*seqp = top;
		assert_int_equal(b->n, 5);
		assert_int_equal(b->max_seq, top);
		exp[i].owner = owner;
		exp[i].max_seq = top;
		ingest_submit(f->ing, b);
	}
	run_until(f, 8);
	check_done(f, exp, 8, 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(f->done[i].kind, INGEST_EVENTS);
		assert_int_equal(f->done[i].n, 5);
	}
	run_idle(f, 50);
	assert_int_equal(count_events(f, NULL), 40);
	assert_int_equal(count_events(f, f->id1), 20);
	check_agent(f, f->id1, 20, 20);
	check_agent(f, f->id2, 20, 20);
	check_rows(f);
	assert_int_equal(ingest_backlog(f->ing, NULL), 0);
}

/* Overlapping seqs, in one group commit and across commits: stored once,
 * the first copy kept, and not an error. */
static void
test_duplicates(void **state)
{
	struct fixture		*f = *state;
	struct ingest_batch	*b;
	struct expect		 exp[3];
	uint64_t		 seq;

	/* b1 and b2 in one transaction: 20 events reach commit_events */
	ing_start(f, 20, 10000);
	ingest_submit(f->ing, flow_batch(f, &f->owner_a, f->a1, 1, 10, 1));
	ingest_submit(f->ing, flow_batch(f, &f->owner_a, f->a1, 6, 15, 0));
	exp[0] = (struct expect){ &f->owner_a, 10 };
	exp[1] = (struct expect){ &f->owner_a, 15 };
	/* the model gets b2's new events (add_flow texts depend on seq) */
	ingest_batch_free(flow_batch(f, NULL, f->a1, 11, 15, 1));
	run_until(f, 2);
	check_done(f, exp, 2, 0);
	check_agent(f, f->id1, 15, 15);

	/* all again, alone, with different bodies: the first copy stays */
	ing_restart(f, 0, 0);
	assert_non_null(b = ingest_batch_new(INGEST_EVENTS, &f->owner_a,
	    f->a1));
	for (seq = 1; seq <= 15; seq++)
		add_flow(b, NULL, seq, 10);
	exp[2] = (struct expect){ &f->owner_a, 15 };
	ingest_submit(f->ing, b);
	run_until(f, 3);
	check_done(f, exp, 3, 0);
	assert_int_equal(count_events(f, NULL), 15);
	check_agent(f, f->id1, 15, 15);
	check_agent(f, f->id2, 0, 0);
	check_rows(f);
}

static void
check_heartbeat(struct fixture *f, const char *id, const char *version,
    const char *json, int64_t last_seen)
{
	struct store_agent	a;

	assert_int_equal(store_agent_get(f->s, &a, id), 0);
	assert_string_equal(a.version, version);
	if (json == NULL)
		assert_null(a.heartbeat);
	else {
		assert_non_null(a.heartbeat);
		assert_string_equal(a.heartbeat, json);
	}
	assert_int_equal(a.last_seen, last_seen);
	store_agent_clear(&a);
}

static void
test_heartbeat(void **state)
{
	static const char	 hb1[] = "{\"heartbeat\":{\"version\":\"1.2.3\","
	    "\"uptime\":5}}";
	static const char	 hb2[] = "{\"heartbeat\":{\"version\":\"1.3\"}}";
	struct fixture		*f = *state;
	struct ingest_batch	*b;

	ing_start(f, 0, 0);
	assert_non_null(b = ingest_heartbeat_new(&f->owner_h, f->a1, 5000,
	    "1.2.3", hb1, strlen(hb1)));
	assert_int_equal(b->kind, INGEST_HEARTBEAT);
	ingest_submit(f->ing, b);
	run_until(f, 1);
	assert_ptr_equal(f->done[0].owner, &f->owner_h);
	assert_int_equal(f->done[0].kind, INGEST_HEARTBEAT);
	assert_int_equal(f->done[0].rc, 0);
	assert_true(f->done[0].on_loop);
	check_heartbeat(f, f->id1, "1.2.3", hb1, 5000);
	check_heartbeat(f, f->id2, "", NULL, 0);

	/* the next one replaces it; only len bytes of json are taken */
	assert_non_null(b = ingest_heartbeat_new(&f->owner_h, f->a1, 6000,
	    "1.3", hb2, strlen(hb2)));
	ingest_submit(f->ing, b);
	run_until(f, 2);
	assert_int_equal(f->done[1].rc, 0);
	check_heartbeat(f, f->id1, "1.3", hb2, 6000);
	assert_int_equal(count_events(f, NULL), 0);
	check_agent(f, f->id1, 0, 0);
}

/* Heartbeats the store refuses come back with its error and change
 * nothing; events committed alongside are not affected. */
static void
test_heartbeat_errors(void **state)
{
	static const char	 hb[] = "{\"heartbeat\":{}}";
	static const char	 nul[] = "{\"a\":\"x\0y\"}";
	struct fixture		*f = *state;
	struct ingest_batch	*b;
	char			*big;
	size_t			 i;

	/* 4 jobs in one transaction: 3 heartbeats (1 each) + 1 event */
	ing_start(f, 4, 10000);
	assert_non_null(b = ingest_heartbeat_new(&f->owner_h, 9999, 7000,
	    "1.0", hb, strlen(hb)));
	ingest_submit(f->ing, b);
	assert_non_null(big = malloc(STORE_HEARTBEAT_MAX + 1));
	memset(big, ' ', STORE_HEARTBEAT_MAX + 1);
	assert_non_null(b = ingest_heartbeat_new(&f->owner_h, f->a1, 7000,
	    "1.0", big, STORE_HEARTBEAT_MAX + 1));
	free(big);
	ingest_submit(f->ing, b);
	assert_non_null(b = ingest_heartbeat_new(&f->owner_h, f->a2, 7000,
	    "1.0", nul, sizeof(nul) - 1));
	ingest_submit(f->ing, b);
	ingest_submit(f->ing, flow_batch(f, &f->owner_a, f->a1, 1, 1, 1));
	run_until(f, 4);
	assert_int_equal(ingest_backlog(f->ing, NULL), 0);
	for (i = 0; i < 3; i++) {
		assert_ptr_equal(f->done[i].owner, &f->owner_h);
		assert_int_equal(f->done[i].kind, INGEST_HEARTBEAT);
	}
	assert_int_equal(f->done[0].rc, ERR_NOTFOUND);
	assert_int_equal(f->done[1].rc, ERR_TOOBIG);
	assert_int_equal(f->done[2].rc, ERR_MALFORMED);
	assert_ptr_equal(f->done[3].owner, &f->owner_a);
	assert_int_equal(f->done[3].kind, INGEST_EVENTS);
	assert_int_equal(f->done[3].max_seq, 1);
	assert_int_equal(f->done[3].rc, 0);
	check_heartbeat(f, f->id1, "", NULL, 0);
	check_heartbeat(f, f->id2, "", NULL, 0);

	/* the largest heartbeat the store takes still goes through */
	ing_restart(f, 0, 0);
	assert_non_null(big = malloc(STORE_HEARTBEAT_MAX + 1));
	memset(big, ' ', STORE_HEARTBEAT_MAX);
	big[STORE_HEARTBEAT_MAX] = '\0';
	assert_non_null(b = ingest_heartbeat_new(&f->owner_h, f->a2, 8000,
	    "", big, STORE_HEARTBEAT_MAX));
	ingest_submit(f->ing, b);
	run_until(f, 5);
	assert_int_equal(f->done[4].rc, 0);
	check_heartbeat(f, f->id2, "", big, 8000);
	free(big);
	check_rows(f);
}

/*
 * 200 batches of 50 events, submitted at once from the loop thread: all
 * come back in order and stored, in far fewer transactions than batches.
 */
static void
test_group_commit_many(void **state)
{
	enum { NB = 200, PER = 50 };
	struct fixture		*f = *state;
	struct ingest_batch	**bs;
	struct expect		*exp;
	uint64_t		 seq[2] = { 0, 0 };
	unsigned int		 commits;
	double			 t0;
	size_t			 i;
	int			 k;

	assert_non_null(bs = calloc(NB, sizeof(*bs)));
	assert_non_null(exp = calloc(NB, sizeof(*exp)));
	ing_start(f, 0, 50);		/* 5000 events or 50 ms */
	for (i = 0; i < NB; i++) {
		k = (int)(i % 2);
		bs[i] = flow_batch(f, k ? &f->owner_b : &f->owner_a,
		    k ? f->a2 : f->a1, seq[k] + 1, seq[k] + PER, 0);
		seq[k] += PER;
		exp[i] = (struct expect){ bs[i]->owner, seq[k] };
	}
	commits = atomic_load(&hook.commits);
	t0 = now_s();
	for (i = 0; i < NB; i++)
		ingest_submit(f->ing, bs[i]);
	run_until(f, NB);
	commits = atomic_load(&hook.commits) - commits;
	check_done(f, exp, NB, 0);
	print_message("group commit: %d batches of %d events in %u "
	    "transactions, %.3f s\n", NB, PER, commits, now_s() - t0);
	/* commit_events is a soft cap: one transaction may take it all */
	assert_true(commits >= 1);
	assert_true(commits <= NB / 4);
	assert_int_equal(count_events(f, NULL), NB * PER);
	check_agent(f, f->id1, NB * PER / 2, NB * PER / 2);
	check_agent(f, f->id2, NB * PER / 2, NB * PER / 2);
	assert_int_equal(ingest_backlog(f->ing, NULL), 0);
	free(bs);
	free(exp);
}

/* backlog counts queued events (a job without events counts 1) and
 * drops to 0 once they are taken; commit_events cuts commit_ms short. */
static void
test_backlog(void **state)
{
	struct fixture		*f = *state;
	struct ingest_batch	*b;
	double			 t0;
	size_t			 bytes, held, prev;

	ing_start(f, 100, 10000);
	assert_int_equal(ingest_backlog(f->ing, &bytes), 0);
	assert_int_equal(bytes, 0);
	t0 = now_s();
	b = flow_batch(f, &f->owner_a, f->a1, 1, 10, 1);
	/* bytes: what the queued batches hold, arena and entries */
	held = sizeof(*b) + b->arena_cap + b->cap * sizeof(*b->evs);
	assert_true(b->arena_cap >= b->arena_len && b->arena_len > 10 * 20);
	ingest_submit(f->ing, b);
	assert_int_equal(ingest_backlog(f->ing, &bytes), 10);
	assert_int_equal(bytes, held);
	assert_non_null(b = ingest_heartbeat_new(&f->owner_h, f->a1, 1, "1",
	    "{}", 2));
	ingest_submit(f->ing, b);
	prev = bytes;
	assert_int_equal(ingest_backlog(f->ing, &bytes), 11);
	assert_true(bytes > prev);
	assert_non_null(b = ingest_batch_new(INGEST_EVENTS, &f->owner_b,
	    f->a2));
	ingest_submit(f->ing, b);		/* empty: counts 1 */
	prev = bytes;
	assert_int_equal(ingest_backlog(f->ing, &bytes), 12);
	assert_int_equal(bytes, prev + sizeof(*b));
	run_idle(f, 30);		/* below commit_events: it waits */
	assert_int_equal(ingest_backlog(f->ing, NULL), 12);
	/* 12 + 88 = commit_events: committed now, not in 10 s */
	ingest_submit(f->ing, flow_batch(f, &f->owner_a, f->a1, 11, 98, 1));
	run_until(f, 4);
	assert_true(now_s() - t0 < 5);
	assert_int_equal(ingest_backlog(f->ing, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(f->done[0].rc, 0);
	assert_int_equal(f->done[1].rc, 0);
	assert_int_equal(f->done[2].rc, 0);	/* empty batch: fine */
	assert_int_equal(f->done[2].max_seq, 0);
	assert_int_equal(f->done[3].rc, 0);
	assert_int_equal(f->done[3].max_seq, 98);
	check_agent(f, f->id1, 98, 98);
	check_rows(f);
}

/* ingest_free with batches still queued (the writer is waiting out a
 * long commit_ms): it commits them at once and returns each through the
 * callback before it returns. */
static void
test_free_commits_queued(void **state)
{
	enum { NB = 20 };
	struct fixture		*f = *state;
	struct ingest_batch	*b;
	struct expect		 exp[NB + 1];
	double			 t0;
	size_t			 i;

	ing_start(f, 1000000, 10000);
	for (i = 0; i < NB; i++) {
		ingest_submit(f->ing, flow_batch(f, &f->owner_a, f->a1,
		    i * 5 + 1, i * 5 + 5, 1));
		exp[i] = (struct expect){ &f->owner_a, i * 5 + 5 };
	}
	assert_non_null(b = ingest_heartbeat_new(&f->owner_h, f->a2, 42, "2.0",
	    "{}", 2));
	ingest_submit(f->ing, b);
	exp[NB] = (struct expect){ &f->owner_h, 0 };
	assert_int_equal(ingest_backlog(f->ing, NULL), NB * 5 + 1);
	run_idle(f, 20);
	assert_int_equal(f->ndone, 0);

	t0 = now_s();
	ingest_free(f->ing);
	f->ing = NULL;
	assert_true(now_s() - t0 < 5);
	check_done(f, exp, NB + 1, 0);
	/* nothing is left on the loop for a freed ingest */
	run_idle(f, 30);
	assert_int_equal(count_events(f, NULL), NB * 5);
	check_agent(f, f->id1, NB * 5, NB * 5);
	check_heartbeat(f, f->id2, "2.0", "{}", 42);
	check_rows(f);
}

/* Committed but not yet reported to the loop when ingest_free runs:
 * returned by ingest_free itself. */
static void
test_free_reports_committed(void **state)
{
	struct fixture	*f = *state;
	struct expect	 exp[1] = { { NULL, 3 } };
	double		 t0 = now_s();

	exp[0].owner = &f->owner_a;
	ing_start(f, 0, 0);
	ingest_submit(f->ing, flow_batch(f, &f->owner_a, f->a1, 1, 3, 1));
	while (count_events(f, NULL) < 3) {
		if (now_s() - t0 > WAIT_S)
			fail_msg("not committed after %d s", WAIT_S);
		usleep(1000);
	}
	assert_int_equal(f->ndone, 0);
	ingest_free(f->ing);
	f->ing = NULL;
	check_done(f, exp, 1, 0);
	run_idle(f, 30);
	check_rows(f);
}

/*
 * A batch for an agent the store does not know fails the transaction
 * with ERR_NOTFOUND and nothing of it is stored. Group commit makes the
 * transaction, not the batch, the unit of failure: a good batch committed
 * in the same transaction fails with the same error and is not stored
 * either (not acknowledged, so its agent resends it); alone it commits.
 */
static void
test_unknown_agent(void **state)
{
	struct fixture		*f = *state;
	struct ingest_batch	*b;
	struct expect		 exp[4];

	/* alone */
	ing_start(f, 10, 10000);
	ingest_submit(f->ing, flow_batch(f, &f->owner_b, 9999, 1, 10, 0));
	exp[0] = (struct expect){ &f->owner_b, 10 };
	run_until(f, 1);
	check_done(f, exp, 1, ERR_NOTFOUND);
	assert_int_equal(count_events(f, NULL), 0);

	/* sharing a transaction with a good batch: 5 + 5 = commit_events */
	f->ndone = 0;
	ingest_submit(f->ing, flow_batch(f, &f->owner_a, f->a1, 1, 5, 0));
	ingest_submit(f->ing, flow_batch(f, &f->owner_b, 9999, 11, 15, 0));
	exp[0] = (struct expect){ &f->owner_a, 5 };
	exp[1] = (struct expect){ &f->owner_b, 15 };
	run_until(f, 2);
	check_done(f, exp, 2, ERR_NOTFOUND);
	assert_int_equal(count_events(f, NULL), 0);
	check_agent(f, f->id1, 0, 0);

	/* the writer is not stuck: the good batch again, alone, commits */
	f->ndone = 0;
	b = flow_batch(f, &f->owner_a, f->a1, 1, 10, 1);
	ingest_submit(f->ing, b);
	exp[0] = (struct expect){ &f->owner_a, 10 };
	run_until(f, 1);
	check_done(f, exp, 1, 0);
	check_agent(f, f->id1, 10, 10);
	check_rows(f);
}

/* Events the store refuses (its checks, store.h): the batch comes back
 * with the store's error and nothing is stored. */
/* Submit b alone and wait for it: its rc. */
static int
submit_wait(struct fixture *f, struct ingest_batch *b)
{
	ingest_submit(f->ing, b);
	run_until(f, f->ndone + 1);
	assert_true(f->done[f->ndone - 1].on_loop);
	return f->done[f->ndone - 1].rc;
}

static void
test_store_refuses(void **state)
{
	struct fixture		*f = *state;
	struct ingest_batch	*b;
	char			*big;

	ing_start(f, 0, 0);
	/* event_type over EVENT_TYPE_MAX */
	assert_non_null(b = ingest_batch_new(INGEST_EVENTS, &f->owner_a,
	    f->a1));
	assert_int_equal(ingest_batch_add(b, 1, TS0, "aaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaa", 0, "{}", 2), 0);
	assert_int_equal(submit_wait(f, b), ERR_TOOBIG);
	/* body over EVENT_MAX_LEN */
	assert_non_null(big = malloc(EVENT_MAX_LEN + 1));
	memset(big, ' ', EVENT_MAX_LEN + 1);
	assert_non_null(b = ingest_batch_new(INGEST_EVENTS, &f->owner_a,
	    f->a1));
	assert_int_equal(ingest_batch_add(b, 2, TS0, "flow", 0, big,
	    EVENT_MAX_LEN + 1), 0);
	free(big);
	assert_int_equal(submit_wait(f, b), ERR_TOOBIG);
	/* seq beyond int64_t, after a good event */
	assert_non_null(b = ingest_batch_new(INGEST_EVENTS, &f->owner_a,
	    f->a1));
	add_flow(b, NULL, 3, 0);
	assert_int_equal(ingest_batch_add(b, (uint64_t)INT64_MAX + 1, TS0,
	    "flow", 0, "{}", 2), 0);
	assert_int_equal(b->max_seq, (uint64_t)INT64_MAX + 1);
	assert_int_equal(submit_wait(f, b), ERR_MALFORMED);
	assert_int_equal(count_events(f, NULL), 0);
	check_agent(f, f->id1, 0, 0);
	/* and the writer goes on */
	assert_int_equal(submit_wait(f, flow_batch(f, &f->owner_a, f->a1, 1,
	    2, 1)), 0);
	check_rows(f);
}

/* The arena holding a batch's texts is reallocated as it grows; the
 * events' pointers must still find their texts after submit. */
/* Packed correlation keys come back whole, many batches to a commit: the
 * writer's scratch grows past its first size while it unpacks them. */
static int64_t
sql_int(struct fixture *f, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v;

	assert_int_equal(sqlite3_prepare_v2(db_sqlite(store_db(f->s)), sql,
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* An alert's correlation key, as intake packs it. */
static void
add_key(struct ingest_batch *b, size_t rule)
{
	struct correlate_in	in;

	memset(&in, 0, sizeof(in));
	in.kind = CORR_ALERT;
	in.severity = 2;
	snprintf(in.category, sizeof(in.category), "malware");
	snprintf(in.name, sizeof(in.name), "rule-%zu", rule);
	in.nind = 1;
	in.ind[0].kind = CIND_RULE;
	snprintf(in.ind[0].value, sizeof(in.ind[0].value), "2:%zu", 100 + rule);
	assert_int_equal(ingest_batch_key(b, &in), 0);
}

static void
test_correlated_batches(void **state)
{
	enum { NB = 40, PER = 60, RULES = 5 };
	struct fixture		*f = *state;
	struct correlate_conf	 cc = { .enabled = 1, .window_s = 3600,
	    .spread_agents = 1000, .spread_window_s = 3600, .offline_s = 0,
	    .max_groups = 10000, .deadline_s = 5 * 86400 };
	struct ingest_batch	*b;
	struct expect		*exp;
	uint64_t		 seq = 0;
	size_t			 i, j;

	assert_non_null(exp = calloc(NB, sizeof(*exp)));
	f->ing = NULL;
	assert_int_equal(ingest_new(&f->ing, f->base, f->tf.path, 0, 500, &cc,
	    NULL, on_done, f), 0);
	for (i = 0; i < NB; i++) {
		assert_non_null(b = ingest_batch_new(INGEST_EVENTS,
		    &f->owner_a, f->a1));
		for (j = 0; j < PER; j++) {
			add_flow(b, NULL, ++seq, j % 3 * 40);
			add_key(b, i % RULES);
		}
		exp[i] = (struct expect){ &f->owner_a, seq };
		ingest_submit(f->ing, b);
	}
	run_until(f, NB);
	check_done(f, exp, NB, 0);
	assert_int_equal(count_events(f, NULL), NB * PER);
	/* one incident per rule on this agent, every alert linked once */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM incidents"), RULES);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM incident_events"),
	    NB * PER);
	assert_int_equal(sql_int(f, "SELECT count(DISTINCT title) FROM "
	    "incidents WHERE title LIKE '%rule-%'"), RULES);
	free(exp);
}

/*
 * Batches back from the writer go to the pool and come out again empty:
 * alerts with keys in one, flows without in the next (the same memory),
 * so a key left over from the batch before would link a flow, or point
 * into arena bytes that are now another event's.
 */
static void
test_pool_reuse(void **state)
{
	enum { NB = 12, PER = 50 };
	struct fixture		*f = *state;
	struct correlate_conf	 cc = { .enabled = 1, .window_s = 3600,
	    .spread_agents = 1000, .spread_window_s = 3600, .offline_s = 0,
	    .max_groups = 10000, .deadline_s = 5 * 86400 };
	struct ingest_batch	*b, *first = NULL;
	struct expect		 exp[NB];
	uint64_t		 seq = 0;
	size_t			 i, j;

	f->ing = NULL;
	f->pool = 1;
	assert_int_equal(ingest_new(&f->ing, f->base, f->tf.path, 0, 0, &cc,
	    NULL, on_done, f), 0);
	for (i = 0; i < NB; i++) {
		assert_non_null(b = ingest_batch_get(f->ing, &f->owner_a,
		    f->a1));
		if (i == 0)
			first = b;
		else
			assert_ptr_equal(b, first);	/* reused */
		assert_int_equal(b->n, 0);
		assert_int_equal(b->max_seq, 0);
		assert_int_equal(b->arena_len, 0);
		assert_ptr_equal(b->owner, &f->owner_a);
		for (j = 0; j < PER; j++) {
			/* the flows get longer bodies than the alerts */
			add_flow(b, NULL, ++seq, i % 2 ? 300 : 10);
			if (i % 2 == 0)
				add_key(b, 0);
		}
		exp[i] = (struct expect){ &f->owner_a, seq };
		ingest_submit(f->ing, b);
		run_until(f, i + 1);		/* back in the pool */
	}
	check_done(f, exp, NB, 0);
	assert_int_equal(count_events(f, NULL), NB * PER);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM incidents"), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM incident_events"),
	    NB / 2 * PER);
	/* not pooled: a heartbeat job, or no ingest */
	assert_non_null(b = ingest_heartbeat_new(NULL, f->a1, 1, "1", "{}", 2));
	ingest_batch_put(f->ing, b);
	assert_non_null(b = ingest_batch_get(NULL, NULL, f->a1));
	ingest_batch_put(NULL, b);
	ingest_batch_put(f->ing, NULL);
	/* idle: a trim after a trim without use empties the pool */
	ingest_pool_trim(f->ing);
	ingest_pool_trim(f->ing);
	assert_non_null(b = ingest_batch_get(f->ing, NULL, f->a1));
	assert_int_equal(b->n, 0);
	ingest_batch_put(f->ing, b);
}

static void
test_arena_growth(void **state)
{
	struct fixture		*f = *state;
	struct ingest_batch	*b;
	struct expect		 exp[1];
	uint64_t		 seq;

	ing_start(f, 0, 0);
	assert_non_null(b = ingest_batch_new(INGEST_EVENTS, &f->owner_a,
	    f->a2));
	for (seq = 1; seq <= 200; seq++)
		add_flow(b, &f->m, seq, seq % 7 == 0 ? 9000 : 300);
	add_flow(b, &f->m, 201, EVENT_MAX_LEN - 200);	/* near the limit */
	assert_true(b->arena_cap > 16384);
	exp[0] = (struct expect){ &f->owner_a, 201 };
	ingest_submit(f->ing, b);
	run_until(f, 1);
	check_done(f, exp, 1, 0);
	check_agent(f, f->id2, 201, 201);
	check_rows(f);
}

static void
test_batch_limits(void **state)
{
	struct ingest_batch	*b;

	(void)state;
	assert_non_null(b = ingest_batch_new(INGEST_EVENTS, NULL, 1));
	/* a length no arena could hold: refused before any copy */
	assert_int_equal(ingest_batch_add(b, 1, 0, "flow", 0, "{}",
	    SIZE_MAX / 4 + 1), ERR_TOOBIG);
	assert_int_equal(ingest_batch_add(b, 2, 0, "flow", 0, "{}",
	    SIZE_MAX), ERR_TOOBIG);
	assert_int_equal(b->n, 0);
	assert_int_equal(b->max_seq, 0);
	assert_null(ingest_heartbeat_new(NULL, 1, 0, "1", "{}", SIZE_MAX));
	ingest_batch_free(b);
	ingest_batch_free(NULL);
	ingest_free(NULL);
}

/* ingest_new on a path where no store can be: ERR_IO, *out NULL, nothing
 * left behind (ASan's leak check) and nothing left on the loop. */
static void
test_new_fails(void **state)
{
	struct fixture	*f = *state;
	struct ingest	*ing;
	char		 p[PATH_MAX + 32];
	int		 fd;

	/* under a regular file (refused even to root) */
	snprintf(p, sizeof(p), "%s/file", f->tf.dir.path);
	assert_true((fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/file/store.db", f->tf.dir.path);
	ing = (struct ingest *)1;
	assert_int_equal(ingest_new(&ing, f->base, p, 0, 0, NULL, NULL, on_done, f),
	    ERR_IO);
	assert_null(ing);
	/* in a directory that does not exist */
	snprintf(p, sizeof(p), "%s/nonexistent/store.db", f->tf.dir.path);
	ing = (struct ingest *)1;
	assert_int_equal(ingest_new(&ing, f->base, p, 0, 0, NULL, NULL, on_done, f),
	    ERR_IO);
	assert_null(ing);
	/* the path is a directory */
	ing = (struct ingest *)1;
	assert_int_equal(ingest_new(&ing, f->base, f->tf.dir.path, 0, 0, NULL, NULL,
	    on_done, f), ERR_IO);
	assert_null(ing);
	snprintf(p, sizeof(p), "%s/file", f->tf.dir.path);
	(void)unlink(p);
	run_idle(f, 20);
	assert_int_equal(f->ndone, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_order_and_rows,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_errors,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_many,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_commits_queued,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_reports_committed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_agent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_refuses,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_correlated_batches,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_reuse,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_arena_growth,
		    setup, teardown),
		cmocka_unit_test(test_batch_limits),
		cmocka_unit_test_setup_teardown(test_new_fails,
		    setup, teardown),
	};
	int	rc;

	if (sodium_init() < 0 || evthread_use_pthreads() != 0)
		return 1;
	hook.loop = pthread_self();
	if (sqlite3_auto_extension((void (*)(void))hook_init) != SQLITE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sqlite3_reset_auto_extension();
	return rc;
}
