/*
 * test_addrindex: the address index against a naive scan of every set,
 * on random sets of ranges (nested, adjacent, single addresses, IPv4 and
 * IPv6 keys, the ends of the key space), and its refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addrindex.h"
#include "err.h"
#include "rng.h"

#define NSETS	300
#define MAXR	6

struct fixture {
	struct rv_set	 sets[NSETS];
	struct rv_range	 ranges[NSETS][MAXR];
	const struct rv_set *ptr[NSETS];
	uint32_t	 ids[NSETS];
};

static rv_key
rnd_key(void)
{
	/* keys cluster in a small space so ranges overlap often */
	return (rv_key)(rnd() % 5000);
}

/* A set of sorted, disjoint, non-adjacent ranges. */
static void
make_set(struct fixture *f, size_t i)
{
	rv_key		 at = rnd_key();
	uint32_t	 n = 1 + (uint32_t)(rnd() % MAXR), j;

	for (j = 0; j < n; j++) {
		rv_key lo = at + 2 + rnd() % 300;
		rv_key hi = lo + (rnd() % 4 == 0 ? 0 : rnd() % 400);

		f->ranges[i][j] = (struct rv_range){ lo, hi };
		at = hi;
	}
	f->sets[i] = (struct rv_set){ f->ranges[i], n, false };
	f->ptr[i] = &f->sets[i];
	f->ids[i] = (uint32_t)(1000 + i);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_model(void **state)
{
	static struct fixture	 f;
	struct addrindex	 ai;
	uint32_t		 want[NSETS], got[NSETS], n, nw, i, j;
	const uint32_t		*ids;
	rv_key			 k;

	(void)state;
	for (i = 0; i < NSETS; i++)
		make_set(&f, i);
	assert_int_equal(addrindex_build(&ai, f.ids, f.ptr, NSETS), 0);
	for (k = 0; k < 7000; k++) {
		for (i = 0, nw = 0; i < NSETS; i++)
			if (rv_has(&f.sets[i], k))
				want[nw++] = f.ids[i];
		ids = addrindex_find(&ai, k, &n);
		assert_int_equal(n, nw);
		assert_true(n == 0 || ids != NULL);
		if (n > 0)	/* ids may be NULL then */
			memcpy(got, ids, n * sizeof(*got));
		qsort(got, n, sizeof(*got), cmp_u32);
		for (j = 0; j < n; j++)
			assert_int_equal(got[j], want[j]);
	}
	addrindex_free(&ai);
}

static void
test_edges(void **state)
{
	struct rv_range		 top = { ~(rv_key)0 - 1, ~(rv_key)0 };
	struct rv_range		 bottom = { 0, 0 };
	struct rv_set		 s[2] = { { &top, 1, false },
	    { &bottom, 1, false } };
	const struct rv_set	*p[2] = { &s[0], &s[1] };
	uint32_t		 ids[2] = { 7, 9 }, n;
	struct addrindex	 ai;
	const uint32_t		*got;

	(void)state;
	assert_int_equal(addrindex_build(&ai, ids, p, 2), 0);
	got = addrindex_find(&ai, ~(rv_key)0, &n);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 7);
	got = addrindex_find(&ai, 0, &n);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 9);
	assert_null(addrindex_find(&ai, 1, &n));
	assert_int_equal(n, 0);
	addrindex_free(&ai);
	/* empty */
	assert_int_equal(addrindex_build(&ai, NULL, NULL, 0), 0);
	assert_null(addrindex_find(&ai, 5, &n));
	addrindex_free(&ai);
}

static void
test_narrow(void **state)
{
	struct rv_range	 wide = { 0, (rv_key)1 << 24 };	/* 2^24 + 1 */
	struct rv_range	 ok = { 0, ((rv_key)1 << 24) - 2 };
	struct rv_set	 s = { &wide, 1, false };

	(void)state;
	assert_false(addrindex_narrow(&s));
	s.r = &ok;
	assert_true(addrindex_narrow(&s));
	s.any = true;
	assert_false(addrindex_narrow(&s));
}

/* Wide ranges nested many deep: the index refuses rather than grow. */
static void
test_too_big(void **state)
{
	enum { N = 3000 };
	static struct rv_range	 r[N];
	static struct rv_set	 s[N];
	static const struct rv_set *p[N];
	static uint32_t		 ids[N];
	struct addrindex	 ai;
	uint32_t		 i;

	(void)state;
	for (i = 0; i < N; i++) {
		r[i] = (struct rv_range){ i, 1000000 - i };
		s[i] = (struct rv_set){ &r[i], 1, false };
		p[i] = &s[i];
		ids[i] = i;
	}
	assert_int_equal(addrindex_build(&ai, ids, p, N), ERR_TOOBIG);
	assert_int_equal(ai.nseg, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_narrow),
		cmocka_unit_test(test_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
