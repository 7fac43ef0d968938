/*
 * test_watch.c: the file watcher, against the real kernel.
 *
 * Each test makes a temporary tree (under $VIGIL_TEST_TMP, else /tmp),
 * writes into it and runs the event loop until the expected report
 * arrives or a deadline passes; alarm() guards against any hang.
 * inotify (forced): a written file is reported once; files in folders
 * made after the start are covered (reported, or their folder rescanned);
 * exclusions; renames into the tree; folders renamed inside it keep
 * being watched under their new path, removed and moved-out ones drop
 * their watches; a queue overflow is followed by a rescan of the roots
 * and a resync (folders made or removed meanwhile);
 * names that are not UTF-8 and trees deeper than PATH_MAX; the watch
 * limit (ENOSPC, in a user namespace with a lowered limit of its own:
 * the machine's setting is not touched); usage errors.
 * Renames, with both backends (issue 8, item 7): a download written as
 * x.part and renamed is reported under its final name; a file moved in
 * from outside the tree; a folder moved in or renamed inside is
 * rescanned.
 * As root: mounts appearing under a root (and at an absent root) and
 * going away again (uncovering the folder beneath), with both backends;
 * mounts the table refuses (a FUSE mount whose server never answers,
 * the kernel's proc) are never touched, with both backends (item 9);
 * fanotify: a child's write reported by path, writes outside the root,
 * excluded or by ourselves filtered, a file deleted before the read, and
 * overflow; files deeper than PATH_MAX reported whole, and deeper than
 * WATCH_PATH_MAX by the end of their path (item 10); and in a chroot
 * whose root is a plain folder, the mount holding the root is marked
 * although the mount table does not list it. Without root these skip,
 * saying why.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/event.h>

#include "err.h"
#include "log.h"
#include "testutil.h"
#include "watch.h"

#define TEST_ALARM_S	60
#define MAX_MOUNTS	4

struct rep {
	char		*path;
	size_t		 len;
	unsigned	 flags;
	pid_t		 pid;
	int		 fd;		/* as given */
	int		 fd_reg;	/* fstat(fd) worked, a regular file */
	int		 fd_same;	/* ... and stat(path) is that file */
};

struct resc {
	char		*path;
	int		 why;
};

struct ctx {
	struct event_base	*base;
	struct watch		*w;
	char			 tmp[PATH_MAX];		/* tmpdir_make, canonical */
	char			 root[PATH_MAX];	/* tmp/root */
	struct rep		*files;
	size_t			 nfiles, capfiles;
	struct resc		*rescans;
	size_t			 nrescans, caprescans;
	int			(*pred)(struct ctx *);
	const char		*want;
	int			 want_why;
	uint64_t		 want_n;
	int			 reenter_rc;		/* from a callback */
	char			 mounts[MAX_MOUNTS][PATH_MAX];
	int			 fuse[MAX_MOUNTS];	/* /dev/fuse, or -1 */
	int			 nmounts;
};

/* ---- helpers ---- */

static void
on_file(void *arg, const struct watch_event *ev)
{
	struct ctx	*c = arg;
	struct rep	*r;
	struct stat	 a, b;

	if (c->nfiles == c->capfiles) {
		c->capfiles = c->capfiles ? c->capfiles * 2 : 64;
		c->files = reallocarray(c->files, c->capfiles,
		    sizeof(*c->files));
		assert_non_null(c->files);
	}
	r = &c->files[c->nfiles++];
	memset(r, 0, sizeof(*r));
	assert_int_equal(strlen(ev->path), ev->pathlen);
	assert_true(ev->pathlen < WATCH_PATH_MAX);
	r->path = strndup(ev->path, ev->pathlen);
	assert_non_null(r->path);
	r->len = ev->pathlen;
	r->flags = ev->flags;
	r->pid = ev->pid;
	r->fd = ev->fd;
	if (ev->fd >= 0 && fstat(ev->fd, &a) == 0 && S_ISREG(a.st_mode)) {
		r->fd_reg = 1;
		r->fd_same = stat(ev->path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino;
	}
	c->reenter_rc = watch_add(c->w, "/");
}

static void
on_rescan(void *arg, const char *path, enum watch_why why)
{
	struct ctx	*c = arg;
	struct resc	*r;

	if (c->nrescans == c->caprescans) {
		c->caprescans = c->caprescans ? c->caprescans * 2 : 16;
		c->rescans = reallocarray(c->rescans, c->caprescans,
		    sizeof(*c->rescans));
		assert_non_null(c->rescans);
	}
	r = &c->rescans[c->nrescans++];
	r->path = strdup(path);
	assert_non_null(r->path);
	r->why = why;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct ctx	*c = arg;

	if (c->pred != NULL && c->pred(c))
		event_base_loopbreak(c->base);
}

static void
deadline(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Run the loop until pred holds or ms pass; pred's final value. */
static int
run_until(struct ctx *c, int (*pred)(struct ctx *), int ms)
{
	struct timeval	 iv = { 0, 5000 }, to = { ms / 1000,
			     (ms % 1000) * 1000 };
	struct event	*t, *d;

	if (pred(c))
		return 1;
	t = event_new(c->base, -1, EV_PERSIST, tick, c);
	d = evtimer_new(c->base, deadline, c->base);
	assert_non_null(t);
	assert_non_null(d);
	c->pred = pred;
	assert_int_equal(event_add(t, &iv), 0);
	assert_int_equal(event_add(d, &to), 0);
	assert_true(event_base_dispatch(c->base) >= 0);
	event_free(t);
	event_free(d);
	c->pred = NULL;
	return pred(c);
}

static int
never(struct ctx *c)
{
	return 0;
}

static void
settle(struct ctx *c, int ms)
{
	(void)run_until(c, never, ms);
}

static size_t
count_file(const struct ctx *c, const char *path)
{
	size_t	i, n = 0;

	for (i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, path) == 0)
			n++;
	return n;
}

static const struct rep *
find_file(const struct ctx *c, const char *path)
{
	size_t	i;

	for (i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, path) == 0)
			return &c->files[i];
	return NULL;
}

static int
has_rescan(const struct ctx *c, const char *path, int why)
{
	size_t	i;

	for (i = 0; i < c->nrescans; i++)
		if (strcmp(c->rescans[i].path, path) == 0 &&
		    (why == 0 || c->rescans[i].why == why))
			return 1;
	return 0;
}

/* path was reported, or a folder holding it was rescanned */
static int
covered(const struct ctx *c, const char *path)
{
	size_t	i, n;

	if (count_file(c, path) > 0)
		return 1;
	for (i = 0; i < c->nrescans; i++) {
		n = strlen(c->rescans[i].path);
		if (strncmp(path, c->rescans[i].path, n) == 0 &&
		    path[n] == '/')
			return 1;
	}
	return 0;
}

static int
pred_file(struct ctx *c)
{
	return count_file(c, c->want) > 0;
}

static int
pred_covered(struct ctx *c)
{
	return covered(c, c->want);
}

static int
pred_rescan(struct ctx *c)
{
	return has_rescan(c, c->want, c->want_why);
}

static int
pred_watches(struct ctx *c)
{
	struct watch_stats	st;

	watch_stats(c->w, &st);
	return st.watches == c->want_n;
}

static int
pred_toolong(struct ctx *c)
{
	struct watch_stats	st;

	watch_stats(c->w, &st);
	return st.toolong >= c->want_n;
}

static int
wait_file(struct ctx *c, const char *path, int ms)
{
	c->want = path;
	return run_until(c, pred_file, ms);
}

static int
wait_rescan(struct ctx *c, const char *path, int why, int ms)
{
	c->want = path;
	c->want_why = why;
	return run_until(c, pred_rescan, ms);
}

static int
wait_watches(struct ctx *c, uint64_t n, int ms)
{
	c->want_n = n;
	return run_until(c, pred_watches, ms);
}

static uint64_t
watches(const struct ctx *c)
{
	struct watch_stats	st;

	watch_stats(c->w, &st);
	return st.watches;
}

static const char *
join(char out[static PATH_MAX], const char *dir, const char *name)
{
	int	n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	assert_true(n > 0 && n < PATH_MAX);
	return out;
}

static void
write_file(const char *path, const char *data)
{
	assert_int_equal(tmpdir_put(path, data), 0);
}

/* Write from another process: fanotify drops our own writes. */
static void
child_write(const char *path, int and_unlink)
{
	pid_t	pid;
	int	status, fd;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, "x\n", 2) != 2 || close(fd) != 0)
			_exit(1);
		if (and_unlink && unlink(path) != 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
mkpath(const char *path)
{
	char	b[PATH_MAX], *p;

	assert_true(strlen(path) < sizeof(b));
	strcpy(b, path);	/* length checked */
	for (p = b + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(mkdir(b, 0700) == 0 || errno == EEXIST);
		*p = '/';
	}
	assert_true(mkdir(b, 0700) == 0 || errno == EEXIST);
}

static int
try_mount(struct ctx *c, const char *path)
{
	assert_true(c->nmounts < MAX_MOUNTS);
	if (mount("tmpfs", path, "tmpfs", 0, "size=1m,mode=0700") != 0)
		return -1;
	c->fuse[c->nmounts] = -1;
	strcpy(c->mounts[c->nmounts++], path);	/* < PATH_MAX */
	return 0;
}

/* A mount of type (proc, ...) or, with type NULL, a FUSE mount whose
 * server never answers. */
static int
try_mount_kind(struct ctx *c, const char *type, const char *path)
{
	int	fd = -1;

	assert_true(c->nmounts < MAX_MOUNTS);
	if (type == NULL ? (fd = tmpdir_fuse_dead(path)) == -1 :
	    mount(type, path, type, 0, NULL) != 0)
		return -1;
	c->fuse[c->nmounts] = fd;
	strcpy(c->mounts[c->nmounts++], path);	/* < PATH_MAX */
	return 0;
}

static void
do_umount(struct ctx *c, const char *path)
{
	int	i;

	assert_int_equal(umount(path), 0);
	for (i = 0; i < c->nmounts; i++) {
		if (strcmp(c->mounts[i], path) == 0) {
			memmove(c->mounts[i], c->mounts[i + 1],
			    (size_t)(c->nmounts - i - 1) * PATH_MAX);
			memmove(&c->fuse[i], &c->fuse[i + 1],
			    (size_t)(c->nmounts - i - 1) * sizeof(c->fuse[0]));
			c->nmounts--;
			return;
		}
	}
	fail();
}

static uint64_t
read_u64(const char *file, uint64_t dflt)
{
	char	 b[32];
	FILE	*f;

	if ((f = fopen(file, "r")) == NULL)
		return dflt;
	if (fgets(b, sizeof(b), f) == NULL) {
		fclose(f);
		return dflt;
	}
	fclose(f);
	return strtoull(b, NULL, 10);
}

static int
setup(void **state)
{
	struct ctx	*c;
	struct tmpdir	 t;

	alarm(TEST_ALARM_S);	/* SIGALRM kills a hung test: a failure */
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	/* canonical: removed by descriptors in teardown */
	if (tmpdir_make(&t, "watch") != 0 || realpath(t.path, c->tmp) == NULL)
		return -1;
	if (snprintf(c->root, sizeof(c->root), "%s/root", c->tmp) >=
	    (int)sizeof(c->root) || mkdir(c->root, 0700) != 0)
		return -1;
	if ((c->base = event_base_new()) == NULL)
		return -1;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx	*c = *state;
	size_t		 i;

	watch_free(c->w);
	while (c->nmounts > 0) {
		c->nmounts--;
		if (c->fuse[c->nmounts] != -1)
			close(c->fuse[c->nmounts]);	/* requests fail */
		(void)umount2(c->mounts[c->nmounts], MNT_DETACH);
	}
	tmpdir_rm_at(AT_FDCWD, c->tmp);
	event_base_free(c->base);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i].path);
	for (i = 0; i < c->nrescans; i++)
		free(c->rescans[i].path);
	free(c->files);
	free(c->rescans);
	free(c);
	alarm(0);
	return 0;
}

static void
start(struct ctx *c, int backend)
{
	struct watch_opts	o = { .backend = backend };

	assert_int_equal(watch_new(&c->w, c->base, &o, on_file, on_rescan,
	    c), 0);
	assert_non_null(c->w);
}

/* fanotify as root, or skip: saying why, since that is the only reason
 * to skip (not root, or a kernel before 5.9: no FAN_REPORT_DFID_NAME) */
static void
start_fanotify(struct ctx *c)
{
	if (geteuid() != 0) {
		print_message("skipped: fanotify needs root\n");
		skip();
	}
	start(c, WATCH_AUTO);
	if (strcmp(watch_backend_name(c->w), "fanotify") != 0) {
		print_message("skipped: fanotify unavailable here (Linux 5.9 "
		    "and CAP_SYS_ADMIN needed)\n");
		skip();
	}
}

static void
start_backend(struct ctx *c, int backend)
{
	if (backend == WATCH_FANOTIFY)
		start_fanotify(c);
	else
		start(c, backend);
}

/* Run fn(arg) in another process (fanotify drops our own changes). */
static void
in_child(int (*fn)(const char *, const char *), const char *a,
    const char *b)
{
	pid_t	pid;
	int	status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(a, b) == 0 ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int
do_rename(const char *a, const char *b)
{
	return rename(a, b);
}

/* write a, then rename it to b, as a browser finishes a download */
static int
do_download(const char *a, const char *b)
{
	int	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, "MZ", 2) != 2 || close(fd) != 0)
		return -1;
	return rename(a, b);
}

/* ---- inotify ---- */

static void
test_inotify_write(void **state)
{
	struct ctx		*c = *state;
	struct watch_stats	 st;
	char			 f[PATH_MAX];

	start(c, WATCH_INOTIFY);
	assert_string_equal(watch_backend_name(c->w), "inotify");
	assert_int_equal(watch_add(c->w, c->root), 0);
	assert_int_equal(watches(c), 1);

	write_file(join(f, c->root, "f.txt"), "hello\n");
	assert_true(wait_file(c, f, 1000));
	settle(c, 200);
	assert_int_equal(count_file(c, f), 1);
	assert_true(find_file(c, f)->flags & WATCH_EV_CLOSE_WRITE);
	assert_int_equal(find_file(c, f)->fd, -1);
	assert_int_equal(find_file(c, f)->pid, 0);
	/* callbacks may not call back in */
	assert_int_equal(c->reenter_rc, ERR_STATE);
	watch_stats(c->w, &st);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.overflows, 0);
	assert_int_equal(st.errors, 0);

	/* a second close is a second report: debouncing is not ours */
	write_file(f, "again\n");
	settle(c, 300);
	assert_int_equal(count_file(c, f), 2);
}

static void
test_inotify_nested(void **state)
{
	struct ctx	*c = *state;
	char		 abc[PATH_MAX], f[PATH_MAX], g[PATH_MAX];

	start(c, WATCH_INOTIFY);
	assert_int_equal(watch_add(c->w, c->root), 0);

	mkpath(join(abc, c->root, "a/b/c"));
	write_file(join(f, abc, "f"), "f\n");
	c->want = f;
	assert_true(run_until(c, pred_covered, 1000));
	assert_true(wait_watches(c, 4, 1000));	/* root, a, b, c */
	assert_true(c->nrescans > 0);
	assert_int_equal(c->rescans[0].why, WATCH_RESCAN_NEWDIR);

	/* now that c is watched, its files are reported one by one */
	write_file(join(g, abc, "g"), "g\n");
	assert_true(wait_file(c, g, 1000));
}

static void
test_inotify_exclude(void **state)
{
	struct ctx	*c = *state;
	char		 p[PATH_MAX], ok[PATH_MAX], glob[PATH_MAX];

	start(c, WATCH_INOTIFY);
	mkpath(join(p, c->root, "skip/deep"));
	mkpath(join(p, c->root, "keep/cache"));
	assert_int_equal(watch_exclude(c->w, "*.tmp"), 0);
	assert_int_equal(watch_exclude(c->w, join(p, c->root, "skip/")), 0);
	assert_int_equal(watch_exclude(c->w, join(glob, c->root, "*/cache")),
	    0);
	assert_int_equal(watch_exclude(c->w, ""), ERR_USAGE);
	assert_int_equal(watch_exclude(c->w, "rel/path"), ERR_USAGE);
	assert_int_equal(watch_add(c->w, c->root), 0);
	assert_int_equal(watches(c), 2);	/* root, keep */

	assert_int_equal(watch_excluded(c->w, join(p, c->root, "a.tmp")), 1);
	assert_int_equal(watch_excluded(c->w, join(p, c->root, "d.tmp/x")), 1);
	assert_int_equal(watch_excluded(c->w, join(p, c->root, "skip")), 1);
	assert_int_equal(watch_excluded(c->w, join(p, c->root, "skip/z")), 1);
	assert_int_equal(watch_excluded(c->w, join(p, c->root, "skipper")), 0);
	assert_int_equal(watch_excluded(c->w, join(p, c->root,
	    "keep/cache/q/r")), 1);
	assert_int_equal(watch_excluded(c->w, join(p, c->root, "keep/q")), 0);
	assert_int_equal(watch_excluded(c->w, join(p, c->root, "a.tmp.txt")),
	    0);

	write_file(join(p, c->root, "a.tmp"), "x");
	write_file(join(p, c->root, "skip/s"), "x");
	write_file(join(p, c->root, "skip/deep/s"), "x");
	write_file(join(p, c->root, "keep/cache/k"), "x");
	mkpath(join(p, c->root, "new.tmp"));	/* excluded, made later */
	write_file(join(p, c->root, "new.tmp/in"), "x");
	write_file(join(ok, c->root, "keep/ok.txt"), "x");
	assert_true(wait_file(c, ok, 1000));
	settle(c, 200);
	assert_int_equal(c->nfiles, 1);
	assert_int_equal(c->nrescans, 0);
	assert_int_equal(watches(c), 2);

	/* an exclusion added later drops the watches it covers */
	assert_int_equal(watch_exclude(c->w, join(p, c->root, "keep")), 0);
	assert_int_equal(watches(c), 1);
	write_file(join(p, c->root, "keep/late"), "x");
	write_file(join(ok, c->root, "ok2"), "x");
	assert_true(wait_file(c, ok, 1000));
	settle(c, 100);
	assert_int_equal(c->nfiles, 2);
}

static void
test_inotify_moved_to(void **state)
{
	struct ctx	*c = *state;
	char		 out[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	char		 h[PATH_MAX], i[PATH_MAX];

	mkpath(join(out, c->tmp, "outside/d"));
	write_file(join(src, c->tmp, "outside/f"), "f\n");
	write_file(join(h, c->tmp, "outside/d/h"), "h\n");
	start(c, WATCH_INOTIFY);
	assert_int_equal(watch_add(c->w, c->root), 0);

	assert_int_equal(rename(src, join(dst, c->root, "g")), 0);
	assert_true(wait_file(c, dst, 1000));
	assert_true(find_file(c, dst)->flags & WATCH_EV_MOVED_TO);

	/* a folder moved in: watched, and rescanned for what it holds */
	assert_int_equal(rename(out, join(dst, c->root, "d")), 0);
	join(h, dst, "h");
	assert_true(wait_rescan(c, dst, WATCH_RESCAN_NEWDIR, 1000));
	assert_true(covered(c, h));
	assert_int_equal(watches(c), 2);
	write_file(join(i, dst, "i"), "i\n");
	assert_true(wait_file(c, i, 1000));
}

static void
test_inotify_rmdir(void **state)
{
	struct ctx		*c = *state;
	struct watch_stats	 st;
	char			 p[PATH_MAX], q[PATH_MAX], y[PATH_MAX];

	mkpath(join(p, c->root, "sub"));
	mkpath(join(p, c->root, "sub2/inner"));
	start(c, WATCH_INOTIFY);
	assert_int_equal(watch_add(c->w, c->root), 0);
	assert_int_equal(watches(c), 4);

	assert_int_equal(rmdir(join(p, c->root, "sub")), 0);
	assert_true(wait_watches(c, 3, 1000));

	/* renamed within the tree: same watches, new paths */
	assert_int_equal(rename(join(p, c->root, "sub2"),
	    join(q, c->root, "sub3")), 0);
	settle(c, 100);
	assert_int_equal(watches(c), 3);
	write_file(join(y, c->root, "sub3/inner/w"), "w");
	assert_true(wait_file(c, y, 1000));
	assert_int_equal(c->nfiles, 1);

	/* moved out of the tree: no longer ours */
	assert_int_equal(rename(join(p, c->root, "sub3"),
	    join(q, c->tmp, "gone2")), 0);
	assert_true(wait_watches(c, 1, 1000));
	write_file(join(p, c->tmp, "gone2/inner/x"), "x");
	write_file(join(y, c->root, "y"), "y");
	assert_true(wait_file(c, y, 1000));
	settle(c, 200);
	assert_int_equal(c->nfiles, 2);
	watch_stats(c->w, &st);
	assert_int_equal(st.watches, 1);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.unwatched, 0);
}

static void
test_inotify_overflow(void **state)
{
	struct ctx		*c = *state;
	struct watch_stats	 st;
	char			 a[PATH_MAX], b[PATH_MAX], z[PATH_MAX];
	uint64_t		 max, i;
	int			 fd;

	max = read_u64("/proc/sys/fs/inotify/max_queued_events", 16384);
	if (max > 1000000)
		skip();		/* too many to generate quickly */
	mkpath(join(z, c->root, "pre"));
	start(c, WATCH_INOTIFY);
	assert_int_equal(watch_add(c->w, c->root), 0);
	assert_int_equal(watches(c), 2);
	write_file(join(a, c->root, "a"), "a");
	write_file(join(b, c->root, "b"), "b");
	/* alternate, so that the kernel cannot merge neighbours */
	for (i = 0; i < max + 100; i++) {
		fd = open(i & 1 ? a : b, O_WRONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(close(fd), 0);
	}
	/* lost in the overflow: pre's IN_IGNORED, late's IN_CREATE */
	assert_int_equal(rmdir(join(z, c->root, "pre")), 0);
	mkpath(join(z, c->root, "late"));
	assert_true(wait_rescan(c, c->root, WATCH_RESCAN_OVERFLOW, 5000));
	watch_stats(c->w, &st);
	assert_true(st.overflows >= 1);
	assert_true(st.coalesced > 0);		/* a, b, a, b... per read */
	assert_true(count_file(c, a) >= 1 && count_file(c, b) >= 1);
	assert_true(count_file(c, a) < max / 4);
	/* the resync walked the tree again: late watched, pre forgotten */
	assert_int_equal(st.watches, 2);

	write_file(join(z, c->root, "late/z"), "z");
	assert_true(wait_file(c, z, 1000));
}

static void
test_inotify_names(void **state)
{
	static const char	 odd[] = "\xff\xfe\nname\\.bin";
	struct ctx		*c = *state;
	const struct rep	*r;
	char			 p[PATH_MAX];
	size_t			 i;
	int			 dfd, fd;

	start(c, WATCH_INOTIFY);
	assert_int_equal(watch_add(c->w, c->root), 0);

	/* a name that is not UTF-8, with a newline: the bytes as they are */
	write_file(join(p, c->root, odd), "x");
	assert_true(wait_file(c, p, 1000));
	r = find_file(c, p);
	assert_int_equal(r->len, strlen(c->root) + 1 + sizeof(odd) - 1);
	assert_memory_equal(r->path + strlen(c->root) + 1, odd,
	    sizeof(odd) - 1);

	/* a tree deeper than PATH_MAX, made by descriptors */
	dfd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	dfd = tmpdir_deepen(dfd, 24, NULL);	/* 24 * 201 > PATH_MAX */
	assert_true(dfd >= 0);
	fd = openat(dfd, "leaf", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	close(dfd);
	c->want_n = 1;
	assert_true(run_until(c, pred_toolong, 2000));
	settle(c, 100);
	for (i = 0; i < c->nfiles; i++)
		assert_true(c->files[i].len < PATH_MAX);
	assert_true(watches(c) > 1 && watches(c) < 1 + 24);
}

/* The child's part of test_inotify_enospc: in a user namespace of its
 * own, whose inotify watch limit (/proc/sys/user/max_inotify_watches)
 * it may lower without touching the machine's. No cmocka asserts here:
 * they would jump back into the parent's copy of the runner. 0 on
 * success, 77 to skip, else the failed step. */
static int
enospc_child(void *arg)
{
	struct ctx		*c = arg;
	struct watch_opts	 o = { .backend = WATCH_INOTIFY };
	struct watch_stats	 st;
	char			 p[PATH_MAX];
	int			 fd, i;

	if (unshare(CLONE_NEWUSER) != 0)
		return 77;
	if ((fd = open("/proc/sys/user/max_inotify_watches", O_WRONLY)) < 0)
		return 77;
	if (write(fd, "3", 1) != 1 || close(fd) != 0)
		return 77;
	for (i = 0; i < 6; i++) {
		if (snprintf(p, sizeof(p), "%s/d%d", c->root, i) >=
		    (int)sizeof(p) || mkdir(p, 0700) != 0)
			return 2;
	}
	if ((c->base = event_base_new()) == NULL ||
	    watch_new(&c->w, c->base, &o, on_file, on_rescan, c) != 0)
		return 3;
	if (watch_add(c->w, c->root) != 0)	/* root + 2 of 6 */
		return 4;
	watch_stats(c->w, &st);
	if (st.watches != 3 || st.unwatched != 4 || c->nrescans != 4)
		return 5;
	for (i = 0; i < 4; i++)
		if (c->rescans[i].why != WATCH_RESCAN_UNWATCHED)
			return 6;
	/* a folder made later cannot be watched either: reported */
	if (snprintf(p, sizeof(p), "%s/later", c->root) >= (int)sizeof(p) ||
	    mkdir(p, 0700) != 0)
		return 7;
	c->want = p;
	c->want_why = WATCH_RESCAN_UNWATCHED;
	if (!run_until(c, pred_rescan, 1000))
		return 8;
	watch_stats(c->w, &st);
	if (st.unwatched != 5 || st.watches != 3)
		return 9;
	return 0;
}

static void
test_inotify_enospc(void **state)
{
	int	rc;

	if ((rc = tmpdir_child(enospc_child, *state)) == 77) {
		print_message("skipped: no user namespace here (a chroot?)\n");
		skip();
	}
	assert_int_equal(rc, 0);
}

static void
test_usage(void **state)
{
	struct ctx		*c = *state;
	struct watch		*w = (struct watch *)1;
	struct watch_opts	 bad = { .backend = 7 };
	char			 p[PATH_MAX], longp[PATH_MAX + 10];

	assert_int_equal(watch_new(&w, NULL, NULL, on_file, on_rescan, c),
	    ERR_USAGE);
	assert_null(w);
	assert_int_equal(watch_new(&w, c->base, NULL, NULL, on_rescan, c),
	    ERR_USAGE);
	assert_int_equal(watch_new(&w, c->base, NULL, on_file, NULL, c),
	    ERR_USAGE);
	assert_int_equal(watch_new(&w, c->base, &bad, on_file, on_rescan, c),
	    ERR_USAGE);
	if (geteuid() != 0) {
		struct watch_opts fan = { .backend = WATCH_FANOTIFY };

		assert_int_equal(watch_new(&w, c->base, &fan, on_file,
		    on_rescan, c), ERR_IO);
		/* and automatic choice falls back to inotify */
		assert_int_equal(watch_new(&w, c->base, NULL, on_file,
		    on_rescan, c), 0);
		assert_string_equal(watch_backend_name(w), "inotify");
		watch_free(w);
	}
	watch_free(NULL);

	start(c, WATCH_INOTIFY);
	assert_int_equal(watch_add(c->w, "relative"), ERR_USAGE);
	write_file(join(p, c->tmp, "file"), "x");
	assert_int_equal(watch_add(c->w, p), ERR_USAGE);
	/* absent: ".." past what exists is taken as text (pathset.h) */
	assert_int_equal(watch_add(c->w, join(p, c->tmp, "no/../pe")), 0);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(watch_add(c->w, longp), ERR_TOOBIG);
	assert_int_equal(watch_exclude(c->w, longp), ERR_TOOBIG);
	/* absent is fine: watched once something is mounted there */
	assert_int_equal(watch_add(c->w, join(p, c->tmp, "media//usb/")), 0);
	assert_int_equal(watches(c), 0);
	assert_int_equal(watch_add(c->w, c->root), 0);
	mkpath(join(p, c->root, "sub"));
	assert_int_equal(watch_add(c->w, p), 0);	/* already covered */
	assert_int_equal(watches(c), 1);
	/* a parent takes over its children */
	assert_int_equal(watch_add(c->w, c->tmp), 0);
	assert_true(watches(c) >= 3);	/* tmp, root, sub */
}

/* ---- mounts (root only) ---- */

static void
mount_case(struct ctx *c, int backend)
{
	char	mnt[PATH_MAX], usb[PATH_MAX], pre[PATH_MAX], f[PATH_MAX];
	char	lbl[PATH_MAX];

	if (geteuid() != 0)
		skip();
	if (backend == WATCH_AUTO)
		start_fanotify(c);
	else
		start(c, backend);
	mkpath(join(mnt, c->root, "mnt"));
	mkpath(join(pre, c->root, "pre"));
	if (try_mount(c, pre) != 0)
		skip();		/* no mount permission here */
	assert_int_equal(watch_add(c->w, c->root), 0);
	assert_int_equal(watch_add(c->w, join(usb, c->tmp, "media/usb")), 0);
	assert_int_equal(try_mount(c, mnt), 0);
	assert_true(wait_rescan(c, mnt, WATCH_RESCAN_MOUNT, 2000));
	child_write(join(f, mnt, "f"), 0);
	assert_true(wait_file(c, f, 1000));

	/* unmounted: the folders beneath are watched too, also one that
	 * was covered from the start */
	do_umount(c, mnt);
	do_umount(c, pre);
	settle(c, 200);
	child_write(join(f, mnt, "h"), 0);
	assert_true(wait_file(c, f, 1000));
	child_write(join(f, pre, "h"), 0);
	assert_true(wait_file(c, f, 1000));

	/* a root that did not exist: watched from its mount on */
	mkpath(usb);
	assert_int_equal(try_mount(c, usb), 0);
	assert_true(wait_rescan(c, usb, WATCH_RESCAN_MOUNT, 2000));
	child_write(join(f, usb, "g"), 0);
	assert_true(wait_file(c, f, 1000));

	/* a stick whose label needs mountinfo's escapes (space, backslash,
	 * tab): the mount point comes back decoded */
	mkpath(join(lbl, c->root, "USB STICK\\2024\tx"));
	assert_int_equal(try_mount(c, lbl), 0);
	assert_true(wait_rescan(c, lbl, WATCH_RESCAN_MOUNT, 2000));
	child_write(join(f, lbl, "k"), 0);
	assert_true(wait_file(c, f, 1000));
	do_umount(c, lbl);
}

static void
test_mount_inotify(void **state)
{
	mount_case(*state, WATCH_INOTIFY);
}

static void
test_mount_fanotify(void **state)
{
	mount_case(*state, WATCH_AUTO);
}

/* ---- fanotify (root only) ---- */

static void
test_fanotify(void **state)
{
	struct ctx		*c = *state;
	const struct rep	*r;
	struct watch_stats	 st;
	char			 p[PATH_MAX], f[PATH_MAX], gone[PATH_MAX];
	size_t			 i;

	start_fanotify(c);
	mkpath(join(p, c->tmp, "outside"));
	assert_int_equal(watch_exclude(c->w, "*.tmp"), 0);
	assert_int_equal(watch_add(c->w, c->root), 0);
	assert_true(watches(c) >= 1);

	write_file(join(p, c->root, "own"), "ours");	/* same pid */
	child_write(join(p, c->tmp, "outside/o"), 0);	/* same mount */
	child_write(join(p, c->root, "x.tmp"), 0);	/* excluded */
	child_write(join(gone, c->root, "gone"), 1);	/* deleted at once */
	child_write(join(f, c->root, "f"), 0);
	assert_true(wait_file(c, f, 2000));
	settle(c, 300);

	r = find_file(c, f);
	assert_int_equal(count_file(c, f), 1);
	assert_int_equal(r->fd, -1);	/* handles: the kernel opened nothing */
	assert_true(r->flags & WATCH_EV_CLOSE_WRITE);
	assert_true(r->pid > 0 && r->pid != getpid());
	assert_int_equal(count_file(c, join(p, c->root, "own")), 0);
	assert_int_equal(count_file(c, join(p, c->tmp, "outside/o")), 0);
	assert_int_equal(count_file(c, join(p, c->root, "x.tmp")), 0);
	/* deleted before we read it: nothing left to report */
	assert_int_equal(count_file(c, gone), 0);
	watch_stats(c->w, &st);
	assert_true(st.filtered >= 4);
	assert_int_equal(st.errors, 0);
	/* the whole mount is ours to filter: someone else's flood may
	 * overflow the queue, nothing else may ask for a rescan */
	for (i = 0; i < c->nrescans; i++)
		assert_int_equal(c->rescans[i].why, WATCH_RESCAN_OVERFLOW);
}

static void
test_fanotify_overflow(void **state)
{
	struct ctx		*c = *state;
	struct watch_stats	 st;
	char			 many[PATH_MAX], p[PATH_MAX];
	uint64_t		 max, i;
	pid_t			 pid;
	int			 status, fd;

	start_fanotify(c);
	max = read_u64("/proc/sys/fs/fanotify/max_queued_events", 16384);
	if (max > 200000)
		skip();
	mkpath(join(many, c->root, "many"));
	assert_int_equal(watch_add(c->w, c->root), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (i = 0; i < max + 500; i++) {
			if (snprintf(p, sizeof(p), "%s/%llu", many,
			    (unsigned long long)i) >= (int)sizeof(p))
				_exit(1);
			if ((fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC,
			    0600)) < 0 || close(fd) != 0)
				_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(wait_rescan(c, c->root, WATCH_RESCAN_OVERFLOW, 10000));
	watch_stats(c->w, &st);
	assert_true(st.overflows >= 1);
	assert_true(st.events > 0);
}

/* ---- renames (issue 8, item 7) ---- */

static void
renames_case(struct ctx *c, int backend)
{
	char	out[PATH_MAX], part[PATH_MAX], fin[PATH_MAX], a[PATH_MAX];
	char	b[PATH_MAX], h[PATH_MAX];

	mkpath(join(out, c->tmp, "outside/d"));
	write_file(join(h, c->tmp, "outside/d/h"), "h");
	write_file(join(a, c->tmp, "outside/f"), "f");
	mkpath(join(b, c->root, "inner/sub"));
	start_backend(c, backend);
	assert_int_equal(watch_add(c->w, c->root), 0);

	/* a download: written as .part, renamed to its final name */
	in_child(do_download, join(part, c->root, "setup.exe.part"),
	    join(fin, c->root, "setup.exe"));
	assert_true(wait_file(c, fin, 2000));
	assert_true(find_file(c, fin)->flags & WATCH_EV_MOVED_TO);

	/* a file moved in from outside the tree */
	in_child(do_rename, a, join(fin, c->root, "g"));
	assert_true(wait_file(c, fin, 2000));
	assert_true(find_file(c, fin)->flags & WATCH_EV_MOVED_TO);

	/* a folder moved in: rescanned for what it holds */
	in_child(do_rename, join(out, c->tmp, "outside/d"),
	    join(b, c->root, "d"));
	assert_true(wait_rescan(c, b, WATCH_RESCAN_NEWDIR, 2000));

	/* a folder renamed inside the tree: rescanned, and still watched
	 * under its new name */
	in_child(do_rename, join(a, c->root, "inner"),
	    join(b, c->root, "renamed"));
	assert_true(wait_rescan(c, b, WATCH_RESCAN_NEWDIR, 2000));
	child_write(join(h, c->root, "renamed/sub/new"), 0);
	assert_true(wait_file(c, h, 2000));
}

static void
test_renames_inotify(void **state)
{
	renames_case(*state, WATCH_INOTIFY);
}

static void
test_renames_fanotify(void **state)
{
	renames_case(*state, WATCH_FANOTIFY);
}

/* ---- mounts the table refuses (item 9) ---- */

static void
refused_case(struct ctx *c, int backend)
{
	struct watch_stats	st;
	char			fuse[PATH_MAX], proc[PATH_MAX], late[PATH_MAX];
	char			f[PATH_MAX], other[PATH_MAX];

	if (geteuid() != 0) {
		print_message("skipped: mounts need root\n");
		skip();
	}
	mkpath(join(fuse, c->root, "fuse"));
	mkpath(join(proc, c->root, "proc"));
	mkpath(join(late, c->root, "late"));
	mkpath(join(other, c->tmp, "proc2"));
	if (try_mount_kind(c, NULL, fuse) != 0) {
		print_message("skipped: cannot mount FUSE here\n");
		skip();
	}
	assert_int_equal(try_mount_kind(c, "proc", proc), 0);
	start_backend(c, backend);
	/* neither walked, nor marked, nor stat'ed: the server never
	 * answers, and alarm() would end a test that waited for it */
	assert_int_equal(watch_add(c->w, c->root), 0);
	watch_stats(c->w, &st);
	assert_int_equal(st.refused, 2);

	/* one made later is refused too, and not reported for rescan */
	assert_int_equal(try_mount_kind(c, NULL, late), 0);
	settle(c, 300);
	assert_false(has_rescan(c, late, 0));
	watch_stats(c->w, &st);
	assert_int_equal(st.refused, 3);

	/* the rest of the tree is watched as before */
	child_write(join(f, c->root, "ok"), 0);
	assert_true(wait_file(c, f, 2000));

	/* a root on such a file system is not watched */
	assert_int_equal(try_mount_kind(c, "proc", other), 0);
	assert_int_equal(watch_add(c->w, join(f, other, "1")), ERR_IO);
}

static void
test_refused_inotify(void **state)
{
	refused_case(*state, WATCH_INOTIFY);
}

static void
test_refused_fanotify(void **state)
{
	refused_case(*state, WATCH_FANOTIFY);
}

/* ---- long paths (item 10) ---- */

static int	deep_fd = -1;	/* for the child: the deepest folder */

static int
do_deep_write(const char *name, const char *unused)
{
	int	fd = openat(deep_fd, name, O_WRONLY | O_CREAT | O_CLOEXEC,
		    0600);

	(void)unused;
	if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) != 0)
		return -1;
	return 0;
}

static int
pred_toolong_file(struct ctx *c)
{
	size_t	i;

	for (i = 0; i < c->nfiles; i++)
		if (c->files[i].flags & WATCH_EV_TOOLONG)
			return 1;
	return 0;
}

static void
test_fanotify_long(void **state)
{
	struct ctx		*c = *state;
	const struct rep	*r;
	char			*path, *want;
	size_t			 i;

	start_fanotify(c);
	assert_int_equal(watch_add(c->w, c->root), 0);
	assert_non_null(path = calloc(1, 100 * 202 + PATH_MAX));
	assert_non_null(want = calloc(1, 100 * 202 + PATH_MAX));
	strcpy(path, c->root);		/* < PATH_MAX */
	deep_fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(deep_fd >= 0);

	/* 30 levels: some 6,000 bytes, reported whole */
	deep_fd = tmpdir_deepen(deep_fd, 30, path);
	assert_true(deep_fd >= 0);
	in_child(do_deep_write, "leaf", NULL);
	sprintf(want, "%s/leaf", path);		/* sized above */
	assert_true(strlen(want) > PATH_MAX);
	assert_true(wait_file(c, want, 2000));
	r = find_file(c, want);
	assert_true(r->flags & WATCH_EV_CLOSE_WRITE);
	assert_false(r->flags & WATCH_EV_TOOLONG);

	/* 90 levels: past WATCH_PATH_MAX; reported by the end of its path */
	deep_fd = tmpdir_deepen(deep_fd, 60, path);
	assert_true(deep_fd >= 0);
	in_child(do_deep_write, "leaf2", NULL);
	assert_true(run_until(c, pred_toolong_file, 2000));
	for (i = 0; i < c->nfiles; i++) {
		if (!(c->files[i].flags & WATCH_EV_TOOLONG))
			continue;
		r = &c->files[i];
		assert_memory_equal(r->path, "/...", 4);
		assert_string_equal(r->path + r->len - 6, "/leaf2");
	}
	close(deep_fd);
	deep_fd = -1;
	free(path);
	free(want);
}

/* ---- a chroot whose root is a plain folder ---- */

/* The child's part: in a mount namespace of its own, chroot into a plain
 * folder (the mount holding it is outside, so the table does not list
 * it), with /proc bound in; the watcher must still mark the file system
 * holding its root. No cmocka asserts of its own. 0, 77 to skip (with
 * the reason on stderr), else the failed step. */
static int
chroot_child(void *arg)
{
	struct ctx		*c = arg;
	struct watch_opts	 o = { .backend = WATCH_FANOTIFY };
	char			 jail[PATH_MAX], p[PATH_MAX];
	pid_t			 pid;
	int			 status;

	if (snprintf(jail, sizeof(jail), "%s/jail", c->tmp) >=
	    (int)sizeof(jail) || mkdir(jail, 0700) != 0 ||
	    mkdir(join(p, jail, "proc"), 0700) != 0 ||
	    mkdir(join(p, jail, "watched"), 0700) != 0)
		return 2;
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("/proc", join(p, jail, "proc"), NULL, MS_BIND | MS_REC,
	    NULL) != 0 || chroot(jail) != 0 || chdir("/") != 0) {
		fprintf(stderr, "skipped: no mount namespace or chroot\n");
		return 77;
	}
	if ((c->base = event_base_new()) == NULL)
		return 3;
	if (watch_new(&c->w, c->base, &o, on_file, on_rescan, c) != 0) {
		fprintf(stderr, "skipped: no fanotify here\n");
		return 77;
	}
	if (watch_add(c->w, "/watched") != 0)
		return 4;
	if (watches(c) < 1)
		return 5;	/* nothing marked: the bug */
	if ((pid = fork()) == -1)
		return 6;
	if (pid == 0) {
		int fd = open("/watched/f", O_WRONLY | O_CREAT | O_CLOEXEC,
		    0600);

		_exit(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0 ?
		    0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 7;
	c->want = "/watched/f";
	if (!run_until(c, pred_file, 2000))
		return 8;
	return 0;
}

static void
test_fanotify_chroot(void **state)
{
	int	rc;

	if (geteuid() != 0) {
		print_message("skipped: chroot needs root\n");
		skip();
	}
	if ((rc = tmpdir_child(chroot_child, *state)) == 77)
		skip();
	assert_int_equal(rc, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inotify_write, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inotify_nested, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inotify_exclude, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inotify_moved_to, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inotify_rmdir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inotify_overflow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inotify_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inotify_enospc, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount_inotify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mount_fanotify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fanotify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fanotify_overflow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_renames_inotify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_renames_fanotify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_inotify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_fanotify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fanotify_long, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fanotify_chroot, setup,
		    teardown),
	};

	log_init("test_watch", LOG_LVL_WARN, 0);
	signal(SIGPIPE, SIG_IGN);
	/* as root: mounts made here (tmpfs, and FUSE mounts that never
	 * answer) stay in a mount namespace of our own, out of sight of
	 * anything else on the machine that walks the mount table */
	if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0)
		(void)mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
