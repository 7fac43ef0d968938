/*
 * cmd.c: the collector commands' shared pieces (cmd.h). Stateless.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "err.h"
#include "event.h"
#include "text.h"

int
cmd_parse_time(int64_t *out, const char *s)
{
	char	buf[64];
	int64_t	secs;

	if (config_parse_duration(&secs, s) == 0) {
		*out = ((int64_t)time(NULL) - secs) * 1000000;
		return 0;
	}
	if (strlen(s) == 10) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		s = buf;
	} else if (strlen(s) == 19) {
		snprintf(buf, sizeof(buf), "%sZ", s);
		s = buf;
	}
	return event_parse_ts(out, s);
}

void
cmd_fmt_time(char *out, size_t len, int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, len, "-");
	else
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
cmd_print_json(json_t *j)
{
	int	rc;

	if (j == NULL)
		return ERR_NOMEM;
	rc = text_print_json(stdout, j);
	json_decref(j);
	return rc;
}

/* Names, addresses and versions come from agents; so "Xã Tân Phú" lines
 * up with ASCII names, columns count UTF-8 code points, not bytes. */
void
cmd_print_col(const char *s, int width)
{
	char		 e[1024];
	int		 cols = 0;
	const char	*p;

	/* a cell cut at 1 KiB is still one cell */
	(void)text_escape(e, sizeof(e), s, strlen(s), TEXT_TERM, NULL);
	for (p = e; *p != '\0'; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			cols++;
	fputs(e, stdout);
	fputs("  ", stdout);		/* at least two spaces, even if too long */
	for (; cols < width; cols++)
		putchar(' ');
}
