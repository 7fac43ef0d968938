/*
 * test_db.c: opening SQLite files the one safe way (common/db.c).
 *
 * New files are mode 0600 whatever the umask; an existing file with a
 * looser mode is tightened; a symlink, a FIFO or a directory in its place
 * is refused and left as it was. Two behaviours the daemons depend on are
 * checked directly: opening a second connection does not drop the locks
 * the first holds (a plain open()/close() of the file would), and the mode
 * is changed on the file that was checked, not on whatever a racing user
 * swaps in at the path (a symlink to a file of theirs or of root's).
 *
 * Then the plumbing the modules share, on a small schema of its own:
 * created once, a file of another version refused or (a cache) made
 * anew, and a file of this version opened beside a writer without
 * waiting; statements that do not prepare (at open, and on first use
 * after the schema changed), kept only once used with DB_LAZY (counted
 * with sqlite3_next_stmt); db_run and db_row results, log lines and the
 * state they leave statements in; a busy database (another connection
 * holding the write lock); a rollback after a failed step; a COMMIT that
 * fails (a deferred foreign key) and leaves, through db_commit, no
 * transaction open; data_version.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "testutil.h"

static const struct db_spec readonly = {
	.name = "x", .flags = DB_READONLY,
};

/* T/x.db in the test's scratch directory */
#define DB(t)	tmpdir_path(db_path, sizeof(db_path), (t), "x.db")

static void
test_new_file_0600(void **state)
{
	struct tmpdir	*t = *state;
	char		 db_path[PATH_MAX];
	struct db	*db;
	mode_t		 old = umask(0);

	assert_int_equal(db_open(&db, DB(t), NULL), 0);
	umask(old);
	assert_int_equal(db_exec(db, "CREATE TABLE t(x)"), 0);
	assert_int_equal(path_mode(DB(t)), 0600);
	db_close(db);
}

static void
test_existing_tightened(void **state)
{
	struct tmpdir	*t = *state;
	char		 db_path[PATH_MAX];
	struct db	*db;

	assert_int_equal(db_open(&db, DB(t), NULL), 0);
	db_close(db);
	assert_int_equal(chmod(DB(t), 0644), 0);
	assert_int_equal(db_open(&db, DB(t), NULL), 0);
	assert_int_equal(path_mode(DB(t)), 0600);
	db_close(db);
}

static void
test_refused(void **state)
{
	struct tmpdir	*t = *state;
	char		 db_path[PATH_MAX];
	char		 victim[PATH_MAX];
	struct db	*db;

	tmpdir_path(victim, sizeof(victim), t, "victim");
	assert_int_equal(file_put(victim, "not yours\n", 10, 0644), 0);
	assert_int_equal(symlink(victim, DB(t)), 0);
	assert_int_equal(db_open(&db, DB(t), NULL), ERR_IO);
	assert_null(db);
	assert_int_equal(path_mode(victim), 0644);
	assert_int_equal(unlink(DB(t)), 0);

	assert_int_equal(mkfifo(DB(t), 0644), 0);
	assert_int_equal(db_open(&db, DB(t), NULL), ERR_IO);
	assert_int_equal(path_mode(DB(t)), 0644);
	assert_int_equal(unlink(DB(t)), 0);

	assert_int_equal(mkdir(DB(t), 0755), 0);
	assert_int_equal(db_open(&db, DB(t), NULL), ERR_IO);
	assert_int_equal(rmdir(DB(t)), 0);

	/* read-only never creates */
	assert_int_equal(db_open(&db, DB(t), &readonly), ERR_IO);
	assert_int_equal(access(DB(t), F_OK), -1);
}

/* Does another process see a lock on path? F_GETLK from a child. */
static int
locked_elsewhere(const char *path)
{
	struct flock	fl;
	pid_t		pid;
	int		st, fd;

	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		if ((fd = open(path, O_RDWR)) == -1)
			_exit(2);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;	/* l_start 0, l_len 0: all of it */
		if (fcntl(fd, F_GETLK, &fl) == -1)
			_exit(2);
		_exit(fl.l_type == F_UNLCK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 2);
	return WEXITSTATUS(st) == 1;
}

static void
test_second_open_keeps_locks(void **state)
{
	struct tmpdir	*t = *state;
	char		 db_path[PATH_MAX];
	char		 shm[PATH_MAX];
	struct db	*a, *b;

	assert_int_equal(db_open(&a, DB(t), NULL), 0);
	assert_int_equal(db_exec(a, "CREATE TABLE t(x); BEGIN IMMEDIATE;"
	    "INSERT INTO t VALUES (1)"), 0);
	tmpdir_path(shm, sizeof(shm), t, "x.db-shm");
	assert_true(locked_elsewhere(shm));
	assert_true(locked_elsewhere(DB(t)));
	/* loosen the mode so that the second open has work to do */
	assert_int_equal(chmod(DB(t), 0640), 0);
	assert_int_equal(db_open(&b, DB(t), NULL), 0);
	assert_int_equal(path_mode(DB(t)), 0600);
	assert_true(locked_elsewhere(shm));
	assert_true(locked_elsewhere(DB(t)));
	assert_int_equal(db_exec(a, "COMMIT"), 0);
	db_close(b);
	db_close(a);
}

/*
 * A user who can write where the database is swaps it, over and over,
 * between a regular file of mode 0644 and a symlink to a victim file.
 * Checking by path and then chmod()ing by path would sooner or later
 * chmod the victim; checking and changing one descriptor never does.
 */
struct flipper {
	struct tmpdir	*t;
	char		 db[PATH_MAX];
	char		 victim[PATH_MAX];
	atomic_int	 stop;
};

static void *
flip(void *arg)
{
	struct flipper	*fl = arg;
	char		 lnk[PATH_MAX], reg[PATH_MAX];
	int		 fd;

	tmpdir_path(lnk, sizeof(lnk), fl->t, "lnk");
	tmpdir_path(reg, sizeof(reg), fl->t, "reg");
	while (!atomic_load(&fl->stop)) {
		if (symlink(fl->victim, lnk) == 0)
			(void)rename(lnk, fl->db);
		if ((fd = open(reg, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) {
			(void)write(fd, "garbage, not sqlite", 19);
			(void)fchmod(fd, 0644);
			(void)close(fd);
			(void)rename(reg, fl->db);
		}
	}
	return NULL;
}

static void
test_swap_race(void **state)
{
	struct flipper	 fl;
	pthread_t	 th;
	struct db	*db;
	char		 buf[64];
	int		 i, fd, opened = 0;
	ssize_t		 n;
	time_t		 t0;

	memset(&fl, 0, sizeof(fl));
	fl.t = *state;
	tmpdir_path(fl.db, sizeof(fl.db), fl.t, "x.db");
	tmpdir_path(fl.victim, sizeof(fl.victim), fl.t, "victim");
	assert_int_equal(file_put(fl.victim, "root's file\n", 12, 0644), 0);
	log_setlevel(LOG_LVL_ERROR);	/* thousands of expected refusals */
	assert_int_equal(pthread_create(&th, NULL, flip, &fl), 0);
	/* two seconds at most; stops at the first damage */
	t0 = time(NULL);
	for (i = 0; time(NULL) - t0 < 2 && path_mode(fl.victim) == 0644; i++) {
		if (db_open(&db, fl.db, NULL) == 0) {
			opened++;
			db_close(db);
		}
	}
	atomic_store(&fl.stop, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	log_setlevel(LOG_LVL_INFO);
	print_message("%d opens, %d accepted\n", i, opened);
	assert_int_equal(path_mode(fl.victim), 0644);
	assert_true((fd = open(fl.victim, O_RDONLY)) >= 0);
	assert_true((n = read(fd, buf, sizeof(buf))) >= 0);
	close(fd);
	assert_int_equal(n, 12);
	assert_memory_equal(buf, "root's file\n", 12);
}

/* ---- the plumbing modules share: struct db_spec and struct db ---- */

enum { Q_PUT, Q_GET, Q_COUNT, Q_N };

static const char *const t_sql[Q_N] = {
	[Q_PUT] = "INSERT INTO t (k, v) VALUES (?1, ?2)",
	[Q_GET] = "SELECT v FROM t WHERE k = ?1",
	[Q_COUNT] = "SELECT count(*) FROM t",
};

/* d's reference to t is checked at COMMIT, so a COMMIT can fail */
#define T_SCHEMA \
	"CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL);" \
	"CREATE TABLE d (k INTEGER REFERENCES t(k)" \
	" DEFERRABLE INITIALLY DEFERRED);"

static const struct db_spec t_spec = {
	.name = "t", .version = 3, .schema = T_SCHEMA,
	.sql = t_sql, .n = Q_N,
};
static const struct db_spec t_lazy = {
	.name = "t", .version = 3, .schema = T_SCHEMA,
	.sql = t_sql, .n = Q_N, .flags = DB_LAZY,
};
/* a later build: a file of version 3 is refused, or made anew */
static const struct db_spec t_v4 = {
	.name = "t", .version = 4, .schema = T_SCHEMA,
	.sql = t_sql, .n = Q_N,
};
static const struct db_spec t_v4_cache = {
	.name = "t", .version = 4, .flags = DB_REPLACE,
	.schema = "DROP TABLE IF EXISTS d; DROP TABLE IF EXISTS t;" T_SCHEMA,
	.sql = t_sql, .n = Q_N,
};
/* a later build that knows the way up from 3 (and from 2: not there) */
static const char *const t_up[] = { NULL, NULL,
    "CREATE TABLE u(k INTEGER PRIMARY KEY)" };
static const struct db_spec t_v4_up = {
	.name = "t", .version = 4, .schema = T_SCHEMA
	    "CREATE TABLE u(k INTEGER PRIMARY KEY);",
	.upgrade = t_up, .sql = t_sql, .n = Q_N,
};
static const char *const t_up_bad[] = { NULL, NULL, "CREATE TABLE t(x)" };
static const struct db_spec t_v4_up_bad = {
	.name = "t", .version = 4, .schema = T_SCHEMA,
	.upgrade = t_up_bad, .sql = t_sql, .n = Q_N,
};
static const char *const bad_sql[] = { "SELECT nope FROM t" };
static const struct db_spec t_bad = {
	.name = "t", .version = 3, .schema = T_SCHEMA,
	.sql = bad_sql, .n = 1,
};
static const struct db_spec t_bad_lazy = {
	.name = "t", .version = 3, .schema = T_SCHEMA,
	.sql = bad_sql, .n = 1, .flags = DB_LAZY,
};

/* t[k] = v (v NULL: SQL NULL, which t refuses) through the table. */
static int
put(struct db *d, int64_t k, const char *v)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(d, Q_PUT)) == NULL)
		return ERR_IO;
	sqlite3_bind_int64(st, 1, k);
	if (v != NULL)
		sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	return db_run(d, st, "put");
}

/* 0 if t has k, else ERR_NOTFOUND or ERR_IO. */
static int
get(struct db *d, int64_t k)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(d, Q_GET)) == NULL)
		return ERR_IO;
	sqlite3_bind_int64(st, 1, k);
	rc = db_row(d, st, "get");
	db_done(st);
	return rc;
}

/* A call whose log lines are captured (logged()). */
struct call {
	struct db	*d;
	int		(*fn)(struct call *);
	int		 rc;
	const char	*path;
	const struct db_spec *spec;
	struct db	*out;
};

static void
call_run(void *arg)
{
	struct call	*c = arg;

	c->rc = c->fn(c);
}

/* What fn(c) logged; its result is c->rc. */
static char *
logged(struct call *c, int (*fn)(struct call *))
{
	char	*out;

	c->fn = fn;
	assert_non_null(out = capture_stderr(call_run, c));
	return out;
}

static int
call_open(struct call *c)
{
	return db_open(&c->out, c->path, c->spec);
}

static int
call_begin(struct call *c)
{
	return db_begin(c->d, DB_IMMEDIATE);
}

static int
call_commit(struct call *c)
{
	return db_commit(c->d);
}

static int
call_put_dup(struct call *c)
{
	return put(c->d, 1, "again");
}

static int
call_put_null(struct call *c)
{
	return put(c->d, 2, NULL);
}

static int64_t
one_int(struct db *d, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v;

	assert_int_equal(db_prepare(d, &st, sql), 0);
	assert_int_equal(db_row(d, st, sql), 0);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Statements this connection holds prepared. */
static int
nstmts(struct db *d)
{
	sqlite3_stmt	*st = NULL;
	int		 n = 0;

	while ((st = sqlite3_next_stmt(db_sqlite(d), st)) != NULL)
		n++;
	return n;
}

static void
test_schema(void **state)
{
	struct tmpfile	*f = *state;
	struct call	 c = { .path = f->path };
	struct db	*d;
	char		*log;

	assert_int_equal(db_open(&d, f->path, &t_spec), 0);
	assert_int_equal(one_int(d, "PRAGMA user_version"), 3);
	assert_int_equal(put(d, 1, "one"), 0);
	db_close(d);
	/* made once: a second CREATE TABLE would fail */
	assert_int_equal(db_open(&d, f->path, &t_spec), 0);
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 1);
	db_close(d);

	/* another version: refused, and the file left as it was */
	c.spec = &t_v4;
	log = logged(&c, call_open);
	assert_int_equal(c.rc, ERR_IO);
	assert_null(c.out);
	assert_non_null(strstr(log, "schema version 3, not this build's 4"));
	assert_non_null(strstr(log, f->path));
	free(log);
	assert_int_equal(db_open(&d, f->path, &t_spec), 0);
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 1);
	db_close(d);

	/* or, for a cache, made anew */
	assert_int_equal(db_open(&d, f->path, &t_v4_cache), 0);
	assert_int_equal(one_int(d, "PRAGMA user_version"), 4);
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 0);
	db_close(d);
}

/* An older file is brought up in one transaction, keeping its rows; a
 * step that fails leaves it as it was; a file with no way up is refused.
 * A second module's statements on the same connection (db_table_stmt). */
static void
test_upgrade(void **state)
{
	static const char *const u_sql[] = { "INSERT INTO u(k) VALUES (?1)",
	    "SELECT count(*) FROM u", "SELECT nope FROM u" };
	static const struct db_table u_table = { "u", u_sql, 3 };
	struct tmpfile	*f = *state;
	struct call	 c = { .path = f->path };
	struct db	*d;
	sqlite3_stmt	*st;
	char		*log;

	assert_int_equal(db_open(&d, f->path, &t_spec), 0);
	assert_int_equal(put(d, 1, "one"), 0);
	db_close(d);

	c.spec = &t_v4_up_bad;		/* the step fails: nothing changes */
	log = logged(&c, call_open);
	assert_int_equal(c.rc, ERR_IO);
	assert_non_null(strstr(log, "upgrade"));
	free(log);
	assert_int_equal(db_open(&d, f->path, &t_spec), 0);
	assert_int_equal(one_int(d, "PRAGMA user_version"), 3);
	db_close(d);

	c.spec = &t_v4_up;
	log = logged(&c, call_open);
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(log, "schema upgraded to version 4"));
	free(log);
	d = c.out;
	assert_int_equal(one_int(d, "PRAGMA user_version"), 4);
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 1);

	assert_non_null(st = db_table_stmt(d, &u_table, 0));
	assert_ptr_equal(db_table_stmt(d, &u_table, 0), st);	/* kept */
	sqlite3_bind_int64(st, 1, 7);
	assert_int_equal(db_run(d, st, "u put"), 0);
	assert_non_null(st = db_table_stmt(d, &u_table, 1));
	assert_int_equal(db_row(d, st, "u count"), 0);
	assert_int_equal(sqlite3_column_int64(st, 0), 1);
	db_done(st);
	assert_null(db_table_stmt(d, &u_table, 2));	/* logged, NULL */
	db_close(d);			/* finalizes them: no leak (ASan) */

	/* no way up from 2 */
	assert_int_equal(db_open(&d, f->path, NULL), 0);
	assert_int_equal(db_exec(d, "PRAGMA user_version = 2"), 0);
	db_close(d);
	c.spec = &t_v4_up;
	c.out = NULL;
	free(logged(&c, call_open));
	assert_int_equal(c.rc, ERR_IO);
	assert_null(c.out);
}

/* The legacy hook of t_v4_legacy: the file is its own if t has a row
 * k = 1 reading "legacy"; it then gains table u (version 1's). */
static int
t_legacy(struct db *d)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (db_prepare(d, &st, "SELECT 1 FROM t WHERE k = 1 AND"
	    " v = 'legacy'") != 0)
		return ERR_IO;
	rc = db_row(d, st, "legacy");
	sqlite3_finalize(st);
	if (rc != 0) {
		log_warnx("%s: not ours", db_name(d));
		return ERR_IO;
	}
	return db_exec(d, "CREATE TABLE u(k INTEGER PRIMARY KEY)");
}

/* from 1 (what t_legacy makes): 1 -> 2 adds w, 2 -> 3 and 3 -> 4 nothing */
static const char *const t_up_legacy[] = {
	"CREATE TABLE w(k INTEGER PRIMARY KEY)", "SELECT 1", "SELECT 1" };
static const struct db_spec t_v4_legacy = {
	.name = "t", .version = 4, .schema = T_SCHEMA
	    "CREATE TABLE u(k INTEGER PRIMARY KEY);"
	    "CREATE TABLE w(k INTEGER PRIMARY KEY);",
	.upgrade = t_up_legacy, .legacy = t_legacy, .sql = t_sql, .n = Q_N,
};

/*
 * A file with tables but user_version 0 (made before its module kept a
 * version): refused without a legacy hook, made anew for a cache, taken
 * over by the hook then upgraded step by step, and left as it was when
 * the hook refuses it. A newer file is refused as such.
 */
static void
test_legacy(void **state)
{
	struct tmpfile	*f = *state;
	struct call	 c = { .path = f->path };
	struct db	*d;
	char		*log;

	assert_int_equal(db_open(&d, f->path, NULL), 0);
	assert_int_equal(db_exec(d, T_SCHEMA
	    "INSERT INTO t VALUES (1, 'other');"), 0);
	db_close(d);

	c.spec = &t_v4;			/* no hook: refused, unchanged */
	log = logged(&c, call_open);
	assert_int_equal(c.rc, ERR_IO);
	assert_non_null(strstr(log, "tables but no schema version"));
	free(log);
	c.spec = &t_v4_legacy;		/* the hook refuses it */
	log = logged(&c, call_open);
	assert_int_equal(c.rc, ERR_IO);
	assert_non_null(strstr(log, "not ours"));
	free(log);
	assert_int_equal(db_open(&d, f->path, NULL), 0);
	assert_int_equal(one_int(d, "PRAGMA user_version"), 0);
	assert_int_equal(one_int(d, "SELECT count(*) FROM sqlite_master"
	    " WHERE name IN ('u', 'w')"), 0);
	assert_int_equal(db_exec(d, "UPDATE t SET v = 'legacy'"), 0);
	db_close(d);

	/* taken over: 0 -> 1 by the hook, 1 -> 4 by the steps, rows kept */
	log = logged(&c, call_open);
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(log, "schema upgraded to version 4 (from 0)"));
	free(log);
	d = c.out;
	assert_int_equal(one_int(d, "PRAGMA user_version"), 4);
	assert_int_equal(one_int(d, "SELECT count(*) FROM sqlite_master"
	    " WHERE name IN ('u', 'w')"), 2);
	assert_int_equal(get(d, 1), 0);
	db_close(d);

	/* a later build's file */
	c.spec = &t_spec;
	log = logged(&c, call_open);
	assert_int_equal(c.rc, ERR_IO);
	assert_non_null(strstr(log,
	    "schema version 4, not this build's 3: a newer build's file"));
	free(log);

	/* a cache with tables and no version: made anew */
	assert_int_equal(db_open(&d, f->path, NULL), 0);
	assert_int_equal(db_exec(d, "PRAGMA user_version = 0"), 0);
	db_close(d);
	assert_int_equal(db_open(&d, f->path, &t_v4_cache), 0);
	assert_int_equal(one_int(d, "PRAGMA user_version"), 4);
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 0);
	db_close(d);
}

/* A file of this version is settled without the write lock: a CLI opens
 * it while the daemon is in a write transaction, without waiting out the
 * busy timeout. */
static void
test_open_beside_writer(void **state)
{
	struct tmpfile	*f = *state;
	struct db	*w, *d;
	time_t		 t0;

	assert_int_equal(db_open(&w, f->path, &t_spec), 0);
	assert_int_equal(db_begin(w, DB_IMMEDIATE), 0);
	assert_int_equal(put(w, 1, "uncommitted"), 0);
	t0 = time(NULL);
	assert_int_equal(db_open(&d, f->path, &t_spec), 0);
	assert_true(time(NULL) - t0 < DB_BUSY_TIMEOUT_MS / 1000 / 2);
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 0);
	assert_int_equal(db_commit(w), 0);
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 1);
	db_close(d);
	db_close(w);
}

static void
test_prepare_fails(void **state)
{
	struct tmpfile	*f = *state;
	struct call	 c = { .path = f->path };
	struct db	*d, *other;
	char		*log;

	/* at open, lazy or not: the schema lacks what a statement names */
	c.spec = &t_bad;
	log = logged(&c, call_open);
	assert_int_equal(c.rc, ERR_IO);
	assert_null(c.out);
	assert_non_null(strstr(log, "prepare SELECT nope FROM t: no such "
	    "column: nope"));
	free(log);
	c.spec = &t_bad_lazy;
	free(logged(&c, call_open));
	assert_int_equal(c.rc, ERR_IO);
	assert_null(c.out);

	/* on first use: the schema changed since (another process) */
	assert_int_equal(db_open(&d, f->path, &t_lazy), 0);
	assert_int_equal(db_open(&other, f->path, NULL), 0);
	assert_int_equal(db_exec(other, "DROP TABLE d; DROP TABLE t"), 0);
	db_close(other);
	/* (reading, d sees that: prepare alone uses its cached schema) */
	assert_int_equal(one_int(d, "SELECT count(*) FROM sqlite_master"), 0);
	assert_null(db_stmt(d, Q_GET));
	assert_int_equal(db_exec(d, T_SCHEMA), 0);
	assert_non_null(db_stmt(d, Q_GET));
	db_close(d);
}

/* DB_LAZY: a handle keeps only the statements it has run. */
static void
test_lazy(void **state)
{
	struct tmpfile	*f = *state;
	struct db	*d;

	assert_int_equal(db_open(&d, f->path, &t_spec), 0);
	assert_int_equal(nstmts(d), Q_N);
	db_close(d);
	assert_int_equal(db_open(&d, f->path, &t_lazy), 0);
	assert_int_equal(nstmts(d), 0);
	assert_int_equal(put(d, 1, "one"), 0);
	assert_int_equal(put(d, 2, "two"), 0);
	assert_int_equal(nstmts(d), 1);
	assert_int_equal(get(d, 2), 0);
	assert_int_equal(nstmts(d), 2);
	db_close(d);
}

static void
test_run_row(void **state)
{
	struct tmpfile	*f = *state;
	struct call	 c = { 0 };
	sqlite3_stmt	*st;
	char		*log;

	assert_int_equal(db_open(&c.d, f->path, &t_spec), 0);
	assert_int_equal(put(c.d, 1, "one"), 0);
	/* the row is there already: ERR_EXISTS, for the caller to say */
	log = logged(&c, call_put_dup);
	assert_int_equal(c.rc, ERR_EXISTS);
	assert_string_equal(log, "");
	free(log);
	/* any other failure is logged with the file and what failed */
	log = logged(&c, call_put_null);
	assert_int_equal(c.rc, ERR_IO);
	assert_non_null(strstr(log, f->path));
	assert_non_null(strstr(log, ": put: NOT NULL constraint failed"));
	free(log);
	/* left reset, bindings cleared */
	st = db_stmt(c.d, Q_PUT);
	assert_false(sqlite3_stmt_busy(st));
	assert_int_equal(sqlite3_step(st), SQLITE_CONSTRAINT_NOTNULL);
	db_done(st);
	db_done(NULL);

	st = db_stmt(c.d, Q_GET);
	sqlite3_bind_int64(st, 1, 1);
	assert_int_equal(db_row(c.d, st, "get"), 0);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "one");
	assert_true(sqlite3_stmt_busy(st));	/* until db_done */
	assert_int_equal(db_row(c.d, st, "get"), ERR_NOTFOUND);
	db_done(st);
	assert_false(sqlite3_stmt_busy(st));
	db_close(c.d);
}

/* Another connection holds the write lock: BEGIN IMMEDIATE gives up after
 * the busy timeout, says so once, and leaves no transaction open. */
static void
test_busy(void **state)
{
	struct tmpfile	*f = *state;
	struct call	 c = { 0 };
	struct db	*w;
	char		*log;

	assert_int_equal(db_open(&c.d, f->path, &t_spec), 0);
	assert_int_equal(db_open(&w, f->path, &t_spec), 0);
	assert_int_equal(sqlite3_busy_timeout(db_sqlite(c.d), 50), SQLITE_OK);
	assert_int_equal(db_begin(w, DB_IMMEDIATE), 0);
	log = logged(&c, call_begin);
	assert_int_equal(c.rc, ERR_IO);
	assert_non_null(strstr(log, ": begin: database is locked"));
	assert_null(strchr(strchr(log, '\n') + 1, '\n'));	/* one line */
	free(log);
	assert_true(sqlite3_get_autocommit(db_sqlite(c.d)));
	/* a deferred one fails at its first write; rolled back */
	assert_int_equal(db_begin(c.d, DB_DEFERRED), 0);
	assert_int_equal(get(c.d, 1), ERR_NOTFOUND);
	assert_int_equal(db_end(c.d, put(c.d, 1, "one")), ERR_IO);
	assert_true(sqlite3_get_autocommit(db_sqlite(c.d)));
	/* and once the writer is done, it goes through */
	assert_int_equal(db_commit(w), 0);
	assert_int_equal(db_begin(c.d, DB_IMMEDIATE), 0);
	assert_int_equal(put(c.d, 1, "one"), 0);
	assert_int_equal(db_end(c.d, 0), 0);
	assert_int_equal(one_int(w, "SELECT count(*) FROM t"), 1);
	db_close(w);
	db_close(c.d);
}

/* A step fails inside a transaction: db_end rolls back all of it. */
static void
test_rollback_after_failed_step(void **state)
{
	struct tmpfile	*f = *state;
	struct db	*d;
	int		 rc;

	assert_int_equal(db_open(&d, f->path, &t_spec), 0);
	assert_int_equal(db_begin(d, DB_IMMEDIATE), 0);
	assert_int_equal(put(d, 1, "one"), 0);
	rc = put(d, 1, "one again");
	assert_int_equal(rc, ERR_EXISTS);
	assert_int_equal(db_end(d, rc), ERR_EXISTS);
	assert_true(sqlite3_get_autocommit(db_sqlite(d)));
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 0);
	db_rollback(d);			/* none open: nothing to do */
	assert_int_equal(db_begin(d, DB_IMMEDIATE), 0);
	assert_int_equal(put(d, 1, "one"), 0);
	assert_int_equal(db_end(d, 0), 0);
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 1);
	db_close(d);
}

/*
 * A COMMIT that fails can leave its transaction open (SQLite does for a
 * deferred constraint, and for SQLITE_BUSY): every later BEGIN on that
 * connection would then fail, as fim.c's batches did until its handle was
 * closed. db_commit rolls back, logs once, and the connection goes on.
 */
static void
test_commit_fails(void **state)
{
	struct tmpfile	*f = *state;
	struct call	 c = { 0 };
	char		*log;

	assert_int_equal(db_open(&c.d, f->path, &t_spec), 0);
	/* what SQLite does by itself */
	assert_int_equal(db_exec(c.d, "BEGIN; INSERT INTO d VALUES (7)"), 0);
	assert_int_equal(sqlite3_exec(db_sqlite(c.d), "COMMIT", NULL, NULL,
	    NULL), SQLITE_CONSTRAINT_FOREIGNKEY);
	assert_false(sqlite3_get_autocommit(db_sqlite(c.d)));
	db_rollback(c.d);
	/* what db_commit does */
	assert_int_equal(db_begin(c.d, DB_IMMEDIATE), 0);
	assert_int_equal(db_exec(c.d, "INSERT INTO d VALUES (7)"), 0);
	log = logged(&c, call_commit);
	assert_int_equal(c.rc, ERR_IO);
	assert_non_null(strstr(log, ": commit: FOREIGN KEY constraint failed"));
	free(log);
	assert_true(sqlite3_get_autocommit(db_sqlite(c.d)));
	assert_int_equal(one_int(c.d, "SELECT count(*) FROM d"), 0);
	assert_int_equal(db_begin(c.d, DB_IMMEDIATE), 0);
	assert_int_equal(put(c.d, 7, "seven"), 0);
	assert_int_equal(db_exec(c.d, "INSERT INTO d VALUES (7)"), 0);
	assert_int_equal(db_commit(c.d), 0);
	assert_int_equal(one_int(c.d, "SELECT count(*) FROM d"), 1);
	db_close(c.d);
}

/* Other connections' commits, and only those, are news. */
static void
test_changed(void **state)
{
	struct tmpfile	*f = *state;
	struct db	*a, *b;

	assert_int_equal(db_open(&a, f->path, &t_spec), 0);
	assert_int_equal(db_open(&b, f->path, &t_lazy), 0);
	assert_int_equal(db_changed(a), 0);
	assert_int_equal(put(b, 1, "one"), 0);
	assert_int_equal(db_changed(a), 1);
	assert_int_equal(db_changed(a), 0);
	assert_int_equal(db_changed(b), 0);	/* its own */
	assert_int_equal(put(a, 2, "two"), 0);
	assert_int_equal(db_changed(a), 0);
	assert_int_equal(db_changed(b), 1);
	/* a rolled-back transaction changes nothing */
	assert_int_equal(db_begin(b, DB_IMMEDIATE), 0);
	assert_int_equal(put(b, 3, "three"), 0);
	db_rollback(b);
	assert_int_equal(db_changed(a), 0);
	db_close(b);
	db_close(a);
}

static void
test_readonly(void **state)
{
	struct tmpfile	*f = *state;
	struct db	*d;
	char		 name[PATH_MAX + 8];

	assert_int_equal(db_open(&d, f->path, &t_spec), 0);
	db_close(d);
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(db_open(&d, f->path, &readonly), 0);
	assert_int_equal(one_int(d, "SELECT count(*) FROM t"), 0);
	assert_int_equal(db_exec(d, "INSERT INTO t VALUES (1, 'x')"), ERR_IO);
	snprintf(name, sizeof(name), "x %s", f->path);
	assert_string_equal(db_name(d), name);
	db_close(d);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_prestate_setup_teardown(f, tmpfile_setup, \
		    tmpdir_teardown, "x.db")
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_file_0600, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_existing_tightened, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_refused, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_second_open_keeps_locks,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_swap_race, tmpdir_setup,
		    tmpdir_teardown),
		T(test_schema),
		T(test_upgrade),
		T(test_legacy),
		T(test_open_beside_writer),
		T(test_prepare_fails),
		T(test_lazy),
		T(test_run_row),
		T(test_busy),
		T(test_rollback_after_failed_step),
		T(test_commit_fails),
		T(test_changed),
		T(test_readonly),
	};

	log_init("test_db", LOG_LVL_INFO, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
