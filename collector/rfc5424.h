/*
 * rfc5424.h: one syslog message in the form of RFC 5424, for the
 * forwarder (forward.h) to hand to another SIEM.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID PARAM="V" ...]
 *       BOM MSG
 *
 * Everything but the SD-ID and the parameters' names may come from an
 * agent, so nothing is trusted:
 * - HOSTNAME, APP-NAME, PROCID and MSGID keep only printable US-ASCII
 *   (33-126); any other byte becomes '_', and each is cut at the RFC's
 *   length (255, 48, 128, 32). An empty or NULL field is the NILVALUE
 *   "-".
 * - A parameter's value is escaped as for a log line first (text.h,
 *   TEXT_TERM: a control character, a line break, a bidi override or a
 *   byte that is not UTF-8 becomes \xNN, a backslash \\), cut to
 *   RFC5424_VALUE_MAX bytes at a whole character, then '"', '\' and ']'
 *   get a backslash (RFC 5424, 6.3.3). A receiver unescaping 6.3.3 gets
 *   the TEXT_TERM text, which text_unescape() turns back into the bytes.
 * - MSG must be UTF-8 (it follows a BOM); the caller's JSON is.
 *
 * The whole message is at most max bytes (the transport's: a datagram,
 * a frame). When MSG does not fit, it is cut at a character boundary
 * and the SD element says so: truncated="N", N the bytes MSG had.
 *
 * Pure functions: no state, safe from any thread.
 */
#ifndef VIGIL_RFC5424_H
#define VIGIL_RFC5424_H

#include <stddef.h>
#include <stdint.h>

#define RFC5424_HOSTNAME_MAX	255
#define RFC5424_APPNAME_MAX	48
#define RFC5424_PROCID_MAX	128
#define RFC5424_MSGID_MAX	32
#define RFC5424_NAME_MAX	32	/* SD-ID, PARAM-NAME */
#define RFC5424_VALUE_MAX	256	/* a value, escaped as TEXT_TERM */
#define RFC5424_PARAMS_MAX	8
/* The smallest max that any message fits, MSG cut to nothing: the
 * header, and the SD element with every value at its longest. */
#define RFC5424_MIN_MAX		(640 + RFC5424_PARAMS_MAX * \
				 (RFC5424_NAME_MAX + 4 + 2 * RFC5424_VALUE_MAX))

/* RFC 5424 severities (6.2.1) */
enum rfc5424_severity {
	RFC5424_EMERG = 0,
	RFC5424_ALERT,
	RFC5424_CRIT,
	RFC5424_ERR,
	RFC5424_WARNING,
	RFC5424_NOTICE,
	RFC5424_INFO,
	RFC5424_DEBUG,
};

struct rfc5424_param {
	const char	*name;		/* ours: 1-32 printable US-ASCII but
					 * '=', ']', '"' and space */
	const char	*value;		/* any bytes */
	size_t		 len;
};

struct rfc5424_msg {
	int				 facility;	/* 0-23 */
	int				 severity;	/* 0-7 */
	int64_t				 ts_us;		/* Unix time; < 0 or
							 * past 9999: "-" */
	const char			*hostname;
	const char			*app_name;
	const char			*procid;
	const char			*msgid;
	const char			*sd_id;		/* NULL: no SD ("-") */
	const struct rfc5424_param	*params;
	size_t				 nparams;	/* <= PARAMS_MAX */
	const char			*msg;		/* UTF-8 */
	size_t				 msglen;
};

/*
 * The message m into out[0 .. max) (not NUL-terminated); *len gets its
 * length, *truncated (may be NULL) 1 when MSG was cut. ERR_USAGE: a
 * facility, severity, SD-ID or parameter name that is not valid, or
 * max below RFC5424_MIN_MAX; ERR_MALFORMED: MSG is not UTF-8.
 */
int	rfc5424_format(char *out, size_t max, size_t *len,
	    const struct rfc5424_msg *m, int *truncated);

#endif
