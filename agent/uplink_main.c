/*
 * uplink_main.c: vigil-uplink, the agent's program for the part of the
 * link to the collector that reads the network (upworker.h), apart
 * from the daemon so that a parser bug there owns an unprivileged,
 * filtered process and not root.
 *
 *   vigil-uplink [-c FILE] [--data-dir DIR] [-v] uplink-worker
 *
 * Load: the link's; nothing else.
 */
#include "agentcmd.h"
#include "cli.h"
#include "upworker.h"

int
main(int argc, char **argv)
{
	struct agentcmd_globals	 g;
	struct agent_config	 cfg;
	int			 rc;

	if ((rc = agentcmd_begin(&g, &argc, argv)) != 0)
		return cli_exit(rc);
	if ((rc = agentcmd_worker(&cfg, &g, argc, argv, UPWORKER_CMD,
	    UPWORKER_EXIT_USAGE, UPWORKER_EXIT_NOMEM)) != 0)
		return rc;
	return upworker_main(argc - 1, argv + 1, &cfg);
}
