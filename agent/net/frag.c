/*
 * frag.c: IPv4 and IPv6 fragment reassembly (frag.h).
 *
 * A datagram is keyed by (family, source, destination, id, and for IPv4
 * the protocol). Its payload grows in one wbuf up to FRAG_MAX_LEN; a
 * bitmap of 8-byte blocks (the fragment offset's unit) says which are
 * held, so an overlap is found before anything is copied. Fragments never
 * overlap in a held datagram, so it is whole exactly when the last
 * fragment has fixed its length and the bytes held add up to it.
 *
 * Invariants: every entry in use is on the age list (oldest first: the
 * order of their first fragments) and in one hash chain; a dead entry
 * holds no buffer; at most one finished buffer (done) is alive, until the
 * next call.
 * Load: fragments are rare on an office network (a few a second); a
 * flood is bounded by max entries of FRAG_MAX_LEN each. Lookup O(1),
 * eviction O(1), expiry O(expired).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "frag.h"
#include "nethash.h"
#include "nlist.h"

#define BLOCKS		((FRAG_MAX_LEN + 7) / 8)

struct fkey {
	uint8_t		 src[16], dst[16];
	uint32_t	 id;
	uint8_t		 family;
	uint8_t		 proto;		/* IPv4 only; 0 for IPv6 */
};

struct dgram {
	struct fkey	 key;
	int64_t		 born;		/* capture time of the first fragment */
	struct wbuf	 w;		/* the payload; len: the highest end */
	uint32_t	 got;		/* payload bytes held */
	uint32_t	 total;		/* set by the last fragment */
	uint8_t		 proto;		/* of the fragment at offset 0 */
	bool		 dead, have_last;
	uint64_t	 seen[(BLOCKS + 63) / 64];
};

struct frag {
	struct dgram	*d;
	struct nlink	*lk;		/* the age list's links */
	struct itab	 tab;
	struct nlist	 age;
	int64_t		 timeout_us;
	struct nethash	 h;
	uint8_t		*done;
	struct frag_stats st;
};

int
frag_new(struct frag **out, uint32_t max, uint32_t timeout_s)
{
	struct frag	*t;

	*out = NULL;
	if (max == 0 || max > (1u << 24))
		return ERR_USAGE;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	t->d = calloc(max, sizeof(*t->d));
	t->lk = calloc(max, sizeof(*t->lk));
	if (t->d == NULL || t->lk == NULL || itab_init(&t->tab, max, max)) {
		frag_free(t);
		return ERR_NOMEM;
	}
	t->timeout_us = (int64_t)timeout_s * 1000000;
	nlist_init(&t->age);
	nethash_init(&t->h);
	*out = t;
	return 0;
}

void
frag_free(struct frag *t)
{
	uint32_t	i;

	if (t == NULL)
		return;
	if (t->d != NULL)
		for (i = 0; i < t->tab.max; i++)
			wbuf_free(&t->d[i].w);
	free(t->done);
	free(t->d);
	free(t->lk);
	itab_fini(&t->tab);
	free(t);
}

static uint32_t
key_bucket(const struct frag *t, const struct fkey *k)
{
	uint64_t	w[5];

	nethash_addr(w, k->src);
	nethash_addr(w + 2, k->dst);
	w[4] = (uint64_t)k->id << 16 | (uint64_t)k->proto << 8 | k->family;
	return (uint32_t)nethash_words(&t->h, w) & t->tab.mask;
}

static void
key_make(struct fkey *k, const struct pkt *p, const struct frag_in *f)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, p->src.a, 16);
	memcpy(k->dst, p->dst.a, 16);
	k->id = f->id;
	k->family = p->ipver;
	k->proto = p->ipver == 4 ? f->proto : 0;
}

static uint32_t
lookup(const struct frag *t, const struct fkey *k, uint32_t b)
{
	uint32_t	i;

	for (i = t->tab.bucket[b]; i != NL_NONE; i = t->tab.next[i])
		if (memcmp(&t->d[i].key, k, sizeof(*k)) == 0)
			return i;
	return NL_NONE;
}

/* Forget entry i (its buffer too, unless handed out already). */
static void
remove_entry(struct frag *t, uint32_t i)
{
	struct dgram	*dg = &t->d[i];

	itab_put(&t->tab, key_bucket(t, &dg->key), i);
	nlist_del(&t->age, t->lk, i);
	wbuf_free(&dg->w);
	t->st.held--;
}

static void
kill_entry(struct frag *t, struct dgram *dg)
{
	wbuf_free(&dg->w);
	dg->dead = true;
	t->st.dropped++;
}

static uint32_t
new_entry(struct frag *t, const struct fkey *k, uint32_t b, int64_t now)
{
	struct dgram	*dg;
	uint32_t	 i;

	if (t->tab.free_top == NL_NONE) {
		i = t->age.head;
		if (!t->d[i].dead) {
			t->st.evicted++;
			t->st.dropped++;
		}
		remove_entry(t, i);
	}
	i = itab_take(&t->tab, b);
	dg = &t->d[i];
	memset(dg, 0, sizeof(*dg));
	dg->key = *k;
	dg->born = now;
	wbuf_init(&dg->w, FRAG_MAX_LEN);
	nlist_push(&t->age, t->lk, i);
	t->st.held++;
	return i;
}

static bool
blocks_any(const uint64_t *bm, uint32_t b0, uint32_t b1)
{
	uint32_t	b;

	for (b = b0; b < b1; b++)
		if (bm[b / 64] & (1ull << (b % 64)))
			return true;
	return false;
}

static void
blocks_set(uint64_t *bm, uint32_t b0, uint32_t b1)
{
	uint32_t	b;

	for (b = b0; b < b1; b++)
		bm[b / 64] |= 1ull << (b % 64);
}

/* Is this fragment's place possible, given what the datagram holds? */
static enum frag_result
check_place(const struct dgram *dg, const struct frag_in *f)
{
	uint32_t	end;

	if (f->len > FRAG_MAX_LEN - f->off)
		return FRAG_BAD;
	end = f->off + (uint32_t)f->len;
	if (f->more) {
		if (f->len == 0 || f->len % 8 != 0)
			return FRAG_BAD;
		if (dg->have_last && end > dg->total)
			return FRAG_BAD;
	} else {
		if (dg->have_last)
			return FRAG_OVERLAP;	/* a second last fragment */
		if (end < dg->w.len)
			return FRAG_BAD;
	}
	if (blocks_any(dg->seen, f->off / 8, (end + 7) / 8))
		return FRAG_OVERLAP;
	return FRAG_HELD;
}

static enum frag_result
place(struct dgram *dg, const struct frag_in *f)
{
	enum frag_result	r;
	uint32_t		end;

	if ((r = check_place(dg, f)) != FRAG_HELD)
		return r;
	end = f->off + (uint32_t)f->len;
	if (end > dg->w.len) {
		if (wbuf_reserve(&dg->w, end - dg->w.len) != 0)
			return FRAG_DROPPED;
		dg->w.len = end;
	}
	if (f->len > 0)
		memcpy(dg->w.p + f->off, f->data, f->len);
	blocks_set(dg->seen, f->off / 8, (end + 7) / 8);
	dg->got += (uint32_t)f->len;
	if (f->off == 0)
		dg->proto = f->proto;
	if (!f->more) {
		dg->have_last = true;
		dg->total = end;
	}
	return dg->have_last && dg->got == dg->total ? FRAG_DONE : FRAG_HELD;
}

enum frag_result
frag_add(struct frag *t, const struct pkt *p, const struct frag_in *f,
    int64_t now_us, uint8_t *proto, const uint8_t **data, size_t *len)
{
	struct fkey		 k;
	struct dgram		*dg;
	enum frag_result	 r;
	uint32_t		 b, i;

	free(t->done);
	t->done = NULL;
	key_make(&k, p, f);
	b = key_bucket(t, &k);
	if ((i = lookup(t, &k, b)) == NL_NONE)
		i = new_entry(t, &k, b, now_us);
	dg = &t->d[i];
	if (dg->dead)
		return FRAG_DROPPED;
	switch ((r = place(dg, f))) {
	case FRAG_HELD:
		return r;
	case FRAG_DONE:
		*proto = dg->key.family == 4 ? dg->key.proto : dg->proto;
		*data = t->done = dg->w.p;
		*len = dg->total;
		dg->w.p = NULL;		/* handed out: freed on the next call */
		remove_entry(t, i);
		t->st.reassembled++;
		return r;
	case FRAG_OVERLAP:
		t->st.overlaps++;
		break;
	default:
		break;
	}
	kill_entry(t, dg);
	return r;
}

void
frag_expire(struct frag *t, int64_t now_us)
{
	uint32_t	i;

	free(t->done);
	t->done = NULL;
	while ((i = t->age.head) != NL_NONE &&
	    now_us - t->d[i].born >= t->timeout_us) {
		if (!t->d[i].dead) {
			t->st.timed_out++;
			t->st.dropped++;
		}
		remove_entry(t, i);
	}
}

void
frag_stats(const struct frag *t, struct frag_stats *st)
{
	*st = t->st;
}
