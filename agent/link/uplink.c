/*
 * uplink.c: the agent daemon's link to its collector.
 *
 * The daemon holds the spool and decides what is sent and when; the
 * uplink worker (upproc.h, upworker.h), unprivileged and filtered, reads
 * everything the collector says: the handshake, the channel, the ACKs.
 *
 * States:  CONNECTING -> HANDSHAKE -> OPEN, and BACKOFF after any
 * failure, from which the retry timer starts CONNECTING again (or
 * WORKER, while no uplink worker is ready: its READY connects).
 *   CONNECTING  TCP connect by the daemon (names resolved through evdns)
 *   HANDSHAKE   the socket is the worker's, as connection gen: it shakes
 *               hands (and answers a busy collector's cookie) and says
 *               OPEN once both stream headers are exchanged
 *   OPEN        batches and heartbeats go to the worker to seal and
 *               send; its ACKs come back
 * Connect and handshake together must finish within connect_timeout;
 * while OPEN, a batch unacknowledged for UPLINK_ACK_TIMEOUT_S with no ACK
 * at all in that time (or, in the worker, output that does not drain for
 * as long) means a dead link. Every failure, the worker's LOST and its
 * end among them, goes through link_lost(), which logs one line, tears
 * the connection down and arms the jittered exponential backoff.
 *
 * Invariants: in OPEN, inflight[] holds the batches sent and not yet
 * fully acknowledged, in send order, with strictly increasing max_seq,
 * and last_sent is the highest seq sent on this connection (0 at OPEN:
 * all that is still spooled is unacknowledged and is sent again; the
 * collector drops duplicates). Events are deleted from the spool only on
 * an ACK, never on send, and only for a seq that was sent: the daemon
 * believes of the worker's ACKs no more than it would of the network.
 *
 * Load: one spool read, one zstd compression, one memfd to the worker
 * (and there one secretstream frame) per batch (up to batch_events events or batch_bytes, at most 1 MiB of
 * plaintext), a window of window_batches batches; one spool_ack
 * transaction per ACK; a heartbeat every heartbeat_s seconds.
 */
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <sodium.h>

#include "enroll.h"
#include "clock.h"
#include "err.h"
#include "event.h"
#include "log.h"
#include "uplink.h"
#include "upproc.h"
#include "version.h"
#include "wire.h"

#define EVENTS_HDR_LEN	10	/* type, flags, u32 count, u32 rawlen */
#define EVENT_HDR_LEN	12	/* u64 seq, u32 len */
#define BATCH_RAW_MAX	(WIRE_MAX_FRAME - EVENTS_HDR_LEN)
#define BATCH_FULL	1	/* spool_read callback: batch is full */
#define ATTEMPT_MAX	64	/* the ceiling is reached long before */

enum link_state {
	LINK_IDLE,
	LINK_WORKER,		/* waiting for a ready worker */
	LINK_CONNECTING,
	LINK_HANDSHAKE,
	LINK_OPEN,
	LINK_BACKOFF,
};

struct inflight {
	uint64_t	 max_seq;
	int64_t		 sent_ms;	/* monotonic */
};

struct uplink {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct spool		*spool;
	const struct agent_config *cfg;
	struct enroll_identity	 id;
	struct upmsg_keys	 keys;
	struct upproc		*worker;
	char			 addr[CONFIG_ADDR_MAX]; /* HOST:PORT */
	char			 host[CONFIG_ADDR_MAX];
	uint16_t		 port;
	int64_t			 started_ms;
	uplink_health_cb	 health_cb;
	void			*health_arg;

	enum link_state		 state;
	unsigned		 attempt;	/* failures since OPEN */
	char			 why[256];	/* reason of a failure */
	struct bufferevent	*bev;		/* while CONNECTING */
	uint32_t		 gen;		/* the worker's connection */
	int			 gen_closed;	/* by the worker, or with it */

	struct event		*ev_retry;	/* backoff over */
	struct event		*ev_deadline;	/* connect+handshake */
	struct event		*ev_poll;	/* spool poll, watchdog */
	struct event		*ev_hb;		/* heartbeat */
	struct event		*ev_status;	/* last_ack_seq <= 1/s */

	struct inflight		*inflight;	/* oldest first */
	size_t			 ninflight;
	size_t			 capinflight;
	uint64_t		 last_sent;
	uint64_t		 acked;
	int64_t			 acked_ms;	/* last ACK, monotonic */

	/* the batch being built: evs[i].len bytes of arena each, in order */
	struct wire_event	*evs;
	size_t			 nevs;
	size_t			 rawlen;
	uint64_t		 batch_last;	/* highest seq looked at */
	struct wbuf		 arena;
	struct wbuf		 plain;		/* inner message */
};

static void	link_connect(struct uplink *);
static void	link_lost(struct uplink *);

/* Record why the link failed (for the log and status); returns rc. */
static int __attribute__((format(printf, 3, 4)))
failed(struct uplink *u, int rc, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	/* a truncated reason is still a reason */
	vsnprintf(u->why, sizeof(u->why), fmt, ap);
	va_end(ap);
	return rc;
}

/* A timer period from a configured value; never 0, so an EV_PERSIST
 * timer cannot spin. */
static void
tv_ms(struct timeval *tv, int64_t ms)
{
	if (ms < 1)
		ms = 1;
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

uint32_t
uplink_backoff_ceiling(int min_ms, int max_ms, unsigned k)
{
	uint64_t	d, max;

	if (max_ms < 1)
		max_ms = 1;
	if (min_ms < 1)
		min_ms = 1;
	max = (uint64_t)max_ms;
	d = (uint64_t)min_ms;
	/* d < max <= INT_MAX before each doubling, so d stays < 2^32 and
	 * the loop runs at most 31 times whatever k is */
	while (k-- > 0 && d < max)
		d *= 2;
	return (uint32_t)(d < max ? d : max);
}

uint32_t
uplink_backoff_ms(int min_ms, int max_ms, unsigned k)
{
	uint32_t	d = uplink_backoff_ceiling(min_ms, max_ms, k);

	return d / 2 + randombytes_uniform(d - d / 2 + 1);
}

/* Link status for `vigil-agent status`; failures are logged, not fatal:
 * the link matters more than its mirror. */
static void
status_set(struct uplink *u, const char *key, const char *val)
{
	int	rc;

	if ((rc = spool_meta_set(u->spool, key, val)) != 0)
		log_warnx("spool: cannot record %s: %s", key,
		    vigil_strerror(rc));
}

static void
status_num(struct uplink *u, const char *key, uint64_t v)
{
	char	num[32];

	snprintf(num, sizeof(num), "%" PRIu64, v);	/* always fits */
	status_set(u, key, num);
}

static void
set_state(struct uplink *u, enum link_state st)
{
	static const char *const names[] = {
		[LINK_IDLE] = "stopped",
		[LINK_WORKER] = "connecting",
		[LINK_CONNECTING] = "connecting",
		[LINK_HANDSHAKE] = "handshake",
		[LINK_OPEN] = "connected",
		[LINK_BACKOFF] = "backoff",
	};
	int	same = strcmp(names[u->state], names[st]) == 0;

	u->state = st;
	if (same)
		return;
	status_set(u, "link_state", names[st]);
	status_num(u, "link_since", (uint64_t)time(NULL));
}

/* u->plain as one DATA record, through the worker. */
static int
send_plain(struct uplink *u)
{
	int	rc;

	if (u->plain.err != 0)
		return failed(u, u->plain.err, "encoding: %s",
		    vigil_strerror(u->plain.err));
	if ((rc = upproc_send(u->worker, u->gen, u->plain.p,
	    u->plain.len)) != 0)
		return failed(u, rc, "the uplink worker: %s",
		    vigil_strerror(rc));
	return 0;
}

static int
drop_cb(void *arg, const char *type, uint64_t n)
{
	json_t	*obj = arg;

	if (json_object_set_new(obj, type,
	    json_integer(n > INT64_MAX ? INT64_MAX : (json_int_t)n)) != 0)
		return ERR_NOMEM;
	return 0;
}

int
uplink_drops_json(struct spool *sp, json_t **out)
{
	json_t	*obj;
	int	 rc;

	*out = NULL;
	if ((obj = json_object()) == NULL)
		return ERR_NOMEM;
	if ((rc = spool_drops(sp, drop_cb, obj)) != 0) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return 0;
}

static json_int_t
ji(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (json_int_t)v;
}

json_t *
uplink_heartbeat_json(int64_t uptime_s, const struct spool_stats *st,
    json_t *by_type)
{
	json_t	*ev = NULL, *hb = NULL;

	if (by_type == NULL && (by_type = json_object()) == NULL)
		return NULL;
	if ((ev = event_build("heartbeat")) == NULL)
		goto fail;
	hb = json_pack("{s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I},"
	    " s:{s:I, s:O}, s:{}}",
	    "version", VIGIL_VERSION,
	    "uptime", (json_int_t)uptime_s,
	    "spool", "depth", ji(st->depth), "bytes", ji(st->bytes),
	    "max_bytes", ji(st->max_bytes), "last_seq", ji(st->last_seq),
	    "acked_seq", ji(st->acked_seq),
	    "drops", "total", ji(st->dropped), "by_type", by_type,
	    "rules");
	if (hb == NULL || json_object_set_new(ev, "heartbeat", hb) != 0)
		goto fail;
	json_decref(by_type);
	return ev;
fail:
	json_decref(by_type);
	json_decref(ev);
	return NULL;
}

/* The heartbeat as compact JSON that fits WIRE_MAX_HEARTBEAT: with very
 * many dropped event types, the per-type counts give way to the total. */
static char *
heartbeat_text(struct uplink *u, size_t *len)
{
	struct spool_stats	 st;
	struct upproc_stats	 ws;
	json_t			*ev = NULL, *by_type = NULL, *drops, *extra;
	char			*s = NULL;
	int			 rc;

	if ((rc = spool_stats(u->spool, &st)) != 0 ||
	    (rc = uplink_drops_json(u->spool, &by_type)) != 0) {
		failed(u, rc, "spool: %s", vigil_strerror(rc));
		return NULL;
	}
	ev = uplink_heartbeat_json((clock_mono_ms() - u->started_ms) / 1000, &st,
	    by_type);
	if (ev != NULL && u->health_cb != NULL &&
	    (extra = u->health_cb(u->health_arg)) != NULL) {
		if (json_object_update(json_object_get(ev, "heartbeat"),
		    extra) != 0) {
			json_decref(extra);
			goto fail;
		}
		json_decref(extra);
	}
	upproc_stats(u->worker, &ws);
	if (ev == NULL || json_object_set_new(json_object_get(ev, "heartbeat"),
	    "uplink", json_pack("{s:I}", "restarts", ji(ws.restarts))) != 0 ||
	    (s = json_dumps(ev, JSON_COMPACT)) == NULL)
		goto fail;
	*len = strlen(s);
	if (*len > WIRE_MAX_HEARTBEAT) {
		free(s);
		s = NULL;
		drops = json_object_get(json_object_get(ev, "heartbeat"),
		    "drops");
		if (json_object_set_new(drops, "by_type", json_object()) != 0 ||
		    json_object_set_new(drops, "by_type_truncated",
		    json_true()) != 0 ||
		    (s = json_dumps(ev, JSON_COMPACT)) == NULL)
			goto fail;
		*len = strlen(s);
	}
	json_decref(ev);
	return s;
fail:
	json_decref(ev);
	failed(u, ERR_NOMEM, "building the heartbeat: out of memory");
	return NULL;
}

void
uplink_set_health(struct uplink *u, uplink_health_cb cb, void *arg)
{
	u->health_cb = cb;
	u->health_arg = arg;
}

static int
send_heartbeat(struct uplink *u)
{
	char	*s;
	size_t	 len;
	int	 rc;

	if ((s = heartbeat_text(u, &len)) == NULL)
		return ERR_NOMEM;
	wbuf_reset(&u->plain);
	rc = wire_heartbeat_encode(&u->plain, s, len);
	free(s);
	if (rc != 0)
		return failed(u, rc, "heartbeat: %s", vigil_strerror(rc));
	return send_plain(u);
}

/* spool_read callback: copy one event into the batch unless it is full. */
static int
batch_add(void *arg, uint64_t seq, const char *json, size_t len)
{
	struct uplink	*u = arg;

	if (u->nevs >= WIRE_MAX_BATCH_EVENTS)
		return BATCH_FULL;
	if (len > EVENT_MAX_LEN) {
		/* The collector would refuse it and it could never leave;
		 * the next acknowledged batch deletes it from the spool. */
		log_warnx("spool: event %" PRIu64 " is %zu bytes, over the "
		    "%d byte limit; not sent", seq, len, EVENT_MAX_LEN);
		u->batch_last = seq;
		return 0;
	}
	if (u->nevs > 0 && u->rawlen + EVENT_HDR_LEN + len > BATCH_RAW_MAX)
		return BATCH_FULL;
	if (wbuf_bytes(&u->arena, json, len) != 0)
		return u->arena.err;
	u->evs[u->nevs].seq = seq;
	u->evs[u->nevs].json = NULL;	/* set when the arena is final */
	u->evs[u->nevs].len = len;
	u->nevs++;
	u->rawlen += EVENT_HDR_LEN + len;
	u->batch_last = seq;
	return 0;
}

/* Read the next batch after last_sent into evs[0..nevs). */
static int
batch_read(struct uplink *u)
{
	const struct agent_config	*cfg = u->cfg;
	size_t				 max, nread, i, off = 0;
	int				 rc;

	max = cfg->batch_events > 0 ? (size_t)cfg->batch_events : 1;
	if (max > WIRE_MAX_BATCH_EVENTS)
		max = WIRE_MAX_BATCH_EVENTS;
	do {
		u->nevs = 0;
		u->rawlen = 0;
		u->batch_last = u->last_sent;
		wbuf_reset(&u->arena);
		rc = spool_read(u->spool, u->last_sent, max, cfg->batch_bytes,
		    batch_add, u, &nread);
		if (rc < 0)
			return failed(u, rc, "spool: %s", vigil_strerror(rc));
		/* only oversized events: step over them and read on */
		if (u->nevs == 0 && u->batch_last > u->last_sent)
			u->last_sent = u->batch_last;
		else
			break;
	} while (1);
	for (i = 0; i < u->nevs; i++) {
		u->evs[i].json = (const char *)u->arena.p + off;
		off += u->evs[i].len;
	}
	return 0;
}

static int
inflight_push(struct uplink *u, uint64_t max_seq)
{
	struct inflight	*p;
	size_t		 cap;

	if (u->ninflight == u->capinflight) {
		cap = u->capinflight ? u->capinflight * 2 : 8;
		p = reallocarray(u->inflight, cap, sizeof(*p));
		if (p == NULL)
			return failed(u, ERR_NOMEM, "out of memory");
		u->inflight = p;
		u->capinflight = cap;
	}
	u->inflight[u->ninflight].max_seq = max_seq;
	u->inflight[u->ninflight].sent_ms = clock_mono_ms();
	u->ninflight++;
	return 0;
}

/* Send batches until the window is full or the spool has nothing new. */
static int
fill_window(struct uplink *u)
{
	size_t	window;
	int	rc;

	window = u->cfg->window_batches > 0 ?
	    (size_t)u->cfg->window_batches : 1;
	while (u->state == LINK_OPEN && u->ninflight < window) {
		if ((rc = batch_read(u)) != 0)
			return rc;
		if (u->nevs == 0)
			break;
		wbuf_reset(&u->plain);
		if ((rc = wire_events_encode(&u->plain, u->evs, u->nevs,
		    u->cfg->compress)) != 0)
			return failed(u, rc, "encoding a batch: %s",
			    vigil_strerror(rc));
		if ((rc = send_plain(u)) != 0 ||
		    (rc = inflight_push(u, u->evs[u->nevs - 1].seq)) != 0)
			return rc;
		u->last_sent = u->evs[u->nevs - 1].seq;
		log_debug("sent %zu events up to seq %" PRIu64 " (%zu bytes)",
		    u->nevs, u->last_sent, u->plain.len);
	}
	return 0;
}

static int
on_ack(struct uplink *u, uint64_t seq)
{
	size_t	n = 0;
	int	rc;

	if (seq > u->last_sent)
		return failed(u, ERR_MALFORMED, "acknowledgement of seq %"
		    PRIu64 ", never sent (last sent %" PRIu64 ")", seq,
		    u->last_sent);
	if (seq <= u->acked)
		return 0;	/* old news: a resent batch */
	if ((rc = spool_ack(u->spool, seq)) != 0)
		return failed(u, rc, "spool: %s", vigil_strerror(rc));
	u->acked = seq;
	u->acked_ms = clock_mono_ms();
	while (n < u->ninflight && u->inflight[n].max_seq <= seq)
		n++;
	memmove(u->inflight, u->inflight + n,
	    (u->ninflight - n) * sizeof(*u->inflight));
	u->ninflight -= n;
	if (!evtimer_pending(u->ev_status, NULL)) {
		struct timeval	tv = { 1, 0 };

		evtimer_add(u->ev_status, &tv);
	}
	return fill_window(u);
}

static void
link_open(struct uplink *u)
{
	struct spool_stats	st;
	struct timeval		tv_hb;
	int			rc;

	evtimer_del(u->ev_deadline);
	set_state(u, LINK_OPEN);
	u->attempt = 0;
	u->last_sent = 0;
	u->ninflight = 0;
	if (spool_stats(u->spool, &st) == 0)
		u->acked = st.acked_seq;
	log_info("connected to collector %s as %s", u->addr, u->id.agent_id);
	tv_ms(&tv_hb, (int64_t)u->cfg->heartbeat_s * 1000);
	evtimer_add(u->ev_hb, &tv_hb);
	if ((rc = send_heartbeat(u)) != 0 || (rc = fill_window(u)) != 0)
		link_lost(u);
}

/* The daemon's part of the connection is done: the socket goes to the
 * worker, which shakes hands on it as connection gen. */
static void
on_connected(struct uplink *u)
{
	uint64_t	ts;
	int		fd, rc;

	fd = fcntl(bufferevent_getfd(u->bev), F_DUPFD_CLOEXEC, 3);
	bufferevent_free(u->bev);	/* closes its descriptor, not ours */
	u->bev = NULL;
	if (fd == -1) {
		failed(u, ERR_IO, "%s", strerror(errno));
		link_lost(u);
		return;
	}
	u->gen++;
	set_state(u, LINK_HANDSHAKE);
	if ((rc = enroll_next_ts(u->spool, &ts)) != 0)
		failed(u, rc, "handshake: %s", vigil_strerror(rc));
	else if ((rc = upproc_connect(u->worker, u->gen, ts, fd)) != 0)
		failed(u, rc, "the uplink worker: %s", rc == ERR_STATE ?
		    "not ready" : "failed");
	(void)close(fd);
	if (rc != 0)
		link_lost(u);
}

/* Only the connect is the bufferevent's: afterwards the socket is the
 * worker's. */
static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct uplink	*u = arg;
	int		 dnserr;

	if (what & BEV_EVENT_CONNECTED) {
		on_connected(u);
		return;
	}
	if ((dnserr = bufferevent_socket_get_dns_error(bev)) != 0)
		failed(u, ERR_IO, "name lookup: %s",
		    evutil_gai_strerror(dnserr));
	else if (what & BEV_EVENT_EOF)
		failed(u, ERR_IO, "connection closed by the collector");
	else
		failed(u, ERR_IO, "%s", evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
	link_lost(u);
}

/* ---- the worker's news ---- */

/* A message about connection gen concerns the current link only if it
 * is that connection's and the link is in one of the states it may
 * change. */
static int
current(const struct uplink *u, uint32_t gen)
{
	return gen == u->gen && (u->state == LINK_HANDSHAKE ||
	    u->state == LINK_OPEN);
}

static void
worker_ready(void *arg)
{
	struct uplink	*u = arg;

	if (u->state == LINK_WORKER)
		link_connect(u);
}

static void
worker_open(void *arg, uint32_t gen, const char *name, const char *office)
{
	struct uplink	*u = arg;

	if (!current(u, gen))
		return;
	if (u->state == LINK_OPEN) {
		failed(u, ERR_MALFORMED, "the uplink worker said OPEN twice");
		link_lost(u);
		return;
	}
	/* the collector's registry is authoritative for name and office */
	if (strcmp(name, u->id.name) != 0) {
		status_set(u, "name", name);
		snprintf(u->id.name, sizeof(u->id.name), "%s", name);
	}
	if (strcmp(office, u->id.office) != 0) {
		status_set(u, "office", office);
		snprintf(u->id.office, sizeof(u->id.office), "%s", office);
	}
	link_open(u);
}

static void
worker_ack(void *arg, uint32_t gen, uint64_t seq)
{
	struct uplink	*u = arg;

	if (!current(u, gen))
		return;
	if (u->state != LINK_OPEN)
		failed(u, ERR_MALFORMED, "an acknowledgement before the "
		    "channel opened");
	else if (on_ack(u, seq) == 0)
		return;
	link_lost(u);
}

static void
worker_lost(void *arg, uint32_t gen, const char *why)
{
	struct uplink	*u = arg;

	if (!current(u, gen))
		return;
	failed(u, ERR_IO, "%s", why);
	u->gen_closed = 1;	/* the worker closed it already */
	link_lost(u);
}

static void
worker_ended(void *arg)
{
	struct uplink	*u = arg;

	if (u->state != LINK_HANDSHAKE && u->state != LINK_OPEN)
		return;		/* a connect in progress goes on */
	failed(u, ERR_IO, "the uplink worker ended");
	u->gen_closed = 1;
	link_lost(u);
}

static void
teardown(struct uplink *u)
{
	if (u->bev != NULL)
		bufferevent_free(u->bev);
	u->bev = NULL;
	if ((u->state == LINK_HANDSHAKE || u->state == LINK_OPEN) &&
	    !u->gen_closed)
		upproc_close(u->worker, u->gen);
	u->gen_closed = 0;
	u->ninflight = 0;
	u->last_sent = 0;
	evtimer_del(u->ev_deadline);
	evtimer_del(u->ev_hb);
}

/* The one way down: log once, record, tear down, schedule the retry. */
static void
link_lost(struct uplink *u)
{
	struct timeval	tv;
	uint32_t	delay;

	if (u->state == LINK_BACKOFF || u->state == LINK_IDLE)
		return;
	if (u->why[0] == '\0')
		snprintf(u->why, sizeof(u->why), "link failed");
	teardown(u);
	delay = uplink_backoff_ms(u->cfg->backoff_min_ms,
	    u->cfg->backoff_max_ms, u->attempt);
	if (u->attempt < ATTEMPT_MAX)
		u->attempt++;
	log_warnx("collector %s: %s; retry in %" PRIu32 " ms", u->addr,
	    u->why, delay);
	status_set(u, "last_error", u->why);
	set_state(u, LINK_BACKOFF);
	u->why[0] = '\0';
	tv_ms(&tv, delay);
	evtimer_add(u->ev_retry, &tv);
}

static void
link_connect(struct uplink *u)
{
	struct timeval	tv;

	tv_ms(&tv, (int64_t)u->cfg->connect_timeout_s * 1000);
	if (u->attempt == 0)
		log_info("connecting to collector %s", u->addr);
	else
		log_debug("connecting to collector %s (attempt %u)", u->addr,
		    u->attempt + 1);
	u->why[0] = '\0';
	if (!upproc_ready(u->worker)) {
		set_state(u, LINK_WORKER);	/* its READY calls again */
		return;
	}
	set_state(u, LINK_CONNECTING);
	u->bev = bufferevent_socket_new(u->base, -1, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	if (u->bev == NULL) {
		failed(u, ERR_NOMEM, "out of memory");
		link_lost(u);
		return;
	}
	bufferevent_setcb(u->bev, NULL, NULL, event_cb, u);
	evtimer_add(u->ev_deadline, &tv);
	/* errors, even immediate ones, arrive through event_cb */
	if (bufferevent_socket_connect_hostname(u->bev, u->dns, AF_UNSPEC,
	    u->host, u->port) != 0) {
		failed(u, ERR_IO, "cannot start connecting");
		link_lost(u);
	}
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	link_connect(arg);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uplink	*u = arg;

	failed(u, ERR_IO, "%s timed out after %d s",
	    u->state == LINK_CONNECTING ? "connect" : "handshake",
	    u->cfg->connect_timeout_s);
	link_lost(u);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uplink	*u = arg;
	int64_t		 since;

	if (u->state != LINK_OPEN)
		return;
	/* dead: the oldest batch has waited that long and no ACK came in
	 * the meantime (a slow collector still makes progress) */
	since = u->ninflight > 0 ? u->inflight[0].sent_ms : 0;
	if (u->acked_ms > since)
		since = u->acked_ms;
	if (u->ninflight > 0 && clock_mono_ms() - since >
	    UPLINK_ACK_TIMEOUT_S * 1000) {
		failed(u, ERR_IO, "no acknowledgement for %d s",
		    UPLINK_ACK_TIMEOUT_S);
		link_lost(u);
		return;
	}
	if (fill_window(u) != 0)
		link_lost(u);
}

static void
heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uplink	*u = arg;

	if (u->state == LINK_OPEN && send_heartbeat(u) != 0)
		link_lost(u);
}

static void
status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uplink	*u = arg;

	status_num(u, "last_ack_seq", u->acked);
}

static int
load_identity(struct uplink *u)
{
	char	path[PATH_MAX];
	int	rc;

	if ((rc = enroll_identity_load(u->spool, &u->id)) != 0) {
		if (rc != ERR_NOTFOUND)
			log_warnx("spool: enrollment record: %s",
			    vigil_strerror(rc));
		return rc;
	}
	if (u->cfg->collector[0] != '\0')
		snprintf(u->addr, sizeof(u->addr), "%s", u->cfg->collector);
	else
		snprintf(u->addr, sizeof(u->addr), "%s", u->id.collector);
	if (config_parse_hostport(u->host, sizeof(u->host), &u->port,
	    u->addr) != 0 || u->host[0] == '\0' || u->port == 0) {
		log_warnx("collector address %s: want HOST:PORT", u->addr);
		return ERR_CONFIG;
	}
	if ((rc = enroll_path(path, sizeof(path), u->cfg->data_dir,
	    ENROLL_KEY_FILE)) != 0)
		return rc;
	memcpy(u->keys.collector_pub, u->id.collector_pub, KEY_LEN);
	if ((rc = keys_load(u->keys.pub, u->keys.priv, path)) != 0) {
		log_warnx("key %s: %s", path, vigil_strerror(rc));
		return rc == ERR_NOTFOUND ? ERR_IO : rc;
	}
	return 0;
}

int
uplink_new(struct uplink **out, struct event_base *base, struct spool *sp,
    const struct agent_config *cfg, const struct upproc_conf *worker)
{
	static const struct upproc_cbs cbs = { worker_ready, worker_open,
	    worker_ack, worker_lost, worker_ended };
	struct uplink		*u;
	struct spool_stats	 st;
	int			 rc = ERR_NOMEM;

	*out = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return ERR_NOMEM;
	u->base = base;
	u->spool = sp;
	u->cfg = cfg;
	u->started_ms = clock_mono_ms();
	wbuf_init(&u->arena, 0);
	wbuf_init(&u->plain, 0);
	if ((rc = load_identity(u)) != 0 ||
	    (rc = upproc_new(&u->worker, base, worker, &u->keys, &cbs,
	    u)) != 0)
		goto fail;
	if ((rc = spool_stats(sp, &st)) != 0)
		goto fail;
	u->acked = st.acked_seq;
	rc = ERR_NOMEM;
	u->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (u->dns == NULL) {
		log_warnx("resolver: cannot read /etc/resolv.conf; only "
		    "numeric collector addresses will work");
		u->dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	}
	if (u->dns == NULL ||
	    (u->evs = calloc(WIRE_MAX_BATCH_EVENTS, sizeof(*u->evs))) == NULL ||
	    (u->ev_retry = evtimer_new(base, retry_cb, u)) == NULL ||
	    (u->ev_deadline = evtimer_new(base, deadline_cb, u)) == NULL ||
	    (u->ev_poll = event_new(base, -1, EV_PERSIST, poll_cb,
	    u)) == NULL ||
	    (u->ev_hb = event_new(base, -1, EV_PERSIST, heartbeat_cb,
	    u)) == NULL ||
	    (u->ev_status = evtimer_new(base, status_cb, u)) == NULL)
		goto fail;
	*out = u;
	return 0;
fail:
	uplink_free(u);
	return rc;
}

int
uplink_start(struct uplink *u)
{
	struct timeval	tv;

	if (u->state != LINK_IDLE)
		return ERR_STATE;
	status_num(u, "daemon_pid", (uint64_t)getpid());
	tv_ms(&tv, u->cfg->poll_ms);
	if (evtimer_add(u->ev_poll, &tv) != 0)
		return ERR_NOMEM;
	link_connect(u);
	return 0;
}

void
uplink_kick(struct uplink *u)
{
	if (u->state == LINK_OPEN && fill_window(u) != 0)
		link_lost(u);
}

void
uplink_reload(struct uplink *u)
{
	struct timeval	tv;

	tv_ms(&tv, u->cfg->poll_ms);
	evtimer_add(u->ev_poll, &tv);
	if (u->state == LINK_OPEN) {
		tv_ms(&tv, (int64_t)u->cfg->heartbeat_s * 1000);
		evtimer_add(u->ev_hb, &tv);
	}
	uplink_kick(u);
}

void
uplink_free(struct uplink *u)
{
	if (u == NULL)
		return;
	if (u->state != LINK_IDLE) {
		teardown(u);
		status_num(u, "last_ack_seq", u->acked);
		set_state(u, LINK_IDLE);
	}
	if (u->ev_retry != NULL)
		event_free(u->ev_retry);
	if (u->ev_deadline != NULL)
		event_free(u->ev_deadline);
	if (u->ev_poll != NULL)
		event_free(u->ev_poll);
	if (u->ev_hb != NULL)
		event_free(u->ev_hb);
	if (u->ev_status != NULL)
		event_free(u->ev_status);
	/* fail pending lookups, so a freed bufferevent waiting on one gets
	 * its callback and drops its last reference */
	if (u->dns != NULL)
		evdns_base_free(u->dns, 1);
	free(u->inflight);
	free(u->evs);
	upproc_free(u->worker);
	wbuf_free(&u->arena);
	wbuf_free(&u->plain);
	sodium_memzero(&u->keys, sizeof(u->keys));
	free(u);
}
