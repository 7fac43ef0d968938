/*
 * decode.c: link, network and transport headers of one frame (decode.h).
 *
 * Each layer reads through a cursor over what the layer below said is its
 * payload, cut to what was captured. A header that does not fit is
 * DEC_TRUNC when the capture cut the frame (caplen < wirelen, or an IP
 * length beyond the captured bytes) and DEC_BAD otherwise: a length that
 * lies is malformed, never read past.
 *
 * What the host itself would drop is dropped here too, so that a packet
 * the host never accepts cannot be inserted into what we see: an IPv4
 * header with bad options, an IPv6 hop-by-hop header that is not first.
 * No checksum is checked, the IPv4 header's included, as Suricata does
 * not: with checksum offload a host's own outgoing packets carry none
 * (Windows offloads the IPv4 header's too: a capture made there has 0 in
 * every packet it sent), and a bad TCP or UDP checksum inserts as well as
 * a bad IPv4 one would.
 *
 * Load: every captured frame; a few dozen bounded reads, no allocation.
 */
#include <string.h>

#include "cursor.h"
#include "decode.h"

#define ETH_HLEN	14
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define IP4_HLEN	20
#define IP6_HLEN	40
#define TCP_HLEN	20
#define UDP_HLEN	8
#define ICMP_HLEN	8	/* type, code, checksum, 4 bytes of rest */

#define ET_IP4		0x0800
#define ET_ARP		0x0806
#define ET_VLAN		0x8100
#define ET_IP6		0x86dd
#define ET_QINQ		0x88a8
#define ET_QINQ_OLD	0x9100

#define VLAN_MAX	4	/* tags walked; the first two are kept */
#define IP6_EXT_MAX	8	/* extension headers in one chain, at most */

enum {
	NH_HOPOPTS = 0, NH_ICMP = 1, NH_TCP = 6, NH_UDP = 17,
	NH_ROUTING = 43, NH_FRAGMENT = 44, NH_AH = 51, NH_ICMPV6 = 58,
	NH_NONE = 59, NH_DSTOPTS = 60, NH_MOBILITY = 135, NH_HIP = 139,
	NH_SHIM6 = 140,
};

static enum dec_result	dec_ip4(struct pkt *, struct dec_out *, struct cur *);
static enum dec_result	dec_ip6(struct pkt *, struct dec_out *, struct cur *);

static uint16_t
be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* A header does not fit: cut by the capture, or a lie. */
static enum dec_result
short_hdr(struct dec_out *o, bool cut, const char *why)
{
	o->why = why;
	return cut ? DEC_TRUNC : DEC_BAD;
}

static enum dec_result
bad(struct dec_out *o, const char *why)
{
	o->why = why;
	return DEC_BAD;
}

static bool
frame_cut(const struct pkt *p)
{
	return p->caplen < p->wirelen;
}

/* ---- transport ---- */

static enum dec_result
dec_tcp(struct pkt *p, struct dec_out *o, const uint8_t *d, size_t len)
{
	size_t	off;

	if (len < TCP_HLEN)
		return short_hdr(o, o->truncated, "tcp_short");
	off = (size_t)(d[12] >> 4) * 4;
	if (off < TCP_HLEN)
		return bad(o, "tcp_bad_off");
	if (off > len)
		return short_hdr(o, o->truncated, "tcp_bad_off");
	p->sport = be16(d);
	p->dport = be16(d + 2);
	p->tcp_seq = be32(d + 4);
	p->tcp_ack = be32(d + 8);
	p->tcp_flags = d[13];
	p->tcp_win = be16(d + 14);
	p->payload = d + off;		/* options skipped */
	p->payload_len = len - off;
	return DEC_OK;
}

static enum dec_result
dec_udp(struct pkt *p, struct dec_out *o, const uint8_t *d, size_t len)
{
	size_t	ulen;

	if (len < UDP_HLEN)
		return short_hdr(o, o->truncated, "udp_short");
	ulen = be16(d + 4);
	if (ulen < UDP_HLEN)
		return bad(o, "udp_bad_len");
	if (ulen > len) {
		if (!o->truncated)
			return bad(o, "udp_bad_len");
		ulen = len;	/* what the capture kept */
	}
	p->sport = be16(d);
	p->dport = be16(d + 2);
	p->payload = d + UDP_HLEN;
	p->payload_len = ulen - UDP_HLEN;
	return DEC_OK;
}

static enum dec_result
dec_icmp(struct pkt *p, struct dec_out *o, const uint8_t *d, size_t len)
{
	if (len < 4)
		return short_hdr(o, o->truncated, "icmp_short");
	p->icmp_type = d[0];
	p->icmp_code = d[1];
	if (len >= ICMP_HLEN) {
		p->payload = d + ICMP_HLEN;
		p->payload_len = len - ICMP_HLEN;
	}
	return DEC_OK;
}

static enum dec_result
dec_l4(struct pkt *p, struct dec_out *o, uint8_t proto, const uint8_t *d,
    size_t len)
{
	p->proto = proto;
	switch (proto) {
	case NH_TCP:
		return dec_tcp(p, o, d, len);
	case NH_UDP:
		return dec_udp(p, o, d, len);
	case NH_ICMP:
	case NH_ICMPV6:
		return dec_icmp(p, o, d, len);
	default:
		p->payload = d;		/* ESP, GRE, ...: not decoded */
		p->payload_len = len;
		return DEC_OK;
	}
}

/* ---- IPv6 ---- */

static enum dec_result
ip6_fragment(struct dec_out *o, const uint8_t *d, size_t len)
{
	uint16_t	offm = be16(d + 2);

	o->frag.proto = d[0];
	o->frag.off = offm & 0xfff8;
	o->frag.more = offm & 1;
	o->frag.id = be32(d + 4);
	o->frag.data = d + 8;
	o->frag.len = len - 8;
	if (o->truncated)
		return short_hdr(o, true, "frag_truncated");
	return DEC_FRAG;
}

/*
 * The extension header chain from nh over d. first: d follows the IPv6
 * header (hop-by-hop and fragment headers are allowed only then; after
 * reassembly another fragment header is malformed).
 */
static enum dec_result
ip6_chain(struct pkt *p, struct dec_out *o, uint8_t nh, const uint8_t *d,
    size_t len, bool first)
{
	size_t	n, hl;

	for (n = 0;; n++) {
		switch (nh) {
		case NH_HOPOPTS:
			if (n != 0 || !first)
				return bad(o, "ipv6_hbh_not_first");
			break;
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_AH:
		case NH_MOBILITY:
		case NH_HIP:
		case NH_SHIM6:
			break;
		case NH_FRAGMENT:
			if (!first)
				return bad(o, "ipv6_nested_frag");
			if (len < 8)
				return short_hdr(o, o->truncated,
				    "ipv6_ext_short");
			/* an atomic fragment (RFC 6946) is whole */
			if ((be16(d + 2) & 0xfff9) != 0)
				return ip6_fragment(o, d, len);
			hl = 8;
			goto next;
		case NH_NONE:
			p->proto = NH_NONE;
			return DEC_OK;
		default:
			return dec_l4(p, o, nh, d, len);
		}
		if (len < 2)
			return short_hdr(o, o->truncated, "ipv6_ext_short");
		hl = nh == NH_AH ? ((size_t)d[1] + 2) * 4 :
		    ((size_t)d[1] + 1) * 8;
		if (hl > len)
			return short_hdr(o, o->truncated, "ipv6_ext_short");
next:
		if (n + 1 > IP6_EXT_MAX)
			return bad(o, "ipv6_ext_chain_long");
		nh = d[0];
		d += hl;
		len -= hl;
	}
}

static enum dec_result
dec_ip6(struct pkt *p, struct dec_out *o, struct cur *c)
{
	const uint8_t	*h = cur_ptr(c);
	size_t		 avail = cur_left(c), plen;

	if (avail < IP6_HLEN)
		return short_hdr(o, frame_cut(p), "ipv6_short");
	if (h[0] >> 4 != 6)
		return bad(o, "ipv6_bad_version");
	plen = be16(h + 4);
	if (plen > avail - IP6_HLEN) {
		if (!frame_cut(p))
			return bad(o, "ipv6_bad_len");
		o->truncated = true;
		plen = avail - IP6_HLEN;
	}
	p->ipver = 6;
	p->src.family = p->dst.family = 6;
	memcpy(p->src.a, h + 8, 16);
	memcpy(p->dst.a, h + 24, 16);
	p->ttl = h[7];
	return ip6_chain(p, o, h[6], h + IP6_HLEN, plen, true);
}

/* ---- IPv4 ---- */

/* RFC 791 options: each one's length inside the header. */
static bool
ip4_opts_ok(const uint8_t *b, size_t len)
{
	size_t	i = 0, ol;

	while (i < len) {
		if (b[i] == 0)		/* end of list */
			return true;
		if (b[i] == 1) {	/* no-op */
			i++;
			continue;
		}
		if (len - i < 2 || (ol = b[i + 1]) < 2 || ol > len - i)
			return false;
		i += ol;
	}
	return true;
}

static enum dec_result
dec_ip4(struct pkt *p, struct dec_out *o, struct cur *c)
{
	const uint8_t	*h = cur_ptr(c);
	size_t		 avail = cur_left(c), hl, tl;
	uint16_t	 fo;

	if (avail < IP4_HLEN)
		return short_hdr(o, frame_cut(p), "ipv4_short");
	if (h[0] >> 4 != 4)
		return bad(o, "ipv4_bad_version");
	hl = (size_t)(h[0] & 0x0f) * 4;
	tl = be16(h + 2);
	if (hl < IP4_HLEN)
		return bad(o, "ipv4_bad_hlen");
	if (hl > avail)
		return short_hdr(o, frame_cut(p), "ipv4_short");
	if (tl < hl)
		return bad(o, "ipv4_bad_len");
	if (!ip4_opts_ok(h + IP4_HLEN, hl - IP4_HLEN))
		return bad(o, "ipv4_bad_opt");
	if (tl > avail) {
		if (!frame_cut(p))
			return bad(o, "ipv4_bad_len");
		o->truncated = true;
		tl = avail;
	}
	p->ipver = 4;
	p->src.family = p->dst.family = 4;
	memcpy(p->src.a, h + 12, 4);
	memcpy(p->dst.a, h + 16, 4);
	p->ttl = h[8];
	p->proto = h[9];
	fo = be16(h + 6);
	if ((fo & 0x3fff) == 0)		/* neither MF nor an offset */
		return dec_l4(p, o, h[9], h + hl, tl - hl);
	o->frag.proto = h[9];
	o->frag.id = be16(h + 4);
	o->frag.off = (uint32_t)(fo & 0x1fff) * 8;
	o->frag.more = (fo & 0x2000) != 0;
	o->frag.data = h + hl;
	o->frag.len = tl - hl;
	if (o->truncated)
		return short_hdr(o, true, "frag_truncated");
	return DEC_FRAG;
}

/* ---- link layers ---- */

static enum dec_result
dec_arp(struct pkt *p, struct dec_out *o, struct cur *c)
{
	uint16_t	 hrd, pro;
	uint8_t		 hln, pln;
	const uint8_t	*b;

	hrd = cur_be16(c);
	pro = cur_be16(c);
	hln = cur_u8(c);
	pln = cur_u8(c);
	p->arp.op = cur_be16(c);
	if (!cur_ok(c))
		return short_hdr(o, frame_cut(p), "arp_short");
	if (hrd != 1 || pro != ET_IP4 || hln != 6 || pln != 4)
		return DEC_NOTIP;
	if ((b = cur_take(c, 20)) == NULL)
		return short_hdr(o, frame_cut(p), "arp_short");
	memcpy(p->arp.sha, b, 6);
	memcpy(p->arp.spa, b + 6, 4);
	memcpy(p->arp.tha, b + 10, 6);
	memcpy(p->arp.tpa, b + 16, 4);
	p->is_arp = true;
	return DEC_ARP;
}

static enum dec_result
dec_ethertype(struct pkt *p, struct dec_out *o, uint16_t type, struct cur *c)
{
	uint16_t	tci;
	int		n;

	for (n = 0; type == ET_VLAN || type == ET_QINQ || type == ET_QINQ_OLD;
	    n++) {
		if (n == VLAN_MAX)
			return bad(o, "vlan_too_many");
		tci = cur_be16(c);
		type = cur_be16(c);
		if (!cur_ok(c))
			return short_hdr(o, frame_cut(p), "vlan_short");
		if (p->nvlan < 2)
			p->vlan[p->nvlan++] = tci & 0x0fff;
	}
	switch (type) {
	case ET_IP4:
		return dec_ip4(p, o, c);
	case ET_IP6:
		return dec_ip6(p, o, c);
	case ET_ARP:
		return dec_arp(p, o, c);
	default:
		return DEC_NOTIP;
	}
}

static enum dec_result
dec_eth(struct pkt *p, struct dec_out *o, struct cur *c)
{
	const uint8_t	*h;

	if ((h = cur_take(c, ETH_HLEN)) == NULL)
		return short_hdr(o, frame_cut(p), "eth_short");
	memcpy(p->eth_dst, h, 6);
	memcpy(p->eth_src, h + 6, 6);
	p->has_eth = true;
	return dec_ethertype(p, o, be16(h + 12), c);
}

/* Linux cooked capture: v1's protocol is its header's last field, v2's
 * its first. */
static enum dec_result
dec_sll(struct pkt *p, struct dec_out *o, struct cur *c, size_t hlen,
    size_t proto_at)
{
	const uint8_t	*h;

	if ((h = cur_take(c, hlen)) == NULL)
		return short_hdr(o, frame_cut(p), "sll_short");
	return dec_ethertype(p, o, be16(h + proto_at), c);
}

static enum dec_result
dec_ipver(struct pkt *p, struct dec_out *o, struct cur *c)
{
	if (!cur_has(c, 1))
		return short_hdr(o, frame_cut(p), "raw_short");
	switch (cur_ptr(c)[0] >> 4) {
	case 4:
		return dec_ip4(p, o, c);
	case 6:
		return dec_ip6(p, o, c);
	default:
		return DEC_NOTIP;
	}
}

/* BSD loopback: an address family, in the writer's byte order for
 * DLT_NULL, in network order for DLT_LOOP. AF_INET6 differs by system. */
static enum dec_result
dec_null(struct pkt *p, struct dec_out *o, struct cur *c, bool loop)
{
	uint32_t	af;

	af = loop ? cur_be32(c) : cur_le32(c);
	if (!cur_ok(c))
		return short_hdr(o, frame_cut(p), "null_short");
	if (!loop && (af & 0xffff0000) != 0)
		af = __builtin_bswap32(af);
	switch (af) {
	case 2:
		return dec_ip4(p, o, c);
	case 10:	/* Linux */
	case 24:	/* NetBSD, OpenBSD */
	case 28:	/* FreeBSD */
	case 30:	/* Darwin */
		return dec_ip6(p, o, c);
	default:
		return DEC_NOTIP;
	}
}

enum dec_result
decode_frame(struct pkt *p, struct dec_out *o, int linktype,
    const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
	struct cur	c = cur_make(frame, caplen);

	memset(p, 0, sizeof(*p));
	memset(o, 0, sizeof(*o));
	p->caplen = caplen;
	p->wirelen = wirelen;
	switch (linktype) {
	case LT_EN10MB:
		return dec_eth(p, o, &c);
	case LT_SLL:
		return dec_sll(p, o, &c, SLL_HLEN, 14);
	case LT_SLL2:
		return dec_sll(p, o, &c, SLL2_HLEN, 0);
	case LT_RAW12:
	case LT_RAW14:
	case LT_RAW:
		return dec_ipver(p, o, &c);
	case LT_IPV4:
		return dec_ip4(p, o, &c);
	case LT_IPV6:
		return dec_ip6(p, o, &c);
	case LT_NULL:
		return dec_null(p, o, &c, false);
	case LT_LOOP:
		return dec_null(p, o, &c, true);
	default:
		return DEC_NOTIP;
	}
}

enum dec_result
decode_transport(struct pkt *p, struct dec_out *o, uint8_t proto,
    const uint8_t *data, size_t len)
{
	memset(o, 0, sizeof(*o));
	if (p->ipver == 6)
		return ip6_chain(p, o, proto, data, len, false);
	return dec_l4(p, o, proto, data, len);
}
