/*
 * detect.h: Suricata-syntax traffic rules (docs/rules.md).
 *
 * A ruleset is loaded from *.rules files; rules outside the supported
 * subset are skipped and reported (file, line, sid, keyword), the rest
 * load. Matching: a Hyperscan multi-pattern prefilter per buffer (each
 * rule's fast_pattern), then verification of the candidate rules only;
 * rules without any content (a few) are checked on every packet of their
 * protocol. The compiled databases are cached (hs_serialize_database),
 * a file per rule set named by a hash of the rule files' bytes and the
 * variables (netcache.h).
 *
 * A loaded ruleset is read-only and may be shared by threads; the matching
 * state (Hyperscan scratch, thresholds) is per struct detect.
 */
#ifndef VIGIL_DETECT_H
#define VIGIL_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcache.h"
#include "netfiles.h"
#include "packet.h"

struct ruleset;
struct detect;

/* One skipped rule, for `vigil-agent rules check` and the daemon's log. */
struct rule_skip {
	const char	*file;
	unsigned	 line;
	uint32_t	 sid;		/* 0 when it could not be read */
	const char	*reason;	/* a short fixed token: "keyword",
					 * "syntax", "duplicate_sid", ... */
	const char	*detail;	/* the keyword, or what was wrong */
};

struct ruleset_opts {
	/* "NAME=VALUE" address and port variables over Suricata's defaults
	 * (HOME_NET, EXTERNAL_NET, HTTP_SERVERS, ..., HTTP_PORTS, ...) */
	const char	*const *vars;
	size_t		 nvars;
	const char	*classification;	/* classification.config path,
						 * or NULL for the built-in */
	const char	*cache_dir;		/* ruleset_load's, NULL: no
						 * cache */
	void		(*skipped)(void *ctx, const struct rule_skip *);
	void		*ctx;
	/* ruleset_load_files': the set's files (netcache.h), NULL: none */
	const struct netcache_fds *cache;
};

struct ruleset_stats {
	uint32_t	 loaded, skipped, files;
	int64_t		 newest;	/* the newest modification time of
					 * the files read, Unix seconds */
	bool		 from_cache;
	double		 load_seconds;
};

/* Load every path (a *.rules file, or a folder: its *.rules files in name
 * order). ERR_IO when a path cannot be read, ERR_MALFORMED for a bad
 * variable; skipped rules are not errors. */
int	ruleset_load(struct ruleset **out, const char *const *paths,
	    size_t npaths, const struct ruleset_opts *,
	    struct ruleset_stats *);
/* The same from files read before (netfiles.h), which is all it reads
 * but the classification file; the compiled set through opts->cache. */
int	ruleset_load_files(struct ruleset **out, const struct netfiles *,
	    const struct ruleset_opts *, struct ruleset_stats *);
/* The name of the compiled set of these files and opts->vars: a hash of
 * their bytes (the paths, the texts, the variables, the engine's
 * version); parses nothing. */
void	ruleset_key(char key[static NETCACHE_KEY_LEN + 1],
	    const struct netfiles *, const struct ruleset_opts *);
void	ruleset_free(struct ruleset *);

typedef void detect_alert_fn(void *ctx, const struct pkt *,
    const struct net_alert *);

struct detect *detect_new(const struct ruleset *, detect_alert_fn *,
	    void *ctx);
void	detect_free(struct detect *);
/* Called for every packet and every transaction netpipe produces. The
 * sticky buffers are inspected in requests only (not in DNS responses),
 * as Suricata's are. */
void	detect_packet(struct detect *, const struct pkt *);
void	detect_txn(struct detect *, const struct pkt *, const struct txn *);

#endif
