/*
 * watchcost: what the watcher costs on a busy disk.
 *
 *	bench_watchcost ROOT OTHER N [fanotify|inotify]
 *
 * Watches ROOT, then a child process writes N files in OTHER (on the same
 * file system, not watched: fanotify sees them all and must filter them)
 * and N / 10 in ROOT (reported). Prints the watcher's CPU time (user +
 * system, this process only) for the whole run, per event seen, and the
 * watcher's counters. ROOT and OTHER must exist and be empty; the files
 * are left there. As root for fanotify.
 */
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "watch.h"

struct ctx {
	struct event_base	*base;
	struct watch		*w;
	uint64_t		 want;
	pid_t			 child;
	int			 done;
};

static void
on_file(void *arg, const struct watch_event *ev)
{
	(void)arg;
	(void)ev;
}

static void
on_rescan(void *arg, const char *path, enum watch_why why)
{
	(void)arg;
	(void)path;
	(void)why;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct ctx		*c = arg;
	struct watch_stats	 st;
	int			 status;

	(void)fd;
	(void)what;
	if (!c->done && waitpid(c->child, &status, WNOHANG) == c->child)
		c->done = 1;
	watch_stats(c->w, &st);
	if (c->done && st.events >= c->want)
		event_base_loopbreak(c->base);
}

static int
writer(const char *root, const char *other, long n)
{
	char	p[PATH_MAX];
	long	i;
	int	fd;

	for (i = 0; i < n; i++) {
		if (snprintf(p, sizeof(p), "%s/f%ld", i % 10 == 0 ? root :
		    other, i) >= (int)sizeof(p))
			return 1;
		if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600)) == -1 || write(fd, "x", 1) != 1 || close(fd) != 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct watch_opts	 o = { .backend = WATCH_FANOTIFY };
	struct watch_stats	 st;
	struct timeval		 iv = { 0, 20000 };
	struct rusage		 ru;
	struct event		*t;
	struct ctx		 c;
	double			 cpu;
	long			 n;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: bench_watchcost ROOT OTHER N "
		    "[fanotify|inotify]\n");
		return 2;
	}
	n = strtol(argv[3], NULL, 10);
	if (argc == 5 && strcmp(argv[4], "inotify") == 0)
		o.backend = WATCH_INOTIFY;
	log_init("watchcost", LOG_LVL_WARN, 0);
	memset(&c, 0, sizeof(c));
	if ((c.base = event_base_new()) == NULL ||
	    watch_new(&c.w, c.base, &o, on_file, on_rescan, &c) != 0 ||
	    watch_add(c.w, argv[1]) != 0)
		return 1;
	c.want = (uint64_t)(n + 9) / 10;
	if ((c.child = fork()) == -1)
		return 1;
	if (c.child == 0)
		_exit(writer(argv[1], argv[2], n));
	if ((t = event_new(c.base, -1, EV_PERSIST, tick, &c)) == NULL ||
	    event_add(t, &iv) != 0 || event_base_dispatch(c.base) == -1)
		return 1;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 1;
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	watch_stats(c.w, &st);
	printf("%s: %ld files written, %" PRIu64 " reported, %" PRIu64
	    " filtered: %.3f s CPU, %.1f us per file written\n",
	    watch_backend_name(c.w), n, st.events, st.filtered, cpu,
	    cpu * 1e6 / (double)n);
	event_free(t);
	watch_free(c.w);
	event_base_free(c.base);
	return 0;
}
