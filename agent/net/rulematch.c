/*
 * rulematch.c: verification of a candidate rule's matches (rulematch.h).
 *
 * inspect() walks one group's matches with the position where the last
 * match ended ("prev"), recursing into the next match; a content or pcre
 * that is followed by a relative match is retried at its next occurrence
 * when the rest fails, as Suricata's content inspection does. Every step
 * costs one unit of env->budget, so a hostile buffer cannot make a rule
 * take more than RULEMATCH_BUDGET steps.
 *
 * Positions are int64_t: rule offsets are 32-bit signed and buffers are
 * at most a few MiB, so no sum here can overflow.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <string.h>

#include <pcre2.h>

#include "rulematch.h"

#define JUMP_MAX	((uint64_t)1 << 40)	/* past any buffer */

static const uint8_t *
find_nocase(const uint8_t *h, size_t hlen, const uint8_t *n, size_t nlen)
{
	size_t	i, j;
	int	first = tolower(n[0]);

	for (i = 0; i + nlen <= hlen; i++) {
		if (tolower(h[i]) != first)
			continue;
		for (j = 1; j < nlen && tolower(h[i + j]) == tolower(n[j]); j++)
			;
		if (j == nlen)
			return h + i;
	}
	return NULL;
}

long
rulematch_find(const struct rm_content *c, const uint8_t *p, size_t len,
    size_t from)
{
	const uint8_t	*hit;

	if (from > len || len - from < c->len)
		return -1;
	hit = (c->flags & CF_NOCASE) ? find_nocase(p + from, len - from,
	    c->pat, c->len) : memmem(p + from, len - from, c->pat, c->len);
	return hit == NULL ? -1 : (long)(hit - p);
}

static bool
same_at(const struct rm_content *c, const uint8_t *p)
{
	uint32_t	i;

	if (!(c->flags & CF_NOCASE))
		return memcmp(p, c->pat, c->len) == 0;
	for (i = 0; i < c->len; i++)
		if (tolower(p[i]) != tolower(c->pat[i]))
			return false;
	return true;
}

bool
rulematch_uint(const struct rm_uint *u, uint64_t v)
{
	switch (u->op) {
	case UC_EQ: return v == u->a;
	case UC_NE: return v != u->a;
	case UC_LT: return v < u->a;
	case UC_LE: return v <= u->a;
	case UC_GT: return v > u->a;
	case UC_GE: return v >= u->a;
	case UC_RANGE: return v > u->a && v < u->b;
	}
	return false;
}

static bool
is_relative(const struct rmatch *m)
{
	switch (m->type) {
	case RM_CONTENT: return (m->c.flags & CF_RELATIVE) != 0;
	case RM_PCRE: return m->p.relative;
	case RM_BYTE_TEST:
	case RM_BYTE_JUMP: return (m->b.flags & BF_RELATIVE) != 0;
	case RM_ISDATAAT: return m->d.relative;
	}
	return false;
}

struct insp {
	const struct rmatch	*m;
	uint16_t		 n;
	const uint8_t		*p;
	int64_t			 len;
	struct rm_env		*env;
};

static bool	inspect(struct insp *, uint16_t i, int64_t prev);

/* The next match is relative to this one: worth retrying on failure. */
static bool
retry(const struct insp *in, uint16_t i)
{
	return i + 1 < in->n && is_relative(&in->m[i + 1]);
}

static bool
content(struct insp *in, uint16_t i, int64_t prev)
{
	const struct rm_content	*c = &in->m[i].c;
	int64_t			 s, e;
	long			 at;

	if (c->flags & CF_RELATIVE) {
		s = prev + c->distance;
		e = (c->flags & CF_WITHIN) ? s + c->within : in->len;
	} else {
		s = c->offset;
		e = (c->flags & CF_DEPTH) ? c->depth : in->len;
	}
	if (s < 0)
		s = 0;
	if (e > in->len)
		e = in->len;
	if (c->flags & CF_ENDSWITH) {
		at = (long)(in->len - c->len);
		if (at < s || in->len != e || !same_at(c, in->p + at))
			at = -1;
		if (c->flags & CF_NEG)
			return at < 0 && inspect(in, i + 1, prev);
		return at >= 0 && inspect(in, i + 1, at + c->len);
	}
	for (;;) {
		at = e - s < c->len ? -1 : rulematch_find(c, in->p, (size_t)e,
		    (size_t)s);
		if (c->flags & CF_NEG)
			return at < 0 && inspect(in, i + 1, prev);
		if (at < 0)
			return false;
		if (inspect(in, i + 1, at + c->len))
			return true;
		if (!retry(in, i) || in->env->budget == 0)
			return false;
		s = at + 1;
	}
}

static bool
pcre(struct insp *in, uint16_t i, int64_t prev)
{
	const struct rm_pcre	*p = &in->m[i].p;
	int64_t			 base = p->relative ? prev : 0, from = 0;
	PCRE2_SIZE		*ov;
	int			 rc;

	if (base > in->len)
		return false;
	for (;;) {
		rc = pcre2_match(p->code, in->p + base, (size_t)(in->len - base),
		    (size_t)from, 0, in->env->md, in->env->mctx);
		if (p->neg)
			return rc < 0 && inspect(in, i + 1, prev);
		if (rc < 0)
			return false;
		ov = pcre2_get_ovector_pointer(in->env->md);
		if (inspect(in, i + 1, base + (int64_t)ov[1]))
			return true;
		if (!retry(in, i) || in->env->budget == 0 ||
		    (int64_t)ov[0] + 1 > in->len - base)
			return false;
		from = (int64_t)ov[0] + 1;
	}
}

/* The number at p[pos..pos+nbytes): binary in its byte order, or text in
 * its base (at least one digit; it ends at the first non-digit). */
static bool
byte_read(const struct rm_byte *b, const struct insp *in, int64_t pos,
    uint64_t *out)
{
	uint64_t	v = 0;
	int		i, d;

	if (pos < 0 || pos > in->len || b->nbytes > in->len - pos)
		return false;
	for (i = 0; i < b->nbytes; i++) {
		uint8_t ch = in->p[pos + i];

		if (!(b->flags & BF_STRING)) {
			v = (b->flags & BF_LITTLE) ? v | (uint64_t)ch << (8 * i) :
			    v << 8 | ch;
			continue;
		}
		d = isdigit(ch) ? ch - '0' : isxdigit(ch) ?
		    tolower(ch) - 'a' + 10 : 99;
		if (d >= b->base)
			break;
		if (__builtin_mul_overflow(v, b->base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			return false;
	}
	if ((b->flags & BF_STRING) && i == 0)
		return false;
	if (b->mask != 0) {
		v &= b->mask;
		v >>= __builtin_ctzll(b->mask);
	}
	*out = v;
	return true;
}

static bool
byte_test(const struct rm_byte *b, uint64_t v)
{
	bool	r;

	switch (b->op) {
	case '<': r = v < b->value; break;
	case '>': r = v > b->value; break;
	case 'l': r = v <= b->value; break;
	case 'g': r = v >= b->value; break;
	case '&': r = (v & b->value) != 0; break;
	case '^': r = (v ^ b->value) != 0; break;
	default: r = v == b->value; break;
	}
	return (b->flags & BF_NEG) ? !r : r;
}

static bool
byte_jump(struct insp *in, const struct rm_byte *b, int64_t pos,
    uint64_t v, int64_t *out)
{
	int64_t	np;

	if (v > JUMP_MAX / b->multiplier)
		return false;
	v *= b->multiplier;
	if (b->flags & BF_ALIGN)
		v = (v + 3) & ~(uint64_t)3;
	if (b->flags & BF_BEGIN)
		np = (int64_t)v;
	else if (b->flags & BF_END)
		np = in->len + (int64_t)v;
	else
		np = pos + b->nbytes + (int64_t)v;
	np += b->post_offset;
	if (np < 0 || np > in->len)
		return false;
	*out = np;
	return true;
}

static bool
inspect(struct insp *in, uint16_t i, int64_t prev)
{
	const struct rmatch	*m;
	uint64_t		 v;
	int64_t			 pos, np;
	bool			 ok;

	if (i == in->n)
		return true;
	if (in->env->budget == 0)
		return false;
	in->env->budget--;
	m = &in->m[i];
	switch (m->type) {
	case RM_CONTENT:
		return content(in, i, prev);
	case RM_PCRE:
		return pcre(in, i, prev);
	case RM_BYTE_TEST:
		pos = ((m->b.flags & BF_RELATIVE) ? prev : 0) + m->b.offset;
		return byte_read(&m->b, in, pos, &v) && byte_test(&m->b, v) &&
		    inspect(in, i + 1, prev);
	case RM_BYTE_JUMP:
		pos = ((m->b.flags & BF_RELATIVE) ? prev : 0) + m->b.offset;
		return byte_read(&m->b, in, pos, &v) &&
		    byte_jump(in, &m->b, pos, v, &np) && inspect(in, i + 1, np);
	case RM_ISDATAAT:
		ok = m->d.relative ? prev + m->d.off <= in->len :
		    (int64_t)m->d.off < in->len;
		return ok != m->d.neg && inspect(in, i + 1, prev);
	case RM_BSIZE:
		return rulematch_uint(&m->u, (uint64_t)in->len) &&
		    inspect(in, i + 1, prev);
	}
	return false;
}

bool
rulematch(const struct rule *r, struct rm_env *env)
{
	struct insp	in;
	uint8_t		g;

	env->budget = RULEMATCH_BUDGET;
	for (g = 0; g < r->ng; g++) {
		const struct rgroup *gr = &r->g[g];

		if (env->buf[gr->slot] == NULL)
			return false;
		in.m = &r->m[gr->first];
		in.n = gr->n;
		in.p = env->buf[gr->slot];
		in.len = (int64_t)env->len[gr->slot];
		in.env = env;
		if (!inspect(&in, 0, 0))
			return false;
	}
	return true;
}
