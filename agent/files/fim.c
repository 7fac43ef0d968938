/*
 * fim.c: file integrity monitoring (fim.h has the contract).
 *
 * Shape of a run (baseline, check, or one path): the caller's thread
 * walks each configured path depth first, in byte order of names, with
 * openat()/fstatat() relative to the parent folder's descriptor (one
 * descriptor per level, at most FIM_DEPTH_MAX). For each entry it looks
 * up the baseline row by path, decides whether the content must be
 * hashed, and if so opens the file (O_NOFOLLOW|O_NONBLOCK, then fstat)
 * and hands the descriptor to a pool of worker threads that read and
 * hash it. Everything else (comparing, reporting, writing the row) is
 * done by the walker when the worker hands the item back, so SQLite and
 * the callback stay on one thread. At most inflight_max items (and open
 * descriptors) are with the pool at once; the walker collects finished
 * items whenever it submits one and waits only when the pool is full.
 *
 * Removed entries: every baseline row met by the walk is marked in a
 * bitmap of row ids (ids above the largest at the start are new rows).
 * After the walk, the rows below each configured path that were not
 * marked (a folder that could not be listed marks its rows) and are not
 * excluded are reported as removed, in pages of RANGE_PAGE rows ordered
 * by path (paths are BLOBs: byte order, so "below P" is the range
 * (P "/", P "0")).
 *
 * Load: a check of an unchanged tree costs one fstatat and one indexed
 * SELECT per entry and writes nothing (about 80k entries/s here); a
 * baseline reads every byte once, at about 1.6 GB/s per core with
 * SHA-NI (docs/benchmarks.md). Memory: the bitmap (one bit per row), the
 * names of one folder per level, and the items in flight; SQLite's page
 * cache is given back when the run ends.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "db.h"
#include "digest.h"
#include "err.h"
#include "event.h"
#include "fim.h"
#include "log.h"
#include "mounttab.h"
#include "pathset.h"
#include "safeopen.h"
#include "text.h"

#define FIM_SCHEMA	1		/* PRAGMA user_version */
#define FIM_DEPTH_MAX	256		/* folder levels below a path */
#define HASH_BUF_LEN	(256 * 1024)	/* read size */
#define RANGE_PAGE	256		/* rows per removal-scan page */
#define RANGE_PAGE_S	"256"
#define IDCACHE		256		/* uid and gid names, direct mapped */
#define PWBUF_LEN	(64 * 1024)	/* getgrgid_r: big groups */
/* A file whose ctime is this close to the start of the run that hashed it
 * may have been written again within the same timestamp tick (coarse
 * kernel clocks; FAT's 2 s): it is hashed again at the next check, as
 * git does with "racily clean" index entries. */
#define RACY_NS		(3LL * 1000000000)

struct idname {
	int	 valid;
	uint32_t id;
	char	 name[FIM_NAME_MAX];
};

struct fim {
	struct db	*db;		/* fim_sql */
	struct pathset	*ps;		/* the paths (roots) and exclusions */
	int		 threads;	/* resolved: >= 1 */
	int		 rehash, keep;
	struct idname	 users[IDCACHE], groups[IDCACHE];
	char		*pwbuf;		/* PWBUF_LEN */
	struct mounttab	*mt;		/* one-path checks: mounts entered */
};

/* One entry on its way through a run. */
struct item {
	struct item	*next;
	char		*path;
	int64_t		 id;		/* baseline row; 0: none */
	int		 has_old;
	struct fim_attr	 old, cur;
	int		 fd;		/* to hash; -1 */
	int		 hashed;	/* read through (cur.hash or cur.err) */
	int		 old_recheck;	/* the row asks for a rehash */
	int		 recheck;	/* the new row will (RACY_NS) */
	uint64_t	 nread;
};

struct pool;

struct worker {
	struct pool	*pool;
	struct digest_sha256 *ctx;
	uint8_t		*buf;
	pthread_t	 tid;
	int		 started;
};

struct pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 job_cv, done_cv;
	struct item	*jobs, **jobs_tail;
	struct item	*done, **done_tail;
	size_t		 inflight;	/* submitted, not yet collected */
	int		 stop;
	struct worker	*workers;
	int		 nworkers;
};

struct run {
	struct fim	*fim;
	int		 baseline;	/* record only: no reports, hash all */
	int		 rehash, keep;
	fim_change_cb	 cb;
	void		*arg;
	int		 rc;		/* first error or cb return: sticky */
	int		 in_txn;
	size_t		 nwrites;
	uint64_t	*seen;		/* bit per row id <= maxid */
	int64_t		 maxid;
	size_t		 rootlen;	/* configured path holding the walk */
	int		 noatime;	/* O_NOATIME still worth trying */
	int64_t		 start_ns;	/* CLOCK_REALTIME */
	struct pool	*pool;		/* started on the first job */
	size_t		 inflight_max;
	struct digest_sha256 *ctx;	/* inline hashing (one path) */
	uint8_t		*buf;
	struct fim_stats st;
	char		 path[PATH_MAX];
};

/* Names of one folder, sorted; the strings live in one arena. */
struct names {
	char	*arena;
	size_t	 len, cap;
	char	**v;
	size_t	 n;
};

static int	visit(struct run *, int dfd, const char *name, size_t len,
		    int depth, int recurse);

/* ---- small helpers ---- */

static const char *const change_names[] = {
	"added", "removed", "type", "modified", "target", "owner",
	"permissions",
};

const char *
fim_change_name(unsigned int changes)
{
	size_t	i;

	for (i = 0; i < sizeof(change_names) / sizeof(change_names[0]); i++)
		if (changes & (1u << i))
			return change_names[i];
	return "none";
}

const char *
fim_type_name(int type)
{
	static const char *const names[] = { "unknown", "file", "dir",
	    "symlink", "fifo", "chr", "blk", "sock" };

	if (type < 0 || (size_t)type >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[type];
}

static int
type_of(mode_t m)
{
	if (S_ISREG(m))
		return FIM_T_FILE;
	if (S_ISDIR(m))
		return FIM_T_DIR;
	if (S_ISLNK(m))
		return FIM_T_SYMLINK;
	if (S_ISFIFO(m))
		return FIM_T_FIFO;
	if (S_ISCHR(m))
		return FIM_T_CHR;
	if (S_ISBLK(m))
		return FIM_T_BLK;
	if (S_ISSOCK(m))
		return FIM_T_SOCK;
	return FIM_T_UNKNOWN;
}

/* ---- the database ---- */

#define COLS "type, mode, uid, gid, owner, grp, size, ino, dev, mtime, " \
	"ctime, hash, target, err"

/*
 * Version 1 is the layout of the first packaged release, which kept its
 * version in fim_meta ('schema' = '1') instead of user_version: such a
 * baseline is taken over as it is (legacy()), so an upgrade neither
 * loses it nor reports its files as changed.
 */
static const char schema_sql[] =
	"CREATE TABLE fim_meta ("
	" key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE fim_entry ("
	" id INTEGER PRIMARY KEY,"
	" path BLOB NOT NULL UNIQUE,"	/* bytes, not necessarily UTF-8 */
	" type INTEGER NOT NULL, mode INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, gid INTEGER NOT NULL, owner TEXT, grp TEXT,"
	" size INTEGER NOT NULL, ino INTEGER NOT NULL, dev INTEGER NOT NULL,"
	" mtime INTEGER NOT NULL, ctime INTEGER NOT NULL,"	/* ns */
	" hash BLOB, target BLOB, err INTEGER NOT NULL DEFAULT 0,"
	" recheck INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO fim_meta VALUES ('hash', '" FIM_HASH_NAME "');";

enum {
	Q_GET, Q_INS, Q_UPD, Q_DEL, Q_RANGE, Q_MAXID, Q_META_GET, Q_META_SET,
	Q_N
};

static const char *const fim_sql[Q_N] = {
	[Q_GET] = "SELECT id, " COLS ", recheck FROM fim_entry"
	    " WHERE path = ?1",
	[Q_INS] = "INSERT INTO fim_entry (path, " COLS ", recheck)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15, ?16)",
	[Q_UPD] = "UPDATE fim_entry SET type = ?2, mode = ?3, uid = ?4,"
	    " gid = ?5, owner = ?6, grp = ?7, size = ?8, ino = ?9, dev = ?10,"
	    " mtime = ?11, ctime = ?12, hash = ?13, target = ?14, err = ?15,"
	    " recheck = ?16 WHERE id = ?1",
	[Q_DEL] = "DELETE FROM fim_entry WHERE id = ?1",
	[Q_RANGE] = "SELECT id, path, " COLS " FROM fim_entry"
	    " WHERE path > ?1 AND path < ?2 AND id <= ?3"
	    " ORDER BY path LIMIT " RANGE_PAGE_S,
	[Q_MAXID] = "SELECT coalesce(max(id), 0) FROM fim_entry",
	[Q_META_GET] = "SELECT value FROM fim_meta WHERE key = ?1",
	[Q_META_SET] = "INSERT OR REPLACE INTO fim_meta VALUES (?1, ?2)",
};

static int	legacy(struct db *);

static const struct db_spec fim_spec = {
	.name = "fim",
	.version = FIM_SCHEMA,
	.schema = schema_sql,
	.legacy = legacy,
	.sql = fim_sql,
	.n = Q_N,
};

/*
 * A baseline from before user_version (db.h, legacy): version 1 if its
 * fim_meta says 'schema' '1', whose tables are version 1's; anything
 * else is refused, never read as something it may not be.
 */
static int
legacy(struct db *d)
{
	sqlite3_stmt	*s;
	const char	*v;
	int		 rc;

	if (db_prepare(d, &s, "SELECT value FROM fim_meta"
	    " WHERE key = 'schema'") != 0) {
		log_warnx("%s: not a baseline: refused", db_name(d));
		return ERR_IO;
	}
	if ((rc = db_row(d, s, "legacy schema")) == 0) {
		v = (const char *)sqlite3_column_text(s, 0);
		if (v == NULL || strcmp(v, "1") != 0) {
			log_warnx("%s: a baseline of schema '%.32s', unknown to "
			    "this build: refused (take a new baseline)",
			    db_name(d), v != NULL ? v : "");
			rc = ERR_IO;
		}
	} else if (rc == ERR_NOTFOUND) {
		log_warnx("%s: a baseline without a schema: refused",
		    db_name(d));
		rc = ERR_IO;
	}
	sqlite3_finalize(s);
	if (rc != 0)
		return rc;
	/* user_version holds it from now on: one home for the version */
	return db_exec(d, "DELETE FROM fim_meta WHERE key = 'schema'");
}

static int
meta_get(struct fim *f, const char *key, char *out, size_t outlen)
{
	sqlite3_stmt	*s = db_stmt(f->db, Q_META_GET);
	const char	*v;
	int		 rc;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if ((rc = db_row(f->db, s, "meta get")) == 0) {
		v = (const char *)sqlite3_column_text(s, 0);
		rc = v != NULL && strlen(v) < outlen ? 0 : ERR_MALFORMED;
		if (rc == 0)
			memcpy(out, v, strlen(v) + 1);
	}
	db_done(s);
	return rc;
}

static int
meta_set(struct fim *f, const char *key, const char *val)
{
	sqlite3_stmt	*s = db_stmt(f->db, Q_META_SET);

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, val, -1, SQLITE_STATIC);
	return db_run(f->db, s, "meta set");
}

static int
db_setup(struct fim *f, const char *dbpath)
{
	char	v[32];
	int	rc;

	if ((rc = db_open(&f->db, dbpath, &fim_spec)) != 0)
		return rc;
	if (meta_get(f, "hash", v, sizeof(v)) != 0 ||
	    strcmp(v, FIM_HASH_NAME) != 0) {
		log_warnx("%s: not a baseline of %s hashes: refused",
		    db_name(f->db), FIM_HASH_NAME);
		return ERR_IO;
	}
	return 0;
}

/* The columns of COLS from s, starting at column col, into *a. */
static int
row_attr(struct fim_attr *a, sqlite3_stmt *s, int col)
{
	const void	*b;
	const char	*t;
	int		 n;

	memset(a, 0, sizeof(*a));
	a->type = sqlite3_column_int(s, col);
	a->mode = (uint32_t)sqlite3_column_int64(s, col + 1);
	a->uid = (uint32_t)sqlite3_column_int64(s, col + 2);
	a->gid = (uint32_t)sqlite3_column_int64(s, col + 3);
	if ((t = (const char *)sqlite3_column_text(s, col + 4)) != NULL)
		snprintf(a->owner, sizeof(a->owner), "%s", t);
	if ((t = (const char *)sqlite3_column_text(s, col + 5)) != NULL)
		snprintf(a->group, sizeof(a->group), "%s", t);
	a->size = (uint64_t)sqlite3_column_int64(s, col + 6);
	a->ino = (uint64_t)sqlite3_column_int64(s, col + 7);
	a->dev = (uint64_t)sqlite3_column_int64(s, col + 8);
	a->mtime_ns = sqlite3_column_int64(s, col + 9);
	a->ctime_ns = sqlite3_column_int64(s, col + 10);
	b = sqlite3_column_blob(s, col + 11);
	if (b != NULL && sqlite3_column_bytes(s, col + 11) == FIM_HASH_LEN) {
		memcpy(a->hash, b, FIM_HASH_LEN);
		a->has_hash = 1;
	}
	b = sqlite3_column_blob(s, col + 12);
	n = sqlite3_column_bytes(s, col + 12);
	if (b != NULL) {
		if ((a->target = malloc((size_t)n + 1)) == NULL)
			return ERR_NOMEM;
		memcpy(a->target, b, (size_t)n);
		a->target[n] = '\0';
	}
	a->err = sqlite3_column_int(s, col + 13);
	return 0;
}

/* Bind COLS from a at parameters 2..15. */
static void
bind_attr(sqlite3_stmt *s, const struct fim_attr *a)
{
	sqlite3_bind_int(s, 2, a->type);
	sqlite3_bind_int64(s, 3, a->mode);
	sqlite3_bind_int64(s, 4, a->uid);
	sqlite3_bind_int64(s, 5, a->gid);
	if (a->owner[0] != '\0')
		sqlite3_bind_text(s, 6, a->owner, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	if (a->group[0] != '\0')
		sqlite3_bind_text(s, 7, a->group, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 7);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)a->size);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)a->ino);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)a->dev);
	sqlite3_bind_int64(s, 11, a->mtime_ns);
	sqlite3_bind_int64(s, 12, a->ctime_ns);
	if (a->has_hash)
		sqlite3_bind_blob(s, 13, a->hash, FIM_HASH_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 13);
	if (a->target != NULL)
		sqlite3_bind_blob(s, 14, a->target, (int)strlen(a->target),
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 14);
	sqlite3_bind_int(s, 15, a->err);
}

/* Row by path into it->id / it->old. 0 (found or not) or ERR_*. */
static int
lookup(struct fim *f, struct item *it)
{
	sqlite3_stmt	*s = db_stmt(f->db, Q_GET);
	int		 rc;

	sqlite3_bind_blob(s, 1, it->path, (int)strlen(it->path),
	    SQLITE_STATIC);
	if ((rc = db_row(f->db, s, "lookup")) == 0) {
		it->id = sqlite3_column_int64(s, 0);
		it->has_old = 1;
		it->old_recheck = sqlite3_column_int(s, 15);
		rc = row_attr(&it->old, s, 1);
	} else if (rc == ERR_NOTFOUND)
		rc = 0;
	db_done(s);
	return rc;
}

/* ---- transactions and the seen bitmap ---- */

/*
 * A run always has a transaction open: the lookups then cost no file
 * locking each (an autocommit read takes and drops SQLite's locks, a few
 * fcntl calls, per statement). A run that may write holds the write lock
 * (BEGIN IMMEDIATE, so it never fails to upgrade later), committing every
 * FIM_BATCH rows; a report-only run reads one snapshot.
 */
static int
txn_write(struct run *r)
{
	int	rc;

	if (r->in_txn)
		return 0;
	if ((rc = db_begin(r->fim->db, r->keep ? DB_DEFERRED :
	    DB_IMMEDIATE)) != 0)
		return rc;
	r->in_txn = 1;
	return 0;
}

static int
txn_wrote(struct run *r)
{
	int	rc;

	if (++r->nwrites % FIM_BATCH != 0)
		return 0;
	r->in_txn = 0;
	if ((rc = db_commit(r->fim->db)) != 0)
		return rc;
	return txn_write(r);
}

/* Commit, unless the run failed (a callback's stop, rc > 0, is not a
 * failure). */
static int
txn_end(struct run *r)
{
	if (!r->in_txn)
		return 0;
	r->in_txn = 0;
	return db_end(r->fim->db, r->rc < 0 ? r->rc : 0);
}

static void
seen_mark(struct run *r, int64_t id)
{
	if (id > 0 && id <= r->maxid)
		r->seen[id / 64] |= 1ULL << (id % 64);
}

/* Rows above maxid were written by this run: seen by definition. */
static int
seen_test(const struct run *r, int64_t id)
{
	return id > r->maxid ||
	    (id > 0 && (r->seen[id / 64] & (1ULL << (id % 64))) != 0);
}

/* The bounds of the rows strictly below path: (P "/", P "0"). */
static int
below_bounds(char lo[static PATH_MAX + 1], char hi[static PATH_MAX + 1],
    const char *path)
{
	size_t	n = strlen(path);

	if (n == 1)
		n = 0;		/* "/": every other path */
	if (n + 1 >= PATH_MAX)
		return ERR_TOOBIG;
	memcpy(lo, path, n);
	memcpy(hi, path, n);
	lo[n] = '/';
	hi[n] = '0';
	lo[n + 1] = hi[n + 1] = '\0';
	return 0;
}

/* Keep the rows below a folder that could not be listed: mark them seen
 * so they are neither reported nor deleted. */
static int
seen_below(struct run *r, const char *path)
{
	struct fim	*f = r->fim;
	sqlite3_stmt	*s = db_stmt(f->db, Q_RANGE);
	char		 lo[PATH_MAX + 1], hi[PATH_MAX + 1];
	int		 sr, n;

	if (below_bounds(lo, hi, path) != 0)
		return 0;
	do {
		sqlite3_bind_blob(s, 1, lo, (int)strlen(lo), SQLITE_TRANSIENT);
		sqlite3_bind_blob(s, 2, hi, (int)strlen(hi), SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, r->maxid);
		for (n = 0; (sr = sqlite3_step(s)) == SQLITE_ROW; n++) {
			seen_mark(r, sqlite3_column_int64(s, 0));
			snprintf(lo, sizeof(lo), "%.*s",
			    sqlite3_column_bytes(s, 1),
			    (const char *)sqlite3_column_blob(s, 1));
		}
		db_done(s);
		if (sr != SQLITE_DONE)
			return db_fail(f->db, "range");
	} while (n == RANGE_PAGE);
	return 0;
}

/* The row of path and those below it: kept, as if met by the walk. */
static int
seen_path(struct run *r, const char *path)
{
	sqlite3_stmt	*s = db_stmt(r->fim->db, Q_GET);
	int		 rc;

	sqlite3_bind_blob(s, 1, path, (int)strlen(path), SQLITE_STATIC);
	if ((rc = db_row(r->fim->db, s, "lookup")) == 0)
		seen_mark(r, sqlite3_column_int64(s, 0));
	db_done(s);
	if (rc != 0 && rc != ERR_NOTFOUND)
		return (r->rc = rc);
	return (r->rc = seen_below(r, path));
}

/* ---- comparing ---- */

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
attr_same(const struct fim_attr *a, const struct fim_attr *b)
{
	return a->type == b->type && a->err == b->err &&
	    a->has_hash == b->has_hash && (!a->has_hash ||
	    memcmp(a->hash, b->hash, FIM_HASH_LEN) == 0) &&
	    a->mode == b->mode && a->uid == b->uid && a->gid == b->gid &&
	    a->size == b->size && a->ino == b->ino && a->dev == b->dev &&
	    a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
	    strcmp(a->owner, b->owner) == 0 &&
	    strcmp(a->group, b->group) == 0 && same_str(a->target, b->target);
}

static int
content_changed(const struct fim_attr *o, const struct fim_attr *n)
{
	if (o->has_hash && n->has_hash)
		return memcmp(o->hash, n->hash, FIM_HASH_LEN) != 0;
	if (o->has_hash != n->has_hash)
		return 1;
	/* unreadable before and now: all that can be compared */
	return o->err != n->err || o->size != n->size ||
	    o->mtime_ns != n->mtime_ns;
}

static unsigned int
attr_diff(const struct fim_attr *o, const struct fim_attr *n)
{
	unsigned int	c = 0;

	if (o == NULL)
		return FIM_ADDED;
	if (n == NULL)
		return FIM_REMOVED;
	if (o->type != n->type)
		return FIM_TYPE;
	if (n->type == FIM_T_FILE && content_changed(o, n))
		c |= FIM_MODIFIED;
	if (n->type == FIM_T_SYMLINK && !same_str(o->target, n->target))
		c |= FIM_TARGET;
	if (o->uid != n->uid || o->gid != n->gid)
		c |= FIM_OWNER;
	if (o->mode != n->mode)
		c |= FIM_PERMISSIONS;
	return c;
}

static int
need_hash(const struct run *r, const struct item *it)
{
	const struct fim_attr	*o = &it->old, *n = &it->cur;

	return r->baseline || r->rehash || !it->has_old || it->old_recheck ||
	    o->type != FIM_T_FILE || o->err != 0 || !o->has_hash ||
	    o->size != n->size || o->mtime_ns != n->mtime_ns ||
	    o->ctime_ns != n->ctime_ns || o->ino != n->ino || o->dev != n->dev;
}

/* ---- items ---- */

static struct item *
item_new(const char *path)
{
	struct item	*it;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return NULL;
	if ((it->path = strdup(path)) == NULL) {
		free(it);
		return NULL;
	}
	it->fd = -1;
	return it;
}

static void
item_free(struct item *it)
{
	if (it == NULL)
		return;
	if (it->fd != -1)
		close(it->fd);
	free(it->old.target);
	free(it->cur.target);
	free(it->path);
	free(it);
}

static void
id_name(struct fim *f, int group, uint32_t id, char out[static FIM_NAME_MAX])
{
	struct idname	*c = &(group ? f->groups : f->users)[id % IDCACHE];
	struct passwd	 pw, *pwp = NULL;
	struct group	 gr, *grp = NULL;
	const char	*name = NULL;

	if (!c->valid || c->id != id) {
		if (group && getgrgid_r(id, &gr, f->pwbuf, PWBUF_LEN,
		    &grp) == 0 && grp != NULL)
			name = grp->gr_name;
		else if (!group && getpwuid_r(id, &pw, f->pwbuf, PWBUF_LEN,
		    &pwp) == 0 && pwp != NULL)
			name = pwp->pw_name;
		c->valid = 1;
		c->id = id;
		c->name[0] = '\0';
		if (name != NULL && strlen(name) < sizeof(c->name))
			memcpy(c->name, name, strlen(name) + 1);
	}
	memcpy(out, c->name, FIM_NAME_MAX);
}

static void
attr_stat(struct fim *f, struct fim_attr *a, const struct stat *sb)
{
	a->type = type_of(sb->st_mode);
	a->mode = sb->st_mode & 07777;
	a->uid = sb->st_uid;
	a->gid = sb->st_gid;
	a->size = (uint64_t)sb->st_size;
	a->ino = sb->st_ino;
	a->dev = sb->st_dev;
	a->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 +
	    sb->st_mtim.tv_nsec;
	a->ctime_ns = (int64_t)sb->st_ctim.tv_sec * 1000000000 +
	    sb->st_ctim.tv_nsec;
	id_name(f, 0, a->uid, a->owner);
	id_name(f, 1, a->gid, a->group);
}

/* ---- hashing ---- */

/* Read it->fd to the end into it->cur.hash (or cur.err), close it. */
static void
hash_item(struct item *it, struct digest_sha256 *ctx, uint8_t *buf)
{
	ssize_t		n;

	it->hashed = 1;
	if (digest_sha256_init(ctx) != 0) {
		it->cur.err = ENOMEM;
		goto done;
	}
	for (;;) {
		n = read(it->fd, buf, HASH_BUF_LEN);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			it->cur.err = errno;
			goto done;
		}
		if (n == 0)
			break;
		it->nread += (uint64_t)n;
		if (digest_sha256_update(ctx, buf, (size_t)n) != 0) {
			it->cur.err = ENOMEM;
			goto done;
		}
	}
	if (digest_sha256_final(it->cur.hash, ctx) != 0) {
		it->cur.err = ENOMEM;
		goto done;
	}
	it->cur.has_hash = 1;
done:
	close(it->fd);
	it->fd = -1;
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct pool	*p = w->pool;
	struct item	*it;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->jobs == NULL && !p->stop)
			pthread_cond_wait(&p->job_cv, &p->mu);
		if ((it = p->jobs) == NULL) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		if ((p->jobs = it->next) == NULL)
			p->jobs_tail = &p->jobs;
		pthread_mutex_unlock(&p->mu);

		it->next = NULL;
		hash_item(it, w->ctx, w->buf);

		pthread_mutex_lock(&p->mu);
		*p->done_tail = it;
		p->done_tail = &it->next;
		pthread_cond_signal(&p->done_cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Stop and join the workers; the queues must be empty. Takes NULL. */
static void
pool_free(struct pool *p)
{
	int	i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->job_cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nworkers; i++) {
		if (p->workers[i].started)
			pthread_join(p->workers[i].tid, NULL);
		digest_sha256_free(p->workers[i].ctx);
		free(p->workers[i].buf);
	}
	free(p->workers);
	pthread_cond_destroy(&p->job_cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static int
pool_new(struct pool **out, int n)
{
	struct pool	*p;
	int		 i;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ERR_NOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->job_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	p->jobs_tail = &p->jobs;
	p->done_tail = &p->done;
	if ((p->workers = calloc((size_t)n, sizeof(*p->workers))) == NULL)
		goto fail;
	p->nworkers = n;
	for (i = 0; i < n; i++) {
		p->workers[i].pool = p;
		if (digest_sha256_new(&p->workers[i].ctx) != 0 ||
		    (p->workers[i].buf = malloc(HASH_BUF_LEN)) == NULL)
			goto fail;
		if (pthread_create(&p->workers[i].tid, NULL, worker_main,
		    &p->workers[i]) != 0) {
			log_warnx("fim: cannot start hashing thread");
			goto fail;
		}
		p->workers[i].started = 1;
	}
	*out = p;
	return 0;
fail:
	pool_free(p);
	return ERR_NOMEM;
}

/* ---- a run: reporting and recording each entry ---- */

static int
record(struct run *r, struct item *it)
{
	struct fim	*f = r->fim;
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = txn_write(r)) != 0)
		return rc;
	if (it->has_old) {
		s = db_stmt(f->db, Q_UPD);
		sqlite3_bind_int64(s, 1, it->id);
	} else {
		s = db_stmt(f->db, Q_INS);
		sqlite3_bind_blob(s, 1, it->path, (int)strlen(it->path),
		    SQLITE_STATIC);
	}
	bind_attr(s, &it->cur);
	sqlite3_bind_int(s, 16, it->recheck);
	if ((rc = db_run(f->db, s, "record")) != 0)
		return rc;
	return txn_wrote(r);
}

static int
report(struct run *r, const char *path, unsigned int changes,
    const struct fim_attr *before, const struct fim_attr *after)
{
	struct fim_change	c = { path, changes, before, after };
	int			rc;

	r->st.changes++;
	if (r->cb != NULL && (rc = r->cb(r->arg, &c)) != 0) {
		r->rc = rc;
		return rc;
	}
	return 0;
}

/* The end of an entry's way: compare, report, record; frees it. */
static void
finish(struct run *r, struct item *it)
{
	unsigned int	changes;

	if (r->rc != 0)
		goto out;
	r->st.entries++;
	if (it->cur.err != 0)
		r->st.errors++;
	if (it->hashed && it->cur.err == 0) {
		r->st.hashed++;
		r->st.bytes += it->nread;
	}
	seen_mark(r, it->id);
	changes = attr_diff(it->has_old ? &it->old : NULL, &it->cur);
	if (!r->baseline && changes != 0 && report(r, it->path, changes,
	    it->has_old ? &it->old : NULL, &it->cur) != 0)
		goto out;
	it->recheck = it->cur.has_hash && it->cur.ctime_ns >= r->start_ns -
	    RACY_NS;
	if (!r->keep && (!it->has_old || it->recheck != it->old_recheck ||
	    !attr_same(&it->old, &it->cur)))
		r->rc = record(r, it);
out:
	item_free(it);
}

/* Finish the items the pool has done; with block, wait for one first. */
static void
collect(struct run *r, int block)
{
	struct pool	*p = r->pool;
	struct item	*it, *next;
	size_t		 n = 0;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	while (block && p->done == NULL && p->inflight > 0)
		pthread_cond_wait(&p->done_cv, &p->mu);
	it = p->done;
	p->done = NULL;
	p->done_tail = &p->done;
	for (next = it; next != NULL; next = next->next)
		n++;
	p->inflight -= n;
	pthread_mutex_unlock(&p->mu);
	for (; it != NULL; it = next) {
		next = it->next;
		finish(r, it);
	}
}

static void
submit(struct run *r, struct item *it)
{
	struct pool	*p;

	if (r->pool == NULL && pool_new(&r->pool, r->fim->threads) != 0) {
		r->rc = ERR_NOMEM;
		item_free(it);
		return;
	}
	p = r->pool;
	while (p->inflight >= r->inflight_max)
		collect(r, 1);
	pthread_mutex_lock(&p->mu);
	*p->jobs_tail = it;
	p->jobs_tail = &it->next;
	p->inflight++;
	pthread_cond_signal(&p->job_cv);
	pthread_mutex_unlock(&p->mu);
	collect(r, 0);
}

/* Hash now, on this thread (one-path checks). */
static void
hash_inline(struct run *r, struct item *it)
{
	if (r->ctx == NULL && digest_sha256_new(&r->ctx) != 0)
		goto nomem;
	if (r->buf == NULL && (r->buf = malloc(HASH_BUF_LEN)) == NULL)
		goto nomem;
	hash_item(it, r->ctx, r->buf);
	finish(r, it);
	return;
nomem:
	r->rc = ERR_NOMEM;
	item_free(it);
}

/* ---- a run: walking ---- */

/* Open a regular file to hash it. 1: opened (it->fd), 0: recorded with
 * an error or not regular any more, -1: gone. it->cur is refreshed from
 * the descriptor, which is what will be read. */
static int
open_file(struct run *r, int dfd, const char *name, struct item *it)
{
	struct stat	sb;
	int		fd, flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
			    O_CLOEXEC | O_NOCTTY;

	fd = openat(dfd, name, flags | (r->noatime ? O_NOATIME : 0));
	if (fd == -1 && errno == EPERM && r->noatime) {
		r->noatime = 0;		/* not the owner, not root */
		fd = openat(dfd, name, flags);
	}
	if (fd == -1) {
		if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
			return -1;	/* gone or replaced by a symlink */
		it->cur.err = errno;
		return 0;
	}
	if (fstat(fd, &sb) == -1) {
		it->cur.err = errno;
		close(fd);
		return 0;
	}
	attr_stat(r->fim, &it->cur, &sb);
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return 0;
	}
	it->fd = fd;
	return 1;
}

static void
visit_file(struct run *r, int dfd, const char *name, struct item *it,
    int inline_hash)
{
	int	rc;

	if (!need_hash(r, it)) {
		memcpy(it->cur.hash, it->old.hash, FIM_HASH_LEN);
		it->cur.has_hash = it->old.has_hash;
		finish(r, it);
		return;
	}
	if ((rc = open_file(r, dfd, name, it)) < 0) {
		r->st.vanished++;
		item_free(it);
	} else if (rc == 0) {
		finish(r, it);
	} else if (inline_hash) {
		hash_inline(r, it);
	} else {
		submit(r, it);
	}
}

static void
visit_symlink(struct run *r, int dfd, const char *name, struct item *it)
{
	char	buf[PATH_MAX];
	ssize_t	n;

	n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	if (n == -1 && errno == ENOENT) {
		r->st.vanished++;
		item_free(it);
		return;
	}
	if (n == -1) {
		it->cur.err = errno;
	} else {
		buf[n] = '\0';
		if ((it->cur.target = strdup(buf)) == NULL) {
			r->rc = ERR_NOMEM;
			item_free(it);
			return;
		}
	}
	finish(r, it);
}

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_free(struct names *nm)
{
	free(nm->arena);
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

static int
names_add(struct names *nm, const char *s)
{
	size_t	 n = strlen(s) + 1, cap;
	char	*a;

	if (nm->len + n > nm->cap) {
		cap = nm->cap ? nm->cap * 2 : 4096;
		while (cap < nm->len + n)
			cap *= 2;
		if ((a = realloc(nm->arena, cap)) == NULL)
			return ERR_NOMEM;
		nm->arena = a;
		nm->cap = cap;
	}
	memcpy(nm->arena + nm->len, s, n);
	nm->len += n;
	nm->n++;
	return 0;
}

/* The names in folder d (not . and ..), sorted. errno-style on
 * failure: ENOMEM or the error from reading the folder. */
static int
names_read(struct names *nm, DIR *d)
{
	struct dirent	*de;
	size_t		 i, off;
	int		 e = 0;

	memset(nm, 0, sizeof(*nm));
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			e = errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name,
		    "..") == 0)
			continue;
		if (names_add(nm, de->d_name) != 0) {
			e = ENOMEM;
			break;
		}
	}
	if (e == 0 && nm->n > 0 &&
	    (nm->v = reallocarray(NULL, nm->n, sizeof(*nm->v))) == NULL)
		e = ENOMEM;
	if (e != 0) {
		names_free(nm);
		return e;
	}
	for (i = 0, off = 0; i < nm->n; i++) {
		nm->v[i] = nm->arena + off;
		off += strlen(nm->v[i]) + 1;
	}
	if (nm->n > 1)
		qsort(nm->v, nm->n, sizeof(*nm->v), names_cmp);
	return 0;
}

/* Visit each name of the open folder fd, whose path is r->path[0..len). */
static void
visit_children(struct run *r, int fd, const struct names *nm, size_t len,
    int depth)
{
	size_t	i, n, sep = len > 1 ? 1 : 0;

	for (i = 0; i < nm->n && r->rc == 0; i++) {
		n = strlen(nm->v[i]);
		if (len + sep + n >= sizeof(r->path)) {
			log_warnx("fim: path too long, not recorded: %.200s/%s",
			    r->path, nm->v[i]);
			r->st.errors++;
			continue;
		}
		if (sep)
			r->path[len] = '/';
		memcpy(r->path + len + sep, nm->v[i], n + 1);
		if (!pathset_excluded_below(r->fim->ps, r->path, len + sep + n,
		    len))
			visit(r, fd, nm->v[i], len + sep + n, depth + 1, 1);
		r->path[len] = '\0';
	}
}

static void
visit_dir(struct run *r, int dfd, const char *name, struct item *it,
    size_t len, int depth)
{
	struct names	 nm = { 0 };
	DIR		*d = NULL;
	int		 fd, e = 0;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 && (errno == ENOENT || errno == ENOTDIR ||
	    errno == ELOOP)) {
		r->st.vanished++;	/* gone or replaced */
		item_free(it);
		return;
	}
	if (fd == -1)
		e = errno;
	else if (depth >= FIM_DEPTH_MAX)
		e = ELOOP;
	else if ((d = fdopendir(fd)) == NULL)
		e = errno;
	else
		e = names_read(&nm, d);	/* d owns fd now */
	if (e != 0) {
		/* Recorded with the error; what the baseline has below it
		 * stays as it was. */
		it->cur.err = e;
		if (e != ENOMEM)
			log_warnx("fim: %s: %s", it->path, strerror(e));
		finish(r, it);
		if (r->rc == 0 && e != ENOMEM)
			r->rc = seen_below(r, r->path);
		else if (r->rc == 0)
			r->rc = ERR_NOMEM;
		if (d != NULL)
			closedir(d);
		else if (fd != -1)
			close(fd);
		return;
	}
	finish(r, it);
	visit_children(r, fd, &nm, len, depth);
	names_free(&nm);
	closedir(d);
}

/*
 * Examine the entry name in folder dfd, whose path is r->path[0..len).
 * recurse 0: a folder is recorded but not listed (one-path checks).
 */
static int
visit(struct run *r, int dfd, const char *name, size_t len, int depth,
    int recurse)
{
	struct stat	 sb;
	struct item	*it;
	int		 rc;

	if ((it = item_new(r->path)) == NULL)
		return (r->rc = ERR_NOMEM);
	if ((rc = lookup(r->fim, it)) != 0) {
		item_free(it);
		return (r->rc = rc);
	}
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			r->st.vanished++;
			item_free(it);
			return 0;
		}
		/* Recorded with the error; if it was a folder, what the
		 * baseline has below it stays as it was. */
		it->cur.err = errno;
		finish(r, it);
		if (r->rc == 0)
			r->rc = seen_below(r, r->path);
		return r->rc;
	}
	attr_stat(r->fim, &it->cur, &sb);
	switch (it->cur.type) {
	case FIM_T_FILE:
		visit_file(r, dfd, name, it, !recurse);
		break;
	case FIM_T_SYMLINK:
		visit_symlink(r, dfd, name, it);
		break;
	case FIM_T_DIR:
		if (recurse)
			visit_dir(r, dfd, name, it, len, depth);
		else
			finish(r, it);
		break;
	default:
		finish(r, it);	/* FIFOs, devices, sockets: never opened */
		break;
	}
	return r->rc;
}

/*
 * The folder holding path (a configured path, or one below the configured
 * path r->path[0..r->rootlen) that holds it): the configured path's
 * parent is opened as configured (an operator's path: links followed);
 * below it nothing is followed and no refused mount entered (safeopen.h),
 * so a folder swapped for a symbolic link between a change and its check
 * leaves the path absent rather than hashed through the link. *name: the
 * last component. 1 absent, 0 opened (*dfd), -1 failed (logged).
 */
static int
open_holder(struct run *r, const char *path, int *dfd, const char **name)
{
	struct safeopen_why	 why;
	char			 parent[PATH_MAX], rel[PATH_MAX];
	const char		*root = r->path, *rname;
	size_t			 rlen = r->rootlen, plen;
	int			 pfd;

	*name = strrchr(root, '/') + 1;		/* root holds path now */
	/* the configured path's parent, and the configured path's name */
	rname = rlen == 1 ? root + 1 : (const char *)memrchr(root, '/',
	    rlen) + 1;
	plen = rname - root > 1 ? (size_t)(rname - root - 1) : 1;
	memcpy(parent, root, plen);
	parent[plen] = '\0';
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd == -1 && (errno == ENOENT || errno == ENOTDIR))
		return 1;
	if (pfd == -1) {
		log_warn("fim: %s", parent);
		return -1;
	}
	/* from there to the folder holding path, by descriptors */
	plen = (size_t)(*name - rname);
	if (plen <= 1) {
		*dfd = pfd;
		return 0;
	}
	memcpy(rel, rname, plen - 1);
	rel[plen - 1] = '\0';
	if (safeopen_dir(dfd, r->fim->mt, pfd, rel, &why) != 0) {
		close(pfd);
		if (why.what != SAFEOPEN_ERRNO)
			return 1;	/* gone, a link, not entered */
		log_warnx("fim: %s: %s", path, strerror(why.err));
		return -1;
	}
	close(pfd);
	return 0;
}

/* Walk one configured path (or a path below one) from its parent. */
static int
walk(struct run *r, const char *path, int recurse)
{
	const char	*name;
	size_t		 len = strlen(path);
	int		 dfd, rc;

	memcpy(r->path, path, len + 1);
	if (len == 1)
		return visit(r, AT_FDCWD, "/", len, 0, recurse);
	if ((rc = open_holder(r, path, &dfd, &name)) > 0)
		return 0;	/* the path is absent */
	if (rc < 0) {
		/* Cannot be examined: neither reported nor forgotten. */
		r->st.errors++;
		return seen_path(r, path);
	}
	visit(r, dfd, name, len, 0, recurse);
	close(dfd);
	return r->rc;
}

/* ---- a run: what was removed ---- */

struct gone {
	int64_t		 id;
	char		*path;
	struct fim_attr	 a;
};

static void
gone_free(struct gone *g, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(g[i].path);
		free(g[i].a.target);
	}
}

static int
remove_one(struct run *r, struct gone *g)
{
	struct fim	*f = r->fim;
	int		 rc;

	if (seen_test(r, g->id) || pathset_excluded_below(f->ps, g->path,
	    strlen(g->path), r->rootlen))
		return 0;
	if (!r->baseline && (rc = report(r, g->path, FIM_REMOVED, &g->a,
	    NULL)) != 0)
		return rc;
	if (r->keep)
		return 0;
	if ((rc = txn_write(r)) != 0)
		return rc;
	sqlite3_bind_int64(db_stmt(f->db, Q_DEL), 1, g->id);
	if ((rc = db_run(f->db, db_stmt(f->db, Q_DEL), "delete")) != 0)
		return rc;
	return txn_wrote(r);
}

/* One page of rows after lo (updated) and before hi into g[]. */
static int
gone_page(struct run *r, char *lo, const char *hi, struct gone *g,
    size_t *n)
{
	sqlite3_stmt	*s = db_stmt(r->fim->db, Q_RANGE);
	const void	*b;
	int		 sr, len, rc = 0;

	*n = 0;
	sqlite3_bind_blob(s, 1, lo, (int)strlen(lo), SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 2, hi, (int)strlen(hi), SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->maxid);
	while (rc == 0 && (sr = sqlite3_step(s)) == SQLITE_ROW) {
		b = sqlite3_column_blob(s, 1);
		len = sqlite3_column_bytes(s, 1);
		g[*n].id = sqlite3_column_int64(s, 0);
		if (b == NULL || len >= PATH_MAX) {
			log_warnx("fim: bad row %lld", (long long)g[*n].id);
			rc = ERR_IO;
			break;
		}
		if ((g[*n].path = strndup(b, (size_t)len)) == NULL) {
			rc = ERR_NOMEM;
			break;
		}
		memcpy(lo, b, (size_t)len);
		lo[len] = '\0';
		rc = row_attr(&g[*n].a, s, 2);
		(*n)++;
	}
	if (rc == 0 && sr != SQLITE_DONE)
		rc = db_fail(r->fim->db, "range");
	db_done(s);
	return rc;
}

/* Report and delete the rows below path that the walk did not meet. */
static int
removed_below(struct run *r, const char *path)
{
	struct gone	*g;
	char		 lo[PATH_MAX + 1], hi[PATH_MAX + 1];
	size_t		 n, i;
	int		 rc;

	if (below_bounds(lo, hi, path) != 0)
		return 0;
	if ((g = calloc(RANGE_PAGE, sizeof(*g))) == NULL)
		return ERR_NOMEM;
	do {
		rc = gone_page(r, lo, hi, g, &n);
		for (i = 0; rc == 0 && i < n; i++)
			rc = remove_one(r, &g[i]);
		gone_free(g, n);
		memset(g, 0, RANGE_PAGE * sizeof(*g));
	} while (rc == 0 && n == RANGE_PAGE);
	free(g);
	return rc;
}

/* The path's own row, if the walk did not meet it. */
static int
removed_self(struct run *r, const char *path)
{
	struct gone	 g = { 0 };
	struct item	*it;
	int		 rc;

	if ((it = item_new(path)) == NULL)
		return ERR_NOMEM;
	if ((rc = lookup(r->fim, it)) == 0 && it->has_old) {
		g.id = it->id;
		g.path = it->path;
		g.a = it->old;
		rc = remove_one(r, &g);
	}
	item_free(it);
	return rc;
}

/* ---- a run: set-up and the public entry points ---- */

static int
run_begin(struct run *r, struct fim *f, int baseline, fim_change_cb cb,
    void *arg)
{
	sqlite3_stmt	*s;
	char		 v[32];
	int		 rc;

	memset(r, 0, sizeof(*r));
	r->fim = f;
	r->baseline = baseline;
	r->rehash = baseline || f->rehash;
	r->keep = !baseline && f->keep;
	r->cb = cb;
	r->arg = arg;
	r->noatime = 1;
	r->inflight_max = 64 + 4 * (size_t)f->threads;
	r->start_ns = event_now_us() * 1000;
	r->st.seconds = (double)r->start_ns / 1e9;
	if ((rc = txn_write(r)) != 0)
		return rc;
	if (!baseline && (rc = meta_get(f, "baseline", v, sizeof(v))) != 0) {
		if (rc == ERR_NOTFOUND)
			log_warnx("fim: no baseline has been taken yet");
		return rc;
	}
	s = db_stmt(f->db, Q_MAXID);
	if ((rc = db_row(f->db, s, "max id")) == 0)	/* max(): one row */
		r->maxid = sqlite3_column_int64(s, 0);
	db_done(s);
	if (rc != 0)
		return ERR_IO;
	if ((r->seen = calloc((size_t)(r->maxid / 64 + 1),
	    sizeof(*r->seen))) == NULL)
		return ERR_NOMEM;
	return 0;
}

static int
run_end(struct run *r, struct fim_stats *st)
{
	char	v[32];
	int	rc;

	if (r->pool != NULL) {
		while (r->pool->inflight > 0)
			collect(r, 1);
		pool_free(r->pool);
	}
	if (r->rc == 0 && r->baseline) {
		snprintf(v, sizeof(v), "%lld", (long long)event_now_us());
		if ((r->rc = txn_write(r)) == 0)
			r->rc = meta_set(r->fim, "baseline", v);
	}
	rc = txn_end(r);
	if (r->rc == 0)
		r->rc = rc;
	/* The run left its pages in SQLite's cache (up to cache_size, 2 MB);
	 * between runs they would only be held: the next run reads the few
	 * it needs from the OS page cache again. */
	(void)sqlite3_db_release_memory(db_sqlite(r->fim->db));
	digest_sha256_free(r->ctx);
	free(r->buf);
	free(r->seen);
	r->st.seconds = (double)event_now_us() / 1e6 - r->st.seconds;
	if (st != NULL)
		*st = r->st;
	return r->rc;
}

static int
run_all(struct fim *f, int baseline, fim_change_cb cb, void *arg,
    struct fim_stats *st)
{
	struct run	*r;
	const char	*root;
	size_t		 i;
	int		 rc;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if ((r = malloc(sizeof(*r))) == NULL)
		return ERR_NOMEM;
	if ((rc = run_begin(r, f, baseline, cb, arg)) != 0) {
		r->rc = rc;
		rc = run_end(r, st);
		free(r);
		return rc;
	}
	for (i = 0; i < pathset_count(f->ps) && r->rc == 0; i++) {
		root = pathset_root(f->ps, i, &r->rootlen);
		if (pathset_excluded_below(f->ps, root, r->rootlen,
		    r->rootlen))
			continue;
		walk(r, root, 1);
		if (r->pool != NULL)	/* rows first, then the removal scan */
			while (r->rc == 0 && r->pool->inflight > 0)
				collect(r, 1);
		if (r->rc == 0)
			r->rc = removed_self(r, root);
		if (r->rc == 0)
			r->rc = removed_below(r, root);
	}
	rc = run_end(r, st);
	free(r);
	return rc;
}

int
fim_baseline(struct fim *f, struct fim_stats *st)
{
	return run_all(f, 1, NULL, NULL, st);
}

int
fim_check(struct fim *f, fim_change_cb cb, void *arg, struct fim_stats *st)
{
	return run_all(f, 0, cb, arg, st);
}

/* Whether a one-path check must walk below path: when it is a folder
 * that the baseline does not have as this same folder. */
static int
needs_subtree(struct fim *f, const char *path, int *out)
{
	struct stat	 sb;
	struct item	*it;
	int		 rc;

	*out = 0;
	if ((it = item_new(path)) == NULL)
		return ERR_NOMEM;
	if ((rc = lookup(f, it)) == 0) {
		if (lstat(path, &sb) == -1)
			*out = it->has_old && it->old.type == FIM_T_DIR;
		else
			*out = S_ISDIR(sb.st_mode) && (!it->has_old ||
			    it->old.type != FIM_T_DIR ||
			    it->old.ino != sb.st_ino ||
			    it->old.dev != sb.st_dev);
	}
	item_free(it);
	return rc;
}

int
fim_check_path(struct fim *f, const char *path, fim_change_cb cb, void *arg)
{
	char		 p[PATH_MAX];
	struct run	*r;
	size_t		 rootlen, len;
	int		 rc, sub;

	if ((rc = pathset_clean(p, path)) != 0)
		return rc;
	len = strlen(p);
	if ((rootlen = pathset_holder(f->ps, p, len)) == 0 ||
	    pathset_excluded_below(f->ps, p, len, rootlen))
		return 0;
	if ((r = malloc(sizeof(*r))) == NULL)
		return ERR_NOMEM;
	if ((rc = run_begin(r, f, 0, cb, arg)) != 0) {
		r->rc = rc;
		rc = run_end(r, NULL);
		free(r);
		return rc;
	}
	r->rootlen = rootlen;
	if ((r->rc = needs_subtree(f, p, &sub)) == 0)
		walk(r, p, sub);
	if (r->pool != NULL)
		while (r->rc == 0 && r->pool->inflight > 0)
			collect(r, 1);
	if (r->rc == 0)
		r->rc = removed_self(r, p);
	if (r->rc == 0 && sub)
		r->rc = removed_below(r, p);
	rc = run_end(r, NULL);
	free(r);
	return rc;
}

/* ---- opening ---- */

/* The paths, resolved as pathset.h says (a path that is itself a
 * symbolic link is recorded as the link), without overlap. */
static int
set_paths(struct fim *f, const char *const *paths, size_t n)
{
	char	buf[PATH_MAX];
	size_t	i;
	int	rc = ERR_USAGE;

	if (n == 0)
		return ERR_USAGE;
	for (i = 0; i < n; i++) {
		if (paths[i] == NULL || (rc = pathset_resolve(buf, paths[i],
		    PATHSET_NOFOLLOW, NULL)) != 0) {
			log_warnx("fim: path must be absolute and reachable: "
			    "%s", paths[i] ? paths[i] : "(null)");
			return rc == ERR_NOMEM ? rc : ERR_USAGE;
		}
		if ((rc = pathset_add(f->ps, buf)) < 0)
			return rc;
	}
	return 0;
}

/* The database and its -wal and -shm are excluded: they change while a
 * baseline is written. */
static int
set_patterns(struct fim *f, const struct fim_opts *o, const char *dbpath)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char		 cwd[PATH_MAX], abs[PATH_MAX], own[PATH_MAX];
	size_t		 i, len;
	int		 rc = ERR_USAGE;

	for (i = 0; i < o->nexclude; i++)
		if (o->exclude[i] == NULL ||
		    (rc = pathset_exclude(f->ps, o->exclude[i])) != 0) {
			log_warnx("fim: bad exclusion: %s",
			    o->exclude[i] ? o->exclude[i] : "(null)");
			return rc == ERR_NOMEM ? rc : ERR_USAGE;
		}
	if (dbpath[0] == '/')
		rc = pathset_join(abs, sizeof(abs), "", dbpath);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return 0;	/* db_open will say */
	else
		rc = pathset_join(abs, sizeof(abs), cwd, dbpath);
	len = strlen(abs);
	for (i = 0; rc == 0 && i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (len + strlen(sfx[i]) >= sizeof(own))
			break;
		memcpy(own, abs, len);
		memcpy(own + len, sfx[i], strlen(sfx[i]) + 1);
		/* one that cannot be resolved is left out: db_open says
		 * what is wrong with the path */
		if ((rc = pathset_exclude(f->ps, own)) == ERR_NOMEM)
			return rc;
		rc = 0;
	}
	return 0;
}

int
fim_open(struct fim **out, const char *dbpath, const struct fim_opts *o)
{
	struct fim	*f;
	long		 ncpu;
	int		 rc = ERR_NOMEM;

	*out = NULL;
	if (o == NULL || dbpath == NULL || o->threads < 0 ||
	    o->threads > FIM_THREADS_MAX)
		return ERR_USAGE;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ERR_NOMEM;
	f->rehash = o->rehash;
	f->keep = o->keep;
	f->threads = o->threads;
	if (f->threads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		f->threads = ncpu < 1 ? 1 : ncpu > FIM_THREADS_MAX ?
		    FIM_THREADS_MAX : (int)ncpu;
	}
	if ((rc = pathset_new(&f->ps)) != 0 ||
	    (rc = set_paths(f, o->paths, o->npaths)) != 0 ||
	    (rc = set_patterns(f, o, dbpath)) != 0)
		goto fail;
	rc = ERR_NOMEM;
	if ((f->pwbuf = malloc(PWBUF_LEN)) == NULL)
		goto fail;
	if ((rc = db_setup(f, dbpath)) != 0)
		goto fail;
	/* the full walk enters every mount below a configured path, as
	 * the kernel's own views aside, so may a one-path check; without
	 * the table, no mount below is entered by one */
	if (mounttab_new(&f->mt, MOUNTTAB_ALL) != 0)
		log_warnx("fim: no mount table: a change below a mount point "
		    "inside a watched path is seen at the full check only");
	*out = f;
	return 0;
fail:
	fim_close(f);
	return rc;
}

void
fim_close(struct fim *f)
{
	if (f == NULL)
		return;
	db_close(f->db);
	pathset_free(f->ps);
	free(f->pwbuf);
	mounttab_free(f->mt);
	free(f);
}

/* ---- events ---- */

/* key: s, escaped as docs/events.md says, with key_escaped: true when
 * it had to be. */
static int
set_text(json_t *o, const char *key, const char *s)
{
	char	 flag[64];
	json_t	*j;
	int	 rc, esc;

	if ((j = text_json(s, strlen(s), &esc)) == NULL)
		return -1;
	rc = json_object_set_new(o, key, j);
	if (rc == 0 && esc) {
		snprintf(flag, sizeof(flag), "%s_escaped", key);
		rc = json_object_set_new(o, flag, json_true());
	}
	return rc;
}

static json_t *
attr_json(const struct fim_attr *a)
{
	char	 buf[2 * FIM_HASH_LEN + 1], ebuf[128];
	json_t	*o;
	int	 bad = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	bad |= json_object_set_new(o, "type", json_string(
	    fim_type_name(a->type)));
	if (a->has_hash) {
		sodium_bin2hex(buf, sizeof(buf), a->hash, FIM_HASH_LEN);
		bad |= json_object_set_new(o, FIM_HASH_NAME, json_string(buf));
	}
	bad |= json_object_set_new(o, "size", json_integer(
	    (json_int_t)a->size));
	snprintf(buf, sizeof(buf), "%04o", a->mode);
	bad |= json_object_set_new(o, "mode", json_string(buf));
	bad |= json_object_set_new(o, "uid", json_integer(a->uid));
	bad |= json_object_set_new(o, "gid", json_integer(a->gid));
	if (a->owner[0] != '\0')
		bad |= set_text(o, "owner", a->owner);
	if (a->group[0] != '\0')
		bad |= set_text(o, "group", a->group);
	bad |= json_object_set_new(o, "inode", json_integer(
	    (json_int_t)a->ino));
	event_format_ts(buf, a->mtime_ns / 1000);
	bad |= json_object_set_new(o, "mtime", json_string(buf));
	if (a->target != NULL)
		bad |= set_text(o, "target", a->target);
	if (a->err != 0)
		bad |= json_object_set_new(o, "error", json_string(
		    strerror_r(a->err, ebuf, sizeof(ebuf))));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
fim_event(const struct fim_change *c)
{
	json_t	*ev, *o = NULL, *arr = NULL;
	size_t	 i;
	int	 bad = 0;

	if ((ev = event_build("integrity")) == NULL)
		return NULL;
	if ((o = json_object()) == NULL || (arr = json_array()) == NULL)
		goto fail;
	bad |= set_text(o, "path", c->path);
	bad |= json_object_set_new(o, "change", json_string(
	    fim_change_name(c->changes)));
	for (i = 0; i < sizeof(change_names) / sizeof(change_names[0]); i++)
		if (c->changes & (1u << i))
			bad |= json_array_append_new(arr,
			    json_string(change_names[i]));
	bad |= json_object_set_new(o, "changes", arr);
	arr = NULL;
	if (c->before != NULL)
		bad |= json_object_set_new(o, "before", attr_json(c->before));
	if (c->after != NULL)
		bad |= json_object_set_new(o, "after", attr_json(c->after));
	bad |= json_object_set_new(ev, "integrity", o);
	o = NULL;
	if (bad)
		goto fail;
	return ev;
fail:
	json_decref(arr);
	json_decref(o);
	json_decref(ev);
	return NULL;
}
