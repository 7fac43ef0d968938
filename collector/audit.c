/*
 * audit.c: the hash-chained audit log of the register (audit.h).
 *
 * Invariants: entries are numbered 1, 2, ... without gaps; entry n's
 * prev_hash is entry n-1's hash (zeros for n = 1); audit_head holds the
 * last entry's seq and hash. All three are kept by audit_append, which
 * runs only inside the transaction of the change it records, so a crash
 * leaves both or neither.
 *
 * Load: one append per register change (a handful a minute by hand; from
 * correlation, one per linked alert at most, inside the writer's batch):
 * one read of audit_head, two inserts. Verification reads every entry
 * once, in seq order, hashing it: about a microsecond an entry; on a
 * fault it looks further (a few thousand hashes, one table scan) only to
 * name what happened.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "incident.h"
#include "log.h"
#include "text.h"

/* How far from its seq a moved entry is looked for, each way. */
#define AUDIT_REORDER_WINDOW	4096

enum {
	A_HEAD,
	A_ADD,
	A_SET_HEAD,
	A_WALK,
	A_EACH,
	A_BY_HASH,
	A_INCIDENTS,
	A_AFTER,
	A_COUNT
};

#define ENTRY_COLS \
	"SELECT seq, time, actor, action, incident, detail, prev_hash, hash" \
	" FROM audit"

static const char *const audit_sql[A_COUNT] = {
	[A_HEAD] = "SELECT seq, hash FROM audit_head WHERE one = 1",
	[A_ADD] = "INSERT INTO audit(seq, time, actor, action, incident,"
	    " detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[A_SET_HEAD] = "INSERT INTO audit_head(one, seq, hash)"
	    " VALUES (1, ?1, ?2) ON CONFLICT(one) DO UPDATE"
	    " SET seq = excluded.seq, hash = excluded.hash",
	[A_WALK] = ENTRY_COLS " ORDER BY seq",
	[A_EACH] = ENTRY_COLS " WHERE incident = ?1 ORDER BY seq",
	[A_BY_HASH] = "SELECT seq FROM audit WHERE hash = ?1 LIMIT 1",
	[A_INCIDENTS] = "SELECT count(*) FROM incidents",
	[A_AFTER] = ENTRY_COLS " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
};

static const struct db_table audit_table = { "audit", audit_sql, A_COUNT };

static const char *const fault_names[] = { "intact", "edited", "missing",
    "reordered", "rewritten", "head", "unknown-head" };

const char *
audit_fault_name(int f)
{
	if (f < 0 || (size_t)f >= sizeof(fault_names) / sizeof(fault_names[0]))
		return "?";
	return fault_names[f];
}

static void
put_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t	b[8];
	int	i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	crypto_generichash_update(h, b, sizeof(b));
}

/* A 4-byte length, then the bytes. SQLite's texts are under 2^31. */
static void
put_str(crypto_generichash_state *h, const char *s)
{
	size_t	len = s != NULL ? strlen(s) : 0;
	uint8_t	b[4];

	b[0] = (uint8_t)(len >> 24);
	b[1] = (uint8_t)(len >> 16);
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	crypto_generichash_update(h, b, sizeof(b));
	if (len > 0)
		crypto_generichash_update(h, (const uint8_t *)s, len);
}

void
audit_hash(uint8_t out[static AUDIT_HASH_LEN], const struct audit_entry *e)
{
	static const char		 tag[] = "vigil-audit-1";
	crypto_generichash_state	 h;

	crypto_generichash_init(&h, NULL, 0, AUDIT_HASH_LEN);
	crypto_generichash_update(&h, (const uint8_t *)tag, sizeof(tag));
	put_u64(&h, (uint64_t)e->seq);
	put_u64(&h, (uint64_t)e->time);
	put_u64(&h, (uint64_t)e->incident);
	put_str(&h, e->actor);
	put_str(&h, e->action);
	put_str(&h, e->detail);
	crypto_generichash_update(&h, e->prev, AUDIT_HASH_LEN);
	crypto_generichash_final(&h, out, AUDIT_HASH_LEN);
}

/* The statement, or NULL (logged). */
static sqlite3_stmt *
stmt(struct store *s, int i)
{
	return db_table_stmt(store_db(s), &audit_table, (size_t)i);
}

/* A 32-byte blob column into out; ERR_MALFORMED if it is not one. */
static int
col_hash(uint8_t out[static AUDIT_HASH_LEN], sqlite3_stmt *st, int col)
{
	const void	*p = sqlite3_column_blob(st, col);

	if (p == NULL || sqlite3_column_bytes(st, col) != AUDIT_HASH_LEN)
		return ERR_MALFORMED;
	memcpy(out, p, AUDIT_HASH_LEN);
	return 0;
}

/* The head record: *seq 0 and zeros when there is none yet. */
static int
head_get(struct store *s, int64_t *seq, uint8_t hash[static AUDIT_HASH_LEN],
    int *present)
{
	sqlite3_stmt	*st;
	int		 rc;

	*seq = 0;
	*present = 0;
	memset(hash, 0, AUDIT_HASH_LEN);
	if ((st = stmt(s, A_HEAD)) == NULL)
		return ERR_IO;
	rc = db_row(store_db(s), st, "audit head");
	if (rc == 0) {
		*present = 1;
		*seq = sqlite3_column_int64(st, 0);
		rc = col_hash(hash, st, 1);
	} else if (rc == ERR_NOTFOUND) {
		rc = 0;
	}
	db_done(st);
	return rc;
}

int
audit_head_seq(struct store *s, int64_t *seq)
{
	uint8_t	hash[AUDIT_HASH_LEN];
	int	present;

	return head_get(s, seq, hash, &present);
}

static int
bind_entry(sqlite3_stmt *st, const struct audit_entry *e)
{
	return sqlite3_bind_int64(st, 1, e->seq) ||
	    sqlite3_bind_int64(st, 2, e->time) ||
	    sqlite3_bind_text(st, 3, e->actor, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, e->action, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, e->incident) ||
	    sqlite3_bind_text(st, 6, e->detail, -1, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 7, e->prev, AUDIT_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 8, e->hash, AUDIT_HASH_LEN, SQLITE_STATIC);
}

int
audit_append(struct store *s, int64_t now, const char *actor,
    const char *action, int64_t incident, const json_t *detail)
{
	struct db		*d = store_db(s);
	struct audit_entry	 e = { .time = now, .actor = actor,
				    .action = action, .incident = incident };
	sqlite3_stmt		*st;
	char			*text = NULL;
	int			 rc, present;

	if (sqlite3_get_autocommit(db_sqlite(d)))
		return ERR_STATE;
	if (actor == NULL || action == NULL || detail == NULL)
		return ERR_USAGE;
	if ((text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return ERR_NOMEM;
	e.detail = text;
	if ((rc = head_get(s, &e.seq, e.prev, &present)) != 0)
		goto done;
	e.seq++;
	audit_hash(e.hash, &e);
	if ((st = stmt(s, A_ADD)) == NULL) {
		rc = ERR_IO;
		goto done;
	}
	if (bind_entry(st, &e)) {
		db_done(st);
		rc = db_fail(d, "audit append");
		goto done;
	}
	/* ERR_EXISTS: entries past the head record, which only an edit of
	 * the file makes; refusing keeps the chain from forking */
	if ((rc = db_run(d, st, "audit append")) != 0)
		goto done;
	if ((st = stmt(s, A_SET_HEAD)) == NULL) {
		rc = ERR_IO;
		goto done;
	}
	if (sqlite3_bind_int64(st, 1, e.seq) ||
	    sqlite3_bind_blob(st, 2, e.hash, AUDIT_HASH_LEN, SQLITE_STATIC)) {
		db_done(st);
		rc = db_fail(d, "audit head");
		goto done;
	}
	rc = db_run(d, st, "audit head");
done:
	free(text);
	return rc;
}

/* One ENTRY_COLS row; the strings point into st. */
static int
entry_read(struct audit_entry *e, sqlite3_stmt *st)
{
	int	rc;

	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 0);
	e->time = sqlite3_column_int64(st, 1);
	e->incident = sqlite3_column_int64(st, 4);
	e->actor = (const char *)sqlite3_column_text(st, 2);
	e->action = (const char *)sqlite3_column_text(st, 3);
	e->detail = (const char *)sqlite3_column_text(st, 5);
	if ((rc = col_hash(e->prev, st, 6)) != 0 ||
	    (rc = col_hash(e->hash, st, 7)) != 0)
		return rc;
	if (e->actor == NULL || e->action == NULL || e->detail == NULL)
		return ERR_MALFORMED;	/* NULL in a NOT NULL column */
	return 0;
}

/* Each row of the bound st to cb, until it returns non-zero. */
static int
entries(struct store *s, sqlite3_stmt *st, audit_cb cb, void *arg)
{
	struct audit_entry	 e;
	int			 rc;

	while ((rc = db_row(store_db(s), st, "audit list")) == 0) {
		if ((rc = entry_read(&e, st)) != 0) {
			log_warnx("%s: bad audit row", db_name(store_db(s)));
			break;
		}
		if ((rc = cb(arg, &e)) != 0)
			break;
	}
	db_done(st);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

int
audit_each(struct store *s, int64_t incident, audit_cb cb, void *arg)
{
	sqlite3_stmt	*st;

	if ((st = stmt(s, incident > 0 ? A_EACH : A_WALK)) == NULL)
		return ERR_IO;
	if (incident > 0 && sqlite3_bind_int64(st, 1, incident)) {
		db_done(st);
		return db_fail(store_db(s), "audit list");
	}
	return entries(s, st, cb, arg);
}

json_t *
audit_entry_json(const struct audit_entry *e)
{
	json_t	*d = json_loads(e->detail, 0, NULL);

	return json_pack("{s:I, s:o, s:o, s:o, s:o}", "seq", (json_int_t)e->seq,
	    "time", incident_json_time(e->time), "actor",
	    text_json(e->actor, strlen(e->actor), NULL), "action",
	    text_json(e->action, strlen(e->action), NULL), "detail", d ? d :
	    text_json(e->detail, strlen(e->detail), NULL));
}

int
audit_each_after(struct store *s, int64_t after, int limit, audit_cb cb,
    void *arg)
{
	sqlite3_stmt	*st;

	if (after < 0 || limit < 1)
		return ERR_USAGE;
	if ((st = stmt(s, A_AFTER)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, after) || sqlite3_bind_int(st, 2, limit)) {
		db_done(st);
		return db_fail(store_db(s), "audit list");
	}
	return entries(s, st, cb, arg);
}

static void
fault(struct audit_report *r, int f, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fault(struct audit_report *r, int f, int64_t seq, const char *fmt, ...)
{
	va_list	ap;

	r->fault = f;
	r->bad_seq = seq;
	va_start(ap, fmt);
	(void)vsnprintf(r->why, sizeof(r->why), fmt, ap);	/* a cut is fine */
	va_end(ap);
}

/* The seq whose hash is h, or 0. */
static int64_t
seq_of_hash(struct store *s, const uint8_t h[static AUDIT_HASH_LEN])
{
	sqlite3_stmt	*st;
	int64_t		 seq = 0;

	if ((st = stmt(s, A_BY_HASH)) == NULL)
		return 0;
	if (sqlite3_bind_blob(st, 1, h, AUDIT_HASH_LEN, SQLITE_STATIC) == 0 &&
	    db_row(store_db(s), st, "audit find") == 0)
		seq = sqlite3_column_int64(st, 0);
	db_done(st);
	return seq;
}

/* An entry whose fields do not give its hash: written under another seq
 * (moved), or edited. */
static void
misfit(struct audit_report *r, const struct audit_entry *e)
{
	struct audit_entry	t = *e;
	uint8_t			h[AUDIT_HASH_LEN];
	int64_t			lo, hi;

	lo = e->seq > AUDIT_REORDER_WINDOW ? e->seq - AUDIT_REORDER_WINDOW : 1;
	hi = e->seq < INT64_MAX - AUDIT_REORDER_WINDOW ?
	    e->seq + AUDIT_REORDER_WINDOW : INT64_MAX;
	for (t.seq = lo; t.seq <= hi; t.seq++) {
		if (t.seq == e->seq)
			continue;
		audit_hash(h, &t);
		if (sodium_memcmp(h, e->hash, AUDIT_HASH_LEN) == 0) {
			fault(r, AUDIT_REORDERED, e->seq, "entry %lld holds "
			    "what was written as entry %lld: entries were "
			    "reordered", (long long)e->seq, (long long)t.seq);
			return;
		}
	}
	fault(r, AUDIT_EDITED, e->seq, "entry %lld was edited: its fields "
	    "do not give its hash", (long long)e->seq);
}

/* One entry against the one before it (r->head_seq, r->head). */
static void
check_entry(struct store *s, struct audit_report *r,
    const struct audit_entry *e)
{
	uint8_t	h[AUDIT_HASH_LEN];
	int64_t	was;

	if (e->seq != r->head_seq + 1) {
		if (e->seq > r->head_seq + 1)
			fault(r, AUDIT_MISSING, r->head_seq + 1, "entry %lld "
			    "is missing (deleted): entry %lld comes after "
			    "entry %lld", (long long)r->head_seq + 1,
			    (long long)e->seq, (long long)r->head_seq);
		else
			fault(r, AUDIT_EDITED, e->seq, "entry %lld: seq out "
			    "of range", (long long)e->seq);
		return;
	}
	audit_hash(h, e);
	if (sodium_memcmp(h, e->hash, AUDIT_HASH_LEN) != 0) {
		misfit(r, e);
		return;
	}
	if (sodium_memcmp(e->prev, r->head, AUDIT_HASH_LEN) == 0)
		return;
	if ((was = seq_of_hash(s, e->prev)) != 0 && was != e->seq - 1)
		fault(r, AUDIT_REORDERED, e->seq, "entry %lld was written "
		    "after entry %lld, not after entry %lld: entries were "
		    "reordered", (long long)e->seq, (long long)was,
		    (long long)e->seq - 1);
	else
		fault(r, AUDIT_REWRITTEN, e->seq, "entry %lld does not follow "
		    "entry %lld: the entry before it was rewritten or put in",
		    (long long)e->seq, (long long)e->seq - 1);
}

/* The head record and, for an empty log, the register it should
 * describe. */
static int
check_head(struct store *s, struct audit_report *r)
{
	sqlite3_stmt	*st;
	uint8_t		 h[AUDIT_HASH_LEN];
	int64_t		 seq, n = 0;
	int		 rc, present;

	if ((rc = head_get(s, &seq, h, &present)) != 0) {
		if (rc == ERR_MALFORMED)
			fault(r, AUDIT_HEAD, r->head_seq, "the head record "
			    "is not a hash");
		return rc == ERR_MALFORMED ? 0 : rc;
	}
	if (!present && r->entries == 0) {
		if ((st = stmt(s, A_INCIDENTS)) == NULL)
			return ERR_IO;
		if ((rc = db_row(store_db(s), st, "audit count")) == 0)
			n = sqlite3_column_int64(st, 0);
		db_done(st);
		if (rc != 0)
			return rc;
		if (n > 0)
			fault(r, AUDIT_MISSING, 1, "the log is empty but the "
			    "register holds %lld incidents: it was deleted",
			    (long long)n);
		return 0;
	}
	if (!present)
		fault(r, AUDIT_HEAD, r->head_seq, "the head record is missing");
	else if (seq == r->head_seq + 1)
		fault(r, AUDIT_MISSING, seq, "entry %lld is missing (deleted "
		    "at the end): the head record names it", (long long)seq);
	else if (seq > r->head_seq)
		fault(r, AUDIT_MISSING, r->head_seq + 1, "entries %lld to "
		    "%lld are missing (deleted at the end): the head record "
		    "names entry %lld", (long long)r->head_seq + 1,
		    (long long)seq, (long long)seq);
	else if (seq < r->head_seq)
		fault(r, AUDIT_HEAD, seq + 1, "entries after %lld are not in "
		    "the head record: added outside vigil", (long long)seq);
	else if (sodium_memcmp(h, r->head, AUDIT_HASH_LEN) != 0)
		fault(r, AUDIT_HEAD, seq, "entry %lld is not the one the head "
		    "record names", (long long)seq);
	return 0;
}

/* The walk, in the caller's read transaction. */
static int
walk(struct store *s, const uint8_t *expect, struct audit_report *r)
{
	struct audit_entry	 e;
	sqlite3_stmt		*st;
	int			 rc, seen = expect == NULL;

	if ((st = stmt(s, A_WALK)) == NULL)
		return ERR_IO;
	while (r->fault == AUDIT_INTACT &&
	    (rc = db_row(store_db(s), st, "audit verify")) == 0) {
		if (entry_read(&e, st) != 0) {
			fault(r, AUDIT_EDITED, sqlite3_column_int64(st, 0),
			    "entry %lld was edited: a hash is not 32 bytes",
			    (long long)sqlite3_column_int64(st, 0));
			break;
		}
		check_entry(s, r, &e);
		if (r->fault != AUDIT_INTACT)
			break;
		r->entries++;
		r->head_seq = e.seq;
		memcpy(r->head, e.hash, AUDIT_HASH_LEN);
		if (!seen && sodium_memcmp(e.hash, expect, AUDIT_HASH_LEN) == 0)
			seen = 1;
	}
	db_done(st);
	if (rc != 0 && rc != ERR_NOTFOUND && r->fault == AUDIT_INTACT)
		return rc;
	if (r->fault == AUDIT_INTACT && (rc = check_head(s, r)) != 0)
		return rc;
	if (r->fault == AUDIT_INTACT && !seen)
		fault(r, AUDIT_UNKNOWN_HEAD, r->head_seq, "the recorded head is "
		    "not the hash of any entry: the log was rewritten or cut "
		    "since it was recorded");
	return 0;
}

int
audit_verify(struct store *s, const uint8_t *expect_head,
    struct audit_report *out)
{
	struct db	*d = store_db(s);
	int		 rc;

	memset(out, 0, sizeof(*out));
	/* one snapshot: the daemon may append while we read */
	if ((rc = db_begin(d, DB_DEFERRED)) != 0)
		return rc;
	rc = walk(s, expect_head, out);
	db_rollback(d);
	return rc;
}
