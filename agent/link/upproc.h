/*
 * upproc.h: the daemon's side of the uplink worker (upworker.h).
 *
 * One worker process at a time, on the daemon's event base. The daemon
 * connects to the collector itself (name lookup and TCP, as root) and
 * passes each connected socket to the worker with a connection number
 * (gen); the worker runs the handshake and the channel and reports back
 * (OPEN, ACK, LOST). What the daemon sends on a connection it passes as
 * a sealed memfd (SEND), so a batch of up to WIRE_MAX_FRAME bytes is one
 * small datagram.
 *
 * Whatever the worker sends is checked by upmsg_parse, and an OPEN's
 * name and office again with wire.h's text rules; a worker that sends
 * anything else, says nothing in time after starting, stops reading
 * (its queue full) or dies is killed and reaped, logged with how it
 * ended, counted, and started again after a back-off (1 s doubling to
 * 30 s; reset once a worker has run a minute). The connection it held
 * is lost with it (ended()); nothing else is: events leave the spool
 * only on an ACK.
 *
 * Process: the daemon, its event-loop thread. Errors are enum vigil_err.
 */
#ifndef VIGIL_UPPROC_H
#define VIGIL_UPPROC_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "upmsg.h"

struct upproc;

struct upproc_conf {
	const char	*program;	/* vigil-uplink */
	const char	*config;	/* -c FILE, NULL: the default */
	const char	*data_dir;	/* --data-dir */
	int		 verbose;
};

/* What the worker said; gen is always checked by the caller against its
 * own (a late message of an old connection is harmless). */
struct upproc_cbs {
	void	(*ready)(void *arg);	/* a worker took the keys */
	void	(*open)(void *arg, uint32_t gen, const char *name,
		    const char *office);	/* valid text, <= 64 bytes */
	void	(*ack)(void *arg, uint32_t gen, uint64_t seq);
	void	(*lost)(void *arg, uint32_t gen, const char *why);
	void	(*ended)(void *arg);	/* the worker is gone, and the
					 * connection it held */
};

/* Start the first worker (it gets keys first). conf's strings and keys
 * are copied. ERR_NOMEM, ERR_TOOBIG (a path too long). */
int	upproc_new(struct upproc **out, struct event_base *,
	    const struct upproc_conf *, const struct upmsg_keys *,
	    const struct upproc_cbs *, void *arg);
/* Stops the worker (SIGTERM, then SIGKILL) and wipes the keys. Takes
 * NULL. */
void	upproc_free(struct upproc *);

/* 1 when a worker is running and has said READY. */
int	upproc_ready(const struct upproc *);
/* Hand the connected socket fd (not closed) to the worker as connection
 * gen, to shake hands with ts_ns as the timestamp. 0, or ERR_STATE (no
 * worker ready) / ERR_IO (the worker failed: it is being restarted). */
int	upproc_connect(struct upproc *, uint32_t gen, uint64_t ts_ns, int fd);
/* One inner message (1..WIRE_MAX_FRAME bytes) to seal and send on
 * connection gen. 0, ERR_STATE, ERR_TOOBIG, ERR_IO, ERR_NOMEM. */
int	upproc_send(struct upproc *, uint32_t gen, const void *msg,
	    size_t len);
/* Close connection gen (no LOST follows). */
void	upproc_close(struct upproc *, uint32_t gen);

struct upproc_stats {
	uint64_t	 restarts;	/* workers that died or were killed */
	int		 pid;		/* the running worker, 0: none */
};
void	upproc_stats(const struct upproc *, struct upproc_stats *out);

/* Test builds: have the worker try what its sandbox must refuse
 * (sandbox.h SANDBOX_PROBE_*); waits up to 5 s. 0 and *err its errno;
 * ERR_IO and *sig the signal that killed it (SIGSYS: seccomp); the
 * worker is then restarted as after any death. */
int	upproc_probe(struct upproc *, uint32_t what, int *err, int *sig);

#endif
