/*
 * test_netmsg.c: the capture child's messages to the daemon (netmsg.c),
 * and the default route (netroute.c) the daemon captures on.
 *
 * netmsg: each type round-trips through a real SOCK_SEQPACKET pair; then
 * what a hostile child could send, byte by byte: short headers, lengths
 * that are not the datagram's, unknown types, fixed bodies one byte off,
 * alerts that are not JSON, not objects, not alerts, or too big (a
 * datagram larger than the receive buffer, as the kernel reports it).
 * The socket edges: a full buffer is ERR_AGAIN, a hung-up peer
 * ERR_NOTFOUND or ERR_IO, nothing waiting ERR_AGAIN. The test builds'
 * PROBE (to the child) and PROBED (back): each accepted only by its own
 * side, at its exact size, naming a probe sandbox.h knows.
 *
 * netroute: the kernel's table, with several defaults and metrics, no
 * default, a route that is down, and lines that do not parse.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "event.h"
#include "log.h"
#include "netmsg.h"
#include "netroute.h"
#include "sandbox.h"

static uint8_t	buf[NETMSG_MAX + 64];	/* room past the largest, for
					 * datagrams that claim more */

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
}

/* A datagram: header (type, len) and body, len as given. */
static size_t
frame(uint32_t type, uint32_t len, const void *body, size_t blen)
{
	memcpy(buf, &type, 4);
	memcpy(buf + 4, &len, 4);
	if (blen > 0)
		memcpy(buf + NETMSG_HDR, body, blen);
	return NETMSG_HDR + blen;
}

/* An alert event as the child makes it, with a signature of siglen. */
static char *
alert_text(size_t siglen, size_t *len)
{
	json_t	*ev, *a;
	char	*sig, *text;

	assert_non_null(sig = malloc(siglen + 1));
	memset(sig, 's', siglen);
	sig[siglen] = '\0';
	assert_non_null(ev = event_build("alert"));
	assert_non_null(a = json_pack("{s:i, s:i, s:s, s:i}", "gid", 1,
	    "signature_id", 9100001, "signature", sig, "severity", 2));
	assert_int_equal(json_object_set_new(ev, "alert", a), 0);
	text = json_dumps(ev, JSON_COMPACT);
	assert_non_null(text);
	*len = strlen(text);
	json_decref(ev);
	free(sig);
	return text;
}

static void
test_round_trip(void **state)
{
	struct netmsg_ready	r = { 12, 3, 40000, 7, 1767225600 }, *rr;
	struct netmsg_stats	s;
	struct netmsg		m;
	char			*text;
	size_t			 n, len;
	int			 sv[2];

	(void)state;
	pair(sv);
	memset(&s, 0, sizeof(s));
	s.received = 1;
	s.dropped_kernel = 2;
	s.dropped_vigil = 3;
	s.alerts = UINT64_MAX;
	text = alert_text(10, &len);
	assert_int_equal(netmsg_send(sv[0], NETMSG_READY, &r, sizeof(r)), 0);
	assert_int_equal(netmsg_send(sv[0], NETMSG_STATS, &s, sizeof(s)), 0);
	assert_int_equal(netmsg_send(sv[0], NETMSG_ALERT, text, len), 0);

	assert_int_equal(netmsg_recv(sv[1], buf, &n), 0);
	assert_int_equal(n, NETMSG_HDR + sizeof(r));
	assert_int_equal(netmsg_parse(&m, buf, n, NULL), 0);
	assert_int_equal(m.type, NETMSG_READY);
	rr = &m.u.ready;
	assert_int_equal(rr->rules_loaded, 12);
	assert_int_equal(rr->rules_skipped, 3);
	assert_int_equal(rr->indicators, 40000);
	assert_int_equal(rr->bad_lines, 7);
	assert_int_equal(rr->rules_newest, 1767225600);

	assert_int_equal(netmsg_recv(sv[1], buf, &n), 0);
	assert_int_equal(netmsg_parse(&m, buf, n, NULL), 0);
	assert_int_equal(m.type, NETMSG_STATS);
	assert_memory_equal(&m.u.stats, &s, sizeof(s));

	assert_int_equal(netmsg_recv(sv[1], buf, &n), 0);
	assert_int_equal(netmsg_parse(&m, buf, n, NULL), 0);
	assert_int_equal(m.type, NETMSG_ALERT);
	assert_int_equal(m.u.alert.len, len);
	assert_memory_equal(m.u.alert.json, text, len);
	assert_int_equal(m.u.alert.severity, 2);

	assert_int_equal(netmsg_recv(sv[1], buf, &n), ERR_AGAIN);
	close(sv[0]);
	assert_int_equal(netmsg_recv(sv[1], buf, &n), ERR_NOTFOUND);
	close(sv[1]);
	free(text);
}

/* parse must refuse buf[0..n) with rc, saying why. */
static void
refused(size_t n, int rc, const char *why_has)
{
	struct netmsg	 m;
	const char	*why = NULL;

	assert_int_equal(netmsg_parse(&m, buf, n, &why), rc);
	assert_non_null(why);
	if (strstr(why, why_has) == NULL)
		fail_msg("why '%s' lacks '%s'", why, why_has);
}

static void
test_hostile_headers(void **state)
{
	struct netmsg_stats	s;
	struct netmsg_ready	r;
	uint8_t			big[sizeof(s) + 1];
	size_t			n;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	memset(big, 0, sizeof(big));
	/* shorter than a header, at every length */
	for (n = 0; n < NETMSG_HDR; n++) {
		frame(NETMSG_STATS, 0, NULL, 0);
		refused(n, ERR_MALFORMED, "shorter");
	}
	/* the length is not the rest of the datagram, either way */
	n = frame(NETMSG_STATS, sizeof(s) + 1, &s, sizeof(s));
	refused(n, ERR_MALFORMED, "length");
	n = frame(NETMSG_STATS, sizeof(s) - 1, &s, sizeof(s));
	refused(n, ERR_MALFORMED, "length");
	n = frame(NETMSG_STATS, UINT32_MAX, &s, sizeof(s));
	refused(n, ERR_MALFORMED, "length");
	n = frame(NETMSG_STATS, 0, &s, sizeof(s));
	refused(n, ERR_MALFORMED, "length");
	/* unknown types */
	n = frame(0, sizeof(s), &s, sizeof(s));
	refused(n, ERR_MALFORMED, "unknown");
	n = frame(NETMSG_PROBED + 1, sizeof(s), &s, sizeof(s));
	refused(n, ERR_MALFORMED, "unknown");
	n = frame(UINT32_MAX, sizeof(s), &s, sizeof(s));
	refused(n, ERR_MALFORMED, "unknown");
	/* fixed bodies one byte off, or empty */
	n = frame(NETMSG_STATS, sizeof(s) - 1, &s, sizeof(s) - 1);
	refused(n, ERR_MALFORMED, "size");
	n = frame(NETMSG_STATS, sizeof(big), big, sizeof(big));
	refused(n, ERR_MALFORMED, "size");
	n = frame(NETMSG_READY, sizeof(r) - 1, &r, sizeof(r) - 1);
	refused(n, ERR_MALFORMED, "size");
	n = frame(NETMSG_READY, sizeof(r) + 1, big, sizeof(r) + 1);
	refused(n, ERR_MALFORMED, "size");
	n = frame(NETMSG_READY, 0, NULL, 0);
	refused(n, ERR_MALFORMED, "size");
	/* a STATS body sent as READY: the sizes differ */
	n = frame(NETMSG_READY, sizeof(s), &s, sizeof(s));
	refused(n, ERR_MALFORMED, "size");
	/* larger than any message (a truncated read reports this) */
	refused(NETMSG_MAX + 1, ERR_TOOBIG, "larger");
	refused(SIZE_MAX, ERR_TOOBIG, "larger");
}

static void
alert_refused(const char *text, int rc)
{
	struct netmsg	m;
	size_t		n, len = strlen(text);

	n = frame(NETMSG_ALERT, (uint32_t)len, text, len);
	assert_int_equal(netmsg_parse(&m, buf, n, NULL), rc);
}

static void
test_hostile_alerts(void **state)
{
	struct netmsg	 m;
	char		*text;
	size_t		 n, len, over;

	(void)state;
	alert_refused("", ERR_MALFORMED);
	alert_refused("not json", ERR_MALFORMED);
	alert_refused("[1,2]", ERR_MALFORMED);
	alert_refused("{\"event_type\":\"alert\"}", ERR_MALFORMED);
	alert_refused("{\"timestamp\":\"2026-01-01T00:00:00.000000+0000\","
	    "\"event_type\":\"scan\",\"scan\":{}}", ERR_MALFORMED);
	alert_refused("{\"timestamp\":\"2026-01-01T00:00:00.000000+0000\","
	    "\"event_type\":\"alert\",\"alert\":{}", ERR_MALFORMED);
	/* an alert with a NUL inside is not one JSON text */
	text = alert_text(10, &len);
	text[len / 2] = '\0';
	n = frame(NETMSG_ALERT, (uint32_t)len, text, len);
	assert_int_equal(netmsg_parse(&m, buf, n, NULL), ERR_MALFORMED);
	free(text);
	/* the largest alert passes; one byte more is too big */
	text = alert_text(100, &len);
	over = EVENT_MAX_LEN - len;
	free(text);
	text = alert_text(100 + over, &len);
	assert_int_equal(len, EVENT_MAX_LEN);
	n = frame(NETMSG_ALERT, (uint32_t)len, text, len);
	assert_int_equal(n, NETMSG_MAX);
	assert_int_equal(netmsg_parse(&m, buf, n, NULL), 0);
	assert_int_equal(m.u.alert.len, EVENT_MAX_LEN);
	free(text);
	text = alert_text(101 + over, &len);
	assert_int_equal(netmsg_send(-1, NETMSG_ALERT, text, len), ERR_TOOBIG);
	free(text);
}

/* What the kernel says of a datagram bigger than the buffer. */
static void
test_oversize_datagram(void **state)
{
	struct netmsg	 m;
	uint8_t		*big;
	size_t		 n, size = NETMSG_MAX + 4096;
	int		 sv[2], sz = 4 << 20;

	(void)state;
	pair(sv);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	assert_non_null(big = calloc(1, size));
	memcpy(big, &(uint32_t){ NETMSG_ALERT }, 4);
	memcpy(big + 4, &(uint32_t){ (uint32_t)(size - NETMSG_HDR) }, 4);
	assert_int_equal(send(sv[0], big, size, 0), (ssize_t)size);
	assert_int_equal(netmsg_recv(sv[1], buf, &n), 0);
	assert_int_equal(n, size);
	assert_int_equal(netmsg_parse(&m, buf, n, NULL), ERR_TOOBIG);
	/* the next one is whole again */
	assert_int_equal(netmsg_send(sv[0], NETMSG_READY,
	    &(struct netmsg_ready){ 1, 0, 0, 0, 0 }, sizeof(struct netmsg_ready)),
	    0);
	assert_int_equal(netmsg_recv(sv[1], buf, &n), 0);
	assert_int_equal(netmsg_parse(&m, buf, n, NULL), 0);
	assert_int_equal(m.u.ready.rules_loaded, 1);
	free(big);
	close(sv[0]);
	close(sv[1]);
}

static void
test_full_and_gone(void **state)
{
	struct netmsg_stats	s;
	int			sv[2], sz = 4096, i, rc = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	pair(sv);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	/* the child never waits: a full buffer is ERR_AGAIN at once */
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = netmsg_send(sv[0], NETMSG_STATS, &s, sizeof(s));
	assert_int_equal(rc, ERR_AGAIN);
	assert_true(i > 1);
	close(sv[1]);
	assert_int_equal(netmsg_send(sv[0], NETMSG_STATS, &s, sizeof(s)),
	    ERR_IO);
	close(sv[0]);
}

/* The child's parse must refuse buf[0..n) with rc, saying why. */
static void
probe_refused(size_t n, int rc, const char *why_has)
{
	struct netmsg_probe	 q;
	const char		*why = NULL;

	assert_int_equal(netmsg_parse_probe(&q, buf, n, &why), rc);
	assert_non_null(why);
	if (strstr(why, why_has) == NULL)
		fail_msg("why '%s' lacks '%s'", why, why_has);
}

static void
test_probe(void **state)
{
	struct netmsg_probe	 q = { SANDBOX_PROBE_EXEC }, got;
	struct netmsg_probed	 a = { SANDBOX_PROBE_OPEN, 13 };
	struct netmsg		 m;
	uint8_t			 small[NETMSG_HDR + sizeof(q)];
	uint8_t			 zero[sizeof(a) + 1] = { 0 };
	ssize_t			 r;
	size_t			 n;
	int			 sv[2];

	(void)state;
	pair(sv);
	/* parent to child: the child reads it into a buffer its size */
	assert_int_equal(netmsg_send(sv[0], NETMSG_PROBE, &q, sizeof(q)), 0);
	r = recv(sv[1], small, sizeof(small), MSG_TRUNC);
	assert_int_equal(r, sizeof(small));
	assert_int_equal(netmsg_parse_probe(&got, small, (size_t)r, NULL), 0);
	assert_int_equal(got.what, SANDBOX_PROBE_EXEC);
	/* and back */
	assert_int_equal(netmsg_send(sv[1], NETMSG_PROBED, &a, sizeof(a)), 0);
	assert_int_equal(netmsg_recv(sv[0], buf, &n), 0);
	assert_int_equal(netmsg_parse(&m, buf, n, NULL), 0);
	assert_int_equal(m.type, NETMSG_PROBED);
	assert_int_equal(m.u.probed.what, SANDBOX_PROBE_OPEN);
	assert_int_equal(m.u.probed.err, 13);
	close(sv[0]);
	close(sv[1]);

	/* each side takes only its own */
	n = frame(NETMSG_PROBE, sizeof(q), &q, sizeof(q));
	refused(n, ERR_MALFORMED, "unknown type");
	n = frame(NETMSG_PROBED, sizeof(a), &a, sizeof(a));
	probe_refused(n, ERR_TOOBIG, "larger");
	n = frame(NETMSG_PROBED, sizeof(q), &q, sizeof(q));
	probe_refused(n, ERR_MALFORMED, "unknown type");
	/* exact sizes */
	n = frame(NETMSG_PROBE, sizeof(q) - 1, &q, sizeof(q) - 1);
	probe_refused(n, ERR_MALFORMED, "size");
	n = frame(NETMSG_PROBE, 0, NULL, 0);
	probe_refused(n, ERR_MALFORMED, "size");
	n = frame(NETMSG_PROBE, sizeof(q) + 1, &a, sizeof(q) + 1);
	probe_refused(n, ERR_TOOBIG, "larger");
	n = frame(NETMSG_PROBE, sizeof(q) + 1, &q, sizeof(q));
	probe_refused(n, ERR_MALFORMED, "length");
	for (n = 0; n < NETMSG_HDR; n++)
		probe_refused(n, ERR_MALFORMED, "shorter");
	n = frame(NETMSG_PROBED, sizeof(a) - 1, &a, sizeof(a) - 1);
	refused(n, ERR_MALFORMED, "size");
	n = frame(NETMSG_PROBED, sizeof(a) + 1, zero, sizeof(a) + 1);
	refused(n, ERR_MALFORMED, "size");
	/* probes sandbox.h does not name, either way */
	q.what = 0;
	n = frame(NETMSG_PROBE, sizeof(q), &q, sizeof(q));
	probe_refused(n, ERR_MALFORMED, "unknown probe");
	q.what = SANDBOX_PROBE_MAX + 1;
	n = frame(NETMSG_PROBE, sizeof(q), &q, sizeof(q));
	probe_refused(n, ERR_MALFORMED, "unknown probe");
	q.what = SANDBOX_PROBE_MAX;
	n = frame(NETMSG_PROBE, sizeof(q), &q, sizeof(q));
	assert_int_equal(netmsg_parse_probe(&got, buf, n, NULL), 0);
	a.what = 0;
	n = frame(NETMSG_PROBED, sizeof(a), &a, sizeof(a));
	refused(n, ERR_MALFORMED, "unknown probe");
	a.what = SANDBOX_PROBE_MAX + 1;
	n = frame(NETMSG_PROBED, sizeof(a), &a, sizeof(a));
	refused(n, ERR_MALFORMED, "unknown probe");
}

/* ---- netroute ---- */

#define HEAD	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\t" \
		"Mask\t\tMTU\tWindow\tIRTT\n"

static void
test_route(void **state)
{
	static const char two[] = HEAD
	    "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
	    "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
	    "eth0\t00000000\t FE01A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
	    "eth1\t00000000\t0102000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
	static const char down[] = HEAD
	    "eth0\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n"
	    "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
	static const char direct[] = HEAD
	    "ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0";
	struct netroute	r;
	uint32_t	v = 0xFE01A8C0;
	uint8_t		want[4];

	(void)state;
	/* the lowest metric, the first of equals */
	assert_int_equal(netroute_parse(&r, two, strlen(two)), 0);
	assert_string_equal(r.ifname, "eth0");
	assert_int_equal(r.has_gateway, 1);
	memcpy(want, &v, 4);		/* the kernel's host-order print */
	assert_memory_equal(r.gateway, want, 4);
	/* no default route that is up */
	assert_int_equal(netroute_parse(&r, down, strlen(down)),
	    ERR_NOTFOUND);
	assert_int_equal(netroute_parse(&r, HEAD, strlen(HEAD)), ERR_NOTFOUND);
	assert_int_equal(netroute_parse(&r, "", 0), ERR_NOTFOUND);
	/* a default route without a gateway, no final newline */
	assert_int_equal(netroute_parse(&r, direct, strlen(direct)), 0);
	assert_string_equal(r.ifname, "ppp0");
	assert_int_equal(r.has_gateway, 0);
}

static void
test_route_bad(void **state)
{
	static const char *const bad[] = {
		/* too few fields */
		"eth0\t00000000\t0101A8C0\t0003\n",
		/* not hex, too long a number */
		"eth0\t0000000g\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
		"eth0\t000000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
		"eth0\t00000000\t0101A8C0\t0003\t0\t0\t1234567890\t00000000\n",
		"eth0\t00000000\t0101A8C0\t0003\t0\t0\t-1\t00000000\t0\t0\t0\n",
		/* an interface name too long, or with a slash */
		"abcdefghijklmnop\t00000000\t0101A8C0\t0003\t0\t0\t0\t0\n",
		"a/b\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
	};
	struct netroute	r;
	char		text[512];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", HEAD, bad[i]);
		if (netroute_parse(&r, text, strlen(text)) != ERR_MALFORMED)
			fail_msg("accepted: %s", bad[i]);
	}
	/* the longest name that fits */
	snprintf(text, sizeof(text), "%s%s", HEAD, "abcdefghijklmno\t00000000"
	    "\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
	assert_int_equal(netroute_parse(&r, text, strlen(text)), 0);
	assert_string_equal(r.ifname, "abcdefghijklmno");
	/* this machine's own table parses (a default route or none) */
	assert_true(netroute_read(&r, NULL) == 0 ||
	    netroute_read(&r, NULL) == ERR_NOTFOUND);
	assert_int_equal(netroute_read(&r, "/nonexistent/route"), ERR_IO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_hostile_alerts),
		cmocka_unit_test(test_oversize_datagram),
		cmocka_unit_test(test_full_and_gone),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_route_bad),
	};

	log_init("test_netmsg", LOG_LVL_ERROR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
