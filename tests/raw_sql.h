/*
 * raw_sql.h: run SQL on a database file through a connection of its own,
 * behind the back of the module under test (as an operator's sqlite3,
 * or someone tampering with the file, would). For cmocka tests: a
 * failure fails the test. Include after cmocka.h.
 */
#ifndef VIGIL_RAW_SQL_H
#define VIGIL_RAW_SQL_H

#include <sqlite3.h>

static inline void
raw_exec(const char *path, const char *sql)
{
	sqlite3	*db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

#endif
