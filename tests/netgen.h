/*
 * netgen.h: frames for the network sensor's tests and benchmarks, built
 * in C with correct lengths and checksums, and a pcap file writer.
 *
 *	struct ng	 g;
 *	struct ng_tuple	 t;
 *
 *	ng_init(&g, LT_EN10MB);
 *	ng_tuple4(&t, "10.0.0.1", 40000, "10.0.0.2", 80);
 *	ng_tcp(&g, &t, NG_SYN, 1000, 0, NULL, 0);	-> g.frame, g.len
 *	ng_reverse(&t);
 *	ng_tcp(&g, &t, NG_SYN | NG_ACK, 5000, 1001, NULL, 0);
 *
 * Layers can be built one at a time too: ng_tcp_seg / ng_udp_dgram make a
 * transport header and payload (checksummed for the tuple), ng_ip wraps
 * any payload in an IPv4 or IPv6 header (ng_ip4_frag / ng_ip6_frag as a
 * fragment), ng_link adds the link layer of g's link type (with g's VLAN
 * tags on Ethernet). Lengths are whatever the caller says: a test that
 * wants a lying length edits g.frame afterwards. ng_dns and
 * ng_client_hello make the messages the application layer parses.
 *
 *	struct ng_pcap	*w = ng_pcap_open("x.pcap", LT_EN10MB);
 *	ng_pcap_write(w, ts_us, g.frame, g.len, g.len);
 *	ng_pcap_close(w);
 *
 * Header-only (static functions), for tests/ and tests/bench/ alike.
 * Aborts on misuse (a frame over NG_FRAME_MAX): these are test tools.
 */
#ifndef VIGIL_NETGEN_H
#define VIGIL_NETGEN_H

#include <arpa/inet.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"		/* LT_* */

#define NG_FRAME_MAX	(65535 + 64)

#define NG_FIN		0x01
#define NG_SYN		0x02
#define NG_RST		0x04
#define NG_PSH		0x08
#define NG_ACK		0x10

struct ng_tuple {
	int		 family;	/* 4 or 6 */
	uint8_t		 src[16], dst[16];
	uint16_t	 sport, dport;
};

struct ng {
	int		 linktype;
	uint16_t	 vlan[2];
	int		 nvlan;		/* Ethernet: tags added, 0..2 */
	uint8_t		 ttl;
	uint16_t	 ip_id;		/* next IPv4 id, incremented */
	uint8_t		 frame[NG_FRAME_MAX];
	size_t		 len;
	uint8_t		 l4[NG_FRAME_MAX];	/* scratch for the layers */
	uint8_t		 l3[NG_FRAME_MAX];
};

static inline void
ng_check(int ok)
{
	if (!ok)
		abort();
}

static inline void
ng_put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void
ng_put32(uint8_t *b, uint32_t v)
{
	ng_put16(b, (uint16_t)(v >> 16));
	ng_put16(b + 2, (uint16_t)v);
}

static inline void
ng_init(struct ng *g, int linktype)
{
	memset(g, 0, offsetof(struct ng, frame));
	g->linktype = linktype;
	g->ttl = 64;
	g->ip_id = 1;
	g->len = 0;
}

/* t from text addresses of family 4 or 6. */
static inline void
ng_tuple(struct ng_tuple *t, int family, const char *src, uint16_t sport,
    const char *dst, uint16_t dport)
{
	int	af = family == 4 ? AF_INET : AF_INET6;

	memset(t, 0, sizeof(*t));
	t->family = family;
	ng_check(inet_pton(af, src, t->src) == 1);
	ng_check(inet_pton(af, dst, t->dst) == 1);
	t->sport = sport;
	t->dport = dport;
}

static inline void
ng_tuple4(struct ng_tuple *t, const char *src, uint16_t sport,
    const char *dst, uint16_t dport)
{
	ng_tuple(t, 4, src, sport, dst, dport);
}

static inline void
ng_tuple6(struct ng_tuple *t, const char *src, uint16_t sport,
    const char *dst, uint16_t dport)
{
	ng_tuple(t, 6, src, sport, dst, dport);
}

static inline void
ng_reverse(struct ng_tuple *t)
{
	uint8_t		a[16];
	uint16_t	p;

	memcpy(a, t->src, 16);
	memcpy(t->src, t->dst, 16);
	memcpy(t->dst, a, 16);
	p = t->sport;
	t->sport = t->dport;
	t->dport = p;
}

static inline uint32_t
ng_sum(uint32_t sum, const uint8_t *b, size_t len)
{
	size_t	i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static inline uint16_t
ng_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The transport checksum over the pseudo header and b. */
static inline uint16_t
ng_l4sum(const struct ng_tuple *t, uint8_t proto, const uint8_t *b,
    size_t len)
{
	size_t		alen = t->family == 4 ? 4 : 16;
	uint32_t	sum = 0;

	sum = ng_sum(sum, t->src, alen);
	sum = ng_sum(sum, t->dst, alen);
	sum += proto + (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);
	return ng_fold(ng_sum(sum, b, len));
}

/* A TCP segment (20-byte header, no options) into out; its length. */
static inline size_t
ng_tcp_seg(uint8_t *out, const struct ng_tuple *t, uint8_t flags,
    uint32_t seq, uint32_t ack, const void *pl, size_t plen)
{
	ng_check(plen <= 65535 - 60);
	memset(out, 0, 20);
	ng_put16(out, t->sport);
	ng_put16(out + 2, t->dport);
	ng_put32(out + 4, seq);
	ng_put32(out + 8, ack);
	out[12] = 5 << 4;
	out[13] = flags;
	ng_put16(out + 14, 65535);
	if (plen > 0)
		memcpy(out + 20, pl, plen);
	ng_put16(out + 16, ng_l4sum(t, 6, out, 20 + plen));
	return 20 + plen;
}

static inline size_t
ng_udp_dgram(uint8_t *out, const struct ng_tuple *t, const void *pl,
    size_t plen)
{
	uint16_t	sum;

	ng_check(plen <= 65535 - 60);
	ng_put16(out, t->sport);
	ng_put16(out + 2, t->dport);
	ng_put16(out + 4, (uint16_t)(8 + plen));
	ng_put16(out + 6, 0);
	if (plen > 0)
		memcpy(out + 8, pl, plen);
	sum = ng_l4sum(t, 17, out, 8 + plen);
	ng_put16(out + 6, sum == 0 ? 0xffff : sum);
	return 8 + plen;
}

/* An IPv4 header and payload; fragoff is the flags and offset field. */
static inline size_t
ng_ip4_hdr(struct ng *g, uint8_t *out, const struct ng_tuple *t,
    uint8_t proto, uint16_t id, uint16_t fragoff, const uint8_t *pl,
    size_t plen)
{
	ng_check(plen <= 65535 - 20);
	out[0] = 0x45;
	out[1] = 0;
	ng_put16(out + 2, (uint16_t)(20 + plen));
	ng_put16(out + 4, id);
	ng_put16(out + 6, fragoff);
	out[8] = g->ttl;
	out[9] = proto;
	ng_put16(out + 10, 0);
	memcpy(out + 12, t->src, 4);
	memcpy(out + 16, t->dst, 4);
	ng_put16(out + 10, ng_fold(ng_sum(0, out, 20)));
	memmove(out + 20, pl, plen);
	return 20 + plen;
}

static inline size_t
ng_ip6_hdr(struct ng *g, uint8_t *out, const struct ng_tuple *t,
    uint8_t nh, const uint8_t *pl, size_t plen)
{
	ng_check(plen <= 65535);
	memset(out, 0, 8);
	out[0] = 0x60;
	ng_put16(out + 4, (uint16_t)plen);
	out[6] = nh;
	out[7] = g->ttl;
	memcpy(out + 8, t->src, 16);
	memcpy(out + 24, t->dst, 16);
	memmove(out + 40, pl, plen);
	return 40 + plen;
}

/* Wrap the IP packet ip (ipver 4 or 6) in g's link layer into g->frame. */
static inline const uint8_t *
ng_link(struct ng *g, int ipver, const uint8_t *ip, size_t iplen)
{
	static const uint8_t	 mac_a[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t	 mac_b[6] = { 2, 0, 0, 0, 0, 2 };
	uint16_t		 et = ipver == 4 ? 0x0800 :
				    ipver == 6 ? 0x86dd : 0x0806;
	uint32_t		 af;
	uint8_t			*f = g->frame;
	size_t			 h = 0;
	int			 i;

	switch (g->linktype) {
	case LT_EN10MB:
		memcpy(f, mac_b, 6);
		memcpy(f + 6, mac_a, 6);
		h = 12;
		for (i = 0; i < g->nvlan; i++) {
			ng_put16(f + h, i == 0 && g->nvlan == 2 ? 0x88a8 :
			    0x8100);
			ng_put16(f + h + 2, g->vlan[i]);
			h += 4;
		}
		ng_put16(f + h, et);
		h += 2;
		break;
	case LT_SLL:
		memset(f, 0, 16);
		ng_put16(f + 2, 1);		/* ARPHRD_ETHER */
		ng_put16(f + 4, 6);
		memcpy(f + 6, mac_a, 6);
		ng_put16(f + 14, et);
		h = 16;
		break;
	case LT_SLL2:
		memset(f, 0, 20);
		ng_put16(f, et);
		ng_put32(f + 4, 2);		/* ifindex */
		ng_put16(f + 8, 1);
		f[11] = 6;
		memcpy(f + 12, mac_a, 6);
		h = 20;
		break;
	case LT_NULL:
	case LT_LOOP:
		af = ipver == 4 ? 2 : 30;
		if (g->linktype == LT_LOOP)
			ng_put32(f, af);
		else
			memcpy(f, &af, 4);	/* the writer's order */
		h = 4;
		break;
	default:			/* raw IP */
		break;
	}
	ng_check(iplen <= NG_FRAME_MAX - h);
	memmove(f + h, ip, iplen);
	g->len = h + iplen;
	return g->frame;
}

/* Any payload in an IP header of t's family, and the link layer. */
static inline const uint8_t *
ng_ip(struct ng *g, const struct ng_tuple *t, uint8_t proto,
    const uint8_t *pl, size_t plen)
{
	size_t	n;

	if (t->family == 4)
		n = ng_ip4_hdr(g, g->l3, t, proto, g->ip_id++, 0, pl, plen);
	else
		n = ng_ip6_hdr(g, g->l3, t, proto, pl, plen);
	return ng_link(g, t->family, g->l3, n);
}

static inline const uint8_t *
ng_tcp(struct ng *g, const struct ng_tuple *t, uint8_t flags, uint32_t seq,
    uint32_t ack, const void *pl, size_t plen)
{
	size_t	n = ng_tcp_seg(g->l4, t, flags, seq, ack, pl, plen);

	return ng_ip(g, t, 6, g->l4, n);
}

static inline const uint8_t *
ng_udp(struct ng *g, const struct ng_tuple *t, const void *pl, size_t plen)
{
	size_t	n = ng_udp_dgram(g->l4, t, pl, plen);

	return ng_ip(g, t, 17, g->l4, n);
}

/* ICMP echo request (IPv4) or ICMPv6 echo request. */
static inline const uint8_t *
ng_ping(struct ng *g, const struct ng_tuple *t, const void *pl, size_t plen)
{
	uint8_t	*b = g->l4;
	uint8_t	 proto = t->family == 4 ? 1 : 58;

	ng_check(plen <= 65000);
	memset(b, 0, 8);
	b[0] = t->family == 4 ? 8 : 128;
	if (plen > 0)
		memcpy(b + 8, pl, plen);
	ng_put16(b + 2, t->family == 4 ? ng_fold(ng_sum(0, b, 8 + plen)) :
	    ng_l4sum(t, proto, b, 8 + plen));
	return ng_ip(g, t, proto, b, 8 + plen);
}

/* One IPv4 fragment: bytes [off, off + len) of the datagram payload pl. */
static inline const uint8_t *
ng_ip4_frag(struct ng *g, const struct ng_tuple *t, uint8_t proto,
    uint16_t id, const uint8_t *pl, size_t off, size_t len, bool more)
{
	size_t	n;

	ng_check(off % 8 == 0 && off / 8 <= 0x1fff);
	n = ng_ip4_hdr(g, g->l3, t, proto, id,
	    (uint16_t)((more ? 0x2000 : 0) | off / 8), pl + off, len);
	return ng_link(g, 4, g->l3, n);
}

/* One IPv6 fragment (a fragment header after the IPv6 header); pl is
 * not g->l4. */
static inline const uint8_t *
ng_ip6_frag(struct ng *g, const struct ng_tuple *t, uint8_t nh, uint32_t id,
    const uint8_t *pl, size_t off, size_t len, bool more)
{
	uint8_t	*b = g->l4;

	ng_check(off % 8 == 0 && off <= 0xfff8 && len <= 65000);
	b[0] = nh;
	b[1] = 0;
	ng_put16(b + 2, (uint16_t)(off | (more ? 1 : 0)));
	ng_put32(b + 4, id);
	memmove(b + 8, pl + off, len);
	return ng_ip(g, t, 44, b, 8 + len);
}

/* An ARP request or reply (Ethernet only). */
static inline const uint8_t *
ng_arp(struct ng *g, uint16_t op, const uint8_t sha[6], const char *spa,
    const uint8_t tha[6], const char *tpa)
{
	uint8_t	*b = g->l3;

	ng_put16(b, 1);
	ng_put16(b + 2, 0x0800);
	b[4] = 6;
	b[5] = 4;
	ng_put16(b + 6, op);
	memcpy(b + 8, sha, 6);
	ng_check(inet_pton(AF_INET, spa, b + 14) == 1);
	memcpy(b + 18, tha, 6);
	ng_check(inet_pton(AF_INET, tpa, b + 24) == 1);
	return ng_link(g, 0, b, 28);
}

/* ---- application messages ---- */

/* A DNS name (dotted, labels under 64 bytes) in wire form into out. */
static inline size_t
ng_dns_name(uint8_t *out, const char *name)
{
	size_t		 n = 0, l;
	const char	*dot;

	while (*name != '\0') {
		dot = strchr(name, '.');
		l = dot ? (size_t)(dot - name) : strlen(name);
		ng_check(l > 0 && l < 64);
		out[n++] = (uint8_t)l;
		memcpy(out + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	out[n++] = 0;
	return n;
}

/* A DNS query for name (type A, class IN, RD), or with answer its
 * response with one A record (142.250.66.78, TTL 300). */
static inline size_t
ng_dns(uint8_t *out, uint16_t id, const char *name, bool answer)
{
	static const uint8_t	rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2c,
				    0, 4, 142, 250, 66, 78 };
	size_t			n = 12;

	memset(out, 0, 12);
	ng_put16(out, id);
	ng_put16(out + 2, answer ? 0x8180 : 0x0100);
	ng_put16(out + 4, 1);
	ng_put16(out + 6, answer ? 1 : 0);
	n += ng_dns_name(out + n, name);
	ng_put16(out + n, 1);
	ng_put16(out + n + 2, 1);
	n += 4;
	if (answer) {
		memcpy(out + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	return n;
}

/*
 * A TLS ClientHello in one handshake record into out (room for 300 bytes
 * and the name): legacy version 1.2, a session id, a browser's cipher
 * suites, and the extensions server_name (sni), supported_groups,
 * ec_point_formats, signature_algorithms, ALPN (h2, http/1.1) and
 * supported_versions (1.3, 1.2). Its length.
 */
static inline size_t
ng_client_hello(uint8_t *out, const char *sni)
{
	static const uint8_t	 tail[] = {
		0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17,
		0x00, 0x18,
		0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,
		0x00, 0x0d, 0x00, 0x0a, 0x00, 0x08, 0x04, 0x03, 0x08, 0x04,
		0x04, 0x01, 0x05, 0x03,
		0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08,
		'h', 't', 't', 'p', '/', '1', '.', '1',
		0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03,
	};
	static const uint16_t	 cs[] = { 0x1301, 0x1302, 0x1303, 0xc02b,
				    0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
				    0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
				    0x0035 };
	size_t			 sl = strlen(sni), n = 9, i;

	ng_check(sl < 256);
	ng_put16(out + n, 0x0303);
	n += 2;
	memset(out + n, 0x5a, 32);		/* random */
	n += 32;
	out[n++] = 32;				/* session id */
	memset(out + n, 0xa5, 32);
	n += 32;
	ng_put16(out + n, sizeof(cs));
	n += 2;
	for (i = 0; i < sizeof(cs) / 2; i++, n += 2)
		ng_put16(out + n, cs[i]);
	out[n++] = 1;				/* compression: null */
	out[n++] = 0;
	ng_put16(out + n, (uint16_t)(9 + sl + sizeof(tail)));
	n += 2;
	ng_put16(out + n, 0);			/* server_name */
	ng_put16(out + n + 2, (uint16_t)(5 + sl));
	ng_put16(out + n + 4, (uint16_t)(3 + sl));
	out[n + 6] = 0;				/* host_name */
	ng_put16(out + n + 7, (uint16_t)sl);
	memcpy(out + n + 9, sni, sl);
	n += 9 + sl;
	memcpy(out + n, tail, sizeof(tail));
	n += sizeof(tail);
	out[0] = 22;				/* the record */
	ng_put16(out + 1, 0x0301);
	ng_put16(out + 3, (uint16_t)(n - 5));
	out[5] = 1;				/* the handshake */
	out[6] = 0;
	ng_put16(out + 7, (uint16_t)(n - 9));
	return n;
}

/* ---- pcap files (microsecond resolution, the writer's byte order) ---- */

struct ng_pcap {
	FILE	*f;
};

static inline int
ng_pcap_linktype(int lt)
{
	return lt == LT_RAW12 || lt == LT_RAW14 ? LT_RAW : lt;
}

static inline struct ng_pcap *
ng_pcap_open(const char *path, int linktype)
{
	struct ng_pcap	*w;
	uint32_t	 h[6] = { 0xa1b2c3d4, 2 | 4u << 16, 0, 0, 262144, 0 };

	h[5] = (uint32_t)ng_pcap_linktype(linktype);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->f = fopen(path, "wb")) == NULL ||
	    fwrite(h, sizeof(h), 1, w->f) != 1) {
		if (w->f != NULL)
			fclose(w->f);
		free(w);
		return NULL;
	}
	return w;
}

static inline int
ng_pcap_write(struct ng_pcap *w, int64_t ts_us, const uint8_t *frame,
    uint32_t caplen, uint32_t wirelen)
{
	uint32_t	h[4];

	h[0] = (uint32_t)(ts_us / 1000000);
	h[1] = (uint32_t)(ts_us % 1000000);
	h[2] = caplen;
	h[3] = wirelen;
	if (fwrite(h, sizeof(h), 1, w->f) != 1 ||
	    (caplen > 0 && fwrite(frame, caplen, 1, w->f) != 1))
		return -1;
	return 0;
}

/* 0, or -1 if a write failed on the way. */
static inline int
ng_pcap_close(struct ng_pcap *w)
{
	int	rc;

	if (w == NULL)
		return 0;
	rc = ferror(w->f) ? -1 : 0;
	if (fclose(w->f) != 0)
		rc = -1;
	free(w);
	return rc;
}

#endif
