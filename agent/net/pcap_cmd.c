/*
 * pcap_cmd.c: `vigil-agent pcap [--rules FILE|DIR]... [--ioc FILE|DIR]...
 * [--var NAME=VALUE]... [--json] FILE...`
 *
 * The files are read in the order given, as one capture (flows carry on
 * from one file to the next, as with Suricata's -r over a folder),
 * through capture.c and netsensor.c: the daemon's own path. Alerts go to
 * standard output as fast.log lines, or EVE JSON one object per line;
 * what was read, and how fast, to standard error at the end.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "cli.h"
#include "err.h"
#include "log.h"
#include "netsensor.h"
#include "pcap_cmd.h"
#include "eve.h"
#include "text.h"

#define PROG		"vigil-agent pcap"
#define PATHS_MAX	64
#define VARS_MAX	64

static const char help[] =
	"usage: vigil-agent pcap [--rules FILE|DIR]... [--ioc FILE|DIR]...\n"
	"                        [--var NAME=VALUE]... [--json] FILE...\n"
	"\n"
	"Read pcap or pcapng files through the network sensor (decoding,\n"
	"flows, the traffic rules, the indicator lists, the detectors) and\n"
	"print its alerts: fast.log lines, or with --json one EVE JSON\n"
	"object per line. Files are read in order as one capture.\n"
	"\n"
	"  --rules FILE|DIR   Suricata-syntax rules (*.rules in a folder);\n"
	"                     replaces the configured rules\n"
	"  --ioc FILE|DIR     indicator lists; replaces the configured lists\n"
	"  --var NAME=VALUE   an address or port variable, e.g.\n"
	"                     --var HOME_NET=[10.0.0.0/8]\n"
	"  --json             EVE JSON on standard output\n"
	"\n"
	"exit status: 0 read, 1 error, 2 usage\n";

enum { OPT_RULES = 256, OPT_IOC, OPT_VAR, OPT_JSON };

static const struct option longopts[] = {
	{ "rules",	required_argument,	NULL,	OPT_RULES },
	{ "ioc",	required_argument,	NULL,	OPT_IOC },
	{ "var",	required_argument,	NULL,	OPT_VAR },
	{ "json",	no_argument,		NULL,	OPT_JSON },
	{ "help",	no_argument,		NULL,	'h' },
	{ NULL,		0,			NULL,	0 },
};

struct out {
	int		 json;
	int		 failed;	/* writing stdout failed */
};

static void
on_alert(void *ctx, const json_t *eve, const struct pkt *p,
    const struct net_alert *a)
{
	struct out	*o = ctx;
	int		 rc;

	if (o->failed)
		return;
	if (o->json) {
		rc = json_dumpf(eve, stdout, JSON_COMPACT) != 0 ||
		    putchar('\n') == EOF ? ERR_IO : 0;
	} else
		rc = eve_fast(stdout, p, a);
	if (rc != 0)
		o->failed = 1;
}

static double
mono_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
add(const char **list, size_t *n, const char *v, const char *what)
{
	if (*n == PATHS_MAX) {
		cli_usage(PROG, NULL, "more than %d %s", PATHS_MAX, what);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

/* Every file, in order, through one sensor. */
static int
read_files(struct netsensor *ns, char **files, int nfiles)
{
	struct capture	*c;
	char		 err[PCAP_ERRBUF_SIZE];
	int64_t		 last = 0;
	int		 i, rc;

	for (i = 0; i < nfiles; i++) {
		if (capture_open_file(&c, files[i], err) != 0) {
			log_warnx("%s: %s", files[i], err);
			return ERR_IO;
		}
		rc = capture_feed(c, ns, 0, err);
		if (capture_last_ts(c) > last)
			last = capture_last_ts(c);
		capture_close(c);
		if (rc < 0) {
			log_warnx("%s: %s", files[i], err);
			return ERR_IO;
		}
	}
	/* the end of the capture: what is still open is over */
	netsensor_tick(ns, last + (int64_t)3600 * 24 * 1000000);
	return 0;
}

int
pcap_cmd_run(int argc, char **argv, const struct pcap_cmd_defaults *d)
{
	const char			*rules[PATHS_MAX], *iocs[PATHS_MAX];
	const char			*vars[VARS_MAX + PATHS_MAX];
	size_t				 nrules = 0, niocs = 0, nvars = 0, i;
	int				 ch, given_rules = 0, given_iocs = 0, rc;
	struct out			 o = { 0 };
	struct netsensor_load_opts	 lo = { 0 };
	struct netsensor_load_stats	 ls;
	struct netsensor_rules		*nr = NULL;
	struct netsensor_conf		 conf;
	struct netsensor		*ns = NULL;
	struct netsensor_stats		 st;
	double				 t0, t1;

	for (i = 0; i < d->nvars && nvars < VARS_MAX; i++)
		vars[nvars++] = d->vars[i];
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_RULES:
			given_rules = 1;
			if (add(rules, &nrules, optarg, "--rules") != 0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_IOC:
			given_iocs = 1;
			if (add(iocs, &niocs, optarg, "--ioc") != 0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_VAR:
			if (strchr(optarg, '=') == NULL || *optarg == '=') {
				cli_usage(PROG, NULL, "--var '%s': want "
				    "NAME=VALUE", optarg);
				return CLI_EXIT_USAGE;
			}
			/* later ones win: the loader takes the last */
			if (add(vars, &nvars, optarg, "--var") != 0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return CLI_EXIT_OK;
		default:
			cli_hint(PROG, NULL);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_usage(PROG, NULL, "no FILE to read");
		return CLI_EXIT_USAGE;
	}
	for (i = 0; !given_rules && i < d->nrules && i < PATHS_MAX; i++)
		rules[nrules++] = d->rules[i];
	for (i = 0; !given_iocs && i < d->niocs && i < PATHS_MAX; i++)
		iocs[niocs++] = d->iocs[i];
	lo.rules = rules;
	lo.nrules = nrules;
	lo.iocs = iocs;
	lo.niocs = niocs;
	lo.vars = vars;
	lo.nvars = nvars;
	lo.cache_dir = d->cache_dir;
	if ((rc = netsensor_load(&nr, &lo, &ls)) != 0) {
		log_warnx("cannot load the rules and lists: %s",
		    vigil_strerror(rc));
		return cli_exit(rc);
	}
	netsensor_conf_defaults(&conf);
	if ((rc = netsensor_new(&ns, &conf, nr, on_alert, &o)) != 0) {
		log_warnx("cannot start the sensor: %s", vigil_strerror(rc));
		netsensor_rules_free(nr);
		return cli_exit(rc);
	}
	t0 = mono_s();
	rc = read_files(ns, argv + optind, argc - optind);
	t1 = mono_s();
	netsensor_stats(ns, &st);
	if (fflush(stdout) == EOF || o.failed) {
		log_warnx("writing the alerts failed");
		rc = ERR_IO;
	}
	fprintf(stderr, "%s: %llu packets (%llu not decoded) in %.3f s = "
	    "%.0f packets/s; %llu flows (%llu evicted); %llu alerts (rules "
	    "%llu, lists %llu, detectors %llu); %u rules loaded, %u skipped, "
	    "in %.3f s%s; %llu indicators\n", PROG,
	    (unsigned long long)st.pipe.frames,
	    (unsigned long long)st.pipe.undecodable, t1 - t0,
	    t1 > t0 ? (double)st.pipe.frames / (t1 - t0) : 0.0,
	    (unsigned long long)st.pipe.flows,
	    (unsigned long long)st.pipe.flows_evicted,
	    (unsigned long long)st.alerts,
	    (unsigned long long)st.alerts_rules,
	    (unsigned long long)st.alerts_ioc,
	    (unsigned long long)st.alerts_detectors,
	    ls.rules.loaded, ls.rules.skipped, ls.rules.load_seconds,
	    ls.rules.from_cache ? " (from cache)" : "",
	    (unsigned long long)(ls.iocs.ips + ls.iocs.cidrs +
	    ls.iocs.domains + ls.iocs.urls + ls.iocs.hashes));
	netsensor_free(ns);
	netsensor_rules_free(nr);
	return cli_exit(rc);
}
