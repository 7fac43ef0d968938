/*
 * cookie.c: the collector's cookie secret and load meter (see cookie.h).
 *
 * cookie(peer) = BLAKE2b-128 keyed by the secret, over the peer's address
 * as 16 bytes (IPv4 as ::ffff:a.b.c.d) and its port: bound to the TCP
 * connection that asked, as WireGuard binds its cookies to address and
 * UDP port. Nothing is kept per peer. The load meter counts handshakes
 * in whole seconds: the current one and the one before.
 *
 * Load: under a flood, one keyed hash and one XChaCha20-Poly1305 seal
 * (a COOKIE) or one keyed hash and one MAC (a check) per HS_INIT, a
 * couple of microseconds where the handshake it spares costs about 140.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cookie.h"
#include "err.h"

#define SECRET_LEN	32
#define PEER_LEN	18	/* address, port */

struct cookie_jar {
	uint8_t		key[32];		/* seals COOKIE bodies */
	uint8_t		cur[SECRET_LEN];
	uint8_t		prev[SECRET_LEN];
	int		have_prev;
	int64_t		born;			/* of cur */
	int64_t		sec;			/* the second being counted */
	uint64_t	count, last;		/* handshakes in it, before */
};

int
cookie_jar_new(struct cookie_jar **out, const uint8_t pub[static KEY_LEN],
    int64_t now_ms)
{
	struct cookie_jar	*j;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return ERR_NOMEM;
	wire_cookie_key(j->key, pub);
	randombytes_buf(j->cur, sizeof(j->cur));
	j->born = now_ms;
	j->sec = now_ms / 1000;
	*out = j;
	return 0;
}

void
cookie_jar_free(struct cookie_jar *j)
{
	if (j == NULL)
		return;
	sodium_memzero(j, sizeof(*j));
	free(j);
}

static void
rotate(struct cookie_jar *j, int64_t now)
{
	if (now - j->born < COOKIE_SECRET_MS)
		return;
	/* a long quiet spell makes the previous secret stale too */
	j->have_prev = now - j->born < 2 * COOKIE_SECRET_MS;
	memcpy(j->prev, j->cur, SECRET_LEN);
	randombytes_buf(j->cur, SECRET_LEN);
	j->born = now;
}

static int
peer_bytes(uint8_t out[static PEER_LEN], const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4 = (const void *)sa;
	const struct sockaddr_in6	*s6 = (const void *)sa;

	memset(out, 0, PEER_LEN);
	if (sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &s4->sin_addr, 4);
		memcpy(out + 16, &s4->sin_port, 2);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(out, &s6->sin6_addr, 16);
		memcpy(out + 16, &s6->sin6_port, 2);
	} else
		return ERR_USAGE;
	return 0;
}

static void
make(uint8_t cookie[static WIRE_COOKIE_LEN],
    const uint8_t secret[static SECRET_LEN], const uint8_t peer[static PEER_LEN])
{
	/* fixed, valid lengths: cannot fail */
	(void)crypto_generichash(cookie, WIRE_COOKIE_LEN, peer, PEER_LEN,
	    secret, SECRET_LEN);
}

int
cookie_jar_reply(struct cookie_jar *j, int64_t now_ms,
    const struct sockaddr *sa, const uint8_t init[static WIRE_HS_INIT_LEN],
    uint8_t out[static WIRE_COOKIE_REPLY_LEN])
{
	uint8_t	peer[PEER_LEN], cookie[WIRE_COOKIE_LEN];
	uint8_t	nonce[WIRE_COOKIE_NONCE_LEN];

	if (peer_bytes(peer, sa) != 0)
		return ERR_USAGE;
	rotate(j, now_ms);
	make(cookie, j->cur, peer);
	randombytes_buf(nonce, sizeof(nonce));
	wire_cookie_seal(out, j->key, cookie, init, nonce);
	sodium_memzero(cookie, sizeof(cookie));
	return 0;
}

/* The MAC body would carry if keyed by the cookie from secret. */
static int
mac_ok(const uint8_t secret[static SECRET_LEN],
    const uint8_t peer[static PEER_LEN],
    const uint8_t body[static WIRE_HS_INIT_COOKIE_LEN])
{
	uint8_t	cookie[WIRE_COOKIE_LEN], mac[WIRE_COOKIE_LEN];
	int	ok;

	make(cookie, secret, peer);
	wire_cookie_mac(mac, cookie, body);
	ok = sodium_memcmp(mac, body + WIRE_HS_INIT_LEN, WIRE_COOKIE_LEN) == 0;
	sodium_memzero(cookie, sizeof(cookie));
	return ok;
}

int
cookie_jar_check(struct cookie_jar *j, int64_t now_ms,
    const struct sockaddr *sa,
    const uint8_t body[static WIRE_HS_INIT_COOKIE_LEN])
{
	uint8_t	peer[PEER_LEN];

	if (peer_bytes(peer, sa) != 0)
		return ERR_AUTH;
	rotate(j, now_ms);
	if (mac_ok(j->cur, peer, body) || (j->have_prev &&
	    mac_ok(j->prev, peer, body)))
		return 0;
	return ERR_AUTH;
}

static void
tick(struct cookie_jar *j, int64_t now_ms)
{
	int64_t	s = now_ms / 1000;

	if (s == j->sec)
		return;
	j->last = s == j->sec + 1 ? j->count : 0;
	j->count = 0;
	j->sec = s;
}

void
cookie_jar_count(struct cookie_jar *j, int64_t now_ms)
{
	tick(j, now_ms);
	j->count++;
}

int
cookie_jar_busy(struct cookie_jar *j, int64_t now_ms, int threshold)
{
	tick(j, now_ms);
	return threshold <= 0 || j->count >= (uint64_t)threshold ||
	    j->last >= (uint64_t)threshold;
}
