/*
 * safeopen.c: opening files and folders without following a symbolic
 * link, entering a refused file system, or opening anything but what was
 * asked for (safeopen.h).
 *
 * A path is walked in pieces: as many whole components as fit in
 * PATH_MAX go to one openat2(O_PATH | O_DIRECTORY) with RESOLVE_NO_XDEV;
 * when that stops at a mount point (EXDEV), the piece is walked again one
 * component at a time, and at the component that is a mount point the
 * mount is identified with statx (no question to its server) and entered
 * only if the mount table accepts it. The last component is opened from
 * the folder the walk reached. Descriptors: at most three open at once
 * (the folder, the next one, the file), all closed before returning but
 * the one handed out.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "safeopen.h"

#define RES_BASE	(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | \
			 RESOLVE_BENEATH)
#define DIR_PATH	(O_PATH | O_DIRECTORY | O_CLOEXEC)

/* The mount id of name in dfd ("" for dfd itself), without following a
 * link or triggering an automount. 0, or -1 with errno. */
static int
mnt_id(uint64_t *out, int dfd, const char *name)
{
	struct statx	sx;

	if (statx(dfd, name, (*name == '\0' ? AT_EMPTY_PATH : 0) |
	    AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC,
	    STATX_MNT_ID, &sx) == -1)
		return -1;
	if (!(sx.stx_mask & STATX_MNT_ID)) {	/* before Linux 5.8 */
		errno = EXDEV;
		return -1;
	}
	*out = sx.stx_mnt_id;
	return 0;
}

/*
 * openat2 for a kernel or a sandbox without it: systemd's
 * RestrictSUIDSGID= (which vigil-agent.service has) answers ENOSYS to
 * openat2, whose mode it cannot inspect, so that callers fall back.
 * One component only (several give EXDEV: the callers then walk one
 * at a time, as they do at a mount point); ".." refused
 * (RESOLVE_BENEATH); O_NOFOLLOW, and a link met where the caller did
 * not ask for the link itself (O_PATH | O_NOFOLLOW) reported as openat2
 * would (ELOOP: RESOLVE_NO_SYMLINKS, and so no magic link either);
 * RESOLVE_NO_XDEV by the mount ids of the folder and of what was
 * opened.
 */
static int
openat_compat(int dfd, const char *path, int flags, uint64_t resolve)
{
	struct stat	st;
	uint64_t	here, there;
	int		fd, e;

	if (strchr(path, '/') != NULL) {
		errno = EXDEV;
		return -1;
	}
	if (*path == '\0' || strcmp(path, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((resolve & RESOLVE_NO_XDEV) && (mnt_id(&here, dfd, "") == -1 ||
	    mnt_id(&there, dfd, path) == -1))
		return -1;
	if ((resolve & RESOLVE_NO_XDEV) && here != there) {
		errno = EXDEV;
		return -1;
	}
	do
		fd = openat(dfd, path, flags | O_NOFOLLOW);
	while (fd == -1 && errno == EINTR);
	if (fd == -1) {
		e = errno;
		if (e == ENOTDIR && fstatat(dfd, path, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			e = ELOOP;
		errno = e;
		return -1;
	}
	/* O_PATH | O_NOFOLLOW opens a link itself; a mount may have come
	 * over it in between */
	e = 0;
	if (fstat(fd, &st) == -1)
		e = errno;
	else if (S_ISLNK(st.st_mode) && (flags & (O_PATH | O_NOFOLLOW)) !=
	    (O_PATH | O_NOFOLLOW))
		e = ELOOP;
	else if ((resolve & RESOLVE_NO_XDEV) && mnt_id(&there, fd, "") == -1)
		e = errno;
	else if ((resolve & RESOLVE_NO_XDEV) && there != here)
		e = EXDEV;
	if (e != 0) {
		(void)close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
openat2_(int dfd, const char *path, int flags, uint64_t resolve)
{
	static int	no_openat2;	/* ENOSYS seen: it stays so */
	struct open_how	how;
	long		fd;

	if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
		memset(&how, 0, sizeof(how));
		how.flags = (uint64_t)flags;
		how.resolve = resolve;
		do
			fd = syscall(SYS_openat2, dfd, path, &how, sizeof(how));
		while (fd == -1 && errno == EINTR);
		if (fd != -1 || errno != ENOSYS)
			return (int)fd;
		__atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
	}
	return openat_compat(dfd, path, flags, resolve);
}

static int
fail(struct safeopen_why *why, enum safeopen_what what, int err, mode_t mode,
    enum mountinfo_kind kind)
{
	why->what = what;
	why->err = err;
	why->mode = mode;
	why->kind = kind;
	return -1;
}

/* errno e from opening a component; last: it was the final one. */
static int
fail_errno(struct safeopen_why *why, int e, int last)
{
	if (e == ELOOP)
		return last ? fail(why, SAFEOPEN_SPECIAL, 0, S_IFLNK, 0) :
		    fail(why, SAFEOPEN_LINK, 0, 0, 0);
	if (e == ENOTDIR && last)
		return fail(why, SAFEOPEN_SPECIAL, 0, 0, 0);
	if (e == ENOENT || e == ENOTDIR)
		return fail(why, SAFEOPEN_GONE, e, 0, 0);
	return fail(why, SAFEOPEN_ERRNO, e, 0, 0);
}

/* name (one component) in dfd is a mount point: open it with flags if
 * mt accepts the mount, and check that the mount entered is that one. */
static int
cross(int dfd, const char *name, int flags, struct mounttab *mt,
    struct safeopen_why *why, int last)
{
	struct statx		sx;
	enum mountinfo_kind	kind = MOUNTINFO_OTHER;
	uint64_t		id;
	int			fd, e;

	if (mt == NULL)
		return fail(why, SAFEOPEN_XDEV, 0, 0, MOUNTINFO_OTHER);
	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT |
	    AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MNT_ID, &sx) == -1)
		return fail_errno(why, errno, last);
	if (!(sx.stx_mask & STATX_MNT_ID))	/* before Linux 5.8 */
		return fail(why, SAFEOPEN_XDEV, 0, 0, MOUNTINFO_OTHER);
	id = sx.stx_mnt_id;
	if (!mounttab_enter(mt, id, &kind))
		return fail(why, SAFEOPEN_XDEV, 0, 0, kind);
	if ((fd = openat2_(dfd, name, flags, RES_BASE)) == -1)
		return fail_errno(why, errno, last);
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID,
	    &sx) == -1 || !(sx.stx_mask & STATX_MNT_ID) ||
	    sx.stx_mnt_id != id) {
		e = errno;
		(void)close(fd);
		/* mounted over in between: ask again next time */
		return fail(why, SAFEOPEN_XDEV, e, 0, kind);
	}
	return fd;
}

/* One component: its descriptor, or -1 and why. */
static int
step(int dfd, const char *name, int flags, struct mounttab *mt,
    struct safeopen_why *why, int last)
{
	int	fd;

	if ((fd = openat2_(dfd, name, flags, RES_BASE | RESOLVE_NO_XDEV)) >= 0)
		return fd;
	if (errno == EXDEV)
		return cross(dfd, name, flags, mt, why, last);
	return fail_errno(why, errno, last);
}

/* "." or "..": refused, there is nothing to resolve them against that
 * the caller meant. */
static int
dot(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' &&
	    s[1] == '.');
}

/* The piece (NUL-terminated, components split by '/') one component at
 * a time from dfd (not closed): the folder it names, or -1. */
static int
piece_each(int dfd, char *piece, struct mounttab *mt,
    struct safeopen_why *why)
{
	char	*p = piece, *slash;
	int	 cur = dfd, fd;

	for (;;) {
		if ((slash = strchr(p, '/')) != NULL)
			*slash = '\0';
		fd = step(cur, p, DIR_PATH, mt, why, 0);
		if (cur != dfd)
			(void)close(cur);
		if (fd == -1)
			return -1;
		cur = fd;
		if (slash == NULL)
			return cur;
		for (p = slash + 1; *p == '/'; p++)
			;
		if (*p == '\0')
			return cur;
	}
}

/* The folder rel[0..len) below base (not closed): a descriptor, which
 * is base itself when len is 0, or -1. */
static int
walk(int base, const char *rel, size_t len, struct mounttab *mt,
    struct safeopen_why *why)
{
	char	 piece[PATH_MAX];
	size_t	 i = 0, j, end, e;
	int	 cur = base, fd;

	for (;;) {
		while (i < len && rel[i] == '/')
			i++;
		if (i == len)
			return cur;
		/* whole components from i, while they fit */
		for (end = i, j = i; j < len; ) {
			for (e = j; e < len && rel[e] != '/'; e++)
				;
			if (dot(rel + j, e - j)) {
				if (cur != base)
					(void)close(cur);
				return fail(why, SAFEOPEN_ERRNO, EINVAL, 0, 0);
			}
			if (e - i >= sizeof(piece))
				break;
			end = e;
			for (j = e; j < len && rel[j] == '/'; j++)
				;
		}
		if (end == i) {		/* one name longer than PATH_MAX */
			if (cur != base)
				(void)close(cur);
			return fail(why, SAFEOPEN_ERRNO, ENAMETOOLONG, 0, 0);
		}
		memcpy(piece, rel + i, end - i);
		piece[end - i] = '\0';
		fd = openat2_(cur, piece, DIR_PATH, RES_BASE | RESOLVE_NO_XDEV);
		if (fd == -1 && errno == EXDEV)
			fd = piece_each(cur, piece, mt, why);
		else if (fd == -1)
			(void)fail_errno(why, errno, 0);
		if (cur != base)
			(void)close(cur);
		if (fd == -1)
			return -1;
		cur = fd;
		i = end;
	}
}

/*
 * Walk to the folder holding the last component of path. *pfd: that
 * folder (close it if it differs from *base), *base: the folder the walk
 * started from (close it if *owned), *last: the last component.
 */
struct start {
	int		 base;
	int		 owned;		/* base is ours to close */
	int		 pfd;
	const char	*last;
};

static int
open_parent(struct start *s, struct mounttab *mt, int dirfd,
    const char *path, struct safeopen_why *why)
{
	const char	*rel = path, *slash;
	size_t		 len;

	s->pfd = s->base = -1;
	s->owned = 0;
	s->last = NULL;
	if (dirfd == AT_FDCWD) {
		if (path[0] != '/')
			return fail(why, SAFEOPEN_ERRNO, EINVAL, 0, 0);
		if ((s->base = open("/", DIR_PATH)) == -1)
			return fail(why, SAFEOPEN_ERRNO, errno, 0, 0);
		s->owned = 1;
		while (*rel == '/')
			rel++;
	} else {
		if (path[0] == '/' || path[0] == '\0')
			return fail(why, SAFEOPEN_ERRNO, EINVAL, 0, 0);
		s->base = dirfd;
	}
	len = strlen(rel);
	while (len > 0 && rel[len - 1] == '/')
		len--;
	if (len == 0) {				/* "/" itself */
		s->pfd = s->base;
		s->last = ".";
		return 0;
	}
	for (slash = rel + len; slash > rel && slash[-1] != '/'; slash--)
		;
	s->last = slash;
	if (dot(slash, (size_t)(rel + len - slash)) ||
	    rel[len] != '\0') {		/* "x/" names a folder, not a file */
		(void)fail(why, SAFEOPEN_ERRNO, EINVAL, 0, 0);
		goto fail;
	}
	if ((s->pfd = walk(s->base, rel, (size_t)(slash - rel), mt,
	    why)) == -1)
		goto fail;
	return 0;
fail:
	if (s->owned)
		(void)close(s->base);
	s->base = -1;
	return -1;
}

static void
close_start(struct start *s)
{
	if (s->pfd != -1 && s->pfd != s->base)
		(void)close(s->pfd);
	if (s->owned && s->base != -1)
		(void)close(s->base);
}

int
safeopen_path(int *fd, struct mounttab *mt, int dirfd, const char *path,
    struct safeopen_why *why)
{
	struct start	s;

	*fd = -1;
	memset(why, 0, sizeof(*why));
	if (open_parent(&s, mt, dirfd, path, why) != 0)
		return -1;
	*fd = step(s.pfd, s.last, O_PATH | O_NOFOLLOW | O_CLOEXEC, mt, why,
	    1);
	close_start(&s);
	return *fd == -1 ? -1 : 0;
}

int
safeopen_reopen(int pathfd)
{
	char	proc[32];
	int	fd;

	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pathfd);
	do
		fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	while (fd == -1 && errno == EINTR);
	return fd;
}

/* A read descriptor of the regular file pfd (O_PATH) is: through /proc
 * (the same inode, whatever the name is now), else by name beside it
 * (and then it must be the same inode). */
static int
reopen(int pfd, const struct stat *want, int parent, const char *name,
    struct stat *st, struct safeopen_why *why)
{
	int	fd;

	if ((fd = safeopen_reopen(pfd)) == -1 && (errno == ENOENT ||
	    errno == ENOTDIR))		/* no /proc here (a chroot) */
		fd = openat2_(parent, name, O_RDONLY | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC | O_NOFOLLOW, RES_BASE | RESOLVE_NO_XDEV);
	if (fd == -1)
		return fail_errno(why, errno, 1);
	if (fstat(fd, st) == -1) {
		(void)fail(why, SAFEOPEN_ERRNO, errno, 0, 0);
		goto fail;
	}
	if (st->st_dev != want->st_dev || st->st_ino != want->st_ino ||
	    !S_ISREG(st->st_mode)) {
		(void)fail(why, SAFEOPEN_GONE, 0, 0, 0);	/* replaced */
		goto fail;
	}
	return fd;
fail:
	(void)close(fd);
	return -1;
}

int
safeopen_file(int *fd, struct stat *st, struct mounttab *mt, int dirfd,
    const char *path, struct safeopen_why *why)
{
	struct start	s;
	struct stat	a, b;
	int		pfd;

	*fd = -1;
	memset(why, 0, sizeof(*why));
	if (st == NULL)
		st = &b;
	if (open_parent(&s, mt, dirfd, path, why) != 0)
		return -1;
	pfd = step(s.pfd, s.last, O_PATH | O_NOFOLLOW | O_CLOEXEC, mt, why, 1);
	if (pfd == -1)
		goto done;
	if (fstat(pfd, &a) == -1)
		(void)fail(why, SAFEOPEN_ERRNO, errno, 0, 0);
	else if (!S_ISREG(a.st_mode))
		(void)fail(why, SAFEOPEN_SPECIAL, 0, a.st_mode & S_IFMT, 0);
	else
		*fd = reopen(pfd, &a, s.pfd, s.last, st, why);
	(void)close(pfd);
done:
	close_start(&s);
	return *fd == -1 ? -1 : 0;
}

int
safeopen_dir(int *fd, struct mounttab *mt, int dirfd, const char *path,
    struct safeopen_why *why)
{
	struct start	s;
	struct statx	sx;

	*fd = -1;
	memset(why, 0, sizeof(*why));
	if (open_parent(&s, mt, dirfd, path, why) != 0)
		return -1;
	*fd = step(s.pfd, s.last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC, mt, why, 1);
	/* not a folder: say what it is (a question to our own file system:
	 * a mount point there would have been refused or entered) */
	if (*fd == -1 && why->what == SAFEOPEN_SPECIAL && why->mode == 0 &&
	    statx(s.pfd, s.last, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT |
	    AT_STATX_DONT_SYNC, STATX_TYPE, &sx) == 0)
		why->mode = sx.stx_mode & S_IFMT;
	close_start(&s);
	return *fd == -1 ? -1 : 0;
}

const char *
safeopen_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a folder";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

const char *
safeopen_reason(const struct safeopen_why *why, char *buf, size_t len)
{
	switch (why->what) {
	case SAFEOPEN_OK:
		(void)snprintf(buf, len, "opened");
		break;
	case SAFEOPEN_GONE:
		(void)snprintf(buf, len, "no longer there");
		break;
	case SAFEOPEN_LINK:
		(void)snprintf(buf, len, "a folder on its path is a symbolic "
		    "link");
		break;
	case SAFEOPEN_SPECIAL:
		(void)snprintf(buf, len, "%s", safeopen_kind(why->mode));
		break;
	case SAFEOPEN_XDEV:
		(void)snprintf(buf, len, "on a %s file system, which is not "
		    "entered", mountinfo_kind_name(why->kind));
		break;
	default:
		(void)snprintf(buf, len, "%s", strerror(why->err));
		break;
	}
	return buf;
}
