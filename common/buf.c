/*
 * buf.c: the read cursor and write buffer every decoder and encoder uses.
 *
 * Invariant for struct rd: p points at len readable bytes; once err is
 * set, p and len no longer move. For struct wbuf: len <= cap <= limit;
 * once err is set, nothing more is appended.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->err = 0;
}

int
rd_ptr(struct rd *r, const uint8_t **out, size_t n)
{
	if (r->err || r->len < n)
		return (r->err = ERR_MALFORMED);
	*out = r->p;
	r->p += n;
	r->len -= n;
	return 0;
}

int
rd_bytes(struct rd *r, void *out, size_t n)
{
	const uint8_t	*p;

	if (rd_ptr(r, &p, n) != 0)
		return r->err;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

int
rd_u8(struct rd *r, uint8_t *v)
{
	const uint8_t	*p;

	if (rd_ptr(r, &p, 1) != 0)
		return r->err;
	*v = p[0];
	return 0;
}

int
rd_u16(struct rd *r, uint16_t *v)
{
	const uint8_t	*p;

	if (rd_ptr(r, &p, 2) != 0)
		return r->err;
	*v = (uint16_t)(p[0] << 8 | p[1]);
	return 0;
}

int
rd_u32(struct rd *r, uint32_t *v)
{
	const uint8_t	*p;

	if (rd_ptr(r, &p, 4) != 0)
		return r->err;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int
rd_u64(struct rd *r, uint64_t *v)
{
	uint32_t	hi, lo;

	if (rd_u32(r, &hi) != 0 || rd_u32(r, &lo) != 0)
		return r->err;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
rd_sub(struct rd *r, size_t n, struct rd *inner)
{
	const uint8_t	*p;

	if (rd_ptr(r, &p, n) != 0) {
		rd_init(inner, NULL, 0);
		inner->err = ERR_MALFORMED;
		return r->err;
	}
	rd_init(inner, p, n);
	return 0;
}

int
rd_end(const struct rd *r)
{
	return (r->err == 0 && r->len == 0) ? 0 : ERR_MALFORMED;
}

void
wbuf_init(struct wbuf *w, size_t limit)
{
	memset(w, 0, sizeof(*w));
	w->limit = limit ? limit : SIZE_MAX / 2;
}

void
wbuf_free(struct wbuf *w)
{
	free(w->p);
	memset(w, 0, sizeof(*w));
}

void
wbuf_reset(struct wbuf *w)
{
	w->len = 0;
	w->err = 0;
}

void
wbuf_shrink(struct wbuf *w, size_t keep)
{
	if (w->len != 0 || w->cap <= keep)
		return;
	free(w->p);
	w->p = NULL;
	w->cap = 0;
	w->err = 0;
}

int
wbuf_reserve(struct wbuf *w, size_t n)
{
	size_t	 want, cap;
	uint8_t	*np;

	if (w->err)
		return w->err;
	if (n > w->limit || w->len > w->limit - n)	/* Catch size_t overflow */
		return (w->err = ERR_TOOBIG);
	want = w->len + n;
	if (want <= w->cap && w->p != NULL)	/* else p + len is NULL + 0 */
		return 0;
	cap = w->cap ? w->cap : 256;
	while (cap < want)
		cap = cap > w->limit / 2 ? w->limit : cap * 2;
	if ((np = realloc(w->p, cap)) == NULL)
		return (w->err = ERR_NOMEM);
	w->p = np;
	w->cap = cap;
	return 0;
}

uint8_t *
wbuf_extend(struct wbuf *w, size_t n)
{
	uint8_t	*p;

	if (wbuf_reserve(w, n) != 0)
		return NULL;
	p = w->p + w->len;
	memset(p, 0, n);
	w->len += n;
	return p;
}

int
wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t	*p;

	if ((p = wbuf_extend(w, n)) == NULL)
		return w->err;
	if (n > 0)
		memcpy(p, src, n);
	return 0;
}

int
wbuf_u8(struct wbuf *w, uint8_t v)
{
	return wbuf_bytes(w, &v, 1);
}

int
wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t	b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return wbuf_bytes(w, b, sizeof(b));
}

int
wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t	b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	return wbuf_bytes(w, b, sizeof(b));
}

int
wbuf_u64(struct wbuf *w, uint64_t v)
{
	if (wbuf_u32(w, (uint32_t)(v >> 32)) != 0)
		return w->err;
	return wbuf_u32(w, (uint32_t)v);
}
