/*
 * ioc.h: indicator lists (rules/ioc/ and the operator's folder).
 *
 * Plain text, one indicator per line (rules/ioc/README has the format):
 *  - an IPv4 or IPv6 address; an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 *    is the IPv4 address, in the lists and in lookups;
 *  - a CIDR range of either family (host bits beyond the prefix are
 *    ignored); when ranges and addresses overlap, the most specific entry
 *    wins (an address before a /24 before a /16);
 *  - a domain: matches itself and every name below it (example.com
 *    matches www.example.com, not badexample.com), case-insensitive, a
 *    trailing dot ignored, a leading "*." allowed (the same meaning);
 *    punycode as written, IDNA is not decoded; the most specific listed
 *    domain wins;
 *  - a URL: "http://host/path", "https://host:8443/path?q" or scheme-less
 *    "host/path"; scheme, user name, port and fragment are dropped, the
 *    host is lowercased, the path is compared byte for byte as sent (no
 *    percent-decoding). An entry without a query matches that path with
 *    any query; an entry with a query matches only that query;
 *  - a SHA-256 file hash (64 hex digits, either case).
 * '#' at the start of a line makes it a comment; after the indicator and
 * whitespace comes an optional note (a leading '#' of it is dropped).
 * CRLF line ends and a UTF-8 byte order mark are accepted. A bad line is
 * reported with file:line and skipped; an indicator listed twice is
 * counted and the first one loaded (in path, then line order) kept.
 *
 * The list name is the file name without ".txt"/".list". A folder given
 * loads its regular files named *.txt or *.list (not starting with '.'),
 * in name order; a file given is loaded whatever its name.
 *
 * Lookups: addresses and ranges O(distinct prefix lengths listed) hash
 * probes (at most 33 for IPv4, 129 for IPv6, typically a few); domains
 * O(name length) plus one probe per label; URLs and hashes one or two
 * probes. Read-only once loaded; may be shared by threads.
 *
 * Alerts: the network sensor (iocmatch.h) and the file scanner
 * (scanner.h, SHA-256 entries against every file it reads) raise gid
 * IOC_GID, sid scanner_signature_id(list, where), the signature
 * ioc_signature() writes and the evidence ioc_evidence() builds, where
 * naming the place the value was seen ("src_ip", "file.sha256").
 */
#ifndef VIGIL_IOC_H
#define VIGIL_IOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "packet.h"

#define IOC_GID		3
#define IOC_PRIORITY	1		/* the alerts' severity */

struct iocdb;

struct ioc_hit {
	const char	*list;		/* list (file) name */
	const char	*indicator;	/* as written in the list */
	const char	*note;		/* may be NULL */
	const char	*kind;		/* "ip", "cidr", "domain", "url",
					 * "sha256" */
};

struct ioc_stats {
	uint64_t	 ips, cidrs, domains, urls, hashes;	/* kept */
	uint64_t	 bad_lines, duplicates;
	uint32_t	 files;
};

/* Load files or folders (see above); n may be 0 (an empty database). Bad
 * lines are passed to bad (may be NULL) and skipped; stats may be NULL.
 * ERR_IO (a path cannot be read: logged), ERR_NOMEM, ERR_TOOBIG (over
 * 4 GiB of text, 2^32 - 2 indicators or 65535 lists). *out is NULL on
 * failure. The hits' strings live as long as the database. */
int	iocdb_load(struct iocdb **out, const char *const *paths, size_t n,
	    void (*bad)(void *ctx, const char *file, unsigned line,
	    const char *why), void *ctx, struct ioc_stats *);
/* The same from files read before (netfiles.h), which it parses and
 * nothing else: the capture child's, once it has dropped root. */
struct netfiles;
int	iocdb_load_files(struct iocdb **out, const struct netfiles *,
	    void (*bad)(void *ctx, const char *file, unsigned line,
	    const char *why), void *ctx, struct ioc_stats *);
void	iocdb_free(struct iocdb *);
/* A bad callback for iocdb_load: logs "FILE:LINE: indicator skipped:
 * WHY" (log_warnx). */
void	ioc_log_bad(void *ctx, const char *file, unsigned line,
	    const char *why);
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
/* The distinct SHA-256 entries: their number, and in digest a
 * fingerprint of that set (the XOR of the BLAKE2b-256 of each entry's
 * 32 bytes: the same whatever the lists' order, names or notes, another
 * when an entry is added or removed; all zero for none). What a file's
 * verdict depends on: the scan cache keys on it (scanner.h). The lists
 * are the operator's: the fingerprint tells a changed set from an
 * unchanged one, it is no defence against crafted collisions. O(entries);
 * the caller has called sodium_init(). */
size_t	iocdb_sha256_set(const struct iocdb *, uint8_t digest[32]);

/* An alert's evidence for hit, seen at where on value[0..vlen):
 * {"list","indicator","kind","where","value"}, and "note" when the entry
 * has one; text that is not UTF-8 escaped as text_json() does. A new
 * object, or NULL when out of memory. */
json_t	*ioc_evidence(const struct ioc_hit *, const char *where,
	    const char *value, size_t vlen);
/* An alert's signature: "vigil IOC list LIST: WHERE", cut to fit len. */
void	ioc_signature(char *out, size_t len, const struct ioc_hit *,
	    const char *where);

#endif
