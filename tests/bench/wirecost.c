/*
 * wirecost.c: bytes on the wire per event, against the JSON line itself.
 *
 *   bench_wirecost [EVENTS] [BATCH]
 *
 * Generates EVENTS (default 100,000) varied EVE events with a fixed seed:
 * network alerts (addresses, ports, one of 40 signatures), file events
 * (paths, sizes, random SHA-256 digests, which do not compress) and
 * heartbeat-sized agent_health events, in the proportions 40/50/10. Then
 * encodes them exactly as the agent does (wire_events_encode in batches of
 * BATCH, default 1,000, sealed by chan_seal into DATA records) with
 * compression off and on, and prints bytes per event beside the mean
 * length of the JSON line (with its newline), as an EVE file would hold it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "event.h"
#include "wire.h"

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static json_t *
make_event(uint64_t i)
{
	static const char *const dirs[] = { "/home/ketoan/Downloads",
	    "/home/vanthu/Desktop", "/tmp", "/media/usb0", "/home/chutich/Tài liệu" };
	static const char *const exts[] = { "docx", "xlsx", "pdf", "exe", "zip",
	    "js", "php" };
	char		 buf[256], hex[65];
	uint8_t		 h[32];
	json_t		*ev;
	uint32_t	 k = rnd(100);

	if (k < 40) {
		ev = event_build("alert");
		snprintf(buf, sizeof(buf), "10.%u.%u.%u", rnd(4), rnd(256), rnd(256));
		json_object_set_new(ev, "src_ip", json_string(buf));
		json_object_set_new(ev, "src_port", json_integer(1024 + rnd(60000)));
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", 1 + rnd(223), rnd(256),
		    rnd(256), rnd(256));
		json_object_set_new(ev, "dest_ip", json_string(buf));
		json_object_set_new(ev, "dest_port", json_integer(rnd(2) ? 443 : 80));
		json_object_set_new(ev, "proto", json_string("TCP"));
		uint32_t sig = rnd(40);
		snprintf(buf, sizeof(buf), "VIGIL policy rule %u: suspicious "
		    "outbound connection", sig);
		json_object_set_new(ev, "alert", json_pack("{s:s, s:i, s:i, s:i, "
		    "s:s, s:s, s:i}", "action", "allowed", "gid", 1,
		    "signature_id", 9100000 + sig, "rev", 1, "signature", buf,
		    "category", "Potentially Bad Traffic", "severity", 1 + sig % 3));
	} else if (k < 90) {
		ev = event_build("file");
		snprintf(buf, sizeof(buf), "%s/file-%llu.%s", dirs[rnd(5)],
		    (unsigned long long)i, exts[rnd(7)]);
		for (size_t j = 0; j < sizeof(h); j++)
			h[j] = (uint8_t)rnd(256);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		json_object_set_new(ev, "file", json_pack("{s:s, s:I, s:s, s:s, "
		    "s:s}", "path", buf, "size", (json_int_t)rnd(50000000),
		    "sha256", hex, "owner", "ketoan", "action", "close_write"));
	} else {
		ev = event_build("agent_health");
		json_object_set_new(ev, "agent_health", json_pack("{s:s, s:i, "
		    "s:i}", "state", "spool", "depth", rnd(100000), "dropped", 0));
	}
	return ev;
}

int
main(int argc, char **argv)
{
	size_t			 n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t			 batch = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	struct wire_event	*evs;
	struct wbuf		 msg, out;
	struct chan		*ch;
	uint8_t			 key[32], hdr[WIRE_STREAM_HDR_LEN];
	size_t			 i, j, json = 0, wire[2] = { 0, 0 };
	int			 compress;

	if (sodium_init() < 0 || n == 0 || batch == 0 ||
	    batch > WIRE_MAX_BATCH_EVENTS)
		return 2;
	if ((evs = calloc(n, sizeof(*evs))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		json_t *ev = make_event(i);

		evs[i].seq = i + 1;
		evs[i].json = event_dump(ev, &evs[i].len);
		json_decref(ev);
		if (evs[i].json == NULL)
			return 1;
		json += evs[i].len + 1;		/* the newline of an EVE line */
	}
	randombytes_buf(key, sizeof(key));
	for (compress = 0; compress <= 1; compress++) {
		if (chan_new(&ch, key, key, hdr) != 0)
			return 1;
		wire[compress] = WIRE_HDR_LEN + WIRE_STREAM_HDR_LEN;
		for (i = 0; i < n; i += batch) {
			j = n - i < batch ? n - i : batch;
			wbuf_init(&msg, 0);
			wbuf_init(&out, 0);
			if (wire_events_encode(&msg, evs + i, j, compress) != 0 ||
			    chan_seal(ch, &out, msg.p, msg.len) != 0)
				return 1;
			wire[compress] += out.len;
			wbuf_free(&msg);
			wbuf_free(&out);
		}
		chan_free(ch);
	}
	printf("%zu events, batches of %zu: JSON line %.1f bytes/event; "
	    "on the wire %.1f bytes/event uncompressed (%.2fx), %.1f "
	    "compressed (%.2fx)\n", n, batch, (double)json / n,
	    (double)wire[0] / n, (double)wire[0] / json, (double)wire[1] / n,
	    (double)wire[1] / json);
	printf("{\"events\":%zu,\"batch\":%zu,\"json_bytes_per_event\":%.1f,"
	    "\"wire_bytes_per_event\":%.1f,\"wire_zstd_bytes_per_event\":%.1f}\n",
	    n, batch, (double)json / n, (double)wire[0] / n, (double)wire[1] / n);
	for (i = 0; i < n; i++)
		free((void *)evs[i].json);
	free(evs);
	return 0;
}
