/*
 * logrl.c: rate-limited log lines (see logrl.h).
 *
 * A token bucket counted in milliseconds of credit: each line costs
 * per_ms, the bucket holds burst * per_ms and refills one millisecond per
 * millisecond. Load: one call per refusal; O(1).
 */
#include "logrl.h"

void
logrl_init(struct logrl *rl, int burst, int per_ms, int summary_ms,
    int64_t now_ms)
{
	rl->burst = burst > 0 ? burst : 1;
	rl->per_ms = per_ms > 0 ? per_ms : 1;
	rl->summary_ms = summary_ms > 0 ? summary_ms : 0;
	rl->credit = rl->burst * rl->per_ms;
	rl->stamp = now_ms;
	rl->held = 0;
	rl->since = now_ms;
}

int
logrl_allow(struct logrl *rl, int64_t now_ms)
{
	int64_t	full = rl->burst * rl->per_ms;

	if (now_ms > rl->stamp) {
		/* a long gap fills the bucket; no overflow on any gap */
		if (now_ms - rl->stamp >= full - rl->credit)
			rl->credit = full;
		else
			rl->credit += now_ms - rl->stamp;
		rl->stamp = now_ms;
	}
	if (rl->credit >= rl->per_ms) {
		rl->credit -= rl->per_ms;
		return 1;
	}
	rl->held++;
	return 0;
}

uint64_t
logrl_take(struct logrl *rl, int64_t now_ms, int64_t *period_ms)
{
	uint64_t	n = rl->held;

	*period_ms = now_ms - rl->since;
	if (*period_ms < rl->summary_ms)
		return 0;
	/* a quiet period ends too, so a count never spans hours */
	rl->held = 0;
	rl->since = now_ms;
	return n;
}
