/*
 * priv.c: dropping root once privileged set-up (binding, opening files
 * in root-owned places) is done.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "priv.h"

int
priv_become(const char *user)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user %s: no such user (create it as a system user, "
		    "or change 'user' in the configuration)", user);
		return ERR_IO;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_warn("dropping privileges to %s", user);
		return ERR_IO;
	}
	log_info("running as %s (uid %u)", user, (unsigned)pw->pw_uid);
	return 0;
}

int
priv_check_dropped(const char *user)
{
	if (getuid() != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		log_warnx("dropping privileges to %s: root regained", user);
		return ERR_IO;
	}
	return 0;
}

int
priv_drop(const char *user)
{
	int	rc;

	if ((rc = priv_become(user)) != 0)
		return rc;
	return priv_check_dropped(user);
}

int
priv_chown(const char *path, const char *user)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user %s: no such user", user);
		return ERR_IO;
	}
	if (lchown(path, pw->pw_uid, pw->pw_gid) == -1 && errno != ENOENT) {
		log_warn("chown %s to %s", path, user);
		return ERR_IO;
	}
	return 0;
}
