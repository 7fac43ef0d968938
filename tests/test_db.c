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

/* T/x.db in the test's scratch directory */
#define DB(t)	tmpdir_path(db_path, sizeof(db_path), (t), "x.db")

static void
test_new_file_0600(void **state)
{
	struct tmpdir	*t = *state;
	char		 db_path[PATH_MAX];
	sqlite3		*db;
	mode_t		 old = umask(0);

	assert_int_equal(db_open(&db, DB(t), 0), 0);
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
	sqlite3		*db;

	assert_int_equal(db_open(&db, DB(t), 0), 0);
	db_close(db);
	assert_int_equal(chmod(DB(t), 0644), 0);
	assert_int_equal(db_open(&db, DB(t), 0), 0);
	assert_int_equal(path_mode(DB(t)), 0600);
	db_close(db);
}

static void
test_refused(void **state)
{
	struct tmpdir	*t = *state;
	char		 db_path[PATH_MAX];
	char		 victim[PATH_MAX];
	sqlite3		*db;

	tmpdir_path(victim, sizeof(victim), t, "victim");
	assert_int_equal(file_put(victim, "not yours\n", 10, 0644), 0);
	assert_int_equal(symlink(victim, DB(t)), 0);
	assert_int_equal(db_open(&db, DB(t), 0), ERR_IO);
	assert_null(db);
	assert_int_equal(path_mode(victim), 0644);
	assert_int_equal(unlink(DB(t)), 0);

	assert_int_equal(mkfifo(DB(t), 0644), 0);
	assert_int_equal(db_open(&db, DB(t), 0), ERR_IO);
	assert_int_equal(path_mode(DB(t)), 0644);
	assert_int_equal(unlink(DB(t)), 0);

	assert_int_equal(mkdir(DB(t), 0755), 0);
	assert_int_equal(db_open(&db, DB(t), 0), ERR_IO);
	assert_int_equal(rmdir(DB(t)), 0);

	/* read-only never creates */
	assert_int_equal(db_open(&db, DB(t), 1), ERR_IO);
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
	sqlite3		*a, *b;

	assert_int_equal(db_open(&a, DB(t), 0), 0);
	assert_int_equal(db_exec(a, "CREATE TABLE t(x); BEGIN IMMEDIATE;"
	    "INSERT INTO t VALUES (1)"), 0);
	tmpdir_path(shm, sizeof(shm), t, "x.db-shm");
	assert_true(locked_elsewhere(shm));
	assert_true(locked_elsewhere(DB(t)));
	/* loosen the mode so that the second open has work to do */
	assert_int_equal(chmod(DB(t), 0640), 0);
	assert_int_equal(db_open(&b, DB(t), 0), 0);
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
	sqlite3		*db;
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
		if (db_open(&db, fl.db, 0) == 0) {
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

int
main(void)
{
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
	};

	log_init("test_db", LOG_LVL_INFO, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
