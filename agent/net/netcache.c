/*
 * netcache.c: the compiled traffic rules' files (netcache.h).
 *
 * Every call works through a descriptor of the folder, opened without
 * following a link and checked to be ours and closed to others; names
 * are built here from a key checked to be 64 hex digits and a pid, so a
 * name read back from the folder is only acted on when it parses as one
 * of ours. Nothing in this file reads a byte of a compiled set: the
 * daemon links it, and never parses one.
 *
 * Load: a few calls per start of the capture; a take or drop reads the
 * folder once (a handful of files: pruning keeps it so).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "netcache.h"

#define SET_PREFIX	"net-"
#define SET_SUFFIX	".hsdb"
#define TMP_PREFIX	".net-"
#define OLD_PREFIX	"rules-"	/* the per-slot files before sets */
#define OLD_HEX		32
#define NAME_MAX_LEN	96

void
netcache_none(struct netcache_fds *fds)
{
	fds->in = fds->out = -1;
}

void
netcache_close(struct netcache_fds *fds)
{
	if (fds->in != -1)
		(void)close(fds->in);
	if (fds->out != -1)
		(void)close(fds->out);
	netcache_none(fds);
}

static int
hex_run(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

static int
key_ok(const char *key)
{
	return hex_run(key, NETCACHE_KEY_LEN) && key[NETCACHE_KEY_LEN] == '\0';
}

/* Ours, and nobody else may write it. */
static int
private(const struct stat *st)
{
	return st->st_uid == geteuid() && (st->st_mode & 022) == 0;
}

/* The folder, made if missing; -1 when it is not fit for a cache. */
static int
dir_open(const char *dir)
{
	struct stat	st;
	int		dfd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("rule cache %s", dir);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		log_warn("rule cache %s", dir);
		return -1;
	}
	if (fstat(dfd, &st) == -1 || !private(&st)) {
		log_warnx("rule cache %s: not a private folder of ours; not "
		    "used", dir);
		(void)close(dfd);
		return -1;
	}
	return dfd;
}

static int
set_name(char name[static NAME_MAX_LEN], const char *key)
{
	int	n = snprintf(name, NAME_MAX_LEN, SET_PREFIX "%s" SET_SUFFIX,
		    key);

	return n < 0 || n >= NAME_MAX_LEN ? ERR_TOOBIG : 0;
}

/* The set of key, if there is a fit one; marked used (pruning goes by
 * age). */
static int
open_set(int dfd, const char *key)
{
	struct stat	st;
	char		name[NAME_MAX_LEN];
	int		fd;

	if (set_name(name, key) != 0 || (fd = openat(dfd, name, O_RDONLY |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || !private(&st) ||
	    st.st_size <= 0 || (unsigned long)st.st_size > NETCACHE_FILE_MAX) {
		log_warnx("rule cache %s: not a private file of ours; not used",
		    name);
		(void)close(fd);
		return -1;
	}
	(void)futimens(fd, NULL);
	return fd;
}

static int
open_tmp(int dfd, const char *key, pid_t owner)
{
	char	name[NAME_MAX_LEN];
	int	n, fd, tries;

	n = snprintf(name, sizeof(name), TMP_PREFIX "%s.%ld", key,
	    (long)owner);
	if (n < 0 || (size_t)n >= sizeof(name))
		return -1;
	for (tries = 0; tries < 2; tries++) {
		if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) != -1)
			return fd;
		/* left by a process of the same pid that died */
		if (errno != EEXIST || unlinkat(dfd, name, 0) == -1)
			break;
	}
	log_warn("rule cache %s", name);
	return -1;
}

int
netcache_offer(struct netcache_fds *fds, const char *dir,
    const char key[static NETCACHE_KEY_LEN + 1], pid_t owner)
{
	int	dfd;

	netcache_none(fds);
	if (!key_ok(key) || (dfd = dir_open(dir)) == -1)
		return ERR_IO;
	fds->in = open_set(dfd, key);
	fds->out = open_tmp(dfd, key, owner);
	(void)close(dfd);
	return fds->out == -1 ? ERR_IO : 0;
}

/* name is ".net-KEY.PID" with PID owner's (any, for 0): 1 and key. */
static int
tmp_parse(const char *name, pid_t owner, char key[static NETCACHE_KEY_LEN + 1])
{
	const char	*p = name + sizeof(TMP_PREFIX) - 1;
	char		*end;
	unsigned long	 pid;

	if (strncmp(name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) != 0 ||
	    strlen(p) < NETCACHE_KEY_LEN + 2 || !hex_run(p, NETCACHE_KEY_LEN) ||
	    p[NETCACHE_KEY_LEN] != '.' || p[NETCACHE_KEY_LEN + 1] < '1' ||
	    p[NETCACHE_KEY_LEN + 1] > '9')
		return 0;
	errno = 0;
	pid = strtoul(p + NETCACHE_KEY_LEN + 1, &end, 10);
	if (errno != 0 || *end != '\0' || (owner != 0 &&
	    pid != (unsigned long)owner))
		return 0;
	memcpy(key, p, NETCACHE_KEY_LEN);
	key[NETCACHE_KEY_LEN] = '\0';
	return 1;
}

static int
set_parse(const char *name)
{
	size_t	n = strlen(name), pre = sizeof(SET_PREFIX) - 1,
		suf = sizeof(SET_SUFFIX) - 1;

	return n == pre + NETCACHE_KEY_LEN + suf &&
	    strncmp(name, SET_PREFIX, pre) == 0 &&
	    hex_run(name + pre, NETCACHE_KEY_LEN) &&
	    strcmp(name + pre + NETCACHE_KEY_LEN, SET_SUFFIX) == 0;
}

static int
old_parse(const char *name)
{
	size_t	pre = sizeof(OLD_PREFIX) - 1;

	return strncmp(name, OLD_PREFIX, pre) == 0 &&
	    strlen(name) == pre + OLD_HEX + sizeof(SET_SUFFIX) - 1 &&
	    hex_run(name + pre, OLD_HEX) &&
	    strcmp(name + pre + OLD_HEX, SET_SUFFIX) == 0;
}

/* The oldest set's name into oldest; how many sets there are. The
 * per-slot files of before go on sight. */
static size_t
sets_scan(int dfd, char oldest[static NAME_MAX_LEN])
{
	struct dirent	*de;
	struct stat	 st;
	struct timespec	 t = { 0, 0 };
	DIR		*d;
	size_t		 n = 0;
	int		 fd;

	oldest[0] = '\0';
	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			(void)close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (old_parse(de->d_name)) {
			(void)unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (!set_parse(de->d_name) || fstatat(dfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (n++ == 0 || st.st_mtim.tv_sec < t.tv_sec ||
		    (st.st_mtim.tv_sec == t.tv_sec &&
		    st.st_mtim.tv_nsec < t.tv_nsec)) {
			t = st.st_mtim;
			(void)snprintf(oldest, NAME_MAX_LEN, "%s", de->d_name);
		}
	}
	(void)closedir(d);
	return n;
}

static void
prune(int dfd)
{
	char	oldest[NAME_MAX_LEN];

	while (sets_scan(dfd, oldest) > NETCACHE_KEEP && oldest[0] != '\0')
		if (unlinkat(dfd, oldest, 0) == -1)
			break;
}

/* A written file of owner's becomes its key's set (commit), or goes. */
static void
settle(int dfd, const char *name, const char *key, int commit)
{
	struct stat	st;
	char		set[NAME_MAX_LEN];

	if (commit && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && private(&st) && st.st_size > 0 &&
	    (unsigned long)st.st_size <= NETCACHE_FILE_MAX &&
	    set_name(set, key) == 0) {
		if (renameat(dfd, name, dfd, set) == 0)
			return;
		log_warn("rule cache %s", set);
	}
	(void)unlinkat(dfd, name, 0);
}

static void
tmp_settle(const char *dir, pid_t owner, int commit)
{
	struct dirent	*de;
	DIR		*d;
	char		 key[NETCACHE_KEY_LEN + 1];
	int		 dfd, fd, settled = 0;

	if (dir == NULL || dir[0] == '\0' || (dfd = dir_open(dir)) == -1)
		return;
	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			(void)close(fd);
		(void)close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (tmp_parse(de->d_name, owner, key)) {
			settle(dfd, de->d_name, key, commit);
			settled = 1;
		}
	(void)closedir(d);
	if (commit && settled)
		prune(dfd);
	(void)close(dfd);
}

void
netcache_take(const char *dir, pid_t owner)
{
	if (owner > 0)
		tmp_settle(dir, owner, 1);
}

void
netcache_drop(const char *dir, pid_t owner)
{
	tmp_settle(dir, owner, 0);
}

void
netcache_done(const char *dir, pid_t owner, int ok)
{
	tmp_settle(dir, owner, ok);
}
