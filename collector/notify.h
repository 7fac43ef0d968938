/*
 * notify.h: the early warning (issue 9; docs/incidents.md, "Early
 * warning", says what is told, when and how).
 *
 * The writer thread, after the commit of a batch or tick, posts what
 * correlation changed (correlate_changes()) with notify_post(): a copy
 * into a bounded queue, never a wait. One notifier thread takes it from
 * there: keeps changes at or above min_severity, throttles them
 * (throttle.h), reads the incident on its own store handle, and tells
 * syslog, the webhooks and the mail relay (transfers in one curl multi,
 * none waiting for another) and the command, each bounded by its
 * timeout. A failed
 * delivery is retried on the retry schedule; every attempt's outcome
 * is a row of the store's notifications table (notify_history_each()).
 *
 * Nothing from the incident reaches a shell or an argument: the command
 * is run with the configured words only (argv.h) and gets the incident
 * as JSON on its standard input; mail headers carry it base64-encoded.
 */
#ifndef VIGIL_NOTIFY_H
#define VIGIL_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "correlate.h"
#include "store.h"

#define NOTIFY_QUEUE	1024	/* changes waiting, at most */

struct notify;

/* From cfg's [notify] (copied), on its own handle of the store at
 * dbpath; starts the notifier thread. *out is NULL, and 0 returned, when
 * nothing is configured to tell beyond syslog and syslog is off. Errors:
 * ERR_CONFIG (logged: a template that does not give JSON, a password
 * file that cannot be read), ERR_IO, ERR_NOMEM. */
int	notify_new(struct notify **out, const struct collector_config *cfg,
	    const char *dbpath);
/* Tells what is queued (one attempt each, no retries), stops the thread.
 * Takes NULL. */
void	notify_free(struct notify *);

/* From the writer thread: copies chg[0 .. n-1]. A full queue drops and
 * counts (the next summary says so). */
void	notify_post(struct notify *, const struct correlate_change *chg,
	    size_t n);

/* One recorded attempt (strings valid during the callback only). */
struct notify_row {
	int64_t		 id;
	int64_t		 incident;	/* 0: a summary */
	int64_t		 time;
	const char	*channel;	/* syslog, command, webhook, mail */
	const char	*target;	/* no secrets: a URL's host only */
	const char	*change;	/* opened, raised, spreading,
					 * summary */
	int		 attempt;	/* 1, 2, ... */
	const char	*outcome;	/* sent, failed, given-up */
	const char	*detail;
};

typedef int	(*notify_row_cb)(void *arg, const struct notify_row *);

/* The attempts about incident (0: the summaries), oldest first. */
int	notify_history_each(struct store *, int64_t incident, notify_row_cb,
	    void *arg);

#endif
