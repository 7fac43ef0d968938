/*
 * cursor.h: the one bounds-checked reader every network decoder uses.
 *
 * A cursor is a window on bytes that are not trusted. Every read checks
 * the remaining length first; a read past the end returns zero, reads
 * nothing and sets the sticky error flag, so a decoder can read a whole
 * header and check cur_ok() once. Nothing here allocates.
 *
 * A scratch is a bounded arena for what decoders build (decompressed DNS
 * names, normalised URIs): it is reset per packet or transaction, and a
 * request past its capacity fails cleanly (NULL), never grows.
 */
#ifndef VIGIL_CURSOR_H
#define VIGIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cur {
	const uint8_t	*p;
	size_t		 len;	/* total bytes in the window */
	size_t		 off;	/* bytes consumed */
	bool		 err;	/* a read went past the end */
};

static inline struct cur
cur_make(const uint8_t *p, size_t len)
{
	struct cur c = { p, len, 0, false };
	return c;
}

static inline size_t
cur_left(const struct cur *c)
{
	return c->err ? 0 : c->len - c->off;
}

static inline bool
cur_ok(const struct cur *c)
{
	return !c->err;
}

static inline const uint8_t *
cur_ptr(const struct cur *c)
{
	return c->p + c->off;
}

/* true if n more bytes are there (without consuming them) */
static inline bool
cur_has(const struct cur *c, size_t n)
{
	return !c->err && c->len - c->off >= n;
}

/* Consume n bytes and return where they start, or NULL (error set). */
static inline const uint8_t *
cur_take(struct cur *c, size_t n)
{
	const uint8_t *p;

	if (!cur_has(c, n)) {
		c->err = true;
		return NULL;
	}
	p = c->p + c->off;
	c->off += n;
	return p;
}

static inline bool
cur_skip(struct cur *c, size_t n)
{
	return cur_take(c, n) != NULL;
}

static inline uint8_t
cur_u8(struct cur *c)
{
	const uint8_t *p = cur_take(c, 1);
	return p ? p[0] : 0;
}

static inline uint16_t
cur_be16(struct cur *c)
{
	const uint8_t *p = cur_take(c, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static inline uint32_t
cur_be24(struct cur *c)
{
	const uint8_t *p = cur_take(c, 3);
	return p ? (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2] : 0;
}

static inline uint32_t
cur_be32(struct cur *c)
{
	const uint8_t *p = cur_take(c, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3] : 0;
}

static inline uint16_t
cur_le16(struct cur *c)
{
	const uint8_t *p = cur_take(c, 2);
	return p ? (uint16_t)(p[1] << 8 | p[0]) : 0;
}

static inline uint32_t
cur_le32(struct cur *c)
{
	const uint8_t *p = cur_take(c, 4);
	return p ? (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0] : 0;
}

/* A sub-cursor over the next n bytes, consumed from c. If fewer remain,
 * both c and the result carry the error. */
static inline struct cur
cur_sub(struct cur *c, size_t n)
{
	const uint8_t *p = cur_take(c, n);
	struct cur s = { p, p ? n : 0, 0, p == NULL };
	return s;
}

/* A cursor at an absolute offset of the same window (DNS compression
 * pointers); error if off is outside it. */
static inline struct cur
cur_at(const struct cur *c, size_t off)
{
	struct cur s = { c->p, c->len, off, off > c->len };
	if (s.err)
		s.off = 0;
	return s;
}

struct scratch {
	uint8_t		*buf;
	size_t		 cap, used;
};

static inline void
scratch_reset(struct scratch *s)
{
	s->used = 0;
}

/* n bytes from the arena, or NULL when it is full. */
static inline uint8_t *
scratch_alloc(struct scratch *s, size_t n)
{
	uint8_t *p;

	if (n > s->cap - s->used)
		return NULL;
	p = s->buf + s->used;
	s->used += n;
	return p;
}

#endif
