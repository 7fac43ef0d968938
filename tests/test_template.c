/*
 * test_template.c: webhook bodies from a template (collector/template.c):
 * placeholders, hostile titles (quotes, backslashes, control characters,
 * line separators, invalid UTF-8) that must stay inside their JSON
 * string, numbers and nulls, malformed templates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "err.h"
#include "template.h"

#define TMPL	"{\"text\": \"{{title}} ({{severity}}) #{{id}}\"}"

/* Expand TMPL with title (len bytes, maybe not UTF-8); the "text" that a
 * JSON parser reads back. */
static char *
text_of(const char *title, size_t len)
{
	json_t	*v, *j;
	char	*out, *t;

	v = json_pack("{s:o, s:s, s:i}", "title",
	    json_stringn_nocheck(title, len), "severity", "high", "id", 7);
	assert_non_null(v);
	assert_int_equal(template_expand(&out, NULL, TMPL, v), 0);
	j = json_loads(out, JSON_ALLOW_NUL, NULL);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 1);	/* nothing injected */
	t = strdup(json_string_value(json_object_get(j, "text")));
	free(out);
	json_decref(j);
	json_decref(v);
	return t;
}

static void
test_plain(void **state)
{
	char	*t;

	(void)state;
	t = text_of("Mimikatz", 8);
	assert_string_equal(t, "Mimikatz (high) #7");
	free(t);
	t = text_of("Mã độc", strlen("Mã độc"));
	assert_string_equal(t, "Mã độc (high) #7");
	free(t);
}

static void
test_hostile(void **state)
{
	static const char	q[] = "x\", \"chat_id\": \"666";
	static const char	c[] = "a\nb\r\t\x01\x1b[2J\\";
	static const char	bad[] = "\xff\xfe\"}";
	static const char	ls[] = "\xe2\x80\xa8z";	/* U+2028 */
	json_t			*v;
	char			*t, *out;

	(void)state;
	t = text_of(q, strlen(q));
	assert_string_equal(t, "x\", \"chat_id\": \"666 (high) #7");
	free(t);
	t = text_of(c, strlen(c));
	assert_string_equal(t, "a\nb\r\t\x01\x1b[2J\\ (high) #7");
	free(t);
	t = text_of(bad, strlen(bad));
	assert_string_equal(t, "\\xff\\xfe\"} (high) #7");
	free(t);
	t = text_of("nul\0x", 5);
	assert_int_equal(strlen(t), 3);		/* cut by strdup, not lost */
	free(t);
	/* nothing raw but ASCII leaves: a U+2028 is \u2028 */
	v = json_pack("{s:s}", "title", ls);
	assert_int_equal(template_expand(&out, NULL, "\"{{title}}\"", v), 0);
	assert_string_equal(out, "\"\\u2028z\"");
	free(out);
	json_decref(v);
}

static void
test_values(void **state)
{
	json_t	*v;
	char	*out;
	size_t	 len;

	(void)state;
	v = json_pack("{s:i, s:b, s:n, s:[i], s:{}, s:f}", "n", -3, "b", 1,
	    "z", "a", 1, "o", "f", 1.5);
	assert_non_null(v);
	assert_int_equal(template_expand(&out, &len,
	    "{{n}}|{{b}}|{{z}}|{{a}}|{{o}}|{{missing}}|{{f}}|{ {x} }|}}", v), 0);
	assert_string_equal(out, "-3|true|||||1.5|{ {x} }|}}");
	assert_int_equal(len, strlen(out));
	free(out);
	assert_int_equal(template_expand(&out, NULL, "", v), 0);
	assert_string_equal(out, "");
	free(out);
	json_decref(v);
}

static void
test_malformed(void **state)
{
	json_t		*v = json_pack("{s:s}", "title", "t");
	char		*out = (char *)1, bad[TEMPLATE_NAME_MAX + 1];
	const char	*why;

	(void)state;
	assert_int_equal(template_expand(&out, NULL, "{{title", v),
	    ERR_MALFORMED);
	assert_null(out);
	assert_int_equal(template_expand(&out, NULL, "{{}}", v), ERR_MALFORMED);
	assert_int_equal(template_expand(&out, NULL, "{{Title}}", v),
	    ERR_MALFORMED);
	assert_int_equal(template_expand(&out, NULL, "{{a b}}", v),
	    ERR_MALFORMED);
	assert_int_equal(template_expand(&out, NULL,
	    "{{abcdefghijabcdefghijabcdefghijabc}}", v), ERR_MALFORMED);
	/* check: names that are there, and a result that is JSON */
	assert_int_equal(template_check("{\"text\": \"{{title}}\"}", v, bad,
	    &why), 0);
	assert_null(why);
	assert_int_equal(template_check("{\"text\": \"{{titel}}\"}", v, bad,
	    &why), ERR_MALFORMED);
	assert_string_equal(bad, "titel");
	assert_string_equal(why, "no such placeholder");
	assert_int_equal(template_check("{\"text\": {{title}}}", v, bad,
	    &why), ERR_MALFORMED);
	assert_string_equal(bad, "");
	assert_non_null(strstr(why, "JSON"));
	assert_int_equal(template_check("{{title", v, bad, NULL),
	    ERR_MALFORMED);
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
