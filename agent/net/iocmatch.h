/*
 * iocmatch.h: the indicator lists (ioc.h) against traffic.
 *
 * What is looked up, and the "where" that names it:
 *   src_ip, dest_ip	every IP packet's addresses (addresses, ranges)
 *   dns.query		a DNS message's first question (domains)
 *   dns.answer		a DNS response's A/AAAA addresses and CNAME names
 *   tls.sni		a ClientHello's server name (domains)
 *   http.host		an HTTP request's Host (domains)
 *   http.url		its Host and raw URI (URLs)
 * (and file.sha256: a file the scanner read, scanner.h)
 * A match raises a net_alert with gid 3, sid scanner_signature_id(list,
 * where) (a stable 31-bit id of the list name and the place: the same
 * list file matched in the same place has the same sid on every agent),
 * msg ioc_signature() ("vigil IOC list LIST: WHERE"), and the evidence
 * ioc_evidence() builds (value as seen in the traffic).
 * The same (indicator, where, source, destination) alerts once per
 * repeat_s seconds (a direct-mapped cache of 4096 entries: a collision
 * can only let a repeat through, never hide a first match).
 *
 * One per capture thread; the iocdb is borrowed (read-only, shared) and
 * must outlive it.
 */
#ifndef VIGIL_IOCMATCH_H
#define VIGIL_IOCMATCH_H

#include <stdint.h>

#include "detect.h"
#include "ioc.h"
#include "packet.h"

struct iocmatch;

struct iocmatch_stats {
	uint64_t	 alerts, repeats;	/* raised; held as repeats */
};

/* ERR_NOMEM, ERR_CONFIG (repeat_s 0 or no fn). */
int	iocmatch_new(struct iocmatch **out, const struct iocdb *,
	    uint32_t repeat_s, detect_alert_fn *fn, void *ctx);
void	iocmatch_free(struct iocmatch *);	/* takes NULL */
void	iocmatch_packet(struct iocmatch *, const struct pkt *);
void	iocmatch_txn(struct iocmatch *, const struct pkt *,
	    const struct txn *);
void	iocmatch_stats(const struct iocmatch *, struct iocmatch_stats *);

#endif
