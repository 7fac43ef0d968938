/*
 * db.h: vigil's SQLite files, opened the one safe way, and the plumbing
 * every module that keeps one shares (spool, store, scan cache, integrity
 * baseline).
 *
 * Every database is created mode 0600 (checked and tightened on open),
 * in WAL mode with synchronous=FULL: an acknowledged commit survives a
 * crash or power loss, which the "nothing lost" promise depends on.
 * busy_timeout lets the CLI and the daemon share one file.
 * SQL is only ever run through prepared statements with bound values;
 * db_exec is for fixed statements (schema, PRAGMAs) only.
 * The first db_open also sets SQLite up for the whole process: no bulk
 * page-cache allocation per connection (db.c says why).
 *
 * A module describes its file once, in a static struct db_spec, and gets
 * a struct db: the connection, the schema checked or created, its
 * statements, the name its log lines carry, its transactions and its
 * change detector.
 *
 *	static const struct db_spec spool_spec = {
 *		.name = "spool", .version = 1, .schema = schema_sql,
 *		.sql = spool_sql, .n = ST_COUNT, .flags = DB_LAZY,
 *	};
 *	if ((rc = db_open(&s->db, path, &spool_spec)) != 0)
 *		return rc;
 *	if ((rc = db_begin(s->db, DB_IMMEDIATE)) != 0)
 *		return rc;
 *	if ((st = db_stmt(s->db, ST_INSERT)) == NULL)	(DB_LAZY: may fail)
 *		rc = ERR_IO;
 *	else {
 *		sqlite3_bind_int64(st, 1, seq);
 *		rc = db_run(s->db, st, "insert");
 *	}
 *	return db_end(s->db, rc);			(commit or roll back)
 *
 * Every function that fails logs once, "NAME PATH: WHAT: SQLite's
 * message", and leaves the connection usable: a failed COMMIT leaves no
 * transaction open, a helper leaves no statement mid-step. Errors: ERR_IO
 * (logged), ERR_NOMEM, and those named below. One struct db per thread
 * (SQLITE_OPEN_NOMUTEX); several processes may open one file.
 */
#ifndef VIGIL_DB_H
#define VIGIL_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define DB_BUSY_TIMEOUT_MS	10000

/* struct db_spec flags */
#define DB_READONLY	0x1	/* an existing file, never created or changed */
#define DB_LAZY		0x2	/* prepare each statement on its first use */
#define DB_REPLACE	0x4	/* a file of another schema version is made
				 * anew rather than refused (a cache) */

struct db;

/*
 * What a module keeps in its file; static, borrowed by the struct db.
 * pragmas: fixed SQL run after the defaults (synchronous=NORMAL for a
 * cache, a larger cache_size), or NULL.
 * Schema, version > 0: PRAGMA user_version is version once schema (fixed
 * SQL, which must not set user_version itself) has run. A new file (0)
 * gets it, under BEGIN IMMEDIATE so that two processes creating one file
 * take turns; the usual case, a file at version, costs one read and no
 * lock. Another version is refused (ERR_IO: a newer build's file, or not
 * ours), or with DB_REPLACE given schema again, which must then drop what
 * it replaces. upgrade, if not NULL, has version - 1 entries: upgrade[v -
 * 1] is fixed SQL that takes a file from version v to v + 1 (NULL: no
 * way up from v). A file at an older version v is brought up step by
 * step in one BEGIN IMMEDIATE transaction, all or nothing, and logged.
 * A file with tables but user_version 0 was made before the module kept
 * its version there: legacy, if not NULL, checks it is the module's and
 * takes it to version 1 (the steps then go on from there), in the same
 * transaction; it returns 0, or ERR_IO, logged, to refuse the file. With
 * no legacy, such a file is refused (DB_REPLACE: made anew).
 * version 0: schema, if any, is run at every open and must
 * be idempotent (CREATE ... IF NOT EXISTS); the module keeps its own
 * marks.
 * Statements: sql[0 .. n-1], each prepared once by db_open, which checks
 * that the file has everything they name. They stay prepared until
 * db_close, or with DB_LAZY are finalized at once and prepared again on
 * first use: a handle then keeps only the statements it runs (2 to 4 KB
 * each), which matters to a process that keeps several handles at rest.
 */
struct db_spec {
	const char		 *name;		/* log lines: "NAME PATH: " */
	int			  flags;
	const char		 *pragmas;
	int			  version;	/* PRAGMA user_version */
	const char		 *schema;
	const char *const	 *upgrade;	/* [version - 1] or NULL */
	int			(*legacy)(struct db *);	/* or NULL */
	const char *const	 *sql;
	size_t			  n;
};

/*
 * The statements of a module that keeps its tables in another module's
 * file (the incident register and audit log in the collector's store):
 * described once, static, and prepared on a connection's first use of
 * each, kept until db_close.
 *
 *	static const struct db_table audit_table = { "audit", sql, ST_COUNT };
 *	st = db_table_stmt(d, &audit_table, ST_APPEND);	(NULL: logged)
 */
struct db_table {
	const char		 *name;
	const char *const	 *sql;
	size_t			  n;
};

/* spec NULL: a plain connection, read-write, named "database". */
int	db_open(struct db **out, const char *path, const struct db_spec *spec);
void	db_close(struct db *);		/* takes NULL; finalizes all */
/* The connection, for what a module asks SQLite itself (changes(),
 * last_insert_rowid(), db_release_memory()); owned by the struct db. */
sqlite3	*db_sqlite(struct db *);
/* "NAME PATH", for a module's own log lines. */
const char *db_name(struct db *);

/* Run fixed SQL text (no user data). ERR_IO, logged. */
int	db_exec(struct db *, const char *sql);
/* Prepare a statement of the caller's, to finalize itself. ERR_IO. */
int	db_prepare(struct db *, sqlite3_stmt **out, const char *sql);
/* Statement i (< spec->n), prepared. NULL, logged, only with DB_LAZY when
 * it cannot be prepared now; never NULL otherwise. */
sqlite3_stmt	*db_stmt(struct db *, size_t i);
/* Statement i (< t->n) of t, prepared on this connection's first use;
 * NULL, logged, when it cannot be prepared (or memory is short). A
 * connection holds the tables it was asked for in a list: the lookup is
 * a pointer comparison per table. */
sqlite3_stmt	*db_table_stmt(struct db *, const struct db_table *t, size_t i);
/* Reset st and clear its bindings; takes NULL. Call it as soon as a
 * statement's rows are read: one left mid-step keeps a WAL read snapshot
 * open, hiding other processes' commits and holding back checkpoints. */
void	db_done(sqlite3_stmt *st);

/* Log "NAME PATH: what: SQLite's last error"; returns ERR_IO. */
int	db_fail(struct db *, const char *what);
/* Step a bound statement that returns no rows, then db_done it. 0; the
 * row is there already (a UNIQUE or PRIMARY KEY constraint): ERR_EXISTS,
 * not logged, the caller knows whom to blame; anything else ERR_IO. */
int	db_run(struct db *, sqlite3_stmt *st, const char *what);
/* Step st to its next row. 0: a row to read (db_done(st) after);
 * ERR_NOTFOUND: no more rows, not logged; ERR_IO. st is not reset. */
int	db_row(struct db *, sqlite3_stmt *st, const char *what);

/*
 * Transactions. DB_IMMEDIATE takes the write lock at BEGIN (waiting up to
 * the busy timeout for another writer: ERR_IO after it), so a transaction
 * that reads then writes never fails to upgrade; DB_DEFERRED takes it at
 * the first write. commit: if the COMMIT fails, the transaction is rolled
 * back. rollback: only if a transaction is open (SQLite may have rolled
 * back already after an I/O error). end: commit if rc is 0, otherwise
 * roll back; returns rc, or the commit's error.
 */
#define DB_DEFERRED	0
#define DB_IMMEDIATE	1
int	db_begin(struct db *, int immediate);
int	db_commit(struct db *);
void	db_rollback(struct db *);
int	db_end(struct db *, int rc);

/* 1 if another connection committed to the file since the last call (or
 * db_open), 0 if not (this connection's own commits do not count); ERR_IO.
 * PRAGMA data_version: cheap, for a polling timer. */
int	db_changed(struct db *);

#endif
