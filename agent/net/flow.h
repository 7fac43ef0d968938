/*
 * flow.h: the flow table: TCP and UDP 5-tuples, both directions one flow.
 *
 * At most max flows, from a table allocated once. A full table evicts the
 * flow idle the longest; idle flows expire after their state's timeout:
 * the configured idle timeout, five times that for an established TCP
 * flow, and at most FLOW_CLOSED_TIMEOUT_S once a FIN or RST was seen.
 * A TCP flow is closed (FLOW_CLOSED) by a FIN, or by a RST its receiver
 * would accept (flow.c, rst_ok): an injected one is ignored.
 * Dropping a flow (eviction, expiry, TCP port reuse, flow_table_free)
 * calls the release callback first, then frees fv.bits.
 * Called by netpipe only; not thread-safe.
 */
#ifndef VIGIL_FLOW_H
#define VIGIL_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

#define FLOW_CLOSED_TIMEOUT_S	30

struct stream;

struct flow_key {
	uint8_t		 lo[16], hi[16];	/* the lower (address, port)
						 * endpoint first */
	uint16_t	 lo_port, hi_port;
	uint8_t		 proto, family;
	uint8_t		 pad[2];	/* zero: keys compare bytewise */
};

struct flow {
	struct flow_key	 key;
	uint64_t	 id;		/* nonzero, 48 bits, unique per table */
	int64_t		 first_us, last_us;
	uint64_t	 pkts[2], bytes[2];	/* by direction */
	uint8_t		 state;		/* enum flow_state */
	bool		 client_lo;	/* the client is key.lo */
	uint8_t		 list;		/* flow.c's idle list */
	uint8_t		 tcp;		/* flow.c's handshake bits */
	bool		 isn_set[2];
	uint32_t	 isn[2];	/* SYN sequence number by direction */
	bool		 seq_known[2];
	uint32_t	 next_seq[2];	/* past the highest byte (SYN, FIN)
					 * each direction sent */
	bool		 reset;		/* a RST its receiver would accept */
	struct flowvars	 fv;

	/* netpipe's, zero on creation, freed by its release callback */
	struct stream	*st[2];
	uint64_t	 tx_id;		/* the next transaction's id */
	uint32_t	 app_off[2];	/* parsed so far, per direction */
	uint32_t	 app_scan;	/* HTTP: scanned for a header end */
	uint8_t		 app;		/* enum app_proto */
	uint8_t		 app_tries;	/* UDP payloads probed */
	uint8_t		 app_done[2];	/* nothing more to parse that way */
};

struct flow_stats {
	uint64_t	 created, evicted, timed_out, reused;
	uint32_t	 active;
};

struct flow_table;

/* ERR_NOMEM, ERR_USAGE (max 0 or over 2^24). */
int	flow_table_new(struct flow_table **out, uint32_t max,
	    uint32_t timeout_s, void (*release)(void *ctx, struct flow *),
	    void *ctx);
void	flow_table_free(struct flow_table *);	/* takes NULL */
/*
 * The flow of p (TCP or UDP, ports set), found or created, its state
 * updated for this packet; sets p->flow_id, dir, flow_state and fv. The
 * flow is valid until the next call on the table.
 */
struct flow	*flow_get(struct flow_table *, struct pkt *p, int64_t now_us);
/* Drop the flows idle past their timeout as of now_us. */
void	flow_expire(struct flow_table *, int64_t now_us);
void	flow_stats(const struct flow_table *, struct flow_stats *);

#endif
