/*
 * netsensor.c: netpipe's packets and transactions to the rules, the
 * indicator lists and the detectors; their alerts to EVE (netsensor.h).
 *
 * Per packet: netpipe decodes it and calls back here once for the packet
 * and once for each transaction it completed; each consumer looks at what
 * it knows (detect: a Hyperscan scan per buffer then its candidates;
 * iocmatch: hash look-ups of the addresses and names; the detectors: a
 * tracker update). Nothing here allocates per packet; an alert costs one
 * small JSON object.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "eve.h"
#include "iocmatch.h"
#include "log.h"
#include "netsensor.h"
#include "text.h"

struct netsensor_rules {
	struct ruleset	*rs;		/* NULL: no traffic rules */
	struct iocdb	*ioc;		/* NULL: no lists */
};

struct netsensor {
	struct netpipe		*pipe;
	struct detect		*detect;
	struct iocmatch		*iocm;
	struct det		*det;
	netsensor_alert_fn	*fn;
	void			(*packet)(void *, const struct pkt *);
	void			*ctx;
	uint64_t		 alerts, by_rules, by_ioc, by_det;
};

static void
rule_skipped(void *ctx, const struct rule_skip *s)
{
	log_warnx("%s:%u: sid %u: skipped: %s: %s", s->file, s->line, s->sid,
	    s->reason, s->detail != NULL ? s->detail : "");
}

int
netsensor_read(struct netsensor_input *in, const struct netsensor_load_opts *o)
{
	struct ruleset_opts	ro = { 0 };
	int			rc;

	memset(in, 0, sizeof(*in));
	in->has_rules = o->nrules > 0;
	in->has_lists = o->niocs > 0;
	in->vars = o->vars;
	in->nvars = o->nvars;
	if ((rc = netfiles_read(&in->rules, NETFILES_RULES, o->rules,
	    o->nrules)) != 0 || (rc = netfiles_read(&in->lists,
	    NETFILES_LISTS, o->iocs, o->niocs)) != 0)
		return rc;
	ro.vars = o->vars;
	ro.nvars = o->nvars;
	ruleset_key(in->key, &in->rules, &ro);
	return 0;
}

void
netsensor_input_clear(struct netsensor_input *in)
{
	netfiles_clear(&in->rules);
	netfiles_clear(&in->lists);
}

int
netsensor_parse(struct netsensor_rules **out,
    const struct netsensor_input *in, const struct netcache_fds *cache,
    struct netsensor_load_stats *st)
{
	struct netsensor_rules	*r;
	struct ruleset_opts	 ro = { 0 };
	int			 rc = 0;

	*out = NULL;
	memset(st, 0, sizeof(*st));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ERR_NOMEM;
	if (in->has_rules) {
		ro.vars = in->vars;
		ro.nvars = in->nvars;
		ro.cache = cache;
		ro.skipped = rule_skipped;
		if ((rc = ruleset_load_files(&r->rs, &in->rules, &ro,
		    &st->rules)) != 0)
			goto fail;
	}
	if (in->has_lists && (rc = iocdb_load_files(&r->ioc, &in->lists,
	    ioc_log_bad, NULL, &st->iocs)) != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	netsensor_rules_free(r);
	return rc;
}

int
netsensor_load(struct netsensor_rules **out,
    const struct netsensor_load_opts *o, struct netsensor_load_stats *st)
{
	struct netsensor_input	in;
	struct netcache_fds	cache;
	int			rc;

	*out = NULL;
	memset(st, 0, sizeof(*st));
	netcache_none(&cache);
	if ((rc = netsensor_read(&in, o)) != 0)
		goto done;
	if (o->cache_dir != NULL)
		(void)netcache_offer(&cache, o->cache_dir, in.key, getpid());
	rc = netsensor_parse(out, &in, &cache, st);
	netcache_close(&cache);
	if (o->cache_dir != NULL)
		netcache_done(o->cache_dir, getpid(), rc == 0);
done:
	netsensor_input_clear(&in);
	return rc;
}

void
netsensor_rules_free(struct netsensor_rules *r)
{
	if (r == NULL)
		return;
	ruleset_free(r->rs);
	iocdb_free(r->ioc);
	free(r);
}

void
netsensor_conf_defaults(struct netsensor_conf *c)
{
	memset(c, 0, sizeof(*c));
	netpipe_conf_defaults(&c->pipe);
	det_conf_defaults(&c->det);
	c->ioc_repeat_s = 60;
}

/* Every consumer's alerts come here. */
static void
on_alert(void *ctx, const struct pkt *p, const struct net_alert *a)
{
	struct netsensor	*ns = ctx;
	json_t			*ev;

	ns->alerts++;
	if (a->gid == IOC_GID)
		ns->by_ioc++;
	else if (a->gid == DET_GID)
		ns->by_det++;
	else
		ns->by_rules++;
	if ((ev = eve_alert(p, a)) == NULL) {
		log_warnx("network alert %u:%u lost: out of memory", a->gid,
		    a->sid);
		return;
	}
	ns->fn(ns->ctx, ev, p, a);
	json_decref(ev);
}

static void
on_packet(void *ctx, const struct pkt *p)
{
	struct netsensor	*ns = ctx;

	if (ns->detect != NULL)
		detect_packet(ns->detect, p);
	if (ns->iocm != NULL)
		iocmatch_packet(ns->iocm, p);
	det_packet(ns->det, p);
	if (ns->packet != NULL)
		ns->packet(ns->ctx, p);
}

static void
on_txn(void *ctx, const struct pkt *p, const struct txn *t)
{
	struct netsensor	*ns = ctx;

	if (ns->detect != NULL)
		detect_txn(ns->detect, p, t);
	if (ns->iocm != NULL)
		iocmatch_txn(ns->iocm, p, t);
	det_txn(ns->det, p, t);
}

int
netsensor_new(struct netsensor **out, const struct netsensor_conf *c,
    const struct netsensor_rules *r, netsensor_alert_fn *fn, void *ctx)
{
	struct netsensor	*ns;
	struct netpipe_cb	 cb = { 0 };
	int			 rc = ERR_NOMEM;

	*out = NULL;
	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return ERR_NOMEM;
	ns->fn = fn;
	ns->packet = c->packet;
	ns->ctx = ctx;
	cb.ctx = ns;
	cb.packet = on_packet;
	cb.txn = on_txn;
	if ((ns->pipe = netpipe_new(&c->pipe, &cb)) == NULL)
		goto fail;
	if (r != NULL && r->rs != NULL &&
	    (ns->detect = detect_new(r->rs, on_alert, ns)) == NULL)
		goto fail;
	if (r != NULL && r->ioc != NULL && (rc = iocmatch_new(&ns->iocm,
	    r->ioc, c->ioc_repeat_s, on_alert, ns)) != 0)
		goto fail;
	if ((rc = det_new(&ns->det, &c->det, on_alert, ns)) != 0)
		goto fail;
	if (c->gateway_set)
		det_gateway(ns->det, c->gateway_ip, c->gateway_mac_set ?
		    c->gateway_mac : NULL);
	*out = ns;
	return 0;
fail:
	netsensor_free(ns);
	return rc;
}

void
netsensor_free(struct netsensor *ns)
{
	if (ns == NULL)
		return;
	netpipe_free(ns->pipe);
	detect_free(ns->detect);
	iocmatch_free(ns->iocm);
	det_free(ns->det);
	free(ns);
}

void
netsensor_feed(struct netsensor *ns, int linktype, int64_t ts_us,
    const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
	netpipe_feed(ns->pipe, linktype, ts_us, frame, caplen, wirelen);
}

void
netsensor_tick(struct netsensor *ns, int64_t now_us)
{
	netpipe_tick(ns->pipe, now_us);
	det_tick(ns->det, now_us);
}

void
netsensor_stats(const struct netsensor *ns, struct netsensor_stats *st)
{
	memset(st, 0, sizeof(*st));
	netpipe_stats(ns->pipe, &st->pipe);
	st->alerts = ns->alerts;
	st->alerts_rules = ns->by_rules;
	st->alerts_ioc = ns->by_ioc;
	st->alerts_detectors = ns->by_det;
}
