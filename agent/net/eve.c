/*
 * eve.c: EVE alert objects and fast.log lines (see eve.h).
 *
 * Field names and layout follow Suricata 7's eve.json alert records, so
 * that a responder's tools (jq filters, SIEM parsers) read vigil's alerts
 * as they read Suricata's. Where vigil has less (no HTTP responses) the
 * member is absent, never empty.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "eve.h"
#include "event.h"
#include "text.h"

const char *
eve_proto(uint8_t proto, char buf[static 8])
{
	switch (proto) {
	case IPPROTO_TCP:	return "TCP";
	case IPPROTO_UDP:	return "UDP";
	case IPPROTO_ICMP:	return "ICMP";
	case IPPROTO_ICMPV6:	return "IPv6-ICMP";
	case IPPROTO_SCTP:	return "SCTP";
	case IPPROTO_GRE:	return "GRE";
	}
	(void)snprintf(buf, 8, "%u", proto);
	return buf;
}

const char *
eve_app_proto(uint8_t app)
{
	static const char *const names[APP__COUNT] = {
		[APP_NONE] = NULL, [APP_DNS] = "dns", [APP_TLS] = "tls",
		[APP_HTTP] = "http", [APP_SMB] = "smb", [APP_SSH] = "ssh",
		[APP_FAILED] = "failed",
	};

	return app < APP__COUNT ? names[app] : NULL;
}

static const char *
addr_str(const struct naddr *a, char buf[static INET6_ADDRSTRLEN])
{
	if (a->family == 4)
		return inet_ntop(AF_INET, a->a, buf, INET6_ADDRSTRLEN);
	if (a->family == 6)
		return inet_ntop(AF_INET6, a->a, buf, INET6_ADDRSTRLEN);
	return NULL;
}

/* obj[key] = the bytes as a JSON string (TEXT_JSON); absent when empty.
 * Returns -1 only when out of memory. */
static int
set_text(json_t *obj, const char *key, const void *p, size_t len)
{
	json_t	*s;

	if (p == NULL || len == 0)
		return 0;
	if ((s = text_json(p, len, NULL)) == NULL)
		return -1;
	return json_object_set_new(obj, key, s);
}

static int
set_buf(json_t *obj, const char *key, const struct txn *t, enum nbuf b)
{
	return set_text(obj, key, t->buf[b], t->len[b]);
}

static int
set_cstr(json_t *obj, const char *key, const char *s)
{
	return s != NULL ? set_text(obj, key, s, strlen(s)) : 0;
}

/* A JSON object text made by vigil itself (rule metadata, evidence):
 * attached parsed, or left out if it does not parse. */
static int
set_json_text(json_t *obj, const char *key, const char *text)
{
	json_t	*v;

	if (text == NULL)
		return 0;
	if ((v = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(v)) {
		json_decref(v);
		return 0;
	}
	return json_object_set_new(obj, key, v);
}

static const char *
rrtype_name(uint16_t t, char buf[static 12])
{
	switch (t) {
	case 1:		return "A";
	case 2:		return "NS";
	case 5:		return "CNAME";
	case 6:		return "SOA";
	case 12:	return "PTR";
	case 15:	return "MX";
	case 16:	return "TXT";
	case 28:	return "AAAA";
	case 33:	return "SRV";
	case 65:	return "HTTPS";
	case 255:	return "ANY";
	}
	(void)snprintf(buf, 12, "TYPE%u", t);
	return buf;
}

/* "dns": {"query": [{...}]} or {"answer": {...}} as Suricata 7's alert
 * records have it. */
static json_t *
dns_ctx(const struct txn *t)
{
	json_t	*o, *q, *arr, *ans;
	char	 tb[12];
	size_t	 i;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((q = json_object()) == NULL)
		goto nomem;
	if (t->dns.response) {
		if (json_object_set_new(o, "answer", q) != 0)
			goto nomem;
	} else {
		if ((arr = json_array()) == NULL) {
			json_decref(q);
			goto nomem;
		}
		/* both steal their value, also on failure */
		if (json_object_set_new(o, "query", arr) != 0 ||
		    json_array_append_new(arr, q) != 0)
			goto nomem;
	}
	if (json_object_set_new(q, "type", json_string(t->dns.response ?
	    "answer" : "query")) != 0 ||
	    json_object_set_new(q, "id", json_integer(t->dns.id)) != 0 ||
	    set_cstr(q, "rrname", t->dns.rrname) != 0 ||
	    json_object_set_new(q, "rrtype", json_string(rrtype_name(
	    t->dns.qtype, tb))) != 0 ||
	    json_object_set_new(q, "tx_id", json_integer((json_int_t)
	    t->tx_id)) != 0)
		goto nomem;
	if (!t->dns.response)
		return o;
	if (json_object_set_new(q, "rcode", json_integer(t->dns.rcode)) != 0)
		goto nomem;
	if (t->dns.nanswers > 0) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(q, "answers", arr) != 0)
			goto nomem;
		for (i = 0; i < t->dns.nanswers && i < TXN_DNS_MAX_ANSWERS;
		    i++) {
			if ((ans = json_object()) == NULL ||
			    json_array_append_new(arr, ans) != 0 ||
			    set_cstr(ans, "rrname",
			    t->dns.answers[i].rrname) != 0 ||
			    json_object_set_new(ans, "rrtype", json_string(
			    rrtype_name(t->dns.answers[i].rrtype, tb))) != 0 ||
			    json_object_set_new(ans, "ttl", json_integer(
			    t->dns.answers[i].ttl)) != 0 ||
			    set_cstr(ans, "rdata", t->dns.answers[i].rdata) != 0)
				goto nomem;
		}
	}
	return o;
nomem:
	json_decref(o);
	return NULL;
}

static json_t *
tls_ctx(const struct txn *t)
{
	json_t	*o, *ja3;
	char	 v[16];

	if ((o = json_object()) == NULL)
		return NULL;
	if (set_cstr(o, "sni", t->tls.sni) != 0)
		goto nomem;
	if (t->tls.version != 0) {
		if (t->tls.version >= 0x0301 && t->tls.version <= 0x0304)
			(void)snprintf(v, sizeof(v), "TLS 1.%u",
			    t->tls.version - 0x0301);
		else
			(void)snprintf(v, sizeof(v), "0x%04x", t->tls.version);
		if (json_object_set_new(o, "version", json_string(v)) != 0)
			goto nomem;
	}
	if (t->tls.ja3[0] != '\0') {
		if ((ja3 = json_object()) == NULL ||
		    json_object_set_new(o, "ja3", ja3) != 0 ||
		    json_object_set_new(ja3, "hash", json_string(t->tls.ja3))
		    != 0 || set_cstr(ja3, "string", t->tls.ja3_string) != 0)
			goto nomem;
	}
	if (t->tls.ja4[0] != '\0' &&
	    json_object_set_new(o, "ja4", json_string(t->tls.ja4)) != 0)
		goto nomem;
	return o;
nomem:
	json_decref(o);
	return NULL;
}

static json_t *
http_ctx(const struct txn *t)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (set_buf(o, "hostname", t, NB_HTTP_HOST) != 0 ||
	    set_buf(o, "url", t, NB_HTTP_URI_RAW) != 0 ||
	    set_buf(o, "http_user_agent", t, NB_HTTP_USER_AGENT) != 0 ||
	    set_buf(o, "http_content_type", t, NB_HTTP_CONTENT_TYPE) != 0 ||
	    set_buf(o, "http_method", t, NB_HTTP_METHOD) != 0 ||
	    set_buf(o, "protocol", t, NB_HTTP_PROTOCOL) != 0 ||
	    (t->http.status != 0 && json_object_set_new(o, "status",
	    json_integer(t->http.status)) != 0) ||
	    json_object_set_new(o, "length", json_integer((json_int_t)
	    t->len[NB_HTTP_REQUEST_BODY])) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
set_context(json_t *ev, const struct txn *t)
{
	json_t	*c = NULL;
	const char *key = NULL;

	switch (t->app) {
	case APP_DNS:	key = "dns";	c = dns_ctx(t);		break;
	case APP_TLS:	key = "tls";	c = tls_ctx(t);		break;
	case APP_HTTP:	key = "http";	c = http_ctx(t);	break;
	default:	return 0;
	}
	return c != NULL ? json_object_set_new(ev, key, c) : -1;
}

static int
set_addrs(json_t *ev, const struct pkt *p)
{
	char	 a[INET6_ADDRSTRLEN], pb[8];
	const char *app;

	if (p->ipver == 0)
		return 0;
	if (addr_str(&p->src, a) == NULL ||
	    json_object_set_new(ev, "src_ip", json_string(a)) != 0 ||
	    (p->sport != 0 && json_object_set_new(ev, "src_port",
	    json_integer(p->sport)) != 0) ||
	    addr_str(&p->dst, a) == NULL ||
	    json_object_set_new(ev, "dest_ip", json_string(a)) != 0 ||
	    (p->dport != 0 && json_object_set_new(ev, "dest_port",
	    json_integer(p->dport)) != 0) ||
	    json_object_set_new(ev, "proto", json_string(eve_proto(p->proto,
	    pb))) != 0)
		return -1;
	if (p->flow_id != 0) {
		/* EVE's flow_id is a positive JSON integer */
		if (json_object_set_new(ev, "flow_id", json_integer(
		    (json_int_t)(p->flow_id & INT64_MAX))) != 0 ||
		    json_object_set_new(ev, "direction", json_string(
		    p->dir == DIR_TO_SERVER ? "to_server" : "to_client")) != 0)
			return -1;
		if ((app = eve_app_proto(p->app)) != NULL &&
		    json_object_set_new(ev, "app_proto", json_string(app)) != 0)
			return -1;
	}
	return 0;
}

json_t *
eve_alert(const struct pkt *p, const struct net_alert *a)
{
	char	 ts[EVENT_TS_STRLEN];
	json_t	*ev, *al;

	if ((ev = event_build("alert")) == NULL)
		return NULL;
	event_format_ts(ts, p->ts_us);
	if (json_object_set_new(ev, "timestamp", json_string(ts)) != 0 ||
	    set_addrs(ev, p) != 0 || (al = json_object()) == NULL)
		goto nomem;
	if (json_object_set_new(ev, "alert", al) != 0 ||
	    json_object_set_new(al, "action", json_string("allowed")) != 0 ||
	    json_object_set_new(al, "gid", json_integer(a->gid)) != 0 ||
	    json_object_set_new(al, "signature_id", json_integer(a->sid))
	    != 0 || json_object_set_new(al, "rev", json_integer(a->rev)) != 0 ||
	    set_cstr(al, "signature", a->msg) != 0 ||
	    set_cstr(al, "category", a->classtype) != 0 ||
	    json_object_set_new(al, "severity", json_integer(
	    a->priority >= 1 && a->priority <= 255 ? a->priority : 3)) != 0 ||
	    set_json_text(al, "metadata", a->metadata) != 0 ||
	    (a->txn != NULL && set_context(ev, a->txn) != 0) ||
	    set_json_text(ev, "evidence", a->evidence) != 0)
		goto nomem;
	return ev;
nomem:
	json_decref(ev);
	return NULL;
}

/* "[Classification: %s] " etc. with the text escaped for a terminal */
static int
put_term(FILE *f, const char *s)
{
	return s != NULL ? text_write(f, s, strlen(s), TEXT_TERM) : 0;
}

static void
fast_endpoint(FILE *f, const struct naddr *a, uint16_t port, int ports)
{
	char	b[INET6_ADDRSTRLEN];

	(void)fputs(addr_str(a, b) ? b : "?", f);
	if (ports)
		(void)fprintf(f, ":%u", port);
}

int
eve_fast(FILE *f, const struct pkt *p, const struct net_alert *a)
{
	char		 ts[EVENT_TS_STRLEN], pb[8];
	int		 ports;

	/* Suricata: "11/25/2026-11:30:17.123456  [**] [1:2:3] msg [**]
	 * [Classification: c] [Priority: n] {TCP} a:1 -> b:2" */
	event_format_ts(ts, p->ts_us);
	(void)fprintf(f, "%.2s/%.2s/%.4s-%.15s  [**] [%u:%u:%u] ", ts + 5,
	    ts + 8, ts, ts + 11, a->gid, a->sid, a->rev);
	(void)put_term(f, a->msg);
	(void)fputs(" [**] ", f);
	if (a->classtype != NULL) {
		(void)fputs("[Classification: ", f);
		(void)put_term(f, a->classtype);
		(void)fputs("] ", f);
	}
	(void)fprintf(f, "[Priority: %d] ", a->priority);
	if (p->ipver != 0) {
		/* a detector's summary of many packets has no ports */
		ports = (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) &&
		    (p->sport != 0 || p->dport != 0);
		(void)fprintf(f, "{%s} ", eve_proto(p->proto, pb));
		fast_endpoint(f, &p->src, p->sport, ports);
		(void)fputs(" -> ", f);
		fast_endpoint(f, &p->dst, p->dport, ports);
	} else if (p->is_arp) {
		(void)fputs("{ARP}", f);
	}
	(void)fputc('\n', f);
	return ferror(f) ? ERR_IO : 0;
}
