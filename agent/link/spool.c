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
	"INSERT OR IGNORE INTO state VALUES (1, 0, 0, 0, 0);";

enum spool_stmt {
	ST_STATE_GET, ST_STATE_PUT, ST_INSERT, ST_WALK, ST_DEL_BELOW, ST_DEL_AT,
	ST_DROP_ADD, ST_ACK_SUM, ST_ACK, ST_READ, ST_STATS, ST_DROPS,
	ST_META_GET, ST_META_SET, ST_RECOUNT,
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
	/* a full scan, only after the counters were found wrong */
	[ST_RECOUNT] = "SELECT count(*), ifnull(sum(length(body)), 0),"
	    " ifnull(max(seq), 0) FROM events",
};

static const struct db_spec spool_spec = {
	.name = "spool",
	.version = SPOOL_SCHEMA_VERSION,
	.schema = spool_schema_sql,
	.sql = spool_sql,
	.n = ST_COUNT,
	.flags = DB_LAZY,
};

struct spool_state {
	uint64_t	 last_seq;	/* 0 .. INT64_MAX */
	uint64_t	 acked_seq;	/* 0 .. last_seq */
	uint64_t	 bytes;		/* SUM(length(body)) */
	uint64_t	 depth;		/* COUNT(*) */
};

struct spool {
	struct db		*db;		/* spool_sql, lazily */
	uint64_t		 max_bytes;	/* >= 1 */
	uint64_t		 max_len;	/* longest blob SQLite takes */
	struct spool_state	 cur;		/* valid inside spool_tx_* */
	struct spool_state	 loaded;	/* cur as read at BEGIN */
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

int
spool_open(struct spool **out, const char *path, uint64_t max_bytes)
{
	struct spool	*s;
	int		 rc = ERR_NOMEM;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	spool_set_max(s, max_bytes);
	if ((rc = db_open(&s->db, path, &spool_spec)) != 0)
		goto fail;
	s->max_len = (uint64_t)sqlite3_limit(db_sqlite(s->db),
	    SQLITE_LIMIT_LENGTH, -1);
	*out = s;
	return 0;
fail:
	spool_close(s);
	return rc;
}

void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	db_close(s->db);
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

	if ((st = db_stmt(s->db, ST_RECOUNT)) == NULL)
		return ERR_IO;
	if ((rc = db_row(s->db, st, "recount")) != 0)
		goto done;
	s->cur.depth = col_u64(st, 0);
	s->cur.bytes = col_u64(st, 1);
	max_seq = col_u64(st, 2);
	if (max_seq > s->cur.last_seq)
		s->cur.last_seq = max_seq;
	if (s->cur.acked_seq > s->cur.last_seq)
		s->cur.acked_seq = s->cur.last_seq;
	log_warnx("%s: counters rebuilt: %" PRIu64 " events, %" PRIu64
	    " bytes, last seq %" PRIu64, db_name(s->db), s->cur.depth,
	    s->cur.bytes, s->cur.last_seq);
done:
	db_done(st);
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
	int		 rc;

	if ((st = db_stmt(s->db, ST_STATE_GET)) == NULL)
		return ERR_IO;
	if ((rc = db_begin(s->db, DB_IMMEDIATE)) != 0)
		return rc;
	if ((rc = db_row(s->db, st, "read state")) == 0) {
		s->cur.last_seq = col_u64(st, 0);
		s->cur.acked_seq = col_u64(st, 1);
		s->cur.bytes = col_u64(st, 2);
		s->cur.depth = col_u64(st, 3);
		s->loaded = s->cur;
	} else if (rc == ERR_NOTFOUND) {
		log_warnx("%s: state row missing", db_name(s->db));
		rc = ERR_IO;
	}
	db_done(st);
	if (rc == 0 && s->recount)
		rc = spool_recount(s);
	if (rc != 0)
		db_rollback(s->db);
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
		if ((st = db_stmt(s->db, ST_STATE_PUT)) == NULL) {
			rc = ERR_IO;
		} else {
			sqlite3_bind_int64(st, 1, clamp_i64(s->cur.last_seq));
			sqlite3_bind_int64(st, 2, clamp_i64(s->cur.acked_seq));
			sqlite3_bind_int64(st, 3, clamp_i64(s->cur.bytes));
			sqlite3_bind_int64(st, 4, clamp_i64(s->cur.depth));
			rc = db_run(s->db, st, "write state");
		}
	}
	if ((rc = db_end(s->db, rc)) != 0)
		return rc;
	s->recount = 0;
	/* emptied: the backlog is sent (Memory, above) */
	if (s->cur.depth == 0)
		(void)sqlite3_db_release_memory(db_sqlite(s->db));
	return 0;
}

static int
spool_count_drop(struct spool *s, const char *type, uint64_t n)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(s->db, ST_DROP_ADD)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, clamp_i64(n)) != SQLITE_OK) {
		rc = db_fail(s->db, "count drop");
		db_done(st);
		return rc;
	}
	return db_run(s->db, st, "count drop");
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
	if ((st = db_stmt(s->db, ST_WALK)) == NULL)
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
			rc = db_fail(s->db, "find room");
		v->rows = 0;
	}
	db_done(st);
	return rc;
}

static int
spool_count_victims(struct spool *s, int prio, const struct spool_victims *v)
{
	sqlite3_stmt	*st;
	uint64_t	 i;
	int		 rc = 0;

	if ((st = db_stmt(s->db, ST_WALK)) == NULL)
		return ERR_IO;
	sqlite3_bind_int(st, 1, prio);
	for (i = 0; i < v->rows; i++) {
		/* the walk found them: one missing now is an error */
		if ((rc = db_row(s->db, st, "count evicted")) != 0) {
			if (rc == ERR_NOTFOUND)
				rc = db_fail(s->db, "count evicted");
			break;
		}
		/* drops is another table: the walk is undisturbed */
		if ((rc = spool_count_drop(s,
		    (const char *)sqlite3_column_text(st, 3), 1)) != 0)
			break;
	}
	db_done(st);
	return rc;
}

static int
spool_delete(struct spool *s, sqlite3_stmt *st, uint64_t *n)
{
	int	rc;

	if ((rc = db_run(s->db, st, "evict")) == 0)
		*n += (uint64_t)sqlite3_changes64(db_sqlite(s->db));
	return rc;
}

/* Take rows and bytes, just deleted, off the counters; deleted is what
 * SQLite says it deleted, which must be rows. */
static int
spool_forget(struct spool *s, uint64_t rows, uint64_t bytes, uint64_t deleted)
{
	if (deleted != rows || rows > s->cur.depth || bytes > s->cur.bytes) {
		log_warnx("%s: counters out of step with the events"
		    " table", db_name(s->db));
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
		if ((st = db_stmt(s->db, ST_DEL_BELOW)) == NULL)
			return ERR_IO;
		sqlite3_bind_int64(st, 1, v.last_prio);
		if ((rc = spool_delete(s, st, &deleted)) != 0)
			return rc;
	}
	if ((st = db_stmt(s->db, ST_DEL_AT)) == NULL)
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
	int		 brc, rc;

	if (s->cur.last_seq >= INT64_MAX) {
		log_warnx("%s: sequence numbers exhausted", db_name(s->db));
		return ERR_IO;
	}
	if ((st = db_stmt(s->db, ST_INSERT)) == NULL)
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
	if (brc != SQLITE_OK) {
		rc = db_fail(s->db, "insert");
		db_done(st);
		return rc;
	}
	if ((rc = db_run(s->db, st, "insert")) == ERR_EXISTS) {
		/* a taken seq: last_seq is behind the table */
		log_warnx("%s: insert: sequence number %" PRIu64
		    " taken", db_name(s->db), seq);
		s->recount = 1;
		rc = ERR_IO;
	}
	if (rc != 0)
		return rc;
	/* ev->len <= max_bytes here, and bytes + len did not overflow */
	s->cur.last_seq = seq;
	s->cur.bytes += ev->len;
	s->cur.depth++;
	if (t->first_seq == 0)
		t->first_seq = seq;
	t->stored++;
	return 0;
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
			log_warnx("%s: full at %" PRIu64 " bytes: dropped"
			    " %" PRIu64 " new events (%" PRIu64 " over the"
			    " limit by themselves), evicted %" PRIu64
			    "; counting further drops quietly", db_name(s->db),
			    s->max_bytes, t->dropped_new, t->oversized,
			    t->evicted);
		s->burst += dropped;
	} else if (s->burst > 0 && t->stored > 0) {
		log_info("%s: storing again after %" PRIu64
		    " events dropped", db_name(s->db), s->burst);
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
	if ((st = db_stmt(s->db, ST_READ)) == NULL)
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
		rc = db_fail(s->db, "read");
done:
	db_done(st);
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
		log_warnx("%s: ack of %" PRIu64 " beyond last sequence"
		    " number %" PRIu64, db_name(s->db), upto, s->cur.last_seq);
		rc = ERR_MALFORMED;
		goto done;
	}
	if ((st = db_stmt(s->db, ST_ACK_SUM)) == NULL) {
		rc = ERR_IO;
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	if ((rc = db_row(s->db, st, "ack")) == 0) {
		rows = col_u64(st, 0);
		bytes = col_u64(st, 1);
	}
	db_done(st);
	if (rc != 0)
		goto done;
	if ((st = db_stmt(s->db, ST_ACK)) == NULL) {
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
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(s->db, ST_STATS)) == NULL)
		return ERR_IO;
	if ((rc = db_row(s->db, st, "stats")) == ERR_NOTFOUND) {
		log_warnx("%s: state row missing", db_name(s->db));
		rc = ERR_IO;
	}
	if (rc != 0)
		goto done;
	out->last_seq = col_u64(st, 0);
	out->acked_seq = col_u64(st, 1);
	out->bytes = col_u64(st, 2);
	out->depth = col_u64(st, 3);
	out->dropped = col_u64(st, 4);
	out->max_bytes = s->max_bytes;
done:
	db_done(st);
	return rc;
}

int
spool_drops(struct spool *s, spool_drop_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 step, rc = 0;

	if ((st = db_stmt(s->db, ST_DROPS)) == NULL)
		return ERR_IO;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = cb(arg, (const char *)sqlite3_column_text(st, 0),
		    col_u64(st, 1))) != 0)
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s->db, "drops");
done:
	db_done(st);
	return rc;
}

int
spool_meta_get(struct spool *s, const char *key, char **val)
{
	sqlite3_stmt	*st;
	const char	*v;
	int		 rc;

	*val = NULL;
	if (key == NULL)
		return ERR_USAGE;
	if ((st = db_stmt(s->db, ST_META_GET)) == NULL)
		return ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((rc = db_row(s->db, st, "meta get")) == 0 &&
	    ((v = (const char *)sqlite3_column_text(st, 0)) == NULL ||
	    (*val = strdup(v)) == NULL))
		rc = ERR_NOMEM;
	db_done(st);
	return rc;
}

/* One statement is its own transaction; nothing else must change with it. */
int
spool_meta_set(struct spool *s, const char *key, const char *val)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (key == NULL || val == NULL)
		return ERR_USAGE;
	if ((st = db_stmt(s->db, ST_META_SET)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = db_fail(s->db, "meta set");
		db_done(st);
		return rc;
	}
	return db_run(s->db, st, "meta set");
}

int
spool_changed(struct spool *s)
{
	return db_changed(s->db);
}
