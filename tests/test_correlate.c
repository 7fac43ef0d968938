/*
 * test_correlate.c: correlation (correlate.h) against the register it
 * writes: each grouping and escalation rule with its windows (event
 * time, and now passed in), a storm of 100,000 alerts, the index rebuilt
 * after a restart and after a rollback, responders' changes respected,
 * grouping against a naive model, and what is read from events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "audit.h"
#include "correlate.h"
#include "db.h"
#include "err.h"
#include "event.h"
#include "incident.h"
#include "rng.h"
#include "store.h"
#include "store_fixture.h"
#include "taxonomy.h"

#define NOW	1800000000	/* 2027-01-15 */
#define HOUR	3600

static const struct config_list critical = { 3, { "/etc/passwd",
    "/etc/ssh/sshd_config", "/boot/" } };

struct fx {
	struct store_fx		 sf;
	struct correlate_conf	 conf;
	struct correlate	*c;
	uint64_t		 seq[16];
};

static int
setup(void **state)
{
	struct fx	*f = store_fx_new(sizeof(*f));

	if (f == NULL)
		return -1;
	f->conf = (struct correlate_conf){ .enabled = 1, .window_s = HOUR,
	    .spread_agents = 3, .spread_window_s = HOUR, .offline_s = 900,
	    .max_groups = 100000, .critical = &critical,
	    .deadline_s = 5 * 86400 };
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	correlate_free(f->c);
	store_fx_free(f);
	return 0;
}

static void
start(struct fx *f, int64_t started)
{
	correlate_free(f->c);
	f->c = NULL;
	assert_int_equal(correlate_open(&f->c, f->sf.s, &f->conf, started), 0);
}

static int64_t
mkagent(struct fx *f, int n)
{
	uint8_t	pub[KEY_LEN];
	char	id[AGENT_ID_STRLEN], name[16];
	int64_t	rowid;

	memset(pub, n, sizeof(pub));
	snprintf(id, sizeof(id), "%016x", n);
	snprintf(name, sizeof(name), "pc-%02d", n);
	assert_int_equal(store_agent_add(f->sf.s, &rowid, id, pub, name,
	    "Xa Tan Phu", NOW - 86400), 0);
	assert_int_equal(store_agent_seen(f->sf.s, rowid, 1, NOW - 86400,
	    "127.0.0.1"), 0);
	return rowid;
}

/* A YARA alert of rule (name, sid) on a file with hash h (NULL: none),
 * meta given as JSON members (may be ""). malloc'd. */
static char *
yara(int64_t ts, const char *name, int sid, const char *h, const char *meta)
{
	char	tsb[EVENT_TS_STRLEN], *s;
	char	file[160] = "";

	event_format_ts(tsb, ts * 1000000);
	if (h != NULL)
		snprintf(file, sizeof(file), ",\"file\":{\"path\":\"/tmp/x\","
		    "\"sha256\":\"%s\"}", h);
	assert_true(asprintf(&s, "{\"timestamp\":\"%s\",\"event_type\":"
	    "\"alert\",\"alert\":{\"action\":\"allowed\",\"gid\":2,"
	    "\"signature_id\":%d,\"rev\":1,\"signature\":\"%s\","
	    "\"severity\":2}%s,\"yara\":{\"rule\":\"%s\",\"namespace\":"
	    "\"t.yar\",\"tags\":[],\"meta\":{%s}}}", tsb, sid, name, file,
	    name, meta) > 0);
	return s;
}

static char *
integrity(int64_t ts, const char *path)
{
	char	tsb[EVENT_TS_STRLEN], *s;

	event_format_ts(tsb, ts * 1000000);
	assert_true(asprintf(&s, "{\"timestamp\":\"%s\",\"event_type\":"
	    "\"integrity\",\"integrity\":{\"path\":\"%s\",\"change\":"
	    "\"modified\"}}", tsb, path) > 0);
	return s;
}

static char *
health(int64_t ts)
{
	char	tsb[EVENT_TS_STRLEN], *s;

	event_format_ts(tsb, ts * 1000000);
	assert_true(asprintf(&s, "{\"timestamp\":\"%s\",\"event_type\":"
	    "\"agent_health\",\"agent_health\":{\"source\":\"collector\","
	    "\"quota\":{\"events_over\":10}}}", tsb) > 0);
	return s;
}

/* Store and correlate n events of agents[i] (texts taken) in one
 * transaction, as the writer does; the result of correlate_batch. */
static int
feed(struct fx *f, const int64_t *agents, char **texts, size_t n,
    int64_t now, int rollback)
{
	struct store_event	 *evs = calloc(n, sizeof(*evs));
	struct correlate_in	 *in = calloc(n, sizeof(*in));
	const struct correlate_in **pin = calloc(n, sizeof(*pin));
	struct event_meta	 *m = calloc(n, sizeof(*m));
	int64_t			 *ids = calloc(n, sizeof(*ids));
	struct db		 *db = store_db(f->sf.s);
	json_t			 *root;
	size_t			  i, inserted;
	int			  rc;

	assert_true(evs && in && pin && m && ids);
	for (i = 0; i < n; i++) {
		assert_int_equal(event_parse_root(&m[i], &root, texts[i],
		    strlen(texts[i]), NULL), 0);
		correlate_extract(&in[i], m[i].type, root);
		json_decref(root);
		pin[i] = in[i].kind ? &in[i] : NULL;
		evs[i] = (struct store_event){ .agent_rowid = agents[i],
		    .seq = ++f->seq[agents[i] & 15], .ts_us = m[i].ts_us,
		    .type = m[i].type, .json = texts[i],
		    .len = strlen(texts[i]) };
	}
	assert_int_equal(db_begin(db, DB_IMMEDIATE), 0);
	assert_int_equal(store_events_insert_ids(f->sf.s, evs, n, &inserted,
	    ids), 0);
	rc = correlate_batch(f->c, evs, ids, pin, n, now);
	if (rollback || rc != 0) {
		db_rollback(db);
		correlate_abort(f->c);
	} else
		assert_int_equal(db_commit(db), 0);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(evs);
	free(in);
	free(pin);
	free(m);
	free(ids);
	return rc;
}

/* One event of one agent. */
static void
feed1(struct fx *f, int64_t agent, char *text, int64_t now)
{
	assert_int_equal(feed(f, &agent, &text, 1, now, 0), 0);
}

static void
tick(struct fx *f, int64_t now)
{
	struct db	*db = store_db(f->sf.s);

	assert_int_equal(db_begin(db, DB_IMMEDIATE), 0);
	assert_int_equal(correlate_tick(f->c, now), 0);
	assert_int_equal(db_commit(db), 0);
}

struct inc_list {
	struct incident	 v[64];
	size_t		 n;
};

static int
inc_cb(void *arg, const struct incident *i)
{
	struct inc_list	*l = arg;

	if (l->n < 64)
		l->v[l->n] = *i;
	l->n++;
	return 0;
}

/* Every incident, oldest first. */
static struct inc_list *
incidents(struct fx *f)
{
	static struct inc_list	l;
	struct incident_query	q = { .now = NOW };
	struct incident		t;
	size_t			i;

	memset(&l, 0, sizeof(l));
	assert_int_equal(incident_each(f->sf.s, &q, inc_cb, &l), 0);
	for (i = 0; i < l.n / 2 && l.n <= 64; i++) {
		t = l.v[i];
		l.v[i] = l.v[l.n - 1 - i];
		l.v[l.n - 1 - i] = t;
	}
	return &l;
}

static int
count_cb(void *arg, const void *x)
{
	(void)x;
	(*(size_t *)arg)++;
	return 0;
}

static size_t
nagents(struct fx *f, int64_t id)
{
	size_t	n = 0;

	assert_int_equal(incident_agents_each(f->sf.s, id,
	    (incident_agent_cb)count_cb, &n), 0);
	return n;
}

static size_t
naudit(struct fx *f, int64_t id)
{
	size_t	n = 0;

	assert_int_equal(audit_each(f->sf.s, id, (audit_cb)count_cb, &n), 0);
	return n;
}

static void
intact(struct fx *f)
{
	struct audit_report	r;

	assert_int_equal(audit_verify(f->sf.s, NULL, &r), 0);
	assert_int_equal(r.fault, AUDIT_INTACT);
}

#define H1 "c59d98cc821e32fa3a0adbaaa71be19ffdc3346560d56a44a23b2b00da6975cf"
#define H2 "d7d4c3a5114568197f6b9e5966ddf9924c255adc3577b452fc73fb054edc93a1"

/* Rule and agent: alerts within the window join; an hour of quiet
 * closes the group; severity and category from the meta. */
static void
test_rule_agent(void **state)
{
	struct fx		*f = *state;
	struct inc_list		*l;
	int64_t			 a = mkagent(f, 1);

	start(f, NOW);
	feed1(f, a, yara(NOW, "Webshell_PHP", 11, NULL,
	    "\"severity\":\"medium\""), NOW);
	feed1(f, a, yara(NOW + 600, "Webshell_PHP", 11, NULL,
	    "\"score\":95"), NOW + 600);
	feed1(f, a, yara(NOW + 600 + HOUR, "Webshell_PHP", 11, NULL, ""),
	    NOW + 600 + HOUR);
	l = incidents(f);
	assert_int_equal(l->n, 1);		/* exactly the window: joins */
	feed1(f, a, yara(NOW + 601 + 2 * HOUR, "Webshell_PHP", 11, NULL, ""),
	    NOW + 601 + 2 * HOUR);
	l = incidents(f);
	assert_int_equal(l->n, 2);
	assert_string_equal(l->v[0].title, "Webshell_PHP");
	assert_string_equal(l->v[0].category, "intrusion");
	assert_int_equal(l->v[0].alerts, 3);
	assert_int_equal(l->v[0].severity, SEV_CRITICAL);   /* raised */
	assert_int_equal(l->v[0].first_seen, NOW);
	assert_int_equal(l->v[0].last_seen, NOW + 600 + HOUR);
	assert_int_equal(l->v[1].alerts, 1);
	/* open, then one link entry per batch: no entry per alert */
	assert_int_equal(naudit(f, l->v[0].id), 4);
	intact(f);
}

/* Two rules on one file: the shared hash groups them. */
static void
test_indicator(void **state)
{
	struct fx		*f = *state;
	struct inc_list		*l;
	int64_t			 a = mkagent(f, 1), b = mkagent(f, 2);

	start(f, NOW);
	feed1(f, a, yara(NOW, "Ransom_A", 21, H1, ""), NOW);
	feed1(f, a, yara(NOW + 5, "Ransom_B", 22, H1, ""), NOW + 5);
	feed1(f, a, yara(NOW + 9, "Other", 23, H2, ""), NOW + 9);
	feed1(f, b, yara(NOW + 9, "Something", 24, H1, ""), NOW + 9);
	l = incidents(f);
	assert_int_equal(l->n, 2);
	assert_int_equal(l->v[0].alerts, 3);
	assert_string_equal(l->v[0].category, "encryption");
	assert_int_equal(nagents(f, l->v[0].id), 2);
	assert_string_equal(l->v[1].title, "Other");
	intact(f);
}

/* N agents within T: one critical spreading incident, then more agents
 * join it; sightings older than T do not count. */
static void
test_spread(void **state)
{
	struct fx		*f = *state;
	struct inc_list		*l;
	int64_t			 a[5];
	size_t			 i, spreading = 0;
	int			 k;

	for (k = 0; k < 5; k++)
		a[k] = mkagent(f, k + 1);
	start(f, NOW);
	feed1(f, a[0], yara(NOW - 2 * HOUR, "Worm_X", 31, NULL, ""), NOW);
	feed1(f, a[1], yara(NOW, "Worm_X", 31, NULL, ""), NOW);
	tick(f, NOW + 5);	/* prunes nothing of the last hour */
	start(f, NOW + 5);	/* nor does a restart */
	feed1(f, a[2], yara(NOW + 10, "Worm_X", 31, NULL, ""), NOW + 10);
	l = incidents(f);
	assert_int_equal(l->n, 3);		/* a[0] is too old */
	feed1(f, a[3], yara(NOW + 20, "Worm_X", 31, NULL, ""), NOW + 20);
	feed1(f, a[4], yara(NOW + 30, "Worm_X", 31, NULL, ""), NOW + 30);
	feed1(f, a[4], yara(NOW + 40, "Worm_X", 31, NULL, ""), NOW + 40);
	l = incidents(f);
	for (i = 0; i < l->n; i++) {
		if (strncmp(l->v[i].title, "Spreading", 9) != 0)
			continue;
		spreading++;
		assert_int_equal(l->v[i].severity, SEV_CRITICAL);
		assert_string_equal(l->v[i].title,
		    "Spreading on 3 agents: Worm_X");
		assert_int_equal(nagents(f, l->v[i].id), 4);
		assert_int_equal(l->v[i].alerts, 4);	/* each one's first */
	}
	assert_int_equal(spreading, 1);
	assert_int_equal(l->n, 6);		/* 5 groups, 1 spreading */
	intact(f);
}

/* The changes handed to the early warning: one per incident and batch,
 * opened, raised, spreading; none for alerts that only join. */
static const struct correlate_change *
changes(struct fx *f, size_t want)
{
	const struct correlate_change	*c;
	size_t				 n, i;

	c = correlate_changes(f->c, &n);
	assert_int_equal(n, want);
	for (i = 1; i < n; i++)
		assert_true(c[i - 1].incident < c[i].incident);
	return c;
}

static void
test_changes(void **state)
{
	struct fx			*f = *state;
	const struct correlate_change	*c;
	struct inc_list			*l;
	int64_t				 a[4], sid, own;
	char				*t[3];
	int				 k;

	for (k = 0; k < 4; k++)
		a[k] = mkagent(f, k + 1);
	start(f, NOW);
	/* opened, and the same batch's alerts join it: one change */
	t[0] = yara(NOW, "Trojan_Q", 41, NULL, "\"severity\":\"medium\"");
	t[1] = yara(NOW + 1, "Trojan_Q", 41, NULL, "\"severity\":\"medium\"");
	t[2] = yara(NOW + 2, "Trojan_Q", 41, NULL, "\"severity\":\"high\"");
	assert_int_equal(feed(f, (int64_t[]){ a[0], a[0], a[0] }, t, 3, NOW,
	    0), 0);
	c = changes(f, 1);
	assert_int_equal(c[0].kinds & CHG_OPENED, CHG_OPENED);
	assert_int_equal(c[0].severity, SEV_HIGH);
	own = c[0].incident;
	/* an alert that only joins: nothing */
	feed1(f, a[0], yara(NOW + 3, "Trojan_Q", 41, NULL, ""), NOW + 3);
	changes(f, 0);
	/* raised */
	feed1(f, a[0], yara(NOW + 4, "Trojan_Q", 41, NULL, "\"score\":95"),
	    NOW + 4);
	c = changes(f, 1);
	assert_int_equal(c[0].incident, own);
	assert_int_equal(c[0].kinds, CHG_RAISED);
	assert_int_equal(c[0].from, SEV_HIGH);
	assert_int_equal(c[0].severity, SEV_CRITICAL);
	/* spreading: the third agent opens its own group and the spreading
	 * incident; the fourth opens its group and spreads it */
	feed1(f, a[1], yara(NOW + 5, "Trojan_Q", 41, NULL, ""), NOW + 5);
	changes(f, 1);
	feed1(f, a[2], yara(NOW + 6, "Trojan_Q", 41, NULL, ""), NOW + 6);
	c = changes(f, 2);
	assert_int_equal(c[1].kinds & CHG_OPENED, CHG_OPENED);
	assert_int_equal(c[1].severity, SEV_CRITICAL);
	sid = c[1].incident;
	feed1(f, a[3], yara(NOW + 7, "Trojan_Q", 41, NULL, ""), NOW + 7);
	c = changes(f, 2);
	assert_int_equal(c[0].incident, sid);
	assert_int_equal(c[0].kinds, CHG_SPREAD);
	assert_int_equal(c[0].agents, 1);
	assert_int_equal(c[1].kinds & CHG_OPENED, CHG_OPENED);
	/* a rolled back batch hands nothing on */
	t[0] = yara(NOW + 8, "Other_R", 42, NULL, "");
	assert_int_equal(feed(f, &a[0], t, 1, NOW + 8, 1), 0);
	changes(f, 0);
	/* the tick's offline incident */
	tick(f, NOW + 86400);
	l = incidents(f);
	c = changes(f, 4);
	for (k = 0; k < 4; k++) {
		assert_int_equal(c[k].kinds, CHG_OPENED);
		assert_int_equal(c[k].severity, SEV_HIGH);
	}
	assert_int_equal(l->n, 9);
	intact(f);
}

/* Silent beyond offline_s (since it was seen, or the start): an
 * incident; back: resolved by correlate, with its reason. */
static void
test_offline(void **state)
{
	struct fx		*f = *state;
	struct inc_list		*l;
	struct incident		 i;
	int64_t			 a = mkagent(f, 1), b = mkagent(f, 2);

	start(f, NOW);			/* both last seen a day before */
	assert_int_equal(store_agent_seen(f->sf.s, b, 2, NOW + 800,
	    "127.0.0.1"), 0);
	tick(f, NOW + 900);
	assert_int_equal(incidents(f)->n, 0);
	tick(f, NOW + 901);
	l = incidents(f);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0].title,
	    "Agent offline (possible tampering): pc-01");
	assert_int_equal(l->v[0].severity, SEV_HIGH);
	assert_int_equal(nagents(f, l->v[0].id), 1);
	tick(f, NOW + 1000);			/* once */
	assert_int_equal(incidents(f)->n, 1);
	/* a restart keeps it, and sees the agent come back */
	start(f, NOW + 1100);
	assert_int_equal(store_agent_seen(f->sf.s, a, 3, NOW + 1200,
	    "127.0.0.1"), 0);
	tick(f, NOW + 1201);
	assert_int_equal(incident_get(f->sf.s, &i, l->v[0].id), 0);
	assert_int_equal(i.status, ST_RESOLVED);
	assert_int_equal(i.resolution, RES_INDETERMINATE);
	assert_non_null(strstr(i.reason, "agent back"));
	tick(f, NOW + 1202);
	assert_int_equal(incidents(f)->n, 1);
	/* b: last seen at NOW + 800, but silent only since the restart */
	tick(f, NOW + 2000);
	assert_int_equal(incidents(f)->n, 1);
	tick(f, NOW + 2001);
	assert_int_equal(incidents(f)->n, 2);
	intact(f);
}

/* Critical paths only, one incident per agent within the window. */
static void
test_integrity(void **state)
{
	struct fx		*f = *state;
	struct inc_list		*l;
	int64_t			 a = mkagent(f, 1);

	start(f, NOW);
	feed1(f, a, integrity(NOW, "/home/u/notes.txt"), NOW);
	feed1(f, a, integrity(NOW, "/etc/passwdx"), NOW);
	assert_int_equal(incidents(f)->n, 0);
	feed1(f, a, integrity(NOW, "/etc/passwd"), NOW);
	feed1(f, a, integrity(NOW + 5, "/boot/vmlinuz"), NOW + 5);
	l = incidents(f);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0].title, "Critical file changed: /etc/passwd");
	assert_string_equal(l->v[0].category, "intrusion");
	assert_int_equal(l->v[0].alerts, 2);
	intact(f);
}

/* Health reports of an agent: one incident, not one per report. */
static void
test_health(void **state)
{
	struct fx	*f = *state;
	struct inc_list	*l;
	int64_t		 a = mkagent(f, 1), ags[3];
	char		*t[3];
	int		 k;

	start(f, NOW);
	for (k = 0; k < 3; k++) {
		ags[k] = a;
		t[k] = health(NOW + k * 60);
	}
	assert_int_equal(feed(f, ags, t, 3, NOW + 120, 0), 0);
	feed1(f, a, health(NOW + 600), NOW + 600);
	l = incidents(f);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0].title, "Agent health: quota");
	assert_int_equal(l->v[0].alerts, 4);
	intact(f);
}

/* 100,000 alerts of one scan (3 rules, a file each) in batches of
 * 5,000: three incidents, a few audit entries each. */
static void
test_storm(void **state)
{
	struct fx	*f = *state;
	struct inc_list	*l;
	int64_t		 a = mkagent(f, 1), *ags;
	char		**t, h[65];
	size_t		 i, b, total = 0;

	ags = calloc(5000, sizeof(*ags));
	t = calloc(5000, sizeof(*t));
	assert_true(ags && t);
	start(f, NOW);
	for (b = 0; b < 20; b++) {
		for (i = 0; i < 5000; i++) {
			snprintf(h, sizeof(h), "%064zx", b * 5000 + i);
			ags[i] = a;
			t[i] = yara(NOW + (int64_t)b, i % 3 == 0 ? "Mal_A" :
			    i % 3 == 1 ? "Mal_B" : "Mal_C", 40 + (int)(i % 3), h,
			    "");
		}
		assert_int_equal(feed(f, ags, t, 5000, NOW + (int64_t)b, 0),
		    0);
	}
	l = incidents(f);
	assert_int_equal(l->n, 3);
	for (i = 0; i < l->n; i++) {
		total += l->v[i].alerts;
		assert_true(naudit(f, l->v[i].id) <= 21);
	}
	assert_int_equal(total, 100000);
	/* capped: 100,000 hashes do not all get a group */
	assert_true(correlate_size(f->c) <= 100000 + 10);
	intact(f);
	free(ags);
	free(t);
}

/* A restart rebuilds the index from the register's table. */
static void
test_restart(void **state)
{
	struct fx	*f = *state;
	struct inc_list	*l;
	int64_t		 a = mkagent(f, 1);

	start(f, NOW);
	feed1(f, a, yara(NOW, "Mal_A", 50, H1, ""), NOW);
	start(f, NOW + 100);
	feed1(f, a, yara(NOW + 100, "Mal_A", 50, H1, ""), NOW + 100);
	feed1(f, a, yara(NOW + 100, "Mal_Z", 51, H1, ""), NOW + 100);
	l = incidents(f);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->v[0].alerts, 3);
	intact(f);
}

/* A batch rolled back leaves nothing, in the store or the index. */
static void
test_rollback(void **state)
{
	struct fx	*f = *state;
	struct inc_list	*l;
	int64_t		 a = mkagent(f, 1);
	char		*t;

	start(f, NOW);
	t = yara(NOW, "Mal_A", 50, NULL, "");
	assert_int_equal(feed(f, &a, &t, 1, NOW, 1), 0);
	assert_int_equal(incidents(f)->n, 0);
	feed1(f, a, yara(NOW + 1, "Mal_A", 50, NULL, ""), NOW + 1);
	l = incidents(f);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->v[0].alerts, 1);
	intact(f);
}

/* A responder's resolve ends the group; a merge is followed. */
static void
test_responder(void **state)
{
	struct fx	*f = *state;
	struct inc_list	*l;
	int64_t		 a = mkagent(f, 1), b = mkagent(f, 2), x;

	start(f, NOW);
	feed1(f, a, yara(NOW, "Mal_A", 50, NULL, ""), NOW);
	l = incidents(f);
	x = l->v[0].id;
	assert_int_equal(incident_resolve(f->sf.s, NULL, x,
	    RES_FALSE_POSITIVE, "test file", "alice", NOW + 1), 0);
	feed1(f, a, yara(NOW + 2, "Mal_A", 50, NULL, ""), NOW + 2);
	l = incidents(f);
	assert_int_equal(l->n, 2);
	assert_int_equal(l->v[0].alerts, 1);
	assert_int_equal(l->v[1].alerts, 1);
	feed1(f, b, yara(NOW + 3, "Mal_B", 60, NULL, ""), NOW + 3);
	l = incidents(f);
	assert_int_equal(incident_merge(f->sf.s, NULL, l->v[2].id,
	    l->v[1].id, "alice", NOW + 4), 0);
	feed1(f, b, yara(NOW + 5, "Mal_B", 60, NULL, ""), NOW + 5);
	l = incidents(f);
	assert_int_equal(l->n, 3);
	assert_int_equal(l->v[1].alerts, 3);	/* 1 + merged 1 + new 1 */
	intact(f);
}

/* Grouping by rule and agent against a naive model: per (rule, agent),
 * a new incident whenever the gap to its previous alert passes the
 * window. Random times, rules and agents; no hashes; no spreading. */
static void
test_model(void **state)
{
	struct fx	*f = *state;
	struct inc_list	*l;
	int64_t		 ag[4], last[4][5], ts = NOW, ags[1];
	uint64_t	 expect = 0;
	size_t		 i, n = 0;
	int		 k, r;
	char		 name[16], *t;

	f->conf.spread_agents = 100;
	for (k = 0; k < 4; k++)
		ag[k] = mkagent(f, k + 1);
	memset(last, 0, sizeof(last));
	start(f, NOW);
	for (i = 0; i < 400; i++) {
		ts += (int64_t)(rnd() % 1000);
		k = (int)(rnd() % 4);
		r = (int)(rnd() % 5);
		if (last[k][r] == 0 || ts - last[k][r] > HOUR)
			expect++;
		last[k][r] = ts;
		snprintf(name, sizeof(name), "Rule_%d", r);
		ags[0] = ag[k];
		t = yara(ts, name, 70 + r, NULL, "");
		assert_int_equal(feed(f, ags, &t, 1, ts, 0), 0);
	}
	l = incidents(f);
	assert_int_equal(l->n, expect);
	for (i = 0; i < l->n && i < 64; i++)
		n += l->v[i].alerts;
	if (l->n <= 64)
		assert_int_equal(n, 400);
	intact(f);
}

/* What is read from events: severity, category, indicators. */
static void
test_extract(void **state)
{
	static const struct { const char *meta; int sev; } sevs[] = {
		{ "\"severity\":\"CRITICAL\"", SEV_CRITICAL },
		{ "\"severity\":1", SEV_HIGH },
		{ "\"severity\":\"3\"", SEV_LOW },
		{ "\"severity\":9,\"score\":60", SEV_MEDIUM },
		{ "\"score\":75", SEV_HIGH },
		{ "\"score\":40", SEV_LOW },
		{ "\"score\":101", SEV_MEDIUM },	/* alert.severity 2 */
		{ "\"threat_level\":9", SEV_CRITICAL },
		{ "\"threat_level\":\"low\"", SEV_LOW },
		{ "", SEV_MEDIUM },
	};
	struct correlate_in	 in;
	struct event_meta	 m;
	json_t			*root;
	char			*t;
	size_t			 i;
	const char		*net = "{\"timestamp\":\"2026-11-25T11:30:17Z\","
	    "\"event_type\":\"alert\",\"src_ip\":\"10.0.0.5\",\"dest_ip\":"
	    "\"203.0.113.9\",\"tls\":{\"sni\":\"EVIL.example\"},\"alert\":"
	    "{\"gid\":1,\"signature_id\":9000001,\"signature\":\"ET TROJAN x\","
	    "\"severity\":1}}";

	(void)state;
	for (i = 0; i < sizeof(sevs) / sizeof(sevs[0]); i++) {
		t = yara(NOW, "R", 1, NULL, sevs[i].meta);
		assert_int_equal(event_parse_root(&m, &root, t, strlen(t),
		    NULL), 0);
		correlate_extract(&in, m.type, root);
		json_decref(root);
		free(t);
		assert_int_equal(in.kind, CORR_ALERT);
		assert_int_equal(in.severity, sevs[i].sev);
		assert_string_equal(in.category, "malware");
	}
	assert_int_equal(event_parse_root(&m, &root, net, strlen(net), NULL),
	    0);
	correlate_extract(&in, m.type, root);
	json_decref(root);
	assert_int_equal(in.kind, CORR_ALERT);
	assert_int_equal(in.severity, SEV_HIGH);
	assert_string_equal(in.category, "malware");	/* "TROJAN" */
	assert_int_equal(in.nind, 3);		/* rule, public ip, domain */
	assert_string_equal(in.ind[0].value, "1:9000001");
	assert_string_equal(in.ind[1].value, "203.0.113.9");
	assert_string_equal(in.ind[2].value, "evil.example");
	/* no signature_id: nothing to correlate */
	correlate_extract(&in, "alert", root = json_pack("{s:{}}", "alert"));
	json_decref(root);
	assert_int_equal(in.kind, CORR_NONE);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rule_agent),
		T(test_indicator),
		T(test_spread),
		T(test_changes),
		T(test_offline),
		T(test_integrity),
		T(test_health),
		T(test_storm),
		T(test_restart),
		T(test_rollback),
		T(test_responder),
		T(test_model),
		cmocka_unit_test(test_extract),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
