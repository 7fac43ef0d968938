/*
 * test_notify.c: the early warning's notifier (collector/notify.c) with
 * its command channel against a real store: the incident JSON on the
 * command's standard input and exactly its argv, exit statuses, the time
 * limit, retries and their record, min_severity, and start-up errors.
 * (Webhooks, mail and storms: tests/integration/notify.sh.)
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include <sqlite3.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "incident.h"
#include "notify.h"
#include "store_fixture.h"
#include "taxonomy.h"

struct rows {
	int	 n;
	char	 outcome[8][16];
	char	 detail[8][128];
	int	 attempt[8];
};

static int
row_cb(void *arg, const struct notify_row *r)
{
	struct rows	*l = arg;

	if (l->n < 8) {
		snprintf(l->outcome[l->n], sizeof(l->outcome[0]), "%s",
		    r->outcome);
		snprintf(l->detail[l->n], sizeof(l->detail[0]), "%s",
		    r->detail);
		l->attempt[l->n] = r->attempt;
		assert_string_equal(r->channel, "command");
	}
	l->n++;
	return 0;
}

/* The rows of incident once there are n (or 15 s passed). */
static void
wait_rows(struct store_fx *f, struct rows *l, int64_t id, int n)
{
	struct timespec	ts = { 0, 20 * 1000000L };
	int		i;

	for (i = 0; i < 750; i++) {
		memset(l, 0, sizeof(*l));
		assert_int_equal(notify_history_each(f->s, id, row_cb, l), 0);
		if (l->n >= n)
			return;
		nanosleep(&ts, NULL);
	}
}

static void	conf(struct store_fx *, struct collector_config *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

static void
conf(struct store_fx *f, struct collector_config *c, const char *fmt, ...)
{
	char	path[PATH_MAX], text[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	(void)tmpdir_path(path, sizeof(path), &f->tf.dir, "c.conf");
	assert_int_equal(file_put(path, text, strlen(text), 0600), 0);
	assert_int_equal(config_load_collector(c, path), 0);
}

static int64_t
mkinc(struct store_fx *f, int sev)
{
	struct incident_new	n = { .title = "Trojan \"x\"; $(id)",
				    .category = "malware", .severity = sev };
	int64_t			id;

	assert_int_equal(incident_open(f->s, &id, &n, "test", time(NULL)), 0);
	return id;
}

static void
post(struct notify *n, int64_t id, int kinds, int sev, int from)
{
	struct correlate_change	c = { .incident = id, .kinds = (uint8_t)kinds,
				    .severity = (uint8_t)sev,
				    .from = (uint8_t)from };

	notify_post(n, &c, 1);
}

static void
test_command(void **state)
{
	struct store_fx		*f = *state;
	struct collector_config	 c;
	struct notify		*n;
	struct rows		 l;
	char			 out[PATH_MAX];
	json_t			*j;
	int64_t			 id = mkinc(f, SEV_HIGH);

	(void)tmpdir_path(out, sizeof(out), &f->tf.dir, "out");
	conf(f, &c, "[notify]\nsyslog = no\ncommand = /usr/bin/tee %s\n"
	    "retry = none\n", out);
	assert_int_equal(notify_new(&n, &c, f->tf.path), 0);
	post(n, id, CHG_OPENED, SEV_HIGH, 0);
	wait_rows(f, &l, id, 1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.outcome[0], "sent");
	assert_string_equal(l.detail[0], "exit 0");
	assert_int_equal(l.attempt[0], 1);
	notify_free(n);
	j = json_load_file(out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), id);
	assert_string_equal(json_string_value(json_object_get(j, "title")),
	    "Trojan \"x\"; $(id)");
	assert_string_equal(json_string_value(json_object_get(j, "change")),
	    "opened");
	assert_string_equal(json_string_value(json_object_get(j,
	    "severity")), "high");
	json_decref(j);
}

/* A notifier of conf (after "[notify]\nsyslog = no\n") told that a new
 * high incident opened: its rows once there are n. */
static void
tell_once(struct store_fx *f, struct rows *l, int n, const char *text)
{
	struct collector_config	 c;
	struct notify		*nt;
	int64_t			 id = mkinc(f, SEV_HIGH);

	conf(f, &c, "[notify]\nsyslog = no\n%s", text);
	assert_int_equal(notify_new(&nt, &c, f->tf.path), 0);
	post(nt, id, CHG_OPENED, SEV_HIGH, 0);
	wait_rows(f, l, id, n);
	notify_free(nt);
	assert_int_equal(l->n, n);
}

static void
test_failures(void **state)
{
	struct store_fx		*f = *state;
	struct rows		 l;

	/* exit 1: failed, retried after 1 s, then given up */
	tell_once(f, &l, 2, "command = /bin/false\nretry = 1s\n");
	assert_string_equal(l.outcome[0], "failed");
	assert_string_equal(l.detail[0], "exit 1");
	assert_string_equal(l.outcome[1], "given-up");
	assert_int_equal(l.attempt[1], 2);
	/* over its time limit: killed */
	tell_once(f, &l, 1, "command = /bin/sleep 30\ncommand_timeout = 1s\n"
	    "retry = none\n");
	assert_string_equal(l.outcome[0], "given-up");
	assert_string_equal(l.detail[0], "killed after 1 s");
	/* no such program */
	tell_once(f, &l, 1, "command = /nonexistent/prog\nretry = none\n");
	assert_non_null(strstr(l.detail[0], "No such file"));
}

/* How many deliveries wait in notify_pending. */
static int64_t
pending_rows(struct store_fx *f)
{
	sqlite3_stmt	*q;
	int64_t		 n;

	assert_int_equal(sqlite3_prepare_v2(db_sqlite(store_db(f->s)),
	    "SELECT count(*) FROM notify_pending", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

/* A delivery waiting for its retry when the collector stops is taken up
 * when it starts again (not given up, not forgotten); one whose channel
 * has gone from the configuration is dropped. */
static void
test_retry_survives_restart(void **state)
{
	struct store_fx		*f = *state;
	struct collector_config	 c;
	struct notify		*n;
	struct rows		 l;
	char			 flag[PATH_MAX];
	int64_t			 id = mkinc(f, SEV_HIGH), id2;

	(void)tmpdir_path(flag, sizeof(flag), &f->tf.dir, "flag");
	conf(f, &c, "[notify]\nsyslog = no\ncommand = /usr/bin/test -e %s\n"
	    "retry = 1h\n", flag);
	assert_int_equal(notify_new(&n, &c, f->tf.path), 0);
	post(n, id, CHG_OPENED, SEV_HIGH, 0);
	wait_rows(f, &l, id, 1);
	assert_string_equal(l.outcome[0], "failed");
	assert_int_equal(pending_rows(f), 1);
	notify_free(n);			/* the retry is an hour away */
	assert_int_equal(pending_rows(f), 1);
	wait_rows(f, &l, id, 1);
	assert_int_equal(l.n, 1);	/* nothing given up */

	assert_int_equal(file_put(flag, "", 0, 0600), 0);
	assert_int_equal(notify_new(&n, &c, f->tf.path), 0);
	wait_rows(f, &l, id, 2);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.outcome[1], "sent");
	assert_int_equal(l.attempt[1], 2);
	notify_free(n);
	assert_int_equal(pending_rows(f), 0);

	/* waiting, then the command is no longer configured: dropped */
	assert_int_equal(unlink(flag), 0);
	id2 = mkinc(f, SEV_HIGH);
	assert_int_equal(notify_new(&n, &c, f->tf.path), 0);
	post(n, id2, CHG_OPENED, SEV_HIGH, 0);
	wait_rows(f, &l, id2, 1);
	notify_free(n);
	assert_int_equal(pending_rows(f), 1);
	conf(f, &c, "[notify]\nsyslog = yes\n");
	assert_int_equal(notify_new(&n, &c, f->tf.path), 0);
	notify_free(n);
	assert_int_equal(pending_rows(f), 0);
}

static void
test_min_severity(void **state)
{
	struct store_fx		*f = *state;
	struct collector_config	 c;
	struct notify		*n;
	struct rows		 l;
	int64_t			 a = mkinc(f, SEV_HIGH), b = mkinc(f, SEV_CRITICAL);

	conf(f, &c, "[notify]\nsyslog = no\nmin_severity = critical\n"
	    "command = /bin/true\n");
	assert_int_equal(notify_new(&n, &c, f->tf.path), 0);
	post(n, a, CHG_OPENED, SEV_HIGH, 0);		/* below */
	post(n, b, CHG_RAISED, SEV_CRITICAL, SEV_CRITICAL); /* not raised */
	post(n, b, CHG_SPREAD, SEV_CRITICAL, 0);	/* told */
	post(n, b, CHG_SPREAD, SEV_CRITICAL, 0);	/* within interval */
	wait_rows(f, &l, b, 1);
	assert_int_equal(l.n, 1);
	notify_free(n);		/* tells what is queued, then stops */
	memset(&l, 0, sizeof(l));
	assert_int_equal(notify_history_each(f->s, a, row_cb, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(notify_history_each(f->s, b, row_cb, &l), 0);
	assert_int_equal(l.n, 1);
}

static void
test_start_errors(void **state)
{
	struct store_fx		*f = *state;
	struct collector_config	 c;
	struct notify		*n = (struct notify *)1;

	/* a template that is not JSON once expanded */
	conf(f, &c, "[notify]\nwebhook = https://127.0.0.1:1/\n"
	    "webhook_template = {\"text\": {{title}}}\n");
	assert_int_equal(notify_new(&n, &c, f->tf.path), ERR_CONFIG);
	assert_null(n);
	conf(f, &c, "[notify]\nwebhook = https://127.0.0.1:1/\n"
	    "webhook_template = {\"text\": \"{{title\"}\n");
	assert_int_equal(notify_new(&n, &c, f->tf.path), ERR_CONFIG);
	/* a placeholder that is not a member: a typo */
	conf(f, &c, "[notify]\nwebhook = https://127.0.0.1:1/\n"
	    "webhook_template = {\"text\": \"{{titel}}\"}\n");
	assert_int_equal(notify_new(&n, &c, f->tf.path), ERR_CONFIG);
	/* every member the docs name is there */
	conf(f, &c, "[notify]\nsyslog = no\nwebhook = https://127.0.0.1:1/\n"
	    "webhook_template = {\"t\": \"{{title}}{{severity}}{{change}}"
	    "{{id}}{{category}}{{category_vi}}{{category_en}}{{status}}"
	    "{{created}}{{last_seen}}{{alerts}}{{deadline}}\"}\n");
	assert_int_equal(notify_new(&n, &c, f->tf.path), 0);
	notify_free(n);
	/* a password file that cannot be read */
	conf(f, &c, "[notify]\nsmtp = smtps://127.0.0.1:1\nmail_from = a@b.c\n"
	    "mail_to = d@e.f\nsmtp_user = u\n"
	    "smtp_password_file = /nonexistent\n");
	assert_int_equal(notify_new(&n, &c, f->tf.path), ERR_CONFIG);
	/* nothing to tell: no notifier */
	conf(f, &c, "[notify]\nsyslog = no\n");
	n = (struct notify *)1;
	assert_int_equal(notify_new(&n, &c, f->tf.path), 0);
	assert_null(n);
	notify_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_command, store_setup,
		    store_teardown),
		cmocka_unit_test_setup_teardown(test_retry_survives_restart,
		    store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(test_failures, store_setup,
		    store_teardown),
		cmocka_unit_test_setup_teardown(test_min_severity, store_setup,
		    store_teardown),
		cmocka_unit_test_setup_teardown(test_start_errors, store_setup,
		    store_teardown),
	};

	signal(SIGPIPE, SIG_IGN);	/* as the collector */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
