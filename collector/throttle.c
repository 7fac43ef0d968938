/*
 * throttle.c: per-incident and global limits of the early warning, and
 * its retry schedule (throttle.h).
 *
 * Invariants: every entry of sent[] was told within the last interval
 * (older ones are dropped on the next check); held counts the changes
 * refused since the last summary, ids[] the first THR_LIST_MAX distinct
 * incidents among them.
 * Load: one check per register change at or above min_severity, a few a
 * second in a storm (correlation folds each batch into one change per
 * incident); O(entries) each.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "throttle.h"

#define MINUTE_MS	60000

struct sent {
	int64_t	 incident;
	int64_t	 at;
	int	 kind;
};

struct throttle {
	int64_t			 interval;
	int			 rate;
	int64_t			 win_start;	/* the minute's first */
	int			 win_n;		/* messages in it */
	struct sent		*sent;
	size_t			 nsent, capsent;
	struct throttle_summary	 sum;
	int64_t			 held_since;	/* first held; 0: none */
};

int
throttle_new(struct throttle **out, int64_t interval_ms, int rate)
{
	struct throttle	*t;

	*out = NULL;
	if (interval_ms < 0 || rate < 1)
		return ERR_USAGE;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	t->interval = interval_ms;
	t->rate = rate;
	*out = t;
	return 0;
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	free(t->sent);
	free(t);
}

/* Drop entries older than the interval; 1 if (incident, kind) is left. */
static int
recent(struct throttle *t, int64_t incident, int kind, int64_t now)
{
	size_t	i, j;
	int	found = 0;

	for (i = j = 0; i < t->nsent; i++) {
		if (now - t->sent[i].at >= t->interval)
			continue;
		if (t->sent[i].incident == incident && t->sent[i].kind == kind)
			found = 1;
		t->sent[j++] = t->sent[i];
	}
	t->nsent = j;
	return found;
}

static int
remember(struct throttle *t, int64_t incident, int kind, int64_t now)
{
	struct sent	*n;
	size_t		 cap;

	if (t->interval == 0)
		return 0;
	if (t->nsent == t->capsent) {
		cap = t->capsent ? t->capsent * 2 : 64;
		if ((n = reallocarray(t->sent, cap, sizeof(*n))) == NULL)
			return ERR_NOMEM;
		t->sent = n;
		t->capsent = cap;
	}
	t->sent[t->nsent++] = (struct sent){ incident, now, kind };
	return 0;
}

void
throttle_hold(struct throttle *t, int64_t incident, uint64_t count,
    int64_t now)
{
	size_t	i;

	if (count == 0)
		return;
	if (t->sum.held == 0)
		t->held_since = now;
	t->sum.held = UINT64_MAX - t->sum.held < count ? UINT64_MAX :
	    t->sum.held + count;
	if (incident == 0)
		return;
	for (i = 0; i < t->sum.nids; i++)
		if (t->sum.ids[i] == incident)
			return;
	if (t->sum.nids < THR_LIST_MAX)
		t->sum.ids[t->sum.nids++] = incident;
	else
		t->sum.more = 1;
}

int
throttle_check(struct throttle *t, int64_t incident, int kind, int64_t now)
{
	if (recent(t, incident, kind, now))
		return THR_REPEAT;
	if (t->win_n == 0 || now - t->win_start >= MINUTE_MS) {
		t->win_start = now;
		t->win_n = 0;
	}
	if (t->win_n >= t->rate) {
		throttle_hold(t, incident, 1, now);
		return THR_HELD;
	}
	t->win_n++;
	return remember(t, incident, kind, now);
}

int64_t
throttle_next(const struct throttle *t)
{
	/* a minute after the first held: the minute that held it is over,
	 * and summaries are a minute apart at least */
	return t->sum.held == 0 ? 0 : t->held_since + MINUTE_MS;
}

int
throttle_summary(struct throttle *t, struct throttle_summary *out,
    int64_t now)
{
	if (t->sum.held == 0 || now < throttle_next(t))
		return 0;
	*out = t->sum;
	memset(&t->sum, 0, sizeof(t->sum));
	t->held_since = 0;
	return 1;
}

int64_t
throttle_retry_s(const int *s, int n, int attempt)
{
	if (attempt < 1 || attempt > n)
		return -1;
	return s[attempt - 1];
}
