/*
 * text_model.h: a naive model of common/text.c, for tests/test_text.c
 * and tests/fuzz/fuzz_text.c.
 *
 * Written the long way on purpose, from the definitions rather than
 * from text.c: UTF-8 is decoded by its bit patterns and judged by the
 * code point it gives (RFC 3629's table), display-unsafe code points are
 * a list of ranges, escaping is one unit at a time into a byte array,
 * numbers are compared as digit strings. Not fast; obviously right.
 */
#ifndef VIGIL_TEXT_MODEL_H
#define VIGIL_TEXT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the well-formed sequence at p[0..n), 0 if none. */
static size_t
model_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	static const uint32_t	least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t		c;
	size_t			len, i;

	if (n == 0)
		return 0;
	if ((p[0] & 0x80) == 0x00) {
		len = 1;
		c = p[0];
	} else if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		c = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < least[len] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	if (cp != NULL)
		*cp = c;
	return len;
}

static int
model_unsafe(uint32_t c)
{
	static const uint32_t	ranges[][2] = {
		{ 0x0000, 0x001f },	/* C0 */
		{ 0x007f, 0x009f },	/* DEL, C1 */
		{ 0x2028, 0x2029 },	/* line, paragraph separators */
		{ 0x202a, 0x202e },	/* LRE RLE PDF LRO RLO */
		{ 0x2066, 0x2069 },	/* LRI RLI FSI PDI */
	};
	size_t			i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return 1;
	return 0;
}

static int
model_valid(const uint8_t *p, size_t n)
{
	size_t	i = 0, k;

	while (i < n) {
		if ((k = model_seq(p + i, n - i, NULL)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static int
model_printable(const uint8_t *p, size_t n)
{
	size_t		i = 0, k;
	uint32_t	c;

	while (i < n) {
		if ((k = model_seq(p + i, n - i, &c)) == 0 || model_unsafe(c))
			return 0;
		i += k;
	}
	return 1;
}

static size_t
model_hex(char *out, uint8_t b)
{
	snprintf(out, 5, "\\x%02x", b);
	return 4;
}

/* The escaping (term: TEXT_TERM, else TEXT_JSON) into out (4n + 1
 * bytes); its length. *escaped: anything changed. */
static size_t
model_escape(char *out, const uint8_t *p, size_t n, int term, int *escaped)
{
	size_t		i = 0, k, j, o = 0;
	uint32_t	c;

	*escaped = 0;
	if (!term && model_valid(p, n)) {
		memcpy(out, p, n);
		out[n] = '\0';
		return n;
	}
	while (i < n) {
		k = model_seq(p + i, n - i, &c);
		if (k == 0) {
			o += model_hex(out + o, p[i]);
			*escaped = 1;
			i++;
		} else if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
			*escaped = 1;
			i++;
		} else if (term && model_unsafe(c)) {
			for (j = 0; j < k; j++)
				o += model_hex(out + o, p[i + j]);
			*escaped = 1;
			i += k;
		} else {
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	return o;
}

/* HTML (html) or Markdown: the terminal escaping, then each byte of it
 * looked up in a table. out: 6 * (4n) + 1 bytes is always enough. */
static size_t
model_markup(char *out, const uint8_t *p, size_t n, int html)
{
	static const char *const ent[][2] = {
		{ "&", "&amp;" }, { "<", "&lt;" }, { ">", "&gt;" },
		{ "\"", "&quot;" }, { "'", "&#39;" },
	};
	static const char md[] = "\\`*_{}[]<>()|~&!";
	char		term[4 * 64 + 1];
	size_t		tlen, i, j, o = 0;
	int		esc, done;

	tlen = model_escape(term, p, n > 64 ? 64 : n, 1, &esc);
	for (i = 0; i < tlen; i++) {
		done = 0;
		for (j = 0; html && j < sizeof(ent) / sizeof(ent[0]); j++) {
			if (term[i] == ent[j][0][0]) {
				memcpy(out + o, ent[j][1], strlen(ent[j][1]));
				o += strlen(ent[j][1]);
				done = 1;
			}
		}
		for (j = 0; !html && j < sizeof(md) - 1; j++) {
			if (term[i] == md[j]) {
				out[o++] = '\\';
				out[o++] = term[i];
				done = 1;
			}
		}
		if (!done)
			out[o++] = term[i];
	}
	out[o] = '\0';
	return o;
}

/* A CSV cell: quotes around the terminal escaping, quotes doubled, an
 * apostrophe first when the escaped text starts with = + - @ TAB CR. */
static size_t
model_csv(char *out, const uint8_t *p, size_t n)
{
	char	term[4 * 64 + 1];
	size_t	tlen, i, o = 0;
	int	esc;

	tlen = model_escape(term, p, n > 64 ? 64 : n, 1, &esc);
	out[o++] = '"';
	if (tlen > 0 && (term[0] == '=' || term[0] == '+' || term[0] == '-' ||
	    term[0] == '@' || term[0] == '\t' || term[0] == '\r'))
		out[o++] = '\'';
	for (i = 0; i < tlen; i++) {
		if (term[i] == '"')
			out[o++] = '"';
		out[o++] = term[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}

/* Decimal s[0..n) in [min, max]: 0, -1 not digits, -2 out of range. */
static int
model_u64(uint64_t *out, const char *s, size_t n, uint64_t min,
    uint64_t max)
{
	static const char	top[] = "18446744073709551615";
	size_t			i, lead = 0;
	uint64_t		v = 0;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	while (lead < n - 1 && s[lead] == '0')
		lead++;
	if (n - lead > 20 || (n - lead == 20 && memcmp(s + lead, top,
	    20) > 0))
		return -2;
	for (i = lead; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v < min || v > max)
		return -2;
	*out = v;
	return 0;
}

#endif
