/*
 * netsensor.h: the network sensor's pipeline in one object.
 *
 * Frames in (from a live capture or a pcap file: the same path), alerts
 * out: netpipe (decode, flows, streams, application layer) feeds the
 * traffic rules (detect), the indicator lists (iocmatch) and the
 * detectors; each alert reaches the caller as an EVE "alert" object
 * (eve.h), which `vigil-agent pcap` prints and the daemon spools.
 *
 * Rules and lists are loaded once (netsensor_load) and may be shared by
 * several sensors (one per capture thread); a sensor is single-threaded.
 */
#ifndef VIGIL_NETSENSOR_H
#define VIGIL_NETSENSOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "detect.h"
#include "detectors.h"
#include "ioc.h"
#include "netcache.h"
#include "netfiles.h"
#include "netpipe.h"

/* What the sensor loads: rules and lists, and how loading reports. */
struct netsensor_load_opts {
	const char	*const *rules;		/* *.rules files or folders */
	size_t		 nrules;
	const char	*const *iocs;		/* list files or folders */
	size_t		 niocs;
	const char	*const *vars;		/* "NAME=VALUE" */
	size_t		 nvars;
	const char	*cache_dir;		/* compiled rules, or NULL */
};

struct netsensor_rules;		/* the loaded, shareable part */

struct netsensor_load_stats {
	struct ruleset_stats	 rules;
	struct ioc_stats	 iocs;
};

/* Load rules and lists; skipped rules and bad list lines are logged
 * (log_warnx, with file:line) and counted, not errors. ERR_IO when a
 * path cannot be read, ERR_MALFORMED for a bad variable. The compiled
 * rules are read from and saved to o->cache_dir by this process. */
int	netsensor_load(struct netsensor_rules **out,
	    const struct netsensor_load_opts *, struct netsensor_load_stats *);

/*
 * The same in two steps, for a process that reads with privilege and
 * parses without (netchild.c): netsensor_read() reads the files o names
 * into in and names their compiled set (in->key, netcache.h) without
 * parsing a byte of them (o->cache_dir is not used: the caller offers
 * the cache); ERR_IO, ERR_TOOBIG, ERR_NOMEM, logged; clear in either
 * way. netsensor_parse() parses and compiles what was read, the
 * compiled set through cache (NULL: none), with netsensor_load's
 * errors and logs; in's variables are o's: o's strings must outlive it.
 */
struct netsensor_input {
	struct netfiles	 rules, lists;
	int		 has_rules, has_lists;	/* paths were given */
	const char	*const *vars;
	size_t		 nvars;
	char		 key[NETCACHE_KEY_LEN + 1];
};
int	netsensor_read(struct netsensor_input *in,
	    const struct netsensor_load_opts *o);
int	netsensor_parse(struct netsensor_rules **out,
	    const struct netsensor_input *in, const struct netcache_fds *cache,
	    struct netsensor_load_stats *);
void	netsensor_input_clear(struct netsensor_input *);
void	netsensor_rules_free(struct netsensor_rules *);	/* takes NULL */

/* An alert as an EVE object (borrowed: valid during the call). */
typedef void netsensor_alert_fn(void *ctx, const json_t *eve,
    const struct pkt *, const struct net_alert *);

struct netsensor_conf {
	struct netpipe_conf	 pipe;
	struct det_conf		 det;
	uint32_t		 ioc_repeat_s;	/* one alert per indicator and
						 * place per this, default 60 */
	int			 gateway_set;	/* gateway below is known */
	uint8_t			 gateway_ip[4];
	uint8_t			 gateway_mac[6];
	int			 gateway_mac_set;
	/* Each packet once decoded and seen by the consumers, with
	 * netsensor_new's ctx (the capture child's test hook); NULL: none. */
	void			(*packet)(void *ctx, const struct pkt *);
};

void	netsensor_conf_defaults(struct netsensor_conf *);

struct netsensor;

/* rules may be NULL (decoding and the detectors only). ERR_NOMEM,
 * ERR_CONFIG. */
int	netsensor_new(struct netsensor **out, const struct netsensor_conf *,
	    const struct netsensor_rules *rules, netsensor_alert_fn *fn,
	    void *ctx);
void	netsensor_free(struct netsensor *);	/* takes NULL */
void	netsensor_feed(struct netsensor *, int linktype, int64_t ts_us,
	    const uint8_t *frame, uint32_t caplen, uint32_t wirelen);
/* Time passes (capture time): flows and trackers expire. */
void	netsensor_tick(struct netsensor *, int64_t now_us);

struct netsensor_stats {
	struct netpipe_stats	 pipe;
	uint64_t		 alerts;
	uint64_t		 alerts_rules, alerts_ioc, alerts_detectors;
};
void	netsensor_stats(const struct netsensor *, struct netsensor_stats *);

#endif
