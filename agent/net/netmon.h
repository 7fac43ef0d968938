/*
 * netmon.h: live capture in the agent daemon: the capture child and the
 * daemon's side of it.
 *
 * `vigil-agent run` with [network] enabled starts one capture child:
 * `vigil-capture capture-child`, a program of its own that links the
 * packet path and nothing of the daemon's (fork and exec, so it inherits
 * neither the agent key nor the spool nor any descriptor but its
 * socket), which opens the capture on each interface and reads the
 * traffic rules and lists as root, then keeps nothing of root before it
 * parses them: no user or group of root's, no capability (not even
 * CAP_NET_RAW: the socket is open), no new privileges, a seccomp filter
 * that allows the packet loop's system calls only (netchild.c). Its alerts come back as EVE JSON over a
 * socket pair (netmsg.h); the daemon checks each as untrusted input and
 * appends it to the spool, like every other event. Its capture
 * statistics go into the heartbeat.
 *
 * A child that dies or goes silent is restarted, after a back-off that
 * grows while it keeps failing. SIGHUP starts a child with the rules as
 * they are now; the running one keeps capturing until the new one is
 * ready, and stays if the new one fails (cannot read its rules, a bad
 * variable) or loads no rule or indicator where the running one had
 * some. With no interface configured, the capture follows the default
 * route's interface (looked at every few seconds).
 *
 * Everything here runs on the daemon's event loop thread.
 */
#ifndef VIGIL_NETMON_H
#define VIGIL_NETMON_H

#include <event2/event.h>
#include <jansson.h>

#include "config.h"

struct spool;
struct netmon;

/* How the child is started: the options the daemon was started with. */
struct netmon_exec {
	const char	*config;	/* -c, NULL: the default file */
	int		 verbose;
	const char	*cache_dir;	/* compiled rules, NULL: none */
	const char	*program;	/* the capture program, vigil-capture:
					 * an absolute path */
};

/* Start the capture (if cfg->net_enabled); spool: the daemon's handle
 * (events are appended on the loop thread); kick after events were
 * spooled. 0 and *out (a capture that cannot start now is retried and
 * said in the health; one whose filter does not compile is not, until a
 * reload), ERR_NOMEM, ERR_TOOBIG (a path too long). */
int	netmon_new(struct netmon **out, struct event_base *,
	    const struct agent_config *cfg, const struct netmon_exec *,
	    struct spool *spool, void (*kick)(void *), void *kick_arg);
/* SIGHUP: the [network] settings and rules as they are now. */
void	netmon_reload(struct netmon *, const struct agent_config *cfg);
/* For the heartbeat: {"network": {...}}, a new object. */
json_t	*netmon_health(void *netmon);
/* Test builds: ask the running child to try what (sandbox.h), on the
 * loop thread, waiting up to a few seconds for its answer (its alerts and
 * counters meanwhile are taken as usual). 0 and *err the errno the call
 * got; ERR_IO, the child ended (killed by signal *sig, 0 if it exited)
 * and is restarted as any child that ends; ERR_EXPIRED, no answer (the
 * child is killed and restarted); ERR_STATE, no child running. A child
 * of a build without the hooks ends (exit 0) at its first PROBE. */
int	netmon_probe(struct netmon *, uint32_t what, int *err, int *sig);
/* Stops the children (SIGTERM, then SIGKILL after a second). */
void	netmon_free(struct netmon *);		/* takes NULL */

/* The traffic rules, lists and variables the configuration names, as
 * netsensor_load takes them: the configured ones, or the shipped folder
 * when none is configured (left out, logged, when it is not there),
 * then the local folder when it exists. Shared with `vigil-agent pcap`.
 * The strings are the configuration's: it must outlive them. */
struct netmon_paths {
	const char	*rules[CONFIG_LIST_MAX + 1];
	size_t		 nrules;
	const char	*iocs[CONFIG_LIST_MAX + 1];
	size_t		 niocs;
	const char	*vars[CONFIG_LIST_MAX];
	size_t		 nvars;
};
void	netmon_paths(struct netmon_paths *, const struct agent_config *);

#endif
