/*
 * fuzz_mountinfo.c: agent/files/mountinfo.c's line parser on arbitrary bytes.
 *
 * Mount points are folder names users choose (a USB stick's label), so a
 * mountinfo line is untrusted. The input is one line, handed over in a
 * heap copy of exactly its length with no terminator (ASan sees any
 * access past len). Checks:
 *   - the result is 0 or ERR_MALFORMED; on error *out is all zero and
 *     the line unchanged;
 *   - a second copy parses the same way: same result, same values;
 *   - on success every string lies inside the line, ends in a NUL at its
 *     length and holds none before; the mount point starts with '/' and
 *     is shorter than PATH_MAX; the line past the decoded fields is as
 *     it was;
 *   - the result agrees with a naive model written from proc(5): split
 *     at every space, look for "-", compare numbers as digit strings
 *     against the limit's, decode escapes with strtoul on three octal
 *     digits. Same acceptance, same numbers, same decoded bytes; so no
 *     escape the contract decodes is left in the output, and none is
 *     decoded that it keeps.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mountinfo.h"

#define LINE_MAX_FUZZ	(64 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

struct tok {
	const char	*p;
	size_t		 len;
};

struct model {
	int		 ok;
	uint64_t	 id, parent;
	uint64_t	 major, minor;
	char		*str[4];	/* root, point, fstype, source */
	size_t		 len[4];
};

/* Digits only, and no more than max once leading zeros are gone. */
static int
model_number(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	char	lim[32];
	size_t	i, ll;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	while (len > 1 && s[0] == '0') {
		s++;
		len--;
	}
	ll = (size_t)snprintf(lim, sizeof(lim), "%llu",
	    (unsigned long long)max);
	if (len > ll || (len == ll && memcmp(s, lim, len) > 0))
		return 0;
	*v = 0;
	for (i = 0; i < len; i++)
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	return 1;
}

/* Escapes: backslash, three octal digits, value 1..255. */
static char *
model_decode(const struct tok *t, size_t *outlen)
{
	char		*out = malloc(t->len + 1), oct[4];
	unsigned long	 v;
	size_t		 i = 0, o = 0, k;
	int		 isoct;

	check(out != NULL);
	while (i < t->len) {
		isoct = t->p[i] == '\\' && t->len - i >= 4;
		for (k = 1; isoct && k <= 3; k++)	/* (no NUL gets here) */
			isoct = strchr("01234567", t->p[i + k]) != NULL;
		if (isoct) {
			memcpy(oct, t->p + i + 1, 3);
			oct[3] = '\0';
			v = strtoul(oct, NULL, 8);
			isoct = v >= 1 && v <= 255;
		}
		if (isoct) {
			out[o++] = (char)v;
			i += 4;
		} else
			out[o++] = t->p[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static void
model_free(struct model *m)
{
	size_t	i;

	for (i = 0; i < 4; i++)
		free(m->str[i]);
}

static void
model_parse(struct model *m, const char *s, size_t len)
{
	struct tok	*t;
	const char	*colon;
	size_t		 n = 1, i, k, sep;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || s[i] == '\n')
			return;
		n += s[i] == ' ';
	}
	if (len == 0 || (t = calloc(n, sizeof(*t))) == NULL)
		return;
	t[0].p = s;
	for (i = 0, k = 0; i < len; i++) {
		if (s[i] == ' ') {
			t[++k].p = s + i + 1;
			continue;
		}
		t[k].len++;
	}
	/* id parent dev root point opts [optional...] - type source opts */
	for (sep = 6; sep < n; sep++)
		if (t[sep].len == 1 && t[sep].p[0] == '-')
			break;
	if (sep + 3 >= n || (sep + 4 == n && t[sep + 3].len == 0))
		goto done;
	for (i = 3; i < sep + 2; i++)		/* all but source */
		if (t[i].len == 0)
			goto done;
	if (!model_number(t[0].p, t[0].len, UINT64_MAX, &m->id) ||
	    !model_number(t[1].p, t[1].len, UINT64_MAX, &m->parent) ||
	    (colon = memchr(t[2].p, ':', t[2].len)) == NULL ||
	    !model_number(t[2].p, (size_t)(colon - t[2].p), UINT32_MAX,
	    &m->major) ||
	    !model_number(colon + 1, t[2].len - (size_t)(colon - t[2].p) - 1,
	    UINT32_MAX, &m->minor))
		goto done;
	m->str[0] = model_decode(&t[3], &m->len[0]);
	m->str[1] = model_decode(&t[4], &m->len[1]);
	m->str[2] = model_decode(&t[sep + 1], &m->len[2]);
	m->str[3] = model_decode(&t[sep + 2], &m->len[3]);
	m->ok = m->str[1][0] == '/' && m->len[1] < PATH_MAX;
done:
	free(t);
}

/* s, n bytes, is a string of buf (len bytes) ending in NUL at n. */
static void
strings(const struct mountinfo_entry *e, const char *s[4], size_t l[4])
{
	s[0] = e->root;
	l[0] = e->root_len;
	s[1] = e->point;
	l[1] = e->point_len;
	s[2] = e->fstype;
	l[2] = e->fstype_len;
	s[3] = e->source;
	l[3] = e->source_len;
}

static void
check_str(const char *buf, size_t len, const char *s, size_t n)
{
	check(s != NULL && s >= buf && s < buf + len && n < len &&
	    (size_t)(s - buf) + n < len);
	check(s[n] == '\0' && memchr(s, '\0', n) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mountinfo_entry	 a, b, zero;
	struct model		 m;
	const char		*as[4], *bs[4];
	size_t			 al[4], bl[4], i, end;
	char			*x, *y;
	int			 ra, rb;

	if (size > LINE_MAX_FUZZ)
		return 0;
	x = malloc(size ? size : 1);
	y = malloc(size ? size : 1);
	check(x != NULL && y != NULL);
	if (size > 0) {
		memcpy(x, data, size);
		memcpy(y, data, size);
	}
	memset(&a, 0x5a, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	memset(&zero, 0, sizeof(zero));
	ra = mountinfo_parse_line(&a, x, size);
	rb = mountinfo_parse_line(&b, y, size);
	check(ra == 0 || ra == ERR_MALFORMED);
	check(ra == rb);
	model_parse(&m, (const char *)data, size);
	check((ra == 0) == m.ok);

	if (ra != 0) {
		check(memcmp(&a, &zero, sizeof(a)) == 0);
		check(memcmp(&b, &zero, sizeof(b)) == 0);
		check(size == 0 || memcmp(x, data, size) == 0);
		goto done;
	}
	check(a.mnt_id == m.id && a.parent_id == m.parent);
	check(a.major == m.major && a.minor == m.minor);
	strings(&a, as, al);
	strings(&b, bs, bl);
	end = 0;
	for (i = 0; i < 4; i++) {
		check_str(x, size, as[i], al[i]);
		check(al[i] == bl[i] && as[i] - x == bs[i] - y);
		check(memcmp(as[i], bs[i], al[i]) == 0);
		check(al[i] == m.len[i] && memcmp(as[i], m.str[i],
		    al[i]) == 0);
		if (i > 0)	/* in the line's order, not overlapping */
			check(as[i] > as[i - 1] + al[i - 1]);
		end = (size_t)(as[i] - x) + al[i];
	}
	check(a.point[0] == '/' && a.point_len < PATH_MAX);
	check(memcmp(x, y, size) == 0);
	/* the super block options (and all past source) are untouched */
	check(memcmp(x + end + 1, data + end + 1, size - end - 1) == 0);
done:
	model_free(&m);
	free(x);
	free(y);
	return 0;
}
