/*
 * incident.c: the incident register (incident.h).
 *
 * Invariants:
 * - Every change is one transaction holding the change and its audit
 *   entry (audit_append refuses to run outside one).
 * - A change reads the incident and writes all of it back (I_SAVE) under
 *   the write lock, so concurrent writers serialise and none is lost.
 * - alerts is the number of incident_events rows of the incident.
 * - merged_into != 0 implies status closed and resolution duplicate;
 *   a merged incident is never changed again but for notes and reports.
 * - Text stored here is valid UTF-8 of bounded length (checked on the way
 *   in); it is escaped on every way out (text.h) all the same, since
 *   indicators will come from agents.
 *
 * Load: changes by hand (a few a minute) and, later, from correlation
 * (one per alert linked, inside the writer's batch: a few index probes
 * and two inserts). Lists stream rows; `incidents list` with filters on
 * 100,000 incidents is one pass over the table (or the status index).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "event.h"
#include "incident.h"
#include "log.h"
#include "taxonomy.h"
#include "text.h"

enum {
	I_ADD,
	I_GET,
	I_SAVE,
	I_LIST,
	I_EVENT_GET,
	I_EVENT_LINK,
	I_AGENT_LINK,
	I_INDICATOR_ADD,
	I_NOTE_ADD,
	I_COUNT_EVENTS,
	I_MERGE_EVENTS,
	I_MERGE_AGENTS,
	I_MERGE_INDICATORS,
	I_AGENTS,
	I_INDICATORS,
	I_EVENTS,
	I_NOTES,
	I_AGENT_NEW,
	I_AGENT_SPAN,
	I_IND_NEW,
	I_IND_COUNT,
	I_COUNT
};

#define INC_COLS \
	"SELECT id, title, category, severity, tlp, status, resolution," \
	" reason, assignee, created, first_seen, last_seen, updated, alerts," \
	" deadline, reported_at, reported_to, merged_into FROM incidents"
#define AGENT_OF(col) \
	" (SELECT ia.incident FROM incident_agents ia JOIN agents a" \
	" ON a.rowid = ia.agent WHERE " col ")"

static const char *const inc_sql[I_COUNT] = {
	[I_ADD] = "INSERT INTO incidents(title, category, severity, tlp,"
	    " status, created, first_seen, last_seen, deadline, updated)"
	    " VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?5, ?5, ?6, ?7)",
	[I_GET] = INC_COLS " WHERE id = ?1",
	[I_SAVE] = "UPDATE incidents SET severity = ?2, status = ?3,"
	    " resolution = ?4, reason = ?5, assignee = ?6, first_seen = ?7,"
	    " last_seen = ?8, alerts = ?9, reported_at = ?10,"
	    " reported_to = ?11, merged_into = ?12, updated = ?13"
	    " WHERE id = ?1",
	/* every filter is a bound value; NULL (or 0) leaves it out */
	[I_LIST] = INC_COLS " WHERE (?1 IS NULL OR status = ?1)"
	    " AND (?2 IS NULL OR severity = ?2)"
	    " AND (?3 IS NULL OR category = ?3)"
	    " AND (?4 IS NULL OR created >= ?4)"
	    " AND (?5 = 0 OR (reported_at = 0 AND deadline <= ?6"
	    " AND resolution NOT IN ('false-positive', 'duplicate')))"
	    " AND (?7 IS NULL OR id IN" AGENT_OF("a.office = ?7") ")"
	    " AND (?8 IS NULL OR id IN" AGENT_OF("a.id = ?8 OR a.name = ?8") ")"
	    " ORDER BY id DESC LIMIT ?9",
	[I_EVENT_GET] = "SELECT agent, ts FROM events WHERE id = ?1",
	[I_EVENT_LINK] = "INSERT INTO incident_events(incident, event)"
	    " VALUES (?1, ?2) ON CONFLICT DO NOTHING",
	[I_AGENT_LINK] = "INSERT INTO incident_agents(incident, agent,"
	    " first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)"
	    " ON CONFLICT(incident, agent) DO UPDATE SET"
	    " first_seen = min(first_seen, ?3), last_seen = max(last_seen, ?3)",
	[I_INDICATOR_ADD] = "INSERT INTO incident_indicators(incident, kind,"
	    " value, first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?4, ?4,"
	    " 1) ON CONFLICT(incident, kind, value) DO UPDATE SET"
	    " first_seen = min(first_seen, ?4), last_seen = max(last_seen, ?4),"
	    " count = count + 1",
	[I_NOTE_ADD] = "INSERT INTO incident_notes(incident, time, author,"
	    " text) VALUES (?1, ?2, ?3, ?4)",
	[I_COUNT_EVENTS] = "SELECT count(*) FROM incident_events"
	    " WHERE incident = ?1",
	/* ?1 the merged incident, ?2 the one it goes into */
	[I_MERGE_EVENTS] = "INSERT INTO incident_events(incident, event)"
	    " SELECT ?2, event FROM incident_events WHERE incident = ?1"
	    " ON CONFLICT DO NOTHING",
	[I_MERGE_AGENTS] = "INSERT INTO incident_agents(incident, agent,"
	    " first_seen, last_seen) SELECT ?2, agent, first_seen, last_seen"
	    " FROM incident_agents WHERE incident = ?1"
	    " ON CONFLICT(incident, agent) DO UPDATE SET"
	    " first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	[I_MERGE_INDICATORS] = "INSERT INTO incident_indicators(incident,"
	    " kind, value, first_seen, last_seen, count) SELECT ?2, kind,"
	    " value, first_seen, last_seen, count FROM incident_indicators"
	    " WHERE incident = ?1 ON CONFLICT(incident, kind, value) DO UPDATE"
	    " SET first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen),"
	    " count = count + excluded.count",
	[I_AGENTS] = "SELECT a.id, a.name, a.office, ia.first_seen,"
	    " ia.last_seen FROM incident_agents ia JOIN agents a"
	    " ON a.rowid = ia.agent WHERE ia.incident = ?1"
	    " ORDER BY ia.first_seen, a.rowid",
	[I_INDICATORS] = "SELECT kind, value, first_seen, last_seen, count"
	    " FROM incident_indicators WHERE incident = ?1"
	    " ORDER BY first_seen, kind, value",
	[I_EVENTS] = "SELECT e.id, a.id, a.name, e.type, e.ts, e.seq"
	    " FROM incident_events ie JOIN events e ON e.id = ie.event"
	    " JOIN agents a ON a.rowid = e.agent WHERE ie.incident = ?1"
	    " ORDER BY e.ts, e.id",
	[I_NOTES] = "SELECT id, time, author, text FROM incident_notes"
	    " WHERE incident = ?1 ORDER BY id",
	/* the bulk link: a new row (changes() says whether it was), then
	 * the span and count of one that was there */
	[I_AGENT_NEW] = "INSERT INTO incident_agents(incident, agent,"
	    " first_seen, last_seen) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT DO NOTHING",
	[I_AGENT_SPAN] = "UPDATE incident_agents SET"
	    " first_seen = min(first_seen, ?3), last_seen = max(last_seen, ?4)"
	    " WHERE incident = ?1 AND agent = ?2",
	[I_IND_NEW] = "INSERT INTO incident_indicators(incident, kind, value,"
	    " first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT DO NOTHING",
	[I_IND_COUNT] = "UPDATE incident_indicators SET"
	    " first_seen = min(first_seen, ?4), last_seen = max(last_seen, ?5),"
	    " count = count + ?6 WHERE incident = ?1 AND kind = ?2"
	    " AND value = ?3",
};

static const struct db_table inc_table = { "incident", inc_sql, I_COUNT };

static const char *const indicator_kinds[] = { "ip", "domain", "hash",
    "rule" };

static sqlite3_stmt *
stmt(struct store *s, int i)
{
	return db_table_stmt(store_db(s), &inc_table, (size_t)i);
}

/* ---- text checks ---- */

/* 0 if s is 1..max bytes of valid UTF-8 (printable: and no
 * display-unsafe code point); ERR_TOOBIG, ERR_MALFORMED. */
static int
check_text(const char *s, size_t max, int printable)
{
	size_t	len;

	if (s == NULL || (len = strnlen(s, max + 1)) == 0)
		return ERR_MALFORMED;
	if (len > max)
		return ERR_TOOBIG;
	if (printable ? !text_printable(s, len) : !text_utf8_valid(s, len))
		return ERR_MALFORMED;
	return 0;
}

static int
check_actor(const char *actor)
{
	return check_text(actor, INCIDENT_NAME_MAX, 1);
}

/* ---- transactions ---- */

/* Join the caller's transaction, or begin one: *own says which. */
static int
txn_begin(struct store *s, int *own)
{
	*own = sqlite3_get_autocommit(db_sqlite(store_db(s))) != 0;
	return *own ? db_begin(store_db(s), DB_IMMEDIATE) : 0;
}

static int
txn_end(struct store *s, int own, int rc)
{
	return own ? db_end(store_db(s), rc) : rc;
}

/* ---- rows ---- */

static int
col_copy(char *dst, size_t dstsize, sqlite3_stmt *st, int col)
{
	const unsigned char	*p = sqlite3_column_text(st, col);
	int			 n = sqlite3_column_bytes(st, col);

	dst[0] = '\0';
	if (p == NULL)
		return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 :
		    ERR_NOMEM;
	if (n < 0 || (size_t)n >= dstsize)
		return ERR_MALFORMED;
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	return 0;
}

/* A word column through its parser. */
static int
col_word(int *out, sqlite3_stmt *st, int col, int (*parse)(int *,
    const char *))
{
	const char	*p = (const char *)sqlite3_column_text(st, col);

	if (p == NULL)
		return ERR_MALFORMED;
	return parse(out, p);
}

/* One INC_COLS row. */
static int
inc_read(struct incident *i, sqlite3_stmt *st)
{
	const char	*res;
	int		 rc;

	memset(i, 0, sizeof(*i));
	i->id = sqlite3_column_int64(st, 0);
	i->severity = sqlite3_column_int(st, 3);
	i->created = sqlite3_column_int64(st, 9);
	i->first_seen = sqlite3_column_int64(st, 10);
	i->last_seen = sqlite3_column_int64(st, 11);
	i->updated = sqlite3_column_int64(st, 12);
	i->alerts = (uint64_t)sqlite3_column_int64(st, 13);
	i->deadline = sqlite3_column_int64(st, 14);
	i->reported_at = sqlite3_column_int64(st, 15);
	i->merged_into = sqlite3_column_int64(st, 17);
	if ((rc = col_copy(i->title, sizeof(i->title), st, 1)) != 0 ||
	    (rc = col_copy(i->category, sizeof(i->category), st, 2)) != 0 ||
	    (rc = col_word(&i->tlp, st, 4, taxonomy_tlp_parse)) != 0 ||
	    (rc = col_word(&i->status, st, 5, taxonomy_status_parse)) != 0 ||
	    (rc = col_copy(i->reason, sizeof(i->reason), st, 7)) != 0 ||
	    (rc = col_copy(i->assignee, sizeof(i->assignee), st, 8)) != 0 ||
	    (rc = col_copy(i->reported_to, sizeof(i->reported_to), st,
	    16)) != 0)
		return rc;
	if (taxonomy_severity_name(i->severity) == NULL)
		return ERR_MALFORMED;
	res = (const char *)sqlite3_column_text(st, 6);
	if (res == NULL)
		return ERR_MALFORMED;
	if (*res != '\0')
		return taxonomy_resolution_parse(&i->resolution, res);
	return 0;
}

static int
bad_row(struct store *s, int rc)
{
	if (rc == ERR_MALFORMED)
		log_warnx("%s: an incident row this build did not write",
		    db_name(store_db(s)));
	return rc;
}

int
incident_get(struct store *s, struct incident *out, int64_t id)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((st = stmt(s, I_GET)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, id))
		rc = db_fail(store_db(s), "incident get");
	else if ((rc = db_row(store_db(s), st, "incident get")) == 0)
		rc = bad_row(s, inc_read(out, st));
	db_done(st);
	return rc;
}

/* Write back what a change may alter. */
static int
inc_save(struct store *s, const struct incident *i)
{
	sqlite3_stmt	*st;

	if ((st = stmt(s, I_SAVE)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, i->id) ||
	    sqlite3_bind_int(st, 2, i->severity) ||
	    sqlite3_bind_text(st, 3, taxonomy_status_name(i->status), -1,
	    SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, taxonomy_resolution_name(i->resolution),
	    -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, i->reason, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 6, i->assignee, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 7, i->first_seen) ||
	    sqlite3_bind_int64(st, 8, i->last_seen) ||
	    sqlite3_bind_int64(st, 9, (int64_t)i->alerts) ||
	    sqlite3_bind_int64(st, 10, i->reported_at) ||
	    sqlite3_bind_text(st, 11, i->reported_to, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 12, i->merged_into) ||
	    sqlite3_bind_int64(st, 13, i->updated)) {
		db_done(st);
		return db_fail(store_db(s), "incident save");
	}
	return db_run(store_db(s), st, "incident save");
}

/* Run a bound statement of inc_table that returns no rows; *changed (may
 * be NULL) gets the rows it changed. */
static int
run(struct store *s, sqlite3_stmt *st, const char *what, int *changed)
{
	int	rc = db_run(store_db(s), st, what);

	if (rc == 0 && changed != NULL)
		*changed = sqlite3_changes(db_sqlite(store_db(s)));
	return rc;
}

/* A statement with ?1 and ?2 bound to two ids, run. */
static int
run_ids(struct store *s, int which, int64_t a, int64_t b, const char *what)
{
	sqlite3_stmt	*st;

	if ((st = stmt(s, which)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, a) || sqlite3_bind_int64(st, 2, b)) {
		db_done(st);
		return db_fail(store_db(s), what);
	}
	return run(s, st, what, NULL);
}

/* ---- JSON ---- */

/* A JSON string for s escaped as TEXT_JSON (NULL on no memory). */
static json_t *
jstr(const char *s)
{
	return text_json(s, strlen(s), NULL);
}

json_t *
incident_json_time(int64_t t)
{
	char	buf[EVENT_TS_STRLEN];

	if (t == 0)
		return json_null();
	event_format_ts(buf, t * 1000000);
	buf[19] = '\0';			/* seconds: drop the fraction */
	return json_sprintf("%sZ", buf);
}

int
incident_overdue(const struct incident *i, int64_t now)
{
	return i->reported_at == 0 && i->deadline <= now &&
	    i->resolution != RES_FALSE_POSITIVE &&
	    i->resolution != RES_DUPLICATE;
}

json_t *
incident_json(const struct incident *i, int64_t now)
{
	const struct taxonomy_category	*c = taxonomy_category(i->category);
	json_t				*j;

	j = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:o,"
	    " s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:b, s:o, s:o, s:o}",
	    "id", (json_int_t)i->id,
	    "title", jstr(i->title),
	    "category", jstr(i->category),
	    "category_vi", c ? json_string(c->vi) : json_null(),
	    "category_en", c ? json_string(c->en) : json_null(),
	    "enisa", c ? json_pack("{s:s, s:s*}", "class", c->enisa_class,
	    "type", c->enisa_type) : json_null(),
	    "severity", taxonomy_severity_name(i->severity),
	    "tlp", taxonomy_tlp_name(i->tlp),
	    "status", taxonomy_status_name(i->status),
	    "resolution", i->resolution ? json_string(
	    taxonomy_resolution_name(i->resolution)) : json_null(),
	    "reason", i->resolution ? jstr(i->reason) : json_null(),
	    "assignee", i->assignee[0] ? jstr(i->assignee) : json_null(),
	    "created", incident_json_time(i->created),
	    "first_seen", incident_json_time(i->first_seen),
	    "last_seen", incident_json_time(i->last_seen),
	    "alerts", (json_int_t)i->alerts,
	    "deadline", incident_json_time(i->deadline),
	    "overdue", incident_overdue(i, now),
	    "reported_at", incident_json_time(i->reported_at),
	    "reported_to", i->reported_to[0] ? jstr(i->reported_to) :
	    json_null(),
	    "merged_into", i->merged_into ? json_integer(i->merged_into) :
	    json_null());
	return j;
}

/* Append the audit entry of a change: detail is taken (decref'd). */
static int
audit(struct store *s, int64_t now, const char *actor, const char *action,
    int64_t id, json_t *detail)
{
	int	rc;

	if (detail == NULL)
		return ERR_NOMEM;
	rc = audit_append(s, now, actor, action, id, detail);
	json_decref(detail);
	return rc;
}

/* ---- opening, linking ---- */

int
incident_open(struct store *s, int64_t *id, const struct incident_new *n,
    const char *actor, int64_t now)
{
	struct incident	 i;
	sqlite3_stmt	*st;
	json_t		*detail = NULL;
	int64_t		 detected = n->detected ? n->detected : now;
	int64_t		 within = n->deadline_s ? n->deadline_s :
			    INCIDENT_DEADLINE_DEFAULT;
	int		 rc, own, tlp = n->tlp ? n->tlp : TLP_AMBER;

	*id = 0;
	if (n->category == NULL || taxonomy_category(n->category) == NULL ||
	    taxonomy_severity_name(n->severity) == NULL ||
	    taxonomy_tlp_name(tlp) == NULL || within < 0 ||
	    detected > INT64_MAX - within)
		return ERR_USAGE;
	if ((rc = check_text(n->title, INCIDENT_TITLE_MAX, 1)) != 0 ||
	    (rc = check_actor(actor)) != 0)
		return rc;
	if ((rc = txn_begin(s, &own)) != 0)
		return rc;
	if ((st = stmt(s, I_ADD)) == NULL) {
		rc = ERR_IO;
		goto done;
	}
	if (sqlite3_bind_text(st, 1, n->title, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, n->category, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 3, n->severity) ||
	    sqlite3_bind_text(st, 4, taxonomy_tlp_name(tlp), -1,
	    SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, detected) ||
	    sqlite3_bind_int64(st, 6, detected + within) ||
	    sqlite3_bind_int64(st, 7, now)) {
		db_done(st);
		rc = db_fail(store_db(s), "incident open");
		goto done;
	}
	if ((rc = run(s, st, "incident open", NULL)) != 0)
		goto done;
	*id = sqlite3_last_insert_rowid(db_sqlite(store_db(s)));
	if ((rc = incident_get(s, &i, *id)) == 0 &&
	    (detail = incident_json(&i, now)) != NULL)
		(void)json_object_del(detail, "overdue");	/* of a moment */
	if (rc == 0)
		rc = audit(s, now, actor, "open", *id, detail);
done:
	if ((rc = txn_end(s, own, rc)) != 0)
		*id = 0;
	return rc;
}

/* i's first/last seen stretched to ts. */
static void
seen(struct incident *i, int64_t ts)
{
	if (ts < i->first_seen)
		i->first_seen = ts;
	if (ts > i->last_seen)
		i->last_seen = ts;
}

/* The incident_agents row, inside the caller's transaction. */
static int
agent_link(struct store *s, int64_t id, int64_t agent, int64_t ts)
{
	sqlite3_stmt	*st;

	if ((st = stmt(s, I_AGENT_LINK)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int64(st, 2, agent) ||
	    sqlite3_bind_int64(st, 3, ts)) {
		db_done(st);
		return db_fail(store_db(s), "incident agent");
	}
	/* the callers have checked the agent: a foreign key error is ERR_IO */
	return db_run(store_db(s), st, "incident agent");
}

int
incident_link_agent(struct store *s, int64_t id, int64_t agent, int64_t ts,
    const char *actor, int64_t now)
{
	struct store_agent	 a;
	struct incident		 i;
	int			 rc, own;

	if ((rc = check_actor(actor)) != 0)
		return rc;
	if ((rc = txn_begin(s, &own)) != 0)
		return rc;
	if ((rc = incident_get(s, &i, id)) != 0 ||
	    (rc = store_agent_get_rowid(s, &a, agent)) != 0)
		goto done;
	if (i.merged_into != 0) {
		rc = ERR_STATE;
		goto done;
	}
	seen(&i, ts);
	i.updated = now;
	if ((rc = agent_link(s, id, agent, ts)) == 0 &&
	    (rc = inc_save(s, &i)) == 0)
		rc = audit(s, now, actor, "agent", id, json_pack("{s:s, s:o}",
		    "agent", a.id, "name", jstr(a.name)));
	store_agent_clear(&a);
done:
	return txn_end(s, own, rc);
}

int
incident_link_event(struct store *s, int64_t id, int64_t event,
    const char *actor, int64_t now)
{
	struct incident	 i;
	sqlite3_stmt	*st;
	int64_t		 agent = 0, ts = 0;
	int		 rc, own, changed = 0;

	if ((rc = check_actor(actor)) != 0)
		return rc;
	if ((rc = txn_begin(s, &own)) != 0)
		return rc;
	if ((rc = incident_get(s, &i, id)) != 0)
		goto done;
	if (i.merged_into != 0) {
		rc = ERR_STATE;
		goto done;
	}
	if ((st = stmt(s, I_EVENT_GET)) == NULL) {
		rc = ERR_IO;
		goto done;
	}
	if (sqlite3_bind_int64(st, 1, event))
		rc = db_fail(store_db(s), "incident event");
	else if ((rc = db_row(store_db(s), st, "incident event")) == 0) {
		agent = sqlite3_column_int64(st, 0);
		ts = sqlite3_column_int64(st, 1) / 1000000;
	}
	db_done(st);
	if (rc != 0 || (rc = run_ids(s, I_EVENT_LINK, id, event,
	    "incident link")) != 0)
		goto done;
	if ((changed = sqlite3_changes(db_sqlite(store_db(s)))) == 0)
		goto done;			/* linked already */
	i.alerts++;
	seen(&i, ts);
	i.updated = now;
	if ((rc = agent_link(s, id, agent, ts)) == 0 &&
	    (rc = inc_save(s, &i)) == 0)
		rc = audit(s, now, actor, "link", id, json_pack("{s:I}",
		    "event", (json_int_t)event));
done:
	return txn_end(s, own, rc);
}

int
incident_add_indicator(struct store *s, int64_t id, const char *kind,
    const char *value, int64_t ts, const char *actor, int64_t now)
{
	struct incident	 i;
	sqlite3_stmt	*st;
	size_t		 k;
	int		 rc, own;

	for (k = 0; k < sizeof(indicator_kinds) / sizeof(indicator_kinds[0]);
	    k++)
		if (kind != NULL && strcmp(kind, indicator_kinds[k]) == 0)
			break;
	if (k == sizeof(indicator_kinds) / sizeof(indicator_kinds[0]))
		return ERR_USAGE;
	/* from agents: any UTF-8, escaped on the way out */
	if ((rc = check_text(value, INCIDENT_VALUE_MAX, 0)) != 0 ||
	    (rc = check_actor(actor)) != 0)
		return rc;
	if ((rc = txn_begin(s, &own)) != 0)
		return rc;
	if ((rc = incident_get(s, &i, id)) != 0)
		goto done;
	if ((st = stmt(s, I_INDICATOR_ADD)) == NULL) {
		rc = ERR_IO;
		goto done;
	}
	if (sqlite3_bind_int64(st, 1, id) ||
	    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, ts)) {
		db_done(st);
		rc = db_fail(store_db(s), "incident indicator");
		goto done;
	}
	if ((rc = run(s, st, "incident indicator", NULL)) != 0)
		goto done;
	seen(&i, ts);
	i.updated = now;
	if ((rc = inc_save(s, &i)) == 0)
		rc = audit(s, now, actor, "indicator", id, json_pack(
		    "{s:s, s:o}", "kind", kind, "value", jstr(value)));
done:
	return txn_end(s, own, rc);
}

/* ---- correlation's bulk link ---- */

/* An agent of the bulk link: *isnew says whether its row is new. */
static int
bulk_agent(struct store *s, int64_t id, const struct incident_seen *a,
    int *isnew)
{
	sqlite3_stmt	*st;
	int		 rc, i, changed;

	for (i = I_AGENT_NEW; i <= I_AGENT_SPAN; i++) {
		if ((st = stmt(s, i)) == NULL)
			return ERR_IO;
		if (sqlite3_bind_int64(st, 1, id) ||
		    sqlite3_bind_int64(st, 2, a->agent) ||
		    sqlite3_bind_int64(st, 3, a->first) ||
		    sqlite3_bind_int64(st, 4, a->last)) {
			db_done(st);
			return db_fail(store_db(s), "incident agent");
		}
		if ((rc = run(s, st, "incident agent", &changed)) != 0)
			return rc;
		if (i == I_AGENT_NEW || i == I_IND_NEW)
			if ((*isnew = changed) != 0)
				return 0;	/* its span and count are set */
	}
	return 0;
}

/* An indicator of the bulk link, likewise. */
static int
bulk_indicator(struct store *s, int64_t id, const struct incident_count *x,
    int *isnew)
{
	sqlite3_stmt	*st;
	int		 rc, i, changed;

	if (x->count > INT64_MAX)
		return ERR_USAGE;
	for (i = I_IND_NEW; i <= I_IND_COUNT; i++) {
		if ((st = stmt(s, i)) == NULL)
			return ERR_IO;
		if (sqlite3_bind_int64(st, 1, id) ||
		    sqlite3_bind_text(st, 2, x->kind, -1, SQLITE_STATIC) ||
		    sqlite3_bind_text(st, 3, x->value, -1, SQLITE_STATIC) ||
		    sqlite3_bind_int64(st, 4, x->first) ||
		    sqlite3_bind_int64(st, 5, x->last) ||
		    sqlite3_bind_int64(st, 6, (int64_t)x->count)) {
			db_done(st);
			return db_fail(store_db(s), "incident indicator");
		}
		if ((rc = run(s, st, "incident indicator", &changed)) != 0)
			return rc;
		if (i == I_AGENT_NEW || i == I_IND_NEW)
			if ((*isnew = changed) != 0)
				return 0;	/* its span and count are set */
	}
	return 0;
}

/* Links events; *n gets how many were new, *lo and *hi their ids. */
static int
bulk_events(struct store *s, int64_t id, const struct incident_bulk *b,
    uint64_t *n, int64_t *lo, int64_t *hi)
{
	size_t	i;
	int	rc, changed;

	*n = 0;
	*lo = *hi = 0;
	for (i = 0; i < b->nevents; i++) {
		if ((rc = run_ids(s, I_EVENT_LINK, id, b->events[i],
		    "incident link")) != 0)
			return rc;
		if ((changed = sqlite3_changes(db_sqlite(store_db(s)))) == 0)
			continue;
		(*n)++;
		if (*lo == 0 || b->events[i] < *lo)
			*lo = b->events[i];
		if (b->events[i] > *hi)
			*hi = b->events[i];
	}
	return 0;
}

/* The agents and indicators of b; new ones are listed in detail. */
static int
bulk_members(struct store *s, int64_t id, const struct incident_bulk *b,
    json_t *agents, json_t *inds)
{
	struct store_agent	 a;
	size_t			 i;
	int			 rc, isnew = 0;

	for (i = 0; i < b->nagents; i++) {
		if ((rc = bulk_agent(s, id, &b->agents[i], &isnew)) != 0)
			return rc;
		if (!isnew)
			continue;
		if ((rc = store_agent_get_rowid(s, &a, b->agents[i].agent)) != 0)
			return rc;
		rc = json_array_append_new(agents, json_string(a.id));
		store_agent_clear(&a);
		if (rc != 0)
			return ERR_NOMEM;
	}
	for (i = 0; i < b->nindicators; i++) {
		if ((rc = check_text(b->indicators[i].value, INCIDENT_VALUE_MAX,
		    0)) != 0)
			return rc;
		if ((rc = bulk_indicator(s, id, &b->indicators[i], &isnew)) != 0)
			return rc;
		if (isnew && json_array_append_new(inds, json_pack("{s:s, s:o}",
		    "kind", b->indicators[i].kind, "value",
		    jstr(b->indicators[i].value))) != 0)
			return ERR_NOMEM;
	}
	return 0;
}

int
incident_link_bulk(struct store *s, struct incident *cur, int64_t id,
    const struct incident_bulk *b, const char *actor, int64_t now)
{
	struct incident	 i;
	json_t		*d = NULL, *agents = NULL, *inds = NULL;
	uint64_t	 n;
	int64_t		 lo, hi;
	int		 rc, from;

	if (cur != NULL)
		memset(cur, 0, sizeof(*cur));
	if (b->delta != NULL)
		memset(b->delta, 0, sizeof(*b->delta));
	if ((rc = check_actor(actor)) != 0)
		return rc;
	if (sqlite3_get_autocommit(db_sqlite(store_db(s))) != 0)
		return ERR_STATE;
	if ((rc = incident_get(s, &i, id)) != 0)
		return rc;
	if (cur != NULL)
		*cur = i;
	if (i.merged_into != 0 || i.status == ST_RESOLVED ||
	    i.status == ST_CLOSED)
		return ERR_STATE;
	if ((d = b->detail ? json_deep_copy(b->detail) : json_object()) ==
	    NULL || (agents = json_array()) == NULL ||
	    (inds = json_array()) == NULL) {
		rc = ERR_NOMEM;
		goto done;
	}
	if ((rc = bulk_events(s, id, b, &n, &lo, &hi)) != 0 ||
	    (rc = bulk_members(s, id, b, agents, inds)) != 0)
		goto done;
	from = i.severity;
	if (n == 0 && json_array_size(agents) == 0 &&
	    json_array_size(inds) == 0 && b->severity <= from)
		goto done;			/* nothing new */
	i.alerts += n;
	if (b->nevents > 0 || b->nagents > 0 || b->nindicators > 0) {
		seen(&i, b->first);
		seen(&i, b->last);
	}
	if (b->severity > from && taxonomy_severity_name(b->severity) != NULL)
		i.severity = b->severity;
	i.updated = now;
	if (json_object_set_new(d, "events", json_integer((json_int_t)n)) ||
	    (n > 0 && (json_object_set_new(d, "first_event",
	    json_integer(lo)) || json_object_set_new(d, "last_event",
	    json_integer(hi)))) ||
	    (json_array_size(agents) > 0 && json_object_set(d, "agents",
	    agents)) ||
	    (json_array_size(inds) > 0 && json_object_set(d, "indicators",
	    inds)) ||
	    (i.severity != from && json_object_set_new(d, "severity",
	    json_pack("{s:s, s:s}", "from", taxonomy_severity_name(from),
	    "to", taxonomy_severity_name(i.severity))))) {
		rc = ERR_NOMEM;
		goto done;
	}
	if ((rc = inc_save(s, &i)) == 0)
		rc = audit(s, now, actor, "link", id, d);
	d = NULL;
	if (rc == 0 && cur != NULL)
		*cur = i;
	if (rc == 0 && b->delta != NULL)
		*b->delta = (struct incident_delta){ from, i.severity,
		    json_array_size(agents) };
done:
	json_decref(d);
	json_decref(agents);
	json_decref(inds);
	return rc;
}

/* ---- the responder's changes ---- */

/*
 * The shape of every change: in a transaction, read the incident, let
 * apply() check and change it (and write what else it must), save it,
 * log what apply() says changed, and leave the new state in *out.
 */
struct change {
	const char	*action;	/* the audit entry's */
	int		(*apply)(struct store *, struct incident *,
			    const struct change *, json_t **detail);
	int		 status;
	int		 resolution;
	const char	*text;
	int64_t		 at;
	int64_t		 into;
	const char	*actor;
	int64_t		 now;
};

static int
change(struct store *s, struct incident *out, int64_t id, struct change *c)
{
	struct incident	 i;
	json_t		*detail = NULL;
	int		 rc, own;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((rc = check_actor(c->actor)) != 0)
		return rc;
	if ((rc = txn_begin(s, &own)) != 0)
		return rc;
	if ((rc = incident_get(s, &i, id)) != 0 ||
	    (rc = c->apply(s, &i, c, &detail)) != 0)
		goto done;
	i.updated = c->now;
	if ((rc = inc_save(s, &i)) == 0)
		rc = audit(s, c->now, c->actor, c->action, id, detail);
	detail = NULL;
	if (rc == 0 && out != NULL)
		*out = i;
done:
	json_decref(detail);
	if ((rc = txn_end(s, own, rc)) != 0 && out != NULL)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* {"from": old status, "to": new[, "reopen": true]}, the status moved;
 * a reopen clears the resolution (the log keeps it). */
static int
move(struct incident *i, int to, json_t **detail)
{
	if (i->merged_into != 0 || !taxonomy_status_allowed(i->status, to))
		return ERR_STATE;
	*detail = json_pack("{s:s, s:s}", "from",
	    taxonomy_status_name(i->status), "to", taxonomy_status_name(to));
	if (*detail != NULL && taxonomy_status_reopens(i->status, to)) {
		if (json_object_set_new(*detail, "reopen", json_true()) != 0)
			return ERR_NOMEM;
		i->resolution = RES_NONE;
		i->reason[0] = '\0';
	}
	i->status = to;
	return *detail ? 0 : ERR_NOMEM;
}

static int
apply_status(struct store *s, struct incident *i, const struct change *c,
    json_t **detail)
{
	(void)s;
	if (c->status == ST_RESOLVED)	/* only with a resolution */
		return ERR_USAGE;
	return move(i, c->status, detail);
}

int
incident_set_status(struct store *s, struct incident *out, int64_t id,
    int status, const char *actor, int64_t now)
{
	struct change	c = { .action = "status", .apply = apply_status,
			    .status = status, .actor = actor, .now = now };

	if (taxonomy_status_name(status) == NULL)
		return ERR_USAGE;
	return change(s, out, id, &c);
}

static int
apply_assign(struct store *s, struct incident *i, const struct change *c,
    json_t **detail)
{
	(void)s;
	if (i->merged_into != 0 || i->status == ST_CLOSED)
		return ERR_STATE;
	*detail = json_pack("{s:o, s:o}", "from", jstr(i->assignee), "to",
	    jstr(c->text));
	(void)snprintf(i->assignee, sizeof(i->assignee), "%s", c->text);
	return *detail ? 0 : ERR_NOMEM;
}

int
incident_assign(struct store *s, struct incident *out, int64_t id,
    const char *assignee, const char *actor, int64_t now)
{
	struct change	c = { .action = "assign", .apply = apply_assign,
			    .text = assignee, .actor = actor, .now = now };
	int		rc;

	if ((rc = check_text(assignee, INCIDENT_NAME_MAX, 1)) != 0)
		return rc;
	return change(s, out, id, &c);
}

static int
apply_note(struct store *s, struct incident *i, const struct change *c,
    json_t **detail)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = stmt(s, I_NOTE_ADD)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, i->id) ||
	    sqlite3_bind_int64(st, 2, c->now) ||
	    sqlite3_bind_text(st, 3, c->actor, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, c->text, -1, SQLITE_STATIC)) {
		db_done(st);
		return db_fail(store_db(s), "incident note");
	}
	if ((rc = run(s, st, "incident note", NULL)) != 0)
		return rc;
	*detail = json_pack("{s:I, s:o}", "note", (json_int_t)
	    sqlite3_last_insert_rowid(db_sqlite(store_db(s))), "text",
	    jstr(c->text));
	return *detail ? 0 : ERR_NOMEM;
}

int
incident_note(struct store *s, struct incident *out, int64_t id,
    const char *text, const char *actor, int64_t now)
{
	struct change	c = { .action = "note", .apply = apply_note,
			    .text = text, .actor = actor, .now = now };
	int		rc;

	if ((rc = check_text(text, INCIDENT_TEXT_MAX, 0)) != 0)
		return rc;
	return change(s, out, id, &c);
}

static int
apply_resolve(struct store *s, struct incident *i, const struct change *c,
    json_t **detail)
{
	int	rc;

	(void)s;
	if ((rc = move(i, ST_RESOLVED, detail)) != 0)
		return rc;
	i->resolution = c->resolution;
	(void)snprintf(i->reason, sizeof(i->reason), "%s", c->text);
	if (json_object_set_new(*detail, "resolution", json_string(
	    taxonomy_resolution_name(c->resolution))) != 0 ||
	    json_object_set_new(*detail, "reason", jstr(c->text)) != 0)
		return ERR_NOMEM;
	return 0;
}

int
incident_resolve(struct store *s, struct incident *out, int64_t id,
    int resolution, const char *reason, const char *actor, int64_t now)
{
	struct change	c = { .action = "resolve", .apply = apply_resolve,
			    .resolution = resolution, .text = reason,
			    .actor = actor, .now = now };
	int		rc;

	if (resolution == RES_NONE ||
	    taxonomy_resolution_name(resolution) == NULL)
		return ERR_USAGE;
	if ((rc = check_text(reason, INCIDENT_TEXT_MAX, 0)) != 0)
		return rc;
	return change(s, out, id, &c);
}

static int
apply_reported(struct store *s, struct incident *i, const struct change *c,
    json_t **detail)
{
	(void)s;
	i->reported_at = c->at;
	(void)snprintf(i->reported_to, sizeof(i->reported_to), "%s",
	    c->text ? c->text : "");
	*detail = json_pack("{s:o, s:o}", "at", incident_json_time(c->at), "to",
	    jstr(i->reported_to));
	return *detail ? 0 : ERR_NOMEM;
}

int
incident_reported(struct store *s, struct incident *out, int64_t id,
    int64_t at, const char *to, const char *actor, int64_t now)
{
	struct change	c = { .action = "reported", .apply = apply_reported,
			    .at = at ? at : now, .text = to, .actor = actor,
			    .now = now };
	int		rc;

	if (to != NULL && *to != '\0' &&
	    (rc = check_text(to, INCIDENT_NAME_MAX, 1)) != 0)
		return rc;
	if (c.at <= 0)
		return ERR_USAGE;
	return change(s, out, id, &c);
}

/* The target's side of a merge: it takes what the merged one had. */
static int
absorb(struct store *s, const struct incident *from, const struct change *c)
{
	struct incident	 t;
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = incident_get(s, &t, c->into)) != 0)
		return rc;
	if (t.merged_into != 0)
		return ERR_STATE;
	if ((rc = run_ids(s, I_MERGE_EVENTS, from->id, t.id, "merge")) != 0 ||
	    (rc = run_ids(s, I_MERGE_AGENTS, from->id, t.id, "merge")) != 0 ||
	    (rc = run_ids(s, I_MERGE_INDICATORS, from->id, t.id, "merge")) != 0)
		return rc;
	if ((st = stmt(s, I_COUNT_EVENTS)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, t.id))
		rc = db_fail(store_db(s), "merge");
	else if ((rc = db_row(store_db(s), st, "merge")) == 0)
		t.alerts = (uint64_t)sqlite3_column_int64(st, 0);
	db_done(st);
	if (rc != 0)
		return rc;
	if (from->alerts > 0 || from->first_seen < t.first_seen)
		seen(&t, from->first_seen);
	seen(&t, from->last_seen);
	if (from->severity > t.severity)
		t.severity = from->severity;
	t.updated = c->now;
	if ((rc = inc_save(s, &t)) != 0)
		return rc;
	return audit(s, c->now, c->actor, "absorb", t.id, json_pack("{s:I}",
	    "merged", (json_int_t)from->id));
}

static int
apply_merge(struct store *s, struct incident *i, const struct change *c,
    json_t **detail)
{
	int	rc;

	if (i->merged_into != 0)
		return ERR_STATE;
	if ((rc = absorb(s, i, c)) != 0)
		return rc;
	*detail = json_pack("{s:I, s:s}", "into", (json_int_t)c->into,
	    "from", taxonomy_status_name(i->status));
	i->status = ST_CLOSED;
	i->resolution = RES_DUPLICATE;
	(void)snprintf(i->reason, sizeof(i->reason), "merged into %lld",
	    (long long)c->into);
	i->merged_into = c->into;
	return *detail ? 0 : ERR_NOMEM;
}

int
incident_merge(struct store *s, struct incident *out, int64_t id,
    int64_t into, const char *actor, int64_t now)
{
	struct change	c = { .action = "merge", .apply = apply_merge,
			    .into = into, .actor = actor, .now = now };

	if (id == into)
		return ERR_USAGE;
	return change(s, out, id, &c);
}

/* ---- lists ---- */

/* Bind text or NULL. */
static int
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, i);
}

static int
list_bind(sqlite3_stmt *st, const struct incident_query *q)
{
	return bind_opt(st, 1, q->status ? taxonomy_status_name(q->status) :
	    NULL) ||
	    (q->severity ? sqlite3_bind_int(st, 2, q->severity) :
	    sqlite3_bind_null(st, 2)) ||
	    bind_opt(st, 3, q->category) ||
	    (q->since ? sqlite3_bind_int64(st, 4, q->since) :
	    sqlite3_bind_null(st, 4)) ||
	    sqlite3_bind_int(st, 5, q->overdue != 0) ||
	    sqlite3_bind_int64(st, 6, q->now) ||
	    bind_opt(st, 7, q->office) ||
	    bind_opt(st, 8, q->agent) ||
	    sqlite3_bind_int64(st, 9, q->limit > 0 ? q->limit : -1);
}

/* Every row of a bound statement through read(): the shape of each list. */
static int
rows(struct store *s, sqlite3_stmt *st, const char *what,
    int (*emit)(sqlite3_stmt *, void *fn, void *arg), void *fn, void *arg)
{
	int	rc;

	while ((rc = db_row(store_db(s), st, what)) == 0)
		if ((rc = emit(st, fn, arg)) != 0)
			break;
	db_done(st);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

static int
emit_incident(sqlite3_stmt *st, void *fn, void *arg)
{
	struct incident	*i;
	int		 rc;

	if ((i = malloc(sizeof(*i))) == NULL)
		return ERR_NOMEM;
	if ((rc = inc_read(i, st)) == 0)
		rc = ((incident_cb)fn)(arg, i);
	free(i);
	return rc;
}

int
incident_each(struct store *s, const struct incident_query *q,
    incident_cb cb, void *arg)
{
	sqlite3_stmt	*st;

	if ((q->category != NULL && taxonomy_category(q->category) == NULL) ||
	    (q->status != 0 && taxonomy_status_name(q->status) == NULL) ||
	    (q->severity != 0 && taxonomy_severity_name(q->severity) == NULL))
		return ERR_USAGE;
	if ((st = stmt(s, I_LIST)) == NULL)
		return ERR_IO;
	if (list_bind(st, q)) {
		db_done(st);
		return db_fail(store_db(s), "incident list");
	}
	return bad_row(s, rows(s, st, "incident list", emit_incident,
	    (void *)cb, arg));
}

/* A statement of one incident's rows, bound. */
static sqlite3_stmt *
sub(struct store *s, int which, int64_t id)
{
	sqlite3_stmt	*st = stmt(s, which);

	if (st != NULL && sqlite3_bind_int64(st, 1, id)) {
		db_done(st);
		(void)db_fail(store_db(s), "incident rows");
		return NULL;
	}
	return st;
}

#define TEXT(st, c)	((const char *)sqlite3_column_text((st), (c)))

static int
emit_agent(sqlite3_stmt *st, void *fn, void *arg)
{
	struct incident_agent	a = { TEXT(st, 0), TEXT(st, 1), TEXT(st, 2),
				    sqlite3_column_int64(st, 3),
				    sqlite3_column_int64(st, 4) };

	if (a.id == NULL || a.name == NULL || a.office == NULL)
		return ERR_NOMEM;
	return ((incident_agent_cb)fn)(arg, &a);
}

static int
emit_indicator(sqlite3_stmt *st, void *fn, void *arg)
{
	struct incident_indicator	x = { TEXT(st, 0), TEXT(st, 1),
					    sqlite3_column_int64(st, 2),
					    sqlite3_column_int64(st, 3),
					    (uint64_t)sqlite3_column_int64(st,
					    4) };

	if (x.kind == NULL || x.value == NULL)
		return ERR_NOMEM;
	return ((incident_indicator_cb)fn)(arg, &x);
}

static int
emit_event(sqlite3_stmt *st, void *fn, void *arg)
{
	struct incident_event	e = { sqlite3_column_int64(st, 0),
				    TEXT(st, 1), TEXT(st, 2), TEXT(st, 3),
				    sqlite3_column_int64(st, 4), 0 };

	/* the collector's own events are stored below 0 (store.c) */
	if (sqlite3_column_int64(st, 5) > 0)
		e.seq = (uint64_t)sqlite3_column_int64(st, 5);
	if (e.agent_id == NULL || e.agent_name == NULL || e.type == NULL)
		return ERR_NOMEM;
	return ((incident_event_cb)fn)(arg, &e);
}

static int
emit_note(sqlite3_stmt *st, void *fn, void *arg)
{
	struct incident_note	n = { sqlite3_column_int64(st, 0),
				    sqlite3_column_int64(st, 1), TEXT(st, 2),
				    TEXT(st, 3) };

	if (n.author == NULL || n.text == NULL)
		return ERR_NOMEM;
	return ((incident_note_cb)fn)(arg, &n);
}

/* One incident's rows of a kind: 0 (none is not an error), ERR_IO. */
static int
sub_each(struct store *s, int which, int64_t id,
    int (*emit)(sqlite3_stmt *, void *, void *), void *fn, void *arg)
{
	sqlite3_stmt	*st;

	if ((st = sub(s, which, id)) == NULL)
		return ERR_IO;
	return rows(s, st, "incident rows", emit, fn, arg);
}

int
incident_agents_each(struct store *s, int64_t id, incident_agent_cb cb,
    void *arg)
{
	return sub_each(s, I_AGENTS, id, emit_agent, (void *)cb, arg);
}

int
incident_indicators_each(struct store *s, int64_t id,
    incident_indicator_cb cb, void *arg)
{
	return sub_each(s, I_INDICATORS, id, emit_indicator, (void *)cb, arg);
}

int
incident_events_each(struct store *s, int64_t id, incident_event_cb cb,
    void *arg)
{
	return sub_each(s, I_EVENTS, id, emit_event, (void *)cb, arg);
}

int
incident_notes_each(struct store *s, int64_t id, incident_note_cb cb,
    void *arg)
{
	return sub_each(s, I_NOTES, id, emit_note, (void *)cb, arg);
}
