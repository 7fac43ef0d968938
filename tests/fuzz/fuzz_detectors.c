/*
 * fuzz_detectors.c: agent/net/detectors.c on arbitrary packet sequences.
 *
 * The input is records of 12 bytes, each a packet or a DNS query: time
 * step, kind, addresses and ports from small spaces (so that sources,
 * targets and flows repeat and thresholds are reached), TCP flags,
 * direction, flow state; a DNS record's name is the next bytes up to a
 * NUL (any bytes: the name comes from the network). Small tables and
 * thresholds, so that eviction, windows and alerts are all reached.
 * Checks: every alert has gid 4, a known sid, and evidence that is a
 * JSON object; no alert for a sid is raised twice for the same source
 * and target within its window more often than the packets allow (the
 * count of alerts is at most the count of records); det_tick at the end.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "detectors.h"

#include "fuzz_check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct run {
	size_t	alerts;
};

static void
on_alert(void *ctx, const struct pkt *p, const struct net_alert *a)
{
	struct run	*r = ctx;
	json_t		*ev;

	(void)p;
	check(a->gid == DET_GID);
	check(a->sid >= DET_SID_SCAN_PORTS && a->sid <= DET_SID_ARP_GATEWAY);
	check(a->msg != NULL && a->evidence != NULL);
	ev = json_loads(a->evidence, 0, NULL);
	check(json_is_object(ev));
	json_decref(ev);
	r->alerts++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 gw[4] = { 10, 0, 0, 1 };
	static const uint8_t	 gwmac[6] = { 0, 1, 2, 3, 4, 5 };
	struct det_conf		 c;
	struct det		*d;
	struct run		 r = { 0 };
	struct pkt		 p;
	struct txn		 t;
	char			 name[300];
	const uint8_t		*q;
	size_t			 off = 0, n, records = 0;
	int64_t			 ts = 0;

	det_conf_defaults(&c);
	c.scan_sources = 16;
	c.table_max = 16;
	c.scan_ports = c.scan_hosts = 3;
	c.brute_conns[DET_SSH] = 2;
	c.dns_long_len = 8;
	c.dns_long_names = 2;
	c.dns_txt_queries = 2;
	if (det_new(&d, &c, on_alert, &r) != 0)
		abort();
	det_gateway(d, gw, size > 0 && data[0] & 1 ? NULL : gwmac);
	while (size - off >= 12) {
		q = data + off;
		off += 12;
		records++;
		ts += (int64_t)q[0] * 50000;
		memset(&p, 0, sizeof(p));
		p.ts_us = ts;
		p.ipver = q[1] & 0x40 ? 6 : 4;
		p.src.family = p.dst.family = p.ipver;
		p.src.a[0] = p.dst.a[0] = 10;
		p.src.a[3] = q[2] & 7;
		p.dst.a[3] = q[3] & 15;
		p.sport = (uint16_t)(q[4] | q[5] << 8);
		p.dport = (uint16_t)((q[6] & 3) == 0 ? 22 : q[6] | q[7] << 8);
		p.tcp_flags = q[8];
		p.proto = q[1] & 0x80 ? IPPROTO_UDP : IPPROTO_TCP;
		p.dir = q[9] & 1;
		p.flow_state = (q[9] >> 1) % 3;
		p.flow_id = q[10] & 0x80 ? 0 : q[10];
		p.has_eth = (q[9] & 8) != 0;
		p.eth_dst[0] = q[11];
		switch (q[1] & 3) {
		case 0:
		case 1:
			det_packet(d, &p);
			break;
		case 2:		/* ARP */
			p.is_arp = true;
			p.ipver = 0;
			memcpy(p.arp.spa, q[2] & 1 ? gw : q + 4, 4);
			memcpy(p.arp.sha, q + 5, 6);
			p.arp.op = q[11] & 3;
			det_packet(d, &p);
			break;
		default:	/* a DNS query: the name follows */
			for (n = 0; off < size && data[off] != 0 &&
			    n < sizeof(name) - 1; n++)
				name[n] = (char)data[off++];
			name[n] = '\0';
			off += off < size;
			memset(&t, 0, sizeof(t));
			t.app = APP_DNS;
			t.dns.response = (q[11] & 0x10) != 0;
			t.dns.qtype = q[11] & 0x20 ? 16 : 1;
			t.dns.rrname = q[11] & 0x40 ? NULL : name;
			det_txn(d, &p, &t);
		}
		if ((q[9] & 0x30) == 0x30)
			det_tick(d, ts);
	}
	det_tick(d, ts + 10 * 1000000LL);
	check(r.alerts <= 2 * records + 64);
	det_free(d);
	return 0;
}
