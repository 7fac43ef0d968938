/*
 * log.h: leveled logging to stderr or syslog.
 *
 * The vocabulary is OpenBSD's: log_warn adds strerror(errno), log_warnx
 * does not; fatal/fatalx log and exit(1). Levels filter what is printed.
 * The logger is the one piece of process-wide state (set once at start by
 * log_init); it is safe to call from any thread.
 */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
};

void	log_init(const char *progname, int level, int use_syslog);
void	log_setlevel(int level);
int	log_getlevel(void);
/* "error", "warn", "info", "debug" -> level; 0 or ERR_CONFIG */
int	log_parse_level(int *out, const char *name);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
