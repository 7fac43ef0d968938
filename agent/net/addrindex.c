/*
 * addrindex.c: see addrindex.h. Build: O(R log R) for R ranges; lookup:
 * O(log S) for S segments.
 */
#include <stdlib.h>
#include <string.h>

#include "addrindex.h"
#include "err.h"

#define NARROW_MAX	((rv_key)1 << 24)
#define RV_KEY_MAX	(~(rv_key)0)

int
addrindex_narrow(const struct rv_set *s)
{
	rv_key		covered = 0;
	uint32_t	i;

	if (s->any)
		return 0;
	for (i = 0; i < s->n; i++) {
		if (s->r[i].hi - s->r[i].lo >= NARROW_MAX - covered)
			return 0;
		covered += s->r[i].hi - s->r[i].lo + 1;
	}
	return 1;
}

static int
key_cmp(const void *a, const void *b)
{
	rv_key	x = *(const rv_key *)a, y = *(const rv_key *)b;

	return x < y ? -1 : x > y;
}

/* The segment starting at k (k is a boundary). */
static uint32_t
seg_of(const struct addrindex *ai, rv_key k)
{
	uint32_t	lo = 0, hi = ai->nseg;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ai->start[mid] <= k)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Segments [first, last) of range r. */
static void
span(const struct addrindex *ai, const struct rv_range *r, uint32_t *first,
    uint32_t *last)
{
	*first = seg_of(ai, r->lo);
	*last = r->hi == RV_KEY_MAX ? ai->nseg : seg_of(ai, r->hi + 1);
}

int
addrindex_build(struct addrindex *ai, const uint32_t *ids,
    const struct rv_set *const *sets, size_t n)
{
	size_t		 nr = 0, nb = 0, i, total = 0, cap;
	uint32_t	 j, a, b, k, *fill = NULL;
	rv_key		*bounds = NULL;
	int		 rc = ERR_NOMEM;

	memset(ai, 0, sizeof(*ai));
	for (i = 0; i < n; i++)
		nr += sets[i]->n;
	if (nr == 0)
		return 0;
	if (nr > UINT32_MAX / 4)
		return ERR_TOOBIG;
	if ((bounds = calloc(2 * nr, sizeof(*bounds))) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		for (j = 0; j < sets[i]->n; j++) {
			bounds[nb++] = sets[i]->r[j].lo;
			if (sets[i]->r[j].hi != RV_KEY_MAX)
				bounds[nb++] = sets[i]->r[j].hi + 1;
		}
	qsort(bounds, nb, sizeof(*bounds), key_cmp);
	for (i = 0, j = 0; i < nb; i++)
		if (j == 0 || bounds[j - 1] != bounds[i])
			bounds[j++] = bounds[i];
	ai->start = bounds;
	ai->nseg = j;
	bounds = NULL;
	if ((ai->off = calloc((size_t)ai->nseg + 1, sizeof(*ai->off))) ==
	    NULL)
		goto fail;
	/* count, bounded, then place */
	cap = 8 * nr + 65536;
	for (i = 0; i < n; i++)
		for (j = 0; j < sets[i]->n; j++) {
			span(ai, &sets[i]->r[j], &a, &b);
			total += b - a;
			if (total > cap) {
				rc = ERR_TOOBIG;
				goto fail;
			}
			for (k = a; k < b; k++)
				ai->off[k + 1]++;
		}
	for (j = 0; j < ai->nseg; j++)
		ai->off[j + 1] += ai->off[j];
	if ((ai->ids = calloc(total ? total : 1, sizeof(*ai->ids))) == NULL ||
	    (fill = calloc(ai->nseg, sizeof(*fill))) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		for (j = 0; j < sets[i]->n; j++) {
			span(ai, &sets[i]->r[j], &a, &b);
			for (k = a; k < b; k++)
				ai->ids[ai->off[k] + fill[k]++] = ids[i];
		}
	free(fill);
	return 0;
fail:
	free(bounds);
	free(fill);
	addrindex_free(ai);
	return rc;
}

const uint32_t *
addrindex_find(const struct addrindex *ai, rv_key k, uint32_t *n)
{
	uint32_t	j;

	*n = 0;
	if (ai->nseg == 0 || k < ai->start[0])
		return NULL;
	j = seg_of(ai, k);
	*n = ai->off[j + 1] - ai->off[j];
	return *n > 0 ? ai->ids + ai->off[j] : NULL;
}

void
addrindex_free(struct addrindex *ai)
{
	free(ai->start);
	free(ai->off);
	free(ai->ids);
	memset(ai, 0, sizeof(*ai));
}
