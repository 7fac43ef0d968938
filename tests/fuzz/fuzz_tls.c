/*
 * fuzz_tls.c: the TLS ClientHello (agent/net/tls.c).
 *
 * Each input is a client's stream, parsed whole, cut at a length taken
 * from its last byte, and with an arena cut small. On success the
 * fingerprints have their shape (32 hex digits; JA4's 36 characters with
 * '_' at 10 and 23), the texts are printable and in the arena, and the
 * raw server name is in the arena too (the gathered copy).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "text.h"
#include "tls.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	arena[TLS_SCRATCH_NEED];

static void
check(int ok)
{
	if (!ok)
		abort();
}

static bool
in_arena(const struct scratch *s, const void *p)
{
	return (const uint8_t *)p >= s->buf &&
	    (const uint8_t *)p < s->buf + s->used;
}

static void
run(const uint8_t *p, size_t n, size_t cap)
{
	struct scratch	s = { arena, cap, 0 };
	struct txn	t;
	size_t		i;
	int		rc;

	memset(&t, 0, sizeof(t));
	rc = tls_parse_clienthello(p, n, &t, &s);
	check(rc == 0 || rc == ERR_AGAIN || rc == ERR_MALFORMED ||
	    rc == ERR_TOOBIG || rc == ERR_NOMEM);
	check(s.used <= s.cap);
	if (rc != 0)
		return;
	check(strlen(t.tls.ja3) == 32 && strlen(t.tls.ja4) == 36);
	for (i = 0; i < 32; i++)
		check(strchr("0123456789abcdef", t.tls.ja3[i]) != NULL);
	check(t.tls.ja4[0] == 't' && t.tls.ja4[10] == '_' &&
	    t.tls.ja4[23] == '_');
	check(in_arena(&s, t.tls.ja3_string));
	check((t.tls.sni == NULL) == (t.buf[NB_TLS_SNI] == NULL));
	if (t.tls.sni != NULL) {
		check(in_arena(&s, t.tls.sni) && in_arena(&s,
		    t.buf[NB_TLS_SNI]));
		check(text_printable(t.tls.sni, strlen(t.tls.sni)));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * TLS_CH_MAX)
		return 0;
	run(data, size, sizeof(arena));
	if (size > 0) {
		run(data, size % (data[size - 1] + 1u), sizeof(arena));
		run(data, size, (size_t)data[0] * 16);
	}
	(void)tls_probe(data, size);
	return 0;
}
