/*
 * iocmatch.c: the indicator lists against packets and transactions
 * (iocmatch.h).
 *
 * Load: two address lookups per IP packet (a bit test for most
 * addresses, see ioc.c), a domain or URL lookup per DNS, TLS or HTTP
 * transaction, an address lookup per DNS answer; a keyed hash and one
 * cache slot per match.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "err.h"
#include "iocmatch.h"
#include "scanner.h"

#define REPEAT_SLOTS	4096
#define US		1000000LL
#define RR_A		1
#define RR_CNAME	5
#define RR_AAAA		28

struct repeat {
	uint64_t	 key;
	int64_t		 until;
};

struct iocmatch {
	const struct iocdb	*db;
	int64_t			 repeat_us;
	detect_alert_fn		*fn;
	void			*ctx;
	uint8_t			 sipkey[crypto_shorthash_KEYBYTES];
	struct repeat		 seen[REPEAT_SLOTS];
	struct iocmatch_stats	 st;
};

int
iocmatch_new(struct iocmatch **out, const struct iocdb *db,
    uint32_t repeat_s, detect_alert_fn *fn, void *ctx)
{
	struct iocmatch	*m;

	*out = NULL;
	if (repeat_s == 0 || fn == NULL || db == NULL)
		return ERR_CONFIG;
	if (sodium_init() < 0 || (m = calloc(1, sizeof(*m))) == NULL)
		return ERR_NOMEM;
	m->db = db;
	m->repeat_us = (int64_t)repeat_s * US;
	m->fn = fn;
	m->ctx = ctx;
	randombytes_buf(m->sipkey, sizeof(m->sipkey));
	*out = m;
	return 0;
}

void
iocmatch_free(struct iocmatch *m)
{
	free(m);
}

void
iocmatch_stats(const struct iocmatch *m, struct iocmatch_stats *st)
{
	*st = m->st;
}

/* true if (indicator, where, src, dst) alerted within the repeat time;
 * else it is remembered from now. */
static bool
repeated(struct iocmatch *m, const struct pkt *p, const struct ioc_hit *h,
    const char *where)
{
	struct {
		const char	*indicator, *where;
		struct naddr	 src, dst;
	}		 k;
	struct repeat	*r;
	uint64_t	 key;

	memset(&k, 0, sizeof(k));
	k.indicator = h->indicator;	/* its address names it */
	k.where = where;
	k.src = p->src;
	k.dst = p->dst;
	crypto_shorthash((uint8_t *)&key, (const uint8_t *)&k, sizeof(k),
	    m->sipkey);
	r = &m->seen[key % REPEAT_SLOTS];
	if (r->key == key && p->ts_us < r->until)
		return true;
	r->key = key;
	r->until = p->ts_us + m->repeat_us;
	return false;
}

static void
ioc_alert(struct iocmatch *m, const struct pkt *p, const struct txn *tx,
    const struct ioc_hit *h, const char *where, const char *value,
    size_t vlen)
{
	struct net_alert	 a;
	json_t			*ev;
	char			 msg[160], *text = NULL;

	if (repeated(m, p, h, where)) {
		m->st.repeats++;
		return;
	}
	if ((ev = ioc_evidence(h, where, value, vlen)) != NULL)
		text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	ioc_signature(msg, sizeof(msg), h, where);
	memset(&a, 0, sizeof(a));
	a.action = "alert";
	a.gid = IOC_GID;
	a.sid = scanner_signature_id(h->list, where);
	a.rev = 1;
	a.msg = msg;
	a.classtype = "Potentially Bad Traffic";	/* bad-unknown */
	a.priority = IOC_PRIORITY;
	a.evidence = text;
	a.txn = tx;
	m->st.alerts++;
	m->fn(m->ctx, p, &a);
	free(text);
}

static void
match_addr(struct iocmatch *m, const struct pkt *p, const struct txn *tx,
    const struct naddr *addr, const char *where)
{
	struct ioc_hit	h;
	char		buf[INET6_ADDRSTRLEN];

	if (!ioc_match_addr(m->db, addr, &h))
		return;
	if (inet_ntop(addr->family == 6 ? AF_INET6 : AF_INET, addr->a, buf,
	    sizeof(buf)) == NULL)
		buf[0] = '\0';
	ioc_alert(m, p, tx, &h, where, buf, strlen(buf));
}

static void
match_domain(struct iocmatch *m, const struct pkt *p, const struct txn *tx,
    const char *name, size_t len, const char *where)
{
	struct ioc_hit	h;

	if (name != NULL && len > 0 && ioc_match_domain(m->db, name, len, &h))
		ioc_alert(m, p, tx, &h, where, name, len);
}

void
iocmatch_packet(struct iocmatch *m, const struct pkt *p)
{
	if (p->ipver != 4 && p->ipver != 6)
		return;
	match_addr(m, p, NULL, &p->src, "src_ip");
	match_addr(m, p, NULL, &p->dst, "dest_ip");
}

/* A response's answers: A/AAAA addresses, CNAME targets. */
static void
dns_answers(struct iocmatch *m, const struct pkt *p, const struct txn *tx)
{
	const struct dns_answer	*an;
	struct naddr		 a;
	size_t			 i;

	for (i = 0; i < tx->dns.nanswers && i < TXN_DNS_MAX_ANSWERS; i++) {
		an = &tx->dns.answers[i];
		if (an->rdata == NULL)
			continue;
		memset(&a, 0, sizeof(a));
		if (an->rrtype == RR_A && inet_pton(AF_INET, an->rdata,
		    a.a) == 1)
			a.family = 4;
		else if (an->rrtype == RR_AAAA && inet_pton(AF_INET6,
		    an->rdata, a.a) == 1)
			a.family = 6;
		if (a.family != 0)
			match_addr(m, p, tx, &a, "dns.answer");
		else if (an->rrtype == RR_CNAME)
			match_domain(m, p, tx, an->rdata, strlen(an->rdata),
			    "dns.answer");
	}
}

void
iocmatch_txn(struct iocmatch *m, const struct pkt *p, const struct txn *tx)
{
	struct ioc_hit	 h;
	const char	*host = (const char *)tx->buf[NB_HTTP_HOST];
	size_t		 hlen = tx->len[NB_HTTP_HOST];

	switch (tx->app) {
	case APP_DNS:
		/* the name once per look-up: in the query, not again in
		 * its response (whose answers are looked at instead) */
		if (!tx->dns.response)
			match_domain(m, p, tx, (const char *)
			    tx->buf[NB_DNS_QUERY], tx->len[NB_DNS_QUERY],
			    "dns.query");
		else
			dns_answers(m, p, tx);
		break;
	case APP_TLS:
		if (tx->tls.sni != NULL)
			match_domain(m, p, tx, tx->tls.sni,
			    strlen(tx->tls.sni), "tls.sni");
		break;
	case APP_HTTP:
		match_domain(m, p, tx, host, hlen, "http.host");
		if (host != NULL && hlen > 0 && ioc_match_url(m->db, host,
		    hlen, (const char *)tx->buf[NB_HTTP_URI_RAW],
		    tx->len[NB_HTTP_URI_RAW], &h))
			ioc_alert(m, p, tx, &h, "http.url", (const char *)
			    tx->buf[NB_HTTP_URI_RAW], tx->len[NB_HTTP_URI_RAW]);
		break;
	default:
		break;
	}
}
