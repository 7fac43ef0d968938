/*
 * backup.c: online copies of the store (backup.h; docs/report.md,
 * "Backups").
 *
 * Invariants: a file named as a backup is whole and checked (it is
 * written under path.XXXXXX and renamed without replacing anything); the
 * copy is one snapshot (a read transaction on the source is open from
 * before the first step to after the last, so sqlite3_backup_step never
 * restarts and the daemon's commits after it began are not in it); the
 * copy and its folder are ours alone (0600, 0700).
 *
 * Load: a province's year is a few GB: STEP_PAGES pages a step, the
 * daemon's writes go on meanwhile (its WAL grows until the snapshot is
 * released: it cannot checkpoint past it). The copy is read once more
 * for quick_check and once for its SHA-256.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "audit.h"
#include "backup.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "digest.h"
#include "err.h"
#include "store.h"
#include "text.h"

#define PROG		"vigil-collector"
#define CMD		"backup"
#define STEP_PAGES	4096		/* 16 MiB of 4 KiB pages a step */
#define BUSY_WAIT_MS	50
#define HASH_CHUNK	(1 << 20)
/* vigil-20261125T100000Z.db */
#define NAME_PREFIX	"vigil-"
#define NAME_TIME	"%Y%m%dT%H%M%SZ"
#define NAME_SUFFIX	".db"
#define NAME_LEN	(sizeof(NAME_PREFIX) - 1 + 16 + sizeof(NAME_SUFFIX) - 1)

/* ---- the folder and the names ---- */

static int
dir_ours(const char *dir)
{
	struct stat	st;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST || lstat(dir, &st) != 0) {
		cli_say(PROG, "%s: %s", dir, strerror(errno));
		return ERR_IO;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		cli_say(PROG, "%s: not a folder of this user's that only it "
		    "can reach (mode 0700)", dir);
		return ERR_IO;
	}
	return 0;
}

int
backup_default_path(char *out, size_t len, const char *data_dir,
    int64_t now)
{
	char		 dir[PATH_MAX], stamp[32];
	struct tm	 tm;
	time_t		 t = (time_t)now;
	int		 n, rc;

	n = snprintf(dir, sizeof(dir), "%s/%s", data_dir, BACKUP_DIR);
	if (n < 0 || (size_t)n >= sizeof(dir) || gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), NAME_TIME, &tm) != 16) {
		cli_say(PROG, "%s: name too long", data_dir);
		return ERR_IO;
	}
	if ((rc = dir_ours(dir)) != 0)
		return rc;
	n = snprintf(out, len, "%s/" NAME_PREFIX "%s" NAME_SUFFIX, dir, stamp);
	if (n < 0 || (size_t)n >= len) {
		cli_say(PROG, "%s: name too long", dir);
		return ERR_IO;
	}
	return 0;
}

/* A name backup_default_path() gives, and nothing else. */
static int
backup_name(const struct dirent *d)
{
	const char	*s = d->d_name;
	size_t		 i, p = sizeof(NAME_PREFIX) - 1;

	if (strlen(s) != NAME_LEN || strncmp(s, NAME_PREFIX, p) != 0 ||
	    strcmp(s + p + 16, NAME_SUFFIX) != 0 || s[p + 8] != 'T' ||
	    s[p + 15] != 'Z')
		return 0;
	for (i = 0; i < 15; i++)
		if (i != 8 && (s[p + i] < '0' || s[p + i] > '9'))
			return 0;
	return 1;
}

int
backup_prune(size_t *removed, const char *dir, int keep)
{
	struct dirent	**ents = NULL;
	int		  n, i, dfd, rc = 0;

	*removed = 0;
	if (keep <= 0)
		return 0;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (n = scandir(dir, &ents, backup_name, alphasort)) < 0) {
		cli_say(PROG, "%s: %s", dir, strerror(errno));
		if (dfd != -1)
			(void)close(dfd);
		return ERR_IO;
	}
	/* the names hold the time: in name order, oldest first */
	for (i = 0; i < n; i++) {
		if (i < n - keep && rc == 0) {
			if (unlinkat(dfd, ents[i]->d_name, 0) == 0)
				(*removed)++;
			else {
				cli_say(PROG, "%s/%s: %s", dir,
				    ents[i]->d_name, strerror(errno));
				rc = ERR_IO;
			}
		}
		free(ents[i]);
	}
	free(ents);
	(void)close(dfd);
	return rc;
}

/* ---- the copy ---- */

static int
lite_fail(sqlite3 *db, const char *path, const char *what)
{
	cli_say(PROG, "%s: %s: %s", path, what, sqlite3_errmsg(db));
	return ERR_IO;
}

/* Open the source's read snapshot and read its schema version in it. */
static int
snapshot_begin(struct db *db, int *schema)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = db_exec(db, "BEGIN")) != 0)
		return rc;
	/* a read: the snapshot starts here, not at BEGIN */
	if ((rc = db_prepare(db, &st, "SELECT user_version, (SELECT count(*)"
	    " FROM sqlite_schema) FROM pragma_user_version")) == 0) {
		if ((rc = db_row(db, st, "backup")) == 0)
			*schema = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (rc != 0) {
		(void)db_exec(db, "ROLLBACK");
		return rc == ERR_NOTFOUND ? ERR_IO : rc;
	}
	return 0;
}

/* Every page of src into dst, STEP_PAGES at a time. */
static int
copy_pages(sqlite3 *dst, sqlite3 *src, const char *path)
{
	sqlite3_backup	*bk;
	int		 rc;

	if ((bk = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		return lite_fail(dst, path, "backup");
	do {
		rc = sqlite3_backup_step(bk, STEP_PAGES);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			(void)sqlite3_sleep(BUSY_WAIT_MS);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	if (sqlite3_backup_finish(bk) != SQLITE_OK || rc != SQLITE_DONE)
		return lite_fail(dst, path, "backup");
	return 0;
}

/* The copy as one file (the source's WAL flag came with its first
 * page): the rollback journal. */
static int
copy_to(const char *tmp, struct db *src, int *schema)
{
	sqlite3	*dst = NULL;
	int	 rc, k;

	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		rc = lite_fail(dst, tmp, "open");
		goto done;
	}
	if ((rc = snapshot_begin(src, schema)) != 0)
		goto done;
	rc = copy_pages(dst, db_sqlite(src), tmp);
	if ((k = db_exec(src, "COMMIT")) != 0 && rc == 0)
		rc = k;
	if (rc == 0 && sqlite3_exec(dst, "PRAGMA journal_mode = DELETE",
	    NULL, NULL, NULL) != SQLITE_OK)
		rc = lite_fail(dst, tmp, "journal_mode");
done:
	if (sqlite3_close(dst) != SQLITE_OK && rc == 0)
		rc = ERR_IO;
	return rc;
}

/* One text row of sql on db, into out. */
static int
lite_text(sqlite3 *db, const char *sql, char *out, size_t len)
{
	sqlite3_stmt	*st;
	int		 rc = ERR_IO;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_IO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		(void)snprintf(out, len, "%s", sqlite3_column_text(st, 0) ?
		    (const char *)sqlite3_column_text(st, 0) : "");
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The copy opens, quick_check says ok, its schema is the store's. */
static int
check_copy(const char *tmp, int schema)
{
	sqlite3	*db = NULL;
	char	 ok[64], ver[32];
	int	 rc = ERR_MALFORMED;

	if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		rc = lite_fail(db, tmp, "open");
		goto done;
	}
	if (lite_text(db, "PRAGMA quick_check", ok, sizeof(ok)) != 0 ||
	    lite_text(db, "PRAGMA user_version", ver, sizeof(ver)) != 0)
		(void)lite_fail(db, tmp, "check");
	else if (strcmp(ok, "ok") != 0)
		cli_say(PROG, "%s: quick_check: %s", tmp, ok);
	else if (atoi(ver) != schema)
		cli_say(PROG, "%s: schema %s, the store's is %d", tmp, ver,
		    schema);
	else
		rc = 0;
done:
	(void)sqlite3_close(db);
	return rc;
}

/* The copy's size and SHA-256, and it on disk (fsync). */
static int
hash_sync(struct backup_info *out, const char *tmp)
{
	struct digest_sha256	*d = NULL;
	uint8_t			 h[DIGEST_SHA256_LEN], *buf;
	ssize_t			 n;
	int			 fd, rc = ERR_NOMEM;

	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) == -1) {
		cli_say(PROG, "%s: %s", tmp, strerror(errno));
		return ERR_IO;
	}
	if ((buf = malloc(HASH_CHUNK)) == NULL ||
	    digest_sha256_new(&d) != 0 || digest_sha256_init(d) != 0)
		goto done;
	out->size = 0;
	while ((n = read(fd, buf, HASH_CHUNK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || digest_sha256_update(d, buf, (size_t)n) != 0)
			break;
		out->size += (uint64_t)n;
	}
	if (n != 0 || digest_sha256_final(h, d) != 0 || fsync(fd) != 0) {
		cli_say(PROG, "%s: %s", tmp, strerror(errno));
		rc = ERR_IO;
		goto done;
	}
	sodium_bin2hex(out->sha256, sizeof(out->sha256), h, sizeof(h));
	rc = 0;
done:
	digest_sha256_free(d);
	free(buf);
	(void)close(fd);
	return rc;
}

/* tmp becomes path, never replacing a file there; the rename synced. */
static int
give_name(const char *tmp, const char *path)
{
	char	 dir[PATH_MAX], *slash;
	int	 fd;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
		cli_say(PROG, "%s: %s", path, strerror(errno));
		return errno == EEXIST ? ERR_EXISTS : ERR_IO;
	}
	(void)snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';	/* "/x": "/" */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);	/* the name is made; its sync is best
					 * effort */
		(void)close(fd);
	}
	return 0;
}

static void
remove_tmp(const char *tmp)
{
	static const char *const	 sfx[] = { "", "-journal", "-wal",
		"-shm" };
	char				 p[PATH_MAX + 16];
	size_t				 i;

	for (i = 0; i < sizeof(sfx) / sizeof(*sfx); i++) {
		(void)snprintf(p, sizeof(p), "%s%s", tmp, sfx[i]);
		(void)unlink(p);
	}
}

int
backup_make(struct backup_info *out, struct store *st, const char *path,
    int64_t now)
{
	char	 tmp[PATH_MAX];
	int	 fd, n, rc;

	memset(out, 0, sizeof(out[0]));
	out->started = now;
	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		cli_say(PROG, "%s: name too long", path);
		return ERR_IO;
	}
	if (access(path, F_OK) == 0) {		/* before a long copy */
		cli_say(PROG, "%s: exists; a backup replaces nothing", path);
		return ERR_EXISTS;
	}
	if ((fd = mkstemp(tmp)) == -1) {	/* 0600 */
		cli_say(PROG, "%s: %s", path, strerror(errno));
		return ERR_IO;
	}
	(void)close(fd);
	if ((rc = copy_to(tmp, store_db(st), &out->schema)) != 0 ||
	    (rc = check_copy(tmp, out->schema)) != 0 ||
	    (rc = hash_sync(out, tmp)) != 0 ||
	    (rc = give_name(tmp, path)) != 0)
		goto fail;
	if (realpath(path, out->path) == NULL)
		(void)snprintf(out->path, sizeof(out->path), "%s", path);
	return 0;
fail:
	remove_tmp(tmp);
	return rc;
}

int
backup_record(struct store *st, const struct backup_info *b,
    const char *actor, int64_t now)
{
	struct db	*db = store_db(st);
	json_t		*detail;
	int		 rc;

	if ((detail = json_pack("{s:o, s:I, s:s, s:i, s:I}", "path",
	    text_json(b->path, strlen(b->path), NULL), "size",
	    (json_int_t)b->size, "sha256", b->sha256, "schema", b->schema,
	    "started", (json_int_t)b->started)) == NULL)
		return ERR_NOMEM;
	if ((rc = db_begin(db, DB_IMMEDIATE)) == 0) {
		rc = audit_append(st, now, actor, "backup", 0, detail);
		rc = db_end(db, rc);
	}
	json_decref(detail);
	return rc;
}

/* ---- the command ---- */

static const char usage[] =
"usage: vigil-collector backup [-o FILE] [--keep N]\n"
"  Copies the store while the collector runs (SQLite's online backup,\n"
"  one snapshot: what was committed when it began), checks the copy\n"
"  (quick_check, schema version), and records it in the audit log\n"
"  (action backup: path, size, sha256), which the report's backups\n"
"  control reads. The copy is mode 0600 and never replaces a file.\n"
"  -o FILE    the copy's name (default: DATA_DIR/backups/\n"
"             vigil-YYYYMMDDTHHMMSSZ.db, UTC, in a folder of mode 0700)\n"
"  --keep N   in DATA_DIR/backups, keep the newest N backups and remove\n"
"             the older ones (default: [report] backup_keep, 8; 0 keeps\n"
"             every one); not with -o\n"
"Exit: 0 ok, 1 error, 2 usage.\n";

struct args {
	const char	*output;
	int		 keep;		/* -1: the config's */
};

static int
parse(struct args *a, const struct cmd_host *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "keep", required_argument, NULL, 'k' },
		CMD_GLOBAL_OPTS, { NULL, 0, NULL, 0 }
	};
	uint64_t	v;
	int		ch;

	a->output = NULL;
	a->keep = -1;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:vho:", opts, NULL)) != -1) {
		if (h->global_opt(h->ctx, ch, optarg))
			continue;
		switch (ch) {
		case 'o': a->output = optarg; break;
		case 'k':
			if (text_u64(&v, optarg, strlen(optarg), 0, 10000) != 0)
				return cli_usage(PROG, CMD, "--keep: 0 to "
				    "10000, not '%s'", optarg);
			a->keep = (int)v;
			break;
		case 'h': fputs(usage, stdout); return 1;
		default: return cli_hint(PROG, CMD);
		}
	}
	if (optind != argc)
		return cli_usage(PROG, CMD, "unexpected argument '%s'",
		    argv[optind]);
	if (a->output != NULL && a->keep >= 0)
		return cli_usage(PROG, CMD, "--keep prunes DATA_DIR/%s only, "
		    "not with -o", BACKUP_DIR);
	if (a->output != NULL && a->output[0] == '\0')
		return cli_usage(PROG, CMD, "-o: a file name");
	return 0;
}

/* The old backups of the default folder, beyond keep. */
static int
prune_default(const struct cmd_host *h, int keep, size_t *removed)
{
	char	dir[PATH_MAX];
	int	n;

	n = snprintf(dir, sizeof(dir), "%s/%s", h->cfg->data_dir, BACKUP_DIR);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return ERR_IO;
	return backup_prune(removed, dir, keep);
}

int
backup_cmd_run(const struct cmd_host *h, int argc, char **argv)
{
	struct backup_info	 b;
	struct args		 a;
	struct store		*st;
	char			 path[PATH_MAX], by[64];
	const char		*to;
	size_t			 removed = 0;
	int64_t			 deadline, now;
	int			 rc, status;

	if ((rc = parse(&a, h, argc, argv)) != 0)
		return rc == 1 ? 0 : cli_exit(rc);
	if ((status = h->open(h->ctx, &st, &deadline)) != 0)
		return status;
	now = (int64_t)time(NULL);
	to = a.output;
	if (to == NULL && (rc = backup_default_path(path, sizeof(path),
	    h->cfg->data_dir, now)) == 0)
		to = path;
	if (rc == 0 && (rc = backup_make(&b, st, to, now)) == 0) {
		cmd_whoami(by, sizeof(by));
		if ((rc = backup_record(st, &b, by, (int64_t)time(NULL))) != 0)
			cli_say(PROG, "backup %s: made, but not recorded in the "
			    "audit log: %s", b.path, vigil_strerror(rc));
	}
	if (rc == 0 && a.output == NULL)
		rc = prune_default(h, a.keep >= 0 ? a.keep :
		    h->cfg->report_backup_keep, &removed);
	store_close(st);
	if (rc != 0)
		return CLI_EXIT_FAIL;
	printf("backup %s: %" PRIu64 " bytes, sha256 %s, schema %d, "
	    "quick_check ok; %zu older removed\n", b.path, b.size, b.sha256,
	    b.schema, removed);
	return 0;
}
