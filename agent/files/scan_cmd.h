/*
 * scan_cmd.h: `vigil-agent scan`, a one-shot YARA scan of files and
 * folders with the agent's scanner (scanner.h).
 *
 *   vigil-agent scan [--rules FILE|DIR]... [--json] [--max-size SIZE]
 *       [--timeout SECS] [--threads N] PATH...
 *
 * main.c hands over the words after the global options: argv[0] is
 * "scan", the rest are parsed here (getopt_long, own --help). The return
 * value is the process exit status: 0 the scan ran (with or without
 * matches), 1 an error (a rules file did not compile, no rules, a PATH
 * that could not be scanned, output failed), 2 a usage error.
 *
 * default_rules[0..ndefault): the rules used when no --rules is given
 * (the configured ones, config_rules_paths()); none means --rules is
 * required.
 * cache_dir: where compiled rules are cached between runs (created 0700
 * if missing); NULL: no cache. remote_fs: enter FUSE and network file
 * systems below a PATH ([files] remote_filesystems; --remote-filesystems
 * says so too). The caller has called log_init() and
 * sodium_init(); the command does its own scanner_global_init().
 */
#ifndef VIGIL_SCAN_CMD_H
#define VIGIL_SCAN_CMD_H

int	scan_cmd_run(int argc, char **argv, const char *const *default_rules,
	    size_t ndefault, const char *cache_dir, int remote_fs);

#endif
