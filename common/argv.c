/*
 * argv.c: a command line into words without a shell (argv.h).
 *
 * Invariant: what leaves here is exactly the operator's words; nothing
 * is expanded. Load: once per configuration load.
 */
#include <string.h>

#include "argv.h"
#include "err.h"

static int
fail(const char **why, const char *reason)
{
	*why = reason;
	return ERR_CONFIG;
}

int
argv_split(char *argv[static ARGV_MAX + 1], char *buf, size_t buflen,
    const char *s, const char **why)
{
	size_t	 n = 0, w = 0;
	int	 quoted;

	*why = NULL;
	if (strlen(s) >= buflen)
		return fail(why, "too long");
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (n == ARGV_MAX)
			return fail(why, "more than 32 words");
		argv[n++] = buf + w;
		quoted = *s == '"';
		if (quoted)
			s++;
		for (; *s != '\0'; s++) {
			if (!quoted && (*s == ' ' || *s == '\t'))
				break;
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				return fail(why, "a control character");
			if (quoted && *s == '"') {
				s++;
				quoted = 0;
				if (*s != '\0' && *s != ' ' &&
				    *s != '\t')
					return fail(why,
					    "a quote must end a word");
				break;
			}
			if (*s == '"')
				return fail(why, "a quote must start a word");
			buf[w++] = *s;
		}
		if (quoted)
			return fail(why, "a quote is not closed");
		buf[w++] = '\0';
	}
	argv[n] = NULL;
	if (n == 0)
		return fail(why, "is empty");
	if (argv[0][0] != '/')
		return fail(why, "the program must be a full path, starting "
		    "with /");
	return (int)n;
}
