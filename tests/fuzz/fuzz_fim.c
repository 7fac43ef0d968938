/*
 * fuzz_fim.c: file names as untrusted bytes (agent/files/fim.c's escaping and
 * integrity events).
 *
 * File names are whatever bytes someone with write access chose. Each
 * input (NUL bytes dropped: a name cannot hold them) is escaped with and
 * without ctrl:
 *   - the result must be valid UTF-8 (jansson accepts it) and, with
 *     ctrl, free of control characters;
 *   - unescaped, it must give the input back exactly when it was
 *     escaped, and be the input itself when it was not;
 *   - an integrity event with the input as path, symlink target and
 *     owner must build and serialise.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "event.h"
#include "fim.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The inverse of the escaping, into out (as long as e at least). */
static size_t
unescape(char *out, const char *e)
{
	size_t	o = 0;
	int	hi, lo;

	while (*e != '\0') {
		if (e[0] == '\\' && e[1] == '\\') {
			out[o++] = '\\';
			e += 2;
		} else if (e[0] == '\\' && e[1] == 'x') {
			hi = hexval(e[2]);
			lo = hi < 0 ? -1 : hexval(e[3]);
			check(hi >= 0 && lo >= 0);
			out[o++] = (char)(hi << 4 | lo);
			e += 4;
		} else {
			check(e[0] != '\\');	/* lone backslash */
			out[o++] = *e++;
		}
	}
	out[o] = '\0';
	return o;
}

static void
one(const char *s, size_t len, int ctrl)
{
	char	*e, *back;
	json_t	*j;
	size_t	 i;
	int	 esc;

	e = fim_escape(s, ctrl, &esc);
	check(e != NULL);
	j = json_string(e);
	check(j != NULL);
	json_decref(j);
	if (ctrl)
		for (i = 0; e[i] != '\0'; i++)
			check((unsigned char)e[i] >= 0x20 && e[i] != 0x7f);
	if (!esc) {
		check(strcmp(e, s) == 0);
	} else {
		back = malloc(strlen(e) + 1);
		check(back != NULL);
		check(unescape(back, e) == len && memcmp(back, s, len) == 0);
		free(back);
	}
	free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fim_change	 c;
	struct fim_attr		 a;
	json_t			*ev;
	char			*s, *js;
	size_t			 i, n = 0;

	if (size >= 4096 || (s = malloc(size + 1)) == NULL)
		return 0;
	for (i = 0; i < size; i++)
		if (data[i] != 0)
			s[n++] = (char)data[i];
	s[n] = '\0';
	one(s, n, 0);
	one(s, n, 1);

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
	js = event_dump(ev, NULL);
	check(js != NULL);
	free(js);
	json_decref(ev);
	free(s);
	return 0;
}
