/*
 * tally.h: rows counted by a key of SQLite values, in memory; what
 * "GROUP BY k1, k2, ... count(*)" does, without the sort.
 *
 * The report reads a year's alerts (a million rows) in time order for
 * other figures already; counting them here by (agent, severity,
 * category, rule, ...) as they come spares a second pass and a sort that
 * spills to disk. The groups number agents times rules, not rows.
 *
 *	struct tally	*t;
 *	if ((rc = tally_new(&t, 3)) != 0)
 *		return rc;
 *	while (row)
 *		if ((rc = tally_add(t, vals, 1)) != 0)	(3 sqlite3_value *)
 *			goto fail;
 *	for (i = 0; i < tally_count(t); i++)
 *		use(tally_key(t, i), tally_n(t, i));
 *	tally_free(t);
 *
 * Two keys are one group when their values are of the same storage
 * class with the same bytes (integer 1 and real 1.0 are two groups,
 * where SQLite's GROUP BY would make one: a caller that needs that
 * groups the tally's rows again). Values are untrusted (an agent's
 * text): the hash is keyed with a random secret (SipHash), so chosen
 * keys cannot make the table degrade; sizes are checked for overflow.
 * Errors: ERR_NOMEM.
 */
#ifndef VIGIL_TALLY_H
#define VIGIL_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define TALLY_KEYS_MAX	8

struct tally;

/* nkeys values per key, 1 to TALLY_KEYS_MAX. */
int		 tally_new(struct tally **, size_t nkeys);
void		 tally_free(struct tally *);		/* NULL: nothing */
/* Count n more rows of key v[0 .. nkeys) (copied on first sight). */
int		 tally_add(struct tally *, sqlite3_value *const *v,
		    uint64_t n);
/* The groups, in the order first seen: 0 .. tally_count() - 1. */
size_t		 tally_count(const struct tally *);
sqlite3_value *const *tally_key(const struct tally *, size_t i);
uint64_t	 tally_n(const struct tally *, size_t i);

#endif
