/*
 * jarena.h: jansson's allocations while one short-lived document is
 * parsed, checked and released, from a bump arena of the parsing thread.
 *
 * The collector parses every event an agent sends (event_parse_root)
 * and drops the tree a few microseconds later: dozens of small mallocs
 * and frees per event, a tenth of its CPU under load. Between
 * jarena_begin() and jarena_end() the calling thread's jansson
 * allocations are cut from the arena instead (frees cost nothing) and
 * the arena is rewound at the end, so its memory stays warm in cache.
 * Allocations that do not fit, other threads, and any time outside a
 * begin/end pair go to malloc and free as before.
 *
 * Contract: every value allocated inside a pair is released (json_decref)
 * inside it, and no jansson output (json_dumps) made inside it is kept
 * or passed to free(); jarena_end() checks the first and fatal()s if it
 * is broken. Pairs do not nest. jansson's hooks are process-wide and
 * take no context, hence the one thread-local pointer in jarena.c.
 * Under AddressSanitizer each allocation is unpoisoned on its own, with
 * a poisoned gap after it, and the arena is poisoned again at the end.
 */
#ifndef VIGIL_JARENA_H
#define VIGIL_JARENA_H

#include <stddef.h>
#include <stdint.h>

struct jarena {
	uint8_t	*base;
	size_t	 len, cap;	/* bytes cut, of cap */
	size_t	 live;		/* allocations not yet freed */
	size_t	 spilled;	/* allocations that went to malloc (tests) */
};

/* Route jansson's allocations through jarena (json_set_alloc_funcs).
 * Once at start, before other threads use jansson; harmless again. */
void	jarena_install(void);
/* An arena of cap bytes (at least 64). ERR_NOMEM. */
int	jarena_init(struct jarena *, size_t cap);
void	jarena_free(struct jarena *);		/* takes a zeroed one */
/* This thread's jansson allocations come from a until jarena_end(a).
 * Without jarena_install(), or with a->base NULL, nothing changes. */
void	jarena_begin(struct jarena *a);
void	jarena_end(struct jarena *a);

#endif
