/*
 * scanproc.c: the daemon's side of the scan worker (scanproc.h).
 *
 * Each worker process is one generation (struct gen): its pid and its
 * sockets, referenced by the scans using them; a generation that ends
 * (killed, died) is forgotten by the scanproc at once, and its sockets
 * are closed with the last scan that holds one, never under a thread
 * still blocked on it. Everything shared is under mu; the exchange
 * itself (send, poll, receive) is not, so N scans run at once.
 *
 * Invariants: a channel is used by one scan at a time; a reply is taken
 * only if scanmsg_parse accepts it and its id is the request's, else the
 * worker is killed; the worker is never waited on without a bound (a
 * killed worker stuck in the kernel is reaped later).
 *
 * Starting a worker: the rule files are read into a memfd and the
 * cache opened here, as root (struct load), handed over as inherited
 * descriptors above the sockets, and closed once the worker said READY
 * (or failed); the compiled set it wrote is then named after the key the
 * daemon computed of the rule files it read (scanner.h), never after
 * anything the worker says, or removed.
 *
 * Load: one SCAN and one RESULT per file; a fork and exec per worker,
 * each reading every rule file once.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "child.h"
#include "scanproc.h"
#include "scanworker.h"

#define START_MS	120000		/* to READY (compiling big rule sets) */
#define GRACE_S		5		/* beyond twice the per-file timeout */
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	30000
#define REAP_MAX	16		/* killed workers not reaped yet */
#define ARGS_MAX	32
#define FDS_MAX		(SCANWORKER_CHANNELS_MAX + SCANWORKER_EXTRA_MAX)
#define SOCKBUF		(SCANMSG_MAX * 2)

struct gen {
	pid_t		 pid;
	int		 refs;		/* the scanproc's, and each scan's */
	int		 nchan;
	int		*fds;
	int		*busy;
	uint8_t		*bufs;		/* nchan * SCANMSG_MAX */
};

/* What the daemon opens for a worker's load (scanner.h), and the words
 * of its command line that name them. */
struct load {
	int			 rules;		/* the memfd */
	struct scanner_cachefds	 cache;
	char			 tmp[PATH_MAX];	/* cache.out's name */
	char			 arg[SCANWORKER_EXTRA_MAX][16];
};

struct scanproc {
	char			 program[PATH_MAX], config[PATH_MAX];
	char			 data_dir[PATH_MAX];
	char			 cache[PATH_MAX], channels[16];
	char			**paths;	/* the rule files and folders */
	size_t			 npaths;
	struct scanproc_conf	 conf;	/* its strings are the above */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct gen		*cur;		/* NULL: none running */
	struct scanmsg_ready	 ready;
	unsigned		 failures;	/* in a row */
	int64_t			 retry_ms;
	uint64_t		 next_id;
	uint64_t		 restarts, lost;
	pid_t			 reap[REAP_MAX];
	int			 nreap;
};

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- generations ---- */

static void
gen_free(struct gen *g)
{
	int	i;

	if (g == NULL)
		return;
	for (i = 0; g->fds != NULL && i < g->nchan; i++)
		if (g->fds[i] != -1)
			(void)close(g->fds[i]);
	free(g->fds);
	free(g->busy);
	free(g->bufs);
	free(g);
}

/* under mu */
static void
gen_put(struct gen *g)
{
	if (--g->refs == 0)
		gen_free(g);
}

/* Reap pid within about 100 ms: 1 and *status, or 0 (kept for later). */
static int
reap_soon(struct scanproc *sp, pid_t pid, int *status)
{
	int	i;

	for (i = 0; i < 100; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		(void)usleep(1000);
	}
	if (sp->nreap < REAP_MAX)
		sp->reap[sp->nreap++] = pid;
	return 0;
}

static void
reap_old(struct scanproc *sp)
{
	int	i, status;

	for (i = 0; i < sp->nreap; ) {
		if (waitpid(sp->reap[i], &status, WNOHANG) != 0)
			sp->reap[i] = sp->reap[--sp->nreap];
		else
			i++;
	}
}

static void
retry_later(struct scanproc *sp)
{
	int64_t	delay = 0;

	if (sp->failures > 0)
		delay = sp->failures > 5 ? BACKOFF_MAX_MS :
		    (int64_t)BACKOFF_MIN_MS << (sp->failures - 1);
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	sp->failures++;
	sp->retry_ms = mono_ms() + delay;
}

/* The worker of g is done for (under mu): killed, reaped if it goes,
 * forgotten. *status: how it ended, -1: not known. */
static void
gen_end(struct scanproc *sp, struct gen *g, int *status)
{
	*status = -1;
	(void)kill(g->pid, SIGKILL);
	if (!reap_soon(sp, g->pid, status))
		*status = -1;
	if (sp->cur == g) {
		sp->cur = NULL;
		gen_put(g);
		sp->restarts++;
		retry_later(sp);
	}
}

/* ---- starting a worker ---- */

static void
worker_argv(const struct scanproc *sp, struct load *ld, int n,
    const char *av[static ARGS_MAX])
{
	size_t	a = 0, k = 0;

	av[a++] = sp->program;
	if (sp->config[0] != '\0') {
		av[a++] = "-c";
		av[a++] = sp->config;
	}
	if (sp->conf.verbose)
		av[a++] = "-v";
	av[a++] = "--data-dir";
	av[a++] = sp->data_dir;
	av[a++] = SCANWORKER_CMD;
	av[a++] = "--channels";
	av[a++] = sp->channels;
	/* the descriptors in the order load_fds() places them */
	(void)snprintf(ld->arg[k], sizeof(ld->arg[k]), "%d", SCANWORKER_FD + n);
	av[a++] = "--rules-fd";
	av[a++] = ld->arg[k++];
	if (ld->cache.out != -1) {
		(void)snprintf(ld->arg[k], sizeof(ld->arg[k]), "%d",
		    SCANWORKER_FD + n + (int)k);
		av[a++] = "--cache-out";
		av[a++] = ld->arg[k++];
	}
	if (ld->cache.in != -1) {
		(void)snprintf(ld->arg[k], sizeof(ld->arg[k]), "%d",
		    SCANWORKER_FD + n + (int)k);
		av[a++] = "--cache-in";
		av[a++] = ld->arg[k++];
	}
	if (sp->conf.sha256_all)
		av[a++] = "--sha256";
	av[a] = NULL;
}

/* The load's descriptors after the n sockets in fds; how many in all. */
static int
load_fds(const struct load *ld, int *fds, int n)
{
	fds[n++] = ld->rules;
	if (ld->cache.out != -1)
		fds[n++] = ld->cache.out;
	if (ld->cache.in != -1)
		fds[n++] = ld->cache.in;
	return n;
}

/* The rule files read (never parsed: the worker does that) and the
 * cache offered, as root, for a worker to start with. */
static int
load_open(struct scanproc *sp, struct load *ld)
{
	int	rc;

	memset(ld, 0, sizeof(*ld));
	ld->cache.out = ld->cache.in = -1;
	if ((rc = scanner_rules_bundle(&ld->rules, (const char *const *)
	    sp->paths, sp->npaths)) != 0)
		return rc;
	if (sp->cache[0] != '\0')
		(void)scanner_cache_offer(&ld->cache, ld->tmp, sp->cache,
		    ld->rules);
	return 0;
}

/* loaded: the worker said READY. */
static void
load_close(struct scanproc *sp, struct load *ld, int loaded)
{
	if (sp->cache[0] != '\0')
		scanner_cache_take(&ld->cache, ld->tmp, sp->cache, loaded);
	(void)close(ld->rules);
}

/* In the forked child: only async-signal-safe calls until exec. The
 * descriptors (the sockets, then the load's) are moved above where they
 * go, then into place. */
static void __attribute__((noreturn))
child_exec(const int *fds, int n, const char *path, const char *const av[])
{
	int	i, tmp[FDS_MAX];

	for (i = 0; i < n; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD, SCANWORKER_FD + n)) == -1)
			_exit(SCANWORKER_EXIT_CHANNEL);
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], SCANWORKER_FD + i) == -1)
			_exit(SCANWORKER_EXIT_CHANNEL);
	execv(path, (char *const *)(uintptr_t)av);
	_exit(127);
}

static int
gen_new(struct gen **out, int n)
{
	struct gen	*g;
	int		 i;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->fds = calloc((size_t)n, sizeof(int))) == NULL ||
	    (g->busy = calloc((size_t)n, sizeof(int))) == NULL ||
	    (g->bufs = malloc((size_t)n * SCANMSG_MAX)) == NULL) {
		gen_free(g);
		return ERR_NOMEM;
	}
	g->nchan = n;
	for (i = 0; i < n; i++)
		g->fds[i] = -1;
	*out = g;
	return 0;
}

/* Wait for READY on channel 0: 0, or ERR_NOTFOUND. */
static int
await_ready(struct scanproc *sp, struct gen *g)
{
	struct pollfd	 pfd = { g->fds[0], POLLIN, 0 };
	struct scanmsg	 m;
	const char	*why = "it ended";
	size_t		 n;
	int		 rc;

	do
		rc = poll(&pfd, 1, START_MS);
	while (rc == -1 && errno == EINTR);
	if (rc == 1 && scanmsg_recv(g->fds[0], g->bufs, &n, NULL) == 0) {
		if (scanmsg_parse(&m, g->bufs, n, 1, &why) == 0 &&
		    m.type == SCANMSG_READY) {
			/* a worker started again must run the same rules:
			 * the scan cache is keyed on them */
			if (sp->ready.version[0] == '\0' ||
			    strcmp(sp->ready.version, m.u.ready.version) == 0) {
				sp->ready = m.u.ready;
				return 0;
			}
			log_warnx("scan worker %d: the rule files changed since "
			    "the agent loaded them; reload the agent", (int)g->pid);
			return ERR_NOTFOUND;
		}
		if (m.type == SCANMSG_RESULT)
			scanmsg_result_free(&m.u.result);
		why = "it did not say READY first";
	} else if (rc == 0)
		why = "it did not say READY in time";
	log_warnx("scan worker %d: not started: %s", (int)g->pid, why);
	return ERR_NOTFOUND;
}

/* A new worker as sp->cur (under mu). */
static int
spawn(struct scanproc *sp)
{
	struct gen	*g;
	struct load	 ld;
	const char	*av[ARGS_MAX];
	int		 sv[FDS_MAX], i, nfd, n = sp->conf.channels;
	int		 size = SOCKBUF, status, rc;
	char		 why[80];

	reap_old(sp);
	if ((rc = gen_new(&g, n)) != 0)
		return rc;
	if ((rc = load_open(sp, &ld)) != 0) {
		gen_free(g);
		return rc;
	}
	worker_argv(sp, &ld, n, av);
	for (i = 0; i < n; i++) {
		int	pair[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    pair) == -1) {
			log_warn("scan worker: socketpair");
			while (i-- > 0)
				(void)close(sv[i]);
			load_close(sp, &ld, 0);
			gen_free(g);
			return ERR_IO;
		}
		g->fds[i] = pair[0];
		sv[i] = pair[1];
		if (setsockopt(pair[0], SOL_SOCKET, SO_RCVBUFFORCE, &size,
		    sizeof(size)) == -1)
			(void)setsockopt(pair[0], SOL_SOCKET, SO_RCVBUF, &size,
			    sizeof(size));
	}
	nfd = load_fds(&ld, sv, n);
	if ((g->pid = fork()) == 0)
		child_exec(sv, nfd, sp->program, av);
	for (i = 0; i < n; i++)
		(void)close(sv[i]);
	if (g->pid == -1) {
		log_warn("scan worker: fork");
		load_close(sp, &ld, 0);
		gen_free(g);
		return ERR_IO;
	}
	rc = await_ready(sp, g);
	load_close(sp, &ld, rc == 0);
	if (rc != 0) {
		(void)kill(g->pid, SIGKILL);
		if (reap_soon(sp, g->pid, &status)) {
			child_status(why, sizeof(why), status);
			log_warnx("scan worker %d ended: %s", (int)g->pid, why);
		}
		gen_free(g);
		return ERR_NOTFOUND;
	}
	g->refs = 1;
	sp->cur = g;
	log_debug("scan worker %d: ready (%u rules, version %.12s)",
	    (int)g->pid, sp->ready.rules, sp->ready.version);
	return 0;
}

/* ---- a scan ---- */

/* A free channel of a running worker, started if need be (under mu):
 * its index, with a reference on *gp; -1 if no worker can be started. */
static int
take_channel(struct scanproc *sp, struct gen **gp)
{
	struct timespec	 ts;
	int64_t		 wait;
	int		 i;

	for (;;) {
		if (sp->cur == NULL) {
			if ((wait = sp->retry_ms - mono_ms()) > 0) {
				ts.tv_sec = (time_t)(wait / 1000);
				ts.tv_nsec = (long)(wait % 1000) * 1000000;
				pthread_mutex_unlock(&sp->mu);
				(void)nanosleep(&ts, NULL);
				pthread_mutex_lock(&sp->mu);
				continue;
			}
			if (spawn(sp) != 0) {
				retry_later(sp);
				return -1;
			}
		}
		for (i = 0; i < sp->cur->nchan; i++)
			if (!sp->cur->busy[i]) {
				sp->cur->busy[i] = 1;
				sp->cur->refs++;
				*gp = sp->cur;
				return i;
			}
		pthread_cond_wait(&sp->cv, &sp->mu);
	}
}

/* Wait for the reply to id on channel i, into *m: 0, or why not. */
static int
await_reply(struct scanproc *sp, struct gen *g, int i, uint64_t id,
    uint32_t type, struct scanmsg *m, const char **why)
{
	struct pollfd	 pfd = { g->fds[i], POLLIN, 0 };
	uint8_t		*buf = g->bufs + (size_t)i * SCANMSG_MAX;
	size_t		 n;
	uint64_t	 got;
	int		 rc, ms = sp->conf.timeout_s > 0 ?
			    (2 * sp->conf.timeout_s + GRACE_S) * 1000 : -1;

	do
		rc = poll(&pfd, 1, ms);
	while (rc == -1 && errno == EINTR);
	if (rc == 0) {
		*why = "did not answer in time";
		return ERR_EXPIRED;
	}
	if (rc == -1 || scanmsg_recv(g->fds[i], buf, &n, NULL) != 0) {
		*why = "ended";
		return ERR_IO;
	}
	if (scanmsg_parse(m, buf, n, 1, why) != 0)
		return ERR_MALFORMED;
	got = m->type == SCANMSG_RESULT ? m->u.result.id :
	    m->type == SCANMSG_PROBED ? m->u.probed.id : 0;
	if (m->type != type || got != id) {
		if (m->type == SCANMSG_RESULT)
			scanmsg_result_free(&m->u.result);
		*why = "answered another request";
		return ERR_MALFORMED;
	}
	return 0;
}

static int
send_scan(struct gen *g, int i, uint64_t id, int fd, const char *path,
    const char *owner)
{
	uint8_t	*buf = g->bufs + (size_t)i * SCANMSG_MAX;
	size_t	 plen = strlen(path) + 1;

	if (plen > SCANMSG_PATH_MAX)
		return ERR_TOOBIG;
	memcpy(buf, &id, sizeof(id));
	memset(buf + 8, 0, SCANNER_OWNER_MAX);
	(void)snprintf((char *)buf + 8, SCANNER_OWNER_MAX, "%s", owner);
	memcpy(buf + 8 + SCANNER_OWNER_MAX, path, plen);
	return scanmsg_send(g->fds[i], SCANMSG_SCAN, buf, 8 +
	    SCANNER_OWNER_MAX + plen, fd);
}

/* The channel back (under mu); the worker ended first if failed. */
static void
give_back(struct scanproc *sp, struct gen *g, int i, int failed,
    const char *why, const char *path)
{
	char	how[80];
	int	status;

	if (failed) {
		sp->lost++;
		if (sp->cur == g) {
			gen_end(sp, g, &status);
			if (status != -1)
				child_status(how, sizeof(how), status);
			else
				(void)snprintf(how, sizeof(how), "killed");
			log_warnx("scan worker %d %s while scanning %s (%s); "
			    "a new one takes over", (int)g->pid, why, path,
			    how);
		}
	} else
		sp->failures = 0;
	g->busy[i] = 0;
	gen_put(g);
	pthread_cond_broadcast(&sp->cv);
}

/* The verdict on a file the worker did not give one for. */
static void
lost(struct scanmsg_result *out, int rc, const char *why, int started)
{
	memset(out, 0, sizeof(*out));
	out->r.status = rc == ERR_EXPIRED ? SCAN_STALLED : SCAN_ERROR;
	if (!started)
		(void)snprintf(out->r.reason, sizeof(out->r.reason), "no scan "
		    "worker: it does not start (see the agent's log)");
	else
		(void)snprintf(out->r.reason, sizeof(out->r.reason), "the scan "
		    "worker %s while scanning this file; it was restarted",
		    why);
}

int
scanproc_scan(struct scanproc *sp, struct scanmsg_result *out, int fd,
    const char *path, const char *owner)
{
	struct scanmsg	 m;
	struct gen	*g = NULL;
	const char	*why = "failed";
	uint64_t	 id;
	int		 i, rc;

	pthread_mutex_lock(&sp->mu);
	if ((i = take_channel(sp, &g)) < 0) {
		pthread_mutex_unlock(&sp->mu);
		lost(out, ERR_IO, why, 0);
		out->r.path = path;
		return ERR_IO;
	}
	id = ++sp->next_id;
	pthread_mutex_unlock(&sp->mu);
	if ((rc = send_scan(g, i, id, fd, path, owner)) == 0)
		rc = await_reply(sp, g, i, id, SCANMSG_RESULT, &m, &why);
	else
		why = "could not be reached";
	pthread_mutex_lock(&sp->mu);
	give_back(sp, g, i, rc != 0, why, path);
	pthread_mutex_unlock(&sp->mu);
	if (rc != 0) {
		lost(out, rc, why, 1);
		out->r.path = path;
		return ERR_IO;
	}
	*out = m.u.result;
	out->r.path = path;
	return 0;
}

int
scanproc_probe(struct scanproc *sp, uint32_t what, int *err, int *sig)
{
	struct { uint64_t id; uint32_t what, pad; } body;
	struct scanmsg	 m;
	struct gen	*g = NULL;
	const char	*why = "failed";
	pid_t		 pid;
	int		 i, rc, status = 0;

	*err = 0;
	*sig = 0;
	pthread_mutex_lock(&sp->mu);
	if ((i = take_channel(sp, &g)) < 0) {
		pthread_mutex_unlock(&sp->mu);
		return ERR_IO;
	}
	body.id = ++sp->next_id;
	body.what = what;
	body.pad = 0;
	pid = g->pid;
	pthread_mutex_unlock(&sp->mu);
	if ((rc = scanmsg_send(g->fds[i], SCANMSG_PROBE, &body, sizeof(body),
	    -1)) == 0)
		rc = await_reply(sp, g, i, body.id, SCANMSG_PROBED, &m, &why);
	if (rc == 0)
		*err = m.u.probed.err;
	else if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status))
		*sig = WTERMSIG(status);
	pthread_mutex_lock(&sp->mu);
	if (rc != 0 && sp->cur == g) {
		/* reaped above: only forget it */
		sp->cur = NULL;
		gen_put(g);
		sp->restarts++;
		retry_later(sp);
	}
	g->busy[i] = 0;
	gen_put(g);
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	return rc == 0 ? 0 : ERR_IO;
}

/* ---- the object ---- */

static int
copy(char *dst, size_t len, const char *src)
{
	int	n = snprintf(dst, len, "%s", src != NULL ? src : "");

	return n < 0 || (size_t)n >= len ? ERR_TOOBIG : 0;
}

static int
paths_copy(struct scanproc *sp, const char *const *paths, size_t n)
{
	if (n == 0 || (sp->paths = calloc(n, sizeof(char *))) == NULL)
		return n == 0 ? ERR_USAGE : ERR_NOMEM;
	for (sp->npaths = 0; sp->npaths < n; sp->npaths++)
		if ((sp->paths[sp->npaths] = strdup(paths[sp->npaths])) == NULL)
			return ERR_NOMEM;
	return 0;
}

int
scanproc_new(struct scanproc **out, const struct scanproc_conf *c)
{
	struct scanproc	*sp;
	int		 rc = ERR_NOMEM;

	*out = NULL;
	if (c->channels < 1 || c->channels > SCANWORKER_CHANNELS_MAX)
		return ERR_USAGE;
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return ERR_NOMEM;
	if (pthread_mutex_init(&sp->mu, NULL) != 0) {
		free(sp);
		return ERR_NOMEM;
	}
	if (pthread_cond_init(&sp->cv, NULL) != 0) {
		(void)pthread_mutex_destroy(&sp->mu);
		free(sp);
		return ERR_NOMEM;
	}
	sp->conf = *c;
	if ((rc = copy(sp->program, sizeof(sp->program), c->program)) != 0 ||
	    (rc = copy(sp->config, sizeof(sp->config), c->config)) != 0 ||
	    (rc = copy(sp->data_dir, sizeof(sp->data_dir), c->data_dir)) != 0 ||
	    (rc = copy(sp->cache, sizeof(sp->cache), c->cache_dir)) != 0 ||
	    (rc = paths_copy(sp, c->rule_paths, c->nrule_paths)) != 0)
		goto fail;
	(void)snprintf(sp->channels, sizeof(sp->channels), "%d", c->channels);
	pthread_mutex_lock(&sp->mu);
	rc = spawn(sp);
	pthread_mutex_unlock(&sp->mu);
	if (rc != 0)
		goto fail;
	*out = sp;
	return 0;
fail:
	scanproc_free(sp);
	return rc;
}

void
scanproc_free(struct scanproc *sp)
{
	int	status;

	if (sp == NULL)
		return;
	if (sp->cur != NULL) {
		(void)kill(sp->cur->pid, SIGKILL);
		(void)reap_soon(sp, sp->cur->pid, &status);
		gen_put(sp->cur);
	}
	reap_old(sp);
	while (sp->npaths > 0)
		free(sp->paths[--sp->npaths]);
	free(sp->paths);
	(void)pthread_cond_destroy(&sp->cv);
	(void)pthread_mutex_destroy(&sp->mu);
	free(sp);
}

const struct scanmsg_ready *
scanproc_rules(const struct scanproc *sp)
{
	return &sp->ready;
}

void
scanproc_stats(struct scanproc *sp, struct scanproc_stats *out)
{
	pthread_mutex_lock(&sp->mu);
	out->restarts = sp->restarts;
	out->lost = sp->lost;
	out->pid = sp->cur != NULL ? (int)sp->cur->pid : 0;
	pthread_mutex_unlock(&sp->mu);
}
