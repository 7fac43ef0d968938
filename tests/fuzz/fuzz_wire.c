/*
 * fuzz_wire.c: untrusted bytes through every decoder in common/wire.c.
 *
 * The first input byte picks what the rest is (low 3 bits):
 *   0  a record header (the first 5 bytes)
 *   1  an HS_INIT payload, 2  an HS_RESP payload (copied into buffers of
 *      exactly the payload size, zero-padded, so ASan sees any over-read)
 *   3  an EVENTS message, 4  an ACK, 5  a HEARTBEAT
 *   6  a stream of records to a chan keyed with FUZZ_RX_KEY that accepted
 *      FUZZ_HDR; each DATA body is opened and its plaintext decoded as an
 *      inner message, as the collector does, until one fails
 *   7  text for wire_text_valid, checked against a naive UTF-8 decoder;
 *      with bit 3 also set, a COOKIE body (the first 56 bytes) and the
 *      HS_INIT it answers (the next 153, zero-padded), opened under the
 *      key of FUZZ_COLLECTOR_PUB as the agent does
 * Decoders must never crash, leak or read out of bounds; beyond that,
 * whatever decodes must re-encode to the same bytes (the formats are
 * canonical) and results must keep the documented contract, or we abort.
 *
 * The seeds in corpus/wire/ include valid frames for FUZZ_RX_KEY and
 * FUZZ_HDR: a pull state initialised from a header is the push state
 * that header came from, so frames can be made for a fixed header; and
 * a COOKIE sealed for FUZZ_COLLECTOR_PUB (cookie-valid).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "wire.h"

#define ABYTES	crypto_secretstream_xchacha20poly1305_ABYTES

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	FUZZ_RX_KEY[32] = {
	0x66, 0x75, 0x7a, 0x7a, 0x20, 0x72, 0x78, 0x20, 0x6b, 0x65, 0x79,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
};
static const uint8_t	FUZZ_TX_KEY[32] = {
	0x66, 0x75, 0x7a, 0x7a, 0x20, 0x74, 0x78, 0x20, 0x6b, 0x65, 0x79,
};
static const uint8_t	FUZZ_COLLECTOR_PUB[KEY_LEN] = {
	0x66, 0x75, 0x7a, 0x7a, 0x20, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63,
	0x74, 0x6f, 0x72,
};
static const uint8_t	FUZZ_HDR[WIRE_STREAM_HDR_LEN] = {
	0x68, 0x64, 0x72, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
	0x6a, 0x6b,
};

enum { F_HEADER, F_INIT, F_RESP, F_EVENTS, F_ACK, F_HEARTBEAT, F_CHAN,
    F_TEXT, F_COOKIE = 15 };

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	check(sodium_init() >= 0);
	return 0;
}

static void
fuzz_header(const uint8_t *p, size_t len)
{
	uint8_t	hdr[WIRE_HDR_LEN], again[WIRE_HDR_LEN], t;
	size_t	body;
	int	rc;

	if (len < WIRE_HDR_LEN)
		return;
	memcpy(hdr, p, WIRE_HDR_LEN);
	rc = wire_record_header(hdr, &t, &body);
	if (rc != 0) {
		check(rc == ERR_MALFORMED || rc == ERR_TOOBIG);
		return;
	}
	check(t >= WIRE_KEYREQ && t <= WIRE_HS_INIT_COOKIE);
	check(body < WIRE_MAX_RECORD);
	check(t != WIRE_DATA || body > ABYTES);
	again[0] = (uint8_t)((body + 1) >> 24);
	again[1] = (uint8_t)((body + 1) >> 16);
	again[2] = (uint8_t)((body + 1) >> 8);
	again[3] = (uint8_t)(body + 1);
	again[4] = t;
	check(memcmp(again, hdr, WIRE_HDR_LEN) == 0);
}

/* An exact-size heap copy of the input, zero-padded or cut. */
static uint8_t *
exact(const uint8_t *p, size_t len, size_t want)
{
	uint8_t	*b;

	check((b = calloc(1, want)) != NULL);
	memcpy(b, p, len < want ? len : want);
	return b;
}

static void
fuzz_init(const uint8_t *p, size_t len)
{
	struct wire_init_payload	 ip;
	uint8_t				*in, out[WIRE_INIT_PAYLOAD_LEN];
	int				 rc;

	in = exact(p, len, WIRE_INIT_PAYLOAD_LEN);
	rc = wire_init_decode(&ip, in);
	if (rc == 0) {
		check(ip.kind == WIRE_HS_CONNECT || ip.kind == WIRE_HS_ENROLL);
		check(wire_text_valid(ip.version, strlen(ip.version)));
		wire_init_encode(out, &ip);
		check(memcmp(out, in, sizeof(out)) == 0);
	} else
		check(rc == ERR_MALFORMED);
	free(in);
}

static void
fuzz_resp(const uint8_t *p, size_t len)
{
	struct wire_resp_payload	 rp;
	uint8_t				*in, out[WIRE_RESP_PAYLOAD_LEN];
	int				 rc;

	in = exact(p, len, WIRE_RESP_PAYLOAD_LEN);
	rc = wire_resp_decode(&rp, in);
	if (rc == 0) {
		check(wire_text_valid(rp.agent_id, strlen(rp.agent_id)));
		check(wire_text_valid(rp.name, strlen(rp.name)));
		check(wire_text_valid(rp.office, strlen(rp.office)));
		wire_resp_encode(out, &rp);
		check(memcmp(out, in, sizeof(out)) == 0);
	} else
		check(rc == ERR_MALFORMED);
	free(in);
}

/* What the events callback saw. */
struct seen {
	struct wire_event	ev[WIRE_MAX_BATCH_EVENTS];
	size_t			n;
	uint64_t		sum;
};

static int
on_event(void *arg, uint64_t seq, const char *json, size_t len)
{
	struct seen	*s = arg;
	size_t		 i;

	check(s->n < WIRE_MAX_BATCH_EVENTS);
	check(seq > 0 && seq <= INT64_MAX);
	check(s->n == 0 || seq > s->ev[s->n - 1].seq);
	check(len <= WIRE_MAX_BATCH_RAW);
	for (i = 0; i < len; i++)	/* touch every byte */
		s->sum += (uint8_t)json[i];
	s->ev[s->n].seq = seq;
	s->ev[s->n].json = json;
	s->ev[s->n].len = len;
	s->n++;
	return 0;
}

/* Re-encoding what decoded gives the same raw payload, both ways. */
static void
reencode(const struct seen *s, const uint8_t *raw, size_t rawlen)
{
	struct wbuf	w, scratch;
	struct seen	*again;

	wbuf_init(&w, 0);
	check(wire_events_encode(&w, s->ev, s->n, 0) == 0);
	check(w.len == 10 + rawlen);
	check(rawlen == 0 || memcmp(w.p + 10, raw, rawlen) == 0);
	wbuf_reset(&w);
	check(wire_events_encode(&w, s->ev, s->n, 1) == 0);
	check((again = calloc(1, sizeof(*again))) != NULL);
	wbuf_init(&scratch, 0);
	check(wire_events_decode(w.p, w.len, &scratch, on_event, again) == 0);
	check(again->n == s->n && again->sum == s->sum);
	free(again);
	wbuf_free(&scratch);
	wbuf_free(&w);
}

static void
fuzz_events(const uint8_t *p, size_t len)
{
	struct wbuf	 scratch;
	struct seen	*s;
	uint32_t	 count;
	int		 rc;

	check((s = calloc(1, sizeof(*s))) != NULL);
	wbuf_init(&scratch, 0);
	rc = wire_events_decode(p, len, &scratch, on_event, s);
	if (rc == 0) {
		check(len >= 10);
		count = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 |
		    (uint32_t)p[4] << 8 | p[5];
		check(s->n == count);
		if (p[1] & WIRE_EVENTS_ZSTD)
			reencode(s, scratch.p, scratch.len);
		else
			reencode(s, p + 10, len - 10);
	} else
		check(rc == ERR_MALFORMED || rc == ERR_TOOBIG ||
		    rc == ERR_NOMEM);
	wbuf_free(&scratch);
	free(s);
}

static void
fuzz_ack(const uint8_t *p, size_t len)
{
	struct wbuf	w;
	uint64_t	seq;
	int		rc;

	rc = wire_ack_decode(&seq, p, len);
	if (rc != 0) {
		check(rc == ERR_MALFORMED);
		return;
	}
	wbuf_init(&w, 0);
	check(wire_ack_encode(&w, seq) == 0);
	check(w.len == len && memcmp(w.p, p, len) == 0);
	wbuf_free(&w);
}

static void
fuzz_heartbeat(const uint8_t *p, size_t len)
{
	struct wbuf	 w;
	const char	*json;
	size_t		 jlen, i;
	uint64_t	 sum = 0;
	int		 rc;

	rc = wire_heartbeat_decode(&json, &jlen, p, len);
	if (rc != 0) {
		check(rc == ERR_MALFORMED || rc == ERR_TOOBIG);
		return;
	}
	check(jlen <= WIRE_MAX_HEARTBEAT);
	for (i = 0; i < jlen; i++)
		sum += (uint8_t)json[i];
	wbuf_init(&w, 0);
	check(wire_heartbeat_encode(&w, json, jlen) == 0);
	check(w.len == len && memcmp(w.p, p, len) == 0);
	wbuf_free(&w);
	check(sum <= (uint64_t)jlen * 255);
}

/* A decrypted inner message, dispatched on its type byte. */
static void
inner(const uint8_t *p, size_t len)
{
	check(len > 0);
	switch (p[0]) {
	case WIRE_MSG_EVENTS:
		fuzz_events(p, len);
		break;
	case WIRE_MSG_ACK:
		fuzz_ack(p, len);
		break;
	case WIRE_MSG_HEARTBEAT:
		fuzz_heartbeat(p, len);
		break;
	default:
		break;		/* the collector closes the connection */
	}
}

static void
fuzz_chan(const uint8_t *p, size_t len)
{
	struct chan	*c;
	struct wbuf	 out;
	struct rd	 r;
	const uint8_t	*hdr, *body;
	uint8_t		 myhdr[WIRE_STREAM_HDR_LEN], t;
	size_t		 blen;
	int		 rc;

	check(chan_new(&c, FUZZ_TX_KEY, FUZZ_RX_KEY, myhdr) == 0);
	wbuf_init(&out, 0);
	/* a frame before the peer's header is refused */
	check(chan_open(c, &out, p, len) == ERR_STATE);
	check(chan_accept(c, FUZZ_HDR) == 0);
	check(chan_accept(c, FUZZ_HDR) == ERR_STATE);
	rd_init(&r, p, len);
	while (r.len >= WIRE_HDR_LEN) {
		if (rd_ptr(&r, &hdr, WIRE_HDR_LEN) != 0 ||
		    wire_record_header(hdr, &t, &blen) != 0 ||
		    rd_ptr(&r, &body, blen) != 0)
			break;
		if (t != WIRE_DATA)
			break;
		rc = chan_open(c, &out, body, blen);
		if (rc != 0) {
			check(rc == ERR_AUTH || rc == ERR_MALFORMED);
			break;
		}
		check(out.len == blen - ABYTES);
		inner(out.p, out.len);
	}
	wbuf_free(&out);
	chan_free(c);
}

/*
 * The naive model of wire_text_valid: decode each code point the long
 * way and check it is shortest-form, not a surrogate, at most U+10FFFF,
 * not a C0 or C1 control or DEL, and not a bidirectional override or
 * isolate (U+202A..U+202E, U+2066..U+2069) or a line or paragraph
 * separator (U+2028, U+2029).
 */
static int
naive_text_valid(const uint8_t *s, size_t len)
{
	size_t		i = 0, n, j;
	uint32_t	cp;

	while (i < len) {
		if (s[i] < 0x80) {
			n = 0;
			cp = s[i];
		} else if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (n > len - i - 1)
			return 0;			/* cut short */
		for (j = 1; j <= n; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000))
			return 0;			/* overlong */
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return 0;
		if ((cp >= 0x202a && cp <= 0x202e) || cp == 0x2028 ||
		    cp == 0x2029 || (cp >= 0x2066 && cp <= 0x2069))
			return 0;
		i += n + 1;
	}
	return 1;
}

static void
fuzz_text(const uint8_t *p, size_t len)
{
	char	*s;

	/* an exact-size copy, so reading past len is caught */
	check((s = malloc(len ? len : 1)) != NULL);
	if (len > 0)
		memcpy(s, p, len);
	check(wire_text_valid(s, len) == naive_text_valid(p, len));
	free(s);
}

/* A COOKIE body and the HS_INIT it answers, opened as the agent does;
 * what opens must seal back to the same bytes, and the MAC sent back is
 * a pure function of cookie and message. */
static void
fuzz_cookie(const uint8_t *p, size_t len)
{
	uint8_t	*body, *init, key[32], cookie[WIRE_COOKIE_LEN];
	uint8_t	again[WIRE_COOKIE_REPLY_LEN], mac[WIRE_COOKIE_LEN];
	uint8_t	mac2[WIRE_COOKIE_LEN];
	size_t	i;
	int	rc;

	body = exact(p, len, WIRE_COOKIE_REPLY_LEN);
	init = exact(len > WIRE_COOKIE_REPLY_LEN ? p + WIRE_COOKIE_REPLY_LEN :
	    p, len > WIRE_COOKIE_REPLY_LEN ? len - WIRE_COOKIE_REPLY_LEN : 0,
	    WIRE_HS_INIT_LEN);
	wire_cookie_key(key, FUZZ_COLLECTOR_PUB);
	rc = wire_cookie_open(cookie, key, body, init);
	if (rc == 0) {
		wire_cookie_seal(again, key, cookie, init, body);
		check(memcmp(again, body, sizeof(again)) == 0);
		wire_cookie_mac(mac, cookie, init);
		wire_cookie_mac(mac2, cookie, init);
		check(memcmp(mac, mac2, sizeof(mac)) == 0);
	} else {
		check(rc == ERR_AUTH);
		for (i = 0; i < sizeof(cookie); i++)
			check(cookie[i] == 0);
	}
	free(body);
	free(init);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data + 1;
	size_t		 len;

	if (size < 1)
		return 0;
	len = size - 1;
	switch (data[0] & 7) {
	case F_HEADER:
		fuzz_header(p, len);
		break;
	case F_INIT:
		fuzz_init(p, len);
		break;
	case F_RESP:
		fuzz_resp(p, len);
		break;
	case F_EVENTS:
		fuzz_events(p, len);
		break;
	case F_ACK:
		fuzz_ack(p, len);
		break;
	case F_HEARTBEAT:
		fuzz_heartbeat(p, len);
		break;
	case F_CHAN:
		fuzz_chan(p, len);
		break;
	default:
		if ((data[0] & 15) == F_COOKIE)
			fuzz_cookie(p, len);
		else
			fuzz_text(p, len);
		break;
	}
	return 0;
}
