/*
 * sandbox.h: how the agent's children shut themselves in (the capture
 * child, netchild.c; the scan worker, scanworker.c; the uplink worker,
 * upworker.c).
 *
 * sandbox_enter(): as root, or as a service user holding CAP_SETUID (the
 * agent under its unit), the capability bounding set emptied and the
 * user and groups switched to user's (nobody when user is "" or does
 * not exist, or is root); then, as anyone, every capability cleared
 * and checked clear, uid 0 checked out of reach, no_new_privs, not
 * dumpable (no ptrace, no core), SIGTERM when the parent dies, and a
 * check that the parent did not die before that. sandbox_seccomp(): a libseccomp filter whose
 * default is to kill the process, with the calls in rules allowed (or
 * answered with an error). Both log what failed, under who; ERR_IO,
 * ERR_NOMEM. Called by the child, once, before it touches anything it
 * was started to handle.
 */
#ifndef VIGIL_SANDBOX_H
#define VIGIL_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <unistd.h>

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

/* The calls every worker's filter allows, to put among its rules:
 * memory that is never executable, futexes, signal returns and masks
 * (abort()'s among them), exits, its own ids, clocks, random bytes, the
 * log (writev to stderr; sendto, for the socket openlog connected, only
 * when use_syslog); open and openat are answered EACCES (glibc and the
 * sanitizers look for files). write is each worker's own rule. */
#define SANDBOX_COMMON(use_syslog)					\
	SANDBOX_ALLOW(brk), SANDBOX_ALLOW(munmap), SANDBOX_ALLOW(mremap),	\
	SANDBOX_ALLOW(madvise),						\
	SANDBOX_ALLOW_IF(mmap, 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),	\
	SANDBOX_ALLOW_IF(mprotect, 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),	\
	SANDBOX_ALLOW(futex),						\
	SANDBOX_ALLOW(rt_sigreturn), SANDBOX_ALLOW(rt_sigprocmask),	\
	SANDBOX_ALLOW(sigaltstack), SANDBOX_ALLOW(exit),		\
	SANDBOX_ALLOW(exit_group), SANDBOX_ALLOW(getpid),		\
	SANDBOX_ALLOW(gettid), SANDBOX_ALLOW(tgkill),			\
	SANDBOX_ALLOW(clock_gettime), SANDBOX_ALLOW(gettimeofday),	\
	SANDBOX_ALLOW(getrandom),					\
	SANDBOX_ALLOW_IF(writev, 0, SCMP_CMP_EQ, STDERR_FILENO, 0),	\
	{ SCMP_SYS(sendto), (use_syslog) ? SCMP_ACT_ALLOW :		\
	    SCMP_ACT_ERRNO(EACCES), 0, 0, 0, 0, 0 },			\
	SANDBOX_ERRNO(openat, EACCES), SANDBOX_ERRNO(open, EACCES)

int	sandbox_enter(const char *who, const char *user, pid_t parent);
/* 1 if no user, group or capability of root's is left and none can be
 * gained (no_new_privs): what a child checks before it parses (tests). */
int	sandbox_unprivileged(void);
int	sandbox_seccomp(const char *who, const struct sandbox_rule *rules,
	    size_t n);

/* What a test build's PROBE asks a child to try (scanmsg.h, netmsg.h):
 * each is a call its filter must refuse. */
enum sandbox_probe {
	SANDBOX_PROBE_OPEN = 1,		/* open("/etc/hostname") */
	SANDBOX_PROBE_SOCKET,		/* socket(AF_INET, SOCK_STREAM) */
	SANDBOX_PROBE_CONNECT,		/* connect() of sock, an AF_UNIX
					 * socket the child holds, to
					 * "/dev/log" */
	SANDBOX_PROBE_EXEC,		/* execve("/bin/true") */
	SANDBOX_PROBE_MAX = SANDBOX_PROBE_EXEC,
};

/* Test builds (VIGIL_TEST_HOOKS) only: try what, and return the errno
 * it got (0: it worked; a filter that kills never returns). Without a
 * filter, as an unprivileged user: 0, 0, what a connect to /dev/log
 * gets (no such file, a datagram socket, or sock already connected),
 * and the exec replaces the process with true(1). */
int	sandbox_probe(int what, int sock);

#endif
