/*
 * rulevars.h: the address and port part of a rule header (docs/rules.md).
 *
 * Suricata's syntax: "any", an address (IPv4, IPv6, CIDR, a netmask
 * "1.2.3.0/255.255.255.0", a range "a-b"), a port ("80", "1024:",
 * ":1023", "1:1023"), a variable "$NAME", a list "[a, b, ...]" that may
 * nest, and "!" before any of them. A list is the union of its plain
 * members minus the union of its negated ones (everything minus them when
 * it has no plain member). The result is a sorted set of disjoint ranges.
 *
 * Addresses are 128-bit keys: IPv6 as it is, IPv4 as the mapped address
 * ::ffff:a.b.c.d, so one set holds both families ("!10.0.0.0/8" includes
 * every IPv6 address, as in Suricata).
 *
 * struct rulevars holds the variables and interns every set it parses:
 * the 25,000 rules of a public rule set name a few dozen distinct
 * headers, so each text is parsed once and rules point to the shared,
 * read-only set (valid until rulevars_free).
 */
#ifndef VIGIL_RULEVARS_H
#define VIGIL_RULEVARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

typedef unsigned __int128 rv_key;

struct rv_range {
	rv_key		 lo, hi;	/* inclusive */
};

struct rv_set {
	struct rv_range	*r;	/* sorted, disjoint, not adjacent */
	uint32_t	 n;	/* >= 1: an empty set is an error */
	bool		 any;	/* the whole space */
};

struct rulevars;

/* Suricata's default variables (suricata.yaml: HOME_NET the private
 * ranges, EXTERNAL_NET !$HOME_NET, HTTP_PORTS 80, ...). NULL when out of
 * memory. */
struct rulevars	*rulevars_new(void);
void		 rulevars_free(struct rulevars *);
/* "NAME=VALUE" (NAME may start with '$'); replaces a default. The value
 * is checked when a rule uses it. ERR_MALFORMED, ERR_NOMEM. */
int		 rulevars_set(struct rulevars *, const char *assignment);
/* Every variable as "NAME=VALUE\n" in name order, for the cache key.
 * malloc'd, NULL when out of memory. */
char		*rulevars_dump(const struct rulevars *, size_t *lenp);

/* Parse s[0..len) as an address (port) set: 0 and *out, or ERR_MALFORMED
 * with *why (a fixed text), or ERR_NOMEM. */
int	rv_addr(const struct rv_set **out, struct rulevars *, const char *s,
	    size_t len, const char **why);
int	rv_port(const struct rv_set **out, struct rulevars *, const char *s,
	    size_t len, const char **why);

rv_key	rv_addr_key(const struct naddr *);
/* O(log n) */
bool	rv_has(const struct rv_set *, rv_key);

#endif
