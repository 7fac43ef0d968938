/*
 * fim_cmd.h: `vigil-agent integrity`, file integrity from the command
 * line (fim.h).
 *
 *   vigil-agent integrity baseline|check [--json] [--db FILE]
 *       [--threads N] [--rehash] [--update] [--exclude PATTERN]... PATH...
 *
 * main.c hands over the words after the global options: argv[0] is
 * "integrity", the rest are parsed here (getopt_long, own --help).
 * data_dir: the default database is data_dir/fim.db (the daemon's);
 * NULL means --db is required. The caller has called log_init().
 *
 * The return value is the process exit status: 0 done, no change found;
 * 1 an error (database, memory, output, no baseline to check against);
 * 2 a usage error; 3 check found changes. AIDE 0.18 instead adds 1 (new
 * files), 2 (removed) and 4 (changed) after --check, and uses 14..23 for
 * errors; one status for "changes" is enough for scripts and cron, and
 * keeps 1 meaning failure as in the other vigil commands.
 */
#ifndef VIGIL_FIM_CMD_H
#define VIGIL_FIM_CMD_H

#define FIM_EXIT_OK		0
#define FIM_EXIT_ERROR		1
#define FIM_EXIT_USAGE		2
#define FIM_EXIT_CHANGES	3

int	fim_cmd_run(int argc, char **argv, const char *data_dir);

#endif
