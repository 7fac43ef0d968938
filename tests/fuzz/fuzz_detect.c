/*
 * fuzz_detect.c: the rule engine (agent/net/detect.c, rulematch.c) on
 * arbitrary buffers, with rules that use every keyword that reads at
 * computed offsets (distance and within chains, isdataat, byte_test,
 * byte_jump, pcre relative, bsize, dotprefix, startswith/endswith, dsize,
 * urilen, flowbits, thresholds).
 *
 * Input: byte 0 picks the packet's protocol and direction, byte 1 how the
 * rest is cut: the first part is the packet payload, the others become
 * the transaction's buffers (http.uri, http.host, dns.query, tls.sni,
 * http.request_body, http.header, http.user_agent), so that each buffer
 * can be anything, of any length. Every alert must name a loaded rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char rules[] =
"alert tcp any any -> any any (msg:\"c1\"; flow:established,to_server; content:\"AB\"; depth:8; content:\"CD\"; distance:1; within:6; isdataat:2,relative; sid:1;)\n"
"alert tcp any any -> any any (msg:\"bt\"; content:\"|01 02|\"; byte_test:2,>,300,0,relative,big; byte_jump:2,0,relative,little,post_offset 2; content:\"X\"; within:4; sid:2;)\n"
"alert tcp any any -> any any (msg:\"bj\"; content:\"LEN\"; byte_jump:4,0,relative,string,dec,align; isdataat:!1,relative; sid:3;)\n"
"alert udp any any -> any any (msg:\"pc\"; content:\"ab\"; pcre:\"/^c(d+)e/R\"; dsize:<300; sid:4;)\n"
"alert tcp any any -> any any (msg:\"hx\"; content:\"|00 00|\"; offset:2; depth:4; byte_test:1,&,0x80,-1,relative; sid:5;)\n"
"alert tcp any any -> any any (msg:\"fb1\"; content:\"SET\"; flowbits:set,x; flowbits:noalert; sid:6;)\n"
"alert tcp any any -> any any (msg:\"fb2\"; flowbits:isset,x; content:\"GET\"; sid:7;)\n"
"alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/a\"; startswith; content:\".php\"; endswith; urilen:<100; sid:8;)\n"
"alert http any any -> any any (msg:\"host\"; http.host; dotprefix; content:\".example.com\"; endswith; bsize:>5; sid:9;)\n"
"alert dns any any -> any any (msg:\"dns\"; dns.query; content:\"bad\"; nocase; pcre:\"/^[a-z0-9]{20,}\\./\"; sid:10;)\n"
"alert tls any any -> any any (msg:\"sni\"; tls.sni; content:\"x\"; bsize:1<>40; threshold:type limit,track by_src,count 2,seconds 60; sid:11;)\n"
"alert http any any -> any any (msg:\"body\"; http.request_body; content:\"cmd=\"; byte_test:1,=,0x41,0,relative; pcre:\"/cmd=[^&]{0,8}/P\"; sid:12;)\n"
"alert http any any -> any any (msg:\"hdr\"; http.header; content:\"X-A|3a| \"; content:!\"safe\"; within:10; http.user_agent; content:\"bot\"; detection_filter:track by_dst,count 3,seconds 10; sid:13;)\n"
"alert ip any any -> any any (msg:\"noc\"; dsize:0; sid:14;)\n";

static struct ruleset	*rs;
static struct detect	*det;
static uint32_t		 nalerts;

static void
on_alert(void *ctx, const struct pkt *p, const struct net_alert *a)
{
	if (a->gid != 1 || a->sid < 1 || a->sid > 14 || a->msg == NULL)
		abort();
	nalerts++;
}

static void
setup(void)
{
	char		 path[] = "/tmp/fuzz_detect.XXXXXX";
	const char	*paths[1] = { path };
	FILE		*f;
	int		 fd;

	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL ||
	    fputs(rules, f) == EOF || fclose(f) != 0)
		abort();
	if (ruleset_load(&rs, paths, 1, &(struct ruleset_opts){ 0 }, NULL) !=
	    0)
		abort();
	unlink(path);
	if ((det = detect_new(rs, on_alert, NULL)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct flowvars	 fv;
	struct pkt		 p;
	struct txn		 t;
	size_t			 cut, i, part, off;
	static const enum nbuf	 bufs[] = { NB_HTTP_URI, NB_HTTP_HOST,
	    NB_DNS_QUERY, NB_TLS_SNI, NB_HTTP_REQUEST_BODY, NB_HTTP_HEADER,
	    NB_HTTP_USER_AGENT };

	if (rs == NULL)
		setup();
	if (size < 2)
		return 0;
	memset(&p, 0, sizeof(p));
	p.ts_us = 1700000000000000LL + (int64_t)data[0] * 1000000;
	p.ipver = 4;
	p.src = (struct naddr){ 4, { 10, 0, 0, 1 } };
	p.dst = (struct naddr){ 4, { 10, 0, 0, 2 } };
	p.proto = (data[0] & 1) ? 17 : 6;
	p.sport = 40000;
	p.dport = 80;
	p.dir = (data[0] >> 1) & 1;
	p.flow_state = FLOW_ESTABLISHED;
	p.flow_id = 1;
	p.fv = &fv;
	cut = 1 + data[1] % 16;
	data += 2;
	size -= 2;
	part = size / cut;
	p.payload = data;
	p.payload_len = cut > 1 ? part : size;
	detect_packet(det, &p);

	memset(&t, 0, sizeof(t));
	t.dir = p.dir;
	t.app = size > 0 ? data[0] % 3 + APP_DNS : APP_HTTP;
	off = p.payload_len;
	for (i = 0; i < sizeof(bufs) / sizeof(bufs[0]) && off < size; i++) {
		size_t n = i + 2 < cut ? part : size - off;

		if (n > size - off)
			n = size - off;
		/* a buffer of its own, so that reads past it are caught */
		uint8_t *b = malloc(n ? n : 1);
		if (b == NULL)
			abort();
		memcpy(b, data + off, n);
		t.buf[bufs[i]] = b;
		t.len[bufs[i]] = n;
		off += n;
	}
	p.app = t.app;
	detect_txn(det, &p, &t);
	for (i = 0; i < NB__COUNT; i++)
		free((void *)t.buf[i]);
	return 0;
}
