/*
 * test_scanproc.c: the daemon's side of the scan worker (scanproc.c)
 * against the real worker program (vigil-scan, a test build: its crash
 * and probe hooks are compiled in).
 *
 *  - a matching file and a clean one: the worker's verdicts give the
 *    same events, byte for byte, as the scanner in this process;
 *  - a file that makes the worker abort: that scan says the worker
 *    ended, the worker is started again, the next file still matches;
 *  - the sandbox: open() in the worker gets EACCES; socket(), connect()
 *    and execve() kill it (SIGSYS);
 *  - rules that do not compile: no scanproc, ERR_NOTFOUND;
 *  - the compile runs with no privilege: a rule file only root can read
 *    (0600 in a 0700 folder) compiles, read by the daemon; a rule file
 *    with the test build's marker makes the worker abort unless it has
 *    dropped root, its capabilities and set no_new_privs by then; the
 *    compiled set comes back through the daemon, which names it (0600)
 *    and offers it to the next worker, which loads it;
 *  - a rule file that crashes the compiler (the test hook) fails the
 *    new scanproc only: the running one keeps its rules and scans; a
 *    bad file among good ones is skipped, the others load, and the next
 *    worker loads that set from the cache with the same version and
 *    the bad file still counted;
 *  - the cache is named by the daemon: a worker that says READY with
 *    the version another rule set has (the test build's lie hook) does
 *    not leave its compiled set for that rule set (the next worker
 *    compiles its own rules and scans with them), an honest one does;
 *    a worker that leaves garbage as its set costs the next one with
 *    the same rules a compile, nothing more.
 */
#include <dirent.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>

#include "err.h"
#include "event.h"
#include "log.h"
#include "scanproc.h"
#include "scanner.h"
#include "testutil.h"

struct fx {
	struct tmpdir	 t;
	char		 rules[PATH_MAX], conf[PATH_MAX], cache[PATH_MAX];
	const char	*paths[1];
};

static void
put(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int
setup(void **state)
{
	struct fx	*x = tmpdir_new(sizeof(*x), "scanproc");
	char		 p[PATH_MAX], text[PATH_MAX + 64];

	if (x == NULL)
		return -1;
	tmpdir_path(x->rules, sizeof(x->rules), &x->t, "rules");
	tmpdir_path(x->cache, sizeof(x->cache), &x->t, "cache");
	tmpdir_path(x->conf, sizeof(x->conf), &x->t, "agent.conf");
	if (mkdir(x->rules, 0700) != 0 || mkdir(x->cache, 0700) != 0)
		return -1;
	put(tmpdir_path(p, sizeof(p), &x->t, "rules/t.yar"),
	    "rule Evil : exploit { meta: author = \"t\" score = 80 "
	    "strings: $a = \"EVILSTRING\" $b = \"OTHER\" condition: $a and #b == 0 }\n"
	    "rule Owned { condition: owner != \"\" and filename == "
	    "\"evil.bin\" }\n");
	(void)snprintf(text, sizeof(text), "[files]\nrules = %s\n"
	    "local_rules =\n[network]\nenabled = no\n", x->rules);
	put(x->conf, text);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	tmpdir_free(*state);
	return 0;
}

static void
conf(struct fx *x, struct scanproc_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->program = VIGIL_SCAN_BIN;
	c->config = x->conf;
	c->data_dir = x->t.path;
	c->rule_paths = x->paths;
	c->nrule_paths = 1;
	x->paths[0] = x->rules;
	c->cache_dir = x->cache;
	c->channels = 2;
	c->timeout_s = 10;
}

/* Every event of a result, as text without its time, joined. */
static char *
events(const struct scanner_result *r)
{
	char	*all = strdup(""), *t, *n;
	size_t	 i, len;
	json_t	*e;

	assert_non_null(all);
	for (i = 0; i <= r->nmatches; i++) {
		e = scanner_event(r, i < r->nmatches ? &r->matches[i] : NULL);
		if (e == NULL)
			continue;
		(void)json_object_del(e, "timestamp");	/* the time of making */
		t = event_dump(e, &len);
		json_decref(e);
		assert_non_null(t);
		assert_true(asprintf(&n, "%s%s\n", all, t) > 0);
		free(all);
		free(t);
		all = n;
	}
	return all;
}

static void
check_same(struct scanproc *sp, struct scanner *sc, const char *path,
    enum scanner_status want)
{
	struct scanmsg_result	w;
	struct scanner_result	h;
	struct stat		st;
	char			owner[SCANNER_OWNER_MAX], *a, *b;
	int			fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	scanner_owner_name(owner, (uint32_t)st.st_uid);
	assert_int_equal(scanproc_scan(sp, &w, fd, path, owner), 0);
	scanner_scan_fd(sc, &h, fd, path);
	assert_int_equal(w.r.status, want);
	assert_int_equal(h.status, want);
	a = events(&w.r);
	b = events(&h);
	assert_string_equal(a, b);
	free(a);
	free(b);
	scanmsg_result_free(&w);
	scanner_result_clear(&h);
	close(fd);
}

static void
test_same_events(void **state)
{
	struct fx		*x = *state;
	struct scanproc		*sp;
	struct scanner		*sc;
	struct scanproc_conf	 c;
	struct scanner_opts	 so = { 0 };
	const char		*paths[] = { x->rules };
	char			 p[PATH_MAX], q[PATH_MAX];

	conf(x, &c);
	assert_int_equal(scanproc_new(&sp, &c), 0);
	assert_int_equal(scanproc_rules(sp)->rules, 2);
	assert_int_equal(scanner_load(&sc, paths, 1, &so), 0);
	assert_string_equal(scanproc_rules(sp)->version,
	    scanner_info(sc)->version);
	put(tmpdir_path(p, sizeof(p), &x->t, "evil.bin"), "xx EVILSTRING xx");
	put(tmpdir_path(q, sizeof(q), &x->t, "clean.txt"), "nothing here");
	check_same(sp, sc, p, SCAN_MATCH);
	check_same(sp, sc, q, SCAN_CLEAN);
	scanner_free(sc);
	scanproc_free(sp);
}

static void
scan_file(struct scanproc *sp, const char *path, struct scanmsg_result *w,
    int want_rc)
{
	int	fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(scanproc_scan(sp, w, fd, path, "root"), want_rc);
	assert_ptr_equal(w->r.path, path);
	close(fd);
}

static void
test_crash_restart(void **state)
{
	struct fx		*x = *state;
	struct scanproc		*sp;
	struct scanproc_conf	 c;
	struct scanproc_stats	 st;
	struct scanmsg_result	 w;
	char			 p[PATH_MAX], q[PATH_MAX];
	int			 pid;

	conf(x, &c);
	assert_int_equal(scanproc_new(&sp, &c), 0);
	scanproc_stats(sp, &st);
	pid = st.pid;
	assert_true(pid > 0);
	put(tmpdir_path(p, sizeof(p), &x->t, "crash.bin"),
	    "VIGIL-TEST-CRASH and then some");
	put(tmpdir_path(q, sizeof(q), &x->t, "evil.bin"), "EVILSTRING");
	scan_file(sp, p, &w, ERR_IO);
	assert_int_equal(w.r.status, SCAN_ERROR);
	assert_non_null(strstr(w.r.reason, "scan worker ended"));
	scanmsg_result_free(&w);
	scanproc_stats(sp, &st);
	assert_int_equal(st.restarts, 1);
	assert_int_equal(st.lost, 1);
	assert_int_equal(st.pid, 0);
	/* the next file: a new worker, the same rules */
	scan_file(sp, q, &w, 0);
	assert_int_equal(w.r.status, SCAN_MATCH);
	assert_int_equal(w.r.nmatches, 2);
	scanmsg_result_free(&w);
	scanproc_stats(sp, &st);
	assert_true(st.pid > 0 && st.pid != pid);
	scanproc_free(sp);
}

static void
test_sandbox(void **state)
{
	struct fx		*x = *state;
	struct scanproc		*sp;
	struct scanproc_conf	 c;
	static const uint32_t	 killed[] = { SCANMSG_PROBE_SOCKET,
				    SCANMSG_PROBE_CONNECT, SCANMSG_PROBE_EXEC };
	size_t			 i;
	int			 err, sig;

	conf(x, &c);
	assert_int_equal(scanproc_new(&sp, &c), 0);
	assert_int_equal(scanproc_probe(sp, SCANMSG_PROBE_OPEN, &err, &sig),
	    0);
	assert_int_equal(err, EACCES);
	for (i = 0; i < sizeof(killed) / sizeof(killed[0]); i++) {
		assert_int_equal(scanproc_probe(sp, killed[i], &err, &sig),
		    ERR_IO);
		assert_int_equal(sig, SIGSYS);
	}
	scanproc_free(sp);
}

static void
test_bad_rules(void **state)
{
	struct fx		*x = *state;
	struct scanproc		*sp;
	struct scanproc_conf	 c;
	char			 p[PATH_MAX], d[PATH_MAX];

	tmpdir_path(d, sizeof(d), &x->t, "bad");
	assert_int_equal(mkdir(d, 0700), 0);
	put(tmpdir_path(p, sizeof(p), &x->t, "bad/b.yar"), "rule {");
	put(x->conf, "[files]\nlocal_rules =\n");
	conf(x, &c);
	x->paths[0] = d;
	assert_int_equal(scanproc_new(&sp, &c), ERR_NOTFOUND);
	assert_null(sp);
}

/* The one compiled set in dir: its mode and owner into *st. */
static int
cached_set(const char *dir, struct stat *st)
{
	struct dirent	*de;
	DIR		*d = opendir(dir);
	char		 p[PATH_MAX];
	int		 n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "bundle-", 7) != 0)
			continue;
		assert_true(snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) <
		    (int)sizeof(p));
		assert_int_equal(lstat(p, st), 0);
		n++;
	}
	closedir(d);
	return n;
}

static void
test_unprivileged_compile(void **state)
{
	struct fx		*x = *state;
	struct scanproc		*sp;
	struct scanproc_conf	 c;
	struct scanmsg_result	 w;
	struct stat		 st;
	char			 p[PATH_MAX], q[PATH_MAX];

	put(tmpdir_path(p, sizeof(p), &x->t, "rules/u.yar"),
	    "// VIGIL-TEST-ASSERT-UNPRIVILEGED\n"
	    "rule Unpriv { strings: $a = \"UNPRIVSTRING\" condition: $a }\n");
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(chmod(x->rules, 0700), 0);
	conf(x, &c);
	assert_int_equal(scanproc_new(&sp, &c), 0);
	assert_int_equal(scanproc_rules(sp)->files, 2);
	assert_int_equal(scanproc_rules(sp)->rules, 3);
	assert_int_equal(scanproc_rules(sp)->from_cache, 0);
	put(tmpdir_path(q, sizeof(q), &x->t, "u.bin"), "UNPRIVSTRING");
	scan_file(sp, q, &w, 0);
	assert_int_equal(w.r.status, SCAN_MATCH);
	scanmsg_result_free(&w);
	scanproc_free(sp);
	/* saved by the daemon, private, and loaded by the next worker */
	assert_int_equal(cached_set(x->cache, &st), 1);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(scanproc_new(&sp, &c), 0);
	assert_int_equal(scanproc_rules(sp)->from_cache, 1);
	assert_int_equal(scanproc_rules(sp)->rules, 3);
	scanproc_free(sp);
}

static void
test_crash_compile(void **state)
{
	struct fx		*x = *state;
	struct scanproc		*sp, *next;
	struct scanproc_conf	 c;
	struct scanmsg_result	 w;
	char			 p[PATH_MAX], q[PATH_MAX];

	conf(x, &c);
	assert_int_equal(scanproc_new(&sp, &c), 0);
	put(tmpdir_path(p, sizeof(p), &x->t, "rules/z.yar"),
	    "rule Z { condition: false } // VIGIL-TEST-CRASH-COMPILE\n");
	assert_int_equal(scanproc_new(&next, &c), ERR_NOTFOUND);
	assert_null(next);
	put(tmpdir_path(q, sizeof(q), &x->t, "evil.bin"), "EVILSTRING");
	scan_file(sp, q, &w, 0);
	assert_int_equal(w.r.status, SCAN_MATCH);
	scanmsg_result_free(&w);
	/* a file with an error instead: skipped, the others load */
	put(p, "rule Z { condition: nosuchthing }\n");
	assert_int_equal(scanproc_new(&next, &c), 0);
	assert_int_equal(scanproc_rules(next)->files, 1);
	assert_int_equal(scanproc_rules(next)->failed, 1);
	assert_string_equal(scanproc_rules(next)->version,
	    scanproc_rules(sp)->version);
	assert_int_equal(scanproc_rules(next)->from_cache, 0);
	scanproc_free(next);
	assert_int_equal(scanproc_new(&next, &c), 0);
	assert_int_equal(scanproc_rules(next)->from_cache, 1);
	assert_int_equal(scanproc_rules(next)->files, 1);
	assert_int_equal(scanproc_rules(next)->failed, 1);
	assert_string_equal(scanproc_rules(next)->version,
	    scanproc_rules(sp)->version);
	scanproc_free(next);
	scanproc_free(sp);
}

/* The version rule files in dir have, loaded here. */
static void
version_of(char out[static SCANNER_VERSION_LEN + 1], const char *dir)
{
	struct scanner_opts	 so = { 0 };
	struct scanner		*sc;
	const char		*paths[] = { dir };

	assert_int_equal(scanner_load(&sc, paths, 1, &so), 0);
	memcpy(out, scanner_info(sc)->version, SCANNER_VERSION_LEN + 1);
	scanner_free(sc);
}

static void
expect_scan(struct scanproc *sp, const char *path, enum scanner_status want)
{
	struct scanmsg_result	w;

	scan_file(sp, path, &w, 0);
	assert_int_equal(w.r.status, want);
	scanmsg_result_free(&w);
}

static void
test_cache_lies(void **state)
{
	struct fx		*x = *state;
	struct scanproc		*sp;
	struct scanproc_conf	 c;
	struct stat		 st;
	char			 vb[SCANNER_VERSION_LEN + 1], b[PATH_MAX];
	char			 p[PATH_MAX], text[256], evil[PATH_MAX];
	char			 bfile[PATH_MAX], clean[PATH_MAX];

	/* rule set B, and the version a worker of it will look for */
	tmpdir_path(b, sizeof(b), &x->t, "rulesb");
	assert_int_equal(mkdir(b, 0700), 0);
	put(tmpdir_path(p, sizeof(p), &x->t, "rulesb/b.yar"),
	    "rule B { strings: $a = \"BSTRING\" condition: $a }\n");
	version_of(vb, b);
	put(tmpdir_path(evil, sizeof(evil), &x->t, "evil.bin"),
	    "EVILSTRING BSTRING");
	put(tmpdir_path(bfile, sizeof(bfile), &x->t, "b.bin"), "BSTRING");
	put(tmpdir_path(clean, sizeof(clean), &x->t, "clean.txt"), "nothing");

	/* A's worker, owned, compiles A and says it loaded B */
	(void)snprintf(text, sizeof(text), "// VIGIL-TEST-LIE-VERSION:%s\n"
	    "rule Planted { condition: true }\n", vb);
	put(tmpdir_path(p, sizeof(p), &x->t, "rules/lie.yar"), text);
	conf(x, &c);
	assert_int_equal(scanproc_new(&sp, &c), 0);
	assert_string_equal(scanproc_rules(sp)->version, vb);
	assert_int_equal(scanproc_rules(sp)->rules, 3);
	scanproc_free(sp);
	assert_int_equal(cached_set(x->cache, &st), 1);

	/* B's worker compiles B: A's set is not offered for it */
	x->paths[0] = b;
	assert_int_equal(scanproc_new(&sp, &c), 0);
	assert_int_equal(scanproc_rules(sp)->from_cache, 0);
	assert_int_equal(scanproc_rules(sp)->rules, 1);
	assert_string_equal(scanproc_rules(sp)->version, vb);
	expect_scan(sp, bfile, SCAN_MATCH);
	expect_scan(sp, clean, SCAN_CLEAN);	/* A's Planted: any file */
	scanproc_free(sp);
	assert_int_equal(cached_set(x->cache, &st), 2);
	/* an honest worker's set is loaded by the next one */
	assert_int_equal(scanproc_new(&sp, &c), 0);
	assert_int_equal(scanproc_rules(sp)->from_cache, 1);
	assert_int_equal(scanproc_rules(sp)->rules, 1);
	assert_string_equal(scanproc_rules(sp)->version, vb);
	expect_scan(sp, bfile, SCAN_MATCH);
	scanproc_free(sp);

	/* garbage left as the set: the next worker compiles */
	x->paths[0] = x->rules;
	put(tmpdir_path(p, sizeof(p), &x->t, "rules/lie.yar"),
	    "// VIGIL-TEST-GARBAGE-CACHE\nrule G { condition: false }\n");
	assert_int_equal(scanproc_new(&sp, &c), 0);
	assert_int_equal(scanproc_rules(sp)->from_cache, 0);
	scanproc_free(sp);
	assert_int_equal(scanproc_new(&sp, &c), 0);
	assert_int_equal(scanproc_rules(sp)->from_cache, 0);
	assert_int_equal(scanproc_rules(sp)->rules, 3);
	expect_scan(sp, bfile, SCAN_CLEAN);
	expect_scan(sp, evil, SCAN_MATCH);
	scanproc_free(sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_events, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_restart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sandbox, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged_compile,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_compile, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cache_lies, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0 || scanner_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
