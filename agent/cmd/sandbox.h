/*
 * sandbox.h: how the agent's children shut themselves in (the capture
 * child, netchild.c; the scan worker, scanworker.c).
 *
 * sandbox_enter(): as root, the capability bounding set emptied and
 * root's user and groups dropped for user's (nobody when user is "" or
 * does not exist, or is root); then, as anyone, every capability
 * cleared and checked clear, no_new_privs, not dumpable (no ptrace, no
 * core), SIGTERM when the parent dies, and a check that the parent did
 * not die before that. sandbox_seccomp(): a libseccomp filter whose
 * default is to kill the process, with the calls in rules allowed (or
 * answered with an error). Both log what failed, under who; ERR_IO,
 * ERR_NOMEM. Called by the child, once, before it touches anything it
 * was started to handle.
 */
#ifndef VIGIL_SANDBOX_H
#define VIGIL_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <seccomp.h>

/* A call allowed, or answered with an error, when its argument arg
 * (nargs 1) compares as op with a and b (SCMP_CMP_EQ: == a;
 * SCMP_CMP_MASKED_EQ: & a == b). */
struct sandbox_rule {
	int		 nr;
	uint32_t	 action;
	unsigned	 nargs, arg;
	enum scmp_compare op;
	scmp_datum_t	 a, b;
};

#define SANDBOX_ALLOW(name)						\
	{ SCMP_SYS(name), SCMP_ACT_ALLOW, 0, 0, 0, 0, 0 }
#define SANDBOX_ALLOW_IF(name, arg, op, a, b)				\
	{ SCMP_SYS(name), SCMP_ACT_ALLOW, 1, arg, op, a, b }
#define SANDBOX_ERRNO(name, e)						\
	{ SCMP_SYS(name), SCMP_ACT_ERRNO(e), 0, 0, 0, 0, 0 }

int	sandbox_enter(const char *who, const char *user, pid_t parent);
/* 1 if no user, group or capability of root's is left and none can be
 * gained (no_new_privs): what a child checks before it parses (tests). */
int	sandbox_unprivileged(void);
int	sandbox_seccomp(const char *who, const struct sandbox_rule *rules,
	    size_t n);

#endif
