/*
 * test_rule.c: the rule parser (agent/net/rule.c) and the address and
 * port sets (agent/net/rulevars.c).
 *
 * Sets are checked point by point against what the text says (member
 * addresses in, neighbours out); rules by the fields the engine uses and,
 * for rules that must not load, by the reason and detail `rules check`
 * prints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rule.h"
#include "rulevars.h"

struct fx {
	struct rulevars	*rv;
	struct rule_ctx	*ctx;
};

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	if (f == NULL || (f->rv = rulevars_new()) == NULL ||
	    (f->ctx = rule_ctx_new(f->rv, NULL)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	rule_ctx_free(f->ctx);
	rulevars_free(f->rv);
	free(f);
	return 0;
}

static rv_key
key(const char *s)
{
	struct naddr	a = { 0 };

	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = 4;
	else {
		assert_int_equal(inet_pton(AF_INET6, s, a.a), 1);
		a.family = 6;
	}
	return rv_addr_key(&a);
}

static const struct rv_set *
addr(struct rulevars *rv, const char *s)
{
	const struct rv_set	*set = NULL;
	const char		*why;

	assert_int_equal(rv_addr(&set, rv, s, strlen(s), &why), 0);
	return set;
}

static void
test_addresses(void **state)
{
	struct fx		*f = *state;
	const struct rv_set	*s;
	const char		*why;

	s = addr(f->rv, "$HOME_NET");
	assert_true(rv_has(s, key("10.1.2.3")));
	assert_true(rv_has(s, key("192.168.255.255")));
	assert_true(rv_has(s, key("172.31.0.1")));
	assert_false(rv_has(s, key("172.32.0.1")));
	assert_false(rv_has(s, key("8.8.8.8")));
	assert_false(rv_has(s, key("::1")));
	s = addr(f->rv, "$EXTERNAL_NET");
	assert_false(rv_has(s, key("10.1.2.3")));
	assert_true(rv_has(s, key("8.8.8.8")));
	assert_true(rv_has(s, key("2001:db8::1")));	/* v6 is not home */
	/* a list minus its negated members; a netmask; a range */
	s = addr(f->rv, "[10.0.0.0/8, !10.1.0.0/255.255.0.0, 1.2.3.4-1.2.3.6]");
	assert_true(rv_has(s, key("10.2.0.1")));
	assert_false(rv_has(s, key("10.1.200.1")));
	assert_true(rv_has(s, key("1.2.3.5")));
	assert_false(rv_has(s, key("1.2.3.7")));
	s = addr(f->rv, "![$HOME_NET,2001:db8::/32]");
	assert_false(rv_has(s, key("2001:db8:ffff::1")));
	assert_true(rv_has(s, key("2001:db9::1")));
	assert_true(rv_has(s, key("1.1.1.1")));
	assert_true(addr(f->rv, "any")->any);
	/* the same text is the same set */
	assert_ptr_equal(addr(f->rv, "$HOME_NET"), addr(f->rv, " $HOME_NET"));
	assert_int_equal(rv_addr(&s, f->rv, "!any", 4, &why), ERR_MALFORMED);
	assert_string_equal(why, "matches nothing");
	assert_int_equal(rv_addr(&s, f->rv, "$NOPE", 5, &why), ERR_MALFORMED);
	assert_int_equal(rv_addr(&s, f->rv, "[1.2.3.4", 8, &why),
	    ERR_MALFORMED);
	assert_int_equal(rv_addr(&s, f->rv, "1.2.3.4/33", 10, &why),
	    ERR_MALFORMED);
	assert_int_equal(rv_addr(&s, f->rv, "1.2.3.4/255.0.255.0", 19, &why),
	    ERR_MALFORMED);
}

static void
test_ports(void **state)
{
	struct fx		*f = *state;
	const struct rv_set	*s;
	const char		*why;

	assert_int_equal(rv_port(&s, f->rv, "[1024:, !8080, 21]", 18, &why),
	    0);
	assert_true(rv_has(s, 21));
	assert_false(rv_has(s, 22));
	assert_true(rv_has(s, 1024));
	assert_true(rv_has(s, 65535));
	assert_false(rv_has(s, 8080));
	assert_int_equal(rv_port(&s, f->rv, "$FILE_DATA_PORTS", 16, &why), 0);
	assert_true(rv_has(s, 80) && rv_has(s, 110) && rv_has(s, 143));
	assert_false(rv_has(s, 443));
	assert_int_equal(rv_port(&s, f->rv, ":1023", 5, &why), 0);
	assert_true(rv_has(s, 0) && rv_has(s, 1023) && !rv_has(s, 1024));
	assert_int_equal(rv_port(&s, f->rv, "65536", 5, &why), ERR_MALFORMED);
	assert_int_equal(rv_port(&s, f->rv, "9:3", 3, &why), ERR_MALFORMED);
	assert_int_equal(rv_port(&s, f->rv, ":", 1, &why), ERR_MALFORMED);
}

static void
test_variables(void **state)
{
	struct rulevars		*rv = rulevars_new();
	const struct rv_set	*s;
	const char		*why;

	assert_non_null(rv);
	assert_int_equal(rulevars_set(rv, "HOME_NET=[100.64.0.0/10]"), 0);
	assert_int_equal(rulevars_set(rv, "$LOOP=[$LOOP]"), 0);
	assert_int_equal(rulevars_set(rv, "bad name=1"), ERR_MALFORMED);
	assert_int_equal(rulevars_set(rv, "NOVALUE="), ERR_MALFORMED);
	s = addr(rv, "$EXTERNAL_NET");
	assert_false(rv_has(s, key("100.64.1.1")));
	assert_true(rv_has(s, key("10.0.0.1")));
	assert_int_equal(rv_addr(&s, rv, "$LOOP", 5, &why), ERR_MALFORMED);
	/* sets are parsed: no more changes */
	assert_int_equal(rulevars_set(rv, "HOME_NET=any"), ERR_MALFORMED);
	rulevars_free(rv);
}

static int
parse(struct fx *f, struct rule *r, struct rule_err *e, const char *text)
{
	return rule_parse(r, f->ctx, text, strlen(text), e);
}

/* The rule must be skipped for reason with detail starting with det. */
static void
refused(struct fx *f, const char *text, const char *reason, const char *det)
{
	struct rule	r;
	struct rule_err	e;

	assert_int_equal(parse(f, &r, &e, text), ERR_MALFORMED);
	assert_string_equal(e.reason, reason);
	if (strncmp(e.detail, det, strlen(det)) != 0)
		fail_msg("'%s': detail '%s', want '%s'", text, e.detail, det);
}

static void
test_header_and_meta(void **state)
{
	struct fx	*f = *state;
	struct rule	 r;
	struct rule_err	 e;

	assert_int_equal(parse(f, &r, &e, "alert tcp $HOME_NET any <> "
	    "[1.2.3.4,5.6.7.8] 80 (msg:\"a \\\"q\\\" \\; b\"; "
	    "classtype:trojan-activity; metadata:created_at 2010_07_30, "
	    "tag A, tag B; reference:url,x; sid:7; rev:3;)"), 0);
	assert_string_equal(r.action, "alert");
	assert_int_equal(r.proto, RP_TCP);
	assert_true(r.bidir);
	assert_string_equal(r.msg, "a \"q\" ; b");
	assert_int_equal(r.sid, 7);
	assert_int_equal(r.rev, 3);
	assert_int_equal(r.gid, 1);
	assert_int_equal(r.prio, 1);
	assert_string_equal(r.classtype, "A Network Trojan was detected");
	assert_string_equal(r.metadata,
	    "{\"created_at\":[\"2010_07_30\"],\"tag\":[\"A\",\"B\"]}");
	assert_false(r.txn);
	rule_clear(&r);
	/* priority wins over the class, in either order */
	assert_int_equal(parse(f, &r, &e, "alert ip any any -> any any "
	    "(priority:4; classtype:trojan-activity; sid:8;)"), 0);
	assert_int_equal(r.prio, 4);
	rule_clear(&r);
	assert_int_equal(parse(f, &r, &e, "alert ip any any -> any any "
	    "(sid:9;)"), 0);
	assert_int_equal(r.prio, 3);
	assert_null(r.metadata);
	rule_clear(&r);
	refused(f, "alert ip any any -> any any (classtype:nope; sid:1;)",
	    "classtype", "nope");
	refused(f, "alert smtp any any -> any any (sid:1;)", "protocol", "smtp");
	refused(f, "config ip any any -> any any (sid:1;)", "action", "config");
	refused(f, "alert ip any any <- any any (sid:1;)", "syntax", "direction");
	refused(f, "alert ip any any -> any (sid:1;)", "syntax", "short header");
	refused(f, "alert ip any any -> any any (msg:\"x\";)", "syntax", "no sid");
	refused(f, "alert ip any any -> any any (sid:1; msg:\"x\")", "syntax",
	    "option without ';'");
	refused(f, "alert ip !any any -> any any (sid:1;)", "address", "source");
	refused(f, "alert tcp any 99999 -> any any (sid:1;)", "port", "source");
}

static void
test_unsupported(void **state)
{
	struct fx	*f = *state;
	struct rule	 r;
	struct rule_err	 e;

	/* the sid is known even when the rule fails before it */
	assert_int_equal(parse(f, &r, &e, "alert http any any -> any any "
	    "(http.stat_code; content:\"200\"; sid:2000001;)"), ERR_MALFORMED);
	assert_int_equal(e.sid, 2000001);
	assert_string_equal(e.reason, "keyword");
	assert_string_equal(e.detail, "http.stat_code");
	refused(f, "alert tcp any any -> any any (content:\"a\"; pcre:\"/a/D\"; "
	    "sid:1;)", "keyword", "pcre/D");
	refused(f, "alert tcp any any -> any any (byte_test:4,=,1,0,dce; "
	    "sid:1;)", "keyword", "byte_test/dce");
	refused(f, "alert tcp any any -> any any (content:\"a\"; depth:x; "
	    "sid:1;)", "keyword", "byte_extract");
	refused(f, "alert tcp any any -> any any (flow:only_frag; sid:1;)",
	    "keyword", "flow:only_frag");
	refused(f, "alert http any any -> any any (flow:to_client; file.data; "
	    "content:\"MZ\"; sid:1;)", "response", "file.data");
	refused(f, "alert http any any -> any any (dns.query; content:\"a\"; "
	    "sid:1;)", "option", "buffers of two protocols");
	refused(f, "alert tcp any any -> any any (pcre:\"/(/\"; sid:1;)", "pcre",
	    "");
}

static void
test_content(void **state)
{
	struct fx		*f = *state;
	struct rule		 r;
	struct rule_err		 e;
	const struct rm_content	*c;

	assert_int_equal(parse(f, &r, &e, "alert tcp any any -> any any "
	    "(content:\"a|3B 00|\\\"\\\\b\"; nocase; offset:2; depth:10; "
	    "content:!\"zz\"; distance:-1; within:4; content:\"long one\"; "
	    "sid:1;)"), 0);
	assert_int_equal(r.nm, 3);
	c = &r.m[0].c;
	assert_int_equal(c->len, 6);
	assert_memory_equal(c->pat, "a;\0\"\\b", 6);
	assert_int_equal(c->flags & (CF_NOCASE | CF_OFFSET | CF_DEPTH),
	    CF_NOCASE | CF_OFFSET | CF_DEPTH);
	assert_int_equal(c->offset, 2);
	assert_int_equal(c->depth, 12);		/* counted from the offset */
	c = &r.m[1].c;
	assert_true(c->flags & CF_NEG);
	assert_int_equal(c->distance, -1);
	assert_int_equal(c->within, 4);
	assert_int_equal(r.fp, 2);		/* the longest positive one */
	rule_clear(&r);
	/* fast_pattern wins over length; its offset,length form */
	assert_int_equal(parse(f, &r, &e, "alert tcp any any -> any any "
	    "(content:\"much longer\"; content:\"abcdef\"; "
	    "fast_pattern:1,3; sid:1;)"), 0);
	assert_int_equal(r.fp, 1);
	assert_int_equal(r.m[1].c.fp_off, 1);
	assert_int_equal(r.m[1].c.fp_len, 3);
	rule_clear(&r);
	refused(f, "alert tcp any any -> any any (content:\"ab\"; "
	    "fast_pattern:1,2; sid:1;)", "option", "fast_pattern");
	refused(f, "alert tcp any any -> any any (content:\"|4|\"; sid:1;)",
	    "option", "content: odd hex");
	refused(f, "alert tcp any any -> any any (content:\"a\\x\"; sid:1;)",
	    "option", "content: bad escape");
	refused(f, "alert tcp any any -> any any (content:\"\"; sid:1;)",
	    "option", "content: empty");
	refused(f, "alert tcp any any -> any any (content:\"abc\"; within:2; "
	    "sid:1;)", "option", "within");
	refused(f, "alert tcp any any -> any any (content:\"abc\"; depth:3; "
	    "distance:1; sid:1;)", "option", "content: absolute and "
	    "relative");
	refused(f, "alert tcp any any -> any any (nocase; sid:1;)", "option",
	    "nocase without");
}

static void
test_buffers(void **state)
{
	struct fx	*f = *state;
	struct rule	 r;
	struct rule_err	 e;

	/* sticky buffers, the older modifiers, pcre buffer flags */
	assert_int_equal(parse(f, &r, &e, "alert tcp any any -> any any "
	    "(content:\"GET\"; http_method; http.uri; content:\"/a\"; "
	    "pcre:\"/x/Ui\"; pkt_data; content:\"raw\"; sid:1;)"), 0);
	assert_true(r.txn);
	assert_int_equal(r.app, APP_HTTP);
	assert_int_equal(r.ng, 3);	/* uri, method, payload: slot order */
	assert_int_equal(r.g[0].slot, RSLOT(NB_HTTP_URI, 0));
	assert_int_equal(r.g[0].n, 2);
	assert_int_equal(r.m[r.g[0].first + 1].type, RM_PCRE);
	assert_int_equal(r.g[1].slot, RSLOT(NB_HTTP_METHOD, 0));
	assert_int_equal(r.g[2].slot, RSLOT(RB_PKT, 0));
	/* a transaction rule's fast pattern is in a transaction buffer:
	 * "GET", not the longer "raw" of the payload */
	assert_int_equal(r.m[r.fp].slot, RSLOT(NB_HTTP_METHOD, 0));
	rule_clear(&r);
	assert_int_equal(parse(f, &r, &e, "alert dns any any -> any any "
	    "(dns.query; dotprefix; content:\".evil.com\"; endswith; "
	    "bsize:>4; sid:1;)"), 0);
	assert_int_equal(r.m[0].slot, RSLOT(NB_DNS_QUERY, 1));
	assert_int_equal(r.m[1].type, RM_BSIZE);
	assert_int_equal(r.m[1].u.op, UC_GT);
	assert_int_equal(r.app, APP_DNS);
	rule_clear(&r);
	/* an app-layer rule without buffers matches packets of its app */
	assert_int_equal(parse(f, &r, &e, "alert http any any -> any any "
	    "(content:\"x\"; sid:1;)"), 0);
	assert_false(r.txn);
	assert_int_equal(r.app, APP_HTTP);
	rule_clear(&r);
	refused(f, "alert tcp any any -> any any (dotprefix; sid:1;)", "option",
	    "dotprefix");
}

static void
test_other_keywords(void **state)
{
	struct fx	*f = *state;
	struct rule	 r;
	struct rule_err	 e;

	assert_int_equal(parse(f, &r, &e, "alert tcp any any -> any any "
	    "(flow:established,to_server; flowbits:set,a&b; flowbits:isset,"
	    "c|a; flowbits:noalert; dsize:10<>20; urilen:>5,raw; "
	    "byte_test:2,!&,0x10,3,relative,little,bitmask 0xff0; "
	    "byte_jump:2,0,string,hex,multiplier 2,post_offset -1,align; "
	    "isdataat:!5,relative; threshold:type limit, track by_dst, "
	    "count 2, seconds 60; sid:1;)"), 0);
	assert_int_equal(r.flow, FLOW_F_EST | FLOW_F_TOSERVER);
	assert_int_equal(r.nfb, 2);
	assert_int_equal(r.fb[0].op, FB_SET);
	assert_int_equal(r.fb[0].n, 2);
	assert_true(r.fb[1].any);
	assert_int_equal(r.fb[1].ids[1], r.fb[0].ids[0]);	/* "a" */
	assert_true(r.noalert && r.fb_sets);
	assert_int_equal(r.dsize.op, UC_RANGE);
	assert_true(r.has_urilen && r.urilen_raw && r.txn);
	assert_int_equal(r.m[0].type, RM_BYTE_TEST);
	assert_int_equal(r.m[0].b.op, '&');
	assert_int_equal(r.m[0].b.flags, BF_NEG | BF_RELATIVE | BF_LITTLE);
	assert_int_equal(r.m[0].b.mask, 0xff0);
	assert_int_equal(r.m[1].b.base, 16);
	assert_int_equal(r.m[1].b.multiplier, 2);
	assert_int_equal(r.m[1].b.post_offset, -1);
	assert_true(r.m[2].d.neg && r.m[2].d.relative);
	assert_int_equal(r.th.type, TH_LIMIT);
	assert_int_equal(r.th.track, TR_DST);
	rule_clear(&r);
	refused(f, "alert tcp any any -> any any (flow:to_server,to_client; "
	    "sid:1;)", "option", "flow: contradiction");
	refused(f, "alert tcp any any -> any any (threshold:type limit, count 1; "
	    "sid:1;)", "option", "threshold");
	refused(f, "alert tcp any any -> any any (byte_test:9,=,1,0; sid:1;)",
	    "option", "byte_test");
	refused(f, "alert tcp any any -> any any (flowbits:isset,a|b&c; sid:1;)",
	    "option", "flowbits");
	refused(f, "alert tcp any any -> any any (dsize:abc; sid:1;)", "option",
	    "dsize");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_addresses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test(test_variables),
		cmocka_unit_test_setup_teardown(test_header_and_meta, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unsupported, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_keywords, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
