/*
 * fuzz_rfc5424.c: syslog messages (collector/rfc5424.c) from hostile
 * fields. The input is split at 0x00 bytes into a hostname, APP-NAME,
 * PROCID, MSGID, three parameter values (any bytes) and MSG; its first
 * bytes pick the facility, severity, time and the bound. Whenever
 * rfc5424_format() succeeds, the message is within the bound and read
 * back by the strict reader (tests/rfc5424_parse.h): the right PRI,
 * each value a prefix of its input once unescaped, MSG a prefix of its
 * input (all of it unless the cut is marked). MSG that is not UTF-8
 * must be refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rfc5424.h"
#include "../rfc5424_parse.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NPARTS	8
#define MAX_OUT	65536

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static char		 out[MAX_OUT], back[P5424_VALUE];
	struct rfc5424_param	 pa[3];
	struct rfc5424_msg	 m;
	struct p5424		 r;
	char			*buf, *part[NPARTS];
	size_t			 plen[NPARTS], len, blen, i, k, max;
	int			 rc, cut;

	if (n < 6 || n > 70000)
		return 0;
	max = RFC5424_MIN_MAX + ((size_t)p[2] << 8 | p[3]) %
	    (MAX_OUT - RFC5424_MIN_MAX + 1);
	check((buf = malloc(n - 6 + 1)) != NULL);
	memcpy(buf, p + 6, n - 6);
	buf[n - 6] = '\0';
	for (i = 0, k = 0; i < NPARTS; i++) {
		part[i] = buf + k;
		plen[i] = strlen(part[i]);
		k += plen[i] + (k + plen[i] < n - 6);
		if (i == NPARTS - 1)	/* MSG: the rest, NULs and all */
			plen[i] = n - 6 - (size_t)(part[i] - buf);
	}
	for (i = 0; i < 3; i++)
		pa[i] = (struct rfc5424_param){ i == 0 ? "agent" : i == 1 ?
		    "office" : "title", part[4 + i], plen[4 + i] };
	m = (struct rfc5424_msg){ p[0] % 24, p[1] % 8,
	    (int64_t)((uint64_t)p[4] << 40 | (uint64_t)p[5] << 8) -
	    (1LL << 20), part[0], part[1], part[2], part[3], "vigil@32473",
	    pa, 3, part[7], plen[7] };
	rc = rfc5424_format(out, max, &len, &m, &cut);
	if (!text_utf8_valid(part[7], plen[7])) {
		check(rc == ERR_MALFORMED);
		goto done;
	}
	check(rc == 0 && len <= max);
	check(p5424_parse(&r, out, len) == 0);
	check(r.pri == m.facility * 8 + m.severity);
	check(r.nparams == 3 + (size_t)cut);
	for (i = 0; i < 3; i++) {
		check(text_unescape(back, &blen, r.params[i].value,
		    r.params[i].len) == 0);
		check(blen <= pa[i].len && memcmp(back, pa[i].value, blen) == 0);
	}
	if (plen[7] > 0) {
		check(r.bom);
		check(cut ? r.msglen < plen[7] : r.msglen == plen[7]);
		check(memcmp(r.msg, part[7], r.msglen) == 0);
	}
done:
	free(buf);
	return 0;
}
