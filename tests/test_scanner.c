/*
 * test_scanner.c: YARA scanning (agent/files/scanner.c) and the default rules
 * (rules/yara/).
 *
 * Every default rule gets a harmless sample generated here (no malware is
 * stored anywhere: the EICAR string is assembled from two halves, the
 * "documents" are a few header bytes and names) and must fire on it;
 * none may fire on a set of ordinary files. The rule count is compared
 * with the sample table, so a new rule without a sample fails the test.
 * Then the loader (bad files skipped with FILE:LINE, all-bad refused,
 * namespaces, the compiled cache and its checks), the external variables,
 * every non-scan verdict (too big, timeout, unreadable, special files,
 * vanished files), events (fields, non-UTF-8 paths, event_parse accepts
 * them), concurrent scans, and memory on content that matches a string
 * millions of times or comes in large files (peak RSS measured in a
 * child process).
 *
 * Each test gets a fresh directory under $VIGIL_TEST_TMP (or /tmp). The
 * default rules are found from this file's path, or $VIGIL_RULES_DIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "err.h"
#include "event.h"
#include "log.h"
#include "scanner.h"
#include "testutil.h"
#include "tools/scan_samples.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#if defined(__SANITIZE_ADDRESS__)			/* gcc */
#define UNDER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)			/* clang */
#define UNDER_ASAN	1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN	0
#endif

struct fx {
	struct tmpdir	t;		/* first: tmpdir_new */
	char		rules[PATH_MAX];	/* the default rules folder */
};

/* ---- fixture ---- */

static void
rules_dir(char *out, size_t len)
{
	const char	*env = getenv("VIGIL_RULES_DIR");
	const char	*slash = strrchr(__FILE__, '/');
	int		 n;

	if (env != NULL && *env != '\0')
		n = snprintf(out, len, "%s", env);
	else if (slash == NULL)
		n = snprintf(out, len, "../rules/yara");
	else	/* .../tests/test_scanner.c -> .../rules/yara */
		n = snprintf(out, len, "%.*s/../rules/yara",
		    (int)(slash - __FILE__), __FILE__);
	assert_true(n > 0 && (size_t)n < len);
}

static int
setup(void **state)
{
	struct fx	*fx;

	if ((fx = tmpdir_new(sizeof(*fx), "scanner")) == NULL)
		return -1;
	rules_dir(fx->rules, sizeof(fx->rules));
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	tmpdir_free(*state);
	return 0;
}

/* ---- helpers ---- */

static void
mkdirs(const char *path)
{
	char	p[PATH_MAX];
	size_t	i;

	assert_true(strlen(path) < sizeof(p));
	memcpy(p, path, strlen(path) + 1);
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
		p[i] = '/';
	}
}

/* dir/rel with data[len]; parents are created. Returns the path. */
static char *
put(const struct fx *fx, const char *rel, const void *data, size_t len)
{
	static char	path[PATH_MAX];
	FILE		*fp;
	int		 n;

	n = snprintf(path, sizeof(path), "%s/%s", fx->t.path, rel);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	mkdirs(path);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static char *
puts_(const struct fx *fx, const char *rel, const char *text)
{
	return put(fx, rel, text, strlen(text));
}

static char *
at(const struct fx *fx, const char *rel)
{
	static char	path[PATH_MAX];

	return tmpdir_path(path, sizeof(path), &fx->t, rel);
}

static void
set_mtime(const char *path, time_t t)
{
	const struct timespec	ts[2] = { { t, 0 }, { t, 0 } };

	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static struct scanner *
load1(const char *path, uint64_t max_size, int timeout, const char *cache)
{
	struct scanner_opts	 o = { .max_size = max_size,
	    .timeout = timeout, .cache_dir = cache };
	struct scanner		*sc = NULL;
	const char		*paths[1] = { path };

	assert_int_equal(scanner_load(&sc, paths, 1, &o), 0);
	assert_non_null(sc);
	return sc;
}

static const struct scanner_match *
find_match(const struct scanner_result *r, const char *rule)
{
	size_t	i;

	for (i = 0; i < r->nmatches; i++)
		if (strcmp(r->matches[i].rule, rule) == 0)
			return &r->matches[i];
	return NULL;
}

/* ---- samples (tools/scan_samples.h) ---- */

static char *
put_sample(const struct fx *fx, const struct scan_sample *s)
{
	static uint8_t	buf[SAMPLE_MAX];

	return put(fx, s->name, buf, scan_sample_bytes(s, buf, sizeof(buf)));
}

/* Meta every default rule must have. */
static void
check_meta(const struct scanner_match *m)
{
	const char	*want[] = { "description", "severity", "category",
	    "author" };
	size_t		 i, k;
	int		 found;

	for (k = 0; k < NITEMS(want); k++) {
		found = 0;
		for (i = 0; i < m->nmeta; i++) {
			if (strcmp(m->meta[i].key, want[k]) != 0)
				continue;
			found = 1;
			if (k == 1) {
				assert_int_equal(m->meta[i].type,
				    SCANNER_META_INT);
				assert_true(m->meta[i].num >= 1 &&
				    m->meta[i].num <= 3);
			} else
				assert_int_equal(m->meta[i].type,
				    SCANNER_META_STRING);
			if (k == 3)
				assert_string_equal(m->meta[i].str, "vigil");
		}
		if (!found)
			fail_msg("rule %s: no meta %s", m->rule, want[k]);
	}
}

/* ---- default rules ---- */

static void
test_default_rules_fire(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	const struct scanner_match *m = NULL;
	const char		*seen[NITEMS(scan_samples)];
	size_t			 i, j, nseen = 0;
	char			*path;

	sc = load1(fx->rules, SCANNER_MAX_SIZE, 10, NULL);
	assert_int_equal(scanner_info(sc)->failed, 0);
	for (i = 0; i < NITEMS(scan_samples); i++) {
		path = put_sample(fx, &scan_samples[i]);
		scanner_scan_path(sc, &r, path);
		if (r.status != SCAN_MATCH ||
		    (m = find_match(&r, scan_samples[i].rule)) == NULL)
			fail_msg("%s: %s did not fire (status %s)",
			    scan_samples[i].name, scan_samples[i].rule,
			    scanner_status_name(r.status));
		check_meta(m);
		assert_true(m->nstrings > 0 || strcmp(m->rule,
		    "Removable_Media_PE_Executable") == 0);
		/* one rule per sample: the rules do not overlap */
		if (r.nmatches != 1)
			fail_msg("%s: %zu rules fired", scan_samples[i].name,
			    r.nmatches);
		for (j = 0; j < nseen; j++)
			if (strcmp(seen[j], scan_samples[i].rule) == 0)
				break;
		if (j == nseen)
			seen[nseen++] = scan_samples[i].rule;
		scanner_result_clear(&r);
	}
	/* a rule added without a sample fails here */
	assert_int_equal(scanner_info(sc)->rules, nseen);
	scanner_free(sc);
}

static void
test_clean_files(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	size_t			 i;

	sc = load1(fx->rules, SCANNER_MAX_SIZE, 10, NULL);
	for (i = 0; i < NITEMS(scan_clean); i++) {
		scanner_scan_path(sc, &r, put_sample(fx, &scan_clean[i]));
		if (r.status != SCAN_CLEAN)
			fail_msg("%s: %s (%s)", scan_clean[i].name,
			    scanner_status_name(r.status),
			    r.nmatches ? r.matches[0].rule : "");
		scanner_result_clear(&r);
	}
	scanner_free(sc);
}

/* ---- loading ---- */

struct load_args {
	const char		*paths[4];
	size_t			 n;
	struct scanner		*sc;
	int			 rc;
	const char		*cache;
};

static void
do_load(void *arg)
{
	struct load_args	*a = arg;
	struct scanner_opts	 o = { .cache_dir = a->cache };

	a->rc = scanner_load(&a->sc, a->paths, a->n, &o);
}

#define GOOD_RULE	"rule good { strings: $a = \"vigil-good\" condition: $a }\n"
#define BAD_RULE	"rule bad1 {\n  strings:\n    $a = \"vigil\" wibble\n" \
			"  condition: $a\n}\n"		/* error on line 3 */

static void
test_bad_file_skipped(void **state)
{
	struct fx		*fx = *state;
	struct load_args	 a = { { NULL }, 1, NULL, 0, NULL };
	struct scanner_result	 r;
	char			 dir[PATH_MAX], *log;

	puts_(fx, "r/a_good.yar", GOOD_RULE);
	puts_(fx, "r/b_bad.yar", BAD_RULE);
	puts_(fx, "r/c_good.yara", "rule good2 { condition: filesize == 10 }\n");
	puts_(fx, "r/notes.txt", "not a rule file\n");
	puts_(fx, "r/.hidden.yar", BAD_RULE);
	/* the set's age: the newest good file's, not the bad one's */
	set_mtime(at(fx, "r/a_good.yar"), 1700000000);
	set_mtime(at(fx, "r/b_bad.yar"), 1800000000);
	set_mtime(at(fx, "r/c_good.yara"), 1750000000);
	snprintf(dir, sizeof(dir), "%s", at(fx, "r"));
	a.paths[0] = dir;
	assert_non_null(log = capture_stderr(do_load, &a));
	assert_int_equal(a.rc, 0);
	assert_int_equal(scanner_info(a.sc)->files, 2);
	assert_int_equal(scanner_info(a.sc)->failed, 1);
	assert_int_equal(scanner_info(a.sc)->rules, 2);
	assert_int_equal(scanner_info(a.sc)->newest, 1750000000);
	/* FILE:LINE: message, for the bad file only */
	if (strstr(log, "/r/b_bad.yar:3: ") == NULL)
		fail_msg("log lacks b_bad.yar:3: ...: %s", log);
	assert_null(strstr(log, "a_good"));
	assert_null(strstr(log, "hidden"));
	free(log);
	/* the good rules work */
	scanner_scan_path(a.sc, &r, puts_(fx, "f", "vigil-good"));
	assert_int_equal(r.status, SCAN_MATCH);
	assert_int_equal(r.nmatches, 2);	/* good and good2 (10 bytes) */
	scanner_result_clear(&r);
	scanner_free(a.sc);
}

static void
test_all_bad(void **state)
{
	struct fx		*fx = *state;
	struct load_args	 a = { { NULL }, 2, NULL, 0, NULL };
	char			*log, p1[PATH_MAX], p2[PATH_MAX];

	snprintf(p1, sizeof(p1), "%s", puts_(fx, "x.yar", BAD_RULE));
	snprintf(p2, sizeof(p2), "%s", puts_(fx, "y.yar",
	    "rule y { condition: nosuchthing }\n"));
	a.paths[0] = p1;
	a.paths[1] = p2;
	assert_non_null(log = capture_stderr(do_load, &a));
	assert_int_equal(a.rc, ERR_NOTFOUND);
	assert_null(a.sc);
	assert_non_null(strstr(log, "x.yar:3: "));
	assert_non_null(strstr(log, "y.yar:1: "));
	free(log);

	/* nothing there at all */
	a.paths[0] = at(fx, "nosuch");
	a.n = 1;
	assert_non_null(log = capture_stderr(do_load, &a));
	assert_int_equal(a.rc, ERR_NOTFOUND);
	assert_null(a.sc);
	free(log);
	/* an empty folder */
	mkdirs(at(fx, "empty/x"));
	a.paths[0] = at(fx, "empty");
	assert_non_null(log = capture_stderr(do_load, &a));
	assert_int_equal(a.rc, ERR_NOTFOUND);
	free(log);
}

static void
test_includes_refused(void **state)
{
	struct fx		*fx = *state;
	struct load_args	 a = { { NULL }, 1, NULL, 0, NULL };
	char			*log, p[PATH_MAX];

	puts_(fx, "inc/other.yar", GOOD_RULE);
	snprintf(p, sizeof(p), "%s", puts_(fx, "inc/main.yar",
	    "include \"other.yar\"\nrule m { condition: true }\n"));
	a.paths[0] = p;
	assert_non_null(log = capture_stderr(do_load, &a));
	assert_int_equal(a.rc, ERR_NOTFOUND);
	assert_non_null(strstr(log, "main.yar:1: "));
	free(log);
}

/* Rule names repeat across files (signature-base does this): one
 * namespace per file keeps both; the same base name twice gets ~2. */
static void
test_namespaces(void **state)
{
	struct fx		*fx = *state;
	struct scanner_opts	 o = { .max_size = 0 };
	struct scanner		*sc;
	struct scanner_result	 r;
	const char		*paths[2];
	char			 p1[PATH_MAX], p2[PATH_MAX];

	snprintf(p1, sizeof(p1), "%s", puts_(fx, "one/dup.yar",
	    "rule dup { strings: $a = \"vigil-dup\" condition: $a }\n"));
	snprintf(p2, sizeof(p2), "%s", puts_(fx, "two/dup.yar",
	    "rule dup { strings: $b = \"vigil-dup\" condition: $b }\n"));
	paths[0] = p1;
	paths[1] = p2;
	assert_int_equal(scanner_load(&sc, paths, 2, &o), 0);
	assert_int_equal(scanner_info(sc)->rules, 2);
	scanner_scan_path(sc, &r, puts_(fx, "f", "vigil-dup"));
	assert_int_equal(r.nmatches, 2);
	assert_string_equal(r.matches[0].rule, "dup");
	assert_string_equal(r.matches[1].rule, "dup");
	assert_string_not_equal(r.matches[0].ns, r.matches[1].ns);
	assert_true(strcmp(r.matches[0].ns, "dup.yar~2") == 0 ||
	    strcmp(r.matches[1].ns, "dup.yar~2") == 0);
	assert_int_not_equal(scanner_signature_id(r.matches[0].ns, "dup"),
	    scanner_signature_id(r.matches[1].ns, "dup"));
	scanner_result_clear(&r);
	scanner_free(sc);
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
cache_file(char *out, size_t len, const char *cache, const char *version)
{
	snprintf(out, len, "%s/set-%s.yarc", cache, version);
}

static void
test_cache(void **state)
{
	struct fx	*fx = *state;
	struct scanner	*a, *b, *c;
	struct stat	 st;
	char		 cache[PATH_MAX], file[PATH_MAX * 2], v1[80];
	char		 old[PATH_MAX * 2];
	double		 t0, t1, t2;

	snprintf(cache, sizeof(cache), "%s", at(fx, "cache"));
	t0 = now_s();
	a = load1(fx->rules, 0, 0, cache);
	t1 = now_s();
	assert_int_equal(scanner_info(a)->from_cache, 0);
	memcpy(v1, scanner_info(a)->version, sizeof(scanner_info(a)->version));
	assert_int_equal(strlen(v1), SCANNER_VERSION_LEN);
	cache_file(file, sizeof(file), cache, v1);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	b = load1(fx->rules, 0, 0, cache);
	t2 = now_s();
	assert_int_equal(scanner_info(b)->from_cache, 1);
	assert_string_equal(scanner_info(b)->version, v1);
	assert_int_equal(scanner_info(b)->rules, scanner_info(a)->rules);
	print_message("default rules: compiled %.1f ms, from the cache %.1f ms\n",
	    (t1 - t0) * 1e3, (t2 - t1) * 1e3);
	scanner_free(b);
	scanner_free(a);

	/* a cache file others could write is not trusted */
	assert_int_equal(chmod(file, 0666), 0);
	c = load1(fx->rules, 0, 0, cache);
	assert_int_equal(scanner_info(c)->from_cache, 0);
	assert_int_equal(stat(file, &st), 0);		/* rewritten */
	assert_int_equal(st.st_mode & 07777, 0600);
	scanner_free(c);
	/* a damaged one is recompiled */
	assert_int_equal(truncate(file, 100), 0);
	c = load1(fx->rules, 0, 0, cache);
	assert_int_equal(scanner_info(c)->from_cache, 0);
	scanner_free(c);
	c = load1(fx->rules, 0, 0, cache);
	assert_int_equal(scanner_info(c)->from_cache, 1);
	scanner_free(c);
	/* named after a worker's word by older builds: never loaded, and
	 * deleted at the next save */
	snprintf(old, sizeof(old), "%s/rules-%s.yarc", cache, v1);
	assert_int_equal(rename(file, old), 0);
	c = load1(fx->rules, 0, 0, cache);
	assert_int_equal(scanner_info(c)->from_cache, 0);
	assert_int_equal(stat(old, &st), -1);
	assert_int_equal(stat(file, &st), 0);
	scanner_free(c);
}

static size_t
count_cached(const char *cache)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 n = 0;

	assert_non_null(d = opendir(cache));
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "set-", 4) == 0;
	closedir(d);
	return n;
}

/* Four compiled sets are kept: the most recently used. */
static void
prune_check(const struct fx *fx, const char *dir, const char *cache)
{
	struct scanner	*s, *first;
	struct stat	 st;
	struct timespec	 old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char		 text[128], file[PATH_MAX * 2], keep[80];
	int		 i;

	first = load1(dir, 0, 0, cache);	/* the current set, from cache */
	memcpy(keep, scanner_info(first)->version, sizeof(keep));
	scanner_free(first);
	for (i = 0; i < 6; i++) {
		snprintf(text, sizeof(text), "rule v%d { condition: true }\n", i);
		puts_(fx, "r/a.yar", text);
		s = load1(dir, 0, 0, cache);
		assert_int_equal(scanner_info(s)->from_cache, 0);
		scanner_free(s);
		/* the first set is used again between saves, and ages */
		cache_file(file, sizeof(file), cache, keep);
		if (i < 2)
			assert_int_equal(utimensat(AT_FDCWD, file, old, 0), 0);
	}
	assert_int_equal(count_cached(cache), 4);
	assert_int_equal(stat(file, &st), -1);		/* the oldest went */
	puts_(fx, "r/a.yar", "rule good { condition: true }\n");
}

/* A changed rule file is a new version; with a bad file, the set of the
 * good ones is cached and the bad one is still reported at each load. */
static void
test_cache_versions(void **state)
{
	struct fx		*fx = *state;
	struct load_args	 a = { { NULL }, 1, NULL, 0, NULL };
	struct scanner		*s1, *s2;
	struct stat		 st;
	char			 cache[PATH_MAX], dir[PATH_MAX], v1[80];
	char			 file[PATH_MAX * 2], *log;
	int			 i;

	snprintf(cache, sizeof(cache), "%s", at(fx, "cache"));
	snprintf(dir, sizeof(dir), "%s", at(fx, "r"));
	puts_(fx, "r/a.yar", GOOD_RULE);
	s1 = load1(dir, 0, 0, cache);
	memcpy(v1, scanner_info(s1)->version, sizeof(v1));
	puts_(fx, "r/a.yar", "rule good { condition: true }\n");
	s2 = load1(dir, 0, 0, cache);
	assert_int_equal(scanner_info(s2)->from_cache, 0);
	assert_string_not_equal(scanner_info(s2)->version, v1);
	cache_file(file, sizeof(file), cache, v1);
	assert_int_equal(stat(file, &st), 0);		/* still there */
	scanner_free(s1);
	prune_check(fx, dir, cache);

	/* a bad file beside it: the good set is compiled once and cached;
	 * the next load takes it from the cache (nothing is compiled
	 * together) and still reports b.yar */
	memcpy(v1, scanner_info(s2)->version, sizeof(v1));
	scanner_free(s2);
	puts_(fx, "r/b.yar", BAD_RULE);
	a.paths[0] = dir;
	a.cache = cache;
	for (i = 0; i < 2; i++) {
		assert_non_null(log = capture_stderr(do_load, &a));
		assert_int_equal(a.rc, 0);
		assert_int_equal(scanner_info(a.sc)->from_cache, i);
		assert_int_equal(scanner_info(a.sc)->failed, 1);
		assert_string_equal(scanner_info(a.sc)->version, v1);
		assert_non_null(strstr(log, "b.yar:3: "));
		scanner_free(a.sc);
		free(log);
	}
}

/* The caller keeps its scanner when a reload fails. */
static void
test_reload_keeps_old(void **state)
{
	struct fx		*fx = *state;
	struct load_args	 a = { { NULL }, 1, NULL, 0, NULL };
	struct scanner		*old;
	struct scanner_result	 r;
	char			 p[PATH_MAX], *log;

	snprintf(p, sizeof(p), "%s", puts_(fx, "r.yar", GOOD_RULE));
	old = load1(p, 0, 0, NULL);
	puts_(fx, "r.yar", BAD_RULE);
	a.paths[0] = p;
	assert_non_null(log = capture_stderr(do_load, &a));
	free(log);
	assert_int_equal(a.rc, ERR_NOTFOUND);
	scanner_scan_path(old, &r, puts_(fx, "f", "vigil-good"));
	assert_int_equal(r.status, SCAN_MATCH);
	scanner_result_clear(&r);
	scanner_free(old);
}

/* ---- external variables ---- */

static void
test_externals(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	struct passwd		*pw;
	uint8_t			 pe[SAMPLE_PE_SIZE];
	char			 rules[PATH_MAX * 3], rp[PATH_MAX], cwd[PATH_MAX];
	char			 dir[PATH_MAX];

	assert_non_null(pw = getpwuid(geteuid()));
	snprintf(dir, sizeof(dir), "%s", at(fx, "ext"));
	snprintf(rules, sizeof(rules),
	    "rule ext_name { condition: filename == \"Invoice.PDF.exe\" and "
	    "extension == \".exe\" }\n"
	    "rule ext_path { condition: filepath == \"%s\" }\n"
	    "rule ext_owner { condition: owner == \"%s\" }\n"
	    "rule ext_type { condition: filetype == \"EXE\" }\n"
	    "rule ext_none { condition: extension == \"\" and filetype == \"\" }\n",
	    dir, pw->pw_name);
	snprintf(rp, sizeof(rp), "%s", puts_(fx, "ext.yar", rules));
	sc = load1(rp, 0, 0, NULL);
	scanner_scan_path(sc, &r, put(fx, "ext/Invoice.PDF.exe", pe,
	    sample_pe(pe, sizeof(pe))));
	assert_int_equal(r.status, SCAN_MATCH);
	assert_non_null(find_match(&r, "ext_name"));
	assert_non_null(find_match(&r, "ext_path"));
	assert_non_null(find_match(&r, "ext_owner"));
	assert_non_null(find_match(&r, "ext_type"));
	assert_int_equal(r.nmatches, 4);
	assert_string_equal(r.filetype, "EXE");
	assert_string_equal(r.owner, pw->pw_name);
	scanner_result_clear(&r);

	/* relative path: filepath is still the absolute folder */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(fx->t.path), 0);
	scanner_scan_path(sc, &r, "ext/Invoice.PDF.exe");
	assert_non_null(find_match(&r, "ext_path"));
	scanner_result_clear(&r);
	assert_int_equal(chdir(dir), 0);
	scanner_scan_path(sc, &r, "./Invoice.PDF.exe");
	assert_non_null(find_match(&r, "ext_path"));
	scanner_result_clear(&r);
	assert_int_equal(chdir(cwd), 0);

	/* no extension (a leading dot does not make one), unknown type */
	scanner_scan_path(sc, &r, puts_(fx, "ext/.profile", "x=1\n"));
	assert_non_null(find_match(&r, "ext_none"));
	assert_null(find_match(&r, "ext_type"));
	scanner_result_clear(&r);
	scanner_free(sc);
}

/* ---- verdicts other than clean and match ---- */

static void
test_too_big(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	char			 buf[2000], *text;
	json_t			*ev, *j;

	memset(buf, 'a', sizeof(buf));
	sc = load1(fx->rules, 1000, 10, NULL);
	scanner_scan_path(sc, &r, put(fx, "big", buf, sizeof(buf)));
	assert_int_equal(r.status, SCAN_TOOBIG);
	assert_true(r.have_stat);
	assert_int_equal(r.size, 2000);
	assert_non_null(strstr(r.reason, "2000"));
	assert_non_null(ev = scanner_event(&r, NULL));
	assert_non_null(text = json_dumps(ev, JSON_COMPACT));
	assert_non_null(j = json_object_get(ev, "scan"));
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "too_big");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev,
	    "file"), "size")), 2000);
	free(text);
	json_decref(ev);
	scanner_result_clear(&r);
	/* exactly the limit is scanned */
	scanner_scan_path(sc, &r, put(fx, "limit", buf, 1000));
	assert_int_equal(r.status, SCAN_CLEAN);
	assert_null(scanner_event(&r, NULL));
	scanner_result_clear(&r);
	scanner_free(sc);
}

/* A loop over every pair of bytes: hours on 4 MB, so the 1 s timeout must
 * stop it. */
static void
test_timeout(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	char			 rp[PATH_MAX];
	double			 t0;
	int			 fd;

	snprintf(rp, sizeof(rp), "%s", puts_(fx, "slow.yar",
	    "rule slow { condition: for all i in (0..filesize - 1) : "
	    "(for all j in (0..filesize - 1) : (uint8(i) == uint8(j))) }\n"));
	sc = load1(rp, 0, 1, NULL);
	assert_true((fd = open(at(fx, "zeros"), O_WRONLY | O_CREAT, 0600)) !=
	    -1);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	close(fd);
	t0 = now_s();
	scanner_scan_path(sc, &r, at(fx, "zeros"));
	assert_int_equal(r.status, SCAN_TIMEOUT);
	assert_true(now_s() - t0 < 15);
	assert_string_equal(scanner_status_name(r.status), "timeout");
	scanner_result_clear(&r);
	/* the scanner is still good afterwards */
	scanner_scan_path(sc, &r, puts_(fx, "small", "x"));
	assert_int_equal(r.status, SCAN_MATCH);
	scanner_result_clear(&r);
	scanner_free(sc);
}

/* 0 if the scan says permission denied. No cmocka here: it also runs in
 * a forked child. */
static int
scan_denied(struct scanner *sc, const char *path)
{
	struct scanner_result	r;
	int			ok;

	scanner_scan_path(sc, &r, path);
	ok = r.status == SCAN_UNREADABLE &&
	    strcmp(r.reason, strerror(EACCES)) == 0;
	scanner_result_clear(&r);
	return ok ? 0 : 1;
}

/* chmod 000. Root reads anything, so as root the scan runs in a child
 * that has dropped to nobody (65534), on a file in a folder it may
 * enter. */
static void
test_unreadable(void **state)
{
	struct fx	*fx = *state;
	struct scanner	*sc;
	char		 dir[] = "/tmp/vigil-scan-unreadable.XXXXXX";
	char		 path[PATH_MAX];
	pid_t		 pid;
	int		 status, fd;

	sc = load1(fx->rules, 0, 10, NULL);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0711), 0);
	snprintf(path, sizeof(path), "%s/secret", dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0000)) != -1);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	if (geteuid() != 0)
		assert_int_equal(scan_denied(sc, path), 0);
	else {
		assert_true((pid = fork()) != -1);
		if (pid == 0) {
			if (setgroups(0, NULL) == -1 ||
			    setresgid(65534, 65534, 65534) == -1 ||
			    setresuid(65534, 65534, 65534) == -1)
				_exit(3);
			_exit(scan_denied(sc, path));
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	unlink(path);
	rmdir(dir);
	scanner_free(sc);
}

static void
expect_special(struct scanner *sc, const char *path, const char *what)
{
	struct scanner_result	r;

	scanner_scan_path(sc, &r, path);
	assert_int_equal(r.status, SCAN_SPECIAL);
	assert_string_equal(r.reason, what);
	assert_string_equal(scanner_status_name(r.status), "special");
	scanner_result_clear(&r);
}

/* FIFOs, devices, sockets, folders and links are never read; alarm()
 * turns a hang into a failure. */
static void
test_special(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	struct sockaddr_un	 sun;
	int			 s, fd, in;

	sc = load1(fx->rules, 0, 10, NULL);
	alarm(20);
	assert_int_equal(mkfifo(at(fx, "fifo"), 0600), 0);
	/* looked at through O_PATH: never opened (IN_OPEN would say) */
	assert_true((in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) != -1);
	assert_true(inotify_add_watch(in, at(fx, "fifo"), IN_OPEN) != -1);
	if (geteuid() == 0) {	/* /dev/null's numbers, ours alone */
		assert_int_equal(mknod(at(fx, "null"), S_IFCHR | 0600,
		    makedev(1, 3)), 0);
		assert_true(inotify_add_watch(in, at(fx, "null"), IN_OPEN) !=
		    -1);
		expect_special(sc, at(fx, "null"), "a character device");
	}
	expect_special(sc, at(fx, "fifo"), "a FIFO");
	assert_int_equal(read(in, &sun, sizeof(sun)), -1);
	assert_int_equal(errno, EAGAIN);
	close(in);
	expect_special(sc, "/dev/null", "a character device");
	expect_special(sc, fx->t.path, "a folder");
	assert_int_equal(symlink("/dev/zero", at(fx, "link")), 0);
	expect_special(sc, at(fx, "link"), "a symbolic link");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    at(fx, "sock")) < sizeof(sun.sun_path)) {
		assert_true((s = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
		assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)),
		    0);
		expect_special(sc, at(fx, "sock"), "a socket");
		close(s);
	}
	/* a descriptor handed over: fstat decides */
	assert_true((fd = open(at(fx, "fifo"), O_RDONLY | O_NONBLOCK)) != -1);
	scanner_scan_fd(sc, &r, fd, at(fx, "fifo"));
	assert_int_equal(r.status, SCAN_SPECIAL);
	scanner_result_clear(&r);
	close(fd);
	alarm(0);
	scanner_free(sc);
}

/* Listed, then gone before the scan; and deleted after opening: the
 * descriptor still reaches the file that was checked. */
static void
test_vanished(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	char			 path[PATH_MAX];
	int			 fd;

	sc = load1(fx->rules, 0, 10, NULL);
	snprintf(path, sizeof(path), "%s", put_sample(fx, &scan_samples[0]));
	assert_int_equal(unlink(path), 0);
	scanner_scan_path(sc, &r, path);
	assert_int_equal(r.status, SCAN_UNREADABLE);
	assert_string_equal(r.reason, strerror(ENOENT));
	assert_false(r.have_stat);
	scanner_result_clear(&r);

	put_sample(fx, &scan_samples[0]);
	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(unlink(path), 0);
	scanner_scan_fd(sc, &r, fd, path);
	assert_int_equal(r.status, SCAN_MATCH);
	assert_string_equal(r.matches[0].rule, "EICAR_Test_File");
	scanner_result_clear(&r);
	close(fd);
	scanner_free(sc);
}

/* ---- events ---- */

static json_t *
event_of(const struct scanner_result *r, const struct scanner_match *m)
{
	struct event_meta	 meta;
	json_t			*ev;
	char			*text;
	size_t			 len;

	assert_non_null(ev = scanner_event(r, m));
	assert_non_null(text = event_dump(ev, &len));
	assert_int_equal(event_parse(&meta, text, len, NULL), 0);
	json_decref(ev);
	assert_non_null(ev = json_loadb(text, len, 0, NULL));
	free(text);
	return ev;
}

static void
test_alert_event(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	uint8_t			 buf[256], h[crypto_hash_sha256_BYTES];
	char			 hex[65];
	size_t			 len;
	json_t			*ev, *a, *f, *y;
	int64_t			 ts;

	sc = load1(fx->rules, 0, 10, NULL);
	len = sample_eicar(buf, sizeof(buf));
	scanner_scan_path(sc, &r, put_sample(fx, &scan_samples[0]));
	assert_int_equal(r.status, SCAN_MATCH);
	ev = event_of(&r, &r.matches[0]);
	assert_string_equal(json_string_value(json_object_get(ev,
	    "event_type")), "alert");
	a = json_object_get(ev, "alert");
	assert_string_equal(json_string_value(json_object_get(a, "action")),
	    "allowed");
	assert_int_equal(json_integer_value(json_object_get(a, "gid")), 2);
	assert_int_equal(json_integer_value(json_object_get(a, "rev")), 1);
	assert_int_equal(json_integer_value(json_object_get(a,
	    "signature_id")), scanner_signature_id("eicar.yar",
	    "EICAR_Test_File"));
	assert_string_equal(json_string_value(json_object_get(a, "signature")),
	    "EICAR_Test_File");
	assert_string_equal(json_string_value(json_object_get(a, "category")),
	    "Test");
	assert_int_equal(json_integer_value(json_object_get(a, "severity")), 3);
	f = json_object_get(ev, "file");
	assert_int_equal(json_integer_value(json_object_get(f, "size")), len);
	crypto_hash_sha256(h, buf, len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	assert_string_equal(json_string_value(json_object_get(f, "sha256")),
	    hex);
	assert_int_equal(json_integer_value(json_object_get(f, "uid")),
	    geteuid());
	assert_non_null(json_string_value(json_object_get(f, "owner")));
	assert_int_equal(event_parse_ts(&ts, json_string_value(
	    json_object_get(f, "mtime"))), 0);
	assert_true(json_integer_value(json_object_get(f, "inode")) > 0);
	assert_non_null(json_object_get(f, "device"));
	assert_null(json_object_get(f, "path_escaped"));
	y = json_object_get(ev, "yara");
	assert_string_equal(json_string_value(json_object_get(y, "rule")),
	    "EICAR_Test_File");
	assert_string_equal(json_string_value(json_object_get(y, "namespace")),
	    "eicar.yar");
	assert_true(json_is_array(json_object_get(y, "tags")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(y,
	    "strings"), 0)), "$eicar");
	assert_string_equal(json_string_value(json_object_get(json_object_get(y,
	    "meta"), "author")), "vigil");
	json_decref(ev);
	scanner_result_clear(&r);
	scanner_free(sc);
}

/* Tags, typed and repeated meta, private strings, the default category,
 * and a meta value that is not UTF-8. */
static void
test_event_meta(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	char			 rp[PATH_MAX];
	json_t			*ev, *y, *m, *v;

	snprintf(rp, sizeof(rp), "%s", puts_(fx, "m.yar",
	    "rule tagged : web php {\n"
	    " meta:\n  hash = \"aa\"\n  hash = \"bb\"\n  score = 85\n"
	    "  active = true\n  note = \"caf\\xe9\"\n"
	    " strings:\n  $a = \"vigil-meta\"\n  $p = \"vigil\" private\n"
	    "  $unused = \"nothere\"\n"
	    " condition: $a and $p and not $unused }\n"));
	sc = load1(rp, 0, 0, NULL);
	scanner_scan_path(sc, &r, puts_(fx, "f", "vigil-meta"));
	assert_int_equal(r.status, SCAN_MATCH);
	assert_int_equal(r.matches[0].ntags, 2);
	assert_int_equal(r.matches[0].nstrings, 1);	/* $a: not $p, $unused */
	assert_int_equal(scanner_severity(&r.matches[0]), 1);	/* score 85 */
	ev = event_of(&r, &r.matches[0]);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    ev, "alert"), "category")), "Malware");
	y = json_object_get(ev, "yara");
	assert_string_equal(json_string_value(json_array_get(json_object_get(y,
	    "tags"), 1)), "php");
	m = json_object_get(y, "meta");
	v = json_object_get(m, "hash");
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(json_string_value(json_array_get(v, 1)), "bb");
	assert_int_equal(json_integer_value(json_object_get(m, "score")), 85);
	assert_true(json_is_true(json_object_get(m, "active")));
	assert_string_equal(json_string_value(json_object_get(m, "note")),
	    "caf\\xe9");
	json_decref(ev);
	scanner_result_clear(&r);
	scanner_free(sc);
}

/* A path that is not UTF-8 gives valid JSON: bad bytes as \xNN, a
 * backslash doubled, path_escaped set; a UTF-8 path is kept as it is. */
static void
test_non_utf8_path(void **state)
{
	struct fx		*fx = *state;
	struct scanner		*sc;
	struct scanner_result	 r;
	const char		*p;
	char			 want[PATH_MAX * 2];
	json_t			*ev, *f;

	sc = load1(fx->rules, 0, 10, NULL);
	scanner_scan_path(sc, &r, puts_(fx, "www/caf\xe9\\\xff.php",
	    scan_samples[1].text));
	assert_int_equal(r.status, SCAN_MATCH);
	ev = event_of(&r, &r.matches[0]);
	f = json_object_get(ev, "file");
	snprintf(want, sizeof(want), "%s/www/caf\\xe9\\\\\\xff.php",
	    fx->t.path);
	assert_string_equal(json_string_value(json_object_get(f, "path")), want);
	assert_true(json_is_true(json_object_get(f, "path_escaped")));
	json_decref(ev);
	scanner_result_clear(&r);

	/* a problem event for such a path, too */
	scanner_scan_path(sc, &r, at(fx, "gone-\xc3\x28"));
	assert_int_equal(r.status, SCAN_UNREADABLE);
	ev = event_of(&r, NULL);
	f = json_object_get(ev, "scan");
	p = json_string_value(json_object_get(f, "path"));
	assert_non_null(strstr(p, "gone-\\xc3("));
	assert_string_equal(json_string_value(json_object_get(f, "status")),
	    "unreadable");
	assert_true(json_is_true(json_object_get(f, "path_escaped")));
	json_decref(ev);
	scanner_result_clear(&r);

	/* UTF-8 (Vietnamese) stays as it is */
	scanner_scan_path(sc, &r, puts_(fx, "www/H\xc3\xb3" "a \xc4\x91\xc6\xa1"
	    "n.php", scan_samples[1].text));
	ev = event_of(&r, &r.matches[0]);
	f = json_object_get(ev, "file");
	assert_non_null(strstr(json_string_value(json_object_get(f, "path")),
	    "H\xc3\xb3" "a \xc4\x91\xc6\xa1n.php"));
	assert_null(json_object_get(f, "path_escaped"));
	json_decref(ev);
	scanner_result_clear(&r);
	scanner_free(sc);
}

/* Paths past PATH_MAX (files may lie that deep: issue 8, item 10) are
 * cut in the middle, marked, between UTF-8 sequences, and every event
 * still fits: even one with two copies of a path that is all invalid
 * bytes (each escaped to four characters). */
static void
test_long_path_event(void **state)
{
	struct scanner_result	 r;
	struct event_meta	 meta;
	const char		*p;
	char			*path, *text;
	size_t			 len, i;
	json_t			*ev, *s;

	(void)state;
	assert_non_null(path = malloc(3 * PATH_MAX));
	memset(&r, 0, sizeof(r));

	/* invalid bytes throughout, two copies (scan and file) */
	path[0] = '/';
	memset(path + 1, 0xff, 3 * PATH_MAX - 2);
	path[3 * PATH_MAX - 1] = '\0';
	r.path = path;
	r.status = SCAN_OTHER_FS;
	r.have_stat = 1;
	snprintf(r.reason, sizeof(r.reason), "on a FUSE file system");
	assert_non_null(ev = scanner_event(&r, NULL));
	assert_non_null(text = event_dump(ev, &len));
	assert_true(len <= EVENT_MAX_LEN);
	assert_int_equal(event_parse(&meta, text, len, NULL), 0);
	free(text);
	s = json_object_get(ev, "scan");
	assert_true(json_is_true(json_object_get(s, "path_truncated")));
	assert_true(json_is_true(json_object_get(s, "path_escaped")));
	assert_true(json_is_true(json_object_get(json_object_get(ev, "file"),
	    "path_truncated")));
	assert_non_null(strstr(json_string_value(json_object_get(s, "path")),
	    "/.../"));
	json_decref(ev);

	/* valid UTF-8 ("ệ", three bytes) at every offset: kept whole on
	 * both sides of the cut, so nothing needs escaping */
	for (i = 1; i + 3 < 3 * PATH_MAX - 10; i += 3)
		memcpy(path + i, "\xe1\xbb\x87", 3);
	memcpy(path + i, "/f.exe", 7);
	r.status = SCAN_STALLED;
	assert_non_null(ev = scanner_event(&r, NULL));
	s = json_object_get(ev, "scan");
	p = json_string_value(json_object_get(s, "path"));
	assert_true(strlen(p) <= SCANNER_EVENT_PATH);
	assert_int_equal(strncmp(p + strlen(p) - 6, "/f.exe", 6), 0);
	assert_null(json_object_get(s, "path_escaped"));
	assert_true(json_is_true(json_object_get(s, "path_truncated")));
	assert_string_equal(json_string_value(json_object_get(s, "status")),
	    "stalled");
	json_decref(ev);

	/* up to SCANNER_EVENT_PATH bytes: whole, unmarked */
	path[SCANNER_EVENT_PATH] = '\0';
	while (((unsigned char)path[strlen(path) - 1] & 0xc0) == 0x80 ||
	    (unsigned char)path[strlen(path) - 1] == 0xe1)
		path[strlen(path) - 1] = '\0';
	assert_non_null(ev = scanner_event(&r, NULL));
	s = json_object_get(ev, "scan");
	assert_string_equal(json_string_value(json_object_get(s, "path")),
	    path);
	assert_null(json_object_get(s, "path_truncated"));
	json_decref(ev);
	free(path);
	assert_string_equal(scanner_status_name(SCAN_OTHER_FS), "other_fs");
	assert_string_equal(scanner_status_name(SCAN_STALLED), "stalled");
}

static void
test_severity(void **state)
{
	static const struct {
		enum scanner_meta_type	 type;
		const char		*key, *str;
		int64_t			 num;
		int			 want;
	} t[] = {
		{ SCANNER_META_INT, "severity", NULL, 1, 1 },
		{ SCANNER_META_INT, "severity", NULL, 3, 3 },
		{ SCANNER_META_INT, "severity", NULL, 0, 2 },
		{ SCANNER_META_INT, "severity", NULL, 7, 2 },
		{ SCANNER_META_STRING, "severity", "High", 0, 1 },
		{ SCANNER_META_STRING, "severity", "critical", 0, 1 },
		{ SCANNER_META_STRING, "severity", "MEDIUM", 0, 2 },
		{ SCANNER_META_STRING, "severity", "low", 0, 3 },
		{ SCANNER_META_STRING, "severity", "informational", 0, 3 },
		{ SCANNER_META_STRING, "severity", "2", 0, 2 },
		{ SCANNER_META_STRING, "severity", "urgent", 0, 2 },
		{ SCANNER_META_INT, "score", NULL, 100, 1 },
		{ SCANNER_META_INT, "score", NULL, 80, 1 },
		{ SCANNER_META_INT, "score", NULL, 79, 2 },
		{ SCANNER_META_INT, "score", NULL, 60, 2 },
		{ SCANNER_META_INT, "score", NULL, 40, 3 },
		{ SCANNER_META_STRING, "score", "75", 0, 2 },
		{ SCANNER_META_STRING, "score", "x75", 0, 2 },
		{ SCANNER_META_BOOL, "severity", NULL, 1, 2 },
		{ SCANNER_META_STRING, "author", "vigil", 0, 2 },
	};
	struct scanner_meta	meta[2];
	struct scanner_match	m;
	size_t			i;

	for (i = 0; i < NITEMS(t); i++) {
		memset(&m, 0, sizeof(m));
		meta[0].key = t[i].key;
		meta[0].type = t[i].type;
		meta[0].str = t[i].str;
		meta[0].num = t[i].num;
		m.meta = meta;
		m.nmeta = 1;
		if (scanner_severity(&m) != t[i].want)
			fail_msg("row %zu: %d, want %d", i,
			    scanner_severity(&m), t[i].want);
	}
	/* severity wins over score */
	meta[0] = (struct scanner_meta){ "score", SCANNER_META_INT, NULL, 90 };
	meta[1] = (struct scanner_meta){ "severity", SCANNER_META_STRING,
	    "low", 0 };
	m.nmeta = 2;
	assert_int_equal(scanner_severity(&m), 3);
	m.nmeta = 0;
	assert_int_equal(scanner_severity(&m), 2);
}

static void
test_signature_id(void **state)
{
	uint32_t	a = scanner_signature_id("eicar.yar", "EICAR_Test_File");

	assert_int_equal(a, scanner_signature_id("eicar.yar",
	    "EICAR_Test_File"));
	assert_true(a > 0 && a <= 0x7fffffff);
	assert_int_not_equal(a, scanner_signature_id("eicar.ya",
	    "rEICAR_Test_File"));
	assert_int_not_equal(a, scanner_signature_id("other.yar",
	    "EICAR_Test_File"));
}

/* ---- threads ---- */

struct thr {
	struct scanner	*sc;
	const char	*path;
	int		 ok;
};

static void *
scan_many(void *arg)
{
	struct thr		*t = arg;
	struct scanner_result	 r;
	int			 i;

	for (i = 0; i < 50; i++) {
		scanner_scan_path(t->sc, &r, t->path);
		t->ok += r.status == SCAN_MATCH && r.nmatches == 1 &&
		    strcmp(r.matches[0].rule, "Ransom_Note") == 0;
		scanner_result_clear(&r);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct fx	*fx = *state;
	struct thr	 t[8];
	pthread_t	 tid[8];
	struct scanner	*sc;
	char		 path[PATH_MAX];
	size_t		 i;

	sc = load1(fx->rules, 0, 10, NULL);
	snprintf(path, sizeof(path), "%s", put_sample(fx, &scan_samples[8]));
	for (i = 0; i < NITEMS(t); i++) {
		t[i] = (struct thr){ sc, path, 0 };
		assert_int_equal(pthread_create(&tid[i], NULL, scan_many,
		    &t[i]), 0);
	}
	for (i = 0; i < NITEMS(t); i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(t[i].ok, 50);
	}
	scanner_free(sc);
}

/* ---- memory: match lists, match data, file data (issue 8) ---- */

/* A field of /proc/self/status, in kB; -1 if missing. */
static long
status_kb(const char *key)
{
	char	 line[256];
	FILE	*fp;
	long	 v = -1;
	size_t	 n = strlen(key);

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(fp);
	return v;
}

/*
 * Run fn(arg) in a child process and return how far its peak RSS
 * (field "VmHWM") or its RSS once fn returned ("VmRSS") rose above its
 * RSS before, in kB (VmHWM is reset first by writing 5 to
 * /proc/self/clear_refs), or -1 if fn failed (or gave back more than it
 * took). A child, so that what
 * earlier tests allocated (and ASan's quarantine) does not blur it. No
 * cmocka in the child.
 */
static long
child_kb(int (*fn)(void *), void *arg, const char *field)
{
	long	 v = -1, rss0;
	int	 p[2], st, fd;
	pid_t	 pid;

	assert_int_equal(pipe(p), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		/* what the parent freed but kept must not count as given
		 * back by fn */
		(void)malloc_trim(0);
		if ((fd = open("/proc/self/clear_refs", O_WRONLY)) != -1) {
			if (write(fd, "5", 1) != 1)
				_exit(1);
			close(fd);
		}
		rss0 = status_kb("VmRSS");
		if (fn(arg) == 0 && rss0 > 0 && status_kb(field) >= rss0)
			v = status_kb(field) - rss0;
		_exit(write(p[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &v, sizeof(v)), sizeof(v));
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return v;
}

/* A file of len bytes: copies of byte c, then tail (NULL: none). */
static char *
put_fill(const struct fx *fx, const char *rel, int c, size_t len,
    const char *tail)
{
	char	*buf, *path;
	size_t	 n = tail != NULL ? strlen(tail) : 0;

	assert_true(n <= len);
	assert_non_null(buf = malloc(len));
	memset(buf, c, len - n);
	memcpy(buf + len - n, tail != NULL ? tail : "", n);
	path = put(fx, rel, buf, len);
	free(buf);
	return path;
}

struct one_scan {
	struct scanner		*sc;
	const char		*path;
	const char		*rule;		/* must match */
	const char		*status;	/* of scanner_event(r, NULL) */
	const char		*reason;	/* in that event's reason */
};

/* 0 if the scan matched rule and the problem-or-warning event is as
 * expected (status NULL: no such event). */
static int
scan_check(void *arg)
{
	struct one_scan		*o = arg;
	struct scanner_result	 r;
	json_t			*ev, *s;
	const char		*st, *why;
	int			 ok;

	scanner_scan_path(o->sc, &r, o->path);
	ok = r.status == SCAN_MATCH && r.nmatches == 1 &&
	    strcmp(r.matches[0].rule, o->rule) == 0 &&
	    r.matches[0].nstrings == 1 &&
	    strcmp(r.matches[0].strings[0], "$a") == 0;
	ev = scanner_event(&r, NULL);
	if (o->status == NULL)
		ok = ok && ev == NULL;
	else {
		s = json_object_get(ev, "scan");
		st = json_string_value(json_object_get(s, "status"));
		why = json_string_value(json_object_get(s, "reason"));
		ok = ok && st != NULL && strcmp(st, o->status) == 0 &&
		    why != NULL && strstr(why, o->reason) != NULL &&
		    strstr(why, o->rule) != NULL;
	}
	json_decref(ev);
	scanner_result_clear(&r);
	return ok ? 0 : -1;
}

static struct scanner *
load_text(const struct fx *fx, const char *name, const char *text)
{
	char	rp[PATH_MAX];

	snprintf(rp, sizeof(rp), "%s", puts_(fx, name, text));
	return load1(rp, 0, 60, NULL);
}

/* Scan a file of len 'A's with the rule "name" (text), which must match
 * with $a and give no warning; the peak RSS may rise by max_kb. */
static void
check_peak(const struct fx *fx, const char *name, const char *text,
    size_t len, long max_kb)
{
	struct one_scan		 o = { NULL, NULL, name, NULL, NULL };
	long			 kb;

	o.sc = load_text(fx, "peak.yar", text);
	o.path = put_fill(fx, "As", 'A', len, NULL);
	kb = child_kb(scan_check, &o, "VmHWM");
	print_message("%s: peak RSS +%ld kB\n", name, kb);
	assert_true(kb >= 0);
	if (kb > max_kb)
		fail_msg("%s: peak RSS rose by %ld kB (at most %ld)", name, kb,
		    max_kb);
	scanner_free(o.sc);
}

/*
 * A string found at each of 4 million offsets, by a rule that only asks
 * whether it is there: libyara used to keep a match record (56 bytes and
 * a copy of the data) for each of the first million, 60 MB for one file,
 * and then give up on the string without a word. Fast mode keeps one.
 * The file itself is read into a 4 MiB buffer.
 */
static void
test_many_matches(void **state)
{
	check_peak(*state, "many",
	    "rule many { strings: $a = \"AAAA\" condition: $a }\n",
	    4 << 20, 12 * 1024);
}

/*
 * A rule that counts its string keeps every match, but not a copy of
 * what matched (vigil never reports it): 200,000 matches of 256 bytes
 * took 62 MB with libyara's default of 512 bytes copied per match, 11 MB
 * without.
 */
static void
test_match_data_not_copied(void **state)
{
	char	rule[512], a[257];

	memset(a, 'A', 256);
	a[256] = '\0';
	snprintf(rule, sizeof(rule), "rule counted { strings: $a = \"%s\" "
	    "condition: #a > 1000 }\n", a);
	check_peak(*state, "counted", rule, 200000 + 255, 24 * 1024);
}

/*
 * More matches of a counted string than libyara keeps (1,000,000): the
 * scan goes on without that string, as the yara command does, and the
 * verdict says so, naming the rule and the string, in a "scan" event
 * besides the alert: never silently.
 */
static void
test_too_many_matches(void **state)
{
	struct fx		*fx = *state;
	struct one_scan		 o = { NULL, NULL, "counted",
	    "too_many_matches", "$a" };
	struct scanner_result	 r;
	json_t			*ev;

	o.sc = load_text(fx, "counted.yar",
	    "rule counted { strings: $a = \"AA\" condition: #a > 5 }\n");
	o.path = put_fill(fx, "As", 'A', 1000000 + 100, NULL);
	assert_int_equal(scan_check(&o), 0);
	/* fewer than the limit: no warning */
	o.path = put_fill(fx, "fewer", 'A', 1000, NULL);
	o.status = NULL;
	assert_int_equal(scan_check(&o), 0);
	/* a clean verdict with too many matches is reported too */
	scanner_free(o.sc);
	o.sc = load_text(fx, "counted2.yar",
	    "rule counted { strings: $a = \"AA\" condition: #a < 5 }\n");
	scanner_scan_path(o.sc, &r, at(fx, "As"));
	assert_int_equal(r.status, SCAN_CLEAN);
	assert_non_null(ev = scanner_event(&r, NULL));
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(ev, "scan"), "status")), "too_many_matches");
	json_decref(ev);
	scanner_result_clear(&r);
	scanner_free(o.sc);
}

struct data_job {
	struct scanner	*sc;
	const char	*path;
	int		 rounds;
	int		 ok;
};

static void *
scan_rounds(void *arg)
{
	struct data_job		*j = arg;
	struct scanner_result	 r;
	int			 i;

	for (i = 0; i < j->rounds; i++) {
		scanner_scan_path(j->sc, &r, j->path);
		j->ok += r.status == SCAN_MATCH;
		scanner_result_clear(&r);
	}
	return NULL;
}

static int
scan_two_big(void *arg)
{
	struct data_job	*j = arg;
	pthread_t	 tid[2];
	int		 i;

	for (i = 0; i < 2; i++)
		if (pthread_create(&tid[i], NULL, scan_rounds, &j[i]) != 0)
			return -1;
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	return j[0].ok == j[0].rounds && j[1].ok == j[1].rounds ? 0 : -1;
}

/*
 * A file is scanned whole from memory, so two threads scanning two
 * 24 MiB files at once held 48 MiB: the scans together now hold at most
 * 32 MiB of file data, and a larger file is scanned alone, without
 * starving or being starved by the small ones.
 */
static void
test_file_data_bounded(void **state)
{
	struct fx	*fx = *state;
	struct data_job	 j[2];
	struct scanner	*sc;
	char		 p1[PATH_MAX], p2[PATH_MAX];
	long		 kb;

	sc = load_text(fx, "end.yar",
	    "rule end { strings: $a = \"the end\" condition: $a }\n");
	snprintf(p1, sizeof(p1), "%s", put_fill(fx, "big1", 'x', 24 << 20,
	    "the end"));
	snprintf(p2, sizeof(p2), "%s", put_fill(fx, "big2", 'y', 24 << 20,
	    "the end"));
	j[0] = (struct data_job){ sc, p1, 4, 0 };
	j[1] = (struct data_job){ sc, p2, 4, 0 };
	kb = child_kb(scan_two_big, j, "VmHWM");
	print_message("peak RSS +%ld kB\n", kb);
	assert_true(kb >= 0);
	if (kb > 40 * 1024)
		fail_msg("peak RSS rose by %ld kB: both 24 MiB files held "
		    "at once", kb);
	/* over the budget: scanned alone, while small files go on */
	snprintf(p2, sizeof(p2), "%s", puts_(fx, "small", "the end"));
	snprintf(p1, sizeof(p1), "%s", put_fill(fx, "huge", 'z', 40 << 20,
	    NULL));
	j[0] = (struct data_job){ sc, p1, 2, 0 };
	j[1] = (struct data_job){ sc, p2, 200, 0 };
	assert_int_equal(scan_two_big(j), -1);	/* huge has no "the end" */
	assert_int_equal(j[0].ok, 0);
	assert_int_equal(j[1].ok, 200);
	scanner_free(sc);
}

/*
 * scanner_data_fits(), the hint `vigil-agent scan` uses to take a small
 * file instead of waiting behind a large one: while a 24 MiB file is
 * being scanned (a rule that loops until the 2 s timeout), another 24 MiB
 * would wait and 1 MiB would not.
 */
static void
test_data_fits(void **state)
{
	struct fx	*fx = *state;
	struct data_job	 j;
	struct scanner	*sc;
	pthread_t	 tid;
	char		 rp[PATH_MAX];
	double		 t0;

	snprintf(rp, sizeof(rp), "%s", puts_(fx, "slow.yar",
	    "rule slow { condition: for all i in (0..filesize - 1) : "
	    "(for all k in (0..filesize - 1) : (uint8(i) == uint8(k))) }\n"));
	sc = load1(rp, 0, 2, NULL);
	assert_true(scanner_data_fits(sc, 24 << 20));
	assert_true(scanner_data_fits(sc, 100 << 20));	/* alone */
	j = (struct data_job){ sc, put_fill(fx, "big", 0, 24 << 20, NULL), 1,
	    0 };
	assert_int_equal(pthread_create(&tid, NULL, scan_rounds, &j), 0);
	t0 = now_s();
	while (scanner_data_fits(sc, 24 << 20) && now_s() - t0 < 10)
		usleep(1000);
	assert_false(scanner_data_fits(sc, 24 << 20));
	assert_true(scanner_data_fits(sc, 1 << 20));
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(j.ok, 0);		/* timed out */
	assert_true(scanner_data_fits(sc, 24 << 20));
	scanner_free(sc);
}

struct cached_load {
	const char	*rules;
	const char	*cache;
};

static int
load_cached(void *arg)
{
	struct cached_load	*c = arg;
	struct scanner_opts	 o = { .timeout = 10,
	    .cache_dir = c->cache };
	struct scanner		*sc;
	const char		*paths[1] = { c->rules };

	if (scanner_load(&sc, paths, 1, &o) != 0)
		return -1;
	/* not freed: the child measures what the loaded set keeps */
	return 0;
}

/*
 * A rule set loaded from the compiled cache keeps its buffers, not
 * libyara's list of one malloc'd record per pointer in them (only needed
 * to save the set again): for these 3,000 rules of 4 strings, 117,001
 * records, 3.6 MB with malloc's headers, against 2.2 MB of rules. ASan
 * keeps freed memory in quarantine, so there only the load is checked.
 */
static void
test_cache_relocs_freed(void **state)
{
	struct fx		*fx = *state;
	struct cached_load	 c;
	struct scanner		*sc;
	char			 rp[PATH_MAX], cache[PATH_MAX], *text, *p;
	size_t			 i, k, len = 3000 * 160;
	long			 kb;

	assert_non_null(text = p = malloc(len));
	for (i = 0; i < 3000; i++) {
		p += sprintf(p, "rule r%zu { strings:", i);
		for (k = 0; k < 4; k++)
			p += sprintf(p, " $s%zu = \"s%04zu-%zu-%08zx\"", k, i, k,
			    (i * 7919 + k * 104729) & 0xffffffff);
		p += sprintf(p, " condition: any of them }\n");
		assert_true((size_t)(p - text) < len - 200);
	}
	snprintf(rp, sizeof(rp), "%s", puts_(fx, "gen.yar", text));
	free(text);
	snprintf(cache, sizeof(cache), "%s", at(fx, "cache"));
	c = (struct cached_load){ rp, cache };
	/* compiled and cached in a child too, so that this process's heap
	 * has not grown to hold the set before the measured child starts */
	(void)child_kb(load_cached, &c, "VmRSS");
	kb = child_kb(load_cached, &c, "VmRSS");
	sc = load1(rp, 0, 10, cache);
	assert_true(scanner_info(sc)->from_cache);
	scanner_free(sc);
	print_message("resident after loading from the cache: +%ld kB\n", kb);
	assert_true(kb >= 0);
#if UNDER_ASAN
	print_message("ASan: freed memory stays in quarantine; not checked\n");
#else
	/* 2.5 MB with the records freed, 5.8 MB with them kept */
	if (kb > 4 * 1024)
		fail_msg("a cached set of 2.2 MB kept %ld kB resident", kb);
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_default_rules_fire),
		T(test_clean_files),
		T(test_bad_file_skipped),
		T(test_all_bad),
		T(test_includes_refused),
		T(test_namespaces),
		T(test_cache),
		T(test_cache_versions),
		T(test_reload_keeps_old),
		T(test_externals),
		T(test_too_big),
		T(test_timeout),
		T(test_unreadable),
		T(test_special),
		T(test_vanished),
		T(test_alert_event),
		T(test_event_meta),
		T(test_non_utf8_path),
		T(test_long_path_event),
		T(test_severity),
		T(test_signature_id),
		T(test_threads),
		T(test_many_matches),
		T(test_match_data_not_copied),
		T(test_too_many_matches),
		T(test_file_data_bounded),
		T(test_data_fits),
		T(test_cache_relocs_freed),
#undef T
	};
	int	rc;

	log_init("test_scanner", LOG_LVL_WARN, 0);
	if (sodium_init() < 0 || scanner_global_init() != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	scanner_global_fini();
	return rc;
}
