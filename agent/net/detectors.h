/*
 * detectors.h: what signatures do badly, counted per source: port scans,
 * brute force against login services, DNS tunnels, ARP spoofing of the
 * gateway (docs/detectors.md).
 *
 * Alerts are struct net_alert with gid 4 and the fixed sids below; the
 * evidence is a JSON object text with the counts, the window and a few
 * examples. Each detector alerts once per (source, target) per window,
 * not per packet. Memory is fixed at det_new (about 4 MiB with the
 * defaults): every tracker lives in a set-associative table (8 ways,
 * keyed by a secret SipHash of the tuple); a new tuple evicts its set's
 * least recently seen entry, and the evictions are counted: a flood of
 * spoofed sources costs detections, never memory.
 *
 * One struct det per capture thread (not thread-safe). Calls come from
 * netpipe's callbacks, in capture order; det_tick once a second of
 * capture time settles the port scan probes nobody answered. An alert is
 * raised during the call that completes it, with the packet that did, or
 * from det_tick with a packet made for it (ts_us, ipver, src the
 * scanner, dst the target, proto and dport: nothing else set).
 */
#ifndef VIGIL_DETECTORS_H
#define VIGIL_DETECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "packet.h"

#define DET_GID		4

struct det;

enum det_sid {
	DET_SID_SCAN_PORTS = 1,	/* one source, many ports of one host */
	DET_SID_SCAN_HOSTS,	/* one source, one port of many hosts */
	DET_SID_BRUTE_SSH,	/* new connections to one service: 22 */
	DET_SID_BRUTE_RDP,	/* 3389 */
	DET_SID_BRUTE_SMB,	/* 445 */
	DET_SID_BRUTE_FTP,	/* 21 */
	DET_SID_DNS_TUNNEL,	/* long high-entropy names under one parent */
	DET_SID_DNS_TXT,	/* TXT/NULL query volume to one parent */
	DET_SID_ARP_GATEWAY,	/* the gateway's address from a new MAC */
};

enum det_service { DET_SSH, DET_RDP, DET_SMB, DET_FTP, DET__NSERVICE };

struct det_conf {
	/* port scans: failed attempts (a SYN answered by RST or by nothing
	 * within scan_timeout_ms, a UDP packet not answered), as Zeek's
	 * scan.zeek counts them (15 ports, 25 hosts, 5 minutes) */
	uint32_t	 scan_window_s;		/* 300 */
	uint32_t	 scan_ports;		/* 15 */
	uint32_t	 scan_hosts;		/* 25 */
	uint32_t	 scan_timeout_ms;	/* 3000 */
	uint32_t	 scan_sources;		/* 1024 trackers (2 KiB each) */
	/* brute force: new TCP connections from one source to one
	 * service of one host */
	uint32_t	 brute_window_s;	/* 60 */
	uint32_t	 brute_conns[DET__NSERVICE];	/* 10 SSH, 10 RDP,
						 * 20 SMB, 10 FTP */
	/* DNS tunnels: per source and parent domain (the last two labels,
	 * three under a ccTLD's com/net/org/gov/edu/ac/co...) */
	uint32_t	 dns_window_s;		/* 60 */
	uint32_t	 dns_long_len;		/* 40: bytes below the parent */
	uint32_t	 dns_entropy_x100;	/* 350: 3.5 bits per byte */
	uint32_t	 dns_long_names;	/* 20 */
	uint32_t	 dns_txt_queries;	/* 50 TXT or NULL queries */
	const char	*const *dns_allow;	/* parents never counted (a
						 * filter service's look-ups),
						 * lowercase; may be NULL */
	size_t		 dns_nallow;
	/* ARP: the gateway, configured or learned (det_gateway) */
	uint32_t	 arp_window_s;		/* 300 */
	/* trackers of the brute force and DNS detectors (32 and 480
	 * bytes each) */
	uint32_t	 table_max;		/* 4096 */
};

struct det_stats {
	uint64_t	 alerts[DET_SID_ARP_GATEWAY + 1];	/* by sid */
	uint64_t	 evicted;	/* trackers pushed out by new ones */
	uint64_t	 probes_dropped;	/* scan probes past a tracker's
						 * room (the oldest go) */
	uint64_t	 suppressed;	/* alerts not raised: a source's
					 * targets past its alert memory */
};

void	det_conf_defaults(struct det_conf *);
/* ERR_NOMEM, ERR_CONFIG (a zero window, threshold or table). The
 * configuration's dns_allow is borrowed: it must outlive the det. */
int	det_new(struct det **out, const struct det_conf *,
	    detect_alert_fn *fn, void *ctx);
void	det_free(struct det *);		/* takes NULL */
/* The gateway's IPv4 address and, when known, its MAC (NULL: the first
 * MAC that announces the address is taken as the gateway's). */
void	det_gateway(struct det *, const uint8_t ip[4], const uint8_t *mac);
void	det_packet(struct det *, const struct pkt *);
void	det_txn(struct det *, const struct pkt *, const struct txn *);
void	det_tick(struct det *, int64_t now_us);
void	det_stats(const struct det *, struct det_stats *);

#endif
