/*
 * mounttab.h: this process's mount table, and which mounts the file
 * sensor may enter.
 *
 * Entering a file system means asking whoever serves it: the kernel for
 * a disk or tmpfs, but a process for a FUSE mount (any user may make
 * one, and its server may simply never answer: the asking thread then
 * sleeps in D state for as long as that user likes), a server for a
 * network share, and for proc or sysfs files whose reading has side
 * effects. So the watcher marks, walks, stats and opens only inside
 * mounts this module accepts:
 *
 *  - policy MOUNTTAB_LOCAL ([files] filesystems = local, the default):
 *    local file systems only (mountinfo_kind() LOCAL: disks, USB sticks,
 *    memory);
 *  - policy MOUNTTAB_ALL (= all): FUSE, network and unknown types too;
 *    never the kernel's own (SYSTEM);
 *  - and in either case only if every mount it sits on is accepted as
 *    well: a local mount made inside a FUSE mount is reached through it.
 *    A parent that the table does not list (the mount holding a chroot's
 *    root) ends the chain: the agent lives there.
 *
 * Two ways in: mounttab_read() reads and classifies the whole table
 * once (the watcher, on its loop, whenever the table changes), and a
 * struct mounttab keeps a copy for threads that must decide one mount
 * at a time (safeopen.c, at each mount point a path crosses): it polls
 * the kernel's change notification (POLLPRI on /proc/self/mountinfo) on
 * every question and reads the table again when it changed, since mount
 * ids are reused after an unmount.
 *
 * Any thread: a struct mounttab is locked inside. Load: one poll(2) per
 * question, a read of the table (O(mounts x depth)) per change.
 */
#ifndef VIGIL_MOUNTTAB_H
#define VIGIL_MOUNTTAB_H

#include <stddef.h>
#include <stdint.h>

#include "mountinfo.h"

#define MOUNTTAB_LOCAL	0		/* local file systems only */
#define MOUNTTAB_ALL	1		/* all but the kernel's own */

struct mounttab;

/* One line of the table, classified. */
struct mounttab_mount {
	uint64_t		 id;		/* mount id (statx stx_mnt_id) */
	uint64_t		 parent;
	uint32_t		 major, minor;	/* its super block's device */
	const char		*root;		/* decoded, in the read's
						 * buffer: the folder of its
						 * file system mounted here */
	size_t			 root_len;
	const char		*point;		/* decoded, in the buffer */
	size_t			 len;
	enum mountinfo_kind	 kind;
	int			 ok;		/* it and its parents accepted */
	int			 ok_all;	/* the same under MOUNTTAB_ALL */
	enum mountinfo_kind	 block;		/* not ok: the kind refused on
						 * the way (its own or a
						 * parent's) */
};

/* Read /proc/self/mountinfo whole and classify every line under policy.
 * *v is sorted by id, malloc'd, its strings in *buf (malloc'd); free
 * both. A line that does not parse is logged and left out. ERR_IO,
 * ERR_TOOBIG (over 64 MiB), ERR_NOMEM. */
int	mounttab_read(struct mounttab_mount **v, size_t *n, char **buf,
	    int policy);
/* The entry for id in v (sorted by id), or NULL. */
const struct mounttab_mount *mounttab_find(const struct mounttab_mount *v,
	    size_t n, uint64_t id);
/* Whether the type alone is accepted under policy (the parents aside). */
int	mounttab_kind_ok(enum mountinfo_kind, int policy);

/* A table for one-at-a-time questions, read now. ERR_IO, ERR_NOMEM. */
int	mounttab_new(struct mounttab **out, int policy);
void	mounttab_free(struct mounttab *);		/* takes NULL */
/* May a path cross into the mount with this id? 1 yes; 0 no, *kind
 * (may be NULL) saying what it is (MOUNTINFO_OTHER for an id the table
 * does not list even after a fresh read). */
int	mounttab_enter(struct mounttab *, uint64_t id,
	    enum mountinfo_kind *kind);
int	mounttab_policy(const struct mounttab *);

#endif
