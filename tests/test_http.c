/*
 * test_http.c: HTTP/1.x requests (agent/net/http.c) as Suricata's http.*
 * buffers show them.
 *
 * Every buffer of a plain GET byte for byte; folded, repeated and
 * colon-less headers; a table of URIs through the normalisation
 * (percent and %u escapes, full-width forms, overlong UTF-8, backslashes,
 * runs of '/', dot segments with libhtp's own test vectors); absolute
 * URIs and CONNECT for http.host; Content-Length and chunked bodies with
 * the depth, pipelining through *consumed, every prefix ERR_AGAIN and
 * final parsing what is there; HTTP/0.9; what is not a request; the head
 * and header-count limits; a full arena; the probe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "msgbuild.h"

static uint8_t		arena[HTTP_SCRATCH_NEED(1 << 16)];
static struct mb	m;

static int
parse_n(const void *p, size_t len, uint32_t depth, bool final,
    struct txn *t, size_t *consumed)
{
	struct scratch	s = { arena, sizeof(arena), 0 };

	memset(t, 0, sizeof(*t));
	return http_parse_request(p, len, depth, final, t, &s, consumed);
}

static int
parse(const char *req, struct txn *t, size_t *consumed)
{
	return parse_n(req, strlen(req), 4096, false, t, consumed);
}

static void
assert_buf(const struct txn *t, int nb, const char *want)
{
	if (want == NULL) {
		assert_null(t->buf[nb]);
		assert_int_equal(t->len[nb], 0);
		return;
	}
	assert_non_null(t->buf[nb]);
	if (t->len[nb] != strlen(want) || memcmp(t->buf[nb], want,
	    t->len[nb]) != 0)
		fail_msg("buffer %d: \"%.*s\", want \"%s\"", nb,
		    (int)t->len[nb], (const char *)t->buf[nb], want);
}

static void
test_get(void **state)
{
	static const char req[] =
	    "GET /a/./b/../c%2Fd%20e?q=%41+b#frag HTTP/1.1\r\n"
	    "Host: Example.COM:8080\r\n"
	    "User-Agent: curl/8.0 \r\n"
	    "Accept: */*\r\n"
	    "Cookie: a=b\r\n"
	    "\r\n";
	struct txn	t;
	size_t		used;

	assert_int_equal(parse(req, &t, &used), 0);
	assert_int_equal(used, strlen(req));
	assert_int_equal(t.app, APP_HTTP);
	assert_buf(&t, NB_HTTP_METHOD, "GET");
	assert_buf(&t, NB_HTTP_PROTOCOL, "HTTP/1.1");
	assert_buf(&t, NB_HTTP_URI_RAW, "/a/./b/../c%2Fd%20e?q=%41+b#frag");
	assert_buf(&t, NB_HTTP_REQUEST_LINE,
	    "GET /a/./b/../c%2Fd%20e?q=%41+b#frag HTTP/1.1");
	assert_buf(&t, NB_HTTP_URI, "/a/c/d e?q=A+b#frag");
	assert_buf(&t, NB_HTTP_HOST, "example.com");
	assert_buf(&t, NB_HTTP_HOST_RAW, "Example.COM:8080");
	assert_buf(&t, NB_HTTP_USER_AGENT, "curl/8.0");
	assert_buf(&t, NB_HTTP_COOKIE, "a=b");
	assert_buf(&t, NB_HTTP_CONTENT_TYPE, NULL);
	assert_buf(&t, NB_HTTP_REQUEST_BODY, NULL);
	assert_buf(&t, NB_HTTP_HEADER, "Host: Example.COM:8080\r\n"
	    "User-Agent: curl/8.0\r\nAccept: */*\r\n");
	assert_buf(&t, NB_HTTP_HEADER_NAMES,
	    "\r\nHost\r\nUser-Agent\r\nAccept\r\nCookie\r\n\r\n");
	assert_int_equal(t.http.status, 0);
	assert_int_equal(t.http.content_length, 0);
}

static void
test_header_forms(void **state)
{
	static const char req[] =
	    "POST /f HTTP/1.1\r\n"
	    "X-A: one\r\n"
	    "  two\r\n"
	    "\tthree \r\n"
	    "X-B:\r\n"
	    "  folded\r\n"
	    "Accept: a\r\n"
	    "Host : h\r\n"
	    "Junk line\r\n"
	    "accept: b\r\n"
	    "Content-Length: 2\r\n"
	    "Content-Type: text/plain; charset=x\r\n"
	    "content-length: 9\r\n"
	    "\r\n"
	    "ok";
	struct txn	t;
	size_t		used;

	assert_int_equal(parse(req, &t, &used), 0);
	assert_int_equal(used, strlen(req));
	assert_buf(&t, NB_HTTP_HEADER, "X-A: one  two\tthree\r\n"
	    "X-B: folded\r\nAccept: a, b\r\nHost: h\r\n: Junk line\r\n"
	    "Content-Length: 2\r\n"
	    "Content-Type: text/plain; charset=x\r\n");
	assert_buf(&t, NB_HTTP_HEADER_NAMES, "\r\nX-A\r\nX-B\r\nAccept\r\n"
	    "Host\r\n\r\nContent-Length\r\nContent-Type\r\n\r\n");
	assert_buf(&t, NB_HTTP_HOST, "h");
	assert_buf(&t, NB_HTTP_CONTENT_TYPE, "text/plain; charset=x");
	assert_buf(&t, NB_HTTP_REQUEST_BODY, "ok");
	assert_int_equal(t.http.content_length, 2);
}

static void
test_uri_normalisation(void **state)
{
	static const struct { const char *raw, *norm; } cases[] = {
		{ "/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd" },
		{ "/a\\b\\..\\c", "/a/c" },
		{ "//a///b", "/a/b" },
		{ "/%5c%5Cx", "/x" },
		{ "/%u0041%uFF21%uff5a", "/AAz" },
		{ "/%u4e2d", "/?" },
		{ "/%zz%4%u12", "/%zz%4%u12" },
		{ "/%c0%af", "//" },
		{ "/caf%C3%A9", "/caf\xe9" },
		{ "/x%ff/y", "/x?/y" },
		{ "/\xe2\x82", "/?" },
		{ "/\xe2\x41", "/?A" },
		{ "/a/b/..", "/a" },
		{ "/a/.", "/a" },
		{ "/a/b/../", "/a" },
		{ "/a/", "/a/" },
		{ "/a/b/c/./../../g", "/a/g" },
		{ "mid/content=5/../6", "mid/6" },
		{ "/../../../images.gif", "/images.gif" },
		{ "/?a=%2500&b=%u0041", "/?a=%00&b=A" },
		{ "/p?x=/../y\\z", "/p?x=/../y\\z" },
		{ "/%00x", "/\0x" },
		{ "*", "*" },
		{ "?only", "?only" },
	};
	char		req[256];
	struct txn	t;
	size_t		i, used;
	int		n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n\r\n",
		    cases[i].raw);
		assert_true(n > 0 && (size_t)n < sizeof(req));
		assert_int_equal(parse(req, &t, &used), 0);
		assert_buf(&t, NB_HTTP_URI_RAW, cases[i].raw);
		if (strcmp(cases[i].raw, "/%00x") == 0) {
			assert_int_equal(t.len[NB_HTTP_URI], 3);
			assert_memory_equal(t.buf[NB_HTTP_URI], "/\0x", 3);
		} else
			assert_buf(&t, NB_HTTP_URI, cases[i].norm);
	}
}

static void
test_hosts(void **state)
{
	struct txn	t;
	size_t		used;

	assert_int_equal(parse("GET http://User:pw@Www.Example.COM.:80/x?y "
	    "HTTP/1.1\r\nHost: other\r\n\r\n", &t, &used), 0);
	assert_buf(&t, NB_HTTP_HOST, "www.example.com");
	assert_buf(&t, NB_HTTP_HOST_RAW, "www.example.com");
	assert_buf(&t, NB_HTTP_URI, "/x?y");
	assert_int_equal(parse("CONNECT Example.com:443 HTTP/1.1\r\n"
	    "Host: example.com:443\r\n\r\n", &t, &used), 0);
	assert_buf(&t, NB_HTTP_URI, NULL);
	assert_buf(&t, NB_HTTP_HOST, "example.com");
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
	    &t, &used), 0);
	assert_buf(&t, NB_HTTP_HOST, "[::1]");
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: /bad\r\n\r\n", &t,
	    &used), 0);
	assert_buf(&t, NB_HTTP_HOST, NULL);
	assert_buf(&t, NB_HTTP_HOST_RAW, "/bad");
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &t, &used), 0);
	assert_buf(&t, NB_HTTP_HOST, NULL);
	assert_buf(&t, NB_HTTP_HEADER, NULL);
	assert_buf(&t, NB_HTTP_HEADER_NAMES, NULL);
}

static void
test_chunked(void **state)
{
	static const char req[] =
	    "POST /u HTTP/1.1\r\n"
	    "Transfer-Encoding: gzip, Chunked\r\n"
	    "Content-Length: 3\r\n"
	    "\r\n"
	    "5\r\nhello\r\n"
	    "6;ext=1\r\n world\r\n"
	    "0\r\n"
	    "X-Trailer: 1\r\n"
	    "\r\n";
	static const char next[] = "GET /next HTTP/1.1\r\n\r\n";
	struct txn	t;
	size_t		used, n, len;

	m.len = 0;
	mb_str(&m, req);
	mb_str(&m, next);
	assert_int_equal(parse_n(m.b, m.len, 4096, false, &t, &used), 0);
	assert_buf(&t, NB_HTTP_REQUEST_BODY, "hello world");
	assert_int_equal(used, strlen(req));
	assert_int_equal(t.http.content_length, 0);
	assert_int_equal(parse_n(m.b + used, m.len - used, 4096, false, &t,
	    &n), 0);
	assert_buf(&t, NB_HTTP_URI, "/next");
	assert_int_equal(n, strlen(next));
	/* the depth cuts the body, not the request */
	assert_int_equal(parse_n(m.b, m.len, 7, false, &t, &used), 0);
	assert_buf(&t, NB_HTTP_REQUEST_BODY, "hello w");
	assert_int_equal(used, strlen(req));
	/* every prefix waits; final takes what is there */
	len = strlen(req);
	for (n = 0; n < len; n++) {
		assert_int_equal(parse_n(m.b, n, 4096, false, &t, &used),
		    ERR_AGAIN);
		assert_int_equal(used, 0);
	}
	assert_int_equal(parse_n(m.b, len - 23, 4096, true, &t, &used), 0);
	assert_buf(&t, NB_HTTP_REQUEST_BODY, "hello wor");
	assert_int_equal(used, len - 23);
	/* with the depth reached, a prefix is enough */
	assert_int_equal(parse_n(m.b, len - 20, 7, false, &t, &used), 0);
	assert_buf(&t, NB_HTTP_REQUEST_BODY, "hello w");
}

static void
test_content_length(void **state)
{
	static const char req[] =
	    "POST /p HTTP/1.1\r\nContent-Length:  5x\r\n\r\nabcde";
	static const char next[] = "GET /2 HTTP/1.0\r\n\r\n";
	struct txn	t;
	size_t		used, n;

	m.len = 0;
	mb_str(&m, req);
	mb_str(&m, next);
	assert_int_equal(parse_n(m.b, m.len, 100, false, &t, &used), 0);
	assert_buf(&t, NB_HTTP_REQUEST_BODY, "abcde");
	assert_int_equal(t.http.content_length, 5);
	assert_int_equal(used, strlen(req));
	assert_int_equal(parse_n(m.b, m.len, 3, false, &t, &used), 0);
	assert_buf(&t, NB_HTTP_REQUEST_BODY, "abc");
	assert_int_equal(used, strlen(req));
	for (n = 0; n < strlen(req); n++)
		assert_int_equal(parse_n(m.b, n, 100, false, &t, &used),
		    ERR_AGAIN);
	/* longer than p: the body up to the depth, consumed all of it */
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 1000\r\n"
	    "\r\n0123456789", &t, &used), ERR_AGAIN);
	m.len = 0;
	mb_str(&m, "POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n");
	n = m.len;
	mb_str(&m, "0123456789");
	assert_int_equal(parse_n(m.b, m.len, 5, false, &t, &used), 0);
	assert_buf(&t, NB_HTTP_REQUEST_BODY, "01234");
	assert_int_equal(used, n + 1000);
	assert_int_equal(parse_n(m.b, m.len, 4096, true, &t, &used), 0);
	assert_buf(&t, NB_HTTP_REQUEST_BODY, "0123456789");
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n", &t, &used), 0);
	assert_int_equal(t.http.content_length, 0);
}

static void
test_old_and_bad(void **state)
{
	struct txn	t;
	size_t		used;

	assert_int_equal(parse("\r\n\r\nGET /old\r\nmore", &t, &used), 0);
	assert_int_equal(used, 14);
	assert_buf(&t, NB_HTTP_PROTOCOL, NULL);
	assert_buf(&t, NB_HTTP_URI, "/old");
	assert_int_equal(parse("  GET  /sp ace  HTTP/1.0  \r\n\r\n", &t,
	    &used), 0);
	assert_buf(&t, NB_HTTP_METHOD, "GET");
	assert_buf(&t, NB_HTTP_URI_RAW, "/sp ace");
	assert_buf(&t, NB_HTTP_PROTOCOL, "HTTP/1.0");
	assert_buf(&t, NB_HTTP_REQUEST_LINE, "  GET  /sp ace  HTTP/1.0  ");
	assert_int_equal(parse("\x16\x03\x01\x02", &t, &used), ERR_MALFORMED);
	assert_int_equal(parse("G\x01T / HTTP/1.1\r\n\r\n", &t, &used),
	    ERR_MALFORMED);
	assert_int_equal(parse("GET\r\n\r\n", &t, &used), ERR_MALFORMED);
	assert_int_equal(parse("GET \r\n\r\n", &t, &used), ERR_MALFORMED);
	assert_int_equal(parse("GE", &t, &used), ERR_AGAIN);
	assert_int_equal(parse_n("GE", 2, 0, true, &t, &used),
	    ERR_MALFORMED);
	assert_int_equal(parse_n("GET /x HTTP/1.1\r\nHost: a", 24, 0, true,
	    &t, &used), 0);
	assert_buf(&t, NB_HTTP_HOST, "a");
	assert_int_equal(used, 24);
}

static void
test_limits(void **state)
{
	struct txn	t;
	size_t		used, i;

	m.len = 0;
	mb_str(&m, "GET / HTTP/1.1\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS + 5; i++) {
		char	h[32];

		snprintf(h, sizeof(h), "H%zu: v\r\n", i);
		mb_str(&m, h);
	}
	mb_str(&m, "\r\n");
	assert_int_equal(parse_n(m.b, m.len, 0, false, &t, &used), 0);
	assert_int_equal(used, m.len);
	assert_non_null(memmem(t.buf[NB_HTTP_HEADER], t.len[NB_HTTP_HEADER],
	    "\r\nH1023: v\r\n", 12));
	assert_null(memmem(t.buf[NB_HTTP_HEADER], t.len[NB_HTTP_HEADER],
	    "H1024", 5));
	/* a head over HTTP_HEAD_MAX, ended or not */
	m.len = 0;
	mb_str(&m, "GET / HTTP/1.1\r\nX: ");
	memset(m.b + m.len, 'a', HTTP_HEAD_MAX);
	m.len += HTTP_HEAD_MAX;
	assert_int_equal(parse_n(m.b, m.len, 0, false, &t, &used),
	    ERR_MALFORMED);
	mb_str(&m, "\r\n\r\n");
	assert_int_equal(parse_n(m.b, m.len, 0, false, &t, &used),
	    ERR_MALFORMED);
	m.len = 0;
	mb_str(&m, "GET /");
	memset(m.b + m.len, 'a', HTTP_HEAD_MAX);
	m.len += HTTP_HEAD_MAX;
	assert_int_equal(parse_n(m.b, m.len, 0, false, &t, &used),
	    ERR_MALFORMED);
}

static void
test_scratch_full(void **state)
{
	static const char req[] = "GET /a%20b HTTP/1.1\r\nHost: x\r\n"
	    "Accept: a\r\nAccept: b\r\n\r\n";
	struct scratch	s = { arena, 0, 0 };
	struct txn	t;
	size_t		cap, used;
	int		rc = -1;

	for (cap = 0; cap < sizeof(arena) && rc != 0; cap += 997) {
		s.cap = cap;
		s.used = 0;
		memset(&t, 0, sizeof(t));
		rc = http_parse_request((const uint8_t *)req, strlen(req),
		    0, false, &t, &s, &used);
		assert_true(rc == 0 || rc == ERR_NOMEM);
		assert_true(s.used <= s.cap);
	}
	assert_int_equal(rc, 0);
	assert_buf(&t, NB_HTTP_HEADER, "Host: x\r\nAccept: a, b\r\n");
}

static void
test_probe(void **state)
{
	assert_true(http_probe((const uint8_t *)"GET / HTTP/1.1", 14));
	assert_true(http_probe((const uint8_t *)"PROPFIND /x", 11));
	assert_false(http_probe((const uint8_t *)"GET", 3));
	assert_false(http_probe((const uint8_t *)"GETX /", 6));
	assert_false(http_probe((const uint8_t *)"get / HTTP/1.1", 14));
	assert_false(http_probe((const uint8_t *)"\x16\x03\x01", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_header_forms),
		cmocka_unit_test(test_uri_normalisation),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_old_and_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_scratch_full),
		cmocka_unit_test(test_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
