/*
 * netplay.h: whole conversations as frames, for the tests of the shipped
 * traffic rules and detectors (test_defrules.c) and the pcap files of
 * the command-line test (tools/vigil-netgen.c): a TCP connection with a
 * request and an answer, an HTTP request built from its fields, a DNS
 * look-up and its answer, scan probes, ARP. Built on netgen.h; each
 * frame goes to the caller's sink with its capture time.
 *
 *	struct netplay	*p = netplay_new(LT_EN10MB, sink, ctx);
 *	netplay_http(p, &(struct np_sample){ .shape = NP_HTTP,
 *	    .cli = "192.168.1.30", .srv = "203.0.113.66", .port = 80,
 *	    .http = { .uri = "/a.exe", .host = "203.0.113.66" } });
 *	netplay_free(p);
 *
 * Time starts at NP_T0 and moves 1 ms per frame (netplay_wait for
 * more, netplay_at to start a conversation at a given second); client
 * ports count up from 49152, one per connection, so every conversation
 * is a flow of its own; a DNS query's id is its client port.
 * Header-only; aborts on misuse (a request over NP_TEXT_MAX): these are
 * test tools.
 */
#ifndef VIGIL_NETPLAY_H
#define VIGIL_NETPLAY_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "netgen.h"

/* 2025-12-03 12:00:00 UTC */
#define NP_T0		(1764763200LL * 1000000)
#define NP_TEXT_MAX	8192
#define NP_BROWSER	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) " \
			"AppleWebKit/537.36 (KHTML, like Gecko) " \
			"Chrome/131.0.0.0 Safari/537.36"

typedef void np_sink_fn(void *ctx, int linktype, int64_t ts_us,
    const uint8_t *frame, size_t len);

struct netplay {
	struct ng	 g;
	int64_t		 now;
	uint16_t	 sport;
	np_sink_fn	*sink;
	void		*ctx;
	char		 text[NP_TEXT_MAX];
};

/* Bytes that may hold NULs: B("\x00\x00SMB") */
struct np_bytes {
	const char	*p;
	size_t		 n;
};
#define NP_B(s)		{ (s), sizeof(s) - 1 }

/* An HTTP/1.1 request; NULL fields take the defaults (GET, the server's
 * address as Host, a browser's User-Agent, no body). hdrs are extra
 * header lines, each ending in \r\n. With resp, the server answers 200
 * with that text as the body. */
struct np_http {
	const char	*method, *uri, *host, *ua, *hdrs, *body, *resp;
};

enum np_shape {
	NP_TCP = 1,	/* up from the client, then down from the server */
	NP_HTTP,
	NP_DNS,		/* a query for name and its answer, over UDP */
};

struct np_sample {
	enum np_shape	 shape;
	const char	*cli, *srv;	/* IPv4 */
	uint16_t	 port;		/* the server's */
	struct np_bytes	 up, down;	/* NP_TCP */
	struct np_http	 http;		/* NP_HTTP */
	const char	*name;		/* NP_DNS */
};

static inline struct netplay *
netplay_new(int linktype, np_sink_fn *sink, void *ctx)
{
	struct netplay	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	ng_init(&p->g, linktype);
	p->now = NP_T0;
	p->sport = 49152;
	p->sink = sink;
	p->ctx = ctx;
	return p;
}

static inline void
netplay_free(struct netplay *p)
{
	free(p);
}

static inline void
netplay_wait(struct netplay *p, int64_t us)
{
	p->now += us;
}

/* The next frame goes out 1 ms after NP_T0 + s seconds. */
static inline void
netplay_at(struct netplay *p, int64_t s)
{
	p->now = NP_T0 + s * 1000000;
}

/* The frame in p->g goes out, 1 ms after the last. */
static inline void
netplay_emit(struct netplay *p)
{
	p->now += 1000;
	p->sink(p->ctx, p->g.linktype, p->now, p->g.frame, p->g.len);
}

static inline void
netplay_seg(struct netplay *p, const struct ng_tuple *t, uint8_t flags,
    uint32_t seq, uint32_t ack, const void *d, size_t n)
{
	ng_tcp(&p->g, t, flags, seq, ack, d, n);
	netplay_emit(p);
}

/* A new client port; t from cli to srv:port. */
static inline void
netplay_tuple(struct netplay *p, struct ng_tuple *t, const char *cli,
    const char *srv, uint16_t port)
{
	if (++p->sport == 0)
		p->sport = 49152;
	ng_tuple4(t, cli, p->sport, srv, port);
}

/* A SYN from cli to srv:port; answered with RST/ACK when refused. */
static inline void
netplay_probe(struct netplay *p, const char *cli, const char *srv,
    uint16_t port, bool refused)
{
	struct ng_tuple	t;

	netplay_tuple(p, &t, cli, srv, port);
	netplay_seg(p, &t, NG_SYN, 1000, 0, NULL, 0);
	if (refused) {
		ng_reverse(&t);
		netplay_seg(p, &t, NG_RST | NG_ACK, 0, 1001, NULL, 0);
	}
}

/* A TCP connection: handshake, up (if any), down (if any), both sides
 * close. */
static inline void
netplay_tcp(struct netplay *p, const char *cli, const char *srv,
    uint16_t port, const void *up, size_t upn, const void *down,
    size_t downn)
{
	struct ng_tuple	c, s;
	uint32_t	cs = 1001 + (uint32_t)upn, ss = 5001 + (uint32_t)downn;

	netplay_tuple(p, &c, cli, srv, port);
	s = c;
	ng_reverse(&s);
	netplay_seg(p, &c, NG_SYN, 1000, 0, NULL, 0);
	netplay_seg(p, &s, NG_SYN | NG_ACK, 5000, 1001, NULL, 0);
	netplay_seg(p, &c, NG_ACK, 1001, 5001, NULL, 0);
	if (upn > 0)
		netplay_seg(p, &c, NG_ACK | NG_PSH, 1001, 5001, up, upn);
	if (downn > 0)
		netplay_seg(p, &s, NG_ACK | NG_PSH, 5001, cs, down, downn);
	netplay_seg(p, &c, NG_ACK | NG_FIN, cs, ss, NULL, 0);
	netplay_seg(p, &s, NG_ACK | NG_FIN, ss, cs + 1, NULL, 0);
	netplay_seg(p, &c, NG_ACK, cs + 1, ss + 1, NULL, 0);
}

static inline size_t
netplay_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline size_t
netplay_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	ng_check(n >= 0 && (size_t)n < size);
	return (size_t)n;
}

/* s's request (and answer) over one connection. */
static inline void
netplay_http(struct netplay *p, const struct np_sample *s)
{
	const struct np_http	*h = &s->http;
	const char		*body = h->body != NULL ? h->body : "";
	char			 len[32] = "", resp[NP_TEXT_MAX];
	size_t			 n, rn = 0;

	if (h->body != NULL)
		netplay_fmt(len, sizeof(len), "Content-Length: %zu\r\n",
		    strlen(body));
	n = netplay_fmt(p->text, sizeof(p->text), "%s %s HTTP/1.1\r\n"
	    "Host: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n%s%s\r\n%s",
	    h->method != NULL ? h->method : "GET", h->uri,
	    h->host != NULL ? h->host : s->srv,
	    h->ua != NULL ? h->ua : NP_BROWSER, h->hdrs != NULL ? h->hdrs : "",
	    len, body);
	if (h->resp != NULL)
		rn = netplay_fmt(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
		    strlen(h->resp), h->resp);
	netplay_tcp(p, s->cli, s->srv, s->port, p->text, n, resp, rn);
}

/* A DNS query of type qtype (1 A, 16 TXT) for name from cli to the
 * resolver srv, and, when answered, the resolver's answer. */
static inline void
netplay_dns_type(struct netplay *p, const char *cli, const char *srv,
    const char *name, uint16_t qtype, bool answered)
{
	struct ng_tuple	t;
	uint8_t		m[512];
	size_t		n;
	uint16_t	id;

	netplay_tuple(p, &t, cli, srv, 53);
	id = t.sport;			/* the id is the client's port */
	n = ng_dns(m, id, name, false);
	ng_put16(m + n - 4, qtype);
	ng_udp(&p->g, &t, m, n);
	netplay_emit(p);
	if (!answered)
		return;
	/* the answer: one A record, or for another type none */
	ng_reverse(&t);
	n = ng_dns(m, id, name, true);
	if (qtype != 1) {
		n = 12 + strlen(name) + 2 + 4;
		ng_put16(m + 6, 0);
		ng_put16(m + n - 4, qtype);
	}
	ng_udp(&p->g, &t, m, n);
	netplay_emit(p);
}

static inline void
netplay_sample(struct netplay *p, const struct np_sample *s)
{
	switch (s->shape) {
	case NP_TCP:
		netplay_tcp(p, s->cli, s->srv, s->port, s->up.p, s->up.n,
		    s->down.p, s->down.n);
		break;
	case NP_HTTP:
		netplay_http(p, s);
		break;
	case NP_DNS:
		netplay_dns_type(p, s->cli, s->srv, s->name, 1, true);
		break;
	default:
		abort();
	}
}

/* An ARP reply: ip is at mac, told to the broadcast address. */
static inline void
netplay_arp_reply(struct netplay *p, const uint8_t mac[6], const char *ip,
    const char *to)
{
	static const uint8_t	bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff };

	ng_arp(&p->g, 2, mac, ip, bcast, to);
	netplay_emit(p);
}

#endif
