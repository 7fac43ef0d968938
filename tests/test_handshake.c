/*
 * test_handshake.c: the collector's side of the handshake
 * (collector/handshake.c) against a real store, with the agent's side
 * played by noise.c and wire.c: enrollment with a token, connecting,
 * every refusal (unknown key, bad token, revoked, replayed and far-future
 * timestamps, a message for another collector), that a refusal writes
 * nothing to the registry, and that the keys both sides derive open each
 * other's frames.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "err.h"
#include "handshake.h"
#include "noise.h"
#include "store.h"
#include "store_fixture.h"
#include "token.h"
#include "wire.h"

#define SEC	1000000000ULL

struct fixture {
	struct store_fx	 sf;		/* first: a fresh store */
	uint8_t		 cpub[KEY_LEN], cpriv[KEY_LEN];	/* the collector */
	uint8_t		 apub[KEY_LEN], apriv[KEY_LEN];	/* an agent */
};

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static int
setup(void **state)
{
	struct fixture	*f;

	if ((f = store_fx_new(sizeof(*f))) == NULL)
		return -1;
	crypto_box_keypair(f->cpub, f->cpriv);
	crypto_box_keypair(f->apub, f->apriv);
	*state = f;
	return 0;
}

/* The agent's message 1 to collector rs; *hs kept for message 2. */
static void
init_msg(struct fixture *f, struct noise_hs **hs, const uint8_t *rs,
    uint8_t kind, const uint8_t *token, uint64_t ts,
    uint8_t msg[static WIRE_HS_INIT_LEN])
{
	struct wire_init_payload	ip;
	uint8_t				payload[WIRE_INIT_PAYLOAD_LEN];

	memset(&ip, 0, sizeof(ip));
	ip.kind = kind;
	ip.ts_ns = ts;
	if (token != NULL)
		memcpy(ip.token, token, WIRE_TOKEN_LEN);
	snprintf(ip.version, sizeof(ip.version), "test 1.0");
	wire_init_encode(payload, &ip);
	assert_int_equal(noise_initiator_new(hs, f->apub, f->apriv, rs), 0);
	assert_int_equal(noise_write_init(*hs, msg, WIRE_HS_INIT_LEN, payload,
	    sizeof(payload)), 0);
}

/* One handshake as the agent; returns handshake_respond's result. */
static int
attempt(struct fixture *f, struct handshake *h, uint8_t kind,
    const uint8_t *token, uint64_t ts)
{
	struct noise_hs	*hs;
	uint8_t		 msg[WIRE_HS_INIT_LEN];
	int		 rc;

	init_msg(f, &hs, f->cpub, kind, token, ts, msg);
	rc = handshake_respond(h, f->sf.s, f->cpub, f->cpriv, msg,
	    "192.0.2.1:7");
	noise_free(hs);
	return rc;
}

static uint64_t
last_ts(struct fixture *f)
{
	struct store_agent	a;
	char			id[AGENT_ID_STRLEN];
	uint64_t		ts;

	keys_agent_id(id, f->apub);
	assert_int_equal(store_agent_get(f->sf.s, &a, id), 0);
	ts = a.last_hs_ts;
	store_agent_clear(&a);
	return ts;
}

static void
add_token(struct fixture *f, uint8_t token[static WIRE_TOKEN_LEN],
    int64_t expires)
{
	uint8_t	hash[TOKEN_HASH_LEN];

	randombytes_buf(token, WIRE_TOKEN_LEN);
	token_hash(hash, token);
	assert_int_equal(store_token_add(f->sf.s, hash, "pc-1", "Xã Tân Phú",
	    time(NULL), expires), 0);
}

/* Enroll, then connect; both sides' keys open each other's frames. */
static void
test_enroll_and_connect(void **state)
{
	struct fixture			*f = *state;
	struct handshake		 h;
	struct wire_resp_payload	 rp;
	struct noise_hs			*hs;
	struct chan			*ach;
	struct wbuf			 w, out;
	uint8_t				 msg[WIRE_HS_INIT_LEN], token[16];
	uint8_t				 payload[WIRE_RESP_PAYLOAD_LEN];
	uint8_t				 tx[32], rx[32], ahdr[WIRE_STREAM_HDR_LEN];
	char				 id[AGENT_ID_STRLEN];
	uint64_t			 ts = now_ns();

	add_token(f, token, time(NULL) + 3600);
	init_msg(f, &hs, f->cpub, WIRE_HS_ENROLL, token, ts, msg);
	assert_int_equal(handshake_respond(&h, f->sf.s, f->cpub, f->cpriv, msg,
	    "192.0.2.1:7"), 0);
	assert_int_equal(h.enrolled, 1);
	keys_agent_id(id, f->apub);
	assert_string_equal(h.ag.id, id);
	assert_string_equal(h.ag.name, "pc-1");
	assert_string_equal(h.ag.office, "Xã Tân Phú");
	assert_string_equal(h.version, "test 1.0");
	assert_non_null(h.ch);
	/* the agent reads message 2 and keys its side */
	assert_int_equal(noise_read_resp(hs, payload, sizeof(payload), h.resp,
	    sizeof(h.resp)), 0);
	assert_int_equal(wire_resp_decode(&rp, payload), 0);
	assert_string_equal(rp.agent_id, id);
	assert_string_equal(rp.office, "Xã Tân Phú");
	assert_int_equal(noise_split(hs, tx, rx), 0);
	assert_int_equal(chan_new(&ach, tx, rx, ahdr), 0);
	assert_int_equal(chan_accept(ach, h.hdr), 0);
	assert_int_equal(chan_accept(h.ch, ahdr), 0);
	wbuf_init(&w, 0);
	wbuf_init(&out, 0);
	assert_int_equal(chan_seal(ach, &w, (const uint8_t *)"hello", 5), 0);
	assert_int_equal(chan_open(h.ch, &out, w.p + WIRE_HDR_LEN,
	    w.len - WIRE_HDR_LEN), 0);
	assert_memory_equal(out.p, "hello", 5);
	wbuf_free(&w);
	wbuf_free(&out);
	chan_free(ach);
	noise_free(hs);
	handshake_clear(&h);
	assert_int_equal(last_ts(f), ts);
	/* connecting later: no token needed, none consumed */
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, ts + 1), 0);
	assert_int_equal(h.enrolled, 0);
	handshake_clear(&h);
	/* enrolled key with a token: a plain connect, the token untouched */
	assert_int_equal(attempt(f, &h, WIRE_HS_ENROLL, token, ts + 2), 0);
	assert_int_equal(h.enrolled, 0);
	handshake_clear(&h);
	assert_int_equal(last_ts(f), ts + 2);
}

/* Issue 8, item 5: a timestamp far ahead is refused, and the key is not
 * locked out by it. */
static void
test_timestamps(void **state)
{
	struct fixture	*f = *state;
	struct handshake h;
	uint8_t		 token[16];
	uint64_t	 ts = now_ns(), ahead;

	add_token(f, token, time(NULL) + 3600);
	assert_int_equal(attempt(f, &h, WIRE_HS_ENROLL, token, ts), 0);
	handshake_clear(&h);
	/* replay and stale */
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, ts), ERR_REPLAY);
	assert_non_null(strstr(h.why, "replayed or stale"));
	assert_true(h.ag.id[0] != '\0');	/* identified, for the log */
	handshake_clear(&h);
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, ts - 1),
	    ERR_REPLAY);
	handshake_clear(&h);
	/* far ahead: refused, nothing stored */
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, INT64_MAX),
	    ERR_REPLAY);
	assert_non_null(strstr(h.why, "ahead of this collector's clock"));
	handshake_clear(&h);
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, UINT64_MAX),
	    ERR_REPLAY);
	handshake_clear(&h);
	ahead = now_ns() + (WIRE_HS_AHEAD_MAX_S + 1ULL) * SEC;
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, ahead),
	    ERR_REPLAY);
	handshake_clear(&h);
	assert_int_equal(last_ts(f), ts);
	/* so the key still gets in with the time of day */
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, now_ns()), 0);
	handshake_clear(&h);
	/* inside the tolerance is accepted */
	ahead = now_ns() + (WIRE_HS_AHEAD_MAX_S - 5ULL) * SEC;
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, ahead), 0);
	handshake_clear(&h);
	assert_int_equal(last_ts(f), ahead);
}

static void
test_refusals(void **state)
{
	struct fixture	*f = *state;
	struct handshake h;
	struct store_agent a;
	struct noise_hs	*hs;
	uint8_t		 token[16], msg[WIRE_HS_INIT_LEN], other[KEY_LEN];
	uint8_t		 junk[KEY_LEN];
	char		 id[AGENT_ID_STRLEN];
	uint64_t	 ts = now_ns();

	/* an unknown key connecting */
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, ts), ERR_AUTH);
	assert_non_null(strstr(h.why, "unknown agent key"));
	assert_true(h.ag.id[0] == '\0');
	assert_null(h.ch);
	handshake_clear(&h);
	/* an unknown, an expired token */
	randombytes_buf(token, sizeof(token));
	assert_int_equal(attempt(f, &h, WIRE_HS_ENROLL, token, ts),
	    ERR_NOTFOUND);
	assert_non_null(strstr(h.why, "token unknown"));
	handshake_clear(&h);
	add_token(f, token, time(NULL) - 1);
	assert_int_equal(attempt(f, &h, WIRE_HS_ENROLL, token, ts),
	    ERR_EXPIRED);
	handshake_clear(&h);
	/* a message for another collector */
	crypto_box_keypair(other, junk);
	init_msg(f, &hs, other, WIRE_HS_CONNECT, NULL, ts, msg);
	assert_int_equal(handshake_respond(&h, f->sf.s, f->cpub, f->cpriv, msg,
	    "192.0.2.1:7"), ERR_AUTH);
	assert_non_null(strstr(h.why, "handshake failed"));
	noise_free(hs);
	handshake_clear(&h);
	/* a used token, a revoked agent */
	add_token(f, token, time(NULL) + 3600);
	assert_int_equal(attempt(f, &h, WIRE_HS_ENROLL, token, ts), 0);
	handshake_clear(&h);
	crypto_box_keypair(f->apub, f->apriv);	/* another agent */
	assert_int_equal(attempt(f, &h, WIRE_HS_ENROLL, token, ts),
	    ERR_EXISTS);
	handshake_clear(&h);
	/* and no refusal registered anything */
	keys_agent_id(id, f->apub);
	assert_int_equal(store_agent_get(f->sf.s, &a, id), ERR_NOTFOUND);
	store_agent_clear(&a);
}

/* A revoked key is refused, and not identified to the log as an agent. */
static void
test_revoked(void **state)
{
	struct fixture	*f = *state;
	struct handshake h;
	uint8_t		 token[16];
	uint64_t	 ts = now_ns();

	add_token(f, token, time(NULL) + 3600);
	assert_int_equal(attempt(f, &h, WIRE_HS_ENROLL, token, ts), 0);
	handshake_clear(&h);
	assert_int_equal(store_agent_revoke(f->sf.s, "pc-1"), 0);
	assert_int_equal(attempt(f, &h, WIRE_HS_CONNECT, NULL, ts + 1),
	    ERR_REVOKED);
	assert_non_null(strstr(h.why, "is revoked"));
	assert_true(h.ag.id[0] == '\0');
	handshake_clear(&h);
	assert_int_equal(last_ts(f), ts);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_enroll_and_connect),
		T(test_timestamps),
		T(test_refusals),
		T(test_revoked),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
