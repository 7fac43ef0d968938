/*
 * template.h: the body of a webhook from the operator's template
 * (collector.conf [notify] webhook_template), for chat bot APIs.
 *
 * A template is JSON text with placeholders {{name}}: name is a member of
 * the object given (the incident: title, severity, id, ...; see
 * docs/incidents.md). A string member is put in JSON-escaped, without
 * quotes, so the placeholder belongs inside a JSON string:
 *	{"chat_id": "-100123", "text": "{{title}} ({{severity}})"}
 * Quotes, backslashes and control characters become \" \\ \uXXXX, every
 * character outside ASCII \uXXXX (so nothing display-unsafe stands raw),
 * and bytes that are not UTF-8 \\xNN (docs/events.md). A number or true/
 * false is put as its JSON text, null and a missing member as nothing;
 * arrays and objects as nothing. Text outside placeholders is copied.
 *
 * Pure; any thread.
 */
#ifndef VIGIL_TEMPLATE_H
#define VIGIL_TEMPLATE_H

#include <stddef.h>

#include <jansson.h>

#define TEMPLATE_NAME_MAX	32

/*
 * *out gets the expansion (malloc'd, NUL-terminated), *outlen its length
 * (may be NULL). ERR_MALFORMED: "{{" without "}}" or a name that is not
 * [a-z0-9_], 1 to TEMPLATE_NAME_MAX characters; ERR_NOMEM.
 */
int	template_expand(char **out, size_t *outlen, const char *tmpl,
	    const json_t *vars);
/* 0 if tmpl is well formed, names only members of vars, and expands,
 * with vars, to valid JSON; ERR_MALFORMED otherwise, and *why (may be
 * NULL) a static reason or, for a name vars lacks, the name (in
 * bad[TEMPLATE_NAME_MAX + 1]). */
int	template_check(const char *tmpl, const json_t *vars,
	    char bad[static TEMPLATE_NAME_MAX + 1], const char **why);

#endif
