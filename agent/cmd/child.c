/*
 * child.c: starting the agent's worker programs (child.h).
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

void
child_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		(void)snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		(void)snprintf(buf, len, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		(void)snprintf(buf, len, "status %d", status);
}

/* In the forked child: only async-signal-safe calls until exec. */
static void __attribute__((noreturn))
child_exec(const char *path, const char *const av[], int sock, int at)
{
	if (sock == at) {
		if (fcntl(sock, F_SETFD, 0) == -1)
			_exit(126);
	} else if (dup2(sock, at) == -1)
		_exit(126);
	execv(path, (char *const *)(uintptr_t)av);
	_exit(127);
}

pid_t
child_spawn(const char *path, const char *const av[], int sock, int at)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		log_warn("%s: fork", path);
		return -1;
	}
	if (pid == 0)
		child_exec(path, av, sock, at);
	return pid;
}
