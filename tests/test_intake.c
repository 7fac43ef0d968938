/*
 * test_intake.c: an agent's messages into writer batches
 * (collector/intake.c): good events kept byte for byte, bad and oversized
 * ones replaced in their place (one event per sequence number, always),
 * the counts the server charges to the agent's quota, heartbeats, and the
 * collector's own agent_health events.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "event.h"
#include "intake.h"
#include "wire.h"

#define OWNER	((void *)0x1234)

/* An event of about len bytes (a padded test event). */
static char *
mkevent(size_t pad, size_t *len)
{
	json_t	*ev;
	char	*s, *p;

	assert_non_null(ev = event_build("test"));
	assert_non_null(p = calloc(1, pad + 1));
	memset(p, 'x', pad);
	assert_int_equal(json_object_set_new(ev, "test",
	    json_pack("{s:s}", "pad", p)), 0);
	assert_non_null(s = event_dump(ev, len));
	json_decref(ev);
	free(p);
	return s;
}

/* The stored JSON of entry i, as an object. */
static json_t *
stored(const struct ingest_batch *b, size_t i)
{
	json_t	*j;

	/* before ingest_submit, json holds an offset into the arena */
	j = json_loadb(b->arena + (uintptr_t)b->evs[i].json, b->evs[i].len, 0,
	    NULL);
	assert_non_null(j);
	return j;
}

/* The same whether each event is parsed in a jansson arena or not. */
static void
events(struct jarena *arena)
{
	struct wire_event	 evs[4];
	struct intake_counts	 n;
	struct ingest_batch	*b;
	struct wbuf		 msg, scratch;
	struct intake_env	 env = { .scratch = &scratch, .arena = arena,
	    .event_max = 1024 };
	json_t			*j, *r;
	char			*big, *small;
	size_t			 blen, slen;

	small = mkevent(10, &slen);
	big = mkevent(2000, &blen);
	evs[0] = (struct wire_event){ 1, small, slen };
	evs[1] = (struct wire_event){ 2, "not json", 8 };
	evs[2] = (struct wire_event){ 5, big, blen };
	evs[3] = (struct wire_event){ 6, small, slen };
	wbuf_init(&msg, 0);
	wbuf_init(&scratch, 0);
	assert_int_equal(wire_events_encode(&msg, evs, 4, 1), 0);
	assert_int_equal(intake_events(&b, &n, &env, OWNER, 7, msg.p,
	    msg.len), 0);
	assert_non_null(b);
	assert_int_equal(b->kind, INGEST_EVENTS);
	assert_ptr_equal(b->owner, OWNER);
	assert_int_equal(b->agent_rowid, 7);
	assert_int_equal(b->n, 4);		/* one per seq, always */
	assert_int_equal(b->max_seq, 6);
	assert_int_equal(n.events, 4);
	assert_int_equal(n.bytes, 2 * slen + 8 + blen);
	assert_int_equal(n.malformed, 1);
	assert_int_equal(n.refused, 1);
	assert_int_equal(n.refused_bytes, blen);
	/* good events byte for byte */
	assert_int_equal(b->evs[0].len, slen);
	assert_memory_equal(b->arena + (uintptr_t)b->evs[0].json, small, slen);
	assert_int_equal(b->evs[3].seq, 6);
	/* the bad one: its reason and length, not its content */
	assert_int_equal(b->evs[1].seq, 2);
	j = stored(b, 1);
	assert_string_equal(json_string_value(json_object_get(j,
	    "event_type")), "malformed");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
	    "malformed"), "length")), 8);
	json_decref(j);
	/* the big one: agent_health in its place */
	assert_int_equal(b->evs[2].seq, 5);
	j = stored(b, 2);
	assert_string_equal(json_string_value(json_object_get(j,
	    "event_type")), "agent_health");
	r = json_object_get(json_object_get(j, "agent_health"), "refused");
	assert_string_equal(json_string_value(json_object_get(r, "reason")),
	    "over max_event_size");
	assert_int_equal(json_integer_value(json_object_get(r, "length")),
	    blen);
	assert_int_equal(json_integer_value(json_object_get(r, "limit")), 1024);
	assert_null(strstr(b->arena + (uintptr_t)b->evs[2].json, "xxxx"));
	json_decref(j);
	ingest_batch_free(b);

	/* exactly at the limit is kept */
	env.event_max = blen;
	assert_int_equal(intake_events(&b, &n, &env, OWNER, 7, msg.p, msg.len),
	    0);
	env.event_max = 1024;
	assert_int_equal(n.refused, 0);
	ingest_batch_free(b);

	/* no events: no batch */
	wbuf_reset(&msg);
	assert_int_equal(wire_events_encode(&msg, NULL, 0, 0), 0);
	b = (void *)1;
	assert_int_equal(intake_events(&b, &n, &env, OWNER, 7, msg.p,
	    msg.len), 0);
	assert_null(b);
	assert_int_equal(n.events, 0);
	/* a broken message: an error, no batch */
	msg.p[5] = 2;		/* count says more than there is */
	b = (void *)1;
	assert_int_equal(intake_events(&b, &n, &env, OWNER, 7, msg.p,
	    msg.len), ERR_MALFORMED);
	assert_null(b);
	wbuf_free(&msg);
	wbuf_free(&scratch);
	free(small);
	free(big);
}

static void
test_events(void **state)
{
	(void)state;
	events(NULL);
}

/* jansson's allocations from an arena (as the collector runs): the same
 * batches, every parse tree released inside its pair (jarena_end would
 * exit otherwise), the arena rewound after each event. */
static void
test_events_arena(void **state)
{
	struct jarena	a;

	(void)state;
	jarena_install();
	assert_int_equal(jarena_init(&a, 64 * 1024), 0);
	events(&a);
	assert_int_equal(a.len, 0);
	assert_int_equal(a.live, 0);
	assert_int_equal(a.spilled, 0);
	jarena_free(&a);
}

static void
test_heartbeat(void **state)
{
	static const char	 hb[] = "{\"heartbeat\":{\"version\":\"1.2.3\"}}";
	struct ingest_batch	*b;
	struct wbuf		 msg;
	const char		*why = NULL;

	(void)state;
	wbuf_init(&msg, 0);
	assert_int_equal(wire_heartbeat_encode(&msg, hb, strlen(hb)), 0);
	assert_int_equal(intake_heartbeat(&b, OWNER, 3, msg.p, msg.len,
	    &why), 0);
	assert_int_equal(b->kind, INGEST_HEARTBEAT);
	assert_string_equal(b->version, "1.2.3");
	assert_memory_equal(b->arena, hb, strlen(hb));
	ingest_batch_free(b);
	wbuf_reset(&msg);
	assert_int_equal(wire_heartbeat_encode(&msg, "[1]", 3), 0);
	assert_int_equal(intake_heartbeat(&b, OWNER, 3, msg.p, msg.len,
	    &why), ERR_MALFORMED);
	assert_null(b);
	assert_string_equal(why, "not a JSON object");
	assert_int_equal(intake_heartbeat(&b, OWNER, 3, msg.p, 2, &why),
	    ERR_MALFORMED);
	assert_string_equal(why, "not a heartbeat message");
	wbuf_free(&msg);
}

static void
test_health(void **state)
{
	struct quota_stats	 st = { 10, 20000, 1500, 2, 140000 };
	struct quota_conf	 qc = { 1000, 1 << 20 };
	struct ingest_batch	*b;
	json_t			*j, *h;

	(void)state;
	assert_int_equal(intake_health(&b, 9, &st, &qc, 65536), 0);
	assert_int_equal(b->kind, INGEST_HEALTH);
	assert_null(b->owner);
	assert_int_equal(b->n, 1);
	assert_int_equal(b->evs[0].seq, 0);	/* the collector's own */
	assert_int_equal(b->agent_rowid, 9);
	j = stored(b, 0);
	h = json_object_get(j, "agent_health");
	assert_string_equal(json_string_value(json_object_get(h, "source")),
	    "collector");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(h,
	    "quota"), "bytes_over")), 20000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(h,
	    "quota"), "throttled_ms")), 1500);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(h,
	    "refused"), "events")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(h,
	    "refused"), "max_event_size")), 65536);
	json_decref(j);
	ingest_batch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_events_arena),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_health),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
