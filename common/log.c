/*
 * log.c: leveled logging to stderr or syslog.
 *
 * The only process-wide state in vigil: the program name, the level and
 * the syslog switch, set once by log_init() before threads start. Each
 * line is formatted into one buffer and written with one call, so lines
 * from the writer thread and the event loop never interleave.
 *
 * Log lines quote paths, names and messages from outside: each message is
 * escaped as a whole for a terminal (text.h, TEXT_TERM) before it goes to
 * stderr or syslog, so a file name cannot end a line, forge another one
 * or send escape sequences to whoever reads the log. A message is cut at
 * LOG_MSG_MAX bytes (before escaping), its escaped form at LOG_ESC_MAX,
 * marked with "...".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "text.h"

#define LOG_MSG_MAX	1024
#define LOG_ESC_MAX	2048

static const char	*log_progname = "vigil";
static int		 log_level = LOG_LVL_INFO;
static int		 log_syslog;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_init(const char *progname, int level, int use_syslog)
{
	log_progname = progname;
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

int
log_parse_level(int *out, const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return ERR_CONFIG;
}

static void vlog(int, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
vlog(int level, int with_errno, const char *fmt, va_list ap)
{
	char		 msg[LOG_MSG_MAX], esc[LOG_ESC_MAX], ts[32];
	char		 line[LOG_ESC_MAX + 128];
	int		 saved = errno, cut;
	size_t		 n;
	struct timespec	 now;
	struct tm	 tm;

	if (level > log_level)
		return;
	/* truncation is acceptable, and marked */
	cut = vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg);
	if (with_errno && !cut) {
		n = strlen(msg);
		cut = snprintf(msg + n, sizeof(msg) - n, ": %s",
		    strerror(saved)) >= (int)(sizeof(msg) - n);
	}
	if (text_escape(esc, sizeof(esc) - 3, msg, strlen(msg), TEXT_TERM,
	    NULL) >= sizeof(esc) - 3 || cut)
		memcpy(esc + strlen(esc), "...", 4);	/* room was kept */
	if (log_syslog) {
		syslog(syslog_prio[level], "%s", esc);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		int w = snprintf(line, sizeof(line),
		    "%s.%03ldZ %s[%ld] %s: %s\n", ts, now.tv_nsec / 1000000,
		    log_progname, (long)getpid(), level_names[level], esc);
		if (w > 0) {
			size_t len = (size_t)w < sizeof(line) ? (size_t)w :
			    sizeof(line) - 1;
			/* logging is futile if stderr is gone */
			if (write(STDERR_FILENO, line, len) < 0)
				(void)0;
		}
	}
	errno = saved;
}

#define LOGFN(name, level, with_errno)			\
void							\
name(const char *fmt, ...)				\
{							\
	va_list	ap;					\
							\
	va_start(ap, fmt);				\
	vlog(level, with_errno, fmt, ap);		\
	va_end(ap);					\
}

LOGFN(log_warn, LOG_LVL_WARN, 1)
LOGFN(log_warnx, LOG_LVL_WARN, 0)
LOGFN(log_info, LOG_LVL_INFO, 0)
LOGFN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
