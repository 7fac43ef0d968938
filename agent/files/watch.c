/*
 * watch.c: which files under the watched folders were just written.
 *
 * Feeds the scanner and FIM: every regular file closed after writing,
 * moved or linked into place under a watched root, and a rescan request
 * wherever events may have been missed. Two backends behind struct
 * backend, chosen once in watch_new():
 *
 *  fanotify  FAN_CLOSE_WRITE on every mount holding a watched path
 *            (FAN_MARK_MOUNT). Each event carries a read-only fd of the
 *            file; its path comes from readlink(/proc/self/fd/N) and is
 *            filtered by roots and exclusions. Events written by this
 *            process are dropped. A mount mark, not FAN_MARK_FILESYSTEM:
 *            a file system mark also reports writes made through other
 *            mounts of the same file system (bind mounts, containers'
 *            namespaces), whose paths either lie outside our roots or
 *            are on mounts we mark anyway; it would only add load.
 *  inotify   one watch per folder, walked at watch_add() and extended as
 *            folders appear (IN_CREATE/IN_MOVED_TO with IN_ISDIR), then a
 *            rescan of the new folder: files written into it before its
 *            watch existed are otherwise invisible. That race is inherent
 *            to inotify; the rescan closes it. Folders moved out of the
 *            tree lose their watches; IN_IGNORED drops a map entry.
 *
 * Mounts: /proc/self/mountinfo is polled (it raises EPOLLPRI on any
 * change; libevent cannot ask for POLLPRI, so a private epoll set holds
 * it and the loop watches that set) and its lines parsed by mountinfo.c. A mount appearing at or under a
 * root is marked (fanotify) or walked (inotify) and reported as a rescan;
 * so is, under inotify, the folder a vanished mount had covered. A root
 * that does not exist yet (/media) is taken up when something is mounted
 * at or under it.
 *
 * Invariants:
 *  - every fd handed out by fanotify is closed exactly once: right away
 *    when dropped, or after its callback (pend_flush, deliver);
 *  - reports are delivered at the end of each read(), with same-path
 *    duplicates of that read merged (a hash set over the batch);
 *  - a kernel overflow, a lost read or an unwatchable part always gives a
 *    rescan report; a skipped over-long path gives a log line and a count;
 *  - inotify: w->dirs maps each live wd to its folder's current path.
 *    After an overflow every root is walked again (new folders may have
 *    appeared unseen) and entries not seen again are dropped.
 *  - paths are bytes: never assumed UTF-8, escaped for log lines.
 *
 * Not seen (documented limits): only content is watched, not mode, owner
 * or removal (FIM's periodic check finds those). fanotify reports no
 * renames or hard links (those need FAN_REPORT_FID, which gives no fd),
 * so a file written elsewhere on the same mount and renamed into a root
 * is missed until a rescan. inotify: a file closed in a new folder before
 * its watch exists is covered only by that folder's rescan; folders left
 * unwatched (watch limit) are not retried; a root removed and made again
 * is watched again only after an overflow or a mount change.
 *
 * Load: fanotify sees every close-after-write on the marked mounts (all of
 * / on a one-disk PC): per event one read share, one readlink, one fstat,
 * and an O(roots + exclusions) filter. inotify: one lstat per reported
 * file; memory about 64 bytes plus the path per watched folder; walks are
 * synchronous, O(folders) at watch_add, after an overflow and per new
 * subtree. A mount change re-reads mountinfo: O(mounts x roots).
 */
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
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

#include "err.h"
#include "log.h"
#include "mountinfo.h"
#include "pathset.h"
#include "text.h"
#include "watch.h"

#define BATCH_MAX	4096		/* reports merged per flush */
#define SLOT_COUNT	(2 * BATCH_MAX)	/* hash set, power of two */
#define ARENA_MAX	(1024 * 1024)	/* paths of one batch, bytes */
#define IN_BUF_LEN	65536		/* inotify read: up to 4096 events */
#define FAN_BUF_LEN	4096		/* fanotify read: <= 170 fds at once */
#define READS_PER_WAKE	16		/* then back to the loop */
#define MOUNTINFO	"/proc/self/mountinfo"
#define MOUNTINFO_MAX	(64 * 1024 * 1024)
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

struct mnt {				/* one line of mountinfo */
	uint64_t	 key;		/* mnt_key() */
	const char	*point;		/* decoded, into the table's buffer */
	size_t		 len;
	int		 relevant;	/* at or under a root, or holds one */
	int		 ok;		/* marked or walked */
};

struct mkey {				/* a relevant mount, remembered */
	uint64_t	 key;
	int		 ok;
	char		*point;
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

	int			 fd;		/* inotify or fanotify */
	struct event		*ev;
	unsigned char		*buf;		/* IN_BUF_LEN */

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

/* Push the subfolders of d (the folder path) that are not excluded. */
static void
in_list(struct watch *w, DIR *d, const char *path, size_t len,
    struct stack *st)
{
	struct dirent	*de;
	struct stat	 sb;
	size_t		 clen;
	int		 isdir;

	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		isdir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN)
			isdir = fstatat(dirfd(d), de->d_name, &sb,
			    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode);
		if (!isdir)
			continue;
		clen = pathset_join_n(w->scratch, PATH_MAX, path, len,
		    de->d_name, strlen(de->d_name));
		if (clen == 0) {
			too_long(w, path, len);
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
}

/* Watch one folder, then push its subfolders. The watch comes first: a
 * subfolder made after it raises IN_CREATE, one made before is listed
 * (one made in between is walked twice, which inotify_add_watch makes
 * harmless). 0, 1 (gone) or an error. */
static int
in_dir(struct watch *w, const char *path, size_t len, struct stack *st)
{
	DIR	*d = NULL;
	int	 wd, fd, rc = ERR_NOMEM;

	if ((wd = inotify_add_watch(w->fd, path, IN_DIR_MASK)) == -1)
		return in_add_failed(w, path, len, errno);
	if (dir_put(w, wd, path, len) != 0) {
		log_warnx("inotify: %s: out of memory", path);
		goto fail;
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		rc = errno == ENOENT || errno == ENOTDIR ? 1 : ERR_IO;
		if (rc == ERR_IO)
			log_warn("inotify: cannot list %s", path);
		if (fd != -1)
			close(fd);
		dir_del(w, wd);
		goto fail;
	}
	in_list(w, d, path, len, st);
	closedir(d);
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
	struct stat	sb;
	unsigned	flags = 0;

	if (!(mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)))
		return;
	if (excluded(w, path, len, parent_len)) {
		w->st.filtered++;
		return;
	}
	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			w->st.filtered++;	/* gone: nothing to scan */
			return;
		}
		/* report it: the consumer's open fails and says so */
		w->st.errors++;
	} else if (!S_ISREG(sb.st_mode)) {
		w->st.filtered++;
		return;
	} else if (mask & IN_CREATE) {
		/* an empty new file: its IN_CLOSE_WRITE will follow */
		if (sb.st_nlink <= 1 && sb.st_size == 0)
			return;
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
		too_long(w, d->path, d->len);
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

static int
fan_open(struct watch *w)
{
	w->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
	    O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (w->fd == -1) {
		if (errno == EPERM)
			log_info("fanotify: not permitted (needs "
			    "CAP_SYS_ADMIN)");
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
 * children, which holds against the mount marks. ERR_IO when the kernel
 * cannot (before 6.0: EINVAL). */
static int
fan_ignore(struct watch *w, const char *dir)
{
	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_IGNORE |
	    FAN_MARK_IGNORED_SURV_MODIFY, FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD,
	    AT_FDCWD, dir) == 0)
		return 0;
	log_warn("fanotify: cannot ignore the files in %s", dir);
	return ERR_IO;
}

/* Mark the mount that path is on (the topmost one at that point). */
static int
fan_add(struct watch *w, const char *path, size_t len)
{

	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_MOUNT,
	    FAN_CLOSE_WRITE, AT_FDCWD, path) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return 1;
	w->st.unwatched++;
	log_warn("fanotify: cannot mark the mount of %s", path);
	return ERR_IO;
}

static uint64_t
fan_watches(const struct watch *w)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < w->nmkeys; i++)
		n += w->mkeys[i].ok != 0;
	return n;
}

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
	close(fd);
}

static void
fan_event(struct watch *w, const struct fanotify_event_metadata *md,
    int *overflow)
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
		close(md->fd);
		return;
	}
	fan_file(w, md->fd, md->pid);
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

static void
fan_read(struct watch *w)
{
	const struct fanotify_event_metadata	*md;
	ssize_t					 n;
	int					 i, overflow, lost = 0;

	for (i = 0; i < READS_PER_WAKE; i++) {
		if ((n = read(w->fd, w->buf, FAN_BUF_LEN)) == -1) {
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
		md = (const struct fanotify_event_metadata *)w->buf;
		for (; FAN_EVENT_OK(md, n); md = FAN_EVENT_NEXT(md, n)) {
			if (md->vers != FANOTIFY_METADATA_VERSION) {
				/* cannot happen since Linux 2.6.37; the fds
				 * in the rest of the buffer leak */
				log_warnx("fanotify: metadata version %u, "
				    "expected %u", md->vers,
				    FANOTIFY_METADATA_VERSION);
				w->st.errors++;
				lost = 1;
				break;
			}
			fan_event(w, md, &overflow);
		}
		pend_flush(w);
		if (overflow)
			fan_overflow(w);
	}
	if (lost)
		rescan_roots(w, WATCH_RESCAN_LOST);
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
mnt_key(const struct mountinfo_entry *e)
{
	uint64_t	n[4] = { e->mnt_id, e->parent_id, e->major, e->minor };
	uint64_t	h;

	h = fnv1a(n, sizeof(n), FNV_INIT);
	h = fnv1a(e->root, e->root_len + 1, h);
	return fnv1a(e->point, e->point_len + 1, h);
}

/* The whole of MOUNTINFO, NUL-terminated, malloc'd. */
static int
mnt_slurp(char **out, size_t *outlen)
{
	char	*buf = NULL, *p;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fd, rc = ERR_IO;

	*out = NULL;
	if ((fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC)) == -1)
		return ERR_IO;
	for (;;) {
		if (cap - len < 4097) {
			rc = ERR_TOOBIG;
			if (cap >= MOUNTINFO_MAX)
				goto fail;
			rc = ERR_NOMEM;
			cap = cap ? cap * 2 : 16384;
			if ((p = realloc(buf, cap)) == NULL)
				goto fail;
			buf = p;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			rc = ERR_IO;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return rc;
}

static int
mnt_parse(char *buf, size_t len, struct mnt **out, size_t *nout)
{
	struct mountinfo_entry	 e;
	struct mnt		*v = NULL, *p;
	size_t			 i, j, n = 0, cap = 0;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < len; i = j + 1) {
		for (j = i; j < len && buf[j] != '\n'; j++)
			;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				return ERR_NOMEM;
			}
			v = p;
		}
		if (mountinfo_parse_line(&e, buf + i, j - i) == 0) {
			memset(&v[n], 0, sizeof(v[n]));
			v[n].key = mnt_key(&e);
			v[n].point = e.point;
			v[n].len = e.point_len;
			n++;
		} else	/* every line the kernel prints parses: say so */
			log_warnx("watch: %s: a line that does not parse; "
			    "that mount is not watched", MOUNTINFO);
	}
	*out = v;
	*nout = n;
	return 0;
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

/* m matters for target (its mount point, or a root it holds). A mount
 * not seen before is marked (fanotify) or walked (inotify: at watch_add
 * the root's walk covers it) and, on a change, reported for rescan. */
static void
mnt_relevant(struct watch *w, struct mnt *m, const char *target,
    int report)
{
	const struct mkey	*old;
	int			 rc;

	m->relevant = 1;
	if ((old = mkey_find(w, m->key)) != NULL) {
		m->ok = old->ok;
		return;
	}
	if (!report && !w->be->per_mount) {
		m->ok = 1;
		return;
	}
	rc = w->be->add(w, target, strlen(target));
	m->ok |= rc == 0;
	if (!report || rc > 0)
		return;
	rescan(w, target, rc == 0 ? WATCH_RESCAN_MOUNT :
	    WATCH_RESCAN_UNWATCHED);
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

/* Re-read the mount table and act on mounts that became relevant: those
 * at or under a root, and the topmost one holding each existing root. */
static void
mnt_refresh(struct watch *w, int report)
{
	struct mnt	*m = NULL, *best;
	struct mkey	*keys = NULL;
	struct stat	 sb;
	const char	*root;
	char		*buf = NULL;
	size_t		 len, rlen, nm, i, k, nk = 0;
	int		 rc;

	if ((rc = mnt_slurp(&buf, &len)) != 0 ||
	    (rc = mnt_parse(buf, len, &m, &nm)) != 0 ||
	    (nm > 0 && (keys = calloc(nm, sizeof(*keys))) == NULL)) {
		w->st.errors++;
		log_warnx("watch: %s: %s; new mounts may be missed", MOUNTINFO,
		    vigil_strerror(rc ? rc : ERR_NOMEM));
		goto done;
	}
	for (i = 0; i < pathset_count(w->ps); i++) {
		root = pathset_root(w->ps, i, &rlen);
		best = NULL;
		for (k = 0; k < nm; k++) {
			if (m[k].len > rlen && pathset_under(m[k].point,
			    m[k].len, root, rlen)) {
				if (!excluded(w, m[k].point, m[k].len, rlen))
					mnt_relevant(w, &m[k], m[k].point,
					    report);
			} else if (pathset_under(root, rlen, m[k].point,
			    m[k].len) && (best == NULL || m[k].len >= best->len))
				best = &m[k];
		}
		if (best != NULL && stat(root, &sb) == 0)
			mnt_relevant(w, best, root, report);
	}
	for (k = 0; k < nm; k++) {
		if (!m[k].relevant)
			continue;
		keys[nk].key = m[k].key;
		keys[nk].ok = m[k].ok;
		if ((keys[nk++].point = strdup(m[k].point)) == NULL) {
			w->st.errors++;
			log_warnx("watch: %s: out of memory", MOUNTINFO);
			goto done;
		}
	}
	if (nk > 1)
		qsort(keys, nk, sizeof(*keys), mkey_cmp);
	if (report)
		mnt_uncovered(w, keys, nk);
	mkeys_free(w->mkeys, w->nmkeys);
	w->mkeys = keys;
	w->nmkeys = nk;
	keys = NULL;
	nk = 0;
done:
	mkeys_free(keys, nk);
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
	w->fd = w->mnt_fd = w->mnt_ep = -1;
	rc = ERR_NOMEM;
	if (pathset_new(&w->ps) != 0 ||
	    (w->buf = malloc(IN_BUF_LEN)) == NULL ||
	    (w->pend = calloc(BATCH_MAX, sizeof(*w->pend))) == NULL ||
	    (w->slots = calloc(SLOT_COUNT, sizeof(*w->slots))) == NULL)
		goto fail;

	if (backend != WATCH_INOTIFY) {
		if ((rc = fan_open(w)) == 0 && opts != NULL &&
		    opts->private_dir != NULL &&
		    (rc = fan_ignore(w, opts->private_dir)) != 0) {
			log_warnx("watch: fanotify cannot keep out of %s "
			    "(Linux 6.0 needed)", opts->private_dir);
			close(w->fd);
			w->fd = -1;
		}
		if (rc == 0)
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
