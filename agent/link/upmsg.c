/*
 * upmsg.c: the daemon's and the uplink worker's messages (upmsg.h).
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "err.h"
#include "upmsg.h"
#include "wire.h"

_Static_assert(sizeof(struct upmsg_keys) == 3 * KEY_LEN, "keys layout");
_Static_assert(sizeof(struct upmsg_connect) == 16, "connect layout");
_Static_assert(sizeof(struct upmsg_open) == 4 + 2 * UPMSG_NAME_RAW,
    "open layout");
_Static_assert(sizeof(struct upmsg_ack) == 16, "ack layout");

/* The body size of each fixed-size type, and whether a descriptor comes
 * with it. */
static const struct {
	size_t	 len;
	int	 fd;
} fixed[] = {
	[UPMSG_KEYS] = { sizeof(struct upmsg_keys), 0 },
	[UPMSG_CONNECT] = { sizeof(struct upmsg_connect), 1 },
	[UPMSG_SEND] = { sizeof(struct upmsg_send), 1 },
	[UPMSG_CLOSE] = { sizeof(struct upmsg_gen), 0 },
	[UPMSG_PROBE] = { sizeof(struct upmsg_probe), 0 },
	[UPMSG_READY] = { 0, 0 },
	[UPMSG_OPEN] = { sizeof(struct upmsg_open), 0 },
	[UPMSG_ACK] = { sizeof(struct upmsg_ack), 0 },
	[UPMSG_PROBED] = { sizeof(struct upmsg_probed), 0 },
};

static int
printable(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

static int
lost_parse(struct upmsg *out, const uint8_t *body, size_t len,
    const char **why)
{
	size_t	i, n;

	if (len < 4 + 1 || len > 4 + UPMSG_WHY_MAX) {
		*why = "wrong size for its type";
		return ERR_MALFORMED;
	}
	memcpy(&out->u.lost.gen, body, 4);
	n = len - 4;
	for (i = 0; i < n; i++)
		if (!printable(body[4 + i])) {
			*why = "a reason that is not printable text";
			return ERR_MALFORMED;
		}
	memcpy(out->u.lost.why, body + 4, n);
	out->u.lost.why[n] = '\0';
	return 0;
}

/* The connection number of a message that carries one; 1 otherwise. */
static uint32_t
gen_of(const struct upmsg *m)
{
	switch (m->type) {
	case UPMSG_CONNECT:	return m->u.connect.gen;
	case UPMSG_SEND:	return m->u.send.gen;
	case UPMSG_CLOSE:	return m->u.close.gen;
	case UPMSG_OPEN:	return m->u.open.gen;
	case UPMSG_ACK:		return m->u.ack.gen;
	case UPMSG_LOST:	return m->u.lost.gen;
	default:		return 1;
	}
}

int
upmsg_parse(struct upmsg *out, const uint8_t *buf, size_t n, int has_fd,
    const char **why)
{
	struct msgframe	 f;
	const uint8_t	*body = buf + MSGFRAME_HDR;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = msgframe_parse(&f, buf, n, UPMSG_MAX, why)) != 0)
		return rc;
	out->type = f.type;
	if (f.type == UPMSG_LOST) {
		if (has_fd) {
			*why = "a descriptor where none belongs";
			return ERR_MALFORMED;
		}
		rc = lost_parse(out, body, f.len, why);
	} else if (f.type < sizeof(fixed) / sizeof(fixed[0]) &&
	    (f.type == UPMSG_READY || fixed[f.type].len != 0)) {
		if (has_fd != fixed[f.type].fd) {
			*why = has_fd ? "a descriptor where none belongs" :
			    "no descriptor where one belongs";
			return ERR_MALFORMED;
		}
		rc = msgframe_fixed(&out->u, fixed[f.type].len, body, f.len,
		    why);
	} else {
		*why = "unknown type";
		return ERR_MALFORMED;
	}
	if (rc != 0)
		return rc;
	if (gen_of(out) == 0) {
		*why = "connection number 0";
		return ERR_MALFORMED;
	}
	if (out->type == UPMSG_SEND && (out->u.send.len == 0 ||
	    out->u.send.len > WIRE_MAX_FRAME)) {
		*why = "a message size out of range";
		return ERR_MALFORMED;
	}
	return 0;
}

int
upmsg_send(int sock, uint32_t type, const void *body, size_t len, int fd)
{
	if (msgframe_send(sock, type, body, len, fd, MSG_DONTWAIT) == 0)
		return 0;
	return errno == EAGAIN || errno == EWOULDBLOCK ? ERR_AGAIN : ERR_IO;
}

int
upmsg_send_lost(int sock, uint32_t gen, const char *why)
{
	uint8_t	body[4 + UPMSG_WHY_MAX];
	size_t	n = 0;

	memcpy(body, &gen, 4);
	for (; why[n] != '\0' && n < UPMSG_WHY_MAX; n++)
		body[4 + n] = printable((uint8_t)why[n]) ? (uint8_t)why[n] :
		    '?';
	if (n == 0)
		body[4 + n++] = '?';
	return upmsg_send(sock, UPMSG_LOST, body, 4 + n, -1);
}
