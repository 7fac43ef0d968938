/*
 * test_text.c: UTF-8, escaping and numbers (common/text.c), against the
 * naive model in text_model.h.
 *
 * Hand-picked cases first (the terminal attacks of issue 8: ESC ] 0 ;
 * BEL, CR, LF, C1 CSI, bidi overrides; docs/events.md's examples), then
 * the model: every sequence of up to three bytes (and four-byte
 * sequences by their interesting leads) for the decoder, and a hundred
 * thousand random strings, drawn from the bytes that matter, for the
 * validators, both escapings, cutting, unescaping, the stream writers
 * and the JSON filter. Numbers: hand-picked edges and random digit
 * strings against a digit-string comparison.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "rng.h"
#include "text.h"
#include "text_model.h"

#define RANDOM_RUNS	100000
#define RANDOM_MAX	48


/* Bytes that matter: ASCII, controls, backslash, leads, continuations,
 * and whole sequences of the unsafe code points. */
static size_t
random_text(uint8_t *p, size_t max)
{
	static const char *const pieces[] = {
		"\\", "\x1b", "\x07", "\r", "\n", "\x7f", "\t", "x", "/", "%",
		"\xc2\x9b", "\xc2\x80", "\xc2\xa0", "\xe2\x80\xae",
		"\xe2\x80\xa8", "\xe2\x81\xa6", "\xe2\x80\x8f",
		"\xc3\xa3", "\xe1\xbb\x87", "\xf0\x9f\x98\x80",
		"\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\\x41",
	};
	const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	size_t	n = 0, len = rnd() % (max + 1), k;
	const char *pc;

	while (n < len) {
		switch (rnd() % 4) {
		case 0:
			p[n++] = (uint8_t)rnd();
			break;
		case 1:
			p[n++] = (uint8_t)(0x20 + rnd() % 0x5f);
			break;
		default:
			pc = pieces[rnd() % npieces];
			k = strlen(pc);
			if (n + k > max)
				return n;
			memcpy(p + n, pc, k);
			n += k;
			break;
		}
	}
	return n;
}

/* ---- hand-picked ---- */

static void
expect_term(const char *in, const char *want)
{
	char	out[256];
	int	esc;

	assert_int_equal(text_escape(out, sizeof(out), in, strlen(in),
	    TEXT_TERM, &esc), strlen(want));
	assert_string_equal(out, want);
	assert_int_equal(esc, strcmp(in, want) != 0);
}

static void
test_term_cases(void **state)
{
	(void)state;
	/* the attack: set the title, erase the line, forge another one */
	expect_term("x\x1b]0;pwned\x07\r\x1b[2Kpc-other  [1] Fake\n.com",
	    "x\\x1b]0;pwned\\x07\\x0d\\x1b[2Kpc-other  [1] Fake\\x0a.com");
	expect_term("\x9b", "\\x9b");			/* 8-bit CSI byte */
	expect_term("\xc2\x9b" "2J", "\\xc2\\x9b2J");	/* U+009B CSI */
	expect_term("a\xe2\x80\xaegnp.exe", "a\\xe2\\x80\\xaegnp.exe");
	expect_term("\xe2\x81\xa6x\xe2\x81\xa9", "\\xe2\\x81\\xa6x\\xe2\\x81"
	    "\\xa9");					/* LRI, PDI */
	expect_term("l\xe2\x80\xa8s\xe2\x80\xa9", "l\\xe2\\x80\\xa8s\\xe2\\x80"
	    "\\xa9");					/* LS, PS */
	expect_term("del\x7f", "del\\x7f");
	expect_term("a\\b", "a\\\\b");			/* always doubled */
	expect_term("a\\x41", "a\\\\x41");		/* not "aA" */
	expect_term("T\xc3\xa0i li\xe1\xbb\x87u", "T\xc3\xa0i li\xe1\xbb\x87u");
	expect_term("X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba", "X\xc3\xa3 T\xc3\xa2n "
	    "Ph\xc3\xba");
	expect_term("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");	/* emoji */
	expect_term("\xe2\x80\x8f", "\xe2\x80\x8f");	/* RLM: not a control */
	expect_term("caf\xe9.php", "caf\\xe9.php");
	expect_term("\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80",
	    "\\xed\\xa0\\x80\\xc0\\xaf\\xf4\\x90\\x80\\x80");
	expect_term("\xe2\x82", "\\xe2\\x82");		/* truncated */
	expect_term("", "");
}

static void
test_json_cases(void **state)
{
	char	 out[256];
	json_t	*j;
	int	 esc;

	(void)state;
	/* valid UTF-8 is kept, controls and backslashes included: the JSON
	 * encoder escapes them */
	text_escape(out, sizeof(out), "tab\there \\ \x1b", 12, TEXT_JSON,
	    &esc);
	assert_string_equal(out, "tab\there \\ \x1b");
	assert_int_equal(esc, 0);
	/* docs/events.md's example */
	text_escape(out, sizeof(out), "caf\xe9.php", 8, TEXT_JSON, &esc);
	assert_string_equal(out, "caf\\xe9.php");
	assert_int_equal(esc, 1);
	/* not valid: each bad byte \xNN, backslash doubled, controls kept */
	text_escape(out, sizeof(out), "a\\b\xff\x1b", 5, TEXT_JSON, &esc);
	assert_string_equal(out, "a\\\\b\\xff\x1b");
	j = text_json("caf\xe9\\", 5, &esc);
	assert_non_null(j);
	assert_string_equal(json_string_value(j), "caf\\xe9\\\\");
	assert_int_equal(esc, 1);
	json_decref(j);
	j = text_json("H\xc3\xb3" "a \\", 6, &esc);
	assert_string_equal(json_string_value(j), "H\xc3\xb3" "a \\");
	assert_int_equal(esc, 0);
	json_decref(j);
}

static void
test_validators(void **state)
{
	(void)state;
	assert_true(text_printable(NULL, 0));
	assert_true(text_printable("X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba", 13));
	assert_false(text_printable("X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba", 14));
	assert_false(text_printable("a\x01", 2));
	assert_false(text_printable("\xc2\x85", 2));		/* NEL */
	assert_false(text_printable("\xe2\x80\xae", 3));
	assert_false(text_printable("\xe2\x81\xa9", 3));
	assert_false(text_printable("\xc3\xa3", 1));		/* cut */
	assert_true(text_printable("\xc3\xa3", 2));
	assert_true(text_utf8_valid("\x1b\x7f\xc2\x9b", 4));
	assert_false(text_utf8_valid("\xc0\x80", 2));		/* overlong */
	assert_false(text_utf8_valid("\xf4\x90\x80\x80", 4));	/* > 10FFFF */
	assert_false(text_utf8_valid("\xed\xbf\xbf", 3));	/* surrogate */
	assert_true(text_utf8_valid("\xef\xbf\xbf", 3));
	assert_int_equal(text_utf8_seq((const uint8_t *)"a", 0, NULL), 0);
}

/* Every 1-, 2- and 3-byte prefix, and 4-byte sequences with the leads
 * F0..F7 and every second byte: the decoder agrees with the model on
 * length and code point. */
static void
test_seq_exhaustive(void **state)
{
	uint8_t		b[4];
	uint32_t	c1, c2;
	size_t		k1, k2, n;
	unsigned	x, y, z;

	(void)state;
	for (x = 0; x < 256; x++)
		for (y = 0; y < 256; y++)
			for (z = 0; z < 256; z++) {
				b[0] = (uint8_t)x;
				b[1] = (uint8_t)y;
				b[2] = (uint8_t)z;
				b[3] = 0x80;
				for (n = 1; n <= 4; n += 3) {
					c1 = c2 = 0xffffffff;
					k1 = text_utf8_seq(b, n, &c1);
					k2 = model_seq(b, n, &c2);
					if (k1 != k2 || (k1 && c1 != c2))
						fail_msg("%02x %02x %02x (n "
						    "%zu): %zu/%x, model %zu/%x",
						    x, y, z, n, k1, c1, k2, c2);
				}
			}
	for (x = 0xf0; x < 0xf8; x++)
		for (y = 0; y < 256; y++)
			for (z = 0; z < 256; z += 0x3f) {
				b[0] = (uint8_t)x;
				b[1] = (uint8_t)y;
				b[2] = 0xbf;
				b[3] = (uint8_t)z;
				k1 = text_utf8_seq(b, 4, &c1);
				k2 = model_seq(b, 4, &c2);
				if (k1 != k2 || (k1 && c1 != c2))
					fail_msg("%02x %02x bf %02x", x, y, z);
			}
}

/* The offsets in the model's escaped text where its units end: where a
 * cut may fall. */
static size_t
model_bounds(size_t *b, const uint8_t *p, size_t n, int term)
{
	size_t		i = 0, k, o = 0, nb = 0;
	uint32_t	c;
	int		keep = !term && model_valid(p, n);

	b[nb++] = 0;
	while (i < n) {
		k = model_seq(p + i, n - i, &c);
		if (keep)
			o += k;
		else if (k == 0)
			o += 4, k = 1;
		else if (c == '\\')
			o += 2;
		else
			o += term && model_unsafe(c) ? 4 * k : k;
		b[nb++] = o;
		i += k;
	}
	return nb;
}

/* HTML, Markdown and CSV of one string against the model: whole, as a
 * stream, and the CSV cell read back. */
static void
check_markup(const uint8_t *p, size_t n)
{
	char		 want[TEXT_EXPAND * 4 * RANDOM_MAX + 3];
	char		 out[TEXT_EXPAND * 4 * RANDOM_MAX + 3], *buf;
	const char	*s = (const char *)p;
	size_t		 wlen, got, len;
	FILE		*f;
	int		 html, esc;

	for (html = 0; html < 2; html++) {
		wlen = model_markup(want, p, n, html);
		got = text_escape(out, sizeof(out), s, n, html ? TEXT_HTML :
		    TEXT_MD, &esc);
		assert_int_equal(got, wlen);
		assert_memory_equal(out, want, wlen + 1);
		assert_int_equal(esc, wlen != n || memcmp(want, s, n) != 0);
		if (html)
			assert_null(strpbrk(out, "<>\"'"));
		buf = NULL;
		assert_non_null(f = open_memstream(&buf, &len));
		assert_int_equal(text_write(f, s, n, html ? TEXT_HTML :
		    TEXT_MD), 0);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(len, wlen);
		assert_memory_equal(buf, want, wlen);
		free(buf);
	}
	wlen = model_csv(want, p, n);
	buf = NULL;
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(text_put_csv(f, s, n), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(len, wlen);
	assert_memory_equal(buf, want, wlen);
	assert_null(memchr(buf, '\n', len));
	assert_null(memchr(buf, '\r', len));
	free(buf);
}

/* One random string through everything, against the model. */
static void
check_one(const uint8_t *p, size_t n)
{
	char		 out[4 * RANDOM_MAX + 1], want[4 * RANDOM_MAX + 1];
	char		 back[4 * RANDOM_MAX + 1], cut[4 * RANDOM_MAX + 1];
	const char	*s = (const char *)p;
	size_t		 b[RANDOM_MAX + 1], got, wlen, blen, o, nb, want_cut;
	int		 esc, wesc, sink;

	assert_int_equal(text_utf8_valid(s, n), model_valid(p, n));
	assert_int_equal(text_printable(s, n), model_printable(p, n));
	for (sink = TEXT_TERM; sink <= TEXT_JSON; sink++) {
		wlen = model_escape(want, p, n, sink == TEXT_TERM, &wesc);
		got = text_escape(out, sizeof(out), s, n, sink, &esc);
		assert_int_equal(got, wlen);
		assert_memory_equal(out, want, wlen + 1);
		assert_int_equal(esc, wesc);
		/* every cut is the longest prefix of whole units */
		nb = model_bounds(b, p, n, sink == TEXT_TERM);
		assert_int_equal(b[nb - 1], wlen);
		for (o = 1; o <= wlen + 1; o++) {
			assert_int_equal(text_escape(cut, o, s, n, sink, NULL),
			    wlen);
			for (want_cut = 0; nb > 0 && want_cut < nb &&
			    b[want_cut] < o; want_cut++)
				;
			/* (NUL bytes stay raw in TEXT_JSON: no strlen) */
			assert_int_equal(cut[b[want_cut - 1]], '\0');
			assert_memory_equal(cut, want, b[want_cut - 1]);
		}
		/* the bytes come back, so different inputs look different */
		if (sink == TEXT_TERM || esc) {
			assert_int_equal(text_unescape(back, &blen, out, got),
			    0);
			assert_int_equal(blen, n);
			assert_memory_equal(back, s, n);
		}
	}
	/* terminal output: printable, no raw line break */
	got = text_escape(out, sizeof(out), s, n, TEXT_TERM, NULL);
	assert_true(text_printable(out, got));
	check_markup(p, n);
}

/* The cases that matter to a report form and a spreadsheet. */
static void
expect_sink(enum text_sink sink, const char *in, const char *want)
{
	char	out[512];

	assert_int_equal(text_escape(out, sizeof(out), in, strlen(in), sink,
	    NULL), strlen(want));
	assert_string_equal(out, want);
}

static void
expect_csv(const char *in, const char *want)
{
	char	*buf = NULL;
	size_t	 len;
	FILE	*f;

	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(text_put_csv(f, in, strlen(in)), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	free(buf);
}

static void
test_markup_cases(void **state)
{
	(void)state;
	expect_sink(TEXT_HTML, "<script>alert('x')</script>",
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	expect_sink(TEXT_HTML, "a\"b&c", "a&quot;b&amp;c");
	expect_sink(TEXT_HTML, "x\r\ny\x1b[2J", "x\\x0d\\x0ay\\x1b[2J");
	expect_sink(TEXT_HTML, "X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba",
	    "X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba");
	expect_sink(TEXT_HTML, "\xe2\x80\xae" "evil", "\\xe2\\x80\\xaeevil");
	expect_sink(TEXT_MD, "<b>*x*</b> [a](http://e)",
	    "\\<b\\>\\*x\\*\\</b\\> \\[a\\]\\(http://e\\)");
	expect_sink(TEXT_MD, "a\\b\n# h", "a\\\\\\\\b\\\\x0a# h");
	expect_sink(TEXT_MD, "10.0.0.1 a|b `c`", "10.0.0.1 a\\|b \\`c\\`");
	expect_csv("plain", "\"plain\"");
	expect_csv("", "\"\"");
	expect_csv("say \"hi\", ok", "\"say \"\"hi\"\", ok\"");
	expect_csv("=HYPERLINK(\"http://e\")",
	    "\"'=HYPERLINK(\"\"http://e\"\")\"");
	expect_csv("+1", "\"'+1\"");
	expect_csv("-2+3", "\"'-2+3\"");
	expect_csv("@SUM(A1)", "\"'@SUM(A1)\"");
	expect_csv("a=b", "\"a=b\"");
	expect_csv("\tx", "\"\\x09x\"");	/* escaped: no longer a TAB */
	expect_csv("two\nlines", "\"two\\x0alines\"");
}

static void
test_escape_model(void **state)
{
	uint8_t	p[RANDOM_MAX];
	size_t	n;
	int	i;

	(void)state;
	for (i = 0; i < RANDOM_RUNS; i++) {
		n = random_text(p, sizeof(p));
		check_one(p, n);
	}
}

/* text_put() and text_puts() write what text_escape() gives, also for
 * inputs longer than their buffer. */
static void
test_put(void **state)
{
	char	*buf = NULL, *want;
	uint8_t	 big[3000];
	size_t	 len = 0, wlen, n, i;
	FILE	*f;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = i % 7 == 0 ? 0x1b : i % 5 == 0 ? 0xe2 : 'a' + i % 26;
	n = sizeof(big);
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(text_put(f, (const char *)big, n), 0);
	assert_int_equal(text_puts(f, NULL), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(want = text_escape_dup((const char *)big, n,
	    TEXT_TERM, &wlen, NULL));
	assert_int_equal(len, wlen + 1);
	assert_memory_equal(buf, want, wlen);
	assert_int_equal(buf[wlen], '-');
	free(want);
	free(buf);
}

/* text_put_json(): the same JSON value, no raw unsafe code point, one
 * line; random strings of code points, unsafe ones included. */
static void
test_put_json(void **state)
{
	uint8_t		 p[RANDOM_MAX];
	char		*buf, *dump;
	size_t		 len, n, i, k;
	uint32_t	 c;
	json_t		*j, *back;
	FILE		*f;
	int		 r;

	(void)state;
	for (r = 0; r < RANDOM_RUNS / 10; r++) {
		n = random_text(p, sizeof(p));
		if (!model_valid(p, n))
			continue;
		assert_non_null(j = json_pack("{s:s%, s:[i]}", "v", (char *)p,
		    n, "n", r));
		assert_non_null(dump = json_dumps(j, JSON_COMPACT));
		buf = NULL;
		assert_non_null(f = open_memstream(&buf, &len));
		assert_int_equal(text_put_json(f, dump, strlen(dump)), 0);
		assert_int_equal(fclose(f), 0);
		assert_true(len > 0 && buf[len - 1] == '\n');
		for (i = 0; i < len - 1; i += k) {
			k = model_seq((uint8_t *)buf + i, len - 1 - i, &c);
			assert_true(k > 0 && !model_unsafe(c));
		}
		back = json_loadb(buf, len, JSON_ALLOW_NUL, NULL);
		assert_non_null(back);
		assert_true(json_equal(j, back));
		json_decref(back);
		json_decref(j);
		free(dump);
		free(buf);
	}
	/* not UTF-8: refused, nothing written */
	buf = NULL;
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(text_put_json(f, "\"\xff\"", 3), ERR_MALFORMED);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(len, 0);
	free(buf);
	/* raw whitespace between tokens stays on one line */
	buf = NULL;
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(text_put_json(f, "{\n\"a\":\t1}", 9), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "{ \"a\": 1}\n");
	free(buf);
}

static void
test_unescape_errors(void **state)
{
	char	out[16];
	size_t	n;

	(void)state;
	assert_int_equal(text_unescape(out, &n, "a\\", 2), ERR_MALFORMED);
	assert_int_equal(text_unescape(out, &n, "\\x4", 3), ERR_MALFORMED);
	assert_int_equal(text_unescape(out, &n, "\\x4G", 4), ERR_MALFORMED);
	assert_int_equal(text_unescape(out, &n, "\\X41", 4), ERR_MALFORMED);
	assert_int_equal(text_unescape(out, &n, "\\n", 2), ERR_MALFORMED);
	assert_int_equal(text_unescape(out, &n, "\\\\\\x00z", 7), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "\\\0z", 3);
}

/* ---- numbers ---- */

static void
expect_u64(const char *s, uint64_t min, uint64_t max, int rc, uint64_t v)
{
	uint64_t	got = 12345;

	assert_int_equal(text_u64(&got, s, strlen(s), min, max), rc);
	assert_true(got == (rc == 0 ? v : 12345));
}

static void
test_u64_cases(void **state)
{
	(void)state;
	expect_u64("0", 0, 10, 0, 0);
	expect_u64("10", 0, 10, 0, 10);
	expect_u64("11", 0, 10, ERR_TOOBIG, 0);
	expect_u64("0", 1, 10, ERR_TOOBIG, 0);
	expect_u64("0007", 1, 10, 0, 7);
	expect_u64("18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX);
	expect_u64("18446744073709551616", 0, UINT64_MAX, ERR_TOOBIG, 0);
	expect_u64("99999999999999999999999", 0, UINT64_MAX, ERR_TOOBIG, 0);
	expect_u64("99999999999999999999999x", 0, UINT64_MAX, ERR_MALFORMED,
	    0);
	expect_u64("", 0, 10, ERR_MALFORMED, 0);
	expect_u64("-1", 0, 10, ERR_MALFORMED, 0);
	expect_u64("+1", 0, 10, ERR_MALFORMED, 0);
	expect_u64(" 1", 0, 10, ERR_MALFORMED, 0);
	expect_u64("1 ", 0, 10, ERR_MALFORMED, 0);
	expect_u64("0x10", 0, 100, ERR_MALFORMED, 0);
	expect_u64("1e3", 0, 10000, ERR_MALFORMED, 0);
	/* the length bounds the field: "12" of "123" */
	{
		uint64_t v;

		assert_int_equal(text_u64(&v, "123", 2, 0, 100), 0);
		assert_true(v == 12);
	}
}

static void
test_u64_model(void **state)
{
	static const char	alphabet[] = "0123456789000099x -";
	char			s[26];
	uint64_t		a = 7, b = 7, min, max;
	size_t			n, i;
	int			r, ra, rb;

	(void)state;
	for (r = 0; r < RANDOM_RUNS; r++) {
		n = rnd() % 25;
		for (i = 0; i < n; i++)
			s[i] = rnd() % 8 == 0 ? alphabet[rnd() %
			    (sizeof(alphabet) - 1)] : (char)('0' + rnd() % 10);
		s[n] = '\0';
		min = rnd() % 4 == 0 ? rnd() : 0;
		max = rnd() % 2 ? UINT64_MAX : (uint64_t)rnd() << (rnd() % 32);
		ra = text_u64(&a, s, n, min, max);
		rb = model_u64(&b, s, n, min, max);
		assert_int_equal(ra, rb == 0 ? 0 : rb == -1 ? ERR_MALFORMED :
		    ERR_TOOBIG);
		if (ra == 0)
			assert_true(a == b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term_cases),
		cmocka_unit_test(test_json_cases),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_seq_exhaustive),
		cmocka_unit_test(test_markup_cases),
		cmocka_unit_test(test_escape_model),
		cmocka_unit_test(test_put),
		cmocka_unit_test(test_put_json),
		cmocka_unit_test(test_unescape_errors),
		cmocka_unit_test(test_u64_cases),
		cmocka_unit_test(test_u64_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
