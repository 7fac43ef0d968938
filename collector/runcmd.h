/*
 * runcmd.h: run a configured program without a shell, its input on
 * standard input, under a time limit (the early warning's command;
 * docs/incidents.md, "Early warning").
 *
 * argv comes from the configuration (argv.h: argv[0] a full path); the
 * input may hold anything: it is only ever written to the child's
 * standard input. Any thread; the caller waits up to timeout_s. The
 * process must ignore SIGPIPE (the collector does): a child that does
 * not read its input is not an error here.
 */
#ifndef VIGIL_RUNCMD_H
#define VIGIL_RUNCMD_H

#include <stddef.h>

/*
 * Run argv with in[0 .. len) on its standard input; wait for it at most
 * timeout_s seconds, then kill its process group. 0 when it exited 0;
 * ERR_IO otherwise, and detail (always) says how it ended: "exit 3",
 * "signal 9", "killed after 10 s", or why it did not start ("/x: No such
 * file or directory").
 */
int	runcmd(char *const argv[], const char *in, size_t len, int timeout_s,
	    char *detail, size_t dlen);

#endif
