/*
 * notify.c: the early warning's notifier thread (notify.h;
 * docs/incidents.md, "Early warning").
 *
 * Invariants:
 * - The writer thread only ever copies records into q[] under mu; it
 *   never waits on the notifier (a full queue counts a drop).
 * - The notifier alone uses st (its store handle), the throttle, the
 *   retry list and curl. Its one wait is curl_multi_poll() on every
 *   transfer in flight (notify_post wakes it), so a webhook or relay
 *   that hangs delays nothing but itself, for at most timeout; the
 *   command runs in the notifier and delays the next message by at most
 *   command_timeout. Nothing here ever delays the collector.
 * - What reaches the command is its configured argv and, on standard
 *   input, the incident JSON; what reaches a mail header is base64.
 * - Every attempt of a channel other than syslog is recorded, one row
 *   each, in a statement of its own (a short transaction).
 * Load: a few messages a minute (rate, 20 by default); in a storm the
 *   queue holds one record per incident and batch, and throttle folds.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "argv.h"
#include "buf.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "incident.h"
#include "log.h"
#include "mailer.h"
#include "notify.h"
#include "runcmd.h"
#include "taxonomy.h"
#include "template.h"
#include "text.h"
#include "throttle.h"

#define RETRY_JOBS_MAX	1000	/* deliveries waiting for a retry */
#define DETAIL_MAX	200		/* bytes of a reply kept */
#define AGENTS_LISTED	20
/* a subject: the prefix, severity, change, title and id, base64 */
#define SUBJECT_ENC_MAX	(4 * (64 + INCIDENT_TITLE_MAX + 64) / 3 + 32)

enum channel { CH_COMMAND, CH_WEBHOOK, CH_MAIL };
static const char *const ch_name[] = { "command", "webhook", "mail" };

enum {
	N_INSERT,
	N_EACH,
	N_PEND_ADD,
	N_PEND_SET,
	N_PEND_DEL,
	N_PEND_EACH,
	N_COUNT
};

static const char *const n_sql[N_COUNT] = {
	[N_INSERT] = "INSERT INTO notifications(incident, time, channel,"
	    " target, change, attempt, outcome, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[N_EACH] = "SELECT id, incident, time, channel, target, change,"
	    " attempt, outcome, detail FROM notifications"
	    " WHERE incident IS ?1 ORDER BY id",
	[N_PEND_ADD] = "INSERT INTO notify_pending(incident, change, channel,"
	    " target, attempt, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[N_PEND_SET] = "UPDATE notify_pending SET attempt = ?2 WHERE id = ?1",
	[N_PEND_DEL] = "DELETE FROM notify_pending WHERE id = ?1",
	[N_PEND_EACH] = "SELECT id, incident, change, channel, target,"
	    " attempt, body FROM notify_pending ORDER BY id LIMIT ?1",
};

static const struct db_table n_table = { "notify", n_sql, N_COUNT };

struct rec {
	struct correlate_change	 c;
	int64_t			 posted;	/* monotonic ms */
};

/* One delivery to one target, kept for its retries. */
struct job {
	struct job	*next;
	int64_t		 incident;
	char		 change[16];
	int		 channel;	/* enum channel */
	int		 target;	/* in the webhook or mail list */
	int		 attempt;	/* made so far */
	int		 may_retry;	/* 0: the collector is stopping */
	int64_t		 due;		/* monotonic ms */
	int64_t		 pending;	/* its notify_pending row, 0 none */
	char		*body;		/* JSON, or the whole mail */
	size_t		 len;
};

struct notify {
	struct collector_config	 cfg;
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 mu;
	struct rec		 q[NOTIFY_QUEUE];	/* ring */
	size_t			 qhead, qlen;
	uint64_t		 dropped;
	int			 stop;
	/* the notifier's own */
	struct store		*st;
	struct throttle		*thr;
	struct job		*retry;
	size_t			 nretry;
	CURLM			*m;		/* every transfer; its poll is
						 * the notifier's wait, which
						 * notify_post wakes */
	struct xfer		*live;		/* in m */
	char			*argv[ARGV_MAX + 1];
	char			 argbuf[CONFIG_ITEM_MAX];
	struct mailer		 mailer;	/* the relay's settings */
	int			 curl;		/* initialised */
};

/* ---- the record ---- */

static void
record(struct notify *n, const struct job *j, const char *target,
    const char *outcome, const char *detail)
{
	struct db	*db = store_db(n->st);
	sqlite3_stmt	*st;

	if ((st = db_table_stmt(db, &n_table, N_INSERT)) == NULL)
		return;
	if ((j->incident ? sqlite3_bind_int64(st, 1, j->incident) :
	    sqlite3_bind_null(st, 1)) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (int64_t)time(NULL)) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, ch_name[j->channel], -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, j->change, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(st, 6, j->attempt) != SQLITE_OK ||
	    sqlite3_bind_text(st, 7, outcome, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 8, detail, -1, SQLITE_STATIC) != SQLITE_OK) {
		db_done(st);
		(void)db_fail(db, "notify record");
		return;
	}
	(void)db_run(db, st, "notify record");	/* logged: the log has it */
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const char	*s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

int
notify_history_each(struct store *s, int64_t incident, notify_row_cb cb,
    void *arg)
{
	struct db		*db = store_db(s);
	struct notify_row	 r;
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_table_stmt(db, &n_table, N_EACH)) == NULL)
		return ERR_IO;
	if ((incident ? sqlite3_bind_int64(st, 1, incident) :
	    sqlite3_bind_null(st, 1)) != SQLITE_OK) {
		db_done(st);
		return db_fail(db, "notifications");
	}
	while ((rc = db_row(db, st, "notifications")) == 0) {
		r = (struct notify_row){ sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
		    col(st, 3), col(st, 4), col(st, 5),
		    sqlite3_column_int(st, 6), col(st, 7), col(st, 8) };
		if ((rc = cb(arg, &r)) != 0)
			break;
	}
	db_done(st);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

/* ---- what is told ---- */

static const char *
change_name(const struct correlate_change *c)
{
	if (c->kinds & CHG_OPENED)
		return "opened";
	if (c->kinds & CHG_RAISED)
		return "raised";
	return "spreading";
}

static int
change_kind(const struct correlate_change *c)
{
	return c->kinds & CHG_OPENED ? CHG_OPENED : c->kinds & CHG_RAISED ?
	    CHG_RAISED : CHG_SPREAD;
}

static int
agent_cb(void *arg, const struct incident_agent *a)
{
	json_t	*l = arg;

	if (json_array_size(l) >= AGENTS_LISTED)
		return 0;
	return json_array_append_new(l, text_json(a->name, strlen(a->name),
	    NULL)) ? ERR_NOMEM : 0;
}

/* The incident JSON of incident.h plus what changed: the message. */
static json_t *
vars_of(struct notify *n, const struct correlate_change *c)
{
	struct incident	 inc;
	json_t		*v, *agents;
	int64_t		 now = (int64_t)time(NULL);

	if (incident_get(n->st, &inc, c->incident) != 0 ||
	    (v = incident_json(&inc, now)) == NULL)
		return NULL;
	if ((agents = json_array()) == NULL ||
	    incident_agents_each(n->st, c->incident, agent_cb, agents) != 0) {
		json_decref(agents);
		json_decref(v);
		return NULL;
	}
	if (json_object_set_new(v, "agents", agents) ||
	    json_object_set_new(v, "change", json_string(change_name(c))) ||
	    ((c->kinds & CHG_RAISED) && taxonomy_severity_name(c->from) &&
	    json_object_set_new(v, "raised_from",
	    json_string(taxonomy_severity_name(c->from)))) ||
	    ((c->kinds & CHG_SPREAD) && json_object_set_new(v, "agents_added",
	    json_integer(c->agents)))) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* A summary: its severity is min_severity (each held one was at least
 * that), its id null. */
static json_t *
vars_summary(const struct notify *n, const struct throttle_summary *s)
{
	json_t	*v, *ids;
	char	 title[INCIDENT_TITLE_MAX + 1];
	size_t	 i;

	(void)snprintf(title, sizeof(title), "%llu notifications held back "
	    "(rate limit): incidents%s", (unsigned long long)s->held,
	    s->nids ? "" : " not named");
	for (i = 0; i < s->nids && strlen(title) < sizeof(title) - 24; i++)
		(void)snprintf(title + strlen(title), sizeof(title) -
		    strlen(title), " #%lld", (long long)s->ids[i]);
	if (s->more)
		(void)snprintf(title + strlen(title), sizeof(title) -
		    strlen(title), " and more");
	if ((ids = json_array()) == NULL)
		return NULL;
	for (i = 0; i < s->nids; i++)
		if (json_array_append_new(ids, json_integer(s->ids[i]))) {
			json_decref(ids);
			return NULL;
		}
	v = json_pack("{s:n, s:s, s:s, s:s, s:I, s:o}", "id", "title", title,
	    "severity", taxonomy_severity_name(n->cfg.notify_min_severity),
	    "change", "summary", "held",
	    (json_int_t)(s->held > INT64_MAX ? INT64_MAX : s->held),
	    "incidents", ids);
	return v;
}

static const char *
sev_vi(const char *sev)
{
	static const char *const w[][2] = { { "low", "thấp" },
	    { "medium", "trung bình" }, { "high", "cao" },
	    { "critical", "nghiêm trọng" } };
	size_t	i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (strcmp(sev, w[i][0]) == 0)
			return w[i][1];
	return sev;
}

static const char *
change_vi(const char *c)
{
	return strcmp(c, "opened") == 0 ? "sự cố mới" :
	    strcmp(c, "raised") == 0 ? "mức độ tăng" :
	    strcmp(c, "spreading") == 0 ? "đang lan rộng" : "tóm tắt";
}

static const char *
str(const json_t *v, const char *k)
{
	const char	*s = json_string_value(json_object_get(v, k));

	return s ? s : "-";
}

/* ---- mail ---- */

/* The early warning mails when the relay is set and it has recipients
 * (the relay may serve only the scheduled report). */
static int
mail_on(const struct collector_config *cfg)
{
	return *cfg->notify_smtp != '\0' && cfg->notify_mail_to.n > 0;
}

/* Append printf text to a mail being built; errors stick in m. */
static void	mput(struct wbuf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
mput(struct wbuf *m, const char *fmt, ...)
{
	va_list	 ap;
	int	 k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0 || wbuf_reserve(m, (size_t)k + 1) != 0) {
		m->err = m->err ? m->err : ERR_NOMEM;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf((char *)m->p + m->len, (size_t)k + 1, fmt, ap);
	va_end(ap);
	m->len += (size_t)k;
}

/* s as base64, in lines of 76 (RFC 2045). */
static void
mput_b64(struct wbuf *m, const char *s, size_t len)
{
	char	 *b;
	size_t	  blen = sodium_base64_encoded_len(len,
		    sodium_base64_VARIANT_ORIGINAL), i;

	if ((b = malloc(blen)) == NULL) {
		m->err = ERR_NOMEM;
		return;
	}
	sodium_bin2base64(b, blen, (const unsigned char *)s, len,
	    sodium_base64_VARIANT_ORIGINAL);
	for (i = 0; i < strlen(b); i += 76)
		mput(m, "%.76s\r\n", b + i);
	free(b);
}

/* The agents' names, ", " between them. */
static void
mput_agents(struct wbuf *t, const json_t *v)
{
	const json_t	*a;
	size_t		 i;

	json_array_foreach(json_object_get(v, "agents"), i, a)
		mput(t, "%s%s", i ? ", " : "", json_string_value(a) ?
		    json_string_value(a) : "-");
	mput(t, "\n");
}

static void
mail_text(struct wbuf *t, const json_t *v)
{
	const char	*chg = str(v, "change"), *sev = str(v, "severity");
	json_int_t	 id = json_integer_value(json_object_get(v, "id"));

	if (strcmp(chg, "summary") == 0) {
		mput(t, "Cảnh báo sớm vigil: nhiều thông báo bị giữ lại do "
		    "giới hạn tần suất.\n%s\n\nvigil early warning: "
		    "notifications held back by the rate limit.\n%s\n\n"
		    "vigil-collector incidents list\n", str(v, "title"),
		    str(v, "title"));
		return;
	}
	mput(t, "Cảnh báo sớm vigil: sự cố #%lld (%s)\n"
	    "Tiêu đề: %s\nMức độ: %s\nLoại: %s\nPhát hiện lúc: %s\n"
	    "Lần cuối: %s\nSố cảnh báo: %lld\nHạn báo cáo: %s\nMáy: ",
	    (long long)id, change_vi(chg), str(v, "title"), sev_vi(sev),
	    str(v, "category_vi"), str(v, "created"), str(v, "last_seen"),
	    (long long)json_integer_value(json_object_get(v, "alerts")),
	    str(v, "deadline"));
	mput_agents(t, v);
	mput(t, "\n");
	mput(t, "vigil early warning: incident #%lld (%s)\n"
	    "Title: %s\nSeverity: %s\nCategory: %s\nDetected: %s\n"
	    "Last seen: %s\nAlerts: %lld\nReport by: %s\nComputers: ",
	    (long long)id, chg, str(v, "title"), sev, str(v, "category_en"),
	    str(v, "created"), str(v, "last_seen"),
	    (long long)json_integer_value(json_object_get(v, "alerts")),
	    str(v, "deadline"));
	mput_agents(t, v);
	mput(t, "\nvigil-collector incidents show %lld\n", (long long)id);
}

/* The whole message, CRLF line ends; headers from the configuration or
 * base64 (a title never becomes a header line). */
static int
mail_build(struct notify *n, char **out, size_t *outlen, const json_t *v)
{
	struct wbuf	 m, t, subj;
	char		 date[64], enc[SUBJECT_ENC_MAX];
	struct tm	 tm;
	time_t		 now = time(NULL);
	int		 i, bad;

	wbuf_init(&m, 0);
	wbuf_init(&t, 0);
	wbuf_init(&subj, 0);
	mail_text(&t, v);
	if (strcmp(str(v, "change"), "summary") == 0)
		mput(&subj, "%s %s", n->cfg.notify_subject_prefix,
		    str(v, "title"));
	else
		mput(&subj, "%s %s (%s): %s (#%lld)",
		    n->cfg.notify_subject_prefix, str(v, "severity"),
		    str(v, "change"), str(v, "title"),
		    (long long)json_integer_value(json_object_get(v, "id")));
	gmtime_r(&now, &tm);
	(void)strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    &tm);
	mput(&m, "Date: %s\r\nFrom: <%s>\r\nTo: ", date,
	    n->cfg.notify_mail_from);
	for (i = 0; i < n->cfg.notify_mail_to.n; i++)
		mput(&m, "%s<%s>", i ? ", " : "",
		    n->cfg.notify_mail_to.item[i]);
	if (subj.p == NULL || mailer_encode_word(enc, sizeof(enc),
	    (const char *)subj.p) != 0) {
		enc[0] = '\0';
		m.err = ERR_NOMEM;
	}
	mput(&m, "\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Auto-Submitted: auto-generated\r\n\r\n", enc);
	if (t.p != NULL)
		mput_b64(&m, (const char *)t.p, t.len);
	bad = m.err || t.err || subj.err || m.p == NULL;
	wbuf_free(&t);
	wbuf_free(&subj);
	if (bad) {
		wbuf_free(&m);
		return ERR_NOMEM;
	}
	*out = (char *)m.p;
	*outlen = m.len;
	return 0;
}

/* ---- channels ---- */

static void
tell_syslog(const json_t *v)
{
	char	line[512];

	(void)snprintf(line, sizeof(line), "vigil early warning: incident "
	    "#%lld %s: %s: %s", (long long)json_integer_value(
	    json_object_get(v, "id")), str(v, "change"), str(v, "severity"),
	    str(v, "title"));
	/* the strings are incident_json's: valid UTF-8, \xNN escaped */
	syslog(LOG_WARNING | LOG_DAEMON, "%s", line);
}

/* The command: its argv, the message on its standard input. */
static int
tell_command(struct notify *n, const struct job *j, char *detail,
    size_t dlen)
{
	return runcmd(n->argv, j->body, j->len,
	    n->cfg.notify_command_timeout_s, detail, dlen);
}

struct reply {
	char	 text[DETAIL_MAX + 1];
	size_t	 len;
};

static size_t
on_reply(char *p, size_t sz, size_t nm, void *arg)
{
	struct reply	*r = arg;
	size_t		 k = sz * nm, room = DETAIL_MAX - r->len;

	memcpy(r->text + r->len, p, k < room ? k : room);
	r->len += k < room ? k : room;
	r->text[r->len] = '\0';
	return k;
}

struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
on_read(char *p, size_t sz, size_t nm, void *arg)
{
	struct upload	*u = arg;
	size_t		 k = sz * nm < u->left ? sz * nm : u->left;

	memcpy(p, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* One transfer of a webhook or mail job, in the notifier's multi. */
struct xfer {
	struct xfer		*next;
	struct job		*j;
	CURL			*c;
	struct curl_slist	*list;		/* headers, recipients */
	struct upload		 up;
	struct reply		 r;
	char			 err[CURL_ERROR_SIZE];
	CURLcode		 cc;
	int			 running;
};

static int
webhook_setup(struct notify *n, struct xfer *x)
{
	return (x->list = curl_slist_append(NULL,
	    "Content-Type: application/json")) == NULL ||
	    mailer_curl_common(&n->mailer, x->c,
	    n->cfg.notify_webhook.item[x->j->target], "https", x->err) ||
	    curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, x->list) ||
	    curl_easy_setopt(x->c, CURLOPT_POSTFIELDS, x->j->body) ||
	    curl_easy_setopt(x->c, CURLOPT_POSTFIELDSIZE, (long)x->j->len) ||
	    curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, on_reply) ||
	    curl_easy_setopt(x->c, CURLOPT_WRITEDATA, &x->r);
}

static int
mail_setup(struct notify *n, struct xfer *x)
{
	x->up = (struct upload){ x->j->body, x->j->len };
	return mailer_envelope(&n->mailer, x->c, &n->cfg.notify_mail_to,
	    &x->list, x->err) ||
	    curl_easy_setopt(x->c, CURLOPT_UPLOAD, 1L) ||
	    curl_easy_setopt(x->c, CURLOPT_READFUNCTION, on_read) ||
	    curl_easy_setopt(x->c, CURLOPT_READDATA, &x->up);
}

/* x's handle, set up and added to m; else x->cc says why not. */
static void
xfer_start(struct notify *n, CURLM *m, struct xfer *x)
{
	x->cc = CURLE_OUT_OF_MEMORY;
	if (m == NULL || (x->c = curl_easy_init()) == NULL)
		return;
	if ((x->j->channel == CH_WEBHOOK ? webhook_setup(n, x) :
	    mail_setup(n, x)) != 0 ||
	    curl_easy_setopt(x->c, CURLOPT_PRIVATE, x) != CURLE_OK ||
	    curl_multi_add_handle(m, x->c) != CURLM_OK)
		return;
	x->cc = CURLE_OK;
	x->running = 1;
}

/* What x came to: 0 (a 2xx reply; a mail accepted) or ERR_IO, and why. */
static int
xfer_result(const struct xfer *x, char *detail, size_t dlen)
{
	long	code = 0;

	if (x->cc != CURLE_OK) {
		(void)snprintf(detail, dlen, "%s", *x->err ? x->err :
		    curl_easy_strerror(x->cc));
		return ERR_IO;
	}
	if (x->j->channel == CH_MAIL) {
		(void)snprintf(detail, dlen, "accepted by the relay");
		return 0;
	}
	(void)curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &code);
	(void)snprintf(detail, dlen, "HTTP %ld%s%.*s", code, x->r.len ? ": " :
	    "", (int)x->r.len, x->r.text);
	return code >= 200 && code < 300 ? 0 : ERR_IO;
}

static void
xfer_end(CURLM *m, struct xfer *x)
{
	if (x->c != NULL) {
		if (m != NULL)
			(void)curl_multi_remove_handle(m, x->c);
		curl_easy_cleanup(x->c);
	}
	curl_slist_free_all(x->list);
}

/* Where a job goes, for the record and the log: no secrets (a bot's
 * token lives in its URL path). */
static void
target_of(const struct notify *n, const struct job *j, char *out,
    size_t outlen)
{
	char	host[CONFIG_ITEM_MAX - 32];	/* room for the rest */

	if (j->channel == CH_COMMAND) {
		(void)snprintf(out, outlen, "%s", n->argv[0]);
		return;
	}
	if (j->channel == CH_MAIL) {
		mailer_host(out, outlen, n->cfg.notify_smtp);
		return;
	}
	mailer_host(host, sizeof(host), n->cfg.notify_webhook.item[j->target]);
	(void)snprintf(out, outlen, "%d:https://%s/...", j->target + 1, host);
}

/* ---- deliveries and retries ---- */

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->body);
	free(j);
}

/*
 * The durable copy of the retry list: a job waiting for a retry has a
 * notify_pending row (added at its first failure, its attempt count kept
 * up to date, deleted when it succeeds or gives up), and a notifier that
 * starts takes them up again. Failures to write it are logged: the retry
 * itself still happens while this collector runs.
 */
static void
pending_keep(struct notify *n, struct job *j)
{
	struct db	*db = store_db(n->st);
	sqlite3_stmt	*st;
	int		 bad;

	if ((st = db_table_stmt(db, &n_table, j->pending ? N_PEND_SET :
	    N_PEND_ADD)) == NULL)
		return;
	if (j->pending)
		bad = sqlite3_bind_int64(st, 1, j->pending) != SQLITE_OK ||
		    sqlite3_bind_int(st, 2, j->attempt) != SQLITE_OK;
	else
		bad = (j->incident ? sqlite3_bind_int64(st, 1, j->incident) :
		    sqlite3_bind_null(st, 1)) != SQLITE_OK ||
		    sqlite3_bind_text(st, 2, j->change, -1, SQLITE_STATIC) !=
		    SQLITE_OK || sqlite3_bind_text(st, 3, ch_name[j->channel],
		    -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_int(st, 4, j->target) != SQLITE_OK ||
		    sqlite3_bind_int(st, 5, j->attempt) != SQLITE_OK ||
		    sqlite3_bind_blob(st, 6, j->body, (int)j->len,
		    SQLITE_STATIC) != SQLITE_OK;
	if (bad) {
		db_done(st);
		(void)db_fail(db, "notify pending");
		return;
	}
	if (db_run(db, st, "notify pending") == 0 && !j->pending)
		j->pending = sqlite3_last_insert_rowid(db_sqlite(db));
}

static void
pending_drop(struct notify *n, struct job *j)
{
	struct db	*db = store_db(n->st);
	sqlite3_stmt	*st;

	if (!j->pending ||
	    (st = db_table_stmt(db, &n_table, N_PEND_DEL)) == NULL)
		return;
	if (sqlite3_bind_int64(st, 1, j->pending) != SQLITE_OK) {
		db_done(st);
		(void)db_fail(db, "notify pending");
		return;
	}
	(void)db_run(db, st, "notify pending");
	j->pending = 0;
}

/* The outcome rc (raw: why) of j's last attempt: recorded; a failure
 * is kept for a retry (j taken) unless the schedule is over. */
static void
settle(struct notify *n, struct job *j, int rc, const char *raw)
{
	char	detail[4 * (DETAIL_MAX + 64)], target[CONFIG_ITEM_MAX];
	int64_t	wait_s;

	target_of(n, j, target, sizeof(target));
	/* a reply is the far end's text */
	(void)text_escape(detail, sizeof(detail), raw, strlen(raw), TEXT_TERM,
	    NULL);
	if (rc == 0) {
		log_info("notify: incident %lld %s: %s %s: %s",
		    (long long)j->incident, j->change, ch_name[j->channel],
		    target, detail);
		record(n, j, target, "sent", detail);
		pending_drop(n, j);
		job_free(j);
		return;
	}
	wait_s = throttle_retry_s(n->cfg.notify_retry.s, n->cfg.notify_retry.n,
	    j->attempt);
	if (!j->may_retry && wait_s >= 0) {
		/* the collector is stopping: not given up, taken up again
		 * when it starts (notify_new) */
		log_warnx("notify: incident %lld %s: %s %s: %s (retried when "
		    "the collector starts again)", (long long)j->incident,
		    j->change, ch_name[j->channel], target, detail);
		record(n, j, target, "failed", detail);
		pending_keep(n, j);
		job_free(j);
		return;
	}
	if (!j->may_retry || wait_s < 0 || n->nretry >= RETRY_JOBS_MAX) {
		log_warnx("notify: incident %lld %s: %s %s: %s (given up after "
		    "%d attempts)", (long long)j->incident, j->change,
		    ch_name[j->channel], target, detail, j->attempt);
		record(n, j, target, "given-up", detail);
		pending_drop(n, j);
		job_free(j);
		return;
	}
	log_warnx("notify: incident %lld %s: %s %s: %s (retry in %llds)",
	    (long long)j->incident, j->change, ch_name[j->channel], target,
	    detail, (long long)wait_s);
	record(n, j, target, "failed", detail);
	pending_keep(n, j);
	j->due = clock_mono_ms() + wait_s * 1000;
	j->next = n->retry;
	n->retry = j;
	n->nretry++;
}

static void
xfer_done(struct notify *n, struct xfer *x)
{
	char	raw[DETAIL_MAX + 64];
	int	rc;

	if (x->running)		/* the multi failed under it */
		x->cc = CURLE_OUT_OF_MEMORY;
	rc = xfer_result(x, raw, sizeof(raw));
	xfer_end(n->m, x);
	settle(n, x->j, rc, raw);
	free(x);
}

/* Progress on every transfer, without waiting; those done are settled. */
static void
pump(struct notify *n)
{
	struct xfer	**pp, *x;
	CURLMsg		 *msg;
	int		  running, left, failed;

	failed = curl_multi_perform(n->m, &running) != CURLM_OK;
	while ((msg = curl_multi_info_read(n->m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE || curl_easy_getinfo(
		    msg->easy_handle, CURLINFO_PRIVATE, (char **)&x) !=
		    CURLE_OK)
			continue;
		x->cc = msg->data.result;
		x->running = 0;
	}
	for (pp = &n->live; (x = *pp) != NULL;) {
		if (x->running && !failed) {
			pp = &x->next;
			continue;
		}
		*pp = x->next;
		xfer_done(n, x);
	}
}

/*
 * One attempt of each job of list (taken): the webhooks and the mail
 * join the transfers in flight (pump() settles them as they end), then
 * the command runs, bounded by command_timeout. No transfer waits for
 * another: a webhook that hangs delays nothing but itself.
 */
static void
run_jobs(struct notify *n, struct job *list)
{
	struct xfer	*x;
	struct job	*j, *next, *cmds = NULL, **tail = &cmds;
	char		 raw[DETAIL_MAX + 64];
	int		 rc;

	for (j = list; j != NULL; j = next) {
		next = j->next;
		j->next = NULL;
		j->attempt++;
		if (j->channel == CH_COMMAND) {
			*tail = j;
			tail = &j->next;
			continue;
		}
		if ((x = calloc(1, sizeof(*x))) == NULL) {
			settle(n, j, ERR_NOMEM, "out of memory");
			continue;
		}
		x->j = j;
		xfer_start(n, n->m, x);
		x->next = n->live;
		n->live = x;
	}
	pump(n);		/* connects begin */
	for (j = cmds; j != NULL; j = next) {
		next = j->next;
		rc = tell_command(n, j, raw, sizeof(raw));
		settle(n, j, rc, raw);
	}
}

static int
job_new(struct job **out, int64_t incident, const char *change, int channel,
    int target, const char *body, size_t len)
{
	struct job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->body = malloc(len + 1)) == NULL) {
		free(j);
		return ERR_NOMEM;
	}
	memcpy(j->body, body, len);
	j->body[len] = '\0';
	j->len = len;
	j->incident = incident;
	(void)snprintf(j->change, sizeof(j->change), "%s", change);
	j->channel = channel;
	j->target = target;
	*out = j;
	return 0;
}

/* A job for *tail's list. */
static void
deliver(struct job ***tail, int64_t incident, int channel, int target,
    const char *body, size_t len, const char *change, int may_retry)
{
	struct job	*j;

	if (job_new(&j, incident, change, channel, target, body, len) != 0) {
		log_warnx("notify: incident %lld: out of memory",
		    (long long)incident);
		return;
	}
	j->may_retry = may_retry;
	**tail = j;
	*tail = &j->next;
}

/* Every channel about v. */
static void
tell(struct notify *n, int64_t incident, const json_t *v, int may_retry)
{
	const char	*change = str(v, "change");
	struct job	*list = NULL, **tail = &list;
	char		*json = NULL, *body = NULL;
	size_t		 blen;
	int		 i;

	if (n->cfg.notify_syslog)
		tell_syslog(v);
	if ((json = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL)
		goto nomem;
	if (n->argv[0] != NULL)
		deliver(&tail, incident, CH_COMMAND, 0, json, strlen(json),
		    change, may_retry);
	for (i = 0; i < n->cfg.notify_webhook.n; i++) {
		if (*n->cfg.notify_template == '\0')
			deliver(&tail, incident, CH_WEBHOOK, i, json,
			    strlen(json), change, may_retry);
		else if (template_expand(&body, &blen, n->cfg.notify_template,
		    v) == 0) {
			deliver(&tail, incident, CH_WEBHOOK, i, body, blen,
			    change, may_retry);
			free(body);
			body = NULL;
		} else
			goto nomem;
	}
	if (mail_on(&n->cfg)) {
		if (mail_build(n, &body, &blen, v) != 0)
			goto nomem;
		deliver(&tail, incident, CH_MAIL, 0, body, blen, change,
		    may_retry);
		free(body);
	}
	free(json);
	run_jobs(n, list);
	return;
nomem:
	free(json);
	log_warnx("notify: incident %lld: out of memory", (long long)incident);
	run_jobs(n, list);		/* what was made */
}

static void
on_change(struct notify *n, const struct rec *r, int may_retry)
{
	json_t	*v;
	int	 verdict;

	verdict = throttle_check(n->thr, r->c.incident, change_kind(&r->c),
	    clock_mono_ms());
	if (verdict == THR_REPEAT || verdict == THR_HELD) {
		log_debug("notify: incident %lld %s: %s",
		    (long long)r->c.incident, change_name(&r->c), verdict ==
		    THR_HELD ? "held back (rate)" : "told already (interval)");
		return;
	}
	if ((v = vars_of(n, &r->c)) == NULL) {
		log_warnx("notify: incident %lld: cannot read it",
		    (long long)r->c.incident);
		return;
	}
	log_debug("notify: incident %lld %s, %lld ms after its commit",
	    (long long)r->c.incident, change_name(&r->c),
	    (long long)(clock_mono_ms() - r->posted));
	tell(n, r->c.incident, v, may_retry);
	json_decref(v);
}

static void
retries_due(struct notify *n, int64_t now)
{
	struct job	**pp = &n->retry, *j, *due = NULL;

	while ((j = *pp) != NULL) {
		if (j->due <= now) {
			*pp = j->next;
			n->nretry--;
			j->next = due;
			due = j;
		} else
			pp = &j->next;
	}
	run_jobs(n, due);
}

static void
summary_due(struct notify *n, int64_t now)
{
	struct throttle_summary	 s;
	json_t			*v;

	if (!throttle_summary(n->thr, &s, now))
		return;
	if ((v = vars_summary(n, &s)) == NULL)
		return;
	tell(n, 0, v, 1);
	json_decref(v);
}

/* The earliest retry or summary due (0: none). */
static int64_t
next_due(const struct notify *n)
{
	const struct job	*j;
	int64_t			 t = throttle_next(n->thr);

	for (j = n->retry; j != NULL; j = j->next)
		if (t == 0 || j->due < t)
			t = j->due;
	return t;
}

/* How long the notifier may sleep: until a retry or the summary is due,
 * a minute at most (a record posted wakes it at once). */
static int
poll_ms(const struct notify *n)
{
	int64_t	due = next_due(n), now = clock_mono_ms();

	if (due == 0 || due - now > 60000)
		return 60000;
	return due <= now ? 0 : (int)(due - now);
}

static void *
notifier(void *arg)
{
	struct notify	*n = arg;
	struct rec	*batch;
	size_t		 k, i;
	uint64_t	 dropped;
	int		 stopping;

	if ((batch = calloc(NOTIFY_QUEUE, sizeof(*batch))) == NULL)
		fatalx("notify: out of memory");
	for (;;) {
		pthread_mutex_lock(&n->mu);
		for (k = 0; n->qlen > 0; k++) {
			batch[k] = n->q[n->qhead];
			n->qhead = (n->qhead + 1) % NOTIFY_QUEUE;
			n->qlen--;
		}
		dropped = n->dropped;
		n->dropped = 0;
		stopping = n->stop;
		pthread_mutex_unlock(&n->mu);
		throttle_hold(n->thr, 0, dropped, clock_mono_ms());
		for (i = 0; i < k; i++)
			on_change(n, &batch[i], !stopping);
		if (!stopping) {
			retries_due(n, clock_mono_ms());
			summary_due(n, clock_mono_ms());
		}
		pump(n);
		if (stopping && k == 0 && n->live == NULL)
			break;
		(void)curl_multi_poll(n->m, NULL, 0, poll_ms(n), NULL);
	}
	free(batch);
	return NULL;
}

void
notify_post(struct notify *n, const struct correlate_change *chg, size_t k)
{
	size_t	i;
	int64_t	now = clock_mono_ms();

	pthread_mutex_lock(&n->mu);
	for (i = 0; i < k; i++) {
		if (chg[i].severity < n->cfg.notify_min_severity)
			continue;
		if (!(chg[i].kinds & (CHG_OPENED | CHG_SPREAD)) &&
		    chg[i].from >= chg[i].severity)
			continue;
		if (n->qlen == NOTIFY_QUEUE) {
			n->dropped++;
			continue;
		}
		n->q[(n->qhead + n->qlen++) % NOTIFY_QUEUE] =
		    (struct rec){ chg[i], now };
	}
	pthread_mutex_unlock(&n->mu);
	(void)curl_multi_wakeup(n->m);
}

/* ---- life ---- */

/* A message with every member a template may name, and a hostile
 * title, to check the template with. */
static json_t *
sample_vars(void)
{
	struct incident	 i = { .id = 1, .category = "malware",
			    .severity = SEV_HIGH, .status = ST_NEW,
			    .tlp = TLP_AMBER, .title = "a \"title\"\n{{x}}" };
	json_t		*v;

	if ((v = incident_json(&i, 0)) == NULL)
		return NULL;
	if (json_object_update_new(v, json_pack("{s:[s], s:s, s:s, s:i, s:i,"
	    " s:[i]}", "agents", "pc-01", "change", "opened", "raised_from",
	    "medium", "agents_added", 1, "held", 2, "incidents", 1)) != 0) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* The configuration's parts that need more than one line to check. */
static int
check(struct notify *n)
{
	const char	*why;
	char		 bad[TEMPLATE_NAME_MAX + 1];
	json_t		*sample;
	int		 rc = 0;

	if (*n->cfg.notify_command != '\0' && argv_split(n->argv, n->argbuf,
	    sizeof(n->argbuf), n->cfg.notify_command, &why) < 0) {
		log_warnx("notify: command: %s", why);
		return ERR_CONFIG;
	}
	if (*n->cfg.notify_template != '\0') {
		if ((sample = sample_vars()) == NULL)
			return ERR_NOMEM;
		if (template_check(n->cfg.notify_template, sample, bad,
		    &why) != 0) {
			log_warnx("notify: webhook_template%s%s%s: %s",
			    *bad ? ": {{" : "", bad, *bad ? "}}" : "", why);
			rc = ERR_CONFIG;
		}
		json_decref(sample);
	}
	return rc ? rc : mailer_init(&n->mailer, &n->cfg, "notify");
}

/* Is channel ch, target t, still configured? */
static int
configured(const struct notify *n, int ch, int t)
{
	switch (ch) {
	case CH_COMMAND:
		return n->argv[0] != NULL;
	case CH_WEBHOOK:
		return t >= 0 && t < n->cfg.notify_webhook.n;
	default:
		return mail_on(&n->cfg);
	}
}

/*
 * At start: the deliveries a previous run left waiting, due a second
 * from now (then their own schedule). One whose channel is no longer
 * configured is dropped, and said. The body is sent as it was made.
 */
static void
pending_load(struct notify *n)
{
	struct db	*db = store_db(n->st);
	sqlite3_stmt	*st;
	struct job	*j, *drop = NULL;
	const char	*chan, *change;
	int		 ch, rc;

	if ((st = db_table_stmt(db, &n_table, N_PEND_EACH)) == NULL)
		return;
	if (sqlite3_bind_int(st, 1, RETRY_JOBS_MAX) != SQLITE_OK) {
		db_done(st);
		(void)db_fail(db, "notify pending");
		return;
	}
	while ((rc = db_row(db, st, "notify pending")) == 0) {
		chan = (const char *)sqlite3_column_text(st, 3);
		change = (const char *)sqlite3_column_text(st, 2);
		for (ch = 0; ch < 3 && (chan == NULL ||
		    strcmp(chan, ch_name[ch]) != 0); ch++)
			;
		if (job_new(&j, sqlite3_column_int64(st, 1), change ? change :
		    "", ch < 3 ? ch : CH_COMMAND, sqlite3_column_int(st, 4),
		    sqlite3_column_blob(st, 6) ? sqlite3_column_blob(st, 6) :
		    "", (size_t)sqlite3_column_bytes(st, 6)) != 0)
			break;
		j->pending = sqlite3_column_int64(st, 0);
		j->attempt = sqlite3_column_int(st, 5);
		if (ch == 3 || !configured(n, ch, j->target)) {
			j->next = drop;
			drop = j;
			continue;
		}
		j->may_retry = 1;
		j->due = clock_mono_ms() + 1000;
		j->next = n->retry;
		n->retry = j;
		n->nretry++;
	}
	db_done(st);
	while ((j = drop) != NULL) {
		drop = j->next;
		log_warnx("notify: incident %lld %s: a waiting delivery "
		    "dropped: its channel is no longer configured",
		    (long long)j->incident, j->change);
		pending_drop(n, j);
		job_free(j);
	}
	if (n->nretry > 0)
		log_info("notify: %zu deliveries waiting from before the "
		    "start: retried in a second", n->nretry);
}

int
notify_new(struct notify **out, const struct collector_config *cfg,
    const char *dbpath)
{
	struct notify		*n;
	int			 rc = ERR_NOMEM;

	*out = NULL;
	if (!cfg->notify_syslog && *cfg->notify_command == '\0' &&
	    cfg->notify_webhook.n == 0 && !mail_on(cfg))
		return 0;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return ERR_NOMEM;
	n->cfg = *cfg;
	pthread_mutex_init(&n->mu, NULL);
	if ((rc = check(n)) != 0)
		goto fail;
	rc = ERR_NOMEM;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		goto fail;
	n->curl = 1;
	if ((n->m = curl_multi_init()) == NULL)
		goto fail;
	if ((rc = throttle_new(&n->thr, cfg->notify_interval_s * 1000LL,
	    cfg->notify_rate)) != 0 || (rc = store_open(&n->st, dbpath)) != 0)
		goto fail;
	pending_load(n);
	if (pthread_create(&n->thread, NULL, notifier, n) != 0) {
		rc = ERR_NOMEM;
		goto fail;
	}
	n->started = 1;
	*out = n;
	return 0;
fail:
	notify_free(n);
	return rc;
}

void
notify_free(struct notify *n)
{
	struct job	*j;

	if (n == NULL)
		return;
	if (n->started) {
		pthread_mutex_lock(&n->mu);
		n->stop = 1;
		pthread_mutex_unlock(&n->mu);
		(void)curl_multi_wakeup(n->m);
		pthread_join(n->thread, NULL);	/* live is empty then */
	}
	/* waiting retries stay in notify_pending for the next start */
	while ((j = n->retry) != NULL) {
		n->retry = j->next;
		log_info("notify: incident %lld %s: %s: its retry waits for the "
		    "next start", (long long)j->incident, j->change,
		    ch_name[j->channel]);
		pending_keep(n, j);
		job_free(j);
	}
	throttle_free(n->thr);
	store_close(n->st);
	if (n->m != NULL)
		curl_multi_cleanup(n->m);
	if (n->curl)
		curl_global_cleanup();
	mailer_clear(&n->mailer);
	pthread_mutex_destroy(&n->mu);
	free(n);
}
