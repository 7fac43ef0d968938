/*
 * rulevars.c: address and port sets of rule headers (rulevars.h).
 *
 * A set is built by set algebra on sorted range arrays: union (sort and
 * merge), complement and intersection are each one linear pass, so a
 * list of n members costs O(n log n). Variables expand recursively, at
 * most VAR_DEPTH deep (a variable that names itself is an error, not a
 * loop). Parsed sets are interned by their text (open addressing,
 * FNV-1a), so the load of a large rule set parses each distinct header
 * field once.
 *
 * Load: rule loading only; the matcher calls rv_has() per candidate rule.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rulevars.h"

#define VAR_DEPTH	8
#define LIST_DEPTH	16
#define NAME_MAX_LEN	64
#define TEXT_MAX_LEN	4096
#define V4_PREFIX	((rv_key)0xffff << 32)
#define KEY_MAX		(~(rv_key)0)
#define PORT_MAX	65535

struct var {
	char	*name;		/* without '$' */
	char	*value;
};

struct interned {
	char		*text;	/* "a" or "p", then the field's text */
	size_t		 len;
	uint64_t	 hash;
	struct rv_set	*set;
};

struct rulevars {
	struct var	*v;
	size_t		 nv;
	struct interned	*tab;
	size_t		 tabcap, tabn;	/* power of two; at most half full */
};

struct ctx {
	struct rulevars	*rv;
	bool		 port;
	int		 depth;
	const char	*why;
};

static const char *const defaults[] = {
	"HOME_NET=[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
	"EXTERNAL_NET=!$HOME_NET",
	"HTTP_SERVERS=$HOME_NET", "SMTP_SERVERS=$HOME_NET",
	"SQL_SERVERS=$HOME_NET", "DNS_SERVERS=$HOME_NET",
	"TELNET_SERVERS=$HOME_NET", "AIM_SERVERS=$EXTERNAL_NET",
	"DC_SERVERS=$HOME_NET", "DNP3_SERVER=$HOME_NET",
	"DNP3_CLIENT=$HOME_NET", "MODBUS_CLIENT=$HOME_NET",
	"MODBUS_SERVER=$HOME_NET", "ENIP_CLIENT=$HOME_NET",
	"ENIP_SERVER=$HOME_NET",
	"HTTP_PORTS=80", "SHELLCODE_PORTS=!80", "ORACLE_PORTS=1521",
	"SSH_PORTS=22", "DNP3_PORTS=20000", "MODBUS_PORTS=502",
	"FILE_DATA_PORTS=[$HTTP_PORTS,110,143]", "FTP_PORTS=21",
	"GENEVE_PORTS=6081", "VXLAN_PORTS=4789", "TEREDO_PORTS=3544",
};

/* set algebra */

static int
range_cmp(const void *a, const void *b)
{
	const struct rv_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge in place; n may become smaller. */
static uint32_t
set_norm(struct rv_range *r, uint32_t n)
{
	uint32_t	i, j = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (i = 1; i < n; i++) {
		if (r[j].hi == KEY_MAX || r[i].lo <= r[j].hi + 1) {
			if (r[i].hi > r[j].hi)
				r[j].hi = r[i].hi;
		} else
			r[++j] = r[i];
	}
	return j + 1;
}

static void
set_clear(struct rv_set *s)
{
	free(s->r);
	s->r = NULL;
	s->n = 0;
}

static int
set_one(struct rv_set *s, rv_key lo, rv_key hi)
{
	if ((s->r = malloc(sizeof(*s->r))) == NULL)
		return ERR_NOMEM;
	s->r[0].lo = lo;
	s->r[0].hi = hi;
	s->n = 1;
	return 0;
}

/* a |= b; b is left alone */
static int
set_union(struct rv_set *a, const struct rv_set *b)
{
	struct rv_range	*t;

	if (b->n == 0)
		return 0;
	if (a->n > UINT32_MAX - b->n || (t = reallocarray(a->r,
	    (size_t)a->n + b->n, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	memcpy(t + a->n, b->r, b->n * sizeof(*t));
	a->r = t;
	a->n = set_norm(t, a->n + b->n);
	return 0;
}

/* a = complement of a within [0, max] */
static int
set_complement(struct rv_set *a, rv_key max)
{
	struct rv_range	*t;
	rv_key		 next = 0;
	uint32_t	 i, n = 0;
	bool		 end = false;

	if ((t = calloc((size_t)a->n + 1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < a->n; i++) {
		if (a->r[i].lo > next)
			t[n++] = (struct rv_range){ next, a->r[i].lo - 1 };
		if (a->r[i].hi >= max) {
			end = true;
			break;
		}
		next = a->r[i].hi + 1;
	}
	if (!end)
		t[n++] = (struct rv_range){ next, max };
	free(a->r);
	a->r = t;
	a->n = n;
	return 0;
}

/* a &= b, both normalised */
static int
set_intersect(struct rv_set *a, const struct rv_set *b)
{
	struct rv_range	*t;
	uint32_t	 i = 0, j = 0, n = 0;

	if ((t = calloc((size_t)a->n + b->n + 1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	while (i < a->n && j < b->n) {
		rv_key lo = a->r[i].lo > b->r[j].lo ? a->r[i].lo : b->r[j].lo;
		rv_key hi = a->r[i].hi < b->r[j].hi ? a->r[i].hi : b->r[j].hi;

		if (lo <= hi)
			t[n++] = (struct rv_range){ lo, hi };
		if (a->r[i].hi < b->r[j].hi)
			i++;
		else
			j++;
	}
	free(a->r);
	a->r = t;
	a->n = n;
	return 0;
}

/* literals */

rv_key
rv_addr_key(const struct naddr *a)
{
	rv_key	k = 0;
	int	i;

	if (a->family == 4)
		return V4_PREFIX | (rv_key)a->a[0] << 24 | (rv_key)a->a[1] << 16 |
		    (rv_key)a->a[2] << 8 | a->a[3];
	for (i = 0; i < 16; i++)
		k = k << 8 | a->a[i];
	return k;
}

/* An address into its key; *bits is 32 or 128. */
static bool
parse_ip(rv_key *k, int *bits, const char *s)
{
	struct naddr	a = { 0 };

	if (inet_pton(AF_INET, s, a.a) == 1) {
		a.family = 4;
		*bits = 32;
	} else if (inet_pton(AF_INET6, s, a.a) == 1) {
		a.family = 6;
		*bits = 128;
	} else
		return false;
	*k = rv_addr_key(&a);
	return true;
}

static bool
parse_uint(unsigned long *v, const char *s, unsigned long max)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return false;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && *v <= max;
}

/* "a.b.c.d", "/n" or "/mask" after it, "a-b" */
static int
addr_literal(struct ctx *c, struct rv_set *out, char *s)
{
	rv_key		 lo, hi, mask;
	unsigned long	 n;
	char		*p;
	int		 bits, mbits;

	if ((p = strchr(s, '-')) != NULL) {
		*p++ = '\0';
		if (!parse_ip(&lo, &bits, s) || !parse_ip(&hi, &mbits, p) ||
		    bits != mbits || lo > hi) {
			c->why = "bad address range";
			return ERR_MALFORMED;
		}
		return set_one(out, lo, hi);
	}
	if ((p = strchr(s, '/')) != NULL)
		*p++ = '\0';
	if (!parse_ip(&lo, &bits, s)) {
		c->why = "bad address";
		return ERR_MALFORMED;
	}
	n = (unsigned long)bits;
	if (p != NULL && !parse_uint(&n, p, (unsigned long)bits)) {
		if (bits != 32 || !parse_ip(&mask, &mbits, p) ||
		    (mask = ~mask & 0xffffffff, (mask & (mask + 1)) != 0)) {
			c->why = "bad netmask";
			return ERR_MALFORMED;
		}
		n = 32 - (unsigned long)__builtin_popcountll((uint64_t)mask);
	}
	/* host bits of the 128-bit key: 128 - (prefix within the family) */
	mbits = 128 - (bits - (int)n);
	mask = mbits >= 128 ? KEY_MAX : mbits <= 0 ? 0 :
	    ~(KEY_MAX >> mbits);
	lo &= mask;
	hi = lo | ~mask;
	return set_one(out, lo, hi);
}

/* "80", "1024:", ":1023", "1:1023" */
static int
port_literal(struct ctx *c, struct rv_set *out, char *s)
{
	unsigned long	 lo = 0, hi = PORT_MAX;
	char		*p;

	if ((p = strchr(s, ':')) != NULL) {
		*p++ = '\0';
		if ((*s != '\0' && !parse_uint(&lo, s, PORT_MAX)) ||
		    (*p != '\0' && !parse_uint(&hi, p, PORT_MAX)) ||
		    (*s == '\0' && *p == '\0') || lo > hi) {
			c->why = "bad port range";
			return ERR_MALFORMED;
		}
	} else if (!parse_uint(&lo, s, PORT_MAX)) {
		c->why = "bad port";
		return ERR_MALFORMED;
	} else
		hi = lo;
	return set_one(out, lo, hi);
}

/* variables */

static const struct var *
var_find(const struct rulevars *rv, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < rv->nv; i++)
		if (strlen(rv->v[i].name) == len &&
		    memcmp(rv->v[i].name, name, len) == 0)
			return &rv->v[i];
	return NULL;
}

static int	parse_list(struct ctx *, struct rv_set *, const char *, size_t);

static int
parse_member(struct ctx *c, struct rv_set *out, const char *s, size_t len)
{
	const struct var	*v;
	char			 tmp[128];
	int			 rc;

	if (len > 0 && s[0] == '[') {
		if (s[len - 1] != ']') {
			c->why = "unbalanced '['";
			return ERR_MALFORMED;
		}
		return parse_list(c, out, s + 1, len - 2);
	}
	if (len > 0 && s[0] == '$') {
		if ((v = var_find(c->rv, s + 1, len - 1)) == NULL) {
			c->why = "unknown variable";
			return ERR_MALFORMED;
		}
		if (++c->depth > VAR_DEPTH) {
			c->why = "variables nest too deep";
			return ERR_MALFORMED;
		}
		rc = parse_list(c, out, v->value, strlen(v->value));
		c->depth--;
		return rc;
	}
	if (len == 3 && memcmp(s, "any", 3) == 0)
		return set_one(out, 0, c->port ? PORT_MAX : KEY_MAX);
	if (len == 0 || len >= sizeof(tmp)) {
		c->why = len == 0 ? "empty member" : "member too long";
		return ERR_MALFORMED;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return c->port ? port_literal(c, out, tmp) : addr_literal(c, out, tmp);
}

/* The end of the member starting at s[i]: the next ',' outside brackets. */
static size_t
member_end(const char *s, size_t len, size_t i, int *bad)
{
	int	level = 0;

	for (; i < len; i++) {
		if (s[i] == '[')
			level++;
		else if (s[i] == ']' && --level < 0)
			break;
		else if (s[i] == ',' && level == 0)
			return i;
	}
	*bad = level != 0;
	return i;
}

static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* Union of the plain members minus the union of the negated ones. */
static int
parse_list(struct ctx *c, struct rv_set *out, const char *s, size_t len)
{
	struct rv_set	 pos = { 0 }, neg = { 0 }, m = { 0 };
	rv_key		 max = c->port ? PORT_MAX : KEY_MAX;
	size_t		 i = 0, e, mlen;
	const char	*ms;
	int		 rc = ERR_MALFORMED, bad = 0, negated;

	if (++c->depth > LIST_DEPTH + VAR_DEPTH) {
		c->why = "lists nest too deep";
		goto fail;
	}
	while (i <= len) {
		e = member_end(s, len, i, &bad);
		if (bad) {
			c->why = "unbalanced '['";
			goto fail;
		}
		ms = s + i;
		mlen = e - i;
		trim(&ms, &mlen);
		if ((negated = mlen > 0 && ms[0] == '!')) {
			ms++;
			mlen--;
		}
		if ((rc = parse_member(c, &m, ms, mlen)) != 0 ||
		    (rc = set_union(negated ? &neg : &pos, &m)) != 0)
			goto fail;
		set_clear(&m);
		i = e + 1;
	}
	if (pos.n == 0 && (rc = set_one(&pos, 0, max)) != 0)
		goto fail;
	if (neg.n > 0 && ((rc = set_complement(&neg, max)) != 0 ||
	    (rc = set_intersect(&pos, &neg)) != 0))
		goto fail;
	if (pos.n == 0) {
		c->why = "matches nothing";
		rc = ERR_MALFORMED;
		goto fail;
	}
	set_clear(&neg);
	c->depth--;
	*out = pos;
	return 0;
fail:
	set_clear(&pos);
	set_clear(&neg);
	set_clear(&m);
	return rc;
}

/* interning */

static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	return h;
}

static int
tab_grow(struct rulevars *rv)
{
	struct interned	*t;
	size_t		 cap = rv->tabcap ? rv->tabcap * 2 : 64, i, j;

	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < rv->tabcap; i++) {
		if (rv->tab[i].text == NULL)
			continue;
		for (j = rv->tab[i].hash & (cap - 1); t[j].text != NULL;
		    j = (j + 1) & (cap - 1))
			;
		t[j] = rv->tab[i];
	}
	free(rv->tab);
	rv->tab = t;
	rv->tabcap = cap;
	return 0;
}

static int
intern(const struct rv_set **out, struct rulevars *rv, bool port,
    const char *s, size_t len, const char **why)
{
	struct ctx	 c = { rv, port, 0, NULL };
	struct rv_set	*set = NULL;
	char		*key = NULL;
	uint64_t	 h;
	size_t		 i;
	int		 rc;

	*why = NULL;
	trim(&s, &len);
	if (len == 0 || len > TEXT_MAX_LEN) {
		*why = len == 0 ? "empty" : "too long";
		return ERR_MALFORMED;
	}
	h = fnv1a(s, len) ^ port;
	if (rv->tabcap != 0)
		for (i = h & (rv->tabcap - 1); rv->tab[i].text != NULL;
		    i = (i + 1) & (rv->tabcap - 1))
			if (rv->tab[i].hash == h && rv->tab[i].len == len + 1 &&
			    rv->tab[i].text[0] == (port ? 'p' : 'a') &&
			    memcmp(rv->tab[i].text + 1, s, len) == 0) {
				*out = rv->tab[i].set;
				return 0;
			}
	if ((rv->tabn + 1) * 2 > rv->tabcap && (rc = tab_grow(rv)) != 0)
		return rc;
	rc = ERR_NOMEM;
	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (key = malloc(len + 2)) == NULL)
		goto fail;
	if ((rc = parse_list(&c, set, s, len)) != 0) {
		*why = c.why;
		goto fail;
	}
	set->any = set->n == 1 && set->r[0].lo == 0 &&
	    set->r[0].hi == (port ? PORT_MAX : KEY_MAX);
	key[0] = port ? 'p' : 'a';
	memcpy(key + 1, s, len);
	key[len + 1] = '\0';
	for (i = h & (rv->tabcap - 1); rv->tab[i].text != NULL;
	    i = (i + 1) & (rv->tabcap - 1))
		;
	rv->tab[i] = (struct interned){ key, len + 1, h, set };
	rv->tabn++;
	*out = set;
	return 0;
fail:
	if (set != NULL)
		set_clear(set);
	free(set);
	free(key);
	return rc;
}

int
rv_addr(const struct rv_set **out, struct rulevars *rv, const char *s,
    size_t len, const char **why)
{
	return intern(out, rv, false, s, len, why);
}

int
rv_port(const struct rv_set **out, struct rulevars *rv, const char *s,
    size_t len, const char **why)
{
	return intern(out, rv, true, s, len, why);
}

bool
rv_has(const struct rv_set *s, rv_key k)
{
	uint32_t	lo = 0, hi = s->n;

	if (s->any)
		return true;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (k < s->r[mid].lo)
			hi = mid;
		else if (k > s->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* the variables */

int
rulevars_set(struct rulevars *rv, const char *assign)
{
	const char	*eq = strchr(assign, '='), *name = assign;
	struct var	*v, *t;
	char		*value;
	size_t		 nlen, i;

	if (*name == '$')
		name++;
	if (eq == NULL || eq <= name || (nlen = (size_t)(eq - name)) >
	    NAME_MAX_LEN || strlen(eq + 1) == 0 ||
	    strlen(eq + 1) > TEXT_MAX_LEN)
		return ERR_MALFORMED;
	for (i = 0; i < nlen; i++)
		if (!(name[i] == '_' || (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9')))
			return ERR_MALFORMED;
	if (rv->tabn > 0)
		return ERR_MALFORMED;	/* sets already parsed with the old */
	if ((value = strdup(eq + 1)) == NULL)
		return ERR_NOMEM;
	if ((v = (struct var *)var_find(rv, name, nlen)) != NULL) {
		free(v->value);
		v->value = value;
		return 0;
	}
	if ((t = reallocarray(rv->v, rv->nv + 1, sizeof(*t))) == NULL)
		goto fail;
	rv->v = t;
	if ((t[rv->nv].name = strndup(name, nlen)) == NULL)
		goto fail;
	t[rv->nv++].value = value;
	return 0;
fail:
	free(value);
	return ERR_NOMEM;
}

struct rulevars *
rulevars_new(void)
{
	struct rulevars	*rv;
	size_t		 i;

	if ((rv = calloc(1, sizeof(*rv))) == NULL)
		return NULL;
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (rulevars_set(rv, defaults[i]) != 0) {
			rulevars_free(rv);
			return NULL;
		}
	return rv;
}

void
rulevars_free(struct rulevars *rv)
{
	size_t	i;

	if (rv == NULL)
		return;
	for (i = 0; i < rv->nv; i++) {
		free(rv->v[i].name);
		free(rv->v[i].value);
	}
	for (i = 0; i < rv->tabcap; i++) {
		if (rv->tab[i].text == NULL)
			continue;
		free(rv->tab[i].text);
		set_clear(rv->tab[i].set);
		free(rv->tab[i].set);
	}
	free(rv->tab);
	free(rv->v);
	free(rv);
}

static int
var_cmp(const void *a, const void *b)
{
	return strcmp(((const struct var *)a)->name,
	    ((const struct var *)b)->name);
}

char *
rulevars_dump(const struct rulevars *rv, size_t *lenp)
{
	struct var	*s;
	char		*out = NULL;
	size_t		 i, len = 0, off = 0;

	if ((s = calloc(rv->nv + 1, sizeof(*s))) == NULL)
		return NULL;
	memcpy(s, rv->v, rv->nv * sizeof(*s));
	qsort(s, rv->nv, sizeof(*s), var_cmp);
	for (i = 0; i < rv->nv; i++)
		len += strlen(s[i].name) + strlen(s[i].value) + 2;
	if ((out = malloc(len + 1)) != NULL) {
		for (i = 0; i < rv->nv; i++)
			off += (size_t)snprintf(out + off, len + 1 - off,
			    "%s=%s\n", s[i].name, s[i].value);
		*lenp = off;
	}
	free(s);
	return out;
}
