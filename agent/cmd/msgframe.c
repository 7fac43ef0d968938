/*
 * msgframe.c: the frame of the daemon's and its workers' messages
 * (msgframe.h).
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "msgframe.h"

_Static_assert(sizeof(struct msgframe) == MSGFRAME_HDR, "header layout");

int
msgframe_parse(struct msgframe *out, const uint8_t *buf, size_t n,
    size_t max, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (n > max) {
		*why = "larger than any message";
		return ERR_TOOBIG;
	}
	if (n < MSGFRAME_HDR) {
		*why = "shorter than a header";
		return ERR_MALFORMED;
	}
	memcpy(out, buf, sizeof(*out));
	if (out->len != n - MSGFRAME_HDR) {
		*why = "length is not the rest of the message";
		return ERR_MALFORMED;
	}
	return 0;
}

int
msgframe_fixed(void *out, size_t want, const uint8_t *body, size_t len,
    const char **why)
{
	if (len != want) {
		*why = "wrong size for its type";
		return ERR_MALFORMED;
	}
	memcpy(out, body, want);
	return 0;
}

int
msgframe_send(int sock, uint32_t type, const void *body, size_t len,
    int fd, int flags)
{
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct msgframe	 h;
	struct iovec	 iov[2];
	struct msghdr	 mh;
	struct cmsghdr	*c;
	ssize_t		 n;

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	h.type = type;
	h.len = (uint32_t)len;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != sizeof(h) + len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* The descriptors a message carried: the first in *fdp, the rest (and
 * all of them when fdp is NULL) closed. How many there were. */
static size_t
take_fds(struct msghdr *mh, int *fdp)
{
	struct cmsghdr	*c;
	size_t		 n = 0, i, k;
	int		 fd;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++, n++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (n == 0 && fdp != NULL)
				*fdp = fd;
			else
				(void)close(fd);
		}
	}
	return n;
}

int
msgframe_recv(int sock, uint8_t *buf, size_t max, size_t *n, int *fdp,
    int flags)
{
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(2 * sizeof(int))];
	}		 cm;
	struct iovec	 iov = { buf, max };
	struct msghdr	 mh;
	ssize_t		 r;

	*n = 0;
	if (fdp != NULL)
		*fdp = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fdp != NULL) {
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
	}
	do
		r = recvmsg(sock, &mh, flags | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (r == -1 && errno == EINTR);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return ERR_AGAIN;
	if (r == -1)
		return errno == ECONNRESET ? ERR_NOTFOUND : ERR_IO;
	if (r == 0)		/* hung up (an empty message is no message) */
		return ERR_NOTFOUND;
	if (fdp != NULL && (take_fds(&mh, fdp) > 1 ||
	    (mh.msg_flags & MSG_CTRUNC))) {
		if (*fdp != -1)
			(void)close(*fdp);
		*fdp = -1;
		return ERR_MALFORMED;
	}
	*n = (size_t)r;
	return 0;
}
