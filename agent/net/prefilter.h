/*
 * prefilter.h: one Hyperscan literal database per buffer slot (rule.h),
 * holding each rule's fast pattern; a scan reports the rules whose
 * pattern occurs, the only ones the engine then verifies.
 *
 * Databases are cached as one file per rule set (netcache.h), read and
 * written through descriptors: each slot's database is stored with a
 * BLAKE2b hash of exactly what it was compiled from (the patterns, their
 * flags and ids, the Hyperscan version) and taken from the file only
 * when that hash is the one of the patterns now; a slot that is not
 * there, or does not deserialise (another CPU, a damaged or planted
 * file), is compiled, and then the whole set is written to cache->out.
 *
 * The prefilter is read-only once built; each thread scans with its own
 * struct pf_scratch.
 */
#ifndef VIGIL_PREFILTER_H
#define VIGIL_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcache.h"
#include "rule.h"

struct pf_pattern {
	const uint8_t	*p;
	uint32_t	 len;
	uint32_t	 id;
	bool		 nocase;
};

struct prefilter;
struct pf_scratch;

/* pats[slot][0..n[slot]): the patterns per slot; cache NULL: none.
 * *cached: every database came from cache->in. ERR_NOMEM, ERR_MALFORMED
 * (Hyperscan refused a pattern: logged). */
int	prefilter_build(struct prefilter **out, struct pf_pattern *const *pats,
	    const size_t *n, const struct netcache_fds *cache, bool *cached);
/* The engine's version, for a set's key (ruleset_key). */
const char *prefilter_engine(void);
void	prefilter_free(struct prefilter *);
struct pf_scratch *prefilter_scratch(const struct prefilter *);
void	prefilter_scratch_free(struct pf_scratch *);
bool	prefilter_has(const struct prefilter *, uint8_t slot);
/* cb(ctx, id) once per matching pattern id. 0, or -1 on a Hyperscan
 * error (logged once). */
int	prefilter_scan(const struct prefilter *, struct pf_scratch *,
	    uint8_t slot, const uint8_t *p, size_t len,
	    void (*cb)(void *ctx, uint32_t id), void *ctx);

#endif
