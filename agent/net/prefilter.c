/*
 * prefilter.c: Hyperscan literal databases per slot (prefilter.h).
 *
 * Patterns are compiled with hs_compile_lit_multi (no regex escaping to
 * get wrong), HS_FLAG_SINGLEMATCH (a rule is reported once per scan) and
 * HS_FLAG_CASELESS for nocase. Block mode: every buffer is scanned whole.
 *
 * The compiled databases are kept in a set's file (netcache.h), read
 * and written through the descriptors the loader is handed: it never
 * names a file, so it may run with no access to the cache's folder.
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

#include "cursor.h"
#include "err.h"
#include "log.h"
#include "netcache.h"
#include "prefilter.h"

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

/* What a slot's database is compiled from: its patterns, flags and ids,
 * and the Hyperscan version. */
static void
slot_hash(uint8_t h[static HASH_LEN], uint8_t slot,
    const struct pf_pattern *p, size_t n)
{
	crypto_generichash_state	st;
	uint8_t				hdr[10];
	const char			*ver = hs_version();
	size_t				i;

	crypto_generichash_init(&st, NULL, 0, HASH_LEN);
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
	crypto_generichash_final(&st, h, HASH_LEN);
}

const char *
prefilter_engine(void)
{
	return hs_version();
}

/* ---- a set's file ---- */

/*
 * SET_MAGIC, then per slot compiled: the slot (1 byte), its slot_hash
 * (HASH_LEN), the length of the database (4 bytes, little-endian) and
 * hs_serialize_database's bytes. Written by a loader that compiled, read
 * by the next one of the same key (netcache.h), who trusts no length in
 * it and uses a slot's database only when its hash is that of the
 * patterns it has now: a set written by another build of the rule
 * parser is compiled over, not misused.
 */
#define SET_MAGIC	"vigil-netdb-1\n"
#define SET_MAGIC_LEN	(sizeof(SET_MAGIC) - 1)

struct set_rec {
	const uint8_t	*hash;		/* NULL: the slot is not in the set */
	const uint8_t	*db;
	uint32_t	 len;
};

/* 0, or ERR_MALFORMED. */
static int
set_parse(struct set_rec rec[static RSLOT_COUNT], const uint8_t *p,
    size_t len)
{
	struct cur	 c = cur_make(p, len);
	const uint8_t	*magic;
	uint8_t		 slot;

	memset(rec, 0, RSLOT_COUNT * sizeof(*rec));
	if ((magic = cur_take(&c, SET_MAGIC_LEN)) == NULL ||
	    memcmp(magic, SET_MAGIC, SET_MAGIC_LEN) != 0)
		return ERR_MALFORMED;
	while (cur_left(&c) > 0) {
		slot = cur_u8(&c);
		if (!cur_ok(&c) || slot >= RSLOT_COUNT ||
		    rec[slot].hash != NULL)
			return ERR_MALFORMED;
		rec[slot].hash = cur_take(&c, HASH_LEN);
		rec[slot].len = cur_le32(&c);
		rec[slot].db = cur_take(&c, rec[slot].len);
		if (!cur_ok(&c) || rec[slot].len == 0)
			return ERR_MALFORMED;
	}
	return 0;
}

/* The whole of fd, at most NETCACHE_FILE_MAX bytes; NULL if not. */
static uint8_t *
set_read(int fd, size_t *len)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 r;
	size_t		 off = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (unsigned long)st.st_size > NETCACHE_FILE_MAX ||
	    (buf = malloc((size_t)st.st_size)) == NULL)
		return NULL;
	while (off < (size_t)st.st_size) {
		r = pread(fd, buf + off, (size_t)st.st_size - off, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return NULL;
		}
		off += (size_t)r;
	}
	*len = off;
	return buf;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (len > 0) {
		if ((w = write(fd, b, len)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ERR_IO;
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
set_write_slot(int fd, uint8_t slot, const uint8_t hash[static HASH_LEN],
    const hs_database_t *db)
{
	char	*bytes = NULL;
	size_t	 len;
	uint8_t	 le[4];
	int	 rc = ERR_IO;

	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS ||
	    len == 0 || len > NETCACHE_FILE_MAX)
		goto done;
	le[0] = (uint8_t)len;
	le[1] = (uint8_t)(len >> 8);
	le[2] = (uint8_t)(len >> 16);
	le[3] = (uint8_t)(len >> 24);
	if (write_all(fd, &slot, 1) == 0 &&
	    write_all(fd, hash, HASH_LEN) == 0 &&
	    write_all(fd, le, sizeof(le)) == 0)
		rc = write_all(fd, bytes, len);
done:
	free(bytes);
	return rc;
}

/* Best effort: the set not saved costs a compile next time. */
static void
set_write(int fd, const struct prefilter *pf,
    const uint8_t hash[RSLOT_COUNT][HASH_LEN])
{
	uint8_t	s;
	int	rc;

	if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		goto fail;
	rc = write_all(fd, SET_MAGIC, SET_MAGIC_LEN);
	for (s = 0; s < RSLOT_COUNT && rc == 0; s++)
		if (pf->db[s] != NULL)
			rc = set_write_slot(fd, s, hash[s], pf->db[s]);
	if (rc == 0 && fsync(fd) == 0)
		return;
fail:
	log_warn("rule cache: the compiled rules not saved");
	(void)ftruncate(fd, 0);		/* an empty file is not kept */
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

/* A slot's database from the set read, else compiled (*cached false). */
static int
build_slot(hs_database_t **db, const struct set_rec *rec,
    const uint8_t hash[static HASH_LEN], const struct pf_pattern *p,
    size_t n, bool *cached)
{
	if (rec->hash != NULL && memcmp(rec->hash, hash, HASH_LEN) == 0 &&
	    hs_deserialize_database((const char *)rec->db, rec->len, db) ==
	    HS_SUCCESS)
		return 0;
	*db = NULL;
	*cached = false;
	return compile(db, p, n);
}

int
prefilter_build(struct prefilter **out, struct pf_pattern *const *pats,
    const size_t *n, const struct netcache_fds *cache, bool *cached)
{
	struct prefilter	*pf;
	struct set_rec		 rec[RSLOT_COUNT];
	uint8_t			 hash[RSLOT_COUNT][HASH_LEN];
	uint8_t			*set = NULL;
	size_t			 setlen = 0;
	uint8_t			 s;
	int			 rc = ERR_NOMEM;

	*out = NULL;
	*cached = true;
	memset(rec, 0, sizeof(rec));
	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		return ERR_NOMEM;
	if (cache != NULL && cache->in != -1 &&
	    (set = set_read(cache->in, &setlen)) != NULL &&
	    set_parse(rec, set, setlen) != 0)
		log_warnx("rule cache: a compiled set that does not parse; "
		    "compiling");
	for (s = 0; s < RSLOT_COUNT; s++) {
		if (n[s] == 0)
			continue;
		slot_hash(hash[s], s, pats[s], n[s]);
		if ((rc = build_slot(&pf->db[s], &rec[s], hash[s], pats[s],
		    n[s], cached)) != 0)
			goto fail;
	}
	free(set);
	if (!*cached && cache != NULL && cache->out != -1)
		set_write(cache->out, pf, (const uint8_t (*)[HASH_LEN])hash);
	*out = pf;
	return 0;
fail:
	free(set);
	prefilter_free(pf);
	return rc;
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
