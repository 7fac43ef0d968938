/*
 * decode.h: a captured frame's headers, link layer to transport layer.
 *
 * Every length comes from the frame and is checked against what was
 * captured before it is used. Nothing here allocates or keeps state: the
 * struct pkt filled in points into the frame (or into a reassembled
 * datagram), valid as long as that is. Called by netpipe only.
 */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* libpcap link types (pcap-linktype(7)); DLT_RAW is 12 on Linux and 14
 * on OpenBSD, LINKTYPE_RAW (101) in a file. */
enum {
	LT_NULL = 0,
	LT_EN10MB = 1,
	LT_RAW12 = 12,
	LT_RAW14 = 14,
	LT_RAW = 101,
	LT_LOOP = 108,
	LT_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_SLL2 = 276,
};

enum dec_result {
	DEC_OK = 0,	/* p is decoded down to the transport layer */
	DEC_ARP,	/* p->is_arp; nothing below */
	DEC_FRAG,	/* an IP fragment: o->frag describes it, p is decoded
			 * to the network layer */
	DEC_NOTIP,	/* a link or network protocol not decoded here */
	DEC_TRUNC,	/* a header is cut short by the capture (snaplen) */
	DEC_BAD,	/* malformed: o->why names what */
};

/* One fragment of an IPv4 or IPv6 datagram. */
struct frag_in {
	uint8_t		 proto;	/* IPv4: the protocol; IPv6: the next
				 * header after the fragment header */
	uint32_t	 id;
	uint32_t	 off;	/* bytes into the fragmentable part */
	bool		 more;
	const uint8_t	*data;
	size_t		 len;
};

struct dec_out {
	const char	*why;		/* DEC_BAD: a short token such as
					 * "ipv4_bad_len"; also set for a
					 * tolerated oddity with DEC_OK */
	bool		 truncated;	/* the payload is shorter than the
					 * headers say (caplen < wirelen) */
	struct frag_in	 frag;		/* DEC_FRAG */
};

/* Decode a frame of the given link type into p (which it zeroes first,
 * then sets caplen and wirelen). */
enum dec_result	decode_frame(struct pkt *p, struct dec_out *o, int linktype,
		    const uint8_t *frame, uint32_t caplen, uint32_t wirelen);
/* The transport layer of a reassembled datagram: p's network layer is
 * set; proto and data are what frag_add returned. IPv6: proto may be an
 * extension header (the chain goes on after the fragment header). */
enum dec_result	decode_transport(struct pkt *p, struct dec_out *o,
		    uint8_t proto, const uint8_t *data, size_t len);

#endif
