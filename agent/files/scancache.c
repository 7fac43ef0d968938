/*
 * scancache.c: the scan cache (see scancache.h).
 *
 * Table files(dev, ino) -> (size, mtime_ns, ctime_ns, version, clean).
 * The schema's version is PRAGMA user_version (SCHEMA); a file of another
 * schema is emptied, never misread: it is only a cache. Lookups
 * are primary-key point queries. Lookups and writes share one transaction
 * that stays open until SCANCACHE_BATCH of them or scancache_flush: a full
 * scan of 20,000 files costs a handful of commits, not 20,000 fsyncs, and
 * a rescan does not pay SQLite's per-transaction file locking (two fcntl
 * calls and an fstat per lookup otherwise: half the cost of a warm rescan).
 * Another process writing the same file while the transaction reads can
 * make a write fail (SQLITE_BUSY_SNAPSHOT): the batch is rolled back,
 * which only costs scanning those files again. The file
 * uses synchronous=NORMAL: losing the last entries in a power cut only
 * costs rescanning those files.
 * Load: one lookup per file event or per file of a rescan; one insert per
 * file actually scanned.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "scancache.h"

#define SCHEMA		2	/* 2: the clean column */

enum { Q_GET, Q_PUT, Q_DEL, Q_PRUNE, Q_N };

static const char *const q_sql[Q_N] = {
	[Q_GET] = "SELECT size, mtime_ns, ctime_ns, version, clean FROM files"
	    " WHERE dev = ?1 AND ino = ?2",
	[Q_PUT] = "INSERT INTO files(dev, ino, size, mtime_ns, ctime_ns,"
	    " version, clean) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(dev, ino) DO UPDATE SET size = ?3, mtime_ns = ?4,"
	    " ctime_ns = ?5, version = ?6, clean = ?7",
	[Q_DEL] = "DELETE FROM files WHERE dev = ?1 AND ino = ?2",
	[Q_PRUNE] = "DELETE FROM files WHERE version != ?1",
};

static const struct db_spec scancache_spec = {
	.name = "scan cache",
	.flags = DB_REPLACE,		/* only a cache: emptied */
	.pragmas = "PRAGMA synchronous=NORMAL",
	.version = SCHEMA,
	.schema = "DROP TABLE IF EXISTS files;"
	    "CREATE TABLE files (dev INTEGER NOT NULL,"
	    " ino INTEGER NOT NULL, size INTEGER NOT NULL,"
	    " mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,"
	    " version TEXT NOT NULL, clean INTEGER NOT NULL,"
	    " PRIMARY KEY (dev, ino)) WITHOUT ROWID;",
	.sql = q_sql,
	.n = Q_N,
};

struct scancache {
	pthread_mutex_t	 mu;
	struct db	*db;
	int		 in_tx;
	int		 pending;
};

static int64_t
ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int
scancache_open(struct scancache **out, const char *path)
{
	struct scancache	*c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_NOMEM;
	pthread_mutex_init(&c->mu, NULL);
	if (db_open(&c->db, path, &scancache_spec) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	scancache_close(c);
	return ERR_IO;
}

static int
flush_locked(struct scancache *c)
{
	int	rc = 0;

	if (c->in_tx)
		rc = db_commit(c->db);	/* rolled back if it fails */
	c->in_tx = 0;
	c->pending = 0;
	return rc;
}

void
scancache_close(struct scancache *c)
{
	if (c == NULL)
		return;
	if (c->db != NULL)
		flush_locked(c);
	db_close(c->db);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void
bind_key(sqlite3_stmt *st, const struct stat *sb)
{
	sqlite3_bind_int64(st, 1, (sqlite3_int64)sb->st_dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sb->st_ino);
}

/* The batch transaction, opened on first use. */
static int
begin_locked(struct scancache *c)
{
	if (c->in_tx)
		return 0;
	if (db_begin(c->db, DB_DEFERRED) != 0)
		return ERR_IO;
	c->in_tx = 1;
	return 0;
}

/* One more statement in the batch: commit when it is full. */
static int
end_locked(struct scancache *c)
{
	if (++c->pending >= SCANCACHE_BATCH)
		return flush_locked(c);
	return 0;
}

int
scancache_lookup(struct scancache *c, const struct stat *sb,
    const char *version)
{
	sqlite3_stmt	*st = db_stmt(c->db, Q_GET);
	const char	*v;
	int		 rc = 0;

	pthread_mutex_lock(&c->mu);
	if (begin_locked(c) != 0) {
		pthread_mutex_unlock(&c->mu);
		return ERR_IO;
	}
	bind_key(st, sb);
	switch (db_row(c->db, st, "lookup")) {
	case 0:
		v = (const char *)sqlite3_column_text(st, 3);
		if (sqlite3_column_int64(st, 0) == (sqlite3_int64)sb->st_size &&
		    sqlite3_column_int64(st, 1) == ns(&sb->st_mtim) &&
		    sqlite3_column_int64(st, 2) == ns(&sb->st_ctim) &&
		    v != NULL && strcmp(v, version) == 0)
			rc = sqlite3_column_int(st, 4) ? SCANCACHE_CLEAN :
			    SCANCACHE_KNOWN;
		break;
	case ERR_NOTFOUND:
		break;
	default:
		rc = ERR_IO;
	}
	db_done(st);
	(void)end_locked(c);	/* a failed commit was logged; not a miss */
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* Run a write statement inside the batch transaction. */
static int
write_locked(struct scancache *c, sqlite3_stmt *st)
{
	if (begin_locked(c) != 0)
		return ERR_IO;
	if (db_run(c->db, st, "write") != 0) {
		/* the batch is lost: those files rescan */
		db_rollback(c->db);
		c->in_tx = 0;
		c->pending = 0;
		return ERR_IO;
	}
	return end_locked(c);
}

int
scancache_store(struct scancache *c, const struct stat *sb,
    const char *version, int clean)
{
	sqlite3_stmt	*st = db_stmt(c->db, Q_PUT);
	int		 rc;

	pthread_mutex_lock(&c->mu);
	bind_key(st, sb);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)sb->st_size);
	sqlite3_bind_int64(st, 4, ns(&sb->st_mtim));
	sqlite3_bind_int64(st, 5, ns(&sb->st_ctim));
	sqlite3_bind_text(st, 6, version, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 7, clean != 0);
	rc = write_locked(c, st);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
scancache_forget(struct scancache *c, const struct stat *sb)
{
	int	rc;

	pthread_mutex_lock(&c->mu);
	bind_key(db_stmt(c->db, Q_DEL), sb);
	rc = write_locked(c, db_stmt(c->db, Q_DEL));
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
scancache_flush(struct scancache *c)
{
	int	rc, idle;

	pthread_mutex_lock(&c->mu);
	idle = !c->in_tx;	/* no lookup or store since the last flush */
	rc = flush_locked(c);
	/* the scans are over: the pages they cached (up to cache_size, 2 MB
	 * after a rescan of 20,000 files) would only be held at rest */
	if (idle)
		(void)sqlite3_db_release_memory(db_sqlite(c->db));
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
scancache_prune(struct scancache *c, const char *version)
{
	int	rc;

	pthread_mutex_lock(&c->mu);
	sqlite3_bind_text(db_stmt(c->db, Q_PRUNE), 1, version, -1,
	    SQLITE_TRANSIENT);
	rc = write_locked(c, db_stmt(c->db, Q_PRUNE));
	if (rc == 0)
		rc = flush_locked(c);
	pthread_mutex_unlock(&c->mu);
	return rc;
}
