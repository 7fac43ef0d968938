/*
 * db.c: opening vigil's SQLite files the one safe way.
 *
 * The file is created (or tightened) to mode 0600 before SQLite touches
 * it, so events, keys-adjacent state and tokens are never world-readable,
 * even for a moment. WAL lets the CLI read while the daemon writes;
 * synchronous=FULL makes a commit durable before we acknowledge it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "log.h"

/*
 * Never open() a database file for reading or writing when SQLite may
 * already hold it open in this process: closing any such descriptor
 * drops every POSIX lock the process has on the file, SQLite's included,
 * and another process could then checkpoint and delete a WAL that is
 * still in use. An O_PATH descriptor is the exception (the kernel's
 * filp_close() removes no locks for it), so the file is checked and
 * tightened through one: what fstat() describes is what chmod() changes,
 * even if someone swaps the path for a symlink in between. A new file is
 * created (O_EXCL) mode 0600 and closed before SQLite opens it; SQLite
 * gives -wal and -shm the same mode. Between the check and SQLite's own
 * open, only someone who can write into the data directory could swap
 * the file, and datadir_check() refuses directories others can write.
 */
static int
db_secure_file(const char *path, int readonly)
{
	struct stat	st;
	char		fdpath[64];
	int		fd, rc = ERR_IO;

	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && !readonly) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd == -1 && errno == EEXIST)	/* lost a race */
			fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1) {
		log_warn("database %s", path);
		return ERR_IO;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("database %s", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("database %s: not a regular file", path);
		goto done;
	}
	/* chmod through the descriptor: fchmod() refuses O_PATH ones, the
	 * /proc link to the descriptor does not */
	if (!readonly && (st.st_mode & 077) != 0 &&
	    (snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd) < 0 ||
	    chmod(fdpath, 0600) == -1)) {
		log_warn("database %s: chmod", path);
		goto done;
	}
	rc = 0;
done:
	close(fd);
	return rc;
}

/*
 * Process-wide settings, applied once before SQLite initialises itself
 * (the first open). No bulk page-cache allocation: by default every
 * connection mallocs room for 20 pages (87 KB) and threads a free list
 * through it, so all of it is resident from the first read, and the agent
 * keeps six connections open that touch a handful of pages each at rest.
 * Pages are then malloc'd one by one as the cache fills; cache_size (how
 * far it may fill) is unchanged. SQLITE_MISUSE if something in this
 * process initialised SQLite first: the defaults stay, nothing breaks.
 */
static pthread_once_t	db_once = PTHREAD_ONCE_INIT;

static void
db_configure(void)
{
	if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0) != SQLITE_OK)
		log_debug("database: SQLite already initialised; its page "
		    "cache keeps the default bulk allocation");
}

int
db_open(sqlite3 **out, const char *path, int readonly)
{
	sqlite3	*db = NULL;
	int	 flags, rc;

	*out = NULL;
	(void)pthread_once(&db_once, db_configure);
	if ((rc = db_secure_file(path, readonly)) != 0)
		return rc;
	flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		log_warnx("database %s: %s", path, db ? sqlite3_errmsg(db) :
		    "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS) != SQLITE_OK)
		goto fail;
	if (!readonly && db_exec(db, "PRAGMA journal_mode=WAL") != 0)
		goto fail;
	if (db_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	    "PRAGMA temp_store=MEMORY") != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return ERR_IO;
}

void
db_close(sqlite3 *db)
{
	if (db != NULL && sqlite3_close(db) != SQLITE_OK)
		log_warnx("database close: %s", sqlite3_errmsg(db));
}

int
db_exec(sqlite3 *db, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("database: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return ERR_IO;
	}
	return 0;
}

int
db_prepare(sqlite3 *db, sqlite3_stmt **out, const char *sql)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL) != SQLITE_OK) {
		log_warnx("database: prepare %s: %s", sql, sqlite3_errmsg(db));
		*out = NULL;
		return ERR_IO;
	}
	return 0;
}
