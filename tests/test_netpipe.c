/*
 * test_netpipe.c: agent/net/netpipe.c end to end, on frames built by
 * netgen.h: the application layer found by content on any port (DNS over
 * UDP and TCP, a TLS ClientHello split over three segments sent out of
 * order, HTTP requests split over packets and pipelined, SMB, SSH), the
 * stream and stream_new each packet sees, sequence numbers wrapping, IPv4
 * and IPv6 fragments (an overlap flagged and nothing parsed from it),
 * malformed frames reported, timeouts, and a flood of 100,000 flows into
 * a table of 1,000.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "netgen.h"
#include "netpipe.h"

#define SEC		1000000LL
#define MAXREC		64

struct rec {
	uint8_t		 app, dir;
	uint64_t	 tx_id, flow_id;
	uint16_t	 sport, dport;	/* of the packet it came with */
	char		 s[256];	/* query, SNI or URI */
};

struct fx {
	struct netpipe	*np;
	struct ng	 g;
	int64_t		 now;
	uint64_t	 pkts;
	struct pkt	 last;		/* the last packet, pointers cleared */
	size_t		 last_stream_len, last_stream_new;
	bool		 last_stream_ok;	/* stream is what was sent */
	const uint8_t	*expect;		/* checked against pkt->stream */
	struct rec	 tx[MAXREC];
	size_t		 ntx;
	char		 anomalies[1024];
};

static void
on_packet(void *ctx, const struct pkt *p)
{
	struct fx	*x = ctx;

	x->pkts++;
	x->last = *p;
	x->last.payload = NULL;
	x->last.stream = NULL;
	x->last_stream_len = p->stream_len;
	x->last_stream_new = p->stream_new;
	x->last_stream_ok = x->expect == NULL || (p->stream != NULL &&
	    memcmp(p->stream, x->expect, p->stream_len) == 0);
}

static void
on_txn(void *ctx, const struct pkt *p, const struct txn *t)
{
	struct fx	*x = ctx;
	struct rec	*r;
	enum nbuf	 b;

	if (x->ntx == MAXREC)
		fail_msg("too many transactions");
	r = &x->tx[x->ntx++];
	r->app = t->app;
	r->dir = t->dir;
	r->tx_id = t->tx_id;
	r->flow_id = p->flow_id;
	r->sport = p->sport;
	r->dport = p->dport;
	b = t->app == APP_DNS ? NB_DNS_QUERY : t->app == APP_TLS ?
	    NB_TLS_SNI : NB_HTTP_URI_RAW;
	if (t->buf[b] != NULL && t->len[b] < sizeof(r->s))
		memcpy(r->s, t->buf[b], t->len[b]);
}

static void
on_anomaly(void *ctx, const struct pkt *p, const char *what)
{
	struct fx	*x = ctx;
	size_t		 n = strlen(x->anomalies);

	snprintf(x->anomalies + n, sizeof(x->anomalies) - n, "%s ", what);
}

static int
setup_conf(void **state, const struct netpipe_conf *c)
{
	struct fx		*x = calloc(1, sizeof(*x));
	struct netpipe_cb	 cb = { 0 };

	if (x == NULL || sodium_init() < 0)
		return -1;
	cb.ctx = x;
	cb.packet = on_packet;
	cb.txn = on_txn;
	cb.anomaly = on_anomaly;
	if ((x->np = netpipe_new(c, &cb)) == NULL)
		return -1;
	ng_init(&x->g, LT_EN10MB);
	x->now = 1700000000 * SEC;
	*state = x;
	return 0;
}

static int
setup(void **state)
{
	struct netpipe_conf	c;

	netpipe_conf_defaults(&c);
	return setup_conf(state, &c);
}

static int
teardown(void **state)
{
	struct fx	*x = *state;

	netpipe_free(x->np);
	free(x);
	return 0;
}

static void
feed(struct fx *x)
{
	x->now += 1000;
	netpipe_feed(x->np, x->g.linktype, x->now, x->g.frame,
	    (uint32_t)x->g.len, (uint32_t)x->g.len);
}

static void
tcp(struct fx *x, const struct ng_tuple *t, uint8_t fl, uint32_t seq,
    uint32_t ack, const void *d, size_t n)
{
	ng_tcp(&x->g, t, fl, seq, ack, d, n);
	feed(x);
}

/* A three-way handshake on t (client to server); the client's next
 * sequence number is 1001, the server's 5001. */
static void
handshake(struct fx *x, const struct ng_tuple *t)
{
	struct ng_tuple	r = *t;

	ng_reverse(&r);
	tcp(x, t, NG_SYN, 1000, 0, NULL, 0);
	tcp(x, &r, NG_SYN | NG_ACK, 5000, 1001, NULL, 0);
	tcp(x, t, NG_ACK, 1001, 5001, NULL, 0);
}

static void
test_tls_split(void **state)
{
	struct fx	*x = *state;
	struct ng_tuple	 t;
	uint8_t		 ch[512];
	size_t		 n, a, b;

	/* on port 8443, out of order: the third part, the first, the second */
	ng_tuple4(&t, "192.168.1.10", 50123, "203.0.113.5", 8443);
	handshake(x, &t);
	n = ng_client_hello(ch, "www.example.vn");
	a = n / 3;
	b = 2 * n / 3;
	x->expect = ch;
	tcp(x, &t, NG_ACK | NG_PSH, 1001 + (uint32_t)b, 5001, ch + b, n - b);
	assert_int_equal(x->last_stream_new, 0);
	assert_int_equal(x->last.app, APP_NONE);
	tcp(x, &t, NG_ACK | NG_PSH, 1001, 5001, ch, a);
	assert_int_equal(x->last_stream_new, a);
	assert_int_equal(x->last.app, APP_TLS);
	assert_int_equal(x->ntx, 0);		/* not all there */
	tcp(x, &t, NG_ACK | NG_PSH, 1001 + (uint32_t)a, 5001, ch + a, b - a);
	assert_int_equal(x->last_stream_len, n);
	assert_int_equal(x->last_stream_new, n - a);
	assert_true(x->last_stream_ok);
	assert_string_equal(x->anomalies, "");
	assert_int_equal(x->ntx, 1);
	assert_int_equal(x->tx[0].app, APP_TLS);
	assert_int_equal(x->tx[0].dir, DIR_TO_SERVER);
	assert_int_equal(x->tx[0].tx_id, 0);
	assert_string_equal(x->tx[0].s, "www.example.vn");
	assert_int_equal(x->tx[0].flow_id, x->last.flow_id);
	/* the encrypted rest is not parsed */
	tcp(x, &t, NG_ACK | NG_PSH, 1001 + (uint32_t)n, 5001, ch, n);
	assert_int_equal(x->ntx, 1);
	assert_string_equal(x->anomalies, "");
}

static void
test_http_split_and_pipelined(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t;
	struct netpipe_stats	 st;
	static const char	 r1[] = "GET /a HTTP/1.1\r\nHost: x.vn\r\n\r\n";
	static const char	 r2[] = "POST /b HTTP/1.1\r\nHost: x.vn\r\n"
				    "Content-Length: 5\r\n\r\nhello";
	static const char	 r3[] = "GET /c HTTP/1.1\r\nHost: x.vn\r\n\r\n";
	char			 both[256];
	uint32_t		 seq = 1001;

	/* on port 3000: HTTP by content */
	ng_tuple4(&t, "192.168.1.10", 50124, "192.168.1.20", 3000);
	handshake(x, &t);
	tcp(x, &t, NG_ACK | NG_PSH, seq, 5001, r1, 10);
	assert_int_equal(x->last.app, APP_HTTP);
	assert_int_equal(x->ntx, 0);
	tcp(x, &t, NG_ACK | NG_PSH, seq + 10, 5001, r1 + 10, strlen(r1) - 10);
	seq += (uint32_t)strlen(r1);
	assert_int_equal(x->ntx, 1);
	assert_string_equal(x->tx[0].s, "/a");
	/* two requests in one segment */
	snprintf(both, sizeof(both), "%s%s", r2, r3);
	tcp(x, &t, NG_ACK | NG_PSH, seq, 5001, both, strlen(both));
	assert_int_equal(x->ntx, 3);
	assert_string_equal(x->tx[1].s, "/b");
	assert_string_equal(x->tx[2].s, "/c");
	assert_int_equal(x->tx[1].tx_id, 1);
	assert_int_equal(x->tx[2].tx_id, 2);
	netpipe_stats(x->np, &st);
	assert_int_equal(st.txns[APP_HTTP], 3);
	assert_int_equal(st.flows_active, 1);
}

/* A request and a ClientHello one byte a segment: each is parsed once,
 * when it is all there (the header end split between segments too). */
static void
test_dribbled(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t;
	static const char	 req[] = "GET /slow HTTP/1.1\r\nHost: s.vn\r\n"
				    "\r\nGET /next HTTP/1.1\r\n\r\n";
	uint8_t			 ch[512];
	size_t			 i, n;

	ng_tuple4(&t, "10.1.1.1", 40100, "10.1.1.2", 80);
	handshake(x, &t);
	for (i = 0; i < strlen(req); i++) {
		tcp(x, &t, NG_ACK | NG_PSH, 1001 + (uint32_t)i, 5001, req + i,
		    1);
		assert_int_equal(x->ntx, i < 33 ? 0 : i < strlen(req) - 1 ?
		    1 : 2);
	}
	assert_string_equal(x->tx[0].s, "/slow");
	assert_string_equal(x->tx[1].s, "/next");
	ng_tuple4(&t, "10.1.1.1", 40101, "10.1.1.2", 443);
	handshake(x, &t);
	n = ng_client_hello(ch, "slow.example.vn");
	for (i = 0; i < n; i++)
		tcp(x, &t, NG_ACK | NG_PSH, 1001 + (uint32_t)i, 5001, ch + i,
		    1);
	assert_int_equal(x->ntx, 3);
	assert_string_equal(x->tx[2].s, "slow.example.vn");
	assert_string_equal(x->anomalies, "");
}

/* An HTTP request whose sequence numbers wrap past 2^32 inside it. */
static void
test_http_wraparound(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t, r;
	static const char	 req[] = "GET /wrapped/uri HTTP/1.1\r\n"
				    "Host: w.vn\r\n\r\n";
	uint32_t		 isn = 0xffffffff - 10;

	ng_tuple4(&t, "10.1.1.1", 40000, "10.1.1.2", 80);
	r = t;
	ng_reverse(&r);
	tcp(x, &t, NG_SYN, isn, 0, NULL, 0);
	tcp(x, &r, NG_SYN | NG_ACK, 7, isn + 1, NULL, 0);
	tcp(x, &t, NG_ACK, isn + 1, 8, NULL, 0);
	tcp(x, &t, NG_ACK | NG_PSH, isn + 1 + 20, 8, req + 20,
	    strlen(req) - 20);
	tcp(x, &t, NG_ACK | NG_PSH, isn + 1, 8, req, 20);
	assert_int_equal(x->ntx, 1);
	assert_string_equal(x->tx[0].s, "/wrapped/uri");
	assert_int_equal(x->last_stream_len, strlen(req));
}

static void
test_dns(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t;
	uint8_t			 q[300], framed[600];
	size_t			 n, m;
	struct netpipe_stats	 st;

	/* UDP on port 5300: DNS by content; the answer comes back */
	ng_tuple6(&t, "fd00::10", 33000, "fd00::1", 5300);
	n = ng_dns(q, 0x1234, "mail.example.vn", false);
	ng_udp(&x->g, &t, q, n);
	feed(x);
	assert_int_equal(x->last.app, APP_DNS);
	assert_int_equal(x->ntx, 1);
	assert_string_equal(x->tx[0].s, "mail.example.vn");
	ng_reverse(&t);
	n = ng_dns(q, 0x1234, "mail.example.vn", true);
	ng_udp(&x->g, &t, q, n);
	feed(x);
	assert_int_equal(x->ntx, 2);
	assert_int_equal(x->tx[1].dir, DIR_TO_CLIENT);
	assert_int_equal(x->tx[1].tx_id, 1);
	/* TCP: two length-framed queries, split between segments */
	ng_tuple4(&t, "10.0.0.5", 40001, "10.0.0.1", 53);
	handshake(x, &t);
	n = ng_dns(q, 1, "a.vn", false);
	ng_put16(framed, (uint16_t)n);
	memcpy(framed + 2, q, n);
	m = 2 + n;
	n = ng_dns(q, 2, "b.vn", false);
	ng_put16(framed + m, (uint16_t)n);
	memcpy(framed + m + 2, q, n);
	m += 2 + n;
	tcp(x, &t, NG_ACK | NG_PSH, 1001, 5001, framed, m - 5);
	assert_int_equal(x->ntx, 3);
	assert_string_equal(x->tx[2].s, "a.vn");
	tcp(x, &t, NG_ACK | NG_PSH, 1001 + (uint32_t)m - 5, 5001,
	    framed + m - 5, 5);
	assert_int_equal(x->ntx, 4);
	assert_string_equal(x->tx[3].s, "b.vn");
	assert_int_equal(x->tx[3].tx_id, 1);
	netpipe_stats(x->np, &st);
	assert_int_equal(st.txns[APP_DNS], 4);
	/* UDP that is not DNS, on port 53: given up after a few tries */
	ng_tuple4(&t, "10.0.0.5", 40002, "10.0.0.1", 53);
	for (n = 0; n < 5; n++) {
		ng_udp(&x->g, &t, "not dns at all, no", 18);
		feed(x);
	}
	assert_int_equal(x->last.app, APP_FAILED);
	assert_int_equal(x->ntx, 4);
}

static void
test_smb_ssh(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t, r;
	static const uint8_t	 smb2[] = { 0, 0, 0, 64, 0xfe, 'S', 'M', 'B',
				    64, 0 };
	static const char	 banner[] = "SSH-2.0-OpenSSH_9.2\r\n";

	ng_tuple4(&t, "10.0.0.5", 40010, "10.0.0.9", 9999);
	handshake(x, &t);
	tcp(x, &t, NG_ACK | NG_PSH, 1001, 5001, smb2, sizeof(smb2));
	assert_int_equal(x->last.app, APP_SMB);
	/* SSH: the server speaks first, on a port of its own */
	ng_tuple4(&t, "10.0.0.5", 40011, "10.0.0.9", 2222);
	r = t;
	ng_reverse(&r);
	handshake(x, &t);
	tcp(x, &r, NG_ACK | NG_PSH, 5001, 1001, banner, strlen(banner));
	assert_int_equal(x->last.app, APP_SSH);
	assert_int_equal(x->last.dir, DIR_TO_CLIENT);
	/* something else entirely: failed after 64 bytes */
	ng_tuple4(&t, "10.0.0.5", 40012, "10.0.0.9", 7777);
	handshake(x, &t);
	tcp(x, &t, NG_ACK | NG_PSH, 1001, 5001, banner + 4, 10);
	assert_int_equal(x->last.app, APP_NONE);
	tcp(x, &t, NG_ACK | NG_PSH, 1011, 5001, x->g.frame, 60);
	assert_int_equal(x->last.app, APP_FAILED);
	assert_int_equal(x->ntx, 0);
}

/* A DNS query in IPv4 fragments, out of order; then one overlapping. */
static void
test_fragments(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t;
	struct netpipe_stats	 st;
	uint8_t			 q[300], dg[400];
	size_t			 n;

	ng_tuple4(&t, "10.0.0.5", 40020, "10.0.0.1", 53);
	n = ng_dns(q, 7, "fragmented.example.vn", false);
	n = ng_udp_dgram(dg, &t, q, n);
	ng_ip4_frag(&x->g, &t, 17, 77, dg, 16, n - 16, false);
	feed(x);
	assert_int_equal(x->pkts, 0);
	ng_ip4_frag(&x->g, &t, 17, 77, dg, 0, 16, true);
	feed(x);
	assert_int_equal(x->pkts, 1);
	assert_true(x->last.reassembled);
	assert_int_equal(x->last.dport, 53);
	assert_int_equal(x->ntx, 1);
	assert_string_equal(x->tx[0].s, "fragmented.example.vn");
	/* overlapping: flagged, nothing parsed */
	ng_ip4_frag(&x->g, &t, 17, 78, dg, 0, 16, true);
	feed(x);
	ng_ip4_frag(&x->g, &t, 17, 78, dg, 8, n - 8, false);
	feed(x);
	ng_ip4_frag(&x->g, &t, 17, 78, dg, 16, n - 16, false);
	feed(x);
	assert_int_equal(x->pkts, 1);
	assert_int_equal(x->ntx, 1);
	assert_string_equal(x->anomalies, "frag_overlap ");
	/* IPv6: the last fragment first */
	ng_tuple6(&t, "fd00::5", 40021, "fd00::1", 53);
	n = ng_dns(q, 8, "v6.example.vn", false);
	n = ng_udp_dgram(dg, &t, q, n);
	ng_ip6_frag(&x->g, &t, 17, 0xabcdef, dg, 24, n - 24, false);
	feed(x);
	ng_ip6_frag(&x->g, &t, 17, 0xabcdef, dg, 0, 24, true);
	feed(x);
	assert_int_equal(x->ntx, 2);
	assert_string_equal(x->tx[1].s, "v6.example.vn");
	netpipe_stats(x->np, &st);
	assert_int_equal(st.frags_reassembled, 2);
	assert_int_equal(st.frag_overlaps, 1);
	assert_int_equal(st.frags_dropped, 1);
}

static void
test_bad_frames(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t;
	struct netpipe_stats	 st;

	ng_tuple4(&t, "10.0.0.5", 40030, "10.0.0.1", 80);
	ng_tcp(&x->g, &t, NG_ACK, 1, 1, "abc", 3);
	x->g.frame[14 + 20 + 12] = 0xf0;	/* data offset past the end */
	feed(x);
	ng_tcp(&x->g, &t, NG_ACK, 1, 1, "abc", 3);
	netpipe_feed(x->np, LT_EN10MB, x->now, x->g.frame, 20,
	    (uint32_t)x->g.len);	/* snaplen 20 */
	netpipe_feed(x->np, 4242, x->now, x->g.frame, 20, 20);
	netpipe_stats(x->np, &st);
	assert_int_equal(st.frames, 3);
	assert_int_equal(st.undecodable, 2);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.decoded, 0);
	assert_int_equal(x->pkts, 0);
	assert_string_equal(x->anomalies, "tcp_bad_off ");
	/* an ICMP packet: delivered without a flow */
	ng_ping(&x->g, &t, "ping", 4);
	feed(x);
	assert_int_equal(x->pkts, 1);
	assert_int_equal(x->last.flow_id, 0);
	assert_null(x->last.fv);
}

static void
test_timeouts(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t;
	struct netpipe_stats	 st;
	uint8_t			 big[1400];

	memset(big, 'z', sizeof(big));
	ng_tuple4(&t, "10.0.0.5", 40040, "10.0.0.1", 80);
	handshake(x, &t);
	tcp(x, &t, NG_ACK | NG_PSH, 1001, 5001, big, sizeof(big));
	ng_tuple4(&t, "10.0.0.5", 40041, "10.0.0.1", 5353);
	ng_udp(&x->g, &t, big, 100);
	feed(x);
	netpipe_stats(x->np, &st);
	assert_int_equal(st.flows_active, 2);
	assert_true(st.stream_bytes >= sizeof(big));
	netpipe_tick(x->np, x->now + 120 * SEC);
	netpipe_stats(x->np, &st);
	assert_int_equal(st.flows_active, 1);	/* TCP established: 600 s */
	netpipe_tick(x->np, x->now + 600 * SEC);
	netpipe_stats(x->np, &st);
	assert_int_equal(st.flows_active, 0);
	assert_int_equal(st.flows_timed_out, 2);
	assert_int_equal(st.stream_bytes, 0);
}

/* A request never finished (a body declared and not sent, headers
 * without their blank line) is parsed when its flow ends. */
static void
test_unfinished_requests(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t;
	static const char	 post[] = "POST /up HTTP/1.1\r\nHost: x.vn\r\n"
				    "Content-Length: 100\r\n\r\nabc";
	static const char	 head[] = "GET /half HTTP/1.0\r\nHost: x.vn\r\n";

	ng_tuple4(&t, "10.0.0.5", 40050, "10.0.0.1", 80);
	handshake(x, &t);
	tcp(x, &t, NG_ACK | NG_PSH, 1001, 5001, post, strlen(post));
	ng_tuple4(&t, "10.0.0.5", 40051, "10.0.0.1", 80);
	handshake(x, &t);
	tcp(x, &t, NG_ACK | NG_PSH, 1001, 5001, head, strlen(head));
	assert_int_equal(x->ntx, 0);
	netpipe_tick(x->np, x->now + 3600 * SEC);
	assert_int_equal(x->ntx, 2);
	assert_int_equal(x->tx[0].app, APP_HTTP);
	assert_int_equal(x->tx[0].dir, DIR_TO_SERVER);
	assert_string_equal(x->tx[0].s, "/up");
	assert_string_equal(x->tx[1].s, "/half");
	assert_int_not_equal(x->tx[0].flow_id, x->tx[1].flow_id);
	assert_int_equal(x->tx[0].sport, 40050);	/* client to server */
	assert_int_equal(x->tx[0].dport, 80);
}

static int
setup_small(void **state)
{
	struct netpipe_conf	c;

	netpipe_conf_defaults(&c);
	c.flow_max = 1000;
	return setup_conf(state, &c);
}

static void
test_flood(void **state)
{
	struct fx		*x = *state;
	struct ng_tuple		 t;
	struct netpipe_stats	 st;
	uint32_t		 i;

	ng_tuple4(&t, "10.0.0.0", 0, "10.9.9.9", 80);
	for (i = 0; i < 100000; i++) {
		t.src[2] = (uint8_t)(i >> 16);
		t.src[3] = (uint8_t)(i >> 8);
		t.sport = (uint16_t)(1024 + (i & 0xff));
		ng_tcp(&x->g, &t, NG_SYN, i, 0, NULL, 0);
		feed(x);
	}
	netpipe_stats(x->np, &st);
	assert_int_equal(st.flows, 100000);
	assert_int_equal(st.flows_active, 1000);
	assert_int_equal(st.flows_evicted, 99000);
	assert_int_equal(x->pkts, 100000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tls_split, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_http_split_and_pipelined,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_wraparound, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dribbled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unfinished_requests,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_smb_ssh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup_small,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
