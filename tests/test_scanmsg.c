/*
 * test_scanmsg.c: the scan worker's messages (scanmsg.c).
 *
 * A verdict with every kind of field round-trips through the encoder
 * and the parser and through a real SOCK_SEQPACKET pair with a passed
 * descriptor; then what a hostile worker could send: every truncation
 * of a good RESULT, a header length that is not the datagram's, a
 * datagram over SCANMSG_MAX, READY one byte off or with a bad version,
 * types sent the wrong way, counts that promise more than the datagram
 * holds, a NUL inside a string, a status or hash out of range, and a
 * request from the parent without its terminator.
 */
#include <sys/socket.h>

#include <fcntl.h>
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
#include "scanmsg.h"

static uint8_t	body[SCANMSG_MAX];
static uint8_t	dgram[SCANMSG_MAX + 64];

/* header + body as one datagram; its size */
static size_t
frame(uint32_t type, const void *b, size_t len)
{
	uint32_t	h[2] = { type, (uint32_t)len };

	memcpy(dgram, h, sizeof(h));
	memcpy(dgram + sizeof(h), b, len);
	return sizeof(h) + len;
}

static const char *const tags[] = { "exploit", "web" };
static const char *const strs[] = { "$a", "$b2" };
static const struct scanner_meta meta[] = {
	{ "author", SCANNER_META_STRING, "Nguyễn", 0 },
	{ "score", SCANNER_META_INT, NULL, -75 },
	{ "active", SCANNER_META_BOOL, NULL, 1 },
};

static void
sample(struct scanner_result *r, struct scanner_match m[2])
{
	memset(r, 0, sizeof(*r));
	memset(m, 0, 2 * sizeof(*m));
	r->status = SCAN_MATCH;
	(void)snprintf(r->reason, sizeof(r->reason), "rule x: over");
	r->too_many = 3;
	r->have_stat = 1;
	r->size = 1234567;
	r->inode = 42;
	r->device = 0x803;
	r->uid = 1000;
	r->mtime_us = -5;
	(void)snprintf(r->owner, sizeof(r->owner), "lan");
	(void)snprintf(r->filetype, sizeof(r->filetype), "EXE");
	memset(r->sha256, 'a', 64);
	r->ioc.list = "local.txt";
	r->ioc.indicator = "aaaa";
	r->ioc.kind = "sha256";
	r->ioc.note = "seen in a phishing mail";
	m[0].rule = "Webshell_A";
	m[0].ns = "web.yar";
	m[0].tags = tags;
	m[0].ntags = 2;
	m[0].meta = meta;
	m[0].nmeta = 3;
	m[0].strings = strs;
	m[0].nstrings = 2;
	m[1].rule = "Bare";
	m[1].ns = "b.yar~2";
	r->matches = m;
	r->nmatches = 2;
}

static void
same(const struct scanner_result *a, const struct scanner_result *b)
{
	size_t	i, k;

	assert_int_equal(a->status, b->status);
	assert_string_equal(a->reason, b->reason);
	assert_int_equal(a->too_many, b->too_many);
	assert_int_equal(a->have_stat, b->have_stat);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->inode, b->inode);
	assert_int_equal(a->device, b->device);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->mtime_us, b->mtime_us);
	assert_string_equal(a->owner, b->owner);
	assert_string_equal(a->filetype, b->filetype);
	assert_string_equal(a->sha256, b->sha256);
	assert_string_equal(a->ioc.list, b->ioc.list);
	assert_string_equal(a->ioc.indicator, b->ioc.indicator);
	assert_string_equal(a->ioc.kind, b->ioc.kind);
	assert_string_equal(a->ioc.note, b->ioc.note);
	assert_int_equal(a->nmatches, b->nmatches);
	for (i = 0; i < a->nmatches; i++) {
		assert_string_equal(a->matches[i].rule, b->matches[i].rule);
		assert_string_equal(a->matches[i].ns, b->matches[i].ns);
		assert_int_equal(a->matches[i].ntags, b->matches[i].ntags);
		for (k = 0; k < a->matches[i].ntags; k++)
			assert_string_equal(a->matches[i].tags[k],
			    b->matches[i].tags[k]);
		assert_int_equal(a->matches[i].nmeta, b->matches[i].nmeta);
		for (k = 0; k < a->matches[i].nmeta; k++) {
			assert_string_equal(a->matches[i].meta[k].key,
			    b->matches[i].meta[k].key);
			assert_int_equal(a->matches[i].meta[k].type,
			    b->matches[i].meta[k].type);
			if (a->matches[i].meta[k].type == SCANNER_META_STRING)
				assert_string_equal(a->matches[i].meta[k].str,
				    b->matches[i].meta[k].str);
			else
				assert_int_equal(a->matches[i].meta[k].num,
				    b->matches[i].meta[k].num);
		}
		assert_int_equal(a->matches[i].nstrings,
		    b->matches[i].nstrings);
		for (k = 0; k < a->matches[i].nstrings; k++)
			assert_string_equal(a->matches[i].strings[k],
			    b->matches[i].strings[k]);
	}
}

/* the encoded sample; its body length */
static size_t
encoded(uint64_t id)
{
	struct scanner_result	r;
	struct scanner_match	m[2];
	size_t			n;

	sample(&r, m);
	n = scanmsg_result_encode(body, sizeof(body), id, &r);
	assert_true(n > 0);
	return n;
}

static void
test_roundtrip(void **state)
{
	struct scanner_result	r;
	struct scanner_match	m[2];
	struct scanmsg		msg;
	size_t			n;

	(void)state;
	sample(&r, m);
	n = frame(SCANMSG_RESULT, body, encoded(77));
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 1, NULL), 0);
	assert_int_equal(msg.type, SCANMSG_RESULT);
	assert_int_equal(msg.u.result.id, 77);
	same(&r, &msg.u.result.r);
	scanmsg_result_free(&msg.u.result);
	scanmsg_result_free(NULL);
	/* too small a buffer: 0, never a cut verdict */
	assert_int_equal(scanmsg_result_encode(body, 40, 1, &r), 0);
}

static void
test_truncated(void **state)
{
	struct scanmsg	msg;
	size_t		len = encoded(1), cut;

	(void)state;
	/* every shorter body, with a header that tells the truth */
	for (cut = 0; cut < len; cut++) {
		size_t n = frame(SCANMSG_RESULT, body, cut);

		assert_int_equal(scanmsg_parse(&msg, dgram, n, 1, NULL),
		    ERR_MALFORMED);
	}
	/* a byte too many */
	body[len] = 0;
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_RESULT,
	    body, len + 1), 1, NULL), ERR_MALFORMED);
}

static void
test_frames(void **state)
{
	struct scanmsg	 msg;
	const char	*why = NULL;
	size_t		 n = frame(SCANMSG_RESULT, body, encoded(1));
	uint32_t	 bad;

	(void)state;
	/* a header that lies about the rest */
	bad = (uint32_t)(n - SCANMSG_HDR + 1);
	memcpy(dgram + 4, &bad, 4);
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 1, &why),
	    ERR_MALFORMED);
	assert_string_equal(why, "length is not the rest of the message");
	assert_int_equal(scanmsg_parse(&msg, dgram, 7, 1, NULL),
	    ERR_MALFORMED);
	/* bigger than any message (the kernel's size, with MSG_TRUNC) */
	assert_int_equal(scanmsg_parse(&msg, dgram, SCANMSG_MAX + 1, 1,
	    NULL), ERR_TOOBIG);
	/* types the wrong way, and unknown */
	n = frame(SCANMSG_RESULT, body, encoded(1));
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 0, NULL),
	    ERR_MALFORMED);
	memcpy(dgram, &(uint32_t){ SCANMSG_SCAN }, 4);
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 1, NULL),
	    ERR_MALFORMED);
	memcpy(dgram, &(uint32_t){ 99 }, 4);
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 1, NULL),
	    ERR_MALFORMED);
}

static void
test_ready(void **state)
{
	struct scanmsg_ready	r;
	struct scanmsg		msg;
	size_t			n;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(r.version, 'f', SCANNER_VERSION_LEN);
	r.rules = 14;
	r.files = 8;
	r.from_cache = 1;
	n = frame(SCANMSG_READY, &r, sizeof(r));
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 1, NULL), 0);
	assert_int_equal(msg.u.ready.rules, 14);
	assert_int_equal(msg.u.ready.files, 8);
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_READY, &r,
	    sizeof(r) - 1), 1, NULL), ERR_MALFORMED);
	memcpy(body, &r, sizeof(r));
	body[sizeof(r)] = 0;
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_READY, body,
	    sizeof(r) + 1), 1, NULL), ERR_MALFORMED);
	r.version[3] = 'G';		/* not hex */
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_READY, &r,
	    sizeof(r)), 1, NULL), ERR_MALFORMED);
	r.version[3] = 'f';
	r.version[SCANNER_VERSION_LEN] = 'f';	/* not terminated */
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_READY, &r,
	    sizeof(r)), 1, NULL), ERR_MALFORMED);
	r.version[SCANNER_VERSION_LEN] = '\0';
	r.from_cache = 2;
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_READY, &r,
	    sizeof(r)), 1, NULL), ERR_MALFORMED);
}

/* Offsets in the sample's encoding (scanmsg.c's layout). */
#define OFF_STATUS	8
#define OFF_OWNER	(8 + 4 + 8 + 1 + 8 + 8 + 8 + 4 + 8)

static void
test_hostile_fields(void **state)
{
	struct scanmsg	msg;
	size_t		len;
	uint32_t	v;

	(void)state;
	len = encoded(1);
	v = SCAN_STALLED + 1;
	memcpy(body + OFF_STATUS, &v, 4);
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_RESULT,
	    body, len), 1, NULL), ERR_MALFORMED);
	/* the owner "lan" with a NUL inside */
	len = encoded(1);
	body[OFF_OWNER + 4 + 1] = '\0';
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_RESULT,
	    body, len), 1, NULL), ERR_MALFORMED);
	/* an owner length past its field */
	len = encoded(1);
	v = SCANNER_OWNER_MAX;
	memcpy(body + OFF_OWNER, &v, 4);
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_RESULT,
	    body, len), 1, NULL), ERR_MALFORMED);
}

/* A verdict whose match count promises far more than is sent: refused
 * before anything that size is allocated. */
static void
test_lying_counts(void **state)
{
	struct scanner_result	r;
	struct scanmsg		msg;
	size_t			len;
	uint32_t		v = 4000;

	(void)state;
	memset(&r, 0, sizeof(r));
	len = scanmsg_result_encode(body, sizeof(body), 9, &r);
	assert_true(len > 4);
	memcpy(body + len - 4, &v, 4);		/* nmatches, last field */
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_RESULT,
	    body, len), 1, NULL), ERR_MALFORMED);
	v = 0;
	memcpy(body + len - 4, &v, 4);
	assert_int_equal(scanmsg_parse(&msg, dgram, frame(SCANMSG_RESULT,
	    body, len), 1, NULL), 0);
	assert_int_equal(msg.u.result.r.nmatches, 0);
	scanmsg_result_free(&msg.u.result);
}

static void
test_scan_request(void **state)
{
	struct scanmsg	msg;
	uint8_t		b[8 + SCANNER_OWNER_MAX + 16];
	uint64_t	id = 5;
	size_t		n;

	(void)state;
	memset(b, 0, sizeof(b));
	memcpy(b, &id, 8);
	memcpy(b + 8, "lan", 3);
	memcpy(b + 8 + SCANNER_OWNER_MAX, "/x/a.exe", 9);
	n = frame(SCANMSG_SCAN, b, 8 + SCANNER_OWNER_MAX + 9);
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 0, NULL), 0);
	assert_int_equal(msg.u.scan.id, 5);
	assert_string_equal(msg.u.scan.owner, "lan");
	assert_string_equal(msg.u.scan.path, "/x/a.exe");
	/* from the worker's side it is not a message the parent takes */
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 1, NULL),
	    ERR_MALFORMED);
	/* the path not terminated where it ends, or a NUL inside it */
	n = frame(SCANMSG_SCAN, b, 8 + SCANNER_OWNER_MAX + 8);
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 0, NULL),
	    ERR_MALFORMED);
	b[8 + SCANNER_OWNER_MAX + 2] = '\0';
	n = frame(SCANMSG_SCAN, b, 8 + SCANNER_OWNER_MAX + 9);
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 0, NULL),
	    ERR_MALFORMED);
	/* an owner without its terminator */
	memset(b + 8, 'x', SCANNER_OWNER_MAX);
	memcpy(b + 8 + SCANNER_OWNER_MAX, "/x/a.exe", 9);
	assert_int_equal(scanmsg_parse(&msg, dgram, n, 0, NULL),
	    ERR_MALFORMED);
}

/* Through a socket pair: the descriptor arrives, the sizes are the
 * kernel's, a second descriptor is refused, a hang-up is ERR_NOTFOUND. */
static void
test_socket(void **state)
{
	struct scanmsg	msg;
	int		sv[2], fd, got = -1, dup2nd;
	size_t		n;
	uint8_t		b[8 + SCANNER_OWNER_MAX + 3];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	memset(b, 0, sizeof(b));
	memcpy(b + 8 + SCANNER_OWNER_MAX, "/a", 3);
	assert_int_equal(scanmsg_send(sv[0], SCANMSG_SCAN, b, sizeof(b), fd),
	    0);
	assert_int_equal(scanmsg_recv(sv[1], body, &n, &got), 0);
	assert_int_equal(n, SCANMSG_HDR + sizeof(b));
	assert_true(got >= 0 && got != fd);
	assert_int_equal(scanmsg_parse(&msg, body, n, 0, NULL), 0);
	close(got);
	/* the parent reads without taking descriptors: none leaks in */
	assert_int_equal(scanmsg_send(sv[1], SCANMSG_READY, b, 4, fd), 0);
	assert_int_equal(scanmsg_recv(sv[0], body, &n, NULL), 0);
	assert_int_equal(n, SCANMSG_HDR + 4);
	/* two descriptors at once: refused, both closed */
	{
		union { struct cmsghdr h; char c[CMSG_SPACE(2 * sizeof(int))]; } cm;
		struct iovec	 iov = { b, 8 };
		struct msghdr	 mh = { 0 };
		struct cmsghdr	*c;
		int		 two[2] = { fd, fd };

		memset(&cm, 0, sizeof(cm));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.c;
		mh.msg_controllen = sizeof(cm.c);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(two));
		memcpy(CMSG_DATA(c), two, sizeof(two));
		assert_int_equal(sendmsg(sv[0], &mh, 0), 8);
	}
	dup2nd = -5;
	assert_int_equal(scanmsg_recv(sv[1], body, &n, &dup2nd),
	    ERR_MALFORMED);
	assert_int_equal(dup2nd, -1);
	close(sv[0]);
	assert_int_equal(scanmsg_recv(sv[1], body, &n, &got), ERR_NOTFOUND);
	close(sv[1]);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_hostile_fields),
		cmocka_unit_test(test_lying_counts),
		cmocka_unit_test(test_scan_request),
		cmocka_unit_test(test_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
