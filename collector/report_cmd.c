/*
 * report_cmd.c: `vigil-collector report` (report.h; docs/report.md).
 *
 * Every word is checked before the store is opened, so a usage error
 * (exit 2) touches nothing. The store is read beside a running
 * collector (WAL; the busy timeout covers its commits). A failed report
 * leaves no file (cmd_output).
 */
#include <sys/types.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "err.h"
#include "report.h"
#include "store.h"

#define PROG	"vigil-collector"
#define CMD	"report"

static const char usage[] =
"usage: vigil-collector report (--month YYYY-MM | --quarter YYYY-Qn |\n"
"           --half YYYY-H1|H2 | --year YYYY) [--office NAME]\n"
"           [--lang vi|en] [--format pdf|html|md|csv|json] [-o FILE]\n"
"  --month, --quarter, --half, --year   the period, in the server's\n"
"                 local time zone\n"
"  --office NAME  one commune's report (default: every office, side by\n"
"                 side)\n"
"  --lang L       vi or en (default: [report] lang, vi)\n"
"  --format F     json (default), html, md, csv or pdf (A4; not to\n"
"                 a terminal)\n"
"  -o FILE        write FILE (made whole or not at all); default stdout\n"
"Exit: 0 ok, 1 error, 2 usage.\n";

struct args {
	struct report_period	 period;
	int			 nperiod;
	const char		*office;
	int			 lang;		/* -1: the config's */
	int			 format;
	const char		*output;
};

static int
parse(struct args *a, const struct cmd_host *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "month", required_argument, NULL, 'M' },
		{ "quarter", required_argument, NULL, 'Q' },
		{ "half", required_argument, NULL, 'H' },
		{ "year", required_argument, NULL, 'Y' },
		{ "office", required_argument, NULL, 'n' },
		{ "lang", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		CMD_GLOBAL_OPTS, { NULL, 0, NULL, 0 }
	};
	static const char *const	formats[] = { "json", "md", "csv",
		"html", "pdf" };
	static const char *const	langs[] = { "vi", "en" };
	static const char *const	forms[] = { "YYYY-MM", "YYYY-Qn",
		"YYYY-H1 or YYYY-H2", "YYYY" };
	static const char		kinds[] = "MQHY";	/* enum
							   report_kind */
	int				ch, k;

	memset(a, 0, sizeof(*a));
	a->lang = -1;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:vho:", opts, NULL)) != -1) {
		if (h->global_opt(h->ctx, ch, optarg))
			continue;
		switch (ch) {
		case 'M': case 'Q': case 'H': case 'Y':
			k = (int)(strchr(kinds, ch) - kinds);
			if (a->nperiod++ > 0)
				return cli_usage(PROG, CMD, "one period only");
			if (report_period_parse(&a->period, k, optarg) != 0)
				return cli_usage(PROG, CMD, "--%s: %s, "
				    "not '%s'", opts[k].name, forms[k], optarg);
			break;
		case 'n': a->office = optarg; break;
		case 'l':
			if ((a->lang = cli_word(optarg, langs, 2)) < 0)
				return cli_usage(PROG, CMD, "--lang: vi or en, "
				    "not '%s'", optarg);
			break;
		case 'f':
			if ((a->format = cli_word(optarg, formats, 5)) < 0)
				return cli_usage(PROG, CMD, "--format: pdf, "
				    "html, md, csv or json, not '%s'", optarg);
			break;
		case 'o': a->output = optarg; break;
		case 'h': fputs(usage, stdout); return 1;
		default: return cli_hint(PROG, CMD);
		}
	}
	if (optind != argc)
		return cli_usage(PROG, CMD, "unexpected argument '%s'",
		    argv[optind]);
	if (a->nperiod == 0)
		return cli_usage(PROG, CMD, "a period is needed: --month, "
		    "--quarter, --half or --year");
	if (a->format == REPORT_PDF && a->output == NULL &&
	    isatty(STDOUT_FILENO))
		return cli_usage(PROG, CMD, "--format pdf: not to a terminal; "
		    "-o FILE, or redirect standard output");
	if (a->office != NULL && (a->office[0] == '\0' ||
	    strlen(a->office) > STORE_NAME_MAX))
		return cli_usage(PROG, CMD, "--office: 1 to %d bytes",
		    STORE_NAME_MAX);
	return 0;
}

int
report_cmd_run(const struct cmd_host *h, int argc, char **argv)
{
	struct report_opts	 o = { 0 };
	struct cmd_output	 out;
	struct args		 a;
	struct store		*st;
	json_t			*doc = NULL;
	char			 by[64];
	int64_t			 deadline;
	int			 rc, status;

	if ((rc = parse(&a, h, argc, argv)) != 0)
		return rc == 1 ? 0 : cli_exit(rc);
	if ((status = h->open(h->ctx, &st, &deadline)) != 0)
		return status;
	cmd_whoami(by, sizeof(by));
	o.period = a.period;
	o.office = a.office;
	o.now = (int64_t)time(NULL);
	o.by = by;
	o.data_dir = h->cfg->data_dir;
	o.critical = &h->cfg->corr_critical;
	o.off = &h->cfg->report_off;
	o.ack_within = h->cfg->report_ack_within_s;
	o.rules_max_age = h->cfg->report_rules_max_age_s;
	o.silent_after = h->cfg->report_silent_after_s;
	o.backup_max_age = h->cfg->report_backup_max_age_s;
	o.disk_free_min = h->cfg->report_disk_free_min == 0 ? -1 :
	    h->cfg->report_disk_free_min;
	if (a.lang < 0)
		a.lang = h->cfg->report_lang == CONFIG_LANG_EN ? REPORT_EN :
		    REPORT_VI;
	if ((rc = report_build(&doc, st, &o)) == 0 &&
	    (rc = cmd_output_open(&out, a.output)) == 0) {
		rc = report_write(out.f, doc, a.format, a.lang);
		if (rc != 0 && rc != ERR_IO)
			cli_say(PROG, "report: %s", vigil_strerror(rc));
		rc = cmd_output_close(&out, rc);
	} else if (rc != 0 && rc != ERR_IO)
		cli_say(PROG, "report: %s", vigil_strerror(rc));
	json_decref(doc);
	store_close(st);
	return rc == 0 ? 0 : CLI_EXIT_FAIL;
}
