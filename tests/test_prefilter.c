/*
 * test_prefilter.c: the Hyperscan prefilter (agent/net/prefilter.c)
 * reports exactly the patterns a naive search finds, wherever the buffer
 * lies: in particular a buffer that ends where an unmapped page begins.
 * Debian 12's libhs 5.4.0 reads past the end of such a buffer on CPUs
 * with AVX512VBMI (its fat Teddy matcher) and faults; the prefilter scans
 * a copy of buffers near a page boundary. On such a CPU this test dies
 * of SIGSEGV without that copy; elsewhere it checks the results only.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "prefilter.h"

/* many short caseless literals: Hyperscan picks fat Teddy for them */
static const char *const words[] = { "bat", "cat", "mat", "rat", "fat",
	"sat", "pat", "hat", "vat", "Xq|z" };
#define NW	(sizeof(words) / sizeof(words[0]))

struct fx {
	struct prefilter	*pf;
	struct pf_scratch	*sc;
};

static int
setup(void **state)
{
	static struct pf_pattern	 pats[NW];
	struct pf_pattern		*slots[RSLOT_COUNT] = { NULL };
	size_t				 n[RSLOT_COUNT] = { 0 };
	struct fx			*f = calloc(1, sizeof(*f));
	bool				 cached;
	size_t				 i;

	assert_non_null(f);
	for (i = 0; i < NW; i++)
		pats[i] = (struct pf_pattern){ (const uint8_t *)words[i],
		    (uint32_t)strlen(words[i]), (uint32_t)i, true };
	slots[0] = pats;
	n[0] = NW;
	assert_int_equal(prefilter_build(&f->pf, slots, n, NULL, &cached), 0);
	assert_non_null(f->sc = prefilter_scratch(f->pf));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	prefilter_scratch_free(f->sc);
	prefilter_free(f->pf);
	free(f);
	return 0;
}

static void
on_id(void *ctx, uint32_t id)
{
	uint32_t	*seen = ctx;

	assert_true(id < NW);
	*seen |= 1u << id;
}

/* The ids a caseless naive search finds in p[0..len). */
static uint32_t
naive(const uint8_t *p, size_t len)
{
	uint32_t	seen = 0;
	size_t		i, j, k, wl;

	for (k = 0; k < NW; k++) {
		wl = strlen(words[k]);
		for (i = 0; i + wl <= len; i++) {
			for (j = 0; j < wl && tolower(p[i + j]) ==
			    tolower((unsigned char)words[k][j]); j++)
				;
			if (j == wl) {
				seen |= 1u << k;
				break;
			}
		}
	}
	return seen;
}

static uint32_t
scan(struct fx *f, const uint8_t *p, size_t len)
{
	uint32_t	seen = 0;

	assert_int_equal(prefilter_scan(f->pf, f->sc, 0, p, len, on_id,
	    &seen), 0);
	return seen;
}

static void
test_page_end(void **state)
{
	struct fx	*f = *state;
	const char	 corpus[] = "VAt hat pat sat fat rat mat ca xQ|Z bAt";
	long		 pg = sysconf(_SC_PAGESIZE);
	uint8_t		*m, *p;
	size_t		 len, lead;

	m = mmap(NULL, (size_t)pg * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	/* the pages before and after the middle one are not readable */
	assert_int_equal(mprotect(m, (size_t)pg, PROT_NONE), 0);
	assert_int_equal(mprotect(m + 2 * pg, (size_t)pg, PROT_NONE), 0);
	for (len = 1; len < sizeof(corpus); len++) {
		/* ending at the unmapped page */
		p = m + 2 * pg - len;
		memcpy(p, corpus, len);
		assert_int_equal(scan(f, p, len), naive(p, len));
		/* starting right after the unmapped page */
		p = m + pg;
		memcpy(p, corpus + sizeof(corpus) - 1 - len, len);
		assert_int_equal(scan(f, p, len), naive(p, len));
	}
	/* a whole page, and every tail of it */
	for (lead = 0; lead < (size_t)pg; lead += 61) {
		p = m + pg + lead;
		memset(m + pg, 'x', (size_t)pg);
		memcpy(m + 2 * pg - 4, "pAt", 3);
		assert_int_equal(scan(f, p, (size_t)pg - lead),
		    naive(p, (size_t)pg - lead));
	}
	assert_int_equal(munmap(m, (size_t)pg * 3), 0);
}

/* Random buffers at random places: the same ids as the naive search. */
static void
test_model(void **state)
{
	struct fx	*f = *state;
	static const char alpha[] = "abcfhmprstvAT qxz|QXZ";
	uint8_t		*buf;
	size_t		 i, j, len, off;

	srand(7);
	assert_non_null(buf = malloc(9000));
	for (i = 0; i < 3000; i++) {
		len = (size_t)rand() % 300;
		off = (size_t)rand() % (9000 - 300);
		for (j = 0; j < len; j++)
			buf[off + j] = (uint8_t)alpha[rand() % (sizeof(alpha) - 1)];
		assert_int_equal(scan(f, buf + off, len), naive(buf + off,
		    len));
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(test_page_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
