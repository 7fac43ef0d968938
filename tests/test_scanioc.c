/*
 * test_scanioc.c: SHA-256 indicator lists against scanned files (issue
 * 10): scanner.c's lookups and IOC alert, ioc.c's hash-set fingerprint,
 * the scan cache's key (scanner_info.verdicts), and the collector's
 * correlation of the alert.
 *
 * Expected hashes are computed here with libsodium (the scanner uses
 * OpenSSL; its result is also checked against a published test vector),
 * the fingerprint against a naive model (every distinct
 * entry's BLAKE2b XORed), the sid with the recipe docs/detectors.md
 * gives. Lists and rules are small files written by each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "correlate.h"
#include "err.h"
#include "event.h"
#include "ioc.h"
#include "scancache.h"
#include "scanner.h"
#include "testutil.h"

#define RULE_MARKER	"VIGIL-SCANIOC-MARKER-77"
#define LISTED		"a file someone listed\n"
#define UNLISTED	"an ordinary file\n"

struct fx {
	struct tmpdir	 t;		/* first: tmpdir_free */
	char		 rules[PATH_MAX];
	struct iocdb	*db;
	struct scanner	*sc;
};

static int
setup(void **state)
{
	struct fx	*fx;

	if ((fx = tmpdir_new(sizeof(*fx), "scanioc")) == NULL)
		return -1;
	tmpdir_path(fx->rules, sizeof(fx->rules), &fx->t, "t.yar");
	if (tmpdir_put(fx->rules, "rule scanioc_marker {\n strings:\n  $a = \""
	    RULE_MARKER "\"\n condition:\n  $a\n}\n") != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	scanner_free(fx->sc);
	iocdb_free(fx->db);
	tmpdir_free(fx);
	return 0;
}

/* ---- helpers ---- */

static char *
at(const struct fx *fx, const char *name)
{
	static char	path[4][PATH_MAX];
	static int	i;

	i = (i + 1) % 4;
	return tmpdir_path(path[i], PATH_MAX, &fx->t, name);
}

static char *
put(const struct fx *fx, const char *name, const char *text)
{
	char	*p = at(fx, name);

	assert_int_equal(tmpdir_put(p, text), 0);
	return p;
}

/* SHA-256 in lower-case hex, by libsodium, not the scanner's OpenSSL. */
static void
sha256_of(char hex[65], const void *p, size_t len)
{
	uint8_t	md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, p, len);
	sodium_bin2hex(hex, 65, md, sizeof(md));
}

static void
sha256_str(char hex[65], const char *s)
{
	sha256_of(hex, s, strlen(s));
}

static void
upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'f')
			*s = (char)(*s - 'a' + 'A');
}

/* Load the lists at paths[0..n) into fx->db, then the rules on them. */
static void
load(struct fx *fx, const char *const *paths, size_t n)
{
	struct scanner_opts	o = { 0 };
	const char		*rp = fx->rules;

	scanner_free(fx->sc);
	iocdb_free(fx->db);
	fx->sc = NULL;
	fx->db = NULL;
	assert_int_equal(iocdb_load(&fx->db, paths, n, NULL, NULL, NULL), 0);
	o.ioc = fx->db;
	assert_int_equal(scanner_load(&fx->sc, &rp, 1, &o), 0);
}

static void
load1(struct fx *fx, const char *list)
{
	load(fx, &list, 1);
}

static const char *
jget(const json_t *o, const char *a, const char *b)
{
	const json_t	*v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static json_int_t
jint(const json_t *o, const char *a, const char *b)
{
	const json_t	*v = json_object_get(json_object_get(o, a), b);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* The event's text through the collector's parser: it must accept it. */
static json_t *
reparse(json_t *ev, struct event_meta *m)
{
	json_t	*root = NULL;
	char	*text;
	size_t	 len;

	assert_non_null(text = event_dump(ev, &len));
	assert_int_equal(event_parse_root(m, &root, text, len, NULL), 0);
	free(text);
	return root;
}

/* ---- a listed file ---- */

/* One IOC alert with every field docs/events.md names; the file's
 * status is a match without any YARA match. */
static void
test_listed_alert(void **state)
{
	struct fx		*fx = *state;
	struct scanner_result	 r;
	struct event_meta	 m;
	json_t			*ev, *root;
	char			 h[65], line[256], sig[128];

	sha256_str(h, LISTED);
	snprintf(line, sizeof(line), "# a comment\n%s  # seen in phishing "
	    "mail\n", h);
	load1(fx, put(fx, "office-hashes.txt", line));
	assert_int_equal(scanner_info(fx->sc)->hashes, 1);
	scanner_scan_path(fx->sc, &r, put(fx, "invoice.pdf.exe", LISTED));
	assert_int_equal(r.status, SCAN_MATCH);
	assert_int_equal(r.nmatches, 0);
	assert_string_equal(r.sha256, h);
	assert_non_null(r.ioc.list);
	assert_string_equal(r.ioc.list, "office-hashes");
	assert_string_equal(r.ioc.indicator, h);
	assert_string_equal(r.ioc.note, "seen in phishing mail");
	/* no YARA match: no YARA event, and no scan event */
	assert_null(scanner_event(&r, NULL));
	assert_non_null(ev = scanner_ioc_event(&r));
	assert_string_equal(jget(ev, "event_type", NULL), "alert");
	assert_string_equal(jget(ev, "alert", "action"), "allowed");
	assert_int_equal(jint(ev, "alert", "gid"), 3);
	assert_int_equal(jint(ev, "alert", "signature_id"),
	    scanner_signature_id("office-hashes", "file.sha256"));
	assert_int_equal(jint(ev, "alert", "rev"), 1);
	snprintf(sig, sizeof(sig), "vigil IOC list %s: %s", "office-hashes",
	    "file.sha256");
	assert_string_equal(jget(ev, "alert", "signature"), sig);
	assert_string_equal(jget(ev, "alert", "category"), "Malware");
	assert_int_equal(jint(ev, "alert", "severity"), 1);
	assert_string_equal(jget(ev, "file", "path"), at(fx,
	    "invoice.pdf.exe"));
	assert_string_equal(jget(ev, "file", "sha256"), h);
	assert_int_equal(jint(ev, "file", "size"), strlen(LISTED));
	assert_non_null(jget(ev, "file", "owner"));
	assert_string_equal(jget(ev, "evidence", "list"), "office-hashes");
	assert_string_equal(jget(ev, "evidence", "indicator"), h);
	assert_string_equal(jget(ev, "evidence", "kind"), "sha256");
	assert_string_equal(jget(ev, "evidence", "where"), "file.sha256");
	assert_string_equal(jget(ev, "evidence", "value"), h);
	assert_string_equal(jget(ev, "evidence", "note"),
	    "seen in phishing mail");
	root = reparse(ev, &m);
	assert_string_equal(m.type, "alert");
	assert_int_equal(m.severity, 1);
	json_decref(root);
	json_decref(ev);
	scanner_result_clear(&r);
}

/* Upper-case entries match; an entry without a note has no "note". */
static void
test_listed_upper_no_note(void **state)
{
	struct fx		*fx = *state;
	struct scanner_result	 r;
	json_t			*ev;
	char			 h[65], line[80];

	sha256_str(h, LISTED);
	upper(h);
	snprintf(line, sizeof(line), "%s\n", h);
	load1(fx, put(fx, "x.list", line));
	scanner_scan_path(fx->sc, &r, put(fx, "f", LISTED));
	assert_int_equal(r.status, SCAN_MATCH);
	assert_non_null(ev = scanner_ioc_event(&r));
	assert_string_equal(jget(ev, "evidence", "indicator"), h);
	sha256_str(h, LISTED);
	assert_string_equal(jget(ev, "evidence", "value"), h);
	assert_string_equal(jget(ev, "file", "sha256"), h);
	assert_null(json_object_get(json_object_get(ev, "evidence"), "note"));
	json_decref(ev);
	scanner_result_clear(&r);
}

/* An unlisted file: clean, no event; it was hashed all the same. */
static void
test_unlisted(void **state)
{
	struct fx		*fx = *state;
	struct scanner_result	 r;
	char			 h[65], line[80];

	sha256_str(h, LISTED);
	snprintf(line, sizeof(line), "%s\n", h);
	load1(fx, put(fx, "l.txt", line));
	scanner_scan_path(fx->sc, &r, put(fx, "f", UNLISTED));
	assert_int_equal(r.status, SCAN_CLEAN);
	assert_null(r.ioc.list);
	assert_null(scanner_ioc_event(&r));
	assert_null(scanner_event(&r, NULL));
	sha256_str(h, UNLISTED);
	assert_string_equal(r.sha256, h);
	scanner_result_clear(&r);
	scanner_scan_path(fx->sc, &r, put(fx, "abc", "abc"));
	assert_string_equal(r.sha256, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");	/* FIPS 180-2, B.1 */
	scanner_result_clear(&r);
}

/* Lists without hashes (and no lists at all): files are not hashed
 * unless YARA matches, as before. */
static void
test_no_hashes_no_hashing(void **state)
{
	struct fx		*fx = *state;
	struct scanner_result	 r;
	struct scanner_opts	 o = { 0 };
	const char		*rp = fx->rules;

	load1(fx, put(fx, "net.txt", "evil.example\n192.0.2.66\n"));
	assert_int_equal(scanner_info(fx->sc)->hashes, 0);
	scanner_scan_path(fx->sc, &r, put(fx, "f", UNLISTED));
	assert_int_equal(r.status, SCAN_CLEAN);
	assert_string_equal(r.sha256, "");
	scanner_result_clear(&r);
	scanner_free(fx->sc);
	fx->sc = NULL;
	assert_int_equal(scanner_load(&fx->sc, &rp, 1, &o), 0);
	scanner_scan_path(fx->sc, &r, at(fx, "f"));
	assert_int_equal(r.status, SCAN_CLEAN);
	assert_string_equal(r.sha256, "");
	assert_null(r.ioc.list);
	scanner_result_clear(&r);
}

/* YARA and a list on the same file: both alerts, each once. */
static void
test_yara_and_list(void **state)
{
	struct fx		*fx = *state;
	struct scanner_result	 r;
	json_t			*y, *i;
	char			 h[65], line[80];
	const char		*text = "x " RULE_MARKER " y\n";

	sha256_str(h, text);
	snprintf(line, sizeof(line), "%s\n", h);
	load1(fx, put(fx, "both.txt", line));
	scanner_scan_path(fx->sc, &r, put(fx, "f", text));
	assert_int_equal(r.status, SCAN_MATCH);
	assert_int_equal(r.nmatches, 1);
	assert_non_null(r.ioc.list);
	assert_non_null(y = scanner_event(&r, &r.matches[0]));
	assert_non_null(i = scanner_ioc_event(&r));
	assert_int_equal(jint(y, "alert", "gid"), 2);
	assert_string_equal(jget(y, "yara", "rule"), "scanioc_marker");
	assert_int_equal(jint(i, "alert", "gid"), 3);
	assert_null(json_object_get(i, "yara"));
	assert_string_equal(jget(y, "file", "sha256"), h);
	assert_string_equal(jget(i, "file", "sha256"), h);
	json_decref(y);
	json_decref(i);
	scanner_result_clear(&r);
}

/* YARA times out on a listed file: the hit stays beside the timeout. */
static void
test_listed_timeout(void **state)
{
	struct fx		*fx = *state;
	struct scanner_result	 r;
	struct scanner_opts	 o = { .timeout = 1 };
	const char		*rp, *lp;
	char			*zeros, h[65], line[80];
	int			 fd;

	assert_non_null(zeros = calloc(1, 4 << 20));
	sha256_of(h, zeros, 4 << 20);
	free(zeros);
	snprintf(line, sizeof(line), "%s\n", h);
	lp = put(fx, "z.txt", line);
	rp = put(fx, "slow.yar", "rule slow { condition: for all i in "
	    "(0..filesize - 1) : (for all j in (0..filesize - 1) : "
	    "(uint8(i) == uint8(j))) }\n");
	assert_int_equal(iocdb_load(&fx->db, &lp, 1, NULL, NULL, NULL), 0);
	o.ioc = fx->db;
	assert_int_equal(scanner_load(&fx->sc, &rp, 1, &o), 0);
	assert_true((fd = open(at(fx, "zeros"), O_WRONLY | O_CREAT, 0600)) !=
	    -1);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	close(fd);
	scanner_scan_path(fx->sc, &r, at(fx, "zeros"));
	assert_int_equal(r.status, SCAN_TIMEOUT);
	assert_non_null(r.ioc.list);
	assert_string_equal(r.sha256, h);
	json_decref(scanner_ioc_event(&r));
	scanner_result_clear(&r);
}

/* A list named with bytes that are not UTF-8: escaped, and the event
 * still parses; the sid is of the raw name. */
static void
test_list_name_escaped(void **state)
{
	struct fx		*fx = *state;
	struct scanner_result	 r;
	struct event_meta	 m;
	json_t			*ev;
	char			 h[65], line[80];

	sha256_str(h, LISTED);
	snprintf(line, sizeof(line), "%s \xff note\n", h);
	load1(fx, put(fx, "bad\xffname.txt", line));
	scanner_scan_path(fx->sc, &r, put(fx, "f", LISTED));
	assert_non_null(ev = scanner_ioc_event(&r));
	assert_string_equal(jget(ev, "evidence", "list"), "bad\\xffname");
	assert_int_equal(jint(ev, "alert", "signature_id"),
	    scanner_signature_id("bad\xffname", "file.sha256"));
	json_decref(reparse(ev, &m));
	json_decref(ev);
	scanner_result_clear(&r);
}

/* ---- the hash set and the verdict version ---- */

/* The naive model: distinct 32-byte keys, each BLAKE2b-256, XORed. */
static void
model_set(uint8_t out[32], const char *const *hex, size_t n, size_t *count)
{
	uint8_t	keys[16][32], h[32];
	size_t	i, j, k, nk = 0;

	memset(out, 0, 32);
	for (i = 0; i < n; i++) {
		assert_int_equal(sodium_hex2bin(keys[nk], 32, hex[i], 64,
		    NULL, NULL, NULL), 0);
		for (k = 0; k < nk && memcmp(keys[k], keys[nk], 32) != 0; k++)
			;
		if (k < nk)
			continue;
		crypto_generichash(h, 32, keys[nk], 32, NULL, 0);
		for (j = 0; j < 32; j++)
			out[j] ^= h[j];
		nk++;
	}
	*count = nk;
}

static void
test_hash_set(void **state)
{
	struct fx	*fx = *state;
	char		 h[3][65], up[65], text[512];
	const char	*ents[4], *paths[2];
	uint8_t		 got[32], want[32];
	size_t		 n, wn;

	sha256_str(h[0], "a");
	sha256_str(h[1], "b");
	sha256_str(h[2], "c");
	memcpy(up, h[1], sizeof(up));
	upper(up);
	/* two files, a duplicate across them (upper case), a domain */
	snprintf(text, sizeof(text), "%s\nevil.example\n%s note\n", h[0],
	    h[1]);
	paths[0] = put(fx, "one.txt", text);
	snprintf(text, sizeof(text), "%s\n%s\n", up, h[2]);
	paths[1] = put(fx, "two.txt", text);
	load(fx, paths, 2);
	n = iocdb_sha256_set(fx->db, got);
	ents[0] = h[0];
	ents[1] = h[1];
	ents[2] = h[1];
	ents[3] = h[2];
	model_set(want, ents, 4, &wn);
	assert_int_equal(n, 3);
	assert_int_equal(wn, 3);
	assert_memory_equal(got, want, 32);
	/* the empty set: zero */
	load1(fx, put(fx, "dom.txt", "evil.example\n"));
	assert_int_equal(iocdb_sha256_set(fx->db, got), 0);
	memset(want, 0, sizeof(want));
	assert_memory_equal(got, want, 32);
}

/* verdicts: the rules' version without hashes; with hashes, one value
 * per set whatever the order, names and notes. */
static void
test_verdicts_version(void **state)
{
	struct fx	*fx = *state;
	char		 h[2][65], text[256], base[SCANNER_VERSION_LEN + 1];
	char		 v1[SCANNER_VERSION_LEN + 1];

	sha256_str(h[0], "a");
	sha256_str(h[1], "b");
	load1(fx, put(fx, "d.txt", "evil.example\n"));
	snprintf(base, sizeof(base), "%s", scanner_info(fx->sc)->version);
	assert_string_equal(scanner_info(fx->sc)->verdicts, base);
	snprintf(text, sizeof(text), "%s\n%s one\n", h[0], h[1]);
	load1(fx, put(fx, "l1.txt", text));
	assert_string_equal(scanner_info(fx->sc)->version, base);
	assert_string_not_equal(scanner_info(fx->sc)->verdicts, base);
	assert_int_equal(strlen(scanner_info(fx->sc)->verdicts), 64);
	snprintf(v1, sizeof(v1), "%s", scanner_info(fx->sc)->verdicts);
	/* the same set, reordered, renamed, other notes, a domain more */
	snprintf(text, sizeof(text), "%s # two\nx.example\n%s\n", h[1], h[0]);
	load1(fx, put(fx, "other-name.list", text));
	assert_string_equal(scanner_info(fx->sc)->verdicts, v1);
	/* one hash less: another version */
	snprintf(text, sizeof(text), "%s\n", h[0]);
	load1(fx, put(fx, "l3.txt", text));
	assert_string_not_equal(scanner_info(fx->sc)->verdicts, v1);
	assert_string_not_equal(scanner_info(fx->sc)->verdicts, base);
}

/*
 * The scan cache must not hide a file listed after it was cached clean:
 * keyed on verdicts, the entry made with the old lists is a miss with
 * the new ones, and a list change without hashes keeps it.
 */
static void
test_cache_sees_new_listing(void **state)
{
	struct fx		*fx = *state;
	struct scancache	*c;
	struct scanner_result	 r;
	struct stat		 st;
	char			 f[PATH_MAX], h[65], text[128];

	assert_int_equal(scancache_open(&c, at(fx, "scan.db")), 0);
	snprintf(f, sizeof(f), "%s", put(fx, "download.exe", LISTED));
	assert_int_equal(stat(f, &st), 0);
	sha256_str(h, "something else");
	snprintf(text, sizeof(text), "%s\n", h);
	load1(fx, put(fx, "old.txt", text));
	scanner_scan_path(fx->sc, &r, f);
	assert_int_equal(r.status, SCAN_CLEAN);
	scanner_result_clear(&r);
	assert_int_equal(scancache_store(c, &st,
	    scanner_info(fx->sc)->verdicts, 1), 0);
	assert_int_equal(scancache_lookup(c, &st,
	    scanner_info(fx->sc)->verdicts), SCANCACHE_CLEAN);
	/* the same hashes and a new domain: still known clean */
	snprintf(text, sizeof(text), "%s\nnew.example\n", h);
	load1(fx, put(fx, "old2.txt", text));
	assert_int_equal(scancache_lookup(c, &st,
	    scanner_info(fx->sc)->verdicts), SCANCACHE_CLEAN);
	/* the file's hash is listed: a miss, and the scan finds it */
	sha256_str(h, LISTED);
	snprintf(text, sizeof(text), "%s\n", h);
	load1(fx, put(fx, "new.txt", text));
	assert_int_equal(scancache_lookup(c, &st,
	    scanner_info(fx->sc)->verdicts), SCANCACHE_MISS);
	scanner_scan_path(fx->sc, &r, f);
	assert_int_equal(r.status, SCAN_MATCH);
	assert_non_null(r.ioc.list);
	scanner_result_clear(&r);
	scancache_close(c);
}

/* ---- the collector ---- */

/* correlate_extract takes the rule (3:sid) and the file's hash as
 * indicators, and files the alert under malware. */
static void
test_correlates(void **state)
{
	struct fx		*fx = *state;
	struct scanner_result	 r;
	struct correlate_in	 in;
	struct event_meta	 m;
	json_t			*ev, *root;
	char			 h[65], line[80], rule[32];
	size_t			 i;
	int			 have_rule = 0, have_hash = 0;

	sha256_str(h, LISTED);
	snprintf(line, sizeof(line), "%s\n", h);
	load1(fx, put(fx, "office-hashes.txt", line));
	scanner_scan_path(fx->sc, &r, put(fx, "f", LISTED));
	assert_non_null(ev = scanner_ioc_event(&r));
	root = reparse(ev, &m);
	correlate_extract(&in, m.type, root);
	assert_int_equal(in.kind, CORR_ALERT);
	snprintf(rule, sizeof(rule), "3:%u",
	    scanner_signature_id("office-hashes", "file.sha256"));
	for (i = 0; i < in.nind; i++) {
		if (in.ind[i].kind == CIND_RULE)
			have_rule += strcmp(in.ind[i].value, rule) == 0;
		if (in.ind[i].kind == CIND_HASH)
			have_hash += strcmp(in.ind[i].value, h) == 0;
	}
	assert_int_equal(have_rule, 1);
	assert_int_equal(have_hash, 1);
	assert_string_equal(in.name,
	    "vigil IOC list office-hashes: file.sha256");
	assert_string_equal(in.category, "malware");
	json_decref(root);
	json_decref(ev);
	scanner_result_clear(&r);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_listed_alert),
		T(test_listed_upper_no_note),
		T(test_unlisted),
		T(test_no_hashes_no_hashing),
		T(test_yara_and_list),
		T(test_listed_timeout),
		T(test_list_name_escaped),
		T(test_hash_set),
		T(test_verdicts_version),
		T(test_cache_sees_new_listing),
		T(test_correlates),
	};
#undef T
	int	rc;

	if (sodium_init() < 0 || scanner_global_init() != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	scanner_global_fini();
	return rc;
}
