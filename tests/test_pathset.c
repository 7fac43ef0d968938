/*
 * test_pathset.c: paths as text, resolution, roots and exclusions
 * (common/pathset.c), against the naive model in pathset_model.h.
 *
 * Text: cleaning, "under", joining, hand-picked and random. Sets: random
 * roots added one by one, compared with the model after each step
 * (return value, the sorted roots, the holder of random paths); random
 * exclusions of the three kinds, compared on random paths, with the
 * documented cases first. Resolution runs on a real tree with symbolic
 * links: realpath(3) is the model where the path exists; where it does
 * not, the missing folders are created through the same path and
 * realpath must then give exactly what pathset_resolve() said before:
 * the resolved form is where the kernel will report those files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "rng.h"
#include "pathset.h"
#include "pathset_model.h"
#include "testutil.h"

#define RANDOM_RUNS	20000
#define ABSENT		"/vigil-test-absent-4f1c"	/* never exists */


/* A random absolute path from a few names, "." and "..", doubled and
 * trailing slashes. */
static void
random_path(char *out, size_t max, int dots)
{
	static const char *const names[] = { "a", "b", "ab", "a.swp",
	    "build-1", "build-2", "x y", "caf\xe9", ".", "..", "" };
	size_t	n = 1 + rnd() % 6, i, o = 0, k, nn;
	const char *nm;

	nn = sizeof(names) / sizeof(names[0]) - (dots ? 0 : 3);
	for (i = 0; i < n; i++) {
		nm = names[rnd() % nn];
		k = strlen(nm);
		if (o + k + 2 >= max)
			break;
		out[o++] = '/';
		memcpy(out + o, nm, k);
		o += k;
	}
	if (rnd() % 8 == 0 && o + 1 < max)
		out[o++] = '/';
	out[o] = '\0';
}

/* ---- text ---- */

static void
expect_clean(const char *in, int rc, const char *want)
{
	char	out[PATH_MAX];

	assert_int_equal(pathset_clean(out, in), rc);
	if (rc == 0)
		assert_string_equal(out, want);
}

static void
test_clean_cases(void **state)
{
	char	longp[PATH_MAX + 1];

	(void)state;
	expect_clean("/", 0, "/");
	expect_clean("//", 0, "/");
	expect_clean("/a//b/", 0, "/a/b");
	expect_clean("/a/./b/.", 0, "/a/b");
	expect_clean("/a/../b", 0, "/b");
	expect_clean("/../..", 0, "/");
	expect_clean("/a/b/../../..", 0, "/");
	expect_clean("/...", 0, "/...");
	expect_clean("/.a/..b", 0, "/.a/..b");
	expect_clean("a/b", ERR_USAGE, NULL);
	expect_clean("", ERR_USAGE, NULL);
	memset(longp, 'a', PATH_MAX);
	longp[0] = '/';
	longp[PATH_MAX] = '\0';
	expect_clean(longp, ERR_TOOBIG, NULL);
	longp[PATH_MAX - 1] = '\0';
	expect_clean(longp, 0, longp);
}

static void
test_clean_model(void **state)
{
	char	in[256], out[PATH_MAX], *want;
	int	i;

	(void)state;
	for (i = 0; i < RANDOM_RUNS; i++) {
		random_path(in, sizeof(in), 1);
		want = model_clean(in);
		assert_non_null(want);
		assert_int_equal(pathset_clean(out, in), 0);
		assert_string_equal(out, want);
		free(want);
	}
}

static void
test_under(void **state)
{
	char	a[256], b[256], ca[PATH_MAX], cb[PATH_MAX];
	int	i;

	(void)state;
	assert_true(pathset_under("/a/b", 4, "/a", 2));
	assert_true(pathset_under("/a", 2, "/a", 2));
	assert_false(pathset_under("/ab", 3, "/a", 2));
	assert_false(pathset_under("/a", 2, "/a/b", 4));
	assert_true(pathset_under("/x", 2, "/", 1));
	assert_true(pathset_under("/", 1, "/", 1));
	/* the length counts, not the NUL: "/a/b" cut to "/a" */
	assert_true(pathset_under("/a/b", 2, "/a", 2));
	for (i = 0; i < RANDOM_RUNS; i++) {
		random_path(a, sizeof(a), 0);
		random_path(b, sizeof(b), 0);
		if (rnd() % 3 == 0)	/* often related */
			snprintf(b, sizeof(b), "%.*s", (int)(rnd() %
			    (strlen(a) + 1)), a);
		if (b[0] == '\0')
			snprintf(b, sizeof(b), "/");
		assert_int_equal(pathset_clean(ca, a), 0);
		assert_int_equal(pathset_clean(cb, b), 0);
		assert_int_equal(pathset_under(ca, strlen(ca), cb, strlen(cb)),
		    model_under(ca, cb));
	}
}

static void
test_join(void **state)
{
	char	out[16], want[64];
	size_t	dl, nl, o, r;
	int	n;

	(void)state;
	assert_int_equal(pathset_join(out, sizeof(out), "/", "etc"), 0);
	assert_string_equal(out, "/etc");
	assert_int_equal(pathset_join(out, sizeof(out), "/a/", "b"), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(pathset_join(out, sizeof(out), "/data", "spool.db"),
	    0);
	assert_string_equal(out, "/data/spool.db");
	/* 15 bytes and the NUL fit, 16 do not: never truncated */
	assert_int_equal(pathset_join(out, sizeof(out), "/abcdefg",
	    "123456"), 0);
	assert_int_equal(pathset_join(out, sizeof(out), "/abcdefg",
	    "1234567"), ERR_TOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(pathset_join_n(out, 0, "/a", 2, "b", 1), 0);
	/* against snprintf, every length */
	for (dl = 0; dl < 20; dl++)
		for (nl = 0; nl < 20; nl++)
			for (o = 0; o <= sizeof(out); o++) {
				char	d[32], nm[32];

				memset(d, 'd', dl);
				d[0] = '/';
				d[dl] = '\0';
				if (dl > 1 && dl % 3 == 0)
					d[dl - 1] = '/';
				memset(nm, 'n', nl);
				nm[nl] = '\0';
				n = snprintf(want, sizeof(want), "%s%s%s", d,
				    dl == 0 || d[dl - 1] == '/' ? "" : "/",
				    nm);
				r = pathset_join_n(out, o, d, dl, nm, nl);
				if ((size_t)n < o && n > 0) {
					assert_int_equal(r, (size_t)n);
					assert_string_equal(out, want);
				} else {
					assert_int_equal(r, 0);
					if (o > 0)
						assert_string_equal(out, "");
				}
			}
}

/* ---- sets ---- */

static void
compare_roots(const struct pathset *ps, struct model_set *m)
{
	size_t	i, len;

	model_sort(m);
	assert_int_equal(pathset_count(ps), m->nroots);
	for (i = 0; i < m->nroots; i++) {
		assert_string_equal(pathset_root(ps, i, &len), m->roots[i]);
		assert_int_equal(len, strlen(m->roots[i]));
	}
}

static void
test_roots_model(void **state)
{
	struct pathset		*ps;
	struct model_set	 m;
	char			 in[256], c[PATH_MAX];
	int			 r, k, rc;

	(void)state;
	for (r = 0; r < RANDOM_RUNS / 20; r++) {
		memset(&m, 0, sizeof(m));
		assert_int_equal(pathset_new(&ps), 0);
		for (k = 0; k < 12; k++) {
			random_path(in, sizeof(in), 0);
			assert_int_equal(pathset_clean(c, in), 0);
			rc = pathset_add(ps, c);
			assert_int_equal(rc, model_add(&m, c) ?
			    PATHSET_COVERED : 0);
			compare_roots(ps, &m);
		}
		for (k = 0; k < 50; k++) {
			random_path(in, sizeof(in), 0);
			assert_int_equal(pathset_clean(c, in), 0);
			assert_int_equal(pathset_holder(ps, c, strlen(c)),
			    model_holder(&m, c));
		}
		pathset_free(ps);
		model_free(&m);
	}
	/* not clean: refused */
	assert_int_equal(pathset_new(&ps), 0);
	assert_int_equal(pathset_add(ps, "/a/"), ERR_USAGE);
	assert_int_equal(pathset_add(ps, "/a/./b"), ERR_USAGE);
	assert_int_equal(pathset_add(ps, "a"), ERR_USAGE);
	assert_int_equal(pathset_add(ps, "/"), 0);
	assert_int_equal(pathset_add(ps, "/etc"), PATHSET_COVERED);
	assert_int_equal(pathset_holder(ps, "/etc/x", 6), 1);
	pathset_free(ps);
	pathset_free(NULL);
}

static void
test_exclude_cases(void **state)
{
	struct pathset	*ps;
	char		 longp[PATH_MAX + 1], longn[NAME_MAX + 8];

	(void)state;
	assert_int_equal(pathset_new(&ps), 0);
	assert_int_equal(pathset_add(ps, ABSENT "/home"), 0);
	assert_int_equal(pathset_exclude(ps, "*.part"), 0);
	assert_int_equal(pathset_exclude(ps, ABSENT "/tmp/build-*/"), 0);
	assert_int_equal(pathset_exclude(ps, ABSENT "/home/u/skip//"), 0);
	assert_int_equal(pathset_exclude(ps, ""), ERR_USAGE);
	assert_int_equal(pathset_exclude(ps, NULL), ERR_USAGE);
	assert_int_equal(pathset_exclude(ps, "rel/path"), ERR_USAGE);
	memset(longp, 'a', PATH_MAX);
	longp[0] = '/';
	longp[PATH_MAX] = '\0';
	assert_int_equal(pathset_exclude(ps, longp), ERR_TOOBIG);
#define EX(p)	pathset_excluded(ps, p, strlen(p))
	/* a glob: the path and everything below a match, '*' not
	 * crossing '/' */
	assert_true(EX(ABSENT "/tmp/build-1"));
	assert_true(EX(ABSENT "/tmp/build-1/a/b"));
	assert_false(EX(ABSENT "/tmp/build"));
	assert_false(EX(ABSENT "/tmp/x/build-1"));
	/* a path: that place and below, by whole names */
	assert_true(EX(ABSENT "/home/u/skip"));
	assert_true(EX(ABSENT "/home/u/skip/z"));
	assert_false(EX(ABSENT "/home/u/skipper"));
	/* a name: each name below the root, not the root's own */
	assert_true(EX(ABSENT "/home/x.part"));
	assert_true(EX(ABSENT "/home/x.part/y"));
	assert_false(EX(ABSENT "/home/x.part.txt"));
	assert_int_equal(pathset_add(ps, ABSENT "/dl.part"), 0);
	assert_false(EX(ABSENT "/dl.part"));
	assert_true(EX(ABSENT "/dl.part/x.part"));
	/* below a root: names from there on only */
	assert_false(pathset_excluded_below(ps, ABSENT "/home/a.part/b",
	    strlen(ABSENT "/home/a.part/b"), strlen(ABSENT "/home/a.part")));
	/* no root holds it: every name */
	assert_true(EX("/elsewhere/x.part/y"));
	/* a name longer than NAME_MAX never matches */
	memset(longn, 'n', sizeof(longn) - 1);
	longn[sizeof(longn) - 1] = '\0';
	memcpy(longn + sizeof(longn) - 6, ".part", 6);
	snprintf(longp, sizeof(longp), ABSENT "/home/%s", longn);
	assert_false(EX(longp));
#undef EX
	pathset_free(ps);
}

static void
random_pattern(char *out, size_t max)
{
	static const char *const names[] = { "*.swp", "a*", "?", "[ab]",
	    "b", "*", "build-*", "x y", "caf\xe9" };
	char	p[200];
	size_t	i;

	switch (rnd() % 3) {
	case 0:
		snprintf(out, max, "%s", names[rnd() % (sizeof(names) /
		    sizeof(names[0]))]);
		break;
	case 1:
		random_path(p, sizeof(p), 0);
		for (i = 0; p[i] != '\0'; i++)
			if (p[i] == 'a' && rnd() % 2)
				p[i] = "*?["[rnd() % 2];
		snprintf(out, max, "%s%s*", ABSENT, p);
		break;
	default:
		random_path(p, sizeof(p), 0);
		snprintf(out, max, "%s%s", ABSENT, p);
		break;
	}
}

static void
test_exclude_model(void **state)
{
	struct pathset		*ps;
	struct model_set	 m;
	char			 pat[256], in[256], c[PATH_MAX];
	size_t			 from, len;
	int			 r, k;

	(void)state;
	for (r = 0; r < RANDOM_RUNS / 20; r++) {
		memset(&m, 0, sizeof(m));
		assert_int_equal(pathset_new(&ps), 0);
		for (k = 0; k < 3; k++) {
			random_path(in, sizeof(in), 0);
			snprintf(pat, sizeof(pat), "%s%s", ABSENT, in);
			assert_int_equal(pathset_clean(c, pat), 0);
			(void)pathset_add(ps, c);
			(void)model_add(&m, c);
		}
		for (k = 0; k < 4; k++) {
			random_pattern(pat, sizeof(pat));
			assert_int_equal(pathset_exclude(ps, pat), 0);
			if (strchr(pat, '/') != NULL &&
			    strpbrk(pat, "*?[") == NULL) {
				/* a plain path: resolved, here only cleaned
				 * (it does not exist) */
				assert_int_equal(pathset_clean(c, pat), 0);
				model_exclude(&m, c);
			} else
				model_exclude(&m, pat);
		}
		for (k = 0; k < 50; k++) {
			random_path(in, sizeof(in), 0);
			snprintf(pat, sizeof(pat), "%s%s", rnd() % 4 ? ABSENT :
			    "", in);
			assert_int_equal(pathset_clean(c, pat), 0);
			len = strlen(c);
			if (pathset_excluded(ps, c, len) !=
			    model_excluded_below(&m, c, model_holder(&m, c)))
				fail_msg("%s: %d", c, pathset_excluded(ps, c,
				    len));
			for (from = 0; from <= len; from++) {
				if (from < len && c[from] != '/')
					continue;
				assert_int_equal(pathset_excluded_below(ps, c,
				    len, from), model_excluded_below(&m, c,
				    from));
			}
		}
		pathset_free(ps);
		model_free(&m);
	}
}

/* ---- resolution, on a real tree ---- */

static struct tmpdir	tmp;
static char		tree[PATH_MAX];		/* tmp, canonical */

static int
setup(void **state)
{
	char	t[PATH_MAX], p[PATH_MAX];

	(void)state;
	if (tmpdir_make(&tmp, "pathset") != 0 || realpath(tmp.path, tree) ==
	    NULL)
		return -1;
#define MK(fmt, ...) (snprintf(p, sizeof(p), "%s/" fmt, tree, ##__VA_ARGS__), p)
	if (mkdir(MK("real"), 0700) != 0 || mkdir(MK("real/sub"), 0700) != 0 ||
	    close(creat(MK("real/sub/file"), 0600)) != 0 ||
	    symlink("real", MK("link")) != 0 ||
	    symlink("..", MK("real/up")) != 0 ||
	    symlink("nowhere", MK("dangling")) != 0)
		return -1;
	snprintf(t, sizeof(t), "%s/real/sub", tree);
	if (symlink(t, MK("abs")) != 0)
		return -1;
#undef MK
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove(&tmp);
	return 0;
}

static void
expect_resolve(const char *rel, int flags, int rc, const char *want,
    int absent)
{
	char	in[PATH_MAX], out[PATH_MAX], w[PATH_MAX];
	int	a = -1;

	snprintf(in, sizeof(in), "%s/%s", tree, rel);
	assert_int_equal(pathset_resolve(out, in, flags, &a), rc);
	if (rc != 0)
		return;
	snprintf(w, sizeof(w), "%s%s%s", tree, want[0] ? "/" : "", want);
	assert_string_equal(out, w);
	assert_int_equal(a, absent);
}

static void
test_resolve_cases(void **state)
{
	char	out[PATH_MAX], longp[PATH_MAX + 8];

	(void)state;
	expect_resolve("link", 0, 0, "real", 0);
	expect_resolve("link/sub/file", 0, 0, "real/sub/file", 0);
	expect_resolve("link", PATHSET_NOFOLLOW, 0, "link", 0);
	expect_resolve("link/sub", PATHSET_NOFOLLOW, 0, "real/sub", 0);
	expect_resolve("abs/file", 0, 0, "real/sub/file", 0);
	expect_resolve("abs", PATHSET_NOFOLLOW, 0, "abs", 0);
	/* ".." after a symbolic link is physical, as the kernel takes it */
	expect_resolve("link/sub/../x", 0, 0, "real/x", 1);
	expect_resolve("real/up/link", 0, 0, "real", 0);
	expect_resolve("link/up/x/y", 0, 0, "x/y", 1);
	/* past what exists, "." and ".." are text */
	expect_resolve("no/../pe", 0, 0, "pe", 1);
	expect_resolve("no/./x//y/", 0, 0, "no/x/y", 1);
	expect_resolve("no/x/../../link", 0, 0, "real", 0);
	expect_resolve("dangling/x", 0, 0, "dangling/x", 1);
	expect_resolve("dangling", PATHSET_NOFOLLOW, 0, "dangling", 0);
	expect_resolve("nothing", PATHSET_NOFOLLOW, 0, "nothing", 1);
	expect_resolve("link/..", PATHSET_NOFOLLOW, 0, "", 0);
	expect_resolve("real/sub/file/x", 0, ERR_IO, NULL, 0);
	assert_int_equal(pathset_resolve(out, "rel", 0, NULL), ERR_USAGE);
	assert_int_equal(pathset_resolve(out, NULL, 0, NULL), ERR_USAGE);
	assert_int_equal(pathset_resolve(out, "/", 0, NULL), 0);
	assert_string_equal(out, "/");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(pathset_resolve(out, longp, 0, NULL), ERR_TOOBIG);
}

/* Create the folders of path that do not exist, through the path itself
 * (the kernel places them); their places in made[] for removal. */
static size_t
mkdir_p(const char *path, char made[][PATH_MAX], size_t max)
{
	char	pre[PATH_MAX];
	size_t	i, n = 0, len = strlen(path);

	for (i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		memcpy(pre, path, i);
		pre[i] = '\0';
		if (mkdir(pre, 0700) == 0 && n < max &&
		    realpath(pre, made[n]) != NULL)
			n++;
	}
	return n;
}

/* Random paths through the tree and its symbolic links: where the path
 * exists, realpath's answer; where it does not, the place the kernel
 * gives it once the missing folders exist. */
static void
test_resolve_model(void **state)
{
	static const char *const names[] = { "real", "link", "sub", "up",
	    "abs", "no", "pe", ".", ".." };
	char	in[PATH_MAX], out[PATH_MAX], real[PATH_MAX];
	char	made[8][PATH_MAX];
	size_t	n, i, k, nmade;
	int	r, absent, rc;

	(void)state;
	for (r = 0; r < 3000; r++) {
		k = (size_t)snprintf(in, sizeof(in), "%s", tree);
		n = 1 + rnd() % 6;
		for (i = 0; i < n; i++)
			k += (size_t)snprintf(in + k, sizeof(in) - k, "/%s",
			    names[rnd() % (sizeof(names) / sizeof(names[0]))]);
		rc = pathset_resolve(out, in, 0, &absent);
		if (realpath(in, real) != NULL) {
			assert_int_equal(rc, 0);
			assert_int_equal(absent, 0);
			assert_string_equal(out, real);
			continue;
		}
		if (errno != ENOENT) {
			assert_int_not_equal(rc, 0);
			continue;
		}
		/* (past a missing name, ".." may lead back to what
		 * exists: "no/.." is the tree itself) */
		assert_int_equal(rc, 0);
		assert_int_equal(absent, access(out, F_OK) != 0);
		nmade = mkdir_p(in, made, 8);
		if (realpath(in, real) == NULL)
			fail_msg("%s: still not there", in);
		if (strcmp(out, real) != 0)
			fail_msg("%s: resolved %s, the kernel put it at %s",
			    in, out, real);
		while (nmade > 0)
			assert_int_equal(rmdir(made[--nmade]), 0);
	}
}

/* A plain path exclusion that is a symbolic link: the link itself (as a
 * walk meets it) and where it leads (as the kernel reports writes). */
static void
test_exclude_symlink(void **state)
{
	struct pathset	*ps;
	char		 p[PATH_MAX];

	(void)state;
	assert_int_equal(pathset_new(&ps), 0);
	snprintf(p, sizeof(p), "%s/link", tree);
	assert_int_equal(pathset_exclude(ps, p), 0);
	assert_true(pathset_excluded(ps, p, strlen(p)));
	snprintf(p, sizeof(p), "%s/real/sub/file", tree);
	assert_true(pathset_excluded(ps, p, strlen(p)));
	snprintf(p, sizeof(p), "%s/realm", tree);
	assert_false(pathset_excluded(ps, p, strlen(p)));
	snprintf(p, sizeof(p), "%s/real/sub/file/x", tree);
	assert_int_equal(pathset_exclude(ps, p), ERR_IO);
	pathset_free(ps);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_cases),
		cmocka_unit_test(test_clean_model),
		cmocka_unit_test(test_under),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_roots_model),
		cmocka_unit_test(test_exclude_cases),
		cmocka_unit_test(test_exclude_model),
		cmocka_unit_test_setup_teardown(test_resolve_cases, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_model, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exclude_symlink, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
