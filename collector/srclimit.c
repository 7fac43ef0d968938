/*
 * srclimit.c: per-source-address limits before the handshake (see
 * srclimit.h).
 *
 * An open-addressing table with linear probing and backward-shift
 * deletion (no tombstones), twice as large as the most addresses it
 * holds, so probes stay short. Slots are found with SipHash-2-4 keyed by
 * a random secret (crypto_shorthash). An entry holds the address, its open
 * pre-handshake connections and a token bucket in thousandths of a
 * handshake, so refilling is integer arithmetic: `rate` thousandths per
 * millisecond.
 *
 * Invariants: an entry exists while conns > 0 or its bucket is not full;
 * n counts used slots and never exceeds max (the capacity asked for).
 * Load: one lookup per accepted connection, per handshake and per close;
 * one pass over the table per srclimit_gc (about once a second).
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "srclimit.h"

#define MILLI		1000		/* one handshake, in bucket units */
#define REFILL_CAP_MS	(1000LL * 1000 * 1000)	/* longer is "full" */

struct entry {
	struct srclimit_key	k;
	uint32_t		home;		/* slot the hash points to */
	uint32_t		conns;
	int64_t			tokens;		/* thousandths of a handshake */
	int64_t			stamp;		/* when tokens was right, ms */
	int			used;
};

struct srclimit {
	struct entry		*tab;
	size_t			 mask;		/* slots - 1 */
	size_t			 n, max;
	struct srclimit_conf	 conf;
	uint8_t			 hkey[crypto_shorthash_KEYBYTES];
};

static int
conf_ok(const struct srclimit_conf *c)
{
	return c->conns >= 1 && c->rate >= 1 && c->burst >= 1;
}

int
srclimit_new(struct srclimit **out, size_t capacity,
    const struct srclimit_conf *conf)
{
	struct srclimit	*sl;
	size_t		 slots = 32;

	*out = NULL;
	if (!conf_ok(conf) || capacity > SIZE_MAX / 4 / sizeof(struct entry))
		return ERR_USAGE;
	if (capacity < 16)
		capacity = 16;
	while (slots < 2 * capacity)
		slots *= 2;
	if ((sl = calloc(1, sizeof(*sl))) == NULL ||
	    (sl->tab = calloc(slots, sizeof(*sl->tab))) == NULL) {
		free(sl);
		return ERR_NOMEM;
	}
	sl->mask = slots - 1;
	sl->max = capacity;
	sl->conf = *conf;
	randombytes_buf(sl->hkey, sizeof(sl->hkey));
	*out = sl;
	return 0;
}

int
srclimit_set(struct srclimit *sl, const struct srclimit_conf *conf)
{
	if (!conf_ok(conf))
		return ERR_USAGE;
	sl->conf = *conf;
	return 0;
}

void
srclimit_free(struct srclimit *sl)
{
	if (sl == NULL)
		return;
	free(sl->tab);
	free(sl);
}

int
srclimit_key(struct srclimit_key *k, const struct sockaddr *sa)
{
	static const uint8_t	 v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t		*a6;

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		memcpy(k->b, v4mapped, sizeof(v4mapped));
		memcpy(k->b + 12, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return ERR_USAGE;
	a6 = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	if (memcmp(a6, v4mapped, sizeof(v4mapped)) == 0)
		memcpy(k->b, a6, 16);		/* IPv4 through a v6 socket */
	else
		memcpy(k->b, a6, 8);		/* the /64 */
	return 0;
}

static uint32_t
home_of(const struct srclimit *sl, const struct srclimit_key *k)
{
	uint8_t		h[crypto_shorthash_BYTES];
	uint64_t	v = 0;
	size_t		i;

	crypto_shorthash(h, k->b, sizeof(k->b), sl->hkey);
	for (i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	return (uint32_t)(v & sl->mask);
}

/* The slot holding k, or NULL. */
static struct entry *
find(const struct srclimit *sl, const struct srclimit_key *k)
{
	size_t	i = home_of(sl, k);

	while (sl->tab[i].used) {
		if (memcmp(sl->tab[i].k.b, k->b, sizeof(k->b)) == 0)
			return &sl->tab[i];
		i = (i + 1) & sl->mask;
	}
	return NULL;
}

/* Empty slot i and pull later entries of its probe run back into the
 * hole, so lookups never need tombstones. */
static void
slot_delete(struct srclimit *sl, size_t i)
{
	size_t	j = i, h;

	sl->n--;
	for (;;) {
		sl->tab[i].used = 0;
		for (;;) {
			j = (j + 1) & sl->mask;
			if (!sl->tab[j].used)
				return;
			h = sl->tab[j].home;
			/* j stays if its home lies cyclically in (i, j] */
			if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
				continue;
			break;
		}
		sl->tab[i] = sl->tab[j];
		i = j;
	}
}

static void
refill(const struct srclimit *sl, struct entry *e, int64_t now)
{
	int64_t	full = (int64_t)sl->conf.burst * MILLI, dt = now - e->stamp;

	if (dt <= 0)
		return;
	/* dt is capped first, so dt * rate (rate <= 1e5) cannot overflow */
	if (dt > REFILL_CAP_MS || e->tokens + dt * sl->conf.rate > full)
		e->tokens = full;
	else
		e->tokens += dt * sl->conf.rate;
	e->stamp = now;
}

static int
idle(const struct srclimit *sl, struct entry *e, int64_t now)
{
	refill(sl, e, now);
	return e->conns == 0 && e->tokens >= (int64_t)sl->conf.burst * MILLI;
}

int
srclimit_open(struct srclimit *sl, const struct srclimit_key *k,
    int64_t now_ms)
{
	struct entry	*e;
	size_t		 i;

	if ((e = find(sl, k)) != NULL) {
		if (e->conns >= (uint32_t)sl->conf.conns)
			return ERR_TOOBIG;
		e->conns++;
		return 0;
	}
	if (sl->n >= sl->max)
		return ERR_FULL;
	i = home_of(sl, k);
	while (sl->tab[i].used)
		i = (i + 1) & sl->mask;
	e = &sl->tab[i];
	memset(e, 0, sizeof(*e));
	e->k = *k;
	e->home = home_of(sl, k);
	e->conns = 1;
	e->tokens = (int64_t)sl->conf.burst * MILLI;
	e->stamp = now_ms;
	e->used = 1;
	sl->n++;
	return 0;
}

void
srclimit_close(struct srclimit *sl, const struct srclimit_key *k,
    int64_t now_ms)
{
	struct entry	*e;

	if ((e = find(sl, k)) == NULL || e->conns == 0)
		return;		/* a caller bug; nothing to undo */
	e->conns--;
	if (idle(sl, e, now_ms))
		slot_delete(sl, (size_t)(e - sl->tab));
}

int
srclimit_handshake(struct srclimit *sl, const struct srclimit_key *k,
    int64_t now_ms)
{
	struct entry	*e;

	if ((e = find(sl, k)) == NULL)
		return ERR_USAGE;
	refill(sl, e, now_ms);
	if (e->tokens < MILLI)
		return ERR_AGAIN;
	e->tokens -= MILLI;
	return 0;
}

void
srclimit_gc(struct srclimit *sl, int64_t now_ms)
{
	size_t	i = 0;

	/* A deletion pulls a later entry into slot i: look at i again. An
	 * entry seen twice (pulled around the end) is merely rechecked. */
	while (i <= sl->mask) {
		if (sl->tab[i].used && idle(sl, &sl->tab[i], now_ms))
			slot_delete(sl, i);
		else
			i++;
	}
}

size_t
srclimit_count(const struct srclimit *sl)
{
	return sl->n;
}

int
srclimit_conns(const struct srclimit *sl, const struct srclimit_key *k)
{
	const struct entry	*e = find(sl, k);

	return e != NULL ? (int)e->conns : 0;
}
