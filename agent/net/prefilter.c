/*
 * prefilter.c: Hyperscan literal databases per slot (prefilter.h).
 *
 * Patterns are compiled with hs_compile_lit_multi (no regex escaping to
 * get wrong), HS_FLAG_SINGLEMATCH (a rule is reported once per scan) and
 * HS_FLAG_CASELESS for nocase. Block mode: every buffer is scanned whole.
 *
 * Cache files are read through the descriptor opened without following
 * links and checked to be a regular file below CACHE_MAX; they are
 * written to a temporary name and renamed, so a reader never sees half a
 * file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs/hs.h>
#include <sodium.h>

#include "err.h"
#include "log.h"
#include "prefilter.h"

#define CACHE_MAX	(512UL << 20)
#define HASH_LEN	16

struct prefilter {
	hs_database_t	*db[RSLOT_COUNT];
};

/*
 * Hyperscan 5.4.0 (Debian 12's libhs5), on a CPU with AVX512VBMI, reads
 * up to 32 bytes past the end of the buffer it scans (its fat Teddy
 * literal matcher: VectorCamp/vectorscan#322, fixed there in 2025, not in
 * Debian 12). Past a heap block that goes unnoticed; past the end of a
 * mapping (the capture ring's last frame, a block at the end of the
 * heap) it faults, and one packet could kill the capture child. So a
 * buffer that starts or ends within PF_GUARD bytes of a page boundary is
 * scanned from a copy between PF_GUARD zero bytes on each side; every
 * other buffer (all but about 3%) as it is. tests/test_prefilter.c scans
 * buffers that end at an unmapped page.
 */
#define PF_GUARD	64
#define PF_PAGE		4096	/* every page boundary is one of these */

struct pf_scratch {
	hs_scratch_t	*s;
	uint8_t		*bounce;	/* the copy, with its guards */
	size_t		 cap;
};

static void
cache_key(char hex[2 * HASH_LEN + 1], uint8_t slot,
    const struct pf_pattern *p, size_t n)
{
	crypto_generichash_state	st;
	uint8_t				h[HASH_LEN], hdr[10];
	const char			*ver = hs_version();
	size_t				i;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)ver, strlen(ver) + 1);
	crypto_generichash_update(&st, &slot, 1);
	for (i = 0; i < n; i++) {
		memcpy(hdr, &p[i].id, 4);
		memcpy(hdr + 4, &p[i].len, 4);
		hdr[8] = p[i].nocase;
		hdr[9] = 0;
		crypto_generichash_update(&st, hdr, sizeof(hdr));
		crypto_generichash_update(&st, p[i].p, p[i].len);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, 2 * HASH_LEN + 1, h, sizeof(h));
}

static int
cache_path(char *out, size_t outlen, const char *dir, const char *hex)
{
	int	n = snprintf(out, outlen, "%s/rules-%s.hsdb", dir, hex);

	return n < 0 || (size_t)n >= outlen ? ERR_TOOBIG : 0;
}

static hs_database_t *
cache_read(const char *path)
{
	hs_database_t	*db = NULL;
	struct stat	 st;
	char		*buf = NULL;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (unsigned long)st.st_size > CACHE_MAX ||
	    (buf = malloc((size_t)st.st_size)) == NULL)
		goto done;
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto done;
		off += (size_t)r;
	}
	if (hs_deserialize_database(buf, off, &db) != HS_SUCCESS)
		db = NULL;
done:
	free(buf);
	close(fd);
	return db;
}

static void
cache_write(const char *path, const hs_database_t *db)
{
	char	*bytes = NULL, tmp[4096];
	size_t	 len, off = 0;
	ssize_t	 w;
	int	 fd, n;
	bool	 ok;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
		return;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		log_warn("rule cache %s", tmp);
		free(bytes);
		return;
	}
	while (off < len) {
		w = write(fd, bytes + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	ok = off == len && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		log_warn("rule cache %s", path);
		unlink(tmp);
	}
	free(bytes);
}

static int
compile(hs_database_t **db, const struct pf_pattern *p, size_t n)
{
	hs_compile_error_t	 *cerr = NULL;
	const char		**expr = NULL;
	unsigned		 *flags = NULL, *ids = NULL;
	size_t			 *lens = NULL, i;
	int			  rc = ERR_NOMEM;

	if (n > UINT32_MAX ||
	    (expr = calloc(n, sizeof(*expr))) == NULL ||
	    (flags = calloc(n, sizeof(*flags))) == NULL ||
	    (ids = calloc(n, sizeof(*ids))) == NULL ||
	    (lens = calloc(n, sizeof(*lens))) == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		expr[i] = (const char *)p[i].p;
		lens[i] = p[i].len;
		ids[i] = p[i].id;
		flags[i] = HS_FLAG_SINGLEMATCH |
		    (p[i].nocase ? HS_FLAG_CASELESS : 0);
	}
	if (hs_compile_lit_multi(expr, flags, ids, lens, (unsigned)n,
	    HS_MODE_BLOCK, NULL, db, &cerr) != HS_SUCCESS) {
		log_warnx("hyperscan: pattern %d: %s", cerr->expression,
		    cerr->message);
		hs_free_compile_error(cerr);
		rc = ERR_MALFORMED;
		goto done;
	}
	rc = 0;
done:
	free(expr);
	free(flags);
	free(ids);
	free(lens);
	return rc;
}

static int
build_slot(hs_database_t **db, uint8_t slot, const struct pf_pattern *p,
    size_t n, const char *cache_dir, bool *cached)
{
	char	hex[2 * HASH_LEN + 1], path[4096];
	int	rc;

	if (cache_dir != NULL) {
		cache_key(hex, slot, p, n);
		if (cache_path(path, sizeof(path), cache_dir, hex) != 0)
			cache_dir = NULL;
		else if ((*db = cache_read(path)) != NULL)
			return 0;
	}
	*cached = false;
	if ((rc = compile(db, p, n)) != 0)
		return rc;
	if (cache_dir != NULL)
		cache_write(path, *db);
	return 0;
}

int
prefilter_build(struct prefilter **out, struct pf_pattern *const *pats,
    const size_t *n, const char *cache_dir, bool *cached)
{
	struct prefilter	*pf;
	uint8_t			 s;
	int			 rc;

	*out = NULL;
	*cached = true;
	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		return ERR_NOMEM;
	for (s = 0; s < RSLOT_COUNT; s++) {
		if (n[s] == 0)
			continue;
		if ((rc = build_slot(&pf->db[s], s, pats[s], n[s], cache_dir,
		    cached)) != 0) {
			prefilter_free(pf);
			return rc;
		}
	}
	*out = pf;
	return 0;
}

void
prefilter_free(struct prefilter *pf)
{
	uint8_t	s;

	if (pf == NULL)
		return;
	for (s = 0; s < RSLOT_COUNT; s++)
		hs_free_database(pf->db[s]);
	free(pf);
}

struct pf_scratch *
prefilter_scratch(const struct prefilter *pf)
{
	struct pf_scratch	*sc;
	uint8_t			 s;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	for (s = 0; s < RSLOT_COUNT; s++)
		if (pf->db[s] != NULL &&
		    hs_alloc_scratch(pf->db[s], &sc->s) != HS_SUCCESS) {
			prefilter_scratch_free(sc);
			return NULL;
		}
	return sc;
}

void
prefilter_scratch_free(struct pf_scratch *sc)
{
	if (sc == NULL)
		return;
	hs_free_scratch(sc->s);
	free(sc->bounce);
	free(sc);
}

static bool
near_page_edge(const uint8_t *p, size_t len)
{
	uintptr_t	a = (uintptr_t)p, e = a + len;

	return (a & (PF_PAGE - 1)) < PF_GUARD ||
	    ((0 - e) & (PF_PAGE - 1)) < PF_GUARD;
}

/* p[0..len) copied between guards in sc's bounce buffer; NULL when it
 * cannot grow. */
static const uint8_t *
bounce(struct pf_scratch *sc, const uint8_t *p, size_t len)
{
	size_t	need = len + 2 * PF_GUARD;
	uint8_t	*b;

	if (need > sc->cap) {
		if ((b = realloc(sc->bounce, need)) == NULL)
			return NULL;
		sc->bounce = b;
		sc->cap = need;
	}
	memset(sc->bounce, 0, PF_GUARD);
	memcpy(sc->bounce + PF_GUARD, p, len);
	memset(sc->bounce + PF_GUARD + len, 0, PF_GUARD);
	return sc->bounce + PF_GUARD;
}

bool
prefilter_has(const struct prefilter *pf, uint8_t slot)
{
	return slot < RSLOT_COUNT && pf->db[slot] != NULL;
}

struct scan_ctx {
	void	(*cb)(void *, uint32_t);
	void	*ctx;
};

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct scan_ctx	*sc = arg;

	sc->cb(sc->ctx, id);
	return 0;
}

int
prefilter_scan(const struct prefilter *pf, struct pf_scratch *sc,
    uint8_t slot, const uint8_t *p, size_t len,
    void (*cb)(void *, uint32_t), void *ctx)
{
	struct scan_ctx	c = { cb, ctx };

	if (!prefilter_has(pf, slot) || len == 0)
		return 0;
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	if (near_page_edge(p, len) && (p = bounce(sc, p, len)) == NULL)
		return -1;
	return hs_scan(pf->db[slot], (const char *)p, (unsigned)len, 0, sc->s,
	    on_match, &c) == HS_SUCCESS ? 0 : -1;
}
