/*
 * test_log.c: log lines (common/log.c) quote text from outside: each
 * message is escaped for a terminal as a whole (text.h, TEXT_TERM), is
 * one line, and is cut with "..." when it is too long; errno survives.
 * Standard error is captured for each test (testutil.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"

static void
log_evil(void *arg)
{
	log_warnx("file %s: %s", "x\x1b]0;pwned\x07\r\nforged\xc2\x9b\\",
	    "\xe2\x80\xae" "fdp.exe");
}

static void
test_escaped(void **state)
{
	char	*out = capture_stderr(log_evil, NULL), *p;

	(void)state;
	assert_non_null(out);
	assert_non_null(p = strstr(out, " warn: file "));
	assert_string_equal(p, " warn: file x\\x1b]0;pwned\\x07\\x0d\\x0aforged"
	    "\\xc2\\x9b\\\\: \\xe2\\x80\\xaefdp.exe\n");
	free(out);
}

static void
log_long(void *arg)
{
	char	big[3000];

	memset(big, 0x01, sizeof(big) - 1);	/* 4 bytes each, escaped */
	big[sizeof(big) - 1] = '\0';
	log_warnx("%s", big);
	memset(big, 'a', sizeof(big) - 1);
	log_info("%s", big);
}

static void
test_cut(void **state)
{
	char	*out = capture_stderr(log_long, NULL), *nl, *l2;

	(void)state;
	assert_non_null(out);
	assert_non_null(nl = strchr(out, '\n'));
	assert_true(nl - out < 2048 + 128);
	assert_memory_equal(nl - 3, "...", 3);	/* escaped form cut */
	l2 = nl + 1;
	assert_non_null(nl = strchr(l2, '\n'));
	assert_memory_equal(nl - 3, "...", 3);	/* message cut */
	assert_int_equal(nl[1], '\0');		/* two lines, no more */
	free(out);
}

static void
log_errno(void *arg)
{
	errno = ENOENT;
	log_warn("open %s", "a\nb");
	assert_int_equal(errno, ENOENT);
}

static void
test_errno(void **state)
{
	char	*out = capture_stderr(log_errno, NULL);

	(void)state;
	assert_non_null(out);
	assert_non_null(strstr(out, "open a\\x0ab: No such file or "
	    "directory\n"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_errno),
	};

	log_init("test_log", LOG_LVL_INFO, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
