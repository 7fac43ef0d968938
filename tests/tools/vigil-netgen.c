/*
 * vigil-netgen: capture files for integration/pcap_cli.sh, made of the
 * samples of defrules_samples.h and a small capture whose alerts the
 * script knows field by field.
 *
 *   vigil-netgen DIR
 *
 *   DIR/hits.pcap        each shipped rule's sample, one a second
 *   DIR/benign.pcap      the benign samples of the rules and detectors
 *   DIR/detectors.pcap   each detector's sample, ten minutes apart
 *   DIR/eve.pcap         conversations starting at seconds 1..7 after
 *   DIR/eve.pcapng       2025-12-03 12:00:00 UTC (see eve_capture); the
 *                        same frames in both formats
 *
 * Ethernet frames, microsecond timestamps. Exit status: 0, 1 on a write
 * error, 2 usage.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../defrules_samples.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* A pcap (netgen.h's writer) or a pcapng file: one section, one
 * Ethernet interface, enhanced packet blocks, in this machine's byte
 * order (the section header's magic tells readers which). */
struct out {
	struct ng_pcap	*pcap;
	FILE		*ng;
	int		 err;
};

static int
put32(FILE *f, uint32_t v)
{
	return fwrite(&v, sizeof(v), 1, f) == 1 ? 0 : -1;
}

static int
pcapng_start(FILE *f)
{
	/* section header: type, length, byte-order magic, version 1.0,
	 * section length unknown (-1 as 64 bits), length again */
	if (put32(f, 0x0a0d0d0a) || put32(f, 28) || put32(f, 0x1a2b3c4d) ||
	    put32(f, 1) || put32(f, 0xffffffff) || put32(f, 0xffffffff) ||
	    put32(f, 28))
		return -1;
	/* interface: Ethernet, snaplen 262144, no options (microseconds) */
	if (put32(f, 1) || put32(f, 20) || put32(f, LT_EN10MB) ||
	    put32(f, 262144) || put32(f, 20))
		return -1;
	return 0;
}

static int
pcapng_packet(FILE *f, int64_t ts_us, const uint8_t *frame, size_t len)
{
	static const uint8_t	pad[4];
	size_t			padn = (4 - len % 4) % 4;
	uint32_t		total = (uint32_t)(32 + len + padn);

	if (put32(f, 6) || put32(f, total) || put32(f, 0) ||
	    put32(f, (uint32_t)((uint64_t)ts_us >> 32)) ||
	    put32(f, (uint32_t)ts_us) || put32(f, (uint32_t)len) ||
	    put32(f, (uint32_t)len) || fwrite(frame, 1, len, f) != len ||
	    fwrite(pad, 1, padn, f) != padn || put32(f, total))
		return -1;
	return 0;
}

static void
sink(void *ctx, int linktype, int64_t ts_us, const uint8_t *frame,
    size_t len)
{
	struct out	*o = ctx;

	if (o->pcap != NULL && ng_pcap_write(o->pcap, ts_us, frame,
	    (uint32_t)len, (uint32_t)len) != 0)
		o->err = 1;
	if (o->ng != NULL && pcapng_packet(o->ng, ts_us, frame, len) != 0)
		o->err = 1;
}

static int
out_open(struct out *o, const char *dir, const char *name, bool ng)
{
	char	path[PATH_MAX];
	int	n;

	memset(o, 0, sizeof(*o));
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, "vigil-netgen: %s: path too long\n", dir);
		return -1;
	}
	if (ng) {
		if ((o->ng = fopen(path, "wb")) == NULL ||
		    pcapng_start(o->ng) != 0)
			goto fail;
	} else if ((o->pcap = ng_pcap_open(path, LT_EN10MB)) == NULL)
		goto fail;
	return 0;
fail:
	perror(path);
	if (o->ng != NULL)
		fclose(o->ng);
	return -1;
}

static int
out_close(struct out *o)
{
	int	rc = o->err ? -1 : 0;

	if (ng_pcap_close(o->pcap) != 0)
		rc = -1;
	if (o->ng != NULL && fclose(o->ng) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "vigil-netgen: a write failed\n");
	return rc;
}

/* The rules' samples, one a second; benign: the detectors' benign
 * samples and a browser follow, ten minutes apart. */
static void
rule_samples(struct netplay *p, bool hit)
{
	size_t	i, n = NITEMS(rule_cases);

	for (i = 0; i < n; i++) {
		netplay_at(p, (int64_t)i);
		netplay_sample(p, hit ? &rule_cases[i].hit :
		    &rule_cases[i].quiet);
	}
	for (i = 0; !hit && i < NITEMS(det_cases); i++) {
		netplay_at(p, (int64_t)(i + 1) * 600);
		det_cases[i].play(p, det_cases[i].quiet, det_cases[i].port);
	}
	if (!hit)
		browse(p);
}

static void
detector_samples(struct netplay *p)
{
	size_t	i;

	for (i = 0; i < NITEMS(det_cases); i++) {
		netplay_at(p, (int64_t)i * 600);
		det_cases[i].play(p, det_cases[i].hit, det_cases[i].port);
	}
}

/*
 * What pcap_cli.sh expects, conversation by conversation (client ports
 * from 49153 in this order; the alerting frame of a TCP conversation is
 * its fourth, 4 ms after the second it starts at):
 *   1  DNS query myrat2024.duckdns.org from PC: 9100301
 *   2  GET /files/invoice.exe from the bare IP 203.0.113.66: 9100205
 *   3  UNION SELECT and Log4Shell in one request to WEB: 9100109 and
 *      9100112, one flow
 *   4  an RDP connection request from ATT to PC: 9100004
 *   5  a TLS ClientHello for www.evil.example: nothing by default
 *   6  SMB 192.168.1.31 -> 10.1.2.3: nothing unless HOME_NET is 10/8
 *   7  PC2 scans 20 ports of NAS, refused: gid 4 sid 1 at the 15th
 */
static void
eve_capture(struct netplay *p)
{
	static const struct np_sample	 s[] = {
		DNSQ("myrat2024.duckdns.org"),
		HTTP(PC, OUT, .uri = "/files/invoice.exe"),
		HTTP(ATT, WEB, .uri = "/news.php?id=1+UNION+SELECT+1,2--",
		    .hdrs = "X-Api-Version: " JNDI "\r\n"),
		TCPS(ATT, PC, 3389, RDP_CR, ""),
	};
	static const struct np_sample	 smb = TCPS(PC2, "10.1.2.3", 445,
					    SMB2_NEGOTIATE, "");
	uint8_t				 hello[512];
	size_t				 i, n;

	for (i = 0; i < NITEMS(s); i++) {
		netplay_at(p, (int64_t)i + 1);
		netplay_sample(p, &s[i]);
	}
	netplay_at(p, 5);
	n = ng_client_hello(hello, "www.evil.example");
	netplay_tcp(p, PC, "203.0.113.99", 443, hello, n, NULL, 0);
	netplay_at(p, 6);
	netplay_sample(p, &smb);
	netplay_at(p, 7);
	scan_ports(p, 20, 1000);
}

enum content { C_HITS, C_BENIGN, C_DETECTORS, C_EVE };

static void
play(struct netplay *p, enum content c)
{
	switch (c) {
	case C_HITS:
	case C_BENIGN:
		rule_samples(p, c == C_HITS);
		break;
	case C_DETECTORS:
		detector_samples(p);
		break;
	case C_EVE:
		eve_capture(p);
		break;
	}
}

static int
write_one(const char *dir, const char *name, bool ng, enum content c)
{
	struct out	 o;
	struct netplay	*p;

	if (out_open(&o, dir, name, ng) != 0)
		return -1;
	p = netplay_new(LT_EN10MB, sink, &o);
	play(p, c);
	netplay_free(p);
	return out_close(&o);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char	*name;
		bool		 ng;
		enum content	 c;
	} files[] = {
		{ "hits.pcap", false, C_HITS },
		{ "benign.pcap", false, C_BENIGN },
		{ "detectors.pcap", false, C_DETECTORS },
		{ "eve.pcap", false, C_EVE },
		{ "eve.pcapng", true, C_EVE },
	};
	size_t	i;

	if (argc != 2) {
		fprintf(stderr, "usage: vigil-netgen DIR\n");
		return 2;
	}
	for (i = 0; i < NITEMS(files); i++)
		if (write_one(argv[1], files[i].name, files[i].ng,
		    files[i].c) != 0)
			return 1;
	return 0;
}
