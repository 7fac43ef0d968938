/*
 * cookie.h: the collector's half of cookies (wire.h; docs/protocol.md,
 * "Under load: cookies"): a random secret, replaced every
 * COOKIE_SECRET_MS, from which the cookie of a peer (its address and
 * port) is a keyed hash; and a load meter that says when new handshakes
 * must first prove, with a cookie, that they read our replies.
 *
 * A cookie made from the current secret or the one before is accepted,
 * so one never expires between our COOKIE and the agent's answer. Times
 * are monotonic milliseconds given by the caller. Event-loop thread only.
 */
#ifndef VIGIL_COOKIE_H
#define VIGIL_COOKIE_H

#include <stdint.h>

#include "keys.h"
#include "wire.h"

#define COOKIE_SECRET_MS	(120 * 1000)	/* as WireGuard's */

struct sockaddr;
struct cookie_jar;

/* ERR_NOMEM. */
int	cookie_jar_new(struct cookie_jar **out,
	    const uint8_t collector_pub[static KEY_LEN], int64_t now_ms);
/* Wipes the secrets. Takes NULL. */
void	cookie_jar_free(struct cookie_jar *);

/* The COOKIE body for the peer at sa (AF_INET or AF_INET6), answering
 * its HS_INIT message init. ERR_USAGE for another family. */
int	cookie_jar_reply(struct cookie_jar *, int64_t now_ms,
	    const struct sockaddr *sa, const uint8_t init[static WIRE_HS_INIT_LEN],
	    uint8_t out[static WIRE_COOKIE_REPLY_LEN]);
/* An HS_INIT_COOKIE body from sa: 0 if its MAC is keyed by sa's cookie,
 * else ERR_AUTH. Constant time in the MAC. */
int	cookie_jar_check(struct cookie_jar *, int64_t now_ms,
	    const struct sockaddr *sa,
	    const uint8_t body[static WIRE_HS_INIT_COOKIE_LEN]);

/* One handshake's Diffie-Hellman work was done at now. */
void	cookie_jar_count(struct cookie_jar *, int64_t now_ms);
/* 1 if the collector is busy: at least threshold handshakes in the
 * current second or the one before (threshold 0: always). */
int	cookie_jar_busy(struct cookie_jar *, int64_t now_ms, int threshold);

#endif
