/*
 * datadir.h: checking a data directory before trusting what is in it.
 *
 * Both programs call datadir_check() before they open a key or a
 * database in their data directory, the daemons and the short commands
 * alike.
 */
#ifndef VIGIL_DATADIR_H
#define VIGIL_DATADIR_H

/*
 * dir must be a directory, not a symbolic link, owned by the effective
 * user or by user (the service user the collector hands its data to; NULL
 * or "" for none), and not writable by group or others. Group and other
 * read/search access is removed (logged). With create, a missing dir is
 * made mode 0700 first (its parent must exist).
 * Returns 0; ERR_NOTFOUND when dir does not exist (and !create), not
 * logged; ERR_IO otherwise, logged with what is wrong.
 */
int	datadir_check(const char *dir, int create, const char *user);

#endif
