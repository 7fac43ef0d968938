/*
 * netroute.h: the interface and gateway of the default IPv4 route, from
 * /proc/net/route.
 *
 * The daemon captures on that interface when none is configured, and
 * looks again every few seconds (a laptop moves from cable to Wi-Fi);
 * the gateway's address goes to the ARP detector (detectors.h). Of
 * several default routes, the one with the lowest metric wins, the
 * first listed among equals, as the kernel picks them.
 */
#ifndef VIGIL_NETROUTE_H
#define VIGIL_NETROUTE_H

#include <stddef.h>
#include <stdint.h>

#define NETROUTE_IFNAME	16	/* IFNAMSIZ */

struct netroute {
	char		 ifname[NETROUTE_IFNAME];
	uint8_t		 gateway[4];	/* network order */
	int		 has_gateway;	/* 0: a direct route (no gateway) */
};

/* From the text of /proc/net/route: 0 and *out, ERR_NOTFOUND (no
 * default route that is up), ERR_MALFORMED (a line that does not parse:
 * the whole text is refused). */
int	netroute_parse(struct netroute *out, const char *text, size_t len);
/* The same from the file (path NULL: /proc/net/route). ERR_IO too. */
int	netroute_read(struct netroute *out, const char *path);

#endif
