/*
 * test_config.c: the configuration parsers and loaders (common/config.c).
 *
 * The value parsers are checked against tables of good and bad input,
 * including the edges of every range and 64-bit overflow. The loaders
 * are checked through real files in a temporary directory, with stderr
 * captured so the error messages ("file:line: key = 'value': reason")
 * can be checked too. The expected defaults are spelled out here a
 * second time, on purpose: the test is the naive model of config.c's
 * tables, and the shipped etc/agent.conf and etc/collector.conf must
 * load to exactly them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "testutil.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct fixture {
	struct tmpfile	tf;		/* first: T/test.conf */
	char		log[8192];	/* what the last load logged */
};

enum kind { AGENT, COLLECTOR };

/* ---- helpers ---- */

static int
group_setup(void **state)
{
	return (*state = tmpfile_new(sizeof(struct fixture), "test.conf")) ?
	    0 : -1;
}

struct load {
	enum kind	 kind;
	void		*cfg;
	const char	*path;
	int		 rc;
};

static void
load_run(void *arg)
{
	struct load	*l = arg;

	if (l->kind == AGENT)
		l->rc = config_load_agent(l->cfg, l->path);
	else
		l->rc = config_load_collector(l->cfg, l->path);
}

/* Load path as kind into cfg, with stderr going to f->log. */
static int
load_path(struct fixture *f, enum kind kind, void *cfg, const char *path)
{
	struct load	 l = { kind, cfg, path, 0 };
	char		*out;

	assert_non_null(out = capture_stderr(load_run, &l));
	snprintf(f->log, sizeof(f->log), "%s", out ? out : "");
	free(out);
	return l.rc;
}

static int
load_text(struct fixture *f, enum kind kind, void *cfg, const char *text)
{
	assert_int_equal(file_put(f->tf.path, text, strlen(text), 0600), 0);
	return load_path(f, kind, cfg, f->tf.path);
}

/* The last load logged "<our file>:<rest>". */
static void
assert_logged(struct fixture *f, const char *rest)
{
	char	want[PATH_MAX + 512];

	snprintf(want, sizeof(want), "%s:%s", f->tf.path, rest);
	if (strstr(f->log, want) == NULL)
		fail_msg("log lacks \"%s\"; got \"%s\"", want, f->log);
}

/* The items, then NULL. */
static void
set_list(struct config_list *l, ...)
{
	va_list		 ap;
	const char	*item;

	memset(l, 0, sizeof(*l));
	va_start(ap, l);
	while ((item = va_arg(ap, const char *)) != NULL)
		snprintf(l->item[l->n++], CONFIG_ITEM_MAX, "%s", item);
	va_end(ap);
}

static void
assert_list_eq(const struct config_list *a, const struct config_list *b)
{
	int	i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++)
		assert_string_equal(a->item[i], b->item[i]);
}

static void
agent_expected(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "/var/lib/vigil-agent");
	c->log_level = LOG_LVL_INFO;
	c->syslog = 0;
	c->collector[0] = '\0';
	c->heartbeat_s = 30;
	c->backoff_min_ms = 1000;
	c->backoff_max_ms = 60000;
	c->connect_timeout_s = 10;
	c->batch_events = 1000;
	c->batch_bytes = 512 * 1024;
	c->window_batches = 4;
	c->compress = 1;
	c->spool_max = 512ULL * 1024 * 1024;
	c->poll_ms = 200;
	c->files_enabled = 1;
	set_list(&c->watch, "/home", "/root", "/tmp", "/media", "/run/media",
	    "/mnt", NULL);
	set_list(&c->watch_exclude, "/home/*/.cache/*", NULL);
	set_list(&c->rules, NULL);
	snprintf(c->local_rules, sizeof(c->local_rules), "/etc/vigil/rules.d");
	c->scan_max_size = 64ULL * 1024 * 1024;
	c->scan_timeout_s = 30;
	c->scan_workers = 2;
	c->debounce_ms = 500;
	c->watcher = WATCHER_AUTO;
	c->remote_fs = 0;
	c->fim_enabled = 1;
	set_list(&c->fim_paths, "/etc", "/usr/bin", "/usr/sbin", "/usr/lib",
	    "/boot", "/var/lib/vigil-agent/agent.key", NULL);
	set_list(&c->fim_exclude, "/etc/mtab", "/etc/adjtime", "*.swp",
	    "/etc/ld.so.cache", NULL);
	c->fim_interval_s = 12 * 3600;
	c->fim_threads = 0;
	snprintf(c->user, sizeof(c->user), "vigil-worker");
	c->net_enabled = 1;
	set_list(&c->net_ifaces, NULL);
	c->net_filter[0] = '\0';
	c->net_promisc = 0;
	c->net_buffer = 4ULL * 1024 * 1024;
	set_list(&c->net_rules, NULL);
	snprintf(c->net_local_rules, sizeof(c->net_local_rules),
	    "/etc/vigil/traffic.d");
	set_list(&c->net_ioc, NULL);
	snprintf(c->net_local_ioc, sizeof(c->net_local_ioc),
	    "/etc/vigil/ioc.d");
	set_list(&c->net_vars, NULL);
	c->net_flow_max = 65536;
	c->net_stream_depth = 1024 * 1024;
	c->net_scan_ports = 15;
	c->net_scan_hosts = 25;
	set_list(&c->net_dns_allow, NULL);
}

static void
collector_expected(struct collector_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "/var/lib/vigil-collector");
	snprintf(c->listen, sizeof(c->listen), "0.0.0.0:7414");
	c->log_level = LOG_LVL_INFO;
	c->syslog = 0;
	c->user[0] = '\0';
	c->max_connections = 10000;
	c->handshake_timeout_s = 10;
	c->idle_timeout_s = 120;
	c->handshake_memory = 16 << 20;
	c->source_connections = 64;
	c->source_handshakes = 20;
	c->cookie_threshold = 500;
	c->quota_events = 1000;
	c->quota_bytes = 1 << 20;
	c->event_max = 64 << 10;
	c->commit_events = 5000;
	c->commit_ms = 20;
	c->queue_events = 50000;
	c->queue_bytes = 64 << 20;
	c->retention_s = 365 * 86400;
	c->token_ttl_s = 24 * 3600;
	c->report_deadline_s = 5 * 86400;
	c->report_rules_max_age_s = 7 * 86400;
	c->report_silent_after_s = 86400;
	c->report_backup_max_age_s = 7 * 86400;
	c->report_backup_keep = 8;
	c->corr_enabled = 1;
	c->corr_window_s = 3600;
	c->corr_spread_agents = 3;
	c->corr_spread_window_s = 3600;
	c->corr_offline_s = 900;
	c->corr_max_groups = 100000;
	c->corr_critical.n = 20;
	snprintf(c->corr_critical.item[0], CONFIG_ITEM_MAX, "/etc/passwd");
	snprintf(c->corr_critical.item[19], CONFIG_ITEM_MAX,
	    "/usr/lib/systemd/system");
}

/* Field by field: string buffers may hold old bytes past their NUL. */
static void
assert_agent_eq(const struct agent_config *a, const struct agent_config *b)
{
	assert_string_equal(a->data_dir, b->data_dir);
	assert_int_equal(a->log_level, b->log_level);
	assert_int_equal(a->syslog, b->syslog);
	assert_string_equal(a->collector, b->collector);
	assert_int_equal(a->heartbeat_s, b->heartbeat_s);
	assert_int_equal(a->backoff_min_ms, b->backoff_min_ms);
	assert_int_equal(a->backoff_max_ms, b->backoff_max_ms);
	assert_int_equal(a->connect_timeout_s, b->connect_timeout_s);
	assert_int_equal(a->batch_events, b->batch_events);
	assert_int_equal(a->batch_bytes, b->batch_bytes);
	assert_int_equal(a->window_batches, b->window_batches);
	assert_int_equal(a->compress, b->compress);
	assert_int_equal(a->spool_max, b->spool_max);
	assert_int_equal(a->poll_ms, b->poll_ms);
	assert_int_equal(a->files_enabled, b->files_enabled);
	assert_list_eq(&a->watch, &b->watch);
	assert_list_eq(&a->watch_exclude, &b->watch_exclude);
	assert_list_eq(&a->rules, &b->rules);
	assert_string_equal(a->local_rules, b->local_rules);
	assert_int_equal(a->scan_max_size, b->scan_max_size);
	assert_int_equal(a->scan_timeout_s, b->scan_timeout_s);
	assert_int_equal(a->scan_workers, b->scan_workers);
	assert_int_equal(a->debounce_ms, b->debounce_ms);
	assert_int_equal(a->watcher, b->watcher);
	assert_int_equal(a->remote_fs, b->remote_fs);
	assert_int_equal(a->fim_enabled, b->fim_enabled);
	assert_list_eq(&a->fim_paths, &b->fim_paths);
	assert_list_eq(&a->fim_exclude, &b->fim_exclude);
	assert_int_equal(a->fim_interval_s, b->fim_interval_s);
	assert_int_equal(a->fim_threads, b->fim_threads);
	assert_string_equal(a->user, b->user);
	assert_int_equal(a->net_enabled, b->net_enabled);
	assert_list_eq(&a->net_ifaces, &b->net_ifaces);
	assert_string_equal(a->net_filter, b->net_filter);
	assert_int_equal(a->net_promisc, b->net_promisc);
	assert_int_equal(a->net_buffer, b->net_buffer);
	assert_list_eq(&a->net_rules, &b->net_rules);
	assert_string_equal(a->net_local_rules, b->net_local_rules);
	assert_list_eq(&a->net_ioc, &b->net_ioc);
	assert_string_equal(a->net_local_ioc, b->net_local_ioc);
	assert_list_eq(&a->net_vars, &b->net_vars);
	assert_int_equal(a->net_flow_max, b->net_flow_max);
	assert_int_equal(a->net_stream_depth, b->net_stream_depth);
	assert_int_equal(a->net_scan_ports, b->net_scan_ports);
	assert_int_equal(a->net_scan_hosts, b->net_scan_hosts);
	assert_list_eq(&a->net_dns_allow, &b->net_dns_allow);
}

static void
assert_collector_eq(const struct collector_config *a,
    const struct collector_config *b)
{
	assert_string_equal(a->data_dir, b->data_dir);
	assert_string_equal(a->listen, b->listen);
	assert_int_equal(a->log_level, b->log_level);
	assert_int_equal(a->syslog, b->syslog);
	assert_string_equal(a->user, b->user);
	assert_int_equal(a->max_connections, b->max_connections);
	assert_int_equal(a->handshake_timeout_s, b->handshake_timeout_s);
	assert_int_equal(a->idle_timeout_s, b->idle_timeout_s);
	assert_int_equal(a->handshake_memory, b->handshake_memory);
	assert_int_equal(a->report_lang, b->report_lang);
	assert_int_equal(a->report_rules_max_age_s, b->report_rules_max_age_s);
	assert_int_equal(a->report_silent_after_s, b->report_silent_after_s);
	assert_int_equal(a->report_backup_max_age_s,
	    b->report_backup_max_age_s);
	assert_int_equal(a->report_backup_keep, b->report_backup_keep);
	assert_int_equal(a->source_connections, b->source_connections);
	assert_int_equal(a->source_handshakes, b->source_handshakes);
	assert_int_equal(a->cookie_threshold, b->cookie_threshold);
	assert_int_equal(a->quota_events, b->quota_events);
	assert_int_equal(a->quota_bytes, b->quota_bytes);
	assert_int_equal(a->event_max, b->event_max);
	assert_int_equal(a->commit_events, b->commit_events);
	assert_int_equal(a->commit_ms, b->commit_ms);
	assert_int_equal(a->queue_events, b->queue_events);
	assert_int_equal(a->queue_bytes, b->queue_bytes);
	assert_int_equal(a->retention_s, b->retention_s);
	assert_int_equal(a->token_ttl_s, b->token_ttl_s);
	assert_int_equal(a->report_deadline_s, b->report_deadline_s);
	assert_int_equal(a->corr_enabled, b->corr_enabled);
	assert_int_equal(a->corr_window_s, b->corr_window_s);
	assert_int_equal(a->corr_spread_agents, b->corr_spread_agents);
	assert_int_equal(a->corr_spread_window_s, b->corr_spread_window_s);
	assert_int_equal(a->corr_offline_s, b->corr_offline_s);
	assert_int_equal(a->corr_max_groups, b->corr_max_groups);
	assert_int_equal(a->corr_critical.n, b->corr_critical.n);
	assert_string_equal(a->corr_critical.item[0],
	    b->corr_critical.item[0]);
	assert_string_equal(a->corr_critical.item[a->corr_critical.n - 1],
	    b->corr_critical.item[b->corr_critical.n - 1]);
}

/* ---- value parsers ---- */

struct num_case {
	const char	*in;
	int		 ok;
	uint64_t	 want;
};

#define TEN_YEARS_S	(3650ULL * 86400)

static const struct num_case duration_cases[] = {
	{ "0", 1, 0 }, { "30", 1, 30 }, { "30s", 1, 30 }, { "5m", 1, 300 },
	{ "2h", 1, 7200 }, { "7d", 1, 7 * 86400 }, { "007", 1, 7 },
	{ "3650d", 1, TEN_YEARS_S }, { "315360000", 1, TEN_YEARS_S },
	{ "3651d", 0, 0 }, { "315360001", 0, 0 },
	{ "", 0, 0 }, { "s", 0, 0 }, { "-1", 0, 0 }, { "+1", 0, 0 },
	{ " 1", 0, 0 }, { "1 s", 0, 0 }, { "1x", 0, 0 }, { "1.5h", 0, 0 },
	{ "1S", 0, 0 }, { "1ms", 0, 0 }, { "1h30m", 0, 0 }, { "0x10", 0, 0 },
	{ "99999999999999999999", 0, 0 }, { "18446744073709551615d", 0, 0 },
	{ "213503982334601d", 0, 0 },	/* * 86400 overflows 64 bits */
};

static const struct num_case duration_ms_cases[] = {
	{ "0", 1, 0 }, { "250", 1, 250 }, { "250ms", 1, 250 },
	{ "2s", 1, 2000 }, { "1m", 1, 60000 },
	{ "315360000000", 1, TEN_YEARS_S * 1000 },
	{ "315360000s", 1, TEN_YEARS_S * 1000 },
	{ "315360001s", 0, 0 }, { "1h", 0, 0 }, { "1d", 0, 0 },
	{ "ms", 0, 0 }, { "", 0, 0 }, { "-5ms", 0, 0 }, { "5MS", 0, 0 },
	{ "5 ms", 0, 0 }, { "1.5s", 0, 0 },
	{ "99999999999999999999", 0, 0 }, { "18446744073709551615s", 0, 0 },
};

static const struct num_case size_cases[] = {
	{ "0", 1, 0 }, { "512", 1, 512 }, { "512B", 1, 512 },
	{ "64K", 1, 64 << 10 }, { "64k", 1, 64 << 10 },
	{ "64KB", 1, 64 << 10 }, { "64KiB", 1, 64 << 10 },
	{ "64kib", 1, 64 << 10 }, { "512M", 1, 512ULL << 20 },
	{ "2G", 1, 2ULL << 30 }, { "2GiB", 1, 2ULL << 30 },
	{ "1T", 1, 1ULL << 40 }, { "16777215T", 1, 16777215ULL << 40 },
	{ "18446744073709551615", 1, UINT64_MAX },
	{ "18446744073709551616", 0, 0 }, { "16777216T", 0, 0 },
	{ "99999999999999999999G", 0, 0 }, { "17179869184G", 0, 0 },
	{ "1P", 0, 0 }, { "1.5G", 0, 0 }, { "", 0, 0 }, { "K", 0, 0 },
	{ "-1", 0, 0 }, { "+1K", 0, 0 }, { "1 K", 0, 0 }, { "1Kb ", 0, 0 },
	{ "1KiBB", 0, 0 }, { "1iB", 0, 0 },
};

static void
test_duration(void **state)
{
	int64_t	v;
	size_t	i;

	for (i = 0; i < NITEMS(duration_cases); i++) {
		const struct num_case *c = &duration_cases[i];

		v = -42;
		if (config_parse_duration(&v, c->in) != (c->ok ? 0 :
		    ERR_CONFIG))
			fail_msg("duration \"%s\"", c->in);
		assert_int_equal(v, c->ok ? (int64_t)c->want : -42);
	}
}

static void
test_duration_ms(void **state)
{
	int64_t	v;
	size_t	i;

	for (i = 0; i < NITEMS(duration_ms_cases); i++) {
		const struct num_case *c = &duration_ms_cases[i];

		v = -42;
		if (config_parse_duration_ms(&v, c->in) != (c->ok ? 0 :
		    ERR_CONFIG))
			fail_msg("duration_ms \"%s\"", c->in);
		assert_int_equal(v, c->ok ? (int64_t)c->want : -42);
	}
}

static void
test_size(void **state)
{
	uint64_t	v;
	size_t		i;

	for (i = 0; i < NITEMS(size_cases); i++) {
		const struct num_case *c = &size_cases[i];

		v = 42;
		if (config_parse_size(&v, c->in) != (c->ok ? 0 : ERR_CONFIG))
			fail_msg("size \"%s\"", c->in);
		assert_true(v == (c->ok ? c->want : 42));
	}
}

static void
test_bool(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES",
	    "True", "On" };
	static const char *const no[] = { "no", "false", "off", "0", "NO",
	    "False", "oFF" };
	static const char *const bad[] = { "", "2", "y", "n", "yess", " yes",
	    "yes ", "enabled", "00", "-1" };
	size_t	i;
	int	v;

	for (i = 0; i < NITEMS(yes); i++) {
		v = 7;
		assert_int_equal(config_parse_bool(&v, yes[i]), 0);
		assert_int_equal(v, 1);
	}
	for (i = 0; i < NITEMS(no); i++) {
		v = 7;
		assert_int_equal(config_parse_bool(&v, no[i]), 0);
		assert_int_equal(v, 0);
	}
	for (i = 0; i < NITEMS(bad); i++) {
		v = 7;
		if (config_parse_bool(&v, bad[i]) != ERR_CONFIG)
			fail_msg("bool \"%s\"", bad[i]);
		assert_int_equal(v, 7);
	}
}

static void
test_hostport_good(void **state)
{
	static const struct {
		const char	*in, *host;
		uint16_t	 port;
	} good[] = {
		{ "1.2.3.4:7414", "1.2.3.4", 7414 },
		{ "collector.example.lan:1", "collector.example.lan", 1 },
		{ "Host-1_a:65535", "Host-1_a", 65535 },
		{ ":7414", "", 7414 },
		{ "*:7414", "", 7414 },
		{ "0.0.0.0:07414", "0.0.0.0", 7414 },
		{ "[::1]:7414", "::1", 7414 },
		{ "[::]:80", "::", 80 },
		{ "[2001:db8::10]:443", "2001:db8::10", 443 },
		{ "[::ffff:1.2.3.4]:1", "::ffff:1.2.3.4", 1 },
		{ "[fe80::1%eth0]:7414", "fe80::1%eth0", 7414 },
	};
	char		host[CONFIG_ADDR_MAX];
	uint16_t	port;
	size_t		i;

	for (i = 0; i < NITEMS(good); i++) {
		port = 0;
		if (config_parse_hostport(host, sizeof(host), &port,
		    good[i].in) != 0)
			fail_msg("hostport \"%s\"", good[i].in);
		assert_string_equal(host, good[i].host);
		assert_int_equal(port, good[i].port);
	}
}

static void
test_hostport_bad(void **state)
{
	static const char *const bad[] = {
		"", "host", "host:", "host:0", "host:65536", "host:-1",
		"host:+1", "host: 1", "host:1x", "host:0x10",
		"host:99999999999999999999", "host:18446744073709551617",
		"::1:7414", "::1", "1:2:3", "[::1]", "[::1]7414", "[::1:7414",
		"[::1]:", "[::1]:0", "[1.2.3.4]:7414", "[]:1", "[host]:1",
		"[fe80::1%]:1", "[fe80::1%eth 0]:1",
		"[fe80::1%abcdefghijklmnopq]:1", "ho st:1", "-host:1",
		".host:1", "host/x:1", "**:1", "h\tx:1", "[::1]]:1",
	};
	char		host[CONFIG_ADDR_MAX];
	uint16_t	port;
	size_t		i;

	for (i = 0; i < NITEMS(bad); i++) {
		snprintf(host, sizeof(host), "untouched");
		port = 9;
		if (config_parse_hostport(host, sizeof(host), &port,
		    bad[i]) != ERR_CONFIG)
			fail_msg("hostport \"%s\" accepted", bad[i]);
		assert_string_equal(host, "untouched");
		assert_int_equal(port, 9);
	}
}

static void
test_hostport_hostlen(void **state)
{
	char		host[8];
	uint16_t	port = 9;

	/* host gets at most hostlen-1 bytes; longer is an error, not cut */
	assert_int_equal(config_parse_hostport(host, 5, &port, "abcd:1"), 0);
	assert_string_equal(host, "abcd");
	assert_int_equal(config_parse_hostport(host, 4, &port, "wxyz:2"),
	    ERR_CONFIG);
	assert_string_equal(host, "abcd");
	assert_int_equal(port, 1);
	assert_int_equal(config_parse_hostport(host, 1, &port, "*:3"), 0);
	assert_string_equal(host, "");
	assert_int_equal(port, 3);
	assert_int_equal(config_parse_hostport(host, 0, &port, ":4"),
	    ERR_CONFIG);
	assert_int_equal(config_parse_hostport(host, 4, &port, "[::1]:5"), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(config_parse_hostport(host, 3, &port, "[::1]:6"),
	    ERR_CONFIG);
	assert_int_equal(port, 5);
}

/* ---- loading ---- */

static void
test_empty_file_defaults(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a, wa;
	struct collector_config	 c, wc;

	agent_expected(&wa);
	collector_expected(&wc);
	memset(&a, 0x5a, sizeof(a));
	assert_int_equal(load_text(f, AGENT, &a, ""), 0);
	assert_agent_eq(&a, &wa);
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(load_text(f, COLLECTOR, &c, ""), 0);
	assert_collector_eq(&c, &wc);
	/* comments, blank lines and empty sections only */
	assert_int_equal(load_text(f, AGENT, &a,
	    "# hello\n\n; there\n[agent]\n[uplink]\n[spool]\n"), 0);
	assert_agent_eq(&a, &wa);
}

static void
test_agent_every_option(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;

	assert_int_equal(load_text(f, AGENT, &a,
	    "[agent]\n"
	    "data_dir = /srv/agent\n"
	    "log_level = debug\n"
	    "syslog = yes\n"
	    "[uplink]\n"
	    "collector = [2001:db8::1]:9000\n"
	    "heartbeat = 2m\n"
	    "backoff_min = 250ms\n"
	    "backoff_max = 2m\n"
	    "connect_timeout = 45\n"
	    "batch_events = 4096\n"
	    "batch_bytes = 64K\n"
	    "window = 64\n"
	    "compress = no\n"
	    "[spool]\n"
	    "max_size = 2G\n"
	    "poll = 1s\n"), 0);
	assert_string_equal(a.data_dir, "/srv/agent");
	assert_int_equal(a.log_level, LOG_LVL_DEBUG);
	assert_int_equal(a.syslog, 1);
	assert_string_equal(a.collector, "[2001:db8::1]:9000");
	assert_int_equal(a.heartbeat_s, 120);
	assert_int_equal(a.backoff_min_ms, 250);
	assert_int_equal(a.backoff_max_ms, 120000);
	assert_int_equal(a.connect_timeout_s, 45);
	assert_int_equal(a.batch_events, 4096);
	assert_int_equal(a.batch_bytes, 64 * 1024);
	assert_int_equal(a.window_batches, 64);
	assert_int_equal(a.compress, 0);
	assert_int_equal(a.spool_max, 2ULL << 30);
	assert_int_equal(a.poll_ms, 1000);
}

static void
test_collector_every_option(void **state)
{
	struct fixture		*f = *state;
	struct collector_config	 c;

	assert_int_equal(load_text(f, COLLECTOR, &c,
	    "[collector]\n"
	    "data_dir = /srv/collector\n"
	    "listen = [::]:7500\n"
	    "log_level = warn\n"
	    "syslog = on\n"
	    "user = _vigil-1\n"
	    "max_connections = 1000000\n"
	    "handshake_timeout = 1m\n"
	    "idle_timeout = 1d\n"
	    "handshake_memory = 1G\n"
	    "source_connections = 3\n"
	    "source_handshakes = 7\n"
	    "cookie_threshold = 0\n"
	    "[quota]\n"
	    "events_per_second = 250\n"
	    "bytes_per_second = 256K\n"
	    "max_event_size = 4K\n"
	    "[store]\n"
	    "commit_events = 1\n"
	    "commit_interval = 1s\n"
	    "queue_events = 9\n"
	    "queue_bytes = 2M\n"
	    "retention = 30d\n"
	    "[enroll]\n"
	    "token_ttl = 7d\n"), 0);
	assert_string_equal(c.data_dir, "/srv/collector");
	assert_string_equal(c.listen, "[::]:7500");
	assert_int_equal(c.log_level, LOG_LVL_WARN);
	assert_int_equal(c.syslog, 1);
	assert_string_equal(c.user, "_vigil-1");
	assert_int_equal(c.max_connections, 1000000);
	assert_int_equal(c.handshake_timeout_s, 60);
	assert_int_equal(c.idle_timeout_s, 86400);
	assert_int_equal(c.handshake_memory, 1ULL << 30);
	assert_int_equal(c.source_connections, 3);
	assert_int_equal(c.source_handshakes, 7);
	assert_int_equal(c.cookie_threshold, 0);
	assert_int_equal(c.quota_events, 250);
	assert_int_equal(c.quota_bytes, 256 << 10);
	assert_int_equal(c.event_max, 4096);
	assert_int_equal(c.commit_events, 1);
	assert_int_equal(c.commit_ms, 1000);
	assert_int_equal(c.queue_events, 9);
	assert_int_equal(c.queue_bytes, 2 << 20);
	assert_int_equal(c.retention_s, 30 * 86400);
	assert_int_equal(c.token_ttl_s, 7 * 86400);
}

/* [office]: the report forms' words, Vietnamese as it is; anything a
 * form would show that is not printable UTF-8 is refused. */
static void
test_office(void **state)
{
	struct fixture		*f = *state;
	struct collector_config	 c;
	static const char *const bad[] = {
		"[office]\nname = a\x1b]0;x\x07b\n",
		"[office]\nname = \xc3(\n",
		"[office]\naddress = \xe2\x80\xae\x65vil\n",
		"[office]\nsecurity_level = 6\n",
		"[office]\nsecurity_level = 0\n",
		"[office]\nfax = 1\n",
	};
	size_t	i;

	assert_int_equal(load_text(f, COLLECTOR, &c, ""), 0);
	assert_string_equal(c.office.name, "");
	assert_int_equal(c.office.security_level, 0);
	assert_int_equal(c.office.public.n, 0);
	assert_int_equal(load_text(f, COLLECTOR, &c,
	    "[office]\n"
	    "name = S\xe1\xbb\x9f Khoa h\xe1\xbb\x8d\x63 v\xc3\xa0 "
	    "C\xc3\xb4ng ngh\xe1\xbb\x87\n"
	    "contact = Nguy\xe1\xbb\x85n V\xc4\x83n A\n"
	    "security_level = 3\n"
	    "public = 203.0.113.10\n"
	    "public = example.gov.vn\n"
	    "coordinator = Trung t\xc3\xa2m VNCERT/CC\n"), 0);
	assert_string_equal(c.office.name, "S\xe1\xbb\x9f Khoa h\xe1\xbb\x8d"
	    "c v\xc3\xa0 C\xc3\xb4ng ngh\xe1\xbb\x87");
	assert_string_equal(c.office.contact, "Nguy\xe1\xbb\x85n V\xc4\x83n A");
	assert_int_equal(c.office.security_level, 3);
	assert_int_equal(c.office.public.n, 2);
	assert_string_equal(c.office.public.item[1], "example.gov.vn");
	assert_string_equal(c.office.coordinator, "Trung t\xc3\xa2m VNCERT/CC");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(load_text(f, COLLECTOR, &c, bad[i]),
		    ERR_CONFIG);
}

/* One line "[section] key = value" into a fresh config, then the field:
 * an int or a 64-bit number, found by offset and size. */
#define AF(f)	AGENT, offsetof(struct agent_config, f), \
		sizeof(((struct agent_config *)0)->f)
#define CF(f)	COLLECTOR, offsetof(struct collector_config, f), \
		sizeof(((struct collector_config *)0)->f)
#define OK	0
#define BAD	ERR_CONFIG

static uint64_t
field_value(const void *cfg, size_t off, size_t size)
{
	const char	*p = (const char *)cfg + off;
	uint64_t	 v64;
	int		 v;

	if (size == sizeof(v)) {
		memcpy(&v, p, sizeof(v));
		return (uint64_t)v;
	}
	assert_int_equal(size, sizeof(v64));
	memcpy(&v64, p, sizeof(v64));
	return v64;
}

static void
run_field_case(struct fixture *f, const char *sec, const char *key,
    const char *val, int rc, enum kind kind, size_t off, size_t size,
    uint64_t want)
{
	struct agent_config	 a;
	struct collector_config	 c;
	void			*cfg = kind == AGENT ? (void *)&a : (void *)&c;
	char			 text[512];
	const char		*pre = "";
	int			 got;

	/* backoff_max may not be below backoff_min: test each alone */
	if (strcmp(key, "backoff_min") == 0)
		pre = "backoff_max = 60m\n";
	else if (strcmp(key, "backoff_max") == 0)
		pre = "backoff_min = 10ms\n";
	snprintf(text, sizeof(text), "[%s]\n%s%s = %s\n", sec, pre, key,
	    val);
	got = load_text(f, kind, cfg, text);
	if (got != rc)
		fail_msg("[%s] %s = '%s': got %d, want %d (log: %s)", sec, key,
		    val, got, rc, f->log);
	if (rc == 0 && field_value(cfg, off, size) != want)
		fail_msg("[%s] %s = '%s': got %llu, want %llu", sec, key, val,
		    (unsigned long long)field_value(cfg, off, size),
		    (unsigned long long)want);
}

static void
test_number_ranges(void **state)
{
	static const struct {
		const char	*sec, *key, *val;
		int		 rc;
		enum kind	 kind;
		size_t		 off, size;
		uint64_t	 want;
	} cases[] = {
		{ "uplink", "heartbeat", "1", OK, AF(heartbeat_s), 1 },
		{ "uplink", "heartbeat", "1h", OK, AF(heartbeat_s), 3600 },
		{ "uplink", "heartbeat", "0", BAD, AF(heartbeat_s), 0 },
		{ "uplink", "heartbeat", "3601", BAD, AF(heartbeat_s), 0 },
		{ "uplink", "heartbeat", "30ms", BAD, AF(heartbeat_s), 0 },
		{ "uplink", "backoff_min", "10", OK, AF(backoff_min_ms), 10 },
		{ "uplink", "backoff_min", "10m", OK, AF(backoff_min_ms),
		    600000 },
		{ "uplink", "backoff_min", "9ms", BAD, AF(backoff_min_ms), 0 },
		{ "uplink", "backoff_min", "600001", BAD, AF(backoff_min_ms),
		    0 },
		{ "uplink", "backoff_max", "10ms", OK, AF(backoff_max_ms), 10 },
		{ "uplink", "backoff_max", "60m", OK, AF(backoff_max_ms),
		    3600000 },
		{ "uplink", "backoff_max", "9", BAD, AF(backoff_max_ms), 0 },
		{ "uplink", "backoff_max", "3600001", BAD, AF(backoff_max_ms),
		    0 },
		{ "uplink", "connect_timeout", "1s", OK,
		    AF(connect_timeout_s), 1 },
		{ "uplink", "connect_timeout", "5m", OK,
		    AF(connect_timeout_s), 300 },
		{ "uplink", "connect_timeout", "0", BAD,
		    AF(connect_timeout_s), 0 },
		{ "uplink", "connect_timeout", "301", BAD,
		    AF(connect_timeout_s), 0 },
		{ "uplink", "batch_events", "1", OK, AF(batch_events), 1 },
		{ "uplink", "batch_events", "4096", OK, AF(batch_events),
		    4096 },
		{ "uplink", "batch_events", "0", BAD, AF(batch_events), 0 },
		{ "uplink", "batch_events", "4097", BAD, AF(batch_events), 0 },
		{ "uplink", "batch_events", "4K", BAD, AF(batch_events), 0 },
		{ "uplink", "batch_events", "99999999999999999999", BAD,
		    AF(batch_events), 0 },
		{ "uplink", "batch_bytes", "4K", OK, AF(batch_bytes), 4096 },
		{ "uplink", "batch_bytes", "4096", OK, AF(batch_bytes), 4096 },
		{ "uplink", "batch_bytes", "768KiB", OK, AF(batch_bytes),
		    768 * 1024 },
		{ "uplink", "batch_bytes", "4095", BAD, AF(batch_bytes), 0 },
		{ "uplink", "batch_bytes", "786433", BAD, AF(batch_bytes), 0 },
		{ "uplink", "batch_bytes", "1M", BAD, AF(batch_bytes), 0 },
		{ "uplink", "batch_bytes", "99999999999999999999G", BAD,
		    AF(batch_bytes), 0 },
		{ "uplink", "window", "1", OK, AF(window_batches), 1 },
		{ "uplink", "window", "64", OK, AF(window_batches), 64 },
		{ "uplink", "window", "0", BAD, AF(window_batches), 0 },
		{ "uplink", "window", "65", BAD, AF(window_batches), 0 },
		{ "spool", "max_size", "1M", OK, AF(spool_max), 1 << 20 },
		{ "spool", "max_size", "1T", OK, AF(spool_max), 1ULL << 40 },
		{ "spool", "max_size", "1048575", BAD, AF(spool_max), 0 },
		{ "spool", "max_size", "1025G", BAD, AF(spool_max), 0 },
		{ "spool", "max_size", "16777216T", BAD, AF(spool_max), 0 },
		{ "spool", "max_size", "99999999999999999999G", BAD,
		    AF(spool_max), 0 },
		{ "spool", "poll", "10", OK, AF(poll_ms), 10 },
		{ "spool", "poll", "10s", OK, AF(poll_ms), 10000 },
		{ "spool", "poll", "9ms", BAD, AF(poll_ms), 0 },
		{ "spool", "poll", "10001", BAD, AF(poll_ms), 0 },
		{ "collector", "max_connections", "1", OK,
		    CF(max_connections), 1 },
		{ "collector", "max_connections", "1000000", OK,
		    CF(max_connections), 1000000 },
		{ "collector", "max_connections", "0", BAD,
		    CF(max_connections), 0 },
		{ "collector", "max_connections", "1000001", BAD,
		    CF(max_connections), 0 },
		{ "collector", "handshake_timeout", "1", OK,
		    CF(handshake_timeout_s), 1 },
		{ "collector", "handshake_timeout", "300s", OK,
		    CF(handshake_timeout_s), 300 },
		{ "collector", "handshake_timeout", "0", BAD,
		    CF(handshake_timeout_s), 0 },
		{ "collector", "handshake_timeout", "301", BAD,
		    CF(handshake_timeout_s), 0 },
		{ "collector", "idle_timeout", "10", OK,
		    CF(idle_timeout_s), 10 },
		{ "collector", "idle_timeout", "24h", OK,
		    CF(idle_timeout_s), 86400 },
		{ "collector", "idle_timeout", "9s", BAD,
		    CF(idle_timeout_s), 0 },
		{ "collector", "idle_timeout", "86401", BAD,
		    CF(idle_timeout_s), 0 },
		{ "store", "commit_events", "1", OK, CF(commit_events), 1 },
		{ "store", "commit_events", "100000", OK, CF(commit_events),
		    100000 },
		{ "store", "commit_events", "0", BAD, CF(commit_events), 0 },
		{ "store", "commit_events", "100001", BAD, CF(commit_events),
		    0 },
		{ "store", "commit_interval", "1", OK, CF(commit_ms), 1 },
		{ "store", "commit_interval", "10s", OK, CF(commit_ms),
		    10000 },
		{ "store", "commit_interval", "0ms", BAD, CF(commit_ms), 0 },
		{ "store", "commit_interval", "10001ms", BAD, CF(commit_ms),
		    0 },
		{ "collector", "handshake_memory", "256K", OK,
		    CF(handshake_memory), 256 << 10 },
		{ "collector", "handshake_memory", "4G", OK,
		    CF(handshake_memory), 4ULL << 30 },
		{ "collector", "handshake_memory", "262143", BAD,
		    CF(handshake_memory), 0 },
		{ "collector", "handshake_memory", "4097M", BAD,
		    CF(handshake_memory), 0 },
		{ "collector", "source_connections", "1", OK,
		    CF(source_connections), 1 },
		{ "collector", "source_connections", "100000", OK,
		    CF(source_connections), 100000 },
		{ "collector", "source_connections", "0", BAD,
		    CF(source_connections), 0 },
		{ "collector", "source_connections", "100001", BAD,
		    CF(source_connections), 0 },
		{ "collector", "source_handshakes", "1", OK,
		    CF(source_handshakes), 1 },
		{ "collector", "source_handshakes", "0", BAD,
		    CF(source_handshakes), 0 },
		{ "collector", "source_handshakes", "100001", BAD,
		    CF(source_handshakes), 0 },
		{ "collector", "cookie_threshold", "0", OK,
		    CF(cookie_threshold), 0 },
		{ "collector", "cookie_threshold", "1000000", OK,
		    CF(cookie_threshold), 1000000 },
		{ "collector", "cookie_threshold", "1000001", BAD,
		    CF(cookie_threshold), 0 },
		{ "quota", "events_per_second", "100", OK, CF(quota_events),
		    100 },
		{ "quota", "events_per_second", "1000000", OK,
		    CF(quota_events), 1000000 },
		{ "quota", "events_per_second", "99", BAD, CF(quota_events),
		    0 },
		{ "quota", "events_per_second", "1000001", BAD,
		    CF(quota_events), 0 },
		{ "quota", "bytes_per_second", "128K", OK, CF(quota_bytes),
		    128 << 10 },
		{ "quota", "bytes_per_second", "1G", OK, CF(quota_bytes),
		    1 << 30 },
		{ "quota", "bytes_per_second", "131071", BAD, CF(quota_bytes),
		    0 },
		{ "quota", "bytes_per_second", "1025M", BAD, CF(quota_bytes),
		    0 },
		{ "quota", "max_event_size", "1K", OK, CF(event_max), 1024 },
		{ "quota", "max_event_size", "65536", OK, CF(event_max),
		    65536 },
		{ "quota", "max_event_size", "1023", BAD, CF(event_max), 0 },
		{ "quota", "max_event_size", "65K", BAD, CF(event_max), 0 },
		{ "store", "queue_events", "1", OK, CF(queue_events), 1 },
		{ "store", "queue_events", "10000000", OK, CF(queue_events),
		    10000000 },
		{ "store", "queue_events", "0", BAD, CF(queue_events), 0 },
		{ "store", "queue_events", "10000001", BAD, CF(queue_events),
		    0 },
		{ "store", "queue_bytes", "64K", OK, CF(queue_bytes),
		    64 << 10 },
		{ "store", "queue_bytes", "16G", OK, CF(queue_bytes),
		    16ULL << 30 },
		{ "store", "queue_bytes", "65535", BAD, CF(queue_bytes), 0 },
		{ "store", "queue_bytes", "16385M", BAD, CF(queue_bytes), 0 },
		{ "enroll", "token_ttl", "1m", OK, CF(token_ttl_s), 60 },
		{ "enroll", "token_ttl", "60", OK, CF(token_ttl_s), 60 },
		{ "enroll", "token_ttl", "365d", OK, CF(token_ttl_s),
		    365 * 86400 },
		{ "enroll", "token_ttl", "59s", BAD, CF(token_ttl_s), 0 },
		{ "enroll", "token_ttl", "366d", BAD, CF(token_ttl_s), 0 },
		{ "enroll", "token_ttl", "", BAD, CF(token_ttl_s), 0 },
		{ "incidents", "report_deadline", "5d", OK,
		    CF(report_deadline_s), 5 * 86400 },
		{ "incidents", "report_deadline", "1h", OK,
		    CF(report_deadline_s), 3600 },
		{ "incidents", "report_deadline", "59m", BAD,
		    CF(report_deadline_s), 0 },
		{ "incidents", "report_deadline", "366d", BAD,
		    CF(report_deadline_s), 0 },
		{ "report", "rules_max_age", "3d", OK,
		    CF(report_rules_max_age_s), 3 * 86400 },
		{ "report", "rules_max_age", "59m", BAD,
		    CF(report_rules_max_age_s), 0 },
		{ "report", "silent_after", "12h", OK,
		    CF(report_silent_after_s), 12 * 3600 },
		{ "report", "silent_after", "31d", BAD,
		    CF(report_silent_after_s), 0 },
		{ "report", "backup_max_age", "1d", OK,
		    CF(report_backup_max_age_s), 86400 },
		{ "report", "backup_max_age", "366d", BAD,
		    CF(report_backup_max_age_s), 0 },
		{ "report", "backup_keep", "0", OK, CF(report_backup_keep), 0 },
		{ "report", "backup_keep", "10001", BAD,
		    CF(report_backup_keep), 0 },
		{ "correlation", "window", "1h", OK, CF(corr_window_s), 3600 },
		{ "correlation", "window", "59s", BAD, CF(corr_window_s), 0 },
		{ "correlation", "window", "8d", BAD, CF(corr_window_s), 0 },
		{ "correlation", "spread_agents", "2", OK,
		    CF(corr_spread_agents), 2 },
		{ "correlation", "spread_agents", "1", BAD,
		    CF(corr_spread_agents), 0 },
		{ "correlation", "spread_window", "30m", OK,
		    CF(corr_spread_window_s), 1800 },
		{ "correlation", "spread_window", "1x", BAD,
		    CF(corr_spread_window_s), 0 },
		{ "correlation", "offline_after", "5s", OK,
		    CF(corr_offline_s), 5 },
		{ "correlation", "offline_after", "4s", BAD,
		    CF(corr_offline_s), 0 },
		{ "correlation", "max_groups", "999", BAD,
		    CF(corr_max_groups), 0 },
		{ "correlation", "max_groups", "1000", OK,
		    CF(corr_max_groups), 1000 },
		{ "agent", "log_level", "error", OK, AF(log_level),
		    LOG_LVL_ERROR },
		{ "agent", "log_level", "warn", OK, AF(log_level),
		    LOG_LVL_WARN },
		{ "agent", "log_level", "info", OK, AF(log_level),
		    LOG_LVL_INFO },
		{ "agent", "log_level", "debug", OK, AF(log_level),
		    LOG_LVL_DEBUG },
		{ "agent", "log_level", "verbose", BAD, AF(log_level), 0 },
		{ "agent", "log_level", "", BAD, AF(log_level), 0 },
		{ "collector", "log_level", "error", OK, CF(log_level),
		    LOG_LVL_ERROR },
		{ "collector", "log_level", "2", BAD, CF(log_level), 0 },
		{ "agent", "syslog", "yes", OK, AF(syslog), 1 },
		{ "agent", "syslog", "maybe", BAD, AF(syslog), 0 },
		{ "uplink", "compress", "off", OK, AF(compress), 0 },
		{ "uplink", "compress", "", BAD, AF(compress), 0 },
		{ "collector", "syslog", "true", OK, CF(syslog), 1 },
		{ "collector", "syslog", "2", BAD, CF(syslog), 0 },
	};
	struct fixture	*f = *state;
	size_t		 i;

	for (i = 0; i < NITEMS(cases); i++)
		run_field_case(f, cases[i].sec, cases[i].key, cases[i].val,
		    cases[i].rc, cases[i].kind, cases[i].off, cases[i].size,
		    cases[i].want);
}

/* One string option set to value: rc, and on success the stored text. */
static void
run_string_case(struct fixture *f, enum kind kind, const char *sec,
    const char *key, const char *val, int rc)
{
	struct agent_config	 a;
	struct collector_config	 c;
	char			 text[512];
	const char		*got;
	int			 r;

	snprintf(text, sizeof(text), "[%s]\n%s = %s\n", sec, key, val);
	if (kind == AGENT)
		r = load_text(f, AGENT, &a, text);
	else
		r = load_text(f, COLLECTOR, &c, text);
	if (r != rc)
		fail_msg("[%s] %s = '%s': got %d, want %d (log: %s)", sec, key,
		    val, r, rc, f->log);
	if (rc != 0)
		return;
	if (strcmp(key, "data_dir") == 0)
		got = kind == AGENT ? a.data_dir : c.data_dir;
	else if (strcmp(key, "collector") == 0)
		got = a.collector;
	else if (strcmp(key, "listen") == 0)
		got = c.listen;
	else
		got = c.user;
	assert_string_equal(got, val);
}

static void
test_string_options(void **state)
{
	static const struct {
		enum kind	 kind;
		const char	*sec, *key, *val;
		int		 rc;
	} cases[] = {
		{ AGENT, "agent", "data_dir", "/", OK },
		{ AGENT, "agent", "data_dir", "/var/lib/x y/é", OK },
		{ AGENT, "agent", "data_dir", "relative/dir", BAD },
		{ AGENT, "agent", "data_dir", "", BAD },
		{ AGENT, "agent", "data_dir", "/a\x01" "b", BAD },
		{ COLLECTOR, "collector", "data_dir", "/srv/c", OK },
		{ COLLECTOR, "collector", "data_dir", "~/c", BAD },
		{ AGENT, "uplink", "collector", "", OK },
		{ AGENT, "uplink", "collector", "c.example.lan:7414", OK },
		{ AGENT, "uplink", "collector", "10.0.0.1:1", OK },
		{ AGENT, "uplink", "collector", "[fe80::1%eth0]:7414", OK },
		{ AGENT, "uplink", "collector", "c.example.lan", BAD },
		{ AGENT, "uplink", "collector", ":7414", BAD },
		{ AGENT, "uplink", "collector", "*:7414", BAD },
		{ AGENT, "uplink", "collector", "c.example.lan:0", BAD },
		{ AGENT, "uplink", "collector", "::1:7414", BAD },
		{ COLLECTOR, "collector", "listen", "0.0.0.0:7414", OK },
		{ COLLECTOR, "collector", "listen", "*:7414", OK },
		{ COLLECTOR, "collector", "listen", ":1", OK },
		{ COLLECTOR, "collector", "listen", "[::]:65535", OK },
		{ COLLECTOR, "collector", "listen", "", BAD },
		{ COLLECTOR, "collector", "listen", "0.0.0.0", BAD },
		{ COLLECTOR, "collector", "listen", "0.0.0.0:65536", BAD },
		{ COLLECTOR, "collector", "user", "", OK },
		{ COLLECTOR, "collector", "user", "vigil", OK },
		{ COLLECTOR, "collector", "user", "_v1-x", OK },
		{ COLLECTOR, "collector", "user", "u"
		    "23456789012345678901234567890123456789012345678901234567890"
		    "123", OK },			/* 63 characters */
		{ COLLECTOR, "collector", "user", "u"
		    "23456789012345678901234567890123456789012345678901234567890"
		    "1234", BAD },			/* 64 characters */
		{ COLLECTOR, "collector", "user", "Vigil", BAD },
		{ COLLECTOR, "collector", "user", "1vigil", BAD },
		{ COLLECTOR, "collector", "user", "-vigil", BAD },
		{ COLLECTOR, "collector", "user", "vi gil", BAD },
		{ COLLECTOR, "collector", "user", "vigil$", BAD },
		{ COLLECTOR, "collector", "user", "root:x", BAD },
	};
	struct fixture	*f = *state;
	size_t		 i;

	for (i = 0; i < NITEMS(cases); i++)
		run_string_case(f, cases[i].kind, cases[i].sec, cases[i].key,
		    cases[i].val, cases[i].rc);
}

/* A value refused in a section of the collector's file, and what the
 * log must say of it. */
struct bad_value {
	const char	*text, *logged;
};

/* Each of bad[0 .. n) in [section]: ERR_CONFIG, and the log says why. */
static void
refused(struct fixture *f, const char *section, const struct bad_value *bad,
    size_t n)
{
	struct collector_config	c;
	char			text[512];
	size_t			i;

	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "[%s]\n%s\n", section, bad[i].text);
		assert_int_equal(load_text(f, COLLECTOR, &c, text), ERR_CONFIG);
		if (strstr(f->log, bad[i].logged) == NULL)
			fail_msg("%s: log lacks \"%s\"; got \"%s\"",
			    bad[i].text, bad[i].logged, f->log);
	}
}

/* [notify]: each bad value named with file:line and why; the good ones
 * stored. */
static void
test_notify_options(void **state)
{
	static const struct bad_value bad[] = {
		{ "min_severity = severe", "2: min_severity = 'severe': must be "
		    "low, medium, high or critical" },
		{ "command = notify.sh", "2: command = 'notify.sh': the program "
		    "must be a full path" },
		{ "command = /bin/x \"open", "a quote is not closed" },
		{ "webhook = http://hooks.example/x", "2: webhook = "
		    "'http://hooks.example/x': must be an https:// URL" },
		{ "webhook = https://", "must be an https:// URL" },
		{ "webhook = https://a.example/x y", "contains a space" },
		{ "smtp = mail.example:25", "must be smtp://HOST[:PORT]" },
		{ "mail_to = ops", "must be one address" },
		{ "mail_to = a@b, c@d", "contains a space" },
		{ "mail_from = <a@b>", "must be one address" },
		{ "retry = 5s 0s", "'0s': must be between 1s and 1d" },
		{ "retry = 5x", "'5x': unknown unit" },
		{ "retry = 1s 1s 1s 1s 1s 1s 1s 1s 1s", "more than 8 waits" },
		{ "rate = 0", "must be between 1 and 10000" },
		{ "ca_file = ca.pem", "must be a full path" },
		{ "smtp = smtp://relay\nmail_to = a@b.c", "smtp needs mail_from "
		    "and mail_to" },
		{ "smtp_user = u", "smtp_user and smtp_password_file go "
		    "together" },
		{ "smtp = smtp://r\nmail_from = a@b.c\nmail_to = d@e.f\n"
		    "smtp_user = u\nsmtp_password_file = /p\nsmtp_starttls = no",
		    "the password would go in clear" },
	};
	struct fixture		*f = *state;
	struct collector_config	 c;

	refused(f, "notify", bad, NITEMS(bad));
	assert_int_equal(load_text(f, COLLECTOR, &c, "[notify]\n"), 0);
	assert_int_equal(c.notify_min_severity, 3);
	assert_int_equal(c.notify_retry.n, 4);
	assert_int_equal(c.notify_retry.s[3], 600);
	assert_int_equal(c.notify_rate, 20);
	assert_int_equal(c.notify_interval_s, 600);
	assert_int_equal(c.notify_syslog, 1);
	assert_string_equal(c.notify_subject_prefix, "[vigil]");
	assert_int_equal(load_text(f, COLLECTOR, &c, "[notify]\n"
	    "min_severity = critical\ncommand = /bin/n \"a b\" $x\n"
	    "webhook = https://h.example/bot1:A/send\n"
	    "webhook = https://127.0.0.1:8443/\nretry = none\n"
	    "smtp = smtps://relay.example:465\nmail_from = v@x.vn\n"
	    "mail_to = a@x.vn\nmail_to = b@x.vn\n"), 0);
	assert_int_equal(c.notify_min_severity, 4);
	assert_string_equal(c.notify_command, "/bin/n \"a b\" $x");
	assert_int_equal(c.notify_webhook.n, 2);
	assert_int_equal(c.notify_retry.n, 0);
	assert_int_equal(c.notify_mail_to.n, 2);
}

/* [forward]: the destination's scheme and address, the streams, the
 * facility, APP-NAME; defaults off, both streams, local4, vigil. */
static void
test_forward_options(void **state)
{
	static const struct bad_value bad[] = {
		{ "syslog = 10.0.0.5:514", "2: syslog = '10.0.0.5:514': must be "
		    "udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT" },
		{ "syslog = http://siem:514", "must be udp://HOST:PORT" },
		{ "syslog = tcp://siem", "expected HOST:PORT" },
		{ "syslog = tcp://siem:0", "syslog = 'tcp://siem:0'" },
		{ "syslog = udp://:514", "needs a host name or address" },
		{ "syslog = tls://si em:6514", "contains a space" },
		{ "syslog = tcp://::1:601", "an IPv6 address goes in brackets" },
		{ "what = alerts,events", "'events': must be alerts, incidents, "
		    "or both" },
		{ "what = ,", "is empty" },
		{ "facility = local8", "must be a syslog facility" },
		{ "facility = 20", "must be a syslog facility" },
		{ "app_name = vigil collector", "contains a space" },
		{ "app_name = 0123456789012345678901234567890123456789012345678",
		    "must be 1 to 48 characters" },
		{ "ca_file = ca.pem", "must be a full path" },
	};
	struct fixture		*f = *state;
	struct collector_config	 c;

	refused(f, "forward", bad, NITEMS(bad));
	assert_int_equal(load_text(f, COLLECTOR, &c, "[forward]\n"), 0);
	assert_string_equal(c.fwd_syslog, "");
	assert_int_equal(c.fwd_what, CONFIG_FWD_ALERTS | CONFIG_FWD_INCIDENTS);
	assert_int_equal(c.fwd_facility, 20);
	assert_string_equal(c.fwd_app_name, "vigil");
	assert_int_equal(load_text(f, COLLECTOR, &c, "[forward]\n"
	    "syslog = tls://[2001:db8::5]:6514\nwhat = incidents\n"
	    "facility = local0\napp_name = vigil-hue\n"
	    "ca_file = /etc/vigil/siem-ca.pem\n"), 0);
	assert_string_equal(c.fwd_syslog, "tls://[2001:db8::5]:6514");
	assert_int_equal(c.fwd_what, CONFIG_FWD_INCIDENTS);
	assert_int_equal(c.fwd_facility, 16);
	assert_string_equal(c.fwd_app_name, "vigil-hue");
	assert_string_equal(c.fwd_ca_file, "/etc/vigil/siem-ca.pem");
	assert_int_equal(load_text(f, COLLECTOR, &c, "[forward]\n"
	    "syslog = udp://siem.tinh.gov.vn:514\nwhat = alerts incidents\n"
	    "facility = authpriv\n"), 0);
	assert_int_equal(c.fwd_what, CONFIG_FWD_ALERTS | CONFIG_FWD_INCIDENTS);
	assert_int_equal(c.fwd_facility, 10);
}

static void
test_report_options(void **state)
{
	static const struct bad_value	 bad[] = {
		{ "lang = fr", "must be vi or en" },
		{ "lang = VI", "must be vi or en" },
		{ "schedule = monthly", "'monthly': must be month, quarter, "
		    "half or year" },
		{ "formats = md, docx", "'docx': must be pdf, html, md, csv or "
		    "json" },
		{ "formats = ,", "is empty" },
		{ "offices = every", "must be all, each or both" },
		{ "mail_to = a@x, b", "must be one address" },
		{ "dir = reports", "must be a full path" },
		{ "retry = soon", "retry = 'soon'" },
	};
	struct fixture		*f = *state;
	struct collector_config	 c;

	refused(f, "report", bad, NITEMS(bad));
	assert_int_equal(load_text(f, COLLECTOR, &c, "[report]\n"), 0);
	assert_int_equal(c.report_lang, CONFIG_LANG_VI);
	assert_int_equal(load_text(f, COLLECTOR, &c,
	    "[report]\nlang = en\n"), 0);
	assert_int_equal(c.report_lang, CONFIG_LANG_EN);
	assert_int_equal(load_text(f, COLLECTOR, &c,
	    "[report]\nlang = en\nlang = vi\n"), 0);
	assert_int_equal(c.report_lang, CONFIG_LANG_VI);
	/* the schedule: off by default; words in any order */
	assert_int_equal(c.report_schedule, 0);
	assert_int_equal(c.report_formats, 0);
	assert_int_equal(c.report_offices, CONFIG_OFFICES_ALL);
	assert_int_equal(c.report_retry.n, 5);
	assert_int_equal(c.report_retry.s[4], 86400);
	assert_int_equal(load_text(f, COLLECTOR, &c, "[report]\n"
	    "schedule = year, month\nformats = json pdf\noffices = both\n"
	    "dir = /srv/bao-cao\n"), 0);
	assert_int_equal(c.report_schedule, CONFIG_SCHED_MONTH |
	    CONFIG_SCHED_YEAR);
	assert_int_equal(c.report_formats, CONFIG_FMT_JSON | CONFIG_FMT_PDF);
	assert_int_equal(c.report_offices, CONFIG_OFFICES_ALL |
	    CONFIG_OFFICES_EACH);
	assert_string_equal(c.report_dir, "/srv/bao-cao");
	assert_int_equal(load_text(f, COLLECTOR, &c, "[report]\n"
	    "schedule =\n"), 0);
	assert_int_equal(c.report_schedule, 0);
	/* mail_to: commas and lines; only through [notify]'s relay */
	assert_int_equal(load_text(f, COLLECTOR, &c, "[report]\n"
	    "mail_to = a@x.vn, b@y.vn\nmail_to = c@z.vn\n"), ERR_CONFIG);
	assert_logged(f, " [report] mail_to needs [notify] smtp");
	assert_int_equal(load_text(f, COLLECTOR, &c, "[notify]\n"
	    "smtp = smtp://relay:25\nsmtp_starttls = no\nmail_from = v@x.vn\n"
	    "[report]\nmail_to = a@x.vn, b@y.vn\nmail_to = c@z.vn\n"), 0);
	assert_int_equal(c.report_mail_to.n, 3);
	assert_string_equal(c.report_mail_to.item[1], "b@y.vn");
	assert_string_equal(c.report_mail_to.item[2], "c@z.vn");
	assert_int_equal(c.notify_mail_to.n, 0);
	assert_int_equal(load_text(f, COLLECTOR, &c, "[notify]\n"
	    "smtp = smtp://relay:25\nsmtp_starttls = no\nmail_from = v@x.vn\n"),
	    ERR_CONFIG);
	assert_logged(f, " [notify] smtp needs mail_from and mail_to");
}

static void
test_messages(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;
	struct collector_config	 c;

	assert_int_equal(load_text(f, AGENT, &a,
	    "# comment\n[uplink]\nheartbeat = 0\n"), ERR_CONFIG);
	assert_logged(f, "3: heartbeat = '0': must be between 1s and 1h");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nbatch_bytes = 1M\n"), ERR_CONFIG);
	assert_logged(f, "2: batch_bytes = '1M': must be between 4K and "
	    "768K");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[spool]\npoll = 5 ms\n"), ERR_CONFIG);
	assert_logged(f, "2: poll = '5 ms': unknown unit; use ms, s or m");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nheartbeat = 1.5m\n"), ERR_CONFIG);
	assert_logged(f, "2: heartbeat = '1.5m': must be a whole number");
	assert_int_equal(load_text(f, COLLECTOR, &c,
	    "[collector]\nmax_connections = 1e6\n"), ERR_CONFIG);
	assert_logged(f, "2: max_connections = '1e6': must be a plain "
	    "number, without a unit");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[spool]\nmax_size = 99999999999999999999G\n"), ERR_CONFIG);
	assert_logged(f, "2: max_size = '99999999999999999999G': number too "
	    "large");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nwindow =\n"), ERR_CONFIG);
	assert_logged(f, "2: window = '': empty value");
	assert_int_equal(load_text(f, COLLECTOR, &c,
	    "[collector]\nlisten = ::1:7414\n"), ERR_CONFIG);
	assert_logged(f, "2: listen = '::1:7414': an IPv6 address goes in "
	    "brackets");
	assert_int_equal(load_text(f, COLLECTOR, &c,
	    "[collector]\nuser = u23456789012345678901234567890123456789012"
	    "34567890123456789012345\n"), ERR_CONFIG);
	assert_logged(f, "2: user = 'u2345678901234567890123456789012345678"
	    "901234567890123456789012345': longer than 63 characters");
	/* inline comments after " ;" are not part of the value */
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nheartbeat = 0 ; too small\n"), ERR_CONFIG);
	assert_logged(f, "2: heartbeat = '0': must be");
}

static void
test_unknown_keys(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;
	struct collector_config	 c;

	assert_int_equal(load_text(f, AGENT, &a, "[uplink]\nbogus = 1\n"),
	    ERR_CONFIG);
	assert_logged(f, "2: unknown key 'bogus' in [uplink]");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[agent]\nlog_level = info\n[nope]\nx = 1\n"), ERR_CONFIG);
	assert_logged(f, "4: unknown section [nope] (key 'x')");
	assert_int_equal(load_text(f, AGENT, &a, "heartbeat = 30\n"),
	    ERR_CONFIG);
	assert_logged(f, "1: 'heartbeat' is not inside a [section]");
	/* keys and sections are case-sensitive */
	assert_int_equal(load_text(f, AGENT, &a, "[uplink]\nHeartbeat = 1\n"),
	    ERR_CONFIG);
	assert_logged(f, "2: unknown key 'Heartbeat' in [uplink]");
	assert_int_equal(load_text(f, AGENT, &a, "[Uplink]\nheartbeat = 1\n"),
	    ERR_CONFIG);
	assert_logged(f, "2: unknown section [Uplink]");
	/* an option in the wrong section, or of the other program */
	assert_int_equal(load_text(f, AGENT, &a, "[agent]\nheartbeat = 1\n"),
	    ERR_CONFIG);
	assert_logged(f, "2: unknown key 'heartbeat' in [agent]");
	assert_int_equal(load_text(f, COLLECTOR, &c,
	    "[collector]\ncollector = x:1\n"), ERR_CONFIG);
	assert_logged(f, "2: unknown key 'collector' in [collector]");
	assert_int_equal(load_text(f, AGENT, &a, "[collector]\nuser = x\n"),
	    ERR_CONFIG);
	assert_logged(f, "2: unknown section [collector]");
}

static void
test_syntax_errors(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;

	assert_int_equal(load_text(f, AGENT, &a, "[uplink\nheartbeat = 1\n"),
	    ERR_CONFIG);
	assert_logged(f, "1: expected [section]");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nheartbeat 30\n"), ERR_CONFIG);
	assert_logged(f, "2: expected [section]");
	/* the first error is the one reported, whichever kind it is */
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\ngarbage\nheartbeat = 0\n"), ERR_CONFIG);
	assert_logged(f, "2: expected [section]");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nheartbeat = 0\ngarbage\nwindow = 0\n"), ERR_CONFIG);
	assert_logged(f, "2: heartbeat = '0'");
	assert_null(strstr(f->log, "window"));
	assert_null(strstr(f->log, ":3:"));
}

static void
test_indented_lines(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;

	/* inih would make the second line part of heartbeat's value */
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nheartbeat = 30\n  window = 8\n"), ERR_CONFIG);
	assert_logged(f, "3: line starts with a space or tab; remove them");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\n\twindow = 8\n"), ERR_CONFIG);
	assert_logged(f, "2: line starts with a space or tab; remove them");
	/* indented comments and blank lines are fine */
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nwindow = 8\n   # note\n \t \n  ; note\nheartbeat = 5\n"),
	    0);
	assert_int_equal(a.window_batches, 8);
	assert_int_equal(a.heartbeat_s, 5);
}

static void
test_duplicates_later_wins(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;

	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nwindow = 8\nwindow = 16\n[spool]\npoll = 1s\n"
	    "[uplink]\nwindow = 32\n"), 0);
	assert_int_equal(a.window_batches, 32);
	assert_int_equal(a.poll_ms, 1000);
}

static void
test_lists(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;
	char			 text[8192];
	size_t			 len = 0;
	int			 i;

	/* the first line replaces the default list, later lines append */
	assert_int_equal(load_text(f, AGENT, &a,
	    "[files]\nwatch = /srv/share\nwatch = /home\nexclude = *.tmp\n"
	    "watcher = inotify\n[integrity]\npath = /etc\n"), 0);
	assert_int_equal(a.watch.n, 2);
	assert_string_equal(a.watch.item[0], "/srv/share");
	assert_string_equal(a.watch.item[1], "/home");
	assert_int_equal(a.watch_exclude.n, 1);
	assert_string_equal(a.watch_exclude.item[0], "*.tmp");
	assert_int_equal(a.watcher, WATCHER_INOTIFY);
	assert_int_equal(a.fim_paths.n, 1);
	assert_int_equal(a.fim_exclude.n, 4);	/* untouched: default */
	assert_int_equal(a.rules.n, 0);
	/* paths must be absolute; excludes may be patterns */
	assert_int_equal(load_text(f, AGENT, &a, "[files]\nwatch = home\n"),
	    ERR_CONFIG);
	assert_logged(f, "2: watch = 'home': must be a full path, starting "
	    "with /");
	assert_int_equal(load_text(f, AGENT, &a, "[files]\nwatcher = yes\n"),
	    ERR_CONFIG);
	assert_logged(f, "2: watcher = 'yes': must be auto, fanotify or "
	    "inotify");
	/* at most CONFIG_LIST_MAX lines */
	len = (size_t)snprintf(text, sizeof(text), "[files]\n");
	for (i = 0; i <= CONFIG_LIST_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "watch = /d%d\n", i);
	assert_int_equal(load_text(f, AGENT, &a, text), ERR_CONFIG);
	assert_logged(f, "66: watch = '/d64': more than 64 lines of this key");
}

/* [network] and [agent] user: every option, and what each refuses. */
static void
test_network(void **state)
{
	static const struct {
		const char	*line, *why;
	} bad[] = {
		{ "interface = eth0/1", "not an interface name" },
		{ "interface = eth 0", "not an interface name" },
		{ "interface = abcdefghijklmnop", "longer than 15" },
		{ "interface =", "is empty" },
		{ "promiscuous = maybe", "must be yes or no" },
		{ "buffer = 512K", "must be between 1M and 1G" },
		{ "buffer = 2G", "must be between 1M and 1G" },
		{ "rules = traffic", "must be a full path" },
		{ "local_ioc = ioc.d", "must be a full path" },
		{ "var = HOME_NET", "must be NAME=VALUE" },
		{ "var = home_net=[10.0.0.0/8]", "must be NAME=VALUE" },
		{ "var = HOME_NET=", "must be NAME=VALUE" },
		{ "var = =[10.0.0.0/8]", "must be NAME=VALUE" },
		{ "var = 1NET=[10.0.0.0/8]", "must be NAME=VALUE" },
		{ "flow_max = 1023", "must be between 1024 and 16777216" },
		{ "flow_max = 16777217", "must be between 1024 and 16777216" },
		{ "stream_depth = 1K", "must be between 4K and 1G" },
		{ "scan_ports = 1", "must be between 2 and 65535" },
		{ "scan_hosts = 65536", "must be between 2 and 65535" },
		{ "dns_allow = Filter.Example", "lower case" },
		{ "dns_allow = a..b", "not a domain name" },
		{ "dns_allow = example.com.", "not a domain name" },
		{ "dns_allow = exa mple.com", "not a domain name" },
		{ "filter = port\x01 53", "without control characters" },
	};
	struct fixture		*f = *state;
	struct agent_config	 a;
	char			 text[512], why[256];
	size_t			 i;

	assert_int_equal(load_text(f, AGENT, &a,
	    "[agent]\n"
	    "user = _capture-1\n"
	    "[network]\n"
	    "enabled = no\n"
	    "interface = eth0\n"
	    "interface = wlp2s0\n"
	    "interface = br-lan.10@x\n"
	    "filter = not port 7414 and not host 10.0.0.9\n"
	    "promiscuous = yes\n"
	    "buffer = 1G\n"
	    "rules = /srv/traffic\n"
	    "local_rules =\n"
	    "ioc = /srv/ioc/a.txt\n"
	    "ioc = /srv/ioc/b\n"
	    "local_ioc = /srv/ioc.d\n"
	    "var = HOME_NET=[192.168.1.0/24,10.0.0.0/8]\n"
	    "var = DNS_SERVERS=[192.168.1.1]\n"
	    "flow_max = 16777216\n"
	    "stream_depth = 64K\n"
	    "scan_ports = 2\n"
	    "scan_hosts = 65535\n"
	    "dns_allow = filter.example-1.vn\n"), 0);
	assert_string_equal(a.user, "_capture-1");
	assert_int_equal(a.net_enabled, 0);
	assert_int_equal(a.net_ifaces.n, 3);
	assert_string_equal(a.net_ifaces.item[2], "br-lan.10@x");
	assert_string_equal(a.net_filter, "not port 7414 and not host "
	    "10.0.0.9");
	assert_int_equal(a.net_promisc, 1);
	assert_int_equal(a.net_buffer, 1ULL << 30);
	assert_int_equal(a.net_rules.n, 1);
	assert_string_equal(a.net_local_rules, "");
	assert_int_equal(a.net_ioc.n, 2);
	assert_string_equal(a.net_ioc.item[1], "/srv/ioc/b");
	assert_string_equal(a.net_local_ioc, "/srv/ioc.d");
	assert_int_equal(a.net_vars.n, 2);
	assert_string_equal(a.net_vars.item[0],
	    "HOME_NET=[192.168.1.0/24,10.0.0.0/8]");
	assert_int_equal(a.net_flow_max, 1 << 24);
	assert_int_equal(a.net_stream_depth, 64 * 1024);
	assert_int_equal(a.net_scan_ports, 2);
	assert_int_equal(a.net_scan_hosts, 65535);
	assert_int_equal(a.net_dns_allow.n, 1);
	for (i = 0; i < NITEMS(bad); i++) {
		snprintf(text, sizeof(text), "[network]\n%s\n", bad[i].line);
		if (load_text(f, AGENT, &a, text) != ERR_CONFIG)
			fail_msg("accepted: %s", bad[i].line);
		snprintf(why, sizeof(why), "2: %.*s", (int)(strchr(bad[i].line,
		    '=') - bad[i].line), bad[i].line);
		assert_logged(f, why);
		if (strstr(f->log, bad[i].why) == NULL)
			fail_msg("%s: log lacks \"%s\": %s", bad[i].line,
			    bad[i].why, f->log);
	}
	assert_int_equal(load_text(f, AGENT, &a, "[agent]\nuser = Vigil\n"),
	    ERR_CONFIG);
	assert_logged(f, "2: user = 'Vigil': not a user name");
}

/* The traffic rules' paths: configured, or shipped when none (or none at
 * all, shipped NULL), plus the local folder when it is one. */
static void
test_paths(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;
	const char		*p[CONFIG_LIST_MAX + 1];
	char			 text[PATH_MAX + 64];

	snprintf(text, sizeof(text), "[network]\nlocal_rules = %s\n",
	    f->tf.dir.path);
	assert_int_equal(load_text(f, AGENT, &a, text), 0);
	assert_int_equal(config_paths(&a.net_rules, a.net_local_rules,
	    "/shipped", p), 2);
	assert_string_equal(p[0], "/shipped");
	assert_string_equal(p[1], f->tf.dir.path);
	assert_int_equal(config_paths(&a.net_rules, a.net_local_rules, NULL,
	    p), 1);
	assert_string_equal(p[0], f->tf.dir.path);
	assert_int_equal(config_paths(&a.net_ioc, a.net_local_ioc, NULL, p),
	    0);
	assert_int_equal(load_text(f, AGENT, &a, "[network]\nioc = /a\n"
	    "ioc = /b\n"), 0);
	assert_int_equal(config_paths(&a.net_ioc, a.net_local_ioc, "/s", p),
	    2);
	assert_string_equal(p[0], "/a");
	assert_string_equal(p[1], "/b");
}

/* The rules the agent uses: configured (or shipped) plus local_rules when
 * it is a folder. */
static void
test_rules_paths(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;
	const char		*p[CONFIG_LIST_MAX + 1];
	char			 text[PATH_MAX + 64];

	assert_int_equal(load_text(f, AGENT, &a, ""), 0);
	assert_string_equal(a.local_rules, "/etc/vigil/rules.d");
	snprintf(text, sizeof(text), "[files]\nlocal_rules = %s\n",
	    f->tf.dir.path);
	assert_int_equal(load_text(f, AGENT, &a, text), 0);
	assert_int_equal(config_rules_paths(&a, "/shipped", p), 2);
	assert_string_equal(p[0], "/shipped");
	assert_string_equal(p[1], f->tf.dir.path);
	snprintf(text, sizeof(text), "[files]\nrules = /a.yar\nrules = /b\n"
	    "local_rules = %s\n", f->tf.dir.path);
	assert_int_equal(load_text(f, AGENT, &a, text), 0);
	assert_int_equal(config_rules_paths(&a, "/shipped", p), 3);
	assert_string_equal(p[0], "/a.yar");
	assert_string_equal(p[1], "/b");
	assert_string_equal(p[2], f->tf.dir.path);
	/* absent, not a folder, or turned off: left out */
	assert_int_equal(load_text(f, AGENT, &a,
	    "[files]\nlocal_rules = /nonexistent/rules.d\n"), 0);
	assert_int_equal(config_rules_paths(&a, "/shipped", p), 1);
	assert_int_equal(load_text(f, AGENT, &a,
	    "[files]\nlocal_rules = /dev/null\n"), 0);
	assert_int_equal(config_rules_paths(&a, "/shipped", p), 1);
	assert_int_equal(load_text(f, AGENT, &a, "[files]\nlocal_rules =\n"),
	    0);
	assert_string_equal(a.local_rules, "");
	assert_int_equal(config_rules_paths(&a, "/shipped", p), 1);
	assert_string_equal(p[0], "/shipped");
	assert_int_equal(load_text(f, AGENT, &a,
	    "[files]\nlocal_rules = rules.d\n"), ERR_CONFIG);
	assert_logged(f, "2: local_rules = 'rules.d': must be a full path, "
	    "starting with /");
}

static void
test_line_length(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;
	char			 text[1024], dir[256];
	int			 n;

	/* "data_dir = " is 11 characters: a 199-character line loads */
	memset(dir, 'a', sizeof(dir));
	dir[0] = '/';
	dir[188] = '\0';
	n = snprintf(text, sizeof(text), "[agent]\ndata_dir = %s\n", dir);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(load_text(f, AGENT, &a, text), 0);
	assert_int_equal(strlen(a.data_dir), 188);
	/* also without the final newline, and with \r\n */
	text[n - 1] = '\0';
	assert_int_equal(load_text(f, AGENT, &a, text), 0);
	assert_int_equal(strlen(a.data_dir), 188);
	dir[187] = '\0';
	snprintf(text, sizeof(text), "[agent]\r\ndata_dir = %s\r\n", dir);
	assert_int_equal(load_text(f, AGENT, &a, text), 0);
	assert_int_equal(strlen(a.data_dir), 187);

	/* one more is an error, never a silently shortened path */
	dir[187] = dir[188] = 'a';
	dir[189] = '\0';
	snprintf(text, sizeof(text), "[agent]\ndata_dir = %s\n", dir);
	assert_int_equal(load_text(f, AGENT, &a, text), ERR_CONFIG);
	assert_logged(f, "2: line longer than 199 characters");
	/* even when the rest would look like a comment to inih */
	dir[188] = '#';
	snprintf(text, sizeof(text), "[agent]\ndata_dir = %s\n", dir);
	assert_int_equal(load_text(f, AGENT, &a, text), ERR_CONFIG);
	/* and long comment lines too */
	memset(text, '#', 300);
	text[300] = '\0';
	assert_int_equal(load_text(f, AGENT, &a, text), ERR_CONFIG);
	assert_logged(f, "1: line longer than 199 characters");
}

static void
test_odd_bytes(void **state)
{
	static const char	 nul[] = "[uplink]\nwindow = 8\0\nheartbeat = 1\n";
	struct fixture		*f = *state;
	struct agent_config	 a;

	assert_int_equal(file_put(f->tf.path, nul, sizeof(nul) - 1, 0600), 0);
	assert_int_equal(load_path(f, AGENT, &a, f->tf.path), ERR_CONFIG);
	assert_logged(f, "2: NUL byte");
	/* a UTF-8 byte order mark, CRLF and an inline comment are fine */
	assert_int_equal(load_text(f, AGENT, &a,
	    "\xEF\xBB\xBF[uplink]\r\nheartbeat = 5s ; five\r\n# c\r\n\r\n"
	    "window: 3\r\n"), 0);
	assert_int_equal(a.heartbeat_s, 5);
	assert_int_equal(a.window_batches, 3);
}

static void
test_backoff_order(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;

	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nbackoff_min = 2s\nbackoff_max = 1s\n"), ERR_CONFIG);
	assert_logged(f, " backoff_max (1000ms) must not be less than "
	    "backoff_min (2000ms)");
	/* against the default backoff_max of 60s */
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nbackoff_min = 61s\n"), ERR_CONFIG);
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nbackoff_min = 5s\nbackoff_max = 5000\n"), 0);
	assert_int_equal(a.backoff_min_ms, 5000);
	assert_int_equal(a.backoff_max_ms, 5000);
}

static void
test_failed_load_untouched(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a, a0;
	struct collector_config	 c, c0;

	memset(&a, 0x5a, sizeof(a));
	a0 = a;
	assert_int_equal(load_text(f, AGENT, &a,
	    "[uplink]\nwindow = 8\nheartbeat = 0\n"), ERR_CONFIG);
	assert_memory_equal(&a, &a0, sizeof(a));
	assert_int_equal(load_path(f, AGENT, &a, "/nonexistent/agent.conf"),
	    ERR_NOTFOUND);
	assert_memory_equal(&a, &a0, sizeof(a));
	memset(&c, 0x5a, sizeof(c));
	c0 = c;
	assert_int_equal(load_text(f, COLLECTOR, &c,
	    "[collector]\nuser = vigil\n[x]\n"
	    "y = 1\n"), ERR_CONFIG);
	assert_memory_equal(&c, &c0, sizeof(c));
}

static void
test_missing_and_unreadable(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a;
	struct collector_config	 c;
	char			 path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/absent.conf", f->tf.dir.path);
	assert_int_equal(load_path(f, AGENT, &a, path), ERR_NOTFOUND);
	assert_non_null(strstr(f->log, "config "));
	assert_non_null(strstr(f->log, "absent.conf: No such file"));
	assert_int_equal(load_path(f, COLLECTOR, &c, path), ERR_NOTFOUND);
	assert_non_null(strstr(f->log, "absent.conf: No such file"));
	/* a directory opens but does not read */
	assert_int_equal(load_path(f, AGENT, &a, f->tf.dir.path), ERR_IO);
	assert_int_equal(load_path(f, COLLECTOR, &c, f->tf.dir.path), ERR_IO);
}

static void
test_null_path(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a, wa;
	struct collector_config	 c, wc;
	int			 tested = 0;

	agent_expected(&wa);
	collector_expected(&wc);
	if (access(CONFIG_AGENT_DEFAULT, F_OK) != 0 && errno == ENOENT) {
		memset(&a, 0x5a, sizeof(a));
		assert_int_equal(load_path(f, AGENT, &a, NULL), 0);
		assert_agent_eq(&a, &wa);
		assert_string_equal(f->log, "");
		tested++;
	}
	if (access(CONFIG_COLLECTOR_DEFAULT, F_OK) != 0 && errno == ENOENT) {
		memset(&c, 0x5a, sizeof(c));
		assert_int_equal(load_path(f, COLLECTOR, &c, NULL), 0);
		assert_collector_eq(&c, &wc);
		tested++;
	}
	if (tested == 0)
		skip();		/* this machine has both default files */
}

/* etc/NAME of this source tree: $VIGIL_SRC, else next to this file. */
static int
shipped_path(char *buf, size_t len, const char *name)
{
	const char	*src = getenv("VIGIL_SRC");
	const char	*slash = strrchr(__FILE__, '/');
	int		 n;

	if (src != NULL && *src != '\0')
		n = snprintf(buf, len, "%s/etc/%s", src, name);
	else if (slash != NULL)
		n = snprintf(buf, len, "%.*s/../etc/%s",
		    (int)(slash - __FILE__), __FILE__, name);
	else
		n = snprintf(buf, len, "../etc/%s", name);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return access(buf, R_OK);
}

static void
test_shipped_files(void **state)
{
	struct fixture		*f = *state;
	struct agent_config	 a, wa;
	struct collector_config	 c, wc;
	char			 ap[PATH_MAX], cp[PATH_MAX];

	if (shipped_path(ap, sizeof(ap), "agent.conf") != 0 ||
	    shipped_path(cp, sizeof(cp), "collector.conf") != 0)
		skip();		/* built away from its source tree */
	agent_expected(&wa);
	collector_expected(&wc);
	/* one difference on purpose: the shipped file names the service
	 * user, so that the daemon facing the network does not stay root
	 * (a collector run without a file stays who started it) */
	assert_string_equal(wc.user, "");
	snprintf(wc.user, sizeof(wc.user), "vigil");
	memset(&a, 0x5a, sizeof(a));
	if (load_path(f, AGENT, &a, ap) != 0)
		fail_msg("%s: %s", ap, f->log);
	assert_agent_eq(&a, &wa);
	memset(&c, 0x5a, sizeof(c));
	if (load_path(f, COLLECTOR, &c, cp) != 0)
		fail_msg("%s: %s", cp, f->log);
	assert_collector_eq(&c, &wc);
	/* and each is rejected as the other program's file */
	assert_int_equal(load_path(f, AGENT, &a, cp), ERR_CONFIG);
	assert_non_null(strstr(f->log, "unknown section [collector]"));
	assert_int_equal(load_path(f, COLLECTOR, &c, ap), ERR_CONFIG);
	assert_non_null(strstr(f->log, "unknown section [agent]"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_duration_ms),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_hostport_good),
		cmocka_unit_test(test_hostport_bad),
		cmocka_unit_test(test_hostport_hostlen),
		cmocka_unit_test(test_empty_file_defaults),
		cmocka_unit_test(test_agent_every_option),
		cmocka_unit_test(test_collector_every_option),
		cmocka_unit_test(test_office),
		cmocka_unit_test(test_number_ranges),
		cmocka_unit_test(test_string_options),
		cmocka_unit_test(test_notify_options),
		cmocka_unit_test(test_forward_options),
		cmocka_unit_test(test_report_options),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_indented_lines),
		cmocka_unit_test(test_duplicates_later_wins),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_rules_paths),
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_backoff_order),
		cmocka_unit_test(test_failed_load_untouched),
		cmocka_unit_test(test_missing_and_unreadable),
		cmocka_unit_test(test_null_path),
		cmocka_unit_test(test_shipped_files),
	};

	log_init("test_config", LOG_LVL_INFO, 0);
	return cmocka_run_group_tests(tests, group_setup, tmpdir_teardown);
}
