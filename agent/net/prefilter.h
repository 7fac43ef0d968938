/*
 * prefilter.h: one Hyperscan literal database per buffer slot (rule.h),
 * holding each rule's fast pattern; a scan reports the rules whose
 * pattern occurs, the only ones the engine then verifies.
 *
 * Databases are cached in a folder: a file per slot named by a BLAKE2b
 * hash of exactly what is compiled (the patterns, their flags and ids,
 * the Hyperscan version), so unchanged rules load without compiling and
 * any change compiles afresh. A cache file that does not deserialise
 * (another CPU, a damaged file) is compiled over.
 *
 * The prefilter is read-only once built; each thread scans with its own
 * struct pf_scratch.
 */
#ifndef VIGIL_PREFILTER_H
#define VIGIL_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"

struct pf_pattern {
	const uint8_t	*p;
	uint32_t	 len;
	uint32_t	 id;
	bool		 nocase;
};

struct prefilter;
struct pf_scratch;

/* pats[slot][0..n[slot]): the patterns per slot. *cached: every database
 * came from the cache. ERR_NOMEM, ERR_MALFORMED (Hyperscan refused a
 * pattern: logged). */
int	prefilter_build(struct prefilter **out, struct pf_pattern *const *pats,
	    const size_t *n, const char *cache_dir, bool *cached);
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
