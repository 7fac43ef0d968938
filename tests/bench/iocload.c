/*
 * iocload.c: load time, memory and lookup cost of the indicator lists
 * (agent/net/ioc.c) at a million entries.
 *
 *   bench_iocload [ENTRIES] [FOLDER]
 *
 * Writes a list of ENTRIES (default 1,000,000) lines to FOLDER (default
 * /tmp) as a feed might hold them: 40% domains (2 to 4 labels, a tenth
 * upper case), 25% IPv4 addresses, 5% IPv4 ranges (/16 to /30), 5% IPv6
 * addresses and ranges, 10% URLs, 15% SHA-256 hashes, some with notes;
 * then loads it (wall and CPU time, and the growth of the peak RSS) and
 * times a million lookups of each kind (domains: half of them hits; the
 * others random, mostly misses), their inputs made beforehand. The random
 * generator is fixed: the same list every run. The file is removed.
 */
#include <sys/resource.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ioc.h"

#define LOOKUPS		1000000
#define NAME_LEN	80

static uint64_t	seed = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed >> 16);
}

static double
now(clockid_t c)
{
	struct timespec	ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
maxrss_kb(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void
label(char *out, size_t len, uint32_t r)
{
	static const char	al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t			i;

	for (i = 0; i + 1 < len; i++) {
		out[i] = al[r % 36];
		r = r / 36 + rnd();
	}
	out[len - 1] = '\0';
}

/* The i-th domain of the list (also what the lookups derive from). */
static void
domain(char *out, size_t cap, uint64_t i)
{
	char		a[12], b[10];
	uint64_t	s = seed;

	seed = i * 0x2545f4914f6cdd1dULL + 1;
	label(a, 4 + rnd() % 8, rnd());
	label(b, 3 + rnd() % 6, rnd());
	snprintf(out, cap, "%s.%s.%s", a, b, i % 3 ? "com" : "vn");
	seed = s;
}

static int
write_list(const char *path, uint64_t n, uint64_t *ndom)
{
	FILE		*f;
	char		 d[64];
	uint64_t	 i;
	uint32_t	 k;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "# bench list\n");
	for (i = 0; i < n; i++) {
		k = rnd() % 100;
		if (k < 40) {
			domain(d, sizeof(d), (*ndom)++);
			fprintf(f, "%s%s\n", d, k < 4 ? " # phishing" : "");
		} else if (k < 65)
			fprintf(f, "%u.%u.%u.%u\n", 1 + rnd() % 223,
			    rnd() % 256, rnd() % 256, rnd() % 256);
		else if (k < 70)
			fprintf(f, "%u.%u.%u.0/%u\n", 1 + rnd() % 223,
			    rnd() % 256, rnd() % 256, 16 + rnd() % 15);
		else if (k < 75)
			fprintf(f, "2001:db8:%x:%x::%x%s\n", rnd() % 65536,
			    rnd() % 65536, rnd() % 65536, k < 72 ? "/64" : "");
		else if (k < 85) {
			domain(d, sizeof(d), UINT32_MAX + i);
			fprintf(f, "http://%s/p/%u.php?id=%u\n", d, rnd(),
			    rnd() % 100);
		} else
			fprintf(f, "%08x%08x%08x%08x%08x%08x%08x%08x\n", rnd(),
			    rnd(), rnd(), rnd(), rnd(), rnd(), rnd(), rnd());
	}
	return fclose(f) == 0 ? 0 : -1;
}

static void
report(const char *what, double t0, unsigned hits)
{
	double	dt = now(CLOCK_MONOTONIC) - t0;

	printf("  %-28s %7.1f ns/lookup  (%u hits)\n", what,
	    dt * 1e9 / LOOKUPS, hits);
}

/* Names to look up: "www.cdn-N." before a listed domain (odd i) or one
 * that is not listed (even i); made before the clock starts. */
static char *
names(uint64_t ndom)
{
	char		*q, d[64];
	unsigned	 i;

	if ((q = calloc(LOOKUPS, NAME_LEN)) == NULL)
		return NULL;
	for (i = 0; i < LOOKUPS; i++) {
		domain(d, sizeof(d), i % 2 ? rnd() % ndom : ndom + i);
		snprintf(q + (size_t)i * NAME_LEN, NAME_LEN, "www.cdn-%u.%s",
		    i % 7, d);
	}
	return q;
}

static void
lookups(const struct iocdb *db, const char *q)
{
	struct naddr	 a;
	uint8_t		*r;
	const char	*n;
	unsigned	 hits, i;
	double		 t0;

	if ((r = malloc((size_t)LOOKUPS * 32)) == NULL)
		return;
	for (i = 0; i < LOOKUPS * 32; i++)
		r[i] = (uint8_t)rnd();
	for (hits = 0, i = 0, t0 = now(CLOCK_MONOTONIC); i < LOOKUPS; i++) {
		n = q + (size_t)i * NAME_LEN;
		hits += ioc_match_domain(db, n, strlen(n), NULL);
	}
	report("domain (5 labels, half hits)", t0, hits);
	for (hits = 0, i = 0, t0 = now(CLOCK_MONOTONIC); i < LOOKUPS; i++) {
		a = (struct naddr){ .family = 4 };
		memcpy(a.a, r + (size_t)i * 32, 4);
		hits += ioc_match_addr(db, &a, NULL);
	}
	report("IPv4 address (random)", t0, hits);
	for (hits = 0, i = 0, t0 = now(CLOCK_MONOTONIC); i < LOOKUPS; i++) {
		a = (struct naddr){ .family = 6, .a = { 0x20, 0x01, 0x0d,
		    0xb8 } };
		memcpy(a.a + 4, r + (size_t)i * 32, 12);
		hits += ioc_match_addr(db, &a, NULL);
	}
	report("IPv6 address (2001:db8::/32)", t0, hits);
	for (hits = 0, i = 0, t0 = now(CLOCK_MONOTONIC); i < LOOKUPS; i++) {
		n = q + (size_t)i * NAME_LEN + 11;
		hits += ioc_match_url(db, n, strlen(n), "/p/1234.php?id=5", 16,
		    NULL);
	}
	report("URL (misses)", t0, hits);
	for (hits = 0, i = 0, t0 = now(CLOCK_MONOTONIC); i < LOOKUPS; i++)
		hits += ioc_match_sha256(db, r + (size_t)i * 32, NULL);
	report("SHA-256 (misses)", t0, hits);
	free(r);
}

int
main(int argc, char **argv)
{
	struct ioc_stats	 st;
	struct iocdb		*db;
	const char		*dir = argc > 2 ? argv[2] : "/tmp";
	const char		*paths[1];
	char			 path[4096], *q;
	uint64_t		 n = argc > 1 ? strtoull(argv[1], NULL, 10) :
				    1000000, ndom = 0;
	double			 w0, c0;
	long			 rss0;

	snprintf(path, sizeof(path), "%s/bench-ioc.%d.txt", dir, getpid());
	if (n == 0 || write_list(path, n, &ndom) != 0) {
		fprintf(stderr, "usage: bench_iocload [ENTRIES] [FOLDER]\n");
		return 1;
	}
	paths[0] = path;
	rss0 = maxrss_kb();
	w0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	if (iocdb_load(&db, paths, 1, NULL, NULL, &st) != 0) {
		unlink(path);
		fprintf(stderr, "load failed\n");
		return 1;
	}
	printf("load %llu lines: %.3f s wall, %.3f s CPU, peak RSS +%ld MiB\n",
	    (unsigned long long)n, now(CLOCK_MONOTONIC) - w0,
	    now(CLOCK_PROCESS_CPUTIME_ID) - c0, (maxrss_kb() - rss0) / 1024);
	printf("  kept: %llu ip, %llu cidr, %llu domain, %llu url, "
	    "%llu sha256; %llu duplicates, %llu bad\n",
	    (unsigned long long)st.ips, (unsigned long long)st.cidrs,
	    (unsigned long long)st.domains, (unsigned long long)st.urls,
	    (unsigned long long)st.hashes, (unsigned long long)st.duplicates,
	    (unsigned long long)st.bad_lines);
	unlink(path);
	if ((q = names(ndom)) == NULL)
		return 1;
	lookups(db, q);
	free(q);
	iocdb_free(db);
	return 0;
}
