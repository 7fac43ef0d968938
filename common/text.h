/*
 * text.h: bytes from outside as text: UTF-8, escaping for each place text
 * goes (a terminal or a log line, a JSON string), decimal numbers.
 *
 * Paths, file names, rule strings, agent names and whole events come
 * from people who may be attackers. This module is the one place that
 * decides what of them may reach a terminal, a log or a JSON document
 * as it is, and how the rest is shown. Every function is pure (no
 * state, no locks) and safe from any thread.
 *
 * Display-unsafe code points (TEXT_UNSAFE below, and text_printable()):
 * the C0 controls and DEL (U+0000-U+001F, U+007F), the C1 controls
 * (U+0080-U+009F), the line and paragraph separators (U+2028, U+2029),
 * and the bidirectional embeddings, overrides and isolates (U+202A-
 * U+202E, U+2066-U+2069): each of them can move the cursor, rewrite a
 * terminal's state (ESC, CSI) or make a line display as something else
 * (Trojan Source). Valid UTF-8 means RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF.
 *
 * Two escapings (docs/events.md, "Text that is not safe to show"):
 *
 *  TEXT_TERM  for a terminal or a log line: every backslash becomes
 *             "\\"; every byte of a display-unsafe code point, and every
 *             byte that is not part of valid UTF-8, becomes "\xNN"
 *             (lower-case hex); everything else is kept. The result is
 *             printable UTF-8 without line breaks: one record stays one
 *             line, and two different inputs never look the same.
 *  TEXT_JSON  the convention of vigil's events for strings that may not
 *             be UTF-8 (paths, meta values): valid UTF-8 is kept as it
 *             is (the JSON encoder escapes controls itself); otherwise
 *             every byte that is not part of valid UTF-8 becomes "\xNN"
 *             and every backslash "\\", and *escaped says so (the event
 *             carries "path_escaped": true).
 *
 * text_unescape() inverts both: "\\" is a backslash, "\xNN" the byte NN.
 *
 * Two markups of the terminal escaping, for documents (the incident
 * report forms): the text is escaped as TEXT_TERM first, so what a
 * reader sees is exactly what a terminal would show, then
 *
 *  TEXT_HTML  & < > " ' become &amp; &lt; &gt; &quot; &#39;: safe in an
 *             element and in a quoted attribute value;
 *  TEXT_MD    each of \ ` * _ { } [ ] < > ( ) | ~ & ! gets a backslash
 *             before it (CommonMark's escapes: it renders as the
 *             character). No line break can be left (TEXT_TERM made them
 *             \x0a), so nothing at the start of a line is reachable.
 *
 * And one for spreadsheets, text_put_csv(): a CSV cell (RFC 4180).
 */
#ifndef VIGIL_TEXT_H
#define VIGIL_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum text_sink {
	TEXT_TERM = 1,		/* terminals and log lines */
	TEXT_JSON,		/* JSON strings, docs/events.md */
	TEXT_HTML,		/* HTML text and attribute values */
	TEXT_MD,		/* Markdown (CommonMark) inline text */
};

/* Bytes one input byte may become at most, for any sink ('"' in HTML:
 * "&quot;"). */
#define TEXT_EXPAND	6

/* 1 if the code point is display-unsafe (see above). */
#define TEXT_UNSAFE(c)	((c) < 0x20 || ((c) >= 0x7f && (c) <= 0x9f) || \
			 (c) == 0x2028 || (c) == 0x2029 || \
			 ((c) >= 0x202a && (c) <= 0x202e) || \
			 ((c) >= 0x2066 && (c) <= 0x2069))

/* Length (1..4) of the valid UTF-8 sequence at p[0..n), 0 if p does not
 * start one (or n is 0). *cp (may be NULL) gets its code point. */
size_t	text_utf8_seq(const uint8_t *p, size_t n, uint32_t *cp);
/* 1 if s[0..len) is valid UTF-8. s may be NULL when len is 0. */
int	text_utf8_valid(const char *s, size_t len);
/* 1 if s[0..len) is valid UTF-8 without a display-unsafe code point:
 * what may be shown as it is (names, offices, versions on the wire). */
int	text_printable(const char *s, size_t len);

/*
 * Escape s[0..len) for sink into out[outlen] (outlen >= 1), always
 * NUL-terminated. When it does not fit, out holds the longest prefix that
 * ends on a whole unit (never half an escape or half a UTF-8 sequence).
 * Returns the length the whole escaped text needs, as snprintf does:
 * out holds all of it iff the return value < outlen. *escaped (may be
 * NULL) is 1 when the text differs from s. O(len); the output is at most
 * TEXT_EXPAND * len bytes (4 * len for TEXT_TERM and TEXT_JSON).
 */
size_t	text_escape(char *out, size_t outlen, const char *s, size_t len,
	    enum text_sink sink, int *escaped);
/* The same, malloc'd (NUL-terminated; *outlen, may be NULL, gets its
 * length). NULL when out of memory or len > SIZE_MAX / TEXT_EXPAND - 1. */
char	*text_escape_dup(const char *s, size_t len, enum text_sink sink,
	    size_t *outlen, int *escaped);
/* A JSON string for s[0..len) escaped as TEXT_JSON; NULL when out of
 * memory. */
json_t	*text_json(const char *s, size_t len, int *escaped);
/* The bytes back from an escaped text: out must have room for len + 1
 * bytes (the bytes are never longer than their escaped form); *outlen
 * gets their count (a NUL is appended). ERR_MALFORMED for a backslash
 * not followed by '\' or "xNN". */
int	text_unescape(char *out, size_t *outlen, const char *s, size_t len);

/* Write s[0..len) escaped as TEXT_TERM to f. 0, or ERR_IO. */
int	text_put(FILE *f, const char *s, size_t len);
/* The same for any sink. 0, or ERR_IO. */
int	text_write(FILE *f, const char *s, size_t len, enum text_sink sink);
/*
 * One CSV cell (RFC 4180) for s[0..len) to f: the text escaped as
 * TEXT_TERM (so a cell never holds a line break, a control or a bidi
 * override; text_unescape gives the bytes back), in double quotes, a
 * quote doubled. A cell whose escaped text begins with = + - @ TAB or CR
 * gets an apostrophe before it, inside the quotes, so that a spreadsheet
 * takes it as text and not as a formula (CSV injection). 0, or ERR_IO.
 */
int	text_put_csv(FILE *f, const char *s, size_t len);
/* text_put() of a NUL-terminated string; NULL prints as "-". */
int	text_puts(FILE *f, const char *s);
/*
 * Write a JSON document (jansson's output: valid UTF-8) and a newline to
 * f, with every display-unsafe code point that stands raw in it written
 * as \uXXXX instead: the same JSON value, and nothing a terminal acts
 * on. One line, since a JSON encoder never writes a raw line break.
 * 0, ERR_MALFORMED (json is not valid UTF-8: nothing written), ERR_IO.
 */
int	text_put_json(FILE *f, const char *json, size_t len);
/* text_put_json() of j, dumped compact. 0, ERR_NOMEM, ERR_IO. */
int	text_print_json(FILE *f, const json_t *j);

/* Decimal digits s[0..len) (no sign, no space, at least one digit) as a
 * number in [min, max]: 0; ERR_MALFORMED (empty or not digits);
 * ERR_TOOBIG (out of range, or over 64 bits). *out is set only on 0. */
int	text_u64(uint64_t *out, const char *s, size_t len, uint64_t min,
	    uint64_t max);

#endif
