/*
 * test_cli.c: usage errors and exit statuses (common/cli.c). A message
 * quoting a hostile argument is one escaped line, followed by the hint;
 * results map to 0, 1 and 2 as the README says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "testutil.h"

struct usage {
	const char	*prog, *cmd, *arg;
	int		 rc;
};

static void
usage(void *arg)
{
	struct usage	*u = arg;

	u->rc = cli_usage(u->prog, u->cmd, "--threads '%s': want 1..%d",
	    u->arg, 32);
}

static char *
capture_usage(const char *prog, const char *cmd, const char *arg, int *rc)
{
	struct usage	 u = { prog, cmd, arg, 0 };
	char		*out = capture_stderr(usage, &u);

	assert_non_null(out);
	*rc = u.rc;
	return out;
}

static void
test_usage(void **state)
{
	char	*out;
	int	 rc;

	(void)state;
	out = capture_usage("vigil-agent scan", NULL, "3\x1b[2K\nforged", &rc);
	assert_int_equal(rc, ERR_USAGE);
	assert_string_equal(out, "vigil-agent scan: --threads '3\\x1b[2K\\x0a"
	    "forged': want 1..32\ntry 'vigil-agent scan --help'\n");
	free(out);
	out = capture_usage("vigil-agent", "emit", "x", &rc);
	assert_string_equal(out, "vigil-agent: --threads 'x': want 1..32\n"
	    "try 'vigil-agent emit --help'\n");
	free(out);
}

static void
test_exit(void **state)
{
	(void)state;
	assert_int_equal(cli_exit(0), 0);
	assert_int_equal(cli_exit(ERR_USAGE), 2);
	assert_int_equal(cli_exit(ERR_IO), 1);
	assert_int_equal(cli_exit(ERR_NOMEM), 1);
}

/* An option's words: the index of the one given, -1 for any other,
 * no prefix or case folding. */
static void
test_word(void **state)
{
	static const char *const	w[] = { "json", "md", "csv" };

	assert_int_equal(cli_word("json", w, 3), 0);
	assert_int_equal(cli_word("csv", w, 3), 2);
	assert_int_equal(cli_word("cs", w, 3), -1);
	assert_int_equal(cli_word("CSV", w, 3), -1);
	assert_int_equal(cli_word("", w, 3), -1);
	assert_int_equal(cli_word("csv", w, 2), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_exit),
		cmocka_unit_test(test_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
