/*
 * incident_cmd.c: `vigil-collector incidents ...` and `audit verify`
 * (incident_cmd.h; docs/incidents.md).
 *
 * Every word is checked before the store is opened, so a usage error
 * (exit 2) touches nothing. Every text printed for people goes through
 * text.h's terminal escaping (titles, names, notes and indicators may
 * hold anything an agent or a colleague typed); --json output goes
 * through text_print_json. One line per change for people: scripts use
 * --json.
 */
#include <sys/types.h>

#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "audit.h"
#include "cli.h"
#include "db.h"
#include "err.h"
#include "config.h"
#include "event.h"
#include "form.h"
#include "incident.h"
#include "incident_cmd.h"
#include "notify.h"
#include "store.h"
#include "taxonomy.h"
#include "text.h"

#define PROG		"vigil-collector"
#define SAID		1	/* a subcommand's failure, said: exit 1 */
#define AGENTS_MAX	64		/* --agent given to open */

static const char usage_incidents[] =
"usage: vigil-collector incidents COMMAND [ARGS] [--json]\n"
"  list [--status S] [--severity S] [--category C] [--office NAME]\n"
"       [--agent ID|NAME] [--since T] [--overdue] [--limit N] [--json]\n"
"                                newest first; --limit: the newest N\n"
"  show ID [--json]              details, timeline, indicators, events\n"
"  open --title T --category C --severity S [--agent ID|NAME]...\n"
"       [--tlp X] [--detected T]  record an incident by hand (one\n"
"                                reported by phone); its deadline runs\n"
"                                from --detected (default: now)\n"
"  ack ID                        new -> acknowledged\n"
"  assign ID NAME\n"
"  status ID STATE               acknowledged, investigating, contained,\n"
"                                closed; investigating reopens\n"
"  note ID TEXT\n"
"  resolve ID --resolution R --reason TEXT\n"
"                                true-positive, false-positive,\n"
"                                indeterminate, duplicate\n"
"  merge ID INTO                 ID becomes a closed duplicate of INTO\n"
"  reported ID [--to WHO] [--at T]   reported to the authorities\n"
"  form ID [--final] [--lang vi|en] [--format html|md] [-o FILE]\n"
"                                the report form of Circular 20/2017:\n"
"                                Mau 03 (initial), --final Mau 04; from\n"
"                                the register and [office] in the config\n"
"Changes take --as NAME (default: your user name) and print the new\n"
"state: one line, or the incident as JSON with --json.\n"
"T: 2026-11-25, 2026-11-25T08:00:00+0700, or 15m/2h/7d ago.\n"
"Words: docs/taxonomy.md. Exit: 0 ok, 1 error, 2 usage.\n";

static const char usage_audit[] =
"usage: vigil-collector audit verify [--json] [--head HASH]\n"
"  Check the register's audit log: every entry's hash and link, and the\n"
"  head record. Prints the head hash: write it down or send it elsewhere,\n"
"  and give it to --head later to check that the log still contains it.\n"
"  Exit: 0 intact, 3 broken (the first entry that does not fit is\n"
"  named), 1 error, 2 usage.\n";

/* Every option of every subcommand; each takes the ones it names. */
static const struct option opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "as", required_argument, NULL, 'A' },
	{ "status", required_argument, NULL, 's' },
	{ "severity", required_argument, NULL, 'S' },
	{ "category", required_argument, NULL, 'C' },
	{ "office", required_argument, NULL, 'n' },
	{ "agent", required_argument, NULL, 'a' },
	{ "since", required_argument, NULL, 'T' },
	{ "overdue", no_argument, NULL, 'O' },
	{ "limit", required_argument, NULL, 'N' },
	{ "resolution", required_argument, NULL, 'r' },
	{ "reason", required_argument, NULL, 'R' },
	{ "to", required_argument, NULL, 't' },
	{ "at", required_argument, NULL, 'W' },
	{ "title", required_argument, NULL, 'i' },
	{ "tlp", required_argument, NULL, 'P' },
	{ "head", required_argument, NULL, 'H' },
	{ "detected", required_argument, NULL, 'd' },
	{ "final", no_argument, NULL, 'F' },
	{ "lang", required_argument, NULL, 'l' },
	{ "format", required_argument, NULL, 'm' },
	{ "output", required_argument, NULL, 'o' },
	CMD_GLOBAL_OPTS, { NULL, 0, NULL, 0 }
};

/* The command line, checked. */
struct args {
	int		 json;
	const char	*as;
	int		 status;
	int		 severity;
	const char	*category;
	const char	*office;
	const char	*agents[AGENTS_MAX];
	size_t		 nagents;
	int64_t		 since;		/* seconds */
	int		 overdue;
	int64_t		 limit;		/* 0: all */
	int		 resolution;
	const char	*reason;
	const char	*to;
	int64_t		 at;		/* seconds */
	int64_t		 detected;	/* seconds */
	const char	*title;
	int		 tlp;
	int		 final;
	int		 lang;		/* enum form_lang */
	int		 format;	/* enum form_format */
	const char	*output;	/* -o, NULL: stdout */
	int		 head_set;
	uint8_t		 head[AUDIT_HASH_LEN];
	char		**pos;
	int		 npos;
	int64_t		 id;		/* pos[0], for those that take one */
};

struct ctx {
	struct store	*st;
	int64_t		 deadline_s;
	int64_t		 now;
	char		 actor[INCIDENT_NAME_MAX + 1];
	const char	*sub;		/* "incidents ack", for messages */
	const struct collector_config *cfg;
};

struct sub {
	const char	*name;
	const char	*opts;		/* option letters it takes */
	int		 npos;		/* positional arguments */
	int		(*fn)(struct ctx *, const struct args *);
};

static int	sub_list(struct ctx *, const struct args *);
static int	sub_show(struct ctx *, const struct args *);
static int	sub_open(struct ctx *, const struct args *);
static int	sub_ack(struct ctx *, const struct args *);
static int	sub_assign(struct ctx *, const struct args *);
static int	sub_status(struct ctx *, const struct args *);
static int	sub_note(struct ctx *, const struct args *);
static int	sub_resolve(struct ctx *, const struct args *);
static int	sub_merge(struct ctx *, const struct args *);
static int	sub_reported(struct ctx *, const struct args *);
static int	sub_form(struct ctx *, const struct args *);

static const struct sub subs[] = {
	{ "list", "jsSCnaTON", 0, sub_list },
	{ "show", "j", 1, sub_show },
	{ "open", "jAiCSaPd", 0, sub_open },
	{ "ack", "jA", 1, sub_ack },
	{ "assign", "jA", 2, sub_assign },
	{ "status", "jA", 2, sub_status },
	{ "note", "jA", 2, sub_note },
	{ "resolve", "jArR", 1, sub_resolve },
	{ "merge", "jA", 2, sub_merge },
	{ "reported", "jAtW", 1, sub_reported },
	{ "form", "Flmo", 1, sub_form },
};

/* ---- words ---- */

#define usage_err(cmd, ...)	cli_usage(PROG, (cmd), __VA_ARGS__)

static int
parse_id(int64_t *out, const char *s)
{
	uint64_t	v;

	if (text_u64(&v, s, strlen(s), 1, INT64_MAX) != 0)
		return ERR_MALFORMED;
	*out = (int64_t)v;
	return 0;
}

static int
parse_seconds(int64_t *out, const char *s)
{
	int64_t	us;

	if (cmd_parse_time(&us, s) != 0 || us <= 0)
		return ERR_MALFORMED;
	*out = us / 1000000;
	return 0;
}

/* One option's value into a; a usage error is said and returned. */
static int
take(struct args *a, int ch, const char *v, const char *cmd)
{
	switch (ch) {
	case 'j': a->json = 1; return 0;
	case 'A': a->as = v; return 0;
	case 'O': a->overdue = 1; return 0;
	case 'N':
		if (parse_id(&a->limit, v) == 0)
			return 0;
		return usage_err(cmd, "--limit: a number of incidents, 1 or "
		    "more, not '%s'", v);
	case 'n': a->office = v; return 0;
	case 'o': a->output = v; return 0;
	case 'F': a->final = 1; return 0;
	case 'l':
		if (strcmp(v, "vi") == 0 || strcmp(v, "en") == 0) {
			a->lang = strcmp(v, "en") == 0 ? FORM_EN : FORM_VI;
			return 0;
		}
		return usage_err(cmd, "--lang: vi or en, not '%s'", v);
	case 'm':
		if (strcmp(v, "html") == 0 || strcmp(v, "md") == 0) {
			a->format = strcmp(v, "md") == 0 ? FORM_MD : FORM_HTML;
			return 0;
		}
		return usage_err(cmd, "--format: html or md, not '%s'", v);
	case 'R': a->reason = v; return 0;
	case 't': a->to = v; return 0;
	case 'i': a->title = v; return 0;
	case 's':
		if (taxonomy_status_parse(&a->status, v) == 0)
			return 0;
		return usage_err(cmd, "--status: not a status: '%s' (new, "
		    "acknowledged, investigating, contained, resolved, "
		    "closed)", v);
	case 'S':
		if (taxonomy_severity_parse(&a->severity, v) == 0)
			return 0;
		return usage_err(cmd, "--severity: not a severity: '%s' (low, "
		    "medium, high, critical)", v);
	case 'C':
		a->category = v;
		if (taxonomy_category(v) != NULL)
			return 0;
		return usage_err(cmd, "--category: not a category: '%s' (dos, "
		    "spoofing, malware, intrusion, defacement, encryption, "
		    "destruction, data-theft, combined, other)", v);
	case 'a':
		if (a->nagents == AGENTS_MAX)
			return usage_err(cmd, "--agent: at most %d", AGENTS_MAX);
		a->agents[a->nagents++] = v;
		return 0;
	case 'T':
		if (parse_seconds(&a->since, v) == 0)
			return 0;
		return usage_err(cmd, "--since: not a date, time or duration: "
		    "'%s'", v);
	case 'd':
		if (parse_seconds(&a->detected, v) == 0)
			return 0;
		return usage_err(cmd, "--detected: not a date, time or "
		    "duration: '%s'", v);
	case 'W':
		if (parse_seconds(&a->at, v) == 0)
			return 0;
		return usage_err(cmd, "--at: not a date, time or duration: "
		    "'%s'", v);
	case 'r':
		if (taxonomy_resolution_parse(&a->resolution, v) == 0)
			return 0;
		return usage_err(cmd, "--resolution: not a resolution: '%s' "
		    "(true-positive, false-positive, indeterminate, "
		    "duplicate)", v);
	case 'P':
		if (taxonomy_tlp_parse(&a->tlp, v) == 0)
			return 0;
		return usage_err(cmd, "--tlp: not a TLP label: '%s' (clear, "
		    "green, amber, amber+strict, red)", v);
	case 'H':
		if (strlen(v) == 2 * AUDIT_HASH_LEN &&
		    sodium_hex2bin(a->head, sizeof(a->head), v, strlen(v),
		    NULL, NULL, NULL) == 0) {
			a->head_set = 1;
			return 0;
		}
		return usage_err(cmd, "--head wants the 64 hex digits audit "
		    "verify printed, not '%s'", v);
	}
	return cli_hint(PROG, cmd);
}

/*
 * getopt over argv (argv[0] the subcommand), options limited to allowed;
 * positionals into a->pos. 0, 1 (--help printed), or ERR_USAGE (said).
 */
static int
parse(struct args *a, const struct cmd_host *h, int argc, char **argv,
    const char *allowed, const char *cmd, const char *usage)
{
	int	ch, rc;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:vho:", opts, NULL)) != -1) {
		if (h->global_opt(h->ctx, ch, optarg))
			continue;
		if (ch == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		if (ch == '?' || strchr(allowed, ch) == NULL) {
			if (ch != '?')
				cli_say(PROG, "%s: option '%s' does not apply",
				    cmd, argv[optind - 1]);
			return cli_hint(PROG, cmd);
		}
		if ((rc = take(a, ch, optarg, cmd)) != 0)
			return rc;
	}
	a->pos = argv + optind;
	a->npos = argc - optind;
	return 0;
}

/* ---- output ---- */

static void
put(const char *s)
{
	(void)text_puts(stdout, s);
}

static void
deadline_text(char *out, size_t len, const struct incident *i, int64_t now)
{
	char	t[32];

	if (i->reported_at != 0) {
		cmd_fmt_time(t, sizeof(t), i->reported_at);
		(void)snprintf(out, len, "reported %s", t);
		return;
	}
	cmd_fmt_time(t, sizeof(t), i->deadline);
	(void)snprintf(out, len, "%s%s", t, incident_overdue(i, now) ?
	    " OVERDUE" : "");
}

/* "incident 3 [high] resolved (false-positive), assignee bob,
 * deadline ... OVERDUE: TITLE" */
static void
print_line(const struct incident *i, int64_t now)
{
	char	dl[64];

	deadline_text(dl, sizeof(dl), i, now);
	printf("incident %" PRId64 " [%s] %s", i->id,
	    taxonomy_severity_name(i->severity),
	    taxonomy_status_name(i->status));
	if (i->resolution != RES_NONE)
		printf(" (%s)", taxonomy_resolution_name(i->resolution));
	if (i->merged_into != 0)
		printf(", merged into %" PRId64, i->merged_into);
	fputs(", assignee ", stdout);
	put(i->assignee[0] ? i->assignee : "-");
	printf(", deadline %s: ", dl);
	put(i->title);
	putchar('\n');
}

/* The new state after a change. */
static int
print_state(const struct ctx *c, const struct args *a,
    const struct incident *i)
{
	if (a->json)
		return cmd_print_json(incident_json(i, c->now));
	print_line(i, c->now);
	return 0;
}

/* ---- errors ---- */

/* What a failed call on incident id means to the responder; the exit
 * status. */
static int
failed(struct ctx *c, int rc, int64_t id)
{
	struct incident	i;
	char		next[128];

	switch (rc) {
	case ERR_NOTFOUND:
		cli_say(PROG, "%s: no incident %" PRId64, c->sub, id);
		return CLI_EXIT_FAIL;
	case ERR_MALFORMED:
	case ERR_TOOBIG:
		(void)usage_err(c->sub, "text must be valid UTF-8, not empty, "
		    "names and titles without control characters, within "
		    "%d bytes (names %d)", INCIDENT_TEXT_MAX,
		    INCIDENT_NAME_MAX);
		return CLI_EXIT_USAGE;
	case ERR_STATE:
		if (incident_get(c->st, &i, id) != 0)
			break;
		if (i.merged_into != 0) {
			cli_say(PROG, "%s: incident %" PRId64 " was merged into "
			    "%" PRId64 " and no longer changes", c->sub, id,
			    i.merged_into);
			return CLI_EXIT_FAIL;
		}
		taxonomy_status_next(next, sizeof(next), i.status);
		cli_say(PROG, "%s: incident %" PRId64 " is %s: not allowed "
		    "now; from %s it may go to: %s", c->sub, id,
		    taxonomy_status_name(i.status),
		    taxonomy_status_name(i.status), next);
		return CLI_EXIT_FAIL;
	}
	cli_say(PROG, "%s: %s", c->sub, vigil_strerror(rc));
	return cli_exit(rc);
}

/* ---- subcommands ---- */

static int
list_one(void *arg, const struct incident *i)
{
	struct ctx		*c = arg;
	char			 dl[64], n[24];

	if (c->sub == NULL)		/* --json */
		return cmd_print_json(incident_json(i, c->now));
	deadline_text(dl, sizeof(dl), i, c->now);
	snprintf(n, sizeof(n), "%" PRId64, i->id);
	cmd_print_col(n, 6);
	cmd_print_col(taxonomy_status_name(i->status), 13);
	cmd_print_col(taxonomy_severity_name(i->severity), 8);
	cmd_print_col(i->category, 11);
	cmd_print_col(taxonomy_tlp_name(i->tlp), 12);
	cmd_print_col(i->assignee[0] ? i->assignee : "-", 16);
	snprintf(n, sizeof(n), "%" PRIu64, i->alerts);
	cmd_print_col(n, 6);
	cmd_print_col(dl, 28);
	put(i->title);
	putchar('\n');
	return 0;
}

static int
sub_list(struct ctx *c, const struct args *a)
{
	struct incident_query	q = { .status = a->status,
				    .severity = a->severity,
				    .category = a->category,
				    .office = a->office,
				    .agent = a->nagents ? a->agents[0] : NULL,
				    .since = a->since, .overdue = a->overdue,
				    .limit = a->limit, .now = c->now };
	const char		*sub = c->sub;
	int			 rc;

	if (a->nagents > 1)
		return usage_err(sub, "--agent: one, for list");
	if (!a->json)
		printf("%-6s  %-13s  %-8s  %-11s  %-12s  %-16s  %-6s  %-28s  "
		    "%s\n", "ID", "STATUS", "SEVERITY", "CATEGORY", "TLP",
		    "ASSIGNEE", "ALERTS", "DEADLINE", "TITLE");
	else
		c->sub = NULL;		/* list_one: JSON */
	rc = incident_each(c->st, &q, list_one, c);
	c->sub = sub;
	return rc;
}

/* show: the sections for people. */
static int
show_agent(void *arg, const struct incident_agent *x)
{
	char	f[32], l[32];

	(void)arg;
	cmd_fmt_time(f, sizeof(f), x->first_seen);
	cmd_fmt_time(l, sizeof(l), x->last_seen);
	fputs("  ", stdout);
	cmd_print_col(x->id, 16);
	cmd_print_col(x->name, 20);
	cmd_print_col(x->office, 20);
	printf("%s  %s\n", f, l);
	return 0;
}

static int
show_indicator(void *arg, const struct incident_indicator *x)
{
	char	f[32], l[32];

	(void)arg;
	cmd_fmt_time(f, sizeof(f), x->first_seen);
	cmd_fmt_time(l, sizeof(l), x->last_seen);
	fputs("  ", stdout);
	cmd_print_col(x->kind, 6);
	cmd_print_col(x->value, 40);
	printf("%6" PRIu64 "  %s  %s\n", x->count, f, l);
	return 0;
}

static int
show_event(void *arg, const struct incident_event *x)
{
	char	ts[EVENT_TS_STRLEN];

	(void)arg;
	event_format_ts(ts, x->ts_us);
	printf("  %.19s  ", ts);
	cmd_print_col(x->agent_name, 16);
	cmd_print_col(x->type, 10);
	printf("seq %" PRIu64 ", event %" PRId64 "\n", x->seq, x->event);
	return 0;
}

static int
show_note(void *arg, const struct incident_note *x)
{
	char	t[32];

	(void)arg;
	cmd_fmt_time(t, sizeof(t), x->time);
	printf("  %s  ", t);
	put(x->author);
	fputs(": ", stdout);
	put(x->text);
	putchar('\n');
	return 0;
}

static int
show_entry(void *arg, const struct audit_entry *e)
{
	char	t[32];

	(void)arg;
	cmd_fmt_time(t, sizeof(t), e->time);
	printf("  %s  ", t);
	cmd_print_col(e->actor, 12);
	cmd_print_col(e->action, 9);
	put(e->detail);
	putchar('\n');
	return 0;
}

static int
show_notification(void *arg, const struct notify_row *x)
{
	char	t[32];

	(void)arg;
	cmd_fmt_time(t, sizeof(t), x->time);
	printf("  %s  %-9s %-8s #%d %-8s ", t, x->change, x->channel,
	    x->attempt, x->outcome);
	put(x->target);
	fputs(": ", stdout);
	put(x->detail);
	putchar('\n');
	return 0;
}

static void
field(const char *name, const char *value)
{
	printf("  %-12s ", name);
	put(value);
	putchar('\n');
}

static int
show_text(struct ctx *c, const struct incident *i)
{
	const struct taxonomy_category	*cat = taxonomy_category(i->category);
	char				 t[64];
	int				 rc;

	printf("incident %" PRId64 ": ", i->id);
	put(i->title);
	putchar('\n');
	field("category:", i->category);
	if (cat != NULL) {
		field("", cat->vi);
		field("", cat->en);
		printf("  %-12s ENISA %s%s%s\n", "", cat->enisa_class,
		    cat->enisa_type ? " / " : "",
		    cat->enisa_type ? cat->enisa_type : "");
	}
	field("severity:", taxonomy_severity_name(i->severity));
	field("tlp:", taxonomy_tlp_name(i->tlp));
	field("status:", taxonomy_status_name(i->status));
	if (i->resolution != RES_NONE) {
		field("resolution:", taxonomy_resolution_name(i->resolution));
		field("reason:", i->reason);
	}
	field("assignee:", i->assignee[0] ? i->assignee : "-");
	cmd_fmt_time(t, sizeof(t), i->created);
	field("detected:", t);
	cmd_fmt_time(t, sizeof(t), i->first_seen);
	field("first seen:", t);
	cmd_fmt_time(t, sizeof(t), i->last_seen);
	field("last seen:", t);
	printf("  %-12s %" PRIu64 "\n", "alerts:", i->alerts);
	deadline_text(t, sizeof(t), i, c->now);
	if (i->reported_at != 0)
		cmd_fmt_time(t, sizeof(t), i->deadline);
	field("deadline:", t);
	cmd_fmt_time(t, sizeof(t), i->reported_at);
	field("reported:", i->reported_at ? t : "no");
	if (i->reported_to[0] != '\0')
		field("reported to:", i->reported_to);
	if (i->merged_into != 0)
		printf("  %-12s %" PRId64 "\n", "merged into:", i->merged_into);
	fputs("agents:\n", stdout);
	if ((rc = incident_agents_each(c->st, i->id, show_agent, c)) != 0)
		return rc;
	fputs("indicators:\n", stdout);
	if ((rc = incident_indicators_each(c->st, i->id, show_indicator,
	    c)) != 0)
		return rc;
	fputs("events:\n", stdout);
	if ((rc = incident_events_each(c->st, i->id, show_event, c)) != 0)
		return rc;
	fputs("notes:\n", stdout);
	if ((rc = incident_notes_each(c->st, i->id, show_note, c)) != 0)
		return rc;
	fputs("timeline:\n", stdout);
	if ((rc = audit_each(c->st, i->id, show_entry, c)) != 0)
		return rc;
	fputs("notifications:\n", stdout);
	return notify_history_each(c->st, i->id, show_notification, c);
}

/* show --json: arrays appended to by these. */
static json_t *
js(const char *s)
{
	return text_json(s, strlen(s), NULL);
}

static int
append(void *arg, json_t *v)
{
	return v == NULL || json_array_append_new(arg, v) != 0 ? ERR_NOMEM : 0;
}

static int
js_agent(void *arg, const struct incident_agent *x)
{
	return append(arg, json_pack("{s:o, s:o, s:o, s:o, s:o}", "id",
	    js(x->id), "name", js(x->name), "office", js(x->office),
	    "first_seen", incident_json_time(x->first_seen), "last_seen",
	    incident_json_time(x->last_seen)));
}

static int
js_indicator(void *arg, const struct incident_indicator *x)
{
	return append(arg, json_pack("{s:o, s:o, s:I, s:o, s:o}", "kind",
	    js(x->kind), "value", js(x->value), "count", (json_int_t)x->count,
	    "first_seen", incident_json_time(x->first_seen), "last_seen",
	    incident_json_time(x->last_seen)));
}

static int
js_event(void *arg, const struct incident_event *x)
{
	char	ts[EVENT_TS_STRLEN];

	event_format_ts(ts, x->ts_us);
	return append(arg, json_pack("{s:I, s:o, s:o, s:o, s:s, s:I}", "id",
	    (json_int_t)x->event, "agent", js(x->agent_id), "agent_name",
	    js(x->agent_name), "type", js(x->type), "timestamp", ts, "seq",
	    (json_int_t)x->seq));
}

static int
js_note(void *arg, const struct incident_note *x)
{
	return append(arg, json_pack("{s:I, s:o, s:o, s:o}", "id",
	    (json_int_t)x->id, "time", incident_json_time(x->time), "author",
	    js(x->author), "text", js(x->text)));
}

static int
js_entry(void *arg, const struct audit_entry *e)
{
	return append(arg, audit_entry_json(e));
}

static int
js_notification(void *arg, const struct notify_row *x)
{
	return append(arg, json_pack("{s:o, s:o, s:o, s:o, s:i, s:o, s:o}",
	    "time", incident_json_time(x->time), "change", js(x->change),
	    "channel", js(x->channel), "target", js(x->target), "attempt",
	    x->attempt, "outcome", js(x->outcome), "detail", js(x->detail)));
}

static int
show_json(struct ctx *c, const struct incident *i)
{
	json_t	*j = incident_json(i, c->now), *arr[6];
	size_t	 k;
	int	 rc = ERR_NOMEM;

	for (k = 0; k < 6; k++)
		arr[k] = json_array();
	if (j == NULL || arr[0] == NULL || arr[1] == NULL || arr[2] == NULL ||
	    arr[3] == NULL || arr[4] == NULL || arr[5] == NULL)
		goto done;
	if ((rc = incident_agents_each(c->st, i->id, js_agent, arr[0])) ||
	    (rc = incident_indicators_each(c->st, i->id, js_indicator,
	    arr[1])) ||
	    (rc = incident_events_each(c->st, i->id, js_event, arr[2])) ||
	    (rc = incident_notes_each(c->st, i->id, js_note, arr[3])) ||
	    (rc = audit_each(c->st, i->id, js_entry, arr[4])) ||
	    (rc = notify_history_each(c->st, i->id, js_notification, arr[5])))
		goto done;
	rc = ERR_NOMEM;
	if (json_object_set(j, "agents", arr[0]) ||
	    json_object_set(j, "indicators", arr[1]) ||
	    json_object_set(j, "events", arr[2]) ||
	    json_object_set(j, "notes", arr[3]) ||
	    json_object_set(j, "timeline", arr[4]) ||
	    json_object_set(j, "notifications", arr[5]))
		goto done;
	rc = text_print_json(stdout, j);
done:
	for (k = 0; k < 6; k++)
		json_decref(arr[k]);
	json_decref(j);
	return rc;
}

static int
sub_show(struct ctx *c, const struct args *a)
{
	struct incident	i;
	int		rc;

	if ((rc = incident_get(c->st, &i, a->id)) != 0)
		return rc;
	return a->json ? show_json(c, &i) : show_text(c, &i);
}

static int
sub_open(struct ctx *c, const struct args *a)
{
	struct incident_new	 n = { .title = a->title,
				    .category = a->category,
				    .severity = a->severity, .tlp = a->tlp,
				    .detected = a->detected,
				    .deadline_s = c->deadline_s };
	struct store_agent	 ag;
	struct incident		 i;
	struct db		*d = store_db(c->st);
	int64_t			 id;
	size_t			 k;
	int			 rc, said = 0;

	if (a->title == NULL || a->category == NULL || a->severity == 0)
		return usage_err(c->sub, "--title, --category and --severity "
		    "are needed");
	if (a->detected > c->now)
		return usage_err(c->sub, "--detected: that is still to come");
	if ((rc = db_begin(d, DB_IMMEDIATE)) != 0)
		return rc;
	rc = incident_open(c->st, &id, &n, c->actor, c->now);
	for (k = 0; rc == 0 && k < a->nagents; k++) {
		if ((rc = store_agent_get(c->st, &ag, a->agents[k])) != 0) {
			if (rc == ERR_NOTFOUND) {
				cli_say(PROG, "%s: no agent '%s'", c->sub,
				    a->agents[k]);
				said = 1;
			}
			break;
		}
		rc = incident_link_agent(c->st, id, ag.rowid, c->now,
		    c->actor, c->now);
		store_agent_clear(&ag);
	}
	if ((rc = db_end(d, rc)) != 0)
		return said ? SAID : rc;
	if ((rc = incident_get(c->st, &i, id)) != 0)
		return rc;
	return print_state(c, a, &i);
}

/* The end of each change: its result said, the new state printed. */
static int
changed(struct ctx *c, const struct args *a, int rc,
    const struct incident *i)
{
	if (rc != 0)
		return rc;
	return print_state(c, a, i);
}

static int
sub_ack(struct ctx *c, const struct args *a)
{
	struct incident	i;

	return changed(c, a, incident_set_status(c->st, &i, a->id,
	    ST_ACKNOWLEDGED, c->actor, c->now), &i);
}

static int
sub_assign(struct ctx *c, const struct args *a)
{
	struct incident	i;

	return changed(c, a, incident_assign(c->st, &i, a->id, a->pos[1],
	    c->actor, c->now), &i);
}

static int
sub_status(struct ctx *c, const struct args *a)
{
	struct incident	i;
	int		to;

	if (taxonomy_status_parse(&to, a->pos[1]) != 0)
		return usage_err(c->sub, "not a status: '%s' (acknowledged, "
		    "investigating, contained, closed)", a->pos[1]);
	if (to == ST_RESOLVED)
		return usage_err(c->sub, "resolving needs a resolution: "
		    "vigil-collector incidents resolve ID --resolution R "
		    "--reason TEXT");
	return changed(c, a, incident_set_status(c->st, &i, a->id, to,
	    c->actor, c->now), &i);
}

static int
sub_note(struct ctx *c, const struct args *a)
{
	struct incident	i;

	return changed(c, a, incident_note(c->st, &i, a->id, a->pos[1],
	    c->actor, c->now), &i);
}

static int
sub_resolve(struct ctx *c, const struct args *a)
{
	struct incident	i;

	if (a->resolution == RES_NONE || a->reason == NULL)
		return usage_err(c->sub, "--resolution and --reason are "
		    "needed");
	return changed(c, a, incident_resolve(c->st, &i, a->id, a->resolution,
	    a->reason, c->actor, c->now), &i);
}

static int
sub_merge(struct ctx *c, const struct args *a)
{
	struct incident	i;
	int64_t		into;
	int		rc;

	if (parse_id(&into, a->pos[1]) != 0)
		return usage_err(c->sub, "INTO: not an incident number: '%s'",
		    a->pos[1]);
	if (into == a->id)
		return usage_err(c->sub, "an incident cannot be merged into "
		    "itself");
	rc = incident_merge(c->st, &i, a->id, into, c->actor, c->now);
	if (rc == ERR_NOTFOUND && incident_get(c->st, &i, a->id) == 0) {
		cli_say(PROG, "%s: no incident %" PRId64, c->sub, into);
		return SAID;
	}
	if (rc == ERR_STATE && incident_get(c->st, &i, a->id) == 0 &&
	    i.merged_into == 0) {
		cli_say(PROG, "%s: incident %" PRId64 " was merged into "
		    "another: merge into that one", c->sub, into);
		return SAID;
	}
	return changed(c, a, rc, &i);
}

static int
sub_reported(struct ctx *c, const struct args *a)
{
	struct incident	i;

	return changed(c, a, incident_reported(c->st, &i, a->id, a->at, a->to,
	    c->actor, c->now), &i);
}

static int
sub_form(struct ctx *c, const struct args *a)
{
	struct form_opts	o = { .final = a->final, .lang = a->lang,
				    .format = a->format, .now = c->now };
	struct cmd_output	out;
	int			rc;

	if ((rc = cmd_output_open(&out, a->output)) != 0)
		return SAID;
	rc = form_write(out.f, c->st, a->id, &c->cfg->office, &o);
	rc = cmd_output_close(&out, rc);
	return rc == ERR_IO ? SAID : rc;
}

/* ---- the commands ---- */

/* --as, or the invoking user's name, or "uid N". */
static int
actor(struct ctx *c, const struct args *a)
{
	struct passwd	*pw;

	if (a->as != NULL) {
		if (strlen(a->as) == 0 || strlen(a->as) > INCIDENT_NAME_MAX ||
		    !text_printable(a->as, strlen(a->as)))
			return usage_err(c->sub, "--as: 1 to %d bytes of "
			    "printable text", INCIDENT_NAME_MAX);
		(void)snprintf(c->actor, sizeof(c->actor), "%s", a->as);
		return 0;
	}
	pw = getpwuid(getuid());
	if (pw == NULL || strlen(pw->pw_name) == 0 ||
	    strlen(pw->pw_name) > INCIDENT_NAME_MAX ||
	    !text_printable(pw->pw_name, strlen(pw->pw_name)))
		(void)snprintf(c->actor, sizeof(c->actor), "uid %u",
		    (unsigned)getuid());
	else
		(void)snprintf(c->actor, sizeof(c->actor), "%s", pw->pw_name);
	return 0;
}

int
incident_cmd_run(const struct cmd_host *h, int argc, char **argv)
{
	const struct sub	*s = NULL;
	struct args		 a;
	struct ctx		 c = { .now = (int64_t)time(NULL) };
	char			 cmd[32];
	size_t			 k;
	int			 rc, status;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0)) {
			fputs(usage_incidents, stdout);
			return 0;
		}
		fputs(usage_incidents, stderr);
		return CLI_EXIT_USAGE;
	}
	for (k = 0; k < sizeof(subs) / sizeof(subs[0]); k++)
		if (strcmp(argv[1], subs[k].name) == 0)
			s = &subs[k];
	if (s == NULL)
		return cli_exit(usage_err("incidents", "unknown command '%s'",
		    argv[1]));
	(void)snprintf(cmd, sizeof(cmd), "incidents %s", s->name);
	c.sub = cmd;
	if ((rc = parse(&a, h, argc - 1, argv + 1, s->opts, cmd,
	    usage_incidents)) != 0)
		return rc == 1 ? 0 : cli_exit(rc);
	if (a.npos != s->npos)
		return cli_exit(usage_err(cmd, "%d argument%s expected, not %d",
		    s->npos, s->npos == 1 ? "" : "s", a.npos));
	if (s->npos > 0 && parse_id(&a.id, a.pos[0]) != 0)
		return cli_exit(usage_err(cmd, "ID: not an incident number: "
		    "'%s'", a.pos[0]));
	if ((rc = actor(&c, &a)) != 0)
		return cli_exit(rc);
	if ((status = h->open(h->ctx, &c.st, &c.deadline_s)) != 0)
		return status;
	c.cfg = h->cfg;
	rc = s->fn(&c, &a);
	status = 0;
	if (rc == ERR_USAGE)
		status = CLI_EXIT_USAGE;		/* said */
	else if (rc == SAID)
		status = CLI_EXIT_FAIL;
	else if (rc != 0)
		status = failed(&c, rc, a.id);
	store_close(c.st);
	if (status == 0 && fflush(stdout) != 0)
		status = CLI_EXIT_FAIL;
	return status;
}

static int
verify_print(const struct args *a, const struct audit_report *r)
{
	char	head[AUDIT_HASH_STRLEN];
	json_t	*j;

	sodium_bin2hex(head, sizeof(head), r->head, sizeof(r->head));
	if (a->json) {
		j = json_pack("{s:b, s:I, s:I, s:s, s:s*, s:o, s:s*}",
		    "intact", r->fault == AUDIT_INTACT,
		    "entries", (json_int_t)r->entries,
		    "head_seq", (json_int_t)r->head_seq,
		    "head", head,
		    "fault", r->fault ? audit_fault_name(r->fault) : NULL,
		    "entry", r->fault ? json_integer(r->bad_seq) : json_null(),
		    "why", r->fault ? r->why : NULL);
		return cmd_print_json(j);
	}
	if (r->fault == AUDIT_INTACT)
		printf("audit log intact: %" PRIu64 " entries\n", r->entries);
	else
		printf("audit log BROKEN at entry %" PRId64 " (%s): %s\n"
		    "entries that fit before it: %" PRIu64 "\n", r->bad_seq,
		    audit_fault_name(r->fault), r->why, r->entries);
	printf("head: %" PRId64 " %s\n", r->head_seq, head);
	return 0;
}

int
audit_cmd_run(const struct cmd_host *h, int argc, char **argv)
{
	struct audit_report	 r;
	struct args		 a;
	struct store		*st;
	int64_t			 deadline;
	int			 rc, status;

	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0)) {
			fputs(usage_audit, stdout);
			return 0;
		}
		fputs(usage_audit, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((rc = parse(&a, h, argc - 1, argv + 1, "jH", "audit verify",
	    usage_audit)) != 0)
		return rc == 1 ? 0 : cli_exit(rc);
	if (a.npos != 0)
		return cli_exit(usage_err("audit verify", "no arguments "
		    "expected"));
	if ((status = h->open(h->ctx, &st, &deadline)) != 0)
		return status;
	rc = audit_verify(st, a.head_set ? a.head : NULL, &r);
	store_close(st);
	if (rc != 0) {
		cli_say(PROG, "audit verify: %s", vigil_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (verify_print(&a, &r) != 0 || fflush(stdout) != 0)
		return CLI_EXIT_FAIL;
	return r.fault == AUDIT_INTACT ? 0 : AUDIT_EXIT_BROKEN;
}
