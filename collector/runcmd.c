/*
 * runcmd.c: a configured program run without a shell (runcmd.h), for
 * the early warning's notify command.
 *
 * Invariants: the child gets exactly argv, an environment of PATH and
 * LANG, / as its folder, the input on standard input, /dev/null for
 * standard output and error, no other descriptor, default signal
 * handling and an empty mask, and a process group of its own, which is
 * killed when the time limit passes. Nothing is expanded anywhere.
 * Load: one run per message (a few a minute); the caller's thread waits.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "runcmd.h"

/* Write body to fd (non-blocking) until done, the reader is gone, or
 * deadline. */
static void
feed(int fd, const char *body, size_t len, int64_t deadline)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLOUT };
	ssize_t		k;
	int64_t		left;

	while (len > 0) {
		if ((left = deadline - clock_mono_ms()) <= 0)
			return;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if ((k = write(fd, body, len)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return;		/* EPIPE: it does not read it */
		}
		body += k;
		len -= (size_t)k;
	}
}

/* Reap pid by deadline, else kill its process group. */
static void
reap(pid_t pid, int64_t deadline, int timeout_s, char *detail, size_t dlen)
{
	struct timespec	 ts = { 0, 5 * 1000000L };
	pid_t		 r;
	int		 status = 0;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
	    clock_mono_ms() < deadline)
		(void)nanosleep(&ts, NULL);
	if (r == 0) {
		(void)kill(-pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		(void)snprintf(detail, dlen, "killed after %d s", timeout_s);
	} else if (r < 0)
		(void)snprintf(detail, dlen, "waitpid: %s", strerror(errno));
	else if (WIFEXITED(status))
		(void)snprintf(detail, dlen, "exit %d", WEXITSTATUS(status));
	else
		(void)snprintf(detail, dlen, "signal %d", WTERMSIG(status));
}

static int
spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, int rd)
{
	return posix_spawn_file_actions_adddup2(fa, rd, 0) ||
	    posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0) ||
	    posix_spawn_file_actions_addopen(fa, 2, "/dev/null", O_WRONLY, 0) ||
	    posix_spawn_file_actions_addclosefrom_np(fa, 3) ||
	    posix_spawn_file_actions_addchdir_np(fa, "/") ||
	    posix_spawnattr_setpgroup(at, 0) ||
	    posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

int
runcmd(char *const argv[], const char *in, size_t len, int timeout_s,
    char *detail, size_t dlen)
{
	static char *const env[] = { "PATH=/usr/local/bin:/usr/bin:/bin",
	    "LANG=C.UTF-8", NULL };
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 all, none;
	int				 p[2], rc;
	pid_t				 pid;
	int64_t				 deadline;

	if (pipe2(p, O_CLOEXEC) != 0) {
		(void)snprintf(detail, dlen, "pipe: %s", strerror(errno));
		return ERR_IO;
	}
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (spawn_setup(&fa, &at, p[0]) || posix_spawnattr_setsigdefault(&at,
	    &all) || posix_spawnattr_setsigmask(&at, &none))
		rc = ENOMEM;
	else
		rc = posix_spawn(&pid, argv[0], &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		(void)snprintf(detail, dlen, "%s: %s", argv[0], strerror(rc));
		return ERR_IO;
	}
	deadline = clock_mono_ms() + timeout_s * 1000LL;
	(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
	feed(p[1], in, len, deadline);
	close(p[1]);
	reap(pid, deadline, timeout_s, detail, dlen);
	return strcmp(detail, "exit 0") == 0 ? 0 : ERR_IO;
}
