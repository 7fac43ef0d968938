/*
 * fuzz_frag.c: agent/net/frag.c against a naive model.
 *
 * Input: fragments of five bytes each: a datagram id (0..7), the offset
 * in 8-byte units (two bytes, 13 bits), the length (a byte, times 8, plus
 * the low bits of the next for a last fragment) and the "more" flag.
 * The data of a fragment is its offsets' bytes of a fixed pattern, so a
 * whole datagram has one right content. The model keeps, per datagram,
 * which 8-byte blocks were given. Checked:
 *  - FRAG_DONE only when the model has every block of [0, total) given
 *    exactly once, and the data is the pattern;
 *  - FRAG_OVERLAP only when the fragment's blocks meet given ones, or a
 *    last fragment came already;
 *  - nothing but FRAG_DROPPED for a datagram dropped before.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NID	8
#define BLK	((FRAG_MAX_LEN + 7) / 8)

struct model {
	uint8_t		 given[BLK];	/* times each block was given */
	bool		 dead, have_last;
};

static struct model	 m[NID];
static uint8_t		 pattern[FRAG_MAX_LEN + 8];

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
reset(struct model *d)
{
	memset(d, 0, sizeof(*d));
}

static void
one(struct frag *t, const struct pkt *p, const uint8_t *in)
{
	struct frag_in		 f;
	struct model		*d = &m[in[0] % NID];
	const uint8_t		*out;
	size_t			 len, b, b0, b1, i;
	enum frag_result	 r;
	uint8_t			 proto;
	bool			 met = false;

	f.proto = 17;
	f.id = in[0] % NID;
	f.off = (uint32_t)((in[1] << 8 | in[2]) & 0x1fff) * 8;
	f.more = in[4] & 0x80;
	f.len = (size_t)in[3] * 8 + (f.more ? 0 : in[4] & 7);
	if (f.off + f.len > sizeof(pattern))
		f.len = sizeof(pattern) - f.off;
	f.data = pattern + f.off;
	b0 = f.off / 8;
	b1 = (f.off + f.len + 7) / 8;
	for (b = b0; b < b1 && b < BLK; b++)
		met |= d->given[b] > 0;
	r = frag_add(t, p, &f, 0, &proto, &out, &len);
	if (d->dead) {
		check(r == FRAG_DROPPED);
		return;
	}
	switch (r) {
	case FRAG_HELD:
	case FRAG_DONE:
		check(!met && !(d->have_last && !f.more));
		for (b = b0; b < b1; b++)
			d->given[b]++;
		d->have_last |= !f.more;
		if (r == FRAG_HELD)
			break;
		check(d->have_last && proto == 17);
		for (b = 0; b < (len + 7) / 8; b++)
			check(d->given[b] == 1);
		for (i = 0; i < len; i++)
			check(out[i] == pattern[i]);
		reset(d);		/* the id is free again */
		break;
	case FRAG_OVERLAP:
		check(met || (d->have_last && !f.more));
		d->dead = true;
		break;
	case FRAG_BAD:
		d->dead = true;
		break;
	default:
		abort();	/* no memory: not in a fuzz run */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frag	*t;
	struct pkt	 p;
	size_t		 i;

	if (pattern[1] == 0)
		for (i = 0; i < sizeof(pattern); i++)
			pattern[i] = (uint8_t)(i * 131 + i / 256 + 1);
	if (frag_new(&t, 2 * NID, 60) != 0)
		abort();
	memset(&p, 0, sizeof(p));
	p.ipver = 4;
	for (i = 0; i < NID; i++)
		reset(&m[i]);
	for (; size >= 5; data += 5, size -= 5)
		one(t, &p, data);
	frag_free(t);
	return 0;
}
