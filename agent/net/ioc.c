/*
 * ioc.c: indicator lists (ioc.h has the format and the contract).
 *
 * Layout: every string (list names, indicators as written, notes, lookup
 * keys) lives in one arena and is named by its 32-bit offset; a record
 * per indicator (24 bytes) names its key, text, note and list. Loading
 * appends records; once every file is read, four open-addressing tables
 * (linear probing, at most half full, a slot holds a record number and
 * its key's hash: 8 bytes, 16 to 32 per indicator) are
 * built in record order, so the first of two equal keys is the one kept.
 * Nothing is allocated per entry: a million indicators cost a few
 * doublings of two arrays and four table allocations.
 *
 * Keys: an address or range is (family, prefix length, masked address),
 * 6 or 18 bytes, in one table, with a bitmap of the prefix lengths in use
 * per family: a lookup probes each listed length, longest first, so the
 * most specific entry wins. A filter of 16 bits per address entry, on
 * the first 24 (IPv4) or 32 (IPv6) bits hashed, skips the longer lengths
 * for addresses near no entry (most of them: a lookup that hits nothing
 * is then one bit test and a probe per shorter length listed). A domain is its lowercased name; its hash is
 * FNV-1a taken from the last byte backwards, so one pass over a looked-up
 * name yields the hash of every suffix, and each suffix that starts a
 * label costs one probe. A URL is lowercased host then path; a SHA-256
 * its 32 bytes.
 *
 * The lists are the operator's (trusted for their size: a bigger list
 * costs memory); the names looked up come from the network, and cost at
 * most O(length) each, whatever they hold.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "ioc.h"
#include "log.h"
#include "netfiles.h"
#include "text.h"

#define LINE_MAX_LEN	4096	/* a longer line is a bad line */
#define DOMAIN_MAX	253
#define LABEL_MAX	63
#define LISTS_MAX	UINT16_MAX
#define FILTER_MIN	65536		/* bits */
#define FILTER_MAX	(1u << 26)	/* bits: 8 MiB */
#define FILTER_PLEN(fam) ((fam) == 4 ? 24 : 32)
#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

enum kind { K_IP, K_CIDR, K_DOMAIN, K_URL, K_SHA256, K__N };
enum tab { T_ADDR, T_DOMAIN, T_URL, T_SHA256, T__N };

static const char *const kind_name[K__N] = {
	"ip", "cidr", "domain", "url", "sha256"
};
static const enum tab kind_tab[K__N] = {
	T_ADDR, T_ADDR, T_DOMAIN, T_URL, T_SHA256
};

struct rec {
	uint32_t	 hash;		/* of the key */
	uint32_t	 key;		/* arena offsets */
	uint32_t	 text;		/* NUL-ended, as written */
	uint32_t	 note;		/* NUL-ended; 0: none */
	uint16_t	 keylen;	/* 1..LINE_MAX_LEN */
	uint16_t	 list;		/* index in lists[] */
	uint8_t		 kind;		/* enum kind */
};

/* A slot holds the key's hash too: a probe that passes a different key
 * costs no visit to its record. */
struct slot {
	uint32_t	 hash;
	uint32_t	 rec;		/* record number + 1; 0: empty */
};

struct htab {
	struct slot	*slot;
	uint32_t	 mask;		/* slots - 1, a power of two - 1 */
};

struct iocdb {
	char		*arena;		/* offset 0 is "" */
	size_t		 alen, acap;
	struct rec	*rec;
	size_t		 nrec, caprec;
	uint32_t	*list;		/* arena offsets of the list names */
	size_t		 nlist, caplist;
	struct htab	 tab[T__N];
	uint64_t	 plen4;		/* bit p: an IPv4 /p is listed */
	uint64_t	 plen6[3];	/* bit p: an IPv6 /p, p 0..128 */
	/* bit f(a): an entry of at least FILTER_PLEN bits may lie in a's
	 * /24 (IPv4) or /32 (IPv6): most addresses need no probe of the
	 * longer prefixes at all */
	uint64_t	*filter;
	uint32_t	 fmask;		/* bits - 1 */
	size_t		 domain_max;	/* longest domain key */
};

/* One piece of a key being looked up; fold: compare it lowercased. */
struct seg {
	const uint8_t	*p;
	size_t		 len;
	bool		 fold;
};

/* A line being loaded. */
struct line {
	const char	*file;
	unsigned	 no;
	void		(*bad)(void *, const char *, unsigned, const char *);
	void		*ctx;
	uint16_t	 list;
	struct ioc_stats *st;
};

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

static uint64_t
fnv(uint64_t h, uint8_t c)
{
	return (h ^ c) * FNV_PRIME;
}

/* FNV-1a mixed down (murmur3's finaliser): the low bits index tables. */
static uint32_t
hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static uint64_t
hash_segs(uint64_t h, const struct seg *s, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < s[i].len; j++)
			h = fnv(h, s[i].fold ? lower(s[i].p[j]) : s[i].p[j]);
	return h;
}

/* A domain's hash: its bytes lowercased, last to first. */
static uint32_t
hash_domain(const uint8_t *p, size_t len)
{
	uint64_t	h = FNV_OFFSET;

	while (len-- > 0)
		h = fnv(h, lower(p[len]));
	return hash_final(h);
}

static bool
key_equal(const uint8_t *key, size_t keylen, const struct seg *s, size_t n)
{
	size_t	i, j, off = 0;

	for (i = 0; i < n; i++) {
		if (s[i].len > keylen - off)
			return false;
		for (j = 0; j < s[i].len; j++)
			if (key[off + j] != (s[i].fold ? lower(s[i].p[j]) :
			    s[i].p[j]))
				return false;
		off += s[i].len;
	}
	return off == keylen;
}

/* The record whose key is the concatenation of s[0..n), or NULL. */
static const struct rec *
probe(const struct iocdb *db, enum tab t, uint32_t h, const struct seg *s,
    size_t n)
{
	const struct htab	*ht = &db->tab[t];
	const struct rec	*r;
	uint32_t		 i;

	if (ht->slot == NULL)
		return NULL;
	for (i = h & ht->mask; ht->slot[i].rec != 0; i = (i + 1) & ht->mask) {
		if (ht->slot[i].hash != h)
			continue;
		r = &db->rec[ht->slot[i].rec - 1];
		if (key_equal((const uint8_t *)db->arena + r->key, r->keylen,
		    s, n))
			return r;
	}
	return NULL;
}

static bool
hit_fill(const struct iocdb *db, const struct rec *r, struct ioc_hit *hit)
{
	if (r == NULL)
		return false;
	if (hit != NULL) {
		hit->list = db->arena + db->list[r->list];
		hit->indicator = db->arena + r->text;
		hit->note = r->note != 0 ? db->arena + r->note : NULL;
		hit->kind = kind_name[r->kind];
	}
	return true;
}

/* --- the arena and the records --- */

/* Append len bytes (and a NUL if nul): their offset in *off. */
static int
arena_put(struct iocdb *db, uint32_t *off, const void *p, size_t len,
    bool nul)
{
	size_t	 need, cap;
	char	*a;

	if (len > UINT32_MAX - 1 - db->alen)
		return ERR_TOOBIG;
	need = db->alen + len + (nul ? 1 : 0);
	if (need > db->acap) {
		cap = db->acap ? db->acap : 1 << 16;
		while (cap < need)
			cap *= 2;
		if ((a = realloc(db->arena, cap)) == NULL)
			return ERR_NOMEM;
		db->arena = a;
		db->acap = cap;
	}
	*off = (uint32_t)db->alen;
	memcpy(db->arena + db->alen, p, len);
	if (nul)
		db->arena[db->alen + len] = '\0';
	db->alen = need;
	return 0;
}

static int
rec_new(struct iocdb *db, struct rec **out)
{
	struct rec	*r;
	size_t		 cap;

	if (db->nrec >= UINT32_MAX - 1)
		return ERR_TOOBIG;
	if (db->nrec == db->caprec) {
		cap = db->caprec ? db->caprec * 2 : 1024;
		if ((r = reallocarray(db->rec, cap, sizeof(*r))) == NULL)
			return ERR_NOMEM;
		db->rec = r;
		db->caprec = cap;
	}
	*out = &db->rec[db->nrec];
	return 0;
}

/* A record for one indicator: key (keylen bytes), its text as written
 * and its note (may be NULL). The key shares the text's bytes when it is
 * their prefix (a domain written lowercase). */
static int
rec_add(struct iocdb *db, const struct line *ln, enum kind k,
    const uint8_t *key, size_t keylen, const char *text, size_t tlen,
    const char *note, size_t nlen)
{
	struct rec	*r;
	int		 rc;

	if ((rc = rec_new(db, &r)) != 0)
		return rc;
	memset(r, 0, sizeof(*r));
	if ((rc = arena_put(db, &r->text, text, tlen, true)) != 0)
		return rc;
	if (keylen <= tlen && memcmp(key, text, keylen) == 0)
		r->key = r->text;
	else if ((rc = arena_put(db, &r->key, key, keylen, false)) != 0)
		return rc;
	if (nlen > 0 && (rc = arena_put(db, &r->note, note, nlen, true)) != 0)
		return rc;
	r->keylen = (uint16_t)keylen;
	r->list = ln->list;
	r->kind = (uint8_t)k;
	r->hash = k == K_DOMAIN ? hash_domain(key, keylen) :
	    hash_final(hash_segs(FNV_OFFSET, &(struct seg){ key, keylen,
	    false }, 1));
	db->nrec++;
	return 0;
}

/* --- parsing one indicator --- */

static bool
all_hex(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool
all_digits(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

/*
 * A domain s[0..len) (a trailing dot and a leading "*." dropped) into
 * out, lowercased: its length, or 0 with *why set. Labels of letters,
 * digits, '-' and '_', 1 to 63 bytes, 253 in all; the last label is not
 * all digits (that is a mistyped address).
 */
static size_t
parse_domain(uint8_t out[DOMAIN_MAX], const char *s, size_t len,
    const char **why)
{
	size_t	i, label = 0, last = 0;

	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len > 0 && s[len - 1] == '.')
		len--;
	*why = "empty domain";
	if (len == 0)
		return 0;
	*why = "domain longer than 253 bytes";
	if (len > DOMAIN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			*why = "empty domain label";
			if (label == 0)
				return 0;
			label = 0;
			last = i + 1;
			out[i] = '.';
			continue;
		}
		*why = "not a domain (letters, digits, '-', '_' and dots)";
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
		*why = "domain label longer than 63 bytes";
		if (++label > LABEL_MAX)
			return 0;
		out[i] = lower((uint8_t)s[i]);
	}
	*why = "empty domain label";
	if (label == 0)
		return 0;
	*why = "not an address (a domain cannot end in digits only)";
	if (all_digits(s + last, len - last))
		return 0;
	return len;
}

/* An address in s[0..len): its family (4, 6) and bytes, IPv4-mapped IPv6
 * as IPv4; 0 if it is not one. */
static int
parse_addr(uint8_t a[16], const char *s, size_t len)
{
	static const uint8_t	mapped[12] = { [10] = 0xff, [11] = 0xff };
	char			buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, 16);
	if (inet_pton(AF_INET, buf, a) == 1)
		return 4;
	if (memchr(buf, ':', len) == NULL || inet_pton(AF_INET6, buf, a) != 1)
		return 0;
	if (memcmp(a, mapped, sizeof(mapped)) != 0)
		return 6;
	memmove(a, a + 12, 4);
	memset(a + 4, 0, 12);
	return 4;
}

/* The key of an address or range: family, prefix length, the address
 * with the bits past the prefix cleared. Its length. */
static size_t
addr_key(uint8_t key[18], int fam, const uint8_t a[16], unsigned plen)
{
	size_t	alen = fam == 4 ? 4 : 16, i;

	key[0] = (uint8_t)fam;
	key[1] = (uint8_t)plen;
	for (i = 0; i < alen; i++)
		key[2 + i] = plen >= 8 * (i + 1) ? a[i] : plen <= 8 * i ? 0 :
		    (uint8_t)(a[i] & (0xff00 >> (plen - 8 * i)));
	return 2 + alen;
}

/* The filter bit of an address: its first 24 bits (IPv4) or 32 (IPv6),
 * hashed. */
static uint32_t
filter_bit(const struct iocdb *db, int fam, const uint8_t *a)
{
	uint32_t	x;

	x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 |
	    (fam == 4 ? 4 : a[3]);
	return hash_final(x) & db->fmask;
}

static bool
filter_has(const struct iocdb *db, int fam, const uint8_t *a)
{
	uint32_t	b = filter_bit(db, fam, a);

	return (db->filter[b / 64] >> (b % 64) & 1) != 0;
}

static void
plen_mark(struct iocdb *db, int fam, unsigned plen)
{
	if (fam == 4)
		db->plen4 |= 1ULL << plen;
	else
		db->plen6[plen / 64] |= 1ULL << (plen % 64);
}

/* The filter: 16 bits per address entry (at most one in 16 set), at
 * least 64 Kibit, at most 64 Mibit. */
static int
filter_build(struct iocdb *db, size_t n)
{
	const struct rec	*r;
	const uint8_t		*key;
	size_t			 bits, i;
	uint32_t		 b;

	for (bits = FILTER_MIN; bits < FILTER_MAX && bits / 16 < n; bits *= 2)
		;
	if ((db->filter = calloc(bits / 64, sizeof(uint64_t))) == NULL)
		return ERR_NOMEM;
	db->fmask = (uint32_t)(bits - 1);
	for (i = 0; i < db->nrec; i++) {
		r = &db->rec[i];
		key = (const uint8_t *)db->arena + r->key;
		if (kind_tab[r->kind] != T_ADDR || key[1] < FILTER_PLEN(key[0]))
			continue;
		b = filter_bit(db, key[0], key + 2);
		db->filter[b / 64] |= 1ULL << (b % 64);
	}
	return 0;
}

/* "ADDR" or "ADDR/LEN". 0, or ERR_MALFORMED with *why. */
static int
add_addr(struct iocdb *db, const struct line *ln, const char *s,
    size_t len, const char *note, size_t nlen, const char **why)
{
	const char	*slash = memchr(s, '/', len);
	uint8_t		 a[16], key[18];
	uint64_t	 plen;
	size_t		 alen = slash ? (size_t)(slash - s) : len;
	int		 fam, mapped;

	*why = "not an address, range, domain, URL or SHA-256";
	if ((fam = parse_addr(a, s, alen)) == 0)
		return ERR_MALFORMED;
	plen = fam == 4 ? 32 : 128;
	if (slash != NULL) {
		*why = "bad prefix length";
		/* a mapped range ::ffff:a.b.c.d/N is the IPv4 /N-96 */
		mapped = fam == 4 && memchr(s, ':', alen) != NULL ? 96 : 0;
		if (text_u64(&plen, slash + 1, len - alen - 1, (uint64_t)mapped,
		    fam == 4 ? 32 + (uint64_t)mapped : 128) != 0)
			return ERR_MALFORMED;
		plen -= (uint64_t)mapped;
	}
	plen_mark(db, fam, (unsigned)plen);
	return rec_add(db, ln, slash ? K_CIDR : K_IP, key,
	    addr_key(key, fam, a, (unsigned)plen), s, len, note, nlen);
}

/* Drop a trailing ":port" and a trailing dot from a host. */
static size_t
host_trim(const char *h, size_t len)
{
	const char	*colon = memrchr(h, ':', len);

	if (colon != NULL && all_digits(colon + 1, len - (size_t)(colon + 1 -
	    h)) && (h[0] == '[' ? colon > h && colon[-1] == ']' :
	    memchr(h, ':', (size_t)(colon - h)) == NULL))
		len = (size_t)(colon - h);
	if (len > 0 && h[len - 1] == '.')
		len--;
	return len;
}

/* "[scheme://][user@]host[:port][/path][?query][#fragment]" */
static int
add_url(struct iocdb *db, const struct line *ln, const char *s, size_t len,
    const char *note, size_t nlen, const char **why)
{
	uint8_t		 key[LINE_MAX_LEN + 1], dom[DOMAIN_MAX], a[16];
	const char	*h = s, *end = s + len, *p, *at;
	size_t		 hlen, plen, klen;

	if ((p = memmem(s, len, "://", 3)) != NULL)
		h = p + 3;
	for (p = h; p < end && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	if ((at = memrchr(h, '@', (size_t)(p - h))) != NULL)
		h = at + 1;
	hlen = host_trim(h, (size_t)(p - h));
	*why = "URL without a host";
	if (hlen == 0)
		return ERR_MALFORMED;
	if (h[0] == '[' ? hlen < 3 || h[hlen - 1] != ']' ||
	    parse_addr(a, h + 1, hlen - 2) != 6 :
	    parse_addr(a, h, hlen) == 0 && parse_domain(dom, h, hlen,
	    why) != hlen)
		return ERR_MALFORMED;
	if ((at = memchr(p, '#', (size_t)(end - p))) != NULL)
		end = at;
	plen = (size_t)(end - p);
	for (klen = 0; klen < hlen; klen++)
		key[klen] = lower((uint8_t)h[klen]);
	if (plen == 0 || *p != '/')
		key[klen++] = '/';
	memcpy(key + klen, p, plen);	/* klen + plen <= len + 1 */
	return rec_add(db, ln, K_URL, key, klen + plen, s, len, note, nlen);
}

static int
add_sha256(struct iocdb *db, const struct line *ln, const char *s,
    const char *note, size_t nlen)
{
	uint8_t	d[32];
	size_t	i;

	for (i = 0; i < 32; i++)
		d[i] = (uint8_t)((isdigit((unsigned char)s[2 * i]) ?
		    s[2 * i] - '0' : lower((uint8_t)s[2 * i]) - 'a' + 10) << 4 |
		    (isdigit((unsigned char)s[2 * i + 1]) ? s[2 * i + 1] - '0' :
		    lower((uint8_t)s[2 * i + 1]) - 'a' + 10));
	return rec_add(db, ln, K_SHA256, d, sizeof(d), s, 64, note, nlen);
}

static bool
defanged(const char *s, size_t len)
{
	return memmem(s, len, "[.]", 3) != NULL ||
	    memmem(s, len, "(.)", 3) != NULL ||
	    memmem(s, len, "[:]", 3) != NULL ||
	    (len >= 7 && strncasecmp(s, "hxxp://", 7) == 0) ||
	    (len >= 8 && strncasecmp(s, "hxxps://", 8) == 0);
}

/* One indicator s[0..len) and its note: 0, ERR_MALFORMED with *why, or
 * an error that ends the load. */
static int
add_indicator(struct iocdb *db, const struct line *ln, const char *s,
    size_t len, const char *note, size_t nlen, const char **why)
{
	uint8_t		 dom[DOMAIN_MAX];
	const char	*slash;
	size_t		 dlen;

	if (len == 64 && all_hex(s, len))
		return add_sha256(db, ln, s, note, nlen);
	*why = "an MD5 or SHA-1 hash: only SHA-256 is supported";
	if ((len == 32 || len == 40) && all_hex(s, len))
		return ERR_MALFORMED;
	*why = "defanged ([.], hxxp): write the indicator plain";
	if (defanged(s, len))
		return ERR_MALFORMED;
	slash = memchr(s, '/', len);
	/* "ADDR/DIGITS" is a range, anything else with a slash a URL */
	if (memmem(s, len, "://", 3) != NULL || (slash != NULL &&
	    (!all_digits(slash + 1, len - (size_t)(slash + 1 - s)) ||
	    parse_addr(dom, s, (size_t)(slash - s)) == 0)))
		return add_url(db, ln, s, len, note, nlen, why);
	if (slash != NULL || memchr(s, ':', len) != NULL ||
	    parse_addr(dom, s, len) != 0)
		return add_addr(db, ln, s, len, note, nlen, why);
	if ((dlen = parse_domain(dom, s, len, why)) == 0)
		return ERR_MALFORMED;
	if (dlen > db->domain_max)
		db->domain_max = dlen;
	return rec_add(db, ln, K_DOMAIN, dom, dlen, s, len, note, nlen);
}

static void
bad_line(const struct line *ln, const char *why)
{
	ln->st->bad_lines++;
	if (ln->bad != NULL)
		ln->bad(ln->ctx, ln->file, ln->no, why);
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* s[0..len) without its leading blanks: where it starts, *left its
 * length. */
static const char *
skip_blank(const char *s, size_t len, size_t *left)
{
	while (len > 0 && blank(*s)) {
		s++;
		len--;
	}
	*left = len;
	return s;
}

/* One line (without its '\n'). 0, or an error that ends the load. */
static int
load_line(struct iocdb *db, const struct line *ln, const char *s,
    size_t len)
{
	const char	*why, *tok, *note;
	size_t		 tlen, nlen;
	int		 rc;

	if (memchr(s, '\0', len) != NULL) {
		bad_line(ln, "NUL byte in the line");
		return 0;
	}
	while (len > 0 && blank(s[len - 1]))
		len--;
	s = skip_blank(s, len, &len);
	if (len == 0 || *s == '#')
		return 0;
	if (len > LINE_MAX_LEN) {
		bad_line(ln, "line longer than 4096 bytes");
		return 0;
	}
	for (tok = s, tlen = 0; tlen < len && !blank(tok[tlen]); tlen++)
		;
	note = skip_blank(tok + tlen, len - tlen, &nlen);
	if (nlen > 0 && *note == '#')
		note = skip_blank(note + 1, nlen - 1, &nlen);
	rc = add_indicator(db, ln, tok, tlen, note, nlen, &why);
	if (rc == ERR_MALFORMED) {
		bad_line(ln, why);
		rc = 0;
	}
	return rc;
}

/* --- files and folders --- */

/* The list name: the file's base name without ".txt" or ".list". */
static int
list_add(struct iocdb *db, uint16_t *out, const char *path)
{
	const char	*base = strrchr(path, '/');
	size_t		 len, cap;
	uint32_t	*l;
	int		 rc;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".txt") == 0)
		len -= 4;
	else if (len > 5 && strcmp(base + len - 5, ".list") == 0)
		len -= 5;
	if (db->nlist >= LISTS_MAX)
		return ERR_TOOBIG;
	if (db->nlist == db->caplist) {
		cap = db->caplist ? db->caplist * 2 : 16;
		if ((l = reallocarray(db->list, cap, sizeof(*l))) == NULL)
			return ERR_NOMEM;
		db->list = l;
		db->caplist = cap;
	}
	if ((rc = arena_put(db, &db->list[db->nlist], base, len, true)) != 0)
		return rc;
	*out = (uint16_t)db->nlist++;
	return 0;
}

static int
load_file(struct iocdb *db, const struct netfile *nf, struct line *ln)
{
	FILE	*f;
	char	*buf = NULL, *s;
	size_t	 cap = 0, len;
	ssize_t	 n;
	int	 rc;

	if ((f = netfile_stream(nf)) == NULL) {
		log_warn("ioc list %s", nf->path);
		return errno == ENOMEM ? ERR_NOMEM : ERR_IO;
	}
	if ((rc = list_add(db, &ln->list, nf->path)) != 0)
		goto done;
	ln->file = nf->path;
	ln->st->files++;
	for (ln->no = 1; (n = getline(&buf, &cap, f)) != -1; ln->no++) {
		s = buf;
		len = (size_t)n;
		if (ln->no == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;		/* Notepad's byte order mark */
			len -= 3;
		}
		if (len > 0 && s[len - 1] == '\n')
			len--;
		if ((rc = load_line(db, ln, s, len)) != 0)
			goto done;
	}
	if (ferror(f))		/* a memory stream: out of memory */
		rc = ERR_NOMEM;
done:
	free(buf);
	(void)fclose(f);
	return rc;
}

/* --- the tables --- */

static int
tab_build(struct iocdb *db, struct ioc_stats *st)
{
	uint64_t	*count[K__N] = { &st->ips, &st->cidrs, &st->domains,
			    &st->urls, &st->hashes };
	size_t		 n[T__N] = { 0 }, cap, r;
	struct htab	*ht;
	struct rec	*e;
	uint32_t	 i;
	int		 t;

	for (r = 0; r < db->nrec; r++)
		n[kind_tab[db->rec[r].kind]]++;
	if (filter_build(db, n[T_ADDR]) != 0)
		return ERR_NOMEM;
	for (t = 0; t < T__N; t++) {
		for (cap = 16; cap < 2 * n[t]; cap *= 2)
			;
		if ((db->tab[t].slot = calloc(cap, sizeof(struct slot))) ==
		    NULL)
			return ERR_NOMEM;
		db->tab[t].mask = (uint32_t)(cap - 1);
	}
	for (r = 0; r < db->nrec; r++) {
		e = &db->rec[r];
		ht = &db->tab[kind_tab[e->kind]];
		if (probe(db, kind_tab[e->kind], e->hash, &(struct seg){
		    (const uint8_t *)db->arena + e->key, e->keylen, false },
		    1) != NULL) {
			st->duplicates++;
			continue;
		}
		for (i = e->hash & ht->mask; ht->slot[i].rec != 0;
		    i = (i + 1) & ht->mask)
			;
		ht->slot[i] = (struct slot){ e->hash, (uint32_t)r + 1 };
		(*count[e->kind])++;
	}
	return 0;
}

int
iocdb_load_files(struct iocdb **out, const struct netfiles *fs,
    void (*bad)(void *, const char *, unsigned, const char *), void *ctx,
    struct ioc_stats *stats)
{
	struct ioc_stats	 st0;
	struct iocdb		*db;
	struct line		 ln = { .bad = bad, .ctx = ctx };
	uint32_t		 empty;
	size_t			 i;
	int			 rc = ERR_NOMEM;

	*out = NULL;
	ln.st = stats != NULL ? stats : &st0;
	memset(ln.st, 0, sizeof(*ln.st));
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (rc = arena_put(db, &empty, "", 0, true)) != 0)
		goto fail;
	for (i = 0; i < fs->n; i++)
		if ((rc = load_file(db, &fs->f[i], &ln)) != 0)
			goto fail;
	if ((rc = tab_build(db, ln.st)) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	iocdb_free(db);
	return rc;
}

int
iocdb_load(struct iocdb **out, const char *const *paths, size_t n,
    void (*bad)(void *, const char *, unsigned, const char *), void *ctx,
    struct ioc_stats *stats)
{
	struct netfiles	fs = { 0 };
	int		rc;

	*out = NULL;
	if ((rc = netfiles_read(&fs, NETFILES_LISTS, paths, n)) == 0)
		rc = iocdb_load_files(out, &fs, bad, ctx, stats);
	else if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	netfiles_clear(&fs);
	return rc;
}

void
iocdb_free(struct iocdb *db)
{
	int	t;

	if (db == NULL)
		return;
	for (t = 0; t < T__N; t++)
		free(db->tab[t].slot);
	free(db->filter);
	free(db->list);
	free(db->rec);
	free(db->arena);
	free(db);
}

void
ioc_log_bad(void *ctx, const char *file, unsigned line, const char *why)
{
	(void)ctx;
	log_warnx("%s:%u: indicator skipped: %s", file, line, why);
}

/* --- lookups --- */

static bool
plen_listed(const struct iocdb *db, int fam, unsigned plen)
{
	return fam == 4 ? (db->plen4 >> plen & 1) != 0 :
	    (db->plen6[plen / 64] >> (plen % 64) & 1) != 0;
}

bool
ioc_match_addr(const struct iocdb *db, const struct naddr *na,
    struct ioc_hit *hit)
{
	static const uint8_t	 mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct rec	*r;
	uint8_t			 a[16], key[18];
	size_t			 klen;
	int			 fam = na->family, p;

	if (fam != 4 && fam != 6)
		return false;
	memcpy(a, na->a, sizeof(a));
	if (fam == 6 && memcmp(a, mapped, sizeof(mapped)) == 0) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		fam = 4;
	}
	p = fam == 4 ? 32 : 128;
	if (!filter_has(db, fam, a))
		p = FILTER_PLEN(fam) - 1;
	for (; p >= 0; p--) {
		if (!plen_listed(db, fam, (unsigned)p))
			continue;
		klen = addr_key(key, fam, a, (unsigned)p);
		r = probe(db, T_ADDR, hash_final(hash_segs(FNV_OFFSET,
		    &(struct seg){ key, klen, false }, 1)),
		    &(struct seg){ key, klen, false }, 1);
		if (r != NULL)
			return hit_fill(db, r, hit);
	}
	return false;
}

bool
ioc_match_domain(const struct iocdb *db, const char *name, size_t len,
    struct ioc_hit *hit)
{
	const uint8_t		*s = (const uint8_t *)name;
	const struct rec	*r, *best = NULL;
	uint64_t		 h = FNV_OFFSET;
	size_t			 i;

	len = host_trim(name, len);
	for (i = len; i-- > 0 && len - i <= db->domain_max;) {
		h = fnv(h, lower(s[i]));
		if (i > 0 && s[i - 1] != '.')
			continue;
		r = probe(db, T_DOMAIN, hash_final(h),
		    &(struct seg){ s + i, len - i, true }, 1);
		if (r != NULL)
			best = r;	/* the longest listed suffix */
	}
	return hit_fill(db, best, hit);
}

bool
ioc_match_url(const struct iocdb *db, const char *host, size_t hlen,
    const char *path, size_t plen, struct ioc_hit *hit)
{
	const char	*q;
	struct seg	 s[3];
	uint64_t	 h;
	size_t		 n;

	hlen = host_trim(host, hlen);
	if (hlen == 0)
		return false;
	s[0] = (struct seg){ (const uint8_t *)host, hlen, true };
	if (plen == 0 || path[0] != '/') {
		s[1] = (struct seg){ (const uint8_t *)"/", 1, false };
		n = 2;
	} else
		n = 1;
	q = plen > 0 ? memchr(path, '?', plen) : NULL;
	s[n] = (struct seg){ (const uint8_t *)path, q != NULL ?
	    (size_t)(q - path) : plen, false };
	h = hash_segs(FNV_OFFSET, s, n + 1);
	if (q != NULL) {
		/* with its query first: the more specific entry */
		struct seg	 whole[3];

		memcpy(whole, s, sizeof(whole));
		whole[n].len = plen;
		if (hit_fill(db, probe(db, T_URL, hash_final(hash_segs(h,
		    &(struct seg){ (const uint8_t *)q, plen - (size_t)(q -
		    path), false }, 1)), whole, n + 1), hit))
			return true;
	}
	return hit_fill(db, probe(db, T_URL, hash_final(h), s, n + 1), hit);
}

bool
ioc_match_sha256(const struct iocdb *db, const uint8_t digest[32],
    struct ioc_hit *hit)
{
	struct seg	s = { digest, 32, false };

	return hit_fill(db, probe(db, T_SHA256, hash_final(hash_segs(
	    FNV_OFFSET, &s, 1)), &s, 1), hit);
}

size_t
iocdb_sha256_set(const struct iocdb *db, uint8_t digest[32])
{
	const struct htab	*ht = &db->tab[T_SHA256];
	const struct rec	*r;
	uint8_t			 h[32];
	size_t			 i, j, n = 0;

	memset(digest, 0, 32);
	/* the table holds each distinct key once (duplicates were left
	 * out when it was built), so the XOR counts every entry once */
	for (i = 0; ht->slot != NULL && i <= ht->mask; i++) {
		if (ht->slot[i].rec == 0)
			continue;
		r = &db->rec[ht->slot[i].rec - 1];
		crypto_generichash(h, sizeof(h), (const uint8_t *)db->arena +
		    r->key, r->keylen, NULL, 0);
		for (j = 0; j < sizeof(h); j++)
			digest[j] ^= h[j];
		n++;
	}
	return n;
}

/* --- alerts --- */

json_t *
ioc_evidence(const struct ioc_hit *h, const char *where, const char *value,
    size_t vlen)
{
	json_t	*ev;

	ev = json_pack("{s:o,s:o,s:s,s:s,s:o}", "list", text_json(h->list,
	    strlen(h->list), NULL), "indicator", text_json(h->indicator,
	    strlen(h->indicator), NULL), "kind", h->kind, "where", where,
	    "value", text_json(value, vlen, NULL));
	if (ev != NULL && h->note != NULL && json_object_set_new(ev, "note",
	    text_json(h->note, strlen(h->note), NULL)) != 0) {
		json_decref(ev);
		ev = NULL;
	}
	return ev;
}

void
ioc_signature(char *out, size_t len, const struct ioc_hit *h,
    const char *where)
{
	/* a list name is a file name: at most 255 bytes, cut if need be */
	(void)snprintf(out, len, "vigil IOC list %s: %s", h->list, where);
}
