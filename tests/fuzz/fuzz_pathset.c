/*
 * fuzz_pathset.c: common/pathset.c against the naive model in
 * pathset_model.h.
 *
 * An input is lines. Each line is first a path for the text functions:
 * cleaning (against the model), joining (against snprintf, split at a
 * place taken from the line). Then the lines make a set:
 *   "+PATH"     a root (cleaned), added: return and sorted roots compared
 *   "!PATTERN"  an exclusion; a plain path is put under a folder that
 *               does not exist, without "." and "..", so that resolving
 *               it is cleaning it (the file system plays no part)
 *   "PATH"      a query: holder, excluded, and excluded below each
 *               folder on its way, compared
 * Paths are bytes: NUL-free, any other byte allowed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pathset.h"
#include "../pathset_model.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ABSENT	"/vigil-fuzz-absent-9e2b"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
text(const char *line, size_t len)
{
	char	 out[PATH_MAX], want[PATH_MAX + 2], *m;
	size_t	 at, r;
	int	 rc, n;

	rc = pathset_clean(out, line);
	m = model_clean(line);
	check((rc == 0) == (m != NULL));
	if (m != NULL)
		check(strcmp(out, m) == 0);
	free(m);
	at = len > 0 ? (unsigned char)line[0] % (len + 1) : 0;
	n = snprintf(want, sizeof(want), "%.*s%s%s", (int)at, line,
	    at == 0 || line[at - 1] == '/' ? "" : "/", line + at);
	r = pathset_join_n(out, sizeof(out), line, at, line + at, len - at);
	if (n > 0 && (size_t)n < sizeof(out))
		check(r == (size_t)n && strcmp(out, want) == 0);
	else
		check(r == 0 && out[0] == '\0');
}

/* "!PATTERN": the pattern for pathset_exclude and for the model. */
static int
pattern(char *out, size_t outlen, const char *p)
{
	char	 buf[PATH_MAX], *tok, *save = NULL, *work;
	size_t	 o;

	if (strchr(p, '/') == NULL || strpbrk(p, "*?[") != NULL ||
	    p[0] != '/')
		return snprintf(out, outlen, "%s", p) < (int)outlen ? 0 : -1;
	if ((work = strdup(p)) == NULL)
		return -1;
	o = (size_t)snprintf(buf, sizeof(buf), "%s", ABSENT);
	for (tok = strtok_r(work, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save))
		if (strcmp(tok, ".") != 0 && strcmp(tok, "..") != 0 &&
		    o < sizeof(buf))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "/%s",
			    tok);
	free(work);
	return o < sizeof(buf) && o < outlen ? (memcpy(out, buf, o + 1),
	    0) : -1;
}

static void
query(const struct pathset *ps, const struct model_set *m, const char *c)
{
	size_t	len = strlen(c), from;

	check(pathset_holder(ps, c, len) == model_holder(m, c));
	check(pathset_excluded(ps, c, len) ==
	    model_excluded_below(m, c, model_holder(m, c)));
	for (from = 0; from <= len; from++)
		if (from == len || c[from] == '/')
			check(pathset_excluded_below(ps, c, len, from) ==
			    model_excluded_below(m, c, from));
}

static void
sets(char **lines, size_t n)
{
	struct pathset		*ps;
	struct model_set	 m;
	char			 c[PATH_MAX], pat[PATH_MAX];
	size_t			 i, k, len;
	int			 rc;

	memset(&m, 0, sizeof(m));
	if (pathset_new(&ps) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (lines[i][0] == '+' && m.nroots < MODEL_MAX &&
		    pathset_clean(c, lines[i] + 1) == 0) {
			rc = pathset_add(ps, c);
			check(rc == (model_add(&m, c) ? PATHSET_COVERED : 0));
			model_sort(&m);
			check(pathset_count(ps) == m.nroots);
			for (k = 0; k < m.nroots; k++)
				check(strcmp(pathset_root(ps, k, &len),
				    m.roots[k]) == 0 &&
				    len == strlen(m.roots[k]));
		} else if (lines[i][0] == '!' && m.npats < MODEL_MAX &&
		    pattern(pat, sizeof(pat), lines[i] + 1) == 0) {
			rc = pathset_exclude(ps, pat);
			if (pat[0] == '\0' || (strchr(pat, '/') != NULL &&
			    pat[0] != '/')) {
				check(rc == ERR_USAGE);
				continue;
			}
			if (strlen(pat) >= PATH_MAX) {
				check(rc == ERR_TOOBIG);
				continue;
			}
			check(rc == 0);
			if (strchr(pat, '/') != NULL &&
			    strpbrk(pat, "*?[") == NULL) {
				check(pathset_clean(c, pat) == 0);
				model_exclude(&m, c);
			} else
				model_exclude(&m, pat);
		} else if (pathset_clean(c, lines[i]) == 0) {
			query(ps, &m, c);
		}
	}
	pathset_free(ps);
	model_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf, *lines[256], *p, *nl;
	size_t	 n = 0, i;

	if (size > 16384 || (buf = malloc(size + 1)) == NULL)
		return 0;
	for (i = 0; i < size; i++)
		buf[i] = data[i] == 0 ? '/' : (char)data[i];
	buf[size] = '\0';
	for (p = buf; p != NULL && n < 256; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		lines[n++] = p;
	}
	for (i = 0; i < n; i++)
		text(lines[i], strlen(lines[i]));
	sets(lines, n);
	free(buf);
	return 0;
}
