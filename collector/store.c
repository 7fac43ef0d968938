/*
 * store.c: the collector's durable store on SQLite (see store.h).
 *
 * Three tables: tokens (BLAKE2b hashes of enrollment tokens), agents (the
 * registry) and events; and since version 2 the incident register and
 * its audit log, whose statements live in incident.c and audit.c (3:
 * correlation's keys, 4: the early warning's record, 5: the forwarder's
 * cursors, 6: the early warning's retries, 7: the agent in the time
 * index, 8: the scheduled reports).
 * PRAGMA user_version holds STORE_SCHEMA; an older file is upgraded in
 * one transaction, a file from a newer build is refused rather than
 * guessed at.
 *
 * Invariants:
 * - events are unique by (agent, seq). agents.events is the number of
 *   rows ever stored from that agent (retention does not lower it) and
 *   agents.last_seq the highest stored seq; both change in the
 *   transaction that stores the rows, so they never disagree with what
 *   was stored. The collector's own events about an
 *   agent (struct store_event seq 0: agent_health) are stored under
 *   negative seqs, -1, -2, ... per agent, counted in neither; they read
 *   back as seq 0.
 * - Every integer we store fits int64_t (seq and hs_ts are checked), so
 *   SQLite's signed comparisons (MAX, ORDER BY) are right.
 * - A token's used flag goes 0 -> 1 only inside BEGIN IMMEDIATE, after
 *   reading it under the same write lock: one token, one enrollment.
 * - Every statement is reset as soon as its caller is done with it, so no
 *   connection keeps a read transaction open and blocks checkpoints.
 *
 * Expected load: the writer thread inserts ~50,000 events/s in batches of
 * 1000-5000, one fsync (WAL, synchronous=FULL) per batch. Per row that is
 * one near-append into the table and into each of three indexes
 * ((agent, seq), (ts, agent), (type, ts)); the per-agent counters are updated
 * once per agent per batch. The hot statements are prepared once in
 * store_open. Agents number in the thousands, tokens in the tens. Queries
 * come from the CLI; they stream rows in index order, so memory stays
 * flat, and they are prepared per call so a callback may use the store.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "event.h"
#include "log.h"
#include "store.h"

#define STORE_SCHEMA		8
#define STORE_CACHE_KIB		16384	/* page cache per connection */

/* Version 1: tokens, agents, events. No foreign key on events.agent: the
 * per-batch counter update already catches an unknown agent, without a
 * lookup per row. */
#define SCHEMA_1 \
	"CREATE TABLE IF NOT EXISTS tokens (" \
	" hash BLOB PRIMARY KEY NOT NULL," \
	" name TEXT NOT NULL," \
	" office TEXT NOT NULL," \
	" created INTEGER NOT NULL," \
	" expires INTEGER NOT NULL," \
	" used INTEGER NOT NULL DEFAULT 0," \
	" used_at INTEGER);" \
	"CREATE TABLE IF NOT EXISTS agents (" \
	" rowid INTEGER PRIMARY KEY," \
	" id TEXT NOT NULL UNIQUE," \
	" pub BLOB NOT NULL UNIQUE," \
	" name TEXT NOT NULL," \
	" office TEXT NOT NULL," \
	" revoked INTEGER NOT NULL DEFAULT 0," \
	" enrolled INTEGER NOT NULL," \
	" first_seen INTEGER NOT NULL DEFAULT 0," \
	" last_seen INTEGER NOT NULL DEFAULT 0," \
	" last_hs_ts INTEGER NOT NULL DEFAULT 0," \
	" addr TEXT NOT NULL DEFAULT ''," \
	" version TEXT NOT NULL DEFAULT ''," \
	" events INTEGER NOT NULL DEFAULT 0," \
	" last_seq INTEGER NOT NULL DEFAULT 0," \
	" heartbeat TEXT);" \
	"CREATE INDEX IF NOT EXISTS agents_name ON agents(name);" \
	"CREATE TABLE IF NOT EXISTS events (" \
	" id INTEGER PRIMARY KEY," \
	" agent INTEGER NOT NULL," \
	" seq INTEGER NOT NULL," \
	" ts INTEGER NOT NULL," \
	" received INTEGER NOT NULL," \
	" type TEXT NOT NULL," \
	" severity INTEGER NOT NULL DEFAULT 0," \
	" body TEXT NOT NULL," \
	" UNIQUE(agent, seq));" \
	"CREATE INDEX IF NOT EXISTS events_ts ON events(ts);" \
	"CREATE INDEX IF NOT EXISTS events_type_ts ON events(type, ts);"

/*
 * Version 2: the incident register (incident.c) and its audit log
 * (audit.c); both modules reach them through store_db(). A file of
 * version 1 gets these tables by the upgrade below, in one transaction.
 * audit_head is one row: the last entry's seq and hash, written in the
 * transaction that appends it, so that a deleted last entry is seen.
 * Statuses, categories and the like are stored as their taxonomy codes.
 */
#define SCHEMA_2 \
	"CREATE TABLE IF NOT EXISTS audit (" \
	" seq INTEGER PRIMARY KEY," \
	" time INTEGER NOT NULL," \
	" actor TEXT NOT NULL," \
	" action TEXT NOT NULL," \
	" incident INTEGER NOT NULL," \
	" detail TEXT NOT NULL," \
	" prev_hash BLOB NOT NULL," \
	" hash BLOB NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS audit_incident ON audit(incident, seq);" \
	"CREATE TABLE IF NOT EXISTS audit_head (" \
	" one INTEGER PRIMARY KEY CHECK (one = 1)," \
	" seq INTEGER NOT NULL," \
	" hash BLOB NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS incidents (" \
	" id INTEGER PRIMARY KEY AUTOINCREMENT," \
	" title TEXT NOT NULL," \
	" category TEXT NOT NULL," \
	" severity INTEGER NOT NULL," \
	" tlp TEXT NOT NULL," \
	" status TEXT NOT NULL," \
	" resolution TEXT NOT NULL DEFAULT ''," \
	" reason TEXT NOT NULL DEFAULT ''," \
	" assignee TEXT NOT NULL DEFAULT ''," \
	" created INTEGER NOT NULL," \
	" first_seen INTEGER NOT NULL," \
	" last_seen INTEGER NOT NULL," \
	" alerts INTEGER NOT NULL DEFAULT 0," \
	" deadline INTEGER NOT NULL," \
	" reported_at INTEGER NOT NULL DEFAULT 0," \
	" reported_to TEXT NOT NULL DEFAULT ''," \
	" merged_into INTEGER NOT NULL DEFAULT 0," \
	" updated INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS incidents_status ON incidents(status);" \
	"CREATE INDEX IF NOT EXISTS incidents_created ON incidents(created);" \
	"CREATE TABLE IF NOT EXISTS incident_agents (" \
	" incident INTEGER NOT NULL REFERENCES incidents(id)," \
	" agent INTEGER NOT NULL REFERENCES agents(rowid)," \
	" first_seen INTEGER NOT NULL," \
	" last_seen INTEGER NOT NULL," \
	" PRIMARY KEY (incident, agent)) WITHOUT ROWID;" \
	"CREATE INDEX IF NOT EXISTS incident_agents_agent" \
	" ON incident_agents(agent);" \
	"CREATE TABLE IF NOT EXISTS incident_indicators (" \
	" incident INTEGER NOT NULL REFERENCES incidents(id)," \
	" kind TEXT NOT NULL," \
	" value TEXT NOT NULL," \
	" first_seen INTEGER NOT NULL," \
	" last_seen INTEGER NOT NULL," \
	" count INTEGER NOT NULL," \
	" PRIMARY KEY (incident, kind, value)) WITHOUT ROWID;" \
	"CREATE INDEX IF NOT EXISTS incident_indicators_value" \
	" ON incident_indicators(kind, value);" \
	"CREATE TABLE IF NOT EXISTS incident_events (" \
	" incident INTEGER NOT NULL REFERENCES incidents(id)," \
	" event INTEGER NOT NULL REFERENCES events(id)," \
	" PRIMARY KEY (incident, event)) WITHOUT ROWID;" \
	"CREATE INDEX IF NOT EXISTS incident_events_event" \
	" ON incident_events(event);" \
	"CREATE TABLE IF NOT EXISTS incident_notes (" \
	" id INTEGER PRIMARY KEY," \
	" incident INTEGER NOT NULL REFERENCES incidents(id)," \
	" time INTEGER NOT NULL," \
	" author TEXT NOT NULL," \
	" text TEXT NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS incident_notes_incident" \
	" ON incident_notes(incident, id);"

/*
 * Version 3: correlation's index (correlate.c), one row per key it keeps:
 * a group (rule and agent, indicator, integrity or health of an agent),
 * an agent's sighting of an indicator, a spreading incident, an agent
 * offline. ref is the incident (a sighting: the event that was first
 * seen); touched is when the writer last changed the key, so that rows
 * quiet beyond the windows are pruned whatever the agents' clocks say.
 */
#define SCHEMA_3 \
	"CREATE TABLE IF NOT EXISTS correlate_keys (" \
	" key TEXT PRIMARY KEY NOT NULL," \
	" ref INTEGER NOT NULL," \
	" agent INTEGER NOT NULL," \
	" first_seen INTEGER NOT NULL," \
	" last_seen INTEGER NOT NULL," \
	" touched INTEGER NOT NULL) WITHOUT ROWID;" \
	"CREATE INDEX IF NOT EXISTS correlate_keys_touched" \
	" ON correlate_keys(touched);"

/*
 * Version 4: the early warning's record (notify.c): one row per attempt
 * to tell a channel about an incident (incident NULL: a summary).
 */
#define SCHEMA_4 \
	"CREATE TABLE IF NOT EXISTS notifications (" \
	" id INTEGER PRIMARY KEY," \
	" incident INTEGER," \
	" time INTEGER NOT NULL," \
	" channel TEXT NOT NULL," \
	" target TEXT NOT NULL," \
	" change TEXT NOT NULL," \
	" attempt INTEGER NOT NULL," \
	" outcome TEXT NOT NULL," \
	" detail TEXT NOT NULL DEFAULT '');" \
	"CREATE INDEX IF NOT EXISTS notifications_incident" \
	" ON notifications(incident, id);"

/*
 * Version 5: the forwarder's cursors (forward.c): per stream ("alerts":
 * events.id, "audit": audit.seq) the last one handed to the SIEM.
 */
#define SCHEMA_5 \
	"CREATE TABLE IF NOT EXISTS forward_cursors (" \
	" stream TEXT PRIMARY KEY NOT NULL," \
	" pos INTEGER NOT NULL," \
	" updated INTEGER NOT NULL) WITHOUT ROWID;"

/*
 * Version 6: deliveries of the early warning waiting for their next
 * attempt (notify.c), so that a restart or a crash does not forget them:
 * a row from a failed attempt to the one that succeeds or gives up.
 */
#define SCHEMA_6 \
	"CREATE TABLE IF NOT EXISTS notify_pending (" \
	" id INTEGER PRIMARY KEY," \
	" incident INTEGER," \
	" change TEXT NOT NULL," \
	" channel TEXT NOT NULL," \
	" target INTEGER NOT NULL," \
	" attempt INTEGER NOT NULL," \
	" body BLOB NOT NULL);"

/*
 * Version 7: events_ts carries the agent after the time, (ts, agent), so
 * that the periodic report counts each agent's events of a period from
 * the index alone (docs/report.md, "Cost": a year's 10 million events
 * were 10 million table lookups). Still one index on ts, with ~2 bytes
 * more per entry; inserts stay near-appends. An existing file gets the
 * index rebuilt, in the upgrade's one transaction (~10 s per 10 million
 * events).
 */
#define SCHEMA_7 \
	"DROP INDEX IF EXISTS events_ts;" \
	"CREATE INDEX events_ts ON events(ts, agent);"

/*
 * Version 8: the scheduled reports (report_sched.c). A run is one
 * report (a period, and an office or '' for the province's) and its
 * mail; written is 0 until its files are, and mail goes none (no
 * recipients) or pending, then sent or given-up. attempts counts the
 * tries of the step under way (writing, then mailing), next_try (Unix
 * seconds) is when the next is due, last_error why the last failed.
 * Its files: one per format, with what was written.
 */
#define SCHEMA_8 \
	"CREATE TABLE IF NOT EXISTS report_runs (" \
	" id INTEGER PRIMARY KEY," \
	" kind TEXT NOT NULL," \
	" period TEXT NOT NULL," \
	" office TEXT NOT NULL," \
	" due INTEGER NOT NULL," \
	" written INTEGER NOT NULL DEFAULT 0," \
	" mail TEXT NOT NULL DEFAULT 'none'," \
	" attempts INTEGER NOT NULL DEFAULT 0," \
	" next_try INTEGER NOT NULL DEFAULT 0," \
	" last_error TEXT NOT NULL DEFAULT ''," \
	" UNIQUE (kind, period, office));" \
	"CREATE TABLE IF NOT EXISTS report_files (" \
	" run INTEGER NOT NULL REFERENCES report_runs(id)," \
	" format TEXT NOT NULL," \
	" path TEXT NOT NULL," \
	" sha256 TEXT NOT NULL," \
	" bytes INTEGER NOT NULL," \
	" written INTEGER NOT NULL," \
	" PRIMARY KEY (run, format)) WITHOUT ROWID;"

static const char schema_sql[] = SCHEMA_1 SCHEMA_2 SCHEMA_3 SCHEMA_4
    SCHEMA_5 SCHEMA_6 SCHEMA_7 SCHEMA_8;
/* upgrade[v - 1]: from version v to v + 1 */
static const char *const schema_upgrade[STORE_SCHEMA - 1] = { SCHEMA_2,
    SCHEMA_3, SCHEMA_4, SCHEMA_5, SCHEMA_6, SCHEMA_7, SCHEMA_8 };

#define AGENT_COLS \
	"SELECT rowid, id, pub, name, office, revoked, enrolled, first_seen," \
	" last_seen, last_hs_ts, addr, version, events, last_seq, heartbeat"
/* The agent an id or name means: the id, else the newest live agent of
 * that name, else the newest of that name. Binds ?1. */
#define AGENT_PICK \
	" FROM agents WHERE id = ?1 OR name = ?1" \
	" ORDER BY id = ?1 DESC, revoked != 0, enrolled DESC, rowid DESC" \
	" LIMIT 1"

enum {
	ST_TOKEN_ADD,
	ST_TOKEN_GET,
	ST_TOKEN_USE,
	ST_AGENT_ADD,
	ST_AGENT_GET,
	ST_AGENT_GET_ROWID,
	ST_AGENT_MATCH,
	ST_AGENT_REVOKE,
	ST_AGENT_SEEN,
	ST_AGENT_HEARTBEAT,
	ST_AGENT_COUNT,
	ST_EVENT_ADD,
	ST_EVENT_ADD_OWN,
	ST_COUNT
};

static const char *const st_sql[ST_COUNT] = {
	[ST_TOKEN_ADD] = "INSERT INTO tokens(hash, name, office, created,"
	    " expires) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_TOKEN_GET] = "SELECT name, office, expires, used FROM tokens"
	    " WHERE hash = ?1",
	[ST_TOKEN_USE] = "UPDATE tokens SET used = 1, used_at = ?2"
	    " WHERE hash = ?1",
	[ST_AGENT_ADD] = "INSERT INTO agents(id, pub, name, office, enrolled)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_AGENT_GET] = AGENT_COLS AGENT_PICK,
	[ST_AGENT_GET_ROWID] = AGENT_COLS " FROM agents WHERE rowid = ?1",
	[ST_AGENT_MATCH] = "SELECT 1 FROM agents WHERE id = ?1 OR name = ?1"
	    " LIMIT 1",
	[ST_AGENT_REVOKE] = "UPDATE agents SET revoked = 1"
	    " WHERE rowid = (SELECT rowid" AGENT_PICK ")",
	[ST_AGENT_SEEN] = "UPDATE agents SET last_hs_ts = MAX(last_hs_ts, ?2),"
	    " last_seen = ?3, addr = ?4,"
	    " first_seen = COALESCE(NULLIF(first_seen, 0), ?3)"
	    " WHERE rowid = ?1",
	[ST_AGENT_HEARTBEAT] = "UPDATE agents SET version = ?2,"
	    " heartbeat = ?3, last_seen = ?4 WHERE rowid = ?1",
	[ST_AGENT_COUNT] = "UPDATE agents SET events = events + ?2,"
	    " last_seq = MAX(last_seq, ?3) WHERE rowid = ?1",
	[ST_EVENT_ADD] = "INSERT INTO events(agent, seq, ts, received, type,"
	    " severity, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(agent, seq) DO NOTHING",
	/* the next negative seq of the agent: one index probe */
	[ST_EVENT_ADD_OWN] = "INSERT INTO events(agent, seq, ts, received,"
	    " type, severity, body) VALUES (?1, min(coalesce((SELECT seq"
	    " FROM events WHERE agent = ?1 ORDER BY seq LIMIT 1), 0), 0) - 1,"
	    " ?3, ?4, ?5, ?6, ?7)",
};

static const struct db_spec store_spec = {
	.name = "store",
	/* the three event indexes stay hot during ingest */
	.pragmas = "PRAGMA cache_size = -16384",
	.version = STORE_SCHEMA,
	.schema = schema_sql,
	.upgrade = schema_upgrade,
	.sql = st_sql,
	.n = ST_COUNT,
};

struct store {
	struct db	*db;		/* all prepared, reset when idle */
};

/* One agent's share of an insert batch; an open-addressing table keyed by
 * rowid, sized to at least twice the batch so probes stay short. */
struct agg {
	int64_t		 rowid;
	uint64_t	 added;			/* new rows in this batch */
	uint64_t	 max_seq;		/* highest new seq */
	int		 used;
};

static int
bind_text(sqlite3_stmt *st, int i, const char *str)
{
	return sqlite3_bind_text(st, i, str ? str : "", -1, SQLITE_STATIC);
}

/* strlen(str) <= max, or ERR_TOOBIG. NULL counts as "". */
static int
check_len(const char *str, size_t max)
{
	if (str != NULL && strnlen(str, max + 1) > max)
		return ERR_TOOBIG;
	return 0;
}

static int
check_agent_id(const char *id)
{
	if (id == NULL || strlen(id) != AGENT_ID_STRLEN - 1 ||
	    strspn(id, "0123456789abcdef") != AGENT_ID_STRLEN - 1)
		return ERR_MALFORMED;
	return 0;
}

/* Copy a text column into dst[dstsize]. A stored value that does not fit
 * means the file was not written by us: ERR_MALFORMED. */
static int
col_str(char *dst, size_t dstsize, sqlite3_stmt *st, int col)
{
	const unsigned char	*p;
	int			 n;

	dst[0] = '\0';
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	if ((p = sqlite3_column_text(st, col)) == NULL)
		return ERR_NOMEM;
	n = sqlite3_column_bytes(st, col);
	if (n < 0 || (size_t)n >= dstsize)
		return ERR_MALFORMED;
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	return 0;
}

int
store_open(struct store **out, const char *path)
{
	struct store	*s;
	int		 rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ERR_NOMEM;
	if ((rc = db_open(&s->db, path, &store_spec)) != 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	db_close(s->db);
	free(s);
}

struct db *
store_db(struct store *s)
{
	return s->db;
}

int
store_changed(struct store *s)
{
	return db_changed(s->db);
}

int
store_token_add(struct store *s, const uint8_t hash[static TOKEN_HASH_LEN],
    const char *name, const char *office, int64_t created, int64_t expires)
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_TOKEN_ADD);
	int		 rc;

	if ((rc = check_len(name, STORE_NAME_MAX)) != 0 ||
	    (rc = check_len(office, STORE_NAME_MAX)) != 0)
		return rc;
	if (sqlite3_bind_blob(st, 1, hash, TOKEN_HASH_LEN, SQLITE_STATIC) ||
	    bind_text(st, 2, name) || bind_text(st, 3, office) ||
	    sqlite3_bind_int64(st, 4, created) ||
	    sqlite3_bind_int64(st, 5, expires)) {
		rc = db_fail(s->db, "token add");
		db_done(st);
		return rc;
	}
	return db_run(s->db, st, "token add");
}

/* Called under BEGIN IMMEDIATE: the row cannot change between this read
 * and the UPDATE that follows. */
static int
token_check(struct store *s, const uint8_t hash[static TOKEN_HASH_LEN],
    int64_t now, char name[static STORE_NAME_MAX + 1],
    char office[static STORE_NAME_MAX + 1])
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_TOKEN_GET);
	int		 rc;

	if (sqlite3_bind_blob(st, 1, hash, TOKEN_HASH_LEN, SQLITE_STATIC))
		rc = db_fail(s->db, "token get");
	else
		rc = db_row(s->db, st, "token get");
	if (rc != 0)
		goto done;
	if (sqlite3_column_int64(st, 3) != 0)
		rc = ERR_EXISTS;
	else if (sqlite3_column_int64(st, 2) <= now)
		rc = ERR_EXPIRED;
	else if ((rc = col_str(name, STORE_NAME_MAX + 1, st, 0)) != 0 ||
	    (rc = col_str(office, STORE_NAME_MAX + 1, st, 1)) != 0)
		log_warnx("%s: bad token row: %s", db_name(s->db),
		    vigil_strerror(rc));
done:
	db_done(st);
	return rc;
}

int
store_token_consume(struct store *s,
    const uint8_t hash[static TOKEN_HASH_LEN], int64_t now,
    char name[static STORE_NAME_MAX + 1],
    char office[static STORE_NAME_MAX + 1])
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_TOKEN_USE);
	int		 rc;

	name[0] = office[0] = '\0';
	if ((rc = db_begin(s->db, DB_IMMEDIATE)) != 0)
		return rc;
	if ((rc = token_check(s, hash, now, name, office)) != 0)
		goto done;
	if (sqlite3_bind_blob(st, 1, hash, TOKEN_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, now)) {
		rc = db_fail(s->db, "token use");
		db_done(st);
		goto done;
	}
	rc = db_run(s->db, st, "token use");
done:
	if ((rc = db_end(s->db, rc)) != 0)
		name[0] = office[0] = '\0';
	return rc;
}

int
store_agent_add(struct store *s, int64_t *rowid, const char *id,
    const uint8_t pub[static KEY_LEN], const char *name, const char *office,
    int64_t now)
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_AGENT_ADD);
	int		 rc;

	if (rowid != NULL)
		*rowid = 0;
	if ((rc = check_agent_id(id)) != 0 ||
	    (rc = check_len(name, STORE_NAME_MAX)) != 0 ||
	    (rc = check_len(office, STORE_NAME_MAX)) != 0)
		return rc;
	if (bind_text(st, 1, id) ||
	    sqlite3_bind_blob(st, 2, pub, KEY_LEN, SQLITE_STATIC) ||
	    bind_text(st, 3, name) || bind_text(st, 4, office) ||
	    sqlite3_bind_int64(st, 5, now)) {
		rc = db_fail(s->db, "agent add");
		db_done(st);
		return rc;
	}
	if ((rc = db_run(s->db, st, "agent add")) == 0 && rowid != NULL)
		*rowid = sqlite3_last_insert_rowid(db_sqlite(s->db));
	return rc;
}

/* Fill a from one AGENT_COLS row. */
static int
agent_read(struct store_agent *a, sqlite3_stmt *st)
{
	const void	*pub;
	const char	*hb;
	int		 rc, n;

	memset(a, 0, sizeof(*a));
	a->rowid = sqlite3_column_int64(st, 0);
	if ((rc = col_str(a->id, sizeof(a->id), st, 1)) != 0 ||
	    (rc = col_str(a->name, sizeof(a->name), st, 3)) != 0 ||
	    (rc = col_str(a->office, sizeof(a->office), st, 4)) != 0 ||
	    (rc = col_str(a->addr, sizeof(a->addr), st, 10)) != 0 ||
	    (rc = col_str(a->version, sizeof(a->version), st, 11)) != 0)
		return rc;
	pub = sqlite3_column_blob(st, 2);
	if (pub == NULL || sqlite3_column_bytes(st, 2) != KEY_LEN)
		return ERR_MALFORMED;
	memcpy(a->pub, pub, KEY_LEN);
	a->revoked = sqlite3_column_int64(st, 5) != 0;
	a->enrolled = sqlite3_column_int64(st, 6);
	a->first_seen = sqlite3_column_int64(st, 7);
	a->last_seen = sqlite3_column_int64(st, 8);
	a->last_hs_ts = (uint64_t)sqlite3_column_int64(st, 9);
	a->events = (uint64_t)sqlite3_column_int64(st, 12);
	a->last_seq = (uint64_t)sqlite3_column_int64(st, 13);
	if (sqlite3_column_type(st, 14) == SQLITE_NULL)
		return 0;
	if ((hb = (const char *)sqlite3_column_text(st, 14)) == NULL)
		return ERR_NOMEM;
	n = sqlite3_column_bytes(st, 14);
	if ((a->heartbeat = malloc((size_t)n + 1)) == NULL)
		return ERR_NOMEM;
	memcpy(a->heartbeat, hb, (size_t)n);
	a->heartbeat[n] = '\0';
	return 0;
}

/* Step a bound single-row agent query and read its row. */
static int
agent_fetch(struct store *s, struct store_agent *out, sqlite3_stmt *st)
{
	int	rc;

	if ((rc = db_row(s->db, st, "agent get")) == 0 &&
	    (rc = agent_read(out, st)) != 0) {
		if (rc != ERR_NOMEM)
			log_warnx("%s: bad agent row: %s", db_name(s->db),
			    vigil_strerror(rc));
		store_agent_clear(out);
	}
	db_done(st);
	return rc;
}

int
store_agent_get(struct store *s, struct store_agent *out,
    const char *id_or_name)
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_AGENT_GET);

	memset(out, 0, sizeof(*out));
	if (id_or_name == NULL)
		return ERR_USAGE;
	if (bind_text(st, 1, id_or_name)) {
		db_done(st);
		return db_fail(s->db, "agent get");
	}
	return agent_fetch(s, out, st);
}

int
store_agent_get_rowid(struct store *s, struct store_agent *out, int64_t rowid)
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_AGENT_GET_ROWID);

	memset(out, 0, sizeof(*out));
	if (sqlite3_bind_int64(st, 1, rowid)) {
		db_done(st);
		return db_fail(s->db, "agent get");
	}
	return agent_fetch(s, out, st);
}

void
store_agent_clear(struct store_agent *a)
{
	if (a == NULL)
		return;
	free(a->heartbeat);
	memset(a, 0, sizeof(*a));
}

/* Run a bound cached UPDATE that must hit one row. */
static int
st_update(struct store *s, int which, const char *what)
{
	int	rc;

	if ((rc = db_run(s->db, db_stmt(s->db, which), what)) != 0)
		return rc;
	return sqlite3_changes(db_sqlite(s->db)) > 0 ? 0 : ERR_NOTFOUND;
}

int
store_agent_revoke(struct store *s, const char *id_or_name)
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_AGENT_REVOKE);

	if (id_or_name == NULL)
		return ERR_USAGE;
	if (bind_text(st, 1, id_or_name)) {
		db_done(st);
		return db_fail(s->db, "agent revoke");
	}
	return st_update(s, ST_AGENT_REVOKE, "agent revoke");
}

int
store_agent_seen(struct store *s, int64_t rowid, uint64_t hs_ts, int64_t now,
    const char *addr)
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_AGENT_SEEN);
	int		 rc;

	if (hs_ts > INT64_MAX)
		return ERR_MALFORMED;
	if ((rc = check_len(addr, STORE_ADDR_MAX)) != 0)
		return rc;
	if (sqlite3_bind_int64(st, 1, rowid) ||
	    sqlite3_bind_int64(st, 2, (int64_t)hs_ts) ||
	    sqlite3_bind_int64(st, 3, now) || bind_text(st, 4, addr)) {
		db_done(st);
		return db_fail(s->db, "agent seen");
	}
	return st_update(s, ST_AGENT_SEEN, "agent seen");
}

int
store_agent_heartbeat(struct store *s, int64_t rowid, int64_t now,
    const char *version, const char *json, size_t len)
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_AGENT_HEARTBEAT);
	int		 rc, bad;

	if ((rc = check_len(version, STORE_VERSION_MAX)) != 0)
		return rc;
	if (json == NULL && len != 0)
		return ERR_USAGE;
	if (len > STORE_HEARTBEAT_MAX)
		return ERR_TOOBIG;
	/* it comes back as a C string */
	if (json != NULL && memchr(json, '\0', len) != NULL)
		return ERR_MALFORMED;
	if (json != NULL)
		bad = sqlite3_bind_text(st, 3, json, (int)len, SQLITE_STATIC);
	else
		bad = sqlite3_bind_null(st, 3);
	if (bad || sqlite3_bind_int64(st, 1, rowid) ||
	    bind_text(st, 2, version) || sqlite3_bind_int64(st, 4, now)) {
		db_done(st);
		return db_fail(s->db, "agent heartbeat");
	}
	return st_update(s, ST_AGENT_HEARTBEAT, "agent heartbeat");
}

int
store_agent_each(struct store *s, store_agent_cb cb, void *arg)
{
	struct store_agent	 a;
	sqlite3_stmt		*st = NULL;
	int			 rc, step;

	memset(&a, 0, sizeof(a));
	if ((rc = db_prepare(s->db, &st, AGENT_COLS
	    " FROM agents ORDER BY enrolled, rowid")) != 0)
		goto done;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = agent_read(&a, st)) != 0) {
			if (rc != ERR_NOMEM)
				log_warnx("%s: bad agent row: %s",
				    db_name(s->db), vigil_strerror(rc));
			goto done;
		}
		rc = cb(arg, &a);
		store_agent_clear(&a);
		if (rc != 0)
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s->db, "agent list");
done:
	store_agent_clear(&a);
	sqlite3_finalize(st);
	return rc;
}

static int
event_check(const struct store_event *ev)
{
	if (ev->type == NULL || ev->json == NULL)
		return ERR_USAGE;
	if (ev->seq > INT64_MAX)
		return ERR_MALFORMED;
	if (strnlen(ev->type, EVENT_TYPE_MAX + 1) > EVENT_TYPE_MAX ||
	    ev->len > EVENT_MAX_LEN)
		return ERR_TOOBIG;
	return 0;
}

static struct agg *
agg_slot(struct agg *t, size_t mask, int64_t rowid)
{
	size_t	i;

	/* Fibonacci hashing: rowids are small and dense */
	i = (size_t)(((uint64_t)rowid * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
	while (t[i].used && t[i].rowid != rowid)
		i = (i + 1) & mask;
	return &t[i];
}

/* Insert one event; *added is 1 if it was new, 0 for a duplicate. A
 * collector's own event (seq 0) takes the agent's next negative seq. */
static int
event_put(struct store *s, const struct store_event *ev, int64_t received,
    int *added)
{
	sqlite3_stmt	*st = db_stmt(s->db, ev->seq == 0 ? ST_EVENT_ADD_OWN :
			    ST_EVENT_ADD);
	int		 rc;

	if (sqlite3_bind_int64(st, 1, ev->agent_rowid) ||
	    sqlite3_bind_int64(st, 2, (int64_t)ev->seq) ||
	    sqlite3_bind_int64(st, 3, ev->ts_us) ||
	    sqlite3_bind_int64(st, 4, received) ||
	    sqlite3_bind_text(st, 5, ev->type, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 6, ev->severity) ||
	    sqlite3_bind_text(st, 7, ev->json, (int)ev->len, SQLITE_STATIC)) {
		rc = db_fail(s->db, "event insert");
		goto done;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_fail(s->db, "event insert");
		goto done;
	}
	rc = 0;
	*added = sqlite3_changes(db_sqlite(s->db)) > 0;
done:
	/* every parameter is rebound per row: no clear_bindings here */
	(void)sqlite3_reset(st);
	return rc;
}

/* Add one batch's counts to its agents' rows. */
static int
agg_flush(struct store *s, const struct agg *t, size_t cap)
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_AGENT_COUNT);
	size_t		 i;
	int		 rc;

	for (i = 0; i < cap; i++) {
		if (!t[i].used || t[i].added == 0)
			continue;
		if (sqlite3_bind_int64(st, 1, t[i].rowid) ||
		    sqlite3_bind_int64(st, 2, (int64_t)t[i].added) ||
		    sqlite3_bind_int64(st, 3, (int64_t)t[i].max_seq)) {
			db_done(st);
			return db_fail(s->db, "agent count");
		}
		if ((rc = st_update(s, ST_AGENT_COUNT, "agent count")) != 0) {
			if (rc == ERR_NOTFOUND)
				log_warnx("%s: events for unknown agent %lld",
				    db_name(s->db), (long long)t[i].rowid);
			return rc;
		}
	}
	return 0;
}

int
store_events_insert(struct store *s, const struct store_event *evs, size_t n,
    size_t *inserted)
{
	return store_events_insert_ids(s, evs, n, inserted, NULL);
}

int
store_events_insert_ids(struct store *s, const struct store_event *evs,
    size_t n, size_t *inserted, int64_t *ids)
{
	struct agg	*t = NULL, *a;
	size_t		 i, cap = 16, total = 0;
	int64_t		 received;
	int		 rc, own, added = 0;

	*inserted = 0;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((rc = event_check(&evs[i])) != 0)
			return rc;
	if (n > SIZE_MAX / 4 / sizeof(*t))	/* Catch size_t overflow */
		return ERR_TOOBIG;
	while (cap < 2 * n)
		cap *= 2;
	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	received = (int64_t)time(NULL);
	/* join the caller's transaction (the writer's batch), or begin one */
	own = sqlite3_get_autocommit(db_sqlite(s->db)) != 0;
	if (own && (rc = db_begin(s->db, DB_IMMEDIATE)) != 0) {
		free(t);
		return rc;
	}
	for (i = 0; i < n; i++) {
		if ((rc = event_put(s, &evs[i], received, &added)) != 0)
			goto done;
		if (ids != NULL)
			ids[i] = added ? sqlite3_last_insert_rowid(
			    db_sqlite(s->db)) : 0;
		if (!added)
			continue;
		total++;
		if (evs[i].seq == 0)
			continue;	/* the collector's own: not counted */
		a = agg_slot(t, cap - 1, evs[i].agent_rowid);
		a->used = 1;
		a->rowid = evs[i].agent_rowid;
		a->added++;
		if (evs[i].seq > a->max_seq)
			a->max_seq = evs[i].seq;
	}
	rc = agg_flush(s, t, cap);
done:
	if (own)
		rc = db_end(s->db, rc);
	if (rc == 0)
		*inserted = total;
	free(t);
	return rc;
}

/*
 * Build the query for q from fixed fragments; values are only ever bound
 * (:agent, :type, :since, :limit). Rows are walked in an index's order so
 * nothing is sorted but runs of equal ts: events_type_ts with a type,
 * else events_ts, with events as the outer loop (CROSS JOIN). An agent
 * filter alone therefore scans the ts index, O(events) in time but flat
 * in memory; a fourth index would cost every insert for a rare query.
 */
static int
query_prepare(struct store *s, sqlite3_stmt **out, const struct store_query *q,
    int count)
{
	char		 sql[768];
	sqlite3_stmt	*st = NULL;
	int		 n, rc;

	*out = NULL;
	n = snprintf(sql, sizeof(sql), "%s%s%s%s%s%s%s",
	    count ? "SELECT count(*) FROM (SELECT 1 FROM events e" :
	    "SELECT a.id, a.name, a.office, e.seq, e.ts, e.received, e.type,"
	    " e.body FROM events e",
	    count ? "" : q->type ? " INDEXED BY events_type_ts"
	    " CROSS JOIN agents a ON a.rowid = e.agent" :
	    " INDEXED BY events_ts CROSS JOIN agents a ON a.rowid = e.agent",
	    q->agent ? " WHERE e.agent IN (SELECT rowid FROM agents"
	    " WHERE id = :agent OR name = :agent)" : " WHERE 1",
	    q->type ? " AND e.type = :type" : "",
	    q->since_us ? " AND e.ts >= :since" : "",
	    q->until_us ? " AND e.ts < :until" : "",
	    count ? " LIMIT :limit)" :
	    " ORDER BY e.ts, e.agent, e.seq LIMIT :limit");
	if (n < 0 || (size_t)n >= sizeof(sql))
		fatalx("%s: query buffer too small", __func__);
	if ((rc = db_prepare(s->db, &st, sql)) != 0)
		return rc;
	if ((q->agent && sqlite3_bind_text(st, sqlite3_bind_parameter_index(st,
	    ":agent"), q->agent, -1, SQLITE_STATIC)) ||
	    (q->type && sqlite3_bind_text(st, sqlite3_bind_parameter_index(st,
	    ":type"), q->type, -1, SQLITE_STATIC)) ||
	    (q->since_us && sqlite3_bind_int64(st,
	    sqlite3_bind_parameter_index(st, ":since"), q->since_us)) ||
	    (q->until_us && sqlite3_bind_int64(st,
	    sqlite3_bind_parameter_index(st, ":until"), q->until_us)) ||
	    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"),
	    q->limit > 0 ? q->limit : -1)) {
		rc = db_fail(s->db, "query bind");
		sqlite3_finalize(st);
		return rc;
	}
	*out = st;
	return 0;
}

/* ERR_NOTFOUND if the query names an agent that does not exist. */
static int
query_check(struct store *s, const struct store_query *q)
{
	sqlite3_stmt	*st = db_stmt(s->db, ST_AGENT_MATCH);
	int		 rc;

	if (q->limit < 0)
		return ERR_USAGE;
	if (q->agent == NULL)
		return 0;
	if (bind_text(st, 1, q->agent))
		rc = db_fail(s->db, "agent match");
	else
		rc = db_row(s->db, st, "agent match");
	db_done(st);
	return rc;
}

int
store_events_count(struct store *s, const struct store_query *q,
    uint64_t *count)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	*count = 0;
	if ((rc = query_check(s, q)) != 0 ||
	    (rc = query_prepare(s, &st, q, 1)) != 0)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*count = (uint64_t)sqlite3_column_int64(st, 0);
	else
		rc = db_fail(s->db, "event count");
	sqlite3_finalize(st);
	return rc;
}

/* The row of events in (ts, id) order past cur and before before_us at
 * offset off, or with last set the last such row: 1 and *out, 0 none,
 * or ERR_IO. */
static int
purge_row(struct store *s, const struct store_cursor *cur, int64_t before_us,
    int off, int last, struct store_cursor *out)
{
	/* the ts index holds id: both walks are index walks */
	static const char *const sql[2] = {
		"SELECT ts, id FROM events WHERE (ts, id) > (?1, ?2)"
		" AND ts < ?3 ORDER BY ts, id LIMIT 1 OFFSET ?4",
		"SELECT ts, id FROM events WHERE (ts, id) > (?1, ?2)"
		" AND ts < ?3 ORDER BY ts DESC, id DESC LIMIT 1 OFFSET ?4",
	};
	sqlite3_stmt	*st;
	int		 rc, step;

	if ((rc = db_prepare(s->db, &st, sql[last != 0])) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, cur->ts);
	sqlite3_bind_int64(st, 2, cur->id);
	sqlite3_bind_int64(st, 3, before_us);
	sqlite3_bind_int(st, 4, last ? 0 : off);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		out->ts = sqlite3_column_int64(st, 0);
		out->id = sqlite3_column_int64(st, 1);
		rc = 1;
	} else if (step != SQLITE_DONE)
		rc = db_fail(s->db, "purge: the batch's end");
	sqlite3_finalize(st);
	return rc;
}

int
store_events_purge(struct store *s, int64_t before_us, int max,
    struct store_cursor *cur, uint64_t *deleted, int *more)
{
	static const char del_sql[] = "DELETE FROM events"
	    " WHERE (ts, id) > (?1, ?2) AND (ts, id) <= (?3, ?4)"
	    " AND NOT EXISTS (SELECT 1 FROM incident_events ie"
	    " WHERE ie.event = events.id)";
	sqlite3_stmt		*st = NULL;
	struct store_cursor	 end;
	int			 rc, own;

	*deleted = 0;
	*more = 0;
	if (max < 1)
		return ERR_USAGE;
	own = sqlite3_get_autocommit(db_sqlite(s->db));
	if (own && (rc = db_begin(s->db, DB_IMMEDIATE)) != 0)
		return rc;
	/* the batch: max rows past the cursor, or what is left */
	if ((rc = purge_row(s, cur, before_us, max - 1, 0, &end)) == 1)
		*more = 1;
	else if (rc == 0)
		rc = purge_row(s, cur, before_us, 0, 1, &end);
	if (rc != 1)
		goto done;		/* 0: nothing before before_us */
	if ((rc = db_prepare(s->db, &st, del_sql)) != 0)
		goto done;
	sqlite3_bind_int64(st, 1, cur->ts);
	sqlite3_bind_int64(st, 2, cur->id);
	sqlite3_bind_int64(st, 3, end.ts);
	sqlite3_bind_int64(st, 4, end.id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(s->db, "purge");
	else {
		*deleted = (uint64_t)sqlite3_changes(db_sqlite(s->db));
		*cur = end;	/* what is left behind it is linked */
	}
	sqlite3_finalize(st);
done:
	if (own)
		rc = db_end(s->db, rc);
	return rc;
}

static void
row_read(struct store_row *r, sqlite3_stmt *st)
{
	r->agent_id = (const char *)sqlite3_column_text(st, 0);
	r->agent_name = (const char *)sqlite3_column_text(st, 1);
	r->office = (const char *)sqlite3_column_text(st, 2);
	/* the collector's own events are stored below 0 */
	r->seq = sqlite3_column_int64(st, 3) < 0 ? 0 :
	    (uint64_t)sqlite3_column_int64(st, 3);
	r->ts_us = sqlite3_column_int64(st, 4);
	r->received = sqlite3_column_int64(st, 5);
	r->type = (const char *)sqlite3_column_text(st, 6);
	r->json = (const char *)sqlite3_column_text(st, 7);
	r->len = (size_t)sqlite3_column_bytes(st, 7);
}

/* The highest events.id, 0 for none (in the open read snapshot). */
static int
max_event_id(struct store *s, int64_t *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	*out = 0;
	if ((rc = db_prepare(s->db, &st, "SELECT max(id) FROM events")) != 0)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = db_fail(s->db, "events: the last id");
	sqlite3_finalize(st);
	return rc;
}

int
store_events_last_id(struct store *s, int64_t *id)
{
	return max_event_id(s, id);
}

int
store_events_after(struct store *s, const struct store_span *q,
    store_row_cb cb, void *arg, int64_t *next)
{
	static const char	 sql[] = "SELECT a.id, a.name, a.office, e.seq,"
	    " e.ts, e.received, e.type, e.body, e.id FROM events e"
	    " CROSS JOIN agents a ON a.rowid = e.agent"
	    " WHERE e.id > ?1 AND e.id <= ?2 AND e.type = ?3"
	    " ORDER BY e.id LIMIT ?4";
	struct store_row	 r;
	sqlite3_stmt		*st = NULL;
	int64_t			 hi, n = 0;
	int			 rc, step;

	*next = q->after;
	if (q->after < 0 || q->span < 1 || q->limit < 1 || q->type == NULL ||
	    q->after > INT64_MAX - q->span)
		return ERR_USAGE;
	if ((rc = db_begin(s->db, DB_DEFERRED)) != 0)
		return rc;
	if ((rc = max_event_id(s, &hi)) != 0 ||
	    (rc = db_prepare(s->db, &st, sql)) != 0)
		goto done;
	if (hi > q->after + q->span)
		hi = q->after + q->span;
	if (sqlite3_bind_int64(st, 1, q->after) ||
	    sqlite3_bind_int64(st, 2, hi) ||
	    sqlite3_bind_text(st, 3, q->type, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, q->limit)) {
		rc = db_fail(s->db, "events after: bind");
		goto done;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row_read(&r, st);
		r.id = sqlite3_column_int64(st, 8);
		if (r.agent_id == NULL || r.agent_name == NULL ||
		    r.office == NULL || r.type == NULL || r.json == NULL) {
			rc = ERR_NOMEM;
			goto done;
		}
		if ((rc = cb(arg, &r)) < 0)
			goto done;
		*next = r.id;
		if (rc > 0 || ++n == q->limit) {
			rc = 0;
			goto done;
		}
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s->db, "events after");
	else if (hi > *next)
		*next = hi;	/* none of the type up to hi */
done:
	sqlite3_finalize(st);
	db_rollback(s->db);	/* a read: nothing to keep */
	return rc;
}

int
store_events_each(struct store *s, const struct store_query *q,
    store_row_cb cb, void *arg)
{
	struct store_row	 r;
	sqlite3_stmt		*st = NULL;
	int			 rc, step;

	if ((rc = query_check(s, q)) != 0 ||
	    (rc = query_prepare(s, &st, q, 0)) != 0)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row_read(&r, st);
		/* NULL only when SQLite ran out of memory converting */
		if (r.agent_id == NULL || r.agent_name == NULL ||
		    r.office == NULL || r.type == NULL || r.json == NULL) {
			rc = ERR_NOMEM;
			goto done;
		}
		if ((rc = cb(arg, &r)) != 0)
			goto done;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s->db, "event query");
done:
	sqlite3_finalize(st);
	return rc;
}
