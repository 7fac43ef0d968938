/*
 * netmsg.c: the capture child's messages (netmsg.h).
 *
 * The parent's side is the part that matters: netmsg_parse is the only
 * way a byte from the capture child reaches the daemon, and it decides
 * from the datagram's size the kernel reported, never from a length the
 * child wrote alone. Load: one datagram per alert and one per few
 * seconds of statistics.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>

#include "err.h"
#include "msgframe.h"
#include "netchild.h"
#include "netmsg.h"
#include "sandbox.h"

_Static_assert(NETMSG_HDR == MSGFRAME_HDR, "the frame's header");
_Static_assert(sizeof(struct netmsg_ready) == 24, "no padding in READY");
_Static_assert(sizeof(struct netmsg_stats) == 80, "no padding in STATS");
_Static_assert(sizeof(struct netmsg_probe) == 4, "no padding in PROBE");
_Static_assert(sizeof(struct netmsg_probed) == 8, "no padding in PROBED");

static int
probe_known(uint32_t what, const char **why)
{
	if (what == 0 || what > SANDBOX_PROBE_MAX) {
		*why = "an unknown probe";
		return ERR_MALFORMED;
	}
	return 0;
}

static int
alert(struct netmsg *m, const uint8_t *body, size_t len, const char **why)
{
	struct event_meta	meta;

	if (event_parse(&meta, (const char *)body, len, why) != 0)
		return ERR_MALFORMED;
	if (strcmp(meta.type, "alert") != 0) {
		*why = "not an alert";
		return ERR_MALFORMED;
	}
	m->u.alert.json = (const char *)body;
	m->u.alert.len = len;
	m->u.alert.severity = meta.severity;
	return 0;
}

int
netmsg_parse(struct netmsg *out, const uint8_t *buf, size_t n,
    const char **why)
{
	struct msgframe	 h;
	const uint8_t	*body = buf + NETMSG_HDR;
	const char	*dummy;
	int		 rc;

	if (why == NULL)
		why = &dummy;
	memset(out, 0, sizeof(*out));
	if ((rc = msgframe_parse(&h, buf, n, NETMSG_MAX, why)) != 0)
		return rc;
	out->type = h.type;
	switch (h.type) {
	case NETMSG_READY:
		return msgframe_fixed(&out->u.ready, sizeof(out->u.ready),
		    body, h.len, why);
	case NETMSG_STATS:
		return msgframe_fixed(&out->u.stats, sizeof(out->u.stats),
		    body, h.len, why);
	case NETMSG_ALERT:
		return alert(out, body, h.len, why);
	case NETMSG_PROBED:
		if ((rc = msgframe_fixed(&out->u.probed, sizeof(out->u.probed),
		    body, h.len, why)) != 0)
			return rc;
		return probe_known(out->u.probed.what, why);
	default:
		*why = "unknown type";
		return ERR_MALFORMED;
	}
}

int
netmsg_parse_probe(struct netmsg_probe *out, const uint8_t *buf, size_t n,
    const char **why)
{
	struct msgframe	 h;
	const char	*dummy;
	int		 rc;

	if (why == NULL)
		why = &dummy;
	memset(out, 0, sizeof(*out));
	if ((rc = msgframe_parse(&h, buf, n, NETMSG_HDR + sizeof(*out),
	    why)) != 0)
		return rc;
	if (h.type != NETMSG_PROBE) {
		*why = "unknown type";
		return ERR_MALFORMED;
	}
	if ((rc = msgframe_fixed(out, sizeof(*out), buf + NETMSG_HDR, h.len,
	    why)) != 0)
		return rc;
	return probe_known(out->what, why);
}

int
netmsg_send(int fd, uint32_t type, const void *body, size_t len)
{
	if (len > NETMSG_MAX - NETMSG_HDR)
		return ERR_TOOBIG;
	if (msgframe_send(fd, type, body, len, -1, MSG_DONTWAIT) == 0)
		return 0;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ?
	    ERR_AGAIN : ERR_IO;
}

int
netmsg_recv(int fd, uint8_t buf[static NETMSG_MAX], size_t *n)
{
	ssize_t	r;

	*n = 0;
	do
		r = recv(fd, buf, NETMSG_MAX, MSG_DONTWAIT | MSG_TRUNC);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? ERR_AGAIN :
		    ERR_IO;
	if (r == 0)		/* hung up (an empty message is no message) */
		return ERR_NOTFOUND;
	*n = (size_t)r;
	return 0;
}

/* The child's exit statuses (netchild.h) are named here, on the
 * daemon's side of the contract, which links nothing of the child. */
static const char *const exit_names[] = {
	[NETCHILD_EXIT_OK] = "stopped",
	[NETCHILD_EXIT_USAGE] = "not started by the daemon",
	[NETCHILD_EXIT_RULES] = "the rules or lists did not load",
	[NETCHILD_EXIT_CAPTURE] = "an interface could not be opened or "
	    "stopped",
	[NETCHILD_EXIT_SANDBOX] = "privileges could not be dropped",
	[NETCHILD_EXIT_CHANNEL] = "the socket to the daemon failed",
	[NETCHILD_EXIT_NOMEM] = "out of memory",
	[NETCHILD_EXIT_FILTER] = "the [network] filter does not compile",
};

const char *
netchild_exit_name(int status)
{
	if (status < 0 || (size_t)status >= sizeof(exit_names) /
	    sizeof(exit_names[0]) || exit_names[status] == NULL)
		return "failed";
	return exit_names[status];
}
