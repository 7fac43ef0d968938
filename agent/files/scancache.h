/*
 * scancache.h: files already scanned with the current rules.
 *
 * A file whose (device, inode, size, mtime, ctime) and rule-set version
 * are unchanged since its last scan is not scanned again. ctime cannot be
 * set from user space, so a file rewritten and given back its old mtime
 * still misses the cache. Entries live in SQLite (the agent's data
 * directory), so a restart does not rescan everything; a new rule-set
 * version makes every entry a miss (and scancache_prune drops them).
 *
 * Entries say whether the file was clean: the daemon skips any file it
 * already judged (its verdict was reported once), while `vigil-agent scan
 * --cache` skips only clean ones, so its output is the same with or
 * without the cache.
 *
 * Thread-safe: scan workers share one struct scancache (one connection
 * behind a mutex; each call is a point lookup or an insert of microseconds).
 * Writes are grouped in transactions of up to SCANCACHE_BATCH entries and
 * committed by scancache_flush (called by the owner at least every second
 * and on close); a crash loses at most those entries, which only means
 * scanning the files again.
 */
#ifndef VIGIL_SCANCACHE_H
#define VIGIL_SCANCACHE_H

#include <sys/stat.h>

#define SCANCACHE_BATCH		2000

struct scancache;

/* ERR_IO. */
int	scancache_open(struct scancache **out, const char *path);
void	scancache_close(struct scancache *);	/* flushes; takes NULL */
enum {
	SCANCACHE_MISS = 0,
	SCANCACHE_CLEAN = 1,	/* scanned, nothing found */
	SCANCACHE_KNOWN = 2,	/* scanned, a verdict already reported (a
				 * match, too big, a timeout) */
};

/* SCANCACHE_MISS, _CLEAN or _KNOWN for the file as st describes it now;
 * negative on error (callers treat it as a miss). */
int	scancache_lookup(struct scancache *, const struct stat *,
	    const char *rules_version);
/* Record that the file as described by st (taken before it was read) was
 * scanned with rules_version; clean: nothing was found. */
int	scancache_store(struct scancache *, const struct stat *,
	    const char *rules_version, int clean);
/* Forget one file (deleted, or scanning failed). */
int	scancache_forget(struct scancache *, const struct stat *);
/* Commit pending writes. */
int	scancache_flush(struct scancache *);
/* Delete entries of any other rule-set version. */
int	scancache_prune(struct scancache *, const char *rules_version);

#endif
