/*
 * cli.c: usage errors and exit statuses of the command-line programs
 * (cli.h). Stateless; one line of output per call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "text.h"

int
cli_hint(const char *prog, const char *cmd)
{
	(void)fprintf(stderr, "try '%s%s%s --help'\n", prog, cmd ? " " : "",
	    cmd ? cmd : "");
	return ERR_USAGE;
}

void
cli_vsay(const char *prog, const char *fmt, va_list ap)
{
	char	msg[1024];
	int	n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);	/* a cut is fine */
	/* nothing to be done when stderr fails */
	(void)fprintf(stderr, "%s: ", prog);
	if (n > 0)
		(void)text_put(stderr, msg, (size_t)n < sizeof(msg) ?
		    (size_t)n : sizeof(msg) - 1);
	(void)fputc('\n', stderr);
}

void
cli_say(const char *prog, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cli_vsay(prog, fmt, ap);
	va_end(ap);
}

int
cli_usage(const char *prog, const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cli_vsay(prog, fmt, ap);
	va_end(ap);
	return cli_hint(prog, cmd);
}

int
cli_exit(int rc)
{
	if (rc == 0)
		return CLI_EXIT_OK;
	return rc == ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

int
cli_word(const char *v, const char *const *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v, list[i]) == 0)
			return (int)i;
	return -1;
}
