/*
 * token.h: one-time enrollment tokens.
 *
 * A token is 16 random bytes shown to the operator as 32 hex digits. The
 * store keeps only BLAKE2b-256(token), so reading the database does not
 * reveal a usable token. A token is bound to an agent name and an office,
 * expires, and can be used once.
 */
#ifndef VIGIL_TOKEN_H
#define VIGIL_TOKEN_H

#include <stdint.h>

#include "store.h"
#include "wire.h"

#define TOKEN_STRLEN	(2 * WIRE_TOKEN_LEN + 1)
#define OFFICE_DEFAULT	"unassigned"

/* Create and store a token valid for ttl_s seconds. name and office must
 * be 1..64 bytes of printable UTF-8 (ERR_USAGE otherwise). */
int	token_create(struct store *, char out[static TOKEN_STRLEN],
	    const char *name, const char *office, int64_t ttl_s);
void	token_hash(uint8_t hash[static TOKEN_HASH_LEN],
	    const uint8_t token[static WIRE_TOKEN_LEN]);
/* 1..64 bytes of printable UTF-8, no control characters. */
int	token_valid_name(const char *);

#endif
