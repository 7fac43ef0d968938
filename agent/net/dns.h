/*
 * dns.h: DNS messages (RFC 1035), queries and answers.
 *
 * Names are decompressed with a limit on pointer hops and on length (255
 * bytes, 63 per label); a loop or a pointer out of the message is an
 * error, not a guess. Strings go to the caller's scratch arena.
 */
#ifndef VIGIL_DNS_H
#define VIGIL_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "packet.h"

/* Scratch one message may need at most (the escaped names and rdata of
 * the question and TXN_DNS_MAX_ANSWERS answers). */
#define DNS_SCRATCH_NEED	(96 * 1024)

/* One DNS message: a UDP payload, or a TCP message without its two-byte
 * length. Fills t->app, t->dns and t->buf[NB_DNS_QUERY] (the first
 * question). ERR_MALFORMED; ERR_NOMEM: the arena is full (never with
 * DNS_SCRATCH_NEED). A message with more answers than TXN_DNS_MAX_ANSWERS
 * keeps the first ones and sets truncated. Strings and the dns.query
 * buffer are in the arena. */
int	dns_parse(const uint8_t *msg, size_t len, struct txn *t,
	    struct scratch *s);
/* Does this look like DNS (a plausible header and first question)? For
 * finding the protocol by content. tcp: p starts with the length. */
bool	dns_probe(const uint8_t *p, size_t len, bool tcp);

#endif
