/*
 * bench_netpipe: packets a second through netpipe, and the office traffic
 * that measures it.
 *
 *	bench_netpipe gen N out.pcap [seed [flows]]
 *		writes N Ethernet frames of a mixed office network: 50
 *		clients; DNS over UDP, TLS sessions (a ClientHello with a
 *		server name, then data both ways), HTTP requests and
 *		responses, SMB2 file reads from the local server, and bulk
 *		downloads; flows (default 200) interleaved at any time, each
 *		with its handshake, acknowledgements and FINs.
 *	bench_netpipe run file.pcap [rounds]
 *		reads the file with libpcap into memory, then feeds it to a
 *		netpipe (default configuration) rounds times (each round a
 *		new netpipe, timestamps as captured) and prints packets/s and
 *		Mbit/s of the best round, by the clock and by the process's
 *		CPU time (what counts on a shared machine), and what netpipe
 *		counted.
 *
 * The callbacks only count: this is the path's own cost, decode to
 * transactions, not the rules'.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>
#include <sodium.h>

#include "netpipe.h"
#include "../netgen.h"

#define CONCURRENT	200	/* flows under way at once, by default */
#define MSS		1448

/* ---- the generator ---- */

enum kind { K_DNS, K_TLS, K_HTTP, K_SMB, K_BULK, K__N };

struct gflow {
	enum kind	 kind;
	struct ng_tuple	 t;		/* client to server */
	uint32_t	 cseq, sseq;
	int		 step;		/* 0.. */
	int		 resp;		/* server segments still to send */
	int		 since_ack;
};

struct gen {
	struct ng	 g;
	struct ng_pcap	*w;
	int64_t		 now;
	uint64_t	 rnd;
	uint8_t		 junk[MSS];
	uint8_t		 msg[2048];
	struct gflow	*f;
	size_t		 nf;
	uint16_t	 port;
};

static const char *const names[] = {
	"www.google.com", "mail.google.com", "outlook.office365.com",
	"login.microsoftonline.com", "zalo.me", "chat.zalo.me",
	"www.facebook.com", "dichvucong.gov.vn", "thuvienphapluat.vn",
	"vnexpress.net", "update.microsoft.com", "static.xx.fbcdn.net",
	"www.youtube.com", "drive.google.com", "teams.microsoft.com",
	"vietcombank.com.vn",
};

static uint32_t
rng(struct gen *gn)
{
	gn->rnd ^= gn->rnd << 13;
	gn->rnd ^= gn->rnd >> 7;
	gn->rnd ^= gn->rnd << 17;
	return (uint32_t)(gn->rnd >> 16);
}

static uint32_t
between(struct gen *gn, uint32_t lo, uint32_t hi)
{
	return lo + rng(gn) % (hi - lo + 1);
}

static const char *
name(struct gen *gn)
{
	return names[rng(gn) % (sizeof(names) / sizeof(names[0]))];
}

static size_t
request(struct gen *gn, struct gflow *f, uint8_t *out)
{
	int	n;

	switch (f->kind) {
	case K_HTTP:
		n = snprintf((char *)out, sizeof(gn->msg), "GET /img/%u.png "
		    "HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (Windows"
		    " NT 10.0; Win64; x64)\r\nAccept: */*\r\nConnection: "
		    "close\r\n\r\n", rng(gn) % 10000, name(gn));
		return n > 0 ? (size_t)n : 0;
	case K_SMB:
		memset(out, 0, 4 + 64 + 49);
		out[3] = 64 + 49;
		memcpy(out + 4, "\xfeSMB", 4);
		out[8] = 64;
		out[4 + 12] = 8;		/* READ */
		return 4 + 64 + 49;
	default:
		return ng_client_hello(out, name(gn));
	}
}

static void
emit(struct gen *gn)
{
	gn->now += between(gn, 20, 400);
	if (ng_pcap_write(gn->w, gn->now, gn->g.frame, (uint32_t)gn->g.len,
	    (uint32_t)gn->g.len) != 0) {
		fprintf(stderr, "write: %s\n", strerror(errno));
		exit(1);
	}
}

static void
start(struct gen *gn, struct gflow *f)
{
	static const uint16_t	 sport[K__N] = { 53, 443, 80, 445, 443 };
	uint32_t		 k = rng(gn) % 100;
	char			 cli[32], srv[32];

	memset(f, 0, sizeof(*f));
	f->kind = k < 30 ? K_DNS : k < 65 ? K_TLS : k < 77 ? K_HTTP :
	    k < 92 ? K_SMB : K_BULK;
	snprintf(cli, sizeof(cli), "192.168.1.%u", between(gn, 10, 59));
	if (f->kind == K_DNS)
		snprintf(srv, sizeof(srv), "192.168.1.1");
	else if (f->kind == K_SMB)
		snprintf(srv, sizeof(srv), "192.168.1.2");
	else
		snprintf(srv, sizeof(srv), "%u.%u.%u.%u", between(gn, 1, 223),
		    rng(gn) & 255, rng(gn) & 255, between(gn, 1, 254));
	if (++gn->port < 49152)
		gn->port = 49152;
	ng_tuple4(&f->t, cli, gn->port, srv, sport[f->kind]);
	f->cseq = rng(gn);
	f->sseq = rng(gn);
	f->resp = f->kind == K_TLS ? (int)between(gn, 4, 40) :
	    f->kind == K_HTTP ? (int)between(gn, 2, 30) :
	    f->kind == K_SMB ? (int)between(gn, 20, 200) :
	    (int)between(gn, 300, 3000);
}

static void
seg(struct gen *gn, struct gflow *f, bool from_client, uint8_t fl,
    const void *d, size_t n)
{
	struct ng_tuple	r = f->t;

	if (from_client) {
		ng_tcp(&gn->g, &f->t, fl, f->cseq, f->sseq, d, n);
		f->cseq += (uint32_t)n + ((fl & (NG_SYN | NG_FIN)) ? 1 : 0);
	} else {
		ng_reverse(&r);
		ng_tcp(&gn->g, &r, fl, f->sseq, f->cseq, d, n);
		f->sseq += (uint32_t)n + ((fl & (NG_SYN | NG_FIN)) ? 1 : 0);
	}
	emit(gn);
}

/* One packet of a DNS exchange; true when the flow is over. */
static bool
step_dns(struct gen *gn, struct gflow *f)
{
	struct ng_tuple	r = f->t;
	const char	*q = names[f->cseq % (sizeof(names) /
			    sizeof(names[0]))];
	size_t		n;

	n = ng_dns(gn->msg, (uint16_t)f->cseq, q, f->step == 1);
	if (f->step == 1)
		ng_reverse(&r);
	ng_udp(&gn->g, &r, gn->msg, n);
	emit(gn);
	return ++f->step == 2;
}

static bool
step_tcp(struct gen *gn, struct gflow *f)
{
	size_t	n;

	switch (f->step++) {
	case 0:
		seg(gn, f, true, NG_SYN, NULL, 0);
		return false;
	case 1:
		seg(gn, f, false, NG_SYN | NG_ACK, NULL, 0);
		return false;
	case 2:
		seg(gn, f, true, NG_ACK, NULL, 0);
		return false;
	case 3:
		n = request(gn, f, gn->msg);
		seg(gn, f, true, NG_ACK | NG_PSH, gn->msg, n);
		return false;
	default:
		break;
	}
	if (f->resp > 0) {
		if (f->since_ack >= 2) {
			f->since_ack = 0;
			seg(gn, f, true, NG_ACK, NULL, 0);
		} else {
			f->since_ack++;
			f->resp--;
			seg(gn, f, false, NG_ACK, gn->junk,
			    f->resp == 0 ? between(gn, 100, MSS) : MSS);
		}
		f->step = 4;
		return false;
	}
	switch (f->step) {
	case 5:
		seg(gn, f, true, NG_FIN | NG_ACK, NULL, 0);
		return false;
	case 6:
		seg(gn, f, false, NG_FIN | NG_ACK, NULL, 0);
		return false;
	default:
		seg(gn, f, true, NG_ACK, NULL, 0);
		return true;
	}
}

static int
generate(uint64_t n, const char *path, uint64_t seed, size_t nf)
{
	struct gen	*gn;
	struct gflow	*f;
	uint64_t	 i;
	size_t		 k;
	bool		 done;
	int		 rc;

	if ((gn = calloc(1, sizeof(*gn))) == NULL)
		return 1;
	if ((gn->f = calloc(nf, sizeof(*gn->f))) == NULL) {
		free(gn);
		return 1;
	}
	gn->nf = nf;
	gn->rnd = seed | 1;
	ng_init(&gn->g, LT_EN10MB);
	for (k = 0; k < sizeof(gn->junk); k++)
		gn->junk[k] = (uint8_t)rng(gn);
	gn->now = 1735689600LL * 1000000;	/* 2025-01-01 */
	if ((gn->w = ng_pcap_open(path, LT_EN10MB)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		free(gn->f);
		free(gn);
		return 1;
	}
	for (k = 0; k < nf; k++)
		start(gn, &gn->f[k]);
	for (i = 0; i < n; i++) {
		f = &gn->f[rng(gn) % nf];
		done = f->kind == K_DNS ? step_dns(gn, f) : step_tcp(gn, f);
		if (done)
			start(gn, f);
	}
	rc = ng_pcap_close(gn->w) == 0 ? 0 : 1;
	free(gn->f);
	free(gn);
	return rc;
}

/* ---- the benchmark ---- */

struct frame {
	int64_t		 ts;
	uint32_t	 caplen, wirelen;
	size_t		 off;
};

struct counts {
	uint64_t	 pkts, txns, anomalies;
};

static void
on_packet(void *ctx, const struct pkt *p)
{
	((struct counts *)ctx)->pkts++;
}

static void
on_txn(void *ctx, const struct pkt *p, const struct txn *t)
{
	((struct counts *)ctx)->txns++;
}

static void
on_anomaly(void *ctx, const struct pkt *p, const char *what)
{
	((struct counts *)ctx)->anomalies++;
}

static double
now_s(clockid_t clk)
{
	struct timespec	ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
load(const char *path, struct frame **fr, size_t *nfr, uint8_t **data,
    int *lt)
{
	char			 err[PCAP_ERRBUF_SIZE];
	pcap_t			*pc;
	struct pcap_pkthdr	*h;
	const uint8_t		*b;
	size_t			 cap = 0, dcap = 0, dlen = 0;
	void			*tmp;

	if ((pc = pcap_open_offline(path, err)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, err);
		return -1;
	}
	*lt = pcap_datalink(pc);
	*fr = NULL;
	*data = NULL;
	*nfr = 0;
	while (pcap_next_ex(pc, &h, &b) == 1) {
		if (*nfr == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((tmp = reallocarray(*fr, cap, sizeof(**fr))) == NULL)
				goto nomem;
			*fr = tmp;
		}
		if (dlen + h->caplen > dcap) {
			dcap = dcap ? dcap * 2 : 1 << 24;
			if (dcap < dlen + h->caplen)
				dcap = dlen + h->caplen;
			if ((tmp = realloc(*data, dcap)) == NULL)
				goto nomem;
			*data = tmp;
		}
		memcpy(*data + dlen, b, h->caplen);
		(*fr)[(*nfr)++] = (struct frame){ (int64_t)h->ts.tv_sec *
		    1000000 + h->ts.tv_usec, h->caplen, h->len, dlen };
		dlen += h->caplen;
	}
	pcap_close(pc);
	return 0;
nomem:
	fprintf(stderr, "out of memory\n");
	pcap_close(pc);
	return -1;
}

static int
run(const char *path, int rounds)
{
	struct netpipe_conf	 c;
	struct netpipe_cb	 cb = { 0 };
	struct netpipe_stats	 st;
	struct counts		 n;
	struct netpipe		*np;
	struct frame		*fr;
	uint8_t			*data;
	size_t			 nfr, i;
	uint64_t		 bytes = 0;
	double			 t0, c0, best = 0, cbest = 0, dt, ct;
	int			 lt, r;

	if (load(path, &fr, &nfr, &data, &lt) != 0)
		return 1;
	for (i = 0; i < nfr; i++)
		bytes += fr[i].wirelen;
	netpipe_conf_defaults(&c);
	cb.ctx = &n;
	cb.packet = on_packet;
	cb.txn = on_txn;
	cb.anomaly = on_anomaly;
	for (r = 0; r < rounds; r++) {
		memset(&n, 0, sizeof(n));
		if ((np = netpipe_new(&c, &cb)) == NULL) {
			fprintf(stderr, "netpipe_new failed\n");
			return 1;
		}
		t0 = now_s(CLOCK_MONOTONIC);
		c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
		for (i = 0; i < nfr; i++)
			netpipe_feed(np, lt, fr[i].ts, data + fr[i].off,
			    fr[i].caplen, fr[i].wirelen);
		ct = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		dt = now_s(CLOCK_MONOTONIC) - t0;
		if (best == 0 || dt < best)
			best = dt;
		if (cbest == 0 || ct < cbest)
			cbest = ct;
		netpipe_stats(np, &st);
		netpipe_free(np);
	}
	printf("%zu packets, %.1f MB, best of %d rounds: %.3f s elapsed, "
	    "%.0f packets/s, %.0f Mbit/s; %.3f s of CPU, %.0f packets/s\n",
	    nfr, (double)bytes / 1e6, rounds, best, (double)nfr / best,
	    (double)bytes * 8 / best / 1e6, cbest, (double)nfr / cbest);
	printf("decoded %" PRIu64 " undecodable %" PRIu64 " flows %" PRIu64
	    " evicted %" PRIu64 "; txns dns %" PRIu64 " tls %" PRIu64
	    " http %" PRIu64 "; anomalies %" PRIu64 " gaps %" PRIu64
	    " depth %" PRIu64 " memcap %" PRIu64 "\n",
	    st.decoded, st.undecodable, st.flows, st.flows_evicted,
	    st.txns[APP_DNS], st.txns[APP_TLS], st.txns[APP_HTTP],
	    n.anomalies, st.stream_gaps,
	    st.stream_depth_reached, st.stream_memcap_hit);
	free(fr);
	free(data);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_netpipe gen N out.pcap [seed [flows]]\n"
	    "       bench_netpipe run file.pcap [rounds]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	char		*end;
	unsigned long	 n, seed = 1, rounds = 3, flows = CONCURRENT;

	if (sodium_init() < 0)
		return 1;
	if (argc >= 4 && strcmp(argv[1], "gen") == 0) {
		n = strtoul(argv[2], &end, 10);
		if (*end != '\0' || n == 0)
			usage();
		if (argc >= 5 && ((seed = strtoul(argv[4], &end, 10)) == 0 ||
		    *end != '\0'))
			usage();
		if (argc >= 6 && ((flows = strtoul(argv[5], &end, 10)) == 0 ||
		    *end != '\0' || flows > 1000000))
			usage();
		return generate(n, argv[3], seed, flows);
	}
	if (argc >= 3 && strcmp(argv[1], "run") == 0) {
		if (argc == 4 && ((rounds = strtoul(argv[3], &end, 10)) == 0 ||
		    *end != '\0' || rounds > 100))
			usage();
		return run(argv[2], (int)rounds);
	}
	usage();
	return 2;
}
