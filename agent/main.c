/*
 * main.c: the vigil-agent command line.
 *
 *   vigil-agent [-c FILE] [--data-dir DIR] [-v] COMMAND [options]
 *
 * Commands: run (the daemon), enroll, emit (test events into the spool),
 * status. Global options are accepted before and after the command word.
 * Exit status: 0 success or help, 2 usage error, 1 runtime failure. The
 * command and option names are a contract used by scripts.
 *
 * Privileges: the daemon runs as root (fanotify); live capture runs in a
 * child without root or capabilities (netmon.h), `vigil-capture
 * capture-child`, a program of its own (agentcmd.h), which also serves
 * the pcap and rules commands. docs/architecture.md says
 * what each process can reach.
 * Load: the CLI commands are one-shot; run hands over to uplink.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <sodium.h>

#include "agentcmd.h"
#include "cli.h"
#include "config.h"
#include "datadir.h"
#include "digest.h"
#include "enroll.h"
#include "err.h"
#include "event.h"
#include "filemon.h"
#include "fim_cmd.h"
#include "log.h"
#include "netmon.h"
#include "pathset.h"
#include "scan_cmd.h"
#include "spool.h"
#include "svc.h"
#include "text.h"
#include "uplink.h"
#include "version.h"

#define PROG		AGENTCMD_PROG
#define EMIT_MAX	10000000ULL
#define EMIT_CHUNK	10000
#define EMIT_NOTE	"injected by vigil-agent emit"
#define TRIM_SECS	30	/* run: heap memory handed back this often */

enum {
	OPT_DATA_DIR = 256,
	OPT_COLLECTOR,
	OPT_TOKEN,
	OPT_TOKEN_FILE,
	OPT_FINGERPRINT,
	OPT_TYPE,
	OPT_COUNT,
	OPT_SEVERITY,
	OPT_SIGNATURE,
	OPT_SID,
	OPT_JSON,
};

struct opts {
	struct agentcmd_globals g;
	int		 help;
	const char	*collector;	/* enroll */
	const char	*token;
	const char	*token_file;	/* "-": standard input */
	const char	*fingerprint;
	const char	*type;		/* emit */
	uint64_t	 count;
	int		 severity;
	const char	*signature;	/* alert.signature */
	uint64_t	 sid;		/* alert.signature_id */
	int		 json;		/* status */
};

struct command {
	const char		*name;
	const char		*help;
	const char		*shortopts;
	const struct option	*longopts;
	int			(*run)(struct opts *, struct agent_config *);
};

#define GLOBAL_LONGOPTS							\
	{ "config",	required_argument, NULL, 'c' },		\
	{ "data-dir",	required_argument, NULL, OPT_DATA_DIR },	\
	{ "verbose",	no_argument,	   NULL, 'v' },		\
	{ "help",	no_argument,	   NULL, 'h' }

#define GLOBAL_HELP							\
	"global options (before or after COMMAND):\n"			\
	"  -c, --config FILE     configuration file (default "		\
	CONFIG_AGENT_DEFAULT ")\n"					\
	"  --data-dir DIR        data directory (overrides the file)\n"	\
	"  -v, --verbose         debug logging\n"			\
	"  -h, --help            this help\n"

static const struct option global_opts[] = { GLOBAL_LONGOPTS, { 0 } };
static const struct option run_opts[] = { GLOBAL_LONGOPTS, { 0 } };
static const struct option enroll_opts[] = {
	GLOBAL_LONGOPTS,
	{ "collector",	 required_argument, NULL, OPT_COLLECTOR },
	{ "token",	 required_argument, NULL, OPT_TOKEN },
	{ "token-file",	 required_argument, NULL, OPT_TOKEN_FILE },
	{ "fingerprint", required_argument, NULL, OPT_FINGERPRINT },
	{ 0 }
};
static const struct option emit_opts[] = {
	GLOBAL_LONGOPTS,
	{ "type",	required_argument, NULL, OPT_TYPE },
	{ "count",	required_argument, NULL, OPT_COUNT },
	{ "severity",	required_argument, NULL, OPT_SEVERITY },
	{ "signature",	required_argument, NULL, OPT_SIGNATURE },
	{ "sid",	required_argument, NULL, OPT_SID },
	{ 0 }
};
static const struct option status_opts[] = {
	GLOBAL_LONGOPTS,
	{ "json",	no_argument, NULL, OPT_JSON },
	{ 0 }
};

static const char main_help[] =
	"usage: " PROG " [-c FILE] [--data-dir DIR] [-v] COMMAND [options]\n"
	"\n"
	"commands:\n"
	"  run        run the agent in the foreground\n"
	"  enroll     enroll this agent with a collector (once)\n"
	"  emit       queue test events in the spool\n"
	"  status     show the link, the spool and the drops\n"
	"  scan       scan files and folders with the YARA rules, once\n"
	"  integrity  record files' state (baseline) or check them against it\n"
	"  rules      check traffic rule files (rules check FILE|DIR...)\n"
	"  pcap       read pcap files through the network sensor (pcap FILE...)\n"
	"\n"
	GLOBAL_HELP
	"\n"
	"'" PROG " COMMAND --help' describes each command.\n";

static const char run_help[] =
	"usage: " PROG " [global options] run\n"
	"\n"
	"Run the agent in the foreground until SIGTERM or SIGINT. SIGHUP\n"
	"reloads the configuration file. The agent must be enrolled.\n"
	"\n"
	GLOBAL_HELP;

static const char enroll_help[] =
	"usage: " PROG " [global options] enroll --collector HOST:PORT\n"
	"           (--token TOKEN | --token-file FILE) --fingerprint FP\n"
	"\n"
	"Enroll this agent with a collector, using a one-time token from\n"
	"'vigil-collector enroll-token'. Creates the agent key if needed.\n"
	"\n"
	"  --collector HOST:PORT  the collector ([v6addr]:PORT for IPv6)\n"
	"  --token TOKEN          the enrollment token (32 hex digits); other\n"
	"                         users can read it in the process list while\n"
	"                         enroll runs: prefer --token-file\n"
	"  --token-file FILE      read the token from the first line of FILE\n"
	"                         ('-': standard input)\n"
	"  --fingerprint FP       the collector key fingerprint (64 hex)\n"
	"\n"
	GLOBAL_HELP;

static const char emit_help[] =
	"usage: " PROG " [global options] emit [--type TYPE] [--count N]\n"
	"           [--severity S] [--signature TEXT] [--sid N]\n"
	"\n"
	"Queue N test events in the spool, whether or not the agent runs.\n"
	"\n"
	"  --type TYPE            event_type, [a-z0-9_]{1,32} (default test;\n"
	"                         'alert' builds an EVE alert)\n"
	"  --count N              how many, 1..10000000 (default 1)\n"
	"  --severity S           alert severity, 1..255 (default 3)\n"
	"  --signature TEXT       alert signature (default VIGIL test alert)\n"
	"  --sid N                alert signature_id, 1..4294967295\n"
	"                         (default 9000001)\n"
	"\n"
	GLOBAL_HELP;

static const char status_help[] =
	"usage: " PROG " [global options] status [--json]\n"
	"\n"
	"Show the agent's identity, the link to the collector, the spool and\n"
	"the dropped events.\n"
	"\n"
	"  --json                 one JSON object\n"
	"\n"
	GLOBAL_HELP;

static int	cmd_run(struct opts *, struct agent_config *);
#define EXIT_NOT_ENROLLED	78	/* sysexits' EX_CONFIG */
static int	cmd_enroll(struct opts *, struct agent_config *);
static int	cmd_emit(struct opts *, struct agent_config *);
static int	cmd_status(struct opts *, struct agent_config *);

static const struct command commands[] = {
	{ "run",    run_help,    "+c:vh", run_opts,    cmd_run },
	{ "enroll", enroll_help, "+c:vh", enroll_opts, cmd_enroll },
	{ "emit",   emit_help,   "+c:vh", emit_opts,   cmd_emit },
	{ "status", status_help, "+c:vh", status_opts, cmd_status },
};

#define usage_error(cmd, ...)	cli_usage(PROG, cmd, __VA_ARGS__)

/* --type: whatever the collector's validator accepts as event_type, so
 * the rule lives in one place (event.c). */
static int
valid_type(const char *s)
{
	struct event_meta	 meta;
	json_t			*ev;
	char			*text = NULL;
	size_t			 len;
	int			 ok = 0;

	if ((ev = event_build(s)) != NULL &&
	    (text = event_dump(ev, &len)) != NULL)
		ok = event_parse(&meta, text, len, NULL) == 0 &&
		    strcmp(meta.type, s) == 0;
	free(text);
	json_decref(ev);
	return ok;
}

static int
set_opt(struct opts *o, const char *cmd, int ch, const char *arg)
{
	uint64_t	v;

	switch (ch) {
	case 'c':		o->g.config = arg; break;
	case OPT_DATA_DIR:	o->g.data_dir = arg; break;
	case 'v':		o->g.verbose = 1; break;
	case 'h':		o->help = 1; break;
	case OPT_COLLECTOR:	o->collector = arg; break;
	case OPT_TOKEN:		o->token = arg; break;
	case OPT_TOKEN_FILE:	o->token_file = arg; break;
	case OPT_FINGERPRINT:	o->fingerprint = arg; break;
	case OPT_JSON:		o->json = 1; break;
	case OPT_TYPE:
		if (!valid_type(arg))
			return usage_error(cmd, "--type '%s': want "
			    "[a-z0-9_]{1,32}", arg);
		o->type = arg;
		break;
	case OPT_COUNT:
		if (text_u64(&o->count, arg, strlen(arg), 1, EMIT_MAX) != 0)
			return usage_error(cmd, "--count '%s': want 1.."
			    "10000000", arg);
		break;
	case OPT_SEVERITY:
		if (text_u64(&v, arg, strlen(arg), 1, 255) != 0)
			return usage_error(cmd, "--severity '%s': want 1..255",
			    arg);
		o->severity = (int)v;
		break;
	case OPT_SIGNATURE:
		o->signature = arg;
		break;
	case OPT_SID:
		if (text_u64(&o->sid, arg, strlen(arg), 1, UINT32_MAX) != 0)
			return usage_error(cmd, "--sid '%s': want 1..4294967295",
			    arg);
		break;
	default:	/* getopt has said what was wrong */
		return cli_hint(PROG, cmd);
	}
	return 0;
}

/* Options in argv[1..argc), stopping at the first non-option word. */
static int
parse_opts(struct opts *o, const char *cmd, int argc, char **argv,
    const char *shortopts, const struct option *longopts)
{
	int	ch, rc;

	optind = 0;		/* GNU: full reset, scanning starts at 1 */
	while ((ch = getopt_long(argc, argv, shortopts, longopts,
	    NULL)) != -1)
		if ((rc = set_opt(o, cmd, ch, optarg)) != 0)
			return rc;
	return 0;
}

static int
open_spool(struct spool **sp, const struct agent_config *cfg, int create_dir)
{
	char	path[PATH_MAX];
	int	rc;

	*sp = NULL;
	if ((rc = datadir_check(cfg->data_dir, create_dir,
	    AGENTCMD_SERVICE_USER)) != 0)
		return rc;
	if ((rc = enroll_path(path, sizeof(path), cfg->data_dir,
	    ENROLL_SPOOL_FILE)) != 0)
		return rc;
	if ((rc = spool_open(sp, path, cfg->spool_max)) != 0)
		log_warnx("spool %s: %s", path, vigil_strerror(rc));
	return rc;
}

/* run */

struct daemon {
	struct agent_config	*cfg;
	const struct opts	*opts;
	struct event_base	*base;
	struct spool		*spool;
	struct uplink		*uplink;
	struct filemon		*filemon;
	struct netmon		*netmon;
};

/* The shipped rules: installed, else those of the source tree. */
static const char *
default_rules(void)
{
	return access(VIGIL_RULES_INSTALLED, R_OK) == 0 ?
	    VIGIL_RULES_INSTALLED : VIGIL_RULES_SOURCE;
}

static void
kick_uplink(void *arg)
{
	uplink_kick(arg);
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	log_info("signal %d: stopping", (int)sig);
	svc_stopping();
	event_base_loopbreak(d->base);
}

static void
reload_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon		*d = arg;
	struct agent_config	 nc;

	svc_reloading();
	if (config_load_agent(&nc, d->opts->g.config) != 0) {
		log_warnx("configuration not reloaded; keeping the old one");
		svc_ready("configuration not reloaded: see the log");
		return;
	}
	/* the spool and the socket are open: these need a restart */
	if (d->opts->g.data_dir == NULL &&
	    strcmp(nc.data_dir, d->cfg->data_dir) != 0)
		log_warnx("data_dir changed: takes effect at restart");
	if (strcmp(nc.collector, d->cfg->collector) != 0)
		log_warnx("collector changed: takes effect at restart");
	memcpy(nc.data_dir, d->cfg->data_dir, sizeof(nc.data_dir));
	memcpy(nc.collector, d->cfg->collector, sizeof(nc.collector));
	nc.syslog = d->cfg->syslog;
	if (d->opts->g.verbose)
		nc.log_level = LOG_LVL_DEBUG;
	*d->cfg = nc;
	log_setlevel(nc.log_level);
	spool_set_max(d->spool, nc.spool_max);
	uplink_reload(d->uplink);
	filemon_reload(d->filemon, &nc);
	netmon_reload(d->netmon, &nc);
	log_info("configuration reloaded");
	svc_ready("configuration reloaded");
}

/*
 * A burst (a rescan, an integrity check, a backlog sent) frees memory
 * that glibc keeps in its arenas, mostly below their tops, which it never
 * trims by itself: about 1 MB after 20,000 events were sent. The agent
 * then idles for hours, so it hands that back now and then; a trim costs
 * microseconds on a heap of a few megabytes.
 */
static void
trim_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)malloc_trim(0);
}

/* The heartbeat's health: the file sensor's and the network sensor's. */
static json_t *
daemon_health(void *arg)
{
	struct daemon	*d = arg;
	json_t		*h, *n;

	h = d->filemon != NULL ? filemon_health(d->filemon) : json_object();
	if (h == NULL || d->netmon == NULL)
		return h;
	if ((n = netmon_health(d->netmon)) == NULL ||
	    json_object_update(h, n) != 0)
		log_warnx("network: health: out of memory");
	json_decref(n);
	return h;
}

static int
add_signal(struct daemon *d, struct event **ev, int sig,
    event_callback_fn cb)
{
	if ((*ev = evsignal_new(d->base, sig, cb, d)) == NULL ||
	    event_add(*ev, NULL) != 0)
		return ERR_NOMEM;
	return 0;
}

static int
cmd_run(struct opts *o, struct agent_config *cfg)
{
	struct daemon		 d;
	struct netmon_exec	 ex;
	struct filemon_exec	 fx;
	struct event		*sigs[3] = { NULL, NULL, NULL }, *trim = NULL;
	struct svc		*svc = NULL;
	struct timeval		 trim_tv = { TRIM_SECS, 0 };
	char			 cache[PATH_MAX], program[PATH_MAX];
	char			 scanner[PATH_MAX] = "", linker[PATH_MAX];
	struct upproc_conf	 ux;
	size_t			 i;
	int			 rc;

	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.opts = o;
	log_init(PROG, cfg->log_level, cfg->syslog);
	if ((rc = open_spool(&d.spool, cfg, 0)) != 0)
		goto fail;
	rc = ERR_NOMEM;
	if (evthread_use_pthreads() != 0 ||
	    (d.base = event_base_new()) == NULL)
		goto fail;
	ux.program = linker;
	ux.config = o->g.config;
	ux.data_dir = cfg->data_dir;
	ux.verbose = o->g.verbose;
	if ((rc = agentcmd_helper(linker, sizeof(linker),
	    AGENTCMD_UPLINK)) != 0 || access(linker, X_OK) != 0) {
		log_warnx("%s not found: no link to the "
		    "collector", AGENTCMD_UPLINK);
		rc = ERR_IO;
		goto fail;
	}
	if ((rc = uplink_new(&d.uplink, d.base, d.spool, cfg, &ux)) != 0)
		goto fail;
	fx.config = o->g.config;
	fx.verbose = o->g.verbose;
	fx.program = scanner;
	if (agentcmd_helper(scanner, sizeof(scanner), AGENTCMD_SCAN) != 0 ||
	    access(scanner, X_OK) != 0) {
		log_warnx("%s not found (%s): YARA runs in the daemon",
		    AGENTCMD_SCAN, scanner);
		fx.program = NULL;
	}
	if ((cfg->files_enabled || cfg->fim_enabled) &&
	    filemon_new_exec(&d.filemon, d.base, cfg, cfg->data_dir,
	    default_rules(), kick_uplink, d.uplink, &fx) != 0)
		log_warnx("file activity monitoring is off (see above); "
		    "events still flow");
	ex.config = o->g.config;
	ex.verbose = o->g.verbose;
	ex.cache_dir = agentcmd_rules_cache(cache, sizeof(cache), cfg);
	ex.program = program;
	if (agentcmd_helper(program, sizeof(program), AGENTCMD_CAPTURE) != 0 ||
	    netmon_new(&d.netmon, d.base, cfg, &ex, d.spool, kick_uplink,
	    d.uplink) != 0)
		log_warnx("network capture is off (see above); events still "
		    "flow");
	uplink_set_health(d.uplink, daemon_health, &d);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    (rc = add_signal(&d, &sigs[0], SIGTERM, stop_cb)) != 0 ||
	    (rc = add_signal(&d, &sigs[1], SIGINT, stop_cb)) != 0 ||
	    (rc = add_signal(&d, &sigs[2], SIGHUP, reload_cb)) != 0)
		goto fail;
	rc = ERR_NOMEM;
	if ((trim = event_new(d.base, -1, EV_PERSIST, trim_cb, NULL)) ==
	    NULL || event_add(trim, &trim_tv) != 0)
		goto fail;
	log_info("vigil-agent %s started (data dir %s)", VIGIL_VERSION,
	    cfg->data_dir);
	if ((rc = uplink_start(d.uplink)) != 0 ||
	    (rc = svc_start(&svc, d.base)) != 0)
		goto fail;
	svc_ready(NULL);
	if (event_base_dispatch(d.base) == -1) {
		log_warnx("event loop failed");
		rc = ERR_IO;
	}
fail:
	if (rc == ERR_NOTFOUND)
		log_warnx("not enrolled: run %s enroll --collector HOST:PORT "
		    "--token TOKEN --fingerprint FP", PROG);
	else if (rc != 0)
		log_warnx("cannot run: %s", vigil_strerror(rc));
	svc_free(svc);
	filemon_free(d.filemon);	/* its last events still reach the spool */
	netmon_free(d.netmon);		/* and the capture's last alerts */
	uplink_free(d.uplink);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	if (trim != NULL)
		event_free(trim);
	if (d.base != NULL)
		event_base_free(d.base);
	spool_close(d.spool);
	return rc;
}

/* enroll */

/*
 * The token from the first line of file ("-": standard input), white
 * space around it dropped. Read at most TOKEN_LINE_MAX bytes: a longer
 * line is not a token. A token given as an argument is visible to every
 * user in /proc/PID/cmdline for as long as enroll runs; one in a file
 * (0600) or a pipe is not.
 */
#define TOKEN_LINE_MAX	128

static int
read_token(char *out, size_t outlen, const char *file)
{
	FILE	*fp;
	char	 line[TOKEN_LINE_MAX + 2], *p, *e;
	int	 rc = ERR_IO;

	fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
	if (fp == NULL) {
		log_warn("token file %s", file);
		return ERR_IO;
	}
	if (fgets(line, sizeof(line), fp) == NULL) {
		log_warnx("token file %s: %s", file, ferror(fp) ?
		    "read error" : "empty");
		goto done;
	}
	rc = ERR_MALFORMED;
	if (strlen(line) > TOKEN_LINE_MAX) {
		log_warnx("token file %s: first line too long for a token",
		    file);
		goto done;
	}
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	for (e = p + strlen(p); e > p && strchr(" \t\r\n", e[-1]); e--)
		;
	if ((size_t)(e - p) >= outlen) {
		log_warnx("token file %s: not a token", file);
		goto done;
	}
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	rc = 0;
done:
	sodium_memzero(line, sizeof(line));
	if (fp != stdin)
		fclose(fp);
	return rc;
}

static int
cmd_enroll(struct opts *o, struct agent_config *cfg)
{
	char	token[TOKEN_LINE_MAX + 1];
	int	rc;

	if (o->collector == NULL || (o->token == NULL) ==
	    (o->token_file == NULL) || o->fingerprint == NULL)
		return usage_error("enroll", "enroll needs --collector, "
		    "--fingerprint and one of --token or --token-file");
	if (o->token_file != NULL) {
		if (read_token(token, sizeof(token), o->token_file) != 0)
			return ERR_IO;
		o->token = token;
	}
	rc = enroll_run(cfg, o->collector, o->token, o->fingerprint);
	sodium_memzero(token, sizeof(token));
	o->token = NULL;
	return rc;
}

/* emit */

static json_t *
emit_event(const struct opts *o, uint64_t n)
{
	const char	*type = o->type;
	json_t		*ev, *sub;

	if ((ev = event_build(type)) == NULL)
		return NULL;
	if (strcmp(type, "alert") == 0)
		sub = json_pack("{s:s, s:i, s:I, s:i, s:s, s:s, s:i}",
		    "action", "allowed", "gid", 1, "signature_id",
		    (json_int_t)o->sid, "rev", 1, "signature", o->signature,
		    "category", "Test", "severity", o->severity);
	else
		sub = json_pack("{s:I, s:s}", "n", (json_int_t)n,
		    "note", EMIT_NOTE);
	if (sub == NULL || json_object_set_new(ev, type, sub) != 0) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

/* Build n events numbered from first and append them in one call. */
static int
emit_chunk(struct spool *sp, struct spool_in *in, const struct opts *o,
    uint64_t first, size_t n, uint64_t *first_seq, uint64_t *dropped)
{
	json_t	*ev;
	size_t	 i, built = 0;
	int	 rc = ERR_NOMEM, prio = event_prio(o->type, o->severity);

	for (built = 0; built < n; built++) {
		if ((ev = emit_event(o, first + built)) == NULL)
			goto done;
		in[built].json = event_dump(ev, &in[built].len);
		json_decref(ev);
		if (in[built].json == NULL)
			goto done;
		in[built].type = o->type;
		in[built].prio = prio;
	}
	if ((rc = spool_append(sp, in, n, first_seq, dropped)) != 0)
		log_warnx("spool: append: %s", vigil_strerror(rc));
done:
	for (i = 0; i < built; i++)
		free((char *)in[i].json);
	return rc;
}

static int
cmd_emit(struct opts *o, struct agent_config *cfg)
{
	struct spool		*sp = NULL;
	struct spool_in		*in = NULL;
	struct spool_stats	 st;
	uint64_t		 done = 0, first, dropped, drops = 0;
	uint64_t		 seq_a = 0, seq_b = 0;
	size_t			 n;
	int			 rc;

	if ((rc = open_spool(&sp, cfg, 1)) != 0)
		goto fail;
	rc = ERR_NOMEM;
	if ((in = calloc(EMIT_CHUNK, sizeof(*in))) == NULL)
		goto fail;
	while (done < o->count) {
		n = o->count - done > EMIT_CHUNK ? EMIT_CHUNK :
		    (size_t)(o->count - done);
		if ((rc = emit_chunk(sp, in, o, done + 1, n, &first,
		    &dropped)) != 0)
			goto fail;
		if (seq_a == 0)
			seq_a = first;
		if (dropped == 0)
			seq_b = first + n - 1;
		else if ((rc = spool_stats(sp, &st)) == 0)
			seq_b = st.last_seq;	/* some have no number */
		else
			goto fail;
		drops += dropped;
		done += n;
	}
	if (seq_a == 0)
		printf("queued %" PRIu64 " events (none kept)\n", o->count);
	else
		printf("queued %" PRIu64 " events (seq %" PRIu64 "..%" PRIu64
		    ")\n", o->count, seq_a, seq_b);
	if (drops > 0)
		printf("dropped %" PRIu64 " (spool full)\n", drops);
	if (fflush(stdout) == EOF)
		rc = ERR_IO;
fail:
	free(in);
	spool_close(sp);
	return rc;
}

/* status */

struct status {
	struct enroll_identity	 id;
	int			 enrolled;
	struct spool_stats	 st;
	json_t			*by_type;
	char			*state, *since, *error, *pid;
	int64_t			 since_s;
	int64_t			 pid_n;
	int			 running;
};

static void
status_clear(struct status *s)
{
	json_decref(s->by_type);
	free(s->state);
	free(s->since);
	free(s->error);
	free(s->pid);
}

/* Optional meta value: NULL if absent. */
static int
meta_opt(struct spool *sp, const char *key, char **out)
{
	int	rc;

	*out = NULL;
	rc = spool_meta_get(sp, key, out);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

static int
status_load(struct spool *sp, struct status *s)
{
	uint64_t	v;
	int		rc;

	rc = enroll_identity_load(sp, &s->id);
	if (rc != 0 && rc != ERR_NOTFOUND)
		return rc;
	s->enrolled = rc == 0;
	if ((rc = spool_stats(sp, &s->st)) != 0 ||
	    (rc = uplink_drops_json(sp, &s->by_type)) != 0 ||
	    (rc = meta_opt(sp, "link_state", &s->state)) != 0 ||
	    (rc = meta_opt(sp, "link_since", &s->since)) != 0 ||
	    (rc = meta_opt(sp, "last_error", &s->error)) != 0 ||
	    (rc = meta_opt(sp, "daemon_pid", &s->pid)) != 0)
		return rc;
	s->since_s = -1;
	if (s->since != NULL && enroll_parse_u64(&v, s->since, INT64_MAX) == 0)
		s->since_s = (int64_t)v;
	s->pid_n = -1;
	if (s->pid != NULL && enroll_parse_u64(&v, s->pid, INT32_MAX) == 0 &&
	    v > 0) {
		s->pid_n = (int64_t)v;
		s->running = kill((pid_t)v, 0) == 0 || errno == EPERM;
	}
	return 0;
}

static json_t *
jstr(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
jint(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static int
status_print_json(const struct status *s)
{
	json_t	*o;
	int	 rc = ERR_NOMEM;

	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:O}, s:o, s:b}",
	    "agent_id", jstr(s->enrolled ? s->id.agent_id : NULL),
	    "name", jstr(s->enrolled ? s->id.name : NULL),
	    "office", jstr(s->enrolled ? s->id.office : NULL),
	    "collector", jstr(s->enrolled ? s->id.collector : NULL),
	    "link_state", jstr(s->state),
	    "link_since", jint(s->since_s),
	    "last_error", jstr(s->error),
	    "spool", "depth", (json_int_t)s->st.depth,
	    "bytes", (json_int_t)s->st.bytes,
	    "max_bytes", (json_int_t)s->st.max_bytes,
	    "last_seq", (json_int_t)s->st.last_seq,
	    "acked_seq", (json_int_t)s->st.acked_seq,
	    "drops", "total", (json_int_t)s->st.dropped,
	    "by_type", s->by_type,
	    "daemon_pid", jint(s->pid_n),
	    "daemon_running", s->running);
	if (o == NULL)
		return rc;
	rc = text_print_json(stdout, o);
	json_decref(o);
	return rc;
}

static void
fmt_time(char *out, size_t len, int64_t t)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (t < 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, len, "?");
}

static int
drop_line(void *arg, const char *type, uint64_t n)
{
	int	*first = arg;

	fputs(*first ? " (" : ", ", stdout);
	text_puts(stdout, type);
	printf(" %" PRIu64, n);
	*first = 0;
	return 0;
}

/* "label" and the text, escaped (names, addresses and the last error come
 * from the collector and the network), and a newline. */
static void
put_line(const char *label, const char *text)
{
	fputs(label, stdout);
	text_puts(stdout, text);
	putchar('\n');
}

static int
status_print_text(struct spool *sp, const struct status *s)
{
	char	since[64];
	int	first = 1, rc;

	if (s->enrolled) {
		fputs("agent:      ", stdout);
		text_puts(stdout, s->id.agent_id);
		fputs(" (", stdout);
		text_puts(stdout, s->id.name);
		fputs(", office ", stdout);
		text_puts(stdout, s->id.office);
		fputs(")\n", stdout);
		put_line("collector:  ", s->id.collector);
	} else
		printf("agent:      not enrolled\n");
	fmt_time(since, sizeof(since), s->since_s);
	fputs("link:       ", stdout);
	text_puts(stdout, s->state ? s->state : "unknown");
	if (s->state != NULL)
		printf(" since %s", since);
	printf("\n");
	if (s->error != NULL && s->error[0] != '\0')
		put_line("last error: ", s->error);
	if (s->pid_n > 0)
		printf("daemon:     pid %" PRId64 " (%s)\n", s->pid_n,
		    s->running ? "running" : "not running");
	else
		printf("daemon:     never started\n");
	printf("spool:      %" PRIu64 " events, %" PRIu64 " of %" PRIu64
	    " bytes\n", s->st.depth, s->st.bytes, s->st.max_bytes);
	printf("seq:        last %" PRIu64 ", acknowledged %" PRIu64 "\n",
	    s->st.last_seq, s->st.acked_seq);
	printf("drops:      %" PRIu64, s->st.dropped);
	if ((rc = spool_drops(sp, drop_line, &first)) != 0)
		return rc;
	printf("%s\n", first ? "" : ")");
	return fflush(stdout) == EOF || ferror(stdout) ? ERR_IO : 0;
}

static int
cmd_status(struct opts *o, struct agent_config *cfg)
{
	struct status	 s;
	struct spool	*sp = NULL;
	int		 rc;

	memset(&s, 0, sizeof(s));
	if ((rc = open_spool(&sp, cfg, 0)) != 0) {
		if (rc == ERR_NOTFOUND)
			log_warnx("data directory %s: not found (not "
			    "enrolled?)", cfg->data_dir);
		goto fail;
	}
	if ((rc = status_load(sp, &s)) != 0) {
		log_warnx("spool: %s", vigil_strerror(rc));
		goto fail;
	}
	/* the daemon connects where the configuration says, if it says */
	if (cfg->collector[0] != '\0')
		memcpy(s.id.collector, cfg->collector, sizeof(s.id.collector));
	rc = o->json ? status_print_json(&s) : status_print_text(sp, &s);
fail:
	status_clear(&s);
	spool_close(sp);
	return rc;
}

/* main */

/*
 * scan and integrity parse their own options (scan_cmd.c, fim_cmd.c);
 * the global options may still stand after the command word, so they are
 * taken out first (agentcmd_take_globals).
 */

/* The configured rules, and indicator lists ([network] ioc, as the
 * daemon's file scanner and run_pcap take them). */
static int
run_scan(int argc, char **argv, const struct agent_config *cfg)
{
	char				 cache[PATH_MAX];
	const char			*rules[CONFIG_LIST_MAX + 1];
	struct netmon_paths		 p;
	struct scan_cmd_defaults	 d = { 0 };

	netmon_paths(&p, cfg);
	d.rules = rules;
	d.nrules = config_rules_paths(cfg, default_rules(), rules);
	d.iocs = p.iocs;
	d.niocs = p.niocs;
	d.cache_dir = agentcmd_rules_cache(cache, sizeof(cache), cfg);
	d.remote_fs = cfg->remote_fs;
	return scan_cmd_run(argc, argv, &d);
}

/* The baseline lives in the data directory unless --db says elsewhere;
 * one that fails the check is not used (said above). */
static int
run_integrity(int argc, char **argv, const struct agent_config *cfg)
{
	return fim_cmd_run(argc, argv, datadir_check(cfg->data_dir, 0,
	    NULL) == ERR_IO ? NULL : cfg->data_dir);
}

/*
 * Reading traffic is vigil-capture's (agentcmd.h): these commands are
 * run there, with the same arguments, so that this program links none
 * of it. capture-child is the daemon's, which runs vigil-capture itself.
 */
static const char *const capture_cmds[] = { "pcap", "rules" };

static int
exec_capture(const struct agentcmd_globals *g, int argc, char **argv)
{
	char		 path[PATH_MAX];
	const char	**av;
	size_t		 n = 0;
	int		 i, rc;

	if ((rc = agentcmd_helper(path, sizeof(path), AGENTCMD_CAPTURE)) != 0)
		return rc;
	/* argv[0] is the command; the global options before it go first */
	if ((av = calloc((size_t)argc + 7, sizeof(*av))) == NULL)
		return ERR_NOMEM;
	av[n++] = AGENTCMD_CAPTURE;
	if (g->config != NULL) {
		av[n++] = "-c";
		av[n++] = g->config;
	}
	if (g->data_dir != NULL) {
		av[n++] = "--data-dir";
		av[n++] = g->data_dir;
	}
	if (g->verbose)
		av[n++] = "-v";
	for (i = 0; i < argc; i++)
		av[n++] = argv[i];
	av[n] = NULL;
	execv(path, (char *const *)(uintptr_t)av);
	log_warn("%s", path);
	free(av);
	return ERR_IO;
}

static const struct {
	const char	*name;
	int		(*run)(int, char **, const struct agent_config *);
} passthrough[] = {
	{ "scan", run_scan },
	{ "integrity", run_integrity },
};

static const struct command *
find_command(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	struct agent_config	 cfg;
	struct opts		 o;
	const struct command	*cmd;
	int			 rc, first;

	umask(077);	/* key, spool, state: never readable by others */
	/* A few threads (scan workers, integrity) each get a malloc arena of
	 * their own by default; two are plenty for an agent that idles. */
	mallopt(M_ARENA_MAX, 2);
	if (digest_openssl_init() != 0) {
		log_warnx("OpenSSL: cannot initialise");
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.type = "test";
	o.count = 1;
	o.severity = 3;
	o.signature = "VIGIL test alert";
	o.sid = 9000001;
	log_init(PROG, LOG_LVL_INFO, 0);
	if ((rc = parse_opts(&o, NULL, argc, argv, "+c:vh", global_opts)) != 0)
		return cli_exit(rc);
	first = optind;
	if (first >= argc) {
		if (o.help) {
			fputs(main_help, stdout);
			return 0;
		}
		return cli_exit(usage_error(NULL, "missing command"));
	}
	for (size_t i = 0; i < sizeof(capture_cmds) / sizeof(capture_cmds[0]);
	    i++)
		if (strcmp(argv[first], capture_cmds[i]) == 0)
			return cli_exit(exec_capture(&o.g, argc - first,
			    argv + first));
	for (size_t i = 0; i < sizeof(passthrough) / sizeof(passthrough[0]);
	    i++) {
		int	pargc = argc - first;

		if (strcmp(argv[first], passthrough[i].name) != 0)
			continue;
		if ((rc = agentcmd_take_globals(&o.g, &pargc, argv + first)) != 0)
			return cli_exit(rc);
		if (sodium_init() < 0) {
			log_warnx("libsodium: cannot initialise");
			return 1;
		}
		if ((rc = agentcmd_setup(&cfg, &o.g)) != 0)
			return cli_exit(rc);
		optind = 0;	/* the command runs getopt afresh */
		return passthrough[i].run(pargc, argv + first, &cfg);
	}
	if ((cmd = find_command(argv[first])) == NULL)
		return cli_exit(usage_error(NULL, "unknown command '%s'",
		    argv[first]));
	/* argv[first] plays argv[0]: getopt names it in its messages */
	if ((rc = parse_opts(&o, cmd->name, argc - first, argv + first,
	    cmd->shortopts, cmd->longopts)) != 0)
		return cli_exit(rc);
	if (o.help) {
		fputs(cmd->help, stdout);
		return 0;
	}
	if (first + optind < argc)
		return cli_exit(usage_error(cmd->name, "unexpected argument "
		    "'%s'", argv[first + optind]));
	if (sodium_init() < 0) {
		log_warnx("libsodium: cannot initialise");
		return 1;
	}
	if ((rc = agentcmd_setup(&cfg, &o.g)) != 0)
		return cli_exit(rc);
	rc = cmd->run(&o, &cfg);
	/* run before enrollment: a status of its own, so that the service
	 * manager does not start it again every few seconds
	 * (RestartPreventExitStatus= in vigil-agent.service) */
	if (cmd->run == cmd_run && rc == ERR_NOTFOUND)
		return EXIT_NOT_ENROLLED;
	return cli_exit(rc);
}
