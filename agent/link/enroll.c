/*
 * enroll.c: one-shot enrollment of this agent with a collector, and the
 * client half of the handshake that uplink.c reuses.
 *
 * Enrollment runs over one blocking TCP connection with a 10 s timeout
 * on every read and write:
 *
 *   -> KEYREQ (version)      <- KEYRESP (collector public key)
 *   the key must hash to the fingerprint the operator pinned
 *   -> HS_INIT (kind ENROLL, token)   <- HS_RESP (agent id, name, office)
 *   (a busy collector first answers <- COOKIE; the same HS_INIT goes
 *   again with the cookie's MAC, -> HS_INIT_COOKIE, then <- HS_RESP)
 *
 * A collector that does not like the token closes the connection instead
 * of answering, so an early EOF during the handshake means "refused".
 * Invariants: nothing is written to the meta table before the collector
 * has authenticated itself in HS_RESP (except hs_ts, which must be stored
 * before it is sent); "agent_id" is written last, so its presence means a
 * complete enrollment. The token and the private key are wiped after use.
 * Load: once per installation.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agentcmd.h"
#include "datadir.h"
#include "enroll.h"
#include "hsclient.h"
#include "err.h"
#include "log.h"
#include "pathset.h"
#include "text.h"
#include "version.h"

/* Largest fixed-size record body the client reads (HS_RESP; KEYRESP and
 * COOKIE are smaller). */
#define BODY_MAX	WIRE_HS_RESP_LEN
_Static_assert(KEY_LEN <= BODY_MAX && WIRE_COOKIE_REPLY_LEN <= BODY_MAX,
    "BODY_MAX holds every record the client reads");

int
enroll_path(char *out, size_t outlen, const char *dir, const char *name)
{
	if (pathset_join(out, outlen, dir, name) != 0) {
		log_warnx("path %s/%s: too long", dir, name);
		return ERR_TOOBIG;
	}
	return 0;
}

int
enroll_parse_u64(uint64_t *out, const char *s, uint64_t max)
{
	return text_u64(out, s, strlen(s), 0, max) == 0 ? 0 : ERR_MALFORMED;
}

/* Copy meta value key into out[outlen]. ERR_NOTFOUND, ERR_MALFORMED if it
 * does not fit, ERR_IO. */
static int
meta_str(struct spool *sp, const char *key, char *out, size_t outlen)
{
	char	*v = NULL;
	size_t	 len;
	int	 rc;

	if ((rc = spool_meta_get(sp, key, &v)) != 0)
		return rc;
	len = strlen(v);
	if (len >= outlen) {
		free(v);
		return ERR_MALFORMED;
	}
	memcpy(out, v, len + 1);
	free(v);
	return 0;
}

int
enroll_identity_load(struct spool *sp, struct enroll_identity *id)
{
	char		hex[2 * KEY_LEN + 1], num[32];
	uint64_t	at = 0;
	size_t		binlen;
	int		rc;

	memset(id, 0, sizeof(*id));
	if ((rc = meta_str(sp, "agent_id", id->agent_id,
	    sizeof(id->agent_id))) != 0)
		return rc;
	if ((rc = meta_str(sp, "collector", id->collector,
	    sizeof(id->collector))) != 0 ||
	    (rc = meta_str(sp, "collector_pub", hex, sizeof(hex))) != 0)
		goto fail;
	rc = ERR_MALFORMED;
	if (sodium_hex2bin(id->collector_pub, KEY_LEN, hex, strlen(hex), NULL,
	    &binlen, NULL) != 0 || binlen != KEY_LEN)
		goto fail;
	/* informational only: an old or damaged value is not fatal */
	if (meta_str(sp, "name", id->name, sizeof(id->name)) != 0)
		id->name[0] = '\0';
	if (meta_str(sp, "office", id->office, sizeof(id->office)) != 0)
		id->office[0] = '\0';
	if (meta_str(sp, "enrolled_at", num, sizeof(num)) == 0 &&
	    enroll_parse_u64(&at, num, INT64_MAX) == 0)
		id->enrolled_at = (int64_t)at;
	return 0;
fail:
	if (rc == ERR_NOTFOUND)
		rc = ERR_MALFORMED;	/* agent_id without the rest */
	return rc;
}

int
enroll_next_ts(struct spool *sp, uint64_t *ts_ns)
{
	struct timespec	 now;
	char		*v = NULL, num[32];
	uint64_t	 last = 0, ts;
	int		 rc, n;

	rc = spool_meta_get(sp, "hs_ts", &v);
	if (rc == 0) {
		rc = enroll_parse_u64(&last, v, UINT64_MAX - 1);
		free(v);
		if (rc != 0) {
			log_warnx("spool meta hs_ts: not a number");
			return rc;
		}
	} else if (rc != ERR_NOTFOUND)
		return rc;
	clock_gettime(CLOCK_REALTIME, &now);
	ts = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	if (ts <= last)
		ts = last + 1;
	n = snprintf(num, sizeof(num), "%" PRIu64, ts);
	if (n < 0 || (size_t)n >= sizeof(num))
		return ERR_TOOBIG;
	if ((rc = spool_meta_set(sp, "hs_ts", num)) != 0)
		return rc;
	*ts_ns = ts;
	return 0;
}

/* Run by root in the folder of the service's user (the packaged
 * agent's): what enrollment created there becomes that user's, or the
 * daemon could not open its own key and spool. No link is followed. */
static void
give_to_owner(const char *dir)
{
	static const char *const names[] = { ENROLL_KEY_FILE,
		ENROLL_SPOOL_FILE, ENROLL_SPOOL_FILE "-wal",
		ENROLL_SPOOL_FILE "-shm" };
	struct stat	 st;
	size_t		 i;
	int		 dfd;

	if (geteuid() != 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if (fstat(dfd, &st) == 0 && st.st_uid != 0)
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (fchownat(dfd, names[i], st.st_uid, st.st_gid,
			    AT_SYMLINK_NOFOLLOW) == -1 && errno != ENOENT)
				log_warn("%s/%s: chown", dir, names[i]);
	(void)close(dfd);
}

/* Blocking client I/O. */

static int
dial(int *out, const char *addr, const char *host, uint16_t port)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct timeval	 tv = { ENROLL_IO_TIMEOUT_S, 0 };
	char		 portstr[8];
	int		 fd = -1, gai, err = 0;

	*out = -1;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		log_warnx("collector %s: %s", addr, gai_strerror(gai));
		return ERR_IO;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		/* on Linux SO_SNDTIMEO also bounds connect() */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv)) == 0 && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO,
		    &tv, sizeof(tv)) == 0 && connect(fd, ai->ai_addr,
		    ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		if (err == EAGAIN || err == EINPROGRESS)
			log_warnx("collector %s: connect timed out", addr);
		else
			log_warnx("collector %s: connect: %s", addr,
			    strerror(err));
		return ERR_IO;
	}
	*out = fd;
	return 0;
}

static int
send_all(int fd, const char *addr, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("collector %s: send", addr);
			return ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes. *closed is set if the peer closed or reset the
 * connection first (that is its way of saying no). */
static int
recv_all(int fd, const char *addr, uint8_t *p, size_t len, int *closed)
{
	ssize_t	n;

	while (len > 0) {
		n = recv(fd, p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (n == -1 && (errno == ECONNRESET ||
		    errno == EPIPE))) {
			*closed = 1;
			return ERR_IO;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				log_warnx("collector %s: no answer within %d s",
				    addr, ENROLL_IO_TIMEOUT_S);
			else
				log_warn("collector %s: recv", addr);
			return ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
send_record(int fd, const char *addr, uint8_t type, const uint8_t *body,
    size_t len)
{
	struct wbuf	w;
	int		rc;

	wbuf_init(&w, 0);
	if ((rc = wire_record_put(&w, type, body, len)) == 0)
		rc = send_all(fd, addr, w.p, w.len);
	wbuf_free(&w);
	return rc;
}

/* Read one record that must be of type want (or of want2, unless 0);
 * its type goes to *type and its body (fixed size for every type the
 * client reads) to body[BODY_MAX]. */
static int
recv_record(int fd, const char *addr, uint8_t want, uint8_t want2,
    uint8_t *type, uint8_t *body, size_t *len, int *closed)
{
	uint8_t	hdr[WIRE_HDR_LEN];
	size_t	blen;
	int	rc;

	*closed = 0;
	if ((rc = recv_all(fd, addr, hdr, sizeof(hdr), closed)) != 0)
		return rc;
	if (wire_record_header(hdr, type, &blen) != 0 || (*type != want &&
	    (want2 == 0 || *type != want2)) || blen > BODY_MAX) {
		log_warnx("collector %s: unexpected record (type %u, want %u)",
		    addr, hdr[4], want);
		return ERR_MALFORMED;
	}
	if ((rc = recv_all(fd, addr, body, blen, closed)) != 0)
		return rc;
	*len = blen;
	return 0;
}

/* Done with the connection: say so with a FIN and wait briefly for the
 * collector's, discarding what it sent meanwhile (its stream header), so
 * that neither side sees a reset. */
static void
hang_up(int fd)
{
	struct timeval	tv = { 1, 0 };
	uint8_t		junk[512];
	int		i;

	if (shutdown(fd, SHUT_WR) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		return;
	for (i = 0; i < 16; i++)
		if (recv(fd, junk, sizeof(junk), 0) <= 0)
			break;
}

/* Fetch the collector's key and check it against the pinned fingerprint. */
static int
fetch_key(int fd, const char *addr, const uint8_t want[static 32],
    uint8_t pub[static KEY_LEN])
{
	uint8_t	body[BODY_MAX], ver = WIRE_VERSION, got[32], type;
	char	fp_want[FPR_STRLEN], fp_got[FPR_STRLEN];
	size_t	len;
	int	rc, closed;

	if ((rc = send_record(fd, addr, WIRE_KEYREQ, &ver, 1)) != 0)
		return rc;
	if ((rc = recv_record(fd, addr, WIRE_KEYRESP, 0, &type, body, &len,
	    &closed)) != 0) {
		if (closed)
			log_warnx("collector %s: closed the connection",
			    addr);
		return rc;
	}
	memcpy(pub, body, KEY_LEN);
	keys_fingerprint(fp_got, pub);
	if (keys_parse_fingerprint(got, fp_got) != 0)
		return ERR_MALFORMED;
	if (sodium_memcmp(got, want, 32) != 0) {
		sodium_bin2hex(fp_want, sizeof(fp_want), want, 32);
		log_warnx("collector fingerprint mismatch: expected %s, got %s",
		    fp_want, fp_got);
		return ERR_AUTH;
	}
	return 0;
}

static int
handshake(int fd, const char *addr, struct spool *sp,
    const uint8_t pub[static KEY_LEN], const uint8_t priv[static KEY_LEN],
    const uint8_t cpub[static KEY_LEN], const uint8_t token[static 16],
    struct wire_resp_payload *resp)
{
	struct noise_hs	*hs = NULL;
	uint8_t		 msg[WIRE_HS_INIT_LEN], body[BODY_MAX];
	uint8_t		 retry[WIRE_HS_INIT_COOKIE_LEN], type;
	const char	*why = NULL;
	uint64_t	 ts;
	size_t		 len;
	int		 rc, closed;

	if ((rc = enroll_next_ts(sp, &ts)) != 0 ||
	    (rc = hsclient_init(&hs, msg, ts, pub, priv, cpub,
	    WIRE_HS_ENROLL, token)) != 0) {
		log_warnx("handshake: %s", vigil_strerror(rc));
		goto fail;
	}
	if ((rc = send_record(fd, addr, WIRE_HS_INIT, msg, sizeof(msg))) != 0)
		goto fail;
	rc = recv_record(fd, addr, WIRE_HS_RESP, WIRE_COOKIE, &type, body,
	    &len, &closed);
	if (rc == 0 && type == WIRE_COOKIE) {
		/* a busy collector: the same message again, with the MAC */
		if ((rc = hsclient_cookie(retry, cpub, msg, body,
		    len)) != 0) {
			log_warnx("collector %s: a cookie that does not open",
			    addr);
			goto fail;
		}
		if ((rc = send_record(fd, addr, WIRE_HS_INIT_COOKIE, retry,
		    sizeof(retry))) != 0)
			goto fail;
		rc = recv_record(fd, addr, WIRE_HS_RESP, 0, &type, body, &len,
		    &closed);
	}
	if (rc != 0) {
		if (closed) {
			log_warnx("enrollment refused by the collector (token "
			    "unknown, used or expired?)");
			rc = ERR_AUTH;
		}
		goto fail;
	}
	if ((rc = hsclient_resp(resp, hs, body, len, pub, &why)) != 0)
		log_warnx("collector %s: %s", addr, why);
fail:
	noise_free(hs);
	return rc;
}

static int
save_identity(struct spool *sp, const char *addr,
    const uint8_t cpub[static KEY_LEN], const struct wire_resp_payload *r)
{
	char	hex[2 * KEY_LEN + 1], at[32];
	int	n, rc;

	sodium_bin2hex(hex, sizeof(hex), cpub, KEY_LEN);
	n = snprintf(at, sizeof(at), "%lld", (long long)time(NULL));
	if (n < 0 || (size_t)n >= sizeof(at))
		return ERR_TOOBIG;
	/* agent_id last: its presence means the rest is there */
	if ((rc = spool_meta_set(sp, "collector", addr)) != 0 ||
	    (rc = spool_meta_set(sp, "collector_pub", hex)) != 0 ||
	    (rc = spool_meta_set(sp, "name", r->name)) != 0 ||
	    (rc = spool_meta_set(sp, "office", r->office)) != 0 ||
	    (rc = spool_meta_set(sp, "enrolled_at", at)) != 0 ||
	    (rc = spool_meta_set(sp, "agent_id", r->agent_id)) != 0)
		log_warnx("spool: cannot save the enrollment: %s",
		    vigil_strerror(rc));
	return rc;
}

/* Check the command-line values before anything is touched. */
static int
parse_args(char *host, size_t hostlen, uint16_t *port,
    uint8_t token[static WIRE_TOKEN_LEN], uint8_t fpr[static 32],
    const char *collector, const char *token_hex, const char *fingerprint)
{
	size_t	binlen;

	if (config_parse_hostport(host, hostlen, port, collector) != 0 ||
	    host[0] == '\0' || *port == 0) {
		log_warnx("--collector %s: want HOST:PORT", collector);
		return ERR_USAGE;
	}
	if (strlen(token_hex) != ENROLL_TOKEN_HEXLEN ||
	    sodium_hex2bin(token, WIRE_TOKEN_LEN, token_hex,
	    ENROLL_TOKEN_HEXLEN, NULL, &binlen, NULL) != 0 ||
	    binlen != WIRE_TOKEN_LEN) {
		log_warnx("--token: want %d hex digits", ENROLL_TOKEN_HEXLEN);
		return ERR_USAGE;
	}
	if (keys_parse_fingerprint(fpr, fingerprint) != 0) {
		log_warnx("--fingerprint %s: want 64 hex digits", fingerprint);
		return ERR_USAGE;
	}
	return 0;
}

int
enroll_run(const struct agent_config *cfg, const char *collector,
    const char *token_hex, const char *fingerprint)
{
	struct wire_resp_payload	 resp;
	struct spool			*sp = NULL;
	char				 host[CONFIG_ADDR_MAX];
	char				 path[PATH_MAX];
	uint8_t				 token[WIRE_TOKEN_LEN], fpr[32];
	uint8_t				 pub[KEY_LEN], priv[KEY_LEN];
	uint8_t				 cpub[KEY_LEN];
	uint16_t			 port;
	int				 fd = -1, rc;

	if ((rc = parse_args(host, sizeof(host), &port, token, fpr,
	    collector, token_hex, fingerprint)) != 0)
		goto fail;
	if ((rc = datadir_check(cfg->data_dir, 1, AGENTCMD_SERVICE_USER)) != 0 ||
	    (rc = enroll_path(path, sizeof(path), cfg->data_dir,
	    ENROLL_KEY_FILE)) != 0)
		goto fail;
	if ((rc = keys_load_or_create(pub, priv, path)) != 0) {
		log_warnx("key %s: %s", path, vigil_strerror(rc));
		goto fail;
	}
	if ((rc = enroll_path(path, sizeof(path), cfg->data_dir,
	    ENROLL_SPOOL_FILE)) != 0)
		goto fail;
	if ((rc = spool_open(&sp, path, cfg->spool_max)) != 0) {
		log_warnx("spool %s: %s", path, vigil_strerror(rc));
		goto fail;
	}
	if ((rc = dial(&fd, collector, host, port)) != 0 ||
	    (rc = fetch_key(fd, collector, fpr, cpub)) != 0 ||
	    (rc = handshake(fd, collector, sp, pub, priv, cpub, token,
	    &resp)) != 0 ||
	    (rc = save_identity(sp, collector, cpub, &resp)) != 0)
		goto fail;
	hang_up(fd);
	printf("enrolled as %s (id %s, office %s) with collector %s\n",
	    resp.name, resp.agent_id, resp.office, collector);
	if (fflush(stdout) == EOF)
		rc = ERR_IO;
fail:
	if (fd != -1)
		close(fd);
	spool_close(sp);
	give_to_owner(cfg->data_dir);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(priv, sizeof(priv));
	return rc;
}
