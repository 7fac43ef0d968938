/*
 * stream.h: one direction of a TCP connection, reassembled in order.
 *
 * The bytes from the direction's first sequence number (the SYN's plus
 * one, or the first data seen when the connection was picked up midway)
 * are kept contiguous up to depth. Segments ahead of the next expected
 * byte are held in a ring of ooo_max bytes past it and join the data when
 * the hole fills. Where two copies of a byte differ the first one seen
 * wins (retransmissions, overlaps, data in the ring): it is never
 * rewritten, and the difference is reported.
 *
 * A direction stops for good at depth, at the memory cap, or at a gap:
 * when the other side acknowledges bytes this one never saw (the capture
 * lost them, or they were out of order beyond the ring). After that its
 * data is only per packet.
 *
 * All streams of a netpipe share one struct stream_mem: the bytes their
 * buffers hold, at most cap, but for each direction's first STREAM_FLOOR
 * bytes, which are always given (and counted): however full the cap is
 * with long transfers, a new connection's first bytes (its ClientHello,
 * its request headers) are still reassembled. So the bound is cap plus
 * STREAM_FLOOR a direction. Called by netpipe only.
 */
#ifndef VIGIL_STREAM_H
#define VIGIL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_FLOOR	4096

struct stream_mem {
	size_t		 used, cap;	/* bytes allocated, the cap */
};

struct stream_lim {
	uint32_t	 depth;		/* at most 1 GiB */
	uint32_t	 ooo_max;
	struct stream_mem *mem;
};

/* What stream_add did beyond adding data (bits). */
enum {
	ST_DIFFERS = 0x01,	/* an overlap carried other bytes */
	ST_DEPTH = 0x02,	/* depth reached with this segment */
	ST_MEMCAP = 0x04,	/* the memory cap stopped this direction */
};

struct stream;

/* base: the sequence number of the direction's first byte. NULL on
 * allocation failure. */
struct stream	*stream_new(uint32_t base);
void		 stream_free(struct stream *, struct stream_mem *);
/*
 * A segment of this direction; *added: how many bytes the in-order data
 * grew by (the segment's and those of the ring it let in). Returns the
 * ST_* bits.
 */
int		 stream_add(struct stream *, const struct stream_lim *,
		    uint32_t seq, const uint8_t *data, size_t len,
		    size_t *added);
/* The other side acknowledged up to ack: true if that shows a gap (this
 * direction then stops). */
bool		 stream_ack(struct stream *, struct stream_mem *, uint32_t ack);
/* The in-order data so far. */
const uint8_t	*stream_data(const struct stream *, size_t *len);
/* No more data will be added: depth, memory cap or a gap. */
bool		 stream_stopped(const struct stream *);
/* Bytes held out of order, waiting for a hole to fill. */
size_t		 stream_ooo_held(const struct stream *);

#endif
