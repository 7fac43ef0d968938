/*
 * addrindex.h: rules by the addresses they name, for rules without a
 * fast pattern.
 *
 * Most rules that Hyperscan cannot prefilter are address lists (ET's
 * compromised hosts, Tor exits, botnet controllers: a few hundred
 * addresses each on one side, $HOME_NET on the other). Looking at each
 * of them for every packet is a loop over thousands of rules; here the
 * narrow side of each rule goes into one sorted table of elementary
 * address segments, each with the rules that cover it, and a packet's
 * candidates are the rules of the segments holding its source and its
 * destination: two binary searches. A candidate is only a candidate: the
 * caller still checks the rule's whole header.
 *
 * Read-only once built; shared by threads.
 */
#ifndef VIGIL_ADDRINDEX_H
#define VIGIL_ADDRINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "rulevars.h"

struct addrindex {
	uint32_t	 nseg;
	rv_key		*start;		/* nseg segment starts, ascending */
	uint32_t	*off;		/* nseg + 1: ids[off[j]..off[j+1]) */
	uint32_t	*ids;
};

/* A side narrow enough to index: not "any", at most 2^24 addresses (a
 * /8: $HOME_NET's three private ranges are wider). */
int	addrindex_narrow(const struct rv_set *);
/* Index sets[i] under ids[i], i < n. ERR_NOMEM; ERR_TOOBIG when the
 * segments would hold more than 8 entries per range given plus 65,536
 * (wide ranges nested many deep): the caller keeps those rules in its
 * loop. An empty index (n 0) is valid. */
int	addrindex_build(struct addrindex *, const uint32_t *ids,
	    const struct rv_set *const *sets, size_t n);
/* The ids whose set may hold k (*n of them), or NULL. */
const uint32_t *addrindex_find(const struct addrindex *, rv_key k,
	    uint32_t *n);
void	addrindex_free(struct addrindex *);

#endif
