/*
 * rulematch.h: does one rule's payload part match (rule.h, detect.c)?
 *
 * The engine hands the buffers of a packet or transaction by slot; each
 * group of the rule's matches is inspected in its slot as Suricata does:
 * contents in order with their positions, relative ones from the end of
 * the previous match, and when a later relative match fails, the
 * previous content or pcre is tried again at its next occurrence
 * (backtracking), at most RULEMATCH_BUDGET steps per rule.
 */
#ifndef VIGIL_RULEMATCH_H
#define VIGIL_RULEMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"

#define RULEMATCH_BUDGET	3000

struct rm_env {
	const uint8_t	*buf[RSLOT_COUNT];	/* NULL: not there */
	size_t		 len[RSLOT_COUNT];
	void		*md;		/* pcre2_match_data_8, one pair */
	void		*mctx;		/* pcre2_match_context_8 (limits) */
	uint32_t	 budget;	/* steps left for this rule */
};

/* Every group of r matches in env's buffers. */
bool	rulematch(const struct rule *r, struct rm_env *env);
/* One number test (dsize, urilen, bsize). */
bool	rulematch_uint(const struct rm_uint *, uint64_t v);
/* A content search as the prefilter's verification would do it: the
 * first occurrence of c's pattern in p[0..len) at or after from, or -1.
 * Exposed for the tests. */
long	rulematch_find(const struct rm_content *c, const uint8_t *p,
	    size_t len, size_t from);

#endif
