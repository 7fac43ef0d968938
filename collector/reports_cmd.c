/*
 * reports_cmd.c: `vigil-collector reports [--json]`, the scheduled
 * reports the store has recorded (report_sched.h; docs/report.md, "The
 * schedule"), newest period first: each with its state (written, mail
 * sent, pending, given up), its attempts and last error, and its files
 * with their SHA-256.
 *
 * Read beside a running collector (WAL). Every string from the store
 * is escaped for where it goes (TEXT_TERM, JSON).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "cli.h"
#include "cmd.h"
#include "db.h"
#include "err.h"
#include "report_sched.h"
#include "store.h"
#include "text.h"

#define PROG	"vigil-collector"
#define CMD	"reports"

static const char usage[] =
"usage: vigil-collector reports [--json]\n"
"  the scheduled reports ([report] schedule), newest first: period,\n"
"  office, when written, the mail's state and attempts, the last error,\n"
"  and each file with its SHA-256\n"
"  --json   one JSON object a line\n"
"Exit: 0 ok, 1 error, 2 usage.\n";

static const char sql_list[] =
    "SELECT r.id, r.kind, r.period, r.office, r.written, r.mail,"
    " r.attempts, r.next_try, r.last_error, f.format, f.path, f.sha256,"
    " f.bytes FROM report_runs r LEFT JOIN report_files f ON f.run = r.id"
    " ORDER BY r.due DESC, r.office, r.id, f.format";

static const char *
col(sqlite3_stmt *st, int i)
{
	const char	*s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static json_t *
run_json(sqlite3_stmt *st)
{
	char	w[32], n[32];

	cmd_fmt_time(w, sizeof(w), sqlite3_column_int64(st, 4));
	cmd_fmt_time(n, sizeof(n), sqlite3_column_int64(st, 7));
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:i, s:s, s:o, s:[]}",
	    "kind", col(st, 1), "period", col(st, 2), "office",
	    *col(st, 3) ? text_json(col(st, 3), strlen(col(st, 3)), NULL) :
	    json_null(), "written", w, "mail", col(st, 5),
	    "attempts", sqlite3_column_int(st, 6), "next_try", n,
	    "last_error", text_json(col(st, 8), strlen(col(st, 8)), NULL),
	    "files");
}

static int
file_add(json_t *run, sqlite3_stmt *st)
{
	return json_array_append_new(json_object_get(run, "files"),
	    json_pack("{s:s, s:o, s:s, s:I}", "format", col(st, 9), "path",
	    text_json(col(st, 10), strlen(col(st, 10)), NULL), "sha256",
	    col(st, 11), "bytes", (json_int_t)sqlite3_column_int64(st, 12))) ?
	    ERR_NOMEM : 0;
}

static void
run_text(sqlite3_stmt *st)
{
	char	w[32], m[48];

	cmd_fmt_time(w, sizeof(w), sqlite3_column_int64(st, 4));
	(void)snprintf(m, sizeof(m), "%s (%d)", col(st, 5),
	    sqlite3_column_int(st, 6));
	cmd_print_col(col(st, 2), 8);
	cmd_print_col(col(st, 1), 8);
	cmd_print_col(*col(st, 3) ? col(st, 3) : "(all)", 20);
	cmd_print_col(w, 21);
	cmd_print_col(m, 14);
	(void)text_puts(stdout, col(st, 8));
	putchar('\n');
}

static void
file_text(sqlite3_stmt *st)
{
	fputs("    ", stdout);
	cmd_print_col(col(st, 9), 5);
	(void)text_puts(stdout, col(st, 10));
	printf("  sha256 %s\n", col(st, 11));
}

/* Rows come a run at a time, its files after it (the LEFT JOIN). */
static int
list(struct store *s, int json)
{
	struct db	*db = store_db(s);
	sqlite3_stmt	*st;
	json_t		*run = NULL;
	int64_t		 id = 0;
	int		 rc;

	if ((rc = db_prepare(db, &st, sql_list)) != 0)
		return rc;
	if (!json)
		printf("%-8s  %-8s  %-20s  %-21s  %-14s  %s\n", "PERIOD",
		    "KIND", "OFFICE", "WRITTEN", "MAIL", "LAST ERROR");
	while ((rc = db_row(db, st, "reports")) == 0) {
		if (sqlite3_column_int64(st, 0) != id) {
			id = sqlite3_column_int64(st, 0);
			if (run != NULL) {
				rc = cmd_print_json(run);	/* takes it */
				run = NULL;
				if (rc != 0)
					break;
			}
			if (json && (run = run_json(st)) == NULL) {
				rc = ERR_NOMEM;
				break;
			}
			if (!json)
				run_text(st);
		}
		if (sqlite3_column_type(st, 9) == SQLITE_NULL)
			continue;
		if (json && (rc = file_add(run, st)) != 0)
			break;
		if (!json)
			file_text(st);
	}
	sqlite3_finalize(st);
	if (rc == ERR_NOTFOUND)
		rc = run != NULL ? cmd_print_json(run) : 0;
	else
		json_decref(run);
	return rc;
}

int
report_sched_cmd_run(const struct cmd_host *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		CMD_GLOBAL_OPTS, { NULL, 0, NULL, 0 }
	};
	struct store	*st;
	int64_t		 deadline;
	int		 ch, json = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		if (h->global_opt(h->ctx, ch, optarg))
			continue;
		switch (ch) {
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_exit(cli_hint(PROG, CMD));
		}
	}
	if (optind != argc)
		return cli_exit(cli_usage(PROG, CMD, "unexpected argument '%s'",
		    argv[optind]));
	if ((rc = h->open(h->ctx, &st, &deadline)) != 0)
		return rc;
	rc = list(st, json);
	store_close(st);
	if (rc == 0 && fflush(stdout) != 0)
		rc = ERR_IO;
	if (rc != 0 && rc != ERR_IO)
		cli_say(PROG, CMD ": %s", vigil_strerror(rc));
	return rc == 0 ? 0 : CLI_EXIT_FAIL;
}
