/*
 * netmon.c: the daemon's side of live capture (netmon.h).
 *
 * At most one capture child is in use (role RUN). A reload or a move of
 * the default route starts another (NEW) beside it; when NEW says READY
 * it becomes RUN and the old one is stopped (OLD: SIGTERM, SIGKILL after
 * STOP_MS). Whatever the child sends is checked by netmsg_parse; a child
 * that sends anything else, or nothing for too long, is killed. A child
 * that ends is reaped where its socket hangs up (SIGKILL first, so the
 * wait never blocks on a live process), its counters are added to those
 * of the children before it, and the capture is started again after a
 * back-off (1 s doubling to 60 s; reset once a child has run a minute).
 *
 * A child saves the rules it compiled into a file it was handed as root
 * (netcache.h); the daemon names it once the child said READY, and
 * removes it when the child ended before, so the unprivileged child
 * never writes in the cache's folder.
 *
 * Alerts are appended to the spool in one transaction per socket
 * wake-up (at most READ_BATCH), on the loop thread, through the daemon's
 * own spool handle; then the uplink is kicked.
 *
 * Load: nothing per packet; one datagram per alert; a 1 s timer
 * (watchdog, back-off, the default route every ROUTE_MS). netmon_probe,
 * for tests, holds the loop until the child answers (PROBE_MS at most).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "event.h"
#include "log.h"
#include "netcache.h"
#include "netchild.h"
#include "netmon.h"
#include "netmsg.h"
#include "netroute.h"
#include "spool.h"
#include "version.h"

#define KIDS_MAX	4		/* RUN, NEW, and OLD ones stopping */
#define READ_BATCH	64		/* messages per wake-up */
#define TIMER_MS	1000
#define START_MS	120000		/* to READY (compiling big rule sets) */
#define SILENT_MS	30000		/* then between messages (stats: 5 s) */
#define STOP_MS		2000		/* SIGTERM to SIGKILL */
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	60000
#define STABLE_MS	60000		/* a child this old resets the back-off */
#define ROUTE_MS	5000
#define PROBE_MS	5000		/* a test build's PROBE, to PROBED */
#define ARGS_MAX	(16 + CONFIG_LIST_MAX)

enum role { R_NEW, R_RUN, R_OLD };

struct kid {
	struct netmon		*nm;
	enum role		 role;
	pid_t			 pid;
	int			 fd;
	struct event		*ev;
	int			 ready;
	int			 refused;	/* its rules were not taken */
	int64_t			 started_ms, heard_ms, stop_ms;
	struct netmsg_ready	 info;
	struct netmsg_stats	 st;
	uint32_t		 probe;		/* asked, not answered; 0 none */
	int32_t			 probe_err;	/* the answer */
	int			 nifs;
	char			 ifs[CONFIG_LIST_MAX][NETROUTE_IFNAME];
};

/* What the daemon's side needs of the configuration (the child reads
 * the rest itself): a few KiB, not the whole agent_config. */
struct netconf {
	int			 net_enabled;
	struct config_list	 net_ifaces;
	char			 data_dir[PATH_MAX];
};

struct netmon {
	struct event_base	*base;
	struct netconf		*cfg;		/* our copy */
	char			 config[PATH_MAX];	/* "" the default */
	char			 cache[PATH_MAX];	/* "" none */
	char			 program[PATH_MAX];	/* vigil-capture */
	int			 verbose;
	struct spool		*spool;
	void			(*kick)(void *);
	void			*kick_arg;

	struct kid		*kids[KIDS_MAX];
	struct event		*timer;
	int64_t			 retry_ms;	/* start again then; 0: no */
	unsigned		 failures;	/* in a row, for the back-off */
	int64_t			 route_ms;	/* last looked at */
	struct netroute		 route;
	int			 route_ok;

	struct netmsg_stats	 past;		/* children gone */
	uint64_t		 restarts, refused, lost;
	int			 ended;		/* the last child's wait status,
						 * -1 not found */
	uint8_t			 buf[NETMSG_MAX];
};

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- children ---- */

static struct kid *
kid_find(const struct netmon *nm, enum role role)
{
	int	i;

	for (i = 0; i < KIDS_MAX; i++)
		if (nm->kids[i] != NULL && nm->kids[i]->role == role)
			return nm->kids[i];
	return NULL;
}

static void
stats_add(struct netmsg_stats *to, const struct netmsg_stats *s)
{
	to->received += s->received;
	to->dropped_kernel += s->dropped_kernel;
	to->dropped_if += s->dropped_if;
	to->dropped_vigil += s->dropped_vigil;
	to->frames += s->frames;
	to->undecodable += s->undecodable;
	to->flows += s->flows;
	to->flows_active += s->flows_active;
	to->flows_evicted += s->flows_evicted;
	to->alerts += s->alerts;
}

static void
retry_later(struct netmon *nm)
{
	int64_t	delay = BACKOFF_MAX_MS;

	if (nm->failures < 16 && (BACKOFF_MIN_MS << nm->failures) <
	    BACKOFF_MAX_MS)
		delay = BACKOFF_MIN_MS << nm->failures;
	nm->failures++;
	nm->retry_ms = mono_ms() + delay;
	log_info("capture: starting again in %" PRId64 " s", delay / 1000);
}

/* The child said the configured filter does not compile: starting it
 * again would not help. */
static int
filter_bad(pid_t r, int status)
{
	return r != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == NETCHILD_EXIT_FILTER;
}

/* The child is gone or must go: kill, reap, say why, forget it. */
static void
kid_end(struct kid *k)
{
	struct netmon	*nm = k->nm;
	char		 why[96];
	pid_t		 r;
	int		 status = 0, i;

	(void)kill(k->pid, SIGKILL);
	while ((r = waitpid(k->pid, &status, 0)) == -1 && errno == EINTR)
		;
	nm->ended = r == -1 ? -1 : status;
	if (r == -1)
		(void)snprintf(why, sizeof(why), "not found");
	else if (WIFEXITED(status))
		(void)snprintf(why, sizeof(why), "%s (exit %d)",
		    netchild_exit_name(WEXITSTATUS(status)),
		    WEXITSTATUS(status));
	else
		(void)snprintf(why, sizeof(why), "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (!k->ready)		/* a set it saved is not vouched for */
		netcache_drop(nm->cache, k->pid);
	stats_add(&nm->past, &k->st);
	nm->past.flows_active = 0;	/* a gauge: gone with the child */
	switch (k->role) {
	case R_RUN:
		log_warnx("capture child %d ended: %s", (int)k->pid, why);
		nm->restarts++;
		retry_later(nm);
		break;
	case R_NEW:
		if (k->refused)
			log_debug("capture child %d stopped: %s", (int)k->pid,
			    why);
		else if (kid_find(nm, R_RUN) != NULL)
			log_warnx("capture: the new rules are not in use (the "
			    "child that loaded them ended: %s); the running "
			    "capture keeps the last good ones", why);
		else {
			log_warnx("capture child %d ended before it was ready: "
			    "%s", (int)k->pid, why);
			if (filter_bad(r, status))
				log_warnx("capture: off until the filter is "
				    "fixed and the agent reloaded");
			else
				retry_later(nm);
		}
		break;
	case R_OLD:
		log_debug("capture child %d stopped: %s", (int)k->pid, why);
		break;
	}
	for (i = 0; i < KIDS_MAX; i++)
		if (nm->kids[i] == k)
			nm->kids[i] = NULL;
	event_free(k->ev);
	close(k->fd);
	free(k);
}

static void
kid_stop(struct kid *k)
{
	k->role = R_OLD;
	k->stop_ms = mono_ms();
	(void)kill(k->pid, SIGTERM);
}

/* A reload may not leave the capture with nothing where it had rules or
 * lists: a folder emptied or a file broken by an edit keeps the last
 * good set (a restart takes whatever is there). */
static int
refuse(const struct kid *run, const struct netmsg_ready *r)
{
	return (run->info.rules_loaded > 0 && r->rules_loaded == 0) ||
	    (run->info.indicators > 0 && r->indicators == 0);
}

/* 1 if the child must end. */
static int
on_ready(struct kid *k, const struct netmsg_ready *r)
{
	struct netmon	*nm = k->nm;
	struct kid	*run = kid_find(nm, R_RUN);

	if (k->role != R_NEW || k->ready) {
		log_warnx("capture child %d: READY twice", (int)k->pid);
		return 1;
	}
	if (run != NULL && refuse(run, r)) {
		log_warnx("capture: the new rules and lists load %u rules and "
		    "%u indicators where the running ones have %u and %u; "
		    "keeping the last good ones", r->rules_loaded,
		    r->indicators, run->info.rules_loaded,
		    run->info.indicators);
		k->refused = 1;
		return 1;
	}
	k->ready = 1;
	k->info = *r;
	k->role = R_RUN;
	/* the set it compiled gets its name, made as root before it parsed */
	netcache_take(nm->cache, k->pid);
	if (run != NULL)
		kid_stop(run);
	log_info("capture: running (pid %d, %d interfaces, %u rules, %u "
	    "indicators)", (int)k->pid, k->nifs, r->rules_loaded,
	    r->indicators);
	return 0;
}

struct batch {
	struct spool_in	 in[READ_BATCH];
	size_t		 n;
};

static int
batch_add(struct batch *b, const struct netmsg *m)
{
	char	*t;

	if ((t = malloc(m->u.alert.len + 1)) == NULL)
		return ERR_NOMEM;
	memcpy(t, m->u.alert.json, m->u.alert.len);
	t[m->u.alert.len] = '\0';
	b->in[b->n].type = "alert";
	b->in[b->n].prio = event_prio("alert", m->u.alert.severity);
	b->in[b->n].json = t;
	b->in[b->n].len = m->u.alert.len;
	b->n++;
	return 0;
}

static void
batch_flush(struct netmon *nm, struct batch *b)
{
	size_t	i;
	int	rc;

	if (b->n == 0)
		return;
	if ((rc = spool_append(nm->spool, b->in, b->n, NULL, NULL)) != 0) {
		log_warnx("capture: %zu alerts could not be spooled: %s", b->n,
		    vigil_strerror(rc));
		nm->lost += b->n;
	}
	for (i = 0; i < b->n; i++)
		free((char *)b->in[i].json);
	b->n = 0;
	if (rc == 0 && nm->kick != NULL)
		nm->kick(nm->kick_arg);
}

/* One checked message; 1 if the child must end. */
static int
on_msg(struct kid *k, const struct netmsg *m, struct batch *b)
{
	switch (m->type) {
	case NETMSG_READY:
		return on_ready(k, &m->u.ready);
	case NETMSG_STATS:
		k->st = m->u.stats;
		return 0;
	case NETMSG_ALERT:
		if (!k->ready) {
			log_warnx("capture child %d: an alert before READY",
			    (int)k->pid);
			return 1;
		}
		if (batch_add(b, m) != 0)
			k->nm->lost++;
		return 0;
	case NETMSG_PROBED:
		if (k->probe == 0 || m->u.probed.what != k->probe) {
			log_warnx("capture child %d: an answer to no probe",
			    (int)k->pid);
			return 1;
		}
		k->probe = 0;
		k->probe_err = m->u.probed.err;
		return 0;
	}
	return 1;
}

/* Up to READ_BATCH messages: 1 if the child must end. */
static int
kid_read(struct kid *k)
{
	struct netmon	*nm = k->nm;
	struct netmsg	 m;
	struct batch	 b;
	const char	*why;
	size_t		 n, i;
	int		 rc, end = 0;

	b.n = 0;
	for (i = 0; i < READ_BATCH && !end; i++) {
		if ((rc = netmsg_recv(k->fd, nm->buf, &n)) == ERR_AGAIN)
			break;
		if (rc != 0) {
			end = 1;
			break;
		}
		if (netmsg_parse(&m, nm->buf, n, &why) != 0) {
			log_warnx("capture child %d: a message refused (%s); "
			    "stopping it", (int)k->pid, why);
			nm->refused++;
			end = 1;
			break;
		}
		k->heard_ms = mono_ms();
		end = on_msg(k, &m, &b);
	}
	batch_flush(nm, &b);
	return end;
}

static void
on_kid(evutil_socket_t fd, short what, void *arg)
{
	struct kid	*k = arg;

	if (kid_read(k))
		kid_end(k);
}

/* The child's command line; the strings are nm's and k's. */
static void
child_argv(const struct netmon *nm, const struct kid *k, char gw[static 16],
    const char *av[static ARGS_MAX])
{
	size_t	n = 0;
	int	i;

	av[n++] = nm->program;
	if (nm->config[0] != '\0') {
		av[n++] = "-c";
		av[n++] = nm->config;
	}
	if (nm->verbose)
		av[n++] = "-v";
	av[n++] = "--data-dir";
	av[n++] = nm->cfg->data_dir;
	av[n++] = NETCHILD_CMD;
	if (nm->cache[0] != '\0') {
		av[n++] = "--cache";
		av[n++] = nm->cache;
	}
	if (nm->route_ok && nm->route.has_gateway &&
	    inet_ntop(AF_INET, nm->route.gateway, gw, 16) != NULL) {
		av[n++] = "--gateway";
		av[n++] = gw;
	}
	for (i = 0; i < k->nifs; i++)
		av[n++] = k->ifs[i];
	av[n] = NULL;
}

/* In the forked child: only async-signal-safe calls until exec. */
static void __attribute__((noreturn))
child_exec(int fd, const char *path, const char *const av[])
{
	if (fd == NETCHILD_FD) {
		if (fcntl(fd, F_SETFD, 0) == -1)
			_exit(NETCHILD_EXIT_CHANNEL);
	} else if (dup2(fd, NETCHILD_FD) == -1)
		_exit(NETCHILD_EXIT_CHANNEL);
	execv(path, (char *const *)(uintptr_t)av);
	_exit(127);
}

/* Which interfaces: the configured ones, or the default route's. */
static int
kid_ifaces(struct netmon *nm, struct kid *k)
{
	const struct config_list	*l = &nm->cfg->net_ifaces;
	int				 i;

	if (l->n == 0) {
		if (!nm->route_ok)
			return ERR_NOTFOUND;
		memcpy(k->ifs[0], nm->route.ifname, NETROUTE_IFNAME);
		k->nifs = 1;
		return 0;
	}
	for (i = 0; i < l->n; i++)
		(void)snprintf(k->ifs[i], sizeof(k->ifs[i]), "%s",
		    l->item[i]);	/* the parser kept them short */
	k->nifs = l->n;
	return 0;
}

static int
slot(struct netmon *nm)
{
	struct kid	*old;
	int		 i;

	for (i = 0; i < KIDS_MAX; i++)
		if (nm->kids[i] == NULL)
			return i;
	/* every slot taken: the oldest stopping child goes now */
	if ((old = kid_find(nm, R_OLD)) == NULL)
		return -1;
	kid_end(old);
	return slot(nm);
}

static int
spawn(struct netmon *nm)
{
	struct kid	*k;
	const char	*av[ARGS_MAX];
	char		 gw[16];
	int		 sv[2] = { -1, -1 }, i, rc;

	if ((i = slot(nm)) < 0)
		return ERR_STATE;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return ERR_NOMEM;
	k->nm = nm;
	k->role = R_NEW;
	if ((rc = kid_ifaces(nm, k)) != 0)
		goto fail;
	child_argv(nm, k, gw, av);
	rc = ERR_IO;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("capture: socketpair");
		goto fail;
	}
	if ((k->pid = fork()) == -1) {
		log_warn("capture: fork");
		goto fail;
	}
	if (k->pid == 0)
		child_exec(sv[1], nm->program, av);
	close(sv[1]);
	sv[1] = -1;
	k->fd = sv[0];
	k->started_ms = k->heard_ms = mono_ms();
	if ((k->ev = event_new(nm->base, k->fd, EV_READ | EV_PERSIST, on_kid,
	    k)) == NULL || event_add(k->ev, NULL) != 0) {
		nm->kids[i] = k;
		kid_end(k);
		return ERR_NOMEM;
	}
	nm->kids[i] = k;
	log_debug("capture child %d started on %s%s", (int)k->pid, k->ifs[0],
	    k->nifs > 1 ? " and others" : "");
	return 0;
fail:
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	free(k);
	return rc;
}

/* Start a child now (replacing the running one once it is ready); one
 * already starting is dropped for it. */
static void
start(struct netmon *nm)
{
	struct kid	*k;
	int		 rc;

	nm->retry_ms = 0;
	if ((k = kid_find(nm, R_NEW)) != NULL)
		kid_end(k);
	if ((rc = spawn(nm)) == ERR_NOTFOUND)
		log_warnx("capture: no default route and no [network] "
		    "interface: waiting for one");
	else if (rc != 0)
		retry_later(nm);
}

/* The default route, when it decides: a move starts a capture there. */
static void
route_check(struct netmon *nm, int64_t now)
{
	struct netroute	 r;
	struct kid	*run = kid_find(nm, R_RUN);
	int		 ok;

	nm->route_ms = now;
	if (nm->cfg->net_ifaces.n > 0)
		return;
	ok = netroute_read(&r, NULL) == 0;
	if (ok == nm->route_ok && (!ok || memcmp(&r, &nm->route,
	    sizeof(r)) == 0))
		return;
	nm->route_ok = ok;
	if (!ok)
		return;		/* the capture stays where it is */
	nm->route = r;
	if (run != NULL && strcmp(run->ifs[0], r.ifname) == 0)
		return;
	log_info("capture: the default route is on %s", r.ifname);
	if (kid_find(nm, R_NEW) == NULL)
		start(nm);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct netmon	*nm = arg;
	struct kid	*k;
	int64_t		 now = mono_ms();
	int		 i;

	for (i = 0; i < KIDS_MAX; i++) {
		if ((k = nm->kids[i]) == NULL)
			continue;
		if (k->role == R_OLD ? now - k->stop_ms > STOP_MS :
		    now - k->heard_ms > (k->ready ? SILENT_MS : START_MS)) {
			if (k->role != R_OLD)
				log_warnx("capture child %d: silent for %d s; "
				    "stopping it", (int)k->pid, (int)((now -
				    k->heard_ms) / 1000));
			kid_end(k);
		}
	}
	if (!nm->cfg->net_enabled)
		return;
	if ((k = kid_find(nm, R_RUN)) != NULL && k->ready &&
	    now - k->started_ms > STABLE_MS)
		nm->failures = 0;
	if (now - nm->route_ms >= ROUTE_MS)
		route_check(nm, now);
	if (nm->retry_ms != 0 && now >= nm->retry_ms &&
	    kid_find(nm, R_RUN) == NULL && kid_find(nm, R_NEW) == NULL)
		start(nm);
}

/* ---- the interface ---- */

/* Read k until it answers its probe: 0, ERR_EXPIRED, ERR_IO; *end when
 * it must end (it may have answered first). */
static int
probe_wait(struct kid *k, int *end)
{
	struct pollfd	pfd = { k->fd, POLLIN, 0 };
	int64_t		left, until = mono_ms() + PROBE_MS;
	int		rc;

	*end = 0;
	while (k->probe != 0 && !*end) {
		if ((left = until - mono_ms()) <= 0) {
			*end = 1;
			return ERR_EXPIRED;
		}
		if ((rc = poll(&pfd, 1, (int)left)) == -1 && errno != EINTR) {
			*end = 1;
			return ERR_IO;
		}
		if (rc > 0)
			*end = kid_read(k);
	}
	return k->probe == 0 ? 0 : ERR_IO;
}

int
netmon_probe(struct netmon *nm, uint32_t what, int *err, int *sig)
{
	struct netmsg_probe	 m = { what };
	struct kid		*k = kid_find(nm, R_RUN);
	int			 rc, end = 1;

	*err = *sig = 0;
	if (k == NULL || !k->ready || k->probe != 0)
		return ERR_STATE;
	k->probe = what;
	rc = netmsg_send(k->fd, NETMSG_PROBE, &m, sizeof(m)) != 0 ? ERR_IO :
	    probe_wait(k, &end);
	if (rc == 0)
		*err = k->probe_err;
	else if (rc == ERR_EXPIRED)
		log_warnx("capture child %d: no answer to a probe; stopping it",
		    (int)k->pid);
	if (end) {
		kid_end(k);
		if (rc != 0 && nm->ended != -1 && WIFSIGNALED(nm->ended))
			*sig = WTERMSIG(nm->ended);
	}
	return rc;
}

static void
conf_set(struct netconf *c, const struct agent_config *cfg)
{
	c->net_enabled = cfg->net_enabled;
	c->net_ifaces = cfg->net_ifaces;
	memcpy(c->data_dir, cfg->data_dir, sizeof(c->data_dir));
}

int
netmon_new(struct netmon **out, struct event_base *base,
    const struct agent_config *cfg, const struct netmon_exec *ex,
    struct spool *spool, void (*kick)(void *), void *kick_arg)
{
	struct netmon	*nm;
	struct timeval	 tv = { TIMER_MS / 1000, 0 };

	*out = NULL;
	if ((nm = calloc(1, sizeof(*nm))) == NULL ||
	    (nm->cfg = malloc(sizeof(*nm->cfg))) == NULL)
		goto nomem;
	conf_set(nm->cfg, cfg);
	nm->base = base;
	nm->spool = spool;
	nm->kick = kick;
	nm->kick_arg = kick_arg;
	nm->verbose = ex->verbose;
	if (snprintf(nm->config, sizeof(nm->config), "%s", ex->config ?
	    ex->config : "") >= (int)sizeof(nm->config) ||
	    snprintf(nm->cache, sizeof(nm->cache), "%s", ex->cache_dir ?
	    ex->cache_dir : "") >= (int)sizeof(nm->cache) ||
	    snprintf(nm->program, sizeof(nm->program), "%s", ex->program) >=
	    (int)sizeof(nm->program)) {
		netmon_free(nm);
		return ERR_TOOBIG;
	}
	/* the child opens its cache files there as root (netcache.h); what
	 * a child that is gone left unnamed goes */
	if (nm->cache[0] != '\0' && mkdir(nm->cache, 0700) == -1 &&
	    errno != EEXIST) {
		log_warn("capture: %s", nm->cache);
		nm->cache[0] = '\0';
	}
	netcache_drop(nm->cache, 0);
	if ((nm->timer = event_new(base, -1, EV_PERSIST, on_timer, nm)) ==
	    NULL || event_add(nm->timer, &tv) != 0)
		goto nomem;
	if (cfg->net_enabled) {
		route_check(nm, mono_ms());
		if (kid_find(nm, R_NEW) == NULL)
			start(nm);
	}
	*out = nm;
	return 0;
nomem:
	netmon_free(nm);
	return ERR_NOMEM;
}

void
netmon_reload(struct netmon *nm, const struct agent_config *cfg)
{
	int	i;

	if (nm == NULL)
		return;
	conf_set(nm->cfg, cfg);
	if (!cfg->net_enabled) {
		for (i = 0; i < KIDS_MAX; i++)
			if (nm->kids[i] != NULL && nm->kids[i]->role != R_OLD)
				kid_stop(nm->kids[i]);
		nm->retry_ms = 0;
		log_info("capture: off");
		return;
	}
	nm->failures = 0;
	route_check(nm, mono_ms());
	start(nm);
}

static const char *
state(const struct netmon *nm)
{
	const struct kid	*run = kid_find(nm, R_RUN);

	if (!nm->cfg->net_enabled)
		return "off";
	if (run != NULL)
		return "capturing";
	if (kid_find(nm, R_NEW) != NULL)
		return "starting";
	if (nm->cfg->net_ifaces.n == 0 && !nm->route_ok)
		return "no_interface";
	return "restarting";
}

json_t *
netmon_health(void *arg)
{
	struct netmon		*nm = arg;
	struct netmsg_stats	 s = nm->past;
	const struct kid	*run = kid_find(nm, R_RUN);
	json_t			*ifs, *h;
	int			 i;

	for (i = 0; i < KIDS_MAX; i++)
		if (nm->kids[i] != NULL)
			stats_add(&s, &nm->kids[i]->st);
	if ((ifs = json_array()) == NULL)
		return NULL;
	for (i = 0; run != NULL && i < run->nifs; i++)
		if (json_array_append_new(ifs, json_string(run->ifs[i])) != 0) {
			json_decref(ifs);
			return NULL;
		}
	h = json_pack("{s:{s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:{s:i, s:i, s:I}, s:i}}", "network",
	    "state", state(nm), "interfaces", ifs,
	    "received", (json_int_t)s.received,
	    "dropped_kernel", (json_int_t)s.dropped_kernel,
	    "dropped_interface", (json_int_t)s.dropped_if,
	    "dropped_vigil", (json_int_t)s.dropped_vigil,
	    "frames", (json_int_t)s.frames,
	    "undecodable", (json_int_t)s.undecodable,
	    "flows", (json_int_t)s.flows,
	    "flows_active", (json_int_t)s.flows_active,
	    "flows_evicted", (json_int_t)s.flows_evicted,
	    "alerts", (json_int_t)s.alerts,
	    "alerts_lost", (json_int_t)nm->lost,
	    "refused", (json_int_t)nm->refused,
	    "restarts", (json_int_t)nm->restarts,
	    "rules", "loaded", run ? (int)run->info.rules_loaded : 0,
	    "skipped", run ? (int)run->info.rules_skipped : 0,
	    "newest", run ? (json_int_t)run->info.rules_newest : 0,
	    "indicators", run ? (int)run->info.indicators : 0);
	return h;
}

void
netmon_free(struct netmon *nm)
{
	siginfo_t	si;
	int64_t		until;
	int		i, left;

	if (nm == NULL)
		return;
	for (i = 0; i < KIDS_MAX; i++)
		if (nm->kids[i] != NULL && nm->kids[i]->role != R_OLD)
			kid_stop(nm->kids[i]);
	/* a second for their last alerts and a clean exit */
	until = mono_ms() + STOP_MS / 2;
	do {
		for (i = left = 0; i < KIDS_MAX; i++) {
			memset(&si, 0, sizeof(si));
			if (nm->kids[i] != NULL && waitid(P_PID,
			    (id_t)nm->kids[i]->pid, &si, WEXITED | WNOHANG |
			    WNOWAIT) == 0 && si.si_pid == 0)
				left++;
		}
		if (left > 0)
			(void)usleep(20000);
	} while (left > 0 && mono_ms() < until);
	for (i = 0; i < KIDS_MAX; i++)
		if (nm->kids[i] != NULL) {
			(void)kid_read(nm->kids[i]);	/* its last alerts */
			nm->kids[i]->role = R_OLD;
			kid_end(nm->kids[i]);
		}
	if (nm->timer != NULL)
		event_free(nm->timer);
	free(nm->cfg);
	free(nm);
}
