/*
 * sbuf.c: strings built in a scratch arena (sbuf.h has the contract).
 *
 * A builder owns the free end of the arena while it runs: an append is a
 * bounds check and a memcpy, the end a NUL. The text form of untrusted
 * names (DNS names, TLS server names) goes through common/text.c's one
 * terminal escaper, so what EVE and the logs show cannot carry a control
 * byte, an invalid UTF-8 sequence or a NUL.
 */
#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include "sbuf.h"
#include "text.h"

void
sbuf_begin(struct sbuf *b, struct scratch *s)
{
	b->s = s;
	b->p = s->buf + s->used;
	b->len = 0;
	b->err = false;
}

void
sbuf_put(struct sbuf *b, const void *p, size_t n)
{
	if (b->err)
		return;
	/* the NUL of sbuf_end() always has room */
	if (n >= b->s->cap - b->s->used) {
		b->err = true;
		return;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->s->used += n;
}

void
sbuf_putc(struct sbuf *b, uint8_t c)
{
	sbuf_put(b, &c, 1);
}

void
sbuf_hex16(struct sbuf *b, uint16_t v)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t	d[4];

	d[0] = (uint8_t)hex[v >> 12];
	d[1] = (uint8_t)hex[v >> 8 & 0xf];
	d[2] = (uint8_t)hex[v >> 4 & 0xf];
	d[3] = (uint8_t)hex[v & 0xf];
	sbuf_put(b, d, sizeof(d));
}

void
sbuf_dec(struct sbuf *b, uint32_t v)
{
	uint8_t	d[10];
	size_t	i = sizeof(d);

	do {
		d[--i] = (uint8_t)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sbuf_put(b, d + i, sizeof(d) - i);
}

void
sbuf_trunc(struct sbuf *b, size_t len)
{
	if (len > b->len)
		return;
	b->s->used -= b->len - len;
	b->len = len;
}

uint8_t *
sbuf_end(struct sbuf *b, size_t *len)
{
	if (b->err || b->s->used >= b->s->cap) {
		sbuf_drop(b);
		return NULL;
	}
	b->p[b->len] = '\0';
	b->s->used++;
	if (len != NULL)
		*len = b->len;
	return b->p;
}

void
sbuf_drop(struct sbuf *b)
{
	b->s->used = (size_t)(b->p - b->s->buf);
	b->len = 0;
}

void *
scratch_aligned(struct scratch *s, size_t n)
{
	uintptr_t	at = (uintptr_t)(s->buf + s->used);
	size_t		pad = (alignof(max_align_t) -
			    at % alignof(max_align_t)) % alignof(max_align_t);

	if (pad > s->cap - s->used || n > s->cap - s->used - pad)
		return NULL;
	s->used += pad;
	return scratch_alloc(s, n);
}

char *
scratch_text(struct scratch *s, const uint8_t *p, size_t n)
{
	size_t	 room = s->cap - s->used, need;
	char	*out = (char *)(s->buf + s->used);

	if (room == 0)
		return NULL;
	need = text_escape(out, room, (const char *)p, n, TEXT_TERM, NULL);
	if (need >= room)
		return NULL;
	s->used += need + 1;
	return out;
}
