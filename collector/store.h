/*
 * store.h: the collector's durable store (SQLite today; the interface is
 * kept narrow so a PostgreSQL twin can sit behind it later).
 *
 * Holds enrollment tokens (only their BLAKE2b hash), the agent registry
 * and the events. Events are unique by (agent, seq): inserting a
 * duplicate is not an error, it is counted and ignored, which makes the
 * at-least-once wire exactly-once in the store. An event with seq 0 is
 * the collector's own about that agent (agent_health: quota, refused
 * events): each one is stored, apart from the agent's numbering (it
 * counts in neither agents.events nor last_seq) and reads back with
 * seq 0.
 *
 * One struct store per thread. The collector daemon uses one for its
 * event loop and one for its writer thread; CLI commands open their own
 * while the daemon runs (WAL + busy timeout). Times are Unix seconds
 * except event timestamps, which are microseconds.
 *
 * Strings that come from the network or the operator (name, office,
 * version, addr, heartbeat JSON, event type) are refused with ERR_TOOBIG
 * when longer than their STORE_*_MAX / EVENT_TYPE_MAX, never truncated;
 * a NULL string is stored as "". Sequence numbers and handshake
 * timestamps must be below 2^63 (SQLite integers are signed):
 * ERR_MALFORMED otherwise. Database failures are logged and return ERR_IO.
 * A callback that returns non-zero stops a walk; the walk returns that
 * value.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

struct db;

#define STORE_NAME_MAX		64	/* agent name, office name: bytes */
#define STORE_VERSION_MAX	32
#define STORE_ADDR_MAX		64
#define STORE_HEARTBEAT_MAX	(16 * 1024)	/* heartbeat JSON: bytes */
#define TOKEN_HASH_LEN		32

struct store;

struct store_agent {
	int64_t	 rowid;
	char	 id[AGENT_ID_STRLEN];
	uint8_t	 pub[KEY_LEN];
	char	 name[STORE_NAME_MAX + 1];
	char	 office[STORE_NAME_MAX + 1];
	int	 revoked;
	int64_t	 enrolled;		/* when the token was used */
	int64_t	 first_seen;		/* first authenticated connection, 0 */
	int64_t	 last_seen;		/* last handshake or heartbeat, 0 */
	uint64_t last_hs_ts;		/* newest handshake timestamp (ns) */
	char	 addr[STORE_ADDR_MAX + 1];	/* last peer address */
	char	 version[STORE_VERSION_MAX + 1];
	uint64_t events;		/* stored events (maintained on insert) */
	uint64_t last_seq;		/* highest stored seq */
	char	*heartbeat;		/* last heartbeat JSON, malloc'd or NULL */
};

struct store_event {
	int64_t		 agent_rowid;
	uint64_t	 seq;		/* 0: the collector's own event */
	int64_t		 ts_us;		/* event timestamp */
	const char	*type;		/* event_type */
	int		 severity;	/* alert severity, 0 if none */
	const char	*json;		/* as received and validated */
	size_t		 len;
};

struct store_query {
	const char	*agent;		/* id or name (every agent with that
					   name), NULL for all */
	const char	*type;		/* event_type, NULL for all */
	int64_t		 since_us;	/* 0 for all */
	int64_t		 until_us;	/* before this; 0 for all */
	int64_t		 limit;		/* 0 for no limit, not negative */
};

/* A stored event with its agent's registry fields, for output. */
struct store_row {
	const char	*agent_id;
	const char	*agent_name;
	const char	*office;
	uint64_t	 seq;		/* 0: the collector's own event */
	int64_t		 ts_us;
	int64_t		 received;	/* unix seconds */
	const char	*type;
	const char	*json;
	size_t		 len;
	int64_t		 id;		/* events.id; set by
					 * store_events_after only */
};

typedef int	(*store_agent_cb)(void *arg, const struct store_agent *);
typedef int	(*store_row_cb)(void *arg, const struct store_row *);

/* Create or open path (mode 0600), creating the schema. ERR_IO. */
int	store_open(struct store **out, const char *path);
void	store_close(struct store *);
/* The connection, for the modules that keep their tables in the store
 * (audit.c, incident.c): their statements run on it and join its
 * transactions. Owned by the store. */
struct db	*store_db(struct store *);
/* 1 if another connection changed the file since the last call, else 0;
 * negative on error. Cheap (PRAGMA data_version): for a polling timer. */
int	store_changed(struct store *);

/* Tokens. add: ERR_EXISTS if the hash is known. consume: atomically marks
 * the token used and copies its name and office; ERR_NOTFOUND (unknown),
 * ERR_EXPIRED (expires <= now), ERR_EXISTS (already used). */
int	store_token_add(struct store *, const uint8_t hash[static TOKEN_HASH_LEN],
	    const char *name, const char *office, int64_t created,
	    int64_t expires);
int	store_token_consume(struct store *,
	    const uint8_t hash[static TOKEN_HASH_LEN], int64_t now,
	    char name[static STORE_NAME_MAX + 1],
	    char office[static STORE_NAME_MAX + 1]);

/* Agents. add: ERR_EXISTS if the key or the id is already enrolled,
 * ERR_MALFORMED if id is not 16 lowercase hex digits (keys_agent_id). */
int	store_agent_add(struct store *, int64_t *rowid, const char *id,
	    const uint8_t pub[static KEY_LEN], const char *name,
	    const char *office, int64_t now);
/* By id, by name (the newest enrolled with that name that is not revoked,
 * else the newest), or by rowid.
 * out->heartbeat is malloc'd: free with store_agent_clear. ERR_NOTFOUND. */
int	store_agent_get(struct store *, struct store_agent *out,
	    const char *id_or_name);
int	store_agent_get_rowid(struct store *, struct store_agent *out,
	    int64_t rowid);
void	store_agent_clear(struct store_agent *);
/* Picks the agent as store_agent_get does (so revoking a shared name
 * again revokes the next older live agent of that name). ERR_NOTFOUND.
 * Revoking a revoked agent by id is not an error. */
int	store_agent_revoke(struct store *, const char *id_or_name);
/* Record an authenticated handshake: last_hs_ts (never lowered), last_seen,
 * addr, and first_seen if unset. ERR_NOTFOUND, ERR_TOOBIG. */
int	store_agent_seen(struct store *, int64_t rowid, uint64_t hs_ts,
	    int64_t now, const char *addr);
/* Record a heartbeat: version, JSON (at most STORE_HEARTBEAT_MAX bytes,
 * no NUL; NULL clears it), last_seen. ERR_NOTFOUND, ERR_TOOBIG. */
int	store_agent_heartbeat(struct store *, int64_t rowid, int64_t now,
	    const char *version, const char *json, size_t len);
/* Every agent, in enrollment order (heartbeat included). */
int	store_agent_each(struct store *, store_agent_cb cb, void *arg);

/* Insert n events in one transaction. *inserted gets how many were new
 * (the rest were duplicates). Updates each agent's events/last_seq.
 * All or nothing: the batch is checked first (ERR_TOOBIG, ERR_MALFORMED,
 * ERR_USAGE for NULL type or json) and an unknown agent_rowid rolls it
 * back with ERR_NOTFOUND. */
int	store_events_insert(struct store *, const struct store_event *evs,
	    size_t n, size_t *inserted);
/* The same, and ids[i] (ids has n entries, may be NULL) gets events.id of
 * evs[i], or 0 for a duplicate. Both join the caller's open transaction
 * when there is one (the writer thread's batch, with correlation):
 * then nothing is committed or rolled back here. */
int	store_events_insert_ids(struct store *, const struct store_event *evs,
	    size_t n, size_t *inserted, int64_t *ids);
/* Matching events, capped at limit. ERR_NOTFOUND if q->agent names no
 * agent, ERR_USAGE for a negative limit. */
int	store_events_count(struct store *, const struct store_query *,
	    uint64_t *count);
/* Matching events, oldest first (by agent, then seq within equal time).
 * Rows are streamed: memory does not grow with the result. Fields point
 * into the store and are valid only during the callback. Errors as for
 * store_events_count. */
int	store_events_each(struct store *, const struct store_query *,
	    store_row_cb cb, void *arg);

/*
 * For the forwarder: events of type stored after events.id after, in id
 * order, in one read snapshot; at most limit, looking at ids up to
 * after + span only, so that a long run of other events costs bounded
 * steps and is looked at once. cb returns 0 to go on, 1 to stop after
 * this row, or an error (< 0, returned). *next gets where the next call
 * starts: the last row given when the walk stopped early, else the
 * highest id looked at (every event up to it was seen). Ids only grow
 * (an id is reused only if the newest event is deleted: retention never
 * does that unless nothing arrived for the whole retention period).
 * ERR_USAGE (after < 0, span or limit < 1, type NULL), ERR_IO.
 */
struct store_span {
	int64_t		 after;
	int64_t		 span;
	int64_t		 limit;
	const char	*type;
};

int	store_events_after(struct store *, const struct store_span *q,
	    store_row_cb cb, void *arg, int64_t *next);
/* The highest events.id, 0 when there are none. ERR_IO. */
int	store_events_last_id(struct store *, int64_t *id);

/*
 * Retention: delete up to max events whose ts (microseconds) is before
 * before_us, oldest first, except those linked to an incident (kept
 * with it). *cursor (ts, id; start at { INT64_MIN, 0 }) is where the
 * previous call stopped, and moves past the rows looked at: each call
 * looks at max rows at most, linked ones included, so its cost stays
 * bounded however many linked rows are old (an event stored later with
 * a time behind the cursor waits for the next start). *deleted gets the
 * count; *more 1 if there may be rows before before_us past the cursor. Joins the caller's open transaction (the
 * writer records the purge in the audit log in the same one), else runs
 * in its own. ERR_IO.
 */
struct store_cursor {
	int64_t	ts, id;
};

int	store_events_purge(struct store *, int64_t before_us, int max,
	    struct store_cursor *cursor, uint64_t *deleted, int *more);

#endif
