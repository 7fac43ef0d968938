/*
 * testutil.h: what the unit tests share: a fresh scratch directory under
 * $VIGIL_TEST_TMP (ctest sets it to the build's tests/tmp; /tmp
 * otherwise), removed afterwards with everything in it.
 *
 *	struct tmpdir	t;
 *	if (tmpdir_make(&t, "keys") != 0) return -1;	(in a setup)
 *	tmpdir_path(path, sizeof(path), &t, "key");	-> T/key
 *	tmpdir_remove(&t);				(in a teardown)
 *
 * or, as a cmocka fixture whose state is the struct tmpdir itself:
 *	cmocka_unit_test_setup_teardown(test_x, tmpdir_setup, tmpdir_teardown)
 *
 * Header-only (static functions), so each test program takes what it uses.
 */
#ifndef VIGIL_TESTUTIL_H
#define VIGIL_TESTUTIL_H

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct tmpdir {
	char	path[PATH_MAX / 2];	/* room left for names below it */
};

/* Make base/prefix.XXXXXX (mode 0700). 0, or -1 with errno set. */
static inline int
tmpdir_make(struct tmpdir *t, const char *prefix)
{
	const char	*base = getenv("VIGIL_TEST_TMP");
	int		 n;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) == -1 && errno != EEXIST)
		return -1;
	n = snprintf(t->path, sizeof(t->path), "%s/%s.XXXXXX", base, prefix);
	if (n < 0 || (size_t)n >= sizeof(t->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(t->path) == NULL ? -1 : 0;
}

/* dir/name into out; aborts the test program if it does not fit. */
static inline char *
tmpdir_path(char *out, size_t len, const struct tmpdir *t, const char *name)
{
	int	n = snprintf(out, len, "%s/%s", t->path, name);

	if (n < 0 || (size_t)n >= len)
		abort();
	return out;
}

static inline int
tmpdir_rm1(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	/* a test may have left something unreadable: make it removable */
	if (type == FTW_DP || type == FTW_DNR)
		(void)chmod(path, 0700);
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

/* rm -rf the directory (symlinks are removed, never followed). */
static inline void
tmpdir_remove(struct tmpdir *t)
{
	if (t->path[0] != '\0')
		(void)nftw(t->path, tmpdir_rm1, 16, FTW_DEPTH | FTW_PHYS);
	t->path[0] = '\0';
}

/* cmocka setup/teardown pair: *state is a struct tmpdir (prefix "t"). */
static inline int
tmpdir_setup(void **state)
{
	struct tmpdir	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	if (tmpdir_make(t, "t") != 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static inline int
tmpdir_teardown(void **state)
{
	tmpdir_remove(*state);
	free(*state);
	return 0;
}

/* The permission bits of path (not followed), or (mode_t)-1. */
static inline mode_t
path_mode(const char *path)
{
	struct stat	st;

	return lstat(path, &st) == -1 ? (mode_t)-1 : st.st_mode & 07777;
}

#endif
