/*
 * test_quota.c: per-agent quotas (collector/quota.c) against their
 * contract: the waits a charge imposes, the throughput an agent gets when
 * it sends whenever it is allowed to, what is counted and reported, and
 * many agents at once (the table grows) against a naive model that keeps
 * each agent in a plain array.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "err.h"
#include "quota.h"

static void
test_conf(void **state)
{
	struct quota		*q = (void *)1;
	struct quota_conf	 bad[] = { { 0, 1 }, { 1, 0 },
				    { (1ULL << 40) + 1, 1 } }, good = { 1, 1 };
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(quota_new(&q, &bad[i]), ERR_USAGE);
		assert_null(q);
	}
	assert_int_equal(quota_new(&q, &good), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(quota_set(q, &bad[i]), ERR_USAGE);
	assert_int_equal(quota_charge(q, 0, 0, 1, 1), ERR_NOMEM);  /* rowid */
	assert_int_equal(quota_wait(q, 77, 0), 0);	/* never charged */
	quota_free(q);
	quota_free(NULL);
}

/* Waits: a second's worth at once, then the deficit over the rate. */
static void
test_waits(void **state)
{
	struct quota_conf	 c = { 100, 1000 };
	struct quota		*q;

	(void)state;
	assert_int_equal(quota_new(&q, &c), 0);
	assert_int_equal(quota_charge(q, 1, 0, 100, 1000), 0);
	/* 50 events over: half a second; bytes fine */
	assert_int_equal(quota_charge(q, 1, 0, 50, 0), 500);
	assert_int_equal(quota_wait(q, 1, 0), 500);
	assert_int_equal(quota_wait(q, 1, 499), 1);
	assert_int_equal(quota_wait(q, 1, 500), 0);
	/* bytes: 500 refilled by now, 2500 short at 1000/s */
	assert_int_equal(quota_charge(q, 1, 500, 0, 3000), 2500);
	/* one batch may be any size: the wait grows with it */
	assert_int_equal(quota_charge(q, 2, 0, 4096, 4 << 20),
	    (4 << 20) - 1000);
	/* agents are independent */
	assert_int_equal(quota_wait(q, 3, 0), 0);
	assert_int_equal(quota_charge(q, 3, 0, 100, 1000), 0);
	/* a lower rate applies to the debt left */
	c.events = 10;
	assert_int_equal(quota_set(q, &c), 0);
	assert_int_equal(quota_charge(q, 3, 0, 10, 0), 1000);
	/* a clock going back changes nothing */
	assert_int_equal(quota_wait(q, 3, -5000), 1000);
	/* a long pause fills the buckets, to one second's worth */
	assert_int_equal(quota_charge(q, 3, INT64_MAX / 2, 10, 1000), 0);
	assert_int_equal(quota_charge(q, 3, INT64_MAX / 2, 1, 0), 100);
	quota_free(q);
}

/* An agent that sends whenever it may gets the rate, plus one burst. */
static void
test_throughput(void **state)
{
	struct quota_conf	 c = { 1000, 256 * 1024 };
	struct quota		*q;
	uint64_t		 sent = 0, bytes = 0;
	int64_t			 now = 0, w;

	(void)state;
	assert_int_equal(quota_new(&q, &c), 0);
	while (now < 60000) {
		w = quota_charge(q, 9, now, 100, 32 * 1024);
		assert_true(w >= 0);
		sent += 100;
		bytes += 32 * 1024;
		now += w > 0 ? w : 1;
	}
	/* 60 s at 256 KiB/s, plus the first second's worth and a batch */
	assert_true(bytes >= 60ULL * 256 * 1024);
	assert_true(bytes <= 61ULL * 256 * 1024 + 32 * 1024);
	assert_true(sent <= 61ULL * 1000);
	quota_free(q);
}

struct rep {
	int64_t			agent;
	struct quota_stats	st;
	int			calls;
	int			fail_on;	/* return -1 on this call */
};

static int
report_cb(void *arg, int64_t agent, const struct quota_stats *st)
{
	struct rep	*r = arg;

	if (++r->calls == r->fail_on)
		return -1;
	r->agent = agent;
	r->st = *st;
	return 0;
}

static void
test_report(void **state)
{
	struct quota_conf	 c = { 100, 1000 };
	struct quota		*q;
	struct rep		 r;

	(void)state;
	assert_int_equal(quota_new(&q, &c), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(quota_report(q, 0, 60000, report_cb, &r), 0);
	assert_int_equal(r.calls, 0);			/* nothing to say */
	assert_int_equal(quota_charge(q, 5, 0, 100, 1000), 0);
	assert_int_equal(quota_report(q, 0, 60000, report_cb, &r), 0);
	assert_int_equal(r.calls, 0);			/* within quota */
	assert_int_equal(quota_charge(q, 5, 0, 30, 1500), 1500);
	assert_int_equal(quota_refused(q, 5, 1, 70000), 0);
	assert_int_equal(quota_refused(q, 6, 1, 100), 0);	/* never charged */
	/* the first report comes at once; agents in table order */
	r.fail_on = 1;
	assert_int_equal(quota_report(q, 10, 60000, report_cb, &r), -1);
	r.fail_on = 0;
	r.calls = 0;
	assert_int_equal(quota_report(q, 10, 60000, report_cb, &r), 0);
	assert_int_equal(r.calls, 2);
	memset(&r, 0, sizeof(r));
	assert_int_equal(quota_charge(q, 5, 1500, 200, 0), 1000);
	/* within the period: held back, then reported as one */
	assert_int_equal(quota_report(q, 59999, 60000, report_cb, &r), 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(quota_report(q, 60010, 60000, report_cb, &r), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.agent, 5);
	assert_int_equal(r.st.events_over, 100);
	assert_int_equal(r.st.bytes_over, 0);
	assert_int_equal(r.st.throttled_ms, 1000);
	assert_int_equal(r.st.refused_events, 0);
	quota_free(q);
}

/* Counts in one report: what the failed walk left is still there. */
static void
test_report_counts(void **state)
{
	struct quota_conf	 c = { 100, 1000 };
	struct quota		*q;
	struct rep		 r;

	(void)state;
	assert_int_equal(quota_new(&q, &c), 0);
	assert_int_equal(quota_charge(q, 5, 0, 130, 2500), 1500);
	assert_int_equal(quota_refused(q, 5, 1, 70000), 0);
	assert_int_equal(quota_refused(q, 5, 1, 80000), 0);
	memset(&r, 0, sizeof(r));
	r.fail_on = 1;
	assert_int_equal(quota_report(q, 0, 1, report_cb, &r), -1);
	r.fail_on = 0;
	assert_int_equal(quota_report(q, 0, 1, report_cb, &r), 0);
	assert_int_equal(r.st.events_over, 30);
	assert_int_equal(r.st.bytes_over, 1500);
	assert_int_equal(r.st.throttled_ms, 1500);
	assert_int_equal(r.st.refused_events, 2);
	assert_int_equal(r.st.refused_bytes, 150000);
	quota_free(q);
}

/* Many agents, random charges, against a model of plain arrays. */
#define NAG	3000

struct mag {
	int64_t		ev, by, stamp;
	uint64_t	over_ev, over_by, thr;
	int		seen;
};

static int64_t
m_debt(int64_t tokens, int64_t rate)
{
	return tokens >= 0 ? 0 : (-tokens + rate - 1) / rate;
}

static int
model_cb(void *arg, int64_t agent, const struct quota_stats *st)
{
	struct mag	*m = arg;

	assert_true(agent >= 1 && agent <= NAG);
	assert_int_equal(m[agent].seen, 1);
	assert_int_equal(st->events_over, m[agent].over_ev);
	assert_int_equal(st->bytes_over, m[agent].over_by);
	assert_int_equal(st->throttled_ms, m[agent].thr);
	m[agent].seen = 2;
	return 0;
}

static void
test_model(void **state)
{
	struct quota_conf	 c = { 500, 64 * 1024 };
	struct quota		*q;
	struct mag		*m;
	int64_t			 now = 0, w, we, wb, avail;
	uint64_t		 n, b;
	int			 i, a;

	(void)state;
	assert_non_null(m = calloc(NAG + 1, sizeof(*m)));
	assert_int_equal(quota_new(&q, &c), 0);
	for (i = 0; i < 200000; i++) {
		a = 1 + (int)randombytes_uniform(NAG);
		now += randombytes_uniform(3);
		n = randombytes_uniform(300);
		b = randombytes_uniform(100000);
		if (!m[a].seen) {
			m[a].seen = 1;
			m[a].ev = 500 * 1000;
			m[a].by = 64 * 1024 * 1000;
			m[a].stamp = now;
		}
		if (now > m[a].stamp) {
			m[a].ev += (now - m[a].stamp) * 500;
			if (m[a].ev > 500 * 1000)
				m[a].ev = 500 * 1000;
			m[a].by += (now - m[a].stamp) * 64 * 1024;
			if (m[a].by > 64 * 1024 * 1000)
				m[a].by = 64 * 1024 * 1000;
			m[a].stamp = now;
		}
		avail = m[a].ev > 0 ? m[a].ev / 1000 : 0;
		m[a].over_ev += n > (uint64_t)avail ? n - (uint64_t)avail : 0;
		avail = m[a].by > 0 ? m[a].by / 1000 : 0;
		m[a].over_by += b > (uint64_t)avail ? b - (uint64_t)avail : 0;
		m[a].ev -= (int64_t)n * 1000;
		m[a].by -= (int64_t)b * 1000;
		we = m_debt(m[a].ev, 500);
		wb = m_debt(m[a].by, 64 * 1024);
		w = we > wb ? we : wb;
		m[a].thr += (uint64_t)w;
		assert_int_equal(quota_charge(q, a, now, n, b), w);
	}
	/* every agent with news reports exactly the model's sums */
	assert_int_equal(quota_report(q, now, 0, model_cb, m), 0);
	for (a = 1; a <= NAG; a++)
		assert_int_equal(m[a].seen, m[a].over_ev || m[a].over_by ||
		    m[a].thr ? 2 : m[a].seen);
	quota_free(q);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_waits),
		cmocka_unit_test(test_throughput),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_report_counts),
		cmocka_unit_test(test_model),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
