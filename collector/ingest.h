/*
 * ingest.h: the collector's writer thread.
 *
 * The event loop decodes and validates events and hands them here as
 * batches; one thread owns a store handle and commits whatever has queued
 * in one transaction (group commit), then tells the event loop which
 * batches are durable so it can acknowledge them to their agents. Socket
 * reading never waits for an fsync.
 *
 * Batches of one connection are committed in submission order, so an
 * acknowledgement of a batch's highest sequence number covers all the
 * earlier batches of that connection. Called from the event-loop thread
 * only; the done callback runs on the event-loop thread.
 */
#ifndef VIGIL_INGEST_H
#define VIGIL_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "correlate.h"
#include "notify.h"
#include "store.h"

enum ingest_kind {
	INGEST_EVENTS,		/* store events */
	INGEST_HEARTBEAT,	/* store_agent_heartbeat */
	INGEST_HEALTH,		/* the collector's own events (seq 0); no
				 * owner, nothing to acknowledge */
};

struct ingest_batch {
	enum ingest_kind	 kind;
	void			*owner;		/* passed back to done_cb */
	int64_t			 agent_rowid;
	uint64_t		 max_seq;	/* highest seq in the batch */
	size_t			 n, cap;
	struct store_event	*evs;		/* json points into arena */
	size_t			*keys;		/* NULL, or one per event:
						 * 1 + the arena offset of
						 * its packed correlate_in,
						 * 0 none */
	char			*arena;		/* copies of the JSON texts */
	size_t			 arena_len, arena_cap;
	char			 version[STORE_VERSION_MAX + 1]; /* heartbeat */
	int64_t			 now;
	int			 rc;		/* result, set by the writer */
	struct ingest_batch	*next;
};

typedef void	(*ingest_done_cb)(void *arg, struct ingest_batch *);

struct ingest;

/* Opens its own store at dbpath. commit_events: soft cap on events per
 * transaction; commit_ms: how long to wait for more when fewer queued.
 * corr (borrowed; NULL: no correlation): each batch is correlated in
 * its transaction, and the writer ticks correlation every
 * correlate_tick_s() between batches. notify (borrowed; NULL: none)
 * gets correlation's changes once their transaction committed. */
int	ingest_new(struct ingest **out, struct event_base *, const char *dbpath,
	    int commit_events, int commit_ms, const struct correlate_conf *corr,
	    struct notify *notify, ingest_done_cb cb, void *arg);
/* Keep events for seconds (0: for ever): older ones, but those linked
 * to an incident, are purged between batches, a step at a time, each
 * step recorded in the audit log (store_events_purge, audit_append);
 * the first look comes 10 s after this call. Any thread. */
void	ingest_set_retention(struct ingest *, int64_t seconds);
/* Commits everything queued, stops the thread. Takes NULL. */
void	ingest_free(struct ingest *);

struct ingest_batch *ingest_batch_new(enum ingest_kind, void *owner,
	    int64_t agent_rowid);
/* Room for n events of about bytes of JSON in all, so that the batch is
 * filled without growing (a hint: it still grows if it must). */
int	ingest_batch_reserve(struct ingest_batch *, size_t n, size_t bytes);
/* An INGEST_EVENTS batch, empty, from the pool of ing's batches put
 * back (NULL: a new one, as ingest_batch_new). Event-loop thread only;
 * NULL on allocation failure. */
struct ingest_batch *ingest_batch_get(struct ingest *ing, void *owner,
	    int64_t agent_rowid);
/* Done with b (back from done_cb, or never submitted): kept for
 * ingest_batch_get (at most 64), or freed. Takes NULL b; ing NULL frees.
 * Event-loop thread only. */
void	ingest_batch_put(struct ingest *ing, struct ingest_batch *b);
/* Free the pooled batches unless one was taken since the last call:
 * every second or so, memory goes back once ingest is idle. Event-loop
 * thread only. */
void	ingest_pool_trim(struct ingest *);
/* Copy an event into the batch. ERR_NOMEM. */
int	ingest_batch_add(struct ingest_batch *, uint64_t seq, int64_t ts_us,
	    const char *type, int severity, const char *json, size_t len);
/* What correlation needs of the event added last (correlate_extract);
 * copied, packed (a few dozen bytes, not sizeof(struct correlate_in)).
 * ERR_NOMEM; ERR_USAGE on an empty batch. */
int	ingest_batch_key(struct ingest_batch *, const struct correlate_in *);
/* A heartbeat job: copies version and json. NULL on allocation failure. */
struct ingest_batch *ingest_heartbeat_new(void *owner, int64_t agent_rowid,
	    int64_t now, const char *version, const char *json, size_t len);
void	ingest_batch_free(struct ingest_batch *);
/* Takes ownership of b; it comes back through done_cb. */
void	ingest_submit(struct ingest *, struct ingest_batch *b);
/* Events queued but not yet committed (for flow control); bytes (may be
 * NULL) gets the memory those batches hold. A batch counts at least 1. */
size_t	ingest_backlog(struct ingest *, size_t *bytes);

#endif
