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
 * pending rescans, retried shortly; nothing is dropped); a scanner is
 * used under the read side of rules_lock and replaced under the write
 * side, so a reload waits for running scans and never frees rules in use.
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
#include <fts.h>
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

#include "err.h"
#include "event.h"
#include "filemon.h"
#include "fim.h"
#include "log.h"
#include "pathset.h"
#include "scancache.h"
#include "scanner.h"
#include "spool.h"
#include "watch.h"

#define QUEUE_MAX	4096	/* scan jobs waiting for a worker */
#define PEND_MAX	65536	/* paths waiting out their debounce */
#define PEND_BUCKETS	4096
#define RETRY_MS	50	/* queue was full: try again */
#define FLUSH_SECS	1	/* scan cache commit */

enum job_kind { J_SCAN, J_RESCAN };

struct job {
	enum job_kind	 kind;
	char		*path;
	struct job	*next;
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
};

struct filemon {
	struct event_base	*base;
	struct agent_config	*cfg;		/* our copy */
	char			 data_dir[PATH_MAX];
	char			 default_rules[PATH_MAX];
	void			(*kick)(void *);
	void			*kick_arg;

	struct watch		*watch;
	struct pathset		*scan_roots;	/* [files] watch, resolved */
	struct pathset		*fim_roots;	/* [integrity] path, resolved */
	struct scancache	*cache;
	pthread_rwlock_t	 rules_lock;
	struct scanner		*scanner;

	pthread_mutex_t		 mu;		/* jobs, counters */
	pthread_cond_t		 cv;
	struct job		*jobs, **jobs_tail;
	size_t			 njobs;
	int			 stop;
	pthread_t		*workers;
	int			 nworkers;
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
};

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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

/* A cache hit on the state a walk just saw: the file need not even be
 * opened (a rescan of an unchanged tree is a stat and a lookup per file). */
static int
known(struct filemon *fm, const struct stat *st)
{
	int	hit;

	if (fm->cache == NULL || !S_ISREG(st->st_mode))
		return 0;
	pthread_rwlock_rdlock(&fm->rules_lock);
	hit = scancache_lookup(fm->cache, st,
	    scanner_info(fm->scanner)->version) > 0;
	pthread_rwlock_unlock(&fm->rules_lock);
	if (hit) {
		pthread_mutex_lock(&fm->mu);
		fm->n.cache_hits++;
		pthread_mutex_unlock(&fm->mu);
	}
	return hit;
}

/* One file, by a worker: cache, scan, events. */
static void
scan_one(struct filemon *fm, struct spool *sp, const char *path)
{
	struct scanner_result	 res;
	struct stat		 st;
	const char		*version;
	size_t			 i;
	int			 fd, hit, stored = 1;

	memset(&res, 0, sizeof(res));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY);
	if (fd == -1 && errno == ENOENT)
		return;		/* gone before its turn: nothing to scan */
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		close(fd);
		return;		/* the watcher reports regular files only */
	}
	pthread_rwlock_rdlock(&fm->rules_lock);
	version = scanner_info(fm->scanner)->version;
	if (fd == -1) {
		/* let the scanner say why, in its own words */
		scanner_scan_path(fm->scanner, &res, path);
	} else {
		hit = fm->cache != NULL && scancache_lookup(fm->cache, &st,
		    version) > 0;
		if (hit) {
			pthread_mutex_lock(&fm->mu);
			fm->n.cache_hits++;
			pthread_mutex_unlock(&fm->mu);
			goto out;
		}
		scanner_scan_fd(fm->scanner, &res, fd, path);
	}
	switch (res.status) {
	case SCAN_MATCH:
		for (i = 0; i < res.nmatches; i++)
			if (emit(fm, sp, scanner_event(&res,
			    &res.matches[i])) != 0)
				stored = 0;
		/* FALLTHROUGH */
	case SCAN_CLEAN:
		if (res.too_many > 0 && emit(fm, sp, scanner_event(&res,
		    NULL)) != 0)
			stored = 0;
		break;
	default:
		if (emit(fm, sp, scanner_event(&res, NULL)) != 0)
			stored = 0;
		break;
	}
	/* Remember the verdicts that will not change until the file does
	 * (a match is reported once, not at every rescan), and only once
	 * their events are safely in the spool. */
	if (fd != -1 && fm->cache != NULL && stored && (res.status == SCAN_CLEAN ||
	    res.status == SCAN_MATCH || res.status == SCAN_TOOBIG ||
	    res.status == SCAN_TIMEOUT))
		scancache_store(fm->cache, &st, version,
		    res.status == SCAN_CLEAN);
	pthread_mutex_lock(&fm->mu);
	fm->n.scanned++;
	if (res.status == SCAN_MATCH)
		fm->n.matches += res.nmatches;
	else if (res.status != SCAN_CLEAN)
		fm->n.problems++;
	pthread_mutex_unlock(&fm->mu);
out:
	pthread_rwlock_unlock(&fm->rules_lock);
	scanner_result_clear(&res);
	if (fd != -1)
		close(fd);
}

/* A whole tree, by a worker. Symlinks are not followed; excluded folders
 * are not entered. */
static void
rescan_tree(struct filemon *fm, struct spool *sp, const char *root)
{
	char		*argv[2] = { (char *)root, NULL };
	FTS		*fts;
	FTSENT		*e;
	struct timespec	 t0, t1;
	uint64_t	 files = 0, unchanged = 0;
	int		 stopped = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR, NULL)) == NULL) {
		log_warn("files: rescan %s", root);
		return;
	}
	while ((e = fts_read(fts)) != NULL) {
		pthread_mutex_lock(&fm->mu);
		if (fm->stop) {
			pthread_mutex_unlock(&fm->mu);
			stopped = 1;
			break;
		}
		pthread_mutex_unlock(&fm->mu);
		if (fm->watch != NULL && watch_excluded(fm->watch, e->fts_path)) {
			if (e->fts_info == FTS_D)
				fts_set(fts, e, FTS_SKIP);
			continue;
		}
		switch (e->fts_info) {
		case FTS_F:
			files++;
			if (known(fm, e->fts_statp))
				unchanged++;
			else
				scan_one(fm, sp, e->fts_path);
			break;
		case FTS_DNR:
		case FTS_ERR:
			log_warnx("files: rescan: %s: %s", e->fts_path,
			    strerror(e->fts_errno));
			break;
		default:
			break;
		}
	}
	fts_close(fts);
	if (stopped)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("files: rescanned %s: %" PRIu64 " files, %" PRIu64
	    " unchanged since their last scan, in %.2f s", root, files,
	    unchanged, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static void *
worker(void *arg)
{
	struct filemon	*fm = arg;
	struct spool	*sp;
	struct job	*j;

	/* one spool handle per thread (spool.h) */
	if (spool_open(&sp, fm->spool_path, fm->cfg->spool_max) != 0) {
		log_warnx("files: a scan worker cannot open the spool; it "
		    "stops");
		return NULL;
	}
	pthread_mutex_lock(&fm->mu);
	for (;;) {
		while (fm->jobs == NULL && !fm->stop)
			pthread_cond_wait(&fm->cv, &fm->mu);
		if (fm->stop)
			break;
		j = fm->jobs;
		if ((fm->jobs = j->next) == NULL)
			fm->jobs_tail = &fm->jobs;
		fm->njobs--;
		pthread_mutex_unlock(&fm->mu);
		if (j->kind == J_SCAN)
			scan_one(fm, sp, j->path);
		else
			rescan_tree(fm, sp, j->path);
		free(j->path);
		free(j);
		pthread_mutex_lock(&fm->mu);
	}
	pthread_mutex_unlock(&fm->mu);
	spool_close(sp);
	return NULL;
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
	evtimer_add(fm->debounce_ev, &tv);
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

	if (fm->cache != NULL)
		scancache_flush(fm->cache);
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
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += fm->cfg->fim_interval_s;
		while (fm->fimq == NULL && !fm->fim_stop &&
		    pthread_cond_timedwait(&fm->fcv, &fm->fmu, &until) == 0)
			;
		if (fm->fim_stop)
			break;
		if ((q = fm->fimq) != NULL) {
			fm->fimq = q->next;
			pthread_mutex_unlock(&fm->fmu);
			fim_check_path(fim, q->path, fim_emit, &x);
			free(q->path);
			free(q);
		} else {
			pthread_mutex_unlock(&fm->fmu);
			if (fim_check(fim, fim_emit, &x, &st) == ERR_NOTFOUND)
				fim_baseline(fim, &st);
			log_info("integrity: periodic check: %llu changes in "
			    "%.1f s", (unsigned long long)st.changes,
			    st.seconds);
		}
		pthread_mutex_lock(&fm->fmu);
	}
	pthread_mutex_unlock(&fm->fmu);
	fim_close(fim);
	spool_close(x.sp);
	return NULL;
}

/* Load the configured (or default) rules. */
static int
load_rules(struct filemon *fm, struct scanner **out)
{
	const char		*paths[CONFIG_LIST_MAX + 1];
	struct scanner_opts	 so;
	char			 cache[PATH_MAX];
	size_t			 n;
	int			 rc;

	n = config_rules_paths(fm->cfg, fm->default_rules, paths);
	if (pathset_join(cache, sizeof(cache), fm->data_dir, "rules-cache") !=
	    0)
		return ERR_TOOBIG;
	if (mkdir(cache, 0700) == -1 && errno != EEXIST) {
		log_warn("files: %s", cache);
		return ERR_IO;
	}
	memset(&so, 0, sizeof(so));
	so.max_size = fm->cfg->scan_max_size;
	so.timeout = fm->cfg->scan_timeout_s;
	so.cache_dir = cache;
	rc = scanner_load(out, paths, n, &so);
	/* compiling takes memory the agent at rest does not need again */
	malloc_trim(0);
	if (rc != 0)
		return rc;
	log_info("files: %u YARA rules from %zu files (%zu skipped), version "
	    "%.12s%s", scanner_info(*out)->rules, scanner_info(*out)->files,
	    scanner_info(*out)->failed, scanner_info(*out)->version,
	    scanner_info(*out)->from_cache ? ", from the compiled cache" : "");
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

int
filemon_new(struct filemon **out, struct event_base *base,
    const struct agent_config *cfg, const char *data_dir,
    const char *default_rules, void (*kick)(void *), void *kick_arg)
{
	struct filemon	*fm;
	struct timeval	 tv = { FLUSH_SECS, 0 };
	char		 path[PATH_MAX];
	const char	*root;
	size_t		 n;
	int		 i, rc = ERR_NOMEM;

	*out = NULL;
	if ((fm = calloc(1, sizeof(*fm))) == NULL ||
	    (fm->cfg = malloc(sizeof(*fm->cfg))) == NULL) {
		free(fm);
		return ERR_NOMEM;
	}
	*fm->cfg = *cfg;
	fm->base = base;
	fm->kick = kick;
	fm->kick_arg = kick_arg;
	snprintf(fm->data_dir, sizeof(fm->data_dir), "%s", data_dir);
	snprintf(fm->default_rules, sizeof(fm->default_rules), "%s",
	    default_rules);
	pthread_rwlock_init(&fm->rules_lock, NULL);
	pthread_mutex_init(&fm->mu, NULL);
	pthread_cond_init(&fm->cv, NULL);
	pthread_mutex_init(&fm->fmu, NULL);
	pthread_cond_init(&fm->fcv, NULL);
	fm->jobs_tail = &fm->jobs;
	TAILQ_INIT(&fm->pending);
	if (pathset_join(fm->spool_path, sizeof(fm->spool_path), data_dir,
	    "spool.db") != 0) {
		rc = ERR_TOOBIG;
		goto fail;
	}
	if ((rc = roots_new(&fm->scan_roots, cfg->files_enabled ?
	    &cfg->watch : NULL, 0, "files")) != 0 ||
	    (rc = roots_new(&fm->fim_roots, cfg->fim_enabled ?
	    &cfg->fim_paths : NULL, PATHSET_NOFOLLOW, "integrity")) != 0)
		goto fail;
	rc = ERR_NOMEM;
	if ((fm->kick_ev = event_new(base, -1, 0, on_kick, fm)) == NULL ||
	    (fm->debounce_ev = evtimer_new(base, on_debounce, fm)) == NULL ||
	    (fm->flush_ev = event_new(base, -1, EV_PERSIST, on_flush,
	    fm)) == NULL || event_add(fm->flush_ev, &tv) != 0)
		goto fail;
	if (cfg->files_enabled) {
		if ((rc = scanner_global_init()) != 0)
			goto fail;
		if ((rc = load_rules(fm, &fm->scanner)) != 0) {
			log_warnx("files: no usable YARA rules; file scanning "
			    "off");
			goto fail;
		}
		if (pathset_join(path, sizeof(path), data_dir, "scan.db") != 0 ||
		    scancache_open(&fm->cache, path) != 0)
			log_warnx("files: scan cache %s unusable; every file "
			    "will be scanned", path);
		else
			scancache_prune(fm->cache,
			    scanner_info(fm->scanner)->version);
		fm->nworkers = cfg->scan_workers;
		if ((fm->workers = calloc((size_t)fm->nworkers,
		    sizeof(*fm->workers))) == NULL)
			goto fail;
		for (i = 0; i < fm->nworkers; i++) {
			if (pthread_create(&fm->workers[i], NULL, worker,
			    fm) != 0) {
				fm->nworkers = i;
				goto fail;
			}
		}
	}
	if ((cfg->files_enabled || cfg->fim_enabled) &&
	    (rc = start_watch(fm)) != 0)
		goto fail;
	if (cfg->fim_enabled && cfg->fim_paths.n > 0) {
		if (pthread_create(&fm->fim_thread, NULL, fim_main, fm) != 0) {
			rc = ERR_NOMEM;
			goto fail;
		}
		fm->fim_started = 1;
	}
	/* Files written while the agent was not running: a first pass over
	 * every watched tree (cheap for files the cache knows), by the
	 * resolved paths, as the watcher reports them. */
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
	struct scanner	*ns, *old;

	if (fm == NULL || fm->scanner == NULL)
		return;
	/* only the rules and scan limits change at run time; the watched
	 * paths need a restart */
	fm->cfg->rules = cfg->rules;
	memcpy(fm->cfg->local_rules, cfg->local_rules,
	    sizeof(fm->cfg->local_rules));
	fm->cfg->scan_max_size = cfg->scan_max_size;
	fm->cfg->scan_timeout_s = cfg->scan_timeout_s;
	fm->cfg->debounce_ms = cfg->debounce_ms;
	if (load_rules(fm, &ns) != 0) {
		log_warnx("files: rules not reloaded; keeping the last good "
		    "ones");
		return;
	}
	pthread_rwlock_wrlock(&fm->rules_lock);
	old = fm->scanner;
	fm->scanner = ns;
	pthread_rwlock_unlock(&fm->rules_lock);
	scanner_free(old);
	if (fm->cache != NULL)
		scancache_prune(fm->cache, scanner_info(ns)->version);
}

json_t *
filemon_health(void *arg)
{
	struct filemon		*fm = arg;
	const struct scanner_info *si;
	struct watch_stats	 ws;
	struct counters		 n;
	size_t			 queued;
	json_t			*h;

	pthread_mutex_lock(&fm->mu);
	n = fm->n;
	queued = fm->njobs;
	pthread_mutex_unlock(&fm->mu);
	memset(&ws, 0, sizeof(ws));
	if (fm->watch != NULL)
		watch_stats(fm->watch, &ws);
	h = json_pack("{s:{}, s:{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I}}", "rules", "files",
	    "watcher", fm->watch ? watch_backend_name(fm->watch) : "off",
	    "scanned", (json_int_t)n.scanned, "matches", (json_int_t)n.matches,
	    "problems", (json_int_t)n.problems,
	    "cache_hits", (json_int_t)n.cache_hits,
	    "rescans", (json_int_t)n.rescans, "queued", (json_int_t)queued,
	    "pending", (json_int_t)fm->npend,
	    "overflows", (json_int_t)ws.overflows,
	    "watches", (json_int_t)ws.watches);
	if (h != NULL && fm->scanner != NULL) {
		pthread_rwlock_rdlock(&fm->rules_lock);
		si = scanner_info(fm->scanner);
		json_object_set_new(json_object_get(h, "rules"), "yara",
		    json_pack("{s:s, s:i, s:i, s:i}", "version", si->version,
		    "rules", (int)si->rules, "files", (int)si->files,
		    "failed", (int)si->failed));
		pthread_rwlock_unlock(&fm->rules_lock);
	}
	return h;
}

void
filemon_free(struct filemon *fm)
{
	struct pend	*p;
	struct rescan	*r;
	struct job	*j;
	struct fimq	*q;
	int		 i;

	if (fm == NULL)
		return;
	pthread_mutex_lock(&fm->mu);
	fm->stop = 1;
	pthread_cond_broadcast(&fm->cv);
	pthread_mutex_unlock(&fm->mu);
	for (i = 0; i < fm->nworkers; i++)
		pthread_join(fm->workers[i], NULL);
	free(fm->workers);
	if (fm->fim_started) {
		pthread_mutex_lock(&fm->fmu);
		fm->fim_stop = 1;
		pthread_cond_signal(&fm->fcv);
		pthread_mutex_unlock(&fm->fmu);
		pthread_join(fm->fim_thread, NULL);
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
		free(j->path);
		free(j);
	}
	while ((q = fm->fimq) != NULL) {
		fm->fimq = q->next;
		free(q->path);
		free(q);
	}
	scancache_close(fm->cache);
	pathset_free(fm->scan_roots);
	pathset_free(fm->fim_roots);
	scanner_free(fm->scanner);
	if (fm->scanner != NULL || fm->nworkers > 0)
		scanner_global_fini();
	if (fm->kick_ev != NULL)
		event_free(fm->kick_ev);
	if (fm->debounce_ev != NULL)
		event_free(fm->debounce_ev);
	if (fm->flush_ev != NULL)
		event_free(fm->flush_ev);
	pthread_rwlock_destroy(&fm->rules_lock);
	pthread_mutex_destroy(&fm->mu);
	pthread_cond_destroy(&fm->cv);
	pthread_mutex_destroy(&fm->fmu);
	pthread_cond_destroy(&fm->fcv);
	free(fm->cfg);
	free(fm);
}
