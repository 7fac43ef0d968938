/*
 * sandbox.c: dropping root and narrowing the calls of a child process
 * (sandbox.h). Any failure is the caller's to make fatal.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <linux/capability.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "priv.h"
#include "sandbox.h"

#define FALLBACK_USER	"nobody"

/* The user to become: the configured one, or nobody. */
static const char *
pick_user(const char *who, const char *want)
{
	struct passwd	*pw = NULL;

	if (want[0] != '\0' && (pw = getpwnam(want)) != NULL &&
	    pw->pw_uid != 0)
		return want;
	if (want[0] != '\0')
		log_warnx("%s: user %s: %s; running as %s (create %s as a "
		    "system user)", who, want, pw == NULL ? "no such user" :
		    "is root", FALLBACK_USER, want);
	return FALLBACK_USER;
}

/* Root's bounding set emptied: nothing this process or an image it
 * could ever run may gain a capability again. */
static int
drop_bounding(void)
{
	int	cap;

	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return ERR_IO;
	return 0;
}

static int
caps_clear(void)
{
	struct __user_cap_header_struct	h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	d[2];
	size_t				i;

	memset(d, 0, sizeof(d));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 ||
	    syscall(SYS_capset, &h, d) == -1 ||
	    syscall(SYS_capget, &h, d) == -1)
		return ERR_IO;
	for (i = 0; i < 2; i++)
		if (d[i].effective != 0 || d[i].permitted != 0 ||
		    d[i].inheritable != 0)
			return ERR_IO;
	return 0;
}

/* 1 if this process may switch users: root, or a service user holding
 * CAP_SETUID (the agent under its unit, with ambient capabilities). */
static int
may_switch(void)
{
	struct __user_cap_header_struct	h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	d[2];

	if (geteuid() == 0)
		return 1;
	memset(d, 0, sizeof(d));
	return syscall(SYS_capget, &h, d) == 0 &&
	    (d[CAP_TO_INDEX(CAP_SETUID)].effective & CAP_TO_MASK(CAP_SETUID));
}

int
sandbox_enter(const char *who, const char *user, pid_t parent)
{
	const char	*as = NULL;

	if (may_switch()) {
		as = pick_user(who, user);
		if (drop_bounding() != 0 || priv_become(as) != 0) {
			log_warn("%s: dropping privileges", who);
			return ERR_IO;
		}
	}
	/* every capability gone before the check that uid 0 cannot be
	 * regained: a service user's switch does not clear them */
	if (caps_clear() != 0 || (as != NULL && priv_check_dropped(as) != 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 ||
	    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1) {
		log_warn("%s: dropping capabilities", who);
		return ERR_IO;
	}
	if (getppid() != parent)	/* it died before PDEATHSIG was set */
		return ERR_IO;
	return 0;
}

int
sandbox_unprivileged(void)
{
	struct __user_cap_header_struct	h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	d[2];
	uid_t				ru, eu, su;
	gid_t				rg, eg, sg;

	memset(d, 0, sizeof(d));
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    syscall(SYS_capget, &h, d) == -1)
		return 0;
	return ru != 0 && eu != 0 && su != 0 && rg != 0 && eg != 0 &&
	    sg != 0 && d[0].effective == 0 && d[0].permitted == 0 &&
	    d[1].effective == 0 && d[1].permitted == 0 &&
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
}

static int
add_rules(scmp_filter_ctx sc, const struct sandbox_rule *rules, size_t n)
{
	struct scmp_arg_cmp	cmp;
	size_t			i;
	int			rc;

	for (i = 0; i < n; i++) {
		memset(&cmp, 0, sizeof(cmp));
		cmp.arg = rules[i].arg;
		cmp.op = rules[i].op;
		cmp.datum_a = rules[i].a;
		cmp.datum_b = rules[i].b;
		if ((rc = seccomp_rule_add_array(sc, rules[i].action,
		    rules[i].nr, rules[i].nargs, &cmp)) != 0)
			return rc;
	}
	return 0;
}

int
sandbox_seccomp(const char *who, const struct sandbox_rule *rules, size_t n)
{
	scmp_filter_ctx	sc;
	int		rc;

	if ((sc = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return ERR_NOMEM;
	if ((rc = add_rules(sc, rules, n)) == 0)
		rc = seccomp_load(sc);
	seccomp_release(sc);
	if (rc != 0) {
		log_warnx("%s: seccomp filter: %s", who, strerror(-rc));
		return ERR_IO;
	}
	return 0;
}

#ifdef VIGIL_TEST_HOOKS
int
sandbox_probe(int what, int sock)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	char *const		 av[] = { (char *)(uintptr_t)"/bin/true", NULL };
	int			 fd;

	errno = 0;
	switch (what) {
	case SANDBOX_PROBE_OPEN:
		if ((fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC)) != -1)
			(void)close(fd);
		break;
	case SANDBOX_PROBE_SOCKET:
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1)
			(void)close(fd);
		break;
	case SANDBOX_PROBE_CONNECT:
		(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "/dev/log");
		(void)connect(sock, (struct sockaddr *)&sun, sizeof(sun));
		break;
	case SANDBOX_PROBE_EXEC:
		(void)execve(av[0], av, av + 1);
		break;
	default:
		errno = EINVAL;
	}
	return errno;
}
#endif
