/*
 * config.c: the agent's and the collector's INI configuration files.
 *
 * Every option is one row of a table: section, key, parser, field, unit
 * and range. Adding an option is one row here, its default in the
 * initializer below the table and its paragraph in etc/agent.conf or
 * etc/collector.conf. inih splits the file into [section]s and
 * key = value pairs; the row's parser checks the value and stores it.
 *
 * Invariants:
 * - We feed inih through our own line reader. It counts lines (Debian's
 *   inih 55 is built without INI_HANDLER_LINENO) and stops at a line
 *   longer than inih's buffer or at a NUL byte, so inih never silently
 *   splits a long line into two.
 * - The first error stops parsing. It is logged once, as
 *   "file:line: key = 'value': reason", and the caller's struct is only
 *   written when the whole file was good.
 * - A key/value line that starts with a blank is an error: inih would
 *   take it as the continuation of the previous key's value.
 * - A key given twice: the later one wins, as in most INI readers.
 *
 * Load: read once at start-up, a few dozen lines. Nothing here is on a
 * hot path; clarity of the error messages is what matters.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "argv.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "text.h"

#define KIB		(1ULL << 10)
#define MIB		(1ULL << 20)
#define GIB		(1ULL << 30)
#define TIB		(1ULL << 40)
#define DAY_S		86400ULL
#define TEN_YEARS_S	(3650 * DAY_S)
#define WHY_MAX		160		/* reason part of an error message */
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define LISTS_SEEN_WORDS 2		/* options in a table: at most 128 */

/* The unit suffixes a number may carry, largest first; "" is the bare
 * number. Also used backwards to print a range ("between 1s and 1h"). */
struct scale {
	const char	*hint;		/* error message for a bad unit */
	int		 icase;		/* "k" as good as "K" */
	struct {
		const char	*name;
		uint64_t	 mult;
	}		 unit[16];	/* ends at name NULL */
};

static const struct scale secs = { "unknown unit; use s, m, h or d", 0, {
	{ "d", DAY_S }, { "h", 3600 }, { "m", 60 }, { "s", 1 }, { "", 1 } } };
static const struct scale msecs = { "unknown unit; use ms, s or m", 0, {
	{ "m", 60000 }, { "s", 1000 }, { "ms", 1 }, { "", 1 } } };
static const struct scale bytes = { "unknown unit; use K, M, G or T", 1, {
	{ "T", TIB }, { "TB", TIB }, { "TiB", TIB },
	{ "G", GIB }, { "GB", GIB }, { "GiB", GIB },
	{ "M", MIB }, { "MB", MIB }, { "MiB", MIB },
	{ "K", KIB }, { "KB", KIB }, { "KiB", KIB },
	{ "B", 1 }, { "", 1 } } };
static const struct scale plain = {
	"must be a plain number, without a unit", 0, { { "", 1 } } };

struct option {
	const char		*section;
	const char		*key;
	int			(*parse)(void *field, const struct option *,
				    const char *value, char *why, size_t whylen);
	size_t			 offset;	/* of the field in the struct */
	size_t			 size;		/* of the field */
	const struct scale	*scale;		/* numbers: units */
	uint64_t		 min, max;	/* numbers: range, base unit */
};

static int	parse_number(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_flag(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_level(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_path(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_collector(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_listen(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_user(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_opt_path(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_path_list(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_glob_list(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_watcher(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_text(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_control_list(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_text_list(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_severity(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_command(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_url_list(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_smtp(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_mail_list(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_mail(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_retry(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_fwd_url(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_fwd_what(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_facility(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_app_name(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_lang(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_schedule(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_formats(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_offices(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_mail_csv(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_iface_list(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_var_list(void *, const struct option *, const char *,
		    char *, size_t);
static int	parse_domain_list(void *, const struct option *, const char *,
		    char *, size_t);

#define OPT(T, sec, key, fn, f, sc, lo, hi)				\
	{ sec, key, fn, offsetof(T, f), sizeof(((T *)0)->f), sc, lo, hi }
#define A(...)	OPT(struct agent_config, __VA_ARGS__)
#define C(...)	OPT(struct collector_config, __VA_ARGS__)

static const struct option agent_opts[] = {
	A("agent", "data_dir", parse_path, data_dir, NULL, 0, 0),
	A("agent", "log_level", parse_level, log_level, NULL, 0, 0),
	A("agent", "syslog", parse_flag, syslog, NULL, 0, 0),
	A("agent", "user", parse_user, user, NULL, 0, 0),
	A("uplink", "collector", parse_collector, collector, NULL, 0, 0),
	A("uplink", "heartbeat", parse_number, heartbeat_s, &secs, 1, 3600),
	A("uplink", "backoff_min", parse_number, backoff_min_ms, &msecs,
	    10, 600000),
	A("uplink", "backoff_max", parse_number, backoff_max_ms, &msecs,
	    10, 3600000),
	A("uplink", "connect_timeout", parse_number, connect_timeout_s, &secs,
	    1, 300),
	A("uplink", "batch_events", parse_number, batch_events, &plain,
	    1, 4096),
	A("uplink", "batch_bytes", parse_number, batch_bytes, &bytes,
	    4 * KIB, 768 * KIB),
	A("uplink", "window", parse_number, window_batches, &plain, 1, 64),
	A("uplink", "compress", parse_flag, compress, NULL, 0, 0),
	A("spool", "max_size", parse_number, spool_max, &bytes, MIB, TIB),
	A("spool", "poll", parse_number, poll_ms, &msecs, 10, 10000),
	A("files", "enabled", parse_flag, files_enabled, NULL, 0, 0),
	A("files", "watch", parse_path_list, watch, NULL, 0, 0),
	A("files", "exclude", parse_glob_list, watch_exclude, NULL, 0, 0),
	A("files", "rules", parse_path_list, rules, NULL, 0, 0),
	A("files", "local_rules", parse_opt_path, local_rules, NULL, 0, 0),
	A("files", "max_size", parse_number, scan_max_size, &bytes,
	    KIB, 4 * GIB),
	A("files", "timeout", parse_number, scan_timeout_s, &secs, 1, 3600),
	A("files", "workers", parse_number, scan_workers, &plain, 1, 64),
	A("files", "debounce", parse_number, debounce_ms, &msecs, 0, 60000),
	A("files", "watcher", parse_watcher, watcher, NULL, 0, 0),
	A("files", "remote_filesystems", parse_flag, remote_fs, NULL, 0, 0),
	A("integrity", "enabled", parse_flag, fim_enabled, NULL, 0, 0),
	A("integrity", "path", parse_path_list, fim_paths, NULL, 0, 0),
	A("integrity", "exclude", parse_glob_list, fim_exclude, NULL, 0, 0),
	A("integrity", "interval", parse_number, fim_interval_s, &secs,
	    60, 30 * DAY_S),
	A("integrity", "threads", parse_number, fim_threads, &plain, 0, 64),
	A("network", "enabled", parse_flag, net_enabled, NULL, 0, 0),
	A("network", "interface", parse_iface_list, net_ifaces, NULL, 0, 0),
	A("network", "filter", parse_text, net_filter, NULL, 0, 0),
	A("network", "promiscuous", parse_flag, net_promisc, NULL, 0, 0),
	A("network", "buffer", parse_number, net_buffer, &bytes, MIB, GIB),
	A("network", "rules", parse_path_list, net_rules, NULL, 0, 0),
	A("network", "local_rules", parse_opt_path, net_local_rules, NULL,
	    0, 0),
	A("network", "ioc", parse_path_list, net_ioc, NULL, 0, 0),
	A("network", "local_ioc", parse_opt_path, net_local_ioc, NULL, 0, 0),
	A("network", "var", parse_var_list, net_vars, NULL, 0, 0),
	A("network", "flow_max", parse_number, net_flow_max, &plain,
	    1024, 1 << 24),
	A("network", "stream_depth", parse_number, net_stream_depth, &bytes,
	    4 * KIB, GIB),
	A("network", "scan_ports", parse_number, net_scan_ports, &plain,
	    2, 65535),
	A("network", "scan_hosts", parse_number, net_scan_hosts, &plain,
	    2, 65535),
	A("network", "dns_allow", parse_domain_list, net_dns_allow, NULL,
	    0, 0),
};

_Static_assert(NITEMS(agent_opts) <= 64 * LISTS_SEEN_WORDS,
    "lists_seen has a bit per option");

static const struct option collector_opts[] = {
	C("collector", "data_dir", parse_path, data_dir, NULL, 0, 0),
	C("collector", "listen", parse_listen, listen, NULL, 0, 0),
	C("collector", "log_level", parse_level, log_level, NULL, 0, 0),
	C("collector", "syslog", parse_flag, syslog, NULL, 0, 0),
	C("collector", "user", parse_user, user, NULL, 0, 0),
	C("collector", "max_connections", parse_number, max_connections,
	    &plain, 1, 1000000),
	C("collector", "handshake_timeout", parse_number, handshake_timeout_s,
	    &secs, 1, 300),
	C("collector", "idle_timeout", parse_number, idle_timeout_s, &secs,
	    10, DAY_S),
	C("collector", "handshake_memory", parse_number, handshake_memory,
	    &bytes, 256 * KIB, 4 * GIB),
	C("collector", "source_connections", parse_number, source_connections,
	    &plain, 1, 100000),
	C("collector", "source_handshakes", parse_number, source_handshakes,
	    &plain, 1, 100000),
	C("collector", "cookie_threshold", parse_number, cookie_threshold,
	    &plain, 0, 1000000),
	C("quota", "events_per_second", parse_number, quota_events, &plain,
	    100, 1000000),
	C("quota", "bytes_per_second", parse_number, quota_bytes, &bytes,
	    128 * KIB, GIB),
	C("quota", "max_event_size", parse_number, event_max, &bytes,
	    KIB, 64 * KIB),
	C("store", "commit_events", parse_number, commit_events, &plain,
	    1, 100000),
	C("store", "commit_interval", parse_number, commit_ms, &msecs,
	    1, 10000),
	C("store", "queue_events", parse_number, queue_events, &plain,
	    1, 10000000),
	C("store", "queue_bytes", parse_number, queue_bytes, &bytes,
	    64 * KIB, 16 * GIB),
	C("store", "retention", parse_number, retention_s, &secs,
	    0, 3650 * DAY_S),
	C("enroll", "token_ttl", parse_number, token_ttl_s, &secs,
	    60, 365 * DAY_S),
	C("incidents", "report_deadline", parse_number, report_deadline_s,
	    &secs, 3600, 365 * DAY_S),
	C("correlation", "enabled", parse_flag, corr_enabled, NULL, 0, 0),
	C("correlation", "window", parse_number, corr_window_s, &secs,
	    60, 7 * DAY_S),
	C("correlation", "spread_agents", parse_number, corr_spread_agents,
	    &plain, 2, 100000),
	C("correlation", "spread_window", parse_number, corr_spread_window_s,
	    &secs, 60, 7 * DAY_S),
	C("correlation", "offline_after", parse_number, corr_offline_s,
	    &secs, 5, 7 * DAY_S),
	C("correlation", "max_groups", parse_number, corr_max_groups,
	    &plain, 1000, 10000000),
	C("correlation", "critical_path", parse_path_list, corr_critical,
	    NULL, 0, 0),
#define O(key, f)	C("office", key, parse_text, office.f, NULL, 0, 0)
	O("name", name), O("address", address), O("phone", phone),
	O("email", email), O("contact", contact),
	O("contact_position", contact_position),
	O("contact_phone", contact_phone), O("contact_email", contact_email),
	O("owner", owner), O("operator", operator_), O("system", system),
	O("os", os), O("services", services), O("measures", measures),
	O("governing_body", governing_body), O("coordinator", coordinator),
#undef O
	C("office", "security_level", parse_number, office.security_level,
	    &plain, 1, 5),
	C("office", "public", parse_text_list, office.public, NULL, 0, 0),
	C("notify", "min_severity", parse_severity, notify_min_severity,
	    NULL, 0, 0),
	C("notify", "command", parse_command, notify_command, NULL, 0, 0),
	C("notify", "command_timeout", parse_number, notify_command_timeout_s,
	    &secs, 1, 600),
	C("notify", "webhook", parse_url_list, notify_webhook, NULL, 0, 0),
	C("notify", "webhook_template", parse_text, notify_template, NULL,
	    0, 0),
	C("notify", "ca_file", parse_opt_path, notify_ca_file, NULL, 0, 0),
	C("notify", "timeout", parse_number, notify_timeout_s, &secs, 1, 300),
	C("notify", "smtp", parse_smtp, notify_smtp, NULL, 0, 0),
	C("notify", "smtp_starttls", parse_flag, notify_smtp_starttls, NULL,
	    0, 0),
	C("notify", "smtp_user", parse_text, notify_smtp_user, NULL, 0, 0),
	C("notify", "smtp_password_file", parse_opt_path,
	    notify_smtp_password_file, NULL, 0, 0),
	C("notify", "mail_from", parse_mail, notify_mail_from, NULL, 0, 0),
	C("notify", "mail_to", parse_mail_list, notify_mail_to, NULL, 0, 0),
	C("notify", "subject_prefix", parse_text, notify_subject_prefix,
	    NULL, 0, 0),
	C("notify", "syslog", parse_flag, notify_syslog, NULL, 0, 0),
	C("notify", "interval", parse_number, notify_interval_s, &secs,
	    0, DAY_S),
	C("notify", "rate", parse_number, notify_rate, &plain, 1, 10000),
	C("notify", "retry", parse_retry, notify_retry, NULL, 0, 0),
	C("forward", "syslog", parse_fwd_url, fwd_syslog, NULL, 0, 0),
	C("forward", "what", parse_fwd_what, fwd_what, NULL, 0, 0),
	C("forward", "facility", parse_facility, fwd_facility, NULL, 0, 0),
	C("forward", "app_name", parse_app_name, fwd_app_name, NULL, 0, 0),
	C("forward", "ca_file", parse_opt_path, fwd_ca_file, NULL, 0, 0),
	C("report", "lang", parse_lang, report_lang, NULL, 0, 0),
	C("report", "off", parse_control_list, report_off, NULL, 0, 0),
	C("report", "critical_ack_within", parse_number, report_ack_within_s,
	    &secs, 60, 7 * DAY_S),
	C("report", "disk_free_min", parse_number, report_disk_free_min,
	    &plain, 0, 99),
	C("report", "schedule", parse_schedule, report_schedule, NULL, 0, 0),
	C("report", "dir", parse_opt_path, report_dir, NULL, 0, 0),
	C("report", "formats", parse_formats, report_formats, NULL, 0, 0),
	C("report", "mail_to", parse_mail_csv, report_mail_to, NULL, 0, 0),
	C("report", "offices", parse_offices, report_offices, NULL, 0, 0),
	C("report", "retry", parse_retry, report_retry, NULL, 0, 0),
	C("report", "rules_max_age", parse_number, report_rules_max_age_s,
	    &secs, 3600, 365 * DAY_S),
	C("report", "silent_after", parse_number, report_silent_after_s,
	    &secs, 600, 30 * DAY_S),
	C("report", "backup_max_age", parse_number, report_backup_max_age_s,
	    &secs, 3600, 365 * DAY_S),
	C("report", "backup_keep", parse_number, report_backup_keep,
	    &plain, 0, 10000),
};

_Static_assert(NITEMS(collector_opts) <= 64 * LISTS_SEEN_WORDS,
    "lists_seen has a bit per option");

#undef A
#undef C
#undef OPT

static const struct agent_config agent_defaults = {
	.data_dir = "/var/lib/vigil-agent",
	.log_level = LOG_LVL_INFO,
	.syslog = 0,
	.user = "vigil-worker",
	.collector = "",
	.heartbeat_s = 30,
	.backoff_min_ms = 1000,
	.backoff_max_ms = 60000,
	.connect_timeout_s = 10,
	.batch_events = 1000,
	.batch_bytes = 512 * KIB,
	.window_batches = 4,
	.compress = 1,
	.spool_max = 512 * MIB,
	.poll_ms = 200,
	.files_enabled = 1,
	.watch = { 6, { "/home", "/root", "/tmp", "/media", "/run/media",
	    "/mnt" } },
	.watch_exclude = { 1, { "/home/*/.cache/*" } },
	.rules = { 0, { "" } },
	.local_rules = "/etc/vigil/rules.d",
	.scan_max_size = 64 * MIB,
	.scan_timeout_s = 30,
	.scan_workers = 2,
	.debounce_ms = 500,
	.watcher = WATCHER_AUTO,
	.remote_fs = 0,
	.fim_enabled = 1,
	.fim_paths = { 6, { "/etc", "/usr/bin", "/usr/sbin", "/usr/lib",
	    "/boot", "/var/lib/vigil-agent/agent.key" } },
	.fim_exclude = { 4, { "/etc/mtab", "/etc/adjtime", "*.swp",
	    "/etc/ld.so.cache" } },
	.fim_interval_s = 12 * 3600,
	.fim_threads = 0,
	.net_enabled = 1,
	.net_ifaces = { 0, { "" } },
	.net_filter = "",
	.net_promisc = 0,
	.net_buffer = 4 * MIB,
	.net_rules = { 0, { "" } },
	.net_local_rules = "/etc/vigil/traffic.d",
	.net_ioc = { 0, { "" } },
	.net_local_ioc = "/etc/vigil/ioc.d",
	.net_vars = { 0, { "" } },
	.net_flow_max = 65536,
	.net_stream_depth = MIB,
	.net_scan_ports = 15,
	.net_scan_hosts = 25,
	.net_dns_allow = { 0, { "" } },
};

static const struct collector_config collector_defaults = {
	.data_dir = "/var/lib/vigil-collector",
	.listen = "0.0.0.0:7414",
	.log_level = LOG_LVL_INFO,
	.syslog = 0,
	.user = "",
	.max_connections = 10000,
	.handshake_timeout_s = 10,
	.idle_timeout_s = 120,
	.handshake_memory = 16 * MIB,
	.source_connections = 64,
	.source_handshakes = 20,
	.cookie_threshold = 500,
	.quota_events = 1000,
	.quota_bytes = MIB,
	.event_max = 64 * KIB,
	.commit_events = 5000,
	.commit_ms = 20,
	.queue_events = 50000,
	.queue_bytes = 64 * MIB,
	.token_ttl_s = 24 * 3600,
	.report_deadline_s = 5 * DAY_S,
	.retention_s = 365 * DAY_S,
	.corr_enabled = 1,
	.corr_window_s = 3600,
	.corr_spread_agents = 3,
	.corr_spread_window_s = 3600,
	.corr_offline_s = 900,
	.corr_max_groups = 100000,
	.corr_critical = { 20, { "/etc/passwd", "/etc/shadow", "/etc/group",
	    "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d",
	    "/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d", "/root/.ssh",
	    "/etc/pam.d", "/etc/ld.so.preload", "/etc/crontab", "/etc/cron.d",
	    "/etc/systemd/system", "/boot", "/bin", "/sbin", "/usr/bin",
	    "/usr/sbin", "/usr/lib/systemd/system" } },
	.notify_min_severity = 3,		/* high */
	.notify_command_timeout_s = 10,
	.notify_timeout_s = 10,
	.notify_smtp_starttls = 1,
	.notify_subject_prefix = "[vigil]",
	.notify_syslog = 1,
	.notify_interval_s = 600,
	.notify_rate = 20,
	.notify_retry = { 4, { 5, 30, 120, 600 } },
	.fwd_what = CONFIG_FWD_ALERTS | CONFIG_FWD_INCIDENTS,
	.fwd_facility = 20,			/* local4 */
	.fwd_app_name = "vigil",
	.report_lang = CONFIG_LANG_VI,
	.report_ack_within_s = 3600,
	.report_disk_free_min = 10,
	.report_offices = CONFIG_OFFICES_ALL,
	.report_retry = { 5, { 60, 600, 3600, 6 * 3600, DAY_S } },
	.report_rules_max_age_s = 7 * DAY_S,
	.report_silent_after_s = DAY_S,
	.report_backup_max_age_s = 7 * DAY_S,
	.report_backup_keep = 8,
};

/* One file being parsed: inih's user pointer for the reader and handler. */
struct loader {
	const char		*file;		/* for messages */
	FILE			*fp;
	const struct option	*opts;
	size_t			 nopts;
	char			*cfg;		/* the struct being filled */
	int			 lineno;	/* line inih is working on */
	uint64_t		 lists_seen[LISTS_SEEN_WORDS]; /* list
						 * options met, by index */
	int			 indented;	/* it starts with a blank */
	int			 rc;		/* first error, sticky */
	int			 errline;	/* its line */
	char			 msg[512];	/* its message */
};

/* "123" plus an optional unit from sc; 0 or ERR_CONFIG with a reason. */
static int
scaled_parse(uint64_t *out, const char *s, const struct scale *sc,
    const char **why)
{
	uint64_t	 n, v;
	const char	*end;
	size_t		 i;
	int		 match;

	for (end = s; isdigit((unsigned char)*end); end++)
		;
	if (end == s) {
		*why = *s == '\0' ? "empty value" : "not a number";
		return ERR_CONFIG;
	}
	if (text_u64(&n, s, (size_t)(end - s), 0, UINT64_MAX) != 0) {
		*why = "number too large";
		return ERR_CONFIG;
	}
	for (i = 0; sc->unit[i].name != NULL; i++) {
		match = sc->icase ? strcasecmp(end, sc->unit[i].name) :
		    strcmp(end, sc->unit[i].name);
		if (match == 0)
			break;
	}
	if (sc->unit[i].name == NULL) {
		*why = *end == '.' || *end == ',' ? "must be a whole number" :
		    sc->hint;
		return ERR_CONFIG;
	}
	if (__builtin_mul_overflow(n, sc->unit[i].mult, &v)) {
		*why = "number too large";
		return ERR_CONFIG;
	}
	*out = v;
	return 0;
}

/* The largest unit that divides v evenly: 3600 -> "1h", 10 -> "10ms". */
static void
scaled_fmt(char *buf, size_t len, uint64_t v, const struct scale *sc)
{
	size_t	i;

	for (i = 0; sc->unit[i].name != NULL; i++) {
		if (v >= sc->unit[i].mult && v % sc->unit[i].mult == 0)
			break;
	}
	if (sc->unit[i].name == NULL)	/* only 0 gets here */
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%s",
		    (unsigned long long)(v / sc->unit[i].mult),
		    sc->unit[i].name);
}

static int
flag_parse(int *out, const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t			 i;

	for (i = 0; i < NITEMS(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return ERR_CONFIG;
}

static int
port_parse(uint16_t *out, const char *s, const char **why)
{
	uint64_t	v;

	if (!isdigit((unsigned char)*s)) {
		*why = *s == '\0' ? "missing port number after ':'" :
		    "port is not a number";
		return ERR_CONFIG;
	}
	switch (text_u64(&v, s, strlen(s), 1, 65535)) {
	case 0:
		*out = (uint16_t)v;
		return 0;
	case ERR_MALFORMED:
		*why = "port is not a number";
		return ERR_CONFIG;
	default:
		*why = "port must be between 1 and 65535";
		return ERR_CONFIG;
	}
}

/* "fe80::1" or "fe80::1%eth0", without the brackets. */
static int
v6_ok(const char *h, size_t len)
{
	struct in6_addr	 a;
	char		 buf[INET6_ADDRSTRLEN];
	const char	*pct;
	size_t		 alen, i;

	pct = memchr(h, '%', len);
	alen = pct != NULL ? (size_t)(pct - h) : len;
	if (alen >= sizeof(buf))
		return 0;
	memcpy(buf, h, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, &a) != 1)
		return 0;
	if (pct == NULL)
		return 1;
	if (len - alen < 2 || len - alen > 16)	/* "%" + IFNAMSIZ-1 */
		return 0;
	for (i = alen + 1; i < len; i++) {
		if (!isalnum((unsigned char)h[i]) && !strchr("._-", h[i]))
			return 0;
	}
	return 1;
}

/* A DNS name or an IPv4 address. */
static int
name_ok(const char *h, size_t len)
{
	size_t	i;

	if (len == 0 || len > 253 || h[0] == '-' || h[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)h[i]) && !strchr("._-", h[i]))
			return 0;
	}
	return 1;
}

static int
hostport_parse(char *host, size_t hostlen, uint16_t *port, const char *s,
    const char **why)
{
	const char	*h, *colon;
	size_t		 hlen;
	uint16_t	 pn;

	if (*s == '[') {
		h = s + 1;
		if ((colon = strchr(h, ']')) == NULL || colon[1] != ':') {
			*why = "expected [IPv6 address]:PORT";
			return ERR_CONFIG;
		}
		hlen = (size_t)(colon - h);
		colon++;
		if (!v6_ok(h, hlen)) {
			*why = "not an IPv6 address inside the [ ]";
			return ERR_CONFIG;
		}
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			*why = "expected HOST:PORT (the usual port is 7414)";
			return ERR_CONFIG;
		}
		if (strchr(s, ':') != colon) {
			*why = "an IPv6 address goes in brackets, as in "
			    "[::1]:7414";
			return ERR_CONFIG;
		}
		h = s;
		hlen = (size_t)(colon - s);
		if (hlen == 1 && *h == '*')
			hlen = 0;		/* "*" is any, like "" */
		else if (hlen > 0 && !name_ok(h, hlen)) {
			*why = "not a host name or IP address";
			return ERR_CONFIG;
		}
	}
	if (port_parse(&pn, colon + 1, why) != 0)
		return ERR_CONFIG;
	if (hlen >= hostlen) {
		*why = "host name too long";
		return ERR_CONFIG;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = pn;
	return 0;
}

/* The row's max keeps v in range of its field: int, size_t or uint64_t.
 * Nonnegative values are stored the same way in an int and an unsigned
 * of its size, which covers a 32-bit size_t too. */
static void
store_number(void *field, size_t size, uint64_t v)
{
	int	i = (int)v;

	if (size == sizeof(i))
		memcpy(field, &i, sizeof(i));
	else if (size == sizeof(v))
		memcpy(field, &v, sizeof(v));
	else
		fatalx("config: no number fits a field of %zu bytes", size);
}

/* Too long is an error: a truncated path or address is a wrong one. */
static int
store_string(void *field, size_t size, const char *s, char *why,
    size_t whylen)
{
	size_t	len = strlen(s);

	if (len >= size) {
		snprintf(why, whylen, "longer than %zu characters", size - 1);
		return ERR_CONFIG;
	}
	memcpy(field, s, len + 1);
	return 0;
}

static int
parse_number(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	const char	*reason;
	char		 lo[32], hi[32];
	uint64_t	 v;

	if (scaled_parse(&v, s, o->scale, &reason) != 0) {
		snprintf(why, whylen, "%s", reason);
		return ERR_CONFIG;
	}
	if (v < o->min || v > o->max) {
		scaled_fmt(lo, sizeof(lo), o->min, o->scale);
		scaled_fmt(hi, sizeof(hi), o->max, o->scale);
		snprintf(why, whylen, "must be between %s and %s", lo, hi);
		return ERR_CONFIG;
	}
	store_number(field, o->size, v);
	return 0;
}

static int
parse_flag(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	int	v;

	(void)o;

	if (flag_parse(&v, s) != 0) {
		snprintf(why, whylen, "must be yes or no");
		return ERR_CONFIG;
	}
	memcpy(field, &v, sizeof(v));
	return 0;
}

static int
parse_level(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	int	v;

	(void)o;

	if (log_parse_level(&v, s) != 0) {
		snprintf(why, whylen, "must be error, warn, info or debug");
		return ERR_CONFIG;
	}
	memcpy(field, &v, sizeof(v));
	return 0;
}

static int
parse_path(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	const char	*p;

	if (*s != '/') {
		snprintf(why, whylen, "must be a full path, starting with /");
		return ERR_CONFIG;
	}
	for (p = s; *p != '\0'; p++) {
		if (iscntrl((unsigned char)*p)) {
			snprintf(why, whylen, "contains a control character");
			return ERR_CONFIG;
		}
	}
	return store_string(field, o->size, s, why, whylen);
}

/* A full path, or empty for none. */
static int
parse_opt_path(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	if (*s == '\0')
		return store_string(field, o->size, s, why, whylen);
	return parse_path(field, o, s, why, whylen);
}

static int
list_add(void *field, const char *s, char *why, size_t whylen)
{
	struct config_list	*l = field;
	const char		*p;

	if (*s == '\0') {
		snprintf(why, whylen, "is empty");
		return ERR_CONFIG;
	}
	for (p = s; *p != '\0'; p++) {
		if (iscntrl((unsigned char)*p)) {
			snprintf(why, whylen, "contains a control character");
			return ERR_CONFIG;
		}
	}
	if (l->n >= CONFIG_LIST_MAX) {
		snprintf(why, whylen, "more than %d lines of this key",
		    CONFIG_LIST_MAX);
		return ERR_CONFIG;
	}
	if (store_string(l->item[l->n], CONFIG_ITEM_MAX, s, why, whylen) != 0)
		return ERR_CONFIG;
	l->n++;
	return 0;
}

static int
parse_path_list(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	(void)o;

	if (*s != '/') {
		snprintf(why, whylen, "must be a full path, starting with /");
		return ERR_CONFIG;
	}
	return list_add(field, s, why, whylen);
}

static int
parse_glob_list(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	(void)o;
	return list_add(field, s, why, whylen);
}

static int
parse_watcher(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	static const char *const names[] = { "auto", "fanotify", "inotify" };
	int	i;

	(void)o;
	for (i = 0; i < (int)NITEMS(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			memcpy(field, &i, sizeof(i));
			return 0;
		}
	}
	snprintf(why, whylen, "must be auto, fanotify or inotify");
	return ERR_CONFIG;
}

/* Words for people (the report forms): printable UTF-8, or empty. */
static int
parse_text(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	if (!text_printable(s, strlen(s))) {
		snprintf(why, whylen, "must be UTF-8 text without control "
		    "characters");
		return ERR_CONFIG;
	}
	return store_string(field, o->size, s, why, whylen);
}

static int
parse_text_list(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	(void)o;
	if (!text_printable(s, strlen(s))) {
		snprintf(why, whylen, "must be UTF-8 text without control "
		    "characters");
		return ERR_CONFIG;
	}
	return list_add(field, s, why, whylen);
}

/* [report] off: the ids of the report's shipped controls
 * (docs/report.md, "Controls"); a misspelt one would leave a control on
 * unnoticed, so anything else is refused. */
static int
parse_control_list(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	static const char *const	ids[] = { "all_reported",
		"rules_fresh", "critical_ack_1h", "reported_in_deadline",
		"audit_chain", "disk_free", "backups" };
	size_t				i;

	(void)o;
	for (i = 0; i < sizeof(ids) / sizeof(*ids); i++)
		if (strcmp(s, ids[i]) == 0)
			return list_add(field, s, why, whylen);
	snprintf(why, whylen, "not a control of the report (all_reported, "
	    "rules_fresh, critical_ack_1h, reported_in_deadline, audit_chain,"
	    " disk_free, backups)");
	return ERR_CONFIG;
}

/* ---- [network] ---- */

/* A network interface's name as the kernel allows it (IFNAMSIZ - 1
 * bytes, no '/', no blank), kept to the characters names have in
 * practice; "any" is libpcap's every interface. */
static int
parse_iface_list(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	const char	*p;

	(void)o;
	for (p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("._-@", *p)) {
			snprintf(why, whylen, "not an interface name "
			    "(letters, digits, '.', '_', '-', '@')");
			return ERR_CONFIG;
		}
	}
	if (p - s > 15) {
		snprintf(why, whylen, "longer than 15 characters, the "
		    "longest interface name");
		return ERR_CONFIG;
	}
	return list_add(field, s, why, whylen);
}

/* NAME=VALUE: a rule variable (HOME_NET=[10.0.0.0/8]). The value is
 * checked where the rules are loaded, against what the rules use. */
static int
parse_var_list(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	const char	*p;

	(void)o;
	for (p = s; isupper((unsigned char)*p) || *p == '_' ||
	    (p > s && isdigit((unsigned char)*p)); p++)
		;
	if (p == s || *p != '=' || p[1] == '\0') {
		snprintf(why, whylen, "must be NAME=VALUE, NAME in capitals "
		    "(HOME_NET=[192.168.1.0/24])");
		return ERR_CONFIG;
	}
	if (!text_printable(s, strlen(s))) {
		snprintf(why, whylen, "must be text without control "
		    "characters");
		return ERR_CONFIG;
	}
	return list_add(field, s, why, whylen);
}

/* A domain name in lower case, as the DNS detector compares them. */
static int
parse_domain_list(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	const char	*p;

	(void)o;
	for (p = s; *p != '\0'; p++) {
		if (isupper((unsigned char)*p)) {
			snprintf(why, whylen, "must be in lower case");
			return ERR_CONFIG;
		}
	}
	if (!name_ok(s, strlen(s)) || strstr(s, "..") != NULL ||
	    s[strlen(s) - 1] == '.') {
		snprintf(why, whylen, "not a domain name");
		return ERR_CONFIG;
	}
	return list_add(field, s, why, whylen);
}

/* ---- [notify] ---- */

static int
parse_severity(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	static const char *const words[] = { "low", "medium", "high",
	    "critical" };
	int	i;

	for (i = 0; i < (int)NITEMS(words); i++)
		if (strcmp(s, words[i]) == 0) {
			store_number(field, o->size, (uint64_t)i + 1);
			return 0;
		}
	snprintf(why, whylen, "must be low, medium, high or critical");
	return ERR_CONFIG;
}

static int
parse_command(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	char		*argv[ARGV_MAX + 1], buf[CONFIG_ITEM_MAX];
	const char	*reason;

	if (*s != '\0' && argv_split(argv, buf, sizeof(buf), s, &reason) < 0) {
		snprintf(why, whylen, "%s", reason);
		return ERR_CONFIG;
	}
	return store_string(field, o->size, s, why, whylen);
}

/* Printable ASCII without spaces: what a URL or an address needs, and
 * nothing a log line or a mail header could be bent with. */
static int
plain_word(const char *s, char *why, size_t whylen)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f) {
			snprintf(why, whylen, "contains a space, a control or "
			    "a non-ASCII character");
			return ERR_CONFIG;
		}
	return 0;
}

static int
parse_url_list(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	(void)o;
	if (strncmp(s, "https://", 8) != 0 || s[8] == '\0' || s[8] == '/') {
		snprintf(why, whylen, "must be an https:// URL (the "
		    "certificate is always checked; ca_file names a private CA)");
		return ERR_CONFIG;
	}
	if (plain_word(s, why, whylen) != 0)
		return ERR_CONFIG;
	return list_add(field, s, why, whylen);
}

static int
parse_smtp(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	const char	*h = NULL;

	if (strncmp(s, "smtp://", 7) == 0)
		h = s + 7;
	else if (strncmp(s, "smtps://", 8) == 0)
		h = s + 8;
	if (*s != '\0' && (h == NULL || *h == '\0' || *h == '/')) {
		snprintf(why, whylen, "must be smtp://HOST[:PORT] or "
		    "smtps://HOST[:PORT]");
		return ERR_CONFIG;
	}
	if (plain_word(s, why, whylen) != 0)
		return ERR_CONFIG;
	return store_string(field, o->size, s, why, whylen);
}

static int
mail_ok(const char *s, char *why, size_t whylen)
{
	const char	*at = strchr(s, '@');

	if (plain_word(s, why, whylen) != 0)
		return ERR_CONFIG;
	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') ||
	    strpbrk(s, "<>,;\"()") != NULL) {
		snprintf(why, whylen, "must be one address, name@domain");
		return ERR_CONFIG;
	}
	return 0;
}

static int
parse_mail(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	if (*s != '\0' && mail_ok(s, why, whylen) != 0)
		return ERR_CONFIG;
	return store_string(field, o->size, s, why, whylen);
}

static int
parse_mail_list(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	(void)o;
	if (mail_ok(s, why, whylen) != 0)
		return ERR_CONFIG;
	return list_add(field, s, why, whylen);
}

/* "5s 30s 2m 10m": the waits before each retry; "none": no retry. */
static int
parse_retry(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	struct config_retry	 r = { 0 };
	char			 buf[CONFIG_ITEM_MAX], *w, *save = NULL;
	const char		*reason = NULL;
	uint64_t		 v;

	(void)o;
	if (strcmp(s, "none") != 0) {
		if (store_string(buf, sizeof(buf), s, why, whylen) != 0)
			return ERR_CONFIG;
		for (w = strtok_r(buf, " \t", &save); w != NULL;
		    w = strtok_r(NULL, " \t", &save)) {
			if (r.n == CONFIG_RETRY_MAX) {
				snprintf(why, whylen, "more than %d waits",
				    CONFIG_RETRY_MAX);
				return ERR_CONFIG;
			}
			if (scaled_parse(&v, w, &secs, &reason) != 0 ||
			    v < 1 || v > DAY_S) {
				snprintf(why, whylen, "'%s': %s", w, reason ?
				    reason : "must be between 1s and 1d");
				return ERR_CONFIG;
			}
			r.s[r.n++] = (int)v;
		}
		if (r.n == 0) {
			snprintf(why, whylen, "is empty (none: no retry)");
			return ERR_CONFIG;
		}
	}
	memcpy(field, &r, sizeof(r));
	return 0;
}

/* ---- [forward] ---- */

/* "" (off), or udp://, tcp://, tls:// then HOST:PORT. */
static int
parse_fwd_url(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	static const char *const schemes[] = { "udp://", "tcp://", "tls://" };
	char		 host[CONFIG_ADDR_MAX];
	const char	*reason = "needs a host name or address before the ':'";
	uint16_t	 port;
	size_t		 i;

	if (*s == '\0')
		return store_string(field, o->size, s, why, whylen);
	for (i = 0; i < NITEMS(schemes); i++)
		if (strncmp(s, schemes[i], strlen(schemes[i])) == 0)
			break;
	if (i == NITEMS(schemes)) {
		snprintf(why, whylen, "must be udp://HOST:PORT, tcp://HOST:PORT "
		    "or tls://HOST:PORT");
		return ERR_CONFIG;
	}
	if (plain_word(s, why, whylen) != 0)
		return ERR_CONFIG;
	if (hostport_parse(host, sizeof(host), &port, s + strlen(schemes[i]),
	    &reason) != 0 || *host == '\0') {
		snprintf(why, whylen, "%s", reason);
		return ERR_CONFIG;
	}
	return store_string(field, o->size, s, why, whylen);
}

/* vi or en: the language of documents made for people. */
static int
parse_lang(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	int	lang;

	if (strcmp(s, "vi") == 0)
		lang = CONFIG_LANG_VI;
	else if (strcmp(s, "en") == 0)
		lang = CONFIG_LANG_EN;
	else {
		snprintf(why, whylen, "must be vi or en");
		return ERR_CONFIG;
	}
	store_number(field, o->size, (uint64_t)lang);
	return 0;
}

/*
 * Words of names[] separated by commas or spaces, as a set: bit i for
 * names[i]. An empty value is the empty set. ERR_CONFIG names the word
 * that is not one of them, and the choice (hint).
 */
static int
word_set(int *out, const char *s, const char *const *names, size_t n,
    const char *hint, char *why, size_t whylen)
{
	char	buf[CONFIG_ITEM_MAX], *w, *save = NULL;
	size_t	i;

	*out = 0;
	if (store_string(buf, sizeof(buf), s, why, whylen) != 0)
		return ERR_CONFIG;
	for (w = strtok_r(buf, ", \t", &save); w != NULL;
	    w = strtok_r(NULL, ", \t", &save)) {
		for (i = 0; i < n && strcmp(w, names[i]) != 0; i++)
			;
		if (i == n) {
			snprintf(why, whylen, "'%s': must be %s", w, hint);
			return ERR_CONFIG;
		}
		*out |= 1 << i;
	}
	return 0;
}

/* [report] schedule: month, quarter, half, year (CONFIG_SCHED_*), any
 * of them; empty: no schedule. */
static int
parse_schedule(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	static const char *const names[] = { "month", "quarter", "half",
	    "year" };
	int	v;

	if (word_set(&v, s, names, NITEMS(names), "month, quarter, half or "
	    "year", why, whylen) != 0)
		return ERR_CONFIG;
	store_number(field, o->size, (uint64_t)v);
	return 0;
}

/* [report] formats: CONFIG_FMT_*, at least one. */
static int
parse_formats(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	static const char *const names[] = { "json", "md", "csv", "html",
	    "pdf" };
	int	v;

	if (word_set(&v, s, names, NITEMS(names), "pdf, html, md, csv or "
	    "json", why, whylen) != 0)
		return ERR_CONFIG;
	if (v == 0) {
		snprintf(why, whylen, "is empty (pdf, html, md, csv, json)");
		return ERR_CONFIG;
	}
	store_number(field, o->size, (uint64_t)v);
	return 0;
}

/* [report] offices: all (the province's report), each (one per
 * office), both. */
static int
parse_offices(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	int	v;

	if (strcmp(s, "all") == 0)
		v = CONFIG_OFFICES_ALL;
	else if (strcmp(s, "each") == 0)
		v = CONFIG_OFFICES_EACH;
	else if (strcmp(s, "both") == 0)
		v = CONFIG_OFFICES_ALL | CONFIG_OFFICES_EACH;
	else {
		snprintf(why, whylen, "must be all, each or both");
		return ERR_CONFIG;
	}
	store_number(field, o->size, (uint64_t)v);
	return 0;
}

/* Addresses separated by commas (spaces around them allowed); the key
 * may also be repeated. */
static int
parse_mail_csv(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	char	buf[CONFIG_ITEM_MAX], *w, *save = NULL;

	if (store_string(buf, sizeof(buf), s, why, whylen) != 0)
		return ERR_CONFIG;
	for (w = strtok_r(buf, ", \t", &save); w != NULL;
	    w = strtok_r(NULL, ", \t", &save))
		if (parse_mail_list(field, o, w, why, whylen) != 0)
			return ERR_CONFIG;
	return 0;
}

/* "alerts", "incidents", or both, separated by a comma or spaces. */
static int
parse_fwd_what(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	char	buf[CONFIG_ITEM_MAX], *w, *save = NULL;
	int	what = 0;

	if (store_string(buf, sizeof(buf), s, why, whylen) != 0)
		return ERR_CONFIG;
	for (w = strtok_r(buf, ", \t", &save); w != NULL;
	    w = strtok_r(NULL, ", \t", &save)) {
		if (strcmp(w, "alerts") == 0)
			what |= CONFIG_FWD_ALERTS;
		else if (strcmp(w, "incidents") == 0)
			what |= CONFIG_FWD_INCIDENTS;
		else {
			snprintf(why, whylen, "'%s': must be alerts, "
			    "incidents, or both", w);
			return ERR_CONFIG;
		}
	}
	if (what == 0) {
		snprintf(why, whylen, "is empty (alerts, incidents, or both)");
		return ERR_CONFIG;
	}
	store_number(field, o->size, (uint64_t)what);
	return 0;
}

/* The facilities of RFC 5424, 6.2.1, by their usual names. */
static int
parse_facility(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	static const char *const names[] = { "kern", "user", "mail",
	    "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
	    "authpriv", "ftp", "ntp", "audit", "alert", "clock",
	    "local0", "local1", "local2", "local3", "local4", "local5",
	    "local6", "local7" };
	size_t	i;

	for (i = 0; i < NITEMS(names); i++)
		if (strcmp(s, names[i]) == 0) {
			store_number(field, o->size, (uint64_t)i);
			return 0;
		}
	snprintf(why, whylen, "must be a syslog facility: local0 to local7, "
	    "daemon, auth, authpriv, user, ...");
	return ERR_CONFIG;
}

/* RFC 5424's APP-NAME: 1-48 printable US-ASCII characters. */
static int
parse_app_name(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	if (*s == '\0' || strlen(s) > CONFIG_APPNAME_MAX) {
		snprintf(why, whylen, "must be 1 to %d characters",
		    CONFIG_APPNAME_MAX);
		return ERR_CONFIG;
	}
	if (plain_word(s, why, whylen) != 0)
		return ERR_CONFIG;
	return store_string(field, o->size, s, why, whylen);
}

/* "" means the address the agent got at enrollment. */
static int
parse_collector(void *field, const struct option *o, const char *s,
    char *why, size_t whylen)
{
	char		 host[CONFIG_ADDR_MAX];
	const char	*reason;
	uint16_t	 port;

	if (*s != '\0') {
		if (hostport_parse(host, sizeof(host), &port, s,
		    &reason) != 0) {
			snprintf(why, whylen, "%s", reason);
			return ERR_CONFIG;
		}
		if (*host == '\0') {
			snprintf(why, whylen, "needs the collector's host "
			    "name or IP address before the ':'");
			return ERR_CONFIG;
		}
	}
	return store_string(field, o->size, s, why, whylen);
}

static int
parse_listen(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	char		 host[CONFIG_ADDR_MAX];
	const char	*reason;
	uint16_t	 port;

	if (hostport_parse(host, sizeof(host), &port, s, &reason) != 0) {
		snprintf(why, whylen, "%s", reason);
		return ERR_CONFIG;
	}
	return store_string(field, o->size, s, why, whylen);
}

/* "" means stay the user we were started as. */
static int
parse_user(void *field, const struct option *o, const char *s, char *why,
    size_t whylen)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if (!(islower((unsigned char)*p) || *p == '_' ||
		    (p > s && (isdigit((unsigned char)*p) || *p == '-')))) {
			snprintf(why, whylen, "not a user name (lower-case "
			    "letters, digits, _ and -, not starting with a "
			    "digit or -)");
			return ERR_CONFIG;
		}
	}
	return store_string(field, o->size, s, why, whylen);
}

static int	loader_fail(struct loader *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Records the first error with its file:line; returns inih's "error". */
static int
loader_fail(struct loader *l, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (l->rc != 0)
		return 0;
	l->rc = ERR_CONFIG;
	l->errline = l->lineno;
	n = snprintf(l->msg, sizeof(l->msg), "%s:%d: ", l->file, l->lineno);
	if (n < 0 || (size_t)n >= sizeof(l->msg))
		return 0;	/* the file name alone fills it */
	va_start(ap, fmt);
	vsnprintf(l->msg + n, sizeof(l->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

/* inih's fgets: one whole line or nothing. Returning NULL ends parsing,
 * so an error here also stops inih after the handler's first error. */
static char *
read_line(char *str, int num, void *arg)
{
	struct loader	*l = arg;
	int		 c = EOF, n = 0;

	if (l->rc != 0 || num < 2)
		return NULL;
	while (n < num - 1 && (c = getc(l->fp)) != EOF) {
		if (c == '\0') {
			l->lineno++;
			loader_fail(l, "NUL byte: not a text file");
			return NULL;
		}
		str[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	str[n] = '\0';
	l->lineno++;
	l->indented = isspace((unsigned char)str[0]);
	/* A full buffer: fine if the line ends right here. */
	if (n == num - 1 && c != '\n' && (c = getc(l->fp)) != EOF &&
	    c != '\n') {
		loader_fail(l, "line longer than %d characters", num - 1);
		return NULL;
	}
	return str;
}

static int
unknown_key(struct loader *l, const char *section, const char *key)
{
	size_t	i;

	if (*section == '\0')
		return loader_fail(l, "'%s' is not inside a [section]", key);
	for (i = 0; i < l->nopts; i++) {
		if (strcmp(l->opts[i].section, section) == 0)
			return loader_fail(l, "unknown key '%s' in [%s]", key,
			    section);
	}
	return loader_fail(l, "unknown section [%s] (key '%s')", section,
	    key);
}

static int
on_pair(void *arg, const char *section, const char *key, const char *value)
{
	struct loader		*l = arg;
	const struct option	*o = NULL;
	char			 why[WHY_MAX];
	size_t			 i;

	if (l->indented)
		return loader_fail(l, "line starts with a space or tab; "
		    "remove them (an indented line continues the value "
		    "above it)");
	for (i = 0; i < l->nopts; i++) {
		o = &l->opts[i];
		if (strcmp(o->section, section) == 0 &&
		    strcmp(o->key, key) == 0)
			break;
	}
	if (i == l->nopts)
		return unknown_key(l, section, key);
	if ((o->parse == parse_path_list || o->parse == parse_glob_list ||
	    o->parse == parse_text_list) &&
	    !(l->lists_seen[i / 64] & (1ULL << (i % 64)))) {
		/* the file's first line of a list replaces the default */
		((struct config_list *)(void *)(l->cfg + o->offset))->n = 0;
		l->lists_seen[i / 64] |= 1ULL << (i % 64);
	}
	if (o->parse(l->cfg + o->offset, o, value, why, sizeof(why)) != 0)
		return loader_fail(l, "%s = '%s': %s", key, value, why);
	return 1;
}

/* Parses fp into cfg over whatever it holds; logs the first error. */
static int
config_parse_fp(void *cfg, const struct option *opts, size_t nopts,
    const char *file, FILE *fp)
{
	struct loader	l;
	int		n;

	memset(&l, 0, sizeof(l));
	l.file = file;
	l.fp = fp;
	l.opts = opts;
	l.nopts = nopts;
	l.cfg = cfg;
	n = ini_parse_stream(read_line, &l, on_pair, &l);
	/* inih's own errors (no '=', no ']') reach us only as a line number */
	if (n > 0 && (l.rc == 0 || n < l.errline)) {
		log_warnx("%s:%d: expected [section], key = value, or a "
		    "comment starting with #", file, n);
		return ERR_CONFIG;
	}
	if (l.rc != 0) {
		log_warnx("%s", l.msg);
		return l.rc;
	}
	if (ferror(fp)) {
		log_warn("config %s", file);
		return ERR_IO;
	}
	if (n < 0) {
		log_warnx("config %s: out of memory", file);
		return ERR_NOMEM;
	}
	return 0;
}

/* The agent's options from fp (named file in messages); *cfg is written
 * only on success. The fuzzer calls this on memory via fmemopen. */
static int
agent_load_fp(struct agent_config *cfg, const char *file, FILE *fp)
{
	struct agent_config	c = agent_defaults;
	int			rc;

	rc = config_parse_fp(&c, agent_opts, NITEMS(agent_opts), file, fp);
	if (rc != 0)
		return rc;
	if (c.backoff_max_ms < c.backoff_min_ms) {
		log_warnx("%s: backoff_max (%dms) must not be less than "
		    "backoff_min (%dms)", file, c.backoff_max_ms,
		    c.backoff_min_ms);
		return ERR_CONFIG;
	}
	*cfg = c;
	return 0;
}

static int
collector_load_fp(struct collector_config *cfg, const char *file, FILE *fp)
{
	struct collector_config	c = collector_defaults;
	int			rc;

	rc = config_parse_fp(&c, collector_opts, NITEMS(collector_opts), file,
	    fp);
	if (rc != 0)
		return rc;
	if (*c.notify_smtp != '\0' && (*c.notify_mail_from == '\0' ||
	    c.notify_mail_to.n + c.report_mail_to.n == 0)) {
		log_warnx("%s: [notify] smtp needs mail_from and mail_to", file);
		return ERR_CONFIG;
	}
	if (c.report_mail_to.n > 0 && *c.notify_smtp == '\0') {
		log_warnx("%s: [report] mail_to needs [notify] smtp and "
		    "mail_from (the relay the reports go through)", file);
		return ERR_CONFIG;
	}
	if ((*c.notify_smtp_user == '\0') !=
	    (*c.notify_smtp_password_file == '\0')) {
		log_warnx("%s: [notify] smtp_user and smtp_password_file go "
		    "together", file);
		return ERR_CONFIG;
	}
	if (*c.notify_smtp_user != '\0' && !c.notify_smtp_starttls &&
	    strncmp(c.notify_smtp, "smtp://", 7) == 0) {
		log_warnx("%s: [notify] smtp_user over smtp:// needs "
		    "smtp_starttls = yes (the password would go in clear)", file);
		return ERR_CONFIG;
	}
	*cfg = c;
	return 0;
}

/* *out NULL and 0: the default file is absent, use the defaults. */
static int
config_open(FILE **out, const char *path, const char *deflt)
{
	const char	*file = path != NULL ? path : deflt;
	int		 saved;

	if ((*out = fopen(file, "re")) != NULL)
		return 0;
	saved = errno;
	if (saved == ENOENT && path == NULL)
		return 0;
	log_warn("config %s", file);
	return saved == ENOENT ? ERR_NOTFOUND : ERR_IO;
}

int
config_load_agent(struct agent_config *cfg, const char *path)
{
	FILE	*fp;
	int	 rc;

	if ((rc = config_open(&fp, path, CONFIG_AGENT_DEFAULT)) != 0)
		return rc;
	if (fp == NULL) {
		*cfg = agent_defaults;
		return 0;
	}
	rc = agent_load_fp(cfg, path != NULL ? path : CONFIG_AGENT_DEFAULT,
	    fp);
	fclose(fp);
	return rc;
}

int
config_load_collector(struct collector_config *cfg, const char *path)
{
	FILE	*fp;
	int	 rc;

	if ((rc = config_open(&fp, path, CONFIG_COLLECTOR_DEFAULT)) != 0)
		return rc;
	if (fp == NULL) {
		*cfg = collector_defaults;
		return 0;
	}
	rc = collector_load_fp(cfg, path != NULL ? path :
	    CONFIG_COLLECTOR_DEFAULT, fp);
	fclose(fp);
	return rc;
}

int
config_parse_duration(int64_t *out, const char *s)
{
	const char	*why;
	uint64_t	 v;

	if (scaled_parse(&v, s, &secs, &why) != 0 || v > TEN_YEARS_S)
		return ERR_CONFIG;
	*out = (int64_t)v;
	return 0;
}

int
config_parse_duration_ms(int64_t *out, const char *s)
{
	const char	*why;
	uint64_t	 v;

	if (scaled_parse(&v, s, &msecs, &why) != 0 ||
	    v > TEN_YEARS_S * 1000)
		return ERR_CONFIG;
	*out = (int64_t)v;
	return 0;
}

int
config_parse_size(uint64_t *out, const char *s)
{
	const char	*why;

	return scaled_parse(out, s, &bytes, &why);
}

int
config_parse_bool(int *out, const char *s)
{
	return flag_parse(out, s);
}

int
config_parse_hostport(char *host, size_t hostlen, uint16_t *port,
    const char *s)
{
	const char	*why;

	return hostport_parse(host, hostlen, port, s, &why);
}

size_t
config_paths(const struct config_list *l, const char *local,
    const char *shipped, const char *out[static CONFIG_LIST_MAX + 1])
{
	struct stat	st;
	size_t		n = 0;
	int		i;

	for (i = 0; i < l->n && i < CONFIG_LIST_MAX; i++)
		out[n++] = l->item[i];
	if (n == 0 && shipped != NULL)
		out[n++] = shipped;
	if (local[0] == '\0')
		return n;
	if (stat(local, &st) == 0 && S_ISDIR(st.st_mode))
		out[n++] = local;
	else
		log_debug("rules: %s: no such folder, no local rules", local);
	return n;
}

size_t
config_rules_paths(const struct agent_config *cfg, const char *shipped,
    const char *out[static CONFIG_LIST_MAX + 1])
{
	return config_paths(&cfg->rules, cfg->local_rules, shipped, out);
}
