/*
 * forward.c: the forwarder thread (forward.h; docs/incidents.md,
 * "Forwarding").
 *
 * Invariants:
 * - Only the forwarder thread uses st, the link and the cursors after
 *   forward_new(); the rest of the collector never waits for it (the
 *   stop flag under mu is all they share).
 * - A cursor moves past a record only once its message is delivered:
 *   written to a UDP socket, or written to a TCP or TLS connection and
 *   acknowledged by the receiver's TCP (SIOCOUTQ at 0). A record whose
 *   event cannot be read (not JSON: not from intake) is skipped and
 *   logged; audit entries of no incident (retention's purges) are not
 *   register changes and are passed over.
 * - The cursors are saved after every batch delivered (one short write
 *   transaction), and otherwise at most every SAVE_MS while they only
 *   pass over records that are not forwarded, and at the stop.
 * - One log line when the SIEM becomes unreachable, one when it is back:
 *   never one per message.
 * Load: each poll (every POLL_MS when idle) is two read snapshots; a
 *   batch is at most BATCH_MAX records or BATCH_BYTES of each stream, so
 *   a storm drains at thousands of messages a second without holding
 *   memory or a snapshot long.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "correlate.h"
#include "db.h"
#include "err.h"
#include "event.h"
#include "forward.h"
#include "fwdlink.h"
#include "incident.h"
#include "log.h"
#include "rfc5424.h"
#include "taxonomy.h"
#include "text.h"

#define POLL_MS		250		/* idle: how often the store is read */
#define SAVE_MS		5000		/* cursors passing over other records */
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	60000
#define BATCH_MAX	256		/* records of each stream per batch */
#define BATCH_BYTES	(1 << 20)	/* bytes of each stream per batch */
#define SPAN		10000		/* events.id looked at per step */

enum stream { S_ALERTS, S_AUDIT, S_COUNT };
static const char *const stream_name[S_COUNT] = { "alerts", "audit" };

enum { F_GET, F_SET, F_COUNT };

static const char *const f_sql[F_COUNT] = {
	[F_GET] = "SELECT pos FROM forward_cursors WHERE stream = ?1",
	[F_SET] = "INSERT INTO forward_cursors(stream, pos, updated)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT(stream) DO UPDATE"
	    " SET pos = excluded.pos, updated = excluded.updated",
};

static const struct db_table f_table = { "forward", f_sql, F_COUNT };

/* What one step sends: the messages, framed for a stream ("LEN SP MSG",
 * RFC 6587 octet counting); end[i] is where message i ends (UDP sends
 * each alone). */
struct batch {
	struct wbuf	 buf;
	size_t		 end[S_COUNT * BATCH_MAX];
	size_t		 n;
	size_t		 stream_start;	/* buf.len when this stream began */
	char		*msg;		/* one message: fmt.max bytes */
};

struct forward {
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stop;
	/* the forwarder's own */
	int			 proto;		/* enum fwdlink_proto */
	char			 url[CONFIG_ITEM_MAX];
	int			 what;		/* CONFIG_FWD_* */
	char			 hostname[RFC5424_HOSTNAME_MAX + 1];
	char			 procid[24];
	char			 app_name[CONFIG_APPNAME_MAX + 1];
	struct forward_fmt	 fmt;
	struct store		*st;
	struct fwdlink		*link;
	struct batch		 b;
	int64_t			 cur[S_COUNT];	/* delivered up to */
	int64_t			 saved[S_COUNT];	/* in the store */
	int64_t			 saved_at;	/* monotonic ms */
	int			 down;		/* an outage is going on */
	int64_t			 down_since;
	int64_t			 backoff_ms;
};

/* ---- messages ---- */

static int
syslog_severity(int sev)
{
	switch (sev) {
	case SEV_CRITICAL:
		return RFC5424_CRIT;
	case SEV_HIGH:
		return RFC5424_ERR;
	case SEV_LOW:
		return RFC5424_NOTICE;
	default:
		return RFC5424_WARNING;
	}
}

/* json (jansson's output) with every display-unsafe code point written
 * \uXXXX (text_put_json): the same JSON, nothing a viewer acts on.
 * malloc'd into *out. */
static int
safe_json(char **out, size_t *outlen, const char *json)
{
	FILE	*f;
	int	 rc;

	*out = NULL;
	*outlen = 0;
	if ((f = open_memstream(out, outlen)) == NULL)
		return ERR_NOMEM;
	rc = text_put_json(f, json, strlen(json));
	if (fclose(f) != 0 && rc == 0)
		rc = ERR_NOMEM;
	if (rc != 0) {
		free(*out);
		*out = NULL;
		return rc == ERR_IO ? ERR_NOMEM : rc;
	}
	if (*outlen > 0 && (*out)[*outlen - 1] == '\n')
		(*out)[--*outlen] = '\0';
	return 0;
}

static struct rfc5424_param
prm(const char *name, const char *value)
{
	return (struct rfc5424_param){ name, value, value ? strlen(value) : 0 };
}

int
forward_alert_msg(char *out, size_t *len, const struct forward_fmt *fmt,
    const struct store_row *r)
{
	struct correlate_in	 in;
	struct rfc5424_param	 p[7];
	struct rfc5424_msg	 m;
	json_t			*root;
	char			*ev, *msg = NULL, id[24];
	size_t			 mlen;
	int			 sev, rc;

	*len = 0;
	if ((root = json_loadb(r->json, r->len, 0, NULL)) == NULL)
		return ERR_MALFORMED;
	correlate_extract(&in, "alert", root);
	json_decref(root);
	if ((ev = event_render(r->json, r->len, r->seq, r->agent_id,
	    r->agent_name, r->office)) == NULL)
		return ERR_NOMEM;
	rc = safe_json(&msg, &mlen, ev);
	free(ev);
	if (rc != 0)
		return rc;
	sev = in.severity != 0 ? in.severity : SEV_MEDIUM;
	(void)snprintf(id, sizeof(id), "%" PRId64, r->id);
	p[0] = prm("id", id);
	p[1] = prm("agent", r->agent_name);
	p[2] = prm("agent_id", r->agent_id);
	p[3] = prm("office", r->office);
	p[4] = prm("severity", taxonomy_severity_name(sev));
	p[5] = prm("category", in.category);
	p[6] = prm("signature", in.name);
	m = (struct rfc5424_msg){ fmt->facility, syslog_severity(sev),
	    r->ts_us, r->agent_name, fmt->app_name, fmt->procid, "alert",
	    FORWARD_SD_ID, p, 7, msg, mlen };
	rc = rfc5424_format(out, fmt->max, len, &m, NULL);
	free(msg);
	return rc;
}

/* {"audit": entry and incident id, "incident": the incident now, or
 * null}, and the incident (found: 1) for the header. */
static json_t *
audit_doc(struct store *st, const struct audit_entry *e, int64_t now,
    struct incident *inc, int *found)
{
	json_t	*a, *i;

	*found = e->incident > 0 && incident_get(st, inc, e->incident) == 0;
	if ((a = audit_entry_json(e)) == NULL ||
	    json_object_set_new(a, "incident", json_integer(e->incident))) {
		json_decref(a);
		return NULL;
	}
	i = *found ? incident_json(inc, now) : json_null();
	return json_pack("{s:o, s:o}", "audit", a, "incident", i);
}

int
forward_audit_msg(char *out, size_t *len, const struct forward_fmt *fmt,
    struct store *st, const struct audit_entry *e, int64_t now)
{
	struct rfc5424_param	 p[7];
	struct rfc5424_msg	 m;
	struct incident		 inc;
	json_t			*v;
	char			*doc, *msg = NULL, seq[24], id[24];
	size_t			 mlen;
	int			 found, sev, rc;

	*len = 0;
	if ((v = audit_doc(st, e, now, &inc, &found)) == NULL)
		return ERR_NOMEM;
	doc = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (doc == NULL)
		return ERR_NOMEM;
	rc = safe_json(&msg, &mlen, doc);
	free(doc);
	if (rc != 0)
		return rc;
	sev = found ? inc.severity : SEV_MEDIUM;
	(void)snprintf(seq, sizeof(seq), "%" PRId64, e->seq);
	(void)snprintf(id, sizeof(id), "%" PRId64, e->incident);
	p[0] = prm("seq", seq);
	p[1] = prm("incident", id);
	p[2] = prm("action", e->action);
	p[3] = prm("actor", e->actor);
	p[4] = prm("severity", taxonomy_severity_name(sev));
	p[5] = prm("status", found ? taxonomy_status_name(inc.status) : "");
	p[6] = prm("title", found ? inc.title : "");
	m = (struct rfc5424_msg){ fmt->facility, syslog_severity(sev),
	    e->time >= 0 && e->time < INT64_MAX / 1000000 ? e->time * 1000000 :
	    -1, fmt->hostname, fmt->app_name, fmt->procid, "incident",
	    FORWARD_SD_ID, p, 7, msg, mlen };
	rc = rfc5424_format(out, fmt->max, len, &m, NULL);
	free(msg);
	return rc;
}

/* ---- batches and cursors ---- */


/* One message of f->b.msg[0 .. len) into the batch. */
static int
batch_add(struct forward *f, size_t len)
{
	char	n[24];
	int	k;

	if (f->proto != FWDLINK_UDP) {
		k = snprintf(n, sizeof(n), "%zu ", len);
		if (k < 0 || (size_t)k >= sizeof(n) ||
		    wbuf_bytes(&f->b.buf, n, (size_t)k) != 0)
			return ERR_NOMEM;
	}
	if (wbuf_bytes(&f->b.buf, f->b.msg, len) != 0)
		return ERR_NOMEM;
	f->b.end[f->b.n++] = f->b.buf.len;
	return 0;
}

/* 1: this stream's share of the batch is full. */
static int
stream_full(const struct forward *f, size_t taken)
{
	return taken >= BATCH_MAX ||
	    f->b.buf.len - f->b.stream_start >= BATCH_BYTES;
}

struct walk {
	struct forward	*f;
	size_t		 taken;
	int64_t		 last;		/* audit: the last seq looked at */
};

static int
on_alert(void *arg, const struct store_row *r)
{
	struct walk	*w = arg;
	struct forward	*f = w->f;
	size_t		 len;
	int		 rc;

	rc = forward_alert_msg(f->b.msg, &len, &f->fmt, r);
	if (rc == ERR_MALFORMED) {
		log_warnx("forward: event %" PRId64 " is not JSON: not "
		    "forwarded", r->id);
		return 0;
	}
	if (rc != 0 || (rc = batch_add(f, len)) != 0)
		return rc;
	return stream_full(f, ++w->taken);
}

static int
on_entry(void *arg, const struct audit_entry *e)
{
	struct walk	*w = arg;
	struct forward	*f = w->f;
	size_t		 len;
	int		 rc;

	w->last = e->seq;
	if (e->incident <= 0)
		return 0;
	if ((rc = forward_audit_msg(f->b.msg, &len, &f->fmt, f->st, e,
	    (int64_t)time(NULL))) != 0 || (rc = batch_add(f, len)) != 0)
		return rc;
	return stream_full(f, ++w->taken);
}

/* The store's end: the last events.id or audit seq. */
static int
stream_end(struct forward *f, int s, int64_t *end)
{
	return s == S_ALERTS ? store_events_last_id(f->st, end) :
	    audit_head_seq(f->st, end);
}

/* Read what follows the cursors into the batch; next[] gets the cursors
 * once it is delivered. A stream not forwarded follows the store's end. */
static int
collect(struct forward *f, int64_t next[static S_COUNT])
{
	struct store_span	 q = { f->cur[S_ALERTS], SPAN, BATCH_MAX,
				    "alert" };
	struct walk		 w = { f, 0, f->cur[S_AUDIT] };
	int			 rc;

	wbuf_reset(&f->b.buf);
	f->b.n = 0;
	f->b.stream_start = 0;
	if (!(f->what & CONFIG_FWD_ALERTS))
		rc = stream_end(f, S_ALERTS, &next[S_ALERTS]);
	else
		rc = store_events_after(f->st, &q, on_alert, &w,
		    &next[S_ALERTS]);
	if (rc != 0)
		return rc;
	f->b.stream_start = f->b.buf.len;
	w.taken = 0;
	if (!(f->what & CONFIG_FWD_INCIDENTS))
		return stream_end(f, S_AUDIT, &next[S_AUDIT]);
	rc = audit_each_after(f->st, f->cur[S_AUDIT], BATCH_MAX, on_entry, &w);
	next[S_AUDIT] = w.last;
	return rc < 0 ? rc : 0;
}

static int
cursor_set(struct forward *f, int s, int64_t pos)
{
	struct db	*db = store_db(f->st);
	sqlite3_stmt	*st;

	if ((st = db_table_stmt(db, &f_table, F_SET)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_text(st, 1, stream_name[s], -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, pos) ||
	    sqlite3_bind_int64(st, 3, (int64_t)time(NULL))) {
		db_done(st);
		return db_fail(db, "forward cursor");
	}
	return db_run(db, st, "forward cursor");
}

static int
cursors_save(struct forward *f)
{
	struct db	*db = store_db(f->st);
	int		 s, rc;

	if (f->cur[S_ALERTS] == f->saved[S_ALERTS] &&
	    f->cur[S_AUDIT] == f->saved[S_AUDIT])
		return 0;
	if ((rc = db_begin(db, DB_IMMEDIATE)) != 0)
		return rc;
	for (s = 0; s < S_COUNT && rc == 0; s++)
		rc = cursor_set(f, s, f->cur[s]);
	if ((rc = db_end(db, rc)) != 0)
		return rc;
	memcpy(f->saved, f->cur, sizeof(f->saved));
	f->saved_at = clock_mono_ms();
	return 0;
}

/* The saved cursors; a stream without one starts at the store's end. */
static int
cursors_load(struct forward *f)
{
	struct db	*db = store_db(f->st);
	sqlite3_stmt	*st;
	int		 s, rc;

	for (s = 0; s < S_COUNT; s++) {
		if ((st = db_table_stmt(db, &f_table, F_GET)) == NULL)
			return ERR_IO;
		if (sqlite3_bind_text(st, 1, stream_name[s], -1,
		    SQLITE_STATIC)) {
			db_done(st);
			return db_fail(db, "forward cursor");
		}
		if ((rc = db_row(db, st, "forward cursor")) == 0)
			f->cur[s] = f->saved[s] = sqlite3_column_int64(st, 0);
		db_done(st);
		if (rc == ERR_NOTFOUND) {
			rc = stream_end(f, s, &f->cur[s]);
			f->saved[s] = -1;	/* saved below */
		}
		if (rc != 0)
			return rc;
	}
	return cursors_save(f);
}

/* ---- the thread ---- */

/* A failure (what, then why): the backoff grows; logged when it is
 * the outage's first. */
static void
outage(struct forward *f, const char *what, const char *why)
{
	if (f->down) {
		f->backoff_ms = f->backoff_ms * 2 > BACKOFF_MAX_MS ?
		    BACKOFF_MAX_MS : f->backoff_ms * 2;
		return;
	}
	log_warnx("forward: %s: %s%s; keeping the messages until it is back",
	    f->url, what, why);
	f->down = 1;
	f->down_since = clock_mono_ms();
	f->backoff_ms = BACKOFF_MIN_MS;
}

static void
recovered(struct forward *f)
{
	if (!f->down)
		return;
	log_info("forward: %s: delivering again after %lld s", f->url,
	    (long long)((clock_mono_ms() - f->down_since) / 1000));
	f->down = 0;
}

/*
 * Read, send, move the cursors. The delay before the next step: 0 while
 * there is more to read, POLL_MS when idle, the backoff after a failure.
 */
static int64_t
step(struct forward *f)
{
	int64_t	next[S_COUNT];
	int	rc, moved;

	if ((rc = collect(f, next)) != 0) {
		outage(f, "reading the store: ", vigil_strerror(rc));
		return f->backoff_ms;
	}
	if (f->b.n > 0 && fwdlink_send(f->link, f->b.buf.p, f->b.buf.len,
	    f->b.end, f->b.n) != 0) {
		outage(f, "", fwdlink_why(f->link));
		return f->backoff_ms;
	}
	if (f->b.n > 0)
		recovered(f);
	moved = next[S_ALERTS] != f->cur[S_ALERTS] ||
	    next[S_AUDIT] != f->cur[S_AUDIT];
	memcpy(f->cur, next, sizeof(f->cur));
	if ((f->b.n > 0 || clock_mono_ms() - f->saved_at >= SAVE_MS) &&
	    cursors_save(f) != 0)
		log_warnx("forward: the cursors were not saved: a restart "
		    "sends the last messages again");
	return moved ? 0 : POLL_MS;
}

/* Sleep ms unless stopped: 1 when stopping. */
static int
nap(struct forward *f, int64_t ms)
{
	struct timespec	ts;
	int		stop;

	pthread_mutex_lock(&f->mu);
	if (ms > 0 && !f->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += ms % 1000 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&f->cv, &f->mu, &ts);
	}
	stop = f->stop;
	pthread_mutex_unlock(&f->mu);
	return stop;
}

static void *
forwarder(void *arg)
{
	struct forward	*f = arg;
	int64_t		 delay = 0;

	while (!nap(f, delay))
		delay = step(f);
	if (cursors_save(f) != 0)
		log_warnx("forward: the cursors were not saved at the stop");
	fwdlink_close(f->link);
	return NULL;
}

/* ---- life ---- */

/* The destination of [forward] syslog (config.c checked its form) and
 * its link. */
static int
link_new(struct forward *f, const struct collector_config *cfg)
{
	static const char *const schemes[] = { "udp://", "tcp://", "tls://" };
	static const int protos[] = { FWDLINK_UDP, FWDLINK_TCP, FWDLINK_TLS };
	const char	*url = cfg->fwd_syslog, *why;
	char		 host[CONFIG_ADDR_MAX], port[8];
	uint16_t	 pn;
	int		 i;

	for (i = 0; i < 3; i++)
		if (strncmp(url, schemes[i], 6) == 0)
			break;
	if (i == 3 || config_parse_hostport(host, sizeof(host), &pn,
	    url + 6) != 0 || *host == '\0') {
		log_warnx("forward: syslog: not udp://, tcp:// or tls://"
		    "HOST:PORT: %s", url);
		return ERR_CONFIG;
	}
	f->proto = protos[i];
	(void)snprintf(port, sizeof(port), "%u", pn);
	(void)snprintf(f->url, sizeof(f->url), "%s", url);
	if (fwdlink_new(&f->link, f->proto, host, port, cfg->fwd_ca_file,
	    &why) != 0) {
		log_warnx("forward: %s: ca_file %s: %s", url,
		    *cfg->fwd_ca_file ? cfg->fwd_ca_file : "(the system's)",
		    why);
		return ERR_CONFIG;
	}
	return 0;
}

static void
names(struct forward *f, const struct collector_config *cfg)
{
	if (gethostname(f->hostname, sizeof(f->hostname)) != 0)
		(void)snprintf(f->hostname, sizeof(f->hostname), "-");
	f->hostname[sizeof(f->hostname) - 1] = '\0';
	(void)snprintf(f->procid, sizeof(f->procid), "%ld", (long)getpid());
	(void)snprintf(f->app_name, sizeof(f->app_name), "%s",
	    cfg->fwd_app_name);
	f->fmt = (struct forward_fmt){ cfg->fwd_facility, f->app_name,
	    f->hostname, f->procid, f->proto == FWDLINK_UDP ? FORWARD_UDP_MAX :
	    FORWARD_STREAM_MAX };
}

/* A condition variable that waits on the monotonic clock (nap()). */
static void
cv_init(pthread_cond_t *cv)
{
	pthread_condattr_t	ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

int
forward_new(struct forward **out, const struct collector_config *cfg,
    const char *dbpath)
{
	struct forward	*f;
	int		 rc = ERR_NOMEM;

	*out = NULL;
	if (*cfg->fwd_syslog == '\0')
		return 0;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ERR_NOMEM;
	pthread_mutex_init(&f->mu, NULL);
	cv_init(&f->cv);
	wbuf_init(&f->b.buf, 0);
	f->what = cfg->fwd_what;
	if ((rc = link_new(f, cfg)) != 0)
		goto fail;
	names(f, cfg);
	rc = ERR_NOMEM;
	if ((f->b.msg = malloc(f->fmt.max)) == NULL)
		goto fail;
	if ((rc = store_open(&f->st, dbpath)) != 0 ||
	    (rc = cursors_load(f)) != 0)
		goto fail;
	if (pthread_create(&f->thread, NULL, forwarder, f) != 0) {
		rc = ERR_NOMEM;
		goto fail;
	}
	f->started = 1;
	log_info("forward: %s to %s, from alert %" PRId64 " and audit entry "
	    "%" PRId64, f->what == CONFIG_FWD_ALERTS ? "alerts" : f->what ==
	    CONFIG_FWD_INCIDENTS ? "incident changes" : "alerts and incident "
	    "changes", f->url, f->cur[S_ALERTS] + 1, f->cur[S_AUDIT] + 1);
	*out = f;
	return 0;
fail:
	forward_free(f);
	return rc;
}

void
forward_free(struct forward *f)
{
	if (f == NULL)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->mu);
		f->stop = 1;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thread, NULL);
	}
	fwdlink_free(f->link);
	store_close(f->st);
	wbuf_free(&f->b.buf);
	free(f->b.msg);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
