/*
 * scanner.h: YARA scanning of files with libyara.
 *
 * A struct scanner is one compiled rule set (loaded from rule files and
 * folders, checked file by file, cached on disk in compiled form) plus
 * the scan limits. It is immutable once loaded: any number of threads
 * may scan with it at the same time (each scan borrows its own
 * YR_SCANNER; up to 32 scans at once, then SCAN_ERROR). A reload builds a
 * new scanner and the caller swaps pointers; the old one is freed once no
 * scan uses it. A scanner_load() that finds no usable rule file fails and
 * leaves the caller's current scanner alone: the last good rules stay.
 *
 * Rule files: every path given is a rules file or a folder; a folder
 * contributes its *.yar and *.yara files (not its subfolders; names
 * starting with '.' are skipped), in byte order of their names. A file
 * with an error is logged as "FILE:LINE: message" and skipped, the others
 * load (when the set does not compile as a whole, each file is compiled
 * alone in its own YR_COMPILER to find the bad ones). Each file gets
 * its own YARA namespace, its base name ("webshell.yar"; a second file
 * with the same base name gets "webshell.yar~2"), so rule names may
 * repeat across files as they do in signature-base. include statements
 * are refused: a rule file must stand alone, so that the rule-set version
 * covers every byte that was compiled.
 *
 * External variables, as LOKI and THOR set them (signature-base's rules
 * use them), are defined for every scanned file:
 *   filename   base name, "invoice.pdf.exe"
 *   filepath   the folder holding the file, absolute, no trailing slash:
 *              "/media/usb" (LOKI's filepath is the folder too)
 *   extension  from the last '.' of the base name, lower case, WITH the
 *              dot: ".exe"; "" when there is none (LOKI: splitext().lower();
 *              signature-base compares extension == ".aspx")
 *   filetype   a guess from the first bytes (LOKI's names, so rules
 *              written for LOKI work): "EXE" (MZ), "ELF", "MACH-O", "PDF",
 *              "ZIP" (PK\3\4, which includes OOXML and JAR), "OLE" (the
 *              compound file of .doc/.xls/.msi), "RTF", "GZIP", "RAR",
 *              "7Zip", "PNG", "GIF", "JPEG", "MDMP", "PHP" (<?php),
 *              "ASP" (<%@), "JSP" (<%), "BATCH" (@echo), "VBS" (Function),
 *              "SCRIPT" (#!); "" when none fits
 *   owner      the user name of the file's uid, or the uid in decimal
 *
 * Rule-set version: the hex BLAKE2b-256 of the libyara version and the
 * sorted (path, content) of the files that loaded. Compiled rules are
 * saved as CACHE_DIR/set-VERSION.yarc (0600, temp file + rename) and
 * loaded from there on the next start instead of compiling; a cache file
 * that is not ours or is writable by others is ignored. The four most
 * recently used sets are kept, older ones deleted.
 *
 * The scan worker (scanworker.h) compiles as a user that can open
 * neither the rule files nor the cache: the daemon reads the rule files
 * into a sealed memfd (scanner_rules_bundle) and offers the cache as
 * descriptors (scanner_cache_offer): an empty file the worker saves into
 * and, if it has one, the set saved earlier for a bundle of exactly
 * these bytes. It names both CACHE_DIR/bundle-KEY.yarc, KEY its own hash
 * of the libyara version (its header's) and the bundle's bytes: never
 * what the worker reports, which only the worker's events carry. So a
 * worker owned through a hostile rule file, which may write anything
 * there (libyara trusts compiled rules), can leave it only for a worker
 * given the very rule files that owned it: one it would own at compile
 * anyway; no other rule set and no other process ever loads it. The
 * daemon never parses a byte of the bundle or of a compiled set.
 * rules-*.yarc files (named after a worker's word by older builds) are
 * deleted, never loaded.
 *
 * Indicator lists (ioc.h), optional: given a database with SHA-256
 * entries, every file read is hashed (SHA-256 of the bytes scanned) and
 * looked up; a listed file is a SCAN_MATCH even without a YARA match and
 * gives an IOC alert (scanner_ioc_event()). Its lookup does not depend on
 * YARA: a listed file whose YARA scan timed out or failed keeps its hit
 * beside that status. A file not read (too big, special, ...) is not
 * hashed. The verdict version (scanner_info.verdicts) covers the rules
 * and the set of listed hashes, so a scan cache keyed on it forgets its
 * verdicts when a hash is listed or unlisted, and only then.
 *
 * Process: the scanning process (read-only access to what it scans;
 * write access to the cache folder only). Errors are enum vigil_err.
 */
#ifndef VIGIL_SCANNER_H
#define VIGIL_SCANNER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ioc.h"

#define SCANNER_VERSION_LEN	64		/* hex characters */
#define SCANNER_MAX_SIZE	(64ULL << 20)	/* default size limit */
#define SCANNER_TIMEOUT		30		/* default seconds per file */
#define SCANNER_FILETYPE_MAX	8		/* "MACH-O" + NUL, rounded */
#define SCANNER_OWNER_MAX	64
#define SCANNER_EVENT_PATH	6144		/* bytes of a path in an event */
#define SCANNER_DATA_BUDGET	(32ULL << 20)	/* file bytes, all scans */
#define SCANNER_IOC_WHERE	"file.sha256"	/* an IOC alert's place */

#define SCANNER_CACHE_FILE_MAX	(512LL << 20)	/* a compiled set, bytes */

struct scanner;

/* The compiled cache as descriptors: the worker's, from the daemon. */
struct scanner_cachefds {
	int		 out;		/* empty, read-write: a set compiled
					 * is saved here; -1: none */
	int		 in;		/* read-only: the set saved for a
					 * bundle of the same bytes; -1: none */
	char		 key[SCANNER_VERSION_LEN + 1];	/* the daemon's:
					 * the bundle's, which names them */
};

struct scanner_opts {
	uint64_t	 max_size;	/* bytes; larger files are not scanned;
					 * 0: no limit */
	int		 timeout;	/* seconds per file, 0: none */
	const char	*cache_dir;	/* compiled-rules cache; NULL: none */
	const struct scanner_cachefds *cache_fds; /* without cache_dir:
					 * the cache as descriptors, borrowed
					 * (not closed); NULL: none */
	const struct iocdb *ioc;	/* lists for SHA-256 lookups, borrowed:
					 * must outlive the scanner; NULL:
					 * none */
	int		 sha256_all;	/* hash every file read, as if
					 * hashes were listed (the scan
					 * worker's: its parent holds the
					 * lists and looks the hash up) */
};

struct scanner_info {
	char		 version[SCANNER_VERSION_LEN + 1];	/* rules */
	/* what a verdict depends on, the key of a scan cache: version
	 * itself without listed hashes, else the hex BLAKE2b-256 of version
	 * and iocdb_sha256_set()'s fingerprint */
	char		 verdicts[SCANNER_VERSION_LEN + 1];
	size_t		 hashes;	/* distinct SHA-256 entries listed */
	size_t		 files;		/* rule files loaded */
	size_t		 failed;	/* rule files skipped (each logged) */
	uint32_t	 rules;		/* rules in the set */
	int64_t		 newest;	/* the newest modification time of
					 * the files loaded, Unix seconds
					 * (the set's age; the heartbeat's
					 * rules.yara.newest) */
	int		 from_cache;	/* 1: loaded compiled, not compiled */
};

enum scanner_status {
	SCAN_CLEAN = 0,
	SCAN_MATCH,
	SCAN_TOOBIG,		/* over max_size: not read */
	SCAN_TIMEOUT,		/* the per-file timeout expired */
	SCAN_UNREADABLE,	/* gone, no permission, I/O error, changed */
	SCAN_SPECIAL,		/* not a regular file, or reached through
				 * a symbolic link: never read */
	SCAN_ERROR,		/* libyara or memory failure */
	SCAN_OTHER_FS,		/* on a file system not entered (FUSE,
				 * network, the kernel's): never read */
	SCAN_STALLED,		/* its file system did not answer: the
				 * scanning thread was given up */
};

enum scanner_meta_type {
	SCANNER_META_STRING = 0,
	SCANNER_META_INT,
	SCANNER_META_BOOL,
};

struct scanner_meta {
	const char		*key;
	enum scanner_meta_type	 type;
	const char		*str;	/* SCANNER_META_STRING */
	int64_t			 num;	/* SCANNER_META_INT, _BOOL (0/1) */
};

/* One matching rule. The identifiers of the strings that matched, never
 * the matched data. Private strings are not listed. */
struct scanner_match {
	const char			*rule;
	const char			*ns;
	const char *const		*tags;
	size_t				 ntags;
	const struct scanner_meta	*meta;
	size_t				 nmeta;
	const char *const		*strings;	/* "$a", ... */
	size_t				 nstrings;
};

/* The verdict on one file. Pointers stay valid until
 * scanner_result_clear() and while the scanner lives. */
struct scanner_result {
	const char			*path;	/* as given to the scan */
	enum scanner_status		 status;
	char				 reason[160];	/* problems, too_many:
							 * why */
	size_t				 too_many;	/* strings over
					 * libyara's match limit: the
					 * verdict may be incomplete */
	int				 have_stat;	/* fields below set */
	uint64_t			 size;
	uint64_t			 inode;
	uint64_t			 device;
	uint32_t			 uid;
	int64_t				 mtime_us;
	char				 owner[SCANNER_OWNER_MAX];
	char				 filetype[SCANNER_FILETYPE_MAX];
	char				 sha256[65]; /* hex; for a match, and
					 * every file read when hashes are
					 * listed; else "" */
	struct ioc_hit			 ioc;	/* ioc.list NULL: not listed;
					 * the strings are the iocdb's */
	struct scanner_match		*matches;
	size_t				 nmatches;
};

/* libyara's process-wide state (and libsodium's). Reference counted:
 * every successful init needs one fini. ERR_NOMEM. Any thread. */
int	scanner_global_init(void);
void	scanner_global_fini(void);

/* Compile (or load from the cache) the rules in paths[0..npaths). Logs
 * every file it skips. ERR_NOTFOUND if no rule file loaded (all failed or
 * none found), ERR_NOMEM. On failure *out is NULL. */
int	scanner_load(struct scanner **out, const char *const *paths,
	    size_t npaths, const struct scanner_opts *opts);
/* The same with the rule files from a bundle (below) open on fd, which
 * is only read, not closed: the scan worker's. ERR_MALFORMED if the
 * bundle is not one. */
int	scanner_load_bundle(struct scanner **out, int fd,
	    const struct scanner_opts *opts);
/* Takes NULL. No scan may be running with it. */
void	scanner_free(struct scanner *);

/*
 * The daemon's side of a scan worker's load (no byte of a rule parsed):
 * scanner_rules_bundle() reads the rule files in paths (folders
 * expanded; each file regular, 16 MiB at most, problems logged and the
 * file marked skipped) into a sealed memfd, *fd (close-on-exec);
 * ERR_NOMEM, ERR_IO, ERR_TOOBIG. scanner_cache_offer() computes the key
 * of that bundle (bundle, only read), opens dir's compiled set of that
 * key if it is a private file of ours as fds->in, and creates an empty
 * private file, its name in tmp, as fds->out; ERR_IO if either cannot
 * be done (fds->in may still be open). scanner_cache_take() then closes
 * them all: when the worker loaded (loaded 1), the file written (1 byte
 * to SCANNER_CACHE_FILE_MAX) becomes the compiled set of that key, and
 * the set offered is marked used (pruning keeps the most recently
 * used); otherwise the file is removed.
 */
int	scanner_rules_bundle(int *fd, const char *const *paths, size_t npaths);
int	scanner_cache_offer(struct scanner_cachefds *fds,
	    char tmp[static PATH_MAX], const char *dir, int bundle);
void	scanner_cache_take(struct scanner_cachefds *fds, const char *tmp,
	    const char *dir, int loaded);
const struct scanner_info *scanner_info(const struct scanner *);

/*
 * Scan one file. Any thread. The path is opened O_PATH|O_NOFOLLOW and
 * fstat'ed first: a symlink, FIFO, device, socket or folder gives
 * SCAN_SPECIAL without being opened; a regular file is then opened for
 * reading through that descriptor (safeopen_reopen(): the same inode),
 * so the file checked is the file scanned. (Folders on the path are
 * followed as given: this is for paths an operator typed; the daemon
 * opens with safeopen_file() and calls scanner_scan_fd().) SHA-256 is computed
 * from the same bytes that were scanned, for files that match (every
 * file when hashes are listed, as said above). The verdict
 * is out->status (SCAN_ERROR, with a reason, when the scanner itself
 * failed, e.g. out of memory). Clear *out afterwards.
 */
void	scanner_scan_path(struct scanner *, struct scanner_result *out,
	    const char *path);
/* The same for a descriptor the caller opened (fanotify hands these
 * over); path is for the result, the variables and the events. The
 * descriptor is not closed; it is refused unless fstat says regular. */
void	scanner_scan_fd(struct scanner *, struct scanner_result *out, int fd,
	    const char *path);
/* The same with the owner's name given (owner, not NULL): the scan
 * worker's, whose sandbox cannot read the user database; its parent
 * names the owner with scanner_owner_name(). */
void	scanner_scan_fd_owner(struct scanner *, struct scanner_result *out,
	    int fd, const char *path, const char *owner);
/* The user name of uid, or uid in decimal, as the "owner" variable and
 * the events have it. */
void	scanner_owner_name(char out[static SCANNER_OWNER_MAX], uint32_t uid);
/* scanner_info.verdicts of the rule-set version with the lists ioc
 * (NULL: none), and in *hashes the distinct SHA-256 entries listed. For
 * a process that keeps the lists while another keeps the rules. */
void	scanner_verdicts(char out[static SCANNER_VERSION_LEN + 1],
	    size_t *hashes, const char *version, const struct iocdb *ioc);
void	scanner_result_clear(struct scanner_result *);
/*
 * The scans running together hold at most SCANNER_DATA_BUDGET bytes of
 * file data (a larger file is scanned alone, but for files of 1 MiB or
 * less, which use memory the scanner keeps anyway; a scan waits its turn,
 * in order of arrival). 1 if a scan of a file of size bytes would start
 * now without waiting: a hint for a caller with a choice of files to scan
 * next.
 */
int	scanner_data_fits(struct scanner *, uint64_t size);

/* "clean", "match", "too_big", "timeout", "unreadable", "special",
 * "error", "other_fs", "stalled" */
const char	*scanner_status_name(enum scanner_status);
/* The same for a result, and "too_many_matches" for a clean or matching
 * one with too_many set. */
const char	*scanner_result_status(const struct scanner_result *);

/*
 * The EVE event for a result (docs/events.md, "file and yara alerts"):
 * with m (one of r->matches) an "alert" event for that rule; with m NULL
 * a "scan" event for a problem (status too_big, timeout, unreadable,
 * special, error, other_fs, stalled) or for too_many (status
 * too_many_matches, besides the alerts). NULL for a clean file without
 * too_many, or on allocation failure. Strings that are not UTF-8 (paths,
 * meta) are escaped as documented there; a path over SCANNER_EVENT_PATH
 * bytes is cut in the middle ("path_truncated": true). The caller owns
 * the event.
 */
json_t	*scanner_event(const struct scanner_result *r,
	    const struct scanner_match *m);
/*
 * The IOC alert of a listed file (docs/events.md, "A listed file"): gid
 * IOC_GID, sid scanner_signature_id(list, SCANNER_IOC_WHERE), signature
 * ioc_signature(), category "Malware" (as a YARA rule's without one: a
 * file, not traffic), severity IOC_PRIORITY, the
 * "file" object as in a YARA alert and the "evidence" of ioc_evidence()
 * with the file's SHA-256 as the value. NULL when the file is not listed,
 * or on allocation failure. The caller owns the event.
 */
json_t	*scanner_ioc_event(const struct scanner_result *r);

/* Alert helpers, exposed for the event documentation and the tests. */
/* Suricata-style severity 1..3 from the rule's meta: "severity" as 1..3
 * or critical/high (1), medium (2), low/info (3), any case; else "score"
 * (signature-base, 0..100): >= 80 is 1, >= 60 is 2, less is 3; else 2. */
int		scanner_severity(const struct scanner_match *);
/* 31-bit id: the first 4 bytes (big-endian) of BLAKE2b-128 of
 * ns "\0" rule, masked with 0x7fffffff; 0 becomes 1. */
uint32_t	scanner_signature_id(const char *ns, const char *rule);

#endif
