/*
 * eve.h: network alerts as Suricata writes them: EVE JSON and fast.log.
 *
 * The EVE object carries what Suricata's alert records do (timestamp,
 * flow_id, addresses and ports, proto, app_proto, direction, alert{action,
 * gid, signature_id, rev, signature, category, severity, metadata}) and
 * the dns/tls/http context of the transaction matched; indicator-list and
 * detector alerts add "evidence". Text from the wire is escaped as
 * TEXT_JSON (docs/events.md); payloads are never copied.
 */
#ifndef VIGIL_EVE_H
#define VIGIL_EVE_H

#include <stdio.h>

#include <jansson.h>

#include "packet.h"

/* A new EVE alert object, or NULL when out of memory. */
json_t	*eve_alert(const struct pkt *, const struct net_alert *);
/* One fast.log line (ends with a newline); text from rules and the wire
 * escaped for a terminal. 0, or ERR_IO. */
int	eve_fast(FILE *, const struct pkt *, const struct net_alert *);
/* "TCP", "UDP", "ICMP", "IPv6-ICMP", ... or the number. */
const char *eve_proto(uint8_t proto, char buf[static 8]);
const char *eve_app_proto(uint8_t app);

#endif
