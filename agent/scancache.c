/*
 * scancache.c: the scan cache (see scancache.h).
 *
 * Table files(dev, ino) -> (size, mtime_ns, ctime_ns, version). Lookups
 * are primary-key point queries; writes open a transaction that stays open
 * until SCANCACHE_BATCH writes or scancache_flush, so a full scan of
 * 20,000 files costs a handful of commits, not 20,000 fsyncs. The file
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

enum { Q_GET, Q_PUT, Q_DEL, Q_PRUNE, Q_N };

static const char *const q_sql[Q_N] = {
	[Q_GET] = "SELECT size, mtime_ns, ctime_ns, version FROM files"
	    " WHERE dev = ?1 AND ino = ?2",
	[Q_PUT] = "INSERT INTO files(dev, ino, size, mtime_ns, ctime_ns,"
	    " version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT(dev, ino) DO UPDATE SET size = ?3, mtime_ns = ?4,"
	    " ctime_ns = ?5, version = ?6",
	[Q_DEL] = "DELETE FROM files WHERE dev = ?1 AND ino = ?2",
	[Q_PRUNE] = "DELETE FROM files WHERE version != ?1",
};

struct scancache {
	pthread_mutex_t	 mu;
	sqlite3		*db;
	sqlite3_stmt	*q[Q_N];
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
	int			 i;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_NOMEM;
	pthread_mutex_init(&c->mu, NULL);
	if (db_open(&c->db, path, 0) != 0 ||
	    db_exec(c->db, "PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE IF NOT EXISTS files (dev INTEGER NOT NULL,"
	    " ino INTEGER NOT NULL, size INTEGER NOT NULL,"
	    " mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,"
	    " version TEXT NOT NULL, PRIMARY KEY (dev, ino)) WITHOUT ROWID")
	    != 0)
		goto fail;
	for (i = 0; i < Q_N; i++)
		if (db_prepare(c->db, &c->q[i], q_sql[i]) != 0)
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

	if (c->in_tx && db_exec(c->db, "COMMIT") != 0) {
		db_exec(c->db, "ROLLBACK");
		rc = ERR_IO;
	}
	c->in_tx = 0;
	c->pending = 0;
	return rc;
}

void
scancache_close(struct scancache *c)
{
	int	i;

	if (c == NULL)
		return;
	if (c->db != NULL)
		flush_locked(c);
	for (i = 0; i < Q_N; i++)
		sqlite3_finalize(c->q[i]);
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

int
scancache_lookup(struct scancache *c, const struct stat *sb,
    const char *version)
{
	sqlite3_stmt	*st = c->q[Q_GET];
	const char	*v;
	int		 rc = 0;

	pthread_mutex_lock(&c->mu);
	bind_key(st, sb);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		v = (const char *)sqlite3_column_text(st, 3);
		rc = sqlite3_column_int64(st, 0) == (sqlite3_int64)sb->st_size &&
		    sqlite3_column_int64(st, 1) == ns(&sb->st_mtim) &&
		    sqlite3_column_int64(st, 2) == ns(&sb->st_ctim) &&
		    v != NULL && strcmp(v, version) == 0;
		break;
	case SQLITE_DONE:
		break;
	default:
		log_warnx("scan cache: lookup: %s", sqlite3_errmsg(c->db));
		rc = ERR_IO;
	}
	sqlite3_reset(st);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* Run a write statement inside the batch transaction. */
static int
write_locked(struct scancache *c, sqlite3_stmt *st)
{
	int	rc = 0;

	if (!c->in_tx) {
		if (db_exec(c->db, "BEGIN") != 0)
			return ERR_IO;
		c->in_tx = 1;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("scan cache: %s", sqlite3_errmsg(c->db));
		rc = ERR_IO;
	}
	sqlite3_reset(st);
	if (++c->pending >= SCANCACHE_BATCH && flush_locked(c) != 0)
		rc = ERR_IO;
	return rc;
}

int
scancache_store(struct scancache *c, const struct stat *sb,
    const char *version)
{
	sqlite3_stmt	*st = c->q[Q_PUT];
	int		 rc;

	pthread_mutex_lock(&c->mu);
	bind_key(st, sb);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)sb->st_size);
	sqlite3_bind_int64(st, 4, ns(&sb->st_mtim));
	sqlite3_bind_int64(st, 5, ns(&sb->st_ctim));
	sqlite3_bind_text(st, 6, version, -1, SQLITE_TRANSIENT);
	rc = write_locked(c, st);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
scancache_forget(struct scancache *c, const struct stat *sb)
{
	int	rc;

	pthread_mutex_lock(&c->mu);
	bind_key(c->q[Q_DEL], sb);
	rc = write_locked(c, c->q[Q_DEL]);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
scancache_flush(struct scancache *c)
{
	int	rc;

	pthread_mutex_lock(&c->mu);
	rc = flush_locked(c);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
scancache_prune(struct scancache *c, const char *version)
{
	int	rc;

	pthread_mutex_lock(&c->mu);
	sqlite3_bind_text(c->q[Q_PRUNE], 1, version, -1, SQLITE_TRANSIENT);
	rc = write_locked(c, c->q[Q_PRUNE]);
	if (rc == 0)
		rc = flush_locked(c);
	pthread_mutex_unlock(&c->mu);
	return rc;
}
