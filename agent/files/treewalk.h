/*
 * treewalk.h: walking a tree by descriptors, for the daemon's rescans and
 * `vigil-agent scan`.
 *
 * Every folder is opened relative to its parent's descriptor with
 * safeopen_dir(): a symbolic link is never followed (links met in the
 * tree are not walked or reported), a mount point is entered only when
 * the mount table accepts it (mounttab.h: by default never a FUSE mount,
 * a network share or the kernel's own), and paths may be of any length.
 * Each regular file is handed over with its folder's descriptor and its
 * name, to be opened beside it (safeopen_file() with that descriptor);
 * its state is taken with statx (no question to a mount's server).
 *
 * What the walk cannot enter is reported, never passed over silently: a
 * mount it does not enter, a folder it cannot open or list, a folder met
 * again below itself (a bind mount of a folder inside itself: a loop),
 * folders nested deeper than TREEWALK_DEPTH. FIFOs, sockets and devices
 * are not files to scan: handed to other() if the caller wants them,
 * else passed over; so are excluded paths and symbolic links.
 *
 * Helpers: with helpers > 0, up to that many threads list folders ahead
 * of the walk (open, read, statx each entry), so that a tree whose
 * metadata is not in memory is read with several requests in flight
 * instead of one at a time. The walk itself stays on the calling thread:
 * file(), other(), skip() and step() are called there only, in the
 * order of a depth-first walk that meets each folder's entries in byte
 * order of their names (in batches of TREEWALK_LIST: a larger folder is
 * sorted batch by batch) and enters a subfolder where it comes, whatever
 * the number of helpers. (The order matters beyond tidiness: which files
 * a scan has in hand together sets its peak memory, and readdir's order
 * on ext4 is a hash's.) excluded() is asked by whichever thread lists the folder
 * holding the path, helpers included: it must be safe to call from any
 * thread, at the same time as the other callbacks.
 *
 * Memory and descriptors: the folders listed ahead (at most
 * TREEWALK_AHEAD_DIRS, holding at most TREEWALK_AHEAD_ENTRIES entries,
 * about 100 bytes each, between them), plus the folders from the start
 * to the current one (one descriptor and up to TREEWALK_LIST entries
 * each). Load: one readdir per entry, a statx per entry, an openat2 per
 * folder; with helpers, a lock and a wake-up per folder.
 */
#ifndef VIGIL_TREEWALK_H
#define VIGIL_TREEWALK_H

#include <sys/stat.h>

#include <stddef.h>

#include "mounttab.h"
#include "safeopen.h"

#define TREEWALK_DEPTH		128	/* folder levels below the start */
#define TREEWALK_HELPERS_MAX	32
#define TREEWALK_LIST		512	/* entries of one folder listed at
					 * a time */
#define TREEWALK_AHEAD_DIRS	256
#define TREEWALK_AHEAD_ENTRIES	8192

enum treewalk_skip {
	TREEWALK_XDEV = 1,	/* a mount point not entered (why.kind) */
	TREEWALK_UNREADABLE,	/* a folder or entry that cannot be
				 * opened, listed or examined (why.err) */
	TREEWALK_DEEP,		/* folders nested deeper than
				 * TREEWALK_DEPTH: not walked */
	TREEWALK_LOOP,		/* a folder that is one of the folders
				 * above it (same): not walked again */
};

struct treewalk_skipped {
	enum treewalk_skip	 what;
	struct safeopen_why	 why;	/* XDEV: kind; UNREADABLE: err */
	const char		*same;	/* LOOP: the path of the folder above
					 * that it is */
};

struct treewalk_cb {
	/* Before each entry walked or reported: 1 stops the walk. path is
	 * where it is. */
	int	(*step)(void *arg, const char *path);
	/* 1 if path (and all below it) is not to be walked or reported.
	 * May be NULL. Called from any thread (see above). */
	int	(*excluded)(void *arg, const char *path);
	/* A regular file: name in the folder dirfd, at path (len bytes),
	 * in the state st (as statx saw it, not followed). dirfd is valid
	 * until file() returns. */
	void	(*file)(void *arg, int dirfd, const char *name,
		    const char *path, size_t len, const struct stat *st);
	/* A FIFO, socket or device (st as statx saw it): never opened.
	 * May be NULL: passed over. */
	void	(*other)(void *arg, const char *path, const struct stat *st);
	/* Something not walked: what and why. */
	void	(*skip)(void *arg, const char *path,
		    const struct treewalk_skipped *);
};

struct treewalk_stats {
	uint64_t	 files;		/* handed to file() */
	uint64_t	 skipped;	/* handed to skip() */
	uint64_t	 folders;	/* listed */
	int		 stopped;	/* step() said stop */
};

/* Walk the folder root (absolute) and everything below it, with up to
 * helpers threads (0..TREEWALK_HELPERS_MAX; more are cut to the
 * maximum; a thread that cannot be started is done without) listing
 * ahead. 0, or ERR_NOMEM (the walk stopped; what was walked was handed
 * over). A root that is not there is not an error; one that cannot be
 * entered is reported through skip(). */
int	treewalk(const char *root, struct mounttab *mt, int helpers,
	    const struct treewalk_cb *cb, void *arg,
	    struct treewalk_stats *st);
/* The same below the folder fd (any descriptor of a folder, O_PATH
 * included; not closed), whose path is path (as the caller named it:
 * the paths handed over begin with it). The folder itself is walked
 * whatever its mount: the caller chose it. */
int	treewalk_fd(int fd, const char *path, struct mounttab *mt,
	    int helpers, const struct treewalk_cb *cb, void *arg,
	    struct treewalk_stats *st);

/* A sentence for what was skipped, into buf: "a mount point, on a FUSE
 * file system, which is not entered", "a folder that cannot be read:
 * Permission denied", "a folder loop: the same folder as /x", "a folder
 * nested more than 128 levels below where the walk started: not walked".
 * Returns buf. */
const char	*treewalk_reason(const struct treewalk_skipped *, char *buf,
		    size_t len);

#endif
