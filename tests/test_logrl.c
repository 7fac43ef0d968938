/*
 * test_logrl.c: rate-limited log lines (collector/logrl.c): the burst,
 * the sustained rate, the count of lines held back and its period,
 * against a naive model that replays the clock one millisecond at a time.
 */
#include <stdint.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "logrl.h"

static void
test_burst_and_rate(void **state)
{
	struct logrl	rl;
	int64_t		period;
	int		i, n;

	(void)state;
	logrl_init(&rl, 5, 1000, 10000, 0);
	for (n = 0, i = 0; i < 100; i++)
		n += logrl_allow(&rl, 0);
	assert_int_equal(n, 5);
	assert_int_equal(logrl_take(&rl, 9999, &period), 0);	/* too soon */
	/* one line per second after that */
	assert_int_equal(logrl_allow(&rl, 999), 0);
	assert_int_equal(logrl_allow(&rl, 1000), 1);
	assert_int_equal(logrl_allow(&rl, 1000), 0);
	assert_int_equal(logrl_take(&rl, 10000, &period), 97);
	assert_int_equal(period, 10000);
	assert_int_equal(logrl_take(&rl, 20000, &period), 0);	/* quiet */
	/* a long pause refills to the burst, no more */
	for (n = 0, i = 0; i < 100; i++)
		n += logrl_allow(&rl, INT64_MAX / 2);
	assert_int_equal(n, 5);
	assert_int_equal(logrl_take(&rl, INT64_MAX / 2, &period), 95);
	/* a clock that goes back allows nothing extra */
	assert_int_equal(logrl_allow(&rl, 0), 0);
	/* degenerate arguments are clamped */
	logrl_init(&rl, 0, 0, -1, 0);
	assert_int_equal(logrl_allow(&rl, 0), 1);
	assert_int_equal(logrl_allow(&rl, 0), 0);
	assert_int_equal(logrl_take(&rl, 0, &period), 1);
}

/* The model: credit advances a millisecond at a time. */
static void
test_model(void **state)
{
	struct logrl	rl;
	int64_t		now = 0, t, credit, period, since = 0;
	uint64_t	held = 0, got;
	int		i, burst = 3, per = 250, allowed;

	(void)state;
	logrl_init(&rl, burst, per, 2000, 0);
	credit = burst * per;
	for (i = 0; i < 20000; i++) {
		t = now + randombytes_uniform(300);
		for (; now < t; now++)
			if (credit < burst * per)
				credit++;
		allowed = credit >= per;
		if (allowed)
			credit -= per;
		else
			held++;
		assert_int_equal(logrl_allow(&rl, now), allowed);
		if (randombytes_uniform(10) == 0) {
			got = logrl_take(&rl, now, &period);
			assert_int_equal(period, now - since);
			if (now - since >= 2000) {
				assert_int_equal(got, held);
				held = 0;
				since = now;
			} else
				assert_int_equal(got, 0);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_rate),
		cmocka_unit_test(test_model),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
