/*
 * stream.c: in-order TCP reassembly of one direction (stream.h).
 *
 * Sequence numbers are compared as signed 32-bit differences from the
 * next expected byte (nxt = base + len, modulo 2^32), so wraparound needs
 * no special case; depth is at most 1 GiB, far inside that range.
 *
 * The ring covers the window [len, len + rcap) of stream offsets; offset
 * r lives in slot r % rcap, which is one-to-one inside the window, and a
 * bit per slot says whether it holds a byte. As len advances, the slots
 * it passes are cleared, and they are the ones the window's new end uses.
 *
 * Invariants: buf holds len bytes, len <= depth; bits set only for
 * offsets in the window; held counts them; stopped streams hold no ring.
 * Load: every TCP segment with data. In order (the usual case) it is one
 * memcpy and, rarely, a doubling of buf; out of order a byte loop over
 * the segment (reordering is rare, and bounded by the ring).
 */
#include <stdlib.h>
#include <string.h>

#include "stream.h"

#define BUF_MIN		STREAM_FLOOR	/* the first buffer */

struct stream {
	uint32_t	 base;
	uint8_t		*buf;
	size_t		 len, cap;
	uint8_t		*ring;		/* NULL until data comes early */
	uint64_t	*bits;
	size_t		 rcap, held;
	bool		 stopped;
};

struct stream *
stream_new(uint32_t base)
{
	struct stream	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->base = base;
	return st;
}

static size_t
bits_bytes(size_t rcap)
{
	return (rcap + 63) / 64 * sizeof(uint64_t);
}

static void
ring_free(struct stream *st, struct stream_mem *mem)
{
	if (st->ring == NULL)
		return;
	mem->used -= st->rcap + bits_bytes(st->rcap);
	free(st->ring);
	free(st->bits);
	st->ring = NULL;
	st->bits = NULL;
	st->rcap = st->held = 0;
}

void
stream_free(struct stream *st, struct stream_mem *mem)
{
	if (st == NULL)
		return;
	ring_free(st, mem);
	mem->used -= st->cap;
	free(st->buf);
	free(st);
}

static void
stop(struct stream *st, struct stream_mem *mem)
{
	st->stopped = true;
	ring_free(st, mem);
}

/* n more bytes, within the cap unless floor (a first buffer: counted,
 * never refused, so that a new flow's first bytes are seen however full
 * the cap is with others' data). */
static bool
mem_take(struct stream_mem *mem, size_t n, bool floor)
{
	if (!floor && (n > mem->cap || mem->used > mem->cap - n))
		return false;
	mem->used += n;
	return true;
}

/* Room for need bytes in buf, within the memory cap. */
static int
grow(struct stream *st, const struct stream_lim *lim, size_t need)
{
	uint8_t	*n;
	size_t	 cap;

	if (need <= st->cap)
		return 0;
	cap = st->cap < BUF_MIN ? BUF_MIN : st->cap * 2;
	if (cap < need)
		cap = need;
	if (cap > lim->depth)
		cap = lim->depth;
	if (!mem_take(lim->mem, cap - st->cap, cap <= BUF_MIN))
		return ST_MEMCAP;
	if ((n = realloc(st->buf, cap)) == NULL) {
		lim->mem->used -= cap - st->cap;
		return ST_MEMCAP;
	}
	st->buf = n;
	st->cap = cap;
	return 0;
}

static int
ring_alloc(struct stream *st, const struct stream_lim *lim)
{
	size_t	bb = bits_bytes(lim->ooo_max);

	if (!mem_take(lim->mem, lim->ooo_max + bb, false))
		return ST_MEMCAP;
	st->ring = malloc(lim->ooo_max);
	st->bits = calloc(1, bb);
	if (st->ring == NULL || st->bits == NULL) {
		free(st->ring);
		free(st->bits);
		st->ring = NULL;
		st->bits = NULL;
		lim->mem->used -= lim->ooo_max + bb;
		return ST_MEMCAP;
	}
	st->rcap = lim->ooo_max;
	return 0;
}

static bool
bit_get(const struct stream *st, size_t slot)
{
	return st->bits[slot / 64] & (1ull << (slot % 64));
}

static void
bit_put(struct stream *st, size_t slot, bool on)
{
	if (on)
		st->bits[slot / 64] |= 1ull << (slot % 64);
	else
		st->bits[slot / 64] &= ~(1ull << (slot % 64));
}

/*
 * n bytes at stream offset len (in order): what the ring already held
 * for those offsets came first and wins. ST_DIFFERS if it differed.
 */
static int
take_in_order(struct stream *st, const uint8_t *d, size_t n)
{
	size_t	i, slot;
	int	r = 0;

	if (n == 0)
		return 0;
	memcpy(st->buf + st->len, d, n);
	if (st->ring != NULL && st->held > 0)
		for (i = 0; i < n; i++) {
			slot = (st->len + i) % st->rcap;
			if (!bit_get(st, slot))
				continue;
			if (st->ring[slot] != d[i])
				r = ST_DIFFERS;
			st->buf[st->len + i] = st->ring[slot];
			bit_put(st, slot, false);
			st->held--;
		}
	st->len += n;
	return r;
}

/* Move the ring's bytes that now follow the data into it. */
static int
drain(struct stream *st, const struct stream_lim *lim, size_t *added)
{
	size_t	k, slot;
	int	r;

	for (k = 0; k < st->held && st->len + k < lim->depth; k++)
		if (!bit_get(st, (st->len + k) % st->rcap))
			break;
	if (k == 0)
		return 0;
	if ((r = grow(st, lim, st->len + k)) != 0)
		return r;
	for (; k > 0; k--, st->len++, (*added)++) {
		slot = st->len % st->rcap;
		st->buf[st->len] = st->ring[slot];
		bit_put(st, slot, false);
		st->held--;
	}
	return 0;
}

/* Data starting off > 0 bytes past the next expected byte. */
static int
hold(struct stream *st, const struct stream_lim *lim, size_t off,
    const uint8_t *d, size_t n)
{
	size_t	i, pos, slot;
	int	r = 0;

	if (lim->ooo_max == 0 || off >= lim->ooo_max ||
	    st->len + off >= lim->depth)
		return 0;	/* beyond the window: a gap unless resent */
	if (st->ring == NULL && (r = ring_alloc(st, lim)) != 0)
		return r;
	if (n > st->rcap - off)
		n = st->rcap - off;
	if (n > lim->depth - st->len - off)
		n = lim->depth - st->len - off;
	for (i = 0; i < n; i++) {
		pos = st->len + off + i;
		slot = pos % st->rcap;
		if (bit_get(st, slot)) {
			if (st->ring[slot] != d[i])
				r = ST_DIFFERS;
			continue;
		}
		st->ring[slot] = d[i];
		bit_put(st, slot, true);
		st->held++;
	}
	return r;
}

/* m bytes that start back bytes before the next expected one: compare
 * them with what is kept (nothing before base is). */
static int
compare_old(const struct stream *st, size_t back, const uint8_t *d,
    size_t m)
{
	size_t	skip, start;

	if (m == 1 && back == 1)
		return 0;	/* a keep-alive's garbage byte */
	skip = back > st->len ? back - st->len : 0;
	start = back > st->len ? 0 : st->len - back;
	if (m <= skip)
		return 0;
	return memcmp(st->buf + start, d + skip, m - skip) != 0 ?
	    ST_DIFFERS : 0;
}

int
stream_add(struct stream *st, const struct stream_lim *lim, uint32_t seq,
    const uint8_t *d, size_t n, size_t *added)
{
	int32_t	 off;
	size_t	 back, room;
	int	 r = 0, g;

	*added = 0;
	if (st->stopped || n == 0)
		return 0;
	off = (int32_t)(seq - (st->base + (uint32_t)st->len));
	if (off > 0)
		return hold(st, lim, (size_t)off, d, n);
	back = (size_t)(-(int64_t)off);
	if (back > 0) {
		r = compare_old(st, back, d, n < back ? n : back);
		if (n <= back)
			return r;
		d += back;
		n -= back;
	}
	room = lim->depth - st->len;
	if (n > room) {
		n = room;
		r |= ST_DEPTH;
	}
	if ((g = grow(st, lim, st->len + n)) != 0) {
		stop(st, lim->mem);
		return r | g;
	}
	r |= take_in_order(st, d, n);
	*added = n;
	if (st->ring != NULL && (g = drain(st, lim, added)) != 0) {
		stop(st, lim->mem);
		return r | g;
	}
	if (st->len == lim->depth)
		r |= ST_DEPTH;
	if (r & ST_DEPTH)
		stop(st, lim->mem);
	return r;
}

bool
stream_ack(struct stream *st, struct stream_mem *mem, uint32_t ack)
{
	/* +1: the FIN takes a sequence number */
	if (st->stopped ||
	    (int32_t)(ack - (st->base + (uint32_t)st->len)) <= 1)
		return false;
	stop(st, mem);
	return true;
}

const uint8_t *
stream_data(const struct stream *st, size_t *len)
{
	*len = st->len;
	return st->len > 0 ? st->buf : NULL;
}

bool
stream_stopped(const struct stream *st)
{
	return st->stopped;
}

size_t
stream_ooo_held(const struct stream *st)
{
	return st->held;
}
