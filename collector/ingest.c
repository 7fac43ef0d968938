/*
 * ingest.c: the writer thread between the event loop and the store.
 *
 * Invariants: batches leave the queue in the order they entered it; a
 * batch reaches done_cb only after the transaction holding its events
 * committed (rc == 0) or failed (rc < 0, nothing of it acknowledged).
 * Load: at 50,000 events/s, a few hundred batches per second; one
 * transaction per wake-up of the writer (group commit), so fsyncs stay
 * in the tens per second whatever the event rate.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	size_t			 all_cap;
};

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

void
ingest_batch_free(struct ingest_batch *b)
{
	if (b == NULL)
		return;
	free(b->evs);
	free(b->arena);
	free(b);
}

/* Append len bytes and a NUL to the arena; *off gets where they start. */
static int
arena_put(struct ingest_batch *b, size_t *off, const char *s, size_t len)
{
	size_t	 need, cap;
	char	*p;

	if (len > SIZE_MAX / 4 || b->arena_len > SIZE_MAX / 4)
		return ERR_TOOBIG;
	need = b->arena_len + len + 1;
	if (need > b->arena_cap) {
		cap = b->arena_cap ? b->arena_cap : 16384;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(b->arena, cap)) == NULL)
			return ERR_NOMEM;
		b->arena = p;
		b->arena_cap = cap;
	}
	*off = b->arena_len;
	memcpy(b->arena + b->arena_len, s, len);
	b->arena[b->arena_len + len] = '\0';
	b->arena_len = need;
	return 0;
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
	struct store_event	*e, *nevs;
	size_t			 toff, joff, cap;
	int			 rc;

	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : 64;
		if ((nevs = reallocarray(b->evs, cap, sizeof(*nevs))) == NULL)
			return ERR_NOMEM;
		b->evs = nevs;
		b->cap = cap;
	}
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

static void
commit_list(struct ingest *ing, struct ingest_batch *list)
{
	struct ingest_batch	*b;
	struct store_event	*na;
	size_t			 n = 0, cap, inserted = 0;
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
		if (n + b->n > ing->all_cap) {
			cap = ing->all_cap ? ing->all_cap : 1024;
			while (cap < n + b->n)
				cap *= 2;
			na = reallocarray(ing->all, cap, sizeof(*na));
			if (na == NULL) {
				rc = ERR_NOMEM;
				break;
			}
			ing->all = na;
			ing->all_cap = cap;
		}
		memcpy(ing->all + n, b->evs, b->n * sizeof(*b->evs));
		n += b->n;
	}
	if (rc == 0 && n > 0)
		rc = store_events_insert(ing->store, ing->all, n, &inserted);
	if (rc != 0)
		log_warnx("store: commit of %zu events failed: %s", n,
		    vigil_strerror(rc));
	for (b = list; b != NULL; b = b->next)
		if (b->kind != INGEST_HEARTBEAT)
			b->rc = rc;
}

static void *
writer(void *arg)
{
	struct ingest		*ing = arg;
	struct ingest_batch	*list, *last;
	struct timespec		 until;

	pthread_mutex_lock(&ing->mu);
	for (;;) {
		while (ing->head == NULL && !ing->stop)
			pthread_cond_wait(&ing->cv, &ing->mu);
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

int
ingest_new(struct ingest **out, struct event_base *base, const char *dbpath,
    int commit_events, int commit_ms, ingest_done_cb cb, void *arg)
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
	ing->commit_events = commit_events > 0 ? commit_events : 5000;
	ing->commit_ms = commit_ms;
	ing->cb = cb;
	ing->cbarg = arg;
	if ((ing->done_ev = event_new(base, -1, 0, done_cb, ing)) == NULL)
		goto fail;
	if ((rc = store_open(&ing->store, dbpath)) != 0)
		goto fail;
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
	store_close(ing->store);
	free(ing->all);
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
	    b->cap * sizeof(*b->evs);
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
