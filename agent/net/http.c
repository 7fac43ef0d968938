/*
 * http.c: HTTP/1.x requests as Suricata's http.* buffers show them.
 *
 * The reference is libhtp as Suricata 8 configures it (rust/htp, the IDS
 * personality with Suricata's overrides: no lowercasing, no '+' to space,
 * spaces allowed in the URI). Each buffer, byte for byte:
 *
 *  http.method, http.uri.raw, http.protocol, http.request_line: the bytes
 *    of the request line (that line without its CR LF).
 *  http.uri: libhtp's partial normalised URI: the path percent-decoded
 *    (%XX and %uXXXX; a %u of a high byte other than 0 by best fit, which
 *    here knows only the full-width forms U+FF01-FF5E, '?' else; invalid
 *    escapes keep their '%'), '\' made '/', runs of '/' made one, UTF-8
 *    sequences (overlong forms allowed) turned into one byte each (code
 *    points under 256 as themselves, the rest by best fit, invalid bytes
 *    '?'), dot segments removed as libhtp does (no trailing '/' left by
 *    "/.." or "/."); then "?" and the query and "#" and the fragment,
 *    both percent-decoded once, nothing else. No path, query or fragment:
 *    no buffer (a CONNECT, "http://host").
 *  http.header: "Name: value\r\n" for each header in order, without
 *    Cookie, no extra CR LF at the end; names and values trimmed of
 *    white space, folded lines joined by their first white-space byte, a
 *    header without ':' an empty name with the line as value; a repeated
 *    header merged into its first with ", " (a repeated Content-Length is
 *    dropped, as are repetitions after the 64th).
 *  http.header_names: "\r\n" then each name and "\r\n", then "\r\n".
 *  http.host: the host of an absolute URI (decoded, lowercased, trailing
 *    dots removed), else of the Host header (lowercased, port removed).
 *    http.host.raw: that URI host, else the Host header's value.
 *  http.user_agent, http.cookie, http.content_type: the header values.
 *  http.request_body: Content-Length bytes, or the chunks de-chunked
 *    (Transfer-Encoding containing "chunked" wins), up to body_depth.
 *
 * Where this differs from Suricata: the best-fit map is only the full-
 * width forms (libhtp carries Windows' whole best-fit 1252 table);
 * compressed request bodies are not decompressed; a request line must
 * start with a token method (leading white space allowed), else the
 * stream is not HTTP. Suricata 7 (C libhtp) kept invalid UTF-8 bytes in
 * http.uri where Suricata 8 writes '?': this follows 8.
 *
 * Pipelining: *consumed is where the next request starts. After a
 * chunked body that is not all in p yet (the depth was reached or the
 * stream ended), the end is not known: *consumed is len, and what
 * follows is not a request the caller can parse.
 *
 * Load: one call per request (again while its head or body up to the
 * depth is incomplete); linear in the head but for the merging of
 * repeated headers (quadratic in the number of headers, at most 1024).
 */
#include <string.h>

#include "err.h"
#include "http.h"
#include "sbuf.h"

#define METHOD_MAX	32

struct span {
	const uint8_t	*p;
	size_t		 len;
};

struct hdr {
	struct span	 name;
	struct span	 value;	/* trimmed, folded lines joined, merged */
	struct span	 first;	/* the first line's value, untrimmed */
	struct span	 folds;	/* the continuation lines, with their ends */
	uint32_t	 next;	/* the next repetition merged in; 0 none */
	uint32_t	 tail;	/* the last of that chain */
	bool		 repeated;
	bool		 dropped;	/* merged into an earlier one, or over
					 * the repetition limit */
};

struct uri {
	struct span	 host, path, query, frag;
	bool		 has_host, has_path, has_query, has_frag;
};

struct req {
	const uint8_t	*p;
	size_t		 len;
	bool		 final;
	struct scratch	*s;
	struct span	 line, method, uri, proto;
	struct hdr	*h;
	size_t		 nh;
	size_t		 head_end;
};

static bool
ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* libhtp's trimming: ASCII white space (Rust's is_ascii_whitespace). */
static bool
trim_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static struct span
trim(struct span s)
{
	while (s.len > 0 && trim_ws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && trim_ws(s.p[s.len - 1]))
		s.len--;
	return s;
}

static bool
tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Equal bytes but for ASCII case (NUL bytes compared as bytes). */
static bool
span_eq(struct span a, struct span b)
{
	size_t	i;

	if (a.len != b.len)
		return false;
	for (i = 0; i < a.len; i++)
		if (a.p[i] != b.p[i] && ((a.p[i] | 0x20) != (b.p[i] | 0x20) ||
		    (a.p[i] | 0x20) < 'a' || (a.p[i] | 0x20) > 'z'))
			return false;
	return true;
}

static bool
span_is(struct span s, const char *name)
{
	return span_eq(s, (struct span){ (const uint8_t *)name,
	    strlen(name) });
}

/* The line at *off, without LF and a CR before it; *off past it. false
 * when there is no LF: then the line is the rest of p. */
static bool
line_next(const struct req *r, size_t *off, struct span *l)
{
	const uint8_t	*s = r->p + *off, *lf;
	size_t		 n = r->len - *off;

	l->p = s;
	if ((lf = memchr(s, '\n', n)) == NULL) {
		l->len = n;
		*off = r->len;
		return false;
	}
	l->len = (size_t)(lf - s);
	*off += l->len + 1;
	if (l->len > 0 && s[l->len - 1] == '\r')
		l->len--;
	return true;
}

/*
 * Percent escapes, as libhtp's decoders.
 */

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool
hex2(const uint8_t *p, uint8_t *v)
{
	if (hexval(p[0]) < 0 || hexval(p[1]) < 0)
		return false;
	*v = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
	return true;
}

/* The one byte a code point over 0xff becomes: the full-width forms
 * their ASCII letter, anything else libhtp's replacement '?'. */
static uint8_t
bestfit(uint32_t cp)
{
	return cp >= 0xff01 && cp <= 0xff5e ? (uint8_t)(cp - 0xff01 + 0x21) :
	    '?';
}

/* The escape at p[0..n), p[0] == '%': the byte, and how many bytes it
 * takes (1 when it is no valid escape: the '%' stays). */
static size_t
pct(const uint8_t *p, size_t n, uint8_t *out)
{
	uint8_t	hi, lo;

	*out = '%';
	if (n >= 2 && (p[1] | 0x20) == 'u') {
		if (n < 6 || !hex2(p + 2, &hi) || !hex2(p + 4, &lo))
			return 1;
		*out = hi == 0 ? lo : bestfit((uint32_t)hi << 8 | lo);
		return 6;
	}
	return n >= 3 && hex2(p + 1, out) ? 3 : 1;
}

/* A query or fragment (or URI host), decoded once. */
static void
decode_plain(struct sbuf *b, struct span in)
{
	size_t	i, k;
	uint8_t	c;

	for (i = 0; i < in.len; i += k) {
		k = 1;
		c = in.p[i];
		if (c == '%')
			k = pct(in.p + i, in.len - i, &c);
		sbuf_putc(b, c);
	}
}

/* A path, decoded: '\' is '/', a '/' after a '/' is dropped. */
static void
decode_path(struct sbuf *b, struct span in)
{
	size_t	i, k;
	uint8_t	c;

	for (i = 0; i < in.len; i += k) {
		k = 1;
		c = in.p[i];
		if (c == '%')
			k = pct(in.p + i, in.len - i, &c);
		if (c == '\\')
			c = '/';
		if (c == '/' && b->len > 0 && b->p[b->len - 1] == '/')
			continue;
		sbuf_putc(b, c);
	}
}

/*
 * libhtp's UTF-8 pass over a decoded path, in place: each sequence one
 * byte. Leads C0-DF take one continuation, E0-EF two (ED only 80-9F
 * first), F0-F3 three, F4 three (80-8F first): overlong forms are taken.
 * A bad byte gives '?' (and starts over when it was not the first of its
 * sequence); a sequence cut by the end gives one '?' less than its
 * bytes.
 */
static size_t
utf8_bestfit(uint8_t *s, size_t n)
{
	size_t		i = 0, w = 0, seq = 0, need = 0;
	uint32_t	cp = 0;
	uint8_t		c, hi = 0xbf;

	while (i < n) {
		c = s[i];
		if (seq == 0) {
			i++;
			if (c < 0x80 || (c < 0xc0) || c > 0xf4) {
				s[w++] = c < 0x80 ? c : '?';
				continue;
			}
			need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
			cp = c & (0x3f >> need);
			hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
			seq = 1;
			continue;
		}
		if (c < 0x80 || c > hi) {
			s[w++] = '?';	/* c starts again */
			seq = 0;
			continue;
		}
		i++;
		cp = cp << 6 | (c & 0x3f);
		seq++;
		hi = 0xbf;
		if (--need == 0) {
			s[w++] = cp < 0x100 ? (uint8_t)cp : bestfit(cp);
			seq = 0;
		} else if (i == n) {
			while (--seq > 0)
				s[w++] = '?';
		}
	}
	return w;
}

enum dots {
	D_START, D_DOT, D_DOTDOT, D_SLASH, D_SLASHDOT, D_SLASHDOTDOT,
	D_UP,		/* after "/../": a '/' pending, as D_SLASH */
	D_REGULAR,
};

static void
pop_segment(const uint8_t *s, size_t *w)
{
	while (*w > 0 && s[*w - 1] != '/')
		(*w)--;
	if (*w > 0)
		(*w)--;
}

static void
put3(uint8_t *s, size_t *w, const char *pre, uint8_t c)
{
	while (*pre != '\0')
		s[(*w)++] = (uint8_t)*pre++;
	s[(*w)++] = c;
}

/* libhtp's removal of dot segments (RFC 3986 5.2.4 but that a path
 * ending in "/." or "/.." or "/../" keeps no trailing '/'), in place. */
static size_t
remove_dots(uint8_t *s, size_t n)
{
	enum dots	st = D_START;
	size_t		i, w = 0;
	uint8_t		c;

	for (i = 0; i < n; i++) {
		c = s[i];
		switch (st) {
		case D_START:
			st = c == '.' ? D_DOT : c == '/' ? D_SLASH : D_REGULAR;
			if (st == D_REGULAR)
				s[w++] = c;
			break;
		case D_DOT:
			st = c == '.' ? D_DOTDOT : c == '/' ? D_START :
			    D_REGULAR;
			if (st == D_REGULAR)
				put3(s, &w, ".", c);
			break;
		case D_DOTDOT:
			st = c == '/' ? D_START : D_REGULAR;
			if (st == D_REGULAR)
				put3(s, &w, "..", c);
			break;
		case D_SLASH:
		case D_UP:
			st = c == '.' ? D_SLASHDOT : D_REGULAR;
			if (st == D_REGULAR)
				put3(s, &w, "/", c);
			break;
		case D_SLASHDOT:
			st = c == '/' ? D_UP : c == '.' ? D_SLASHDOTDOT :
			    D_REGULAR;
			if (st == D_REGULAR)
				put3(s, &w, "/.", c);
			break;
		case D_SLASHDOTDOT:
			st = c == '/' ? D_UP : D_REGULAR;
			if (st == D_UP)
				pop_segment(s, &w);
			else
				put3(s, &w, "/..", c);
			break;
		case D_REGULAR:
			if (c == '/')
				st = D_SLASH;
			else
				s[w++] = c;
			break;
		}
	}
	if (st == D_SLASH)
		s[w++] = '/';
	else if (st == D_SLASHDOTDOT)
		pop_segment(s, &w);
	return w;
}

/*
 * The URI's parts, as libhtp's parse_uri(): a scheme when it does not
 * start with '/' and has a ':'; after it "//user:pass@" and a host and
 * port; the path up to '?' or '#', the query up to '#', the fragment.
 */

static size_t
span_until(struct span s, size_t from, const char *stops)
{
	while (from < s.len && (s.p[from] == '\0' ||
	    strchr(stops, s.p[from]) == NULL))
		from++;
	return from;
}

/* A host at u from i (libhtp's hostname()): *i past it. */
static bool
uri_host(struct span u, size_t *i, struct span *host)
{
	size_t	at = *i, end;

	if (u.len - at >= 2 && u.p[at] == '/' && u.p[at + 1] == '/')
		at += 2;
	if (at < u.len && u.p[at] == '/')
		return false;
	while (at < u.len && u.p[at] == ' ')
		at++;
	if (at < u.len && u.p[at] == '[') {
		end = span_until(u, at + 1, "/?#]");
		if (end == at + 1)
			return false;
		if (end < u.len && u.p[end] == ']')
			end++;
	} else if ((end = span_until(u, at, "/?#:")) == at)
		return false;
	*host = (struct span){ u.p + at, end - at };
	while (host->len > 0 && host->p[host->len - 1] == ' ')
		host->len--;
	*i = end;
	return true;
}

/* ":" port: only skipped (http.host never has it). */
static void
uri_port(struct span u, size_t *i)
{
	size_t	at = *i;

	if (at >= u.len || u.p[at] != ':')
		return;
	for (at++; at < u.len && u.p[at] == ' '; at++)
		;
	if (span_until(u, at, "/?#") > at)
		*i = span_until(u, at, "/?#");
}

static void
uri_authority(struct span u, size_t *i, struct uri *out)
{
	const uint8_t	*at;
	size_t		 from = *i;

	/* "//" not followed by '/', then everything up to the first '@' */
	if (u.len - from >= 3 && u.p[from] == '/' && u.p[from + 1] == '/' &&
	    u.p[from + 2] != '/' && (at = memchr(u.p + from + 2, '@',
	    u.len - from - 2)) != NULL)
		*i = (size_t)(at - u.p) + 1;
	if (uri_host(u, i, &out->host)) {
		out->has_host = true;
		uri_port(u, i);
	}
}

static void
uri_parse(struct span u, bool connect, struct uri *out)
{
	const uint8_t	*colon;
	size_t		 i = 0, end;

	memset(out, 0, sizeof(*out));
	if (connect) {
		out->has_host = uri_host(u, &i, &out->host);
		return;
	}
	if (u.len > 0 && u.p[0] != '/' &&
	    (colon = memchr(u.p, ':', u.len)) != NULL) {
		i = (size_t)(colon - u.p) + 1;
		uri_authority(u, &i, out);
	}
	if ((end = span_until(u, i, "?#")) > i) {
		out->path = (struct span){ u.p + i, end - i };
		out->has_path = true;
		i = end;
	}
	if (i < u.len && u.p[i] == '?') {
		end = span_until(u, i + 1, "#");
		out->query = (struct span){ u.p + i + 1, end - i - 1 };
		out->has_query = true;
		i = end;
	}
	if (i < u.len && u.p[i] == '#') {
		out->frag = (struct span){ u.p + i + 1, u.len - i - 1 };
		out->has_frag = true;
	}
}

static void
set_buf(struct txn *t, int nb, struct span s)
{
	t->buf[nb] = s.p;
	t->len[nb] = s.len;
}

/* http.uri. */
static int
uri_normalised(const struct uri *u, struct txn *t, struct scratch *s)
{
	struct sbuf	 b;
	uint8_t		*p;
	size_t		 n;

	if (!u->has_path && !u->has_query && !u->has_frag)
		return 0;
	sbuf_begin(&b, s);
	if (u->has_path) {
		decode_path(&b, u->path);
		if (!b.err)
			sbuf_trunc(&b, remove_dots(b.p, utf8_bestfit(b.p,
			    b.len)));
	}
	if (u->has_query) {
		sbuf_putc(&b, '?');
		decode_plain(&b, u->query);
	}
	if (u->has_frag) {
		sbuf_putc(&b, '#');
		decode_plain(&b, u->frag);
	}
	if ((p = sbuf_end(&b, &n)) == NULL)
		return ERR_NOMEM;
	if (n > 0)
		set_buf(t, NB_HTTP_URI, (struct span){ p, n });
	return 0;
}

/*
 * The request line: [white space] method white space URI [white space
 * protocol], the protocol being a last word that starts with "HTTP/".
 */
static int
request_line(struct req *r)
{
	struct span	l = r->line;
	size_t		i = 0, m, j, k;

	while (i < l.len && ws(l.p[i]))
		i++;
	for (m = i; m < l.len && tchar(l.p[m]); m++)
		;
	if (m == i || m - i > METHOD_MAX || m == l.len || !ws(l.p[m]))
		return ERR_MALFORMED;
	r->method = (struct span){ l.p + i, m - i };
	for (i = m; i < l.len && ws(l.p[i]); i++)
		;
	for (k = l.len; k > i && ws(l.p[k - 1]); k--)
		;
	for (j = k; j > i && !ws(l.p[j - 1]); j--)
		;
	if (j > i && k - j >= 5 && span_is((struct span){ l.p + j, 5 },
	    "HTTP/")) {
		r->proto = (struct span){ l.p + j, k - j };
		for (k = j; k > i && ws(l.p[k - 1]); k--)
			;
	}
	if (k == i)
		return ERR_MALFORMED;
	r->uri = (struct span){ l.p + i, k - i };
	return 0;
}

/* A header line (not a continuation) into h. */
static void
header_line(struct span l, struct hdr *h)
{
	const uint8_t	*colon = memchr(l.p, ':', l.len);
	size_t		 v;

	memset(h, 0, sizeof(*h));
	h->name = (struct span){ l.p, 0 };
	if (colon == NULL) {
		h->first = l;
		return;
	}
	h->name = trim((struct span){ l.p, (size_t)(colon - l.p) });
	for (v = (size_t)(colon - l.p) + 1; v < l.len && ws(l.p[v]); v++)
		;
	h->first = (struct span){ l.p + v, l.len - v };
}

/* The headers after the request line, up to the empty line. */
static int
headers(struct req *r, size_t *off)
{
	struct span	 l;
	struct hdr	*last = NULL;
	bool		 whole;

	if ((r->h = scratch_aligned(r->s, HTTP_MAX_HEADERS *
	    sizeof(*r->h))) == NULL)
		return ERR_NOMEM;
	for (;;) {
		whole = line_next(r, off, &l);
		if (!whole && !r->final)
			return ERR_AGAIN;
		if (l.len == 0)
			break;
		if (ws(l.p[0]) && last != NULL) {
			if (last->folds.p == NULL)
				last->folds.p = l.p;
			last->folds.len = (size_t)(l.p + l.len -
			    last->folds.p);
		} else if (r->nh < HTTP_MAX_HEADERS) {
			last = &r->h[r->nh++];
			header_line(l, last);
		} else
			last = NULL;	/* read, not kept */
		if (!whole)
			break;
	}
	r->head_end = *off;
	return 0;
}

/* A header's value: its first line and continuation lines, each joined
 * by its first byte (white space) unless nothing came before, trimmed. */
static int
header_value(struct req *r, struct hdr *h)
{
	struct req	 folds = { .p = h->folds.p, .len = h->folds.len };
	struct sbuf	 b;
	struct span	 l;
	size_t		 off = 0, n;
	uint8_t		*p;

	if (h->folds.p == NULL) {
		h->value = trim(h->first);
		return 0;
	}
	sbuf_begin(&b, r->s);
	sbuf_put(&b, h->first.p, h->first.len);
	while (off < folds.len) {
		(void)line_next(&folds, &off, &l);
		if (b.len > 0)
			sbuf_put(&b, l.p, l.len);
		else if (l.len > 0)
			sbuf_put(&b, l.p + 1, l.len - 1);
	}
	if ((p = sbuf_end(&b, &n)) == NULL)
		return ERR_NOMEM;
	h->value = trim((struct span){ p, n });
	return 0;
}

/* Repeated headers into their first: the chains. */
static void
merge_chains(struct req *r)
{
	size_t	i, j, reps = 0;

	for (i = 1; i < r->nh; i++) {
		for (j = 0; j < i; j++)
			if (!r->h[j].dropped && span_eq(r->h[j].name,
			    r->h[i].name))
				break;
		if (j == i)
			continue;
		r->h[i].dropped = true;
		if (r->h[j].repeated && reps++ >= HTTP_MAX_REPEATS)
			continue;
		r->h[j].repeated = true;
		if (span_is(r->h[j].name, "Content-Length"))
			continue;
		if (r->h[j].next == 0)
			r->h[j].next = (uint32_t)i;
		else
			r->h[r->h[j].tail].next = (uint32_t)i;
		r->h[j].tail = (uint32_t)i;
	}
}

static int
header_values(struct req *r)
{
	struct sbuf	 b;
	struct hdr	*h;
	uint32_t	 k;
	size_t		 i, n;
	uint8_t		*p;
	int		 rc;

	for (i = 0; i < r->nh; i++)
		if ((rc = header_value(r, &r->h[i])) != 0)
			return rc;
	merge_chains(r);
	for (i = 0; i < r->nh; i++) {
		h = &r->h[i];
		if (h->dropped || h->next == 0)
			continue;
		sbuf_begin(&b, r->s);
		sbuf_put(&b, h->value.p, h->value.len);
		for (k = h->next; k != 0; k = r->h[k].next) {
			sbuf_put(&b, ", ", 2);
			sbuf_put(&b, r->h[k].value.p, r->h[k].value.len);
		}
		if ((p = sbuf_end(&b, &n)) == NULL)
			return ERR_NOMEM;
		h->value = (struct span){ p, n };
	}
	return 0;
}

static const struct hdr *
header_find(const struct req *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nh; i++)
		if (!r->h[i].dropped && span_is(r->h[i].name, name))
			return &r->h[i];
	return NULL;
}

/* http.header and http.header_names. */
static int
header_buffers(const struct req *r, struct txn *t)
{
	const struct hdr	*h;
	struct sbuf		 b;
	uint8_t			*p;
	size_t			 i, n;
	int			 pass;

	if (r->nh == 0)
		return 0;
	for (pass = 0; pass < 2; pass++) {
		sbuf_begin(&b, r->s);
		if (pass == 1)
			sbuf_put(&b, "\r\n", 2);
		for (i = 0; i < r->nh; i++) {
			h = &r->h[i];
			if (h->dropped || (pass == 0 &&
			    span_is(h->name, "Cookie")))
				continue;
			sbuf_put(&b, h->name.p, h->name.len);
			if (pass == 0) {
				sbuf_put(&b, ": ", 2);
				sbuf_put(&b, h->value.p, h->value.len);
			}
			sbuf_put(&b, "\r\n", 2);
		}
		if (pass == 1)
			sbuf_put(&b, "\r\n", 2);
		if ((p = sbuf_end(&b, &n)) == NULL)
			return ERR_NOMEM;
		if (n > 0)
			set_buf(t, pass == 0 ? NB_HTTP_HEADER :
			    NB_HTTP_HEADER_NAMES, (struct span){ p, n });
	}
	return 0;
}

static void
lower(uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] |= 0x20;
}

/* http.host and http.host.raw. */
static int
host_buffers(const struct req *r, const struct uri *u, struct txn *t)
{
	const struct hdr	*h = header_find(r, "Host");
	struct span		 host;
	struct sbuf		 b;
	uint8_t			*p;
	size_t			 n, i = 0;

	sbuf_begin(&b, r->s);
	if (u->has_host) {
		decode_plain(&b, u->host);
		while (!b.err && b.len > 0 && b.p[b.len - 1] == '.')
			sbuf_trunc(&b, b.len - 1);
	} else if (h != NULL && uri_host(h->value, &i, &host))
		sbuf_put(&b, host.p, host.len);
	else {
		if (h != NULL)
			set_buf(t, NB_HTTP_HOST_RAW, h->value);
		sbuf_drop(&b);
		return 0;
	}
	if ((p = sbuf_end(&b, &n)) == NULL)
		return ERR_NOMEM;
	lower(p, n);
	set_buf(t, NB_HTTP_HOST, (struct span){ p, n });
	set_buf(t, NB_HTTP_HOST_RAW, u->has_host ? (struct span){ p, n } :
	    h->value);
	return 0;
}

/* Content-Length as libhtp reads it: white space, digits, anything. */
static bool
content_length(struct span v, uint64_t *out)
{
	size_t		i = 0;
	uint64_t	n = 0;

	while (i < v.len && ws(v.p[i]))
		i++;
	if (i == v.len || v.p[i] < '0' || v.p[i] > '9')
		return false;
	for (; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
		if (n > (UINT64_MAX - (v.p[i] - '0')) / 10)
			return false;
		n = n * 10 + (v.p[i] - '0');
	}
	*out = n;
	return true;
}

/* A chunk-size line: control bytes and white space, hex digits, then
 * anything (extensions); libhtp's limit of 2^31 - 1. */
static bool
chunk_size(struct span l, uint64_t *out)
{
	size_t		i = 0, start;
	uint64_t	n = 0;

	while (i < l.len && (l.p[i] < 0x20 || l.p[i] == ' '))
		i++;
	for (start = i; i < l.len && hexval(l.p[i]) >= 0; i++) {
		n = n << 4 | (uint64_t)hexval(l.p[i]);
		if (n > INT32_MAX)
			return false;
	}
	*out = n;
	return i > start;
}

/* The chunks from head_end: the data (up to depth) into b, *end after
 * the trailers. false when the body is not all there. */
static bool
chunks(struct req *r, uint32_t depth, struct sbuf *b, size_t *end)
{
	struct span	l;
	uint64_t	size;
	size_t		off = r->head_end, take;

	for (;;) {
		if (!line_next(r, &off, &l))
			return false;
		if (!chunk_size(l, &size)) {
			*end = r->len;		/* not chunks: skip it all */
			return true;
		}
		if (size == 0)
			break;
		take = r->len - off < size ? r->len - off : (size_t)size;
		if (b->len < depth)
			sbuf_put(b, r->p + off, depth - b->len < take ?
			    depth - b->len : take);
		if (take < size)
			return false;
		off += take;
		if (!line_next(r, &off, &l))	/* the CR LF after it */
			return false;
	}
	do {					/* trailers */
		if (!line_next(r, &off, &l))
			return false;
	} while (l.len > 0);
	*end = off;
	return true;
}

static int
body_chunked(struct req *r, uint32_t depth, struct txn *t, size_t *end)
{
	struct sbuf	 b;
	uint8_t		*p;
	size_t		 n;
	bool		 whole;

	sbuf_begin(&b, r->s);
	whole = chunks(r, depth, &b, end);
	if (b.err) {
		sbuf_drop(&b);
		return ERR_NOMEM;
	}
	if (!whole && !r->final && b.len < depth) {
		sbuf_drop(&b);
		return ERR_AGAIN;
	}
	if (!whole)
		*end = r->len;
	if ((p = sbuf_end(&b, &n)) == NULL)
		return ERR_NOMEM;
	if (n > 0)
		set_buf(t, NB_HTTP_REQUEST_BODY, (struct span){ p, n });
	return 0;
}

/* "chunked" anywhere in v, any case, NUL bytes skipped (libhtp's
 * index_of_nocase_nozero). */
static bool
has_chunked(struct span v)
{
	static const char want[] = "chunked";
	size_t	i, j, k;

	for (i = 0; i < v.len; i++) {
		for (j = i, k = 0; j < v.len && k < 7; j++) {
			if (v.p[j] == '\0')
				continue;
			if ((v.p[j] | 0x20) != want[k])
				break;
			k++;
		}
		if (k == 7)
			return true;
	}
	return false;
}

static int
body(struct req *r, uint32_t depth, struct txn *t, size_t *end)
{
	const struct hdr	*te = header_find(r, "Transfer-Encoding");
	const struct hdr	*cl = header_find(r, "Content-Length");
	uint64_t		 len;
	size_t			 avail = r->len - r->head_end, want;

	*end = r->head_end;
	if (te != NULL) {
		/* libhtp: a T-E without "chunked" leaves no body */
		return has_chunked(te->value) ? body_chunked(r, depth, t,
		    end) : 0;
	}
	if (cl == NULL || !content_length(cl->value, &len) || len == 0)
		return 0;
	t->http.content_length = len;
	want = len < depth ? (size_t)len : depth;
	if (avail < want && !r->final)
		return ERR_AGAIN;
	set_buf(t, NB_HTTP_REQUEST_BODY, (struct span){ r->p + r->head_end,
	    avail < want ? avail : want });
	*end = len > SIZE_MAX - r->head_end ? SIZE_MAX :
	    r->head_end + (size_t)len;
	return 0;
}

/* The request line's start, and that it may be one. */
static int
first_line(struct req *r, size_t *off)
{
	const uint8_t	*p = r->p;
	size_t		 i;
	bool		 whole;

	while (*off < r->len && (p[*off] == '\r' || p[*off] == '\n'))
		(*off)++;
	for (i = *off; i < r->len && ws(p[i]); i++)
		;
	for (; i < r->len && tchar(p[i]); i++)
		;
	if (i < r->len && !ws(p[i]))
		return ERR_MALFORMED;	/* not a method before the space */
	whole = line_next(r, off, &r->line);
	if (!whole && !r->final)
		return r->len > HTTP_HEAD_MAX ? ERR_MALFORMED : ERR_AGAIN;
	return request_line(r);
}

static int
buffers(struct req *r, struct txn *t)
{
	const char *const	 names[] = { "User-Agent", "Cookie",
				    "Content-Type" };
	const int		 nbs[] = { NB_HTTP_USER_AGENT, NB_HTTP_COOKIE,
				    NB_HTTP_CONTENT_TYPE };
	const struct hdr	*h;
	struct uri		 u;
	size_t			 i;
	int			 rc;

	set_buf(t, NB_HTTP_REQUEST_LINE, r->line);
	set_buf(t, NB_HTTP_METHOD, r->method);
	set_buf(t, NB_HTTP_URI_RAW, r->uri);
	if (r->proto.p != NULL)
		set_buf(t, NB_HTTP_PROTOCOL, r->proto);
	uri_parse(r->uri, span_is(r->method, "CONNECT"), &u);
	if ((rc = uri_normalised(&u, t, r->s)) != 0 ||
	    (rc = header_values(r)) != 0 ||
	    (rc = header_buffers(r, t)) != 0 ||
	    (rc = host_buffers(r, &u, t)) != 0)
		return rc;
	for (i = 0; i < sizeof(nbs) / sizeof(nbs[0]); i++)
		if ((h = header_find(r, names[i])) != NULL)
			set_buf(t, nbs[i], h->value);
	return 0;
}

static void
txn_clear(struct txn *t)
{
	int	nb;

	for (nb = NB_HTTP_URI; nb <= NB_HTTP_PROTOCOL; nb++) {
		t->buf[nb] = NULL;
		t->len[nb] = 0;
	}
	memset(&t->http, 0, sizeof(t->http));
	t->app = APP_HTTP;
}

int
http_parse_request(const uint8_t *p, size_t len, uint32_t body_depth,
    bool final, struct txn *t, struct scratch *s, size_t *consumed)
{
	struct req	r = { .p = p, .len = len, .final = final, .s = s };
	size_t		off = 0, end;
	int		rc;

	txn_clear(t);
	*consumed = 0;
	if ((rc = first_line(&r, &off)) != 0)
		return rc;
	r.head_end = off;
	if (r.proto.p != NULL && (rc = headers(&r, &off)) != 0) {
		if (rc == ERR_AGAIN && len > HTTP_HEAD_MAX)
			rc = ERR_MALFORMED;
		return rc;
	}
	if (r.head_end > HTTP_HEAD_MAX)
		return ERR_MALFORMED;
	if ((rc = buffers(&r, t)) != 0)
		return rc;
	end = r.head_end;
	if (r.proto.p != NULL && (rc = body(&r, body_depth, t, &end)) != 0)
		return rc;
	*consumed = end;
	return 0;
}

bool
http_probe(const uint8_t *p, size_t len)
{
	static const char *const methods[] = {
		"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT",
		"TRACE", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY",
		"MOVE", "LOCK", "UNLOCK", "SEARCH",
	};
	size_t	i, n;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		n = strlen(methods[i]);
		if (len > n && memcmp(p, methods[i], n) == 0 && p[n] == ' ')
			return true;
	}
	return false;
}
