/*
 * test_runcmd.c: a program run without a shell (collector/runcmd.c): its
 * input on standard input, its argv as given (shell syntax stays text),
 * exit statuses, a child that does not read its input, the time limit,
 * a program that is not there.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "clock.h"
#include "err.h"
#include "runcmd.h"
#include "testutil.h"

static void
test_input_and_argv(void **state)
{
	struct tmpdir	*t = *state;
	char		 out[PATH_MAX], lit[PATH_MAX], detail[128], got[256];
	char		*argv[] = { "/usr/bin/tee", out, lit, NULL };
	FILE		*f;
	size_t		 n;

	(void)tmpdir_path(out, sizeof(out), t, "out");
	(void)tmpdir_path(lit, sizeof(lit), t, "$(touch x)");
	assert_int_equal(runcmd(argv, "{\"a\": \"; rm -rf /\"}\n", 20, 5,
	    detail, sizeof(detail)), 0);
	assert_string_equal(detail, "exit 0");
	assert_non_null(f = fopen(out, "r"));
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	assert_string_equal(got, "{\"a\": \"; rm -rf /\"}\n");
	/* ".../$(touch x)" is a file name to tee: made, nothing ran */
	assert_int_equal(access(lit, F_OK), 0);
	(void)tmpdir_path(out, sizeof(out), t, "x");
	assert_int_not_equal(access(out, F_OK), 0);
}

static void
test_outcomes(void **state)
{
	char	 detail[128], *big;
	char	*f[] = { "/bin/false", NULL }, *tr[] = { "/bin/true", NULL };
	char	*sl[] = { "/bin/sleep", "30", NULL };
	char	*no[] = { "/nonexistent/prog", NULL };
	int64_t	 t0;

	(void)state;
	assert_int_equal(runcmd(f, "", 0, 5, detail, sizeof(detail)), ERR_IO);
	assert_string_equal(detail, "exit 1");
	/* it does not read a megabyte of input: not an error */
	assert_non_null(big = calloc(1, 1 << 20));
	assert_int_equal(runcmd(tr, big, 1 << 20, 5, detail, sizeof(detail)),
	    0);
	free(big);
	t0 = clock_mono_ms();
	assert_int_equal(runcmd(sl, "", 0, 1, detail, sizeof(detail)), ERR_IO);
	assert_string_equal(detail, "killed after 1 s");
	assert_true(clock_mono_ms() - t0 < 3000);
	assert_int_equal(runcmd(no, "", 0, 1, detail, sizeof(detail)), ERR_IO);
	assert_string_equal(detail,
	    "/nonexistent/prog: No such file or directory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_input_and_argv,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_outcomes),
	};

	signal(SIGPIPE, SIG_IGN);	/* as the collector */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
