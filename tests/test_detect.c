/*
 * test_detect.c: the rule engine (agent/net/detect.c, ruleset.c,
 * rulematch.c, prefilter.c) on packets and transactions built here.
 *
 * Each case loads a small rule file written to the test's folder, feeds
 * a packet or transaction that must alert and one that must not, and
 * counts the alerts by sid. The loader's cases: continuation lines,
 * comments, a duplicate sid, skips reported with file and line, and the
 * Hyperscan cache (a second load with the same rules comes from it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "detect.h"
#include "err.h"
#include "testutil.h"

#define MAX_ALERTS	64

struct fx {
	struct tmpdir	 t;
	struct ruleset	*rs;
	struct detect	*d;
	uint32_t	 sids[MAX_ALERTS];
	int		 prio[MAX_ALERTS];
	char		 meta[256];
	size_t		 n;
	unsigned	 skips, skip_line;
	char		 skip_reason[32];
	struct flowvars	 fv;
};

static void
on_alert(void *ctx, const struct pkt *p, const struct net_alert *a)
{
	struct fx	*f = ctx;

	if (f->n < MAX_ALERTS) {
		f->prio[f->n] = a->priority;
		f->sids[f->n++] = a->sid;
	}
	if (a->metadata != NULL)
		snprintf(f->meta, sizeof(f->meta), "%s", a->metadata);
}

static void
on_skip(void *ctx, const struct rule_skip *s)
{
	struct fx	*f = ctx;

	f->skips++;
	f->skip_line = s->line;
	snprintf(f->skip_reason, sizeof(f->skip_reason), "%s", s->reason);
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	if (f == NULL || tmpdir_make(&f->t, "detect") != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	detect_free(f->d);
	ruleset_free(f->rs);
	free(f->fv.bits);
	tmpdir_remove(&f->t);
	free(f);
	return 0;
}

static void
load_opts(struct fx *f, const char *text, const char *cache,
    struct ruleset_stats *st)
{
	char			 path[PATH_MAX];
	const char		*paths[1] = { path };
	struct ruleset_opts	 o = { .cache_dir = cache, .skipped = on_skip,
	    .ctx = f };

	detect_free(f->d);
	ruleset_free(f->rs);
	f->d = NULL;
	tmpdir_path(path, sizeof(path), &f->t, "t.rules");
	assert_int_equal(file_put(path, text, strlen(text), 0600), 0);
	assert_int_equal(ruleset_load(&f->rs, paths, 1, &o, st), 0);
	assert_non_null(f->d = detect_new(f->rs, on_alert, f));
}

static void
load(struct fx *f, const char *text)
{
	struct ruleset_stats	st;

	load_opts(f, text, NULL, &st);
	assert_int_equal(st.skipped, 0);
}

/* A TCP packet 192.168.1.2:40000 -> 1.2.3.4:80, established, to the
 * server, in flow 1 with the fixture's flow variables. */
static struct pkt
tcp(struct fx *f, const char *payload)
{
	struct pkt	p;

	memset(&p, 0, sizeof(p));
	p.ts_us = 1700000000000000LL;
	p.ipver = 4;
	p.src.family = p.dst.family = 4;
	memcpy(p.src.a, "\xc0\xa8\x01\x02", 4);
	memcpy(p.dst.a, "\x01\x02\x03\x04", 4);
	p.proto = IPPROTO_TCP;
	p.sport = 40000;
	p.dport = 80;
	p.payload = (const uint8_t *)payload;
	p.payload_len = strlen(payload);
	p.flow_id = 1;
	p.dir = DIR_TO_SERVER;
	p.flow_state = FLOW_ESTABLISHED;
	p.fv = &f->fv;
	return p;
}

/* Alerts for one packet. */
static size_t
run(struct fx *f, const struct pkt *p)
{
	f->n = 0;
	detect_packet(f->d, p);
	return f->n;
}

static size_t
run_txn(struct fx *f, const struct pkt *p, const struct txn *t)
{
	f->n = 0;
	detect_txn(f->d, p, t);
	return f->n;
}

static void
set_buf(struct txn *t, int b, const char *s)
{
	t->buf[b] = (const uint8_t *)s;
	t->len[b] = strlen(s);
}

static void
test_content(void **state)
{
	struct fx	*f = *state;
	struct pkt	 p;

	load(f, "alert tcp any any -> any any (msg:\"a\"; content:\"evil\"; "
	    "nocase; content:\"|00 01|\"; distance:1; within:3; "
	    "classtype:trojan-activity; metadata:k v; sid:1;)\n"
	    "alert tcp any any -> any any (content:\"abc\"; offset:2; "
	    "depth:3; sid:2;)\n"
	    "alert tcp any any -> any any (content:\"xyz\"; "
	    "content:!\"bad\"; sid:3;)\n"
	    "alert tcp any any -> any any (content:\"end\"; endswith; "
	    "content:\"st\"; startswith; sid:4;)\n");
	p = tcp(f, "xx EVIL-\x00\x01");
	p.payload_len = 10;
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 1);
	assert_int_equal(f->prio[0], 1);
	assert_string_equal(f->meta, "{\"k\":[\"v\"]}");
	p = tcp(f, "xx EVIL---\x00\x01");	/* ends past 7 + 1 + 3 */
	p.payload_len = 12;
	assert_int_equal(run(f, &p), 0);
	/* backtracking: the first "evil" has no |00 01| after it */
	p = tcp(f, "evil____evil_\x00\x01");
	p.payload_len = 15;
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(run(f, &(struct pkt){ .ipver = 0 }), 0);
	p = tcp(f, "..abc");
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 2);
	p = tcp(f, "...abc");			/* past offset + depth */
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "xyz");
	assert_int_equal(run(f, &p), 1);
	p = tcp(f, "xyz bad");
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "start-end");
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 4);
	p = tcp(f, "start-end.");
	assert_int_equal(run(f, &p), 0);
}

static void
test_header(void **state)
{
	struct fx	*f = *state;
	struct pkt	 p;

	load(f, "alert tcp $HOME_NET any -> $EXTERNAL_NET 80 "
	    "(content:\"q\"; sid:1;)\n"
	    "alert tcp $EXTERNAL_NET 80 <> $HOME_NET any (content:\"w\"; "
	    "sid:2;)\n"
	    "alert udp any any -> any any (content:\"q\"; sid:3;)\n"
	    "alert tcp any any -> any any (flow:established,to_client; "
	    "content:\"e\"; sid:4;)\n"
	    "alert ip any any -> any any (dsize:>3; sid:5;)\n");
	p = tcp(f, "q");
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 1);
	p.dport = 81;
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "w");			/* '<>': the other way */
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 2);
	p = tcp(f, "e");
	assert_int_equal(run(f, &p), 0);
	p.dir = DIR_TO_CLIENT;
	assert_int_equal(run(f, &p), 1);
	p.flow_state = FLOW_NEW;
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "abcd");
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 5);
}

static void
test_pcre_bytes(void **state)
{
	struct fx	*f = *state;
	struct pkt	 p;

	load(f, "alert tcp any any -> any any (content:\"id=\"; "
	    "pcre:\"/^[0-9]{3}X/R\"; sid:1;)\n"
	    "alert tcp any any -> any any (content:\"L\"; "
	    "byte_test:2,>,0x100,0,relative; sid:2;)\n"
	    "alert tcp any any -> any any (content:\"J\"; "
	    "byte_jump:1,0,relative; content:\"Z\"; within:1; sid:3;)\n"
	    "alert tcp any any -> any any (content:\"N\"; "
	    "byte_test:3,=,42,0,relative,string,dec; sid:4;)\n"
	    "alert tcp any any -> any any (content:\"D\"; "
	    "isdataat:!2,relative; sid:5;)\n");
	p = tcp(f, "id=123X");
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 1);
	p = tcp(f, "id=12X id=4");
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "L\x02\x01");
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 2);
	p = tcp(f, "L\x01\x00");
	p.payload_len = 3;
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "J\x02..Z");			/* jump 2 past the length */
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 3);
	p = tcp(f, "J\x01..Z");
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "N042");
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 4);
	p = tcp(f, "N043");
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "D1");
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 5);
	p = tcp(f, "D12");
	assert_int_equal(run(f, &p), 0);
}

static void
test_flowbits_threshold(void **state)
{
	struct fx	*f = *state;
	struct pkt	 p;
	int		 i, n = 0;

	load(f, "alert tcp any any -> any any (content:\"login\"; "
	    "flowbits:set,auth; flowbits:noalert; sid:1;)\n"
	    "alert tcp any any -> any any (content:\"cmd\"; "
	    "flowbits:isset,auth; sid:2;)\n"
	    "alert tcp any any -> any any (content:\"hit\"; threshold:type "
	    "limit, track by_src, count 2, seconds 60; sid:3;)\n"
	    "alert tcp any any -> any any (content:\"df\"; detection_filter:"
	    "track by_dst, count 2, seconds 60; sid:4;)\n");
	p = tcp(f, "cmd");
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "login cmd");	/* the setter runs first */
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(f->sids[0], 2);
	p = tcp(f, "cmd");
	assert_int_equal(run(f, &p), 1);
	p.fv = NULL;
	assert_int_equal(run(f, &p), 0);
	for (i = 0; i < 5; i++) {
		p = tcp(f, "hit");
		n += (int)run(f, &p);
	}
	assert_int_equal(n, 2);
	p = tcp(f, "hit");
	p.ts_us += 61 * 1000000LL;	/* a new window */
	assert_int_equal(run(f, &p), 1);
	for (i = n = 0; i < 4; i++) {
		p = tcp(f, "df");
		n += (int)run(f, &p);
	}
	assert_int_equal(n, 2);		/* the 3rd and the 4th */
}

static void
test_txn(void **state)
{
	struct fx	*f = *state;
	struct pkt	 p;
	struct txn	 t;

	load(f, "alert http any any -> any any (flow:to_server; http.method; "
	    "content:\"POST\"; http.uri; content:\"/gate.php\"; startswith; "
	    "urilen:<20; sid:1;)\n"
	    "alert dns any any -> any any (dns.query; dotprefix; "
	    "content:\".evil.com\"; endswith; sid:2;)\n"
	    "alert tls any any -> any any (tls.sni; content:\"bad\"; bsize:7; "
	    "sid:3;)\n"
	    "alert http any any -> any any (content:\"/x\"; http_uri; "
	    "pcre:\"/agent\\d/V\"; sid:4;)\n");
	p = tcp(f, "");
	memset(&t, 0, sizeof(t));
	t.app = APP_HTTP;
	set_buf(&t, NB_HTTP_METHOD, "POST");
	set_buf(&t, NB_HTTP_URI, "/gate.php?a=1");
	assert_int_equal(run_txn(f, &p, &t), 1);
	assert_int_equal(f->sids[0], 1);
	assert_int_equal(run(f, &p), 0);	/* not a packet rule */
	set_buf(&t, NB_HTTP_URI, "/x/gate.php");
	assert_int_equal(run_txn(f, &p, &t), 0);
	set_buf(&t, NB_HTTP_URI, "/gate.php?aaaaaaaaaaaaaaa");
	assert_int_equal(run_txn(f, &p, &t), 0);	/* urilen */
	memset(&t, 0, sizeof(t));
	t.app = APP_HTTP;
	set_buf(&t, NB_HTTP_URI, "/x");
	set_buf(&t, NB_HTTP_USER_AGENT, "agent7");
	assert_int_equal(run_txn(f, &p, &t), 1);
	assert_int_equal(f->sids[0], 4);
	set_buf(&t, NB_HTTP_USER_AGENT, "agentX");
	assert_int_equal(run_txn(f, &p, &t), 0);

	p.proto = IPPROTO_UDP;
	memset(&t, 0, sizeof(t));
	t.app = APP_DNS;
	set_buf(&t, NB_DNS_QUERY, "a.evil.com");
	assert_int_equal(run_txn(f, &p, &t), 1);
	assert_int_equal(f->sids[0], 2);
	set_buf(&t, NB_DNS_QUERY, "evil.com");		/* dotprefix */
	assert_int_equal(run_txn(f, &p, &t), 1);
	set_buf(&t, NB_DNS_QUERY, "notevil.com");
	assert_int_equal(run_txn(f, &p, &t), 0);
	/* the response repeats the name: one lookup, one alert */
	set_buf(&t, NB_DNS_QUERY, "a.evil.com");
	t.dns.response = true;
	t.dir = DIR_TO_CLIENT;
	assert_int_equal(run_txn(f, &p, &t), 0);
	t.dns.response = false;
	t.dir = DIR_TO_SERVER;
	t.app = APP_HTTP;			/* wrong application */
	set_buf(&t, NB_DNS_QUERY, "evil.com");
	assert_int_equal(run_txn(f, &p, &t), 0);

	p.proto = IPPROTO_TCP;
	memset(&t, 0, sizeof(t));
	t.app = APP_TLS;
	set_buf(&t, NB_TLS_SNI, "bad.com");
	assert_int_equal(run_txn(f, &p, &t), 1);
	assert_int_equal(f->sids[0], 3);
	set_buf(&t, NB_TLS_SNI, "bad.comm");
	assert_int_equal(run_txn(f, &p, &t), 0);
}

static void
test_loader_and_cache(void **state)
{
	struct fx		*f = *state;
	struct ruleset_stats	 st;
	char			 cache[PATH_MAX];
	static const char	 rules[] =
	    "# a comment\n"
	    "#alert tcp any any -> any any (content:\"off\"; sid:9;)\n"
	    "\n"
	    "alert tcp any any -> any any (content:\"multi\"; \\\n"
	    "   sid:1;)\n"
	    "alert tcp any any -> any any (content:\"dup\"; sid:1;)\n"
	    "alert tcp any any -> any any (ja3_hash; sid:2;)\n";
	struct pkt		 p;

	tmpdir_path(cache, sizeof(cache), &f->t, "");
	load_opts(f, rules, cache, &st);
	assert_int_equal(st.loaded, 1);
	assert_int_equal(st.skipped, 2);
	assert_int_equal(st.files, 1);
	/* written just now: the file's mtime, not 0 */
	assert_true(st.newest > 1700000000 && st.newest <= (int64_t)time(NULL));
	assert_false(st.from_cache);
	assert_int_equal(f->skip_line, 7);
	assert_string_equal(f->skip_reason, "keyword");
	p = tcp(f, "multi");
	assert_int_equal(run(f, &p), 1);
	p = tcp(f, "off dup");
	assert_int_equal(run(f, &p), 0);
	load_opts(f, rules, cache, &st);
	assert_true(st.from_cache);
	p = tcp(f, "multi");
	assert_int_equal(run(f, &p), 1);	/* the cached database works */
	load_opts(f, "alert tcp any any -> any any (content:\"other\"; "
	    "sid:1;)\n", cache, &st);
	assert_false(st.from_cache);
	p = tcp(f, "multi");
	assert_int_equal(run(f, &p), 0);
}

/* cache/net-KEY.hsdb of the rules in the fixture's t.rules now */
static void
set_path(struct fx *f, char *out, size_t len, const char *cache)
{
	struct netfiles		 fs = { 0 };
	struct ruleset_opts	 o = { 0 };
	char			 path[PATH_MAX], key[NETCACHE_KEY_LEN + 1];
	const char		*paths[1] = { path };

	tmpdir_path(path, sizeof(path), &f->t, "t.rules");
	assert_int_equal(netfiles_read(&fs, NETFILES_RULES, paths, 1), 0);
	ruleset_key(key, &fs, &o);
	netfiles_clear(&fs);
	assert_true(snprintf(out, len, "%s/net-%s.hsdb", cache, key) <
	    (int)len);
}

static void
copy_file(const char *to, const char *from)
{
	char	buf[1 << 16];
	FILE	*in = fopen(from, "re");
	size_t	 n;

	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf), in);
	assert_true(n > 0 && n < sizeof(buf));
	fclose(in);
	assert_int_equal(file_put(to, buf, n, 0600), 0);
}

/* A set is only taken for the rules it was compiled from: another
 * rule set's set planted under these rules' name, garbage there, or a
 * file others may write, are compiled over; the set written then is
 * taken next time. */
static void
test_cache_planted(void **state)
{
	struct fx		*f = *state;
	struct ruleset_stats	 st;
	char			 cache[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	static const char	 ra[] = "alert tcp any any -> any any "
	    "(content:\"aaaa\"; sid:1;)\n";
	static const char	 rb[] = "alert tcp any any -> any any "
	    "(content:\"bbbb\"; sid:1;)\n";
	struct pkt		 p;

	tmpdir_path(cache, sizeof(cache), &f->t, "cache");
	load_opts(f, ra, cache, &st);
	assert_false(st.from_cache);
	set_path(f, a, sizeof(a), cache);
	assert_int_equal(access(a, F_OK), 0);	/* named by its key */
	tmpdir_path(b, sizeof(b), &f->t, "t.rules");
	assert_int_equal(file_put(b, rb, strlen(rb), 0600), 0);
	set_path(f, b, sizeof(b), cache);
	assert_string_not_equal(a, b);
	copy_file(b, a);			/* A's set as B's */
	load_opts(f, rb, cache, &st);
	assert_false(st.from_cache);
	p = tcp(f, "aaaa");
	assert_int_equal(run(f, &p), 0);
	p = tcp(f, "bbbb");
	assert_int_equal(run(f, &p), 1);
	load_opts(f, rb, cache, &st);		/* B's own set now */
	assert_true(st.from_cache);
	assert_int_equal(file_put(b, "vigil-netdb-1\n\x01garbage", 22, 0600),
	    0);
	load_opts(f, rb, cache, &st);
	assert_false(st.from_cache);
	p = tcp(f, "bbbb");
	assert_int_equal(run(f, &p), 1);
	assert_int_equal(chmod(b, 0622), 0);	/* others may write it */
	load_opts(f, rb, cache, &st);
	assert_false(st.from_cache);
	load_opts(f, rb, cache, &st);
	assert_true(st.from_cache);		/* rewritten, private */
}

/* Variables given are parsed at load: a typo fails the load (and names
 * the variable) instead of skipping every rule that uses it; good ones
 * replace Suricata's defaults. */
static void
test_vars(void **state)
{
	struct fx		*f = *state;
	char			 path[PATH_MAX];
	const char		*paths[1] = { path };
	static const char	*bad[] = { "HOME_NET=[bogus", "HOME_NET=[10.0.0.0/33]",
	    "HTTP_PORTS=[80,x]", "EXTERNAL_NET=!$NOPE", "SSH_PORTS=70000" };
	const char		*good[] = { "HOME_NET=[1.2.3.0/24]",
	    "HTTP_PORTS=[80,8080]" };
	struct ruleset_opts	 o = { .nvars = 1, .skipped = on_skip,
	    .ctx = f };
	const char		*rule = "alert tcp any any -> $HOME_NET "
	    "$HTTP_PORTS (msg:\"v\"; content:\"abc\"; sid:1;)\n";
	struct ruleset		*rs;
	struct pkt		 p;
	size_t			 i;

	tmpdir_path(path, sizeof(path), &f->t, "v.rules");
	assert_int_equal(file_put(path, rule, strlen(rule), 0600), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.vars = &bad[i];
		rs = (struct ruleset *)1;
		assert_int_equal(ruleset_load(&rs, paths, 1, &o, NULL),
		    ERR_MALFORMED);
		assert_null(rs);
	}
	o.vars = good;
	o.nvars = 2;
	assert_int_equal(ruleset_load(&f->rs, paths, 1, &o, NULL), 0);
	assert_non_null(f->d = detect_new(f->rs, on_alert, f));
	p = tcp(f, "xxabcxx");		/* to 1.2.3.4:80: in HOME_NET now */
	assert_int_equal(run(f, &p), 1);
	p.dport = 8080;
	assert_int_equal(run(f, &p), 1);
	p.dport = 443;
	assert_int_equal(run(f, &p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcre_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flowbits_threshold,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_planted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_loader_and_cache, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
