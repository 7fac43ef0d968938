/*
 * pathset.c: absolute paths as text, and sets of roots with exclusions
 * (pathset.h has the contract and the semantics).
 *
 * Roots are few (tens) and kept sorted, without overlap, so that at most
 * one root holds any path. Exclusions are few as well (tens); each test
 * is O(exclusions x names) with one fnmatch per pattern and name. Both
 * are checked against naive models in tests/test_pathset.c and
 * tests/fuzz/fuzz_pathset.c.
 *
 * Load: pathset_holder() and pathset_excluded*() run for every file event
 * the watcher sees and every entry an integrity walk meets (tens of
 * thousands per second); resolution runs once per configured path.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pathset.h"

enum excl_kind {
	EX_PATH,	/* that place and below */
	EX_GLOB,	/* fnmatch on the path or a folder above it */
	EX_NAME,	/* fnmatch on each name below the root */
};

struct root {
	char	*path;
	size_t	 len;
};

struct excl {
	char	*pat;
	size_t	 len;
	int	 kind;		/* enum excl_kind */
};

struct pathset {
	struct root	*roots;		/* sorted by bytes, no overlap */
	size_t		 nroots;
	struct excl	*excls;
	size_t		 nexcls;
	int		 names;		/* some EX_NAME */
};

/* ---- path text ---- */

enum name_kind { NAME, DOT, DOTDOT };

/* The next name of the path at *p ('/' separate names; empty ones are
 * skipped): its start, its length in *n and its kind; NULL at the end.
 * *p moves past it. */
static const char *
next_name(const char **p, size_t *n, int *kind)
{
	const char	*s = *p, *e;

	while (*s == '/')
		s++;
	if (*s == '\0')
		return NULL;
	e = strchrnul(s, '/');
	*n = (size_t)(e - s);
	*kind = *n == 1 && s[0] == '.' ? DOT : *n == 2 && s[0] == '.' &&
	    s[1] == '.' ? DOTDOT : NAME;
	*p = e;
	return s;
}

/* cur[0..*len) without its last name ("/" stays "/"). */
static void
pop(char *cur, size_t *len)
{
	while (*len > 1 && cur[*len - 1] != '/')
		(*len)--;
	if (*len > 1)
		(*len)--;
	cur[*len] = '\0';
}

int
pathset_clean(char out[static PATH_MAX], const char *in)
{
	const char	*p = in, *name;
	size_t		 len = 1, n;
	int		 kind;

	if (in == NULL || in[0] != '/')
		return ERR_USAGE;
	if (strlen(in) >= PATH_MAX)
		return ERR_TOOBIG;
	memcpy(out, "/", 2);
	while ((name = next_name(&p, &n, &kind)) != NULL) {
		if (kind == DOTDOT)
			pop(out, &len);
		else if (kind == NAME && (len = pathset_join_n(out, PATH_MAX,
		    out, len, name, n)) == 0)
			return ERR_TOOBIG;	/* cannot be: len <= input's */
	}
	return 0;
}

int
pathset_under(const char *path, size_t len, const char *root,
    size_t rootlen)
{
	if (rootlen == 1 && root[0] == '/')
		return len >= 1 && path[0] == '/';
	return len >= rootlen && memcmp(path, root, rootlen) == 0 &&
	    (len == rootlen || path[rootlen] == '/');
}

size_t
pathset_join_n(char *out, size_t outlen, const char *dir, size_t dirlen,
    const char *name, size_t namelen)
{
	size_t	sep = dirlen == 0 || dir[dirlen - 1] == '/' ? 0 : 1;

	if (outlen == 0)
		return 0;
	if (dirlen >= outlen || sep >= outlen - dirlen ||
	    namelen >= outlen - dirlen - sep) {
		out[0] = '\0';
		return 0;
	}
	memmove(out, dir, dirlen);	/* out may be dir */
	if (sep)
		out[dirlen] = '/';
	memcpy(out + dirlen + sep, name, namelen);
	out[dirlen + sep + namelen] = '\0';
	return dirlen + sep + namelen;
}

int
pathset_join(char *out, size_t outlen, const char *dir, const char *name)
{
	return pathset_join_n(out, outlen, dir, strlen(dir), name,
	    strlen(name)) == 0 ? ERR_TOOBIG : 0;
}

/* One more component of a resolution: cur[0..*len) is the place so far,
 * canonical while *exists. */
static int
step(char cur[static PATH_MAX], size_t *len, int *exists, const char *name,
    size_t n, int follow)
{
	char		 cand[PATH_MAX], real[PATH_MAX];
	struct stat	 sb;

	if (pathset_join_n(cand, sizeof(cand), cur, *len, name, n) == 0)
		return ERR_TOOBIG;
	if (*exists && follow) {
		if (realpath(cand, real) != NULL) {
			*len = strlen(real);
			memcpy(cur, real, *len + 1);
			return 0;
		}
		if (errno == ENAMETOOLONG)
			return ERR_TOOBIG;
		if (errno != ENOENT)
			return ERR_IO;
		*exists = 0;
	} else if (*exists && lstat(cand, &sb) == -1) {
		if (errno != ENOENT)
			return ERR_IO;
		*exists = 0;
	}
	*len = strlen(cand);
	memcpy(cur, cand, *len + 1);
	return 0;
}

int
pathset_resolve(char out[static PATH_MAX], const char *path, int flags,
    int *absent)
{
	const char	*p = path, *name;
	size_t		 len = 1, real = 1, n, k;
	int		 exists = 1, kind, last, rc;

	if (path == NULL || path[0] != '/')
		return ERR_USAGE;
	if (strlen(path) >= PATH_MAX)
		return ERR_TOOBIG;
	memcpy(out, "/", 2);
	while ((name = next_name(&p, &n, &kind)) != NULL) {
		if (kind == DOTDOT) {
			/* a canonical path's parent is canonical; an absent
			 * name is no symlink: taken as text either way */
			pop(out, &len);
			if (len <= real) {
				real = len;
				exists = 1;
			}
		} else if (kind == NAME) {
			for (k = 0; p[k] == '/'; k++)
				;
			last = p[k] == '\0';
			if ((rc = step(out, &len, &exists, name, n,
			    !last || !(flags & PATHSET_NOFOLLOW))) != 0)
				return rc;
			if (exists)
				real = len;
		}
	}
	if (absent != NULL)
		*absent = !exists;
	return 0;
}

/* ---- sets ---- */

int
pathset_new(struct pathset **out)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? ERR_NOMEM : 0;
}

void
pathset_free(struct pathset *ps)
{
	size_t	i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->nroots; i++)
		free(ps->roots[i].path);
	for (i = 0; i < ps->nexcls; i++)
		free(ps->excls[i].pat);
	free(ps->roots);
	free(ps->excls);
	free(ps);
}

size_t
pathset_count(const struct pathset *ps)
{
	return ps->nroots;
}

const char *
pathset_root(const struct pathset *ps, size_t i, size_t *len)
{
	if (len != NULL)
		*len = ps->roots[i].len;
	return ps->roots[i].path;
}

size_t
pathset_holder(const struct pathset *ps, const char *path, size_t len)
{
	size_t	i;

	/* roots never overlap: the first that holds it is the only one */
	for (i = 0; i < ps->nroots; i++)
		if (pathset_under(path, len, ps->roots[i].path,
		    ps->roots[i].len))
			return ps->roots[i].len;
	return 0;
}

int
pathset_add(struct pathset *ps, const char *root)
{
	char		 clean[PATH_MAX];
	struct root	*r;
	char		*copy;
	size_t		 len, i, j, at;

	if (pathset_clean(clean, root) != 0 || strcmp(clean, root) != 0)
		return ERR_USAGE;
	len = strlen(root);
	if (pathset_holder(ps, root, len) != 0)
		return PATHSET_COVERED;
	if ((r = reallocarray(ps->roots, ps->nroots + 1, sizeof(*r))) == NULL)
		return ERR_NOMEM;
	ps->roots = r;
	if ((copy = strdup(root)) == NULL)
		return ERR_NOMEM;
	/* roots below the new one are now part of it */
	for (i = j = 0; i < ps->nroots; i++) {
		if (pathset_under(r[i].path, r[i].len, root, len))
			free(r[i].path);
		else
			r[j++] = r[i];
	}
	for (at = 0; at < j && strcmp(r[at].path, root) < 0; at++)
		;
	memmove(r + at + 1, r + at, (j - at) * sizeof(*r));
	r[at].path = copy;
	r[at].len = len;
	ps->nroots = j + 1;
	return 0;
}

static int
excl_push(struct pathset *ps, char *pat, int kind)
{
	struct excl	*e;

	if (pat == NULL)
		return ERR_NOMEM;
	if ((e = reallocarray(ps->excls, ps->nexcls + 1, sizeof(*e))) ==
	    NULL) {
		free(pat);
		return ERR_NOMEM;
	}
	ps->excls = e;
	e[ps->nexcls].pat = pat;
	e[ps->nexcls].len = strlen(pat);
	e[ps->nexcls++].kind = kind;
	if (kind == EX_NAME)
		ps->names = 1;
	return 0;
}

/* A plain path: the place itself and, if different, where a final
 * symbolic link leads. */
static int
exclude_path(struct pathset *ps, const char *pattern)
{
	char	here[PATH_MAX], there[PATH_MAX];
	int	rc;

	if ((rc = pathset_resolve(here, pattern, PATHSET_NOFOLLOW,
	    NULL)) != 0 || (rc = pathset_resolve(there, pattern, 0,
	    NULL)) != 0)
		return rc;
	if ((rc = excl_push(ps, strdup(here), EX_PATH)) != 0)
		return rc;
	if (strcmp(here, there) == 0)
		return 0;
	return excl_push(ps, strdup(there), EX_PATH);
}

int
pathset_exclude(struct pathset *ps, const char *pattern)
{
	char	*p;
	size_t	 len;

	if (pattern == NULL || (len = strlen(pattern)) == 0)
		return ERR_USAGE;
	if (len >= PATH_MAX)
		return ERR_TOOBIG;
	if (strchr(pattern, '/') == NULL)
		return excl_push(ps, strdup(pattern), EX_NAME);
	if (pattern[0] != '/')
		return ERR_USAGE;
	if (strpbrk(pattern, "*?[") == NULL)
		return exclude_path(ps, pattern);
	if ((p = strdup(pattern)) == NULL)
		return ERR_NOMEM;
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	return excl_push(ps, p, EX_GLOB);
}

/* Name patterns on the names of path[from..len). */
static int
name_excluded(const struct pathset *ps, const char *path, size_t len,
    size_t from)
{
	char	name[NAME_MAX + 1];
	size_t	i, j, k;

	for (i = from; i < len; i = j + 1) {
		for (j = i; j < len && path[j] != '/'; j++)
			;
		if (j == i || j - i > NAME_MAX)
			continue;
		memcpy(name, path + i, j - i);
		name[j - i] = '\0';
		for (k = 0; k < ps->nexcls; k++)
			if (ps->excls[k].kind == EX_NAME &&
			    fnmatch(ps->excls[k].pat, name, 0) == 0)
				return 1;
	}
	return 0;
}

int
pathset_excluded_below(const struct pathset *ps, const char *path,
    size_t len, size_t from)
{
	const struct excl	*e;
	size_t			 k;

	for (k = 0; k < ps->nexcls; k++) {
		e = &ps->excls[k];
		if (e->kind == EX_PATH) {
			if (pathset_under(path, len, e->pat, e->len))
				return 1;
		} else if (e->kind == EX_GLOB) {
			if (fnmatch(e->pat, path, FNM_PATHNAME |
			    FNM_LEADING_DIR) == 0)
				return 1;
		}
	}
	return ps->names && name_excluded(ps, path, len, from);
}

int
pathset_excluded(const struct pathset *ps, const char *path, size_t len)
{
	return pathset_excluded_below(ps, path, len,
	    pathset_holder(ps, path, len));
}
