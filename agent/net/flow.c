/*
 * flow.c: the flow table (flow.h).
 *
 * One array of max flows allocated at start (calloc: pages are touched
 * only as flows use them), a power-of-two bucket array of at least twice
 * that with chains through next[], a free stack, and three idle lists by
 * timeout class, each ordered by last packet: a packet moves its flow to
 * its list's tail, so each head is that class's oldest, expiry pops heads
 * while they are past their timeout, and eviction takes the oldest of the
 * three heads. Every operation is O(1) but expiry, O(expired).
 *
 * Invariants: a flow in use is in exactly one chain and one idle list;
 * a free one in neither; ids come from a keyed bijection of a counter on
 * 48 bits (distinct, never 0, nothing to learn from them about traffic).
 * Load: every TCP and UDP packet: one keyed hash, one chain walk (load
 * factor at most 1/2), one list move.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "flow.h"
#include "nethash.h"
#include "nlist.h"

#define ID_MASK		0xffffffffffffull	/* JSON-safe ids */

/* struct flow.tcp */
#define T_SYN		0x01	/* a SYN from the client */
#define T_SYNACK	0x02	/* a SYN+ACK from the server */
#define T_DATA_TS	0x04
#define T_DATA_TC	0x08

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10

enum { L_IDLE, L_LONG, L_CLOSED, L__N };

struct flow_table {
	struct flow	*f;
	struct nlink	*lk;
	struct itab	 tab;
	struct nlist	 idle[L__N];
	int64_t		 timeout[L__N];	/* microseconds */
	struct nethash	 h;
	uint64_t	 id_key, id_ctr;
	void		(*release)(void *, struct flow *);
	void		*ctx;
	struct flow_stats st;
};

int
flow_table_new(struct flow_table **out, uint32_t max, uint32_t timeout_s,
    void (*release)(void *, struct flow *), void *ctx)
{
	struct flow_table	*t;
	uint32_t		 i;

	*out = NULL;
	if (max == 0 || max > (1u << 24))
		return ERR_USAGE;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	t->f = calloc(max, sizeof(*t->f));
	t->lk = calloc(max, sizeof(*t->lk));
	if (t->f == NULL || t->lk == NULL ||
	    itab_init(&t->tab, max, 2 * max) != 0) {
		flow_table_free(t);
		return ERR_NOMEM;
	}
	for (i = 0; i < L__N; i++)
		nlist_init(&t->idle[i]);
	t->timeout[L_IDLE] = (int64_t)timeout_s * 1000000;
	t->timeout[L_LONG] = 5 * t->timeout[L_IDLE];
	t->timeout[L_CLOSED] = timeout_s < FLOW_CLOSED_TIMEOUT_S ?
	    t->timeout[L_IDLE] : (int64_t)FLOW_CLOSED_TIMEOUT_S * 1000000;
	nethash_init(&t->h);
	randombytes_buf(&t->id_key, sizeof(t->id_key));
	t->release = release;
	t->ctx = ctx;
	*out = t;
	return 0;
}

static uint32_t
key_bucket(const struct flow_table *t, const struct flow_key *k)
{
	uint64_t	w[5];

	nethash_addr(w, k->lo);
	nethash_addr(w + 2, k->hi);
	w[4] = (uint64_t)k->lo_port << 32 | (uint64_t)k->hi_port << 16 |
	    (uint64_t)k->proto << 8 | k->family;
	return (uint32_t)nethash_words(&t->h, w) & t->tab.mask;
}

/* Drop flow i: the release callback, its flowbits, its place. */
static void
drop(struct flow_table *t, uint32_t i)
{
	struct flow	*f = &t->f[i];

	if (t->release != NULL)
		t->release(t->ctx, f);
	free(f->fv.bits);
	itab_put(&t->tab, key_bucket(t, &f->key), i);
	nlist_del(&t->idle[f->list], t->lk, i);
	t->st.active--;
}

void
flow_table_free(struct flow_table *t)
{
	int	l;

	if (t == NULL)
		return;
	if (t->lk != NULL)
		for (l = 0; l < L__N; l++)
			while (t->idle[l].head != NL_NONE)
				drop(t, t->idle[l].head);
	free(t->f);
	free(t->lk);
	itab_fini(&t->tab);
	free(t);
}

/* A keyed permutation of 48-bit numbers: xor, odd multiplies and right
 * xorshifts are each invertible mod 2^48. */
static uint64_t
id_permute(uint64_t x, uint64_t key)
{
	x = (x ^ key) & ID_MASK;
	x = (x * 0x9e3779b97f4bull) & ID_MASK;
	x ^= x >> 23;
	x = (x * 0xbf58476d1ce5ull) & ID_MASK;
	x ^= x >> 25;
	return x ^ ((key >> 48) & 0xffff);	/* still a bijection */
}

static uint64_t
next_id(struct flow_table *t)
{
	uint64_t	id;

	do
		id = id_permute(++t->id_ctr & ID_MASK, t->id_key);
	while (id == 0);
	return id;
}

/* Is the sender of p the key's lo endpoint? Fills k. */
static bool
key_make(struct flow_key *k, const struct pkt *p)
{
	int	c;
	bool	src_lo;

	memset(k, 0, sizeof(*k));
	c = memcmp(p->src.a, p->dst.a, 16);
	src_lo = c < 0 || (c == 0 && p->sport <= p->dport);
	memcpy(k->lo, src_lo ? p->src.a : p->dst.a, 16);
	memcpy(k->hi, src_lo ? p->dst.a : p->src.a, 16);
	k->lo_port = src_lo ? p->sport : p->dport;
	k->hi_port = src_lo ? p->dport : p->sport;
	k->proto = p->proto;
	k->family = p->ipver;
	return src_lo;
}

static bool
server_port(uint16_t port)
{
	switch (port) {
	case 1433: case 1521: case 3128: case 3306: case 3389:
	case 5432: case 5900: case 8000: case 8080: case 8443:
		return true;
	default:
		return port < 1024;
	}
}

/* Is the sender of the flow's first packet p its client? */
static bool
sender_is_client(const struct pkt *p)
{
	if (p->proto == 6 && (p->tcp_flags & TH_SYN))
		return !(p->tcp_flags & TH_ACK);
	if (server_port(p->dport) && !server_port(p->sport))
		return true;
	if (server_port(p->sport) && !server_port(p->dport))
		return false;
	return true;
}

static uint32_t
oldest(const struct flow_table *t)
{
	uint32_t	i, best = NL_NONE;
	int		l;

	for (l = 0; l < L__N; l++) {
		i = t->idle[l].head;
		if (i != NL_NONE && (best == NL_NONE ||
		    t->f[i].last_us < t->f[best].last_us))
			best = i;
	}
	return best;
}

static uint32_t
create(struct flow_table *t, const struct flow_key *k, uint32_t b,
    bool src_lo, const struct pkt *p, int64_t now)
{
	struct flow	*f;
	uint32_t	 i;

	if (t->tab.free_top == NL_NONE) {
		drop(t, oldest(t));
		t->st.evicted++;
	}
	i = itab_take(&t->tab, b);
	f = &t->f[i];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->id = next_id(t);
	f->first_us = f->last_us = now;
	f->client_lo = sender_is_client(p) == src_lo;
	f->list = L_IDLE;
	nlist_push(&t->idle[L_IDLE], t->lk, i);
	t->st.created++;
	t->st.active++;
	return i;
}

/* a after b, sequence numbers modulo 2^32 (RFC 1982) */
static bool
seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* The next sequence number of the sender of p, past what p carries. */
static void
seq_track(struct flow *f, const struct pkt *p, int dir)
{
	uint32_t	end = p->tcp_seq + (uint32_t)p->payload_len;

	end += (p->tcp_flags & TH_SYN) ? 1 : 0;
	end += (p->tcp_flags & TH_FIN) ? 1 : 0;
	if (!f->seq_known[dir] || seq_after(end, f->next_seq[dir])) {
		f->next_seq[dir] = end;
		f->seq_known[dir] = true;
	}
}

/*
 * Would the receiver accept this RST? As with Suricata's default policy
 * (and RFC 5961): when its sequence number is exactly the next one its
 * sender would use; when nothing was seen from the sender yet (a refused
 * SYN, a flow picked up midstream), always. A RST the host ignores, sent
 * to end what an IDS sees of a connection that goes on, is ignored here
 * too.
 */
static bool
rst_ok(const struct flow *f, const struct pkt *p, int dir)
{
	return !f->seq_known[dir] || p->tcp_seq == f->next_seq[dir];
}

/* The TCP state machine of flow:established / to_server / to_client. */
static void
tcp_update(struct flow *f, const struct pkt *p, int dir)
{
	uint8_t	fl = p->tcp_flags;

	if (fl & TH_SYN) {
		if (!f->isn_set[dir]) {
			f->isn_set[dir] = true;
			f->isn[dir] = p->tcp_seq;
		}
		if (dir == DIR_TO_SERVER && !(fl & TH_ACK))
			f->tcp |= T_SYN;
		else if (dir == DIR_TO_CLIENT && (fl & TH_ACK) &&
		    (f->tcp & T_SYN))
			f->tcp |= T_SYNACK;
	}
	if (p->payload_len > 0)
		f->tcp |= dir == DIR_TO_SERVER ? T_DATA_TS : T_DATA_TC;
	if (f->state == FLOW_CLOSED)
		return;
	if (fl & TH_RST) {
		if (rst_ok(f, p, dir)) {
			f->reset = true;
			f->state = FLOW_CLOSED;
		}
		return;
	}
	seq_track(f, p, dir);
	if (fl & TH_FIN)
		f->state = FLOW_CLOSED;
	else if (f->state == FLOW_NEW &&
	    (((f->tcp & T_SYNACK) && dir == DIR_TO_SERVER &&
	    (fl & TH_ACK) && !(fl & TH_SYN)) ||
	    (f->tcp & (T_DATA_TS | T_DATA_TC)) == (T_DATA_TS | T_DATA_TC)))
		f->state = FLOW_ESTABLISHED;
}

static void
touch(struct flow_table *t, uint32_t i, int64_t now)
{
	struct flow	*f = &t->f[i];
	uint8_t		 l;

	if (now > f->last_us)
		f->last_us = now;
	if (f->state == FLOW_CLOSED)
		l = L_CLOSED;
	else if (f->state == FLOW_ESTABLISHED && f->key.proto == 6)
		l = L_LONG;
	else
		l = L_IDLE;
	if (l == f->list && t->idle[l].tail == i)
		return;
	nlist_del(&t->idle[f->list], t->lk, i);
	f->list = l;
	nlist_push(&t->idle[l], t->lk, i);
}

static uint32_t
lookup(const struct flow_table *t, const struct flow_key *k, uint32_t b)
{
	uint32_t	i;

	for (i = t->tab.bucket[b]; i != NL_NONE; i = t->tab.next[i])
		if (memcmp(&t->f[i].key, k, sizeof(*k)) == 0)
			return i;
	return NL_NONE;
}

struct flow *
flow_get(struct flow_table *t, struct pkt *p, int64_t now)
{
	struct flow_key	 k;
	struct flow	*f;
	uint32_t	 b, i;
	bool		 src_lo;
	int		 dir;

	src_lo = key_make(&k, p);
	b = key_bucket(t, &k);
	i = lookup(t, &k, b);
	/* a new connection on the ports of a closed one */
	if (i != NL_NONE && t->f[i].state == FLOW_CLOSED && p->proto == 6 &&
	    (p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		drop(t, i);
		t->st.reused++;
		i = NL_NONE;
	}
	if (i == NL_NONE)
		i = create(t, &k, b, src_lo, p, now);
	f = &t->f[i];
	dir = src_lo == f->client_lo ? DIR_TO_SERVER : DIR_TO_CLIENT;
	f->pkts[dir]++;
	f->bytes[dir] += p->wirelen;
	if (p->proto == 6)
		tcp_update(f, p, dir);
	else if (f->state == FLOW_NEW && f->pkts[0] > 0 && f->pkts[1] > 0)
		f->state = FLOW_ESTABLISHED;
	touch(t, i, now);
	p->flow_id = f->id;
	p->dir = (uint8_t)dir;
	p->flow_state = f->state;
	p->fv = &f->fv;
	return f;
}

void
flow_expire(struct flow_table *t, int64_t now)
{
	uint32_t	i;
	int		l;

	for (l = 0; l < L__N; l++)
		while ((i = t->idle[l].head) != NL_NONE &&
		    now - t->f[i].last_us >= t->timeout[l]) {
			drop(t, i);
			t->st.timed_out++;
		}
}

void
flow_stats(const struct flow_table *t, struct flow_stats *st)
{
	*st = t->st;
}
