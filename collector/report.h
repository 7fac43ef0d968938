/*
 * report.h: the periodic security report (issue 11; docs/report.md).
 *
 *   vigil-collector report (--month YYYY-MM | --quarter YYYY-Qn |
 *       --half YYYY-H1|H2 | --year YYYY) [--office NAME] [--lang vi|en]
 *       [--format pdf|html|md|csv|json] [-o FILE]
 *
 * report_build() computes every figure from the store and the register
 * by SQL (prepared statements, fixed text, bound values) into one JSON
 * document, the machine format, whose schema docs/report.md gives;
 * report_write() renders that document as JSON, Markdown, CSV or PDF
 * (report_pdf.h) in Vietnamese or English. The document holds no words of either
 * language: figures, codes and names only.
 *
 * Periods are in the collector's local time zone (the process's: TZ, or
 * /etc/localtime; Asia/Ho_Chi_Minh, UTC+7, on a commune's server): a
 * month is [its first day 00:00, the next month's) there.
 *
 * Callers: the CLI, on its own store handle, beside a running collector
 * (WAL: the daemon keeps writing). Errors: ERR_IO (logged), ERR_NOMEM,
 * ERR_MALFORMED (report_period_parse).
 */
#ifndef VIGIL_REPORT_H
#define VIGIL_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cmd.h"
#include "store.h"

struct config_list;

enum report_kind { REPORT_MONTH = 0, REPORT_QUARTER, REPORT_HALF,
	REPORT_YEAR };
enum report_lang { REPORT_VI = 0, REPORT_EN };
enum report_format { REPORT_JSON = 0, REPORT_MD, REPORT_CSV, REPORT_HTML,
	REPORT_PDF };

struct report_period {
	int	 kind;			/* enum report_kind */
	char	 label[16];		/* "2026-11", "2026-Q4", "2026-H2" */
	int64_t	 from, to;		/* [from, to), Unix seconds */
};

/* "2026-11" for REPORT_MONTH, "2026-Q4", "2026-H2", "2026": the period,
 * local time. ERR_MALFORMED for anything else (years 1970-9999). */
int	report_period_parse(struct report_period *, int kind, const char *s);

struct report_opts {
	struct report_period	 period;
	const char		*office;	/* NULL: every office */
	int64_t			 now;		/* generated at */
	const char		*by;		/* who generated it */
	const char		*data_dir;	/* for its disk's free space;
						 * NULL: not checked */
	const struct config_list *critical;	/* critical paths; NULL none */
	/* [report]: the controls (0 or NULL: the shipped defaults) */
	const struct config_list *off;		/* ids not checked: left
						 * out of the document */
	int64_t			 ack_within;	/* critical_ack_1h: seconds,
						 * 3600 */
	int			 disk_free_min;	/* disk_free: percent, 10;
						 * -1: 0 % */
	int64_t			 rules_max_age;	/* rules_fresh: seconds, 7d */
	int64_t			 silent_after;	/* coverage's silent: seconds,
						 * 24h */
	int64_t			 backup_max_age; /* backups: seconds, 7d */
};

/* The report as a JSON object (docs/report.md), *out new. An empty
 * period, a store without agents, an office without incidents: a
 * report with zeros, never an error. */
int	report_build(json_t **out, struct store *, const struct report_opts *);
/* Render it (REPORT_JSON, REPORT_MD, REPORT_CSV, REPORT_HTML,
 * REPORT_PDF). 0, ERR_IO, ERR_NOMEM, ERR_CONFIG (pdf: no font for
 * Vietnamese), ERR_USAGE for another format. Every name from the store
 * is escaped for the
 * format. */
int	report_write(FILE *, const json_t *, int format, int lang);

/* The command (main.c hands over argv from "report" on). Exit 0 done,
 * 1 error, 2 usage. */
int	report_cmd_run(const struct cmd_host *, int argc, char **argv);

#endif
