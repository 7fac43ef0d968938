/*
 * agentcmd.c: the agent programs' shared command line (agentcmd.h).
 *
 * Load: once per command.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agentcmd.h"
#include "cli.h"
#include "datadir.h"
#include "err.h"
#include "log.h"
#include "pathset.h"

int
agentcmd_begin(struct agentcmd_globals *g, int *argcp, char **argv)
{
	umask(077);
	memset(g, 0, sizeof(*g));
	log_init(AGENTCMD_PROG, LOG_LVL_INFO, 0);
	return agentcmd_take_globals(g, argcp, argv);
}

int
agentcmd_worker(struct agent_config *cfg, const struct agentcmd_globals *g,
    int argc, char **argv, const char *cmd, int usage_exit, int nomem_exit)
{
	int	rc;

	if (argc < 2 || strcmp(argv[1], cmd) != 0) {
		log_warnx("%s: want the command %s (run by the daemon)",
		    argv[0], cmd);
		return usage_exit;
	}
	if (sodium_init() < 0) {
		log_warnx("cannot initialise libsodium");
		return nomem_exit;
	}
	if ((rc = agentcmd_setup(cfg, g)) != 0)
		return cli_exit(rc);
	return 0;
}

int
agentcmd_take_globals(struct agentcmd_globals *g, int *argcp, char **argv)
{
	int	i, j, argc = *argcp;

	for (i = j = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (i < argc)
				argv[j++] = argv[i++];
			break;
		}
		if ((strcmp(a, "--data-dir") == 0 || strcmp(a, "-c") == 0 ||
		    strcmp(a, "--config") == 0)) {
			if (i + 1 >= argc)
				return cli_usage(AGENTCMD_PROG, argv[0],
				    "%s needs a value", a);
			if (a[1] == 'c' || a[2] == 'c')
				g->config = argv[++i];
			else
				g->data_dir = argv[++i];
		} else if (strncmp(a, "--data-dir=", 11) == 0) {
			g->data_dir = a + 11;
		} else if (strncmp(a, "--config=", 9) == 0) {
			g->config = a + 9;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			g->verbose = 1;
		} else {
			argv[j++] = argv[i];
		}
	}
	argv[j] = NULL;
	*argcp = j;
	return 0;
}

int
agentcmd_setup(struct agent_config *cfg, const struct agentcmd_globals *g)
{
	int	n, rc;

	if ((rc = config_load_agent(cfg, g->config)) != 0)
		return rc;
	if (g->data_dir != NULL) {
		n = snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s",
		    g->data_dir);
		if (n < 0 || (size_t)n >= sizeof(cfg->data_dir)) {
			log_warnx("--data-dir: path too long");
			return ERR_USAGE;
		}
	}
	if (g->verbose)
		cfg->log_level = LOG_LVL_DEBUG;
	log_init(AGENTCMD_PROG, cfg->log_level, 0);
	return 0;
}

const char *
agentcmd_rules_cache(char *buf, size_t len, const struct agent_config *cfg)
{
	return pathset_join(buf, len, cfg->data_dir, "rules-cache") == 0 &&
	    access(cfg->data_dir, W_OK) == 0 &&
	    datadir_check(cfg->data_dir, 0, NULL) == 0 ? buf : NULL;
}

int
agentcmd_helper_path(char *buf, size_t len, const char *self,
    const char *name)
{
	const char	*slash;
	size_t		 dlen;
	int		 w;

	if ((slash = strrchr(self, '/')) == NULL)
		return ERR_IO;
	dlen = (size_t)(slash - self);
	if (dlen > INT_MAX)
		return ERR_TOOBIG;
	if (strlen(VIGIL_BINDIR) == dlen &&
	    strncmp(self, VIGIL_BINDIR, dlen) == 0)
		w = snprintf(buf, len, "%s/%s", VIGIL_HELPERDIR, name);
	else
		w = snprintf(buf, len, "%.*s/%s", (int)dlen, self, name);
	if (w < 0 || (size_t)w >= len)
		return ERR_TOOBIG;
	return 0;
}

int
agentcmd_helper(char *buf, size_t len, const char *name)
{
	char	self[PATH_MAX];
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1) {
		log_warn("/proc/self/exe");
		return ERR_IO;
	}
	self[n] = '\0';
	return agentcmd_helper_path(buf, len, self, name);
}
