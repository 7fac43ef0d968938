/*
 * scanner.c: YARA rule sets and one-file scans with libyara.
 *
 * Loading (start and reload, one thread): read every candidate rule file
 * into memory; if the compiled cache holds the version of all of them,
 * load it and stop. Otherwise compile them all together, each file in its
 * own namespace; when that succeeds (the usual case) it was the only
 * compile. When it fails, compile each file alone (its own YR_COMPILER,
 * errors logged as FILE:LINE: message, bad files dropped), then the good
 * ones together again. A file that only fails in company is dropped and
 * the combination recompiled, so one bad file never costs the others.
 * (Checking every file alone first would double the cost of a good set:
 * 2.3 s instead of 1.0 s for signature-base's 741 files.) The compiled
 * set is saved for the next start (0.2 s to load it back). The text
 * compiled is the text hashed into the version (both come from the same
 * buffer), and includes are refused, so the version names exactly what
 * was compiled. The scan worker gets the same texts from a bundle the
 * daemon made (scanner_rules_bundle: the files read as root, never
 * parsed there) and its cache as descriptors (scanner_cache_offer), so
 * it compiles with no privilege and the version is the same either way.
 *
 * Scanning (any number of threads): each scan borrows a slot (a
 * YR_SCANNER and a read buffer) from the scanner's idle list, so the
 * shared YR_RULES is only read. The file is read through the descriptor
 * that fstat checked, into the slot's buffer, and scanned with
 * yr_scanner_scan_mem. Not yr_scanner_scan_fd: it mmaps the file, and a
 * file truncated during the scan then raises SIGBUS; libyara 4.2.3
 * catches that by installing and restoring process-wide SIGBUS/SIGSEGV
 * handlers around every scan (YR_TRYCATCH), which is racy between
 * threads (yara issue #818, fixed in 4.5.0 by PR #2020): a later crash
 * can turn into a silent endless loop. Reading costs one copy from the
 * page cache and makes truncation a short read, so SCAN_FLAGS_NO_TRYCATCH
 * is set and no handler is touched.
 *
 * Memory (docs/benchmarks.md, "Scanning web content"): the rules (their
 * relocation list freed after loading), one YR_SCANNER and one buffer
 * per slot (kept up to SLOT_KEEP bytes; a larger file gets its own
 * mapping, unmapped after), the file data of the scans running, at most
 * DATA_BUDGET bytes together (a larger file runs alone), and libyara's
 * match lists. Those grow with content, not rules: libyara keeps a
 * record of every match of every string, up to a million per string,
 * with a copy of the matched bytes. We never report the bytes, so none
 * are copied (YR_CONFIG_MAX_MATCH_DATA 0), and fast mode
 * (SCAN_FLAGS_FAST_MODE) stops looking for a string once it has matched
 * unless a condition counts it or asks where (#a, @a, !a, "in"): the same
 * verdicts, and 610 of signature-base's 32,955 strings can still grow a
 * list. A string over the million is reported (too_many), not dropped
 * silently.
 *
 * Invariants: a struct scanner never changes after scanner_load; the
 * idle list, the owner cache and the data admission are the only shared
 * mutable state, each under sc->lock. Load per file: a handful of
 * syscalls (lstat, open, fstat, pread, close) plus the scan; SHA-256 only
 * for files that match, from the buffer that was scanned, or for every
 * file read when the lists hold hashes, then one hash-table probe.
 * SHA-256 is OpenSSL's, as file integrity's (fim.c): 1.1 GB/s with the
 * CPU's SHA extensions, 0.48 without, where libsodium's portable one
 * does 0.36 (bench_hashes); over /usr/share (900 MB, 57,000 files) the
 * hashing adds 0.4 s of CPU to the scans' 3.5 s, libsodium's would add
 * 2.2 s (docs/benchmarks.md, "Hashing every scanned file").
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <yara.h>

#include "digest.h"
#include "err.h"
#include "event.h"
#include "log.h"
#include "pathset.h"
#include "safeopen.h"
#include "scanner.h"
#include "text.h"

#define VERSION_TAG	"vigil-scanner-1"	/* externals, no includes */
#define VERDICTS_TAG	"vigil-verdicts-1"	/* rules + listed hashes */
#define RULES_FILE_MAX	(16U << 20)		/* one rule file */
#define SLOT_KEEP	(1U << 20)		/* buffer kept per slot */
#define DATA_BUDGET	SCANNER_DATA_BUDGET
#define MATCH_DATA	0			/* bytes copied per match */
#define MAX_SLOTS	YR_MAX_THREADS		/* concurrent scans */
#define OWNER_CACHE	64
#define CACHE_KEEP	4			/* compiled sets kept */
#define CACHE_LIST	64
#define SET_PREFIX	"set-"		/* named by the process that compiled */
#define BUNDLE_PREFIX	"bundle-"	/* a worker's, named by the daemon */
#define OLD_PREFIX	"rules-"	/* named after a worker's word: removed */
#define KEY_TAG		"vigil-bundle-key-1"
#define YARC_MAGIC	"vigil-yarc-1\n\0\0"	/* a worker's set, 16 bytes */
#define MAGIC_LEN	16
#define MAX_STRINGS	64			/* identifiers per alert */
#define MAX_META	32			/* meta entries per alert */
#define META_STR_MAX	256			/* bytes of a meta value */
#define DEFAULT_CATEGORY "Malware"

static const char *const externals[] = {
	"filename", "filepath", "extension", "filetype", "owner"
};
#define NEXTERNALS	(sizeof(externals) / sizeof(externals[0]))

/* ---- process-wide state ---- */

/* libyara's initialisation is process-wide and not thread-safe; this
 * count is the one piece of global state the module keeps. */
static pthread_mutex_t	global_lock = PTHREAD_MUTEX_INITIALIZER;
static int		global_refs;

int
scanner_global_init(void)
{
	int	rc = 0;

	pthread_mutex_lock(&global_lock);
	if (global_refs == 0) {
		if (sodium_init() < 0 || yr_initialize() != ERROR_SUCCESS ||
		    yr_set_configuration_uint32(YR_CONFIG_MAX_MATCH_DATA,
		    MATCH_DATA) != ERROR_SUCCESS) {
			log_warnx("scanner: cannot initialise libyara");
			rc = ERR_NOMEM;
		}
	}
	if (rc == 0)
		global_refs++;
	pthread_mutex_unlock(&global_lock);
	return rc;
}

void
scanner_global_fini(void)
{
	pthread_mutex_lock(&global_lock);
	if (global_refs > 0 && --global_refs == 0)
		yr_finalize();
	pthread_mutex_unlock(&global_lock);
}

/* ---- the scanner object ---- */

struct slot {
	YR_SCANNER	*ys;
	uint8_t		*buf;		/* mmap'd, cap bytes */
	size_t		 cap;
};

struct owner {
	uint32_t	uid;
	char		name[SCANNER_OWNER_MAX];
};

struct scanner {
	YR_RULES		*rules;
	const struct iocdb	*ioc;		/* NULL: no hash listed */
	int			 sha256_all;	/* hash every file read */
	uint64_t		 max_size;
	int			 timeout;
	struct scanner_info	 info;
	pthread_mutex_t		 lock;		/* idle, owners, data */
	pthread_cond_t		 turn;		/* data admission */
	uint64_t		 ticket, serving;
	size_t			 held;		/* file bytes being scanned */
	struct slot		*idle[MAX_SLOTS];
	size_t			 nidle;
	size_t			 nslots;	/* in use + idle */
	struct owner		 owners[OWNER_CACHE];
	size_t			 nowners;	/* filled; then round robin */
};

/* A candidate rule file, read whole. */
struct rfile {
	char		*path;
	char		*ns;
	char		*text;		/* NUL-terminated; NULL if unreadable */
	size_t		 len;
	dev_t		 dev;
	ino_t		 ino;
	int64_t		 mtime;		/* seconds */
	int		 bad;
	int		 dropped;	/* bad: the compiler refused it (not
					 * the source: unreadable) */
};

struct rset {
	struct rfile	*f;
	size_t		 n, cap;
};

static void
slot_free(struct slot *s)
{
	if (s == NULL)
		return;
	if (s->ys != NULL)
		yr_scanner_destroy(s->ys);
	if (s->buf != NULL)
		munmap(s->buf, s->cap);
	free(s);
}

void
scanner_free(struct scanner *sc)
{
	size_t	i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->nidle; i++)
		slot_free(sc->idle[i]);
	if (sc->rules != NULL)
		yr_rules_destroy(sc->rules);
	pthread_cond_destroy(&sc->turn);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
}

const struct scanner_info *
scanner_info(const struct scanner *sc)
{
	return &sc->info;
}

/* ---- collecting rule files ---- */

static void
rset_clear(struct rset *rs)
{
	size_t	i;

	for (i = 0; i < rs->n; i++) {
		free(rs->f[i].path);
		free(rs->f[i].ns);
		free(rs->f[i].text);
	}
	free(rs->f);
	memset(rs, 0, sizeof(*rs));
}

static struct rfile *
rset_new(struct rset *rs, const char *path)
{
	struct rfile	*f;
	size_t		 cap;

	if (rs->n == rs->cap) {
		cap = rs->cap ? rs->cap * 2 : 16;
		if ((f = reallocarray(rs->f, cap, sizeof(*f))) == NULL)
			return NULL;
		rs->f = f;
		rs->cap = cap;
	}
	f = &rs->f[rs->n];
	memset(f, 0, sizeof(*f));
	if ((f->path = strdup(path)) == NULL)
		return NULL;
	rs->n++;
	return f;
}

/* Read f->path whole. Problems are logged and leave f->bad set; only
 * ERR_NOMEM is returned. */
static int
rfile_read(struct rfile *f)
{
	struct stat	 st;
	ssize_t		 r;
	size_t		 got = 0;
	int		 fd, rc = 0;

	f->bad = 1;
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		log_warn("rules %s", f->path);
		return 0;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("rules %s", f->path);
		goto done;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > RULES_FILE_MAX) {
		log_warnx("rules %s: %s", f->path, S_ISREG(st.st_mode) ?
		    "too large (16 MiB at most)" : "not a regular file");
		goto done;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->mtime = (int64_t)st.st_mtim.tv_sec;
	if ((f->text = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = ERR_NOMEM;
		goto done;
	}
	while (got < (size_t)st.st_size && (r = read(fd, f->text + got,
	    (size_t)st.st_size - got)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("rules %s", f->path);
			goto done;
		}
		got += (size_t)r;
	}
	f->text[got] = '\0';
	f->len = got;
	if (memchr(f->text, '\0', got) != NULL)
		log_warnx("rules %s: contains a NUL byte", f->path);
	else
		f->bad = 0;
done:
	close(fd);
	return rc;
}

static void
rset_drop_texts(struct rset *rs)
{
	size_t	i;

	for (i = 0; i < rs->n; i++) {
		free(rs->f[i].text);
		rs->f[i].text = NULL;
	}
}

static int
rset_add_file(struct rset *rs, const char *path)
{
	struct rfile	*f;
	size_t		 i;
	int		 rc;

	if ((f = rset_new(rs, path)) == NULL)
		return ERR_NOMEM;
	if ((rc = rfile_read(f)) != 0 || f->bad)
		return rc;
	for (i = 0; i + 1 < rs->n; i++) {
		if (rs->f[i].text != NULL && rs->f[i].dev == f->dev &&
		    rs->f[i].ino == f->ino) {
			log_debug("rules %s: same file as %s", path,
			    rs->f[i].path);
			free(f->path);
			free(f->text);
			rs->n--;
			break;
		}
	}
	return 0;
}

static int
rules_name(const struct dirent *de)
{
	const char	*dot;

	if (de->d_name[0] == '.')
		return 0;
	if ((dot = strrchr(de->d_name, '.')) == NULL)
		return 0;
	return strcmp(dot, ".yar") == 0 || strcmp(dot, ".yara") == 0;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The *.yar and *.yara files of dir, in byte order, not recursive. */
static int
rset_add_dir(struct rset *rs, const char *dir)
{
	struct dirent	**de = NULL;
	char		  path[PATH_MAX];
	int		  n, i, rc = 0;

	if ((n = scandir(dir, &de, rules_name, name_cmp)) == -1) {
		log_warn("rules %s", dir);
		return errno == ENOMEM ? ERR_NOMEM : 0;
	}
	if (n == 0)
		log_warnx("rules %s: no *.yar or *.yara file", dir);
	for (i = 0; i < n; i++) {
		if (pathset_join(path, sizeof(path), dir, de[i]->d_name) != 0)
			log_warnx("rules %s/%s: path too long", dir,
			    de[i]->d_name);
		else if (rc == 0)
			rc = rset_add_file(rs, path);
		free(de[i]);
	}
	free(de);
	return rc;
}

static int
rfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rfile *)a)->path,
	    ((const struct rfile *)b)->path);
}

static int
ns_taken(const struct rset *rs, size_t upto, const char *ns)
{
	size_t	j;

	for (j = 0; j < upto; j++)
		if (strcmp(rs->f[j].ns, ns) == 0)
			return 1;
	return 0;
}

/* Namespace: the base name, made unique with "~N". */
static int
rset_namespaces(struct rset *rs)
{
	const char	*base;
	char		 ns[NAME_MAX + 24];
	size_t		 i, k;

	for (i = 0; i < rs->n; i++) {
		base = strrchr(rs->f[i].path, '/');
		base = base != NULL ? base + 1 : rs->f[i].path;
		snprintf(ns, sizeof(ns), "%.*s", NAME_MAX, base);
		for (k = 2; ns_taken(rs, i, ns); k++)
			snprintf(ns, sizeof(ns), "%.*s~%zu", NAME_MAX, base, k);
		if ((rs->f[i].ns = strdup(ns)) == NULL)
			return ERR_NOMEM;
	}
	return 0;
}

/* Where the rule files come from: paths opened here, or the bundle the
 * daemon made of them (the scan worker's). */
struct rsrc {
	const char *const	*paths;
	size_t			 npaths;
	int			 bundle;	/* -1: the paths */
};

static int
rset_open_paths(struct rset *rs, const char *const *paths, size_t npaths)
{
	struct stat	st;
	size_t		i;
	int		rc = 0;

	for (i = 0; i < npaths && rc == 0; i++) {
		if (stat(paths[i], &st) == -1) {
			log_warn("rules %s", paths[i]);
			rc = rset_new(rs, paths[i]) == NULL ? ERR_NOMEM : 0;
			if (rc == 0)
				rs->f[rs->n - 1].bad = 1;
		} else if (S_ISDIR(st.st_mode))
			rc = rset_add_dir(rs, paths[i]);
		else
			rc = rset_add_file(rs, paths[i]);
	}
	return rc;
}

/* ---- the bundle: rule files read by the daemon, for the worker ---- */

/*
 * A sealed memfd: BUNDLE_MAGIC, then per file a struct bundle_rec, the
 * path (pathlen bytes, no NUL) and the text (len bytes). A file the
 * daemon could not read is a record with bad 1 and no text (the daemon
 * logged why), so that the worker counts it as skipped. Host order: both
 * ends are one build on one machine. The worker checks every length
 * against what is left, as it would a stranger's.
 */
#define BUNDLE_MAGIC		"vigil-rules-1\n"
#define BUNDLE_FILES_MAX	65536

struct bundle_rec {
	uint32_t	bad;
	uint32_t	pathlen;
	uint64_t	len;
	int64_t		mtime;
};
_Static_assert(sizeof(struct bundle_rec) == 24, "no padding in a record");

/* Read len bytes at off; short: -1 with errno, or 0 with *got < len. */
static int
pread_at(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	ssize_t	n;

	*got = 0;
	while (*got < len) {
		n = pread(fd, (uint8_t *)buf + *got, len - *got,
		    (off_t)(off + *got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
bundle_write(int fd, const struct rset *rs)
{
	struct bundle_rec	h;
	size_t			i;
	int			rc;

	if ((rc = write_all(fd, BUNDLE_MAGIC, sizeof(BUNDLE_MAGIC))) != 0)
		return rc;
	for (i = 0; i < rs->n && rc == 0; i++) {
		memset(&h, 0, sizeof(h));
		h.bad = rs->f[i].bad != 0;
		h.pathlen = (uint32_t)strlen(rs->f[i].path);
		h.len = h.bad ? 0 : rs->f[i].len;
		h.mtime = rs->f[i].mtime;
		if ((rc = write_all(fd, &h, sizeof(h))) == 0 &&
		    (rc = write_all(fd, rs->f[i].path, h.pathlen)) == 0 &&
		    !h.bad)
			rc = write_all(fd, rs->f[i].text, (size_t)h.len);
	}
	return rc;
}

int
scanner_rules_bundle(int *out, const char *const *paths, size_t npaths)
{
	struct rset	rs = { NULL, 0, 0 };
	int		fd = -1, rc;

	*out = -1;
	if ((rc = rset_open_paths(&rs, paths, npaths)) != 0)
		goto fail;
	if (rs.n > BUNDLE_FILES_MAX) {
		log_warnx("rules: %zu files, over %d", rs.n, BUNDLE_FILES_MAX);
		rc = ERR_TOOBIG;
		goto fail;
	}
	rc = ERR_IO;
	if ((fd = memfd_create("vigil-rules", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1 || bundle_write(fd, &rs) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK |
	    F_SEAL_GROW | F_SEAL_WRITE) == -1) {
		log_warn("rules: the worker's copy");
		goto fail;
	}
	rset_clear(&rs);
	*out = fd;
	return 0;
fail:
	if (fd != -1)
		(void)close(fd);
	rset_clear(&rs);
	return rc;
}

/* len bytes at *off of a bundle of size bytes, or ERR_MALFORMED. */
static int
bundle_get(int fd, void *buf, size_t len, uint64_t *off, uint64_t size)
{
	size_t	got;

	if (len > size - *off || pread_at(fd, buf, len, *off, &got) != 0 ||
	    got != len)
		return ERR_MALFORMED;
	*off += len;
	return 0;
}

static int
bundle_file(struct rset *rs, int fd, uint64_t *off, uint64_t size)
{
	struct bundle_rec	 h;
	struct rfile		*f;
	char			 path[PATH_MAX];

	if (rs->n == BUNDLE_FILES_MAX ||
	    bundle_get(fd, &h, sizeof(h), off, size) != 0 ||
	    h.pathlen == 0 || h.pathlen >= sizeof(path) || h.bad > 1 ||
	    h.len > (h.bad ? 0 : RULES_FILE_MAX) ||
	    bundle_get(fd, path, h.pathlen, off, size) != 0)
		return ERR_MALFORMED;
	path[h.pathlen] = '\0';
	if (memchr(path, '\0', h.pathlen) != NULL)
		return ERR_MALFORMED;
	if ((f = rset_new(rs, path)) == NULL)
		return ERR_NOMEM;
	f->mtime = h.mtime;
	if ((f->bad = (int)h.bad) != 0)
		return 0;
	if ((f->text = malloc((size_t)h.len + 1)) == NULL)
		return ERR_NOMEM;
	if (bundle_get(fd, f->text, (size_t)h.len, off, size) != 0)
		return ERR_MALFORMED;
	f->text[h.len] = '\0';
	f->len = (size_t)h.len;
	return memchr(f->text, '\0', f->len) != NULL ? ERR_MALFORMED : 0;
}

static int
rset_unbundle(struct rset *rs, int fd)
{
	struct stat	st;
	char		magic[sizeof(BUNDLE_MAGIC)];
	uint64_t	off = 0, size;
	int		rc = ERR_MALFORMED;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		goto fail;
	size = (uint64_t)st.st_size;
	if (bundle_get(fd, magic, sizeof(magic), &off, size) != 0 ||
	    memcmp(magic, BUNDLE_MAGIC, sizeof(magic)) != 0)
		goto fail;
	while (off < size)
		if ((rc = bundle_file(rs, fd, &off, size)) != 0)
			goto fail;
	return 0;
fail:
	if (rc != ERR_NOMEM)
		log_warnx("rules: the daemon's copy of the rule files is "
		    "malformed");
	return rc;
}

static int
rset_collect(struct rset *rs, const struct rsrc *src)
{
	int	rc;

	rc = src->bundle != -1 ? rset_unbundle(rs, src->bundle) :
	    rset_open_paths(rs, src->paths, src->npaths);
	if (rc != 0)
		return rc;
	if (rs->n > 1)
		qsort(rs->f, rs->n, sizeof(rs->f[0]), rfile_cmp);
	return rset_namespaces(rs);
}

static size_t
rset_good(const struct rset *rs)
{
	size_t	i, n = 0;

	for (i = 0; i < rs->n; i++)
		n += !rs->f[i].bad;
	return n;
}

/* The newest modification time of the good files: the set's age. */
static int64_t
rset_newest(const struct rset *rs)
{
	int64_t	t = 0;
	size_t	i;

	for (i = 0; i < rs->n; i++)
		if (!rs->f[i].bad && rs->f[i].mtime > t)
			t = rs->f[i].mtime;
	return t;
}

/* BLAKE2b-256 of the tag, the libyara version and each good file's path
 * and content (length-prefixed), in path order. */
static void
rset_version(char out[static SCANNER_VERSION_LEN + 1], const struct rset *rs)
{
	crypto_generichash_state	st;
	uint8_t				h[SCANNER_VERSION_LEN / 2], len[8];
	size_t				i, k;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)VERSION_TAG,
	    sizeof(VERSION_TAG));
	crypto_generichash_update(&st, (const uint8_t *)YR_VERSION,
	    sizeof(YR_VERSION));
	for (i = 0; i < rs->n; i++) {
		if (rs->f[i].bad)
			continue;
		crypto_generichash_update(&st, (const uint8_t *)rs->f[i].path,
		    strlen(rs->f[i].path) + 1);
		for (k = 0; k < 8; k++)
			len[k] = (uint8_t)((uint64_t)rs->f[i].len >> (8 * k));
		crypto_generichash_update(&st, len, sizeof(len));
		crypto_generichash_update(&st, (const uint8_t *)rs->f[i].text,
		    rs->f[i].len);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, SCANNER_VERSION_LEN + 1, h, sizeof(h));
}

/* ---- compiling ---- */

struct cstate {
	const char	*path;		/* file being added */
	const char	*when;		/* "" or " (with the other files)" */
	int		 errors;
	int		 quiet;		/* count errors, do not log them */
};

static void
compile_cb(int level, const char *file, int line, const YR_RULE *rule,
    const char *msg, void *arg)
{
	struct cstate	*cs = arg;

	if (level == YARA_ERROR_LEVEL_WARNING) {
		if (!cs->quiet)
			log_debug("%s:%d: warning: %s", cs->path, line, msg);
		return;
	}
	cs->errors++;
	if (!cs->quiet)
		log_warnx("%s:%d: %s%s", cs->path, line, msg, cs->when);
}

static int
compiler_new(YR_COMPILER **out, struct cstate *cs)
{
	size_t	i;

	if (yr_compiler_create(out) != ERROR_SUCCESS)
		return ERR_NOMEM;
	yr_compiler_set_callback(*out, compile_cb, cs);
	/* a rule file stands alone: its text is all the version covers */
	yr_compiler_set_include_callback(*out, NULL, NULL, NULL);
	for (i = 0; i < NEXTERNALS; i++) {
		if (yr_compiler_define_string_variable(*out, externals[i],
		    "") != ERROR_SUCCESS) {
			yr_compiler_destroy(*out);
			*out = NULL;
			return ERR_NOMEM;
		}
	}
	return 0;
}

/* Compile each good file alone; mark the ones with errors. */
static int
rset_check(struct rset *rs)
{
	YR_COMPILER	*c;
	struct cstate	 cs = { NULL, "", 0, 0 };
	size_t		 i;
	int		 rc;

	for (i = 0; i < rs->n; i++) {
		if (rs->f[i].bad)
			continue;
		if ((rc = compiler_new(&c, &cs)) != 0)
			return rc;
		cs.path = rs->f[i].path;
		cs.errors = 0;
		if (yr_compiler_add_string(c, rs->f[i].text,
		    rs->f[i].ns) != 0 || cs.errors > 0) {
			log_warnx("rules %s: skipped", rs->f[i].path);
			rs->f[i].bad = rs->f[i].dropped = 1;
		}
		yr_compiler_destroy(c);
	}
	return 0;
}

/*
 * All good files in one set. A file that fails here is marked and *again
 * set: the caller recomputes the version and comes back. quiet: the
 * first, optimistic attempt, made before checking files alone; a failure
 * is not logged or marked, just reported in *again, and each file's text
 * is freed once the compiler has it (signature-base: 8.5 MB less at the
 * peak, which is while the rule set is built), so after a failure the
 * caller reads the files again.
 */
static int
rset_compile(struct rset *rs, YR_RULES **out, int quiet, int *again)
{
	YR_COMPILER	*c;
	struct cstate	 cs = { NULL, " (with the other rule files)", 0, 0 };
	size_t		 i;
	int		 rc;

	*out = NULL;
	*again = 0;
	cs.quiet = quiet;
	if ((rc = compiler_new(&c, &cs)) != 0)
		return rc;
	for (i = 0; i < rs->n; i++) {
		if (rs->f[i].bad)
			continue;
		cs.path = rs->f[i].path;
		if (yr_compiler_add_string(c, rs->f[i].text,
		    rs->f[i].ns) != 0 || cs.errors > 0) {
			if (!quiet) {
				log_warnx("rules %s: skipped", rs->f[i].path);
				rs->f[i].bad = rs->f[i].dropped = 1;
			}
			*again = 1;
			goto done;
		}
		if (quiet) {
			free(rs->f[i].text);
			rs->f[i].text = NULL;
		}
	}
	if (yr_compiler_get_rules(c, out) != ERROR_SUCCESS) {
		log_warnx("rules: cannot build the rule set");
		rc = ERR_NOMEM;
	}
done:
	yr_compiler_destroy(c);
	return rc;
}

/* ---- the compiled cache ---- */

/*
 * Two kinds of compiled set share a cache folder, told apart by name:
 *   set-VERSION.yarc   compiled by the process that loads it (the daemon
 *                      without a worker, `vigil-agent scan`) and named
 *                      after the version it computed itself;
 *   bundle-KEY.yarc    compiled by a scan worker into the daemon's file,
 *                      named by the daemon after KEY, its own hash of the
 *                      libyara version and of every byte of the bundle it
 *                      built (bundle_key), never after anything the
 *                      worker said. It is offered only to a worker handed
 *                      a bundle of the same bytes, and loaded only there.
 * libyara trusts compiled rules, so a worker owned through a hostile rule
 * file may leave a hostile set behind; it can leave it only for the rule
 * files that owned it, which would own the next such worker while it
 * compiles anyway. rules-*.yarc (named after the version a worker
 * reported, before keys) are deleted unread.
 *
 * A worker's file is struct yarc_head, the indices (in the bundle's
 * sorted order) of the files its compiler refused, then libyara's
 * stream: the next worker reports the same files, failures and version
 * without compiling.
 */
struct yarc_head {
	char		magic[16];
	char		version[SCANNER_VERSION_LEN];	/* hex, no NUL */
	uint32_t	ndropped;	/* uint32 indices follow */
	uint32_t	zero;
};
_Static_assert(sizeof(struct yarc_head) == 88, "no padding in the head");
_Static_assert(sizeof(YARC_MAGIC) == 16, "the head's magic");

enum { CACHED_NONE, CACHED_SET, CACHED_OLD };

/* The compiled cache: a folder (cache.dir), or the scan worker's
 * descriptors from the daemon (cache.fds; saved: where libyara's stream
 * starts in fds->out once a set is written there, 0: none yet). */
struct cache {
	const char			*dir;
	const struct scanner_cachefds	*fds;
	uint64_t			 saved;
};

/* libyara's stream reads through pread from off: a descriptor may be
 * read twice (saved, then loaded back) and is never fdopen'ed. */
struct pstream {
	int		fd;
	uint64_t	off;
};

static size_t
stream_read(void *ptr, size_t size, size_t count, void *arg)
{
	struct pstream	*ps = arg;
	size_t		 len, got;

	if (size == 0 || count > SIZE_MAX / size ||
	    pread_at(ps->fd, ptr, size * count, ps->off, &got) != 0)
		return 0;
	len = got / size * size;
	ps->off += len;
	return len / size;
}

static size_t
stream_write(const void *ptr, size_t size, size_t count, void *fp)
{
	return fwrite(ptr, size, count, fp);
}

static int
cache_path(char *buf, size_t len, const char *dir, const char *prefix,
    const char *name)
{
	int	n;

	n = snprintf(buf, len, "%s/%s%s.yarc", dir, prefix, name);
	return n < 0 || (size_t)n >= len ? ERR_TOOBIG : 0;
}

/*
 * A rule set read from a stream keeps one malloc'd YR_RELOC per pointer
 * in its buffers (492,440 for signature-base: 15.7 MB with malloc's
 * headers, nearly as much as the 17 MB of rules themselves). libyara
 * needs them only to save the set or to move a buffer that grows; a set
 * loaded here is only scanned with (the set saved to the cache is the
 * compiler's), so they are freed. struct YR_ARENA is public
 * (yara/arena.h), and yr_arena_release() walks the list we leave empty.
 */
static void
rules_drop_relocs(YR_RULES *rules)
{
#if YR_MAJOR_VERSION == 4
	YR_RELOC	*r, *next;

	for (r = rules->arena->reloc_list_head; r != NULL; r = next) {
		next = r->next;
		yr_free(r);
	}
	rules->arena->reloc_list_head = NULL;
	rules->arena->reloc_list_tail = NULL;
#else
	(void)rules;
#endif
}

/* A descriptor, or ERR_NOTFOUND (quietly) when there is no such file,
 * ERR_AUTH, ERR_IO. The file must be ours and writable only by us,
 * since libyara trusts compiled rules. */
static int
cache_open(const char *path)
{
	struct stat	st;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return ERR_NOTFOUND;
		log_warn("rules cache %s", path);
		return ERR_IO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		log_warnx("rules cache %s: not a private file of ours; "
		    "ignored", path);
		(void)close(fd);
		return ERR_AUTH;
	}
	return fd;
}

/* libyara's stream at off of fd. */
static int
cache_read(YR_RULES **out, int fd, uint64_t off, const char *what)
{
	struct pstream	ps = { fd, off };
	YR_STREAM	s;

	s.user_data = &ps;
	s.read = stream_read;
	if (yr_rules_load_stream(&s, out) != ERROR_SUCCESS) {
		log_warnx("rules cache %s: cannot load; compiling", what);
		return ERR_MALFORMED;
	}
	rules_drop_relocs(*out);
	return 0;
}

/* The head of a worker's set for rs, whose good files have version:
 * *len bytes at *out (malloc'd). ERR_NOMEM. */
static int
yarc_head_make(uint8_t **out, size_t *len, const struct rset *rs,
    const char *version)
{
	struct yarc_head	 h;
	uint32_t		 idx;
	uint8_t			*p;
	size_t			 i, n = 0;

	for (i = 0; i < rs->n; i++)
		n += rs->f[i].dropped != 0;
	/* n <= BUNDLE_FILES_MAX: no overflow */
	*len = sizeof(h) + n * sizeof(idx);
	if ((*out = p = malloc(*len)) == NULL)
		return ERR_NOMEM;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, YARC_MAGIC, sizeof(h.magic));
	memcpy(h.version, version, sizeof(h.version));
	h.ndropped = (uint32_t)n;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (i = 0; i < rs->n; i++) {
		if (!rs->f[i].dropped)
			continue;
		idx = (uint32_t)i;
		memcpy(p, &idx, sizeof(idx));
		p += sizeof(idx);
	}
	return 0;
}

/*
 * The head of the set the daemon offered a worker, on fd: the files its
 * compiler refused are marked in rs (texts still there), whose good
 * files must then have the version the head names. 0 and *off, where
 * libyara's stream starts; ERR_MALFORMED (rs is then to be collected
 * again). The file is a worker's as much as the stream after it: every
 * count and index is checked.
 */
static int
yarc_head_read(uint64_t *off, int fd, struct rset *rs)
{
	struct yarc_head	h;
	char			v[SCANNER_VERSION_LEN + 1];
	uint32_t		idx;
	size_t			i, got;

	*off = sizeof(h);
	if (pread_at(fd, &h, sizeof(h), 0, &got) != 0 || got != sizeof(h) ||
	    memcmp(h.magic, YARC_MAGIC, sizeof(h.magic)) != 0 ||
	    h.zero != 0 || h.ndropped >= rset_good(rs))
		return ERR_MALFORMED;
	for (i = 0; i < h.ndropped; i++) {
		/* a file unreadable, or named twice, is already bad */
		if (pread_at(fd, &idx, sizeof(idx), *off, &got) != 0 ||
		    got != sizeof(idx) || idx >= rs->n || rs->f[idx].bad)
			return ERR_MALFORMED;
		rs->f[idx].bad = rs->f[idx].dropped = 1;
		*off += sizeof(idx);
	}
	rset_version(v, rs);
	return memcmp(v, h.version, sizeof(h.version)) == 0 ? 0 :
	    ERR_MALFORMED;
}

/* The worker's: the set the daemon offered for this very bundle, if it
 * offered one (else ERR_NOTFOUND, quietly); version and the refused
 * files as its head says, rs's texts dropped. */
static int
cache_offered(YR_RULES **out, char version[static SCANNER_VERSION_LEN + 1],
    const struct cache *c, struct rset *rs)
{
	uint64_t	off;

	*out = NULL;
	if (c->fds->in == -1)
		return ERR_NOTFOUND;
	if (yarc_head_read(&off, c->fds->in, rs) != 0) {
		log_warnx("rules cache: the compiled set offered is not one "
		    "of these rules; compiling");
		return ERR_MALFORMED;
	}
	rset_version(version, rs);
	/* the texts are only needed to compile: 7 MB less at the peak of
	 * a load from the cache (signature-base) */
	rset_drop_texts(rs);
	return cache_read(out, c->fds->in, off, "offered");
}

/* ERR_NOTFOUND (quietly) when the cache does not hold version; the
 * worker's holds only the set it has just saved, if any. */
static int
cache_load(YR_RULES **out, const struct cache *c, const char *version)
{
	char	path[PATH_MAX];
	int	fd, rc;

	*out = NULL;
	if (c->dir == NULL)
		return c->saved == 0 ? ERR_NOTFOUND :
		    cache_read(out, c->fds->out, c->saved, "just saved");
	if (cache_path(path, sizeof(path), c->dir, SET_PREFIX, version) != 0)
		return ERR_TOOBIG;
	if ((fd = cache_open(path)) < 0)
		return fd;
	/* used: pruning goes by age; a read-only cache is fine */
	if ((rc = cache_read(out, fd, 0, path)) == 0)
		(void)futimens(fd, NULL);
	(void)close(fd);
	return rc;
}

static int
has_prefix(const char *name, size_t len, const char *prefix)
{
	return len == strlen(prefix) && strncmp(name, prefix, len) == 0;
}

/* CACHED_SET, CACHED_OLD (to delete) or CACHED_NONE. */
static int
cached_name(const char *name)
{
	size_t	n = strlen(name), p;

	if (n < SCANNER_VERSION_LEN + 5 || strcmp(name + n - 5, ".yarc") != 0)
		return CACHED_NONE;
	p = n - SCANNER_VERSION_LEN - 5;
	if (has_prefix(name, p, SET_PREFIX) ||
	    has_prefix(name, p, BUNDLE_PREFIX))
		return CACHED_SET;
	return has_prefix(name, p, OLD_PREFIX) ? CACHED_OLD : CACHED_NONE;
}

struct cached {
	char		name[sizeof(BUNDLE_PREFIX) + SCANNER_VERSION_LEN + 5];
	struct timespec	mtime;
};

static int
cached_newer(const void *a, const void *b)
{
	const struct timespec	*ta = &((const struct cached *)a)->mtime;
	const struct timespec	*tb = &((const struct cached *)b)->mtime;

	if (ta->tv_sec != tb->tv_sec)
		return ta->tv_sec > tb->tv_sec ? -1 : 1;
	return ta->tv_nsec > tb->tv_nsec ? -1 : ta->tv_nsec < tb->tv_nsec;
}

/*
 * Keep the set just saved (keep) and the CACHE_KEEP - 1 most recently
 * used others (a load touches its file); delete the rest, and the old
 * sets named after a worker's word at once. The daemon and `vigil-agent
 * scan --rules ...` may share a cache folder with different rule sets,
 * and a signature-base set is about 16 MB.
 */
static void
cache_prune(const char *dir, const char *keep)
{
	struct cached	 c[CACHE_LIST];
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	size_t		 n = 0, i;
	int		 kind;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((kind = cached_name(de->d_name)) == CACHED_NONE ||
		    strcmp(de->d_name, keep) == 0 || fstatat(dirfd(d),
		    de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (kind == CACHED_OLD || n == CACHE_LIST) {
			/* never loaded, or far too many: drop at once */
			if (unlinkat(dirfd(d), de->d_name, 0) == -1)
				log_warn("rules cache %s/%s", dir, de->d_name);
			continue;
		}
		/* cached_name() checked the length */
		memcpy(c[n].name, de->d_name, strlen(de->d_name) + 1);
		c[n++].mtime = st.st_mtim;
	}
	qsort(c, n, sizeof(c[0]), cached_newer);
	for (i = CACHE_KEEP - 1; i < n; i++)
		if (unlinkat(dirfd(d), c[i].name, 0) == -1)
			log_warn("rules cache %s/%s", dir, c[i].name);
	closedir(d);
}

/* head (headlen bytes, may be 0), then the rules, to fd. */
static int
cache_write(YR_RULES *rules, int fd, const void *head, size_t headlen)
{
	YR_STREAM	 s;
	FILE		*fp;
	int		 rc = ERR_IO;

	if ((fd = dup(fd)) == -1 || (fp = fdopen(fd, "wb")) == NULL) {
		if (fd != -1)
			close(fd);
		return ERR_IO;
	}
	s.user_data = fp;
	s.write = stream_write;
	if ((headlen == 0 || fwrite(head, headlen, 1, fp) == 1) &&
	    yr_rules_save_stream(rules, &s) == ERROR_SUCCESS &&
	    fflush(fp) == 0 && fsync(fileno(fp)) == 0)
		rc = 0;
	if (fclose(fp) != 0)
		rc = ERR_IO;
	return rc;
}

/* An empty private file in dir (created if need be), named in tmp. */
static int
cache_tmp(int *fd, char tmp[static PATH_MAX], const char *dir)
{
	int	n;

	*fd = -1;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("rules cache %s", dir);
		return ERR_IO;
	}
	n = snprintf(tmp, PATH_MAX, "%s/.rules.XXXXXX", dir);
	if (n < 0 || n >= PATH_MAX) {
		log_warnx("rules cache %s: path too long", dir);
		return ERR_IO;
	}
	if ((*fd = mkostemp(tmp, O_CLOEXEC)) == -1 ||	/* mode 0600 */
	    fchmod(*fd, 0600) == -1) {
		log_warn("rules cache %s", tmp);
		if (*fd != -1) {
			(void)unlink(tmp);
			(void)close(*fd);
			*fd = -1;
		}
		return ERR_IO;
	}
	return 0;
}

/* tmp, written, becomes the set prefix+name; or is removed. */
static int
cache_commit(const char *dir, const char *tmp, const char *prefix,
    const char *name)
{
	char	path[PATH_MAX];

	if (cache_path(path, sizeof(path), dir, prefix, name) != 0 ||
	    rename(tmp, path) == -1) {
		log_warn("rules cache %s", tmp);
		(void)unlink(tmp);
		return ERR_IO;
	}
	cache_prune(dir, strrchr(path, '/') + 1);
	return 0;
}

/* The worker's: into the daemon's file, with the head that says which
 * of rs's files the compiler refused; the daemon names it after its own
 * key of the bundle (scanner_cache_take). */
static int
cache_save_fd(YR_RULES *rules, struct cache *c, const char *version,
    const struct rset *rs)
{
	uint8_t	*head;
	size_t	 len;
	int	 out = c->fds->out, rc;

	if (out == -1)
		return ERR_IO;
	if ((rc = yarc_head_make(&head, &len, rs, version)) != 0)
		return rc;
	if (ftruncate(out, 0) == -1 || cache_write(rules, out, head,
	    len) != 0) {
		log_warn("rules cache: the compiled set not saved");
		(void)ftruncate(out, 0);
		rc = ERR_IO;
	} else
		c->saved = len;
	free(head);
	return rc;
}

/* Best effort: a failure is logged (ERR_IO) and costs a compile next
 * time. */
static int
cache_save(YR_RULES *rules, struct cache *c, const char *version,
    const struct rset *rs)
{
	char	tmp[PATH_MAX];
	int	fd, rc;

	if (c->dir == NULL)
		return cache_save_fd(rules, c, version, rs);
	if ((rc = cache_tmp(&fd, tmp, c->dir)) != 0)
		return rc;
	if ((rc = cache_write(rules, fd, NULL, 0)) != 0) {
		log_warn("rules cache %s", tmp);
		(void)unlink(tmp);
	} else
		rc = cache_commit(c->dir, tmp, SET_PREFIX, version);
	(void)close(fd);
	return rc;
}

/* ---- the daemon's side of the worker's cache ---- */

/* The key of the bundle on fd: BLAKE2b-256 of KEY_TAG, the libyara
 * version this program was built with (its header's: the daemon does not
 * call libyara) and every byte of the sealed bundle. */
static int
bundle_key(char key[static SCANNER_VERSION_LEN + 1], int fd)
{
	crypto_generichash_state	st;
	struct stat			sb;
	uint8_t				buf[16384], h[SCANNER_VERSION_LEN / 2];
	uint64_t			off = 0, size;
	size_t				want, got;

	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		return ERR_IO;
	size = (uint64_t)sb.st_size;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)KEY_TAG,
	    sizeof(KEY_TAG));
	crypto_generichash_update(&st, (const uint8_t *)YR_VERSION,
	    sizeof(YR_VERSION));
	while (off < size) {
		want = size - off < sizeof(buf) ? (size_t)(size - off) :
		    sizeof(buf);
		if (pread_at(fd, buf, want, off, &got) != 0 || got != want)
			return ERR_IO;
		crypto_generichash_update(&st, buf, got);
		off += got;
	}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(key, SCANNER_VERSION_LEN + 1, h, sizeof(h));
	return 0;
}

int
scanner_cache_offer(struct scanner_cachefds *fds, char tmp[static PATH_MAX],
    const char *dir, int bundle)
{
	char	path[PATH_MAX];
	int	fd;

	memset(fds, 0, sizeof(*fds));
	fds->out = fds->in = -1;
	tmp[0] = '\0';
	if (bundle_key(fds->key, bundle) != 0) {
		log_warn("rules cache: the rule files' key");
		return ERR_IO;
	}
	if (cache_path(path, sizeof(path), dir, BUNDLE_PREFIX,
	    fds->key) == 0 && (fd = cache_open(path)) >= 0)
		fds->in = fd;
	return cache_tmp(&fds->out, tmp, dir) == 0 ? 0 : ERR_IO;
}

void
scanner_cache_take(struct scanner_cachefds *fds, const char *tmp,
    const char *dir, int loaded)
{
	struct stat	st;

	if (loaded && fds->out != -1 && fstat(fds->out, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size <= SCANNER_CACHE_FILE_MAX)
		(void)cache_commit(dir, tmp, BUNDLE_PREFIX, fds->key);
	else if (tmp[0] != '\0')
		(void)unlink(tmp);
	if (fds->in != -1) {
		if (loaded)	/* used: pruning goes by age */
			(void)futimens(fds->in, NULL);
		(void)close(fds->in);
	}
	if (fds->out != -1)
		(void)close(fds->out);
	memset(fds, 0, sizeof(*fds));
	fds->out = fds->in = -1;
}

/* ---- loading ---- */

/* The set compiled from rs before: by the version computed here from a
 * folder, or the one the daemon offered a worker for this bundle. */
static int
cache_lookup(struct scanner *sc, struct rset *rs, const struct cache *c)
{
	if (c->dir == NULL)
		return cache_offered(&sc->rules, sc->info.version, c, rs);
	/* the texts are only needed to compile (cache_offered) */
	rset_drop_texts(rs);
	return cache_load(&sc->rules, c, sc->info.version);
}

/*
 * The cache when it has this set; otherwise one compile of everything,
 * which is all it takes when every file is good (the usual case); and
 * only when that fails, each file alone to find the bad ones (logged,
 * skipped) and the good ones together again.
 */
static int
load_rules(struct scanner *sc, struct rset *rs, const struct rsrc *src,
    struct cache *c)
{
	char	all[SCANNER_VERSION_LEN + 1];
	int	again, rc;

	rset_version(all, rs);
	memcpy(sc->info.version, all, sizeof(all));
	if (c != NULL && rset_good(rs) > 0) {
		if (cache_lookup(sc, rs, c) == 0) {
			sc->info.from_cache = 1;
			return 0;
		}
		rset_clear(rs);
		if ((rc = rset_collect(rs, src)) != 0)
			return rc;
		rset_version(all, rs);
		memcpy(sc->info.version, all, sizeof(all));
	}
	if (rset_good(rs) > 0) {
		if ((rc = rset_compile(rs, &sc->rules, 1, &again)) != 0)
			return rc;
		if (!again)
			goto save;
		log_debug("rules: an error; compiling each file alone");
		rset_clear(rs);
		if ((rc = rset_collect(rs, src)) != 0)
			return rc;
		rset_version(all, rs);
	}
	if ((rc = rset_check(rs)) != 0)
		return rc;
	do {
		if (rset_good(rs) == 0) {
			log_warnx("rules: no rule file loaded");
			return ERR_NOTFOUND;
		}
		rset_version(sc->info.version, rs);
		/* a folder's cache has every subset under its version */
		if (c != NULL && c->dir != NULL &&
		    strcmp(sc->info.version, all) != 0 &&
		    cache_load(&sc->rules, c, sc->info.version) == 0) {
			sc->info.from_cache = 1;
			return 0;
		}
		if ((rc = rset_compile(rs, &sc->rules, 0, &again)) != 0)
			return rc;
	} while (again);
save:
	if (c == NULL || cache_save(sc->rules, c, sc->info.version, rs) != 0)
		return 0;
	/*
	 * Rules fresh from the compiler keep its arena, in which every
	 * section got a 1 MB buffer, zeroed whole when first used: 9.3 MB
	 * resident for the shipped set of 0.3 MB, for as long as the rules
	 * are in use. Loaded from the cache, the same set takes its own
	 * size. So the set just saved is dropped and loaded back (dropped
	 * first, so that the peak stays the compiler's); should that fail,
	 * it is compiled again without the cache.
	 */
	yr_rules_destroy(sc->rules);
	sc->rules = NULL;
	if (cache_load(&sc->rules, c, sc->info.version) == 0)
		return 0;
	log_warnx("rules: the set just saved does not load back; compiling "
	    "it again");
	rset_clear(rs);
	if ((rc = rset_collect(rs, src)) != 0)
		return rc;
	return load_rules(sc, rs, src, NULL);
}

void
scanner_verdicts(char out[static SCANNER_VERSION_LEN + 1], size_t *hashes,
    const char *version, const struct iocdb *ioc)
{
	crypto_generichash_state	st;
	uint8_t				set[32], h[32];

	(void)snprintf(out, SCANNER_VERSION_LEN + 1, "%s", version);
	*hashes = 0;
	if (ioc == NULL || (*hashes = iocdb_sha256_set(ioc, set)) == 0)
		return;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)VERDICTS_TAG,
	    sizeof(VERDICTS_TAG));
	crypto_generichash_update(&st, (const uint8_t *)version,
	    strlen(version));
	crypto_generichash_update(&st, set, sizeof(set));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, SCANNER_VERSION_LEN + 1, h, sizeof(h));
}

/* info.verdicts, and the lists kept only if they hold a hash. */
static void
verdicts_version(struct scanner *sc, const struct iocdb *ioc)
{
	scanner_verdicts(sc->info.verdicts, &sc->info.hashes,
	    sc->info.version, ioc);
	if (sc->info.hashes > 0)
		sc->ioc = ioc;
}

static int
load_src(struct scanner **out, const struct rsrc *src,
    const struct scanner_opts *opts)
{
	struct cache	 c = { opts->cache_dir, opts->cache_fds, 0 };
	struct scanner	*sc;
	struct rset	 rs = { NULL, 0, 0 };
	YR_RULES_STATS	 stats;
	int		 rc = ERR_NOMEM;

	*out = NULL;
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return ERR_NOMEM;
	if (pthread_mutex_init(&sc->lock, NULL) != 0) {
		free(sc);
		return ERR_NOMEM;
	}
	if (pthread_cond_init(&sc->turn, NULL) != 0) {
		pthread_mutex_destroy(&sc->lock);
		free(sc);
		return ERR_NOMEM;
	}
	sc->max_size = opts->max_size;
	sc->timeout = opts->timeout;
	sc->sha256_all = opts->sha256_all;
	if ((rc = rset_collect(&rs, src)) != 0 ||
	    (rc = load_rules(sc, &rs, src, c.dir != NULL || c.fds != NULL ?
	    &c : NULL)) != 0)
		goto fail;
	verdicts_version(sc, opts->ioc);
	sc->info.files = rset_good(&rs);
	sc->info.failed = rs.n - sc->info.files;
	sc->info.newest = rset_newest(&rs);
	if (yr_rules_get_stats(sc->rules, &stats) == ERROR_SUCCESS)
		sc->info.rules = stats.num_rules;
	log_debug("rules: %zu files (%zu skipped), %u rules, version %.16s, "
	    "%s", sc->info.files, sc->info.failed, sc->info.rules,
	    sc->info.version, sc->info.from_cache ? "from the cache" :
	    "compiled");
	rset_clear(&rs);
	(void)malloc_trim(0);	/* the texts, the compiler, the relocations */
	*out = sc;
	return 0;
fail:
	rset_clear(&rs);
	scanner_free(sc);
	return rc;
}

int
scanner_load(struct scanner **out, const char *const *paths, size_t npaths,
    const struct scanner_opts *opts)
{
	const struct rsrc	src = { paths, npaths, -1 };

	return load_src(out, &src, opts);
}

int
scanner_load_bundle(struct scanner **out, int fd,
    const struct scanner_opts *opts)
{
	const struct rsrc	src = { NULL, 0, fd };

	return load_src(out, &src, opts);
}

/* ---- slots ---- */

static struct slot *
slot_get(struct scanner *sc)
{
	struct slot	*s = NULL;

	pthread_mutex_lock(&sc->lock);
	if (sc->nidle > 0)
		s = sc->idle[--sc->nidle];
	else if (sc->nslots < MAX_SLOTS && (s = calloc(1, sizeof(*s))) !=
	    NULL) {
		if (yr_scanner_create(sc->rules, &s->ys) != ERROR_SUCCESS) {
			free(s);
			s = NULL;
		} else
			sc->nslots++;
	}
	pthread_mutex_unlock(&sc->lock);
	if (s != NULL) {
		yr_scanner_set_flags(s->ys, SCAN_FLAGS_REPORT_RULES_MATCHING |
		    SCAN_FLAGS_NO_TRYCATCH | SCAN_FLAGS_FAST_MODE);
		yr_scanner_set_timeout(s->ys, sc->timeout);
	}
	return s;
}

static void
slot_put(struct scanner *sc, struct slot *s)
{
	if (s->buf != NULL && s->cap > SLOT_KEEP) {
		munmap(s->buf, s->cap);
		s->buf = NULL;
		s->cap = 0;
	}
	pthread_mutex_lock(&sc->lock);
	sc->idle[sc->nidle++] = s;
	pthread_mutex_unlock(&sc->lock);
}

/*
 * File data admitted to scans: all of them together hold at most
 * DATA_BUDGET bytes of file contents, and a larger file is scanned alone.
 * In order of arrival (tickets), so that small files cannot starve a
 * large one. A file is read whole before libyara sees it (the pe and elf
 * modules and the conditions read anywhere), so its size is resident for
 * the length of its scan: without this, two threads scanning two 30 MB
 * files at once would double the peak. A file that fits in the buffer a
 * slot keeps anyway (SLOT_KEEP) costs nothing more and is not counted, so
 * small files go on while a large one is scanned alone.
 */
static void
data_take(struct scanner *sc, size_t len)
{
	uint64_t	t;

	if (len <= SLOT_KEEP)
		return;
	pthread_mutex_lock(&sc->lock);
	t = sc->ticket++;
	while (t != sc->serving || (sc->held > 0 &&
	    (sc->held >= DATA_BUDGET || len > DATA_BUDGET - sc->held)))
		pthread_cond_wait(&sc->turn, &sc->lock);
	sc->serving++;
	sc->held += len;
	pthread_cond_broadcast(&sc->turn);
	pthread_mutex_unlock(&sc->lock);
}

int
scanner_data_fits(struct scanner *sc, uint64_t size)
{
	int	fits;

	if (size <= SLOT_KEEP)
		return 1;
	pthread_mutex_lock(&sc->lock);
	fits = sc->ticket == sc->serving && (sc->held == 0 ||
	    (sc->held < DATA_BUDGET && size <= DATA_BUDGET - sc->held));
	pthread_mutex_unlock(&sc->lock);
	return fits;
}

static void
data_put(struct scanner *sc, size_t len)
{
	if (len <= SLOT_KEEP)
		return;
	pthread_mutex_lock(&sc->lock);
	sc->held -= len;
	pthread_cond_broadcast(&sc->turn);
	pthread_mutex_unlock(&sc->lock);
}

/* A buffer of at least len bytes (1 for an empty file). */
static int
slot_reserve(struct slot *s, size_t len)
{
	size_t	 page = (size_t)sysconf(_SC_PAGESIZE), cap;
	void	*p;

	if (len == 0)
		len = 1;
	if (s->buf != NULL && s->cap >= len)
		return 0;
	if (len > SIZE_MAX - page)
		return ERR_TOOBIG;
	cap = (len + page - 1) / page * page;
	if (s->buf != NULL)
		munmap(s->buf, s->cap);
	s->buf = NULL;
	s->cap = 0;
	p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return ERR_NOMEM;
	/* a hint: 2 MiB pages cost a large file one fault per 2 MiB, not
	 * one per 4 KiB (280,000 faults, 0.5 s, for 1.2 GB of binaries) */
	if (cap > SLOT_KEEP)
		(void)madvise(p, cap, MADV_HUGEPAGE);
	s->buf = p;
	s->cap = cap;
	return 0;
}

/* ---- per-file variables ---- */

static const struct magic {
	const char	*name;
	size_t		 len;
	const char	*bytes;
} magics[] = {
	{ "ELF",	4, "\x7f" "ELF" },
	{ "OLE",	8, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" },
	{ "PNG",	8, "\x89" "PNG\r\n\x1a\n" },
	{ "RAR",	6, "Rar!\x1a\x07" },
	{ "7Zip",	6, "7z\xbc\xaf\x27\x1c" },
	{ "GIF",	6, "GIF87a" },
	{ "GIF",	6, "GIF89a" },
	{ "MACH-O",	4, "\xcf\xfa\xed\xfe" },
	{ "MACH-O",	4, "\xce\xfa\xed\xfe" },
	{ "MACH-O",	4, "\xfe\xed\xfa\xce" },
	{ "MACH-O",	4, "\xfe\xed\xfa\xcf" },
	{ "PDF",	4, "%PDF" },
	{ "ZIP",	4, "PK\x03\x04" },
	{ "RTF",	4, "{\\rt" },
	{ "MDMP",	4, "MDMP" },
	{ "GZIP",	3, "\x1f\x8b\x08" },
	{ "JPEG",	3, "\xff\xd8\xff" },
	{ "PHP",	5, "<?php" },
	{ "ASP",	3, "<%@" },
	{ "JSP",	2, "<%" },
	{ "BATCH",	5, "@echo" },
	{ "BATCH",	5, "@ECHO" },
	{ "VBS",	8, "Function" },
	{ "SCRIPT",	2, "#!" },
	{ "EXE",	2, "MZ" },
};

/* The first matching row, longest magics first; "" if none. */
static const char *
filetype_guess(const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (len >= magics[i].len && memcmp(p, magics[i].bytes,
		    magics[i].len) == 0)
			return magics[i].name;
	return "";
}

void
scanner_owner_name(char out[static SCANNER_OWNER_MAX], uint32_t uid)
{
	struct passwd	 pw, *res = NULL;
	char		 buf[4096];
	int		 n = -1;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		n = snprintf(out, SCANNER_OWNER_MAX, "%s", pw.pw_name);
	if (n < 0 || n >= SCANNER_OWNER_MAX)
		snprintf(out, SCANNER_OWNER_MAX, "%u", uid);
}

static void
owner_name(struct scanner *sc, uint32_t uid, char out[SCANNER_OWNER_MAX])
{
	size_t		 i;

	pthread_mutex_lock(&sc->lock);
	for (i = 0; i < sc->nowners && i < OWNER_CACHE; i++) {
		if (sc->owners[i].uid == uid) {
			memcpy(out, sc->owners[i].name, SCANNER_OWNER_MAX);
			pthread_mutex_unlock(&sc->lock);
			return;
		}
	}
	pthread_mutex_unlock(&sc->lock);
	scanner_owner_name(out, uid);
	pthread_mutex_lock(&sc->lock);
	i = sc->nowners++ % OWNER_CACHE;
	sc->owners[i].uid = uid;
	memcpy(sc->owners[i].name, out, SCANNER_OWNER_MAX);
	pthread_mutex_unlock(&sc->lock);
}

/* filepath: the folder, absolute. */
static void
path_dir(char *out, size_t len, const char *path)
{
	const char	*slash = strrchr(path, '/');
	char		 cwd[PATH_MAX];
	int		 n, dlen;

	dlen = slash == NULL ? 0 : slash == path ? 1 : (int)(slash - path);
	if (path[0] == '/') {
		n = snprintf(out, len, "%.*s", dlen, path);
	} else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		n = snprintf(out, len, "%.*s", dlen, path);
	} else if (dlen == 0 || (dlen == 1 && path[0] == '.')) {
		n = snprintf(out, len, "%s", cwd);
	} else {
		if (dlen >= 2 && path[0] == '.' && path[1] == '/') {
			path += 2;
			dlen -= 2;
		}
		n = snprintf(out, len, "%s%s%.*s", cwd, strcmp(cwd, "/") ?
		    "/" : "", dlen, path);
	}
	if (n < 0 || (size_t)n >= len)
		out[0] = '\0';
}

/* extension: from the last '.' of the base name (leading dots do not
 * count, as Python's splitext), lower case, with the dot. */
static void
path_ext(char *out, size_t len, const char *base)
{
	const char	*dot;
	size_t		 i;

	out[0] = '\0';
	while (*base == '.')
		base++;
	if ((dot = strrchr(base, '.')) == NULL || strlen(dot) >= len)
		return;
	for (i = 0; dot[i] != '\0'; i++)
		out[i] = dot[i] >= 'A' && dot[i] <= 'Z' ? dot[i] - 'A' + 'a' :
		    dot[i];
	out[i] = '\0';
}

static int
set_externals(YR_SCANNER *ys, const struct scanner_result *r)
{
	const char	*base = strrchr(r->path, '/');
	char		 dir[PATH_MAX], ext[NAME_MAX + 1];
	const char	*val[NEXTERNALS];
	size_t		 i;

	base = base != NULL ? base + 1 : r->path;
	path_dir(dir, sizeof(dir), r->path);
	path_ext(ext, sizeof(ext), base);
	val[0] = base;
	val[1] = dir;
	val[2] = ext;
	val[3] = r->filetype;
	val[4] = r->owner;
	for (i = 0; i < NEXTERNALS; i++)
		if (yr_scanner_define_string_variable(ys, externals[i],
		    val[i]) != ERROR_SUCCESS)
			return ERR_NOMEM;
	return 0;
}

/* ---- matches ---- */

struct job {
	struct scanner_result	*r;
	size_t			 cap;
	int			 err;
};

static void
match_clear(struct scanner_match *m)
{
	free((void *)m->tags);
	free((void *)m->meta);
	free((void *)m->strings);
}

void
scanner_result_clear(struct scanner_result *r)
{
	size_t	i;

	for (i = 0; i < r->nmatches; i++)
		match_clear(&r->matches[i]);
	free(r->matches);
	r->matches = NULL;
	r->nmatches = 0;
}

static int
match_tags_meta(struct scanner_match *m, const YR_RULE *rule)
{
	const char		*tag;
	const YR_META		*meta;
	const char		**tags;
	struct scanner_meta	*mv;
	size_t			 n = 0;

	yr_rule_tags_foreach(rule, tag)
		n++;
	if ((tags = calloc(n + 1, sizeof(*tags))) == NULL)
		return ERR_NOMEM;
	m->tags = tags;
	yr_rule_tags_foreach(rule, tag)
		tags[m->ntags++] = tag;
	n = 0;
	yr_rule_metas_foreach(rule, meta)
		n++;
	if ((mv = calloc(n + 1, sizeof(*mv))) == NULL)
		return ERR_NOMEM;
	m->meta = mv;
	yr_rule_metas_foreach(rule, meta) {
		mv[m->nmeta].key = meta->identifier;
		mv[m->nmeta].type = meta->type == META_TYPE_STRING ?
		    SCANNER_META_STRING : meta->type == META_TYPE_BOOLEAN ?
		    SCANNER_META_BOOL : SCANNER_META_INT;
		mv[m->nmeta].str = meta->string;
		mv[m->nmeta].num = meta->integer;
		m->nmeta++;
	}
	return 0;
}

/* Identifiers of the strings with matches; chained parts share one. */
static int
match_strings(struct scanner_match *m, YR_SCAN_CONTEXT *ctx,
    const YR_RULE *rule)
{
	const YR_STRING	*s;
	const char	**ids;
	size_t		 n = 0, i;

	yr_rule_strings_foreach(rule, s)
		n++;
	if ((ids = calloc(n + 1, sizeof(*ids))) == NULL)
		return ERR_NOMEM;
	m->strings = ids;
	yr_rule_strings_foreach(rule, s) {
		if (STRING_IS_PRIVATE(s) || ctx->matches[s->idx].count == 0 ||
		    m->nstrings >= MAX_STRINGS)
			continue;
		for (i = 0; i < m->nstrings; i++)
			if (strcmp(ids[i], s->identifier) == 0)
				break;
		if (i == m->nstrings)
			ids[m->nstrings++] = s->identifier;
	}
	return 0;
}

static int
match_add(struct job *j, YR_SCAN_CONTEXT *ctx, const YR_RULE *rule)
{
	struct scanner_result	*r = j->r;
	struct scanner_match	*m;
	size_t			 cap;

	if (r->nmatches == j->cap) {
		cap = j->cap ? j->cap * 2 : 4;
		if ((m = reallocarray(r->matches, cap, sizeof(*m))) == NULL)
			return ERR_NOMEM;
		r->matches = m;
		j->cap = cap;
	}
	m = &r->matches[r->nmatches++];
	memset(m, 0, sizeof(*m));
	m->rule = rule->identifier;
	m->ns = rule->ns->name;
	if (match_tags_meta(m, rule) != 0 || match_strings(m, ctx, rule) != 0)
		return ERR_NOMEM;
	return 0;
}

/*
 * A string found more than YR_MAX_STRING_MATCHES times (1,000,000; fixed
 * when libyara is built): libyara asks whether to go on without it. The
 * yara command goes on and warns "rule R: too many matches for $s,
 * results for this rule may be incorrect" (without the file's name); so do
 * we, and the result says so (scanner_result_status()), so that it is
 * reported. Fast mode stops looking for a string after its first match
 * unless a condition counts it or asks where it is (#s, @s, !s, in), so
 * only such strings can get here.
 */
static void
too_many(struct job *j, YR_SCAN_CONTEXT *ctx, const YR_STRING *s)
{
	const YR_RULE	*rule = &ctx->rules->rules_table[s->rule_idx];

	if (j->r->too_many++ == 0)
		snprintf(j->r->reason, sizeof(j->r->reason), "rule %.48s: over "
		    "%d matches of %.32s; its later matches not counted",
		    rule->identifier, YR_MAX_STRING_MATCHES, s->identifier);
}

static int
yara_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *arg)
{
	struct job	*j = arg;

	if (msg == CALLBACK_MSG_TOO_MANY_MATCHES)
		too_many(j, ctx, data);
	if (msg != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	if (match_add(j, ctx, data) != 0) {
		j->err = ERR_NOMEM;
		return CALLBACK_ERROR;
	}
	return CALLBACK_CONTINUE;
}

/* ---- scanning ---- */

static void __attribute__((format(printf, 3, 4)))
verdict(struct scanner_result *r, enum scanner_status st, const char *fmt,
    ...)
{
	va_list	ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

static void
result_init(struct scanner_result *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
}

/* owner: the owner's name, NULL: looked up */
static void
result_stat(struct scanner *sc, struct scanner_result *r,
    const struct stat *st, const char *owner)
{
	r->have_stat = 1;
	r->size = (uint64_t)st->st_size;
	r->inode = (uint64_t)st->st_ino;
	r->device = (uint64_t)st->st_dev;
	r->uid = (uint32_t)st->st_uid;
	r->mtime_us = (int64_t)st->st_mtim.tv_sec * 1000000 +
	    st->st_mtim.tv_nsec / 1000;
	if (owner != NULL)
		(void)snprintf(r->owner, sizeof(r->owner), "%s", owner);
	else
		owner_name(sc, r->uid, r->owner);
}

/* The hex SHA-256 of p[0..len) into r (and h); -1 on failure. */
static int
sha256_hex(struct scanner_result *r, uint8_t h[static DIGEST_SHA256_LEN],
    const uint8_t *p, size_t len)
{
	if (digest_sha256(h, p, len) != 0) {
		verdict(r, SCAN_ERROR, "SHA-256 failed");
		return -1;
	}
	sodium_bin2hex(r->sha256, sizeof(r->sha256), h, 32);
	return 0;
}

static void
scan_buffer(struct scanner *sc, struct scanner_result *r, struct slot *s,
    size_t len)
{
	struct job	j = { r, 0, 0 };
	uint8_t		h[32];
	int		yrc;

	/* before YARA, whose failure must not hide a listed file */
	if (sc->ioc != NULL || sc->sha256_all) {
		if (sha256_hex(r, h, s->buf, len) != 0)
			return;
		if (sc->ioc != NULL)
			(void)ioc_match_sha256(sc->ioc, h, &r->ioc);
	}
	if (set_externals(s->ys, r) != 0) {
		verdict(r, SCAN_ERROR, "out of memory");
		return;
	}
	yr_scanner_set_callback(s->ys, yara_cb, &j);
	yrc = yr_scanner_scan_mem(s->ys, s->buf, len);
	if (yrc != ERROR_SUCCESS)
		scanner_result_clear(r);
	if (j.err != 0)
		verdict(r, SCAN_ERROR, "out of memory");
	else if (yrc == ERROR_SCAN_TIMEOUT)
		verdict(r, SCAN_TIMEOUT, "scan took longer than %d s",
		    sc->timeout);
	else if (yrc != ERROR_SUCCESS)
		verdict(r, SCAN_ERROR, "libyara error %d", yrc);
	else if ((r->nmatches > 0 || r->ioc.list != NULL) &&
	    (r->sha256[0] != '\0' || sha256_hex(r, h, s->buf, len) == 0))
		r->status = SCAN_MATCH;
}

/* The checks that need no reading; 0 if the file is to be read. */
static int
precheck(struct scanner *sc, struct scanner_result *r, int fd,
    const char *owner)
{
	struct stat	st;

	if (fstat(fd, &st) == -1) {
		verdict(r, SCAN_UNREADABLE, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		verdict(r, SCAN_SPECIAL, "%s", safeopen_kind(st.st_mode));
		return -1;
	}
	result_stat(sc, r, &st, owner);
	if ((sc->max_size > 0 && r->size > sc->max_size) ||
	    r->size > SIZE_MAX / 2) {
		verdict(r, SCAN_TOOBIG, "%ju bytes, over the limit of %ju",
		    (uintmax_t)r->size, (uintmax_t)(sc->max_size > 0 ?
		    sc->max_size : SIZE_MAX / 2));
		return -1;
	}
	return 0;
}

static void
scan_open_fd(struct scanner *sc, struct scanner_result *r, int fd,
    const char *owner)
{
	struct slot	*s;
	size_t		 got;

	if (precheck(sc, r, fd, owner) != 0)
		return;
	data_take(sc, (size_t)r->size);
	if ((s = slot_get(sc)) == NULL) {
		verdict(r, SCAN_ERROR, "no scanner available");
		data_put(sc, (size_t)r->size);
		return;
	}
	/* a hint only: the kernel reads ahead further */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (slot_reserve(s, (size_t)r->size) != 0)
		verdict(r, SCAN_ERROR, "out of memory for %ju bytes",
		    (uintmax_t)r->size);
	else if (pread_at(fd, s->buf, (size_t)r->size, 0, &got) == -1)
		verdict(r, SCAN_UNREADABLE, "%s", strerror(errno));
	else {
		snprintf(r->filetype, sizeof(r->filetype), "%s",
		    filetype_guess(s->buf, got < MAGIC_LEN ? got : MAGIC_LEN));
		scan_buffer(sc, r, s, got);
	}
	slot_put(sc, s);
	data_put(sc, (size_t)r->size);
}

void
scanner_scan_fd(struct scanner *sc, struct scanner_result *out, int fd,
    const char *path)
{
	result_init(out, path);
	scan_open_fd(sc, out, fd, NULL);
}

void
scanner_scan_fd_owner(struct scanner *sc, struct scanner_result *out,
    int fd, const char *path, const char *owner)
{
	result_init(out, path);
	scan_open_fd(sc, out, fd, owner);
}

void
scanner_scan_path(struct scanner *sc, struct scanner_result *out,
    const char *path)
{
	struct stat	st;
	int		pfd, fd;

	result_init(out, path);
	/* what is there, examined before anything is opened for reading:
	 * an open(2) of a device wakes its driver */
	if ((pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		verdict(out, SCAN_UNREADABLE, "%s", strerror(errno));
		return;
	}
	if (fstat(pfd, &st) == -1) {
		verdict(out, SCAN_UNREADABLE, "%s", strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		verdict(out, SCAN_SPECIAL, "%s", safeopen_kind(st.st_mode));
		goto done;
	}
	if (sc->max_size > 0 && (uint64_t)st.st_size > sc->max_size) {
		result_stat(sc, out, &st, NULL);
		verdict(out, SCAN_TOOBIG, "%ju bytes, over the limit of %ju",
		    (uintmax_t)out->size, (uintmax_t)sc->max_size);
		goto done;
	}
	/* the same inode; without /proc, by name again (O_NONBLOCK: a FIFO
	 * swapped in since must not hang us; precheck refuses it) */
	if ((fd = safeopen_reopen(pfd)) == -1 && errno == ENOENT)
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
		    O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		verdict(out, SCAN_UNREADABLE, "%s", strerror(errno));
	else {
		scan_open_fd(sc, out, fd, NULL);
		(void)close(fd);
	}
done:
	(void)close(pfd);
}

const char *
scanner_result_status(const struct scanner_result *r)
{
	if (r->too_many > 0 && (r->status == SCAN_CLEAN ||
	    r->status == SCAN_MATCH))
		return "too_many_matches";
	return scanner_status_name(r->status);
}

const char *
scanner_status_name(enum scanner_status st)
{
	static const char *const names[] = { "clean", "match", "too_big",
	    "timeout", "unreadable", "special", "error", "other_fs",
	    "stalled" };

	if ((size_t)st >= sizeof(names) / sizeof(names[0]))
		return "error";
	return names[st];
}

/* ---- events ---- */

/* A JSON string for bytes that may not be UTF-8, escaped as
 * docs/events.md says (text.h, TEXT_JSON); at most max input bytes. */
static json_t *
jstr(const char *s, size_t max, int *escaped)
{
	return text_json(s, strnlen(s, max), escaped);
}

static const struct scanner_meta *
meta_find(const struct scanner_match *m, const char *key)
{
	size_t	i;

	for (i = 0; i < m->nmeta; i++)
		if (strcmp(m->meta[i].key, key) == 0)
			return &m->meta[i];
	return NULL;
}

static int
severity_word(const char *s)
{
	static const struct { const char *w; int sev; } words[] = {
		{ "1", 1 }, { "2", 2 }, { "3", 3 },
		{ "critical", 1 }, { "high", 1 }, { "medium", 2 },
		{ "moderate", 2 }, { "low", 3 }, { "info", 3 },
		{ "informational", 3 },
	};
	size_t	i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i].w) == 0)
			return words[i].sev;
	return 0;
}

int
scanner_severity(const struct scanner_match *m)
{
	const struct scanner_meta	*v;
	int				 sev = 0;
	char				*end;
	long				 score;

	if ((v = meta_find(m, "severity")) != NULL) {
		if (v->type == SCANNER_META_INT && v->num >= 1 && v->num <= 3)
			sev = (int)v->num;
		else if (v->type == SCANNER_META_STRING)
			sev = severity_word(v->str);
		if (sev != 0)
			return sev;
	}
	if ((v = meta_find(m, "score")) != NULL) {
		score = -1;
		if (v->type == SCANNER_META_INT)
			score = v->num < 0 ? -1 : v->num > 100 ? 100 :
			    (long)v->num;
		else if (v->type == SCANNER_META_STRING) {
			errno = 0;
			score = strtol(v->str, &end, 10);
			if (errno != 0 || end == v->str || *end != '\0')
				score = -1;
		}
		if (score >= 0)
			return score >= 80 ? 1 : score >= 60 ? 2 : 3;
	}
	return 2;
}

static json_t *
meta_value(const struct scanner_meta *v)
{
	if (v->type == SCANNER_META_STRING)
		return jstr(v->str, META_STR_MAX, NULL);
	if (v->type == SCANNER_META_BOOL)
		return json_boolean(v->num != 0);
	return json_integer((json_int_t)v->num);
}

/* A key given twice (hash = ..., hash = ...) becomes an array. */
static int
meta_put(json_t *obj, const char *key, json_t *v)
{
	json_t	*old, *arr;

	if (v == NULL)
		return -1;
	if ((old = json_object_get(obj, key)) == NULL)
		return json_object_set_new(obj, key, v);
	if (json_is_array(old))
		return json_array_append_new(old, v);
	if ((arr = json_array()) == NULL || json_array_append(arr, old) != 0 ||
	    json_array_append_new(arr, v) != 0) {
		json_decref(arr);
		json_decref(v);
		return -1;
	}
	return json_object_set_new(obj, key, arr);
}

static json_t *
yara_obj(const struct scanner_match *m)
{
	json_t	*y, *tags, *meta, *strs;
	size_t	 i;
	int	 bad = 0;

	y = json_object();
	tags = json_array();
	meta = json_object();
	strs = json_array();
	if (y == NULL || tags == NULL || meta == NULL || strs == NULL)
		bad = 1;
	for (i = 0; !bad && i < m->ntags; i++)
		bad = json_array_append_new(tags, jstr(m->tags[i], 256, NULL));
	for (i = 0; !bad && i < m->nmeta && i < MAX_META; i++)
		bad = meta_put(meta, m->meta[i].key, meta_value(&m->meta[i]));
	for (i = 0; !bad && i < m->nstrings; i++)
		bad = json_array_append_new(strs, jstr(m->strings[i], 256,
		    NULL));
	if (bad || json_object_set_new(y, "rule", jstr(m->rule, 256, NULL)) ||
	    json_object_set_new(y, "namespace", jstr(m->ns, 256, NULL)) ||
	    json_object_set(y, "tags", tags) || json_object_set(y, "meta",
	    meta) || json_object_set(y, "strings", strs)) {
		json_decref(y);
		y = NULL;
	}
	json_decref(tags);
	json_decref(meta);
	json_decref(strs);
	return y;
}

static json_t *
alert_obj(const struct scanner_match *m)
{
	const struct scanner_meta	*cat = meta_find(m, "category");
	json_t				*a;

	a = json_pack("{s:s, s:i, s:I, s:i}", "action", "allowed", "gid", 2,
	    "signature_id", (json_int_t)scanner_signature_id(m->ns, m->rule),
	    "rev", 1);
	if (a == NULL)
		return NULL;
	if (json_object_set_new(a, "signature", jstr(m->rule, 256, NULL)) ||
	    json_object_set_new(a, "category", cat != NULL && cat->type ==
	    SCANNER_META_STRING && cat->str[0] != '\0' ? jstr(cat->str,
	    META_STR_MAX, NULL) : json_string(DEFAULT_CATEGORY)) ||
	    json_object_set_new(a, "severity",
	    json_integer(scanner_severity(m)))) {
		json_decref(a);
		return NULL;
	}
	return a;
}

#define PATH_HEAD	1024	/* kept of a path cut for an event */

/* A path for an event: whole up to SCANNER_EVENT_PATH bytes; a longer
 * one (files may lie deeper than PATH_MAX) as its first PATH_HEAD bytes,
 * "/.../" and its end, cut between UTF-8 sequences, *cut set. Bounded so
 * that an event with two escaped paths stays under EVENT_MAX_LEN. */
static json_t *
path_json(const char *path, int *esc, int *cut)
{
	size_t	 len = strlen(path), head = PATH_HEAD, t;
	char	 buf[SCANNER_EVENT_PATH + 1];

	if (len <= SCANNER_EVENT_PATH)
		return jstr(path, len, esc);
	*cut = 1;
	t = len - (SCANNER_EVENT_PATH - PATH_HEAD - 5);
	while (head > 0 && ((unsigned char)path[head] & 0xc0) == 0x80)
		head--;
	while (t < len && ((unsigned char)path[t] & 0xc0) == 0x80)
		t++;
	memcpy(buf, path, head);
	memcpy(buf + head, "/.../", 5);
	memcpy(buf + head + 5, path + t, len - t);
	buf[head + 5 + len - t] = '\0';
	return jstr(buf, sizeof(buf), esc);
}

/* "path", and "path_escaped", "path_truncated" when so, into obj. */
static int
path_put(json_t *obj, const char *path)
{
	int	esc = 0, cut = 0;

	return json_object_set_new(obj, "path", path_json(path, &esc, &cut)) ||
	    (esc && json_object_set_new(obj, "path_escaped", json_true())) ||
	    (cut && json_object_set_new(obj, "path_truncated", json_true()));
}

static json_t *
file_obj(const struct scanner_result *r)
{
	char	 ts[EVENT_TS_STRLEN];
	json_t	*f;
	int	 bad;

	if ((f = json_object()) == NULL)
		return NULL;
	bad = path_put(f, r->path);
	if (!bad && r->have_stat) {
		event_format_ts(ts, r->mtime_us);
		bad = json_object_set_new(f, "size", json_integer(
		    (json_int_t)r->size)) ||
		    (r->sha256[0] != '\0' && json_object_set_new(f, "sha256",
		    json_string(r->sha256))) ||
		    json_object_set_new(f, "owner", jstr(r->owner,
		    SCANNER_OWNER_MAX, NULL)) ||
		    json_object_set_new(f, "uid", json_integer(r->uid)) ||
		    json_object_set_new(f, "mtime", json_string(ts)) ||
		    json_object_set_new(f, "inode", json_integer(
		    (json_int_t)r->inode)) ||
		    json_object_set_new(f, "device", json_integer(
		    (json_int_t)r->device));
	}
	if (bad) {
		json_decref(f);
		return NULL;
	}
	return f;
}

static json_t *
scan_obj(const struct scanner_result *r)
{
	json_t	*s;

	if ((s = json_object()) == NULL)
		return NULL;
	if (path_put(s, r->path) ||
	    json_object_set_new(s, "status", json_string(
	    scanner_result_status(r))) ||
	    json_object_set_new(s, "reason", jstr(r->reason,
	    sizeof(r->reason), NULL))) {
		json_decref(s);
		return NULL;
	}
	return s;
}

json_t *
scanner_event(const struct scanner_result *r, const struct scanner_match *m)
{
	json_t	*ev;
	int	 bad;

	if (m == NULL && (r->status == SCAN_CLEAN || r->status == SCAN_MATCH) &&
	    r->too_many == 0)
		return NULL;
	if ((ev = event_build(m != NULL ? "alert" : "scan")) == NULL)
		return NULL;
	if (m != NULL)
		bad = json_object_set_new(ev, "alert", alert_obj(m)) ||
		    json_object_set_new(ev, "file", file_obj(r)) ||
		    json_object_set_new(ev, "yara", yara_obj(m));
	else
		bad = json_object_set_new(ev, "scan", scan_obj(r)) ||
		    (r->have_stat && json_object_set_new(ev, "file",
		    file_obj(r)));
	if (bad) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

static json_t *
ioc_alert_obj(const struct ioc_hit *h)
{
	char	 sig[320];
	json_t	*a;

	ioc_signature(sig, sizeof(sig), h, SCANNER_IOC_WHERE);
	a = json_pack("{s:s, s:i, s:I, s:i, s:s, s:i}", "action", "allowed",
	    "gid", IOC_GID, "signature_id", (json_int_t)scanner_signature_id(
	    h->list, SCANNER_IOC_WHERE), "rev", 1, "category", DEFAULT_CATEGORY,
	    "severity", IOC_PRIORITY);
	if (a != NULL && json_object_set_new(a, "signature", jstr(sig,
	    sizeof(sig), NULL)) != 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *
scanner_ioc_event(const struct scanner_result *r)
{
	json_t	*ev;

	if (r->ioc.list == NULL || (ev = event_build("alert")) == NULL)
		return NULL;
	if (json_object_set_new(ev, "alert", ioc_alert_obj(&r->ioc)) ||
	    json_object_set_new(ev, "file", file_obj(r)) ||
	    json_object_set_new(ev, "evidence", ioc_evidence(&r->ioc,
	    SCANNER_IOC_WHERE, r->sha256, strlen(r->sha256)))) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}
