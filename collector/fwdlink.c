/*
 * fwdlink.c: the forwarder's connection to a syslog receiver (fwdlink.h).
 *
 * Invariants: fd is -1 exactly when there is no connection (and ssl is
 * then NULL); every blocking call on fd is bounded (a non-blocking
 * connect polled for FWDLINK_IO_MS, then SO_SNDTIMEO and SO_RCVTIMEO);
 * a failure closes the connection, so the next send starts clean.
 * Load: one send per batch (up to a few hundred messages), a connect
 * per outage.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "fwdlink.h"

#define UDP_ICMP_MS	20		/* a look for port unreachable */

struct fwdlink {
	int		 proto;		/* enum fwdlink_proto */
	char		 host[256];
	char		 port[8];
	SSL_CTX		*ctx;		/* tls */
	int		 fd;		/* -1: not connected */
	SSL		*ssl;
	char		 why[256];	/* the last failure */
};

static void	say(struct fwdlink *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
say(struct fwdlink *l, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(l->why, sizeof(l->why), fmt, ap);
	va_end(ap);
}

/* OpenSSL's last error, or errno's, or what. */
static const char *
tls_err(const char *what)
{
	unsigned long	e = ERR_peek_last_error();

	if (e != 0 && ERR_reason_error_string(e) != NULL)
		return ERR_reason_error_string(e);
	return errno != 0 ? strerror(errno) : what;
}

void
fwdlink_close(struct fwdlink *l)
{
	if (l->ssl != NULL) {
		(void)SSL_shutdown(l->ssl);	/* best effort */
		SSL_free(l->ssl);
		l->ssl = NULL;
	}
	if (l->fd != -1)
		(void)close(l->fd);
	l->fd = -1;
}

/* connect() on a non-blocking fd, within FWDLINK_IO_MS; then blocking,
 * with that timeout on every send and receive. */
static int
connect_timed(int fd, const struct addrinfo *ai)
{
	struct timeval	tv = { FWDLINK_IO_MS / 1000,
			    FWDLINK_IO_MS % 1000 * 1000 };
	struct pollfd	pfd = { fd, POLLOUT, 0 };
	socklen_t	sl = sizeof(int);
	int		err = 0, fl;

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			return -1;
		if (poll(&pfd, 1, FWDLINK_IO_MS) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			return -1;
		if (err != 0) {
			errno = err;
			return -1;
		}
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return 0;
}

/* The TLS handshake on l->fd: the certificate checked against the CAs
 * and the host name or address. */
static int
tls_start(struct fwdlink *l)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	SSL		*s;
	long		 vr;
	int		 ip;

	ip = inet_pton(AF_INET, l->host, &a4) == 1 ||
	    inet_pton(AF_INET6, l->host, &a6) == 1;
	if ((s = l->ssl = SSL_new(l->ctx)) == NULL ||
	    SSL_set_fd(s, l->fd) != 1 ||
	    (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s),
	    l->host) != 1 : SSL_set1_host(s, l->host) != 1 ||
	    SSL_set_tlsext_host_name(s, l->host) != 1)) {
		say(l, "TLS: out of memory");
		return -1;
	}
	ERR_clear_error();
	errno = 0;
	if (SSL_connect(s) != 1) {
		vr = SSL_get_verify_result(s);
		if (vr != X509_V_OK)
			say(l, "TLS: the receiver's certificate: %s",
			    X509_verify_cert_error_string(vr));
		else
			say(l, "TLS handshake: %s", tls_err("closed"));
		return -1;
	}
	return 0;
}

static int
link_open(struct fwdlink *l)
{
	struct addrinfo	 hints = { 0 }, *res = NULL, *ai;
	int		 g, fd = -1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = l->proto == FWDLINK_UDP ? SOCK_DGRAM :
	    SOCK_STREAM;
	if ((g = getaddrinfo(l->host, l->port, &hints, &res)) != 0) {
		say(l, "%s: %s", l->host, gai_strerror(g));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd != -1 && connect_timed(fd, ai) == 0)
			break;
		say(l, "connect: %s", strerror(errno));
		if (fd != -1)
			(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	l->fd = fd;
	if (l->proto == FWDLINK_TLS && tls_start(l) != 0) {
		fwdlink_close(l);
		return -1;
	}
	return 0;
}

/* A stream receiver never speaks (RFC 6587, 5425): readable means it is
 * closing, or gone. TLS records it may send (1.3's session tickets) are
 * read and dropped. 1 if the connection is usable. */
static int
alive(struct fwdlink *l)
{
	struct pollfd	pfd = { l->fd, POLLIN, 0 };
	char		sink[512];
	ssize_t		k;
	int		fl, r, ok;

	if (poll(&pfd, 1, 0) == 0)
		return 1;
	if ((fl = fcntl(l->fd, F_GETFL)) == -1 ||
	    fcntl(l->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return 0;
	for (;;) {
		if (l->ssl != NULL) {
			if ((r = SSL_read(l->ssl, sink, sizeof(sink))) > 0)
				continue;
			ok = SSL_get_error(l->ssl, r) == SSL_ERROR_WANT_READ;
			break;
		}
		if ((k = recv(l->fd, sink, sizeof(sink), 0)) > 0)
			continue;
		ok = k == -1 && (errno == EAGAIN || errno == EWOULDBLOCK);
		break;
	}
	return fcntl(l->fd, F_SETFL, fl) == 0 && ok;
}

static int
write_all(struct fwdlink *l, const uint8_t *p, size_t len)
{
	ssize_t	k;
	int	r;

	while (len > 0) {
		if (l->ssl != NULL) {
			errno = 0;
			r = SSL_write(l->ssl, p, len > INT32_MAX ? INT32_MAX :
			    (int)len);
			if (r <= 0) {
				say(l, "TLS write: %s", tls_err("failed"));
				return -1;
			}
			k = r;
		} else if ((k = send(l->fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			say(l, "send: %s", strerror(errno));
			return -1;
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Until the receiver's TCP has acknowledged every byte, within
 * FWDLINK_IO_MS. */
static int
acked(struct fwdlink *l)
{
	struct pollfd	pfd = { l->fd, 0, 0 };
	int64_t		until = clock_mono_ms() + FWDLINK_IO_MS;
	int		queued;

	for (;;) {
		if (ioctl(l->fd, SIOCOUTQ, &queued) == -1) {
			say(l, "SIOCOUTQ: %s", strerror(errno));
			return -1;
		}
		if (queued == 0)
			return 0;
		if (poll(&pfd, 1, 0) == 1 &&
		    (pfd.revents & (POLLERR | POLLHUP))) {
			say(l, "the connection broke");
			return -1;
		}
		if (clock_mono_ms() >= until) {
			say(l, "%d bytes not acknowledged after %d s", queued,
			    FWDLINK_IO_MS / 1000);
			return -1;
		}
		(void)poll(NULL, 0, 5);
	}
}

/* UDP has no acknowledgment; but a host with no one on the port answers
 * ICMP port unreachable, which a connected socket reports. A short look
 * for it catches a receiver that is down nearby; beyond, a datagram is
 * on its own. */
static int
udp_refused(struct fwdlink *l)
{
	struct pollfd	pfd = { l->fd, 0, 0 };
	socklen_t	sl = sizeof(int);
	int		err = 0;

	if (poll(&pfd, 1, UDP_ICMP_MS) != 1 || !(pfd.revents & POLLERR))
		return 0;
	if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
	    err == 0)
		return 0;
	say(l, "%s", strerror(err));
	return 1;
}

static int
send_udp(struct fwdlink *l, const uint8_t *p, const size_t *ends, size_t n)
{
	size_t	i, start = 0;

	for (i = 0; i < n; start = ends[i++])
		if (send(l->fd, p + start, ends[i] - start, MSG_NOSIGNAL) ==
		    -1) {
			say(l, "send: %s", strerror(errno));
			return -1;
		}
	return udp_refused(l) ? -1 : 0;
}

int
fwdlink_send(struct fwdlink *l, const uint8_t *buf, size_t len,
    const size_t *ends, size_t n)
{
	int	rc;

	if (l->fd != -1 && l->proto != FWDLINK_UDP && !alive(l)) {
		fwdlink_close(l);
		say(l, "the receiver closed the connection");
	}
	if (l->fd == -1 && link_open(l) != 0)
		return -1;
	if (l->proto == FWDLINK_UDP)
		rc = send_udp(l, buf, ends, n);
	else
		rc = write_all(l, buf, len) != 0 || acked(l) != 0 ? -1 : 0;
	if (rc != 0)
		fwdlink_close(l);
	return rc;
}

const char *
fwdlink_why(const struct fwdlink *l)
{
	return l->why;
}

static int
tls_setup(struct fwdlink *l, const char *ca_file, const char **why)
{
	FILE	*fp = NULL;

	if ((l->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(l->ctx, TLS1_2_VERSION) != 1) {
		*why = "out of memory";
		return -1;
	}
	SSL_CTX_set_verify(l->ctx, SSL_VERIFY_PEER, NULL);
	if (*ca_file != '\0' && (fp = fopen(ca_file, "re")) == NULL) {
		*why = strerror(errno);
		return -1;
	}
	if (fp != NULL)
		(void)fclose(fp);
	errno = 0;
	if (*ca_file == '\0' ? SSL_CTX_set_default_verify_paths(l->ctx) != 1 :
	    SSL_CTX_load_verify_locations(l->ctx, ca_file, NULL) != 1) {
		*why = tls_err("cannot be loaded");
		return -1;
	}
	return 0;
}

int
fwdlink_new(struct fwdlink **out, int proto, const char *host,
    const char *port, const char *ca_file, const char **why)
{
	struct fwdlink	*l;

	*out = NULL;
	*why = "out of memory";
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	l->fd = -1;
	l->proto = proto;
	if ((size_t)snprintf(l->host, sizeof(l->host), "%s", host) >=
	    sizeof(l->host) || (size_t)snprintf(l->port, sizeof(l->port),
	    "%s", port) >= sizeof(l->port)) {
		*why = "host name too long";
		goto fail;
	}
	if (proto == FWDLINK_TLS && tls_setup(l, ca_file, why) != 0)
		goto fail;
	*out = l;
	return 0;
fail:
	fwdlink_free(l);
	return -1;
}

void
fwdlink_free(struct fwdlink *l)
{
	if (l == NULL)
		return;
	fwdlink_close(l);
	SSL_CTX_free(l->ctx);
	free(l);
}
