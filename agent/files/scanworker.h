/*
 * scanworker.h: the scan worker, `vigil-scan scan-worker`, started by
 * the daemon only (scanproc.h).
 *
 *   vigil-scan [-c FILE] [--data-dir DIR] [-v] scan-worker
 *       --channels N --rules-fd FD [--cache-out FD]
 *       [--cache-in FD] [--sha256]
 *
 * Descriptors SCANWORKER_FD .. SCANWORKER_FD + N - 1 are its sockets to
 * the daemon (SOCK_SEQPACKET), one per scan it runs at once; above them
 * the daemon places, and names in the options, the rule files read into
 * a sealed memfd (--rules-fd), an empty file to save the compiled set
 * into (--cache-out) and the set saved for rule files of exactly these
 * bytes, if it has one (--cache-in), scanner.h; every other descriptor above stderr is
 * closed first. It drops privilege (sandbox.h: the [agent] user, no
 * capabilities, no_new_privs), then compiles the rules (or loads a
 * compiled set), shuts itself in further (a seccomp filter that allows
 * no open, socket, connect or exec), says READY on the first socket,
 * then answers each SCAN with one RESULT, a thread per socket, until
 * the daemon's ends close.
 */
#ifndef VIGIL_SCANWORKER_H
#define VIGIL_SCANWORKER_H

#include "config.h"
#include "scanner.h"

#define SCANWORKER_CMD		"scan-worker"
#define SCANWORKER_FD		3
#define SCANWORKER_CHANNELS_MAX	128
#define SCANWORKER_EXTRA_MAX	3		/* the load's */

enum scanworker_exit {
	SCANWORKER_EXIT_OK = 0,		/* the daemon gone */
	SCANWORKER_EXIT_USAGE = 2,	/* not started by the daemon */
	SCANWORKER_EXIT_RULES = 3,	/* no rule file loaded */
	SCANWORKER_EXIT_SANDBOX = 5,	/* privileges could not be dropped */
	SCANWORKER_EXIT_CHANNEL = 6,	/* a socket to the daemon failed,
					 * or the daemon broke the protocol */
	SCANWORKER_EXIT_NOMEM = 7,
};

/* argv[0] is SCANWORKER_CMD. Does not return. */
int	scanworker_main(int argc, char **argv, const struct agent_config *cfg);

#endif
