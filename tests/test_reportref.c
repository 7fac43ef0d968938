/*
 * test_reportref.c: the report's figures that are counted in C as the
 * rows come (the agents' activity from the events_ts index, the alerts
 * per day and by category, severity, rule and host through tally.c)
 * against a straightforward reference: plain GROUP BY queries over the
 * events, on random stores. Each store has agents in three offices (one
 * enrolled after the period, one revoked), events before, in and after
 * the period, and alerts whose fields vary in kind: a category that is
 * text, a number or missing, a gid that is missing, signatures that
 * differ for one rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "config.h"
#include "db.h"
#include "incident.h"
#include "report.h"
#include "taxonomy.h"
#include "rng.h"
#include "store.h"
#include "store_fixture.h"

#define NOV	1793466000LL	/* 2026-11-01T00:00:00+0700 */
#define DAY	86400LL
#define NAGENTS	8
#define NEVENTS	3000

static const char *const offices[] = { "Xã An", "Xã Bình", "Xã Châu" };

static void
fill(struct store *s, int64_t *agents)
{
	static const char *const cats[] = { "\"malware\"", "\"scan\"", "7",
		"\"trojan\"", NULL };
	uint8_t			pub[KEY_LEN];
	char			id[AGENT_ID_STRLEN], name[32], json[256];
	char			gid[24], cat[40];
	struct store_event	ev;
	uint64_t		seq[NAGENTS] = { 0 };
	size_t			n;
	int			i, a, sid;

	for (i = 0; i < NAGENTS; i++) {
		memset(pub, i + 1, sizeof(pub));
		snprintf(id, sizeof(id), "%016x", i + 1);
		snprintf(name, sizeof(name), "pc-%d", i);
		/* the last is enrolled after the period: in no figure */
		assert_int_equal(store_agent_add(s, &agents[i], id, pub, name,
		    offices[i % 3], i == NAGENTS - 1 ? NOV + 40 * DAY :
		    NOV - 10 * DAY + (int64_t)(rnd() % (20 * DAY))), 0);
	}
	assert_int_equal(store_agent_revoke(s, "pc-2"), 0);
	for (i = 0; i < NEVENTS; i++) {
		memset(&ev, 0, sizeof(ev));
		a = (int)(rnd() % NAGENTS);
		ev.agent_rowid = agents[a];
		ev.seq = ++seq[a];
		/* from 3 days before the month to 3 days after */
		ev.ts_us = (NOV - 3 * DAY + (int64_t)(rnd() % (36 * DAY))) *
		    1000000 + (int64_t)(rnd() % 1000000);
		if (rnd() % 3 != 0) {
			ev.type = "scan";
			snprintf(json, sizeof(json), "{\"scan\":{\"n\":%d}}", i);
		} else {
			sid = (int)(rnd() % 12);
			ev.type = "alert";
			ev.severity = (int)(rnd() % 4);
			gid[0] = cat[0] = '\0';
			if (rnd() % 5 != 0)
				snprintf(gid, sizeof(gid), "\"gid\":%u,",
				    1 + rnd() % 2);
			if (cats[sid % 5] != NULL)
				snprintf(cat, sizeof(cat), "\"category\":%s,",
				    cats[sid % 5]);
			/* rule 3's signature text changed once */
			snprintf(json, sizeof(json), "{\"alert\":{%s%s"
			    "\"signature_id\":%d,\"signature\":\"sig %d%s\"}}",
			    gid, cat, sid, sid, sid == 3 && rnd() % 2 ?
			    " v2" : "");
		}
		ev.json = json;
		ev.len = strlen(json);
		assert_int_equal(store_events_insert(s, &ev, 1, &n), 0);
	}
}

/* The report's rows as JSON, as report.c writes a column. */
static json_t *
col(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_NULL:
		return json_null();
	default:
		return json_string((const char *)sqlite3_column_text(st, i));
	}
}

/*
 * The reference: sql over the period's alerts of the agents enrolled
 * before its end (of the office ?3, or all), each row its keys then its
 * count, made into [{names[0]: key, ...,"count": n}], the first limit.
 */
static json_t *
reference(struct store *s, const char *sql, const char *const *names,
    const char *office, size_t limit)
{
	sqlite3_stmt	*st;
	json_t		*arr = json_array(), *row;
	int		 i, n;

	assert_int_equal(sqlite3_prepare_v2(db_sqlite(store_db(s)), sql, -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, NOV * 1000000);
	sqlite3_bind_int64(st, 2, (NOV + 30 * DAY) * 1000000);
	if (office != NULL)
		sqlite3_bind_text(st, 3, office, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, NOV + 30 * DAY);
	n = sqlite3_column_count(st);
	while (sqlite3_step(st) == SQLITE_ROW &&
	    (limit == 0 || json_array_size(arr) < limit)) {
		row = json_object();
		for (i = 0; i < n - 1; i++)
			json_object_set_new(row, names[i], col(st, i));
		json_object_set_new(row, "count", col(st, n - 1));
		json_array_append_new(arr, row);
	}
	sqlite3_finalize(st);
	return arr;
}

#define ALERTS(keys, group) \
	"SELECT " keys ", count(*) AS n FROM events e JOIN agents a" \
	" ON a.rowid = e.agent WHERE e.type = 'alert' AND e.ts >= ?1" \
	" AND e.ts < ?2 AND a.enrolled < ?4 AND (?3 IS NULL OR" \
	" a.office = ?3) GROUP BY " group " ORDER BY n DESC, " group
#define FIELD(f)	"json_extract(e.body, '$.alert." f "')"

static const struct {
	const char		*name;
	const char		*sql;
	const char *const	 cols[4];
	size_t			 limit;
} refs[] = {
	{ "by_category", ALERTS(FIELD("category") " AS k1", "k1"),
	    { "category" }, 0 },
	{ "by_severity", ALERTS("e.severity AS k1", "k1"), { "severity" },
	    0 },
	{ "top_rules", ALERTS(FIELD("gid") " AS k1, " FIELD("signature_id")
	    " AS k2, max(" FIELD("signature") ")", "k1, k2"),
	    { "gid", "sid", "signature" }, 10 },
	{ "top_hosts", ALERTS("a.id AS k1, a.name", "k1"),
	    { "agent_id", "name" }, 10 },
	/* local days: UTC+7 */
	{ "by_day", "SELECT date(e.ts / 1000000 + 7 * 3600, 'unixepoch')"
	    " AS k1, count(*) FROM events e JOIN agents a ON a.rowid ="
	    " e.agent WHERE e.type = 'alert' AND e.ts >= ?1 AND e.ts < ?2"
	    " AND a.enrolled < ?4 AND (?3 IS NULL OR a.office = ?3)"
	    " GROUP BY k1 ORDER BY k1", { "day" }, 0 },
};

/* Enrolled, not revoked, with an event in the period. */
static const char sql_reported[] =
    "SELECT count(*) FROM agents a WHERE a.enrolled < ?4 AND revoked = 0"
    " AND (?3 IS NULL OR a.office = ?3) AND EXISTS (SELECT 1 FROM events"
    " WHERE agent = a.rowid AND ts >= ?1 AND ts < ?2)";

static void
check_block(struct store *s, const json_t *block, const char *office)
{
	const json_t	*det = json_object_get(block, "detections");
	json_t		*want, *n;
	size_t		 i;

	for (i = 0; i < sizeof(refs) / sizeof(*refs); i++) {
		want = reference(s, refs[i].sql, refs[i].cols, office,
		    refs[i].limit);
		if (!json_equal(want, json_object_get(det, refs[i].name))) {
			char *a = json_dumps(want, JSON_COMPACT);
			char *b = json_dumps(json_object_get(det,
			    refs[i].name), JSON_COMPACT);

			fail_msg("%s %s:\n want %s\n got  %s", office ?
			    office : "*", refs[i].name, a, b);
		}
		json_decref(want);
	}
	static const char *const cnt[] = { "count" };
	want = reference(s, sql_reported, cnt, office, 0);
	n = json_object_get(json_array_get(want, 0), "count");
	assert_int_equal(json_integer_value(n), json_integer_value(
	    json_object_get(json_object_get(block, "coverage"), "reported")));
	json_decref(want);
}

static void
test_random_stores(void **state)
{
	struct store_fx		*f = *state;
	struct report_opts	 o = { .now = NOV + 40 * DAY };
	int64_t			 agents[NAGENTS];
	json_t			*doc, *arr, *b;
	size_t			 i;
	int			 round;

	for (round = 0; round < 4; round++) {
		if (round > 0) {
			store_close(f->s);
			f->s = NULL;
			assert_int_equal(remove(f->tf.path), 0);
			assert_int_equal(store_open(&f->s, f->tf.path), 0);
		}
		fill(f->s, agents);
		assert_int_equal(report_period_parse(&o.period, REPORT_MONTH,
		    "2026-11"), 0);
		o.office = NULL;
		assert_int_equal(report_build(&doc, f->s, &o), 0);
		check_block(f->s, json_object_get(doc, "total"), NULL);
		arr = json_object_get(doc, "offices");
		assert_int_equal(json_array_size(arr), 3);
		json_array_foreach(arr, i, b)
			check_block(f->s, b, json_string_value(
			    json_object_get(b, "office")));
		json_decref(doc);
		/* one office: its own figures only */
		o.office = offices[round % 3];
		assert_int_equal(report_build(&doc, f->s, &o), 0);
		check_block(f->s, json_object_get(doc, "total"), o.office);
		json_decref(doc);
	}
}

/* The status of control id in arr, NULL when it is left out. */
static const json_t *
find_control(const json_t *arr, const char *id)
{
	const json_t	*c;
	size_t		 i;

	json_array_foreach(arr, i, c)
		if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
			return c;
	return NULL;
}

static const char *
status(const json_t *c)
{
	assert_non_null(c);
	return json_string_value(json_object_get(c, "status"));
}

/* [report] thresholds: a critical incident acknowledged after 90
 * minutes fails the shipped hour and passes two; the threshold is in
 * the evidence; a control turned off is left out; disk_free's minimum. */
static void
test_controls_config(void **state)
{
	struct store_fx		*f = *state;
	struct incident_new	 n = { .title = "t", .category = "malware",
				    .severity = SEV_CRITICAL,
				    .detected = NOV + DAY };
	struct config_list	 off = { .n = 2 };
	struct report_opts	 o = { .now = NOV + 40 * DAY,
				    .data_dir = f->tf.path };
	json_t			*doc;
	const json_t		*c;
	int64_t			 id;

	assert_int_equal(incident_open(f->s, &id, &n, "t", NOV + DAY), 0);
	assert_int_equal(incident_set_status(f->s, NULL, id, ST_ACKNOWLEDGED,
	    "t", NOV + DAY + 90 * 60), 0);
	assert_int_equal(report_period_parse(&o.period, REPORT_MONTH,
	    "2026-11"), 0);
	*strrchr(f->tf.path, '/') = '\0';	/* the store's directory */
	assert_int_equal(report_build(&doc, f->s, &o), 0);
	c = find_control(json_object_get(json_object_get(doc, "total"),
	    "controls"), "critical_ack_1h");
	assert_string_equal(status(c), "fail");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c,
	    "evidence"), "within_s")), 3600);
	json_decref(doc);

	o.ack_within = 2 * 3600;
	o.disk_free_min = 99;
	snprintf(off.item[0], CONFIG_ITEM_MAX, "backups");
	snprintf(off.item[1], CONFIG_ITEM_MAX, "all_reported");
	o.off = &off;
	assert_int_equal(report_build(&doc, f->s, &o), 0);
	c = find_control(json_object_get(json_object_get(doc, "total"),
	    "controls"), "critical_ack_1h");
	assert_string_equal(status(c), "pass");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c,
	    "evidence"), "within_s")), 7200);
	assert_null(find_control(json_object_get(doc, "controls"), "backups"));
	assert_null(find_control(json_object_get(json_object_get(doc,
	    "total"), "controls"), "all_reported"));
	c = find_control(json_object_get(doc, "controls"), "disk_free");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c,
	    "evidence"), "min_pct")), 99);
	assert_string_equal(status(c), json_integer_value(json_object_get(
	    json_object_get(c, "evidence"), "free_pct")) >= 99 ? "pass" :
	    "fail");
	json_decref(doc);
	o.disk_free_min = -1;		/* 0 %: always passes */
	assert_int_equal(report_build(&doc, f->s, &o), 0);
	assert_string_equal(status(find_control(json_object_get(doc,
	    "controls"), "disk_free")), "pass");
	json_decref(doc);
	strcat(f->tf.path, "/store.db");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_stores,
		    store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(test_controls_config,
		    store_setup, store_teardown),
	};

	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
