/*
 * netpaths.c: the traffic rules, lists and variables the configuration
 * names (netmon_paths, netmon.h), for the daemon's file scanner, the
 * capture child and `vigil-agent pcap`: apart from netmon.c so that the
 * capture program links none of the daemon's side (the spool, the
 * event loop).
 *
 * Load: once per start or reload.
 */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "netmon.h"
#include "version.h"

/* The shipped folder: installed, else the source tree's, else none. */
static const char *
shipped(const char *installed, const char *source, const char *what)
{
	if (access(installed, R_OK) == 0)
		return installed;
	if (access(source, R_OK) == 0)
		return source;
	log_warnx("no shipped %s (%s)", what, installed);
	return NULL;
}

void
netmon_paths(struct netmon_paths *p, const struct agent_config *cfg)
{
	int	i;

	memset(p, 0, sizeof(*p));
	p->nrules = config_paths(&cfg->net_rules, cfg->net_local_rules,
	    cfg->net_rules.n > 0 ? NULL : shipped(VIGIL_TRAFFIC_INSTALLED,
	    VIGIL_TRAFFIC_SOURCE, "traffic rules"), p->rules);
	p->niocs = config_paths(&cfg->net_ioc, cfg->net_local_ioc,
	    cfg->net_ioc.n > 0 ? NULL : shipped(VIGIL_IOC_INSTALLED,
	    VIGIL_IOC_SOURCE, "indicator lists"), p->iocs);
	for (i = 0; i < cfg->net_vars.n; i++)
		p->vars[p->nvars++] = cfg->net_vars.item[i];
}
