/*
 * netchild.c: the capture child (netchild.h, netmon.h).
 *
 * Order matters, and is the point of this file: no byte of a rule, a
 * list, a variable or a compiled set is parsed before root is gone.
 *   1. close every descriptor but stdio and the socket to the daemon;
 *   2. as root, what needs root, parsing nothing: open the capture on
 *      each interface (CAP_NET_RAW); read the rule and list files into
 *      memory (they may sit in root-only folders: netsensor_read); open
 *      the compiled set named by a hash of those bytes, if there is one,
 *      and an empty private file to save a new one into (netcache.h);
 *   3. drop everything: the capability bounding set, then root's user
 *      and groups for the configured user's (nobody when there is no
 *      such user), every capability left, new privileges (no_new_privs),
 *      ptrace and core dumps (not dumpable);
 *   4. parse the rules and lists and compile them (or deserialise the
 *      compiled set: as untrusted as the rules), saving a compile into
 *      the file given, which the daemon names after READY; close the
 *      cache's descriptors, free the files' bytes;
 *   5. a seccomp filter that allows what the packet loop calls and
 *      nothing else: no open, no socket, no exec, no mapping of
 *      executable memory. An open() gets EACCES rather than death:
 *      libpcap reads an interface counter from /sys in promiscuous mode,
 *      and may do without it. (It comes after the compile only because
 *      it is the packet loop's filter; the compile has no privilege
 *      either way.);
 *   6. say READY, then loop: frames in, alerts out as EVE JSON, each one
 *      datagram on the socket (netmsg.h); counters every STATS_MS.
 *
 * Test builds (VIGIL_TEST_HOOKS) also honour a packet whose payload holds
 * NETCHILD_CRASH (the child aborts once the packet is decoded, as a
 * decoder bug could) and the daemon's PROBE (netmsg.h: the child tries
 * what its sandbox must refuse, and answers PROBED); and they abort at
 * step 4 when a rule or list file holds NETCHILD_UNPRIVILEGED and the
 * child still has any privilege (tests/integration/netcapture.sh checks
 * the order with it).
 *
 * The daemon's socket is never waited on: an alert that does not fit in
 * its buffer is dropped and counted (dropped_vigil), so a slow daemon
 * costs alerts, never packets. The child ends with _exit: a sanitizer's
 * exit-time leak check needs ptrace, which the filter refuses.
 *
 * Load: the whole packet path (netsensor.h) for every frame; one poll()
 * wake-up per batch of frames, and once a second when idle.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "err.h"
#include "event.h"
#include "log.h"
#include "netchild.h"
#include "netmon.h"
#include "netcache.h"
#include "netmsg.h"
#include "netsensor.h"
#include "sandbox.h"

#define IFACES_MAX	CONFIG_LIST_MAX
#define FEED_BATCH	256		/* frames per interface per wake-up */
#define TICK_MS		1000		/* idle: flows expire this often */
#define STATS_MS	5000		/* counters to the daemon */
#define SNDBUF		(1 << 20)	/* alerts in flight to the daemon */
#define NETCHILD_CRASH	"VIGIL-TEST-CRASH-CAPTURE"
#define NETCHILD_UNPRIVILEGED	"VIGIL-TEST-ASSERT-UNPRIVILEGED"

static volatile sig_atomic_t	stop;

struct child {
	const struct agent_config *cfg;
	int			 fd;
	const char		*cache_dir;
	const char		*ifname[IFACES_MAX];
	struct capture		*cap[IFACES_MAX];
	size_t			 ncap;
	int			 gateway_set;
	uint8_t			 gateway[4];
	const char		*dns_allow[CONFIG_LIST_MAX];
	struct netsensor_input	 in;		/* read as root, parsed after */
	struct netcache_fds	 cache;
	struct netsensor_rules	*rules;
	struct netsensor_load_stats ls;
	struct netsensor	*ns;
	int64_t			 ticked_us;
	uint64_t		 dropped_vigil;
	int			 channel_failed;
	int			 sandboxed;
};

static void
on_term(int sig)
{
	stop = 1;
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- 1. start: arguments, descriptors, signals ---- */

static int
parse_args(struct child *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cache",	required_argument, NULL, 'C' },
		{ "gateway",	required_argument, NULL, 'g' },
		{ NULL,		0,		   NULL, 0 },
	};
	int	ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			c->cache_dir = optarg;
			break;
		case 'g':
			if (inet_pton(AF_INET, optarg, c->gateway) != 1)
				return ERR_USAGE;
			c->gateway_set = 1;
			break;
		default:
			return ERR_USAGE;
		}
	}
	if (optind >= argc || argc - optind > IFACES_MAX)
		return ERR_USAGE;
	for (; optind < argc; optind++)
		c->ifname[c->ncap++] = argv[optind];
	return 0;
}

/* Our end of the daemon's socket, and nothing else open above stderr. */
static int
channel_check(int fd)
{
	struct stat	st;
	socklen_t	len = sizeof(int);
	int		type = 0, size = SNDBUF;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_SEQPACKET)
		return ERR_USAGE;
	if (close_range(fd + 1, ~0U, 0) == -1)
		return ERR_IO;
	/* as root, past net.core.wmem_max; otherwise what it allows */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size,
		    sizeof(size));
	return 0;
}

static int
signals(void)
{
	struct sigaction	sa;
	sigset_t		none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;		/* no SA_RESTART: poll returns */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&none);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGHUP, SIG_IGN) == SIG_ERR ||
	    sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		return ERR_IO;
	return 0;
}

/* ---- 2. as root: the capture, the files' bytes, the cache ---- */

static int
read_files(struct child *c)
{
	struct netmon_paths		p;
	struct netsensor_load_opts	lo = { 0 };
	int				rc;

	netmon_paths(&p, c->cfg);
	lo.rules = p.rules;
	lo.nrules = p.nrules;
	lo.iocs = p.iocs;
	lo.niocs = p.niocs;
	lo.vars = p.vars;
	lo.nvars = p.nvars;
	if ((rc = netsensor_read(&c->in, &lo)) != 0) {
		log_warnx("capture: the rules and lists could not be read: %s",
		    vigil_strerror(rc));
		return rc;
	}
	/* the cache is an optimisation: without it, a compile */
	if (c->cache_dir != NULL)
		(void)netcache_offer(&c->cache, c->cache_dir, c->in.key,
		    getpid());
	return 0;
}

/* ---- 4. unprivileged: parse and compile ---- */

#ifdef VIGIL_TEST_HOOKS
static int
marked(const struct netfiles *fs)
{
	size_t	i;

	for (i = 0; i < fs->n; i++)
		if (memmem(fs->f[i].text, fs->f[i].len, NETCHILD_UNPRIVILEGED,
		    sizeof(NETCHILD_UNPRIVILEGED) - 1) != NULL)
			return 1;
	return 0;
}
#endif

static int
load(struct child *c)
{
	const struct ioc_stats	*is = &c->ls.iocs;
	int			 rc;

#ifdef VIGIL_TEST_HOOKS
	if ((marked(&c->in.rules) || marked(&c->in.lists)) &&
	    !sandbox_unprivileged())
		abort();
#endif
	rc = netsensor_parse(&c->rules, &c->in, &c->cache, &c->ls);
	netcache_close(&c->cache);
	netsensor_input_clear(&c->in);
	if (rc != 0) {
		log_warnx("capture: the rules and lists did not load: %s",
		    vigil_strerror(rc));
		return rc;
	}
	log_info("capture: %u traffic rules (%u skipped%s), %" PRIu64
	    " indicators (%" PRIu64 " lines skipped)", c->ls.rules.loaded,
	    c->ls.rules.skipped, c->ls.rules.from_cache ?
	    ", compiled set from the cache" : "", is->ips + is->cidrs +
	    is->domains + is->urls + is->hashes, is->bad_lines);
	return 0;
}

static void	on_alert(void *, const json_t *, const struct pkt *,
		    const struct net_alert *);

#ifdef VIGIL_TEST_HOOKS
static void
crash_hook(void *ctx, const struct pkt *p)
{
	if (p->payload != NULL && memmem(p->payload, p->payload_len,
	    NETCHILD_CRASH, sizeof(NETCHILD_CRASH) - 1) != NULL)
		abort();
}
#endif

static int
sensor(struct child *c)
{
	const struct agent_config	*cfg = c->cfg;
	struct netsensor_conf		 conf;
	int				 i;

	netsensor_conf_defaults(&conf);
	conf.pipe.flow_max = (uint32_t)cfg->net_flow_max;
	conf.pipe.stream_depth = (uint32_t)cfg->net_stream_depth;
	conf.det.scan_ports = (uint32_t)cfg->net_scan_ports;
	conf.det.scan_hosts = (uint32_t)cfg->net_scan_hosts;
	for (i = 0; i < cfg->net_dns_allow.n; i++)
		c->dns_allow[i] = cfg->net_dns_allow.item[i];
	conf.det.dns_allow = c->dns_allow;
	conf.det.dns_nallow = (size_t)cfg->net_dns_allow.n;
	if (c->gateway_set) {
		conf.gateway_set = 1;
		memcpy(conf.gateway_ip, c->gateway, sizeof(conf.gateway_ip));
	}
#ifdef VIGIL_TEST_HOOKS
	conf.packet = crash_hook;
#endif
	return netsensor_new(&c->ns, &conf, c->rules, on_alert, c);
}

static int
open_all(struct child *c)
{
	struct capture_live_opts	o;
	char				err[PCAP_ERRBUF_SIZE];
	size_t				i;
	int				rc;

	memset(&o, 0, sizeof(o));
	o.bpf = c->cfg->net_filter;
	o.promisc = c->cfg->net_promisc;
	o.buffer_bytes = (int)c->cfg->net_buffer;	/* at most 1G */
	for (i = 0; i < c->ncap; i++) {
		o.ifname = c->ifname[i];
		if ((rc = capture_open_live(&c->cap[i], &o, err)) != 0) {
			if (rc == ERR_MALFORMED)
				log_warnx("[network] filter '%s': %s", o.bpf,
				    err);
			else
				log_warnx("capture: %s", err);
			return rc;
		}
		log_info("capture: %s (%s%s)", c->ifname[i],
		    capture_linktype_name(c->cap[i]),
		    o.promisc ? ", promiscuous" : "");
	}
	return 0;
}

/* ---- 3, 5. the sandbox ---- */

static int
seccomp_install(int fd, int use_syslog)
{
	const struct sandbox_rule rules[] = {
		SANDBOX_ALLOW(poll), SANDBOX_ALLOW(ppoll),
		SANDBOX_ALLOW(getsockopt), SANDBOX_ALLOW(clock_gettime),
		SANDBOX_ALLOW(gettimeofday), SANDBOX_ALLOW(time),
		SANDBOX_ALLOW(brk), SANDBOX_ALLOW(munmap), SANDBOX_ALLOW(mremap),
		SANDBOX_ALLOW(madvise), SANDBOX_ALLOW(futex),
		SANDBOX_ALLOW(rt_sigreturn), SANDBOX_ALLOW(rt_sigprocmask),
		SANDBOX_ALLOW(exit), SANDBOX_ALLOW(exit_group),
		SANDBOX_ALLOW(getpid), SANDBOX_ALLOW(gettid),
		SANDBOX_ALLOW(tgkill), SANDBOX_ALLOW(getrandom),
		SANDBOX_ALLOW(sched_yield), SANDBOX_ALLOW(nanosleep),
		SANDBOX_ALLOW(clock_nanosleep), SANDBOX_ALLOW(fstat),
		SANDBOX_ALLOW(newfstatat), SANDBOX_ALLOW(close),
		SANDBOX_ALLOW(recvfrom), SANDBOX_ALLOW(sigaltstack),
		/* memory, never executable */
		SANDBOX_ALLOW_IF(mmap, 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
		SANDBOX_ALLOW_IF(mprotect, 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
		/* the log on stderr, the daemon on its socket */
		SANDBOX_ALLOW_IF(write, 0, SCMP_CMP_EQ, STDERR_FILENO, 0),
		SANDBOX_ALLOW_IF(writev, 0, SCMP_CMP_EQ, STDERR_FILENO, 0),
		SANDBOX_ALLOW_IF(sendmsg, 0, SCMP_CMP_EQ, (scmp_datum_t)fd, 0),
		/* the syslog socket openlog connected, when there is one */
		{ SCMP_SYS(sendto), use_syslog ? SCMP_ACT_ALLOW :
		    SCMP_ACT_ERRNO(EACCES), 0, 0, 0, 0, 0 },
		SANDBOX_ERRNO(openat, EACCES), SANDBOX_ERRNO(open, EACCES),
	};

	return sandbox_seccomp("capture", rules, sizeof(rules) /
	    sizeof(rules[0]));
}

/* ---- 6. the loop ---- */

static void
on_alert(void *ctx, const json_t *eve, const struct pkt *p,
    const struct net_alert *a)
{
	struct child	*c = ctx;
	char		*text;
	size_t		 len;
	int		 rc;

	if (c->channel_failed)
		return;
	if ((text = event_dump(eve, &len)) == NULL) {
		c->dropped_vigil++;
		return;
	}
	rc = netmsg_send(c->fd, NETMSG_ALERT, text, len);
	free(text);
	if (rc == ERR_AGAIN || rc == ERR_TOOBIG)
		c->dropped_vigil++;
	else if (rc != 0)
		c->channel_failed = 1;
}

static int
send_stats(struct child *c)
{
	struct netmsg_stats	m;
	struct netsensor_stats	ns;
	struct capture_stats	cs;
	size_t			i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < c->ncap; i++) {
		if (capture_stats(c->cap[i], &cs) != 0)
			continue;
		m.received += cs.received;
		m.dropped_kernel += cs.dropped_kernel;
		m.dropped_if += cs.dropped_if;
	}
	netsensor_stats(c->ns, &ns);
	m.dropped_vigil = c->dropped_vigil;
	m.frames = ns.pipe.frames;
	m.undecodable = ns.pipe.undecodable;
	m.flows = ns.pipe.flows;
	m.flows_active = ns.pipe.flows_active;
	m.flows_evicted = ns.pipe.flows_evicted;
	m.alerts = ns.alerts;
	/* counters are totals: one lost to a full buffer is made good by
	 * the next */
	return netmsg_send(c->fd, NETMSG_STATS, &m, sizeof(m)) == ERR_IO ?
	    ERR_IO : 0;
}

/* No frame for a while: time passes all the same (capture time is the
 * kernel's clock; a second behind it, so no frame still to come is older). */
static void
idle_tick(struct child *c)
{
	struct timespec	ts;
	int64_t		now_us, last = 0;
	size_t		i;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - 1000000;
	for (i = 0; i < c->ncap; i++)
		if (capture_last_ts(c->cap[i]) > last)
			last = capture_last_ts(c->cap[i]);
	if (now_us > last && now_us > c->ticked_us) {
		netsensor_tick(c->ns, now_us);
		c->ticked_us = now_us;
	}
}

static int
feed(struct child *c, size_t i)
{
	char	err[PCAP_ERRBUF_SIZE];

	if (capture_feed(c->cap[i], c->ns, FEED_BATCH, err) < 0) {
		log_warnx("capture: %s: %s", c->ifname[i], err);
		return NETCHILD_EXIT_CAPTURE;
	}
	return 0;
}

#ifdef VIGIL_TEST_HOOKS
/* PROBE: try it, say what came of it. -1 to go on, else how the child
 * ends. */
static int
probe(struct child *c)
{
	struct netmsg_probe	 q;
	struct netmsg_probed	 a;
	uint8_t			 buf[NETMSG_HDR + sizeof(q)];
	const char		*why;
	ssize_t			 n;

	do
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		return NETCHILD_EXIT_OK;
	if (n == -1)
		return errno == EAGAIN ? -1 : NETCHILD_EXIT_CHANNEL;
	if (netmsg_parse_probe(&q, buf, (size_t)n, &why) != 0) {
		log_warnx("capture: a message from the daemon refused: %s",
		    why);
		return NETCHILD_EXIT_CHANNEL;
	}
	a.what = q.what;
	a.err = sandbox_probe((int)q.what, c->fd);
	return netmsg_send(c->fd, NETMSG_PROBED, &a, sizeof(a)) == 0 ? -1 :
	    NETCHILD_EXIT_CHANNEL;
}
#endif

/* The daemon's socket is readable or hung up: it writes nothing (but a
 * test build's PROBE), so it is gone. -1 to go on, else how the child
 * ends. */
static int
from_daemon(struct child *c, short revents)
{
#ifdef VIGIL_TEST_HOOKS
	if (revents == POLLIN)
		return probe(c);
#endif
	return NETCHILD_EXIT_OK;
}

static int
run(struct child *c)
{
	struct pollfd	pfd[IFACES_MAX + 1];
	int64_t		now, tick = mono_ms(), stats = tick;
	size_t		i;
	int		rc;

	pfd[0].fd = c->fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < c->ncap; i++) {
		pfd[i + 1].fd = capture_fd(c->cap[i]);
		pfd[i + 1].events = POLLIN;
	}
	while (!stop) {
		if (poll(pfd, c->ncap + 1, TICK_MS) == -1) {
			if (errno == EINTR)
				continue;
			return NETCHILD_EXIT_CAPTURE;
		}
		if (pfd[0].revents != 0 &&
		    (rc = from_daemon(c, pfd[0].revents)) >= 0)
			return rc;
		for (i = 0; i < c->ncap; i++)
			if (pfd[i + 1].revents != 0 && (rc = feed(c, i)) != 0)
				return rc;
		if (c->channel_failed)
			return NETCHILD_EXIT_CHANNEL;
		now = mono_ms();
		if (now - tick >= TICK_MS) {
			idle_tick(c);
			tick = now;
		}
		if (now - stats >= STATS_MS) {
			if (send_stats(c) != 0)
				return NETCHILD_EXIT_CHANNEL;
			stats = now;
		}
	}
	return NETCHILD_EXIT_OK;
}

static int
ready(struct child *c)
{
	struct netmsg_ready		 m;
	const struct ioc_stats		*is = &c->ls.iocs;
	uint64_t			 n;

	memset(&m, 0, sizeof(m));
	m.rules_loaded = c->ls.rules.loaded;
	m.rules_skipped = c->ls.rules.skipped;
	m.rules_newest = c->ls.rules.newest;
	n = is->ips + is->cidrs + is->domains + is->urls + is->hashes;
	m.indicators = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	m.bad_lines = is->bad_lines > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)is->bad_lines;
	return netmsg_send(c->fd, NETMSG_READY, &m, sizeof(m));
}

static int
child_run(struct child *c, int argc, char **argv)
{
	pid_t	parent = getppid();
	int	rc;

	if (parse_args(c, argc, argv) != 0 || channel_check(c->fd) != 0) {
		log_warnx("%s: for the daemon's use only", NETCHILD_CMD);
		return NETCHILD_EXIT_USAGE;
	}
	if (signals() != 0)
		return NETCHILD_EXIT_USAGE;
	if ((rc = open_all(c)) != 0)
		return rc == ERR_MALFORMED ? NETCHILD_EXIT_FILTER :
		    NETCHILD_EXIT_CAPTURE;
	if (read_files(c) != 0)
		return NETCHILD_EXIT_RULES;
	if (sandbox_enter("capture", c->cfg->user, parent) != 0)
		return NETCHILD_EXIT_SANDBOX;
	if (load(c) != 0)
		return NETCHILD_EXIT_RULES;
	if ((rc = sensor(c)) != 0) {
		log_warnx("capture: %s", vigil_strerror(rc));
		return rc == ERR_NOMEM ? NETCHILD_EXIT_NOMEM :
		    NETCHILD_EXIT_RULES;
	}
	if (seccomp_install(c->fd, c->cfg->syslog) != 0)
		return NETCHILD_EXIT_SANDBOX;
	c->sandboxed = 1;
	if (ready(c) != 0)
		return NETCHILD_EXIT_CHANNEL;
	return run(c);
}

int
netchild_main(int argc, char **argv, const struct agent_config *cfg)
{
	struct child	c;
	size_t		i;
	int		rc;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.fd = NETCHILD_FD;
	netcache_none(&c.cache);
	log_init("vigil-agent[capture]", cfg->log_level, cfg->syslog);
	rc = child_run(&c, argc, argv);
	/* once sandboxed, closing a capture would need calls the filter
	 * refuses (libpcap takes its ring down with setsockopt): the exit
	 * releases it all */
	for (i = 0; !c.sandboxed && i < c.ncap; i++)
		capture_close(c.cap[i]);
	if (!c.sandboxed) {
		netsensor_free(c.ns);
		netsensor_rules_free(c.rules);
		netcache_close(&c.cache);
		netsensor_input_clear(&c.in);
	}
	_exit(rc);
}
