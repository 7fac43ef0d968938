/*
 * netpipe.h: from captured frames to packets, flows and transactions.
 *
 * One netpipe per capture thread (not thread-safe; no globals). Frames go
 * in with their libpcap link type (DLT_EN10MB, DLT_LINUX_SLL,
 * DLT_LINUX_SLL2, DLT_RAW / LINKTYPE_IPV4 / LINKTYPE_IPV6, DLT_NULL,
 * DLT_LOOP); decoded packets and application-layer transactions come out
 * through the callbacks, in capture order, during netpipe_feed.
 *
 * Memory is bounded by the configuration: the flow table holds at most
 * flow_max flows (the oldest idle one is evicted first, and counted), each
 * TCP direction buffers at most stream_depth bytes in order and
 * stream_ooo_max bytes out of order, all of them together at most
 * stream_memcap, fragments are held for at most frag_max datagrams of at
 * most 64 KiB each for frag_timeout.
 */
#ifndef VIGIL_NETPIPE_H
#define VIGIL_NETPIPE_H

#include <stdint.h>

#include "packet.h"

struct netpipe_conf {
	uint32_t	 flow_max;		/* default 65536 */
	uint32_t	 flow_timeout_s;	/* idle, default 120 (TCP
						 * established 600) */
	uint32_t	 stream_depth;		/* bytes per direction, default
						 * 1 MiB */
	uint32_t	 stream_ooo_max;	/* default 64 KiB */
	uint32_t	 http_body_depth;	/* default 4 KiB */
	uint32_t	 frag_max;		/* datagrams, default 1024 */
	uint32_t	 frag_timeout_s;	/* default 30 */
	uint64_t	 stream_memcap;		/* bytes all TCP buffers hold
						 * together, default 32 MiB,
						 * but for each direction's
						 * first 4 KiB (always kept); a
						 * direction that would pass it
						 * stops as at its depth */
};

struct netpipe_cb {
	void	*ctx;
	void	(*packet)(void *ctx, const struct pkt *);
	/* also for a flow that ends (netpipe_feed or netpipe_tick expiring
	 * or evicting it) with a request unfinished: p is then the client's
	 * side of the flow without payload, at its last time; never from
	 * netpipe_free */
	void	(*txn)(void *ctx, const struct pkt *, const struct txn *);
	/* an anomaly seen while decoding ("frag_overlap", "tcp_bad_len",
	 * ...), may be NULL */
	void	(*anomaly)(void *ctx, const struct pkt *, const char *what);
};

struct netpipe_stats {
	uint64_t	 frames, bytes, decoded, undecodable, truncated;
	uint64_t	 flows, flows_active, flows_evicted, flows_timed_out;
	uint64_t	 frags_reassembled, frags_dropped, frag_overlaps;
	uint64_t	 stream_gaps, stream_depth_reached, stream_memcap_hit;
	uint64_t	 stream_bytes;		/* held now */
	uint64_t	 txns[APP__COUNT];
};

void	netpipe_conf_defaults(struct netpipe_conf *);
/* NULL on allocation failure. */
struct netpipe *netpipe_new(const struct netpipe_conf *,
	    const struct netpipe_cb *);
void	netpipe_free(struct netpipe *);		/* takes NULL */
/* One captured frame. Never fails: what cannot be decoded is counted. */
void	netpipe_feed(struct netpipe *, int linktype, int64_t ts_us,
	    const uint8_t *frame, uint32_t caplen, uint32_t wirelen);
/* Expire idle flows and fragments as of now_us (capture time); call at
 * least once a second of capture time. */
void	netpipe_tick(struct netpipe *, int64_t now_us);
void	netpipe_stats(const struct netpipe *, struct netpipe_stats *);

#endif
