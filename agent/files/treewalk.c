/*
 * treewalk.c: a depth-first walk by descriptors (treewalk.h).
 *
 * A stack of open folders, one per level, each read with readdir; the
 * path is rebuilt in one growing buffer as the walk goes down and cut
 * back as it comes up. Entries are examined with statx(AT_SYMLINK_
 * NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC) beside their folder,
 * which never asks a mounted file system's server; folders are entered
 * with safeopen_dir() relative to their parent, which decides at a mount
 * point. No recursion: trees are as deep as users make them.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "treewalk.h"

struct level {
	DIR		*d;
	size_t		 len;		/* of the path to this folder */
	uint64_t	 mnt;		/* its mount id, 0 if unknown */
};

struct walk {
	const struct treewalk_cb	*cb;
	void				*arg;
	struct mounttab			*mt;
	struct treewalk_stats		*st;
	struct level			*lv;
	int				 depth;
	char				*path;
	size_t				 cap;
};

#define STATX_WANT	(STATX_TYPE | STATX_MODE | STATX_NLINK | \
			 STATX_UID | STATX_GID | STATX_INO | STATX_SIZE | \
			 STATX_MTIME | STATX_CTIME | STATX_MNT_ID)
#define STATX_FLAGS	(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | \
			 AT_STATX_DONT_SYNC)

static void
to_stat(struct stat *st, const struct statx *sx)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx->stx_dev_major, sx->stx_dev_minor);
	st->st_ino = (ino_t)sx->stx_ino;
	st->st_mode = sx->stx_mode;
	st->st_nlink = sx->stx_nlink;
	st->st_uid = sx->stx_uid;
	st->st_gid = sx->stx_gid;
	st->st_size = (off_t)sx->stx_size;
	st->st_mtim.tv_sec = sx->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx->stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = sx->stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = sx->stx_ctime.tv_nsec;
}

static void
skip(struct walk *w, enum treewalk_skip what, enum safeopen_what sw, int err,
    enum mountinfo_kind kind)
{
	struct safeopen_why	why = { sw, err, 0, kind };

	w->st->skipped++;
	w->cb->skip(w->arg, w->path, what, &why);
}

/* path[0..len) "/" name: 0 or ERR_NOMEM. */
static int
path_set(struct walk *w, size_t len, const char *name)
{
	size_t	n = strlen(name), need = len + 1 + n + 1, cap;
	char	*p;

	if (need > w->cap) {
		cap = w->cap ? w->cap : 4096;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(w->path, cap)) == NULL)
			return ERR_NOMEM;
		w->path = p;
		w->cap = cap;
	}
	if (len == 1 && w->path[0] == '/')
		len = 0;		/* below "/" */
	w->path[len] = '/';
	memcpy(w->path + len + 1, name, n + 1);
	return 0;
}

static uint64_t
mnt_of(int fd)
{
	struct statx	sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID,
	    &sx) == -1 || !(sx.stx_mask & STATX_MNT_ID))
		return 0;
	return sx.stx_mnt_id;
}

/* Take the open folder fd as the next level (fd is taken). */
static int
push(struct walk *w, int fd)
{
	struct level	*l = &w->lv[w->depth];

	if ((l->d = fdopendir(fd)) == NULL) {
		skip(w, TREEWALK_UNREADABLE, SAFEOPEN_ERRNO, errno, 0);
		(void)close(fd);
		return -1;
	}
	l->len = strlen(w->path);
	l->mnt = mnt_of(fd);
	w->depth++;
	return 0;
}

/* A folder failed to open with why: report what is worth reporting. */
static void
dir_failed(struct walk *w, const struct safeopen_why *why)
{
	if (why->what == SAFEOPEN_XDEV)
		skip(w, TREEWALK_XDEV, why->what, why->err, why->kind);
	else if (why->what == SAFEOPEN_ERRNO)
		skip(w, TREEWALK_UNREADABLE, why->what, why->err, 0);
	/* gone, or no longer a folder (a link now): nothing to walk */
}

static void
entry_dir(struct walk *w, struct level *l, const char *name)
{
	struct safeopen_why	why;
	int			fd;

	if (w->depth > TREEWALK_DEPTH) {
		skip(w, TREEWALK_DEEP, SAFEOPEN_ERRNO, ELOOP, 0);
		return;
	}
	if (safeopen_dir(&fd, w->mt, dirfd(l->d), name, &why) != 0)
		dir_failed(w, &why);
	else
		(void)push(w, fd);
}

static void
entry(struct walk *w, struct level *l, const char *name)
{
	struct statx		sx;
	struct stat		st;
	enum mountinfo_kind	kind = MOUNTINFO_OTHER;

	if (statx(dirfd(l->d), name, STATX_FLAGS, STATX_WANT, &sx) == -1) {
		if (errno != ENOENT && errno != ENOTDIR)
			skip(w, TREEWALK_UNREADABLE, SAFEOPEN_ERRNO, errno, 0);
		return;
	}
	if (S_ISDIR(sx.stx_mode)) {
		entry_dir(w, l, name);
		return;
	}
	if (!S_ISREG(sx.stx_mode))
		return;		/* links, FIFOs, sockets, devices */
	/* a file mounted over a name (a bind mount): another file system */
	if ((sx.stx_mask & STATX_MNT_ID) && l->mnt != 0 &&
	    sx.stx_mnt_id != l->mnt && (w->mt == NULL ||
	    !mounttab_enter(w->mt, sx.stx_mnt_id, &kind))) {
		skip(w, TREEWALK_XDEV, SAFEOPEN_XDEV, 0, kind);
		return;
	}
	to_stat(&st, &sx);
	w->st->files++;
	w->cb->file(w->arg, dirfd(l->d), name, w->path, strlen(w->path), &st);
}

int
treewalk(const char *root, struct mounttab *mt, const struct treewalk_cb *cb,
    void *arg, struct treewalk_stats *st)
{
	struct walk		 w;
	struct safeopen_why	 why;
	struct dirent		*de;
	struct level		*l;
	int			 fd, rc = 0;

	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	w.cb = cb;
	w.arg = arg;
	w.mt = mt;
	w.st = st;
	if ((w.path = strdup(root)) == NULL ||
	    (w.lv = calloc(TREEWALK_DEPTH + 1, sizeof(*w.lv))) == NULL) {
		rc = ERR_NOMEM;
		goto done;
	}
	w.cap = strlen(root) + 1;
	if (cb->step(arg, root)) {
		st->stopped = 1;
		goto done;
	}
	if (safeopen_dir(&fd, mt, AT_FDCWD, root, &why) != 0) {
		dir_failed(&w, &why);
		goto done;
	}
	(void)push(&w, fd);
	while (w.depth > 0) {
		l = &w.lv[w.depth - 1];
		errno = 0;
		if ((de = readdir(l->d)) == NULL) {
			w.path[l->len] = '\0';
			if (errno != 0)
				skip(&w, TREEWALK_UNREADABLE, SAFEOPEN_ERRNO,
				    errno, 0);
			(void)closedir(l->d);
			w.depth--;
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((rc = path_set(&w, l->len, de->d_name)) != 0)
			break;
		if (cb->step(arg, w.path)) {
			st->stopped = 1;
			break;
		}
		if (cb->excluded != NULL && cb->excluded(arg, w.path))
			continue;
		entry(&w, l, de->d_name);
	}
	while (w.depth > 0)
		(void)closedir(w.lv[--w.depth].d);
done:
	free(w.lv);
	free(w.path);
	return rc;
}
