/*
 * nethash.h: the keyed hash of the flow and fragment tables.
 *
 * wyhash's multiply-and-fold ("mum") of five 64-bit words with a random
 * per-table key. Not a cryptographic PRF (SipHash costs too much per
 * packet): it only has to keep someone who does not know the key from
 * aiming many flows at one bucket. About a nanosecond for a 5-tuple.
 */
#ifndef VIGIL_NETHASH_H
#define VIGIL_NETHASH_H

#include <stdint.h>
#include <string.h>

#include <sodium.h>

struct nethash {
	uint64_t	 k[6];
};

static inline void
nethash_init(struct nethash *h)
{
	randombytes_buf(h->k, sizeof(h->k));
}

static inline uint64_t
nethash_mum(uint64_t a, uint64_t b)
{
	unsigned __int128	r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* 16 bytes of an address as two words (no alignment assumed). */
static inline void
nethash_addr(uint64_t w[2], const uint8_t a[16])
{
	memcpy(w, a, 16);
}

static inline uint64_t
nethash_words(const struct nethash *h, const uint64_t w[5])
{
	uint64_t	x, y;

	x = nethash_mum(w[0] ^ h->k[0], w[1] ^ h->k[1]);
	y = nethash_mum(w[2] ^ h->k[2], w[3] ^ h->k[3]);
	return nethash_mum(x ^ h->k[4], y ^ w[4] ^ h->k[5]);
}

#endif
