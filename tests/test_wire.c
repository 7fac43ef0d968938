/*
 * test_wire.c: the vigil wire protocol (common/wire.c).
 *
 * Record headers are checked for every type at its exact size, one byte
 * either side, length 0 and the WIRE_MAX_RECORD edge. Handshake payloads
 * round-trip and refuse bad kinds, tokens, padding and text. Cookie
 * replies open only under their key and for their HS_INIT, and any
 * changed byte fails; the cookie MAC is BLAKE2b-128. wire_text_valid
 * is checked against a table of valid and invalid UTF-8. EVENTS messages
 * round-trip for 1 and 4096 events, raw and zstd; every way a decoder can
 * be lied to (counts, sizes, frame content size, truncation, trailing
 * bytes, sequence numbers) is refused. ACK and HEARTBEAT likewise. The
 * channel is checked end to end between two chans: many frames, forgery,
 * replay, reordering, call order, rekeying every CHAN_REKEY_FRAMES frames
 * (against a bare libsodium pull state as the model of which frame carries
 * which tag), and a raw secretstream sender that never rekeys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "buf.h"
#include "err.h"
#include "wire.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define ABYTES		crypto_secretstream_xchacha20poly1305_ABYTES
#define TAG_MESSAGE	crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_REKEY	crypto_secretstream_xchacha20poly1305_TAG_REKEY
#define TAG_PUSH	crypto_secretstream_xchacha20poly1305_TAG_PUSH
#define TAG_FINAL	crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define EVENTS_HDR	10	/* u8 type | u8 flags | u32 count | u32 rawlen */

/* Offsets in the fixed handshake payloads (docs/protocol.md). */
#define INIT_TOKEN	9
#define INIT_VERSION	25
#define RESP_ID		1
#define RESP_NAME	17
#define RESP_OFFICE	81

/* ---- helpers ---- */

static void
put_hdr(uint8_t h[static WIRE_HDR_LEN], uint32_t len, uint8_t type)
{
	h[0] = (uint8_t)(len >> 24);
	h[1] = (uint8_t)(len >> 16);
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
	h[4] = type;
}

/* wire_record_header on a header saying len and type. */
static int
header(uint32_t len, uint8_t type, uint8_t *t, size_t *body)
{
	uint8_t	h[WIRE_HDR_LEN];

	put_hdr(h, len, type);
	*t = 0xee;
	*body = 0xeeee;
	return wire_record_header(h, t, body);
}

/* What the callback saw. */
struct seen {
	size_t		 n;
	size_t		 stop_at;	/* return 'stop' on this call (1-based) */
	int		 stop;
	uint64_t	 seq[WIRE_MAX_BATCH_EVENTS];
	char		*json[WIRE_MAX_BATCH_EVENTS];
	size_t		 len[WIRE_MAX_BATCH_EVENTS];
};

static int
collect(void *arg, uint64_t seq, const char *json, size_t len)
{
	struct seen	*s = arg;

	assert_true(s->n < WIRE_MAX_BATCH_EVENTS);
	s->seq[s->n] = seq;
	s->len[s->n] = len;
	assert_non_null(s->json[s->n] = malloc(len + 1));
	if (len > 0)
		memcpy(s->json[s->n], json, len);
	s->json[s->n][len] = '\0';
	s->n++;
	if (s->stop_at != 0 && s->n == s->stop_at)
		return s->stop;
	return 0;
}

static struct seen *
seen_new(void)
{
	struct seen	*s;

	assert_non_null(s = calloc(1, sizeof(*s)));
	return s;
}

static void
seen_free(struct seen *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->json[i]);
	free(s);
}

/* Decode msg into a fresh struct seen; returns the decoder's result. */
static int
decode(const uint8_t *msg, size_t len, struct seen **out)
{
	struct wbuf	 scratch;
	int		 rc;

	wbuf_init(&scratch, 0);
	*out = seen_new();
	rc = wire_events_decode(msg, len, &scratch, collect, *out);
	wbuf_free(&scratch);
	return rc;
}

static int
decode_rc(const uint8_t *msg, size_t len)
{
	struct seen	*s;
	int		 rc;

	rc = decode(msg, len, &s);
	seen_free(s);
	return rc;
}

/* n test events with seqs first, first + step, ...; JSON texts live in
 * *texts (free with free_events). */
static struct wire_event *
make_events(size_t n, uint64_t first, uint64_t step)
{
	struct wire_event	*evs;
	char			*t;
	size_t			 i;
	int			 len;

	assert_non_null(evs = calloc(n ? n : 1, sizeof(*evs)));
	for (i = 0; i < n; i++) {
		assert_non_null(t = malloc(160));
		len = snprintf(t, 160, "{\"timestamp\":\"2026-11-25T11:30:17."
		    "%06zu+0000\",\"event_type\":\"test\",\"test\":{\"n\":%zu}}",
		    i % 1000000, i);
		assert_true(len > 0 && len < 160);
		evs[i].seq = first + i * step;
		evs[i].json = t;
		evs[i].len = (size_t)len;
	}
	return evs;
}

static void
free_events(struct wire_event *evs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free((char *)(uintptr_t)evs[i].json);
	free(evs);
}

/* An EVENTS message with the given header and payload. */
static void
put_events(struct wbuf *w, uint8_t flags, uint32_t count, uint32_t rawlen,
    const void *payload, size_t plen)
{
	wbuf_reset(w);
	assert_int_equal(wbuf_u8(w, WIRE_MSG_EVENTS), 0);
	assert_int_equal(wbuf_u8(w, flags), 0);
	assert_int_equal(wbuf_u32(w, count), 0);
	assert_int_equal(wbuf_u32(w, rawlen), 0);
	assert_int_equal(wbuf_bytes(w, payload, plen), 0);
}

static void
put_entry(struct wbuf *w, uint64_t seq, const char *json)
{
	assert_int_equal(wbuf_u64(w, seq), 0);
	assert_int_equal(wbuf_u32(w, (uint32_t)strlen(json)), 0);
	assert_int_equal(wbuf_bytes(w, json, strlen(json)), 0);
}

/* zstd frame of src; content size recorded unless nosize. */
static void
zframe(struct wbuf *out, const uint8_t *src, size_t len, int nosize)
{
	ZSTD_CCtx	*cc;
	size_t		 bound = ZSTD_compressBound(len), n;

	wbuf_reset(out);
	assert_int_equal(wbuf_reserve(out, bound), 0);
	assert_non_null(cc = ZSTD_createCCtx());
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc,
	    ZSTD_c_contentSizeFlag, nosize ? 0 : 1)));
	n = ZSTD_compress2(cc, out->p, bound, src, len);
	assert_false(ZSTD_isError(n));
	out->len = n;
	ZSTD_freeCCtx(cc);
}

/* ---- cookies ---- */

static void
test_cookie_seal_open(void **state)
{
	uint8_t	pub[KEY_LEN], pub2[KEY_LEN], key[32], key2[32];
	uint8_t	init[WIRE_HS_INIT_LEN], nonce[WIRE_COOKIE_NONCE_LEN];
	uint8_t	cookie[WIRE_COOKIE_LEN], got[WIRE_COOKIE_LEN];
	uint8_t	body[WIRE_COOKIE_REPLY_LEN], again[WIRE_COOKIE_REPLY_LEN];
	size_t	i;

	(void)state;
	randombytes_buf(pub, sizeof(pub));
	memcpy(pub2, pub, sizeof(pub2));
	pub2[31] ^= 1;
	wire_cookie_key(key, pub);
	wire_cookie_key(key2, pub2);
	assert_memory_not_equal(key, key2, 32);
	wire_cookie_key(again, pub);		/* deterministic */
	assert_memory_equal(again, key, 32);
	randombytes_buf(init, sizeof(init));
	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(cookie, sizeof(cookie));
	wire_cookie_seal(body, key, cookie, init, nonce);
	assert_memory_equal(body, nonce, sizeof(nonce));
	/* the cookie does not show */
	for (i = 0; i + WIRE_COOKIE_LEN <= sizeof(body); i++)
		assert_memory_not_equal(body + i, cookie, WIRE_COOKIE_LEN);
	assert_int_equal(wire_cookie_open(got, key, body, init), 0);
	assert_memory_equal(got, cookie, sizeof(got));
	/* the same nonce seals the same way */
	wire_cookie_seal(again, key, cookie, init, nonce);
	assert_memory_equal(again, body, sizeof(body));
	/* another collector's key, another HS_INIT: refused, zeroed */
	memset(got, 0xaa, sizeof(got));
	assert_int_equal(wire_cookie_open(got, key2, body, init), ERR_AUTH);
	assert_memory_equal(got, (uint8_t[WIRE_COOKIE_LEN]){ 0 }, sizeof(got));
	init[100] ^= 1;
	assert_int_equal(wire_cookie_open(got, key, body, init), ERR_AUTH);
	init[100] ^= 1;
	/* every byte counts: nonce, ciphertext, tag */
	for (i = 0; i < sizeof(body); i++) {
		body[i] ^= 0x40;
		assert_int_equal(wire_cookie_open(got, key, body, init),
		    ERR_AUTH);
		body[i] ^= 0x40;
	}
	assert_int_equal(wire_cookie_open(got, key, body, init), 0);
}

static void
test_cookie_mac(void **state)
{
	uint8_t	cookie[WIRE_COOKIE_LEN], init[WIRE_HS_INIT_LEN];
	uint8_t	mac[WIRE_COOKIE_LEN], want[WIRE_COOKIE_LEN];

	(void)state;
	randombytes_buf(cookie, sizeof(cookie));
	randombytes_buf(init, sizeof(init));
	wire_cookie_mac(mac, cookie, init);
	/* the model: keyed BLAKE2b with a 16-byte output */
	assert_int_equal(crypto_generichash_blake2b(want, sizeof(want), init,
	    sizeof(init), cookie, sizeof(cookie)), 0);
	assert_memory_equal(mac, want, sizeof(mac));
	cookie[0] ^= 1;
	wire_cookie_mac(want, cookie, init);
	assert_memory_not_equal(mac, want, sizeof(mac));
}

/* ---- record headers ---- */

static void
test_record_header_exact(void **state)
{
	static const struct {
		uint8_t	type;
		size_t	body;
	} exact[] = {
		{ WIRE_KEYREQ, 1 },
		{ WIRE_KEYRESP, KEY_LEN },
		{ WIRE_HS_INIT, WIRE_HS_INIT_LEN },
		{ WIRE_HS_RESP, WIRE_HS_RESP_LEN },
		{ WIRE_STREAM_HDR, WIRE_STREAM_HDR_LEN },
		{ WIRE_COOKIE, WIRE_COOKIE_REPLY_LEN },
		{ WIRE_HS_INIT_COOKIE, WIRE_HS_INIT_COOKIE_LEN },
	};
	uint8_t	t;
	size_t	i, body;

	(void)state;
	/* the sizes docs/protocol.md gives */
	assert_int_equal(WIRE_COOKIE_REPLY_LEN, 56);
	assert_int_equal(WIRE_HS_INIT_COOKIE_LEN, 169);
	assert_int_equal(WIRE_HS_INIT_LEN, 153);
	assert_int_equal(WIRE_HS_RESP_LEN, 193);
	assert_int_equal(WIRE_STREAM_HDR_LEN, 24);
	assert_int_equal(WIRE_INIT_PAYLOAD_LEN, 57);
	assert_int_equal(WIRE_RESP_PAYLOAD_LEN, 145);

	for (i = 0; i < NITEMS(exact); i++) {
		assert_int_equal(header((uint32_t)exact[i].body + 1,
		    exact[i].type, &t, &body), 0);
		assert_int_equal(t, exact[i].type);
		assert_int_equal(body, exact[i].body);
		/* one byte less, one byte more, nothing at all */
		assert_int_equal(header((uint32_t)exact[i].body,
		    exact[i].type, &t, &body), ERR_MALFORMED);
		assert_int_equal(header((uint32_t)exact[i].body + 2,
		    exact[i].type, &t, &body), ERR_MALFORMED);
		assert_int_equal(header(1, exact[i].type, &t, &body),
		    ERR_MALFORMED);
		assert_int_equal(header(0, exact[i].type, &t, &body),
		    ERR_MALFORMED);
		/* a DATA-sized body */
		assert_int_equal(header(1000, exact[i].type, &t, &body),
		    ERR_MALFORMED);
		assert_int_equal(header(WIRE_MAX_RECORD, exact[i].type, &t,
		    &body), ERR_MALFORMED);
		assert_int_equal(header(WIRE_MAX_RECORD + 1, exact[i].type,
		    &t, &body), ERR_TOOBIG);
	}
}

static void
test_record_header_data(void **state)
{
	uint8_t	t;
	size_t	body;

	(void)state;
	/* DATA needs more than a MAC: at least one byte of plaintext */
	assert_int_equal(header(0, WIRE_DATA, &t, &body), ERR_MALFORMED);
	assert_int_equal(header(1, WIRE_DATA, &t, &body), ERR_MALFORMED);
	assert_int_equal(header(1 + ABYTES, WIRE_DATA, &t, &body),
	    ERR_MALFORMED);
	assert_int_equal(header(2 + ABYTES, WIRE_DATA, &t, &body), 0);
	assert_int_equal(t, WIRE_DATA);
	assert_int_equal(body, 1 + ABYTES);
	assert_int_equal(header(12345, WIRE_DATA, &t, &body), 0);
	assert_int_equal(body, 12344);
	/* the largest frame, and one byte past it */
	assert_int_equal(header(WIRE_MAX_RECORD, WIRE_DATA, &t, &body), 0);
	assert_int_equal(body, WIRE_MAX_FRAME + ABYTES);
	assert_int_equal(header(WIRE_MAX_RECORD + 1, WIRE_DATA, &t, &body),
	    ERR_TOOBIG);
	assert_int_equal(header(UINT32_MAX, WIRE_DATA, &t, &body),
	    ERR_TOOBIG);
	assert_int_equal(header(0x80000000U, WIRE_DATA, &t, &body),
	    ERR_TOOBIG);
}

static void
test_record_header_unknown(void **state)
{
	static const uint8_t	bad[] = { 0, 9, 0x10, 0x7f, 0x80, 0xff };
	uint8_t			t;
	size_t			i, body;

	(void)state;
	for (i = 0; i < NITEMS(bad); i++) {
		assert_int_equal(header(2, bad[i], &t, &body), ERR_MALFORMED);
		assert_int_equal(header(100, bad[i], &t, &body),
		    ERR_MALFORMED);
		assert_int_equal(header(0, bad[i], &t, &body), ERR_MALFORMED);
		/* the size limit comes first */
		assert_int_equal(header(UINT32_MAX, bad[i], &t, &body),
		    ERR_TOOBIG);
	}
}

static void
test_record_put(void **state)
{
	static const uint8_t	key[KEY_LEN] = { 1, 2, 3 };
	struct wbuf		w;
	uint8_t			t;
	size_t			body;

	(void)state;
	wbuf_init(&w, 0);
	assert_int_equal(wire_record_put(&w, WIRE_KEYRESP, key, sizeof(key)),
	    0);
	assert_int_equal(w.len, WIRE_HDR_LEN + KEY_LEN);
	assert_int_equal(wire_record_header(w.p, &t, &body), 0);
	assert_int_equal(t, WIRE_KEYRESP);
	assert_int_equal(body, KEY_LEN);
	assert_memory_equal(w.p + WIRE_HDR_LEN, key, KEY_LEN);

	/* a body no record can carry, refused before anything is read */
	wbuf_reset(&w);
	assert_int_equal(wire_record_put(&w, WIRE_DATA, key, WIRE_MAX_RECORD),
	    ERR_TOOBIG);
	assert_int_equal(wire_record_put(&w, WIRE_DATA, key, SIZE_MAX),
	    ERR_TOOBIG);
	assert_int_equal(w.len, 0);
	wbuf_free(&w);

	/* and the buffer's own limit */
	wbuf_init(&w, WIRE_HDR_LEN + 10);
	assert_int_equal(wire_record_put(&w, WIRE_KEYRESP, key, sizeof(key)),
	    ERR_TOOBIG);
	wbuf_free(&w);
}

/* ---- text ---- */

struct text_case {
	const char	*s;
	size_t		 len;
	int		 ok;
};
#define T(str, ok)	{ str, sizeof(str) - 1, ok }

static const struct text_case	TEXT[] = {
	T("", 1),
	T("vigil 0.1.0", 1),
	T(" ~", 1),
	T("X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba", 1),		/* Xã Tân Phú */
	T("Xa\xcc\x83 Ta\xcc\x82n Phu\xcc\x81", 1),		/* same, NFD */
	T("Tr\xe1\xba\xa1m Y t\xe1\xba\xbf", 1),		/* Trạm Y tế */
	T("H\xc3\xa0 N\xe1\xbb\x99i", 1),			/* Hà Nội */
	T("\xc2\xa0\xc2\xa9", 1),				/* NBSP © */
	T("\xe2\x82\xac", 1),					/* € */
	T("\xef\xbf\xbd", 1),					/* U+FFFD */
	T("\xf0\x9f\x98\x80", 1),				/* U+1F600 */
	T("\xf4\x8f\xbf\xbf", 1),				/* U+10FFFF */
	T("\xe0\xa0\x80", 1),					/* U+0800 */
	T("\xf0\x90\x80\x80", 1),				/* U+10000 */
	T("\xed\x9f\xbf", 1),					/* U+D7FF */
	T("\xee\x80\x80", 1),					/* U+E000 */
	/* control characters */
	T("a\x01", 0),
	T("\x1f", 0),
	T("tab\there", 0),
	T("line\n", 0),
	T("\r", 0),
	T("\x1b[31m", 0),
	T("\x7f", 0),
	T("\xc2\x80", 0),					/* C1 */
	T("\xc2\x9b" "31m", 0),					/* C1 CSI */
	T("\xc2\x9f", 0),					/* C1 */
	T("a\0b", 0),
	/* not UTF-8 */
	T("\x80", 0),
	T("\xbf", 0),
	T("\xc0\x80", 0),					/* overlong NUL */
	T("\xc1\xbf", 0),					/* overlong */
	T("\xe0\x80\x80", 0),					/* overlong */
	T("\xe0\x9f\xbf", 0),					/* overlong */
	T("\xf0\x80\x80\x80", 0),				/* overlong */
	T("\xf0\x8f\xbf\xbf", 0),				/* overlong */
	T("\xed\xa0\x80", 0),					/* U+D800 */
	T("\xed\xbf\xbf", 0),					/* U+DFFF */
	T("\xed\xa0\xbd\xed\xb8\x80", 0),			/* CESU pair */
	T("\xf4\x90\x80\x80", 0),				/* > U+10FFFF */
	T("\xf5\x80\x80\x80", 0),
	T("\xf8\x88\x80\x80\x80", 0),
	T("\xfe", 0),
	T("\xff", 0),
	T("\xc3", 0),						/* truncated */
	T("X\xc3", 0),
	T("\xe1\xba", 0),
	T("\xf0\x9f\x98", 0),
	T("\xc3" "a", 0),					/* not a cont. */
	T("\xe1\xba" "a", 0),
	T("\xf0\x9f\x98" "a", 0),
	T("\xe1\xc3\xa3", 0),
};

static void
test_text_valid(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < NITEMS(TEXT); i++) {
		if (wire_text_valid(TEXT[i].s, TEXT[i].len) != TEXT[i].ok)
			fail_msg("wire_text_valid case %zu: want %d", i,
			    TEXT[i].ok);
	}
	/* Only len bytes are looked at: a sequence cut by len is invalid
	 * even if the bytes after it would complete it. */
	assert_true(wire_text_valid("\xc3\xa3", 2));
	assert_false(wire_text_valid("\xc3\xa3", 1));
	assert_false(wire_text_valid("\xf0\x9f\x98\x80", 3));
	assert_true(wire_text_valid("ab\x01", 2));
	assert_true(wire_text_valid(NULL, 0));
}

/* ---- handshake payloads ---- */

static void
init_valid(struct wire_init_payload *p, uint8_t kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->ts_ns = 0x0123456789abcdefULL;
	if (kind == WIRE_HS_ENROLL)
		memset(p->token, 0xa5, sizeof(p->token));
	snprintf(p->version, sizeof(p->version), "0.1.0");
}

static void
test_init_roundtrip(void **state)
{
	struct wire_init_payload	p, q;
	uint8_t				b[WIRE_INIT_PAYLOAD_LEN];
	uint8_t				kinds[] = { WIRE_HS_CONNECT,
					    WIRE_HS_ENROLL };
	size_t				i;

	(void)state;
	for (i = 0; i < NITEMS(kinds); i++) {
		init_valid(&p, kinds[i]);
		wire_init_encode(b, &p);
		assert_int_equal(b[0], kinds[i]);
		assert_int_equal(b[1], 0x01);		/* big-endian */
		assert_int_equal(b[8], 0xef);
		assert_int_equal(wire_init_decode(&q, b), 0);
		assert_int_equal(q.kind, p.kind);
		assert_true(q.ts_ns == p.ts_ns);
		assert_memory_equal(q.token, p.token, WIRE_TOKEN_LEN);
		assert_string_equal(q.version, "0.1.0");
		/* NUL padded */
		assert_memory_equal(b + INIT_VERSION + 5,
		    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
		    27);
	}

	/* a version filling the field, with no NUL in it */
	init_valid(&p, WIRE_HS_CONNECT);
	memset(p.version, 'v', 32);
	p.version[32] = '\0';
	p.ts_ns = UINT64_MAX;
	wire_init_encode(b, &p);
	assert_int_equal(wire_init_decode(&q, b), 0);
	assert_int_equal(strlen(q.version), 32);
	assert_string_equal(q.version, p.version);
	assert_true(q.ts_ns == UINT64_MAX);

	/* an empty version, and a UTF-8 one */
	init_valid(&p, WIRE_HS_CONNECT);
	p.version[0] = '\0';
	wire_init_encode(b, &p);
	assert_int_equal(wire_init_decode(&q, b), 0);
	assert_string_equal(q.version, "");
	snprintf(p.version, sizeof(p.version), "1.0 Ph\xc3\xba");
	wire_init_encode(b, &p);
	assert_int_equal(wire_init_decode(&q, b), 0);
	assert_string_equal(q.version, p.version);
}

/* A valid payload with len bytes of s at the start of the version. */
static void
init_with_version(uint8_t b[static WIRE_INIT_PAYLOAD_LEN], const char *s,
    size_t len)
{
	struct wire_init_payload	p;

	assert_true(len <= 32);
	init_valid(&p, WIRE_HS_CONNECT);
	wire_init_encode(b, &p);
	memset(b + INIT_VERSION, 0, 32);
	memcpy(b + INIT_VERSION, s, len);
}

static void
test_init_reject(void **state)
{
	struct wire_init_payload	p, q;
	uint8_t				b[WIRE_INIT_PAYLOAD_LEN];
	size_t				i;
	unsigned			k;

	(void)state;
	/* unknown kinds */
	for (k = 2; k <= 255; k++) {
		init_valid(&p, WIRE_HS_CONNECT);
		wire_init_encode(b, &p);
		b[0] = (uint8_t)k;
		assert_int_equal(wire_init_decode(&q, b), ERR_MALFORMED);
	}
	/* a token on a plain connect, in any byte */
	for (i = 0; i < WIRE_TOKEN_LEN; i++) {
		init_valid(&p, WIRE_HS_CONNECT);
		wire_init_encode(b, &p);
		b[INIT_TOKEN + i] = 0x01;
		assert_int_equal(wire_init_decode(&q, b), ERR_MALFORMED);
		b[0] = WIRE_HS_ENROLL;			/* fine when enrolling */
		assert_int_equal(wire_init_decode(&q, b), 0);
	}
	/* an all-zero token is allowed for enroll (the collector refuses
	 * it as unknown) */
	init_valid(&p, WIRE_HS_ENROLL);
	memset(p.token, 0, sizeof(p.token));
	wire_init_encode(b, &p);
	assert_int_equal(wire_init_decode(&q, b), 0);

	/* anything but NUL after the first NUL, at every position */
	for (i = 6; i < 32; i++) {
		init_with_version(b, "0.1.0", 5);
		b[INIT_VERSION + i] = 'x';
		assert_int_equal(wire_init_decode(&q, b), ERR_MALFORMED);
	}
	init_with_version(b, "", 0);
	b[INIT_VERSION + 31] = 'x';
	assert_int_equal(wire_init_decode(&q, b), ERR_MALFORMED);

	/* text the table says is invalid, as the whole version */
	for (i = 0; i < NITEMS(TEXT); i++) {
		if (TEXT[i].ok || TEXT[i].len > 32)
			continue;
		init_with_version(b, TEXT[i].s, TEXT[i].len);
		/* an embedded NUL is bad padding; the rest bad text */
		if (wire_init_decode(&q, b) != ERR_MALFORMED)
			fail_msg("init version: text case %zu accepted", i);
	}
	/* a truncated sequence right before the padding */
	init_with_version(b, "0.1\xe1\xba", 5);
	assert_int_equal(wire_init_decode(&q, b), ERR_MALFORMED);
	/* and one cut by the end of the field */
	init_with_version(b, "0123456789012345678901234567890\xc3", 32);
	assert_int_equal(wire_init_decode(&q, b), ERR_MALFORMED);
}

static void
resp_valid(struct wire_resp_payload *p)
{
	memset(p, 0, sizeof(*p));
	p->status = 0;
	snprintf(p->agent_id, sizeof(p->agent_id), "0123456789abcdef");
	snprintf(p->name, sizeof(p->name), "Tr\xe1\xba\xa1m Y t\xe1\xba\xbf");
	snprintf(p->office, sizeof(p->office), "X\xc3\xa3 T\xc3\xa2n "
	    "Ph\xc3\xba");
}

static void
test_resp_roundtrip(void **state)
{
	struct wire_resp_payload	p, q;
	uint8_t				b[WIRE_RESP_PAYLOAD_LEN];
	size_t				i;

	(void)state;
	resp_valid(&p);
	wire_resp_encode(b, &p);
	assert_int_equal(wire_resp_decode(&q, b), 0);
	assert_int_equal(q.status, 0);
	assert_string_equal(q.agent_id, p.agent_id);
	assert_string_equal(q.name, p.name);
	assert_string_equal(q.office, "X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba");
	assert_memory_equal(b + RESP_ID, "0123456789abcdef", 16);

	/* every field full, no NUL; status is passed through as is */
	memset(&p, 0, sizeof(p));
	p.status = 7;
	memset(p.agent_id, 'f', 16);
	for (i = 0; i < 64; i += 2)
		memcpy(p.name + i, "\xc3\xa3", 2);		/* 32 x ã */
	for (i = 0; i < 63; i += 3)
		memcpy(p.office + i, "\xe1\xba\xbf", 3);	/* 21 x ế */
	p.office[63] = '.';
	wire_resp_encode(b, &p);
	assert_int_equal(wire_resp_decode(&q, b), 0);
	assert_int_equal(q.status, 7);
	assert_string_equal(q.agent_id, p.agent_id);
	assert_int_equal(strlen(q.name), 64);
	assert_string_equal(q.name, p.name);
	assert_string_equal(q.office, p.office);

	/* all empty */
	memset(&p, 0, sizeof(p));
	wire_resp_encode(b, &p);
	assert_int_equal(wire_resp_decode(&q, b), 0);
	assert_string_equal(q.agent_id, "");
	assert_string_equal(q.name, "");
	assert_string_equal(q.office, "");
}

static void
test_resp_reject(void **state)
{
	static const struct {
		size_t	off, len;
	} field[] = {
		{ RESP_ID, 16 }, { RESP_NAME, 64 }, { RESP_OFFICE, 64 },
	};
	struct wire_resp_payload	p, q;
	uint8_t				b[WIRE_RESP_PAYLOAD_LEN];
	size_t				f, i;

	(void)state;
	resp_valid(&p);
	for (f = 0; f < NITEMS(field); f++) {
		/* junk after the NUL, at the field's last byte */
		wire_resp_encode(b, &p);
		memset(b + field[f].off, 0, field[f].len);
		memcpy(b + field[f].off, "ok", 2);
		b[field[f].off + field[f].len - 1] = 'x';
		assert_int_equal(wire_resp_decode(&q, b), ERR_MALFORMED);
		/* a control character */
		wire_resp_encode(b, &p);
		b[field[f].off] = '\n';
		assert_int_equal(wire_resp_decode(&q, b), ERR_MALFORMED);
		/* a stray continuation byte */
		wire_resp_encode(b, &p);
		b[field[f].off] = 0x80;
		assert_int_equal(wire_resp_decode(&q, b), ERR_MALFORMED);
		/* every invalid text of the table that fits */
		for (i = 0; i < NITEMS(TEXT); i++) {
			if (TEXT[i].ok || TEXT[i].len > field[f].len)
				continue;
			wire_resp_encode(b, &p);
			memset(b + field[f].off, 0, field[f].len);
			memcpy(b + field[f].off, TEXT[i].s, TEXT[i].len);
			if (wire_resp_decode(&q, b) != ERR_MALFORMED)
				fail_msg("resp field %zu: text case %zu "
				    "accepted", f, i);
		}
		/* a sequence cut by the end of the field */
		wire_resp_encode(b, &p);
		memset(b + field[f].off, 'a', field[f].len);
		b[field[f].off + field[f].len - 1] = (char)0xc3;
		assert_int_equal(wire_resp_decode(&q, b), ERR_MALFORMED);
	}
}

/* ---- EVENTS ---- */

static void
check_roundtrip(size_t n, int compress, int want_zstd)
{
	struct wire_event	*evs = make_events(n, 1000, 3);
	struct wbuf		 w;
	struct seen		*s;
	size_t			 i, rawlen = 0;
	uint32_t		 v;

	for (i = 0; i < n; i++)
		rawlen += 12 + evs[i].len;
	wbuf_init(&w, 0);
	assert_int_equal(wbuf_bytes(&w, "prefix", 6), 0);  /* appends */
	assert_int_equal(wire_events_encode(&w, evs, n, compress), 0);
	assert_int_equal(w.p[6], WIRE_MSG_EVENTS);
	assert_int_equal(w.p[7], want_zstd ? WIRE_EVENTS_ZSTD : 0);
	v = (uint32_t)w.p[8] << 24 | (uint32_t)w.p[9] << 16 |
	    (uint32_t)w.p[10] << 8 | w.p[11];
	assert_int_equal(v, n);
	v = (uint32_t)w.p[12] << 24 | (uint32_t)w.p[13] << 16 |
	    (uint32_t)w.p[14] << 8 | w.p[15];
	assert_int_equal(v, rawlen);
	if (want_zstd)
		assert_true(w.len - 6 < EVENTS_HDR + rawlen);
	else
		assert_int_equal(w.len - 6, EVENTS_HDR + rawlen);

	assert_int_equal(decode(w.p + 6, w.len - 6, &s), 0);
	assert_int_equal(s->n, n);
	for (i = 0; i < n; i++) {
		assert_true(s->seq[i] == evs[i].seq);
		assert_int_equal(s->len[i], evs[i].len);
		assert_memory_equal(s->json[i], evs[i].json, evs[i].len);
	}
	seen_free(s);
	wbuf_free(&w);
	free_events(evs, n);
}

static void
test_events_roundtrip(void **state)
{
	(void)state;
	check_roundtrip(0, 0, 0);
	check_roundtrip(0, 1, 0);
	check_roundtrip(1, 0, 0);
	check_roundtrip(1, 1, 0);	/* too small to be worth it */
	check_roundtrip(2, 0, 0);
	check_roundtrip(4, 1, 1);
	check_roundtrip(WIRE_MAX_BATCH_EVENTS, 0, 0);
	check_roundtrip(WIRE_MAX_BATCH_EVENTS, 1, 1);
}

/* Incompressible events go out raw even when compression is asked for. */
static void
test_events_incompressible(void **state)
{
	struct wire_event	 ev[2];
	struct wbuf		 w;
	struct seen		*s;
	char			*junk;
	size_t			 i;

	(void)state;
	assert_non_null(junk = malloc(4000));
	randombytes_buf(junk, 4000);
	for (i = 0; i < 2; i++) {
		ev[i].seq = i + 1;
		ev[i].json = junk + i * 2000;
		ev[i].len = 2000;
	}
	wbuf_init(&w, 0);
	assert_int_equal(wire_events_encode(&w, ev, 2, 1), 0);
	assert_int_equal(w.p[1], 0);
	assert_int_equal(w.len, EVENTS_HDR + 2 * (12 + 2000));
	assert_int_equal(decode(w.p, w.len, &s), 0);
	assert_int_equal(s->n, 2);
	assert_memory_equal(s->json[1], junk + 2000, 2000);
	seen_free(s);

	/* empty JSON is carried (event_parse is the collector's job) */
	ev[0].len = 0;
	wbuf_reset(&w);
	assert_int_equal(wire_events_encode(&w, ev, 1, 1), 0);
	assert_int_equal(decode(w.p, w.len, &s), 0);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->len[0], 0);
	seen_free(s);
	wbuf_free(&w);
	free(junk);
}

static void
test_events_encode_errors(void **state)
{
	struct wire_event	*evs;
	struct wire_event	 big[2];
	struct wbuf		 w;
	char			*blob;

	(void)state;
	wbuf_init(&w, 0);
	assert_int_equal(wbuf_u8(&w, 0x42), 0);

	/* too many */
	evs = make_events(WIRE_MAX_BATCH_EVENTS + 1, 1, 1);
	assert_int_equal(wire_events_encode(&w, evs, WIRE_MAX_BATCH_EVENTS + 1,
	    1), ERR_TOOBIG);
	assert_int_equal(w.len, 1);
	free_events(evs, WIRE_MAX_BATCH_EVENTS + 1);

	/* sequence numbers not increasing */
	evs = make_events(3, 5, 1);
	evs[2].seq = evs[1].seq;
	assert_int_equal(wire_events_encode(&w, evs, 3, 0), ERR_USAGE);
	evs[2].seq = evs[1].seq - 1;
	assert_int_equal(wire_events_encode(&w, evs, 3, 1), ERR_USAGE);
	assert_int_equal(w.len, 1);
	free_events(evs, 3);

	/* over 4 MiB raw */
	assert_non_null(blob = calloc(1, WIRE_MAX_BATCH_RAW / 2));
	big[0].seq = 1;
	big[1].seq = 2;
	big[0].json = big[1].json = blob;
	big[0].len = big[1].len = WIRE_MAX_BATCH_RAW / 2 - 12;
	assert_int_equal(wire_events_encode(&w, big, 2, 0), 0);	/* fits */
	wbuf_reset(&w);
	big[1].len++;
	assert_int_equal(wire_events_encode(&w, big, 2, 0), ERR_TOOBIG);
	assert_int_equal(w.len, 0);
	/* an event length no u32 holds, refused before it is read */
	big[0].len = (size_t)UINT32_MAX + 1;
	assert_int_equal(wire_events_encode(&w, big, 1, 0), ERR_TOOBIG);
	assert_int_equal(w.len, 0);
	free(blob);
	wbuf_free(&w);

	/* the output buffer's limit */
	evs = make_events(10, 1, 1);
	wbuf_init(&w, 64);
	assert_int_equal(wire_events_encode(&w, evs, 10, 0), ERR_TOOBIG);
	wbuf_free(&w);
	free_events(evs, 10);
}

static void
test_events_decode_header(void **state)
{
	struct wbuf	w, body;
	uint8_t		m[EVENTS_HDR];

	(void)state;
	wbuf_init(&w, 0);
	wbuf_init(&body, 0);
	put_entry(&body, 1, "{}");

	/* each prefix of the header */
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), 0);
	memcpy(m, w.p, EVENTS_HDR);
	assert_int_equal(decode_rc(m, 0), ERR_MALFORMED);
	assert_int_equal(decode_rc(m, 1), ERR_MALFORMED);
	assert_int_equal(decode_rc(m, 9), ERR_MALFORMED);

	/* another message type; unknown flags */
	w.p[0] = WIRE_MSG_ACK;
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	w.p[0] = 0;
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	w.p[0] = WIRE_MSG_EVENTS;
	w.p[1] = 0x02;
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	w.p[1] = 0x80;
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	w.p[1] = 0x03;
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* limits */
	put_events(&w, 0, WIRE_MAX_BATCH_EVENTS + 1, (uint32_t)body.len,
	    body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_TOOBIG);
	put_events(&w, 0, UINT32_MAX, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_TOOBIG);
	put_events(&w, 0, 1, WIRE_MAX_BATCH_RAW + 1, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_TOOBIG);
	put_events(&w, WIRE_EVENTS_ZSTD, 1, UINT32_MAX, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_TOOBIG);

	/* rawlen must be what follows, exactly */
	put_events(&w, 0, 1, (uint32_t)body.len + 1, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, 0, 1, (uint32_t)body.len - 1, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(wbuf_u8(&w, 0), 0);			/* trailing */
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len - 1);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);	/* short */

	/* count and body disagree */
	put_events(&w, 0, 2, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, 0, 0, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* zero events, zero bytes */
	put_events(&w, 0, 0, 0, NULL, 0);
	assert_int_equal(decode_rc(w.p, w.len), 0);
	wbuf_free(&body);
	wbuf_free(&w);
}

/* The largest raw payload decodes; decoding is in place when raw. */
static void
test_events_decode_max(void **state)
{
	struct wbuf	 w;
	struct seen	*s;
	uint8_t		*p;

	(void)state;
	wbuf_init(&w, 0);
	put_events(&w, 0, 1, WIRE_MAX_BATCH_RAW, NULL, 0);
	assert_int_equal(wbuf_u64(&w, 1), 0);
	assert_int_equal(wbuf_u32(&w, WIRE_MAX_BATCH_RAW - 12), 0);
	assert_non_null(p = wbuf_extend(&w, WIRE_MAX_BATCH_RAW - 12));
	memset(p, 'x', WIRE_MAX_BATCH_RAW - 12);
	assert_int_equal(decode(w.p, w.len, &s), 0);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->len[0], WIRE_MAX_BATCH_RAW - 12);
	seen_free(s);
	wbuf_free(&w);
}

static void
test_events_decode_entries(void **state)
{
	struct wbuf	 w, body;
	struct seen	*s;

	(void)state;
	wbuf_init(&w, 0);
	wbuf_init(&body, 0);

	/* seq 0 */
	put_entry(&body, 0, "{}");
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* equal, then decreasing seqs */
	wbuf_reset(&body);
	put_entry(&body, 5, "{}");
	put_entry(&body, 5, "{}");
	put_events(&w, 0, 2, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	wbuf_reset(&body);
	put_entry(&body, 5, "{}");
	put_entry(&body, 6, "{}");
	put_entry(&body, 4, "{}");
	put_events(&w, 0, 3, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* the largest seq, and one past what the store can hold */
	wbuf_reset(&body);
	put_entry(&body, INT64_MAX, "{}");
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode(w.p, w.len, &s), 0);
	assert_true(s->seq[0] == INT64_MAX);
	seen_free(s);
	wbuf_reset(&body);
	put_entry(&body, (uint64_t)INT64_MAX + 1, "{}");
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	wbuf_reset(&body);
	put_entry(&body, UINT64_MAX, "{}");
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* an event length past the end of the payload */
	wbuf_reset(&body);
	assert_int_equal(wbuf_u64(&body, 1), 0);
	assert_int_equal(wbuf_u32(&body, 3), 0);
	assert_int_equal(wbuf_bytes(&body, "{}", 2), 0);
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode(w.p, w.len, &s), ERR_MALFORMED);
	assert_int_equal(s->n, 0);
	seen_free(s);
	wbuf_reset(&body);
	assert_int_equal(wbuf_u64(&body, 1), 0);
	assert_int_equal(wbuf_u32(&body, UINT32_MAX), 0);
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	/* an entry header cut short */
	wbuf_reset(&body);
	assert_int_equal(wbuf_u64(&body, 1), 0);
	assert_int_equal(wbuf_u16(&body, 0), 0);
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* bytes left over after count entries */
	wbuf_reset(&body);
	put_entry(&body, 1, "{}");
	assert_int_equal(wbuf_u8(&body, ' '), 0);
	put_events(&w, 0, 1, (uint32_t)body.len, body.p, body.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	wbuf_free(&body);
	wbuf_free(&w);
}

static void
test_events_decode_zstd(void **state)
{
	struct wire_event	*evs = make_events(50, 1, 1);
	struct wbuf		 w, raw, z, scratch;
	struct seen		*s;
	size_t			 i;
	int			 rc;

	(void)state;
	wbuf_init(&w, 0);
	wbuf_init(&raw, 0);
	wbuf_init(&z, 0);
	for (i = 0; i < 50; i++)
		put_entry(&raw, evs[i].seq, evs[i].json);

	/* a frame made by hand decodes */
	zframe(&z, raw.p, raw.len, 0);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len, z.p, z.len);
	assert_int_equal(decode(w.p, w.len, &s), 0);
	assert_int_equal(s->n, 50);
	assert_string_equal(s->json[49], evs[49].json);
	seen_free(s);

	/* the frame's content size must be rawlen */
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len + 1, z.p,
	    z.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len - 1, z.p,
	    z.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, 0, z.p, z.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	/* and must be there at all */
	zframe(&z, raw.p, raw.len, 1);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len, z.p, z.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* truncated frame; trailing bytes; no frame; not zstd */
	zframe(&z, raw.p, raw.len, 0);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len, z.p,
	    z.len - 1);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len, z.p,
	    z.len / 2);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len, z.p, z.len);
	assert_int_equal(wbuf_bytes(&w, "abc", 3), 0);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len, z.p, z.len);
	assert_int_equal(wbuf_bytes(&w, "trailing junk", 13), 0);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len, NULL, 0);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len, raw.p,
	    raw.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* a good frame whose content is a bad body */
	put_events(&w, WIRE_EVENTS_ZSTD, 51, (uint32_t)raw.len, z.p, z.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);
	put_events(&w, WIRE_EVENTS_ZSTD, 49, (uint32_t)raw.len, z.p, z.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* an empty frame for an empty batch */
	zframe(&z, NULL, 0, 0);
	put_events(&w, WIRE_EVENTS_ZSTD, 0, 0, z.p, z.len);
	assert_int_equal(decode_rc(w.p, w.len), 0);
	put_events(&w, WIRE_EVENTS_ZSTD, 1, 0, z.p, z.len);
	assert_int_equal(decode_rc(w.p, w.len), ERR_MALFORMED);

	/* scratch that may not grow to rawlen */
	zframe(&z, raw.p, raw.len, 0);
	put_events(&w, WIRE_EVENTS_ZSTD, 50, (uint32_t)raw.len, z.p, z.len);
	wbuf_init(&scratch, 100);
	s = seen_new();
	rc = wire_events_decode(w.p, w.len, &scratch, collect, s);
	assert_true(rc == ERR_NOMEM || rc == ERR_TOOBIG);
	assert_int_equal(s->n, 0);
	seen_free(s);
	wbuf_free(&scratch);

	/* scratch is reused, and reset first, across messages */
	wbuf_init(&scratch, 0);
	assert_int_equal(wbuf_bytes(&scratch, "old", 3), 0);
	for (i = 0; i < 3; i++) {
		s = seen_new();
		assert_int_equal(wire_events_decode(w.p, w.len, &scratch,
		    collect, s), 0);
		assert_int_equal(s->n, 50);
		assert_string_equal(s->json[0], evs[0].json);
		seen_free(s);
	}
	wbuf_free(&scratch);

	wbuf_free(&z);
	wbuf_free(&raw);
	wbuf_free(&w);
	free_events(evs, 50);
}

static void
test_events_callback_stops(void **state)
{
	struct wire_event	*evs = make_events(10, 1, 1);
	struct wbuf		 w, scratch;
	struct seen		*s;
	int			 compress;

	(void)state;
	for (compress = 0; compress <= 1; compress++) {
		wbuf_init(&w, 0);
		wbuf_init(&scratch, 0);
		assert_int_equal(wire_events_encode(&w, evs, 10, compress), 0);
		s = seen_new();
		s->stop_at = 3;
		s->stop = 42;
		assert_int_equal(wire_events_decode(w.p, w.len, &scratch,
		    collect, s), 42);
		assert_int_equal(s->n, 3);
		seen_free(s);
		s = seen_new();
		s->stop_at = 1;
		s->stop = ERR_NOMEM;
		assert_int_equal(wire_events_decode(w.p, w.len, &scratch,
		    collect, s), ERR_NOMEM);
		assert_int_equal(s->n, 1);
		seen_free(s);
		s = seen_new();
		s->stop_at = 10;	/* on the last one */
		s->stop = -1;
		assert_int_equal(wire_events_decode(w.p, w.len, &scratch,
		    collect, s), -1);
		assert_int_equal(s->n, 10);
		seen_free(s);
		wbuf_free(&scratch);
		wbuf_free(&w);
	}
	free_events(evs, 10);
}

/* ---- ACK, HEARTBEAT ---- */

static void
test_ack(void **state)
{
	static const uint64_t	seqs[] = { 0, 1, 0x0102030405060708ULL,
	    INT64_MAX, UINT64_MAX };
	struct wbuf		w;
	uint64_t		seq;
	size_t			i;

	(void)state;
	wbuf_init(&w, 0);
	for (i = 0; i < NITEMS(seqs); i++) {
		wbuf_reset(&w);
		assert_int_equal(wire_ack_encode(&w, seqs[i]), 0);
		assert_int_equal(w.len, 9);
		assert_int_equal(w.p[0], WIRE_MSG_ACK);
		assert_int_equal(wire_ack_decode(&seq, w.p, w.len), 0);
		assert_true(seq == seqs[i]);
	}
	assert_int_equal(w.p[1], 0xff);
	/* wrong type, short, long, empty */
	w.p[0] = WIRE_MSG_EVENTS;
	assert_int_equal(wire_ack_decode(&seq, w.p, w.len), ERR_MALFORMED);
	w.p[0] = WIRE_MSG_HEARTBEAT;
	assert_int_equal(wire_ack_decode(&seq, w.p, w.len), ERR_MALFORMED);
	w.p[0] = WIRE_MSG_ACK;
	assert_int_equal(wire_ack_decode(&seq, w.p, 8), ERR_MALFORMED);
	assert_int_equal(wire_ack_decode(&seq, w.p, 1), ERR_MALFORMED);
	assert_int_equal(wire_ack_decode(&seq, w.p, 0), ERR_MALFORMED);
	assert_int_equal(wbuf_u8(&w, 0), 0);
	assert_int_equal(wire_ack_decode(&seq, w.p, w.len), ERR_MALFORMED);
	wbuf_free(&w);

	/* the buffer's limit */
	wbuf_init(&w, 8);
	assert_int_equal(wire_ack_encode(&w, 1), ERR_TOOBIG);
	wbuf_free(&w);
}

static void
test_heartbeat(void **state)
{
	static const char	hb[] = "{\"heartbeat\":{\"version\":\"0.1.0\"}}";
	struct wbuf		w;
	const char		*json;
	size_t			len;
	char			*big;

	(void)state;
	wbuf_init(&w, 0);
	assert_int_equal(wire_heartbeat_encode(&w, hb, strlen(hb)), 0);
	assert_int_equal(w.len, 5 + strlen(hb));
	assert_int_equal(w.p[0], WIRE_MSG_HEARTBEAT);
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, w.len), 0);
	assert_int_equal(len, strlen(hb));
	assert_ptr_equal(json, (const char *)w.p + 5);	/* in place */
	assert_memory_equal(json, hb, len);

	/* wrong type; truncated; trailing; short header */
	w.p[0] = WIRE_MSG_ACK;
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, w.len),
	    ERR_MALFORMED);
	w.p[0] = WIRE_MSG_HEARTBEAT;
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, w.len - 1),
	    ERR_MALFORMED);
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, 4),
	    ERR_MALFORMED);
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, 0),
	    ERR_MALFORMED);
	assert_int_equal(wbuf_u8(&w, '\n'), 0);
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, w.len),
	    ERR_MALFORMED);

	/* empty */
	wbuf_reset(&w);
	assert_int_equal(wire_heartbeat_encode(&w, "", 0), 0);
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, w.len), 0);
	assert_int_equal(len, 0);

	/* the 16 KiB limit, both ways */
	assert_non_null(big = malloc(WIRE_MAX_HEARTBEAT + 1));
	memset(big, ' ', WIRE_MAX_HEARTBEAT + 1);
	wbuf_reset(&w);
	assert_int_equal(wire_heartbeat_encode(&w, big, WIRE_MAX_HEARTBEAT),
	    0);
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, w.len), 0);
	assert_int_equal(len, WIRE_MAX_HEARTBEAT);
	wbuf_reset(&w);
	assert_int_equal(wire_heartbeat_encode(&w, big, WIRE_MAX_HEARTBEAT + 1),
	    ERR_TOOBIG);
	assert_int_equal(w.len, 0);
	assert_int_equal(wbuf_u8(&w, WIRE_MSG_HEARTBEAT), 0);
	assert_int_equal(wbuf_u32(&w, WIRE_MAX_HEARTBEAT + 1), 0);
	assert_int_equal(wbuf_bytes(&w, big, WIRE_MAX_HEARTBEAT + 1), 0);
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, w.len),
	    ERR_TOOBIG);
	/* a huge claimed length on a short message */
	wbuf_reset(&w);
	assert_int_equal(wbuf_u8(&w, WIRE_MSG_HEARTBEAT), 0);
	assert_int_equal(wbuf_u32(&w, UINT32_MAX), 0);
	assert_int_equal(wire_heartbeat_decode(&json, &len, w.p, w.len),
	    ERR_TOOBIG);
	free(big);
	wbuf_free(&w);
}

/* ---- chan ---- */

struct pair {
	uint8_t		 k1[32], k2[32];	/* A->B, B->A */
	uint8_t		 ha[WIRE_STREAM_HDR_LEN], hb[WIRE_STREAM_HDR_LEN];
	struct chan	*a, *b;
	struct wbuf	 out, in;
};

static int
pair_setup(void **state)
{
	struct pair	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	randombytes_buf(p->k1, sizeof(p->k1));
	randombytes_buf(p->k2, sizeof(p->k2));
	if (chan_new(&p->a, p->k1, p->k2, p->ha) != 0 ||
	    chan_new(&p->b, p->k2, p->k1, p->hb) != 0 ||
	    chan_accept(p->a, p->hb) != 0 || chan_accept(p->b, p->ha) != 0)
		return -1;
	wbuf_init(&p->out, 0);
	wbuf_init(&p->in, 0);
	*state = p;
	return 0;
}

static int
pair_teardown(void **state)
{
	struct pair	*p = *state;

	chan_free(p->a);
	chan_free(p->b);
	wbuf_free(&p->out);
	wbuf_free(&p->in);
	free(p);
	return 0;
}

/* Seal m on from into p->out (reset first); checks the record header. */
static void
seal(struct pair *p, struct chan *from, const uint8_t *m, size_t len)
{
	uint8_t	t;
	size_t	body;

	wbuf_reset(&p->out);
	assert_int_equal(chan_seal(from, &p->out, m, len), 0);
	assert_int_equal(p->out.len, WIRE_HDR_LEN + len + ABYTES);
	assert_int_equal(wire_record_header(p->out.p, &t, &body), 0);
	assert_int_equal(t, WIRE_DATA);
	assert_int_equal(body, len + ABYTES);
}

/* Open the record in buf (a DATA record with its header). */
static int
open_rec(struct pair *p, struct chan *to, const uint8_t *rec, size_t len)
{
	return chan_open(to, &p->in, rec + WIRE_HDR_LEN, len - WIRE_HDR_LEN);
}

static void
test_chan_many(void **state)
{
	struct pair	*p = *state;
	uint8_t		 m[3000];
	size_t		 i, len;

	for (i = 0; i < 2000; i++) {
		len = 1 + (i * 7919) % sizeof(m);
		randombytes_buf(m, len);
		/* both directions, interleaved */
		seal(p, p->a, m, len);
		assert_int_equal(open_rec(p, p->b, p->out.p, p->out.len), 0);
		assert_int_equal(p->in.len, len);
		assert_memory_equal(p->in.p, m, len);
		seal(p, p->b, m, len);
		assert_int_equal(open_rec(p, p->a, p->out.p, p->out.len), 0);
		assert_int_equal(p->in.len, len);
		assert_memory_equal(p->in.p, m, len);
	}
	/* the same plaintext twice does not give the same ciphertext */
	seal(p, p->a, m, 16);
	memcpy(m + 100, p->out.p, p->out.len);
	assert_int_equal(open_rec(p, p->b, p->out.p, p->out.len), 0);
	seal(p, p->a, m, 16);
	assert_memory_not_equal(m + 100, p->out.p, p->out.len);
	assert_int_equal(open_rec(p, p->b, p->out.p, p->out.len), 0);
}

static void
test_chan_sizes(void **state)
{
	struct pair	*p = *state;
	uint8_t		*m;

	assert_non_null(m = malloc(WIRE_MAX_FRAME + ABYTES + 1));
	memset(m, 0x5a, WIRE_MAX_FRAME + ABYTES + 1);
	/* nothing, and too much, is not sealed; the stream is unchanged */
	assert_int_equal(chan_seal(p->a, &p->out, m, 0), ERR_TOOBIG);
	assert_int_equal(chan_seal(p->a, &p->out, m, WIRE_MAX_FRAME + 1),
	    ERR_TOOBIG);
	assert_int_equal(p->out.len, 0);
	/* the largest frame is exactly the largest record */
	seal(p, p->a, m, WIRE_MAX_FRAME);
	assert_int_equal(p->out.len, WIRE_HDR_LEN + WIRE_MAX_RECORD - 1);
	assert_int_equal(open_rec(p, p->b, p->out.p, p->out.len), 0);
	assert_int_equal(p->in.len, WIRE_MAX_FRAME);
	assert_memory_equal(p->in.p, m, WIRE_MAX_FRAME);

	/* ciphertext that cannot be a frame */
	assert_int_equal(chan_open(p->b, &p->in, m, 0), ERR_TOOBIG);
	assert_int_equal(chan_open(p->b, &p->in, m, ABYTES), ERR_TOOBIG);
	assert_int_equal(chan_open(p->b, &p->in, m,
	    WIRE_MAX_FRAME + ABYTES + 1), ERR_TOOBIG);
	/* the stream is still in step */
	seal(p, p->a, m, 1);
	assert_int_equal(open_rec(p, p->b, p->out.p, p->out.len), 0);
	free(m);
}

static void
test_chan_tamper(void **state)
{
	struct pair	*p = *state;
	uint8_t		 rec[WIRE_HDR_LEN + 40 + ABYTES], m[40];
	size_t		 i;

	memset(m, 'm', sizeof(m));
	seal(p, p->a, m, sizeof(m));
	memcpy(rec, p->out.p, sizeof(rec));
	/* each byte of the ciphertext and the MAC, one bit at a time */
	for (i = WIRE_HDR_LEN; i < sizeof(rec); i++) {
		rec[i] ^= (uint8_t)(1U << (i % 8));
		assert_int_equal(open_rec(p, p->b, rec, sizeof(rec)),
		    ERR_AUTH);
		rec[i] ^= (uint8_t)(1U << (i % 8));
	}
	/* cut short */
	assert_int_equal(open_rec(p, p->b, rec, sizeof(rec) - 1), ERR_AUTH);
	/* a failed open changes nothing: the real frame still opens */
	assert_int_equal(open_rec(p, p->b, rec, sizeof(rec)), 0);
	assert_memory_equal(p->in.p, m, sizeof(m));

	/* a frame from the other direction, or for the other side */
	seal(p, p->a, m, sizeof(m));
	assert_int_equal(open_rec(p, p->a, p->out.p, p->out.len), ERR_AUTH);
	assert_int_equal(open_rec(p, p->b, p->out.p, p->out.len), 0);
}

static void
test_chan_replay_reorder(void **state)
{
	struct pair	*p = *state;
	uint8_t		 f[3][WIRE_HDR_LEN + 1 + ABYTES];
	uint8_t		 m;
	size_t		 i;

	for (i = 0; i < 3; i++) {
		m = (uint8_t)i;
		seal(p, p->a, &m, 1);
		memcpy(f[i], p->out.p, sizeof(f[i]));
	}
	/* out of order */
	assert_int_equal(open_rec(p, p->b, f[1], sizeof(f[1])), ERR_AUTH);
	assert_int_equal(open_rec(p, p->b, f[2], sizeof(f[2])), ERR_AUTH);
	assert_int_equal(open_rec(p, p->b, f[0], sizeof(f[0])), 0);
	assert_int_equal(p->in.p[0], 0);
	/* replayed */
	assert_int_equal(open_rec(p, p->b, f[0], sizeof(f[0])), ERR_AUTH);
	assert_int_equal(open_rec(p, p->b, f[1], sizeof(f[1])), 0);
	assert_int_equal(p->in.p[0], 1);
	assert_int_equal(open_rec(p, p->b, f[1], sizeof(f[1])), ERR_AUTH);
	assert_int_equal(open_rec(p, p->b, f[0], sizeof(f[0])), ERR_AUTH);
	assert_int_equal(open_rec(p, p->b, f[2], sizeof(f[2])), 0);
	assert_int_equal(p->in.p[0], 2);
	/* dropped: the frame after a lost one fails */
	seal(p, p->a, &m, 1);
	seal(p, p->a, &m, 1);
	assert_int_equal(open_rec(p, p->b, p->out.p, p->out.len), ERR_AUTH);
}

static void
test_chan_state(void **state)
{
	uint8_t		 k1[32], k2[32], h1[WIRE_STREAM_HDR_LEN];
	uint8_t		 h2[WIRE_STREAM_HDR_LEN], m = 'x';
	struct chan	*a, *b;
	struct wbuf	 out, in;

	(void)state;
	randombytes_buf(k1, sizeof(k1));
	randombytes_buf(k2, sizeof(k2));
	wbuf_init(&out, 0);
	wbuf_init(&in, 0);
	assert_int_equal(chan_new(&a, k1, k2, h1), 0);
	assert_int_equal(chan_new(&b, k2, k1, h2), 0);
	assert_memory_not_equal(h1, h2, sizeof(h1));

	/* sealing needs no header from the peer; opening does */
	assert_int_equal(chan_seal(a, &out, &m, 1), 0);
	assert_int_equal(chan_open(b, &in, out.p + WIRE_HDR_LEN,
	    out.len - WIRE_HDR_LEN), ERR_STATE);
	assert_int_equal(chan_accept(b, h1), 0);
	assert_int_equal(chan_accept(b, h1), ERR_STATE);	/* once */
	assert_int_equal(chan_open(b, &in, out.p + WIRE_HDR_LEN,
	    out.len - WIRE_HDR_LEN), 0);
	assert_int_equal(in.p[0], 'x');

	/* a header from another stream: accepted, then nothing opens */
	assert_int_equal(chan_accept(a, h1), 0);
	wbuf_reset(&out);
	assert_int_equal(chan_seal(b, &out, &m, 1), 0);
	assert_int_equal(chan_open(a, &in, out.p + WIRE_HDR_LEN,
	    out.len - WIRE_HDR_LEN), ERR_AUTH);
	chan_free(a);
	chan_free(b);
	chan_free(NULL);

	/* the wrong key */
	k2[0] ^= 1;
	assert_int_equal(chan_new(&a, k1, k2, h1), 0);
	assert_int_equal(chan_accept(a, h2), 0);
	assert_int_equal(chan_open(a, &in, out.p + WIRE_HDR_LEN,
	    out.len - WIRE_HDR_LEN), ERR_AUTH);
	chan_free(a);
	wbuf_free(&out);
	wbuf_free(&in);
}

/* Output buffers with a sticky error or too small a limit. */
static void
test_chan_buffers(void **state)
{
	struct pair	*p = *state;
	struct wbuf	 small;
	uint8_t		 m[64];

	memset(m, 'z', sizeof(m));
	wbuf_init(&small, 32);
	assert_int_equal(chan_seal(p->a, &small, m, sizeof(m)), ERR_TOOBIG);
	assert_int_equal(small.len, 0);
	assert_int_equal(chan_seal(p->a, &small, m, 1), ERR_TOOBIG); /* sticky */
	wbuf_reset(&small);

	/* the failed seals used up nothing */
	seal(p, p->a, m, sizeof(m));
	assert_int_equal(chan_open(p->b, &small, p->out.p + WIRE_HDR_LEN,
	    p->out.len - WIRE_HDR_LEN), ERR_TOOBIG);
	/* nor did the failed open */
	assert_int_equal(open_rec(p, p->b, p->out.p, p->out.len), 0);
	assert_memory_equal(p->in.p, m, sizeof(m));
	/* open resets its output first */
	assert_int_equal(wbuf_bytes(&p->in, "junk", 4), 0);
	seal(p, p->a, m, 3);
	assert_int_equal(open_rec(p, p->b, p->out.p, p->out.len), 0);
	assert_int_equal(p->in.len, 3);
	wbuf_free(&small);
}

/*
 * 2 * CHAN_REKEY_FRAMES + 5 one-byte frames all open, and a bare pull
 * state (the model) sees TAG_REKEY on exactly every CHAN_REKEY_FRAMES-th
 * frame.
 */
static void
test_chan_rekey(void **state)
{
	struct pair					*p = *state;
	crypto_secretstream_xchacha20poly1305_state	 model;
	uint8_t						 m, mm, tag;
	uint32_t					 i, n;
	unsigned long long				 mlen;

	assert_int_equal(crypto_secretstream_xchacha20poly1305_init_pull(
	    &model, p->ha, p->k1), 0);
	n = 2 * CHAN_REKEY_FRAMES + 5;
	for (i = 1; i <= n; i++) {
		m = (uint8_t)i;
		wbuf_reset(&p->out);
		assert_int_equal(chan_seal(p->a, &p->out, &m, 1), 0);
		assert_int_equal(crypto_secretstream_xchacha20poly1305_pull(
		    &model, &mm, &mlen, &tag, p->out.p + WIRE_HDR_LEN,
		    1 + ABYTES, NULL, 0), 0);
		assert_int_equal(mm, m);
		if (i % CHAN_REKEY_FRAMES == 0) {
			if (tag != TAG_REKEY)
				fail_msg("frame %u: no rekey", i);
		} else if (tag != TAG_MESSAGE)
			fail_msg("frame %u: tag %u", i, tag);
		if (open_rec(p, p->b, p->out.p, p->out.len) != 0)
			fail_msg("frame %u does not open", i);
		assert_int_equal(p->in.len, 1);
		assert_int_equal(p->in.p[0], m);
	}
}

/* A seal that fails where the rekey frame was due must not use up the
 * rekey: the receiver would refuse the stream a frame later. */
static void
test_chan_failed_seal_at_rekey(void **state)
{
	struct pair	*p = *state;
	struct wbuf	 small;
	uint8_t		 m = 1;
	uint32_t	 i;

	wbuf_init(&small, 8);
	for (i = 1; i <= 2 * CHAN_REKEY_FRAMES + 2; i++) {
		if (i == CHAN_REKEY_FRAMES)
			assert_int_equal(chan_seal(p->a, &small, &m, 1),
			    ERR_TOOBIG);
		seal(p, p->a, &m, 1);
		if (open_rec(p, p->b, p->out.p, p->out.len) != 0)
			fail_msg("frame %u does not open", i);
	}
	wbuf_free(&small);
}

/* A raw secretstream sender on a known key, with this chan as receiver. */
struct raw_sender {
	crypto_secretstream_xchacha20poly1305_state	 st;
	struct chan					*rcv;
	struct wbuf					 in;
};

static void
raw_sender_new(struct raw_sender *s)
{
	uint8_t	key[32], other[32], hdr[WIRE_STREAM_HDR_LEN];
	uint8_t	unused[WIRE_STREAM_HDR_LEN];

	randombytes_buf(key, sizeof(key));
	randombytes_buf(other, sizeof(other));
	assert_int_equal(chan_new(&s->rcv, other, key, unused), 0);
	assert_int_equal(crypto_secretstream_xchacha20poly1305_init_push(
	    &s->st, hdr, key), 0);
	assert_int_equal(chan_accept(s->rcv, hdr), 0);
	wbuf_init(&s->in, 0);
}

static int
raw_send(struct raw_sender *s, uint8_t tag)
{
	uint8_t	m = 'r', c[1 + ABYTES];

	assert_int_equal(crypto_secretstream_xchacha20poly1305_push(&s->st,
	    c, NULL, &m, 1, NULL, 0, tag), 0);
	return chan_open(s->rcv, &s->in, c, sizeof(c));
}

static void
raw_sender_free(struct raw_sender *s)
{
	chan_free(s->rcv);
	wbuf_free(&s->in);
}

static void
test_chan_no_rekey(void **state)
{
	struct raw_sender	s;
	uint32_t		i;

	(void)state;
	/* CHAN_REKEY_FRAMES message frames are tolerated; one more is not */
	raw_sender_new(&s);
	for (i = 1; i <= CHAN_REKEY_FRAMES; i++)
		if (raw_send(&s, TAG_MESSAGE) != 0)
			fail_msg("frame %u refused", i);
	assert_int_equal(raw_send(&s, TAG_MESSAGE), ERR_MALFORMED);
	raw_sender_free(&s);

	/* a rekey right at the bound resets the count */
	raw_sender_new(&s);
	for (i = 1; i <= CHAN_REKEY_FRAMES; i++)
		if (raw_send(&s, TAG_MESSAGE) != 0)
			fail_msg("frame %u refused", i);
	assert_int_equal(raw_send(&s, TAG_REKEY), 0);
	for (i = 1; i <= CHAN_REKEY_FRAMES; i++)
		if (raw_send(&s, TAG_MESSAGE) != 0)
			fail_msg("frame %u after rekey refused", i);
	assert_int_equal(raw_send(&s, TAG_MESSAGE), ERR_MALFORMED);
	raw_sender_free(&s);

	/* early rekeys are fine */
	raw_sender_new(&s);
	for (i = 1; i <= 3 * CHAN_REKEY_FRAMES; i++)
		if (raw_send(&s, i % 1000 == 0 ? TAG_REKEY : TAG_MESSAGE) != 0)
			fail_msg("frame %u refused", i);
	raw_sender_free(&s);
}

/* Tags the protocol does not use are refused. */
static void
test_chan_other_tags(void **state)
{
	struct raw_sender	s;

	(void)state;
	raw_sender_new(&s);
	assert_int_equal(raw_send(&s, TAG_MESSAGE), 0);
	assert_int_equal(raw_send(&s, TAG_PUSH), ERR_MALFORMED);
	raw_sender_free(&s);
	raw_sender_new(&s);
	assert_int_equal(raw_send(&s, TAG_FINAL), ERR_MALFORMED);
	raw_sender_free(&s);
	raw_sender_new(&s);
	assert_int_equal(raw_send(&s, TAG_PUSH | TAG_REKEY), ERR_MALFORMED);
	raw_sender_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_header_exact),
		cmocka_unit_test(test_record_header_data),
		cmocka_unit_test(test_record_header_unknown),
		cmocka_unit_test(test_record_put),
		cmocka_unit_test(test_text_valid),
		cmocka_unit_test(test_init_roundtrip),
		cmocka_unit_test(test_init_reject),
		cmocka_unit_test(test_resp_roundtrip),
		cmocka_unit_test(test_resp_reject),
		cmocka_unit_test(test_cookie_seal_open),
		cmocka_unit_test(test_cookie_mac),
		cmocka_unit_test(test_events_roundtrip),
		cmocka_unit_test(test_events_incompressible),
		cmocka_unit_test(test_events_encode_errors),
		cmocka_unit_test(test_events_decode_header),
		cmocka_unit_test(test_events_decode_max),
		cmocka_unit_test(test_events_decode_entries),
		cmocka_unit_test(test_events_decode_zstd),
		cmocka_unit_test(test_events_callback_stops),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test_setup_teardown(test_chan_many, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(test_chan_sizes, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(test_chan_tamper, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(test_chan_replay_reorder,
		    pair_setup, pair_teardown),
		cmocka_unit_test(test_chan_state),
		cmocka_unit_test_setup_teardown(test_chan_buffers, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(test_chan_rekey, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(test_chan_failed_seal_at_rekey,
		    pair_setup, pair_teardown),
		cmocka_unit_test(test_chan_no_rekey),
		cmocka_unit_test(test_chan_other_tags),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
