/*
 * sbuf.h: strings the application-layer parsers (dns, tls, http) build in
 * the caller's scratch arena (cursor.h).
 *
 * A struct sbuf grows at the end of the arena: between sbuf_begin() and
 * sbuf_end() nothing else may be taken from the same arena. Appends that
 * do not fit set the sticky error and append nothing more, so a builder
 * writes a whole string and checks once, as a cursor reads. Nothing here
 * allocates; everything is pure and safe from any thread that owns its
 * arena.
 */
#ifndef VIGIL_SBUF_H
#define VIGIL_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

struct sbuf {
	struct scratch	*s;
	uint8_t		*p;	/* start, inside s */
	size_t		 len;
	bool		 err;	/* an append did not fit */
};

void	 sbuf_begin(struct sbuf *b, struct scratch *s);
void	 sbuf_put(struct sbuf *b, const void *p, size_t n);
void	 sbuf_putc(struct sbuf *b, uint8_t c);
/* Four lower-case hex digits of v ("0a0a"). */
void	 sbuf_hex16(struct sbuf *b, uint16_t v);
/* v in decimal. */
void	 sbuf_dec(struct sbuf *b, uint32_t v);
/* Cuts the string back to its first len bytes (len <= b->len). */
void	 sbuf_trunc(struct sbuf *b, size_t len);
/* Ends the string with a NUL (not counted in *len) and keeps it in the
 * arena: its start, or NULL when something did not fit (then the arena
 * is as before sbuf_begin()). */
uint8_t	*sbuf_end(struct sbuf *b, size_t *len);
/* Gives the bytes back to the arena (a temporary string). */
void	 sbuf_drop(struct sbuf *b);

/* n bytes aligned for any object (max_align_t), or NULL when full. */
void	*scratch_aligned(struct scratch *s, size_t n);
/* p[0..n) as NUL-ended text that is safe to show and log: common/text.h's
 * TEXT_TERM escaping (printable UTF-8 kept, a backslash doubled, any
 * other byte "\xNN"). NULL when the arena is full. */
char	*scratch_text(struct scratch *s, const uint8_t *p, size_t n);

#endif
