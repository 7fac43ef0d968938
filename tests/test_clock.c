/*
 * test_clock.c: the monotonic millisecond clock (common/clock.c) never
 * goes back and follows real time.
 */
#include <stdint.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "clock.h"

static void
test_monotonic(void **state)
{
	struct timespec	nap = { 0, 50 * 1000 * 1000 };
	int64_t		t0, t1, prev;
	int		i;

	(void)state;
	prev = t0 = clock_mono_ms();
	assert_true(t0 >= 0);
	for (i = 0; i < 100000; i++) {
		t1 = clock_mono_ms();
		assert_true(t1 >= prev);
		prev = t1;
	}
	t0 = clock_mono_ms();
	assert_int_equal(nanosleep(&nap, NULL), 0);
	t1 = clock_mono_ms();
	assert_true(t1 - t0 >= 50 && t1 - t0 < 5000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
