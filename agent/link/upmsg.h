/*
 * upmsg.h: the messages between the agent's daemon and its uplink
 * worker (upworker.h), one SOCK_SEQPACKET datagram each, framed by
 * msgframe.h. Every body has an exact size except LOST's reason.
 *
 * daemon -> worker
 *   KEYS     struct upmsg_keys: the agent's key pair and the collector's
 *            pinned public key. First, once.
 *   CONNECT  struct upmsg_connect, with a TCP socket the daemon
 *            connected to the collector: run the handshake on it. gen
 *            numbers the connection; it is never 0 and grows.
 *   SEND     struct upmsg_send, with a sealed memfd of exactly len bytes
 *            (1..WIRE_MAX_FRAME): one inner message (wire.h: EVENTS,
 *            HEARTBEAT) to seal as a DATA record on connection gen.
 *   CLOSE    struct upmsg_gen: close connection gen.
 *   PROBE    struct upmsg_probe (test builds): try what the sandbox
 *            must refuse.
 * worker -> daemon
 *   READY    empty: the keys are in, the sandbox is on.
 *   OPEN     struct upmsg_open: connection gen is open (handshake done,
 *            both stream headers exchanged); the collector's registry
 *            names the agent name and office (raw fields of the reply,
 *            checked again by the daemon with wire.h's text rules).
 *   ACK      struct upmsg_ack: the collector acknowledged seq.
 *   LOST     u32 gen, then 1..UPMSG_WHY_MAX bytes of text: connection
 *            gen failed, and why (the worker closed it).
 *   PROBED   struct upmsg_probed (test builds).
 *
 * Everything a message says is checked where it arrives: the worker
 * trusts no more than the daemon does (a SEND for a connection it does
 * not hold is dropped), and the daemon treats the worker as the network
 * it reads (upproc.h).
 */
#ifndef VIGIL_UPMSG_H
#define VIGIL_UPMSG_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "msgframe.h"

#define UPMSG_WHY_MAX	255
#define UPMSG_NAME_RAW	64		/* wire_resp_payload's fields */
#define UPMSG_MAX	(MSGFRAME_HDR + 4 + UPMSG_WHY_MAX)

enum upmsg_type {
	UPMSG_KEYS = 1,
	UPMSG_CONNECT,
	UPMSG_SEND,
	UPMSG_CLOSE,
	UPMSG_PROBE,
	UPMSG_READY = 16,
	UPMSG_OPEN,
	UPMSG_ACK,
	UPMSG_LOST,
	UPMSG_PROBED,
};

/* what PROBE tries (as scanmsg.h's) */
enum upmsg_probe_what {
	UPMSG_PROBE_OPEN = 1,		/* open("/etc/hostname") */
	UPMSG_PROBE_SOCKET,		/* socket(AF_INET, SOCK_STREAM) */
	UPMSG_PROBE_CONNECT,		/* connect(its socket, /dev/log) */
	UPMSG_PROBE_EXEC,		/* execve("/bin/true") */
};

struct upmsg_keys {
	uint8_t		 pub[KEY_LEN];
	uint8_t		 priv[KEY_LEN];
	uint8_t		 collector_pub[KEY_LEN];
};

struct upmsg_connect {
	uint32_t	 gen;
	uint32_t	 pad;
	uint64_t	 ts_ns;		/* the handshake's timestamp */
};

struct upmsg_send {
	uint32_t	 gen;
	uint32_t	 len;
};

struct upmsg_gen {
	uint32_t	 gen;
};

struct upmsg_open {
	uint32_t	 gen;
	char		 name[UPMSG_NAME_RAW];	/* NUL-padded, as sent */
	char		 office[UPMSG_NAME_RAW];
};

struct upmsg_ack {
	uint32_t	 gen;
	uint32_t	 pad;
	uint64_t	 seq;
};

struct upmsg_probe {
	uint32_t	 what;
};

struct upmsg_probed {
	int32_t		 err;		/* errno after the try; 0: it worked */
};

/* One message, parsed. */
struct upmsg {
	uint32_t	 type;
	union {
		struct upmsg_keys	keys;
		struct upmsg_connect	connect;
		struct upmsg_send	send;
		struct upmsg_gen	close;
		struct upmsg_probe	probe;
		struct upmsg_open	open;
		struct upmsg_ack	ack;
		struct {
			uint32_t	gen;
			char		why[UPMSG_WHY_MAX + 1];	/* NUL-ended */
		}			lost;
		struct upmsg_probed	probed;
	} u;
};

/*
 * Parse the datagram buf[0..n) (n as received, possibly over UPMSG_MAX)
 * that came with a descriptor or not (has_fd): a known type, the exact
 * size of its body, a descriptor with CONNECT and SEND and none with the
 * others, gen not 0, SEND's len in 1..WIRE_MAX_FRAME, LOST's reason
 * 1..UPMSG_WHY_MAX bytes of printable ASCII. 0; ERR_MALFORMED or
 * ERR_TOOBIG with *why (never NULL) naming the fault.
 */
int	upmsg_parse(struct upmsg *out, const uint8_t *buf, size_t n,
	    int has_fd, const char **why);

/* Send one message (fd -1: none; MSG_DONTWAIT). LOST's reason is cut to
 * UPMSG_WHY_MAX bytes and anything not printable ASCII becomes '?'.
 * 0; ERR_AGAIN (the peer's queue is full); ERR_IO (the peer is gone). */
int	upmsg_send(int sock, uint32_t type, const void *body, size_t len,
	    int fd);
int	upmsg_send_lost(int sock, uint32_t gen, const char *why);

#endif
