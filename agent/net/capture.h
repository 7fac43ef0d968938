/*
 * capture.h: frames from libpcap into a netsensor, live or from files.
 *
 * Live capture and `vigil-agent pcap` share this path: the only
 * difference is where pcap_t comes from. Files may be pcap or pcapng
 * (libpcap reads both); timestamps are taken in microseconds.
 */
#ifndef VIGIL_CAPTURE_H
#define VIGIL_CAPTURE_H

#include <stdint.h>

#include <pcap/pcap.h>

#include "netsensor.h"

struct capture;

/*
 * Bytes kept of each frame, by default. The ring packs frames by their
 * length (TPACKET_V3), so a small frame costs what it is; the cut bounds
 * what one coalesced segment (GRO, TSO: up to 64 KiB) takes of the ring.
 * What is cut is such a segment's tail: a request's headers and a
 * ClientHello fit (docs/network.md).
 */
#define CAPTURE_SNAPLEN		4096
/* The ring is TPACKET_V3: frames packed one after another in blocks,
 * each block handed over when full or this old, so that a quiet link's
 * alert waits at most this long and a busy one is read in batches. */
#define CAPTURE_BLOCK_MS	100

struct capture_live_opts {
	const char	*ifname;
	const char	*bpf;		/* "" or NULL: everything */
	int		 promisc;	/* 0: only this host's traffic */
	int		 snaplen;	/* 0: CAPTURE_SNAPLEN */
	int		 buffer_bytes;	/* the kernel ring, 0: 4 MiB */
};

struct capture_stats {
	uint64_t	 received;	/* frames the kernel passed to us */
	uint64_t	 dropped_kernel;	/* ring full (ps_drop) */
	uint64_t	 dropped_if;	/* by the interface (ps_ifdrop) */
};

/* err gets libpcap's message on failure (ERR_IO, ERR_MALFORMED for a bad
 * filter). */
int	capture_open_file(struct capture **out, const char *path,
	    char err[static PCAP_ERRBUF_SIZE]);
int	capture_open_live(struct capture **out, const struct capture_live_opts *,
	    char err[static PCAP_ERRBUF_SIZE]);
void	capture_close(struct capture *);	/* takes NULL */
/* A descriptor that polls readable when frames wait (live), or -1. */
int	capture_fd(const struct capture *);
/*
 * Feed up to max frames (0: all that are ready; for a file: until its
 * end) to ns, ticking it once per second of capture time. Returns the
 * number of frames fed, 0 at the end of a file (or nothing ready), or
 * ERR_IO with err set.
 */
int	capture_feed(struct capture *, struct netsensor *ns, int max,
	    char err[static PCAP_ERRBUF_SIZE]);
/* The last capture time fed (Unix microseconds), 0 before any. */
int64_t	capture_last_ts(const struct capture *);
int	capture_stats(struct capture *, struct capture_stats *);
const char *capture_linktype_name(const struct capture *);

#endif
