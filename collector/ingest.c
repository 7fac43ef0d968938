/*
 * ingest.c: the writer thread between the event loop and the store.
 *
 * Invariants: batches leave the queue in the order they entered it; a
 * batch reaches done_cb only after the transaction holding its events
 * committed (rc == 0) or failed (rc < 0, nothing of it acknowledged).
 * Load: at 50,000 events/s, a few hundred batches per second; one
 * transaction per wake-up of the writer (group commit), so fsyncs stay
 * in the tens per second whatever the event rate. Events batches come
 * back to a pool on the event-loop side (ingest_batch_get/put): their
 * arenas (up to a few MB) are reused warm, where a malloc and free per
 * batch would have malloc give the heap's top back to the kernel and
 * fault it in again, page by page, for every batch.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "ingest.h"
#include "log.h"

struct ingest {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct ingest_batch	*head, **tailp;		/* queued */
	struct ingest_batch	*done, **donep;		/* committed */
	size_t			 queued_events;
	size_t			 queued_bytes;		/* their arenas */
	int			 stop;
	int			 started;
	int			 commit_events;
	int			 commit_ms;
	struct store		*store;
	struct event		*done_ev;
	ingest_done_cb		 cb;
	void			*cbarg;
	struct store_event	*all;			/* writer's scratch */
	const struct correlate_in **allin;		/* the same, keys */
	struct correlate_in	*inbuf;			/* unpacked keys */
	int64_t			*ids;			/* the same, rows */
	size_t			 all_cap;
	struct correlate	*corr;			/* NULL: none */
	struct notify		*notify;		/* NULL: none */
	int64_t			 tick_s, next_tick;
	int64_t			 retention_s;		/* 0: keep all */
	int64_t			 next_purge;
	struct store_cursor	 purge_cur;
	struct ingest_batch	*pool;			/* event loop's only */
	size_t			 npool;
	int			 pool_used;		/* since the last trim */
};

#define PURGE_BATCH	5000	/* events looked at per purge step */
#define PURGE_AGAIN_S	1	/* between steps while old events remain */
#define PURGE_IDLE_S	600	/* between looks once caught up */
#define PURGE_FIRST_S	10	/* after start: let the agents in first */
#define POOL_MAX	64	/* events batches kept for reuse */

/* After a commit: correlation's changes to the early warning, which
 * copies them and never blocks. */
static void
hand_on(struct ingest *ing)
{
	const struct correlate_change	*chg;
	size_t				 n;

	if (ing->notify == NULL)
		return;
	chg = correlate_changes(ing->corr, &n);
	if (n > 0)
		notify_post(ing->notify, chg, n);
}

struct ingest_batch *
ingest_batch_new(enum ingest_kind kind, void *owner, int64_t agent_rowid)
{
	struct ingest_batch	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->kind = kind;
	b->owner = owner;
	b->agent_rowid = agent_rowid;
	return b;
}

struct ingest_batch *
ingest_batch_get(struct ingest *ing, void *owner, int64_t agent_rowid)
{
	struct ingest_batch	*b;

	if (ing == NULL || (b = ing->pool) == NULL)
		return ingest_batch_new(INGEST_EVENTS, owner, agent_rowid);
	ing->pool = b->next;
	ing->npool--;
	ing->pool_used = 1;
	b->next = NULL;
	b->owner = owner;
	b->agent_rowid = agent_rowid;
	b->max_seq = 0;
	b->n = 0;
	b->arena_len = 0;
	b->rc = 0;
	if (b->keys != NULL)
		memset(b->keys, 0, b->cap * sizeof(*b->keys));
	return b;
}

void
ingest_batch_put(struct ingest *ing, struct ingest_batch *b)
{
	if (b == NULL)
		return;
	if (ing == NULL || b->kind != INGEST_EVENTS || ing->npool >= POOL_MAX) {
		ingest_batch_free(b);
		return;
	}
	b->next = ing->pool;
	ing->pool = b;
	ing->npool++;
}

void
ingest_pool_trim(struct ingest *ing)
{
	struct ingest_batch	*b;

	if (ing->pool_used) {
		ing->pool_used = 0;
		return;
	}
	while ((b = ing->pool) != NULL) {
		ing->pool = b->next;
		ingest_batch_free(b);
	}
	ing->npool = 0;
}

void
ingest_batch_free(struct ingest_batch *b)
{
	if (b == NULL)
		return;
	free(b->evs);
	free(b->keys);
	free(b->arena);
	free(b);
}

/* Room for need bytes in the arena. */
static int
arena_room(struct ingest_batch *b, size_t need)
{
	size_t	 cap;
	char	*p;

	if (need <= b->arena_cap)
		return 0;
	cap = b->arena_cap ? b->arena_cap : 16384;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return ERR_TOOBIG;
		cap *= 2;
	}
	if ((p = realloc(b->arena, cap)) == NULL)
		return ERR_NOMEM;
	b->arena = p;
	b->arena_cap = cap;
	return 0;
}

/* Append len bytes and a NUL to the arena; *off gets where they start. */
static int
arena_put(struct ingest_batch *b, size_t *off, const char *s, size_t len)
{
	int	rc;

	if (len > SIZE_MAX / 4 || b->arena_len > SIZE_MAX / 4)
		return ERR_TOOBIG;
	if ((rc = arena_room(b, b->arena_len + len + 1)) != 0)
		return rc;
	*off = b->arena_len;
	memcpy(b->arena + b->arena_len, s, len);
	b->arena[b->arena_len + len] = '\0';
	b->arena_len += len + 1;
	return 0;
}

/* Room for n events in evs (and keys, if the batch has them). */
static int
evs_room(struct ingest_batch *b, size_t n)
{
	struct store_event	*nevs;
	size_t			*nk;

	if (n <= b->cap)
		return 0;
	if ((nevs = reallocarray(b->evs, n, sizeof(*nevs))) == NULL)
		return ERR_NOMEM;
	b->evs = nevs;
	if (b->keys != NULL) {
		if ((nk = reallocarray(b->keys, n, sizeof(*nk))) == NULL)
			return ERR_NOMEM;
		memset(nk + b->cap, 0, (n - b->cap) * sizeof(*nk));
		b->keys = nk;
	}
	b->cap = n;
	return 0;
}

int
ingest_batch_reserve(struct ingest_batch *b, size_t n, size_t bytes)
{
	int	rc;

	if (n > SIZE_MAX / 64 || bytes > SIZE_MAX / 4)
		return ERR_TOOBIG;
	/* each event also brings its type and two NULs, and a few dozen
	 * bytes of packed correlation keys */
	if ((rc = evs_room(b, n)) != 0)
		return rc;
	return arena_room(b, b->arena_len + bytes + n * 64);
}

struct ingest_batch *
ingest_heartbeat_new(void *owner, int64_t agent_rowid, int64_t now,
    const char *version, const char *json, size_t len)
{
	struct ingest_batch	*b;
	size_t			 off;

	if ((b = ingest_batch_new(INGEST_HEARTBEAT, owner, agent_rowid)) == NULL)
		return NULL;
	b->now = now;
	snprintf(b->version, sizeof(b->version), "%s", version);
	if (arena_put(b, &off, json, len) != 0) {
		ingest_batch_free(b);
		return NULL;
	}
	return b;
}

int
ingest_batch_add(struct ingest_batch *b, uint64_t seq, int64_t ts_us,
    const char *type, int severity, const char *json, size_t len)
{
	struct store_event	*e;
	size_t			 toff, joff;
	int			 rc;

	if (b->n == b->cap &&
	    (rc = evs_room(b, b->cap ? b->cap * 2 : 64)) != 0)
		return rc;
	if ((rc = arena_put(b, &toff, type, strlen(type))) != 0 ||
	    (rc = arena_put(b, &joff, json, len)) != 0)
		return rc;
	/* Pointers are fixed up in ingest_submit, once the arena stops
	 * moving; until then they hold offsets. */
	e = &b->evs[b->n++];
	e->agent_rowid = b->agent_rowid;
	e->seq = seq;
	e->ts_us = ts_us;
	e->type = (const char *)(uintptr_t)toff;
	e->severity = severity;
	e->json = (const char *)(uintptr_t)joff;
	e->len = len;
	if (seq > b->max_seq)
		b->max_seq = seq;
	return 0;
}

/*
 * A struct correlate_in is about 1.3 KB of fixed arrays, mostly empty; in
 * the batch it is packed: the four one-byte fields, the category, then
 * the name and each indicator's value as NUL-ended strings (each
 * indicator's kind byte before its value). Only this file reads it back.
 */
#define KEY_HEAD	(4 + sizeof(((struct correlate_in *)0)->category))

int
ingest_batch_key(struct ingest_batch *b, const struct correlate_in *in)
{
	size_t	 need, off, i, len;
	char	*p;
	int	 rc;

	if (b->n == 0)
		return ERR_USAGE;
	if (b->keys == NULL &&
	    (b->keys = calloc(b->cap, sizeof(*b->keys))) == NULL)
		return ERR_NOMEM;
	need = KEY_HEAD + strnlen(in->name, CORR_NAME_MAX) + 1;
	for (i = 0; i < in->nind && i < CORR_IND_MAX; i++)
		need += 1 + strnlen(in->ind[i].value, CORR_VALUE_MAX) + 1;
	if ((rc = arena_room(b, b->arena_len + need)) != 0)
		return rc;
	off = b->arena_len;
	p = b->arena + off;
	*p++ = (char)in->kind;
	*p++ = (char)in->severity;
	*p++ = (char)in->name_cut;
	*p++ = (char)(in->nind < CORR_IND_MAX ? in->nind : CORR_IND_MAX);
	memcpy(p, in->category, sizeof(in->category));
	p += sizeof(in->category);
	len = strnlen(in->name, CORR_NAME_MAX);
	memcpy(p, in->name, len);
	p[len] = '\0';
	p += len + 1;
	for (i = 0; i < in->nind && i < CORR_IND_MAX; i++) {
		*p++ = (char)in->ind[i].kind;
		len = strnlen(in->ind[i].value, CORR_VALUE_MAX);
		memcpy(p, in->ind[i].value, len);
		p[len] = '\0';
		p += len + 1;
	}
	b->arena_len += need;
	b->keys[b->n - 1] = off + 1;
	return 0;
}

/* The packed key at p back into *in (the writer's scratch). */
static void
key_unpack(struct correlate_in *in, const char *p)
{
	size_t	i, len;

	in->kind = (uint8_t)*p++;
	in->severity = (uint8_t)*p++;
	in->name_cut = (uint8_t)*p++;
	in->nind = (uint8_t)*p++;
	memcpy(in->category, p, sizeof(in->category));
	p += sizeof(in->category);
	len = strlen(p);
	memcpy(in->name, p, len + 1);
	p += len + 1;
	for (i = 0; i < in->nind; i++) {
		in->ind[i].kind = (uint8_t)*p++;
		len = strlen(p);
		memcpy(in->ind[i].value, p, len + 1);
		p += len + 1;
	}
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ingest		*ing = arg;
	struct ingest_batch	*list, *b;

	pthread_mutex_lock(&ing->mu);
	list = ing->done;
	ing->done = NULL;
	ing->donep = &ing->done;
	pthread_mutex_unlock(&ing->mu);
	while ((b = list) != NULL) {
		list = b->next;
		b->next = NULL;
		ing->cb(ing->cbarg, b);
	}
}

/* Room for n events in the writer's scratch arrays. */
static int
scratch_grow(struct ingest *ing, size_t n)
{
	struct store_event		 *na;
	const struct correlate_in	**nk;
	int64_t				 *ni;
	struct correlate_in		 *ib;
	size_t				  cap;

	if (n <= ing->all_cap)
		return 0;
	cap = ing->all_cap ? ing->all_cap : 1024;
	while (cap < n)
		cap *= 2;
	if ((na = reallocarray(ing->all, cap, sizeof(*na))) == NULL)
		return ERR_NOMEM;
	ing->all = na;
	if ((nk = reallocarray(ing->allin, cap, sizeof(*nk))) == NULL)
		return ERR_NOMEM;
	ing->allin = nk;
	if ((ni = reallocarray(ing->ids, cap, sizeof(*ni))) == NULL)
		return ERR_NOMEM;
	ing->ids = ni;
	if ((ib = reallocarray(ing->inbuf, cap, sizeof(*ib))) == NULL)
		return ERR_NOMEM;
	ing->inbuf = ib;
	ing->all_cap = cap;
	return 0;
}

/* The events of n rows, and correlation in their transaction. */
static int
store_rows(struct ingest *ing, size_t n)
{
	struct db	*db = store_db(ing->store);
	size_t		 inserted = 0;
	int		 rc;

	if (ing->corr == NULL)
		return store_events_insert(ing->store, ing->all, n, &inserted);
	if ((rc = db_begin(db, DB_IMMEDIATE)) != 0)
		return rc;
	if ((rc = store_events_insert_ids(ing->store, ing->all, n, &inserted,
	    ing->ids)) == 0 && (rc = correlate_batch(ing->corr, ing->all,
	    ing->ids, ing->allin, n, (int64_t)time(NULL))) != 0)
		log_warnx("correlate: %s", vigil_strerror(rc));
	if ((rc = db_end(db, rc)) != 0)
		correlate_abort(ing->corr);
	else
		hand_on(ing);
	return rc;
}

static void
commit_list(struct ingest *ing, struct ingest_batch *list)
{
	struct ingest_batch	*b;
	size_t			 n = 0, i;
	int			 rc = 0;

	for (b = list; b != NULL; b = b->next) {
		if (b->kind == INGEST_HEARTBEAT)
			b->rc = store_agent_heartbeat(ing->store, b->agent_rowid,
			    b->now, b->version, b->arena, b->arena_len ?
			    b->arena_len - 1 : 0);
	}
	for (b = list; b != NULL; b = b->next) {
		if (b->kind == INGEST_HEARTBEAT || b->n == 0)
			continue;	/* an empty batch's evs is NULL */
		if ((rc = scratch_grow(ing, n + b->n)) != 0)
			break;
		memcpy(ing->all + n, b->evs, b->n * sizeof(*b->evs));
		for (i = 0; i < b->n; i++) {
			if (b->keys != NULL && b->keys[i] != 0)
				key_unpack(&ing->inbuf[n + i], b->arena +
				    b->keys[i] - 1);
			else
				ing->inbuf[n + i].kind = CORR_NONE;
		}
		n += b->n;
	}
	/* inbuf may have moved while it grew: point into it only now */
	for (i = 0; i < n; i++)
		ing->allin[i] = ing->inbuf[i].kind != CORR_NONE ?
		    &ing->inbuf[i] : NULL;
	if (rc == 0 && n > 0)
		rc = store_rows(ing, n);
	if (rc != 0)
		log_warnx("store: commit of %zu events failed: %s", n,
		    vigil_strerror(rc));
	for (b = list; b != NULL; b = b->next)
		if (b->kind != INGEST_HEARTBEAT)
			b->rc = rc;
}

/* Correlation's periodic work, in a transaction of its own. */
static void
tick(struct ingest *ing)
{
	struct db	*db = store_db(ing->store);
	int64_t		 now = (int64_t)time(NULL);
	int		 rc;

	ing->next_tick = now + ing->tick_s;
	if ((rc = db_begin(db, DB_IMMEDIATE)) != 0)
		return;
	if ((rc = correlate_tick(ing->corr, now)) != 0)
		log_warnx("correlate: tick: %s", vigil_strerror(rc));
	if (db_end(db, rc) != 0)
		correlate_abort(ing->corr);
	else
		hand_on(ing);
}

/*
 * Retention: one step, a transaction of its own between batches (at most
 * PURGE_BATCH rows looked at: a few milliseconds of the writer's time),
 * recorded in the audit log in the same transaction when it deleted
 * anything. Steps follow each other every PURGE_AGAIN_S while old events
 * remain, so a backlog is cleared at up to 5,000 events a second without
 * holding ingest for longer than one step.
 */
static void
purge(struct ingest *ing, int64_t now)
{
	struct db	*db = store_db(ing->store);
	json_t		*detail = NULL;
	int64_t		 before_us = (now - ing->retention_s) * 1000000;
	uint64_t	 n = 0;
	int		 more = 0, rc;

	ing->next_purge = now + PURGE_IDLE_S;
	if (db_begin(db, DB_IMMEDIATE) != 0)
		return;
	rc = store_events_purge(ing->store, before_us, PURGE_BATCH,
	    &ing->purge_cur, &n, &more);
	if (rc == 0 && n > 0) {
		if ((detail = json_pack("{s:I, s:I, s:I}", "events",
		    (json_int_t)n, "before_us", (json_int_t)before_us,
		    "retention_s", (json_int_t)ing->retention_s)) == NULL)
			rc = ERR_NOMEM;
		else
			rc = audit_append(ing->store, now, "retention", "purge",
			    0, detail);
		json_decref(detail);
	}
	if ((rc = db_end(db, rc)) != 0) {
		log_warnx("store: purge of events older than %" PRId64 " days "
		    "failed: %s", ing->retention_s / 86400, vigil_strerror(rc));
		return;
	}
	if (n > 0)
		log_debug("store: purged %" PRIu64 " events older than %"
		    PRId64 " days", n, ing->retention_s / 86400);
	if (more)
		ing->next_purge = now + PURGE_AGAIN_S;
}

/* What is due now: correlation's tick, a purge step. */
static void
periodic(struct ingest *ing)
{
	int64_t	now = (int64_t)time(NULL);

	if (ing->corr != NULL && now >= ing->next_tick)
		tick(ing);
	if (ing->retention_s > 0 && now >= ing->next_purge)
		purge(ing, now);
}

/* When periodic() next has something to do; INT64_MAX: never. */
static int64_t
next_due(const struct ingest *ing)
{
	int64_t	t = INT64_MAX;

	if (ing->corr != NULL)
		t = ing->next_tick;
	if (ing->retention_s > 0 && ing->next_purge < t)
		t = ing->next_purge;
	return t;
}

/* Wait for work until periodic work is due (forever without any); do it
 * when it is. Called and returns with mu held. */
static void
wait_work(struct ingest *ing)
{
	struct timespec	until = { 0 };
	int64_t		due;

	while (ing->head == NULL && !ing->stop) {
		if ((due = next_due(ing)) == INT64_MAX) {
			pthread_cond_wait(&ing->cv, &ing->mu);
			continue;
		}
		if ((int64_t)time(NULL) >= due) {
			pthread_mutex_unlock(&ing->mu);
			periodic(ing);
			pthread_mutex_lock(&ing->mu);
			continue;
		}
		until.tv_sec = (time_t)due;
		(void)pthread_cond_timedwait(&ing->cv, &ing->mu, &until);
	}
}

static void *
writer(void *arg)
{
	struct ingest		*ing = arg;
	struct ingest_batch	*list, *last;
	struct timespec		 until;

	pthread_mutex_lock(&ing->mu);
	for (;;) {
		wait_work(ing);
		if (ing->head == NULL && ing->stop)
			break;
		if (!ing->stop && ing->commit_ms > 0 &&
		    ing->queued_events < (size_t)ing->commit_events) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += (long)ing->commit_ms * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			while (!ing->stop && ing->queued_events <
			    (size_t)ing->commit_events &&
			    pthread_cond_timedwait(&ing->cv, &ing->mu, &until) !=
			    ETIMEDOUT)
				;
		}
		list = ing->head;
		ing->head = NULL;
		ing->tailp = &ing->head;
		ing->queued_events = 0;
		ing->queued_bytes = 0;
		pthread_mutex_unlock(&ing->mu);

		commit_list(ing, list);
		/* under steady load the queue is never empty: tick here too */
		if ((int64_t)time(NULL) >= next_due(ing))
			periodic(ing);

		for (last = list; last->next != NULL; last = last->next)
			;
		pthread_mutex_lock(&ing->mu);
		*ing->donep = list;
		ing->donep = &last->next;
		pthread_mutex_unlock(&ing->mu);
		event_active(ing->done_ev, 0, 0);
		pthread_mutex_lock(&ing->mu);
	}
	pthread_mutex_unlock(&ing->mu);
	return NULL;
}

void
ingest_set_retention(struct ingest *ing, int64_t seconds)
{
	pthread_mutex_lock(&ing->mu);
	ing->retention_s = seconds > 0 ? seconds : 0;
	ing->next_purge = (int64_t)time(NULL) + PURGE_FIRST_S;
	pthread_cond_signal(&ing->cv);
	pthread_mutex_unlock(&ing->mu);
}

int
ingest_new(struct ingest **out, struct event_base *base, const char *dbpath,
    int commit_events, int commit_ms, const struct correlate_conf *corr,
    struct notify *notify, ingest_done_cb cb, void *arg)
{
	struct ingest	*ing;
	int		 rc = ERR_NOMEM;

	*out = NULL;
	if ((ing = calloc(1, sizeof(*ing))) == NULL)
		return ERR_NOMEM;
	pthread_mutex_init(&ing->mu, NULL);
	pthread_cond_init(&ing->cv, NULL);
	ing->tailp = &ing->head;
	ing->donep = &ing->done;
	ing->purge_cur.ts = INT64_MIN;
	ing->commit_events = commit_events > 0 ? commit_events : 5000;
	ing->commit_ms = commit_ms;
	ing->cb = cb;
	ing->cbarg = arg;
	ing->notify = notify;
	if ((ing->done_ev = event_new(base, -1, 0, done_cb, ing)) == NULL)
		goto fail;
	if ((rc = store_open(&ing->store, dbpath)) != 0)
		goto fail;
	if (corr != NULL && corr->enabled) {
		if ((rc = correlate_open(&ing->corr, ing->store, corr,
		    (int64_t)time(NULL))) != 0)
			goto fail;
		ing->tick_s = correlate_tick_s(corr);
		ing->next_tick = (int64_t)time(NULL) + ing->tick_s;
	}
	if (pthread_create(&ing->thread, NULL, writer, ing) != 0) {
		rc = ERR_NOMEM;
		goto fail;
	}
	ing->started = 1;
	*out = ing;
	return 0;
fail:
	ingest_free(ing);
	return rc;
}

void
ingest_free(struct ingest *ing)
{
	struct ingest_batch	*b;

	if (ing == NULL)
		return;
	if (ing->started) {
		pthread_mutex_lock(&ing->mu);
		ing->stop = 1;
		pthread_cond_signal(&ing->cv);
		pthread_mutex_unlock(&ing->mu);
		pthread_join(ing->thread, NULL);
	}
	/* Committed but not yet reported: their connections are gone. */
	while ((b = ing->done) != NULL) {
		ing->done = b->next;
		ing->cb(ing->cbarg, b);
	}
	if (ing->done_ev != NULL)
		event_free(ing->done_ev);
	ing->pool_used = 0;
	ingest_pool_trim(ing);
	correlate_free(ing->corr);
	store_close(ing->store);
	free(ing->all);
	free(ing->allin);
	free(ing->ids);
	free(ing->inbuf);
	pthread_cond_destroy(&ing->cv);
	pthread_mutex_destroy(&ing->mu);
	free(ing);
}

void
ingest_submit(struct ingest *ing, struct ingest_batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		b->evs[i].type = b->arena + (uintptr_t)b->evs[i].type;
		b->evs[i].json = b->arena + (uintptr_t)b->evs[i].json;
	}
	b->next = NULL;
	pthread_mutex_lock(&ing->mu);
	*ing->tailp = b;
	ing->tailp = &b->next;
	ing->queued_events += b->n ? b->n : 1;
	ing->queued_bytes += sizeof(*b) + b->arena_cap +
	    b->cap * sizeof(*b->evs) + (b->keys ? b->cap * sizeof(*b->keys) :
	    0);
	pthread_cond_signal(&ing->cv);
	pthread_mutex_unlock(&ing->mu);
}

size_t
ingest_backlog(struct ingest *ing, size_t *bytes)
{
	size_t	n;

	pthread_mutex_lock(&ing->mu);
	n = ing->queued_events;
	if (bytes != NULL)
		*bytes = ing->queued_bytes;
	pthread_mutex_unlock(&ing->mu);
	return n;
}
