/*
 * intake.c: an agent's EVENTS and HEARTBEAT messages into writer
 * batches, and the collector's own agent_health events (see intake.h).
 *
 * Invariant: an EVENTS message either fails as a whole (the connection
 * closes, nothing of it is acknowledged, the agent resends) or gives a
 * batch holding exactly one event per sequence number it carried.
 * Load: one event_parse per event (batches of up to 4096), and for
 * alerts, integrity and health events correlate_extract on the same
 * parse (so the writer thread never parses JSON), the tree in the
 * caller's jansson arena (jarena.h: no malloc or free per value); a
 * replacement costs a small JSON object, and only for the rare bad or
 * oversized event.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "correlate.h"
#include "err.h"
#include "event.h"
#include "intake.h"
#include "store.h"
#include "wire.h"

struct decode_ctx {
	struct ingest_batch	*b;
	struct intake_counts	*n;
	const struct intake_env	*env;
};

/* Add a validated event to b, with what correlation needs of it. Takes
 * root (NULL: nothing to correlate). */
static int
add(struct ingest_batch *b, uint64_t seq, const struct event_meta *m,
    int severity, json_t *root, const char *json, size_t len)
{
	struct correlate_in	in;
	int			rc;

	if ((rc = ingest_batch_add(b, seq, m->ts_us, m->type, severity, json,
	    len)) == 0 && root != NULL) {
		correlate_extract(&in, m->type, root);
		if (in.kind != CORR_NONE)
			rc = ingest_batch_key(b, &in);
	}
	json_decref(root);
	return rc;
}

/* Add ev (made here, so valid) to b at seq, in place of what the agent
 * sent there. Takes ev. */
static int
add_own(struct ingest_batch *b, uint64_t seq, json_t *ev)
{
	struct event_meta	 m;
	json_t			*root;
	char			*text;
	size_t			 tlen;
	int			 rc;

	text = event_dump(ev, &tlen);
	json_decref(ev);
	if (text == NULL)
		return ERR_NOMEM;
	if ((rc = event_parse_root(&m, &root, text, tlen, NULL)) == 0)
		rc = add(b, seq, &m, 0, root, text, tlen);
	free(text);
	return rc;
}

/* An event of the given type with one member, or NULL. Takes sub. */
static json_t *
own_event(const char *type, const char *key, json_t *sub)
{
	json_t	*ev;

	if (sub == NULL || (ev = event_build(type)) == NULL) {
		json_decref(sub);
		return NULL;
	}
	if (json_object_set_new(ev, key, sub) != 0) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

static int
on_event(void *arg, uint64_t seq, const char *json, size_t len)
{
	struct decode_ctx	*d = arg;
	struct event_meta	 m;
	const char		*why = NULL;
	json_t			*ev, *root;
	int			 parsed, rc = 0;

	d->n->events++;
	d->n->bytes += len;
	if (len > d->env->event_max) {
		d->n->refused++;
		d->n->refused_bytes += len;
		ev = own_event("agent_health", "agent_health", json_pack(
		    "{s:s, s:{s:s, s:I, s:I}}", "source", "collector",
		    "refused", "reason", "over max_event_size",
		    "length", (json_int_t)len,
		    "limit", (json_int_t)d->env->event_max));
		return ev != NULL ? add_own(d->b, seq, ev) : ERR_NOMEM;
	}
	/* The tree lives in the arena from parse to decref; no jansson
	 * output is made in between (jarena.h). */
	if (d->env->arena != NULL)
		jarena_begin(d->env->arena);
	if ((parsed = event_parse_root(&m, &root, json, len, &why) == 0))
		rc = add(d->b, seq, &m, m.severity, root, json, len);
	if (d->env->arena != NULL)
		jarena_end(d->env->arena);
	if (parsed)
		return rc;
	/* Keep the place of the bad event, not its content. */
	d->n->malformed++;
	ev = own_event("malformed", "malformed", json_pack("{s:s, s:I}",
	    "reason", why ? why : "invalid", "length", (json_int_t)len));
	return ev != NULL ? add_own(d->b, seq, ev) : ERR_NOMEM;
}

int
intake_events(struct ingest_batch **out, struct intake_counts *n,
    const struct intake_env *env, void *owner, int64_t rowid,
    const uint8_t *msg, size_t len)
{
	struct decode_ctx	d = { .n = n, .env = env };
	uint32_t		count, rawlen;
	int			rc;

	*out = NULL;
	memset(n, 0, sizeof(*n));
	if ((rc = wire_events_peek(msg, len, &count, &rawlen)) != 0)
		return rc;
	if ((d.b = ingest_batch_get(env->pool, owner, rowid)) == NULL)
		return ERR_NOMEM;
	/* Sized once from the header's claims (within the batch limits;
	 * decoding checks them), not grown event by event. */
	if ((rc = ingest_batch_reserve(d.b, count, rawlen)) != 0) {
		ingest_batch_put(env->pool, d.b);
		return rc;
	}
	rc = wire_events_decode(msg, len, env->scratch, on_event, &d);
	if (rc != 0 || d.b->n == 0) {
		ingest_batch_put(env->pool, d.b);
		return rc;
	}
	*out = d.b;
	return 0;
}

int
intake_heartbeat(struct ingest_batch **out, void *owner, int64_t rowid,
    const uint8_t *msg, size_t len, const char **why)
{
	const char	*json, *ver = "";
	size_t		 jlen;
	json_t		*root, *hb, *v;

	*out = NULL;
	if (wire_heartbeat_decode(&json, &jlen, msg, len) != 0) {
		*why = "not a heartbeat message";
		return ERR_MALFORMED;
	}
	root = json_loadb(json, jlen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		*why = "not a JSON object";
		return ERR_MALFORMED;
	}
	hb = json_object_get(root, "heartbeat");
	v = json_object_get(hb, "version");
	if (json_is_string(v) && json_string_length(v) <= STORE_VERSION_MAX &&
	    wire_text_valid(json_string_value(v), json_string_length(v)))
		ver = json_string_value(v);
	*out = ingest_heartbeat_new(owner, rowid, (int64_t)time(NULL), ver,
	    json, jlen);
	json_decref(root);
	return *out != NULL ? 0 : ERR_NOMEM;
}

static json_int_t
ji(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (json_int_t)v;
}

int
intake_health(struct ingest_batch **out, int64_t rowid,
    const struct quota_stats *st, const struct quota_conf *qc,
    size_t event_max)
{
	struct ingest_batch	*b;
	json_t			*ev;
	int			 rc;

	*out = NULL;
	ev = own_event("agent_health", "agent_health", json_pack(
	    "{s:s, s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}}",
	    "source", "collector",
	    "quota", "events_per_second", ji(qc->events),
	    "bytes_per_second", ji(qc->bytes),
	    "events_over", ji(st->events_over),
	    "bytes_over", ji(st->bytes_over),
	    "throttled_ms", ji(st->throttled_ms),
	    "refused", "events", ji(st->refused_events),
	    "bytes", ji(st->refused_bytes),
	    "max_event_size", ji(event_max)));
	if (ev == NULL)
		return ERR_NOMEM;
	if ((b = ingest_batch_new(INGEST_HEALTH, NULL, rowid)) == NULL) {
		json_decref(ev);
		return ERR_NOMEM;
	}
	if ((rc = add_own(b, 0, ev)) != 0) {
		ingest_batch_free(b);
		return rc;
	}
	*out = b;
	return 0;
}
