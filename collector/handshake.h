/*
 * handshake.h: the collector's side of the Noise IK handshake, from an
 * HS_INIT message to the HS_RESP and STREAM_HDR to send back
 * (docs/protocol.md, "Enrollment" and "Handshake").
 *
 * handshake_respond() does the Diffie-Hellman work, identifies the agent
 * by its static key in the registry (enrolling a new key that presents a
 * valid token), checks the handshake timestamp (strictly after the last
 * one accepted from that key, at most WIRE_HS_AHEAD_MAX_S ahead of our
 * clock), records the handshake in the registry and keys the channel.
 * Whether the handshake may be attempted at all (per-address limits,
 * cookies) is the caller's decision, made before.
 *
 * Event-loop thread only (it uses the loop's store handle, and writes the
 * registry synchronously: one small transaction per handshake).
 */
#ifndef VIGIL_HANDSHAKE_H
#define VIGIL_HANDSHAKE_H

#include <stdint.h>

#include "keys.h"
#include "store.h"
#include "wire.h"

struct handshake {
	/* the agent, once identified (also on some refusals: replay,
	 * clock); ag.id[0] == '\0' before */
	struct store_agent	 ag;
	char			 version[32 + 1];	/* the agent's */
	int			 enrolled;	/* a token was used just now */
	/* on success: what to send, and the keyed channel (caller owns) */
	uint8_t			 resp[WIRE_HS_RESP_LEN];
	uint8_t			 hdr[WIRE_STREAM_HDR_LEN];
	struct chan		*ch;
	/* on refusal: why, for the log line */
	char			 why[192];
};

/* Answer the HS_INIT message init from peer (logged in the registry).
 * 0, or a refusal with h->why set: ERR_AUTH (bad message, unknown key,
 * id collision), ERR_REVOKED, ERR_EXPIRED / ERR_EXISTS / ERR_NOTFOUND
 * (token), ERR_REPLAY (stale or far-future timestamp), ERR_IO, ERR_NOMEM.
 * Always call handshake_clear() after. */
int	handshake_respond(struct handshake *h, struct store *,
	    const uint8_t pub[static KEY_LEN], const uint8_t priv[static KEY_LEN],
	    const uint8_t init[static WIRE_HS_INIT_LEN], const char *peer);
/* Free what h holds (the channel too, unless the caller took it and set
 * h->ch to NULL) and wipe it. */
void	handshake_clear(struct handshake *h);

#endif
