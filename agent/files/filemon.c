/*
 * filemon.c: file activity in the agent daemon (see filemon.h).
 *
 *   watcher (loop) --file--> debounce table (loop) --due--> job queue
 *   watcher (loop) --rescan--> pending rescans (loop) ------> job queue
 *   job queue --> N scan workers: cache lookup, YARA scan, cache store
 *   watcher (loop) --integrity path--> FIM thread: check that path
 *   FIM thread: baseline once, then a full check every interval
 *   workers, FIM thread --events--> spool (each thread its own handle,
 *   synchronously), then a wake-up of the uplink on the loop
 *
 * Invariants: an event is in the spool (committed) before the state that
 * would stop it being made again is recorded: a scan result before its
 * scan-cache entry, an integrity change before its baseline row, so a
 * crash repeats an event rather than losing it; the watcher and the
 * debounce table are touched only on the event-loop thread; the job queue never holds more than
 * QUEUE_MAX jobs (a full queue leaves work in the debounce table or the
 * pending rescans, retried shortly; nothing is dropped); a scan holds a
 * reference to the rules it uses (struct rules), so a reload swaps them
 * without waiting for any scan and never frees rules in use; the rules
 * hold a reference to the indicator lists their scanner looks hashes up
 * in (struct lists), so a reload whose lists fail to load builds the new
 * rules on the last good lists.
 *
 * Opening: every file and folder is opened with safeopen.h (no symbolic
 * link followed anywhere on the path, no mount entered that the mount
 * table refuses, nothing but a regular file opened for reading), and
 * rescans walk by descriptors (treewalk.h). What cannot be scanned gives
 * a scan event naming why; only a file gone before its turn is counted
 * and not reported.
 *
 * Stuck workers: a read can wait for ever (a disk that stopped
 * answering; a FUSE or network file system, when they are entered at
 * all). Each worker marks what it is on and since when; a watchdog on
 * the loop gives up a worker busy with one file for twice the per-file
 * timeout: it reports the file (status "stalled"), starts a fresh worker
 * in its place (at most ABANDON_MAX such replacements alive at once) and
 * lets the old thread go: a thread asleep in the kernel cannot be killed.
 * If it ever wakes, it finishes that one file and exits. At shutdown,
 * threads still stuck after SHUTDOWN_S are left to the process's exit,
 * and so is everything they may touch.
 *
 * Load: a burst of thousands of file closes (an unzip, a copy from a USB
 * stick) becomes one debounce entry per path and one scan per file; a
 * rescan of a tree costs one stat and one cache lookup per unchanged file.
 */
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "event.h"
#include "filemon.h"
#include "fim.h"
#include "ioc.h"
#include "log.h"
#include "mounttab.h"
#include "netmon.h"
#include "pathset.h"
#include "safeopen.h"
#include "scancache.h"
#include "scanner.h"
#include "scanproc.h"
#include "spool.h"
#include "treewalk.h"
#include "watch.h"

#define QUEUE_MAX	4096	/* scan jobs waiting for a worker */
#define PEND_MAX	65536	/* paths waiting out their debounce */
#define PEND_BUCKETS	4096
#define RETRY_MS	50	/* queue was full: try again */
#define FLUSH_SECS	1	/* scan cache commit */
#define WATCHDOG_MS	1000	/* how often busy workers are looked at */
#define ABANDON_MAX	16	/* workers given up and not back, at most */
#define SHUTDOWN_S	5	/* wait for workers at the end, at most */
#define RESCAN_HELPERS	4	/* threads listing folders ahead of a
				 * rescan (treewalk.h) */

enum job_kind { J_SCAN, J_RESCAN, J_REPORT };

struct job {
	enum job_kind	 kind;
	char		*path;
	int		 status;	/* J_REPORT: enum scanner_status */
	char		*reason;	/* J_REPORT */
	struct job	*next;
};

/* Indicator lists and the rule sets built on them: freed with the last
 * reference. */
struct lists {
	struct iocdb	*db;
	int		 refs;		/* under fm->mu */
};

/* A rule set and the scans using it: freed with the last reference.
 * It runs in a scan worker (sp) or in this process (sc), one of them. */
struct rules {
	struct scanner		*sc;
	struct scanproc		*sp;
	struct scanner_info	 info;	/* verdicts: with the lists' */
	struct lists		*lists;	/* a reference; NULL: none */
	int			 refs;	/* under fm->mu */
};

/* One scan worker thread. */
struct wslot {
	struct filemon	*fm;
	pthread_t	 tid;
	int64_t		 busy_ms;	/* on one file since, 0: idle */
	char		*what;		/* that file's path (a copy) */
	size_t		 whatcap;
	int		 abandoned;	/* given up: exits after this job */
	int		 done;		/* out of its loop */
};

struct pend {
	char			*path;
	int64_t			 due_ms;
	struct pend		*hnext;		/* bucket chain */
	TAILQ_ENTRY(pend)	 order;		/* by due time */
};

struct rescan {
	char		*path;
	struct rescan	*next;
};

struct fimq {
	char		*path;
	struct fimq	*next;
};

struct counters {
	uint64_t	 scanned, matches, problems, cache_hits, rescans;
	uint64_t	 vanished, stalled;
};

struct filemon {
	struct event_base	*base;
	struct agent_config	*cfg;		/* our copy */
	char			 data_dir[PATH_MAX];
	char			 default_rules[PATH_MAX];
	struct filemon_exec	 ex;		/* program NULL: scans here */
	char			 ex_program[PATH_MAX], ex_config[PATH_MAX];
	void			(*kick)(void *);
	void			*kick_arg;

	struct watch		*watch;
	struct mounttab		*mt;		/* mounts scans may enter */
	struct pathset		*scan_roots;	/* [files] watch, resolved */
	struct pathset		*fim_roots;	/* [integrity] path, resolved */
	struct scancache	*cache;
	struct rules		*rules;		/* under mu; NULL: no scanning */
	struct lists		*lists;		/* the last good ones, a
						 * reference; NULL: none */

	pthread_mutex_t		 mu;		/* jobs, counters, rules, slots */
	pthread_cond_t		 cv;
	int			 sync_ok;	/* mu, cv, fmu, fcv made */
	struct job		*jobs, **jobs_tail;
	size_t			 njobs;
	int			 stop;
	struct wslot		**slots;	/* workers, live and given up */
	int			 nslots, nworkers;
	int			 nstuck;	/* given up, not back */
	struct event		*watchdog_ev;
	struct counters		 n;

	struct event		*kick_ev;	/* worker -> loop: new events */
	char			 spool_path[PATH_MAX];
	struct event		*debounce_ev;
	struct event		*flush_ev;
	struct pend		*buckets[PEND_BUCKETS];
	TAILQ_HEAD(, pend)	 pending;
	size_t			 npend;
	struct rescan		*rescans;	/* waiting for queue room */

	pthread_t		 fim_thread;
	int			 fim_started;
	pthread_mutex_t		 fmu;
	pthread_cond_t		 fcv;
	struct fimq		*fimq;
	int			 fim_stop;
	int			 fim_ready;	/* baseline exists */
	int			 global_init;	/* scanner_global_init() done */
	int			 flush_failed;	/* the last cache flush failed */
};

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The configured roots of one kind, resolved once as pathset.h says:
 * what the watcher reports is the kernel's path of a file, so it is
 * compared with roots resolved the same way (a root that is, or sits
 * below, a symbolic link has its files reported under the link's
 * target). Scanned folders are followed as the watcher follows them;
 * integrity paths keep a final symbolic link, as fim.c does (what is
 * below such a link is not covered by integrity). A root that cannot
 * be resolved is left out, with a log line. l NULL: an empty set.
 */
static int
roots_new(struct pathset **out, const struct config_list *l, int flags,
    const char *what)
{
	char	buf[PATH_MAX];
	int	i, rc;

	if ((rc = pathset_new(out)) != 0)
		return rc;
	for (i = 0; l != NULL && i < l->n; i++) {
		if ((rc = pathset_resolve(buf, l->item[i], flags,
		    NULL)) != 0) {
			log_warnx("%s: %s cannot be resolved: %s", what,
			    l->item[i], vigil_strerror(rc));
			continue;
		}
		if ((rc = pathset_add(*out, buf)) < 0)
			return rc;
	}
	return 0;
}

/* Is the path the kernel reported one of the roots, or below one? */
static int
under(const struct pathset *roots, const char *path)
{
	return pathset_holder(roots, path, strlen(path)) != 0;
}

/* Put one event in the spool through the calling thread's own handle,
 * then wake the uplink. Takes ev. 0, or an error (the event is not
 * stored: the caller must not record the state that made it). */
static int
emit(struct filemon *fm, struct spool *sp, json_t *ev)
{
	struct spool_in	 in;
	json_t		*t, *sev;
	char		*text;
	size_t		 len;
	int		 severity = 0, rc;

	if (ev == NULL)
		return ERR_NOMEM;
	if ((text = event_dump(ev, &len)) == NULL) {
		log_warnx("files: an event could not be built (out of memory "
		    "or over %d bytes)", EVENT_MAX_LEN);
		json_decref(ev);
		return ERR_NOMEM;
	}
	t = json_object_get(ev, "event_type");
	sev = json_object_get(json_object_get(ev, "alert"), "severity");
	if (json_is_integer(sev))
		severity = (int)json_integer_value(sev);
	in.type = json_string_value(t) ? json_string_value(t) : "unknown";
	in.prio = event_prio(in.type, severity);
	in.json = text;
	in.len = len;
	if ((rc = spool_append(sp, &in, 1, NULL, NULL)) != 0)
		log_warnx("files: a %s event could not be spooled: %s",
		    in.type, vigil_strerror(rc));
	free(text);
	json_decref(ev);
	if (rc == 0)
		event_active(fm->kick_ev, 0, 0);
	return rc;
}

static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct filemon	*fm = arg;

	if (fm->kick != NULL)
		fm->kick(fm->kick_arg);
}

/* ---- rules: shared by reference ---- */

static struct rules *
rules_get(struct filemon *fm)
{
	struct rules	*r;

	pthread_mutex_lock(&fm->mu);
	if ((r = fm->rules) != NULL)
		r->refs++;
	pthread_mutex_unlock(&fm->mu);
	return r;
}

static void
lists_put(struct filemon *fm, struct lists *l)
{
	int	last;

	if (l == NULL)
		return;
	pthread_mutex_lock(&fm->mu);
	last = --l->refs == 0;
	pthread_mutex_unlock(&fm->mu);
	if (last) {
		iocdb_free(l->db);
		free(l);
	}
}

static void
rules_free(struct filemon *fm, struct rules *r)
{
	scanner_free(r->sc);	/* it borrows the lists */
	scanproc_free(r->sp);
	lists_put(fm, r->lists);
	free(r);
}

static void
rules_put(struct filemon *fm, struct rules *r)
{
	int	last;

	if (r == NULL)
		return;
	pthread_mutex_lock(&fm->mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&fm->mu);
	if (last)
		rules_free(fm, r);
}

/* ---- workers: what each is on, for the watchdog ---- */

/* The worker starts on path (a copy is kept: the caller's buffer may
 * move). 1 if it should stop instead (shutdown, or given up). */
static int
slot_busy(struct wslot *ws, const char *path)
{
	struct filemon	*fm = ws->fm;
	size_t		 n = strlen(path) + 1, cap;
	char		*p;
	int		 stop;

	pthread_mutex_lock(&fm->mu);
	if (n > ws->whatcap) {
		cap = n < 256 ? 256 : n;
		if ((p = realloc(ws->what, cap)) != NULL) {
			ws->what = p;
			ws->whatcap = cap;
		}
	}
	if (n <= ws->whatcap)
		memcpy(ws->what, path, n);
	ws->busy_ms = mono_ms();
	stop = fm->stop || ws->abandoned;
	pthread_mutex_unlock(&fm->mu);
	return stop;
}

/* The worker is back from what may block. 1 if the process is shutting
 * down: leave everything shared alone (filemon_free may have given up
 * waiting for this thread). */
static int
slot_idle(struct wslot *ws)
{
	struct filemon	*fm = ws->fm;
	int		 stop;

	pthread_mutex_lock(&fm->mu);
	ws->busy_ms = 0;
	stop = fm->stop;
	pthread_mutex_unlock(&fm->mu);
	return stop;
}

static void
count(struct filemon *fm, uint64_t *c, uint64_t n)
{
	pthread_mutex_lock(&fm->mu);
	*c += n;
	pthread_mutex_unlock(&fm->mu);
}

/* A file not scanned, and why: one scan event. */
static int
skip_event(struct filemon *fm, struct spool *sp, const char *path,
    enum scanner_status status, const char *reason)
{
	struct scanner_result	res;

	memset(&res, 0, sizeof(res));
	res.path = path;
	res.status = status;
	(void)snprintf(res.reason, sizeof(res.reason), "%s", reason);
	count(fm, &fm->n.problems, 1);
	return emit(fm, sp, scanner_event(&res, NULL));
}

/* A cache hit on the state a walk just saw: the file need not even be
 * opened (a rescan of an unchanged tree is a stat and a lookup per file). */
static int
known(struct filemon *fm, const struct stat *st)
{
	struct rules	*r;
	int		 hit;

	if (fm->cache == NULL || !S_ISREG(st->st_mode) ||
	    (r = rules_get(fm)) == NULL)
		return 0;
	hit = scancache_lookup(fm->cache, st, r->info.verdicts) > 0;
	rules_put(fm, r);
	if (hit)
		count(fm, &fm->n.cache_hits, 1);
	return hit;
}

/* Why a file could not be opened, as a scan event; nothing for a file
 * gone before its turn (counted). */
static void
open_failed(struct filemon *fm, struct spool *sp, const char *path,
    const struct safeopen_why *why)
{
	char	reason[128];

	if (why->what == SAFEOPEN_GONE) {
		count(fm, &fm->n.vanished, 1);
		return;
	}
	(void)safeopen_reason(why, reason, sizeof(reason));
	(void)skip_event(fm, sp, path, why->what == SAFEOPEN_XDEV ?
	    SCAN_OTHER_FS : why->what == SAFEOPEN_ERRNO ? SCAN_UNREADABLE :
	    SCAN_SPECIAL, reason);
}

/* The verdict's events, then (only if they are stored) its cache entry:
 * the verdicts that will not change until the file does (a match is
 * reported once, not at every rescan). */
static void
report(struct filemon *fm, struct spool *sp, struct scanner_result *res,
    const struct stat *st, const char *version)
{
	size_t	i;
	int	stored = 1;

	switch (res->status) {
	case SCAN_MATCH:
		for (i = 0; i < res->nmatches; i++)
			if (emit(fm, sp, scanner_event(res,
			    &res->matches[i])) != 0)
				stored = 0;
		if (res->ioc.list != NULL && emit(fm, sp,
		    scanner_ioc_event(res)) != 0)
			stored = 0;
		/* FALLTHROUGH */
	case SCAN_CLEAN:
		if (res->too_many > 0 && emit(fm, sp, scanner_event(res,
		    NULL)) != 0)
			stored = 0;
		break;
	default:
		/* listed, but YARA timed out or failed: both said */
		if (res->ioc.list != NULL && emit(fm, sp,
		    scanner_ioc_event(res)) != 0)
			stored = 0;
		if (emit(fm, sp, scanner_event(res, NULL)) != 0)
			stored = 0;
		break;
	}
	if (fm->cache != NULL && stored && (res->status == SCAN_CLEAN ||
	    res->status == SCAN_MATCH || res->status == SCAN_TOOBIG ||
	    res->status == SCAN_TIMEOUT) &&
	    scancache_store(fm->cache, st, version,
	    res->status == SCAN_CLEAN) != 0)
		log_warnx("files: %s: scan cache not updated", res->path);
	pthread_mutex_lock(&fm->mu);
	fm->n.scanned++;
	fm->n.matches += res->nmatches + (res->ioc.list != NULL);
	if (res->status != SCAN_CLEAN && res->status != SCAN_MATCH)
		fm->n.problems++;
	pthread_mutex_unlock(&fm->mu);
}

/*
 * The worker's verdict on fd, and the hash it gave looked up in the
 * lists here: what scanner_scan_fd gives in one process, the worker's
 * word taken only for what it was asked (an indicator hit it claims is
 * ignored: it has no lists).
 */
static void
scan_in_worker(struct rules *r, struct scanmsg_result *out, int fd,
    const char *path, const struct stat *st)
{
	char	owner[SCANNER_OWNER_MAX];
	uint8_t	h[32];

	scanner_owner_name(owner, (uint32_t)st->st_uid);
	(void)scanproc_scan(r->sp, out, fd, path, owner);
	memset(&out->r.ioc, 0, sizeof(out->r.ioc));
	if (r->lists == NULL || r->info.hashes == 0 ||
	    out->r.sha256[0] == '\0' || sodium_hex2bin(h, sizeof(h),
	    out->r.sha256, 64, NULL, NULL, NULL) != 0 ||
	    !ioc_match_sha256(r->lists->db, h, &out->r.ioc))
		return;
	if (out->r.status == SCAN_CLEAN)
		out->r.status = SCAN_MATCH;
}

/*
 * One file, by a worker: opened safely (by path, or as name beside the
 * folder dirfd during a walk), looked up in the cache, scanned, reported.
 */
static void
scan_one(struct wslot *ws, struct spool *sp, int dirfd, const char *name,
    const char *path)
{
	struct filemon		*fm = ws->fm;
	struct scanmsg_result	 rep;
	struct scanner_result	*res = &rep.r;
	struct safeopen_why	 why;
	struct rules		*r = NULL;
	struct stat		 st;
	int			 fd = -1, rc, hit = 0;

	memset(&rep, 0, sizeof(rep));
	if (slot_busy(ws, path))
		return;
	rc = safeopen_file(&fd, &st, fm->mt, dirfd, dirfd == AT_FDCWD ?
	    path : name, &why);
	if (rc == 0 && (r = rules_get(fm)) != NULL) {
		hit = fm->cache != NULL && scancache_lookup(fm->cache, &st,
		    r->info.verdicts) > 0;
		if (!hit && r->sp != NULL)
			scan_in_worker(r, &rep, fd, path, &st);
		else if (!hit)
			scanner_scan_fd(r->sc, res, fd, path);
	}
	if (slot_idle(ws))
		goto done;
	if (rc != 0)
		open_failed(fm, sp, path, &why);
	else if (hit)
		count(fm, &fm->n.cache_hits, 1);
	else if (r != NULL)
		report(fm, sp, res, &st, r->info.verdicts);
done:
	if (r != NULL && r->sp != NULL)
		scanmsg_result_free(&rep);
	else
		scanner_result_clear(res);
	rules_put(fm, r);
	if (fd != -1)
		(void)close(fd);
}

/* ---- rescans: a walk by descriptors ---- */

struct rescan_ctx {
	struct wslot	*ws;
	struct spool	*sp;
	uint64_t	 unchanged;
};

static int
rs_step(void *arg, const char *path)
{
	struct rescan_ctx	*x = arg;

	return slot_busy(x->ws, path);
}

static int
rs_excluded(void *arg, const char *path)
{
	struct rescan_ctx	*x = arg;

	return x->ws->fm->watch != NULL &&
	    watch_excluded(x->ws->fm->watch, path);
}

static void
rs_file(void *arg, int dirfd, const char *name, const char *path,
    size_t len, const struct stat *st)
{
	struct rescan_ctx	*x = arg;

	(void)len;
	if (known(x->ws->fm, st))
		x->unchanged++;
	else
		scan_one(x->ws, x->sp, dirfd, name, path);
}

static void
rs_skip(void *arg, const char *path, const struct treewalk_skipped *sk)
{
	struct rescan_ctx	*x = arg;
	char			 reason[160], r[128];

	(void)treewalk_reason(sk, r, sizeof(r));
	if (sk->what == TREEWALK_XDEV)
		(void)snprintf(reason, sizeof(reason), "%s ([files] "
		    "remote_filesystems)", r);
	else
		(void)snprintf(reason, sizeof(reason), "%s", r);
	(void)skip_event(x->ws->fm, x->sp, path, sk->what == TREEWALK_XDEV ?
	    SCAN_OTHER_FS : sk->what == TREEWALK_LOOP ? SCAN_ERROR :
	    SCAN_UNREADABLE, reason);
}

static const struct treewalk_cb rescan_cb = {
	.step = rs_step, .excluded = rs_excluded, .file = rs_file,
	.skip = rs_skip,	/* FIFOs, sockets, devices: passed over */
};

/* A whole tree, by a worker. */
static void
rescan_tree(struct wslot *ws, struct spool *sp, const char *root)
{
	struct rescan_ctx	 x = { ws, sp, 0 };
	struct treewalk_stats	 st;
	struct timespec		 t0, t1;
	int			 rc;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = treewalk(root, ws->fm->mt, RESCAN_HELPERS, &rescan_cb, &x, &st);
	if (slot_idle(ws) || st.stopped)
		return;
	if (rc != 0)
		log_warnx("files: rescan of %s cut short: %s", root,
		    vigil_strerror(rc));
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("files: rescanned %s: %" PRIu64 " files, %" PRIu64
	    " unchanged since their last scan, %" PRIu64 " places not "
	    "entered, in %.2f s", root, st.files, x.unchanged, st.skipped,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->path);
	free(j->reason);
	free(j);
}

static void
run_job(struct wslot *ws, struct spool *sp, struct job *j)
{
	if (j->kind == J_SCAN)
		scan_one(ws, sp, AT_FDCWD, NULL, j->path);
	else if (j->kind == J_RESCAN)
		rescan_tree(ws, sp, j->path);
	else if (!slot_idle(ws))
		(void)skip_event(ws->fm, sp, j->path,
		    (enum scanner_status)j->status, j->reason);
}

static void *
worker(void *arg)
{
	struct wslot	*ws = arg;
	struct filemon	*fm = ws->fm;
	struct spool	*sp = NULL;
	struct job	*j;

	/* one spool handle per thread (spool.h) */
	if (spool_open(&sp, fm->spool_path, fm->cfg->spool_max) != 0)
		log_warnx("files: a scan worker cannot open the spool; it "
		    "stops");
	pthread_mutex_lock(&fm->mu);
	for (;;) {
		while (sp != NULL && fm->jobs == NULL && !fm->stop &&
		    !ws->abandoned)
			pthread_cond_wait(&fm->cv, &fm->mu);
		if (sp == NULL || fm->stop || ws->abandoned)
			break;
		j = fm->jobs;
		if ((fm->jobs = j->next) == NULL)
			fm->jobs_tail = &fm->jobs;
		fm->njobs--;
		pthread_mutex_unlock(&fm->mu);
		run_job(ws, sp, j);
		job_free(j);
		pthread_mutex_lock(&fm->mu);
	}
	ws->done = 1;
	if (ws->abandoned)
		fm->nstuck--;
	pthread_mutex_unlock(&fm->mu);
	spool_close(sp);
	return NULL;
}

/* A new worker; caller holds fm->mu. 0 or ERR_NOMEM. */
static int
start_worker(struct filemon *fm)
{
	struct wslot	**v, *ws;

	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return ERR_NOMEM;
	if ((v = reallocarray(fm->slots, (size_t)fm->nslots + 1,
	    sizeof(*v))) == NULL) {
		free(ws);
		return ERR_NOMEM;
	}
	fm->slots = v;
	ws->fm = fm;
	if (pthread_create(&ws->tid, NULL, worker, ws) != 0) {
		free(ws);
		return ERR_NOMEM;
	}
	fm->slots[fm->nslots++] = ws;
	fm->nworkers++;
	return 0;
}

/* Queue a job if there is room: 0, ERR_FULL (keep it and retry), or
 * ERR_NOMEM. */
static int
submit(struct filemon *fm, enum job_kind kind, const char *path)
{
	struct job	*j;

	pthread_mutex_lock(&fm->mu);
	if (fm->njobs >= QUEUE_MAX) {
		pthread_mutex_unlock(&fm->mu);
		return ERR_FULL;
	}
	pthread_mutex_unlock(&fm->mu);
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->path = strdup(path)) == NULL) {
		free(j);
		return ERR_NOMEM;
	}
	j->kind = kind;
	pthread_mutex_lock(&fm->mu);
	*fm->jobs_tail = j;
	fm->jobs_tail = &j->next;
	fm->njobs++;
	if (kind == J_RESCAN)
		fm->n.rescans++;
	pthread_cond_signal(&fm->cv);
	pthread_mutex_unlock(&fm->mu);
	return 0;
}

/* A skip to report (made on the loop, which has no spool handle): ahead
 * of the queue, whatever its length: these are few. Logged if lost. */
static void
submit_report(struct filemon *fm, const char *path, enum scanner_status st,
    const char *reason)
{
	struct job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->path = strdup(path)) == NULL ||
	    (j->reason = strdup(reason)) == NULL) {
		job_free(j);
		log_warnx("files: out of memory: a %s report on %s is lost",
		    scanner_status_name(st), path);
		return;
	}
	j->kind = J_REPORT;
	j->status = (int)st;
	pthread_mutex_lock(&fm->mu);
	if ((j->next = fm->jobs) == NULL)
		fm->jobs_tail = &j->next;
	fm->jobs = j;
	fm->njobs++;
	pthread_cond_signal(&fm->cv);
	pthread_mutex_unlock(&fm->mu);
}

/* ---- the watchdog (loop) ---- */

/* Give up the workers busy with one file for twice the per-file timeout;
 * each gets a fresh worker in its place, while ABANDON_MAX allow. */
static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct filemon	*fm = arg;
	struct wslot	*ws;
	int64_t		 now = mono_ms(), limit;
	char		*gone[8], reason[160];
	int		 i, n = 0, full = 0;

	limit = 2000LL * fm->cfg->scan_timeout_s;
	pthread_mutex_lock(&fm->mu);
	for (i = 0; i < fm->nslots && n < (int)(sizeof(gone) /
	    sizeof(gone[0])); i++) {
		ws = fm->slots[i];
		if (ws->abandoned || ws->done || ws->busy_ms == 0 ||
		    now - ws->busy_ms <= limit)
			continue;
		ws->abandoned = 1;
		fm->nworkers--;
		fm->nstuck++;
		fm->n.stalled++;
		gone[n++] = ws->what != NULL ? strdup(ws->what) : NULL;
		if (fm->nstuck > ABANDON_MAX || start_worker(fm) != 0)
			full = 1;
	}
	pthread_mutex_unlock(&fm->mu);
	(void)snprintf(reason, sizeof(reason), "its file system did not "
	    "answer in %d s: the scan was given up and another thread carries "
	    "on", (int)(limit / 1000));
	for (i = 0; i < n; i++) {
		log_warnx("files: %s: %s", gone[i] ? gone[i] : "(a file)",
		    reason);
		if (gone[i] != NULL)
			submit_report(fm, gone[i], SCAN_STALLED, reason);
		free(gone[i]);
	}
	if (full)
		log_warnx("files: %d scan threads are stuck in the kernel; "
		    "no more are started in their place", fm->nstuck);
}

static uint32_t
path_hash(const char *s)
{
	uint32_t	h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h % PEND_BUCKETS;
}

static void
arm_debounce(struct filemon *fm, int64_t delay_ms)
{
	struct timeval	tv;

	if (delay_ms < 0)
		delay_ms = 0;
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	if (evtimer_add(fm->debounce_ev, &tv) != 0)
		log_warnx("files: the debounce timer cannot be armed: written "
		    "files wait for the next one");
}

static void
pend_remove(struct filemon *fm, struct pend *p)
{
	struct pend	**pp;

	for (pp = &fm->buckets[path_hash(p->path)]; *pp != p;
	    pp = &(*pp)->hnext)
		;
	*pp = p->hnext;
	TAILQ_REMOVE(&fm->pending, p, order);
	fm->npend--;
	free(p->path);
	free(p);
}

static void request_rescan(struct filemon *, const char *);

/* Loop: a file was written; scan it once it has been quiet for the
 * debounce time. */
static void
touch(struct filemon *fm, const char *path)
{
	struct pend	*p;
	uint32_t	 h = path_hash(path);

	for (p = fm->buckets[h]; p != NULL; p = p->hnext)
		if (strcmp(p->path, path) == 0)
			break;
	if (p != NULL) {
		TAILQ_REMOVE(&fm->pending, p, order);
	} else {
		if (fm->npend >= PEND_MAX) {
			/* a flood: scan the whole folder later instead */
			char	*dir = strdup(path), *slash;

			if (dir != NULL && (slash = strrchr(dir, '/')) != NULL &&
			    slash != dir)
				*slash = '\0';
			if (dir != NULL)
				request_rescan(fm, dir);
			free(dir);
			return;
		}
		if ((p = calloc(1, sizeof(*p))) == NULL ||
		    (p->path = strdup(path)) == NULL) {
			free(p);
			request_rescan(fm, path);
			return;
		}
		p->hnext = fm->buckets[h];
		fm->buckets[h] = p;
		fm->npend++;
	}
	p->due_ms = mono_ms() + fm->cfg->debounce_ms;
	TAILQ_INSERT_TAIL(&fm->pending, p, order);
	if (!evtimer_pending(fm->debounce_ev, NULL))
		arm_debounce(fm, fm->cfg->debounce_ms);
}

static void
request_rescan(struct filemon *fm, const char *path)
{
	struct rescan	*r, **rp;

	for (rp = &fm->rescans; *rp != NULL; rp = &(*rp)->next)
		if (strcmp((*rp)->path, path) == 0)
			return;		/* already waiting */
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		free(r);
		log_warnx("files: out of memory: rescan of %s lost", path);
		return;
	}
	*rp = r;
	if (!evtimer_pending(fm->debounce_ev, NULL))
		arm_debounce(fm, 0);
}

/* Loop: move due work into the job queue, as far as there is room. */
static void
on_debounce(evutil_socket_t fd, short what, void *arg)
{
	struct filemon	*fm = arg;
	struct pend	*p;
	struct rescan	*r;
	int64_t		 now = mono_ms();

	while ((r = fm->rescans) != NULL) {
		if (submit(fm, J_RESCAN, r->path) != 0)
			goto later;
		fm->rescans = r->next;
		free(r->path);
		free(r);
	}
	while ((p = TAILQ_FIRST(&fm->pending)) != NULL && p->due_ms <= now) {
		if (submit(fm, J_SCAN, p->path) != 0)
			goto later;
		pend_remove(fm, p);
	}
	if (p != NULL)
		arm_debounce(fm, p->due_ms - now);
	return;
later:
	arm_debounce(fm, RETRY_MS);
}

static void
fim_enqueue(struct filemon *fm, const char *path)
{
	struct fimq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->path = strdup(path)) == NULL) {
		free(q);
		return;		/* the periodic check will see it */
	}
	pthread_mutex_lock(&fm->fmu);
	q->next = fm->fimq;
	fm->fimq = q;
	pthread_cond_signal(&fm->fcv);
	pthread_mutex_unlock(&fm->fmu);
}

static void
on_file(void *arg, const struct watch_event *ev)
{
	struct filemon	*fm = arg;
	char		 reason[96];

	if (ev->flags & WATCH_EV_TOOLONG) {
		/* cannot be named, so cannot be opened: say so */
		(void)snprintf(reason, sizeof(reason), "its path is %d bytes "
		    "or longer: not scanned", WATCH_PATH_MAX);
		if (fm->cfg->files_enabled)
			submit_report(fm, ev->path, SCAN_UNREADABLE, reason);
		return;
	}

	if (fm->cfg->fim_enabled && under(fm->fim_roots, ev->path))
		fim_enqueue(fm, ev->path);
	if (fm->cfg->files_enabled && under(fm->scan_roots, ev->path))
		touch(fm, ev->path);
}

static void
on_rescan(void *arg, const char *path, enum watch_why why)
{
	struct filemon	*fm = arg;

	log_info("files: rescanning %s (%s)", path,
	    why == WATCH_RESCAN_OVERFLOW ? "event queue overflow" :
	    why == WATCH_RESCAN_NEWDIR ? "new folder" :
	    why == WATCH_RESCAN_MOUNT ? "new mount" :
	    why == WATCH_RESCAN_UNWATCHED ? "could not be watched" :
	    "events lost");
	if (fm->cfg->files_enabled && under(fm->scan_roots, path))
		request_rescan(fm, path);
	if (fm->cfg->fim_enabled && under(fm->fim_roots, path))
		fim_enqueue(fm, path);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct filemon	*fm = arg;

	int		 rc;

	if (fm->cache == NULL)
		return;
	/* once per failing stretch: a full disk must not fill the log */
	if ((rc = scancache_flush(fm->cache)) != 0 && !fm->flush_failed)
		log_warnx("files: scan cache: %s; files will be scanned "
		    "again", vigil_strerror(rc));
	fm->flush_failed = rc != 0;
}

struct fimctx {
	struct filemon	*fm;
	struct spool	*sp;
};

/* Non-zero stops the check before the baseline row is written: the
 * change is reported again next time rather than lost. */
static int
fim_emit(void *arg, const struct fim_change *c)
{
	struct fimctx	*x = arg;

	return emit(x->fm, x->sp, fim_event(c));
}

/* The integrity thread: baseline once, then checks: one path at a time
 * as the watcher reports them, and everything every interval. */
static void *
fim_main(void *arg)
{
	struct filemon		*fm = arg;
	struct fim		*fim = NULL;
	struct fim_opts		 o;
	struct fim_stats	 st;
	const char		*paths[CONFIG_LIST_MAX];
	const char		*excl[CONFIG_LIST_MAX + 2];
	char			 db[PATH_MAX], own[2][PATH_MAX];
	struct stat		 sb;
	struct timespec		 until;
	struct fimq		*q;
	struct fimctx		 x = { fm, NULL };
	int			 i, fresh, rc;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < fm->cfg->fim_paths.n; i++)
		paths[i] = fm->cfg->fim_paths.item[i];
	for (i = 0; i < fm->cfg->fim_exclude.n; i++)
		excl[i] = fm->cfg->fim_exclude.item[i];
	o.paths = paths;
	o.npaths = (size_t)fm->cfg->fim_paths.n;
	o.exclude = excl;
	o.nexclude = (size_t)fm->cfg->fim_exclude.n;
	/* our own databases change all the time, and hashing one would
	 * close a descriptor of it (watch.h: private_dir) */
	if (pathset_join(own[0], sizeof(own[0]), fm->data_dir, "*.db") == 0 &&
	    pathset_join(own[1], sizeof(own[1]), fm->data_dir, "*.db-*") ==
	    0) {
		excl[o.nexclude++] = own[0];
		excl[o.nexclude++] = own[1];
	}
	o.threads = fm->cfg->fim_threads;
	if (pathset_join(db, sizeof(db), fm->data_dir, "fim.db") != 0) {
		log_warnx("integrity: data directory path too long");
		return NULL;
	}
	fresh = stat(db, &sb) == -1;
	if (spool_open(&x.sp, fm->spool_path, fm->cfg->spool_max) != 0 ||
	    fim_open(&fim, db, &o) != 0) {
		log_warnx("integrity: cannot open %s or the spool; integrity "
		    "checks off", db);
		spool_close(x.sp);
		return NULL;
	}
	rc = fresh ? ERR_NOTFOUND : fim_check(fim, fim_emit, &x, &st);
	if (rc == ERR_NOTFOUND) {
		/* no baseline yet, or the last one was interrupted */
		rc = fim_baseline(fim, &st);
		log_info("integrity: baseline of %llu entries in %.1f s%s",
		    (unsigned long long)st.entries, st.seconds,
		    rc ? " (with errors)" : "");
		malloc_trim(0);
	} else {
		log_info("integrity: check at start: %llu changes in %.1f s",
		    (unsigned long long)st.changes, st.seconds);
	}
	pthread_mutex_lock(&fm->fmu);
	fm->fim_ready = 1;
	for (;;) {
		(void)clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += fm->cfg->fim_interval_s;
		while (fm->fimq == NULL && !fm->fim_stop &&
		    pthread_cond_timedwait(&fm->fcv, &fm->fmu, &until) == 0)
			;
		if (fm->fim_stop)
			break;
		if ((q = fm->fimq) != NULL) {
			fm->fimq = q->next;
			pthread_mutex_unlock(&fm->fmu);
			/* a change not stored is seen again next time */
			if ((rc = fim_check_path(fim, q->path, fim_emit,
			    &x)) != 0)
				log_warnx("integrity: check of %s: %s", q->path,
				    vigil_strerror(rc));
			free(q->path);
			free(q);
		} else {
			pthread_mutex_unlock(&fm->fmu);
			if ((rc = fim_check(fim, fim_emit, &x, &st)) ==
			    ERR_NOTFOUND)
				rc = fim_baseline(fim, &st);
			log_info("integrity: periodic check: %llu changes in "
			    "%.1f s%s", (unsigned long long)st.changes,
			    st.seconds, rc ? " (with errors)" : "");
		}
		pthread_mutex_lock(&fm->fmu);
	}
	pthread_mutex_unlock(&fm->fmu);
	fim_close(fim);
	spool_close(x.sp);
	return NULL;
}

/* The rules in a scan worker (vigil-scan), which compiles them; the
 * hashes it is asked for are looked up here, in ioc (may be NULL). */
static int
load_in_worker(struct filemon *fm, struct rules *r, const char *cache,
    const struct iocdb *ioc)
{
	struct scanproc_conf		 c;
	const struct scanmsg_ready	*rd;
	const char			*paths[CONFIG_LIST_MAX + 1];
	uint8_t				 set[32];
	int				 rc;

	memset(&c, 0, sizeof(c));
	c.program = fm->ex.program;
	c.config = fm->ex.config;
	c.verbose = fm->ex.verbose;
	c.data_dir = fm->data_dir;
	c.nrule_paths = config_rules_paths(fm->cfg, fm->default_rules, paths);
	c.rule_paths = paths;
	c.cache_dir = cache;
	c.channels = fm->cfg->scan_workers;
	c.sha256_all = ioc != NULL && iocdb_sha256_set(ioc, set) > 0;
	c.timeout_s = fm->cfg->scan_timeout_s;
	if ((rc = scanproc_new(&r->sp, &c)) != 0)
		return rc;
	rd = scanproc_rules(r->sp);
	memcpy(r->info.version, rd->version, sizeof(r->info.version));
	r->info.files = (size_t)rd->files;
	r->info.failed = (size_t)rd->failed;
	r->info.rules = rd->rules;
	r->info.from_cache = (int)rd->from_cache;
	scanner_verdicts(r->info.verdicts, &r->info.hashes, r->info.version,
	    ioc);
	return 0;
}

/* Load the configured (or default) rules, looking hashes up in ioc
 * (may be NULL): in a scan worker, or here. */
static int
load_rules(struct filemon *fm, struct rules *r, const struct iocdb *ioc)
{
	const char		*paths[CONFIG_LIST_MAX + 1];
	struct scanner_opts	 so;
	char			 cache[PATH_MAX];
	size_t			 n;
	int			 rc;

	if (pathset_join(cache, sizeof(cache), fm->data_dir, "rules-cache") !=
	    0)
		return ERR_TOOBIG;
	if (mkdir(cache, 0700) == -1 && errno != EEXIST) {
		log_warn("files: %s", cache);
		return ERR_IO;
	}
	if (fm->ex.program != NULL)
		rc = load_in_worker(fm, r, cache, ioc);
	else {
		n = config_rules_paths(fm->cfg, fm->default_rules, paths);
		memset(&so, 0, sizeof(so));
		so.max_size = fm->cfg->scan_max_size;
		so.timeout = fm->cfg->scan_timeout_s;
		so.cache_dir = cache;
		so.ioc = ioc;
		if ((rc = scanner_load(&r->sc, paths, n, &so)) == 0)
			r->info = *scanner_info(r->sc);
		/* compiling takes memory the agent at rest does not need
		 * again */
		malloc_trim(0);
	}
	if (rc != 0)
		return rc;
	log_info("files: %u YARA rules from %zu files (%zu skipped), version "
	    "%.12s%s%s", r->info.rules, r->info.files, r->info.failed,
	    r->info.version, r->info.from_cache ?
	    ", from the compiled cache" : "", r->sp != NULL ?
	    ", in the scan worker" : "");
	return 0;
}

static int
start_watch(struct filemon *fm)
{
	struct watch_opts	wo;
	int			i;

	memset(&wo, 0, sizeof(wo));
	wo.backend = fm->cfg->watcher == WATCHER_FANOTIFY ? WATCH_FANOTIFY :
	    fm->cfg->watcher == WATCHER_INOTIFY ? WATCH_INOTIFY : WATCH_AUTO;
	/* our own databases: never opened by the watcher or a scan, since
	 * closing any descriptor of them drops our SQLite locks (watch.h) */
	wo.private_dir = fm->data_dir;
	wo.filesystems = fm->cfg->remote_fs ? MOUNTTAB_ALL : MOUNTTAB_LOCAL;
	if (watch_new(&fm->watch, fm->base, &wo, on_file, on_rescan, fm) != 0)
		return ERR_IO;
	if (watch_exclude(fm->watch, fm->data_dir) != 0)
		return ERR_IO;
	for (i = 0; i < fm->cfg->watch_exclude.n; i++)
		if (watch_exclude(fm->watch, fm->cfg->watch_exclude.item[i]) != 0)
			return ERR_CONFIG;
	for (i = 0; fm->cfg->files_enabled && i < fm->cfg->watch.n; i++)
		if (watch_add(fm->watch, fm->cfg->watch.item[i]) != 0)
			log_warnx("files: not watching %s",
			    fm->cfg->watch.item[i]);
	for (i = 0; fm->cfg->fim_enabled && i < fm->cfg->fim_paths.n; i++)
		if (watch_add(fm->watch, fm->cfg->fim_paths.item[i]) != 0)
			log_warnx("integrity: not watching %s",
			    fm->cfg->fim_paths.item[i]);
	log_info("files: watching with %s", watch_backend_name(fm->watch));
	return 0;
}

/*
 * The indicator lists whose SHA-256 entries the scanner looks files up
 * in: those of [network] ioc and local_ioc, as the network sensor takes
 * them (netmon_paths()), whether or not the network sensor runs. Bad
 * lines are only counted: the network sensor, which loads the same
 * lists, and `vigil-agent scan` name them.
 */
static int
lists_new(struct filemon *fm, struct lists **out)
{
	struct netmon_paths	 p;
	struct ioc_stats	 st;
	struct lists		*l;
	int			 rc;

	*out = NULL;
	netmon_paths(&p, fm->cfg);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ERR_NOMEM;
	if ((rc = iocdb_load(&l->db, p.iocs, p.niocs, NULL, NULL,
	    &st)) != 0) {
		free(l);
		return rc;
	}
	l->refs = 1;
	log_info("files: %llu SHA-256 hashes in the indicator lists%s",
	    (unsigned long long)st.hashes, st.bad_lines > 0 ?
	    " (bad lines skipped)" : "");
	*out = l;
	return 0;
}

static struct lists *
lists_ref(struct filemon *fm, struct lists *l)
{
	if (l != NULL) {
		pthread_mutex_lock(&fm->mu);
		l->refs++;
		pthread_mutex_unlock(&fm->mu);
	}
	return l;
}

/* The rules as a shared object, its one reference the caller's, built on
 * lists (NULL: none; a reference is taken). */
static int
rules_new(struct filemon *fm, struct rules **out, struct lists *lists)
{
	struct rules	*r;
	int		 rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ERR_NOMEM;
	if ((rc = load_rules(fm, r, lists != NULL ? lists->db :
	    NULL)) != 0) {
		free(r);
		return rc;
	}
	r->lists = lists_ref(fm, lists);
	r->refs = 1;
	*out = r;
	return 0;
}

/* The locks and conditions; all or none. */
static int
sync_init(struct filemon *fm)
{
	if (pthread_mutex_init(&fm->mu, NULL) != 0)
		return ERR_NOMEM;
	if (pthread_cond_init(&fm->cv, NULL) != 0)
		goto mu;
	if (pthread_mutex_init(&fm->fmu, NULL) != 0)
		goto cv;
	if (pthread_cond_init(&fm->fcv, NULL) != 0)
		goto fmu;
	fm->sync_ok = 1;
	return 0;
fmu:
	(void)pthread_mutex_destroy(&fm->fmu);
cv:
	(void)pthread_cond_destroy(&fm->cv);
mu:
	(void)pthread_mutex_destroy(&fm->mu);
	return ERR_NOMEM;
}

/* The loop's own events: wake-ups, debounce, cache flushes, watchdog. */
static int
loop_events(struct filemon *fm)
{
	struct timeval	flush = { FLUSH_SECS, 0 };
	struct timeval	wd = { WATCHDOG_MS / 1000, (WATCHDOG_MS % 1000) * 1000 };

	if ((fm->kick_ev = event_new(fm->base, -1, 0, on_kick, fm)) == NULL ||
	    (fm->debounce_ev = evtimer_new(fm->base, on_debounce,
	    fm)) == NULL ||
	    (fm->flush_ev = event_new(fm->base, -1, EV_PERSIST, on_flush,
	    fm)) == NULL || event_add(fm->flush_ev, &flush) != 0 ||
	    (fm->watchdog_ev = event_new(fm->base, -1, EV_PERSIST,
	    on_watchdog, fm)) == NULL || event_add(fm->watchdog_ev, &wd) != 0)
		return ERR_NOMEM;
	return 0;
}

/* Rules, scan cache and workers. */
static int
start_scanning(struct filemon *fm)
{
	char	path[PATH_MAX];
	int	i, rc;

	/* libyara in this process only when it scans here */
	if (fm->ex.program == NULL) {
		if ((rc = scanner_global_init()) != 0)
			return rc;
		fm->global_init = 1;
	}
	if (lists_new(fm, &fm->lists) != 0)
		log_warnx("files: no indicator lists; files are not looked up "
		    "by SHA-256");
	if ((rc = rules_new(fm, &fm->rules, fm->lists)) != 0) {
		log_warnx("files: no usable YARA rules; file scanning off");
		return rc;
	}
	if (pathset_join(path, sizeof(path), fm->data_dir, "scan.db") != 0 ||
	    scancache_open(&fm->cache, path) != 0)
		log_warnx("files: scan cache %s unusable; every file will be "
		    "scanned", path);
	else if (scancache_prune(fm->cache,
	    fm->rules->info.verdicts) != 0)
		log_warnx("files: scan cache %s: old entries not pruned",
		    path);
	pthread_mutex_lock(&fm->mu);
	for (i = 0, rc = 0; i < fm->cfg->scan_workers && rc == 0; i++)
		rc = start_worker(fm);
	pthread_mutex_unlock(&fm->mu);
	if (rc != 0)
		log_warnx("files: cannot start the scan workers");
	return rc;
}

int
filemon_new(struct filemon **out, struct event_base *base,
    const struct agent_config *cfg, const char *data_dir,
    const char *default_rules, void (*kick)(void *), void *kick_arg)
{
	return filemon_new_exec(out, base, cfg, data_dir, default_rules, kick,
	    kick_arg, NULL);
}

/* The scan worker's command line, copied. */
static int
exec_set(struct filemon *fm, const struct filemon_exec *ex)
{
	if (ex == NULL || ex->program == NULL)
		return 0;
	if (snprintf(fm->ex_program, sizeof(fm->ex_program), "%s",
	    ex->program) >= (int)sizeof(fm->ex_program) ||
	    snprintf(fm->ex_config, sizeof(fm->ex_config), "%s", ex->config ?
	    ex->config : "") >= (int)sizeof(fm->ex_config))
		return ERR_TOOBIG;
	fm->ex.program = fm->ex_program;
	fm->ex.config = ex->config != NULL ? fm->ex_config : NULL;
	fm->ex.verbose = ex->verbose;
	return 0;
}

int
filemon_new_exec(struct filemon **out, struct event_base *base,
    const struct agent_config *cfg, const char *data_dir,
    const char *default_rules, void (*kick)(void *), void *kick_arg,
    const struct filemon_exec *ex)
{
	struct filemon	*fm;
	struct spool	*sp = NULL;
	const char	*root;
	size_t		 n;
	int		 rc;

	*out = NULL;
	if ((fm = calloc(1, sizeof(*fm))) == NULL)
		return ERR_NOMEM;
	if ((fm->cfg = malloc(sizeof(*fm->cfg))) == NULL ||
	    (rc = sync_init(fm)) != 0) {
		free(fm->cfg);
		free(fm);
		return ERR_NOMEM;
	}
	*fm->cfg = *cfg;
	fm->base = base;
	fm->kick = kick;
	fm->kick_arg = kick_arg;
	fm->jobs_tail = &fm->jobs;
	TAILQ_INIT(&fm->pending);
	rc = ERR_TOOBIG;
	if (exec_set(fm, ex) != 0 ||
	    snprintf(fm->data_dir, sizeof(fm->data_dir), "%s", data_dir) >=
	    (int)sizeof(fm->data_dir) || snprintf(fm->default_rules,
	    sizeof(fm->default_rules), "%s", default_rules) >=
	    (int)sizeof(fm->default_rules) || pathset_join(fm->spool_path,
	    sizeof(fm->spool_path), data_dir, "spool.db") != 0)
		goto fail;
	if ((rc = roots_new(&fm->scan_roots, cfg->files_enabled ?
	    &cfg->watch : NULL, 0, "files")) != 0 ||
	    (rc = roots_new(&fm->fim_roots, cfg->fim_enabled ?
	    &cfg->fim_paths : NULL, PATHSET_NOFOLLOW, "integrity")) != 0)
		goto fail;
	/* each worker and the integrity thread open the spool: it must */
	if ((rc = spool_open(&sp, fm->spool_path, cfg->spool_max)) != 0) {
		log_warnx("files: cannot open the spool %s", fm->spool_path);
		goto fail;
	}
	spool_close(sp);
	if ((rc = loop_events(fm)) != 0)
		goto fail;
	/* without it no mount below a watched folder is entered */
	if (mounttab_new(&fm->mt, cfg->remote_fs ? MOUNTTAB_ALL :
	    MOUNTTAB_LOCAL) != 0)
		log_warnx("files: no mount table: file systems mounted below "
		    "the watched folders are not scanned");
	if (cfg->files_enabled && (rc = start_scanning(fm)) != 0)
		goto fail;
	if ((cfg->files_enabled || cfg->fim_enabled) &&
	    (rc = start_watch(fm)) != 0)
		goto fail;
	if (cfg->fim_enabled && cfg->fim_paths.n > 0) {
		if (pthread_create(&fm->fim_thread, NULL, fim_main, fm) != 0) {
			log_warnx("integrity: cannot start its thread");
			rc = ERR_NOMEM;
			goto fail;
		}
		fm->fim_started = 1;
	}
	/* Files written while the agent was not running: a first pass over
	 * every watched tree (cheap for files the cache knows), by the
	 * resolved paths, as the watcher reports them (the walk follows no
	 * link, not even in the configured path). */
	for (n = 0; cfg->files_enabled && n < pathset_count(fm->scan_roots);
	    n++) {
		root = pathset_root(fm->scan_roots, n, NULL);
		if (access(root, F_OK) == 0)
			request_rescan(fm, root);
	}
	*out = fm;
	return 0;
fail:
	filemon_free(fm);
	return rc;
}

void
filemon_reload(struct filemon *fm, const struct agent_config *cfg)
{
	struct rules	*nr, *old;
	struct lists	*nl, *oldl;

	if (fm == NULL || fm->rules == NULL)
		return;
	/* only the rules, lists and scan limits change at run time; the
	 * watched paths need a restart */
	fm->cfg->rules = cfg->rules;
	memcpy(fm->cfg->local_rules, cfg->local_rules,
	    sizeof(fm->cfg->local_rules));
	fm->cfg->scan_max_size = cfg->scan_max_size;
	fm->cfg->scan_timeout_s = cfg->scan_timeout_s;
	fm->cfg->debounce_ms = cfg->debounce_ms;
	fm->cfg->net_ioc = cfg->net_ioc;
	memcpy(fm->cfg->net_local_ioc, cfg->net_local_ioc,
	    sizeof(fm->cfg->net_local_ioc));
	if (lists_new(fm, &nl) != 0) {
		log_warnx("files: indicator lists not reloaded; keeping the "
		    "last good ones");
		nl = lists_ref(fm, fm->lists);
	}
	if (rules_new(fm, &nr, nl) != 0) {
		log_warnx("files: rules not reloaded; keeping the last good "
		    "ones");
		lists_put(fm, nl);
		return;
	}
	pthread_mutex_lock(&fm->mu);
	old = fm->rules;
	fm->rules = nr;
	pthread_mutex_unlock(&fm->mu);
	rules_put(fm, old);	/* freed when the last scan using it ends */
	oldl = fm->lists;
	fm->lists = nl;		/* our reference */
	lists_put(fm, oldl);
	if (fm->cache != NULL && scancache_prune(fm->cache,
	    nr->info.verdicts) != 0)
		log_warnx("files: scan cache: old entries not pruned");
}

/* files.worker: the scan worker's restarts and the scans they lost. */
static int
worker_health(json_t *h, struct scanproc *sp)
{
	struct scanproc_stats	st;

	scanproc_stats(sp, &st);
	return json_object_set_new(json_object_get(h, "files"), "worker",
	    json_pack("{s:I, s:I}", "restarts", (json_int_t)st.restarts,
	    "lost", (json_int_t)st.lost));
}

json_t *
filemon_health(void *arg)
{
	struct filemon		*fm = arg;
	const struct scanner_info *si;
	struct watch_stats	 ws;
	struct counters		 n;
	struct rules		*r;
	size_t			 queued;
	json_t			*h;
	int			 stuck;

	pthread_mutex_lock(&fm->mu);
	n = fm->n;
	queued = fm->njobs;
	stuck = fm->nstuck;
	pthread_mutex_unlock(&fm->mu);
	memset(&ws, 0, sizeof(ws));
	if (fm->watch != NULL)
		watch_stats(fm->watch, &ws);
	h = json_pack("{s:{}, s:{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:i}}", "rules", "files",
	    "watcher", fm->watch ? watch_backend_name(fm->watch) : "off",
	    "scanned", (json_int_t)n.scanned, "matches", (json_int_t)n.matches,
	    "problems", (json_int_t)n.problems,
	    "cache_hits", (json_int_t)n.cache_hits,
	    "rescans", (json_int_t)n.rescans, "queued", (json_int_t)queued,
	    "pending", (json_int_t)fm->npend,
	    "overflows", (json_int_t)ws.overflows,
	    "watches", (json_int_t)ws.watches,
	    "refused_mounts", (json_int_t)ws.refused,
	    "vanished", (json_int_t)n.vanished,
	    "stalled", (json_int_t)n.stalled, "stuck_threads", stuck);
	if (h != NULL && (r = rules_get(fm)) != NULL) {
		si = &r->info;
		if (json_object_set_new(json_object_get(h, "rules"), "yara",
		    json_pack("{s:s, s:i, s:i, s:i, s:I}", "version",
		    si->version, "rules", (int)si->rules, "files",
		    (int)si->files, "failed", (int)si->failed, "newest",
		    (json_int_t)si->newest)) != 0 ||
		    json_object_set_new(json_object_get(h, "rules"), "ioc",
		    json_pack("{s:I}", "sha256", (json_int_t)si->hashes)) != 0 ||
		    (r->sp != NULL && worker_health(h, r->sp) != 0))
			log_warnx("files: health: out of memory");
		rules_put(fm, r);
	}
	return h;
}

/* Stop and join every worker, given up ones too, waiting SHUTDOWN_S at
 * most: the number still stuck in the kernel after that. */
static int
join_workers(struct filemon *fm)
{
	struct timespec	 until;
	struct wslot	*ws;
	int		 i, stuck = 0;

	pthread_mutex_lock(&fm->mu);
	fm->stop = 1;
	pthread_cond_broadcast(&fm->cv);
	pthread_mutex_unlock(&fm->mu);
	(void)clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SHUTDOWN_S;
	for (i = 0; i < fm->nslots; i++) {
		ws = fm->slots[i];
		if (pthread_timedjoin_np(ws->tid, NULL, &until) != 0) {
			stuck++;
			continue;
		}
		free(ws->what);
		free(ws);
		fm->slots[i] = NULL;
	}
	return stuck;
}

void
filemon_free(struct filemon *fm)
{
	struct pend	*p;
	struct rescan	*r;
	struct job	*j;
	struct fimq	*q;
	int		 stuck;

	if (fm == NULL)
		return;
	if (fm->sync_ok && (stuck = join_workers(fm)) > 0) {
		/* they may wake and touch what they share: leave it all to
		 * the process's exit */
		log_warnx("files: %d scan threads are stuck in the kernel and "
		    "did not stop; left to the exit", stuck);
		return;
	}
	if (fm->fim_started) {
		pthread_mutex_lock(&fm->fmu);
		fm->fim_stop = 1;
		pthread_cond_signal(&fm->fcv);
		pthread_mutex_unlock(&fm->fmu);
		if (pthread_join(fm->fim_thread, NULL) != 0)
			log_warnx("integrity: its thread cannot be joined");
	}
	watch_free(fm->watch);
	while ((p = TAILQ_FIRST(&fm->pending)) != NULL)
		pend_remove(fm, p);
	while ((r = fm->rescans) != NULL) {
		fm->rescans = r->next;
		free(r->path);
		free(r);
	}
	while ((j = fm->jobs) != NULL) {
		fm->jobs = j->next;
		job_free(j);
	}
	while ((q = fm->fimq) != NULL) {
		fm->fimq = q->next;
		free(q->path);
		free(q);
	}
	free(fm->slots);
	scancache_close(fm->cache);
	pathset_free(fm->scan_roots);
	pathset_free(fm->fim_roots);
	if (fm->rules != NULL)
		rules_free(fm, fm->rules);
	lists_put(fm, fm->lists);
	if (fm->global_init)
		scanner_global_fini();
	mounttab_free(fm->mt);
	if (fm->kick_ev != NULL)
		event_free(fm->kick_ev);
	if (fm->debounce_ev != NULL)
		event_free(fm->debounce_ev);
	if (fm->flush_ev != NULL)
		event_free(fm->flush_ev);
	if (fm->watchdog_ev != NULL)
		event_free(fm->watchdog_ev);
	if (fm->sync_ok) {
		(void)pthread_mutex_destroy(&fm->mu);
		(void)pthread_cond_destroy(&fm->cv);
		(void)pthread_mutex_destroy(&fm->fmu);
		(void)pthread_cond_destroy(&fm->fcv);
	}
	free(fm->cfg);
	free(fm);
}
