/*
 * ruleset.h: a loaded rule set, as ruleset.c builds it and detect.c
 * matches it. Internal to the rule engine (detect.h is the contract).
 *
 * rules[] is in evaluation order: pass rules first (a match stops the
 * rest, as Suricata's action order), then rules that set flowbits (so a
 * bit set by one packet's rule is seen by the checking rule on the same
 * packet), then load order. A rule's index is its prefilter id.
 */
#ifndef VIGIL_RULESET_H
#define VIGIL_RULESET_H

#include <stdint.h>

#include "addrindex.h"
#include "prefilter.h"
#include "rule.h"
#include "rulevars.h"

/* Rules without a fast pattern, by what they need: those naming a narrow
 * set of addresses on one side in ai[] (addrindex.h), the few others in
 * nc[]. */
enum nc_group { NC_IP, NC_TCP, NC_UDP, NC_ICMP, NC_DNS, NC_TLS, NC_HTTP,
	NC__COUNT };

struct ruleset {
	struct rulevars		*vars;
	struct rule_ctx		*ctx;
	struct rule		*rules;
	uint32_t		 nrules;
	uint32_t		*nc[NC__COUNT];	/* looked at per packet */
	uint32_t		 nnc[NC__COUNT];
	struct addrindex	 ai[NC__COUNT];	/* the others: by address */
	struct prefilter	*pf;
	uint32_t		 nflowbits;
};

#endif
