/*
 * filemon.h: the agent's file activity: the watcher, YARA scanning of new
 * and changed files, and file integrity, feeding events into the spool.
 *
 * Runs inside `vigil-agent run`. The watcher and the debounce table live
 * on the event loop; scans run in a bounded pool of worker threads; the
 * integrity baseline and checks run in one thread of their own. Each of
 * those threads appends its events to the spool (DATA_DIR/spool.db)
 * through a handle of its own, before it records anything that would
 * keep the event from being made again, then wakes the uplink. Nothing is
 * skipped silently: a file that cannot be scanned gives a scan event
 * saying why (too big, timed out, unreadable, not a regular file or
 * reached through a symbolic link, on a file system not entered, path
 * too long, stalled), a lost watcher event gives a rescan, a full queue
 * waits rather than drops. A file gone before its turn is only counted.
 * A worker stuck in the kernel on one file for twice the per-file
 * timeout is given up and replaced (filemon.c says how).
 */
#ifndef VIGIL_FILEMON_H
#define VIGIL_FILEMON_H

#include <event2/event.h>
#include <jansson.h>

#include "config.h"

struct filemon;

/* data_dir: the agent's (scan cache, compiled rules, integrity baseline).
 * default_rules: the rules used when cfg->rules is empty. kick is called
 * (on the loop) after events were spooled. 0 and *out, or an error
 * (ERR_IO: the spool or data folder; ERR_NOTFOUND: no rules load;
 * ERR_NOMEM: a thread cannot be started; ERR_CONFIG; ERR_TOOBIG) with
 * *out NULL and nothing left running. */
int	filemon_new(struct filemon **out, struct event_base *,
	    const struct agent_config *cfg, const char *data_dir,
	    const char *default_rules, void (*kick)(void *), void *kick_arg);
/* The same with YARA in a scan worker process (scanproc.h): ex names
 * vigil-scan and what it is started with (ex NULL or ex->program NULL:
 * in this process, as filemon_new). */
struct filemon_exec {
	const char	*program;	/* vigil-scan */
	const char	*config;	/* -c FILE; NULL: the default */
	int		 verbose;
};
int	filemon_new_exec(struct filemon **out, struct event_base *,
	    const struct agent_config *cfg, const char *data_dir,
	    const char *default_rules, void (*kick)(void *), void *kick_arg,
	    const struct filemon_exec *ex);
/* SIGHUP: reload the rules (the last good ones stay if all fail). */
void	filemon_reload(struct filemon *, const struct agent_config *cfg);
/* For the heartbeat: {"rules": {...}, "files": {...}}, a new object. */
json_t	*filemon_health(void *filemon);
void	filemon_free(struct filemon *);		/* takes NULL */

#endif
