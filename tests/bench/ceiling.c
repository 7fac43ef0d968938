/*
 * ceiling.c: the SQLite ceiling for collector ingest.
 *
 *   bench_ceiling SOURCE.db TARGET.db [BATCH]
 *
 * Reads every event row of a collector store (SOURCE) into memory, creates
 * TARGET with the same schema (copied from SOURCE's sqlite_master), and
 * inserts the same rows with a bare loop of one prepared INSERT in
 * transactions of BATCH rows (default 5000), with the collector's pragmas
 * (WAL, synchronous=FULL). Prints one JSON line with the rate. This is what
 * the collector could reach if decryption, parsing and the network cost
 * nothing: the benchmark reports the collector's rate as a share of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"

static const struct db_spec readonly = {
	.name = "source", .flags = DB_READONLY,
};

struct row {
	int64_t	 agent, seq, ts, received, severity;
	char	*type;
	char	*body;
	int	 blen;
};

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *
dup_text(sqlite3_stmt *st, int col, int *len)
{
	const unsigned char	*t = sqlite3_column_text(st, col);
	int			 n = sqlite3_column_bytes(st, col);
	char			*p;

	if ((p = malloc((size_t)n + 1)) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	if (n > 0)
		memcpy(p, t, (size_t)n);
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	return p;
}

int
main(int argc, char **argv)
{
	struct db	*src, *dst;
	sqlite3_stmt	*st, *ins;
	struct row	*rows = NULL, *nr;
	size_t		 n = 0, cap = 0, i;
	int		 batch = argc > 3 ? atoi(argv[3]) : 5000;
	double		 t0, t1;

	if (argc < 3 || batch < 1) {
		fprintf(stderr, "usage: bench_ceiling SOURCE.db TARGET.db [BATCH]\n");
		return 2;
	}
	log_init("bench_ceiling", LOG_LVL_WARN, 0);
	unlink(argv[2]);
	if (db_open(&src, argv[1], &readonly) != 0 ||
	    db_open(&dst, argv[2], NULL) != 0)
		return 1;
	/* Same schema: every table and index of the source. */
	if (db_prepare(src, &st, "SELECT sql FROM sqlite_master WHERE sql IS "
	    "NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC") != 0)
		return 1;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (db_exec(dst, (const char *)sqlite3_column_text(st, 0)) != 0)
			return 1;
	sqlite3_finalize(st);
	if (db_prepare(src, &st, "SELECT agent, seq, ts, received, type, "
	    "severity, body FROM events ORDER BY id") != 0)
		return 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nr = realloc(rows, cap * sizeof(*rows))) == NULL)
				return 1;
			rows = nr;
		}
		rows[n].agent = sqlite3_column_int64(st, 0);
		rows[n].seq = sqlite3_column_int64(st, 1);
		rows[n].ts = sqlite3_column_int64(st, 2);
		rows[n].received = sqlite3_column_int64(st, 3);
		rows[n].type = dup_text(st, 4, NULL);
		rows[n].severity = sqlite3_column_int64(st, 5);
		rows[n].body = dup_text(st, 6, &rows[n].blen);
		n++;
	}
	sqlite3_finalize(st);
	if (db_prepare(dst, &ins, "INSERT INTO events (agent, seq, ts, "
	    "received, type, severity, body) VALUES (?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT(agent, seq) DO NOTHING") != 0)
		return 1;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (i % (size_t)batch == 0 && db_exec(dst, "BEGIN IMMEDIATE") != 0)
			return 1;
		sqlite3_bind_int64(ins, 1, rows[i].agent);
		sqlite3_bind_int64(ins, 2, rows[i].seq);
		sqlite3_bind_int64(ins, 3, rows[i].ts);
		sqlite3_bind_int64(ins, 4, rows[i].received);
		sqlite3_bind_text(ins, 5, rows[i].type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 6, rows[i].severity);
		sqlite3_bind_text(ins, 7, rows[i].body, rows[i].blen,
		    SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "insert: %s\n",
			    sqlite3_errmsg(db_sqlite(dst)));
			return 1;
		}
		sqlite3_reset(ins);
		if ((i + 1) % (size_t)batch == 0 || i + 1 == n)
			if (db_exec(dst, "COMMIT") != 0)
				return 1;
	}
	t1 = now_s();
	printf("{\"rows\":%zu,\"batch\":%d,\"seconds\":%.3f,\"rows_per_s\":%.0f}\n",
	    n, batch, t1 - t0, n / (t1 - t0));
	sqlite3_finalize(ins);
	db_close(src);
	db_close(dst);
	for (i = 0; i < n; i++) {
		free(rows[i].type);
		free(rows[i].body);
	}
	free(rows);
	return 0;
}
