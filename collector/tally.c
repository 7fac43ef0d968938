/*
 * tally.c: rows counted by a key of SQLite values (tally.h).
 *
 * The groups sit in an array in the order first seen; an open-addressing
 * table of their indexes (linear probing, a power of two, at most half
 * full) finds them by the SipHash of their key's bytes. A key's bytes
 * are its values serialized (storage class, then 8 bytes for a number,
 * or an 8-byte length and the bytes for text or a blob): equal bytes,
 * equal key. Cost: O(key bytes) per row; memory: the groups' keys twice
 * (bytes and values) and 8 bytes per slot.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "tally.h"

struct group {
	sqlite3_value	*v[TALLY_KEYS_MAX];
	uint8_t		*key;		/* serialized, keylen bytes */
	size_t		 keylen;
	uint64_t	 hash, n;
};

struct tally {
	size_t		 nkeys;
	struct group	*g;
	size_t		 ng, gcap;
	size_t		*slot;		/* group index + 1; 0: empty */
	size_t		 nslot;		/* a power of two */
	uint8_t		*buf;		/* the row's key, serialized */
	size_t		 buflen, bufcap;
	uint8_t		 hkey[crypto_shorthash_KEYBYTES];
};

int
tally_new(struct tally **out, size_t nkeys)
{
	struct tally	*t;

	*out = NULL;
	if (nkeys == 0 || nkeys > TALLY_KEYS_MAX)
		return ERR_MALFORMED;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	t->nkeys = nkeys;
	t->nslot = 64;
	if ((t->slot = calloc(t->nslot, sizeof(*t->slot))) == NULL) {
		free(t);
		return ERR_NOMEM;
	}
	randombytes_buf(t->hkey, sizeof(t->hkey));
	*out = t;
	return 0;
}

void
tally_free(struct tally *t)
{
	size_t	i, k;

	if (t == NULL)
		return;
	for (i = 0; i < t->ng; i++) {
		for (k = 0; k < t->nkeys; k++)
			sqlite3_value_free(t->g[i].v[k]);
		free(t->g[i].key);
	}
	free(t->g);
	free(t->slot);
	free(t->buf);
	free(t);
}

static int
buf_put(struct tally *t, const void *p, size_t len)
{
	uint8_t	*nb;
	size_t	 cap;

	if (len > SIZE_MAX / 2 - t->buflen)	/* Catch size_t overflow */
		return ERR_NOMEM;
	if (t->buflen + len > t->bufcap) {
		for (cap = t->bufcap ? t->bufcap : 256; cap < t->buflen + len;
		    cap *= 2)
			;
		if ((nb = realloc(t->buf, cap)) == NULL)
			return ERR_NOMEM;
		t->buf = nb;
		t->bufcap = cap;
	}
	if (len > 0)
		memcpy(t->buf + t->buflen, p, len);
	t->buflen += len;
	return 0;
}

/* One value's bytes: its class, then its number or its length and
 * bytes (sqlite3_value_bytes after the text or blob, as SQLite asks). */
static int
put_value(struct tally *t, sqlite3_value *v)
{
	uint8_t		 cls = (uint8_t)sqlite3_value_type(v);
	const void	*p = NULL;
	uint64_t	 len;
	int64_t		 i;
	double		 d;
	int		 rc;

	if ((rc = buf_put(t, &cls, 1)) != 0)
		return rc;
	switch (cls) {
	case SQLITE_INTEGER:
		i = sqlite3_value_int64(v);
		return buf_put(t, &i, sizeof(i));
	case SQLITE_FLOAT:
		d = sqlite3_value_double(v);
		return buf_put(t, &d, sizeof(d));
	case SQLITE_TEXT:
		p = sqlite3_value_text(v);
		break;
	case SQLITE_BLOB:
		p = sqlite3_value_blob(v);
		break;
	default:
		return 0;
	}
	len = (uint64_t)sqlite3_value_bytes(v);
	if (p == NULL && len > 0)
		return ERR_NOMEM;	/* SQLite could not convert it */
	if ((rc = buf_put(t, &len, sizeof(len))) != 0)
		return rc;
	return buf_put(t, p, (size_t)len);
}

static uint64_t
hash_bytes(const struct tally *t, const uint8_t *p, size_t len)
{
	uint8_t		h[crypto_shorthash_BYTES];
	uint64_t	v;

	crypto_shorthash(h, p, len, t->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

/* The slot of the key in t->buf: its group's, or the empty one where it
 * would go. */
static size_t *
find_slot(const struct tally *t, uint64_t hash)
{
	size_t		 i = (size_t)hash & (t->nslot - 1);
	const struct group *g;

	for (;; i = (i + 1) & (t->nslot - 1)) {
		if (t->slot[i] == 0)
			return &t->slot[i];
		g = &t->g[t->slot[i] - 1];
		if (g->hash == hash && g->keylen == t->buflen &&
		    memcmp(g->key, t->buf, t->buflen) == 0)
			return &t->slot[i];
	}
}

/* Twice the slots, every group placed again. */
static int
grow_slots(struct tally *t)
{
	size_t	*ns, n, i, j;

	if (t->nslot > SIZE_MAX / 2 / sizeof(*ns))
		return ERR_NOMEM;
	n = t->nslot * 2;
	if ((ns = calloc(n, sizeof(*ns))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < t->ng; i++) {
		for (j = (size_t)t->g[i].hash & (n - 1); ns[j] != 0;
		    j = (j + 1) & (n - 1))
			;
		ns[j] = i + 1;
	}
	free(t->slot);
	t->slot = ns;
	t->nslot = n;
	return 0;
}

/* A new group for the key in t->buf, at t->g[t->ng] (not counted in
 * t->ng yet). */
static int
group_new(struct tally *t, sqlite3_value *const *v, uint64_t hash)
{
	struct group	*g;
	size_t		 cap, k;

	if (t->ng == t->gcap) {
		cap = t->gcap ? t->gcap * 2 : 64;
		if ((g = reallocarray(t->g, cap, sizeof(*g))) == NULL)
			return ERR_NOMEM;
		t->g = g;
		t->gcap = cap;
	}
	g = &t->g[t->ng];
	memset(g, 0, sizeof(*g));
	if ((g->key = malloc(t->buflen ? t->buflen : 1)) == NULL)
		return ERR_NOMEM;
	for (k = 0; k < t->nkeys; k++)
		if ((g->v[k] = sqlite3_value_dup(v[k])) == NULL)
			goto fail;
	memcpy(g->key, t->buf, t->buflen);
	g->keylen = t->buflen;
	g->hash = hash;
	return 0;
fail:
	for (k = 0; k < t->nkeys; k++)
		sqlite3_value_free(g->v[k]);
	free(g->key);
	return ERR_NOMEM;
}

int
tally_add(struct tally *t, sqlite3_value *const *v, uint64_t n)
{
	size_t		*slot;
	uint64_t	 hash;
	size_t		 k;
	int		 rc;

	t->buflen = 0;
	for (k = 0; k < t->nkeys; k++)
		if ((rc = put_value(t, v[k])) != 0)
			return rc;
	hash = hash_bytes(t, t->buf, t->buflen);
	if (*(slot = find_slot(t, hash)) != 0) {
		t->g[*slot - 1].n += n;
		return 0;
	}
	if ((rc = group_new(t, v, hash)) != 0)
		return rc;
	t->g[t->ng].n = n;
	*slot = ++t->ng;
	/* at most half full (slot is stale after this) */
	return t->ng * 2 > t->nslot ? grow_slots(t) : 0;
}

size_t
tally_count(const struct tally *t)
{
	return t->ng;
}

sqlite3_value *const *
tally_key(const struct tally *t, size_t i)
{
	return t->g[i].v;
}

uint64_t
tally_n(const struct tally *t, size_t i)
{
	return t->g[i].n;
}
