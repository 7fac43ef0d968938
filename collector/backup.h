/*
 * backup.h: online copies of the collector's store (docs/report.md,
 * "Backups").
 *
 *   vigil-collector backup [-o FILE] [--keep N]
 *
 * backup_make() copies the store with SQLite's backup API, a step of
 * pages at a time, from one read snapshot held for the whole copy: the
 * running daemon keeps writing (WAL), and the copy holds exactly what
 * was committed when it began. The copy is made under a temporary name
 * (mode 0600), switched to the rollback journal so that it is one file,
 * checked (quick_check, its schema version the store's), hashed,
 * synced, and only then given its name, which it never replaces.
 * backup_record() appends the audit log entry the report's `backups`
 * control reads: action "backup", detail {path, size, sha256, schema,
 * started}.
 *
 * Callers: the CLI, on its own store handle. Errors: ERR_IO (said on
 * stderr, with the file), ERR_NOMEM, ERR_MALFORMED (the copy does not
 * check), ERR_EXISTS (the name is taken).
 */
#ifndef VIGIL_BACKUP_H
#define VIGIL_BACKUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "digest.h"

struct store;

#define BACKUP_DIR	"backups"	/* below the data directory, 0700 */

struct backup_info {
	char		 path[PATH_MAX];	/* absolute */
	uint64_t	 size;			/* bytes */
	char		 sha256[2 * DIGEST_SHA256_LEN + 1];	/* hex */
	int		 schema;		/* PRAGMA user_version */
	int64_t		 started;		/* the snapshot's time */
};

/* DATA_DIR/backups/vigil-YYYYMMDDTHHMMSSZ.db for now (UTC); the folder
 * is made 0700 if absent, and refused if it is not a folder of ours
 * that only we can reach. */
int	backup_default_path(char *out, size_t len, const char *data_dir,
	    int64_t now);
/* Copy the store to path (which must not exist). */
int	backup_make(struct backup_info *out, struct store *, const char *path,
	    int64_t now);
/* The audit log entry (its own transaction). */
int	backup_record(struct store *, const struct backup_info *,
	    const char *actor, int64_t now);
/* Remove all but the newest keep of the backups named as
 * backup_default_path() names them in dir (others are left alone);
 * *removed says how many went. keep 0: none removed. */
int	backup_prune(size_t *removed, const char *dir, int keep);

/* The command (main.c hands over argv from "backup" on). Exit 0 done,
 * 1 error, 2 usage. */
int	backup_cmd_run(const struct cmd_host *, int argc, char **argv);

#endif
