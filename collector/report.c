/*
 * report.c: the periodic report's figures (report.h; docs/report.md says
 * how each is computed).
 *
 * The agents (thousands at most) are read once into an array sorted by
 * rowid, each with its office's index; the offices are the distinct
 * offices of the agents enrolled before the period's end, sorted. The
 * period's events are then read once in time order from the events_ts
 * index (ts, agent) alone for each agent's activity; the alerts once
 * more (by events_type_ts) for the alerts per day and their JSON
 * fields, counted in memory by agent and rule (tally.h) into a
 * temporary table from which each breakdown (by category, top rules,
 * ...) is grouped by office, and once more for the whole (an office
 * filter makes both the office). Incidents are walked once (those that
 * touch the period), each counted for the whole and for every office
 * among its agents'; an incident with no agent (opened by hand) counts
 * for the whole only.
 *
 * Every statement is prepared from fixed text with the period bound
 * (prepare()), read, and finalized before the next: no read snapshot is
 * held across the report (audit_verify takes its own), so a report made
 * while agents send may count what arrived during its seconds.
 *
 * Load, a province (2,000 agents, 200 offices, 10 million events in a
 * year; docs/report.md has the times): a month is ~820,000 events and
 * ~82,000 alerts; the audit chain is verified in full (O(entries)).
 * Memory: the agents, the offices' accumulators (a counter per day;
 * incident durations: 16 bytes per incident and office), the JSON
 * document; SQLite's sorts spill to a temporary file.
 */
#include <sys/statvfs.h>

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "audit.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "pathset.h"
#include "report.h"
#include "store.h"
#include "tally.h"
#include "taxonomy.h"
#include "text.h"
#include "version.h"

#define TOP_N		10		/* rules, indicators, hosts */
#define SILENT_S	86400		/* silent: nothing for a day */
#define ACK_CRITICAL_S	3600		/* control: critical acked within */
#define DISK_FREE_MIN	10		/* control: percent free at least */
#define MAX_AGE_S	(7 * 86400)	/* controls: rules, backups */
#define OR(v, d)	((v) > 0 ? (v) : (d))
#define ACK_WITHIN(o)	OR((o)->ack_within, ACK_CRITICAL_S)
#define SILENT_AFTER(o)	OR((o)->silent_after, SILENT_S)
#define RULES_AGE(o)	OR((o)->rules_max_age, MAX_AGE_S)
#define BACKUP_AGE(o)	OR((o)->backup_max_age, MAX_AGE_S)
#define FREE_MIN(o)	((o)->disk_free_min > 0 ? (o)->disk_free_min : \
			    (o)->disk_free_min < 0 ? 0 : DISK_FREE_MIN)
#define US		1000000LL

/* ---- periods ---- */

static int
local_time(int64_t *out, int y, int mon)	/* mon 0-based, may be 12 */
{
	struct tm	tm = { 0 };
	time_t		t;

	tm.tm_year = y - 1900 + mon / 12;
	tm.tm_mon = mon % 12;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return ERR_MALFORMED;
	*out = (int64_t)t;
	return 0;
}

/* Exactly the digits of n in s[0..len) as a number in [min, max]. */
static int
digits(int *out, const char *s, size_t len, int min, int max)
{
	uint64_t	v;

	if (text_u64(&v, s, len, (uint64_t)min, (uint64_t)max) != 0)
		return ERR_MALFORMED;
	*out = (int)v;
	return 0;
}

int
report_period_parse(struct report_period *p, int kind, const char *s)
{
	static const int	months[] = { 1, 3, 6, 12 };
	size_t			len = strlen(s);
	int			y, n = 1, first;

	memset(p, 0, sizeof(*p));
	if (kind < REPORT_MONTH || kind > REPORT_YEAR || len < 4 ||
	    digits(&y, s, 4, 1970, 9999) != 0)
		return ERR_MALFORMED;
	switch (kind) {
	case REPORT_MONTH:
		if (len != 7 || s[4] != '-' || digits(&n, s + 5, 2, 1, 12))
			return ERR_MALFORMED;
		break;
	case REPORT_QUARTER:
		if (len != 7 || s[4] != '-' || s[5] != 'Q' ||
		    digits(&n, s + 6, 1, 1, 4))
			return ERR_MALFORMED;
		break;
	case REPORT_HALF:
		if (len != 7 || s[4] != '-' || s[5] != 'H' ||
		    digits(&n, s + 6, 1, 1, 2))
			return ERR_MALFORMED;
		break;
	default:
		if (len != 4)
			return ERR_MALFORMED;
	}
	first = (n - 1) * months[kind];
	if (local_time(&p->from, y, first) != 0 ||
	    local_time(&p->to, y, first + months[kind]) != 0)
		return ERR_MALFORMED;
	p->kind = kind;
	(void)snprintf(p->label, sizeof(p->label), "%s", s);
	return 0;
}

/* ---- the model ---- */

struct durations {
	int64_t		*v;
	size_t		 n, cap;
};

/* What is counted per office in C (the rest goes straight to JSON). */
struct acc {
	uint64_t	 enrolled, reported, silent, outdated, rules_known,
			 rules_differ, hb_drops, share_sum_pm;	/* per mille */
	uint64_t	 rules_fresh, rules_stale, rules_undated;
	uint64_t	 health, refused, over, integrity, critical;
	uint64_t	 opened, closed, open_end,
			 crit, crit_ack, in_time, late, overdue, pending,
			 no_report;
	uint64_t	 sent, failed, given_up;
	uint64_t	*days;		/* alerts per day of the period */
	struct durations ack, res;
	json_t		*by_cat, *by_sev;		/* incidents */
	json_t		*det;				/* detections */
};

struct office {
	char		 name[STORE_NAME_MAX + 1];
	struct acc	 a;
};

struct agent {
	int64_t		 rowid;
	size_t		 office;
	int		 counted;	/* enrolled before the end, not
					 * revoked */
	int64_t		 enrolled, last_seen;
	char		 version[STORE_VERSION_MAX + 1];
	char		*rules;		/* heartbeat's rule set, or NULL */
	int64_t		 rules_newest;	/* its rule files' newest mtime, 0:
					 * not said */
	uint64_t	 drops;
	uint64_t	 events, hours, last_us;
};

struct incs;

struct rep {
	struct store			*st;
	struct db			*db;
	const struct report_opts	*o;
	int64_t				 end;	/* min(to, now) */
	int64_t				*day;	/* [ndays + 1]: local
						 * midnights from from to to */
	size_t				 ndays, cur;	/* cur: the day of
						 * the row being read */
	struct agent			*ag;
	size_t				 nag;
	uint32_t			*slot;	/* [rowid]: index in ag + 1,
						 * 0 none; NULL: bsearch */
	int64_t				 nslot;
	struct office			*of;
	size_t				 nof;
	struct acc			 all;
	char				 newest[STORE_VERSION_MAX + 1];
	char				*rules_newest;
	struct tally			*alerts;	/* by ALERT_KEYS */
	struct incs			*incs;		/* while counting
							 * incidents */
};

static int
dur_add(struct durations *d, int64_t v)
{
	int64_t	*p;
	size_t	 cap;

	if (d->n == d->cap) {
		cap = d->cap ? d->cap * 2 : 16;
		if ((p = reallocarray(d->v, cap, sizeof(*p))) == NULL)
			return ERR_NOMEM;
		d->v = p;
		d->cap = cap;
	}
	d->v[d->n++] = v;
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* {"count", "median_s", "p90_s"}: nearest rank; nulls for none. */
static json_t *
dur_json(struct durations *d)
{
	size_t	m, p;

	if (d->n == 0)
		return json_pack("{s:i, s:n, s:n}", "count", 0, "median_s",
		    "p90_s");
	qsort(d->v, d->n, sizeof(*d->v), cmp_i64);
	m = (d->n + 1) / 2 - 1;
	p = (d->n * 9 + 9) / 10 - 1;
	return json_pack("{s:I, s:I, s:I}", "count", (json_int_t)d->n,
	    "median_s", (json_int_t)d->v[m], "p90_s", (json_int_t)d->v[p]);
}

static void
acc_clear(struct acc *a)
{
	free(a->ack.v);
	free(a->res.v);
	free(a->days);
	json_decref(a->by_cat);
	json_decref(a->by_sev);
	json_decref(a->det);
}

static int
acc_init(struct acc *a, size_t ndays)
{
	a->days = calloc(ndays, sizeof(*a->days));
	a->by_cat = json_object();
	a->by_sev = json_object();
	a->det = json_object();
	return a->days && a->by_cat && a->by_sev && a->det ? 0 : ERR_NOMEM;
}

static void
rep_free(struct rep *r)
{
	size_t	i;

	for (i = 0; i < r->nag; i++)
		free(r->ag[i].rules);
	free(r->ag);
	free(r->slot);
	for (i = 0; i < r->nof; i++)
		acc_clear(&r->of[i].a);
	free(r->of);
	acc_clear(&r->all);
	free(r->day);
	tally_free(r->alerts);
}

static int
cmp_rowid(const void *k, const void *e)
{
	int64_t	a = *(const int64_t *)k, b = ((const struct agent *)e)->rowid;

	return (a > b) - (a < b);
}

/* Agents' rowids are dense (1, 2, ... as enrolled): a table by rowid
 * spares the activity pass, a row per event, its bsearch. Sparse ones
 * (over four slots an agent) keep the bsearch. */
#define SLOTS_MAX(n)	((int64_t)(n) * 4 + 1024)

static int
slots_init(struct rep *r)
{
	int64_t	max;
	size_t	i;

	if (r->nag == 0 || r->nag >= UINT32_MAX ||
	    (max = r->ag[r->nag - 1].rowid) < 0 || max >= SLOTS_MAX(r->nag))
		return 0;
	if ((r->slot = calloc((size_t)max + 1, sizeof(*r->slot))) == NULL)
		return ERR_NOMEM;
	r->nslot = max + 1;
	for (i = 0; i < r->nag; i++)
		if (r->ag[i].rowid >= 0)
			r->slot[r->ag[i].rowid] = (uint32_t)i + 1;
	return 0;
}

static struct agent *
agent_by_rowid(const struct rep *r, int64_t rowid)
{
	if (r->slot != NULL)
		return rowid >= 0 && rowid < r->nslot && r->slot[rowid] != 0 ?
		    &r->ag[r->slot[rowid] - 1] : NULL;
	if (r->nag == 0)	/* bsearch wants a base */
		return NULL;
	return bsearch(&rowid, r->ag, r->nag, sizeof(*r->ag), cmp_rowid);
}

static int
cmp_office(const void *k, const void *e)
{
	return strcmp(k, ((const struct office *)e)->name);
}

static struct office *
office_by_name(const struct rep *r, const char *name)
{
	if (name == NULL || r->nof == 0)
		return NULL;
	return bsearch(name, r->of, r->nof, sizeof(*r->of), cmp_office);
}

/* The office accumulator of an agent, NULL when it is not reported. */
static struct acc *
agent_acc(struct rep *r, int64_t rowid)
{
	struct agent	*a = agent_by_rowid(r, rowid);

	return a == NULL || a->office >= r->nof ? NULL : &r->of[a->office].a;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

static uint64_t
col_u64(sqlite3_stmt *st, int i)
{
	int64_t	v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (uint64_t)v;
}

/* Prepare sql with the period (?1 from, ?2 to, in microseconds; ?3 the
 * office or NULL; ?4 from, ?5 to in seconds). */
static int
prepare(struct rep *r, sqlite3_stmt **st, const char *sql)
{
	const struct report_opts	*o = r->o;
	int				 rc;

	if ((rc = db_prepare(r->db, st, sql)) != 0)
		return rc;
	sqlite3_bind_int64(*st, 1, o->period.from * US);
	sqlite3_bind_int64(*st, 2, o->period.to * US);
	if (o->office != NULL)
		sqlite3_bind_text(*st, 3, o->office, -1, SQLITE_STATIC);
	sqlite3_bind_int64(*st, 4, o->period.from);
	sqlite3_bind_int64(*st, 5, o->period.to);
	return 0;
}

typedef int	(*row_fn)(struct rep *, sqlite3_stmt *);

/* Run sql, calling fn per row. */
static int
each_row(struct rep *r, const char *sql, row_fn fn)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = prepare(r, &st, sql)) != 0)
		return rc;
	while ((rc = db_row(r->db, st, "report")) == 0)
		if ((rc = fn(r, st)) != 0)
			break;
	sqlite3_finalize(st);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

/* The local midnights from the period's start to its end (a day is 23
 * or 25 hours where clocks change: mktime says). */
static int
days_init(struct rep *r)
{
	const struct report_period	*p = &r->o->period;
	struct tm			 tm;
	time_t				 t = (time_t)p->from;
	size_t				 n = 0;

	/* 367: a leap year's days and its end */
	if ((r->day = calloc(367, sizeof(*r->day))) == NULL)
		return ERR_NOMEM;
	if (localtime_r(&t, &tm) == NULL)
		return ERR_MALFORMED;
	while (n < 367) {
		r->day[n++] = (int64_t)t;
		if (t >= (time_t)p->to)
			break;
		tm.tm_mday++;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			return ERR_MALFORMED;
	}
	r->ndays = n - 1;
	return r->ndays > 0 && r->day[r->ndays] == p->to ? 0 : ERR_MALFORMED;
}

/* ---- agents and coverage ---- */

static const char sql_agents[] =
    "SELECT rowid, office, revoked, enrolled, last_seen, version,"
    " CASE WHEN json_valid(heartbeat) THEN"
    "  json_extract(heartbeat, '$.rules.yara.version') END,"
    " CASE WHEN json_valid(heartbeat) THEN"
    "  json_extract(heartbeat, '$.drops.total') END,"
    " CASE WHEN json_valid(heartbeat) THEN max("
    "  coalesce(json_extract(heartbeat, '$.rules.yara.newest'), 0),"
    "  coalesce(json_extract(heartbeat, '$.network.rules.newest'), 0)) END"
    " FROM agents WHERE enrolled < ?5 AND (?3 IS NULL OR office = ?3)"
    " ORDER BY rowid";

static int
agent_row(struct rep *r, sqlite3_stmt *st)
{
	struct agent	*a, *p;
	struct office	*of;
	size_t		 n = r->nag + 1;

	if ((p = reallocarray(r->ag, n, sizeof(*p))) == NULL)
		return ERR_NOMEM;
	r->ag = p;
	a = &p[r->nag];
	memset(a, 0, sizeof(*a));
	r->nag = n;
	a->rowid = sqlite3_column_int64(st, 0);
	a->office = (of = office_by_name(r, col_text(st, 1))) == NULL ?
	    SIZE_MAX : (size_t)(of - r->of);
	a->counted = sqlite3_column_int(st, 2) == 0;
	a->enrolled = sqlite3_column_int64(st, 3);
	a->last_seen = sqlite3_column_int64(st, 4);
	(void)snprintf(a->version, sizeof(a->version), "%s", col_text(st, 5));
	if (sqlite3_column_type(st, 6) == SQLITE_TEXT &&
	    (a->rules = strdup(col_text(st, 6))) == NULL)
		return ERR_NOMEM;
	a->drops = col_u64(st, 7);
	/* an integer, or not said (text from a peer is not a time) */
	if (sqlite3_column_type(st, 8) == SQLITE_INTEGER)
		a->rules_newest = sqlite3_column_int64(st, 8);
	return 0;
}

static int
office_add(struct rep *r, const char *name)
{
	struct office	*p;
	size_t		 n = r->nof + 1;

	if ((p = reallocarray(r->of, n, sizeof(*p))) == NULL)
		return ERR_NOMEM;
	r->of = p;
	memset(&p[r->nof], 0, sizeof(*p));
	r->nof = n;
	(void)snprintf(p[n - 1].name, sizeof(p->name), "%s", name);
	return acc_init(&p[n - 1].a, r->ndays);
}

static int
office_row(struct rep *r, sqlite3_stmt *st)
{
	return office_add(r, col_text(st, 0));
}

/* Offices in byte order (strcmp's, for bsearch): BINARY collation. */
static const char sql_offices[] =
    "SELECT DISTINCT office FROM agents WHERE enrolled < ?5"
    " AND (?3 IS NULL OR office = ?3) ORDER BY office COLLATE BINARY";

/* The events of the period in time order, from the events_ts index
 * (ts, agent) alone, for each agent's count, distinct hours and newest:
 * counted here, as the rows come, rather than grouped and sorted by
 * SQLite (twice as long on a province's month). */
static const char sql_activity[] =
    "SELECT agent, ts FROM events INDEXED BY events_ts"
    " WHERE ts >= ?1 AND ts < ?2 ORDER BY ts";

/* The alerts of the period in time order (events_type_ts), for the
 * alerts per day and by agent, severity, category and rule (r->alerts),
 * counted as they come rather than grouped by SQLite (a year's million
 * alerts sorted spill to disk). The four fields come in one JSON array
 * (json_extract of several paths: one call, one parse), whose text is
 * the key: the same text, the same four values (alerts_put takes them
 * out again). */
static const char sql_alerts[] =
    "SELECT agent, ts, severity, json_extract(body, '$.alert.category',"
    " '$.alert.gid', '$.alert.signature_id', '$.alert.signature')"
    " FROM events INDEXED BY events_type_ts"
    " WHERE type = 'alert' AND ts >= ?1 AND ts < ?2 ORDER BY ts";
/* r->alerts' key: the columns agent, severity and the fields' array of
 * sql_alerts, in that order */
#define ALERT_KEYS	3

static int
alert_row(struct rep *r, sqlite3_stmt *st)
{
	struct agent	*a = agent_by_rowid(r, sqlite3_column_int64(st, 0));
	sqlite3_value	*v[ALERT_KEYS];
	uint64_t	 ts = col_u64(st, 1);
	int		 i;

	if (a == NULL)
		return 0;
	/* ts only grows: the day moves forward only */
	while (r->cur + 1 < r->ndays && (int64_t)ts >= r->day[r->cur + 1] * US)
		r->cur++;
	if (a->office < r->nof) {
		r->of[a->office].a.days[r->cur]++;
		r->all.days[r->cur]++;
	}
	v[0] = sqlite3_column_value(st, 0);
	for (i = 1; i < ALERT_KEYS; i++)
		v[i] = sqlite3_column_value(st, i + 1);
	return tally_add(r->alerts, v, 1);
}

static int
activity_row(struct rep *r, sqlite3_stmt *st)
{
	struct agent	*a = agent_by_rowid(r, sqlite3_column_int64(st, 0));
	uint64_t	 ts = col_u64(st, 1);

	if (a == NULL)
		return 0;
	/* ts only grows: a new hour is one not counted yet */
	if (a->events++ == 0 || ts / (3600 * US) != a->last_us / (3600 * US))
		a->hours++;
	a->last_us = ts;
	return 0;
}

/* -1, 0, 1 as dotted version a is older, equal, newer than b; numbers
 * compared as numbers, anything else by bytes. */
static int
version_cmp(const char *a, const char *b)
{
	unsigned long long	x, y;
	char			*ea, *eb;

	while (*a != '\0' && *b != '\0') {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			x = strtoull(a, &ea, 10);
			y = strtoull(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return (*a != '\0') - (*b != '\0');
}

/* Connected share of agent a over the period, per mille: the hours with
 * an event among those it was enrolled in (up to now). */
static uint64_t
share_pm(const struct rep *r, const struct agent *a)
{
	int64_t	start = a->enrolled > r->o->period.from ? a->enrolled :
		    r->o->period.from;
	int64_t	hours = (r->end - start + 3599) / 3600;
	uint64_t v;

	if (hours <= 0)
		return 0;
	v = a->hours * 1000 / (uint64_t)hours;
	return v > 1000 ? 1000 : v;
}

/* rules_fresh, for an agent that reported in the period: the rules' age
 * at the end of the period (or now), from the agent's last heartbeat. Rules dated after the end, or not dated
 * (an older agent, no rules loaded), are not known for the period. */
static void
rules_age(const struct rep *r, struct acc *c, const struct agent *a)
{
	if (a->rules_newest <= 0 || a->rules_newest > r->end)
		c->rules_undated++;
	else if (r->end - a->rules_newest <= RULES_AGE(r->o))
		c->rules_fresh++;
	else
		c->rules_stale++;
}

static void
coverage_agent(struct rep *r, struct acc *c, const struct agent *a)
{
	int64_t	end_us = r->end * US;
	int	seen = a->last_seen >= r->o->period.from &&
		    a->last_seen < r->o->period.to;

	c->enrolled++;
	if (a->events > 0 || seen)
		c->reported++;
	if (!(a->events > 0 && (int64_t)a->last_us >= end_us -
	    SILENT_AFTER(r->o) * US) && !(a->last_seen >= r->end -
	    SILENT_AFTER(r->o) && a->last_seen <= r->end))
		c->silent++;
	if (a->events > 0 || seen)
		rules_age(r, c, a);
	if (a->version[0] != '\0' && version_cmp(a->version, r->newest) < 0)
		c->outdated++;
	if (a->rules != NULL) {
		c->rules_known++;
		if (strcmp(a->rules, r->rules_newest) != 0)
			c->rules_differ++;
	}
	c->hb_drops += a->drops;
	c->share_sum_pm += share_pm(r, a);
}

static int
load_agents(struct rep *r)
{
	int64_t		 newest_seen = INT64_MIN;
	size_t		 i;
	int		 rc;

	/* with --office, the office was added by report_build */
	if ((r->o->office == NULL &&
	    (rc = each_row(r, sql_offices, office_row)) != 0) ||
	    (rc = each_row(r, sql_agents, agent_row)) != 0 ||
	    (rc = slots_init(r)) != 0 ||
	    (rc = each_row(r, sql_activity, activity_row)) != 0 ||
	    (rc = each_row(r, sql_alerts, alert_row)) != 0)
		return rc;
	for (i = 0; i < r->nag; i++) {
		struct agent	*a = &r->ag[i];

		if (!a->counted)
			continue;
		if (a->version[0] != '\0' &&
		    version_cmp(a->version, r->newest) > 0)
			(void)snprintf(r->newest, sizeof(r->newest), "%s",
			    a->version);
		if (a->rules != NULL && a->last_seen > newest_seen) {
			newest_seen = a->last_seen;
			r->rules_newest = a->rules;
		}
	}
	for (i = 0; i < r->nag; i++) {
		if (!r->ag[i].counted || r->ag[i].office >= r->nof)
			continue;
		coverage_agent(r, &r->of[r->ag[i].office].a, &r->ag[i]);
		coverage_agent(r, &r->all, &r->ag[i]);
	}
	return 0;
}

/* ---- events by type ---- */

/* agent_health: the collector's events about an agent (docs/events.md):
 * how many, events refused (each counted, or one per event refused
 * whole), events over the quota. */
static const char sql_health[] =
    "SELECT agent, count(*),"
    " sum(coalesce(json_extract(body, '$.agent_health.refused.events'), 0))"
    " + sum(json_extract(body, '$.agent_health.refused.reason') IS NOT NULL),"
    " sum(coalesce(json_extract(body, '$.agent_health.quota.events_over'),"
    " 0))"
    " FROM events WHERE type = 'agent_health' AND ts >= ?1 AND ts < ?2"
    " GROUP BY agent";

static void
health_add(struct acc *c, sqlite3_stmt *st)
{
	c->health += col_u64(st, 1);
	c->refused += col_u64(st, 2);
	c->over += col_u64(st, 3);
}

static int
health_row(struct rep *r, sqlite3_stmt *st)
{
	struct acc	*c = agent_acc(r, sqlite3_column_int64(st, 0));

	if (c != NULL) {
		health_add(c, st);
		health_add(&r->all, st);
	}
	return 0;
}

static const char sql_integrity[] =
    "SELECT agent, json_extract(body, '$.integrity.path')"
    " FROM events WHERE type = 'integrity' AND ts >= ?1 AND ts < ?2";

static int
is_critical(const struct rep *r, const char *path)
{
	const struct config_list	*l = r->o->critical;
	size_t				 len = strlen(path);
	int				 i;

	for (i = 0; l != NULL && i < l->n; i++)
		if (pathset_under(path, len, l->item[i], strlen(l->item[i])))
			return 1;
	return 0;
}

static int
integrity_row(struct rep *r, sqlite3_stmt *st)
{
	struct acc	*c = agent_acc(r, sqlite3_column_int64(st, 0));
	int		 crit;

	if (c == NULL)
		return 0;
	crit = is_critical(r, col_text(st, 1));
	c->integrity++;
	c->critical += crit;
	r->all.integrity++;
	r->all.critical += crit;
	return 0;
}

/* ---- breakdowns: grouped by office, and once more for the whole ---- */

/*
 * A breakdown's rows are (office or NULL, its columns..., count), the
 * offices in byte order, each office's rows biggest first: the first
 * limit of each become the array name in the office's detections (NULL:
 * the whole's). 0 limit: all.
 */
struct breakdown {
	const char		*name;
	const char		*by_office;
	const char		*whole;
	int			 limit;
	const char *const	 cols[4];
};

/* The period's alerts, counted by the activity pass (r->alerts, whose
 * groups number agents times rules, not alerts), into a temporary table
 * with each agent's office, id and name, which the breakdown queries
 * group again. The agents are those of r->ag (enrolled before the end,
 * of the office asked for), so every group has its agent here. */
static const char sql_alerts_table[] =
    "CREATE TEMP TABLE report_alerts(office, agent_id, name, severity,"
    " category, gid, sid, signature, n)";
static const char sql_alerts_put[] =
    "INSERT INTO temp.report_alerts SELECT office, id, name, ?2,"
    " json_extract(?3, '$[0]'), json_extract(?3, '$[1]'),"
    " json_extract(?3, '$[2]'), json_extract(?3, '$[3]'), ?4"
    " FROM agents WHERE rowid = ?1";
#define ALERTS	" FROM temp.report_alerts a"
/* The indicators (but rules: top_rules' business) of the incidents seen
 * in the period, once per incident and office of its agents. */
#define INDICATORS \
	"SELECT DISTINCT a.office, ii.incident, ii.kind, ii.value, ii.count" \
	" FROM incident_indicators ii CROSS JOIN incident_agents ia" \
	" ON ia.incident = ii.incident CROSS JOIN agents a" \
	" ON a.rowid = ia.agent" \
	" WHERE ii.kind != 'rule' AND ii.last_seen >= ?4" \
	" AND ii.first_seen < ?5 AND (?3 IS NULL OR a.office = ?3)"
#define BY(sel, keys, from, n) \
	"SELECT a.office, " sel ", sum(a.n) AS n" from \
	" GROUP BY a.office, " keys \
	" ORDER BY a.office COLLATE BINARY, n DESC, " keys, \
	"SELECT NULL, " sel ", sum(a.n) AS n" from " GROUP BY " keys \
	" ORDER BY n DESC, " keys, n

static const struct breakdown breakdowns[] = {
	{ "by_category", BY("a.category AS k1", "k1", ALERTS, 0),
	    { "category" } },
	{ "by_severity", BY("a.severity AS k1", "k1", ALERTS, 0),
	    { "severity" } },
	{ "top_rules", BY("a.gid AS k1, a.sid AS k2, max(a.signature)",
	    "k1, k2", ALERTS, TOP_N), { "gid", "sid", "signature" } },
	{ "top_hosts", BY("a.agent_id AS k1, max(a.name)", "k1", ALERTS,
	    TOP_N), { "agent_id", "name" } },
	{ "top_indicators",
	    "SELECT office, kind AS k1, value AS k2, sum(count) AS n"
	    " FROM (" INDICATORS ") GROUP BY office, k1, k2"
	    " ORDER BY office COLLATE BINARY, n DESC, k1, k2",
	    "SELECT NULL, kind AS k1, value AS k2, sum(count) AS n"
	    " FROM (SELECT DISTINCT incident, kind, value, count FROM ("
	    INDICATORS ")) GROUP BY k1, k2 ORDER BY n DESC, k1, k2", TOP_N,
	    { "kind", "value" } },
};

/* A column as JSON: integers bare, text escaped (TEXT_JSON), NULL. */
static json_t *
col_json(sqlite3_stmt *st, int i)
{
	const char	*s;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_NULL:
		return json_null();
	default:
		s = col_text(st, i);
		return text_json(s, strlen(s), NULL);
	}
}

static int
breakdown_row(const struct breakdown *b, sqlite3_stmt *st, json_t *arr)
{
	json_t	*row;
	int	 i;

	if ((row = json_object()) == NULL)
		return ERR_NOMEM;
	for (i = 0; b->cols[i] != NULL; i++)
		if (json_object_set_new(row, b->cols[i], col_json(st, i + 1)))
			goto fail;
	if (json_object_set_new(row, "count", col_json(st, i + 1)) != 0 ||
	    json_array_append_new(arr, row) != 0)
		goto fail;
	return 0;
fail:
	json_decref(row);
	return ERR_NOMEM;
}

/* The array name in det, made empty on first use. */
static json_t *
det_array(json_t *det, const char *name)
{
	json_t	*arr = json_object_get(det, name);

	if (arr == NULL && ((arr = json_array()) == NULL ||
	    json_object_set_new(det, name, arr) != 0))
		return NULL;
	return arr;
}

static int
run_breakdown(struct rep *r, const struct breakdown *b, const char *sql)
{
	sqlite3_stmt	*st;
	struct office	*of;
	json_t		*arr;
	int		 rc;

	if ((rc = prepare(r, &st, sql)) != 0)
		return rc;
	while ((rc = db_row(r->db, st, "report")) == 0) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			arr = det_array(r->all.det, b->name);
		else if ((of = office_by_name(r, col_text(st, 0))) != NULL)
			arr = det_array(of->a.det, b->name);
		else
			continue;	/* enrolled after the period */
		if (arr == NULL) {
			rc = ERR_NOMEM;
			break;
		}
		if (b->limit > 0 && json_array_size(arr) >= (size_t)b->limit)
			continue;
		if ((rc = breakdown_row(b, st, arr)) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

static int
alerts_put(struct rep *r)
{
	sqlite3_stmt		*st;
	sqlite3_value *const	*v;
	size_t			 i;
	int			 k, rc;

	if ((rc = db_prepare(r->db, &st, sql_alerts_put)) != 0)
		return rc;
	for (i = 0; i < tally_count(r->alerts) && rc == 0; i++) {
		v = tally_key(r->alerts, i);
		for (k = 0; k < ALERT_KEYS; k++)
			sqlite3_bind_value(st, k + 1, v[k]);
		sqlite3_bind_int64(st, ALERT_KEYS + 1,
		    (int64_t)tally_n(r->alerts, i));
		rc = db_run(r->db, st, "report");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Run fixed SQL with the period bound, for its effect. */
static int
run_sql(struct rep *r, const char *sql)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = prepare(r, &st, sql)) != 0)
		return rc;
	rc = db_run(r->db, st, "report");
	sqlite3_finalize(st);
	return rc;
}

static int
detections(struct rep *r)
{
	size_t	i;
	int	rc, k;

	if ((rc = run_sql(r, "DROP TABLE IF EXISTS temp.report_alerts")) ||
	    (rc = run_sql(r, sql_alerts_table)) != 0 ||
	    (rc = run_sql(r, "BEGIN")) != 0)
		return rc;
	/* one transaction of the temporary file's, not one per row */
	rc = alerts_put(r);
	if ((k = run_sql(r, rc == 0 ? "COMMIT" : "ROLLBACK")) != 0 && rc == 0)
		rc = k;
	if (rc != 0)
		return rc;
	for (i = 0; i < sizeof(breakdowns) / sizeof(*breakdowns); i++) {
		if ((rc = run_breakdown(r, &breakdowns[i],
		    breakdowns[i].by_office)) != 0 ||
		    (rc = run_breakdown(r, &breakdowns[i],
		    breakdowns[i].whole)) != 0)
			return rc;
	}
	if ((rc = run_sql(r, "DROP TABLE temp.report_alerts")) != 0 ||
	    (rc = each_row(r, sql_health, health_row)) != 0)
		return rc;
	return each_row(r, sql_integrity, integrity_row);
}

/* ---- incidents ---- */

/*
 * The incidents that touch the period: opened before its end, and
 * opened in it, or changed since its start, or still not ended (an
 * incident last changed before the period and ended then is out), read
 * into r->incs in created order. Then one pass over the audit log's
 * status changes in seq order (the table, not its index) gives each
 * when it first left new (ack), when it first ended (resolve, merge, or
 * a status change to closed), and its status at the period's end (the
 * last change before it; none: new); one pass over incident_agents in
 * incident order gives its offices, side by side. Each incident is then
 * counted, in created order, for every office among its agents' (once)
 * and for the whole. Three scans and a sort of the ids rather than three subqueries and a JSON array per incident (a
 * province's year: 100,000 incidents, 300,000 audit entries).
 */
static const char sql_incidents[] =
    "SELECT i.id, i.category, i.severity, i.created, i.deadline,"
    " i.reported_at, i.resolution"
    " FROM incidents i WHERE i.created < ?5 AND (i.created >= ?4"
    " OR i.updated >= ?4 OR i.status NOT IN ('resolved', 'closed'))"
    " ORDER BY i.created, i.id";
static const char sql_inc_audit[] =
    "SELECT incident, time, action, CASE action WHEN 'status' THEN"
    " json_extract(detail, '$.to') END"
    " FROM audit NOT INDEXED WHERE incident > 0"
    " AND action IN ('status', 'resolve', 'merge') ORDER BY seq";
/* in incident order: its key's, no sort */
static const char sql_inc_offices[] =
    "SELECT ia.incident, a.office FROM incident_agents ia"
    " JOIN agents a ON a.rowid = ia.agent ORDER BY ia.incident";

struct inc_row {
	int64_t		 id;
	char		*category;
	int		 severity;
	int64_t		 created, deadline, reported_at, acked, ended;
	int		 opened, needs_report, open_end;
	size_t		 of, nof;	/* its offices: incs.io[of..+nof) */
};

struct inc_key {			/* by id, for the passes' lookups */
	int64_t		 id;
	size_t		 pos;		/* in incs.v */
};

struct incs {
	struct inc_row		*v;		/* created order */
	size_t			 n, cap;
	struct inc_key		*keys;		/* [n], by id */
	size_t			*io;		/* offices (r->of's), each
						 * incident's together */
	size_t			 nio, capio;
};

static void
incs_free(struct incs *x)
{
	size_t	i;

	for (i = 0; i < x->n; i++)
		free(x->v[i].category);
	free(x->v);
	free(x->keys);
	free(x->io);
}

/* Room in *p (of elements of size sz, n used of *cap) for one more. */
static int
grow(void *p, size_t n, size_t *cap, size_t sz)
{
	void	*q, **pp = p;
	size_t	 c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	if ((q = reallocarray(*pp, c, sz)) == NULL)
		return ERR_NOMEM;
	*pp = q;
	*cap = c;
	return 0;
}

static int
inc_load_row(struct rep *r, sqlite3_stmt *st)
{
	struct incs	*x = r->incs;
	struct inc_row	*i;
	const char	*res = col_text(st, 6);

	if (grow(&x->v, x->n, &x->cap, sizeof(*x->v)) != 0)
		return ERR_NOMEM;
	i = &x->v[x->n];
	memset(i, 0, sizeof(*i));
	if ((i->category = strdup(col_text(st, 1))) == NULL)
		return ERR_NOMEM;
	x->n++;
	i->id = sqlite3_column_int64(st, 0);
	i->severity = sqlite3_column_int(st, 2);
	i->created = sqlite3_column_int64(st, 3);
	i->deadline = sqlite3_column_int64(st, 4);
	i->reported_at = sqlite3_column_int64(st, 5);
	i->opened = i->created >= r->o->period.from;
	/* false positives and duplicates are not reported (incident.h) */
	i->needs_report = strcmp(res, "false-positive") != 0 &&
	    strcmp(res, "duplicate") != 0;
	i->open_end = 1;		/* new, until a change before the end */
	return 0;
}

static int
cmp_inc_key(const void *a, const void *b)
{
	int64_t	x = ((const struct inc_key *)a)->id;
	int64_t	y = ((const struct inc_key *)b)->id;

	return (x > y) - (x < y);
}

static int
inc_keys(struct incs *x)
{
	size_t	i;

	if (x->n == 0)
		return 0;
	if ((x->keys = calloc(x->n, sizeof(*x->keys))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < x->n; i++) {
		x->keys[i].id = x->v[i].id;
		x->keys[i].pos = i;
	}
	qsort(x->keys, x->n, sizeof(*x->keys), cmp_inc_key);
	return 0;
}

/* The incident id, or NULL when it is not one of the period's. */
static struct inc_row *
inc_find(const struct incs *x, int64_t id, size_t *pos)
{
	const struct inc_key	 k = { id, 0 }, *f;

	if (x->n == 0 || (f = bsearch(&k, x->keys, x->n, sizeof(*x->keys),
	    cmp_inc_key)) == NULL)
		return NULL;
	*pos = f->pos;
	return &x->v[f->pos];
}

/* A status change (seq order): ack, end, the status at the end. */
static int
inc_audit_row(struct rep *r, sqlite3_stmt *st)
{
	struct inc_row	*i;
	const char	*action = col_text(st, 2), *to = col_text(st, 3);
	const char	*after;
	int64_t		 t = sqlite3_column_int64(st, 1);
	size_t		 pos;

	if ((i = inc_find(r->incs, sqlite3_column_int64(st, 0), &pos)) ==
	    NULL)
		return 0;
	if (strcmp(action, "resolve") == 0)
		after = "resolved";
	else if (strcmp(action, "merge") == 0)
		after = "closed";
	else
		after = to;		/* "" without one */
	if (i->acked == 0 || t < i->acked)
		i->acked = t;
	if ((strcmp(action, "status") != 0 || strcmp(to, "closed") == 0) &&
	    (i->ended == 0 || t < i->ended))
		i->ended = t;
	if (t < r->o->period.to)	/* the last one before the end stays */
		i->open_end = strcmp(after, "resolved") != 0 &&
		    strcmp(after, "closed") != 0;
	return 0;
}

static int
inc_office_row(struct rep *r, sqlite3_stmt *st)
{
	struct incs	*x = r->incs;
	struct inc_row	*i;
	struct office	*of;
	size_t		 pos, k;

	if ((i = inc_find(x, sqlite3_column_int64(st, 0), &pos)) == NULL ||
	    (of = office_by_name(r, col_text(st, 1))) == NULL)
		return 0;
	for (k = i->of; k < i->of + i->nof; k++)
		if (x->io[k] == (size_t)(of - r->of))
			return 0;	/* two agents, one office */
	if (grow(&x->io, x->nio, &x->capio, sizeof(*x->io)) != 0)
		return ERR_NOMEM;
	if (i->nof == 0)		/* rows come by incident */
		i->of = x->nio;
	x->io[x->nio++] = (size_t)(of - r->of);
	i->nof++;
	return 0;
}

static int
json_count(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (v != NULL)
		return json_integer_set(v, json_integer_value(v) + 1);
	return json_object_set_new(o, key, json_integer(1));
}

static int
inc_add(struct rep *r, struct acc *c, const struct inc_row *i)
{
	const struct report_period	*p = &r->o->period;
	const char			*sev;
	int				 rc;

	if (i->ended >= p->from && i->ended < p->to)
		c->closed++;
	c->open_end += i->open_end;
	if (!i->opened)
		return 0;
	c->opened++;
	if ((sev = taxonomy_severity_name(i->severity)) == NULL)
		sev = "unknown";	/* not written by incident.c */
	if ((rc = json_count(c->by_cat, i->category)) != 0 ||
	    (rc = json_count(c->by_sev, sev)) != 0)
		return ERR_NOMEM;
	if (i->acked != 0) {
		if ((rc = dur_add(&c->ack, i->acked - i->created)) != 0)
			return rc;
	}
	if (i->ended != 0) {
		if ((rc = dur_add(&c->res, i->ended - i->created)) != 0)
			return rc;
	}
	if (i->severity == SEV_CRITICAL) {
		c->crit++;
		if (i->acked != 0 && i->acked - i->created <=
		    ACK_WITHIN(r->o))
			c->crit_ack++;
	}
	if (!i->needs_report)
		c->no_report++;
	else if (i->reported_at != 0 && i->reported_at <= i->deadline)
		c->in_time++;
	else if (i->reported_at != 0)
		c->late++;
	else if (i->deadline < r->o->now)
		c->overdue++;
	else
		c->pending++;
	return 0;
}

/* Each incident, in created order, for its offices (once each) and the
 * whole. */
static int
inc_count(struct rep *r)
{
	struct incs	*x = r->incs;
	struct inc_row	*i;
	size_t		 n, k;
	int		 rc = 0;

	for (n = 0; n < x->n && rc == 0; n++) {
		i = &x->v[n];
		for (k = i->of; k < i->of + i->nof && rc == 0; k++)
			rc = inc_add(r, &r->of[x->io[k]].a, i);
		/* with --office, the whole is that office: its incidents
		 * only */
		if (rc == 0 && (r->o->office == NULL || i->nof > 0))
			rc = inc_add(r, &r->all, i);
	}
	return rc;
}

static int
incidents(struct rep *r)
{
	struct incs	x = { 0 };
	int		rc;

	r->incs = &x;
	if ((rc = each_row(r, sql_incidents, inc_load_row)) == 0 &&
	    (rc = inc_keys(&x)) == 0 &&
	    (rc = each_row(r, sql_inc_audit, inc_audit_row)) == 0 &&
	    (rc = each_row(r, sql_inc_offices, inc_office_row)) == 0)
		rc = inc_count(r);
	r->incs = NULL;
	incs_free(&x);
	return rc;
}

/* ---- early warning, retention ---- */

/* Notifications about an incident count for its agents' offices, once
 * each; the whole counts each once, summaries (no incident) too. */
static const char sql_notify_office[] =
    "SELECT a.office, n.outcome, count(DISTINCT n.id) FROM notifications n"
    " JOIN incident_agents ia ON ia.incident = n.incident"
    " JOIN agents a ON a.rowid = ia.agent"
    " WHERE n.time >= ?4 AND n.time < ?5 AND (?3 IS NULL OR a.office = ?3)"
    " GROUP BY a.office, n.outcome";
static const char sql_notify_whole[] =
    "SELECT NULL, outcome, count(*) FROM notifications n"
    " WHERE time >= ?4 AND time < ?5 AND (?3 IS NULL OR EXISTS"
    " (SELECT 1 FROM incident_agents ia JOIN agents a"
    " ON a.rowid = ia.agent WHERE ia.incident = n.incident"
    " AND a.office = ?3)) GROUP BY outcome";

static int
notify_row(struct rep *r, sqlite3_stmt *st)
{
	struct office	*of = NULL;
	struct acc	*c;
	const char	*outcome = col_text(st, 1);
	uint64_t	 n = col_u64(st, 2);

	if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    (of = office_by_name(r, col_text(st, 0))) == NULL)
		return 0;
	c = of != NULL ? &of->a : &r->all;
	if (strcmp(outcome, "sent") == 0)
		c->sent += n;
	else if (strcmp(outcome, "given-up") == 0)
		c->given_up += n;
	else
		c->failed += n;
	return 0;
}

static int
retention(struct rep *r, json_t **out)
{
	static const char	 sql[] = "SELECT count(*), coalesce(sum("
	    "json_extract(detail, '$.events')), 0) FROM audit"
	    " WHERE action = 'purge' AND time >= ?4 AND time < ?5";
	sqlite3_stmt		*st;
	int			 rc;

	if ((rc = prepare(r, &st, sql)) != 0)
		return rc;
	if ((rc = db_row(r->db, st, "report")) == 0)
		*out = json_pack("{s:I, s:I}", "purges",
		    (json_int_t)col_u64(st, 0), "events",
		    (json_int_t)col_u64(st, 1));
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	return *out ? 0 : ERR_NOMEM;
}

/* ---- the document ---- */

static int
control_off(const struct report_opts *o, const char *id)
{
	int	i;

	for (i = 0; o->off != NULL && i < o->off->n; i++)
		if (strcmp(o->off->item[i], id) == 0)
			return 1;
	return 0;
}

/* {"id", "status": "pass"|"fail"|"unknown", "evidence": {...}};
 * evidence is taken. A control turned off ([report] off) is left out. */
static int
control(const struct report_opts *o, json_t *arr, const char *id,
    int status, json_t *evidence)
{
	static const char *const	 names[] = { "fail", "pass",
		"unknown" };

	if (evidence == NULL)
		return ERR_NOMEM;
	if (control_off(o, id)) {
		json_decref(evidence);
		return 0;
	}
	return json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "id",
	    id, "status", names[status], "evidence", evidence)) ? ERR_NOMEM : 0;
}

#define PASS(x)		((x) ? 1 : 0)
#define UNKNOWN		2

static int
office_controls(const struct report_opts *o, json_t *arr,
    const struct acc *c)
{
	int	rc;

	if ((rc = control(o, arr, "all_reported", PASS(c->reported ==
	    c->enrolled), json_pack("{s:I, s:I}", "enrolled",
	    (json_int_t)c->enrolled, "reported", (json_int_t)c->reported))) ||
	    (rc = control(o, arr, "rules_fresh", c->rules_fresh +
	    c->rules_stale == 0 ? UNKNOWN : PASS(c->rules_stale == 0),
	    json_pack("{s:I, s:I, s:I, s:I}", "fresh",
	    (json_int_t)c->rules_fresh, "stale", (json_int_t)c->rules_stale,
	    "undated", (json_int_t)c->rules_undated, "max_age_s",
	    (json_int_t)RULES_AGE(o)))) ||
	    (rc = control(o, arr, "critical_ack_1h", PASS(c->crit_ack ==
	    c->crit), json_pack("{s:I, s:I, s:I}", "critical",
	    (json_int_t)c->crit, "acked_1h", (json_int_t)c->crit_ack,
	    "within_s", (json_int_t)ACK_WITHIN(o)))))
		return rc;
	return control(o, arr, "reported_in_deadline", PASS(c->late == 0 &&
	    c->overdue == 0), json_pack("{s:I, s:I, s:I, s:I}", "in_time",
	    (json_int_t)c->in_time, "late", (json_int_t)c->late, "overdue",
	    (json_int_t)c->overdue, "pending", (json_int_t)c->pending));
}

static json_t *
coverage_json(const struct rep *r, const struct acc *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:I,"
	    " s:I, s:I, s:I}",
	    "enrolled", (json_int_t)c->enrolled,
	    "reported", (json_int_t)c->reported,
	    "silent_24h", (json_int_t)c->silent,
	    "silent_after_s", (json_int_t)SILENT_AFTER(r->o),
	    "connected_pct", (json_int_t)(c->enrolled ? c->share_sum_pm /
	    c->enrolled / 10 : 0),
	    "outdated_version", (json_int_t)c->outdated,
	    "newest_version", r->newest,
	    "rules_known", (json_int_t)c->rules_known,
	    "rules_differ", (json_int_t)c->rules_differ,
	    "heartbeat_drops", (json_int_t)c->hb_drops,
	    "health_events", (json_int_t)c->health,
	    "refused_events", (json_int_t)c->refused,
	    "events_over_quota", (json_int_t)c->over);
}

static json_t *
incidents_json(struct acc *c)
{
	return json_pack("{s:I, s:I, s:I, s:O, s:O, s:o, s:o, s:I, s:I, s:I,"
	    " s:I, s:I, s:I, s:I}",
	    "opened", (json_int_t)c->opened,
	    "closed", (json_int_t)c->closed,
	    "open_at_end", (json_int_t)c->open_end,
	    "by_category", c->by_cat, "by_severity", c->by_sev,
	    "time_to_ack", dur_json(&c->ack),
	    "time_to_resolve", dur_json(&c->res),
	    "critical", (json_int_t)c->crit,
	    "critical_acked_1h", (json_int_t)c->crit_ack,
	    "reported_in_time", (json_int_t)c->in_time,
	    "reported_late", (json_int_t)c->late,
	    "overdue", (json_int_t)c->overdue,
	    "pending", (json_int_t)c->pending,
	    "no_report_needed", (json_int_t)c->no_report);
}

/* The days of the period with alerts: [{"day", "count"}]. */
static json_t *
days_json(const struct rep *r, const struct acc *c)
{
	json_t		*arr = json_array(), *d;
	struct tm	 tm;
	time_t		 t;
	char		 day[16];
	size_t		 i;

	for (i = 0; arr != NULL && i < r->ndays; i++) {
		if (c->days[i] == 0)
			continue;
		t = (time_t)r->day[i];
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0 ||
		    (d = json_pack("{s:s, s:I}", "day", day, "count",
		    (json_int_t)c->days[i])) == NULL ||
		    json_array_append_new(arr, d) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* The alerts, every breakdown ([] when it had no rows), the integrity
 * changes, in the order people read them. */
static json_t *
detections_json(const struct rep *r, struct acc *c)
{
	static const char *const	 order[] = { "by_category",
		"by_severity", "by_day", "top_rules", "top_hosts",
		"top_indicators" };
	json_t				*det, *v;
	uint64_t			 n = 0;
	size_t				 i;

	for (i = 0; i < r->ndays; i++)
		n += c->days[i];
	if ((v = days_json(r, c)) == NULL ||
	    json_object_set_new(c->det, "by_day", v) != 0 ||
	    (det = json_pack("{s:I}", "alerts", (json_int_t)n)) == NULL)
		return NULL;
	for (i = 0; i < sizeof(order) / sizeof(*order); i++) {
		if ((v = json_object_get(c->det, order[i])) == NULL)
			v = json_array();
		else
			json_incref(v);
		if (json_object_set_new(det, order[i], v) != 0)
			goto fail;
	}
	if (json_object_set_new(det, "integrity", json_pack("{s:I, s:I}",
	    "changes", (json_int_t)c->integrity, "critical_paths",
	    (json_int_t)c->critical)) != 0)
		goto fail;
	return det;
fail:
	json_decref(det);
	return NULL;
}

static json_t *
block_json(const struct rep *r, const char *name, struct acc *c)
{
	json_t	*b, *ctl;

	if ((ctl = json_array()) == NULL ||
	    office_controls(r->o, ctl, c) != 0) {
		json_decref(ctl);
		return NULL;
	}
	b = json_pack("{s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I}, s:o}",
	    "office", name ? text_json(name, strlen(name), NULL) : json_null(),
	    "coverage", coverage_json(r, c),
	    "detections", detections_json(r, c),
	    "incidents", incidents_json(c),
	    "notifications", "sent", (json_int_t)c->sent, "failed",
	    (json_int_t)c->failed, "given_up", (json_int_t)c->given_up,
	    "controls", ctl);
	return b;
}

/* ISO 8601 in the local time zone, with its offset. */
static json_t *
local_iso(int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;
	char		buf[40];

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
		return json_null();
	return json_string(buf);
}

/* backups: the newest backup recorded in the audit log (`vigil-collector
 * backup`, action "backup") at the time the report is made is at most
 * backup_max_age old. Audit entries number in the hundreds of
 * thousands at most: a scan of the table. */
static int
backups_control(struct rep *r, json_t *arr)
{
	static const char	 sql[] = "SELECT count(*), max(time),"
	    " (SELECT json_extract(detail, '$.size') FROM audit"
	    "  WHERE action = 'backup' AND time <= ?1 ORDER BY seq DESC"
	    "  LIMIT 1)"
	    " FROM audit WHERE action = 'backup' AND time <= ?1";
	sqlite3_stmt		*st;
	json_t			*ev = NULL;
	int64_t			 n, at, age;
	int			 rc, status = 0;

	if ((rc = db_prepare(r->db, &st, sql)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, r->o->now);
	if ((rc = db_row(r->db, st, "report")) == 0) {
		n = sqlite3_column_int64(st, 0);
		at = sqlite3_column_int64(st, 1);
		age = r->o->now - at;
		if (n == 0)
			ev = json_pack("{s:I, s:I}", "recorded", (json_int_t)0,
			    "max_age_s", (json_int_t)BACKUP_AGE(r->o));
		else
			ev = json_pack("{s:I, s:o, s:I, s:I, s:I}", "recorded",
			    (json_int_t)n, "at", local_iso(at), "size_bytes",
			    (json_int_t)col_u64(st, 2), "age_s",
			    (json_int_t)age, "max_age_s",
			    (json_int_t)BACKUP_AGE(r->o));
		status = PASS(n > 0 && age <= BACKUP_AGE(r->o));
	}
	sqlite3_finalize(st);
	if (rc != 0)
		return rc == ERR_NOTFOUND ? ERR_IO : rc;
	return control(r->o, arr, "backups", status, ev);
}

/* The controls of the whole collector: the audit chain, its disk,
 * backups. */
static int
global_controls(json_t *arr, struct rep *r, json_t **audit_out)
{
	struct audit_report	 ar;
	struct statvfs		 vfs;
	char			 head[AUDIT_HASH_STRLEN];
	uint64_t		 total, avail, pct;
	int			 rc;

	if ((rc = audit_verify(r->st, NULL, &ar)) != 0)
		return rc;
	sodium_bin2hex(head, sizeof(head), ar.head, sizeof(ar.head));
	if ((*audit_out = json_pack("{s:I, s:s, s:I}", "head_seq",
	    (json_int_t)ar.head_seq, "head", ar.head_seq ? head : "",
	    "entries", (json_int_t)ar.entries)) == NULL)
		return ERR_NOMEM;
	if ((rc = control(r->o, arr, "audit_chain",
	    PASS(ar.fault == AUDIT_INTACT),
	    json_pack("{s:s, s:I, s:I}", "result", audit_fault_name(ar.fault),
	    "entries", (json_int_t)ar.entries, "bad_seq",
	    (json_int_t)ar.bad_seq))) != 0)
		return rc;
	if (r->o->data_dir == NULL || statvfs(r->o->data_dir, &vfs) != 0 ||
	    vfs.f_blocks == 0)
		rc = control(r->o, arr, "disk_free", UNKNOWN, json_object());
	else {
		total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
		avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		pct = (uint64_t)vfs.f_bavail * 100 / vfs.f_blocks;
		rc = control(r->o, arr, "disk_free",
		    PASS(pct >= (uint64_t)FREE_MIN(r->o)),
		    json_pack("{s:I, s:I, s:I, s:I}", "free_bytes",
		    (json_int_t)avail, "total_bytes", (json_int_t)total,
		    "free_pct", (json_int_t)pct, "min_pct",
		    (json_int_t)FREE_MIN(r->o)));
	}
	if (rc != 0)
		return rc;
	return backups_control(r, arr);
}

static const char *const kind_names[] = { "month", "quarter", "half",
	"year" };

static int
build(json_t *doc, struct rep *r)
{
	const struct report_opts	*o = r->o;
	json_t				*offices, *ctl, *b;
	json_t				*audit = NULL, *ret = NULL;
	size_t				 i;
	int				 rc;

	if ((rc = load_agents(r)) != 0 || (rc = detections(r)) != 0 ||
	    (rc = incidents(r)) != 0 ||
	    (rc = each_row(r, sql_notify_office, notify_row)) != 0 ||
	    (rc = each_row(r, sql_notify_whole, notify_row)) != 0 ||
	    (rc = retention(r, &ret)) != 0)
		goto done;
	rc = ERR_NOMEM;
	if ((offices = json_array()) == NULL ||
	    json_object_set_new(doc, "offices", offices) != 0)
		goto done;
	for (i = 0; i < r->nof; i++)
		if ((b = block_json(r, r->of[i].name, &r->of[i].a)) == NULL ||
		    json_array_append_new(offices, b) != 0)
			goto done;
	if ((b = block_json(r, o->office, &r->all)) == NULL ||
	    json_object_set_new(doc, "total", b) != 0 ||
	    (ctl = json_array()) == NULL ||
	    json_object_set_new(doc, "controls", ctl) != 0)
		goto done;
	if ((rc = global_controls(ctl, r, &audit)) != 0)
		goto done;
	rc = json_object_set_new(doc, "audit", audit) != 0 ||
	    json_object_set_new(doc, "retention", ret) != 0 ? ERR_NOMEM : 0;
	audit = ret = NULL;
done:
	json_decref(audit);
	json_decref(ret);
	return rc;
}

int
report_build(json_t **out, struct store *st, const struct report_opts *o)
{
	struct rep	 r = { .st = st, .db = store_db(st), .o = o };
	json_t		*doc = NULL;
	int		 rc;

	*out = NULL;
	tzset();
	r.end = o->period.to < o->now ? o->period.to : o->now;
	/* sorts of a year's rows spill to a file, not to memory (db.c sets
	 * MEMORY for the daemon's small ones) */
	if ((rc = db_exec(r.db, "PRAGMA temp_store = FILE")) != 0 ||
	    (rc = days_init(&r)) != 0 ||
	    (rc = acc_init(&r.all, r.ndays)) != 0 ||
	    (rc = tally_new(&r.alerts, ALERT_KEYS)) != 0)
		goto fail;
	doc = json_pack("{s:s, s:{s:s, s:s, s:o, s:o, s:s}, s:o,"
	    " s:{s:o, s:o, s:s}}",
	    "schema", "vigil-report-1",
	    "period", "kind", kind_names[o->period.kind], "label",
	    o->period.label, "from", local_iso(o->period.from), "to",
	    local_iso(o->period.to), "time_zone", tzname[0],
	    "office", o->office ? text_json(o->office, strlen(o->office),
	    NULL) : json_null(),
	    "generated", "at", local_iso(o->now), "by", o->by ?
	    text_json(o->by, strlen(o->by), NULL) : json_null(),
	    "version", VIGIL_VERSION);
	if (doc == NULL) {
		rc = ERR_NOMEM;
		goto fail;
	}
	/* the office asked for is reported even with no agent in it */
	if ((o->office != NULL && (rc = office_add(&r, o->office)) != 0) ||
	    (rc = build(doc, &r)) != 0)
		goto fail;
	*out = doc;
	doc = NULL;
fail:
	json_decref(doc);
	rep_free(&r);
	if (db_exec(r.db, "PRAGMA temp_store = MEMORY") != 0 && rc == 0)
		rc = ERR_IO;
	return rc;
}
