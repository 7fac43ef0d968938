/*
 * report_sched.c: the scheduled report's thread (report_sched.h;
 * docs/report.md, "The schedule").
 *
 * A run is one report: a period and an office ('' for the province's).
 * The thread
 *  1. when the periods that ended change (at its start, after local
 *     midnight, after a clock jump): adds a report_runs row for each
 *     period of a scheduled kind ended since the newest one recorded
 *     (the last one only, on a store without any), for the province
 *     and/or each office; INSERT OR IGNORE on (kind, period, office):
 *     a report recorded is never written twice, whatever the clock
 *     does;
 *  2. takes the runs whose step is due, one at a time: writing (the
 *     report built once on its own store handle, rendered in memory
 *     in each format, each file written beside and renamed over, its
 *     SHA-256 recorded), then mailing (each file read back and checked
 *     against its hash, attached, sent through the relay);
 *  3. sleeps until the next midnight, the next retry or a minute,
 *     whichever comes first.
 *
 * Invariants:
 * - A step's outcome is in the store before the next is taken: a
 *   collector that stops or crashes resumes where the store says.
 * - A failed write is retried on [report] retry, then every last
 *   interval, for ever (the report is owed); a failed mail gives up
 *   after the schedule, recorded as given-up.
 * - Only this thread uses st and the mailer; the owner only sets stop.
 * Load: a few runs a period; a province report builds in ~1.5 s (the
 *   store's indexes, docs/report.md), rendered in memory (a PDF is a
 *   few MB at most), mailed once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>
#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "mailer.h"
#include "pathset.h"
#include "report_sched.h"
#include "store.h"
#include "text.h"
#include "throttle.h"

#define NFORMATS	5		/* enum report_format */
#define TICK_MAX_S	60		/* a clock jump is seen within */
#define STEPS_PER_TICK	64		/* runs taken before the next look */
#define HASH_HEX	(2 * crypto_hash_sha256_BYTES + 1)

_Static_assert(CONFIG_FMT_JSON == 1 << REPORT_JSON &&
    CONFIG_FMT_MD == 1 << REPORT_MD && CONFIG_FMT_CSV == 1 << REPORT_CSV &&
    CONFIG_FMT_HTML == 1 << REPORT_HTML && CONFIG_FMT_PDF == 1 << REPORT_PDF,
    "[report] formats bits follow enum report_format");
_Static_assert(CONFIG_SCHED_MONTH == 1 << REPORT_MONTH &&
    CONFIG_SCHED_QUARTER == 1 << REPORT_QUARTER &&
    CONFIG_SCHED_HALF == 1 << REPORT_HALF &&
    CONFIG_SCHED_YEAR == 1 << REPORT_YEAR,
    "[report] schedule bits follow enum report_kind");

static const char *const kind_name[] = { "month", "quarter", "half",
    "year" };
static const char *const kind_vi[] = { "tháng", "quý", "6 tháng", "năm" };
static const char *const kind_en[] = { "monthly", "quarterly",
    "half-yearly", "yearly" };
static const char *const fmt_name[NFORMATS] = { "json", "md", "csv",
    "html", "pdf" };
static const char *const fmt_type[NFORMATS] = { "application/json",
    "text/markdown; charset=UTF-8", "text/csv; charset=UTF-8",
    "text/html; charset=UTF-8", "application/pdf" };

/* ---- periods ---- */

int
report_period_at(struct report_period *out, int kind, int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;
	char		label[32];	/* report_period_parse checks it */
	int		y;

	if (kind < REPORT_MONTH || kind > REPORT_YEAR ||
	    localtime_r(&tt, &tm) == NULL)
		return ERR_MALFORMED;
	y = tm.tm_year + 1900;
	if (y < 1970 || y > 9999)
		return ERR_MALFORMED;
	switch (kind) {
	case REPORT_MONTH:
		(void)snprintf(label, sizeof(label), "%04d-%02d", y,
		    tm.tm_mon + 1);
		break;
	case REPORT_QUARTER:
		(void)snprintf(label, sizeof(label), "%04d-Q%d", y,
		    tm.tm_mon / 3 + 1);
		break;
	case REPORT_HALF:
		(void)snprintf(label, sizeof(label), "%04d-H%d", y,
		    tm.tm_mon / 6 + 1);
		break;
	default:
		(void)snprintf(label, sizeof(label), "%04d", y);
	}
	return report_period_parse(out, kind, label);
}

int
report_sched_ended(struct report_period *out, size_t max, int kind,
    int64_t since, int64_t now)
{
	struct report_period	p, t;
	size_t			n = 0, i;

	if (max > REPORT_SCHED_CATCHUP * 100 ||
	    report_period_at(&p, kind, now) != 0)
		return ERR_MALFORMED;
	/* p.from <= now, so each one before it has ended */
	while (n < max && report_period_at(&p, kind, p.from - 1) == 0 &&
	    p.to > since) {
		out[n++] = p;
		if (since < 0)
			break;
	}
	for (i = 0; i < n / 2; i++) {
		t = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	return (int)n;
}

/* ---- file names ---- */

int
report_sched_filename(char *out, size_t outlen, const struct report_period *p,
    const char *office, const char *ext)
{
	char		 slug[STORE_NAME_MAX + 1];
	uint8_t		 h[4];
	size_t		 len, i;
	int		 utf8, k;

	if (office == NULL || *office == '\0')
		k = snprintf(out, outlen, "report-%s.%s", p->label, ext);
	else {
		if ((len = strlen(office)) >= sizeof(slug))
			return ERR_TOOBIG;
		/* UTF-8 letters are kept only from a name that is all
		 * valid and printable (no bidi controls in a file name) */
		utf8 = text_utf8_valid(office, len) &&
		    text_printable(office, len);
		for (i = 0; i < len; i++) {
			unsigned char	c = (unsigned char)office[i];

			slug[i] = (c >= '0' && c <= '9') || (c >= 'a' &&
			    c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
			    (c >= 0x80 && utf8) ? (char)c : '-';
		}
		slug[len] = '\0';
		if (memcmp(slug, office, len) == 0)
			k = snprintf(out, outlen, "report-%s-%s.%s", p->label,
			    slug, ext);
		else {
			crypto_generichash(h, sizeof(h),
			    (const unsigned char *)office, len, NULL, 0);
			k = snprintf(out, outlen, "report-%s-%s-%02x%02x%02x"
			    "%02x.%s", p->label, slug, h[0], h[1], h[2], h[3],
			    ext);
		}
	}
	if (k < 0 || (size_t)k >= outlen) {
		if (outlen > 0)
			*out = '\0';
		return ERR_TOOBIG;
	}
	return 0;
}

/* ---- the store ---- */

enum {
	R_INSERT,
	R_NEWEST,
	R_DUE,
	R_NEXT,
	R_WRITTEN,
	R_STEP,
	R_FILE_ADD,
	R_FILES,
	R_OFFICES,
	R_COUNT
};

static const char *const r_sql[R_COUNT] = {
	[R_INSERT] = "INSERT OR IGNORE INTO report_runs(kind, period, office,"
	    " due) VALUES (?1, ?2, ?3, ?4)",
	[R_NEWEST] = "SELECT period FROM report_runs WHERE kind = ?1"
	    " AND due <= ?2 ORDER BY due DESC LIMIT 1",
	[R_DUE] = "SELECT id, kind, period, office, written, attempts"
	    " FROM report_runs WHERE (written = 0 OR mail = 'pending')"
	    " AND next_try <= ?1 ORDER BY due, id LIMIT 1",
	[R_NEXT] = "SELECT min(next_try) FROM report_runs"
	    " WHERE written = 0 OR mail = 'pending'",
	[R_WRITTEN] = "UPDATE report_runs SET written = ?2, mail = ?3,"
	    " attempts = 0, next_try = 0, last_error = '' WHERE id = ?1",
	[R_STEP] = "UPDATE report_runs SET mail = ?2, attempts = ?3,"
	    " next_try = ?4, last_error = ?5 WHERE id = ?1",
	[R_FILE_ADD] = "INSERT OR REPLACE INTO report_files(run, format,"
	    " path, sha256, bytes, written) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[R_FILES] = "SELECT format, path, sha256 FROM report_files"
	    " WHERE run = ?1 ORDER BY format",
	[R_OFFICES] = "SELECT DISTINCT office FROM agents WHERE enrolled < ?1"
	    " AND office <> '' ORDER BY office",
};

static const struct db_table r_table = { "report_sched", r_sql, R_COUNT };

/* One report, as its row says. */
struct run {
	int64_t			 id;
	struct report_period	 p;
	char			 office[STORE_NAME_MAX + 1];	/* "": all */
	int64_t			 written;
	int			 attempts;
};

/* A file of a run, read back for the mail. */
struct att {
	char		 path[PATH_MAX];
	const char	*name;		/* in path */
	const char	*type;
	char		 sha[HASH_HEX];
	char		*buf;
	size_t		 len;
};

struct report_sched {
	struct collector_config	 cfg;
	char			 dbpath[PATH_MAX];
	char			 dir[PATH_MAX];
	int			 formats;	/* CONFIG_FMT_* */
	int			 defaulted;	/* formats not configured */
	int			 lang;		/* enum report_lang */
	int64_t			 offset;	/* test clock, seconds */
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* CLOCK_MONOTONIC */
	int			 stop;
	int			 curl;		/* initialised */
	/* the thread's own */
	struct store		*st;
	struct mailer		 mailer;
	char			 last[REPORT_YEAR + 1][16]; /* the periods
						 * ended at the last look */
};

static int64_t
now_s(const struct report_sched *rs)
{
	return (int64_t)time(NULL) + rs->offset;
}

static int
stopping(struct report_sched *rs)
{
	int	s;

	pthread_mutex_lock(&rs->mu);
	s = rs->stop;
	pthread_mutex_unlock(&rs->mu);
	return s;
}

static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) != SQLITE_OK;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const char	*s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

/* The step of run r failed (why): attempts and next_try moved on
 * along [report] retry; mail is the state the run keeps. */
static void
step_failed(struct report_sched *rs, const struct run *r, int mailing,
    const char *why, int64_t now)
{
	struct db	*db = store_db(rs->st);
	sqlite3_stmt	*st;
	const char	*mail = mailing ? "pending" : "none";
	int		 attempts = r->attempts + 1, given_up = 0;
	int64_t		 wait;

	wait = throttle_retry_s(rs->cfg.report_retry.s, rs->cfg.report_retry.n,
	    attempts);
	if (wait < 0 && mailing) {
		mail = "given-up";
		given_up = 1;
	}
	else if (wait < 0)	/* a report is owed: keep trying */
		wait = rs->cfg.report_retry.n > 0 ?
		    rs->cfg.report_retry.s[rs->cfg.report_retry.n - 1] : 3600;
	if (wait < 1)
		wait = 1;
	log_warnx("report %s %s%s%s: %s failed (attempt %d): %s; %s",
	    kind_name[r->p.kind], r->p.label, *r->office ? " " : "",
	    r->office, mailing ? "mail" : "writing", attempts, why,
	    given_up ? "given up" : "retried later");
	if ((st = db_table_stmt(db, &r_table, R_STEP)) == NULL)
		return;
	if (sqlite3_bind_int64(st, 1, r->id) != SQLITE_OK ||
	    bind_text(st, 2, mail) ||
	    sqlite3_bind_int(st, 3, attempts) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, now + wait) != SQLITE_OK ||
	    bind_text(st, 5, why)) {
		db_done(st);
		(void)db_fail(db, "report step");
		return;
	}
	(void)db_run(db, st, "report step");
}

/* ---- writing ---- */

/* The folder, made 0700 if absent; refused unless it is a folder of
 * ours that no one else may write. */
static int
dir_ready(const char *dir)
{
	struct stat	sb;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("report: %s", dir);
		return ERR_IO;
	}
	if (lstat(dir, &sb) == -1) {
		log_warn("report: %s", dir);
		return ERR_IO;
	}
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 022) != 0) {
		log_warnx("report: %s: not a folder of this user's that only "
		    "it may write", dir);
		return ERR_IO;
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	k;

	while (len > 0) {
		if ((k = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* buf as dir/name, whole or not at all (a file beside it, synced, then
 * renamed over; the folder synced), mode 0600. */
static int
put_file(const char *dir, const char *name, const char *buf, size_t len,
    char *path, size_t pathlen, char *why, size_t whylen)
{
	char	tmp[PATH_MAX];
	int	fd, dfd, k;

	if (pathset_join(path, pathlen, dir, name) != 0 ||
	    (k = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path)) < 0 ||
	    (size_t)k >= sizeof(tmp)) {
		(void)snprintf(why, whylen, "%.1024s/%.255s: name too long",
		    dir, name);
		return ERR_TOOBIG;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		(void)snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		return ERR_IO;
	}
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		(void)snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		return ERR_IO;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		(void)snprintf(why, whylen, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return ERR_IO;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);	/* the rename, durable */
		(void)close(dfd);
	}
	return 0;
}

/* doc rendered as format into *out (malloc'd). 0, ERR_USAGE (a format
 * this build does not write), ERR_IO, ERR_NOMEM. */
static int
render(char **out, size_t *len, const json_t *doc, int format, int lang)
{
	FILE	*f;
	int	 rc;

	*out = NULL;
	if ((f = open_memstream(out, len)) == NULL)
		return ERR_NOMEM;
	rc = report_write(f, doc, format, lang);
	if (fclose(f) != 0 && rc == 0)
		rc = ERR_NOMEM;
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static void
sha256_hex(char out[static HASH_HEX], const char *buf, size_t len)
{
	uint8_t	h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)buf, len);
	sodium_bin2hex(out, HASH_HEX, h, sizeof(h));
}

static int
file_record(struct report_sched *rs, int64_t run, int format,
    const char *path, const char *sha, size_t len, int64_t now)
{
	struct db	*db = store_db(rs->st);
	sqlite3_stmt	*st;

	if ((st = db_table_stmt(db, &r_table, R_FILE_ADD)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, run) != SQLITE_OK ||
	    bind_text(st, 2, fmt_name[format]) || bind_text(st, 3, path) ||
	    bind_text(st, 4, sha) ||
	    sqlite3_bind_int64(st, 5, (int64_t)len) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now) != SQLITE_OK) {
		db_done(st);
		return db_fail(db, "report file");
	}
	return db_run(db, st, "report file");
}

/* One format of r: rendered, written, recorded. 1: skipped (a default
 * format this build does not write). */
static int
write_format(struct report_sched *rs, const struct run *r, const json_t *doc,
    int format, int64_t now, char *why, size_t whylen)
{
	char	*buf, name[NAME_MAX + 1], path[PATH_MAX], sha[HASH_HEX];
	size_t	 len;
	int	 rc;

	if ((rc = render(&buf, &len, doc, format, rs->lang)) != 0) {
		if (rc == ERR_USAGE && rs->defaulted)
			return 1;
		(void)snprintf(why, whylen, "%s: %s", fmt_name[format],
		    rc == ERR_USAGE ? "this build of vigil does not write "
		    "that format" : vigil_strerror(rc));
		return rc;
	}
	sha256_hex(sha, buf, len);
	if ((rc = report_sched_filename(name, sizeof(name), &r->p, r->office,
	    fmt_name[format])) != 0)
		(void)snprintf(why, whylen, "%s: file name too long",
		    fmt_name[format]);
	else if ((rc = put_file(rs->dir, name, buf, len, path, sizeof(path),
	    why, whylen)) == 0 && (rc = file_record(rs, r->id, format, path,
	    sha, len, now)) != 0)
		(void)snprintf(why, whylen, "%s: not recorded in the store",
		    path);
	free(buf);
	if (rc == 0)
		log_info("report %s %s%s%s: %s written (%zu bytes, sha256 %s)",
		    kind_name[r->p.kind], r->p.label, *r->office ? " " : "",
		    r->office, path, len, sha);
	return rc;
}

static int
mark_written(struct report_sched *rs, const struct run *r, int64_t now)
{
	struct db	*db = store_db(rs->st);
	sqlite3_stmt	*st;

	if ((st = db_table_stmt(db, &r_table, R_WRITTEN)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, r->id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    bind_text(st, 3, rs->cfg.report_mail_to.n > 0 ? "pending" :
	    "none")) {
		db_done(st);
		return db_fail(db, "report written");
	}
	return db_run(db, st, "report written");
}

/* Build r's report once, write each format. */
static void
run_write(struct report_sched *rs, const struct run *r, int64_t now)
{
	struct report_opts	 o = { 0 };
	json_t			*doc = NULL;
	char			 why[PATH_MAX + 128] = "";
	int			 f, rc, wrote = 0;

	o.period = r->p;
	o.office = *r->office ? r->office : NULL;
	o.now = now;
	o.by = "vigil-collector (schedule)";
	o.data_dir = rs->cfg.data_dir;
	o.critical = &rs->cfg.corr_critical;
	if ((rc = dir_ready(rs->dir)) != 0)
		(void)snprintf(why, sizeof(why), "%s: cannot use the folder",
		    rs->dir);
	else if ((rc = report_build(&doc, rs->st, &o)) != 0)
		(void)snprintf(why, sizeof(why), "building it: %s",
		    vigil_strerror(rc));
	for (f = 0; rc == 0 && f < NFORMATS; f++) {
		if (!(rs->formats & 1 << f))
			continue;
		if ((rc = write_format(rs, r, doc, f, now, why,
		    sizeof(why))) == 1)
			rc = 0;
		else if (rc == 0)
			wrote++;
	}
	json_decref(doc);
	if (rc == 0 && wrote == 0) {
		rc = ERR_USAGE;
		(void)snprintf(why, sizeof(why), "no format of [report] "
		    "formats is written by this build");
	}
	if (rc == 0 && (rc = mark_written(rs, r, now)) != 0)
		(void)snprintf(why, sizeof(why), "not recorded in the store");
	if (rc != 0)
		step_failed(rs, r, 0, why, now);
}

/* ---- mailing ---- */

/* a's file, read through the descriptor opened and checked, and its
 * hash compared with the one recorded when it was written. */
static int
att_load(struct att *a, char *why, size_t whylen)
{
	struct stat	sb;
	char		sha[HASH_HEX];
	ssize_t		k;
	size_t		got = 0;
	int		fd;

	if ((fd = open(a->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		(void)snprintf(why, whylen, "%.1024s: %s", a->path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > REPORT_SCHED_FILE_MAX) {
		(void)snprintf(why, whylen, "%.1024s: not a file of at most "
		    "%d bytes", a->path, REPORT_SCHED_FILE_MAX);
		goto fail;
	}
	a->len = (size_t)sb.st_size;
	if ((a->buf = malloc(a->len + 1)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		goto fail;
	}
	while (got < a->len && (k = read(fd, a->buf + got, a->len - got)) > 0)
		got += (size_t)k;
	sha256_hex(sha, a->buf, got);
	if (got != a->len || strcmp(sha, a->sha) != 0) {
		(void)snprintf(why, whylen, "%.1024s: changed since it was "
		    "written "
		    "(sha256 %s, recorded %s)", a->path, sha, a->sha);
		goto fail;
	}
	(void)close(fd);
	return 0;
fail:
	if (fd != -1)
		(void)close(fd);
	free(a->buf);
	a->buf = NULL;
	return ERR_IO;
}

/* r's files, as recorded: how many (at most NFORMATS), or an error. */
static int
att_list(struct report_sched *rs, const struct run *r, struct att *a)
{
	struct db	*db = store_db(rs->st);
	sqlite3_stmt	*st;
	int		 n = 0, rc, f;

	if ((st = db_table_stmt(db, &r_table, R_FILES)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, r->id) != SQLITE_OK) {
		db_done(st);
		return db_fail(db, "report files");
	}
	while (n < NFORMATS && (rc = db_row(db, st, "report files")) == 0) {
		for (f = 0; f < NFORMATS && strcmp(col(st, 0),
		    fmt_name[f]) != 0; f++)
			;
		if (f == NFORMATS)
			continue;
		memset(&a[n], 0, sizeof(a[n]));
		(void)snprintf(a[n].path, sizeof(a[n].path), "%s", col(st, 1));
		(void)snprintf(a[n].sha, sizeof(a[n].sha), "%s", col(st, 2));
		a[n].name = strrchr(a[n].path, '/') ? strrchr(a[n].path, '/') +
		    1 : a[n].path;
		a[n].type = fmt_type[f];
		n++;
	}
	db_done(st);
	return n;
}

/* Who the report is about, for people: the office's name (its controls
 * escaped), or the province's words. */
static void
scope(char *out, size_t outlen, const struct run *r, int en)
{
	if (*r->office == '\0')
		(void)snprintf(out, outlen, "%s", en ? "every office" :
		    "toàn bộ các đơn vị");
	else
		(void)text_escape(out, outlen, r->office, strlen(r->office),
		    TEXT_TERM, NULL);
}

/* The text part, Vietnamese then English. */
static char *
mail_text(const struct run *r, const struct att *a, int n)
{
	char	*t = NULL, names[NFORMATS * (NAME_MAX + 3)] = "";
	char	 vi[4 * STORE_NAME_MAX + 32], en[4 * STORE_NAME_MAX + 32];
	int	 i;

	for (i = 0; i < n; i++)
		(void)snprintf(names + strlen(names), sizeof(names) -
		    strlen(names), "%s%s", i ? ", " : "", a[i].name);
	scope(vi, sizeof(vi), r, 0);
	scope(en, sizeof(en), r, 1);
	if (asprintf(&t, "Báo cáo %s %s của vigil (%s), lập tự động khi kỳ "
	    "báo cáo kết thúc.\nTệp đính kèm: %s\n\n"
	    "vigil's %s report %s (%s), made when the period ended.\n"
	    "Attached: %s\n\nvigil-collector reports\n", kind_vi[r->p.kind],
	    r->p.label, vi, names, kind_en[r->p.kind], r->p.label, en,
	    names) < 0)
		return NULL;
	return t;
}

/* Date, From, To, Subject: the headers curl sends above the MIME
 * parts (the addresses are [report]'s, checked by config.c). */
static int
mail_headers(struct report_sched *rs, const struct run *r,
    struct curl_slist **h)
{
	struct curl_slist	*n;
	char			 line[CONFIG_LIST_MAX * (CONFIG_ITEM_MAX + 4)];
	char			 subj[512], enc[1024], who[4 * STORE_NAME_MAX +
				     32];
	struct tm		 tm;
	time_t			 t = time(NULL);
	size_t			 k;
	int			 i;

	scope(who, sizeof(who), r, 0);
	(void)snprintf(subj, sizeof(subj), "%s Báo cáo %s %s / %s report %s: "
	    "%s", rs->cfg.notify_subject_prefix, kind_vi[r->p.kind],
	    r->p.label, kind_en[r->p.kind], r->p.label, who);
	if (mailer_encode_word(enc, sizeof(enc), subj) != 0)
		return -1;
	gmtime_r(&t, &tm);
	k = strftime(line, sizeof(line), "Date: %a, %d %b %Y %H:%M:%S +0000",
	    &tm);
	if (k == 0 || (n = curl_slist_append(*h, line)) == NULL)
		return -1;
	*h = n;
	(void)snprintf(line, sizeof(line), "From: <%s>",
	    rs->cfg.notify_mail_from);
	if ((n = curl_slist_append(*h, line)) == NULL)
		return -1;
	*h = n;
	k = (size_t)snprintf(line, sizeof(line), "To: ");
	for (i = 0; i < rs->cfg.report_mail_to.n; i++)
		k += (size_t)snprintf(line + k, sizeof(line) - k, "%s<%s>",
		    i ? ", " : "", rs->cfg.report_mail_to.item[i]);
	if ((n = curl_slist_append(*h, line)) == NULL)
		return -1;
	*h = n;
	(void)snprintf(line, sizeof(line), "Subject: %s", enc);
	if ((n = curl_slist_append(*h, line)) == NULL ||
	    (*h = n, n = curl_slist_append(*h,
	    "Auto-Submitted: auto-generated")) == NULL)
		return -1;
	*h = n;
	return 0;
}

static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	(void)a;
	(void)b;
	(void)c;
	(void)d;
	return stopping(arg);	/* non-zero: cut short */
}

static int
mime_part(curl_mime *m, const char *data, size_t len, const char *type,
    const char *name)
{
	curl_mimepart	*p;

	return (p = curl_mime_addpart(m)) == NULL ||
	    curl_mime_data(p, data, len) != CURLE_OK ||
	    curl_mime_type(p, type) != CURLE_OK ||
	    curl_mime_encoder(p, "base64") != CURLE_OK ||
	    (name != NULL && curl_mime_filename(p, name) != CURLE_OK) ? -1 : 0;
}

/* One attempt: r's text and its files a[0 .. n-1], to [report]
 * mail_to. 0, or ERR_IO with why. */
static int
mail_send(struct report_sched *rs, const struct run *r, const struct att *a,
    int n, char *why, size_t whylen)
{
	struct curl_slist	*rcpt = NULL, *hdr = NULL;
	curl_mime		*mime = NULL;
	CURL			*c;
	CURLcode		 cc = CURLE_OUT_OF_MEMORY;
	char			 err[CURL_ERROR_SIZE] = "", *text;
	int			 i, bad;

	if ((text = mail_text(r, a, n)) == NULL ||
	    (c = curl_easy_init()) == NULL) {
		free(text);
		(void)snprintf(why, whylen, "out of memory");
		return ERR_NOMEM;
	}
	bad = mailer_envelope(&rs->mailer, c, &rs->cfg.report_mail_to, &rcpt,
	    err) != 0 || mail_headers(rs, r, &hdr) != 0 ||
	    (mime = curl_mime_init(c)) == NULL ||
	    mime_part(mime, text, CURL_ZERO_TERMINATED,
	    "text/plain; charset=UTF-8", NULL) != 0;
	for (i = 0; !bad && i < n; i++)
		bad = mime_part(mime, a[i].buf, a[i].len, a[i].type,
		    a[i].name) != 0;
	if (!bad && curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress) ==
	    CURLE_OK && curl_easy_setopt(c, CURLOPT_XFERINFODATA, rs) ==
	    CURLE_OK)
		cc = curl_easy_perform(c);
	(void)snprintf(why, whylen, "%s", cc == CURLE_OK ? "" : *err ? err :
	    curl_easy_strerror(cc));
	curl_easy_cleanup(c);
	curl_mime_free(mime);
	curl_slist_free_all(rcpt);
	curl_slist_free_all(hdr);
	free(text);
	return cc == CURLE_OK ? 0 : ERR_IO;
}

static void
run_mail(struct report_sched *rs, const struct run *r, int64_t now)
{
	struct db	*db = store_db(rs->st);
	struct att	 a[NFORMATS];
	sqlite3_stmt	*st;
	char		 why[2 * PATH_MAX + 128] = "", host[CONFIG_ITEM_MAX];
	int		 n, i, rc = 0;

	if ((n = att_list(rs, r, a)) < 0) {
		step_failed(rs, r, 1, "its files cannot be read from the "
		    "store", now);
		return;
	}
	for (i = 0; rc == 0 && i < n; i++)
		rc = att_load(&a[i], why, sizeof(why));
	if (rc == 0)
		rc = mail_send(rs, r, a, n, why, sizeof(why));
	for (i = 0; i < n; i++)
		free(a[i].buf);
	if (rc != 0) {
		step_failed(rs, r, 1, why, now);
		return;
	}
	mailer_host(host, sizeof(host), rs->cfg.notify_smtp);
	log_info("report %s %s%s%s: mailed to %d recipients through %s",
	    kind_name[r->p.kind], r->p.label, *r->office ? " " : "",
	    r->office, rs->cfg.report_mail_to.n, host);
	if ((st = db_table_stmt(db, &r_table, R_STEP)) == NULL)
		return;
	if (sqlite3_bind_int64(st, 1, r->id) != SQLITE_OK ||
	    bind_text(st, 2, "sent") ||
	    sqlite3_bind_int(st, 3, r->attempts + 1) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, 0) != SQLITE_OK ||
	    bind_text(st, 5, "")) {
		db_done(st);
		(void)db_fail(db, "report mailed");
		return;
	}
	(void)db_run(db, st, "report mailed");
}

/* ---- the schedule ---- */

static int
kind_of(const char *s)
{
	int	k;

	for (k = REPORT_MONTH; k <= REPORT_YEAR; k++)
		if (strcmp(s, kind_name[k]) == 0)
			return k;
	return -1;
}

/* The end of the newest period of kind recorded that has ended by now
 * (one recorded under a clock that ran ahead does not count); -1: none. */
static int64_t
newest_end(struct report_sched *rs, int kind, int64_t now)
{
	struct db		*db = store_db(rs->st);
	struct report_period	 p;
	sqlite3_stmt		*st;
	int64_t			 end = -1;

	if ((st = db_table_stmt(db, &r_table, R_NEWEST)) == NULL)
		return -1;
	if (bind_text(st, 1, kind_name[kind]) ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK) {
		db_done(st);
		(void)db_fail(db, "report newest");
		return -1;
	}
	if (db_row(db, st, "report newest") == 0 &&
	    report_period_parse(&p, kind, col(st, 0)) == 0)
		end = p.to;
	db_done(st);
	return end;
}

static int
run_add(struct report_sched *rs, const struct report_period *p,
    const char *office)
{
	struct db	*db = store_db(rs->st);
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_table_stmt(db, &r_table, R_INSERT)) == NULL)
		return ERR_IO;
	if (bind_text(st, 1, kind_name[p->kind]) ||
	    bind_text(st, 2, p->label) || bind_text(st, 3, office) ||
	    sqlite3_bind_int64(st, 4, p->to) != SQLITE_OK) {
		db_done(st);
		return db_fail(db, "report run");
	}
	if ((rc = db_run(db, st, "report run")) == 0 &&
	    sqlite3_changes(db_sqlite(db)) > 0)
		log_info("report %s %s%s%s: due", kind_name[p->kind], p->label,
		    *office ? " " : "", office);
	return rc;
}

/* A run for each office with agents enrolled before p ended. */
static int
runs_each(struct report_sched *rs, const struct report_period *p)
{
	struct db	*db = store_db(rs->st);
	sqlite3_stmt	*st;
	typedef char	 name_t[STORE_NAME_MAX + 1];
	name_t		*names = NULL, *nn;
	size_t		 n = 0, i;
	int		 rc;

	if ((st = db_table_stmt(db, &r_table, R_OFFICES)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, p->to) != SQLITE_OK) {
		db_done(st);
		return db_fail(db, "report offices");
	}
	/* read whole before the inserts: no statement left mid-step */
	while ((rc = db_row(db, st, "report offices")) == 0) {
		if ((nn = reallocarray(names, n + 1, sizeof(*names))) == NULL) {
			rc = ERR_NOMEM;
			break;
		}
		names = nn;
		(void)snprintf(names[n++], sizeof(*names), "%s", col(st, 0));
	}
	db_done(st);
	if (rc == ERR_NOTFOUND)
		rc = 0;
	for (i = 0; rc == 0 && i < n; i++)
		rc = run_add(rs, p, names[i]);
	free(names);
	return rc;
}

/* Step 1: the runs of the periods ended. */
static void
schedule(struct report_sched *rs, int64_t now)
{
	struct report_period	 p[REPORT_SCHED_CATCHUP];
	struct db		*db = store_db(rs->st);
	int			 k, n, i, rc = 0;

	if (db_begin(db, DB_IMMEDIATE) != 0)
		return;
	for (k = REPORT_MONTH; rc == 0 && k <= REPORT_YEAR; k++) {
		if (!(rs->cfg.report_schedule & 1 << k))
			continue;
		if ((n = report_sched_ended(p, REPORT_SCHED_CATCHUP, k,
		    newest_end(rs, k, now), now)) < 0)
			continue;
		for (i = 0; rc == 0 && i < n; i++) {
			if (rs->cfg.report_offices & CONFIG_OFFICES_ALL)
				rc = run_add(rs, &p[i], "");
			if (rc == 0 && rs->cfg.report_offices &
			    CONFIG_OFFICES_EACH)
				rc = runs_each(rs, &p[i]);
		}
	}
	(void)db_end(db, rc);
}

/* Have the periods ended changed since the last look? */
static int
ended_changed(struct report_sched *rs, int64_t now)
{
	struct report_period	p;
	int			k, changed = 0;

	for (k = REPORT_MONTH; k <= REPORT_YEAR; k++) {
		if (!(rs->cfg.report_schedule & 1 << k) ||
		    report_sched_ended(&p, 1, k, -1, now) != 1 ||
		    strcmp(p.label, rs->last[k]) == 0)
			continue;
		(void)snprintf(rs->last[k], sizeof(rs->last[k]), "%s",
		    p.label);
		changed = 1;
	}
	return changed;
}

/* The next run whose step is due by now, in *r: 0, ERR_NOTFOUND. */
static int
run_due(struct report_sched *rs, struct run *r, int64_t now)
{
	struct db	*db = store_db(rs->st);
	sqlite3_stmt	*st;
	int		 rc, k;

	if ((st = db_table_stmt(db, &r_table, R_DUE)) == NULL)
		return ERR_IO;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
		db_done(st);
		return db_fail(db, "report due");
	}
	if ((rc = db_row(db, st, "report due")) == 0) {
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		if ((k = kind_of(col(st, 1))) < 0 ||
		    report_period_parse(&r->p, k, col(st, 2)) != 0)
			rc = ERR_MALFORMED;
		(void)snprintf(r->office, sizeof(r->office), "%s", col(st, 3));
		r->written = sqlite3_column_int64(st, 4);
		r->attempts = sqlite3_column_int(st, 5);
	}
	db_done(st);
	return rc;
}

/* When the next retry is due (Unix seconds), 0 for none. */
static int64_t
next_try(struct report_sched *rs)
{
	struct db	*db = store_db(rs->st);
	sqlite3_stmt	*st;
	int64_t		 t = 0;

	if ((st = db_table_stmt(db, &r_table, R_NEXT)) == NULL)
		return 0;
	if (db_row(db, st, "report next") == 0)
		t = sqlite3_column_int64(st, 0);
	db_done(st);
	return t;
}

static int64_t
next_midnight(int64_t now)
{
	struct tm	tm;
	time_t		t = (time_t)now;

	if (localtime_r(&t, &tm) == NULL)
		return now + TICK_MAX_S;
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (t = mktime(&tm)) == (time_t)-1 ? now + TICK_MAX_S : (int64_t)t;
}

/* Seconds until the next look: midnight, a retry, or TICK_MAX_S. */
static int64_t
sleep_s(struct report_sched *rs, int64_t now)
{
	int64_t	w = TICK_MAX_S, m = next_midnight(now) - now, t = next_try(rs);

	if (m < w)
		w = m;
	if (t > 0 && t - now < w)
		w = t - now;
	return w < 1 ? 1 : w;
}

static void
tick(struct report_sched *rs)
{
	struct run	r;
	int64_t		now = now_s(rs);
	int		i;

	if (ended_changed(rs, now))
		schedule(rs, now);
	for (i = 0; i < STEPS_PER_TICK && !stopping(rs); i++) {
		if (run_due(rs, &r, now) != 0)
			break;
		if (r.written == 0)
			run_write(rs, &r, now);
		else
			run_mail(rs, &r, now);
		now = now_s(rs);
	}
}

static void *
sched_thread(void *arg)
{
	struct report_sched	*rs = arg;
	struct timespec		 ts;
	int64_t			 w;

	for (;;) {
		tick(rs);
		w = sleep_s(rs, now_s(rs));
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)w;
		pthread_mutex_lock(&rs->mu);
		while (!rs->stop && pthread_cond_timedwait(&rs->cv, &rs->mu,
		    &ts) == 0)
			;
		if (rs->stop) {
			pthread_mutex_unlock(&rs->mu);
			break;
		}
		pthread_mutex_unlock(&rs->mu);
	}
	return NULL;
}

/* ---- life ---- */

/* The test clock: VIGIL_TEST_CLOCK_OFFSET seconds added to the wall
 * clock (docs/report.md; for the tests only, said in the log). */
static int
clock_offset(int64_t *out)
{
	const char	*s = getenv(REPORT_SCHED_CLOCK_ENV);
	uint64_t	 v;
	int		 neg;

	*out = 0;
	if (s == NULL || *s == '\0')
		return 0;
	neg = *s == '-';
	if (text_u64(&v, s + neg, strlen(s + neg), 0, 100ULL * 366 * 86400)) {
		log_warnx("report: %s='%s': a number of seconds",
		    REPORT_SCHED_CLOCK_ENV, s);
		return ERR_CONFIG;
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	log_warnx("report: test clock: the schedule runs %lld s %s of the "
	    "wall clock (%s)", (long long)v, neg ? "behind" : "ahead",
	    REPORT_SCHED_CLOCK_ENV);
	return 0;
}

static int
sched_setup(struct report_sched *rs, const struct collector_config *cfg,
    const char *dbpath)
{
	int	rc;

	rs->cfg = *cfg;
	rs->formats = cfg->report_formats;
	if (rs->formats == 0) {
		rs->formats = CONFIG_FMT_PDF | CONFIG_FMT_JSON;
		rs->defaulted = 1;
	}
	rs->lang = cfg->report_lang == CONFIG_LANG_EN ? REPORT_EN : REPORT_VI;
	if (snprintf(rs->dbpath, sizeof(rs->dbpath), "%s", dbpath) >=
	    (int)sizeof(rs->dbpath) || (*cfg->report_dir != '\0' ?
	    snprintf(rs->dir, sizeof(rs->dir), "%s", cfg->report_dir) >=
	    (int)sizeof(rs->dir) : pathset_join(rs->dir, sizeof(rs->dir),
	    cfg->data_dir, "reports") != 0)) {
		log_warnx("report: a path is too long");
		return ERR_CONFIG;
	}
	if ((rc = clock_offset(&rs->offset)) != 0 ||
	    (rc = dir_ready(rs->dir)) != 0)
		return rc;
	if (cfg->report_mail_to.n > 0) {
		if ((rc = mailer_init(&rs->mailer, &rs->cfg, "report")) != 0)
			return rc;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return ERR_NOMEM;
		rs->curl = 1;
	}
	return store_open(&rs->st, dbpath);
}

/* The schedule, in the log once at its start. */
static void
sched_log(const struct report_sched *rs)
{
	char	kinds[64] = "", fmts[64] = "";
	int	i;

	for (i = REPORT_MONTH; i <= REPORT_YEAR; i++)
		if (rs->cfg.report_schedule & 1 << i)
			(void)snprintf(kinds + strlen(kinds), sizeof(kinds) -
			    strlen(kinds), " %s", kind_name[i]);
	for (i = 0; i < NFORMATS; i++)
		if (rs->formats & 1 << i)
			(void)snprintf(fmts + strlen(fmts), sizeof(fmts) -
			    strlen(fmts), " %s", fmt_name[i]);
	log_info("report: scheduled:%s; formats:%s; into %s; %d recipients",
	    kinds, fmts, rs->dir, rs->cfg.report_mail_to.n);
}

int
report_sched_new(struct report_sched **out, const struct collector_config *cfg,
    const char *dbpath)
{
	struct report_sched	*rs;
	pthread_condattr_t	 ca;
	int			 rc;

	*out = NULL;
	if (cfg->report_schedule == 0)
		return 0;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return ERR_NOMEM;
	pthread_mutex_init(&rs->mu, NULL);
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&rs->cv, &ca) != 0)
		fatalx("report: a condition variable");
	(void)pthread_condattr_destroy(&ca);
	rs->mailer.cfg = &rs->cfg;
	if ((rc = sched_setup(rs, cfg, dbpath)) != 0)
		goto fail;
	if (pthread_create(&rs->thread, NULL, sched_thread, rs) != 0) {
		rc = ERR_NOMEM;
		goto fail;
	}
	rs->started = 1;
	sched_log(rs);
	*out = rs;
	return 0;
fail:
	report_sched_free(rs);
	return rc;
}

void
report_sched_free(struct report_sched *rs)
{
	if (rs == NULL)
		return;
	if (rs->started) {
		pthread_mutex_lock(&rs->mu);
		rs->stop = 1;
		pthread_cond_signal(&rs->cv);
		pthread_mutex_unlock(&rs->mu);
		pthread_join(rs->thread, NULL);
	}
	store_close(rs->st);
	if (rs->curl)
		curl_global_cleanup();
	mailer_clear(&rs->mailer);
	pthread_cond_destroy(&rs->cv);
	pthread_mutex_destroy(&rs->mu);
	free(rs);
}
