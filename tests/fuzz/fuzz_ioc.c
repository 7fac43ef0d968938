/*
 * fuzz_ioc.c: agent/net/ioc.c's list loader and lookups on arbitrary
 * bytes.
 *
 * The input is a list file (in a memfd: no disk). It is loaded once as
 * one list and once as two copies of itself; then each line's first
 * field, and its every split at a '/', is looked up as an address, a
 * domain, a URL and a hash. Checks:
 *   - loading never fails for bytes (only for I/O and memory);
 *   - every line is a comment or blank, kept, a duplicate or bad:
 *     the counts add up to at most the lines;
 *   - the second copy adds nothing but duplicates: the same kept
 *     counts, each kept indicator counted once more as a duplicate;
 *   - a domain hit is a label suffix of the name looked up, and its kind
 *     "domain"; an address hit's kind is "ip" or "cidr"; and so on.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "ioc.h"

#include "fuzz_check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
memfile(const uint8_t *data, size_t size, char *path, size_t cap)
{
	int	fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

/* Is the listed domain d (as written) a label suffix of q[0..ql)? */
static int
suffix(const char *q, size_t ql, const char *d)
{
	size_t	dl = strlen(d);

	if (dl >= 2 && d[0] == '*' && d[1] == '.') {
		d += 2;
		dl -= 2;
	}
	if (dl > 0 && d[dl - 1] == '.')
		dl--;
	if (ql > 0 && q[ql - 1] == '.')
		ql--;
	return dl > 0 && ql >= dl && strncasecmp(q + ql - dl, d, dl) == 0 &&
	    (ql == dl || q[ql - dl - 1] == '.');
}

/* The same, or with a ":port" dropped from q. */
static int
under(const char *q, size_t ql, const char *d)
{
	const char	*colon = memrchr(q, ':', ql);

	return suffix(q, ql, d) || (colon != NULL &&
	    suffix(q, (size_t)(colon - q), d));
}

static void
lookups(const struct iocdb *db, const char *tok, size_t len)
{
	struct ioc_hit	 h;
	struct naddr	 a = { .family = (uint8_t)(len % 2 ? 4 : 6) };
	uint8_t		 d[32] = { 0 };
	const char	*slash;

	if (ioc_match_domain(db, tok, len, &h)) {
		check(strcmp(h.kind, "domain") == 0);
		check(under(tok, len, h.indicator));
	}
	memcpy(a.a, tok, len < 16 ? len : 16);
	if (ioc_match_addr(db, &a, &h))
		check(strcmp(h.kind, "ip") == 0 || strcmp(h.kind, "cidr") == 0);
	memcpy(d, tok, len < 32 ? len : 32);
	if (ioc_match_sha256(db, d, &h))
		check(strcmp(h.kind, "sha256") == 0);
	for (slash = tok; (slash = memchr(slash, '/', len - (size_t)(slash -
	    tok))) != NULL; slash++)
		if (ioc_match_url(db, tok, (size_t)(slash - tok), slash,
		    len - (size_t)(slash - tok), &h))
			check(strcmp(h.kind, "url") == 0);
	(void)ioc_match_url(db, tok, len, "", 0, NULL);
}

static uint64_t
kept(const struct ioc_stats *s)
{
	return s->ips + s->cidrs + s->domains + s->urls + s->hashes;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iocdb		*db, *db2;
	struct ioc_stats	 st, st2;
	char			 path[64], *text, *line, *next;
	const char		*paths[2] = { path, path };
	size_t			 lines = 1, i, t;
	int			 fd;

	if (size > 65536)
		return 0;
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	fd = memfile(data, size, path, sizeof(path));
	check(iocdb_load(&db, paths, 1, NULL, NULL, &st) == 0);
	check(iocdb_load(&db2, paths, 2, NULL, NULL, &st2) == 0);
	check(kept(&st) + st.duplicates + st.bad_lines <= lines);
	check(kept(&st2) == kept(&st) && st2.ips == st.ips &&
	    st2.domains == st.domains && st2.urls == st.urls);
	check(st2.duplicates == st.duplicates * 2 + kept(&st));
	check(st2.bad_lines == st.bad_lines * 2);
	iocdb_free(db2);
	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = text; line != NULL; line = next) {
		next = memchr(line, '\n', size - (size_t)(line - text));
		t = next != NULL ? (size_t)(next - line) : strlen(line);
		if (next != NULL)
			next++;
		while (t > 0 && (line[0] == ' ' || line[0] == '\t')) {
			line++;
			t--;
		}
		for (i = 0; i < t && line[i] != ' ' && line[i] != '\t' &&
		    line[i] != '\r'; i++)
			;
		lookups(db, line, i);
	}
	iocdb_free(db);
	free(text);
	(void)close(fd);
	return 0;
}
