/*
 * test_tally.c: tally.c against a naive model (a list searched end to
 * end) over random keys of every storage class, with enough groups to
 * make the table grow several times; and the grouping SQLite's GROUP BY
 * gives the same rows (as the report relies on).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "err.h"
#include "rng.h"
#include "tally.h"

#define NROWS	20000

/* Rows of (a, b, c): a an integer, b text, a real or NULL, c a blob or
 * an integer, grouped by SQLite and counted by the tally. */
static void
test_against_group_by(void **state)
{
	sqlite3		*db;
	sqlite3_stmt	*ins, *q, *get;
	struct tally	*t;
	char		 txt[16];
	size_t		 i, groups = 0;
	uint32_t	 x;
	int		 k;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE r(a, b, c);"
	    "CREATE TABLE g(a, b, c, n)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO r VALUES"
	    " (?1, ?2, ?3)", -1, &ins, NULL), SQLITE_OK);
	for (i = 0; i < NROWS; i++) {
		x = rnd();
		sqlite3_bind_int64(ins, 1, (int64_t)(x % 50) - 25);
		switch (x / 50 % 3) {
		case 0:
			snprintf(txt, sizeof(txt), "t%u", rnd() % 40);
			sqlite3_bind_text(ins, 2, txt, -1, SQLITE_TRANSIENT);
			break;
		case 1:
			sqlite3_bind_double(ins, 2, (double)(rnd() % 7) / 4);
			break;
		default:
			sqlite3_bind_null(ins, 2);
		}
		if (rnd() % 2) {
			snprintf(txt, sizeof(txt), "b%u", rnd() % 3);
			sqlite3_bind_blob(ins, 3, txt, (int)strlen(txt),
			    SQLITE_TRANSIENT);
		} else
			sqlite3_bind_int64(ins, 3, rnd() % 3);
		assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);

	assert_int_equal(tally_new(&t, 3), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT a, b, c FROM r", -1,
	    &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		sqlite3_value	*v[3];

		for (k = 0; k < 3; k++)
			v[k] = sqlite3_column_value(q, k);
		assert_int_equal(tally_add(t, v, 1), 0);
	}
	sqlite3_finalize(q);
	/* the groups, put back through SQL, are GROUP BY's */
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO g VALUES"
	    " (?1, ?2, ?3, ?4)", -1, &ins, NULL), SQLITE_OK);
	for (i = 0; i < tally_count(t); i++) {
		for (k = 0; k < 3; k++)
			sqlite3_bind_value(ins, k + 1, tally_key(t, i)[k]);
		sqlite3_bind_int64(ins, 4, (int64_t)tally_n(t, i));
		assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	assert_true(tally_count(t) > 1000);	/* the table grew */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*)"
	    " FROM (SELECT 1 FROM r GROUP BY a, b, c)),"
	    " (SELECT count(*) FROM (SELECT a, b, c, count(*) FROM r"
	    " GROUP BY a, b, c EXCEPT SELECT a, b, c, n FROM g)),"
	    " (SELECT count(*) FROM (SELECT a, b, c, n FROM g EXCEPT"
	    " SELECT a, b, c, count(*) FROM r GROUP BY a, b, c))", -1, &get,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(get), SQLITE_ROW);
	groups = (size_t)sqlite3_column_int64(get, 0);
	assert_int_equal(groups, tally_count(t));
	assert_int_equal(sqlite3_column_int(get, 1), 0);
	assert_int_equal(sqlite3_column_int(get, 2), 0);
	sqlite3_finalize(get);
	tally_free(t);
	sqlite3_close(db);
}

/* Keys that differ only in storage class or by one byte are distinct;
 * counts add up; the bounds on nkeys hold. */
static void
test_classes(void **state)
{
	sqlite3		*db;
	sqlite3_stmt	*q;
	struct tally	*t = (struct tally *)1;
	sqlite3_value	*v[1];
	int		 i;

	(void)state;
	assert_int_equal(tally_new(&t, 0), ERR_MALFORMED);
	assert_null(t);
	assert_int_equal(tally_new(&t, TALLY_KEYS_MAX + 1), ERR_MALFORMED);
	assert_int_equal(tally_new(&t, 1), 0);
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	/* 1, '1', x'31', 1.0, NULL, '', x'': seven groups; '1' twice */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT 1 UNION ALL"
	    " SELECT '1' UNION ALL SELECT x'31' UNION ALL SELECT 1.0"
	    " UNION ALL SELECT NULL UNION ALL SELECT '' UNION ALL"
	    " SELECT x'' UNION ALL SELECT '1'", -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		v[0] = sqlite3_column_value(q, 0);
		assert_int_equal(tally_add(t, v, 2), 0);
	}
	sqlite3_finalize(q);
	assert_int_equal(tally_count(t), 7);
	for (i = 0; i < 7; i++)
		assert_int_equal(tally_n(t, (size_t)i), i == 1 ? 4 : 2);
	assert_int_equal(sqlite3_value_type(tally_key(t, 2)[0]), SQLITE_BLOB);
	assert_int_equal(sqlite3_value_type(tally_key(t, 3)[0]),
	    SQLITE_FLOAT);
	tally_free(t);
	tally_free(NULL);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_group_by),
		cmocka_unit_test(test_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
