/*
 * capture_main.c: vigil-capture, the agent's program for reading
 * traffic (agentcmd.h says why it is a program of its own).
 *
 *   vigil-capture [-c FILE] [--data-dir DIR] [-v] COMMAND [options]
 *
 * Commands: capture-child (the daemon's capture child, netchild.h),
 * pcap and rules (run for `vigil-agent pcap` and `vigil-agent rules`,
 * which exec this program with the same arguments; their usage is
 * vigil-agent's). Exit status as vigil-agent's.
 *
 * Load: one-shot commands, or the capture child's packet loop.
 */
#include <limits.h>
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
#include "netchild.h"
#include "netmon.h"
#include "pcap_cmd.h"
#include "rules_cmd.h"

/* The configured rules, lists and variables ([network]) by default. */
static int
run_pcap(int argc, char **argv, const struct agent_config *cfg)
{
	char				 cache[PATH_MAX];
	struct netmon_paths		 p;
	struct pcap_cmd_defaults	 d = { 0 };

	netmon_paths(&p, cfg);
	d.rules = p.rules;
	d.nrules = p.nrules;
	d.iocs = p.iocs;
	d.niocs = p.niocs;
	d.vars = p.vars;
	d.nvars = p.nvars;
	d.cache_dir = agentcmd_rules_cache(cache, sizeof(cache), cfg);
	return pcap_cmd_run(argc, argv, &d);
}

static int
run_rules(int argc, char **argv, const struct agent_config *cfg)
{
	return rules_cmd_main(argc, argv);
}

static const struct {
	const char	*name;
	int		(*run)(int, char **, const struct agent_config *);
} commands[] = {
	{ NETCHILD_CMD, netchild_main },
	{ "pcap", run_pcap },
	{ "rules", run_rules },
};

int
main(int argc, char **argv)
{
	struct agentcmd_globals	 g;
	struct agent_config	 cfg;
	size_t			 i;
	int			 rc;

	if ((rc = agentcmd_begin(&g, &argc, argv)) != 0)
		return cli_exit(rc);
	for (i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]);
	    i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (sodium_init() < 0 || digest_openssl_init() != 0) {
			log_warnx("cannot initialise libsodium or OpenSSL");
			return 1;
		}
		if ((rc = agentcmd_setup(&cfg, &g)) != 0)
			return cli_exit(rc);
		optind = 0;	/* the command runs getopt afresh */
		return commands[i].run(argc - 1, argv + 1, &cfg);
	}
	return cli_exit(cli_usage(AGENTCMD_CAPTURE, NULL, "want a command: "
	    "%s, pcap or rules (run by vigil-agent)", NETCHILD_CMD));
}
