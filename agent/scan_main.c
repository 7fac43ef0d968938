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

	umask(077);
	memset(&g, 0, sizeof(g));
	log_init(AGENTCMD_PROG, LOG_LVL_INFO, 0);
	if ((rc = agentcmd_take_globals(&g, &argc, argv)) != 0)
		return cli_exit(rc);
	if (argc < 2 || strcmp(argv[1], SCANWORKER_CMD) != 0) {
		log_warnx("vigil-scan: want the command %s (run by the daemon)",
		    SCANWORKER_CMD);
		return SCANWORKER_EXIT_USAGE;
	}
	if (sodium_init() < 0 || digest_openssl_init() != 0) {
		log_warnx("cannot initialise libsodium or OpenSSL");
		return SCANWORKER_EXIT_NOMEM;
	}
	if ((rc = agentcmd_setup(&cfg, &g)) != 0)
		return cli_exit(rc);
	optind = 0;
	return scanworker_main(argc - 1, argv + 1, &cfg);
}
