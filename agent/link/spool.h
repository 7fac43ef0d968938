/*
 * spool.h: the agent's durable event queue and its small state store.
 *
 * Every event an agent produces is written here first (SQLite, WAL,
 * synchronous=FULL) and deleted only when the collector acknowledges its
 * sequence number. Sequence numbers are per agent, start at 1, strictly
 * increase and are never reused, even after deletes or a restart.
 *
 * The spool is bounded by max_bytes (sum of stored event lengths). When an
 * append would exceed it, events are dropped lowest priority first, oldest
 * first within a priority; if the incoming event has the lowest priority
 * of all, it is the one dropped. Every drop is counted by event type in
 * the database, so the count survives restarts and reaches the collector
 * through heartbeats. Nothing is dropped silently: each drop is counted and
 * the first drop of a burst is logged.
 *
 * The same file holds key/value state (enrollment, link status) through
 * spool_meta_*, so `vigil-agent status` and `emit` can work beside a
 * running daemon. One struct spool per thread; several processes may
 * open the same file.
 */
#ifndef VIGIL_SPOOL_H
#define VIGIL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

struct spool_in {
	const char	*type;		/* event_type, for drop accounting */
	int		 prio;		/* higher is kept longer; see event_prio */
	const char	*json;		/* one event, no agent/seq fields */
	size_t		 len;
};

struct spool_stats {
	uint64_t	 depth;		/* events waiting */
	uint64_t	 bytes;		/* their total length */
	uint64_t	 max_bytes;
	uint64_t	 last_seq;	/* last sequence number assigned */
	uint64_t	 acked_seq;	/* highest acknowledged */
	uint64_t	 dropped;	/* total dropped since creation */
};

typedef int	(*spool_read_cb)(void *arg, uint64_t seq, const char *json,
		    size_t len);
typedef int	(*spool_drop_cb)(void *arg, const char *type, uint64_t n);

/* Create or open path (mode 0600). max_bytes 0 means the default,
 * SPOOL_DEFAULT_MAX. The bound belongs to the handle, not the file: every
 * process that appends to one file should pass the same value. ERR_IO
 * (also for a file with a newer or foreign schema), ERR_NOMEM. */
#define SPOOL_DEFAULT_MAX	(512ULL * 1024 * 1024)
int	spool_open(struct spool **out, const char *path, uint64_t max_bytes);
void	spool_close(struct spool *);
/* Takes effect at the next append; nothing is evicted now. 0: default. */
void	spool_set_max(struct spool *, uint64_t max_bytes);

/* Append n events in one transaction, assigning sequence numbers in order.
 * *first_seq (may be NULL) gets the first number assigned, 0 if every
 * event was dropped; a dropped incoming event gets no number. Drops as
 * described above, precisely: an incoming event may evict only events of
 * strictly lower priority, lowest then oldest first, and only if evicting
 * them makes room; otherwise it is dropped itself and nothing is evicted.
 * *dropped (may be NULL) gets how many were dropped by this call (new or
 * old). An event longer than max_bytes is dropped and counted. On error
 * nothing of the call is stored. ERR_IO, ERR_USAGE (NULL type or json). */
int	spool_append(struct spool *, const struct spool_in *evs, size_t n,
	    uint64_t *first_seq, uint64_t *dropped);
/* Call cb for up to max events with seq > after, in order, stopping early
 * before the JSON passed would exceed max_bytes (the first event is passed
 * whatever its size). json is NUL-terminated and valid only during the
 * call; cb must not call back into this handle. *nread (may be NULL) gets
 * the count of events cb accepted. A non-zero return from cb stops and is
 * returned. ERR_IO, ERR_NOMEM. */
int	spool_read(struct spool *, uint64_t after, size_t max, size_t max_bytes,
	    spool_read_cb cb, void *arg, size_t *nread);
/* Delete every event with seq <= upto; remember upto as acked (acked_seq
 * never decreases). ERR_MALFORMED, changing nothing, if upto is beyond
 * the last sequence number assigned. ERR_IO. */
int	spool_ack(struct spool *, uint64_t upto);
int	spool_stats(struct spool *, struct spool_stats *out);
/* Drop counts by type, in type order. A non-zero return from cb stops and
 * is returned; cb must not call back into this handle. ERR_IO. */
int	spool_drops(struct spool *, spool_drop_cb cb, void *arg);

/* Key/value state. get: *val is malloc'd (caller frees), ERR_NOTFOUND. */
int	spool_meta_get(struct spool *, const char *key, char **val);
int	spool_meta_set(struct spool *, const char *key, const char *val);
/* 1 if another connection changed the file since the last call, else 0;
 * negative on error. Cheap: meant for a polling timer. */
int	spool_changed(struct spool *);

#endif
