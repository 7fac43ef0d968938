/*
 * test_upmsg.c: the daemon's and the uplink worker's messages
 * (upmsg.c): each type at its exact size and with or without its
 * descriptor as upmsg.h says, round trips over a real socket pair, and
 * every malformed message refused with a reason.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "upmsg.h"
#include "wire.h"

/* A datagram of type with body[0..len). */
static size_t
frame(uint8_t *buf, uint32_t type, const void *body, size_t len)
{
	struct msgframe	h = { type, (uint32_t)len };

	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), body, len);
	return sizeof(h) + len;
}

static void
refused(const uint8_t *buf, size_t n, int has_fd, const char *why_part)
{
	struct upmsg	 m;
	const char	*why = NULL;

	assert_int_not_equal(upmsg_parse(&m, buf, n, has_fd, &why), 0);
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
}

static void
test_sizes_and_descriptors(void **state)
{
	uint8_t			 buf[UPMSG_MAX + 16], big[32] = { 3 };
	struct upmsg_ack	 ack = { 3, 0, 1042 };
	struct upmsg_send	 snd = { 7, 4096 };
	struct upmsg		 m;
	const char		*why;
	size_t			 n;

	(void)state;
	n = frame(buf, UPMSG_ACK, &ack, sizeof(ack));
	assert_int_equal(upmsg_parse(&m, buf, n, 0, &why), 0);
	assert_int_equal(m.type, UPMSG_ACK);
	assert_int_equal(m.u.ack.seq, 1042);
	/* a byte short, a byte long (the header saying so) */
	n = frame(buf, UPMSG_ACK, &ack, sizeof(ack) - 1);
	refused(buf, n, 0, "wrong size");
	n = frame(buf, UPMSG_ACK, big, sizeof(ack) + 1);
	refused(buf, n, 0, "wrong size");
	/* a header whose length is not the rest */
	n = frame(buf, UPMSG_ACK, &ack, sizeof(ack));
	refused(buf, n - 1, 0, "length");
	refused(buf, 5, 0, "shorter than a header");
	/* SEND needs its memfd, ACK must not carry one */
	n = frame(buf, UPMSG_SEND, &snd, sizeof(snd));
	assert_int_equal(upmsg_parse(&m, buf, n, 1, &why), 0);
	refused(buf, n, 0, "no descriptor");
	n = frame(buf, UPMSG_ACK, &ack, sizeof(ack));
	refused(buf, n, 1, "a descriptor where none belongs");
	/* unknown types, including the gap between the two directions */
	n = frame(buf, 9, &ack, sizeof(ack));
	refused(buf, n, 0, "unknown type");
	n = frame(buf, 0, NULL, 0);
	refused(buf, n, 0, "unknown type");
	/* larger than any message */
	memset(buf, 0, sizeof(buf));
	refused(buf, UPMSG_MAX + 1, 0, "larger");
}

static void
test_values(void **state)
{
	uint8_t			 buf[UPMSG_MAX];
	struct upmsg_ack	 ack = { 0, 0, 1 };
	struct upmsg_send	 snd = { 1, 0 };
	uint8_t			 lost[4 + 8];
	size_t			 n;

	(void)state;
	n = frame(buf, UPMSG_ACK, &ack, sizeof(ack));
	refused(buf, n, 0, "connection number 0");
	n = frame(buf, UPMSG_SEND, &snd, sizeof(snd));
	refused(buf, n, 1, "size out of range");
	snd.len = WIRE_MAX_FRAME + 1;
	n = frame(buf, UPMSG_SEND, &snd, sizeof(snd));
	refused(buf, n, 1, "size out of range");
	/* LOST: gen, then printable text, 1..UPMSG_WHY_MAX bytes */
	memset(lost, 0, sizeof(lost));
	lost[0] = 2;
	memcpy(lost + 4, "bad\x1b[2J", 7);
	n = frame(buf, UPMSG_LOST, lost, 11);
	refused(buf, n, 0, "not printable");
	n = frame(buf, UPMSG_LOST, lost, 4);
	refused(buf, n, 0, "wrong size");
}

static void
test_round_trip(void **state)
{
	uint8_t		 buf[UPMSG_MAX];
	char		 why[400];
	struct upmsg	 m;
	const char	*err;
	size_t		 n;
	int		 sv[2], fd;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
	/* a reason too long and not all printable: cut and cleaned */
	memset(why, 'x', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	why[3] = '\n';
	assert_int_equal(upmsg_send_lost(sv[0], 5, why), 0);
	assert_int_equal(msgframe_recv(sv[1], buf, sizeof(buf), &n, &fd, 0), 0);
	assert_int_equal(fd, -1);
	assert_int_equal(upmsg_parse(&m, buf, n, 0, &err), 0);
	assert_int_equal(m.type, UPMSG_LOST);
	assert_int_equal(m.u.lost.gen, 5);
	assert_int_equal(strlen(m.u.lost.why), UPMSG_WHY_MAX);
	assert_int_equal(m.u.lost.why[3], '?');
	/* READY: no body at all */
	assert_int_equal(upmsg_send(sv[0], UPMSG_READY, NULL, 0, -1), 0);
	assert_int_equal(msgframe_recv(sv[1], buf, sizeof(buf), &n, &fd, 0), 0);
	assert_int_equal(upmsg_parse(&m, buf, n, 0, &err), 0);
	assert_int_equal(m.type, UPMSG_READY);
	/* the peer gone */
	(void)close(sv[1]);
	assert_int_equal(upmsg_send(sv[0], UPMSG_READY, NULL, 0, -1), ERR_IO);
	(void)close(sv[0]);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_sizes_and_descriptors),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
