/*
 * rule.c: the Suricata rule language, one rule at a time (rule.h).
 *
 * A rule is "ACTION PROTO SRC SPORT DIR DST DPORT (OPTIONS)". The options
 * are "name[:value];" with '\' escaping ';', '"', '\' and ':' inside a
 * value, read in order: a sticky buffer (http.uri, dns.query, ...)
 * selects where the next matches look, a content modifier (nocase,
 * depth, ..., and the older http_uri and friends) changes the content
 * before it. Keywords we do not implement, and values we cannot honour,
 * make the whole rule a skip with a reason, never a rule that matches
 * something else than it says.
 *
 * The classification table is built in (Suricata's classification.config
 * with Emerging Threats' classes) unless a file is given. Flowbit names
 * are interned per context: a rule holds their numbers.
 *
 * Load: about 25,000 rules in a second or two at start; nothing here runs
 * per packet.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pcre2.h>

#include "err.h"
#include "log.h"
#include "rule.h"

#define RULE_TEXT_MAX		65536
#define RULE_CONTENT_MAX	65535
#define RULE_MATCH_MAX		256
#define FLOWBIT_NAME_MAX	128
#define FLOWBITS_MAX		65536
#define CLASS_MAX		256
#define NUM_MAX			((int64_t)INT32_MAX)

struct class {
	char		*name, *desc;
	int		 prio;
};

struct rule_ctx {
	struct rulevars	*vars;
	struct class	*cls;
	size_t		 ncls;
	char		**fbname;	/* flowbit names by number */
	uint32_t	 nfb;
	uint32_t	*fbtab;		/* open addressing: number + 1 */
	uint32_t	 fbcap;
};

struct pstate {
	struct rule	*r;
	struct rule_ctx	*ctx;
	struct rule_err	*err;
	size_t		 mcap;
	uint8_t		 slot;		/* where the next match looks */
	bool		 sticky;	/* a sticky buffer was named */
	int		 last;		/* the last content, -1 */
	bool		 file_data;
	bool		 has_sid;
	json_t		*meta;
};

/* The built-in classification: Suricata's classification.config and the
 * classes Emerging Threats adds. */
static const struct {
	const char	*name, *desc;
	int		 prio;
} builtin_cls[] = {
	{ "not-suspicious", "Not Suspicious Traffic", 3 },
	{ "unknown", "Unknown Traffic", 3 },
	{ "bad-unknown", "Potentially Bad Traffic", 2 },
	{ "attempted-recon", "Attempted Information Leak", 2 },
	{ "successful-recon-limited", "Information Leak", 2 },
	{ "successful-recon-largescale", "Large Scale Information Leak", 2 },
	{ "attempted-dos", "Attempted Denial of Service", 2 },
	{ "successful-dos", "Denial of Service", 2 },
	{ "attempted-user", "Attempted User Privilege Gain", 1 },
	{ "unsuccessful-user", "Unsuccessful User Privilege Gain", 1 },
	{ "successful-user", "Successful User Privilege Gain", 1 },
	{ "attempted-admin", "Attempted Administrator Privilege Gain", 1 },
	{ "successful-admin", "Successful Administrator Privilege Gain", 1 },
	{ "rpc-portmap-decode", "Decode of an RPC Query", 2 },
	{ "shellcode-detect", "Executable code was detected", 1 },
	{ "string-detect", "A suspicious string was detected", 3 },
	{ "suspicious-filename-detect", "A suspicious filename was detected",
	    2 },
	{ "suspicious-login", "An attempted login using a suspicious "
	    "username was detected", 2 },
	{ "system-call-detect", "A system call was detected", 2 },
	{ "tcp-connection", "A TCP connection was detected", 4 },
	{ "trojan-activity", "A Network Trojan was detected", 1 },
	{ "unusual-client-port-connection", "A client was using an unusual "
	    "port", 2 },
	{ "network-scan", "Detection of a Network Scan", 3 },
	{ "denial-of-service", "Detection of a Denial of Service Attack", 2 },
	{ "non-standard-protocol", "Detection of a non-standard protocol or "
	    "event", 2 },
	{ "protocol-command-decode", "Generic Protocol Command Decode", 3 },
	{ "web-application-activity", "access to a potentially vulnerable "
	    "web application", 2 },
	{ "web-application-attack", "Web Application Attack", 1 },
	{ "misc-activity", "Misc activity", 3 },
	{ "misc-attack", "Misc Attack", 2 },
	{ "icmp-event", "Generic ICMP event", 3 },
	{ "inappropriate-content", "Inappropriate Content was Detected", 1 },
	{ "policy-violation", "Potential Corporate Privacy Violation", 1 },
	{ "default-login-attempt", "Attempt to login by a default username "
	    "and password", 2 },
	{ "targeted-activity", "Targeted Malicious Activity was Detected", 1 },
	{ "exploit-kit", "Exploit Kit Activity Detected", 1 },
	{ "external-ip-check", "Device Retrieving External IP Address "
	    "Detected", 2 },
	{ "domain-c2", "Domain Observed Used for C2 Detected", 1 },
	{ "pup-activity", "Possibly Unwanted Program Detected", 2 },
	{ "credential-theft", "Successful Credential Theft Detected", 1 },
	{ "social-engineering", "Possible Social Engineering Attempted", 2 },
	{ "coin-mining", "Crypto Currency Mining Activity Detected", 2 },
	{ "command-and-control", "Malware Command and Control Activity "
	    "Detected", 1 },
};

static int
fail(struct pstate *ps, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct pstate *ps, const char *reason, const char *fmt, ...)
{
	va_list	ap;

	ps->err->reason = reason;
	va_start(ap, fmt);
	vsnprintf(ps->err->detail, sizeof(ps->err->detail), fmt, ap);
	va_end(ap);
	return ERR_MALFORMED;
}

/* classification */

static int
class_add(struct rule_ctx *c, const char *name, size_t nlen,
    const char *desc, size_t dlen, int prio)
{
	struct class	*t;
	size_t		 i;

	for (i = 0; i < c->ncls; i++)
		if (strlen(c->cls[i].name) == nlen &&
		    memcmp(c->cls[i].name, name, nlen) == 0)
			break;
	if (i == c->ncls) {
		if (c->ncls >= CLASS_MAX)
			return ERR_TOOBIG;
		if ((t = reallocarray(c->cls, c->ncls + 1, sizeof(*t))) == NULL)
			return ERR_NOMEM;
		c->cls = t;
		memset(&t[i], 0, sizeof(t[i]));
		if ((t[i].name = strndup(name, nlen)) == NULL)
			return ERR_NOMEM;
		c->ncls++;
	}
	free(c->cls[i].desc);
	if ((c->cls[i].desc = strndup(desc, dlen)) == NULL)
		return ERR_NOMEM;
	c->cls[i].prio = prio;
	return 0;
}

static void
span_trim(const char **s, const char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* "config classification: name,description,priority" */
static int
class_line(struct rule_ctx *c, const char *line)
{
	static const char	 prefix[] = "config classification:";
	const char		*s, *c1, *c2, *e;
	const char		*ns, *ne, *ds, *de, *ps, *pe;
	char			*end;
	long			 prio;

	for (s = line; isspace((unsigned char)*s); s++)
		;
	if (*s == '#' || *s == '\0')
		return 0;
	if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return ERR_MALFORMED;
	s += sizeof(prefix) - 1;
	e = s + strlen(s);
	if ((c1 = memchr(s, ',', (size_t)(e - s))) == NULL ||
	    (c2 = memrchr(c1 + 1, ',', (size_t)(e - c1 - 1))) == NULL)
		return ERR_MALFORMED;
	ns = s, ne = c1, ds = c1 + 1, de = c2, ps = c2 + 1, pe = e;
	span_trim(&ns, &ne);
	span_trim(&ds, &de);
	span_trim(&ps, &pe);
	errno = 0;
	prio = strtol(ps, &end, 10);
	if (ns == ne || ps == pe || end != pe || errno != 0 || prio < 1 ||
	    prio > 255)
		return ERR_MALFORMED;
	return class_add(c, ns, (size_t)(ne - ns), ds, (size_t)(de - ds),
	    (int)prio);
}

static int
class_load(struct rule_ctx *c, const char *path)
{
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0;
	unsigned	 lineno = 0;
	int		 rc = 0;

	if ((f = fopen(path, "re")) == NULL) {
		log_warn("%s", path);
		return ERR_IO;
	}
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if ((rc = class_line(c, line)) != 0) {
			log_warnx("%s:%u: not a classification line", path,
			    lineno);
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		log_warn("%s", path);
		rc = ERR_IO;
	}
	free(line);
	fclose(f);
	return rc;
}

static const struct class *
class_find(const struct rule_ctx *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->ncls; i++)
		if (strcmp(c->cls[i].name, name) == 0)
			return &c->cls[i];
	return NULL;
}

/* flowbit names */

static uint32_t
name_hash(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static int
fb_grow(struct rule_ctx *c)
{
	uint32_t	*t, cap = c->fbcap ? c->fbcap * 2 : 256, i, j;

	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < c->fbcap; i++) {
		if (c->fbtab[i] == 0)
			continue;
		const char *n = c->fbname[c->fbtab[i] - 1];
		for (j = name_hash(n, strlen(n)) & (cap - 1); t[j] != 0;
		    j = (j + 1) & (cap - 1))
			;
		t[j] = c->fbtab[i];
	}
	free(c->fbtab);
	c->fbtab = t;
	c->fbcap = cap;
	return 0;
}

static int
fb_intern(struct rule_ctx *c, uint32_t *id, const char *s, size_t len)
{
	char		**t;
	uint32_t	  i;
	int		  rc;

	if ((c->nfb + 1) * 2 > c->fbcap && (rc = fb_grow(c)) != 0)
		return rc;
	for (i = name_hash(s, len) & (c->fbcap - 1); c->fbtab[i] != 0;
	    i = (i + 1) & (c->fbcap - 1)) {
		const char *n = c->fbname[c->fbtab[i] - 1];
		if (strlen(n) == len && memcmp(n, s, len) == 0) {
			*id = c->fbtab[i] - 1;
			return 0;
		}
	}
	if (c->nfb >= FLOWBITS_MAX)
		return ERR_TOOBIG;
	if ((t = reallocarray(c->fbname, c->nfb + 1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	c->fbname = t;
	if ((t[c->nfb] = strndup(s, len)) == NULL)
		return ERR_NOMEM;
	*id = c->nfb++;
	c->fbtab[i] = *id + 1;
	return 0;
}

struct rule_ctx *
rule_ctx_new(struct rulevars *vars, const char *classification)
{
	struct rule_ctx	*c;
	size_t		 i;
	const char	*n, *d;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->vars = vars;
	if (classification != NULL) {
		if (class_load(c, classification) != 0)
			goto fail;
		return c;
	}
	for (i = 0; i < sizeof(builtin_cls) / sizeof(builtin_cls[0]); i++) {
		n = builtin_cls[i].name;
		d = builtin_cls[i].desc;
		if (class_add(c, n, strlen(n), d, strlen(d),
		    builtin_cls[i].prio) != 0)
			goto fail;
	}
	return c;
fail:
	rule_ctx_free(c);
	return NULL;
}

void
rule_ctx_free(struct rule_ctx *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ncls; i++) {
		free(c->cls[i].name);
		free(c->cls[i].desc);
	}
	for (i = 0; i < c->nfb; i++)
		free(c->fbname[i]);
	free(c->cls);
	free(c->fbname);
	free(c->fbtab);
	free(c);
}

uint32_t
rule_ctx_nflowbits(const struct rule_ctx *c)
{
	return c->nfb;
}

/* values */

static char *
skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void
rtrim(char *s)
{
	size_t	n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* A signed decimal number in [min, max]. */
static bool
num(int64_t *out, const char *s, int64_t min, int64_t max)
{
	char		*end;
	long long	 v;

	s = skip_ws((char *)s);
	if (!(*s == '-' || (*s >= '0' && *s <= '9')))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	end = skip_ws(end);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* A decimal or 0x hex unsigned number. */
static bool
unum(uint64_t *out, const char *s)
{
	char	*end;

	s = skip_ws((char *)s);
	if (!(*s >= '0' && *s <= '9'))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	end = skip_ws(end);
	return errno == 0 && *end == '\0';
}

/* Split s at the next ',' (in place); returns the rest or NULL. */
static char *
next_field(char **s)
{
	char	*p = *s, *c;

	if (p == NULL)
		return NULL;
	if ((c = strchr(p, ',')) != NULL) {
		*c = '\0';
		*s = c + 1;
	} else
		*s = NULL;
	p = skip_ws(p);
	rtrim(p);
	return p;
}

/* Strip one pair of double quotes, if there are. */
static char *
unquote(char *s)
{
	size_t	n;

	s = skip_ws(s);
	rtrim(s);
	n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

/* "N", "!N", "<N", ">N", "<=N", ">=N", "N<>M", "N-M" */
static bool
parse_ucmp(struct rm_uint *u, char *s)
{
	char	*p;

	s = skip_ws(s);
	rtrim(s);
	memset(u, 0, sizeof(*u));
	if ((p = strstr(s, "<>")) != NULL || ((p = strchr(s, '-')) != NULL &&
	    p > s)) {
		*p = '\0';
		p += p[1] == '>' ? 2 : 1;
		u->op = UC_RANGE;
		return unum(&u->a, s) && unum(&u->b, p) && u->a < u->b;
	}
	if (s[0] == '<' || s[0] == '>') {
		bool eq = s[1] == '=';
		u->op = s[0] == '<' ? (eq ? UC_LE : UC_LT) : (eq ? UC_GE : UC_GT);
		s += eq ? 2 : 1;
	} else if (s[0] == '!') {
		u->op = UC_NE;
		s += s[1] == '=' ? 2 : 1;
	} else {
		u->op = UC_EQ;
		if (s[0] == '=')
			s++;
	}
	return unum(&u->a, s);
}

/* matches */

static struct rmatch *
add_match(struct pstate *ps, uint8_t type)
{
	struct rule	*r = ps->r;
	struct rmatch	*t;
	size_t		 cap;

	if (r->nm >= RULE_MATCH_MAX) {
		fail(ps, "syntax", "more than %d matches", RULE_MATCH_MAX);
		return NULL;
	}
	if (r->nm == ps->mcap) {
		cap = ps->mcap ? ps->mcap * 2 : 4;
		if ((t = reallocarray(r->m, cap, sizeof(*t))) == NULL) {
			ps->err->reason = NULL;		/* out of memory */
			return NULL;
		}
		r->m = t;
		ps->mcap = cap;
	}
	t = &r->m[r->nm++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->slot = ps->slot;
	return t;
}

static int
nomem_or_fail(struct pstate *ps)
{
	return ps->err->reason == NULL ? ERR_NOMEM : ERR_MALFORMED;
}

static struct rm_content *
last_content(struct pstate *ps, const char *kw)
{
	if (ps->last < 0) {
		fail(ps, "option", "%s without a content before it", kw);
		return NULL;
	}
	return &ps->r->m[ps->last].c;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Suricata's content string: text, |hex bytes|, and \ before " ; : \ |.
 * out has room for strlen(s) bytes. */
static int
content_decode(struct pstate *ps, uint8_t *out, uint32_t *outlen,
    const char *s)
{
	size_t	n = 0;
	int	hi = -1, v;
	bool	hex = false;

	for (; *s != '\0'; s++) {
		if (*s == '|') {
			if (hex && hi >= 0)
				return fail(ps, "option", "content: odd hex");
			hex = !hex;
		} else if (hex) {
			if (*s == ' ' || *s == '\t')
				continue;
			if ((v = hexval((unsigned char)*s)) < 0)
				return fail(ps, "option", "content: bad hex "
				    "'%c'", *s);
			if (hi < 0)
				hi = v;
			else {
				out[n++] = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
		} else if (*s == '\\') {
			s++;
			if (*s == '\0' || strchr("\\\";:|,", *s) == NULL)
				return fail(ps, "option", "content: bad "
				    "escape");
			out[n++] = (uint8_t)*s;
		} else if (*s == '"') {
			return fail(ps, "option", "content: unescaped quote");
		} else
			out[n++] = (uint8_t)*s;
	}
	if (hex)
		return fail(ps, "option", "content: unclosed '|'");
	if (n == 0 || n > RULE_CONTENT_MAX)
		return fail(ps, "option", "content: %s", n ? "too long" :
		    "empty");
	*outlen = (uint32_t)n;
	return 0;
}

static int
kw_content(struct pstate *ps, char *val, int arg)
{
	struct rmatch	*m;
	uint8_t		*pat;
	uint32_t	 len = 0;
	bool		 neg;
	int		 rc;

	if (val == NULL)
		return fail(ps, "option", "content without a value");
	val = skip_ws(val);
	if ((neg = *val == '!'))
		val++;
	val = unquote(val);
	if ((pat = malloc(strlen(val) + 1)) == NULL)
		return ERR_NOMEM;
	if ((rc = content_decode(ps, pat, &len, val)) != 0 ||
	    (m = add_match(ps, RM_CONTENT)) == NULL) {
		free(pat);
		return rc ? rc : nomem_or_fail(ps);
	}
	m->c.pat = pat;
	m->c.len = len;
	m->c.flags = neg ? CF_NEG : 0;
	ps->last = (int)(m - ps->r->m);
	return 0;
}

static int
kw_nocase(struct pstate *ps, char *val, int arg)
{
	struct rm_content *c = last_content(ps, "nocase");

	if (c == NULL)
		return ERR_MALFORMED;
	c->flags |= CF_NOCASE;
	return 0;
}

enum { MOD_DEPTH, MOD_OFFSET, MOD_DISTANCE, MOD_WITHIN };

static int
kw_position(struct pstate *ps, char *val, int arg)
{
	static const char *const names[] = { "depth", "offset", "distance",
	    "within" };
	struct rm_content	*c = last_content(ps, names[arg]);
	int64_t			 v;

	if (c == NULL)
		return ERR_MALFORMED;
	if (val == NULL || !num(&v, val, arg == MOD_DISTANCE ? -NUM_MAX : 0,
	    NUM_MAX)) {
		if (val != NULL && isalpha((unsigned char)*skip_ws(val)))
			return fail(ps, "keyword", "byte_extract");
		return fail(ps, "option", "%s: bad number", names[arg]);
	}
	switch (arg) {
	case MOD_DEPTH:
		if (c->flags & CF_DEPTH || v < c->len || v == 0)
			return fail(ps, "option", "depth: twice or shorter "
			    "than the content");
		c->depth = (int32_t)v;
		c->flags |= CF_DEPTH;
		break;
	case MOD_OFFSET:
		c->offset = (int32_t)v;
		c->flags |= CF_OFFSET;
		break;
	case MOD_DISTANCE:
		c->distance = (int32_t)v;
		c->flags |= CF_DISTANCE;
		break;
	case MOD_WITHIN:
		if (v < c->len)
			return fail(ps, "option", "within: shorter than the "
			    "content");
		c->within = (int32_t)v;
		c->flags |= CF_WITHIN;
		break;
	}
	return 0;
}

static int
kw_startend(struct pstate *ps, char *val, int arg)
{
	struct rm_content *c = last_content(ps, arg ? "endswith" :
	    "startswith");

	if (c == NULL)
		return ERR_MALFORMED;
	c->flags |= arg ? CF_ENDSWITH : CF_STARTSWITH;
	return 0;
}

static int
kw_fast_pattern(struct pstate *ps, char *val, int arg)
{
	struct rm_content	*c = last_content(ps, "fast_pattern");
	char			*off;
	int64_t			 o, l;

	if (c == NULL)
		return ERR_MALFORMED;
	if (c->flags & CF_NEG)
		return fail(ps, "option", "fast_pattern on a negated content");
	c->flags |= CF_FAST;
	if (val == NULL || strcmp(unquote(val), "only") == 0)
		return 0;
	off = val;
	if (!num(&o, next_field(&off), 0, 65535) || off == NULL ||
	    !num(&l, off, 1, 65535) || o + l > c->len)
		return fail(ps, "option", "fast_pattern: bad offset,length");
	c->fp_off = (uint16_t)o;
	c->fp_len = (uint16_t)l;
	c->flags |= CF_FAST_OL;
	return 0;
}

/* sticky buffers and the older content modifiers */

static int
kw_sticky(struct pstate *ps, char *val, int arg)
{
	ps->slot = RSLOT(arg, false);
	ps->sticky = arg != RB_PKT;
	ps->last = -1;
	return 0;
}

static int
kw_file_data(struct pstate *ps, char *val, int arg)
{
	ps->file_data = true;
	return kw_sticky(ps, val, NB_HTTP_REQUEST_BODY);
}

static int
kw_modifier(struct pstate *ps, char *val, int arg)
{
	struct rm_content *c = last_content(ps, "http content modifier");

	if (c == NULL)
		return ERR_MALFORMED;
	ps->r->m[ps->last].slot = RSLOT(arg, false);
	return 0;
}

static int
kw_dotprefix(struct pstate *ps, char *val, int arg)
{
	if (!ps->sticky || RSLOT_DOT(ps->slot) || ps->last >= 0)
		return fail(ps, "option", "dotprefix: not right after a "
		    "sticky buffer");
	ps->slot = RSLOT(RSLOT_BUF(ps->slot), true);
	return 0;
}

/* pcre */

static int
pcre_buffer(struct pstate *ps, struct rmatch *m, char f)
{
	static const struct { char f; int buf; } map[] = {
		{ 'U', NB_HTTP_URI }, { 'I', NB_HTTP_URI_RAW },
		{ 'P', NB_HTTP_REQUEST_BODY }, { 'H', NB_HTTP_HEADER },
		{ 'M', NB_HTTP_METHOD }, { 'C', NB_HTTP_COOKIE },
		{ 'V', NB_HTTP_USER_AGENT }, { 'W', NB_HTTP_HOST },
		{ 'Z', NB_HTTP_HOST_RAW },
	};
	size_t	i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].f == f) {
			m->slot = RSLOT(map[i].buf, false);
			return 0;
		}
	return fail(ps, "keyword", "pcre/%c", f);
}

static int
pcre_flags(struct pstate *ps, struct rmatch *m, const char *f, uint32_t *opt)
{
	int	rc;

	for (; *f != '\0'; f++) {
		switch (*f) {
		case 'i': *opt |= PCRE2_CASELESS; break;
		case 's': *opt |= PCRE2_DOTALL; break;
		case 'm': *opt |= PCRE2_MULTILINE; break;
		case 'x': *opt |= PCRE2_EXTENDED; break;
		case 'A': *opt |= PCRE2_ANCHORED; break;
		case 'E': *opt |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': *opt |= PCRE2_UNGREEDY; break;
		case 'R': m->p.relative = true; break;
		case 'B': case 'O': break;	/* no meaning here */
		default:
			if ((rc = pcre_buffer(ps, m, *f)) != 0)
				return rc;
		}
	}
	return 0;
}

static int
kw_pcre(struct pstate *ps, char *val, int arg)
{
	struct rmatch	*m;
	pcre2_code	*code;
	PCRE2_UCHAR	 msg[96];
	PCRE2_SIZE	 eoff;
	uint32_t	 opt = 0;
	char		*re, *end;
	bool		 neg;
	int		 rc, ec;

	if (val == NULL)
		return fail(ps, "option", "pcre without a value");
	val = skip_ws(val);
	if ((neg = *val == '!'))
		val++;
	re = unquote(val);
	if (re[0] != '/' || (end = strrchr(re, '/')) == re)
		return fail(ps, "option", "pcre: not /regex/flags");
	*end = '\0';
	if ((m = add_match(ps, RM_PCRE)) == NULL)
		return nomem_or_fail(ps);
	m->p.neg = neg;
	if ((rc = pcre_flags(ps, m, end + 1, &opt)) != 0)
		goto drop;
	code = pcre2_compile((PCRE2_SPTR)re + 1, (PCRE2_SIZE)(end - re - 1),
	    opt, &ec, &eoff, NULL);
	if (code == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		rc = fail(ps, "pcre", "%s", (char *)msg);
		goto drop;
	}
	m->p.code = code;
	return 0;
drop:
	ps->r->nm--;
	return rc;
}

/* byte_test, byte_jump, isdataat */

static int
byte_option(struct pstate *ps, struct rm_byte *b, char *f, bool jump)
{
	int64_t	v;
	char	*arg = strchr(f, ' ');

	if (arg != NULL) {
		*arg++ = '\0';
		arg = skip_ws(arg);
	}
	if (strcmp(f, "relative") == 0) b->flags |= BF_RELATIVE;
	else if (strcmp(f, "little") == 0) b->flags |= BF_LITTLE;
	else if (strcmp(f, "big") == 0) b->flags &= (uint16_t)~BF_LITTLE;
	else if (strcmp(f, "string") == 0) b->flags |= BF_STRING;
	else if (strcmp(f, "hex") == 0) b->base = 16;
	else if (strcmp(f, "dec") == 0) b->base = 10;
	else if (strcmp(f, "oct") == 0) b->base = 8;
	else if (strcmp(f, "dce") == 0)
		return fail(ps, "keyword", "%s/dce", jump ? "byte_jump" :
		    "byte_test");
	else if (strcmp(f, "bitmask") == 0 && arg != NULL &&
	    unum(&b->mask, arg) && b->mask != 0)
		;
	else if (jump && strcmp(f, "align") == 0) b->flags |= BF_ALIGN;
	else if (jump && strcmp(f, "from_beginning") == 0)
		b->flags |= BF_BEGIN;
	else if (jump && strcmp(f, "from_end") == 0) b->flags |= BF_END;
	else if (jump && strcmp(f, "multiplier") == 0 && arg != NULL &&
	    num(&v, arg, 1, 65535))
		b->multiplier = (uint32_t)v;
	else if (jump && strcmp(f, "post_offset") == 0 && arg != NULL &&
	    num(&v, arg, -NUM_MAX, NUM_MAX))
		b->post_offset = (int32_t)v;
	else
		return fail(ps, "option", "%s: bad option '%s'", jump ?
		    "byte_jump" : "byte_test", f);
	return 0;
}

static int
byte_common(struct pstate *ps, struct rm_byte *b, char *rest, bool jump)
{
	char	*f;
	int	 rc;

	while ((f = next_field(&rest)) != NULL)
		if ((rc = byte_option(ps, b, f, jump)) != 0)
			return rc;
	if ((b->flags & BF_STRING) && b->base == 0)
		b->base = 10;
	if (!(b->flags & BF_STRING) && (b->base != 0 || b->nbytes > 8))
		return fail(ps, "option", "%s: bad number of bytes or base",
		    jump ? "byte_jump" : "byte_test");
	if ((b->flags & BF_BEGIN) && (b->flags & BF_END))
		return fail(ps, "option", "byte_jump: from_beginning and "
		    "from_end");
	return 0;
}

static int
byte_offset(struct pstate *ps, struct rm_byte *b, const char *s,
    const char *kw)
{
	int64_t	v;

	if (s != NULL && num(&v, s, -NUM_MAX, NUM_MAX)) {
		b->offset = (int32_t)v;
		return 0;
	}
	if (s != NULL && isalpha((unsigned char)*s))
		return fail(ps, "keyword", "byte_extract");
	return fail(ps, "option", "%s: bad offset", kw);
}

static int
byte_nbytes(struct pstate *ps, struct rm_byte *b, const char *s,
    const char *kw)
{
	int64_t	v;

	if (s == NULL || !num(&v, s, 1, 20))
		return fail(ps, "option", "%s: bad number of bytes", kw);
	b->nbytes = (uint8_t)v;
	return 0;
}

static int
kw_byte_test(struct pstate *ps, char *val, int arg)
{
	struct rmatch	*m;
	struct rm_byte	 b = { 0 };
	char		*rest = val, *op, *v;
	int		 rc;

	if ((rc = byte_nbytes(ps, &b, next_field(&rest), "byte_test")) != 0)
		return rc;
	if ((op = next_field(&rest)) == NULL)
		return fail(ps, "option", "byte_test: no operator");
	if (*op == '!') {
		b.flags |= BF_NEG;
		op++;
	}
	if (strcmp(op, "<=") == 0) b.op = 'l';
	else if (strcmp(op, ">=") == 0) b.op = 'g';
	else if (strcmp(op, "=") == 0 || (*op == '\0' && b.flags & BF_NEG))
		b.op = '=';
	else if (strlen(op) == 1 && strchr("<>&^", *op) != NULL) b.op = *op;
	else
		return fail(ps, "option", "byte_test: bad operator");
	if ((v = next_field(&rest)) == NULL || !unum(&b.value, v))
		return v != NULL && isalpha((unsigned char)*v) ?
		    fail(ps, "keyword", "byte_extract") :
		    fail(ps, "option", "byte_test: bad value");
	if ((rc = byte_offset(ps, &b, next_field(&rest), "byte_test")) != 0 ||
	    (rc = byte_common(ps, &b, rest, false)) != 0)
		return rc;
	if ((m = add_match(ps, RM_BYTE_TEST)) == NULL)
		return nomem_or_fail(ps);
	m->b = b;
	return 0;
}

static int
kw_byte_jump(struct pstate *ps, char *val, int arg)
{
	struct rmatch	*m;
	struct rm_byte	 b = { 0 };
	char		*rest = val;
	int		 rc;

	b.multiplier = 1;
	if ((rc = byte_nbytes(ps, &b, next_field(&rest), "byte_jump")) != 0 ||
	    (rc = byte_offset(ps, &b, next_field(&rest), "byte_jump")) != 0 ||
	    (rc = byte_common(ps, &b, rest, true)) != 0)
		return rc;
	if ((m = add_match(ps, RM_BYTE_JUMP)) == NULL)
		return nomem_or_fail(ps);
	m->b = b;
	return 0;
}

static int
kw_isdataat(struct pstate *ps, char *val, int arg)
{
	struct rmatch	*m;
	struct rm_isdataat d = { 0 };
	char		*rest = val, *f;
	int64_t		 v;

	if ((f = next_field(&rest)) == NULL)
		return fail(ps, "option", "isdataat without a value");
	if ((d.neg = *f == '!'))
		f++;
	if (!num(&v, f, 0, NUM_MAX))
		return isalpha((unsigned char)*f) ? fail(ps, "keyword",
		    "byte_extract") : fail(ps, "option", "isdataat: bad "
		    "number");
	d.off = (uint32_t)v;
	while ((f = next_field(&rest)) != NULL) {
		if (strcmp(f, "relative") == 0)
			d.relative = true;
		else if (strcmp(f, "rawbytes") != 0)
			return fail(ps, "option", "isdataat: bad option");
	}
	if ((m = add_match(ps, RM_ISDATAAT)) == NULL)
		return nomem_or_fail(ps);
	m->d = d;
	return 0;
}

static int
kw_bsize(struct pstate *ps, char *val, int arg)
{
	struct rmatch	*m;
	struct rm_uint	 u;

	if (val == NULL || !parse_ucmp(&u, val))
		return fail(ps, "option", "bsize: bad value");
	if (!ps->sticky)
		return fail(ps, "option", "bsize without a sticky buffer");
	if ((m = add_match(ps, RM_BSIZE)) == NULL)
		return nomem_or_fail(ps);
	m->u = u;
	return 0;
}

static int
kw_dsize(struct pstate *ps, char *val, int arg)
{
	if (val == NULL || !parse_ucmp(&ps->r->dsize, val))
		return fail(ps, "option", "dsize: bad value");
	ps->r->has_dsize = true;
	return 0;
}

static int
kw_urilen(struct pstate *ps, char *val, int arg)
{
	char	*rest = val, *f;

	if ((f = next_field(&rest)) == NULL ||
	    !parse_ucmp(&ps->r->urilen, f))
		return fail(ps, "option", "urilen: bad value");
	if ((f = next_field(&rest)) != NULL) {
		if (strcmp(f, "raw") == 0)
			ps->r->urilen_raw = true;
		else if (strcmp(f, "norm") != 0)
			return fail(ps, "option", "urilen: bad option");
	}
	ps->r->has_urilen = true;
	return 0;
}

/* flow, flowbits, thresholds */

static int
kw_flow(struct pstate *ps, char *val, int arg)
{
	static const struct { const char *n; uint8_t f; } map[] = {
		{ "established", FLOW_F_EST },
		{ "not_established", FLOW_F_NOTEST },
		{ "stateless", 0 },
		{ "to_server", FLOW_F_TOSERVER },
		{ "from_client", FLOW_F_TOSERVER },
		{ "to_client", FLOW_F_TOCLIENT },
		{ "from_server", FLOW_F_TOCLIENT },
		{ "only_stream", 0 },	/* we match what we have */
		{ "no_stream", 0 },
	};
	char	*rest = val, *f;
	size_t	 i;

	while ((f = next_field(&rest)) != NULL) {
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(f, map[i].n) == 0)
				break;
		if (i == sizeof(map) / sizeof(map[0]))
			return fail(ps, "keyword", "flow:%.40s", f);
		ps->r->flow |= map[i].f;
	}
	if ((ps->r->flow & (FLOW_F_TOSERVER | FLOW_F_TOCLIENT)) ==
	    (FLOW_F_TOSERVER | FLOW_F_TOCLIENT) ||
	    (ps->r->flow & (FLOW_F_EST | FLOW_F_NOTEST)) ==
	    (FLOW_F_EST | FLOW_F_NOTEST))
		return fail(ps, "option", "flow: contradiction");
	return 0;
}

static int
fb_names(struct pstate *ps, struct rflowbits *fb, char *names)
{
	char		*p, *q;
	uint32_t	*t;
	int		 rc;

	fb->any = strchr(names, '|') != NULL;
	if (fb->any && strchr(names, '&') != NULL)
		return fail(ps, "option", "flowbits: both '|' and '&'");
	for (p = names; p != NULL; p = q) {
		if ((q = strpbrk(p, "|&")) != NULL)
			*q++ = '\0';
		p = skip_ws(p);
		rtrim(p);
		if (*p == '\0' || strlen(p) > FLOWBIT_NAME_MAX)
			return fail(ps, "option", "flowbits: bad name");
		if ((t = reallocarray(fb->ids, fb->n + 1U,
		    sizeof(*t))) == NULL)
			return ERR_NOMEM;
		fb->ids = t;
		if ((rc = fb_intern(ps->ctx, &t[fb->n], p, strlen(p))) != 0)
			return rc == ERR_TOOBIG ? fail(ps, "option",
			    "flowbits: too many names") : rc;
		fb->n++;
	}
	return 0;
}

static int
kw_flowbits(struct pstate *ps, char *val, int arg)
{
	static const char *const ops[] = { "set", "unset", "toggle", "isset",
	    "isnotset" };
	struct rule		*r = ps->r;
	struct rflowbits	*t;
	char			*rest = val, *op;
	size_t			 i;

	if ((op = next_field(&rest)) == NULL)
		return fail(ps, "option", "flowbits without a value");
	if (strcmp(op, "noalert") == 0) {
		r->noalert = true;
		return 0;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i]) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]) || rest == NULL)
		return fail(ps, "option", "flowbits: bad operation");
	if ((t = reallocarray(r->fb, r->nfb + 1U, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	r->fb = t;
	t = &r->fb[r->nfb++];
	memset(t, 0, sizeof(*t));
	t->op = (uint8_t)i;
	if (i <= FB_TOGGLE)
		r->fb_sets = true;
	return fb_names(ps, t, rest);
}

static int
thresh_field(struct pstate *ps, struct rthresh *th, char *f, bool *seen)
{
	static const char *const types[] = { "limit", "threshold", "both" };
	static const char *const tracks[] = { "by_src", "by_dst", "by_rule",
	    "by_both" };
	char	*v = strpbrk(f, " \t");
	int64_t	 n;
	size_t	 i;

	if (v == NULL)
		return fail(ps, "option", "threshold: '%.40s'", f);
	*v++ = '\0';
	v = skip_ws(v);
	if (strcmp(f, "type") == 0 && th->type != TH_DETECTION) {
		for (i = 0; i < 3 && strcmp(v, types[i]) != 0; i++)
			;
		if (i == 3)
			return fail(ps, "option", "threshold: bad type");
		th->type = (uint8_t)(TH_LIMIT + i);
		seen[0] = true;
	} else if (strcmp(f, "track") == 0) {
		for (i = 0; i < 4 && strcmp(v, tracks[i]) != 0; i++)
			;
		if (i == 4)
			return fail(ps, "option", "threshold: track '%.40s'",
			    v);
		th->track = (uint8_t)i;
		seen[1] = true;
	} else if (strcmp(f, "count") == 0 && num(&n, v, 1, UINT32_MAX)) {
		th->count = (uint32_t)n;
		seen[2] = true;
	} else if (strcmp(f, "seconds") == 0 && num(&n, v, 1, UINT32_MAX)) {
		th->seconds = (uint32_t)n;
		seen[3] = true;
	} else
		return fail(ps, "option", "threshold: '%.40s'", f);
	return 0;
}

static int
kw_threshold(struct pstate *ps, char *val, int arg)
{
	struct rthresh	 th = { 0 };
	bool		 seen[4] = { arg, false, false, false };
	char		*rest = val, *f;
	int		 rc;

	if (ps->r->th.type != TH_NONE)
		return fail(ps, "option", "two thresholds");
	if (arg)
		th.type = TH_DETECTION;
	while ((f = next_field(&rest)) != NULL)
		if ((rc = thresh_field(ps, &th, f, seen)) != 0)
			return rc;
	if (!seen[0] || !seen[1] || !seen[2] || !seen[3])
		return fail(ps, "option", "threshold: type, track, count and "
		    "seconds are all needed");
	ps->r->th = th;
	return 0;
}

/* the rest of the options */

static char *
unescape_text(const char *s)
{
	char	*out, *o;

	if ((out = o = malloc(strlen(s) + 1)) == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0' && strchr("\\\";:", s[1]))
			s++;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static int
kw_msg(struct pstate *ps, char *val, int arg)
{
	if (val == NULL)
		return fail(ps, "option", "msg without a value");
	free(ps->r->msg);
	return (ps->r->msg = unescape_text(unquote(val))) == NULL ?
	    ERR_NOMEM : 0;
}

enum { ID_SID, ID_REV, ID_GID, ID_PRIO };

static int
kw_id(struct pstate *ps, char *val, int arg)
{
	static const char *const names[] = { "sid", "rev", "gid", "priority" };
	int64_t	v;

	if (val == NULL || !num(&v, val, arg == ID_SID ? 1 : 0,
	    arg == ID_PRIO ? 255 : UINT32_MAX))
		return fail(ps, "option", "%s: bad number", names[arg]);
	switch (arg) {
	case ID_SID:
		ps->r->sid = ps->err->sid = (uint32_t)v;
		ps->has_sid = true;
		break;
	case ID_REV: ps->r->rev = (uint32_t)v; break;
	case ID_GID: ps->r->gid = (uint32_t)v; break;
	case ID_PRIO: ps->r->prio = v < 1 ? 1 : (int)v; break;
	}
	return 0;
}

static int
kw_classtype(struct pstate *ps, char *val, int arg)
{
	const struct class *c;

	if (val == NULL || (c = class_find(ps->ctx, unquote(val))) == NULL)
		return fail(ps, "classtype", "%.60s", val ? val : "");
	ps->r->classtype = c->desc;
	if (ps->r->prio == 0)
		ps->r->prio = -c->prio;	/* priority, if given, wins */
	return 0;
}

/* "key value, key value": {"key": ["value", ...]} */
static int
kw_metadata(struct pstate *ps, char *val, int arg)
{
	char	*rest = val, *f, *v;
	json_t	*a;

	if (ps->meta == NULL && (ps->meta = json_object()) == NULL)
		return ERR_NOMEM;
	while ((f = next_field(&rest)) != NULL) {
		if (*f == '\0')
			continue;
		if ((v = strpbrk(f, " \t")) != NULL) {
			*v++ = '\0';
			v = skip_ws(v);
		} else
			v = "";
		if ((a = json_object_get(ps->meta, f)) == NULL) {
			if ((a = json_array()) == NULL ||
			    json_object_set_new(ps->meta, f, a) != 0)
				return ERR_NOMEM;
		}
		if (json_array_append_new(a, json_string(v)) != 0)
			return fail(ps, "option", "metadata: not UTF-8");
	}
	return 0;
}

static int
kw_noalert(struct pstate *ps, char *val, int arg)
{
	ps->r->noalert = true;
	return 0;
}

static int
kw_accept(struct pstate *ps, char *val, int arg)
{
	return 0;
}

struct keyword {
	const char	*name;
	int		(*fn)(struct pstate *, char *, int);
	int		 arg;
};

static const struct keyword keywords[] = {
	{ "msg", kw_msg, 0 },
	{ "sid", kw_id, ID_SID },
	{ "rev", kw_id, ID_REV },
	{ "gid", kw_id, ID_GID },
	{ "priority", kw_id, ID_PRIO },
	{ "classtype", kw_classtype, 0 },
	{ "metadata", kw_metadata, 0 },
	{ "reference", kw_accept, 0 },
	{ "target", kw_accept, 0 },	/* EVE source/target: not kept */
	{ "tag", kw_accept, 0 },	/* no extra packets are logged */
	{ "rawbytes", kw_accept, 0 },	/* no telnet normalisation here */
	{ "noalert", kw_noalert, 0 },
	{ "content", kw_content, 0 },
	{ "nocase", kw_nocase, 0 },
	{ "depth", kw_position, MOD_DEPTH },
	{ "offset", kw_position, MOD_OFFSET },
	{ "distance", kw_position, MOD_DISTANCE },
	{ "within", kw_position, MOD_WITHIN },
	{ "startswith", kw_startend, 0 },
	{ "endswith", kw_startend, 1 },
	{ "fast_pattern", kw_fast_pattern, 0 },
	{ "pcre", kw_pcre, 0 },
	{ "byte_test", kw_byte_test, 0 },
	{ "byte_jump", kw_byte_jump, 0 },
	{ "isdataat", kw_isdataat, 0 },
	{ "bsize", kw_bsize, 0 },
	{ "dsize", kw_dsize, 0 },
	{ "urilen", kw_urilen, 0 },
	{ "flow", kw_flow, 0 },
	{ "flowbits", kw_flowbits, 0 },
	{ "threshold", kw_threshold, 0 },
	{ "detection_filter", kw_threshold, 1 },
	{ "dotprefix", kw_dotprefix, 0 },
	{ "pkt_data", kw_sticky, RB_PKT },
	{ "file_data", kw_file_data, 0 },
	{ "file.data", kw_file_data, 0 },
	{ "dns.query", kw_sticky, NB_DNS_QUERY },
	{ "dns_query", kw_sticky, NB_DNS_QUERY },
	{ "tls.sni", kw_sticky, NB_TLS_SNI },
	{ "tls_sni", kw_sticky, NB_TLS_SNI },
	{ "http.uri", kw_sticky, NB_HTTP_URI },
	{ "http.uri.raw", kw_sticky, NB_HTTP_URI_RAW },
	{ "http.method", kw_sticky, NB_HTTP_METHOD },
	{ "http.host", kw_sticky, NB_HTTP_HOST },
	{ "http.host.raw", kw_sticky, NB_HTTP_HOST_RAW },
	{ "http.user_agent", kw_sticky, NB_HTTP_USER_AGENT },
	{ "http.header", kw_sticky, NB_HTTP_HEADER },
	{ "http.header_names", kw_sticky, NB_HTTP_HEADER_NAMES },
	{ "http_header_names", kw_sticky, NB_HTTP_HEADER_NAMES },
	{ "http.cookie", kw_sticky, NB_HTTP_COOKIE },
	{ "http.content_type", kw_sticky, NB_HTTP_CONTENT_TYPE },
	{ "http_content_type", kw_sticky, NB_HTTP_CONTENT_TYPE },
	{ "http.request_line", kw_sticky, NB_HTTP_REQUEST_LINE },
	{ "http_request_line", kw_sticky, NB_HTTP_REQUEST_LINE },
	{ "http.request_body", kw_sticky, NB_HTTP_REQUEST_BODY },
	{ "http.protocol", kw_sticky, NB_HTTP_PROTOCOL },
	{ "http_protocol", kw_sticky, NB_HTTP_PROTOCOL },
	{ "http_uri", kw_modifier, NB_HTTP_URI },
	{ "http_raw_uri", kw_modifier, NB_HTTP_URI_RAW },
	{ "http_method", kw_modifier, NB_HTTP_METHOD },
	{ "http_host", kw_modifier, NB_HTTP_HOST },
	{ "http_raw_host", kw_modifier, NB_HTTP_HOST_RAW },
	{ "http_user_agent", kw_modifier, NB_HTTP_USER_AGENT },
	{ "http_header", kw_modifier, NB_HTTP_HEADER },
	{ "http_cookie", kw_modifier, NB_HTTP_COOKIE },
	{ "http_client_body", kw_modifier, NB_HTTP_REQUEST_BODY },
};

static int
option(struct pstate *ps, char *name, char *val)
{
	size_t	i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(keywords[i].name, name) == 0)
			return keywords[i].fn(ps, val, keywords[i].arg);
	return fail(ps, "keyword", "%.60s", name);
}

/* The value ends at the first ';' not escaped by '\'. */
static char *
value_end(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == ';')
			return s;
	}
	return NULL;
}

static int
parse_options(struct pstate *ps, char *s)
{
	char	*name, *val, *end;
	int	 rc;

	for (;;) {
		s = skip_ws(s);
		if (*s == '\0')
			return 0;
		if ((end = value_end(s)) == NULL)
			return fail(ps, "syntax", "option without ';'");
		*end = '\0';
		name = s;
		if ((val = strchr(name, ':')) != NULL) {
			*val++ = '\0';
			val = skip_ws(val);
			rtrim(val);
		}
		rtrim(name);
		if ((rc = option(ps, name, val)) != 0)
			return rc;
		s = end + 1;
	}
}

/* The sid, looked for before anything else so that every skip can name
 * it. s is a copy of the options; 0 when there is none. */
static uint32_t
prescan_sid(char *s)
{
	char	*end, *name;
	int64_t	 v;

	while ((end = value_end(s)) != NULL) {
		*end = '\0';
		name = skip_ws(s);
		if (strncmp(name, "sid", 3) == 0 &&
		    *(name = skip_ws(name + 3)) == ':' &&
		    num(&v, name + 1, 1, UINT32_MAX))
			return (uint32_t)v;
		s = end + 1;
	}
	return 0;
}

/* header */

static const char *
parse_action(const char *s)
{
	static const char *const actions[] = { "alert", "drop", "reject",
	    "rejectsrc", "rejectdst", "rejectboth", "pass" };
	size_t	i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(s, actions[i]) == 0)
			return actions[i];
	return NULL;
}

static int
parse_proto(const char *s)
{
	static const struct { const char *n; int p; } map[] = {
		{ "ip", RP_IP }, { "tcp", RP_TCP }, { "tcp-pkt", RP_TCP },
		{ "tcp-stream", RP_TCP }, { "udp", RP_UDP },
		{ "icmp", RP_ICMP }, { "dns", RP_DNS }, { "tls", RP_TLS },
		{ "http", RP_HTTP }, { "http1", RP_HTTP },
	};
	size_t	i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(s, map[i].n) == 0)
			return map[i].p;
	return -1;
}

/* The next header field: a bracketed list may hold spaces. */
static char *
header_field(char **s)
{
	char	*p = skip_ws(*s), *start = p;
	int	 level = 0;

	if (*p == '\0')
		return NULL;
	for (; *p != '\0'; p++) {
		if (*p == '[')
			level++;
		else if (*p == ']')
			level--;
		else if ((*p == ' ' || *p == '\t') && level <= 0)
			break;
	}
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return start;
}

static int
header_set(struct pstate *ps, const struct rv_set **out, char *f, bool port,
    const char *what)
{
	const char	*why;
	int		 rc;

	rc = port ? rv_port(out, ps->ctx->vars, f, strlen(f), &why) :
	    rv_addr(out, ps->ctx->vars, f, strlen(f), &why);
	if (rc == ERR_MALFORMED)
		return fail(ps, port ? "port" : "address", "%s '%.40s': %s",
		    what, f, why ? why : "bad");
	return rc;
}

static int
parse_header(struct pstate *ps, char *h)
{
	struct rule	*r = ps->r;
	char		*f[7];
	int		 i, p, rc;

	for (i = 0; i < 7; i++)
		if ((f[i] = header_field(&h)) == NULL)
			return fail(ps, "syntax", "short header");
	if (header_field(&h) != NULL)
		return fail(ps, "syntax", "long header");
	if ((r->action = parse_action(f[0])) == NULL)
		return fail(ps, "action", "%.40s", f[0]);
	if ((p = parse_proto(f[1])) < 0)
		return fail(ps, "protocol", "%.40s", f[1]);
	r->proto = (uint8_t)p;
	if (strcmp(f[4], "<>") == 0)
		r->bidir = true;
	else if (strcmp(f[4], "->") != 0)
		return fail(ps, "syntax", "direction '%.10s'", f[4]);
	if ((rc = header_set(ps, &r->src, f[2], false, "source")) != 0 ||
	    (rc = header_set(ps, &r->sp, f[3], true, "source port")) != 0 ||
	    (rc = header_set(ps, &r->dst, f[5], false, "destination")) != 0 ||
	    (rc = header_set(ps, &r->dp, f[6], true, "destination port")) != 0)
		return rc;
	return 0;
}

/* finishing */

static uint8_t
buf_app(int buf)
{
	if (buf == NB_DNS_QUERY)
		return APP_DNS;
	if (buf == NB_TLS_SNI)
		return APP_TLS;
	return buf == RB_PKT ? APP_NONE : APP_HTTP;
}

static uint8_t
proto_app(uint8_t proto)
{
	switch (proto) {
	case RP_DNS: return APP_DNS;
	case RP_TLS: return APP_TLS;
	case RP_HTTP: return APP_HTTP;
	}
	return APP_NONE;
}

/* Which application the rule's buffers need; rules on buffers of two
 * applications, or of another than their protocol's, are refused. */
static int
finish_app(struct pstate *ps)
{
	struct rule	*r = ps->r;
	uint8_t		 app = proto_app(r->proto), a;
	uint16_t	 i;

	r->txn = app != APP_NONE || r->has_urilen;
	if (r->has_urilen) {
		if (app != APP_NONE && app != APP_HTTP)
			return fail(ps, "option", "urilen outside http");
		app = APP_HTTP;
	}
	for (i = 0; i < r->nm; i++) {
		if ((a = buf_app(RSLOT_BUF(r->m[i].slot))) == APP_NONE)
			continue;
		if (app != APP_NONE && a != app)
			return fail(ps, "option", "buffers of two protocols");
		app = a;
		r->txn = true;
	}
	r->app = app;
	/* an app-layer rule without buffers looks at packet payloads */
	if (proto_app(r->proto) != APP_NONE && r->txn) {
		bool nb = r->has_urilen;
		for (i = 0; i < r->nm && !nb; i++)
			nb = RSLOT_BUF(r->m[i].slot) != RB_PKT;
		if (!nb && r->nm > 0)
			r->txn = false;
	}
	if (r->app == APP_HTTP && r->txn && (r->flow & FLOW_F_TOCLIENT))
		return fail(ps, "response", "%s", ps->file_data ? "file.data" :
		    "http buffer to_client");
	return 0;
}

static int
check_content(struct pstate *ps, struct rm_content *c)
{
	if ((c->flags & (CF_OFFSET | CF_DEPTH | CF_STARTSWITH)) &&
	    (c->flags & CF_RELATIVE))
		return fail(ps, "option", "content: absolute and relative "
		    "positions");
	if ((c->flags & CF_STARTSWITH) && (c->flags & (CF_OFFSET | CF_DEPTH)))
		return fail(ps, "option", "startswith with depth or offset");
	if (c->flags & CF_STARTSWITH) {
		c->flags |= CF_DEPTH;
		c->depth = (int32_t)c->len;
	} else if ((c->flags & CF_DEPTH) && c->offset > INT32_MAX - c->depth)
		return fail(ps, "option", "content: offset + depth too big");
	else if (c->flags & CF_DEPTH)
		c->depth += c->offset;		/* depth counts from offset */
	if ((c->flags & CF_DISTANCE) && (c->flags & CF_WITHIN) &&
	    c->distance > INT32_MAX - c->within)
		return fail(ps, "option", "content: distance + within too "
		    "big");
	return 0;
}

/* Insertion sort by slot, stable: the rule's order stays inside a slot
 * (at most RULE_MATCH_MAX matches). */
static void
sort_by_slot(struct rmatch *m, uint16_t n)
{
	struct rmatch	t;
	uint16_t	i, j;

	for (i = 1; i < n; i++) {
		t = m[i];
		for (j = i; j > 0 && m[j - 1].slot > t.slot; j--)
			m[j] = m[j - 1];
		m[j] = t;
	}
}

/* Order the matches by slot (keeping rule order inside a slot), make the
 * groups and choose the fast pattern: the fast_pattern content, else the
 * longest positive one, among the slots the rule is matched on. */
static int
finish_groups(struct pstate *ps)
{
	struct rule	*r = ps->r;
	uint16_t	 i;
	int		 best = -1, rc;

	if (r->nm == 0)
		return 0;
	sort_by_slot(r->m, r->nm);
	if ((r->g = calloc(RSLOT_COUNT, sizeof(*r->g))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < r->nm; i++) {
		struct rmatch *m = &r->m[i];

		if (r->ng == 0 || r->g[r->ng - 1].slot != m->slot)
			r->g[r->ng++] = (struct rgroup){ m->slot, i, 0 };
		r->g[r->ng - 1].n++;
		if (RSLOT_DOT(m->slot) && RSLOT_BUF(m->slot) == RB_PKT)
			return fail(ps, "option", "dotprefix on the payload");
		if (m->type != RM_CONTENT)
			continue;
		if ((rc = check_content(ps, &m->c)) != 0)
			return rc;
		if ((m->c.flags & CF_NEG) ||
		    r->txn == (RSLOT_BUF(m->slot) == RB_PKT))
			continue;
		if (best < 0 || ((m->c.flags & CF_FAST) &&
		    !(r->m[best].c.flags & CF_FAST)) ||
		    (!(r->m[best].c.flags & CF_FAST) &&
		    m->c.len > r->m[best].c.len))
			best = i;
	}
	r->fp = (int16_t)best;
	return 0;
}

static int
finish(struct pstate *ps)
{
	struct rule	*r = ps->r;
	int		 rc;

	if (!ps->has_sid)
		return fail(ps, "syntax", "no sid");
	if (r->gid == 0)
		r->gid = 1;
	if (r->prio < 0)
		r->prio = -r->prio;
	else if (r->prio == 0)
		r->prio = 3;
	if ((rc = finish_app(ps)) != 0 || (rc = finish_groups(ps)) != 0)
		return rc;
	if (ps->meta != NULL && json_object_size(ps->meta) > 0 &&
	    (r->metadata = json_dumps(ps->meta, JSON_COMPACT |
	    JSON_ENSURE_ASCII)) == NULL)
		return ERR_NOMEM;
	return 0;
}

void
rule_clear(struct rule *r)
{
	uint16_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nm; i++) {
		if (r->m[i].type == RM_CONTENT)
			free(r->m[i].c.pat);
		else if (r->m[i].type == RM_PCRE)
			pcre2_code_free(r->m[i].p.code);
	}
	for (i = 0; i < r->nfb; i++)
		free(r->fb[i].ids);
	free(r->fb);
	free(r->m);
	free(r->g);
	free(r->msg);
	free(r->metadata);
	memset(r, 0, sizeof(*r));
}

int
rule_parse(struct rule *r, struct rule_ctx *ctx, const char *text,
    size_t len, struct rule_err *err)
{
	struct pstate	 ps = { 0 };
	char		*buf = NULL, *open, *close, *copy;
	int		 rc = ERR_MALFORMED;

	memset(r, 0, sizeof(*r));
	memset(err, 0, sizeof(*err));
	ps.r = r;
	ps.ctx = ctx;
	ps.err = err;
	ps.last = -1;
	ps.slot = RSLOT(RB_PKT, false);
	r->fp = -1;
	if (len > RULE_TEXT_MAX || memchr(text, '\0', len) != NULL) {
		fail(&ps, "syntax", len > RULE_TEXT_MAX ? "too long" : "NUL");
		goto out;
	}
	if ((buf = strndup(text, len)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if ((open = strchr(buf, '(')) == NULL ||
	    (close = strrchr(buf, ')')) == NULL || close < open ||
	    *skip_ws(close + 1) != '\0') {
		fail(&ps, "syntax", "no (options)");
		goto out;
	}
	*open = *close = '\0';
	if ((copy = strdup(open + 1)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	err->sid = prescan_sid(copy);
	free(copy);
	if ((rc = parse_header(&ps, buf)) != 0 ||
	    (rc = parse_options(&ps, open + 1)) != 0 ||
	    (rc = finish(&ps)) != 0)
		goto out;
	json_decref(ps.meta);
	free(buf);
	return 0;
out:
	if (rc == ERR_NOMEM)
		err->reason = "nomem";
	json_decref(ps.meta);
	free(buf);
	rule_clear(r);
	return rc;
}
