/*
 * svc.c: the service manager's notify protocol (svc.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "err.h"
#include "log.h"
#include "svc.h"

struct svc {
	struct event	*ping;
};

static void
notify(const char *state)
{
	int	rc;

	/* < 0: the socket is there and the message failed (once a
	 * minute at most: the watchdog); 0: not under a service manager */
	if ((rc = sd_notify(0, state)) < 0)
		log_debug("sd_notify: %s: error %d", state, -rc);
}

static void
ping_cb(evutil_socket_t fd, short what, void *arg)
{
	notify("WATCHDOG=1");
}

int
svc_start(struct svc **out, struct event_base *base)
{
	struct svc	*s;
	struct timeval	 tv;
	uint64_t	 usec = 0;

	*out = NULL;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID is us */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	usec /= 2;	/* as sd_watchdog_enabled(3) advises */
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ERR_NOMEM;
	if ((s->ping = event_new(base, -1, EV_PERSIST, ping_cb, s)) == NULL ||
	    event_add(s->ping, &tv) != 0) {
		svc_free(s);
		return ERR_NOMEM;
	}
	log_debug("watchdog: a ping every %lld ms", (long long)(usec / 1000));
	*out = s;
	return 0;
}

void
svc_free(struct svc *s)
{
	if (s == NULL)
		return;
	if (s->ping != NULL)
		event_free(s->ping);
	free(s);
}

void
svc_ready(const char *status)
{
	char	buf[256];

	if (status == NULL) {
		notify("READY=1");
		return;
	}
	/* STATUS is one line: a newline would start another assignment */
	(void)snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status);
	for (char *p = buf + sizeof("READY=1\nSTATUS=") - 1; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	notify(buf);
}

void
svc_reloading(void)
{
	notify("RELOADING=1");
}

void
svc_stopping(void)
{
	notify("STOPPING=1");
}
