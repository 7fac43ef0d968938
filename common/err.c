/*
 * err.c: names for enum vigil_err, for log lines and CLI messages.
 */
#include "err.h"

const char *
vigil_strerror(int err)
{
	switch (err) {
	case ERR_OK:		return "success";
	case ERR_NOMEM:		return "out of memory";
	case ERR_MALFORMED:	return "malformed input";
	case ERR_IO:		return "input/output error";
	case ERR_AUTH:		return "authentication failed";
	case ERR_REPLAY:	return "replayed handshake";
	case ERR_TOOBIG:	return "too large";
	case ERR_FULL:		return "store full";
	case ERR_NOTFOUND:	return "not found";
	case ERR_EXISTS:	return "already exists";
	case ERR_EXPIRED:	return "expired";
	case ERR_REVOKED:	return "revoked";
	case ERR_USAGE:		return "usage error";
	case ERR_AGAIN:		return "incomplete input";
	case ERR_CONFIG:	return "configuration error";
	case ERR_STATE:		return "invalid state";
	}
	return "unknown error";
}
