/*
 * fuzz_handshake.c: untrusted bytes as a Noise IK handshake message.
 *
 * Each input is fed twice over, to fixed-key objects:
 *   - as message 1 to a fresh responder, with the wire layer's style of
 *     fixed payload length (FUZZ_PLEN) and with the length the input
 *     implies (size - NOISE_INIT_LEN(0), which exercises ERR_TOOBIG too);
 *   - as message 2 to an initiator that has just written its message 1,
 *     again with FUZZ_PLEN and with the implied length.
 * Random bytes essentially never authenticate; the seed corpus holds
 * valid messages for these keys, so the success paths (write_resp,
 * split) run too. A result that breaks the contract aborts.
 *
 * Build with -DFUZZ_HANDSHAKE_GEN_SEEDS (no -fsanitize=fuzzer) for a
 * program that rewrites the seeds: fuzz_handshake_gen <corpus dir>.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "noise.h"

#define FUZZ_PLEN	25

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Arbitrary fixed keys; public halves are derived. */
static const uint8_t	INIT_STATIC[32] = {
	0x49, 0x4e, 0x49, 0x54, 0x20, 0x73, 0x74, 0x61, 0x74, 0x69, 0x63,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
};
static const uint8_t	RESP_STATIC[32] = {
	0x52, 0x45, 0x53, 0x50, 0x20, 0x73, 0x74, 0x61, 0x74, 0x69, 0x63,
	0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb,
	0xfc, 0xfd, 0xfe, 0xff, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5,
};
static const uint8_t	INIT_EPH[32] = {
	0x49, 0x4e, 0x49, 0x54, 0x20, 0x65, 0x70, 0x68, 0x65, 0x6d, 0x65,
	0x72, 0x61, 0x6c, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
	0x39, 0x30, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
};
static const uint8_t	RESP_EPH[32] = {
	0x52, 0x45, 0x53, 0x50, 0x20, 0x65, 0x70, 0x68, 0x65, 0x6d, 0x65,
	0x72, 0x61, 0x6c, 0x39, 0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32,
	0x31, 0x30, 0x5a, 0x59, 0x58, 0x57, 0x56, 0x55, 0x54, 0x53,
};

static void
fixed_payload(uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(0x30 + i);
}

static void
check(int ok)
{
	if (!ok)
		abort();
}

static struct noise_hs *
responder(void)
{
	struct noise_hs	*r;
	uint8_t		 pub[32];

	check(crypto_scalarmult_base(pub, RESP_STATIC) == 0);
	check(noise_responder_new(&r, pub, RESP_STATIC) == 0);
	check(noise_set_ephemeral(r, RESP_EPH) == 0);
	return r;
}

/* An initiator that has written message 1 (FUZZ_PLEN payload) into m1. */
static struct noise_hs *
initiator(uint8_t m1[static NOISE_INIT_LEN(FUZZ_PLEN)])
{
	struct noise_hs	*i;
	uint8_t		 pub[32], rpub[32], pl[FUZZ_PLEN];

	check(crypto_scalarmult_base(pub, INIT_STATIC) == 0);
	check(crypto_scalarmult_base(rpub, RESP_STATIC) == 0);
	check(noise_initiator_new(&i, pub, INIT_STATIC, rpub) == 0);
	check(noise_set_ephemeral(i, INIT_EPH) == 0);
	fixed_payload(pl, sizeof(pl));
	check(noise_write_init(i, m1, NOISE_INIT_LEN(FUZZ_PLEN), pl,
	    sizeof(pl)) == 0);
	return i;
}

static int
known_err(int rc)
{
	return rc == ERR_AUTH || rc == ERR_MALFORMED || rc == ERR_TOOBIG;
}

/* The bytes as message 1, read with a payload of plen. On success the
 * responder must be able to finish. */
static void
as_init(const uint8_t *data, size_t size, size_t plen)
{
	struct noise_hs	*r = responder();
	uint8_t		 m2[NOISE_RESP_LEN(FUZZ_PLEN)], rp[FUZZ_PLEN];
	uint8_t		*pl, tx[32], rx[32];
	int		 rc;

	check((pl = malloc(plen ? plen : 1)) != NULL);
	rc = noise_read_init(r, pl, plen, data, size);
	if (rc == 0) {
		check(noise_remote_static(r) != NULL);
		fixed_payload(rp, sizeof(rp));
		check(noise_write_resp(r, m2, sizeof(m2), rp, sizeof(rp)) == 0);
		check(noise_split(r, tx, rx) == 0);
	} else {
		check(known_err(rc));
		check(noise_remote_static(r) == NULL);
		check(noise_split(r, tx, rx) == ERR_STATE);
	}
	free(pl);
	noise_free(r);
}

/* The bytes as message 2, read with a payload of plen. */
static void
as_resp(const uint8_t *data, size_t size, size_t plen)
{
	struct noise_hs	*i;
	uint8_t		 m1[NOISE_INIT_LEN(FUZZ_PLEN)], *pl, tx[32], rx[32];
	int		 rc;

	i = initiator(m1);
	check((pl = malloc(plen ? plen : 1)) != NULL);
	rc = noise_read_resp(i, pl, plen, data, size);
	if (rc == 0) {
		check(noise_split(i, tx, rx) == 0);
		check(noise_handshake_hash(i) != NULL);
	} else {
		check(known_err(rc));
		check(noise_split(i, tx, rx) == ERR_STATE);
	}
	free(pl);
	noise_free(i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_init(data, size, FUZZ_PLEN);
	if (size >= NOISE_INIT_LEN(0) && size != NOISE_INIT_LEN(FUZZ_PLEN))
		as_init(data, size, size - NOISE_INIT_LEN(0));
	as_resp(data, size, FUZZ_PLEN);
	if (size >= NOISE_RESP_LEN(0) && size != NOISE_RESP_LEN(FUZZ_PLEN))
		as_resp(data, size, size - NOISE_RESP_LEN(0));
	return 0;
}

#ifdef FUZZ_HANDSHAKE_GEN_SEEDS
#include <stdio.h>

static void
put(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char	 path[4096];
	FILE	*f;
	int	 n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	check(n > 0 && (size_t)n < sizeof(path));
	check((f = fopen(path, "wb")) != NULL);
	check(fwrite(p, 1, len, f) == len);
	check(fclose(f) == 0);
}

/* A valid message 2 with a payload of plen for the initiator's m1. */
static void
put_resp(const char *dir, const char *name,
    const uint8_t m1[static NOISE_INIT_LEN(FUZZ_PLEN)], size_t plen)
{
	struct noise_hs	*r = responder();
	uint8_t		 pl[FUZZ_PLEN], m2[NOISE_RESP_LEN(FUZZ_PLEN)];

	check(noise_read_init(r, pl, FUZZ_PLEN, m1,
	    NOISE_INIT_LEN(FUZZ_PLEN)) == 0);
	fixed_payload(pl, plen);
	check(noise_write_resp(r, m2, NOISE_RESP_LEN(plen), pl, plen) == 0);
	put(dir, name, m2, NOISE_RESP_LEN(plen));
	noise_free(r);
}

int
main(int argc, char **argv)
{
	struct noise_hs	*i;
	uint8_t		 m1[NOISE_INIT_LEN(FUZZ_PLEN)], m0[NOISE_INIT_LEN(0)];
	uint8_t		 junk[NOISE_INIT_LEN(FUZZ_PLEN)];

	if (argc != 2) {
		fprintf(stderr, "usage: %s corpus-dir\n", argv[0]);
		return 2;
	}
	check(sodium_init() >= 0);

	/* message 1, FUZZ_PLEN payload and empty payload */
	i = initiator(m1);
	noise_free(i);
	put(argv[1], "init_valid", m1, sizeof(m1));
	{
		uint8_t	pub[32], rpub[32];

		check(crypto_scalarmult_base(pub, INIT_STATIC) == 0);
		check(crypto_scalarmult_base(rpub, RESP_STATIC) == 0);
		check(noise_initiator_new(&i, pub, INIT_STATIC, rpub) == 0);
		check(noise_set_ephemeral(i, INIT_EPH) == 0);
		check(noise_write_init(i, m0, sizeof(m0), NULL, 0) == 0);
		noise_free(i);
		put(argv[1], "init_valid_empty", m0, sizeof(m0));
	}

	/* message 2 answering the fixed message 1 */
	put_resp(argv[1], "resp_valid", m1, FUZZ_PLEN);
	put_resp(argv[1], "resp_valid_empty", m1, 0);

	/* a low-order e (all zero) at message 1 size, and a short input */
	memset(junk, 0, sizeof(junk));
	put(argv[1], "init_zero_e", junk, sizeof(junk));
	put(argv[1], "short", m1, 10);
	return 0;
}
#endif
