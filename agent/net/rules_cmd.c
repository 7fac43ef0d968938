/*
 * rules_cmd.c: `vigil-agent rules check` (rules_cmd.h).
 *
 * Loads the rules with ruleset_load(), the daemon's loader, so what this
 * command says loads is what the daemon matches; every skip is printed as
 * it comes (file names and details come from the rule files: escaped for
 * the terminal) and counted by reason and keyword. Load: one-shot.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "detect.h"
#include "err.h"
#include "rules_cmd.h"
#include "text.h"

#define PROG		"vigil-agent rules"
#define VARS_MAX	256
#define EXIT_SKIPPED	3

enum { OPT_JSON = 256, OPT_VAR, OPT_CLASS };

static const struct option longopts[] = {
	{ "json",		no_argument,	   NULL, OPT_JSON },
	{ "var",		required_argument, NULL, OPT_VAR },
	{ "classification",	required_argument, NULL, OPT_CLASS },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL,			0,		   NULL, 0 }
};

static const char help[] =
	"usage: " PROG " check [--json] [--var NAME=VALUE]...\n"
	"           [--classification FILE] FILE|DIR...\n"
	"\n"
	"Load traffic rule files (*.rules in a folder) as the agent does and\n"
	"report every rule it skips, with the reason, then the counts.\n"
	"\n"
	"  --json                 one JSON object\n"
	"  --var NAME=VALUE       an address or port variable (HOME_NET=...)\n"
	"  --classification FILE  classification.config instead of the\n"
	"                         built-in classes\n"
	"\n"
	"exit status: 0 all loaded, 3 some skipped, 1 error, 2 usage\n";

struct check {
	bool		 json;
	json_t		*by_reason, *by_keyword, *skips;
	int		 err;
};

static void
count(json_t *o, const char *key, int *err)
{
	json_t		*v = json_object_get(o, key);
	json_int_t	 n = v != NULL ? json_integer_value(v) : 0;

	if (json_object_set_new(o, key, json_integer(n + 1)) != 0)
		*err = ERR_NOMEM;
}

static void
print_skip(const struct rule_skip *s)
{
	text_puts(stdout, s->file);
	printf(":%u: sid %u: skipped: ", s->line, s->sid);
	text_puts(stdout, s->reason);
	fputs(": ", stdout);
	text_puts(stdout, s->detail);
	putchar('\n');
}

static void
on_skip(void *arg, const struct rule_skip *s)
{
	struct check	*c = arg;
	json_t		*o;

	count(c->by_reason, s->reason, &c->err);
	if (strcmp(s->reason, "keyword") == 0)
		count(c->by_keyword, s->detail, &c->err);
	if (!c->json) {
		print_skip(s);
		return;
	}
	if ((o = json_pack("{s:o, s:I, s:I, s:s, s:o}", "file",
	    text_json(s->file, strlen(s->file), NULL), "line",
	    (json_int_t)s->line, "sid", (json_int_t)s->sid, "reason",
	    s->reason, "detail", text_json(s->detail, strlen(s->detail),
	    NULL))) == NULL || json_array_append_new(c->skips, o) != 0)
		c->err = ERR_NOMEM;
}

static int
print_summary(const struct check *c, const struct ruleset_stats *st)
{
	const char	*k;
	json_t		*v, *o;
	int		 rc;

	if (c->json) {
		o = json_pack("{s:I, s:I, s:I, s:O, s:O, s:O, s:f}",
		    "loaded", (json_int_t)st->loaded,
		    "skipped", (json_int_t)st->skipped,
		    "files", (json_int_t)st->files,
		    "skipped_by_reason", c->by_reason,
		    "skipped_by_keyword", c->by_keyword,
		    "skips", c->skips, "load_seconds", st->load_seconds);
		if (o == NULL)
			return ERR_NOMEM;
		rc = text_print_json(stdout, o);
		json_decref(o);
		return rc;
	}
	printf("%u files: %u rules loaded, %u skipped", st->files, st->loaded,
	    st->skipped);
	json_object_foreach(c->by_reason, k, v) {
		printf("%s", k == json_object_iter_key(json_object_iter(
		    c->by_reason)) ? " (" : ", ");
		text_puts(stdout, k);
		printf(" %lld", (long long)json_integer_value(v));
	}
	printf("%s\n", st->skipped ? ")" : "");
	return fflush(stdout) == EOF ? ERR_IO : 0;
}

static int
check(int argc, char **argv, bool json, const char *const *vars,
    size_t nvars, const char *classification)
{
	struct check		 c = { json, json_object(), json_object(),
				    json_array(), 0 };
	struct ruleset_opts	 opts = { .vars = vars, .nvars = nvars,
				    .classification = classification,
				    .skipped = on_skip, .ctx = &c };
	struct ruleset_stats	 st;
	struct ruleset		*rs = NULL;
	int			 rc = ERR_NOMEM;

	if (c.by_reason == NULL || c.by_keyword == NULL || c.skips == NULL)
		goto done;
	rc = ruleset_load(&rs, (const char *const *)argv, (size_t)argc,
	    &opts, &st);
	if (rc == 0 && c.err != 0)
		rc = c.err;
	if (rc == 0)
		rc = print_summary(&c, &st);
	if (rc != 0)
		cli_say(PROG, "check: %s", vigil_strerror(rc));
done:
	ruleset_free(rs);
	json_decref(c.by_reason);
	json_decref(c.by_keyword);
	json_decref(c.skips);
	if (rc != 0)
		return CLI_EXIT_FAIL;
	return st.skipped > 0 ? EXIT_SKIPPED : CLI_EXIT_OK;
}

struct cmdopts {
	const char	*vars[VARS_MAX], *classification;
	size_t		 nvars;
	bool		 json;
};

/* getopt from optind on: -1 to go on, or the exit status. */
static int
take_opts(struct cmdopts *o, int argc, char **argv)
{
	int	ch;

	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_VAR:
			if (o->nvars == VARS_MAX) {
				cli_usage(PROG, NULL, "more than %d --var",
				    VARS_MAX);
				return CLI_EXIT_USAGE;
			}
			o->vars[o->nvars++] = optarg;
			break;
		case OPT_CLASS:
			o->classification = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return CLI_EXIT_OK;
		default:
			cli_hint(PROG, NULL);
			return CLI_EXIT_USAGE;
		}
	}
	return -1;
}

int
rules_cmd_main(int argc, char **argv)
{
	struct cmdopts	o = { .nvars = 0 };
	int		rc;

	optind = 0;
	if ((rc = take_opts(&o, argc, argv)) >= 0)
		return rc;
	if (optind >= argc || strcmp(argv[optind], "check") != 0) {
		cli_usage(PROG, NULL, optind >= argc ? "missing subcommand "
		    "'check'" : "unknown subcommand '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	optind++;	/* options may follow the subcommand too */
	if ((rc = take_opts(&o, argc, argv)) >= 0)
		return rc;
	if (optind >= argc) {
		cli_usage(PROG, NULL, "check needs a FILE or DIR");
		return CLI_EXIT_USAGE;
	}
	return check(argc - optind, argv + optind, o.json, o.vars, o.nvars,
	    o.classification);
}
