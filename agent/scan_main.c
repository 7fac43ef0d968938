/*
 * scan_main.c: vigil-scan, the agent's program for running YARA on the
 * daemon's behalf (scanworker.h), apart from the daemon so that its
 * process maps libyara and the compiled rules and the daemon does not.
 *
 *   vigil-scan [-c FILE] [--data-dir DIR] [-v] scan-worker [options]
 *
 * Load: the worker's scans; nothing else.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "agentcmd.h"
#include "cli.h"
#include "digest.h"
#include "err.h"
#include "log.h"
#include "scanworker.h"

int
main(int argc, char **argv)
{
	struct agentcmd_globals	 g;
	struct agent_config	 cfg;
	int			 rc;

	if ((rc = agentcmd_begin(&g, &argc, argv)) != 0)
		return cli_exit(rc);
	if ((rc = agentcmd_worker(&cfg, &g, argc, argv, SCANWORKER_CMD,
	    SCANWORKER_EXIT_USAGE, SCANWORKER_EXIT_NOMEM)) != 0)
		return rc;
	if (digest_openssl_init() != 0) {
		log_warnx("cannot initialise OpenSSL");
		return SCANWORKER_EXIT_NOMEM;
	}
	optind = 0;
	return scanworker_main(argc - 1, argv + 1, &cfg);
}
