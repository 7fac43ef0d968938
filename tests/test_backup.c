/*
 * test_backup.c: online copies of the store (backup.h) and the report's
 * backups control that reads their audit log entries.
 *
 * The store takes events from a second connection in another thread
 * for the whole copy (as the daemon's writer does beside the command):
 * the copy checks, holds every event committed before it began, no
 * partial batch, and is mode 0600. Its audit entry makes the control
 * pass; the same report made backup_max_age later fails it.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "backup.h"
#include "db.h"
#include "err.h"
#include "report.h"
#include "store.h"
#include "store_fixture.h"

#define NOV	1793466000LL	/* 2026-11-01T00:00:00+0700 */
#define DAY	86400LL
#define BATCH	50		/* events per insert: all or none in a copy */
#define BEFORE	400		/* events committed before the copy */

struct fx {
	struct store_fx	 sf;
	int64_t		 agent;
	atomic_int	 stop;
	atomic_int	 batches;	/* committed by the writer */
};

static int
setup(void **state)
{
	struct fx	*f = store_fx_new(sizeof(*f));
	uint8_t		 pub[32];

	if (f == NULL)
		return -1;
	memset(pub, 1, sizeof(pub));
	if (store_agent_add(f->sf.s, &f->agent, "0000000000000001", pub,
	    "pc-1", "Xã An", NOV - DAY) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	store_fx_free(*state);
	return 0;
}

/* One batch of BATCH events, numbered from *seq. */
static int
insert_batch(struct store *s, int64_t agent, int64_t *seq)
{
	static const char	 json[] = "{\"event_type\":\"test\"}";
	struct store_event	 ev[BATCH];
	size_t			 i, n;

	for (i = 0; i < BATCH; i++) {
		memset(&ev[i], 0, sizeof(ev[i]));
		ev[i].agent_rowid = agent;
		ev[i].seq = ++*seq;
		ev[i].ts_us = (NOV + *seq) * 1000000;
		ev[i].type = "test";
		ev[i].json = json;
		ev[i].len = sizeof(json) - 1;
	}
	return store_events_insert(s, ev, BATCH, &n) != 0 || n != BATCH;
}

/* The daemon's writer: batches on its own connection until told. */
static void *
writer(void *arg)
{
	struct fx	*f = arg;
	struct store	*s;
	int64_t		 seq = 1000000;

	if (store_open(&s, f->sf.tf.path) != 0)
		return (void *)1;
	while (!atomic_load(&f->stop)) {
		if (insert_batch(s, f->agent, &seq) != 0)
			break;
		atomic_fetch_add(&f->batches, 1);
	}
	store_close(s);
	return NULL;
}

static int64_t
count(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
path_in(char *out, size_t len, const struct fx *f, const char *name)
{
	char	dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", f->sf.tf.path);
	*strrchr(dir, '/') = '\0';
	assert_true(snprintf(out, len, "%s/%s", dir, name) < (int)len);
}

static const json_t *
global_control(const json_t *doc, const char *id)
{
	const json_t	*c;
	size_t		 i;

	json_array_foreach(json_object_get(doc, "controls"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "id")), id) ==
		    0)
			return c;
	fail_msg("no control %s", id);
	return NULL;
}

static const char *
backups_status(struct fx *f, int64_t now, int64_t max_age, int64_t *age)
{
	static char		 status[16];
	struct report_opts	 o = { .now = now, .by = "t",
				    .backup_max_age = max_age };
	const json_t		*c, *ev;
	json_t			*doc;

	assert_int_equal(report_period_parse(&o.period, REPORT_MONTH,
	    "2026-11"), 0);
	assert_int_equal(report_build(&doc, f->sf.s, &o), 0);
	c = global_control(doc, "backups");
	ev = json_object_get(c, "evidence");
	*age = json_integer_value(json_object_get(ev, "age_s"));
	assert_int_equal(json_integer_value(json_object_get(ev, "max_age_s")),
	    max_age > 0 ? max_age : 7 * DAY);
	snprintf(status, sizeof(status), "%s",
	    json_string_value(json_object_get(c, "status")));
	json_decref(doc);
	return status;
}

static void
test_backup_while_writing(void **state)
{
	struct fx		*f = *state;
	struct backup_info	 b;
	struct stat		 st;
	pthread_t		 th;
	void			*ret;
	char			 path[PATH_MAX];
	int64_t			 seq = 0, n, after, age;
	int			 i;

	for (i = 0; i < BEFORE / BATCH; i++)
		assert_int_equal(insert_batch(f->sf.s, f->agent, &seq), 0);
	path_in(path, sizeof(path), f, "copy.db");
	assert_int_equal(pthread_create(&th, NULL, writer, f), 0);
	while (atomic_load(&f->batches) < 3)	/* it is writing */
		usleep(1000);
	assert_int_equal(backup_make(&b, f->sf.s, path, NOV + 40 * DAY), 0);
	after = atomic_load(&f->batches);
	atomic_store(&f->stop, 1);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_null(ret);

	/* a checked store: every event before, whole batches after */
	n = count(path, "SELECT count(*) FROM events");
	assert_true(n >= BEFORE + 3 * BATCH);
	assert_true(n <= BEFORE + (after + 1) * BATCH);
	assert_int_equal(n % BATCH, 0);
	assert_int_equal(count(path, "SELECT count(*) FROM events WHERE seq"
	    " <= 400"), BEFORE);
	assert_int_equal(count(path, "SELECT count(*) FROM agents"), 1);
	assert_int_equal(count(path, "PRAGMA user_version"), b.schema);
	assert_true(b.schema >= 7);
	/* one file, the rollback journal, ours alone */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal((uint64_t)st.st_size, b.size);
	assert_int_equal(strlen(b.sha256), 64);
	assert_string_equal(strrchr(b.path, '/'), "/copy.db");
	strcat(path, "-wal");
	assert_int_equal(access(path, F_OK), -1);
	*strrchr(path, '-') = '\0';

	/* no backup recorded: the control fails */
	assert_string_equal(backups_status(f, NOV + 40 * DAY, 0, &age),
	    "fail");
	assert_int_equal(backup_record(f->sf.s, &b, "tester", NOV + 40 * DAY),
	    0);
	assert_string_equal(backups_status(f, NOV + 41 * DAY, 0, &age),
	    "pass");
	assert_int_equal(age, DAY);
	/* a week and a second later; a shorter limit */
	assert_string_equal(backups_status(f, NOV + 47 * DAY + 1, 0, &age),
	    "fail");
	assert_string_equal(backups_status(f, NOV + 41 * DAY, DAY - 1, &age),
	    "fail");
	/* a report dated before the backup does not see it */
	assert_string_equal(backups_status(f, NOV + 40 * DAY - 1, 0, &age),
	    "fail");

	/* never replaces a file */
	assert_int_equal(backup_make(&b, f->sf.s, path, NOV + 40 * DAY),
	    ERR_EXISTS);
}

/* The default folder, made 0700; the names it prunes and those it
 * leaves. */
static void
test_default_path_prune(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "vigil-20261101T000000Z.db",
		"vigil-20261102T000000Z.db", "vigil-20261103T000000Z.db" };
	struct backup_info	 b;
	struct stat		 st;
	char			 dir[PATH_MAX], path[PATH_MAX], p[PATH_MAX];
	size_t			 i, removed;
	FILE			*fp;

	path_in(dir, sizeof(dir), f, "");
	dir[strlen(dir) - 1] = '\0';
	assert_int_equal(backup_default_path(path, sizeof(path), dir,
	    NOV + 3 * DAY + 3661), 0);
	snprintf(p, sizeof(p), "%s/backups/vigil-20261103T180101Z.db", dir);
	assert_string_equal(path, p);
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/backups");
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		assert_non_null(fp = fopen(p, "w"));
		fclose(fp);
	}
	snprintf(p, sizeof(p), "%s/notes.db", dir);
	assert_non_null(fp = fopen(p, "w"));
	fclose(fp);
	assert_int_equal(backup_make(&b, f->sf.s, path, NOV + 3 * DAY), 0);

	assert_int_equal(backup_prune(&removed, dir, 0), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(backup_prune(&removed, dir, 2), 0);
	assert_int_equal(removed, 2);
	snprintf(p, sizeof(p), "%s/%s", dir, names[1]);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/%s", dir, names[2]);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(p, sizeof(p), "%s/notes.db", dir);
	assert_int_equal(access(p, F_OK), 0);	/* not a backup's name */

	/* a folder others can reach is refused */
	assert_int_equal(chmod(dir, 0750), 0);
	path_in(p, sizeof(p), f, "");
	p[strlen(p) - 1] = '\0';
	assert_int_equal(backup_default_path(path, sizeof(path), p, NOV),
	    ERR_IO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backup_while_writing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_path_prune,
		    setup, teardown),
	};

	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
