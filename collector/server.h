/*
 * server.h: the collector's network side: accepts agents, runs the
 * handshake, decrypts their streams and feeds the writer thread.
 *
 * One event loop (libevent) serves every connection; nothing on it waits
 * for a disk flush except the handshake's registry update. A connection
 * that misbehaves in any way (bad record, bad MAC, unknown or revoked
 * key, replayed handshake, silence past a timeout) is closed with one log
 * line naming the peer and the reason; the others are not affected.
 */
#ifndef VIGIL_SERVER_H
#define VIGIL_SERVER_H

#include <event2/event.h>

#include "config.h"
#include "keys.h"

struct server;

/* dbpath: the store; the server opens its own handles. Keys are copied. */
int	server_new(struct server **out, struct event_base *,
	    const struct collector_config *, const char *dbpath,
	    const uint8_t pub[static KEY_LEN], const uint8_t priv[static KEY_LEN]);
/* "ADDR:PORT" or "[V6]:PORT" into a socket address; port 0 allowed.
 * ERR_CONFIG. */
struct sockaddr_storage;
int	server_parse_listen(struct sockaddr_storage *, int *len, const char *);
/* Bind and listen on cfg->listen. The bound address (with the real port
 * when port 0 was asked) is written to addr. ERR_IO. */
int	server_listen(struct server *, char *addr, size_t addrlen);
/* Apply a reloaded configuration (timeouts, limits). */
void	server_reconfigure(struct server *, const struct collector_config *);
/* Close every connection and wait for the writer to finish. Takes NULL. */
void	server_free(struct server *);

#endif
