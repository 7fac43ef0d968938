/*
 * handshake.c: the collector's side of the handshake (see handshake.h).
 *
 * Invariants: nothing is written to the registry for a message that did
 * not authenticate, for an unknown or revoked key, or for a refused
 * timestamp; a token is consumed only by an authenticated message from a
 * key not yet enrolled; secrets (split keys) are wiped before return.
 * Load: one handshake per agent connection; about 140 us, most of it
 * four X25519 operations, plus one registry update.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "err.h"
#include "handshake.h"
#include "log.h"
#include "noise.h"
#include "token.h"

static int __attribute__((format(printf, 3, 4)))
refuse(struct handshake *h, int rc, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	/* a cut reason is still a reason */
	(void)vsnprintf(h->why, sizeof(h->why), fmt, ap);
	va_end(ap);
	return rc;
}

/* A new key with a token: consume the token, register the key. */
static int
enroll(struct handshake *h, struct store *st, const char *id,
    const struct wire_init_payload *ip, const uint8_t rs[static KEY_LEN],
    const char *peer)
{
	uint8_t	hash[TOKEN_HASH_LEN];
	char	name[STORE_NAME_MAX + 1], office[STORE_NAME_MAX + 1];
	int64_t	rowid, now = (int64_t)time(NULL);
	int	rc;

	token_hash(hash, ip->token);
	if ((rc = store_token_consume(st, hash, now, name, office)) != 0)
		return refuse(h, rc, "enrollment refused: token %s",
		    rc == ERR_EXPIRED ? "expired" : rc == ERR_EXISTS ?
		    "already used" : rc == ERR_NOTFOUND ? "unknown" :
		    vigil_strerror(rc));
	if ((rc = store_agent_add(st, &rowid, id, rs, name, office, now)) != 0 ||
	    (rc = store_agent_get(st, &h->ag, id)) != 0)
		return refuse(h, rc, "enrollment failed: %s",
		    vigil_strerror(rc));
	h->enrolled = 1;
	log_info("enrolled agent %s (%s), office %s, from %s", name, id,
	    office, peer);
	return 0;
}

/* The registry entry for the key rs (id derived from it), enrolling it
 * if it is new and came with a valid token. */
static int
lookup(struct handshake *h, struct store *st, const struct wire_init_payload *ip,
    const uint8_t rs[static KEY_LEN], const char *peer)
{
	char	id[AGENT_ID_STRLEN];
	int	rc;

	keys_agent_id(id, rs);
	rc = store_agent_get(st, &h->ag, id);
	if (rc == 0 && strcmp(h->ag.id, id) != 0) {
		/* store_agent_get also matches names; only the id counts */
		store_agent_clear(&h->ag);
		rc = ERR_NOTFOUND;
	}
	if (rc == ERR_NOTFOUND && ip->kind == WIRE_HS_ENROLL)
		return enroll(h, st, id, ip, rs, peer);
	if (rc == ERR_NOTFOUND)
		return refuse(h, ERR_AUTH, "unknown agent key %s", id);
	if (rc != 0)
		return refuse(h, rc, "registry lookup failed: %s",
		    vigil_strerror(rc));
	if (sodium_memcmp(h->ag.pub, rs, KEY_LEN) != 0)
		rc = refuse(h, ERR_AUTH, "agent id collision for %s", id);
	else if (h->ag.revoked)
		rc = refuse(h, ERR_REVOKED, "agent %s (%s) is revoked",
		    h->ag.name, id);
	if (rc != 0)
		store_agent_clear(&h->ag);	/* not this agent's doing */
	return rc;
}

/* ts must come after the last one accepted from the key (replay) and be
 * at most WIRE_HS_AHEAD_MAX_S ahead of our clock: a timestamp far in the
 * future, once stored, would lock the key out until then. */
static int
check_ts(struct handshake *h, uint64_t ts, uint64_t last)
{
	struct timespec	now;
	uint64_t	now_ns;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	if (ts > now_ns + (uint64_t)WIRE_HS_AHEAD_MAX_S * 1000000000ULL)
		return refuse(h, ERR_REPLAY, "handshake timestamp %llu s ahead "
		    "of this collector's clock (at most %d allowed): the "
		    "agent's clock is wrong",
		    (unsigned long long)((ts - now_ns) / 1000000000ULL),
		    WIRE_HS_AHEAD_MAX_S);
	if (ts <= last)
		return refuse(h, ERR_REPLAY, "replayed or stale handshake "
		    "(timestamp %llu not after %llu)", (unsigned long long)ts,
		    (unsigned long long)last);
	return 0;
}

/* Message 2 and the channel, for the agent in h->ag. */
static int
reply(struct handshake *h, struct noise_hs *hs)
{
	struct wire_resp_payload	rp;
	uint8_t				payload[WIRE_RESP_PAYLOAD_LEN];
	uint8_t				tx[32], rx[32];
	int				rc;

	memset(&rp, 0, sizeof(rp));
	snprintf(rp.agent_id, sizeof(rp.agent_id), "%s", h->ag.id);
	snprintf(rp.name, sizeof(rp.name), "%s", h->ag.name);
	snprintf(rp.office, sizeof(rp.office), "%s", h->ag.office);
	wire_resp_encode(payload, &rp);
	if ((rc = noise_write_resp(hs, h->resp, sizeof(h->resp), payload,
	    sizeof(payload))) == 0 && (rc = noise_split(hs, tx, rx)) == 0)
		rc = chan_new(&h->ch, tx, rx, h->hdr);
	sodium_memzero(tx, sizeof(tx));
	sodium_memzero(rx, sizeof(rx));
	return rc != 0 ? refuse(h, rc, "handshake: %s", vigil_strerror(rc)) :
	    0;
}

int
handshake_respond(struct handshake *h, struct store *st,
    const uint8_t pub[static KEY_LEN], const uint8_t priv[static KEY_LEN],
    const uint8_t init[static WIRE_HS_INIT_LEN], const char *peer)
{
	struct noise_hs			*hs = NULL;
	struct wire_init_payload	 ip;
	uint8_t				 payload[WIRE_INIT_PAYLOAD_LEN];
	int				 rc;

	memset(h, 0, sizeof(*h));
	if ((rc = noise_responder_new(&hs, pub, priv)) != 0) {
		rc = refuse(h, rc, "handshake: %s", vigil_strerror(rc));
		goto out;
	}
	if ((rc = noise_read_init(hs, payload, sizeof(payload), init,
	    WIRE_HS_INIT_LEN)) != 0) {
		rc = refuse(h, ERR_AUTH, "handshake failed: %s (not enrolled "
		    "with this collector's key?)", vigil_strerror(rc));
		goto out;
	}
	if (wire_init_decode(&ip, payload) != 0) {
		rc = refuse(h, ERR_AUTH, "handshake: malformed payload");
		goto out;
	}
	snprintf(h->version, sizeof(h->version), "%s", ip.version);
	if ((rc = lookup(h, st, &ip, noise_remote_static(hs), peer)) != 0 ||
	    (rc = check_ts(h, ip.ts_ns, h->ag.last_hs_ts)) != 0)
		goto out;
	if ((rc = store_agent_seen(st, h->ag.rowid, ip.ts_ns,
	    (int64_t)time(NULL), peer)) != 0) {
		rc = refuse(h, rc, "handshake: %s", vigil_strerror(rc));
		goto out;
	}
	rc = reply(h, hs);
out:
	sodium_memzero(payload, sizeof(payload));
	sodium_memzero(&ip, sizeof(ip));
	noise_free(hs);
	return rc;
}

void
handshake_clear(struct handshake *h)
{
	chan_free(h->ch);
	store_agent_clear(&h->ag);
	sodium_memzero(h, sizeof(*h));
}
