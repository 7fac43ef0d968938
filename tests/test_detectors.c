/*
 * test_detectors.c: the traffic detectors (agent/net/detectors.c) on
 * synthetic packet sequences (struct pkt built directly): each fires on
 * its sample exactly once per window with its evidence, and stays quiet
 * on benign traffic of the same shape (a browser's burst of connections,
 * a resolver's look-ups, the gateway's own ARP); spoofed sources cost
 * evictions, not memory.
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

#include "detectors.h"
#include "err.h"
#include "rng.h"

#define S		1000000LL	/* a second, in us */
#define MAX_ALERTS	64

struct got {
	uint32_t	 sid;
	json_t		*ev;
	struct naddr	 src, dst;
	uint16_t	 dport;
};

struct fx {
	struct det	*d;
	struct det_conf	 c;
	struct got	 a[MAX_ALERTS];
	size_t		 n;
};

static void
on_alert(void *ctx, const struct pkt *p, const struct net_alert *a)
{
	struct fx	*fx = ctx;
	json_error_t	 err;

	assert_int_equal(a->gid, DET_GID);
	assert_non_null(a->msg);
	assert_non_null(a->evidence);
	if (fx->n == MAX_ALERTS)
		fail_msg("too many alerts");
	fx->a[fx->n].sid = a->sid;
	fx->a[fx->n].ev = json_loads(a->evidence, 0, &err);
	assert_non_null(fx->a[fx->n].ev);
	fx->a[fx->n].src = p->src;
	fx->a[fx->n].dst = p->dst;
	fx->a[fx->n].dport = p->dport;
	fx->n++;
}

static void
reset(struct fx *fx)
{
	size_t	i;

	for (i = 0; i < fx->n; i++)
		json_decref(fx->a[i].ev);
	fx->n = 0;
}

static void
start(struct fx *fx)
{
	det_free(fx->d);
	reset(fx);
	assert_int_equal(det_new(&fx->d, &fx->c, on_alert, fx), 0);
}

static int
setup(void **state)
{
	struct fx	*fx;

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	det_conf_defaults(&fx->c);
	start(fx);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	reset(fx);
	det_free(fx->d);
	free(fx);
	return 0;
}

static struct naddr
ip(const char *s)
{
	struct naddr	a = { 0 };

	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = 6;
	else
		fail_msg("bad test address %s", s);
	return a;
}

static struct naddr
ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (struct naddr){ 4, { a, b, c, d } };
}

static struct pkt
tcp(int64_t ts, struct naddr src, uint16_t sport, struct naddr dst,
    uint16_t dport, uint8_t flags, uint64_t flow)
{
	struct pkt	p;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.ipver = src.family;
	p.src = src;
	p.dst = dst;
	p.proto = IPPROTO_TCP;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.flow_id = flow;
	p.dir = (flags & 0x12) == 0x12 || (flags & 0x04) ? DIR_TO_CLIENT :
	    DIR_TO_SERVER;
	return p;
}

static struct pkt
udp(int64_t ts, struct naddr src, uint16_t sport, struct naddr dst,
    uint16_t dport, uint8_t dir, uint64_t flow)
{
	struct pkt	p = tcp(ts, src, sport, dst, dport, 0, flow);

	p.proto = IPPROTO_UDP;
	p.dir = dir;
	p.flow_state = dir == DIR_TO_SERVER ? FLOW_NEW : FLOW_ESTABLISHED;
	return p;
}

static void
feed(struct fx *fx, struct pkt p)
{
	det_packet(fx->d, &p);
}

static json_int_t
ev_int(const struct got *g, const char *key)
{
	json_t	*v = json_object_get(g->ev, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *
ev_str(const struct got *g, const char *key)
{
	json_t	*v = json_object_get(g->ev, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* A SYN from the scanner to host:port, and the host's RST. */
static void
refused(struct fx *fx, int64_t ts, struct naddr scanner, struct naddr host,
    uint16_t port, uint64_t flow)
{
	feed(fx, tcp(ts, scanner, 40000, host, port, 0x02, flow));
	feed(fx, tcp(ts + 200, host, port, scanner, 40000, 0x14, flow));
}

static void
test_scan_ports(void **state)
{
	struct fx	*fx = *state;
	struct naddr	 sc = ip("10.0.0.66"), host = ip("192.168.1.10");
	uint16_t	 port;

	for (port = 1; port <= 14; port++)
		refused(fx, port * 1000, sc, host, port, port);
	assert_int_equal(fx->n, 0);
	refused(fx, 15000, sc, host, 15, 15);
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->a[0].sid, DET_SID_SCAN_PORTS);
	assert_int_equal(ev_int(&fx->a[0], "count"), 15);
	assert_int_equal(ev_int(&fx->a[0], "window"), 300);
	assert_string_equal(ev_str(&fx->a[0], "host"), "192.168.1.10");
	assert_string_equal(ev_str(&fx->a[0], "proto"), "tcp");
	assert_int_equal(json_array_size(json_object_get(fx->a[0].ev,
	    "ports")), 8);
	assert_memory_equal(&fx->a[0].src, &sc, sizeof(sc));
	assert_memory_equal(&fx->a[0].dst, &host, sizeof(host));
	/* the rest of the scan in the window: no more alerts */
	for (port = 16; port <= 1000; port++)
		refused(fx, 15000 + port * 100, sc, host, port, port);
	assert_int_equal(fx->n, 1);
	/* a second host is another target */
	for (port = 1; port <= 15; port++)
		refused(fx, 200000 + port, sc, ip("192.168.1.11"), port, port);
	assert_int_equal(fx->n, 2);
	assert_string_equal(ev_str(&fx->a[1], "host"), "192.168.1.11");
	/* the next window: the same target again */
	for (port = 1; port <= 15; port++)
		refused(fx, 301 * S + port, sc, host, port, port);
	assert_int_equal(fx->n, 3);
	assert_int_equal(fx->a[2].sid, DET_SID_SCAN_PORTS);
}

static void
test_scan_silent(void **state)
{
	struct fx	*fx = *state;
	struct naddr	 sc = ip("2001:db8::66"), host = ip("2001:db8::10");
	uint16_t	 port;

	/* a firewall that drops: nothing comes back */
	for (port = 1; port <= 20; port++)
		feed(fx, tcp(port * 1000, sc, 50000, host, port, 0x02, port));
	det_tick(fx->d, 2 * S);
	assert_int_equal(fx->n, 0);
	det_tick(fx->d, 4 * S);
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->a[0].sid, DET_SID_SCAN_PORTS);
	assert_int_equal(ev_int(&fx->a[0], "count"), 15);
	assert_string_equal(ev_str(&fx->a[0], "host"), "2001:db8::10");
	det_tick(fx->d, 5 * S);
	assert_int_equal(fx->n, 1);
}

static void
test_scan_hosts(void **state)
{
	struct fx	*fx = *state;
	struct naddr	 sc = ip("10.0.0.66");
	unsigned	 i;

	for (i = 1; i <= 40; i++) {
		if (i % 2)
			refused(fx, i * 1000, sc, ip4(192, 168, 1, (uint8_t)i),
			    445, i);
		else
			feed(fx, tcp(i * 1000, sc, 40000, ip4(192, 168, 1,
			    (uint8_t)i), 445, 0x02, i));
	}
	det_tick(fx->d, 10 * S);
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->a[0].sid, DET_SID_SCAN_HOSTS);
	assert_int_equal(ev_int(&fx->a[0], "port"), 445);
	assert_int_equal(ev_int(&fx->a[0], "count"), 25);
	assert_int_equal(fx->a[0].dport, 445);
}

static void
test_scan_benign(void **state)
{
	struct fx	*fx = *state;
	struct naddr	 me = ip("192.168.1.20"), srv;
	struct pkt	 bc;
	unsigned	 i;

	/* a browser's burst: 60 connections to 60 hosts on 443 and 80,
	 * every SYN out before any answer, all answered within 200 ms */
	for (i = 0; i < 60; i++)
		feed(fx, tcp(i * 100, me, (uint16_t)(50000 + i),
		    ip4(203, 0, 113, (uint8_t)i), i % 3 ? 443 : 80, 0x02, i + 1));
	for (i = 0; i < 60; i++)
		feed(fx, tcp(150000 + i * 100, ip4(203, 0, 113, (uint8_t)i),
		    i % 3 ? 443 : 80, me, (uint16_t)(50000 + i), 0x12, i + 1));
	/* one server's 20 services, all open */
	srv = ip("192.168.1.5");
	for (i = 0; i < 20; i++) {
		feed(fx, tcp(S + i, me, 41000, srv, (uint16_t)(8000 + i), 0x02,
		    100 + i));
		feed(fx, tcp(S + i + 50, srv, (uint16_t)(8000 + i), me, 41000,
		    0x12, 100 + i));
	}
	/* the resolver answers; multicast and broadcast expect nothing */
	for (i = 0; i < 40; i++) {
		feed(fx, udp(2 * S + i, me, (uint16_t)(30000 + i),
		    ip("192.168.1.1"), 53, DIR_TO_SERVER, 200 + i));
		feed(fx, udp(2 * S + i + 10, ip("192.168.1.1"), 53, me,
		    (uint16_t)(30000 + i), DIR_TO_CLIENT, 200 + i));
		feed(fx, udp(2 * S + i, me, 1900, ip4(239, 255, 255, 250),
		    (uint16_t)(1900 + i), DIR_TO_SERVER, 300 + i));
		bc = udp(2 * S + i, me, 137, ip4(192, 168, 1, 255),
		    (uint16_t)(137 + i), DIR_TO_SERVER, 400 + i);
		bc.has_eth = true;
		memset(bc.eth_dst, 0xff, 6);
		feed(fx, bc);
	}
	det_tick(fx->d, 10 * S);
	det_tick(fx->d, 20 * S);
	assert_int_equal(fx->n, 0);
}

static void
test_scan_udp(void **state)
{
	struct fx	*fx = *state;
	struct naddr	 sc = ip("10.0.0.66"), host = ip("10.0.0.1");
	uint16_t	 port;

	for (port = 100; port < 130; port++)
		feed(fx, udp(port * 10, sc, 60000, host, port, DIR_TO_SERVER,
		    port));
	/* one answered: not a failure */
	feed(fx, udp(2000, host, 100, sc, 60000, DIR_TO_CLIENT, 100));
	det_tick(fx->d, 5 * S);
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->a[0].sid, DET_SID_SCAN_PORTS);
	assert_string_equal(ev_str(&fx->a[0], "proto"), "udp");
	/* 29 failed at once in the tick: counted as they fail, so the
	 * alert comes at the threshold */
	assert_int_equal(ev_int(&fx->a[0], "count"), 15);
}

static void
test_brute(void **state)
{
	struct fx	*fx = *state;
	struct naddr	 a = ip("198.51.100.7"), srv = ip("192.168.1.5");
	unsigned	 i, k;

	/* nine connections, each SYN sent three times: below 10 */
	for (i = 0; i < 9; i++)
		for (k = 0; k < 3; k++)
			feed(fx, tcp(i * S + k * 1000, a, (uint16_t)(40000 + i),
			    srv, 22, 0x02, i + 1));
	assert_int_equal(fx->n, 0);
	feed(fx, tcp(9 * S, a, 40009, srv, 22, 0x02, 10));
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->a[0].sid, DET_SID_BRUTE_SSH);
	assert_string_equal(ev_str(&fx->a[0], "service"), "ssh");
	assert_int_equal(ev_int(&fx->a[0], "count"), 10);
	assert_int_equal(ev_int(&fx->a[0], "window"), 60);
	assert_memory_equal(&fx->a[0].src, &a, sizeof(a));
	/* more in the window: quiet */
	for (i = 10; i < 50; i++)
		feed(fx, tcp(9 * S + i, a, (uint16_t)(40000 + i), srv, 22, 0x02,
		    i + 1));
	assert_int_equal(fx->n, 1);
	/* the next window */
	for (i = 0; i < 10; i++)
		feed(fx, tcp(61 * S + i, a, (uint16_t)(41000 + i), srv, 22,
		    0x02, 100 + i));
	assert_int_equal(fx->n, 2);
	/* RDP and FTP from another source; SMB below its 20 */
	for (i = 0; i < 19; i++) {
		feed(fx, tcp(100 * S + i, ip("198.51.100.8"), (uint16_t)(1000 +
		    i), srv, 3389, 0x02, 200 + i));
		feed(fx, tcp(100 * S + i, ip("198.51.100.8"), (uint16_t)(2000 +
		    i), srv, 21, 0x02, 300 + i));
		feed(fx, tcp(100 * S + i, ip("198.51.100.8"), (uint16_t)(3000 +
		    i), srv, 445, 0x02, 400 + i));
	}
	assert_int_equal(fx->n, 4);
	assert_int_equal(fx->a[2].sid, DET_SID_BRUTE_RDP);
	assert_int_equal(fx->a[3].sid, DET_SID_BRUTE_FTP);
	feed(fx, tcp(100 * S + 50, ip("198.51.100.8"), 3100, srv, 445, 0x02,
	    500));
	assert_int_equal(fx->n, 5);
	assert_int_equal(fx->a[4].sid, DET_SID_BRUTE_SMB);
	/* without a flow table: the port and ISN tell connections apart */
	reset(fx);
	for (i = 0; i < 10; i++)
		feed(fx, tcp(200 * S + i, a, (uint16_t)(42000 + i), ip("10.9.9.9"),
		    22, 0x02, 0));
	assert_int_equal(fx->n, 1);
}

static void
test_brute_benign(void **state)
{
	struct fx	*fx = *state;
	struct naddr	 me = ip("192.168.1.20"), web = ip("203.0.113.80");
	unsigned	 i;

	/* a browser: 30 connections to one web server within seconds */
	for (i = 0; i < 30; i++) {
		feed(fx, tcp(i * 1000, me, (uint16_t)(50000 + i), web, 443, 0x02,
		    i + 1));
		feed(fx, tcp(i * 1000 + 20, web, 443, me, (uint16_t)(50000 + i),
		    0x12, i + 1));
		feed(fx, tcp(i * 1000 + 40, me, (uint16_t)(50000 + i), web, 443,
		    0x10, i + 1));
	}
	/* an office PC mapping shares: a few SMB connections; an admin's
	 * SSH sessions spread over an hour */
	for (i = 0; i < 6; i++)
		feed(fx, tcp(S + i, me, (uint16_t)(51000 + i), ip("192.168.1.5"),
		    445, 0x02, 100 + i));
	for (i = 0; i < 30; i++)
		feed(fx, tcp(i * 120 * S, me, (uint16_t)(52000 + i),
		    ip("192.168.1.5"), 22, 0x02, 200 + i));
	assert_int_equal(fx->n, 0);
}

static struct txn
dnsq(const char *name, uint16_t qtype)
{
	struct txn	t;

	memset(&t, 0, sizeof(t));
	t.app = APP_DNS;
	t.dns.rrname = name;
	t.dns.qtype = qtype;
	return t;
}

static void
query(struct fx *fx, int64_t ts, struct naddr src, const char *name,
    uint16_t qtype)
{
	struct pkt	p = udp(ts, src, 33333, ip("192.168.1.1"), 53,
			    DIR_TO_SERVER, 7);
	struct txn	t = dnsq(name, qtype);

	det_txn(fx->d, &p, &t);
}

/* A random base32 label sequence of len bytes, dots every 60. */
static void
b32(char *out, size_t len)
{
	static const char	al[] = "abcdefghijklmnopqrstuvwxyz234567";
	size_t			i;

	for (i = 0; i < len; i++)
		out[i] = i % 61 == 60 ? '.' : al[rnd() % 32];
	out[len] = '\0';
}

static void
test_dns_tunnel(void **state)
{
	struct fx	*fx = *state;
	struct naddr	 pc = ip("192.168.1.30");
	char		 sub[128], name[256];
	unsigned	 i;

	for (i = 0; i < 19; i++) {
		b32(sub, 100);
		snprintf(name, sizeof(name), "%s.t.Tunnel.example.", sub);
		query(fx, i * 1000, pc, name, 1);
	}
	/* the same name again (a retry, a cache miss) is not counted */
	query(fx, 19000, pc, name, 1);
	assert_int_equal(fx->n, 0);
	b32(sub, 100);
	snprintf(name, sizeof(name), "%s.t.Tunnel.example.", sub);
	query(fx, 19000, pc, name, 1);
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->a[0].sid, DET_SID_DNS_TUNNEL);
	assert_string_equal(ev_str(&fx->a[0], "parent"), "tunnel.example");
	assert_int_equal(ev_int(&fx->a[0], "count"), 20);
	assert_int_equal(ev_int(&fx->a[0], "bytes"), 20 * 102);
	assert_int_equal(json_array_size(json_object_get(fx->a[0].ev,
	    "examples")), 3);
	for (i = 0; i < 100; i++) {
		b32(sub, 100);
		snprintf(name, sizeof(name), "%s.t.tunnel.example", sub);
		query(fx, 20000 + i, pc, name, 1);
	}
	assert_int_equal(fx->n, 1);
	/* under a ccTLD's com: the parent has three labels */
	reset(fx);
	for (i = 0; i < 20; i++) {
		b32(sub, 50);
		snprintf(name, sizeof(name), "%s.evil.com.vn", sub);
		query(fx, 61 * S + i, pc, name, 1);
	}
	assert_int_equal(fx->n, 1);
	assert_string_equal(ev_str(&fx->a[0], "parent"), "evil.com.vn");
	/* TXT volume */
	reset(fx);
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "c%u.txt.example", i);
		query(fx, 62 * S + i, pc, name, 16);
	}
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->a[0].sid, DET_SID_DNS_TXT);
	assert_int_equal(ev_int(&fx->a[0], "count"), 50);
	assert_string_equal(ev_str(&fx->a[0], "qtype"), "TXT");
}

static void
test_dns_benign(void **state)
{
	struct fx	*fx = *state;
	static const char	*const names[] = {
		"www.google.com", "mail.google.com", "dichvucong.gov.vn",
		"e3891.dscx.akamaiedge.net",
		"safebrowsing.googleapis.com",
		"9.1.168.192.in-addr.arpa",
		"_ldap._tcp.dc._msdcs.office.local",
		"v10.events.data.microsoft.com",
		"an-extremely-long-but-readable-host-name-for-a-cdn.cdn.example",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x.example",
		"r3---sn-8qj-nbo6.googlevideo.com",
	};
	const char	*allow[1] = { "sophosxl.net" };
	struct naddr	 pc = ip("192.168.1.30");
	char		 sub[128], name[256];
	unsigned	 i;

	for (i = 0; i < 2000; i++)
		query(fx, i * 10000, pc, names[i % 11], i % 5 ? 1 : 28);
	/* a mail server's SPF and DKIM look-ups, across many domains */
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "sel%u._domainkey.d%u.example",
		    i % 3, i);
		query(fx, 30 * S + i, pc, name, 16);
	}
	assert_int_equal(fx->n, 0);
	/* a long-hex look-up service the operator allowed */
	fx->c.dns_allow = allow;
	fx->c.dns_nallow = 1;
	start(fx);
	for (i = 0; i < 50; i++) {
		b32(sub, 64);
		snprintf(name, sizeof(name), "%s.sophosxl.net", sub);
		query(fx, 40 * S + i, pc, name, 1);
	}
	assert_int_equal(fx->n, 0);
}

static void
arp(struct fx *fx, int64_t ts, const uint8_t spa[4], const uint8_t sha[6],
    uint16_t op)
{
	struct pkt	p;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.is_arp = true;
	p.has_eth = true;
	memcpy(p.eth_src, sha, 6);
	p.arp.op = op;
	memcpy(p.arp.spa, spa, 4);
	memcpy(p.arp.sha, sha, 6);
	det_packet(fx->d, &p);
}

static void
test_arp(void **state)
{
	struct fx	*fx = *state;
	const uint8_t	 gw[4] = { 192, 168, 1, 1 }, other[4] = { 192, 168, 1,
			     9 };
	const uint8_t	 gmac[6] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 };
	const uint8_t	 evil[6] = { 0x02, 0xde, 0xad, 0xbe, 0xef, 0x01 };
	unsigned	 i;

	/* no gateway set: nothing */
	arp(fx, S, gw, evil, 2);
	assert_int_equal(fx->n, 0);
	det_gateway(fx->d, gw, gmac);
	for (i = 0; i < 10; i++) {
		arp(fx, 2 * S + i, gw, gmac, 2);
		arp(fx, 2 * S + i, other, evil, 2);	/* its own address */
	}
	assert_int_equal(fx->n, 0);
	for (i = 0; i < 20; i++)
		arp(fx, 3 * S + i, gw, evil, 2);
	assert_int_equal(fx->n, 1);
	assert_int_equal(fx->a[0].sid, DET_SID_ARP_GATEWAY);
	assert_string_equal(ev_str(&fx->a[0], "gateway"), "192.168.1.1");
	assert_string_equal(ev_str(&fx->a[0], "gateway_mac"),
	    "00:11:22:33:44:55");
	assert_string_equal(ev_str(&fx->a[0], "mac"), "02:de:ad:be:ef:01");
	assert_string_equal(ev_str(&fx->a[0], "op"), "reply");
	arp(fx, 3 * S + 299 * S, gw, evil, 1);
	assert_int_equal(fx->n, 1);
	arp(fx, 3 * S + 300 * S, gw, evil, 1);
	assert_int_equal(fx->n, 2);
	/* learned: the first MAC to announce it */
	start(fx);
	det_gateway(fx->d, gw, NULL);
	arp(fx, S, gw, gmac, 1);
	arp(fx, 2 * S, gw, gmac, 2);
	assert_int_equal(fx->n, 0);
	arp(fx, 3 * S, gw, evil, 2);
	assert_int_equal(fx->n, 1);
}

static void
test_bounded(void **state)
{
	struct fx	*fx = *state;
	struct det_stats st;
	struct naddr	 sc = ip("10.0.0.66"), host = ip("192.168.1.10");
	uint32_t	 i;
	uint16_t	 port;

	fx->c.scan_sources = 16;
	fx->c.table_max = 16;
	start(fx);
	/* a spoofed source between each of the scanner's probes: the
	 * scanner, seen all the time, keeps its tracker */
	for (port = 1; port <= 15; port++) {
		for (i = 0; i < 4; i++)
			feed(fx, tcp(port * 1000 + i, ip4(100, (uint8_t)port,
			    (uint8_t)i, 1), 1, host, 80, 0x02, 0));
		refused(fx, port * 1000 + 10, sc, host, port, port);
	}
	assert_int_equal(fx->n, 1);
	/* 100,000 spoofed sources to SSH and to the scan table */
	for (i = 0; i < 100000; i++)
		feed(fx, tcp(S + i, ip4(100, (uint8_t)(i >> 16), (uint8_t)(i >>
		    8), (uint8_t)i), 1, host, 22, 0x02, 0));
	det_stats(fx->d, &st);
	assert_true(st.evicted >= 2 * (100000 - 32));
	assert_int_equal(st.alerts[DET_SID_SCAN_PORTS], 1);
	assert_int_equal(fx->n, 1);
	/* bad configurations */
	det_free(fx->d);
	fx->d = NULL;
	fx->c.table_max = 0;
	assert_int_equal(det_new(&fx->d, &fx->c, on_alert, fx), ERR_CONFIG);
	assert_null(fx->d);
	det_conf_defaults(&fx->c);
	fx->c.brute_conns[DET_SMB] = 0;
	assert_int_equal(det_new(&fx->d, &fx->c, on_alert, fx), ERR_CONFIG);
	det_conf_defaults(&fx->c);
	assert_int_equal(det_new(&fx->d, &fx->c, NULL, fx), ERR_CONFIG);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(test_scan_ports, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scan_silent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scan_hosts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scan_benign, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scan_udp, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_brute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brute_benign, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dns_tunnel, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dns_benign, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_arp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
