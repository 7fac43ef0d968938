/*
 * tls.h: the TLS ClientHello: SNI, JA3 and JA4.
 */
#ifndef VIGIL_TLS_H
#define VIGIL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "packet.h"

/* The largest ClientHello parsed (a larger one is ERR_TOOBIG); browsers
 * send under 2 KiB, with post-quantum key shares. */
#define TLS_CH_MAX		(32 * 1024)
/* Scratch a ClientHello may need at most: its copy, the JA3 string
 * (about 4 bytes of text a byte of hello), the escaped server name, the
 * sort space. With less, a large hello may be ERR_NOMEM. */
#define TLS_SCRATCH_NEED	(10 * TLS_CH_MAX)

/* p: the client's byte stream from its start (TLS records; the
 * ClientHello may span several records and packets). Fills t->app,
 * t->tls and t->buf[NB_TLS_SNI]. ERR_AGAIN: not all of the ClientHello
 * is in p yet; ERR_MALFORMED: not a ClientHello; ERR_TOOBIG: over TLS_CH_MAX; ERR_NOMEM:
 * the scratch arena is full. Strings (sni, ja3_string) and the
 * NB_TLS_SNI buffer (the raw server name) are in the arena. transport_quic is for
 * later (JA4's 'q'); here always TCP. */
int	tls_parse_clienthello(const uint8_t *p, size_t len, struct txn *t,
	    struct scratch *s);
/* A TLS handshake record header (content type 22, version 3.x) at p. */
bool	tls_probe(const uint8_t *p, size_t len);

#endif
