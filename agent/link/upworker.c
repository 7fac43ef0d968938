/*
 * upworker.c: the uplink worker (upworker.h).
 *
 * Order, as in the scan worker: close every descriptor but stdio and the
 * daemon's socket, drop everything (sandbox.h), allocate, install the
 * seccomp filter, take the keys, say READY; only then does a byte from
 * the network arrive (with the first CONNECT).
 *
 * One connection at a time, on the socket the daemon connected:
 *   HANDSHAKE  HS_INIT sent, waiting for HS_RESP (or, once, a COOKIE:
 *              the same HS_INIT again as HS_INIT_COOKIE)
 *   STREAM     our STREAM_HDR sent, waiting for the collector's
 *   OPEN       DATA records only, each an ACK; the daemon's SENDs are
 *              sealed and written
 * Any fault closes the connection and tells the daemon (LOST), which
 * decides when to try again; the worker keeps nothing across
 * connections but the keys. Records are decoded only once their header
 * passed wire_record_header() and the whole body is in; DATA only after
 * chan_open() authenticated it. Output that does not drain for
 * UPLINK_ACK_TIMEOUT_S is a dead link.
 *
 * Load: one chan_seal and one write per SEND; one chan_open per ACK.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "err.h"
#include "hsclient.h"
#include "log.h"
#include "sandbox.h"
#include "uplink.h"
#include "upmsg.h"
#include "upworker.h"
#include "wire.h"

#define IN_MAX		(WIRE_HDR_LEN + WIRE_MAX_RECORD)
#define OUT_MAX		((size_t)96 * 1024 * 1024)	/* the widest window */
#define TICK_MS		1000

enum cstate { C_NONE, C_HANDSHAKE, C_STREAM, C_OPEN };

struct worker {
	const struct agent_config *cfg;
	int			 ctl;
	int			 keyed;
	struct upmsg_keys	 keys;
	uint8_t			 cbuf[UPMSG_MAX];

	int			 net;		/* -1: no connection */
	uint32_t		 gen;		/* the last CONNECT's */
	enum cstate		 st;
	struct noise_hs		*hs;
	uint8_t			 hs_msg[WIRE_HS_INIT_LEN];
	int			 cookied;
	struct chan		*chan;
	struct upmsg_open	 open;		/* said once STREAM_HDR came */
	uint8_t			*in;		/* IN_MAX */
	size_t			 inlen;
	struct wbuf		 out;		/* to the collector */
	size_t			 outoff;	/* written of out */
	int64_t			 stall_ms;	/* last progress with output
						 * waiting; 0: none waits */
	struct wbuf		 rx;		/* an opened DATA record */
	char			 why[UPMSG_WHY_MAX + 1];
};

/* ---- the connection ---- */

static void
conn_close(struct worker *w)
{
	if (w->net != -1)
		(void)close(w->net);
	w->net = -1;
	w->st = C_NONE;
	noise_free(w->hs);
	w->hs = NULL;
	chan_free(w->chan);
	w->chan = NULL;
	w->inlen = 0;
	wbuf_reset(&w->out);
	w->outoff = 0;
	w->stall_ms = 0;
}

/* The connection failed: close it and tell the daemon. Returns ERR_IO,
 * or ERR_NOTFOUND when the daemon cannot be told (the worker ends). */
static int __attribute__((format(printf, 2, 3)))
conn_fail(struct worker *w, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	conn_close(w);
	if (upmsg_send_lost(w->ctl, w->gen, w->why) != 0)
		return ERR_NOTFOUND;
	return ERR_IO;
}

/* Write what waits; 0, or conn_fail's. */
static int
flush(struct worker *w)
{
	ssize_t	n;

	while (w->outoff < w->out.len) {
		n = write(w->net, w->out.p + w->outoff, w->out.len - w->outoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1)
			return conn_fail(w, "%s", strerror(errno));
		w->outoff += (size_t)n;
		w->stall_ms = clock_mono_ms();
	}
	wbuf_reset(&w->out);
	w->outoff = 0;
	w->stall_ms = 0;
	return 0;
}

/* out grew: note when output started waiting, and write. */
static int
queue(struct worker *w)
{
	if (w->out.err != 0)
		return conn_fail(w, "encoding: %s", vigil_strerror(w->out.err));
	if (w->out.len - w->outoff > OUT_MAX)
		return conn_fail(w, "more than %zu MiB waiting to be sent",
		    OUT_MAX >> 20);
	if (w->stall_ms == 0)
		w->stall_ms = clock_mono_ms();
	return flush(w);
}

/* What OPEN will say of the collector's reply. */
static void
open_set(struct worker *w, const struct wire_resp_payload *r)
{
	struct upmsg_open	*m = &w->open;

	memset(m, 0, sizeof(*m));
	m->gen = w->gen;
	/* decoded from 64-byte fields, so they fit back */
	memcpy(m->name, r->name, strnlen(r->name, sizeof(m->name)));
	memcpy(m->office, r->office, strnlen(r->office, sizeof(m->office)));
}

/* HS_RESP: authenticate the collector, key the channel, send our stream
 * header. */
static int
on_hs_resp(struct worker *w, const uint8_t *body, size_t len)
{
	struct wire_resp_payload	 resp;
	uint8_t				 tx[32], rx[32];
	uint8_t				 hdr[WIRE_STREAM_HDR_LEN];
	const char			*why;
	int				 rc;

#ifdef VIGIL_TEST_HOOKS
	if (len >= sizeof(UPWORKER_CRASH) - 1 && memcmp(body, UPWORKER_CRASH,
	    sizeof(UPWORKER_CRASH) - 1) == 0)
		abort();
#endif
	if (hsclient_resp(&resp, w->hs, body, len, w->keys.pub, &why) != 0)
		return conn_fail(w, "%s", why);
	rc = noise_split(w->hs, tx, rx);
	if (rc == 0)
		rc = chan_new(&w->chan, tx, rx, hdr);
	sodium_memzero(tx, sizeof(tx));
	sodium_memzero(rx, sizeof(rx));
	noise_free(w->hs);
	w->hs = NULL;
	if (rc != 0)
		return conn_fail(w, "keying the channel: %s",
		    vigil_strerror(rc));
	w->st = C_STREAM;
	open_set(w, &resp);
	(void)wire_record_put(&w->out, WIRE_STREAM_HDR, hdr, sizeof(hdr));
	return queue(w);
}

/* A busy collector wants proof that we read its replies: the same
 * HS_INIT again with the cookie's MAC. Once per connection. */
static int
on_cookie(struct worker *w, const uint8_t *body, size_t len)
{
	uint8_t	retry[WIRE_HS_INIT_COOKIE_LEN];

	if (w->cookied)
		return conn_fail(w, "a second cookie");
	w->cookied = 1;
	if (hsclient_cookie(retry, w->keys.collector_pub, w->hs_msg, body,
	    len) != 0)
		return conn_fail(w, "a cookie that does not open");
	log_debug("uplink worker: the collector is busy: handshake again "
	    "with its cookie");
	(void)wire_record_put(&w->out, WIRE_HS_INIT_COOKIE, retry,
	    sizeof(retry));
	return queue(w);
}

static int
on_data(struct worker *w, const uint8_t *body, size_t len)
{
	struct upmsg_ack	m = { w->gen, 0, 0 };
	int			rc;

	if ((rc = chan_open(w->chan, &w->rx, body, len)) != 0)
		return conn_fail(w, "DATA record: %s", vigil_strerror(rc));
	if (w->rx.len < 1 || w->rx.p[0] != WIRE_MSG_ACK)
		return conn_fail(w, "unexpected message type %u",
		    w->rx.len < 1 ? 0 : w->rx.p[0]);
	if (wire_ack_decode(&m.seq, w->rx.p, w->rx.len) != 0)
		return conn_fail(w, "malformed ACK");
	return upmsg_send(w->ctl, UPMSG_ACK, &m, sizeof(m), -1) == 0 ? 0 :
	    ERR_NOTFOUND;
}

static int
on_record(struct worker *w, uint8_t type, const uint8_t *body, size_t len)
{
	int	rc;

	switch (w->st) {
	case C_HANDSHAKE:
		if (type == WIRE_HS_RESP)
			return on_hs_resp(w, body, len);
		if (type == WIRE_COOKIE)
			return on_cookie(w, body, len);
		break;
	case C_STREAM:
		if (type != WIRE_STREAM_HDR)
			break;
		if ((rc = chan_accept(w->chan, body)) != 0)
			return conn_fail(w, "bad stream header");
		w->st = C_OPEN;
		return upmsg_send(w->ctl, UPMSG_OPEN, &w->open,
		    sizeof(w->open), -1) == 0 ? 0 : ERR_NOTFOUND;
	case C_OPEN:
		if (type == WIRE_DATA)
			return on_data(w, body, len);
		break;
	default:
		break;
	}
	return conn_fail(w, "unexpected record type %u", type);
}

/* Read from the collector and handle every whole record. */
static int
net_read(struct worker *w)
{
	size_t	off = 0, blen;
	ssize_t	n;
	uint8_t	type;
	int	rc = 0;

	do
		n = read(w->net, w->in + w->inlen, IN_MAX - w->inlen);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n == -1)
		return conn_fail(w, "%s", strerror(errno));
	if (n == 0)
		return conn_fail(w, "connection closed by the collector%s",
		    w->st == C_HANDSHAKE ? " during the handshake (agent "
		    "unknown or revoked?)" : "");
	w->inlen += (size_t)n;
	while (w->inlen - off >= WIRE_HDR_LEN) {
		if ((rc = wire_record_header(w->in + off, &type, &blen)) != 0)
			return conn_fail(w, "bad record header (type %u): %s",
			    w->in[off + 4], vigil_strerror(rc));
		/* IN_MAX holds the largest record whole */
		if (w->inlen - off - WIRE_HDR_LEN < blen)
			break;
		rc = on_record(w, type, w->in + off + WIRE_HDR_LEN, blen);
		if (rc != 0 || w->net == -1)
			return rc;
		off += WIRE_HDR_LEN + blen;
	}
	memmove(w->in, w->in + off, w->inlen - off);
	w->inlen -= off;
	return 0;
}

/* ---- the daemon's messages ---- */

static int
on_connect(struct worker *w, const struct upmsg_connect *c, int fd)
{
	int	fl, rc;

	if (c->gen <= w->gen) {
		(void)close(fd);
		log_warnx("uplink worker: connection %u after %u", c->gen,
		    w->gen);
		return ERR_MALFORMED;
	}
	conn_close(w);
	w->gen = c->gen;
	w->net = fd;
	w->cookied = 0;
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return conn_fail(w, "the socket: %s", strerror(errno));
	if ((rc = hsclient_init(&w->hs, w->hs_msg, c->ts_ns, w->keys.pub,
	    w->keys.priv, w->keys.collector_pub, WIRE_HS_CONNECT,
	    NULL)) != 0)
		return conn_fail(w, "handshake: %s", vigil_strerror(rc));
	w->st = C_HANDSHAKE;
	(void)wire_record_put(&w->out, WIRE_HS_INIT, w->hs_msg,
	    sizeof(w->hs_msg));
	return queue(w);
}

/* SEND: the inner message in the sealed memfd fd, of exactly len
 * bytes, sealed onto connection gen if it is the open one. */
static int
on_send(struct worker *w, const struct upmsg_send *s, int fd)
{
	struct stat	 st;
	void		*p;
	int		 rc;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != (off_t)s->len) {
		(void)close(fd);
		log_warnx("uplink worker: a message that is not %u bytes",
		    s->len);
		return ERR_MALFORMED;
	}
	if (s->gen != w->gen || w->st != C_OPEN) {
		(void)close(fd);	/* for a connection gone */
		return 0;
	}
	p = mmap(NULL, s->len, PROT_READ, MAP_PRIVATE, fd, 0);
	(void)close(fd);
	if (p == MAP_FAILED)
		return conn_fail(w, "mapping a message: %s", strerror(errno));
	rc = chan_seal(w->chan, &w->out, p, s->len);
	(void)munmap(p, s->len);
	if (rc != 0)
		return conn_fail(w, "sealing a frame: %s", vigil_strerror(rc));
	return queue(w);
}

/* One message from the daemon: 0 to go on; ERR_NOTFOUND, the daemon is
 * gone; ERR_MALFORMED, it sent what it must not. */
static int
ctl_read(struct worker *w)
{
	struct upmsg	 m;
	const char	*why;
	size_t		 n;
	int		 fd, rc;

	rc = msgframe_recv(w->ctl, w->cbuf, sizeof(w->cbuf), &n, &fd,
	    MSG_DONTWAIT);
	if (rc == ERR_AGAIN)
		return 0;
	if (rc != 0)
		return rc == ERR_MALFORMED ? rc : ERR_NOTFOUND;
	if (upmsg_parse(&m, w->cbuf, n, fd != -1, &why) != 0) {
		if (fd != -1)
			(void)close(fd);
		log_warnx("uplink worker: from the daemon: %s", why);
		return ERR_MALFORMED;
	}
	if (!w->keyed && m.type != UPMSG_KEYS) {
		if (fd != -1)
			(void)close(fd);
		log_warnx("uplink worker: no keys first");
		return ERR_MALFORMED;
	}
	switch (m.type) {
	case UPMSG_KEYS:
		if (w->keyed)
			return ERR_MALFORMED;
		w->keys = m.u.keys;
		sodium_memzero(&m, sizeof(m));
		w->keyed = 1;
		return upmsg_send(w->ctl, UPMSG_READY, NULL, 0, -1) == 0 ? 0 :
		    ERR_NOTFOUND;
	case UPMSG_CONNECT:
		rc = on_connect(w, &m.u.connect, fd);
		return rc == ERR_IO ? 0 : rc;
	case UPMSG_SEND:
		rc = on_send(w, &m.u.send, fd);
		return rc == ERR_IO ? 0 : rc;
	case UPMSG_CLOSE:
		if (m.u.close.gen == w->gen)
			conn_close(w);
		return 0;
#ifdef VIGIL_TEST_HOOKS
	case UPMSG_PROBE: {
		struct upmsg_probed	r;

		r.err = sandbox_probe((int)m.u.probe.what, w->ctl);
		return upmsg_send(w->ctl, UPMSG_PROBED, &r, sizeof(r), -1) ==
		    0 ? 0 : ERR_NOTFOUND;
	}
#endif
	default:
		log_warnx("uplink worker: message type %u is not the "
		    "daemon's", m.type);
		return ERR_MALFORMED;
	}
}

/* ---- the process ---- */

static int
run(struct worker *w)
{
	struct pollfd	pfd[2];
	uint32_t	gen;
	int		net, rc;

	for (;;) {
		pfd[0].fd = w->ctl;
		pfd[0].events = POLLIN;
		pfd[1].fd = w->net;	/* -1: ignored */
		pfd[1].events = POLLIN |
		    (w->outoff < w->out.len ? POLLOUT : 0);
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, TICK_MS) == -1 && errno != EINTR)
			return UPWORKER_EXIT_CHANNEL;
		net = w->net;
		gen = w->gen;
		if (pfd[0].revents != 0 && (rc = ctl_read(w)) != 0)
			return rc == ERR_NOTFOUND ? UPWORKER_EXIT_OK :
			    UPWORKER_EXIT_CHANNEL;
		if (w->net != net || w->gen != gen)	/* polled another */
			pfd[1].revents = 0;
		rc = 0;
		if (w->net != -1 && (pfd[1].revents & POLLOUT))
			rc = flush(w);
		if (rc == 0 && w->net != -1 && (pfd[1].revents & ~POLLOUT))
			rc = net_read(w);
		if (rc == 0 && w->net != -1 && w->stall_ms != 0 &&
		    clock_mono_ms() - w->stall_ms >
		    (int64_t)UPLINK_ACK_TIMEOUT_S * 1000)
			rc = conn_fail(w, "output stalled for %d s",
			    UPLINK_ACK_TIMEOUT_S);
		if (rc == ERR_NOTFOUND)
			return UPWORKER_EXIT_OK;
	}
}

static int
seccomp_install(int use_syslog)
{
	const struct sandbox_rule rules[] = {
		/* the descriptors it holds: the daemon's socket, the
		 * collector's, the messages' memfds */
		SANDBOX_ALLOW(read), SANDBOX_ALLOW(write),
		SANDBOX_ALLOW(recvmsg), SANDBOX_ALLOW(sendmsg),
		SANDBOX_ALLOW(poll), SANDBOX_ALLOW(ppoll),
		SANDBOX_ALLOW(fstat), SANDBOX_ALLOW(newfstatat),
		SANDBOX_ALLOW(close),
		SANDBOX_ALLOW_IF(fcntl, 1, SCMP_CMP_EQ, F_GETFL, 0),
		SANDBOX_ALLOW_IF(fcntl, 1, SCMP_CMP_EQ, F_SETFL, 0),
		SANDBOX_COMMON(use_syslog),
	};

	return sandbox_seccomp("uplink worker", rules, sizeof(rules) /
	    sizeof(rules[0]));
}

/* The daemon's socket, and nothing else open but stdio. */
static int
channel_check(int fd)
{
	struct stat	st;
	socklen_t	len = sizeof(int);
	int		type = 0;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_SEQPACKET)
		return ERR_USAGE;
	return close_range((unsigned)fd + 1, ~0U, 0) == -1 ? ERR_IO : 0;
}

int
upworker_main(int argc, char **argv, const struct agent_config *cfg)
{
	struct worker	w;
	pid_t		parent = getppid();

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.ctl = UPWORKER_FD;
	w.net = -1;
	log_init("vigil-agent[uplink]", cfg->log_level, cfg->syslog);
	if (argc != 1 || channel_check(w.ctl) != 0) {
		log_warnx("%s: for the daemon's use only", UPWORKER_CMD);
		_exit(UPWORKER_EXIT_USAGE);
	}
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGHUP, SIG_IGN) == SIG_ERR)
		_exit(UPWORKER_EXIT_USAGE);
	if (sandbox_enter("uplink worker", cfg->user, parent) != 0)
		_exit(UPWORKER_EXIT_SANDBOX);
	wbuf_init(&w.out, 0);
	wbuf_init(&w.rx, WIRE_MAX_FRAME);
	if ((w.in = malloc(IN_MAX)) == NULL)
		_exit(UPWORKER_EXIT_NOMEM);
	if (seccomp_install(cfg->syslog) != 0)
		_exit(UPWORKER_EXIT_SANDBOX);
	/* the exit releases it all: a sanitizer's leak check needs ptrace,
	 * which the filter refuses */
	_exit(run(&w));
}
