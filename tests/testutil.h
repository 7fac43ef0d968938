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
 * A test about one file gets its path there too: *state is a struct
 * tmpfile, made for the name given as the initial state:
 *	cmocka_unit_test_prestate_setup_teardown(test_x, tmpfile_setup,
 *	    tmpdir_teardown, "spool.db")		f->path: T/spool.db
 * A larger fixture begins with a struct tmpdir or tmpfile (tmpdir_new,
 * tmpfile_new) and is freed, directory and all, by tmpdir_free.
 *
 * And for files: file_put (write one, mode exact), file_get (read one
 * back), capture_stderr (what a function logs).
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

/* $VIGIL_TEST_TMP, made if missing, or /tmp; NULL with errno set. */
static inline const char *
tmpdir_base(void)
{
	const char	*base = getenv("VIGIL_TEST_TMP");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) == -1 && errno != EEXIST)
		return NULL;
	return base;
}

/* Make base/prefix.XXXXXX (mode 0700). 0, or -1 with errno set. */
static inline int
tmpdir_make(struct tmpdir *t, const char *prefix)
{
	const char	*base = tmpdir_base();
	int		 n;

	if (base == NULL)
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

/* A test's fixture: size bytes, zeroed, whose first member is a struct
 * tmpdir, made with prefix. NULL on failure. tmpdir_free removes the
 * directory and frees the fixture (takes NULL). */
static inline void *
tmpdir_new(size_t size, const char *prefix)
{
	struct tmpdir	*t;

	if (size < sizeof(*t) || (t = calloc(1, size)) == NULL)
		return NULL;
	if (tmpdir_make(t, prefix) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

static inline void	tmpdir_remove(struct tmpdir *);

static inline void
tmpdir_free(void *fixture)
{
	if (fixture != NULL)
		tmpdir_remove(fixture);
	free(fixture);
}

/* A test may have left a folder unreadable or unsearchable (chmod 0):
 * open it up, and what it holds. A folder is reported before its entries
 * are looked at, or as FTW_DNR if it cannot be opened at all. */
static inline int
tmpdir_open_up(const char *path, const struct stat *st, int type,
    struct FTW *f)
{
	(void)st;
	(void)f;
	if (type == FTW_D || type == FTW_DNR)
		(void)chmod(path, 0700);
	if (type == FTW_DNR)		/* it can be read now */
		(void)nftw(path, tmpdir_open_up, 16, FTW_PHYS);
	return 0;
}

static inline int
tmpdir_rm1(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	(void)type;
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

/* rm -rf the directory, whatever modes a test left in it (symlinks are
 * removed, never followed). */
static inline void
tmpdir_remove(struct tmpdir *t)
{
	if (t->path[0] != '\0') {
		(void)nftw(t->path, tmpdir_open_up, 16, FTW_PHYS);
		(void)nftw(t->path, tmpdir_rm1, 16, FTW_DEPTH | FTW_PHYS);
	}
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
	return (*state = tmpdir_new(sizeof(struct tmpdir), "t")) ? 0 : -1;
}

static inline int
tmpdir_teardown(void **state)
{
	tmpdir_free(*state);
	return 0;
}

/* A scratch directory and the path of one file in it. */
struct tmpfile {
	struct tmpdir	dir;		/* first: tmpdir_free */
	char		path[PATH_MAX];	/* T/name */
};

/* size bytes, zeroed, beginning with a struct tmpfile for name (which
 * also names the directory). NULL on failure. */
static inline void *
tmpfile_new(size_t size, const char *name)
{
	struct tmpfile	*f;

	if (size < sizeof(*f) || (f = tmpdir_new(size, name)) == NULL)
		return NULL;
	tmpdir_path(f->path, sizeof(f->path), &f->dir, name);
	return f;
}

/* cmocka setup: *state, the file's name, becomes its struct tmpfile. */
static inline int
tmpfile_setup(void **state)
{
	return (*state = tmpfile_new(sizeof(struct tmpfile), *state)) ? 0 : -1;
}

/* The permission bits of path (not followed), or (mode_t)-1. */
static inline mode_t
path_mode(const char *path)
{
	struct stat	st;

	return lstat(path, &st) == -1 ? (mode_t)-1 : st.st_mode & 07777;
}

/* A new file at path (what was there is unlinked first) holding len bytes
 * of data, mode exactly mode whatever the umask: 0, or -1 with errno. */
static inline int
file_put(const char *path, const void *data, size_t len, mode_t mode)
{
	int	fd;

	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	if ((len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    fchmod(fd, mode) == -1) {
		(void)close(fd);
		return -1;
	}
	return close(fd);
}

/* Up to size - 1 bytes of path into buf, NUL-terminated: how many, or -1
 * with errno. */
static inline ssize_t
file_get(const char *path, char *buf, size_t size)
{
	ssize_t	n;
	int	fd;

	if (size == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((n = read(fd, buf, size - 1)) >= 0)
		buf[n] = '\0';
	(void)close(fd);
	return n;
}

/* Run fn(arg) with standard error (the log) going to a file under
 * tmpdir_base(); what it wrote, malloc'd and NUL-terminated (NULL if the
 * capture itself failed). */
static inline char *
capture_stderr(void (*fn)(void *), void *arg)
{
	char		 path[PATH_MAX], *out = NULL;
	const char	*base = tmpdir_base();
	struct stat	 st;
	ssize_t		 n;
	int		 fd, saved;

	if (base == NULL || snprintf(path, sizeof(path), "%s/capture.XXXXXX",
	    base) >= (int)sizeof(path) || (fd = mkstemp(path)) == -1)
		return NULL;
	(void)unlink(path);
	fflush(stderr);
	if ((saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1) {
		(void)close(fd);
		if (saved != -1)
			(void)close(saved);
		return NULL;
	}
	fn(arg);
	fflush(stderr);
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	if (fstat(fd, &st) == 0 && (out = calloc(1, (size_t)st.st_size + 1))
	    != NULL && (n = pread(fd, out, (size_t)st.st_size, 0)) !=
	    st.st_size) {
		free(out);
		out = NULL;
	}
	(void)close(fd);
	return out;
}

#endif
