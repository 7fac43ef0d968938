/*
 * fuzz_event.c: untrusted bytes as an event (common/event.c).
 *
 * Each input is:
 *   - validated with event_parse, as the collector does with every event
 *     an agent sends. A valid event must have a well-formed type and a
 *     severity in range; event_prio must give a known priority; and
 *     event_render must succeed and keep the event valid, with the same
 *     type, timestamp and severity (the agent fields and seq it adds must
 *     not change what the event says).
 *   - rendered even when it is not valid (render must cope with any JSON);
 *   - read as a NUL-terminated timestamp by event_parse_ts; one that
 *     parses to a time event_format_ts can write must round-trip;
 *   - its first 8 bytes, as a time, formatted (the output must fit).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "event.h"

/* 10000-01-01T00:00:00Z: the first time with a 5-digit year */
#define YEAR_10000_US	(253402300800LL * 1000000)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_type(const char *t)
{
	size_t	i, n = strlen(t);

	check(n >= 1 && n <= EVENT_TYPE_MAX);
	for (i = 0; i < n; i++)
		check((t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '_');
}

static void
fuzz_parse(const char *json, size_t len)
{
	struct event_meta	 m, again;
	const char		*why = NULL;
	char			*r;
	int			 rc, prio;

	rc = event_parse(&m, json, len, &why);
	if (rc != 0) {
		check(rc == ERR_MALFORMED || rc == ERR_TOOBIG);
		check(why != NULL);
		check(rc != ERR_TOOBIG || len > EVENT_MAX_LEN);
		/* render must cope with anything */
		free(event_render(json, len, 1, "0123456789abcdef", "host",
		    "office"));
		return;
	}
	check(len <= EVENT_MAX_LEN);
	check_type(m.type);
	check(m.severity >= 0 && m.severity <= 255);
	prio = event_prio(m.type, m.severity);
	check(prio >= 10 && prio <= 99);

	r = event_render(json, len, 42, "0123456789abcdef", "pc-01",
	    "X\xc3\xa3 T\xc3\xa2n Ph\xc3\xba");
	check(r != NULL);
	rc = event_parse(&again, r, strlen(r), NULL);
	check(rc == 0 || rc == ERR_TOOBIG);
	if (rc == 0) {
		check(strcmp(again.type, m.type) == 0);
		check(again.ts_us == m.ts_us);
		check(again.severity == m.severity);
	}
	free(r);
}

static void
fuzz_ts(const uint8_t *data, size_t size)
{
	char	*s, out[EVENT_TS_STRLEN];
	int64_t	 us, back;

	check((s = malloc(size + 1)) != NULL);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	if (event_parse_ts(&us, s) == 0) {
		check(strlen(s) >= 20);		/* YYYY-MM-DDTHH:MM:SSZ */
		if (us >= 0 && us < YEAR_10000_US) {
			event_format_ts(out, us);
			check(strlen(out) == EVENT_TS_STRLEN - 1);
			check(event_parse_ts(&back, out) == 0);
			check(back == us);
		}
	}
	free(s);

	if (size >= 8) {
		memcpy(&us, data, sizeof(us));
		event_format_ts(out, us);
		check(strlen(out) < EVENT_TS_STRLEN);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse((const char *)data, size);
	fuzz_ts(data, size);
	return 0;
}
