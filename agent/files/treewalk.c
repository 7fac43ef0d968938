/*
 * treewalk.c: a depth-first walk by descriptors, with helper threads
 * listing folders ahead of it (treewalk.h).
 *
 * A walk over a tree whose metadata is not in memory waits for the disk
 * at every folder and at every block of inodes, one request at a time
 * (4,757 folders and 25,151 files take 0.4 s cold on our VM's disk, 45
 * ms warm). So the work is split in two:
 *
 *  - listing a folder: opening it beside its parent (safeopen_dir(),
 *    which decides at a mount point), checking it is not one of the
 *    folders above it, reading up to TREEWALK_LIST entries with readdir
 *    and examining each with statx(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT
 *    | AT_STATX_DONT_SYNC), which never asks a mounted file system's
 *    server. The result is a struct dir: its entries (files with their
 *    state, subfolders as struct dirs still to be listed, what is to be
 *    reported) and its open DIR. Any thread may list any folder whose
 *    parent is listed; helpers do, in walk order;
 *  - walking: the calling thread goes down the listed dirs depth first,
 *    in the order they were listed, and makes the callbacks. When it
 *    reaches a subfolder that no helper has taken yet it lists it
 *    itself; one being listed, it waits for.
 *
 * So the callbacks see exactly what a plain depth-first walk would, in
 * the same order, from one thread, with or without helpers; the helpers
 * only make the waits overlap. Folders waiting to be listed sit in a
 * heap ordered by walk order (dir_before()), so that helpers list first
 * what the walk will need first, and list only while fewer than
 * TREEWALK_AHEAD_DIRS folders and TREEWALK_AHEAD_ENTRIES entries are
 * listed and not yet walked: the walk's own listings are never held
 * back, so it always moves on, and nothing waits for it.
 *
 * Ownership: a dir owns the dirs of its subfolders listed in its current
 * batch of entries. The walk frees a dir when it has walked all of it;
 * a subfolder is walked (and freed) before its parent's next entry, so a
 * parent, its descriptor and its path outlive every listing of its
 * subfolders. A stopped walk first stops and joins the helpers, then
 * frees what is left from the top. The lock (struct walk.mu) guards the
 * heap, the counters and each dir's state; a dir's contents are written
 * by its lister before it is marked listed and read by the walk after.
 *
 * No recursion but in freeing a stopped walk (TREEWALK_DEPTH deep).
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "treewalk.h"

#define STATX_WANT	(STATX_TYPE | STATX_MODE | STATX_NLINK | \
			 STATX_UID | STATX_GID | STATX_INO | STATX_SIZE | \
			 STATX_MTIME | STATX_CTIME | STATX_MNT_ID)
#define STATX_FLAGS	(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | \
			 AT_STATX_DONT_SYNC)

enum { E_FILE, E_DIR, E_SKIP, E_OTHER };
enum { D_NEW, D_PENDING, D_LISTING, D_LISTED };

/* What statx said of an entry, in 72 bytes (a struct stat takes 144,
 * and up to TREEWALK_AHEAD_ENTRIES are held). */
struct fstate {
	uint64_t	 dev, ino, size;
	int64_t		 mtime_s, ctime_s;
	uint32_t	 mtime_ns, ctime_ns;
	uint32_t	 mode, nlink, uid, gid;
};

struct ent {
	union {
		struct fstate		 fs;	/* E_FILE, E_OTHER */
		struct dir		*sub;	/* E_DIR, owned until
						 * walked */
		struct treewalk_skipped	 sk;	/* E_SKIP */
	} u;
	size_t			 name;		/* offset in dir.names */
	int			 kind;
};

struct dir {
	struct dir	*parent;	/* NULL: the start */
	char		*path;		/* malloc'd; its last component is
					 * the name in parent */
	size_t		 len;		/* strlen(path) */
	size_t		 name;		/* offset of that name in path */
	size_t		 idx;		/* entries listed from parent before
					 * it: its place in walk order */
	int		 depth;		/* 0: the start */
	int		 state;		/* D_*, under walk.mu: D_NEW is
					 * not queued for helpers */
	size_t		 heap;		/* its slot while D_PENDING */
	/* written by whoever lists it, before D_LISTED */
	int		 fd;		/* -1: not entered (sk says why, if
					 * anything is to be said) */
	DIR		*d;		/* on fd, while there is more to
					 * read; closed at the end (its
					 * buffer is 32 KiB) */
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 mnt;		/* its mount id, 0 if unknown */
	struct treewalk_skipped sk;	/* d NULL: what (0: nothing) */
	size_t		 nlisted;	/* entries read so far */
	int		 eof;		/* readdir said the end */
	int		 read_err;	/* readdir failed: errno */
	int		 nomem;
	struct ent	*ents;		/* the current batch */
	size_t		 n, cap;
	char		*names;
	size_t		 nlen, ncap;
};

/* A growing path buffer. */
struct pbuf {
	char	*p;
	size_t	 cap;
};

struct walk {
	const struct treewalk_cb	*cb;
	void				*arg;
	struct mounttab			*mt;
	struct treewalk_stats		*st;
	struct pbuf			 path;	/* the walk's current path */
	struct pbuf			 scratch; /* its own listings' */
	struct dir			**stack; /* the dirs being walked */
	int				 depth;

	pthread_mutex_t			 mu;
	pthread_cond_t			 work;	/* helpers: a dir to list */
	pthread_cond_t			 done;	/* the walk: a dir listed */
	struct dir			**heap;	/* D_PENDING dirs */
	size_t				 nheap, heapcap;
	size_t				 open;	/* dirs listed and not freed */
	size_t				 entries; /* in their batches */
	int				 stop;
	int				 max;	/* helpers wanted */
	int				 idle;	/* helpers waiting */
	int				 nhelpers;
	pthread_t			 tid[TREEWALK_HELPERS_MAX];
};

static void
to_fstate(struct fstate *fs, const struct statx *sx)
{
	fs->dev = makedev(sx->stx_dev_major, sx->stx_dev_minor);
	fs->ino = sx->stx_ino;
	fs->size = sx->stx_size;
	fs->mtime_s = sx->stx_mtime.tv_sec;
	fs->mtime_ns = sx->stx_mtime.tv_nsec;
	fs->ctime_s = sx->stx_ctime.tv_sec;
	fs->ctime_ns = sx->stx_ctime.tv_nsec;
	fs->mode = sx->stx_mode;
	fs->nlink = sx->stx_nlink;
	fs->uid = sx->stx_uid;
	fs->gid = sx->stx_gid;
}

static void
to_stat(struct stat *st, const struct fstate *fs)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = (dev_t)fs->dev;
	st->st_ino = (ino_t)fs->ino;
	st->st_mode = (mode_t)fs->mode;
	st->st_nlink = (nlink_t)fs->nlink;
	st->st_uid = (uid_t)fs->uid;
	st->st_gid = (gid_t)fs->gid;
	st->st_size = (off_t)fs->size;
	st->st_mtim.tv_sec = (time_t)fs->mtime_s;
	st->st_mtim.tv_nsec = (long)fs->mtime_ns;
	st->st_ctim.tv_sec = (time_t)fs->ctime_s;
	st->st_ctim.tv_nsec = (long)fs->ctime_ns;
}

/* Room in b for need bytes: 0 or ERR_NOMEM. */
static int
pbuf_room(struct pbuf *b, size_t need)
{
	size_t	 cap;
	char	*p;

	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return ERR_NOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* b = path[0..len) "/" name (path is not b's): 0 or ERR_NOMEM. */
static int
pbuf_set(struct pbuf *b, const char *path, size_t len, const char *name)
{
	size_t	n = strlen(name);

	if (pbuf_room(b, len + 1 + n + 1) != 0)
		return ERR_NOMEM;
	memcpy(b->p, path, len);
	if (len == 1 && path[0] == '/')
		len = 0;		/* below "/" */
	b->p[len] = '/';
	memcpy(b->p + len + 1, name, n + 1);
	return 0;
}

/* ---- the heap of dirs to list, in walk order ---- */

/* Whether a comes before b in the walk: the one holding the other
 * first, else the order of their branches where they part. */
static int
dir_before(const struct dir *a, const struct dir *b)
{
	const struct dir	*x = a, *y = b;

	while (x->depth > y->depth)
		x = x->parent;
	while (y->depth > x->depth)
		y = y->parent;
	if (x == y)
		return a->depth < b->depth;
	while (x->parent != y->parent) {
		x = x->parent;
		y = y->parent;
	}
	return x->idx < y->idx;
}

static void
heap_swap(struct walk *w, size_t i, size_t j)
{
	struct dir	*t = w->heap[i];

	w->heap[i] = w->heap[j];
	w->heap[j] = t;
	w->heap[i]->heap = i;
	w->heap[j]->heap = j;
}

static void
heap_fix(struct walk *w, size_t i)
{
	size_t	l, m;

	while (i > 0 && dir_before(w->heap[i], w->heap[(i - 1) / 2])) {
		heap_swap(w, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		m = i;
		l = 2 * i + 1;
		if (l < w->nheap && dir_before(w->heap[l], w->heap[m]))
			m = l;
		if (l + 1 < w->nheap && dir_before(w->heap[l + 1], w->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		heap_swap(w, i, m);
		i = m;
	}
}

/* Caller holds mu. */
static int
heap_push(struct walk *w, struct dir *r)
{
	struct dir	**p;
	size_t		  cap;

	if (w->nheap == w->heapcap) {
		cap = w->heapcap ? w->heapcap * 2 : 64;
		if ((p = reallocarray(w->heap, cap, sizeof(*p))) == NULL)
			return ERR_NOMEM;
		w->heap = p;
		w->heapcap = cap;
	}
	r->heap = w->nheap;
	w->heap[w->nheap++] = r;
	heap_fix(w, r->heap);
	return 0;
}

/* Caller holds mu; r is in the heap. */
static void
heap_remove(struct walk *w, struct dir *r)
{
	size_t	i = r->heap;

	if (i != --w->nheap) {
		heap_swap(w, i, w->nheap);
		heap_fix(w, i);
	}
}

/* ---- dirs ---- */

static struct dir *
dir_new(struct dir *parent, const char *path, size_t len, size_t name)
{
	struct dir	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = malloc(len + 1)) == NULL) {
		free(r);
		return NULL;
	}
	memcpy(r->path, path, len + 1);
	r->fd = -1;
	r->len = len;
	r->name = name;
	r->parent = parent;
	if (parent != NULL) {
		r->depth = parent->depth + 1;
		r->idx = parent->nlisted;
	}
	return r;
}

/* Frees r and every dir it still holds (a stopped walk). */
static void
dir_free(struct dir *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		if (r->ents[i].kind == E_DIR)
			dir_free(r->ents[i].u.sub);
	if (r->d != NULL)
		(void)closedir(r->d);		/* and fd */
	else if (r->fd != -1)
		(void)close(r->fd);
	free(r->ents);
	free(r->names);
	free(r->path);
	free(r);
}

/* A new entry named name in r's batch; NULL when out of memory. */
static struct ent *
ent_add(struct dir *r, const char *name, int kind)
{
	size_t	 n = strlen(name) + 1, cap;
	void	*p;

	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 16;
		if ((p = reallocarray(r->ents, cap, sizeof(*r->ents))) == NULL)
			return NULL;
		r->ents = p;
		r->cap = cap;
	}
	if (n > r->ncap - r->nlen) {
		cap = r->ncap ? r->ncap : 512;
		while (cap - r->nlen < n)
			cap *= 2;
		if ((p = realloc(r->names, cap)) == NULL)
			return NULL;
		r->names = p;
		r->ncap = cap;
	}
	memcpy(r->names + r->nlen, name, n);
	memset(&r->ents[r->n], 0, sizeof(r->ents[r->n]));
	r->ents[r->n].name = r->nlen;
	r->ents[r->n].kind = kind;
	r->nlen += n;
	return &r->ents[r->n++];
}

static void
skipped(struct treewalk_skipped *sk, enum treewalk_skip what,
    enum safeopen_what sw, int err, mode_t mode, enum mountinfo_kind kind)
{
	memset(sk, 0, sizeof(*sk));
	sk->what = what;
	sk->why.what = sw;
	sk->why.err = err;
	sk->why.mode = mode;
	sk->why.kind = kind;
}

/* ---- listing ---- */

/* Whether a helper may list a folder more now. Caller holds mu. */
static int
room(const struct walk *w)
{
	return w->nheap > 0 && w->open < TREEWALK_AHEAD_DIRS &&
	    w->entries < TREEWALK_AHEAD_ENTRIES;
}

/* The folder above r that r is (a bind mount of it inside itself), or
 * NULL. */
static const struct dir *
loop_of(const struct dir *r)
{
	const struct dir	*a;

	for (a = r->parent; a != NULL; a = a->parent)
		if (a->dev == r->dev && a->ino == r->ino)
			return a;
	return NULL;
}

/* Take the open folder fd (taken) as r's: its identity, the loop check,
 * the DIR. On failure r->fd stays -1 and r->sk says why. */
static void
dir_take(struct dir *r, int fd)
{
	struct statx		 sx;
	const struct dir	*same;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO |
	    STATX_MNT_ID, &sx) == -1) {
		skipped(&r->sk, TREEWALK_UNREADABLE, SAFEOPEN_ERRNO, errno,
		    S_IFDIR, 0);
		(void)close(fd);
		return;
	}
	r->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	r->ino = (ino_t)sx.stx_ino;
	r->mnt = (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0;
	if ((same = loop_of(r)) != NULL) {
		skipped(&r->sk, TREEWALK_LOOP, SAFEOPEN_ERRNO, ELOOP, S_IFDIR,
		    0);
		r->sk.same = same->path;	/* outlives r's report */
		(void)close(fd);
		return;
	}
	if ((r->d = fdopendir(fd)) == NULL) {
		skipped(&r->sk, TREEWALK_UNREADABLE, SAFEOPEN_ERRNO, errno,
		    S_IFDIR, 0);
		(void)close(fd);
		return;
	}
	r->fd = fd;
}

/* Open r, named name in the folder dfd (its parent's, or AT_FDCWD for
 * an absolute start). A folder gone, or no longer a folder (a link
 * now), has nothing to walk and nothing to say. */
static void
dir_open(struct walk *w, struct dir *r, int dfd, const char *name)
{
	struct safeopen_why	why;
	int			fd;

	if (safeopen_dir(&fd, w->mt, dfd, name, &why) == 0) {
		dir_take(r, fd);
		return;
	}
	if (why.what == SAFEOPEN_XDEV)
		skipped(&r->sk, TREEWALK_XDEV, why.what, why.err, 0, why.kind);
	else if (why.what == SAFEOPEN_ERRNO)
		skipped(&r->sk, TREEWALK_UNREADABLE, why.what, why.err,
		    S_IFDIR, 0);
}

/* One entry (named name, at path) of r, examined and added to the batch:
 * 0, or ERR_NOMEM. */
static int
list_entry(struct walk *w, struct dir *r, const char *name,
    const struct pbuf *path)
{
	struct statx		 sx;
	struct ent		*e;
	struct dir		*sub;
	enum mountinfo_kind	 kind = MOUNTINFO_OTHER;
	size_t			 len;

	if (statx(r->fd, name, STATX_FLAGS, STATX_WANT, &sx) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;	/* gone since the listing */
		if ((e = ent_add(r, name, E_SKIP)) == NULL)
			return ERR_NOMEM;
		skipped(&e->u.sk, TREEWALK_UNREADABLE, SAFEOPEN_ERRNO, errno, 0,
		    0);
		return 0;
	}
	if (S_ISDIR(sx.stx_mode) && r->depth >= TREEWALK_DEPTH) {
		if ((e = ent_add(r, name, E_SKIP)) == NULL)
			return ERR_NOMEM;
		skipped(&e->u.sk, TREEWALK_DEEP, SAFEOPEN_ERRNO, ELOOP, S_IFDIR,
		    0);
		return 0;
	}
	if (S_ISDIR(sx.stx_mode)) {
		len = strlen(path->p);
		if ((sub = dir_new(r, path->p, len, len - strlen(name))) ==
		    NULL)
			return ERR_NOMEM;
		if ((e = ent_add(r, name, E_DIR)) == NULL) {
			dir_free(sub);
			return ERR_NOMEM;
		}
		e->u.sub = sub;
		return 0;
	}
	if (S_ISLNK(sx.stx_mode))
		return 0;	/* never followed, never reported */
	if (!S_ISREG(sx.stx_mode)) {	/* FIFOs, sockets, devices */
		if (w->cb->other == NULL)
			return 0;
		if ((e = ent_add(r, name, E_OTHER)) == NULL)
			return ERR_NOMEM;
		to_fstate(&e->u.fs, &sx);
		return 0;
	}
	/* a file mounted over a name (a bind mount): another file system */
	if ((sx.stx_mask & STATX_MNT_ID) && r->mnt != 0 &&
	    sx.stx_mnt_id != r->mnt && (w->mt == NULL ||
	    !mounttab_enter(w->mt, sx.stx_mnt_id, &kind))) {
		if ((e = ent_add(r, name, E_SKIP)) == NULL)
			return ERR_NOMEM;
		skipped(&e->u.sk, TREEWALK_XDEV, SAFEOPEN_XDEV, 0, 0, kind);
		return 0;
	}
	if ((e = ent_add(r, name, E_FILE)) == NULL)
		return ERR_NOMEM;
	to_fstate(&e->u.fs, &sx);
	return 0;
}

/* r is read to the end: its DIR (and buffer) closed, a descriptor kept
 * to open its entries by. Kept as it is if the descriptor cannot be
 * duplicated. */
static void
dir_read(struct dir *r)
{
	int	fd;

	if ((fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return;
	(void)closedir(r->d);
	r->d = NULL;
	r->fd = fd;
}

/*
 * The next batch of r's entries (the previous one walked and its dirs
 * freed): up to TREEWALK_LIST, read into r->ents. Excluded entries are
 * left out here, on the lister's thread. Sets eof, read_err, nomem.
 */
static int
ent_cmp(const void *a, const void *b, void *names)
{
	return strcmp((const char *)names + ((const struct ent *)a)->name,
	    (const char *)names + ((const struct ent *)b)->name);
}

/* The batch in the order of its names (byte order, as fts and ls -f
 * would give; readdir's own order is a hash's on ext4), and
 * its subfolders' places in walk order after the batches before. */
static void
batch_sort(struct dir *r, size_t base)
{
	size_t	i;

	if (r->n < 2)
		return;
	qsort_r(r->ents, r->n, sizeof(*r->ents), ent_cmp, r->names);
	for (i = 0; i < r->n; i++)
		if (r->ents[i].kind == E_DIR)
			r->ents[i].u.sub->idx = base + i;
}

static void
list_batch(struct walk *w, struct dir *r, struct pbuf *path)
{
	struct dirent	*de;
	size_t		 base = r->nlisted;

	r->n = 0;
	r->nlen = 0;
	while (r->n < TREEWALK_LIST) {
		errno = 0;
		if ((de = readdir(r->d)) == NULL) {
			r->read_err = errno;
			r->eof = 1;
			dir_read(r);
			batch_sort(r, base);
			return;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (pbuf_set(path, r->path, r->len, de->d_name) != 0)
			goto nomem;
		if (w->cb->excluded != NULL &&
		    w->cb->excluded(w->arg, path->p))
			continue;
		if (list_entry(w, r, de->d_name, path) != 0)
			goto nomem;
		r->nlisted++;
	}
	batch_sort(r, base);
	return;
nomem:
	r->nomem = 1;
	r->eof = 1;
}

/* Open r (unless it is the start, already open) and list its first
 * batch. */
static void
list_first(struct walk *w, struct dir *r, struct pbuf *path)
{
	if (r->parent != NULL)
		dir_open(w, r, r->parent->fd, r->path + r->name);
	if (r->d != NULL)
		list_batch(w, r, path);
}

/* r has been listed (its first batch, or the next one by the walk):
 * count it, queue its subfolders for the helpers, wake whoever waits.
 * Caller holds mu. 1 if a helper more is wanted. */
static int
listed(struct walk *w, struct dir *r)
{
	size_t	i;

	r->state = D_LISTED;
	w->entries += r->n;
	if (r->fd == -1)
		w->open--;
	/* a subfolder that cannot be queued stays D_NEW: the walk lists
	 * it when it gets there */
	for (i = 0; i < r->n && w->max > 0; i++)
		if (r->ents[i].kind == E_DIR && r->ents[i].u.sub != NULL &&
		    heap_push(w, r->ents[i].u.sub) == 0)
			r->ents[i].u.sub->state = D_PENDING;
	(void)pthread_cond_broadcast(&w->done);
	if (room(w))
		(void)pthread_cond_broadcast(&w->work);
	return w->nheap > 0 && w->idle == 0 && w->nhelpers < w->max;
}

/* ---- helpers ---- */

static void *
helper(void *arg)
{
	struct walk	*w = arg;
	struct pbuf	 path = { NULL, 0 };
	struct dir	*r;

	(void)pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && !room(w)) {
			w->idle++;
			(void)pthread_cond_wait(&w->work, &w->mu);
			w->idle--;
		}
		if (w->stop)
			break;
		r = w->heap[0];
		heap_remove(w, r);
		r->state = D_LISTING;
		w->open++;
		(void)pthread_mutex_unlock(&w->mu);
		list_first(w, r, &path);
		(void)pthread_mutex_lock(&w->mu);
		(void)listed(w, r);
	}
	(void)pthread_mutex_unlock(&w->mu);
	free(path.p);
	return NULL;
}

/* Start one helper more; done without if it cannot be. Caller (the
 * walk) holds mu. */
static void
spawn(struct walk *w)
{
	if (pthread_create(&w->tid[w->nhelpers], NULL, helper, w) == 0)
		w->nhelpers++;
	else
		w->max = w->nhelpers;
}

/* ---- the walk ---- */

/* r, a folder the walk has reached: listed, by a helper or here. */
static void
get(struct walk *w, struct dir *r)
{
	int	mine = 0;

	(void)pthread_mutex_lock(&w->mu);
	if (r->state == D_NEW || r->state == D_PENDING) {
		if (r->state == D_PENDING)
			heap_remove(w, r);
		r->state = D_LISTING;
		w->open++;
		mine = 1;
	}
	while (!mine && r->state != D_LISTED)
		(void)pthread_cond_wait(&w->done, &w->mu);
	(void)pthread_mutex_unlock(&w->mu);
	if (!mine)
		return;
	list_first(w, r, &w->scratch);
	(void)pthread_mutex_lock(&w->mu);
	if (listed(w, r))
		spawn(w);
	(void)pthread_mutex_unlock(&w->mu);
}

/* The walk is done with r's batch: the next one, read here. */
static void
next_batch(struct walk *w, struct dir *r)
{
	(void)pthread_mutex_lock(&w->mu);
	w->entries -= r->n;
	(void)pthread_mutex_unlock(&w->mu);
	list_batch(w, r, &w->scratch);
	(void)pthread_mutex_lock(&w->mu);
	if (listed(w, r))
		spawn(w);
	(void)pthread_mutex_unlock(&w->mu);
}

/* The walk is done with r (all its entries, or it was not entered):
 * freed, and its room given to the helpers. */
static void
finish(struct walk *w, struct dir *r)
{
	(void)pthread_mutex_lock(&w->mu);
	w->entries -= r->n;
	if (r->fd != -1)
		w->open--;
	if (room(w))
		(void)pthread_cond_signal(&w->work);
	(void)pthread_mutex_unlock(&w->mu);
	dir_free(r);
}

static void
report(struct walk *w, const char *path, const struct treewalk_skipped *sk)
{
	w->st->skipped++;
	w->cb->skip(w->arg, path, sk);
}

/* Enter the folder r, whose path is in w->path: pushed on the stack, or
 * reported if there is something to say, and freed. */
static void
enter(struct walk *w, struct dir *r)
{
	get(w, r);
	if (r->fd == -1) {
		if (r->sk.what != 0)
			report(w, w->path.p, &r->sk);
		finish(w, r);
		return;
	}
	w->st->folders++;
	w->stack[w->depth++] = r;
}

/* One entry of r, at w->path. 0, or 1 to stop. */
static int
walk_entry(struct walk *w, struct dir *r, struct ent *e)
{
	struct dir	*sub;
	struct stat	 st;

	if (w->cb->step(w->arg, w->path.p)) {
		w->st->stopped = 1;
		return 1;
	}
	switch (e->kind) {
	case E_FILE:
		w->st->files++;
		to_stat(&st, &e->u.fs);
		w->cb->file(w->arg, r->fd, r->names + e->name, w->path.p,
		    strlen(w->path.p), &st);
		break;
	case E_SKIP:
		report(w, w->path.p, &e->u.sk);
		break;
	case E_OTHER:
		to_stat(&st, &e->u.fs);
		w->cb->other(w->arg, w->path.p, &st);
		break;
	default:
		sub = e->u.sub;
		e->u.sub = NULL;	/* the walk's now */
		enter(w, sub);
		break;
	}
	return 0;
}

/* r's batch is walked: say why its listing ended early, if it did, and
 * read on, or leave it. 0, or ERR_NOMEM. */
static int
batch_done(struct walk *w, struct dir *r, size_t *pos)
{
	struct treewalk_skipped	sk;

	if (r->nomem)
		return ERR_NOMEM;
	if (r->read_err != 0) {
		skipped(&sk, TREEWALK_UNREADABLE, SAFEOPEN_ERRNO, r->read_err,
		    S_IFDIR, 0);
		r->read_err = 0;
		report(w, r->path, &sk);
	}
	if (!r->eof) {
		next_batch(w, r);
		*pos = 0;
	} else {
		w->depth--;
		finish(w, r);
	}
	return 0;
}

/* The walk proper, from the folder on the stack. 0, 1 stopped, or
 * ERR_NOMEM. */
static int
walk_all(struct walk *w)
{
	struct dir	*r;
	size_t		 pos[TREEWALK_DEPTH + 1];
	int		 rc, depth;

	pos[0] = 0;
	while ((depth = w->depth) > 0) {
		r = w->stack[depth - 1];
		if (pos[depth - 1] == r->n) {
			if ((rc = batch_done(w, r, &pos[depth - 1])) != 0)
				return rc;
			continue;
		}
		if (pbuf_set(&w->path, r->path, r->len, r->names +
		    r->ents[pos[depth - 1]].name) != 0)
			return ERR_NOMEM;
		if (walk_entry(w, r, &r->ents[pos[depth - 1]++]) != 0)
			return 1;
		if (w->depth > depth)
			pos[depth] = 0;		/* a subfolder entered */
	}
	return 0;
}

/* Stop the helpers and free what the walk left. */
static void
walk_end(struct walk *w)
{
	int	i;

	(void)pthread_mutex_lock(&w->mu);
	w->stop = 1;
	(void)pthread_cond_broadcast(&w->work);
	(void)pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->nhelpers; i++)
		(void)pthread_join(w->tid[i], NULL);
	while (w->depth > 0)
		dir_free(w->stack[--w->depth]);
	(void)pthread_cond_destroy(&w->done);
	(void)pthread_cond_destroy(&w->work);
	(void)pthread_mutex_destroy(&w->mu);
	free(w->heap);
	free(w->stack);
	free(w->path.p);
	free(w->scratch.p);
}

static int
walk_init(struct walk *w, struct mounttab *mt, int helpers,
    const struct treewalk_cb *cb, void *arg, struct treewalk_stats *st)
{
	memset(st, 0, sizeof(*st));
	memset(w, 0, sizeof(*w));
	w->cb = cb;
	w->arg = arg;
	w->mt = mt;
	w->st = st;
	w->max = helpers < 0 ? 0 : helpers > TREEWALK_HELPERS_MAX ?
	    TREEWALK_HELPERS_MAX : helpers;
	if ((w->stack = calloc(TREEWALK_DEPTH + 1, sizeof(*w->stack))) ==
	    NULL)
		return ERR_NOMEM;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&w->work, NULL) != 0) {
		(void)pthread_mutex_destroy(&w->mu);
		goto fail;
	}
	if (pthread_cond_init(&w->done, NULL) != 0) {
		(void)pthread_cond_destroy(&w->work);
		(void)pthread_mutex_destroy(&w->mu);
		goto fail;
	}
	return 0;
fail:
	free(w->stack);
	return ERR_NOMEM;
}

/* Walk from root (opened or not: root->d, root->sk), which is taken. */
static int
walk_from(struct walk *w, struct dir *root)
{
	int	rc = 0;

	if (w->cb->step(w->arg, root->path)) {
		w->st->stopped = 1;
		dir_free(root);
	} else if (pbuf_room(&w->path, root->len + 1) != 0) {
		dir_free(root);
		rc = ERR_NOMEM;
	} else {
		memcpy(w->path.p, root->path, root->len + 1);
		enter(w, root);
		rc = walk_all(w);
	}
	walk_end(w);
	return rc == 1 ? 0 : rc;
}

int
treewalk(const char *root, struct mounttab *mt, int helpers,
    const struct treewalk_cb *cb, void *arg, struct treewalk_stats *st)
{
	struct walk	 w;
	struct dir	*r;

	if (walk_init(&w, mt, helpers, cb, arg, st) != 0)
		return ERR_NOMEM;
	if ((r = dir_new(NULL, root, strlen(root), 0)) == NULL) {
		walk_end(&w);
		return ERR_NOMEM;
	}
	dir_open(&w, r, AT_FDCWD, root);
	return walk_from(&w, r);
}

int
treewalk_fd(int fd, const char *path, struct mounttab *mt, int helpers,
    const struct treewalk_cb *cb, void *arg, struct treewalk_stats *st)
{
	struct walk	 w;
	struct dir	*r;
	int		 dfd;

	if (walk_init(&w, mt, helpers, cb, arg, st) != 0)
		return ERR_NOMEM;
	if ((r = dir_new(NULL, path, strlen(path), 0)) == NULL) {
		walk_end(&w);
		return ERR_NOMEM;
	}
	/* a reading position of its own */
	if ((dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		skipped(&r->sk, TREEWALK_UNREADABLE, SAFEOPEN_ERRNO, errno,
		    S_IFDIR, 0);
	else
		dir_take(r, dfd);
	return walk_from(&w, r);
}

const char *
treewalk_reason(const struct treewalk_skipped *sk, char *buf, size_t len)
{
	char	r[128];

	switch (sk->what) {
	case TREEWALK_XDEV:
		(void)snprintf(buf, len, "a mount point, %s",
		    safeopen_reason(&sk->why, r, sizeof(r)));
		break;
	case TREEWALK_DEEP:
		(void)snprintf(buf, len, "a folder nested more than %d levels "
		    "below where the walk started: not walked",
		    TREEWALK_DEPTH);
		break;
	case TREEWALK_LOOP:
		(void)snprintf(buf, len, "a folder loop: the same folder as "
		    "%s", sk->same != NULL ? sk->same : "one above it");
		break;
	default:
		(void)snprintf(buf, len, "%s: %s", sk->why.mode == S_IFDIR ?
		    "a folder that cannot be read" : "cannot be examined",
		    safeopen_reason(&sk->why, r, sizeof(r)));
		break;
	}
	return buf;
}
