/*
 * buf.h: bounds-checked reading and writing of binary messages.
 *
 * struct rd is a read cursor over untrusted bytes. Every rd_* call checks
 * the remaining length; the first failure sets r->err (ERR_MALFORMED) and
 * every later call fails too, so a decoder reads a whole record and then
 * checks r.err once (or rd_end() for "all consumed, no error").
 * Integers are big-endian on the wire.
 *
 * struct wbuf is a growable output buffer with the same sticky error
 * (ERR_NOMEM or ERR_TOOBIG past wbuf's cap_limit).
 */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t	*p;
	size_t		 len;
	int		 err;
};

void	rd_init(struct rd *, const void *, size_t);
int	rd_u8(struct rd *, uint8_t *);
int	rd_u16(struct rd *, uint16_t *);
int	rd_u32(struct rd *, uint32_t *);
int	rd_u64(struct rd *, uint64_t *);
int	rd_bytes(struct rd *, void *out, size_t n);
/* Borrow n bytes in place: *out points into the input. */
int	rd_ptr(struct rd *, const uint8_t **out, size_t n);
/* Split off the next n bytes as an inner cursor. */
int	rd_sub(struct rd *, size_t n, struct rd *inner);
/* 0 if no error and nothing left, else ERR_MALFORMED. */
int	rd_end(const struct rd *);

struct wbuf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 limit;		/* 0: SIZE_MAX / 2 */
	int	 err;
};

void	wbuf_init(struct wbuf *, size_t limit);
void	wbuf_free(struct wbuf *);		/* wipes nothing; see below */
void	wbuf_reset(struct wbuf *);		/* len = 0, err = 0 */
int	wbuf_reserve(struct wbuf *, size_t n);	/* room for n more bytes */
/* If empty and holding more than keep bytes of storage, release it (the
 * limit stays). For buffers that are large only while busy. */
void	wbuf_shrink(struct wbuf *, size_t keep);
int	wbuf_u8(struct wbuf *, uint8_t);
int	wbuf_u16(struct wbuf *, uint16_t);
int	wbuf_u32(struct wbuf *, uint32_t);
int	wbuf_u64(struct wbuf *, uint64_t);
int	wbuf_bytes(struct wbuf *, const void *, size_t);
/* Append n zero bytes and return a pointer to them (NULL on error). */
uint8_t	*wbuf_extend(struct wbuf *, size_t n);

#endif
