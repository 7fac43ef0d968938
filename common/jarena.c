/*
 * jarena.c: a bump arena for jansson's allocations (see jarena.h).
 *
 * Invariant: base..base+len is cut, in 16-byte aligned pieces each
 * followed by a gap of JA_GAP bytes; live counts the pieces not freed.
 * A free is recognised as the arena's by its address alone (the range
 * is the arena's own allocation, so no malloc'd pointer falls in it).
 * Load: one begin/end pair per event on the collector's event loop, a
 * few dozen allocations of tens of bytes inside each; a 64 KiB arena
 * holds the tree of any event up to a few KB.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "jarena.h"
#include "log.h"

#if defined(__SANITIZE_ADDRESS__)
#define JA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JA_ASAN 1
#endif
#endif

#ifdef JA_ASAN
#include <sanitizer/asan_interface.h>
#define JA_GAP		16	/* a redzone after each piece */
#define ja_poison(p, n)		ASAN_POISON_MEMORY_REGION((p), (n))
#define ja_unpoison(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define JA_GAP		0
#define ja_poison(p, n)		((void)(p), (void)(n))
#define ja_unpoison(p, n)	((void)(p), (void)(n))
#endif

#define JA_ALIGN	16

/* The arena of this thread's begin/end pair; NULL outside one. */
static _Thread_local struct jarena	*cur;

static int
ja_owns(const struct jarena *a, const void *p)
{
	uintptr_t	u = (uintptr_t)p, b = (uintptr_t)a->base;

	return u >= b && u - b < a->cap;
}

static void *
ja_malloc(size_t size)
{
	struct jarena	*a = cur;
	size_t		 need;
	uint8_t		*p;

	if (a == NULL)
		return malloc(size);
	/* size <= cap first: the rounding below cannot overflow */
	if (size <= a->cap && (need = ((size + JA_ALIGN - 1) &
	    ~(size_t)(JA_ALIGN - 1)) + JA_GAP) <= a->cap - a->len) {
		p = a->base + a->len;
		a->len += need;
		a->live++;
		ja_unpoison(p, size);
		return p;
	}
	a->spilled++;
	return malloc(size);
}

static void
ja_free(void *p)
{
	struct jarena	*a = cur;

	if (p != NULL && a != NULL && ja_owns(a, p)) {
		a->live--;
		return;
	}
	free(p);
}

void
jarena_install(void)
{
	json_set_alloc_funcs(ja_malloc, ja_free);
}

int
jarena_init(struct jarena *a, size_t cap)
{
	memset(a, 0, sizeof(*a));
	if (cap < 64)
		cap = 64;
	if ((a->base = malloc(cap)) == NULL)
		return ERR_NOMEM;
	a->cap = cap;
	ja_poison(a->base, a->cap);
	return 0;
}

void
jarena_free(struct jarena *a)
{
	if (a->base != NULL)
		ja_unpoison(a->base, a->cap);
	free(a->base);
	memset(a, 0, sizeof(*a));
}

void
jarena_begin(struct jarena *a)
{
	if (cur != NULL)
		fatalx("jarena: begin inside a begin/end pair");
	if (a->base != NULL)
		cur = a;
}

void
jarena_end(struct jarena *a)
{
	if (cur != a)
		return;		/* begun without an arena */
	cur = NULL;
	/* a value still held would be read after the arena is reused */
	if (a->live != 0)
		fatalx("jarena: %zu jansson values outlive their arena",
		    a->live);
	ja_poison(a->base, a->len);
	a->len = 0;
}
