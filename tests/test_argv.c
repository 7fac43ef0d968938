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

/* s splits into exactly the words of want (NULL-terminated). */
static void
expect(const char *s, const char *const *want)
{
	char	*argv[ARGV_MAX + 1], buf[256];
	int	 n, i;

	for (n = 0; want[n] != NULL; n++)
		;
	assert_int_equal(split(argv, buf, sizeof(buf), s), n);
	for (i = 0; i < n; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[n]);
}

static void
test_words(void **state)
{
	(void)state;
	expect("/bin/prog", (const char *const[]){ "/bin/prog", NULL });
	expect("  /usr/bin/notify\t--to ops  -v ", (const char *const[]){
	    "/usr/bin/notify", "--to", "ops", "-v", NULL });
	/* quotes group spaces; nothing else is special */
	expect("\"/opt/my tools/n\" \"a b\" \"\" $(touch /tmp/x) ; `id` |x *",
	    (const char *const[]){ "/opt/my tools/n", "a b", "", "$(touch",
	    "/tmp/x)", ";", "`id`", "|x", "*", NULL });
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
