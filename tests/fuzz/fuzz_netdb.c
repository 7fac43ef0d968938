/*
 * fuzz_netdb.c: libFuzzer target for a compiled traffic-rules set's file
 * (prefilter.c, set_parse and prefilter_build): the capture child reads
 * it after dropping root, as it would a stranger's. Whatever the file
 * holds, parsing must not read outside it; a slot it holds must lie
 * within it; and a build from it (a memfd as cache->in) must give a
 * prefilter that finds the patterns, taken from the file or compiled.
 *
 * Like fuzz_rulebundle.c it #includes the module to reach its static
 * parts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "prefilter.c"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_netdb", LOG_LVL_ERROR, 0);
	return 0;
}

static void
hit(void *ctx, uint32_t id)
{
	*(uint32_t *)ctx |= 1U << id;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct set_rec		 rec[RSLOT_COUNT];
	struct pf_pattern	 pat[2] = {
		{ (const uint8_t *)"evil", 4, 0, false },
		{ (const uint8_t *)"MaLwArE", 7, 1, true },
	};
	struct pf_pattern	*pats[RSLOT_COUNT] = { pat };
	size_t			 n[RSLOT_COUNT] = { 2 };
	struct netcache_fds	 cache = { -1, -1 };
	struct prefilter	*pf = NULL;
	struct pf_scratch	*sc;
	uint32_t		 found = 0;
	bool			 cached;
	uint8_t			 s;

	if (set_parse(rec, data, len) == 0)
		for (s = 0; s < RSLOT_COUNT; s++)
			if (rec[s].hash != NULL && (rec[s].db < data ||
			    rec[s].db + rec[s].len > data + len))
				abort();
	if ((cache.in = memfd_create("fuzz", MFD_CLOEXEC)) == -1 ||
	    write_all(cache.in, data, len) != 0)
		abort();
	if (prefilter_build(&pf, pats, n, &cache, &cached) != 0)
		abort();
	if ((sc = prefilter_scratch(pf)) == NULL ||
	    prefilter_scan(pf, sc, 0, (const uint8_t *)"an evil malware",
	    15, hit, &found) != 0 || found != 3)
		abort();
	prefilter_scratch_free(sc);
	prefilter_free(pf);
	(void)close(cache.in);
	return 0;
}
