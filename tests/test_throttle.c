/*
 * test_throttle.c: the early warning's limits (collector/throttle.c):
 * one message per incident and kind per interval, the rate a minute, the
 * summary of what was held back, the retry schedule; and a storm against
 * a naive model that keeps every message sent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "err.h"
#include "throttle.h"
#include "rng.h"

#define MIN	60000

static void
test_interval(void **state)
{
	struct throttle	*t;

	(void)state;
	assert_int_equal(throttle_new(&t, 10 * MIN, 100), 0);
	assert_int_equal(throttle_check(t, 1, 1, 0), THR_SEND);
	assert_int_equal(throttle_check(t, 1, 1, 1000), THR_REPEAT);
	assert_int_equal(throttle_check(t, 1, 2, 1000), THR_SEND); /* kind */
	assert_int_equal(throttle_check(t, 2, 1, 1000), THR_SEND); /* incident */
	assert_int_equal(throttle_check(t, 1, 1, 10 * MIN - 1), THR_REPEAT);
	assert_int_equal(throttle_check(t, 1, 1, 10 * MIN), THR_SEND);
	throttle_free(t);
	/* interval 0: no per-incident limit */
	assert_int_equal(throttle_new(&t, 0, 100), 0);
	assert_int_equal(throttle_check(t, 1, 1, 0), THR_SEND);
	assert_int_equal(throttle_check(t, 1, 1, 0), THR_SEND);
	throttle_free(t);
	assert_int_equal(throttle_new(&t, -1, 1), ERR_USAGE);
	assert_null(t);
	assert_int_equal(throttle_new(&t, 0, 0), ERR_USAGE);
	throttle_free(NULL);
}

static void
test_rate_and_summary(void **state)
{
	struct throttle		*t;
	struct throttle_summary	 s;
	int64_t			 i;

	(void)state;
	assert_int_equal(throttle_new(&t, 10 * MIN, 3), 0);
	for (i = 1; i <= 3; i++)
		assert_int_equal(throttle_check(t, i, 1, i), THR_SEND);
	assert_int_equal(throttle_next(t), 0);
	assert_int_equal(throttle_summary(t, &s, 100), 0);
	for (i = 4; i <= 30; i++)
		assert_int_equal(throttle_check(t, i, 1, 10), THR_HELD);
	assert_int_equal(throttle_check(t, 4, 2, 11), THR_HELD);
	assert_int_equal(throttle_next(t), 10 + MIN);
	assert_int_equal(throttle_summary(t, &s, 10 + MIN - 1), 0);
	assert_int_equal(throttle_summary(t, &s, 10 + MIN), 1);
	assert_int_equal(s.held, 28);
	assert_int_equal(s.nids, THR_LIST_MAX);
	assert_int_equal(s.ids[0], 4);
	assert_int_equal(s.ids[THR_LIST_MAX - 1], 4 + THR_LIST_MAX - 1);
	assert_true(s.more);
	assert_int_equal(throttle_summary(t, &s, 10 * MIN), 0);	/* once */
	assert_int_equal(throttle_next(t), 0);
	/* a new minute: sends again; held ones were never remembered */
	assert_int_equal(throttle_check(t, 4, 1, 1 + MIN), THR_SEND);
	/* lost before the check (a full queue): counted, not named */
	throttle_hold(t, 0, 5, 2 * MIN);
	throttle_hold(t, 0, 0, 2 * MIN);
	assert_int_equal(throttle_summary(t, &s, 3 * MIN), 1);
	assert_int_equal(s.held, 5);
	assert_int_equal(s.nids, 0);
	assert_false(s.more);
	throttle_free(t);
}

/* A storm of changes on a few incidents, at random times, against a
 * model: every message sent is within the limits, and every change is
 * sent, a repeat, or counted held. */
static void
test_model(void **state)
{
	struct throttle		*t;
	struct throttle_summary	 s;
	struct { int64_t inc, at; int kind; } sent[4000];
	size_t			 nsent = 0, i, inwin;
	uint64_t		 held = 0, summed = 0, repeats = 0;
	int64_t			 now = 0, inc;
	int			 kind, v, k, rate = 7, interval = 5 * MIN;

	(void)state;
	assert_int_equal(throttle_new(&t, interval, rate), 0);
	for (k = 0; k < 20000; k++) {
		now += (int64_t)(rnd() % 200);
		inc = 1 + (int64_t)(rnd() % 40);
		kind = 1 << (rnd() % 3);
		v = throttle_check(t, inc, kind, now);
		if (v == THR_SEND) {
			for (i = 0; i < nsent; i++)
				assert_false(sent[i].inc == inc &&
				    sent[i].kind == kind &&
				    now - sent[i].at < interval);
			for (i = 0, inwin = 0; i < nsent; i++)
				inwin += now - sent[i].at < MIN;
			assert_true(inwin < 2 * (size_t)rate);
			assert_true(nsent < 4000);
			sent[nsent].inc = inc;
			sent[nsent].at = now;
			sent[nsent++].kind = kind;
		} else if (v == THR_HELD)
			held++;
		else
			repeats++;
		if (throttle_summary(t, &s, now))
			summed += s.held;
	}
	if (throttle_summary(t, &s, now + 2 * MIN))
		summed += s.held;
	assert_int_equal(summed, held);
	assert_int_equal(nsent + held + repeats, 20000);
	assert_true(nsent < 20000 / 10);	/* a storm is a handful */
	throttle_free(t);
}

static void
test_retry(void **state)
{
	static const int	s[] = { 5, 30, 120, 600 };

	(void)state;
	assert_int_equal(throttle_retry_s(s, 4, 1), 5);
	assert_int_equal(throttle_retry_s(s, 4, 2), 30);
	assert_int_equal(throttle_retry_s(s, 4, 4), 600);
	assert_int_equal(throttle_retry_s(s, 4, 5), -1);
	assert_int_equal(throttle_retry_s(s, 4, 0), -1);
	assert_int_equal(throttle_retry_s(s, 0, 1), -1);	/* none */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_rate_and_summary),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
