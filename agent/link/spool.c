/*
 * spool.c: the agent's durable, bounded event queue (SQLite).
 *
 * Tables:
 *	events(seq, prio, type, body)	one row per stored event; body is a
 *					BLOB so length() counts bytes
 *	events_evict(prio, seq)		eviction order: lowest, then oldest
 *	drops(type, n)			events dropped, by type, forever
 *	meta(key, value)		spool_meta_* state, opaque to us
 *	state(id = 1, last_seq, acked_seq, bytes, depth)
 *
 * Invariants, each true at every commit:
 *	- every events.seq is <= state.last_seq, and last_seq never falls;
 *	  seq is assigned as last_seq + 1, so a number is never reused even
 *	  when the newest row is acked or evicted.
 *	- state.bytes = SUM(length(body)), state.depth = COUNT(*).
 *	- acked_seq <= last_seq, and acked_seq never falls.
 *
 * Why a state row rather than AUTOINCREMENT and meta keys: the daemon
 * and `vigil-agent emit` append to the same file, so the counters must
 * be read inside the write transaction (BEGIN IMMEDIATE) that changes
 * them. Keeping all four in one typed row makes that one read at the
 * start and one write before COMMIT; the running totals live in memory
 * (s->cur) in between, so an append costs one INSERT and no scan or
 * sqlite_sequence update per event. It also keeps them out of meta,
 * where spool_meta_set() could overwrite them. Because the row changes
 * in the same transaction as the rows it counts, it cannot drift, and
 * open does not rescan the table: `emit` opens the file per call and a
 * full spool is half a gigabyte.
 *
 * Load: the daemon appends batches of tens to thousands of events per
 * second and reads and acks batches of hundreds; `emit` and `status`
 * open the file now and then. Append is O(log n) per event, plus
 * O(log n) per evicted row; read is O(log n + k). A full spool under a
 * flood evicts about one row per new event.
 *
 * Memory (one handle per thread, so the daemon keeps four): a handle
 * prepares a statement when it first uses it (2 to 4 KB each; a scan
 * worker's handle may never append), and a transaction that leaves the
 * spool empty releases the handle's page cache, which would otherwise
 * keep up to cache_size (2 MB) of a backlog read and acked while the
 * agent idles. Not after every commit: that cost a bulk append (emit,
 * 10,000 events a transaction) a tenth of its speed.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "spool.h"

#define SPOOL_SCHEMA_VERSION	1

static const char spool_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS events ("
	" seq INTEGER PRIMARY KEY,"
	" prio INTEGER NOT NULL,"
	" type TEXT NOT NULL,"
	" body BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS events_evict ON events(prio, seq);"
	"CREATE TABLE IF NOT EXISTS drops ("
	" type TEXT PRIMARY KEY,"
	" n INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS state ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" last_seq INTEGER NOT NULL,"
	" acked_seq INTEGER NOT NULL,"
	" bytes INTEGER NOT NULL,"
	" depth INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO state VALUES (1, 0, 0, 0, 0);"
	"PRAGMA user_version = 1;";

enum spool_stmt {
	ST_STATE_GET,
	ST_STATE_PUT,
	ST_INSERT,
	ST_WALK,
	ST_DEL_BELOW,
	ST_DEL_AT,
	ST_DROP_ADD,
	ST_ACK_SUM,
	ST_ACK,
	ST_READ,
	ST_STATS,
	ST_DROPS,
	ST_META_GET,
	ST_META_SET,
	ST_DATA_VERSION,
	ST_RECOUNT,
	ST_COUNT
};

static const char *const spool_sql[ST_COUNT] = {
	[ST_STATE_GET] = "SELECT last_seq, acked_seq, bytes, depth FROM state"
	    " WHERE id = 1",
	[ST_STATE_PUT] = "UPDATE state SET last_seq = ?1, acked_seq = ?2,"
	    " bytes = ?3, depth = ?4 WHERE id = 1",
	[ST_INSERT] = "INSERT INTO events (seq, prio, type, body)"
	    " VALUES (?1, ?2, ?3, ?4)",
	/* candidates for eviction, in eviction order */
	[ST_WALK] = "SELECT prio, seq, length(body), type FROM events"
	    " WHERE prio < ?1 ORDER BY prio, seq",
	/* two statements, not (prio, seq) <= (?, ?), so each one is an
	 * index range that visits only the rows it deletes */
	[ST_DEL_BELOW] = "DELETE FROM events WHERE prio < ?1",
	[ST_DEL_AT] = "DELETE FROM events WHERE prio = ?1 AND seq <= ?2",
	[ST_DROP_ADD] = "INSERT INTO drops (type, n) VALUES (?1, ?2)"
	    " ON CONFLICT (type) DO UPDATE SET n = n + excluded.n",
	[ST_ACK_SUM] = "SELECT count(*), ifnull(sum(length(body)), 0)"
	    " FROM events WHERE seq <= ?1",
	[ST_ACK] = "DELETE FROM events WHERE seq <= ?1",
	[ST_READ] = "SELECT seq, body FROM events WHERE seq > ?1"
	    " ORDER BY seq LIMIT ?2",
	/* one statement, so one snapshot */
	[ST_STATS] = "SELECT last_seq, acked_seq, bytes, depth,"
	    " (SELECT ifnull(sum(n), 0) FROM drops) FROM state WHERE id = 1",
	[ST_DROPS] = "SELECT type, n FROM drops ORDER BY type",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[ST_DATA_VERSION] = "PRAGMA data_version",
	/* a full scan, only after the counters were found wrong */
	[ST_RECOUNT] = "SELECT count(*), ifnull(sum(length(body)), 0),"
	    " ifnull(max(seq), 0) FROM events",
};

struct spool_state {
	uint64_t	 last_seq;	/* 0 .. INT64_MAX */
	uint64_t	 acked_seq;	/* 0 .. last_seq */
	uint64_t	 bytes;		/* SUM(length(body)) */
	uint64_t	 depth;		/* COUNT(*) */
};

struct spool {
	sqlite3			*db;
	char			*path;		/* for log lines */
	uint64_t		 max_bytes;	/* >= 1 */
	uint64_t		 max_len;	/* longest blob SQLite takes */
	sqlite3_stmt		*st[ST_COUNT];
	struct spool_state	 cur;		/* valid inside spool_tx_* */
	struct spool_state	 loaded;	/* cur as read at BEGIN */
	int64_t			 data_version;	/* last seen by spool_changed */
	uint64_t		 burst;		/* drops since a clean append */
	int			 recount;	/* counters out of step */
};

/* What one spool_append call did, for its outputs and its log line. */
struct spool_tally {
	uint64_t	 first_seq;
	uint64_t	 stored;
	uint64_t	 dropped_new;
	uint64_t	 oversized;	/* of dropped_new */
	uint64_t	 evicted;
};

static int
spool_sqlerr(struct spool *s, const char *what)
{
	log_warnx("spool %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
	return ERR_IO;
}

/* Reset after every use: a statement left mid-step would hold a WAL read
 * snapshot open, hiding other processes' commits and blocking checkpoints. */
static void
spool_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);	/* repeats the step's error, already handled */
	sqlite3_clear_bindings(st);
}

/* Statement q, prepared on its first use by this handle (spool_open has
 * checked that all of them prepare). NULL when it cannot be, logged. */
static sqlite3_stmt *
spool_stmt(struct spool *s, enum spool_stmt q)
{
	if (s->st[q] == NULL &&
	    db_prepare(s->db, &s->st[q], spool_sql[q]) != 0)
		return NULL;
	return s->st[q];
}

/* After a failure; SQLite may have rolled back already. A failing
 * ROLLBACK is logged by db_exec and leaves nothing more to do. */
static void
spool_rollback(struct spool *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)db_exec(s->db, "ROLLBACK");
}

static uint64_t
col_u64(sqlite3_stmt *st, int i)
{
	sqlite3_int64	v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (uint64_t)v;
}

static sqlite3_int64
clamp_i64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

static int
spool_schema(struct spool *s)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, version;

	/* IMMEDIATE: two processes creating the file at once take turns */
	if ((rc = db_exec(s->db, "BEGIN IMMEDIATE")) != 0)
		return rc;
	if ((rc = db_prepare(s->db, &st, "PRAGMA user_version")) != 0)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = spool_sqlerr(s, "schema version");
		goto fail;
	}
	version = sqlite3_column_int(st, 0);
	if (version == 0 && (rc = db_exec(s->db, spool_schema_sql)) != 0)
		goto fail;
	if (version != 0 && version != SPOOL_SCHEMA_VERSION) {
		log_warnx("spool %s: unknown schema version %d", s->path,
		    version);
		rc = ERR_IO;
		goto fail;
	}
	sqlite3_finalize(st);
	return db_exec(s->db, "COMMIT");
fail:
	sqlite3_finalize(st);
	spool_rollback(s);
	return rc;
}

static int
spool_data_version(struct spool *s, int64_t *out)
{
	sqlite3_stmt	*st;
	int		 rc = 0;

	if ((st = spool_stmt(s, ST_DATA_VERSION)) == NULL)
		return ERR_IO;
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = spool_sqlerr(s, "data_version");
	else
		*out = sqlite3_column_int64(st, 0);
	spool_done(st);
	return rc;
}

int
spool_open(struct spool **out, const char *path, uint64_t max_bytes)
{
	struct spool	*s;
	sqlite3_stmt	*st;
	int		 i, rc = ERR_NOMEM;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	if ((s->path = strdup(path)) == NULL)
		goto fail;
	spool_set_max(s, max_bytes);
	if ((rc = db_open(&s->db, path, 0)) != 0)
		goto fail;
	s->max_len = (uint64_t)sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, -1);
	if ((rc = spool_schema(s)) != 0)
		goto fail;
	/* Each statement is prepared once here, which checks the file's
	 * schema, and then finalized: a handle keeps only those it uses
	 * (2 to 4 KB each; a scan worker's handle may never append). */
	for (i = 0; i < ST_COUNT; i++) {
		if ((rc = db_prepare(s->db, &st, spool_sql[i])) != 0)
			goto fail;
		sqlite3_finalize(st);
	}
	if ((rc = spool_data_version(s, &s->data_version)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	spool_close(s);
	return rc;
}

void
spool_close(struct spool *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	db_close(s->db);
	free(s->path);
	free(s);
}

void
spool_set_max(struct spool *s, uint64_t max_bytes)
{
	s->max_bytes = max_bytes ? max_bytes : SPOOL_DEFAULT_MAX;
}

/*
 * The counters can be wrong only if the file was changed behind our back.
 * The operation that notices fails with ERR_IO and sets s->recount; the
 * next transaction rebuilds them from the events table, so the spool does
 * not stay wedged. last_seq only ever moves up, past every stored seq.
 */
static int
spool_recount(struct spool *s)
{
	sqlite3_stmt	*st;
	uint64_t	 max_seq;
	int		 rc = 0;

	if ((st = spool_stmt(s, ST_RECOUNT)) == NULL)
		return ERR_IO;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = spool_sqlerr(s, "recount");
		goto done;
	}
	s->cur.depth = col_u64(st, 0);
	s->cur.bytes = col_u64(st, 1);
	max_seq = col_u64(st, 2);
	if (max_seq > s->cur.last_seq)
		s->cur.last_seq = max_seq;
	if (s->cur.acked_seq > s->cur.last_seq)
		s->cur.acked_seq = s->cur.last_seq;
	log_warnx("spool %s: counters rebuilt: %" PRIu64 " events, %" PRIu64
	    " bytes, last seq %" PRIu64, s->path, s->cur.depth, s->cur.bytes,
	    s->cur.last_seq);
done:
	spool_done(st);
	return rc;
}

/*
 * Write transactions. BEGIN IMMEDIATE takes the write lock first, so the
 * counters read next are the ones this transaction will change; no other
 * process can commit in between, and there is no read-to-write upgrade
 * that a busy timeout cannot resolve.
 */
static int
spool_tx_begin(struct spool *s)
{
	sqlite3_stmt	*st;
	int		 step, rc = 0;

	if ((st = spool_stmt(s, ST_STATE_GET)) == NULL)
		return ERR_IO;
	if ((rc = db_exec(s->db, "BEGIN IMMEDIATE")) != 0)
		return rc;
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		s->cur.last_seq = col_u64(st, 0);
		s->cur.acked_seq = col_u64(st, 1);
		s->cur.bytes = col_u64(st, 2);
		s->cur.depth = col_u64(st, 3);
		s->loaded = s->cur;
	} else if (step == SQLITE_DONE) {
		log_warnx("spool %s: state row missing", s->path);
		rc = ERR_IO;
	} else
		rc = spool_sqlerr(s, "read state");
	spool_done(st);
	if (rc == 0 && s->recount)
		rc = spool_recount(s);
	if (rc != 0)
		spool_rollback(s);
	return rc;
}

/* Store the counters and commit if rc is 0; otherwise, or if that fails,
 * roll back. Returns the first error. Unchanged counters are not written,
 * so a transaction that changed nothing commits nothing, and other
 * handles' spool_changed() stays quiet. */
static int
spool_tx_end(struct spool *s, int rc)
{
	sqlite3_stmt	*st;

	if (rc == 0 && memcmp(&s->cur, &s->loaded, sizeof(s->cur)) != 0) {
		if ((st = spool_stmt(s, ST_STATE_PUT)) == NULL) {
			rc = ERR_IO;
		} else {
			sqlite3_bind_int64(st, 1, clamp_i64(s->cur.last_seq));
			sqlite3_bind_int64(st, 2, clamp_i64(s->cur.acked_seq));
			sqlite3_bind_int64(st, 3, clamp_i64(s->cur.bytes));
			sqlite3_bind_int64(st, 4, clamp_i64(s->cur.depth));
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = spool_sqlerr(s, "write state");
			spool_done(st);
		}
	}
	if (rc == 0 && (rc = db_exec(s->db, "COMMIT")) == 0) {
		s->recount = 0;
		/* emptied: the backlog is sent (Memory, above) */
		if (s->cur.depth == 0)
			(void)sqlite3_db_release_memory(s->db);
		return 0;
	}
	spool_rollback(s);
	return rc;
}

static int
spool_count_drop(struct spool *s, const char *type, uint64_t n)
{
	sqlite3_stmt	*st;
	int		 rc = 0;

	if ((st = spool_stmt(s, ST_DROP_ADD)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, clamp_i64(n)) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = spool_sqlerr(s, "count drop");
	spool_done(st);
	return rc;
}

/*
 * Eviction. The candidates for an incoming event of priority prio are the
 * rows of lower priority, lowest then oldest first (the events_evict
 * index). The victims are the shortest prefix of them that frees need
 * bytes. If all candidates together free too little, there are no
 * victims: evicting them would lose events and still not make room.
 *
 * Three steps, none with RETURNING (which builds a trigger program and
 * a temporary table per execution, and doubled the CPU cost of a flood):
 * walk to find the prefix, walk it again to count drops by type, delete
 * it as two index ranges. Under a flood into a full spool the prefix is
 * one row per new event.
 */
struct spool_victims {
	uint64_t	 rows;
	uint64_t	 bytes;
	sqlite3_int64	 first_prio, last_prio, last_seq;
};

static int
spool_find_victims(struct spool *s, int prio, uint64_t need,
    struct spool_victims *v)
{
	sqlite3_stmt	*st;
	int		 step = SQLITE_DONE, rc = 0;

	memset(v, 0, sizeof(*v));
	if ((st = spool_stmt(s, ST_WALK)) == NULL)
		return ERR_IO;
	sqlite3_bind_int(st, 1, prio);
	while (v->bytes < need && (step = sqlite3_step(st)) == SQLITE_ROW) {
		v->last_prio = sqlite3_column_int64(st, 0);
		if (v->rows++ == 0)
			v->first_prio = v->last_prio;
		v->last_seq = sqlite3_column_int64(st, 1);
		v->bytes += col_u64(st, 2);
	}
	if (v->bytes < need) {
		if (step != SQLITE_DONE)
			rc = spool_sqlerr(s, "find room");
		v->rows = 0;
	}
	spool_done(st);
	return rc;
}

static int
spool_count_victims(struct spool *s, int prio, const struct spool_victims *v)
{
	sqlite3_stmt	*st;
	uint64_t	 i;
	int		 rc = 0;

	if ((st = spool_stmt(s, ST_WALK)) == NULL)
		return ERR_IO;
	sqlite3_bind_int(st, 1, prio);
	for (i = 0; i < v->rows; i++) {
		if (sqlite3_step(st) != SQLITE_ROW) {
			rc = spool_sqlerr(s, "count evicted");
			break;
		}
		/* drops is another table: the walk is undisturbed */
		if ((rc = spool_count_drop(s,
		    (const char *)sqlite3_column_text(st, 3), 1)) != 0)
			break;
	}
	spool_done(st);
	return rc;
}

static int
spool_delete(struct spool *s, sqlite3_stmt *st, uint64_t *n)
{
	int	rc = 0;

	if (sqlite3_step(st) != SQLITE_DONE)
		rc = spool_sqlerr(s, "evict");
	else
		*n += (uint64_t)sqlite3_changes64(s->db);
	spool_done(st);
	return rc;
}

/* Take rows and bytes, just deleted, off the counters; deleted is what
 * SQLite says it deleted, which must be rows. */
static int
spool_forget(struct spool *s, uint64_t rows, uint64_t bytes, uint64_t deleted)
{
	if (deleted != rows || rows > s->cur.depth || bytes > s->cur.bytes) {
		log_warnx("spool %s: counters out of step with the events"
		    " table", s->path);
		s->recount = 1;
		return ERR_IO;
	}
	s->cur.depth -= rows;
	s->cur.bytes -= bytes;
	return 0;
}

static int
spool_make_room(struct spool *s, int prio, uint64_t need, int *fits,
    struct spool_tally *t)
{
	struct spool_victims	 v;
	sqlite3_stmt		*st;
	uint64_t		 deleted = 0;
	int			 rc;

	*fits = 0;
	if ((rc = spool_find_victims(s, prio, need, &v)) != 0 || v.rows == 0)
		return rc;
	if ((rc = spool_count_victims(s, prio, &v)) != 0)
		return rc;
	/* usually all victims share one priority: skip the empty range */
	if (v.first_prio < v.last_prio) {
		if ((st = spool_stmt(s, ST_DEL_BELOW)) == NULL)
			return ERR_IO;
		sqlite3_bind_int64(st, 1, v.last_prio);
		if ((rc = spool_delete(s, st, &deleted)) != 0)
			return rc;
	}
	if ((st = spool_stmt(s, ST_DEL_AT)) == NULL)
		return ERR_IO;
	sqlite3_bind_int64(st, 1, v.last_prio);
	sqlite3_bind_int64(st, 2, v.last_seq);
	if ((rc = spool_delete(s, st, &deleted)) != 0 ||
	    (rc = spool_forget(s, v.rows, v.bytes, deleted)) != 0)
		return rc;
	t->evicted += v.rows;
	*fits = 1;
	return 0;
}

static int
spool_insert(struct spool *s, const struct spool_in *ev,
    struct spool_tally *t)
{
	sqlite3_stmt	*st;
	uint64_t	 seq;
	int		 brc, rc = 0;

	if (s->cur.last_seq >= INT64_MAX) {
		log_warnx("spool %s: sequence numbers exhausted", s->path);
		return ERR_IO;
	}
	if ((st = spool_stmt(s, ST_INSERT)) == NULL)
		return ERR_IO;
	seq = s->cur.last_seq + 1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int(st, 2, ev->prio);
	sqlite3_bind_text(st, 3, ev->type, -1, SQLITE_STATIC);
	/* a NULL blob pointer would bind SQL NULL */
	if (ev->len == 0)
		brc = sqlite3_bind_zeroblob(st, 4, 0);
	else
		brc = sqlite3_bind_blob64(st, 4, ev->json, ev->len,
		    SQLITE_STATIC);
	if (brc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		/* a taken seq: last_seq is behind the table */
		if (sqlite3_extended_errcode(s->db) ==
		    SQLITE_CONSTRAINT_PRIMARYKEY)
			s->recount = 1;
		rc = spool_sqlerr(s, "insert");
		goto done;
	}
	/* ev->len <= max_bytes here, and bytes + len did not overflow */
	s->cur.last_seq = seq;
	s->cur.bytes += ev->len;
	s->cur.depth++;
	if (t->first_seq == 0)
		t->first_seq = seq;
	t->stored++;
done:
	spool_done(st);
	return rc;
}

static int
spool_append_one(struct spool *s, const struct spool_in *ev,
    struct spool_tally *t)
{
	uint64_t	 room, need;
	int		 fits, rc;

	/* one that SQLite cannot store would fail every batch it is in */
	if (ev->len > s->max_bytes || ev->len > s->max_len) {
		t->oversized++;
		goto drop;
	}
	room = s->max_bytes - ev->len;
	if (s->cur.bytes > room) {
		need = s->cur.bytes - room;
		if ((rc = spool_make_room(s, ev->prio, need, &fits, t)) != 0)
			return rc;
		if (!fits)
			goto drop;
	}
	return spool_insert(s, ev, t);
drop:
	t->dropped_new++;
	return spool_count_drop(s, ev->type, 1);
}

/* The first drop of a burst is logged; a burst ends with an append that
 * stores events and drops none. Never a line per event. */
static void
spool_log_drops(struct spool *s, const struct spool_tally *t)
{
	uint64_t	 dropped = t->dropped_new + t->evicted;

	if (dropped > 0) {
		if (s->burst == 0)
			log_warnx("spool %s: full at %" PRIu64 " bytes: dropped"
			    " %" PRIu64 " new events (%" PRIu64 " over the"
			    " limit by themselves), evicted %" PRIu64
			    "; counting further drops quietly", s->path,
			    s->max_bytes, t->dropped_new, t->oversized,
			    t->evicted);
		s->burst += dropped;
	} else if (s->burst > 0 && t->stored > 0) {
		log_info("spool %s: storing again after %" PRIu64
		    " events dropped", s->path, s->burst);
		s->burst = 0;
	}
}

int
spool_append(struct spool *s, const struct spool_in *evs, size_t n,
    uint64_t *first_seq, uint64_t *dropped)
{
	struct spool_tally	 t;
	size_t			 i;
	int			 rc;

	memset(&t, 0, sizeof(t));
	if (first_seq != NULL)
		*first_seq = 0;
	if (dropped != NULL)
		*dropped = 0;
	if (n == 0)
		return 0;
	if (evs == NULL)
		return ERR_USAGE;
	for (i = 0; i < n; i++)
		if (evs[i].type == NULL || evs[i].json == NULL)
			return ERR_USAGE;

	if ((rc = spool_tx_begin(s)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = spool_append_one(s, &evs[i], &t);
	if ((rc = spool_tx_end(s, rc)) != 0)
		return rc;

	spool_log_drops(s, &t);
	if (first_seq != NULL)
		*first_seq = t.first_seq;
	if (dropped != NULL)
		*dropped = t.dropped_new + t.evicted;
	return 0;
}

int
spool_read(struct spool *s, uint64_t after, size_t max, size_t max_bytes,
    spool_read_cb cb, void *arg, size_t *nread)
{
	sqlite3_stmt	*st;
	const char	*json;
	size_t		 n = 0, total = 0, len;
	int		 step, rc = 0;

	if (nread != NULL)
		*nread = 0;
	if (max == 0)
		return 0;
	if ((st = spool_stmt(s, ST_READ)) == NULL)
		return ERR_IO;
	sqlite3_bind_int64(st, 1, clamp_i64(after));
	sqlite3_bind_int64(st, 2, clamp_i64(max));
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		/* text, not blob: it adds the NUL terminator we promise */
		json = (const char *)sqlite3_column_text(st, 1);
		len = (size_t)sqlite3_column_bytes(st, 1);
		if (json == NULL && len != 0) {
			rc = ERR_NOMEM;
			goto done;
		}
		if (n > 0 && len > max_bytes - total)
			break;
		if ((rc = cb(arg, col_u64(st, 0), json ? json : "", len)) != 0)
			goto done;
		n++;
		/* the first event alone may exceed max_bytes */
		total = len > max_bytes - total ? max_bytes : total + len;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = spool_sqlerr(s, "read");
done:
	spool_done(st);
	if (nread != NULL)
		*nread = n;
	return rc;
}

int
spool_ack(struct spool *s, uint64_t upto)
{
	sqlite3_stmt	*st;
	uint64_t	 rows = 0, bytes = 0, deleted = 0;
	int		 rc;

	if ((rc = spool_tx_begin(s)) != 0)
		return rc;
	if (upto > s->cur.last_seq) {
		log_warnx("spool %s: ack of %" PRIu64 " beyond last sequence"
		    " number %" PRIu64, s->path, upto, s->cur.last_seq);
		rc = ERR_MALFORMED;
		goto done;
	}
	if ((st = spool_stmt(s, ST_ACK_SUM)) == NULL) {
		rc = ERR_IO;
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = spool_sqlerr(s, "ack");
	} else {
		rows = col_u64(st, 0);
		bytes = col_u64(st, 1);
	}
	spool_done(st);
	if (rc != 0)
		goto done;
	if ((st = spool_stmt(s, ST_ACK)) == NULL) {
		rc = ERR_IO;
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	if ((rc = spool_delete(s, st, &deleted)) != 0 ||
	    (rc = spool_forget(s, rows, bytes, deleted)) != 0)
		goto done;
	if (upto > s->cur.acked_seq)
		s->cur.acked_seq = upto;
done:
	return spool_tx_end(s, rc);
}

int
spool_stats(struct spool *s, struct spool_stats *out)
{
	sqlite3_stmt	*st;
	int		 rc = 0;

	memset(out, 0, sizeof(*out));
	if ((st = spool_stmt(s, ST_STATS)) == NULL)
		return ERR_IO;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = spool_sqlerr(s, "stats");
		goto done;
	}
	out->last_seq = col_u64(st, 0);
	out->acked_seq = col_u64(st, 1);
	out->bytes = col_u64(st, 2);
	out->depth = col_u64(st, 3);
	out->dropped = col_u64(st, 4);
	out->max_bytes = s->max_bytes;
done:
	spool_done(st);
	return rc;
}

int
spool_drops(struct spool *s, spool_drop_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 step, rc = 0;

	if ((st = spool_stmt(s, ST_DROPS)) == NULL)
		return ERR_IO;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = cb(arg, (const char *)sqlite3_column_text(st, 0),
		    col_u64(st, 1))) != 0)
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = spool_sqlerr(s, "drops");
done:
	spool_done(st);
	return rc;
}

int
spool_meta_get(struct spool *s, const char *key, char **val)
{
	sqlite3_stmt	*st;
	const char	*v;
	int		 step, rc = 0;

	*val = NULL;
	if (key == NULL)
		return ERR_USAGE;
	if ((st = spool_stmt(s, ST_META_GET)) == NULL)
		return ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = ERR_NOTFOUND;
		goto done;
	}
	if (step != SQLITE_ROW) {
		rc = spool_sqlerr(s, "meta get");
		goto done;
	}
	if ((v = (const char *)sqlite3_column_text(st, 0)) == NULL ||
	    (*val = strdup(v)) == NULL)
		rc = ERR_NOMEM;
done:
	spool_done(st);
	return rc;
}

/* One statement is its own transaction; nothing else must change with it. */
int
spool_meta_set(struct spool *s, const char *key, const char *val)
{
	sqlite3_stmt	*st;
	int		 rc = 0;

	if (key == NULL || val == NULL)
		return ERR_USAGE;
	if ((st = spool_stmt(s, ST_META_SET)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = spool_sqlerr(s, "meta set");
	spool_done(st);
	return rc;
}

/* data_version changes only for other connections' commits. */
int
spool_changed(struct spool *s)
{
	int64_t	 v;
	int	 rc;

	if ((rc = spool_data_version(s, &v)) != 0)
		return rc;
	if (v == s->data_version)
		return 0;
	s->data_version = v;
	return 1;
}
