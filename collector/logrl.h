/*
 * logrl.h: a rate limit for log lines that anyone on the network can
 * cause (refused connections, failed handshakes).
 *
 * Up to `burst` lines at once, then one line every `per_ms` on average;
 * lines held back are counted, and logrl_take() hands the count over at
 * most once per `summary_ms`, for one summary line ("N more ... not
 * logged"). A flood of refusals thus costs a few lines a second, and an
 * operator still sees the first ones in full and how many there were.
 *
 * A plain value, embedded by its owner; times are monotonic milliseconds
 * given by the caller. One thread.
 */
#ifndef VIGIL_LOGRL_H
#define VIGIL_LOGRL_H

#include <stdint.h>

struct logrl {
	int64_t		burst;		/* lines */
	int64_t		per_ms;		/* sustained: one line per per_ms */
	int64_t		summary_ms;	/* shortest period of a summary */
	int64_t		credit;		/* ms of credit, <= burst * per_ms */
	int64_t		stamp;		/* when credit was right */
	uint64_t	held;		/* lines not logged since `since` */
	int64_t		since;		/* start of the current period */
};

/* burst >= 1, per_ms >= 1, summary_ms >= 0; starts full at now_ms. */
void		logrl_init(struct logrl *, int burst, int per_ms, int summary_ms,
		    int64_t now_ms);
/* 1: log this line now. 0: do not; it is counted. */
int		logrl_allow(struct logrl *, int64_t now_ms);
/* The lines held back in a period of at least summary_ms that has ended
 * by now_ms (0 if none, or if the period is not over); *period_ms gets
 * its length. The count starts again from 0. */
uint64_t	logrl_take(struct logrl *, int64_t now_ms, int64_t *period_ms);

#endif
