/*
 * test_svc.c: the service manager's notify protocol (common/svc.c),
 * against a socket of our own in NOTIFY_SOCKET, as systemd's would be:
 * nothing is sent outside a service manager; READY, RELOADING and
 * STOPPING arrive as systemd parses them; the watchdog pings at half the
 * period the manager asked for, only while the event loop turns, and
 * only for the process the manager named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/event.h>

#include "svc.h"

struct sock {
	int	fd;
	char	dir[64];
	char	path[128];
};

static int
setup(void **state)
{
	struct sock		*s = calloc(1, sizeof(*s));
	struct sockaddr_un	 sun;

	assert_non_null(s);
	snprintf(s->dir, sizeof(s->dir), "/tmp/vigil-svc.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/notify", s->dir);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(s->fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", s->path, 1), 0);
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct sock	*s = *state;

	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	close(s->fd);
	unlink(s->path);
	rmdir(s->dir);
	free(s);
	return 0;
}

/* The next datagram, "" when there is none. */
static const char *
next(struct sock *s)
{
	static char	buf[512];
	ssize_t		n = recv(s->fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_states(void **state)
{
	struct sock	*s = *state;

	svc_ready(NULL);
	assert_string_equal(next(s), "READY=1");
	svc_ready("listening on 127.0.0.1:7414");
	assert_string_equal(next(s), "READY=1\nSTATUS=listening on "
	    "127.0.0.1:7414");
	/* a status cannot smuggle another assignment onto a new line */
	svc_ready("ok\nMAINPID=1");
	assert_string_equal(next(s), "READY=1\nSTATUS=ok MAINPID=1");
	svc_reloading();
	assert_string_equal(next(s), "RELOADING=1");
	svc_stopping();
	assert_string_equal(next(s), "STOPPING=1");
	assert_string_equal(next(s), "");
}

static void
test_outside_systemd(void **state)
{
	struct sock		*s = *state;
	struct event_base	*base = event_base_new();
	struct svc		*svc = (struct svc *)1;

	unsetenv("NOTIFY_SOCKET");
	svc_ready(NULL);
	svc_stopping();
	assert_int_equal(svc_start(&svc, base), 0);
	assert_null(svc);
	assert_string_equal(next(s), "");
	event_base_free(base);
}

static int
count_pings(struct sock *s)
{
	int	n = 0;

	while (strcmp(next(s), "WATCHDOG=1") == 0)
		n++;
	return n;
}

static void
test_watchdog(void **state)
{
	struct sock		*s = *state;
	struct event_base	*base = event_base_new();
	struct timeval		 run = { 0, 330 * 1000 };
	struct svc		*svc;
	char			 pid[32];
	int			 n;

	/* 100 ms period: a ping every 50 ms while the loop turns */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	assert_int_equal(setenv("WATCHDOG_USEC", "100000", 1), 0);
	assert_int_equal(svc_start(&svc, base), 0);
	assert_non_null(svc);
	assert_int_equal(count_pings(s), 0);
	event_base_loopexit(base, &run);
	assert_int_equal(event_base_dispatch(base), 0);
	n = count_pings(s);
	assert_in_range(n, 4, 7);	/* 6 in 330 ms, give or take one */
	/* the loop stopped: no pings */
	usleep(120 * 1000);
	assert_int_equal(count_pings(s), 0);
	svc_free(svc);

	/* the manager named another process: not ours to ping */
	assert_int_equal(setenv("WATCHDOG_PID", "1", 1), 0);
	assert_int_equal(setenv("WATCHDOG_USEC", "100000", 1), 0);
	assert_int_equal(svc_start(&svc, base), 0);
	assert_null(svc);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(test_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_systemd, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watchdog, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
