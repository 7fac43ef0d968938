/*
 * rfc5424_parse.h: a strict reader of RFC 5424 messages, the tests'
 * model of what a receiving SIEM accepts (test_rfc5424.c, test_forward.c,
 * fuzz_rfc5424.c). Written from the RFC's ABNF (section 6), not from
 * rfc5424.c: PRI 0-191 without leading zeros, version 1, a TIMESTAMP of
 * the form rfc5424.c writes (UTC, six fraction digits) or "-", header
 * fields of printable US-ASCII within their lengths, one SD element or
 * "-", parameter values where '"', '\' and ']' only ever appear escaped
 * (and a backslash escapes only those), then optionally SP, a BOM and
 * UTF-8.
 *
 * Header-only (static functions).
 */
#ifndef VIGIL_TEST_RFC5424_PARSE_H
#define VIGIL_TEST_RFC5424_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text.h"

#define P5424_PARAMS	16
#define P5424_VALUE	1024

struct p5424 {
	int	 pri;
	char	 ts[40];
	char	 host[256], app[49], procid[129], msgid[33];
	char	 sd_id[33];		/* "" when SD is "-" */
	size_t	 nparams;
	struct {
		char	name[33];
		char	value[P5424_VALUE];	/* 6.3.3 unescaped */
		size_t	len;
	}	 params[P5424_PARAMS];
	int	 bom;
	const char *msg;		/* into the input; NULL: none */
	size_t	 msglen;
};

struct p5424_rd {
	const char	*p;
	size_t		 n, i;
};

static inline int
p5424_char(struct p5424_rd *r, char c)
{
	if (r->i >= r->n || r->p[r->i] != c)
		return -1;
	r->i++;
	return 0;
}

/* 1-max printable US-ASCII up to SP (not included); excl: also refused */
static inline int
p5424_word(struct p5424_rd *r, char *out, size_t max, const char *excl)
{
	size_t	k = 0;

	while (r->i < r->n && r->p[r->i] != ' ') {
		unsigned char c = (unsigned char)r->p[r->i];
		if (c < 33 || c > 126 || k == max || strchr(excl, c) != NULL)
			return -1;
		out[k++] = (char)c;
		r->i++;
	}
	out[k] = '\0';
	return k == 0 ? -1 : 0;
}

static inline int
p5424_digits(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "-" or YYYY-MM-DDTHH:MM:SS.ffffffZ */
static inline int
p5424_ts_ok(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t	i;

	if (strcmp(t, "-") == 0)
		return 1;
	if (strlen(t) != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !p5424_digits(t + i, 1) : t[i] != shape[i])
			return 0;
	return 1;
}

static inline int
p5424_value(struct p5424_rd *r, char *out, size_t *len)
{
	size_t	k = 0;
	char	c;

	if (p5424_char(r, '"') != 0)
		return -1;
	for (;;) {
		if (r->i >= r->n)
			return -1;
		c = r->p[r->i++];
		if (c == '"')
			break;
		if (c == ']')
			return -1;
		if (c == '\\') {
			if (r->i >= r->n || strchr("\"\\]", r->p[r->i]) == NULL ||
			    r->p[r->i] == '\0')
				return -1;
			c = r->p[r->i++];
		}
		if (k + 1 >= P5424_VALUE)
			return -1;
		out[k++] = c;
	}
	out[k] = '\0';
	*len = k;
	return text_utf8_valid(out, k) ? 0 : -1;
}

static inline int
p5424_sd(struct p5424_rd *r, struct p5424 *m)
{
	if (r->i < r->n && r->p[r->i] == '-') {
		r->i++;
		return 0;
	}
	if (p5424_char(r, '[') != 0)
		return -1;
	/* SD-ID: up to SP or ']' */
	{
		size_t	k = 0;
		while (r->i < r->n && r->p[r->i] != ' ' && r->p[r->i] != ']') {
			unsigned char c = (unsigned char)r->p[r->i++];
			if (c < 33 || c > 126 || c == '=' || c == '"' || k == 32)
				return -1;
			m->sd_id[k++] = (char)c;
		}
		m->sd_id[k] = '\0';
		if (k == 0)
			return -1;
	}
	while (r->i < r->n && r->p[r->i] == ' ') {
		size_t	k = 0;
		r->i++;
		if (m->nparams == P5424_PARAMS)
			return -1;
		while (r->i < r->n && r->p[r->i] != '=') {
			unsigned char c = (unsigned char)r->p[r->i++];
			if (c < 33 || c > 126 || c == ']' || c == '"' || k == 32)
				return -1;
			m->params[m->nparams].name[k++] = (char)c;
		}
		m->params[m->nparams].name[k] = '\0';
		if (k == 0 || p5424_char(r, '=') != 0 ||
		    p5424_value(r, m->params[m->nparams].value,
		    &m->params[m->nparams].len) != 0)
			return -1;
		m->nparams++;
	}
	return p5424_char(r, ']');
}

/* 0 and *m when s[0..n) is a message; -1 otherwise. */
static inline int
p5424_parse(struct p5424 *m, const char *s, size_t n)
{
	struct p5424_rd	r = { s, n, 0 };
	size_t		k = 0;

	memset(m, 0, sizeof(*m));
	if (p5424_char(&r, '<') != 0)
		return -1;
	m->pri = 0;
	while (r.i < n && s[r.i] >= '0' && s[r.i] <= '9' && k < 3) {
		if (k == 1 && m->pri == 0)
			return -1;		/* a leading zero */
		m->pri = m->pri * 10 + (s[r.i++] - '0');
		k++;
	}
	if (k == 0 || m->pri > 191 || p5424_char(&r, '>') != 0 ||
	    p5424_char(&r, '1') != 0 || p5424_char(&r, ' ') != 0 ||
	    p5424_word(&r, m->ts, sizeof(m->ts) - 1, "") != 0 ||
	    !p5424_ts_ok(m->ts) || p5424_char(&r, ' ') != 0 ||
	    p5424_word(&r, m->host, 255, "") != 0 ||
	    p5424_char(&r, ' ') != 0 ||
	    p5424_word(&r, m->app, 48, "") != 0 ||
	    p5424_char(&r, ' ') != 0 ||
	    p5424_word(&r, m->procid, 128, "") != 0 ||
	    p5424_char(&r, ' ') != 0 ||
	    p5424_word(&r, m->msgid, 32, "") != 0 ||
	    p5424_char(&r, ' ') != 0 || p5424_sd(&r, m) != 0)
		return -1;
	if (r.i == n)
		return 0;
	if (p5424_char(&r, ' ') != 0)
		return -1;
	if (n - r.i >= 3 && memcmp(s + r.i, "\xef\xbb\xbf", 3) == 0) {
		m->bom = 1;
		r.i += 3;
		if (!text_utf8_valid(s + r.i, n - r.i))
			return -1;
	}
	m->msg = s + r.i;
	m->msglen = n - r.i;
	return 0;
}

/* The value of parameter name, or NULL. */
static inline const char *
p5424_get(const struct p5424 *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}

#endif
