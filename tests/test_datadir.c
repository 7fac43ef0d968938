/*
 * test_datadir.c: the data directory check (common/datadir.c).
 *
 * A missing directory is made 0700 (or reported, without create); one
 * that others can read is tightened; one that others can write, a symlink,
 * a file, and one owned by another user are refused, whatever is in them.
 * The owner cases need root (chown); they are skipped otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <pwd.h>
#include <string.h>

#include "datadir.h"
#include "err.h"
#include "log.h"
#include "testutil.h"

/* T/data in the test's scratch directory */
#define DIR(t)	tmpdir_path(dir, sizeof(dir), (t), "data")

static void
test_create(void **state)
{
	struct tmpdir	*t = *state;
	char		 dir[PATH_MAX];
	mode_t		 old = umask(0);

	assert_int_equal(datadir_check(DIR(t), 0, NULL), ERR_NOTFOUND);
	assert_int_equal(access(DIR(t), F_OK), -1);
	assert_int_equal(datadir_check(DIR(t), 1, NULL), 0);
	umask(old);
	assert_int_equal(path_mode(DIR(t)), 0700);
	/* and again, existing */
	assert_int_equal(datadir_check(DIR(t), 1, NULL), 0);
	assert_int_equal(datadir_check(DIR(t), 0, ""), 0);
}

static void
test_tightened(void **state)
{
	struct tmpdir	*t = *state;
	char		 dir[PATH_MAX];

	assert_int_equal(mkdir(DIR(t), 0700), 0);
	assert_int_equal(chmod(DIR(t), 0755), 0);
	assert_int_equal(datadir_check(DIR(t), 0, NULL), 0);
	assert_int_equal(path_mode(DIR(t)), 0700);
	assert_int_equal(chmod(DIR(t), 0751), 0);
	assert_int_equal(datadir_check(DIR(t), 1, NULL), 0);
	assert_int_equal(path_mode(DIR(t)), 0700);
}

static void
test_writable_refused(void **state)
{
	struct tmpdir	*t = *state;
	char		 dir[PATH_MAX];
	static const mode_t modes[] = { 0777, 0770, 0702, 01777, 0720 };
	size_t		 i;

	assert_int_equal(mkdir(DIR(t), 0700), 0);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(DIR(t), modes[i]), 0);
		assert_int_equal(datadir_check(DIR(t), 1, NULL), ERR_IO);
		assert_int_equal(path_mode(DIR(t)), modes[i]);	/* untouched */
	}
}

static void
test_not_a_directory(void **state)
{
	struct tmpdir	*t = *state;
	char		 dir[PATH_MAX];
	char		 real[PATH_MAX];
	int		 fd;

	tmpdir_path(real, sizeof(real), t, "real");
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, DIR(t)), 0);
	assert_int_equal(datadir_check(DIR(t), 1, NULL), ERR_IO);
	assert_int_equal(unlink(DIR(t)), 0);
	assert_true((fd = open(DIR(t), O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	assert_int_equal(datadir_check(DIR(t), 1, NULL), ERR_IO);
}

static void
test_owner(void **state)
{
	struct tmpdir	*t = *state;
	char		 dir[PATH_MAX];
	struct passwd	*pw = NULL;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		print_message("skipped: needs root and the user nobody\n");
		skip();
	}
	assert_int_equal(mkdir(DIR(t), 0700), 0);
	assert_int_equal(chown(DIR(t), pw->pw_uid, pw->pw_gid), 0);
	/* someone else's directory: refused, unless it is the service
	 * user's that it was handed to */
	assert_int_equal(datadir_check(DIR(t), 1, NULL), ERR_IO);
	assert_int_equal(datadir_check(DIR(t), 1, ""), ERR_IO);
	assert_int_equal(datadir_check(DIR(t), 1, "no-such-user-vigil"),
	    ERR_IO);
	assert_int_equal(datadir_check(DIR(t), 1, "nobody"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_tightened, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_writable_refused, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_directory, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_owner, tmpdir_setup, tmpdir_teardown),
	};

	log_init("test_datadir", LOG_LVL_ERROR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
