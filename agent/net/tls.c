/*
 * tls.c: the TLS ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2) from the
 * client's byte stream: SNI, legacy version, JA3 and JA4.
 *
 * The handshake message is gathered from the handshake records at the
 * start of the stream (a ClientHello may span several records, and its
 * four-byte header may itself be split) into the scratch arena, then
 * parsed as a whole. Records are checked as they come: content type 22,
 * version 3.x, at most 2^14 + 2048 bytes; a ClientHello over TLS_CH_MAX
 * is ERR_TOOBIG. The hello itself is parsed strictly (every vector's
 * length exactly filling its parent, the extensions filling the message):
 * a hello a server would refuse with decode_error is ERR_MALFORMED, not a
 * guess. Duplicate extensions count in the fingerprints as they appear;
 * their contents are taken from the first. The SSLv2-compatible hello is
 * not parsed (ERR_MALFORMED).
 *
 * JA3 (Salesforce): "SSLVersion,Ciphers,Extensions,EllipticCurves,
 * EllipticCurvePointFormats", decimal values joined with '-', GREASE
 * (RFC 8701) removed from the ciphers, extensions and curves; MD5 hex.
 *
 * JA4 (FoxIO, technical_details/JA4.md): 't', the version ("13" from the
 * highest non-GREASE supported_versions entry, else the legacy version),
 * 'd' if a server_name extension is there, else 'i', the non-GREASE
 * cipher and extension counts (at most 99), the first and last character
 * of the first ALPN value ("00" without one; hex nibbles when either
 * byte is not ASCII alphanumeric); then the SHA-256, truncated to 12 hex
 * digits, of the sorted cipher list, and of the sorted extension list
 * without SNI and ALPN followed by '_' and the signature algorithms in
 * their order. As the spec says and Suricata does not: an empty list
 * hashes to "000000000000", and without signature algorithms there is no
 * '_' (Suricata hashes "" and always writes the '_'); a GREASE value
 * among the signature algorithms and ALPN values is skipped too.
 *
 * Load: one call per TCP flow whose client starts with a TLS record (and
 * again while the ClientHello is incomplete); work is linear in the
 * ClientHello but for the two sorts (n log n).
 */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "err.h"
#include "sbuf.h"
#include "tls.h"

#define REC_HDR		5
#define REC_MAX		(16384 + 2048)
#define HS_HDR		4
#define HS_CLIENT_HELLO	1
#define CT_HANDSHAKE	22

enum {
	EXT_SNI = 0x0000, EXT_GROUPS = 0x000a, EXT_FORMATS = 0x000b,
	EXT_SIGALGS = 0x000d, EXT_ALPN = 0x0010, EXT_VERSIONS = 0x002b,
};

struct hello {
	uint16_t	 legacy;
	struct cur	 ciphers;	/* 2 bytes each */
	struct cur	 exts;		/* the extensions block */
	struct cur	 groups;	/* 2 bytes each */
	struct cur	 formats;	/* 1 byte each */
	struct cur	 sigalgs;	/* 2 bytes each */
	struct cur	 versions;	/* 2 bytes each */
	const uint8_t	*sni;
	size_t		 sni_len;
	const uint8_t	*alpn;		/* the first non-GREASE value */
	size_t		 alpn_len;
	bool		 has_sni, has_versions;
};

static bool
grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* A record header at c: its payload length. */
static int
rec_header(struct cur *c, size_t *len)
{
	const uint8_t	*h = cur_ptr(c);
	size_t		 left = cur_left(c);

	if ((left >= 1 && h[0] != CT_HANDSHAKE) || (left >= 2 && h[1] != 3))
		return ERR_MALFORMED;
	if (left < REC_HDR)
		return ERR_AGAIN;
	*len = (size_t)h[3] << 8 | h[4];
	if (*len > REC_MAX)
		return ERR_MALFORMED;
	cur_skip(c, REC_HDR);
	return 0;
}

/* The handshake header in the first four gathered bytes: how many bytes
 * the whole message has. */
static int
hs_header(const uint8_t *h, size_t *need)
{
	size_t	len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];

	if (h[0] != HS_CLIENT_HELLO)
		return ERR_MALFORMED;
	if (len > TLS_CH_MAX)
		return ERR_TOOBIG;
	*need = HS_HDR + len;
	return 0;
}

/* The ClientHello's body from the records at p, copied into the arena. */
static int
gather(const uint8_t *p, size_t len, struct scratch *s, struct cur *body)
{
	struct cur	 c = cur_make(p, len);
	struct sbuf	 b;
	const uint8_t	*frag;
	uint8_t		*m;
	size_t		 need = HS_HDR, reclen, avail, off, n;
	int		 rc;

	sbuf_begin(&b, s);
	while (b.len < need) {
		if ((rc = rec_header(&c, &reclen)) != 0)
			goto fail;
		avail = reclen < cur_left(&c) ? reclen : cur_left(&c);
		frag = cur_take(&c, avail);
		for (off = 0; off < avail && b.len < need; off += n) {
			n = avail - off < need - b.len ? avail - off :
			    need - b.len;
			sbuf_put(&b, frag + off, n);
			if (b.err) {
				rc = ERR_NOMEM;
				goto fail;
			}
			if (need == HS_HDR && b.len == HS_HDR &&
			    (rc = hs_header(b.p, &need)) != 0)
				goto fail;
		}
		if (b.len < need && avail < reclen) {
			rc = ERR_AGAIN;		/* the record is cut */
			goto fail;
		}
	}
	if ((m = sbuf_end(&b, NULL)) == NULL)
		return ERR_NOMEM;
	*body = cur_make(m + HS_HDR, need - HS_HDR);
	return 0;
fail:
	sbuf_drop(&b);
	return rc;
}

/* A vector with a 1- or 2-byte length that fills c exactly, whose
 * length is a multiple of unit. */
static bool
vec_whole(struct cur *c, size_t lenbytes, size_t unit, struct cur *v)
{
	size_t	n = lenbytes == 1 ? cur_u8(c) : cur_be16(c);

	*v = cur_sub(c, n);
	return cur_ok(v) && cur_left(c) == 0 && n % unit == 0;
}

static int
ext_sni(struct hello *h, struct cur d)
{
	struct cur	list;
	uint16_t	n;
	uint8_t		type;

	if (!vec_whole(&d, 2, 1, &list))
		return ERR_MALFORMED;
	h->has_sni = true;
	while (cur_left(&list) > 0) {
		type = cur_u8(&list);
		n = cur_be16(&list);
		if (!cur_has(&list, n))
			return ERR_MALFORMED;
		if (type == 0 && h->sni == NULL) {
			h->sni = cur_ptr(&list);
			h->sni_len = n;
		}
		cur_skip(&list, n);
	}
	return cur_ok(&list) ? 0 : ERR_MALFORMED;
}

static int
ext_alpn(struct hello *h, struct cur d)
{
	struct cur	 list;
	const uint8_t	*v;
	uint8_t		 n;

	if (!vec_whole(&d, 2, 1, &list))
		return ERR_MALFORMED;
	while (cur_left(&list) > 0) {
		n = cur_u8(&list);
		if ((v = cur_take(&list, n)) == NULL)
			return ERR_MALFORMED;
		if (h->alpn == NULL && !(n == 2 && grease((uint16_t)(v[0] << 8 |
		    v[1])))) {
			h->alpn = v;
			h->alpn_len = n;
		}
	}
	return 0;
}

static int
ext_list(struct cur d, size_t lenbytes, size_t unit, struct cur *out)
{
	return vec_whole(&d, lenbytes, unit, out) ? 0 : ERR_MALFORMED;
}

/* One extension's contents; the first of each type only. */
static int
ext_one(struct hello *h, uint16_t type, struct cur d)
{
	switch (type) {
	case EXT_SNI:
		return h->has_sni ? 0 : ext_sni(h, d);
	case EXT_ALPN:
		return h->alpn != NULL ? 0 : ext_alpn(h, d);
	case EXT_GROUPS:
		return h->groups.p != NULL ? 0 : ext_list(d, 2, 2, &h->groups);
	case EXT_FORMATS:
		return h->formats.p != NULL ? 0 :
		    ext_list(d, 1, 1, &h->formats);
	case EXT_SIGALGS:
		return h->sigalgs.p != NULL ? 0 :
		    ext_list(d, 2, 2, &h->sigalgs);
	case EXT_VERSIONS:
		if (h->has_versions)
			return 0;
		h->has_versions = true;
		return ext_list(d, 1, 2, &h->versions);
	default:
		return 0;
	}
}

static int
hello_exts(struct hello *h)
{
	struct cur	c = h->exts;
	uint16_t	type, n;
	int		rc;

	while (cur_left(&c) > 0) {
		type = cur_be16(&c);
		n = cur_be16(&c);
		if (!cur_has(&c, n))
			return ERR_MALFORMED;
		if ((rc = ext_one(h, type, cur_sub(&c, n))) != 0)
			return rc;
	}
	return 0;
}

static int
hello_parse(struct cur body, struct hello *h)
{
	struct cur	sid, comp;

	memset(h, 0, sizeof(*h));
	h->legacy = cur_be16(&body);
	cur_skip(&body, 32);		/* random */
	sid = cur_sub(&body, cur_u8(&body));
	h->ciphers = cur_sub(&body, cur_be16(&body));
	comp = cur_sub(&body, cur_u8(&body));
	if (!cur_ok(&body) || sid.len > 32 || h->ciphers.len % 2 != 0 ||
	    comp.len == 0)
		return ERR_MALFORMED;
	if (cur_left(&body) > 0 && !vec_whole(&body, 2, 1, &h->exts))
		return ERR_MALFORMED;
	return hello_exts(h);
}

/* The non-GREASE values of a list of 2-byte values, each as put() writes
 * it, sep between; how many. */
static size_t
put_list(struct sbuf *b, struct cur l, uint8_t sep,
    void (*put)(struct sbuf *, uint16_t))
{
	size_t		n = 0;
	uint16_t	v;

	while (cur_left(&l) >= 2) {
		if (grease(v = cur_be16(&l)))
			continue;
		if (n++ > 0)
			sbuf_putc(b, sep);
		put(b, v);
	}
	return n;
}

static void
put_dec(struct sbuf *b, uint16_t v)
{
	sbuf_dec(b, v);
}

/* The extension types of the block, as a list cursor can't give them:
 * into the arena as 2-byte values, a list of their own. */
static int
ext_types(const struct hello *h, struct scratch *s, struct cur *out)
{
	struct cur	 c = h->exts;
	struct sbuf	 b;
	const uint8_t	*type;
	uint8_t		*p;
	size_t		 n;

	sbuf_begin(&b, s);
	while ((type = cur_take(&c, 2)) != NULL) {
		sbuf_put(&b, type, 2);
		cur_skip(&c, cur_be16(&c));
	}
	if ((p = sbuf_end(&b, &n)) == NULL)
		return ERR_NOMEM;
	*out = cur_make(p, n);
	return 0;
}

static int
ja3(const struct hello *h, const struct cur *types, struct txn *t,
    struct scratch *s)
{
	static const char hex[] = "0123456789abcdef";
	struct sbuf	 b;
	struct cur	 f = h->formats;
	uint8_t		 md[DIGEST_MD5_LEN], *str;
	unsigned	 i;
	size_t		 len, n = 0;

	sbuf_begin(&b, s);
	sbuf_dec(&b, h->legacy);
	sbuf_putc(&b, ',');
	put_list(&b, h->ciphers, '-', put_dec);
	sbuf_putc(&b, ',');
	put_list(&b, *types, '-', put_dec);
	sbuf_putc(&b, ',');
	put_list(&b, h->groups, '-', put_dec);
	sbuf_putc(&b, ',');
	while (cur_left(&f) > 0) {
		if (n++ > 0)
			sbuf_putc(&b, '-');
		sbuf_dec(&b, cur_u8(&f));
	}
	if ((str = sbuf_end(&b, &len)) == NULL)
		return ERR_NOMEM;
	if (digest_md5(md, str, len) != 0)
		return ERR_NOMEM;
	for (i = 0; i < DIGEST_MD5_LEN; i++) {
		t->tls.ja3[2 * i] = hex[md[i] >> 4];
		t->tls.ja3[2 * i + 1] = hex[md[i] & 0xf];
	}
	t->tls.ja3[32] = '\0';
	t->tls.ja3_string = (const char *)str;
	return 0;
}

static const char *
ja4_version(const struct hello *h)
{
	static const struct { uint16_t v; char s[3]; } names[] = {
		{ 0x0304, "13" }, { 0x0303, "12" }, { 0x0302, "11" },
		{ 0x0301, "10" }, { 0x0300, "s3" }, { 0x0002, "s2" },
		{ 0xfeff, "d1" }, { 0xfefd, "d2" }, { 0xfefc, "d3" },
	};
	struct cur	c = h->versions;
	uint16_t	v = h->has_versions ? 0 : h->legacy, x;
	size_t		i;

	while (cur_left(&c) >= 2)
		if (!grease(x = cur_be16(&c)) && x > v)
			v = x;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].v == v)
			return names[i].s;
	return "00";
}

static bool
alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

static void
ja4_alpn(const struct hello *h, char out[static 2])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t	first, last;

	out[0] = out[1] = '0';
	if (h->alpn == NULL || h->alpn_len == 0)
		return;
	first = h->alpn[0];
	last = h->alpn[h->alpn_len - 1];
	if (alnum(first) && alnum(last)) {
		out[0] = (char)first;
		out[1] = (char)last;
	} else {
		out[0] = hex[first >> 4];
		out[1] = hex[last & 0xf];
	}
}

static int
cmp16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

/* The non-GREASE values of l but those in skip[0..nskip), sorted, into
 * the arena; *n of them. */
static uint16_t *
sorted(struct scratch *s, struct cur l, const uint16_t *skip, size_t nskip,
    size_t *n)
{
	uint16_t	*v, x;
	size_t		 i;

	if ((v = scratch_aligned(s, (l.len / 2 + 1) * sizeof(*v))) == NULL)
		return NULL;
	*n = 0;
	while (cur_left(&l) >= 2) {
		x = cur_be16(&l);
		for (i = 0; i < nskip && skip[i] != x; i++)
			;
		if (!grease(x) && i == nskip)
			v[(*n)++] = x;
	}
	qsort(v, *n, sizeof(*v), cmp16);
	return v;
}

/* 12 hex digits of the SHA-256 of b's string, or zeros when empty. */
static int
hash12(struct sbuf *b, bool empty, char out[static 12])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t		md[DIGEST_SHA256_LEN];
	unsigned	i;

	memset(out, '0', 12);
	if (b->err)
		return ERR_NOMEM;
	if (!empty && digest_sha256(md, b->p, b->len) != 0)
		return ERR_NOMEM;
	for (i = 0; i < 6 && !empty; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	return 0;
}

static size_t
count(struct cur l)
{
	size_t		n = 0;

	while (cur_left(&l) >= 2)
		n += !grease(cur_be16(&l));
	return n > 99 ? 99 : n;
}

/* JA4's b or c part: the sorted values of l (but skip) as hex, then, for
 * c, '_' and the signature algorithms. */
static int
ja4_hash(const struct hello *h, struct cur l, const uint16_t *skip,
    size_t nskip, bool sigs, struct scratch *s, char out[static 12])
{
	size_t		 mark = s->used, n, i;
	uint16_t	*v;
	struct sbuf	 b;
	int		 rc;

	if ((v = sorted(s, l, skip, nskip, &n)) == NULL)
		return ERR_NOMEM;
	sbuf_begin(&b, s);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_putc(&b, ',');
		sbuf_hex16(&b, v[i]);
	}
	if (sigs && n > 0 && count(h->sigalgs) > 0) {
		sbuf_putc(&b, '_');
		put_list(&b, h->sigalgs, ',', sbuf_hex16);
	}
	rc = hash12(&b, n == 0, out);
	s->used = mark;
	return rc;
}

static int
ja4(const struct hello *h, const struct cur *types, struct txn *t,
    struct scratch *s)
{
	static const uint16_t named[] = { EXT_SNI, EXT_ALPN };
	char	*j = t->tls.ja4, alpn[2];
	size_t	 nc = count(h->ciphers), ne = count(*types);
	int	 rc;

	ja4_alpn(h, alpn);
	j[0] = 't';
	memcpy(j + 1, ja4_version(h), 2);
	j[3] = h->has_sni ? 'd' : 'i';
	j[4] = (char)('0' + nc / 10);
	j[5] = (char)('0' + nc % 10);
	j[6] = (char)('0' + ne / 10);
	j[7] = (char)('0' + ne % 10);
	memcpy(j + 8, alpn, 2);
	j[10] = '_';
	j[23] = '_';
	j[36] = '\0';
	if ((rc = ja4_hash(h, h->ciphers, NULL, 0, false, s, j + 11)) != 0)
		return rc;
	return ja4_hash(h, *types, named, 2, true, s, j + 24);
}

int
tls_parse_clienthello(const uint8_t *p, size_t len, struct txn *t,
    struct scratch *s)
{
	struct hello	h;
	struct cur	body, types;
	int		rc;

	memset(&t->tls, 0, sizeof(t->tls));
	t->buf[NB_TLS_SNI] = NULL;
	t->len[NB_TLS_SNI] = 0;
	t->app = APP_TLS;
	if ((rc = gather(p, len, s, &body)) != 0)
		return rc;
	if ((rc = hello_parse(body, &h)) != 0)
		return rc;
	t->tls.version = h.legacy;
	if (h.sni != NULL && h.sni_len > 0) {
		t->buf[NB_TLS_SNI] = h.sni;
		t->len[NB_TLS_SNI] = h.sni_len;
		if ((t->tls.sni = scratch_text(s, h.sni, h.sni_len)) == NULL)
			return ERR_NOMEM;
	}
	if ((rc = ext_types(&h, s, &types)) != 0 ||
	    (rc = ja3(&h, &types, t, s)) != 0)
		return rc;
	return ja4(&h, &types, t, s);
}

bool
tls_probe(const uint8_t *p, size_t len)
{
	return len >= 3 && p[0] == CT_HANDSHAKE && p[1] == 3 && p[2] <= 4 &&
	    (len < REC_HDR || ((size_t)p[3] << 8 | p[4]) <= REC_MAX);
}
