/*
 * db.c: vigil's SQLite files (db.h has the contract).
 *
 * The file is created (or tightened) to mode 0600 before SQLite touches
 * it, so events, keys-adjacent state and tokens are never world-readable,
 * even for a moment. WAL lets the CLI read while the daemon writes;
 * synchronous=FULL makes a commit durable before we acknowledge it.
 *
 * A struct db is one allocation: the struct, its n statement slots and
 * its name. The helpers add nothing to SQLite's own cost but a branch;
 * BEGIN, COMMIT and the PRAGMAs are parsed on each call (microseconds,
 * once per transaction or poll), so that no handle keeps statements for
 * them at rest.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "log.h"

/* One db_table's statements on one connection. */
struct db_extra {
	const struct db_table	*t;		/* borrowed, static */
	struct db_extra		*next;
	sqlite3_stmt		*st[];		/* t->n; NULL: unprepared */
};

struct db {
	sqlite3			*db;
	struct db_extra		*extra;		/* db_table_stmt's, or NULL */
	const struct db_spec	*spec;		/* borrowed, static */
	const char		*name;		/* "NAME PATH", after st[] */
	int64_t			 data_version;	/* last seen by db_changed */
	sqlite3_stmt		*st[];		/* spec->n; NULL: unprepared */
};

static const struct db_spec db_plain = { .name = "database" };

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
db_fail(struct db *d, const char *what)
{
	log_warnx("%s: %s: %s", d->name, what, sqlite3_errmsg(d->db));
	return ERR_IO;
}

int
db_exec(struct db *d, const char *sql)
{
	if (sqlite3_exec(d->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(d, sql);
	return 0;
}

/* Fixed SQL, named in the log line by what rather than by its text. */
static int
db_exec_as(struct db *d, const char *sql, const char *what)
{
	if (sqlite3_exec(d->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(d, what);
	return 0;
}

int
db_prepare(struct db *d, sqlite3_stmt **out, const char *sql)
{
	if (sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL) != SQLITE_OK) {
		*out = NULL;
		log_warnx("%s: prepare %s: %s", d->name, sql,
		    sqlite3_errmsg(d->db));
		return ERR_IO;
	}
	return 0;
}

/* The integer a PRAGMA returns, through a statement that is not kept. */
static int
pragma_int(struct db *d, const char *sql, int64_t *out)
{
	sqlite3_stmt	*st;
	int		 rc = 0;

	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(d, sql);
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = db_fail(d, sql);
	sqlite3_finalize(st);
	return rc;
}

/* 1 if every step from version v (0 < v <= spec->version) up is known. */
static int
upgradable(const struct db_spec *sp, int64_t v)
{
	for (; v < sp->version; v++)
		if (sp->upgrade == NULL || sp->upgrade[v - 1] == NULL)
			return 0;
	return 1;
}

/*
 * A file at user_version 0: new (no tables), or made before the module
 * kept its version (db.h, legacy): *v becomes 1 once legacy has taken it
 * there. Under the open's write lock.
 */
static int
unversioned(struct db *d, int64_t *v)
{
	int64_t	n;
	int	rc;

	if ((rc = pragma_int(d, "SELECT count(*) FROM sqlite_master", &n)) !=
	    0 || n == 0 || (d->spec->flags & DB_REPLACE))
		return rc;
	if (d->spec->legacy == NULL) {
		log_warnx("%s: tables but no schema version: not a file of "
		    "this build's, refused", d->name);
		return ERR_IO;
	}
	if ((rc = d->spec->legacy(d)) == 0)
		*v = 1;
	return rc;
}

/* The file marked as of this build's version. */
static int
stamp(struct db *d, const char *what)
{
	char	set[64];

	(void)snprintf(set, sizeof(set), "PRAGMA user_version = %d",
	    d->spec->version);
	return db_exec_as(d, set, what);
}

/* From version v (0 < v <= spec->version) up, then stamped; logged. */
static int
upgrade(struct db *d, int64_t v, int64_t from)
{
	const struct db_spec	*sp = d->spec;
	int			 rc = 0;

	for (; rc == 0 && v < sp->version; v++)
		rc = db_exec_as(d, sp->upgrade[v - 1], "upgrade");
	if (rc == 0 && (rc = stamp(d, "upgrade")) == 0)
		log_info("%s: schema upgraded to version %d (from %lld)",
		    d->name, sp->version, (long long)from);
	return rc;
}

/* db.h, struct db_spec. */
static int
schema(struct db *d)
{
	const struct db_spec	*sp = d->spec;
	int64_t			 v, from;
	int			 rc;

	if (sp->version == 0)
		return sp->schema ? db_exec_as(d, sp->schema, "schema") : 0;
	/* a file of this version: settled without the write lock, so that a
	 * CLI opening it does not wait for the daemon's transaction */
	if ((rc = pragma_int(d, "PRAGMA user_version", &v)) != 0 ||
	    v == sp->version)
		return rc;
	if ((rc = db_begin(d, DB_IMMEDIATE)) != 0)
		return rc;
	/* again, now that no one else can be creating it */
	if ((rc = pragma_int(d, "PRAGMA user_version", &v)) != 0 ||
	    v == sp->version)
		return db_end(d, rc);
	from = v;
	if (v == 0 && (rc = unversioned(d, &v)) != 0)
		return db_end(d, rc);
	if (v > 0 && v <= sp->version && upgradable(sp, v))
		return db_end(d, upgrade(d, v, from));
	if (v != 0 && !(sp->flags & DB_REPLACE)) {
		log_warnx("%s: schema version %lld, not this build's %d: %s, "
		    "refused", d->name, (long long)v, sp->version,
		    v > sp->version ? "a newer build's file" :
		    "no way up from it");
		return db_end(d, ERR_IO);
	}
	if (v != 0)
		log_info("%s: schema version %lld, not this build's %d: made "
		    "anew", d->name, (long long)v, sp->version);
	if ((rc = db_exec_as(d, sp->schema, "schema")) == 0)
		rc = stamp(d, "schema");
	return db_end(d, rc);
}

/* The connection with vigil's settings and the module's own. */
static int
db_connect(struct db *d, const char *path)
{
	int	ro = d->spec->flags & DB_READONLY;
	int	rc;

	if ((rc = db_secure_file(path, ro)) != 0)
		return rc;
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_NOMUTEX | (ro ?
	    SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE), NULL) != SQLITE_OK) {
		if (d->db == NULL)
			return ERR_NOMEM;
		return db_fail(d, "open");
	}
	sqlite3_extended_result_codes(d->db, 1);
	if (sqlite3_busy_timeout(d->db, DB_BUSY_TIMEOUT_MS) != SQLITE_OK)
		return db_fail(d, "busy timeout");
	if (!ro && db_exec(d, "PRAGMA journal_mode=WAL") != 0)
		return ERR_IO;
	if (db_exec(d, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	    "PRAGMA temp_store=MEMORY") != 0)
		return ERR_IO;
	if (d->spec->pragmas != NULL && db_exec(d, d->spec->pragmas) != 0)
		return ERR_IO;
	return 0;
}

int
db_open(struct db **out, const char *path, const struct db_spec *spec)
{
	struct db	*d;
	char		*name;
	size_t		 i, len;
	int		 rc;

	*out = NULL;
	(void)pthread_once(&db_once, db_configure);
	if (spec == NULL)
		spec = &db_plain;
	len = strlen(spec->name) + 1 + strlen(path) + 1;
	/* Catch size_t overflow */
	if (spec->n > (SIZE_MAX - sizeof(*d) - len) / sizeof(d->st[0]))
		return ERR_NOMEM;
	if ((d = calloc(1, sizeof(*d) + spec->n * sizeof(d->st[0]) + len)) ==
	    NULL)
		return ERR_NOMEM;
	d->spec = spec;
	name = (char *)&d->st[spec->n];
	(void)snprintf(name, len, "%s %s", spec->name, path);
	d->name = name;
	if ((rc = db_connect(d, path)) != 0 || (rc = schema(d)) != 0)
		goto fail;
	for (i = 0; i < spec->n; i++) {
		if ((rc = db_prepare(d, &d->st[i], spec->sql[i])) != 0)
			goto fail;
		if (spec->flags & DB_LAZY) {
			sqlite3_finalize(d->st[i]);
			d->st[i] = NULL;
		}
	}
	if ((rc = pragma_int(d, "PRAGMA data_version", &d->data_version)) != 0)
		goto fail;
	*out = d;
	return 0;
fail:
	db_close(d);
	return rc;
}

void
db_close(struct db *d)
{
	struct db_extra	*x;
	size_t		 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->spec->n; i++)
		sqlite3_finalize(d->st[i]);
	while ((x = d->extra) != NULL) {
		d->extra = x->next;
		for (i = 0; i < x->t->n; i++)
			sqlite3_finalize(x->st[i]);
		free(x);
	}
	if (sqlite3_close(d->db) != SQLITE_OK)
		(void)db_fail(d, "close");
	free(d);
}

sqlite3 *
db_sqlite(struct db *d)
{
	return d->db;
}

const char *
db_name(struct db *d)
{
	return d->name;
}

sqlite3_stmt *
db_stmt(struct db *d, size_t i)
{
	if (i >= d->spec->n)
		fatalx("%s: no statement %zu", d->name, i);
	if (d->st[i] == NULL && db_prepare(d, &d->st[i], d->spec->sql[i]) != 0)
		return NULL;
	return d->st[i];
}

sqlite3_stmt *
db_table_stmt(struct db *d, const struct db_table *t, size_t i)
{
	struct db_extra	*x;

	if (i >= t->n)
		fatalx("%s: no statement %zu in %s", d->name, i, t->name);
	for (x = d->extra; x != NULL && x->t != t; x = x->next)
		;
	if (x == NULL) {
		/* Catch size_t overflow */
		if (t->n > (SIZE_MAX - sizeof(*x)) / sizeof(x->st[0]) ||
		    (x = calloc(1, sizeof(*x) + t->n * sizeof(x->st[0]))) ==
		    NULL) {
			log_warnx("%s: %s: out of memory", d->name, t->name);
			return NULL;
		}
		x->t = t;
		x->next = d->extra;
		d->extra = x;
	}
	if (x->st[i] == NULL && db_prepare(d, &x->st[i], t->sql[i]) != 0)
		return NULL;
	return x->st[i];
}

void
db_done(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	(void)sqlite3_reset(st);	/* repeats the step's error, handled */
	(void)sqlite3_clear_bindings(st);
}

int
db_run(struct db *d, sqlite3_stmt *st, const char *what)
{
	int	step, rc = 0;

	step = sqlite3_step(st);
	if (step == SQLITE_CONSTRAINT_UNIQUE ||
	    step == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = ERR_EXISTS;
	else if (step != SQLITE_DONE)
		rc = db_fail(d, what);
	db_done(st);
	return rc;
}

int
db_row(struct db *d, sqlite3_stmt *st, const char *what)
{
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		return 0;
	case SQLITE_DONE:
		return ERR_NOTFOUND;
	default:
		return db_fail(d, what);
	}
}

/* ---- transactions and changes ---- */

int
db_begin(struct db *d, int immediate)
{
	return db_exec_as(d, immediate ? "BEGIN IMMEDIATE" : "BEGIN",
	    "begin");
}

/* A COMMIT that fails (SQLITE_BUSY, a deferred constraint, I/O) may leave
 * the transaction open, and every later BEGIN on the connection fail. */
int
db_commit(struct db *d)
{
	if (db_exec_as(d, "COMMIT", "commit") == 0)
		return 0;
	db_rollback(d);
	return ERR_IO;
}

void
db_rollback(struct db *d)
{
	/* a ROLLBACK that fails is logged and leaves nothing more to do */
	if (!sqlite3_get_autocommit(d->db))
		(void)db_exec_as(d, "ROLLBACK", "rollback");
}

int
db_end(struct db *d, int rc)
{
	if (rc == 0)
		return db_commit(d);
	db_rollback(d);
	return rc;
}

/* data_version changes only for other connections' commits. */
int
db_changed(struct db *d)
{
	int64_t	v;
	int	rc;

	if ((rc = pragma_int(d, "PRAGMA data_version", &v)) != 0)
		return rc;
	if (v == d->data_version)
		return 0;
	d->data_version = v;
	return 1;
}
