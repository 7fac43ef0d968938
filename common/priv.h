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
/* Give path (if it exists) to user, so that it can still be used once
 * privileges are dropped. ERR_IO, logged. */
int	priv_chown(const char *path, const char *user);

#endif
