/*
 * template.c: webhook bodies from a template (template.h).
 *
 * Invariant: what comes from an incident is only ever written through
 * jansson's encoder with JSON_ENSURE_ASCII, as valid UTF-8 (text_json()
 * escapes what is not); the template itself is the operator's.
 * Load: one expansion per webhook message, a few a minute.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "template.h"
#include "text.h"

/* The JSON text of v inside a string: a string without its quotes. */
static int
put_value(struct wbuf *o, const json_t *v)
{
	json_t	*s = NULL;
	char	*d;
	size_t	 len;
	int	 rc;

	if (v == NULL || json_is_null(v) || json_is_array(v) ||
	    json_is_object(v))
		return 0;
	/* incident_json's strings are escaped already; a string that is
	 * not UTF-8 (json_stringn_nocheck) is escaped here */
	if (json_is_string(v) && !text_utf8_valid(json_string_value(v),
	    json_string_length(v)) && (s = text_json(json_string_value(v),
	    json_string_length(v), NULL)) == NULL)
		return ERR_NOMEM;
	d = json_dumps(s ? s : v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII |
	    JSON_COMPACT);
	json_decref(s);
	if (d == NULL)
		return ERR_NOMEM;
	len = strlen(d);
	if (json_is_string(v) && len >= 2)
		rc = wbuf_bytes(o, d + 1, len - 2);
	else
		rc = wbuf_bytes(o, d, len);
	free(d);
	return rc;
}

static int
name_ok(const char *n, size_t len)
{
	size_t	i;

	if (len == 0 || len > TEMPLATE_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') ||
		    (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return 0;
	return 1;
}

/* The next placeholder at or after p: *open at its "{{", name[] its
 * name, *next after its "}}". 0; ERR_NOTFOUND: none; ERR_MALFORMED. */
static int
next_name(const char *p, const char **open, const char **next,
    char name[static TEMPLATE_NAME_MAX + 1])
{
	const char	*close;
	size_t		 nlen;

	if ((*open = strstr(p, "{{")) == NULL)
		return ERR_NOTFOUND;
	if ((close = strstr(*open + 2, "}}")) == NULL)
		return ERR_MALFORMED;
	nlen = (size_t)(close - *open - 2);
	if (!name_ok(*open + 2, nlen))
		return ERR_MALFORMED;
	memcpy(name, *open + 2, nlen);
	name[nlen] = '\0';
	*next = close + 2;
	return 0;
}

int
template_expand(char **out, size_t *outlen, const char *tmpl,
    const json_t *vars)
{
	struct wbuf	 o;
	const char	*p = tmpl, *open, *next;
	char		 name[TEMPLATE_NAME_MAX + 1];
	int		 rc;

	*out = NULL;
	wbuf_init(&o, 0);
	while ((rc = next_name(p, &open, &next, name)) == 0) {
		if ((rc = wbuf_bytes(&o, p, (size_t)(open - p))) != 0 ||
		    (rc = put_value(&o, json_object_get(vars, name))) != 0)
			goto fail;
		p = next;
	}
	if (rc != ERR_NOTFOUND || (rc = wbuf_bytes(&o, p, strlen(p))) != 0 ||
	    (rc = wbuf_u8(&o, '\0')) != 0)
		goto fail;
	*out = (char *)o.p;
	if (outlen != NULL)
		*outlen = o.len - 1;
	return 0;
fail:
	wbuf_free(&o);
	return rc;
}

int
template_check(const char *tmpl, const json_t *vars,
    char bad[static TEMPLATE_NAME_MAX + 1], const char **why)
{
	const char	*p = tmpl, *open, *next, *dummy;
	json_t		*j;
	char		*s;
	int		 rc;

	why = why ? why : &dummy;
	*bad = '\0';
	while ((rc = next_name(p, &open, &next, bad)) == 0) {
		if (json_object_get(vars, bad) == NULL) {
			*why = "no such placeholder";
			return ERR_MALFORMED;
		}
		p = next;
	}
	*bad = '\0';
	*why = "'{{' without '}}', or a name not [a-z0-9_]";
	if (rc != ERR_NOTFOUND ||
	    (rc = template_expand(&s, NULL, tmpl, vars)) != 0)
		return ERR_MALFORMED;
	*why = "it does not give JSON (a placeholder belongs inside a JSON "
	    "string)";
	j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	free(s);
	if (j == NULL)
		return ERR_MALFORMED;
	json_decref(j);
	*why = NULL;
	return 0;
}
