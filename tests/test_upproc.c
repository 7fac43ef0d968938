/*
 * test_upproc.c: the daemon's side of the uplink worker (upproc.c)
 * against the real worker program (vigil-uplink, a test build: its crash
 * and probe hooks are compiled in), with this test as the collector on
 * the other end of a socketpair.
 *
 *  - the worker runs with no capability, no_new_privs, under seccomp,
 *    not as root (when the test is root), holding no descriptor but
 *    stdio and its socket to the daemon;
 *  - CONNECT: the worker writes one HS_INIT record (the size the
 *    protocol says) on the socket it was given; a record header of an
 *    unknown type from "the collector" makes it report LOST for that
 *    connection, with the reason, and it keeps serving: the next
 *    connection gets its HS_INIT too;
 *  - an HS_RESP that trips the test build's crash hook makes it abort:
 *    ended() is called, the death is counted, and a new worker (another
 *    pid) is ready and shakes hands again;
 *  - the sandbox: open() gets EACCES; socket(), connect() and execve()
 *    kill the worker (SIGSYS), which is then started again.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "clock.h"
#include "err.h"
#include "keys.h"
#include "log.h"
#include "sandbox.h"
#include "testutil.h"
#include "upproc.h"
#include "upworker.h"
#include "wire.h"

struct fx {
	struct tmpdir		 t;
	char			 conf[PATH_MAX];
	struct event_base	*base;
	struct upproc		*up;
	/* what the callbacks saw */
	int			 readies, ends, opens, acks;
	uint32_t		 lost_gen;
	char			 lost_why[UPMSG_WHY_MAX + 1];
};

static void
cb_ready(void *arg)
{
	((struct fx *)arg)->readies++;
}

static void
cb_open(void *arg, uint32_t gen, const char *name, const char *office)
{
	((struct fx *)arg)->opens++;
}

static void
cb_ack(void *arg, uint32_t gen, uint64_t seq)
{
	((struct fx *)arg)->acks++;
}

static void
cb_lost(void *arg, uint32_t gen, const char *why)
{
	struct fx	*x = arg;

	x->lost_gen = gen;
	(void)snprintf(x->lost_why, sizeof(x->lost_why), "%s", why);
}

static void
cb_ended(void *arg)
{
	((struct fx *)arg)->ends++;
}

static const struct upproc_cbs cbs = { cb_ready, cb_open, cb_ack, cb_lost,
	cb_ended };

static int
setup(void **state)
{
	struct fx		*x = tmpdir_new(sizeof(*x), "upproc");
	struct upproc_conf	 c;
	struct upmsg_keys	 k;
	uint8_t			 cpriv[KEY_LEN];
	FILE			*f;

	if (x == NULL)
		return -1;
	tmpdir_path(x->conf, sizeof(x->conf), &x->t, "agent.conf");
	if ((f = fopen(x->conf, "w")) == NULL ||
	    fputs("[network]\nenabled = no\n", f) < 0 || fclose(f) != 0)
		return -1;
	if ((x->base = event_base_new()) == NULL)
		return -1;
	if (keys_generate(k.pub, k.priv) != 0 ||
	    keys_generate(k.collector_pub, cpriv) != 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.program = VIGIL_UPLINK_BIN;
	c.config = x->conf;
	c.data_dir = x->t.path;
	if (upproc_new(&x->up, x->base, &c, &k, &cbs, x) != 0)
		return -1;
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*x = *state;

	upproc_free(x->up);
	event_base_free(x->base);
	tmpdir_free(x);
	return 0;
}

/* Run the loop until *flag reaches want, for at most ms. */
static int
run_until(struct fx *x, const int *flag, int want, int ms)
{
	struct timeval	tv = { 0, 20000 };
	int64_t		end = clock_mono_ms() + ms;

	while (*flag < want && clock_mono_ms() < end) {
		(void)event_base_loopexit(x->base, &tv);
		(void)event_base_dispatch(x->base);
	}
	return *flag >= want;
}

/* Read one record from fd: its type and body length. */
static void
read_record(int fd, uint8_t *type, size_t *blen)
{
	uint8_t	hdr[WIRE_HDR_LEN], body[4096];
	ssize_t	n;

	assert_int_equal(recv(fd, hdr, sizeof(hdr), MSG_WAITALL),
	    (ssize_t)sizeof(hdr));
	assert_int_equal(wire_record_header(hdr, type, blen), 0);
	assert_true(*blen <= sizeof(body));
	n = recv(fd, body, *blen, MSG_WAITALL);
	assert_int_equal(n, (ssize_t)*blen);
}

/* A connection to the worker: our end in *ours. */
static void
connect_worker(struct fx *x, uint32_t gen, int *ours)
{
	int	sv[2];
	uint8_t	type;
	size_t	blen;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	assert_int_equal(upproc_connect(x->up, gen, 1000 + gen, sv[1]), 0);
	(void)close(sv[1]);
	*ours = sv[0];
	read_record(*ours, &type, &blen);
	assert_int_equal(type, WIRE_HS_INIT);
	assert_int_equal(blen, WIRE_HS_INIT_LEN);
}

static void
test_confined(void **state)
{
	struct fx		*x = *state;
	struct upproc_stats	 st;
	char			 p[64], line[256];
	struct dirent		*e;
	DIR			*d;
	FILE			*f;
	int			 caps = 0, nnp = 0, sec = 0, uid = -1, n = 0;

	assert_true(run_until(x, &x->readies, 1, 5000));
	upproc_stats(x->up, &st);
	assert_true(st.pid > 0);
	(void)snprintf(p, sizeof(p), "/proc/%d/status", st.pid);
	assert_non_null(f = fopen(p, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		caps += strcmp(line, "CapEff:\t0000000000000000\n") == 0;
		/* the bounding set is emptied by root only */
		caps += strcmp(line, "CapBnd:\t0000000000000000\n") == 0 &&
		    geteuid() == 0;
		nnp += strcmp(line, "NoNewPrivs:\t1\n") == 0;
		sec += strcmp(line, "Seccomp:\t2\n") == 0;
		if (strncmp(line, "Uid:", 4) == 0)
			uid = atoi(line + 4);
	}
	(void)fclose(f);
	assert_int_equal(caps, geteuid() == 0 ? 2 : 1);
	assert_int_equal(nnp, 1);
	assert_int_equal(sec, 1);
	if (geteuid() == 0)
		assert_int_not_equal(uid, 0);
	/* stdio and the daemon's socket: nothing else (as root only:
	 * another user's fd folder is not ours to read) */
	if (geteuid() == 0) {
		(void)snprintf(p, sizeof(p), "/proc/%d/fd", st.pid);
		assert_non_null(d = opendir(p));
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.') {
				assert_true(atoi(e->d_name) <= UPWORKER_FD);
				n++;
			}
		(void)closedir(d);
		assert_true(n >= 1 && n <= UPWORKER_FD + 1);
	}
}

static void
test_lost_and_crash(void **state)
{
	struct fx		*x = *state;
	struct upproc_stats	 st, st2;
	uint8_t			 rec[WIRE_HDR_LEN + WIRE_HS_RESP_LEN];
	int			 fd, fd2, fd3;

	assert_true(run_until(x, &x->readies, 1, 5000));
	connect_worker(x, 1, &fd);
	/* a header of no known type */
	memcpy(rec, "\0\0\0\x05\x63", WIRE_HDR_LEN);
	assert_int_equal(write(fd, rec, WIRE_HDR_LEN), WIRE_HDR_LEN);
	x->lost_gen = 0;
	assert_true(run_until(x, (int *)&x->lost_gen, 1, 5000));
	assert_int_equal(x->lost_gen, 1);
	assert_non_null(strstr(x->lost_why, "bad record header"));
	assert_int_equal(x->ends, 0);
	(void)close(fd);

	/* still serving: connection 2, and the collector hangs up */
	connect_worker(x, 2, &fd2);
	x->lost_gen = 0;
	(void)close(fd2);
	assert_true(run_until(x, (int *)&x->lost_gen, 1, 5000));
	assert_int_equal(x->lost_gen, 2);
	assert_non_null(strstr(x->lost_why, "closed by the collector"));

	/* a reply that trips the crash hook */
	upproc_stats(x->up, &st);
	connect_worker(x, 3, &fd3);
	memset(rec, 0, sizeof(rec));
	rec[0] = (uint8_t)((WIRE_HS_RESP_LEN + 1) >> 24);
	rec[1] = (uint8_t)((WIRE_HS_RESP_LEN + 1) >> 16);
	rec[2] = (uint8_t)((WIRE_HS_RESP_LEN + 1) >> 8);
	rec[3] = (uint8_t)(WIRE_HS_RESP_LEN + 1);
	rec[4] = WIRE_HS_RESP;
	memcpy(rec + WIRE_HDR_LEN, UPWORKER_CRASH, strlen(UPWORKER_CRASH));
	assert_int_equal(write(fd3, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	assert_true(run_until(x, &x->ends, 1, 5000));
	(void)close(fd3);
	assert_true(run_until(x, &x->readies, 2, 5000));
	upproc_stats(x->up, &st2);
	assert_int_equal(st2.restarts, st.restarts + 1);
	assert_true(st2.pid > 0 && st2.pid != st.pid);
	/* the new one shakes hands; gen keeps growing */
	connect_worker(x, 4, &fd);
	(void)close(fd);
	assert_int_equal(x->opens + x->acks, 0);
}

static void
test_sandbox(void **state)
{
	struct fx		*x = *state;
	static const uint32_t	 killed[] = { SANDBOX_PROBE_SOCKET,
				    SANDBOX_PROBE_CONNECT, SANDBOX_PROBE_EXEC };
	size_t			 i;
	int			 err, sig;

	assert_true(run_until(x, &x->readies, 1, 5000));
	assert_int_equal(upproc_probe(x->up, SANDBOX_PROBE_OPEN, &err, &sig),
	    0);
	assert_int_equal(err, EACCES);
	for (i = 0; i < sizeof(killed) / sizeof(killed[0]); i++) {
		/* each death is followed by a new worker, after a back-off
		 * that grows: 0, 2 s, 4 s */
		assert_true(run_until(x, &x->readies, (int)i + 1, 10000));
		assert_int_equal(upproc_probe(x->up, killed[i], &err, &sig),
		    ERR_IO);
		assert_int_equal(sig, SIGSYS);
	}
	assert_int_equal(x->ends, 3);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(test_confined, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lost_and_crash, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sandbox, setup, teardown),
	};

	log_init("test_upproc", LOG_LVL_WARN, 0);
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
