/*
 * test_forward.c: the forwarder (collector/forward.c) on a store of its
 * own and a TCP receiver in the test:
 *  - an alert's message from the store: MSGID, PRI from its severity,
 *    a hostile agent name (line break, quote, ']') kept out of the
 *    header and escaped in SD, the event with its agent as MSG;
 *  - an audit entry's message with its incident;
 *  - store_events_after() against a naive filter of random events, with
 *    small spans and limits and a callback that stops early;
 *  - the thread: first start at the store's end, each message once
 *    (RFC 6587 octet counting, strict RFC 5424), the cursors kept over
 *    a restart (nothing twice), a receiver down then back (nothing
 *    lost), and a store of schema version 4 upgraded for it.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "audit.h"
#include "config.h"
#include "err.h"
#include "forward.h"
#include "incident.h"
#include "raw_sql.h"
#include "rfc5424.h"
#include "rfc5424_parse.h"
#include "rng.h"
#include "store.h"
#include "store_fixture.h"
#include "taxonomy.h"

#define NOW	1764049500
#define HOSTILE	"pc\n07 \"x]\\"

static const struct forward_fmt fmt = { 20, "vigil", "collector-1",
    "77", FORWARD_UDP_MAX };

static int64_t
mkagent(struct store *s, int n, const char *name)
{
	uint8_t	pub[KEY_LEN];
	char	id[AGENT_ID_STRLEN];
	int64_t	rowid;

	memset(pub, n & 0xff, sizeof(pub));
	snprintf(id, sizeof(id), "%016x", n);
	assert_int_equal(store_agent_add(s, &rowid, id, pub, name, "Xã Tân Phú",
	    NOW), 0);
	return rowid;
}

/* n events of type into the store, seq from *seq on. */
static void
put_events(struct store *s, int64_t agent, uint64_t *seq, const char *type,
    int sev, const char *sig, size_t n)
{
	struct store_event	ev;
	char			json[512];
	size_t			i, ins;

	for (i = 0; i < n; i++) {
		snprintf(json, sizeof(json), "{\"timestamp\":\"2025-11-25T05:"
		    "45:00.000001+0000\",\"event_type\":\"%s\",\"alert\":"
		    "{\"signature\":\"%s\",\"signature_id\":%llu,\"gid\":1,"
		    "\"severity\":%d}}", type, sig, (unsigned long long)*seq,
		    sev);
		ev = (struct store_event){ agent, (*seq)++, NOW * 1000000LL +
		    1, type, sev, json, strlen(json) };
		assert_int_equal(store_events_insert(s, &ev, 1, &ins), 0);
		assert_int_equal(ins, 1);
	}
}

struct rows {
	char	*msg[64];
	size_t	 len[64];
	size_t	 n;
	int64_t	 ids[4096];
	size_t	 nids;
	int	 stop_at;	/* cb returns 1 at this row (0: never) */
};

static int
keep_alert(void *arg, const struct store_row *r)
{
	struct rows	*w = arg;

	assert_true(w->n < 64);
	assert_non_null(w->msg[w->n] = malloc(fmt.max));
	assert_int_equal(forward_alert_msg(w->msg[w->n], &w->len[w->n], &fmt,
	    r), 0);
	w->n++;
	return 0;
}

static void
test_alert_msg(void **state)
{
	struct store_fx		*f = *state;
	struct store_span	 q = { 0, 100, 10, "alert" };
	struct rows		 w = { 0 };
	struct p5424		 p;
	json_t			*j;
	uint64_t		 seq = 1;
	int64_t			 next;
	int64_t			 a = mkagent(f->s, 1, HOSTILE);

	put_events(f->s, a, &seq, "alert", 1, "Webshell \\\"x\\\"]", 1);
	put_events(f->s, a, &seq, "alert", 3, "low", 1);
	assert_int_equal(store_events_after(f->s, &q, keep_alert, &w, &next),
	    0);
	assert_int_equal(w.n, 2);
	assert_int_equal(next, 2);
	assert_int_equal(p5424_parse(&p, w.msg[0], w.len[0]), 0);
	assert_int_equal(p.pri, 20 * 8 + RFC5424_ERR);		/* high */
	assert_string_equal(p.ts, "2025-11-25T05:45:00.000001Z");
	assert_string_equal(p.host, "pc_07_\"x]\\");
	assert_string_equal(p.app, "vigil");
	assert_string_equal(p.procid, "77");
	assert_string_equal(p.msgid, "alert");
	assert_string_equal(p.sd_id, "vigil@32473");
	assert_string_equal(p5424_get(&p, "id"), "1");
	assert_string_equal(p5424_get(&p, "agent"), "pc\\x0a07 \"x]\\\\");
	assert_string_equal(p5424_get(&p, "office"), "Xã Tân Phú");
	assert_string_equal(p5424_get(&p, "severity"), "high");
	assert_string_equal(p5424_get(&p, "signature"), "Webshell \"x\"]");
	assert_true(p.bom);
	j = json_loadb(p.msg, p.msglen, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    j, "agent"), "hostname")), HOSTILE);
	assert_int_equal(json_integer_value(json_object_get(j, "seq")), 1);
	json_decref(j);
	assert_int_equal(p5424_parse(&p, w.msg[1], w.len[1]), 0);
	assert_int_equal(p.pri, 20 * 8 + RFC5424_NOTICE);	/* low */
	free(w.msg[0]);
	free(w.msg[1]);
}

struct entries {
	char	 msg[FORWARD_UDP_MAX];
	size_t	 len, n;
	struct store	*s;
};

static int
keep_entry(void *arg, const struct audit_entry *e)
{
	struct entries	*w = arg;

	if (w->n++ == 0)
		assert_int_equal(forward_audit_msg(w->msg, &w->len, &fmt, w->s,
		    e, NOW), 0);
	return 0;
}

static void
test_audit_msg(void **state)
{
	struct store_fx		*f = *state;
	struct incident_new	 n = { .title = "Ransomware on \"pc\"] \\ x",
				    .category = "encryption",
				    .severity = SEV_CRITICAL };
	struct entries		 w = { .s = f->s };
	struct p5424		 p;
	json_t			*j;
	int64_t			 id, seq;

	assert_int_equal(incident_open(f->s, &id, &n, "correlate", NOW), 0);
	assert_int_equal(incident_set_status(f->s, NULL, id, ST_ACKNOWLEDGED,
	    "Lan", NOW + 1), 0);
	assert_int_equal(audit_head_seq(f->s, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(audit_each_after(f->s, 1, 10, keep_entry, &w), 0);
	assert_int_equal(w.n, 1);			/* only seq 2 */
	assert_int_equal(p5424_parse(&p, w.msg, w.len), 0);
	assert_int_equal(p.pri, 20 * 8 + RFC5424_CRIT);
	assert_string_equal(p.host, "collector-1");
	assert_string_equal(p.msgid, "incident");
	assert_string_equal(p.ts, "2025-11-25T05:45:01.000000Z");
	assert_string_equal(p5424_get(&p, "seq"), "2");
	assert_string_equal(p5424_get(&p, "action"), "status");
	assert_string_equal(p5424_get(&p, "actor"), "Lan");
	assert_string_equal(p5424_get(&p, "status"), "acknowledged");
	assert_string_equal(p5424_get(&p, "severity"), "critical");
	assert_string_equal(p5424_get(&p, "title"),
	    "Ransomware on \"pc\"] \\\\ x");
	j = json_loadb(p.msg, p.msglen, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
	    "audit"), "seq")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
	    "incident"), "id")), id);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    j, "incident"), "title")), n.title);
	json_decref(j);
	assert_int_equal(audit_each_after(f->s, -1, 10, keep_entry, &w),
	    ERR_USAGE);
	assert_int_equal(audit_each_after(f->s, 0, 0, keep_entry, &w),
	    ERR_USAGE);
}

static int
keep_id(void *arg, const struct store_row *r)
{
	struct rows	*w = arg;

	assert_string_equal(r->type, "alert");
	w->ids[w->nids++] = r->id;
	return w->stop_at != 0 && (int)w->nids == w->stop_at;
}

/* Random runs of types; walking with small spans and limits (and a
 * callback that stops) gives exactly the alerts, in order. */
static void
test_events_after_model(void **state)
{
	static const char *const types[] = { "alert", "test", "integrity" };
	struct store_fx		*f = *state;
	struct store_span	 q;
	struct rows		*w;
	int64_t			 want[4096], next, prev;
	size_t			 nwant = 0, i, round;
	uint64_t		 seq = 1;
	int64_t			 a = mkagent(f->s, 2, "pc-2");
	int			 t;

	assert_non_null(w = calloc(1, sizeof(*w)));
	for (i = 0; i < 1500; i++) {
		t = rnd() % 4 == 0 ? 0 : 1 + (int)(rnd() % 2);
		put_events(f->s, a, &seq, types[t], 2, "s", 1);
		if (t == 0)
			want[nwant++] = (int64_t)i + 1;
	}
	for (round = 0; round < 20; round++) {
		w->nids = 0;
		q = (struct store_span){ 0, 1 + rnd() % 200, 1 + rnd() % 50,
		    "alert" };
		next = 0;
		do {
			prev = next;
			q.after = next;
			w->stop_at = rnd() % 3 == 0 ? (int)(w->nids + 1 +
			    rnd() % 5) : 0;
			assert_int_equal(store_events_after(f->s, &q, keep_id,
			    w, &next), 0);
			assert_true(next >= prev);
		} while (next != prev);
		assert_int_equal(next, 1500);
		assert_int_equal(w->nids, nwant);
		assert_memory_equal(w->ids, want, nwant * sizeof(int64_t));
	}
	q = (struct store_span){ 0, 0, 1, "alert" };
	assert_int_equal(store_events_after(f->s, &q, keep_id, w, &next),
	    ERR_USAGE);
	q = (struct store_span){ INT64_MAX - 1, 10, 1, "alert" };
	assert_int_equal(store_events_after(f->s, &q, keep_id, w, &next),
	    ERR_USAGE);
	free(w);
}

/* ---- the thread, against a receiver here ---- */

struct rx {
	int	 lfd, fd;
	char	 buf[1 << 20];
	size_t	 len;
	int64_t	 seqs[256];	/* alert seqs received, in order */
	size_t	 n;
};

static void
rx_listen(struct rx *r, uint16_t *port)
{
	struct sockaddr_in	sa = { .sin_family = AF_INET };
	socklen_t		sl = sizeof(sa);
	int			one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(*port);
	assert_true((r->lfd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)), 0);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->lfd, 4), 0);
	assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	r->fd = -1;
}

static void
rx_close(struct rx *r)
{
	if (r->fd != -1)
		close(r->fd);
	if (r->lfd != -1)
		close(r->lfd);
	r->fd = r->lfd = -1;
	r->len = 0;
}

/* Frames in buf: each "LEN SP MSG", MSG strict RFC 5424; the seq of
 * each alert kept. */
static void
rx_frames(struct rx *r)
{
	struct p5424	 p;
	json_t		*j;
	size_t		 n, k;
	char		*sp;

	for (;;) {
		if ((sp = memchr(r->buf, ' ', r->len)) == NULL)
			return;
		assert_true(r->buf[0] >= '1' && r->buf[0] <= '9');
		n = strtoul(r->buf, NULL, 10);
		k = (size_t)(sp - r->buf) + 1;
		if (r->len < k + n)
			return;
		assert_int_equal(p5424_parse(&p, r->buf + k, n), 0);
		if (strcmp(p.msgid, "alert") == 0) {
			assert_non_null(j = json_loadb(p.msg, p.msglen, 0,
			    NULL));
			assert_true(r->n < 256);
			r->seqs[r->n++] = json_integer_value(json_object_get(j,
			    "seq"));
			json_decref(j);
		}
		memmove(r->buf, r->buf + k + n, r->len - k - n);
		r->len -= k + n;
	}
}

/* Receive for ms milliseconds, or until want alerts in all. */
static void
rx_run(struct rx *r, size_t want, int ms)
{
	struct pollfd	pfd;
	ssize_t		k;
	int		i;

	for (i = 0; i < ms / 10 && r->n < want; i++) {
		pfd = (struct pollfd){ r->fd == -1 ? r->lfd : r->fd, POLLIN, 0 };
		if (poll(&pfd, 1, 10) != 1)
			continue;
		if (r->fd == -1) {
			r->fd = accept(r->lfd, NULL, NULL);
			continue;
		}
		k = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
		if (k <= 0) {
			close(r->fd);
			r->fd = -1;
			continue;
		}
		r->len += (size_t)k;
		rx_frames(r);
	}
}

static void
cfg_for(struct collector_config *c, uint16_t port)
{
	assert_int_equal(config_load_collector(c, "/dev/null"), 0);
	snprintf(c->fwd_syslog, sizeof(c->fwd_syslog), "tcp://127.0.0.1:%u",
	    port);
	c->fwd_what = CONFIG_FWD_ALERTS;
}

static void
test_thread_tcp(void **state)
{
	struct store_fx		*f = *state;
	struct collector_config	*c;
	struct forward		*fw;
	struct rx		*r;
	uint64_t		 seq = 1;
	uint16_t		 port = 0;
	int64_t			 a = mkagent(f->s, 3, "pc-3");
	size_t			 i;

	assert_non_null(c = calloc(1, sizeof(*c)));
	assert_non_null(r = calloc(1, sizeof(*r)));
	rx_listen(r, &port);
	cfg_for(c, port);
	/* before the first start: not sent */
	put_events(f->s, a, &seq, "alert", 2, "old", 5);
	assert_int_equal(forward_new(&fw, c, f->tf.path), 0);
	assert_non_null(fw);
	put_events(f->s, a, &seq, "test", 2, "-", 20);
	put_events(f->s, a, &seq, "alert", 2, "new", 10);
	rx_run(r, 10, 5000);
	rx_run(r, 11, 500);			/* and no more */
	assert_int_equal(r->n, 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(r->seqs[i], 26 + (int64_t)i);
	/* a restart: nothing twice, then the new ones */
	forward_free(fw);
	assert_int_equal(forward_new(&fw, c, f->tf.path), 0);
	put_events(f->s, a, &seq, "alert", 2, "after", 3);
	rx_run(r, 13, 5000);
	rx_run(r, 14, 500);
	assert_int_equal(r->n, 13);
	assert_int_equal(r->seqs[10], 36);
	/* the receiver down, alerts meanwhile, the receiver back */
	rx_close(r);
	put_events(f->s, a, &seq, "alert", 2, "down", 4);
	usleep(600 * 1000);
	rx_listen(r, &port);
	rx_run(r, 17, 10000);
	rx_run(r, 18, 500);
	forward_free(fw);
	assert_int_equal(r->n, 17);
	for (i = 13; i < 17; i++)
		assert_int_equal(r->seqs[i], 39 + (int64_t)i - 13);
	rx_close(r);
	free(r);
	free(c);
}

/* A store of version 4 (before the cursors) is upgraded for it; off
 * when syslog is empty; a bad CA file is refused at the start. */
static void
test_upgrade_and_config(void **state)
{
	struct store_fx		*f = *state;
	struct collector_config	*c;
	struct forward		*fw = (struct forward *)1;

	assert_non_null(c = calloc(1, sizeof(*c)));
	store_close(f->s);
	f->s = NULL;
	raw_exec(f->tf.path, "DROP TABLE forward_cursors;"
	    " PRAGMA user_version = 4");
	cfg_for(c, 9);
	assert_int_equal(forward_new(&fw, c, f->tf.path), 0);
	forward_free(fw);
	assert_int_equal(store_open(&f->s, f->tf.path), 0);
	c->fwd_syslog[0] = '\0';
	assert_int_equal(forward_new(&fw, c, f->tf.path), 0);
	assert_null(fw);
	snprintf(c->fwd_syslog, sizeof(c->fwd_syslog), "tls://127.0.0.1:9");
	snprintf(c->fwd_ca_file, sizeof(c->fwd_ca_file), "/nonexistent/ca");
	assert_int_equal(forward_new(&fw, c, f->tf.path), ERR_CONFIG);
	assert_null(fw);
	forward_free(NULL);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alert_msg, store_setup,
		    store_teardown),
		cmocka_unit_test_setup_teardown(test_audit_msg, store_setup,
		    store_teardown),
		cmocka_unit_test_setup_teardown(test_events_after_model,
		    store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(test_thread_tcp, store_setup,
		    store_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_and_config,
		    store_setup, store_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
