/*
 * http.h: HTTP/1.x requests, as the rule language's http.* buffers see
 * them (Suricata's normalisation).
 */
#ifndef VIGIL_HTTP_H
#define VIGIL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "packet.h"

/* Limits: the request line and headers together (longer: ERR_MALFORMED),
 * the headers kept (libhtp's default; more are read and dropped), and
 * how many repetitions of a header are merged into its first one. */
#define HTTP_HEAD_MAX		(64 * 1024)
#define HTTP_MAX_HEADERS	1024
#define HTTP_MAX_REPEATS	64
/* Scratch one request may need at most: its header table, the
 * normalised URI, http.header, http.header_names, merged values, the
 * lowercased host and the de-chunked body up to the depth. */
#define HTTP_SCRATCH_NEED(depth) \
	(HTTP_MAX_HEADERS * 64 + 6 * HTTP_HEAD_MAX + (size_t)(depth) + 256)

/* p: the client's stream from the start of a request. Fills t->app,
 * t->http and the NB_HTTP_* buffers; the body is taken up to
 * min(Content-Length, body_depth) bytes (chunked bodies are de-chunked up
 * to body_depth). *consumed: bytes of p the request used (headers and the
 * whole declared body), so the caller can go on to the next request
 * (pipelining); when the body is longer than what p holds, *consumed is
 * still the full length and the caller skips the rest as it arrives.
 * ERR_AGAIN: the headers (or the body up to the depth) are not all there
 * yet and final is false; with final true (the stream ended or the depth
 * was reached) what is there is parsed. ERR_MALFORMED: not a request. */
int	http_parse_request(const uint8_t *p, size_t len, uint32_t body_depth,
	    bool final, struct txn *t, struct scratch *s, size_t *consumed);
/* A request line start ("GET ", "POST ", ... and a known method) at p. */
bool	http_probe(const uint8_t *p, size_t len);

#endif
