/*
 * netmsg.h: the capture child's messages to the daemon (netmon.c).
 *
 * One AF_UNIX SOCK_SEQPACKET socket pair: each message is one datagram,
 * delivered whole or not at all, so neither side keeps a partial frame.
 * A message is a header { uint32 type, uint32 len } in host order (both
 * ends are the same binary on the same machine) and len bytes of body;
 * len must equal the datagram's size less the header, exactly. The child
 * sends; the parent reads, and treats every byte as hostile (the
 * child parses packets from the network): each type is accepted only at
 * its exact size (READY, STATS) or within its bounds and shape (ALERT: an
 * EVE "alert" event that event_parse accepts, at most EVENT_MAX_LEN). A
 * message that fails any check, or has an unknown type, ends the child.
 *
 * The parent writes nothing on the socket but PROBE (netmon_probe, for
 * tests): to a child built without the test hooks, a readable or hung-up
 * socket means its parent is gone. A test build's child answers a PROBE
 * with PROBED, both at their exact sizes, naming one of sandbox.h's
 * probes.
 */
#ifndef VIGIL_NETMSG_H
#define VIGIL_NETMSG_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define NETMSG_HDR	8
#define NETMSG_MAX	(NETMSG_HDR + EVENT_MAX_LEN)	/* a datagram */

enum netmsg_type {
	NETMSG_READY = 1,	/* rules loaded, capture open, sandboxed */
	NETMSG_ALERT,		/* one alert as EVE JSON text */
	NETMSG_STATS,		/* counters, every few seconds */
	NETMSG_PROBE,		/* parent to child, test builds: try what */
	NETMSG_PROBED,		/* what came of it */
};

/* PROBE's body: a call the child's sandbox must refuse. */
struct netmsg_probe {
	uint32_t	 what;		/* enum sandbox_probe */
};

/* PROBED's body. */
struct netmsg_probed {
	uint32_t	 what;		/* as asked */
	int32_t		 err;		/* the errno the call got, 0 none */
};

/* READY's body: what was loaded. */
struct netmsg_ready {
	uint32_t	 rules_loaded;
	uint32_t	 rules_skipped;
	uint32_t	 indicators;	/* kept from the lists */
	uint32_t	 bad_lines;	/* list lines skipped */
	int64_t		 rules_newest;	/* the newest rule file's
					 * modification time, Unix seconds */
};

/* STATS' body: totals since the child started. */
struct netmsg_stats {
	uint64_t	 received;	/* frames the kernel passed on */
	uint64_t	 dropped_kernel;	/* ring full */
	uint64_t	 dropped_if;	/* by the interface */
	uint64_t	 dropped_vigil;	/* alerts the child could not send
					 * (the parent was slow), or too big */
	uint64_t	 frames;	/* fed to the sensor */
	uint64_t	 undecodable;
	uint64_t	 flows;
	uint64_t	 flows_active;
	uint64_t	 flows_evicted;	/* pushed out by new flows */
	uint64_t	 alerts;	/* raised by the sensor */
};

/* One message as received and checked. */
struct netmsg {
	uint32_t	 type;
	union {
		struct netmsg_ready	 ready;
		struct netmsg_stats	 stats;
		struct netmsg_probed	 probed;
		struct {
			const char	*json;	/* in the caller's buffer */
			size_t		 len;
			int		 severity;
		}			 alert;
	}		 u;
};

/*
 * Check one datagram of n bytes (the size the kernel reported: a
 * truncated read has n greater than what buf holds, and is refused).
 * 0 and *out; ERR_TOOBIG (over NETMSG_MAX); ERR_MALFORMED (a short
 * header, a length that is not the rest of the datagram, an unknown
 * type, a body of the wrong size or shape), *why saying which.
 */
int	netmsg_parse(struct netmsg *out, const uint8_t *buf, size_t n,
	    const char **why);
/* The child's side: one datagram of n bytes that must be a PROBE, checked
 * as netmsg_parse checks the child's; buf holds n bytes, or at least
 * NETMSG_HDR + sizeof(struct netmsg_probe) when n is more (refused unread).
 * 0 and *out; ERR_TOOBIG, ERR_MALFORMED (another type, another size, a
 * probe sandbox.h does not name), *why saying which. */
int	netmsg_parse_probe(struct netmsg_probe *out, const uint8_t *buf,
	    size_t n, const char **why);

/* Send one message without waiting: 0, ERR_AGAIN (the socket's buffer is
 * full: the parent is slow), ERR_TOOBIG, ERR_IO (the parent is gone). */
int	netmsg_send(int fd, uint32_t type, const void *body, size_t len);

/* Receive one datagram into buf[NETMSG_MAX]: 0 and *n (the size the
 * datagram had, which may exceed NETMSG_MAX: netmsg_parse refuses it),
 * ERR_AGAIN (nothing waiting), ERR_NOTFOUND (the peer hung up), ERR_IO. */
int	netmsg_recv(int fd, uint8_t buf[static NETMSG_MAX], size_t *n);

#endif
