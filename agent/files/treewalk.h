/*
 * treewalk.h: walking a tree by descriptors, for the daemon's rescans.
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
 * mount it does not enter, a folder it cannot open or list, folders
 * nested deeper than TREEWALK_DEPTH. FIFOs, sockets and devices are not
 * files to scan and are passed over; so are excluded paths.
 *
 * Memory and descriptors: one open folder per level (at most
 * TREEWALK_DEPTH + 1) and the current path. Any thread; no state of its
 * own. Load: one readdir per entry, a statx per entry, an openat2 per
 * folder.
 */
#ifndef VIGIL_TREEWALK_H
#define VIGIL_TREEWALK_H

#include <sys/stat.h>

#include <stddef.h>

#include "mounttab.h"
#include "safeopen.h"

#define TREEWALK_DEPTH	128		/* folder levels below the start */

enum treewalk_skip {
	TREEWALK_XDEV = 1,	/* a mount point not entered (why.kind) */
	TREEWALK_UNREADABLE,	/* a folder that cannot be opened or
				 * listed (why.err) */
	TREEWALK_DEEP,		/* folders nested deeper than
				 * TREEWALK_DEPTH: not walked */
};

struct treewalk_cb {
	/* Before each entry: 1 stops the walk. path is where it is. */
	int	(*step)(void *arg, const char *path);
	/* 1 if path (and all below it) is not to be walked or reported. */
	int	(*excluded)(void *arg, const char *path);
	/* A regular file: name in the folder dirfd, at path (len bytes),
	 * in the state st (as statx saw it, not followed). */
	void	(*file)(void *arg, int dirfd, const char *name,
		    const char *path, size_t len, const struct stat *st);
	/* Something not walked: what and why. */
	void	(*skip)(void *arg, const char *path, enum treewalk_skip,
		    const struct safeopen_why *why);
};

struct treewalk_stats {
	uint64_t	 files;		/* handed to file() */
	uint64_t	 skipped;	/* handed to skip() */
	int		 stopped;	/* step() said stop */
};

/* Walk the folder root (absolute) and everything below it. 0, or
 * ERR_NOMEM (the walk stopped; what was walked was handed over). A root
 * that is not there is not an error; one that cannot be entered is
 * reported through skip(). */
int	treewalk(const char *root, struct mounttab *mt,
	    const struct treewalk_cb *cb, void *arg,
	    struct treewalk_stats *st);

#endif
