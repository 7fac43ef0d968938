/*
 * fwdlink.h: the forwarder's connection to a SIEM's syslog receiver
 * (forward.h): UDP (RFC 5426), TCP (RFC 6587) or TLS (RFC 5425, the
 * certificate and the name checked), behind one call that says whether
 * a batch was delivered.
 *
 * Delivered means: UDP, every datagram sent and no ICMP port unreachable
 * reported within a few milliseconds (UDP has no acknowledgment); TCP
 * and TLS, every byte written and acknowledged by the receiver's TCP.
 * A stream is connected when needed, and again when the receiver closed
 * it (a syslog receiver never speaks: readable means closing). Every
 * wait is bounded by FWDLINK_IO_MS.
 *
 * This module keeps OpenSSL to itself (its ERR_ names clash with ours):
 * functions return 0 or -1, and fwdlink_why() says what failed, for a
 * log line. One thread uses a link.
 */
#ifndef VIGIL_FWDLINK_H
#define VIGIL_FWDLINK_H

#include <stddef.h>
#include <stdint.h>

#define FWDLINK_IO_MS	5000	/* connect, handshake, a write, the ack */

enum fwdlink_proto { FWDLINK_UDP, FWDLINK_TCP, FWDLINK_TLS };

struct fwdlink;

/* host (a name or address, no brackets) and port are copied; ca_file
 * ("" the system's CAs) is loaded now, for tls. -1, with *why: out of
 * memory, a CA file that does not load. */
int	fwdlink_new(struct fwdlink **out, int proto, const char *host,
	    const char *port, const char *ca_file, const char **why);
void	fwdlink_free(struct fwdlink *);		/* takes NULL */

/* Deliver buf[0 .. len): for UDP each message buf[ends[i-1] .. ends[i])
 * (ends[-1] is 0) as one datagram; a stream's bytes as they are (the
 * caller frames them). 0: delivered; -1: not (closed; the next call
 * connects anew). */
int	fwdlink_send(struct fwdlink *, const uint8_t *buf, size_t len,
	    const size_t *ends, size_t n);
/* Why the last call failed. */
const char *fwdlink_why(const struct fwdlink *);
void	fwdlink_close(struct fwdlink *);

#endif
