/*
 * fuzz_text.c: common/text.c against the naive model in text_model.h.
 *
 * Each input is, at once:
 *  - text: the validators, both escapings (whole and cut at a length
 *    taken from the input), unescaping back to the input, the terminal
 *    escaping being printable, and jansson accepting the JSON escaping;
 *  - when it is UTF-8, a JSON string whose dump goes through
 *    text_put_json(): the same value back, no display-unsafe code point
 *    left raw, one line;
 *  - its first 64 bytes as HTML, Markdown and a CSV cell, against the
 *    model, and as a stream (text_write, text_put_csv);
 *  - a decimal number, with a range from its first bytes, against the
 *    model's digit-string comparison.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "text.h"
#include "../text_model.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_IN	4096

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
escapes(const uint8_t *p, size_t n)
{
	static char	 out[4 * MAX_IN + 1], want[4 * MAX_IN + 1];
	static char	 back[4 * MAX_IN + 1];
	const char	*s = (const char *)p;
	size_t		 got, wlen, blen, cut;
	json_t		*j;
	int		 sink, esc, wesc;

	check(text_utf8_valid(s, n) == model_valid(p, n));
	check(text_printable(s, n) == model_printable(p, n));
	for (sink = TEXT_TERM; sink <= TEXT_JSON; sink++) {
		wlen = model_escape(want, p, n, sink == TEXT_TERM, &wesc);
		got = text_escape(out, sizeof(out), s, n, sink, &esc);
		check(got == wlen && memcmp(out, want, wlen + 1) == 0);
		check(esc == wesc);
		if (sink == TEXT_TERM || esc) {
			check(text_unescape(back, &blen, out, got) == 0);
			check(blen == n && memcmp(back, s, n) == 0);
		}
		if (sink == TEXT_TERM)
			check(text_printable(out, got));
		else {
			j = text_json(s, n, &esc);
			check(j != NULL && esc == wesc);
			check(json_string_length(j) == wlen &&
			    memcmp(json_string_value(j), want, wlen) == 0);
			json_decref(j);
		}
		/* a cut: a prefix, never longer than asked */
		cut = n > 0 ? 1 + p[0] % (wlen + 1) : 1;
		check(text_escape(out, cut, s, n, sink, NULL) == wlen);
		check(memchr(out, '\0', cut) != NULL);
		check(memcmp(out, want, strnlen(out, cut)) == 0 ||
		    sink == TEXT_JSON);
	}
}

static void
json_filter(const uint8_t *p, size_t n)
{
	json_t		*j, *back;
	char		*dump, *buf = NULL;
	size_t		 len = 0, i, k;
	uint32_t	 c;
	FILE		*f;

	if (!model_valid(p, n) || (j = json_stringn((const char *)p,
	    n)) == NULL)
		return;
	dump = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	check(dump != NULL);
	f = open_memstream(&buf, &len);
	check(f != NULL);
	check(text_put_json(f, dump, strlen(dump)) == 0);
	check(fclose(f) == 0);
	check(len > 0 && buf[len - 1] == '\n');
	for (i = 0; i < len - 1; i += k) {
		k = model_seq((const uint8_t *)buf + i, len - 1 - i, &c);
		check(k > 0 && !model_unsafe(c) && c != '\n');
	}
	back = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	check(back != NULL && json_equal(j, back));
	json_decref(back);
	json_decref(j);
	free(dump);
	free(buf);
}

static void
markups(const uint8_t *p, size_t n)
{
	static char	 want[TEXT_EXPAND * 4 * 64 + 3];
	static char	 out[TEXT_EXPAND * 4 * 64 + 3];
	const char	*s = (const char *)p;
	char		*buf;
	size_t		 wlen, len;
	FILE		*f;
	int		 html;

	if (n > 64)
		n = 64;
	for (html = 0; html < 3; html++) {
		wlen = html == 2 ? model_csv(want, p, n) :
		    model_markup(want, p, n, html);
		if (html < 2)
			check(text_escape(out, sizeof(out), s, n, html ?
			    TEXT_HTML : TEXT_MD, NULL) == wlen &&
			    memcmp(out, want, wlen + 1) == 0);
		buf = NULL;
		f = open_memstream(&buf, &len);
		check(f != NULL);
		check((html == 2 ? text_put_csv(f, s, n) : text_write(f, s, n,
		    html ? TEXT_HTML : TEXT_MD)) == 0);
		check(fclose(f) == 0);
		check(len == wlen && memcmp(buf, want, wlen) == 0);
		free(buf);
	}
}

static void
number(const uint8_t *p, size_t n)
{
	uint64_t	a = 1, b = 2, min = 0, max = UINT64_MAX;
	int		ra, rb;

	if (n > 2) {
		min = p[0] < 64 ? p[0] : 0;
		max = p[1] < 128 ? (uint64_t)p[1] * 1000 : UINT64_MAX;
		p += 2;
		n -= 2;
	}
	ra = text_u64(&a, (const char *)p, n, min, max);
	rb = model_u64(&b, (const char *)p, n, min, max);
	check(ra == (rb == 0 ? 0 : rb == -1 ? ERR_MALFORMED : ERR_TOOBIG));
	check(ra != 0 || a == b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_IN)
		return 0;
	escapes(data, size);
	json_filter(data, size);
	markups(data, size);
	number(data, size);
	return 0;
}
