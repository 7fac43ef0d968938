/*
 * svc.h: telling the service manager how the daemon is doing (systemd's
 * notify protocol, through libsystemd's sd_notify): ready once it serves,
 * reloading around SIGHUP, stopping, and alive every half watchdog period
 * while its event loop turns (WatchdogSec= in the unit: a loop that hangs
 * gets the daemon restarted).
 *
 * Outside systemd, or under a unit without Type=notify, NOTIFY_SOCKET is
 * unset and every call does nothing. The watchdog ping is a timer on the
 * daemon's own event loop, so it proves that loop is turning, nothing
 * more. Event-loop thread only.
 */
#ifndef VIGIL_SVC_H
#define VIGIL_SVC_H

struct event_base;
struct svc;

/* Arm the watchdog on base if the service manager asked for one (its
 * WATCHDOG_USEC and WATCHDOG_PID are ours). *out is NULL when there is
 * nothing to do. 0, ERR_NOMEM. */
int	svc_start(struct svc **out, struct event_base *base);
void	svc_free(struct svc *);

/* READY=1 with a STATUS= line for `systemctl status` (may be NULL). */
void	svc_ready(const char *status);
void	svc_reloading(void);
void	svc_stopping(void);

#endif
