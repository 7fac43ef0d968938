/*
 * detect.c: matching packets and transactions against a rule set
 * (detect.h, ruleset.h).
 *
 * Per packet: the payload is scanned by the payload slot's prefilter;
 * the rules it reports, and the few without a fast pattern for the
 * packet's protocol, are the candidates. Per transaction: each sticky
 * buffer the transaction has (and its dotprefix form, when rules use it)
 * is scanned by its slot's prefilter, and the application's rules without
 * a fast pattern are added. Candidates are verified in rule order
 * (ruleset.h): protocol, addresses and ports (both ways for '<>'), flow,
 * dsize and urilen, flowbit conditions, then the matches (rulematch.c).
 * A rule that matches sets its flowbits, then alerts unless noalert or
 * its threshold says no. One alert per rule per packet for packet rules,
 * per transaction for transaction rules.
 *
 * Memory per struct detect: a stamp per rule (candidate de-duplication),
 * the candidate list, the Hyperscan scratch, one PCRE2 match block, a
 * threshold table of at most TH_SLOTS entries (allocated on first use;
 * when a probe run is full, the entry whose window started first is
 * replaced: a flood of sources can make a threshold forget, never grow
 * memory), and a buffer for dotprefix copies.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "detect.h"
#include "err.h"
#include "log.h"
#include "rulematch.h"
#include "ruleset.h"

#define TH_SLOTS	65536		/* power of two */
#define TH_PROBE	16
#define PCRE_MATCH_LIMIT	3500	/* Suricata's defaults */
#define PCRE_DEPTH_LIMIT	1500
#define DOT_MAX		(64U << 10)	/* longest dotprefix copy */

struct th_entry {
	uint32_t	 rule;		/* index + 1; 0: free */
	uint32_t	 count;
	rv_key		 a, b;
	int64_t		 first_us;
};

struct detect {
	const struct ruleset	*rs;
	detect_alert_fn		*fn;
	void			*ctx;
	struct pf_scratch	*sc;
	uint32_t		*stamp, gen;
	uint32_t		*cand, ncand;
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	struct th_entry		*th;
	uint8_t			*dot[NB__COUNT];
	size_t			 dotcap[NB__COUNT];
	bool			 dot_used[NB__COUNT];	/* by some rule */
	bool			 scan_failed;
};

static void
on_candidate(void *arg, uint32_t id)
{
	struct detect	*d = arg;

	if (d->stamp[id] == d->gen)
		return;
	d->stamp[id] = d->gen;
	d->cand[d->ncand++] = id;
}


static void
begin(struct detect *d)
{
	d->ncand = 0;
	if (++d->gen == 0) {
		memset(d->stamp, 0, d->rs->nrules * sizeof(*d->stamp));
		d->gen = 1;
	}
}

static void
scan(struct detect *d, uint8_t slot, const uint8_t *p, size_t len)
{
	if (prefilter_scan(d->rs->pf, d->sc, slot, p, len, on_candidate,
	    d) != 0 && !d->scan_failed) {
		log_warnx("rules: hyperscan scan failed");
		d->scan_failed = true;
	}
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* header */

static bool
proto_ok(const struct rule *r, const struct pkt *p)
{
	switch (r->proto) {
	case RP_IP: return p->ipver != 0;
	case RP_TCP: return p->proto == IPPROTO_TCP;
	case RP_UDP: return p->proto == IPPROTO_UDP;
	case RP_ICMP:
		return p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6;
	case RP_DNS:
		return p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP;
	default:
		return p->proto == IPPROTO_TCP;
	}
}

static bool
ports_ok(const struct rv_set *sp, const struct rv_set *dp,
    const struct pkt *p, uint16_t s, uint16_t dst)
{
	bool has = p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP;

	if (!has)
		return sp->any && dp->any;
	return rv_has(sp, s) && rv_has(dp, dst);
}

static bool
header_ok(const struct rule *r, const struct pkt *p)
{
	rv_key	s = rv_addr_key(&p->src), dst = rv_addr_key(&p->dst);

	if (rv_has(r->src, s) && rv_has(r->dst, dst) &&
	    ports_ok(r->sp, r->dp, p, p->sport, p->dport))
		return true;
	return r->bidir && rv_has(r->src, dst) && rv_has(r->dst, s) &&
	    ports_ok(r->sp, r->dp, p, p->dport, p->sport);
}

static bool
flow_ok(const struct rule *r, const struct pkt *p, uint8_t dir)
{
	if (r->flow == 0)
		return true;
	if (p->flow_id == 0)
		return false;
	if ((r->flow & FLOW_F_EST) && p->flow_state != FLOW_ESTABLISHED)
		return false;
	if ((r->flow & FLOW_F_NOTEST) && p->flow_state == FLOW_ESTABLISHED)
		return false;
	if ((r->flow & FLOW_F_TOSERVER) && dir != DIR_TO_SERVER)
		return false;
	if ((r->flow & FLOW_F_TOCLIENT) && dir != DIR_TO_CLIENT)
		return false;
	return true;
}

/* flowbits */

static bool
bit_get(const struct flowvars *fv, uint32_t id)
{
	return id / 64 < fv->nwords && (fv->bits[id / 64] >> (id % 64) & 1);
}

static bool
bits_ensure(struct flowvars *fv, uint32_t nbits)
{
	uint32_t	 n = (nbits + 63) / 64;
	uint64_t	*t;

	if (fv->nwords >= n)
		return true;
	if ((t = reallocarray(fv->bits, n, sizeof(*t))) == NULL)
		return false;
	memset(t + fv->nwords, 0, (n - fv->nwords) * sizeof(*t));
	fv->bits = t;
	fv->nwords = n;
	return true;
}

static bool
flowbits_ok(const struct rule *r, const struct pkt *p)
{
	const struct rflowbits	*fb;
	uint16_t		 i, j;
	bool			 want, hit;

	for (i = 0; i < r->nfb; i++) {
		fb = &r->fb[i];
		if (fb->op != FB_ISSET && fb->op != FB_ISNOTSET)
			continue;
		if (p->fv == NULL)
			return false;
		want = fb->op == FB_ISSET;
		/* '|': one name suffices; '&' (or one name): all */
		hit = !fb->any;
		for (j = 0; j < fb->n; j++) {
			bool ok = bit_get(p->fv, fb->ids[j]) == want;
			if (fb->any && ok) {
				hit = true;
				break;
			}
			if (!fb->any && !ok) {
				hit = false;
				break;
			}
		}
		if (!hit)
			return false;
	}
	return true;
}

static void
flowbits_apply(const struct detect *d, const struct rule *r,
    const struct pkt *p)
{
	const struct rflowbits	*fb;
	uint16_t		 i, j;

	if (!r->fb_sets || p->fv == NULL ||
	    !bits_ensure(p->fv, d->rs->nflowbits))
		return;
	for (i = 0; i < r->nfb; i++) {
		fb = &r->fb[i];
		for (j = 0; j < fb->n; j++) {
			uint32_t id = fb->ids[j];
			uint64_t bit = (uint64_t)1 << (id % 64);

			if (fb->op == FB_SET)
				p->fv->bits[id / 64] |= bit;
			else if (fb->op == FB_UNSET)
				p->fv->bits[id / 64] &= ~bit;
			else if (fb->op == FB_TOGGLE)
				p->fv->bits[id / 64] ^= bit;
		}
	}
}

/* thresholds */

static uint64_t
th_hash(uint32_t rule, rv_key a, rv_key b)
{
	uint64_t h = rule * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)a * 0xff51afd7ed558ccdULL ^ (uint64_t)(a >> 64);
	h ^= (uint64_t)b * 0xc4ceb9fe1a85ec53ULL ^ (uint64_t)(b >> 64);
	return h ^ h >> 29;
}

/* The entry for (rule, a, b): found, or a fresh one (count 0). */
static struct th_entry *
th_lookup(struct detect *d, uint32_t rule, rv_key a, rv_key b)
{
	struct th_entry	*e, *victim = NULL;
	uint64_t	 h = th_hash(rule, a, b);
	unsigned	 i;

	for (i = 0; i < TH_PROBE; i++) {
		e = &d->th[(h + i) & (TH_SLOTS - 1)];
		if (e->rule == rule + 1 && e->a == a && e->b == b)
			return e;
		if (e->rule == 0) {
			victim = e;
			break;
		}
		if (victim == NULL || e->first_us < victim->first_us)
			victim = e;
	}
	*victim = (struct th_entry){ rule + 1, 0, a, b, 0 };
	return victim;
}

static bool
threshold_ok(struct detect *d, uint32_t idx, const struct rule *r,
    const struct pkt *p)
{
	const struct rthresh	*t = &r->th;
	struct th_entry		*e;
	rv_key			 a = 0, b = 0;
	bool			 fresh;

	if (t->type == TH_NONE)
		return true;
	if (d->th == NULL && (d->th = calloc(TH_SLOTS, sizeof(*d->th))) ==
	    NULL)
		return true;	/* rather an alert too many than none */
	if (t->track == TR_SRC || t->track == TR_BOTH)
		a = rv_addr_key(&p->src);
	if (t->track == TR_DST || t->track == TR_BOTH)
		b = rv_addr_key(&p->dst);
	e = th_lookup(d, idx, a, b);
	fresh = e->count == 0 ||
	    p->ts_us - e->first_us > (int64_t)t->seconds * 1000000;
	if (fresh) {
		e->first_us = p->ts_us;
		e->count = 1;
		return t->type == TH_LIMIT || (t->type != TH_DETECTION &&
		    t->count == 1);
	}
	if (e->count < UINT32_MAX)
		e->count++;
	switch (t->type) {
	case TH_LIMIT:
		return e->count <= t->count;
	case TH_THRESHOLD:
		if (e->count < t->count)
			return false;
		e->count = 0;		/* every count-th match alerts */
		e->first_us = p->ts_us;
		return true;
	case TH_BOTH:
		return e->count == t->count;
	default:
		return e->count > t->count;
	}
}

/* The rules of group g whose addresses and ports fit: most rules without
 * a fast pattern are address lists (reputation), so the header is the
 * filter here, before the candidate list and its sort. */
static void
add_group(struct detect *d, enum nc_group g, const struct pkt *p)
{
	const struct ruleset	*rs = d->rs;
	const uint32_t		*ids;
	uint32_t		 i, n, side;
	rv_key			 k[2] = { rv_addr_key(&p->src),
	    rv_addr_key(&p->dst) };

	for (i = 0; i < rs->nnc[g]; i++)
		if (header_ok(&rs->rules[rs->nc[g][i]], p))
			on_candidate(d, rs->nc[g][i]);
	/* an indexed rule names one of the packet's two addresses, on the
	 * side it was indexed by, or it cannot match */
	for (side = 0; side < 2; side++) {
		ids = addrindex_find(&rs->ai[g], k[side], &n);
		for (i = 0; i < n; i++)
			if (d->stamp[ids[i]] != d->gen &&
			    header_ok(&rs->rules[ids[i]], p))
				on_candidate(d, ids[i]);
	}
}

/* verification */

static void
alert(struct detect *d, const struct rule *r, const struct pkt *p,
    const struct txn *t)
{
	struct net_alert a = {
		.action = r->action, .gid = r->gid, .sid = r->sid,
		.rev = r->rev, .msg = r->msg ? r->msg : "",
		.classtype = r->classtype, .priority = r->prio,
		.metadata = r->metadata, .evidence = NULL, .txn = t,
	};

	d->fn(d->ctx, p, &a);
}

/* Check the candidates in rule order; false once a pass rule matched. */
static void
verify(struct detect *d, const struct pkt *p, const struct txn *t,
    struct rm_env *env)
{
	const struct rule	*r;
	uint32_t		 i, idx;
	uint8_t			 dir = t != NULL ? t->dir : p->dir;

	if (d->ncand > 1)
		qsort(d->cand, d->ncand, sizeof(*d->cand), u32_cmp);
	env->md = d->md;
	env->mctx = d->mctx;
	for (i = 0; i < d->ncand; i++) {
		idx = d->cand[i];
		r = &d->rs->rules[idx];
		if (r->txn != (t != NULL) || !proto_ok(r, p) ||
		    (r->app != APP_NONE && r->app != (t ? t->app : p->app)) ||
		    !header_ok(r, p) || !flow_ok(r, p, dir))
			continue;
		if (r->has_dsize && !rulematch_uint(&r->dsize, p->payload_len))
			continue;
		if (r->has_urilen && (t == NULL || !rulematch_uint(&r->urilen,
		    t->len[r->urilen_raw ? NB_HTTP_URI_RAW : NB_HTTP_URI])))
			continue;
		if (!flowbits_ok(r, p) || !rulematch(r, env))
			continue;
		flowbits_apply(d, r, p);
		if (strcmp(r->action, "pass") == 0)
			return;
		if (!r->noalert && threshold_ok(d, idx, r, p))
			alert(d, r, p, t);
	}
}

static void
env_payload(struct rm_env *env, const struct pkt *p)
{
	uint8_t	s = RSLOT(RB_PKT, false);

	env->buf[s] = p->payload != NULL ? p->payload : (const uint8_t *)"";
	env->len[s] = p->payload != NULL ? p->payload_len : 0;
}

void
detect_packet(struct detect *d, const struct pkt *p)
{
	struct rm_env	env;

	if (p->ipver == 0)
		return;
	memset(&env, 0, sizeof(env));
	env_payload(&env, p);
	begin(d);
	scan(d, RSLOT(RB_PKT, false), env.buf[RSLOT(RB_PKT, false)],
	    env.len[RSLOT(RB_PKT, false)]);
	add_group(d, NC_IP, p);
	if (p->proto == IPPROTO_TCP)
		add_group(d, NC_TCP, p);
	else if (p->proto == IPPROTO_UDP)
		add_group(d, NC_UDP, p);
	else if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6)
		add_group(d, NC_ICMP, p);
	verify(d, p, NULL, &env);
}

/*
 * The sticky buffers (dns.query, tls.sni, http.*) are a request's: as in
 * Suricata, they are inspected in requests only. A DNS response repeats
 * its query's name; matching it there too alerts twice for one lookup.
 */
static bool
txn_request(const struct txn *t)
{
	return t->app != APP_DNS || !t->dns.response;
}

/* "." and the buffer, in d's copy for buffer b. */
static const uint8_t *
dotted(struct detect *d, int b, const uint8_t *p, size_t len)
{
	uint8_t	*t;

	if (len >= DOT_MAX)
		return NULL;
	if (d->dotcap[b] < len + 1) {
		if ((t = realloc(d->dot[b], len + 1)) == NULL)
			return NULL;
		d->dot[b] = t;
		d->dotcap[b] = len + 1;
	}
	d->dot[b][0] = '.';
	if (len > 0)
		memcpy(d->dot[b] + 1, p, len);
	return d->dot[b];
}

void
detect_txn(struct detect *d, const struct pkt *p, const struct txn *t)
{
	struct rm_env	env;
	uint8_t		s, sd;
	int		b;

	memset(&env, 0, sizeof(env));
	env_payload(&env, p);
	begin(d);
	for (b = 0; b < NB__COUNT && txn_request(t); b++) {
		if (t->buf[b] == NULL)
			continue;
		s = RSLOT(b, false);
		sd = RSLOT(b, true);
		env.buf[s] = t->buf[b];
		env.len[s] = t->len[b];
		scan(d, s, t->buf[b], t->len[b]);
		if (!d->dot_used[b])
			continue;
		env.buf[sd] = dotted(d, b, t->buf[b], t->len[b]);
		env.len[sd] = t->len[b] + 1;
		if (env.buf[sd] != NULL)
			scan(d, sd, env.buf[sd], env.len[sd]);
	}
	add_group(d, t->app == APP_DNS ? NC_DNS : t->app == APP_TLS ? NC_TLS :
	    NC_HTTP, p);
	verify(d, p, t, &env);
}

struct detect *
detect_new(const struct ruleset *rs, detect_alert_fn *fn, void *ctx)
{
	struct detect	*d;
	uint32_t	 i;
	uint8_t		 g;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->rs = rs;
	d->fn = fn;
	d->ctx = ctx;
	if ((d->stamp = calloc(rs->nrules + 1, sizeof(*d->stamp))) == NULL ||
	    (d->cand = calloc(rs->nrules + 1, sizeof(*d->cand))) == NULL ||
	    (d->sc = prefilter_scratch(rs->pf)) == NULL ||
	    (d->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (d->mctx = pcre2_match_context_create(NULL)) == NULL)
		goto fail;
	for (i = 0; i < rs->nrules; i++)
		for (g = 0; g < rs->rules[i].ng; g++)
			if (RSLOT_DOT(rs->rules[i].g[g].slot))
				d->dot_used[RSLOT_BUF(rs->rules[i].g[g].slot)] =
				    true;
	pcre2_set_match_limit(d->mctx, PCRE_MATCH_LIMIT);
	pcre2_set_depth_limit(d->mctx, PCRE_DEPTH_LIMIT);
	return d;
fail:
	detect_free(d);
	return NULL;
}

void
detect_free(struct detect *d)
{
	int	b;

	if (d == NULL)
		return;
	for (b = 0; b < NB__COUNT; b++)
		free(d->dot[b]);
	pcre2_match_context_free(d->mctx);
	pcre2_match_data_free(d->md);
	prefilter_scratch_free(d->sc);
	free(d->th);
	free(d->cand);
	free(d->stamp);
	free(d);
}
