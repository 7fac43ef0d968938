/*
 * packet.h: what the network sensor's stages hand each other.
 *
 * The path of a packet (docs/architecture.md, "The network sensor"):
 *
 *   capture (libpcap, live or a file)
 *     -> netpipe: decode (link, IP, fragments, TCP/UDP/ICMP, ARP),
 *        the flow table (TCP state, in-order reassembly per direction),
 *        the application parsers (DNS, TLS ClientHello, HTTP/1.x requests)
 *     -> struct pkt for every decoded packet, struct txn for every
 *        application-layer transaction (a DNS message, a ClientHello, an
 *        HTTP request once its headers, and body up to the depth, are in)
 *     -> the consumers: detect (the Suricata-syntax rules), ioc (the
 *        indicator lists), the detectors (scans, brute force, tunnels, ARP)
 *     -> struct net_alert -> eve (EVE JSON) -> the spool.
 *
 * Everything a struct pkt or struct txn points to is valid only during the
 * callback that receives it: consumers copy what they keep.
 */
#ifndef VIGIL_PACKET_H
#define VIGIL_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 address. IPv4 is stored in a[0..3], the rest zero. */
struct naddr {
	uint8_t	 family;	/* 4 or 6, 0 none */
	uint8_t	 a[16];
};

enum app_proto {
	APP_NONE = 0,	/* not (yet) known */
	APP_DNS,
	APP_TLS,
	APP_HTTP,
	APP_SMB,	/* recognised, not parsed */
	APP_SSH,	/* recognised, not parsed */
	APP_FAILED,	/* tried and gave up: nothing to parse */
	APP__COUNT
};

/* Direction of a packet in its flow. The client is the side that sent
 * the first SYN (or, for UDP and flows picked up midway, the first packet
 * seen; a well-known server port on one side overrides that). */
enum { DIR_TO_SERVER = 0, DIR_TO_CLIENT = 1 };

/* TCP flow states as rules see them (flow:established etc.). */
enum flow_state {
	FLOW_NEW = 0,		/* SYN seen, or a UDP flow's first packet */
	FLOW_ESTABLISHED,	/* TCP: three-way handshake completed (or
				 * picked up midway with data both ways);
				 * UDP: packets seen in both directions */
	FLOW_CLOSED,		/* a FIN, or a RST accepted (flow.h) */
};

/* Per-flow variables owned by the detection engine (flowbits). The flow
 * table zeroes this when it creates a flow and calls free(bits) when it
 * drops one. */
struct flowvars {
	uint64_t	*bits;
	uint32_t	 nwords;
};

struct arp_info {
	uint16_t	 op;		/* 1 request, 2 reply */
	uint8_t		 sha[6], spa[4], tha[6], tpa[4];
};

struct pkt {
	int64_t		 ts_us;		/* capture time, Unix microseconds */
	uint32_t	 caplen, wirelen;

	/* link layer: Ethernet addresses when the link has them */
	bool		 has_eth;
	uint8_t		 eth_src[6], eth_dst[6];
	uint16_t	 vlan[2];
	uint8_t		 nvlan;
	bool		 is_arp;	/* then arp is set and nothing below */
	struct arp_info	 arp;

	/* network layer */
	uint8_t		 ipver;		/* 4, 6, or 0: not IP */
	struct naddr	 src, dst;
	uint8_t		 proto;		/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, ... */
	uint8_t		 ttl;		/* hop limit for IPv6 */
	bool		 reassembled;	/* rebuilt from fragments */

	/* transport layer */
	uint16_t	 sport, dport;	/* 0 when the protocol has none */
	uint8_t		 tcp_flags;	/* TH_FIN 0x01 SYN 0x02 RST 0x04 PUSH
					 * 0x08 ACK 0x10 URG 0x20 ECE CWR */
	uint32_t	 tcp_seq, tcp_ack;
	uint16_t	 tcp_win;
	uint8_t		 icmp_type, icmp_code;

	/* this packet's transport payload (TCP/UDP data, ICMP body) */
	const uint8_t	*payload;
	size_t		 payload_len;

	/* set by the flow table for TCP and UDP (and ICMP: flow NULL) */
	uint64_t	 flow_id;	/* nonzero; as in EVE "flow_id" */
	uint8_t		 dir;		/* DIR_TO_SERVER or DIR_TO_CLIENT */
	uint8_t		 flow_state;	/* enum flow_state */
	uint8_t		 app;		/* enum app_proto of the flow */
	struct flowvars	*fv;		/* NULL for packets without a flow */
	/* TCP: this direction's in-order reassembled data so far, up to the
	 * configured depth (stream_len < depth), for as long as an
	 * application parser may read it (netpipe.c, stream_wanted: never
	 * a download's server side, nothing once the parser is done); NULL
	 * when not TCP, not reassembled, or nothing is in order yet.
	 * stream_new is how many of its last bytes this packet added (0 for
	 * out-of-order or duplicate segments). */
	const uint8_t	*stream;
	size_t		 stream_len, stream_new;
};

/* Application-layer buffers, the sticky buffers of the rule language.
 * Each is a byte range; NULL/0 when the transaction has none. HTTP header
 * buffers follow Suricata: http.header is the normalised headers
 * ("Name: value\r\n" each, without the request line, without Cookie),
 * http.header_names is "\r\nName1\r\nName2\r\n\r\n", http.uri is the
 * normalised (percent-decoded path, as Suricata's) URI, http.uri.raw the
 * URI as sent. */
enum nbuf {
	NB_DNS_QUERY = 0,	/* dns.query: the first question's name,
				 * dotted, no trailing dot */
	NB_TLS_SNI,
	NB_HTTP_URI,
	NB_HTTP_URI_RAW,
	NB_HTTP_METHOD,
	NB_HTTP_HOST,		/* lowercased host without port */
	NB_HTTP_HOST_RAW,
	NB_HTTP_USER_AGENT,
	NB_HTTP_HEADER,
	NB_HTTP_HEADER_NAMES,
	NB_HTTP_COOKIE,
	NB_HTTP_CONTENT_TYPE,
	NB_HTTP_REQUEST_LINE,	/* "GET /x HTTP/1.1", no CRLF */
	NB_HTTP_REQUEST_BODY,	/* up to the configured depth */
	NB_HTTP_PROTOCOL,	/* "HTTP/1.1" */
	NB__COUNT
};

struct dns_answer {
	const char	*rrname;
	uint16_t	 rrtype;
	const char	*rdata;		/* textual: an address, a name, TXT
					 * data (printable or escaped) */
	uint32_t	 ttl;
};

#define TXN_DNS_MAX_ANSWERS	16

struct txn {
	uint8_t		 app;		/* enum app_proto */
	uint8_t		 dir;		/* direction of the message */
	uint64_t	 tx_id;		/* per flow, from 0 */
	const uint8_t	*buf[NB__COUNT];
	size_t		 len[NB__COUNT];

	/* context for EVE output and the detectors */
	struct {
		uint16_t	 id;
		bool		 response;
		uint16_t	 rcode;
		uint16_t	 qtype;
		const char	*rrname;	/* the first question, NUL-ended */
		struct dns_answer answers[TXN_DNS_MAX_ANSWERS];
		uint8_t		 nanswers;
		bool		 truncated;	/* more answers than kept */
	} dns;
	struct {
		const char	*sni;		/* NUL-ended or NULL */
		uint16_t	 version;	/* legacy_version, e.g. 0x0303 */
		char		 ja3[33];	/* MD5 hex of the JA3 string */
		const char	*ja3_string;
		char		 ja4[40];	/* "t13d1516h2_8daaf6152771_e5627efa2ab1" */
	} tls;
	struct {
		uint16_t	 status;	/* 0: request only */
		uint64_t	 content_length;	/* declared, 0 if none */
	} http;
};

/* What a consumer raises. Strings are borrowed for the call. */
struct net_alert {
	const char	*action;	/* "alert" (rules: as written) */
	uint32_t	 gid, sid, rev;
	const char	*msg;		/* signature */
	const char	*classtype;	/* category text, may be NULL */
	int		 priority;	/* 1 (highest) .. 4 */
	const char	*metadata;	/* rules: the metadata keyword's JSON
					 * object text ({"key":["v",...]}), or
					 * NULL */
	const char	*evidence;	/* ioc, detectors: a JSON object text
					 * ({"list":..,"indicator":..} or
					 * {"count":..,"window":..,...}),
					 * or NULL */
	const struct txn *txn;		/* the transaction matched, or NULL
					 * for packet matches */
};

#endif
