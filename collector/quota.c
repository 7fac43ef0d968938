/*
 * quota.c: per-agent quotas (see quota.h).
 *
 * An open-addressing table keyed by agent rowid (linear probing,
 * Fibonacci hashing: rowids are small and dense), grown by doubling at
 * half full, never shrunk: entries are never removed, so there is no
 * deletion to get wrong, and there are at most as many as enrolled
 * agents. Buckets count thousandths of an event or byte, so a refill is
 * integer arithmetic: `rate` thousandths per millisecond, at most one
 * second's worth. A charge may take a bucket below zero by at most one
 * message (4,096 events, 4 MiB): no overflow.
 *
 * Load: one lookup per batch and per heartbeat; quota_report walks the
 * table once per server tick.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "quota.h"

#define MILLI		1000
#define RATE_MAX	(1ULL << 40)
#define REFILL_CAP_MS	(1000LL * 1000 * 1000)	/* longer is "full" */
#define NEVER		INT64_MIN

struct bucket {
	int64_t		tokens;		/* thousandths */
};

struct entry {
	int64_t			agent;		/* 0: free slot */
	int64_t			stamp;		/* when buckets were right */
	int64_t			reported;	/* last report, or NEVER */
	struct bucket		ev, by;
	struct quota_stats	st;
};

struct quota {
	struct entry		*tab;
	size_t			 mask, n;
	struct quota_conf	 conf;
};

static int
conf_ok(const struct quota_conf *c)
{
	return c->events >= 1 && c->bytes >= 1 && c->events <= RATE_MAX &&
	    c->bytes <= RATE_MAX;
}

int
quota_new(struct quota **out, const struct quota_conf *conf)
{
	struct quota	*q;

	*out = NULL;
	if (!conf_ok(conf))
		return ERR_USAGE;
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->tab = calloc(64, sizeof(*q->tab))) == NULL) {
		free(q);
		return ERR_NOMEM;
	}
	q->mask = 63;
	q->conf = *conf;
	*out = q;
	return 0;
}

int
quota_set(struct quota *q, const struct quota_conf *conf)
{
	if (!conf_ok(conf))
		return ERR_USAGE;
	q->conf = *conf;
	return 0;
}

void
quota_free(struct quota *q)
{
	if (q == NULL)
		return;
	free(q->tab);
	free(q);
}

static size_t
slot_of(const struct entry *tab, size_t mask, int64_t agent)
{
	size_t	i;

	i = (size_t)(((uint64_t)agent * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
	while (tab[i].agent != 0 && tab[i].agent != agent)
		i = (i + 1) & mask;
	return i;
}

static int
grow(struct quota *q)
{
	struct entry	*nt;
	size_t		 i, nmask = q->mask * 2 + 1;

	if ((nt = calloc(nmask + 1, sizeof(*nt))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i <= q->mask; i++)
		if (q->tab[i].agent != 0)
			nt[slot_of(nt, nmask, q->tab[i].agent)] = q->tab[i];
	free(q->tab);
	q->tab = nt;
	q->mask = nmask;
	return 0;
}

/* The agent's entry, created with full buckets at now if new; NULL on
 * ENOMEM. Agent rowids are positive. */
static struct entry *
get(struct quota *q, int64_t agent, int64_t now)
{
	struct entry	*e;

	if (agent <= 0)
		return NULL;
	e = &q->tab[slot_of(q->tab, q->mask, agent)];
	if (e->agent == agent)
		return e;
	if (2 * (q->n + 1) > q->mask + 1) {
		if (grow(q) != 0)
			return NULL;
		e = &q->tab[slot_of(q->tab, q->mask, agent)];
	}
	memset(e, 0, sizeof(*e));
	e->agent = agent;
	e->stamp = now;
	e->reported = NEVER;
	e->ev.tokens = (int64_t)q->conf.events * MILLI;
	e->by.tokens = (int64_t)q->conf.bytes * MILLI;
	q->n++;
	return e;
}

static struct entry *
find(const struct quota *q, int64_t agent)
{
	struct entry	*e;

	if (agent <= 0)
		return NULL;
	e = &q->tab[slot_of(q->tab, q->mask, agent)];
	return e->agent == agent ? e : NULL;
}

static void
fill(struct bucket *b, uint64_t rate, int64_t dt)
{
	int64_t	full = (int64_t)rate * MILLI;

	/* dt is capped first: dt * rate stays far below 2^63 */
	if (dt > REFILL_CAP_MS || b->tokens + dt * (int64_t)rate > full)
		b->tokens = full;
	else
		b->tokens += dt * (int64_t)rate;
}

static void
refill(const struct quota *q, struct entry *e, int64_t now)
{
	if (now <= e->stamp)
		return;
	fill(&e->ev, q->conf.events, now - e->stamp);
	fill(&e->by, q->conf.bytes, now - e->stamp);
	e->stamp = now;
}

/* Take n from b; what went beyond what it held is added to *over. */
static void
take(struct bucket *b, uint64_t n, uint64_t *over)
{
	uint64_t	avail = b->tokens > 0 ? (uint64_t)b->tokens / MILLI : 0;

	*over += n > avail ? n - avail : 0;
	b->tokens -= (int64_t)n * MILLI;
}

/* ms until b is back to zero, rounded up. */
static int64_t
debt_ms(const struct bucket *b, uint64_t rate)
{
	return b->tokens >= 0 ? 0 : (-b->tokens + (int64_t)rate - 1) /
	    (int64_t)rate;
}

static int64_t
wait_of(const struct quota *q, const struct entry *e)
{
	int64_t	we = debt_ms(&e->ev, q->conf.events);
	int64_t	wb = debt_ms(&e->by, q->conf.bytes);

	return we > wb ? we : wb;
}

int64_t
quota_charge(struct quota *q, int64_t agent, int64_t now_ms, uint64_t n,
    uint64_t nbytes)
{
	struct entry	*e;
	int64_t		 w;

	if ((e = get(q, agent, now_ms)) == NULL)
		return ERR_NOMEM;
	refill(q, e, now_ms);
	take(&e->ev, n, &e->st.events_over);
	take(&e->by, nbytes, &e->st.bytes_over);
	w = wait_of(q, e);
	e->st.throttled_ms += (uint64_t)w;
	return w;
}

int64_t
quota_wait(struct quota *q, int64_t agent, int64_t now_ms)
{
	struct entry	*e;

	if ((e = find(q, agent)) == NULL)
		return 0;
	refill(q, e, now_ms);
	return wait_of(q, e);
}

int
quota_refused(struct quota *q, int64_t agent, uint64_t n, uint64_t nbytes)
{
	struct entry	*e;

	/* no clock needed: a new entry's buckets are full either way */
	if ((e = get(q, agent, 0)) == NULL)
		return ERR_NOMEM;
	e->st.refused_events += n;
	e->st.refused_bytes += nbytes;
	return 0;
}

static int
has_news(const struct quota_stats *st)
{
	return st->events_over != 0 || st->bytes_over != 0 ||
	    st->throttled_ms != 0 || st->refused_events != 0;
}

int
quota_report(struct quota *q, int64_t now_ms, int64_t period_ms,
    quota_report_cb cb, void *arg)
{
	struct entry	*e;
	size_t		 i;
	int		 rc;

	for (i = 0; i <= q->mask; i++) {
		e = &q->tab[i];
		if (e->agent == 0 || !has_news(&e->st) ||
		    (e->reported != NEVER && now_ms - e->reported < period_ms))
			continue;
		if ((rc = cb(arg, e->agent, &e->st)) != 0)
			return rc;
		memset(&e->st, 0, sizeof(e->st));
		e->reported = now_ms;
	}
	return 0;
}
