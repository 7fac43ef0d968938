/*
 * msgframe.c: the frame of the daemon's and its workers' messages
 * (msgframe.h).
 */
#include <string.h>

#include "err.h"
#include "msgframe.h"

_Static_assert(sizeof(struct msgframe) == MSGFRAME_HDR, "header layout");

int
msgframe_parse(struct msgframe *out, const uint8_t *buf, size_t n,
    size_t max, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (n > max) {
		*why = "larger than any message";
		return ERR_TOOBIG;
	}
	if (n < MSGFRAME_HDR) {
		*why = "shorter than a header";
		return ERR_MALFORMED;
	}
	memcpy(out, buf, sizeof(*out));
	if (out->len != n - MSGFRAME_HDR) {
		*why = "length is not the rest of the message";
		return ERR_MALFORMED;
	}
	return 0;
}
