#!/usr/bin/env bash
# `vigil-agent pcap` and `vigil-agent rules check` from the command line,
# on capture files written by tests/tools/vigil-netgen (defrules_samples.h
# and a small capture described in vigil-netgen.c):
#  - the shipped rules load without a skip; each fires exactly once on
#    its sample, the detectors on theirs, nothing on the benign capture;
#  - eve.pcap's alerts, EVE JSON compared field by field with the
#    objects written out below (flow_id: the same within a flow, different
#    between flows; JA3 and JA4 computed here from the ClientHello's
#    fields), and as fast.log lines; the pcapng copy gives the same;
#  - --var HOME_NET changes which rules fire, --rules replaces the
#    shipped rules, --ioc adds a list;
#  - exit statuses: 2 usage, 1 unreadable or corrupt file, 0 otherwise;
#    rules check: 0, 3 with the skip named (file:line, sid, keyword),
#    --json counts, 1 for a missing path.
. "$(dirname "$0")/lib.sh"

NETGEN=$BIN/tests/vigil-netgen
RULES=$SRC/rules/traffic
CAP=$T/cap
mkdir -p "$CAP"
"$NETGEN" "$CAP" || exit 1
pcap() { "$AGENT" pcap "$@" 2>>"$T/pcap.err"; }

# 1. The shipped rules: all load; one alert each on their samples.
"$AGENT" rules check "$RULES" >"$T/check.txt" 2>&1
RC=$?
NRULES=$(cat "$RULES"/*.rules | grep -c '^alert ')
check "rules check on the shipped rules exits 0" [ "$RC" -eq 0 ]
check "rules check: $NRULES rules loaded, 0 skipped" \
	grep -q "files: $NRULES rules loaded, 0 skipped\$" "$T/check.txt"
# the sids of the rule files, one per line, sorted
sed -n 's/^alert .*; sid:\([0-9]*\);.*/1:\1/p' "$RULES"/*.rules | sort >"$T/sids.want"
sids() { python3 -c '
import json, sys
for line in sys.stdin:
    a = json.loads(line)["alert"]
    print("%d:%d" % (a["gid"], a["signature_id"]))' | sort; }
pcap --json "$CAP/hits.pcap" >"$T/hits.json"
RC=$?
sids <"$T/hits.json" >"$T/sids.got"
check "hits.pcap: exit 0" [ "$RC" -eq 0 ]
check "hits.pcap: each of the $NRULES shipped rules alerts once, nothing else" \
	cmp -s "$T/sids.want" "$T/sids.got"
cmp -s "$T/sids.want" "$T/sids.got" || diff "$T/sids.want" "$T/sids.got" | head
pcap --json "$CAP/benign.pcap" >"$T/benign.json"
RC=$?
check "benign.pcap: exit 0 and no alert" [ "$RC" -eq 0 ] && [ ! -s "$T/benign.json" ]
# ARP spoofing (sid 9) needs the gateway, which the pcap command is
# not told: its sample goes unnoticed here (test_defrules has it)
pcap --json "$CAP/detectors.pcap" | sids >"$T/det.got"
printf '4:%d\n' 1 2 3 4 5 6 7 8 | sort >"$T/det.want"
check "detectors.pcap: each detector but ARP alerts once (gid 4, sids 1-8)" \
	cmp -s "$T/det.want" "$T/det.got"
cmp -s "$T/det.want" "$T/det.got" || diff "$T/det.want" "$T/det.got"

# 2. eve.pcap field by field. "flow_id": a label, the same for the
# alerts of one flow; "JA3"/"JA4": filled in by compare.py.
cat >"$T/expected.json" <<'EOF'
{"timestamp":"2025-12-03T12:00:01.001000+0000","event_type":"alert","src_ip":"192.168.1.30","src_port":49153,"dest_ip":"192.168.1.1","dest_port":53,"proto":"UDP","flow_id":"F1","direction":"to_server","app_proto":"dns","alert":{"action":"allowed","gid":1,"signature_id":9100301,"rev":1,"signature":"VIGIL DNS lookup of a DuckDNS dynamic DNS name","category":"Potential Corporate Privacy Violation","severity":3,"metadata":{"created_at":["2026_12_03"],"vigil_group":["dyndns"]}},"dns":{"query":[{"type":"query","id":49153,"rrname":"myrat2024.duckdns.org","rrtype":"A","tx_id":0}]}}
{"timestamp":"2025-12-03T12:00:02.004000+0000","event_type":"alert","src_ip":"192.168.1.30","src_port":49154,"dest_ip":"203.0.113.66","dest_port":80,"proto":"TCP","flow_id":"F2","direction":"to_server","app_proto":"http","alert":{"action":"allowed","gid":1,"signature_id":9100205,"rev":1,"signature":"VIGIL DOWNLOAD program or script from a bare IP address","category":"Potentially Bad Traffic","severity":2,"metadata":{"created_at":["2026_12_03"],"vigil_group":["download"]}},"http":{"hostname":"203.0.113.66","url":"/files/invoice.exe","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","http_method":"GET","protocol":"HTTP/1.1","length":0}}
{"timestamp":"2025-12-03T12:00:03.004000+0000","event_type":"alert","src_ip":"198.51.100.20","src_port":49155,"dest_ip":"192.168.1.80","dest_port":80,"proto":"TCP","flow_id":"F3","direction":"to_server","app_proto":"http","alert":{"action":"allowed","gid":1,"signature_id":9100109,"rev":1,"signature":"VIGIL WEB SQL injection UNION SELECT in the URI","category":"Web Application Attack","severity":1,"metadata":{"created_at":["2026_12_03"],"vigil_group":["sqli"]}},"http":{"hostname":"192.168.1.80","url":"/news.php?id=1+UNION+SELECT+1,2--","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","http_method":"GET","protocol":"HTTP/1.1","length":0}}
{"timestamp":"2025-12-03T12:00:03.004000+0000","event_type":"alert","src_ip":"198.51.100.20","src_port":49155,"dest_ip":"192.168.1.80","dest_port":80,"proto":"TCP","flow_id":"F3","direction":"to_server","app_proto":"http","alert":{"action":"allowed","gid":1,"signature_id":9100112,"rev":1,"signature":"VIGIL WEB Log4Shell ${jndi: in an HTTP header","category":"Web Application Attack","severity":1,"metadata":{"created_at":["2026_12_03"],"vigil_group":["log4shell"]}},"http":{"hostname":"192.168.1.80","url":"/news.php?id=1+UNION+SELECT+1,2--","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","http_method":"GET","protocol":"HTTP/1.1","length":0}}
{"timestamp":"2025-12-03T12:00:04.004000+0000","event_type":"alert","src_ip":"198.51.100.20","src_port":49156,"dest_ip":"192.168.1.30","dest_port":3389,"proto":"TCP","flow_id":"F4","direction":"to_server","alert":{"action":"allowed","gid":1,"signature_id":9100004,"rev":1,"signature":"VIGIL POLICY Remote Desktop connection request from outside the office network","category":"Potentially Bad Traffic","severity":2,"metadata":{"created_at":["2026_12_03"],"vigil_group":["exposure"]}}}
{"timestamp":"2025-12-03T12:00:07.030000+0000","event_type":"alert","src_ip":"192.168.1.31","dest_ip":"192.168.1.5","proto":"TCP","alert":{"action":"allowed","gid":4,"signature_id":1,"rev":1,"signature":"vigil port scan: many ports of one host","category":"Attempted Information Leak","severity":2},"evidence":{"count":15,"window":300,"proto":"tcp","host":"192.168.1.5","ports":[1000,1007,1014,1021,1028,1035,1042,1049]}}
EOF
# the TLS alert of --rules tls.rules, and the SMB alert with HOME_NET=10/8
cat >"$T/expected-tls.json" <<'EOF'
{"timestamp":"2025-12-03T12:00:05.004000+0000","event_type":"alert","src_ip":"192.168.1.30","src_port":49157,"dest_ip":"203.0.113.99","dest_port":443,"proto":"TCP","flow_id":"F5","direction":"to_server","app_proto":"tls","alert":{"action":"allowed","gid":1,"signature_id":1000001,"rev":3,"signature":"test: evil SNI","category":"A Network Trojan was detected","severity":1,"metadata":{"created_at":["2026_01_01"],"tag":["a","b"]}},"tls":{"sni":"www.evil.example","version":"TLS 1.2","ja3":{"hash":"JA3","string":"JA3"},"ja4":"JA4"}}
EOF
cat >"$T/expected-home.json" <<'EOF'
{"timestamp":"2025-12-03T12:00:06.004000+0000","event_type":"alert","src_ip":"192.168.1.31","src_port":49158,"dest_ip":"10.1.2.3","dest_port":445,"proto":"TCP","flow_id":"F6","direction":"to_server","app_proto":"smb","alert":{"action":"allowed","gid":1,"signature_id":9100001,"rev":1,"signature":"VIGIL POLICY SMB session from outside the office network","category":"Potentially Bad Traffic","severity":2,"metadata":{"created_at":["2026_12_03"],"vigil_group":["exposure"]}}}
EOF
cat >"$T/compare.py" <<'EOF'
# compare.py EXPECTED ACTUAL: the same alerts, field by field, in order.
import hashlib, json, sys

# netgen.h's ClientHello: legacy version 1.2, these suites, extensions
# server_name, supported_groups, ec_point_formats, signature_algorithms,
# ALPN (h2, http/1.1), supported_versions (1.3, 1.2)
SUITES = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
          0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
EXTS = [0x0000, 0x000a, 0x000b, 0x000d, 0x0010, 0x002b]
GROUPS, POINTS, SIGALGS = [29, 23, 24], [0], [0x0403, 0x0804, 0x0401, 0x0503]

def dec(xs):
    return "-".join(str(x) for x in xs)

JA3 = "771,%s,%s,%s,%s" % (dec(SUITES), dec(EXTS), dec(GROUPS), dec(POINTS))
def h12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12]
JA4 = "t13d%02d%02dh2_%s_%s" % (len(SUITES), len(EXTS),
    h12(",".join("%04x" % x for x in sorted(SUITES))),
    h12(",".join("%04x" % x for x in sorted(e for e in EXTS
        if e not in (0, 0x10))) + "_" +
        ",".join("%04x" % x for x in SIGALGS)))

def fill(o):
    if isinstance(o, dict):
        return {k: fill(v) for k, v in o.items()}
    if o == "JA3":
        return None
    if o == "JA4":
        return JA4
    return o

def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

want, got = load(sys.argv[1]), load(sys.argv[2])
bad = 0
if len(want) != len(got):
    print("want %d alerts, got %d" % (len(want), len(got)))
    bad = 1
labels, ids = {}, {}
for i, (w, g) in enumerate(zip(want, got)):
    w = fill(w)
    if "tls" in w:
        w["tls"]["ja3"] = {"hash": hashlib.md5(JA3.encode()).hexdigest(),
                           "string": JA3}
    for k in sorted(set(w) | set(g)):
        if k not in w or k not in g:
            print("alert %d: %s only in %s" % (i, k,
                  "expected" if k in w else "output"))
            bad = 1
        elif k == "flow_id":
            # a label stands for one flow_id and the other way round
            if labels.setdefault(w[k], g[k]) != g[k] or \
               ids.setdefault(g[k], w[k]) != w[k]:
                print("alert %d: flow_id %s breaks flow %s" % (i, g[k], w[k]))
                bad = 1
        elif w[k] != g[k]:
            print("alert %d: %s: want %s, got %s" % (i, k,
                  json.dumps(w[k]), json.dumps(g[k])))
            bad = 1
sys.exit(bad)
EOF
compare() { python3 "$T/compare.py" "$@"; }
pcap --json "$CAP/eve.pcap" >"$T/eve.json"
RC=$?
check "eve.pcap: exit 0" [ "$RC" -eq 0 ]
check "eve.pcap: the EVE alerts, field by field" compare "$T/expected.json" "$T/eve.json"
pcap --json "$CAP/eve.pcapng" >"$T/evng.json"
check "eve.pcapng: the same alerts" compare "$T/expected.json" "$T/evng.json"
cat >"$T/expected.fast" <<'EOF'
12/03/2025-12:00:01.001000  [**] [1:9100301:1] VIGIL DNS lookup of a DuckDNS dynamic DNS name [**] [Classification: Potential Corporate Privacy Violation] [Priority: 3] {UDP} 192.168.1.30:49153 -> 192.168.1.1:53
12/03/2025-12:00:02.004000  [**] [1:9100205:1] VIGIL DOWNLOAD program or script from a bare IP address [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 192.168.1.30:49154 -> 203.0.113.66:80
12/03/2025-12:00:03.004000  [**] [1:9100109:1] VIGIL WEB SQL injection UNION SELECT in the URI [**] [Classification: Web Application Attack] [Priority: 1] {TCP} 198.51.100.20:49155 -> 192.168.1.80:80
12/03/2025-12:00:03.004000  [**] [1:9100112:1] VIGIL WEB Log4Shell ${jndi: in an HTTP header [**] [Classification: Web Application Attack] [Priority: 1] {TCP} 198.51.100.20:49155 -> 192.168.1.80:80
12/03/2025-12:00:04.004000  [**] [1:9100004:1] VIGIL POLICY Remote Desktop connection request from outside the office network [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 198.51.100.20:49156 -> 192.168.1.30:3389
12/03/2025-12:00:07.030000  [**] [4:1:1] vigil port scan: many ports of one host [**] [Classification: Attempted Information Leak] [Priority: 2] {TCP} 192.168.1.31 -> 192.168.1.5
EOF
pcap "$CAP/eve.pcapng" >"$T/eve.fast"
check "fast.log lines as expected (pcapng input)" cmp -s "$T/expected.fast" "$T/eve.fast"
cmp -s "$T/expected.fast" "$T/eve.fast" || diff "$T/expected.fast" "$T/eve.fast"

# 3. Options that change what fires.
pcap --json --var 'HOME_NET=[10.0.0.0/8]' "$CAP/eve.pcap" |
	grep -v '"gid":4,' >"$T/home.json"
check "--var HOME_NET=[10.0.0.0/8]: only the SMB session from 192.168.1.31 alerts" \
	compare "$T/expected-home.json" "$T/home.json"
printf '# a test rule\nalert tls $HOME_NET any -> any any (msg:"test: evil SNI"; tls.sni; content:"evil.example"; endswith; classtype:trojan-activity; sid:1000001; rev:3; metadata:created_at 2026_01_01, tag a, tag b;)\n' \
	>"$T/tls.rules"
pcap --json --rules "$T/tls.rules" "$CAP/eve.pcap" | grep -v '"gid":4,' >"$T/tls.json"
check "--rules FILE replaces the shipped rules (the TLS alert alone, JA3 and JA4 as computed here)" \
	compare "$T/expected-tls.json" "$T/tls.json"
printf '# test list\nmyrat2024.duckdns.org  # test entry\n' >"$T/cli.list"
pcap --json --rules "$T/tls.rules" --ioc "$T/cli.list" "$CAP/eve.pcap" >"$T/ioc.json"
check "--ioc FILE: the listed name alerts (gid 3, list cli, dns.query, the note)" \
	python3 -c '
import hashlib, json, sys
sid = int.from_bytes(hashlib.blake2b(b"cli\0dns.query", digest_size=16).digest()[:4], "big") & 0x7fffffff
hits = [a for a in map(json.loads, open(sys.argv[1])) if a["alert"]["gid"] == 3]
assert hits, "no list alert"
for a in hits:
    assert a["alert"]["signature_id"] == sid, (a["alert"], sid)
    assert a["alert"]["signature"] == "vigil IOC list cli: dns.query"
    assert a["evidence"] == {"list": "cli", "indicator": "myrat2024.duckdns.org",
        "kind": "domain", "where": "dns.query", "value": "myrat2024.duckdns.org",
        "note": "test entry"}, a["evidence"]
assert hits[0]["timestamp"] == "2025-12-03T12:00:01.001000+0000"
' "$T/ioc.json"

# 4. Exit statuses of pcap.
status() { "$AGENT" pcap "$@" >/dev/null 2>>"$T/pcap.err"; echo $?; }
check "no FILE: exit 2" [ "$(status)" -eq 2 ]
check "--var without '=': exit 2" [ "$(status --var HOME_NET "$CAP/eve.pcap")" -eq 2 ]
check "--var with an empty name: exit 2" [ "$(status --var =1 "$CAP/eve.pcap")" -eq 2 ]
check "an unknown option: exit 2" [ "$(status --bogus "$CAP/eve.pcap")" -eq 2 ]
check "a missing file: exit 1" [ "$(status "$T/absent.pcap")" -eq 1 ]
head -c 100 /dev/urandom >"$T/garbage.pcap"
check "a file that is not a capture: exit 1" [ "$(status "$T/garbage.pcap")" -eq 1 ]
SIZE=$(stat -c %s "$CAP/eve.pcap")
head -c $((SIZE - 20)) "$CAP/eve.pcap" >"$T/truncated.pcap"
"$AGENT" pcap "$T/truncated.pcap" >/dev/null 2>"$T/trunc.err"
check "a truncated file: exit 1" [ $? -eq 1 ]
check "a truncated file: libpcap's error is shown" grep -q 'truncated dump file' "$T/trunc.err"
check "a missing --rules path: exit 1" [ "$(status --rules "$T/absent.rules" "$CAP/eve.pcap")" -eq 1 ]
check "two files read as one capture: exit 0" [ "$(status "$CAP/eve.pcap" "$CAP/benign.pcap")" -eq 0 ]

# 5. rules check with a rule it cannot load.
printf 'alert tcp any any -> any any (msg:"ok"; content:"x"; sid:7001;)\n# c\nalert tcp any any -> any any (msg:"syn"; flags:S; sid:7002;)\n' \
	>"$T/skip.rules"
"$AGENT" rules check "$T/skip.rules" >"$T/skip.txt" 2>&1
RC=$?
check "rules check with an unsupported keyword: exit 3" [ "$RC" -eq 3 ]
check "rules check names file:line, sid and keyword" \
	grep -qF "$T/skip.rules:3: sid 7002: skipped: keyword: flags" "$T/skip.txt"
"$AGENT" rules check --json "$T/skip.rules" "$RULES" >"$T/skip.json" 2>&1
RC=$?
check "rules check --json: exit 3, loaded, skipped, skipped_by_reason" \
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert sys.argv[2] == "3", sys.argv[2]
assert o["loaded"] == int(sys.argv[3]) + 1 and o["skipped"] == 1, o
assert o["skipped_by_reason"] == {"keyword": 1}, o
assert o["skipped_by_keyword"] == {"flags": 1}, o
assert o["skips"][0]["line"] == 3 and o["skips"][0]["sid"] == 7002, o
' "$T/skip.json" "$RC" "$NRULES"
"$AGENT" rules check "$T/absent" >/dev/null 2>&1
check "rules check on a missing path: exit 1" [ $? -eq 1 ]
"$AGENT" rules check >/dev/null 2>&1
check "rules check without a path: exit 2" [ $? -eq 2 ]

check "no sanitizer report" sh -c "! grep -q 'Sanitizer' '$T/pcap.err'"
finish
