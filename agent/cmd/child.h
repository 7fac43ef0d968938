/*
 * child.h: starting the agent's worker programs (vigil-uplink; the scan
 * worker and the capture child have their own, with more descriptors)
 * and saying how one ended.
 */
#ifndef VIGIL_CHILD_H
#define VIGIL_CHILD_H

#include <stddef.h>
#include <sys/types.h>

/* How a child ended (a wait status), for the log: "exit 3", "killed by
 * signal 6 (Aborted)". */
void	child_status(char *buf, size_t len, int status);

/* fork and exec path with argv av, sock as descriptor at in the child
 * (every other descriptor of ours is close-on-exec). The child's pid, or
 * -1 (logged). */
pid_t	child_spawn(const char *path, const char *const av[], int sock,
	    int at);

#endif
