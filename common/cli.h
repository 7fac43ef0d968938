/*
 * cli.h: what the command-line programs share about talking to their
 * user: how a message and a usage error are said on standard error, and
 * the exit status of a result.
 *
 * Exit statuses (README): 0 success, 1 failure, 2 usage error.
 * Messages quote paths and arguments, so each is escaped as a whole for a
 * terminal (text.h, TEXT_TERM): one message is one line. A line is
 * written in a few stdio calls: callers printing from several threads
 * hold their output lock.
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <stdarg.h>
#include <stddef.h>

#define CLI_EXIT_OK	0
#define CLI_EXIT_FAIL	1
#define CLI_EXIT_USAGE	2

/* "PROG: MESSAGE" on standard error (MESSAGE cut at 1 KiB). */
void	cli_say(const char *prog, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	cli_vsay(const char *prog, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* cli_say(), then "try 'PROG CMD --help'" (cmd NULL: "try 'PROG
 * --help'"). prog is the program, or program and command ("vigil-agent
 * scan"), the message comes from. Returns ERR_USAGE. */
int	cli_usage(const char *prog, const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Only the "try 'PROG CMD --help'" line (getopt has said what was
 * wrong). Returns ERR_USAGE. */
int	cli_hint(const char *prog, const char *cmd);
/* The exit status for a result: 0 -> 0, ERR_USAGE -> 2, other -> 1. */
int	cli_exit(int rc);
/* The index of v in list[0..n) (an option's allowed words), -1 when it
 * is none of them. */
int	cli_word(const char *v, const char *const *list, size_t n);

#endif
