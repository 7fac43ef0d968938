/*
 * scan_cmd.h: `vigil-agent scan`, a one-shot YARA scan of files and
 * folders with the agent's scanner (scanner.h).
 *
 *   vigil-agent scan [--rules FILE|DIR]... [--ioc FILE|DIR]... [--json]
 *       [--max-size SIZE] [--timeout SECS] [--threads N] PATH...
 *
 * main.c hands over the words after the global options: argv[0] is
 * "scan", the rest are parsed here (getopt_long, own --help). The return
 * value is the process exit status: 0 the scan ran (with or without
 * matches), 1 an error (a rules file did not compile, no rules, an
 * --ioc list that could not be read, a PATH that could not be scanned,
 * output failed), 2 a usage error.
 *
 * The caller has called log_init() and sodium_init(); the command does
 * its own scanner_global_init().
 */
#ifndef VIGIL_SCAN_CMD_H
#define VIGIL_SCAN_CMD_H

#include <stddef.h>

struct scan_cmd_defaults {
	/* the rules used when no --rules is given (the configured ones,
	 * config_rules_paths()); none means --rules is required */
	const char	*const *rules;
	size_t		 nrules;
	/* the indicator lists used when no --ioc is given; they may fail
	 * to load (a warning), lists named with --ioc may not */
	const char	*const *iocs;
	size_t		 niocs;
	/* where compiled rules are cached between runs (created 0700 if
	 * missing); NULL: no cache */
	const char	*cache_dir;
	/* enter FUSE and network file systems below a PATH ([files]
	 * remote_filesystems; --remote-filesystems says so too) */
	int		 remote_fs;
};

int	scan_cmd_run(int argc, char **argv, const struct scan_cmd_defaults *);

#endif
