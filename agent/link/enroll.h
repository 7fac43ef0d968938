/*
 * enroll.h: the agent's identity and enrollment.
 *
 * Enrollment is a one-shot, blocking exchange with the collector (see
 * enroll.c): fetch and pin the collector's key, prove a one-time token
 * inside the Noise IK handshake, and record the result in the spool's
 * meta table. The handshake itself is hsclient.h's; the daemon's link
 * (uplink.c) reads the identity back with enroll_identity_load().
 *
 * Meta keys written here: "collector" (HOST:PORT), "collector_pub" (hex),
 * "agent_id", "name", "office", "enrolled_at" (unix s) and "hs_ts" (the
 * last handshake timestamp sent, ns). Called from the main thread of the
 * agent (CLI commands and the daemon's event loop); no locking.
 */
#ifndef VIGIL_AGENT_ENROLL_H
#define VIGIL_AGENT_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "keys.h"
#include "noise.h"
#include "spool.h"
#include "wire.h"

#define ENROLL_KEY_FILE		"agent.key"
#define ENROLL_SPOOL_FILE	"spool.db"
#define ENROLL_IO_TIMEOUT_S	10
#define ENROLL_TOKEN_HEXLEN	(2 * WIRE_TOKEN_LEN)

/* What enrollment left in the spool's meta table. */
struct enroll_identity {
	char	 collector[CONFIG_ADDR_MAX];	/* HOST:PORT */
	uint8_t	 collector_pub[KEY_LEN];
	char	 agent_id[AGENT_ID_STRLEN];
	char	 name[64 + 1];
	char	 office[64 + 1];
	int64_t	 enrolled_at;		/* unix s, 0 if unknown */
};

/* Run `vigil-agent enroll`: cfg->data_dir holds the key and the spool.
 * Prints the result line on stdout. ERR_USAGE for a malformed collector
 * address, token or fingerprint (nothing has been touched then); ERR_AUTH
 * for a fingerprint mismatch or a refused enrollment; ERR_IO, ERR_NOMEM,
 * ERR_MALFORMED otherwise. Every failure is reported on stderr. */
int	enroll_run(const struct agent_config *cfg, const char *collector,
	    const char *token_hex, const char *fingerprint);

/* dir/name into out[outlen]. ERR_TOOBIG if it does not fit. */
int	enroll_path(char *out, size_t outlen, const char *dir,
	    const char *name);
/* Decimal digits only (no sign, no spaces), value <= max. ERR_MALFORMED,
 * *out untouched on error. */
int	enroll_parse_u64(uint64_t *out, const char *s, uint64_t max);

/* ERR_NOTFOUND if the agent is not enrolled (no agent_id in meta),
 * ERR_MALFORMED if the stored values do not parse, ERR_IO. */
int	enroll_identity_load(struct spool *, struct enroll_identity *out);

/* The next handshake timestamp: max(now in ns, meta hs_ts + 1), stored
 * back as hs_ts before it is returned, so a timestamp is never reused
 * even across a crash or a clock step. ERR_IO, ERR_MALFORMED. */
int	enroll_next_ts(struct spool *, uint64_t *ts_ns);

#endif
