/*
 * test_netmon.c: the daemon's side of live capture (netmon.c) against
 * the real capture child (vigil-capture, a test build: its crash and
 * probe hooks are compiled in), capturing on the loopback interface of
 * a network namespace of this test's own. Needs root for the namespace
 * and the capture: skipped otherwise.
 *
 *  - the sandbox: open() in the child gets EACCES; socket(), connect()
 *    and execve() kill it (SIGSYS), and each time a new child takes
 *    over; the control: the same probes in a process that entered the
 *    same sandbox but installed no filter all go through (open and
 *    socket succeed, exec runs true(1));
 *  - a datagram carrying the crash marker: the child aborts (SIGABRT)
 *    on the decoded packet; the daemon says so, counts a restart and
 *    starts a new child, and the next datagram a rule matches is an
 *    alert in the spool.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "netmon.h"
#include "sandbox.h"
#include "spool.h"
#include "testutil.h"

#define WAIT_S	40		/* a child to start (sanitizers are slow) */
#define PORT	9999

struct fx {
	struct tmpdir		 t;
	int			 netns;		/* 0: not root, skip */
	char			 conf[PATH_MAX];
	struct agent_config	*cfg;
	struct event_base	*base;
	struct spool		*spool;
	struct netmon		*nm;
};

/* Our own namespace, its loopback up: the capture sees only the test. */
static int
netns_enter(void)
{
	struct ifreq	ifr;
	int		s, rc = -1;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0 ||
	    (s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	(void)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	(void)close(s);
	return rc;
}

static int
setup(void **state)
{
	struct fx	*x = tmpdir_new(sizeof(*x), "netmon");
	char		 rules[PATH_MAX], p[PATH_MAX], text[3 * PATH_MAX];

	if (x == NULL)
		return -1;
	*state = x;
	x->netns = netns_enter() == 0;
	if (!x->netns)
		return 0;
	tmpdir_path(rules, sizeof(rules), &x->t, "traffic");
	tmpdir_path(x->conf, sizeof(x->conf), &x->t, "agent.conf");
	if (mkdir(rules, 0755) != 0 || tmpdir_put(tmpdir_path(p, sizeof(p),
	    &x->t, "traffic/t.rules"), "alert udp any any -> any 9999 "
	    "(msg:\"vigil netmon test\"; content:\"vigil-net-test\"; "
	    "sid:9100001; rev:1;)\n") != 0)
		return -1;
	(void)snprintf(text, sizeof(text), "[agent]\ndata_dir = %s\n"
	    "user = nobody\n[files]\nenabled = no\n[integrity]\nenabled = no\n"
	    "[network]\nenabled = yes\ninterface = lo\nrules = %s\n"
	    "local_rules =\nlocal_ioc =\n", x->t.path, rules);
	if (tmpdir_put(x->conf, text) != 0 ||
	    (x->cfg = calloc(1, sizeof(*x->cfg))) == NULL ||
	    config_load_agent(x->cfg, x->conf) != 0 ||
	    (x->base = event_base_new()) == NULL ||
	    spool_open(&x->spool, tmpdir_path(p, sizeof(p), &x->t,
	    "spool.db"), 0) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*x = *state;

	netmon_free(x->nm);
	spool_close(x->spool);
	if (x->base != NULL)
		event_base_free(x->base);
	free(x->cfg);
	tmpdir_free(x);
	return 0;
}

static void
start(struct fx *x)
{
	struct netmon_exec	ex = { x->conf, 0, NULL, VIGIL_CAPTURE_BIN };

	if (!x->netns)
		skip();
	assert_int_equal(netmon_new(&x->nm, x->base, x->cfg, &ex, x->spool,
	    NULL, NULL), 0);
}

static int64_t
mono_s(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The health's network.key: a number, or for the state 1 if capturing;
 * -1 if there is none. (No asserts: crash() runs with stderr elsewhere.) */
static json_int_t
health(struct fx *x, const char *key)
{
	json_t		*h = netmon_health(x->nm), *v;
	json_int_t	 r = -1;

	v = json_object_get(json_object_get(h, "network"), key);
	if (json_is_string(v))
		r = strcmp(json_string_value(v), "capturing") == 0;
	else if (json_is_integer(v))
		r = json_integer_value(v);
	json_decref(h);
	return r;
}

/* The loop runs (a 1 s timer at least) until a child captures after
 * restarts restarts: 0, or -1 after WAIT_S. */
static int
capturing_after(struct fx *x, json_int_t restarts)
{
	int64_t	until = mono_s() + WAIT_S;

	while (health(x, "state") != 1 || health(x, "restarts") < restarts)
		if (mono_s() >= until ||
		    event_base_loop(x->base, EVLOOP_ONCE) == -1)
			return -1;
	return health(x, "restarts") == restarts ? 0 : -1;
}

/* One datagram to the loopback, port PORT: 0 or -1. */
static int
send_udp(const char *text)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET,
				    .sin_port = htons(PORT) };
	ssize_t			n = -1;
	int			s;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0) {
		n = sendto(s, text, strlen(text), 0, (struct sockaddr *)&sin,
		    sizeof(sin));
		(void)close(s);
	}
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The same sandbox as the child's without the filter: every probe goes
 * through, the last one running true(1) (exit 0). */
static int
unfiltered(void *arg)
{
	int	sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0 ||
	    sandbox_enter("control", "nobody", getppid()) != 0)
		return 10;
	if (sandbox_probe(SANDBOX_PROBE_OPEN, sv[0]) != 0)
		return 11;
	if (sandbox_probe(SANDBOX_PROBE_SOCKET, sv[0]) != 0)
		return 12;
	if (sandbox_probe(SANDBOX_PROBE_CONNECT, sv[0]) == 0)
		return 13;	/* no listener at /dev/log takes this one */
	(void)sandbox_probe(SANDBOX_PROBE_EXEC, sv[0]);
	return 14;
}

static void
test_sandbox(void **state)
{
	struct fx		*x = *state;
	static const uint32_t	 killed[] = { SANDBOX_PROBE_SOCKET,
				    SANDBOX_PROBE_CONNECT, SANDBOX_PROBE_EXEC };
	size_t			 i;
	int			 err, sig;

	start(x);
	assert_int_equal(tmpdir_child(unfiltered, NULL), 0);
	assert_int_equal(capturing_after(x, 0), 0);
	assert_int_equal(netmon_probe(x->nm, SANDBOX_PROBE_OPEN, &err, &sig),
	    0);
	assert_int_equal(err, EACCES);
	assert_int_equal(sig, 0);
	for (i = 0; i < sizeof(killed) / sizeof(killed[0]); i++) {
		assert_int_equal(netmon_probe(x->nm, killed[i], &err, &sig),
		    ERR_IO);
		assert_int_equal(sig, SIGSYS);
		/* no child: nothing to ask until the next one runs */
		assert_int_equal(netmon_probe(x->nm, killed[i], &err, &sig),
		    ERR_STATE);
		assert_int_equal(capturing_after(x, (json_int_t)i + 1), 0);
	}
	assert_int_equal(netmon_probe(x->nm, SANDBOX_PROBE_MAX + 1, &err,
	    &sig), ERR_IO);		/* refused by the child: it ends */
	assert_int_equal(sig, 0);
}

struct crash {
	struct fx	*x;
	int		 restarted;
	uint64_t	 depth;
};

static void
crash(void *arg)
{
	struct crash		*c = arg;
	struct fx		*x = c->x;
	struct spool_stats	 st = { 0 };
	int64_t			 until;

	if (send_udp("a packet with VIGIL-TEST-CRASH-CAPTURE in it") != 0 ||
	    capturing_after(x, 1) != 0)
		return;
	c->restarted = 1;
	/* what the new child captures still reaches the spool */
	if (send_udp("hello vigil-net-test") != 0)
		return;
	until = mono_s() + 10;
	while (spool_stats(x->spool, &st) == 0 && st.depth == 0 &&
	    mono_s() < until && event_base_loop(x->base, EVLOOP_ONCE) != -1)
		;
	c->depth = st.depth;
}

static void
test_crash(void **state)
{
	struct fx	*x = *state;
	struct crash	 c = { x, 0, 0 };
	char		*log;

	start(x);
	assert_int_equal(capturing_after(x, 0), 0);
	assert_non_null(log = capture_stderr(crash, &c));
	assert_true(c.restarted);
	assert_non_null(strstr(log, "ended: killed by signal 6"));
	assert_int_equal(c.depth, 1);
	free(log);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(test_sandbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
	};

	log_init("test_netmon", LOG_LVL_INFO, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
