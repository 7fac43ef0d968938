/*
 * hashes.c: throughput of the hashes Debian's libraries offer, for
 * choosing the file integrity hash (issue 4, docs/benchmarks.md).
 *
 *   bench_hashes [SECONDS]
 *
 * Two loads per hash, each run for at least SECONDS (default 1) of CPU
 * time of one thread (rates are bytes per CPU second, so a busy machine
 * does not skew them): one 64 MiB buffer hashed whole (the large-file rate), and the
 * same bytes hashed as 16,384 separate 4 KiB messages with a fresh
 * init/update/final each (the small-file rate, as FIM hashes /etc). The
 * contexts are reused as the FIM workers reuse theirs, so the 4 KiB
 * figure includes per-message setup but no allocation.
 *
 * Candidates: libsodium's crypto_generichash (BLAKE2b-256),
 * crypto_hash_sha256 and crypto_hash_sha512; OpenSSL 3's EVP SHA-256
 * (SHA-NI when the CPU has it), SHA-512 and BLAKE2b-512; and XXH3-128 from
 * libxxhash when libxxhash.so.0 is present (loaded with dlopen, so the
 * project does not link it: XXH3 is not a cryptographic hash and is
 * measured only for scale). Prints one line per hash and whether the CPU
 * advertises sha_ni; OPENSSL_ia32cap=":~0x20000000" masks SHA-NI to show
 * what an older CPU gets.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <sodium.h>

#define BIG_LEN		(64u * 1024 * 1024)
#define SMALL_LEN	4096u

struct xxh128 {
	uint64_t	 low64, high64;
};

struct algo {
	const char	*name;
	const char	*lib;
	/* hash in[len] into out (at most 64 bytes); 0 or -1 */
	int		(*fn)(const struct algo *, uint8_t *out, const uint8_t *in,
			    size_t len);
	const char	*ossl_name;	/* OpenSSL digests */
	EVP_MD		*md;
	EVP_MD_CTX	*ctx;
	struct xxh128	(*xxh3_128)(const void *, size_t);
};

/* CPU time of this thread: the figures stay meaningful on a busy
 * machine (wall time would count the other processes' turns). */
static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
h_blake2b(const struct algo *a, uint8_t *out, const uint8_t *in, size_t len)
{
	return crypto_generichash(out, 32, in, len, NULL, 0);
}

static int
h_sha256(const struct algo *a, uint8_t *out, const uint8_t *in, size_t len)
{
	return crypto_hash_sha256(out, in, len);
}

static int
h_sha512(const struct algo *a, uint8_t *out, const uint8_t *in, size_t len)
{
	return crypto_hash_sha512(out, in, len);
}

static int
h_ossl(const struct algo *a, uint8_t *out, const uint8_t *in, size_t len)
{
	unsigned int	 olen;

	if (EVP_DigestInit_ex2(a->ctx, a->md, NULL) != 1 ||
	    EVP_DigestUpdate(a->ctx, in, len) != 1 ||
	    EVP_DigestFinal_ex(a->ctx, out, &olen) != 1)
		return -1;
	return 0;
}

static int
h_xxh3(const struct algo *a, uint8_t *out, const uint8_t *in, size_t len)
{
	struct xxh128	h = a->xxh3_128(in, len);

	memcpy(out, &h, sizeof(h));
	return 0;
}

/* Bytes per second over at least secs, hashing buf in pieces of chunk. */
static double
rate(const struct algo *a, const uint8_t *buf, size_t chunk, double secs)
{
	uint8_t	 out[64];
	double	 t0, t;
	size_t	 off;
	uint64_t bytes = 0;

	t0 = now_s();
	do {
		for (off = 0; off + chunk <= BIG_LEN; off += chunk)
			if (a->fn(a, out, buf + off, chunk) != 0) {
				fprintf(stderr, "%s: hash failed\n", a->name);
				exit(1);
			}
		bytes += BIG_LEN;
		t = now_s() - t0;
	} while (t < secs);
	return (double)bytes / t;
}

static int
cpu_has_sha_ni(void)
{
	FILE	*f;
	char	 line[8192];
	int	 yes = 0;

	if ((f = fopen("/proc/cpuinfo", "r")) == NULL)
		return 0;
	while (!yes && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "flags", 5) == 0)
			yes = strstr(line, " sha_ni") != NULL;
	fclose(f);
	return yes;
}

static int
setup(struct algo *a)
{
	void	*lib;

	if (a->ossl_name != NULL) {
		if ((a->md = EVP_MD_fetch(NULL, a->ossl_name, NULL)) == NULL ||
		    (a->ctx = EVP_MD_CTX_new()) == NULL)
			return -1;
	}
	if (a->fn == h_xxh3) {
		/* not linked: the library and its symbol are optional */
		if ((lib = dlopen("libxxhash.so.0", RTLD_NOW)) == NULL)
			return -1;
		*(void **)&a->xxh3_128 = dlsym(lib, "XXH3_128bits");
		if (a->xxh3_128 == NULL)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct algo	 algos[] = {
		{ "BLAKE2b-256", "libsodium", h_blake2b, NULL, NULL, NULL, NULL },
		{ "SHA-256", "libsodium", h_sha256, NULL, NULL, NULL, NULL },
		{ "SHA-512", "libsodium", h_sha512, NULL, NULL, NULL, NULL },
		{ "SHA-256", "OpenSSL", h_ossl, "SHA256", NULL, NULL, NULL },
		{ "SHA-512", "OpenSSL", h_ossl, "SHA512", NULL, NULL, NULL },
		{ "BLAKE2b-512", "OpenSSL", h_ossl, "BLAKE2B-512", NULL, NULL,
		    NULL },
		{ "XXH3-128 (not cryptographic)", "libxxhash", h_xxh3, NULL,
		    NULL, NULL, NULL },
	};
	uint8_t		*buf;
	double		 secs = 1.0, big, small;
	char		*end;
	size_t		 i;

	if (argc > 1) {
		secs = strtod(argv[1], &end);
		if (*end != '\0' || secs <= 0 || secs > 600) {
			fprintf(stderr, "usage: bench_hashes [SECONDS]\n");
			return 2;
		}
	}
	if (sodium_init() < 0 || (buf = malloc(BIG_LEN)) == NULL)
		return 1;
	randombytes_buf(buf, BIG_LEN);
	printf("cpu sha_ni: %s; OPENSSL_ia32cap=%s\n",
	    cpu_has_sha_ni() ? "yes" : "no",
	    getenv("OPENSSL_ia32cap") ? getenv("OPENSSL_ia32cap") : "(unset)");
	printf("%-30s %-10s %14s %14s\n", "hash", "library", "64 MiB GB/s",
	    "4 KiB GB/s");
	for (i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
		if (setup(&algos[i]) != 0) {
			printf("%-30s %-10s %14s %14s\n", algos[i].name,
			    algos[i].lib, "n/a", "n/a");
			continue;
		}
		big = rate(&algos[i], buf, BIG_LEN, secs);
		small = rate(&algos[i], buf, SMALL_LEN, secs);
		printf("%-30s %-10s %14.2f %14.2f\n", algos[i].name,
		    algos[i].lib, big / 1e9, small / 1e9);
		EVP_MD_CTX_free(algos[i].ctx);
		EVP_MD_free(algos[i].md);
	}
	free(buf);
	return 0;
}
