/*
 * keys.h: long-term X25519 key pairs, their files and their names.
 *
 * A key file holds the base64 private key and a newline, mode 0600, as
 * WireGuard's do; the public key is derived on load. keys_load refuses a
 * file that group or others can read. The fingerprint a user pins is the
 * lowercase hex of BLAKE2b-256(public key); an agent id is the first 8
 * bytes of BLAKE2b-256("vigil agent id" || public key) in hex.
 * Callers wipe private keys with sodium_memzero when done.
 */
#ifndef VIGIL_KEYS_H
#define VIGIL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEY_LEN		32
#define FPR_STRLEN	65	/* 64 hex digits and NUL */
#define AGENT_ID_STRLEN	17	/* 16 hex digits and NUL */

/* Generate a fresh pair. Returns 0. */
int	keys_generate(uint8_t pub[static KEY_LEN], uint8_t priv[static KEY_LEN]);
/* Load path; ERR_NOTFOUND if absent, ERR_AUTH if mode is too open,
 * ERR_MALFORMED if the content is not one base64 key. */
int	keys_load(uint8_t pub[static KEY_LEN], uint8_t priv[static KEY_LEN],
	    const char *path);
/* Write priv to path (created 0600, must not exist). ERR_EXISTS, ERR_IO. */
int	keys_save(const char *path, const uint8_t priv[static KEY_LEN]);
/* Load, or generate and save if absent. */
int	keys_load_or_create(uint8_t pub[static KEY_LEN],
	    uint8_t priv[static KEY_LEN], const char *path);
void	keys_fingerprint(char out[static FPR_STRLEN],
	    const uint8_t pub[static KEY_LEN]);
void	keys_agent_id(char out[static AGENT_ID_STRLEN],
	    const uint8_t pub[static KEY_LEN]);
/* Parse 64 hex digits (any case; ':' and '-' separators ignored). */
int	keys_parse_fingerprint(uint8_t out[static 32], const char *s);

#endif
