/*
 * test_fim.c: file integrity monitoring (agent/files/fim.c, agent/files/fim_cmd.c).
 *
 * Each test builds a small tree under $VIGIL_TEST_TMP (or /tmp), takes a
 * baseline into its own database, changes the tree and checks that each
 * kind of change is reported once, with before and after, and nothing
 * else: no false positive on an unchanged tree, a content change hidden
 * behind a restored mtime, special and unreadable files, files vanishing
 * during the walk, exclusions, one-path checks, names that are not UTF-8,
 * and the same result with one hashing thread as with many. The
 * baseline's rows are read and edited directly with SQLite where a test
 * needs a state a real file system cannot produce on demand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "err.h"
#include "event.h"
#include "fim.h"
#include "fim_cmd.h"
#include "log.h"
#include "testutil.h"

#define MAXCH	8192

struct seen {
	char		*path;		/* relative to the tree */
	unsigned int	 changes;
	int		 btype, atype;	/* -1: absent */
	int		 berr, aerr;
	uint32_t	 amode;
};

struct rec {
	struct seen	 v[MAXCH];
	size_t		 n;
	int		 stop_after;	/* >0: return 1 after this many */
};

static struct tmpdir	tmp;
static const char *const dir = tmp.path;	/* T */
static char		tree[sizeof(tmp.path) + 8];	/* T/tree */
static char		dbpath[sizeof(tmp.path) + 32];	/* T/fim.db */
static size_t		treelen;

/* ---- fixture and helpers ---- */

static int
setup(void **state)
{
	if (tmpdir_make(&tmp, "fim") != 0)
		return -1;
	tmpdir_path(dbpath, sizeof(dbpath), &tmp, "fim.db");
	treelen = strlen(tmpdir_path(tree, sizeof(tree), &tmp, "tree"));
	return mkdir(tree, 0755);
}

static int
teardown(void **state)
{
	tmpdir_remove(&tmp);	/* whatever modes a test left */
	return 0;
}

static const char *
P(const char *rel)
{
	static char	buf[4][PATH_MAX];
	static int	i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tree, rel);
	return buf[i];
}

static void
put(const char *rel, const char *content)
{
	FILE	*f = fopen(P(rel), "w");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
mkd(const char *rel)
{
	assert_int_equal(mkdir(P(rel), 0755), 0);
}

/* Long enough for the kernel's coarse clock to tick (ctime moves). */
static void
tick(void)
{
	struct timespec	ts = { 0, 30 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static int
rec_cb(void *arg, const struct fim_change *c)
{
	struct rec	*r = arg;
	struct seen	*s;
	const char	*p = c->path;

	if (r->stop_after > 0 && r->n >= (size_t)r->stop_after)
		return 1;
	assert_true(r->n < MAXCH);
	s = &r->v[r->n++];
	if (strncmp(p, tree, treelen) == 0)
		p += treelen + (p[treelen] == '/');
	s->path = strdup(p);
	assert_non_null(s->path);
	s->changes = c->changes;
	s->btype = c->before ? c->before->type : -1;
	s->atype = c->after ? c->after->type : -1;
	s->berr = c->before ? c->before->err : 0;
	s->aerr = c->after ? c->after->err : 0;
	s->amode = c->after ? c->after->mode : 0;
	/* the event of every change must build and serialise */
	{
		json_t	*ev = fim_event(c);
		char	*js;

		assert_non_null(ev);
		js = event_dump(ev, NULL);
		assert_non_null(js);
		free(js);
		json_decref(ev);
	}
	return 0;
}

static void
rec_clear(struct rec *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].path);
	r->n = 0;
}

static struct rec *
rec_new(void)
{
	struct rec	*r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

static void
rec_free(struct rec *r)
{
	rec_clear(r);
	free(r);
}

static const struct seen *
find(const struct rec *r, const char *rel)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].path, rel) == 0)
			return &r->v[i];
	return NULL;
}

static void
expect(const struct rec *r, const char *rel, unsigned int changes)
{
	const struct seen	*s = find(r, rel);

	if (s == NULL)
		fail_msg("no change reported for %s", rel);
	if (s->changes != changes)
		fail_msg("%s: changes 0x%x, want 0x%x", rel, s->changes,
		    changes);
}

static struct fim *
open_fim(int threads, int rehash, int keep, const char *const *excl,
    size_t nexcl)
{
	const char	*paths[1] = { tree };
	struct fim_opts	 o;
	struct fim	*f;

	memset(&o, 0, sizeof(o));
	o.paths = paths;
	o.npaths = 1;
	o.exclude = excl;
	o.nexclude = nexcl;
	o.threads = threads;
	o.rehash = rehash;
	o.keep = keep;
	assert_int_equal(fim_open(&f, dbpath, &o), 0);
	return f;
}

static void
baseline(void)
{
	struct fim	*f = open_fim(2, 0, 0, NULL, 0);

	assert_int_equal(fim_baseline(f, NULL), 0);
	fim_close(f);
}

/* A check with default options; the changes go into r. */
static int
check(struct rec *r, int keep)
{
	struct fim	*f = open_fim(2, 0, keep, NULL, 0);
	int		 rc;

	rc = fim_check(f, rec_cb, r, NULL);
	fim_close(f);
	return rc;
}

static void
sql(const char *q)
{
	sqlite3	*db;
	char	*err = NULL;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
	sqlite3_close(db);
}

/* One integer column of the row for rel, or -1 when there is none. */
static long long
row_int(const char *rel, const char *col)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	char		 q[128];
	const char	*p = P(rel);
	long long	 v = -1;

	snprintf(q, sizeof(q), "SELECT %s FROM fim_entry WHERE path = ?", col);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, p, (int)strlen(p), SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* As if the baseline had been taken long ago: no row asks for a rehash
 * because its file was written just before the baseline read it. */
static void
age_baseline(void)
{
	sql("UPDATE fim_entry SET recheck = 0");
}

/* ---- the change kinds ---- */

static void
small_tree(void)
{
	mkd("etc");
	mkd("etc/sub");
	put("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
	put("etc/hosts", "127.0.0.1 localhost\n");
	put("etc/sub/conf", "a = 1\n");
	assert_int_equal(symlink("passwd", P("etc/link")), 0);
}

static void
test_unchanged_no_report(void **state)
{
	struct rec	*r = rec_new();

	small_tree();
	baseline();
	assert_int_equal(check(r, 0), 0);
	assert_int_equal(r->n, 0);
	/* again, after the racy rows were rehashed and recorded */
	assert_int_equal(check(r, 0), 0);
	assert_int_equal(r->n, 0);
	/* and with every file rehashed */
	{
		struct fim	*f = open_fim(3, 1, 1, NULL, 0);
		struct fim_stats st;

		assert_int_equal(fim_check(f, rec_cb, r, &st), 0);
		assert_int_equal(r->n, 0);
		assert_int_equal(st.hashed, 3);
		assert_int_equal(st.entries, 7);
		fim_close(f);
	}
	rec_free(r);
}

static void
test_added_removed(void **state)
{
	struct rec	*r = rec_new();

	small_tree();
	baseline();
	put("etc/new", "new\n");
	mkd("etc/newdir");
	put("etc/newdir/inner", "x\n");
	assert_int_equal(unlink(P("etc/hosts")), 0);
	assert_int_equal(unlink(P("etc/sub/conf")), 0);
	assert_int_equal(rmdir(P("etc/sub")), 0);
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/new", FIM_ADDED);
	expect(r, "etc/newdir", FIM_ADDED);
	expect(r, "etc/newdir/inner", FIM_ADDED);
	expect(r, "etc/hosts", FIM_REMOVED);
	expect(r, "etc/sub", FIM_REMOVED);
	expect(r, "etc/sub/conf", FIM_REMOVED);
	assert_int_equal(find(r, "etc/hosts")->btype, FIM_T_FILE);
	assert_int_equal(find(r, "etc/hosts")->atype, -1);
	assert_int_equal(r->n, 6);
	/* the baseline was updated: nothing the second time */
	rec_clear(r);
	assert_int_equal(check(r, 0), 0);
	assert_int_equal(r->n, 0);
	rec_free(r);
}

static void
test_modified_same_size(void **state)
{
	struct rec	*r = rec_new();
	long long	 h1;

	small_tree();
	baseline();
	age_baseline();
	tick();
	put("etc/passwd", "ROOT:x:0:0:root:/root:/bin/sh\n");
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/passwd", FIM_MODIFIED);
	assert_int_equal(r->n, 1);
	h1 = row_int("etc/passwd", "length(hash)");
	assert_int_equal(h1, FIM_HASH_LEN);
	rec_free(r);
}

static void
test_restored_mtime(void **state)
{
	struct rec	*r = rec_new();
	struct stat	 sb;
	struct timespec	 ts[2];

	small_tree();
	assert_int_equal(stat(P("etc/hosts"), &sb), 0);
	baseline();
	age_baseline();
	tick();
	put("etc/hosts", "10.6.6.6  localhost\n");	/* same size */
	ts[0] = sb.st_atim;
	ts[1] = sb.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, P("etc/hosts"), ts, 0), 0);
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/hosts", FIM_MODIFIED);
	assert_int_equal(r->n, 1);
	rec_free(r);
}

static void
test_rehash_identical_metadata(void **state)
{
	struct rec	*r = rec_new();
	struct fim	*f;

	small_tree();
	baseline();
	age_baseline();
	/* The content "changed" without any metadata moving: only the
	 * stored hash differs. A default check trusts the metadata. */
	sql("UPDATE fim_entry SET hash = zeroblob(32) WHERE CAST(path AS TEXT) LIKE "
	    "'%/etc/sub/conf'");
	assert_int_equal(check(r, 1), 0);
	assert_int_equal(r->n, 0);
	f = open_fim(2, 1, 0, NULL, 0);
	assert_int_equal(fim_check(f, rec_cb, r, NULL), 0);
	fim_close(f);
	expect(r, "etc/sub/conf", FIM_MODIFIED);
	assert_int_equal(r->n, 1);
	rec_free(r);
}

static void
test_permissions(void **state)
{
	struct rec	*r = rec_new();

	small_tree();
	baseline();
	assert_int_equal(chmod(P("etc/passwd"), 04755), 0);
	assert_int_equal(chmod(P("etc/sub"), 0700), 0);
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/passwd", FIM_PERMISSIONS);
	expect(r, "etc/sub", FIM_PERMISSIONS);
	assert_int_equal(find(r, "etc/passwd")->amode, 04755);
	assert_int_equal(r->n, 2);
	rec_free(r);
}

static void
test_owner(void **state)
{
	struct rec	*r;

	if (geteuid() != 0)
		skip();
	r = rec_new();
	small_tree();
	baseline();
	assert_int_equal(chown(P("etc/passwd"), 65534, (gid_t)-1), 0);
	assert_int_equal(lchown(P("etc/link"), (uid_t)-1, 65534), 0);
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/passwd", FIM_OWNER);
	expect(r, "etc/link", FIM_OWNER);
	assert_int_equal(r->n, 2);
	rec_free(r);
}

static void
test_type_and_target(void **state)
{
	struct rec	*r = rec_new();

	small_tree();
	baseline();
	assert_int_equal(unlink(P("etc/hosts")), 0);
	mkd("etc/hosts");
	put("etc/hosts/inside", "x\n");
	assert_int_equal(unlink(P("etc/link")), 0);
	assert_int_equal(symlink("/etc/shadow", P("etc/link")), 0);
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/hosts", FIM_TYPE);
	assert_int_equal(find(r, "etc/hosts")->btype, FIM_T_FILE);
	assert_int_equal(find(r, "etc/hosts")->atype, FIM_T_DIR);
	expect(r, "etc/hosts/inside", FIM_ADDED);
	expect(r, "etc/link", FIM_TARGET);
	assert_int_equal(r->n, 3);
	rec_free(r);
}

static void
test_several_at_once(void **state)
{
	struct rec	*r = rec_new();

	small_tree();
	baseline();
	age_baseline();
	tick();
	put("etc/passwd", "changed, and longer than before\n");
	assert_int_equal(chmod(P("etc/passwd"), 0600), 0);
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/passwd", FIM_MODIFIED | FIM_PERMISSIONS);
	assert_string_equal(fim_change_name(FIM_MODIFIED | FIM_PERMISSIONS),
	    "modified");
	rec_free(r);
}

static void
test_keep(void **state)
{
	struct rec	*r = rec_new();

	small_tree();
	baseline();
	assert_int_equal(chmod(P("etc/passwd"), 0600), 0);
	assert_int_equal(check(r, 1), 0);
	assert_int_equal(r->n, 1);
	rec_clear(r);
	assert_int_equal(check(r, 1), 0);	/* still there */
	assert_int_equal(r->n, 1);
	rec_clear(r);
	assert_int_equal(check(r, 0), 0);	/* reported and recorded */
	assert_int_equal(r->n, 1);
	rec_clear(r);
	assert_int_equal(check(r, 0), 0);
	assert_int_equal(r->n, 0);
	rec_free(r);
}

/* ---- special, unreadable and vanishing files ---- */

static void
test_fifo_not_opened(void **state)
{
	struct rec	*r = rec_new();
	struct fim	*f;

	small_tree();
	assert_int_equal(mkfifo(P("etc/fifo"), 0644), 0);
	/* nobody writes to it: opening it for reading would block */
	baseline();
	assert_int_equal(row_int("etc/fifo", "type"), FIM_T_FIFO);
	assert_int_equal(row_int("etc/fifo", "hash IS NULL"), 1);
	f = open_fim(2, 1, 0, NULL, 0);	/* --rehash: still not opened */
	assert_int_equal(fim_check(f, rec_cb, r, NULL), 0);
	fim_close(f);
	assert_int_equal(r->n, 0);
	assert_int_equal(unlink(P("etc/fifo")), 0);
	put("etc/fifo", "now a file\n");
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/fifo", FIM_TYPE);
	assert_int_equal(find(r, "etc/fifo")->btype, FIM_T_FIFO);
	rec_free(r);
}

/* Root reads everything: take CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
 * out of this thread's effective set (the walker opens files on the
 * caller's thread), or put them back. */
static void
dac_caps(int on)
{
	struct __user_cap_header_struct	hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	data[2];
	uint32_t			bits = (1u << CAP_DAC_OVERRIDE) |
					    (1u << CAP_DAC_READ_SEARCH);

	assert_int_equal(syscall(SYS_capget, &hdr, data), 0);
	if (on)
		data[0].effective |= bits & data[0].permitted;
	else
		data[0].effective &= ~bits;
	assert_int_equal(syscall(SYS_capset, &hdr, data), 0);
}

static void
test_unreadable(void **state)
{
	struct rec	*r = rec_new();
	struct fim	*f;

	small_tree();
	put("etc/secret", "s3cret\n");
	assert_int_equal(chmod(P("etc/secret"), 0), 0);
	assert_int_equal(chmod(P("etc/sub"), 0), 0);
	f = open_fim(1, 0, 0, NULL, 0);
	dac_caps(0);
	assert_int_equal(fim_baseline(f, NULL), 0);
	dac_caps(1);
	fim_close(f);
	assert_int_equal(row_int("etc/secret", "err"), EACCES);
	assert_int_equal(row_int("etc/secret", "hash IS NULL"), 1);
	assert_int_equal(row_int("etc/sub", "err"), EACCES);
	assert_int_equal(row_int("etc/sub/conf", "type"), -1);	/* unseen */

	/* Readable again: the file is reported (now it has a hash) and
	 * the folder's content appears. */
	assert_int_equal(chmod(P("etc/secret"), 0600), 0);
	assert_int_equal(chmod(P("etc/sub"), 0755), 0);
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/secret", FIM_MODIFIED | FIM_PERMISSIONS);
	assert_int_equal(find(r, "etc/secret")->berr, EACCES);
	assert_int_equal(find(r, "etc/secret")->aerr, 0);
	expect(r, "etc/sub/conf", FIM_ADDED);

	/* A folder that becomes unlistable: its rows are kept, not
	 * reported as removed. */
	rec_clear(r);
	assert_int_equal(chmod(P("etc/sub"), 0), 0);
	f = open_fim(1, 0, 0, NULL, 0);
	dac_caps(0);
	assert_int_equal(fim_check(f, rec_cb, r, NULL), 0);
	dac_caps(1);
	fim_close(f);
	expect(r, "etc/sub", FIM_PERMISSIONS);
	assert_null(find(r, "etc/sub/conf"));
	assert_int_equal(row_int("etc/sub/conf", "type"), FIM_T_FILE);
	rec_free(r);
}

/* A configured path whose parent cannot be opened, or that cannot be
 * examined: its rows stay, unreported. */
static void
test_unreachable_path(void **state)
{
	const char	*paths[2];
	struct fim_opts	 o;
	struct fim	*f;
	struct rec	*r = rec_new();

	small_tree();
	paths[0] = P("etc/sub/conf");
	paths[1] = P("etc/hosts");
	memset(&o, 0, sizeof(o));
	o.paths = paths;
	o.npaths = 2;
	assert_int_equal(fim_open(&f, dbpath, &o), 0);
	assert_int_equal(fim_baseline(f, NULL), 0);
	assert_int_equal(chmod(P("etc/sub"), 0), 0);
	dac_caps(0);
	assert_int_equal(fim_check(f, rec_cb, r, NULL), 0);
	dac_caps(1);
	assert_int_equal(r->n, 0);
	assert_int_equal(row_int("etc/sub/conf", "type"), FIM_T_FILE);
	fim_close(f);
	rec_free(r);
}

struct churn {
	volatile int	 stop;
	int		 rounds;
};

/* Delete and recreate files while the walk runs. */
static void *
churn_main(void *arg)
{
	struct churn	*c = arg;
	char		 rel[64];
	int		 i;

	while (!c->stop) {
		for (i = 1999; i >= 0 && !c->stop; i--) {
			snprintf(rel, sizeof(rel), "v/f%04d", i);
			unlink(P(rel));
		}
		for (i = 0; i < 2000 && !c->stop; i++) {
			snprintf(rel, sizeof(rel), "v/f%04d", i);
			close(open(P(rel), O_WRONLY | O_CREAT | O_CLOEXEC,
			    0644));
		}
		c->rounds++;
	}
	return NULL;
}

static void
test_vanishing(void **state)
{
	struct churn	 c = { 0, 0 };
	struct fim_stats st;
	struct fim	*f;
	pthread_t	 t;
	char		 rel[64];
	uint64_t	 vanished = 0;
	int		 i;

	mkd("v");
	for (i = 0; i < 2000; i++) {
		snprintf(rel, sizeof(rel), "v/f%04d", i);
		put(rel, "x");
	}
	f = open_fim(2, 0, 0, NULL, 0);
	assert_int_equal(pthread_create(&t, NULL, churn_main, &c), 0);
	for (i = 0; i < 200 && vanished == 0; i++) {
		assert_int_equal(fim_baseline(f, &st), 0);
		vanished += st.vanished;
	}
	c.stop = 1;
	pthread_join(t, NULL);
	fim_close(f);
	assert_true(vanished > 0);
}

/* ---- exclusions, one path, threads ---- */

/* Issue 8, item 8, for integrity: a folder swapped for a symbolic link
 * between a change and its check is not followed. The path is absent
 * now (the walk never follows links either); root's file behind the
 * link is neither opened nor hashed, and a FIFO standing in for /dev is
 * not reported in its place. */
static void
test_check_path_link(void **state)
{
	struct rec		*r = rec_new();
	const struct seen	*s;
	struct fim		*f;
	char			 secret[PATH_MAX], devs[PATH_MAX];
	char			 p[PATH_MAX + 8];
	int			 in;

	mkd("d");
	put("d/f", "user's\n");
	put("d/g", "user's too\n");
	tmpdir_path(secret, sizeof(secret), &tmp, "secret");
	tmpdir_path(devs, sizeof(devs), &tmp, "devs");
	assert_int_equal(mkdir(secret, 0700), 0);
	assert_int_equal(mkdir(devs, 0755), 0);
	snprintf(p, sizeof(p), "%s/f", secret);
	assert_int_equal(tmpdir_put(p, "root's secret\n"), 0);
	assert_true((in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0);
	assert_true(inotify_add_watch(in, p, IN_OPEN) >= 0);
	snprintf(p, sizeof(p), "%s/g", devs);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_true(inotify_add_watch(in, p, IN_OPEN) >= 0);
	baseline();
	age_baseline();

	assert_int_equal(rename(P("d"), P("d.old")), 0);
	assert_int_equal(symlink(secret, P("d")), 0);
	f = open_fim(2, 0, 0, NULL, 0);
	assert_int_equal(fim_check_path(f, P("d/f"), rec_cb, r), 0);
	expect(r, "d/f", FIM_REMOVED);
	assert_int_equal(r->n, 1);
	rec_clear(r);

	assert_int_equal(unlink(P("d")), 0);
	assert_int_equal(symlink(devs, P("d")), 0);
	assert_int_equal(fim_check_path(f, P("d/g"), rec_cb, r), 0);
	s = find(r, "d/g");
	assert_non_null(s);
	assert_int_equal(s->atype, -1);		/* gone, not "a FIFO now" */
	fim_close(f);
	assert_int_equal(read(in, p, sizeof(p)), -1);	/* nothing opened */
	assert_int_equal(errno, EAGAIN);
	close(in);
	rec_free(r);
}

static void
test_exclusions(void **state)
{
	const char	*excl[] = { "*.swp", "/never/matches", NULL, NULL };
	struct rec	*r = rec_new();
	struct fim	*f;
	char		 glob[PATH_MAX], pre[PATH_MAX];

	small_tree();
	mkd("etc/cache");
	put("etc/cache/a", "a\n");
	mkd("etc/build-1");
	mkd("etc/build-1/deep");
	put("etc/build-1/deep/x", "x\n");
	put("etc/.passwd.swp", "swap\n");
	snprintf(pre, sizeof(pre), "%s/etc/cache", tree);
	snprintf(glob, sizeof(glob), "%s/etc/build-*", tree);
	excl[2] = pre;
	excl[3] = glob;
	f = open_fim(2, 0, 0, excl, 4);
	assert_int_equal(fim_baseline(f, NULL), 0);
	assert_int_equal(row_int("etc/cache", "type"), -1);
	assert_int_equal(row_int("etc/cache/a", "type"), -1);
	assert_int_equal(row_int("etc/build-1", "type"), -1);
	assert_int_equal(row_int("etc/build-1/deep/x", "type"), -1);
	assert_int_equal(row_int("etc/.passwd.swp", "type"), -1);
	assert_int_equal(row_int("etc/passwd", "type"), FIM_T_FILE);
	put("etc/cache/a", "changed\n");
	put("etc/cache/b", "new\n");
	put("etc/build-1/deep/x", "changed\n");
	put("etc/other.swp", "new\n");
	assert_int_equal(fim_check(f, rec_cb, r, NULL), 0);
	assert_int_equal(r->n, 0);
	/* a one-path check honours them too */
	assert_int_equal(fim_check_path(f, P("etc/cache/b"), rec_cb, r), 0);
	assert_int_equal(fim_check_path(f, P("etc/build-1/deep/x"), rec_cb,
	    r), 0);
	assert_int_equal(r->n, 0);
	fim_close(f);

	/* a database inside the tree is never part of it */
	snprintf(dbpath, sizeof(dbpath), "%s/etc/fim.db", tree);
	f = open_fim(2, 0, 0, NULL, 0);
	assert_int_equal(fim_baseline(f, NULL), 0);
	assert_int_equal(fim_check(f, rec_cb, r, NULL), 0);
	assert_int_equal(r->n, 0);
	fim_close(f);
	assert_int_equal(row_int("etc/fim.db", "type"), -1);
	assert_int_equal(row_int("etc/fim.db-wal", "type"), -1);
	assert_int_equal(row_int("etc/passwd", "type"), FIM_T_FILE);
	rec_free(r);
}

static void
test_check_path(void **state)
{
	struct rec	*r = rec_new();
	struct fim	*f;

	small_tree();
	mkd("etc/d");
	put("etc/d/one", "1\n");
	put("etc/d/two", "2\n");
	baseline();
	age_baseline();
	tick();
	put("etc/passwd", "pwned:x:0:0::/:/bin/sh\n");
	put("etc/hosts", "10.0.0.1 evil\n");
	f = open_fim(2, 0, 0, NULL, 0);

	/* only the path asked about */
	assert_int_equal(fim_check_path(f, P("etc/passwd"), rec_cb, r), 0);
	expect(r, "etc/passwd", FIM_MODIFIED);
	assert_int_equal(r->n, 1);
	rec_clear(r);
	assert_int_equal(fim_check_path(f, P("etc/passwd"), rec_cb, r), 0);
	assert_int_equal(r->n, 0);		/* recorded */

	/* a folder already known is compared alone */
	assert_int_equal(fim_check_path(f, P("etc"), rec_cb, r), 0);
	assert_int_equal(r->n, 0);

	/* a new folder brings everything below it */
	mkd("etc/new");
	mkd("etc/new/deeper");
	put("etc/new/deeper/file", "f\n");
	assert_int_equal(fim_check_path(f, P("etc/new"), rec_cb, r), 0);
	expect(r, "etc/new", FIM_ADDED);
	expect(r, "etc/new/deeper", FIM_ADDED);
	expect(r, "etc/new/deeper/file", FIM_ADDED);
	assert_int_equal(r->n, 3);
	rec_clear(r);

	/* a folder gone takes its rows with it */
	assert_int_equal(unlink(P("etc/d/one")), 0);
	assert_int_equal(unlink(P("etc/d/two")), 0);
	assert_int_equal(rmdir(P("etc/d")), 0);
	assert_int_equal(fim_check_path(f, P("etc/d/"), rec_cb, r), 0);
	expect(r, "etc/d", FIM_REMOVED);
	expect(r, "etc/d/one", FIM_REMOVED);
	expect(r, "etc/d/two", FIM_REMOVED);
	assert_int_equal(r->n, 3);
	rec_clear(r);

	/* outside the configured paths: ignored */
	assert_int_equal(fim_check_path(f, "/etc/passwd", rec_cb, r), 0);
	assert_int_equal(fim_check_path(f, dir, rec_cb, r), 0);
	assert_int_equal(r->n, 0);
	assert_int_equal(fim_check_path(f, "relative", rec_cb, r), ERR_USAGE);
	fim_close(f);

	/* the full check still finds the other change */
	assert_int_equal(check(r, 0), 0);
	expect(r, "etc/hosts", FIM_MODIFIED);
	assert_int_equal(r->n, 1);
	rec_free(r);
}

static void
big_tree(void)
{
	char	rel[64];
	int	i, j;

	for (i = 0; i < 40; i++) {
		snprintf(rel, sizeof(rel), "d%02d", i);
		mkd(rel);
		for (j = 0; j < 50; j++) {
			snprintf(rel, sizeof(rel), "d%02d/f%02d", i, j);
			put(rel, rel + (j % 3));
		}
	}
}

/* Every row, in path order, without the row ids. */
static char *
dump_db(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*f = open_memstream(&out, &len);
	int		 i;

	assert_non_null(f);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT path, type, mode, "
	    "uid, gid, owner, grp, size, ino, dev, mtime, ctime, hex(hash), "
	    "target, err FROM fim_entry ORDER BY path", -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (i = 0; i < 15; i++)
			fprintf(f, "%s|", sqlite3_column_text(s, i) ?
			    (const char *)sqlite3_column_text(s, i) : "-");
		fputc('\n', f);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	fclose(f);
	return out;
}

static int
seen_cmp(const void *a, const void *b)
{
	const struct seen	*x = a, *y = b;
	int			 c = strcmp(x->path, y->path);

	return c ? c : (int)x->changes - (int)y->changes;
}

static void
test_threads_same_result(void **state)
{
	const char	*paths[1] = { tree };
	char		 db1[PATH_MAX], db4[PATH_MAX];
	char		*d1, *d4;
	struct fim_opts	 o;
	struct fim	*f1, *f4;
	struct rec	*r1 = rec_new(), *r4 = rec_new();
	struct fim_stats st;
	size_t		 i;

	big_tree();
	snprintf(db1, sizeof(db1), "%s/t1.db", dir);
	snprintf(db4, sizeof(db4), "%s/t4.db", dir);
	memset(&o, 0, sizeof(o));
	o.paths = paths;
	o.npaths = 1;
	o.keep = 1;
	o.threads = 1;
	assert_int_equal(fim_open(&f1, db1, &o), 0);
	o.threads = 4;
	assert_int_equal(fim_open(&f4, db4, &o), 0);
	assert_int_equal(fim_baseline(f1, &st), 0);
	assert_int_equal(st.entries, 2041);
	assert_int_equal(st.hashed, 2000);
	assert_int_equal(fim_baseline(f4, &st), 0);
	assert_int_equal(st.entries, 2041);
	d1 = dump_db(db1);
	d4 = dump_db(db4);
	assert_string_equal(d1, d4);
	free(d1);
	free(d4);

	tick();
	put("d03/f07", "changed");
	assert_int_equal(chmod(P("d10/f10"), 0600), 0);
	assert_int_equal(unlink(P("d20/f20")), 0);
	put("d30/new", "new");
	assert_int_equal(fim_check(f1, rec_cb, r1, NULL), 0);
	assert_int_equal(fim_check(f4, rec_cb, r4, NULL), 0);
	assert_int_equal(r1->n, 4);
	assert_int_equal(r4->n, 4);
	qsort(r1->v, r1->n, sizeof(r1->v[0]), seen_cmp);
	qsort(r4->v, r4->n, sizeof(r4->v[0]), seen_cmp);
	for (i = 0; i < r1->n; i++) {
		assert_string_equal(r1->v[i].path, r4->v[i].path);
		assert_int_equal(r1->v[i].changes, r4->v[i].changes);
	}
	fim_close(f1);
	fim_close(f4);
	rec_free(r1);
	rec_free(r4);
}

/* ---- names, events, errors, the command ---- */

static void
test_non_utf8_json(void **state)
{
	struct rec	*r = rec_new();
	struct fim	*f;
	json_t		*ev, *back, *p;
	char		*js;
	struct fim_change c;
	struct fim_attr	 a;

	small_tree();
	baseline();
	put("etc/bad\xff\xfe-name", "x\n");
	f = open_fim(1, 0, 1, NULL, 0);
	assert_int_equal(fim_check(f, rec_cb, r, NULL), 0);	/* events built */
	fim_close(f);
	expect(r, "etc/bad\xff\xfe-name", FIM_ADDED);

	memset(&a, 0, sizeof(a));
	a.type = FIM_T_SYMLINK;
	a.target = "\xc3(";
	snprintf(a.owner, sizeof(a.owner), "r\xe9mi");
	c.path = P("etc/bad\xff\xfe-name");
	c.changes = FIM_ADDED;
	c.before = NULL;
	c.after = &a;
	ev = fim_event(&c);
	assert_non_null(ev);
	js = event_dump(ev, NULL);
	assert_non_null(js);
	back = json_loads(js, 0, NULL);
	assert_non_null(back);
	p = json_object_get(json_object_get(back, "integrity"), "path");
	assert_non_null(strstr(json_string_value(p), "bad\\xff\\xfe-name"));
	assert_true(json_is_true(json_object_get(json_object_get(back,
	    "integrity"), "path_escaped")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(back, "integrity"), "after"), "target")),
	    "\\xc3(");
	assert_true(json_is_true(json_object_get(json_object_get(
	    json_object_get(back, "integrity"), "after"), "target_escaped")));
	assert_null(json_object_get(json_object_get(back, "integrity"),
	    "changes_escaped"));
	assert_string_equal(json_string_value(json_object_get(back,
	    "event_type")), "integrity");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    back, "integrity"), "change")), "added");
	assert_int_equal(event_parse(&(struct event_meta){ 0 }, js,
	    strlen(js), NULL), 0);
	json_decref(back);
	json_decref(ev);
	free(js);
	rec_free(r);
}

static void
test_errors(void **state)
{
	const char	*rel[1] = { "relative/path" }, *abs[1] = { tree };
	const char	*bad_excl[1] = { "a/b*" }, *empty[1] = { "" };
	struct fim_opts	 o;
	struct fim	*f;
	struct rec	*r = rec_new();

	memset(&o, 0, sizeof(o));
	o.paths = rel;
	o.npaths = 1;
	assert_int_equal(fim_open(&f, dbpath, &o), ERR_USAGE);
	assert_null(f);
	o.npaths = 0;
	assert_int_equal(fim_open(&f, dbpath, &o), ERR_USAGE);
	o.paths = abs;
	o.npaths = 1;
	o.threads = -1;
	assert_int_equal(fim_open(&f, dbpath, &o), ERR_USAGE);
	o.threads = FIM_THREADS_MAX + 1;
	assert_int_equal(fim_open(&f, dbpath, &o), ERR_USAGE);
	o.threads = 0;
	o.exclude = bad_excl;
	o.nexclude = 1;
	assert_int_equal(fim_open(&f, dbpath, &o), ERR_USAGE);
	o.exclude = empty;
	assert_int_equal(fim_open(&f, dbpath, &o), ERR_USAGE);
	assert_int_equal(fim_open(&f, "/nonexistent/dir/fim.db", &o),
	    ERR_USAGE);
	o.nexclude = 0;
	assert_int_equal(fim_open(&f, "/nonexistent/dir/fim.db", &o), ERR_IO);

	/* no baseline yet */
	assert_int_equal(fim_open(&f, dbpath, &o), 0);
	assert_int_equal(fim_check(f, rec_cb, r, NULL), ERR_NOTFOUND);
	assert_int_equal(fim_check_path(f, tree, rec_cb, r), ERR_NOTFOUND);
	fim_close(f);
	fim_close(NULL);

	/* a newer build's baseline, or another hash */
	sql("PRAGMA user_version = 2");
	assert_int_equal(fim_open(&f, dbpath, &o), ERR_IO);
	sql("PRAGMA user_version = 1;"
	    "UPDATE fim_meta SET value = 'md5' WHERE key = 'hash'");
	assert_int_equal(fim_open(&f, dbpath, &o), ERR_IO);
	rec_free(r);
}

static void
test_callback_stops(void **state)
{
	struct rec	*r = rec_new();

	small_tree();
	baseline();
	put("etc/a1", "1");
	put("etc/a2", "2");
	put("etc/a3", "3");
	r->stop_after = 1;
	assert_int_equal(check(r, 0), 1);
	assert_int_equal(r->n, 1);
	/* what was not reported is reported next time */
	r->stop_after = 0;
	rec_clear(r);
	assert_int_equal(check(r, 0), 0);
	assert_int_equal(r->n, 2);
	rec_free(r);
}

static void
test_absent_path_and_file_root(void **state)
{
	const char	*paths[2];
	char		 absent[PATH_MAX], file[PATH_MAX];
	struct fim_opts	 o;
	struct fim	*f;
	struct rec	*r = rec_new();
	struct fim_stats st;

	snprintf(absent, sizeof(absent), "%s/not/yet", tree);
	snprintf(file, sizeof(file), "%s/./key/../agent.key", tree);
	put("agent.key", "k");
	paths[0] = absent;
	paths[1] = file;
	memset(&o, 0, sizeof(o));
	o.paths = paths;
	o.npaths = 2;
	assert_int_equal(fim_open(&f, dbpath, &o), 0);
	assert_int_equal(fim_baseline(f, &st), 0);
	assert_int_equal(st.entries, 1);
	mkd("not");
	mkd("not/yet");
	put("agent.key", "K");
	assert_int_equal(fim_check(f, rec_cb, r, NULL), 0);
	expect(r, "not/yet", FIM_ADDED);
	expect(r, "agent.key", FIM_MODIFIED);
	assert_int_equal(r->n, 2);
	fim_close(f);
	rec_free(r);
}

/* Run the command with standard output in a file; its text in *out. */
static int
cmd(char **out, const char *a1, const char *a2, const char *a3,
    const char *a4, const char *a5)
{
	char	 *argv[8] = { "integrity", (char *)a1, (char *)a2, (char *)a3,
		    (char *)a4, (char *)a5, NULL };
	char	 path[PATH_MAX];
	int	 argc, fd, saved, rc;
	FILE	*f;
	long	 n;

	for (argc = 1; argv[argc] != NULL; argc++)
		;
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 1);
	close(fd);
	rc = fim_cmd_run(argc, argv, dir);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*out = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return rc;
}

static void
test_command(void **state)
{
	char	*out;

	small_tree();
	assert_int_equal(cmd(&out, "check", tree, NULL, NULL, NULL),
	    FIM_EXIT_ERROR);			/* no baseline yet */
	free(out);
	assert_int_equal(cmd(&out, "baseline", tree, NULL, NULL, NULL),
	    FIM_EXIT_OK);
	free(out);
	assert_int_equal(cmd(&out, "check", tree, NULL, NULL, NULL),
	    FIM_EXIT_OK);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(chmod(P("etc/passwd"), 0600), 0);
	assert_int_equal(cmd(&out, "check", "--threads", "1", tree, NULL),
	    FIM_EXIT_CHANGES);
	assert_non_null(strstr(out, "permissions "));
	assert_non_null(strstr(out, "/etc/passwd: mode 0644 -> 0600\n"));
	free(out);
	/* check does not update the baseline unless told */
	assert_int_equal(cmd(&out, "check", "--json", tree, NULL, NULL),
	    FIM_EXIT_CHANGES);
	assert_non_null(strstr(out, "\"event_type\":\"integrity\""));
	assert_non_null(strstr(out, "\"change\":\"permissions\""));
	free(out);
	assert_int_equal(cmd(&out, "check", "--update", tree, NULL, NULL),
	    FIM_EXIT_CHANGES);
	free(out);
	assert_int_equal(cmd(&out, "check", "--rehash", tree, NULL, NULL),
	    FIM_EXIT_OK);
	free(out);
	/* usage */
	assert_int_equal(cmd(&out, "verify", tree, NULL, NULL, NULL),
	    FIM_EXIT_USAGE);
	free(out);
	assert_int_equal(cmd(&out, "check", NULL, NULL, NULL, NULL),
	    FIM_EXIT_USAGE);
	free(out);
	assert_int_equal(cmd(&out, "check", "--threads", "0", tree, NULL),
	    FIM_EXIT_USAGE);
	free(out);
	assert_int_equal(cmd(&out, "check", "--bogus", tree, NULL, NULL),
	    FIM_EXIT_USAGE);
	free(out);
	assert_int_equal(cmd(&out, "baseline", "--rehash", tree, NULL, NULL),
	    FIM_EXIT_USAGE);
	free(out);
	assert_int_equal(cmd(&out, "check", "--exclude", "a/b", tree, NULL),
	    FIM_EXIT_USAGE);
	free(out);
	assert_int_equal(cmd(&out, "--help", NULL, NULL, NULL, NULL),
	    FIM_EXIT_OK);
	assert_non_null(strstr(out, "usage: vigil-agent integrity"));
	free(out);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_unchanged_no_report),
		T(test_added_removed),
		T(test_modified_same_size),
		T(test_restored_mtime),
		T(test_rehash_identical_metadata),
		T(test_permissions),
		T(test_owner),
		T(test_type_and_target),
		T(test_several_at_once),
		T(test_keep),
		T(test_fifo_not_opened),
		T(test_unreadable),
		T(test_unreachable_path),
		T(test_vanishing),
		T(test_exclusions),
		T(test_check_path),
		T(test_check_path_link),
		T(test_threads_same_result),
		T(test_non_utf8_json),
		T(test_errors),
		T(test_callback_stops),
		T(test_absent_path_and_file_root),
		T(test_command),
	};

	umask(022);
	log_init("test_fim", LOG_LVL_ERROR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
