/*
 * wire.c: record framing, handshake payloads, inner messages and the
 * secretstream channel of the vigil protocol (docs/protocol.md).
 *
 * Everything decoded here is untrusted. Decoders read through struct rd
 * and check exact sizes; nothing is copied with a length taken from the
 * peer before that length has been checked against a fixed limit.
 * Load: one record header check per record, one secretstream operation
 * per frame, one zstd (de)compression per batch of up to 4096 events.
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "err.h"
#include "text.h"
#include "wire.h"

#define ABYTES	crypto_secretstream_xchacha20poly1305_ABYTES

int
wire_record_header(const uint8_t hdr[static WIRE_HDR_LEN], uint8_t *type,
    size_t *bodylen)
{
	struct rd	r;
	uint32_t	len;
	uint8_t		t;
	size_t		body, want = 0;

	rd_init(&r, hdr, WIRE_HDR_LEN);
	rd_u32(&r, &len);
	rd_u8(&r, &t);
	if (len > WIRE_MAX_RECORD)
		return ERR_TOOBIG;
	if (len < 1)
		return ERR_MALFORMED;
	body = len - 1;
	switch (t) {
	case WIRE_KEYREQ:	want = 1; break;
	case WIRE_KEYRESP:	want = KEY_LEN; break;
	case WIRE_HS_INIT:	want = WIRE_HS_INIT_LEN; break;
	case WIRE_HS_RESP:	want = WIRE_HS_RESP_LEN; break;
	case WIRE_STREAM_HDR:	want = WIRE_STREAM_HDR_LEN; break;
	case WIRE_COOKIE:	want = WIRE_COOKIE_REPLY_LEN; break;
	case WIRE_HS_INIT_COOKIE: want = WIRE_HS_INIT_COOKIE_LEN; break;
	case WIRE_DATA:
		if (body <= ABYTES)
			return ERR_MALFORMED;
		break;
	default:
		return ERR_MALFORMED;
	}
	if (t != WIRE_DATA && body != want)
		return ERR_MALFORMED;
	*type = t;
	*bodylen = body;
	return 0;
}

int
wire_record_put(struct wbuf *w, uint8_t type, const void *body, size_t len)
{
	if (len > WIRE_MAX_RECORD - 1)
		return ERR_TOOBIG;
	wbuf_u32(w, (uint32_t)(len + 1));
	wbuf_u8(w, type);
	return wbuf_bytes(w, body, len);
}

int
wire_text_valid(const char *s, size_t len)
{
	return text_printable(s, len);
}

/* Copy a NUL-padded text field: valid text up to the first NUL, then
 * only NULs. */
static int
text_field(char *out, const uint8_t *p, size_t n)
{
	size_t	len, j;

	for (len = 0; len < n && p[len] != 0; len++)
		;
	for (j = len; j < n; j++)
		if (p[j] != 0)
			return ERR_MALFORMED;
	if (!wire_text_valid((const char *)p, len))
		return ERR_MALFORMED;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static void
put_text(uint8_t *out, size_t n, const char *s)
{
	size_t	len = strnlen(s, n);

	memset(out, 0, n);
	memcpy(out, s, len);
}

void
wire_init_encode(uint8_t out[static WIRE_INIT_PAYLOAD_LEN],
    const struct wire_init_payload *p)
{
	size_t	i;

	/* Fixed layout, written in place: no allocation that could fail. */
	out[0] = p->kind;
	for (i = 0; i < 8; i++)
		out[1 + i] = (uint8_t)(p->ts_ns >> (56 - 8 * i));
	memcpy(out + 9, p->token, WIRE_TOKEN_LEN);
	put_text(out + 9 + WIRE_TOKEN_LEN, 32, p->version);
}

int
wire_init_decode(struct wire_init_payload *p,
    const uint8_t in[static WIRE_INIT_PAYLOAD_LEN])
{
	struct rd	 r;
	const uint8_t	*ver;
	size_t		 i;
	int		 zero = 1;

	memset(p, 0, sizeof(*p));
	rd_init(&r, in, WIRE_INIT_PAYLOAD_LEN);
	rd_u8(&r, &p->kind);
	rd_u64(&r, &p->ts_ns);
	rd_bytes(&r, p->token, WIRE_TOKEN_LEN);
	rd_ptr(&r, &ver, 32);
	if (rd_end(&r) != 0)
		return ERR_MALFORMED;
	for (i = 0; i < WIRE_TOKEN_LEN; i++)
		zero &= p->token[i] == 0;
	if (p->kind == WIRE_HS_CONNECT && !zero)
		return ERR_MALFORMED;
	if (p->kind != WIRE_HS_CONNECT && p->kind != WIRE_HS_ENROLL)
		return ERR_MALFORMED;
	return text_field(p->version, ver, 32);
}

void
wire_resp_encode(uint8_t out[static WIRE_RESP_PAYLOAD_LEN],
    const struct wire_resp_payload *p)
{
	out[0] = p->status;
	put_text(out + 1, 16, p->agent_id);
	put_text(out + 17, 64, p->name);
	put_text(out + 81, 64, p->office);
}

int
wire_resp_decode(struct wire_resp_payload *p,
    const uint8_t in[static WIRE_RESP_PAYLOAD_LEN])
{
	memset(p, 0, sizeof(*p));
	p->status = in[0];
	if (text_field(p->agent_id, in + 1, 16) != 0 ||
	    text_field(p->name, in + 17, 64) != 0 ||
	    text_field(p->office, in + 81, 64) != 0)
		return ERR_MALFORMED;
	return 0;
}

void
wire_cookie_key(uint8_t key[static 32],
    const uint8_t collector_pub[static KEY_LEN])
{
	static const char		 label[] = "vigil/1 cookie key";
	crypto_generichash_state	 st;

	/* fixed, valid lengths: these cannot fail */
	(void)crypto_generichash_init(&st, NULL, 0, 32);
	(void)crypto_generichash_update(&st, (const uint8_t *)label,
	    sizeof(label) - 1);
	(void)crypto_generichash_update(&st, collector_pub, KEY_LEN);
	(void)crypto_generichash_final(&st, key, 32);
}

void
wire_cookie_seal(uint8_t out[static WIRE_COOKIE_REPLY_LEN],
    const uint8_t key[static 32], const uint8_t cookie[static WIRE_COOKIE_LEN],
    const uint8_t init[static WIRE_HS_INIT_LEN],
    const uint8_t nonce[static WIRE_COOKIE_NONCE_LEN])
{
	memcpy(out, nonce, WIRE_COOKIE_NONCE_LEN);
	(void)crypto_aead_xchacha20poly1305_ietf_encrypt(
	    out + WIRE_COOKIE_NONCE_LEN,
	    NULL, cookie, WIRE_COOKIE_LEN, init, WIRE_HS_INIT_LEN, NULL, nonce,
	    key);
}

int
wire_cookie_open(uint8_t cookie[static WIRE_COOKIE_LEN],
    const uint8_t key[static 32], const uint8_t body[static WIRE_COOKIE_REPLY_LEN],
    const uint8_t init[static WIRE_HS_INIT_LEN])
{
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL,
	    body + WIRE_COOKIE_NONCE_LEN, WIRE_COOKIE_REPLY_LEN -
	    WIRE_COOKIE_NONCE_LEN, init, WIRE_HS_INIT_LEN, body, key) != 0) {
		sodium_memzero(cookie, WIRE_COOKIE_LEN);
		return ERR_AUTH;
	}
	return 0;
}

void
wire_cookie_mac(uint8_t mac[static WIRE_COOKIE_LEN],
    const uint8_t cookie[static WIRE_COOKIE_LEN],
    const uint8_t init[static WIRE_HS_INIT_LEN])
{
	(void)crypto_generichash(mac, WIRE_COOKIE_LEN, init, WIRE_HS_INIT_LEN,
	    cookie, WIRE_COOKIE_LEN);
}

int
wire_events_encode(struct wbuf *out, const struct wire_event *evs, size_t n,
    int compress)
{
	struct wbuf	 raw;
	size_t		 i, bound, clen, start;
	uint8_t		*dst;
	int		 rc;

	if (n > WIRE_MAX_BATCH_EVENTS)
		return ERR_TOOBIG;
	wbuf_init(&raw, WIRE_MAX_BATCH_RAW);
	for (i = 0; i < n; i++) {
		if (evs[i].seq == 0 || evs[i].seq > INT64_MAX ||
		    (i > 0 && evs[i].seq <= evs[i - 1].seq)) {
			wbuf_free(&raw);
			return ERR_USAGE;
		}
		if (evs[i].len > UINT32_MAX) {
			wbuf_free(&raw);
			return ERR_TOOBIG;
		}
		wbuf_u64(&raw, evs[i].seq);
		wbuf_u32(&raw, (uint32_t)evs[i].len);
		wbuf_bytes(&raw, evs[i].json, evs[i].len);
	}
	if ((rc = raw.err) != 0)
		goto done;
	start = out->len;
	wbuf_u8(out, WIRE_MSG_EVENTS);
	wbuf_u8(out, 0);
	wbuf_u32(out, (uint32_t)n);
	wbuf_u32(out, (uint32_t)raw.len);
	if (compress && raw.len > 256) {
		bound = ZSTD_compressBound(raw.len);
		if ((rc = wbuf_reserve(out, bound)) != 0)
			goto done;
		dst = out->p + out->len;
		clen = ZSTD_compress(dst, bound, raw.p, raw.len, 1);
		if (!ZSTD_isError(clen) && clen < raw.len) {
			out->p[start + 1] = WIRE_EVENTS_ZSTD;
			out->len += clen;
			goto done;
		}
	}
	rc = wbuf_bytes(out, raw.p, raw.len);
done:
	wbuf_free(&raw);
	return rc ? rc : out->err;
}

int
wire_events_peek(const uint8_t *msg, size_t len, uint32_t *count,
    uint32_t *rawlen)
{
	struct rd	r;
	uint8_t		type, flags;

	rd_init(&r, msg, len);
	rd_u8(&r, &type);
	rd_u8(&r, &flags);
	rd_u32(&r, count);
	rd_u32(&r, rawlen);
	if (r.err || type != WIRE_MSG_EVENTS || (flags & ~WIRE_EVENTS_ZSTD))
		return ERR_MALFORMED;
	if (*count > WIRE_MAX_BATCH_EVENTS || *rawlen > WIRE_MAX_BATCH_RAW)
		return ERR_TOOBIG;
	return 0;
}

int
wire_events_decode(const uint8_t *msg, size_t len, struct wbuf *scratch,
    wire_event_cb cb, void *arg)
{
	struct rd		 r, body;
	uint8_t			 type, flags;
	uint32_t		 count, rawlen, elen, i;
	uint64_t		 seq, prev = 0;
	const uint8_t		*p;
	unsigned long long	 fsize;
	size_t			 got;
	int			 rc;

	if ((rc = wire_events_peek(msg, len, &count, &rawlen)) != 0)
		return rc;
	rd_init(&r, msg, len);
	rd_u8(&r, &type);
	rd_u8(&r, &flags);
	rd_u32(&r, &count);
	rd_u32(&r, &rawlen);
	if (flags & WIRE_EVENTS_ZSTD) {
		fsize = ZSTD_getFrameContentSize(r.p, r.len);
		if (fsize != rawlen)
			return ERR_MALFORMED;
		wbuf_reset(scratch);
		if (wbuf_reserve(scratch, rawlen) != 0)
			return ERR_NOMEM;
		got = ZSTD_decompress(scratch->p, rawlen, r.p, r.len);
		if (ZSTD_isError(got) || got != rawlen)
			return ERR_MALFORMED;
		scratch->len = rawlen;
		rd_init(&body, scratch->p, rawlen);
	} else {
		if (r.len != rawlen)
			return ERR_MALFORMED;
		rd_init(&body, r.p, r.len);
	}
	for (i = 0; i < count; i++) {
		rd_u64(&body, &seq);
		rd_u32(&body, &elen);
		if (rd_ptr(&body, &p, elen) != 0)
			return ERR_MALFORMED;
		if (seq == 0 || seq <= prev || seq > INT64_MAX)
			return ERR_MALFORMED;
		prev = seq;
		if ((rc = cb(arg, seq, (const char *)p, elen)) != 0)
			return rc;
	}
	return rd_end(&body);
}

int
wire_ack_encode(struct wbuf *w, uint64_t seq)
{
	wbuf_u8(w, WIRE_MSG_ACK);
	return wbuf_u64(w, seq);
}

int
wire_ack_decode(uint64_t *seq, const uint8_t *msg, size_t len)
{
	struct rd	r;
	uint8_t		type;

	rd_init(&r, msg, len);
	rd_u8(&r, &type);
	rd_u64(&r, seq);
	if (rd_end(&r) != 0 || type != WIRE_MSG_ACK)
		return ERR_MALFORMED;
	return 0;
}

int
wire_heartbeat_encode(struct wbuf *w, const char *json, size_t len)
{
	if (len > WIRE_MAX_HEARTBEAT)
		return ERR_TOOBIG;
	wbuf_u8(w, WIRE_MSG_HEARTBEAT);
	wbuf_u32(w, (uint32_t)len);
	return wbuf_bytes(w, json, len);
}

int
wire_heartbeat_decode(const char **json, size_t *len, const uint8_t *msg,
    size_t len_msg)
{
	struct rd	 r;
	uint8_t		 type;
	uint32_t	 n;
	const uint8_t	*p;

	rd_init(&r, msg, len_msg);
	rd_u8(&r, &type);
	rd_u32(&r, &n);
	if (r.err || type != WIRE_MSG_HEARTBEAT)
		return ERR_MALFORMED;
	if (n > WIRE_MAX_HEARTBEAT)
		return ERR_TOOBIG;
	rd_ptr(&r, &p, n);
	if (rd_end(&r) != 0)
		return ERR_MALFORMED;
	*json = (const char *)p;
	*len = n;
	return 0;
}

struct chan {
	crypto_secretstream_xchacha20poly1305_state	tx;
	crypto_secretstream_xchacha20poly1305_state	rx;
	uint8_t						rxkey[32];
	int						rx_ready;
	uint32_t					tx_frames;
	uint32_t					rx_frames;
};

int
chan_new(struct chan **out, const uint8_t tx[static 32],
    const uint8_t rx[static 32], uint8_t hdr[static WIRE_STREAM_HDR_LEN])
{
	struct chan	*c;

	*out = NULL;
	/* calloc, not sodium_malloc: the collector holds one per agent, and
	 * guard pages plus mlock for each of thousands cost far more than the
	 * 200 bytes of state. The state is wiped on free. */
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_NOMEM;
	crypto_secretstream_xchacha20poly1305_init_push(&c->tx, hdr, tx);
	memcpy(c->rxkey, rx, 32);
	*out = c;
	return 0;
}

int
chan_accept(struct chan *c, const uint8_t hdr[static WIRE_STREAM_HDR_LEN])
{
	if (c->rx_ready)
		return ERR_STATE;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&c->rx, hdr,
	    c->rxkey) != 0)
		return ERR_AUTH;
	sodium_memzero(c->rxkey, sizeof(c->rxkey));
	c->rx_ready = 1;
	return 0;
}

int
chan_seal(struct chan *c, struct wbuf *out, const uint8_t *m, size_t mlen)
{
	uint8_t	*p, tag = crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;

	if (mlen == 0 || mlen > WIRE_MAX_FRAME)
		return ERR_TOOBIG;
	if ((p = wbuf_extend(out, WIRE_HDR_LEN + mlen + ABYTES)) == NULL)
		return out->err;
	/* count only frames that go out, or a failed seal eats the rekey */
	if (++c->tx_frames >= CHAN_REKEY_FRAMES) {
		tag = crypto_secretstream_xchacha20poly1305_TAG_REKEY;
		c->tx_frames = 0;
	}
	p[0] = (uint8_t)((1 + mlen + ABYTES) >> 24);
	p[1] = (uint8_t)((1 + mlen + ABYTES) >> 16);
	p[2] = (uint8_t)((1 + mlen + ABYTES) >> 8);
	p[3] = (uint8_t)(1 + mlen + ABYTES);
	p[4] = WIRE_DATA;
	crypto_secretstream_xchacha20poly1305_push(&c->tx, p + WIRE_HDR_LEN,
	    NULL, m, mlen, NULL, 0, tag);
	return 0;
}

int
chan_open(struct chan *c, struct wbuf *out, const uint8_t *ct, size_t clen)
{
	unsigned long long	mlen;
	uint8_t			tag;

	if (!c->rx_ready)
		return ERR_STATE;
	if (clen <= ABYTES || clen - ABYTES > WIRE_MAX_FRAME)
		return ERR_TOOBIG;
	wbuf_reset(out);
	if (wbuf_reserve(out, clen - ABYTES) != 0)
		return out->err;
	if (crypto_secretstream_xchacha20poly1305_pull(&c->rx, out->p, &mlen,
	    &tag, ct, clen, NULL, 0) != 0)
		return ERR_AUTH;
	out->len = (size_t)mlen;
	if (tag == crypto_secretstream_xchacha20poly1305_TAG_REKEY)
		c->rx_frames = 0;
	else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
		return ERR_MALFORMED;
	else if (++c->rx_frames >= CHAN_REKEY_FRAMES + 1)
		return ERR_MALFORMED;	/* peer did not rekey in time */
	return 0;
}

void
chan_free(struct chan *c)
{
	if (c != NULL) {
		sodium_memzero(c, sizeof(*c));
		free(c);
	}
}
