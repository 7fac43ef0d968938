/*
 * ioc.h: indicator lists (rules/ioc/ and the operator's folder).
 *
 * Plain text, one indicator per line: an IPv4 or IPv6 address, a CIDR
 * range, a domain (matches itself and its subdomains), a URL, or a SHA-256
 * file hash (64 hex digits); '#' starts a comment; an optional second
 * field after whitespace is the indicator's note. A bad line is reported
 * with file:line and skipped. The list name is the file name without
 * ".txt"/".list". Lookups are O(1) (addresses, hashes, URLs: hash tables)
 * or O(labels) (domains) or O(log n) (ranges). Read-only once loaded;
 * may be shared by threads.
 */
#ifndef VIGIL_IOC_H
#define VIGIL_IOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

struct iocdb;

struct ioc_hit {
	const char	*list;		/* list (file) name */
	const char	*indicator;	/* as written in the list */
	const char	*note;		/* may be NULL */
	const char	*kind;		/* "ip", "cidr", "domain", "url",
					 * "sha256" */
};

struct ioc_stats {
	uint64_t	 ips, cidrs, domains, urls, hashes, bad_lines;
	uint32_t	 files;
};

/* Load files or folders (their regular files in name order). bad lines
 * are passed to bad (may be NULL) and skipped. ERR_IO, ERR_NOMEM. */
int	iocdb_load(struct iocdb **out, const char *const *paths, size_t n,
	    void (*bad)(void *ctx, const char *file, unsigned line,
	    const char *why), void *ctx, struct ioc_stats *);
void	iocdb_free(struct iocdb *);
bool	ioc_match_addr(const struct iocdb *, const struct naddr *,
	    struct ioc_hit *);
/* name: a DNS name, SNI or Host (case-insensitive, trailing dot ignored) */
bool	ioc_match_domain(const struct iocdb *, const char *name, size_t len,
	    struct ioc_hit *);
/* host and path as in an HTTP request ("example.com", "/a/b?c") */
bool	ioc_match_url(const struct iocdb *, const char *host, size_t hlen,
	    const char *path, size_t plen, struct ioc_hit *);
bool	ioc_match_sha256(const struct iocdb *, const uint8_t digest[32],
	    struct ioc_hit *);

#endif
