/*
 * testutil.h: what the unit tests share: a scratch directory per test.
 *
 * testutil_tmpdir() makes DIR/PREFIX.XXXXXX under $VIGIL_TEST_TMP (ctest
 * sets it to the build tree) or /tmp; testutil_rmdir() removes it and the
 * files in it (a test's scratch directory is flat: a store, its -wal and
 * -shm). The home of the fixture several tests still paste; new tests use
 * this one.
 */
#ifndef VIGIL_TESTUTIL_H
#define VIGIL_TESTUTIL_H

#include <limits.h>
#include <stddef.h>

/* 0, or -1 (errno set). */
int	testutil_tmpdir(char dir[static PATH_MAX], const char *prefix);
/* dir/name into out; -1 if it does not fit. */
int	testutil_path(char out[static PATH_MAX], const char *dir,
	    const char *name);
/* Remove the files in dir, then dir. Errors are ignored: it is cleanup. */
void	testutil_rmdir(const char *dir);

#endif
