/*
 * test_defrules.c: the traffic rules vigil ships (rules/traffic/, loaded
 * from the source tree) and the detectors, through a whole netsensor:
 * frames built by netplay.h go in, EVE alerts come out.
 *
 * Each shipped rule has a row in rule_cases: a sample on which exactly
 * that rule alerts (one alert, nothing else from any rule, list or
 * detector), and a benign sample of the same shape (a normal request,
 * a normal name, SMB inside the office) on which nothing alerts. Each
 * detector has a row in det_cases the same way. A rule without a row, a
 * row without a rule, a rule the loader skips or a sid outside vigil's
 * range fails test_every_rule_has_a_case: adding a rule means adding a
 * row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "defrules_samples.h"
#include "netsensor.h"
#include "version.h"

#define SID_MIN		9100000
#define SID_MAX		9199999
#define MAX_ALERTS	16

/* ---- the sensor ---- */

struct got {
	uint32_t	 gid, sid;
	json_t		*eve;
};

struct run {
	struct netsensor	*ns;
	struct netplay		*play;
	struct got		 a[MAX_ALERTS];
	size_t			 n;
	int64_t			 last;
};

static struct netsensor_rules	*rules;
static uint32_t			 rules_loaded, rules_skipped;

static void
on_alert(void *ctx, const json_t *eve, const struct pkt *p,
    const struct net_alert *a)
{
	struct run	*r = ctx;

	if (r->n == MAX_ALERTS)
		fail_msg("more than %d alerts", MAX_ALERTS);
	r->a[r->n].gid = a->gid;
	r->a[r->n].sid = a->sid;
	r->a[r->n].eve = json_deep_copy(eve);
	r->n++;
}

static void
sink(void *ctx, int linktype, int64_t ts_us, const uint8_t *frame,
    size_t len)
{
	struct run	*r = ctx;

	netsensor_feed(r->ns, linktype, ts_us, frame, (uint32_t)len,
	    (uint32_t)len);
	r->last = ts_us;
}

static void
run_start(struct run *r)
{
	struct netsensor_conf	c;

	memset(r, 0, sizeof(*r));
	netsensor_conf_defaults(&c);
	c.gateway_set = 1;
	memcpy(c.gateway_ip, "\xc0\xa8\x01\x01", 4);
	memcpy(c.gateway_mac, gw_mac, 6);
	c.gateway_mac_set = 1;
	assert_int_equal(netsensor_new(&r->ns, &c, rules, on_alert, r), 0);
	r->play = netplay_new(LT_EN10MB, sink, r);
}

/* The capture ends: probes nobody answered time out. */
static void
run_end(struct run *r)
{
	netsensor_tick(r->ns, r->last + 10 * 1000000LL);
}

static void
run_free(struct run *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		json_decref(r->a[i].eve);
	netsensor_free(r->ns);
	netplay_free(r->play);
}

static void
print_alerts(const struct run *r, const char *what)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		print_message("%s: alert %u:%u %s\n", what, r->a[i].gid,
		    r->a[i].sid, json_string_value(json_object_get(
		    json_object_get(r->a[i].eve, "alert"), "signature")));
}

/* Exactly one alert, gid:sid, else say what came instead. */
static void
expect_one(const struct run *r, uint32_t gid, uint32_t sid)
{
	if (r->n != 1 || r->a[0].gid != gid || r->a[0].sid != sid) {
		print_alerts(r, "got");
		fail_msg("%u:%u: want exactly that alert, got %zu alerts",
		    gid, sid, r->n);
	}
}

static void
expect_none(const struct run *r, uint32_t gid, uint32_t sid)
{
	if (r->n != 0) {
		print_alerts(r, "benign sample");
		fail_msg("%u:%u: its benign sample raised %zu alerts", gid, sid,
		    r->n);
	}
}

/* ---- rules ---- */

static int
group_setup(void **state)
{
	const char			*paths[] = { VIGIL_TRAFFIC_SOURCE };
	struct netsensor_load_opts	 o = { 0 };
	struct netsensor_load_stats	 st;

	if (sodium_init() < 0)
		return -1;
	o.rules = paths;
	o.nrules = 1;
	if (netsensor_load(&rules, &o, &st) != 0)
		return -1;
	rules_loaded = st.rules.loaded;
	rules_skipped = st.rules.skipped;
	return 0;
}

static int
group_teardown(void **state)
{
	netsensor_rules_free(rules);
	return 0;
}

/* The sids of the enabled rules in one rules file, appended to sids. */
static void
file_sids(const char *path, uint32_t *sids, size_t *n, size_t max)
{
	FILE		*f;
	char		 line[4096];
	const char	*s;
	char		*end;
	unsigned long	 v;

	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_non_null(strchr(line, '\n'));	/* no long lines */
		if (strncmp(line, "alert ", 6) != 0) {
			/* comments and blank lines only: no other action,
			 * no continuation lines */
			assert_true(line[0] == '#' || line[0] == '\n');
			continue;
		}
		assert_non_null(s = strstr(line, "; sid:"));
		v = strtoul(s + 6, &end, 10);
		assert_int_equal(*end, ';');
		assert_true(*n < max);
		sids[(*n)++] = (uint32_t)v;
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* rules/traffic holds exactly the rules of rule_cases, each in vigil's
 * sid range, all loaded. */
static void
test_every_rule_has_a_case(void **state)
{
	enum { N = sizeof(rule_cases) / sizeof(rule_cases[0]) };
	uint32_t	 sids[256], want[N];
	size_t		 n = 0, i;
	DIR		*d;
	struct dirent	*e;
	char		 path[PATH_MAX];
	size_t		 len;

	assert_non_null(d = opendir(VIGIL_TRAFFIC_SOURCE));
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 6, ".rules") != 0)
			continue;
		assert_int_equal(strncmp(e->d_name, "vigil-", 6), 0);
		netplay_fmt(path, sizeof(path), "%s/%s", VIGIL_TRAFFIC_SOURCE,
		    e->d_name);
		file_sids(path, sids, &n, sizeof(sids) / sizeof(sids[0]));
	}
	closedir(d);
	for (i = 0; i < N; i++)
		want[i] = rule_cases[i].sid;
	qsort(sids, n, sizeof(sids[0]), cmp_u32);
	qsort(want, N, sizeof(want[0]), cmp_u32);
	for (i = 0; i < n; i++) {
		assert_in_range(sids[i], SID_MIN, SID_MAX);
		if (i > 0 && sids[i] == sids[i - 1])
			fail_msg("sid %u twice", sids[i]);
		if (i >= N || sids[i] != want[i])
			fail_msg("sid %u: no row in rule_cases (or a row "
			    "without a rule before it)", sids[i]);
	}
	assert_int_equal(n, N);
	assert_int_equal(rules_skipped, 0);
	assert_int_equal(rules_loaded, N);
}

/* What every vigil rule's alert carries in EVE. */
static void
check_eve(const json_t *eve, uint32_t sid)
{
	json_t		*al = json_object_get(eve, "alert");
	json_t		*meta = json_object_get(al, "metadata");
	const char	*sig = json_string_value(json_object_get(al,
			    "signature"));

	assert_non_null(al);
	assert_int_equal(json_integer_value(json_object_get(al,
	    "signature_id")), sid);
	assert_int_equal(json_integer_value(json_object_get(al, "gid")), 1);
	assert_int_equal(json_integer_value(json_object_get(al, "rev")), 1);
	assert_non_null(sig);
	assert_int_equal(strncmp(sig, "VIGIL ", 6), 0);
	assert_non_null(json_string_value(json_object_get(al, "category")));
	assert_in_range(json_integer_value(json_object_get(al, "severity")),
	    1, 3);
	assert_true(json_is_array(json_object_get(meta, "created_at")));
	assert_true(json_is_array(json_object_get(meta, "vigil_group")));
}

static void
test_rules_fire_on_their_samples(void **state)
{
	const struct rule_case	*c;
	struct run		 r;
	size_t			 i;

	for (i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
		c = &rule_cases[i];
		run_start(&r);
		netplay_sample(r.play, &c->hit);
		run_end(&r);
		expect_one(&r, 1, c->sid);
		check_eve(r.a[0].eve, c->sid);
		run_free(&r);
	}
}

static void
test_rules_quiet_on_benign(void **state)
{
	const struct rule_case	*c;
	struct run		 r;
	size_t			 i;

	for (i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
		c = &rule_cases[i];
		run_start(&r);
		netplay_sample(r.play, &c->quiet);
		run_end(&r);
		expect_none(&r, 1, c->sid);
		run_free(&r);
	}
}

/* Every benign sample in one capture, in one sensor: still nothing (no
 * rule, no detector counts them into an alert). */
static void
test_benign_together(void **state)
{
	struct run	r;
	size_t		i;

	run_start(&r);
	for (i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++)
		netplay_sample(r.play, &rule_cases[i].quiet);
	run_end(&r);
	expect_none(&r, 1, 0);
	run_free(&r);
}

/* A rule with a threshold alerts once for a sample seen twice; one
 * without alerts twice. */
static void
test_repeats(void **state)
{
	struct run	r;

	run_start(&r);
	netplay_sample(r.play, &rule_cases[0].hit);	/* limit 1 an hour */
	netplay_sample(r.play, &rule_cases[0].hit);
	run_end(&r);
	expect_one(&r, 1, rule_cases[0].sid);
	run_free(&r);
	run_start(&r);
	netplay_sample(r.play, &rule_cases[3].hit);	/* RDP: each one */
	netplay_sample(r.play, &rule_cases[3].hit);
	run_end(&r);
	assert_int_equal(r.n, 2);
	run_free(&r);
}

static void
test_detectors(void **state)
{
	const struct det_case	*c;
	struct run		 r;
	size_t			 i;

	/* every detector has a row */
	assert_int_equal(sizeof(det_cases) / sizeof(det_cases[0]),
	    DET_SID_ARP_GATEWAY);
	for (i = 0; i < sizeof(det_cases) / sizeof(det_cases[0]); i++) {
		c = &det_cases[i];
		run_start(&r);
		c->play(r.play, c->hit, c->port);
		run_end(&r);
		expect_one(&r, DET_GID, c->sid);
		assert_non_null(json_object_get(r.a[0].eve, "evidence"));
		run_free(&r);
		run_start(&r);
		c->play(r.play, c->quiet, c->port);
		browse(r.play);
		run_end(&r);
		expect_none(&r, DET_GID, c->sid);
		run_free(&r);
	}
}

/* A scan whose probes nobody answers, then the next thing seen, after
 * more than the window (5 minutes) without a tick: the end of a capture
 * file (`vigil-agent pcap` ticks a day past the last packet), or the
 * scanner's next connection. The probes timed out 3 s after they were
 * sent, and the alert says so. */
static void
test_scan_then_silence(void **state)
{
	struct run	r;
	int		later;

	for (later = 0; later < 2; later++) {
		run_start(&r);
		scan_hosts(r.play, 30, 445);
		assert_true(r.last == NP_T0 + 30 * 1000);
		if (later) {
			netplay_wait(r.play, 600 * 1000000LL);
			netplay_tcp(r.play, PC2, NAS, 80, NULL, 0, NULL, 0);
		} else
			netsensor_tick(r.ns, r.last + 86400 * 1000000LL);
		expect_one(&r, DET_GID, DET_SID_SCAN_HOSTS);
		/* the 25th of 30 probes, sent 1 ms apart, timed out 3 s
		 * later */
		assert_string_equal(json_string_value(json_object_get(
		    r.a[0].eve, "timestamp")),
		    "2025-12-03T12:00:03.025000+0000");
		run_free(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_rule_has_a_case),
		cmocka_unit_test(test_rules_fire_on_their_samples),
		cmocka_unit_test(test_rules_quiet_on_benign),
		cmocka_unit_test(test_benign_together),
		cmocka_unit_test(test_repeats),
		cmocka_unit_test(test_detectors),
		cmocka_unit_test(test_scan_then_silence),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
