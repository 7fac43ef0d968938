/*
 * cmd.h: what vigil-collector's short commands share (main.c and the
 * register's commands in incident_cmd.c): the global options every
 * command accepts, the one time parser of --since and --at, and the
 * columns and times of tables for people.
 *
 * A command module gets a struct cmd_host from main.c: its global
 * options are handled there, and its store opened with the
 * configuration applied.
 */
#ifndef VIGIL_CMD_H
#define VIGIL_CMD_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct store;
struct store_row;
struct collector_config;

/* Options every command accepts, before or after the command. */
#define CMD_GLOBAL_OPTS \
	{ "config", required_argument, NULL, 'c' }, \
	{ "data-dir", required_argument, NULL, 'D' }, \
	{ "listen", required_argument, NULL, 'L' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "help", no_argument, NULL, 'h' }

struct cmd_host {
	void	*ctx;
	/* 1 if ch was a global option (taken), 0 if not */
	int	(*global_opt)(void *ctx, int ch, const char *arg);
	/* Load the configuration, check the data directory and open the
	 * store: 0, or the exit status to return. *deadline_s gets
	 * [incidents] report_deadline. */
	int	(*open)(void *ctx, struct store **st, int64_t *deadline_s);
	/* The configuration open() loaded; read it only after open(). */
	const struct collector_config *cfg;
};

/* "2026-11-25", "2026-11-25T10:00:00[Z|+0700]", or a duration ago
 * ("15m", "2h", "7d"): microseconds since the epoch. ERR_MALFORMED. */
int	cmd_parse_time(int64_t *out_us, const char *s);
/* Unix seconds as "2026-11-25T10:00:00Z", "-" for 0. */
void	cmd_fmt_time(char *out, size_t len, int64_t t);
/* Print j as text_print_json does, then drop it (takes j; NULL, from a
 * failed json_pack, is ERR_NOMEM). 0, ERR_NOMEM, ERR_IO. */
int	cmd_print_json(json_t *j);
/*
 * Where a command's document goes (-o FILE): stdout for NULL or "-",
 * else a new file beside path (path.XXXXXX, mode 0600) that
 * cmd_output_close() renames to path when rc is 0 and everything was
 * written, and removes otherwise: a failed export leaves no half file.
 * open: 0 or ERR_IO (said). close: 0 or ERR_IO (said); rc passes
 * through when it is not 0.
 */
struct cmd_output {
	FILE		*f;
	const char	*path;		/* NULL: stdout */
	char		 tmp[4096];
};
int	cmd_output_open(struct cmd_output *, const char *path);
int	cmd_output_close(struct cmd_output *, int rc);

/* A stored event as `events --json` prints it: EVE JSON with its agent
 * and seq (event_render), one line, through text_put_json. 0, ERR_NOMEM,
 * ERR_IO. */
int	cmd_put_event(FILE *f, const struct store_row *r);

/* Who runs the command, for the records: the login name, else "uid N". */
void	cmd_whoami(char *out, size_t len);

/* s escaped for a terminal (text.h, TEXT_TERM) on stdout, left-aligned
 * in width columns counted in code points, then two spaces. */
void	cmd_print_col(const char *s, int width);

#endif
