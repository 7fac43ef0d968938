/*
 * event.h: the vigil event model (docs/events.md).
 *
 * An event is one JSON object in Suricata's EVE layout: "timestamp"
 * (microseconds and UTC offset), "event_type", and a sub-object named
 * after the type. The agent builds events without "agent" and "seq"; the
 * collector adds both from its registry when it renders an event, so an
 * agent cannot claim another office.
 *
 * event_parse() is the validator for untrusted event bytes (the collector
 * runs it on everything an agent sends). It accepts only a JSON object of
 * at most EVENT_MAX_LEN bytes with a valid event_type and timestamp.
 */
#ifndef VIGIL_EVENT_H
#define VIGIL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define EVENT_MAX_LEN	(64 * 1024)
#define EVENT_TYPE_MAX	32
#define EVENT_TS_STRLEN	32	/* "2026-11-25T11:30:17.123456+0000" + NUL */

struct event_meta {
	char	 type[EVENT_TYPE_MAX + 1];
	int64_t	 ts_us;		/* Unix time, microseconds */
	int	 severity;	/* alert.severity (1 highest .. 255), 0 none */
};

/* Validate json[len] and extract its metadata. ERR_TOOBIG, ERR_MALFORMED;
 * *why (may be NULL) gets a static reason string. */
int	event_parse(struct event_meta *out, const char *json, size_t len,
	    const char **why);
/* The same, and *root (may be NULL) gets the parsed object, to release
 * with json_decref; NULL on error. */
int	event_parse_root(struct event_meta *out, json_t **root,
	    const char *json, size_t len, const char **why);
/* Spool priority: higher is kept longer when the spool is full. */
int	event_prio(const char *type, int severity);

/* A new event object with "timestamp" (now) and "event_type" set. */
json_t	*event_build(const char *type);
/* Compact JSON text, malloc'd; NULL on failure or if over EVENT_MAX_LEN. */
char	*event_dump(const json_t *ev, size_t *len);

/* Timestamps in EVE form, always UTC: "YYYY-MM-DDTHH:MM:SS.uuuuuu+0000". */
int64_t	event_now_us(void);
void	event_format_ts(char out[static EVENT_TS_STRLEN], int64_t ts_us);
/* Accepts the EVE form with any offset (+HHMM, +HH:MM, Z), and without
 * fraction. ERR_MALFORMED. */
int	event_parse_ts(int64_t *out, const char *s);

/* The event as the collector shows it: the stored JSON with "seq" and
 * "agent": {"id", "hostname", "office"} set from trusted values. Returns
 * a malloc'd string or NULL. */
char	*event_render(const char *json, size_t len, uint64_t seq,
	    const char *agent_id, const char *hostname, const char *office);

#endif
