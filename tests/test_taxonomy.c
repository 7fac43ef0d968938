/*
 * test_taxonomy.c: the register's vocabulary (collector/taxonomy.c).
 *
 * Every code parses back to its value and prints as itself; codes are
 * ASCII and unique; the Vietnamese labels are valid UTF-8 with their
 * diacritics; the transition table is checked against the one written
 * out in docs/taxonomy.md, cell by cell.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "err.h"
#include "taxonomy.h"
#include "text.h"

static void
test_categories(void **state)
{
	const struct taxonomy_category	*c;
	size_t				 n, i, j;

	(void)state;
	c = taxonomy_categories(&n);
	assert_int_equal(n, 10);
	for (i = 0; i < n; i++) {
		assert_ptr_equal(taxonomy_category(c[i].code), &c[i]);
		assert_int_equal(strspn(c[i].code,
		    "abcdefghijklmnopqrstuvwxyz-"), strlen(c[i].code));
		assert_true(text_printable(c[i].vi, strlen(c[i].vi)));
		assert_true(text_printable(c[i].en, strlen(c[i].en)));
		assert_non_null(c[i].enisa_class);
		for (j = 0; j < i; j++)
			assert_string_not_equal(c[i].code, c[j].code);
	}
	assert_string_equal(taxonomy_category("dos")->vi,
	    "Tấn công từ chối dịch vụ");
	assert_string_equal(taxonomy_category("dos")->enisa_class,
	    "Availability");
	assert_string_equal(taxonomy_category("encryption")->vi,
	    "Tấn công mã hóa phần mềm, dữ liệu, thiết bị");
	assert_null(taxonomy_category("DOS"));		/* codes are exact */
	assert_null(taxonomy_category(""));
	assert_null(taxonomy_category("ransomware"));
}

/* parse(name(v)) == v for every value; unknown words refused, *out kept */
static void
roundtrip(int (*parse)(int *, const char *), const char *(*name)(int),
    int first, int last)
{
	int	v, out;

	for (v = first; v <= last; v++) {
		assert_non_null(name(v));
		assert_int_equal(parse(&out, name(v)), 0);
		assert_int_equal(out, v);
	}
	assert_null(name(-1));
	assert_null(name(last + 1));
	out = -7;
	assert_int_equal(parse(&out, "nonsense"), ERR_MALFORMED);
	assert_int_equal(parse(&out, ""), ERR_MALFORMED);
	assert_int_equal(out, -7);
}

static void
test_words(void **state)
{
	int	v;

	(void)state;
	roundtrip(taxonomy_severity_parse, taxonomy_severity_name, SEV_LOW,
	    SEV_CRITICAL);
	roundtrip(taxonomy_tlp_parse, taxonomy_tlp_name, TLP_CLEAR, TLP_RED);
	roundtrip(taxonomy_status_parse, taxonomy_status_name, ST_NEW,
	    ST_CLOSED);
	roundtrip(taxonomy_resolution_parse, taxonomy_resolution_name,
	    RES_TRUE_POSITIVE, RES_DUPLICATE);
	assert_string_equal(taxonomy_resolution_name(RES_NONE), "");
	assert_int_equal(taxonomy_severity_parse(&v, "HIGH"), 0);
	assert_int_equal(v, SEV_HIGH);
	/* TLP: the prefix, any case, and TLP 1.0's WHITE */
	assert_int_equal(taxonomy_tlp_parse(&v, "TLP:AMBER+STRICT"), 0);
	assert_int_equal(v, TLP_AMBER_STRICT);
	assert_int_equal(taxonomy_tlp_parse(&v, "white"), 0);
	assert_int_equal(v, TLP_CLEAR);
	assert_int_equal(taxonomy_tlp_parse(&v, "TLP:"), ERR_MALFORMED);
}

/* docs/taxonomy.md, "Statuses": from (row) -> to (column), in the order
 * new, acknowledged, investigating, contained, resolved, closed. */
static const char *const table[] = {
	"-yyyy-",	/* new */
	"--yyy-",	/* acknowledged */
	"---yy-",	/* investigating */
	"--y-y-",	/* contained */
	"--y--y",	/* resolved */
	"--y---",	/* closed */
};

static void
test_transitions(void **state)
{
	char	next[128];
	int	from, to;

	(void)state;
	for (from = ST_NEW; from <= ST_CLOSED; from++)
		for (to = ST_NEW; to <= ST_CLOSED; to++)
			assert_int_equal(taxonomy_status_allowed(from, to),
			    table[from - 1][to - 1] == 'y');
	assert_false(taxonomy_status_allowed(0, ST_NEW));
	assert_false(taxonomy_status_allowed(ST_NEW, 7));
	assert_true(taxonomy_status_reopens(ST_RESOLVED, ST_INVESTIGATING));
	assert_true(taxonomy_status_reopens(ST_CLOSED, ST_INVESTIGATING));
	assert_false(taxonomy_status_reopens(ST_CONTAINED, ST_INVESTIGATING));
	assert_false(taxonomy_status_reopens(ST_CLOSED, ST_NEW));

	taxonomy_status_next(next, sizeof(next), ST_NEW);
	assert_string_equal(next,
	    "acknowledged, investigating, contained, resolved");
	taxonomy_status_next(next, sizeof(next), ST_CLOSED);
	assert_string_equal(next, "investigating");
	taxonomy_status_next(next, sizeof(next), 0);
	assert_string_equal(next, "none");
	taxonomy_status_next(next, 10, ST_NEW);		/* cut, terminated */
	assert_true(strlen(next) < 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_transitions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
