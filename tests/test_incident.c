/*
 * test_incident.c: the incident register (collector/incident.c).
 *
 * Opening and reading back; every status transition of the table in
 * docs/taxonomy.md, allowed and refused, through the register; resolve,
 * reopen (the resolution cleared), close; assign, notes, reports and
 * the overdue rule; events, agents and indicators linked; the list's
 * filters against a naive model (every incident read back and filtered
 * by brute force); merge; text checks; a change inside the caller's
 * transaction rolled back with it; a store of the schema of main (1)
 * upgraded; and two threads changing one incident at once on their own
 * connections, as the CLI and the daemon would: no change lost, the
 * audit chain intact. After every test the chain verifies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "incident.h"
#include "log.h"
#include "store.h"
#include "raw_sql.h"
#include "store_fixture.h"
#include "taxonomy.h"

#define NOW	1800000000	/* 2027-01-15 */
#define DAY	86400

static int64_t
mkagent(struct store *s, int n, const char *name, const char *office)
{
	uint8_t	pub[KEY_LEN];
	char	id[AGENT_ID_STRLEN];
	int64_t	rowid;

	memset(pub, n, sizeof(pub));
	snprintf(id, sizeof(id), "%016x", n);
	assert_int_equal(store_agent_add(s, &rowid, id, pub, name, office,
	    NOW), 0);
	return rowid;
}

/* An alert of the agent at ts (seconds): its events.id. */
static int64_t
mkevent(struct store *s, int64_t agent, uint64_t seq, int64_t ts)
{
	struct store_event	 ev = { .agent_rowid = agent, .seq = seq,
				    .ts_us = ts * 1000000, .type = "alert",
				    .json = "{}", .len = 2 };
	sqlite3_stmt		*st;
	size_t			 n;
	int64_t			 id;

	assert_int_equal(store_events_insert(s, &ev, 1, &n), 0);
	assert_int_equal(sqlite3_prepare_v2(db_sqlite(store_db(s)),
	    "SELECT max(id) FROM events", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static int64_t
mkincident(struct store *s, const char *title, const char *cat, int sev,
    int64_t detected)
{
	struct incident_new	n = { .title = title, .category = cat,
				    .severity = sev, .detected = detected };
	int64_t			id;

	assert_int_equal(incident_open(s, &id, &n, "alice", NOW), 0);
	assert_true(id > 0);
	return id;
}

static void
chain_intact(struct store *s)
{
	struct audit_report	r;

	assert_int_equal(audit_verify(s, NULL, &r), 0);
	if (r.fault != AUDIT_INTACT)
		printf("# %s\n", r.why);
	assert_int_equal(r.fault, AUDIT_INTACT);
}

static int
teardown(void **state)
{
	struct store_fx	*f = *state;

	chain_intact(f->s);
	return store_teardown(state);
}

static void
test_open_get(void **state)
{
	struct store_fx		*f = *state;
	struct incident_new	 n = { .title = "Ransomware on pc-ketoan",
				    .category = "encryption",
				    .severity = SEV_CRITICAL, .tlp = TLP_RED };
	struct incident		 i;
	int64_t			 id, id2;
	json_t			*j;

	assert_int_equal(incident_open(f->s, &id, &n, "alice", NOW), 0);
	assert_int_equal(incident_get(f->s, &i, id), 0);
	assert_string_equal(i.title, n.title);
	assert_string_equal(i.category, "encryption");
	assert_int_equal(i.severity, SEV_CRITICAL);
	assert_int_equal(i.tlp, TLP_RED);
	assert_int_equal(i.status, ST_NEW);
	assert_int_equal(i.resolution, RES_NONE);
	assert_int_equal(i.created, NOW);
	assert_int_equal(i.deadline, NOW + 5 * DAY);	/* the default */
	assert_int_equal(i.reported_at, 0);
	assert_false(incident_overdue(&i, NOW + 5 * DAY - 1));
	assert_true(incident_overdue(&i, NOW + 5 * DAY));

	/* numbers are never reused; deadline period and default TLP */
	n.deadline_s = 2 * DAY;
	n.tlp = 0;
	n.detected = NOW - DAY;
	assert_int_equal(incident_open(f->s, &id2, &n, "alice", NOW), 0);
	assert_int_equal(id2, id + 1);
	assert_int_equal(incident_get(f->s, &i, id2), 0);
	assert_int_equal(i.deadline, NOW + DAY);
	assert_int_equal(i.tlp, TLP_AMBER);

	assert_non_null(j = incident_json(&i, NOW));
	assert_string_equal(json_string_value(json_object_get(j, "category_vi")),
	    "Tấn công mã hóa phần mềm, dữ liệu, thiết bị");
	assert_string_equal(json_string_value(json_object_get(j, "deadline")),
	    "2027-01-16T08:00:00Z");
	assert_true(json_is_null(json_object_get(j, "resolution")));
	json_decref(j);

	assert_int_equal(incident_get(f->s, &i, 999), ERR_NOTFOUND);
	/* refused: unknown words, bad text */
	n.category = "ransomware";
	assert_int_equal(incident_open(f->s, &id, &n, "alice", NOW), ERR_USAGE);
	assert_int_equal(id, 0);
	n.category = "other";
	n.severity = 9;
	assert_int_equal(incident_open(f->s, &id, &n, "alice", NOW), ERR_USAGE);
	n.severity = SEV_LOW;
	n.title = "two\nlines";
	assert_int_equal(incident_open(f->s, &id, &n, "alice", NOW),
	    ERR_MALFORMED);
	n.title = "ok";
	assert_int_equal(incident_open(f->s, &id, &n, "\xff", NOW),
	    ERR_MALFORMED);
	assert_int_equal(incident_open(f->s, &id, &n, "", NOW), ERR_MALFORMED);
}

/* Every (from, to) pair: the register allows exactly the table's. */
static void
test_transitions(void **state)
{
	struct store_fx	*f = *state;
	struct incident	 i;
	int		 from, to, rc;
	int64_t		 id;

	for (from = ST_NEW; from <= ST_CLOSED; from++) {
		for (to = ST_NEW; to <= ST_CLOSED; to++) {
			id = mkincident(f->s, "t", "other", SEV_LOW, 0);
			/* bring it to from */
			if (from == ST_RESOLVED || from == ST_CLOSED)
				assert_int_equal(incident_resolve(f->s, NULL,
				    id, RES_TRUE_POSITIVE, "done", "bob",
				    NOW), 0);
			if (from == ST_CLOSED || (from != ST_NEW &&
			    from != ST_RESOLVED))
				assert_int_equal(incident_set_status(f->s,
				    NULL, id, from, "bob", NOW), 0);
			assert_int_equal(incident_get(f->s, &i, id), 0);
			assert_int_equal(i.status, from);
			if (to == ST_RESOLVED)
				rc = incident_resolve(f->s, &i, id,
				    RES_FALSE_POSITIVE, "noise", "bob", NOW);
			else
				rc = incident_set_status(f->s, &i, id, to,
				    "bob", NOW);
			if (taxonomy_status_allowed(from, to)) {
				assert_int_equal(rc, 0);
				assert_int_equal(i.status, to);
			} else {
				assert_int_equal(rc, ERR_STATE);
				assert_int_equal(i.status, 0);	/* cleared */
				assert_int_equal(incident_get(f->s, &i, id),
				    0);
				assert_int_equal(i.status, from);
			}
		}
	}
	/* resolved only with a resolution */
	id = mkincident(f->s, "t", "other", SEV_LOW, 0);
	assert_int_equal(incident_set_status(f->s, NULL, id, ST_RESOLVED, "b",
	    NOW), ERR_USAGE);
	assert_int_equal(incident_set_status(f->s, NULL, id, 42, "b", NOW),
	    ERR_USAGE);
	assert_int_equal(incident_resolve(f->s, NULL, id, RES_NONE, "x", "b",
	    NOW), ERR_USAGE);
	assert_int_equal(incident_set_status(f->s, NULL, 999, ST_CONTAINED,
	    "b", NOW), ERR_NOTFOUND);
}

static void
test_resolve_reopen(void **state)
{
	struct store_fx	*f = *state;
	struct incident	 i;
	int64_t		 id = mkincident(f->s, "t", "malware", SEV_HIGH, 0);

	assert_int_equal(incident_set_status(f->s, &i, id, ST_ACKNOWLEDGED,
	    "bob", NOW + 1), 0);
	assert_int_equal(i.updated, NOW + 1);
	assert_int_equal(incident_resolve(f->s, &i, id, RES_FALSE_POSITIVE,
	    "a test file", "bob", NOW + 2), 0);
	assert_int_equal(i.status, ST_RESOLVED);
	assert_int_equal(i.resolution, RES_FALSE_POSITIVE);
	assert_string_equal(i.reason, "a test file");
	/* false positives need no report */
	assert_false(incident_overdue(&i, NOW + 100 * DAY));
	assert_int_equal(incident_set_status(f->s, &i, id, ST_CLOSED, "bob",
	    NOW + 3), 0);
	assert_int_equal(incident_set_status(f->s, &i, id, ST_INVESTIGATING,
	    "carol", NOW + 4), 0);		/* reopen */
	assert_int_equal(i.resolution, RES_NONE);
	assert_string_equal(i.reason, "");
	assert_true(incident_overdue(&i, NOW + 100 * DAY));
}

struct seen {
	int	n;
	char	last[256];
};

static int
note_cb(void *arg, const struct incident_note *n)
{
	struct seen	*s = arg;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s: %s", n->author, n->text);
	return 0;
}

static int
timeline_cb(void *arg, const struct audit_entry *e)
{
	struct seen	*s = arg;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s %s", e->actor, e->action);
	return 0;
}

static void
test_assign_note_report(void **state)
{
	struct store_fx	*f = *state;
	struct incident	 i;
	struct seen	 seen = { 0 };
	int64_t		 id = mkincident(f->s, "t", "dos", SEV_MEDIUM, 0);

	assert_int_equal(incident_assign(f->s, &i, id, "Nguyễn Văn An", "bob",
	    NOW), 0);
	assert_string_equal(i.assignee, "Nguyễn Văn An");
	assert_int_equal(incident_assign(f->s, &i, id, "\x1b[2J", "bob", NOW),
	    ERR_MALFORMED);
	assert_int_equal(incident_note(f->s, &i, id, "called the office;\n"
	    "they unplugged it", "bob", NOW), 0);
	assert_int_equal(incident_note(f->s, &i, id, "", "bob", NOW),
	    ERR_MALFORMED);
	assert_int_equal(incident_notes_each(f->s, id, note_cb, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.last, "bob: called the office;\n"
	    "they unplugged it");

	assert_true(incident_overdue(&i, NOW + 6 * DAY));
	assert_int_equal(incident_reported(f->s, &i, id, NOW + DAY,
	    "VNCERT/CC", "bob", NOW + 2 * DAY), 0);
	assert_int_equal(i.reported_at, NOW + DAY);
	assert_string_equal(i.reported_to, "VNCERT/CC");
	assert_false(incident_overdue(&i, NOW + 6 * DAY));
	assert_int_equal(incident_reported(f->s, &i, id, 0, NULL, "bob",
	    NOW + 3 * DAY), 0);		/* again: now, recipient unsaid */
	assert_int_equal(i.reported_at, NOW + 3 * DAY);

	/* the timeline: open, assign, note, reported twice */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(audit_each(f->s, id, timeline_cb, &seen), 0);
	assert_int_equal(seen.n, 5);
	assert_string_equal(seen.last, "bob reported");
}

static int
agent_cb(void *arg, const struct incident_agent *a)
{
	struct seen	*s = arg;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s@%s", a->name, a->office);
	return 0;
}

static int
event_cb(void *arg, const struct incident_event *e)
{
	struct seen	*s = arg;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s %s %llu", e->agent_name,
	    e->type, (unsigned long long)e->seq);
	return 0;
}

static int
indicator_cb(void *arg, const struct incident_indicator *x)
{
	struct seen	*s = arg;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s=%s x%llu %lld-%lld", x->kind,
	    x->value, (unsigned long long)x->count, (long long)x->first_seen,
	    (long long)x->last_seen);
	return 0;
}

static void
test_links(void **state)
{
	struct store_fx	*f = *state;
	struct incident	 i;
	struct seen	 seen = { 0 };
	int64_t		 a1 = mkagent(f->s, 1, "pc-ketoan", "Xã Tân Phú");
	int64_t		 a2 = mkagent(f->s, 2, "pc-vanthu", "Xã Tân Phú");
	int64_t		 e1 = mkevent(f->s, a1, 1, NOW - 100);
	int64_t		 e2 = mkevent(f->s, a2, 1, NOW - 200);
	int64_t		 id = mkincident(f->s, "t", "malware", SEV_HIGH, 0);

	assert_int_equal(incident_link_event(f->s, id, e1, "correlate", NOW),
	    0);
	assert_int_equal(incident_link_event(f->s, id, e2, "correlate", NOW),
	    0);
	assert_int_equal(incident_link_event(f->s, id, e2, "correlate", NOW),
	    0);				/* again: nothing */
	assert_int_equal(incident_link_event(f->s, id, 999, "correlate", NOW),
	    ERR_NOTFOUND);
	assert_int_equal(incident_get(f->s, &i, id), 0);
	assert_int_equal(i.alerts, 2);
	assert_int_equal(i.first_seen, NOW - 200);
	assert_int_equal(i.last_seen, NOW);	/* detected now */
	assert_int_equal(incident_events_each(f->s, id, event_cb, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.last, "pc-ketoan alert 1");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(incident_agents_each(f->s, id, agent_cb, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(incident_link_agent(f->s, id, a1, NOW + 5, "bob",
	    NOW), 0);
	assert_int_equal(incident_link_agent(f->s, id, 77, NOW, "bob", NOW),
	    ERR_NOTFOUND);

	assert_int_equal(incident_add_indicator(f->s, id, "hash", "abc", NOW,
	    "correlate", NOW), 0);
	assert_int_equal(incident_add_indicator(f->s, id, "hash", "abc",
	    NOW + 9, "correlate", NOW), 0);
	assert_int_equal(incident_add_indicator(f->s, id, "url", "x", NOW,
	    "correlate", NOW), ERR_USAGE);
	/* an agent's bytes: kept, only invalid UTF-8 refused */
	assert_int_equal(incident_add_indicator(f->s, id, "domain",
	    "e\x1b[31mvil.example", NOW, "correlate", NOW), 0);
	assert_int_equal(incident_add_indicator(f->s, id, "domain", "\xc0\xaf",
	    NOW, "correlate", NOW), ERR_MALFORMED);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(incident_indicators_each(f->s, id, indicator_cb,
	    &seen), 0);
	assert_int_equal(seen.n, 2);
}

static void
test_merge(void **state)
{
	struct store_fx	*f = *state;
	struct incident	 i, t;
	struct seen	 seen = { 0 };
	int64_t		 a1 = mkagent(f->s, 1, "pc1", "office-a");
	int64_t		 a2 = mkagent(f->s, 2, "pc2", "office-b");
	int64_t		 e1 = mkevent(f->s, a1, 1, NOW - 50);
	int64_t		 e2 = mkevent(f->s, a2, 1, NOW - 500);
	int64_t		 dup = mkincident(f->s, "dup", "malware", SEV_CRITICAL,
			    0);
	int64_t		 into = mkincident(f->s, "main", "malware", SEV_HIGH,
			    0);

	assert_int_equal(incident_link_event(f->s, dup, e1, "c", NOW), 0);
	assert_int_equal(incident_link_event(f->s, dup, e2, "c", NOW), 0);
	assert_int_equal(incident_link_event(f->s, into, e1, "c", NOW), 0);
	assert_int_equal(incident_add_indicator(f->s, dup, "ip", "10.0.0.9",
	    NOW, "c", NOW), 0);
	assert_int_equal(incident_add_indicator(f->s, into, "ip", "10.0.0.9",
	    NOW, "c", NOW), 0);

	assert_int_equal(incident_merge(f->s, &i, dup, dup, "bob", NOW),
	    ERR_USAGE);
	assert_int_equal(incident_merge(f->s, &i, dup, 999, "bob", NOW),
	    ERR_NOTFOUND);
	assert_int_equal(incident_merge(f->s, &i, dup, into, "bob", NOW), 0);
	assert_int_equal(i.status, ST_CLOSED);
	assert_int_equal(i.resolution, RES_DUPLICATE);
	assert_int_equal(i.merged_into, into);
	assert_false(incident_overdue(&i, NOW + 100 * DAY));
	assert_int_equal(incident_get(f->s, &t, into), 0);
	assert_int_equal(t.alerts, 2);		/* e1 once, and e2 */
	assert_int_equal(t.severity, SEV_CRITICAL);
	assert_int_equal(t.first_seen, NOW - 500);
	assert_int_equal(incident_agents_each(f->s, into, agent_cb, &seen), 0);
	assert_int_equal(seen.n, 2);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(incident_indicators_each(f->s, into, indicator_cb,
	    &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_non_null(strstr(seen.last, "x2"));

	/* a merged incident stays as it is */
	assert_int_equal(incident_merge(f->s, NULL, dup, into, "bob", NOW),
	    ERR_STATE);
	assert_int_equal(incident_set_status(f->s, NULL, dup,
	    ST_INVESTIGATING, "bob", NOW), ERR_STATE);
	assert_int_equal(incident_assign(f->s, NULL, dup, "x", "bob", NOW),
	    ERR_STATE);
	assert_int_equal(incident_link_event(f->s, dup, e1, "c", NOW),
	    ERR_STATE);
	assert_int_equal(incident_merge(f->s, NULL, into, dup, "bob", NOW),
	    ERR_STATE);		/* nor takes others */
	assert_int_equal(incident_note(f->s, NULL, dup, "still noted", "bob",
	    NOW), 0);
}

/* ---- lists against a naive model ---- */

struct collect {
	int64_t	ids[64];
	int	n;
};

static int
collect_cb(void *arg, const struct incident *i)
{
	struct collect	*c = arg;

	assert_true(c->n < 64);
	c->ids[c->n++] = i->id;
	return 0;
}

/* The model: does incident i match q? (office/agent: by the agents the
 * test linked, passed in) */
static int
model(const struct incident *i, const struct incident_query *q,
    const char *office_of, const char *agent_of)
{
	if (q->status && i->status != q->status)
		return 0;
	if (q->severity && i->severity != q->severity)
		return 0;
	if (q->category && strcmp(i->category, q->category) != 0)
		return 0;
	if (q->since && i->created < q->since)
		return 0;
	if (q->overdue && !incident_overdue(i, q->now))
		return 0;
	if (q->office && (office_of == NULL || strcmp(office_of, q->office)))
		return 0;
	if (q->agent && (agent_of == NULL || strcmp(agent_of, q->agent)))
		return 0;
	return 1;
}

static void
test_list(void **state)
{
	static const char *const cats[] = { "dos", "malware", "intrusion" };
	struct store_fx		*f = *state;
	struct incident_query	 qs[] = {
		{ 0 },
		{ .status = ST_NEW },
		{ .status = ST_RESOLVED },
		{ .severity = SEV_HIGH },
		{ .category = "malware" },
		{ .category = "malware", .severity = SEV_LOW },
		{ .since = NOW - 3 * DAY },
		{ .overdue = 1 },
		{ .office = "office-a" },
		{ .office = "nowhere" },
		{ .agent = "pc2" },
		{ .agent = "0000000000000001" },
		{ .office = "office-b", .overdue = 1 },
	};
	const char		*office[24] = { 0 }, *agent[24] = { 0 };
	struct incident		 in[24];
	struct collect		 c;
	int64_t			 a1 = mkagent(f->s, 1, "pc1", "office-a");
	int64_t			 a2 = mkagent(f->s, 2, "pc2", "office-b");
	int64_t			 id;
	size_t			 k;
	int			 n, j, expect;

	for (n = 0; n < 24; n++) {
		id = mkincident(f->s, "t", cats[n % 3], 1 + n % 4,
		    NOW - n * DAY / 2);
		assert_int_equal(id, n + 1);
		if (n % 5 == 0)
			assert_int_equal(incident_resolve(f->s, NULL, id,
			    1 + n % 4, "r", "bob", NOW), 0);
		if (n % 7 == 0)
			assert_int_equal(incident_reported(f->s, NULL, id, 0,
			    "x", "bob", NOW), 0);
		if (n % 3 == 1) {
			assert_int_equal(incident_link_agent(f->s, id, a1,
			    NOW, "bob", NOW), 0);
			office[n] = "office-a";
			agent[n] = "0000000000000001";
		} else if (n % 3 == 2) {
			assert_int_equal(incident_link_agent(f->s, id, a2,
			    NOW, "bob", NOW), 0);
			office[n] = "office-b";
			agent[n] = "pc2";
		}
	}
	for (n = 0; n < 24; n++)
		assert_int_equal(incident_get(f->s, &in[n], n + 1), 0);
	for (k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		qs[k].now = NOW;
		memset(&c, 0, sizeof(c));
		assert_int_equal(incident_each(f->s, &qs[k], collect_cb, &c),
		    0);
		/* newest first: walk the model the same way */
		for (j = 0, n = 23; n >= 0; n--) {
			expect = model(&in[n], &qs[k], office[n], agent[n]);
			if (!expect)
				continue;
			assert_true(j < c.n);
			assert_int_equal(c.ids[j], n + 1);
			j++;
		}
		assert_int_equal(j, c.n);
	}
	memset(&c, 0, sizeof(c));
	qs[0].category = "nope";
	assert_int_equal(incident_each(f->s, &qs[0], collect_cb, &c),
	    ERR_USAGE);
}

/* Inside the caller's transaction: rolled back with it, chain and all. */
static void
test_callers_transaction(void **state)
{
	struct store_fx		*f = *state;
	struct incident		 i;
	struct incident_new	 n = { .title = "t", .category = "other",
				    .severity = SEV_LOW };
	struct audit_report	 r;
	int64_t			 id, a = mkagent(f->s, 1, "pc1", "o");
	int64_t			 e = mkevent(f->s, a, 1, NOW);

	assert_int_equal(db_begin(store_db(f->s), DB_IMMEDIATE), 0);
	assert_int_equal(incident_open(f->s, &id, &n, "correlate", NOW), 0);
	assert_int_equal(incident_link_event(f->s, id, e, "correlate", NOW),
	    0);
	db_rollback(store_db(f->s));
	assert_int_equal(incident_get(f->s, &i, id), ERR_NOTFOUND);
	assert_int_equal(audit_verify(f->s, NULL, &r), 0);
	assert_int_equal(r.entries, 0);

	assert_int_equal(db_begin(store_db(f->s), DB_IMMEDIATE), 0);
	assert_int_equal(incident_open(f->s, &id, &n, "correlate", NOW), 0);
	assert_int_equal(incident_link_event(f->s, id, e, "correlate", NOW),
	    0);
	assert_int_equal(db_commit(store_db(f->s)), 0);
	assert_int_equal(incident_get(f->s, &i, id), 0);
	assert_int_equal(i.alerts, 1);
	assert_int_equal(audit_verify(f->s, NULL, &r), 0);
	assert_int_equal(r.entries, 2);		/* open, link */
}

/* A store of main's schema (version 1, before the register): made by
 * dropping what version 2 added, then opened by this build. */
static void
test_upgrade_from_1(void **state)
{
	static const char v1[] = "DROP TABLE incident_notes;"
	    "DROP TABLE incident_events; DROP TABLE incident_indicators;"
	    "DROP TABLE incident_agents; DROP TABLE incidents;"
	    "DROP TABLE audit_head; DROP TABLE audit;"
	    "DELETE FROM sqlite_sequence; PRAGMA user_version = 1";
	struct store_fx		*f = *state;
	struct store_agent	 a;
	int64_t			 id;

	mkagent(f->s, 1, "pc1", "office-a");
	store_close(f->s);
	f->s = NULL;
	raw_exec(f->tf.path, v1);

	assert_int_equal(store_open(&f->s, f->tf.path), 0);
	assert_int_equal(store_agent_get(f->s, &a, "pc1"), 0);
	assert_string_equal(a.office, "office-a");
	store_agent_clear(&a);
	id = mkincident(f->s, "after the upgrade", "other", SEV_LOW, 0);
	assert_int_equal(incident_link_agent(f->s, id, 1, NOW, "bob", NOW), 0);
	chain_intact(f->s);
}

/* ---- two writers ---- */

struct writer {
	const char	*path;
	int64_t		 id;
	const char	*who;
	int		 rc;
};

#define ROUNDS	40

static void *
writer_run(void *arg)
{
	struct writer	*w = arg;
	struct store	*s;
	char		 text[64];
	int		 k;

	if ((w->rc = store_open(&s, w->path)) != 0)
		return NULL;
	for (k = 0; k < ROUNDS && w->rc == 0; k++) {
		snprintf(text, sizeof(text), "%s %d", w->who, k);
		w->rc = incident_note(s, NULL, w->id, text, w->who, NOW + k);
		if (w->rc == 0)
			w->rc = incident_assign(s, NULL, w->id, text, w->who,
			    NOW + k);
	}
	store_close(s);
	return NULL;
}

static void
test_concurrent(void **state)
{
	struct store_fx		*f = *state;
	struct writer		 w[2] = { { .who = "alice" }, { .who = "bob" } };
	pthread_t		 t[2];
	struct seen		 seen = { 0 };
	struct audit_report	 r;
	int64_t			 id = mkincident(f->s, "t", "other", SEV_LOW,
				    0);
	int			 k;

	for (k = 0; k < 2; k++) {
		w[k].path = f->tf.path;
		w[k].id = id;
		assert_int_equal(pthread_create(&t[k], NULL, writer_run, &w[k]),
		    0);
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(pthread_join(t[k], NULL), 0);
		assert_int_equal(w[k].rc, 0);
	}
	assert_int_equal(incident_notes_each(f->s, id, note_cb, &seen), 0);
	assert_int_equal(seen.n, 2 * ROUNDS);
	assert_int_equal(audit_verify(f->s, NULL, &r), 0);
	assert_int_equal(r.fault, AUDIT_INTACT);
	assert_int_equal(r.entries, 1 + 4 * ROUNDS);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, store_setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_get),
		T(test_transitions),
		T(test_resolve_reopen),
		T(test_assign_note_report),
		T(test_links),
		T(test_merge),
		T(test_list),
		T(test_callers_transaction),
		T(test_upgrade_from_1),
		T(test_concurrent),
	};

	log_init("test_incident", LOG_LVL_INFO, 0);
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
