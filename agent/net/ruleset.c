/*
 * ruleset.c: loading *.rules files into a rule set (detect.h,
 * ruleset.h).
 *
 * The files are read before (netfiles.h: the capture child reads them
 * as root and parses them after dropping root), then parsed here line
 * by line from memory: a line ending in '\' goes on on the next
 * line, a line whose first non-blank character is '#' is a comment (a
 * disabled rule is a comment), a blank line is nothing. Every other line
 * is a rule: loaded, or reported through opts->skipped with its file,
 * first line, sid and reason. A second rule with the same gid and sid is
 * skipped ("duplicate_sid"; the first one stays).
 *
 * After the files: the rules are ordered (ruleset.h), those without a
 * fast pattern grouped by protocol, and the fast patterns compiled into
 * the prefilter (its compiled set cached, netcache.h).
 *
 * Load: once at start (and on reload); about 25,000 rules of a public
 * rule set take a second or two, most of it Hyperscan's compile, which
 * the cache saves.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "detect.h"
#include "err.h"
#include "log.h"
#include "ruleset.h"

#define LINE_MAX_LEN	(1U << 20)	/* a rule and its continuations */
#define KEY_TAG		"vigil traffic rules 1"

struct loader {
	struct ruleset		*rs;
	const struct ruleset_opts *opts;
	struct ruleset_stats	*st;
	size_t			 cap;
	uint64_t		*ids;		/* gid << 32 | sid, + 1 */
	size_t			 idcap, nids;
};

static void
report(struct loader *ld, const char *file, unsigned line, uint32_t sid,
    const char *reason, const char *detail)
{
	struct rule_skip	s = { file, line, sid, reason, detail };

	ld->st->skipped++;
	if (ld->opts->skipped != NULL)
		ld->opts->skipped(ld->opts->ctx, &s);
}

/* 0 if new (and now known), ERR_EXISTS, ERR_NOMEM */
static int
id_add(struct loader *ld, uint32_t gid, uint32_t sid)
{
	uint64_t	 key = ((uint64_t)gid << 32 | sid) + 1, *t;
	size_t		 i, cap;

	if ((ld->nids + 1) * 2 > ld->idcap) {
		cap = ld->idcap ? ld->idcap * 2 : 1024;
		if ((t = calloc(cap, sizeof(*t))) == NULL)
			return ERR_NOMEM;
		for (i = 0; i < ld->idcap; i++) {
			size_t j;

			if (ld->ids[i] == 0)
				continue;
			for (j = (ld->ids[i] * 0x9e3779b97f4a7c15ULL) >> 20 &
			    (cap - 1); t[j] != 0; j = (j + 1) & (cap - 1))
				;
			t[j] = ld->ids[i];
		}
		free(ld->ids);
		ld->ids = t;
		ld->idcap = cap;
	}
	for (i = (key * 0x9e3779b97f4a7c15ULL) >> 20 & (ld->idcap - 1);
	    ld->ids[i] != 0; i = (i + 1) & (ld->idcap - 1))
		if (ld->ids[i] == key)
			return ERR_EXISTS;
	ld->ids[i] = key;
	ld->nids++;
	return 0;
}

static int
add_rule(struct loader *ld, const char *file, unsigned line,
    const char *text, size_t len)
{
	struct ruleset	*rs = ld->rs;
	struct rule_err	 err;
	struct rule	 r, *t;
	int		 rc;

	if ((rc = rule_parse(&r, rs->ctx, text, len, &err)) == ERR_NOMEM)
		return rc;
	if (rc != 0) {
		report(ld, file, line, err.sid, err.reason, err.detail);
		return 0;
	}
	if ((rc = id_add(ld, r.gid, r.sid)) != 0) {
		rule_clear(&r);
		if (rc != ERR_EXISTS)
			return rc;
		report(ld, file, line, r.sid, "duplicate_sid", "gid:sid "
		    "loaded before");
		return 0;
	}
	if (rs->nrules == ld->cap) {
		size_t cap = ld->cap ? ld->cap * 2 : 256;

		if (cap > UINT32_MAX || (t = reallocarray(rs->rules, cap,
		    sizeof(*t))) == NULL) {
			rule_clear(&r);
			return ERR_NOMEM;
		}
		rs->rules = t;
		ld->cap = cap;
	}
	r.seq = rs->nrules;
	rs->rules[rs->nrules++] = r;
	ld->st->loaded++;
	return 0;
}

static bool
comment_or_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '#' || *s == '\0';
}

/* Strip the line end; true if it ends in a continuation '\'. */
static bool
chomp(char *s, size_t *len)
{
	while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
		s[--*len] = '\0';
	if (*len > 0 && s[*len - 1] == '\\') {
		s[--*len] = '\0';
		return true;
	}
	return false;
}

static int
load_file(struct loader *ld, const struct netfile *nf)
{
	FILE		*f;
	char		*line = NULL, *acc = NULL, *t;
	size_t		 cap = 0, alen = 0, len;
	ssize_t		 n;
	unsigned	 lineno = 0, first = 0;
	bool		 cont;
	int		 rc = 0;

	if ((f = netfile_stream(nf)) == NULL) {
		log_warn("%s", nf->path);
		return errno == ENOMEM ? ERR_NOMEM : ERR_IO;
	}
	ld->st->files++;
	if (nf->mtime > ld->st->newest)
		ld->st->newest = nf->mtime;
	while (rc == 0 && (n = getline(&line, &cap, f)) != -1) {
		lineno++;
		len = (size_t)n;
		cont = chomp(line, &len);
		if (alen == 0) {
			first = lineno;
			if (comment_or_blank(line))
				continue;
		}
		if (alen + len > LINE_MAX_LEN) {
			report(ld, nf->path, first, 0, "syntax",
			    "rule too long");
			alen = 0;
			continue;
		}
		if ((t = realloc(acc, alen + len + 1)) == NULL) {
			rc = ERR_NOMEM;
			break;
		}
		acc = t;
		memcpy(acc + alen, line, len + 1);
		alen += len;
		if (cont)
			continue;
		rc = add_rule(ld, nf->path, first, acc, alen);
		alen = 0;
	}
	if (rc == 0 && alen > 0)
		rc = add_rule(ld, nf->path, first, acc, alen);
	if (rc == 0 && ferror(f))	/* a memory stream: out of memory */
		rc = ERR_NOMEM;
	free(line);
	free(acc);
	fclose(f);
	return rc;
}

/* ordering and grouping */

static int
order_key(const struct rule *r)
{
	if (strcmp(r->action, "pass") == 0)
		return 0;
	return r->fb_sets ? 1 : 2;
}

static int
rule_cmp(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;
	int kx = order_key(x), ky = order_key(y);

	if (kx != ky)
		return kx - ky;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static enum nc_group
nc_group(const struct rule *r)
{
	if (r->txn)
		return r->app == APP_DNS ? NC_DNS : r->app == APP_TLS ?
		    NC_TLS : NC_HTTP;
	switch (r->proto) {
	case RP_TCP: return NC_TCP;
	case RP_UDP: return NC_UDP;
	case RP_ICMP: return NC_ICMP;
	}
	return NC_IP;
}

/* The fast pattern of r, as the prefilter gets it. */
static void
fast_pattern(const struct rule *r, uint32_t id, struct pf_pattern *p)
{
	const struct rm_content *c = &r->m[r->fp].c;

	p->p = c->pat;
	p->len = c->len;
	if (c->flags & CF_FAST_OL) {
		p->p += c->fp_off;
		p->len = c->fp_len;
	}
	p->id = id;
	p->nocase = (c->flags & CF_NOCASE) != 0;
}

/* Group g's rules that name a narrow address set on one side move from
 * the per-packet list to the address index; the list keeps the rest. */
static int
index_group(struct ruleset *rs, uint32_t g)
{
	const struct rv_set	**sets;
	uint32_t		 *ids, i, nidx = 0, nkeep = 0;
	int			  rc = ERR_NOMEM;

	if (rs->nnc[g] == 0)
		return 0;
	sets = calloc(rs->nnc[g], sizeof(*sets));
	ids = calloc(rs->nnc[g], sizeof(*ids));
	if (sets == NULL || ids == NULL)
		goto done;
	for (i = 0; i < rs->nnc[g]; i++) {
		const struct rule *r = &rs->rules[rs->nc[g][i]];

		if (addrindex_narrow(r->src))
			sets[nidx] = r->src;
		else if (addrindex_narrow(r->dst))
			sets[nidx] = r->dst;
		else {
			rs->nc[g][nkeep++] = rs->nc[g][i];
			continue;
		}
		ids[nidx++] = rs->nc[g][i];
	}
	rc = addrindex_build(&rs->ai[g], ids, sets, nidx);
	if (rc == 0)
		rs->nnc[g] = nkeep;
	else if (rc == ERR_TOOBIG) {	/* too entangled: all stay listed */
		rc = 0;
		for (i = 0; i < nidx; i++)
			rs->nc[g][nkeep++] = ids[i];
		rs->nnc[g] = nkeep;
	}
done:
	free(sets);
	free(ids);
	return rc;
}

static int
build(struct ruleset *rs, const struct netcache_fds *cache, bool *cached)
{
	struct pf_pattern	*pats[RSLOT_COUNT] = { 0 };
	size_t			 n[RSLOT_COUNT] = { 0 }, i;
	uint32_t		 g;
	int			 rc = ERR_NOMEM;

	if (rs->nrules > 1)
		qsort(rs->rules, rs->nrules, sizeof(*rs->rules), rule_cmp);
	for (i = 0; i < RSLOT_COUNT; i++)
		if ((pats[i] = calloc(rs->nrules + 1, sizeof(**pats))) == NULL)
			goto done;
	for (g = 0; g < NC__COUNT; g++)
		if ((rs->nc[g] = calloc(rs->nrules + 1,
		    sizeof(*rs->nc[g]))) == NULL)
			goto done;
	for (i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];

		if (r->fp < 0) {
			g = nc_group(r);
			rs->nc[g][rs->nnc[g]++] = (uint32_t)i;
			continue;
		}
		uint8_t s = r->m[r->fp].slot;
		fast_pattern(r, (uint32_t)i, &pats[s][n[s]++]);
	}
	for (g = 0; g < NC__COUNT; g++)
		if ((rc = index_group(rs, g)) != 0)
			goto done;
	rc = prefilter_build(&rs->pf, pats, n, cache, cached);
done:
	for (i = 0; i < RSLOT_COUNT; i++)
		free(pats[i]);
	return rc;
}

/* Each variable given is parsed now, as the kind its name says (Suricata:
 * port groups end in _PORTS), so that a typo fails the load rather than
 * silently skipping every rule that uses it. */
static int
check_vars(struct rulevars *rv, const struct ruleset_opts *opts)
{
	const struct rv_set	*set;
	const char		*name, *eq, *why = NULL;
	char			 ref[80];
	size_t			 i, nlen;
	int			 port, rc;

	for (i = 0; i < opts->nvars; i++) {
		name = opts->vars[i];
		if (*name == '$')
			name++;
		if ((eq = strchr(name, '=')) == NULL ||
		    (nlen = (size_t)(eq - name)) >= sizeof(ref) - 1)
			return ERR_MALFORMED;
		ref[0] = '$';
		memcpy(ref + 1, name, nlen);
		ref[nlen + 1] = '\0';
		port = nlen >= 5 && memcmp(name + nlen - 5, "PORTS", 5) == 0;
		rc = port ? rv_port(&set, rv, ref, nlen + 1, &why) :
		    rv_addr(&set, rv, ref, nlen + 1, &why);
		if (rc != 0) {
			log_warnx("rule variable '%s': %s", opts->vars[i],
			    why != NULL ? why : vigil_strerror(rc));
			return rc == ERR_NOMEM ? rc : ERR_MALFORMED;
		}
	}
	return 0;
}

/* The variables as ruleset_opts gives them, checked (a bad one fails
 * the load). */
static int
vars_load(struct ruleset *rs, const struct ruleset_opts *opts)
{
	size_t	i;
	int	rc;

	for (i = 0; i < opts->nvars; i++)
		if ((rc = rulevars_set(rs->vars, opts->vars[i])) != 0) {
			log_warnx("rule variable '%s': want NAME=VALUE",
			    opts->vars[i]);
			return rc;
		}
	return check_vars(rs->vars, opts);
}

int
ruleset_load_files(struct ruleset **out, const struct netfiles *fs,
    const struct ruleset_opts *opts, struct ruleset_stats *st)
{
	struct ruleset		*rs;
	struct loader		 ld = { 0 };
	struct ruleset_stats	 dummy;
	struct timespec		 t0, t1;
	size_t			 i;
	int			 rc = ERR_NOMEM;

	*out = NULL;
	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->vars = rulevars_new()) == NULL)
		goto fail;
	if ((rc = vars_load(rs, opts)) != 0)
		goto fail;
	if ((rs->ctx = rule_ctx_new(rs->vars, opts->classification)) == NULL) {
		rc = opts->classification != NULL ? ERR_IO : ERR_NOMEM;
		goto fail;
	}
	ld.rs = rs;
	ld.opts = opts;
	ld.st = st;
	for (i = 0; i < fs->n; i++)
		if ((rc = load_file(&ld, &fs->f[i])) != 0)
			goto fail;
	rs->nflowbits = rule_ctx_nflowbits(rs->ctx);
	if ((rc = build(rs, opts->cache, &st->from_cache)) != 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->load_seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	free(ld.ids);
	*out = rs;
	return 0;
fail:
	free(ld.ids);
	ruleset_free(rs);
	return rc;
}

static void
hash_bytes(crypto_generichash_state *st, const void *p, size_t len)
{
	uint64_t	n = len;

	crypto_generichash_update(st, (const uint8_t *)&n, sizeof(n));
	crypto_generichash_update(st, p, len);
}

void
ruleset_key(char key[static NETCACHE_KEY_LEN + 1], const struct netfiles *fs,
    const struct ruleset_opts *opts)
{
	crypto_generichash_state	st;
	uint8_t				h[NETCACHE_KEY_LEN / 2];
	const char			*eng = prefilter_engine();
	size_t				i;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	hash_bytes(&st, KEY_TAG, sizeof(KEY_TAG));
	hash_bytes(&st, eng, strlen(eng));
	hash_bytes(&st, &opts->nvars, sizeof(opts->nvars));
	for (i = 0; i < opts->nvars; i++)
		hash_bytes(&st, opts->vars[i], strlen(opts->vars[i]));
	for (i = 0; i < fs->n; i++) {
		hash_bytes(&st, fs->f[i].path, strlen(fs->f[i].path));
		hash_bytes(&st, fs->f[i].text, fs->f[i].len);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(key, NETCACHE_KEY_LEN + 1, h, sizeof(h));
}

/* The path-based load: the files read, the cache offered and taken in
 * this process (`vigil-agent pcap`, `rules check`, the tests). */
int
ruleset_load(struct ruleset **out, const char *const *paths, size_t npaths,
    const struct ruleset_opts *opts, struct ruleset_stats *st)
{
	struct netfiles		fs = { 0 };
	struct netcache_fds	cache;
	struct ruleset_opts	o = *opts;
	char			key[NETCACHE_KEY_LEN + 1];
	int			rc;

	*out = NULL;
	netcache_none(&cache);
	if ((rc = netfiles_read(&fs, NETFILES_RULES, paths, npaths)) != 0)
		goto done;
	if (opts->cache_dir != NULL) {
		ruleset_key(key, &fs, opts);
		(void)netcache_offer(&cache, opts->cache_dir, key, getpid());
		o.cache = &cache;
	}
	rc = ruleset_load_files(out, &fs, &o, st);
	netcache_close(&cache);
	if (opts->cache_dir != NULL)
		netcache_done(opts->cache_dir, getpid(), rc == 0);
done:
	netfiles_clear(&fs);
	return rc;
}

void
ruleset_free(struct ruleset *rs)
{
	uint32_t	i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++)
		rule_clear(&rs->rules[i]);
	for (i = 0; i < NC__COUNT; i++) {
		free(rs->nc[i]);
		addrindex_free(&rs->ai[i]);
	}
	free(rs->rules);
	prefilter_free(rs->pf);
	rule_ctx_free(rs->ctx);
	rulevars_free(rs->vars);
	free(rs);
}
