/*
 * test_iocmatch.c: the indicator lists against traffic
 * (agent/net/iocmatch.c): each place a list is matched (addresses, DNS
 * questions and answers, TLS SNI, HTTP Host and URL) raises gid 3 with
 * the list's stable sid for that place and the evidence; a repeat is
 * held for the repeat time; traffic not listed raises nothing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "err.h"
#include "iocmatch.h"
#include "scanner.h"
#include "testutil.h"

#define S	1000000LL
#define MAXA	16

struct fx {
	struct tmpdir		 dir;	/* first: tmpdir_free */
	struct iocdb		*db;
	struct iocmatch		*m;
	uint32_t		 sid[MAXA];
	json_t			*ev[MAXA];
	const struct txn	*tx[MAXA];
	size_t			 n;
};

static void
on_alert(void *ctx, const struct pkt *p, const struct net_alert *a)
{
	struct fx	*fx = ctx;

	(void)p;
	assert_int_equal(a->gid, IOC_GID);
	assert_true(fx->n < MAXA);
	fx->sid[fx->n] = a->sid;
	fx->tx[fx->n] = a->txn;
	assert_non_null(fx->ev[fx->n] = json_loads(a->evidence, 0, NULL));
	assert_non_null(strstr(a->msg, "list bad"));
	fx->n++;
}

static void
clear(struct fx *fx)
{
	while (fx->n > 0)
		json_decref(fx->ev[--fx->n]);
}

static int
setup(void **state)
{
	struct fx	*fx;
	char		 path[PATH_MAX];
	const char	*paths[1] = { path };
	const char	*list = "192.0.2.66 c2\n"
			    "evil.example\n"
			    "cname-target.example\n"
			    "198.51.100.0/24 sinkhole\n"
			    "http://web.example/dl/payload.exe\n";

	if ((fx = tmpdir_new(sizeof(*fx), "iocm")) == NULL)
		return -1;
	tmpdir_path(path, sizeof(path), &fx->dir, "bad.txt");
	if (file_put(path, list, strlen(list), 0600) != 0 ||
	    iocdb_load(&fx->db, paths, 1, NULL, NULL, NULL) != 0 ||
	    iocmatch_new(&fx->m, fx->db, 60, on_alert, fx) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	clear(fx);
	iocmatch_free(fx->m);
	iocdb_free(fx->db);
	tmpdir_free(fx);
	return 0;
}

static struct pkt
pkt(int64_t ts, const char *src, const char *dst)
{
	struct pkt	p;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.ipver = 4;
	p.src.family = p.dst.family = 4;
	inet_pton(AF_INET, src, p.src.a);
	inet_pton(AF_INET, dst, p.dst.a);
	p.proto = IPPROTO_TCP;
	return p;
}

static const char *
ev(const struct fx *fx, size_t i, const char *key)
{
	json_t	*v = json_object_get(fx->ev[i], key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
test_addresses(void **state)
{
	struct fx	*fx = *state;
	struct pkt	 p = pkt(S, "192.168.1.20", "192.0.2.66");
	struct iocmatch_stats st;

	iocmatch_packet(fx->m, &p);
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->sid[0], scanner_signature_id("bad", "dest_ip"));
	assert_string_equal(ev(fx, 0, "list"), "bad");
	assert_string_equal(ev(fx, 0, "indicator"), "192.0.2.66");
	assert_string_equal(ev(fx, 0, "kind"), "ip");
	assert_string_equal(ev(fx, 0, "where"), "dest_ip");
	assert_string_equal(ev(fx, 0, "value"), "192.0.2.66");
	assert_string_equal(ev(fx, 0, "note"), "c2");
	assert_null(fx->tx[0]);
	/* the rest of the connection, for the repeat time: held */
	p.ts_us = 30 * S;
	iocmatch_packet(fx->m, &p);
	assert_int_equal(fx->n, 1);
	/* the reply is another (source, destination) */
	p = pkt(30 * S, "192.0.2.66", "192.168.1.20");
	iocmatch_packet(fx->m, &p);
	assert_int_equal(fx->n, 2);
	assert_int_equal(fx->sid[1], scanner_signature_id("bad", "src_ip"));
	assert_int_not_equal(fx->sid[0], fx->sid[1]);
	/* after the repeat time: again */
	p = pkt(S + 60 * S, "192.168.1.20", "192.0.2.66");
	iocmatch_packet(fx->m, &p);
	assert_int_equal(fx->n, 3);
	/* a range; nothing listed */
	p = pkt(S, "198.51.100.9", "192.168.1.20");
	iocmatch_packet(fx->m, &p);
	assert_int_equal(fx->n, 4);
	assert_string_equal(ev(fx, 3, "kind"), "cidr");
	assert_string_equal(ev(fx, 3, "indicator"), "198.51.100.0/24");
	p = pkt(S, "192.168.1.20", "203.0.113.1");
	iocmatch_packet(fx->m, &p);
	p.ipver = 0;	/* not IP: nothing looked at */
	p.dst = pkt(S, "1.1.1.1", "192.0.2.66").dst;
	iocmatch_packet(fx->m, &p);
	assert_int_equal(fx->n, 4);
	iocmatch_stats(fx->m, &st);
	assert_int_equal(st.alerts, 4);
	assert_int_equal(st.repeats, 1);
}

static void
test_transactions(void **state)
{
	struct fx	*fx = *state;
	struct pkt	 p = pkt(S, "192.168.1.20", "192.168.1.1");
	struct txn	 t;
	const char	*q = "WWW.Evil.Example", *uri = "/dl/payload.exe?x=1";

	memset(&t, 0, sizeof(t));
	t.app = APP_DNS;
	t.buf[NB_DNS_QUERY] = (const uint8_t *)q;
	t.len[NB_DNS_QUERY] = strlen(q);
	iocmatch_txn(fx->m, &p, &t);
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->sid[0], scanner_signature_id("bad", "dns.query"));
	assert_string_equal(ev(fx, 0, "value"), "WWW.Evil.Example");
	assert_string_equal(ev(fx, 0, "kind"), "domain");
	assert_ptr_equal(fx->tx[0], &t);
	assert_null(ev(fx, 0, "note"));
	clear(fx);

	/* a response: the question again (held), its answers */
	t.dns.response = true;
	t.dns.nanswers = 3;
	t.dns.answers[0] = (struct dns_answer){ "www.evil.example", 5,
	    "cname-target.example", 60 };
	t.dns.answers[1] = (struct dns_answer){ "cname-target.example", 1,
	    "192.0.2.66", 60 };
	t.dns.answers[2] = (struct dns_answer){ "cname-target.example", 28,
	    "2001:db8::1", 60 };
	iocmatch_txn(fx->m, &p, &t);
	assert_int_equal(fx->n, 2);
	assert_string_equal(ev(fx, 0, "where"), "dns.answer");
	assert_string_equal(ev(fx, 0, "indicator"), "cname-target.example");
	assert_string_equal(ev(fx, 1, "indicator"), "192.0.2.66");
	clear(fx);

	memset(&t, 0, sizeof(t));
	t.app = APP_TLS;
	t.tls.sni = "cdn.evil.example";
	iocmatch_txn(fx->m, &p, &t);
	assert_int_equal(fx->n, 1);
	assert_string_equal(ev(fx, 0, "where"), "tls.sni");
	clear(fx);

	memset(&t, 0, sizeof(t));
	t.app = APP_HTTP;
	t.buf[NB_HTTP_HOST] = (const uint8_t *)"web.example";
	t.len[NB_HTTP_HOST] = 11;
	t.buf[NB_HTTP_URI_RAW] = (const uint8_t *)uri;
	t.len[NB_HTTP_URI_RAW] = strlen(uri);
	iocmatch_txn(fx->m, &p, &t);
	assert_int_equal(fx->n, 1);
	assert_string_equal(ev(fx, 0, "where"), "http.url");
	assert_string_equal(ev(fx, 0, "kind"), "url");
	assert_string_equal(ev(fx, 0, "value"), uri);
	assert_int_equal(fx->sid[0], scanner_signature_id("bad", "http.url"));
	clear(fx);
	t.len[NB_HTTP_URI_RAW] = 4;	/* "/dl/": not listed */
	iocmatch_txn(fx->m, &p, &t);
	t.buf[NB_HTTP_HOST] = (const uint8_t *)"evil.example";
	t.len[NB_HTTP_HOST] = 12;
	t.buf[NB_HTTP_URI_RAW] = NULL;
	t.len[NB_HTTP_URI_RAW] = 0;
	iocmatch_txn(fx->m, &p, &t);
	assert_int_equal(fx->n, 1);
	assert_string_equal(ev(fx, 0, "where"), "http.host");
}

static void
test_errors(void **state)
{
	struct fx	*fx = *state;
	struct iocmatch	*m;

	assert_int_equal(iocmatch_new(&m, fx->db, 0, on_alert, fx),
	    ERR_CONFIG);
	assert_null(m);
	assert_int_equal(iocmatch_new(&m, fx->db, 1, NULL, fx), ERR_CONFIG);
	iocmatch_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(test_addresses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
