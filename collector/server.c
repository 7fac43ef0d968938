/*
 * server.c: agents' connections to the collector.
 *
 * Per connection: HELLO (KEYREQ and HS_INIT accepted) [-> COOKIE (busy:
 * HS_INIT_COOKIE only)] -> STREAM_HDR (the agent's secretstream header)
 * -> OPEN (DATA only) -> closed. A record type the state does not accept
 * is refused at its header. A connection that breaks the protocol in any
 * way is closed with one log line naming the peer and the reason (rate-
 * limited before the handshake); nothing it sent is acknowledged unless
 * it was committed, so the agent resends it on its next link.
 *
 * Before the handshake a connection reads at most PREAUTH_INPUT_MAX
 * bytes, counts against its source address (srclimit) and against
 * handshake_memory (the oldest makes way), and gets the Diffie-Hellman
 * work only within its address's allowance and, when the collector is
 * busy, with a cookie (cookie.c). The work itself is handshake.c's;
 * turning messages into writer batches is intake.c's.
 *
 * Invariants: a struct conn lives until its socket is closed AND every
 * batch it handed to the writer has come back (inflight == 0); the ACK
 * for a batch is sent only after the writer committed it. Closing a
 * connection never takes it off a walked list (conns, paused): it only
 * marks it C_DEAD and queues it for reap(), which unlinks and frees it
 * from an event of its own. So a close anywhere (a handshake replacing an
 * older connection, a revocation, an eviction) is safe whatever list is
 * being walked at the time; walkers skip C_DEAD entries. A connection
 * stops reading (paused) while the writer is behind or its agent is over
 * its quota (quota.c); it is resumed by the next commit or its own timer.
 *
 * Load: thousands of mostly idle connections; tens of thousands of
 * events per second in batches of up to 4096. Memory per connection: the
 * bufferevent and a chan; about 2 KiB before the handshake. A decrypted
 * message, its decompressed events and an outgoing record live only
 * while one record is handled, so the server keeps one buffer of each
 * for all connections (the loop handles one record at a time): they stay
 * warm under load instead of being allocated (and their pages faulted
 * in) per frame, and are given back after a second without records.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <jansson.h>
#include <sodium.h>

#include "clock.h"
#include "cookie.h"
#include "err.h"
#include "event.h"
#include "forward.h"
#include "handshake.h"
#include "ingest.h"
#include "intake.h"
#include "log.h"
#include "logrl.h"
#include "quota.h"
#include "server.h"
#include "srclimit.h"
#include "store.h"
#include "wire.h"

#define CONN_MAX_INFLIGHT	8	/* batches at the writer per agent */
#define IDLE_BUF_MAX		(64 * 1024)	/* keep at most this per idle conn */
#define REVOKE_CHECK_SECS	2
#define TICK_MS			1000	/* housekeeping */
/* Before the handshake a connection reads at most this much: every
 * record it may send then is smaller (KEYREQ 6, HS_INIT 158 bytes). */
#define PREAUTH_INPUT_MAX	256
/* What one connection before its handshake costs, for handshake_memory:
 * struct conn, the bufferevent, its evbuffers and timers, the input
 * above and malloc's overhead, rounded up (measured: docs/benchmarks.md). */
#define PREAUTH_CONN_COST	4096
#define RECORD_INPUT_MAX	(2 * (WIRE_MAX_RECORD + 4))	/* after it */
#define REFUSAL_LOG_BURST	30	/* lines at once, then */
#define REFUSAL_LOG_MS		1000	/* one a second, and */
#define REFUSAL_SUMMARY_MS	10000	/* a count every 10 s */
#define QUOTA_REPORT_MS		60000	/* agent_health per agent, at most */
#define HOLD_COMMIT		(-1)	/* conn_hold: until the writer commits */
#define JSON_ARENA		(64 * 1024)	/* one event's tree, mostly */

/* HELLO: KEYREQ, HS_INIT. COOKIE: we asked for a cookie; HS_INIT_COOKIE
 * only. STREAM_HDR: authenticated, the agent's stream header next.
 * OPEN: DATA only. */
enum conn_state { C_HELLO, C_COOKIE, C_STREAM_HDR, C_OPEN, C_DEAD };

struct conn {
	TAILQ_ENTRY(conn)	 entry;		/* on srv->conns until reaped */
	TAILQ_ENTRY(conn)	 pentry;	/* on srv->paused while paused */
	TAILQ_ENTRY(conn)	 dentry;	/* on srv->dead once closed */
	TAILQ_ENTRY(conn)	 qentry;	/* on srv->preauth, oldest
						 * first, until authenticated */
	struct server		*srv;
	struct bufferevent	*bev;
	struct event		*deadline;
	struct event		*wake;		/* end of a quota wait */
	enum conn_state		 state;
	int			 preauth;	/* counted in srv->npreauth and
						 * the source's srclimit entry */
	struct srclimit_key	 src;
	struct sockaddr_storage	 sa;		/* the peer, for its cookie */
	char			 peer[STORE_ADDR_MAX + 1];
	struct chan		*ch;
	int64_t			 rowid;
	char			 id[AGENT_ID_STRLEN];
	char			 name[STORE_NAME_MAX + 1];
	unsigned		 inflight;
	int			 paused;
	int			 keyreqs;
	uint64_t		 events;
};

TAILQ_HEAD(connlist, conn);

struct server {
	struct event_base	*base;
	struct collector_config	 cfg;
	struct correlate_conf	 corr;		/* borrows cfg */
	struct store		*store;		/* event-loop thread's handle */
	struct ingest		*ingest;
	struct notify		*notify;	/* the early warning; NULL: off */
	struct forward		*forward;	/* to a SIEM; NULL: off */
	struct evconnlistener	*listener;
	struct event		*revoke_timer;
	struct event		*tick;		/* housekeeping, every second */
	struct srclimit		*sources;	/* per-address limits */
	struct quota		*quota;		/* per-agent limits */
	struct cookie_jar	*cookies;	/* under load: cookies first */
	struct logrl		 refusals;	/* log lines of refused peers */
	size_t			 npreauth;	/* conns before their handshake */
	struct connlist		 preauth;	/* the same, oldest first */
	struct connlist		 conns;		/* every conn not yet reaped */
	struct connlist		 dead;		/* closed, waiting for reap */
	struct connlist		 paused;	/* reading stopped: flow control */
	struct event		*reap_ev;
	size_t			 nconns;
	/* one record at a time: its plaintext, the decompressed events,
	 * an outgoing record (see the top) */
	struct wbuf		 plain, scratch, out;
	struct jarena		 arena;		/* each event's parse tree */
	int			 busy;		/* records since the last tick */
	uint8_t			 pub[KEY_LEN];
	uint8_t			 priv[KEY_LEN];
};

static void	conn_read(struct bufferevent *, void *);
static void	conn_close(struct conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* A connection that has not proved who it is leaves the pre-handshake
 * accounting: it authenticated or it closed. (srv->preauth is a queue,
 * never walked, so taking c off it here is safe.) */
static void
conn_unpreauth(struct conn *c)
{
	if (!c->preauth)
		return;
	c->preauth = 0;
	c->srv->npreauth--;
	TAILQ_REMOVE(&c->srv->preauth, c, qentry);
	srclimit_close(c->srv->sources, &c->src, clock_mono_ms());
}

static void
conn_free(struct conn *c)
{
	if (c->wake != NULL)
		event_free(c->wake);
	chan_free(c->ch);
	free(c);
}

/* Unlink and free closed connections whose batches have all come back.
 * Runs as its own event, never inside a walk of any list, so no callback
 * or walker ever sees a struct conn unlinked or freed under it. */
static void
reap(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;
	struct conn	*c, *next;

	for (c = TAILQ_FIRST(&srv->dead); c != NULL; c = next) {
		next = TAILQ_NEXT(c, dentry);
		if (c->inflight != 0)
			continue;
		TAILQ_REMOVE(&srv->dead, c, dentry);
		TAILQ_REMOVE(&srv->conns, c, entry);
		if (c->paused)
			TAILQ_REMOVE(&srv->paused, c, pentry);
		conn_free(c);
	}
}

/* Close the socket now and mark the connection dead; it stays on every
 * list it is on until reap() unlinks and frees it, once the writer has
 * returned every batch of this connection. */
static void
conn_close(struct conn *c, int warn, const char *fmt, ...)
{
	char	reason[256];
	va_list	ap;

	if (c->state == C_DEAD)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (c->id[0] != '\0' && warn)
		log_warnx("agent %s (%s) at %s: %s; connection closed", c->name,
		    c->id, c->peer, reason);
	else if (c->id[0] != '\0')
		log_info("agent %s (%s) at %s: %s", c->name, c->id, c->peer,
		    reason);
	else if (warn && logrl_allow(&c->srv->refusals, clock_mono_ms()))
		log_warnx("peer %s: %s; connection closed", c->peer, reason);
	else
		log_debug("peer %s: %s", c->peer, reason);
	conn_unpreauth(c);
	c->state = C_DEAD;
	evtimer_del(c->wake);
	if (c->deadline != NULL) {
		event_free(c->deadline);
		c->deadline = NULL;
	}
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->srv->nconns--;
	TAILQ_INSERT_TAIL(&c->srv->dead, c, dentry);
	event_active(c->srv->reap_ev, 0, 0);
}

/* Send one inner message (in srv->plain) as a DATA record. */
static int
conn_send_plain(struct conn *c)
{
	struct server	*srv = c->srv;
	int		 rc;

	wbuf_reset(&srv->out);
	if ((rc = chan_seal(c->ch, &srv->out, srv->plain.p,
	    srv->plain.len)) != 0)
		return rc;
	if (bufferevent_write(c->bev, srv->out.p, srv->out.len) != 0)
		return ERR_IO;
	return 0;
}

static int
conn_send_record(struct conn *c, uint8_t type, const void *body, size_t len)
{
	int	rc;

	wbuf_reset(&c->srv->out);
	if ((rc = wire_record_put(&c->srv->out, type, body, len)) != 0)
		return rc;
	return bufferevent_write(c->bev, c->srv->out.p, c->srv->out.len) == 0 ?
	    0 :
	    ERR_IO;
}

/* The writer's queue is over its limits (config [store] queue_events,
 * queue_bytes): connections stop reading until it commits. */
static int
writer_full(struct server *srv)
{
	size_t	bytes, events;

	events = ingest_backlog(srv->ingest, &bytes);
	return events > (size_t)srv->cfg.queue_events ||
	    bytes > srv->cfg.queue_bytes;
}

/* Whether c must stop reading: 0 no; HOLD_COMMIT until the writer has
 * committed (its own batches, or the queue is full); or the ms its agent
 * must wait for its quota. */
static int64_t
conn_hold(struct conn *c)
{
	if (c->inflight >= CONN_MAX_INFLIGHT || writer_full(c->srv))
		return HOLD_COMMIT;
	if (c->rowid == 0)
		return 0;
	return quota_wait(c->srv->quota, c->rowid, clock_mono_ms());
}

static void
conn_pause(struct conn *c, int64_t hold)
{
	struct timeval	tv;

	if (hold > 0) {
		tv.tv_sec = (time_t)(hold / 1000);
		tv.tv_usec = (suseconds_t)(hold % 1000) * 1000;
		evtimer_add(c->wake, &tv);
	}
	if (c->paused)
		return;
	c->paused = 1;
	TAILQ_INSERT_TAIL(&c->srv->paused, c, pentry);
	bufferevent_disable(c->bev, EV_READ);
}

/* Take c off the paused list and read what it has buffered. Only from
 * the walk below or an event of c's own. */
static void
conn_resume(struct conn *c)
{
	TAILQ_REMOVE(&c->srv->paused, c, pentry);
	c->paused = 0;
	bufferevent_enable(c->bev, EV_READ);
	conn_read(c->bev, c);	/* records already buffered */
}

/* After any commit: let paused connections read again where they may.
 * Every paused connection is rechecked, not only the one whose batch
 * committed: one paused on the global backlog may have nothing in flight.
 * O(paused connections) per commit, and only while some are paused.
 *
 * The walk is over srv->paused itself, never a copy: reading may close
 * other connections (a handshake replaces an older one), and closing
 * leaves them linked (reap() unlinks later), so next stays valid. A
 * connection that pauses again is appended behind last and waits for the
 * next commit. */
static void
resume_paused(struct server *srv)
{
	struct conn	*c, *next, *last;

	last = TAILQ_LAST(&srv->paused, connlist);
	for (c = TAILQ_FIRST(&srv->paused); c != NULL; c = next) {
		next = c == last ? NULL : TAILQ_NEXT(c, pentry);
		/* one waiting for its quota has its own timer */
		if (c->state != C_DEAD && conn_hold(c) == 0)
			conn_resume(c);
	}
}

/* A quota wait is over: read again, or wait on. */
static void
conn_wake(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	int64_t		 hold;

	if (c->state == C_DEAD || !c->paused)
		return;
	if ((hold = conn_hold(c)) == 0)
		conn_resume(c);
	else if (hold > 0)
		conn_pause(c, hold);
}

static void
on_committed(void *arg, struct ingest_batch *b)
{
	struct server	*srv = arg;
	struct conn	*c = b->owner;
	int		 rc;

	if (b->kind == INGEST_HEALTH) {
		if (b->rc != 0)
			log_warnx("store: an agent_health event was not stored: "
			    "%s", vigil_strerror(b->rc));
		goto out;
	}
	c->inflight--;
	if (c->state == C_DEAD) {
		if (c->inflight == 0)
			event_active(srv->reap_ev, 0, 0);
		goto out;
	}
	if (b->kind != INGEST_EVENTS)
		goto out;
	if (b->rc != 0) {
		conn_close(c, 1, "store failed (%s); events not acknowledged, "
		    "the agent will resend", vigil_strerror(b->rc));
		goto out;
	}
	wbuf_reset(&srv->plain);
	if ((rc = wire_ack_encode(&srv->plain, b->max_seq)) != 0 ||
	    (rc = conn_send_plain(c)) != 0)
		conn_close(c, 1, "sending ack: %s", vigil_strerror(rc));
out:
	ingest_batch_put(srv->ingest, b);
	resume_paused(srv);
}

/* Close any older connection of the same agent: the new one supersedes it
 * (its unacknowledged events will be resent on the new link). */
static void
replace_older(struct server *srv, struct conn *c)
{
	struct conn	*o;

	TAILQ_FOREACH(o, &srv->conns, entry)
		if (o != c && o->rowid == c->rowid && o->id[0] != '\0')
			conn_close(o, 0, "replaced by a new connection");
}

/* Whether c may have its handshake done now: 0 yes (the Diffie-Hellman
 * work is counted); 1 not yet: a COOKIE went back and c waits for the
 * HS_INIT_COOKIE; or an error, c closed. Cheap: keyed hashes only. */
static int
hs_admit(struct conn *c, const uint8_t *body, int with_cookie)
{
	struct server	*srv = c->srv;
	uint8_t		 reply[WIRE_COOKIE_REPLY_LEN];
	int64_t		 now = clock_mono_ms();
	int		 rc;

	if (with_cookie) {
		if (cookie_jar_check(srv->cookies, now, (struct sockaddr *)
		    &c->sa, body) != 0) {
			conn_close(c, 1, "handshake with a wrong cookie");
			return ERR_AUTH;
		}
	} else if (cookie_jar_busy(srv->cookies, now,
	    srv->cfg.cookie_threshold)) {
		if ((rc = cookie_jar_reply(srv->cookies, now, (struct sockaddr *)
		    &c->sa, body, reply)) != 0 ||
		    (rc = conn_send_record(c, WIRE_COOKIE, reply,
		    sizeof(reply))) != 0) {
			conn_close(c, 1, "sending a cookie: %s",
			    vigil_strerror(rc));
			return rc;
		}
		c->state = C_COOKIE;
		return 1;
	}
	/* the expensive part (four DH) only within the address's allowance */
	if (srclimit_handshake(srv->sources, &c->src, now) != 0) {
		conn_close(c, 1, "too many handshakes from this address "
		    "(source_handshakes %d per second)",
		    srv->cfg.source_handshakes);
		return ERR_AGAIN;
	}
	cookie_jar_count(srv->cookies, now);
	return 0;
}

/* HS_INIT, or HS_INIT_COOKIE (the same message and a cookie MAC). */
static int
on_hs_init(struct conn *c, const uint8_t *body, int with_cookie)
{
	struct server		*srv = c->srv;
	struct handshake	 h;
	int			 rc;

	if ((rc = hs_admit(c, body, with_cookie)) != 0)
		return rc > 0 ? 0 : rc;
	rc = handshake_respond(&h, srv->store, srv->pub, srv->priv, body,
	    c->peer);
	if (h.ag.id[0] != '\0') {
		memcpy(c->id, h.ag.id, sizeof(c->id));
		snprintf(c->name, sizeof(c->name), "%s", h.ag.name);
		c->rowid = h.ag.rowid;
	}
	if (rc != 0) {
		conn_close(c, 1, "%s", h.why);
		goto out;
	}
	c->ch = h.ch;
	h.ch = NULL;
	if ((rc = conn_send_record(c, WIRE_HS_RESP, h.resp,
	    sizeof(h.resp))) != 0 || (rc = conn_send_record(c, WIRE_STREAM_HDR,
	    h.hdr, sizeof(h.hdr))) != 0) {
		conn_close(c, 1, "handshake: %s", vigil_strerror(rc));
		goto out;
	}
	c->state = C_STREAM_HDR;
	conn_unpreauth(c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, RECORD_INPUT_MAX);
	replace_older(srv, c);
	log_info("agent %s (%s, office %s) connected from %s, version %s",
	    h.ag.name, h.ag.id, h.ag.office, c->peer, h.version);
out:
	handshake_clear(&h);
	return rc;
}

/* Hand b to the writer for c, and charge c's agent for n events of
 * nbytes: if that puts it over its quota, conn_read() stops reading from
 * it until the wait is over. */
static int
conn_submit(struct conn *c, struct ingest_batch *b, uint64_t n,
    uint64_t nbytes)
{
	int64_t	w;

	c->inflight++;
	ingest_submit(c->srv->ingest, b);
	w = quota_charge(c->srv->quota, c->rowid, clock_mono_ms(), n, nbytes);
	if (w < 0) {
		conn_close(c, 1, "out of memory");
		return (int)w;
	}
	return 0;
}

static int
on_events(struct conn *c)
{
	struct server		*srv = c->srv;
	struct intake_env	 env = { .pool = srv->ingest,
	    .scratch = &srv->scratch, .arena = &srv->arena,
	    .event_max = (size_t)srv->cfg.event_max };
	struct intake_counts	 n;
	struct ingest_batch	*b;
	int			 rc;

	rc = intake_events(&b, &n, &env, c, c->rowid, srv->plain.p,
	    srv->plain.len);
	if (rc != 0) {
		conn_close(c, 1, "bad events message: %s", vigil_strerror(rc));
		return rc;
	}
	if (n.malformed > 0)
		log_warnx("agent %s (%s): %zu malformed events stored as "
		    "\"malformed\"", c->name, c->id, n.malformed);
	if (n.refused > 0) {
		log_warnx("agent %s (%s): %zu events over max_event_size (%d "
		    "bytes) stored as agent_health", c->name, c->id, n.refused,
		    c->srv->cfg.event_max);
		if (quota_refused(c->srv->quota, c->rowid, n.refused,
		    n.refused_bytes) != 0)
			log_warnx("quota: out of memory");
	}
	if (b == NULL)
		return 0;
	c->events += b->n;
	return conn_submit(c, b, n.events, n.bytes);
}

static int
on_heartbeat(struct conn *c)
{
	struct ingest_batch	*b;
	const char		*why = NULL;
	int			 rc;

	rc = intake_heartbeat(&b, c, c->rowid, c->srv->plain.p,
	    c->srv->plain.len, &why);
	if (rc == ERR_NOMEM)
		conn_close(c, 1, "out of memory");
	else if (rc != 0)
		conn_close(c, 1, "bad heartbeat: %s", why);
	if (rc != 0)
		return rc;
	/* heartbeats count against the quota too: each is a write */
	return conn_submit(c, b, 1, c->srv->plain.len);
}

static int
on_data(struct conn *c, const uint8_t *body, size_t len)
{
	struct wbuf	*plain = &c->srv->plain;
	int		 rc;

	c->srv->busy = 1;
	if ((rc = chan_open(c->ch, plain, body, len)) != 0) {
		conn_close(c, 1, "bad frame: %s", rc == ERR_AUTH ?
		    "authentication failed (forged, replayed or reordered)" :
		    vigil_strerror(rc));
		return rc;
	}
	if (plain->len == 0) {
		conn_close(c, 1, "empty message");
		return ERR_MALFORMED;
	}
	switch (plain->p[0]) {
	case WIRE_MSG_EVENTS:
		return on_events(c);
	case WIRE_MSG_HEARTBEAT:
		return on_heartbeat(c);
	default:
		conn_close(c, 1, "unexpected message type %u", plain->p[0]);
		return ERR_MALFORMED;
	}
}

/* The record types each state accepts; anything else is refused at its
 * header, before a byte of its body is buffered. */
static int
conn_accepts(const struct conn *c, uint8_t type)
{
	switch (c->state) {
	case C_HELLO:
		return type == WIRE_KEYREQ || type == WIRE_HS_INIT;
	case C_COOKIE:
		return type == WIRE_HS_INIT_COOKIE;
	case C_STREAM_HDR:
		return type == WIRE_STREAM_HDR;
	case C_OPEN:
		return type == WIRE_DATA;
	case C_DEAD:
		break;
	}
	return 0;
}

/* How much input a connection may buffer: one small record before its
 * handshake, two of the largest after it. */
static size_t
conn_input_max(const struct conn *c)
{
	return c->preauth ? PREAUTH_INPUT_MAX : RECORD_INPUT_MAX;
}

static int
on_stream_hdr(struct conn *c, const uint8_t *body)
{
	struct timeval	tv;
	int		rc;

	if ((rc = chan_accept(c->ch, body)) != 0) {
		conn_close(c, 1, "bad stream header");
		return rc;
	}
	c->state = C_OPEN;
	event_free(c->deadline);
	c->deadline = NULL;
	tv.tv_sec = c->srv->cfg.idle_timeout_s;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	return 0;
}

/* One whole record of a type conn_accepts() let through. */
static int
on_record(struct conn *c, uint8_t type, const uint8_t *body, size_t len)
{
	switch (type) {
	case WIRE_KEYREQ:
		if (body[0] != WIRE_VERSION || ++c->keyreqs > 2) {
			conn_close(c, 1, "bad key request");
			return ERR_MALFORMED;
		}
		return conn_send_record(c, WIRE_KEYRESP, c->srv->pub, KEY_LEN);
	case WIRE_HS_INIT:
		return on_hs_init(c, body, 0);
	case WIRE_HS_INIT_COOKIE:
		return on_hs_init(c, body, 1);
	case WIRE_STREAM_HDR:
		return on_stream_hdr(c, body);
	case WIRE_DATA:
		return on_data(c, body, len);
	}
	conn_close(c, 1, "unexpected record type %u", type);
	return ERR_MALFORMED;
}

/* A second without records: give back the frame-sized buffers. */
static void
server_trim(struct server *srv)
{
	ingest_pool_trim(srv->ingest);
	if (srv->busy) {
		srv->busy = 0;
		return;
	}
	/* their contents are only used while one record is handled */
	wbuf_reset(&srv->plain);
	wbuf_reset(&srv->scratch);
	wbuf_reset(&srv->out);
	wbuf_shrink(&srv->plain, IDLE_BUF_MAX);
	wbuf_shrink(&srv->scratch, IDLE_BUF_MAX);
	wbuf_shrink(&srv->out, IDLE_BUF_MAX);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 hdr[WIRE_HDR_LEN], type;
	const uint8_t	*rec;
	size_t		 avail, blen;
	int64_t		 hold;
	int		 rc;

	for (;;) {
		avail = evbuffer_get_length(in);
		if (avail < WIRE_HDR_LEN)
			return;
		evbuffer_copyout(in, hdr, WIRE_HDR_LEN);
		if ((rc = wire_record_header(hdr, &type, &blen)) != 0) {
			conn_close(c, 1, "bad record header (%s)",
			    rc == ERR_TOOBIG ? "length over the limit" :
			    "unknown type or wrong length");
			return;
		}
		if (!conn_accepts(c, type)) {
			conn_close(c, 1, "unexpected record type %u", type);
			return;
		}
		if (avail < WIRE_HDR_LEN + blen) {
			bufferevent_setwatermark(bev, EV_READ,
			    WIRE_HDR_LEN + blen, conn_input_max(c));
			return;
		}
		bufferevent_setwatermark(bev, EV_READ, 0, conn_input_max(c));
		rec = evbuffer_pullup(in, (ssize_t)(WIRE_HDR_LEN + blen));
		if (rec == NULL) {
			conn_close(c, 1, "out of memory");
			return;
		}
		rc = on_record(c, type, rec + WIRE_HDR_LEN, blen);
		if (c->state == C_DEAD)
			return;		/* freed later by reap() */
		evbuffer_drain(in, WIRE_HDR_LEN + blen);
		if (rc != 0) {
			conn_close(c, 1, "%s", vigil_strerror(rc));
			return;
		}
		if ((hold = conn_hold(c)) != 0) {
			conn_pause(c, hold);
			return;
		}
	}
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		conn_close(c, 1, c->state == C_OPEN ? "idle timeout" :
		    "handshake timeout");
	else if (what & BEV_EVENT_EOF)
		conn_close(c, 0, "disconnected");
	else if ((what & BEV_EVENT_ERROR) && EVUTIL_SOCKET_ERROR() == ECONNRESET)
		conn_close(c, 0, "connection reset by peer");
	else if (what & BEV_EVENT_ERROR)
		conn_close(c, 1, "socket error: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
conn_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	conn_close(c, 1, "handshake timeout");
}

static void
format_peer(char *out, size_t outlen, const struct sockaddr *sa)
{
	char	host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(s4->sin_port));
	} else {
		snprintf(out, outlen, "?");
	}
}

/* Whether a new connection with source key k may be taken: NULL, or why
 * not. NULL means the source's srclimit entry now counts it. */
static const char *
accept_refusal(struct server *srv, const struct srclimit_key *k)
{
	if (srv->nconns >= (size_t)srv->cfg.max_connections)
		return "connection limit (max_connections) reached";
	switch (srclimit_open(srv->sources, k, clock_mono_ms())) {
	case 0:
		return NULL;
	case ERR_TOOBIG:
		return "too many connections from this address before their "
		    "handshake (source_connections)";
	default:
		return "too many addresses in their handshake at once";
	}
}

/* The struct conn for an accepted socket; NULL (socket closed) if out
 * of memory. */
static struct conn *
conn_new(struct server *srv, evutil_socket_t fd, const struct sockaddr *sa)
{
	struct conn	*c;
	int		 one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	c->srv = srv;
	memcpy(&c->sa, sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	format_peer(c->peer, sizeof(c->peer), sa);
	/* a latency hint only: nothing depends on it */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(srv->base, conn_deadline, c);
	c->wake = evtimer_new(srv->base, conn_wake, c);
	if (c->bev != NULL && c->deadline != NULL && c->wake != NULL)
		return c;
	if (c->bev == NULL)
		evutil_closesocket(fd);
	else
		bufferevent_free(c->bev);
	if (c->deadline != NULL)
		event_free(c->deadline);
	conn_free(c);
	return NULL;
}

/* Room for one more connection before its handshake within
 * handshake_memory: the oldest ones make way. A flood from many addresses
 * then only shortens the time each gets to finish its handshake (the
 * budget over the flood's rate: 4096 connections at 10,000 a second is
 * 0.4 s, many round trips), instead of locking everyone out. */
static void
preauth_make_room(struct server *srv)
{
	struct conn	*old;

	while ((srv->npreauth + 1) * PREAUTH_CONN_COST >
	    srv->cfg.handshake_memory &&
	    (old = TAILQ_FIRST(&srv->preauth)) != NULL)
		conn_close(old, 1, "evicted: handshake_memory is full and this "
		    "was the oldest connection before its handshake");
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct server		*srv = arg;
	struct srclimit_key	 k;
	struct conn		*c;
	struct timeval		 tv;
	const char		*why;
	char			 peer[STORE_ADDR_MAX + 1];

	if (srclimit_key(&k, sa) != 0)
		why = "not an IP address";
	else
		why = accept_refusal(srv, &k);
	if (why != NULL) {
		if (logrl_allow(&srv->refusals, clock_mono_ms())) {
			format_peer(peer, sizeof(peer), sa);
			log_warnx("peer %s: refused: %s", peer, why);
		}
		evutil_closesocket(fd);
		return;
	}
	if ((c = conn_new(srv, fd, sa)) == NULL) {
		srclimit_close(srv->sources, &k, clock_mono_ms());
		return;
	}
	preauth_make_room(srv);
	c->src = k;
	c->preauth = 1;
	srv->npreauth++;
	TAILQ_INSERT_TAIL(&srv->preauth, c, qentry);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	tv.tv_sec = srv->cfg.handshake_timeout_s;
	tv.tv_usec = 0;
	evtimer_add(c->deadline, &tv);
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_setwatermark(c->bev, EV_READ, 0, PREAUTH_INPUT_MAX);
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("peer %s: connected", c->peer);
}

static void
on_listen_error(struct evconnlistener *l, void *arg)
{
	log_warnx("accept: %s",
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
revoke_check(evutil_socket_t fd, short what, void *arg)
{
	struct server		*srv = arg;
	struct conn		*c;
	struct store_agent	 ag;

	if (store_changed(srv->store) <= 0)
		return;
	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (c->id[0] == '\0' || c->state == C_DEAD)
			continue;
		if (store_agent_get_rowid(srv->store, &ag, c->rowid) == 0) {
			if (ag.revoked)
				conn_close(c, 1, "revoked by the operator");
			store_agent_clear(&ag);
		}
	}
}

static void
quota_conf_of(struct quota_conf *qc, const struct collector_config *cfg)
{
	qc->events = (uint64_t)cfg->quota_events;
	qc->bytes = cfg->quota_bytes;
}

/* quota_report callback: store an agent_health event about the agent
 * and say so in the log. */
static int
report_quota(void *arg, int64_t rowid, const struct quota_stats *st)
{
	struct server		*srv = arg;
	struct ingest_batch	*b;
	struct quota_conf	 qc;
	struct store_agent	 ag;
	int			 rc;

	quota_conf_of(&qc, &srv->cfg);
	if ((rc = intake_health(&b, rowid, st, &qc,
	    (size_t)srv->cfg.event_max)) != 0)
		return rc;
	ingest_submit(srv->ingest, b);
	memset(&ag, 0, sizeof(ag));
	if (store_agent_get_rowid(srv->store, &ag, rowid) != 0)
		snprintf(ag.name, sizeof(ag.name), "#%lld", (long long)rowid);
	log_warnx("agent %s (%s): over its quota (%llu events and %llu bytes "
	    "beyond it, slowed down %llu ms) and %llu events over "
	    "max_event_size; stored as agent_health", ag.name, ag.id,
	    (unsigned long long)st->events_over,
	    (unsigned long long)st->bytes_over,
	    (unsigned long long)st->throttled_ms,
	    (unsigned long long)st->refused_events);
	store_agent_clear(&ag);
	return 0;
}

/* Every TICK_MS: forget idle source addresses, say how many refusals were
 * not logged one by one, and report agents over their quota. */
static void
housekeeping(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;
	int64_t		 now = clock_mono_ms(), period;
	uint64_t	 n;
	int		 rc;

	srclimit_gc(srv->sources, now);
	server_trim(srv);
	if ((rc = quota_report(srv->quota, now, QUOTA_REPORT_MS, report_quota,
	    srv)) != 0)
		log_warnx("quota report: %s", vigil_strerror(rc));
	if ((n = logrl_take(&srv->refusals, now, &period)) > 0)
		log_warnx("%llu more refused connections in the last %lld s "
		    "were not logged one by one", (unsigned long long)n,
		    (long long)(period / 1000));
}

static void
sources_conf(struct srclimit_conf *sc, const struct collector_config *cfg)
{
	sc->conns = cfg->source_connections;
	sc->rate = cfg->source_handshakes;
	sc->burst = 2 * cfg->source_handshakes;
}

/* Addresses the source table holds: twice what handshake_memory allows
 * in handshakes at once (the rest only wait for their allowance to
 * refill), at least 4096, at most 2^20. Fixed at start. */
static size_t
sources_capacity(const struct collector_config *cfg)
{
	uint64_t	n = cfg->handshake_memory / PREAUTH_CONN_COST * 2;

	return n < 4096 ? 4096 : n > (1U << 20) ? (1U << 20) : (size_t)n;
}

int
server_new(struct server **out, struct event_base *base,
    const struct collector_config *cfg, const char *dbpath,
    const uint8_t pub[static KEY_LEN], const uint8_t priv[static KEY_LEN])
{
	struct server		*srv;
	struct srclimit_conf	 sc;
	struct quota_conf	 qc;
	struct timeval		 tv = { REVOKE_CHECK_SECS, 0 };
	struct timeval		 tick = { TICK_MS / 1000, TICK_MS % 1000 * 1000 };
	int			 rc = ERR_NOMEM;

	*out = NULL;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return ERR_NOMEM;
	srv->base = base;
	srv->cfg = *cfg;
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->dead);
	TAILQ_INIT(&srv->paused);
	TAILQ_INIT(&srv->preauth);
	wbuf_init(&srv->plain, WIRE_MAX_BATCH_RAW + 64);
	wbuf_init(&srv->scratch, WIRE_MAX_BATCH_RAW);
	wbuf_init(&srv->out, WIRE_MAX_RECORD + 64);
	memcpy(srv->pub, pub, KEY_LEN);
	memcpy(srv->priv, priv, KEY_LEN);
	logrl_init(&srv->refusals, REFUSAL_LOG_BURST, REFUSAL_LOG_MS,
	    REFUSAL_SUMMARY_MS, clock_mono_ms());
	sources_conf(&sc, cfg);
	if ((rc = jarena_init(&srv->arena, JSON_ARENA)) != 0 ||
	    (rc = srclimit_new(&srv->sources, sources_capacity(cfg), &sc)) != 0)
		goto fail;
	quota_conf_of(&qc, cfg);
	if ((rc = quota_new(&srv->quota, &qc)) != 0 ||
	    (rc = cookie_jar_new(&srv->cookies, pub, clock_mono_ms())) != 0)
		goto fail;
	rc = ERR_NOMEM;
	if ((srv->reap_ev = event_new(base, -1, 0, reap, srv)) == NULL)
		goto fail;
	if ((rc = store_open(&srv->store, dbpath)) != 0)
		goto fail;
	correlate_conf_from(&srv->corr, &srv->cfg);
	if ((rc = notify_new(&srv->notify, cfg, dbpath)) != 0 ||
	    (rc = ingest_new(&srv->ingest, base, dbpath, cfg->commit_events,
	    cfg->commit_ms, &srv->corr, srv->notify, on_committed, srv)) != 0)
		goto fail;
	ingest_set_retention(srv->ingest, cfg->retention_s);
	if ((rc = forward_new(&srv->forward, cfg, dbpath)) != 0)
		goto fail;
	rc = ERR_NOMEM;
	srv->revoke_timer = event_new(base, -1, EV_PERSIST, revoke_check, srv);
	if (srv->revoke_timer == NULL || event_add(srv->revoke_timer, &tv) != 0)
		goto fail;
	srv->tick = event_new(base, -1, EV_PERSIST, housekeeping, srv);
	if (srv->tick == NULL || event_add(srv->tick, &tick) != 0)
		goto fail;
	store_changed(srv->store);	/* arm the change detector */
	*out = srv;
	return 0;
fail:
	server_free(srv);
	return rc;
}

int
server_parse_listen(struct sockaddr_storage *ss, int *sslen, const char *s)
{
	char		 buf[CONFIG_ADDR_MAX + 2];
	const char	*colon = strrchr(s, ':');
	int		 zero = colon != NULL && strcmp(colon, ":0") == 0;
	int		 n;

	/* libevent's parser refuses port 0; "ADDR:0" (any free port, for
	 * tests) is parsed as ADDR:1 and the port cleared afterwards. */
	n = snprintf(buf, sizeof(buf), "%.*s%s", (int)(colon ? colon - s :
	    (ptrdiff_t)strlen(s)), s, zero ? ":1" : colon ? colon : "");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return ERR_CONFIG;
	memset(ss, 0, sizeof(*ss));
	*sslen = sizeof(*ss);
	if (evutil_parse_sockaddr_port(buf, (struct sockaddr *)ss, sslen) != 0)
		return ERR_CONFIG;
	if (zero && ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = 0;
	else if (zero && ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	return 0;
}

int
server_listen(struct server *srv, char *addr, size_t addrlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 len = sizeof(ss);

	if (server_parse_listen(&ss, &len, srv->cfg.listen) != 0) {
		log_warnx("listen address '%s' is not ADDR:PORT", srv->cfg.listen);
		return ERR_CONFIG;
	}
	srv->listener = evconnlistener_new_bind(srv->base, on_accept, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    4096, (struct sockaddr *)&ss, len);
	if (srv->listener == NULL) {
		log_warn("listen on %s", srv->cfg.listen);
		return ERR_IO;
	}
	evconnlistener_set_error_cb(srv->listener, on_listen_error);
	sslen = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(srv->listener),
	    (struct sockaddr *)&ss, &sslen) == 0)
		format_peer(addr, addrlen, (struct sockaddr *)&ss);
	else
		snprintf(addr, addrlen, "%s", srv->cfg.listen);
	return 0;
}

void
server_reconfigure(struct server *srv, const struct collector_config *cfg)
{
	struct srclimit_conf	sc;
	struct quota_conf	qc;

	/* Only limits, timeouts and retention change at run time; the
	 * listen address, the store and the size of the source table need
	 * a restart. */
	sources_conf(&sc, cfg);
	if (srclimit_set(srv->sources, &sc) != 0)
		log_warnx("source limits not changed");
	quota_conf_of(&qc, cfg);
	if (quota_set(srv->quota, &qc) != 0)
		log_warnx("quotas not changed");
	srv->cfg.quota_events = cfg->quota_events;
	srv->cfg.quota_bytes = cfg->quota_bytes;
	srv->cfg.event_max = cfg->event_max;
	srv->cfg.cookie_threshold = cfg->cookie_threshold;
	srv->cfg.handshake_memory = cfg->handshake_memory;
	srv->cfg.source_connections = cfg->source_connections;
	srv->cfg.source_handshakes = cfg->source_handshakes;
	srv->cfg.max_connections = cfg->max_connections;
	srv->cfg.handshake_timeout_s = cfg->handshake_timeout_s;
	srv->cfg.idle_timeout_s = cfg->idle_timeout_s;
	srv->cfg.queue_events = cfg->queue_events;
	srv->cfg.queue_bytes = cfg->queue_bytes;
	if (srv->cfg.retention_s != cfg->retention_s) {
		srv->cfg.retention_s = cfg->retention_s;
		ingest_set_retention(srv->ingest, cfg->retention_s);
	}
}

void
server_free(struct server *srv)
{
	struct conn	*c;

	if (srv == NULL)
		return;
	if (srv->listener != NULL)
		evconnlistener_free(srv->listener);
	TAILQ_FOREACH(c, &srv->conns, entry)
		conn_close(c, 0, "collector shutting down");
	/* what the quotas counted since the last report is stored too */
	if (srv->quota != NULL && srv->ingest != NULL &&
	    quota_report(srv->quota, clock_mono_ms(), 0, report_quota,
	    srv) != 0)
		log_warnx("quota report at shutdown: out of memory");
	ingest_free(srv->ingest);	/* returns the last batches */
	notify_free(srv->notify);	/* after the writer: tells the last */
	forward_free(srv->forward);	/* the rest waits in the store */
	srv->ingest = NULL;
	reap(-1, 0, srv);
	if (srv->reap_ev != NULL)
		event_free(srv->reap_ev);
	if (srv->revoke_timer != NULL)
		event_free(srv->revoke_timer);
	if (srv->tick != NULL)
		event_free(srv->tick);
	srclimit_free(srv->sources);
	quota_free(srv->quota);
	cookie_jar_free(srv->cookies);
	store_close(srv->store);
	wbuf_free(&srv->plain);
	wbuf_free(&srv->scratch);
	wbuf_free(&srv->out);
	jarena_free(&srv->arena);
	sodium_memzero(srv->priv, sizeof(srv->priv));
	free(srv);
}
