/*
 * test_cookie.c: the collector's cookies (collector/cookie.c) with the
 * agent's answer (hsclient_cookie, agent/link/enroll.c): a reply the
 * agent can open and answer, and that answer checked; bound to address
 * and port; the secret's rotation (the previous one still accepted, older
 * ones not); and the load meter.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "cookie.h"
#include "enroll.h"
#include "hsclient.h"
#include "err.h"
#include "wire.h"

/* A numeric IPv4 or IPv6 address and a port. */
static struct sockaddr_storage
addr(const char *ip, const char *port)
{
	struct sockaddr_storage	 ss;
	struct addrinfo		 hints = { .ai_flags = AI_NUMERICHOST |
				    AI_NUMERICSERV }, *res = NULL;

	assert_int_equal(getaddrinfo(ip, port, &hints, &res), 0);
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return ss;
}

/* What the agent sends back to jar's COOKIE for sa at now. */
static void
answer(struct cookie_jar *j, const uint8_t pub[static KEY_LEN], int64_t now,
    const struct sockaddr_storage *sa, const uint8_t init[WIRE_HS_INIT_LEN],
    uint8_t retry[static WIRE_HS_INIT_COOKIE_LEN])
{
	uint8_t	body[WIRE_COOKIE_REPLY_LEN];

	assert_int_equal(cookie_jar_reply(j, now, (const struct sockaddr *)sa,
	    init, body), 0);
	assert_int_equal(hsclient_cookie(retry, pub, init, body,
	    sizeof(body)), 0);
	assert_memory_equal(retry, init, WIRE_HS_INIT_LEN);
}

static int
check(struct cookie_jar *j, int64_t now, const struct sockaddr_storage *sa,
    const uint8_t retry[static WIRE_HS_INIT_COOKIE_LEN])
{
	return cookie_jar_check(j, now, (const struct sockaddr *)sa, retry);
}

static void
test_roundtrip(void **state)
{
	struct cookie_jar	*j;
	struct sockaddr_storage	 a = addr("192.0.2.1", "5000");
	struct sockaddr_storage	 b = addr("192.0.2.1", "5001");
	struct sockaddr_storage	 c = addr("192.0.2.2", "5000");
	struct sockaddr_storage	 v6 = addr("2001:db8::1", "5000");
	struct sockaddr_storage	 mapped = addr("::ffff:192.0.2.1", "5000");
	struct sockaddr		 un = { .sa_family = AF_UNIX };
	uint8_t			 pub[KEY_LEN], other[KEY_LEN];
	uint8_t			 init[WIRE_HS_INIT_LEN], body[WIRE_COOKIE_REPLY_LEN];
	uint8_t			 retry[WIRE_HS_INIT_COOKIE_LEN];
	uint8_t			 tmp[WIRE_HS_INIT_COOKIE_LEN];

	(void)state;
	randombytes_buf(pub, sizeof(pub));
	randombytes_buf(other, sizeof(other));
	randombytes_buf(init, sizeof(init));
	assert_int_equal(cookie_jar_new(&j, pub, 1000), 0);
	answer(j, pub, 1000, &a, init, retry);
	assert_int_equal(check(j, 1000, &a, retry), 0);
	/* bound to the address and the port */
	assert_int_equal(check(j, 1000, &b, retry), ERR_AUTH);
	assert_int_equal(check(j, 1000, &c, retry), ERR_AUTH);
	assert_int_equal(check(j, 1000, &v6, retry), ERR_AUTH);
	/* IPv4 through a dual-stack socket is the same peer */
	assert_int_equal(check(j, 1000, &mapped, retry), 0);
	/* the MAC covers the message, and is the MAC */
	memcpy(tmp, retry, sizeof(tmp));
	tmp[7] ^= 1;
	assert_int_equal(check(j, 1000, &a, tmp), ERR_AUTH);
	memcpy(tmp, retry, sizeof(tmp));
	tmp[WIRE_HS_INIT_LEN + 15] ^= 1;
	assert_int_equal(check(j, 1000, &a, tmp), ERR_AUTH);
	/* the agent opens only its own collector's COOKIE, for its HS_INIT */
	assert_int_equal(cookie_jar_reply(j, 1000, (struct sockaddr *)&v6,
	    init, body), 0);
	assert_int_equal(hsclient_cookie(tmp, other, init, body,
	    sizeof(body)), ERR_AUTH);
	init[0] ^= 1;
	assert_int_equal(hsclient_cookie(tmp, pub, init, body,
	    sizeof(body)), ERR_AUTH);
	init[0] ^= 1;
	assert_int_equal(hsclient_cookie(tmp, pub, init, body,
	    sizeof(body) - 1), ERR_AUTH);
	assert_int_equal(hsclient_cookie(tmp, pub, init, body,
	    sizeof(body)), 0);
	assert_int_equal(check(j, 1000, &v6, tmp), 0);
	/* other families have no cookie */
	assert_int_equal(cookie_jar_reply(j, 1000, &un, init, body), ERR_USAGE);
	assert_int_equal(cookie_jar_check(j, 1000, &un, retry), ERR_AUTH);
	cookie_jar_free(j);
	cookie_jar_free(NULL);
}

/* A secret lives COOKIE_SECRET_MS, and is accepted one period more. */
static void
test_rotation(void **state)
{
	struct cookie_jar	*j;
	struct sockaddr_storage	 a = addr("198.51.100.9", "7");
	uint8_t			 pub[KEY_LEN], init[WIRE_HS_INIT_LEN];
	uint8_t			 retry[WIRE_HS_INIT_COOKIE_LEN];
	uint8_t			 late[WIRE_HS_INIT_COOKIE_LEN];
	const int64_t		 T = COOKIE_SECRET_MS;

	(void)state;
	randombytes_buf(pub, sizeof(pub));
	randombytes_buf(init, sizeof(init));
	assert_int_equal(cookie_jar_new(&j, pub, 0), 0);
	answer(j, pub, T - 1, &a, init, retry);
	assert_int_equal(check(j, T - 1, &a, retry), 0);
	/* rotated: the previous secret still counts */
	assert_int_equal(check(j, T, &a, retry), 0);
	answer(j, pub, T + 10, &a, init, late);
	assert_memory_not_equal(late + WIRE_HS_INIT_LEN,
	    retry + WIRE_HS_INIT_LEN, WIRE_COOKIE_LEN);
	/* two rotations on: the first cookie is gone, the second is not */
	assert_int_equal(check(j, 2 * T, &a, retry), ERR_AUTH);
	assert_int_equal(check(j, 2 * T, &a, late), 0);
	/* a long quiet spell: the old secrets are both dropped */
	assert_int_equal(check(j, 10 * T, &a, late), ERR_AUTH);
	cookie_jar_free(j);
}

static void
test_busy(void **state)
{
	struct cookie_jar	*j;
	uint8_t			 pub[KEY_LEN];
	int			 i;

	(void)state;
	randombytes_buf(pub, sizeof(pub));
	assert_int_equal(cookie_jar_new(&j, pub, 5000), 0);
	assert_true(cookie_jar_busy(j, 5000, 0));	/* 0: always */
	assert_false(cookie_jar_busy(j, 5000, 3));
	for (i = 0; i < 3; i++)
		cookie_jar_count(j, 5100 + i);
	assert_true(cookie_jar_busy(j, 5500, 3));
	/* the next second still remembers the last one */
	assert_true(cookie_jar_busy(j, 6999, 3));
	assert_false(cookie_jar_busy(j, 6999, 4));
	/* two seconds on, quiet again */
	assert_false(cookie_jar_busy(j, 7000, 3));
	/* a gap of several seconds forgets, not carries, the count */
	for (i = 0; i < 3; i++)
		cookie_jar_count(j, 7000);
	assert_false(cookie_jar_busy(j, 20000, 3));
	cookie_jar_free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_busy),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
