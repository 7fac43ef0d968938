/*
 * rulesload.c: how long a rule set takes to load, compiled and from the
 * Hyperscan cache, and how fast the engine goes through payloads that
 * match nothing much (tests/bench/etopen.sh runs it).
 *
 *   bench_rulesload CACHE_DIR PACKETS RULES...
 *
 * Prints one line per load (seconds, loaded, skipped, from_cache), then
 * the packets per second for PACKETS TCP packets of 1,200 pseudo-random
 * printable bytes to port 80 and as many DNS transactions.
 */
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect.h"

static void
on_alert(void *ctx, const struct pkt *p, const struct net_alert *a)
{
	(*(unsigned long *)ctx)++;
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct ruleset_opts	 o = { 0 };
	struct ruleset_stats	 st;
	struct ruleset		*rs = NULL;
	struct detect		*d;
	struct pkt		 p = { 0 };
	struct txn		 t = { 0 };
	static uint8_t		 pay[1200];
	unsigned long		 alerts = 0, n, i, j, seed = 1;
	char			 name[64];
	double			 t0;
	int			 k;

	if (argc < 4 || (n = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: bench_rulesload CACHE_DIR PACKETS "
		    "RULES...\n");
		return 2;
	}
	o.cache_dir = argv[1];
	for (k = 0; k < 2; k++) {
		ruleset_free(rs);
		if (ruleset_load(&rs, (const char *const *)argv + 3,
		    (size_t)argc - 3, &o, &st) != 0)
			return 1;
		printf("load %.3f s: %u loaded, %u skipped, from_cache %s\n",
		    st.load_seconds, st.loaded, st.skipped,
		    st.from_cache ? "yes" : "no");
	}
	if ((d = detect_new(rs, on_alert, &alerts)) == NULL)
		return 1;
	p.ipver = 4;
	p.src.family = p.dst.family = 4;
	memcpy(p.src.a, "\xc0\xa8\x01\x02", 4);
	memcpy(p.dst.a, "\x5d\xb8\xd8\x22", 4);
	p.proto = IPPROTO_TCP;
	p.sport = 40000;
	p.dport = 80;
	p.flow_id = 1;
	p.flow_state = FLOW_ESTABLISHED;
	p.payload = pay;
	p.payload_len = sizeof(pay);
	t0 = now();
	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof(pay); j++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			pay[j] = (uint8_t)(' ' + (seed >> 33) % 95);
		}
		detect_packet(d, &p);
	}
	printf("packets: %.0f/s (%lu alerts)\n", (double)n / (now() - t0),
	    alerts);
	t.app = APP_DNS;
	p.proto = IPPROTO_UDP;
	p.dport = 53;
	alerts = 0;
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "host%lu.example%lu.com", i, i % 97);
		t.buf[NB_DNS_QUERY] = (const uint8_t *)name;
		t.len[NB_DNS_QUERY] = strlen(name);
		detect_txn(d, &p, &t);
	}
	printf("dns transactions: %.0f/s (%lu alerts)\n",
	    (double)n / (now() - t0), alerts);
	detect_free(d);
	ruleset_free(rs);
	return 0;
}
