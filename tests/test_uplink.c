/*
 * test_uplink.c: the uplink's and enrollment's pure pieces.
 *
 * Backoff: the ceiling doubles from min to max and never overflows, for
 * any attempt number; the jittered delay stays in [d/2, d] and actually
 * varies. Heartbeat: the JSON has the documented shape and passes the
 * collector's event validator. Enrollment helpers: number parsing, path
 * joining, and the handshake timestamp, which must strictly increase
 * even when the stored one is ahead of the clock (replay protection).
 * The link itself is tested end to end against the real collector in
 * tests/integration/.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>

#include "err.h"
#include "event.h"
#include "spool.h"
#include "uplink.h"
#include "wire.h"
#include "enroll.h"
#include "testutil.h"

static void
test_backoff_ceiling(void **state)
{
	unsigned	k;

	assert_int_equal(uplink_backoff_ceiling(1000, 60000, 0), 1000);
	assert_int_equal(uplink_backoff_ceiling(1000, 60000, 1), 2000);
	assert_int_equal(uplink_backoff_ceiling(1000, 60000, 5), 32000);
	assert_int_equal(uplink_backoff_ceiling(1000, 60000, 6), 60000);
	assert_int_equal(uplink_backoff_ceiling(1000, 60000, 100), 60000);
	assert_int_equal(uplink_backoff_ceiling(1000, 60000, UINT_MAX), 60000);
	/* the largest values an int allows */
	assert_int_equal(uplink_backoff_ceiling(INT_MAX, INT_MAX, 100),
	    INT_MAX);
	assert_int_equal(uplink_backoff_ceiling(1, INT_MAX, 100), INT_MAX);
	assert_int_equal(uplink_backoff_ceiling(INT_MAX / 2 + 1, INT_MAX, 1),
	    INT_MAX);
	/* min above max: max wins; nonsense values are clamped to 1 */
	assert_int_equal(uplink_backoff_ceiling(5000, 1000, 0), 1000);
	assert_int_equal(uplink_backoff_ceiling(0, 0, 3), 1);
	assert_int_equal(uplink_backoff_ceiling(-5, 100, 2), 4);
	/* monotonic in k */
	for (k = 0; k < 200; k++)
		assert_true(uplink_backoff_ceiling(3, 100000, k) <=
		    uplink_backoff_ceiling(3, 100000, k + 1));
}

static void
test_backoff_jitter(void **state)
{
	uint32_t	d, v, lo, hi;
	unsigned	k;
	int		i;

	for (k = 0; k <= 100; k++) {
		d = uplink_backoff_ceiling(1000, 60000, k);
		lo = UINT32_MAX;
		hi = 0;
		for (i = 0; i < 500; i++) {
			v = uplink_backoff_ms(1000, 60000, k);
			assert_true(v >= d / 2);
			assert_true(v <= d);
			if (v < lo)
				lo = v;
			if (v > hi)
				hi = v;
		}
		/* 500 draws from >= 501 values: spread, not constant */
		assert_true(hi - lo > d / 8);
	}
	/* d = 1: the only values are 0 and 1 */
	for (i = 0; i < 100; i++)
		assert_true(uplink_backoff_ms(1, 1, 7) <= 1);
	for (i = 0; i < 100; i++) {
		v = uplink_backoff_ms(INT_MAX, INT_MAX, 100);
		assert_true(v >= (uint32_t)INT_MAX / 2);
		assert_true(v <= (uint32_t)INT_MAX);
	}
}

static json_int_t
get_int(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void
test_heartbeat_shape(void **state)
{
	struct spool_stats	 st = { .depth = 7, .bytes = 1234,
	    .max_bytes = 1 << 20, .last_seq = 99, .acked_seq = 92,
	    .dropped = 5 };
	struct event_meta	 meta;
	json_t			*by_type, *ev, *hb, *sp, *dr;
	const char		*why = NULL;
	char			*s;

	by_type = json_pack("{s:i, s:i}", "test", 3, "file", 2);
	assert_non_null(by_type);
	ev = uplink_heartbeat_json(42, &st, by_type);	/* takes by_type */
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev,
	    "event_type")), "heartbeat");
	hb = json_object_get(ev, "heartbeat");
	assert_true(json_is_object(hb));
	assert_true(json_is_string(json_object_get(hb, "version")));
	assert_int_equal(get_int(hb, "uptime"), 42);
	sp = json_object_get(hb, "spool");
	assert_int_equal(get_int(sp, "depth"), 7);
	assert_int_equal(get_int(sp, "bytes"), 1234);
	assert_int_equal(get_int(sp, "max_bytes"), 1 << 20);
	assert_int_equal(get_int(sp, "last_seq"), 99);
	assert_int_equal(get_int(sp, "acked_seq"), 92);
	dr = json_object_get(hb, "drops");
	assert_int_equal(get_int(dr, "total"), 5);
	assert_int_equal(get_int(json_object_get(dr, "by_type"), "test"), 3);
	assert_int_equal(get_int(json_object_get(dr, "by_type"), "file"), 2);
	assert_true(json_is_object(json_object_get(hb, "rules")));
	assert_int_equal(json_object_size(json_object_get(hb, "rules")), 0);

	/* what the collector will run on it */
	s = json_dumps(ev, JSON_COMPACT);
	assert_non_null(s);
	assert_int_equal(event_parse(&meta, s, strlen(s), &why), 0);
	assert_string_equal(meta.type, "heartbeat");
	assert_true(strlen(s) <= WIRE_MAX_HEARTBEAT);
	free(s);
	json_decref(ev);

	/* no drops object given: an empty one; huge counters are clamped */
	st.dropped = UINT64_MAX;
	st.last_seq = UINT64_MAX;
	ev = uplink_heartbeat_json(0, &st, NULL);
	assert_non_null(ev);
	hb = json_object_get(ev, "heartbeat");
	dr = json_object_get(hb, "drops");
	assert_int_equal(json_object_size(json_object_get(dr, "by_type")), 0);
	assert_true(get_int(dr, "total") == INT64_MAX);
	assert_true(get_int(json_object_get(hb, "spool"), "last_seq") ==
	    INT64_MAX);
	json_decref(ev);
}

static void
test_parse_u64(void **state)
{
	uint64_t	v = 77;

	assert_int_equal(enroll_parse_u64(&v, "0", 10), 0);
	assert_int_equal(v, 0);
	assert_int_equal(enroll_parse_u64(&v, "10", 10), 0);
	assert_int_equal(v, 10);
	assert_int_equal(enroll_parse_u64(&v, "18446744073709551615",
	    UINT64_MAX), 0);
	assert_true(v == UINT64_MAX);
	v = 77;
	assert_int_equal(enroll_parse_u64(&v, "11", 10), ERR_MALFORMED);
	assert_int_equal(enroll_parse_u64(&v, "", 10), ERR_MALFORMED);
	assert_int_equal(enroll_parse_u64(&v, "-1", 10), ERR_MALFORMED);
	assert_int_equal(enroll_parse_u64(&v, "+1", 10), ERR_MALFORMED);
	assert_int_equal(enroll_parse_u64(&v, " 1", 10), ERR_MALFORMED);
	assert_int_equal(enroll_parse_u64(&v, "1 ", 10), ERR_MALFORMED);
	assert_int_equal(enroll_parse_u64(&v, "1x", 10), ERR_MALFORMED);
	assert_int_equal(enroll_parse_u64(&v, "0x10", 100), ERR_MALFORMED);
	assert_int_equal(enroll_parse_u64(&v, "18446744073709551616",
	    UINT64_MAX), ERR_MALFORMED);
	assert_int_equal(v, 77);
}

static void
test_path(void **state)
{
	char	buf[16];

	assert_int_equal(enroll_path(buf, sizeof(buf), "/a/b", "c.db"), 0);
	assert_string_equal(buf, "/a/b/c.db");
	/* exactly 15 characters fit, 16 do not */
	assert_int_equal(enroll_path(buf, sizeof(buf), "/abcdefghi", "jkll"),
	    0);
	assert_int_equal(enroll_path(buf, sizeof(buf), "/abcdefghi", "jklmn"),
	    ERR_TOOBIG);
}

static void
test_hs_ts(void **state)
{
	struct tmpfile	*fx = *state;
	struct spool	*sp;
	uint64_t	 a, b, c, stored;
	char		*v;
	int		 i;

	assert_int_equal(spool_open(&sp, fx->path, 0), 0);
	assert_int_equal(enroll_next_ts(sp, &a), 0);
	assert_true(a > 1600000000ULL * 1000000000ULL);
	/* stored before use, and strictly increasing even in a tight loop */
	for (i = 0; i < 50; i++) {
		assert_int_equal(enroll_next_ts(sp, &b), 0);
		assert_true(b > a);
		assert_int_equal(spool_meta_get(sp, "hs_ts", &v), 0);
		assert_int_equal(enroll_parse_u64(&stored, v, UINT64_MAX), 0);
		free(v);
		assert_true(stored == b);
		a = b;
	}
	/* a stored value ahead of the clock (clock stepped back) wins */
	assert_int_equal(spool_meta_set(sp, "hs_ts",
	    "9000000000000000000"), 0);
	assert_int_equal(enroll_next_ts(sp, &c), 0);
	assert_true(c == 9000000000000000001ULL);
	/* garbage is refused rather than reset to the clock */
	assert_int_equal(spool_meta_set(sp, "hs_ts", "12x"), 0);
	assert_int_equal(enroll_next_ts(sp, &c), ERR_MALFORMED);
	assert_int_equal(spool_meta_set(sp, "hs_ts",
	    "18446744073709551615"), 0);
	assert_int_equal(enroll_next_ts(sp, &c), ERR_MALFORMED);
	spool_close(sp);
}

static void
test_identity(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*sp;
	struct enroll_identity	 id;
	char			 hex[2 * KEY_LEN + 1];
	uint8_t			 pub[KEY_LEN];
	size_t			 i;

	assert_int_equal(spool_open(&sp, fx->path, 0), 0);
	assert_int_equal(enroll_identity_load(sp, &id), ERR_NOTFOUND);
	/* agent_id alone (an interrupted enrollment) is not an identity */
	assert_int_equal(spool_meta_set(sp, "agent_id",
	    "0123456789abcdef"), 0);
	assert_int_equal(enroll_identity_load(sp, &id), ERR_MALFORMED);
	assert_int_equal(spool_meta_set(sp, "collector", "c.example:7414"),
	    0);
	assert_int_equal(spool_meta_set(sp, "collector_pub", "zz"), 0);
	assert_int_equal(enroll_identity_load(sp, &id), ERR_MALFORMED);
	for (i = 0; i < KEY_LEN; i++)
		pub[i] = (uint8_t)i;
	sodium_bin2hex(hex, sizeof(hex), pub, sizeof(pub));
	assert_int_equal(spool_meta_set(sp, "collector_pub", hex), 0);
	assert_int_equal(spool_meta_set(sp, "name", "web1"), 0);
	assert_int_equal(spool_meta_set(sp, "enrolled_at", "1700000000"),
	    0);
	assert_int_equal(enroll_identity_load(sp, &id), 0);
	assert_string_equal(id.agent_id, "0123456789abcdef");
	assert_string_equal(id.collector, "c.example:7414");
	assert_memory_equal(id.collector_pub, pub, KEY_LEN);
	assert_string_equal(id.name, "web1");
	assert_string_equal(id.office, "");
	assert_true(id.enrolled_at == 1700000000);
	spool_close(sp);
}

static void
test_drops_json(void **state)
{
	struct tmpfile		*fx = *state;
	struct spool		*sp;
	struct spool_in		 in;
	json_t			*obj;
	const char		*big;
	char			*buf;
	uint64_t		 dropped = 0;

	assert_int_equal(spool_open(&sp, fx->path, 0), 0);
	assert_int_equal(uplink_drops_json(sp, &obj), 0);
	assert_int_equal(json_object_size(obj), 0);
	json_decref(obj);
	/* an event larger than the spool is dropped and counted */
	spool_set_max(sp, 16);
	assert_non_null(buf = calloc(1, 64));
	memset(buf, 'x', 63);
	big = buf;
	in.type = "test";
	in.prio = 10;
	in.json = big;
	in.len = 63;
	assert_int_equal(spool_append(sp, &in, 1, NULL, &dropped), 0);
	assert_true(dropped == 1);
	free(buf);
	assert_int_equal(uplink_drops_json(sp, &obj), 0);
	assert_int_equal(json_integer_value(json_object_get(obj, "test")), 1);
	json_decref(obj);
	spool_close(sp);
}

int
main(void)
{
	/* a spool at T/spool.db, opened by each test */
#define T(f)	cmocka_unit_test_prestate_setup_teardown(f, tmpfile_setup, \
		    tmpdir_teardown, ENROLL_SPOOL_FILE)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_ceiling),
		cmocka_unit_test(test_backoff_jitter),
		cmocka_unit_test(test_heartbeat_shape),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_path),
		T(test_hs_ts),
		T(test_identity),
		T(test_drops_json),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
