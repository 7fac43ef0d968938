/*
 * netchild.h: the capture child (see netmon.h), `vigil-agent
 * capture-child`, started by the daemon only.
 *
 *   vigil-agent [-c FILE] [--data-dir DIR] [-v] capture-child
 *       [--cache DIR] [--gateway A.B.C.D] IFACE...
 *
 * Descriptor NETCHILD_FD is its socket to the daemon (SOCK_SEQPACKET);
 * every other descriptor above stderr is closed first. It opens the
 * capture on each IFACE and reads the rules and lists the configuration
 * names (and the compiled set of their bytes in --cache: netcache.h), as
 * root; drops root; parses and compiles them; installs its seccomp
 * filter, says READY and runs until SIGTERM or until the daemon's end of
 * the socket closes. The daemon names the set it saved (netcache_take)
 * after READY.
 */
#ifndef VIGIL_NETCHILD_H
#define VIGIL_NETCHILD_H

#include "config.h"

#define NETCHILD_CMD	"capture-child"
#define NETCHILD_FD	3

/* Exit statuses: why the child ended, for the daemon's log. */
enum netchild_exit {
	NETCHILD_EXIT_OK = 0,		/* SIGTERM or the daemon gone */
	NETCHILD_EXIT_USAGE = 2,	/* not started by the daemon */
	NETCHILD_EXIT_RULES = 3,	/* the rules or lists did not load */
	NETCHILD_EXIT_CAPTURE = 4,	/* an interface could not be opened
					 * or stopped (gone, down) */
	NETCHILD_EXIT_SANDBOX = 5,	/* privileges could not be dropped */
	NETCHILD_EXIT_CHANNEL = 6,	/* the socket to the daemon failed */
	NETCHILD_EXIT_NOMEM = 7,
	NETCHILD_EXIT_FILTER = 8,	/* [network] filter does not compile:
					 * not started again until a reload */
};

/* netmsg.c: the daemon links it without the child. */
const char	*netchild_exit_name(int status);
/* argv[0] is NETCHILD_CMD. Returns the exit status. */
int		 netchild_main(int argc, char **argv,
		    const struct agent_config *cfg);

#endif
