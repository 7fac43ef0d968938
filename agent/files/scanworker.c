/*
 * scanworker.c: the scan worker (scanworker.h, scanproc.h).
 *
 * Order matters, and is the point of this file:
 *   1. close every descriptor but stdio, the sockets to the daemon and
 *      what the daemon opened for the load: the rule files read into a
 *      sealed memfd, the compiled sets of its cache and an empty file
 *      to save a compiled set into (scanner.h);
 *   2. drop everything (sandbox.h: the [agent] user, no capabilities,
 *      no_new_privs) before a byte of a rule is parsed, and cap the size
 *      of a file written (RLIMIT_FSIZE: the compiled set);
 *   3. compile the rules from the memfd (or load the compiled set the
 *      daemon offers). A hostile rule file that crashes libyara, or
 *      owns it, gets this unprivileged process only; the daemon keeps
 *      the worker that runs the last good rules. Then install a seccomp
 *      filter that allows reading the descriptors the daemon passes,
 *      memory (never executable), threads, and the sockets it holds: no
 *      open (EACCES), no socket, connect or exec (the process is
 *      killed). (The filter comes after compiling only because it is
 *      the scans' filter; the compile has no privilege either way.)
 *   4. say READY, then serve: one thread per socket, each a loop of
 *      SCAN in (a descriptor the daemon opened), scanner_scan_fd_owner,
 *      RESULT out. The worker never opens a path and never names a user.
 *
 * Test builds (VIGIL_TEST_HOOKS) also honour a file that starts with
 * SCANWORKER_CRASH (the worker aborts, as libyara could) and PROBE
 * (the worker tries what its sandbox must refuse), and rule files that
 * hold SCANWORKER_CRASH_COMPILE (the worker aborts where the compiler
 * would) or SCANWORKER_UNPRIVILEGED (it aborts unless it has no
 * privilege left when it starts compiling), and two lies of a worker
 * owned at compile: SCANWORKER_LIE and a version (READY, and the head
 * of the set it saves, claim that version), SCANWORKER_GARBAGE (garbage
 * is left as the compiled set).
 *
 * Load: one file scanned per SCAN, as many at once as there are sockets.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/sched.h>

#include "err.h"
#include "log.h"
#include "sandbox.h"
#include "scanmsg.h"
#include "scanner.h"
#include "scanworker.h"

#define SCANWORKER_CRASH	"VIGIL-TEST-CRASH"
#define SCANWORKER_CRASH_COMPILE "VIGIL-TEST-CRASH-COMPILE"
#define SCANWORKER_UNPRIVILEGED	"VIGIL-TEST-ASSERT-UNPRIVILEGED"
#define SCANWORKER_LIE		"VIGIL-TEST-LIE-VERSION:"	/* + 64 hex */
#define SCANWORKER_GARBAGE	"VIGIL-TEST-GARBAGE-CACHE"
#define SOCKBUF			(SCANMSG_MAX * 2)

struct worker {
	const struct agent_config *cfg;
	int			 nchan;
	int			 rules_fd;	/* the daemon's memfd */
	int			 top;		/* the highest fd passed */
	struct scanner_cachefds	 cache;
	int			 sha256_all;
	struct scanner		*sc;
#ifdef VIGIL_TEST_HOOKS
	char			 lie[SCANNER_VERSION_LEN + 1];	/* READY's
					 * version instead, "": the truth */
	int			 garbage;	/* write it as the set */
#endif
};

struct chan {
	struct worker	*w;
	int		 fd;
	uint8_t		*in, *out;	/* SCANMSG_MAX each */
	int		 rc;		/* how its loop ended */
	pthread_t	 tid;
};

/* ---- 1. start ---- */

/* A descriptor the daemon placed above the sockets: "N", then rest. */
static int
parse_fd(const struct worker *w, const char *arg, int *fd, const char **rest)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || n < SCANWORKER_FD + w->nchan ||
	    n > SCANWORKER_FD + SCANWORKER_CHANNELS_MAX + SCANWORKER_EXTRA_MAX)
		return ERR_USAGE;
	*fd = (int)n;
	*rest = end;
	return 0;
}

static int
parse_opt(struct worker *w, int ch, const char *arg)
{
	const char	*rest;
	char		*end;
	long		 n;
	int		 fd;

	switch (ch) {
	case 'n':
		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 ||
		    n > SCANWORKER_CHANNELS_MAX || w->top != 0)
			return ERR_USAGE;
		w->nchan = (int)n;
		return 0;
	case 's':
		w->sha256_all = 1;
		return 0;
	}
	if (w->nchan == 0 || parse_fd(w, arg, &fd, &rest) != 0)
		return ERR_USAGE;
	if (fd > w->top)
		w->top = fd;
	if (ch == 'r' && *rest == '\0')
		w->rules_fd = fd;
	else if (ch == 'o' && *rest == '\0')
		w->cache.out = fd;
	else if (ch == 'i' && *rest == '\0' && w->cache.in == -1)
		w->cache.in = fd;
	else
		return ERR_USAGE;
	return 0;
}

static int
parse_args(struct worker *w, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channels",		required_argument, NULL, 'n' },
		{ "rules-fd",		required_argument, NULL, 'r' },
		{ "cache-out",		required_argument, NULL, 'o' },
		{ "cache-in",		required_argument, NULL, 'i' },
		{ "sha256",		no_argument,	   NULL, 's' },
		{ NULL,			0,		   NULL, 0 },
	};
	int	ch;

	w->rules_fd = -1;
	w->cache.out = w->cache.in = -1;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1)
		if (ch == '?' || parse_opt(w, ch, optarg) != 0)
			return ERR_USAGE;
	if (optind != argc || w->nchan == 0 || w->rules_fd == -1)
		return ERR_USAGE;
	return 0;
}

/* Our ends of the daemon's sockets, the load's descriptors, and nothing
 * else open above them. */
static int
channels_check(const struct worker *w)
{
	struct stat	st;
	socklen_t	len;
	int		i, fd, type, size = SOCKBUF;

	for (i = 0; i < w->nchan; i++) {
		fd = SCANWORKER_FD + i;
		len = sizeof(type);
		type = 0;
		if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_SEQPACKET)
			return ERR_USAGE;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
		    sizeof(size)) == -1)
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size,
			    sizeof(size));
	}
	if (fstat(w->rules_fd, &st) == -1 || !S_ISREG(st.st_mode))
		return ERR_USAGE;
	if (close_range((unsigned)w->top + 1, ~0U, 0) == -1)
		return ERR_IO;
	return 0;
}

/* Rule files come in, the compiled set goes out: nothing else is
 * written, and that not beyond what the daemon takes. */
static int
limit_writes(void)
{
	const struct rlimit	rl = { SCANNER_CACHE_FILE_MAX,
				    SCANNER_CACHE_FILE_MAX };

	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
	    setrlimit(RLIMIT_FSIZE, &rl) == -1) {
		log_warn("scan worker: RLIMIT_FSIZE");
		return ERR_IO;
	}
	return 0;
}

/* ---- 2. rules ---- */

#ifdef VIGIL_TEST_HOOKS
static void
compile_hooks(struct worker *w)
{
	struct stat	 st;
	const char	*lie;
	void		*p;
	size_t		 len, left;

	if (fstat(w->rules_fd, &st) == -1 || st.st_size == 0 || (p = mmap(NULL,
	    (size_t)st.st_size, PROT_READ, MAP_PRIVATE, w->rules_fd, 0)) ==
	    MAP_FAILED)
		return;
	len = (size_t)st.st_size;
	if (memmem(p, len, SCANWORKER_CRASH_COMPILE,
	    sizeof(SCANWORKER_CRASH_COMPILE) - 1) != NULL ||
	    (memmem(p, len, SCANWORKER_UNPRIVILEGED,
	    sizeof(SCANWORKER_UNPRIVILEGED) - 1) != NULL && !sandbox_unprivileged()))
		abort();
	if ((lie = memmem(p, len, SCANWORKER_LIE,
	    sizeof(SCANWORKER_LIE) - 1)) != NULL) {
		lie += sizeof(SCANWORKER_LIE) - 1;
		left = len - (size_t)(lie - (const char *)p);
		if (left >= SCANNER_VERSION_LEN)
			memcpy(w->lie, lie, SCANNER_VERSION_LEN);
	}
	w->garbage = memmem(p, len, SCANWORKER_GARBAGE,
	    sizeof(SCANWORKER_GARBAGE) - 1) != NULL;
	(void)munmap(p, len);
}

/* What an owned worker may leave as the compiled set: garbage, or its
 * set claiming the lie's version (in the head of scanner.c's worker
 * sets, after 16 bytes of magic). */
static void
cache_hooks(const struct worker *w)
{
	static const char	junk[] = "not a compiled rule set";
	struct stat		st;
	int			out = w->cache.out;

	if (out == -1)
		return;
	if (w->garbage && (ftruncate(out, 0) == -1 || pwrite(out, junk,
	    sizeof(junk), 0) != (ssize_t)sizeof(junk)))
		abort();
	if (w->lie[0] != '\0' && fstat(out, &st) == 0 && st.st_size > 0 &&
	    pwrite(out, w->lie, SCANNER_VERSION_LEN, 16) !=
	    SCANNER_VERSION_LEN)
		abort();
}
#endif

static int
load(struct worker *w)
{
	struct scanner_opts	 so;
	const struct scanner_info *in;
	int			 rc;

	if ((rc = scanner_global_init()) != 0)
		return rc;
#ifdef VIGIL_TEST_HOOKS
	compile_hooks(w);
#endif
	memset(&so, 0, sizeof(so));
	so.max_size = w->cfg->scan_max_size;
	so.timeout = w->cfg->scan_timeout_s;
	so.cache_fds = &w->cache;
	so.sha256_all = w->sha256_all;
	rc = scanner_load_bundle(&w->sc, w->rules_fd, &so);
#ifdef VIGIL_TEST_HOOKS
	cache_hooks(w);
#endif
	/* the texts and compiled sets are in memory now, or not wanted */
	if (w->cache.in != -1)
		(void)close(w->cache.in);
	if (w->cache.out != -1)
		(void)close(w->cache.out);
	(void)close(w->rules_fd);
	if (rc != 0)
		return rc;
	in = scanner_info(w->sc);
	log_debug("scan worker: %u YARA rules from %zu files (%zu skipped), "
	    "version %.12s%s", in->rules, in->files, in->failed, in->version,
	    in->from_cache ? ", from the compiled cache" : "");
	return 0;
}

/* ---- 3. the sandbox ---- */

static int
seccomp_install(int nchan, int use_syslog)
{
	const struct sandbox_rule rules[] = {
		/* the descriptors the daemon passes: read, never opened */
		SANDBOX_ALLOW(read), SANDBOX_ALLOW(pread64),
		SANDBOX_ALLOW(lseek), SANDBOX_ALLOW(fstat),
		SANDBOX_ALLOW(newfstatat), SANDBOX_ALLOW(fadvise64),
		SANDBOX_ALLOW(close),
		/* the sockets to the daemon, by number */
		SANDBOX_ALLOW_IF(recvmsg, 0, SCMP_CMP_LT,
		    (scmp_datum_t)(SCANWORKER_FD + nchan), 0),
		SANDBOX_ALLOW_IF(sendmsg, 0, SCMP_CMP_LT,
		    (scmp_datum_t)(SCANWORKER_FD + nchan), 0),
		/* threads (clone3 refused: glibc falls back to clone) */
		SANDBOX_ALLOW_IF(clone, 0, SCMP_CMP_MASKED_EQ, CLONE_THREAD,
		    CLONE_THREAD),
		SANDBOX_ERRNO(clone3, ENOSYS),
		SANDBOX_ALLOW(set_robust_list), SANDBOX_ALLOW(rseq),
		SANDBOX_ALLOW(sched_yield),
		SANDBOX_ALLOW(sched_getaffinity),
		/* libyara catches SIGBUS and SIGSEGV around each scan */
		SANDBOX_ALLOW(rt_sigaction),
		/* libyara's timeout */
		SANDBOX_ALLOW(nanosleep), SANDBOX_ALLOW(clock_nanosleep),
		/* the log */
		SANDBOX_ALLOW_IF(write, 0, SCMP_CMP_EQ, STDERR_FILENO, 0),
		SANDBOX_COMMON(use_syslog),
	};

	return sandbox_seccomp("scan worker", rules, sizeof(rules) /
	    sizeof(rules[0]));
}

/* ---- 4. serving ---- */

static int
send_result(struct chan *c, uint64_t id, const struct scanner_result *r)
{
	struct scanner_result	cut;
	size_t			n;

	n = scanmsg_result_encode(c->out, SCANMSG_MAX - SCANMSG_HDR, id, r);
	if (n == 0) {
		/* too much to pass on: the verdict says so, not silence */
		cut = *r;
		cut.matches = NULL;
		cut.nmatches = 0;
		cut.status = SCAN_ERROR;
		(void)snprintf(cut.reason, sizeof(cut.reason), "%zu matches: "
		    "too many to pass on from the scan worker", r->nmatches);
		if ((n = scanmsg_result_encode(c->out, SCANMSG_MAX -
		    SCANMSG_HDR, id, &cut)) == 0)
			return ERR_TOOBIG;
	}
	return scanmsg_send(c->fd, SCANMSG_RESULT, c->out, n, -1);
}

#ifdef VIGIL_TEST_HOOKS
static void
crash_hook(int fd)
{
	char	buf[sizeof(SCANWORKER_CRASH) - 1];

	if (pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) &&
	    memcmp(buf, SCANWORKER_CRASH, sizeof(buf)) == 0)
		abort();
}

_Static_assert(SCANMSG_PROBE_OPEN == SANDBOX_PROBE_OPEN &&
    SCANMSG_PROBE_SOCKET == SANDBOX_PROBE_SOCKET &&
    SCANMSG_PROBE_CONNECT == SANDBOX_PROBE_CONNECT &&
    SCANMSG_PROBE_EXEC == SANDBOX_PROBE_EXEC &&
    SCANMSG_PROBE_MAX == SANDBOX_PROBE_MAX, "the probes are sandbox.h's");

static int
probe(struct chan *c, uint64_t id, uint32_t what)
{
	struct { uint64_t id; int32_t err; uint32_t pad; } m = { id, 0, 0 };

	m.err = sandbox_probe((int)what, c->fd);
	return scanmsg_send(c->fd, SCANMSG_PROBED, &m, sizeof(m), -1);
}
#endif

/* One message from the daemon: 0 to go on, else how the loop ends. */
static int
serve_one(struct chan *c, const struct scanmsg *m, int fd)
{
	struct scanner_result	r;
	int			rc;

	if (m->type == SCANMSG_SCAN) {
		if (fd == -1)
			return SCANWORKER_EXIT_CHANNEL;
#ifdef VIGIL_TEST_HOOKS
		crash_hook(fd);
#endif
		scanner_scan_fd_owner(c->w->sc, &r, fd, m->u.scan.path,
		    m->u.scan.owner);
		rc = send_result(c, m->u.scan.id, &r);
		scanner_result_clear(&r);
		return rc == 0 ? 0 : SCANWORKER_EXIT_CHANNEL;
	}
#ifdef VIGIL_TEST_HOOKS
	if (m->type == SCANMSG_PROBE && fd == -1)
		return probe(c, m->u.probe.id, m->u.probe.what) == 0 ? 0 :
		    SCANWORKER_EXIT_CHANNEL;
#endif
	return SCANWORKER_EXIT_CHANNEL;
}

static void *
serve(void *arg)
{
	struct chan	*c = arg;
	struct scanmsg	 m;
	const char	*why;
	size_t		 n;
	int		 fd, rc;

	for (;;) {
		if ((rc = scanmsg_recv(c->fd, c->in, &n, &fd)) == ERR_NOTFOUND) {
			c->rc = SCANWORKER_EXIT_OK;
			break;
		}
		if (rc == 0 && (rc = scanmsg_parse(&m, c->in, n, 0,
		    &why)) != 0)
			log_warnx("scan worker: a message refused: %s", why);
		if (rc == 0)
			rc = serve_one(c, &m, fd);
		if (fd != -1)
			(void)close(fd);
		if (rc != 0) {
			c->rc = SCANWORKER_EXIT_CHANNEL;
			break;
		}
	}
	return NULL;
}

static int
ready(struct worker *w)
{
	const struct scanner_info	*in = scanner_info(w->sc);
	struct scanmsg_ready		 m;

	memset(&m, 0, sizeof(m));
	memcpy(m.version, in->version, sizeof(m.version));
	m.files = in->files;
	m.failed = in->failed;
	m.rules = in->rules;
	m.from_cache = in->from_cache != 0;
#ifdef VIGIL_TEST_HOOKS
	if (w->lie[0] != '\0')
		memcpy(m.version, w->lie, sizeof(m.version));
#endif
	return scanmsg_send(SCANWORKER_FD, SCANMSG_READY, &m, sizeof(m), -1);
}

static int
run(struct worker *w, struct chan *ch)
{
	int	i, started, rc;

	for (i = 0; i < w->nchan; i++) {
		ch[i].w = w;
		ch[i].fd = SCANWORKER_FD + i;
		if ((ch[i].in = malloc(SCANMSG_MAX)) == NULL ||
		    (ch[i].out = malloc(SCANMSG_MAX)) == NULL)
			return SCANWORKER_EXIT_NOMEM;
	}
	if (ready(w) != 0)
		return SCANWORKER_EXIT_CHANNEL;
	for (started = 1; started < w->nchan; started++)
		if (pthread_create(&ch[started].tid, NULL, serve,
		    &ch[started]) != 0)
			break;
	(void)serve(&ch[0]);
	rc = ch[0].rc;
	for (i = 1; i < started; i++) {
		(void)pthread_join(ch[i].tid, NULL);
		if (rc == 0)
			rc = ch[i].rc;
	}
	return started == w->nchan ? rc : SCANWORKER_EXIT_NOMEM;
}

int
scanworker_main(int argc, char **argv, const struct agent_config *cfg)
{
	struct worker	 w;
	struct chan	*ch = NULL;
	pid_t		 parent = getppid();
	int		 rc;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	log_init("vigil-agent[scan]", cfg->log_level, cfg->syslog);
	if (parse_args(&w, argc, argv) != 0 || channels_check(&w) != 0) {
		log_warnx("%s: for the daemon's use only", SCANWORKER_CMD);
		_exit(SCANWORKER_EXIT_USAGE);
	}
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGHUP, SIG_IGN) == SIG_ERR)
		_exit(SCANWORKER_EXIT_USAGE);
	if (limit_writes() != 0 ||
	    sandbox_enter("scan worker", cfg->user, parent) != 0)
		_exit(SCANWORKER_EXIT_SANDBOX);
	if ((rc = load(&w)) != 0) {
		log_warnx("scan worker: no YARA rules loaded: %s",
		    vigil_strerror(rc));
		_exit(rc == ERR_NOMEM ? SCANWORKER_EXIT_NOMEM :
		    SCANWORKER_EXIT_RULES);
	}
	if ((ch = calloc((size_t)w.nchan, sizeof(*ch))) == NULL)
		_exit(SCANWORKER_EXIT_NOMEM);
	if (seccomp_install(w.nchan, cfg->syslog) != 0)
		_exit(SCANWORKER_EXIT_SANDBOX);
	/* the exit releases it all: a sanitizer's leak check needs ptrace,
	 * which the filter refuses */
	_exit(run(&w, ch));
}
