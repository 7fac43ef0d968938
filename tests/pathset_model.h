/*
 * pathset_model.h: a naive model of common/pathset.c's text functions
 * and sets, for tests/test_pathset.c and tests/fuzz/fuzz_pathset.c.
 *
 * Written from the definitions in pathset.h, not from pathset.c: paths
 * are split into arrays of names; a set is an unsorted array searched
 * linearly and sorted when compared; a glob is tried on every folder
 * above the path with plain fnmatch(3) instead of FNM_LEADING_DIR.
 */
#ifndef VIGIL_PATHSET_MODEL_H
#define VIGIL_PATHSET_MODEL_H

#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_MAX	64	/* roots, exclusions */

/* Clean as text; NULL for a relative path, a path of PATH_MAX or more,
 * or a result that would not fit. malloc'd. */
static char *
model_clean(const char *in)
{
	char		*work, *tok, *save = NULL, *out;
	const char	*names[PATH_MAX / 2 + 1];
	size_t		 n = 0, i, o = 0;

	if (in[0] != '/' || strlen(in) >= PATH_MAX ||
	    (work = strdup(in)) == NULL)
		return NULL;
	for (tok = strtok_r(work, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if (n > 0)
				n--;
			continue;
		}
		names[n++] = tok;
	}
	out = malloc(PATH_MAX + 1);
	for (i = 0; out != NULL && i < n; i++) {
		out[o++] = '/';
		memcpy(out + o, names[i], strlen(names[i]));
		o += strlen(names[i]);
	}
	if (out != NULL) {
		if (o == 0)
			out[o++] = '/';
		out[o] = '\0';
	}
	free(work);
	return out;
}

static int
model_under(const char *path, const char *root)
{
	size_t	n = strlen(root);

	if (strcmp(root, "/") == 0)
		return path[0] == '/';
	return strcmp(path, root) == 0 || (strncmp(path, root, n) == 0 &&
	    path[n] == '/');
}

/* A set: roots and exclusions as pathset.h defines them, naively. */
struct model_set {
	char	*roots[MODEL_MAX];
	size_t	 nroots;
	char	*pats[MODEL_MAX];
	int	 kind[MODEL_MAX];	/* 0 path, 1 glob, 2 name */
	size_t	 npats;
};

static size_t
model_holder(const struct model_set *m, const char *path)
{
	size_t	i, best = 0;

	for (i = 0; i < m->nroots; i++)
		if (model_under(path, m->roots[i]) &&
		    strlen(m->roots[i]) > best)
			best = strlen(m->roots[i]);
	return best;
}

/* 0 added, 1 covered. */
static int
model_add(struct model_set *m, const char *root)
{
	size_t	i, j;

	for (i = 0; i < m->nroots; i++)
		if (model_under(root, m->roots[i]))
			return 1;
	for (i = j = 0; i < m->nroots; i++) {
		if (model_under(m->roots[i], root))
			free(m->roots[i]);
		else
			m->roots[j++] = m->roots[i];
	}
	m->roots[j++] = strdup(root);
	m->nroots = j;
	return 0;
}

static int
model_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
model_sort(struct model_set *m)
{
	qsort(m->roots, m->nroots, sizeof(m->roots[0]), model_cmp);
}

/* A pattern already known valid; plain paths are taken as given. */
static void
model_exclude(struct model_set *m, const char *pat)
{
	char	*p = strdup(pat);
	size_t	 len = strlen(p);

	if (strchr(pat, '/') == NULL) {
		m->kind[m->npats] = 2;
	} else if (strpbrk(pat, "*?[") != NULL) {
		m->kind[m->npats] = 1;
		while (len > 1 && p[len - 1] == '/')
			p[--len] = '\0';
	} else {
		m->kind[m->npats] = 0;
	}
	m->pats[m->npats++] = p;
}

/* path (clean) excluded, name patterns on the names after path[0..from) */
static int
model_excluded_below(const struct model_set *m, const char *path,
    size_t from)
{
	char	 pre[PATH_MAX + 1], *work, *tok, *save = NULL;
	size_t	 len = strlen(path), i, k;
	int	 hit = 0;

	for (k = 0; k < m->npats && !hit; k++) {
		if (m->kind[k] == 0) {
			hit = model_under(path, m->pats[k]);
		} else if (m->kind[k] == 1) {
			/* the path and each folder above it */
			for (i = 1; i <= len && !hit; i++) {
				if (i < len && path[i] != '/')
					continue;
				memcpy(pre, path, i);
				pre[i] = '\0';
				hit = fnmatch(m->pats[k], pre, FNM_PATHNAME) ==
				    0;
			}
		}
	}
	if (hit || from > len || (work = strdup(path + from)) == NULL)
		return hit;
	for (tok = strtok_r(work, "/", &save); tok != NULL && !hit;
	    tok = strtok_r(NULL, "/", &save)) {
		if (strlen(tok) > NAME_MAX)
			continue;
		for (k = 0; k < m->npats && !hit; k++)
			hit = m->kind[k] == 2 && fnmatch(m->pats[k], tok, 0) ==
			    0;
	}
	free(work);
	return hit;
}

static void
model_free(struct model_set *m)
{
	size_t	i;

	for (i = 0; i < m->nroots; i++)
		free(m->roots[i]);
	for (i = 0; i < m->npats; i++)
		free(m->pats[i]);
	memset(m, 0, sizeof(*m));
}

#endif
