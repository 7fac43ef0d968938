/*
 * incident.h: the incident register, in the collector's store (issue 9;
 * docs/taxonomy.md has the words, docs/incidents.md the commands).
 *
 * An incident: number (id, never reused), title, category, severity,
 * TLP, status, resolution and its reason, assignee, when it was created
 * (detected), first and last seen, its alert count (the events linked to
 * it), its reporting deadline (detection + the configured period, 5 days
 * by default: Decision 05/2017/QD-TTg art. 11), when and to whom it was
 * reported, and the incident it was merged into. Beside it: its agents
 * (their offices follow from the registry), indicators (ip, domain,
 * hash, rule: count, first and last seen), linked events and notes. Its
 * timeline is the audit log filtered by incident (audit.h).
 *
 * Every change appends an audit entry in the same transaction. Each
 * changing function runs inside the caller's open transaction when
 * there is one (correlation, in the writer thread's batch: on an error
 * the caller rolls back) and otherwise in one of its own, BEGIN
 * IMMEDIATE: a change reads the incident and writes it back under the
 * write lock, so two processes changing one incident both land, in
 * turn. Times are Unix seconds.
 *
 * Errors: ERR_NOTFOUND (no such incident, event or agent), ERR_STATE (the
 * change is not allowed in the incident's state: a transition outside
 * taxonomy_status_allowed, a change to a merged incident), ERR_USAGE (a
 * word that is not in the taxonomy, a resolution missing, merging an
 * incident into itself), ERR_TOOBIG / ERR_MALFORMED (text over its
 * maximum, or not valid UTF-8; names and titles must also be
 * text_printable), ERR_IO (logged), ERR_NOMEM.
 */
#ifndef VIGIL_INCIDENT_H
#define VIGIL_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

#define INCIDENT_TITLE_MAX	200	/* bytes */
#define INCIDENT_NAME_MAX	64	/* assignee, actor, reported_to */
#define INCIDENT_TEXT_MAX	4000	/* a note, a resolution's reason */
#define INCIDENT_VALUE_MAX	512	/* an indicator's value */
#define INCIDENT_CODE_MAX	15	/* a taxonomy code */
#define INCIDENT_DEADLINE_DEFAULT	(5 * 86400)

struct incident {
	int64_t	 id;
	char	 title[INCIDENT_TITLE_MAX + 1];
	char	 category[INCIDENT_CODE_MAX + 1];
	int	 severity;		/* enum taxonomy_severity */
	int	 tlp;			/* enum taxonomy_tlp */
	int	 status;		/* enum taxonomy_status */
	int	 resolution;		/* enum taxonomy_resolution */
	char	 reason[INCIDENT_TEXT_MAX + 1];
	char	 assignee[INCIDENT_NAME_MAX + 1];	/* "" none */
	int64_t	 created;		/* detection */
	int64_t	 first_seen;
	int64_t	 last_seen;
	int64_t	 updated;
	uint64_t alerts;		/* linked events */
	int64_t	 deadline;		/* report by */
	int64_t	 reported_at;		/* 0: not reported */
	char	 reported_to[INCIDENT_NAME_MAX + 1];
	int64_t	 merged_into;		/* 0: not merged */
};

struct incident_new {
	const char	*title;
	const char	*category;	/* a taxonomy code */
	int		 severity;
	int		 tlp;		/* 0: TLP_AMBER */
	int64_t		 detected;	/* 0: now */
	int64_t		 deadline_s;	/* report within; 0: the default */
};

/* incident_each's filters; zero/NULL fields do not filter. */
struct incident_query {
	int		 status;
	int		 severity;
	const char	*category;
	const char	*office;
	const char	*agent;		/* id or name */
	int64_t		 since;		/* created at or after */
	int		 overdue;	/* only overdue ones (at now) */
	int64_t		 limit;		/* the newest limit only; 0: all */
	int64_t		 now;
};

struct incident_agent {
	const char	*id;
	const char	*name;
	const char	*office;
	int64_t		 first_seen;
	int64_t		 last_seen;
};

struct incident_indicator {
	const char	*kind;		/* ip, domain, hash, rule */
	const char	*value;
	int64_t		 first_seen;
	int64_t		 last_seen;
	uint64_t	 count;
};

struct incident_event {
	int64_t		 event;		/* events.id */
	const char	*agent_id;
	const char	*agent_name;
	const char	*type;
	int64_t		 ts_us;
	uint64_t	 seq;		/* 0: the collector's own */
};

struct incident_note {
	int64_t		 id;
	int64_t		 time;
	const char	*author;
	const char	*text;
};

typedef int	(*incident_cb)(void *arg, const struct incident *);
typedef int	(*incident_agent_cb)(void *arg, const struct incident_agent *);
typedef int	(*incident_indicator_cb)(void *arg,
		    const struct incident_indicator *);
typedef int	(*incident_event_cb)(void *arg, const struct incident_event *);
typedef int	(*incident_note_cb)(void *arg, const struct incident_note *);

/* A new incident, status new; *id gets its number. */
int	incident_open(struct store *, int64_t *id, const struct incident_new *,
	    const char *actor, int64_t now);
/* Link a stored event (events.id): its agent joins the incident, alerts
 * counts it, first/last seen take its time. Linking it again changes
 * nothing and is not an error. */
int	incident_link_event(struct store *, int64_t id, int64_t event,
	    const char *actor, int64_t now);
/* An agent (registry rowid) affected, seen at ts. */
int	incident_link_agent(struct store *, int64_t id, int64_t agent,
	    int64_t ts, const char *actor, int64_t now);
/* An indicator seen at ts: added, or counted again. */
int	incident_add_indicator(struct store *, int64_t id, const char *kind,
	    const char *value, int64_t ts, const char *actor, int64_t now);

/*
 * Correlation's link of many events at once (the writer thread's batch),
 * inside the caller's open transaction (ERR_STATE without one). The
 * events (events.id) join the incident (alerts counts the new links),
 * the agents and indicators are added or their spans and counts
 * stretched, first/last seen take [first, last], and the severity is
 * raised to severity if that is higher (0: left). One audit entry,
 * action "link", sums the change up: {"events": new links, "first_event",
 * "last_event", "agents": [new agents' ids], "indicators": [{kind,
 * value}] new, "severity": {from, to} if raised} plus the members of
 * detail (may be NULL; not taken); none when nothing changed. Counts and
 * last seen of what was known already are not audited one by one: the
 * entry's events and the rows themselves carry them.
 * ERR_STATE, and nothing changed, when the incident is merged, resolved
 * or closed; *cur (may be NULL) gets the incident as it was read, so the
 * caller can follow merged_into or open another.
 */
struct incident_seen {
	int64_t		 agent;		/* registry rowid */
	int64_t		 first, last;
};

struct incident_count {
	const char	*kind;		/* ip, domain, hash, rule */
	const char	*value;
	uint64_t	 count;
	int64_t		 first, last;
};

/* What a link changed, for the early warning (notify.h). */
struct incident_delta {
	int		 from, to;	/* severity before and after */
	size_t		 agents;	/* agents new to the incident */
};

struct incident_bulk {
	const int64_t			*events;
	size_t				 nevents;
	const struct incident_seen	*agents;
	size_t				 nagents;
	const struct incident_count	*indicators;
	size_t				 nindicators;
	int64_t				 first, last;
	int				 severity;
	const json_t			*detail;
	struct incident_delta		*delta;	/* out, may be NULL: zero
						 * unless the link succeeded */
};

int	incident_link_bulk(struct store *, struct incident *cur, int64_t id,
	    const struct incident_bulk *, const char *actor, int64_t now);

/* The responder's changes. Each leaves the new state in *out (may be
 * NULL). */
int	incident_set_status(struct store *, struct incident *out, int64_t id,
	    int status, const char *actor, int64_t now);
int	incident_assign(struct store *, struct incident *out, int64_t id,
	    const char *assignee, const char *actor, int64_t now);
int	incident_note(struct store *, struct incident *out, int64_t id,
	    const char *text, const char *actor, int64_t now);
int	incident_resolve(struct store *, struct incident *out, int64_t id,
	    int resolution, const char *reason, const char *actor,
	    int64_t now);
/* id is closed as a duplicate of into, which takes its events, agents
 * and indicators (counts added), its first/last seen and, if higher, its
 * severity. *out is id's new state. */
int	incident_merge(struct store *, struct incident *out, int64_t id,
	    int64_t into, const char *actor, int64_t now);
/* Reported at at (0: now) to to (NULL or "": not said). */
int	incident_reported(struct store *, struct incident *out, int64_t id,
	    int64_t at, const char *to, const char *actor, int64_t now);

int	incident_get(struct store *, struct incident *out, int64_t id);
/* Matching incidents, newest first. ERR_USAGE for a category or status
 * not in the taxonomy. Rows are streamed. */
int	incident_each(struct store *, const struct incident_query *,
	    incident_cb cb, void *arg);
/* One incident's agents, indicators, events and notes, oldest first.
 * Fields are valid during the callback only. */
int	incident_agents_each(struct store *, int64_t id, incident_agent_cb,
	    void *arg);
int	incident_indicators_each(struct store *, int64_t id,
	    incident_indicator_cb, void *arg);
int	incident_events_each(struct store *, int64_t id, incident_event_cb,
	    void *arg);
int	incident_notes_each(struct store *, int64_t id, incident_note_cb,
	    void *arg);

/* 1 if the deadline has passed at now and it was not reported (false
 * positives and duplicates need no report). */
int	incident_overdue(const struct incident *, int64_t now);
/* The incident as a JSON object (docs/incidents.md), every string
 * escaped as TEXT_JSON; NULL when out of memory. */
json_t	*incident_json(const struct incident *, int64_t now);
/* Unix seconds as a JSON string "2026-11-25T10:00:00Z", null for 0. */
json_t	*incident_json_time(int64_t t);

#endif
