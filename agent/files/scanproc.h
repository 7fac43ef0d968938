/*
 * scanproc.h: the daemon's side of the scan worker (scanworker.h).
 *
 * A struct scanproc is one worker process, running one rule set, and N
 * channels (sockets) to it: up to N scans at once, from any threads. A
 * scan takes a free channel (or waits for one), passes the descriptor
 * the caller opened with SCM_RIGHTS, and waits for the RESULT with the
 * same request id. A worker that dies, sends anything scanmsg_parse
 * refuses, answers with another id, or does not answer within twice the
 * per-file timeout and 5 s, is killed; the scans it had in flight get a
 * SCAN_ERROR verdict ("the scan worker ended ...", docs/events.md), and
 * the next scan starts a new worker: at once the first time, then after
 * 1 s doubling to 30 s while workers keep failing without a verdict in
 * between. A new worker reads the rules again (from the compiled cache
 * when they are unchanged): the daemon reads the rule files and opens
 * the cache, as root, and passes descriptors (scanner.h); the worker
 * parses them as the [agent] user with no capability.
 *
 * The rule set belongs to the object: a reload makes a new scanproc
 * (whose worker compiles the new rules) and frees the old one when its
 * last scan is done; one whose worker cannot load a rule file fails,
 * and the caller keeps the one it has.
 *
 * Process: the daemon. Errors are enum vigil_err.
 */
#ifndef VIGIL_SCANPROC_H
#define VIGIL_SCANPROC_H

#include "scanmsg.h"

struct scanproc;

struct scanproc_conf {
	const char	*program;	/* vigil-scan */
	const char	*config;	/* -c FILE, NULL: the default */
	const char	*data_dir;	/* --data-dir */
	const char *const *rule_paths;	/* rule files and folders, as
					 * config_rules_paths() gives them;
					 * copied */
	size_t		 nrule_paths;	/* 1.. */
	const char	*cache_dir;	/* compiled rules; NULL: none */
	int		 verbose;
	int		 channels;	/* scans at once, 1.. */
	int		 sha256_all;	/* the worker hashes every file read */
	int		 timeout_s;	/* the per-file timeout, 0: none */
};

/* Start the worker and wait until it says READY (compiling may take a
 * minute). ERR_NOTFOUND (no rule file loaded, or the worker died before
 * READY), ERR_NOMEM, ERR_IO, ERR_TOOBIG (a path too long). */
int	scanproc_new(struct scanproc **out, const struct scanproc_conf *);
/* Stops the worker. No scan may be running. Takes NULL. */
void	scanproc_free(struct scanproc *);
/* What the first worker loaded. */
const struct scanmsg_ready *scanproc_rules(const struct scanproc *);

/*
 * Scan the regular file open on fd (not closed), reported under path,
 * whose owner is named owner. Any thread. out->r is the verdict, its
 * path the one given; free it with scanmsg_result_free(). 0: the
 * worker's verdict; ERR_IO: the worker failed (out->r is the SCAN_ERROR
 * or SCAN_STALLED verdict that says so).
 */
int	scanproc_scan(struct scanproc *, struct scanmsg_result *out, int fd,
	    const char *path, const char *owner);

/* Counters for the heartbeat. */
struct scanproc_stats {
	uint64_t	 restarts;	/* workers that died or were killed */
	uint64_t	 lost;		/* scans they took with them */
	int		 pid;		/* the running worker, 0: none */
};
void	scanproc_stats(struct scanproc *, struct scanproc_stats *out);

/* Test builds: have the worker try what its sandbox must refuse
 * (scanmsg.h PROBE). 0 and *err its errno; ERR_IO and *sig the signal
 * that killed it (SIGSYS: seccomp). */
int	scanproc_probe(struct scanproc *, uint32_t what, int *err, int *sig);

#endif
