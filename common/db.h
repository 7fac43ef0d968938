/*
 * db.h: how vigil opens its SQLite files.
 *
 * Every database is created mode 0600 (checked and tightened on open),
 * in WAL mode with synchronous=FULL: an acknowledged commit survives a
 * crash or power loss, which the "nothing lost" promise depends on.
 * busy_timeout lets the CLI and the daemon share one file.
 * SQL is only ever run through prepared statements with bound values;
 * db_exec is for fixed statements (schema, BEGIN/COMMIT) only.
 * The first db_open also sets SQLite up for the whole process: no bulk
 * page-cache allocation per connection (db.c says why).
 */
#ifndef VIGIL_DB_H
#define VIGIL_DB_H

#include <sqlite3.h>

#define DB_BUSY_TIMEOUT_MS	10000

/* readonly: open an existing file without creating it. ERR_IO on failure
 * (logged with the path). */
int	db_open(sqlite3 **out, const char *path, int readonly);
void	db_close(sqlite3 *);	/* takes NULL; finalizes nothing itself */
/* Run fixed SQL text (no user data). ERR_IO, logged. */
int	db_exec(sqlite3 *, const char *sql);
/* Prepare a statement or log the SQL error. ERR_IO. */
int	db_prepare(sqlite3 *, sqlite3_stmt **out, const char *sql);

#endif
