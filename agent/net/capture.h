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
 * Bytes kept of each frame, by default. In immediate mode libpcap's ring
 * (TPACKET_V2) has one fixed slot per frame sized by the snapshot length:
 * at 65,535 an 8 MiB ring holds about 120 frames, at 4,096 about 1,900.
 * What is cut is a coalesced segment's tail (GRO, TSO): a request's
 * headers and a ClientHello fit (docs/network.md).
 */
#define CAPTURE_SNAPLEN		4096

struct capture_live_opts {
	const char	*ifname;
	const char	*bpf;		/* "" or NULL: everything */
	int		 promisc;	/* 0: only this host's traffic */
	int		 snaplen;	/* 0: CAPTURE_SNAPLEN */
	int		 buffer_bytes;	/* the kernel ring, 0: 8 MiB */
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
