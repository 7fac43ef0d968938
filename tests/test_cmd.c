/*
 * test_cmd.c: what the collector's commands share (collector/cmd.c):
 * the -o FILE output, made whole or not at all, and the time parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "err.h"
#include "testutil.h"

/* Files in dir. */
static int
entries(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_output(void **state)
{
	struct cmd_output	 o;
	struct tmpfile		*t;
	struct stat		 st;
	char			 path[4200], buf[16];
	FILE			*f;

	(void)state;
	assert_non_null(t = tmpfile_new(sizeof(*t), "out.csv"));
	snprintf(path, sizeof(path), "%s", t->path);

	/* done: the file appears whole, 0600, nothing else beside it */
	assert_int_equal(cmd_output_open(&o, path), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(fputs("a,b\r\n", o.f) >= 0, 1);
	assert_int_equal(cmd_output_close(&o, 0), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_string_equal(buf, "a,b\r\n");
	fclose(f);
	assert_int_equal(entries(t->dir.path), 1);

	/* failed: the old file stays, the new one is gone */
	assert_int_equal(cmd_output_open(&o, path), 0);
	assert_int_equal(fputs("half", o.f) >= 0, 1);
	assert_int_equal(cmd_output_close(&o, ERR_NOTFOUND), ERR_NOTFOUND);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(entries(t->dir.path), 1);

	/* a folder that is not there */
	snprintf(path, sizeof(path), "%s/nope/x.csv", t->dir.path);
	assert_int_equal(cmd_output_open(&o, path), ERR_IO);

	/* NULL and "-": stdout, closed by nobody */
	assert_int_equal(cmd_output_open(&o, NULL), 0);
	assert_ptr_equal(o.f, stdout);
	assert_int_equal(cmd_output_close(&o, 0), 0);
	assert_int_equal(cmd_output_open(&o, "-"), 0);
	assert_ptr_equal(o.f, stdout);
	assert_int_equal(cmd_output_close(&o, ERR_IO), ERR_IO);
	tmpdir_free(t);
}

static void
test_parse_time(void **state)
{
	int64_t	us;

	(void)state;
	assert_int_equal(cmd_parse_time(&us, "1970-01-01"), 0);
	assert_int_equal(us, 0);
	assert_int_equal(cmd_parse_time(&us, "2026-11-25T10:00:00Z"), 0);
	assert_int_equal(us, INT64_C(1795600800) * 1000000);
	assert_int_equal(cmd_parse_time(&us, "2026-11-25T17:00:00+0700"), 0);
	assert_int_equal(us, INT64_C(1795600800) * 1000000);
	assert_int_not_equal(cmd_parse_time(&us, "yesterday"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_parse_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
