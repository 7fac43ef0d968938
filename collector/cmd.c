/*
 * cmd.c: the collector commands' shared pieces (cmd.h). Stateless.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "err.h"
#include "event.h"
#include "store.h"
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

int
cmd_put_event(FILE *f, const struct store_row *r)
{
	char	*text;
	int	 rc;

	text = event_render(r->json, r->len, r->seq, r->agent_id,
	    r->agent_name, r->office);
	if (text == NULL)
		return ERR_NOMEM;
	rc = text_put_json(f, text, strlen(text));
	free(text);
	return rc;
}

int
cmd_output_open(struct cmd_output *o, const char *path)
{
	int	fd, n;

	memset(o, 0, sizeof(*o));
	if (path == NULL || strcmp(path, "-") == 0) {
		o->f = stdout;
		return 0;
	}
	o->path = path;
	n = snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(o->tmp)) {
		cli_say("vigil-collector", "%s: name too long", path);
		return ERR_IO;
	}
	if ((fd = mkstemp(o->tmp)) == -1 || (o->f = fdopen(fd, "w")) == NULL) {
		cli_say("vigil-collector", "%s: %s", path, strerror(errno));
		if (fd != -1) {
			(void)close(fd);
			(void)unlink(o->tmp);
		}
		return ERR_IO;
	}
	return 0;
}

int
cmd_output_close(struct cmd_output *o, int rc)
{
	int	bad;

	if (o->f == NULL)
		return rc;
	if (o->path == NULL) {
		if (fflush(stdout) != 0 && rc == 0)
			rc = ERR_IO;
		return rc;
	}
	bad = ferror(o->f);
	if (fclose(o->f) != 0 || bad) {
		cli_say("vigil-collector", "%s: %s", o->path, bad ?
		    "write error" : strerror(errno));
		if (rc == 0)
			rc = ERR_IO;
	}
	if (rc == 0 && rename(o->tmp, o->path) != 0) {
		cli_say("vigil-collector", "%s: %s", o->path, strerror(errno));
		rc = ERR_IO;
	}
	if (rc != 0)
		(void)unlink(o->tmp);
	o->f = NULL;
	return rc;
}

void
cmd_whoami(char *out, size_t len)
{
	struct passwd	*pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL)
		(void)snprintf(out, len, "%s", pw->pw_name);
	else
		(void)snprintf(out, len, "uid %ld", (long)getuid());
}
