/*
 * upworker.h: the uplink worker, `vigil-uplink [-c FILE] [--data-dir
 * DIR] [-v] uplink-worker`, started by the daemon only (upproc.h).
 *
 * The part of the link to the collector that reads what the network
 * says: the Noise handshake's reply, cookies, the stream header, every
 * record header and DATA record, the acknowledgements inside. It runs
 * as the [agent] user with no capability, no_new_privs and a seccomp
 * filter that lets it read and write the descriptors it is given and
 * nothing else: it opens no file, makes no socket and connects nowhere
 * (the daemon connects and passes the socket), and cannot exec. What it
 * holds: the agent's key pair (it speaks as the agent) and the current
 * connection; what it never sees: the spool, the configuration's
 * secrets other than the key, any file.
 *
 * Descriptor UPWORKER_FD is its socket to the daemon (SOCK_SEQPACKET,
 * upmsg.h); every other descriptor above stderr is closed first.
 *
 * Test builds (VIGIL_TEST_HOOKS) also honour an HS_RESP record whose
 * body starts with UPWORKER_CRASH (the worker aborts where a parser bug
 * would) and PROBE messages.
 */
#ifndef VIGIL_UPWORKER_H
#define VIGIL_UPWORKER_H

#include "config.h"

#define UPWORKER_CMD	"uplink-worker"
#define UPWORKER_FD	3
#define UPWORKER_CRASH	"VIGIL-TEST-CRASH"

/* Exit statuses: why the worker ended, for the daemon's log. */
enum upworker_exit {
	UPWORKER_EXIT_OK = 0,		/* SIGTERM or the daemon gone */
	UPWORKER_EXIT_USAGE = 2,	/* not started by the daemon */
	UPWORKER_EXIT_SANDBOX = 5,	/* privileges could not be dropped */
	UPWORKER_EXIT_CHANNEL = 6,	/* the daemon's socket failed, or it
					 * sent what upmsg_parse refuses */
	UPWORKER_EXIT_NOMEM = 7,
};

/* argv[0] is UPWORKER_CMD. Returns only by _exit. */
int	upworker_main(int argc, char **argv, const struct agent_config *cfg);

#endif
