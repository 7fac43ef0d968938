/*
 * nlist.h: index-linked lists for the flow and fragment tables, whose
 * entries live in one preallocated array and are named by their index.
 *
 * A struct nlist is a doubly linked list (O(1) push at the tail, removal,
 * oldest at the head): the links are a parallel array, link[i] for entry
 * i. A hash chain is singly linked through next[i] from a bucket.
 */
#ifndef VIGIL_NLIST_H
#define VIGIL_NLIST_H

#include <stdint.h>

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

/* Unlink i from the chain that starts at *bucket. */
static inline void
nchain_del(uint32_t *bucket, uint32_t *next, uint32_t i)
{
	uint32_t	*pp;

	for (pp = bucket; *pp != NL_NONE; pp = &next[*pp])
		if (*pp == i) {
			*pp = next[i];
			return;
		}
}

#endif
