/*
 * watch.h: which files under the watched folders were just written.
 *
 * A struct watch reports, on the agent daemon's libevent loop:
 *  - "this regular file was closed after writing, moved into place or
 *    linked into place under a watched folder" (watch_file_cb), and
 *  - "rescan this tree: events may have been missed there" (watch_rescan_cb):
 *    after a kernel queue overflow, for a new subfolder or a new mount
 *    (files may have been written before its watch existed), and for
 *    parts that could not be watched at all.
 * Together they never miss a file silently: what is not reported as a
 * file is covered by a rescan or by a log line and a counter.
 *
 * Two backends: fanotify(7) when the process may use it (CAP_SYS_ADMIN,
 * Linux 5.9: FAN_REPORT_DFID_NAME), which sees every close-after-write,
 * rename into place and hard link on the file systems holding the
 * watched folders; inotify(7) otherwise, one watch per folder. Mounts
 * appearing under a watched folder (USB sticks under /media) are picked
 * up by either if they are local (mounttab.h: disks, USB sticks,
 * memory): a FUSE mount (which any user can make), a network share or
 * the kernel's own is never marked, walked, stat'ed or opened here, so a
 * server that never answers cannot stall the loop. Meant for the agent
 * process that holds the privilege.
 *
 * Not this module's job: debouncing (a busy file is reported at every
 * close; only duplicates within one kernel read are merged) and scanning.
 *
 * All functions run on the thread that owns the event base. Callbacks
 * run from the loop (and, for rescans of parts that cannot be watched,
 * from watch_add); they may call watch_stats(), watch_excluded() and
 * watch_backend_name(), and nothing else of this module.
 *
 * Usage:
 *	struct watch_opts o = { .backend = WATCH_AUTO };
 *	if (watch_new(&w, base, &o, on_file, on_rescan, ctx) != 0) ...
 *	watch_exclude(w, "*.part");		(before watch_add: cheaper)
 *	watch_add(w, "/home");
 *	... event_base_dispatch(base) ...
 *	watch_free(w);
 */
#ifndef VIGIL_WATCH_H
#define VIGIL_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>

struct watch;

enum watch_backend {
	WATCH_AUTO = 0,		/* fanotify if permitted, else inotify */
	WATCH_FANOTIFY,		/* fanotify or fail (ERR_IO) */
	WATCH_INOTIFY,		/* inotify even when fanotify would work */
};

struct watch_opts {
	int		 backend;	/* enum watch_backend */
	/*
	 * The agent's own folder (its SQLite files), or NULL. Nothing in it
	 * is ever reported, and fanotify is told to ignore the files in it,
	 * so that no descriptor of them is ever opened in this process:
	 * closing one would drop this process's SQLite locks on that file
	 * (POSIX locks are per process), and another process closing the
	 * database would then delete the live WAL. That needs Linux 6.0
	 * (FAN_MARK_IGNORE); on an older kernel WATCH_AUTO uses inotify
	 * (which hands over no descriptors) and WATCH_FANOTIFY fails.
	 */
	const char	*private_dir;
	int		 filesystems;	/* MOUNTTAB_LOCAL (0), or MOUNTTAB_ALL:
					 * FUSE and network mounts below a
					 * root are reported for rescans
					 * (never watched: the loop must not
					 * wait on their servers) */
};

/* The longest path reported (a file deeper than this is reported with
 * WATCH_EV_TOOLONG and the end of its path). */
#define WATCH_PATH_MAX	16384

/* watch_event.flags: why the file is reported (several may be set when
 * duplicates were merged). */
#define WATCH_EV_CLOSE_WRITE	0x01	/* closed after writing */
#define WATCH_EV_MOVED_TO	0x02	/* renamed into place */
#define WATCH_EV_LINKED		0x04	/* created with content already in it:
					 * a hard link, O_TMPFILE + linkat, or
					 * a write still going on (inotify) */
#define WATCH_EV_DELETED	0x08	/* unlinked since (fanotify with fds);
					 * fd still reads the content */
#define WATCH_EV_TOOLONG	0x10	/* its path is WATCH_PATH_MAX or longer:
					 * path is "/..." and its last part;
					 * it cannot be opened by that path */

struct watch_event {
	const char	*path;		/* absolute; bytes, not necessarily
					 * UTF-8; NUL-terminated; may be
					 * PATH_MAX or longer (open it by
					 * pieces: safeopen.h), < WATCH_PATH_MAX */
	size_t		 pathlen;
	int		 fd;		/* fanotify on a mount without file
					 * handles: the file, opened read-only
					 * by the kernel; valid only during the
					 * callback (dup() it to keep it).
					 * Otherwise -1: open the path. */
	unsigned	 flags;		/* WATCH_EV_* */
	pid_t		 pid;		/* fanotify: the writer; inotify: 0 */
};

enum watch_why {
	WATCH_RESCAN_OVERFLOW = 1,	/* kernel queue overflowed: a root */
	WATCH_RESCAN_NEWDIR,		/* subfolder created, moved in or
					 * renamed */
	WATCH_RESCAN_MOUNT,		/* file system mounted there */
	WATCH_RESCAN_UNWATCHED,		/* could not be watched (limit,
					 * permission): scan it, and know that
					 * later changes there are not seen */
	WATCH_RESCAN_LOST,		/* events lost reading the queue */
};

typedef void	(*watch_file_cb)(void *arg, const struct watch_event *);
/* path: absolute, NUL-terminated bytes; the whole tree below it. */
typedef void	(*watch_rescan_cb)(void *arg, const char *path,
		    enum watch_why why);

struct watch_stats {
	uint64_t	 events;	/* file reports delivered */
	uint64_t	 coalesced;	/* duplicates merged within one read */
	uint64_t	 filtered;	/* excluded, outside the roots, written
					 * by us, not a regular file, gone */
	uint64_t	 overflows;	/* kernel queue overflows */
	uint64_t	 rescans;	/* rescan reports delivered */
	uint64_t	 watches;	/* now: inotify folders, fanotify mounts */
	uint64_t	 unwatched;	/* folders or mounts left unwatched */
	uint64_t	 refused;	/* mounts not entered (their type) */
	uint64_t	 toolong;	/* paths too long to watch or report
					 * whole (reported as rescans or with
					 * WATCH_EV_TOOLONG) */
	uint64_t	 errors;	/* other failures (read, readlink, ...) */
};

/* Open the backend (opts NULL: WATCH_AUTO) and start mount tracking on
 * base. The callbacks and arg are borrowed for the watch's life.
 * ERR_USAGE (NULL base or callback, bad opts), ERR_IO (no backend, or
 * WATCH_FANOTIFY not permitted), ERR_NOMEM. Logged. */
int	watch_new(struct watch **out, struct event_base *base,
	    const struct watch_opts *opts, watch_file_cb file_cb,
	    watch_rescan_cb rescan_cb, void *arg);

/* Watch the folder path and everything below it (resolved as pathset.h
 * says: by the kernel as far as it exists, so that it compares with the
 * paths the kernel reports; a folder already below a watched one adds
 * nothing; one on a file system the mount table refuses is not watched:
 * ERR_IO). A path that does not exist yet (/media, /run/media) is kept
 * and watched from the moment a file system is mounted at or under it.
 * inotify walks the whole tree now: O(folders), one watch each; parts it
 * cannot watch are reported through rescan_cb (WATCH_RESCAN_UNWATCHED).
 * ERR_USAGE (relative, not a folder), ERR_TOOBIG, ERR_IO (the folder
 * itself cannot be watched or resolved), ERR_FULL (inotify watch limit),
 * ERR_NOMEM, ERR_STATE (from a callback). Logged. */
int	watch_add(struct watch *, const char *path);

/* Never report or watch what matches pattern, an exclusion as pathset.h
 * defines it (the same for integrity):
 *  - "/a/b": that path and everything below it (resolved: the place
 *    itself and, when it is a symbolic link, where it leads);
 *  - a pattern with a '/' and a wildcard (*, ?, [): fnmatch(3) on the
 *    whole path, '*' not crossing '/', also matching everything below a
 *    match ("/tmp/build-*" excludes /tmp/build-1/a/b too);
 *  - a pattern without '/' ("*.part", "node_modules"): fnmatch(3) on
 *    each name below the watched root.
 * Folders that match are not watched (inotify; ones already watched are
 * dropped). Applies to later events only. ERR_USAGE (empty, relative
 * path), ERR_TOOBIG (PATH_MAX or more), ERR_IO (cannot be resolved),
 * ERR_NOMEM, ERR_STATE. */
int	watch_exclude(struct watch *, const char *pattern);

/* 1 if path (absolute) is excluded, else 0: for the consumer's rescans,
 * so that they skip what the watcher skips. */
int	watch_excluded(const struct watch *, const char *path);

void	watch_stats(const struct watch *, struct watch_stats *out);
/* "fanotify" or "inotify" */
const char *watch_backend_name(const struct watch *);

/* Takes NULL. Not from a callback. */
void	watch_free(struct watch *);

#endif
