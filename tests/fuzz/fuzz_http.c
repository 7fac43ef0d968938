/*
 * fuzz_http.c: HTTP/1.x requests (agent/net/http.c).
 *
 * Each input is a client's stream, parsed as the flow code would: request
 * after request through *consumed (final at the end), with a body depth
 * and an arena size from the first bytes. On success every buffer lies
 * in the input or in the arena, *consumed moves forward, a buffer is
 * never longer than what it is made from (the normalised URI than the
 * raw one plus two, the body than the depth), and parsing the same bytes
 * again gives the same buffers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	arena[HTTP_SCRATCH_NEED(4096)];
static uint8_t	again[sizeof(arena)];

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_txn(const struct txn *t, const uint8_t *p, size_t n,
    const struct scratch *s, uint32_t depth)
{
	int	nb;

	for (nb = NB_HTTP_URI; nb <= NB_HTTP_PROTOCOL; nb++) {
		if (t->buf[nb] == NULL) {
			check(t->len[nb] == 0);
			continue;
		}
		check((t->buf[nb] >= p && t->buf[nb] + t->len[nb] <= p + n) ||
		    (t->buf[nb] >= s->buf && t->buf[nb] + t->len[nb] <=
		    s->buf + s->used));
	}
	check(t->buf[NB_HTTP_METHOD] != NULL && t->len[NB_HTTP_METHOD] > 0);
	check(t->len[NB_HTTP_REQUEST_BODY] <= depth);
	check(t->len[NB_HTTP_URI] <= t->len[NB_HTTP_URI_RAW] + 2);
}

static void
same(const struct txn *a, const uint8_t *p, size_t n, uint32_t depth,
    bool final)
{
	struct scratch	s = { again, sizeof(again), 0 };
	struct txn	b;
	size_t		used;
	int		nb;

	memset(&b, 0, sizeof(b));
	check(http_parse_request(p, n, depth, final, &b, &s, &used) == 0);
	for (nb = NB_HTTP_URI; nb <= NB_HTTP_PROTOCOL; nb++)
		check(a->len[nb] == b.len[nb] && (a->len[nb] == 0 ||
		    memcmp(a->buf[nb], b.buf[nb], a->len[nb]) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scratch	 s;
	struct txn	 t;
	const uint8_t	*p;
	uint32_t	 depth;
	size_t		 n, used, cap;
	int		 rc, reqs;

	if (size < 2 || size > 2 * HTTP_HEAD_MAX)
		return 0;
	depth = data[0] * 16u;
	cap = data[1] < 16 ? (size_t)data[1] * 64 : sizeof(arena);
	p = data + 2;
	n = size - 2;
	for (reqs = 0; n > 0 && reqs < 64; reqs++) {
		s = (struct scratch){ arena, cap, 0 };
		memset(&t, 0, sizeof(t));
		rc = http_parse_request(p, n, depth, true, &t, &s, &used);
		check(rc == 0 || rc == ERR_MALFORMED || rc == ERR_NOMEM);
		check(s.used <= s.cap);
		if (rc != 0)
			break;
		check_txn(&t, p, n, &s, depth);
		check(used > 0);
		same(&t, p, n, depth, true);
		if (used >= n)
			break;
		p += used;
		n -= used;
	}
	/* the whole stream as if more were to come */
	s = (struct scratch){ arena, sizeof(arena), 0 };
	rc = http_parse_request(data + 2, size - 2, depth, false, &t, &s,
	    &used);
	check(rc == 0 || rc == ERR_AGAIN || rc == ERR_MALFORMED);
	(void)http_probe(data, size);
	return 0;
}
