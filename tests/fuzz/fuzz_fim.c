/*
 * fuzz_fim.c: file names as untrusted bytes in integrity events
 * (agent/files/fim.c's fim_event; the escaping itself is common/text.c's,
 * fuzzed against a model by fuzz_text.c).
 *
 * File names are whatever bytes someone with write access chose. Each
 * input (NUL bytes dropped: a name cannot hold them) is the path, the
 * symlink target and the owner of an integrity change:
 *   - the event must build, serialise, and pass the collector's
 *     validator (event_parse);
 *   - its path, unescaped when path_escaped says so, must be the input
 *     exactly, and be the input itself when it was not escaped.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "event.h"
#include "fim.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* The event's integrity.path gives back s[0..len). */
static void
check_path(const char *js, size_t jlen, const char *s, size_t len)
{
	json_t		*ev, *o;
	const char	*p;
	char		*back;
	size_t		 plen, n;

	ev = json_loadb(js, jlen, 0, NULL);
	check(ev != NULL);
	o = json_object_get(ev, "integrity");
	p = json_string_value(json_object_get(o, "path"));
	check(p != NULL);
	plen = json_string_length(json_object_get(o, "path"));
	if (!json_is_true(json_object_get(o, "path_escaped"))) {
		check(plen == len && memcmp(p, s, len) == 0);
	} else {
		back = malloc(plen + 1);
		check(back != NULL);
		check(text_unescape(back, &n, p, plen) == 0);
		check(n == len && memcmp(back, s, len) == 0);
		free(back);
	}
	json_decref(ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_meta	 meta;
	struct fim_change	 c;
	struct fim_attr		 a;
	json_t			*ev;
	char			*s, *js;
	size_t			 i, n = 0, jlen;

	if (size >= 4096 || (s = malloc(size + 1)) == NULL)
		return 0;
	for (i = 0; i < size; i++)
		if (data[i] != 0)
			s[n++] = (char)data[i];
	s[n] = '\0';

	memset(&a, 0, sizeof(a));
	a.type = FIM_T_SYMLINK;
	a.target = s;
	memcpy(a.owner, s, n < sizeof(a.owner) - 1 ? n : sizeof(a.owner) - 1);
	c.path = s;
	c.changes = FIM_TARGET | FIM_OWNER;
	c.before = &a;
	c.after = &a;
	ev = fim_event(&c);
	check(ev != NULL);
	js = event_dump(ev, &jlen);
	check(js != NULL);
	check(event_parse(&meta, js, jlen, NULL) == 0);
	check_path(js, jlen, s, n);
	free(js);
	json_decref(ev);
	free(s);
	return 0;
}
