/*
 * test_filemon.c: the daemon's file activity (agent/files/filemon.c)
 * against the real kernel, reading what it spools.
 *
 * Each test writes a config (its own data folder, a rule matching a
 * marker string, a watched folder), starts filemon on an event loop and
 * runs the loop until the expected events are in the spool or a deadline
 * passes; alarm() ends a test that hangs.
 *  - filemon_new's failures return an error and leave nothing (issue 8,
 *    item 12): a thread that cannot be started (pthread_create fails on
 *    demand: the test is linked with --wrap=pthread_create), a spool that
 *    cannot be opened, a data folder that cannot be written, no rules;
 *  - a folder swapped for a symbolic link between the event and the scan
 *    (item 8): to a root-only folder (its file is never scanned or
 *    reported under the user's path) and to a stand-in for /dev (its FIFO
 *    and device never opened): a scan event says why;
 *  - files deeper than PATH_MAX (item 10): scanned by descriptor, in real
 *    time (fanotify) and by the rescan at start; deeper than
 *    WATCH_PATH_MAX: a scan event says why;
 *  - a FUSE mount whose server never answers under the watched folder
 *    (item 9): not entered by default (an other_fs event), and scanning
 *    goes on; with remote_filesystems = yes the worker that enters it
 *    hangs, the watchdog gives it up (a stalled event), and another
 *    worker scans what comes next.
 *  - indicator lists (issue 10): a file whose SHA-256 is listed raises
 *    an IOC alert; a SIGHUP reload whose lists fail keeps the last good
 *    ones, one that loads new lists uses them. iocdb_load is wrapped
 *    (--wrap=iocdb_load) to load the test's lists instead of the
 *    configured ones, or to fail.
 */
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "err.h"
#include "filemon.h"
#include "ioc.h"
#include "log.h"
#include "spool.h"
#include "testutil.h"

#define TEST_ALARM_S	60
#define MARKER		"VIGIL-FILEMON-MARKER-5e1f"

/* ---- pthread_create, made to fail on demand ---- */

int	__real_pthread_create(pthread_t *, const pthread_attr_t *,
	    void *(*)(void *), void *);
int	__wrap_pthread_create(pthread_t *, const pthread_attr_t *,
	    void *(*)(void *), void *);

static int	fail_create;	/* fail the n-th call from now; 0: never */

int
__wrap_pthread_create(pthread_t *t, const pthread_attr_t *a,
    void *(*fn)(void *), void *arg)
{
	if (fail_create > 0 && --fail_create == 0)
		return EAGAIN;
	return __real_pthread_create(t, a, fn, arg);
}

/* ---- iocdb_load, pointed at the test's lists or made to fail ---- */

int	__real_iocdb_load(struct iocdb **, const char *const *, size_t,
	    void (*)(void *, const char *, unsigned, const char *), void *,
	    struct ioc_stats *);
int	__wrap_iocdb_load(struct iocdb **, const char *const *, size_t,
	    void (*)(void *, const char *, unsigned, const char *), void *,
	    struct ioc_stats *);

static const char	*ioc_list;	/* loaded instead; NULL: as asked */
static int		 ioc_fail;	/* 1: every load fails */

int
__wrap_iocdb_load(struct iocdb **out, const char *const *paths, size_t n,
    void (*bad)(void *, const char *, unsigned, const char *), void *ctx,
    struct ioc_stats *st)
{
	if (ioc_fail) {
		*out = NULL;
		return ERR_IO;
	}
	if (ioc_list != NULL)
		return __real_iocdb_load(out, &ioc_list, 1, bad, ctx, st);
	return __real_iocdb_load(out, paths, n, bad, ctx, st);
}

/* ---- fixture ---- */

struct ctx {
	struct tmpdir		 t;
	char			 data[PATH_MAX], rules[PATH_MAX];
	char			 watched[PATH_MAX], conf[PATH_MAX];
	struct event_base	*base;
	struct filemon		*fm;
	struct agent_config	 cfg;
	json_t			*events;	/* all read so far */
	uint64_t		 seen;		/* last seq read */
	char			 mounts[4][PATH_MAX];
	int			 fuse[4];
	int			 nmounts;
};

static int
setup(void **state)
{
	struct ctx	*c;
	char		 p[PATH_MAX];

	alarm(TEST_ALARM_S);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    tmpdir_make(&c->t, "filemon") != 0)
		return -1;
	tmpdir_path(c->data, sizeof(c->data), &c->t, "data");
	tmpdir_path(c->rules, sizeof(c->rules), &c->t, "rules");
	tmpdir_path(c->watched, sizeof(c->watched), &c->t, "watched");
	tmpdir_path(c->conf, sizeof(c->conf), &c->t, "agent.conf");
	if (mkdir(c->data, 0700) != 0 || mkdir(c->rules, 0700) != 0 ||
	    mkdir(c->watched, 0755) != 0 ||
	    tmpdir_put(tmpdir_path(p, sizeof(p), &c->t, "rules/t.yar"),
	    "rule filemon_test_marker\n{\n\tstrings:\n\t\t$a = \"" MARKER
	    "\"\n\tcondition:\n\t\t$a\n}\n") != 0)
		return -1;
	if ((c->base = event_base_new()) == NULL ||
	    (c->events = json_array()) == NULL)
		return -1;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx	*c = *state;
	int		 i;

	for (i = 0; i < c->nmounts; i++)	/* stuck requests fail */
		if (c->fuse[i] != -1)
			close(c->fuse[i]);
	filemon_free(c->fm);
	while (c->nmounts > 0)
		(void)umount2(c->mounts[--c->nmounts], MNT_DETACH);
	event_base_free(c->base);
	json_decref(c->events);
	tmpdir_rm_at(AT_FDCWD, c->t.path);
	free(c);
	fail_create = 0;
	ioc_list = NULL;
	ioc_fail = 0;
	alarm(0);
	return 0;
}

/* The config, with extra lines for [files]; loaded into c->cfg. */
static void
configure(struct ctx *c, const char *watcher, const char *files_extra)
{
	char	text[4096];
	int	n;

	n = snprintf(text, sizeof(text),
	    "[agent]\ndata_dir = %s\n"
	    "[files]\nenabled = yes\nwatch = %s\nrules = %s\n"
	    "local_rules =\nwatcher = %s\ndebounce = 100ms\ntimeout = 1s\n"
	    "workers = 2\n%s"
	    "[integrity]\nenabled = no\n",
	    c->data, c->watched, c->rules, watcher, files_extra);
	assert_true(n > 0 && n < (int)sizeof(text));
	assert_int_equal(tmpdir_put(c->conf, text), 0);
	assert_int_equal(config_load_agent(&c->cfg, c->conf), 0);
}

static int
start(struct ctx *c)
{
	return filemon_new(&c->fm, c->base, &c->cfg, c->data, c->rules, NULL,
	    NULL);
}

static int
read_cb(void *arg, uint64_t seq, const char *json, size_t len)
{
	struct ctx	*c = arg;
	json_t		*ev;

	assert_non_null(ev = json_loadb(json, len, 0, NULL));
	assert_int_equal(json_array_append_new(c->events, ev), 0);
	c->seen = seq;
	return 0;
}

/* Read what was spooled since the last call. */
static void
drain(struct ctx *c)
{
	struct spool	*sp;
	char		 p[PATH_MAX];

	assert_int_equal(spool_open(&sp, tmpdir_path(p, sizeof(p), &c->t,
	    "data/spool.db"), 0), 0);
	assert_int_equal(spool_read(sp, c->seen, 1000, 1 << 24, read_cb, c,
	    NULL), 0);
	spool_close(sp);
}

/* The first event of type ("alert", "scan") whose path is path (NULL:
 * any), and, for scan events, whose status is status (NULL: any). */
static json_t *
find(struct ctx *c, const char *type, const char *path, const char *status)
{
	json_t		*ev, *o;
	size_t		 i;
	const char	*p;

	json_array_foreach(c->events, i, ev) {
		if (strcmp(json_string_value(json_object_get(ev,
		    "event_type")), type) != 0)
			continue;
		o = json_object_get(ev, strcmp(type, "alert") == 0 ? "file" :
		    "scan");
		p = json_string_value(json_object_get(o, "path"));
		if (path != NULL && (p == NULL || strcmp(p, path) != 0))
			continue;
		if (status != NULL && strcmp(json_string_value(
		    json_object_get(o, "status")), status) != 0)
			continue;
		return ev;
	}
	return NULL;
}

/* Run the loop for ms, reading the spool every 50 ms, until an event as
 * find() describes is there: it, or NULL. */
static json_t *
wait_event(struct ctx *c, const char *type, const char *path,
    const char *status, int ms)
{
	struct timeval	 tv = { 0, 50000 };
	json_t		*ev;
	int		 t;

	for (t = 0; t <= ms; t += 50) {
		drain(c);
		if ((ev = find(c, type, path, status)) != NULL)
			return ev;
		assert_int_equal(event_base_loopexit(c->base, &tv), 0);
		assert_true(event_base_dispatch(c->base) >= 0);
	}
	return NULL;
}

static void
settle(struct ctx *c, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	assert_int_equal(event_base_loopexit(c->base, &tv), 0);
	assert_true(event_base_dispatch(c->base) >= 0);
	drain(c);
}

static const char *
reason_of(json_t *ev)
{
	return json_string_value(json_object_get(json_object_get(ev, "scan"),
	    "reason"));
}

static char *
P(char out[static PATH_MAX], struct ctx *c, const char *name)
{
	return tmpdir_path(out, PATH_MAX, &c->t, name);
}

/* Write from another process: fanotify drops the agent's own writes. */
static int
put_cb(void *arg)
{
	const char *const	*pd = arg;

	return tmpdir_put(pd[0], pd[1]) == 0 ? 0 : 1;
}

static void
child_put(const char *path, const char *data)
{
	const char	*pd[2] = { path, data };

	assert_int_equal(tmpdir_child(put_cb, pd), 0);
}

static const char *
watcher_for(int fanotify)
{
	if (!fanotify)
		return "inotify";
	if (geteuid() != 0) {
		print_message("skipped: fanotify needs root\n");
		skip();
	}
	return "fanotify";
}

/* ---- item 12: filemon_new's failures ---- */

static void
test_new_errors(void **state)
{
	struct ctx	*c = *state;
	char		 p[PATH_MAX];

	configure(c, "inotify", "");

	/* the first worker cannot be started: an error, nothing left (the
	 * old code returned 0 with no filemon, and "file activity
	 * monitoring is off" was never said) */
	c->fm = (struct filemon *)1;
	fail_create = 1;
	assert_int_not_equal(start(c), 0);
	assert_null(c->fm);
	/* the second */
	fail_create = 2;
	assert_int_not_equal(start(c), 0);
	assert_null(c->fm);

	/* the integrity thread */
	configure(c, "inotify", "");
	c->cfg.fim_enabled = 1;
	snprintf(c->cfg.fim_paths.item[0], sizeof(c->cfg.fim_paths.item[0]),
	    "%s", c->watched);
	c->cfg.fim_paths.n = 1;
	fail_create = 3;
	assert_int_not_equal(start(c), 0);
	assert_null(c->fm);
	fail_create = 0;

	/* no rule that loads */
	configure(c, "inotify", "");
	assert_int_equal(tmpdir_put(P(p, c, "rules/t.yar"), "rule {"), 0);
	assert_int_equal(start(c), ERR_NOTFOUND);
	assert_null(c->fm);

	assert_int_equal(tmpdir_put(p, "rule ok { condition: true }"), 0);

	/* a spool that cannot be opened: the data folder holds a folder
	 * where spool.db should be */
	P(c->data, c, "data2");
	assert_int_equal(mkdir(c->data, 0700), 0);
	assert_int_equal(mkdir(P(p, c, "data2/spool.db"), 0700), 0);
	configure(c, "inotify", "");
	assert_int_not_equal(start(c), 0);
	assert_null(c->fm);

	/* a data folder that is not there */
	configure(c, "inotify", "");
	snprintf(c->data, sizeof(c->data), "%s/none", c->t.path);
	assert_int_not_equal(start(c), 0);
	assert_null(c->fm);
}

/* ---- item 8: a folder swapped for a link before the scan ---- */

static void
swap_case(struct ctx *c, int fanotify)
{
	json_t	*ev;
	char	 d[PATH_MAX], f[PATH_MAX], old[PATH_MAX], p[PATH_MAX];
	char	 secret[PATH_MAX];
	int	 in;

	configure(c, watcher_for(fanotify), "");
	c->cfg.debounce_ms = 1500;	/* the window, made wide */
	assert_int_equal(mkdir(P(d, c, "watched/e"), 0755), 0);
	assert_int_equal(mkdir(P(d, c, "watched/d"), 0755), 0);
	assert_int_equal(mkdir(P(secret, c, "secret"), 0700), 0);
	assert_int_equal(tmpdir_put(P(p, c, "secret/f"), MARKER), 0);
	assert_int_equal(mkdir(P(p, c, "devs"), 0755), 0);
	assert_int_equal(mkfifo(P(p, c, "devs/f"), 0600), 0);
	assert_true((in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0);
	assert_true(inotify_add_watch(in, P(p, c, "secret/f"), IN_OPEN) >= 0);
	assert_true(inotify_add_watch(in, P(p, c, "devs/f"), IN_OPEN) >= 0);
	assert_int_equal(start(c), 0);
	settle(c, 300);		/* the rescan at start */

	/* the user writes d/f, then swaps d for a link to root's folder */
	child_put(P(f, c, "watched/d/f"), "harmless");
	settle(c, 300);
	assert_int_equal(rename(d, P(old, c, "watched/d.old")), 0);
	assert_int_equal(symlink(secret, d), 0);
	ev = wait_event(c, "scan", f, "special", 5000);
	assert_non_null(ev);
	assert_string_equal(reason_of(ev),
	    "a folder on its path is a symbolic link");
	/* root's file was neither scanned nor reported as the user's */
	assert_null(find(c, "alert", NULL, NULL));

	/* and to a stand-in for /dev: its FIFO is never opened */
	P(d, c, "watched/e");
	child_put(P(f, c, "watched/e/f"), "again");
	settle(c, 300);
	assert_int_equal(rename(d, P(old, c, "watched/e.old")), 0);
	assert_int_equal(symlink(P(p, c, "devs"), d), 0);
	assert_non_null(wait_event(c, "scan", f, "special", 5000));
	assert_null(find(c, "alert", NULL, NULL));
	assert_int_equal(read(in, p, sizeof(p)), -1);	/* no IN_OPEN */
	assert_int_equal(errno, EAGAIN);
	close(in);
}

static void
test_swap_inotify(void **state)
{
	swap_case(*state, 0);
}

static void
test_swap_fanotify(void **state)
{
	swap_case(*state, 1);
}

/* ---- item 10: deeper than PATH_MAX ---- */

static int	deep_fd = -1;

static int
deep_put(void *arg)
{
	int	fd = openat(deep_fd, arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, MARKER, strlen(MARKER)) !=
	    (ssize_t)strlen(MARKER) || close(fd) != 0)
		return 1;
	return 0;
}

static void
test_long_paths(void **state)
{
	struct ctx	*c = *state;
	json_t		*ev;
	char		*path, *want;

	configure(c, watcher_for(1), "");
	assert_non_null(path = calloc(1, 100 * 201 + PATH_MAX));
	assert_non_null(want = calloc(1, 100 * 201 + PATH_MAX));
	strcpy(path, c->watched);	/* < PATH_MAX */
	deep_fd = open(c->watched, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(deep_fd >= 0);
	deep_fd = tmpdir_deepen(deep_fd, 30, path);
	assert_true(deep_fd >= 0);

	/* there before the start: the rescan finds and scans it */
	assert_int_equal(deep_put("before"), 0);
	sprintf(want, "%s/before", path);	/* sized above */
	assert_true(strlen(want) > PATH_MAX);
	assert_int_equal(start(c), 0);
	assert_non_null(wait_event(c, "alert", want, NULL, 5000));

	/* written while watched: reported, opened by pieces, scanned */
	assert_int_equal(tmpdir_child(deep_put, "after"), 0);
	sprintf(want, "%s/after", path);
	assert_non_null(wait_event(c, "alert", want, NULL, 5000));

	/* past WATCH_PATH_MAX: cannot be named, said so */
	deep_fd = tmpdir_deepen(deep_fd, 60, path);
	assert_true(deep_fd >= 0);
	assert_int_equal(tmpdir_child(deep_put, "lost"), 0);
	ev = wait_event(c, "scan", NULL, "unreadable", 5000);
	assert_non_null(ev);
	assert_non_null(strstr(reason_of(ev), "bytes or longer"));
	close(deep_fd);
	deep_fd = -1;
	free(path);
	free(want);
}

/* ---- item 9: a FUSE mount whose server never answers ---- */

static void
fuse_mount(struct ctx *c, const char *path)
{
	if (geteuid() != 0) {
		print_message("skipped: mounts need root\n");
		skip();
	}
	assert_true(c->nmounts < 4);
	if ((c->fuse[c->nmounts] = tmpdir_fuse_dead(path)) == -1) {
		print_message("skipped: cannot mount FUSE here\n");
		skip();
	}
	strcpy(c->mounts[c->nmounts++], path);	/* < PATH_MAX */
}

static void
test_fuse_not_entered(void **state)
{
	struct ctx	*c = *state;
	json_t		*ev;
	char		 m[PATH_MAX], f[PATH_MAX];

	assert_int_equal(mkdir(P(m, c, "watched/fuse"), 0755), 0);
	fuse_mount(c, m);
	configure(c, geteuid() == 0 ? "fanotify" : "inotify", "");
	assert_int_equal(start(c), 0);		/* would hang in the walk */
	ev = wait_event(c, "scan", m, "other_fs", 5000);
	assert_non_null(ev);
	assert_non_null(strstr(reason_of(ev), "FUSE"));
	child_put(P(f, c, "watched/x.txt"), MARKER);
	assert_non_null(wait_event(c, "alert", f, NULL, 5000));
	assert_null(find(c, "scan", NULL, "stalled"));
}

static void
test_watchdog(void **state)
{
	struct ctx	*c = *state;
	json_t		*ev;
	char		 m[PATH_MAX], f[PATH_MAX];

	assert_int_equal(mkdir(P(m, c, "watched/fuse"), 0755), 0);
	fuse_mount(c, m);
	configure(c, geteuid() == 0 ? "fanotify" : "inotify",
	    "remote_filesystems = yes\n");
	assert_int_equal(start(c), 0);
	/* the rescan at start enters the mount and hangs there: given up
	 * after twice the timeout (1 s), reported */
	ev = wait_event(c, "scan", m, "stalled", 10000);
	assert_non_null(ev);
	assert_non_null(strstr(reason_of(ev), "did not answer in 2 s"));
	/* and scanning goes on */
	child_put(P(f, c, "watched/after.txt"), MARKER);
	assert_non_null(wait_event(c, "alert", f, NULL, 5000));
	/* the mount's end wakes the stuck thread: it exits, and
	 * filemon_free (in teardown) joins it */
	close(c->fuse[0]);
	c->fuse[0] = -1;
}

/* ---- issue 10: indicator lists ---- */

#define LISTED_A	"listed content A\n"
#define LISTED_B	"listed content B\n"

/* A list file holding the SHA-256 of text. */
static void
put_list(struct ctx *c, char out[static PATH_MAX], const char *name,
    const char *text)
{
	uint8_t	h[crypto_hash_sha256_BYTES];
	char	hex[65], line[80];

	crypto_hash_sha256(h, (const uint8_t *)text, strlen(text));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(line, sizeof(line), "%s\n", hex);
	assert_int_equal(tmpdir_put(P(out, c, name), line), 0);
}

/* The alert for path must be gid 3 from list. */
static void
want_ioc(struct ctx *c, const char *path, const char *list)
{
	json_t	*ev;

	assert_non_null(ev = wait_event(c, "alert", path, NULL, 5000));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    ev, "alert"), "gid")), 3);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(ev, "evidence"), "list")), list);
}

static void
test_ioc_lists(void **state)
{
	struct ctx	*c = *state;
	char		 la[PATH_MAX], lb[PATH_MAX], f[PATH_MAX];

	put_list(c, la, "list-a.txt", LISTED_A);
	put_list(c, lb, "list-b.txt", LISTED_B);
	ioc_list = la;
	configure(c, "inotify", "");
	assert_int_equal(start(c), 0);
	child_put(P(f, c, "watched/a1.bin"), LISTED_A);
	want_ioc(c, f, "list-a");
	/* the new lists fail to load: the last good ones stay */
	ioc_fail = 1;
	filemon_reload(c->fm, &c->cfg);
	ioc_fail = 0;
	child_put(P(f, c, "watched/a2.bin"), LISTED_A);
	want_ioc(c, f, "list-a");
	/* new lists: used from now on */
	ioc_list = lb;
	filemon_reload(c->fm, &c->cfg);
	child_put(P(f, c, "watched/a3.bin"), LISTED_A);
	child_put(P(f, c, "watched/b1.bin"), LISTED_B);
	want_ioc(c, f, "list-b");
	settle(c, 300);
	assert_null(find(c, "alert", P(f, c, "watched/a3.bin"), NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_swap_inotify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_swap_fanotify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_paths, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fuse_not_entered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ioc_lists, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watchdog, setup,
		    teardown),
	};

	log_init("test_filemon", LOG_LVL_WARN, 0);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0)
		return 1;
	/* as root: FUSE mounts that never answer stay in a mount namespace
	 * of our own, out of sight of anything else that walks mounts */
	if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0)
		(void)mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
