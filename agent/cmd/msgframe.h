/*
 * msgframe.h: the frame of every message between the agent's daemon and
 * its workers (netmsg.h: the capture child; scanmsg.h: the scan worker),
 * one SOCK_SEQPACKET datagram each: a header of two host-order 32-bit
 * words, the type and the length of the body, which must be exactly the
 * rest of the datagram. What a type's body holds is its module's.
 */
#ifndef VIGIL_MSGFRAME_H
#define VIGIL_MSGFRAME_H

#include <stddef.h>
#include <stdint.h>

#define MSGFRAME_HDR	8

struct msgframe {
	uint32_t	 type;
	uint32_t	 len;		/* of the body */
};

/* The header of the datagram buf[0..n). 0; ERR_TOOBIG when n is over
 * max; ERR_MALFORMED when n is short of a header or the length is not
 * the rest; *why (never NULL) names which. */
int	msgframe_parse(struct msgframe *out, const uint8_t *buf, size_t n,
	    size_t max, const char **why);
/* A body of a fixed size: copied to out when len is want; else
 * ERR_MALFORMED, *why "wrong size for its type". */
int	msgframe_fixed(void *out, size_t want, const uint8_t *body, size_t len,
	    const char **why);
/* One message on sock: the header, body[0..len) and, when fd is not -1,
 * fd (SCM_RIGHTS); flags for sendmsg (MSG_NOSIGNAL is added). A
 * sequenced packet goes whole or not at all. 0; -1 with errno (EINTR is
 * retried). The caller checks len against its maximum first. */
int	msgframe_send(int sock, uint32_t type, const void *body, size_t len,
	    int fd, int flags);

/* One datagram from sock into buf[0..max) (MSG_TRUNC: *n is its true
 * size, which msgframe_parse refuses when over max); flags for recvmsg
 * (MSG_DONTWAIT). When fdp is not NULL, the one descriptor it carried
 * (close-on-exec) or -1; any other descriptor is closed, and more than
 * one is ERR_MALFORMED. 0; ERR_NOTFOUND (hung up), ERR_AGAIN (nothing
 * waiting, with MSG_DONTWAIT), ERR_IO. */
int	msgframe_recv(int sock, uint8_t *buf, size_t max, size_t *n, int *fdp,
	    int flags);

#endif
