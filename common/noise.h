/*
 * noise.h: the Noise IK handshake (Noise_IK_25519_ChaChaPoly_BLAKE2b),
 * built only from libsodium primitives.
 *
 *   <- s
 *   ...
 *   -> e, es, s, ss      (message 1, initiator = agent)
 *   <- e, ee, se         (message 2, responder = collector)
 *
 * The prologue is NOISE_PROLOGUE, so a peer speaking another protocol
 * version fails the first MAC. Each message carries a payload of a length
 * fixed by the caller (the wire layer checks exact sizes). After message 2
 * both sides call noise_split() and get two 32-byte keys: one for each
 * direction (initiator->responder, responder->initiator), from which the
 * caller keys its crypto_secretstream states. The handshake object is
 * single-use: any failure leaves it in an error state and it must be freed.
 * All secrets are wiped on free.
 *
 * Errors: ERR_AUTH for a failed MAC or a bad DH (low-order point),
 * ERR_TOOBIG for plen > NOISE_PAYLOAD_MAX (checked before the length),
 * ERR_MALFORMED for a message or output length other than the exact one
 * for plen, ERR_STATE for a call out of order or on a failed object,
 * ERR_USAGE for a NULL buffer or a static pair that does not match,
 * ERR_NOMEM. Every error except ERR_USAGE on a NULL object kills it: its
 * secrets are wiped and every later call fails with ERR_STATE. Once its
 * arguments have been accepted, a write that fails zeroes out[] and a read
 * that fails zeroes payload[], so no partial or unauthenticated bytes
 * escape. Message and payload buffers must not overlap. The handshake
 * only proves the initiator holds the private half of
 * noise_remote_static(); whether that key is allowed is the caller's
 * decision. Any process holding the static private key may call these;
 * nothing here does I/O or logs.
 */
#ifndef VIGIL_NOISE_H
#define VIGIL_NOISE_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define NOISE_PROLOGUE		"vigil/1"
#define NOISE_TAG_LEN		16
/* message 1: e (32) + encrypted s (32 + 16) + encrypted payload (+ 16) */
#define NOISE_INIT_LEN(plen)	(32 + 32 + NOISE_TAG_LEN + (plen) + NOISE_TAG_LEN)
/* message 2: e (32) + encrypted payload (+ 16) */
#define NOISE_RESP_LEN(plen)	(32 + (plen) + NOISE_TAG_LEN)
#define NOISE_PAYLOAD_MAX	1024

struct noise_hs;

/* Agent side: knows its own static pair and the collector's public key. */
int	noise_initiator_new(struct noise_hs **out,
	    const uint8_t s_pub[static KEY_LEN],
	    const uint8_t s_priv[static KEY_LEN],
	    const uint8_t rs_pub[static KEY_LEN]);
/* Collector side: knows its own static pair; learns the agent's. */
int	noise_responder_new(struct noise_hs **out,
	    const uint8_t s_pub[static KEY_LEN],
	    const uint8_t s_priv[static KEY_LEN]);
void	noise_free(struct noise_hs *);

/* Initiator: write message 1 into out (outlen must be NOISE_INIT_LEN(plen)). */
int	noise_write_init(struct noise_hs *, uint8_t *out, size_t outlen,
	    const uint8_t *payload, size_t plen);
/* Responder: read message 1 (msglen must be NOISE_INIT_LEN(plen)), decrypt
 * its payload into payload[plen]. The initiator's static key is then
 * available from noise_remote_static(). */
int	noise_read_init(struct noise_hs *, uint8_t *payload, size_t plen,
	    const uint8_t *msg, size_t msglen);
/* Responder: write message 2. */
int	noise_write_resp(struct noise_hs *, uint8_t *out, size_t outlen,
	    const uint8_t *payload, size_t plen);
/* Initiator: read message 2. */
int	noise_read_resp(struct noise_hs *, uint8_t *payload, size_t plen,
	    const uint8_t *msg, size_t msglen);

/* Remote static public key (known from the start for the initiator; for
 * the responder once message 1 has authenticated). NULL before that and
 * on a failed object. Borrowed: valid until noise_free(). */
const uint8_t	*noise_remote_static(const struct noise_hs *);
/* After a complete handshake: tx is this side's sending key, rx its
 * receiving key (initiator tx == responder rx and the reverse). May be
 * called again; the keys stay in the object until noise_free(), so free
 * it once the channel is keyed. ERR_STATE before completion. */
int	noise_split(struct noise_hs *, uint8_t tx[static 32],
	    uint8_t rx[static 32]);
/* The handshake hash (channel binding), 64 bytes; NULL before completion.
 * Borrowed: valid until noise_free(). */
const uint8_t	*noise_handshake_hash(const struct noise_hs *);

/*
 * For test vectors only. Production code uses the constructors above,
 * which pass NOISE_PROLOGUE, and lets the handshake draw its ephemeral
 * from randombytes.
 */
int	noise_initiator_new_prologue(struct noise_hs **out,
	    const uint8_t s_pub[static KEY_LEN],
	    const uint8_t s_priv[static KEY_LEN],
	    const uint8_t rs_pub[static KEY_LEN],
	    const uint8_t *prologue, size_t prologuelen);
int	noise_responder_new_prologue(struct noise_hs **out,
	    const uint8_t s_pub[static KEY_LEN],
	    const uint8_t s_priv[static KEY_LEN],
	    const uint8_t *prologue, size_t prologuelen);
/* Fix this side's ephemeral private key. Only before this side writes
 * its message (initiator: before noise_write_init; responder: before
 * noise_write_resp) and only once; ERR_STATE otherwise. */
int	noise_set_ephemeral(struct noise_hs *, const uint8_t priv[static 32]);

#endif
