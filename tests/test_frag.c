/*
 * test_frag.c: agent/net/frag.c: IPv4 and IPv6 datagrams in order, out of
 * order, overlapping (flagged and dropped, with the rest of their
 * fragments), lengths that cannot be, too many at once (the oldest
 * evicted), timed out; and random fragmentations in random order against
 * the datagram they came from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "err.h"
#include "frag.h"
#include "rng.h"

#define SEC	1000000

struct fx {
	struct frag	*t;
	struct pkt	 p;
	uint8_t		 dg[FRAG_MAX_LEN];
	uint8_t		 proto;
	const uint8_t	*out;
	size_t		 outlen;
};

static int
setup(void **state)
{
	struct fx	*x = calloc(1, sizeof(*x));
	size_t		 i;

	if (x == NULL || frag_new(&x->t, 8, 30) != 0)
		return -1;
	x->p.ipver = 4;
	x->p.src.a[0] = 10;
	x->p.dst.a[0] = 11;
	for (i = 0; i < sizeof(x->dg); i++)
		x->dg[i] = (uint8_t)(i * 7 + i / 251);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*x = *state;

	frag_free(x->t);
	free(x);
	return 0;
}

static enum frag_result
add(struct fx *x, uint32_t id, size_t off, size_t len, bool more,
    int64_t now)
{
	struct frag_in	f = { 17, id, (uint32_t)off, more, x->dg + off, len };

	return frag_add(x->t, &x->p, &f, now, &x->proto, &x->out, &x->outlen);
}

static void
assert_whole(const struct fx *x, size_t len)
{
	assert_int_equal(x->outlen, len);
	assert_memory_equal(x->out, x->dg, len);
}

static void
test_in_and_out_of_order(void **state)
{
	struct fx		*x = *state;
	struct frag_stats	 st;

	assert_int_equal(add(x, 1, 0, 1480, true, 0), FRAG_HELD);
	assert_int_equal(add(x, 1, 1480, 1480, true, 0), FRAG_HELD);
	assert_int_equal(add(x, 1, 2960, 100, false, 0), FRAG_DONE);
	assert_whole(x, 3060);
	assert_int_equal(x->proto, 17);
	/* last first, then the middle, the first */
	assert_int_equal(add(x, 2, 2960, 3, false, 0), FRAG_HELD);
	assert_int_equal(add(x, 2, 1480, 1480, true, 0), FRAG_HELD);
	assert_int_equal(add(x, 2, 0, 1480, true, 0), FRAG_DONE);
	assert_whole(x, 2963);
	/* the same id from another source is another datagram */
	assert_int_equal(add(x, 3, 0, 8, true, 0), FRAG_HELD);
	x->p.src.a[1] = 1;
	assert_int_equal(add(x, 3, 8, 8, false, 0), FRAG_HELD);
	x->p.src.a[1] = 0;
	assert_int_equal(add(x, 3, 8, 8, false, 0), FRAG_DONE);
	assert_whole(x, 16);
	/* a datagram of the largest size */
	assert_int_equal(add(x, 4, 0, 65528, true, 0), FRAG_HELD);
	assert_int_equal(add(x, 4, 65528, 7, false, 0), FRAG_DONE);
	assert_whole(x, FRAG_MAX_LEN);
	frag_stats(x->t, &st);
	assert_int_equal(st.reassembled, 4);
	assert_int_equal(st.held, 1);		/* id 3 from the other */
	assert_int_equal(st.dropped, 0);
}

static void
test_overlap(void **state)
{
	struct fx		*x = *state;
	struct frag_stats	 st;

	/* the second fragment reaches 8 bytes back into the first */
	assert_int_equal(add(x, 1, 0, 16, true, 0), FRAG_HELD);
	assert_int_equal(add(x, 1, 8, 16, true, 0), FRAG_OVERLAP);
	/* the rest of that datagram is dropped too, never assembled */
	assert_int_equal(add(x, 1, 16, 8, false, 0), FRAG_DROPPED);
	assert_int_equal(add(x, 1, 0, 16, true, 0), FRAG_DROPPED);
	/* an exact repeat is an overlap as well */
	assert_int_equal(add(x, 2, 0, 16, true, 0), FRAG_HELD);
	assert_int_equal(add(x, 2, 0, 16, true, 0), FRAG_OVERLAP);
	/* as is a second last fragment, even of length zero */
	assert_int_equal(add(x, 3, 8, 8, false, 0), FRAG_HELD);
	assert_int_equal(add(x, 3, 16, 0, false, 0), FRAG_OVERLAP);
	/* a repeat of a last fragment's partial block (13 bytes) */
	assert_int_equal(add(x, 4, 8, 5, false, 0), FRAG_HELD);
	assert_int_equal(add(x, 4, 0, 16, true, 0), FRAG_BAD);
	frag_stats(x->t, &st);
	assert_int_equal(st.overlaps, 3);
	assert_int_equal(st.dropped, 4);
	assert_int_equal(st.reassembled, 0);
	/* the dead keys go with the timeout; the id is usable again */
	frag_expire(x->t, 30 * SEC);
	frag_stats(x->t, &st);
	assert_int_equal(st.held, 0);
	assert_int_equal(st.timed_out, 0);	/* dead ones are not counted */
	assert_int_equal(add(x, 1, 0, 16, true, 31 * SEC), FRAG_HELD);
	assert_int_equal(add(x, 1, 16, 8, false, 31 * SEC), FRAG_DONE);
	assert_whole(x, 24);
}

static void
test_bad_lengths(void **state)
{
	struct fx		*x = *state;
	struct frag_stats	 st;

	/* a middle fragment not a multiple of 8, or empty */
	assert_int_equal(add(x, 1, 0, 12, true, 0), FRAG_BAD);
	assert_int_equal(add(x, 2, 0, 0, true, 0), FRAG_BAD);
	/* past the end the last fragment set, before or after it came */
	assert_int_equal(add(x, 3, 8, 8, false, 0), FRAG_HELD);
	assert_int_equal(add(x, 3, 16, 8, true, 0), FRAG_BAD);
	assert_int_equal(add(x, 4, 16, 8, true, 0), FRAG_HELD);
	assert_int_equal(add(x, 4, 0, 8, false, 0), FRAG_BAD);
	/* over 65535 bytes */
	assert_int_equal(add(x, 5, 65528, 8, false, 0), FRAG_BAD);
	frag_stats(x->t, &st);
	assert_int_equal(st.dropped, 5);
	assert_int_equal(st.overlaps, 0);
}

static void
test_bounded(void **state)
{
	struct fx		*x = *state;
	struct frag_stats	 st;
	struct frag		*t;
	uint32_t		 id;

	/* 20 datagrams begun in a table of 8: the 12 oldest go */
	for (id = 1; id <= 20; id++)
		assert_int_equal(add(x, id, 0, 8, true, id), FRAG_HELD);
	frag_stats(x->t, &st);
	assert_int_equal(st.held, 8);
	assert_int_equal(st.evicted, 12);
	assert_int_equal(st.dropped, 12);
	/* a kept one completes */
	assert_int_equal(add(x, 20, 8, 8, false, 21), FRAG_DONE);
	assert_whole(x, 16);
	/* an evicted one starts over (in the room 20 left) and stays
	 * incomplete */
	assert_int_equal(add(x, 1, 8, 8, false, 21), FRAG_HELD);
	/* the timeout counts from the first fragment: 30 s */
	frag_expire(x->t, 14 + 30 * SEC - 1);
	frag_stats(x->t, &st);
	assert_int_equal(st.timed_out, 1);	/* id 13 */
	frag_expire(x->t, 14 + 30 * SEC);
	frag_stats(x->t, &st);
	assert_int_equal(st.timed_out, 2);	/* id 14 */
	frag_expire(x->t, 100 * SEC);
	frag_stats(x->t, &st);
	assert_int_equal(st.held, 0);
	assert_int_equal(st.timed_out, 8);	/* 13..19 and 1 */
	assert_int_equal(st.evicted, 12);
	assert_int_equal(frag_new(&t, 0, 1), ERR_USAGE);
	assert_null(t);
	frag_free(NULL);
}

static void
test_ipv6(void **state)
{
	struct fx	*x = *state;
	struct frag_in	 f;

	x->p.ipver = 6;
	x->p.src.a[15] = 1;
	/* the next header of the fragment at offset 0 is the datagram's */
	f = (struct frag_in){ 60, 99, 8, false, x->dg + 8, 10 };
	assert_int_equal(frag_add(x->t, &x->p, &f, 0, &x->proto, &x->out,
	    &x->outlen), FRAG_HELD);
	f = (struct frag_in){ 6, 99, 0, true, x->dg, 8 };
	assert_int_equal(frag_add(x->t, &x->p, &f, 0, &x->proto, &x->out,
	    &x->outlen), FRAG_DONE);
	assert_int_equal(x->proto, 6);
	assert_whole(x, 18);
	/* an IPv4 datagram of the same addresses and id is another one */
	f = (struct frag_in){ 17, 99, 0, true, x->dg, 8 };
	assert_int_equal(frag_add(x->t, &x->p, &f, 0, &x->proto, &x->out,
	    &x->outlen), FRAG_HELD);
	x->p.ipver = 4;
	assert_int_equal(add(x, 99, 8, 8, false, 0), FRAG_HELD);
}

/* Random datagrams cut in random places (8-byte units), shuffled, a
 * quarter with one piece sent twice: whole and equal to the datagram, or
 * (only with the repeat) flagged as an overlap; never anything else. */
static void
test_random_model(void **state)
{
	struct fx		*x = *state;
	size_t			 offs[65], lens[65], order[65];
	size_t			 n, i, j, tmp, len, pos, k;
	enum frag_result	 res;
	uint32_t		 iter;
	bool			 dup;

	for (iter = 0; iter < 2000; iter++) {
		len = 1 + rnd() % 9000;
		for (n = 0, pos = 0; pos < len; n++) {
			k = 8 * (1 + (size_t)(rnd() % 200));
			if (n == 63 || k > len - pos)
				k = len - pos;
			offs[n] = pos;
			lens[n] = k;
			pos += k;
		}
		for (i = 0; i < n; i++)
			order[i] = i;
		if ((dup = rnd() % 4 == 0)) {
			order[n] = rnd() % n;
			n++;
		}
		for (i = n; i > 1; i--) {
			j = rnd() % i;
			tmp = order[i - 1];
			order[i - 1] = order[j];
			order[j] = tmp;
		}
		res = FRAG_HELD;
		for (i = 0; i < n && res == FRAG_HELD; i++) {
			j = order[i];
			res = add(x, iter + 1000, offs[j], lens[j],
			    offs[j] + lens[j] < len, iter);
		}
		if (res == FRAG_DONE)
			assert_whole(x, len);
		else
			assert_true(dup && res == FRAG_OVERLAP);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_and_out_of_order,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lengths, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_model, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
