/*
 * test_ioc.c: the indicator lists (agent/net/ioc.c): every kind of
 * indicator and its edges (label boundaries, range boundaries, mapped
 * addresses, URL queries), the file format (comments, notes, CRLF, byte
 * order mark, bad lines with their line numbers, duplicates, empty
 * files, folders), and domains and ranges against naive models over
 * random lists.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "err.h"
#include "ioc.h"
#include "rng.h"
#include "testutil.h"

#define BAD_MAX	16

struct bad {
	char		 file[64];
	unsigned	 line;
	char		 why[96];
};

struct fx {
	struct tmpdir		 dir;	/* first: tmpdir_free */
	struct iocdb		*db;
	struct ioc_stats	 st;
	struct bad		 bad[BAD_MAX];
	size_t			 nbad;
};

static void
on_bad(void *ctx, const char *file, unsigned line, const char *why)
{
	struct fx	*fx = ctx;
	const char	*base = strrchr(file, '/');

	if (fx->nbad == BAD_MAX)
		return;
	snprintf(fx->bad[fx->nbad].file, sizeof(fx->bad[0].file), "%s",
	    base != NULL ? base + 1 : file);
	fx->bad[fx->nbad].line = line;
	snprintf(fx->bad[fx->nbad].why, sizeof(fx->bad[0].why), "%s", why);
	fx->nbad++;
}

static int
setup(void **state)
{
	return (*state = tmpdir_new(sizeof(struct fx), "ioc")) ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	iocdb_free(fx->db);
	tmpdir_free(fx);
	return 0;
}

/* Write name (in the fixture's folder) holding text. */
static void
put(struct fx *fx, const char *name, const char *text)
{
	char	path[PATH_MAX];

	tmpdir_path(path, sizeof(path), &fx->dir, name);
	assert_int_equal(file_put(path, text, strlen(text), 0600), 0);
}

/* Load the fixture's folder (or one file in it): the return code. */
static int
load(struct fx *fx, const char *name)
{
	char		 path[PATH_MAX];
	const char	*paths[1] = { path };

	iocdb_free(fx->db);
	fx->db = NULL;
	fx->nbad = 0;
	if (name != NULL)
		tmpdir_path(path, sizeof(path), &fx->dir, name);
	else
		snprintf(path, sizeof(path), "%s", fx->dir.path);
	return iocdb_load(&fx->db, paths, 1, on_bad, fx, &fx->st);
}

static struct naddr
addr(const char *s)
{
	struct naddr	a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = 6;
	else
		fail_msg("bad test address %s", s);
	return a;
}

/* The indicator a lookup of s hits, or NULL. */
static const char *
ip_hit(const struct fx *fx, const char *s)
{
	struct naddr	a = addr(s);
	struct ioc_hit	h;

	return ioc_match_addr(fx->db, &a, &h) ? h.indicator : NULL;
}

static const char *
dom_hit(const struct fx *fx, const char *s)
{
	struct ioc_hit	h;

	return ioc_match_domain(fx->db, s, strlen(s), &h) ? h.indicator : NULL;
}

static const char *
url_hit(const struct fx *fx, const char *host, const char *path)
{
	struct ioc_hit	h;

	return ioc_match_url(fx->db, host, strlen(host), path, strlen(path),
	    &h) ? h.indicator : NULL;
}

static void
assert_hit(const char *got, const char *want)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(got, want) != 0)
		fail_msg("hit %s, wanted %s", got ? got : "(none)",
		    want ? want : "(none)");
}

static void
test_kinds(void **state)
{
	struct fx	*fx = *state;
	struct ioc_hit	 h;
	struct naddr	 a = addr("192.0.2.7");
	uint8_t		 d[32];
	size_t		 i;

	put(fx, "feed.txt",
	    "# a comment\n"
	    "192.0.2.7 c2 server\n"
	    "2001:db8::1   # the # is dropped\n"
	    "198.51.100.0/24\n"
	    "2001:db8:1::/48\n"
	    "Evil.Example\n"
	    "http://203.0.113.9:8080/gate.php\n"
	    "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"
	    "\n");
	assert_int_equal(load(fx, "feed.txt"), 0);
	assert_int_equal(fx->nbad, 0);
	assert_int_equal(fx->st.files, 1);
	assert_int_equal(fx->st.ips, 2);
	assert_int_equal(fx->st.cidrs, 2);
	assert_int_equal(fx->st.domains, 1);
	assert_int_equal(fx->st.urls, 1);
	assert_int_equal(fx->st.hashes, 1);

	assert_true(ioc_match_addr(fx->db, &a, &h));
	assert_string_equal(h.list, "feed");
	assert_string_equal(h.indicator, "192.0.2.7");
	assert_string_equal(h.kind, "ip");
	assert_string_equal(h.note, "c2 server");
	assert_hit(ip_hit(fx, "192.0.2.8"), NULL);
	assert_true(ioc_match_addr(fx->db, &(struct naddr){ .family = 6,
	    .a = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } }, &h));
	assert_string_equal(h.note, "the # is dropped");
	assert_string_equal(h.kind, "ip");
	assert_true(ioc_match_addr(fx->db, &(struct naddr){ .family = 6,
	    .a = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0xff, [15] = 9 } }, &h));
	assert_string_equal(h.kind, "cidr");
	assert_null(h.note);
	assert_hit(ip_hit(fx, "2001:db8:2::1"), NULL);
	assert_false(ioc_match_addr(fx->db, &(struct naddr){ .family = 0 },
	    NULL));

	assert_true(ioc_match_domain(fx->db, "WWW.evil.example", 16, &h));
	assert_string_equal(h.kind, "domain");
	assert_string_equal(h.indicator, "Evil.Example");

	assert_true(ioc_match_url(fx->db, "203.0.113.9", 11, "/gate.php?id=1",
	    14, &h));
	assert_string_equal(h.kind, "url");

	for (i = 0; i < 32; i++)
		d[i] = (uint8_t)(i % 8 == 0 ? 0xab : 0);
	assert_false(ioc_match_sha256(fx->db, d, NULL));
	memcpy(d, (uint8_t[]){ 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89 },
	    8);
	for (i = 8; i < 32; i++)
		d[i] = d[i % 8];
	assert_true(ioc_match_sha256(fx->db, d, &h));
	assert_string_equal(h.kind, "sha256");
	d[31] ^= 1;
	assert_false(ioc_match_sha256(fx->db, d, NULL));
}

static void
test_domains(void **state)
{
	struct fx	*fx = *state;

	put(fx, "d.list", "example.com\n*.wild.test\nsub.Deep.Example.NET.\n"
	    "deep.example.net\nxn--80ak6aa92e.com\n");
	assert_int_equal(load(fx, "d.list"), 0);
	assert_int_equal(fx->nbad, 0);
	assert_hit(dom_hit(fx, "example.com"), "example.com");
	assert_hit(dom_hit(fx, "EXAMPLE.COM."), "example.com");
	assert_hit(dom_hit(fx, "a.b.example.com"), "example.com");
	assert_hit(dom_hit(fx, "badexample.com"), NULL);
	assert_hit(dom_hit(fx, "example.com.evil"), NULL);
	assert_hit(dom_hit(fx, "xample.com"), NULL);
	assert_hit(dom_hit(fx, "com"), NULL);
	assert_hit(dom_hit(fx, ".example.com"), "example.com");
	assert_hit(dom_hit(fx, "wild.test"), "*.wild.test");
	assert_hit(dom_hit(fx, "x.wild.test"), "*.wild.test");
	/* the most specific listed domain wins */
	assert_hit(dom_hit(fx, "deep.example.net"), "deep.example.net");
	assert_hit(dom_hit(fx, "x.sub.deep.example.net"),
	    "sub.Deep.Example.NET.");
	/* punycode as written, the Unicode form is not decoded */
	assert_hit(dom_hit(fx, "www.xn--80ak6aa92e.com"),
	    "xn--80ak6aa92e.com");
	assert_hit(dom_hit(fx, ""), NULL);
	assert_hit(dom_hit(fx, "."), NULL);
	/* a Host with a port */
	assert_hit(dom_hit(fx, "example.com:8080"), "example.com");
	/* bytes that are no domain's */
	assert_false(ioc_match_domain(fx->db, "exa\0mple.com", 12, NULL));
}

static void
test_ranges(void **state)
{
	struct fx	*fx = *state;

	put(fx, "r.txt", "1.2.3.0/24 net\n10.0.0.0/8\n10.1.0.0/16\n"
	    "10.1.2.3\n0.0.0.0/0 all\n::ffff:5.6.7.8\n::ffff:7.7.0.0/112\n"
	    "9.9.9.9\n172.16.5.77/20\n2001:db8::/32\n");
	assert_int_equal(load(fx, "r.txt"), 0);
	assert_int_equal(fx->nbad, 0);
	assert_hit(ip_hit(fx, "1.2.3.0"), "1.2.3.0/24");
	assert_hit(ip_hit(fx, "1.2.3.255"), "1.2.3.0/24");
	assert_hit(ip_hit(fx, "1.2.2.255"), "0.0.0.0/0");
	assert_hit(ip_hit(fx, "1.2.4.0"), "0.0.0.0/0");
	/* most specific first */
	assert_hit(ip_hit(fx, "10.1.2.3"), "10.1.2.3");
	assert_hit(ip_hit(fx, "10.1.2.4"), "10.1.0.0/16");
	assert_hit(ip_hit(fx, "10.2.0.0"), "10.0.0.0/8");
	/* host bits past the prefix are ignored */
	assert_hit(ip_hit(fx, "172.16.0.1"), "172.16.5.77/20");
	assert_hit(ip_hit(fx, "172.16.15.255"), "172.16.5.77/20");
	assert_hit(ip_hit(fx, "172.16.16.0"), "0.0.0.0/0");
	/* IPv4-mapped IPv6 is IPv4, both ways */
	assert_hit(ip_hit(fx, "5.6.7.8"), "::ffff:5.6.7.8");
	assert_hit(ip_hit(fx, "::ffff:9.9.9.9"), "9.9.9.9");
	assert_hit(ip_hit(fx, "7.7.200.1"), "::ffff:7.7.0.0/112");
	assert_hit(ip_hit(fx, "::ffff:1.2.3.4"), "1.2.3.0/24");
	/* an IPv4 /0 is not an IPv6 range */
	assert_hit(ip_hit(fx, "2001:db9::1"), NULL);
	assert_hit(ip_hit(fx, "2001:db8:ffff::1"), "2001:db8::/32");
}

static void
test_urls(void **state)
{
	struct fx	*fx = *state;

	put(fx, "u.txt", "https://User@Bad.Example:443/a/b.php\n"
	    "bad.example/q?x=1\n"
	    "http://plain.example\n"
	    "plain2.example/#frag\n"
	    "1.2.3.4/admin\n"
	    "http://[2001:db8::5]:81/v6\n");
	assert_int_equal(load(fx, "u.txt"), 0);
	assert_int_equal(fx->nbad, 0);
	assert_int_equal(fx->st.urls, 6);
	assert_hit(url_hit(fx, "bad.example", "/a/b.php"),
	    "https://User@Bad.Example:443/a/b.php");
	/* no query in the entry: any query matches */
	assert_hit(url_hit(fx, "BAD.example", "/a/b.php?id=7"),
	    "https://User@Bad.Example:443/a/b.php");
	assert_hit(url_hit(fx, "bad.example", "/a/B.php"), NULL);
	assert_hit(url_hit(fx, "bad.example", "/a/b.ph"), NULL);
	assert_hit(url_hit(fx, "bad.example", "/a/b.phpx"), NULL);
	assert_hit(url_hit(fx, "sub.bad.example", "/a/b.php"), NULL);
	/* a query in the entry: only that query */
	assert_hit(url_hit(fx, "bad.example", "/q?x=1"), "bad.example/q?x=1");
	assert_hit(url_hit(fx, "bad.example", "/q?x=2"), NULL);
	assert_hit(url_hit(fx, "bad.example", "/q"), NULL);
	assert_hit(url_hit(fx, "plain.example", "/"), "http://plain.example");
	assert_hit(url_hit(fx, "plain.example", ""), "http://plain.example");
	assert_hit(url_hit(fx, "plain.example", "/?a"),
	    "http://plain.example");
	assert_hit(url_hit(fx, "plain.example", "/x"), NULL);
	assert_hit(url_hit(fx, "plain2.example", "/"), "plain2.example/#frag");
	assert_hit(url_hit(fx, "1.2.3.4:80", "/admin"), "1.2.3.4/admin");
	assert_hit(url_hit(fx, "[2001:db8::5]", "/v6"),
	    "http://[2001:db8::5]:81/v6");
	assert_hit(url_hit(fx, "", "/admin"), NULL);
}

static void
assert_bad(const struct fx *fx, size_t i, unsigned line, const char *why)
{
	assert_true(i < fx->nbad);
	assert_string_equal(fx->bad[i].file, "bad.txt");
	assert_int_equal(fx->bad[i].line, line);
	if (strstr(fx->bad[i].why, why) == NULL)
		fail_msg("line %u: \"%s\", wanted \"%s\"", line,
		    fx->bad[i].why, why);
}

static void
test_bad_lines(void **state)
{
	struct fx	*fx = *state;
	char		 big[4200], path[PATH_MAX];

	memset(big, 'a', 4100);
	snprintf(big + 4100, sizeof(big) - 4100, ".com\n");
	put(fx, "bad.txt",
	    "good.example\n"				/* 1 */
	    "1.2.3.0/33\n"				/* 2 */
	    "evil[.]example\n"				/* 3 */
	    "d41d8cd98f00b204e9800998ecf8427e\n"	/* 4: MD5 */
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".example\n"				/* 5: 64 */
	    "a..b\n"					/* 6 */
	    "300.1.1.1\n"				/* 7 */
	    "exa mple.com\n"				/* 8: "exa", note */
	    "hxxp://x.example/\n"			/* 9 */
	    "::1/129\n"					/* 10 */
	    "http:///nohost\n"				/* 11 */
	    "fe80::1%eth0\n"				/* 12 */
	    "x!y.example\n"				/* 13 */
	    "1.2.3\n"					/* 14 */
	    "hxxpupdate.example\n");			/* 15: a name */
	assert_int_equal(load(fx, "bad.txt"), 0);
	assert_int_equal(fx->st.bad_lines, fx->nbad);
	assert_bad(fx, 0, 2, "prefix");
	assert_bad(fx, 1, 3, "defanged");
	assert_bad(fx, 2, 4, "MD5");
	assert_bad(fx, 3, 5, "longer than 63");
	assert_bad(fx, 4, 6, "empty domain label");
	assert_bad(fx, 5, 7, "digits");
	assert_bad(fx, 6, 9, "defanged");
	assert_bad(fx, 7, 10, "prefix");
	assert_bad(fx, 8, 11, "host");
	assert_bad(fx, 9, 12, "not an address");
	assert_bad(fx, 10, 13, "not a domain");
	assert_bad(fx, 11, 14, "digits");
	assert_int_equal(fx->nbad, 12);
	assert_int_equal(fx->st.domains, 3);	/* good, exa, hxxpupdate */
	assert_hit(dom_hit(fx, "good.example"), "good.example");
	assert_hit(dom_hit(fx, "hxxpupdate.example"), "hxxpupdate.example");

	/* a line too long, a NUL: reported, the rest loads */
	put(fx, "bad.txt", big);
	assert_int_equal(load(fx, "bad.txt"), 0);
	assert_bad(fx, 0, 1, "longer than 4096");
	tmpdir_path(path, sizeof(path), &fx->dir, "bad.txt");
	assert_int_equal(file_put(path, "a.example\nb.exa\0mple\nc.example\n",
	    30, 0600), 0);
	assert_int_equal(load(fx, "bad.txt"), 0);
	assert_int_equal(fx->nbad, 1);
	assert_bad(fx, 0, 2, "NUL");
	assert_int_equal(fx->st.domains, 2);
}

static void
test_format(void **state)
{
	struct fx	*fx = *state;
	struct ioc_hit	 h;

	/* CRLF, a byte order mark, blanks, comments, notes */
	put(fx, "win.txt", "\xef\xbb\xbf" "first.example\r\n"
	    "\r\n   \t\r\n# comment\r\n  #indented comment\r\n"
	    "  second.example\t  note with spaces \r\n"
	    "third.example #\r\n");
	assert_int_equal(load(fx, "win.txt"), 0);
	assert_int_equal(fx->nbad, 0);
	assert_int_equal(fx->st.domains, 3);
	assert_true(ioc_match_domain(fx->db, "first.example", 13, &h));
	assert_string_equal(h.indicator, "first.example");
	assert_null(h.note);
	assert_true(ioc_match_domain(fx->db, "second.example", 14, &h));
	assert_string_equal(h.note, "note with spaces");
	assert_true(ioc_match_domain(fx->db, "third.example", 13, &h));
	assert_null(h.note);

	/* an empty file, a file of comments */
	put(fx, "win.txt", "");
	assert_int_equal(load(fx, "win.txt"), 0);
	assert_int_equal(fx->st.files, 1);
	assert_int_equal(fx->st.domains + fx->st.ips + fx->st.bad_lines, 0);
	assert_hit(dom_hit(fx, "first.example"), NULL);
	assert_hit(url_hit(fx, "a", "/"), NULL);
	assert_hit(ip_hit(fx, "1.1.1.1"), NULL);
	put(fx, "win.txt", "# only\n#\n");
	assert_int_equal(load(fx, "win.txt"), 0);
	assert_int_equal(fx->nbad, 0);
	/* no last newline */
	put(fx, "win.txt", "x.example\n1.1.1.1");
	assert_int_equal(load(fx, "win.txt"), 0);
	assert_hit(ip_hit(fx, "1.1.1.1"), "1.1.1.1");
}

static void
test_duplicates_and_folders(void **state)
{
	struct fx	*fx = *state;
	struct ioc_hit	 h;
	char		 sub[PATH_MAX];

	put(fx, "b.txt", "dup.example second\n1.1.1.1 b\n");
	put(fx, "a.list", "dup.example first\nDUP.example. again\n"
	    "1.1.1.1/32 a\n");
	put(fx, "README", "not.loaded.example\n");
	put(fx, ".hidden.txt", "hidden.example\n");
	put(fx, "c.txt.bak", "bak.example\n");
	tmpdir_path(sub, sizeof(sub), &fx->dir, "sub.txt");
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(load(fx, NULL), 0);
	assert_int_equal(fx->st.files, 2);
	assert_int_equal(fx->st.duplicates, 3);
	assert_int_equal(fx->st.domains, 1);
	assert_int_equal(fx->st.ips + fx->st.cidrs, 1);
	/* a.list is read before b.txt: its entries are kept */
	assert_true(ioc_match_domain(fx->db, "dup.example", 11, &h));
	assert_string_equal(h.list, "a");
	assert_string_equal(h.note, "first");
	assert_true(ioc_match_addr(fx->db, &(struct naddr){ 4, { 1, 1, 1,
	    1 } }, &h));
	assert_string_equal(h.indicator, "1.1.1.1/32");
	assert_string_equal(h.kind, "cidr");
	assert_hit(dom_hit(fx, "not.loaded.example"), NULL);
	assert_hit(dom_hit(fx, "hidden.example"), NULL);
	assert_hit(dom_hit(fx, "bak.example"), NULL);
	/* a file named is loaded whatever its name */
	assert_int_equal(load(fx, "README"), 0);
	assert_true(ioc_match_domain(fx->db, "not.loaded.example", 18, &h));
	assert_string_equal(h.list, "README");
	/* an empty folder */
	assert_int_equal(load(fx, "sub.txt"), 0);
	assert_int_equal(fx->st.files, 0);
	/* a path that is not there */
	assert_int_equal(load(fx, "absent.txt"), ERR_IO);
	assert_null(fx->db);
	/* no paths at all */
	assert_int_equal(iocdb_load(&fx->db, NULL, 0, NULL, NULL, NULL), 0);
	assert_hit(dom_hit(fx, "dup.example"), NULL);
}

/* --- random lists against naive models --- */

#define NDOM	300
#define NQ	3000

static void
rand_name(char *out, size_t cap, int labels)
{
	static const char	*const part[] = { "a", "b", "ab", "ba", "x",
				    "A", "aa" };
	size_t			 o = 0;
	int			 i;

	out[0] = '\0';
	for (i = 0; i < labels; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "." : "",
		    part[rnd() % 7]);
}

/* naive: is a (lowercase) suffix of q at a label boundary? */
static bool
naive_under(const char *q, const char *d)
{
	size_t	ql = strlen(q), dl = strlen(d);

	if (dl > ql || strcasecmp(q + ql - dl, d) != 0)
		return false;
	return ql == dl || q[ql - dl - 1] == '.';
}

static void
test_domains_model(void **state)
{
	struct fx	*fx = *state;
	static char	 list[NDOM][32], text[NDOM * 33];
	char		 q[64];
	struct ioc_hit	 h;
	size_t		 i, k, o = 0, best, bl;

	for (i = 0; i < NDOM; i++) {
		rand_name(list[i], sizeof(list[i]), 1 + (int)(rnd() % 4));
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\n",
		    list[i]);
	}
	put(fx, "m.txt", text);
	assert_int_equal(load(fx, "m.txt"), 0);
	assert_int_equal(fx->nbad, 0);
	for (k = 0; k < NQ; k++) {
		rand_name(q, sizeof(q), 1 + (int)(rnd() % 6));
		best = NDOM;
		bl = 0;
		for (i = 0; i < NDOM; i++) {
			if (naive_under(q, list[i]) &&
			    strlen(list[i]) > bl) {
				best = i;
				bl = strlen(list[i]);
			}
		}
		if (best == NDOM)
			assert_false(ioc_match_domain(fx->db, q, strlen(q),
			    NULL));
		else {
			assert_true(ioc_match_domain(fx->db, q, strlen(q),
			    &h));
			if (strcasecmp(h.indicator, list[best]) != 0)
				fail_msg("%s: %s, wanted %s", q, h.indicator,
				    list[best]);
		}
	}
}

struct range {
	uint8_t		a[4];
	unsigned	plen;
};

static bool
naive_in(const uint8_t a[4], const struct range *r)
{
	uint32_t	x = (uint32_t)a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
	uint32_t	y = (uint32_t)r->a[0] << 24 | r->a[1] << 16 |
			    r->a[2] << 8 | r->a[3];
	uint32_t	m = r->plen == 0 ? 0 : UINT32_MAX << (32 - r->plen);

	return (x & m) == (y & m);
}

static void
test_ranges_model(void **state)
{
	struct fx	*fx = *state;
	static struct range	 r[NDOM];
	static char	 text[NDOM * 24];
	struct naddr	 q = { .family = 4 };
	struct ioc_hit	 h;
	char		 want[24];
	size_t		 i, k, o = 0;
	int		 best;

	for (i = 0; i < NDOM; i++) {
		/* a small space, so that ranges nest and collide */
		r[i] = (struct range){ { 10, (uint8_t)(rnd() % 4),
		    (uint8_t)(rnd() % 4 * 64), (uint8_t)(rnd() % 8) },
		    8 + rnd() % 25 };
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "10.%u.%u.%u/%u\n", r[i].a[1], r[i].a[2], r[i].a[3],
		    r[i].plen);
	}
	put(fx, "m.txt", text);
	assert_int_equal(load(fx, "m.txt"), 0);
	assert_int_equal(fx->nbad, 0);
	for (k = 0; k < NQ; k++) {
		q.a[0] = rnd() % 8 ? 10 : 11;
		q.a[1] = (uint8_t)(rnd() % 5);
		q.a[2] = (uint8_t)(rnd() % 256);
		q.a[3] = (uint8_t)(rnd() % 8);
		best = -1;
		for (i = 0; i < NDOM; i++)
			if (naive_in(q.a, &r[i]) && (best < 0 ||
			    r[i].plen > r[best].plen))
				best = (int)i;
		if (best < 0) {
			assert_false(ioc_match_addr(fx->db, &q, NULL));
			continue;
		}
		assert_true(ioc_match_addr(fx->db, &q, &h));
		/* the same prefix length and network as the model's */
		snprintf(want, sizeof(want), "/%u", r[best].plen);
		assert_non_null(strstr(h.indicator, want));
		assert_int_equal(strlen(strstr(h.indicator, "/")),
		    strlen(want));
	}
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(test_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_folders,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_domains_model, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ranges_model, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
