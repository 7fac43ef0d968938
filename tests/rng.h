/*
 * rng.h: a small deterministic random generator for the tests that
 * compare a module with a naive model over many inputs (xorshift64; the
 * same sequence on every run, so a failure is reproducible).
 */
#ifndef VIGIL_TEST_RNG_H
#define VIGIL_TEST_RNG_H

#include <stdint.h>

static uint64_t	rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

#endif
