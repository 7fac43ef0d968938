/*
 * test_buf.c: the read cursor and the write buffer (common/buf.c).
 *
 * struct rd: big-endian decoding, the sticky error (a failed read leaves
 * the cursor where it was and every later read fails, even one that would
 * fit), rd_end, rd_sub and rd_ptr borrowing. struct wbuf: encoding, the
 * size limit (ERR_TOOBIG, sticky until wbuf_reset), size_t overflow in
 * the limit check, ERR_NOMEM from a failed allocation, and growth checked
 * against a naive model (a fixed array written byte by byte).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

/*
 * test_wbuf_nomem asks for SIZE_MAX / 2 bytes. Under ASan that must come
 * back as NULL, as it does from glibc, instead of aborting the test.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIGIL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define VIGIL_ASAN 1
#endif
#ifdef VIGIL_ASAN
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

static const uint8_t	IN[] = {
	0x01,				/* u8 */
	0x02, 0x03,			/* u16 */
	0x04, 0x05, 0x06, 0x07,		/* u32 */
	0x80, 0x09, 0x0a, 0x0b,		/* u64 */
	0x0c, 0x0d, 0x0e, 0xff,
	'a', 'b', 'c',			/* bytes */
};

/* ---- struct rd ---- */

static void
test_rd_values(void **state)
{
	struct rd	 r;
	uint8_t		 u8, b[3];
	uint16_t	 u16;
	uint32_t	 u32;
	uint64_t	 u64;

	(void)state;
	rd_init(&r, IN, sizeof(IN));
	assert_int_equal(rd_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(rd_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(rd_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(rd_u64(&r, &u64), 0);
	assert_true(u64 == 0x80090a0b0c0d0effULL);
	assert_int_not_equal(rd_end(&r), 0);	/* three bytes left */
	assert_int_equal(rd_bytes(&r, b, 3), 0);
	assert_memory_equal(b, "abc", 3);
	assert_int_equal(r.len, 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(rd_end(&r), 0);
}

static void
test_rd_high_bits(void **state)
{
	static const uint8_t	ff[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff };
	struct rd		r;
	uint16_t		u16;
	uint32_t		u32;
	uint64_t		u64;

	(void)state;
	/* no sign extension anywhere */
	rd_init(&r, ff, 2);
	assert_int_equal(rd_u16(&r, &u16), 0);
	assert_int_equal(u16, 0xffff);
	rd_init(&r, ff, 4);
	assert_int_equal(rd_u32(&r, &u32), 0);
	assert_true(u32 == 0xffffffffU);
	rd_init(&r, ff, 8);
	assert_int_equal(rd_u64(&r, &u64), 0);
	assert_true(u64 == UINT64_MAX);
	assert_int_equal(rd_end(&r), 0);
}

/* Each reader fails cleanly on one byte too few, and leaves the cursor
 * and the output alone. */
static void
test_rd_short(void **state)
{
	struct rd	 r;
	uint8_t		 u8 = 0x5a, b[4] = { 0 };
	uint16_t	 u16 = 0x5a5a;
	uint32_t	 u32 = 0x5a5a5a5a;
	uint64_t	 u64 = 0x5a5a5a5a5a5a5a5aULL;
	const uint8_t	*p = NULL;

	(void)state;
	rd_init(&r, IN, 0);
	assert_int_equal(rd_u8(&r, &u8), ERR_MALFORMED);
	assert_int_equal(u8, 0x5a);

	rd_init(&r, IN, 1);
	assert_int_equal(rd_u16(&r, &u16), ERR_MALFORMED);
	assert_int_equal(u16, 0x5a5a);
	assert_ptr_equal(r.p, IN);
	assert_int_equal(r.len, 1);

	rd_init(&r, IN, 3);
	assert_int_equal(rd_u32(&r, &u32), ERR_MALFORMED);
	assert_true(u32 == 0x5a5a5a5a);
	assert_int_equal(r.len, 3);

	rd_init(&r, IN, 7);
	assert_int_equal(rd_u64(&r, &u64), ERR_MALFORMED);
	assert_true(u64 == 0x5a5a5a5a5a5a5a5aULL);
	assert_int_equal(r.err, ERR_MALFORMED);

	rd_init(&r, IN, 3);
	assert_int_equal(rd_bytes(&r, b, 4), ERR_MALFORMED);
	assert_memory_equal(b, "\0\0\0\0", 4);

	rd_init(&r, IN, 3);
	assert_int_equal(rd_ptr(&r, &p, 4), ERR_MALFORMED);
	assert_null(p);
	assert_int_equal(r.len, 3);

	/* a length no buffer has */
	rd_init(&r, IN, sizeof(IN));
	assert_int_equal(rd_ptr(&r, &p, SIZE_MAX), ERR_MALFORMED);
	assert_null(p);
}

/* After one failure every call fails, even one that would fit, and the
 * cursor does not move again. */
static void
test_rd_sticky(void **state)
{
	struct rd	 r, inner;
	uint8_t		 u8, b[1];
	uint16_t	 u16;
	uint32_t	 u32;
	uint64_t	 u64;
	const uint8_t	*p, *at;
	size_t		 left;

	(void)state;
	rd_init(&r, IN, 3);
	assert_int_equal(rd_u8(&r, &u8), 0);
	assert_int_equal(rd_u32(&r, &u32), ERR_MALFORMED);
	assert_int_equal(r.err, ERR_MALFORMED);
	at = r.p;
	left = r.len;
	assert_true(left > 0);
	assert_int_equal(rd_u8(&r, &u8), ERR_MALFORMED);
	assert_int_equal(rd_u16(&r, &u16), ERR_MALFORMED);
	assert_int_equal(rd_u32(&r, &u32), ERR_MALFORMED);
	assert_int_equal(rd_u64(&r, &u64), ERR_MALFORMED);
	assert_int_equal(rd_bytes(&r, b, 1), ERR_MALFORMED);
	assert_int_equal(rd_bytes(&r, b, 0), ERR_MALFORMED);
	assert_int_equal(rd_ptr(&r, &p, 0), ERR_MALFORMED);
	assert_int_equal(rd_sub(&r, 1, &inner), ERR_MALFORMED);
	assert_int_equal(inner.err, ERR_MALFORMED);
	assert_ptr_equal(r.p, at);
	assert_int_equal(r.len, left);
	assert_int_equal(rd_end(&r), ERR_MALFORMED);
}

static void
test_rd_end(void **state)
{
	struct rd	r;
	uint8_t		u8;

	(void)state;
	rd_init(&r, IN, 0);
	assert_int_equal(rd_end(&r), 0);		/* empty is done */
	rd_init(&r, IN, 1);
	assert_int_equal(rd_end(&r), ERR_MALFORMED);	/* a byte left */
	assert_int_equal(rd_u8(&r, &u8), 0);
	assert_int_equal(rd_end(&r), 0);
	assert_int_equal(rd_u8(&r, &u8), ERR_MALFORMED);
	assert_int_equal(r.len, 0);
	assert_int_equal(rd_end(&r), ERR_MALFORMED);	/* consumed, but err */
}

static void
test_rd_zero_length(void **state)
{
	struct rd	 r;
	const uint8_t	*p = NULL;

	(void)state;
	rd_init(&r, IN, 2);
	assert_int_equal(rd_bytes(&r, NULL, 0), 0);
	assert_int_equal(rd_ptr(&r, &p, 0), 0);
	assert_ptr_equal(p, IN);
	assert_int_equal(r.len, 2);
	assert_int_equal(r.err, 0);
}

static void
test_rd_ptr_borrows(void **state)
{
	struct rd	 r;
	const uint8_t	*p;

	(void)state;
	rd_init(&r, IN, sizeof(IN));
	assert_int_equal(rd_ptr(&r, &p, 3), 0);
	assert_ptr_equal(p, IN);		/* in place, not a copy */
	assert_ptr_equal(r.p, IN + 3);
	assert_int_equal(r.len, sizeof(IN) - 3);
	assert_int_equal(rd_ptr(&r, &p, sizeof(IN) - 3), 0);
	assert_ptr_equal(p, IN + 3);
	assert_int_equal(rd_end(&r), 0);
}

static void
test_rd_sub(void **state)
{
	struct rd	r, inner;
	uint8_t		u8;
	uint16_t	u16;

	(void)state;
	rd_init(&r, IN, sizeof(IN));
	assert_int_equal(rd_sub(&r, 3, &inner), 0);
	assert_ptr_equal(inner.p, IN);
	assert_int_equal(inner.len, 3);
	assert_int_equal(inner.err, 0);
	assert_ptr_equal(r.p, IN + 3);
	assert_int_equal(r.len, sizeof(IN) - 3);

	/* the inner cursor is bounded by its own length */
	assert_int_equal(rd_u8(&inner, &u8), 0);
	assert_int_equal(rd_u16(&inner, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(rd_end(&inner), 0);
	assert_int_equal(rd_u8(&inner, &u8), ERR_MALFORMED);
	/* and its failure does not touch the outer one */
	assert_int_equal(r.err, 0);
	assert_int_equal(rd_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x04);

	/* a sub longer than what is left fails both */
	rd_init(&r, IN, 4);
	assert_int_equal(rd_sub(&r, 5, &inner), ERR_MALFORMED);
	assert_int_equal(r.err, ERR_MALFORMED);
	assert_int_equal(inner.err, ERR_MALFORMED);
	assert_int_equal(inner.len, 0);
	assert_int_equal(rd_u8(&inner, &u8), ERR_MALFORMED);
	assert_int_equal(rd_end(&inner), ERR_MALFORMED);

	/* an empty sub is fine */
	rd_init(&r, IN, 4);
	assert_int_equal(rd_sub(&r, 0, &inner), 0);
	assert_int_equal(rd_end(&inner), 0);
	assert_int_equal(r.len, 4);
}

/* ---- struct wbuf ---- */

static void
test_wbuf_values(void **state)
{
	struct wbuf	 w;
	uint8_t		*p;

	(void)state;
	wbuf_init(&w, 0);
	assert_true(w.limit == SIZE_MAX / 2);
	assert_int_equal(w.len, 0);
	assert_int_equal(wbuf_u8(&w, 0x01), 0);
	assert_int_equal(wbuf_u16(&w, 0x0203), 0);
	assert_int_equal(wbuf_u32(&w, 0x04050607), 0);
	assert_int_equal(wbuf_u64(&w, 0x80090a0b0c0d0effULL), 0);
	assert_int_equal(wbuf_bytes(&w, "abc", 3), 0);
	assert_int_equal(w.len, sizeof(IN));
	assert_memory_equal(w.p, IN, sizeof(IN));
	assert_true(w.len <= w.cap);

	/* extend appends zeroes, even over old contents */
	wbuf_reset(&w);
	assert_int_equal(w.len, 0);
	assert_non_null(p = wbuf_extend(&w, 5));
	assert_ptr_equal(p, w.p);
	assert_memory_equal(p, "\0\0\0\0\0", 5);
	assert_int_equal(w.len, 5);
	assert_int_equal(wbuf_bytes(&w, NULL, 0), 0);
	assert_int_equal(w.len, 5);
	wbuf_free(&w);
	assert_null(w.p);
	assert_int_equal(w.len, 0);
	wbuf_free(&w);		/* twice is fine */
}

/* Nothing written yet, nothing to write: no allocation is needed, and
 * nothing may go wrong. */
static void
test_wbuf_empty(void **state)
{
	struct wbuf	w;

	(void)state;
	wbuf_init(&w, 0);
	assert_int_equal(wbuf_reserve(&w, 0), 0);
	assert_int_equal(wbuf_bytes(&w, NULL, 0), 0);
	assert_non_null(wbuf_extend(&w, 0));
	assert_int_equal(w.len, 0);
	assert_int_equal(w.err, 0);
	wbuf_free(&w);
}

static void
test_wbuf_limit(void **state)
{
	struct wbuf	w;
	uint8_t		b[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

	(void)state;
	wbuf_init(&w, 10);
	assert_int_equal(w.limit, 10);
	assert_int_equal(wbuf_bytes(&w, b, 10), 0);	/* exactly the limit */
	assert_int_equal(w.len, 10);
	assert_int_equal(wbuf_u8(&w, 0), ERR_TOOBIG);
	assert_int_equal(w.err, ERR_TOOBIG);
	assert_int_equal(w.len, 10);
	assert_memory_equal(w.p, b, 10);

	/* sticky: nothing is appended, not even nothing */
	assert_int_equal(wbuf_bytes(&w, b, 0), ERR_TOOBIG);
	assert_int_equal(wbuf_reserve(&w, 0), ERR_TOOBIG);
	assert_null(wbuf_extend(&w, 0));
	assert_int_equal(wbuf_u16(&w, 1), ERR_TOOBIG);
	assert_int_equal(wbuf_u32(&w, 1), ERR_TOOBIG);
	assert_int_equal(wbuf_u64(&w, 1), ERR_TOOBIG);
	assert_int_equal(w.len, 10);

	/* reset clears the error and the contents; the limit stays */
	wbuf_reset(&w);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 0);
	assert_int_equal(wbuf_u64(&w, 1), 0);
	assert_int_equal(wbuf_u16(&w, 1), 0);
	assert_int_equal(wbuf_u16(&w, 1), ERR_TOOBIG);	/* 12 > 10 */
	assert_int_equal(w.len, 10);

	/* a write that does not fit is not written in part */
	wbuf_reset(&w);
	assert_int_equal(wbuf_bytes(&w, b, 7), 0);
	assert_int_equal(wbuf_u32(&w, 0xffffffff), ERR_TOOBIG);
	assert_int_equal(w.len, 7);
	wbuf_reset(&w);
	assert_int_equal(wbuf_bytes(&w, b, 5), 0);
	assert_int_equal(wbuf_u64(&w, UINT64_MAX), ERR_TOOBIG);
	assert_int_equal(w.err, ERR_TOOBIG);
	wbuf_reset(&w);
	assert_int_equal(wbuf_bytes(&w, b, 11), ERR_TOOBIG);
	assert_int_equal(w.len, 0);
	wbuf_free(&w);

	/* one byte of room */
	wbuf_init(&w, 1);
	assert_int_equal(wbuf_u16(&w, 1), ERR_TOOBIG);
	assert_int_equal(w.len, 0);
	wbuf_reset(&w);
	assert_int_equal(wbuf_u8(&w, 0xaa), 0);
	assert_int_equal(w.p[0], 0xaa);
	wbuf_free(&w);
}

/* Sizes near SIZE_MAX must not wrap around the limit check. */
static void
test_wbuf_overflow(void **state)
{
	struct wbuf	w;

	(void)state;
	wbuf_init(&w, 0);
	assert_int_equal(wbuf_reserve(&w, SIZE_MAX), ERR_TOOBIG);
	assert_null(w.p);
	wbuf_free(&w);

	wbuf_init(&w, 0);
	assert_int_equal(wbuf_u32(&w, 7), 0);
	/* len + n wraps to a small number */
	assert_int_equal(wbuf_reserve(&w, SIZE_MAX - 1), ERR_TOOBIG);
	wbuf_reset(&w);
	assert_int_equal(wbuf_u32(&w, 7), 0);
	/* len + n is one past the limit */
	assert_int_equal(wbuf_reserve(&w, SIZE_MAX / 2 - 3), ERR_TOOBIG);
	wbuf_reset(&w);
	assert_null(wbuf_extend(&w, SIZE_MAX));
	assert_int_equal(w.err, ERR_TOOBIG);
	wbuf_reset(&w);
	assert_int_equal(wbuf_bytes(&w, "x", SIZE_MAX), ERR_TOOBIG);
	assert_int_equal(w.len, 0);
	wbuf_free(&w);

	/* with a small limit as well */
	wbuf_init(&w, 100);
	assert_int_equal(wbuf_u8(&w, 7), 0);
	assert_int_equal(wbuf_reserve(&w, SIZE_MAX), ERR_TOOBIG);
	wbuf_reset(&w);
	assert_int_equal(wbuf_u8(&w, 7), 0);
	assert_int_equal(wbuf_reserve(&w, 100), ERR_TOOBIG);
	wbuf_reset(&w);
	assert_int_equal(wbuf_u8(&w, 7), 0);
	assert_int_equal(wbuf_reserve(&w, 99), 0);
	wbuf_free(&w);
}

/* A size under the limit that cannot be allocated: ERR_NOMEM, sticky,
 * and the buffer keeps what it had. */
static void
test_wbuf_nomem(void **state)
{
	struct wbuf	w;

	(void)state;
	wbuf_init(&w, 0);
	assert_int_equal(wbuf_bytes(&w, "abc", 3), 0);
	assert_int_equal(wbuf_reserve(&w, SIZE_MAX / 2 - 3), ERR_NOMEM);
	assert_int_equal(w.err, ERR_NOMEM);
	assert_int_equal(w.len, 3);
	assert_memory_equal(w.p, "abc", 3);
	assert_int_equal(wbuf_u8(&w, 1), ERR_NOMEM);
	wbuf_reset(&w);
	assert_int_equal(wbuf_u8(&w, 'd'), 0);
	wbuf_free(&w);
}

/* Reserve gives room without writing. */
static void
test_wbuf_reserve(void **state)
{
	struct wbuf	 w;
	uint8_t		*p;

	(void)state;
	wbuf_init(&w, 4096);
	assert_int_equal(wbuf_reserve(&w, 1000), 0);
	assert_int_equal(w.len, 0);
	assert_true(w.cap >= 1000);
	p = w.p;
	/* no reallocation while within the reserved room */
	assert_non_null(wbuf_extend(&w, 600));
	assert_non_null(wbuf_extend(&w, 400));
	assert_ptr_equal(w.p, p);
	assert_int_equal(w.len, 1000);
	assert_int_equal(wbuf_reserve(&w, 3096), 0);
	assert_int_equal(wbuf_reserve(&w, 3097), ERR_TOOBIG);
	wbuf_free(&w);

	/* growth stops at the limit, not at a power of two past it */
	wbuf_init(&w, 3000);
	assert_non_null(wbuf_extend(&w, 3000));
	assert_int_equal(w.cap, 3000);
	assert_int_equal(wbuf_u8(&w, 1), ERR_TOOBIG);
	wbuf_free(&w);
}

/* Many appends of assorted sizes against a flat array. */
static void
test_wbuf_model(void **state)
{
	enum { MODEL = 300000 };
	struct wbuf	 w;
	uint8_t		*model, chunk[700];
	size_t		 mlen = 0, n, i;
	uint32_t	 x = 12345;
	int		 op;

	(void)state;
	assert_non_null(model = malloc(MODEL));
	wbuf_init(&w, MODEL);
	for (;;) {
		x = x * 1103515245 + 12345;
		op = (int)(x >> 16) % 6;
		n = (x >> 3) % sizeof(chunk);
		for (i = 0; i < n; i++)
			chunk[i] = (uint8_t)(x + i * 7);
		if (mlen + 8 > MODEL || mlen + n > MODEL)
			break;
		switch (op) {
		case 0:
			assert_int_equal(wbuf_u8(&w, chunk[0]), 0);
			model[mlen++] = chunk[0];
			break;
		case 1:
			assert_int_equal(wbuf_u16(&w, (uint16_t)x), 0);
			model[mlen++] = (uint8_t)(x >> 8);
			model[mlen++] = (uint8_t)x;
			break;
		case 2:
			assert_int_equal(wbuf_u32(&w, x), 0);
			for (i = 0; i < 4; i++)
				model[mlen++] = (uint8_t)(x >> (24 - 8 * i));
			break;
		case 3:
			assert_int_equal(wbuf_u64(&w, (uint64_t)x << 32 | ~x),
			    0);
			for (i = 0; i < 4; i++)
				model[mlen++] = (uint8_t)(x >> (24 - 8 * i));
			for (i = 0; i < 4; i++)
				model[mlen++] = (uint8_t)(~x >> (24 - 8 * i));
			break;
		case 4:
			assert_int_equal(wbuf_bytes(&w, chunk, n), 0);
			memcpy(model + mlen, chunk, n);
			mlen += n;
			break;
		default:
			assert_non_null(wbuf_extend(&w, n));
			memset(model + mlen, 0, n);
			mlen += n;
			break;
		}
		assert_int_equal(w.len, mlen);
		assert_true(w.len <= w.cap && w.cap <= w.limit);
	}
	assert_true(mlen > MODEL - 1000);
	assert_memory_equal(w.p, model, mlen);
	wbuf_free(&w);
	free(model);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_values),
		cmocka_unit_test(test_rd_high_bits),
		cmocka_unit_test(test_rd_short),
		cmocka_unit_test(test_rd_sticky),
		cmocka_unit_test(test_rd_end),
		cmocka_unit_test(test_rd_zero_length),
		cmocka_unit_test(test_rd_ptr_borrows),
		cmocka_unit_test(test_rd_sub),
		cmocka_unit_test(test_wbuf_values),
		cmocka_unit_test(test_wbuf_empty),
		cmocka_unit_test(test_wbuf_limit),
		cmocka_unit_test(test_wbuf_overflow),
		cmocka_unit_test(test_wbuf_nomem),
		cmocka_unit_test(test_wbuf_reserve),
		cmocka_unit_test(test_wbuf_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
