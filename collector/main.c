/*
 * vigil-collector: the provincial team's server.
 *
 *   vigil-collector [-c FILE] [--data-dir DIR] [--listen ADDR:PORT] COMMAND
 *
 * Commands: run, enroll-token, agents, revoke, events, the incident
 * register's incidents and audit (incident_cmd.c), export, report and
 * backup. Every command but run
 * opens the store beside a running daemon (SQLite WAL), so they work
 * while it runs. Exit status: 0 success, 1 runtime failure, 2 usage (3:
 * audit verify found the chain broken).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>
#include <event2/thread.h>
#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "cmd.h"
#include "export.h"
#include "report.h"
#include "report_sched.h"
#include "backup.h"
#include "incident_cmd.h"
#include "config.h"
#include "datadir.h"
#include "pathset.h"
#include "text.h"
#include "token.h"
#include "err.h"
#include "event.h"
#include "jarena.h"
#include "keys.h"
#include "log.h"
#include "priv.h"
#include "server.h"
#include "svc.h"
#include "store.h"
#include "version.h"

#define EXIT_USAGE	CLI_EXIT_USAGE
#define PROG		"vigil-collector"

struct cli {
	const char		*config_path;
	const char		*data_dir;
	const char		*listen;
	int			 verbose;
	struct collector_config	 cfg;
	char			 dbpath[PATH_MAX];
	char			 keypath[PATH_MAX];
};

/* Options every command accepts. */
#define GLOBAL_OPTS	CMD_GLOBAL_OPTS

static const char usage_main[] =
"usage: vigil-collector [-c FILE] [--data-dir DIR] [--listen ADDR:PORT] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  run                     run the collector in the foreground\n"
"  enroll-token --name HOST [--office NAME] [--ttl DURATION] [--json]\n"
"                          create a one-time token for enrolling an agent\n"
"  agents [--json]         list enrolled agents\n"
"  revoke AGENT            revoke an agent (by id or name)\n"
"  events [--json] [--agent ID|NAME] [--type TYPE] [--since TIME] [--limit N] [--count]\n"
"                          show stored events\n"
"  incidents COMMAND ...   the incident register: list, show, open, ack,\n"
"                          assign, status, note, resolve, merge, reported,\n"
"                          form (the Circular 20/2017 report forms)\n"
"  audit verify [--json] [--head HASH]\n"
"                          check the register's hash-chained audit log\n"
"  export --since T [--until T] [--what events|incidents] [--format eve|csv] [-o FILE]\n"
"                          events or incidents as JSON lines or CSV\n"
"  report (--month YYYY-MM | --quarter YYYY-Qn | --half YYYY-H1|H2 | --year YYYY)\n"
"         [--office NAME] [--lang vi|en] [--format pdf|html|md|csv|json] [-o FILE]\n"
"                          the periodic security report (docs/report.md)\n"
"  reports [--json]        the reports written by [report] schedule\n"
"  backup [-o FILE] [--keep N]\n"
"                          an online, checked copy of the store, recorded in\n"
"                          the audit log (docs/report.md, \"Backups\")\n"
"\n"
"Options:\n"
"  -c, --config FILE       configuration file (default " CONFIG_COLLECTOR_DEFAULT ")\n"
"  --data-dir DIR          keys and store (overrides the configuration)\n"
"  --listen ADDR:PORT      listen address (overrides the configuration)\n"
"  -v, --verbose           debug logging\n"
"  -h, --help              this help; COMMAND --help for a command's\n";

/* A usage error, said; the exit status (2). */
#define usage_err(...)	cli_exit(cli_usage(PROG, NULL, __VA_ARGS__))

/* Global option handling shared by every command's getopt loop:
 * 1 if handled, 0 if not a global option. */
static int
global_opt(struct cli *cli, int ch, const char *arg)
{
	switch (ch) {
	case 'c':
		cli->config_path = arg;
		return 1;
	case 'D':
		cli->data_dir = arg;
		return 1;
	case 'L':
		cli->listen = arg;
		return 1;
	case 'v':
		cli->verbose = 1;
		return 1;
	}
	return 0;
}

/* Load the configuration and apply overrides. 0, or an exit status. */
static int
setup(struct cli *cli)
{
	struct sockaddr_storage	ss;
	int			sslen = sizeof(ss);

	log_init("vigil-collector", LOG_LVL_INFO, 0);
	if (sodium_init() < 0) {
		fprintf(stderr, "vigil-collector: libsodium failed to start\n");
		return 1;
	}
	if (config_load_collector(&cli->cfg, cli->config_path) != 0)
		return 1;
	if (cli->data_dir != NULL) {
		if (strlen(cli->data_dir) >= sizeof(cli->cfg.data_dir))
			return usage_err("--data-dir too long: %s", cli->data_dir);
		snprintf(cli->cfg.data_dir, sizeof(cli->cfg.data_dir), "%s",
		    cli->data_dir);
	}
	if (cli->listen != NULL) {
		/* Port 0 (the kernel picks one, written to listen.addr) is
		 * allowed here, for tests and the quick start. */
		if (server_parse_listen(&ss, &sslen, cli->listen) != 0 ||
		    strlen(cli->listen) >= sizeof(cli->cfg.listen))
			return usage_err("--listen wants ADDR:PORT, not '%s'",
			    cli->listen);
		snprintf(cli->cfg.listen, sizeof(cli->cfg.listen), "%s",
		    cli->listen);
	}
	log_setlevel(cli->verbose ? LOG_LVL_DEBUG : cli->cfg.log_level);
	if (pathset_join(cli->dbpath, sizeof(cli->dbpath), cli->cfg.data_dir,
	    "collector.db") != 0 || pathset_join(cli->keypath,
	    sizeof(cli->keypath), cli->cfg.data_dir, "collector.key") != 0)
		return usage_err("data directory path too long: %s",
		    cli->cfg.data_dir);
	if (datadir_check(cli->cfg.data_dir, 1, cli->cfg.user) != 0)
		return 1;
	return 0;
}

static int
open_store(struct cli *cli, struct store **st)
{
	if (store_open(st, cli->dbpath) != 0) {
		cli_say(PROG, "cannot open the store %s", cli->dbpath);
		return 1;
	}
	return 0;
}

static volatile sig_atomic_t	 reload_pending;

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct event_base	*base = arg;

	if (sig == SIGHUP) {
		reload_pending = 1;
		event_base_loopbreak(base);
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(base, NULL);
}

static void
raise_nofile(void)
{
	struct rlimit	rl;

	/* thousands of agents: one descriptor each */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("raising the descriptor limit");
	}
}

static int
write_listen_file(const struct cli *cli, const char *addr)
{
	char	path[PATH_MAX], tmp[PATH_MAX];
	FILE	*f;

	if (pathset_join(path, sizeof(path), cli->cfg.data_dir,
	    "listen.addr") != 0 || pathset_join(tmp, sizeof(tmp),
	    cli->cfg.data_dir, "listen.addr.tmp") != 0)
		return ERR_TOOBIG;
	if ((f = fopen(tmp, "w")) == NULL)
		return ERR_IO;
	fprintf(f, "%s\n", addr);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return ERR_IO;
	return 0;
}

/* Before dropping root: the data directory and its files go to the
 * configured user, so the daemon keeps working after the drop and after a
 * restart. (SQLite, run as root by a CLI command, gives new -wal/-shm
 * files the database file's owner.) */
static int
own_data_dir(const struct cli *cli)
{
	static const char *const names[] = { "collector.db",
	    "collector.db-wal", "collector.db-shm", "collector.key",
	    "listen.addr" };
	char	path[PATH_MAX];
	size_t	i;

	if (priv_chown(cli->cfg.data_dir, cli->cfg.user) != 0)
		return ERR_IO;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (pathset_join(path, sizeof(path), cli->cfg.data_dir,
		    names[i]) != 0 || priv_chown(path, cli->cfg.user) != 0)
			return ERR_IO;
	}
	return 0;
}

static int
cmd_run(struct cli *cli)
{
	struct event_base	*base = NULL;
	struct event		*sigs[4] = { NULL };
	static const int	 signums[4] = { SIGTERM, SIGINT, SIGHUP, 0 };
	struct server		*srv = NULL;
	struct svc		*svc = NULL;
	struct report_sched	*rs = NULL;
	struct collector_config	 ncfg;
	uint8_t			 pub[KEY_LEN], priv[KEY_LEN];
	char			 fpr[FPR_STRLEN], addr[128];
	int			 i, rc = 1;

	log_init("vigil-collector", cli->verbose ? LOG_LVL_DEBUG :
	    cli->cfg.log_level, cli->cfg.syslog);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	jarena_install();	/* before any thread: intake parses in arenas */
	if (keys_load_or_create(pub, priv, cli->keypath) != 0)
		return 1;
	keys_fingerprint(fpr, pub);
	if (evthread_use_pthreads() != 0 || (base = event_base_new()) == NULL) {
		log_warnx("cannot start the event loop");
		goto done;
	}
	if (server_new(&srv, base, &cli->cfg, cli->dbpath, pub, priv) != 0 ||
	    server_listen(srv, addr, sizeof(addr)) != 0)
		goto done;
	if (cli->cfg.user[0] != '\0' && geteuid() == 0 &&
	    (own_data_dir(cli) != 0 || priv_drop(cli->cfg.user) != 0))
		goto done;
	if (geteuid() == 0)
		log_warnx("running as root: set 'user' in the configuration "
		    "(the shipped file says vigil) so that the daemon facing "
		    "the network does not keep root");
	if (write_listen_file(cli, addr) != 0)
		log_warnx("could not write %s/listen.addr", cli->cfg.data_dir);
	/* after the drop: its folder and files are the user's */
	if (report_sched_new(&rs, &cli->cfg, cli->dbpath) != 0)
		goto done;
	for (i = 0; signums[i] != 0; i++) {
		sigs[i] = evsignal_new(base, signums[i], on_signal, base);
		if (sigs[i] == NULL || event_add(sigs[i], NULL) != 0)
			goto done;
	}
	if (svc_start(&svc, base) != 0)
		goto done;
	log_info("vigil-collector %s listening on %s, key fingerprint %s",
	    VIGIL_VERSION, addr, fpr);
	svc_ready(addr);
	for (;;) {
		if (event_base_dispatch(base) < 0)
			break;
		if (!reload_pending)
			break;
		reload_pending = 0;
		svc_reloading();
		if (config_load_collector(&ncfg, cli->config_path) == 0) {
			server_reconfigure(srv, &ncfg);
			/* the schedule anew: a run under way is cut short and
			 * taken up again from the store */
			report_sched_free(rs);
			rs = NULL;
			if (report_sched_new(&rs, &ncfg, cli->dbpath) != 0)
				log_warnx("the report schedule is off until the "
				    "configuration is fixed");
			log_setlevel(cli->verbose ? LOG_LVL_DEBUG :
			    ncfg.log_level);
			log_info("configuration reloaded");
			svc_ready("configuration reloaded");
		} else {
			log_warnx("configuration not reloaded; keeping the "
			    "running one");
			svc_ready("configuration not reloaded: see the log");
		}
	}
	rc = 0;
done:
	svc_stopping();
	svc_free(svc);
	report_sched_free(rs);
	server_free(srv);
	for (i = 0; i < 4; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	if (base != NULL)
		event_base_free(base);
	sodium_memzero(priv, sizeof(priv));
	log_info("stopped");
	return rc;
}

static int
cmd_enroll_token(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "office", required_argument, NULL, 'o' },
		{ "ttl", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		GLOBAL_OPTS, { NULL, 0, NULL, 0 }
	};
	static const char usage[] =
	    "usage: vigil-collector enroll-token --name HOST [--office NAME] "
	    "[--ttl DURATION] [--json]\n"
	    "  --name HOST      the agent's name (its host name)\n"
	    "  --office NAME    the commune office it belongs to (default "
	    OFFICE_DEFAULT ")\n"
	    "  --ttl DURATION   how long the token is valid: 30m, 24h, 7d "
	    "(default from the configuration, 24h)\n"
	    "  --json           print one JSON object\n";
	const char	*name = NULL, *office = OFFICE_DEFAULT, *ttl_s = NULL;
	struct store	*st = NULL;
	uint8_t		 pub[KEY_LEN], priv[KEY_LEN];
	char		 token[TOKEN_STRLEN], fpr[FPR_STRLEN], exp[EVENT_TS_STRLEN];
	int64_t		 ttl;
	json_t		*j;
	int		 ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		if (global_opt(cli, ch, optarg))
			continue;
		switch (ch) {
		case 'n': name = optarg; break;
		case 'o': office = optarg; break;
		case 't': ttl_s = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || name == NULL) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!token_valid_name(name) || !token_valid_name(office))
		return usage_err("names are 1 to 64 bytes of printable text: "
		    "'%s'", token_valid_name(name) ? office : name);
	if ((rc = setup(cli)) != 0)
		return rc;
	ttl = cli->cfg.token_ttl_s;
	if (ttl_s != NULL && (config_parse_duration(&ttl, ttl_s) != 0 ||
	    ttl <= 0))
		return usage_err("--ttl wants a duration such as 30m, 24h or "
		    "7d, not '%s'", ttl_s);
	if (keys_load_or_create(pub, priv, cli->keypath) != 0)
		return 1;
	sodium_memzero(priv, sizeof(priv));
	keys_fingerprint(fpr, pub);
	if (open_store(cli, &st) != 0)
		return 1;
	rc = token_create(st, token, name, office, ttl);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "vigil-collector: creating the token failed: "
		    "%s\n", vigil_strerror(rc));
		return 1;
	}
	event_format_ts(exp, ((int64_t)time(NULL) + ttl) * 1000000);
	if (json) {
		j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "token", token,
		    "fingerprint", fpr, "name", name, "office", office,
		    "expires", exp);
		if (cmd_print_json(j) != 0)
			return 1;
	} else {
		printf("token:       %s\nfingerprint: %s\nname:        ", token,
		    fpr);
		text_puts(stdout, name);
		printf("\noffice:      ");
		text_puts(stdout, office);
		printf("\nexpires:     %s\n\n"
		    "On the agent, as root:\n  vigil-agent enroll --collector "
		    "THIS-HOST:PORT --token %s --fingerprint %s\n", exp, token,
		    fpr);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static const char *
agent_status(const struct store_agent *a, int64_t now)
{
	if (a->revoked)
		return "revoked";
	if (a->last_seen == 0)
		return "never-seen";
	if (now - a->last_seen <= 120)
		return "active";
	return "silent";
}

struct agents_ctx {
	int	 json;
	int64_t	 now;
	size_t	 n;
};

static int
print_agent(void *arg, const struct store_agent *a)
{
	struct agents_ctx	*ctx = arg;
	char			 seen[32], enrolled[32];
	json_t			*j, *hb = NULL, *hbv;

	cmd_fmt_time(seen, sizeof(seen), a->last_seen);
	cmd_fmt_time(enrolled, sizeof(enrolled), a->enrolled);
	ctx->n++;
	if (!ctx->json) {
		cmd_print_col(a->id, 16);
		cmd_print_col(a->name, 20);
		cmd_print_col(a->office, 20);
		cmd_print_col(agent_status(a, ctx->now), 10);
		cmd_print_col(seen, 20);
		cmd_print_col(a->addr[0] ? a->addr : "-", 22);
		cmd_print_col(a->version[0] ? a->version : "-", 8);
		printf("%" PRIu64 "\n", a->events);
		return 0;
	}
	if (a->heartbeat != NULL)
		hb = json_loads(a->heartbeat, 0, NULL);
	hbv = hb != NULL ? json_object_get(hb, "heartbeat") : NULL;
	hbv = hbv != NULL ? json_incref(hbv) : json_null();
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o}",
	    "id", a->id, "name", a->name, "office", a->office,
	    "status", agent_status(a, ctx->now), "enrolled", enrolled,
	    "last_seen", seen, "address", a->addr, "version", a->version,
	    "events", (json_int_t)a->events, "last_seq", (json_int_t)a->last_seq,
	    "heartbeat", hbv);
	json_decref(hb);
	return cmd_print_json(j);
}

static int
cmd_agents(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		GLOBAL_OPTS, { NULL, 0, NULL, 0 }
	};
	static const char usage[] =
	    "usage: vigil-collector agents [--json]\n"
	    "  --json   one JSON object per agent, one per line\n"
	    "Status: active (seen in the last 2 minutes), silent, never-seen, "
	    "revoked.\n";
	struct agents_ctx	 ctx = { 0 };
	struct store		*st;
	int			 ch, rc;

	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		if (global_opt(cli, ch, optarg))
			continue;
		switch (ch) {
		case 'j': ctx.json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if ((rc = setup(cli)) != 0 || (rc = open_store(cli, &st)) != 0)
		return rc;
	ctx.now = (int64_t)time(NULL);
	if (!ctx.json)
		printf("%-16s  %-20s  %-20s  %-10s  %-20s  %-22s  %-8s  %s\n",
		    "ID", "NAME", "OFFICE", "STATUS", "LAST SEEN", "ADDRESS",
		    "VERSION", "EVENTS");
	rc = store_agent_each(st, print_agent, &ctx);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "vigil-collector: %s\n", vigil_strerror(rc));
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
cmd_revoke(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { GLOBAL_OPTS, { NULL, 0, NULL, 0 } };
	static const char usage[] =
	    "usage: vigil-collector revoke AGENT\n"
	    "  AGENT   the agent's id or name; its key is refused from now on\n"
	    "          and a running collector closes its connection.\n";
	struct store_agent	 a;
	struct store		*st;
	int			 ch, rc;

	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		if (global_opt(cli, ch, optarg))
			continue;
		if (ch == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if ((rc = setup(cli)) != 0 || (rc = open_store(cli, &st)) != 0)
		return rc;
	rc = store_agent_get(st, &a, argv[optind]);
	if (rc == 0)
		rc = store_agent_revoke(st, a.id);
	store_close(st);
	if (rc != 0) {
		cli_say(PROG, "revoke %s: %s", argv[optind],
		    vigil_strerror(rc));
		return 1;
	}
	fputs("revoked ", stdout);
	text_puts(stdout, a.name);
	fputs(" (", stdout);
	text_puts(stdout, a.id);
	fputs(", office ", stdout);
	text_puts(stdout, a.office);
	fputs(")\n", stdout);
	store_agent_clear(&a);
	return 0;
}

struct events_ctx {
	int	json;
};

/* The string at key, escaped for a terminal. A path sent escaped
 * (docs/events.md: key_escaped is true when it was not UTF-8) is shown
 * by its bytes, as vigil-agent scan shows that file; "?" when absent. */
static void
put_text(json_t *obj, const char *key)
{
	json_t		*v = json_object_get(obj, key);
	char		 flag[64], *raw;
	const char	*s = json_string_value(v);
	size_t		 len = json_string_length(v), n;

	if (s == NULL) {
		fputc('?', stdout);
		return;
	}
	snprintf(flag, sizeof(flag), "%s_escaped", key);
	if (json_is_true(json_object_get(obj, flag)) &&
	    (raw = malloc(len + 1)) != NULL) {
		if (text_unescape(raw, &n, s, len) == 0) {
			text_put(stdout, raw, n);
			free(raw);
			return;
		}
		free(raw);
	}
	text_put(stdout, s, len);
}

/* One line a person can read: what happened, and to what. Everything in
 * it came from an agent, so everything is escaped. */
static void
print_summary(const struct store_row *r)
{
	json_t		*ev, *a, *f, *i;

	if ((ev = json_loadb(r->json, r->len, 0, NULL)) == NULL)
		goto raw;
	a = json_object_get(ev, "alert");
	f = json_object_get(ev, "file");
	i = json_object_get(ev, "integrity");
	if (a != NULL) {
		printf("[%lld] ", (long long)json_integer_value(
		    json_object_get(a, "severity")));
		put_text(a, "signature");
		if (json_is_string(json_object_get(f, "path"))) {
			fputs("  ", stdout);
			put_text(f, "path");
		} else if (json_object_get(ev, "src_ip") != NULL) {
			fputs("  ", stdout);
			put_text(ev, "src_ip");
			printf(":%lld -> ", (long long)json_integer_value(
			    json_object_get(ev, "src_port")));
			put_text(ev, "dest_ip");
			printf(":%lld", (long long)json_integer_value(
			    json_object_get(ev, "dest_port")));
		}
		putchar('\n');
	} else if (i != NULL) {
		put_text(i, "change");
		fputs("  ", stdout);
		put_text(i, "path");
		putchar('\n');
	} else {
		json_decref(ev);
		goto raw;
	}
	json_decref(ev);
	return;
raw:
	text_put(stdout, r->json, r->len > 100 ? 100 : r->len);
	putchar('\n');
}

static int
print_event(void *arg, const struct store_row *r)
{
	struct events_ctx	*ctx = arg;
	char			 ts[EVENT_TS_STRLEN];

	if (ctx->json)
		return cmd_put_event(stdout, r);
	event_format_ts(ts, r->ts_us);
	printf("%.19s  ", ts);
	cmd_print_col(r->agent_name, 16);
	cmd_print_col(r->office, 16);
	cmd_print_col(r->type, 10);
	printf("%6" PRIu64 "  ", r->seq);
	print_summary(r);
	return 0;
}

static int
cmd_events(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "agent", required_argument, NULL, 'a' },
		{ "type", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "count", no_argument, NULL, 'C' },
		GLOBAL_OPTS, { NULL, 0, NULL, 0 }
	};
	static const char usage[] =
	    "usage: vigil-collector events [--json] [--agent ID|NAME] "
	    "[--type TYPE] [--since TIME] [--limit N] [--count]\n"
	    "  --json            one EVE JSON object per line\n"
	    "  --agent ID|NAME   only this agent's events\n"
	    "  --type TYPE       only this event_type (alert, heartbeat, test, ...)\n"
	    "  --since TIME      2026-11-25, 2026-11-25T08:00:00+0700, or 15m/2h/7d ago\n"
	    "  --limit N         at most N events\n"
	    "  --count           print only the number of matching events\n";
	struct store_query	 q = { 0 };
	struct events_ctx	 ctx = { 0 };
	struct store		*st;
	uint64_t		 n, limit;
	int			 ch, count = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		if (global_opt(cli, ch, optarg))
			continue;
		switch (ch) {
		case 'j': ctx.json = 1; break;
		case 'a': q.agent = optarg; break;
		case 't': q.type = optarg; break;
		case 's':
			if (cmd_parse_time(&q.since_us, optarg) != 0)
				return usage_err("--since: not a date, time or "
				    "duration: '%s'", optarg);
			break;
		case 'l':
			if (text_u64(&limit, optarg, strlen(optarg), 1,
			    INT64_MAX) != 0)
				return usage_err("--limit wants a positive "
				    "number, not '%s'", optarg);
			q.limit = (int64_t)limit;
			break;
		case 'C': count = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if ((rc = setup(cli)) != 0 || (rc = open_store(cli, &st)) != 0)
		return rc;
	if (count) {
		rc = store_events_count(st, &q, &n);
		if (rc == 0)
			printf("%" PRIu64 "\n", n);
	} else {
		rc = store_events_each(st, &q, print_event, &ctx);
	}
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "vigil-collector: events: %s\n",
		    vigil_strerror(rc));
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* struct cmd_host for the register's commands (incident_cmd.c). */
static int
host_global_opt(void *ctx, int ch, const char *arg)
{
	return global_opt(ctx, ch, arg);
}

static int
host_open(void *ctx, struct store **st, int64_t *deadline_s)
{
	struct cli	*cli = ctx;
	int		 rc;

	if ((rc = setup(cli)) != 0 || (rc = open_store(cli, st)) != 0)
		return rc;
	*deadline_s = cli->cfg.report_deadline_s;
	return 0;
}

static int
cmd_incidents(struct cli *cli, int argc, char **argv)
{
	const struct cmd_host	h = { cli, host_global_opt, host_open,
				    &cli->cfg };

	return incident_cmd_run(&h, argc, argv);
}

static int
cmd_audit(struct cli *cli, int argc, char **argv)
{
	const struct cmd_host	h = { cli, host_global_opt, host_open,
				    &cli->cfg };

	return audit_cmd_run(&h, argc, argv);
}

static int
cmd_export(struct cli *cli, int argc, char **argv)
{
	const struct cmd_host	h = { cli, host_global_opt, host_open,
				    &cli->cfg };

	return export_cmd_run(&h, argc, argv);
}

static int
cmd_report(struct cli *cli, int argc, char **argv)
{
	const struct cmd_host	h = { cli, host_global_opt, host_open,
				    &cli->cfg };

	return report_cmd_run(&h, argc, argv);
}

static int
cmd_reports(struct cli *cli, int argc, char **argv)
{
	const struct cmd_host	h = { cli, host_global_opt, host_open,
				    &cli->cfg };

	return report_sched_cmd_run(&h, argc, argv);
}

static int
cmd_backup(struct cli *cli, int argc, char **argv)
{
	const struct cmd_host	h = { cli, host_global_opt, host_open,
				    &cli->cfg };

	return backup_cmd_run(&h, argc, argv);
}

static int
cmd_run_opts(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { GLOBAL_OPTS, { NULL, 0, NULL, 0 } };
	static const char usage[] =
	    "usage: vigil-collector [-c FILE] [--data-dir DIR] "
	    "[--listen ADDR:PORT] run\n"
	    "Runs in the foreground and logs to stderr (or syslog). SIGTERM "
	    "stops it,\nSIGHUP reloads the configuration.\n";
	int	ch, rc;

	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		if (global_opt(cli, ch, optarg))
			continue;
		if (ch == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if ((rc = setup(cli)) != 0)
		return rc;
	return cmd_run(cli);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		GLOBAL_OPTS, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct {
		const char	*name;
		int		(*fn)(struct cli *, int, char **);
	} cmds[] = {
		{ "run", cmd_run_opts },
		{ "enroll-token", cmd_enroll_token },
		{ "agents", cmd_agents },
		{ "revoke", cmd_revoke },
		{ "events", cmd_events },
		{ "incidents", cmd_incidents },
		{ "audit", cmd_audit },
		{ "export", cmd_export },
		{ "report", cmd_report },
		{ "reports", cmd_reports },
		{ "backup", cmd_backup },
	};
	struct cli	cli;
	size_t		i;
	int		ch;

	memset(&cli, 0, sizeof(cli));
	umask(077);	/* keys, stores, state: never readable by others */
	/* Global options before the command; '+' stops at the command. */
	while ((ch = getopt_long(argc, argv, "+c:vh", opts, NULL)) != -1) {
		if (global_opt(&cli, ch, optarg))
			continue;
		if (ch == 'h') {
			fputs(usage_main, stdout);
			return 0;
		}
		if (ch == 'V') {
			printf("vigil-collector %s\n", VIGIL_VERSION);
			return 0;
		}
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name) == 0) {
			/* The command's own options, and globals again. */
			argc -= optind;
			argv += optind;
			optind = 0;	/* GNU: full re-initialisation */
			return cmds[i].fn(&cli, argc, argv);
		}
	}
	return usage_err("unknown command '%s'", argv[optind]);
}
