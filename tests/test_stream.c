/*
 * test_stream.c: agent/net/stream.c: in order, out of order, repeats and
 * overlaps (the first copy wins, a different one is reported), sequence
 * numbers wrapping past 2^32, the depth, the out-of-order window, gaps
 * shown by the other side's acknowledgements, the memory cap; and random
 * segmentations delivered shuffled and repeated against the bytes sent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "stream.h"
#include "rng.h"

#define DATA_LEN	200000

struct fx {
	struct stream_mem	 mem;
	struct stream_lim	 lim;
	struct stream		*st;
	uint8_t			 d[DATA_LEN];
	size_t			 added;
};

static int
setup(void **state)
{
	struct fx	*x = calloc(1, sizeof(*x));
	size_t		 i;

	if (x == NULL)
		return -1;
	x->mem.cap = 64 << 20;
	x->lim = (struct stream_lim){ 100000, 8192, &x->mem };
	for (i = 0; i < DATA_LEN; i++)
		x->d[i] = (uint8_t)(i * 31 + i / 256);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*x = *state;

	stream_free(x->st, &x->mem);
	assert_int_equal(x->mem.used, 0);	/* every byte given back */
	free(x);
	return 0;
}

/* Bytes [off, off + n) of the data, sent with sequence numbers from base. */
static int
seg(struct fx *x, uint32_t base, size_t off, size_t n)
{
	return stream_add(x->st, &x->lim, base + (uint32_t)off, x->d + off, n,
	    &x->added);
}

static void
assert_have(const struct fx *x, size_t n)
{
	const uint8_t	*p;
	size_t		 len;

	p = stream_data(x->st, &len);
	assert_int_equal(len, n);
	if (n > 0)
		assert_memory_equal(p, x->d, n);
}

static void
test_in_order_and_not(void **state)
{
	struct fx	*x = *state;
	size_t		 len;

	x->st = stream_new(1000);
	assert_non_null(x->st);
	assert_null(stream_data(x->st, &len));
	assert_int_equal(seg(x, 1000, 0, 100), 0);
	assert_int_equal(x->added, 100);
	assert_have(x, 100);
	/* 300..400 and 200..300 early, then the hole */
	assert_int_equal(seg(x, 1000, 300, 100), 0);
	assert_int_equal(x->added, 0);
	assert_int_equal(seg(x, 1000, 200, 100), 0);
	assert_int_equal(x->added, 0);
	assert_int_equal(stream_ooo_held(x->st), 200);
	assert_have(x, 100);
	assert_int_equal(seg(x, 1000, 100, 100), 0);
	assert_int_equal(x->added, 300);
	assert_int_equal(stream_ooo_held(x->st), 0);
	assert_have(x, 400);
	/* a repeat, and a segment half old, half new */
	assert_int_equal(seg(x, 1000, 0, 400), 0);
	assert_int_equal(x->added, 0);
	assert_int_equal(seg(x, 1000, 350, 100), 0);
	assert_int_equal(x->added, 50);
	assert_have(x, 450);
	assert_false(stream_stopped(x->st));
}

static void
test_first_wins(void **state)
{
	struct fx	*x = *state;
	uint8_t		 evil[100];
	const uint8_t	*p;
	size_t		 len;

	memset(evil, 'E', sizeof(evil));
	x->st = stream_new(0);
	assert_int_equal(seg(x, 0, 0, 100), 0);
	/* a retransmission that says something else: the first stays */
	assert_int_equal(stream_add(x->st, &x->lim, 50, evil, 50, &x->added),
	    ST_DIFFERS);
	assert_have(x, 100);
	/* the same early: held first, the in-order copy loses */
	assert_int_equal(stream_add(x->st, &x->lim, 150, evil, 50, &x->added),
	    0);
	assert_int_equal(seg(x, 0, 100, 100), ST_DIFFERS);
	p = stream_data(x->st, &len);
	assert_int_equal(len, 200);
	assert_memory_equal(p + 150, evil, 50);
	assert_memory_equal(p, x->d, 150);
	/* two early copies of the same bytes: the first held wins */
	assert_int_equal(seg(x, 0, 300, 50), 0);
	assert_int_equal(stream_add(x->st, &x->lim, 300, evil, 50, &x->added),
	    ST_DIFFERS);
	assert_int_equal(stream_add(x->st, &x->lim, 200, x->d + 200, 100,
	    &x->added), 0);
	p = stream_data(x->st, &len);
	assert_int_equal(len, 350);
	assert_memory_equal(p + 300, x->d + 300, 50);
	/* a keep-alive: one garbage byte just before the next */
	assert_int_equal(stream_add(x->st, &x->lim, 349, evil, 1, &x->added),
	    0);
}

static void
test_wraparound(void **state)
{
	struct fx	*x = *state;
	uint32_t	 base = 0xffffff00u;

	x->st = stream_new(base);
	assert_int_equal(seg(x, base, 0, 200), 0);	/* crosses 2^32 */
	assert_int_equal(seg(x, base, 400, 100), 0);	/* early, past 0 */
	assert_int_equal(seg(x, base, 100, 150), 0);	/* half old */
	assert_int_equal(x->added, 50);
	assert_int_equal(seg(x, base, 250, 150), 0);
	assert_int_equal(x->added, 250);
	assert_have(x, 500);
	/* acknowledgements across the wrap: up to nxt + 1 is no gap */
	assert_false(stream_ack(x->st, &x->mem, base + 500));
	assert_false(stream_ack(x->st, &x->mem, base + 501));
	assert_false(stream_ack(x->st, &x->mem, base + 10));	/* old */
	assert_true(stream_ack(x->st, &x->mem, base + 502));
	assert_true(stream_stopped(x->st));
	/* stopped: nothing more is taken */
	assert_int_equal(seg(x, base, 500, 100), 0);
	assert_int_equal(x->added, 0);
	assert_have(x, 500);
}

static void
test_depth(void **state)
{
	struct fx	*x = *state;
	size_t		 off;
	int		 r = 0;

	x->lim.depth = 5000;
	x->st = stream_new(7);
	for (off = 0; off < 6000 && r == 0; off += 1000)
		r = seg(x, 7, off, 1000);
	assert_int_equal(r, ST_DEPTH);
	assert_int_equal(off, 5000);
	assert_have(x, 5000);
	assert_true(stream_stopped(x->st));
	stream_free(x->st, &x->mem);
	/* clipped in the middle of a segment; early data past the depth is
	 * not held */
	x->st = stream_new(7);
	assert_int_equal(seg(x, 7, 5000, 100), 0);
	assert_int_equal(stream_ooo_held(x->st), 0);
	assert_int_equal(seg(x, 7, 4000, 500), 0);
	assert_int_equal(stream_ooo_held(x->st), 500);
	assert_int_equal(seg(x, 7, 0, 4000), 0);
	assert_int_equal(x->added, 4500);
	assert_int_equal(seg(x, 7, 4500, 600), ST_DEPTH);
	assert_int_equal(x->added, 500);
	assert_have(x, 5000);
}

static void
test_window_and_gap(void **state)
{
	struct fx	*x = *state;

	x->st = stream_new(0);
	assert_int_equal(seg(x, 0, 0, 10), 0);
	/* the window is 8192 bytes past the next expected byte */
	assert_int_equal(seg(x, 0, 10 + 8192, 100), 0);
	assert_int_equal(stream_ooo_held(x->st), 0);
	assert_int_equal(seg(x, 0, 8000, 1000), 0);	/* clipped to it */
	assert_int_equal(stream_ooo_held(x->st), 8192 + 10 - 8000);
	/* the receiver acknowledges what we never saw: a gap */
	assert_false(stream_ack(x->st, &x->mem, 11));
	assert_true(stream_ack(x->st, &x->mem, 12));
	assert_true(stream_stopped(x->st));
	assert_int_equal(stream_ooo_held(x->st), 0);
	assert_false(stream_ack(x->st, &x->mem, 5000));	/* once */
	assert_have(x, 10);
}

static void
test_memcap(void **state)
{
	struct fx	*x = *state;
	struct stream	*other;

	x->mem.cap = 10000;
	other = stream_new(0);
	x->st = stream_new(0);
	assert_int_equal(seg(x, 0, 0, 4000), 0);		/* 4096 */
	assert_int_equal(stream_add(other, &x->lim, 0, x->d, 4000,
	    &x->added), 0);					/* 8192 */
	/* the next doubling (4096 more) does not fit */
	assert_int_equal(seg(x, 0, 4000, 1000), ST_MEMCAP);
	assert_true(stream_stopped(x->st));
	assert_have(x, 4000);
	/* nor does a ring for data out of order */
	assert_int_equal(stream_add(other, &x->lim, 5000, x->d, 10,
	    &x->added), ST_MEMCAP);
	stream_free(other, &x->mem);
	assert_int_equal(x->mem.used, 4096);
	/* a cap all used up still gives a new stream its first bytes */
	x->mem.cap = 100;
	other = stream_new(0);
	assert_int_equal(stream_add(other, &x->lim, 0, x->d, 4000,
	    &x->added), 0);
	assert_int_equal(x->added, 4000);
	assert_int_equal(stream_add(other, &x->lim, 4000, x->d, 100,
	    &x->added), ST_MEMCAP);
	stream_free(other, &x->mem);
}

/* 100 random runs: the data cut at random, each segment sent once or
 * twice, the order shuffled within the window; what comes out is what
 * went in. */
static void
test_random_model(void **state)
{
	struct fx	*x = *state;
	size_t		*offs = calloc(4096, sizeof(*offs));
	size_t		*lens = calloc(4096, sizeof(*lens));
	size_t		 n, i, k, pos, len, t, sent;
	uint32_t	 base;
	int		 run;

	assert_true(offs != NULL && lens != NULL);
	for (run = 0; run < 100; run++) {
		base = rnd() * 65537u;
		len = 1 + rnd() % 60000;
		x->st = stream_new(base);
		for (n = 0, pos = 0; pos < len; n++) {
			k = 1 + rnd() % 1460;
			if (k > len - pos)
				k = len - pos;
			offs[n] = pos;
			lens[n] = k;
			pos += k;
			assert_true(n < 4000);
			if (rnd() % 8 == 0) {	/* sent twice */
				n++;
				offs[n] = offs[n - 1];
				lens[n] = lens[n - 1];
			}
		}
		/* swap neighbours: displacement stays within the window */
		for (i = 0; i + 1 < n; i++)
			if (rnd() % 3 == 0) {
				t = offs[i];
				offs[i] = offs[i + 1];
				offs[i + 1] = t;
				t = lens[i];
				lens[i] = lens[i + 1];
				lens[i + 1] = t;
			}
		for (i = 0, sent = 0; i < n; i++) {
			assert_int_equal(seg(x, base, offs[i], lens[i]), 0);
			sent += x->added;
		}
		assert_int_equal(sent, len);
		assert_have(x, len);
		assert_int_equal(stream_ooo_held(x->st), 0);
		stream_free(x->st, &x->mem);
		x->st = NULL;
		assert_int_equal(x->mem.used, 0);
	}
	free(offs);
	free(lens);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order_and_not, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_first_wins, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_and_gap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_memcap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_model, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
