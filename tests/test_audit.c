/*
 * test_audit.c: the register's hash-chained audit log (collector/audit.c).
 *
 * A chain is built through audit_append (inside transactions, as the
 * register does), then the file is changed behind the store's back with
 * plain sqlite3 statements, as someone with write access to it would:
 * an entry edited, deleted in the middle, deleted at the end, two
 * entries swapped, the whole log deleted, one entry rewritten with a
 * fresh hash, and the whole chain rewritten consistently. Each is found
 * and named (but the last, which only a head recorded elsewhere shows:
 * the --head check). The encoding is checked to be unambiguous: moving
 * a byte from one field to the next changes the hash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "raw_sql.h"
#include "store_fixture.h"

/* n entries by actor, in one transaction each. */
static void
chain_as(struct store *s, int n, const char *actor)
{
	json_t	*d;
	int	 i;

	for (i = 1; i <= n; i++) {
		assert_int_equal(db_begin(store_db(s), DB_IMMEDIATE), 0);
		assert_non_null(d = json_pack("{s:i}", "n", i));
		assert_int_equal(audit_append(s, 1000 + i, actor, "note",
		    i % 3, d), 0);
		json_decref(d);
		assert_int_equal(db_commit(store_db(s)), 0);
	}
}

static void
chain(struct store *s, int n)
{
	chain_as(s, n, "alice");
}

/* Change the file behind the store's back. */
#define tamper	raw_exec

static void
verify(struct store *s, const uint8_t *head, struct audit_report *r)
{
	assert_int_equal(audit_verify(s, head, r), 0);
	if (r->fault != AUDIT_INTACT)
		printf("# %s: %s\n", audit_fault_name(r->fault), r->why);
}

static void
test_append_verify(void **state)
{
	struct store_fx		*f = *state;
	struct audit_report	 r;
	json_t			*d = json_object();

	/* only inside a transaction */
	assert_int_equal(audit_append(f->s, 1, "a", "x", 0, d), ERR_STATE);
	json_decref(d);

	verify(f->s, NULL, &r);			/* empty: intact */
	assert_int_equal(r.fault, AUDIT_INTACT);
	assert_int_equal(r.entries, 0);

	chain(f->s, 10);
	verify(f->s, NULL, &r);
	assert_int_equal(r.fault, AUDIT_INTACT);
	assert_int_equal(r.entries, 10);
	assert_int_equal(r.head_seq, 10);
}

struct walk {
	int	n;
	int64_t	last;
};

static int
count_cb(void *arg, const struct audit_entry *e)
{
	struct walk	*w = arg;
	uint8_t		 h[AUDIT_HASH_LEN];

	audit_hash(h, e);
	assert_memory_equal(h, e->hash, AUDIT_HASH_LEN);
	assert_true(e->seq > w->last);
	assert_string_equal(e->actor, "alice");
	w->last = e->seq;
	w->n++;
	return 0;
}

static void
test_each(void **state)
{
	struct store_fx	*f = *state;
	struct walk	 w = { 0 };

	chain(f->s, 9);
	assert_int_equal(audit_each(f->s, 0, count_cb, &w), 0);
	assert_int_equal(w.n, 9);
	memset(&w, 0, sizeof(w));
	assert_int_equal(audit_each(f->s, 2, count_cb, &w), 0);
	assert_int_equal(w.n, 3);		/* seq 2, 5, 8 */
	assert_int_equal(w.last, 8);
}

/* Each tampering, on a fresh chain of 6, gives fault at seq. */
static void
expect(const char *sql, int fault, int64_t seq)
{
	struct store_fx		*f = store_fx_new(sizeof(*f));
	struct audit_report	 r;

	assert_non_null(f);
	chain(f->s, 6);
	tamper(f->tf.path, sql);
	verify(f->s, NULL, &r);
	assert_int_equal(r.fault, fault);
	assert_int_equal(r.bad_seq, seq);
	assert_true(strlen(r.why) > 0);
	store_fx_free(f);
}

static void
test_tampering(void **state)
{
	(void)state;
	/* an edited field */
	expect("UPDATE audit SET actor = 'mallory' WHERE seq = 3",
	    AUDIT_EDITED, 3);
	expect("UPDATE audit SET detail = '{\"n\":99}' WHERE seq = 1",
	    AUDIT_EDITED, 1);
	expect("UPDATE audit SET hash = x'00' WHERE seq = 2", AUDIT_EDITED, 2);
	/* deleted in the middle: a gap */
	expect("DELETE FROM audit WHERE seq = 4", AUDIT_MISSING, 4);
	/* deleted at the end: the head record still names it */
	expect("DELETE FROM audit WHERE seq = 6", AUDIT_MISSING, 6);
	expect("DELETE FROM audit WHERE seq >= 5", AUDIT_MISSING, 5);
	/* two entries swapped */
	expect("UPDATE audit SET seq = -seq WHERE seq IN (2, 3);"
	    "UPDATE audit SET seq = 5 + seq WHERE seq IN (-2, -3)",
	    AUDIT_REORDERED, 2);
	/* the head record removed or changed */
	expect("DELETE FROM audit_head", AUDIT_HEAD, 6);
	expect("UPDATE audit_head SET hash = (SELECT hash FROM audit"
	    " WHERE seq = 5)", AUDIT_HEAD, 6);
	/* an entry put in after the head */
	expect("INSERT INTO audit SELECT 7, time, actor, action, incident,"
	    " detail, hash, hash FROM audit WHERE seq = 6", AUDIT_EDITED, 7);
}

/* An entry rewritten with a hash that fits its new fields: the next one
 * no longer follows. */
static void
test_rewritten(void **state)
{
	struct store_fx		*f = *state;
	struct audit_entry	 e = { .seq = 3, .time = 1003, .actor = "mallory",
				    .action = "note", .incident = 0,
				    .detail = "{\"n\":3}" };
	struct audit_report	 r;
	sqlite3			*db;
	sqlite3_stmt		*st;

	chain(f->s, 5);
	assert_int_equal(sqlite3_open(f->tf.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT prev_hash FROM audit"
	    " WHERE seq = 3", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memcpy(e.prev, sqlite3_column_blob(st, 0), AUDIT_HASH_LEN);
	sqlite3_finalize(st);
	audit_hash(e.hash, &e);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE audit SET actor ="
	    " 'mallory', hash = ?1 WHERE seq = 3", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, e.hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	verify(f->s, NULL, &r);
	assert_int_equal(r.fault, AUDIT_REWRITTEN);
	assert_int_equal(r.bad_seq, 4);
}

/* The log and its head deleted while the register has incidents. */
static void
test_deleted_log(void **state)
{
	struct store_fx		*f = *state;
	struct audit_report	 r;

	chain(f->s, 3);
	tamper(f->tf.path, "DELETE FROM audit; DELETE FROM audit_head;"
	    "INSERT INTO incidents(title, category, severity, tlp, status,"
	    " created, first_seen, last_seen, deadline, updated)"
	    " VALUES ('t', 'other', 1, 'amber', 'new', 1, 1, 1, 1, 1)");
	verify(f->s, NULL, &r);
	assert_int_equal(r.fault, AUDIT_MISSING);
	assert_int_equal(r.bad_seq, 1);
}

/* A head recorded elsewhere: still in the chain as it grows; not in a
 * chain rewritten from the start (which is otherwise consistent). */
static void
test_recorded_head(void **state)
{
	struct store_fx		*f = *state;
	struct audit_report	 r;
	uint8_t			 head[AUDIT_HASH_LEN];

	chain(f->s, 4);
	verify(f->s, NULL, &r);
	memcpy(head, r.head, sizeof(head));
	chain(f->s, 2);
	verify(f->s, head, &r);
	assert_int_equal(r.fault, AUDIT_INTACT);
	assert_int_equal(r.entries, 6);

	/* root rewrites everything consistently: a new chain, intact by
	 * itself, but the recorded head is not in it */
	tamper(f->tf.path, "DELETE FROM audit; DELETE FROM audit_head");
	chain_as(f->s, 6, "mallory");
	verify(f->s, NULL, &r);
	assert_int_equal(r.fault, AUDIT_INTACT);
	verify(f->s, head, &r);
	assert_int_equal(r.fault, AUDIT_UNKNOWN_HEAD);
}

/* Length prefixes: "ab"+"c" and "a"+"bc" hash apart; every field counts. */
static void
test_encoding(void **state)
{
	struct audit_entry	a = { .seq = 1, .time = 2, .actor = "ab",
				    .action = "c", .incident = 3,
				    .detail = "{}" };
	struct audit_entry	b = a;
	uint8_t			ha[AUDIT_HASH_LEN], hb[AUDIT_HASH_LEN];

	(void)state;
	audit_hash(ha, &a);
	b.actor = "a";
	b.action = "bc";
	audit_hash(hb, &b);
	assert_memory_not_equal(ha, hb, AUDIT_HASH_LEN);
	b = a;
	b.incident = 4;
	audit_hash(hb, &b);
	assert_memory_not_equal(ha, hb, AUDIT_HASH_LEN);
	b = a;
	b.prev[31] = 1;
	audit_hash(hb, &b);
	assert_memory_not_equal(ha, hb, AUDIT_HASH_LEN);
	b = a;
	audit_hash(hb, &b);
	assert_memory_equal(ha, hb, AUDIT_HASH_LEN);
	assert_string_equal(audit_fault_name(AUDIT_REORDERED), "reordered");
	assert_string_equal(audit_fault_name(99), "?");
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_append_verify),
		T(test_each),
		cmocka_unit_test(test_tampering),
		T(test_rewritten),
		T(test_deleted_log),
		T(test_recorded_head),
		cmocka_unit_test(test_encoding),
	};

	log_init("test_audit", LOG_LVL_INFO, 0);
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
