/*
 * msgbuild.h: a byte builder for the tests of the network parsers (DNS
 * messages, TLS records, HTTP requests written out byte by byte).
 * Overflowing the fixed buffer is a test bug: it aborts.
 */
#ifndef VIGIL_TEST_MSGBUILD_H
#define VIGIL_TEST_MSGBUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MB_MAX	(256 * 1024)

struct mb {
	uint8_t	 b[MB_MAX];
	size_t	 len;
};

static inline void
mb_put(struct mb *m, const void *p, size_t n)
{
	if (n > MB_MAX - m->len)
		abort();
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static inline void
mb_u8(struct mb *m, unsigned v)
{
	uint8_t	b = (uint8_t)v;

	mb_put(m, &b, 1);
}

static inline void
mb_u16(struct mb *m, unsigned v)
{
	mb_u8(m, v >> 8);
	mb_u8(m, v);
}

static inline void
mb_u24(struct mb *m, unsigned v)
{
	mb_u8(m, v >> 16);
	mb_u16(m, v);
}

static inline void
mb_u32(struct mb *m, uint32_t v)
{
	mb_u16(m, v >> 16);
	mb_u16(m, v);
}

static inline void
mb_str(struct mb *m, const char *s)
{
	mb_put(m, s, strlen(s));
}

/* Overwrite a big-endian length of n bytes (1..3) at off. */
static inline void
mb_patch(struct mb *m, size_t off, size_t n, size_t v)
{
	while (n-- > 0) {
		m->b[off + n] = (uint8_t)v;
		v >>= 8;
	}
}

#endif
