/*
 * datadir.c: the one check every program makes of its data directory.
 *
 * The data directory holds the private key, the spool, the store and the
 * baselines. Whoever can write into it can swap any of them for a link to
 * something else, so it must be a real directory (not a symlink), owned by
 * the user the program runs as (or the service user it is handed to), and
 * writable by nobody else. The check is made on a descriptor opened with
 * O_NOFOLLOW | O_DIRECTORY, so what is checked is what is used. Read or
 * search access for group and others is removed (with a log line); write
 * access for them is refused, because files may already have been planted.
 * Cost: one open, one fstat, at start-up only.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "datadir.h"
#include "err.h"
#include "log.h"

/* The uid of user, or -1 (logged) when it does not exist. */
static int
user_uid(uid_t *out, const char *user)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user %s: no such user", user);
		return ERR_NOTFOUND;
	}
	*out = pw->pw_uid;
	return 0;
}

static int
check_owner(const char *dir, const struct stat *st, const char *user)
{
	uid_t	uid;

	if (st->st_uid == geteuid())
		return 0;
	if (user != NULL && user[0] != '\0' && user_uid(&uid, user) == 0 &&
	    st->st_uid == uid)
		return 0;
	log_warnx("data directory %s belongs to uid %u, not to this user "
	    "(uid %u)%s%s: refusing to use it", dir, (unsigned)st->st_uid,
	    (unsigned)geteuid(), user != NULL && user[0] != '\0' ?
	    " or " : "", user != NULL ? user : "");
	return ERR_IO;
}

int
datadir_check(const char *dir, int create, const char *user)
{
	struct stat	st;
	int		fd = -1, rc = ERR_IO;

	if (create && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("data directory %s", dir);
		return ERR_IO;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return ERR_NOTFOUND;
		if (errno == ELOOP || errno == ENOTDIR)
			log_warnx("data directory %s: not a directory (a "
			    "symbolic link or a file): refusing to use it",
			    dir);
		else
			log_warn("data directory %s", dir);
		return ERR_IO;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("data directory %s", dir);
		goto done;
	}
	if (check_owner(dir, &st, user) != 0)
		goto done;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("data directory %s is writable by others (mode "
		    "%04o): refusing to use it; check what is in it, then "
		    "chmod 700 %s", dir, (unsigned)(st.st_mode & 07777), dir);
		goto done;
	}
	if ((st.st_mode & 077) != 0) {
		if (fchmod(fd, st.st_mode & 07700) == -1) {
			log_warn("data directory %s: chmod", dir);
			goto done;
		}
		log_info("data directory %s: mode %04o tightened to %04o", dir,
		    (unsigned)(st.st_mode & 07777),
		    (unsigned)(st.st_mode & 07700));
	}
	rc = 0;
done:
	close(fd);
	return rc;
}
