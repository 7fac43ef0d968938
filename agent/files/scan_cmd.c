/*
 * scan_cmd.c: `vigil-agent scan`, a one-shot YARA scan (scan_cmd.h).
 *
 * The main thread walks the PATH operands by descriptors with the
 * daemon's treewalk (treewalk.h): symbolic links inside folders are never
 * followed, a folder reached again through a bind mount is a reported
 * loop, and a mount point below a PATH is entered only when the mount
 * table accepts it (mounttab.h: local file systems; FUSE and network
 * ones only with --remote-filesystems or [files] remote_filesystems = yes;
 * the kernel's own never), since a FUSE server that never answers would
 * hang the scan for good. The walker opens each regular file beside its
 * folder (safeopen_file(): no link followed, type checked) and feeds the
 * descriptor to a bounded queue; N worker threads take them, scan with
 * the shared scanner and print. What the walk does not enter is
 * reported (a FUSE or network mount, an unreadable folder, a loop), so
 * nothing is skipped without a word, and so are FIFOs, sockets and
 * devices (never opened); only symbolic links inside folders and the
 * kernel's own mounts are passed over (logged at debug level).
 *
 * A worker taking a file asks the kernel to read ahead the one N places
 * further in the queue, so disk reads overlap scans (prefetch()).
 *
 * With indicator lists (--ioc, or the shipped ones) holding SHA-256
 * entries, every file read is also hashed and looked up (scanner.h); a
 * listed file is reported beside its YARA matches.
 *
 * With --cache FILE, the walker looks each file up in a scan cache
 * (scancache.h) with the state the walk just saw and does not queue a file
 * scanned clean before with the same rules; a worker records a clean
 * verdict with the state taken before the scan, if the file it scanned is
 * the one the walker saw. Matches and problems are never recorded, so the
 * output is the same with or without the cache.
 *
 * Output lines are written whole under one lock, so they never mix.
 * Memory: the rules, one read buffer per worker (scanner.c), the queue
 * (QUEUE_LEN paths and descriptors; the soft limit of open files is
 * raised for it, or the queue made shorter) and the walk's folders
 * (treewalk.h). Load: one-shot.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "event.h"
#include "ioc.h"
#include "log.h"
#include "mounttab.h"
#include "safeopen.h"
#include "scan_cmd.h"
#include "scancache.h"
#include "scanner.h"
#include "text.h"
#include "treewalk.h"

#define PROG		"vigil-agent scan"
#define QUEUE_LEN	4096
#define SKIP_MAX	256		/* queue_get() looks this far */
#define THREADS_MAX	32		/* libyara's YR_MAX_THREADS */
#define TIMEOUT_MAX	86400
#define RULES_MAX	(CONFIG_LIST_MAX + 1)	/* as config_rules_paths */
#define IOC_MAX		RULES_MAX
#define WALK_HELPERS	4		/* threads listing folders ahead
					 * of the walk (treewalk.h) */
#define FD_RESERVE	(TREEWALK_AHEAD_DIRS + TREEWALK_DEPTH + \
			 2 * THREADS_MAX + 64)	/* descriptors not for the
						 * queue */

enum {
	OPT_JSON = 256,
	OPT_MAX_SIZE,
	OPT_TIMEOUT,
	OPT_THREADS,
	OPT_CACHE,
	OPT_REMOTE,
	OPT_IOC,
};

static const struct option scan_longopts[] = {
	{ "rules",	required_argument, NULL, 'r' },
	{ "json",	no_argument,	   NULL, OPT_JSON },
	{ "max-size",	required_argument, NULL, OPT_MAX_SIZE },
	{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
	{ "threads",	required_argument, NULL, OPT_THREADS },
	{ "cache",	required_argument, NULL, OPT_CACHE },
	{ "ioc",	required_argument, NULL, OPT_IOC },
	{ "remote-filesystems", no_argument, NULL, OPT_REMOTE },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL,		0,		   NULL, 0 }
};

static const char help_head[] =
	"usage: vigil-agent scan [--rules FILE|DIR]... [--ioc FILE|DIR]...\n"
	"           [--json] [--max-size SIZE] [--timeout SECS] [--threads N]\n"
	"           [--cache FILE] [--remote-filesystems] PATH...\n"
	"\n"
	"Scan files with YARA rules, and look their SHA-256 up in indicator\n"
	"lists. Folders are scanned recursively.\n"
	"Symbolic links inside folders are not followed (a PATH that is one\n"
	"is); a folder met twice (a bind-mount loop) is reported, not\n"
	"rescanned. Other file systems mounted below a PATH are entered when\n"
	"they are local (disks, USB sticks, tmpfs); FUSE and network ones\n"
	"(sshfs, NFS, SMB) are reported as other_fs and not entered, since\n"
	"their server may never answer; kernel ones (/proc, /sys, ...) are\n"
	"never entered. A PATH itself is scanned wherever it is.\n"
	"\n"
	"  -r, --rules FILE|DIR  a rules file, or a folder whose *.yar and\n"
	"                        *.yara files are used (not its subfolders);\n"
	"                        repeatable. Default: ";

static const char help_mid[] =
	"\n"
	"                        A file with an error is reported as\n"
	"                        FILE:LINE: message and skipped; the other\n"
	"                        files are used.\n"
	"  --ioc FILE|DIR        indicator lists (rules/ioc/README): a list\n"
	"                        file, or a folder whose *.txt and *.list\n"
	"                        files are used; repeatable; replaces the\n"
	"                        default. Every file read is hashed and a\n"
	"                        file whose SHA-256 is listed is reported.\n"
	"                        A bad line is reported as FILE:LINE and\n"
	"                        skipped. Default: ";

static const char help_tail[] =
	"\n"
	"  --json                one EVE JSON event per line on standard\n"
	"                        output: an \"alert\" per match, a \"scan\"\n"
	"                        event per file that could not be scanned\n"
	"  --max-size SIZE       larger files are not scanned but reported as\n"
	"                        too big (K, M, G suffixes; 0: no limit;\n"
	"                        default 64M)\n"
	"  --timeout SECS        longest scan of one file, then it is\n"
	"                        reported as a timeout (0: none; default 30)\n"
	"  --threads N           files scanned in parallel, 1..32 (default 2)\n"
	"  --cache FILE          remember the files found clean in FILE (an\n"
	"                        SQLite file, created with mode 0600): a\n"
	"                        later scan with the same rules does not read\n"
	"                        a file whose device, inode, size, mtime and\n"
	"                        ctime are unchanged. Matches and problems\n"
	"                        are never remembered, so the output is the\n"
	"                        same as without it\n"
	"  --remote-filesystems  enter FUSE and network file systems below\n"
	"                        a PATH too (default: [files]\n"
	"                        remote_filesystems in agent.conf, no)\n"
	"  -v, --verbose         debug log, and a summary with peak memory\n"
	"  -h, --help            this help\n"
	"\n"
	"Output: \"RULE PATH\" on standard output per match, as yara prints\n"
	"it, \"ioc:LIST PATH\" per file whose SHA-256 a list holds, and one\n"
	"line on standard error per file not scanned: too big,\n"
	"timeout, unreadable (with the reason), special (FIFO, device,\n"
	"socket: never opened), other_fs (a mount not entered) or error;\n"
	"and one per file whose verdict may\n"
	"be incomplete: too_many_matches (a string found over a million\n"
	"times, as yara warns). A path is shown escaped: '\\\\' for a\n"
	"backslash, \\xNN for each byte that is not UTF-8 or belongs to a\n"
	"control or bidi character, so one line is always one file.\n"
	"\n"
	"Exit status, as yara 4.2.3's where it applies: 0 the scan ran,\n"
	"whether or not anything matched and even if files found inside\n"
	"folders could not be scanned (they are reported); 1 a rules file\n"
	"did not compile (yara stops there; this command reports it, scans\n"
	"with the other files and still exits 1), no rules could be loaded,\n"
	"an --ioc list could not be read,\n"
	"a PATH given on the command line could not be scanned, or writing\n"
	"the output failed; 2 a usage error.\n";

struct scan_opts {
	const char	*rules[RULES_MAX];
	size_t		 nrules;
	const char	*iocs[IOC_MAX];
	size_t		 niocs;
	int		 iocs_given;	/* --ioc: they must load */
	int		 json;
	uint64_t	 max_size;
	int		 timeout;
	int		 threads;
	const char	*cache;
	int		 remote;	/* enter FUSE and network mounts */
	int		 help;
};

struct item {
	int		 fd;		/* open for reading; -1: an operand
					 * the worker opens */
	char		*path;
	struct stat	*st;		/* as the walker saw it; --cache only */
	uint64_t	 size;		/* as the walker saw it */
	int		 operand;	/* named on the command line */
};

/* Bounded FIFO of files to scan: the walker waits when it is full. */
struct queue {
	pthread_mutex_t	 lock;
	pthread_cond_t	 more, room;
	struct item	 items[QUEUE_LEN];
	size_t		 head, n;
	size_t		 len;		/* items held at most: QUEUE_LEN,
					 * or fewer for want of descriptors */
	int		 done;
};

struct run {
	struct scanner		*sc;
	struct iocdb		*ioc;		/* NULL: no lists */
	const struct scan_opts	*o;
	struct queue		 q;
	struct scancache	*cache;		/* --cache, or NULL */
	struct mounttab		*mt;		/* which mounts to enter */
	pthread_mutex_t		 out_lock;	/* output and counters */
	uint64_t		 files, matches, problems, unchanged;
	int			 failed;	/* exit 1 */
};

/* ---- options ---- */

#define usage_error(...)	cli_usage(PROG, NULL, __VA_ARGS__)

static int
set_opt(struct scan_opts *o, int ch, const char *arg)
{
	int64_t		secs;
	uint64_t	n;

	switch (ch) {
	case 'r':
		if (o->nrules == RULES_MAX)
			return usage_error("--rules: at most %d", RULES_MAX);
		o->rules[o->nrules++] = arg;
		break;
	case OPT_IOC:
		if (o->niocs == IOC_MAX)
			return usage_error("--ioc: at most %d", IOC_MAX);
		o->iocs[o->niocs++] = arg;
		o->iocs_given = 1;
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_MAX_SIZE:
		if (config_parse_size(&o->max_size, arg) != 0)
			return usage_error("--max-size '%s': want a size such "
			    "as 64M", arg);
		break;
	case OPT_TIMEOUT:
		if (config_parse_duration(&secs, arg) != 0 || secs < 0 ||
		    secs > TIMEOUT_MAX)
			return usage_error("--timeout '%s': want 0..86400 "
			    "seconds", arg);
		o->timeout = (int)secs;
		break;
	case OPT_THREADS:
		if (text_u64(&n, arg, strlen(arg), 1, THREADS_MAX) != 0)
			return usage_error("--threads '%s': want 1..%d", arg,
			    THREADS_MAX);
		o->threads = (int)n;
		break;
	case OPT_CACHE:
		o->cache = arg;
		break;
	case OPT_REMOTE:
		o->remote = 1;
		break;
	case 'v':
		log_setlevel(LOG_LVL_DEBUG);
		break;
	case 'h':
		o->help = 1;
		break;
	default:	/* getopt has said what was wrong */
		return cli_hint(PROG, NULL);
	}
	return 0;
}

static int
parse_opts(struct scan_opts *o, int argc, char **argv)
{
	int	ch, rc;

	memset(o, 0, sizeof(*o));
	o->max_size = SCANNER_MAX_SIZE;
	o->timeout = SCANNER_TIMEOUT;
	o->threads = 2;
	optind = 0;		/* GNU: full reset, scanning starts at 1 */
	while ((ch = getopt_long(argc, argv, "+r:vh", scan_longopts,
	    NULL)) != -1)
		if ((rc = set_opt(o, ch, optarg)) != 0)
			return rc;
	return 0;
}

/* ---- output ---- */

/* Takes ev (NULL: it could not be built). */
static void
print_event(struct run *run, const struct scanner_result *r, json_t *ev)
{
	char	*text = NULL;
	size_t	 len;

	if (ev != NULL)
		text = event_dump(ev, &len);
	json_decref(ev);
	if (text == NULL) {
		log_warnx("%s: cannot build the event (too large?)", r->path);
		run->failed = 1;
		return;
	}
	if (text_put_json(stdout, text, len) != 0)
		run->failed = 1;
	free(text);
}

/* "TAGNAME PATH" (a rule or a list, and the file), escaped. */
static void
print_line(struct run *run, const char *tag, const char *name,
    const char *path)
{
	if (fputs(tag, stdout) == EOF || text_puts(stdout, name) != 0 ||
	    putchar(' ') == EOF || text_puts(stdout, path) != 0 ||
	    putchar('\n') == EOF)
		run->failed = 1;
}

/* One result: counted, printed. Called with out_lock held. */
static void
report_locked(struct run *run, const struct scanner_result *r, int operand)
{
	size_t	i;

	if (r->status == SCAN_CLEAN || r->status == SCAN_MATCH)
		run->files++;
	else {
		run->problems++;
		if (operand)
			run->failed = 1;
	}
	for (i = 0; i < r->nmatches; i++) {
		run->matches++;
		if (run->o->json)
			print_event(run, r, scanner_event(r, &r->matches[i]));
		else
			print_line(run, "", r->matches[i].rule, r->path);
	}
	if (r->ioc.list != NULL) {
		run->matches++;
		if (run->o->json)
			print_event(run, r, scanner_ioc_event(r));
		else
			print_line(run, "ioc:", r->ioc.list, r->path);
	}
	if ((r->status == SCAN_CLEAN || r->status == SCAN_MATCH) &&
	    r->too_many == 0)
		return;
	if (run->o->json)
		print_event(run, r, scanner_event(r, NULL));
	else
		cli_say(PROG, "%s: %s: %s", r->path,
		    scanner_result_status(r), r->reason);
}

static void
report(struct run *run, const struct scanner_result *r, int operand)
{
	pthread_mutex_lock(&run->out_lock);
	report_locked(run, r, operand);
	pthread_mutex_unlock(&run->out_lock);
}

/* A problem found without scanning (by the walker). */
static void __attribute__((format(printf, 5, 6)))
report_problem(struct run *run, const char *path, int operand,
    enum scanner_status st, const char *fmt, ...)
{
	struct scanner_result	r;
	va_list			ap;

	memset(&r, 0, sizeof(r));
	r.path = path;
	r.status = st;
	va_start(ap, fmt);
	vsnprintf(r.reason, sizeof(r.reason), fmt, ap);
	va_end(ap);
	report(run, &r, operand);
}

/* ---- the queue ---- */

static int
queue_init(struct queue *q)
{
	memset(q, 0, sizeof(*q));
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		return ERR_NOMEM;
	if (pthread_cond_init(&q->more, NULL) != 0) {
		pthread_mutex_destroy(&q->lock);
		return ERR_NOMEM;
	}
	if (pthread_cond_init(&q->room, NULL) != 0) {
		pthread_cond_destroy(&q->more);
		pthread_mutex_destroy(&q->lock);
		return ERR_NOMEM;
	}
	return 0;
}

static void
queue_destroy(struct queue *q)
{
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->more);
	pthread_mutex_destroy(&q->lock);
}

/* Takes ownership of fd, path and st. */
static void
queue_put(struct queue *q, int fd, char *path, struct stat *st,
    uint64_t size, int operand)
{
	struct item	*it;

	pthread_mutex_lock(&q->lock);
	while (q->n == q->len)
		pthread_cond_wait(&q->room, &q->lock);
	it = &q->items[(q->head + q->n) % QUEUE_LEN];
	it->fd = fd;
	it->path = path;
	it->st = st;
	it->size = size;
	it->operand = operand;
	q->n++;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
}

static void
queue_finish(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->done = 1;
	pthread_cond_broadcast(&q->more);
	pthread_mutex_unlock(&q->lock);
}

/*
 * Which item to take: the oldest, unless the scanner would make it wait
 * for memory (a large file while others are being scanned: the scans hold
 * at most 32 MiB of file data together) and one of the next SKIP_MAX
 * would not. The large file then stays first in line and is taken as soon
 * as it fits, while this worker scans a small one instead of waiting (a
 * tree of large binaries otherwise leaves a core idle for each of them).
 * A file larger than the whole budget is taken in turn: it can only wait.
 */
static size_t
queue_pick(const struct queue *q, struct scanner *sc)
{
	size_t	k;

	if (q->items[q->head].size > SCANNER_DATA_BUDGET ||
	    scanner_data_fits(sc, q->items[q->head].size))
		return 0;
	for (k = 1; k < q->n && k <= SKIP_MAX; k++)
		if (scanner_data_fits(sc, q->items[(q->head + k) %
		    QUEUE_LEN].size))
			return k;
	return 0;
}

/*
 * 0 and an item, or -1 when the queue is finished and empty. *ahead gets
 * a descriptor (a duplicate, the caller's to close) of the file la
 * places further on, or -1 if there is none yet, for prefetch(): with la
 * = the number of workers, each file is read ahead once, about one file
 * per worker before its turn.
 */
static int
queue_get(struct queue *q, struct scanner *sc, struct item *it, size_t la,
    int *ahead)
{
	const struct item	*a;
	size_t			 k;

	pthread_mutex_lock(&q->lock);
	while (q->n == 0 && !q->done)
		pthread_cond_wait(&q->more, &q->lock);
	if (q->n == 0) {
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	/* the item picked leaves the line; the ones before it move up */
	k = queue_pick(q, sc);
	*it = q->items[(q->head + k) % QUEUE_LEN];
	for (; k > 0; k--)
		q->items[(q->head + k) % QUEUE_LEN] =
		    q->items[(q->head + k - 1) % QUEUE_LEN];
	q->head = (q->head + 1) % QUEUE_LEN;
	q->n--;
	*ahead = -1;
	if (la > 0 && la <= q->n) {
		a = &q->items[(q->head + la - 1) % QUEUE_LEN];
		if (a->fd != -1)	/* not closed while we hold the lock */
			*ahead = fcntl(a->fd, F_DUPFD_CLOEXEC, 0);
	}
	pthread_cond_signal(&q->room);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

/* ---- workers ---- */

/* A PATH operand may be a symbolic link to a file (followed, as yara
 * does): open it following links, but still never open a special
 * file. */
static void
scan_operand(struct run *run, struct scanner_result *r, const char *path)
{
	struct stat	st;
	int		fd;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (fd = open(path,
	    O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) != -1) {
		scanner_scan_fd(run->sc, r, fd, path);
		close(fd);
	} else
		scanner_scan_path(run->sc, r, path);	/* says why not */
}

/*
 * Ask the kernel to start reading a file that a worker will scan soon, so
 * that its disk reads overlap the scans of the files before it: the
 * scanner reads a file whole before scanning it, which alone would leave
 * a core idle during every read of a cold file (signature-base, cold
 * cache: 39.6 s without this, yara -p 2 31.9 s). Regular files only, as
 * the scanner checks them; best effort.
 */
static void
prefetch(const struct run *run, int fd)
{
	struct stat	st;

	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (run->o->max_size ==
	    0 || (uint64_t)st.st_size <= run->o->max_size))
		(void)posix_fadvise(fd, 0, st.st_size, POSIX_FADV_WILLNEED);
	(void)close(fd);
}

/* A clean verdict for the file the walker saw (the same device, inode,
 * size and mtime when it was opened), recorded with the walker's state,
 * which predates the read: a file changed since misses next time. */
static void
remember(struct run *run, const struct scanner_result *r,
    const struct stat *st)
{
	if (run->cache == NULL || st == NULL || r->status != SCAN_CLEAN ||
	    !r->have_stat || r->device != (uint64_t)st->st_dev ||
	    r->inode != (uint64_t)st->st_ino ||
	    r->size != (uint64_t)st->st_size ||
	    r->mtime_us != (int64_t)st->st_mtim.tv_sec * 1000000 +
	    st->st_mtim.tv_nsec / 1000)
		return;
	(void)scancache_store(run->cache, st, scanner_info(run->sc)->verdicts,
	    1);		/* a failed write only costs a scan next time */
}

static void *
worker(void *arg)
{
	struct run		*run = arg;
	struct scanner_result	 r;
	struct item		 it;
	int			 ahead;

	while (queue_get(&run->q, run->sc, &it, (size_t)run->o->threads,
	    &ahead) == 0) {
		prefetch(run, ahead);
		if (it.fd == -1)
			scan_operand(run, &r, it.path);
		else {
			scanner_scan_fd(run->sc, &r, it.fd, it.path);
			(void)close(it.fd);
		}
		report(run, &r, it.operand);
		remember(run, &r, it.st);
		scanner_result_clear(&r);
		free(it.st);
		free(it.path);
	}
	return NULL;
}

/* ---- the walk ---- */

/* Scanned clean before with these rules and unchanged since: counted as a
 * clean file, not read. */
static int
unchanged(struct run *run, const struct stat *st)
{
	if (run->cache == NULL || scancache_lookup(run->cache, st,
	    scanner_info(run->sc)->verdicts) != SCANCACHE_CLEAN)
		return 0;
	pthread_mutex_lock(&run->out_lock);
	run->files++;
	run->unchanged++;
	pthread_mutex_unlock(&run->out_lock);
	return 1;
}

static int
w_step(void *arg, const char *path)
{
	(void)arg;
	(void)path;
	return 0;
}

/* A regular file the walk met: opened beside its folder and queued. */
static void
w_file(void *arg, int dirfd, const char *name, const char *path,
    size_t len, const struct stat *wst)
{
	struct run		*run = arg;
	struct safeopen_why	 why;
	struct stat		*st = NULL;
	char			*p, r[128];
	int			 fd;

	if (unchanged(run, wst))
		return;
	if (safeopen_file(&fd, NULL, run->mt, dirfd, name, &why) != 0) {
		if (why.what == SAFEOPEN_GONE)
			return;		/* deleted since the listing */
		report_problem(run, path, 0, why.what == SAFEOPEN_XDEV ?
		    SCAN_OTHER_FS : why.what == SAFEOPEN_SPECIAL ?
		    SCAN_SPECIAL : SCAN_UNREADABLE, "%s",
		    safeopen_reason(&why, r, sizeof(r)));
		return;
	}
	if ((p = strndup(path, len)) == NULL || (run->cache != NULL &&
	    (st = malloc(sizeof(*st))) == NULL)) {
		free(p);
		(void)close(fd);
		report_problem(run, path, 0, SCAN_ERROR, "out of memory");
		return;
	}
	if (st != NULL)
		*st = *wst;
	queue_put(&run->q, fd, p, st, (uint64_t)wst->st_size, 0);
}

/* Something the walk did not enter. The kernel's own mounts (/proc, /sys
 * below a PATH) are not file systems of files: passed over quietly. */
static void
w_skip(void *arg, const char *path, const struct treewalk_skipped *sk)
{
	struct run	*run = arg;
	char		 reason[160];

	if (sk->what == TREEWALK_XDEV && sk->why.kind == MOUNTINFO_SYSTEM) {
		log_debug("%s: kernel file system, not entered", path);
		return;
	}
	(void)treewalk_reason(sk, reason, sizeof(reason));
	report_problem(run, path, 0, sk->what == TREEWALK_XDEV ?
	    SCAN_OTHER_FS : sk->what == TREEWALK_LOOP ? SCAN_ERROR :
	    SCAN_UNREADABLE, "%s", reason);
}

/* A FIFO, socket or device inside a folder: reported, never opened. */
static void
w_other(void *arg, const char *path, const struct stat *st)
{
	report_problem(arg, path, 0, SCAN_SPECIAL, "%s",
	    safeopen_kind(st->st_mode));
}

static const struct treewalk_cb walk_cb = {
	.step = w_step, .file = w_file, .other = w_other, .skip = w_skip,
};

/* One PATH operand: a folder is walked, anything else scanned as it is
 * (a regular file), or reported. Links are followed, as yara does. */
static int
walk_operand(struct run *run, const char *path)
{
	struct treewalk_stats	 ts;
	struct stat		 st;
	char			*p;
	int			 fd, rc;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		report_problem(run, path, 1, SCAN_UNREADABLE, "%s",
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = treewalk_fd(fd, path, run->mt, WALK_HELPERS, &walk_cb,
		    run, &ts);
		(void)close(fd);
		log_debug("%s: %" PRIu64 " files in %" PRIu64 " folders, %"
		    PRIu64 " places not entered", path, ts.files, ts.folders,
		    ts.skipped);
		return rc;
	}
	(void)close(fd);
	if (!S_ISREG(st.st_mode)) {
		report_problem(run, path, 1, SCAN_SPECIAL, "%s",
		    safeopen_kind(st.st_mode));
		return 0;
	}
	if ((p = strdup(path)) == NULL) {
		report_problem(run, path, 1, SCAN_ERROR, "out of memory");
		return ERR_NOMEM;
	}
	queue_put(&run->q, -1, p, NULL, (uint64_t)st.st_size, 1);
	return 0;
}

static int
walk(struct run *run, char **paths)
{
	int	i, rc = 0;

	for (i = 0; paths[i] != NULL && rc == 0; i++)
		if ((rc = walk_operand(run, paths[i])) != 0)
			log_warnx("%s: the walk stopped: %s", paths[i],
			    vigil_strerror(rc));
	return rc;
}

/*
 * The queue holds a descriptor per file: raise the soft limit of open
 * files towards the hard one for it (the other descriptors: the walk's
 * folders, the workers', the rules), or make the queue shorter.
 */
static size_t
queue_room(void)
{
	struct rlimit	rl;
	rlim_t		want = QUEUE_LEN + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 64;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > want ? want : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return 64;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return QUEUE_LEN;
	if (rl.rlim_cur < FD_RESERVE + 64)
		return 64;	/* a tight limit: files may be reported as
				 * unreadable (EMFILE), nothing else */
	return (size_t)(rl.rlim_cur - FD_RESERVE);
}

/* ---- the command ---- */

/*
 * The lists, then the rules looking hashes up in them. Lists named with
 * --ioc must load; the default ones may be missing (a warning).
 */
static int
load(struct run *run, const struct scan_opts *o, const char *cache_dir)
{
	struct scanner_opts	so;
	struct ioc_stats	st;
	int			rc;

	if (o->niocs > 0 && (rc = iocdb_load(&run->ioc, o->iocs, o->niocs,
	    ioc_log_bad, NULL, &st)) != 0) {
		log_warnx("indicator lists not loaded: %s",
		    vigil_strerror(rc));
		if (o->iocs_given)
			return rc;
	} else if (o->niocs > 0)
		log_debug("indicator lists: %llu SHA-256 hashes (%llu bad "
		    "lines)", (unsigned long long)st.hashes,
		    (unsigned long long)st.bad_lines);
	memset(&so, 0, sizeof(so));
	so.max_size = o->max_size;
	so.timeout = o->timeout;
	so.cache_dir = cache_dir;
	so.ioc = run->ioc;
	if ((rc = scanner_load(&run->sc, o->rules, o->nrules, &so)) != 0)
		log_warnx("no rules loaded: %s", vigil_strerror(rc));
	return rc;
}

static void
summary(const struct run *run, const struct timespec *t0)
{
	struct timespec	t1;
	struct rusage	ru;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		ru.ru_maxrss = 0;
	log_debug("scanned %" PRIu64 " files (%" PRIu64 " unchanged since a "
	    "clean scan) in %.3f s: %" PRIu64 " matches, %" PRIu64 " not "
	    "scanned; peak RSS %ld KiB", run->files, run->unchanged,
	    (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9, run->matches,
	    run->problems, ru.ru_maxrss);
}

static int
scan(struct run *run, char **paths)
{
	pthread_t	tid[THREADS_MAX];
	int		i, n = 0, rc;

	for (i = 0; i < run->o->threads; i++) {
		if (pthread_create(&tid[i], NULL, worker, run) != 0) {
			log_warnx("cannot start a scanning thread");
			break;
		}
		n++;
	}
	rc = n > 0 ? walk(run, paths) : ERR_NOMEM;
	queue_finish(&run->q);
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	return rc;
}

static int
run_scan(const struct scan_opts *o, char **paths, const char *cache_dir)
{
	struct run	run;
	struct timespec	t0;
	int		rc;

	memset(&run, 0, sizeof(run));
	run.o = o;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = scanner_global_init()) != 0)
		return 1;
	if ((rc = load(&run, o, cache_dir)) != 0)
		goto done;
	if (scanner_info(run.sc)->failed > 0)
		run.failed = 1;
	if (o->cache != NULL && scancache_open(&run.cache, o->cache) != 0)
		log_warnx("%s: cannot open the scan cache; scanning every "
		    "file", o->cache);
	if ((rc = mounttab_new(&run.mt, o->remote ? MOUNTTAB_ALL :
	    MOUNTTAB_LOCAL)) != 0)
		log_warnx("cannot read the mount table (%s): no other file "
		    "system below a PATH is entered", vigil_strerror(rc));
	if ((rc = queue_init(&run.q)) != 0)
		goto done;
	run.q.len = queue_room();
	if (pthread_mutex_init(&run.out_lock, NULL) != 0) {
		queue_destroy(&run.q);
		rc = ERR_NOMEM;
		goto done;
	}
	rc = scan(&run, paths);
	if (fflush(stdout) == EOF || ferror(stdout))
		run.failed = 1;
	summary(&run, &t0);
	pthread_mutex_destroy(&run.out_lock);
	queue_destroy(&run.q);
done:
	scancache_close(run.cache);
	mounttab_free(run.mt);
	scanner_free(run.sc);
	iocdb_free(run.ioc);	/* after the scanner, which borrows it */
	scanner_global_fini();
	return rc != 0 || run.failed ? 1 : 0;
}

static void
help_paths(const char *const *p, size_t n, const char *none)
{
	size_t	i;

	for (i = 0; i < n; i++)
		printf("%s%s", i > 0 ? ", " : "", p[i]);
	if (n == 0)
		printf("%s", none);
}

/* A default list src[0..n) for an option not given (*ndst 0). */
static void
fill(const char **dst, size_t *ndst, size_t max, const char *const *src,
    size_t n)
{
	if (*ndst > 0)
		return;
	for (; *ndst < n && *ndst < max; (*ndst)++)
		dst[*ndst] = src[*ndst];
}

int
scan_cmd_run(int argc, char **argv, const struct scan_cmd_defaults *d)
{
	struct scan_opts	o;
	int			rc = 0;

	if ((rc = parse_opts(&o, argc, argv)) != 0)
		return cli_exit(rc);
	if (o.help) {
		printf("%s", help_head);
		help_paths(d->rules, d->nrules, "none (--rules is required)");
		printf("%s", help_mid);
		help_paths(d->iocs, d->niocs, "none");
		printf("%s", help_tail);
		return fflush(stdout) == EOF ? 1 : 0;
	}
	if (optind >= argc)
		rc = usage_error("no PATH to scan");
	else if (o.nrules == 0 && d->nrules == 0)
		rc = usage_error("no rules: give --rules FILE|DIR");
	if (rc != 0)
		return cli_exit(rc);
	fill(o.rules, &o.nrules, RULES_MAX, d->rules, d->nrules);
	fill(o.iocs, &o.niocs, IOC_MAX, d->iocs, d->niocs);
	if (d->remote_fs)
		o.remote = 1;
	return run_scan(&o, argv + optind, d->cache_dir);
}
