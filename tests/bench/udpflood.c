/*
 * bench_udpflood: UDP datagrams at a fixed rate, for the live capture
 * benchmark (tests/bench/live.sh), sent from inside a network namespace
 * the script made; never anywhere else.
 *
 *	bench_udpflood ADDR PORT PPS SECONDS SIZE
 *
 * Sends in batches of 64 (sendmmsg) paced by the clock; destination ports
 * cycle over PORT..PORT+255 so that the sensor sees many flows. Prints
 * what it sent and the rate it reached.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH	64

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 to[BATCH];
	struct mmsghdr		 msg[BATCH];
	struct iovec		 iov[BATCH];
	char			 payload[1500];
	unsigned long		 pps, secs, size, port, sent = 0, want;
	double			 t0, t;
	int			 s, i, n;

	if (argc != 6 || (pps = strtoul(argv[3], NULL, 10)) == 0 ||
	    (secs = strtoul(argv[4], NULL, 10)) == 0 || secs > 600 ||
	    (size = strtoul(argv[5], NULL, 10)) == 0 ||
	    size > sizeof(payload) || (port = strtoul(argv[2], NULL, 10)) ==
	    0 || port > 65535 - 256) {
		fprintf(stderr, "usage: bench_udpflood ADDR PORT PPS SECONDS "
		    "SIZE (SIZE <= 1500, SECONDS <= 600)\n");
		return 2;
	}
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		perror("socket");
		return 1;
	}
	memset(payload, 'v', sizeof(payload));
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		memset(&to[i], 0, sizeof(to[i]));
		to[i].sin_family = AF_INET;
		if (inet_pton(AF_INET, argv[1], &to[i].sin_addr) != 1) {
			fprintf(stderr, "bench_udpflood: bad address %s\n",
			    argv[1]);
			return 2;
		}
		iov[i].iov_base = payload;
		iov[i].iov_len = size;
		msg[i].msg_hdr.msg_name = &to[i];
		msg[i].msg_hdr.msg_namelen = sizeof(to[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	for (;;) {
		t = now_s() - t0;
		if (t >= (double)secs)
			break;
		want = (unsigned long)(t * (double)pps);
		if (sent >= want) {
			struct timespec d = { 0, 100000 };	/* 0.1 ms */
			nanosleep(&d, NULL);
			continue;
		}
		for (i = 0; i < BATCH; i++)
			to[i].sin_port = htons((uint16_t)(port +
			    (sent + (unsigned long)i) % 256));
		n = sendmmsg(s, msg, BATCH, 0);
		if (n > 0)
			sent += (unsigned long)n;
	}
	t = now_s() - t0;
	printf("{\"sent\": %lu, \"seconds\": %.3f, \"pps\": %.0f}\n", sent, t,
	    (double)sent / t);
	close(s);
	return 0;
}
