/*
 * wire.h: the vigil wire protocol (docs/protocol.md is the reference).
 *
 * Records on the TCP stream:   u32 length | u8 type | body
 * length counts type and body and is at most WIRE_MAX_RECORD. Each record
 * type has an exact body size, except DATA, which is bounded. Before the
 * handshake only KEYREQ/KEYRESP/HS_INIT/COOKIE/HS_INIT_COOKIE/HS_RESP/
 * STREAM_HDR may appear; after it only DATA. DATA bodies are crypto_secretstream_xchacha20poly1305
 * messages (struct chan); their plaintext is one inner message:
 *
 *   EVENTS     u8 type=1 | u8 flags | u32 count | u32 rawlen | payload
 *              payload (zstd-compressed if flags & 1) decodes to count
 *              entries of  u64 seq | u32 len | len bytes of JSON
 *   ACK        u8 type=2 | u64 seq         (all events <= seq are stored)
 *   HEARTBEAT  u8 type=3 | u32 len | JSON
 *
 * All integers are big-endian. Every decoder here takes untrusted bytes.
 */
#ifndef VIGIL_WIRE_H
#define VIGIL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "buf.h"
#include "keys.h"
#include "noise.h"

#define WIRE_VERSION		1
#define WIRE_HDR_LEN		5		/* u32 length + u8 type */
#define WIRE_MAX_FRAME		(1024 * 1024)	/* plaintext per DATA record */
#define WIRE_MAX_RECORD		(1 + WIRE_MAX_FRAME + \
	crypto_secretstream_xchacha20poly1305_ABYTES)
#define WIRE_MAX_BATCH_EVENTS	4096
#define WIRE_MAX_BATCH_RAW	(4 * 1024 * 1024)
#define WIRE_MAX_HEARTBEAT	(16 * 1024)
#define WIRE_TOKEN_LEN		16		/* enrollment token, raw */
#define WIRE_STREAM_HDR_LEN	crypto_secretstream_xchacha20poly1305_HEADERBYTES

enum wire_rtype {
	WIRE_KEYREQ = 1,	/* body: u8 version */
	WIRE_KEYRESP = 2,	/* body: collector public key */
	WIRE_HS_INIT = 3,	/* body: Noise IK message 1 */
	WIRE_HS_RESP = 4,	/* body: Noise IK message 2 */
	WIRE_STREAM_HDR = 5,	/* body: secretstream header */
	WIRE_DATA = 6,		/* body: secretstream message */
	WIRE_COOKIE = 7,	/* body: a sealed cookie (collector, busy) */
	WIRE_HS_INIT_COOKIE = 8, /* body: Noise IK message 1 + cookie MAC */
};

enum wire_mtype {
	WIRE_MSG_EVENTS = 1,
	WIRE_MSG_ACK = 2,
	WIRE_MSG_HEARTBEAT = 3,
};

#define WIRE_EVENTS_ZSTD	0x01

/* Handshake payloads: fixed layouts, NUL-padded strings. */
enum wire_hs_kind { WIRE_HS_CONNECT = 0, WIRE_HS_ENROLL = 1 };

/* A handshake timestamp may be at most this far ahead of the collector's
 * clock (docs/protocol.md): a day covers a hardware clock kept in local
 * time (7 h ahead in Vietnam); further ahead, the agent's clock is wrong,
 * and accepting it would lock the key out until that time. */
#define WIRE_HS_AHEAD_MAX_S	(24 * 3600)

struct wire_init_payload {
	uint8_t		kind;			/* enum wire_hs_kind */
	uint64_t	ts_ns;			/* strictly increasing per agent,
						 * unix ns, <= now + AHEAD_MAX */
	uint8_t		token[WIRE_TOKEN_LEN];	/* zero unless enrolling */
	char		version[32 + 1];	/* agent version */
};
#define WIRE_INIT_PAYLOAD_LEN	(1 + 8 + WIRE_TOKEN_LEN + 32)

struct wire_resp_payload {
	uint8_t		status;			/* 0: accepted */
	char		agent_id[AGENT_ID_STRLEN];
	char		name[64 + 1];
	char		office[64 + 1];
};
#define WIRE_RESP_PAYLOAD_LEN	(1 + 16 + 64 + 64)

#define WIRE_HS_INIT_LEN	NOISE_INIT_LEN(WIRE_INIT_PAYLOAD_LEN)
#define WIRE_HS_RESP_LEN	NOISE_RESP_LEN(WIRE_RESP_PAYLOAD_LEN)

/*
 * Cookies (docs/protocol.md, "Under load: cookies"), as WireGuard's: a
 * busy collector answers an HS_INIT with a COOKIE instead of doing the
 * Diffie-Hellman work, and the agent sends the same message again with a
 * MAC keyed by that cookie (HS_INIT_COOKIE). The cookie is the
 * collector's keyed hash of the agent's address and port; the COOKIE
 * record carries it sealed (XChaCha20-Poly1305) under a key derived from
 * the collector's public key, with the HS_INIT it answers as associated
 * data, so only the sender of that message can use it.
 */
#define WIRE_COOKIE_LEN		16	/* the cookie, and the MAC */
#define WIRE_COOKIE_NONCE_LEN	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define WIRE_COOKIE_REPLY_LEN	(WIRE_COOKIE_NONCE_LEN + WIRE_COOKIE_LEN + \
	crypto_aead_xchacha20poly1305_ietf_ABYTES)		/* 56 */
#define WIRE_HS_INIT_COOKIE_LEN	(WIRE_HS_INIT_LEN + WIRE_COOKIE_LEN)	/* 169 */

/* 1 if s[len] is printable UTF-8 (text_printable(): no control
 * characters, no NUL, no bidirectional controls). */
int	wire_text_valid(const char *s, size_t len);

/* Check a record header (WIRE_HDR_LEN bytes): a known type and a length
 * allowed for it. *bodylen gets the body length. ERR_TOOBIG for a length
 * over WIRE_MAX_RECORD, ERR_MALFORMED otherwise. */
int	wire_record_header(const uint8_t hdr[static WIRE_HDR_LEN],
	    uint8_t *type, size_t *bodylen);
/* Append a whole record. */
int	wire_record_put(struct wbuf *, uint8_t type, const void *body,
	    size_t len);

void	wire_init_encode(uint8_t out[static WIRE_INIT_PAYLOAD_LEN],
	    const struct wire_init_payload *);
int	wire_init_decode(struct wire_init_payload *,
	    const uint8_t in[static WIRE_INIT_PAYLOAD_LEN]);
void	wire_resp_encode(uint8_t out[static WIRE_RESP_PAYLOAD_LEN],
	    const struct wire_resp_payload *);
int	wire_resp_decode(struct wire_resp_payload *,
	    const uint8_t in[static WIRE_RESP_PAYLOAD_LEN]);

/* The key COOKIE records are sealed with: BLAKE2b-256 of a label and the
 * collector's public key (known to enrolled agents, pinned). */
void	wire_cookie_key(uint8_t key[static 32],
	    const uint8_t collector_pub[static KEY_LEN]);
/* A COOKIE body: cookie sealed under key with nonce (random, from the
 * caller), bound to init, the HS_INIT message it answers. */
void	wire_cookie_seal(uint8_t out[static WIRE_COOKIE_REPLY_LEN],
	    const uint8_t key[static 32],
	    const uint8_t cookie[static WIRE_COOKIE_LEN],
	    const uint8_t init[static WIRE_HS_INIT_LEN],
	    const uint8_t nonce[static WIRE_COOKIE_NONCE_LEN]);
/* Open a COOKIE body that answers init. ERR_AUTH (cookie zeroed) if it
 * was not sealed under key for init. */
int	wire_cookie_open(uint8_t cookie[static WIRE_COOKIE_LEN],
	    const uint8_t key[static 32],
	    const uint8_t body[static WIRE_COOKIE_REPLY_LEN],
	    const uint8_t init[static WIRE_HS_INIT_LEN]);
/* The MAC of an HS_INIT_COOKIE: BLAKE2b-128 of init keyed by cookie. The
 * record body is init followed by this MAC. */
void	wire_cookie_mac(uint8_t mac[static WIRE_COOKIE_LEN],
	    const uint8_t cookie[static WIRE_COOKIE_LEN],
	    const uint8_t init[static WIRE_HS_INIT_LEN]);

/* Inner messages. */
struct wire_event {
	uint64_t	 seq;
	const char	*json;
	size_t		 len;
};
typedef int	(*wire_event_cb)(void *arg, uint64_t seq, const char *json,
		    size_t len);

/* Append an EVENTS message for n events (seqs strictly increasing),
 * compressed if compress and it pays. ERR_TOOBIG past the batch limits. */
int	wire_events_encode(struct wbuf *out, const struct wire_event *evs,
	    size_t n, int compress);
/* Decode an EVENTS message (msg starts at the type byte); scratch holds
 * decompressed data. cb sees each event; a non-zero return stops and is
 * returned. ERR_MALFORMED, ERR_TOOBIG. Sequence numbers must strictly
 * increase within a message. */
int	wire_events_decode(const uint8_t *msg, size_t len, struct wbuf *scratch,
	    wire_event_cb cb, void *arg);
/* What an EVENTS message's header claims: its event count and the bytes
 * of its (decompressed) body, both within the batch limits. A sizing
 * hint only: wire_events_decode checks the claims. ERR_MALFORMED,
 * ERR_TOOBIG. */
int	wire_events_peek(const uint8_t *msg, size_t len, uint32_t *count,
	    uint32_t *rawlen);
int	wire_ack_encode(struct wbuf *, uint64_t seq);
int	wire_ack_decode(uint64_t *seq, const uint8_t *msg, size_t len);
int	wire_heartbeat_encode(struct wbuf *, const char *json, size_t len);
int	wire_heartbeat_decode(const char **json, size_t *len,
	    const uint8_t *msg, size_t len_msg);

/*
 * A secure channel after the handshake: one secretstream per direction.
 * The sender marks every CHAN_REKEY_FRAMES-th frame TAG_REKEY, so keys
 * roll forward; the receiver refuses a peer that goes more than
 * CHAN_REKEY_FRAMES frames without rekeying. Replayed, reordered,
 * truncated or forged frames fail authentication (ERR_AUTH).
 */
#define CHAN_REKEY_FRAMES	(1U << 16)

struct chan;

/* tx/rx from noise_split(). hdr gets this side's stream header, which
 * must be sent to the peer as a STREAM_HDR record. */
int	chan_new(struct chan **out, const uint8_t tx[static 32],
	    const uint8_t rx[static 32],
	    uint8_t hdr[static WIRE_STREAM_HDR_LEN]);
/* The peer's stream header; before it chan_open fails with ERR_STATE. */
int	chan_accept(struct chan *, const uint8_t hdr[static WIRE_STREAM_HDR_LEN]);
/* Encrypt m as one DATA record appended to out. ERR_TOOBIG. */
int	chan_seal(struct chan *, struct wbuf *out, const uint8_t *m, size_t mlen);
/* Decrypt a DATA body into out (reset first). ERR_AUTH, ERR_STATE. */
int	chan_open(struct chan *, struct wbuf *out, const uint8_t *c, size_t clen);
void	chan_free(struct chan *);

#endif
