/*
 * test_argv.c: a configured command line into words, no shell
 * (common/argv.c): words, quotes, shell syntax kept as it is, and each
 * error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "argv.h"
#include "err.h"

static int
split(char *argv[ARGV_MAX + 1], char *buf, size_t len, const char *s)
{
	const char	*why = "unset";
	int		 n = argv_split(argv, buf, len, s, &why);

	if (n > 0)
		assert_null(why);
	else
		assert_non_null(why);
	return n;
}

static void
test_words(void **state)
{
	char	*argv[ARGV_MAX + 1], buf[256];

	(void)state;
	assert_int_equal(split(argv, buf, sizeof(buf), "/bin/prog"), 1);
	assert_string_equal(argv[0], "/bin/prog");
	assert_null(argv[1]);
	assert_int_equal(split(argv, buf, sizeof(buf),
	    "  /usr/bin/notify\t--to ops  -v "), 4);
	assert_string_equal(argv[1], "--to");
	assert_string_equal(argv[2], "ops");
	assert_string_equal(argv[3], "-v");
	assert_null(argv[4]);
	/* quotes group spaces; nothing else is special */
	assert_int_equal(split(argv, buf, sizeof(buf),
	    "\"/opt/my tools/n\" \"a b\" \"\" $(touch /tmp/x) ; `id` |x *"), 9);
	assert_string_equal(argv[0], "/opt/my tools/n");
	assert_string_equal(argv[1], "a b");
	assert_string_equal(argv[2], "");
	assert_string_equal(argv[3], "$(touch");
	assert_string_equal(argv[4], "/tmp/x)");
	assert_string_equal(argv[5], ";");
	assert_string_equal(argv[6], "`id`");
	assert_string_equal(argv[7], "|x");
	assert_string_equal(argv[8], "*");
	assert_null(argv[9]);
}

static void
test_errors(void **state)
{
	char	*argv[ARGV_MAX + 1], buf[256], big[400];
	size_t	 i;

	(void)state;
	assert_int_equal(split(argv, buf, sizeof(buf), ""), ERR_CONFIG);
	assert_int_equal(split(argv, buf, sizeof(buf), "   "), ERR_CONFIG);
	assert_int_equal(split(argv, buf, sizeof(buf), "prog -x"), ERR_CONFIG);
	assert_int_equal(split(argv, buf, sizeof(buf), "/p \"open"),
	    ERR_CONFIG);
	assert_int_equal(split(argv, buf, sizeof(buf), "/p a\"b\""),
	    ERR_CONFIG);
	assert_int_equal(split(argv, buf, sizeof(buf), "/p \"a\"b"),
	    ERR_CONFIG);
	assert_int_equal(split(argv, buf, sizeof(buf), "/p a\nb"), ERR_CONFIG);
	assert_int_equal(split(argv, buf, sizeof(buf), "/p \x7f"), ERR_CONFIG);
	/* 33 words */
	for (i = 0; i < 33; i++)
		memcpy(big + 2 * i, "/ ", 2);
	big[66] = '\0';
	assert_int_equal(split(argv, buf, sizeof(buf), big), ERR_CONFIG);
	big[64] = '\0';
	assert_int_equal(split(argv, buf, sizeof(buf), big), 32);
	/* the buffer is too small */
	assert_int_equal(split(argv, buf, 4, "/bin/x"), ERR_CONFIG);
	assert_int_equal(split(argv, buf, 7, "/bin/x"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
