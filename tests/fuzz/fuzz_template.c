/*
 * fuzz_template.c: webhook bodies (collector/template.c).
 *
 * Each input is, at once:
 *  - the bytes of an incident's title (anything an agent could make it),
 *    put through a fixed chat-bot template: the result is always JSON
 *    with exactly the template's members, pure ASCII, and the text holds
 *    the title (as incident_json escapes it) unchanged;
 *  - an operator's template (up to its first NUL), expanded with that
 *    title: no crash, no leak, and a result that ends in the template's
 *    tail.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "template.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define TMPL	"{\"chat_id\": \"1\", \"text\": \"[vigil] {{title}}!\"}"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
fixed(const json_t *vars, const char *title, size_t len)
{
	json_t	*j, *t;
	char	*out, *want;
	size_t	 olen, i, wlen;

	check(template_expand(&out, &olen, TMPL, vars) == 0);
	for (i = 0; i < olen; i++)
		check((unsigned char)out[i] < 0x80);
	check((j = json_loads(out, JSON_ALLOW_NUL, NULL)) != NULL);
	check(json_object_size(j) == 2);
	t = json_object_get(j, "text");
	want = text_escape_dup(title, len, TEXT_JSON, &wlen, NULL);
	check(want != NULL);
	check(json_string_length(t) == wlen + 9);
	check(memcmp(json_string_value(t), "[vigil] ", 8) == 0);
	check(memcmp(json_string_value(t) + 8, want, wlen) == 0);
	free(want);
	free(out);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	json_t		*vars;
	char		*tmpl, *out, bad[TEMPLATE_NAME_MAX + 1];
	size_t		 tlen = strnlen((const char *)p, n), olen;

	if (n > 4096)
		return 0;
	vars = json_pack("{s:o, s:s, s:i}", "title",
	    json_stringn_nocheck((const char *)p, n), "severity", "high",
	    "id", 7);
	check(vars != NULL);
	fixed(vars, (const char *)p, n);
	check((tmpl = malloc(tlen + 1)) != NULL);
	memcpy(tmpl, p, tlen);
	tmpl[tlen] = '\0';
	if (template_expand(&out, &olen, tmpl, vars) == 0) {
		check(strlen(out) <= olen);
		free(out);
	}
	(void)template_check(tmpl, vars, bad, NULL);
	free(tmpl);
	json_decref(vars);
	return 0;
}
