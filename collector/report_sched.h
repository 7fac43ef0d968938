/*
 * report_sched.h: the scheduled report (issue 11; docs/report.md,
 * "The schedule").
 *
 * With [report] schedule set, a thread of the collector daemon writes,
 * on the first day of each scheduled period, the report of the period
 * just ended into [report] dir, in each of [report] formats, for the
 * province and/or each office ([report] offices), records it in the
 * store (report_runs, report_files) and mails it to [report] mail_to
 * through [notify]'s relay (mailer.h), retrying on [report] retry. It
 * checks at its start, at each local midnight and at least once a
 * minute (a clock that jumps is seen within a minute); what it has
 * recorded it never writes again, and what a stopped collector left
 * (a report not written, a mail not sent) is taken up when it starts.
 *
 * The thread has its own store handle; it never touches the event loop
 * or the writer, so a report that takes seconds to build delays no
 * ingest.
 */
#ifndef VIGIL_REPORT_SCHED_H
#define VIGIL_REPORT_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "config.h"
#include "report.h"

#define REPORT_SCHED_CATCHUP	12	/* periods of a kind written after a
					 * long stop, at most */
#define REPORT_SCHED_FILE_MAX	(64 << 20)	/* bytes of a file mailed */
#define REPORT_SCHED_CLOCK_ENV	"VIGIL_TEST_CLOCK_OFFSET"

/* The period of kind (enum report_kind) that holds t, local time.
 * 0, or ERR_MALFORMED (t outside the years 1970-9999). */
int	report_period_at(struct report_period *out, int kind, int64_t t);

/* The periods of kind that ended in (since, now] (since < to <= now),
 * the newest max of them, oldest first, in out[0 ..]: how many, or
 * ERR_MALFORMED. since < 0: only the one that ended last. */
int	report_sched_ended(struct report_period *out, size_t max, int kind,
	    int64_t since, int64_t now);

/* The file name of a report: "report-2026-11.md" for the province
 * (office NULL or ""), "report-2026-11-Xã-Tân-Phú.md" for an office:
 * its letters and digits (UTF-8 kept), '-' for anything else, and
 * "-" and 8 hex digits of its hash when that changed the name (two
 * offices never share a file). 0, or ERR_TOOBIG. */
int	report_sched_filename(char *out, size_t outlen,
	    const struct report_period *, const char *office, const char *ext);

struct report_sched;

/* Starts the schedule of cfg's [report] (copied) on its own handle of
 * the store at dbpath. *out NULL, and 0, when nothing is scheduled.
 * Errors (logged): ERR_CONFIG (a format this build cannot write, a
 * password file), ERR_IO (the folder), ERR_NOMEM. */
int	report_sched_new(struct report_sched **out,
	    const struct collector_config *cfg, const char *dbpath);
/* Stops the thread (a mail under way is cut short: retried at the next
 * start). Takes NULL. */
void	report_sched_free(struct report_sched *);

/* `vigil-collector reports [--json]`: the scheduled reports recorded,
 * newest first. Exit 0, 1, 2. */
int	report_sched_cmd_run(const struct cmd_host *, int argc, char **argv);

#endif
