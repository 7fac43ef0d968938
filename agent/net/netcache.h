/*
 * netcache.h: the compiled traffic rules on disk (Hyperscan databases,
 * prefilter.h), a file per rule set in the agent's rules-cache folder.
 *
 * A set's file is CACHE/net-KEY.hsdb, KEY the hash of the raw bytes of
 * the rule files and the variables (ruleset_key): computed before any of
 * them is parsed, by the side that still holds root, so that no parser
 * ever chooses the name it writes under. A process that parses rules is
 * handed descriptors (struct netcache_fds), never the folder: the set of
 * its key to read, if there is one, and an empty private file to save a
 * new one into, CACHE/.net-KEY.PID (PID: the process that offered it).
 * Whoever keeps root afterwards takes that file once the load succeeded
 * (netcache_take: written, it becomes net-KEY.hsdb, the NETCACHE_KEEP
 * most recently used sets are kept; empty, it is removed) or drops it
 * (netcache_drop). The capture child offers as root and drops root
 * before it parses; the daemon takes after its READY (netmon.c).
 * `vigil-agent pcap` does both itself.
 *
 * What is in a file is checked by its reader (prefilter.c) as untrusted;
 * here only names, owners, modes and sizes are looked at: the folder and
 * its files must be ours and writable by nobody else, or nothing in it
 * is offered.
 *
 * Errors: best effort, logged: a cache that cannot be used costs a
 * compile. Any process; takes and drops run on the daemon's loop thread.
 */
#ifndef VIGIL_NETCACHE_H
#define VIGIL_NETCACHE_H

#include <sys/types.h>

#define NETCACHE_KEY_LEN	64		/* lower-case hex */
#define NETCACHE_KEEP		4
#define NETCACHE_FILE_MAX	(512UL << 20)

struct netcache_fds {
	int	in;		/* the set of the key, read-only; -1: none */
	int	out;		/* empty, to save into; -1: none */
};

/* fds for no cache at all */
void	netcache_none(struct netcache_fds *);
/* Makes dir (0700) if missing. 0, or ERR_IO (fds->in may still be
 * open): close them with netcache_close either way. */
int	netcache_offer(struct netcache_fds *, const char *dir,
	    const char key[static NETCACHE_KEY_LEN + 1], pid_t owner);
void	netcache_close(struct netcache_fds *);
void	netcache_take(const char *dir, pid_t owner);
/* owner 0: every file offered and not taken (at the daemon's start) */
void	netcache_drop(const char *dir, pid_t owner);
/* take if ok, else drop: a process that offered to itself */
void	netcache_done(const char *dir, pid_t owner, int ok);

#endif
