/*
 * netpipe.c: from captured frames to packets, flows and transactions
 * (netpipe.h): decode, fragments, the flow table, TCP reassembly, and the
 * application layer found by content.
 *
 * Per frame: decode (decode.c); a fragment goes to frag.c and, when its
 * datagram is whole, the transport layer is decoded from it. TCP and UDP
 * packets find their flow (flow.c); a TCP segment joins its direction's
 * stream (stream.c), and an acknowledgement shows gaps in the other. The
 * flow's protocol is probed from what it carried so far, the packet goes
 * to the packet callback, then its direction is parsed for transactions:
 *
 *   DNS	UDP: each payload; TCP: each length-framed message
 *   TLS	the ClientHello, from the client's stream, once
 *   HTTP	requests from the client's stream, one after the other
 *		(pipelining), each with its body up to http_body_depth
 *   SMB, SSH	recognised only
 *
 * A parser that says the data is not its protocol ends parsing that way;
 * one that wants more (ERR_AGAIN) is called again when the stream grows,
 * and a last time when the flow ends (flush_request).
 * Each transaction gets the scratch arena reset and the flow's next id.
 *
 * Invariants: a flow's streams and parse offsets belong to it and go in
 * the flow table's release callback; the scratch is only used during a
 * transaction callback's preparation and the callback itself.
 * Load: every captured frame, up to a million a second on one core: no
 * allocation on the way except a stream buffer's growth (doubling) and
 * out-of-order rings and fragments, which are rare.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "dns.h"
#include "err.h"
#include "flow.h"
#include "frag.h"
#include "http.h"
#include "netpipe.h"
#include "stream.h"
#include "tls.h"

#define PROBE_TS_MAX	64	/* client bytes without a match: failed */
#define PROBE_TC_MAX	512	/* server bytes likewise */
#define PROBE_UDP_MAX	4	/* UDP payloads likewise */
#define TICK_US		1000000	/* expire at least this often, by itself */
#define DEPTH_MAX	(1u << 30)

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10

struct netpipe {
	struct netpipe_conf	 c;
	struct netpipe_cb	 cb;
	struct flow_table	*flows;
	struct frag		*frag;
	struct stream_mem	 mem;
	struct stream_lim	 lim;
	struct scratch		 scr;		/* what TLS or HTTP may need */
	struct txn		 t;
	struct netpipe_stats	 st;
	int64_t			 last_tick;
	bool			 closing;	/* netpipe_free: no callbacks */
};

static void	flush_request(struct netpipe *, struct flow *);

void
netpipe_conf_defaults(struct netpipe_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->flow_max = 65536;
	c->flow_timeout_s = 120;
	c->stream_depth = 1024 * 1024;
	c->stream_ooo_max = 64 * 1024;
	c->http_body_depth = 4096;
	c->frag_max = 1024;
	c->frag_timeout_s = 30;
	c->stream_memcap = 32ull * 1024 * 1024;
}

static void
release(void *ctx, struct flow *f)
{
	struct netpipe	*np = ctx;

	if (!np->closing)
		flush_request(np, f);
	stream_free(f->st[0], &np->mem);
	stream_free(f->st[1], &np->mem);
	f->st[0] = f->st[1] = NULL;
}

struct netpipe *
netpipe_new(const struct netpipe_conf *c, const struct netpipe_cb *cb)
{
	struct netpipe	*np;

	if (c->flow_max == 0 || c->frag_max == 0 || c->stream_depth == 0 ||
	    c->stream_depth > DEPTH_MAX || c->stream_ooo_max > DEPTH_MAX ||
	    c->http_body_depth > DEPTH_MAX)
		return NULL;
	if ((np = calloc(1, sizeof(*np))) == NULL)
		return NULL;
	np->c = *c;
	np->cb = *cb;
	np->mem.cap = c->stream_memcap > SIZE_MAX ? SIZE_MAX :
	    (size_t)c->stream_memcap;
	np->lim = (struct stream_lim){ c->stream_depth, c->stream_ooo_max,
	    &np->mem };
	np->scr.cap = HTTP_SCRATCH_NEED(c->http_body_depth);
	if (np->scr.cap < TLS_SCRATCH_NEED)
		np->scr.cap = TLS_SCRATCH_NEED;
	if ((np->scr.buf = malloc(np->scr.cap)) == NULL ||
	    flow_table_new(&np->flows, c->flow_max, c->flow_timeout_s,
	    release, np) != 0 ||
	    frag_new(&np->frag, c->frag_max, c->frag_timeout_s) != 0) {
		netpipe_free(np);
		return NULL;
	}
	return np;
}

void
netpipe_free(struct netpipe *np)
{
	if (np == NULL)
		return;
	np->closing = true;
	flow_table_free(np->flows);	/* releases the streams */
	frag_free(np->frag);
	free(np->scr.buf);
	free(np);
}

static void
anomaly(struct netpipe *np, const struct pkt *p, const char *what)
{
	if (np->cb.anomaly != NULL)
		np->cb.anomaly(np->cb.ctx, p, what);
}

static void
deliver(struct netpipe *np, const struct pkt *p)
{
	if (np->cb.packet != NULL)
		np->cb.packet(np->cb.ctx, p);
}

/* ---- the application layer ---- */

static struct txn *
txn_begin(struct netpipe *np)
{
	memset(&np->t, 0, sizeof(np->t));
	scratch_reset(&np->scr);
	return &np->t;
}

static void
txn_emit(struct netpipe *np, struct flow *f, const struct pkt *p)
{
	struct txn	*t = &np->t;

	t->tx_id = f->tx_id++;
	t->dir = p->dir;
	if (t->app == APP_NONE)
		t->app = f->app;
	if (t->app < APP__COUNT)
		np->st.txns[t->app]++;
	if (np->cb.txn != NULL)
		np->cb.txn(np->cb.ctx, p, t);
}

static bool
smb_probe(const uint8_t *p, size_t len)
{
	/* a NetBIOS session message, then SMB1, SMB2 or an SMB3 transform */
	return len >= 8 && p[0] == 0 && (p[4] == 0xff || p[4] == 0xfe ||
	    p[4] == 0xfd) && memcmp(p + 5, "SMB", 3) == 0;
}

static bool
ssh_probe(const uint8_t *p, size_t len)
{
	return len >= 4 && memcmp(p, "SSH-", 4) == 0;
}

static const uint8_t *
dir_data(const struct flow *f, int dir, size_t *len)
{
	*len = 0;
	return f->st[dir] != NULL ? stream_data(f->st[dir], len) : NULL;
}

static bool
dir_stopped(const struct flow *f, int dir)
{
	return f->st[dir] != NULL && stream_stopped(f->st[dir]);
}

static uint8_t
probe_tcp(const struct flow *f, const struct pkt *p)
{
	const uint8_t	*ts, *tc;
	size_t		 tslen, tclen;

	ts = dir_data(f, DIR_TO_SERVER, &tslen);
	tc = dir_data(f, DIR_TO_CLIENT, &tclen);
	if (tslen > 0) {
		if (tls_probe(ts, tslen))
			return APP_TLS;
		if (http_probe(ts, tslen))
			return APP_HTTP;
		if (smb_probe(ts, tslen))
			return APP_SMB;
		if (ssh_probe(ts, tslen))
			return APP_SSH;
		if (dns_probe(ts, tslen, true))
			return APP_DNS;
	}
	if (ssh_probe(tc, tclen))
		return APP_SSH;
	if (tslen + tclen > 0 && (p->sport == 445 || p->dport == 445 ||
	    p->sport == 139 || p->dport == 139))
		return APP_SMB;
	if (tslen >= PROBE_TS_MAX || tclen >= PROBE_TC_MAX ||
	    dir_stopped(f, DIR_TO_SERVER))
		return APP_FAILED;
	return APP_NONE;
}

static void
app_detect(struct flow *f, const struct pkt *p)
{
	if (f->app != APP_NONE)
		return;
	if (p->proto == 6) {
		f->app = probe_tcp(f, p);
		return;
	}
	if (p->payload_len == 0)
		return;
	if (dns_probe(p->payload, p->payload_len, false))
		f->app = APP_DNS;
	else if (++f->app_tries >= PROBE_UDP_MAX)
		f->app = APP_FAILED;
}

/* Length-framed DNS messages of this direction's stream. */
static void
parse_dns_tcp(struct netpipe *np, struct flow *f, const struct pkt *p,
    const uint8_t *s, size_t n)
{
	size_t	off = f->app_off[p->dir], mlen;

	while (n - off >= 2) {
		mlen = (size_t)(s[off] << 8 | s[off + 1]);
		if (mlen > n - off - 2)
			break;
		if (dns_parse(s + off + 2, mlen, txn_begin(np), &np->scr) == 0)
			txn_emit(np, f, p);
		else
			anomaly(np, p, "dns_malformed");
		off += 2 + mlen;
	}
	f->app_off[p->dir] = (uint32_t)off;
}

static void
parse_tls(struct netpipe *np, struct flow *f, const struct pkt *p,
    const uint8_t *s, size_t n, bool final)
{
	int	rc;

	/* not before the hello can be all there: a hello dribbled in small
	 * segments would be parsed again for each */
	if (!final && n >= 9 && s[5] == 1 &&
	    n < 9 + ((size_t)s[6] << 16 | (size_t)s[7] << 8 | s[8]))
		return;
	rc = tls_parse_clienthello(s, n, txn_begin(np), &np->scr);
	if (rc == ERR_AGAIN && !final)
		return;
	f->app_done[DIR_TO_SERVER] = 1;	/* the rest is encrypted */
	if (rc == 0)
		txn_emit(np, f, p);
	else
		anomaly(np, p, rc == ERR_AGAIN ? "tls_hello_incomplete" :
		    "tls_hello_malformed");
}

/* Has the end of a header block come, in s[from, n) (from rounded back
 * to see one split between segments)? */
static bool
head_ended(const uint8_t *s, size_t n, size_t from)
{
	const uint8_t	*lf;

	from = from > 3 ? from - 3 : 0;
	while (from < n && (lf = memchr(s + from, '\n', n - from)) != NULL) {
		from = (size_t)(lf - s) + 1;
		if (from < n && (s[from] == '\n' || (s[from] == '\r' &&
		    from + 1 < n && s[from + 1] == '\n')))
			return true;
	}
	return false;
}

/* Requests one after the other; *consumed may run past what is there
 * (a body still coming): the offset waits beyond the data. The parser is
 * called once the headers have ended, each byte scanned once for that,
 * so that headers dribbled in small segments cost linear time. */
static void
parse_http(struct netpipe *np, struct flow *f, const struct pkt *p,
    const uint8_t *s, size_t n, bool final)
{
	size_t	off = f->app_off[DIR_TO_SERVER], used;
	int	rc;

	while (off < n) {
		if (!final && !head_ended(s, n, off > f->app_scan ? off :
		    f->app_scan)) {
			f->app_scan = (uint32_t)n;
			break;
		}
		used = 0;
		rc = http_parse_request(s + off, n - off, np->c.http_body_depth,
		    final, txn_begin(np), &np->scr, &used);
		if (rc == ERR_AGAIN)
			break;
		if (rc != 0 || used == 0) {
			f->app_done[DIR_TO_SERVER] = 1;
			if (rc != 0)
				anomaly(np, p, "http_malformed");
			break;
		}
		txn_emit(np, f, p);
		off = used > SIZE_MAX - off ? SIZE_MAX : off + used;
	}
	if (off >= np->c.stream_depth)
		f->app_done[DIR_TO_SERVER] = 1;
	f->app_off[DIR_TO_SERVER] = off > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)off;
}

static void
app_parse(struct netpipe *np, struct flow *f, const struct pkt *p)
{
	const uint8_t	*s;
	size_t		 n;
	bool		 final;

	if (f->app_done[p->dir])
		return;
	if (f->app == APP_DNS && p->proto == 17) {
		if (p->payload_len == 0)
			return;
		if (dns_parse(p->payload, p->payload_len, txn_begin(np),
		    &np->scr) == 0)
			txn_emit(np, f, p);
		else
			anomaly(np, p, "dns_malformed");
		return;
	}
	/* a RST ends its sender's side only if its receiver takes it */
	final = dir_stopped(f, p->dir) || (p->tcp_flags & TH_FIN) ||
	    ((p->tcp_flags & TH_RST) && f->reset);
	if (p->stream_new == 0 && !final)
		return;
	s = dir_data(f, p->dir, &n);
	switch (f->app) {
	case APP_DNS:
		parse_dns_tcp(np, f, p, s, n);
		break;
	case APP_TLS:
		if (p->dir == DIR_TO_SERVER && n > 0)
			parse_tls(np, f, p, s, n, final);
		break;
	case APP_HTTP:
		if (p->dir == DIR_TO_SERVER && n > 0)
			parse_http(np, f, p, s, n, final);
		break;
	default:
		break;
	}
	if (final)
		f->app_done[p->dir] = 1;
}

/* The client's side of f as a packet without payload, at f's last time:
 * what a transaction parsed at the flow's end is reported with. */
static void
end_pkt(struct pkt *p, struct flow *f)
{
	bool	lo = f->client_lo;

	memset(p, 0, sizeof(*p));
	p->ts_us = f->last_us;
	p->ipver = f->key.family;
	p->src.family = p->dst.family = f->key.family;
	memcpy(p->src.a, lo ? f->key.lo : f->key.hi, sizeof(p->src.a));
	memcpy(p->dst.a, lo ? f->key.hi : f->key.lo, sizeof(p->dst.a));
	p->sport = lo ? f->key.lo_port : f->key.hi_port;
	p->dport = lo ? f->key.hi_port : f->key.lo_port;
	p->proto = f->key.proto;
	p->flow_id = f->id;
	p->dir = DIR_TO_SERVER;
	p->flow_state = f->state;
	p->app = f->app;
	p->fv = &f->fv;
}

/*
 * A flow that ends (idle, evicted, the end of a capture) while a request
 * waits for the rest of its headers or its declared body: what came is
 * parsed, as at a FIN. Otherwise a client that never finishes a request
 * (a Content-Length it does not send, headers without their blank line)
 * keeps it from ever being inspected.
 */
static void
flush_request(struct netpipe *np, struct flow *f)
{
	struct pkt	 p;
	const uint8_t	*s;
	size_t		 n;

	if (f->app_done[DIR_TO_SERVER] ||
	    (f->app != APP_HTTP && f->app != APP_TLS))
		return;
	s = dir_data(f, DIR_TO_SERVER, &n);
	if (n <= f->app_off[DIR_TO_SERVER])
		return;
	end_pkt(&p, f);
	if (f->app == APP_HTTP)
		parse_http(np, f, &p, s, n, true);
	else
		parse_tls(np, f, &p, s, n, true);
	f->app_done[DIR_TO_SERVER] = 1;
}

/* ---- transport ---- */

/*
 * Is this direction's data still wanted in order? Only while a parser
 * may read it: both directions while the protocol is being found, DNS's
 * both, TLS's and HTTP's client side until its parser is done; never the
 * server side of a download or an SMB copy, so bulk data costs no memory.
 */
static bool
stream_wanted(const struct flow *f, int dir)
{
	if (f->app_done[dir])
		return false;
	switch (f->app) {
	case APP_NONE:
	case APP_DNS:
		return true;
	case APP_TLS:
	case APP_HTTP:
		return dir == DIR_TO_SERVER;
	default:
		return false;
	}
}

static void
tcp_stream(struct netpipe *np, struct flow *f, struct pkt *p)
{
	struct stream	**st = &f->st[p->dir], *other = f->st[!p->dir];
	uint32_t	  seq;
	size_t		  added = 0;
	int		  r;

	if ((p->tcp_flags & TH_ACK) && other != NULL &&
	    stream_ack(other, &np->mem, p->tcp_ack))
		np->st.stream_gaps++;
	if (!stream_wanted(f, p->dir)) {
		if (*st != NULL) {		/* its memory goes back now */
			stream_free(*st, &np->mem);
			*st = NULL;
		}
		return;
	}
	if (p->payload_len > 0) {
		seq = p->tcp_seq + ((p->tcp_flags & TH_SYN) ? 1 : 0);
		if (*st == NULL)
			*st = stream_new(f->isn_set[p->dir] ?
			    f->isn[p->dir] + 1 : seq);
		if (*st == NULL)
			return;
		r = stream_add(*st, &np->lim, seq, p->payload, p->payload_len,
		    &added);
		if (r & ST_DIFFERS)
			anomaly(np, p, "stream_overlap_differs");
		if (r & ST_DEPTH)
			np->st.stream_depth_reached++;
		if (r & ST_MEMCAP)
			np->st.stream_memcap_hit++;
	}
	if (*st != NULL) {
		p->stream = stream_data(*st, &p->stream_len);
		p->stream_new = added;
	}
}

static void
flow_path(struct netpipe *np, struct pkt *p)
{
	struct flow	*f;

	f = flow_get(np->flows, p, p->ts_us);
	if (p->proto == 6)
		tcp_stream(np, f, p);
	app_detect(f, p);
	p->app = f->app;
	deliver(np, p);
	app_parse(np, f, p);
}

/* A fragment: DEC_OK with the transport decoded when it completed its
 * datagram, DEC_FRAG when held or dropped. */
static enum dec_result
reassemble(struct netpipe *np, struct pkt *p, struct dec_out *o)
{
	const uint8_t	*data;
	size_t		 len;
	uint8_t		 proto;

	switch (frag_add(np->frag, p, &o->frag, p->ts_us, &proto, &data,
	    &len)) {
	case FRAG_DONE:
		p->reassembled = true;
		return decode_transport(p, o, proto, data, len);
	case FRAG_OVERLAP:
		anomaly(np, p, "frag_overlap");
		break;
	case FRAG_BAD:
		anomaly(np, p, "frag_bad_len");
		break;
	default:
		break;
	}
	return DEC_FRAG;
}

static void
expire(struct netpipe *np, int64_t now)
{
	np->last_tick = now;
	flow_expire(np->flows, now);
	frag_expire(np->frag, now);
}

void
netpipe_feed(struct netpipe *np, int linktype, int64_t ts_us,
    const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
	struct pkt	p;
	struct dec_out	o;
	enum dec_result	r;

	np->st.frames++;
	np->st.bytes += wirelen;
	if (ts_us - np->last_tick >= TICK_US || ts_us < np->last_tick)
		expire(np, ts_us);
	r = decode_frame(&p, &o, linktype, frame, caplen, wirelen);
	p.ts_us = ts_us;
	if (r == DEC_FRAG)
		r = reassemble(np, &p, &o);
	switch (r) {
	case DEC_OK:
	case DEC_ARP:
		break;
	case DEC_FRAG:
		return;
	case DEC_TRUNC:
		np->st.truncated++;
		return;
	case DEC_BAD:
		np->st.undecodable++;
		anomaly(np, &p, o.why);
		return;
	default:
		np->st.undecodable++;
		return;
	}
	np->st.decoded++;
	if (o.truncated)
		np->st.truncated++;
	if (r == DEC_OK && (p.proto == 6 || p.proto == 17))
		flow_path(np, &p);
	else
		deliver(np, &p);
}

void
netpipe_tick(struct netpipe *np, int64_t now_us)
{
	expire(np, now_us);
}

void
netpipe_stats(const struct netpipe *np, struct netpipe_stats *st)
{
	struct flow_stats	fs;
	struct frag_stats	gs;

	*st = np->st;
	flow_stats(np->flows, &fs);
	frag_stats(np->frag, &gs);
	st->flows = fs.created;
	st->flows_active = fs.active;
	st->flows_evicted = fs.evicted;
	st->flows_timed_out = fs.timed_out;
	st->frags_reassembled = gs.reassembled;
	st->frags_dropped = gs.dropped;
	st->frag_overlaps = gs.overlaps;
	st->stream_bytes = np->mem.used;
}
