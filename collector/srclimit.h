/*
 * srclimit.h: what one source address may do before it has proved who it
 * is: how many connections it may hold open before their handshake, and
 * how many handshakes (the expensive Diffie-Hellman work) it may start
 * per second.
 *
 * An address is an IPv4 address (an IPv4-mapped IPv6 address counts as
 * IPv4) or an IPv6 /64 network: one host gets a whole /64 as easily as
 * one address. The table is bounded: it holds at most `capacity`
 * addresses, each while it has a connection open or until its handshake
 * allowance has refilled; when it is full, a new address is refused
 * (ERR_FULL) rather than another one forgotten. Its hash is keyed with a
 * random secret, so an attacker cannot choose addresses that collide.
 *
 * Handshakes: a token bucket per address, `rate` per second, holding at
 * most `burst`. Times are monotonic milliseconds given by the caller.
 * Event-loop thread only.
 */
#ifndef VIGIL_SRCLIMIT_H
#define VIGIL_SRCLIMIT_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct srclimit;

struct srclimit_conf {
	int	conns;		/* open pre-handshake connections, >= 1 */
	int	rate;		/* handshakes per second, >= 1 */
	int	burst;		/* bucket size, >= 1 */
};

/* The address part that is limited: 16 bytes, IPv4 as ::ffff:a.b.c.d,
 * IPv6 cut to its /64. */
struct srclimit_key {
	uint8_t	b[16];
};

/* capacity: most addresses tracked at once (rounded up to a power of two,
 * at least 16). ERR_NOMEM, ERR_USAGE for a bad conf. */
int	srclimit_new(struct srclimit **out, size_t capacity,
	    const struct srclimit_conf *);
/* New limits; open counts and buckets are kept. ERR_USAGE. */
int	srclimit_set(struct srclimit *, const struct srclimit_conf *);
void	srclimit_free(struct srclimit *);

/* The key of an AF_INET or AF_INET6 address; ERR_USAGE for others. */
int	srclimit_key(struct srclimit_key *, const struct sockaddr *);

/* A connection from k opens: 0, ERR_TOOBIG if k already holds `conns`,
 * ERR_FULL if the table has no room for a new address. */
int	srclimit_open(struct srclimit *, const struct srclimit_key *,
	    int64_t now_ms);
/* That connection has finished its handshake or closed. Exactly once per
 * successful srclimit_open. */
void	srclimit_close(struct srclimit *, const struct srclimit_key *,
	    int64_t now_ms);
/* k wants to start a handshake: 0, or ERR_AGAIN (over its rate). An
 * address with no connection open has no entry: ERR_USAGE. */
int	srclimit_handshake(struct srclimit *, const struct srclimit_key *,
	    int64_t now_ms);
/* Forget addresses with nothing open and a full bucket. O(capacity);
 * about once a second. */
void	srclimit_gc(struct srclimit *, int64_t now_ms);
/* Addresses tracked; open pre-handshake connections from k. */
size_t	srclimit_count(const struct srclimit *);
int	srclimit_conns(const struct srclimit *, const struct srclimit_key *);

#endif
