/*
 * test_treewalk.c: the walk by descriptors with helpers listing ahead
 * (agent/files/treewalk.c).
 *
 * The helpers must change nothing but the speed: on random trees (wide
 * and deep folders, batches longer than TREEWALK_LIST, empty folders,
 * links, FIFOs, excluded subtrees) the callbacks seen with 0, 1, 4 and
 * TREEWALK_HELPERS_MAX helpers are the same calls in the same order, and
 * they are what a naive model says: every regular file once, with the
 * folder descriptor that opens it, each FIFO to other(), no link, nothing
 * excluded, each folder's lines together (depth first), and the
 * entries of a folder in byte order of their names. Then:
 * a walk stopped half-way (from the first and from a late entry) with
 * helpers busy frees everything (ASan's leak check), folders nested
 * deeper than TREEWALK_DEPTH are reported once, not walked, a folder
 * that cannot be listed is reported (not as root: root reads anything),
 * and treewalk_fd() starts from a descriptor under the caller's name.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "err.h"
#include "mounttab.h"
#include "testutil.h"
#include "treewalk.h"

/* What the callbacks saw, one line per call. */
struct seen {
	char		**lines;
	size_t		  n, cap;
	const char	 *exclude;	/* a name excluded wherever it is */
	size_t		  stop_at;	/* step() says stop at this call (0:
					 * never) */
	size_t		  steps;
};

static void __attribute__((format(printf, 2, 3)))
seen_add(struct seen *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	va_start(ap, fmt);
	assert_true(vasprintf(&line, fmt, ap) > 0);
	va_end(ap);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->lines = realloc(s->lines, s->cap * sizeof(*s->lines));
		assert_non_null(s->lines);
	}
	s->lines[s->n++] = line;
}

static void
seen_free(struct seen *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->lines[i]);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

static int
cb_step(void *arg, const char *path)
{
	struct seen	*s = arg;

	(void)path;
	return s->stop_at != 0 && ++s->steps >= s->stop_at;
}

/* Called from the helpers too: reads only. */
static int
cb_excluded(void *arg, const char *path)
{
	const struct seen	*s = arg;
	const char		*base = strrchr(path, '/');

	return s->exclude != NULL && base != NULL &&
	    strcmp(base + 1, s->exclude) == 0;
}

static void
cb_file(void *arg, int dirfd, const char *name, const char *path,
    size_t len, const struct stat *st)
{
	struct stat	fst;
	int		fd;

	/* the descriptor opens the file the walk saw, by its name */
	assert_int_equal(strlen(path), len);
	assert_string_equal(strrchr(path, '/') + 1, name);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &fst), 0);
	assert_int_equal(fst.st_ino, st->st_ino);
	assert_int_equal(fst.st_dev, st->st_dev);
	assert_int_equal(fst.st_size, st->st_size);
	assert_true(S_ISREG(st->st_mode));
	(void)close(fd);
	seen_add(arg, "F %s %lld", path, (long long)st->st_size);
}

static void
cb_other(void *arg, const char *path, const struct stat *st)
{
	seen_add(arg, "O %s %o", path, (unsigned)(st->st_mode & S_IFMT));
}

static void
cb_skip(void *arg, const char *path, const struct treewalk_skipped *sk)
{
	seen_add(arg, "S %s %d", path, (int)sk->what);
}

static const struct treewalk_cb cbs = {
	.step = cb_step, .excluded = cb_excluded, .file = cb_file,
	.other = cb_other, .skip = cb_skip,
};

/* ---- random trees ---- */

struct gen {
	uint64_t	 rng;
	size_t		 files, dirs;
	size_t		 big;		/* folders over TREEWALK_LIST */
};

/* xorshift64: the same trees on every run */
static uint64_t
rng_below(uint64_t *x, uint64_t n)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (*x >> 16) % n;
}

static void
put_file(const char *path, size_t size)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	(void)close(fd);
}

/* A random tree below dir, depth levels at most. */
static void
make_tree(struct gen *g, const char *dir, int depth)
{
	char	path[PATH_MAX + 16];
	size_t	i, n;
	int	k;

	/* now and then a folder longer than one batch */
	n = rng_below(&g->rng, 8) == 0 ? TREEWALK_LIST + 37 :
	    rng_below(&g->rng, 12);
	g->big += n > TREEWALK_LIST;
	for (i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "%s/f%zu", dir, i);
		k = (int)rng_below(&g->rng, 40);
		if (k == 0)
			assert_int_equal(mkfifo(path, 0600), 0);
		else if (k == 1)
			assert_int_equal(symlink("/etc", path), 0);
		else if (k == 2)
			assert_int_equal(symlink("f0", path), 0);
		else {
			put_file(path, (size_t)rng_below(&g->rng, 64));
			g->files++;
		}
	}
	if (depth == 0)
		return;
	n = rng_below(&g->rng, 5);
	for (i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s%zu", dir,
		    rng_below(&g->rng, 10) == 0 ? "skipme" : "d", i);
		assert_int_equal(mkdir(path, 0700), 0);
		g->dirs++;
		make_tree(g, path, depth - 1);
	}
}

/* ---- the model: what must have been seen ---- */

static int
lines_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether some component of path below root is the excluded name. */
static int
under_excluded(const char *path, const char *exclude)
{
	char	pat[64];

	(void)snprintf(pat, sizeof(pat), "/%s", exclude);
	for (const char *p = strstr(path, pat); p != NULL;
	    p = strstr(p + 1, pat))
		if (p[strlen(pat)] == '/' || p[strlen(pat)] == '\0')
			return 1;
	return 0;
}

/* Every regular file and FIFO below root (by nftw, physical), minus what
 * is excluded, as cb_file/cb_other would print them, sorted. */
static struct seen	*model_out;
static const char	*model_exclude;

static int
model_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type != FTW_F || under_excluded(path, model_exclude))
		return 0;
	if (S_ISREG(st->st_mode))
		seen_add(model_out, "F %s %lld", path,
		    (long long)st->st_size);
	else if (S_ISFIFO(st->st_mode))
		seen_add(model_out, "O %s %o", path,
		    (unsigned)(st->st_mode & S_IFMT));
	return 0;
}

static void
model(struct seen *out, const char *root, const char *exclude)
{
	model_out = out;
	model_exclude = exclude;
	assert_int_equal(nftw(root, model_one, 32, FTW_PHYS), 0);
	qsort(out->lines, out->n, sizeof(*out->lines), lines_cmp);
}

/* Depth first: the lines below any folder (its own and its
 * subfolders') come in one run, never interrupted by a line from
 * elsewhere. */
struct span {
	char	path[PATH_MAX];
	size_t	first, last, count;
};

static void
check_depth_first(const struct seen *s, size_t big)
{
	struct span	*v = NULL;
	size_t		 nv = 0, i, k;
	char		 dir[PATH_MAX], *slash;

	for (i = 0; i < s->n; i++) {
		(void)snprintf(dir, sizeof(dir), "%s", s->lines[i] + 2);
		*strrchr(dir, ' ') = '\0';
		while ((slash = strrchr(dir, '/')) != NULL) {
			*slash = '\0';	/* each folder above the line */
			for (k = 0; k < nv && strcmp(v[k].path, dir) != 0; k++)
				;
			if (k == nv) {
				v = realloc(v, (nv + 1) * sizeof(*v));
				assert_non_null(v);
				(void)snprintf(v[k].path, sizeof(v[k].path),
				    "%s", dir);
				v[k].first = i;
				v[k].count = 0;
				nv++;
			}
			v[k].last = i;
			v[k].count++;
		}
	}
	for (k = 0; k < nv; k++)
		if (v[k].last - v[k].first + 1 != v[k].count)
			fail_msg("%s: its lines are not together", v[k].path);
	free(v);
	/* consecutive lines of one folder: in name order (a folder of more
	 * than TREEWALK_LIST entries may restart once, at its second
	 * batch) */
	for (i = 1, k = 0; i < s->n; i++) {
		const char	*a = s->lines[i - 1] + 2, *b = s->lines[i] + 2;
		size_t		 la = (size_t)(strrchr(a, '/') - a);
		size_t		 lb = (size_t)(strrchr(b, '/') - b);

		if (la == lb && strncmp(a, b, la) == 0 && strcmp(a, b) > 0)
			k++;
	}
	assert_true(k <= big);
}

static void
walk_seen(struct seen *s, const char *root, int helpers)
{
	struct treewalk_stats	st;
	struct mounttab		*mt = NULL;

	assert_int_equal(mounttab_new(&mt, MOUNTTAB_LOCAL), 0);
	assert_int_equal(treewalk(root, mt, helpers, &cbs, s, &st), 0);
	assert_false(st.stopped);
	mounttab_free(mt);
}

static void
test_same_with_helpers(void **state)
{
	struct tmpdir	*t = *state;
	static const int helpers[] = { 1, 4, TREEWALK_HELPERS_MAX };
	struct gen	 g = { 0 };
	struct seen	 base = { 0 }, other, m = { 0 };
	char		 root[PATH_MAX];
	char		**sorted;
	size_t		 i, h, trees;

	for (trees = 0; trees < 6; trees++) {
		(void)snprintf(root, sizeof(root), "%s/t%zu", t->path, trees);
		assert_int_equal(mkdir(root, 0700), 0);
		g.rng = 0x5eed + trees;
		make_tree(&g, root, trees < 3 ? 3 : 5);
		base.exclude = trees % 2 ? "skipme" : NULL;
		walk_seen(&base, root, 0);
		check_depth_first(&base, g.big);
		for (h = 0; h < sizeof(helpers) / sizeof(*helpers); h++) {
			memset(&other, 0, sizeof(other));
			other.exclude = base.exclude;
			walk_seen(&other, root, helpers[h]);
			assert_int_equal(other.n, base.n);
			for (i = 0; i < base.n; i++)
				assert_string_equal(other.lines[i],
				    base.lines[i]);
			seen_free(&other);
		}
		/* the model: the same set */
		model(&m, root, base.exclude);
		sorted = calloc(base.n + 1, sizeof(*sorted));
		assert_non_null(sorted);
		memcpy(sorted, base.lines, base.n * sizeof(*sorted));
		qsort(sorted, base.n, sizeof(*sorted), lines_cmp);
		assert_int_equal(m.n, base.n);
		for (i = 0; i < m.n; i++)
			assert_string_equal(sorted[i], m.lines[i]);
		free(sorted);
		seen_free(&m);
		seen_free(&base);
	}
	assert_true(g.files > 1000);	/* the trees were not trivial */
	assert_true(g.dirs > 100);
}

static void
test_stop(void **state)
{
	struct tmpdir		*t = *state;
	struct gen		 g = { 0x1234, 0, 0, 0 };
	struct treewalk_stats	 st;
	struct seen		 s;
	char			 root[PATH_MAX];
	size_t			 at[4], i;
	int			 h;

	char			 sub[PATH_MAX + 16];

	(void)snprintf(root, sizeof(root), "%s/stop", t->path);
	assert_int_equal(mkdir(root, 0700), 0);
	for (i = 0; g.files < 2000; i++) {	/* a tree of some size */
		(void)snprintf(sub, sizeof(sub), "%s/%zu", root, i);
		assert_int_equal(mkdir(sub, 0700), 0);
		make_tree(&g, sub, 3);
	}
	/* how many steps the whole walk takes, then stop before the end */
	memset(&s, 0, sizeof(s));
	s.stop_at = SIZE_MAX;
	assert_int_equal(treewalk(root, NULL, 0, &cbs, &s, &st), 0);
	assert_false(st.stopped);
	assert_true(s.steps > 2000);
	at[0] = 1;
	at[1] = 2;
	at[2] = s.steps / 2;
	at[3] = s.steps - 1;
	seen_free(&s);
	for (h = 0; h <= 8; h += 8)
		for (i = 0; i < sizeof(at) / sizeof(*at); i++) {
			memset(&s, 0, sizeof(s));
			s.stop_at = at[i];
			assert_int_equal(treewalk(root, NULL, h, &cbs, &s,
			    &st), 0);
			assert_true(st.stopped);
			assert_int_equal(s.steps, at[i]);
			seen_free(&s);
		}
}

static void
test_too_deep(void **state)
{
	struct tmpdir		*t = *state;
	struct treewalk_stats	 st;
	struct seen		 s = { 0 };
	char			 root[PATH_MAX];
	int			 fd, next, i, h;
	size_t			 k, deep = 0, files = 0;

	/* TREEWALK_DEPTH + 5 levels, a file in each; relative mkdirat:
	 * the path is longer than PATH_MAX */
	(void)snprintf(root, sizeof(root), "%s/deep", t->path);
	assert_int_equal(mkdir(root, 0700), 0);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < TREEWALK_DEPTH + 5; i++) {
		next = openat(fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		assert_true(next >= 0);
		(void)close(next);
		assert_int_equal(mkdirat(fd, "a-rather-long-folder-name", 0700),
		    0);
		next = openat(fd, "a-rather-long-folder-name", O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		(void)close(fd);
		fd = next;
	}
	(void)close(fd);
	for (h = 0; h <= 4; h += 4) {
		assert_int_equal(treewalk(root, NULL, h, &cbs, &s, &st), 0);
		for (k = 0, deep = 0, files = 0; k < s.n; k++) {
			if (s.lines[k][0] == 'F')
				files++;
			if (s.lines[k][0] == 'S') {
				assert_int_equal(atoi(strrchr(s.lines[k],
				    ' ') + 1), TREEWALK_DEEP);
				deep++;
			}
		}
		assert_int_equal(files, TREEWALK_DEPTH + 1);
		assert_int_equal(deep, 1);
		seen_free(&s);
	}
}

static void
test_unreadable(void **state)
{
	struct tmpdir		*t = *state;
	struct treewalk_stats	 st;
	struct seen		 s = { 0 };
	char			 root[PATH_MAX], p[PATH_MAX];

	if (geteuid() == 0)
		skip();		/* root reads every folder */
	(void)snprintf(root, sizeof(root), "%s/unread", t->path);
	assert_int_equal(mkdir(root, 0700), 0);
	(void)snprintf(p, sizeof(p), "%s/locked", root);
	assert_int_equal(mkdir(p, 0700), 0);
	(void)snprintf(p, sizeof(p), "%s/locked/f", root);
	put_file(p, 1);
	(void)snprintf(p, sizeof(p), "%s/locked", root);
	assert_int_equal(chmod(p, 0), 0);
	assert_int_equal(treewalk(root, NULL, 2, &cbs, &s, &st), 0);
	assert_int_equal(s.n, 1);
	assert_true(strncmp(s.lines[0], "S ", 2) == 0);
	assert_non_null(strstr(s.lines[0], "/locked "));
	seen_free(&s);
}

static void
test_from_fd(void **state)
{
	struct tmpdir		*t = *state;
	struct treewalk_stats	 st;
	struct seen		 s = { 0 };
	char			 root[PATH_MAX], p[PATH_MAX];
	int			 fd;

	(void)snprintf(root, sizeof(root), "%s/byfd", t->path);
	assert_int_equal(mkdir(root, 0700), 0);
	(void)snprintf(p, sizeof(p), "%s/sub", root);
	assert_int_equal(mkdir(p, 0700), 0);
	(void)snprintf(p, sizeof(p), "%s/sub/x", root);
	put_file(p, 3);
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(treewalk_fd(fd, "given/name", NULL, 2, &cbs, &s,
	    &st), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "F given/name/sub/x 3");
	/* the descriptor is the caller's still */
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	(void)close(fd);
	seen_free(&s);
}

static int
setup(void **state)
{
	return (*state = tmpdir_new(sizeof(struct tmpdir), "treewalk")) ==
	    NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	tmpdir_free(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_with_helpers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_deep, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_from_fd, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
