/*
 * fuzz_netpipe.c: agent/net/netpipe.c, one small netpipe per input so
 * that flows, fragments and streams carry state from frame to frame.
 *
 * Input: the first byte selects the link type; then frames, each a
 * two-byte big-endian header and that many bytes (cut to what is left).
 * The header's top bit says "an hour later" (timeouts); the next bit
 * "cut by the capture" (wirelen larger than caplen). Small limits (16
 * flows, 4 datagrams, 4 KiB depth, 1 KiB out of order, 64 KiB in all)
 * make eviction and every bound reachable (the stream cap is exceeded by
 * at most each direction's 4 KiB floor). Each packet's stream is
 * checked against its own bounds and read through, so ASan sees it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "netpipe.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int	lts[] = { LT_EN10MB, LT_SLL, LT_SLL2, LT_RAW,
			    LT_RAW12, LT_IPV4, LT_IPV6, LT_NULL, LT_LOOP };

static volatile uint8_t	sink;

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
touch(const uint8_t *p, size_t n)
{
	uint8_t	x = 0;
	size_t	i;

	for (i = 0; i < n; i++)
		x ^= p[i];
	sink = x;
}

static void
on_packet(void *ctx, const struct pkt *p)
{
	check(p->stream_new <= p->stream_len);
	check(p->stream_len <= 4096);
	check((p->stream == NULL) == (p->stream_len == 0));
	check(p->fv == NULL || p->flow_id != 0);
	touch(p->payload, p->payload_len);
	touch(p->stream, p->stream_len);
}

static void
on_txn(void *ctx, const struct pkt *p, const struct txn *t)
{
	int	i;

	check(t->app > APP_NONE && t->app < APP__COUNT);
	for (i = 0; i < NB__COUNT; i++)
		touch(t->buf[i], t->len[i]);
}

static void
on_anomaly(void *ctx, const struct pkt *p, const char *what)
{
	check(what != NULL && *what != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netpipe_conf	 c;
	struct netpipe_cb	 cb = { NULL, on_packet, on_txn, on_anomaly };
	struct netpipe_stats	 st;
	struct netpipe		*np;
	int64_t			 ts = 1700000000LL * 1000000;
	uint16_t		 h;
	size_t			 n;
	int			 lt;

	if (size < 1)
		return 0;
	lt = lts[data[0] % (sizeof(lts) / sizeof(lts[0]))];
	data++;
	size--;
	netpipe_conf_defaults(&c);
	c.flow_max = 16;
	c.frag_max = 4;
	c.stream_depth = 4096;
	c.stream_ooo_max = 1024;
	c.stream_memcap = 64 * 1024;
	c.http_body_depth = 512;
	if ((np = netpipe_new(&c, &cb)) == NULL)
		abort();
	while (size >= 2) {
		h = (uint16_t)(data[0] << 8 | data[1]);
		data += 2;
		size -= 2;
		n = h & 0x3fff;
		if (n > size)
			n = size;
		ts += (h & 0x8000) ? 3600LL * 1000000 : 1000;
		netpipe_feed(np, lt, ts, data, (uint32_t)n,
		    (uint32_t)n + ((h & 0x4000) ? 100 : 0));
		data += n;
		size -= n;
	}
	netpipe_stats(np, &st);
	check(st.flows_active <= 16);
	check(st.stream_bytes <= 64 * 1024 + 16 * 2 * 4096);	/* floors */
	netpipe_free(np);
	return 0;
}
