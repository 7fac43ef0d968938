/*
 * watch.c: which files under the watched folders were just written.
 *
 * Feeds the scanner and FIM: every regular file closed after writing,
 * moved or linked into place under a watched root, and a rescan request
 * wherever events may have been missed. Two backends behind struct
 * backend, chosen once in watch_new():
 *
 *  fanotify  By file handles (FAN_REPORT_DFID_NAME, Linux 5.9): a mark on
 *            each file system holding a watched path (FAN_MARK_FILESYSTEM)
 *            for FAN_CLOSE_WRITE, FAN_MOVED_TO and FAN_CREATE, folders
 *            included (FAN_ONDIR). An event names a folder by its handle
 *            and the file by its name; the kernel opens nothing. The
 *            folder is opened from the handle (O_PATH), its path read
 *            from /proc/self/fd (walking up with ".." past PATH_MAX) and
 *            filtered by roots and exclusions; the name is examined
 *            beside it with statx. A file renamed into place is reported
 *            under its new name (a download's .part becoming .exe); a
 *            folder renamed or moved in is reported for a rescan; a
 *            created file with content (a hard link, linkat of an
 *            O_TMPFILE) is reported. Events made by this process are
 *            dropped. A mount whose file system gives no handles (ENODEV,
 *            EOPNOTSUPP; EXDEV: a btrfs subvolume) is marked in a second
 *            group with descriptors (FAN_MARK_MOUNT, FAN_CLOSE_WRITE, as
 *            before): there renames are seen at the next rescan only.
 *            A file system mark also sees writes through other mounts of
 *            it (bind mounts, containers): their paths lie outside the
 *            roots, or are paths of ours naming the same folder.
 *  inotify   one watch per folder, walked at watch_add() and extended as
 *            folders appear (IN_CREATE/IN_MOVED_TO with IN_ISDIR), then a
 *            rescan of the new folder: files written into it before its
 *            watch existed are otherwise invisible. That race is inherent
 *            to inotify; the rescan closes it. Folders moved out of the
 *            tree lose their watches; IN_IGNORED drops a map entry. Each
 *            folder is opened with safeopen (no link followed anywhere on
 *            its path) and watched through its descriptor; walks stop at
 *            mount points (the mount code takes local mounts up).
 *
 * Mounts: /proc/self/mountinfo is polled (it raises EPOLLPRI on any
 * change; libevent cannot ask for POLLPRI, so a private epoll set holds
 * it and the loop watches that set) and read by mounttab.c. A local mount
 * appearing at or under a root is marked (fanotify) or walked (inotify)
 * and reported as a rescan; so is, under inotify, the folder a vanished
 * mount had covered. A root that does not exist yet (/media) is taken up
 * when something is mounted at or under it. A FUSE mount, a network
 * share or the kernel's own is never marked, walked or stat'ed: this is
 * the event loop, and such a server may never answer (with
 * watch_opts.filesystems MOUNTTAB_ALL it is reported for rescans, which
 * run on worker threads). The mount holding a root is marked even when
 * the table does not list it (in a chroot whose root is a plain folder).
 *
 * Invariants:
 *  - every fd handed out by fanotify is closed exactly once: right away
 *    when dropped, or after its callback (pend_flush, deliver); a folder
 *    opened from a handle is closed before its event's handling returns,
 *    descriptors on marked file systems at the end of each read (held
 *    longer, they would keep a USB stick from being unmounted);
 *  - reports are delivered at the end of each read(), with same-path
 *    duplicates of that read merged (a hash set over the batch);
 *  - a kernel overflow, a lost read or an unwatchable part always gives a
 *    rescan report; a path too long to name gives a WATCH_EV_TOOLONG
 *    report (fanotify) or a rescan of its folder (inotify);
 *  - inotify: w->dirs maps each live wd to its folder's current path.
 *    After an overflow every root is walked again (new folders may have
 *    appeared unseen) and entries not seen again are dropped.
 *  - paths are bytes: never assumed UTF-8, escaped for log lines.
 *
 * Not seen (documented limits): only content is watched, not mode, owner
 * or removal (FIM's periodic check finds those). fanotify by descriptors
 * (mounts without file handles) reports no renames. inotify: a file
 * closed in a new folder before its watch exists is covered only by that
 * folder's rescan; folders left unwatched (watch limit, or a path of
 * PATH_MAX or more) are rescanned when found and not retried; a root
 * removed and made again is watched again only after an overflow or a
 * mount change.
 *
 * Load: fanotify sees every close-after-write, rename and link on the
 * marked file systems (all of / on a one-disk PC): per event one
 * open_by_handle_at, one readlink, a statx, and an O(roots + exclusions)
 * filter. inotify: a safeopen and fstat per reported file; memory about
 * 64 bytes plus the path per watched folder; walks are synchronous,
 * O(folders) at watch_add, after an overflow and per new subtree. A mount
 * change re-reads mountinfo: O(mounts x roots).
 */
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "mountinfo.h"
#include "mounttab.h"
#include "pathset.h"
#include "safeopen.h"
#include "text.h"
#include "watch.h"

#define BATCH_MAX	4096		/* reports merged per flush */
#define SLOT_COUNT	(2 * BATCH_MAX)	/* hash set, power of two */
#define ARENA_MAX	(1024 * 1024)	/* paths of one batch, bytes */
#define IN_BUF_LEN	65536		/* inotify read: up to 4096 events */
#define FAN_BUF_LEN	4096		/* fanotify read: <= 170 fds at once,
					 * or some 50 handle events */
#define READS_PER_WAKE	16		/* then back to the loop */
#define MOUNTINFO	"/proc/self/mountinfo"
#define FNV_INIT	0xcbf29ce484222325ULL

/* IN_CREATE for new folders (and files linked in); IN_MOVED_FROM and
 * IN_MOVE_SELF for folders leaving the tree (a root's own move only shows
 * as IN_MOVE_SELF). No IN_DELETE_SELF: IN_IGNORED always follows the
 * removal of a watched folder. Files unlinked while open are of no
 * interest (IN_EXCL_UNLINK); symlinks are not followed. */
#define IN_DIR_MASK	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_CREATE | IN_MOVE_SELF | IN_ONLYDIR | \
			 IN_DONT_FOLLOW | IN_EXCL_UNLINK)

struct dir {				/* inotify: one watched folder */
	struct dir	*next;		/* hash chain */
	int		 wd;
	unsigned	 gen;		/* w->gen of the last walk seeing it */
	size_t		 len;
	char		 path[];
};

struct pend {				/* a report waiting for its flush */
	size_t		 off, len;	/* path in w->arena */
	uint64_t	 hash;
	int		 fd;		/* fanotify, owned; else -1 */
	unsigned	 flags;
	pid_t		 pid;
	uint32_t	 slot;		/* its place in w->slots */
};

struct mkey {				/* a relevant mount, remembered */
	uint64_t	 key;
	int		 ok;		/* 1 marked or walked, 0 failed, -1
					 * refused by the mount table */
	char		*point;
};

struct fsmark {				/* fanotify: a file system marked */
	fsid_t		 fsid;		/* as events name it */
	char		*point;		/* a folder on it: where it was
					 * marked (a mount point or a root) */
	int		 mfd;		/* a descriptor of point for this read
					 * only, or -1 */
	int		 failed;	/* point could not be opened in this
					 * read */
};

struct watch;

/* A backend, as Redis' aeApi*: open the kernel object in w->fd; add a
 * folder (inotify: walk it) or the mount holding a path (fanotify):
 * 0, 1 if the path is gone, or an error (logged and counted in
 * unwatched); read what w->fd has; count live watches. */
struct backend {
	const char	*name;
	int		 per_mount;
	int		(*open)(struct watch *);
	int		(*add)(struct watch *, const char *, size_t);
	void		(*read)(struct watch *);
	uint64_t	(*watches)(const struct watch *);
};

struct watch {
	struct event_base	*base;
	const struct backend	*be;
	watch_file_cb		 file_cb;
	watch_rescan_cb		 rescan_cb;
	void			*arg;
	pid_t			 self;
	int			 in_cb;		/* inside a callback */

	struct pathset		*ps;		/* roots, exclusions */

	int			 fd;		/* inotify or fanotify (handles) */
	struct event		*ev;
	unsigned char		*buf;		/* IN_BUF_LEN */
	int			 policy;	/* MOUNTTAB_*: mounts accepted */
	struct mounttab		*mt;		/* ... asked one at a time */

	int			 fd2;		/* fanotify with descriptors, for
						 * mounts without file handles;
						 * -1 until needed */
	int			 fd2_failed;
	struct event		*ev2;
	char			*private_dir;	/* watch_opts.private_dir */
	struct fsmark		*fsm;		/* file systems marked by handle */
	size_t			 nfsm;
	char			*pbuf, *pbuf2;	/* WATCH_PATH_MAX: a folder's
						 * path, an event's path */

	int			 mnt_fd;	/* MOUNTINFO, polled */
	int			 mnt_ep;	/* epoll set holding mnt_fd */
	struct event		*mnt_ev;
	struct mkey		*mkeys;		/* sorted by key */
	size_t			 nmkeys;

	struct dir		**dirs;		/* inotify: wd -> folder */
	size_t			 ndirbuckets;	/* power of two */
	size_t			 ndirs;
	unsigned		 gen;
	int			 enospc_logged;
	char			*scratch;	/* PATH_MAX, for walks */

	struct pend		*pend;		/* BATCH_MAX */
	size_t			 npend;
	uint16_t		*slots;		/* SLOT_COUNT; pend index + 1 */
	char			*arena;
	size_t			 arena_len, arena_cap;

	struct watch_stats	 st;
};

/* ---- small helpers ---- */

static uint64_t
fnv1a(const void *p, size_t len, uint64_t h)
{
	const unsigned char	*s = p;

	while (len-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Log at the 1st, 2nd, 4th, 8th... occurrence: a user can make these
 * happen at will, the log must not become the attack. */
static int
often(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static void
too_long(struct watch *w, const char *dir, size_t dirlen)
{

	w->st.toolong++;
	if (often(w->st.toolong))
		log_warnx("watch: a path under %s is %d bytes or longer: "
		    "skipped (%" PRIu64 " so far)", dir,
		    PATH_MAX, w->st.toolong);
}

/* ---- roots and exclusions (pathset.h) ---- */

static int
root_of(const struct watch *w, const char *path, size_t len)
{
	return pathset_holder(w->ps, path, len) != 0;
}

static int
is_root(const struct watch *w, const char *path, size_t len)
{
	return pathset_holder(w->ps, path, len) == len;
}

/* path (NUL-terminated) is excluded; name patterns are tried on the
 * names after path[0..from) (the folders above were tested before). */
static int
excluded(const struct watch *w, const char *path, size_t len, size_t from)
{
	return pathset_excluded_below(w->ps, path, len, from);
}

/* ---- delivery ---- */

static void
rescan(struct watch *w, const char *path, enum watch_why why)
{
	int	saved = w->in_cb;

	w->st.rescans++;
	w->in_cb = 1;
	w->rescan_cb(w->arg, path, why);
	w->in_cb = saved;
}

static void
rescan_roots(struct watch *w, enum watch_why why)
{
	size_t	i;

	for (i = 0; i < pathset_count(w->ps); i++)
		rescan(w, pathset_root(w->ps, i, NULL), why);
}

/* Hand one report over; closes fd. */
static void
deliver(struct watch *w, const char *path, size_t len, int fd,
    unsigned flags, pid_t pid)
{
	struct watch_event	ev = { path, len, fd, flags, pid };
	int			saved = w->in_cb;

	w->st.events++;
	w->in_cb = 1;
	w->file_cb(w->arg, &ev);
	w->in_cb = saved;
	if (fd >= 0)
		close(fd);
}

static void
pend_flush(struct watch *w)
{
	struct pend	*p;
	size_t		 i;

	for (i = 0; i < w->npend; i++) {
		p = &w->pend[i];
		w->slots[p->slot] = 0;
		deliver(w, w->arena + p->off, p->len, p->fd, p->flags, p->pid);
	}
	w->npend = 0;
	w->arena_len = 0;
}

static int
arena_reserve(struct watch *w, size_t need)
{
	size_t	 cap;
	char	*p;

	if (w->arena_cap - w->arena_len >= need)
		return 0;
	if (w->arena_len + need > ARENA_MAX)
		return ERR_FULL;
	cap = w->arena_cap ? w->arena_cap : 16384;
	while (cap - w->arena_len < need)
		cap *= 2;
	if (cap > ARENA_MAX)
		cap = ARENA_MAX;
	if ((p = realloc(w->arena, cap)) == NULL)
		return ERR_NOMEM;
	w->arena = p;
	w->arena_cap = cap;
	return 0;
}

/* Queue a report for the end of this read, merging it into an earlier
 * one for the same path (the later fd is closed). Takes fd. */
static void
pend_add(struct watch *w, const char *path, size_t len, int fd,
    unsigned flags, pid_t pid)
{
	uint64_t	 h = fnv1a(path, len, FNV_INIT);
	uint32_t	 i = (uint32_t)h & (SLOT_COUNT - 1);
	struct pend	*p;

	for (; w->slots[i] != 0; i = (i + 1) & (SLOT_COUNT - 1)) {
		p = &w->pend[w->slots[i] - 1];
		if (p->hash == h && p->len == len &&
		    memcmp(w->arena + p->off, path, len) == 0) {
			p->flags |= flags;
			w->st.coalesced++;
			if (fd >= 0)
				close(fd);
			return;
		}
	}
	if (w->npend == BATCH_MAX || arena_reserve(w, len + 1) != 0) {
		pend_flush(w);
		if (arena_reserve(w, len + 1) != 0) {
			deliver(w, path, len, fd, flags, pid);
			return;
		}
		i = (uint32_t)h & (SLOT_COUNT - 1);	/* the set is empty */
	}
	p = &w->pend[w->npend];
	p->off = w->arena_len;
	p->len = len;
	p->hash = h;
	p->fd = fd;
	p->flags = flags;
	p->pid = pid;
	p->slot = i;
	memcpy(w->arena + w->arena_len, path, len);
	w->arena[w->arena_len + len] = '\0';
	w->arena_len += len + 1;
	w->slots[i] = (uint16_t)++w->npend;
}

/* ---- inotify: the wd -> folder map ---- */

static size_t
dir_bucket(const struct watch *w, int wd)
{
	return ((uint32_t)wd * 2654435761u) & (w->ndirbuckets - 1);
}

static struct dir *
dir_get(const struct watch *w, int wd)
{
	struct dir	*d;

	if (w->dirs == NULL)
		return NULL;
	for (d = w->dirs[dir_bucket(w, wd)]; d != NULL; d = d->next)
		if (d->wd == wd)
			return d;
	return NULL;
}

/* Double the buckets; on ENOMEM keep the old ones (chains grow). */
static void
dir_grow(struct watch *w)
{
	struct dir	**nb, **ob = w->dirs, *d, *next;
	size_t		  i, on = w->ndirbuckets;

	if ((nb = calloc(on * 2, sizeof(*nb))) == NULL)
		return;
	w->dirs = nb;
	w->ndirbuckets = on * 2;
	for (i = 0; i < on; i++) {
		for (d = ob[i]; d != NULL; d = next) {
			next = d->next;
			d->next = nb[dir_bucket(w, d->wd)];
			nb[dir_bucket(w, d->wd)] = d;
		}
	}
	free(ob);
}

/* Insert wd, or give it its current path (a folder moved, or seen again
 * by a resync walk). */
static int
dir_put(struct watch *w, int wd, const char *path, size_t len)
{
	struct dir	*nd, **pp;

	if (w->ndirs >= w->ndirbuckets)
		dir_grow(w);
	if ((nd = malloc(sizeof(*nd) + len + 1)) == NULL)
		return ERR_NOMEM;
	nd->wd = wd;
	nd->gen = w->gen;
	nd->len = len;
	memcpy(nd->path, path, len);
	nd->path[len] = '\0';
	for (pp = &w->dirs[dir_bucket(w, wd)]; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->wd == wd)
			break;
	if (*pp != NULL) {
		nd->next = (*pp)->next;
		free(*pp);
		*pp = nd;
	} else {
		nd->next = w->dirs[dir_bucket(w, wd)];
		w->dirs[dir_bucket(w, wd)] = nd;
		w->ndirs++;
	}
	return 0;
}

static void
dir_del(struct watch *w, int wd)
{
	struct dir	**pp, *d;

	for (pp = &w->dirs[dir_bucket(w, wd)]; (d = *pp) != NULL;
	    pp = &d->next) {
		if (d->wd == wd) {
			*pp = d->next;
			free(d);
			w->ndirs--;
			return;
		}
	}
}

enum drop_by { DROP_UNDER, DROP_STALE, DROP_EXCLUDED };

/* Remove the watches of folders at or under path, of folders the last
 * resync did not see, or of excluded folders. O(watched folders). */
static void
dir_drop(struct watch *w, enum drop_by by, const char *path, size_t len)
{
	struct dir	**pp, *d;
	size_t		  i;
	int		  drop;

	for (i = 0; i < w->ndirbuckets; i++) {
		for (pp = &w->dirs[i]; (d = *pp) != NULL; ) {
			if (by == DROP_UNDER)
				drop = pathset_under(d->path, d->len, path,
				    len);
			else if (by == DROP_STALE)
				drop = d->gen != w->gen;
			else
				drop = pathset_excluded(w->ps, d->path,
				    d->len);
			if (!drop) {
				pp = &d->next;
				continue;
			}
			/* EINVAL: the kernel dropped it already */
			(void)inotify_rm_watch(w->fd, d->wd);
			*pp = d->next;
			free(d);
			w->ndirs--;
		}
	}
}

/* ---- inotify: walking trees ---- */

struct stack {
	char		**v;
	size_t		  n, cap;
};

static int
stack_push(struct stack *s, const char *path, size_t len)
{
	char	**v, *p;
	size_t	  cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 16;
		if ((v = reallocarray(s->v, cap, sizeof(*v))) == NULL)
			return ERR_NOMEM;
		s->v = v;
		s->cap = cap;
	}
	if ((p = strndup(path, len)) == NULL)
		return ERR_NOMEM;
	s->v[s->n++] = p;
	return 0;
}

static void
stack_free(struct stack *s)
{
	while (s->n > 0)
		free(s->v[--s->n]);
	free(s->v);
}

static uint64_t
max_user_watches(void)
{
	char		 b[32];
	ssize_t		 n;
	int		 fd;
	uint64_t	 v = 0;

	if ((fd = open("/proc/sys/fs/inotify/max_user_watches",
	    O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n > 0 && b[n - 1] == '\n')
		n--;
	if (n <= 0 || text_u64(&v, b, (size_t)n, 0, UINT64_MAX) != 0)
		v = 0;		/* unknown: the message says 0 */
	return v;
}

/* inotify_add_watch failed with err: 1 if the folder is just gone. */
static int
in_add_failed(struct watch *w, const char *path, size_t len, int err)
{

	if (err == ENOENT || err == ENOTDIR)
		return 1;
	w->st.unwatched++;
	if (err == ENOSPC) {
		if (!w->enospc_logged)
			log_warnx("inotify: watch limit reached at %s: it and "
			    "every later new folder are not watched in real "
			    "time, only rescanned; raise fs.inotify."
			    "max_user_watches (now %" PRIu64 ") or use "
			    "fanotify (run as root)", path,
			    max_user_watches());
		w->enospc_logged = 1;
		return ERR_FULL;
	}
	if (often(w->st.unwatched))
		log_warnx("inotify: cannot watch %s: %s (%" PRIu64 " folders "
		    "unwatched)", path, strerror(err),
		    w->st.unwatched);
	return ERR_IO;
}

/* Push the subfolders of d (the folder path, on the mount mnt) that are
 * not excluded and are not mount points: a mount below a root is walked
 * by the mount code (mnt_refresh), or not at all, as the mount table
 * says, and asking about one here must not reach its server. A
 * subfolder whose path would be PATH_MAX or longer cannot be watched:
 * the folder is reported for a rescan (which opens by descriptors). */
static void
in_list(struct watch *w, DIR *d, uint64_t mnt, const char *path, size_t len,
    struct stack *st)
{
	struct dirent	*de;
	struct statx	 sx;
	size_t		 clen;
	int		 deep = 0;

	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (statx(dirfd(d), de->d_name, AT_SYMLINK_NOFOLLOW |
		    AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC, STATX_TYPE |
		    STATX_MNT_ID, &sx) == -1 || !S_ISDIR(sx.stx_mode) ||
		    ((sx.stx_mask & STATX_MNT_ID) && sx.stx_mnt_id != mnt))
			continue;
		clen = pathset_join_n(w->scratch, PATH_MAX, path, len,
		    de->d_name, strlen(de->d_name));
		if (clen == 0) {
			deep = 1;
			continue;
		}
		if (excluded(w, w->scratch, clen, len))
			continue;
		if (stack_push(st, w->scratch, clen) != 0) {
			w->st.unwatched++;
			log_warnx("inotify: %s: out of memory",
			    w->scratch);
			rescan(w, w->scratch, WATCH_RESCAN_UNWATCHED);
		}
	}
	if (deep) {
		too_long(w, path, len);
		rescan(w, path, WATCH_RESCAN_UNWATCHED);
	}
}

/* Watch one folder, then push its subfolders. The folder is opened
 * without following a symbolic link anywhere on its path or entering a
 * refused mount (safeopen.h), and the watch is put on that very folder
 * through its descriptor, so a folder swapped for a link in between is
 * never watched in its place. The watch comes first: a subfolder made
 * after it raises IN_CREATE, one made before is listed (one made in
 * between is walked twice, which inotify_add_watch makes harmless).
 * 0, 1 (gone, or no longer a folder there) or an error. */
static int
in_dir(struct watch *w, const char *path, size_t len, struct stack *st)
{
	struct safeopen_why	 why;
	struct statx		 sx;
	DIR			*d = NULL;
	uint64_t		 mnt = 0;
	int			 wd, fd, rc = ERR_NOMEM;
	char			 proc[32];

	if (safeopen_dir(&fd, w->mt, AT_FDCWD, path, &why) != 0)
		return why.what == SAFEOPEN_ERRNO ? in_add_failed(w, path,
		    len, why.err) : 1;
	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	wd = inotify_add_watch(w->fd, proc, IN_DIR_MASK & ~IN_DONT_FOLLOW);
	if (wd == -1 && errno == ENOENT)	/* no /proc here */
		wd = inotify_add_watch(w->fd, path, IN_DIR_MASK);
	if (wd == -1) {
		rc = in_add_failed(w, path, len, errno);
		(void)close(fd);
		return rc;
	}
	if (dir_put(w, wd, path, len) != 0) {
		log_warnx("inotify: %s: out of memory", path);
		(void)close(fd);
		goto fail;
	}
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID,
	    &sx) == 0 && (sx.stx_mask & STATX_MNT_ID))
		mnt = sx.stx_mnt_id;
	if ((d = fdopendir(fd)) == NULL) {
		rc = ERR_IO;
		log_warn("inotify: cannot list %s", path);
		(void)close(fd);
		dir_del(w, wd);
		goto fail;
	}
	in_list(w, d, mnt, path, len, st);
	(void)closedir(d);
	return 0;
fail:
	(void)inotify_rm_watch(w->fd, wd);
	if (rc < 0)
		w->st.unwatched++;
	return rc;
}

/* Watch top and every folder below it, depth first, without recursion
 * (trees can be PATH_MAX / 2 deep). A folder below top that cannot be
 * watched is reported for rescanning; top's own result is returned. */
static int
in_walk(struct watch *w, const char *top, size_t toplen)
{
	struct stack	 st = { NULL, 0, 0 };
	char		*p;
	int		 rc;

	if ((rc = in_dir(w, top, toplen, &st)) != 0) {
		stack_free(&st);
		return rc;
	}
	while (st.n > 0) {
		p = st.v[--st.n];
		if (in_dir(w, p, strlen(p), &st) < 0)
			rescan(w, p, WATCH_RESCAN_UNWATCHED);
		free(p);
	}
	stack_free(&st);
	return 0;
}

static int
in_open(struct watch *w)
{
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("inotify_init1");
		return ERR_IO;
	}
	if ((w->dirs = calloc(64, sizeof(*w->dirs))) == NULL ||
	    (w->scratch = malloc(PATH_MAX)) == NULL)
		return ERR_NOMEM;
	w->ndirbuckets = 64;
	return 0;
}

static int
in_add(struct watch *w, const char *path, size_t len)
{
	return in_walk(w, path, len);
}

static uint64_t
in_watches(const struct watch *w)
{
	return w->ndirs;
}

/* ---- inotify: events ---- */

/* A subfolder appeared (or left): watch it, then have it rescanned, since
 * files may have been written into it before its watch existed. */
static void
in_subdir(struct watch *w, uint32_t mask, const char *path, size_t len,
    size_t parent_len)
{
	int	rc;

	if (mask & IN_MOVED_FROM) {
		dir_drop(w, DROP_UNDER, path, len);
		return;
	}
	if (!(mask & (IN_CREATE | IN_MOVED_TO)) ||
	    excluded(w, path, len, parent_len))
		return;
	rc = in_walk(w, path, len);
	if (rc == 0)
		rescan(w, path, WATCH_RESCAN_NEWDIR);
	else if (rc < 0)
		rescan(w, path, WATCH_RESCAN_UNWATCHED);
}

static void
in_file(struct watch *w, uint32_t mask, const char *path, size_t len,
    size_t parent_len)
{
	struct safeopen_why	why;
	struct stat		sb;
	unsigned		flags = 0;
	int			fd;

	if (!(mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)))
		return;
	if (excluded(w, path, len, parent_len)) {
		w->st.filtered++;
		return;
	}
	/* examined as the consumer will open it: a folder on the path
	 * swapped for a link or a mount is not followed here either */
	if (safeopen_path(&fd, w->mt, AT_FDCWD, path, &why) != 0) {
		if (why.what == SAFEOPEN_GONE) {
			w->st.filtered++;	/* gone: nothing to scan */
			return;
		}
		/* report it: the consumer's open fails and says why */
		if (why.what == SAFEOPEN_ERRNO)
			w->st.errors++;
	} else if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		(void)close(fd);
		w->st.filtered++;
		return;
	} else {
		(void)close(fd);
		/* an empty new file: its IN_CLOSE_WRITE will follow */
		if ((mask & IN_CREATE) && sb.st_nlink <= 1 && sb.st_size == 0)
			return;
		if (mask & IN_CREATE)
			flags |= WATCH_EV_LINKED;
	}
	if (mask & IN_CLOSE_WRITE)
		flags |= WATCH_EV_CLOSE_WRITE;
	if (mask & IN_MOVED_TO)
		flags |= WATCH_EV_MOVED_TO;
	if (flags != 0)
		pend_add(w, path, len, -1, flags, 0);
}

/* The map entry d is going: the folder was deleted, unmounted or moved. */
static void
in_gone(struct watch *w, struct dir *d, int moved)
{

	if (is_root(w, d->path, d->len))
		log_warnx("watch: watched folder %s was %s; watched again "
		    "when a file system is mounted there", d->path,
		    moved ? "moved away" : "removed or unmounted");
	if (moved)
		dir_drop(w, DROP_UNDER, d->path, d->len);
	else
		dir_del(w, d->wd);
}

static void
in_event(struct watch *w, const struct inotify_event *ev, int *overflow)
{
	char		 path[PATH_MAX];
	struct dir	*d;
	size_t		 namelen, len;

	if (ev->mask & IN_Q_OVERFLOW) {
		*overflow = 1;
		return;
	}
	if ((d = dir_get(w, ev->wd)) == NULL)
		return;		/* a watch we removed: late events */
	if (ev->mask & IN_IGNORED) {
		in_gone(w, d, 0);
		return;
	}
	if (ev->mask & IN_MOVE_SELF) {
		/* a subfolder's move is seen, with its destination, in
		 * its parent; only a root's must be handled here */
		if (is_root(w, d->path, d->len))
			in_gone(w, d, 1);
		return;
	}
	if (ev->len == 0 || (namelen = strnlen(ev->name, ev->len)) == 0)
		return;
	if ((len = pathset_join_n(path, sizeof(path), d->path, d->len,
	    ev->name, namelen)) == 0) {
		/* cannot be named in a path: have the folder rescanned */
		too_long(w, d->path, d->len);
		rescan(w, d->path, WATCH_RESCAN_UNWATCHED);
		return;
	}
	if (ev->mask & IN_ISDIR)
		in_subdir(w, ev->mask, path, len, d->len);
	else
		in_file(w, ev->mask, path, len, d->len);
}

/* Events were dropped: folders may have appeared unseen, and moved or
 * removed ones may have lost their events. Walk every root again, drop
 * what the walk did not find, then have every root rescanned. */
static void
in_overflow(struct watch *w)
{
	const char	*root;
	size_t		 i, len;

	w->st.overflows++;
	if (often(w->st.overflows))
		log_warnx("inotify: event queue overflowed (%" PRIu64 " times):"
		    " rescanning every watched folder", w->st.overflows);
	w->gen++;
	for (i = 0; i < pathset_count(w->ps); i++) {
		root = pathset_root(w->ps, i, &len);
		if (in_walk(w, root, len) < 0)
			log_warnx("inotify: cannot watch %s again", root);
	}
	dir_drop(w, DROP_STALE, NULL, 0);
	rescan_roots(w, WATCH_RESCAN_OVERFLOW);
}

static void
in_read(struct watch *w)
{
	const struct inotify_event	*ev;
	ssize_t				 n;
	size_t				 off;
	int				 i, overflow = 0;

	for (i = 0; i < READS_PER_WAKE; i++) {
		if ((n = read(w->fd, w->buf, IN_BUF_LEN)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				w->st.errors++;
				if (often(w->st.errors))
					log_warn("inotify: read");
			}
			break;
		}
		/* the kernel never splits an event; check anyway */
		for (off = 0; (size_t)n - off >= sizeof(*ev);
		    off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(w->buf + off);
			if (ev->len > (size_t)n - off - sizeof(*ev))
				break;
			in_event(w, ev, &overflow);
		}
		pend_flush(w);
		if (overflow) {
			in_overflow(w);
			overflow = 0;
		}
	}
}

/* ---- fanotify ---- */

/*
 * Two groups. The main one reports file handles (FAN_REPORT_DFID_NAME,
 * Linux 5.9): a file system mark (FAN_MARK_FILESYSTEM) on each watched
 * file system sees every close-after-write (FAN_CLOSE_WRITE), rename
 * into place (FAN_MOVED_TO, of files and, with FAN_ONDIR, of folders)
 * and hard link or linkat of an O_TMPFILE (FAN_CREATE) as the folder's
 * handle and the name in it. The kernel opens nothing for these: the
 * folder is opened from its handle (open_by_handle_at, O_PATH), its
 * path read from /proc/self/fd, and the name examined with statx beside
 * it. The second group (descriptors, FAN_MARK_MOUNT, FAN_CLOSE_WRITE
 * only) is opened only for mounts whose file system cannot give file
 * handles (ENODEV, EOPNOTSUPP, or EXDEV for a btrfs subvolume): there
 * renames are seen at the next rescan only.
 */
#define FAN_FID_MASK	(FAN_CLOSE_WRITE | FAN_MOVED_TO | FAN_CREATE | \
			 FAN_ONDIR)
#define FAN_INIT_FLAGS	(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK)
#define FAN_EV_FLAGS	(O_RDONLY | O_LARGEFILE | O_CLOEXEC)
#define LEVELS_MAX	64	/* folders walked up to name a long path */

static int
fan_open(struct watch *w)
{
	w->fd = fanotify_init(FAN_INIT_FLAGS | FAN_REPORT_DFID_NAME,
	    FAN_EV_FLAGS);
	if (w->fd == -1) {
		if (errno == EPERM)
			log_info("fanotify: not permitted (needs "
			    "CAP_SYS_ADMIN)");
		else if (errno == EINVAL)
			log_info("fanotify: no FAN_REPORT_DFID_NAME (Linux 5.9 "
			    "needed)");
		else
			log_warn("fanotify_init");
		return ERR_AGAIN;
	}
	return 0;
}

#ifndef FAN_MARK_IGNORE		/* Linux 6.0; older headers */
#define FAN_MARK_IGNORE		0x00000400
#endif

/* No event, hence no descriptor, for the files directly in dir
 * (watch_opts.private_dir): an ignore mask on the folder for its
 * children, which holds against the mount marks of the descriptor
 * group. ERR_IO when the kernel cannot (before 6.0: EINVAL). */
static int
fan_ignore(int fd, const char *dir)
{
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_IGNORE |
	    FAN_MARK_IGNORED_SURV_MODIFY, FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD,
	    AT_FDCWD, dir) == 0)
		return 0;
	log_warn("fanotify: cannot ignore the files in %s", dir);
	return ERR_IO;
}

static void	readable_fd(evutil_socket_t, short, void *);

/* The descriptor group, opened the first time a mount needs it. */
static int
fan_fd_open(struct watch *w)
{
	if (w->fd2 != -1)
		return 0;
	if (w->fd2_failed)
		return ERR_IO;
	w->fd2_failed = 1;
	if ((w->fd2 = fanotify_init(FAN_INIT_FLAGS, FAN_EV_FLAGS)) == -1) {
		log_warn("fanotify_init (descriptors)");
		return ERR_IO;
	}
	if ((w->private_dir != NULL && fan_ignore(w->fd2,
	    w->private_dir) != 0) ||
	    (w->ev2 = event_new(w->base, w->fd2, EV_READ | EV_PERSIST,
	    readable_fd, w)) == NULL || event_add(w->ev2, NULL) == -1) {
		log_warnx("fanotify: mounts without file handles are not "
		    "watched (Linux 6.0 needed to keep out of %s)",
		    w->private_dir ? w->private_dir : "the data folder");
		if (w->ev2 != NULL)
			event_free(w->ev2);
		w->ev2 = NULL;
		(void)close(w->fd2);
		w->fd2 = -1;
		return ERR_IO;
	}
	w->fd2_failed = 0;
	return 0;
}

/* Remember that the file system with fsid is marked, reached at point
 * (a mount point or a root): events name its folders by handles, which
 * are opened through a descriptor on it. One entry per point. */
static int
fsm_put(struct watch *w, const fsid_t *fsid, const char *point)
{
	struct fsmark	*v;
	size_t		 i;
	char		*p;

	for (i = 0; i < w->nfsm; i++) {
		if (strcmp(w->fsm[i].point, point) == 0) {
			w->fsm[i].fsid = *fsid;
			return 0;
		}
	}
	if ((p = strdup(point)) == NULL ||
	    (v = reallocarray(w->fsm, w->nfsm + 1, sizeof(*v))) == NULL) {
		free(p);
		return ERR_NOMEM;
	}
	w->fsm = v;
	memset(&v[w->nfsm], 0, sizeof(v[w->nfsm]));
	v[w->nfsm].fsid = *fsid;
	v[w->nfsm].point = p;
	v[w->nfsm++].mfd = -1;
	return 0;
}

/* Mark the file system path is on (the topmost mount at that point): by
 * handles, else that mount by descriptors. The folder is opened first,
 * without following links or entering a refused mount, and marked
 * through its descriptor. 0, 1 (gone) or an error. */
static int
fan_add(struct watch *w, const char *path, size_t len)
{
	struct safeopen_why	why;
	struct statfs		sf;
	char			r[128];
	int			dfd, e, rc = 0;

	if (safeopen_dir(&dfd, w->mt, AT_FDCWD, path, &why) != 0) {
		if (why.what == SAFEOPEN_GONE)
			return 1;
		w->st.unwatched++;
		log_warnx("fanotify: cannot mark %s: %s", path,
		    safeopen_reason(&why, r, sizeof(r)));
		return ERR_IO;
	}
	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
	    FAN_FID_MASK, dfd, NULL) == 0) {
		if (fstatfs(dfd, &sf) == -1 || (rc = fsm_put(w, &sf.f_fsid,
		    path)) != 0) {
			w->st.errors++;
			log_warnx("fanotify: %s: %s", path,
			    rc ? vigil_strerror(rc) : strerror(errno));
			rc = ERR_IO;
		}
		(void)close(dfd);
		return rc;
	}
	e = errno;
	if ((e == ENODEV || e == EOPNOTSUPP || e == EXDEV) &&
	    fan_fd_open(w) == 0 && fanotify_mark(w->fd2, FAN_MARK_ADD |
	    FAN_MARK_MOUNT, FAN_CLOSE_WRITE, dfd, NULL) == 0) {
		log_info("fanotify: %s: no file handles on that file system: "
		    "files renamed into place there are seen at the next "
		    "rescan", path);
		(void)close(dfd);
		return 0;
	}
	(void)close(dfd);
	w->st.unwatched++;
	log_warnx("fanotify: cannot mark the file system of %s: %s", path,
	    strerror(e));
	return ERR_IO;
}

static uint64_t
fan_watches(const struct watch *w)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < w->nmkeys; i++)
		n += w->mkeys[i].ok > 0;
	return n;
}

/* ---- fanotify, descriptor group ---- */

/* One close-after-write with its fd: find its path, filter, queue.
 * Takes fd. */
static void
fan_file(struct watch *w, int fd, pid_t pid)
{
	static const char	 del[] = " (deleted)";
	char			 proc[32], path[PATH_MAX];
	struct stat		 sb;
	ssize_t			 n;
	size_t			 len;
	unsigned		 flags = WATCH_EV_CLOSE_WRITE;

	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, path, sizeof(path))) == -1 ||
	    fstat(fd, &sb) == -1) {
		w->st.errors++;
		if (often(w->st.errors))
			log_warn("fanotify: %s", proc);
		goto drop;
	}
	if ((size_t)n >= sizeof(path)) {	/* readlink truncated it */
		too_long(w, "/", 1);
		goto drop;
	}
	path[n] = '\0';
	len = (size_t)n;
	if (!S_ISREG(sb.st_mode) || path[0] != '/')
		goto filtered;	/* not a file, or not in our namespace */
	if (sb.st_nlink == 0 && len > sizeof(del) - 1 &&
	    memcmp(path + len - (sizeof(del) - 1), del, sizeof(del) - 1) == 0) {
		len -= sizeof(del) - 1;
		path[len] = '\0';
		flags |= WATCH_EV_DELETED;
	}
	if (!root_of(w, path, len))
		goto filtered;
	if (pathset_excluded(w->ps, path, len))
		goto filtered;
	pend_add(w, path, len, fd, flags, pid);
	return;
filtered:
	w->st.filtered++;
drop:
	(void)close(fd);
}

static void
fan_fd_event(struct watch *w, const struct fanotify_event_metadata *md,
    const unsigned char *raw, int *overflow)
{
	if (md->mask & FAN_Q_OVERFLOW)
		*overflow = 1;
	if (md->fd == FAN_NOFD)
		return;
	if (md->fd < 0) {	/* an error in place of an fd: not asked for */
		w->st.errors++;
		return;
	}
	if (md->pid == w->self || !(md->mask & FAN_CLOSE_WRITE)) {
		w->st.filtered++;
		(void)close(md->fd);
		return;
	}
	fan_file(w, md->fd, md->pid);
}

/* ---- fanotify, handle group ---- */

struct fid_ev {
	fsid_t		 fsid;
	union {				/* a struct file_handle and its bytes */
		struct file_handle	fh;
		unsigned char		b[sizeof(struct file_handle) +
					  MAX_HANDLE_SZ];
	}		 h;
	const char	*name;
	size_t		 namelen;
};

/* The DFID_NAME record of an event, bounds-checked: the kernel's bytes,
 * but a parser is a parser. 0 or ERR_MALFORMED. */
static int
fid_parse(struct fid_ev *e, const struct fanotify_event_metadata *md,
    const unsigned char *raw)
{
	struct fanotify_event_info_header	 hdr;
	struct rd				 r, in;
	const uint8_t				*p;
	uint32_t				 hb;
	int32_t					 ht;
	size_t					 left;
	int					 found = 0;

	if (md->metadata_len < sizeof(*md) || md->metadata_len > md->event_len)
		return ERR_MALFORMED;
	rd_init(&r, raw + md->metadata_len, md->event_len - md->metadata_len);
	while (r.len > 0 && !found) {
		if (rd_bytes(&r, &hdr, sizeof(hdr)) != 0 ||
		    hdr.len < sizeof(hdr) ||
		    rd_sub(&r, hdr.len - sizeof(hdr), &in) != 0)
			return ERR_MALFORMED;
		if (hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME)
			continue;
		if (rd_bytes(&in, &e->fsid, sizeof(e->fsid)) != 0 ||
		    rd_bytes(&in, &hb, sizeof(hb)) != 0 ||
		    rd_bytes(&in, &ht, sizeof(ht)) != 0 ||
		    hb > MAX_HANDLE_SZ ||
		    rd_bytes(&in, e->h.fh.f_handle, hb) != 0 ||
		    (left = in.len) == 0 || rd_ptr(&in, &p, left) != 0)
			return ERR_MALFORMED;
		e->h.fh.handle_bytes = hb;
		e->h.fh.handle_type = ht;
		e->name = (const char *)p;
		if ((e->namelen = strnlen(e->name, left)) == left ||
		    e->namelen == 0 || e->namelen > NAME_MAX ||
		    memchr(e->name, '/', e->namelen) != NULL)
			return ERR_MALFORMED;
		found = 1;
	}
	return found ? 0 : ERR_MALFORMED;
}

/* A descriptor on the file system of entry m, to open handles through,
 * kept until the end of the current read (a descriptor held longer
 * would keep a USB stick from being unmounted). -1 if it is gone. */
static int
fsm_fd(struct watch *w, struct fsmark *m)
{
	struct safeopen_why	why;
	struct statfs		sf;

	if (m->mfd == -1 && !m->failed) {
		if (safeopen_dir(&m->mfd, w->mt, AT_FDCWD, m->point,
		    &why) != 0)
			m->mfd = -1;
		else if (fstatfs(m->mfd, &sf) == -1 ||
		    memcmp(&sf.f_fsid, &m->fsid, sizeof(sf.f_fsid)) != 0) {
			(void)close(m->mfd);	/* another file system now */
			m->mfd = -1;
		}
		m->failed = m->mfd == -1;
	}
	return m->mfd;
}

static void
fsm_release(struct watch *w)
{
	size_t	i;

	for (i = 0; i < w->nfsm; i++) {
		if (w->fsm[i].mfd != -1)
			(void)close(w->fsm[i].mfd);
		w->fsm[i].mfd = -1;
		w->fsm[i].failed = 0;
	}
}

/* The name of the folder cur in its parent par (read), by inode. */
static int
name_in(int par, const struct stat *cur, char out[static NAME_MAX + 1])
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	int		 fd, found = 0;

	if ((fd = dup(par)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_ino != cur->st_ino || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(par, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    sb.st_dev != cur->st_dev || sb.st_ino != cur->st_ino)
			continue;
		(void)snprintf(out, NAME_MAX + 1, "%s", de->d_name);
		found = 1;
	}
	(void)closedir(d);
	return found ? 0 : -1;
}

/*
 * The path of folder dfd into out (WATCH_PATH_MAX), its length, or 0.
 * The kernel names paths up to a page; a longer one is built by walking
 * up ("..") and finding each folder's name in its parent, until an
 * ancestor the kernel can name, at most LEVELS_MAX folders. A folder
 * that cannot be named so gives 0 and *tail, the length of the last
 * part found, stored at the end of out (for WATCH_EV_TOOLONG).
 */
static size_t
dir_path(struct watch *w, int dfd, char *out, size_t *tail)
{
	static const char	 del[] = " (deleted)";
	char			 proc[32], name[NAME_MAX + 1];
	struct stat		 cur, up;
	size_t			 t = 0, nl, len = 0;
	ssize_t			 n;
	int			 fd = dfd, par, level;

	*tail = 0;
	for (level = 0; level <= LEVELS_MAX; level++) {
		(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		n = readlink(proc, out, PATH_MAX);
		if (n > 0 && n < PATH_MAX && (size_t)n + t + 1 <
		    WATCH_PATH_MAX) {
			len = (size_t)n;
			if (len > sizeof(del) - 1 && memcmp(out + len -
			    (sizeof(del) - 1), del, sizeof(del) - 1) == 0) {
				len = 0;	/* a folder removed since */
				break;
			}
			if (t > 0) {
				if (len > 1)
					out[len++] = '/';
				memmove(out + len, out + WATCH_PATH_MAX - t, t);
				len += t;
			}
			out[len] = '\0';
			break;
		}
		if ((n != -1 || errno != ENAMETOOLONG) || level == LEVELS_MAX ||
		    fstat(fd, &cur) == -1 || (par = openat(fd, "..",
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			break;
		if (fstat(par, &up) == -1 || (up.st_dev == cur.st_dev &&
		    up.st_ino == cur.st_ino) || name_in(par, &cur, name) != 0 ||
		    (nl = strlen(name)) + 1 + t >= WATCH_PATH_MAX - PATH_MAX) {
			(void)close(par);
			break;
		}
		/* prepend "name/" to the tail kept at the end of out */
		if (t > 0)
			out[WATCH_PATH_MAX - t - 1] = '/';
		t += t > 0;
		memcpy(out + WATCH_PATH_MAX - t - nl, name, nl);
		t += nl;
		if (fd != dfd)
			(void)close(fd);
		fd = par;
	}
	if (fd != dfd)
		(void)close(fd);
	if (len == 0)
		*tail = t;
	return len;
}

/* Open the folder named by e's handle on a marked file system whose
 * path lies under a root: its O_PATH descriptor and path (in w->pbuf,
 * *len), or -1: gone (*gone), not ours, or too long (*tail). */
static int
fid_dir(struct watch *w, const struct fid_ev *e, size_t *len, int *gone,
    size_t *tail)
{
	size_t	i;
	int	mfd, dfd, matched = 0;

	*gone = 0;
	*tail = 0;
	for (i = 0; i < w->nfsm; i++) {
		if (memcmp(&w->fsm[i].fsid, &e->fsid, sizeof(e->fsid)) != 0)
			continue;
		matched = 1;
		if ((mfd = fsm_fd(w, &w->fsm[i])) == -1)
			continue;
		dfd = open_by_handle_at(mfd, (struct file_handle *)&e->h.fh,
		    O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd == -1) {
			*gone = errno == ESTALE || errno == ENOENT;
			if (!*gone)
				w->st.errors++;
			return -1;
		}
		*len = dir_path(w, dfd, w->pbuf, tail);
		if (*len > 0 && root_of(w, w->pbuf, *len))
			return dfd;
		(void)close(dfd);
		if (*tail > 0)
			return -1;
	}
	if (!matched) {
		w->st.errors++;
		if (often(w->st.errors))
			log_warnx("fanotify: an event from a file system that "
			    "is not marked under that id");
	}
	return -1;
}

/* A file too deep to name: reported with the end of its path. */
static void
fid_toolong(struct watch *w, size_t tail, const struct fid_ev *e,
    unsigned flags, pid_t pid)
{
	static const char	 pre[] = "/...";
	char			*p = w->pbuf2;
	size_t			 len = sizeof(pre) - 1;

	w->st.toolong++;
	if (often(w->st.toolong))
		log_warnx("watch: a file too deep to name (%" PRIu64 " so "
		    "far): reported by the end of its path", w->st.toolong);
	memcpy(p, pre, len);
	if (tail + e->namelen + 2 + len < WATCH_PATH_MAX) {
		p[len++] = '/';
		memcpy(p + len, w->pbuf + WATCH_PATH_MAX - tail, tail);
		len += tail;
	}
	p[len++] = '/';
	memcpy(p + len, e->name, e->namelen);
	len += e->namelen;
	p[len] = '\0';
	pend_add(w, p, len, -1, flags | WATCH_EV_TOOLONG, pid);
}

/* What a file event is about: flags for the report, 0 to drop it. The
 * name is examined beside its folder without a question to a mount's
 * server (a mount point there is not a regular file of ours). */
static unsigned
fid_flags(struct watch *w, uint64_t mask, int dfd, const char *name)
{
	struct statx	sx;
	unsigned	flags = 0;

	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT |
	    AT_STATX_DONT_SYNC, STATX_TYPE | STATX_NLINK | STATX_SIZE,
	    &sx) == -1) {
		if (errno != ENOENT && errno != ENOTDIR)
			w->st.errors++;
		return 0;	/* gone since: nothing to scan */
	}
	if (!S_ISREG(sx.stx_mode))
		return 0;
	if (mask & FAN_CLOSE_WRITE)
		flags |= WATCH_EV_CLOSE_WRITE;
	if (mask & FAN_MOVED_TO)
		flags |= WATCH_EV_MOVED_TO;
	/* created with content already in it; an empty new file's close
	 * will follow */
	if ((mask & FAN_CREATE) && (sx.stx_nlink > 1 || sx.stx_size > 0))
		flags |= WATCH_EV_LINKED;
	return flags;
}

static void
fan_fid_event(struct watch *w, const struct fanotify_event_metadata *md,
    const unsigned char *raw, int *overflow)
{
	struct fid_ev	 e;
	char		*p = w->pbuf2;
	size_t		 dlen, len, tail;
	unsigned	 flags;
	int		 dfd, gone;

	if (md->mask & FAN_Q_OVERFLOW) {
		*overflow = 1;
		return;
	}
	if (md->pid == w->self ||
	    (md->mask & (FAN_ONDIR | FAN_MOVED_TO)) == FAN_ONDIR) {
		w->st.filtered++;	/* ours, or a new empty folder */
		return;
	}
	if (fid_parse(&e, md, raw) != 0) { 
		w->st.errors++;
		return;
	}
	if ((dfd = fid_dir(w, &e, &dlen, &gone, &tail)) == -1) {
		if (tail > 0 && !(md->mask & FAN_ONDIR))
			fid_toolong(w, tail, &e, WATCH_EV_CLOSE_WRITE,
			    md->pid);
		else
			w->st.filtered++;
		return;
	}
	len = dlen + (dlen > 1) + e.namelen;
	if (len >= WATCH_PATH_MAX) {
		fid_toolong(w, 0, &e, WATCH_EV_CLOSE_WRITE, md->pid);
		goto done;
	}
	memcpy(p, w->pbuf, dlen);
	if (dlen > 1)
		p[dlen] = '/';
	memcpy(p + len - e.namelen, e.name, e.namelen);
	p[len] = '\0';
	if (excluded(w, p, len, pathset_holder(w->ps, p, len))) {
		w->st.filtered++;
		goto done;
	}
	if (md->mask & FAN_ONDIR) {
		/* a folder renamed or moved in: what it holds is new here */
		rescan(w, p, WATCH_RESCAN_NEWDIR);
		goto done;
	}
	if ((flags = fid_flags(w, md->mask, dfd, e.name)) == 0)
		w->st.filtered++;
	else
		pend_add(w, p, len, -1, flags, md->pid);
done:
	(void)close(dfd);
}

static void
fan_overflow(struct watch *w)
{
	w->st.overflows++;
	if (often(w->st.overflows))
		log_warnx("fanotify: event queue overflowed (%" PRIu64 " times):"
		    " rescanning every watched folder", w->st.overflows);
	rescan_roots(w, WATCH_RESCAN_OVERFLOW);
}

typedef void	(*fan_event_fn)(struct watch *,
		    const struct fanotify_event_metadata *,
		    const unsigned char *, int *);

/* Events are read into w->buf and each header copied out: records with
 * file handles are 4-byte aligned, the header's fields are not. */
static void
fan_read_group(struct watch *w, int fd, fan_event_fn fn)
{
	struct fanotify_event_metadata	 md;
	ssize_t				 n;
	size_t				 off;
	int				 i, overflow, lost = 0;

	for (i = 0; i < READS_PER_WAKE; i++) {
		if ((n = read(fd, w->buf, FAN_BUF_LEN)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				/* EMFILE, ENFILE, ENOMEM: the kernel could
				 * not open the file, and the event is gone */
				lost = 1;
				w->st.errors++;
				if (often(w->st.errors))
					log_warn("fanotify: read");
			}
			break;
		}
		overflow = 0;
		for (off = 0; (size_t)n - off >= sizeof(md);
		    off += md.event_len) {
			memcpy(&md, w->buf + off, sizeof(md));
			if (md.event_len < sizeof(md) ||
			    md.event_len > (size_t)n - off)
				break;		/* the kernel never does this */
			if (md.vers != FANOTIFY_METADATA_VERSION) {
				/* cannot happen since Linux 2.6.37; the fds
				 * in the rest of the buffer leak */
				log_warnx("fanotify: metadata version %u, "
				    "expected %u", md.vers,
				    FANOTIFY_METADATA_VERSION);
				w->st.errors++;
				lost = 1;
				break;
			}
			fn(w, &md, w->buf + off, &overflow);
		}
		fsm_release(w);
		pend_flush(w);
		if (overflow)
			fan_overflow(w);
	}
	if (lost)
		rescan_roots(w, WATCH_RESCAN_LOST);
}

static void
fan_read(struct watch *w)
{
	fan_read_group(w, w->fd, fan_fid_event);
}

static void
readable_fd(evutil_socket_t fd, short what, void *arg)
{
	struct watch	*w = arg;

	fan_read_group(w, w->fd2, fan_fd_event);
}

static const struct backend fan_backend = {
	"fanotify", 1, fan_open, fan_add, fan_read, fan_watches,
};

static const struct backend in_backend = {
	"inotify", 0, in_open, in_add, in_read, in_watches,
};

static void
readable(evutil_socket_t fd, short what, void *arg)
{
	struct watch	*w = arg;

	w->be->read(w);
}

/* ---- mounts ---- */

/* A mount's identity across reads of the table: id, parent, device, root
 * and mount point (ids alone are reused after an unmount). Strings are
 * hashed with their NUL, so no two splits of the same bytes hash alike. */
static uint64_t
mnt_key(const struct mounttab_mount *m)
{
	uint64_t	n[4] = { m->id, m->parent, m->major, m->minor };
	uint64_t	h;

	h = fnv1a(n, sizeof(n), FNV_INIT);
	h = fnv1a(m->root, m->root_len + 1, h);
	return fnv1a(m->point, m->len + 1, h);
}

/* A root whose mount the table does not list: in a chroot whose root is
 * a plain folder, the mount holding it lies outside and is not shown. */
static uint64_t
unlisted_key(const char *root, size_t len)
{
	return fnv1a(root, len + 1, fnv1a("unlisted", 9, FNV_INIT));
}

static int
mkey_cmp(const void *a, const void *b)
{
	const struct mkey	*x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static const struct mkey *
mkey_in(const struct mkey *v, size_t n, uint64_t key)
{
	struct mkey	k = { key, 0, NULL };

	if (n == 0)
		return NULL;
	return bsearch(&k, v, n, sizeof(k), mkey_cmp);
}

static const struct mkey *
mkey_find(const struct watch *w, uint64_t key)
{
	return mkey_in(w->mkeys, w->nmkeys, key);
}

static void
mkeys_free(struct mkey *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].point);
	free(v);
}

/* The mounts of a new read of the table that matter, with their state. */
struct mkeys {
	struct mkey	*v;
	size_t		 n, cap;
	int		 err;
};

static void
mkeys_add(struct mkeys *k, uint64_t key, int ok, const char *point)
{
	struct mkey	*v;
	size_t		 cap;

	if (k->err)
		return;
	if (k->n == k->cap) {
		cap = k->cap ? k->cap * 2 : 16;
		if ((v = reallocarray(k->v, cap, sizeof(*v))) == NULL) {
			k->err = ERR_NOMEM;
			return;
		}
		k->v = v;
		k->cap = cap;
	}
	if ((k->v[k->n].point = strdup(point)) == NULL) {
		k->err = ERR_NOMEM;
		return;
	}
	k->v[k->n].key = key;
	k->v[k->n++].ok = ok;
}

/* Sorted, one entry per key. */
static void
mkeys_sort(struct mkeys *k)
{
	size_t	i, j;

	if (k->n > 1)
		qsort(k->v, k->n, sizeof(*k->v), mkey_cmp);
	for (i = j = 0; i < k->n; i++) {
		if (j > 0 && k->v[j - 1].key == k->v[i].key) {
			free(k->v[i].point);
			continue;
		}
		k->v[j++] = k->v[i];
	}
	k->n = j;
}

/*
 * m matters for target: its mount point (a mount below a root), or a
 * root it holds (holding). A mount seen before keeps its state. One the
 * table refuses (a FUSE mount, a network share, the kernel's own, or one
 * reached through such) is logged once and never touched. Otherwise it
 * is marked (fanotify) or walked (inotify: the mount holding a root was
 * walked with the root) and, on a change, reported for rescan.
 */
static void
mnt_relevant(struct watch *w, const struct mounttab_mount *m,
    const char *target, int report, int holding, struct mkeys *nk)
{
	const struct mkey	*old;
	uint64_t		 key = mnt_key(m);
	int			 rc;

	if ((old = mkey_find(w, key)) != NULL) {
		mkeys_add(nk, key, old->ok, m->point);
		return;
	}
	if (!m->ok && w->policy == MOUNTTAB_ALL && m->ok_all && !holding) {
		/* a FUSE or network mount the rescans may enter, on worker
		 * threads; the loop never does */
		w->st.unwatched++;
		log_warnx("watch: %s is on a %s file system: not watched, "
		    "only rescanned", target, mountinfo_kind_name(m->block));
		mkeys_add(nk, key, -1, m->point);
		if (report)
			rescan(w, target, WATCH_RESCAN_UNWATCHED);
		return;
	}
	if (!m->ok) {
		w->st.refused++;
		log_warnx("watch: %s is on a %s file system: neither watched "
		    "nor scanned ([files] remote_filesystems)", target,
		    mountinfo_kind_name(m->block));
		mkeys_add(nk, key, -1, m->point);
		return;
	}
	if (!report && !w->be->per_mount && holding) {
		mkeys_add(nk, key, 1, m->point);
		return;
	}
	rc = w->be->add(w, target, strlen(target));
	mkeys_add(nk, key, rc == 0, m->point);
	if (!report || rc > 0)
		return;
	rescan(w, target, rc == 0 ? WATCH_RESCAN_MOUNT :
	    WATCH_RESCAN_UNWATCHED);
}

/* The mount holding root is not listed (a chroot): mark it through the
 * root itself (fanotify; inotify walked the root already). */
static void
mnt_unlisted(struct watch *w, const char *root, size_t rlen, int report,
    struct mkeys *nk)
{
	const struct mkey	*old;
	uint64_t		 key = unlisted_key(root, rlen);
	int			 rc;

	if ((old = mkey_find(w, key)) != NULL) {
		mkeys_add(nk, key, old->ok, root);
		return;
	}
	rc = w->be->per_mount ? w->be->add(w, root, rlen) : 0;
	mkeys_add(nk, key, rc == 0, root);
	if (report && rc < 0)
		rescan(w, root, WATCH_RESCAN_UNWATCHED);
}

/* inotify watches folders, not mounts: a mount gone from under a root
 * uncovers the folder it was mounted on, which was never watched. Walk
 * it and have it rescanned. (fanotify: the mount holding it is marked.) */
static void
mnt_uncovered(struct watch *w, const struct mkey *now, size_t nnow)
{
	const struct mkey	*o;
	size_t			 i, len;
	int			 rc;

	if (w->be->per_mount)
		return;
	for (i = 0; i < w->nmkeys; i++) {
		o = &w->mkeys[i];
		len = strlen(o->point);
		if (mkey_in(now, nnow, o->key) != NULL || !root_of(w, o->point,
		    len) || is_root(w, o->point, len) ||
		    pathset_excluded(w->ps, o->point, len))
			continue;
		if ((rc = w->be->add(w, o->point, len)) == 0)
			rescan(w, o->point, WATCH_RESCAN_MOUNT);
		else if (rc < 0)
			rescan(w, o->point, WATCH_RESCAN_UNWATCHED);
	}
}

/* The root exists now (asked without entering a refused mount). */
static int
root_exists(struct watch *w, const char *root)
{
	struct safeopen_why	why;
	int			fd;

	if (safeopen_path(&fd, w->mt, AT_FDCWD, root, &why) != 0)
		return why.what != SAFEOPEN_GONE;
	(void)close(fd);
	return 1;
}

/* Re-read the mount table and act on mounts that became relevant: those
 * at or under a root, and the topmost one holding each existing root. */
static void
mnt_refresh(struct watch *w, int report)
{
	struct mounttab_mount	*m = NULL, *best;
	struct mkeys		 nk = { NULL, 0, 0, 0 };
	const char		*root;
	char			*buf = NULL;
	size_t			 nm = 0, rlen, i, k;
	int			 rc;

	if ((rc = mounttab_read(&m, &nm, &buf, MOUNTTAB_LOCAL)) != 0) {
		w->st.errors++;
		log_warnx("watch: the mount table: %s; new mounts may be "
		    "missed", vigil_strerror(rc));
		return;
	}
	for (i = 0; i < pathset_count(w->ps); i++) {
		root = pathset_root(w->ps, i, &rlen);
		best = NULL;
		for (k = 0; k < nm; k++) {
			if (m[k].len > rlen && pathset_under(m[k].point,
			    m[k].len, root, rlen)) {
				if (!excluded(w, m[k].point, m[k].len, rlen))
					mnt_relevant(w, &m[k], m[k].point,
					    report, 0, &nk);
			} else if (pathset_under(root, rlen, m[k].point,
			    m[k].len) && (best == NULL || m[k].len >= best->len))
				best = &m[k];
		}
		if (!root_exists(w, root))
			continue;
		if (best != NULL)
			mnt_relevant(w, best, root, report, 1, &nk);
		else
			mnt_unlisted(w, root, rlen, report, &nk);
	}
	if (nk.err) {
		w->st.errors++;
		log_warnx("watch: the mount table: out of memory");
		mkeys_free(nk.v, nk.n);
		goto done;
	}
	mkeys_sort(&nk);
	if (report)
		mnt_uncovered(w, nk.v, nk.n);
	mkeys_free(w->mkeys, w->nmkeys);
	w->mkeys = nk.v;
	w->nmkeys = nk.n;
done:
	free(m);
	free(buf);
}

static void
mnt_changed(evutil_socket_t fd, short what, void *arg)
{
	struct watch		*w = arg;
	struct epoll_event	 ev[4];

	/* consumes the readiness; the change itself is read from the file */
	(void)epoll_wait(w->mnt_ep, ev, 4, 0);
	mnt_refresh(w, 1);
}

/* Follow mount changes; without them, new mounts are not seen. */
static void
mnt_watch(struct watch *w)
{
	struct epoll_event	ee = { .events = EPOLLPRI };

	if ((w->mnt_fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (w->mnt_ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(w->mnt_ep, EPOLL_CTL_ADD, w->mnt_fd, &ee) == -1 ||
	    (w->mnt_ev = event_new(w->base, w->mnt_ep, EV_READ | EV_PERSIST,
	    mnt_changed, w)) == NULL || event_add(w->mnt_ev, NULL) == -1) {
		w->st.errors++;
		log_warn("watch: cannot follow %s: new mounts will not be "
		    "seen", MOUNTINFO);
	}
}

/* ---- interface ---- */

int
watch_new(struct watch **out, struct event_base *base,
    const struct watch_opts *opts, watch_file_cb file_cb,
    watch_rescan_cb rescan_cb, void *arg)
{
	struct watch	*w;
	int		 backend = opts ? opts->backend : WATCH_AUTO;
	int		 rc = ERR_USAGE;

	*out = NULL;
	if (base == NULL || file_cb == NULL || rescan_cb == NULL ||
	    backend < WATCH_AUTO || backend > WATCH_INOTIFY) {
		log_warnx("watch_new: bad arguments");
		return ERR_USAGE;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return ERR_NOMEM;
	w->base = base;
	w->file_cb = file_cb;
	w->rescan_cb = rescan_cb;
	w->arg = arg;
	w->self = getpid();
	w->fd = w->fd2 = w->mnt_fd = w->mnt_ep = -1;
	w->policy = opts != NULL && opts->filesystems == MOUNTTAB_ALL ?
	    MOUNTTAB_ALL : MOUNTTAB_LOCAL;
	/* local mounts only, whatever the policy: the loop never waits on a
	 * FUSE or network server; without it (no /proc in a chroot) no mount
	 * is entered at all */
	if (mounttab_new(&w->mt, MOUNTTAB_LOCAL) != 0)
		log_warnx("watch: no mount table: file systems mounted below "
		    "the watched folders are not watched");
	rc = ERR_NOMEM;
	if (pathset_new(&w->ps) != 0 ||
	    (w->buf = malloc(IN_BUF_LEN)) == NULL ||
	    (w->pend = calloc(BATCH_MAX, sizeof(*w->pend))) == NULL ||
	    (w->slots = calloc(SLOT_COUNT, sizeof(*w->slots))) == NULL ||
	    (w->pbuf = malloc(WATCH_PATH_MAX)) == NULL ||
	    (w->pbuf2 = malloc(WATCH_PATH_MAX)) == NULL ||
	    (opts != NULL && opts->private_dir != NULL &&
	    (w->private_dir = strdup(opts->private_dir)) == NULL))
		goto fail;

	if (backend != WATCH_INOTIFY) {
		if ((rc = fan_open(w)) == 0)
			w->be = &fan_backend;
		else if (backend == WATCH_FANOTIFY) {
			log_warnx("watch: fanotify required but unavailable");
			rc = ERR_IO;
			goto fail;
		}
	}
	if (w->be == NULL) {
		if ((rc = in_open(w)) != 0)
			goto fail;
		w->be = &in_backend;
	}
	rc = ERR_IO;
	if ((w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, readable,
	    w)) == NULL || event_add(w->ev, NULL) == -1) {
		log_warnx("watch: cannot add the %s descriptor to the loop",
		    w->be->name);
		goto fail;
	}
	mnt_watch(w);
	log_info("watch: using %s", w->be->name);
	*out = w;
	return 0;
fail:
	watch_free(w);
	return rc;
}

/* path as a root, resolved as pathset.h says (*absent: it does not
 * exist yet); one that exists must be a folder. Logged. */
static int
root_resolve(char out[static PATH_MAX], int *absent, const char *path)
{
	struct stat	 sb;
	int		 rc;

	if ((rc = pathset_resolve(out, path, 0, absent)) != 0) {
		if (rc == ERR_IO)
			log_warn("watch %s", path);
		else
			log_warnx("watch %s: %s", path, vigil_strerror(rc));
		return rc;
	}
	if (!*absent && (stat(out, &sb) == -1 || !S_ISDIR(sb.st_mode))) {
		log_warnx("watch %s: not a folder", out);
		return ERR_USAGE;
	}
	return 0;
}

/* A root on (or reached through) a file system the mount table refuses
 * is not watched: ERR_IO, logged. */
static int
root_refused(struct watch *w, const char *rp, size_t len)
{
	struct safeopen_why	why;
	int			fd;

	if (safeopen_path(&fd, w->mt, AT_FDCWD, rp, &why) == 0) {
		(void)close(fd);
		return 0;
	}
	if (why.what != SAFEOPEN_XDEV)
		return 0;	/* be->add will say */
	w->st.refused++;
	log_warnx("watch %s: on a %s file system: not watched ([files] "
	    "filesystems)", rp, mountinfo_kind_name(why.kind));
	return ERR_IO;
}

int
watch_add(struct watch *w, const char *path)
{
	char	rp[PATH_MAX];
	size_t	len;
	int	rc, absent;

	if (w->in_cb)
		return ERR_STATE;
	if (path == NULL || path[0] != '/') {
		log_warnx("watch %s: not an absolute path",
		    path ? path : "(null)");
		return ERR_USAGE;
	}
	if (strlen(path) >= PATH_MAX)
		return ERR_TOOBIG;
	if ((rc = root_resolve(rp, &absent, path)) != 0)
		return rc;
	len = strlen(rp);
	if (root_of(w, rp, len))
		return 0;	/* already covered */
	if (excluded(w, rp, len, len)) {
		log_warnx("watch %s: excluded, not watched", rp);
		return 0;
	}
	if (!absent && (rc = root_refused(w, rp, len)) != 0)
		return rc;
	if (!absent && (rc = w->be->add(w, rp, len)) < 0)
		return rc;
	if (absent || rc > 0)
		log_info("watch %s: absent for now; watched from when a file "
		    "system is mounted there", rp);
	/* Roots below the new one become part of it. Out of memory here
	 * leaves inotify watching folders that no root holds: they are
	 * reported, never missed. */
	if ((rc = pathset_add(w->ps, rp)) < 0) {
		log_warnx("watch %s: %s", rp, vigil_strerror(rc));
		return rc;
	}
	mnt_refresh(w, 0);
	return 0;
}

int
watch_exclude(struct watch *w, const char *pattern)
{
	int	rc;

	if (w->in_cb)
		return ERR_STATE;
	if ((rc = pathset_exclude(w->ps, pattern)) != 0) {
		if (pattern != NULL && pattern[0] != '\0')
			log_warnx("exclude %s: %s", pattern, rc == ERR_USAGE ?
			    "a path must be absolute" : vigil_strerror(rc));
		return rc;
	}
	if (w->be == &in_backend)
		dir_drop(w, DROP_EXCLUDED, NULL, 0);
	return 0;
}

int
watch_excluded(const struct watch *w, const char *path)
{
	return pathset_excluded(w->ps, path, strlen(path));
}

void
watch_stats(const struct watch *w, struct watch_stats *out)
{
	*out = w->st;
	out->watches = w->be->watches(w);
}

const char *
watch_backend_name(const struct watch *w)
{
	return w->be->name;
}

void
watch_free(struct watch *w)
{
	struct dir	*d, *next;
	size_t		 i;

	if (w == NULL)
		return;
	if (w->in_cb)
		fatalx("watch_free from a watch callback");
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->mnt_ev != NULL)
		event_free(w->mnt_ev);
	if (w->ev2 != NULL)
		event_free(w->ev2);
	if (w->fd2 != -1)
		(void)close(w->fd2);
	fsm_release(w);
	for (i = 0; i < w->nfsm; i++)
		free(w->fsm[i].point);
	free(w->fsm);
	free(w->pbuf);
	free(w->pbuf2);
	free(w->private_dir);
	mounttab_free(w->mt);
	for (i = 0; i < w->npend; i++)
		if (w->pend[i].fd >= 0)
			close(w->pend[i].fd);
	for (i = 0; i < w->ndirbuckets; i++) {
		for (d = w->dirs[i]; d != NULL; d = next) {
			next = d->next;
			free(d);
		}
	}
	if (w->fd != -1)
		close(w->fd);	/* drops every watch and mark */
	if (w->mnt_ep != -1)
		close(w->mnt_ep);
	if (w->mnt_fd != -1)
		close(w->mnt_fd);
	pathset_free(w->ps);
	free(w->dirs);
	free(w->scratch);
	mkeys_free(w->mkeys, w->nmkeys);
	free(w->pend);
	free(w->slots);
	free(w->arena);
	free(w->buf);
	free(w);
}
