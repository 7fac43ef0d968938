/*
 * nlist.h: index-linked lists for the flow and fragment tables, whose
 * entries live in one preallocated array and are named by their index.
 *
 * A struct nlist is a doubly linked list (O(1) push at the tail, removal,
 * oldest at the head): the links are a parallel array, link[i] for entry
 * i. A struct itab is the rest of such a table: hash chains, singly
 * linked through next[i] from a power-of-two bucket array, and the free
 * entries on a stack through the same next[].
 */
#ifndef VIGIL_NLIST_H
#define VIGIL_NLIST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NL_NONE	UINT32_MAX

struct nlink {
	uint32_t	 prev, next;
};

struct nlist {
	uint32_t	 head, tail, n;
};

static inline void
nlist_init(struct nlist *l)
{
	l->head = l->tail = NL_NONE;
	l->n = 0;
}

static inline void
nlist_push(struct nlist *l, struct nlink *lk, uint32_t i)
{
	lk[i].prev = l->tail;
	lk[i].next = NL_NONE;
	if (l->tail != NL_NONE)
		lk[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->n++;
}

static inline void
nlist_del(struct nlist *l, struct nlink *lk, uint32_t i)
{
	if (lk[i].prev != NL_NONE)
		lk[lk[i].prev].next = lk[i].next;
	else
		l->head = lk[i].next;
	if (lk[i].next != NL_NONE)
		lk[lk[i].next].prev = lk[i].prev;
	else
		l->tail = lk[i].prev;
	l->n--;
}

struct itab {
	uint32_t	*next;		/* in use: the chain; free: the stack */
	uint32_t	*bucket;
	uint32_t	 mask, max, free_top;
};

/* max entries, all free, and at least nb buckets. 0, or -1 (no memory). */
static inline int
itab_init(struct itab *t, uint32_t max, uint32_t nb)
{
	uint32_t	n, i;

	for (n = 16; n < nb; n <<= 1)
		;
	t->next = calloc(max, sizeof(*t->next));
	t->bucket = malloc((size_t)n * sizeof(*t->bucket));
	if (t->next == NULL || t->bucket == NULL)
		return -1;
	memset(t->bucket, 0xff, (size_t)n * sizeof(*t->bucket));
	for (i = 0; i < max; i++)
		t->next[i] = i + 1 < max ? i + 1 : NL_NONE;
	t->free_top = 0;
	t->mask = n - 1;
	t->max = max;
	return 0;
}

static inline void
itab_fini(struct itab *t)
{
	free(t->next);
	free(t->bucket);
}

/* A free entry, put at the head of chain b; NL_NONE if none is free. */
static inline uint32_t
itab_take(struct itab *t, uint32_t b)
{
	uint32_t	i = t->free_top;

	if (i == NL_NONE)
		return i;
	t->free_top = t->next[i];
	t->next[i] = t->bucket[b];
	t->bucket[b] = i;
	return i;
}

/* Entry i out of chain b, onto the free stack. */
static inline void
itab_put(struct itab *t, uint32_t b, uint32_t i)
{
	uint32_t	*pp;

	for (pp = &t->bucket[b]; *pp != NL_NONE; pp = &t->next[*pp])
		if (*pp == i) {
			*pp = t->next[i];
			break;
		}
	t->next[i] = t->free_top;
	t->free_top = i;
}

#endif
