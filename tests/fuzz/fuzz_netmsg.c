/*
 * fuzz_netmsg.c: agent/net/netmsg.c's parsers on arbitrary datagrams:
 * what a capture child taken over by a hostile packet could send the
 * daemon (netmsg_parse), and the child's own (netmsg_parse_probe).
 *
 * The input is one datagram; one longer than NETMSG_MAX is handed over
 * cut at NETMSG_MAX with its whole size, as a truncated recv reports it.
 * Checks:
 *   - the result is 0, ERR_MALFORMED or ERR_TOOBIG, always with a reason;
 *   - it agrees with a naive model of netmsg.h's rules: too big, shorter
 *     than a header, a length that is not the rest, then per type its
 *     exact size (PROBED: naming a probe sandbox.h knows), or an alert
 *     event_parse accepts whose type is "alert"; the child's parse
 *     likewise, for PROBE only;
 *   - an accepted alert points at the body, whole, in the buffer;
 *   - an accepted fixed body is the datagram's bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "event.h"
#include "fuzz_check.h"
#include "netmsg.h"
#include "sandbox.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A probe sandbox.h knows, at off in d[0..n) (n is enough). */
static int
known(const uint8_t *d, size_t off)
{
	uint32_t	what;

	memcpy(&what, d + off, 4);
	return what >= 1 && what <= SANDBOX_PROBE_MAX ? 0 : ERR_MALFORMED;
}

static int
model_probe(const uint8_t *d, size_t n)
{
	uint32_t	type, len;

	if (n > 8 + sizeof(struct netmsg_probe))
		return ERR_TOOBIG;
	if (n < 8)
		return ERR_MALFORMED;
	memcpy(&type, d, 4);
	memcpy(&len, d + 4, 4);
	if ((size_t)len + 8 != n || type != NETMSG_PROBE ||
	    len != sizeof(struct netmsg_probe))
		return ERR_MALFORMED;
	return known(d, 8);
}

static int
model(const uint8_t *d, size_t n)
{
	struct event_meta	meta;
	uint32_t		type, len;

	if (n > NETMSG_MAX)
		return ERR_TOOBIG;
	if (n < 8)
		return ERR_MALFORMED;
	memcpy(&type, d, 4);
	memcpy(&len, d + 4, 4);
	if ((size_t)len + 8 != n)
		return ERR_MALFORMED;
	switch (type) {
	case NETMSG_PROBED:
		return len == sizeof(struct netmsg_probed) ? known(d, 8) :
		    ERR_MALFORMED;
	case NETMSG_READY:
		return len == sizeof(struct netmsg_ready) ? 0 : ERR_MALFORMED;
	case NETMSG_STATS:
		return len == sizeof(struct netmsg_stats) ? 0 : ERR_MALFORMED;
	case NETMSG_ALERT:
		return event_parse(&meta, (const char *)d + 8, len, NULL) == 0 &&
		    strcmp(meta.type, "alert") == 0 ? 0 : ERR_MALFORMED;
	default:
		return ERR_MALFORMED;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netmsg		 m;
	struct netmsg_probe	 q;
	const char		*why = NULL;
	uint8_t			*buf;
	size_t			 keep = size > NETMSG_MAX ? NETMSG_MAX : size;
	int			 rc;

	/* exactly what the receive buffer would hold: ASan sees past it */
	if ((buf = malloc(keep > 0 ? keep : 1)) == NULL)
		return 0;
	memcpy(buf, data, keep);
	rc = netmsg_parse(&m, buf, size, &why);
	check(rc == 0 || rc == ERR_MALFORMED || rc == ERR_TOOBIG);
	check(rc == 0 || why != NULL);
	check(rc == model(data, size));
	if (rc == 0) {
		switch (m.type) {
		case NETMSG_READY:
			check(memcmp(&m.u.ready, buf + 8,
			    sizeof(m.u.ready)) == 0);
			break;
		case NETMSG_STATS:
			check(memcmp(&m.u.stats, buf + 8,
			    sizeof(m.u.stats)) == 0);
			break;
		case NETMSG_PROBED:
			check(memcmp(&m.u.probed, buf + 8,
			    sizeof(m.u.probed)) == 0);
			break;
		case NETMSG_ALERT:
			check(m.u.alert.json == (const char *)buf + 8);
			check(m.u.alert.len == size - 8);
			check(m.u.alert.len <= EVENT_MAX_LEN);
			break;
		default:
			check(0);
		}
	}
	free(buf);
	/* the child's side: its buffer holds one PROBE, no more */
	keep = size > 8 + sizeof(q) ? 8 + sizeof(q) : size;
	if ((buf = malloc(keep > 0 ? keep : 1)) == NULL)
		return 0;
	memcpy(buf, data, keep);
	why = NULL;
	rc = netmsg_parse_probe(&q, buf, size, &why);
	check(rc == 0 || why != NULL);
	check(rc == model_probe(data, size));
	check(rc != 0 || memcmp(&q, buf + 8, sizeof(q)) == 0);
	free(buf);
	return 0;
}
