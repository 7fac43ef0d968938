/*
 * sigid.c: scanner_signature_id (scanner.h), the signature ids of the
 * file scanner's and the network sensor's indicator alerts: apart from
 * scanner.c so that the capture program (vigil-capture) links it
 * without YARA.
 *
 * Load: one BLAKE2b of a few bytes per alert.
 */
#include <string.h>

#include <sodium.h>

#include "scanner.h"

uint32_t
scanner_signature_id(const char *ns, const char *rule)
{
	crypto_generichash_state	st;
	uint8_t				h[crypto_generichash_BYTES_MIN];
	uint32_t			id;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)ns, strlen(ns) + 1);
	crypto_generichash_update(&st, (const uint8_t *)rule, strlen(rule));
	crypto_generichash_final(&st, h, sizeof(h));
	id = ((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3]) & 0x7fffffff;
	return id == 0 ? 1 : id;
}
