/*
 * frag.h: IPv4 and IPv6 fragment reassembly, bounded.
 *
 * At most max datagrams are held at once, each at most FRAG_MAX_LEN bytes
 * of payload, each for at most timeout from its first fragment; when the
 * table is full the oldest datagram is dropped for the new one. A
 * fragment that overlaps one already held (even an exact repeat) drops
 * its datagram: which copy the host kept cannot be known, so none is
 * guessed. The dropped datagram's key is kept until its timeout, so that
 * its other fragments are dropped too and never assemble into a version
 * of their own. Called by netpipe only; not thread-safe.
 */
#ifndef VIGIL_FRAG_H
#define VIGIL_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "packet.h"

#define FRAG_MAX_LEN	65535	/* payload bytes of one datagram */

enum frag_result {
	FRAG_HELD = 0,	/* kept; the datagram is not whole yet */
	FRAG_DONE,	/* whole: *proto, *data, *len are set */
	FRAG_OVERLAP,	/* overlapping fragments: the datagram dropped */
	FRAG_BAD,	/* lengths that cannot be (past the end, a middle
			 * fragment not a multiple of 8, over FRAG_MAX_LEN):
			 * the datagram dropped */
	FRAG_DROPPED,	/* of a datagram dropped earlier, or no memory */
};

struct frag_stats {
	uint64_t	 reassembled, dropped, overlaps, evicted, timed_out;
	uint32_t	 held;
};

struct frag;

/* ERR_NOMEM, ERR_USAGE (max 0). */
int	frag_new(struct frag **out, uint32_t max, uint32_t timeout_s);
void	frag_free(struct frag *);	/* takes NULL */
/*
 * One fragment of the datagram from p->src to p->dst (p->ipver set).
 * FRAG_DONE: data is the datagram's payload (proto its IPv4 protocol or
 * the IPv6 next header of the fragment at offset 0), valid until the
 * next call on this table.
 */
enum frag_result frag_add(struct frag *, const struct pkt *p,
	    const struct frag_in *f, int64_t now_us, uint8_t *proto,
	    const uint8_t **data, size_t *len);
/* Drop the datagrams older than the timeout as of now_us. */
void	frag_expire(struct frag *, int64_t now_us);
void	frag_stats(const struct frag *, struct frag_stats *);

#endif
