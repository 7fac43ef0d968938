/*
 * fuzz_upmsg.c: the parser of the messages between the daemon and its
 * uplink worker (upmsg_parse), each way: what it accepts holds what
 * upmsg.h promises (a known type, gen not 0, a SEND size in range, a
 * LOST reason of printable text), with and without a descriptor.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upmsg.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const uint8_t *data, size_t size, int has_fd)
{
	struct upmsg	 m;
	const char	*why = NULL;
	size_t		 i, n;

	if (upmsg_parse(&m, data, size, has_fd, &why) != 0) {
		if (why == NULL)
			abort();
		return;
	}
	switch (m.type) {
	case UPMSG_SEND:
		if (!has_fd || m.u.send.gen == 0 || m.u.send.len == 0 ||
		    m.u.send.len > WIRE_MAX_FRAME)
			abort();
		break;
	case UPMSG_CONNECT:
		if (!has_fd || m.u.connect.gen == 0)
			abort();
		break;
	case UPMSG_LOST:
		n = strlen(m.u.lost.why);
		if (has_fd || m.u.lost.gen == 0 || n == 0 ||
		    n > UPMSG_WHY_MAX || n != size - MSGFRAME_HDR - 4)
			abort();
		for (i = 0; i < n; i++)
			if (m.u.lost.why[i] < 0x20 || m.u.lost.why[i] > 0x7e)
				abort();
		break;
	default:
		if (has_fd)
			abort();
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, 0);
	check(data, size, 1);
	return 0;
}
