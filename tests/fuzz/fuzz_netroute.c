/*
 * fuzz_netroute.c: agent/net/netroute.c's reading of /proc/net/route on
 * arbitrary text (the kernel's, but parsed as if it were not).
 *
 * The input is handed over in a heap copy of exactly its length, with no
 * terminator. Checks: the result is 0, ERR_NOTFOUND or ERR_MALFORMED;
 * the same input gives the same answer; an interface found is 1 to 15
 * bytes with no blank, '/' or NUL before its terminator, and appears in
 * the text at the start of a line after the first.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz_check.h"
#include "netroute.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* name starts a line (not the first) of t[0..n), followed by a blank */
static int
starts_line(const char *t, size_t n, const char *name)
{
	size_t	len = strlen(name), i;

	for (i = 0; i < n; i++) {
		if (t[i] != '\n' || i + 1 + len >= n)
			continue;
		if (memcmp(t + i + 1, name, len) == 0 &&
		    (t[i + 1 + len] == ' ' || t[i + 1 + len] == '\t'))
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netroute	 a, b;
	char		*t;
	size_t		 len;
	int		 rc;

	if ((t = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(t, data, size);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	rc = netroute_parse(&a, t, size);
	check(rc == 0 || rc == ERR_NOTFOUND || rc == ERR_MALFORMED);
	check(netroute_parse(&b, t, size) == rc);
	if (rc == 0) {
		check(memcmp(&a, &b, sizeof(a)) == 0);
		len = strnlen(a.ifname, sizeof(a.ifname));
		check(len > 0 && len < sizeof(a.ifname));
		check(strpbrk(a.ifname, " \t/\n") == NULL);
		check(starts_line(t, size, a.ifname));
		check(a.has_gateway == ((a.gateway[0] | a.gateway[1] |
		    a.gateway[2] | a.gateway[3]) != 0));
	}
	free(t);
	return 0;
}
