/*
 * hsclient.c: the agent's half of the handshake (hsclient.h).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "hsclient.h"
#include "version.h"

int
hsclient_init(struct noise_hs **hsp, uint8_t msg[static WIRE_HS_INIT_LEN],
    uint64_t ts_ns, const uint8_t pub[static KEY_LEN],
    const uint8_t priv[static KEY_LEN],
    const uint8_t collector_pub[static KEY_LEN], uint8_t kind,
    const uint8_t *token)
{
	struct wire_init_payload	 p;
	struct noise_hs			*hs = NULL;
	uint8_t				 payload[WIRE_INIT_PAYLOAD_LEN];
	int				 rc;

	*hsp = NULL;
	memset(&p, 0, sizeof(p));
	p.kind = kind;
	if (token != NULL)
		memcpy(p.token, token, WIRE_TOKEN_LEN);
	rc = snprintf(p.version, sizeof(p.version), "%s", VIGIL_VERSION);
	if (rc < 0 || (size_t)rc >= sizeof(p.version)) {
		rc = ERR_TOOBIG;
		goto fail;
	}
	p.ts_ns = ts_ns;
	if ((rc = noise_initiator_new(&hs, pub, priv, collector_pub)) != 0)
		goto fail;
	wire_init_encode(payload, &p);
	if ((rc = noise_write_init(hs, msg, WIRE_HS_INIT_LEN, payload,
	    sizeof(payload))) != 0)
		goto fail;
	sodium_memzero(&p, sizeof(p));
	sodium_memzero(payload, sizeof(payload));
	*hsp = hs;
	return 0;
fail:
	sodium_memzero(&p, sizeof(p));
	sodium_memzero(payload, sizeof(payload));
	noise_free(hs);
	return rc;
}

int
hsclient_resp(struct wire_resp_payload *out, struct noise_hs *hs,
    const uint8_t *body, size_t len, const uint8_t pub[static KEY_LEN],
    const char **why)
{
	uint8_t	payload[WIRE_RESP_PAYLOAD_LEN];
	char	id[AGENT_ID_STRLEN];

	if (noise_read_resp(hs, payload, sizeof(payload), body, len) != 0) {
		*why = "handshake reply failed authentication";
		return ERR_AUTH;
	}
	if (wire_resp_decode(out, payload) != 0) {
		*why = "malformed handshake reply";
		return ERR_MALFORMED;
	}
	if (out->status != 0) {
		*why = "the collector refused this agent (revoked?)";
		return ERR_REVOKED;
	}
	keys_agent_id(id, pub);
	if (strcmp(id, out->agent_id) != 0) {
		*why = "the collector names this agent by another id";
		return ERR_AUTH;
	}
	return 0;
}

int
hsclient_cookie(uint8_t out[static WIRE_HS_INIT_COOKIE_LEN],
    const uint8_t collector_pub[static KEY_LEN],
    const uint8_t init[static WIRE_HS_INIT_LEN], const uint8_t *body,
    size_t len)
{
	uint8_t	key[32], cookie[WIRE_COOKIE_LEN];
	int	rc = ERR_AUTH;

	wire_cookie_key(key, collector_pub);
	if (len == WIRE_COOKIE_REPLY_LEN &&
	    wire_cookie_open(cookie, key, body, init) == 0) {
		memcpy(out, init, WIRE_HS_INIT_LEN);
		wire_cookie_mac(out + WIRE_HS_INIT_LEN, cookie, init);
		rc = 0;
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(cookie, sizeof(cookie));
	return rc;
}
