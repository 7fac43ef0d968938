/*
 * sandbox.c: dropping root and narrowing the calls of a child process
 * (sandbox.h). Any failure is the caller's to make fatal.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
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

int
sandbox_enter(const char *who, const char *user, pid_t parent)
{
	if (geteuid() == 0 && (drop_bounding() != 0 ||
	    priv_drop(pick_user(who, user)) != 0)) {
		log_warn("%s: dropping root", who);
		return ERR_IO;
	}
	if (caps_clear() != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
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
