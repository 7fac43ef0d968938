/*
 * throttle.h: how the early warning keeps a storm to a handful of
 * messages (notify.c; docs/incidents.md, "Early warning").
 *
 * Two limits, checked in this order for each change to tell:
 * - per incident and change kind (opened, raised, spreading): at most one
 *   message per interval; a later one within it is THR_REPEAT and left
 *   out (the register holds it).
 * - in total: at most rate messages a minute (a fixed window from the
 *   first message of the minute); beyond it a change is THR_HELD and
 *   counted, and once the minute is over throttle_summary() says how many
 *   were held back and which incidents they were about, for one summary
 *   message (which does not count against the rate).
 * And the retry schedule of a failed delivery: throttle_retry_s().
 *
 * Memory: one entry per incident and kind told within the interval, so
 * at most rate * (interval in minutes + 1) entries; a linear scan each
 * (a few hundred at the defaults). Time is a parameter, milliseconds on
 * any monotonic clock. One thread (the notifier).
 */
#ifndef VIGIL_THROTTLE_H
#define VIGIL_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THR_LIST_MAX	20	/* incidents named in a summary */

enum throttle_verdict {
	THR_SEND = 0,
	THR_REPEAT,		/* the same kind within the interval */
	THR_HELD,		/* over the rate: counted for the summary */
};

struct throttle_summary {
	uint64_t	 held;		/* changes held back */
	size_t		 nids;		/* incidents named */
	int64_t		 ids[THR_LIST_MAX];
	int		 more;		/* more than THR_LIST_MAX */
};

struct throttle;

/* interval_ms >= 0 (0: no per-incident limit); rate >= 1 a minute. */
int	throttle_new(struct throttle **out, int64_t interval_ms, int rate);
void	throttle_free(struct throttle *);	/* takes NULL */

/* May a message about incident's change of kind (a small number) go out
 * at now? THR_SEND counts it. ERR_NOMEM (counted as sent: better a
 * message too many than a warning lost). */
int	throttle_check(struct throttle *, int64_t incident, int kind,
	    int64_t now);
/* count changes held back without asking (lost before they were
 * checked: a full queue); incident 0 names none. */
void	throttle_hold(struct throttle *, int64_t incident, uint64_t count,
	    int64_t now);
/* 1 and *out filled (and the count reset) when changes were held back
 * and their minute is over; else 0. */
int	throttle_summary(struct throttle *, struct throttle_summary *out,
	    int64_t now);
/* When the summary is due (0: nothing held). */
int64_t	throttle_next(const struct throttle *);

/* Seconds to wait before retry number attempt (1: after the first
 * failure) on schedule s[0 .. n-1]; -1: give up. */
int64_t	throttle_retry_s(const int *s, int n, int attempt);

#endif
