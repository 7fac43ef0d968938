/*
 * test_upgrade: files as the previous release wrote them, opened by this
 * build: nothing may be lost or misread (issue 12, "an upgrade from the
 * previous package keeps every spooled event, the register and the audit
 * chain").
 *
 * Each file is made here from the previous release's own schema SQL,
 * kept in tests/fixtures/prev/NAME.sql (extract.py writes them from the
 * sources of a git commit), at that release's user_version, and filled
 * through raw SQL the way that release's statements filled it: the spool
 * with events part acknowledged, the scan cache with verdicts, the
 * integrity baseline with the rows of a real tree, the collector store
 * with agents, events, incidents and an audit chain whose hashes are
 * computed here from audit.h's documented encoding (not by audit.c, so
 * that a change to the chain's format fails this test). Then the
 * module's own open and API must give every row back, and keep working.
 * When a schema changes, its fixture stays: this test then checks the
 * upgrade step from the release before.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "audit.h"
#include "err.h"
#include "fim.h"
#include "incident.h"
#include "log.h"
#include "scancache.h"
#include "spool.h"
#include "store.h"
#include "taxonomy.h"
#include "testutil.h"

#ifndef FIXTURES
#error "FIXTURES: the folder of the previous release's schemas"
#endif

/* ---- the previous release's files ---- */

/* The fixture's text; "-- user_version N" in it gives *version. */
static char *
fixture(const char *name, int *version)
{
	char		 path[PATH_MAX];
	const char	*v;
	char		*sql, *end;
	FILE		*fp;
	long		 len, n;

	assert_true(snprintf(path, sizeof(path), "%s/%s.sql", FIXTURES,
	    name) < (int)sizeof(path));
	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((len = ftell(fp)) > 0 && len < 1024 * 1024);
	rewind(fp);
	assert_non_null(sql = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(sql, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	assert_non_null(v = strstr(sql, "\n-- user_version "));
	n = strtol(v + strlen("\n-- user_version "), &end, 10);
	assert_true(*end == '\n' && n >= 0 && n < 1000);
	*version = (int)n;
	return sql;
}

static void
exec(sqlite3 *db, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* path made as the previous release made it (db.c then: WAL, the schema
 * and its version in one transaction), open for filling. */
static sqlite3 *
prev_make(const char *path, const char *name)
{
	sqlite3	*db;
	char	*sql, set[64];
	int	 version;

	sql = fixture(name, &version);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, "PRAGMA journal_mode=WAL; BEGIN IMMEDIATE");
	exec(db, sql);
	snprintf(set, sizeof(set), "PRAGMA user_version = %d", version);
	if (version != 0)
		exec(db, set);
	exec(db, "COMMIT");
	free(sql);
	return db;
}

/* Run sql with its ?1.. bound from fmt: 'i' int64, 't' text, 'b' blob
 * (pointer, then int length), 'n' NULL. */
static void
row(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt	*st;
	const void	*p;
	va_list		 ap;
	int		 i, len;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	va_start(ap, fmt);
	for (i = 1; *fmt != '\0'; fmt++, i++) {
		switch (*fmt) {
		case 'i':
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 't':
			sqlite3_bind_text(st, i, va_arg(ap, const char *), -1,
			    SQLITE_TRANSIENT);
			break;
		case 'b':
			p = va_arg(ap, const void *);
			len = va_arg(ap, int);
			sqlite3_bind_blob(st, i, p, len, SQLITE_TRANSIENT);
			break;
		default:
			sqlite3_bind_null(st, i);
			break;
		}
	}
	va_end(ap);
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

static int64_t
one_int(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* ---- the agent's spool ---- */

#define SP_LAST		300	/* events appended */
#define SP_ACKED	120	/* acknowledged (deleted) */

static void
spool_body(char *out, size_t len, uint64_t seq)
{
	assert_true(snprintf(out, len, "{\"event_type\":\"%s\",\"n\":%"
	    PRIu64 ",\"path\":\"C:/Users/T\\u00e2m/%" PRIu64 ".doc\"}",
	    seq % 3 ? "flow" : "alert", seq, seq * 7) < (int)len);
}

struct sent {
	uint64_t	 next;		/* the seq expected */
	size_t		 n;
};

static int
send_cb(void *arg, uint64_t seq, const char *json, size_t len)
{
	struct sent	*s = arg;
	char		 want[128];

	spool_body(want, sizeof(want), seq);
	assert_int_equal(seq, s->next);
	assert_int_equal(len, strlen(want));
	assert_string_equal(json, want);
	s->next++;
	s->n++;
	return 0;
}

/*
 * A spool of the previous release with the collector away: events 1..300
 * appended, 1..120 acknowledged (deleted), drops counted, the
 * enrollment in meta. This build reads back the 180 waiting, in order,
 * as the uplink sends them (after acked_seq, in batches), and numbering
 * goes on after 300 (the collector deduplicates on it).
 */
static void
test_spool(void **state)
{
	struct tmpfile		*f = *state;
	struct spool		*s;
	struct spool_stats	 st;
	struct spool_in		 in = { "alert", 3, "{\"n\":1}", 7 };
	struct sent		 sent = { SP_ACKED + 1, 0 };
	sqlite3			*db;
	char			 body[128], *v;
	uint64_t		 seq, bytes = 0, first;
	size_t			 nread;

	db = prev_make(f->path, "spool");
	exec(db, "BEGIN");
	for (seq = SP_ACKED + 1; seq <= SP_LAST; seq++) {
		spool_body(body, sizeof(body), seq);
		row(db, "INSERT INTO events (seq, prio, type, body)"
		    " VALUES (?1, ?2, ?3, ?4)", "iitb", (int64_t)seq,
		    (int64_t)(seq % 3 ? 1 : 3), seq % 3 ? "flow" : "alert",
		    body, (int)strlen(body));
		bytes += strlen(body);
	}
	row(db, "UPDATE state SET last_seq = ?1, acked_seq = ?2,"
	    " bytes = ?3, depth = ?4 WHERE id = 1", "iiii", (int64_t)SP_LAST,
	    (int64_t)SP_ACKED, (int64_t)bytes, (int64_t)(SP_LAST - SP_ACKED));
	row(db, "INSERT INTO drops (type, n) VALUES (?1, ?2)", "ti", "flow",
	    (int64_t)7);
	row(db, "INSERT INTO meta (key, value) VALUES (?1, ?2)", "tt",
	    "agent_id", "3f2a9c");
	row(db, "INSERT INTO meta (key, value) VALUES (?1, ?2)", "tt",
	    "collector", "10.0.0.1:7414");
	exec(db, "COMMIT");
	sqlite3_close(db);

	assert_int_equal(spool_open(&s, f->path, 0), 0);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, SP_LAST - SP_ACKED);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.last_seq, SP_LAST);
	assert_int_equal(st.acked_seq, SP_ACKED);
	assert_int_equal(st.dropped, 7);
	assert_int_equal(spool_meta_get(s, "agent_id", &v), 0);
	assert_string_equal(v, "3f2a9c");
	free(v);
	assert_int_equal(spool_meta_get(s, "collector", &v), 0);
	assert_string_equal(v, "10.0.0.1:7414");
	free(v);

	/* sent as the uplink sends: batches after what was acknowledged */
	do {
		assert_int_equal(spool_read(s, sent.next - 1, 64, 4096,
		    send_cb, &sent, &nread), 0);
	} while (nread > 0);
	assert_int_equal(sent.n, SP_LAST - SP_ACKED);
	assert_int_equal(sent.next, SP_LAST + 1);
	assert_int_equal(spool_ack(s, SP_LAST), 0);
	assert_int_equal(spool_append(s, &in, 1, &first, NULL), 0);
	assert_int_equal(first, SP_LAST + 1);
	assert_int_equal(spool_stats(s, &st), 0);
	assert_int_equal(st.depth, 1);
	spool_close(s);
}

/* ---- the agent's scan cache ---- */

static int64_t
ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void
cache_row(sqlite3 *db, const struct stat *sb, const char *version,
    int clean)
{
	row(db, "INSERT INTO files(dev, ino, size, mtime_ns, ctime_ns,"
	    " version, clean) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", "iiiiiti",
	    (int64_t)sb->st_dev, (int64_t)sb->st_ino, (int64_t)sb->st_size,
	    ns(&sb->st_mtim), ns(&sb->st_ctim), version, (int64_t)clean);
}

/*
 * The scan cache is a cache (docs/deploy.md): at the same schema version
 * its verdicts are kept and read as they were written (clean stays
 * clean, a reported match stays known, another rule set or a changed
 * file is a miss); a file of another version is emptied, never read.
 */
static void
test_scancache(void **state)
{
	struct tmpfile		*f = *state;
	struct scancache	*c;
	struct stat		 clean, known, changed;
	char			 p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX];
	sqlite3			*db;

	tmpdir_path(p1, sizeof(p1), &f->dir, "clean.doc");
	tmpdir_path(p2, sizeof(p2), &f->dir, "match.exe");
	tmpdir_path(p3, sizeof(p3), &f->dir, "changed.pdf");
	assert_int_equal(tmpdir_put(p1, "clean"), 0);
	assert_int_equal(tmpdir_put(p2, "X5O!P%@AP"), 0);
	assert_int_equal(tmpdir_put(p3, "before"), 0);
	assert_int_equal(stat(p1, &clean), 0);
	assert_int_equal(stat(p2, &known), 0);
	assert_int_equal(stat(p3, &changed), 0);

	db = prev_make(f->path, "scancache");
	cache_row(db, &clean, "rules-1", 1);
	cache_row(db, &known, "rules-1", 0);
	cache_row(db, &changed, "rules-1", 1);
	sqlite3_close(db);
	assert_int_equal(tmpdir_put(p3, "after, longer"), 0);
	assert_int_equal(stat(p3, &changed), 0);

	assert_int_equal(scancache_open(&c, f->path), 0);
	assert_int_equal(scancache_lookup(c, &clean, "rules-1"),
	    SCANCACHE_CLEAN);
	assert_int_equal(scancache_lookup(c, &known, "rules-1"),
	    SCANCACHE_KNOWN);
	assert_int_equal(scancache_lookup(c, &changed, "rules-1"),
	    SCANCACHE_MISS);
	assert_int_equal(scancache_lookup(c, &clean, "rules-2"),
	    SCANCACHE_MISS);
	scancache_close(c);

	/* another version's file: emptied, not read */
	assert_int_equal(unlink(f->path), 0);
	db = prev_make(f->path, "scancache");
	cache_row(db, &clean, "rules-1", 1);
	exec(db, "PRAGMA user_version = 1");
	sqlite3_close(db);
	assert_int_equal(scancache_open(&c, f->path), 0);
	assert_int_equal(scancache_lookup(c, &clean, "rules-1"),
	    SCANCACHE_MISS);
	scancache_close(c);
}

/* ---- the agent's integrity baseline ---- */

struct fimfx {
	struct tmpfile	 tf;		/* first: T/fim.db */
	char		 tree[PATH_MAX];	/* T/tree, resolved */
};

static int
fim_setup(void **state)
{
	struct fimfx	*x;
	char		 p[PATH_MAX];

	if ((x = tmpfile_new(sizeof(*x), "fim.db")) == NULL)
		return -1;
	*state = x;
	tmpdir_path(p, sizeof(p), &x->tf.dir, "tree");
	if (mkdir(p, 0755) != 0 || realpath(p, x->tree) == NULL)
		return -1;
	return 0;
}

static void
tree_path(char *out, const struct fimfx *x, const char *rel)
{
	assert_true(snprintf(out, PATH_MAX, "%s%s%s", x->tree,
	    *rel ? "/" : "", rel) < PATH_MAX);
}

/* The previous release's row for rel (lstat'ed now, hashed here). */
static void
fim_row(sqlite3 *db, const struct fimfx *x, const char *rel)
{
	char		 p[PATH_MAX], target[PATH_MAX];
	uint8_t		 hash[crypto_hash_sha256_BYTES];
	struct stat	 sb;
	struct passwd	*pw;
	struct group	*gr;
	char		 data[256];
	ssize_t		 n;
	int		 type;

	tree_path(p, x, rel);
	assert_int_equal(lstat(p, &sb), 0);
	type = S_ISREG(sb.st_mode) ? FIM_T_FILE : S_ISDIR(sb.st_mode) ?
	    FIM_T_DIR : FIM_T_SYMLINK;
	assert_true(type != FIM_T_SYMLINK || S_ISLNK(sb.st_mode));
	pw = getpwuid(sb.st_uid);
	gr = getgrgid(sb.st_gid);
	row(db, "INSERT INTO fim_entry (path, type, mode, uid, gid, owner,"
	    " grp, size, ino, dev, mtime, ctime, hash, target, err, recheck)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " NULL, NULL, 0, 0)", "biiii" "tt" "iiiii",
	    p, (int)strlen(p), (int64_t)type, (int64_t)(sb.st_mode & 07777),
	    (int64_t)sb.st_uid, (int64_t)sb.st_gid,
	    pw != NULL ? pw->pw_name : "", gr != NULL ? gr->gr_name : "",
	    (int64_t)sb.st_size, (int64_t)sb.st_ino, (int64_t)sb.st_dev,
	    ns(&sb.st_mtim), ns(&sb.st_ctim));
	if (type == FIM_T_FILE) {
		assert_true((n = file_get(p, data, sizeof(data))) >= 0);
		crypto_hash_sha256(hash, (const uint8_t *)data,
		    (unsigned long long)n);
		row(db, "UPDATE fim_entry SET hash = ?2 WHERE path = ?1", "bb",
		    p, (int)strlen(p), hash, (int)sizeof(hash));
	} else if (type == FIM_T_SYMLINK) {
		assert_true((n = readlink(p, target, sizeof(target))) > 0);
		row(db, "UPDATE fim_entry SET target = ?2 WHERE path = ?1",
		    "bb", p, (int)strlen(p), target, (int)n);
	}
}

static const char *const fim_tree[] = { "", "a.conf", "link", "sub",
    "sub/b.key" };

/* The tree and a previous release's baseline of it at T/fim.db, its
 * fim_meta 'schema' as given. */
static void
fim_prev(struct fimfx *x, const char *schema)
{
	char	p[PATH_MAX];
	sqlite3	*db;
	size_t	 i;

	tree_path(p, x, "a.conf");
	assert_int_equal(tmpdir_put(p, "listen = 0.0.0.0\n"), 0);
	tree_path(p, x, "sub");
	assert_int_equal(mkdir(p, 0750), 0);
	tree_path(p, x, "sub/b.key");
	assert_int_equal(tmpdir_put(p, "secret\n"), 0);
	tree_path(p, x, "link");
	assert_int_equal(symlink("a.conf", p), 0);

	db = prev_make(x->tf.path, "fim");
	exec(db, "BEGIN");
	for (i = 0; i < sizeof(fim_tree) / sizeof(fim_tree[0]); i++)
		fim_row(db, x, fim_tree[i]);
	/* NULL, not "", when a name is unknown (fim.c's bind_attr) */
	exec(db, "UPDATE fim_entry SET owner = NULLIF(owner, ''),"
	    " grp = NULLIF(grp, '')");
	row(db, "INSERT OR REPLACE INTO fim_meta VALUES ('baseline', ?1)",
	    "t", "1767225600000000");
	row(db, "UPDATE fim_meta SET value = ?1 WHERE key = 'schema'", "t",
	    schema);
	exec(db, "COMMIT");
	sqlite3_close(db);
}

struct changes {
	int		 n;
	unsigned int	 last;
	char		 path[PATH_MAX];
};

static int
change_cb(void *arg, const struct fim_change *c)
{
	struct changes	*ch = arg;

	ch->n++;
	ch->last = c->changes;
	snprintf(ch->path, sizeof(ch->path), "%s", c->path);
	return 0;
}

static int
fim_check_tree(struct fimfx *x, int rehash, struct changes *ch)
{
	const char	*paths[1] = { x->tree };
	struct fim_opts	 o = { .paths = paths, .npaths = 1, .threads = 1,
	    .rehash = rehash };
	struct fim	*f;
	int		 rc;

	memset(ch, 0, sizeof(*ch));
	if ((rc = fim_open(&f, x->tf.path, &o)) != 0)
		return rc;
	rc = fim_check(f, change_cb, ch, NULL);
	fim_close(f);
	return rc;
}

/*
 * The previous release's baseline (user_version 0, fim_meta 'schema'
 * '1') of an unchanged tree: taken over without a rebuild and without a
 * single change reported, rehashing every file or not; a change after
 * it is reported against the old rows.
 */
static void
test_fim(void **state)
{
	struct fimfx	*x = *state;
	struct changes	 ch;
	char		 p[PATH_MAX];

	fim_prev(x, "1");
	assert_int_equal(fim_check_tree(x, 1, &ch), 0);
	if (ch.n != 0)
		fail_msg("%d changes reported, the last %s (0x%x)", ch.n,
		    ch.path, ch.last);
	assert_int_equal(one_int(x->tf.path, "PRAGMA user_version"), 1);
	assert_int_equal(one_int(x->tf.path, "SELECT count(*) FROM fim_entry"),
	    (int64_t)(sizeof(fim_tree) / sizeof(fim_tree[0])));
	assert_int_equal(one_int(x->tf.path, "SELECT count(*) FROM fim_meta"
	    " WHERE key = 'schema'"), 0);
	assert_int_equal(fim_check_tree(x, 0, &ch), 0);
	assert_int_equal(ch.n, 0);

	tree_path(p, x, "sub/b.key");
	assert_int_equal(tmpdir_put(p, "stolen\n"), 0);
	assert_int_equal(fim_check_tree(x, 0, &ch), 0);
	assert_int_equal(ch.n, 1);
	assert_string_equal(ch.path, p);
	assert_int_equal(ch.last & FIM_MODIFIED, FIM_MODIFIED);
}

static void
call_check(void *arg)
{
	struct changes	 ch;

	assert_int_equal(fim_check_tree(arg, 0, &ch), ERR_IO);
}

/* A baseline whose fim_meta names a schema this build does not know
 * (user_version 0), or a newer user_version: refused, said so, and left
 * as it was. */
static void
test_fim_unknown(void **state)
{
	struct fimfx	*x = *state;
	sqlite3		*db;
	char		*log;

	fim_prev(x, "2");
	assert_non_null(log = capture_stderr(call_check, x));
	assert_non_null(strstr(log, "a baseline of schema '2', unknown to "
	    "this build: refused"));
	free(log);
	assert_int_equal(one_int(x->tf.path, "PRAGMA user_version"), 0);
	assert_int_equal(one_int(x->tf.path, "SELECT count(*) FROM fim_meta"
	    " WHERE key = 'schema' AND value = '2'"), 1);

	assert_int_equal(unlink(x->tf.path), 0);
	db = prev_make(x->tf.path, "fim");
	exec(db, "DELETE FROM fim_meta WHERE key = 'schema';"
	    "PRAGMA user_version = 2");
	sqlite3_close(db);
	assert_non_null(log = capture_stderr(call_check, x));
	assert_non_null(strstr(log, "a newer build's file, refused"));
	free(log);
}

/* ---- the collector's store ---- */

#define ST_EVENTS	60
#define ST_T0		((int64_t)1767225600)	/* 2026-01-01, s */

/* audit.h's encoding, written again here: BLAKE2b-256 of
 * "vigil-audit-1" NUL, seq, time, incident (8 bytes big-endian), actor,
 * action, detail (4-byte big-endian length, bytes), prev. */
static void
chain_hash(uint8_t out[32], int64_t seq, int64_t t, int64_t incident,
    const char *actor, const char *action, const char *detail,
    const uint8_t prev[32])
{
	crypto_generichash_state	 h;
	const char			*s[3] = { actor, action, detail };
	uint64_t			 n[3] = { (uint64_t)seq, (uint64_t)t,
					    (uint64_t)incident };
	uint8_t				 b[8];
	size_t				 i, j, len;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const uint8_t *)"vigil-audit-1", 14);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 8; j++)
			b[j] = (uint8_t)(n[i] >> (56 - 8 * j));
		crypto_generichash_update(&h, b, 8);
	}
	for (i = 0; i < 3; i++) {
		len = strlen(s[i]);
		for (j = 0; j < 4; j++)
			b[j] = (uint8_t)(len >> (24 - 8 * j));
		crypto_generichash_update(&h, b, 4);
		crypto_generichash_update(&h, (const uint8_t *)s[i], len);
	}
	crypto_generichash_update(&h, prev, 32);
	crypto_generichash_final(&h, out, 32);
}

struct audit_line {
	const char	*actor, *action, *detail;
	int64_t		 incident;
};

static const struct audit_line audit_lines[] = {
	{ "correlate", "open", "{\"category\":\"malware\",\"severity\":"
	    "\"high\",\"title\":\"M\\u00e3 \\u0111\\u1ed9c tr\\u00ean pc-01\"}",
	    1 },
	{ "correlate", "link", "{\"agent\":\"pc-01\",\"events\":5}", 1 },
	{ "admin", "assign", "{\"assignee\":\"an\"}", 1 },
	{ "admin", "status", "{\"from\":\"new\",\"to\":\"acknowledged\"}", 1 },
	{ "admin", "note", "{\"text\":\"g\\u1ecdi x\\u00e3\"}", 1 },
	{ "correlate", "open", "{\"category\":\"scan\",\"severity\":\"low\","
	    "\"title\":\"Qu\\u00e9t c\\u1ed5ng\"}", 2 },
};
#define N_AUDIT	(sizeof(audit_lines) / sizeof(audit_lines[0]))

static void
event_body(char *out, size_t len, int i)
{
	assert_true(snprintf(out, len, "{\"event_type\":\"%s\",\"seq\":%d,"
	    "\"file\":\"/home/t\\u00e2m/%d.exe\"}", i % 4 ? "flow" : "alert",
	    i, i) < (int)len);
}

/* The previous release's store: two agents, ST_EVENTS events of pc-01
 * (seq 1..), two incidents with links, a note and the audit chain;
 * *head gets the chain's last hash. */
static void
store_prev(const char *path, uint8_t head[32])
{
	static const uint8_t	 pub1[32] = { 1, 2, 3 }, pub2[32] = { 4, 5 };
	uint8_t			 prev[32] = { 0 };
	sqlite3			*db;
	char			 body[160];
	size_t			 i;
	int			 e;

	db = prev_make(path, "store");
	exec(db, "BEGIN");
	row(db, "INSERT INTO agents(id, pub, name, office, enrolled, events,"
	    " last_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", "tbttiii",
	    "a1b2c3d4e5f60718", pub1, 32, "pc-01", "X\xc3\xa3 Th\xe1\xbb\xad", ST_T0,
	    (int64_t)ST_EVENTS, (int64_t)ST_EVENTS);
	row(db, "INSERT INTO agents(id, pub, name, office, enrolled, revoked)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, 1)", "tbtti", "d4e5f60718293a4b", pub2, 32,
	    "pc-02", "X\xc3\xa3 Th\xe1\xbb\xad", ST_T0);
	for (e = 1; e <= ST_EVENTS; e++) {
		event_body(body, sizeof(body), e);
		row(db, "INSERT INTO events(agent, seq, ts, received, type,"
		    " severity, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		    "iiiitit", (int64_t)1, (int64_t)e,
		    (ST_T0 + e) * 1000000, ST_T0 + e + 1,
		    e % 4 ? "flow" : "alert", (int64_t)(e % 4 ? 0 : 3), body);
	}
	row(db, "INSERT INTO incidents(title, category, severity, tlp,"
	    " status, created, first_seen, last_seen, deadline, updated)"
	    " VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?5, ?5, ?6, ?7)", "ttitiii",
	    "M\xc3\xa3 \xc4\x91\xe1\xbb\x99\x63 tr\xc3\xaan pc-01", "malware",
	    (int64_t)3, "amber", ST_T0 + 4, ST_T0 + 4 + 5 * 86400, ST_T0 + 4);
	row(db, "UPDATE incidents SET status = 'acknowledged',"
	    " assignee = 'an', alerts = 5 WHERE id = 1", "");
	row(db, "INSERT INTO incidents(title, category, severity, tlp,"
	    " status, created, first_seen, last_seen, deadline, updated)"
	    " VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?5, ?5, ?6, ?7)", "ttitiii",
	    "Qu\xc3\xa9t c\xe1\xbb\x95ng", "scan", (int64_t)1, "green",
	    ST_T0 + 9, ST_T0 + 9 + 5 * 86400, ST_T0 + 9);
	for (e = 4; e <= 20; e += 4)
		row(db, "INSERT INTO incident_events(incident, event)"
		    " VALUES (1, ?1)", "i", (int64_t)e);
	row(db, "INSERT INTO incident_agents(incident, agent, first_seen,"
	    " last_seen) VALUES (1, 1, ?1, ?2)", "ii", ST_T0 + 4, ST_T0 + 20);
	row(db, "INSERT INTO incident_notes(incident, time, author, text)"
	    " VALUES (1, ?1, 'an', ?2)", "it", ST_T0 + 30,
	    "g\xe1\xbb\x8di x\xc3\xa3");
	for (i = 0; i < N_AUDIT; i++) {
		chain_hash(head, (int64_t)i + 1, ST_T0 + 10 * (int64_t)i,
		    audit_lines[i].incident, audit_lines[i].actor,
		    audit_lines[i].action, audit_lines[i].detail, prev);
		row(db, "INSERT INTO audit(seq, time, actor, action, incident,"
		    " detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		    " ?7, ?8)", "iittitbb", (int64_t)i + 1,
		    ST_T0 + 10 * (int64_t)i, audit_lines[i].actor,
		    audit_lines[i].action, audit_lines[i].incident,
		    audit_lines[i].detail, prev, 32, head, 32);
		memcpy(prev, head, 32);
	}
	row(db, "INSERT INTO audit_head(one, seq, hash) VALUES (1, ?1, ?2)",
	    "ib", (int64_t)N_AUDIT, head, 32);
	exec(db, "COMMIT");
	sqlite3_close(db);
}

struct seen {
	int	 n;
	int64_t	 last_ts;
};

static int
event_cb(void *arg, const struct store_row *r)
{
	struct seen	*s = arg;
	char		 want[160];

	s->n++;
	event_body(want, sizeof(want), (int)r->seq);
	assert_int_equal(r->seq, (uint64_t)s->n);
	assert_true(r->ts_us > s->last_ts);
	s->last_ts = r->ts_us;
	assert_string_equal(r->agent_name, "pc-01");
	assert_string_equal(r->office, "X\xc3\xa3 Th\xe1\xbb\xad");
	assert_int_equal(r->len, strlen(want));
	assert_memory_equal(r->json, want, r->len);
	return 0;
}

static int
linked_cb(void *arg, const struct incident_event *e)
{
	int	*n = arg;

	assert_int_equal(e->seq % 4, 0);
	assert_string_equal(e->type, "alert");
	assert_string_equal(e->agent_name, "pc-01");
	(*n)++;
	return 0;
}

/*
 * The previous release's store: every event, agent, incident, link and
 * note read back through this build's API, the audit chain verifies and
 * still holds the head recorded before the upgrade, and the register
 * goes on: a change appends to the same chain; an event the agent sends
 * again is a duplicate, a new one is stored.
 */
static void
test_store(void **state)
{
	struct tmpfile		*f = *state;
	struct store		*s;
	struct store_query	 q = { 0 };
	struct store_agent	 a;
	struct seen		 seen = { 0, 0 };
	struct incident		 inc;
	struct audit_report	 rep;
	struct store_event	 ev[2];
	uint8_t			 head[32];
	char			 body[160];
	size_t			 inserted;
	int			 st, linked = 0;

	store_prev(f->path, head);
	assert_int_equal(store_open(&s, f->path), 0);

	assert_int_equal(store_events_each(s, &q, event_cb, &seen), 0);
	assert_int_equal(seen.n, ST_EVENTS);
	assert_int_equal(store_agent_get(s, &a, "pc-01"), 0);
	assert_string_equal(a.id, "a1b2c3d4e5f60718");
	assert_int_equal(a.events, ST_EVENTS);
	assert_int_equal(a.last_seq, ST_EVENTS);
	store_agent_clear(&a);
	assert_int_equal(store_agent_get(s, &a, "d4e5f60718293a4b"), 0);
	assert_true(a.revoked);
	store_agent_clear(&a);

	assert_int_equal(incident_get(s, &inc, 1), 0);
	assert_string_equal(inc.title,
	    "M\xc3\xa3 \xc4\x91\xe1\xbb\x99\x63 tr\xc3\xaan pc-01");
	assert_string_equal(inc.category, "malware");
	assert_int_equal(taxonomy_status_parse(&st, "acknowledged"), 0);
	assert_int_equal(inc.status, st);
	assert_string_equal(inc.assignee, "an");
	assert_int_equal(inc.alerts, 5);
	assert_int_equal(inc.deadline, ST_T0 + 4 + 5 * 86400);
	assert_int_equal(incident_events_each(s, 1, linked_cb, &linked), 0);
	assert_int_equal(linked, 5);
	assert_int_equal(incident_get(s, &inc, 2), 0);
	assert_string_equal(inc.category, "scan");

	assert_int_equal(audit_verify(s, head, &rep), 0);
	if (rep.fault != AUDIT_INTACT)
		fail_msg("audit: %s at %" PRId64 ": %s",
		    audit_fault_name(rep.fault), rep.bad_seq, rep.why);
	assert_int_equal(rep.entries, N_AUDIT);
	assert_memory_equal(rep.head, head, 32);

	/* the register goes on, on the same chain */
	assert_int_equal(incident_note(s, &inc, 1, "sau n\xc3\xa2ng c\xe1\xba"
	    "\xa5p", "an", ST_T0 + 100), 0);
	assert_int_equal(audit_verify(s, head, &rep), 0);
	assert_int_equal(rep.fault, AUDIT_INTACT);
	assert_int_equal(rep.entries, N_AUDIT + 1);

	/* the agent sends its last event again, then a new one */
	memset(ev, 0, sizeof(ev));
	event_body(body, sizeof(body), ST_EVENTS);
	ev[0] = (struct store_event){ 1, ST_EVENTS, (ST_T0 + ST_EVENTS) *
	    1000000, "flow", 0, body, strlen(body) };
	ev[1] = ev[0];
	ev[1].seq = ST_EVENTS + 1;
	assert_int_equal(store_events_insert(s, ev, 2, &inserted), 0);
	assert_int_equal(inserted, 1);
	store_close(s);
}

int
main(void)
{
#define T(f, name)	cmocka_unit_test_prestate_setup_teardown(f, \
			    tmpfile_setup, tmpdir_teardown, name)
	const struct CMUnitTest tests[] = {
		T(test_spool, "spool.db"),
		T(test_scancache, "scancache.db"),
		cmocka_unit_test_setup_teardown(test_fim, fim_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_fim_unknown, fim_setup,
		    tmpdir_teardown),
		T(test_store, "store.db"),
	};

	if (sodium_init() < 0)
		return 1;
	log_init("test_upgrade", LOG_LVL_INFO, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
