/*
 * uplink.h: the agent daemon's link to its collector.
 *
 * One struct uplink keeps one connection to the collector alive on a
 * libevent base: connect, Noise IK handshake and secretstream channel
 * (both in the uplink worker, upproc.h), then
 * batches of spooled events sent with a bounded window of unacknowledged
 * batches, heartbeats, and jittered exponential backoff between attempts.
 * Events leave the spool only when the collector acknowledges them.
 * The link state is mirrored into the spool's meta table ("link_state",
 * "link_since", "last_error", "last_ack_seq", "daemon_pid") for
 * `vigil-agent status`.
 *
 * All functions run on the thread that owns the event base. The uplink
 * borrows the base, the spool and the configuration (which the caller
 * may change in place on reload, then call uplink_reload()).
 */
#ifndef VIGIL_UPLINK_H
#define VIGIL_UPLINK_H

#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "spool.h"
#include "upproc.h"

/* no ACK for this long while a batch waits (or output that does not
 * drain in the worker): the link is dead */
#define UPLINK_ACK_TIMEOUT_S	60

struct uplink;

/* Load the identity (spool meta) and the key (data_dir/agent.key), and
 * start the uplink worker (worker: how). ERR_NOTFOUND if the agent is
 * not enrolled, ERR_IO, ERR_NOMEM, ERR_TOOBIG. */
int	uplink_new(struct uplink **out, struct event_base *, struct spool *,
	    const struct agent_config *cfg, const struct upproc_conf *worker);
/* Start connecting; from now on the link runs itself. */
int	uplink_start(struct uplink *);
/* New events were appended: try to send now rather than at the next
 * poll tick. */
void	uplink_kick(struct uplink *);
/* cfg changed (heartbeat, poll, batch sizes, backoff): apply it. */
void	uplink_reload(struct uplink *);
/* Closes the connection, stops the worker, records "stopped" and wipes
 * the key. Takes NULL. */
void	uplink_free(struct uplink *);
/* Other parts of the agent add to each heartbeat: cb returns a new JSON
 * object whose members are merged into "heartbeat" (for example "rules"
 * and "files"), or NULL. Called on the event-loop thread. */
typedef json_t	*(*uplink_health_cb)(void *arg);
void	uplink_set_health(struct uplink *, uplink_health_cb cb, void *arg);

/* Backoff before reconnect attempt k (0-based): a ceiling
 * d = min(max_ms, min_ms * 2^k), computed without overflow for any k,
 * and a uniformly random delay in [d/2, d]. */
uint32_t uplink_backoff_ceiling(int min_ms, int max_ms, unsigned k);
uint32_t uplink_backoff_ms(int min_ms, int max_ms, unsigned k);

/* The heartbeat event: event_build("heartbeat") with "heartbeat":
 * {"version", "uptime", "spool": {depth, bytes, max_bytes, last_seq,
 * acked_seq}, "drops": {"total", "by_type"}, "rules": {}}.
 * Takes ownership of by_type (an object, or NULL for {}). NULL on ENOMEM. */
json_t	*uplink_heartbeat_json(int64_t uptime_s,
	    const struct spool_stats *, json_t *by_type);
/* Drop counts by type as a JSON object {TYPE: N}. ERR_NOMEM, ERR_IO. */
int	uplink_drops_json(struct spool *, json_t **out);

#endif
