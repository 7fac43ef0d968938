/*
 * rfc5424.c: syslog messages of RFC 5424 (rfc5424.h).
 *
 * Invariants: the output never exceeds max bytes (every write goes
 * through put(), which refuses to pass the end; a refusal is sticky);
 * the header holds only printable US-ASCII; a parameter value holds no
 * unescaped '"', '\' or ']' and no control character; MSG is cut only
 * at a UTF-8 character boundary.
 *
 * Load: one call per forwarded alert or audit entry, a few hundred a
 * second in a storm; O(length of the message), no allocation.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "rfc5424.h"
#include "text.h"

#define BOM		"\xef\xbb\xbf"
#define SEVERITY_MAX	7
#define FACILITY_MAX	23

/* A bounded writer: pos never passes max; full is sticky. */
struct out {
	char	*p;
	size_t	 pos, max;
	int	 full;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->max - o->pos) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->pos, s, n);
	o->pos += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A header field: printable US-ASCII, other bytes '_', at most max
 * bytes; "-" when empty. */
static void
field(struct out *o, const char *s, size_t max)
{
	size_t	i, n = s != NULL ? strnlen(s, max) : 0;
	char	c;

	put(o, " ", 1);
	if (n == 0) {
		put(o, "-", 1);
		return;
	}
	for (i = 0; i < n; i++) {
		c = s[i] > ' ' && s[i] < 0x7f ? s[i] : '_';
		put(o, &c, 1);
	}
}

/* RFC 3339 in UTC with microseconds, or "-". */
static void
timestamp(struct out *o, int64_t ts_us)
{
	struct tm	tm;
	time_t		t;
	char		b[40];
	int		n;

	put(o, " ", 1);
	t = (time_t)(ts_us / 1000000);
	if (ts_us < 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year > 9999 - 1900) {
		put(o, "-", 1);
		return;
	}
	n = snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ts_us % 1000000));
	if (n < 0 || (size_t)n >= sizeof(b)) {
		put(o, "-", 1);
		return;
	}
	put(o, b, (size_t)n);
}

/* An SD-NAME: 1-32 printable US-ASCII but '=', ' ', ']' and '"'. */
static int
sd_name_ok(const char *s)
{
	size_t	i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > RFC5424_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '=' ||
		    s[i] == ']' || s[i] == '"')
			return 0;
	return 1;
}

/* ' NAME="VALUE"', the value escaped as the header comment says. */
static void
param(struct out *o, const struct rfc5424_param *p)
{
	char	term[RFC5424_VALUE_MAX + 1];
	size_t	i, n;

	(void)text_escape(term, sizeof(term), p->value != NULL ? p->value :
	    "", p->value != NULL ? p->len : 0, TEXT_TERM, NULL);
	put(o, " ", 1);
	puts_(o, p->name);
	put(o, "=\"", 2);
	n = strlen(term);
	for (i = 0; i < n; i++) {
		if (term[i] == '"' || term[i] == '\\' || term[i] == ']')
			put(o, "\\", 1);
		put(o, term + i, 1);
	}
	put(o, "\"", 1);
}

/* The longest prefix of s[0..len) that fits room and ends on a
 * character boundary (s is valid UTF-8). */
static size_t
utf8_cut(const char *s, size_t len, size_t room)
{
	size_t	n = len < room ? len : room;

	while (n > 0 && n < len && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* The SD element's close, then BOM and MSG: cut to fit, and said. */
static void
sd_close_msg(struct out *o, const struct rfc5424_msg *m, int *truncated)
{
	const size_t	tail = 1 + 1 + sizeof(BOM) - 1;	/* "] " BOM */
	char		b[48];
	size_t		room, n;
	int		k;

	if (m->msglen == 0) {
		put(o, "]", 1);
		return;
	}
	if (o->full || o->max - o->pos >= tail + m->msglen) {
		put(o, "] " BOM, tail);
		put(o, m->msg, m->msglen);
		return;
	}
	k = snprintf(b, sizeof(b), " truncated=\"%zu\"", m->msglen);
	if (k > 0 && (size_t)k < sizeof(b))
		put(o, b, (size_t)k);
	if (o->full || o->max - o->pos < tail) {
		o->full = 1;
		return;
	}
	room = o->max - o->pos - tail;
	n = utf8_cut(m->msg, m->msglen, room);
	put(o, "] " BOM, tail);
	put(o, m->msg, n);
	*truncated = 1;
}

static int
check(const struct rfc5424_msg *m, size_t max)
{
	size_t	i;

	if (max < RFC5424_MIN_MAX || m->facility < 0 ||
	    m->facility > FACILITY_MAX || m->severity < 0 ||
	    m->severity > SEVERITY_MAX || m->nparams > RFC5424_PARAMS_MAX ||
	    (m->nparams > 0 && m->sd_id == NULL) ||
	    (m->sd_id != NULL && !sd_name_ok(m->sd_id)))
		return ERR_USAGE;
	for (i = 0; i < m->nparams; i++)
		if (!sd_name_ok(m->params[i].name))
			return ERR_USAGE;
	if (m->msglen > 0 && (m->msg == NULL ||
	    !text_utf8_valid(m->msg, m->msglen)))
		return ERR_MALFORMED;
	return 0;
}

int
rfc5424_format(char *out, size_t max, size_t *len,
    const struct rfc5424_msg *m, int *truncated)
{
	struct out	o = { out, 0, max, 0 };
	char		pri[16];
	size_t		i;
	int		rc, cut = 0;

	*len = 0;
	if (truncated != NULL)
		*truncated = 0;
	if ((rc = check(m, max)) != 0)
		return rc;
	(void)snprintf(pri, sizeof(pri), "<%d>1", m->facility * 8 +
	    m->severity);
	puts_(&o, pri);
	timestamp(&o, m->ts_us);
	field(&o, m->hostname, RFC5424_HOSTNAME_MAX);
	field(&o, m->app_name, RFC5424_APPNAME_MAX);
	field(&o, m->procid, RFC5424_PROCID_MAX);
	field(&o, m->msgid, RFC5424_MSGID_MAX);
	if (m->sd_id == NULL) {
		put(&o, " -", 2);
		if (m->msglen > 0) {
			/* no SD element to say a cut in: what fits */
			put(&o, " " BOM, 4);
			i = o.full ? 0 : utf8_cut(m->msg, m->msglen,
			    o.max - o.pos);
			put(&o, m->msg, i);
			cut = i < m->msglen;
		}
	} else {
		put(&o, " [", 2);
		puts_(&o, m->sd_id);
		for (i = 0; i < m->nparams; i++)
			param(&o, &m->params[i]);
		sd_close_msg(&o, m, &cut);
	}
	if (o.full)		/* max >= RFC5424_MIN_MAX: not reached */
		return ERR_TOOBIG;
	*len = o.pos;
	if (truncated != NULL)
		*truncated = cut;
	return 0;
}
