/*
 * test_srclimit.c: the per-source-address limiter (collector/srclimit.c)
 * against its contract and against a naive model.
 *
 * The model is a plain array of addresses searched linearly, with the
 * same bucket arithmetic; random runs of open, close, handshake, gc and
 * clock steps over a small set of addresses (so that slots collide and
 * the table fills) must give the same answers and counts. The hash table
 * is what could go wrong (probing, backward-shift deletion, the capacity
 * bound); the model has none.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "err.h"
#include "srclimit.h"

#define NADDR	40
#define CAP	16

static void
key4(struct srclimit_key *k, const char *ip)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1234);
	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	assert_int_equal(srclimit_key(k, (struct sockaddr *)&sin), 0);
}

static void
key6(struct srclimit_key *k, const char *ip, uint16_t port)
{
	struct sockaddr_in6	sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	assert_int_equal(srclimit_key(k, (struct sockaddr *)&sin6), 0);
}

static void
test_keys(void **state)
{
	struct srclimit_key	a, b;
	struct sockaddr		un = { .sa_family = AF_UNIX };

	(void)state;
	/* IPv4, and the same address through a dual-stack socket */
	key4(&a, "192.0.2.7");
	key6(&b, "::ffff:192.0.2.7", 9);
	assert_memory_equal(a.b, b.b, sizeof(a.b));
	key4(&b, "192.0.2.8");
	assert_memory_not_equal(a.b, b.b, sizeof(a.b));
	/* IPv6: one /64 is one source, whatever the port or host part */
	key6(&a, "2001:db8:1:2::1", 1);
	key6(&b, "2001:db8:1:2:ffff:ffff:ffff:ffff", 2);
	assert_memory_equal(a.b, b.b, sizeof(a.b));
	key6(&b, "2001:db8:1:3::1", 1);
	assert_memory_not_equal(a.b, b.b, sizeof(a.b));
	/* not v4-mapped: ::ffff:0:1.2.3.4 is another prefix */
	key6(&a, "::1", 1);
	key4(&b, "0.0.0.1");
	assert_memory_not_equal(a.b, b.b, sizeof(a.b));
	assert_int_equal(srclimit_key(&a, &un), ERR_USAGE);
}

static void
test_conf(void **state)
{
	struct srclimit		*sl = (void *)1;
	struct srclimit_conf	 good = { 1, 1, 1 }, bad[] = {
		{ 0, 1, 1 }, { 1, 0, 1 }, { 1, 1, 0 }, { -1, 1, 1 } };
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(srclimit_new(&sl, 10, &bad[i]), ERR_USAGE);
		assert_null(sl);
		sl = (void *)1;
	}
	assert_int_equal(srclimit_new(&sl, SIZE_MAX / 2, &good), ERR_USAGE);
	assert_int_equal(srclimit_new(&sl, 10, &good), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(srclimit_set(sl, &bad[i]), ERR_USAGE);
	srclimit_free(sl);
	srclimit_free(NULL);
}

/* Connections per address, and the table's bound on addresses. */
static void
test_conns(void **state)
{
	struct srclimit_conf	 c = { 3, 10, 5 };
	struct srclimit		*sl;
	struct srclimit_key	 a, b, k;
	char			 ip[32];
	int			 i;

	(void)state;
	assert_int_equal(srclimit_new(&sl, 4, &c), 0);	/* 16 at least */
	key4(&a, "10.0.0.1");
	key4(&b, "10.0.0.2");
	for (i = 0; i < 3; i++)
		assert_int_equal(srclimit_open(sl, &a, 0), 0);
	assert_int_equal(srclimit_open(sl, &a, 0), ERR_TOOBIG);
	assert_int_equal(srclimit_conns(sl, &a), 3);
	/* another address is not affected */
	assert_int_equal(srclimit_open(sl, &b, 0), 0);
	srclimit_close(sl, &a, 0);
	assert_int_equal(srclimit_open(sl, &a, 0), 0);
	assert_int_equal(srclimit_count(sl), 2);
	/* a lower limit applies to what is open now */
	c.conns = 1;
	assert_int_equal(srclimit_set(sl, &c), 0);
	assert_int_equal(srclimit_open(sl, &a, 0), ERR_TOOBIG);
	/* closing everything forgets an address with a full bucket */
	for (i = 0; i < 3; i++)
		srclimit_close(sl, &a, 0);
	srclimit_close(sl, &a, 0);		/* one too many: ignored */
	assert_int_equal(srclimit_conns(sl, &a), 0);
	assert_int_equal(srclimit_count(sl), 1);
	/* the table holds 16 addresses, then refuses new ones */
	for (i = 0; i < 15; i++) {
		snprintf(ip, sizeof(ip), "10.1.0.%d", i);
		key4(&k, ip);
		assert_int_equal(srclimit_open(sl, &k, 0), 0);
	}
	assert_int_equal(srclimit_count(sl), 16);
	assert_int_equal(srclimit_open(sl, &a, 0), ERR_FULL);
	/* known addresses still work */
	srclimit_close(sl, &b, 0);
	assert_int_equal(srclimit_open(sl, &a, 0), 0);
	srclimit_free(sl);
}

/* The handshake bucket: burst, then rate per second. */
static void
test_handshakes(void **state)
{
	struct srclimit_conf	 c = { 8, 4, 10 };
	struct srclimit		*sl;
	struct srclimit_key	 a, b;
	int			 i, ok;

	(void)state;
	assert_int_equal(srclimit_new(&sl, 100, &c), 0);
	key6(&a, "2001:db8::1", 1);
	key6(&b, "2001:db8:0:1::1", 1);
	assert_int_equal(srclimit_handshake(sl, &a, 0), ERR_USAGE);
	assert_int_equal(srclimit_open(sl, &a, 1000), 0);
	assert_int_equal(srclimit_open(sl, &b, 1000), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(srclimit_handshake(sl, &a, 1000), 0);
	assert_int_equal(srclimit_handshake(sl, &a, 1000), ERR_AGAIN);
	/* b has its own bucket */
	assert_int_equal(srclimit_handshake(sl, &b, 1000), 0);
	/* 4 per second: one every 250 ms */
	assert_int_equal(srclimit_handshake(sl, &a, 1249), ERR_AGAIN);
	assert_int_equal(srclimit_handshake(sl, &a, 1250), 0);
	assert_int_equal(srclimit_handshake(sl, &a, 1250), ERR_AGAIN);
	/* ten seconds later: full again, not more than the burst */
	for (ok = 0, i = 0; i < 20; i++)
		ok += srclimit_handshake(sl, &a, 11250) == 0;
	assert_int_equal(ok, 10);
	/* closing with an empty bucket keeps the entry: reconnecting does
	 * not refill it */
	srclimit_close(sl, &a, 11250);
	assert_int_equal(srclimit_count(sl), 2);
	assert_int_equal(srclimit_open(sl, &a, 11250), 0);
	assert_int_equal(srclimit_handshake(sl, &a, 11250), ERR_AGAIN);
	srclimit_close(sl, &a, 11250);
	/* gc forgets it once the bucket is full, not before */
	srclimit_gc(sl, 12000);
	assert_int_equal(srclimit_count(sl), 2);
	srclimit_gc(sl, 13750);
	assert_int_equal(srclimit_count(sl), 1);
	/* a clock that goes back is harmless */
	assert_int_equal(srclimit_handshake(sl, &b, 0), 0);
	/* a huge step does not overflow */
	assert_int_equal(srclimit_handshake(sl, &b, INT64_MAX / 2), 0);
	srclimit_free(sl);
}

/* ---- the naive model ---- */

struct mentry {
	int		used;
	uint32_t	conns;
	int64_t		tokens, stamp;
};

struct model {
	struct mentry		e[NADDR];
	struct srclimit_conf	c;
	size_t			n;
};

static void
m_refill(struct model *m, struct mentry *e, int64_t now)
{
	int64_t	full = (int64_t)m->c.burst * 1000;

	if (now <= e->stamp)
		return;
	e->tokens += (now - e->stamp) * m->c.rate;
	if (e->tokens > full)
		e->tokens = full;
	e->stamp = now;
}

static int
m_idle(struct model *m, struct mentry *e, int64_t now)
{
	m_refill(m, e, now);
	return e->conns == 0 && e->tokens >= (int64_t)m->c.burst * 1000;
}

static int
m_open(struct model *m, int i, int64_t now)
{
	struct mentry	*e = &m->e[i];

	if (e->used) {
		if (e->conns >= (uint32_t)m->c.conns)
			return ERR_TOOBIG;
		e->conns++;
		return 0;
	}
	if (m->n >= CAP)
		return ERR_FULL;
	e->used = 1;
	e->conns = 1;
	e->tokens = (int64_t)m->c.burst * 1000;
	e->stamp = now;
	m->n++;
	return 0;
}

static void
m_close(struct model *m, int i, int64_t now)
{
	struct mentry	*e = &m->e[i];

	if (!e->used || e->conns == 0)
		return;
	e->conns--;
	if (m_idle(m, e, now)) {
		e->used = 0;
		m->n--;
	}
}

static int
m_handshake(struct model *m, int i, int64_t now)
{
	struct mentry	*e = &m->e[i];

	if (!e->used)
		return ERR_USAGE;
	m_refill(m, e, now);
	if (e->tokens < 1000)
		return ERR_AGAIN;
	e->tokens -= 1000;
	return 0;
}

static void
m_gc(struct model *m, int64_t now)
{
	int	i;

	for (i = 0; i < NADDR; i++)
		if (m->e[i].used && m_idle(m, &m->e[i], now)) {
			m->e[i].used = 0;
			m->n--;
		}
}

static void
test_model(void **state)
{
	struct srclimit		*sl;
	struct srclimit_key	 keys[NADDR];
	struct model		 m;
	char			 ip[32];
	int64_t			 now = 5000;
	int			 i, op, a, round;

	(void)state;
	for (i = 0; i < NADDR; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		key4(&keys[i], ip);
	}
	for (round = 0; round < 20; round++) {
		memset(&m, 0, sizeof(m));
		m.c = (struct srclimit_conf){ 1 + round % 4, 1 + round % 7,
		    1 + round % 5 };
		assert_int_equal(srclimit_new(&sl, CAP, &m.c), 0);
		for (i = 0; i < 20000; i++) {
			op = (int)randombytes_uniform(100);
			a = (int)randombytes_uniform(NADDR);
			if (op < 35)
				assert_int_equal(srclimit_open(sl, &keys[a],
				    now), m_open(&m, a, now));
			else if (op < 70) {
				srclimit_close(sl, &keys[a], now);
				m_close(&m, a, now);
			} else if (op < 90)
				assert_int_equal(srclimit_handshake(sl,
				    &keys[a], now), m_handshake(&m, a, now));
			else if (op < 92) {
				srclimit_gc(sl, now);
				m_gc(&m, now);
			} else
				now += randombytes_uniform(400);
			assert_int_equal(srclimit_count(sl), m.n);
			assert_int_equal(srclimit_conns(sl, &keys[a]),
			    m.e[a].used ? (int)m.e[a].conns : 0);
		}
		srclimit_free(sl);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_conns),
		cmocka_unit_test(test_handshakes),
		cmocka_unit_test(test_model),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
