/*
 * test_rfc5424.c: RFC 5424 messages (collector/rfc5424.c), read back
 * with a strict reader written from the RFC (rfc5424_parse.h): PRI,
 * timestamps, header fields and their limits, hostile agent strings
 * (line breaks, NULs, quotes, backslashes, ']', bidi overrides, bytes
 * that are not UTF-8) in the header and in parameters, the 6.3.3
 * escaping, the length bound and the marked cut of MSG, and every
 * refusal; then random bytes against that model.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "err.h"
#include "rfc5424.h"
#include "rfc5424_parse.h"
#include "rng.h"
#include "text.h"

#define MAX	8192

static struct rfc5424_msg
base(void)
{
	return (struct rfc5424_msg){ .facility = 20, .severity = 3,
	    .ts_us = 1764049500123456LL, .hostname = "pc-07",
	    .app_name = "vigil", .procid = "4242", .msgid = "alert",
	    .sd_id = "vigil@32473", .msg = "{\"a\":1}", .msglen = 7 };
}

/* Format m into a malloc'd string (NUL added), parse it strictly into
 * *p; the length in *len. */
static char *
fmt(const struct rfc5424_msg *m, size_t max, struct p5424 *p, size_t *len,
    int *cut)
{
	char	*out = malloc(max + 1);

	assert_non_null(out);
	assert_int_equal(rfc5424_format(out, max, len, m, cut), 0);
	assert_true(*len <= max);
	out[*len] = '\0';
	assert_int_equal(p5424_parse(p, out, *len), 0);
	return out;
}

static void
test_header(void **state)
{
	struct rfc5424_msg	m = base();
	struct rfc5424_param	pa[] = { { "id", "12", 2 } };
	struct p5424		p;
	size_t			len;
	int			cut;
	char			*s;

	(void)state;
	m.params = pa;
	m.nparams = 1;
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_string_equal(s, "<163>1 2025-11-25T05:45:00.123456Z pc-07 "
	    "vigil 4242 alert [vigil@32473 id=\"12\"] \xef\xbb\xbf{\"a\":1}");
	assert_int_equal(cut, 0);
	assert_true(p.bom);
	free(s);
	/* PRI = facility * 8 + severity, at both ends */
	m.facility = 0;
	m.severity = 0;
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_int_equal(p.pri, 0);
	assert_memory_equal(s, "<0>1 ", 5);
	free(s);
	m.facility = 23;
	m.severity = 7;
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_int_equal(p.pri, 191);
	free(s);
	/* no SD element, no MSG */
	m.sd_id = NULL;
	m.nparams = 0;
	m.msglen = 0;
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_string_equal(s + len - 7, "alert -");
	assert_null(p.msg);
	free(s);
}

static void
test_timestamp(void **state)
{
	struct rfc5424_msg	m = base();
	struct p5424		p;
	size_t			len;
	int			cut;
	char			*s;

	(void)state;
	m.ts_us = 0;
	free(fmt(&m, MAX, &p, &len, &cut));
	assert_string_equal(p.ts, "1970-01-01T00:00:00.000000Z");
	m.ts_us = 1000001;
	free(fmt(&m, MAX, &p, &len, &cut));
	assert_string_equal(p.ts, "1970-01-01T00:00:01.000001Z");
	m.ts_us = -1;		/* before 1970: unknown */
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_string_equal(p.ts, "-");
	free(s);
	m.ts_us = INT64_MAX;	/* past year 9999 */
	free(fmt(&m, MAX, &p, &len, &cut));
	assert_string_equal(p.ts, "-");
	m.ts_us = 253402300799999999LL;		/* 9999-12-31T23:59:59 */
	free(fmt(&m, MAX, &p, &len, &cut));
	assert_string_equal(p.ts, "9999-12-31T23:59:59.999999Z");
}

static void
test_fields_hostile(void **state)
{
	struct rfc5424_msg	m = base();
	struct p5424		p;
	char			host[400], app[100], pid[200], mid[50], *s;
	size_t			len;
	int			cut;

	(void)state;
	m.hostname = "pc 07\nx<1>1 -\x1b[2J\xe2\x80\xae";
	m.app_name = "";
	m.procid = NULL;
	m.msgid = "a]b\"c";
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_string_equal(p.host, "pc_07_x<1>1_-_[2J___");
	assert_string_equal(p.app, "-");
	assert_string_equal(p.procid, "-");
	assert_string_equal(p.msgid, "a]b\"c");
	assert_null(memchr(s, '\n', len));
	free(s);
	/* lengths: 255, 48, 128, 32 */
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	memset(app, 'a', sizeof(app) - 1);
	app[sizeof(app) - 1] = '\0';
	memset(pid, '9', sizeof(pid) - 1);
	pid[sizeof(pid) - 1] = '\0';
	memset(mid, 'm', sizeof(mid) - 1);
	mid[sizeof(mid) - 1] = '\0';
	m.hostname = host;
	m.app_name = app;
	m.procid = pid;
	m.msgid = mid;
	free(fmt(&m, MAX, &p, &len, &cut));
	assert_int_equal(strlen(p.host), 255);
	assert_int_equal(strlen(p.app), 48);
	assert_int_equal(strlen(p.procid), 128);
	assert_int_equal(strlen(p.msgid), 32);
}

static void
test_params_hostile(void **state)
{
	static const char	v[] = "a\"b\\c]d\ne\0f\xff\xe2\x80\xae" "g";
	struct rfc5424_msg	m = base();
	struct rfc5424_param	pa[] = { { "agent", v, sizeof(v) - 1 },
				    { "office", "Xã Tân Phú", 13 } };
	struct p5424		p;
	char			*s, back[64];
	size_t			len, blen;
	int			cut;

	(void)state;
	m.params = pa;
	m.nparams = 2;
	s = fmt(&m, MAX, &p, &len, &cut);
	/* on the wire: TEXT_TERM, then 6.3.3 */
	assert_non_null(strstr(s, " agent=\"a\\\"b\\\\\\\\c\\]d\\\\x0ae\\\\x00"
	    "f\\\\xff\\\\xe2\\\\x80\\\\xaeg\" office=\"Xã Tân Phú\"]"));
	assert_int_equal(p.nparams, 2);
	/* 6.3.3 undone by the reader, then text_unescape: the bytes */
	assert_string_equal(p5424_get(&p, "agent"),
	    "a\"b\\\\c]d\\x0ae\\x00f\\xff\\xe2\\x80\\xaeg");
	assert_int_equal(text_unescape(back, &blen, p.params[0].value,
	    p.params[0].len), 0);
	assert_int_equal(blen, sizeof(v) - 1);
	assert_memory_equal(back, v, blen);
	assert_string_equal(p5424_get(&p, "office"), "Xã Tân Phú");
	free(s);
}

static void
test_value_cap(void **state)
{
	struct rfc5424_msg	m = base();
	struct rfc5424_param	pa[1];
	struct p5424		p;
	char			v[1000], *s;
	size_t			len, i;
	int			cut;

	(void)state;
	memset(v, '"', sizeof(v));
	pa[0] = (struct rfc5424_param){ "title", v, sizeof(v) };
	m.params = pa;
	m.nparams = 1;
	free(fmt(&m, MAX, &p, &len, &cut));
	assert_int_equal(p.params[0].len, RFC5424_VALUE_MAX);
	/* a multi-byte character is never split by the cap */
	for (i = 0; i + 2 <= sizeof(v); i += 2)
		memcpy(v + i, "\xc3\xa9", 2);
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_int_equal(p.params[0].len, RFC5424_VALUE_MAX);
	assert_true(text_utf8_valid(p.params[0].value, p.params[0].len));
	free(s);
	/* escapes are whole too: 1000 controls, \x01 each */
	memset(v, 1, sizeof(v));
	free(fmt(&m, MAX, &p, &len, &cut));
	assert_int_equal(p.params[0].len, RFC5424_VALUE_MAX / 4 * 4);
}

static void
test_truncation(void **state)
{
	struct rfc5424_msg	m = base();
	struct p5424		p, whole;
	char			*msg, *s, want[32];
	size_t			len, n = 20000, i, fit;
	int			cut;

	(void)state;
	assert_non_null(msg = malloc(n));
	for (i = 0; i < n; i += 2)
		memcpy(msg + i, "\xc3\xa9", 2);
	m.msg = msg;
	m.msglen = n;
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_int_equal(cut, 1);
	assert_true(len <= MAX && len >= MAX - 1);
	(void)snprintf(want, sizeof(want), "%zu", n);
	assert_string_equal(p5424_get(&p, "truncated"), want);
	assert_true(p.msglen % 2 == 0);		/* whole characters */
	free(s);
	/* the largest MSG that fits untouched, and one byte more */
	m.msglen = 0;
	free(fmt(&m, MAX, &whole, &len, &cut));
	fit = MAX - len - 4;			/* "] " BOM less "]" */
	memset(msg, 'x', n);
	m.msglen = fit;
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_int_equal(cut, 0);
	assert_int_equal(len, MAX);
	assert_null(p5424_get(&p, "truncated"));
	assert_int_equal(p.msglen, fit);
	free(s);
	m.msglen = fit + 1;
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_int_equal(cut, 1);
	assert_non_null(p5424_get(&p, "truncated"));
	free(s);
	/* without an SD element the cut is silent but bounded */
	m.sd_id = NULL;
	m.msglen = n;
	s = fmt(&m, MAX, &p, &len, &cut);
	assert_int_equal(cut, 1);
	assert_true(len <= MAX);
	free(s);
	free(msg);
}

static void
test_refused(void **state)
{
	struct rfc5424_msg	m = base();
	struct rfc5424_param	pa[RFC5424_PARAMS_MAX + 1];
	char			out[MAX], big[400];
	size_t			len, i;
	int			cut;

	(void)state;
	m.facility = 24;
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	m = base();
	m.facility = -1;
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	m = base();
	m.severity = 8;
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	m = base();
	assert_int_equal(rfc5424_format(out, RFC5424_MIN_MAX - 1, &len, &m,
	    NULL), ERR_USAGE);
	m.sd_id = "vigil 32473";
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	m.sd_id = "0123456789abcdef0123456789abcdefX";	/* 33 */
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	m = base();
	for (i = 0; i < RFC5424_PARAMS_MAX + 1; i++)
		pa[i] = (struct rfc5424_param){ "k", "v", 1 };
	m.params = pa;
	m.nparams = RFC5424_PARAMS_MAX + 1;
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	m.nparams = 1;
	pa[0].name = "a=b";
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	pa[0].name = "a]";
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	pa[0].name = "";
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	m.sd_id = NULL;			/* params without an SD-ID */
	pa[0].name = "k";
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL), ERR_USAGE);
	m = base();
	m.msg = "\xff";
	m.msglen = 1;
	assert_int_equal(rfc5424_format(out, MAX, &len, &m, NULL),
	    ERR_MALFORMED);
	assert_int_equal(len, 0);
	/* the smallest max takes the largest header and SD */
	m = base();
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < RFC5424_PARAMS_MAX; i++)
		pa[i] = (struct rfc5424_param){ "0123456789abcdef0123456789"
		    "abcdef", big, sizeof(big) - 1 };
	m.params = pa;
	m.nparams = RFC5424_PARAMS_MAX;
	m.hostname = m.app_name = m.procid = m.msgid = big;
	m.sd_id = "0123456789abcdef0123456789abcdef";
	m.msg = big;
	m.msglen = sizeof(big) - 1;
	assert_int_equal(rfc5424_format(out, RFC5424_MIN_MAX, &len, &m, &cut),
	    0);
	assert_int_equal(cut, 1);
}

/* Random hostile bytes everywhere: always a strict RFC 5424 message, and
 * the values come back. */
static void
test_random_model(void **state)
{
	struct rfc5424_msg	m;
	struct rfc5424_param	pa[3];
	struct p5424		p;
	char			fields[4][80], vals[3][300], back[300];
	char			msg[3000], *s;
	size_t			len, blen, i, k, f, vlen[3];
	int			cut;

	(void)state;
	for (i = 0; i < 3000; i++) {
		for (f = 0; f < 4; f++) {
			k = rnd() % sizeof(fields[f]);
			for (size_t j = 0; j < k; j++)
				fields[f][j] = (char)(rnd() % 255 + 1);
			fields[f][k] = '\0';
		}
		for (f = 0; f < 3; f++) {
			vlen[f] = rnd() % 60;
			for (size_t j = 0; j < vlen[f]; j++)
				vals[f][j] = (char)(rnd() % 256);
			pa[f] = (struct rfc5424_param){ f == 0 ? "agent" :
			    f == 1 ? "office" : "title", vals[f], vlen[f] };
		}
		k = rnd() % sizeof(msg);
		for (size_t j = 0; j < k; j++)
			msg[j] = (char)(rnd() % 95 + 32);
		m = (struct rfc5424_msg){ .facility = (int)(rnd() % 24),
		    .severity = (int)(rnd() % 8),
		    .ts_us = (int64_t)rnd() * 1000000 + rnd() % 1000000,
		    .hostname = fields[0], .app_name = fields[1],
		    .procid = fields[2], .msgid = fields[3],
		    .sd_id = "vigil@32473", .params = pa, .nparams = 3,
		    .msg = msg, .msglen = k };
		s = fmt(&m, RFC5424_MIN_MAX + rnd() % 3000, &p, &len, &cut);
		assert_int_equal(p.pri, m.facility * 8 + m.severity);
		assert_int_equal(p.nparams, 3 + (size_t)cut);
		for (f = 0; f < 3; f++) {
			assert_int_equal(text_unescape(back, &blen,
			    p.params[f].value, p.params[f].len), 0);
			assert_int_equal(blen, vlen[f]);
			assert_memory_equal(back, vals[f], blen);
		}
		assert_true(cut ? p.msglen < k : p.msglen == k);
		assert_memory_equal(p.msg, msg, p.msglen);
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_fields_hostile),
		cmocka_unit_test(test_params_hostile),
		cmocka_unit_test(test_value_cap),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
