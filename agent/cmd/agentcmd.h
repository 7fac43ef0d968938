/*
 * agentcmd.h: what the agent's two programs share on their command
 * line: vigil-agent (the daemon and the commands for people) and
 * vigil-capture (the capture child and the commands that read traffic:
 * pcap, rules), which vigil-agent runs for those commands.
 *
 * Two programs so that each process maps only the libraries its job
 * calls: the daemon never loads Hyperscan, PCRE2, libpcap (and its
 * D-Bus, systemd and libgcrypt) or libseccomp; the capture child never
 * loads YARA, SQLite or libevent (docs/architecture.md).
 */
#ifndef VIGIL_AGENTCMD_H
#define VIGIL_AGENTCMD_H

#include <stddef.h>

#include "config.h"

#define AGENTCMD_PROG		"vigil-agent"
#define AGENTCMD_CAPTURE	"vigil-capture"
#define AGENTCMD_SCAN		"vigil-scan"	/* the scan worker */
#define AGENTCMD_UPLINK		"vigil-uplink"	/* the uplink worker */
/* The packaged daemon's user (etc/systemd/vigil-agent.service): root's
 * commands that share the daemon's spool (enroll, status, emit) accept
 * a data directory of its, and enroll gives it what it creates. */
#define AGENTCMD_SERVICE_USER	"vigil-agent"

/* The global options, accepted before and after the command word. */
struct agentcmd_globals {
	const char	*config;	/* -c, NULL: the default path */
	const char	*data_dir;	/* --data-dir, NULL: from config */
	int		 verbose;
};

/* A program's first steps: umask 077, memset *g, the log on stderr,
 * then agentcmd_take_globals. */
int		 agentcmd_begin(struct agentcmd_globals *, int *argcp,
		    char **argv);
/* A worker program (vigil-scan, vigil-uplink), after agentcmd_begin:
 * argv[1] must be cmd (else usage_exit, said), libsodium is initialised
 * (else nomem_exit), the configuration read into *cfg. 0, or the exit
 * status to return. */
int		 agentcmd_worker(struct agent_config *cfg,
		    const struct agentcmd_globals *, int argc, char **argv,
		    const char *cmd, int usage_exit, int nomem_exit);
/* Takes the global options out of argv[1..*argcp) (the command parses
 * the rest afresh); 0 or ERR_USAGE (said). */
int		 agentcmd_take_globals(struct agentcmd_globals *, int *argcp,
		    char **argv);
/* The configuration file with the options over it, and the log; 0 or
 * the error (said). */
int		 agentcmd_setup(struct agent_config *,
		    const struct agentcmd_globals *);
/* The compiled rules' cache in the data directory, or NULL when there is
 * no writable one (the one-shot commands work without it). */
const char	*agentcmd_rules_cache(char *buf, size_t len,
		    const struct agent_config *);
/*
 * The path of helper program name (vigil-scan, vigil-capture: run by
 * vigil-agent only, never by people): in VIGIL_HELPERDIR
 * (/usr/libexec/vigil) when this program is the installed one (in
 * VIGIL_BINDIR), else beside this program (a build tree). 0, ERR_IO (no
 * /proc) or ERR_TOOBIG. agentcmd_helper_path() is the rule, given this
 * program's path (self).
 */
int		 agentcmd_helper(char *buf, size_t len, const char *name);
int		 agentcmd_helper_path(char *buf, size_t len, const char *self,
		    const char *name);

#endif
