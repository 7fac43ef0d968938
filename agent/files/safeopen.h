/*
 * safeopen.h: opening what the file sensor scans, hashes or walks, so
 * that what is read is what was checked, at the place that was named.
 *
 * The agent runs as root and opens paths that users shape: between the
 * moment a file is reported and the moment it is opened, a user may
 * swap a folder on its path for a symbolic link (to a root-only folder,
 * whose file the agent would then read and report under the user's
 * path; to /dev, whose devices an open(2) wakes: an unclaimed watchdog
 * reboots the machine) or mount a FUSE file system there whose server
 * never answers. O_NOFOLLOW guards only the last component. So:
 *
 *  - every component is resolved with openat2(2) RESOLVE_NO_SYMLINKS |
 *    RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH: a symbolic link anywhere
 *    on the path is refused (SAFEOPEN_LINK; a link as the last
 *    component is SAFEOPEN_SPECIAL), and "." and ".." are refused;
 *  - with RESOLVE_NO_XDEV: at a mount point the walk stops, asks statx
 *    (AT_STATX_DONT_SYNC, AT_NO_AUTOMOUNT: no question reaches the file
 *    system's server) which mount lies there, and enters it only if the
 *    struct mounttab accepts it (mounttab.h; NULL: no mount is entered),
 *    checking afterwards that it entered that very mount;
 *  - a file is opened O_PATH first and fstat'ed; only a regular file is
 *    then opened for reading, through that descriptor (/proc/self/fd/N,
 *    the same inode): a FIFO, device or socket is never opened. Without
 *    /proc the name is opened again beside the O_PATH descriptor and
 *    must be the same inode (a user cannot put a device node there: no
 *    mknod without CAP_MKNOD, fs.protected_hardlinks, nodev FUSE);
 *  - paths of any length: resolved in pieces shorter than PATH_MAX, each
 *    relative to the folder the previous one reached.
 *
 * Needs Linux 5.8 (openat2, statx's mount id). Paths are bytes. Any
 * thread; no state of its own. Load: one openat2 per PATH_MAX piece (one
 * per component past a mount point), an fstat and a reopen per file.
 *
 * Usage:
 *	struct safeopen_why why;
 *	if (safeopen_file(&fd, &st, mt, AT_FDCWD, "/home/u/x.exe", &why) != 0)
 *		log ... safeopen_reason(&why, buf, sizeof(buf)) ...
 */
#ifndef VIGIL_SAFEOPEN_H
#define VIGIL_SAFEOPEN_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>

#include "mounttab.h"

enum safeopen_what {
	SAFEOPEN_OK = 0,
	SAFEOPEN_GONE,		/* nothing there now (ENOENT, or a folder on
				 * the path is no longer a folder) */
	SAFEOPEN_LINK,		/* a folder on the path is a symbolic link */
	SAFEOPEN_SPECIAL,	/* the last component is not what was asked
				 * for (mode: its type; 0 if unknown) */
	SAFEOPEN_XDEV,		/* it lies in a file system not entered
				 * (kind: what that is) */
	SAFEOPEN_ERRNO,		/* another failure: err */
};

struct safeopen_why {
	enum safeopen_what	 what;
	int			 err;	/* SAFEOPEN_ERRNO */
	mode_t			 mode;	/* SAFEOPEN_SPECIAL */
	enum mountinfo_kind	 kind;	/* SAFEOPEN_XDEV */
};

/*
 * path: absolute with dirfd AT_FDCWD, else relative to the folder dirfd
 * (resolved beneath it; dirfd is not closed). On success 0 and *fd; on
 * failure -1, *fd -1 and *why says why (errno is not meaningful).
 *
 * safeopen_path: an O_PATH|O_NOFOLLOW descriptor of whatever is there.
 * safeopen_file: a read descriptor (O_RDONLY|O_NONBLOCK|O_NOCTTY) of a
 *   regular file; st (may be NULL) is its fstat.
 * safeopen_dir: a read descriptor (O_RDONLY|O_DIRECTORY) of a folder.
 */
int	safeopen_path(int *fd, struct mounttab *mt, int dirfd,
	    const char *path, struct safeopen_why *why);
int	safeopen_file(int *fd, struct stat *st, struct mounttab *mt,
	    int dirfd, const char *path, struct safeopen_why *why);
int	safeopen_dir(int *fd, struct mounttab *mt, int dirfd,
	    const char *path, struct safeopen_why *why);

/* A read descriptor (O_RDONLY|O_NONBLOCK|O_NOCTTY) of the regular file
 * that the O_PATH descriptor pathfd refers to, opened through
 * /proc/self/fd: the same inode, whatever is at its name now. -1 with
 * errno (ENOENT: no /proc here). */
int	safeopen_reopen(int pathfd);

/* "a FIFO", "a character device", "a folder", "a symbolic link", ...
 * for a file type (st_mode); "not a regular file" for others. */
const char	*safeopen_kind(mode_t mode);
/* A sentence for why, into buf: "a folder on its path is a symbolic
 * link", "on a FUSE file system, which is not entered", "a FIFO", the
 * system's message. Returns buf. */
const char	*safeopen_reason(const struct safeopen_why *why, char *buf,
		    size_t len);

#endif
