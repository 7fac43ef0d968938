/*
 * quota.h: how much each enrolled agent may send, so that one agent gone
 * wrong cannot fill the disk or slow the others (docs/protocol.md,
 * "Quotas").
 *
 * Per agent (by registry rowid), two token buckets: events per second
 * and bytes per second (event JSON as stored, after decompression), each
 * holding one second's worth. A batch is always taken whole: it may drive
 * a bucket below zero, and quota_charge() says how long the agent must
 * then wait before it is read again (the server stops reading from it,
 * so its events wait in its own spool; nothing is dropped). What went
 * over, how long the agent was held back and what was refused outright
 * (events over max_event_size) are counted for quota_report(), which the
 * server turns into agent_health events.
 *
 * The state outlives connections, so reconnecting buys nothing: one
 * entry per agent that has sent anything since start (bounded by the
 * registry). Times are monotonic milliseconds given by the caller.
 * Event-loop thread only.
 */
#ifndef VIGIL_QUOTA_H
#define VIGIL_QUOTA_H

#include <stdint.h>

struct quota;

struct quota_conf {
	uint64_t	events;		/* per second, >= 1 */
	uint64_t	bytes;		/* per second, >= 1 */
};

struct quota_stats {
	uint64_t	events_over;	/* beyond the allowance on arrival */
	uint64_t	bytes_over;
	uint64_t	throttled_ms;	/* waits imposed */
	uint64_t	refused_events;	/* over max_event_size */
	uint64_t	refused_bytes;
};

/* ERR_NOMEM, ERR_USAGE (a rate of 0 or above 2^40). */
int	quota_new(struct quota **out, const struct quota_conf *);
/* New rates; buckets and counts are kept. ERR_USAGE. */
int	quota_set(struct quota *, const struct quota_conf *);
void	quota_free(struct quota *);

/* The agent sent n events of nbytes at now: charge them. Returns the ms
 * it must wait before more is read from it (0: none), or ERR_NOMEM. */
int64_t	quota_charge(struct quota *, int64_t agent, int64_t now_ms,
	    uint64_t n, uint64_t nbytes);
/* ms the agent must still wait at now (0: none, or never charged). */
int64_t	quota_wait(struct quota *, int64_t agent, int64_t now_ms);
/* n events of nbytes in all refused (too big): counted for the report.
 * ERR_NOMEM. */
int	quota_refused(struct quota *, int64_t agent, uint64_t n,
	    uint64_t nbytes);

typedef int	(*quota_report_cb)(void *arg, int64_t agent,
		    const struct quota_stats *);
/* cb for each agent with something to report whose last report is at
 * least period_ms old (or who never had one); its counts then start
 * again from 0. A non-zero return from cb stops the walk, is returned,
 * and leaves that agent's counts for next time. */
int	quota_report(struct quota *, int64_t now_ms, int64_t period_ms,
	    quota_report_cb cb, void *arg);

#endif
