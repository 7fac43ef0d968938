/*
 * vigil-peer: a scriptable agent for the tests. It speaks the vigil wire
 * protocol (common/wire.h) over blocking TCP sockets, correctly or in the
 * particular wrong ways the integration tests need, and reports what the
 * collector did.
 *
 *   vigil-peer enroll --collector ADDR --token HEX --fingerprint HEX
 *                     --key FILE
 *   vigil-peer send   --collector ADDR --key FILE --count N [--batch B]
 *                     [--start SEQ] [--compress] [--malformed K]
 *   vigil-peer attack MODE --collector ADDR [--key FILE] [--key2 FILE]
 *                     [--conns N] [--start SEQ]
 *   vigil-peer load   --collector ADDR --keys DIR --agents N --events M
 *                     [--batch B] [--seconds S] [--start SEQ] [--pad P]
 *                     [--compress]
 *   vigil-peer ping   --collector ADDR --key FILE --count N [--pad P]
 *                     [--start SEQ]
 *   every command:    [--timeout S] [--source ADDR]
 *
 * Exit status: 0 the expected behaviour was observed, 1 it was not (or the
 * tool failed), 2 usage. Results go to stdout, diagnostics to stderr.
 *
 * Invariants: every byte from the collector goes through
 * wire_record_header() and the noise/chan decoders, as in the agent. A
 * key's handshake timestamps must increase across runs, so FILE.ts keeps
 * the last one used and the next is max(now, last + 1). Attacks print one
 * "conn ADDR" line per connection they judge, with ADDR as the collector
 * logs the peer, so a test can find the matching log line.
 *
 * Load: `load` runs one thread per agent. The event JSON is built once,
 * and a full batch is one precomputed EVENTS message whose sequence
 * numbers are patched in place, so the tool's own cost per batch is one
 * secretstream seal and one write (plus zstd with --compress).
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "clock.h"
#include "enroll.h"
#include "hsclient.h"
#include "err.h"
#include "event.h"
#include "keys.h"
#include "log.h"
#include "noise.h"
#include "text.h"
#include "version.h"
#include "wire.h"

#define EXIT_USAGE		2
#define WINDOW			4	/* unacknowledged batches, as the agent */
#define SEND_TIMEOUT_S		30
#define ATTACK_TIMEOUT_S	15
#define LOAD_TIMEOUT_S		120
#define WRITE_TIMEOUT_S		10	/* SO_SNDTIMEO: a stuck collector */
#define RANDOM_BYTES		(64 * 1024)
#define FLOOD_HOLD_MS		1000
#define EVENTS_HDR_LEN		10	/* type, flags, count, rawlen */
#define EVENT_ENTRY_HDR		12	/* u64 seq | u32 len */

struct peer_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
	struct sockaddr_storage	src;		/* --source: bind here first */
	socklen_t		srclen;		/* 0: the system picks */
};

struct opts {
	const char		*cmd;
	const char		*mode;		/* attack MODE */
	const char		*collector;
	const char		*source;	/* --source ADDR */
	const char		*token;
	const char		*fpr;
	const char		*key;
	const char		*key2;		/* a second enrolled key */
	const char		*keys_dir;
	uint64_t		 count;
	uint64_t		 batch;		/* 0: the command's default */
	uint64_t		 start;		/* first sequence number */
	uint64_t		 malformed;
	uint64_t		 agents;
	uint64_t		 events;
	uint64_t		 conns;
	uint64_t		 seconds;	/* load: 0 = send everything */
	uint64_t		 rate;		/* load: events/s in all, 0 =
						 * as fast as it goes */
	uint64_t		 pad;		/* extra bytes per event */
	uint64_t		 timeout_s;	/* 0: the command's default */
	int			 compress;
	int			 alert;		/* load: YARA alerts */
	struct peer_addr	 addr;
};

/* One TCP connection to the collector and its buffers. */
struct link {
	int		 fd;
	int		 eof;		/* the collector closed or reset it */
	char		 local[64];	/* our address, as the collector logs it */
	struct chan	*ch;
	struct wbuf	 out;		/* records to write */
	struct wbuf	 in;		/* body of the last record read */
	uint8_t		 rtype;		/* type of the last record read */
	struct wbuf	 tx;		/* plaintext being sent */
	struct wbuf	 plain;		/* last DATA frame opened */
	uint64_t	 sent;		/* bytes written */
	uint64_t	 cookies;	/* COOKIEs answered */
};

/* A key pair and where its handshake timestamp is kept. */
struct ident {
	uint8_t	pub[KEY_LEN];
	uint8_t	priv[KEY_LEN];
	char	tspath[PATH_MAX];	/* "" for a throwaway key */
};

static double
secs_since(int64_t t0)
{
	return (double)(clock_mono_ms() - t0) / 1000.0;
}

static uint64_t
realtime_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* Decimal digits only, in [min, max]. 0 or ERR_MALFORMED. */
static int
str_u64(uint64_t *out, const char *s, uint64_t min, uint64_t max)
{
	return text_u64(out, s, strlen(s), min, max) == 0 ? 0 : ERR_MALFORMED;
}

/* --------------------------------------------------------------------
 * Addresses and connections
 */

/* "HOST:PORT" or "[V6]:PORT", numeric only (the tests use loopback). */
static int
parse_addr(struct peer_addr *a, const char *s)
{
	struct addrinfo	 hints, *res = NULL;
	const char	*colon = strrchr(s, ':');
	char		 host[INET6_ADDRSTRLEN + 2];
	size_t		 hlen;

	if (colon == NULL || colon == s || colon[1] == '\0')
		return ERR_MALFORMED;
	hlen = (size_t)(colon - s);
	if (s[0] == '[' && hlen >= 2 && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return ERR_MALFORMED;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL)
		return ERR_MALFORMED;
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* --source: a numeric address our sockets bind to (port 0), so that a
 * test can speak from 127.0.0.2 while the good agents use 127.0.0.1. */
static int
parse_source(struct peer_addr *a, const char *s)
{
	struct addrinfo	 hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = a->ss.ss_family;
	if (getaddrinfo(s, "0", &hints, &res) != 0 || res == NULL)
		return ERR_MALFORMED;
	memcpy(&a->src, res->ai_addr, res->ai_addrlen);
	a->srclen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* A TCP socket for a, bound to --source if one was given; -1 on error
 * (errno set). */
static int
peer_socket(const struct peer_addr *a, int flags)
{
	int	fd, one = 1, saved;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd == -1 || a->srclen == 0)
		return fd;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || bind(fd, (const struct sockaddr *)&a->src, a->srclen) ==
	    -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* The collector's format_peer(): "1.2.3.4:5" or "[::1]:5". */
static void
format_addr(char *out, size_t outlen, const struct sockaddr_storage *ss)
{
	char	host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(s4->sin_port));
	} else {
		snprintf(out, outlen, "?");
	}
}

static void
link_init(struct link *l)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	wbuf_init(&l->out, WIRE_MAX_RECORD + 64);
	wbuf_init(&l->in, WIRE_MAX_RECORD);
	wbuf_init(&l->tx, WIRE_MAX_FRAME);
	wbuf_init(&l->plain, WIRE_MAX_FRAME);
}

/* Close the socket and forget the channel; the buffers stay for reuse. */
static void
link_close(struct link *l)
{
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
	l->eof = 0;
	chan_free(l->ch);
	l->ch = NULL;
}

static void
link_free(struct link *l)
{
	link_close(l);
	wbuf_free(&l->out);
	wbuf_free(&l->in);
	wbuf_free(&l->tx);
	wbuf_free(&l->plain);
}

static int
link_open(struct link *l, const struct peer_addr *a)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof(ss);
	struct timeval		tv = { WRITE_TIMEOUT_S, 0 };
	int			one = 1;

	link_close(l);
	if ((l->fd = peer_socket(a, 0)) == -1) {
		log_warn("socket");
		return ERR_IO;
	}
	if (setsockopt(l->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1 ||
	    connect(l->fd, (const struct sockaddr *)&a->ss, a->len) == -1 ||
	    getsockname(l->fd, (struct sockaddr *)&ss, &sslen) == -1) {
		log_warn("connect");
		link_close(l);
		return ERR_IO;
	}
	format_addr(l->local, sizeof(l->local), &ss);
	return 0;
}

/* Write everything. ERR_IO; l->eof if the collector closed or reset. */
static int
link_write(struct link *l, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = send(l->fd, b, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				l->eof = 1;
			else
				log_warn("%s: write", l->local);
			return ERR_IO;
		}
		b += w;
		n -= (size_t)w;
		l->sent += (uint64_t)w;
	}
	return 0;
}

/* Write l->out; it stays there (for a replay) until the next build. */
static int
link_flush(struct link *l)
{
	if (l->out.err != 0)
		return l->out.err;
	return link_write(l, l->out.p, l->out.len);
}

/* Read at least one byte before deadline. *got gets the count. ERR_AGAIN
 * on timeout, ERR_IO when closed or reset (l->eof) or on error. */
static int
link_read_some(struct link *l, void *p, size_t n, int64_t deadline,
    size_t *got)
{
	struct pollfd	pfd = { .fd = l->fd, .events = POLLIN };
	int64_t		left;
	ssize_t		r;
	int		pr;

	for (;;) {
		if ((left = deadline - clock_mono_ms()) < 0)
			left = 0;
		pr = poll(&pfd, 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr == 0)
			return ERR_AGAIN;
		r = pr == -1 ? -1 : recv(l->fd, p, n, 0);
		if (r > 0) {
			*got = (size_t)r;
			return 0;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0 || errno == ECONNRESET)
			l->eof = 1;
		else
			log_warn("%s: read", l->local);
		return ERR_IO;
	}
}

static int
link_read(struct link *l, void *p, size_t n, int64_t deadline)
{
	uint8_t	*b = p;
	size_t	 got;
	int	 rc;

	while (n > 0) {
		if ((rc = link_read_some(l, b, n, deadline, &got)) != 0)
			return rc;
		b += got;
		n -= got;
	}
	return 0;
}

/* Read one record: type in l->rtype, body in l->in. */
static int
link_record(struct link *l, int64_t deadline)
{
	uint8_t	hdr[WIRE_HDR_LEN];
	size_t	blen;
	int	rc;

	if ((rc = link_read(l, hdr, sizeof(hdr), deadline)) != 0)
		return rc;
	if ((rc = wire_record_header(hdr, &l->rtype, &blen)) != 0) {
		log_warnx("%s: bad record header from the collector", l->local);
		return rc;
	}
	wbuf_reset(&l->in);
	if (wbuf_extend(&l->in, blen) == NULL)
		return l->in.err;
	return link_read(l, l->in.p, blen, deadline);
}

static const char *
read_failure(const struct link *l, int rc)
{
	if (rc == ERR_AGAIN)
		return "timed out";
	if (rc == ERR_IO && l->eof)
		return "closed by the collector";
	return vigil_strerror(rc);
}

static int
link_expect(struct link *l, uint8_t type, int64_t deadline)
{
	int	rc;

	if ((rc = link_record(l, deadline)) != 0) {
		log_warnx("%s: waiting for record type %u: %s", l->local, type,
		    read_failure(l, rc));
		return rc;
	}
	if (l->rtype != type) {
		log_warnx("%s: record type %u, expected %u", l->local, l->rtype,
		    type);
		return ERR_MALFORMED;
	}
	return 0;
}

/* Build one record into l->out (after what is there) and write all. */
static int
link_put(struct link *l, uint8_t type, const void *body, size_t len)
{
	wbuf_reset(&l->out);
	if (wire_record_put(&l->out, type, body, len) != 0)
		return l->out.err ? l->out.err : ERR_TOOBIG;
	return link_flush(l);
}

/* A record with any length field and type, for attacks. */
static int
link_put_raw(struct link *l, uint32_t len, uint8_t type, const void *body,
    size_t blen)
{
	wbuf_reset(&l->out);
	wbuf_u32(&l->out, len);
	wbuf_u8(&l->out, type);
	wbuf_bytes(&l->out, body, blen);
	return link_flush(l);
}

static int
link_keyreq(struct link *l, uint8_t pub[static KEY_LEN], int64_t deadline)
{
	uint8_t	ver = WIRE_VERSION;
	int	rc;

	if ((rc = link_put(l, WIRE_KEYREQ, &ver, 1)) != 0 ||
	    (rc = link_expect(l, WIRE_KEYRESP, deadline)) != 0)
		return rc;
	memcpy(pub, l->in.p, KEY_LEN);
	return 0;
}

/* The collector's public key, asked on a connection of its own. */
static int
fetch_collector_key(const struct peer_addr *a, uint8_t pub[static KEY_LEN],
    int64_t deadline)
{
	struct link	l;
	int		rc;

	link_init(&l);
	if ((rc = link_open(&l, a)) == 0)
		rc = link_keyreq(&l, pub, deadline);
	link_free(&l);
	return rc;
}

/* --------------------------------------------------------------------
 * Identities and the handshake
 */

static int
ident_load(struct ident *id, const char *path, int create)
{
	int	rc, n;

	memset(id, 0, sizeof(*id));
	rc = create ? keys_load_or_create(id->pub, id->priv, path) :
	    keys_load(id->pub, id->priv, path);
	if (rc != 0) {
		log_warnx("key %s: %s", path, vigil_strerror(rc));
		return rc;
	}
	n = snprintf(id->tspath, sizeof(id->tspath), "%s.ts", path);
	if (n < 0 || (size_t)n >= sizeof(id->tspath))
		return ERR_TOOBIG;
	return 0;
}

static void
ident_fresh(struct ident *id)
{
	memset(id, 0, sizeof(*id));
	keys_generate(id->pub, id->priv);
}

static void
ident_wipe(struct ident *id)
{
	sodium_memzero(id, sizeof(*id));
}

/* The next handshake timestamp for id: max(floor, last + 1), saved. */
static int
ident_next_ts_from(struct ident *id, uint64_t floor, uint64_t *ts)
{
	char		 buf[32], tmp[PATH_MAX + 8];
	uint64_t	 last = 0;
	FILE		*f;
	int		 n;

	*ts = floor;
	if (id->tspath[0] == '\0')
		return 0;
	if ((f = fopen(id->tspath, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
		buf[strcspn(buf, "\n")] = '\0';
		if (str_u64(&last, buf, 0, INT64_MAX - 1) != 0) {
			log_warnx("%s: not a timestamp: '%s'", id->tspath, buf);
			return ERR_MALFORMED;
		}
	} else if (errno != ENOENT) {
		log_warn("%s", id->tspath);
		return ERR_IO;
	}
	if (*ts <= last)
		*ts = last + 1;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", id->tspath);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ERR_TOOBIG;
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("%s", tmp);
		return ERR_IO;
	}
	fprintf(f, "%llu\n", (unsigned long long)*ts);
	if (fclose(f) != 0 || rename(tmp, id->tspath) != 0) {
		log_warn("%s", id->tspath);
		return ERR_IO;
	}
	return 0;
}

/* The next handshake timestamp for id: max(now, last + 1), saved. */
static int
ident_next_ts(struct ident *id, uint64_t *ts)
{
	return ident_next_ts_from(id, realtime_ns(), ts);
}

/* Build an HS_INIT record into l->out (not written). token NULL: zeros. */
static int
hs_build_init(struct link *l, struct noise_hs **hsp, const struct ident *id,
    const uint8_t rs[static KEY_LEN], uint8_t kind, const uint8_t *token,
    uint64_t ts)
{
	struct wire_init_payload	ip;
	uint8_t				payload[WIRE_INIT_PAYLOAD_LEN];
	uint8_t				msg[WIRE_HS_INIT_LEN];
	int				rc;

	*hsp = NULL;
	memset(&ip, 0, sizeof(ip));
	ip.kind = kind;
	ip.ts_ns = ts;
	if (token != NULL)
		memcpy(ip.token, token, WIRE_TOKEN_LEN);
	snprintf(ip.version, sizeof(ip.version), "vigil-peer %s", VIGIL_VERSION);
	wire_init_encode(payload, &ip);
	if ((rc = noise_initiator_new(hsp, id->pub, id->priv, rs)) != 0 ||
	    (rc = noise_write_init(*hsp, msg, sizeof(msg), payload,
	    sizeof(payload))) != 0) {
		log_warnx("noise: %s", vigil_strerror(rc));
		noise_free(*hsp);
		*hsp = NULL;
		return rc;
	}
	wbuf_reset(&l->out);
	return wire_record_put(&l->out, WIRE_HS_INIT, msg, sizeof(msg));
}

/* After HS_INIT (still in l->out): the HS_RESP, first answering a busy
 * collector's COOKIE as the agent does (hsclient_cookie). */
static int
hs_expect_resp(struct link *l, struct noise_hs *hs, int64_t deadline)
{
	uint8_t	retry[WIRE_HS_INIT_COOKIE_LEN];
	int	rc;

	if ((rc = link_record(l, deadline)) != 0) {
		log_warnx("%s: waiting for HS_RESP: %s", l->local,
		    read_failure(l, rc));
		return rc;
	}
	if (l->rtype != WIRE_COOKIE)
		return l->rtype == WIRE_HS_RESP ? 0 : ERR_MALFORMED;
	if (l->out.len != WIRE_HDR_LEN + WIRE_HS_INIT_LEN ||
	    hsclient_cookie(retry, noise_remote_static(hs),
	    l->out.p + WIRE_HDR_LEN, l->in.p, l->in.len) != 0) {
		log_warnx("%s: a COOKIE that does not open", l->local);
		return ERR_AUTH;
	}
	l->cookies++;
	if ((rc = link_put(l, WIRE_HS_INIT_COOKIE, retry, sizeof(retry))) != 0)
		return rc;
	return link_expect(l, WIRE_HS_RESP, deadline);
}

/* After HS_INIT: read HS_RESP, key the channel, swap stream headers. */
static int
hs_finish(struct link *l, struct noise_hs *hs, struct wire_resp_payload *rp,
    int64_t deadline)
{
	uint8_t	resp[WIRE_RESP_PAYLOAD_LEN], tx[32], rx[32];
	uint8_t	hdr[WIRE_STREAM_HDR_LEN];
	int	rc;

	if ((rc = hs_expect_resp(l, hs, deadline)) != 0)
		return rc;
	if ((rc = noise_read_resp(hs, resp, sizeof(resp), l->in.p,
	    l->in.len)) != 0 || (rc = wire_resp_decode(rp, resp)) != 0) {
		log_warnx("%s: bad HS_RESP: %s", l->local, vigil_strerror(rc));
		return rc;
	}
	if (rp->status != 0) {
		log_warnx("%s: handshake refused, status %u", l->local,
		    rp->status);
		return ERR_AUTH;
	}
	if ((rc = noise_split(hs, tx, rx)) == 0)
		rc = chan_new(&l->ch, tx, rx, hdr);
	sodium_memzero(tx, sizeof(tx));
	sodium_memzero(rx, sizeof(rx));
	if (rc != 0)
		return rc;
	if ((rc = link_put(l, WIRE_STREAM_HDR, hdr, sizeof(hdr))) != 0 ||
	    (rc = link_expect(l, WIRE_STREAM_HDR, deadline)) != 0)
		return rc;
	return chan_accept(l->ch, l->in.p);
}

/* Connect and handshake as id. cpub NULL: ask for the collector's key
 * on this connection first. */
static int
agent_connect(struct link *l, const struct peer_addr *a, struct ident *id,
    const uint8_t *cpub, uint8_t kind, const uint8_t *token,
    struct wire_resp_payload *rp, int64_t deadline)
{
	struct noise_hs	*hs = NULL;
	uint8_t		 key[KEY_LEN];
	uint64_t	 ts;
	int		 rc;

	if ((rc = link_open(l, a)) != 0)
		return rc;
	if (cpub == NULL) {
		if ((rc = link_keyreq(l, key, deadline)) != 0)
			return rc;
		cpub = key;
	}
	if ((rc = ident_next_ts(id, &ts)) != 0 ||
	    (rc = hs_build_init(l, &hs, id, cpub, kind, token, ts)) != 0 ||
	    (rc = link_flush(l)) != 0 ||
	    (rc = hs_finish(l, hs, rp, deadline)) != 0) {
		noise_free(hs);
		return rc;
	}
	noise_free(hs);
	return 0;
}

/* --------------------------------------------------------------------
 * Events, batches and acknowledgements
 */

/* o["pad"] = pad bytes of 'x' (none for 0). 0, or -1 on failure. */
static int
pad_set(json_t *o, size_t pad)
{
	char	*p;
	int	 rc;

	if (pad == 0)
		return 0;
	if ((p = malloc(pad + 1)) == NULL)
		return -1;
	memset(p, 'x', pad);
	p[pad] = '\0';
	rc = json_object_set_new(o, "pad", json_string(p)) != 0 ? -1 : 0;
	free(p);
	return rc;
}

/* One test event: event_build("test") plus {"test": {"n": n}} and, with
 * pad, a string of pad bytes. broken: the text loses its closing brace,
 * which no JSON parser accepts. malloc'd; NULL on failure. */
static char *
test_event(uint64_t n, size_t pad, int broken, size_t *len)
{
	json_t	*ev, *t;
	char	*s = NULL;

	if ((ev = event_build("test")) == NULL)
		return NULL;
	if ((t = json_pack("{s:I}", "n", (json_int_t)n)) == NULL)
		goto done;
	if (json_object_set_new(ev, "test", t) != 0)
		goto done;
	if (pad_set(t, pad) != 0)
		goto done;
	if ((s = event_dump(ev, len)) != NULL && broken)
		s[--*len] = '\0';
done:
	json_decref(ev);
	return s;
}

/* The load of --alert: a YARA file alert as the agent's scanner makes
 * one (docs/events.md), the same rule and file every time (one scan's
 * storm), padded like test_event. malloc'd; NULL on failure. */
static char *
alert_event(size_t pad, size_t *len)
{
	json_t	*ev;
	char	*s = NULL;

	if ((ev = event_build("alert")) == NULL)
		return NULL;
	if (json_object_set_new(ev, "alert", json_pack("{s:s, s:i, s:i, s:i,"
	    " s:s, s:s, s:i}", "action", "allowed", "gid", 2, "signature_id",
	    1224481223, "rev", 1, "signature", "Webshell_PHP_Eval_Request",
	    "category", "Webshell", "severity", 1)) != 0 ||
	    json_object_set_new(ev, "file", json_pack("{s:s, s:i, s:s}",
	    "path", "/var/www/upload/x.php", "size", 29, "sha256",
	    "c59d98cc821e32fa3a0adbaaa71be19ffdc3346560d56a44a23b2b00da6975cf"))
	    != 0 || json_object_set_new(ev, "yara", json_pack("{s:s, s:s,"
	    " s:[], s:{s:i, s:s}, s:[s, s]}", "rule",
	    "Webshell_PHP_Eval_Request", "namespace", "webshell_php.yar",
	    "tags", "meta", "severity", 1, "category", "Webshell", "strings",
	    "$php", "$run")) != 0)
		goto done;
	if (pad_set(ev, pad) == 0)
		s = event_dump(ev, len);
done:
	json_decref(ev);
	return s;
}

/* The events of one `send`, all built up front. */
struct evset {
	struct wire_event	*evs;
	size_t			 n;
	uint64_t		 json_bytes;
};

static void
evset_free(struct evset *es)
{
	size_t	i;

	for (i = 0; es->evs != NULL && i < es->n; i++)
		free((char *)es->evs[i].json);
	free(es->evs);
	memset(es, 0, sizeof(*es));
}

/* n events with seqs start.., k of them broken, spread evenly. */
static int
evset_build(struct evset *es, uint64_t n, uint64_t k, uint64_t start,
    size_t pad)
{
	uint64_t	i;
	int		broken;

	memset(es, 0, sizeof(*es));
	if ((es->evs = calloc(n, sizeof(*es->evs))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++, es->n++) {
		broken = (i + 1) * k / n != i * k / n;
		es->evs[i].seq = start + i;
		es->evs[i].json = test_event(i, pad, broken, &es->evs[i].len);
		if (es->evs[i].json == NULL) {
			evset_free(es);
			return ERR_NOMEM;
		}
		es->json_bytes += es->evs[i].len;
	}
	return 0;
}

/* Seal the plaintext msg as one DATA record appended to dst. */
static int
seal_into(struct link *l, struct wbuf *dst, const uint8_t *msg, size_t len)
{
	int	rc;

	if ((rc = chan_seal(l->ch, dst, msg, len)) != 0)
		log_warnx("sealing %zu bytes: %s", len, vigil_strerror(rc));
	return rc;
}

/* Read one DATA record and decode it as an ACK. */
static int
link_ack(struct link *l, uint64_t *seq, int64_t deadline)
{
	int	rc;

	if ((rc = link_expect(l, WIRE_DATA, deadline)) != 0)
		return rc;
	if ((rc = chan_open(l->ch, &l->plain, l->in.p, l->in.len)) != 0 ||
	    (rc = wire_ack_decode(seq, l->plain.p, l->plain.len)) != 0)
		log_warnx("%s: bad ACK frame: %s", l->local, vigil_strerror(rc));
	return rc;
}

/* Produce batch i's plaintext EVENTS message and its last seq. */
typedef int	(*batch_fn)(void *arg, uint64_t i, const uint8_t **msg,
		    size_t *len, uint64_t *last);

/* Sends batches with at most WINDOW unacknowledged, as the agent does. */
struct pump {
	struct link	*l;
	batch_fn	 make;
	void		*arg;
	uint64_t	 nbatches;
	uint64_t	 sent;		/* batches written */
	uint64_t	 done;		/* batches acknowledged */
	uint64_t	 last[WINDOW];	/* last seq of batch i at [i % WINDOW] */
	uint64_t	 ack;		/* highest ACK so far */
	int64_t		 t0;		/* paced: batch i is due at */
	double		 every_ms;	/* t0 + i * every_ms; 0: unpaced */
};

static int
pump_due(const struct pump *p)
{
	return p->every_ms == 0 || clock_mono_ms() >= p->t0 +
	    (int64_t)((double)p->sent * p->every_ms);
}

/* Paced and not due: sleep until it is. */
static void
pump_wait(const struct pump *p)
{
	int64_t		due = p->t0 + (int64_t)((double)p->sent * p->every_ms);
	int64_t		left = due - clock_mono_ms();
	struct timespec	ts;

	if (left <= 0)
		return;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (left % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

static int
pump_send(struct pump *p)
{
	const uint8_t	*msg;
	size_t		 len;
	int		 rc;

	if ((rc = p->make(p->arg, p->sent, &msg, &len,
	    &p->last[p->sent % WINDOW])) != 0)
		return rc;
	wbuf_reset(&p->l->out);
	if ((rc = seal_into(p->l, &p->l->out, msg, len)) != 0 ||
	    (rc = link_flush(p->l)) != 0)
		return rc;
	p->sent++;
	return 0;
}

/* An ACK must move forward and not pass the last seq sent. */
static int
pump_ack(struct pump *p, int64_t deadline)
{
	uint64_t	seq;
	int		rc;

	if ((rc = link_ack(p->l, &seq, deadline)) != 0)
		return rc;
	if (seq <= p->ack || seq > p->last[(p->sent - 1) % WINDOW]) {
		log_warnx("%s: ACK %llu out of order (previous %llu, last sent "
		    "%llu)", p->l->local, (unsigned long long)seq,
		    (unsigned long long)p->ack,
		    (unsigned long long)p->last[(p->sent - 1) % WINDOW]);
		return ERR_MALFORMED;
	}
	p->ack = seq;
	while (p->done < p->sent && p->last[p->done % WINDOW] <= seq)
		p->done++;
	return 0;
}

/* Until every batch is acknowledged; stop (0: never) ends the sending of
 * new batches early. */
static int
pump_run(struct pump *p, int64_t deadline, int64_t stop)
{
	int	rc;

	while (p->done < p->nbatches) {
		while (p->sent < p->nbatches && p->sent - p->done < WINDOW &&
		    (stop == 0 || clock_mono_ms() < stop) && pump_due(p))
			if ((rc = pump_send(p)) != 0)
				return rc;
		if (p->done == p->sent && p->sent < p->nbatches &&
		    !pump_due(p) && (stop == 0 || clock_mono_ms() < stop)) {
			pump_wait(p);
			continue;
		}
		if (p->done == p->sent)
			break;			/* stopped early */
		if ((rc = pump_ack(p, deadline)) != 0) {
			if (rc == ERR_AGAIN || rc == ERR_IO)
				log_warnx("%s: no ACK after %llu of %llu "
				    "batches: %s", p->l->local,
				    (unsigned long long)p->done,
				    (unsigned long long)p->nbatches,
				    read_failure(p->l, rc));
			return rc;
		}
	}
	return 0;
}

/* --------------------------------------------------------------------
 * enroll and send
 */

static int
cmd_enroll(struct opts *o)
{
	struct wire_resp_payload	 rp;
	struct noise_hs			*hs = NULL;
	struct ident			 id;
	struct link			 l;
	uint8_t				 token[WIRE_TOKEN_LEN], want[32], got[32];
	uint8_t				 cpub[KEY_LEN];
	char				 aid[AGENT_ID_STRLEN];
	int64_t				 deadline = clock_mono_ms() +
					     (int64_t)o->timeout_s * 1000;
	uint64_t			 ts;
	size_t				 binlen;
	const char			*end;
	int				 rc, ex = 1;

	if (sodium_hex2bin(token, sizeof(token), o->token, strlen(o->token),
	    NULL, &binlen, &end) != 0 || binlen != sizeof(token) ||
	    *end != '\0' || keys_parse_fingerprint(want, o->fpr) != 0) {
		fprintf(stderr, "vigil-peer: --token wants 32 and --fingerprint "
		    "64 hex digits\n");
		return EXIT_USAGE;
	}
	link_init(&l);
	if (ident_load(&id, o->key, 1) != 0 ||
	    link_open(&l, &o->addr) != 0 || link_keyreq(&l, cpub,
	    deadline) != 0)
		goto done;
	crypto_generichash(got, sizeof(got), cpub, KEY_LEN, NULL, 0);
	if (sodium_memcmp(got, want, sizeof(got)) != 0) {
		printf("enroll: the collector's key does not match the "
		    "fingerprint\n");
		goto done;
	}
	if ((rc = ident_next_ts(&id, &ts)) != 0 ||
	    (rc = hs_build_init(&l, &hs, &id, cpub, WIRE_HS_ENROLL, token,
	    ts)) != 0 || (rc = link_flush(&l)) != 0 ||
	    (rc = hs_finish(&l, hs, &rp, deadline)) != 0) {
		printf("enroll: refused (%s)\n", read_failure(&l, rc));
		goto done;
	}
	keys_agent_id(aid, id.pub);
	if (strcmp(aid, rp.agent_id) != 0) {
		printf("enroll: the collector says agent id %s, expected %s\n",
		    rp.agent_id, aid);
		goto done;
	}
	fprintf(stderr, "vigil-peer: enrolled as %s, office %s\n", rp.name,
	    rp.office);
	printf("%s\n", rp.agent_id);
	ex = 0;
done:
	noise_free(hs);
	sodium_memzero(token, sizeof(token));
	ident_wipe(&id);
	link_free(&l);
	return ex;
}

struct send_ctx {
	const struct evset	*es;
	uint64_t		 batch;
	int			 compress;
	struct wbuf		*msg;
};

static int
send_batch(void *arg, uint64_t i, const uint8_t **msg, size_t *len,
    uint64_t *last)
{
	struct send_ctx	*s = arg;
	size_t		 first = (size_t)(i * s->batch), n;
	int		 rc;

	n = s->es->n - first < s->batch ? s->es->n - first : (size_t)s->batch;
	wbuf_reset(s->msg);
	if ((rc = wire_events_encode(s->msg, s->es->evs + first, n,
	    s->compress)) != 0) {
		log_warnx("encoding a batch of %zu events: %s", n,
		    vigil_strerror(rc));
		return rc;
	}
	*msg = s->msg->p;
	*len = s->msg->len;
	*last = s->es->evs[first + n - 1].seq;
	return 0;
}

static int
cmd_send(struct opts *o)
{
	struct wire_resp_payload	rp;
	struct evset			es;
	struct ident			id;
	struct link			l;
	struct send_ctx			sc;
	struct pump			p;
	int64_t				t0 = clock_mono_ms();
	int64_t				deadline = t0 +
					    (int64_t)o->timeout_s * 1000;
	int				ex = 1;

	memset(&id, 0, sizeof(id));
	link_init(&l);
	if (evset_build(&es, o->count, o->malformed, o->start,
	    (size_t)o->pad) != 0)
		goto done;
	if (ident_load(&id, o->key, 0) != 0 ||
	    agent_connect(&l, &o->addr, &id, NULL, WIRE_HS_CONNECT, NULL, &rp,
	    deadline) != 0) {
		printf("send: no session with the collector\n");
		goto done;
	}
	sc = (struct send_ctx){ &es, o->batch, o->compress, &l.tx };
	memset(&p, 0, sizeof(p));
	p.l = &l;
	p.make = send_batch;
	p.arg = &sc;
	p.nbatches = (o->count + o->batch - 1) / o->batch;
	if (pump_run(&p, deadline, 0) != 0) {
		printf("send: %llu of %llu events acknowledged\n",
		    (unsigned long long)(p.ack >= o->start ? p.ack - o->start +
		    1 : 0), (unsigned long long)o->count);
		goto done;
	}
	printf("send: agent %s (%s): %llu events (seq %llu..%llu, %llu "
	    "malformed, %llu JSON bytes) in %llu batches, acknowledged through "
	    "%llu in %.2f s\n", rp.name, rp.agent_id,
	    (unsigned long long)o->count, (unsigned long long)o->start,
	    (unsigned long long)(o->start + o->count - 1),
	    (unsigned long long)o->malformed,
	    (unsigned long long)es.json_bytes, (unsigned long long)p.nbatches,
	    (unsigned long long)p.ack, secs_since(t0));
	ex = 0;
done:
	evset_free(&es);
	ident_wipe(&id);
	link_free(&l);
	return ex;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * ping: --count batches of one event (--pad P bytes), one at a time, each
 * sent when the previous ACK came and 20 ms have passed; prints the ACK
 * latencies as JSON (ms: p50, p95, max). For the benchmarks: what one
 * agent sees while another floods.
 */
static int
cmd_ping(struct opts *o)
{
	struct wire_resp_payload	 rp;
	struct ident			 id;
	struct link			 l;
	struct evset			 es;
	int64_t				*lat = NULL, t0, t;
	uint64_t			 i, ack;
	json_t				*j;
	int				 ex = 1;

	memset(&id, 0, sizeof(id));
	memset(&es, 0, sizeof(es));
	link_init(&l);
	if ((lat = calloc(o->count, sizeof(*lat))) == NULL ||
	    evset_build(&es, o->count, 0, o->start, (size_t)o->pad) != 0 ||
	    ident_load(&id, o->key, 0) != 0 ||
	    agent_connect(&l, &o->addr, &id, NULL, WIRE_HS_CONNECT, NULL, &rp,
	    clock_mono_ms() + (int64_t)o->timeout_s * 1000) != 0)
		goto done;
	t0 = clock_mono_ms();
	for (i = 0; i < o->count; i++) {
		t = clock_mono_ms();
		wbuf_reset(&l.tx);
		wbuf_reset(&l.out);
		if (wire_events_encode(&l.tx, &es.evs[i], 1, 0) != 0 ||
		    seal_into(&l, &l.out, l.tx.p, l.tx.len) != 0 ||
		    link_flush(&l) != 0 || link_ack(&l, &ack, t +
		    (int64_t)o->timeout_s * 1000) != 0 || ack != es.evs[i].seq)
			goto done;
		lat[i] = clock_mono_ms() - t;
		usleep(20 * 1000);
	}
	qsort(lat, o->count, sizeof(*lat), cmp_i64);
	j = json_pack("{s:s, s:I, s:f, s:I, s:I, s:I}", "agent", rp.name,
	    "acks", (json_int_t)o->count, "seconds", secs_since(t0),
	    "p50_ms", (json_int_t)lat[o->count / 2],
	    "p95_ms", (json_int_t)lat[o->count * 95 / 100],
	    "max_ms", (json_int_t)lat[o->count - 1]);
	if (j != NULL && json_dumpf(j, stdout, JSON_COMPACT |
	    JSON_REAL_PRECISION(4)) == 0) {
		putchar('\n');
		ex = 0;
	}
	json_decref(j);
done:
	if (ex != 0)
		printf("ping: failed (%s)\n", read_failure(&l, ERR_IO));
	free(lat);
	evset_free(&es);
	ident_wipe(&id);
	link_free(&l);
	return ex;
}

/* --------------------------------------------------------------------
 * attack: each mode opens its own connections and checks that the
 * collector closes them.
 */

struct attack {
	const struct opts	*o;
	int64_t			 timeout_ms;
	uint8_t			 cpub[KEY_LEN];
	struct ident		 id;		/* --key, when the mode needs it */
	struct link		 l;
};

/* Wait for the collector to close l (EOF or reset) by deadline and print
 * one verdict line. silent: any byte received fails (no HS_RESP, no
 * ACK). 0 if the collector behaved. Closes l. */
static int
expect_closed(struct link *l, const char *what, int64_t t0, int64_t deadline,
    int silent)
{
	uint8_t		buf[4096];
	uint64_t	bytes = 0;
	size_t		got;
	int		rc, ok;

	while ((rc = link_read_some(l, buf, sizeof(buf), deadline,
	    &got)) == 0)
		bytes += got;
	ok = l->eof && (!silent || bytes == 0);
	printf("%s: conn %s %s after %.2f s, %llu bytes received%s -> %s\n",
	    what, l->local, l->eof ? "closed by the collector" :
	    rc == ERR_AGAIN ? "still open" : "read error", secs_since(t0),
	    (unsigned long long)bytes, silent && bytes > 0 ?
	    " (expected none)" : "", ok ? "ok" : "WRONG");
	link_close(l);
	return ok ? 0 : 1;
}

static int
attack_open(struct attack *a, const char *what)
{
	if (link_open(&a->l, &a->o->addr) != 0) {
		printf("%s: cannot connect -> WRONG\n", what);
		return 1;
	}
	return 0;
}

/* Connect and write one record with the given (possibly lying) length
 * field; the collector must close without a word. */
static int
one_record(struct attack *a, const char *what, uint32_t len, uint8_t type,
    const void *body, size_t blen, int half_close)
{
	int64_t	t0;

	if (attack_open(a, what) != 0)
		return 1;
	t0 = clock_mono_ms();
	(void)link_put_raw(&a->l, len, type, body, blen); /* may be cut off */
	if (half_close)
		shutdown(a->l.fd, SHUT_WR);
	return expect_closed(&a->l, what, t0, t0 + a->timeout_ms, 1);
}

static int
atk_random(struct attack *a)
{
	uint8_t	*junk;
	int64_t	 t0;

	if ((junk = malloc(RANDOM_BYTES)) == NULL)
		return 1;
	randombytes_buf(junk, RANDOM_BYTES);
	if (attack_open(a, "random") != 0) {
		free(junk);
		return 1;
	}
	t0 = clock_mono_ms();
	(void)link_write(&a->l, junk, RANDOM_BYTES);	/* may be cut off */
	free(junk);
	/* 64 KiB could, once in a blue moon, hold a valid KEYREQ */
	return expect_closed(&a->l, "random", t0, t0 + a->timeout_ms, 0);
}

static int
atk_truncated(struct attack *a)
{
	uint8_t	body[10];
	int	bad = 0;

	randombytes_buf(body, sizeof(body));
	/* a length no HS_INIT has: refused at the header */
	bad |= one_record(a, "truncated (announces 1000 bytes)", 1000,
	    WIRE_HS_INIT, body, sizeof(body), 0);
	/* the right length, cut short, then EOF */
	bad |= one_record(a, "truncated (half-closed)", 1 + WIRE_HS_INIT_LEN,
	    WIRE_HS_INIT, body, sizeof(body), 1);
	/* cut short and left open: only the handshake timeout ends it */
	bad |= one_record(a, "truncated (left open)", 1 + WIRE_HS_INIT_LEN,
	    WIRE_HS_INIT, body, sizeof(body), 0);
	return bad;
}

static int
atk_oversize(struct attack *a)
{
	uint8_t	body[64] = { 0 };

	return one_record(a, "oversize", 0x7fffffff, WIRE_DATA, body,
	    sizeof(body), 0);
}

static int
atk_badtype(struct attack *a)
{
	uint8_t	body[WIRE_HS_RESP_LEN];
	int	bad = 0;

	randombytes_buf(body, sizeof(body));
	bad |= one_record(a, "badtype (type 0x42)", 2, 0x42, body, 1, 0);
	bad |= one_record(a, "badtype (type 0)", 2, 0, body, 1, 0);
	bad |= one_record(a, "badtype (KEYRESP from an agent)", 1 + KEY_LEN,
	    WIRE_KEYRESP, body, KEY_LEN, 0);
	bad |= one_record(a, "badtype (HS_RESP from an agent)",
	    1 + WIRE_HS_RESP_LEN, WIRE_HS_RESP, body, WIRE_HS_RESP_LEN, 0);
	bad |= one_record(a, "badtype (STREAM_HDR before the handshake)",
	    1 + WIRE_STREAM_HDR_LEN, WIRE_STREAM_HDR, body,
	    WIRE_STREAM_HDR_LEN, 0);
	bad |= one_record(a, "badtype (DATA before the handshake)", 1 + 64,
	    WIRE_DATA, body, 64, 0);
	return bad;
}

/* Two key requests are answered, the third closes; so does a bad
 * version. One at a time: a close discards replies still queued in the
 * collector, so pipelined requests would see none. */
static int
atk_keyreqs(struct attack *a)
{
	uint8_t	pub[KEY_LEN], ver = WIRE_VERSION, bad_ver = 0xff;
	int64_t	t0;
	int	i, bad = 0;

	if (attack_open(a, "keyreqs") != 0)
		return 1;
	t0 = clock_mono_ms();
	for (i = 0; i < 2; i++) {
		if (link_keyreq(&a->l, pub, t0 + a->timeout_ms) != 0) {
			printf("keyreqs: KEYREQ %d of 2 not answered -> WRONG\n",
			    i + 1);
			bad = 1;
			break;
		}
	}
	(void)link_put(&a->l, WIRE_KEYREQ, &ver, 1);
	bad |= expect_closed(&a->l, "keyreqs (third KEYREQ)", t0,
	    t0 + a->timeout_ms, 1);
	bad |= one_record(a, "keyreqs (version 255)", 2, WIRE_KEYREQ,
	    &bad_ver, 1, 0);
	return bad;
}

/* Connect and send one HS_INIT built from id to rs; it must be refused
 * without an HS_RESP. */
static int
refused_init(struct attack *a, const char *what, struct ident *id,
    const uint8_t rs[static KEY_LEN], uint8_t kind, const uint8_t *token,
    uint64_t ts)
{
	struct noise_hs	*hs = NULL;
	int64_t		 t0;

	if (attack_open(a, what) != 0)
		return 1;
	t0 = clock_mono_ms();
	if (hs_build_init(&a->l, &hs, id, rs, kind, token, ts) != 0) {
		link_close(&a->l);
		return 1;
	}
	noise_free(hs);
	(void)link_flush(&a->l);
	return expect_closed(&a->l, what, t0, t0 + a->timeout_ms, 1);
}

static int
atk_wrongkey(struct attack *a)
{
	struct ident	fresh;
	uint8_t		rs[KEY_LEN], junk[KEY_LEN];
	int		rc;

	ident_fresh(&fresh);
	keys_generate(rs, junk);
	rc = refused_init(a, "wrongkey", &fresh, rs, WIRE_HS_CONNECT, NULL,
	    realtime_ns());
	ident_wipe(&fresh);
	return rc;
}

static int
atk_unknownkey(struct attack *a)
{
	struct ident	fresh;
	int		rc;

	ident_fresh(&fresh);
	rc = refused_init(a, "unknownkey", &fresh, a->cpub, WIRE_HS_CONNECT,
	    NULL, realtime_ns());
	ident_wipe(&fresh);
	return rc;
}

static int
atk_badtoken(struct attack *a)
{
	struct ident	fresh;
	uint8_t		token[WIRE_TOKEN_LEN];
	int		rc;

	ident_fresh(&fresh);
	randombytes_buf(token, sizeof(token));
	rc = refused_init(a, "badtoken", &fresh, a->cpub, WIRE_HS_ENROLL,
	    token, realtime_ns());
	ident_wipe(&fresh);
	return rc;
}

/* A fresh handshake from the enrolled key with an old timestamp. */
static int
atk_oldts(struct attack *a)
{
	return refused_init(a, "oldts", &a->id, a->cpub, WIRE_HS_CONNECT, NULL,
	    1);
}

/* Issue 8, item 5: timestamps far ahead must be refused, or the key is
 * locked out until then (the good key's next delivery shows it). */
static int
atk_futurets(struct attack *a)
{
	return refused_init(a, "futurets (INT64_MAX)", &a->id, a->cpub,
	    WIRE_HS_CONNECT, NULL, INT64_MAX);
}

static int
atk_aheadts(struct attack *a)
{
	return refused_init(a, "aheadts (now + tolerance + 1 s)", &a->id,
	    a->cpub, WIRE_HS_CONNECT, NULL, realtime_ns() +
	    (WIRE_HS_AHEAD_MAX_S + 1ULL) * 1000000000ULL);
}

/* Not a close check: a timestamp 5 s inside the tolerance is accepted
 * (and saved in FILE.ts, so the key's next handshakes follow it). */
static int
atk_ahead_ok(struct attack *a)
{
	struct wire_resp_payload	 rp;
	struct noise_hs			*hs = NULL;
	uint64_t			 ts;
	int64_t				 t0 = clock_mono_ms();
	int				 rc;

	if (attack_open(a, "ahead-ok") != 0)
		return 1;
	if ((rc = ident_next_ts_from(&a->id, realtime_ns() +
	    (WIRE_HS_AHEAD_MAX_S - 5ULL) * 1000000000ULL, &ts)) != 0 ||
	    (rc = hs_build_init(&a->l, &hs, &a->id, a->cpub, WIRE_HS_CONNECT,
	    NULL, ts)) != 0 || (rc = link_flush(&a->l)) != 0 ||
	    (rc = hs_finish(&a->l, hs, &rp, t0 + a->timeout_ms)) != 0)
		printf("ahead-ok: conn %s: a timestamp %d s ahead was refused "
		    "(%s) -> WRONG\n", a->l.local, WIRE_HS_AHEAD_MAX_S - 5,
		    read_failure(&a->l, rc));
	else
		printf("ahead-ok: conn %s: a timestamp %d s ahead was accepted "
		    "-> ok\n", a->l.local, WIRE_HS_AHEAD_MAX_S - 5);
	noise_free(hs);
	link_close(&a->l);
	return rc != 0;
}

static int
atk_replay_handshake(struct attack *a)
{
	struct wire_resp_payload	 rp;
	struct noise_hs			*hs = NULL;
	uint8_t				*copy = NULL;
	size_t				 len;
	uint64_t			 ts;
	int64_t				 t0 = clock_mono_ms();
	int				 rc;

	if (attack_open(a, "replay-handshake (original)") != 0)
		return 1;
	if ((rc = ident_next_ts(&a->id, &ts)) != 0 ||
	    (rc = hs_build_init(&a->l, &hs, &a->id, a->cpub, WIRE_HS_CONNECT,
	    NULL, ts)) != 0)
		goto fail;
	len = a->l.out.len;
	if ((copy = malloc(len)) == NULL)
		goto fail;
	memcpy(copy, a->l.out.p, len);
	if ((rc = link_flush(&a->l)) != 0 ||
	    (rc = hs_finish(&a->l, hs, &rp, t0 + a->timeout_ms)) != 0) {
		printf("replay-handshake: the original handshake failed (%s) "
		    "-> WRONG\n", read_failure(&a->l, rc));
		goto fail;
	}
	printf("replay-handshake: conn %s: original accepted as %s (%s)\n",
	    a->l.local, rp.name, rp.agent_id);
	noise_free(hs);
	link_close(&a->l);
	if (attack_open(a, "replay-handshake") != 0) {
		free(copy);
		return 1;
	}
	t0 = clock_mono_ms();
	(void)link_write(&a->l, copy, len);
	free(copy);
	return expect_closed(&a->l, "replay-handshake (same bytes again)", t0,
	    t0 + a->timeout_ms, 1);
fail:
	free(copy);
	noise_free(hs);
	link_close(&a->l);
	return 1;
}

/* A good session on a->l as --key. */
static int
attack_session(struct attack *a, const char *what)
{
	struct wire_resp_payload	rp;
	int				rc;

	if ((rc = agent_connect(&a->l, &a->o->addr, &a->id, a->cpub,
	    WIRE_HS_CONNECT, NULL, &rp, clock_mono_ms() + a->timeout_ms)) != 0) {
		printf("%s: no session with the collector (%s) -> WRONG\n", what,
		    read_failure(&a->l, rc));
		link_close(&a->l);
		return 1;
	}
	printf("%s: conn %s: session as %s (%s)\n", what, a->l.local, rp.name,
	    rp.agent_id);
	return 0;
}

/* An EVENTS message of one test event with seq, in msg. */
static int
encode_event(struct wbuf *msg, uint64_t seq)
{
	struct wire_event	ev = { .seq = seq };
	int			rc;

	if ((ev.json = test_event(seq, 0, 0, &ev.len)) == NULL)
		return ERR_NOMEM;
	wbuf_reset(msg);
	rc = wire_events_encode(msg, &ev, 1, 0);
	free((char *)ev.json);
	return rc;
}

/* The same, sealed as a DATA record appended to dst. */
static int
seal_event(struct link *l, struct wbuf *dst, uint64_t seq)
{
	int	rc;

	if ((rc = encode_event(&l->tx, seq)) != 0)
		return rc;
	return seal_into(l, dst, l->tx.p, l->tx.len);
}

static int
atk_replay_frame(struct attack *a)
{
	struct wbuf	f;
	uint64_t	seq;
	int64_t		t0;
	int		rc = 1;

	wbuf_init(&f, 0);
	if (attack_session(a, "replay-frame") != 0)
		goto done;
	t0 = clock_mono_ms();
	if (seal_event(&a->l, &f, a->o->start) != 0 ||
	    link_write(&a->l, f.p, f.len) != 0 ||
	    link_ack(&a->l, &seq, t0 + a->timeout_ms) != 0 ||
	    seq != a->o->start) {
		printf("replay-frame: the original frame was not acknowledged "
		    "-> WRONG\n");
		link_close(&a->l);
		goto done;
	}
	printf("replay-frame: original frame (seq %llu) acknowledged\n",
	    (unsigned long long)seq);
	t0 = clock_mono_ms();
	(void)link_write(&a->l, f.p, f.len);
	rc = expect_closed(&a->l, "replay-frame (same frame again)", t0,
	    t0 + a->timeout_ms, 1);
done:
	wbuf_free(&f);
	return rc;
}

static int
atk_reorder(struct attack *a)
{
	struct wbuf	f1, f2;
	int64_t		t0;
	int		rc = 1;

	wbuf_init(&f1, 0);
	wbuf_init(&f2, 0);
	if (attack_session(a, "reorder") != 0)
		goto done;
	if (seal_event(&a->l, &f1, a->o->start) != 0 ||
	    seal_event(&a->l, &f2, a->o->start + 1) != 0) {
		link_close(&a->l);
		goto done;
	}
	t0 = clock_mono_ms();
	(void)link_write(&a->l, f2.p, f2.len);
	rc = expect_closed(&a->l, "reorder (second frame first)", t0,
	    t0 + a->timeout_ms, 1);
done:
	wbuf_free(&f1);
	wbuf_free(&f2);
	return rc;
}

static int
atk_badmac(struct attack *a)
{
	struct wbuf	f;
	int64_t		t0;
	int		rc = 1;

	wbuf_init(&f, 0);
	if (attack_session(a, "badmac") != 0)
		goto done;
	if (seal_event(&a->l, &f, a->o->start) != 0) {
		link_close(&a->l);
		goto done;
	}
	/* one bit in the middle of the ciphertext */
	f.p[WIRE_HDR_LEN + (f.len - WIRE_HDR_LEN) / 2] ^= 0x01;
	t0 = clock_mono_ms();
	(void)link_write(&a->l, f.p, f.len);
	rc = expect_closed(&a->l, "badmac (one bit flipped)", t0,
	    t0 + a->timeout_ms, 1);
done:
	wbuf_free(&f);
	return rc;
}

/* A session, then one authentic frame holding msg; must be closed. */
static int
bad_message(struct attack *a, const char *what, const uint8_t *msg,
    size_t len)
{
	int64_t	t0;

	if (attack_session(a, what) != 0)
		return 1;
	wbuf_reset(&a->l.out);
	if (seal_into(&a->l, &a->l.out, msg, len) != 0) {
		link_close(&a->l);
		return 1;
	}
	t0 = clock_mono_ms();
	(void)link_flush(&a->l);
	return expect_closed(&a->l, what, t0, t0 + a->timeout_ms, 1);
}

static int
atk_badmsg(struct attack *a)
{
	struct wbuf	m;
	uint8_t		unknown[5] = { 9, 0, 0, 0, 0 };
	uint8_t		zstd[EVENTS_HDR_LEN + 32];
	uint8_t		hb[5 + 8];
	int		bad = 0;

	bad |= bad_message(a, "badmsg (inner type 9)", unknown,
	    sizeof(unknown));
	/* EVENTS that claims two events and holds one */
	wbuf_init(&m, 0);
	if (encode_event(&m, a->o->start) == 0) {
		put_be32(m.p + 2, 2);
		bad |= bad_message(a, "badmsg (count 2, one event)", m.p,
		    m.len);
	} else {
		bad = 1;
	}
	wbuf_free(&m);
	/* "compressed" EVENTS that is no zstd frame */
	randombytes_buf(zstd, sizeof(zstd));
	zstd[0] = WIRE_MSG_EVENTS;
	zstd[1] = WIRE_EVENTS_ZSTD;
	put_be32(zstd + 2, 1);
	put_be32(zstd + 6, 100);
	bad |= bad_message(a, "badmsg (bad zstd)", zstd, sizeof(zstd));
	/* a heartbeat that is not JSON */
	hb[0] = WIRE_MSG_HEARTBEAT;
	put_be32(hb + 1, 8);
	memcpy(hb + 5, "not json", 8);
	bad |= bad_message(a, "badmsg (heartbeat not JSON)", hb, sizeof(hb));
	return bad;
}

/* Not a close check: after --seconds, an EVENTS message with no events
 * (legal: nothing to store, no ACK), then one event whose ACK must come.
 * Sent while the collector's writer backlog is high, this catches a
 * connection that is paused with nothing in flight and never resumed. */
static int
atk_empty_batch(struct attack *a)
{
	struct wbuf	m;
	uint64_t	seq;
	int64_t		t0;
	int		rc = 1;

	wbuf_init(&m, 0);
	if (attack_session(a, "empty-batch") != 0)
		goto done;
	if (a->o->seconds > 0)
		sleep((unsigned)a->o->seconds);
	t0 = clock_mono_ms();
	wbuf_reset(&a->l.out);
	if (wire_events_encode(&m, NULL, 0, 0) != 0 ||
	    seal_into(&a->l, &a->l.out, m.p, m.len) != 0 ||
	    seal_event(&a->l, &a->l.out, a->o->start) != 0 ||
	    link_flush(&a->l) != 0)
		goto done;
	if ((rc = link_ack(&a->l, &seq, t0 + a->timeout_ms)) == 0 &&
	    seq == a->o->start) {
		printf("empty-batch: conn %s: the event after an empty batch "
		    "was acknowledged in %.2f s -> ok\n", a->l.local,
		    secs_since(t0));
		rc = 0;
	} else {
		printf("empty-batch: conn %s: no ACK for the event after an "
		    "empty batch within %.2f s (%s) -> WRONG\n", a->l.local,
		    secs_since(t0), rc ? read_failure(&a->l, rc) : "wrong seq");
		rc = 1;
	}
done:
	link_close(&a->l);
	wbuf_free(&m);
	return rc;
}

/* A batch of n test events from seq, sealed onto l and written. */
static int
send_events(struct link *l, uint64_t seq, uint64_t n)
{
	struct evset	es;
	int		rc;

	if ((rc = evset_build(&es, n, 0, seq, 0)) != 0)
		return rc;
	wbuf_reset(&l->tx);
	if ((rc = wire_events_encode(&l->tx, es.evs, es.n, 0)) == 0) {
		wbuf_reset(&l->out);
		if ((rc = seal_into(l, &l->out, l->tx.p, l->tx.len)) == 0)
			rc = link_flush(l);
	}
	evset_free(&es);
	return rc;
}

/* Send n events from seq on l and wait for their ACK. */
static int
events_acked(struct link *l, uint64_t seq, uint64_t n, int64_t deadline)
{
	uint64_t	ack;
	int		rc;

	if ((rc = send_events(l, seq, n)) != 0 ||
	    (rc = link_ack(l, &ack, deadline)) != 0)
		return rc;
	return ack == seq + n - 1 ? 0 : ERR_MALFORMED;
}

/*
 * Not a close check: the sequence of issue 8, item 1, against a
 * collector whose writer queue is small (queue_events 10) and slow to
 * commit (commit_interval 2s). B (--key2) fills the queue and is paused;
 * a new connection of --key sends KEYREQ and HS_INIT in one write and is
 * paused after the KEYREQ; the old connection A of --key sends a batch and
 * is paused after it. At the commit the paused connections resume in
 * that order, and the new connection's handshake replaces A while A is
 * still waiting to resume. Then B must go on being paused and resumed:
 * two more batches, each acknowledged. --start is --key2's first seq;
 * --key uses --start + 1000.
 */
static int
atk_replace_paused(struct attack *a)
{
	struct wire_resp_payload	 rp;
	struct noise_hs			*hs = NULL;
	struct ident			 id2;
	struct link			 b, n;
	struct wbuf			 both;
	uint8_t				 ver = WIRE_VERSION;
	uint64_t			 ts, seq = a->o->start, ack;
	int64_t				 t0 = clock_mono_ms(), dl = t0 + a->timeout_ms;
	int				 rc, ok = 0;

	link_init(&b);
	link_init(&n);
	wbuf_init(&both, 0);
	memset(&id2, 0, sizeof(id2));
	if (ident_load(&id2, a->o->key2, 0) != 0 ||
	    agent_connect(&b, &a->o->addr, &id2, a->cpub, WIRE_HS_CONNECT,
	    NULL, &rp, dl) != 0 || attack_session(a, "replace-paused") != 0) {
		printf("replace-paused: no sessions -> WRONG\n");
		goto done;
	}
	/* B fills the writer's queue and is paused */
	if ((rc = send_events(&b, seq, 50)) != 0)
		goto io;
	usleep(200 * 1000);
	/* the new connection: KEYREQ and HS_INIT in one write */
	if ((rc = link_open(&n, &a->o->addr)) != 0 ||
	    (rc = ident_next_ts(&a->id, &ts)) != 0 ||
	    (rc = hs_build_init(&n, &hs, &a->id, a->cpub, WIRE_HS_CONNECT,
	    NULL, ts)) != 0)
		goto io;
	wire_record_put(&both, WIRE_KEYREQ, &ver, 1);
	wbuf_bytes(&both, n.out.p, n.out.len);
	if ((rc = both.err) != 0 ||
	    (rc = link_write(&n, both.p, both.len)) != 0 ||
	    (rc = link_expect(&n, WIRE_KEYRESP, dl)) != 0)
		goto io;
	/* A sends a batch and is paused behind the new connection */
	if ((rc = send_events(&a->l, seq + 1000, 1)) != 0)
		goto io;
	usleep(200 * 1000);
	printf("replace-paused: B %s, A %s and new %s paused behind a full "
	    "queue\n", b.local, a->l.local, n.local);
	/* the commit resumes them: the new one replaces A */
	if ((rc = hs_finish(&n, hs, &rp, dl)) != 0) {
		printf("replace-paused: the new connection's handshake failed "
		    "(%s) -> WRONG\n", read_failure(&n, rc));
		goto done;
	}
	printf("replace-paused: new connection %s is %s; A replaced\n",
	    n.local, rp.agent_id);
	if ((rc = link_ack(&b, &ack, dl)) != 0 || ack != seq + 49)
		goto io;
	/* B is paused and resumed again, twice */
	if ((rc = events_acked(&b, seq + 50, 50, dl)) != 0 ||
	    (rc = events_acked(&b, seq + 100, 50, dl)) != 0)
		goto io;
	printf("replace-paused: B's next two batches acknowledged in %.2f s "
	    "-> ok\n", secs_since(t0));
	ok = 1;
	goto done;
io:
	printf("replace-paused: %s after %.2f s -> WRONG\n",
	    b.eof || n.eof ? "closed by the collector" : vigil_strerror(rc),
	    secs_since(t0));
done:
	noise_free(hs);
	ident_wipe(&id2);
	link_free(&b);
	link_free(&n);
	link_close(&a->l);
	wbuf_free(&both);
	return ok ? 0 : 1;
}

static int
atk_idle(struct attack *a)
{
	int64_t	t0;

	if (attack_open(a, "idle") != 0)
		return 1;
	t0 = clock_mono_ms();
	return expect_closed(&a->l, "idle", t0, t0 + a->timeout_ms, 1);
}

/* Dribble an HS_INIT one byte every 250 ms: the handshake deadline is
 * absolute, so activity must not extend it. */
static int
atk_slow(struct attack *a)
{
	struct noise_hs	*hs = NULL;
	struct ident	 fresh;
	uint8_t		 b;
	size_t		 i, got, n = 0;
	int64_t		 t0;
	int		 rc = ERR_AGAIN;

	ident_fresh(&fresh);
	if (attack_open(a, "slow") != 0)
		return 1;
	t0 = clock_mono_ms();
	if (hs_build_init(&a->l, &hs, &fresh, a->cpub, WIRE_HS_CONNECT, NULL,
	    realtime_ns()) != 0) {
		ident_wipe(&fresh);
		link_close(&a->l);
		return 1;
	}
	noise_free(hs);
	ident_wipe(&fresh);
	for (i = 0; i + 1 < a->l.out.len && clock_mono_ms() < t0 + a->timeout_ms;
	    i++) {
		if (link_write(&a->l, a->l.out.p + i, 1) != 0)
			break;
		n++;
		rc = link_read_some(&a->l, &b, 1, clock_mono_ms() + 250, &got);
		if (rc != ERR_AGAIN)
			break;
	}
	printf("slow: %zu of %zu bytes written, one per 250 ms\n", n,
	    a->l.out.len);
	return expect_closed(&a->l, "slow", t0, t0 + a->timeout_ms, 1);
}

/* For the benchmarks: --conns connections in a row, each sends one HS_INIT
 * from a fresh unknown key, reads one record or the close, and hangs up;
 * cookies are never answered. Prints what came back. Exit 0. */
static int
atk_hsinit(struct attack *a)
{
	struct noise_hs	*hs = NULL;
	struct ident	 fresh;
	uint64_t	 i, cookies = 0, closed = 0;
	int64_t		 t0 = clock_mono_ms();
	int		 rc;

	ident_fresh(&fresh);
	for (i = 0; i < a->o->conns; i++) {
		if (link_open(&a->l, &a->o->addr) != 0 ||
		    hs_build_init(&a->l, &hs, &fresh, a->cpub, WIRE_HS_CONNECT,
		    NULL, realtime_ns()) != 0)
			break;
		noise_free(hs);
		hs = NULL;
		(void)link_flush(&a->l);
		rc = link_record(&a->l, clock_mono_ms() + a->timeout_ms);
		if (rc == 0 && a->l.rtype == WIRE_COOKIE)
			cookies++;
		else if (rc == ERR_IO && a->l.eof)
			closed++;
		link_close(&a->l);
	}
	ident_wipe(&fresh);
	printf("hsinit: %llu HS_INIT from unknown keys in %.2f s: %llu got a "
	    "cookie, %llu were closed\n", (unsigned long long)i,
	    secs_since(t0), (unsigned long long)cookies,
	    (unsigned long long)closed);
	return 0;
}

/* Open a connection on l, send an HS_INIT from a fresh key and expect a
 * COOKIE (the collector must be asking for cookies: cookie_threshold 0).
 * On success l->out still holds the HS_INIT record and *retry the right
 * HS_INIT_COOKIE body for l. */
static int
cookie_asked(struct attack *a, struct link *l, const char *what,
    uint8_t retry[static WIRE_HS_INIT_COOKIE_LEN])
{
	struct noise_hs	*hs = NULL;
	struct ident	 fresh;
	int		 rc;

	ident_fresh(&fresh);
	if ((rc = link_open(l, &a->o->addr)) == 0 &&
	    (rc = hs_build_init(l, &hs, &fresh, a->cpub, WIRE_HS_CONNECT,
	    NULL, realtime_ns())) == 0 && (rc = link_flush(l)) == 0)
		rc = link_expect(l, WIRE_COOKIE, clock_mono_ms() +
		    a->timeout_ms);
	if (rc == 0)
		rc = hsclient_cookie(retry, a->cpub, l->out.p +
		    WIRE_HDR_LEN, l->in.p, l->in.len);
	if (rc != 0)
		printf("%s: no COOKIE for an HS_INIT (%s) -> WRONG\n", what,
		    read_failure(l, rc));
	noise_free(hs);
	ident_wipe(&fresh);
	return rc;
}

/*
 * Cookies that must not work, against a collector that asks for them
 * (cookie_threshold 0): a wrong MAC; a right one made for another
 * connection; an HS_INIT_COOKIE nobody asked for; a plain HS_INIT again
 * after the COOKIE. Each closes the connection without an HS_RESP.
 */
static int
atk_badcookie(struct attack *a)
{
	struct link	b;
	uint8_t		retry[WIRE_HS_INIT_COOKIE_LEN], other[sizeof(retry)];
	int64_t		t0;
	int		bad = 0;

	link_init(&b);
	if (cookie_asked(a, &a->l, "badcookie (wrong MAC)", retry) != 0)
		bad = 1;
	else {
		retry[WIRE_HS_INIT_LEN] ^= 1;
		t0 = clock_mono_ms();
		(void)link_put(&a->l, WIRE_HS_INIT_COOKIE, retry,
		    sizeof(retry));
		bad |= expect_closed(&a->l, "badcookie (wrong MAC)", t0,
		    t0 + a->timeout_ms, 1);
	}
	/* b's cookie, on a->l: bound to b's port, so wrong on a->l */
	if (cookie_asked(a, &b, "badcookie (another conn's cookie)",
	    other) != 0 || cookie_asked(a, &a->l,
	    "badcookie (another conn's cookie)", retry) != 0)
		bad = 1;
	else {
		t0 = clock_mono_ms();
		(void)link_put(&a->l, WIRE_HS_INIT_COOKIE, other,
		    sizeof(other));
		bad |= expect_closed(&a->l, "badcookie (another conn's cookie)",
		    t0, t0 + a->timeout_ms, 1);
	}
	link_free(&b);
	memset(other, 0, sizeof(other));
	bad |= one_record(a, "badcookie (HS_INIT_COOKIE unasked)",
	    1 + WIRE_HS_INIT_COOKIE_LEN, WIRE_HS_INIT_COOKIE, other,
	    sizeof(other), 0);
	if (cookie_asked(a, &a->l, "badcookie (HS_INIT again)", retry) != 0)
		return 1;
	t0 = clock_mono_ms();
	(void)link_put(&a->l, WIRE_HS_INIT, retry, WIRE_HS_INIT_LEN);
	bad |= expect_closed(&a->l, "badcookie (HS_INIT again)", t0,
	    t0 + a->timeout_ms, 1);
	return bad;
}

static void
raise_nofile(rlim_t want)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("raising RLIMIT_NOFILE");
}

struct flood {
	struct pollfd	*pfd;
	size_t		 n;
	size_t		 ok, refused, failed, pending;
};

/* Start n non-blocking connects. */
static void
flood_start(struct flood *f, const struct peer_addr *addr)
{
	size_t	i;
	int	fd;

	for (i = 0; i < f->n; i++) {
		f->pfd[i].fd = -1;
		fd = peer_socket(addr, SOCK_NONBLOCK);
		if (fd == -1) {
			if (f->failed++ == 0)
				log_warn("flood: socket");
			continue;
		}
		f->pfd[i].fd = fd;
		f->pfd[i].events = POLLOUT;
		if (connect(fd, (const struct sockaddr *)&addr->ss,
		    addr->len) == 0) {
			f->ok++;
			f->pfd[i].events = 0;
		} else if (errno == EINPROGRESS) {
			f->pending++;
		} else {
			if (errno == ECONNREFUSED)
				f->refused++;
			else if (f->failed++ == 0)
				log_warn("flood: connect");
			f->pfd[i].events = 0;
		}
	}
}

/* Collect connect results until none is pending or deadline. */
static void
flood_wait(struct flood *f, int64_t deadline)
{
	socklen_t	len;
	size_t		i;
	int		err, left;

	while (f->pending > 0 && (left = (int)(deadline - clock_mono_ms())) > 0) {
		if (poll(f->pfd, f->n, left) <= 0)
			continue;
		for (i = 0; i < f->n; i++) {
			if (f->pfd[i].events != POLLOUT || f->pfd[i].revents == 0)
				continue;
			f->pfd[i].events = 0;
			f->pending--;
			len = sizeof(err);
			if (getsockopt(f->pfd[i].fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) != 0)
				err = errno;
			if (err == 0)
				f->ok++;
			else if (err == ECONNREFUSED)
				f->refused++;
			else if (f->failed++ == 0)
				log_warnx("flood: connect: %s", strerror(err));
		}
	}
}

/* Of the connected sockets in f, how many the collector closes or resets
 * within ms; each is polled for input. */
static size_t
flood_closed(struct flood *f, int ms)
{
	int64_t	deadline = clock_mono_ms() + ms;
	uint8_t	buf[4096];
	size_t	i, closed = 0, open = 0;
	ssize_t	r;
	int	left;

	for (i = 0; i < f->n; i++) {
		f->pfd[i].events = f->pfd[i].fd != -1 ? POLLIN : 0;
		open += f->pfd[i].fd != -1;
	}
	while (closed < open && (left = (int)(deadline - clock_mono_ms())) > 0) {
		if (poll(f->pfd, f->n, left) <= 0)
			continue;
		for (i = 0; i < f->n; i++) {
			if (f->pfd[i].events == 0 || f->pfd[i].revents == 0)
				continue;
			r = recv(f->pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0 || (r == -1 && errno == EAGAIN))
				continue;
			f->pfd[i].events = 0;
			closed++;
		}
	}
	return closed;
}

static int
atk_flood(struct attack *a)
{
	struct flood	f;
	uint8_t		pub[KEY_LEN];
	size_t		i, closed;
	int64_t		t0 = clock_mono_ms(), t1;
	int		alive, hold;

	memset(&f, 0, sizeof(f));
	f.n = (size_t)a->o->conns;
	raise_nofile((rlim_t)f.n + 64);
	if ((f.pfd = calloc(f.n, sizeof(*f.pfd))) == NULL)
		return 1;
	flood_start(&f, &a->o->addr);
	flood_wait(&f, t0 + a->timeout_ms);
	printf("flood: %zu connections in %.2f s: %zu connected, %zu refused, "
	    "%zu failed, %zu still pending\n", f.n, secs_since(t0), f.ok,
	    f.refused, f.failed, f.pending);
	hold = a->o->seconds > 0 ? (int)a->o->seconds * 1000 : FLOOD_HOLD_MS;
	t1 = clock_mono_ms();
	closed = flood_closed(&f, hold);
	if ((t1 = hold - (clock_mono_ms() - t1)) > 0)
		usleep((useconds_t)t1 * 1000);
	printf("flood: %zu of them closed by the collector within the %.1f s "
	    "hold\n", closed, hold / 1000.0);
	for (i = 0; i < f.n; i++)
		if (f.pfd[i].fd != -1)
			close(f.pfd[i].fd);
	free(f.pfd);
	t1 = clock_mono_ms();
	alive = fetch_collector_key(&a->o->addr, pub, t1 + a->timeout_ms) == 0;
	printf("flood: after closing them, a key request was %s in %.2f s "
	    "-> %s\n", alive ? "answered" : "NOT answered", secs_since(t1),
	    alive && f.ok + f.refused == f.n ? "ok" : "WRONG");
	return alive && f.ok + f.refused == f.n ? 0 : 1;
}

/*
 * Issue 8, item 2: sockets that announce a DATA record as big as the
 * protocol allows before any handshake, send all of it but the last byte
 * and hold on. The collector must close every one of them at the header
 * (or refuse it at accept), never buffer the bodies. --conns N sockets,
 * held --seconds S (default 1) before the check.
 */
static int
atk_dataflood(struct attack *a)
{
	struct flood	 f;
	uint8_t		*rec;
	size_t		 i, closed;
	size_t		 len = 4 + WIRE_MAX_RECORD - 1;	/* one byte short */
	int64_t		 t0 = clock_mono_ms();
	int		 fl;

	memset(&f, 0, sizeof(f));
	f.n = (size_t)a->o->conns;
	raise_nofile((rlim_t)f.n + 64);
	if ((f.pfd = calloc(f.n, sizeof(*f.pfd))) == NULL ||
	    (rec = calloc(1, len)) == NULL) {
		free(f.pfd);
		return 1;
	}
	put_be32(rec, WIRE_MAX_RECORD);
	rec[4] = WIRE_DATA;
	randombytes_buf(rec + WIRE_HDR_LEN, len - WIRE_HDR_LEN);
	flood_start(&f, &a->o->addr);
	flood_wait(&f, t0 + a->timeout_ms);
	for (i = 0; i < f.n; i++) {
		if (f.pfd[i].fd == -1)
			continue;
		/* blocking, bounded by SO_SNDTIMEO; errors are the point */
		if ((fl = fcntl(f.pfd[i].fd, F_GETFL)) != -1)
			(void)fcntl(f.pfd[i].fd, F_SETFL, fl & ~O_NONBLOCK);
		(void)setsockopt(f.pfd[i].fd, SOL_SOCKET, SO_SNDTIMEO,
		    &(struct timeval){ 2, 0 }, sizeof(struct timeval));
		(void)send(f.pfd[i].fd, rec, len, MSG_NOSIGNAL);
	}
	free(rec);
	printf("dataflood: %zu connections from %s, each sent a DATA header "
	    "for %d bytes and all but one byte of it, in %.2f s\n", f.n,
	    a->o->source ? a->o->source : "the default address",
	    WIRE_MAX_RECORD, secs_since(t0));
	closed = flood_closed(&f, a->o->seconds > 0 ?
	    (int)a->o->seconds * 1000 : FLOOD_HOLD_MS);
	for (i = 0; i < f.n; i++)
		if (f.pfd[i].fd != -1)
			close(f.pfd[i].fd);
	free(f.pfd);
	printf("dataflood: %zu of %zu closed by the collector -> %s\n", closed,
	    f.ok, closed == f.ok ? "ok" : "WRONG");
	return closed == f.ok ? 0 : 1;
}

/* A DATA header for the largest record before any handshake, 64 bytes
 * of body, and nothing more: closed at the header, not after a body. */
static int
atk_early_data(struct attack *a)
{
	uint8_t	body[64];

	randombytes_buf(body, sizeof(body));
	return one_record(a, "early-data (DATA header, body withheld)",
	    WIRE_MAX_RECORD, WIRE_DATA, body, sizeof(body), 0);
}

/*
 * --conns N handshakes in a row from one address, each on its own
 * connection: as --key with fresh timestamps when given (each would be
 * accepted), else as a fresh unknown key (each is refused after the DH
 * work). Prints how many got an HS_RESP and how many were closed, and the
 * rate; not a pass/fail check (exit 0 unless the tool fails).
 */
static int
atk_hsflood(struct attack *a)
{
	struct noise_hs	*hs = NULL;
	struct ident	 fresh;
	uint64_t	 ts, i, ok = 0, closed = 0;
	int64_t		 t0 = clock_mono_ms();
	int		 rc;

	for (i = 0; i < a->o->conns; i++) {
		if (a->o->key == NULL)
			ident_fresh(&fresh);
		if (link_open(&a->l, &a->o->addr) != 0)
			return 1;
		ts = realtime_ns();
		if ((a->o->key != NULL && ident_next_ts(&a->id, &ts) != 0) ||
		    hs_build_init(&a->l, &hs, a->o->key != NULL ? &a->id :
		    &fresh, a->cpub, WIRE_HS_CONNECT, NULL, ts) != 0) {
			link_close(&a->l);
			return 1;
		}
		(void)link_flush(&a->l);
		rc = hs_expect_resp(&a->l, hs, clock_mono_ms() + a->timeout_ms);
		noise_free(hs);
		hs = NULL;
		if (rc == 0)
			ok++;
		else if (a->l.eof)
			closed++;
		link_close(&a->l);
	}
	if (a->o->key == NULL)
		ident_wipe(&fresh);
	printf("hsflood: %llu handshakes from %s in %.2f s: %llu answered, "
	    "%llu closed, %llu other; %llu cookies answered\n",
	    (unsigned long long)a->o->conns,
	    a->o->source ? a->o->source : "the default address",
	    secs_since(t0), (unsigned long long)ok,
	    (unsigned long long)closed,
	    (unsigned long long)(a->o->conns - ok - closed),
	    (unsigned long long)a->l.cookies);
	return 0;
}

static const struct attack_mode {
	const char	*name;
	int		(*fn)(struct attack *);
	int		 need_key;	/* --key: an enrolled key */
	int		 need_cpub;	/* the collector's key, by KEYREQ */
} attack_modes[] = {
	{ "random",		atk_random,		0, 0 },
	{ "truncated",		atk_truncated,		0, 0 },
	{ "oversize",		atk_oversize,		0, 0 },
	{ "badtype",		atk_badtype,		0, 0 },
	{ "keyreqs",		atk_keyreqs,		0, 0 },
	{ "wrongkey",		atk_wrongkey,		0, 0 },
	{ "unknownkey",		atk_unknownkey,		0, 1 },
	{ "badtoken",		atk_badtoken,		0, 1 },
	{ "oldts",		atk_oldts,		1, 1 },
	{ "futurets",		atk_futurets,		1, 1 },
	{ "aheadts",		atk_aheadts,		1, 1 },
	{ "ahead-ok",		atk_ahead_ok,		1, 1 },
	{ "replay-handshake",	atk_replay_handshake,	1, 1 },
	{ "replay-frame",	atk_replay_frame,	1, 1 },
	{ "reorder",		atk_reorder,		1, 1 },
	{ "badmac",		atk_badmac,		1, 1 },
	{ "badmsg",		atk_badmsg,		1, 1 },
	{ "idle",		atk_idle,		0, 0 },
	{ "slow",		atk_slow,		0, 1 },
	{ "flood",		atk_flood,		0, 0 },
	{ "dataflood",		atk_dataflood,		0, 0 },
	{ "early-data",		atk_early_data,		0, 0 },
	{ "hsflood",		atk_hsflood,		0, 1 },
	{ "badcookie",		atk_badcookie,		0, 1 },
	{ "hsinit",		atk_hsinit,		0, 1 },
	{ "empty-batch",	atk_empty_batch,	1, 1 },
	{ "replace-paused",	atk_replace_paused,	1, 1 },
};

static int
cmd_attack(struct opts *o)
{
	const struct attack_mode	*m = NULL;
	struct attack			 a;
	size_t				 i;
	int				 ex = 1;

	for (i = 0; i < sizeof(attack_modes) / sizeof(attack_modes[0]); i++)
		if (strcmp(o->mode, attack_modes[i].name) == 0)
			m = &attack_modes[i];
	if (m == NULL) {
		fprintf(stderr, "vigil-peer: unknown attack mode '%s'\n",
		    o->mode);
		return EXIT_USAGE;
	}
	if (strcmp(m->name, "replace-paused") == 0 && o->key2 == NULL) {
		fprintf(stderr, "vigil-peer: attack %s needs --key2 (a second "
		    "enrolled key)\n", m->name);
		return EXIT_USAGE;
	}
	if (m->need_key && o->key == NULL) {
		fprintf(stderr, "vigil-peer: attack %s needs --key (an enrolled "
		    "key)\n", m->name);
		return EXIT_USAGE;
	}
	memset(&a, 0, sizeof(a));
	a.o = o;
	a.timeout_ms = (int64_t)o->timeout_s * 1000;
	link_init(&a.l);
	if ((m->need_key || o->key != NULL) && ident_load(&a.id, o->key,
	    0) != 0)
		goto done;
	if (m->need_cpub && fetch_collector_key(&o->addr, a.cpub,
	    clock_mono_ms() + a.timeout_ms) != 0) {
		printf("%s: no key from the collector -> WRONG\n", m->name);
		goto done;
	}
	ex = m->fn(&a);
done:
	ident_wipe(&a.id);
	link_free(&a.l);
	return ex;
}

/* --------------------------------------------------------------------
 * load: N enrolled agents send M events each, as fast as the collector
 * acknowledges them.
 */

struct load {
	const struct opts	*o;
	uint8_t			 cpub[KEY_LEN];
	char			*json;		/* the one event text */
	size_t			 jlen;
	uint8_t			*tpl;		/* a full uncompressed batch */
	size_t			 tpllen;
	pthread_barrier_t	 go;		/* all handshakes done */
};

struct worker {
	pthread_t		 th;
	struct load		*ld;
	unsigned		 idx;
	struct link		 l;
	uint8_t			*tpl;		/* own copy, patched */
	struct wire_event	*evs;		/* --compress, last batch */
	uint64_t		 acked;		/* events acknowledged */
	int			 rc;
};

/* EVENTS for B copies of the event, seqs 1..B; with compress 0 its
 * entries sit at fixed offsets, so a batch is made by patching seqs. */
static int
load_template(struct load *ld, uint64_t b)
{
	struct wire_event	*evs;
	struct wbuf		 w;
	uint64_t		 i;
	int			 rc;

	if ((evs = calloc(b, sizeof(*evs))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < b; i++)
		evs[i] = (struct wire_event){ i + 1, ld->json, ld->jlen };
	wbuf_init(&w, WIRE_MAX_FRAME);
	rc = wire_events_encode(&w, evs, b, 0);
	free(evs);
	if (rc == 0 && w.len != EVENTS_HDR_LEN + b * (EVENT_ENTRY_HDR +
	    ld->jlen))
		rc = ERR_MALFORMED;
	if (rc != 0) {
		log_warnx("a batch of %llu events of %zu bytes: %s (a frame "
		    "holds at most %d bytes)", (unsigned long long)b, ld->jlen,
		    vigil_strerror(rc), WIRE_MAX_FRAME);
		wbuf_free(&w);
		return rc;
	}
	ld->tpl = w.p;		/* keep the buffer */
	ld->tpllen = w.len;
	return 0;
}

static int
load_batch(void *arg, uint64_t i, const uint8_t **msg, size_t *len,
    uint64_t *last)
{
	struct worker	*w = arg;
	const struct opts *o = w->ld->o;
	uint64_t	 first = o->start + i * o->batch, n, k;
	size_t		 stride = EVENT_ENTRY_HDR + w->ld->jlen;
	int		 rc;

	n = o->events - i * o->batch < o->batch ? o->events - i * o->batch :
	    o->batch;
	*last = first + n - 1;
	if (n == o->batch && !o->compress) {
		for (k = 0; k < n; k++)
			put_be64(w->tpl + EVENTS_HDR_LEN + k * stride,
			    first + k);
		*msg = w->tpl;
		*len = w->ld->tpllen;
		return 0;
	}
	for (k = 0; k < n; k++)
		w->evs[k] = (struct wire_event){ first + k, w->ld->json,
		    w->ld->jlen };
	wbuf_reset(&w->l.tx);
	if ((rc = wire_events_encode(&w->l.tx, w->evs, (size_t)n,
	    o->compress)) != 0)
		return rc;
	*msg = w->l.tx.p;
	*len = w->l.tx.len;
	return 0;
}

static int
worker_connect(struct worker *w)
{
	struct wire_resp_payload	rp;
	struct ident			id;
	char				path[PATH_MAX];
	int				n, rc;

	n = snprintf(path, sizeof(path), "%s/key%u", w->ld->o->keys_dir,
	    w->idx);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ERR_TOOBIG;
	if ((w->tpl = malloc(w->ld->tpllen)) == NULL ||
	    (w->evs = calloc(w->ld->o->batch, sizeof(*w->evs))) == NULL)
		return ERR_NOMEM;
	memcpy(w->tpl, w->ld->tpl, w->ld->tpllen);
	if ((rc = ident_load(&id, path, 0)) != 0)
		return rc;
	rc = agent_connect(&w->l, &w->ld->o->addr, &id, w->ld->cpub,
	    WIRE_HS_CONNECT, NULL, &rp, clock_mono_ms() + LOAD_TIMEOUT_S * 1000);
	ident_wipe(&id);
	if (rc != 0)
		log_warnx("agent %u: no session: %s", w->idx,
		    read_failure(&w->l, rc));
	return rc;
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	const struct opts *o = w->ld->o;
	struct pump	 p;
	int64_t		 t0;

	w->rc = worker_connect(w);
	pthread_barrier_wait(&w->ld->go);
	if (w->rc != 0)
		return NULL;
	t0 = clock_mono_ms();
	memset(&p, 0, sizeof(p));
	p.l = &w->l;
	p.make = load_batch;
	p.arg = w;
	p.nbatches = (o->events + o->batch - 1) / o->batch;
	p.t0 = t0;
	if (o->rate > 0)	/* each agent its share of the rate */
		p.every_ms = (double)o->batch * 1000.0 * (double)o->agents /
		    (double)o->rate;
	w->rc = pump_run(&p, t0 + (int64_t)o->timeout_s * 1000,
	    o->seconds ? t0 + (int64_t)o->seconds * 1000 : 0);
	w->acked = p.done * o->batch < o->events ? p.done * o->batch :
	    o->events;
	link_close(&w->l);
	return NULL;
}

static int
load_report(const struct load *ld, struct worker *ws, double secs)
{
	uint64_t	 events = 0, bytes = 0, i;
	json_t		*j;
	int		 failed = 0;

	for (i = 0; i < ld->o->agents; i++) {
		events += ws[i].acked;
		bytes += ws[i].l.sent;
		failed += ws[i].rc != 0;
	}
	j = json_pack("{s:I, s:I, s:f, s:f, s:I, s:I}",
	    "agents", (json_int_t)ld->o->agents,
	    "events", (json_int_t)events,
	    "seconds", secs,
	    "events_per_s", secs > 0 ? (double)events / secs : 0.0,
	    "bytes_sent", (json_int_t)bytes,
	    "json_bytes", (json_int_t)(events * ld->jlen));
	if (j == NULL || json_dumpf(j, stdout, JSON_COMPACT |
	    JSON_REAL_PRECISION(6)) != 0)
		failed++;
	json_decref(j);
	putchar('\n');
	if (failed > 0)
		log_warnx("load: %d agents failed", failed);
	return failed == 0 ? 0 : 1;
}

static int
cmd_load(struct opts *o)
{
	struct load	 ld;
	struct worker	*ws = NULL;
	uint64_t	 i, started = 0;
	int64_t		 t0;
	int		 ex = 1;

	memset(&ld, 0, sizeof(ld));
	ld.o = o;
	raise_nofile((rlim_t)o->agents + 64);
	if (fetch_collector_key(&o->addr, ld.cpub, clock_mono_ms() +
	    ATTACK_TIMEOUT_S * 1000) != 0 ||
	    (ld.json = o->alert ? alert_event((size_t)o->pad, &ld.jlen) :
	    test_event(0, (size_t)o->pad, 0, &ld.jlen)) == NULL ||
	    load_template(&ld, o->batch) != 0 ||
	    (ws = calloc(o->agents, sizeof(*ws))) == NULL)
		goto done;
	if (pthread_barrier_init(&ld.go, NULL, (unsigned)o->agents + 1) != 0)
		goto done;
	for (i = 0; i < o->agents; i++, started++) {
		ws[i].ld = &ld;
		ws[i].idx = (unsigned)i;
		link_init(&ws[i].l);
		if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0)
			fatalx("load: cannot start thread %llu",
			    (unsigned long long)i);
	}
	pthread_barrier_wait(&ld.go);
	t0 = clock_mono_ms();
	for (i = 0; i < started; i++)
		pthread_join(ws[i].th, NULL);
	ex = load_report(&ld, ws, secs_since(t0));
	pthread_barrier_destroy(&ld.go);
done:
	for (i = 0; ws != NULL && i < started; i++) {
		link_free(&ws[i].l);
		free(ws[i].tpl);
		free(ws[i].evs);
	}
	free(ws);
	free(ld.json);
	free(ld.tpl);
	return ex;
}

/* --------------------------------------------------------------------
 * Command line
 */

static const char usage_text[] =
"usage: vigil-peer enroll --collector ADDR --token HEX --fingerprint HEX\n"
"                  --key FILE\n"
"       vigil-peer send --collector ADDR --key FILE --count N [--batch B]\n"
"                  [--start SEQ] [--compress] [--malformed K] [--pad P]\n"
"       vigil-peer attack MODE --collector ADDR [--key FILE] [--key2 FILE]\n"
"                  [--conns N] [--start SEQ]\n"
"       vigil-peer load --collector ADDR --keys DIR --agents N --events M\n"
"                  [--batch B] [--seconds S] [--rate R] [--start SEQ]\n"
"                  [--pad P]   (--rate: events/s in all, paced per agent)\n"
"                  [--alert]\n"
"                  [--compress]\n"
"       vigil-peer ping --collector ADDR --key FILE --count N [--pad P]\n"
"                  [--start SEQ]   (ACK latency of one-event batches, JSON)\n"
"       every command takes --timeout S and --source ADDR (bind to ADDR)\n"
"\n"
"Attack modes (each checks that the collector closes the connection):\n"
"  random truncated oversize badtype keyreqs wrongkey unknownkey badtoken\n"
"  oldts* futurets* aheadts* replay-handshake* replay-frame* reorder*\n"
"  badmac* badmsg* idle\n"
"  slow flood (--seconds S: hold them S s) dataflood early-data\n"
"  badcookie        (against a collector asking for cookies)\n"
"  hsinit           (for benchmarks: --conns HS_INIT from unknown keys,\n"
"                   cookies never answered)\n"
"  hsflood          (not a close check: --conns handshakes in a row, as --key\n"
"                   or as unknown keys; prints how many were answered)\n"
"  empty-batch*     (not a close check: an empty EVENTS message, then one\n"
"                   event that must be acknowledged; --seconds S waits first)\n"
"  ahead-ok*        (not a close check: a timestamp just inside the\n"
"                   tolerance is accepted)\n"
"  replace-paused*  (not a close check: --key reconnects while its old\n"
"                   connection and --key2's are paused; needs --key2)\n"
"  (* needs --key, an enrolled key)\n"
"Defaults: --batch 100 (load: 1000), --start 1, --conns 1000,\n"
"  --timeout 30 (send), 15 (enroll, attack), 120 (load, per ACK).\n"
"FILE.ts keeps the key's last handshake timestamp.\n"
"Exit: 0 expected behaviour seen, 1 not, 2 usage.\n";

static int
usage_help(void)
{
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int	usage(const char *, ...) __attribute__((format(printf, 1, 2)));

/* A message, then the usage text; EXIT_USAGE. */
static int
usage(const char *fmt, ...)
{
	va_list	ap;

	fputs("vigil-peer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return usage_help();
}

static int
opt_number(uint64_t *out, const char *name, const char *arg, uint64_t min,
    uint64_t max)
{
	if (str_u64(out, arg, min, max) != 0) {
		fprintf(stderr, "vigil-peer: --%s wants a number from %llu to "
		    "%llu, not '%s'\n", name, (unsigned long long)min,
		    (unsigned long long)max, arg);
		return EXIT_USAGE;
	}
	return 0;
}

static int
parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "collector", required_argument, NULL, 'C' },
		{ "source", required_argument, NULL, 'A' },
		{ "token", required_argument, NULL, 'T' },
		{ "fingerprint", required_argument, NULL, 'F' },
		{ "key", required_argument, NULL, 'K' },
		{ "key2", required_argument, NULL, 'k' },
		{ "keys", required_argument, NULL, 'D' },
		{ "count", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "start", required_argument, NULL, 's' },
		{ "malformed", required_argument, NULL, 'm' },
		{ "agents", required_argument, NULL, 'a' },
		{ "events", required_argument, NULL, 'e' },
		{ "conns", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "rate", required_argument, NULL, 'R' },
		{ "pad", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "compress", no_argument, NULL, 'z' },
		{ "alert", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch, rc = 0;

	while (rc == 0 && (ch = getopt_long(argc, argv, "h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C': o->collector = optarg; break;
		case 'A': o->source = optarg; break;
		case 'T': o->token = optarg; break;
		case 'F': o->fpr = optarg; break;
		case 'K': o->key = optarg; break;
		case 'k': o->key2 = optarg; break;
		case 'D': o->keys_dir = optarg; break;
		case 'n': rc = opt_number(&o->count, "count", optarg, 1,
		    10000000); break;
		case 'b': rc = opt_number(&o->batch, "batch", optarg, 1,
		    WIRE_MAX_BATCH_EVENTS); break;
		case 's': rc = opt_number(&o->start, "start", optarg, 1,
		    INT64_MAX / 2); break;
		case 'm': rc = opt_number(&o->malformed, "malformed", optarg,
		    0, 10000000); break;
		case 'a': rc = opt_number(&o->agents, "agents", optarg, 1,
		    10000); break;
		case 'e': rc = opt_number(&o->events, "events", optarg, 1,
		    INT64_MAX / 4); break;
		case 'c': rc = opt_number(&o->conns, "conns", optarg, 1,
		    100000); break;
		case 'S': rc = opt_number(&o->seconds, "seconds", optarg, 1,
		    86400); break;
		case 'R': rc = opt_number(&o->rate, "rate", optarg, 1,
		    10000000); break;
		case 'p': rc = opt_number(&o->pad, "pad", optarg, 0,
		    EVENT_MAX_LEN - 256); break;
		case 't': rc = opt_number(&o->timeout_s, "timeout", optarg, 1,
		    86400); break;
		case 'z': o->compress = 1; break;
		case 'L': o->alert = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: return usage_help();
		}
	}
	if (rc != 0)
		return rc;
	if (optind != argc)
		return usage("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Required options per command, and defaults. */
static int
check_opts(struct opts *o)
{
	int	is_load = strcmp(o->cmd, "load") == 0;

	if (o->collector == NULL)
		return usage("%s needs --collector", o->cmd);
	if (parse_addr(&o->addr, o->collector) != 0)
		return usage("--collector wants HOST:PORT, not '%s'",
		    o->collector);
	if (o->source != NULL && parse_source(&o->addr, o->source) != 0)
		return usage("--source wants a numeric address of the "
		    "collector's family, not '%s'", o->source);
	if (strcmp(o->cmd, "enroll") == 0 && (o->token == NULL ||
	    o->fpr == NULL || o->key == NULL))
		return usage("%s needs --token, --fingerprint and --key", o->cmd);
	if ((strcmp(o->cmd, "send") == 0 || strcmp(o->cmd, "ping") == 0) &&
	    (o->key == NULL || o->count == 0))
		return usage("%s needs --key and --count", o->cmd);
	if (o->malformed > o->count)
		return usage("%s: --malformed is more than --count", o->cmd);
	if (is_load && (o->keys_dir == NULL || o->agents == 0 ||
	    o->events == 0))
		return usage("%s needs --keys, --agents and --events", o->cmd);
	if (o->batch == 0)
		o->batch = is_load ? 1000 : 100;
	if (o->start == 0)
		o->start = 1;
	if (o->conns == 0)
		o->conns = 1000;
	if (o->timeout_s == 0)
		o->timeout_s = strcmp(o->cmd, "send") == 0 ? SEND_TIMEOUT_S :
		    is_load ? LOAD_TIMEOUT_S : ATTACK_TIMEOUT_S;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char	*name;
		int		(*fn)(struct opts *);
	} cmds[] = {
		{ "enroll", cmd_enroll },
		{ "send", cmd_send },
		{ "attack", cmd_attack },
		{ "load", cmd_load },
		{ "ping", cmd_ping },
	};
	struct opts	o;
	size_t		i;
	int		rc;

	log_init("vigil-peer", LOG_LVL_WARN, 0);
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		fatalx("libsodium failed to start");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage_help();
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(o.cmd, "attack") == 0) {
		if (argc < 2 || argv[1][0] == '-')
			return usage("attack needs a MODE");
		o.mode = argv[1];
		argc--;
		argv++;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(o.cmd, cmds[i].name) != 0)
			continue;
		if ((rc = parse_opts(&o, argc, argv)) != 0 ||
		    (rc = check_opts(&o)) != 0)
			return rc;
		return cmds[i].fn(&o);
	}
	return usage("unknown command '%s'", o.cmd);
}
