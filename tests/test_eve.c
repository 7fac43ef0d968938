/*
 * test_eve: network alerts as EVE records and fast.log lines (eve.c):
 * the fields Suricata writes, the DNS context with a record type that has
 * no name (written TYPEn in full), text from the wire escaped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "eve.h"

static struct pkt
udp_pkt(void)
{
	struct pkt	p;

	memset(&p, 0, sizeof(p));
	p.ts_us = 1764763200123456LL;		/* 2025-12-03T12:00:00.123456Z */
	p.ipver = 4;
	p.src = (struct naddr){ 4, { 192, 168, 1, 7 } };
	p.dst = (struct naddr){ 4, { 192, 168, 1, 1 } };
	p.proto = 17;
	p.sport = 53000;
	p.dport = 53;
	p.flow_id = 42;
	p.dir = DIR_TO_SERVER;
	p.app = APP_DNS;
	return p;
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
test_dns_alert(void **state)
{
	struct pkt		 p = udp_pkt();
	struct txn		 t;
	struct net_alert	 a = { .action = "alert", .gid = 1, .sid = 9100305,
	    .rev = 2, .msg = "name \"x\"\nnext", .classtype = "Potential "
	    "Corporate Privacy Violation", .priority = 2,
	    .metadata = "{\"created_at\":[\"2026_12_03\"]}" };
	json_t			*ev, *al, *q;
	char			*line = NULL;
	size_t			 len = 0;
	FILE			*f;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.app = APP_DNS;
	t.dns.id = 0x5647;
	t.dns.qtype = 65280;			/* private use: no name */
	t.dns.rrname = "abc.onion";
	a.txn = &t;
	assert_non_null(ev = eve_alert(&p, &a));
	assert_string_equal(str(ev, "event_type"), "alert");
	assert_string_equal(str(ev, "timestamp"),
	    "2025-12-03T12:00:00.123456+0000");
	assert_string_equal(str(ev, "src_ip"), "192.168.1.7");
	assert_int_equal(json_integer_value(json_object_get(ev, "dest_port")),
	    53);
	assert_string_equal(str(ev, "proto"), "UDP");
	assert_string_equal(str(ev, "app_proto"), "dns");
	assert_string_equal(str(ev, "direction"), "to_server");
	assert_int_equal(json_integer_value(json_object_get(ev, "flow_id")),
	    42);
	al = json_object_get(ev, "alert");
	assert_string_equal(str(al, "action"), "allowed");
	assert_int_equal(json_integer_value(json_object_get(al,
	    "signature_id")), 9100305);
	assert_int_equal(json_integer_value(json_object_get(al, "severity")),
	    2);
	assert_string_equal(str(al, "signature"), "name \"x\"\nnext");
	assert_non_null(json_object_get(json_object_get(al, "metadata"),
	    "created_at"));
	q = json_array_get(json_object_get(json_object_get(ev, "dns"),
	    "query"), 0);
	assert_string_equal(str(q, "rrname"), "abc.onion");
	assert_string_equal(str(q, "rrtype"), "TYPE65280");
	assert_int_equal(json_integer_value(json_object_get(q, "id")), 0x5647);
	json_decref(ev);

	/* fast.log: one line, the message's line break escaped */
	assert_non_null(f = open_memstream(&line, &len));
	assert_int_equal(eve_fast(f, &p, &a), 0);
	fclose(f);
	assert_string_equal(line, "12/03/2025-12:00:00.123456  [**] "
	    "[1:9100305:2] name \"x\"\\x0anext [**] [Classification: "
	    "Potential Corporate Privacy Violation] [Priority: 2] {UDP} "
	    "192.168.1.7:53000 -> 192.168.1.1:53\n");
	free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_alert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
