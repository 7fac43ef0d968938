/*
 * test_dns.c: DNS messages (agent/net/dns.c), built here byte by byte.
 *
 * A query and a response with one record of each type that has a text
 * form; compression (a pointer to the question, a chain of pointers up to
 * the hop limit and one past it); every way a name can be bad (a loop, a
 * pointer to itself, one past the end, an extended label type, a name of
 * 256 wire bytes straight and through pointers); every prefix of a valid
 * response; label bytes that are not printable (raw in dns.query, escaped
 * in rrname); answers past TXN_DNS_MAX_ANSWERS; a full scratch arena; and
 * the content probe over UDP and TCP.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dns.h"
#include "err.h"
#include "msgbuild.h"

static uint8_t	 arena[64 * 1024];

static struct scratch
fresh(void)
{
	struct scratch s = { arena, sizeof(arena), 0 };
	return s;
}

static void
hdr(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an)
{
	m->len = 0;
	mb_u16(m, id);
	mb_u16(m, flags);
	mb_u16(m, qd);
	mb_u16(m, an);
	mb_u16(m, 0);
	mb_u16(m, 0);
}

/* "www.example.com" as labels and the root byte. */
static void
name(struct mb *m, const char *dotted)
{
	const char	*dot;
	size_t		 l;

	while (*dotted != '\0') {
		dot = strchr(dotted, '.');
		l = dot ? (size_t)(dot - dotted) : strlen(dotted);
		mb_u8(m, (unsigned)l);
		mb_put(m, dotted, l);
		dotted += l + (dot != NULL);
	}
	mb_u8(m, 0);
}

static void
rr(struct mb *m, unsigned type, uint32_t ttl, const void *rd, size_t len)
{
	mb_u16(m, 0xc00c);		/* the question's name */
	mb_u16(m, type);
	mb_u16(m, 1);
	mb_u32(m, ttl);
	mb_u16(m, (unsigned)len);
	mb_put(m, rd, len);
}

static int
parse(const struct mb *m, struct txn *t)
{
	struct scratch s = fresh();

	memset(t, 0, sizeof(*t));
	return dns_parse(m->b, m->len, t, &s);
}

static void
assert_query(const struct txn *t, const char *q)
{
	assert_int_equal(t->len[NB_DNS_QUERY], strlen(q));
	assert_memory_equal(t->buf[NB_DNS_QUERY], q, strlen(q));
}

static void
test_query(void **state)
{
	struct mb	m;
	struct txn	t;

	hdr(&m, 0x1234, 0x0100, 1, 0);
	name(&m, "www.Example.com");
	mb_u16(&m, 28);
	mb_u16(&m, 1);
	assert_int_equal(parse(&m, &t), 0);
	assert_int_equal(t.app, APP_DNS);
	assert_int_equal(t.dns.id, 0x1234);
	assert_false(t.dns.response);
	assert_int_equal(t.dns.qtype, 28);
	assert_query(&t, "www.Example.com");
	assert_string_equal(t.dns.rrname, "www.Example.com");
	assert_int_equal(t.dns.nanswers, 0);
	assert_false(t.dns.truncated);
}

static void
test_root_and_no_question(void **state)
{
	struct mb	m;
	struct txn	t;

	hdr(&m, 1, 0, 1, 0);
	mb_u8(&m, 0);
	mb_u16(&m, 2);
	mb_u16(&m, 1);
	assert_int_equal(parse(&m, &t), 0);
	assert_null(t.buf[NB_DNS_QUERY]);
	assert_string_equal(t.dns.rrname, "");
	hdr(&m, 1, 0x8183, 0, 0);
	assert_int_equal(parse(&m, &t), 0);
	assert_true(t.dns.response);
	assert_int_equal(t.dns.rcode, 3);
	assert_null(t.dns.rrname);
	assert_null(t.buf[NB_DNS_QUERY]);
}

static void
test_answers(void **state)
{
	static const uint8_t a4[4] = { 192, 0, 2, 7 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct mb	 m, rd;
	struct txn	 t;

	hdr(&m, 7, 0x8180, 1, 10);
	name(&m, "example.com");
	mb_u16(&m, 255);
	mb_u16(&m, 1);
	rr(&m, 1, 300, a4, 4);
	rr(&m, 28, 301, a6, 16);
	rd.len = 0;
	mb_u8(&rd, 3);
	mb_str(&rd, "www");
	mb_u16(&rd, 0xc00c);		/* www + pointer */
	rr(&m, 5, 1, rd.b, rd.len);
	rd.len = 0;
	mb_u16(&rd, 10);
	name(&rd, "mail.example.net");
	rr(&m, 15, 1, rd.b, rd.len);
	rd.len = 0;
	name(&rd, "ns1.example.com");
	rr(&m, 2, 1, rd.b, rd.len);
	rr(&m, 12, 1, rd.b, rd.len);
	rd.len = 0;
	mb_u8(&rd, 5);
	mb_str(&rd, "v=spf");
	mb_u8(&rd, 3);
	mb_str(&rd, "a\\b");
	rr(&m, 16, 1, rd.b, rd.len);
	rd.len = 0;
	name(&rd, "ns.example.com");
	mb_u16(&rd, 0xc00c);
	mb_u32(&rd, 2024010101);
	mb_u32(&rd, 7200);
	mb_u32(&rd, 3600);
	mb_u32(&rd, 1209600);
	mb_u32(&rd, 300);
	rr(&m, 6, 1, rd.b, rd.len);
	rr(&m, 99, 5, "xyz", 3);
	rr(&m, 1, 5, a6, 16);		/* an A of 16 bytes: no text */
	assert_int_equal(parse(&m, &t), 0);
	assert_true(t.dns.response);
	assert_int_equal(t.dns.nanswers, 11);
	assert_false(t.dns.truncated);
	assert_string_equal(t.dns.answers[0].rrname, "example.com");
	assert_int_equal(t.dns.answers[0].ttl, 300);
	assert_string_equal(t.dns.answers[0].rdata, "192.0.2.7");
	assert_int_equal(t.dns.answers[1].rrtype, 28);
	assert_string_equal(t.dns.answers[1].rdata, "2001:db8::1");
	assert_string_equal(t.dns.answers[2].rdata, "www.example.com");
	assert_string_equal(t.dns.answers[3].rdata, "mail.example.net");
	assert_string_equal(t.dns.answers[4].rdata, "ns1.example.com");
	assert_string_equal(t.dns.answers[5].rdata, "ns1.example.com");
	assert_int_equal(t.dns.answers[6].rrtype, 16);
	assert_string_equal(t.dns.answers[6].rdata, "v=spf");
	assert_string_equal(t.dns.answers[7].rdata, "a\\\\b");
	assert_string_equal(t.dns.answers[8].rdata, "ns.example.com "
	    "example.com 2024010101 7200 3600 1209600 300");
	assert_int_equal(t.dns.answers[9].rrtype, 99);
	assert_null(t.dns.answers[9].rdata);
	assert_string_equal(t.dns.answers[9].rrname, "example.com");
	assert_null(t.dns.answers[10].rdata);
}

static void
test_bad_rdata_names(void **state)
{
	struct mb	m;
	struct txn	t;
	uint8_t		rd[4] = { 3, 'w', 'w', 'w' };	/* no end */

	hdr(&m, 7, 0x8180, 1, 1);
	name(&m, "example.com");
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	rr(&m, 5, 1, rd, sizeof(rd));
	mb_u8(&m, 0);		/* the name ends, but after its rdata */
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
	hdr(&m, 7, 0x8180, 1, 1);
	name(&m, "example.com");
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	rr(&m, 15, 1, rd, 1);	/* MX without its preference */
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
}

static void
test_loops_and_pointers(void **state)
{
	struct mb	m;
	struct txn	t;

	/* a pointer to itself */
	hdr(&m, 1, 0, 1, 0);
	mb_u16(&m, 0xc00c);
	mb_u32(&m, 0x00010001);
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
	/* a label, then a pointer back to it: a loop through a label */
	hdr(&m, 1, 0, 1, 0);
	mb_u8(&m, 1);
	mb_str(&m, "a");
	mb_u16(&m, 0xc00c);
	mb_u32(&m, 0x00010001);
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
	/* two pointers to each other */
	hdr(&m, 1, 0, 1, 0);
	mb_u16(&m, 0xc00e);
	mb_u16(&m, 0xc00c);
	mb_u32(&m, 0x00010001);
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
	/* a pointer past the end, and one to the very end */
	hdr(&m, 1, 0, 1, 0);
	mb_u16(&m, 0xc000 | 0x3fff);
	mb_u32(&m, 0x00010001);
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
	hdr(&m, 1, 0, 1, 0);
	mb_u16(&m, 0xc000 | 18);
	mb_u32(&m, 0x00010001);
	assert_int_equal(m.len, 18);
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
	/* extended label types 01 and 10 */
	hdr(&m, 1, 0, 1, 0);
	mb_u8(&m, 0x41);
	mb_u8(&m, 0);
	mb_u32(&m, 0x00010001);
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
	m.b[12] = 0x81;
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
}

/*
 * A question that reaches "a.b" through hops pointers: the question is a
 * pointer to the last link of a chain of hops - 1 pointers laid after
 * it, each to the one before, the first to the name.
 */
static void
pointer_chain(struct mb *m, unsigned hops)
{
	const size_t	target = 12 + 2 + 4, chain = target + 5;
	unsigned	i, k = hops - 1;

	hdr(m, 1, 0, 1, 0);
	mb_u16(m, 0xc000 | (unsigned)(chain + 2 * (k - 1)));
	mb_u32(m, 0x00010001);
	name(m, "a.b");
	for (i = 0; i < k; i++)
		mb_u16(m, 0xc000 | (unsigned)(i == 0 ? target :
		    chain + 2 * (i - 1)));
}

static void
test_hop_limit(void **state)
{
	struct mb	m;
	struct txn	t;

	pointer_chain(&m, 2);
	assert_int_equal(parse(&m, &t), 0);
	assert_query(&t, "a.b");
	pointer_chain(&m, 64);
	assert_int_equal(parse(&m, &t), 0);
	assert_query(&t, "a.b");
	pointer_chain(&m, 65);
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
}

static void
long_name(struct mb *m, unsigned last)
{
	unsigned	i;

	hdr(m, 1, 0, 1, 0);
	for (i = 0; i < 3; i++) {
		mb_u8(m, 63);
		memset(m->b + m->len, 'a' + (int)i, 63);
		m->len += 63;
	}
	mb_u8(m, last);
	memset(m->b + m->len, 'z', last);
	m->len += last;
	mb_u8(m, 0);
	mb_u32(m, 0x00010001);
}

static void
long_ptr_name(struct mb *m, unsigned last)
{
	long_name(m, 0);
	m->len -= 2 + 4;		/* the empty label, root, type */
	mb_u16(m, 0xc000 | (unsigned)(m->len + 2 + 4));
	mb_u32(m, 0x00010001);
	mb_u8(m, last);
	memset(m->b + m->len, 'z', last);
	m->len += last;
	mb_u8(m, 0);
}

static void
test_name_length(void **state)
{
	struct mb	m;
	struct txn	t;

	long_name(&m, 61);		/* 255 bytes on the wire */
	assert_int_equal(parse(&m, &t), 0);
	assert_int_equal(t.len[NB_DNS_QUERY], 253);
	assert_int_equal(strlen(t.dns.rrname), 253);
	long_name(&m, 62);		/* 256 */
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
	/* through a pointer: 3 x 63-byte labels, then a pointer to a
	 * label after the question */
	long_ptr_name(&m, 62);
	assert_int_equal(parse(&m, &t), ERR_MALFORMED);
	long_ptr_name(&m, 61);
	assert_int_equal(parse(&m, &t), 0);
	assert_int_equal(t.len[NB_DNS_QUERY], 253);
	assert_memory_equal(t.buf[NB_DNS_QUERY] + 192, "zzz", 3);
}

static void
test_prefixes(void **state)
{
	static const uint8_t a4[4] = { 10, 0, 0, 1 };
	struct mb	 m, rd;
	struct txn	 t;
	struct scratch	 s;
	size_t		 n;

	hdr(&m, 9, 0x8180, 1, 3);
	name(&m, "a.example");
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	rr(&m, 1, 60, a4, 4);
	rd.len = 0;
	name(&rd, "b.example");
	rr(&m, 5, 60, rd.b, rd.len);
	rd.len = 0;
	mb_u8(&rd, 2);
	mb_str(&rd, "hi");
	rr(&m, 16, 60, rd.b, rd.len);
	assert_int_equal(parse(&m, &t), 0);
	assert_int_equal(t.dns.nanswers, 3);
	for (n = 0; n < m.len; n++) {
		s = fresh();
		memset(&t, 0, sizeof(t));
		assert_int_equal(dns_parse(m.b, n, &t, &s), ERR_MALFORMED);
	}
}

static void
test_odd_labels(void **state)
{
	static const uint8_t q[] = { 3, 'a', 0, 'b', 3, 'x', '.', 'y',
	    2, 0xff, '\\', 0 };
	struct mb	m;
	struct txn	t;

	hdr(&m, 1, 0, 1, 0);
	mb_put(&m, q, sizeof(q));
	mb_u32(&m, 0x00010001);
	assert_int_equal(parse(&m, &t), 0);
	assert_int_equal(t.len[NB_DNS_QUERY], 10);
	assert_memory_equal(t.buf[NB_DNS_QUERY], "a\0b.x.y.\xff\\", 10);
	assert_string_equal(t.dns.rrname, "a\\x00b.x.y.\\xff\\\\");
}

static void
test_many_answers(void **state)
{
	static const uint8_t a4[4] = { 10, 0, 0, 1 };
	struct mb	m;
	struct txn	t;
	unsigned	i;

	hdr(&m, 1, 0x8180, 1, 20);
	name(&m, "x.example");
	mb_u32(&m, 0x00010001);
	for (i = 0; i < 20; i++)
		rr(&m, 1, i, a4, 4);
	assert_int_equal(parse(&m, &t), 0);
	assert_int_equal(t.dns.nanswers, TXN_DNS_MAX_ANSWERS);
	assert_true(t.dns.truncated);
	assert_int_equal(t.dns.answers[15].ttl, 15);
	/* a TXT of many strings fills the slots too */
	hdr(&m, 1, 0x8180, 1, 1);
	name(&m, "x.example");
	mb_u32(&m, 0x00010001);
	{
		struct mb rd = { .len = 0 };

		for (i = 0; i < 20; i++) {
			mb_u8(&rd, 1);
			mb_u8(&rd, 'a' + i);
		}
		rr(&m, 16, 1, rd.b, rd.len);
	}
	assert_int_equal(parse(&m, &t), 0);
	assert_int_equal(t.dns.nanswers, TXN_DNS_MAX_ANSWERS);
	assert_true(t.dns.truncated);
	assert_string_equal(t.dns.answers[15].rdata, "p");
}

static void
test_scratch_full(void **state)
{
	struct mb	m;
	struct txn	t;
	uint8_t		small[8];
	struct scratch	s = { small, sizeof(small), 0 };

	hdr(&m, 1, 0, 1, 0);
	name(&m, "www.example.com");
	mb_u32(&m, 0x00010001);
	memset(&t, 0, sizeof(t));
	assert_int_equal(dns_parse(m.b, m.len, &t, &s), ERR_NOMEM);
	assert_true(s.used <= s.cap);
}

static void
test_probe(void **state)
{
	struct mb	m, tcp;

	hdr(&m, 0xabcd, 0x0100, 1, 0);
	name(&m, "example.org");
	mb_u32(&m, 0x00010001);
	assert_true(dns_probe(m.b, m.len, false));
	tcp.len = 0;
	mb_u16(&tcp, (unsigned)m.len);
	mb_put(&tcp, m.b, m.len);
	assert_true(dns_probe(tcp.b, tcp.len, true));
	assert_true(dns_probe(tcp.b, 2 + 12, true));	/* header only */
	assert_false(dns_probe(tcp.b, 1, true));
	assert_false(dns_probe(m.b, m.len, true));	/* no length */
	assert_false(dns_probe((const uint8_t *)"GET / HTTP/1.1\r\n\r\n",
	    18, false));
	hdr(&m, 1, 0x0100, 0, 0);		/* a query without question */
	assert_false(dns_probe(m.b, m.len, false));
	hdr(&m, 1, 0x8181, 0, 0);		/* FORMERR: bare header */
	assert_true(dns_probe(m.b, m.len, false));
	mb_u32(&m, 0);
	assert_false(dns_probe(m.b, m.len, false));
	hdr(&m, 1, 0x0100, 1, 0);
	mb_u16(&m, 0xc00c);			/* a loop */
	mb_u32(&m, 0x00010001);
	assert_false(dns_probe(m.b, m.len, false));
	assert_false(dns_probe(m.b, 5, false));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_root_and_no_question),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_bad_rdata_names),
		cmocka_unit_test(test_loops_and_pointers),
		cmocka_unit_test(test_hop_limit),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_odd_labels),
		cmocka_unit_test(test_many_answers),
		cmocka_unit_test(test_scratch_full),
		cmocka_unit_test(test_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
