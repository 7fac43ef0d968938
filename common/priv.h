/*
 * priv.h: dropping root, the OpenBSD way.
 *
 * priv_drop() switches to user's uid and gid with setgroups, setresgid
 * and setresuid, then checks that regaining root fails. Any failure is
 * fatal for the caller (ERR_IO is returned and logged; the daemon exits).
 */
#ifndef VIGIL_PRIV_H
#define VIGIL_PRIV_H

int	priv_drop(const char *user);
/* The ids only: setgroups, setresgid, setresuid to user's, logged. For
 * a caller that is not root but holds CAP_SETUID and CAP_SETGID (the
 * agent's workers under the vigil-agent service), whose capabilities
 * the switch does not clear: it clears them, then priv_check_dropped().
 * ERR_IO, logged. */
int	priv_become(const char *user);
/* Regaining uid 0 fails now. ERR_IO (logged as "root regained") if not. */
int	priv_check_dropped(const char *user);
/* Give path (if it exists) to user, so that it can still be used once
 * privileges are dropped. ERR_IO, logged. */
int	priv_chown(const char *path, const char *user);

#endif
