/*
 * test_scancache.c: the scan cache hits only for the same file state and
 * rule-set version, survives a reopen, and is safe to share across threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "err.h"
#include "log.h"
#include "scancache.h"
#include "testutil.h"

static struct stat
file_state(dev_t dev, ino_t ino, off_t size, time_t mt, time_t ct)
{
	struct stat	sb;

	memset(&sb, 0, sizeof(sb));
	sb.st_dev = dev;
	sb.st_ino = ino;
	sb.st_size = size;
	sb.st_mtim.tv_sec = mt;
	sb.st_mtim.tv_nsec = 5;
	sb.st_ctim.tv_sec = ct;
	sb.st_ctim.tv_nsec = 7;
	return sb;
}

static void
test_hit_only_for_same_state(void **state)
{
	struct tmpfile		*f = *state;
	struct scancache	*c;
	struct stat		 sb = file_state(1, 100, 4096, 1000, 2000), x;

	assert_int_equal(scancache_open(&c, f->path), 0);
	assert_int_equal(scancache_lookup(c, &sb, "v1"), 0);
	assert_int_equal(scancache_store(c, &sb, "v1", 1), 0);
	assert_int_equal(scancache_lookup(c, &sb, "v1"), 1);
	assert_int_equal(scancache_lookup(c, &sb, "v2"), 0);	/* new rules */
	x = sb; x.st_size++;
	assert_int_equal(scancache_lookup(c, &x, "v1"), 0);
	x = sb; x.st_mtim.tv_nsec++;
	assert_int_equal(scancache_lookup(c, &x, "v1"), 0);
	x = sb; x.st_ctim.tv_sec++;	/* rewritten, mtime restored */
	assert_int_equal(scancache_lookup(c, &x, "v1"), 0);
	x = sb; x.st_ino++;
	assert_int_equal(scancache_lookup(c, &x, "v1"), 0);
	x = sb; x.st_dev++;
	assert_int_equal(scancache_lookup(c, &x, "v1"), 0);
	assert_int_equal(scancache_forget(c, &sb), 0);
	assert_int_equal(scancache_lookup(c, &sb, "v1"), 0);
	scancache_close(c);
}

static void
test_survives_reopen_and_prune(void **state)
{
	struct tmpfile		*f = *state;
	struct scancache	*c;
	struct stat		 a = file_state(1, 1, 10, 1, 1);
	struct stat		 b = file_state(1, 2, 10, 1, 1);
	struct stat		 sb;

	assert_int_equal(scancache_open(&c, f->path), 0);
	assert_int_equal(scancache_store(c, &a, "old", 1), 0);
	assert_int_equal(scancache_store(c, &b, "new", 1), 0);
	scancache_close(c);				/* flushes */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(scancache_open(&c, f->path), 0);
	assert_int_equal(scancache_lookup(c, &a, "old"), 1);
	assert_int_equal(scancache_lookup(c, &b, "new"), 1);
	assert_int_equal(scancache_prune(c, "new"), 0);
	assert_int_equal(scancache_lookup(c, &a, "old"), 0);
	assert_int_equal(scancache_lookup(c, &b, "new"), 1);
	scancache_close(c);
}

static void
test_many_entries_batched(void **state)
{
	struct tmpfile		*f = *state;
	struct scancache	*c;
	struct stat		 sb;
	int			 i;

	assert_int_equal(scancache_open(&c, f->path), 0);
	for (i = 0; i < 3 * SCANCACHE_BATCH + 17; i++) {
		sb = file_state(3, (ino_t)i, i, i, i);
		assert_int_equal(scancache_store(c, &sb, "v", 1), 0);
	}
	assert_int_equal(scancache_flush(c), 0);
	for (i = 0; i < 3 * SCANCACHE_BATCH + 17; i++) {
		sb = file_state(3, (ino_t)i, i, i, i);
		assert_int_equal(scancache_lookup(c, &sb, "v"), 1);
	}
	scancache_close(c);
}

struct worker {
	struct scancache	*c;
	int			 id;
	int			 ok;
};

static void *
work(void *arg)
{
	struct worker	*w = arg;
	struct stat	 sb;
	int		 i;

	w->ok = 1;
	for (i = 0; i < 2000; i++) {
		sb = file_state(9, (ino_t)(w->id * 100000 + i), i, i, i);
		if (scancache_store(w->c, &sb, "v", 1) != 0 ||
		    scancache_lookup(w->c, &sb, "v") != 1)
			w->ok = 0;
	}
	return NULL;
}

static void
test_threads_share_it(void **state)
{
	struct tmpfile		*f = *state;
	struct scancache	*c;
	struct worker		 w[4];
	pthread_t		 t[4];
	int			 i;

	assert_int_equal(scancache_open(&c, f->path), 0);
	for (i = 0; i < 4; i++) {
		w[i].c = c;
		w[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(w[i].ok);
	}
	scancache_close(c);
}

/* The verdict comes back as stored, and a rescan overwrites it. */
static void
test_clean_or_known(void **state)
{
	struct tmpfile		*f = *state;
	struct scancache	*c;
	struct stat		 a = file_state(1, 1, 10, 1, 1);
	struct stat		 b = file_state(1, 2, 10, 1, 1);

	assert_int_equal(scancache_open(&c, f->path), 0);
	assert_int_equal(scancache_store(c, &a, "v", 1), 0);
	assert_int_equal(scancache_store(c, &b, "v", 0), 0);
	assert_int_equal(scancache_lookup(c, &a, "v"), SCANCACHE_CLEAN);
	assert_int_equal(scancache_lookup(c, &b, "v"), SCANCACHE_KNOWN);
	scancache_close(c);
	assert_int_equal(scancache_open(&c, f->path), 0);
	assert_int_equal(scancache_lookup(c, &b, "v"), SCANCACHE_KNOWN);
	assert_int_equal(scancache_store(c, &b, "v", 1), 0);
	assert_int_equal(scancache_lookup(c, &b, "v"), SCANCACHE_CLEAN);
	scancache_close(c);
}

/* A file written by the first version (no clean column, user_version 0)
 * is emptied and used, never misread. */
static void
test_old_schema_emptied(void **state)
{
	struct tmpfile		*f = *state;
	struct scancache	*c;
	struct stat		 a = file_state(1, 1, 10, 1, 1);
	sqlite3			*db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE files (dev INTEGER "
	    "NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ns "
	    "INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, version TEXT NOT "
	    "NULL, PRIMARY KEY (dev, ino)) WITHOUT ROWID;"
	    "INSERT INTO files VALUES (1, 1, 10, 1000000005, 1000000007, 'v')",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(scancache_open(&c, f->path), 0);
	assert_int_equal(scancache_lookup(c, &a, "v"), SCANCACHE_MISS);
	assert_int_equal(scancache_store(c, &a, "v", 1), 0);
	assert_int_equal(scancache_lookup(c, &a, "v"), SCANCACHE_CLEAN);
	scancache_close(c);
}

static void
test_open_fails_cleanly(void **state)
{
	struct scancache	*c = (void *)1;

	assert_int_equal(scancache_open(&c, "/nonexistent/dir/scan.db"), ERR_IO);
	assert_null(c);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_prestate_setup_teardown(f, tmpfile_setup, \
		    tmpdir_teardown, "scan.db")
	const struct CMUnitTest tests[] = {
		T(test_hit_only_for_same_state),
		T(test_survives_reopen_and_prune),
		T(test_many_entries_batched),
		T(test_threads_share_it),
		T(test_clean_or_known),
		T(test_old_schema_emptied),
		cmocka_unit_test(test_open_fails_cleanly),
	};

	log_init("test_scancache", LOG_LVL_ERROR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
