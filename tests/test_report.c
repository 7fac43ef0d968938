/*
 * test_report.c: the periodic report (collector/report.c, report_fmt.c)
 * against a fixture store with known counts: two offices, alerts on
 * known days, incidents opened, acknowledged, resolved and reported at
 * known times (one overdue, one late, one false positive), notifications
 * and a purge. Every figure is checked in the JSON; Markdown and CSV for
 * the figures and the headings in both languages; an empty month, a
 * month before any agent, an office with none, a quarter, a half year
 * and a year.
 *
 * Times are in Asia/Ho_Chi_Minh (UTC+7), as on a commune's server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "audit.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "incident.h"
#include "report.h"
#include "store.h"
#include "store_fixture.h"
#include "taxonomy.h"

#define NOV	1793466000LL	/* 2026-11-01T00:00:00+0700 */
#define DAY	86400LL
#define HOUR	3600LL
#define T(d, h)	(NOV + ((d) - 1) * DAY + (h) * HOUR)	/* 2026-11-d h:00 */
#define OCT(d)	(NOV - 31 * DAY + ((d) - 1) * DAY)
#define GEN	(NOV + 32 * DAY + 10 * HOUR)	/* generated: 2026-12-03 */
#define A	"Xã An"
#define B	"Xã Bình"

struct fx {
	struct store_fx		 sf;
	struct config_list	 critical;
	int64_t			 a1, a2, b1, b2;
	int64_t			 i1, i2, i3, i4, i5, i6;
};

static uint64_t	seqs[8];

static int64_t
mkagent(struct store *s, int n, const char *name, const char *office,
    int64_t enrolled)
{
	uint8_t	pub[KEY_LEN];
	char	id[AGENT_ID_STRLEN];
	int64_t	rowid;

	memset(pub, n, sizeof(pub));
	snprintf(id, sizeof(id), "%016x", n);
	assert_int_equal(store_agent_add(s, &rowid, id, pub, name, office,
	    enrolled), 0);
	return rowid;
}

/* An event of the agent at t (seconds); seq 0: the collector's own. */
static void
mkevent_sev(struct store *s, int64_t agent, int own, int64_t t,
    const char *type, const char *json, int sev)
{
	struct store_event	ev = { .agent_rowid = agent,
				    .ts_us = t * 1000000, .type = type,
				    .json = json, .len = strlen(json),
				    .severity = sev };
	size_t			n;

	ev.seq = own ? 0 : ++seqs[agent % 8];
	assert_int_equal(store_events_insert(s, &ev, 1, &n), 0);
	assert_int_equal(n, 1);
}

static void
mkevent(struct store *s, int64_t agent, int own, int64_t t,
    const char *type, const char *json)
{
	mkevent_sev(s, agent, own, t, type, json, 0);
}

static void
alert(struct store *s, int64_t agent, int64_t t, int sid, int sev,
    const char *cat)
{
	char	json[256];

	snprintf(json, sizeof(json), "{\"event_type\":\"alert\",\"alert\":"
	    "{\"gid\":1,\"signature_id\":%d,\"signature\":\"sig %d\","
	    "\"category\":\"%s\",\"severity\":%d}}", sid, sid, cat, sev);
	mkevent_sev(s, agent, 0, t, "alert", json, sev);
}

static int64_t
mkincident(struct store *s, const char *cat, int sev, int64_t detected,
    int64_t agent)
{
	struct incident_new	n = { .title = "t", .category = cat,
				    .severity = sev, .detected = detected };
	int64_t			id;

	assert_int_equal(incident_open(s, &id, &n, "test", detected), 0);
	if (agent != 0)
		assert_int_equal(incident_link_agent(s, id, agent, detected,
		    "test", detected), 0);
	return id;
}

static void
ack(struct store *s, int64_t id, int64_t t)
{
	assert_int_equal(incident_set_status(s, NULL, id, ST_ACKNOWLEDGED,
	    "test", t), 0);
}

static void
resolve(struct store *s, int64_t id, int res, int64_t t)
{
	assert_int_equal(incident_resolve(s, NULL, id, res, "done", "test",
	    t), 0);
}

static void	sql(struct store *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
sql(struct store *s, const char *fmt, ...)
{
	char	q[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	assert_int_equal(sqlite3_exec(db_sqlite(store_db(s)), q, NULL, NULL,
	    NULL), SQLITE_OK);
}

static void
purge(struct store *s, int64_t t, int events)
{
	json_t	*d = json_pack("{s:i}", "events", events);

	assert_int_equal(db_begin(store_db(s), DB_IMMEDIATE), 0);
	assert_int_equal(audit_append(s, t, "retention", "purge", 0, d), 0);
	assert_int_equal(db_commit(store_db(s)), 0);
	json_decref(d);
}

static void
heartbeat(struct store *s, int64_t agent, int64_t t, const char *version,
    const char *json)
{
	assert_int_equal(store_agent_heartbeat(s, agent, t, version, json,
	    json ? strlen(json) : 0), 0);
}

static void
fill(struct fx *f)
{
	struct store	*s = f->sf.s;
	int64_t		 enrolled = NOV - 100 * DAY;

	f->a1 = mkagent(s, 1, "pc-a1", A, enrolled);
	f->a2 = mkagent(s, 2, "pc-a2", A, enrolled);
	f->b1 = mkagent(s, 3, "pc-b1", B, enrolled);
	f->b2 = mkagent(s, 4, "pc-b2", B, NOV + 49 * DAY);	/* Dec 20 */
	heartbeat(s, f->a1, GEN - DAY, "0.1.0",
	    "{\"rules\":{\"yara\":{\"version\":\"abc\"}},"
	    "\"drops\":{\"total\":7}}");
	heartbeat(s, f->a2, GEN - 2 * DAY, "0.2.0",
	    "{\"rules\":{\"yara\":{\"version\":\"def\"}}}");
	heartbeat(s, f->b1, OCT(15), "0.2.0",
	    "{\"rules\":{\"yara\":{\"version\":\"def\"}}}");

	alert(s, f->a1, T(1, 8), 100, 1, "Trojan");
	alert(s, f->a1, T(1, 8) + 60, 100, 1, "Trojan");
	alert(s, f->a1, T(3, 9), 200, 2, "Scan");
	alert(s, f->a1, T(30, 20), 100, 1, "Trojan");
	alert(s, f->a2, T(2, 8), 200, 2, "Scan");
	alert(s, f->b1, NOV - 47 * DAY, 300, 3, "Other");	/* Sep 15 */
	alert(s, f->b1, NOV + 39 * DAY, 300, 3, "Other");	/* Dec 10 */
	mkevent(s, f->a2, 0, T(2, 9), "integrity",
	    "{\"integrity\":{\"path\":\"/etc/passwd\","
	    "\"change\":\"modified\"}}");
	mkevent(s, f->a2, 0, T(2, 9), "integrity",
	    "{\"integrity\":{\"path\":\"/home/u/x\",\"change\":\"added\"}}");
	mkevent(s, f->a2, 1, T(2, 9), "agent_health",
	    "{\"agent_health\":{\"source\":\"collector\",\"quota\":"
	    "{\"events_over\":5},\"refused\":{\"events\":3}}}");
	mkevent(s, f->a2, 1, T(2, 10), "agent_health",
	    "{\"agent_health\":{\"source\":\"collector\",\"refused\":"
	    "{\"reason\":\"over max_event_size\",\"length\":70000}}}");

	/* i1: critical, acked in 30 min, resolved in a day, reported */
	f->i1 = mkincident(s, "malware", SEV_CRITICAL, T(5, 10), f->a1);
	ack(s, f->i1, T(5, 10) + 1800);
	resolve(s, f->i1, RES_TRUE_POSITIVE, T(6, 10));
	assert_int_equal(incident_reported(s, NULL, f->i1, T(7, 10), "VNCERT",
	    "test", T(7, 10)), 0);
	assert_int_equal(incident_add_indicator(s, f->i1, "ip", "203.0.113.9",
	    T(5, 10), "test", T(5, 10)), 0);
	assert_int_equal(incident_add_indicator(s, f->i1, "rule", "1:100",
	    T(5, 10), "test", T(5, 10)), 0);
	/* i2: high, acked in 2 h, never reported: overdue */
	f->i2 = mkincident(s, "intrusion", SEV_HIGH, T(10, 0), f->a2);
	ack(s, f->i2, T(10, 2));
	/* i3: critical, acked in 3 h, a false positive a day later */
	f->i3 = mkincident(s, "dos", SEV_CRITICAL, T(12, 0), f->b1);
	ack(s, f->i3, T(12, 3));
	resolve(s, f->i3, RES_FALSE_POSITIVE, T(13, 2));
	/* i4: October, still open; i5: October, resolved in November */
	f->i4 = mkincident(s, "malware", SEV_MEDIUM, OCT(20), f->a1);
	f->i5 = mkincident(s, "malware", SEV_MEDIUM, OCT(25), f->b1);
	assert_int_equal(incident_reported(s, NULL, f->i5, OCT(26), "VNCERT",
	    "test", OCT(26)), 0);
	resolve(s, f->i5, RES_TRUE_POSITIVE, T(3, 0));
	assert_int_equal(incident_set_status(s, NULL, f->i5, ST_CLOSED, "test",
	    T(4, 0)), 0);
	/* i6: by hand, no agent, reported after its deadline */
	f->i6 = mkincident(s, "other", SEV_LOW, T(20, 0), 0);
	assert_int_equal(incident_reported(s, NULL, f->i6, T(28, 0), NULL,
	    "test", T(28, 0)), 0);

	sql(s, "INSERT INTO notifications (incident, time, channel, target,"
	    " change, attempt, outcome) VALUES"
	    " (%lld, %lld, 'webhook', 'x', 'new', 1, 'sent'),"
	    " (%lld, %lld, 'mail', 'x', 'new', 1, 'sent'),"
	    " (%lld, %lld, 'webhook', 'x', 'new', 1, 'failed'),"
	    " (NULL, %lld, 'mail', 'x', 'summary', 1, 'sent'),"
	    " (%lld, %lld, 'mail', 'x', 'new', 1, 'sent')",
	    (long long)f->i1, (long long)T(5, 11), (long long)f->i1,
	    (long long)T(5, 12), (long long)f->i3, (long long)T(12, 1),
	    (long long)T(20, 0), (long long)f->i1, (long long)OCT(1));
	purge(s, T(15, 0), 42);
	purge(s, OCT(15), 1000);
}

static int
setup(void **state)
{
	struct fx	*f;

	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	if ((f = store_fx_new(sizeof(*f))) == NULL)
		return -1;
	f->critical.n = 2;
	snprintf(f->critical.item[0], CONFIG_ITEM_MAX, "/etc/passwd");
	snprintf(f->critical.item[1], CONFIG_ITEM_MAX, "/boot");
	memset(seqs, 0, sizeof(seqs));
	fill(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	store_fx_free(*state);
	return 0;
}

static json_t *
build(struct fx *f, int kind, const char *period, const char *office)
{
	struct report_opts	 o = { .office = office, .now = GEN,
				    .by = "tester", .critical = &f->critical };
	json_t			*doc;

	assert_int_equal(report_period_parse(&o.period, kind, period), 0);
	assert_int_equal(report_build(&doc, f->sf.s, &o), 0);
	assert_non_null(doc);
	return doc;
}

/* The number at a dotted path below j ("coverage.enrolled"). */
static json_int_t
num(const json_t *j, const char *path)
{
	char	 buf[128], *p, *save = NULL;
	json_t	*v = (json_t *)j;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p != NULL;
	    p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	if (!json_is_integer(v))
		fail_msg("%s: not a number", path);
	return json_integer_value(v);
}

static const json_t *
office(const json_t *doc, const char *name)
{
	const json_t	*b;
	size_t		 i;

	json_array_foreach(json_object_get(doc, "offices"), i, b)
		if (strcmp(json_string_value(json_object_get(b, "office")),
		    name) == 0)
			return b;
	fail_msg("no office %s", name);
	return NULL;
}

/* The status of control id in arr. */
static const char *
control(const json_t *arr, const char *id)
{
	const json_t	*c;
	size_t		 i;

	json_array_foreach(arr, i, c)
		if (strcmp(json_string_value(json_object_get(c, "id")),
		    id) == 0)
			return json_string_value(json_object_get(c, "status"));
	fail_msg("no control %s", id);
	return NULL;
}

/* ---- periods ---- */

static void
test_periods(void **state)
{
	struct report_period	p;
	static const char *const bad[][2] = {
		{ "0", "2026-13" }, { "0", "2026-00" }, { "0", "2026-1" },
		{ "0", "26-11" }, { "0", "2026-11x" }, { "0", "2026/11" },
		{ "1", "2026-Q5" }, { "1", "2026-Q0" }, { "1", "2026-q4" },
		{ "2", "2026-H3" }, { "2", "2026-H" }, { "3", "1969" },
		{ "3", "20260" }, { "3", "" }, { "0", "+026-11" },
	};
	size_t			i;

	(void)state;
	assert_int_equal(report_period_parse(&p, REPORT_MONTH, "2026-11"), 0);
	assert_int_equal(p.from, NOV);
	assert_int_equal(p.to, NOV + 30 * DAY);
	assert_string_equal(p.label, "2026-11");
	assert_int_equal(report_period_parse(&p, REPORT_MONTH, "2026-12"), 0);
	assert_int_equal(p.to, NOV + 61 * DAY);		/* into 2027 */
	assert_int_equal(report_period_parse(&p, REPORT_QUARTER, "2026-Q4"),
	    0);
	assert_int_equal(p.from, NOV - 31 * DAY);
	assert_int_equal(p.to, NOV + 61 * DAY);
	assert_int_equal(report_period_parse(&p, REPORT_HALF, "2026-H2"), 0);
	assert_int_equal(p.from, NOV - (31 + 30 + 31 + 31) * DAY); /* Jul 1 */
	assert_int_equal(p.to, NOV + 61 * DAY);
	assert_int_equal(report_period_parse(&p, REPORT_HALF, "2026-H1"), 0);
	assert_int_equal(p.to, NOV - (31 + 30 + 31 + 31) * DAY);
	assert_int_equal(report_period_parse(&p, REPORT_YEAR, "2026"), 0);
	assert_int_equal(p.to, NOV + 61 * DAY);
	assert_int_equal(p.to - p.from, 365 * DAY);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (report_period_parse(&p, bad[i][0][0] - '0', bad[i][1]) !=
		    ERR_MALFORMED)
			fail_msg("'%s' taken", bad[i][1]);
	assert_int_equal(report_period_parse(&p, 7, "2026"), ERR_MALFORMED);
}

/* ---- the month, every figure ---- */

static void
test_month_coverage(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2026-11", NULL);
	const json_t	*t = json_object_get(doc, "total");
	const json_t	*a = office(doc, A), *b = office(doc, B);

	assert_int_equal(json_array_size(json_object_get(doc, "offices")), 2);
	assert_int_equal(num(t, "coverage.enrolled"), 3);	/* not b2 */
	assert_int_equal(num(t, "coverage.reported"), 2);
	assert_int_equal(num(t, "coverage.silent_24h"), 2);
	assert_int_equal(num(a, "coverage.enrolled"), 2);
	assert_int_equal(num(a, "coverage.reported"), 2);
	assert_int_equal(num(a, "coverage.silent_24h"), 1);	/* a2 */
	assert_int_equal(num(a, "coverage.outdated_version"), 1); /* a1 */
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(a, "coverage"), "newest_version")), "0.2.0");
	assert_int_equal(num(a, "coverage.rules_known"), 2);
	assert_int_equal(num(a, "coverage.rules_differ"), 1);	/* a2 */
	assert_int_equal(num(a, "coverage.heartbeat_drops"), 7);
	assert_int_equal(num(a, "coverage.health_events"), 2);
	assert_int_equal(num(a, "coverage.refused_events"), 4);
	assert_int_equal(num(a, "coverage.events_over_quota"), 5);
	assert_int_equal(num(b, "coverage.enrolled"), 1);
	assert_int_equal(num(b, "coverage.reported"), 0);
	assert_int_equal(num(b, "coverage.health_events"), 0);
	assert_int_equal(num(t, "coverage.health_events"), 2);
	/* a1 was heard from last: its rule set is the newest */
	assert_int_equal(num(t, "coverage.rules_known"), 3);
	assert_int_equal(num(t, "coverage.rules_differ"), 2);
	json_decref(doc);
}

static void
test_month_detections(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2026-11", NULL);
	const json_t	*t = json_object_get(doc, "total");
	const json_t	*a = office(doc, A), *b = office(doc, B);
	json_t		*want, *v;
	const char	*key;
	char		*got, *exp;

	assert_int_equal(num(t, "detections.alerts"), 5);
	assert_int_equal(num(a, "detections.alerts"), 5);
	assert_int_equal(num(b, "detections.alerts"), 0);
	assert_int_equal(num(a, "detections.integrity.changes"), 2);
	assert_int_equal(num(a, "detections.integrity.critical_paths"), 1);
	assert_int_equal(num(t, "detections.integrity.critical_paths"), 1);
	want = json_pack("{s:[{s:s,s:i},{s:s,s:i}], s:[{s:i,s:i},{s:i,s:i}],"
	    " s:[{s:s,s:i},{s:s,s:i},{s:s,s:i},{s:s,s:i}],"
	    " s:[{s:i,s:i,s:s,s:i},{s:i,s:i,s:s,s:i}],"
	    " s:[{s:s,s:s,s:i},{s:s,s:s,s:i}], s:[{s:s,s:s,s:i}]}",
	    "by_category", "category", "Trojan", "count", 3, "category",
	    "Scan", "count", 2,
	    "by_severity", "severity", 1, "count", 3, "severity", 2, "count", 2,
	    "by_day", "day", "2026-11-01", "count", 2, "day", "2026-11-02",
	    "count", 1, "day", "2026-11-03", "count", 1, "day", "2026-11-30",
	    "count", 1,
	    "top_rules", "gid", 1, "sid", 100, "signature", "sig 100", "count",
	    3, "gid", 1, "sid", 200, "signature", "sig 200", "count", 2,
	    "top_hosts", "agent_id", "0000000000000001", "name", "pc-a1",
	    "count", 4, "agent_id", "0000000000000002", "name", "pc-a2",
	    "count", 1,
	    "top_indicators", "kind", "ip", "value", "203.0.113.9", "count", 1);
	assert_non_null(want);
	json_object_foreach(want, key, v) {
		if (!json_equal(v, json_object_get(json_object_get(t,
		    "detections"), key)) || !json_equal(v, json_object_get(
		    json_object_get(a, "detections"), key))) {
			got = json_dumps(json_object_get(json_object_get(t,
			    "detections"), key), 0);
			exp = json_dumps(v, 0);
			fail_msg("%s: %s, want %s", key, got, exp);
		}
		assert_int_equal(json_array_size(json_object_get(
		    json_object_get(b, "detections"), key)), 0);
	}
	json_decref(want);
	json_decref(doc);
}

static void
test_month_incidents(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2026-11", NULL);
	const json_t	*t = json_object_get(doc, "total");
	const json_t	*a = office(doc, A), *b = office(doc, B);

	assert_int_equal(num(t, "incidents.opened"), 4);
	assert_int_equal(num(t, "incidents.closed"), 3);
	assert_int_equal(num(t, "incidents.open_at_end"), 3);
	assert_int_equal(num(t, "incidents.by_category.malware"), 1);
	assert_int_equal(num(t, "incidents.by_category.other"), 1);
	assert_int_equal(num(t, "incidents.by_severity.critical"), 2);
	assert_int_equal(num(t, "incidents.by_severity.low"), 1);
	assert_int_equal(num(t, "incidents.time_to_ack.count"), 3);
	assert_int_equal(num(t, "incidents.time_to_ack.median_s"), 7200);
	assert_int_equal(num(t, "incidents.time_to_ack.p90_s"), 10800);
	assert_int_equal(num(t, "incidents.time_to_resolve.count"), 2);
	assert_int_equal(num(t, "incidents.time_to_resolve.median_s"), DAY);
	assert_int_equal(num(t, "incidents.time_to_resolve.p90_s"),
	    DAY + 2 * HOUR);
	assert_int_equal(num(t, "incidents.critical"), 2);
	assert_int_equal(num(t, "incidents.critical_acked_1h"), 1);
	assert_int_equal(num(t, "incidents.reported_in_time"), 1);
	assert_int_equal(num(t, "incidents.reported_late"), 1);
	assert_int_equal(num(t, "incidents.overdue"), 1);
	assert_int_equal(num(t, "incidents.pending"), 0);
	assert_int_equal(num(t, "incidents.no_report_needed"), 1);

	assert_int_equal(num(a, "incidents.opened"), 2);
	assert_int_equal(num(a, "incidents.closed"), 1);
	assert_int_equal(num(a, "incidents.open_at_end"), 2);	/* i2, i4 */
	assert_int_equal(num(a, "incidents.time_to_ack.median_s"), 1800);
	assert_int_equal(num(a, "incidents.time_to_ack.p90_s"), 7200);
	assert_int_equal(num(b, "incidents.opened"), 1);
	assert_int_equal(num(b, "incidents.closed"), 2);	/* i3, i5 */
	assert_int_equal(num(b, "incidents.open_at_end"), 0);
	assert_int_equal(num(b, "incidents.no_report_needed"), 1);
	assert_true(json_is_null(json_object_get(json_object_get(
	    json_object_get(b, "incidents"), "time_to_resolve"), "p90_s")) ==
	    0);
	json_decref(doc);
}

/* The figure at key of the evidence of control id in arr. */
static json_int_t
evidence(const json_t *arr, const char *id, const char *key)
{
	const json_t	*c;
	size_t		 i;

	json_array_foreach(arr, i, c)
		if (strcmp(json_string_value(json_object_get(c, "id")), id) ==
		    0)
			return json_integer_value(json_object_get(
			    json_object_get(c, "evidence"), key));
	fail_msg("no control %s", id);
	return -1;
}

static json_t *
build_opts(struct fx *f, struct report_opts *o)
{
	json_t	*doc;

	o->now = GEN;
	o->by = "tester";
	assert_int_equal(report_period_parse(&o->period, REPORT_MONTH,
	    "2026-11"), 0);
	assert_int_equal(report_build(&doc, f->sf.s, o), 0);
	return doc;
}

/*
 * rules_fresh: the rules' age at the end of the period (Dec 1), the newer
 * of the YARA and traffic dates of the last heartbeat, for the agents
 * that reported (a1, a2; b1 did not: not counted).
 */
static void
test_rules_fresh(void **state)
{
	struct fx		*f = *state;
	struct report_opts	 o = { 0 };
	const int64_t		 end = NOV + 30 * DAY;
	json_t			*doc;
	const json_t		*ca, *cb;
	char			 hb[256];

	/* a1: YARA 2 days old, traffic older; a2: both 8 days old */
	snprintf(hb, sizeof(hb), "{\"rules\":{\"yara\":{\"newest\":%lld}},"
	    "\"network\":{\"rules\":{\"newest\":%lld}}}",
	    (long long)(end - 2 * DAY), (long long)(end - 20 * DAY));
	heartbeat(f->sf.s, f->a1, GEN - DAY, "0.2.0", hb);
	snprintf(hb, sizeof(hb), "{\"rules\":{\"yara\":{\"newest\":%lld}},"
	    "\"network\":{\"rules\":{\"newest\":%lld}}}",
	    (long long)(end - 9 * DAY), (long long)(end - 8 * DAY));
	heartbeat(f->sf.s, f->a2, GEN - DAY, "0.2.0", hb);
	heartbeat(f->sf.s, f->b1, GEN - DAY, "0.2.0",
	    "{\"rules\":{\"yara\":{\"newest\":1}}}");
	doc = build_opts(f, &o);
	ca = json_object_get(office(doc, A), "controls");
	cb = json_object_get(office(doc, B), "controls");
	assert_string_equal(control(ca, "rules_fresh"), "fail");
	assert_int_equal(evidence(ca, "rules_fresh", "fresh"), 1);
	assert_int_equal(evidence(ca, "rules_fresh", "stale"), 1);
	assert_int_equal(evidence(ca, "rules_fresh", "undated"), 0);
	assert_int_equal(evidence(ca, "rules_fresh", "max_age_s"), 7 * DAY);
	assert_string_equal(control(cb, "rules_fresh"), "unknown");
	assert_int_equal(evidence(cb, "rules_fresh", "stale"), 0);
	json_decref(doc);

	/* 8 days allowed: both pass (the limit is inclusive) */
	o.rules_max_age = 8 * DAY;
	doc = build_opts(f, &o);
	ca = json_object_get(office(doc, A), "controls");
	assert_string_equal(control(ca, "rules_fresh"), "pass");
	assert_int_equal(evidence(ca, "rules_fresh", "fresh"), 2);
	assert_int_equal(evidence(ca, "rules_fresh", "max_age_s"), 8 * DAY);
	json_decref(doc);

	/* a2 says nothing of its rules' date, or a date after the period
	 * (rules changed since): unknown for it, a1 decides */
	o.rules_max_age = 0;
	heartbeat(f->sf.s, f->a2, GEN - DAY, "0.2.0",
	    "{\"rules\":{\"yara\":{\"version\":\"x\"}}}");
	doc = build_opts(f, &o);
	ca = json_object_get(office(doc, A), "controls");
	assert_string_equal(control(ca, "rules_fresh"), "pass");
	assert_int_equal(evidence(ca, "rules_fresh", "undated"), 1);
	json_decref(doc);
	snprintf(hb, sizeof(hb), "{\"rules\":{\"yara\":{\"newest\":%lld}}}",
	    (long long)(end + 1));
	heartbeat(f->sf.s, f->a1, GEN - DAY, "0.2.0", hb);
	doc = build_opts(f, &o);
	ca = json_object_get(office(doc, A), "controls");
	assert_string_equal(control(ca, "rules_fresh"), "unknown");
	assert_int_equal(evidence(ca, "rules_fresh", "undated"), 2);
	json_decref(doc);
}

/* An incident opened in November and resolved on December 2 (before the
 * report is made): open at the period's end, not closed in it; its
 * acknowledgement and resolution count for the times (made later). */
static void
test_changed_after_end(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2026-11", NULL);
	const json_t	*a = office(doc, A);
	json_int_t	 open = num(a, "incidents.open_at_end");
	json_int_t	 closed = num(a, "incidents.closed");
	json_int_t	 acks = num(a, "incidents.time_to_ack.count");
	json_int_t	 res = num(a, "incidents.time_to_resolve.count");
	int64_t		 id;

	json_decref(doc);
	id = mkincident(f->sf.s, "malware", SEV_HIGH, T(10, 8), f->a1);
	resolve(f->sf.s, id, RES_TRUE_POSITIVE, NOV + 31 * DAY);
	doc = build(f, REPORT_MONTH, "2026-11", NULL);
	a = office(doc, A);
	assert_int_equal(num(a, "incidents.open_at_end"), open + 1);
	assert_int_equal(num(a, "incidents.closed"), closed);
	assert_int_equal(num(a, "incidents.time_to_ack.count"), acks + 1);
	assert_int_equal(num(a, "incidents.time_to_resolve.count"), res + 1);
	json_decref(doc);
	/* December's report: closed then, not open at its end */
	doc = build(f, REPORT_MONTH, "2026-12", NULL);
	assert_int_equal(num(office(doc, A), "incidents.closed"), 1);
	json_decref(doc);
}

/* silent_after: a2's last event was Nov 2, a1's Nov 30 20:00. */
static void
test_silent_after(void **state)
{
	struct fx		*f = *state;
	struct report_opts	 o = { 0 };
	json_t			*doc;

	o.silent_after = 3 * 3600;		/* a1 too */
	doc = build_opts(f, &o);
	assert_int_equal(num(office(doc, A), "coverage.silent_24h"), 2);
	assert_int_equal(num(office(doc, A), "coverage.silent_after_s"),
	    3 * 3600);
	json_decref(doc);
	o.silent_after = 30 * DAY;		/* neither */
	doc = build_opts(f, &o);
	assert_int_equal(num(office(doc, A), "coverage.silent_24h"), 0);
	json_decref(doc);
	o.silent_after = 0;			/* 24 h: a2 */
	doc = build_opts(f, &o);
	assert_int_equal(num(office(doc, A), "coverage.silent_24h"), 1);
	assert_int_equal(num(office(doc, A), "coverage.silent_after_s"), DAY);
	json_decref(doc);
}

static void
test_month_controls(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2026-11", NULL);
	const json_t	*ta = json_object_get(json_object_get(doc, "total"),
			    "controls");
	const json_t	*ca = json_object_get(office(doc, A), "controls");
	const json_t	*cb = json_object_get(office(doc, B), "controls");
	const json_t	*g = json_object_get(doc, "controls");

	assert_string_equal(control(ca, "all_reported"), "pass");
	assert_string_equal(control(cb, "all_reported"), "fail");
	assert_string_equal(control(ta, "all_reported"), "fail");
	assert_string_equal(control(ca, "rules_fresh"), "unknown");
	assert_string_equal(control(ca, "critical_ack_1h"), "pass");
	assert_string_equal(control(cb, "critical_ack_1h"), "fail");
	assert_string_equal(control(ca, "reported_in_deadline"), "fail");
	assert_string_equal(control(cb, "reported_in_deadline"), "pass");
	assert_string_equal(control(g, "audit_chain"), "pass");
	assert_string_equal(control(g, "disk_free"), "unknown"); /* no dir */
	assert_string_equal(control(g, "backups"), "fail");	/* none */

	assert_int_equal(num(json_object_get(doc, "total"),
	    "notifications.sent"), 3);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "notifications.failed"), 1);
	assert_int_equal(num(office(doc, A), "notifications.sent"), 2);
	assert_int_equal(num(office(doc, B), "notifications.failed"), 1);
	assert_int_equal(num(doc, "retention.purges"), 1);
	assert_int_equal(num(doc, "retention.events"), 42);
	assert_true(num(doc, "audit.head_seq") > 10);
	assert_int_equal(strlen(json_string_value(json_object_get(
	    json_object_get(doc, "audit"), "head"))), 64);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(doc, "period"), "from")),
	    "2026-11-01T00:00:00+0700");
	json_decref(doc);
}

/* A tampered audit log fails its control. */
static void
test_audit_broken(void **state)
{
	struct fx	*f = *state;
	json_t		*doc;

	sql(f->sf.s, "UPDATE audit SET actor = 'mallory' WHERE seq = 2");
	doc = build(f, REPORT_MONTH, "2026-11", NULL);
	assert_string_equal(control(json_object_get(doc, "controls"),
	    "audit_chain"), "fail");
	json_decref(doc);
}

/* Rows no module of ours writes (an operator's sqlite3): still a report. */
static void
test_odd_rows(void **state)
{
	struct fx	*f = *state;
	json_t		*doc;

	sql(f->sf.s, "UPDATE incidents SET severity = 9 WHERE id = %lld",
	    (long long)f->i2);
	sql(f->sf.s, "UPDATE agents SET heartbeat = 'not json' WHERE rowid = "
	    "%lld", (long long)f->a1);
	doc = build(f, REPORT_MONTH, "2026-11", NULL);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "incidents.by_severity.unknown"), 1);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "coverage.rules_known"), 2);
	json_decref(doc);
}

/* ---- other periods ---- */

static void
test_empty_month(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2027-01", NULL);
	const json_t	*t = json_object_get(doc, "total");

	assert_int_equal(num(t, "coverage.enrolled"), 4);	/* b2 too */
	assert_int_equal(num(t, "coverage.reported"), 0);
	assert_int_equal(num(t, "detections.alerts"), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(t,
	    "detections"), "by_day")), 0);
	assert_int_equal(num(t, "incidents.opened"), 0);
	assert_int_equal(num(t, "incidents.open_at_end"), 3);
	assert_int_equal(num(t, "incidents.time_to_ack.count"), 0);
	assert_true(json_is_null(json_object_get(json_object_get(
	    json_object_get(t, "incidents"), "time_to_ack"), "median_s")));
	assert_int_equal(num(doc, "retention.purges"), 0);
	json_decref(doc);
}

static void
test_no_agents(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2025-01", NULL);
	const json_t	*t = json_object_get(doc, "total");

	assert_int_equal(json_array_size(json_object_get(doc, "offices")), 0);
	assert_int_equal(num(t, "coverage.enrolled"), 0);
	assert_int_equal(num(t, "coverage.connected_pct"), 0);
	assert_int_equal(num(t, "detections.alerts"), 0);
	assert_int_equal(num(t, "incidents.opened"), 0);
	assert_int_equal(num(t, "incidents.open_at_end"), 0);
	assert_string_equal(control(json_object_get(t, "controls"),
	    "all_reported"), "pass");
	json_decref(doc);
}

static void
test_one_office(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2026-11", B);
	const json_t	*t = json_object_get(doc, "total");

	assert_int_equal(json_array_size(json_object_get(doc, "offices")), 1);
	assert_string_equal(json_string_value(json_object_get(doc, "office")),
	    B);
	assert_int_equal(num(t, "coverage.enrolled"), 1);
	assert_int_equal(num(t, "incidents.opened"), 1);	/* not i6 */
	assert_int_equal(num(t, "incidents.closed"), 2);
	assert_int_equal(num(t, "notifications.failed"), 1);
	assert_int_equal(num(t, "notifications.sent"), 0);
	assert_int_equal(num(t, "detections.alerts"), 0);
	json_decref(doc);
	/* an office with no agents and no incidents: zeros */
	doc = build(f, REPORT_MONTH, "2026-11", "Xã Không");
	t = json_object_get(doc, "total");
	assert_int_equal(json_array_size(json_object_get(doc, "offices")), 1);
	assert_int_equal(num(t, "coverage.enrolled"), 0);
	assert_int_equal(num(t, "incidents.opened"), 0);
	assert_int_equal(num(t, "notifications.sent"), 0);
	assert_int_equal(num(office(doc, "Xã Không"), "incidents.opened"), 0);
	json_decref(doc);
}

static void
test_longer_periods(void **state)
{
	struct fx	*f = *state;
	json_t		*doc;

	doc = build(f, REPORT_QUARTER, "2026-Q4", NULL);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "detections.alerts"), 6);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "incidents.opened"), 6);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "notifications.sent"), 4);
	assert_int_equal(num(doc, "retention.purges"), 2);
	assert_int_equal(num(doc, "retention.events"), 1042);
	json_decref(doc);
	doc = build(f, REPORT_HALF, "2026-H2", NULL);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "detections.alerts"), 7);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "incidents.opened"), 6);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(doc, "period"), "kind")), "half");
	json_decref(doc);
	doc = build(f, REPORT_YEAR, "2026", NULL);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "detections.alerts"), 7);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "incidents.closed"), 3);
	json_decref(doc);
	doc = build(f, REPORT_HALF, "2026-H1", NULL);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "detections.alerts"), 0);
	json_decref(doc);
}

/* Ten incidents acknowledged after 1, 2, ... 10 minutes: the median is
 * the 5th, the 90th percentile the 9th (nearest rank). */
static void
test_percentiles(void **state)
{
	struct fx	*f = *state;
	int64_t		 mar = NOV + 120 * DAY, id;	/* 2027-03-01 */
	json_t		*doc;
	int		 i;

	for (i = 10; i >= 1; i--) {
		id = mkincident(f->sf.s, "other", SEV_LOW, mar + i * DAY,
		    f->a1);
		ack(f->sf.s, id, mar + i * DAY + i * 60);
	}
	doc = build(f, REPORT_MONTH, "2027-03", NULL);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "incidents.time_to_ack.count"), 10);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "incidents.time_to_ack.median_s"), 300);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "incidents.time_to_ack.p90_s"), 540);
	assert_int_equal(num(json_object_get(doc, "total"),
	    "incidents.opened"), 10);
	json_decref(doc);
}

/* ---- formats ---- */

static char *
render(const json_t *doc, int format, int lang)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(report_write(fp, doc, format, lang), 0);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
has(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

static void
test_markdown(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2026-11", NULL);
	char		*vi = render(doc, REPORT_MD, REPORT_VI);
	char		*en = render(doc, REPORT_MD, REPORT_EN);

	has(vi, "# BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN THÔNG TIN\n");
	has(vi, "**Kỳ báo cáo**: Tháng 2026-11: 2026-11-01T00:00:00+0700 – "
	    "2026-12-01T00:00:00+0700\n");
	has(vi, "## 2. Mức độ bao phủ");
	has(vi, "| Máy đã đăng ký | 3 |");
	has(vi, "| Sự cố còn mở cuối kỳ | 3 |");
	has(vi, "Trong kỳ, 2 trên 3 máy đã đăng ký gửi dữ liệu; có 5 cảnh "
	    "báo, 4 sự cố mới phát sinh, 3 sự cố còn mở cuối kỳ. 2 sự cố "
	    "báo cáo trễ hạn hoặc quá hạn chưa báo cáo.");
	has(vi, "| Xã An | 2 | 2 | 1 | 5 | 2 | 2 | 1 | 2/4 |");
	has(vi, "| Xã Bình | 1 | 0 | 1 | 0 | 1 | 0 | 0 | 1/4 |");
	has(vi, "| 2026-11-30 | 1 |");
	/* durations in words: time to acknowledge, then to resolve */
	has(vi, "| Trung vị | 2 giờ |\n| Phân vị 90 | 3 giờ |");
	has(vi, "| Trung vị | 1 ngày |\n| Phân vị 90 | 1 ngày 2 giờ |");
	has(vi, "| Tấn công sử dụng mã độc | 1 |");
	has(vi, "| Nghiêm trọng | 2 |");
	has(vi, "| Chuỗi nhật ký kiểm toán toàn vẹn | Đạt |");
	has(vi, "| Mọi sự cố được báo cáo đúng hạn | Không đạt | đúng hạn: 1;"
	    " trễ hạn: 1; Quá hạn chưa báo cáo: 1");
	has(vi, "| Người lập báo cáo | Lãnh đạo đơn vị |");
	has(en, "# SECURITY COMPLIANCE REPORT\n");
	has(en, "| Prepared by | Head of the office |");
	has(en, "In the period 2 of 3 enrolled PCs reported; there were 5 "
	    "alerts, 4 incidents opened, 3 still open at the end. 2 "
	    "incidents were reported late or are overdue.");
	has(en, "| PCs enrolled | 3 |");
	has(en, "| The audit chain verifies | Pass |");
	has(en, "| Median | 1 d |\n| 90th percentile | 1 d 2 h |");
	has(en, "| Critical | 2 |");
	assert_null(strstr(en, "Máy"));
	free(vi);
	free(en);
	json_decref(doc);
	/* one office: no table of offices; all deadlines met */
	doc = build(f, REPORT_MONTH, "2026-11", B);
	vi = render(doc, REPORT_MD, REPORT_VI);
	has(vi, "**Đơn vị**: Xã Bình\n");
	has(vi, "Mọi sự cố cần báo cáo đều được báo cáo đúng hạn.");
	assert_null(strstr(vi, "## Các đơn vị"));
	free(vi);
	json_decref(doc);
}

static void
test_csv(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2026-11", NULL);
	char		*vi = render(doc, REPORT_CSV, REPORT_VI);
	char		*en = render(doc, REPORT_CSV, REPORT_EN);

	assert_memory_equal(vi, "phần,đơn vị,chỉ tiêu,nhãn,khóa,giá trị\r\n",
	    strlen("phần,đơn vị,chỉ tiêu,nhãn,khóa,giá trị\r\n"));
	has(vi, "\"coverage\",\"*\",\"enrolled\",\"Máy đã đăng ký\",\"\","
	    "3\r\n");
	has(vi, "\"coverage\",\"Xã An\",\"silent_24h\",");
	has(vi, "\"detections\",\"Xã An\",\"top_rules\",\"Các luật phát hiện "
	    "nhiều nhất\",\"1 / 100 / sig 100\",3\r\n");
	has(vi, "\"incidents\",\"*\",\"time_to_ack\",\"Thời gian tiếp nhận\","
	    "\"median_s\",7200\r\n");
	has(vi, "\"controls\",\"Xã Bình\",\"critical_ack_1h\",");
	has(vi, "\"retention\",\"*\",\"events\",\"Sự kiện đã xóa\",\"\","
	    "42\r\n");
	has(en, "section,office,figure,label,key,value\r\n");
	has(en, "\"incidents\",\"*\",\"opened\",\"Incidents opened\","
	    "\"\",4\r\n");
	free(vi);
	free(en);
	assert_int_equal(report_write(stdout, doc, 99, REPORT_VI), ERR_USAGE);
	json_decref(doc);
}

/* Names from agents are escaped in each format: Markdown's table
 * syntax, a spreadsheet formula, a terminal control. */
static void
test_hostile_names(void **state)
{
	struct fx	*f = *state;
	json_t		*doc;
	char		*md, *csv;

	alert(f->sf.s, mkagent(f->sf.s, 9, "pc|x",
	    "=cmd|' /C calc'!A0 | *x*", NOV - DAY), T(4, 0), 100, 1,
	    "a|b\\u001b[31m");
	doc = build(f, REPORT_MONTH, "2026-11", NULL);
	md = render(doc, REPORT_MD, REPORT_EN);
	csv = render(doc, REPORT_CSV, REPORT_EN);
	assert_null(strstr(md, "| *x*"));
	assert_null(strstr(md, "\x1b"));
	assert_null(strstr(csv, "\x1b"));
	assert_null(strstr(csv, ",\"=cmd"));
	has(csv, ",\"'=cmd");
	free(md);
	free(csv);
	json_decref(doc);
}

/* The number of times needle stands in s. */
static size_t
count(const char *s, const char *needle)
{
	size_t	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void
test_html(void **state)
{
	struct fx	*f = *state;
	json_t		*doc = build(f, REPORT_MONTH, "2026-11", NULL);
	char		*vi = render(doc, REPORT_HTML, REPORT_VI);
	char		*en = render(doc, REPORT_HTML, REPORT_EN);

	assert_memory_equal(vi, "<!DOCTYPE html>\n<html lang=\"vi\">", 31);
	has(en, "<html lang=\"en\">");
	has(vi, "<h1>BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN THÔNG TIN</h1>");
	has(vi, "<h2>2. Mức độ bao phủ</h2>");
	has(vi, "<tr><td>Máy đã đăng ký</td><td class=\"r\">3</td></tr>");
	has(vi, "<tr><td>Xã An</td><td class=\"r\">2</td><td class=\"r\">2"
	    "</td><td class=\"r\">1</td><td class=\"r\">5</td>");
	has(vi, "<td>Trung vị</td><td class=\"r\">1 ngày</td>");
	has(vi, "<td class=\"pass\">Đạt</td>");
	has(vi, "<td class=\"fail\">Không đạt</td>");
	has(en, "<td class=\"unknown\">Not known</td>");
	has(en, "<th>Prepared by</th><th>Head of the office</th>");
	has(vi, "@page{size:A4;");
	has(vi, "content:\"Trang \" counter(page)");
	/* the chart: a bar per day of November, the heights scaled */
	assert_int_equal(count(vi, "<rect class=\"bar\""), 30);
	has(vi, "<title>2026-11-30: 1</title>");
	has(vi, "<title>2026-11-04: 0</title>");
	assert_int_equal(count(vi, "<svg "), 1);
	/* self-contained: nothing fetched, nothing run */
	assert_int_equal(count(vi, "://"), 1);	/* the SVG namespace */
	assert_null(strstr(vi, "<script"));
	assert_null(strstr(vi, "src="));
	assert_null(strstr(vi, "href"));
	assert_null(strstr(vi, "url("));
	has(vi, "default-src 'none'");
	free(vi);
	free(en);
	json_decref(doc);
	/* a quarter: a bar per day of October to December */
	doc = build(f, REPORT_QUARTER, "2026-Q4", NULL);
	vi = render(doc, REPORT_HTML, REPORT_VI);
	assert_int_equal(count(vi, "<rect class=\"bar\""), 92);
	free(vi);
	json_decref(doc);
}

/* Names an agent chose cannot end an element, open one, or turn the
 * text around. */
/*
 * Every format, every kind of period, both languages: the headline
 * figures the document holds are in the output, each in the row that
 * names it. A row is a Markdown line, a CSV record, an HTML <tr>, a
 * line of `pdftotext -layout`; the label must be a whole cell (not
 * "Alerts by day" for "Alerts") and the value a whole cell or the row's
 * last word.
 */
static const struct {
	const char	*path;		/* in the document's "total" */
	const char	*label[2];	/* vi, en: report_layout.c's words */
} headline[] = {
	{ "coverage.enrolled", { "Máy đã đăng ký", "PCs enrolled" } },
	{ "coverage.reported", { "Máy đã gửi dữ liệu trong kỳ",
	    "PCs that reported" } },
	{ "detections.alerts", { "Tổng số cảnh báo", "Alerts" } },
	{ "incidents.opened", { "Sự cố mới phát sinh", "Incidents opened" } },
	{ "incidents.open_at_end", { "Sự cố còn mở cuối kỳ",
	    "Still open at the end" } },
};

/* The PDF of doc as text, pdftotext -layout. */
static char *
pdf_text(const json_t *doc, int lang)
{
	char	 pdf[] = "/tmp/test_report.XXXXXX", cmd[128], *buf = NULL;
	size_t	 len = 0, n;
	char	 chunk[4096];
	FILE	*f, *p, *out;
	int	 fd;

	assert_true((fd = mkstemp(pdf)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	assert_int_equal(report_write(f, doc, REPORT_PDF, lang), 0);
	assert_int_equal(fclose(f), 0);
	/* our own file name: no shell word in it */
	snprintf(cmd, sizeof(cmd), "pdftotext -layout %s -", pdf);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(out = open_memstream(&buf, &len));
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		assert_int_equal(fwrite(chunk, 1, n, out), n);
	assert_int_equal(pclose(p), 0);
	assert_int_equal(fclose(out), 0);
	unlink(pdf);
	return buf;
}

/* Is cell a whole cell of row (between the format's separators, or
 * spaces for a PDF line)? */
static int
cell_in(const char *row, size_t rlen, const char *cell, int format)
{
	size_t		 n = strlen(cell);
	const char	*p = row, *end = row + rlen;
	char		 a, b;

	while ((p = memmem(p, (size_t)(end - p), cell, n)) != NULL) {
		a = p > row ? p[-1] : '\n';
		b = p + n < end ? p[n] : '\n';
		switch (format) {
		case REPORT_MD:
			if (a == ' ' && b == ' ' && p - row >= 2 &&
			    p[-2] == '|' && p + n + 1 < end && p[n + 1] == '|')
				return 1;
			break;
		case REPORT_CSV:
			if ((a == ',' || a == '\n') && (b == ',' || b == '\n' ||
			    b == '\r'))
				return 1;
			break;
		case REPORT_HTML:
			if (a == '>' && b == '<')
				return 1;
			break;
		default:	/* pdftotext: words apart by two spaces or more */
			if ((p == row || (a == ' ' && p - row >= 2 &&
			    p[-2] == ' ') || a == '\n') && (p + n == end ||
			    b == '\n' || (b == ' ' && p + n + 1 < end &&
			    p[n + 1] == ' ')))
				return 1;
		}
		p += n;
	}
	return 0;
}

static void
figure_in_rows(const char *text, int format, const char *label,
    json_int_t v, const char *what)
{
	const char	*sep = format == REPORT_HTML ? "<tr" : "\n";
	const char	*row = text, *next;
	char		 val[32], quoted[256];

	snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT, v);
	if (format == REPORT_CSV) {	/* text is quoted, numbers are not */
		snprintf(quoted, sizeof(quoted), "\"%s\"", label);
		label = quoted;
	}
	for (; row != NULL && *row != '\0'; row = next) {
		next = strstr(row + 1, sep);
		if (cell_in(row, next ? (size_t)(next - row) : strlen(row),
		    label, format) && cell_in(row, next ? (size_t)(next -
		    row) : strlen(row), val, format))
			return;
	}
	fail_msg("%s: no row with \"%s\" and %s", what, label, val);
}

static void
test_every_format(void **state)
{
	static const struct {
		int		 kind;
		const char	*label;
	} periods[] = {
		{ REPORT_MONTH, "2026-11" },	/* the fixture's month */
		{ REPORT_MONTH, "2027-01" },	/* empty */
		{ REPORT_MONTH, "2025-01" },	/* no agents yet */
		{ REPORT_QUARTER, "2026-Q4" },
		{ REPORT_HALF, "2026-H2" },
		{ REPORT_YEAR, "2026" },
	};
	static const int	 formats[] = { REPORT_MD, REPORT_CSV,
		REPORT_HTML, REPORT_PDF };
	struct fx		*f = *state;
	json_t			*doc;
	char			*text, what[96];
	size_t			 i, k, h;
	int			 lang;

	for (i = 0; i < sizeof(periods) / sizeof(*periods); i++) {
		doc = build(f, periods[i].kind, periods[i].label, NULL);
		for (k = 0; k < sizeof(formats) / sizeof(*formats); k++)
			for (lang = REPORT_VI; lang <= REPORT_EN; lang++) {
				text = formats[k] == REPORT_PDF ?
				    pdf_text(doc, lang) : render(doc,
				    formats[k], lang);
				for (h = 0; h < sizeof(headline) /
				    sizeof(*headline); h++) {
					snprintf(what, sizeof(what),
					    "%s format %d lang %d %s",
					    periods[i].label, formats[k],
					    lang, headline[h].path);
					figure_in_rows(text, formats[k],
					    headline[h].label[lang],
					    num(json_object_get(doc, "total"),
					    headline[h].path), what);
				}
				free(text);
			}
		json_decref(doc);
	}
}

static void
test_html_hostile(void **state)
{
	struct fx	*f = *state;
	json_t		*doc;
	char		*html;

	alert(f->sf.s, mkagent(f->sf.s, 9,
	    "<img src=x onerror=alert(1)>\xe2\x80\xae" "cod.exe",
	    "</style><script>alert(1)</script>\"'&", NOV - DAY), T(4, 0),
	    100, 1, "</title><svg onload=alert(1)>");
	doc = build(f, REPORT_MONTH, "2026-11", NULL);
	html = render(doc, REPORT_HTML, REPORT_EN);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<svg onload"));
	assert_int_equal(count(html, "</style>"), 1);
	assert_int_equal(count(html, "</title>"), 1 + 30);	/* the bars' */
	assert_null(strstr(html, "\xe2\x80\xae"));
	has(html, "<td>&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
	    "&quot;&#39;&amp;</td>");
	has(html, "&lt;img src=x onerror=alert(1)&gt;\\xe2\\x80\\xaecod.exe");
	has(html, "&lt;/title&gt;&lt;svg onload=alert(1)&gt;");
	free(html);
	json_decref(doc);
}

int
main(void)
{
#define T_(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_periods),
		T_(test_every_format),
		T_(test_month_coverage),
		T_(test_month_detections),
		T_(test_month_incidents),
		T_(test_month_controls),
		T_(test_rules_fresh),
		T_(test_changed_after_end),
		T_(test_silent_after),
		T_(test_audit_broken),
		T_(test_odd_rows),
		T_(test_empty_month),
		T_(test_no_agents),
		T_(test_one_office),
		T_(test_longer_periods),
		T_(test_percentiles),
		T_(test_markdown),
		T_(test_csv),
		T_(test_hostile_names),
		T_(test_html),
		T_(test_html_hostile),
	};
#undef T_

	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
