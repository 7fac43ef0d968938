/*
 * export.c: `vigil-collector export` (export.h; docs/incidents.md,
 * "Export").
 *
 * Each row is written from the store's callback as it is read
 * (store_events_each, incident_each: one prepared statement each, rows
 * streamed), so an export of ten million events needs the memory of one.
 * CSV cells go through text_put_csv() (RFC 4180 quoting, the terminal
 * escaping, the formula guard); numbers we write ourselves are bare.
 * JSON lines go through text_put_json(), as `events --json` does.
 *
 * Options are checked before the store is opened: a usage error (exit 2)
 * touches nothing. A failed export leaves no file (cmd_output).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "cmd.h"
#include "err.h"
#include "event.h"
#include "export.h"
#include "incident.h"
#include "store.h"
#include "taxonomy.h"
#include "text.h"

#define PROG	"vigil-collector"
#define CMD	"export"

enum what { W_EVENTS = 0, W_INCIDENTS };
enum format { F_EVE = 0, F_CSV };

static const char usage[] =
"usage: vigil-collector export --since T [--until T]\n"
"           [--what events|incidents] [--format eve|csv] [-o FILE]\n"
"  --since T      from T on (events: their time; incidents: detection)\n"
"  --until T      before T (default: no end)\n"
"  --what W       events (default) or incidents\n"
"  --format F     eve: one JSON object per line (default); csv: RFC 4180\n"
"                 with a header line; cells that begin with = + - @ get\n"
"                 an apostrophe first (no formulas in a spreadsheet)\n"
"  -o FILE        write FILE (made whole or not at all); default stdout\n"
"T: 2026-11-25, 2026-11-25T08:00:00+0700, or 15m/2h/7d ago.\n"
"Exit: 0 ok, 1 error, 2 usage.\n";

struct args {
	int64_t		 since_us, until_us;
	int		 what, format;
	const char	*output;
};

struct walk {
	FILE		*f;
	int64_t		 until_s;	/* incidents: created before */
	int64_t		 now;
	uint64_t	 n;
};

/* ---- CSV ---- */

static const char *const event_cols[] = {
	"timestamp", "received", "agent_id", "agent_name", "office", "seq",
	"event_type", "alert.severity", "alert.gid", "alert.signature_id",
	"alert.signature", "alert.category", "src_ip", "src_port", "dest_ip",
	"dest_port", "proto", "file.path", "file.sha256", "integrity.change",
	"integrity.path", NULL
};
#define EVENT_FIXED	7	/* columns before those from the event */

static const char *const incident_cols[] = {
	"id", "title", "category", "severity", "tlp", "status", "resolution",
	"reason", "assignee", "created", "first_seen", "last_seen", "alerts",
	"deadline", "overdue", "reported_at", "reported_to", "merged_into",
	NULL
};

static int
csv_header(FILE *f, const char *const *cols)
{
	size_t	i;

	for (i = 0; cols[i] != NULL; i++)
		if (fputs(i ? "," : "", f) == EOF ||
		    fputs(cols[i], f) == EOF)
			return ERR_IO;
	return fputs("\r\n", f) == EOF ? ERR_IO : 0;
}

static int
csv_text(FILE *f, const char *s, int first)
{
	if (!first && putc(',', f) == EOF)
		return ERR_IO;
	return text_put_csv(f, s, strlen(s));
}

static int
csv_num(FILE *f, int64_t v)
{
	return fprintf(f, ",%" PRId64, v) < 0 ? ERR_IO : 0;
}

static int
csv_time(FILE *f, int64_t t)
{
	char	buf[32];

	if (t == 0)
		return fputs(",", f) == EOF ? ERR_IO : 0;
	cmd_fmt_time(buf, sizeof(buf), t);
	return csv_text(f, buf, 0);
}

/* "alert.signature" in the event; NULL when absent. */
static json_t *
dotted(json_t *ev, const char *path)
{
	const char	*dot = strchr(path, '.');
	char		 key[32];

	if (dot == NULL)
		return json_object_get(ev, path);
	snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
	return json_object_get(json_object_get(ev, key), dot + 1);
}

/* One cell from the event: a string by its bytes (a path sent escaped,
 * docs/events.md, is unescaped first so that it is escaped once), a
 * number bare, anything else as compact JSON text. */
static int
event_cell(FILE *f, json_t *ev, const char *path)
{
	json_t		*v = dotted(ev, path);
	char		 flag[48], *raw, *dump;
	size_t		 n, len = json_string_length(v);
	int		 rc;

	if (putc(',', f) == EOF)
		return ERR_IO;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v))
		return fprintf(f, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v)) < 0 ? ERR_IO : 0;
	if (!json_is_string(v)) {
		if ((dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) ==
		    NULL)
			return ERR_NOMEM;
		rc = text_put_csv(f, dump, strlen(dump));
		free(dump);
		return rc;
	}
	snprintf(flag, sizeof(flag), "%s_escaped", path);
	if (json_is_true(dotted(ev, flag))) {
		if ((raw = malloc(len + 1)) == NULL)
			return ERR_NOMEM;
		if (text_unescape(raw, &n, json_string_value(v), len) == 0) {
			rc = text_put_csv(f, raw, n);
			free(raw);
			return rc;
		}
		free(raw);
	}
	return text_put_csv(f, json_string_value(v), len);
}

static int
event_csv(void *arg, const struct store_row *r)
{
	struct walk	*w = arg;
	char		 ts[EVENT_TS_STRLEN];
	json_t		*ev;
	size_t		 i;
	int		 rc;

	event_format_ts(ts, r->ts_us);
	if ((rc = csv_text(w->f, ts, 1)) != 0 ||
	    (rc = csv_time(w->f, r->received)) != 0 ||
	    (rc = csv_text(w->f, r->agent_id, 0)) != 0 ||
	    (rc = csv_text(w->f, r->agent_name, 0)) != 0 ||
	    (rc = csv_text(w->f, r->office, 0)) != 0 ||
	    (rc = csv_num(w->f, (int64_t)r->seq)) != 0 ||
	    (rc = csv_text(w->f, r->type, 0)) != 0)
		return rc;
	/* stored events were validated as JSON objects on the way in */
	ev = json_loadb(r->json, r->len, 0, NULL);
	for (i = EVENT_FIXED; rc == 0 && event_cols[i] != NULL; i++)
		rc = event_cell(w->f, ev, event_cols[i]);
	json_decref(ev);
	w->n++;
	return rc != 0 ? rc : fputs("\r\n", w->f) == EOF ? ERR_IO : 0;
}

static int
event_eve(void *arg, const struct store_row *r)
{
	struct walk	*w = arg;

	w->n++;
	return cmd_put_event(w->f, r);
}

static int
incident_csv(void *arg, const struct incident *i)
{
	struct walk	*w = arg;
	FILE		*f = w->f;
	int		 rc;

	if (w->until_s != 0 && i->created >= w->until_s)
		return 0;
	w->n++;
	if (fprintf(f, "%" PRId64, i->id) < 0)
		return ERR_IO;
	if ((rc = csv_text(f, i->title, 0)) != 0 ||
	    (rc = csv_text(f, i->category, 0)) != 0 ||
	    (rc = csv_text(f, taxonomy_severity_name(i->severity), 0)) != 0 ||
	    (rc = csv_text(f, taxonomy_tlp_name(i->tlp), 0)) != 0 ||
	    (rc = csv_text(f, taxonomy_status_name(i->status), 0)) != 0 ||
	    (rc = csv_text(f, i->resolution == RES_NONE ? "" :
	    taxonomy_resolution_name(i->resolution), 0)) != 0 ||
	    (rc = csv_text(f, i->reason, 0)) != 0 ||
	    (rc = csv_text(f, i->assignee, 0)) != 0 ||
	    (rc = csv_time(f, i->created)) != 0 ||
	    (rc = csv_time(f, i->first_seen)) != 0 ||
	    (rc = csv_time(f, i->last_seen)) != 0 ||
	    (rc = csv_num(f, (int64_t)i->alerts)) != 0 ||
	    (rc = csv_time(f, i->deadline)) != 0 ||
	    (rc = csv_num(f, incident_overdue(i, w->now))) != 0 ||
	    (rc = csv_time(f, i->reported_at)) != 0 ||
	    (rc = csv_text(f, i->reported_to, 0)) != 0 ||
	    (rc = csv_num(f, i->merged_into)) != 0)
		return rc;
	return fputs("\r\n", f) == EOF ? ERR_IO : 0;
}

static int
incident_jsonl(void *arg, const struct incident *i)
{
	struct walk	*w = arg;
	json_t		*j;
	int		 rc;

	if (w->until_s != 0 && i->created >= w->until_s)
		return 0;
	w->n++;
	if ((j = incident_json(i, w->now)) == NULL)
		return ERR_NOMEM;
	rc = text_print_json(w->f, j);
	json_decref(j);
	return rc;
}

/* ---- the command ---- */

static int
parse(struct args *a, const struct cmd_host *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "what", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		CMD_GLOBAL_OPTS, { NULL, 0, NULL, 0 }
	};
	static const char *const	whats[] = { "events", "incidents" };
	static const char *const	formats[] = { "eve", "csv" };
	int				ch, since = 0;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:vho:", opts, NULL)) != -1) {
		if (h->global_opt(h->ctx, ch, optarg))
			continue;
		switch (ch) {
		case 's':
			if (cmd_parse_time(&a->since_us, optarg) != 0)
				return cli_usage(PROG, CMD, "--since: not a "
				    "date, time or duration: '%s'", optarg);
			since = 1;
			break;
		case 'u':
			if (cmd_parse_time(&a->until_us, optarg) != 0)
				return cli_usage(PROG, CMD, "--until: not a "
				    "date, time or duration: '%s'", optarg);
			break;
		case 'w':
			if ((a->what = cli_word(optarg, whats, 2)) < 0)
				return cli_usage(PROG, CMD, "--what: events or "
				    "incidents, not '%s'", optarg);
			break;
		case 'f':
			if ((a->format = cli_word(optarg, formats, 2)) < 0)
				return cli_usage(PROG, CMD, "--format: eve or "
				    "csv, not '%s'", optarg);
			break;
		case 'o': a->output = optarg; break;
		case 'h': fputs(usage, stdout); return 1;
		default: return cli_hint(PROG, CMD);
		}
	}
	if (optind != argc)
		return cli_usage(PROG, CMD, "unexpected argument '%s'",
		    argv[optind]);
	if (!since)
		return cli_usage(PROG, CMD, "--since is needed (1970-01-01 "
		    "for everything)");
	if (a->until_us != 0 && a->until_us <= a->since_us)
		return cli_usage(PROG, CMD, "--until must come after --since");
	return 0;
}

static int
run(FILE *f, struct store *st, const struct args *a)
{
	struct store_query	sq = { .since_us = a->since_us,
				    .until_us = a->until_us };
	struct incident_query	iq = { 0 };
	struct walk		w = { .f = f, .now = (int64_t)time(NULL) };
	int			rc;

	if (a->what == W_EVENTS) {
		if (a->format == F_CSV && (rc = csv_header(f, event_cols)) != 0)
			return rc;
		return store_events_each(st, &sq, a->format == F_CSV ?
		    event_csv : event_eve, &w);
	}
	iq.since = a->since_us / 1000000;
	iq.now = w.now;
	/* until is a second's boundary: created (seconds) before it */
	w.until_s = a->until_us == 0 ? 0 : (a->until_us + 999999) / 1000000;
	if (a->format == F_CSV && (rc = csv_header(f, incident_cols)) != 0)
		return rc;
	return incident_each(st, &iq, a->format == F_CSV ? incident_csv :
	    incident_jsonl, &w);
}

int
export_cmd_run(const struct cmd_host *h, int argc, char **argv)
{
	struct cmd_output	 out;
	struct args		 a;
	struct store		*st;
	int64_t			 deadline;
	int			 rc, status;

	if ((rc = parse(&a, h, argc, argv)) != 0)
		return rc == 1 ? 0 : cli_exit(rc);
	if ((status = h->open(h->ctx, &st, &deadline)) != 0)
		return status;
	if ((rc = cmd_output_open(&out, a.output)) == 0) {
		rc = run(out.f, st, &a);
		if (rc != 0 && rc != ERR_IO)
			cli_say(PROG, "export: %s", vigil_strerror(rc));
		rc = cmd_output_close(&out, rc);
	}
	store_close(st);
	return rc == 0 ? 0 : CLI_EXIT_FAIL;
}
