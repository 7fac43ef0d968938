/*
 * event.c: building, validating and rendering EVE-style events.
 *
 * Agents build events with jansson (never by printing JSON by hand); the
 * collector validates every event an agent sends with event_parse() and
 * stores the bytes as received, so ingest costs one parse per event and
 * no re-serialisation. Rendering (adding "agent" and "seq") happens when
 * an event is read back out. Load: one parse per ingested event, tens of
 * thousands per second on the collector.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "event.h"

static int
valid_type(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= EVENT_TYPE_MAX)
			return 0;
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' &&
		    s[i] <= '9') && s[i] != '_')
			return 0;
	}
	return i > 0;
}

int
event_parse(struct event_meta *out, const char *json, size_t len,
    const char **why)
{
	return event_parse_root(out, NULL, json, len, why);
}

int
event_parse_root(struct event_meta *out, json_t **rootp, const char *json,
    size_t len, const char **why)
{
	json_t		*root = NULL, *v, *alert;
	json_error_t	 jerr;
	const char	*reason = NULL;
	json_int_t	 sev;
	int		 rc = ERR_MALFORMED;

	memset(out, 0, sizeof(*out));
	if (rootp != NULL)
		*rootp = NULL;
	if (len > EVENT_MAX_LEN) {
		reason = "event too large";
		rc = ERR_TOOBIG;
		goto fail;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		reason = "not JSON";
		goto fail;
	}
	if (!json_is_object(root)) {
		reason = "not a JSON object";
		goto fail;
	}
	v = json_object_get(root, "event_type");
	if (!json_is_string(v) || !valid_type(json_string_value(v))) {
		reason = "missing or invalid event_type";
		goto fail;
	}
	memcpy(out->type, json_string_value(v), strlen(json_string_value(v)) + 1);
	v = json_object_get(root, "timestamp");
	if (!json_is_string(v) || event_parse_ts(&out->ts_us,
	    json_string_value(v)) != 0) {
		reason = "missing or invalid timestamp";
		goto fail;
	}
	if ((alert = json_object_get(root, "alert")) != NULL) {
		if (!json_is_object(alert)) {
			reason = "alert is not an object";
			goto fail;
		}
		v = json_object_get(alert, "severity");
		if (v != NULL) {
			sev = json_is_integer(v) ? json_integer_value(v) : -1;
			if (sev < 1 || sev > 255) {
				reason = "invalid alert.severity";
				goto fail;
			}
			out->severity = (int)sev;
		}
	}
	if (rootp != NULL)
		*rootp = root;
	else
		json_decref(root);
	return 0;
fail:
	json_decref(root);
	if (why != NULL)
		*why = reason;
	return rc;
}

int
event_prio(const char *type, int severity)
{
	/* Suricata's severity: 1 is the most severe. Alerts are kept longest,
	 * then the agent's own health and integrity changes, then file
	 * activity; heartbeats and test events go first. */
	if (strcmp(type, "alert") == 0)
		return severity >= 1 && severity <= 3 ? 100 - severity : 90;
	if (strcmp(type, "agent_health") == 0 || strcmp(type, "integrity") == 0)
		return 60;
	if (strcmp(type, "file") == 0 || strcmp(type, "scan") == 0)
		return 40;
	return 10;
}

int64_t
event_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
event_format_ts(char out[static EVENT_TS_STRLEN], int64_t ts_us)
{
	time_t		secs;
	int64_t		frac;
	struct tm	tm;

	secs = (time_t)(ts_us / 1000000);
	frac = ts_us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	if (gmtime_r(&secs, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	/* The fields' ranges make this exactly 31 characters; the wider
	 * buffer only keeps the compiler's truncation check quiet. */
	char	tmp[96];
	size_t	n;

	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+0000",
	    (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)frac);
	n = strnlen(tmp, EVENT_TS_STRLEN - 1);
	memcpy(out, tmp, n);
	out[n] = '\0';
}

/* n decimal digits at *p into *v; advances *p. */
static int
digits(const char **p, int n, int *v)
{
	int	i, x = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

static int
days_in_month(int y, int mo)
{
	static const int	days[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };

	return days[mo - 1] + (mo == 2 &&
	    ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

static int
expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

int
event_parse_ts(int64_t *out, const char *s)
{
	struct tm	 tm;
	const char	*p = s;
	int		 y, mo, d, h, mi, se, oh = 0, om = 0, sign = 1, i;
	int64_t		 us = 0, scale = 100000;
	time_t		 t;

	if (digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) ||
	    expect(&p, '-') || digits(&p, 2, &d) || expect(&p, 'T') ||
	    digits(&p, 2, &h) || expect(&p, ':') || digits(&p, 2, &mi) ||
	    expect(&p, ':') || digits(&p, 2, &se))
		return ERR_MALFORMED;
	/* timegm would quietly move Feb 30 to March */
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
		return ERR_MALFORMED;
	if (*p == '.') {
		p++;
		for (i = 0; isdigit((unsigned char)*p); i++, p++) {
			if (i >= 9)
				return ERR_MALFORMED;
			us += (*p - '0') * scale;
			scale /= 10;
		}
		if (i == 0)
			return ERR_MALFORMED;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(&p, 2, &oh))
			return ERR_MALFORMED;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) || oh > 23 || om > 59)
			return ERR_MALFORMED;
	} else {
		return ERR_MALFORMED;
	}
	if (*p != '\0')
		return ERR_MALFORMED;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if ((t = timegm(&tm)) == (time_t)-1)
		return ERR_MALFORMED;
	t -= sign * (oh * 3600 + om * 60);
	*out = (int64_t)t * 1000000 + us;
	return 0;
}

json_t *
event_build(const char *type)
{
	char	 ts[EVENT_TS_STRLEN];
	json_t	*ev;

	if ((ev = json_object()) == NULL)
		return NULL;
	event_format_ts(ts, event_now_us());
	if (json_object_set_new(ev, "timestamp", json_string(ts)) != 0 ||
	    json_object_set_new(ev, "event_type", json_string(type)) != 0) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

char *
event_dump(const json_t *ev, size_t *len)
{
	char	*s;
	size_t	 n;

	if ((s = json_dumps(ev, JSON_COMPACT)) == NULL)
		return NULL;
	n = strlen(s);
	if (n > EVENT_MAX_LEN) {
		free(s);
		return NULL;
	}
	if (len != NULL)
		*len = n;
	return s;
}

char *
event_render(const char *json, size_t len, uint64_t seq, const char *agent_id,
    const char *hostname, const char *office)
{
	json_t	*root, *agent;
	char	*out = NULL;

	if ((root = json_loadb(json, len, 0, NULL)) == NULL)
		return NULL;
	if (!json_is_object(root))
		goto done;
	agent = json_pack("{s:s, s:s, s:s}", "id", agent_id, "hostname",
	    hostname, "office", office);
	if (agent == NULL || json_object_set_new(root, "agent", agent) != 0 ||
	    json_object_set_new(root, "seq", json_integer((json_int_t)seq)) != 0)
		goto done;
	out = json_dumps(root, JSON_COMPACT);
done:
	json_decref(root);
	return out;
}
