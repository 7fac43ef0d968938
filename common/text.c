/*
 * text.c: UTF-8, escaping and decimal numbers (text.h has the contract).
 *
 * Everything here walks its input once, unit by unit: a unit is one valid
 * UTF-8 sequence (1 to 4 bytes) or one byte that does not start one.
 * escape_unit() decides what one unit becomes; text_escape(), text_put()
 * and the JSON variant differ only in where the units go. Each function
 * is checked against a byte-by-byte model in tests/test_text.c and
 * tests/fuzz/fuzz_text.c.
 *
 * Load: called for every path in every event, log line and output line;
 * printable ASCII (nearly all of it) costs one comparison per byte.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "text.h"

#define UNIT_MAX	24	/* "\\xNN" x 4, in Markdown */
#define MD_SPECIAL	"\\`*_{}[]<>()|~&!"

enum mode {
	M_TERM,		/* TEXT_TERM */
	M_KEEP,		/* TEXT_JSON, input valid UTF-8: kept as it is */
	M_JSON,		/* TEXT_JSON, input not valid UTF-8 */
	M_HTML,		/* TEXT_HTML: M_TERM, then entities */
	M_MD,		/* TEXT_MD: M_TERM, then backslashes */
};

static const char hex[] = "0123456789abcdef";

size_t
text_utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint32_t	c;
	size_t		len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		if (cp != NULL)
			*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	c = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* overlong 3- and 4-byte forms, surrogates, over U+10FFFF (2-byte
	 * overlong forms are the lead bytes C0 and C1, refused above) */
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	if (cp != NULL)
		*cp = c;
	return len;
}

int
text_utf8_valid(const char *s, size_t len)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i = 0, k;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = text_utf8_seq(p + i, len - i, NULL)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int
text_printable(const char *s, size_t len)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i = 0, k;
	uint32_t	 c;

	while (i < len) {
		if ((k = text_utf8_seq(p + i, len - i, &c)) == 0 ||
		    TEXT_UNSAFE(c))
			return 0;
		i += k;
	}
	return 1;
}

/* What the unit at p[0..n) (n >= 1) becomes in mode m (not a markup):
 * written to unit[UNIT_MAX], its length in *ulen. Returns the bytes
 * consumed; *changed is set when the unit is not copied as it is. */
static size_t
plain_unit(const uint8_t *p, size_t n, enum mode m, char *unit,
    size_t *ulen, int *changed)
{
	uint32_t	c;
	size_t		k, i, o = 0;
	int		esc;

	if (p[0] >= 0x20 && p[0] < 0x7f && p[0] != '\\') {
		unit[0] = (char)p[0];
		*ulen = 1;
		return 1;
	}
	k = text_utf8_seq(p, n, &c);
	if (m == M_KEEP) {		/* valid: k > 0 */
		memcpy(unit, p, k);
		*ulen = k;
		return k;
	}
	if (k > 0 && c == '\\') {
		unit[0] = unit[1] = '\\';
		*ulen = 2;
		*changed = 1;
		return 1;
	}
	esc = k == 0 || (m == M_TERM && TEXT_UNSAFE(c));
	if (k == 0)
		k = 1;
	if (!esc) {
		memcpy(unit, p, k);
		*ulen = k;
		return k;
	}
	for (i = 0; i < k; i++) {
		unit[o++] = '\\';
		unit[o++] = 'x';
		unit[o++] = hex[p[i] >> 4];
		unit[o++] = hex[p[i] & 15];
	}
	*ulen = o;
	*changed = 1;
	return k;
}

/* A TEXT_TERM unit marked up for m (M_HTML, M_MD), in place. */
static void
markup(char *unit, size_t *ulen, enum mode m, int *changed)
{
	char		 in[UNIT_MAX];
	const char	*e;
	size_t		 i, o = 0, n = *ulen, k;
	char		 one[3];

	memcpy(in, unit, n);
	for (i = 0; i < n; i++) {
		e = NULL;
		if (m == M_HTML) {
			switch (in[i]) {
			case '&': e = "&amp;"; break;
			case '<': e = "&lt;"; break;
			case '>': e = "&gt;"; break;
			case '"': e = "&quot;"; break;
			case '\'': e = "&#39;"; break;
			}
		} else if (in[i] != '\0' && strchr(MD_SPECIAL, in[i]) != NULL) {
			one[0] = '\\';
			one[1] = in[i];
			one[2] = '\0';
			e = one;
		}
		if (e == NULL) {
			unit[o++] = in[i];
			continue;
		}
		k = strlen(e);
		memcpy(unit + o, e, k);
		o += k;
		*changed = 1;
	}
	*ulen = o;
}

/* What the unit at p[0..n) (n >= 1) becomes in mode m: written to
 * unit[UNIT_MAX], its length in *ulen. Returns the bytes consumed;
 * *changed is set when the unit is not copied as it is. */
static size_t
escape_unit(const uint8_t *p, size_t n, enum mode m, char *unit,
    size_t *ulen, int *changed)
{
	size_t	k;

	if (m != M_HTML && m != M_MD)
		return plain_unit(p, n, m, unit, ulen, changed);
	k = plain_unit(p, n, M_TERM, unit, ulen, changed);
	markup(unit, ulen, m, changed);
	return k;
}

static enum mode
mode_of(const char *s, size_t len, enum text_sink sink)
{
	switch (sink) {
	case TEXT_JSON:
		return text_utf8_valid(s, len) ? M_KEEP : M_JSON;
	case TEXT_HTML:
		return M_HTML;
	case TEXT_MD:
		return M_MD;
	default:
		return M_TERM;
	}
}

size_t
text_escape(char *out, size_t outlen, const char *s, size_t len,
    enum text_sink sink, int *escaped)
{
	const uint8_t	*p = (const uint8_t *)s;
	enum mode	 m = mode_of(s, len, sink);
	char		 unit[UNIT_MAX];
	size_t		 i = 0, o = 0, need = 0, ulen;
	int		 changed = 0, full = outlen == 0;

	while (i < len) {
		i += escape_unit(p + i, len - i, m, unit, &ulen, &changed);
		/* a prefix of whole units: once one does not fit, stop */
		if (!full && o + ulen < outlen) {
			memcpy(out + o, unit, ulen);
			o += ulen;
		} else
			full = 1;
		need += ulen;
	}
	if (outlen > 0)
		out[o] = '\0';
	if (escaped != NULL)
		*escaped = changed;
	return need;
}

char *
text_escape_dup(const char *s, size_t len, enum text_sink sink,
    size_t *outlen, int *escaped)
{
	char	*out;
	size_t	 n;

	if (len > SIZE_MAX / TEXT_EXPAND - 1 ||
	    (out = malloc(TEXT_EXPAND * len + 1)) == NULL)
		return NULL;
	n = text_escape(out, TEXT_EXPAND * len + 1, s, len, sink, escaped);
	if (outlen != NULL)
		*outlen = n;
	return out;
}

json_t *
text_json(const char *s, size_t len, int *escaped)
{
	json_t	*j;
	char	*e;
	size_t	 n;
	int	 esc;

	if (escaped != NULL)
		*escaped = 0;
	if (text_utf8_valid(s, len))
		return json_stringn(s, len);
	if ((e = text_escape_dup(s, len, TEXT_JSON, &n, &esc)) == NULL)
		return NULL;
	j = json_stringn(e, n);
	free(e);
	if (j != NULL && escaped != NULL)
		*escaped = esc;
	return j;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
text_unescape(char *out, size_t *outlen, const char *s, size_t len)
{
	size_t	i = 0, o = 0;
	int	hi, lo;

	while (i < len) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		if (len - i >= 2 && s[i + 1] == '\\') {
			out[o++] = '\\';
			i += 2;
			continue;
		}
		if (len - i < 4 || s[i + 1] != 'x' ||
		    (hi = hexval(s[i + 2])) < 0 || (lo = hexval(s[i + 3])) < 0)
			return ERR_MALFORMED;
		out[o++] = (char)(hi << 4 | lo);
		i += 4;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int
text_put(FILE *f, const char *s, size_t len)
{
	return text_write(f, s, len, TEXT_TERM);
}

int
text_write(FILE *f, const char *s, size_t len, enum text_sink sink)
{
	const uint8_t	*p = (const uint8_t *)s;
	enum mode	 m = mode_of(s, len, sink);
	char		 buf[1024], unit[UNIT_MAX];
	size_t		 i = 0, o = 0, ulen;
	int		 changed;

	while (i < len) {
		i += escape_unit(p + i, len - i, m, unit, &ulen, &changed);
		if (o + ulen > sizeof(buf)) {
			if (fwrite(buf, 1, o, f) != o)
				return ERR_IO;
			o = 0;
		}
		memcpy(buf + o, unit, ulen);
		o += ulen;
	}
	if (o > 0 && fwrite(buf, 1, o, f) != o)
		return ERR_IO;
	return 0;
}

int
text_put_csv(FILE *f, const char *s, size_t len)
{
	const uint8_t	*p = (const uint8_t *)s;
	char		 unit[UNIT_MAX];
	size_t		 i = 0, k, ulen;
	int		 changed;

	if (putc('"', f) == EOF)
		return ERR_IO;
	while (i < len) {
		k = i;
		i += escape_unit(p + i, len - i, M_TERM, unit, &ulen,
		    &changed);
		/* =1+1, +cmd, -2+3, @SUM(...): a formula to a spreadsheet */
		if (k == 0 && strchr("=+-@\t\r", unit[0]) != NULL &&
		    putc('\'', f) == EOF)
			return ERR_IO;
		for (k = 0; k < ulen; k++) {
			if ((unit[k] == '"' && putc('"', f) == EOF) ||
			    putc(unit[k], f) == EOF)
				return ERR_IO;
		}
	}
	return putc('"', f) == EOF ? ERR_IO : 0;
}

int
text_puts(FILE *f, const char *s)
{
	return s == NULL ? (fputc('-', f) == EOF ? ERR_IO : 0) :
	    text_put(f, s, strlen(s));
}

int
text_put_json(FILE *f, const char *json, size_t len)
{
	const uint8_t	*p = (const uint8_t *)json;
	size_t		 i = 0, start = 0, k;
	uint32_t	 c;
	char		 u[8];

	if (!text_utf8_valid(json, len))
		return ERR_MALFORMED;
	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		k = text_utf8_seq(p + i, len - i, &c);
		if (!TEXT_UNSAFE(c)) {
			i += k;
			continue;
		}
		if (fwrite(p + start, 1, i - start, f) != i - start)
			return ERR_IO;
		/* A raw C0 byte can only be whitespace between tokens in
		 * valid JSON (jansson writes none): a space is the same
		 * JSON on one line. Anything else stands inside a string. */
		if (c < 0x20)
			snprintf(u, sizeof(u), " ");
		else
			snprintf(u, sizeof(u), "\\u%04x", (unsigned)c);
		if (fputs(u, f) == EOF)
			return ERR_IO;
		i += k;
		start = i;
	}
	if (fwrite(p + start, 1, len - start, f) != len - start ||
	    fputc('\n', f) == EOF)
		return ERR_IO;
	return 0;
}

int
text_print_json(FILE *f, const json_t *j)
{
	char	*s;
	int	 rc;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		return ERR_NOMEM;
	rc = text_put_json(f, s, strlen(s));
	free(s);
	return rc;
}

int
text_u64(uint64_t *out, const char *s, size_t len, uint64_t min,
    uint64_t max)
{
	uint64_t	v = 0;
	size_t		i;
	int		big = 0;

	if (len == 0)
		return ERR_MALFORMED;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return ERR_MALFORMED;
		if (!big && (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v)))
			big = 1;	/* keep checking the digits */
	}
	if (big || v < min || v > max)
		return ERR_TOOBIG;
	*out = v;
	return 0;
}
