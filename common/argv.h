/*
 * argv.h: a configured command line split into words, for a program run
 * without a shell (the early warning's notify command, collector.conf).
 *
 * Words are separated by spaces and tabs; a word may be put in double
 * quotes to hold spaces ("/opt/my tools/notify" --to "a b"). There are no
 * escapes, variables, globs, redirections or other shell syntax: every
 * other character stands for itself, so a $ or ; is passed on as it is.
 * The first word must be a full path (no search of PATH).
 *
 * Pure; any thread.
 */
#ifndef VIGIL_ARGV_H
#define VIGIL_ARGV_H

#include <stddef.h>

#define ARGV_MAX	32		/* words, at most */

/*
 * Split s into argv[0 .. n-1] and a NULL after them; the words are
 * written into buf (buflen >= strlen(s) + 1 always suffices). Returns n
 * (>= 1), or ERR_CONFIG with *why (static text): empty, an unclosed or
 * misplaced quote, a control character, more than ARGV_MAX words, a first
 * word that is not a full path. argv needs ARGV_MAX + 1 entries.
 */
int	argv_split(char *argv[static ARGV_MAX + 1], char *buf, size_t buflen,
	    const char *s, const char **why);

#endif
