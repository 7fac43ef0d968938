/*
 * pcap_cmd.h: `vigil-agent pcap`: the network sensor over pcap files.
 */
#ifndef VIGIL_PCAP_CMD_H
#define VIGIL_PCAP_CMD_H

#include <stddef.h>

/* The rules and lists the daemon would use, taken when no --rules
 * (--ioc) is given; cache_dir for compiled rules, or NULL. */
struct pcap_cmd_defaults {
	const char	*const *rules;
	size_t		 nrules;
	const char	*const *iocs;
	size_t		 niocs;
	const char	*const *vars;	/* from the configuration */
	size_t		 nvars;
	const char	*cache_dir;
};

/* argv[0] is "pcap". The exit status: 0, 1 error, 2 usage. */
int	pcap_cmd_run(int argc, char **argv, const struct pcap_cmd_defaults *);

#endif
