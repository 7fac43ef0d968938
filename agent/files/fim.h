/*
 * fim.h: file integrity monitoring: a baseline of files and checks
 * against it.
 *
 * A struct fim is a baseline database (SQLite, table fim_entry, opened
 * through db_open: mode 0600, WAL) plus the paths it covers and the
 * exclusions. fim_baseline() records every file, folder, symlink and
 * special file under the paths: type, SHA-256 of a regular file's content,
 * size, permissions, uid/gid and their names, inode, device, mtime, ctime,
 * a symlink's target, and the error when something could not be read.
 * fim_check() walks the paths again, reports each difference through a
 * callback, with the before and after values, and (unless keep is set)
 * brings the baseline up to date. fim_check_path() does the same for one
 * path, for the real-time watcher.
 *
 * Walking: symlinks are never followed (the walk opens everything with
 * O_NOFOLLOW relative to its parent folder's descriptor); FIFOs, devices
 * and sockets are recorded but never opened; a file is opened with
 * O_NONBLOCK and hashed only if fstat on the descriptor says regular. The
 * parents of a configured path are trusted (resolved by the kernel).
 * Entries that vanish between listing and examining are left out (and so
 * reported as removed if the baseline had them). An entry that cannot be
 * read is recorded with its errno, never skipped; the rows under a folder
 * that cannot be listed are kept as they were, not reported as removed.
 *
 * Rehashing: by default a check rehashes a regular file only when its
 * size, mtime, ctime, inode or device changed (or the last read failed).
 * Content cannot change without changing ctime, and ctime cannot be set
 * from user space: restoring mtime with utimensat() or touch -r still
 * moves ctime to now. Only someone who can set the system clock (root)
 * and write the disk behind the file system's back can hide a change from
 * this test; struct fim_opts.rehash rehashes every file, at the cost of
 * reading everything (the figures are in docs/benchmarks.md). A file
 * whose ctime was within 3 s of the start of the run that hashed it is
 * hashed again at the next check: it may have been written again within
 * the same timestamp tick (git's "racily clean" entries).
 *
 * What is reported: added, removed, type changed, content modified (hash,
 * or the read error, differs; size and mtime when unreadable), symlink
 * target, owner (uid or gid), permissions (mode, including setuid, setgid
 * and sticky bits). A change of mtime, ctime, inode or device alone (a
 * touch, a copy of identical content) is not reported; it updates the
 * baseline so the next check does not rehash the file again.
 *
 * Threads: hashing runs in opts.threads worker threads; the caller's
 * thread walks, compares, calls the callback and writes the database, in
 * transactions of FIM_BATCH rows. The callback therefore runs on the
 * caller's thread, one change at a time. Each baseline row is written
 * after its change was reported, so a crash or a callback that fails
 * means a change is reported again, never lost. One struct fim per
 * thread; several may open the same file (SQLite serialises writers).
 *
 * Errors are enum vigil_err, logged where they happen.
 *
 * Usage:
 *	struct fim_opts o = { .paths = p, .npaths = n, .threads = 0 };
 *	if (fim_open(&f, "/var/lib/vigil-agent/fim.db", &o) != 0) ...
 *	fim_baseline(f, &st);			once (and whenever
 *						fim_check says ERR_NOTFOUND:
 *						a baseline never finished)
 *	fim_check(f, on_change, ctx, &st);	periodically
 *	fim_check_path(f, "/etc/passwd", on_change, ctx);  from the watcher
 *	fim_close(f);
 */
#ifndef VIGIL_FIM_H
#define VIGIL_FIM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FIM_HASH_LEN	32		/* SHA-256 */
#define FIM_HASH_NAME	"sha256"	/* event field, CLI output */
#define FIM_NAME_MAX	64		/* user and group names, with NUL */
#define FIM_BATCH	4096		/* rows per transaction */
#define FIM_THREADS_MAX	256

struct fim;

enum fim_type {
	FIM_T_UNKNOWN = 0,	/* could not be examined (see err) */
	FIM_T_FILE,
	FIM_T_DIR,
	FIM_T_SYMLINK,
	FIM_T_FIFO,
	FIM_T_CHR,
	FIM_T_BLK,
	FIM_T_SOCK,
};

/* What changed: bits of struct fim_change.changes. ADDED, REMOVED and
 * TYPE come alone; the others combine. */
#define FIM_ADDED	0x01
#define FIM_REMOVED	0x02
#define FIM_TYPE	0x04	/* file became folder, symlink, ... */
#define FIM_MODIFIED	0x08	/* content (regular files) */
#define FIM_TARGET	0x10	/* symlink target */
#define FIM_OWNER	0x20	/* uid or gid */
#define FIM_PERMISSIONS	0x40	/* mode & 07777 */

/* One entry as recorded. Strings are NUL-terminated bytes as on disk. */
struct fim_attr {
	int		 type;		/* enum fim_type */
	int		 err;		/* errno of the failed stat, read or
					 * listing; 0: none */
	int		 has_hash;	/* hash valid (regular file, read) */
	uint32_t	 mode;		/* st_mode & 07777 */
	uint32_t	 uid, gid;
	uint64_t	 size, ino, dev;
	int64_t		 mtime_ns, ctime_ns;	/* since the epoch */
	uint8_t		 hash[FIM_HASH_LEN];
	char		 owner[FIM_NAME_MAX];	/* "" if unknown */
	char		 group[FIM_NAME_MAX];
	char		*target;	/* symlinks; NULL otherwise */
};

/* A change as reported; everything is borrowed for the callback's call. */
struct fim_change {
	const char		*path;		/* absolute */
	unsigned int		 changes;	/* FIM_* bits */
	const struct fim_attr	*before;	/* NULL when added */
	const struct fim_attr	*after;		/* NULL when removed */
};

/* A non-zero return stops the check; it is returned by the check. */
typedef int	(*fim_change_cb)(void *arg, const struct fim_change *);

struct fim_opts {
	/* The paths covered: absolute, resolved as pathset.h says (the
	 * kernel resolves what exists, symbolic links included, but a path
	 * that is itself a symbolic link is recorded as the link; "." and
	 * ".." past what exists are taken as text); a path under another
	 * one adds nothing. A path may be a file. npaths >= 1. */
	const char *const	*paths;
	size_t			 npaths;
	/* Exclusions, the same as the watcher's (pathset.h): "/a/b" is
	 * that path and everything below it; a pattern with '/' and a
	 * wildcard is fnmatch(3) (FNM_PATHNAME) on the whole path or any
	 * of its parent folders; a pattern without '/' ("*.swp") is
	 * fnmatch(3) on each name below the configured path. Excluded
	 * entries are not walked, reported or removed from the baseline. */
	const char *const	*exclude;
	size_t			 nexclude;
	int			 threads;	/* hashing threads; 0: online
						 * CPUs; 1..FIM_THREADS_MAX */
	int			 rehash;	/* check: hash every file */
	int			 keep;		/* check: report only, do not
						 * update the baseline */
};

struct fim_stats {
	uint64_t	 entries;	/* examined */
	uint64_t	 hashed;	/* files read and hashed */
	uint64_t	 bytes;		/* bytes hashed */
	uint64_t	 errors;	/* entries recorded with an error */
	uint64_t	 vanished;	/* gone between listing and examining */
	uint64_t	 changes;	/* changes reported */
	double		 seconds;	/* wall time */
};

/* Open (or create) the baseline database at dbpath and check the options
 * (copied; nothing is borrowed). ERR_USAGE (bad paths, patterns or
 * threads), ERR_IO (database, or a file with another schema or hash),
 * ERR_NOMEM. */
int	fim_open(struct fim **out, const char *dbpath,
	    const struct fim_opts *opts);
void	fim_close(struct fim *);	/* takes NULL */

/* Record the current state of every path as the baseline, hashing every
 * file (rows under the paths that are gone are deleted, rows elsewhere in
 * the file are kept). *st (may be NULL) gets the figures. ERR_IO,
 * ERR_NOMEM. */
int	fim_baseline(struct fim *, struct fim_stats *st);

/* Compare every path with the baseline; cb (may be NULL) gets each
 * change. ERR_NOTFOUND (no baseline was ever taken in this file), ERR_IO,
 * ERR_NOMEM, or the callback's non-zero return. */
int	fim_check(struct fim *, fim_change_cb cb, void *arg,
	    struct fim_stats *st);

/* Compare one path (absolute, as the kernel reports it: compared with
 * the resolved configured paths; "." and ".." are cleaned as text) with
 * the baseline. A folder is compared alone, unless it is new,
 * replaced (other inode) or gone: then everything below it is compared
 * too. A path excluded or outside the configured paths is ignored
 * (returns 0). Errors as fim_check. */
int	fim_check_path(struct fim *, const char *path, fim_change_cb cb,
	    void *arg);

/* The most significant change of a set, as its event name: "added",
 * "removed", "type", "modified", "target", "owner", "permissions". */
const char	*fim_change_name(unsigned int changes);
/* "file", "dir", "symlink", "fifo", "chr", "blk", "sock", "unknown" */
const char	*fim_type_name(int type);

/* The EVE event for a change (docs/events.md, "integrity"); paths and
 * names that are not UTF-8 are escaped as text.h's TEXT_JSON says. The
 * caller owns it. NULL when out of memory. */
json_t	*fim_event(const struct fim_change *);

#endif
