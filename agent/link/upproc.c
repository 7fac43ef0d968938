/*
 * upproc.c: the daemon's side of the uplink worker (upproc.h).
 *
 * A worker's life: spawn (socketpair, fork, exec vigil-uplink with its
 * end as UPWORKER_FD), KEYS sent at once, READY expected within
 * READY_MS; then messages both ways until it dies or is killed
 * (worker_end: SIGKILL, reap, log, ended(), back-off, spawn again from
 * the timer).
 *
 * Load: one datagram per message each way; a memfd per SEND; a 1 s
 * timer.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "child.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "upproc.h"
#include "upworker.h"
#include "wire.h"

#define TIMER_MS	1000
#define READY_MS	10000
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	30000
#define STABLE_MS	60000		/* a worker this old resets it */
#define PROBE_MS	5000
#define STOP_MS		1000		/* SIGTERM to SIGKILL at the end */
#define ARGS_MAX	12

struct upproc {
	struct event_base	*base;
	struct upproc_cbs	 cb;
	void			*arg;
	struct upmsg_keys	 keys;
	char			 program[PATH_MAX];
	char			 config[PATH_MAX];	/* "": the default */
	char			 data_dir[PATH_MAX];
	int			 verbose;

	pid_t			 pid;		/* 0: none */
	int			 fd;		/* our end, -1: none */
	struct event		*ev;		/* fd readable */
	int			 ready;
	int			 reaped;	/* status already waited */
	int			 status;
	int64_t			 started_ms;

	struct event		*timer;
	int64_t			 retry_ms;	/* spawn then; 0: not */
	unsigned		 failures;	/* in a row */
	uint64_t		 restarts;
	uint8_t			 buf[UPMSG_MAX];
};

static int	spawn(struct upproc *);

/* ---- the end of a worker ---- */

static void
reap(struct upproc *up, const char *why)
{
	char	how[80] = "status not known";
	int	status, i;

	if (up->reaped)
		child_status(how, sizeof(how), up->status);
	else
		(void)kill(up->pid, SIGKILL);
	/* SIGKILL is not refused: the wait is short */
	for (i = 0; !up->reaped && i < 1000; i++) {
		if (waitpid(up->pid, &status, WNOHANG) == up->pid) {
			child_status(how, sizeof(how), status);
			break;
		}
		(void)usleep(1000);
	}
	log_warnx("uplink worker %d ended (%s)%s%s; starting another",
	    (int)up->pid, how, why != NULL ? ": " : "", why != NULL ? why : "");
}

/* The worker is done for: killed, reaped, forgotten, counted, and
 * another one due after the back-off. why: what the daemon saw, or NULL
 * (it just ended). */
static void
worker_end(struct upproc *up, const char *why)
{
	uint32_t	ceiling = BACKOFF_MIN_MS;
	unsigned	k;

	if (up->pid == 0)
		return;
	if (up->ev != NULL) {
		event_free(up->ev);
		up->ev = NULL;
	}
	(void)close(up->fd);
	up->fd = -1;
	reap(up, why);
	up->pid = 0;
	up->ready = 0;
	up->reaped = 0;
	up->restarts++;
	if (clock_mono_ms() - up->started_ms > STABLE_MS)
		up->failures = 0;
	for (k = 0; k < up->failures && ceiling < BACKOFF_MAX_MS; k++)
		ceiling *= 2;
	if (ceiling > BACKOFF_MAX_MS)
		ceiling = BACKOFF_MAX_MS;
	up->failures++;
	/* the first death is retried at once: a crash is not a pattern */
	up->retry_ms = clock_mono_ms() + (up->failures == 1 ? 0 : ceiling);
	if (up->failures == 1 && spawn(up) == 0)
		up->retry_ms = 0;
	up->cb.ended(up->arg);
}

/* ---- messages from the worker ---- */

/* An OPEN's raw field as a string: valid text, NUL-padded. */
static int
field(char out[static UPMSG_NAME_RAW + 1], const char *raw)
{
	size_t	n = strnlen(raw, UPMSG_NAME_RAW), i;

	for (i = n; i < UPMSG_NAME_RAW; i++)
		if (raw[i] != '\0')
			return ERR_MALFORMED;
	if (!wire_text_valid(raw, n))
		return ERR_MALFORMED;
	memcpy(out, raw, n);
	out[n] = '\0';
	return 0;
}

/* One message: 0, or why the worker must go. */
static const char *
on_msg(struct upproc *up, const struct upmsg *m)
{
	char	name[UPMSG_NAME_RAW + 1], office[UPMSG_NAME_RAW + 1];

	if (!up->ready && m->type != UPMSG_READY)
		return "it did not say READY first";
	switch (m->type) {
	case UPMSG_READY:
		if (up->ready)
			return "READY twice";
		up->ready = 1;
		log_debug("uplink worker %d: ready", (int)up->pid);
		up->cb.ready(up->arg);
		return NULL;
	case UPMSG_OPEN:
		if (field(name, m->u.open.name) != 0 ||
		    field(office, m->u.open.office) != 0)
			return "an OPEN whose name or office is not text";
		up->cb.open(up->arg, m->u.open.gen, name, office);
		return NULL;
	case UPMSG_ACK:
		up->cb.ack(up->arg, m->u.ack.gen, m->u.ack.seq);
		return NULL;
	case UPMSG_LOST:
		up->cb.lost(up->arg, m->u.lost.gen, m->u.lost.why);
		return NULL;
	default:
		return "a message that is not the worker's";
	}
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct upproc	*up = arg;
	struct upmsg	 m;
	const char	*why = NULL;
	size_t		 n;
	pid_t		 pid = up->pid;
	int		 i, rc, got;

	/* a few messages per wake-up; the callbacks may end the worker */
	for (i = 0; i < 64 && up->pid == pid && up->fd == fd; i++) {
		rc = msgframe_recv(up->fd, up->buf, sizeof(up->buf), &n, &got,
		    MSG_DONTWAIT);
		if (rc == ERR_AGAIN)
			return;
		if (got != -1)
			(void)close(got);
		if (rc == ERR_NOTFOUND) {
			worker_end(up, NULL);
			return;
		}
		if (rc != 0)
			why = "its socket failed";
		else if (upmsg_parse(&m, up->buf, n, got != -1, &why) == 0)
			why = on_msg(up, &m);
		if (why != NULL) {
			worker_end(up, why);
			return;
		}
	}
}

/* ---- starting one ---- */

static void
worker_argv(struct upproc *up, const char *av[static ARGS_MAX])
{
	size_t	a = 0;

	av[a++] = up->program;
	if (up->config[0] != '\0') {
		av[a++] = "-c";
		av[a++] = up->config;
	}
	if (up->verbose)
		av[a++] = "-v";
	av[a++] = "--data-dir";
	av[a++] = up->data_dir;
	av[a++] = UPWORKER_CMD;
	av[a] = NULL;
}

static int
spawn(struct upproc *up)
{
	const char	*av[ARGS_MAX];
	int		 sv[2];

	worker_argv(up, av);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("uplink worker: socketpair");
		return ERR_IO;
	}
	up->pid = child_spawn(up->program, av, sv[1], UPWORKER_FD);
	(void)close(sv[1]);
	if (up->pid == -1) {
		up->pid = 0;
		(void)close(sv[0]);
		return ERR_IO;
	}
	up->fd = sv[0];
	up->ready = 0;
	up->started_ms = clock_mono_ms();
	if ((up->ev = event_new(up->base, up->fd, EV_READ | EV_PERSIST,
	    on_readable, up)) == NULL || event_add(up->ev, NULL) != 0) {
		worker_end(up, "out of memory");
		return ERR_NOMEM;
	}
	/* the first message: the worker waits for nothing else */
	if (upmsg_send(up->fd, UPMSG_KEYS, &up->keys, sizeof(up->keys),
	    -1) != 0) {
		worker_end(up, "it took no keys");
		return ERR_IO;
	}
	log_debug("uplink worker %d started", (int)up->pid);
	return 0;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct upproc	*up = arg;
	int64_t		 now = clock_mono_ms();

	if (up->pid != 0 && !up->ready && now - up->started_ms > READY_MS)
		worker_end(up, "it did not say READY in time");
	if (up->pid == 0 && up->retry_ms != 0 && now >= up->retry_ms) {
		up->retry_ms = 0;
		if (spawn(up) != 0 && up->pid == 0)
			up->retry_ms = now + BACKOFF_MAX_MS;
	}
}

/* ---- the interface ---- */

int
upproc_new(struct upproc **out, struct event_base *base,
    const struct upproc_conf *conf, const struct upmsg_keys *keys,
    const struct upproc_cbs *cb, void *arg)
{
	struct upproc	*up;
	struct timeval	 tv = { TIMER_MS / 1000, 0 };

	*out = NULL;
	if ((up = calloc(1, sizeof(*up))) == NULL)
		return ERR_NOMEM;
	up->base = base;
	up->cb = *cb;
	up->arg = arg;
	up->keys = *keys;
	up->fd = -1;
	up->verbose = conf->verbose;
	if (snprintf(up->program, sizeof(up->program), "%s", conf->program) >=
	    (int)sizeof(up->program) ||
	    snprintf(up->config, sizeof(up->config), "%s", conf->config ?
	    conf->config : "") >= (int)sizeof(up->config) ||
	    snprintf(up->data_dir, sizeof(up->data_dir), "%s",
	    conf->data_dir) >= (int)sizeof(up->data_dir)) {
		upproc_free(up);
		return ERR_TOOBIG;
	}
	if ((up->timer = event_new(base, -1, EV_PERSIST, on_timer, up)) ==
	    NULL || event_add(up->timer, &tv) != 0) {
		upproc_free(up);
		return ERR_NOMEM;
	}
	if (spawn(up) != 0 && up->pid == 0 && up->retry_ms == 0)
		up->retry_ms = clock_mono_ms() + BACKOFF_MIN_MS;
	*out = up;
	return 0;
}

void
upproc_free(struct upproc *up)
{
	int	status, i;

	if (up == NULL)
		return;
	if (up->ev != NULL)
		event_free(up->ev);
	if (up->fd != -1)
		(void)close(up->fd);	/* the worker sees the daemon go */
	if (up->pid != 0) {
		(void)kill(up->pid, SIGTERM);
		for (i = 0; i < STOP_MS; i++) {
			if (waitpid(up->pid, &status, WNOHANG) == up->pid)
				break;
			(void)usleep(1000);
		}
		if (i == STOP_MS) {
			(void)kill(up->pid, SIGKILL);
			(void)waitpid(up->pid, &status, 0);
		}
	}
	if (up->timer != NULL)
		event_free(up->timer);
	sodium_memzero(&up->keys, sizeof(up->keys));
	free(up);
}

int
upproc_ready(const struct upproc *up)
{
	return up->pid != 0 && up->ready;
}

/* Send, ending a worker that cannot take it. */
static int
send_or_end(struct upproc *up, uint32_t type, const void *body, size_t len,
    int fd)
{
	int	rc;

	if ((rc = upmsg_send(up->fd, type, body, len, fd)) == 0)
		return 0;
	worker_end(up, rc == ERR_AGAIN ? "it stopped reading" :
	    "its socket failed");
	return ERR_IO;
}

int
upproc_connect(struct upproc *up, uint32_t gen, uint64_t ts_ns, int fd)
{
	struct upmsg_connect	c = { gen, 0, ts_ns };

	if (!upproc_ready(up))
		return ERR_STATE;
	return send_or_end(up, UPMSG_CONNECT, &c, sizeof(c), fd);
}

/* msg[0..len) in a sealed memfd; its descriptor, or -1 (logged). */
static int
memfd_of(const void *msg, size_t len)
{
	const uint8_t	*p = msg;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = memfd_create("vigil-uplink-msg", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1) {
		log_warn("uplink: memfd_create");
		return -1;
	}
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		goto fail;
	return fd;
fail:
	log_warn("uplink: a message's memfd");
	(void)close(fd);
	return -1;
}

int
upproc_send(struct upproc *up, uint32_t gen, const void *msg, size_t len)
{
	struct upmsg_send	s = { gen, (uint32_t)len };
	int			fd, rc;

	if (!upproc_ready(up))
		return ERR_STATE;
	if (len == 0 || len > WIRE_MAX_FRAME)
		return ERR_TOOBIG;
	if ((fd = memfd_of(msg, len)) == -1)
		return ERR_NOMEM;
	rc = send_or_end(up, UPMSG_SEND, &s, sizeof(s), fd);
	(void)close(fd);
	return rc;
}

void
upproc_close(struct upproc *up, uint32_t gen)
{
	struct upmsg_gen	g = { gen };

	if (upproc_ready(up))
		(void)send_or_end(up, UPMSG_CLOSE, &g, sizeof(g), -1);
}

void
upproc_stats(const struct upproc *up, struct upproc_stats *out)
{
	out->restarts = up->restarts;
	out->pid = (int)up->pid;
}

int
upproc_probe(struct upproc *up, uint32_t what, int *err, int *sig)
{
	struct upmsg_probe	 p = { what };
	struct upmsg		 m;
	struct pollfd		 pfd;
	const char		*why = NULL;
	size_t			 n;
	pid_t			 pid = up->pid;
	int			 status = 0, rc, got;

	*err = 0;
	*sig = 0;
	if (!upproc_ready(up))
		return ERR_STATE;
	if (send_or_end(up, UPMSG_PROBE, &p, sizeof(p), -1) != 0)
		return ERR_IO;
	pfd.fd = up->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, PROBE_MS) == 1) {
		rc = msgframe_recv(up->fd, up->buf, sizeof(up->buf), &n, &got,
		    0);
		if (got != -1)
			(void)close(got);
		if (rc == 0 && upmsg_parse(&m, up->buf, n, got != -1,
		    &why) == 0 && m.type == UPMSG_PROBED) {
			*err = m.u.probed.err;
			return 0;
		}
		if (rc == ERR_NOTFOUND && waitpid(pid, &status, 0) == pid) {
			up->reaped = 1;		/* for worker_end */
			up->status = status;
			if (WIFSIGNALED(status))
				*sig = WTERMSIG(status);
		}
	}
	worker_end(up, *sig != 0 ? "killed by the probe" : "no answer to "
	    "the probe");
	return ERR_IO;
}
