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

/* p: the client's byte stream from its start (TLS records; the
 * ClientHello may span several records and packets). Fills t->app,
 * t->tls and t->buf[NB_TLS_SNI]. ERR_AGAIN: not all of the ClientHello
 * is in p yet; ERR_MALFORMED: not a ClientHello. transport_quic is for
 * later (JA4's 'q'); here always TCP. */
int	tls_parse_clienthello(const uint8_t *p, size_t len, struct txn *t,
	    struct scratch *s);
/* A TLS handshake record header (content type 22, version 3.x) at p. */
bool	tls_probe(const uint8_t *p, size_t len);

#endif
