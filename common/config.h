/*
 * config.h: the agent's and the collector's configuration files.
 *
 * INI files parsed by inih (Debian's libinih); each value has its own
 * parse function with range checks, and a bad value or unknown key is an
 * error that names file:line, the key and the bad value. Defaults are set
 * first, so an empty or absent file gives a working configuration.
 * Command-line overrides (--data-dir, --listen) are applied by the caller
 * after loading. etc/agent.conf and etc/collector.conf document every
 * option with its unit, range and default.
 *
 * File format: [section] lines, "key = value" lines, and comments on lines
 * of their own starting with # or ;. A " ;" inside a value starts a
 * comment. Keys and sections are lower case. A key given twice: the later
 * one wins. A key line may not start with a space or tab (inih would
 * read it as the continuation of the previous value), and no line may be
 * longer than 199 characters (inih's line buffer); both are errors, never
 * silently reinterpreted.
 *
 * For start-up and reload, from any one thread; errors go through log.h.
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_AGENT_DEFAULT		"/etc/vigil/agent.conf"
#define CONFIG_COLLECTOR_DEFAULT	"/etc/vigil/collector.conf"
#define CONFIG_ADDR_MAX			256
#define CONFIG_DEFAULT_PORT		7414

/* A repeatable option: each line of the key adds one item; the first line
 * of it in a file replaces the built-in default list. */
#define CONFIG_LIST_MAX		64
#define CONFIG_ITEM_MAX		256
struct config_list {
	int	 n;
	char	 item[CONFIG_LIST_MAX][CONFIG_ITEM_MAX];
};

#define CONFIG_RETRY_MAX	8

/* [forward] what: the streams forwarded */
#define CONFIG_FWD_ALERTS	0x1
#define CONFIG_FWD_INCIDENTS	0x2
#define CONFIG_LANG_VI		0	/* [report] lang */
#define CONFIG_LANG_EN		1
/* [report] schedule: a bit per period kind (report.h, enum report_kind) */
#define CONFIG_SCHED_MONTH	0x1
#define CONFIG_SCHED_QUARTER	0x2
#define CONFIG_SCHED_HALF	0x4
#define CONFIG_SCHED_YEAR	0x8
/* [report] formats: a bit per format (report.h, enum report_format) */
#define CONFIG_FMT_JSON		0x1
#define CONFIG_FMT_MD		0x2
#define CONFIG_FMT_CSV		0x4
#define CONFIG_FMT_HTML		0x8
#define CONFIG_FMT_PDF		0x10
/* [report] offices */
#define CONFIG_OFFICES_ALL	0x1	/* one report, the province's */
#define CONFIG_OFFICES_EACH	0x2	/* one per office */
#define CONFIG_APPNAME_MAX	48	/* RFC 5424 APP-NAME */

enum config_watcher { WATCHER_AUTO = 0, WATCHER_FANOTIFY, WATCHER_INOTIFY };

struct agent_config {
	char		 data_dir[PATH_MAX];	/* [agent] data_dir */
	int		 log_level;		/* [agent] log_level */
	int		 syslog;		/* [agent] syslog = yes|no */
	char		 user[64];		/* [agent] user: what the agent's
						 * unprivileged processes run
						 * as, vigil ("" or absent:
						 * nobody) */
	char		 collector[CONFIG_ADDR_MAX]; /* [uplink] collector, "" =
						  * the address from enrollment */
	int		 heartbeat_s;		/* [uplink] heartbeat, 30s */
	int		 backoff_min_ms;	/* [uplink] backoff_min, 1s */
	int		 backoff_max_ms;	/* [uplink] backoff_max, 60s */
	int		 connect_timeout_s;	/* [uplink] connect_timeout, 10s */
	int		 batch_events;		/* [uplink] batch_events, 1000 */
	size_t		 batch_bytes;		/* [uplink] batch_bytes, 512KiB */
	int		 window_batches;	/* [uplink] window, 4 in flight */
	int		 compress;		/* [uplink] compress = yes */
	uint64_t	 spool_max;		/* [spool] max_size, 512MiB */
	int		 poll_ms;		/* [spool] poll, 200ms */

	int		 files_enabled;		/* [files] enabled, yes */
	struct config_list watch;		/* [files] watch (paths) */
	struct config_list watch_exclude;	/* [files] exclude (globs) */
	struct config_list rules;		/* [files] rules, empty = the
						 * shipped rules directory */
	char		 local_rules[CONFIG_ITEM_MAX]; /* [files] local_rules,
						 * /etc/vigil/rules.d; "" none */
	uint64_t	 scan_max_size;		/* [files] max_size, 64M */
	int		 scan_timeout_s;	/* [files] timeout, 30s */
	int		 scan_workers;		/* [files] workers, 2 */
	int		 debounce_ms;		/* [files] debounce, 500ms */
	int		 watcher;		/* [files] watcher, auto */
	int		 remote_fs;		/* [files] remote_filesystems,
						 * no: FUSE and network file
						 * systems are not entered */

	int		 fim_enabled;		/* [integrity] enabled, yes */
	struct config_list fim_paths;		/* [integrity] path */
	struct config_list fim_exclude;		/* [integrity] exclude */
	int		 fim_interval_s;	/* [integrity] interval, 12h */
	int		 fim_threads;		/* [integrity] threads, 0 = cores */

	int		 net_enabled;		/* [network] enabled, yes */
	struct config_list net_ifaces;		/* [network] interface, empty =
						 * the default route's */
	char		 net_filter[CONFIG_ITEM_MAX]; /* [network] filter (BPF),
						 * "" = everything */
	int		 net_promisc;		/* [network] promiscuous, no */
	uint64_t	 net_buffer;		/* [network] buffer (the kernel
						 * ring per interface), 8M */
	struct config_list net_rules;		/* [network] rules, empty = the
						 * shipped traffic rules */
	char		 net_local_rules[CONFIG_ITEM_MAX]; /* [network]
						 * local_rules,
						 * /etc/vigil/traffic.d */
	struct config_list net_ioc;		/* [network] ioc, empty = the
						 * shipped lists */
	char		 net_local_ioc[CONFIG_ITEM_MAX]; /* [network] local_ioc,
						 * /etc/vigil/ioc.d */
	struct config_list net_vars;		/* [network] var, NAME=VALUE */
	int		 net_flow_max;		/* [network] flow_max, 65536 */
	uint64_t	 net_stream_depth;	/* [network] stream_depth, 1M */
	int		 net_scan_ports;	/* [network] scan_ports, 15 */
	int		 net_scan_hosts;	/* [network] scan_hosts, 25 */
	struct config_list net_dns_allow;	/* [network] dns_allow: parent
						 * domains the DNS tunnel
						 * detector ignores */
};

/* [office]: who reports incidents, for the report forms of Circular
 * 20/2017/TT-BTTTT (docs/incidents.md, "Report forms"). Every text is
 * printable UTF-8; "" (or 0) is not said, and the form leaves a line to
 * fill by hand. */
struct config_office {
	char		 name[CONFIG_ITEM_MAX];		/* reporting unit */
	char		 address[CONFIG_ITEM_MAX];
	char		 phone[CONFIG_ITEM_MAX];
	char		 email[CONFIG_ITEM_MAX];
	char		 contact[CONFIG_ITEM_MAX];	/* the person */
	char		 contact_position[CONFIG_ITEM_MAX];
	char		 contact_phone[CONFIG_ITEM_MAX];
	char		 contact_email[CONFIG_ITEM_MAX];
	char		 owner[CONFIG_ITEM_MAX];	/* chủ quản */
	char		 operator_[CONFIG_ITEM_MAX];	/* đơn vị vận hành */
	char		 system[CONFIG_ITEM_MAX];	/* system name */
	int		 security_level;		/* 1-5, 0 not said */
	char		 os[CONFIG_ITEM_MAX];
	char		 services[CONFIG_ITEM_MAX];
	char		 measures[CONFIG_ITEM_MAX];
	struct config_list public;			/* addresses, domains */
	char		 governing_body[CONFIG_ITEM_MAX];
	char		 coordinator[CONFIG_ITEM_MAX];	/* national agency */
};

struct collector_config {
	char		 data_dir[PATH_MAX];	/* [collector] data_dir */
	char		 listen[CONFIG_ADDR_MAX]; /* [collector] listen */
	int		 log_level;
	int		 syslog;
	char		 user[64];		/* [collector] user, "" = stay */
	int		 max_connections;	/* [collector] max_connections */
	int		 handshake_timeout_s;	/* [collector] handshake_timeout */
	int		 idle_timeout_s;	/* [collector] idle_timeout */
	uint64_t	 handshake_memory;	/* [collector] handshake_memory:
						 * all connections before their
						 * handshake, 16M */
	int		 source_connections;	/* [collector] source_connections:
						 * before the handshake, per
						 * address, 64 */
	int		 source_handshakes;	/* [collector] source_handshakes:
						 * per address per second, 20 */
	int		 cookie_threshold;	/* [collector] cookie_threshold:
						 * handshakes per second above
						 * which a cookie is asked, 500;
						 * 0 = always */
	int		 quota_events;		/* [quota] events_per_second,
						 * per agent, 1000 */
	uint64_t	 quota_bytes;		/* [quota] bytes_per_second, per
						 * agent, 1M */
	int		 event_max;		/* [quota] max_event_size, 64K */
	int		 commit_events;		/* [store] commit_events, 5000 */
	int		 commit_ms;		/* [store] commit_interval, 20ms */
	int		 queue_events;		/* [store] queue_events, 50000 */
	uint64_t	 queue_bytes;		/* [store] queue_bytes, 64M */
	int		 retention_s;		/* [store] retention: events
						 * older are purged, 365d;
						 * 0 = never */
	int		 token_ttl_s;		/* [enroll] token_ttl, 24h */
	int		 report_deadline_s;	/* [incidents] report_deadline:
						 * detection to report, 5d */
	int		 corr_enabled;		/* [correlation] enabled, yes */
	int		 corr_window_s;		/* [correlation] window: quiet
						 * that closes a group, 1h */
	int		 corr_spread_agents;	/* [correlation] spread_agents,
						 * 3 */
	int		 corr_spread_window_s;	/* [correlation] spread_window,
						 * 1h */
	int		 corr_offline_s;	/* [correlation] offline_after,
						 * 15m */
	int		 corr_max_groups;	/* [correlation] max_groups,
						 * 100000 */
	struct config_list corr_critical;	/* [correlation] critical_path */
	struct config_office office;		/* [office] */

	/* [notify]: the early warning (docs/incidents.md) */
	int		 notify_min_severity;	/* min_severity, high (3) */
	char		 notify_command[CONFIG_ITEM_MAX]; /* command, "" none */
	int		 notify_command_timeout_s; /* command_timeout, 10s */
	struct config_list notify_webhook;	/* webhook: https:// URLs */
	char		 notify_template[CONFIG_ITEM_MAX]; /* webhook_template,
						 * "" = the incident JSON */
	char		 notify_ca_file[PATH_MAX]; /* ca_file, "" = system */
	int		 notify_timeout_s;	/* timeout (webhook, mail), 10s */
	char		 notify_smtp[CONFIG_ITEM_MAX]; /* smtp: smtp(s)://host:port */
	int		 notify_smtp_starttls;	/* smtp_starttls: required, yes */
	char		 notify_smtp_user[CONFIG_ITEM_MAX]; /* smtp_user */
	char		 notify_smtp_password_file[PATH_MAX];
	char		 notify_mail_from[CONFIG_ITEM_MAX]; /* mail_from */
	struct config_list notify_mail_to;	/* mail_to */
	char		 notify_subject_prefix[64]; /* subject_prefix, [vigil] */
	int		 notify_syslog;		/* syslog, yes */
	int		 notify_interval_s;	/* interval: per incident and
						 * change kind, 10m */
	int		 notify_rate;		/* rate: per minute, 20 */
	struct config_retry {
		int	 n;
		int	 s[CONFIG_RETRY_MAX];	/* seconds */
	}		 notify_retry;		/* retry, 5s 30s 2m 10m */

	/* [forward]: to another SIEM over syslog (docs/incidents.md,
	 * "Forwarding") */
	char		 fwd_syslog[CONFIG_ITEM_MAX];	/* syslog:
						 * udp|tcp|tls://HOST:PORT,
						 * "" = off */
	int		 fwd_what;		/* what: CONFIG_FWD_*, both */
	int		 fwd_facility;		/* facility: 0-23, local4 (20) */
	char		 fwd_app_name[CONFIG_APPNAME_MAX + 1]; /* app_name,
						 * vigil */
	char		 fwd_ca_file[PATH_MAX];	/* ca_file (tls), "" = system */

	/* [report]: the periodic report (docs/report.md) */
	int		 report_lang;		/* lang: CONFIG_LANG_*, vi */
	struct config_list report_off;		/* off: controls not checked
						 * (their ids) */
	int		 report_ack_within_s;	/* critical_ack_within: 1h */
	int		 report_disk_free_min;	/* disk_free_min: percent, 10 */
	int		 report_schedule;	/* schedule: CONFIG_SCHED_*,
						 * 0 = off */
	char		 report_dir[PATH_MAX];	/* dir, "" = DATA_DIR/reports */
	int		 report_formats;	/* formats: CONFIG_FMT_*, 0 =
						 * the default (pdf and json) */
	struct config_list report_mail_to;	/* mail_to, through [notify]'s
						 * smtp relay */
	int		 report_offices;	/* offices: CONFIG_OFFICES_*,
						 * all */
	struct config_retry report_retry;	/* retry (mail, writing),
						 * 1m 10m 1h 6h 1d */
	int		 report_rules_max_age_s;	/* rules_max_age: 7d */
	int		 report_silent_after_s;	/* silent_after: 24h */
	int		 report_backup_max_age_s;	/* backup_max_age: 7d */
	int		 report_backup_keep;	/* backup_keep: backups kept in
						 * DATA_DIR/backups, 8; 0 all */
};

/* Defaults, then path if it exists. path NULL: the default path, which
 * may be absent. A named path that is absent is ERR_NOTFOUND (logged as
 * "config FILE: No such file or directory"); one that cannot be read is
 * ERR_IO. Errors in the file are logged once, as
 * "file:line: key = 'value': reason", and returned as ERR_CONFIG; the
 * first error stops parsing. *cfg is written only on success. */
int	config_load_agent(struct agent_config *, const char *path);
int	config_load_collector(struct collector_config *, const char *path);

/* The rule files and folders the agent scans with: the configured
 * "rules" (shipped, the shipped rules folder, when there are none), then
 * local_rules if it is a folder (the operator's own rules; absent or not
 * a folder: left out, logged at debug level). Returns the count, at most
 * CONFIG_LIST_MAX + 1; out must have room for that. */
size_t	config_rules_paths(const struct agent_config *, const char *shipped,
	    const char *out[static CONFIG_LIST_MAX + 1]);
/* The same for any list and local folder: the list (shipped when it is
 * empty and shipped is not NULL), then local if it is a folder ("" or
 * absent: left out). */
size_t	config_paths(const struct config_list *, const char *local,
	    const char *shipped, const char *out[static CONFIG_LIST_MAX + 1]);

/* Value parsers, shared with the command line. Each returns 0 or
 * ERR_CONFIG and leaves its outputs alone on error. Numbers are decimal
 * digits only: no sign, no spaces, no fractions. */
/* "30", "30s", "5m", "2h", "7d" -> seconds (0 .. 10 years = 3650d); a
 * bare number is seconds. Units are lower case. */
int	config_parse_duration(int64_t *out, const char *s);
/* "250ms", "2s", "1m" -> milliseconds (0 .. 10 years); a bare number is
 * milliseconds. */
int	config_parse_duration_ms(int64_t *out, const char *s);
/* "512", "64K", "512M", "2G", "1T" -> bytes. Units are powers of 1024,
 * any case, optionally followed by B or iB ("64KB", "64KiB"); "512B" is
 * bytes. Overflow of 64 bits is ERR_CONFIG. */
int	config_parse_size(uint64_t *out, const char *s);
/* yes/no, true/false, on/off, 1/0, any case */
int	config_parse_bool(int *out, const char *s);
/* "HOST:PORT", "[v6]:PORT"; the port (1..65535) is required. HOST is a
 * host name or IPv4 address; an IPv6 address (optionally with %zone) goes
 * in brackets, which are stripped from host. The host part may be empty
 * or "*" (both mean all addresses, for the listen address): host gets "".
 * host gets at most hostlen-1 bytes; a longer host is ERR_CONFIG, never
 * truncated. */
int	config_parse_hostport(char *host, size_t hostlen, uint16_t *port,
	    const char *s);

#endif
