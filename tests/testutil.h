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

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Run fn(arg) in a child process (for what must not touch the test's
 * own process: a namespace, a chroot, a lowered limit) and return its
 * exit status: fn's return value, by convention 0 success, 77 skip; -1
 * if it did not exit normally. fn must not use cmocka's asserts (they
 * would jump into the parent's copy of the runner). */
static inline int
tmpdir_child(int (*fn)(void *), void *arg)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* levels more folders of 200 'd's, made by descriptors below the folder
 * dfd (taken: closed), for trees deeper than PATH_MAX: the deepest's
 * descriptor, or -1. If path is not NULL, "/ddd..." is appended to it
 * for each level (room for levels * 201 more bytes is the caller's). */
static inline int
tmpdir_deepen(int dfd, int levels, char *path)
{
	char	comp[201];
	int	i, fd;

	memset(comp, 'd', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = '\0';
	for (i = 0; i < levels && dfd != -1; i++) {
		fd = -1;
		if (mkdirat(dfd, comp, 0700) == 0)
			fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY |
			    O_CLOEXEC);
		(void)close(dfd);
		dfd = fd;
		if (path != NULL) {
			strcat(path, "/");
			strcat(path, comp);
		}
	}
	return dfd;
}

/* A file at path (mode 0600, truncated) holding the string data: 0, or
 * -1 with errno. */
static inline int
tmpdir_put(const char *path, const char *data)
{
	size_t	len = strlen(data);
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		(void)close(fd);
		return -1;
	}
	return close(fd);
}

/* rm -rf name in the folder dfd by descriptors, for trees deeper than
 * PATH_MAX (nftw cannot); symlinks are removed, never followed. */
static inline void
tmpdir_rm_at(int dfd, const char *name)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		(void)unlinkat(dfd, name, 0);
		return;
	}
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			tmpdir_rm_at(dirfd(d), de->d_name);
	(void)closedir(d);
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}

/* A FUSE mount at path whose server never answers: /dev/fuse is opened
 * and never read, so every request to it waits (for as long as the
 * descriptor stays open). Root only. The /dev/fuse descriptor, or -1;
 * to end it: close the descriptor (pending requests then fail), then
 * umount2(path, MNT_DETACH). */
static inline int
tmpdir_fuse_dead(const char *path)
{
	char	opts[128];
	int	fd;

	if ((fd = open("/dev/fuse", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	(void)snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,"
	    "group_id=0,allow_other", fd);
	if (mount("vigil-test", path, "fuse.vigiltest", MS_NOSUID | MS_NODEV,
	    opts) != 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
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
