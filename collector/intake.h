/*
 * intake.h: what an authenticated agent sends, turned into batches for
 * the writer thread (ingest.h), and the collector's own agent_health
 * events about an agent.
 *
 * Every event is validated (event_parse) and stored as received, or
 * replaced in its place by an event the collector makes, so that every
 * sequence number an agent sent is stored once and nothing is dropped
 * silently:
 *   - a malformed event by {"event_type":"malformed","malformed":
 *     {"reason", "length"}};
 *   - an event over max_event_size by {"event_type":"agent_health",
 *     "agent_health":{"source":"collector","refused":{"reason":
 *     "over max_event_size","length","limit"}}}.
 * Neither keeps the content. The caller owns the batches made here.
 * Event-loop thread only (no state of its own: the caller's intake_env
 * holds what is reused).
 */
#ifndef VIGIL_INTAKE_H
#define VIGIL_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ingest.h"
#include "jarena.h"
#include "quota.h"

struct intake_counts {
	size_t		events;		/* events in the message */
	uint64_t	bytes;		/* their JSON bytes, as sent */
	size_t		malformed;	/* replaced by "malformed" */
	size_t		refused;	/* replaced by agent_health */
	uint64_t	refused_bytes;
};

/* What intake_events works with, the caller's, reused message after
 * message (event-loop thread). */
struct intake_env {
	struct ingest	*pool;		/* batches from its pool (NULL: new) */
	struct wbuf	*scratch;	/* decompressed events */
	struct jarena	*arena;		/* each event's parse (NULL: malloc;
					 * jarena_install() makes it count) */
	size_t		 event_max;	/* larger events are refused */
};

/* An EVENTS message (msg starts at its type byte) of agent rowid into a
 * batch for owner. *out is NULL when the message holds no events.
 * ERR_MALFORMED or ERR_TOOBIG for a message that breaks the protocol
 * (the connection must close), ERR_NOMEM. */
int	intake_events(struct ingest_batch **out, struct intake_counts *,
	    const struct intake_env *, void *owner, int64_t rowid,
	    const uint8_t *msg, size_t len);
/* A HEARTBEAT message into a heartbeat job. ERR_MALFORMED (*why says
 * what: the caller closes the connection), ERR_NOMEM. */
int	intake_heartbeat(struct ingest_batch **out, void *owner,
	    int64_t rowid, const uint8_t *msg, size_t len, const char **why);
/* The collector's agent_health event about agent rowid's quota report:
 * {"agent_health":{"source":"collector","quota":{"events_per_second",
 * "bytes_per_second","events_over","bytes_over","throttled_ms"},
 * "refused":{"events","bytes","max_event_size"}}}, as an INGEST_HEALTH
 * batch (seq 0: the store gives it the agent's next own number).
 * ERR_NOMEM. */
int	intake_health(struct ingest_batch **out, int64_t rowid,
	    const struct quota_stats *, const struct quota_conf *,
	    size_t event_max);

#endif
