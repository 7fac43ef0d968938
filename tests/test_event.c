/*
 * test_event.c: the event model (common/event.c).
 *
 * event_parse is the collector's validator for untrusted event bytes, so
 * most of this file is tables of inputs it must accept or refuse: event
 * types, alert severities, timestamps in every form EVE and RFC 3339 allow
 * and many they do not, duplicate keys, non-objects, bad UTF-8 and the
 * size limit. Timestamps are checked against epoch values computed
 * independently (date -u +%s), and event_format_ts against event_parse_ts
 * both ways. event_render must put the collector's agent fields and seq
 * over whatever the agent sent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "event.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define TS		"2026-11-25T11:30:17.123456+0000"
#define TS_US		(1795606217LL * 1000000 + 123456)

/* ---- helpers ---- */

static int
parse(struct event_meta *m, const char *json, const char **why)
{
	return event_parse(m, json, strlen(json), why);
}

/* An event of type "test" with extra members (",..." or ""). */
static char *
event_with(const char *ts, const char *extra)
{
	char	*s;
	size_t	 n = strlen(ts) + strlen(extra) + 64;

	assert_non_null(s = malloc(n));
	assert_true((size_t)snprintf(s, n, "{\"timestamp\":\"%s\","
	    "\"event_type\":\"test\"%s}", ts, extra) < n);
	return s;
}

/* The same with a given event_type member (raw JSON value). */
static char *
event_typed(const char *type, const char *extra)
{
	char	*s;
	size_t	 n = strlen(type) + strlen(extra) + 96;

	assert_non_null(s = malloc(n));
	assert_true((size_t)snprintf(s, n, "{\"timestamp\":\"" TS "\","
	    "\"event_type\":%s%s}", type, extra) < n);
	return s;
}

/* ---- event_parse ---- */

static void
test_parse_valid(void **state)
{
	static const char	*ok[] = {
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\"}",
		/* order does not matter, whitespace is allowed */
		" {\n\t\"event_type\" : \"test\" ,\r\n \"timestamp\" : \""
		    TS "\" } \n",
		/* Suricata-like */
		"{\"timestamp\":\"" TS "\",\"flow_id\":1234567890123,"
		    "\"in_iface\":\"eth0\",\"event_type\":\"flow\","
		    "\"src_ip\":\"10.1.2.3\",\"src_port\":51234,"
		    "\"dest_ip\":\"192.0.2.7\",\"dest_port\":443,"
		    "\"proto\":\"TCP\",\"flow\":{\"pkts_toserver\":5}}",
		/* vigil's own */
		"{\"timestamp\":\"" TS "\",\"event_type\":\"agent_health\","
		    "\"agent_health\":{\"note\":\"X\xc3\xa3 T\xc3\xa2n "
		    "Ph\xc3\xba\",\"esc\":\"\\u1ea1\\ud83d\\ude00\"}}",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"file\","
		    "\"alert\":{}}",
	};
	static const char	*types[] = { "test", "test", "flow",
	    "agent_health", "file" };
	struct event_meta	 m;
	const char		*why;
	size_t			 i;

	(void)state;
	for (i = 0; i < NITEMS(ok); i++) {
		why = "untouched";
		if (parse(&m, ok[i], &why) != 0)
			fail_msg("case %zu refused: %s", i, why);
		assert_string_equal(m.type, types[i]);
		assert_true(m.ts_us == TS_US);
		assert_int_equal(m.severity, 0);
		assert_int_equal(parse(&m, ok[i], NULL), 0);
	}
}

/* The input need not be NUL-terminated, and is read only up to len. */
static void
test_parse_unterminated(void **state)
{
	static const char	ev[] = "{\"timestamp\":\"" TS "\","
	    "\"event_type\":\"test\"}";
	struct event_meta	m;
	char			*p;

	(void)state;
	assert_non_null(p = malloc(sizeof(ev) - 1));
	memcpy(p, ev, sizeof(ev) - 1);
	assert_int_equal(event_parse(&m, p, sizeof(ev) - 1, NULL), 0);
	assert_int_equal(event_parse(&m, p, sizeof(ev) - 2, NULL),
	    ERR_MALFORMED);
	free(p);
	/* a NUL inside len is not the end of the input */
	assert_int_equal(event_parse(&m, ev, sizeof(ev), NULL),
	    ERR_MALFORMED);
}

static void
test_parse_severity(void **state)
{
	static const struct {
		const char	*alert;
		int		 rc, sev;
	} cases[] = {
		{ "{\"severity\":1}", 0, 1 },
		{ "{\"severity\":2,\"signature_id\":2100498,\"signature\":"
		    "\"GPL ATTACK_RESPONSE id check returned root\"}", 0, 2 },
		{ "{\"severity\":3}", 0, 3 },
		{ "{\"severity\":255}", 0, 255 },
		{ "{\"signature\":\"no severity\"}", 0, 0 },
		{ "{\"severity\":0}", ERR_MALFORMED, 0 },
		{ "{\"severity\":256}", ERR_MALFORMED, 0 },
		{ "{\"severity\":-1}", ERR_MALFORMED, 0 },
		{ "{\"severity\":4294967297}", ERR_MALFORMED, 0 },
		{ "{\"severity\":-9223372036854775808}", ERR_MALFORMED, 0 },
		{ "{\"severity\":\"2\"}", ERR_MALFORMED, 0 },
		{ "{\"severity\":2.5}", ERR_MALFORMED, 0 },
		{ "{\"severity\":2.0}", ERR_MALFORMED, 0 },
		{ "{\"severity\":1e0}", ERR_MALFORMED, 0 },
		{ "{\"severity\":true}", ERR_MALFORMED, 0 },
		{ "{\"severity\":null}", ERR_MALFORMED, 0 },
		{ "{\"severity\":[1]}", ERR_MALFORMED, 0 },
		{ "{\"severity\":{}}", ERR_MALFORMED, 0 },
		{ "{\"severity\":1,\"severity\":2}", ERR_MALFORMED, 0 },
		/* alert itself must be an object */
		{ "\"high\"", ERR_MALFORMED, 0 },
		{ "[{\"severity\":1}]", ERR_MALFORMED, 0 },
		{ "null", ERR_MALFORMED, 0 },
		{ "1", ERR_MALFORMED, 0 },
	};
	struct event_meta	 m;
	const char		*why;
	char			*ev, extra[256];
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++) {
		snprintf(extra, sizeof(extra), ",\"alert\":%s", cases[i].alert);
		ev = event_typed("\"alert\"", extra);
		why = NULL;
		rc = parse(&m, ev, &why);
		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, want %d (%s)", i, rc,
			    cases[i].rc, why ? why : "-");
		if (rc == 0) {
			assert_int_equal(m.severity, cases[i].sev);
			assert_string_equal(m.type, "alert");
		} else
			assert_non_null(why);
		free(ev);
	}
	/* the reasons the collector records */
	ev = event_typed("\"alert\"", ",\"alert\":{\"severity\":0}");
	assert_int_equal(parse(&m, ev, &why), ERR_MALFORMED);
	assert_string_equal(why, "invalid alert.severity");
	free(ev);
	ev = event_typed("\"alert\"", ",\"alert\":7");
	assert_int_equal(parse(&m, ev, &why), ERR_MALFORMED);
	assert_string_equal(why, "alert is not an object");
	free(ev);
	/* a severity outside "alert" is not looked at */
	ev = event_typed("\"test\"", ",\"severity\":0,\"x\":{\"severity\":0}");
	assert_int_equal(parse(&m, ev, NULL), 0);
	assert_int_equal(m.severity, 0);
	free(ev);
}

static void
test_parse_event_type(void **state)
{
	static const struct {
		const char	*type;	/* as JSON */
		int		 ok;
	} cases[] = {
		{ "\"a\"", 1 },
		{ "\"alert\"", 1 },
		{ "\"agent_health\"", 1 },
		{ "\"tls2\"", 1 },
		{ "\"_\"", 1 },
		{ "\"0\"", 1 },
		{ "\"abcdefghijklmnopqrstuvwxyz012345\"", 1 },	/* 32 */
		{ "\"abcdefghijklmnopqrstuvwxyz0123456\"", 0 },	/* 33 */
		{ "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", 0 },
		{ "\"\"", 0 },
		{ "\"Alert\"", 0 },
		{ "\"ALERT\"", 0 },
		{ "\"file-info\"", 0 },
		{ "\"file info\"", 0 },
		{ "\"file.info\"", 0 },
		{ "\"alert\\n\"", 0 },
		{ "\"x\\u00e3\"", 0 },
		{ "\"../x\"", 0 },
		{ "\"alert\\u0000x\"", 0 },
		{ "1", 0 },
		{ "null", 0 },
		{ "true", 0 },
		{ "[\"alert\"]", 0 },
		{ "{\"alert\":1}", 0 },
	};
	struct event_meta	 m;
	const char		*why;
	char			*ev;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++) {
		ev = event_typed(cases[i].type, "");
		why = NULL;
		rc = parse(&m, ev, &why);
		if ((rc == 0) != cases[i].ok)
			fail_msg("event_type %s: %d", cases[i].type, rc);
		if (rc == 0)
			assert_int_equal(strlen(m.type),
			    strlen(cases[i].type) - 2);
		else
			assert_int_equal(rc, ERR_MALFORMED);
		free(ev);
	}
	/* missing altogether */
	assert_int_equal(parse(&m, "{\"timestamp\":\"" TS "\"}", &why),
	    ERR_MALFORMED);
	assert_string_equal(why, "missing or invalid event_type");
	assert_int_equal(parse(&m, "{\"timestamp\":\"" TS "\",\"Event_type\":"
	    "\"test\"}", &why), ERR_MALFORMED);
	/* only at the top level */
	assert_int_equal(parse(&m, "{\"timestamp\":\"" TS "\",\"x\":{"
	    "\"event_type\":\"test\"}}", &why), ERR_MALFORMED);
}

/* Timestamps: the string, 0 for refused or 1 with the expected value. */
struct ts_case {
	const char	*s;
	int		 ok;
	int64_t		 us;
};

#define B	1795606217LL		/* 2026-11-25T11:30:17Z */
#define US(s, f)	((int64_t)(s) * 1000000 + (f))

static const struct ts_case	TS_CASES[] = {
	{ "2026-11-25T11:30:17.123456+0000", 1, US(B, 123456) },
	{ "2026-11-25T11:30:17.123456Z", 1, US(B, 123456) },
	{ "2026-11-25T11:30:17.123456+00:00", 1, US(B, 123456) },
	{ "2026-11-25T11:30:17.123456-00:00", 1, US(B, 123456) },
	{ "2026-11-25T18:30:17.123456+07:00", 1, US(B, 123456) },
	{ "2026-11-25T18:30:17.123456+0700", 1, US(B, 123456) },
	{ "2026-11-25T04:30:17.123456-07:00", 1, US(B, 123456) },
	{ "2026-11-25T17:15:17.123456+0545", 1, US(B, 123456) },
	{ "2026-11-26T10:30:17+23:00", 1, US(B, 0) },
	{ "2026-11-24T11:31:17-23:59", 1, US(B, 0) },
	{ "2026-11-25T11:30:17Z", 1, US(B, 0) },
	{ "2026-11-25T11:30:17+0000", 1, US(B, 0) },
	{ "2026-11-25T11:30:17.1Z", 1, US(B, 100000) },
	{ "2026-11-25T11:30:17.000001Z", 1, US(B, 1) },
	{ "2026-11-25T11:30:17.999999Z", 1, US(B, 999999) },
	{ "2026-11-25T11:30:17.123Z", 1, US(B, 123000) },
	{ "2026-11-25T11:30:17.1234567Z", 1, US(B, 123456) },
	{ "2026-11-25T11:30:17.123456789Z", 1, US(B, 123456) },
	{ "2026-11-25T11:30:17.999999999Z", 1, US(B, 999999) },
	{ "1970-01-01T00:00:00Z", 1, 0 },
	{ "1970-01-01T00:00:00.000001+0000", 1, 1 },
	{ "2000-01-01T00:00:00Z", 1, US(946684800, 0) },
	{ "2024-02-29T00:00:00Z", 1, US(1709164800, 0) },
	{ "2024-02-29T24:00:00Z", 0, 0 },
	{ "2016-12-31T23:59:60Z", 1, US(1483228800, 0) },	/* leap s */
	{ "9999-12-31T23:59:59.999999Z", 1, US(253402300799LL, 999999) },
	/* fractions */
	{ "2026-11-25T11:30:17.1234567891Z", 0, 0 },
	{ "2026-11-25T11:30:17.Z", 0, 0 },
	{ "2026-11-25T11:30:17.+0000", 0, 0 },
	{ "2026-11-25T11:30:17,123Z", 0, 0 },
	{ "2026-11-25T11:30:17.12a456Z", 0, 0 },
	{ "2026-11-25T11:30:17.-1Z", 0, 0 },
	/* offsets */
	{ "2026-11-25T11:30:17.123456", 0, 0 },
	{ "2026-11-25T11:30:17", 0, 0 },
	{ "2026-11-25T11:30:17z", 0, 0 },
	{ "2026-11-25T11:30:17+07", 0, 0 },
	{ "2026-11-25T11:30:17+7:00", 0, 0 },
	{ "2026-11-25T11:30:17+07:0", 0, 0 },
	{ "2026-11-25T11:30:17+070", 0, 0 },
	{ "2026-11-25T11:30:17+07000", 0, 0 },
	{ "2026-11-25T11:30:17+24:00", 0, 0 },
	{ "2026-11-25T11:30:17+07:60", 0, 0 },
	{ "2026-11-25T11:30:17+07::00", 0, 0 },
	{ "2026-11-25T11:30:17 +0000", 0, 0 },
	{ "2026-11-25T11:30:17UTC", 0, 0 },
	/* trailing junk */
	{ "2026-11-25T11:30:17Z ", 0, 0 },
	{ "2026-11-25T11:30:17ZZ", 0, 0 },
	{ "2026-11-25T11:30:17+0000x", 0, 0 },
	{ "2026-11-25T11:30:17+00:00:00", 0, 0 },
	{ "2026-11-25T11:30:17.123456+0000\n", 0, 0 },
	/* fields out of range */
	{ "2026-00-25T11:30:17Z", 0, 0 },
	{ "2026-13-25T11:30:17Z", 0, 0 },
	{ "2026-11-00T11:30:17Z", 0, 0 },
	{ "2026-11-32T11:30:17Z", 0, 0 },
	{ "2026-11-31T11:30:17Z", 0, 0 },
	{ "2026-02-29T11:30:17Z", 0, 0 },
	{ "2026-02-30T11:30:17Z", 0, 0 },
	{ "2026-04-31T11:30:17Z", 0, 0 },
	{ "2100-02-29T11:30:17Z", 0, 0 },
	{ "2026-11-25T24:00:00Z", 0, 0 },
	{ "2026-11-25T11:60:17Z", 0, 0 },
	{ "2026-11-25T11:30:61Z", 0, 0 },
	{ "2026-11-25T99:99:99Z", 0, 0 },
	{ "1969-12-31T23:59:59Z", 0, 0 },
	{ "0000-01-01T00:00:00Z", 0, 0 },
	/* shape */
	{ "", 0, 0 },
	{ "2026", 0, 0 },
	{ "2026-11-25", 0, 0 },
	{ "2026-11-25T11:30", 0, 0 },
	{ "2026-11-25 11:30:17Z", 0, 0 },
	{ "2026-11-25t11:30:17Z", 0, 0 },
	{ "2026/11/25T11:30:17Z", 0, 0 },
	{ "26-11-25T11:30:17Z", 0, 0 },
	{ "+2026-11-25T11:30:17Z", 0, 0 },
	{ " 2026-11-25T11:30:17Z", 0, 0 },
	{ "2026-1-25T11:30:17Z", 0, 0 },
	{ "2026-11-25T1:30:17Z", 0, 0 },
	{ "20261125T113017Z", 0, 0 },
	{ "-026-11-25T11:30:17Z", 0, 0 },
	{ "1795606217", 0, 0 },
	{ "\xd9\xa2" "026-11-25T11:30:17Z", 0, 0 },
};

static void
test_parse_ts(void **state)
{
	int64_t	us;
	size_t	i;
	int	rc;

	(void)state;
	for (i = 0; i < NITEMS(TS_CASES); i++) {
		us = -42;
		rc = event_parse_ts(&us, TS_CASES[i].s);
		if (TS_CASES[i].ok && rc != 0)
			fail_msg("\"%s\" refused: %d", TS_CASES[i].s, rc);
		if (!TS_CASES[i].ok && rc != ERR_MALFORMED)
			fail_msg("\"%s\" accepted as %lld", TS_CASES[i].s,
			    (long long)us);
		if (rc == 0 && us != TS_CASES[i].us)
			fail_msg("\"%s\": %lld, want %lld", TS_CASES[i].s,
			    (long long)us, (long long)TS_CASES[i].us);
	}
}

/* The same table through event_parse. */
static void
test_parse_event_ts(void **state)
{
	struct event_meta	 m;
	const char		*why;
	char			*ev;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < NITEMS(TS_CASES); i++) {
		if (strchr(TS_CASES[i].s, '\n') != NULL)
			continue;	/* not a JSON string as is */
		ev = event_with(TS_CASES[i].s, "");
		rc = parse(&m, ev, &why);
		if ((rc == 0) != TS_CASES[i].ok)
			fail_msg("event with \"%s\": %d", TS_CASES[i].s, rc);
		if (rc == 0)
			assert_true(m.ts_us == TS_CASES[i].us);
		else
			assert_string_equal(why, "missing or invalid "
			    "timestamp");
		free(ev);
	}
	/* missing, or not a string */
	assert_int_equal(parse(&m, "{\"event_type\":\"test\"}", &why),
	    ERR_MALFORMED);
	assert_string_equal(why, "missing or invalid timestamp");
	assert_int_equal(parse(&m, "{\"event_type\":\"test\",\"timestamp\":"
	    "1795606217}", NULL), ERR_MALFORMED);
	assert_int_equal(parse(&m, "{\"event_type\":\"test\",\"timestamp\":"
	    "null}", NULL), ERR_MALFORMED);
	assert_int_equal(parse(&m, "{\"event_type\":\"test\",\"timestamp\":"
	    "[\"" TS "\"]}", NULL), ERR_MALFORMED);
	/* a NUL escaped into the string does not end it early */
	assert_int_equal(parse(&m, "{\"event_type\":\"test\",\"timestamp\":"
	    "\"" TS "\\u0000junk\"}", NULL), ERR_MALFORMED);
}

static void
test_parse_duplicates(void **state)
{
	static const char	*dup[] = {
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\","
		    "\"event_type\":\"alert\"}",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\","
		    "\"timestamp\":\"" TS "\"}",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\","
		    "\"x\":1,\"x\":1}",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"alert\","
		    "\"alert\":{\"severity\":3,\"severity\":1}}",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\","
		    "\"a\":[{\"k\":1,\"k\":2}]}",
		/* the same key spelled with an escape */
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\","
		    "\"event_\\u0074ype\":\"alert\"}",
	};
	struct event_meta	 m;
	const char		*why;
	size_t			 i;

	(void)state;
	for (i = 0; i < NITEMS(dup); i++) {
		if (parse(&m, dup[i], &why) != ERR_MALFORMED)
			fail_msg("duplicate case %zu accepted", i);
		assert_string_equal(why, "not JSON");
	}
}

static void
test_parse_not_object(void **state)
{
	static const char	*bad[] = {
		"", " ", "[]", "[{\"timestamp\":\"" TS "\",\"event_type\":"
		"\"test\"}]", "\"test\"", "1", "null", "true", "{",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\"",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\"}x",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\"}{}",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\",}",
		"{'timestamp':'" TS "','event_type':'test'}",
		"{timestamp:\"" TS "\",event_type:\"test\"}",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\"}\n\x01",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"te\nst\"}",
		"{\"timestamp\":\"" TS "\",\"event_type\":\"test\",\"x\":NaN}",
		"\xef\xbb\xbf{\"timestamp\":\"" TS "\",\"event_type\":\"test\"}",
	};
	struct event_meta	 m;
	const char		*why;
	size_t			 i;

	(void)state;
	for (i = 0; i < NITEMS(bad); i++) {
		why = NULL;
		if (parse(&m, bad[i], &why) != ERR_MALFORMED)
			fail_msg("case %zu accepted", i);
		assert_non_null(why);
		assert_string_equal(m.type, "");	/* cleared */
		assert_int_equal(m.severity, 0);
	}
	assert_int_equal(parse(&m, "[]", &why), ERR_MALFORMED);
	assert_true(strcmp(why, "not a JSON object") == 0 ||
	    strcmp(why, "not JSON") == 0);
	assert_int_equal(event_parse(&m, NULL, 0, &why), ERR_MALFORMED);
}

static void
test_parse_utf8(void **state)
{
	static const char	*bad[] = {
		"\xc3",				/* truncated */
		"\xe1\xba",
		"\xf0\x9f\x98",
		"\x80",				/* stray continuation */
		"\xc0\xaf",			/* overlong '/' */
		"\xe0\x80\xaf",
		"\xf0\x80\x80\xaf",
		"\xed\xa0\x80",			/* surrogate */
		"\xed\xbf\xbf",
		"\xf4\x90\x80\x80",		/* > U+10FFFF */
		"\xf8\x88\x80\x80\x80",
		"\xfe\xff",
		"\\ud800",			/* lone escaped surrogates */
		"\\udc00",
		"\\ud83dx",
		"\\u12",			/* short escape */
		"\\x41",
	};
	struct event_meta	 m;
	char			*ev, extra[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < NITEMS(bad); i++) {
		snprintf(extra, sizeof(extra), ",\"x\":\"%s\"", bad[i]);
		ev = event_with(TS, extra);
		if (parse(&m, ev, NULL) != ERR_MALFORMED)
			fail_msg("bad UTF-8 case %zu accepted", i);
		free(ev);
		/* and in a key */
		snprintf(extra, sizeof(extra), ",\"%s\":1", bad[i]);
		ev = event_with(TS, extra);
		if (parse(&m, ev, NULL) != ERR_MALFORMED)
			fail_msg("bad UTF-8 key case %zu accepted", i);
		free(ev);
	}
	/* valid multi-byte text and escapes */
	ev = event_with(TS, ",\"x\":\"Tr\xe1\xba\xa1m \\u1ea1 \\ud83d\\ude00 "
	    "\xf4\x8f\xbf\xbf\"");
	assert_int_equal(parse(&m, ev, NULL), 0);
	free(ev);
}

static void
test_parse_size(void **state)
{
	struct event_meta	 m;
	const char		*why;
	char			*ev, *pad;
	size_t			 base, n;

	(void)state;
	/* {...,"p":"<pad>"} of exactly EVENT_MAX_LEN bytes, then one more */
	ev = event_with(TS, ",\"p\":\"\"");
	base = strlen(ev);
	free(ev);
	n = EVENT_MAX_LEN - base;
	assert_non_null(pad = malloc(n + 16));
	memcpy(pad, ",\"p\":\"", 6);
	memset(pad + 6, 'x', n);
	memcpy(pad + 6 + n, "\"", 2);
	ev = event_with(TS, pad);
	assert_int_equal(strlen(ev), EVENT_MAX_LEN);
	assert_int_equal(parse(&m, ev, &why), 0);
	free(ev);
	memset(pad + 6, 'x', n + 1);
	memcpy(pad + 7 + n, "\"", 2);
	ev = event_with(TS, pad);
	assert_int_equal(strlen(ev), EVENT_MAX_LEN + 1);
	assert_int_equal(parse(&m, ev, &why), ERR_TOOBIG);
	assert_string_equal(why, "event too large");
	free(ev);
	free(pad);
	/* refused on length alone, before anything is read */
	assert_int_equal(event_parse(&m, "{}", SIZE_MAX, NULL), ERR_TOOBIG);
	assert_int_equal(event_parse(&m, "{}", EVENT_MAX_LEN + 1, NULL),
	    ERR_TOOBIG);
}

/* Deep nesting is refused by the JSON library, not the stack. */
static void
test_parse_deep(void **state)
{
	struct event_meta	 m;
	char			*ev, *deep;
	size_t			 i, n = 20000;

	(void)state;
	assert_non_null(deep = malloc(2 * n + 8));
	memcpy(deep, ",\"d\":", 5);
	for (i = 0; i < n; i++)
		deep[5 + i] = '[';
	for (i = 0; i < n; i++)
		deep[5 + n + i] = ']';
	deep[5 + 2 * n] = '\0';
	ev = event_with(TS, deep);
	assert_int_equal(parse(&m, ev, NULL), ERR_MALFORMED);
	free(ev);
	free(deep);
}

/* ---- event_prio ---- */

static void
test_prio(void **state)
{
	(void)state;
	/* most severe alerts first */
	assert_true(event_prio("alert", 1) > event_prio("alert", 2));
	assert_true(event_prio("alert", 2) > event_prio("alert", 3));
	assert_true(event_prio("alert", 3) > event_prio("alert", 4));
	assert_int_equal(event_prio("alert", 4), event_prio("alert", 255));
	assert_int_equal(event_prio("alert", 0), event_prio("alert", 255));
	assert_int_equal(event_prio("alert", -1), event_prio("alert", 255));
	/* then the agent's health and integrity */
	assert_true(event_prio("alert", 255) > event_prio("agent_health", 0));
	assert_int_equal(event_prio("agent_health", 0),
	    event_prio("integrity", 0));
	/* then files */
	assert_true(event_prio("agent_health", 0) > event_prio("file", 0));
	assert_int_equal(event_prio("file", 0), event_prio("scan", 0));
	/* then the rest */
	assert_true(event_prio("file", 0) > event_prio("test", 0));
	assert_int_equal(event_prio("test", 0), event_prio("heartbeat", 0));
	assert_int_equal(event_prio("test", 0), event_prio("flow", 0));
	assert_int_equal(event_prio("test", 0), event_prio("", 0));
	assert_int_equal(event_prio("test", 0), event_prio("alerts", 1));
	assert_int_equal(event_prio("test", 0), event_prio("Alert", 1));
	/* severity only matters for alerts */
	assert_int_equal(event_prio("file", 1), event_prio("file", 0));
	assert_true(event_prio("test", 0) > 0);
}

/* ---- timestamps ---- */

static void
test_format_ts(void **state)
{
	static const struct {
		int64_t		 us;
		const char	*s;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000000+0000" },
		{ 1, "1970-01-01T00:00:00.000001+0000" },
		{ 999999, "1970-01-01T00:00:00.999999+0000" },
		{ 1000000, "1970-01-01T00:00:01.000000+0000" },
		{ TS_US, TS },
		{ US(1709164800, 500000), "2024-02-29T00:00:00.500000+0000" },
		{ US(253402300799LL, 999999),
		    "9999-12-31T23:59:59.999999+0000" },
		{ -1, "1969-12-31T23:59:59.999999+0000" },
		{ -1000000, "1969-12-31T23:59:59.000000+0000" },
		{ -1000001, "1969-12-31T23:59:58.999999+0000" },
	};
	char	out[EVENT_TS_STRLEN];
	size_t	i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++) {
		memset(out, 'X', sizeof(out));
		event_format_ts(out, cases[i].us);
		assert_string_equal(out, cases[i].s);
	}
	/* whatever the value, it fits */
	memset(out, 'X', sizeof(out));
	event_format_ts(out, INT64_MAX);
	assert_true(strlen(out) <= EVENT_TS_STRLEN - 1);
	event_format_ts(out, INT64_MIN);
	assert_true(strlen(out) <= EVENT_TS_STRLEN - 1);
}

static void
test_ts_roundtrip(void **state)
{
	char		out[EVENT_TS_STRLEN];
	int64_t		us, back;
	uint64_t	x = 88172645463325252ULL;
	int		i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		/* xorshift over [0, year 9999] */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		us = (int64_t)(x % (uint64_t)US(253402300800LL, 0));
		if (i < 4)
			us = (int64_t[]){ 0, 1, TS_US,
			    US(253402300799LL, 999999) }[i];
		event_format_ts(out, us);
		assert_int_equal(strlen(out), EVENT_TS_STRLEN - 1);
		assert_int_equal(event_parse_ts(&back, out), 0);
		if (back != us)
			fail_msg("%lld -> %s -> %lld", (long long)us, out,
			    (long long)back);
	}
	/* now */
	us = event_now_us();
	assert_true(us > US(1700000000, 0));
	event_format_ts(out, us);
	assert_int_equal(event_parse_ts(&back, out), 0);
	assert_true(back == us);
}

/* ---- build, dump, render ---- */

static void
test_build_dump(void **state)
{
	struct event_meta	 m;
	json_t			*ev;
	char			*s;
	size_t			 len;
	int64_t			 before, after;

	(void)state;
	before = event_now_us();
	assert_non_null(ev = event_build("agent_health"));
	after = event_now_us();
	assert_string_equal(json_string_value(json_object_get(ev,
	    "event_type")), "agent_health");
	assert_int_equal(json_object_size(ev), 2);
	assert_int_equal(json_object_set_new(ev, "agent_health",
	    json_pack("{s:s}", "note", "X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba")), 0);
	assert_non_null(s = event_dump(ev, &len));
	assert_int_equal(len, strlen(s));
	assert_null(strchr(s, '\n'));		/* compact */
	assert_int_equal(event_parse(&m, s, len, NULL), 0);
	assert_string_equal(m.type, "agent_health");
	assert_true(m.ts_us >= before && m.ts_us <= after);
	free(s);
	assert_non_null(s = event_dump(ev, NULL));	/* len may be NULL */
	free(s);
	json_decref(ev);

	/* a type JSON cannot hold */
	assert_null(event_build("\xc3"));
	assert_null(event_build(NULL));
}

static void
test_dump_limit(void **state)
{
	json_t	*ev;
	char	*s, *pad;
	size_t	 len, base;

	(void)state;
	assert_non_null(ev = event_build("test"));
	assert_int_equal(json_object_set_new(ev, "p", json_string("")), 0);
	assert_non_null(s = event_dump(ev, &base));
	free(s);
	assert_non_null(pad = malloc(EVENT_MAX_LEN + 2));
	memset(pad, 'x', EVENT_MAX_LEN + 1);
	pad[EVENT_MAX_LEN - base] = '\0';
	assert_int_equal(json_object_set_new(ev, "p", json_string(pad)), 0);
	assert_non_null(s = event_dump(ev, &len));
	assert_int_equal(len, EVENT_MAX_LEN);
	free(s);
	pad[EVENT_MAX_LEN - base] = 'x';
	pad[EVENT_MAX_LEN - base + 1] = '\0';
	assert_int_equal(json_object_set_new(ev, "p", json_string(pad)), 0);
	assert_null(event_dump(ev, &len));
	free(pad);
	json_decref(ev);
}

static void
test_render(void **state)
{
	static const char	bare[] = "{\"event_type\":\"test\"}";
	static const char	ev[] = "{\"timestamp\":\"" TS "\","
	    "\"event_type\":\"alert\",\"alert\":{\"severity\":1},"
	    "\"agent\":{\"id\":\"ffffffffffffffff\",\"office\":\"HQ\","
	    "\"extra\":1},\"seq\":1,\"x\":[1,2]}";
	json_t			*root, *agent;
	char			*s;
	struct event_meta	 m;

	(void)state;
	assert_non_null(s = event_render(ev, strlen(ev), 42,
	    "0123456789abcdef", "pc-01", "X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba"));
	assert_null(strchr(s, '\n'));
	assert_non_null(root = json_loads(s, JSON_REJECT_DUPLICATES, NULL));
	assert_true(json_integer_value(json_object_get(root, "seq")) == 42);
	agent = json_object_get(root, "agent");
	assert_true(json_is_object(agent));
	assert_int_equal(json_object_size(agent), 3);	/* "extra" gone */
	assert_string_equal(json_string_value(json_object_get(agent, "id")),
	    "0123456789abcdef");
	assert_string_equal(json_string_value(json_object_get(agent,
	    "hostname")), "pc-01");
	assert_string_equal(json_string_value(json_object_get(agent,
	    "office")), "X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba");
	/* the rest is kept */
	assert_string_equal(json_string_value(json_object_get(root,
	    "event_type")), "alert");
	assert_int_equal(json_array_size(json_object_get(root, "x")), 2);
	json_decref(root);
	/* and it is still a valid event */
	assert_int_equal(event_parse(&m, s, strlen(s), NULL), 0);
	assert_int_equal(m.severity, 1);
	free(s);

	/* an event with neither; a seq past 2^53 stays exact */
	assert_non_null(s = event_render(bare, strlen(bare),
	    (1ULL << 53) + 1, "a", "b", "c"));
	assert_non_null(root = json_loads(s, 0, NULL));
	assert_true(json_integer_value(json_object_get(root, "seq")) ==
	    (json_int_t)((1ULL << 53) + 1));
	json_decref(root);
	free(s);
}

static void
test_render_errors(void **state)
{
	(void)state;
	assert_null(event_render("", 0, 1, "a", "b", "c"));
	assert_null(event_render("{", 1, 1, "a", "b", "c"));
	assert_null(event_render("[]", 2, 1, "a", "b", "c"));
	assert_null(event_render("[1]", 3, 1, "a", "b", "c"));
	assert_null(event_render("{}x", 3, 1, "a", "b", "c"));
	/* only len bytes are read */
	assert_null(event_render("{}", 1, 1, "a", "b", "c"));
	/* agent fields JSON cannot carry */
	assert_null(event_render("{}", 2, 1, NULL, "b", "c"));
	assert_null(event_render("{}", 2, 1, "a", NULL, "c"));
	assert_null(event_render("{}", 2, 1, "a", "b", NULL));
	assert_null(event_render("{}", 2, 1, "a", "\xc3", "c"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_unterminated),
		cmocka_unit_test(test_parse_severity),
		cmocka_unit_test(test_parse_event_type),
		cmocka_unit_test(test_parse_ts),
		cmocka_unit_test(test_parse_event_ts),
		cmocka_unit_test(test_parse_duplicates),
		cmocka_unit_test(test_parse_not_object),
		cmocka_unit_test(test_parse_utf8),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_deep),
		cmocka_unit_test(test_prio),
		cmocka_unit_test(test_format_ts),
		cmocka_unit_test(test_ts_roundtrip),
		cmocka_unit_test(test_build_dump),
		cmocka_unit_test(test_dump_limit),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
