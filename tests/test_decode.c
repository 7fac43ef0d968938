/*
 * test_decode.c: agent/net/decode.c on frames built by netgen.h: every
 * link type, VLAN tags, IPv4 options and checks, IPv6 extension chains,
 * fragments, ARP, ICMP; truncation (caplen < wirelen) against lengths
 * that lie at each layer; and every prefix of every frame, which must
 * decode as truncated or whole, never as malformed, when the capture says
 * it cut the frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "decode.h"
#include "netgen.h"

static const char	 hello[] = "hello, world";

static int
setup(void **state)
{
	return (*state = malloc(sizeof(struct ng))) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

static enum dec_result
dec(struct pkt *p, struct dec_out *o, const struct ng *g)
{
	return decode_frame(p, o, g->linktype, g->frame, (uint32_t)g->len,
	    (uint32_t)g->len);
}

static void
assert_tcp4(const struct pkt *p)
{
	static const uint8_t	src[4] = { 10, 0, 0, 1 };
	static const uint8_t	dst[4] = { 10, 0, 0, 2 };

	assert_int_equal(p->ipver, 4);
	assert_int_equal(p->src.family, 4);
	assert_memory_equal(p->src.a, src, 4);
	assert_memory_equal(p->dst.a, dst, 4);
	assert_int_equal(p->proto, 6);
	assert_int_equal(p->ttl, 64);
	assert_int_equal(p->sport, 40000);
	assert_int_equal(p->dport, 80);
	assert_int_equal(p->tcp_seq, 1000);
	assert_int_equal(p->tcp_ack, 2000);
	assert_int_equal(p->tcp_flags, NG_ACK | NG_PSH);
	assert_int_equal(p->payload_len, strlen(hello));
	assert_memory_equal(p->payload, hello, strlen(hello));
}

static void
test_link_types(void **state)
{
	static const int	 lts[] = { LT_EN10MB, LT_SLL, LT_SLL2, LT_RAW,
				    LT_RAW12, LT_RAW14, LT_IPV4, LT_NULL,
				    LT_LOOP };
	struct ng		*g = *state;
	struct ng_tuple		 t;
	struct pkt		 p;
	struct dec_out		 o;
	size_t			 i;

	ng_tuple4(&t, "10.0.0.1", 40000, "10.0.0.2", 80);
	for (i = 0; i < sizeof(lts) / sizeof(lts[0]); i++) {
		ng_init(g, lts[i]);
		ng_tcp(g, &t, NG_ACK | NG_PSH, 1000, 2000, hello,
		    strlen(hello));
		assert_int_equal(dec(&p, &o, g), DEC_OK);
		assert_tcp4(&p);
		assert_int_equal(p.has_eth, lts[i] == LT_EN10MB);
		assert_false(o.truncated);
	}
	/* IPv6 on each link type that carries it */
	ng_tuple6(&t, "2001:db8::1", 5353, "2001:db8::2", 53);
	for (i = 0; i < sizeof(lts) / sizeof(lts[0]); i++) {
		if (lts[i] == LT_IPV4)
			continue;
		ng_init(g, lts[i]);
		ng_udp(g, &t, hello, strlen(hello));
		assert_int_equal(dec(&p, &o, g), DEC_OK);
		assert_int_equal(p.ipver, 6);
		assert_int_equal(p.proto, 17);
		assert_int_equal(p.sport, 5353);
		assert_int_equal(p.dport, 53);
		assert_int_equal(p.src.a[15], 1);
		assert_int_equal(p.payload_len, strlen(hello));
	}
	ng_init(g, LT_IPV6);
	ng_udp(g, &t, hello, strlen(hello));
	assert_int_equal(dec(&p, &o, g), DEC_OK);
	/* an IPv4 packet on the IPv6 link type is not one */
	ng_tuple4(&t, "10.0.0.1", 40000, "10.0.0.2", 80);
	ng_udp(g, &t, hello, strlen(hello));
	assert_int_equal(dec(&p, &o, g), DEC_BAD);
	assert_string_equal(o.why, "ipv6_bad_version");
	/* an unknown link type */
	assert_int_equal(decode_frame(&p, &o, 9999, g->frame, (uint32_t)g->len,
	    (uint32_t)g->len), DEC_NOTIP);
}

/* DLT_NULL in either byte order, every system's AF_INET6. */
static void
test_null_families(void **state)
{
	static const uint32_t	 afs[] = { 10, 24, 28, 30 };
	struct ng		*g = *state;
	struct ng_tuple		 t;
	struct pkt		 p;
	struct dec_out		 o;
	uint32_t		 af;
	size_t			 i;

	ng_tuple6(&t, "2001:db8::1", 1, "2001:db8::2", 2);
	ng_init(g, LT_NULL);
	for (i = 0; i < 4; i++) {
		ng_udp(g, &t, hello, 3);
		af = afs[i];
		memcpy(g->frame, &af, 4);
		assert_int_equal(dec(&p, &o, g), DEC_OK);
		assert_int_equal(p.ipver, 6);
		af = __builtin_bswap32(afs[i]);
		memcpy(g->frame, &af, 4);
		assert_int_equal(dec(&p, &o, g), DEC_OK);
		assert_int_equal(p.ipver, 6);
	}
	af = 7;		/* not an IP family */
	memcpy(g->frame, &af, 4);
	assert_int_equal(dec(&p, &o, g), DEC_NOTIP);
}

static void
test_vlan(void **state)
{
	struct ng	*g = *state;
	struct ng_tuple	 t;
	struct pkt	 p;
	struct dec_out	 o;
	uint8_t		 f[256];

	ng_tuple4(&t, "10.0.0.1", 40000, "10.0.0.2", 80);
	ng_init(g, LT_EN10MB);
	g->nvlan = 1;
	g->vlan[0] = 0x2064;	/* priority 1, id 100 */
	ng_tcp(g, &t, NG_ACK | NG_PSH, 1000, 2000, hello, strlen(hello));
	assert_int_equal(dec(&p, &o, g), DEC_OK);
	assert_int_equal(p.nvlan, 1);
	assert_int_equal(p.vlan[0], 100);
	assert_tcp4(&p);
	g->nvlan = 2;		/* QinQ: 0x88a8 then 0x8100 */
	g->vlan[0] = 10;
	g->vlan[1] = 20;
	ng_tcp(g, &t, NG_ACK | NG_PSH, 1000, 2000, hello, strlen(hello));
	assert_int_equal(dec(&p, &o, g), DEC_OK);
	assert_int_equal(p.nvlan, 2);
	assert_int_equal(p.vlan[0], 10);
	assert_int_equal(p.vlan[1], 20);
	assert_tcp4(&p);
	/* five tags: more than anyone stacks */
	memcpy(f, g->frame, 12);
	for (int i = 0; i < 5; i++) {
		ng_put16(f + 12 + 4 * i, 0x8100);
		ng_put16(f + 14 + 4 * i, 1);
	}
	ng_put16(f + 32, 0x0800);
	memcpy(f + 34, g->frame + 22, g->len - 22);
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, f,
	    (uint32_t)(g->len + 12), (uint32_t)(g->len + 12)), DEC_BAD);
	assert_string_equal(o.why, "vlan_too_many");
}

static void
test_arp_icmp(void **state)
{
	static const uint8_t	 sha[6] = { 2, 0, 0, 0, 0, 9 }, z[6];
	struct ng		*g = *state;
	struct ng_tuple		 t;
	struct pkt		 p;
	struct dec_out		 o;

	ng_init(g, LT_EN10MB);
	ng_arp(g, 2, sha, "192.168.1.1", z, "192.168.1.7");
	assert_int_equal(dec(&p, &o, g), DEC_ARP);
	assert_true(p.is_arp);
	assert_int_equal(p.ipver, 0);
	assert_int_equal(p.arp.op, 2);
	assert_memory_equal(p.arp.sha, sha, 6);
	assert_int_equal(p.arp.spa[3], 1);
	assert_int_equal(p.arp.tpa[3], 7);
	g->frame[14 + 2] = 0x86;	/* protocol not IPv4: not ours */
	assert_int_equal(dec(&p, &o, g), DEC_NOTIP);
	g->frame[14 + 2] = 0x08;
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame, 30, 30),
	    DEC_BAD);
	assert_string_equal(o.why, "arp_short");

	ng_tuple4(&t, "10.0.0.1", 0, "10.0.0.2", 0);
	ng_ping(g, &t, hello, 5);
	assert_int_equal(dec(&p, &o, g), DEC_OK);
	assert_int_equal(p.proto, 1);
	assert_int_equal(p.icmp_type, 8);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.sport, 0);
	ng_tuple6(&t, "fe80::1", 0, "fe80::2", 0);
	ng_ping(g, &t, hello, 5);
	assert_int_equal(dec(&p, &o, g), DEC_OK);
	assert_int_equal(p.proto, 58);
	assert_int_equal(p.icmp_type, 128);
}

/* Frames cut by the capture against lengths that lie. */
static void
test_truncated_and_lies(void **state)
{
	struct ng	*g = *state;
	struct ng_tuple	 t;
	struct pkt	 p;
	struct dec_out	 o;
	uint32_t	 n;

	ng_tuple4(&t, "10.0.0.1", 40000, "10.0.0.2", 80);
	ng_init(g, LT_EN10MB);
	ng_tcp(g, &t, NG_ACK | NG_PSH, 1000, 2000, hello, strlen(hello));
	n = (uint32_t)g->len;

	/* snaplen inside the Ethernet, IP and TCP headers */
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame, 10, n),
	    DEC_TRUNC);
	assert_string_equal(o.why, "eth_short");
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame, 30, n),
	    DEC_TRUNC);
	assert_string_equal(o.why, "ipv4_short");
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame, 40, n),
	    DEC_TRUNC);
	assert_string_equal(o.why, "tcp_short");
	/* in the payload: decoded, the payload what was kept */
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame, n - 4, n),
	    DEC_OK);
	assert_true(o.truncated);
	assert_int_equal(p.payload_len, strlen(hello) - 4);
	/* the same lengths without a snaplen are lies */
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame, 30, 30),
	    DEC_BAD);
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame, n - 4,
	    n - 4), DEC_BAD);
	assert_string_equal(o.why, "ipv4_bad_len");

	/* Ethernet padding after the IP packet is not payload */
	memset(g->frame + n, 0xee, 20);
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame, n + 20,
	    n + 20), DEC_OK);
	assert_int_equal(p.payload_len, strlen(hello));

	/* TCP data offset past the segment */
	g->frame[14 + 20 + 12] = 0xf0;
	assert_int_equal(dec(&p, &o, g), DEC_BAD);
	assert_string_equal(o.why, "tcp_bad_off");
	g->frame[14 + 20 + 12] = 0x40;		/* below 5 words */
	assert_int_equal(dec(&p, &o, g), DEC_BAD);
	assert_string_equal(o.why, "tcp_bad_off");

	/* IPv4 total length below the header, header length below 20 */
	ng_tcp(g, &t, NG_ACK, 1, 2, hello, 4);
	ng_put16(g->frame + 16, 19);
	assert_int_equal(dec(&p, &o, g), DEC_BAD);
	g->frame[14] = 0x44;
	assert_int_equal(dec(&p, &o, g), DEC_BAD);
	assert_string_equal(o.why, "ipv4_bad_hlen");

	/* UDP length past the datagram, below the header */
	ng_udp(g, &t, hello, 8);
	ng_put16(g->frame + 14 + 20 + 4, 200);
	assert_int_equal(dec(&p, &o, g), DEC_BAD);
	assert_string_equal(o.why, "udp_bad_len");
	ng_put16(g->frame + 14 + 20 + 4, 7);
	assert_int_equal(dec(&p, &o, g), DEC_BAD);

	/* IPv6 payload length that lies, then cut by the capture */
	ng_tuple6(&t, "2001:db8::1", 1, "2001:db8::2", 2);
	ng_udp(g, &t, hello, 8);
	ng_put16(g->frame + 14 + 4, 400);
	assert_int_equal(dec(&p, &o, g), DEC_BAD);
	assert_string_equal(o.why, "ipv6_bad_len");
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame,
	    (uint32_t)g->len, 14 + 40 + 400), DEC_OK);
	assert_true(o.truncated);
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame, 30,
	    (uint32_t)g->len), DEC_TRUNC);
	assert_string_equal(o.why, "ipv6_short");
}

static void
test_ipv4_checks(void **state)
{
	struct ng	*g = *state;
	struct ng_tuple	 t;
	struct pkt	 p;
	struct dec_out	 o;
	uint8_t		 ip[128], *h;
	size_t		 n;

	ng_tuple4(&t, "10.0.0.1", 40000, "10.0.0.2", 80);
	ng_init(g, LT_RAW);
	ng_tcp(g, &t, NG_ACK | NG_PSH, 1000, 2000, hello, strlen(hello));
	g->frame[8] = 1;	/* ttl changed, checksum not */
	assert_int_equal(dec(&p, &o, g), DEC_OK);
	assert_int_equal(p.ttl, 1);
	g->frame[10] = g->frame[11] = 0;	/* offloaded: left 0 */
	assert_int_equal(dec(&p, &o, g), DEC_OK);
	assert_int_equal(p.payload_len, strlen(hello));
	g->frame[0] = 0x35;	/* raw IP of version 3 */
	assert_int_equal(dec(&p, &o, g), DEC_NOTIP);
	/* options: NOP, NOP, router alert (4 bytes), EOL padding */
	n = ng_tcp_seg(g->l4, &t, NG_ACK | NG_PSH, 1000, 2000, hello,
	    strlen(hello));
	h = ip;
	memset(h, 0, 32);
	h[0] = 0x48;
	ng_put16(h + 2, (uint16_t)(32 + n));
	h[8] = 64;
	h[9] = 6;
	memcpy(h + 12, t.src, 4);
	memcpy(h + 16, t.dst, 4);
	h[20] = 1;
	h[21] = 1;
	h[22] = 148;
	h[23] = 4;
	memcpy(h + 32, g->l4, n);
	ng_put16(h + 10, ng_fold(ng_sum(0, h, 32)));
	assert_int_equal(decode_frame(&p, &o, LT_RAW, ip, (uint32_t)(32 + n),
	    (uint32_t)(32 + n)), DEC_OK);
	assert_tcp4(&p);
	h[23] = 40;		/* option longer than the header */
	ng_put16(h + 10, 0);
	ng_put16(h + 10, ng_fold(ng_sum(0, h, 32)));
	assert_int_equal(decode_frame(&p, &o, LT_RAW, ip, (uint32_t)(32 + n),
	    (uint32_t)(32 + n)), DEC_BAD);
	assert_string_equal(o.why, "ipv4_bad_opt");
}

/* An IPv6 packet whose payload is the extension headers in ext (each
 * 8 bytes, next header chained) and then a UDP datagram. */
static enum dec_result
ext_chain(struct ng *g, const uint8_t *types, size_t ntypes,
    struct pkt *p, struct dec_out *o)
{
	struct ng_tuple	 t;
	uint8_t		 pl[512];
	size_t		 i, n;

	ng_tuple6(&t, "2001:db8::1", 1000, "2001:db8::2", 53);
	n = ntypes * 8;
	for (i = 0; i < ntypes; i++) {
		memset(pl + i * 8, 0, 8);
		pl[i * 8] = i + 1 < ntypes ? types[i + 1] : 17;
		if (types[i] == 51)
			pl[i * 8 + 1] = 0;	/* AH: (0 + 2) * 4 = 8 */
	}
	n += ng_udp_dgram(pl + n, &t, hello, 4);
	ng_ip6_hdr(g, g->l3, &t, ntypes ? types[0] : 17, pl, n);
	ng_link(g, 6, g->l3, 40 + n);
	return dec(p, o, g);
}

static void
test_ipv6_chains(void **state)
{
	static const uint8_t	 ok[] = { 0, 60, 43, 51, 60 };
	static const uint8_t	 late_hbh[] = { 60, 0 };
	static const uint8_t	 eight[] = { 60, 60, 60, 60, 60, 60, 60, 60,
				    60 };
	struct ng		*g = *state;
	struct pkt		 p;
	struct dec_out		 o;

	ng_init(g, LT_EN10MB);
	assert_int_equal(ext_chain(g, ok, sizeof(ok), &p, &o), DEC_OK);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 4);
	assert_int_equal(ext_chain(g, late_hbh, 2, &p, &o), DEC_BAD);
	assert_string_equal(o.why, "ipv6_hbh_not_first");
	assert_int_equal(ext_chain(g, eight, 8, &p, &o), DEC_OK);
	assert_int_equal(ext_chain(g, eight, 9, &p, &o), DEC_BAD);
	assert_string_equal(o.why, "ipv6_ext_chain_long");
	/* an extension header longer than the packet */
	assert_int_equal(ext_chain(g, ok, 1, &p, &o), DEC_OK);
	g->frame[14 + 40 + 1] = 200;
	assert_int_equal(dec(&p, &o, g), DEC_BAD);
	assert_string_equal(o.why, "ipv6_ext_short");
	/* no next header */
	assert_int_equal(ext_chain(g, ok, 1, &p, &o), DEC_OK);
	g->frame[14 + 40] = 59;
	assert_int_equal(dec(&p, &o, g), DEC_OK);
	assert_int_equal(p.proto, 59);
	assert_int_equal(p.payload_len, 0);
}

static void
test_fragments(void **state)
{
	struct ng	*g = *state;
	struct ng_tuple	 t;
	struct pkt	 p;
	struct dec_out	 o;
	uint8_t		 pl[64];

	memset(pl, 'x', sizeof(pl));
	ng_init(g, LT_EN10MB);
	ng_tuple4(&t, "10.0.0.1", 1, "10.0.0.2", 2);
	ng_ip4_frag(g, &t, 17, 0x1234, pl, 16, 24, true);
	assert_int_equal(dec(&p, &o, g), DEC_FRAG);
	assert_int_equal(o.frag.id, 0x1234);
	assert_int_equal(o.frag.off, 16);
	assert_true(o.frag.more);
	assert_int_equal(o.frag.proto, 17);
	assert_int_equal(o.frag.len, 24);
	assert_int_equal(p.ipver, 4);
	assert_int_equal(p.sport, 0);		/* nothing below IP */
	/* a fragment cut by the capture cannot be reassembled */
	assert_int_equal(decode_frame(&p, &o, LT_EN10MB, g->frame,
	    (uint32_t)g->len - 3, (uint32_t)g->len), DEC_TRUNC);
	assert_string_equal(o.why, "frag_truncated");

	ng_tuple6(&t, "2001:db8::1", 1, "2001:db8::2", 2);
	ng_ip6_frag(g, &t, 6, 0xdeadbeef, pl, 8, 40, false);
	assert_int_equal(dec(&p, &o, g), DEC_FRAG);
	assert_int_equal(o.frag.id, 0xdeadbeef);
	assert_int_equal(o.frag.off, 8);
	assert_false(o.frag.more);
	assert_int_equal(o.frag.proto, 6);
	assert_int_equal(o.frag.len, 40);
	/* an atomic fragment is a whole packet (RFC 6946) */
	ng_udp_dgram(pl, &t, hello, 4);
	ng_ip6_frag(g, &t, 17, 7, pl, 0, 12, false);
	assert_int_equal(dec(&p, &o, g), DEC_OK);
	assert_int_equal(p.dport, 2);
	/* after reassembly a fragment header again is malformed */
	p.ipver = 6;
	assert_int_equal(decode_transport(&p, &o, 44, pl, 16), DEC_BAD);
	assert_string_equal(o.why, "ipv6_nested_frag");
	assert_int_equal(decode_transport(&p, &o, 17, pl, 12), DEC_OK);
	assert_int_equal(p.payload_len, 4);
}

/* Every prefix of a frame: with the capture saying it was cut, never
 * "malformed"; without, never read past (ASan watches a copy exactly the
 * prefix long). */
static void
prefixes(const struct ng *g)
{
	struct pkt	 p;
	struct dec_out	 o;
	enum dec_result	 r;
	uint8_t		*copy;
	size_t		 n;

	for (n = 0; n <= g->len; n++) {
		copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, g->frame, n);
		r = decode_frame(&p, &o, g->linktype, copy, (uint32_t)n,
		    (uint32_t)g->len);
		if (n < g->len && r == DEC_BAD)
			fail_msg("prefix %zu of %zu: %s", n, g->len, o.why);
		(void)decode_frame(&p, &o, g->linktype, copy, (uint32_t)n,
		    (uint32_t)n);
		free(copy);
	}
}

static void
test_every_prefix(void **state)
{
	static const int	 lts[] = { LT_EN10MB, LT_SLL, LT_SLL2, LT_RAW,
				    LT_NULL, LT_LOOP };
	static const uint8_t	 chain[] = { 0, 60 };
	struct ng		*g = *state;
	struct ng_tuple		 t4, t6;
	struct pkt		 p;
	struct dec_out		 o;
	size_t			 i;

	ng_tuple4(&t4, "10.0.0.1", 40000, "10.0.0.2", 80);
	ng_tuple6(&t6, "2001:db8::1", 40000, "2001:db8::2", 443);
	for (i = 0; i < sizeof(lts) / sizeof(lts[0]); i++) {
		ng_init(g, lts[i]);
		ng_tcp(g, &t4, NG_ACK, 1, 2, hello, strlen(hello));
		prefixes(g);
		ng_udp(g, &t6, hello, strlen(hello));
		prefixes(g);
		ng_ping(g, &t4, hello, 3);
		prefixes(g);
	}
	ng_init(g, LT_EN10MB);
	g->nvlan = 2;
	ng_tcp(g, &t6, NG_SYN, 1, 0, NULL, 0);
	prefixes(g);
	g->nvlan = 0;
	ext_chain(g, chain, 2, &p, &o);
	prefixes(g);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_link_types),
		T(test_null_families),
		T(test_vlan),
		T(test_arp_icmp),
		T(test_truncated_and_lies),
		T(test_ipv4_checks),
		T(test_ipv6_chains),
		T(test_fragments),
		T(test_every_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
