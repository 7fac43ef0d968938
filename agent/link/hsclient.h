/*
 * hsclient.h: the agent's half of the Noise IK handshake with its
 * collector (docs/protocol.md), shared by enrollment (enroll.c, a
 * blocking exchange) and the uplink worker (upworker.c). Pure functions
 * of their arguments: no I/O, no spool, so that the worker, which parses
 * the collector's replies, links neither SQLite nor the spool.
 */
#ifndef VIGIL_HSCLIENT_H
#define VIGIL_HSCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "noise.h"
#include "wire.h"

/* Client handshake message 1. Creates *hs (caller frees with noise_free)
 * and writes the Noise message into msg; ts_ns is the handshake's
 * timestamp (enroll_next_ts(): never one used before). token may be
 * NULL (all zero, for WIRE_HS_CONNECT). */
int	hsclient_init(struct noise_hs **hs,
	    uint8_t msg[static WIRE_HS_INIT_LEN],
	    uint64_t ts_ns, const uint8_t pub[static KEY_LEN],
	    const uint8_t priv[static KEY_LEN],
	    const uint8_t collector_pub[static KEY_LEN], uint8_t kind,
	    const uint8_t *token);
/* A busy collector answered the HS_INIT message init with a COOKIE
 * (body[len]): out gets the HS_INIT_COOKIE body to send back on the same
 * connection (the same message, and its MAC keyed by the cookie).
 * ERR_AUTH if the COOKIE was not sealed by that collector for init. */
int	hsclient_cookie(uint8_t out[static WIRE_HS_INIT_COOKIE_LEN],
	    const uint8_t collector_pub[static KEY_LEN],
	    const uint8_t init[static WIRE_HS_INIT_LEN], const uint8_t *body,
	    size_t len);
/* Client handshake message 2 (an HS_RESP record body): authenticate it,
 * decode the payload, check status 0 and that agent_id is ours. On
 * failure *why names the reason. ERR_AUTH, ERR_MALFORMED, ERR_REVOKED
 * (non-zero status). */
int	hsclient_resp(struct wire_resp_payload *out, struct noise_hs *hs,
	    const uint8_t *body, size_t len, const uint8_t pub[static KEY_LEN],
	    const char **why);

#endif
