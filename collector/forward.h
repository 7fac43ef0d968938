/*
 * forward.h: alerts and the incident register's changes to another SIEM
 * over syslog, RFC 5424 (issue 9; docs/incidents.md, "Forwarding").
 *
 * One forwarder thread tails the store on its own handle: alert events
 * by events.id, audit entries (every change to the register, made by
 * the daemon or by a command) by their seq. Each is one RFC 5424
 * message (rfc5424.h) sent over UDP (RFC 5426), TCP (RFC 6587,
 * octet-counting) or TLS (RFC 5425). The two cursors are kept in the
 * store (forward_cursors) and moved only once the receiver has the
 * messages (UDP: sent; TCP and TLS: acknowledged by the receiver's TCP),
 * so a SIEM that is down, or a restart, loses nothing; a crash between
 * delivery and the cursor's save sends a batch again (at least once).
 * Ingest never waits for it: the thread only reads the store, in short
 * snapshots, and writes its two cursors.
 */
#ifndef VIGIL_FORWARD_H
#define VIGIL_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "config.h"
#include "store.h"

#define FORWARD_SD_ID		"vigil@32473"	/* 32473: IANA's example
						 * enterprise number (RFC
						 * 5612), for documentation */
#define FORWARD_UDP_MAX		8192		/* bytes of a datagram */
#define FORWARD_STREAM_MAX	65536		/* bytes of a TCP/TLS frame */

struct forward;

/*
 * From cfg's [forward] (copied), on its own handle of the store at
 * dbpath: checks the destination, loads ca_file (tls), and starts the
 * thread. The first time (no cursor in the store) forwarding starts at
 * the store's end: what was stored before is not sent. *out is NULL, and
 * 0 returned, when [forward] syslog is empty. Errors: ERR_CONFIG
 * (logged), ERR_IO, ERR_NOMEM.
 */
int	forward_new(struct forward **out, const struct collector_config *cfg,
	    const char *dbpath);
/* Stops the thread (a batch being sent ends first, within the send
 * timeouts); takes NULL. */
void	forward_free(struct forward *);

/* What the messages carry besides the record: for forward_alert_msg()
 * and forward_audit_msg(), and tests. */
struct forward_fmt {
	int		 facility;	/* 0-23 */
	const char	*app_name;
	const char	*hostname;	/* the collector's (audit entries) */
	const char	*procid;
	size_t		 max;		/* the transport's bound */
};

/*
 * The message for a stored alert (r from store_events_after) or an audit
 * entry (with its incident, read from st, as it is now), into out, which
 * has room for fmt->max bytes; *len gets its length. ERR_MALFORMED (the
 * stored event does not parse), ERR_NOMEM.
 */
int	forward_alert_msg(char *out, size_t *len, const struct forward_fmt *,
	    const struct store_row *r);
int	forward_audit_msg(char *out, size_t *len, const struct forward_fmt *,
	    struct store *st, const struct audit_entry *e, int64_t now);

#endif
