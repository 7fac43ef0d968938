/*
 * token.c: creating and hashing enrollment tokens.
 *
 * Tokens are created by `vigil-collector enroll-token`, possibly while the
 * daemon runs; the daemon consumes them through the store when an agent
 * enrolls. Names and offices are validated here once so that every later
 * reader (reports, the console) can trust them as text.
 */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "token.h"
#include "err.h"

void
token_hash(uint8_t hash[static TOKEN_HASH_LEN],
    const uint8_t token[static WIRE_TOKEN_LEN])
{
	static const char	 ctx[] = "vigil enrollment token";
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, TOKEN_HASH_LEN);
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof(ctx) - 1);
	crypto_generichash_update(&st, token, WIRE_TOKEN_LEN);
	crypto_generichash_final(&st, hash, TOKEN_HASH_LEN);
}

int
token_valid_name(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len <= 64 && wire_text_valid(s, len);
}

int
token_create(struct store *st, char out[static TOKEN_STRLEN],
    const char *name, const char *office, int64_t ttl_s)
{
	uint8_t	token[WIRE_TOKEN_LEN], hash[TOKEN_HASH_LEN];
	int64_t	now = (int64_t)time(NULL);
	int	rc;

	/* expires = now + ttl_s must not overflow */
	if (!token_valid_name(name) || !token_valid_name(office) ||
	    ttl_s <= 0 || (now > 0 && ttl_s > INT64_MAX - now))
		return ERR_USAGE;
	randombytes_buf(token, sizeof(token));
	token_hash(hash, token);
	rc = store_token_add(st, hash, name, office, now, now + ttl_s);
	if (rc == 0)
		sodium_bin2hex(out, TOKEN_STRLEN, token, sizeof(token));
	sodium_memzero(token, sizeof(token));
	return rc;
}
