/*
 * test_tls.c: the TLS ClientHello (agent/net/tls.c).
 *
 * The hello is the one of the JA4 specification's example (FoxIO,
 * technical_details/JA4.md: 15 ciphers, 16 extensions, h2, eight
 * signature algorithms), with Chrome's GREASE values added: its JA4 must
 * be the published "t13d1516h2_8daaf6152771_e5627efa2ab1", and without
 * signature algorithms the published c part "6d807ffa2a79". The JA3
 * string and hash are those tests/tls_fingerprints.py computes over the
 * same construction. Then: the same hello without GREASE gives the same
 * fingerprints; split into records of every size from 1 byte (the
 * handshake header split too); every prefix of the stream is ERR_AGAIN;
 * the ALPN rules of the spec; an old hello without extensions; each
 * malformed field; the size limit; the probe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "err.h"
#include "msgbuild.h"
#include "tls.h"

#define JA4_SPEC	"t13d1516h2_8daaf6152771_e5627efa2ab1"
#define JA4_NOSIGS	"t13d1516h2_8daaf6152771_6d807ffa2a79"
#define JA3_HASH	"c000e2caf3a25423f9de6c8a4b12a975"
#define JA3_STRING	"771,4865-4866-4867-49195-49199-49196-49200-52393-" \
			"52392-49171-49172-156-157-47-53,27-0-51-16-17513-23-" \
			"45-13-5-35-18-43-65281-11-10-21,29-23-24,0"

static const uint16_t spec_ciphers[] = {
	0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
	0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};
static const uint16_t spec_sigs[] = {
	0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
};

struct hopts {
	bool		 grease;
	bool		 sigs;
	bool		 no_exts;
	const uint8_t	*alpn;		/* one ALPN value; NULL: h2, http/1.1 */
	size_t		 alpn_len;
};

static uint8_t		arena[TLS_SCRATCH_NEED];
static struct mb	msg, stream, ext;

static void
ext_add(struct mb *m, unsigned type, const struct mb *d)
{
	mb_u16(m, type);
	mb_u16(m, (unsigned)d->len);
	mb_put(m, d->b, d->len);
}

static void
list16(struct mb *d, unsigned lenbytes, const uint16_t *v, size_t n,
    unsigned grease)
{
	size_t	i;

	d->len = 0;
	if (lenbytes == 1)
		mb_u8(d, (unsigned)(2 * (n + (grease != 0))));
	else
		mb_u16(d, (unsigned)(2 * (n + (grease != 0))));
	if (grease != 0)
		mb_u16(d, grease);
	for (i = 0; i < n; i++)
		mb_u16(d, v[i]);
}

static void
hello_exts(struct mb *m, const struct hopts *o)
{
	static const uint16_t groups[] = { 0x001d, 0x0017, 0x0018 };
	static const uint16_t vers[] = { 0x0304, 0x0303 };
	static const char sni[] = "www.Example.com";

	if (o->grease)
		mb_u32(m, 0x0a0a0000);
	ext.len = 0; mb_u8(&ext, 2); mb_u16(&ext, 2);
	ext_add(m, 0x001b, &ext);
	ext.len = 0; mb_u16(&ext, sizeof(sni) + 2); mb_u8(&ext, 0);
	mb_u16(&ext, sizeof(sni) - 1); mb_str(&ext, sni);
	ext_add(m, 0x0000, &ext);
	ext.len = 0; mb_u16(&ext, o->grease ? 5 + 36 : 36);
	if (o->grease) {
		mb_u16(&ext, 0x2a2a); mb_u16(&ext, 1); mb_u8(&ext, 0);
	}
	mb_u16(&ext, 0x001d); mb_u16(&ext, 32);
	memset(ext.b + ext.len, 0x33, 32); ext.len += 32;
	ext_add(m, 0x0033, &ext);
	ext.len = 0;
	if (o->alpn == NULL) {
		mb_u16(&ext, 12); mb_u8(&ext, 2); mb_str(&ext, "h2");
		mb_u8(&ext, 8); mb_str(&ext, "http/1.1");
	} else {
		mb_u16(&ext, (unsigned)o->alpn_len + 1);
		mb_u8(&ext, (unsigned)o->alpn_len);
		mb_put(&ext, o->alpn, o->alpn_len);
	}
	ext_add(m, 0x0010, &ext);
	ext.len = 0; mb_u16(&ext, 3); mb_u8(&ext, 2); mb_str(&ext, "h2");
	ext_add(m, 0x4469, &ext);
	mb_u32(m, 0x00170000);
	ext.len = 0; mb_u16(&ext, 0x0101);
	ext_add(m, 0x002d, &ext);
	list16(&ext, 2, spec_sigs, o->sigs ? 8 : 0, 0);
	ext_add(m, 0x000d, &ext);
	ext.len = 0; mb_u8(&ext, 1); mb_u32(&ext, 0);
	ext_add(m, 0x0005, &ext);
	mb_u32(m, 0x00230000);
	mb_u32(m, 0x00120000);
	list16(&ext, 1, vers, 2, o->grease ? 0x3a3a : 0);
	ext_add(m, 0x002b, &ext);
	ext.len = 0; mb_u8(&ext, 0);
	ext_add(m, 0xff01, &ext);
	ext.len = 0; mb_u8(&ext, 1); mb_u8(&ext, 0);
	ext_add(m, 0x000b, &ext);
	list16(&ext, 2, groups, 3, o->grease ? 0x2a2a : 0);
	ext_add(m, 0x000a, &ext);
	ext.len = 0; memset(ext.b, 0, 7); ext.len = 7;
	ext_add(m, 0x0015, &ext);
	if (o->grease) {
		ext.len = 0; mb_u8(&ext, 0);
		ext_add(m, 0x1a1a, &ext);
	}
}

/* The handshake message into msg. */
static void
hello(const struct hopts *o)
{
	size_t	hs, el, i;

	msg.len = 0;
	mb_u8(&msg, 1);
	hs = msg.len;
	mb_u24(&msg, 0);
	mb_u16(&msg, 0x0303);
	memset(msg.b + msg.len, 0x11, 32); msg.len += 32;
	mb_u8(&msg, 32);
	memset(msg.b + msg.len, 0x22, 32); msg.len += 32;
	mb_u16(&msg, 2 * (15 + o->grease));
	if (o->grease)
		mb_u16(&msg, 0x0a0a);
	for (i = 0; i < 15; i++)
		mb_u16(&msg, spec_ciphers[i]);
	mb_u16(&msg, 0x0100);
	if (!o->no_exts) {
		el = msg.len;
		mb_u16(&msg, 0);
		hello_exts(&msg, o);
		mb_patch(&msg, el, 2, msg.len - el - 2);
	}
	mb_patch(&msg, hs, 3, msg.len - hs - 3);
}

/* msg in records of at most frag bytes into stream. */
static void
records(size_t frag)
{
	size_t	off, n;

	stream.len = 0;
	for (off = 0; off < msg.len; off += n) {
		n = msg.len - off < frag ? msg.len - off : frag;
		mb_u8(&stream, 22);
		mb_u16(&stream, 0x0301);
		mb_u16(&stream, (unsigned)n);
		mb_put(&stream, msg.b + off, n);
	}
}

static int
parse(const uint8_t *p, size_t len, struct txn *t)
{
	struct scratch	s = { arena, sizeof(arena), 0 };

	memset(t, 0, sizeof(*t));
	return tls_parse_clienthello(p, len, t, &s);
}

static void
assert_spec(const struct txn *t, const char *ja4)
{
	assert_int_equal(t->app, APP_TLS);
	assert_int_equal(t->tls.version, 0x0303);
	assert_string_equal(t->tls.sni, "www.Example.com");
	assert_int_equal(t->len[NB_TLS_SNI], 15);
	assert_memory_equal(t->buf[NB_TLS_SNI], "www.Example.com", 15);
	assert_string_equal(t->tls.ja3_string, JA3_STRING);
	assert_string_equal(t->tls.ja3, JA3_HASH);
	assert_string_equal(t->tls.ja4, ja4);
}

static void
test_spec_example(void **state)
{
	struct hopts	o = { .grease = true, .sigs = true };
	struct txn	t;

	hello(&o);
	records(16384);
	assert_int_equal(parse(stream.b, stream.len, &t), 0);
	assert_spec(&t, JA4_SPEC);
	o.grease = false;		/* GREASE changes nothing */
	hello(&o);
	records(16384);
	assert_int_equal(parse(stream.b, stream.len, &t), 0);
	assert_spec(&t, JA4_SPEC);
	o.sigs = false;			/* the spec's hash without them */
	hello(&o);
	records(16384);
	assert_int_equal(parse(stream.b, stream.len, &t), 0);
	assert_spec(&t, JA4_NOSIGS);
}

static void
test_records(void **state)
{
	struct hopts	o = { .grease = true, .sigs = true };
	struct txn	t;
	size_t		frag;

	hello(&o);
	for (frag = 1; frag <= msg.len; frag++) {
		records(frag);
		/* what follows the hello (the next record) is not read */
		mb_u32(&stream, 0x14030300);
		assert_int_equal(parse(stream.b, stream.len, &t), 0);
		assert_spec(&t, JA4_SPEC);
	}
}

static void
test_prefixes(void **state)
{
	struct hopts	o = { .grease = true, .sigs = true };
	struct txn	t;
	size_t		frag, n;
	static const size_t frags[] = { 16384, 100, 7, 3, 1 };

	hello(&o);
	for (frag = 0; frag < sizeof(frags) / sizeof(frags[0]); frag++) {
		records(frags[frag]);
		for (n = 0; n < stream.len; n++)
			assert_int_equal(parse(stream.b, n, &t), ERR_AGAIN);
		assert_int_equal(parse(stream.b, n, &t), 0);
	}
}

static void
ja4_alpn_is(const uint8_t *v, size_t n, const char *want)
{
	struct hopts	o = { .sigs = true, .alpn = v, .alpn_len = n };
	struct txn	t;

	hello(&o);
	records(16384);
	assert_int_equal(parse(stream.b, stream.len, &t), 0);
	assert_memory_equal(t.tls.ja4 + 8, want, 2);
}

static void
test_alpn(void **state)
{
	ja4_alpn_is((const uint8_t *)"http/1.1", 8, "h1");
	ja4_alpn_is((const uint8_t *)"b", 1, "bb");
	ja4_alpn_is((const uint8_t *)"\xab", 1, "ab");
	ja4_alpn_is((const uint8_t *)"\xab\xcd", 2, "ad");
	ja4_alpn_is((const uint8_t *)"\x30\xab", 2, "3b");
	ja4_alpn_is((const uint8_t *)"\x30\x31\xab\xcd", 4, "3d");
	ja4_alpn_is((const uint8_t *)"\x30\xab\xcd\x31", 4, "01");
	ja4_alpn_is((const uint8_t *)" ", 1, "20");
	ja4_alpn_is((const uint8_t *)"\x61\x20", 2, "60");
	ja4_alpn_is((const uint8_t *)"", 0, "00");
	ja4_alpn_is((const uint8_t *)"\x2a\x2a", 2, "00");	/* GREASE */
}

static void
test_no_extensions(void **state)
{
	struct hopts	o = { .no_exts = true };
	struct txn	t;

	hello(&o);
	records(16384);
	assert_int_equal(parse(stream.b, stream.len, &t), 0);
	assert_null(t.tls.sni);
	assert_null(t.buf[NB_TLS_SNI]);
	assert_string_equal(t.tls.ja4,
	    "t12i150000_8daaf6152771_000000000000");
	assert_string_equal(t.tls.ja3_string, "771,4865-4866-4867-49195-"
	    "49199-49196-49200-52393-52392-49171-49172-156-157-47-53,,,");
}

/* The hello with byte off of the handshake message set to v. */
static int
poke(size_t off, uint8_t v)
{
	struct hopts	o = { .grease = true, .sigs = true };
	struct txn	t;

	hello(&o);
	msg.b[off] = v;
	records(16384);
	return parse(stream.b, stream.len, &t);
}

static void
test_malformed(void **state)
{
	struct txn	t;
	const size_t	sid = 4 + 2 + 32, ciphers = sid + 33;
	const size_t	exts = ciphers + 2 + 32 + 2;
	uint8_t		elen;

	assert_int_equal(poke(0, 2), ERR_MALFORMED);	/* ServerHello */
	assert_int_equal(poke(sid, 33), ERR_MALFORMED);
	assert_int_equal(poke(ciphers + 1, 31), ERR_MALFORMED);	/* odd */
	assert_int_equal(poke(ciphers + 2 + 32, 0), ERR_MALFORMED);
	hello(&(struct hopts){ .grease = true, .sigs = true });
	elen = msg.b[exts + 1];
	assert_int_equal(poke(exts + 1, elen + 1), ERR_MALFORMED);
	assert_int_equal(poke(exts + 1, elen - 1), ERR_MALFORMED);
	assert_int_equal(poke(exts + 1, elen), 0);
	/* the last extension (GREASE, one byte) says it has two: past the
	 * block; an SNI list longer than its extension */
	hello(&(struct hopts){ .grease = true, .sigs = true });
	assert_int_equal(poke(msg.len - 2, 2), ERR_MALFORMED);
	assert_int_equal(poke(exts + 2 + 4 + 5 + 4 + 1, 18), ERR_MALFORMED);
	/* the handshake length past TLS_CH_MAX */
	assert_int_equal(poke(1, 1), ERR_TOOBIG);
	/* records: not a handshake, not 3.x, too long */
	hello(&(struct hopts){ .sigs = true });
	records(16384);
	stream.b[0] = 23;
	assert_int_equal(parse(stream.b, stream.len, &t), ERR_MALFORMED);
	assert_int_equal(parse(stream.b, 1, &t), ERR_MALFORMED);
	stream.b[0] = 22;
	stream.b[1] = 2;
	assert_int_equal(parse(stream.b, 2, &t), ERR_MALFORMED);
	stream.b[1] = 3;
	stream.b[3] = 0x48;
	stream.b[4] = 0x01;
	assert_int_equal(parse(stream.b, stream.len, &t), ERR_MALFORMED);
}

static void
test_scratch_full(void **state)
{
	struct hopts	o = { .grease = true, .sigs = true };
	struct txn	t;
	struct scratch	s = { arena, 0, 0 };
	size_t		cap;

	hello(&o);
	records(16384);
	/* every arena smaller than what the hello needs fails cleanly */
	for (cap = 0; cap < 2048; cap += 7) {
		s.cap = cap;
		s.used = 0;
		memset(&t, 0, sizeof(t));
		if (tls_parse_clienthello(stream.b, stream.len, &t, &s) == 0)
			break;
		assert_true(s.used <= s.cap);
	}
	assert_true(cap < 2048);
	assert_string_equal(t.tls.ja4, JA4_SPEC);
}

static void
test_probe(void **state)
{
	assert_true(tls_probe((const uint8_t *)"\x16\x03\x01\x02\x00", 5));
	assert_true(tls_probe((const uint8_t *)"\x16\x03\x03", 3));
	assert_false(tls_probe((const uint8_t *)"\x16\x03", 2));
	assert_false(tls_probe((const uint8_t *)"\x17\x03\x03\x00\x10", 5));
	assert_false(tls_probe((const uint8_t *)"\x16\x03\x01\xff\xff", 5));
	assert_false(tls_probe((const uint8_t *)"GET / HTTP/1.1", 14));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_alpn),
		cmocka_unit_test(test_no_extensions),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_scratch_full),
		cmocka_unit_test(test_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
