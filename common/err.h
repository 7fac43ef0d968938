/*
 * err.h: the error vocabulary shared by every vigil module.
 *
 * Functions return 0 on success or one of these negative values.
 * vigil_strerror() names them for log lines and CLI output.
 */
#ifndef VIGIL_ERR_H
#define VIGIL_ERR_H

enum vigil_err {
	ERR_OK = 0,
	ERR_NOMEM = -1,		/* allocation failed */
	ERR_MALFORMED = -2,	/* input does not parse or is out of range */
	ERR_IO = -3,		/* file, socket or database failure */
	ERR_AUTH = -4,		/* bad MAC, unknown key, fingerprint mismatch */
	ERR_REPLAY = -5,	/* handshake timestamp not newer than last */
	ERR_TOOBIG = -6,	/* over a size limit */
	ERR_FULL = -7,		/* bounded store is full */
	ERR_NOTFOUND = -8,
	ERR_EXISTS = -9,
	ERR_EXPIRED = -10,	/* enrollment token past its expiry */
	ERR_REVOKED = -11,	/* agent key revoked by the operator */
	ERR_USAGE = -12,	/* wrong arguments from the caller */
	ERR_AGAIN = -13,	/* need more input; not an error by itself */
	ERR_CONFIG = -14,	/* bad configuration value */
	ERR_STATE = -15,	/* call not valid in the object's state */
};

const char	*vigil_strerror(int);

#endif
