/*
 * detectors.c: port scans, brute force, DNS tunnels, ARP spoofing of the
 * gateway (detectors.h has the contract).
 *
 * Trackers live in fixed tables (struct ttab): sets of WAYS entries of
 * one size, each starting with struct thead (a 64-bit keyed hash of the
 * tuple, 0 for a free entry, and when it was last seen). A lookup reads
 * one set; a miss takes a free entry or the set's least recently seen.
 * Two tuples with the same 64-bit SipHash would share a tracker: with a
 * secret key, no sender can aim for that.
 *
 * Port scans: per source, the probes of its window (up to SCAN_PROBES,
 * oldest dropped first): (host, port, protocol), pending or failed. A
 * SYN or a first UDP packet adds one; a SYN-ACK or UDP reply removes it
 * (the port answered: not a failure); a RST fails it at once, silence
 * after scan_timeout_ms (checked on the source's next probe and by
 * det_tick). Each failure counts the failed probes on its host and on
 * its port; a count at the threshold raises the alert, once per target
 * in the window (SCAN_ALERTED targets remembered).
 * Brute force: per (source, host, service port), distinct new
 * connections (flow ids; a SYN retransmitted is not a new one) in a
 * tumbling window; the alert at the threshold's connection.
 * DNS: per (source, parent domain), the queries whose part below the
 * parent is long and of high Shannon entropy (computed in 16.16 fixed
 * point), and the TXT/NULL queries; an alert at each threshold.
 * ARP: the gateway's address announced from another MAC than its own,
 * once per MAC per window.
 *
 * Load: every packet and DNS transaction: a SipHash and one set of 8
 * entries; a scan probe O(SCAN_PROBES); det_tick O(scan_sources *
 * SCAN_PROBES) once a second.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "detectors.h"
#include "err.h"
#include "text.h"

#define WAYS		8
#define SCAN_PROBES	48
#define SCAN_ALERTED	8
#define DNS_EXAMPLES	3
#define DNS_EXAMPLE_LEN	96
#define DNS_RECENT	16
#define NAME_MAX_LEN	255
#define ARP_ALERTED	8
#define US		1000000LL
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10
#define QTYPE_NULL	10
#define QTYPE_TXT	16

struct thead {
	uint64_t	 key;		/* 0: free */
	int64_t		 seen;		/* capture time, us */
};

struct ttab {
	uint8_t		*e;
	size_t		 esz;		/* entry size, a multiple of 8 */
	size_t		 nsets;
};

struct probe {
	struct naddr	 host;
	uint16_t	 port;
	uint8_t		 proto;
	uint8_t		 failed;
	int64_t		 ts;
};

struct scan_target {
	uint8_t		 sid;
	uint8_t		 proto;
	uint16_t	 port;
	struct naddr	 host;
};

struct scan_src {
	struct thead		 h;
	struct naddr		 src;
	int64_t			 win_end;
	uint32_t		 nprobe, nalerted;
	struct probe		 probe[SCAN_PROBES];	/* oldest first */
	struct scan_target	 alerted[SCAN_ALERTED];
};

struct brute {
	struct thead	 h;
	int64_t		 win_end;
	uint64_t	 last;		/* the last connection counted */
	uint32_t	 count;
};

struct dns_track {
	struct thead	 h;
	int64_t		 win_end;
	uint32_t	 nlong, ntxt;
	uint64_t	 bytes;		/* below the parent, long names */
	uint64_t	 recent[DNS_RECENT];	/* the last long names' keys:
						 * a name asked again is not
						 * counted again */
	uint32_t	 nex, nrecent;
	char		 ex[DNS_EXAMPLES][DNS_EXAMPLE_LEN];
};

struct det {
	struct det_conf	 c;
	detect_alert_fn	*fn;
	void		*ctx;
	uint8_t		 sipkey[crypto_shorthash_KEYBYTES];
	struct ttab	 scan, brute, dns;
	bool		 gw_set, gw_mac_known;
	uint8_t		 gw_ip[4], gw_mac[6];
	struct {
		uint8_t	 mac[6];
		int64_t	 at;		/* 0: free */
	}		 arp_alerted[ARP_ALERTED];
	struct det_stats st;
};

/* classtype: the class's description, as rules' alerts carry it
 * (Suricata's EVE alert.category and fast.log [Classification: ]) */
static const struct {
	const char	*msg;
	const char	*classtype;
	int		 priority;
} sig[] = {
	[DET_SID_SCAN_PORTS] = { "vigil port scan: many ports of one host",
	    "Attempted Information Leak", 2 },
	[DET_SID_SCAN_HOSTS] = { "vigil port scan: one port of many hosts",
	    "Attempted Information Leak", 2 },
	[DET_SID_BRUTE_SSH] = { "vigil brute force: SSH",
	    "Attempted User Privilege Gain", 2 },
	[DET_SID_BRUTE_RDP] = { "vigil brute force: RDP",
	    "Attempted User Privilege Gain", 2 },
	[DET_SID_BRUTE_SMB] = { "vigil brute force: SMB",
	    "Attempted User Privilege Gain", 2 },
	[DET_SID_BRUTE_FTP] = { "vigil brute force: FTP",
	    "Attempted User Privilege Gain", 2 },
	[DET_SID_DNS_TUNNEL] = { "vigil DNS tunnel: long random names under"
	    " one domain", "Potentially Bad Traffic", 2 },
	[DET_SID_DNS_TXT] = { "vigil DNS tunnel: many TXT/NULL queries to"
	    " one domain", "Potentially Bad Traffic", 2 },
	[DET_SID_ARP_GATEWAY] = { "vigil ARP spoofing: the gateway's address"
	    " from a new MAC", "Potentially Bad Traffic", 1 },
};

static const struct {
	uint16_t	 port;
	const char	*name;
} service[DET__NSERVICE] = {
	[DET_SSH] = { 22, "ssh" },
	[DET_RDP] = { 3389, "rdp" },
	[DET_SMB] = { 445, "smb" },
	[DET_FTP] = { 21, "ftp" },
};

void
det_conf_defaults(struct det_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->scan_window_s = 300;
	c->scan_ports = 15;
	c->scan_hosts = 25;
	c->scan_timeout_ms = 3000;
	c->scan_sources = 1024;
	c->brute_window_s = 60;
	c->brute_conns[DET_SSH] = 10;
	c->brute_conns[DET_RDP] = 10;
	c->brute_conns[DET_SMB] = 20;
	c->brute_conns[DET_FTP] = 10;
	c->dns_window_s = 60;
	c->dns_long_len = 40;
	c->dns_entropy_x100 = 350;
	c->dns_long_names = 20;
	c->dns_txt_queries = 50;
	c->arp_window_s = 300;
	c->table_max = 4096;
}

/* --- tracker tables --- */

static int
ttab_init(struct ttab *t, size_t esz, uint32_t max)
{
	t->esz = esz;
	t->nsets = max / WAYS > 0 ? max / WAYS : 1;
	t->e = calloc(t->nsets * WAYS, esz);
	return t->e == NULL ? ERR_NOMEM : 0;
}

static struct thead *
ttab_at(const struct ttab *t, size_t i)
{
	return (struct thead *)(void *)(t->e + i * t->esz);
}

/* The tracker of key, or NULL; with create, a fresh (zeroed) one when
 * there is none, evicting the set's least recently seen. */
static void *
ttab_get(struct det *d, struct ttab *t, uint64_t key, int64_t now,
    bool create)
{
	struct thead	*h, *victim = NULL;
	size_t		 set = key % t->nsets, w;

	for (w = 0; w < WAYS; w++) {
		h = ttab_at(t, set * WAYS + w);
		if (h->key == key) {
			h->seen = now;
			return h;
		}
		if (victim == NULL || (victim->key != 0 && (h->key == 0 ||
		    h->seen < victim->seen)))
			victim = h;
	}
	if (!create)
		return NULL;
	if (victim->key != 0)
		d->st.evicted++;
	memset(victim, 0, t->esz);
	victim->key = key;
	victim->seen = now;
	return victim;
}

/* A keyed hash of a tuple: a tag, up to two addresses, a port and some
 * bytes. Never 0 (a free entry). */
static uint64_t
tkey(const struct det *d, uint8_t tag, const struct naddr *a,
    const struct naddr *b, uint16_t port, const char *s, size_t len)
{
	uint8_t		 buf[1 + 2 * 17 + 2 + NAME_MAX_LEN], out[8];
	uint64_t	 k;
	size_t		 n = 0;

	buf[n++] = tag;
	if (a != NULL) {
		buf[n++] = a->family;
		memcpy(buf + n, a->a, 16);
		n += 16;
	}
	if (b != NULL) {
		buf[n++] = b->family;
		memcpy(buf + n, b->a, 16);
		n += 16;
	}
	buf[n++] = (uint8_t)(port >> 8);
	buf[n++] = (uint8_t)port;
	if (len > NAME_MAX_LEN)
		len = NAME_MAX_LEN;
	if (len > 0) {
		memcpy(buf + n, s, len);
		n += len;
	}
	crypto_shorthash(out, buf, n, d->sipkey);
	memcpy(&k, out, sizeof(k));
	return k != 0 ? k : 1;
}

/* A tumbling window: true, and a new one from now, if *end has passed
 * (a fresh tracker's end is 0). */
static bool
window_roll(int64_t *end, int64_t now, uint32_t seconds)
{
	if (now < *end)
		return false;
	*end = now + (int64_t)seconds * US;
	return true;
}

/* --- alerts --- */

static const char *
addr_str(char out[INET6_ADDRSTRLEN], const struct naddr *a)
{
	if (inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, out,
	    INET6_ADDRSTRLEN) == NULL)
		out[0] = '\0';
	return out;
}

static json_t *
jaddr(const struct naddr *a)
{
	char	buf[INET6_ADDRSTRLEN];

	return json_string(addr_str(buf, a));
}

/* Raise sid with the evidence ev (taken; NULL if it could not be
 * built: the alert goes without). */
static void
emit(struct det *d, const struct pkt *p, enum det_sid sid, json_t *ev)
{
	struct net_alert	 a;
	char			*text = NULL;

	if (ev != NULL)
		text = json_dumps(ev, JSON_COMPACT);
	memset(&a, 0, sizeof(a));
	a.action = "alert";
	a.gid = DET_GID;
	a.sid = sid;
	a.rev = 1;
	a.msg = sig[sid].msg;
	a.classtype = sig[sid].classtype;
	a.priority = sig[sid].priority;
	a.evidence = text;
	d->st.alerts[sid]++;
	d->fn(d->ctx, p, &a);
	free(text);
	json_decref(ev);
}

/* --- port scans --- */

static const char *
proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static bool
naddr_eq(const struct naddr *a, const struct naddr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, 16) == 0;
}

/* Multicast, broadcast: nobody is expected to answer. */
static bool
no_answer_expected(const struct pkt *p)
{
	if (p->has_eth && (p->eth_dst[0] & 1) != 0)
		return true;
	if (p->dst.family == 4)
		return p->dst.a[0] >= 224;
	return p->dst.a[0] == 0xff;
}

static bool
scan_alerted(struct det *d, struct scan_src *s, const struct scan_target *t)
{
	uint32_t	i;

	for (i = 0; i < s->nalerted; i++)
		if (s->alerted[i].sid == t->sid && s->alerted[i].proto ==
		    t->proto && s->alerted[i].port == t->port &&
		    naddr_eq(&s->alerted[i].host, &t->host))
			return true;
	if (s->nalerted == SCAN_ALERTED) {
		d->st.suppressed++;
		return true;
	}
	s->alerted[s->nalerted++] = *t;
	return false;
}

/* The evidence and alert of a scan of target t: the failed probes on
 * its host (SCAN_PORTS) or its port (SCAN_HOSTS); the alert's packet
 * goes to host, the last one that failed. */
static void
scan_alert(struct det *d, struct scan_src *s, const struct scan_target *t,
    const struct naddr *host, uint32_t count, int64_t now)
{
	struct pkt	 p;
	json_t		*ev, *list;
	uint32_t	 i, n = 0;
	bool		 ports = t->sid == DET_SID_SCAN_PORTS;

	if (scan_alerted(d, s, t))
		return;
	list = json_array();
	for (i = 0; i < s->nprobe && n < 8; i++) {
		const struct probe	*pr = &s->probe[i];

		if (!pr->failed || pr->proto != t->proto || (ports ?
		    !naddr_eq(&pr->host, &t->host) : pr->port != t->port))
			continue;
		json_array_append_new(list, ports ? json_integer(pr->port) :
		    jaddr(&pr->host));
		n++;
	}
	ev = json_pack("{s:I,s:I,s:s,s:o,s:o*}", "count", (json_int_t)count,
	    "window", (json_int_t)d->c.scan_window_s, "proto",
	    proto_name(t->proto), ports ? "host" : "port", ports ?
	    jaddr(&t->host) : json_integer(t->port), ports ? "ports" :
	    "hosts", list);
	memset(&p, 0, sizeof(p));
	p.ts_us = now;
	p.ipver = s->src.family;
	p.src = s->src;
	p.dst = *host;
	p.proto = t->proto;
	p.dport = t->port;
	emit(d, &p, t->sid, ev);
}

/* Probe i has just failed: count its host's and its port's failures. */
static void
scan_failed(struct det *d, struct scan_src *s, uint32_t i, int64_t now)
{
	struct probe	*f = &s->probe[i];
	uint32_t	 k, on_host = 0, on_port = 0;

	f->failed = 1;
	for (k = 0; k < s->nprobe; k++) {
		if (!s->probe[k].failed || s->probe[k].proto != f->proto)
			continue;
		on_host += naddr_eq(&s->probe[k].host, &f->host);
		on_port += s->probe[k].port == f->port;
	}
	if (on_host >= d->c.scan_ports)
		scan_alert(d, s, &(struct scan_target){ DET_SID_SCAN_PORTS,
		    f->proto, 0, f->host }, &f->host, on_host, now);
	if (on_port >= d->c.scan_hosts)
		scan_alert(d, s, &(struct scan_target){ DET_SID_SCAN_HOSTS,
		    f->proto, f->port, { 0 } }, &f->host, on_port, now);
}

/* Fail the pending probes nobody answered in time. */
static void
scan_settle(struct det *d, struct scan_src *s, int64_t now)
{
	int64_t		timeout = (int64_t)d->c.scan_timeout_ms * 1000;
	uint32_t	i;

	/* a probe failed when its time ran out, not when we looked: a
	 * tick may come long after (a quiet network, a capture's end) */
	for (i = 0; i < s->nprobe; i++)
		if (!s->probe[i].failed && now - s->probe[i].ts >= timeout)
			scan_failed(d, s, i, s->probe[i].ts + timeout);
}

static int
probe_find(const struct scan_src *s, const struct naddr *host,
    uint16_t port, uint8_t proto)
{
	uint32_t	i;

	for (i = 0; i < s->nprobe; i++)
		if (s->probe[i].port == port && s->probe[i].proto == proto &&
		    naddr_eq(&s->probe[i].host, host))
			return (int)i;
	return -1;
}

static void
probe_remove(struct scan_src *s, uint32_t i)
{
	memmove(&s->probe[i], &s->probe[i + 1], (s->nprobe - i - 1) *
	    sizeof(s->probe[0]));
	s->nprobe--;
}

static void
probe_add(struct det *d, const struct pkt *p)
{
	struct scan_src	*s;

	if (no_answer_expected(p))
		return;
	s = ttab_get(d, &d->scan, tkey(d, 'S', &p->src, NULL, 0, NULL, 0),
	    p->ts_us, true);
	scan_settle(d, s, p->ts_us);	/* before a new window forgets */
	if (window_roll(&s->win_end, p->ts_us, d->c.scan_window_s)) {
		s->src = p->src;
		s->nprobe = s->nalerted = 0;
	}
	if (probe_find(s, &p->dst, p->dport, p->proto) >= 0)
		return;		/* a retransmission, a repeat */
	if (s->nprobe == SCAN_PROBES) {
		probe_remove(s, 0);
		d->st.probes_dropped++;
	}
	s->probe[s->nprobe++] = (struct probe){ p->dst, p->dport, p->proto,
	    0, p->ts_us };
}

/* A packet from host:port back to the prober: answered, or (rst)
 * refused. */
static void
probe_reply(struct det *d, const struct pkt *p, bool rst)
{
	struct scan_src	*s;
	int		 i;

	s = ttab_get(d, &d->scan, tkey(d, 'S', &p->dst, NULL, 0, NULL, 0),
	    p->ts_us, false);
	if (s == NULL || (i = probe_find(s, &p->src, p->sport,
	    p->proto)) < 0 || s->probe[i].failed)
		return;
	if (rst)
		scan_failed(d, s, (uint32_t)i, p->ts_us);
	else
		probe_remove(s, (uint32_t)i);
}

static void
scan_packet(struct det *d, const struct pkt *p)
{
	uint8_t	f = p->tcp_flags;

	if (p->proto == IPPROTO_TCP) {
		if ((f & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN)
			probe_add(d, p);
		else if ((f & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
			probe_reply(d, p, false);
		else if (f & TH_RST)
			probe_reply(d, p, true);
	} else if (p->proto == IPPROTO_UDP) {
		if (p->dir == DIR_TO_SERVER && p->flow_state == FLOW_NEW)
			probe_add(d, p);
		else if (p->dir == DIR_TO_CLIENT)
			probe_reply(d, p, false);
	}
}

/* --- brute force --- */

static void
brute_packet(struct det *d, const struct pkt *p)
{
	struct brute	*b;
	uint64_t	 conn;
	int		 sv;

	if (p->proto != IPPROTO_TCP || (p->tcp_flags & (TH_SYN | TH_ACK |
	    TH_RST)) != TH_SYN)
		return;
	for (sv = 0; sv < DET__NSERVICE && service[sv].port != p->dport; sv++)
		;
	if (sv == DET__NSERVICE)
		return;
	b = ttab_get(d, &d->brute, tkey(d, 'B', &p->src, &p->dst, p->dport,
	    NULL, 0), p->ts_us, true);
	if (window_roll(&b->win_end, p->ts_us, d->c.brute_window_s)) {
		b->count = 0;
		b->last = 0;
	}
	/* the flow, or without a flow table the client's port and ISN */
	conn = p->flow_id != 0 ? p->flow_id : (uint64_t)p->sport << 32 |
	    p->tcp_seq;
	if (conn == b->last)
		return;		/* the SYN again */
	b->last = conn;
	if (++b->count != d->c.brute_conns[sv])
		return;
	emit(d, p, (enum det_sid)(DET_SID_BRUTE_SSH + sv), json_pack(
	    "{s:s,s:i,s:I,s:I}", "service", service[sv].name, "port",
	    (int)service[sv].port, "count", (json_int_t)b->count, "window",
	    (json_int_t)d->c.brute_window_s));
}

/* --- DNS tunnels --- */

/* log2(x) in 16.16 fixed point, for 1 <= x <= 2^15. */
static uint64_t
log2_q16(uint32_t x)
{
	uint64_t	y;
	uint32_t	n = 0, bit;

	while ((x >> n) > 1)
		n++;
	y = ((uint64_t)x << 16) >> n;	/* x / 2^n in [1, 2), Q16 */
	n <<= 16;
	for (bit = 1u << 15; bit != 0; bit >>= 1) {
		y = y * y >> 16;
		if (y >= 2u << 16) {
			y >>= 1;
			n |= bit;
		}
	}
	return n;
}

/* Shannon entropy of s[0..len) without its dots, bits per byte, 16.16:
 * log2(n) - sum(c * log2(c)) / n over the bytes' counts c. */
static uint64_t
entropy_q16(const char *s, size_t len)
{
	uint32_t	count[256] = { 0 };
	uint64_t	sum = 0;
	size_t		i, n = 0;

	for (i = 0; i < len; i++)
		if (s[i] != '.') {
			count[(uint8_t)s[i]]++;
			n++;
		}
	if (n == 0)
		return 0;
	for (i = 0; i < 256; i++)
		if (count[i] > 1)
			sum += count[i] * log2_q16(count[i]);
	return log2_q16((uint32_t)n) - sum / n;
}

/* Where name[0..len) (lowercase) starts its parent: the last two
 * labels, three under a country's generic second level (abc.com.vn). */
static size_t
dns_parent(const char *name, size_t len)
{
	static const char	*const sld[] = { "com", "net", "org", "gov",
				    "edu", "ac", "co", "or", "ne", "go",
				    "info", "biz", "int", "pro", "name",
				    "health" };
	size_t			 dots[3], nd = 0, i, l;

	for (i = len; i-- > 0 && nd < 3;)
		if (name[i] == '.')
			dots[nd++] = i;
	if (nd < 2)
		return 0;
	if (len - dots[0] - 1 == 2 && nd == 3) {
		l = dots[0] - dots[1] - 1;
		for (i = 0; i < sizeof(sld) / sizeof(sld[0]); i++)
			if (strlen(sld[i]) == l && memcmp(name + dots[1] + 1,
			    sld[i], l) == 0)
				return dots[2] + 1;
	}
	return dots[1] + 1;
}

static bool
dns_allowed(const struct det *d, const char *parent)
{
	size_t	i;

	for (i = 0; i < d->c.dns_nallow; i++)
		if (strcmp(d->c.dns_allow[i], parent) == 0)
			return true;
	return false;
}

/* true if name was not among the tracker's last DNS_RECENT long names
 * (then it is, the oldest forgotten) */
static bool
dns_new_name(const struct det *d, struct dns_track *t, const char *name,
    size_t len)
{
	uint64_t	k = tkey(d, 'N', NULL, NULL, 0, name, len);
	uint32_t	i, n = t->nrecent < DNS_RECENT ? t->nrecent : DNS_RECENT;

	for (i = 0; i < n; i++)
		if (t->recent[i] == k)
			return false;
	t->recent[t->nrecent++ % DNS_RECENT] = k;
	return true;
}

static void
dns_alert(struct det *d, const struct pkt *p, const struct dns_track *t,
    enum det_sid sid, const char *parent, uint16_t qtype)
{
	json_t		*ev, *ex;
	uint32_t	 i;

	if (sid == DET_SID_DNS_TXT) {
		emit(d, p, sid, json_pack("{s:o,s:I,s:I,s:s}", "parent",
		    text_json(parent, strlen(parent), NULL), "count",
		    (json_int_t)t->ntxt, "window",
		    (json_int_t)d->c.dns_window_s, "qtype",
		    qtype == QTYPE_TXT ? "TXT" : "NULL"));
		return;
	}
	ex = json_array();
	for (i = 0; i < t->nex; i++)
		json_array_append_new(ex, text_json(t->ex[i],
		    strlen(t->ex[i]), NULL));
	ev = json_pack("{s:o,s:I,s:I,s:I,s:o*}", "parent", text_json(parent,
	    strlen(parent), NULL), "count", (json_int_t)t->nlong, "window",
	    (json_int_t)d->c.dns_window_s, "bytes", (json_int_t)t->bytes,
	    "examples", ex);
	emit(d, p, sid, ev);
}

static void
dns_txn(struct det *d, const struct pkt *p, const struct txn *tx)
{
	struct dns_track	*t;
	char			 name[NAME_MAX_LEN + 1];
	const char		*parent;
	size_t			 len, i, at, sub, n;
	bool			 is_long, is_txt;

	if (tx->app != APP_DNS || tx->dns.response || tx->dns.rrname == NULL)
		return;
	len = strnlen(tx->dns.rrname, NAME_MAX_LEN + 1);
	if (len > 0 && tx->dns.rrname[len - 1] == '.')
		len--;
	if (len == 0 || len > NAME_MAX_LEN)
		return;
	for (i = 0; i < len; i++)
		name[i] = (char)(tx->dns.rrname[i] >= 'A' &&
		    tx->dns.rrname[i] <= 'Z' ? tx->dns.rrname[i] | 0x20 :
		    tx->dns.rrname[i]);
	name[len] = '\0';
	at = dns_parent(name, len);
	parent = name + at;
	sub = at > 0 ? at - 1 : 0;
	is_long = sub >= d->c.dns_long_len && entropy_q16(name, sub) * 100 >=
	    (uint64_t)d->c.dns_entropy_x100 << 16;
	is_txt = tx->dns.qtype == QTYPE_TXT || tx->dns.qtype == QTYPE_NULL;
	if ((!is_long && !is_txt) || dns_allowed(d, parent))
		return;
	t = ttab_get(d, &d->dns, tkey(d, 'D', &p->src, NULL, 0, parent,
	    len - at), p->ts_us, true);
	if (window_roll(&t->win_end, p->ts_us, d->c.dns_window_s))
		t->nlong = t->ntxt = t->nex = t->nrecent = 0, t->bytes = 0;
	if (is_long && dns_new_name(d, t, name, len)) {
		t->bytes += sub;
		if (t->nex < DNS_EXAMPLES) {
			/* cut: an example, not the whole name */
			n = len < DNS_EXAMPLE_LEN - 1 ? len : DNS_EXAMPLE_LEN - 1;
			memcpy(t->ex[t->nex], name, n);
			t->ex[t->nex++][n] = '\0';
		}
		if (++t->nlong == d->c.dns_long_names)
			dns_alert(d, p, t, DET_SID_DNS_TUNNEL, parent, 0);
	}
	if (is_txt && ++t->ntxt == d->c.dns_txt_queries)
		dns_alert(d, p, t, DET_SID_DNS_TXT, parent, tx->dns.qtype);
}

/* --- ARP --- */

static void
mac_str(char out[18], const uint8_t m[6])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
}

/* 1 if mac was alerted on within the window; else remembered (the
 * oldest forgotten). */
static bool
arp_alerted(struct det *d, const uint8_t mac[6], int64_t now)
{
	size_t	i, old = 0;

	for (i = 0; i < ARP_ALERTED; i++) {
		if (d->arp_alerted[i].at != 0 && memcmp(d->arp_alerted[i].mac,
		    mac, 6) == 0 && now - d->arp_alerted[i].at <
		    (int64_t)d->c.arp_window_s * US)
			return true;
		if (d->arp_alerted[i].at < d->arp_alerted[old].at)
			old = i;
	}
	memcpy(d->arp_alerted[old].mac, mac, 6);
	d->arp_alerted[old].at = now != 0 ? now : 1;
	return false;
}

static void
arp_packet(struct det *d, const struct pkt *p)
{
	char	gw[INET_ADDRSTRLEN], known[18], seen[18];

	if (!d->gw_set || memcmp(p->arp.spa, d->gw_ip, 4) != 0)
		return;
	if (!d->gw_mac_known) {
		memcpy(d->gw_mac, p->arp.sha, 6);
		d->gw_mac_known = true;
		return;
	}
	if (memcmp(p->arp.sha, d->gw_mac, 6) == 0 ||
	    arp_alerted(d, p->arp.sha, p->ts_us))
		return;
	inet_ntop(AF_INET, d->gw_ip, gw, sizeof(gw));
	mac_str(known, d->gw_mac);
	mac_str(seen, p->arp.sha);
	emit(d, p, DET_SID_ARP_GATEWAY, json_pack("{s:s,s:s,s:s,s:s}",
	    "gateway", gw, "gateway_mac", known, "mac", seen, "op",
	    p->arp.op == 2 ? "reply" : p->arp.op == 1 ? "request" : "other"));
}

/* --- the interface --- */

int
det_new(struct det **out, const struct det_conf *c, detect_alert_fn *fn,
    void *ctx)
{
	struct det	*d;
	size_t		 i;
	int		 rc = ERR_NOMEM;

	*out = NULL;
	for (i = 0; i < DET__NSERVICE; i++)
		if (c->brute_conns[i] == 0)
			return ERR_CONFIG;
	if (c->scan_window_s == 0 || c->scan_ports == 0 || c->scan_hosts ==
	    0 || c->scan_sources == 0 || c->brute_window_s == 0 ||
	    c->dns_window_s == 0 || c->dns_long_names == 0 ||
	    c->dns_txt_queries == 0 || c->arp_window_s == 0 ||
	    c->table_max == 0 || fn == NULL || (c->dns_nallow > 0 &&
	    c->dns_allow == NULL))
		return ERR_CONFIG;
	if (sodium_init() < 0 || (d = calloc(1, sizeof(*d))) == NULL)
		return ERR_NOMEM;
	d->c = *c;
	d->fn = fn;
	d->ctx = ctx;
	randombytes_buf(d->sipkey, sizeof(d->sipkey));
	if (ttab_init(&d->scan, sizeof(struct scan_src), c->scan_sources) ||
	    ttab_init(&d->brute, sizeof(struct brute), c->table_max) ||
	    ttab_init(&d->dns, sizeof(struct dns_track), c->table_max))
		goto fail;
	*out = d;
	return 0;
fail:
	det_free(d);
	return rc;
}

void
det_free(struct det *d)
{
	if (d == NULL)
		return;
	free(d->scan.e);
	free(d->brute.e);
	free(d->dns.e);
	free(d);
}

void
det_gateway(struct det *d, const uint8_t ip[4], const uint8_t *mac)
{
	memcpy(d->gw_ip, ip, 4);
	d->gw_set = true;
	d->gw_mac_known = mac != NULL;
	if (mac != NULL)
		memcpy(d->gw_mac, mac, 6);
}

void
det_packet(struct det *d, const struct pkt *p)
{
	if (p->is_arp) {
		arp_packet(d, p);
		return;
	}
	if (p->ipver != 4 && p->ipver != 6)
		return;
	scan_packet(d, p);
	brute_packet(d, p);
}

void
det_txn(struct det *d, const struct pkt *p, const struct txn *tx)
{
	dns_txn(d, p, tx);
}

void
det_tick(struct det *d, int64_t now_us)
{
	struct scan_src	*s;
	size_t		 i;

	for (i = 0; i < d->scan.nsets * WAYS; i++) {
		s = (struct scan_src *)ttab_at(&d->scan, i);
		if (s->h.key == 0)
			continue;
		scan_settle(d, s, now_us);	/* also a source gone quiet */
		if (now_us - s->h.seen >= (int64_t)d->c.scan_window_s * US)
			memset(s, 0, sizeof(*s));
	}
}

void
det_stats(const struct det *d, struct det_stats *st)
{
	*st = d->st;
}
