/*
 * fuzz_scanmsg.c: the daemon's parser of what its scan worker sends
 * (scanmsg_parse, from_worker), and the worker's of what the daemon
 * sends. A RESULT that parses is encoded again and must parse to the
 * same number of matches.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanmsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	again[SCANMSG_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scanmsg	m, m2;
	size_t		n;

	if (scanmsg_parse(&m, data, size, 1, NULL) == 0 &&
	    m.type == SCANMSG_RESULT) {
		n = scanmsg_result_encode(again + SCANMSG_HDR,
		    sizeof(again) - SCANMSG_HDR, m.u.result.id, &m.u.result.r);
		if (n > 0) {
			uint32_t h[2] = { SCANMSG_RESULT, (uint32_t)n };

			memcpy(again, h, sizeof(h));
			if (scanmsg_parse(&m2, again, SCANMSG_HDR + n, 1,
			    NULL) != 0 || m2.u.result.r.nmatches !=
			    m.u.result.r.nmatches)
				abort();
			scanmsg_result_free(&m2.u.result);
		}
		scanmsg_result_free(&m.u.result);
	}
	(void)scanmsg_parse(&m, data, size, 0, NULL);
	return 0;
}
