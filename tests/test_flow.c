/*
 * test_flow.c: agent/net/flow.c: both directions one flow, who the client
 * is, the TCP states rules see, timeouts by state, TCP port reuse, the
 * release of every flow (flowbits freed: ASan sees a leak otherwise); a
 * flood of 100,000 flows into a table of 1,000; and eviction against a
 * naive least-recently-used model.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "err.h"
#include "flow.h"
#include "rng.h"

#define SEC	1000000LL
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10

struct fx {
	struct flow_table	*t;
	uint64_t		 released;
	uint64_t		 last_id;	/* of the last flow released */
	uint8_t			*gone;		/* model test: by client port */
};

static void
release(void *ctx, struct flow *f)
{
	struct fx	*x = ctx;

	x->released++;
	x->last_id = f->id;
	if (x->gone != NULL)
		x->gone[f->key.lo_port] = 1;
}

static int
setup_n(void **state, uint32_t max)
{
	struct fx	*x = calloc(1, sizeof(*x));

	if (x == NULL || flow_table_new(&x->t, max, 120, release, x) != 0)
		return -1;
	*state = x;
	return 0;
}

static int
setup(void **state)
{
	return setup_n(state, 1000);
}

static int
teardown(void **state)
{
	struct fx	*x = *state;

	flow_table_free(x->t);
	free(x->gone);
	free(x);
	return 0;
}

/* A packet from 10.0.0.<a>:<ap> to 10.0.0.<b>:<bp>. */
static struct pkt
mk(uint8_t proto, uint8_t a, uint16_t ap, uint8_t b, uint16_t bp,
    uint8_t flags, size_t plen)
{
	struct pkt	p;

	memset(&p, 0, sizeof(p));
	p.ipver = 4;
	p.src.family = p.dst.family = 4;
	p.src.a[0] = p.dst.a[0] = 10;
	p.src.a[3] = a;
	p.dst.a[3] = b;
	p.proto = proto;
	p.sport = ap;
	p.dport = bp;
	p.tcp_flags = flags;
	p.payload_len = plen;
	p.wirelen = (uint32_t)(54 + plen);
	return p;
}

static struct flow *
get(struct fx *x, struct pkt *p, int64_t now)
{
	return flow_get(x->t, p, now);
}

static void
test_handshake(void **state)
{
	struct fx		*x = *state;
	struct pkt		 p;
	struct flow		*f;
	struct flow_stats	 st;
	uint64_t		 id;

	/* client 10.0.0.9:50000 -> server 10.0.0.1:8080 (9 > 1: the
	 * server is the key's lo side) */
	p = mk(6, 9, 50000, 1, 8080, TH_SYN, 0);
	f = get(x, &p, 1);
	assert_non_null(f);
	id = p.flow_id;
	assert_int_not_equal(id, 0);
	assert_int_equal(p.dir, DIR_TO_SERVER);
	assert_int_equal(p.flow_state, FLOW_NEW);
	assert_ptr_equal(p.fv, &f->fv);
	p = mk(6, 1, 8080, 9, 50000, TH_SYN | TH_ACK, 0);
	get(x, &p, 2);
	assert_int_equal(p.flow_id, id);
	assert_int_equal(p.dir, DIR_TO_CLIENT);
	assert_int_equal(p.flow_state, FLOW_NEW);
	p = mk(6, 9, 50000, 1, 8080, TH_ACK, 0);
	f = get(x, &p, 3);
	assert_int_equal(p.flow_state, FLOW_ESTABLISHED);
	assert_int_equal(f->pkts[DIR_TO_SERVER], 2);
	assert_int_equal(f->pkts[DIR_TO_CLIENT], 1);
	assert_true(f->isn_set[0] && f->isn_set[1]);
	p = mk(6, 1, 8080, 9, 50000, TH_FIN | TH_ACK, 0);
	get(x, &p, 4);
	assert_int_equal(p.flow_state, FLOW_CLOSED);
	/* more packets of a closed flow stay in it */
	p = mk(6, 9, 50000, 1, 8080, TH_ACK, 0);
	get(x, &p, 5);
	assert_int_equal(p.flow_id, id);
	assert_int_equal(p.flow_state, FLOW_CLOSED);
	/* a new SYN on the same ports: a new flow */
	p = mk(6, 9, 50000, 1, 8080, TH_SYN, 0);
	get(x, &p, 6);
	assert_int_not_equal(p.flow_id, id);
	assert_int_equal(p.flow_state, FLOW_NEW);
	assert_int_equal(x->last_id, id);
	flow_stats(x->t, &st);
	assert_int_equal(st.created, 2);
	assert_int_equal(st.reused, 1);
	assert_int_equal(st.active, 1);
	/* the handshake's last ACK must come from the client */
	p = mk(6, 1, 8080, 9, 50000, TH_SYN | TH_ACK, 0);
	get(x, &p, 7);
	p = mk(6, 1, 8080, 9, 50000, TH_ACK, 0);
	get(x, &p, 8);
	assert_int_equal(p.flow_state, FLOW_NEW);
}

/* A RST closes only when its receiver would take it: its sequence
 * number the next one its sender would use. */
static void
test_rst(void **state)
{
	struct fx	*x = *state;
	struct pkt	 p;
	struct flow	*f;

	p = mk(6, 9, 50001, 1, 80, TH_SYN, 0);
	p.tcp_seq = 1000;
	get(x, &p, 1);
	p = mk(6, 1, 80, 9, 50001, TH_SYN | TH_ACK, 0);
	p.tcp_seq = 5000;
	get(x, &p, 2);
	p = mk(6, 9, 50001, 1, 80, TH_ACK, 10);
	p.tcp_seq = 1001;
	get(x, &p, 3);
	p = mk(6, 1, 80, 9, 50001, TH_ACK | TH_PSH, 20);
	p.tcp_seq = 5001;
	get(x, &p, 3);
	/* injected: off by one, and one far away; the flow goes on */
	p = mk(6, 1, 80, 9, 50001, TH_RST, 0);
	p.tcp_seq = 5022;
	get(x, &p, 4);
	p.tcp_seq = 5001 + 100000;
	f = get(x, &p, 4);
	assert_false(f->reset);
	p = mk(6, 1, 80, 9, 50001, TH_ACK | TH_PSH, 20);
	p.tcp_seq = 5021;
	get(x, &p, 5);
	assert_int_equal(p.flow_state, FLOW_ESTABLISHED);
	/* the client's, at its next byte */
	p = mk(6, 9, 50001, 1, 80, TH_RST | TH_ACK, 0);
	p.tcp_seq = 1011;
	f = get(x, &p, 6);
	assert_true(f->reset);
	assert_int_equal(p.flow_state, FLOW_CLOSED);
	p = mk(6, 1, 80, 9, 50001, TH_ACK, 0);
	p.tcp_seq = 5041;
	get(x, &p, 7);
	assert_int_equal(p.flow_state, FLOW_CLOSED);
	/* a refused SYN: nothing came from the server before its RST */
	p = mk(6, 9, 50002, 1, 81, TH_SYN, 0);
	get(x, &p, 8);
	p = mk(6, 1, 81, 9, 50002, TH_RST | TH_ACK, 0);
	p.tcp_seq = 77;
	f = get(x, &p, 8);
	assert_true(f->reset);
	assert_int_equal(f->state, FLOW_CLOSED);
}

static void
test_direction(void **state)
{
	struct fx	*x = *state;
	struct pkt	 p;

	/* picked up midway at the server's answer: port 80 says who */
	p = mk(6, 2, 80, 3, 40000, TH_ACK, 10);
	get(x, &p, 1);
	assert_int_equal(p.dir, DIR_TO_CLIENT);
	assert_int_equal(p.flow_state, FLOW_NEW);
	p = mk(6, 3, 40000, 2, 80, TH_ACK, 10);
	get(x, &p, 2);
	assert_int_equal(p.dir, DIR_TO_SERVER);
	assert_int_equal(p.flow_state, FLOW_ESTABLISHED);	/* data both */
	/* a SYN+ACK seen first: its sender is the server */
	p = mk(6, 4, 40001, 5, 40002, TH_SYN | TH_ACK, 0);
	get(x, &p, 3);
	assert_int_equal(p.dir, DIR_TO_CLIENT);
	/* UDP, no well-known port: the first sender is the client */
	p = mk(17, 6, 40003, 7, 40004, 0, 10);
	get(x, &p, 4);
	assert_int_equal(p.dir, DIR_TO_SERVER);
	assert_int_equal(p.flow_state, FLOW_NEW);
	p = mk(17, 7, 40004, 6, 40003, 0, 10);
	get(x, &p, 5);
	assert_int_equal(p.dir, DIR_TO_CLIENT);
	assert_int_equal(p.flow_state, FLOW_ESTABLISHED);
	/* a DNS answer seen first */
	p = mk(17, 8, 53, 9, 33333, 0, 10);
	get(x, &p, 6);
	assert_int_equal(p.dir, DIR_TO_CLIENT);
	/* the same addresses, ports swapped: another flow */
	p = mk(17, 8, 33333, 9, 53, 0, 10);
	get(x, &p, 6);
	assert_int_equal(p.dir, DIR_TO_SERVER);
}

static void
test_timeouts(void **state)
{
	struct fx		*x = *state;
	struct pkt		 p;
	struct flow		*f;
	struct flow_stats	 st;

	p = mk(17, 1, 1000, 2, 53, 0, 10);		/* idle: 120 s */
	get(x, &p, 0);
	p = mk(6, 3, 40000, 4, 443, TH_SYN, 0);	/* established: 600 s */
	get(x, &p, 0);
	p = mk(6, 4, 443, 3, 40000, TH_SYN | TH_ACK, 0);
	get(x, &p, 0);
	p = mk(6, 3, 40000, 4, 443, TH_ACK, 0);
	get(x, &p, 0);
	p = mk(6, 5, 40000, 6, 443, TH_SYN, 0);	/* closed: 30 s */
	get(x, &p, 0);
	p = mk(6, 6, 443, 5, 40000, TH_RST | TH_ACK, 0);
	f = get(x, &p, 0);
	f->fv.bits = calloc(4, sizeof(uint64_t));	/* freed on drop */
	f->fv.nwords = 4;
	flow_expire(x->t, 30 * SEC - 1);
	flow_stats(x->t, &st);
	assert_int_equal(st.active, 3);
	flow_expire(x->t, 30 * SEC);
	flow_stats(x->t, &st);
	assert_int_equal(st.active, 2);
	flow_expire(x->t, 120 * SEC);
	flow_stats(x->t, &st);
	assert_int_equal(st.active, 1);
	/* a packet resets the idle time */
	p = mk(6, 4, 443, 3, 40000, TH_ACK, 0);
	get(x, &p, 500 * SEC);
	flow_expire(x->t, 1000 * SEC);
	flow_stats(x->t, &st);
	assert_int_equal(st.active, 1);
	flow_expire(x->t, 1100 * SEC);
	flow_stats(x->t, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.timed_out, 3);
	assert_int_equal(x->released, 3);
}

static void
test_flood(void **state)
{
	struct fx		*x = *state;
	struct flow_stats	 st;
	struct pkt		 p;
	uint64_t		 i, first_new;
	int64_t			 now = 0;

	for (i = 0; i < 100000; i++) {
		p = mk(6, (uint8_t)(i >> 16), (uint16_t)i, 200, 80, TH_SYN, 0);
		get(x, &p, now++);
		assert_int_not_equal(p.flow_id, 0);
	}
	flow_stats(x->t, &st);
	assert_int_equal(st.active, 1000);
	assert_int_equal(st.created, 100000);
	assert_int_equal(st.evicted, 99000);
	assert_int_equal(x->released, 99000);
	/* the newest 1,000 are the ones kept: an old one is new again */
	first_new = st.created;
	p = mk(6, 1, (uint16_t)99999, 200, 80, TH_ACK, 0);
	get(x, &p, now++);
	flow_stats(x->t, &st);
	assert_int_equal(st.created, first_new);
	p = mk(6, 0, 5, 200, 80, TH_ACK, 0);
	get(x, &p, now++);
	flow_stats(x->t, &st);
	assert_int_equal(st.created, first_new + 1);
	assert_int_equal(st.active, 1000);
}

/* Distinct ids for distinct flows. */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_ids(void **state)
{
	struct fx	*x = *state;
	struct pkt	 p;
	uint64_t	*ids = calloc(50000, sizeof(*ids));
	size_t		 i;

	assert_non_null(ids);
	for (i = 0; i < 50000; i++) {
		p = mk(17, 1, (uint16_t)i, 2, 53, 0, 0);
		get(x, &p, (int64_t)i);
		ids[i] = p.flow_id;
		assert_true(ids[i] != 0 && ids[i] < (1ull << 48));
	}
	qsort(ids, 50000, sizeof(*ids), cmp_u64);
	for (i = 1; i < 50000; i++)
		assert_true(ids[i] != ids[i - 1]);
	free(ids);
}

/* Random use of 300 flows in a table of 100 against a naive LRU: the
 * flow evicted is always the one the model says, and a lookup finds a
 * flow exactly when the model holds it. */
static void
test_lru_model(void **state)
{
	struct fx		*x;
	struct flow_stats	 st;
	struct pkt		 p;
	int64_t			 last[300];
	bool			 in[300];
	uint64_t		 created = 0;
	int			 i, k, n, victim;

	assert_int_equal(setup_n(state, 100), 0);
	x = *state;
	x->gone = calloc(65536, 1);
	assert_non_null(x->gone);
	memset(in, 0, sizeof(in));
	for (i = 0, n = 0; i < 20000; i++) {
		k = (int)(rnd() % 300);
		if (!in[k] && n == 100) {
			for (victim = -1, n = 0; n < 300; n++)
				if (in[n] && (victim < 0 ||
				    last[n] < last[victim]))
					victim = n;
			in[victim] = false;
			n = 99;
		} else
			victim = -1;
		if (!in[k]) {
			in[k] = true;
			n++;
			created++;
		}
		last[k] = i;
		/* port 1000 + k on the lower address: the key's lo side */
		p = mk(17, 1, (uint16_t)(1000 + k), 2, 40000, 0, 0);
		memset(x->gone, 0, 65536);
		get(x, &p, i);
		flow_stats(x->t, &st);
		assert_int_equal(st.created, created);
		assert_int_equal(st.active, n);
		if (victim >= 0)
			assert_int_equal(x->gone[1000 + victim], 1);
	}
	teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direction, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test(test_lru_model),
	};
	struct flow_table	*t;

	if (flow_table_new(&t, 0, 1, NULL, NULL) != ERR_USAGE || t != NULL)
		return 1;
	flow_table_free(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
