/*
 * log.c: leveled logging to stderr or syslog.
 *
 * The only process-wide state in vigil: the program name, the level and
 * the syslog switch, set once by log_init() before threads start. Each
 * line is formatted into one buffer and written with one call, so lines
 * from the writer thread and the event loop never interleave.
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
	char		 msg[1024], line[1200], ts[32];
	int		 saved = errno;
	struct timespec	 now;
	struct tm	 tm;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* truncation is acceptable */
	if (with_errno) {
		size_t	n = strlen(msg);

		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if (log_syslog) {
		syslog(syslog_prio[level], "%s", msg);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		int n = snprintf(line, sizeof(line), "%s.%03ldZ %s[%ld] %s: %s\n",
		    ts, now.tv_nsec / 1000000, log_progname, (long)getpid(),
		    level_names[level], msg);
		if (n > 0) {
			size_t len = (size_t)n < sizeof(line) ? (size_t)n :
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
