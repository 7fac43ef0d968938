/*
 * dbmem.c: the SQLite heap the agent's database handles hold at rest.
 *
 *   bench_dbmem DIR TREE
 *
 * In DIR (empty), as the daemon does: four handles on one spool, each
 * appending an event, the link's reading and acknowledging all of them;
 * the scan cache (a lookup, a store, two flushes); an integrity baseline
 * of TREE. After each stage, sqlite3_memory_used(): every byte SQLite
 * holds (page caches, schemas, prepared statements), with none of the
 * noise of a process's resident size. The modules' own allocations are
 * not counted.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fim.h"
#include "log.h"
#include "scancache.h"
#include "spool.h"

static int
read_cb(void *arg, uint64_t seq, const char *json, size_t len)
{
	return 0;
}

static void
say(const char *what)
{
	printf("%-28s %8lld bytes\n", what, (long long)sqlite3_memory_used());
}

static int
spools(const char *dir, struct spool *sp[4])
{
	struct spool_in		 ev = { "dns", 1, "{\"x\":1}", 7 };
	struct spool_stats	 st;
	char			 p[4096];
	int			 i;

	snprintf(p, sizeof(p), "%s/spool.db", dir);
	for (i = 0; i < 4; i++)
		if (spool_open(&sp[i], p, 0) != 0)
			return -1;
	say("4 spool handles opened");
	for (i = 0; i < 4; i++)
		if (spool_append(sp[i], &ev, 1, NULL, NULL) != 0)
			return -1;
	if (spool_stats(sp[0], &st) != 0 ||
	    spool_read(sp[0], 0, 100, 1 << 20, read_cb, NULL, NULL) != 0 ||
	    spool_ack(sp[0], st.last_seq) != 0)
		return -1;
	say("+ appended, read, acked");
	return 0;
}

int
main(int argc, char **argv)
{
	struct spool		*sp[4] = { NULL };
	struct scancache	*c = NULL;
	struct fim		*f = NULL;
	struct fim_opts		 o;
	struct stat		 sb;
	const char		*paths[1];
	char			 p[4096];
	int			 i, rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_dbmem DIR TREE\n");
		return 2;
	}
	log_init("bench_dbmem", LOG_LVL_WARN, 0);
	if (spools(argv[1], sp) != 0)
		goto done;
	snprintf(p, sizeof(p), "%s/scan.db", argv[1]);
	if (scancache_open(&c, p) != 0 || stat(argv[0], &sb) != 0 ||
	    scancache_lookup(c, &sb, "v1") < 0 ||
	    scancache_store(c, &sb, "v1", 1) != 0 ||
	    scancache_flush(c) != 0 || scancache_flush(c) != 0)
		goto done;
	say("+ scan cache");
	snprintf(p, sizeof(p), "%s/fim.db", argv[1]);
	memset(&o, 0, sizeof(o));
	paths[0] = argv[2];
	o.paths = paths;
	o.npaths = 1;
	o.threads = 1;
	if (fim_open(&f, p, &o) != 0 || fim_baseline(f, NULL) != 0)
		goto done;
	say("+ integrity baseline");
	rc = 0;
done:
	fim_close(f);
	scancache_close(c);
	for (i = 0; i < 4; i++)
		spool_close(sp[i]);
	return rc;
}
