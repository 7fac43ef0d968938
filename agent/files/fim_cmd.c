/*
 * fim_cmd.c: `vigil-agent integrity baseline|check` (fim_cmd.h).
 *
 * A thin shell over fim.h: parse the options, open the baseline, run,
 * print each change (one line, or one EVE event per line with --json) on
 * standard output and a summary on standard error. `check` reports only,
 * as `aide --check` does: the baseline is brought up to date only with
 * --update (as `aide --update`), so that running it by hand on the
 * daemon's database never hides a change from the daemon. Load: one-shot.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "err.h"
#include "event.h"
#include "fim.h"
#include "fim_cmd.h"
#include "log.h"
#include "pathset.h"
#include "text.h"

#define PROG		"vigil-agent integrity"
#define EXCLUDE_MAX	256
#define PATHS_MAX	4096

enum {
	OPT_JSON = 256,
	OPT_DB,
	OPT_THREADS,
	OPT_REHASH,
	OPT_UPDATE,
	OPT_EXCLUDE,
};

static const struct option longopts[] = {
	{ "json",	no_argument,	   NULL, OPT_JSON },
	{ "db",		required_argument, NULL, OPT_DB },
	{ "threads",	required_argument, NULL, OPT_THREADS },
	{ "rehash",	no_argument,	   NULL, OPT_REHASH },
	{ "update",	no_argument,	   NULL, OPT_UPDATE },
	{ "exclude",	required_argument, NULL, OPT_EXCLUDE },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL,		0,		   NULL, 0 }
};

static const char help_text[] =
	"usage: " PROG " baseline|check [--json] [--db FILE] [--threads N]\n"
	"           [--rehash] [--update] [--exclude PATTERN]... PATH...\n"
	"\n"
	"baseline  record every file, folder and symlink under the PATHs:\n"
	"          SHA-256 of the content, size, permissions, owner, inode,\n"
	"          mtime, ctime, symlink target\n"
	"check     compare them with the baseline and report what was added,\n"
	"          removed or modified, and changes of permissions, owner,\n"
	"          type or symlink target, each with before and after\n"
	"\n"
	"  --json             one EVE event (\"integrity\") per change and line\n"
	"  --db FILE          the baseline database (default DATA_DIR/fim.db)\n"
	"  --threads N        hashing threads, 1..256 (default: all cores)\n"
	"  --rehash           check: hash every file; by default only files\n"
	"                     whose size, mtime, ctime or inode changed\n"
	"  --update           check: also record the new state as the baseline\n"
	"  --exclude PATTERN  not recorded nor checked: a path (and what is\n"
	"                     below it), a pattern with '/' matched on the path,\n"
	"                     or one without ('*.swp') on each name; repeatable\n"
	"  -h, --help         this help\n"
	"\n"
	"Symbolic links are recorded, never followed; FIFOs and devices are\n"
	"recorded, never opened; files that cannot be read are recorded with\n"
	"the error. Relative PATHs are taken from the current folder.\n"
	"\n"
	"Output: one line per change on standard output, such as\n"
	"  modified /etc/passwd: sha256 1f0c.. -> 9ab2.., size 1021 -> 1060\n"
	"and a summary on standard error. Names are shown escaped, as\n"
	"vigil-agent scan shows them.\n"
	"\n"
	"Exit status: 0 no change, 1 error (including no baseline to check\n"
	"against), 2 usage error, 3 changes found.\n";

struct cmd_opts {
	const char	*sub;		/* "baseline" or "check" */
	int		 json;
	const char	*db;
	int		 threads;
	int		 rehash;
	int		 update;
	const char	*exclude[EXCLUDE_MAX];
	size_t		 nexclude;
	char		**paths;	/* absolute, malloc'd */
	size_t		 npaths;
};

struct out {
	int		 json;
	int		 failed;	/* printing failed */
};

#define usage_error(...)	cli_usage(PROG, NULL, __VA_ARGS__)

static int
set_opt(struct cmd_opts *o, int ch, const char *arg)
{
	uint64_t	v;

	switch (ch) {
	case OPT_JSON:
		o->json = 1;
		return 0;
	case OPT_DB:
		o->db = arg;
		return 0;
	case OPT_THREADS:
		if (text_u64(&v, arg, strlen(arg), 1, FIM_THREADS_MAX) != 0)
			return usage_error("--threads '%s': want 1..%d", arg,
			    FIM_THREADS_MAX);
		o->threads = (int)v;
		return 0;
	case OPT_REHASH:
		o->rehash = 1;
		return 0;
	case OPT_UPDATE:
		o->update = 1;
		return 0;
	case OPT_EXCLUDE:
		if (o->nexclude == EXCLUDE_MAX)
			return usage_error("--exclude: at most %d",
			    EXCLUDE_MAX);
		if (*arg == '\0' || (strchr(arg, '/') != NULL && *arg != '/'))
			return usage_error("--exclude '%s': want an absolute "
			    "path or a pattern without '/'", arg);
		o->exclude[o->nexclude++] = arg;
		return 0;
	default:
		return usage_error("unknown option");
	}
}

/* PATH operands made absolute (fim resolves them: pathset.h). */
static int
set_paths(struct cmd_opts *o, char **argv, int n)
{
	char	cwd[PATH_MAX], abs[PATH_MAX];
	int	i;

	if (n < 1)
		return usage_error("no PATH given");
	if (n > PATHS_MAX)
		return usage_error("at most %d PATHs", PATHS_MAX);
	if ((o->paths = calloc((size_t)n, sizeof(*o->paths))) == NULL)
		return ERR_NOMEM;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	for (i = 0; i < n; i++, o->npaths++) {
		if (argv[i][0] == '\0')
			return usage_error("empty PATH");
		if (argv[i][0] != '/' && cwd[0] == '\0') {
			log_warn("current folder");
			return ERR_IO;
		}
		if (pathset_join(abs, sizeof(abs), argv[i][0] == '/' ? "" :
		    cwd, argv[i]) != 0)
			return usage_error("PATH too long: %.64s...", argv[i]);
		if ((o->paths[i] = strdup(abs)) == NULL)
			return ERR_NOMEM;
	}
	return 0;
}

/* 0, ERR_USAGE (said), or 1 for --help. */
static int
parse(struct cmd_opts *o, int argc, char **argv)
{
	int	ch, rc, help = 0;

	memset(o, 0, sizeof(*o));
	optind = 0;		/* GNU: start afresh after main.c's getopt */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			help = 1;
		} else if (ch == '?') {
			return usage_error("unknown option '%s'",
			    argv[optind - 1]);
		} else if (ch == ':') {
			return usage_error("'%s' needs a value",
			    argv[optind - 1]);
		} else if ((rc = set_opt(o, ch, optarg)) != 0) {
			return rc;
		}
	}
	if (help)
		return 1;
	if (optind >= argc)
		return usage_error("want 'baseline' or 'check'");
	o->sub = argv[optind++];
	if (strcmp(o->sub, "baseline") != 0 && strcmp(o->sub, "check") != 0)
		return usage_error("unknown command '%s': want 'baseline' or "
		    "'check'", o->sub);
	if (strcmp(o->sub, "baseline") == 0 && (o->rehash || o->update))
		return usage_error("--rehash and --update are for check "
		    "(a baseline hashes everything)");
	return set_paths(o, argv + optind, argc - optind);
}

/* ---- output ---- */

/* user:group, by name when known (escaped: names come from the
 * system's user database), else by number. Errors show at fclose. */
static void
put_owner(FILE *f, const struct fim_attr *a)
{
	if (a->owner[0] != '\0')
		text_puts(f, a->owner);
	else
		fprintf(f, "%u", a->uid);
	fputc(':', f);
	if (a->group[0] != '\0')
		text_puts(f, a->group);
	else
		fprintf(f, "%u", a->gid);
}

static void
fmt_time(char *buf, size_t len, int64_t ns)
{
	char	ts[EVENT_TS_STRLEN];

	event_format_ts(ts, ns / 1000);
	snprintf(buf, len, "%s", ts);
}

/* One attribute of before/after, when it differs (or when one is NULL:
 * added and removed entries show the state they have). */
static void
put_attrs(FILE *f, const struct fim_attr *b, const struct fim_attr *a)
{
	const struct fim_attr	*x = b ? b : a;
	char			 s1[2 * FIM_HASH_LEN + 1], s2[sizeof(s1)];
	char			 o1[EVENT_TS_STRLEN], o2[sizeof(o1)];
	int			 both = b != NULL && a != NULL;
	const char		*sep = "";

#define SEP()	(fputs(sep, f), sep = ", ")
	if (!both || b->type != a->type) {
		SEP();
		fprintf(f, "%s", fim_type_name(x->type));
		if (both)
			fprintf(f, " -> %s", fim_type_name(a->type));
		if (both)
			return;
	}
	if ((!both && x->has_hash) || (both && (b->has_hash != a->has_hash ||
	    memcmp(b->hash, a->hash, FIM_HASH_LEN) != 0))) {
		sodium_bin2hex(s1, sizeof(s1), x->hash, FIM_HASH_LEN);
		sodium_bin2hex(s2, sizeof(s2), a ? a->hash : x->hash,
		    FIM_HASH_LEN);
		SEP();
		fprintf(f, FIM_HASH_NAME " %s", x->has_hash ? s1 : "-");
		if (both)
			fprintf(f, " -> %s", a->has_hash ? s2 : "-");
	}
	if (!both || b->size != a->size) {
		SEP();
		fprintf(f, "size %llu", (unsigned long long)x->size);
		if (both)
			fprintf(f, " -> %llu", (unsigned long long)a->size);
	}
	if (!both || b->mode != a->mode) {
		SEP();
		fprintf(f, "mode %04o", x->mode);
		if (both)
			fprintf(f, " -> %04o", a->mode);
	}
	if (!both || b->uid != a->uid || b->gid != a->gid) {
		SEP();
		fputs("owner ", f);
		put_owner(f, x);
		if (both) {
			fputs(" -> ", f);
			put_owner(f, a);
		}
	}
	if ((x->target != NULL || (a && a->target != NULL)) && (!both ||
	    strcmp(b->target ? b->target : "", a->target ? a->target : "") !=
	    0)) {
		SEP();
		fputs("target ", f);
		text_puts(f, x->target ? x->target : "");
		if (both) {
			fputs(" -> ", f);
			text_puts(f, a->target ? a->target : "");
		}
	}
	if (both && b->mtime_ns != a->mtime_ns) {
		fmt_time(o1, sizeof(o1), b->mtime_ns);
		fmt_time(o2, sizeof(o2), a->mtime_ns);
		SEP();
		fprintf(f, "mtime %s -> %s", o1, o2);
	}
	if (both && b->ino != a->ino) {
		SEP();
		fprintf(f, "inode %llu -> %llu", (unsigned long long)b->ino,
		    (unsigned long long)a->ino);
	}
	if ((a ? a : x)->err != 0) {
		SEP();
		fprintf(f, "error %s", strerror((a ? a : x)->err));
	}
#undef SEP
}

static int
print_human(const struct fim_change *c)
{
	char	*line = NULL;
	size_t	 len = 0;
	FILE	*f;
	int	 rc = 0;

	if ((f = open_memstream(&line, &len)) == NULL)
		return ERR_NOMEM;
	fprintf(f, "%s ", fim_change_name(c->changes));
	text_puts(f, c->path);
	fputs(": ", f);
	put_attrs(f, c->before, c->after);
	fputc('\n', f);
	if (fclose(f) != 0 || line == NULL)
		rc = ERR_NOMEM;
	else if (fputs(line, stdout) == EOF)
		rc = ERR_IO;
	free(line);
	return rc;
}

static int
print_json(const struct fim_change *c)
{
	json_t	*ev;
	char	*s;
	size_t	 len;
	int	 rc = 0;

	if ((ev = fim_event(c)) == NULL)
		return ERR_NOMEM;
	if ((s = event_dump(ev, &len)) == NULL)
		rc = ERR_TOOBIG;
	else
		rc = text_put_json(stdout, s, len);
	free(s);
	json_decref(ev);
	return rc;
}

static int
on_change(void *arg, const struct fim_change *c)
{
	struct out	*o = arg;
	int		 rc;

	rc = o->json ? print_json(c) : print_human(c);
	if (rc != 0) {
		o->failed = 1;
		log_warnx("integrity: cannot print a change: %s",
		    vigil_strerror(rc));
	}
	return rc;
}

static void
summary(const char *sub, const struct fim_stats *st)
{
	fprintf(stderr, "integrity %s: %llu entries, %llu files hashed "
	    "(%.1f MB), %llu errors, %llu vanished, %llu changes, %.2f s\n",
	    sub, (unsigned long long)st->entries,
	    (unsigned long long)st->hashed, (double)st->bytes / 1e6,
	    (unsigned long long)st->errors,
	    (unsigned long long)st->vanished,
	    (unsigned long long)st->changes, st->seconds);
}

static void
opts_free(struct cmd_opts *o)
{
	size_t	i;

	for (i = 0; i < o->npaths; i++)
		free(o->paths[i]);
	free(o->paths);
}

static int
run(const struct cmd_opts *co, const char *db)
{
	struct fim		*fim = NULL;
	struct fim_opts		 fo;
	struct fim_stats	 st;
	struct out		 out = { co->json, 0 };
	int			 rc, check = strcmp(co->sub, "check") == 0;

	memset(&fo, 0, sizeof(fo));
	fo.paths = (const char *const *)co->paths;
	fo.npaths = co->npaths;
	fo.exclude = co->exclude;
	fo.nexclude = co->nexclude;
	fo.threads = co->threads;
	fo.rehash = co->rehash;
	fo.keep = !co->update;
	if ((rc = fim_open(&fim, db, &fo)) != 0) {
		cli_say(PROG, "%s: %s", db, vigil_strerror(rc));
		return rc == ERR_USAGE ? FIM_EXIT_USAGE : FIM_EXIT_ERROR;
	}
	rc = check ? fim_check(fim, on_change, &out, &st) :
	    fim_baseline(fim, &st);
	fim_close(fim);
	if (fflush(stdout) != 0 || ferror(stdout))
		out.failed = 1;
	if (rc == ERR_NOTFOUND && check)
		cli_say(PROG, "no baseline in %s: run '" PROG " baseline' "
		    "first", db);
	else if (rc != 0 && !out.failed)
		cli_say(PROG, "%s failed: %s", co->sub, vigil_strerror(rc));
	if (rc == 0)
		summary(co->sub, &st);
	if (rc != 0 || out.failed)
		return FIM_EXIT_ERROR;
	return st.changes > 0 ? FIM_EXIT_CHANGES : FIM_EXIT_OK;
}

int
fim_cmd_run(int argc, char **argv, const char *data_dir)
{
	struct cmd_opts	 o;
	char		 db[PATH_MAX];
	int		 rc;

	rc = parse(&o, argc, argv);
	if (rc == 1) {
		fputs(help_text, stdout);
		opts_free(&o);
		return FIM_EXIT_OK;
	}
	if (rc != 0) {
		opts_free(&o);
		return rc == ERR_USAGE ? FIM_EXIT_USAGE : FIM_EXIT_ERROR;
	}
	if (o.db == NULL) {
		if (data_dir == NULL ||
		    pathset_join(db, sizeof(db), data_dir, "fim.db") != 0) {
			opts_free(&o);
			usage_error("no data directory: give --db FILE");
			return FIM_EXIT_USAGE;
		}
		o.db = db;
	}
	rc = run(&o, o.db);
	opts_free(&o);
	return rc;
}
