/*
 * correlate.h: alerts into incidents, on the collector's own path
 * (issue 9; docs/incidents.md, "Correlation", says what it does and
 * which defaults it has).
 *
 * Two halves:
 * - correlate_extract(), on the event loop, beside event_parse: reads what
 *   correlation needs from one event an agent sent (untrusted) into a
 *   fixed-size struct correlate_in, so the writer thread never parses
 *   JSON. Pure: no state, no configuration.
 * - struct correlate, owned by the writer thread: an in-memory index of
 *   open groups (rule and agent, indicator, an agent's integrity or
 *   health, spreading, agents offline) mirrored in the store's
 *   correlate_keys table and rebuilt from it at start.
 *   correlate_batch() runs inside the transaction that stores a batch,
 *   so incidents, their links and their audit entries commit with the
 *   events or not at all; correlate_tick() finds silent agents and
 *   agents that came back, and prunes the index.
 *
 * Time is always a parameter: event timestamps for the grouping
 * windows, now (Unix seconds, the writer's clock) for the rest.
 * Errors: ERR_NOMEM, ERR_IO (logged), ERR_STATE (no open transaction).
 * After any error the caller rolls its transaction back and calls
 * correlate_abort(): the index is then reloaded from the store.
 */
#ifndef VIGIL_CORRELATE_H
#define VIGIL_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "store.h"

#define CORR_NAME_MAX		255	/* a rule's name, a path: bytes */
#define CORR_VALUE_MAX		253	/* an indicator's value: a domain */
#define CORR_IND_MAX		4	/* indicators kept per event */

enum correlate_kind {
	CORR_NONE = 0,		/* nothing to correlate */
	CORR_ALERT,		/* alert: YARA file alerts; traffic and IOC
				 * alerts (issue 10) fit the same keys */
	CORR_INTEGRITY,		/* integrity: a change of a path */
	CORR_HEALTH,		/* agent_health: drops, quota, refused */
};

enum correlate_ind {
	CIND_RULE = 1,		/* "GID:SID": YARA (gid 2) or traffic (1) */
	CIND_HASH,		/* a file's SHA-256, lower-case hex */
	CIND_IP,		/* a public address, as inet_ntop gives it */
	CIND_DOMAIN,		/* lower case, [a-z0-9._-] */
};

/* What one event brings to correlation. Strings are NUL-terminated,
 * valid UTF-8; name is cut at a character boundary (name_cut). */
struct correlate_in {
	uint8_t		 kind;		/* enum correlate_kind */
	uint8_t		 severity;	/* enum taxonomy_severity */
	uint8_t		 name_cut;	/* name was longer */
	uint8_t		 nind;
	char		 category[16];	/* a taxonomy code */
	char		 name[CORR_NAME_MAX + 1];	/* signature; the
					 * path changed; the health reason */
	struct {
		uint8_t	 kind;		/* enum correlate_ind */
		char	 value[CORR_VALUE_MAX + 1];
	}		 ind[CORR_IND_MAX];
};

struct correlate_conf {
	int			 enabled;
	int64_t			 window_s;	/* quiet that closes a group */
	int			 spread_agents;	/* N agents ... */
	int64_t			 spread_window_s;	/* ... within T */
	int64_t			 offline_s;	/* silent beyond: offline */
	int			 max_groups;	/* index entries, at most */
	const struct config_list *critical;	/* integrity: paths */
	int64_t			 deadline_s;	/* report within (incidents) */
};

/*
 * What a batch or tick changed in the register, for the early warning
 * (notify.h): one per incident, merged, sorted by incident. An incident
 * opened (by any rule), its severity raised, or agents new to it (it
 * spreads). Joining alerts, indicators and resolutions are not changes
 * here.
 */
#define CHG_OPENED	0x1
#define CHG_RAISED	0x2
#define CHG_SPREAD	0x4

struct correlate_change {
	int64_t		 incident;
	uint32_t	 agents;	/* CHG_SPREAD: agents added */
	uint8_t		 kinds;		/* CHG_* */
	uint8_t		 severity;	/* now (enum taxonomy_severity) */
	uint8_t		 from;		/* CHG_RAISED: before */
};

struct correlate;

/* The conf of [correlation] and [incidents] (config.c holds the
 * defaults); borrows cfg. */
void	correlate_conf_from(struct correlate_conf *,
	    const struct collector_config *cfg);

/* Fill *out from a validated event (event_parse_root's root) of type
 * type. out->kind is CORR_NONE for events correlation does not use.
 * Never fails: what is malformed is left out. */
void	correlate_extract(struct correlate_in *out, const char *type,
	    const json_t *root);

/* The index of s, rebuilt from its correlate_keys. conf (and its
 * critical list) is borrowed for the life of the object. started: when
 * the collector started (an agent is silent since then at most). */
int	correlate_open(struct correlate **out, struct store *s,
	    const struct correlate_conf *conf, int64_t started);
void	correlate_free(struct correlate *);	/* takes NULL */

/* Correlate a stored batch, inside the caller's open transaction:
 * evs[i] was stored as events.id ids[i] (0: a duplicate, skipped) and
 * in[i] (NULL: nothing) is what correlate_extract found in it. */
int	correlate_batch(struct correlate *, const struct store_event *evs,
	    const int64_t *ids, const struct correlate_in *const *in,
	    size_t n, int64_t now);
/* Agents silent beyond offline_s open an incident; those back resolve
 * theirs; the index drops what is quiet beyond the windows. Inside the
 * caller's open transaction. Cost: one pass over the registry. */
int	correlate_tick(struct correlate *, int64_t now);
/* Seconds between ticks for conf: often enough to see an agent back
 * within a tenth of offline_s, at least every 30 s. */
int64_t	correlate_tick_s(const struct correlate_conf *);
/* The changes of the last correlate_batch() or correlate_tick(), for
 * the caller to hand on once its transaction committed; valid until the
 * next call of either. Cost: a sort of the batch's changes. */
const struct correlate_change *correlate_changes(struct correlate *,
	    size_t *n);
/* The transaction of the last batch or tick was rolled back. */
void	correlate_abort(struct correlate *);
/* Index entries (tests, benchmarks). */
size_t	correlate_size(const struct correlate *);

#endif
