/*
 * noise.c: Noise_IK_25519_ChaChaPoly_BLAKE2b (Noise Protocol Framework,
 * revision 34) from libsodium primitives. The agent is the initiator, the
 * collector the responder; see noise.h for the message flow.
 *
 * Primitives, exactly as the spec names them:
 *   HASH	BLAKE2b-512 (crypto_generichash_blake2b, outlen 64), HASHLEN 64,
 *		BLOCKLEN 128
 *   HMAC	RFC 2104 over HASH with 128-byte blocks; libsodium has none
 *		for BLAKE2b, so it is built here. Keys are always HASHLEN.
 *   HKDF	Noise's two-output HKDF over that HMAC
 *   DH		X25519 (crypto_scalarmult); a low-order peer point makes it
 *		fail, which is ERR_AUTH
 *   AEAD	ChaCha20-Poly1305 IETF, nonce = 4 zero bytes || LE64(n),
 *		associated data = h
 *
 * Invariants:
 * - state only moves forward: START -> MID (first message done) -> DONE,
 *   or to DEAD from anywhere on any failure. DEAD is terminal and holds no
 *   secrets; every call on it fails with ERR_STATE.
 * - In IK the first token that encrypts (s in message 1) follows es, so
 *   EncryptAndHash/DecryptAndHash always have a key; there is no
 *   "empty k" case to handle. The nonce never exceeds 1 before the next
 *   MixKey resets it.
 * - Untrusted bytes (the peer's message) are read only through struct rd,
 *   after the exact length check. Payload output is written only by the
 *   AEAD, which leaves it zeroed when the tag does not verify.
 * - On DONE the ephemeral and static private keys, ck and the handshake
 *   cipher key are wiped; only the split keys and h stay, until free.
 *
 * Load: one handshake per agent connection. Each side does about six
 * X25519 operations (key checks, ephemeral, four DHs) and a few dozen
 * BLAKE2b compressions: a few hundred microseconds, so a collector
 * restart with thousands of reconnecting agents costs about a second of
 * CPU. No allocation beyond the object itself.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "noise.h"

#define HASHLEN		64
#define BLOCKLEN	128
#define DHLEN		32
#define CIPHERKEYLEN	32
#define NONCELEN	crypto_aead_chacha20poly1305_IETF_NPUBBYTES
#define PROTOCOL_NAME	"Noise_IK_25519_ChaChaPoly_BLAKE2b"

enum hs_role { ROLE_INITIATOR, ROLE_RESPONDER };
enum hs_state { HS_START, HS_MID, HS_DONE, HS_DEAD };

/* Noise's CipherState and SymmetricState in one. */
struct symstate {
	uint8_t		ck[HASHLEN];		/* chaining key */
	uint8_t		h[HASHLEN];		/* handshake hash */
	uint8_t		k[CIPHERKEYLEN];	/* set by the first MixKey */
	uint64_t	n;			/* 0 or 1 during a handshake */
};

struct noise_hs {
	enum hs_role	role;
	enum hs_state	state;
	int		have_e;		/* e set (injected or generated) */
	struct symstate	ss;
	uint8_t		s_pub[DHLEN];
	uint8_t		s_priv[DHLEN];
	uint8_t		e_pub[DHLEN];
	uint8_t		e_priv[DHLEN];
	uint8_t		rs[DHLEN];	/* valid: initiator always; responder
					 * after message 1 */
	uint8_t		re[DHLEN];
	uint8_t		tx[CIPHERKEYLEN];	/* valid in HS_DONE */
	uint8_t		rx[CIPHERKEYLEN];
};

/* Cursor over an untrusted message; the error sticks. */
struct rd {
	const uint8_t	*p;
	size_t		 len;
	int		 err;
};

struct chunk {
	const uint8_t	*p;
	size_t		 len;
};

static const uint8_t *
rd_take(struct rd *r, size_t n)
{
	const uint8_t	*p;

	if (r->err || r->len < n) {
		r->err = ERR_MALFORMED;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->len -= n;
	return p;
}

/* HASH(c[0] || ... || c[n-1]). Can only fail on a libsodium misuse, which
 * fixed lengths rule out; fail closed anyway. */
static int
hash_v(uint8_t out[static HASHLEN], const struct chunk *c, size_t n)
{
	crypto_generichash_blake2b_state	st;
	size_t					i;
	int					r;

	r = crypto_generichash_blake2b_init(&st, NULL, 0, HASHLEN);
	for (i = 0; i < n && r == 0; i++)
		if (c[i].len > 0)
			r = crypto_generichash_blake2b_update(&st, c[i].p,
			    c[i].len);
	if (r == 0)
		r = crypto_generichash_blake2b_final(&st, out, HASHLEN);
	sodium_memzero(&st, sizeof(st));
	return r == 0 ? 0 : ERR_AUTH;
}

/* HMAC-BLAKE2b(key, d1 || d2) with a HASHLEN-byte key (ck or an HKDF
 * temp key; both are always HASHLEN). */
static int
hmac(uint8_t out[static HASHLEN], const uint8_t key[static HASHLEN],
    const uint8_t *d1, size_t d1len, const uint8_t *d2, size_t d2len)
{
	uint8_t		pad[BLOCKLEN], inner[HASHLEN];
	struct chunk	c[3];
	size_t		i;
	int		rc;

	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < HASHLEN; i++)
		pad[i] ^= key[i];
	c[0] = (struct chunk){ pad, sizeof(pad) };
	c[1] = (struct chunk){ d1, d1len };
	c[2] = (struct chunk){ d2, d2len };
	if ((rc = hash_v(inner, c, 3)) != 0)
		goto done;

	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < HASHLEN; i++)
		pad[i] ^= key[i];
	c[1] = (struct chunk){ inner, sizeof(inner) };
	rc = hash_v(out, c, 2);
done:
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	return rc;
}

/* Noise HKDF with two outputs. o1 and o2 may alias ck. */
static int
hkdf2(uint8_t o1[static HASHLEN], uint8_t o2[static HASHLEN],
    const uint8_t ck[static HASHLEN], const uint8_t *ikm, size_t ikmlen)
{
	static const uint8_t	one = 0x01, two = 0x02;
	uint8_t			temp[HASHLEN], t1[HASHLEN], t2[HASHLEN];
	int			rc;

	if ((rc = hmac(temp, ck, ikm, ikmlen, NULL, 0)) != 0 ||
	    (rc = hmac(t1, temp, &one, 1, NULL, 0)) != 0 ||
	    (rc = hmac(t2, temp, t1, sizeof(t1), &two, 1)) != 0)
		goto done;
	memcpy(o1, t1, HASHLEN);
	memcpy(o2, t2, HASHLEN);
done:
	sodium_memzero(temp, sizeof(temp));
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
	return rc;
}

static int
mix_hash(struct symstate *ss, const uint8_t *data, size_t len)
{
	struct chunk	c[2] = { { ss->h, HASHLEN }, { data, len } };

	return hash_v(ss->h, c, 2);
}

/* MixKey(ikm): ck, k = HKDF(ck, ikm); k truncated to 32 bytes, n = 0. */
static int
mix_key(struct symstate *ss, const uint8_t *ikm, size_t ikmlen)
{
	uint8_t	tk[HASHLEN];
	int	rc;

	if ((rc = hkdf2(ss->ck, tk, ss->ck, ikm, ikmlen)) == 0) {
		memcpy(ss->k, tk, CIPHERKEYLEN);
		ss->n = 0;
	}
	sodium_memzero(tk, sizeof(tk));
	return rc;
}

static void
nonce_encode(uint8_t nonce[static NONCELEN], uint64_t n)
{
	size_t	i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* EncryptAndHash: out gets ptlen + NOISE_TAG_LEN bytes. */
static int
encrypt_and_hash(struct symstate *ss, uint8_t *out, const uint8_t *pt,
    size_t ptlen)
{
	uint8_t			nonce[NONCELEN];
	unsigned long long	clen;

	nonce_encode(nonce, ss->n);
	if (crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, pt, ptlen,
	    ss->h, HASHLEN, NULL, nonce, ss->k) != 0 ||
	    clen != ptlen + NOISE_TAG_LEN)
		return ERR_AUTH;
	ss->n++;
	return mix_hash(ss, out, ptlen + NOISE_TAG_LEN);
}

/* DecryptAndHash: ct is ctlen >= NOISE_TAG_LEN bytes, pt gets
 * ctlen - NOISE_TAG_LEN (zeroed if the tag is bad). */
static int
decrypt_and_hash(struct symstate *ss, uint8_t *pt, const uint8_t *ct,
    size_t ctlen)
{
	uint8_t			nonce[NONCELEN];
	unsigned long long	mlen;

	nonce_encode(nonce, ss->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, &mlen, NULL, ct,
	    ctlen, ss->h, HASHLEN, nonce, ss->k) != 0 ||
	    mlen != ctlen - NOISE_TAG_LEN)
		return ERR_AUTH;
	ss->n++;
	return mix_hash(ss, ct, ctlen);
}

/* MixKey(DH(priv, pub)). A low-order pub fails here. */
static int
mix_dh(struct symstate *ss, const uint8_t priv[static DHLEN],
    const uint8_t pub[static DHLEN])
{
	uint8_t	shared[DHLEN];
	int	rc = ERR_AUTH;

	if (crypto_scalarmult(shared, priv, pub) == 0)
		rc = mix_key(ss, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return rc;
}

/* Wipe everything secret and make the object terminal. */
static void
hs_kill(struct noise_hs *hs)
{
	enum hs_role	role = hs->role;

	sodium_memzero(hs, sizeof(*hs));
	hs->role = role;
	hs->state = HS_DEAD;
}

static int
hs_new(struct noise_hs **out, enum hs_role role,
    const uint8_t s_pub[static KEY_LEN], const uint8_t s_priv[static KEY_LEN],
    const uint8_t *rs_pub, const uint8_t *prologue, size_t prologuelen)
{
	static const char	 name[] = PROTOCOL_NAME;
	struct noise_hs		*hs = NULL;
	uint8_t			 pub[DHLEN];
	int			 rc = ERR_USAGE;

	_Static_assert(sizeof(name) - 1 <= HASHLEN, "protocol name > HASHLEN");
	*out = NULL;
	if (prologue == NULL && prologuelen != 0)
		goto fail;
	if (sodium_init() < 0) {
		rc = ERR_NOMEM;
		goto fail;
	}
	/* A pair that does not match would only show up as the peer's
	 * ERR_AUTH; catch the configuration mistake here. */
	if (crypto_scalarmult_base(pub, s_priv) != 0 ||
	    sodium_memcmp(pub, s_pub, DHLEN) != 0)
		goto fail;
	rc = ERR_NOMEM;
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		goto fail;
	hs->role = role;
	hs->state = HS_START;
	memcpy(hs->s_pub, s_pub, DHLEN);
	memcpy(hs->s_priv, s_priv, DHLEN);

	/* InitializeSymmetric: the name fits in HASHLEN, so h is the name
	 * zero-padded; ck = h; then the prologue and the pre-message <- s. */
	memcpy(hs->ss.h, name, sizeof(name) - 1);
	memcpy(hs->ss.ck, hs->ss.h, HASHLEN);
	if ((rc = mix_hash(&hs->ss, prologue, prologuelen)) != 0)
		goto fail;
	if (role == ROLE_INITIATOR) {
		memcpy(hs->rs, rs_pub, DHLEN);
		rc = mix_hash(&hs->ss, hs->rs, DHLEN);
	} else
		rc = mix_hash(&hs->ss, hs->s_pub, DHLEN);
	if (rc != 0)
		goto fail;
	sodium_memzero(pub, sizeof(pub));
	*out = hs;
	return 0;
fail:
	sodium_memzero(pub, sizeof(pub));
	noise_free(hs);
	return rc;
}

int
noise_initiator_new_prologue(struct noise_hs **out,
    const uint8_t s_pub[static KEY_LEN], const uint8_t s_priv[static KEY_LEN],
    const uint8_t rs_pub[static KEY_LEN], const uint8_t *prologue,
    size_t prologuelen)
{
	return hs_new(out, ROLE_INITIATOR, s_pub, s_priv, rs_pub, prologue,
	    prologuelen);
}

int
noise_responder_new_prologue(struct noise_hs **out,
    const uint8_t s_pub[static KEY_LEN], const uint8_t s_priv[static KEY_LEN],
    const uint8_t *prologue, size_t prologuelen)
{
	return hs_new(out, ROLE_RESPONDER, s_pub, s_priv, NULL, prologue,
	    prologuelen);
}

int
noise_initiator_new(struct noise_hs **out,
    const uint8_t s_pub[static KEY_LEN], const uint8_t s_priv[static KEY_LEN],
    const uint8_t rs_pub[static KEY_LEN])
{
	return noise_initiator_new_prologue(out, s_pub, s_priv, rs_pub,
	    (const uint8_t *)NOISE_PROLOGUE, sizeof(NOISE_PROLOGUE) - 1);
}

int
noise_responder_new(struct noise_hs **out,
    const uint8_t s_pub[static KEY_LEN], const uint8_t s_priv[static KEY_LEN])
{
	return noise_responder_new_prologue(out, s_pub, s_priv,
	    (const uint8_t *)NOISE_PROLOGUE, sizeof(NOISE_PROLOGUE) - 1);
}

void
noise_free(struct noise_hs *hs)
{
	if (hs == NULL)
		return;
	sodium_memzero(hs, sizeof(*hs));
	free(hs);
}

int
noise_set_ephemeral(struct noise_hs *hs, const uint8_t priv[static 32])
{
	int	rc = ERR_STATE;

	if (hs == NULL)
		return ERR_USAGE;
	/* Before this side writes its message: the initiator's first,
	 * the responder's second. */
	if (hs->have_e || (hs->role == ROLE_INITIATOR && hs->state != HS_START) ||
	    (hs->role == ROLE_RESPONDER && hs->state != HS_START &&
	    hs->state != HS_MID))
		goto fail;
	memcpy(hs->e_priv, priv, DHLEN);
	rc = ERR_USAGE;
	if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0)
		goto fail;
	hs->have_e = 1;
	return 0;
fail:
	hs_kill(hs);
	return rc;
}

/* The e token on the writing side: a fresh key unless one was injected. */
static int
write_e(struct noise_hs *hs, uint8_t out[static DHLEN])
{
	if (!hs->have_e) {
		randombytes_buf(hs->e_priv, DHLEN);
		if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0)
			return ERR_AUTH;
		hs->have_e = 1;
	}
	memcpy(out, hs->e_pub, DHLEN);
	return mix_hash(&hs->ss, hs->e_pub, DHLEN);
}

/* The e token on the reading side. */
static int
read_e(struct noise_hs *hs, struct rd *r)
{
	const uint8_t	*p;

	if ((p = rd_take(r, DHLEN)) == NULL)
		return r->err;
	memcpy(hs->re, p, DHLEN);
	return mix_hash(&hs->ss, hs->re, DHLEN);
}

/* Split(): k1 is initiator->responder, k2 responder->initiator. Then drop
 * what the handshake no longer needs. */
static int
hs_finish(struct noise_hs *hs)
{
	uint8_t	k1[HASHLEN], k2[HASHLEN];
	int	rc;

	if ((rc = hkdf2(k1, k2, hs->ss.ck, NULL, 0)) == 0) {
		if (hs->role == ROLE_INITIATOR) {
			memcpy(hs->tx, k1, CIPHERKEYLEN);
			memcpy(hs->rx, k2, CIPHERKEYLEN);
		} else {
			memcpy(hs->tx, k2, CIPHERKEYLEN);
			memcpy(hs->rx, k1, CIPHERKEYLEN);
		}
		hs->state = HS_DONE;
		sodium_memzero(hs->ss.ck, sizeof(hs->ss.ck));
		sodium_memzero(hs->ss.k, sizeof(hs->ss.k));
		sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
		sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
	}
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	return rc;
}

/* Common entry checks, in the order the errors are documented: state,
 * payload size, exact message size, then argument sanity. The size is
 * computed only after plen is bounded, so it cannot wrap. */
static int
hs_enter(const struct noise_hs *hs, enum hs_role role, enum hs_state state,
    int first, const void *msg, size_t msglen, const void *payload,
    size_t plen)
{
	size_t	want;

	if (hs->role != role || hs->state != state)
		return ERR_STATE;
	if (plen > NOISE_PAYLOAD_MAX)
		return ERR_TOOBIG;
	want = first ? NOISE_INIT_LEN(plen) : NOISE_RESP_LEN(plen);
	if (msglen != want)
		return ERR_MALFORMED;
	if (msg == NULL || (payload == NULL && plen != 0))
		return ERR_USAGE;
	return 0;
}

/* -> e, es, s, ss, payload */
int
noise_write_init(struct noise_hs *hs, uint8_t *out, size_t outlen,
    const uint8_t *payload, size_t plen)
{
	uint8_t	*wipe = NULL;
	int	 rc;

	if (hs == NULL)
		return ERR_USAGE;
	if ((rc = hs_enter(hs, ROLE_INITIATOR, HS_START, 1, out, outlen,
	    payload, plen)) != 0)
		goto fail;
	wipe = out;
	if ((rc = write_e(hs, out)) != 0 ||
	    (rc = mix_dh(&hs->ss, hs->e_priv, hs->rs)) != 0 ||
	    (rc = encrypt_and_hash(&hs->ss, out + DHLEN, hs->s_pub,
	    DHLEN)) != 0 ||
	    (rc = mix_dh(&hs->ss, hs->s_priv, hs->rs)) != 0 ||
	    (rc = encrypt_and_hash(&hs->ss, out + 2 * DHLEN + NOISE_TAG_LEN,
	    payload, plen)) != 0)
		goto fail;
	hs->state = HS_MID;
	return 0;
fail:
	/* no half-written message leaves here */
	if (wipe != NULL)
		sodium_memzero(wipe, outlen);
	hs_kill(hs);
	return rc;
}

/* <- e, es, s, ss, payload */
int
noise_read_init(struct noise_hs *hs, uint8_t *payload, size_t plen,
    const uint8_t *msg, size_t msglen)
{
	struct rd	 r = { msg, msglen, 0 };
	const uint8_t	*enc_s, *enc_p;
	uint8_t		*wipe = NULL;
	int		 rc;

	if (hs == NULL)
		return ERR_USAGE;
	if ((rc = hs_enter(hs, ROLE_RESPONDER, HS_START, 1, msg, msglen,
	    payload, plen)) != 0)
		goto fail;
	wipe = payload;
	if ((rc = read_e(hs, &r)) != 0 ||
	    (rc = mix_dh(&hs->ss, hs->s_priv, hs->re)) != 0)
		goto fail;
	enc_s = rd_take(&r, DHLEN + NOISE_TAG_LEN);
	enc_p = rd_take(&r, plen + NOISE_TAG_LEN);
	if (r.err || r.len != 0) {
		rc = ERR_MALFORMED;
		goto fail;
	}
	if ((rc = decrypt_and_hash(&hs->ss, hs->rs, enc_s,
	    DHLEN + NOISE_TAG_LEN)) != 0 ||
	    (rc = mix_dh(&hs->ss, hs->s_priv, hs->rs)) != 0 ||
	    (rc = decrypt_and_hash(&hs->ss, payload, enc_p,
	    plen + NOISE_TAG_LEN)) != 0)
		goto fail;
	hs->state = HS_MID;
	return 0;
fail:
	/* a payload that did not authenticate is never seen */
	if (wipe != NULL)
		sodium_memzero(wipe, plen);
	hs_kill(hs);
	return rc;
}

/* -> e, ee, se, payload */
int
noise_write_resp(struct noise_hs *hs, uint8_t *out, size_t outlen,
    const uint8_t *payload, size_t plen)
{
	uint8_t	*wipe = NULL;
	int	 rc;

	if (hs == NULL)
		return ERR_USAGE;
	if ((rc = hs_enter(hs, ROLE_RESPONDER, HS_MID, 0, out, outlen,
	    payload, plen)) != 0)
		goto fail;
	wipe = out;
	if ((rc = write_e(hs, out)) != 0 ||
	    (rc = mix_dh(&hs->ss, hs->e_priv, hs->re)) != 0 ||
	    (rc = mix_dh(&hs->ss, hs->e_priv, hs->rs)) != 0 ||
	    (rc = encrypt_and_hash(&hs->ss, out + DHLEN, payload,
	    plen)) != 0 ||
	    (rc = hs_finish(hs)) != 0)
		goto fail;
	return 0;
fail:
	/* no half-written message leaves here */
	if (wipe != NULL)
		sodium_memzero(wipe, outlen);
	hs_kill(hs);
	return rc;
}

/* <- e, ee, se, payload */
int
noise_read_resp(struct noise_hs *hs, uint8_t *payload, size_t plen,
    const uint8_t *msg, size_t msglen)
{
	struct rd	 r = { msg, msglen, 0 };
	const uint8_t	*enc_p;
	uint8_t		*wipe = NULL;
	int		 rc;

	if (hs == NULL)
		return ERR_USAGE;
	if ((rc = hs_enter(hs, ROLE_INITIATOR, HS_MID, 0, msg, msglen,
	    payload, plen)) != 0)
		goto fail;
	wipe = payload;
	if ((rc = read_e(hs, &r)) != 0 ||
	    (rc = mix_dh(&hs->ss, hs->e_priv, hs->re)) != 0 ||
	    (rc = mix_dh(&hs->ss, hs->s_priv, hs->re)) != 0)
		goto fail;
	enc_p = rd_take(&r, plen + NOISE_TAG_LEN);
	if (r.err || r.len != 0) {
		rc = ERR_MALFORMED;
		goto fail;
	}
	if ((rc = decrypt_and_hash(&hs->ss, payload, enc_p,
	    plen + NOISE_TAG_LEN)) != 0 ||
	    (rc = hs_finish(hs)) != 0)
		goto fail;
	return 0;
fail:
	/* a payload that did not authenticate is never seen */
	if (wipe != NULL)
		sodium_memzero(wipe, plen);
	hs_kill(hs);
	return rc;
}

const uint8_t *
noise_remote_static(const struct noise_hs *hs)
{
	if (hs == NULL || hs->state == HS_DEAD ||
	    (hs->role == ROLE_RESPONDER && hs->state == HS_START))
		return NULL;
	return hs->rs;
}

int
noise_split(struct noise_hs *hs, uint8_t tx[static 32], uint8_t rx[static 32])
{
	if (hs == NULL)
		return ERR_USAGE;
	if (hs->state != HS_DONE) {
		hs_kill(hs);
		return ERR_STATE;
	}
	memcpy(tx, hs->tx, CIPHERKEYLEN);
	memcpy(rx, hs->rx, CIPHERKEYLEN);
	return 0;
}

const uint8_t *
noise_handshake_hash(const struct noise_hs *hs)
{
	if (hs == NULL || hs->state != HS_DONE)
		return NULL;
	return hs->ss.h;
}
