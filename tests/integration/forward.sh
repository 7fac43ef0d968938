#!/usr/bin/env bash
# Issue 9, forwarding to another SIEM over syslog (RFC 5424): the real
# collector and agent (alerts injected with `vigil-agent emit`), the
# register changed with the CLI while the collector runs, and a syslog
# receiver on loopback (tests/tools/syslog_sink.py) that logs what it
# gets; every message is read back with a strict RFC 5424 regex.
#
#  a. TCP (octet counting): each stored alert and each audit entry of an
#     incident (correlation's and the CLI's) arrives exactly once, in
#     RFC 5424 form: PRI local4 with the severity, MSGID, SD vigil@32473,
#     BOM + JSON; a hostile signature (quotes, ], backslash, a line
#     break, a bidi override) stays inside its fields
#  b. the receiver down: alerts and a CLI change wait; one log line for
#     the outage; the receiver back (same port): the backlog arrives,
#     nothing lost, nothing twice
#  c. a clean restart of the collector sends nothing again
#  d. UDP: new alerts arrive, one datagram each, in the same form
#  e. TLS with the test's CA: they arrive; a receiver whose certificate
#     is not of that CA gets nothing and the log says why
. "$(dirname "$0")/lib.sh"

SINK=$SRC/tests/tools/syslog_sink.py
CERTS=$SRC/tests/tools/notify_sink.py
command -v openssl >/dev/null || { log "SKIP: needs openssl"; exit 77; }

jpy() { python3 -c "import json, re, sys
$1" "${@:2}"; }
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }

# sink KIND NAME [PORT] [CERT]: a receiver logging to $T/NAME.log
sink() {
	local extra=()
	[ -n "${4:-}" ] && extra=(--cert "$T/$4.crt" --key "$T/$4.key")
	rm -f "$T/$2.port"
	python3 "$SINK" "$1" --port-file "$T/$2.port" --log "$T/$2.log" \
		--port "${3:-0}" "${extra[@]}" 2>>"$T/$2.err" &
	eval "PID_$2=$!"
	wait_for "sink $2" 10 test -s "$T/$2.port"
}
sink_stop() { local v="PID_$1"; kill "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null; }

# The strict reading of every message in a sink's log: a JSON line per
# message {pri, ts, host, app, procid, msgid, sd: {name: value}, msg}
# on stdout; exits 1 at the first that is not RFC 5424.
cat >"$T/parse.py" <<'EOF'
import json, re, sys
HDR = re.compile(
    r'<(0|[1-9][0-9]{0,2})>1 '
    r'(-|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z) '
    r'([!-~]{1,255}) ([!-~]{1,48}) ([!-~]{1,128}) ([!-~]{1,32}) '
    r'\[vigil@32473((?: [!-<>-~]{1,32}="(?:[^"\\\]]|\\["\\\]])*")*)\]'
    r' \ufeff(.*)\Z', re.S)
PARAM = re.compile(r' ([!-<>-~]{1,32})="((?:[^"\\\]]|\\["\\\]])*)"')
bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "error" in r:
        print("sink error: %s" % r["error"], file=sys.stderr)
        sys.exit(1)
    m = HDR.match(r["msg"])
    if m is None or int(m.group(1)) > 191:
        print("not RFC 5424: %r" % r["msg"][:300], file=sys.stderr)
        sys.exit(1)
    sd = {k: re.sub(r'\\(.)', r'\1', v) for k, v in PARAM.findall(m.group(7))}
    print(json.dumps({"pri": int(m.group(1)), "ts": m.group(2),
        "host": m.group(3), "app": m.group(4), "procid": m.group(5),
        "msgid": m.group(6), "sd": sd, "msg": json.loads(m.group(8)),
        "conn": r["conn"]}))
EOF
parsed() { python3 "$T/parse.py" "$T/$1.log" >"$T/$1.parsed"; }

python3 "$CERTS" certs "$T" >"$T/openssl.log" 2>&1
check "the test's CA and certificates are made" test -s "$T/srv.crt"

sink tcp tcp || exit 1
TCP_PORT=$(cat "$T/tcp.port")
write_collector_conf "$T/collector.conf"
cat >>"$T/collector.conf" <<EOC
[notify]
syslog = no
[forward]
syslog = tcp://127.0.0.1:$TCP_PORT
EOC
start_collector "$T/coll" || exit 1
check "agent a1 enrolls" enroll_agent "$T/a1" "pc-a1" "Xã Tân Phú"
start_agent "$T/a1"

HOSTILE=$'x"] \\ end\n<13>1 - evil - - - \xe2\x80\xae'
agent "$T/a1" emit --type alert --severity 1 --sid 100 --signature "$HOSTILE" >/dev/null
agent "$T/a1" emit --type alert --severity 3 --sid 101 --count 5 --signature "plain five" >/dev/null
agent "$T/a1" emit --type test --count 50 >/dev/null
check "6 alerts stored" wait_for "alerts" 20 count_is 6 --type alert

# What the store holds: the alerts (agent seqs) and the audit entries of
# incidents (seqs), for the receiver's log to be compared with.
expect() {
	coll events --json --type alert >"$T/alerts.json" &&
	coll incidents list --json >"$T/incidents.json" &&
	: >"$T/timeline.json" &&
	for id in $(jpy 'for l in open(sys.argv[1]): print(json.loads(l)["id"])' "$T/incidents.json"); do
		coll incidents show "$id" --json >>"$T/timeline.json" || return 1
	done
}
# got NAME: the sink's messages are exactly the store's alerts and
# audit entries, each once.
got() {
	expect && parsed "$1" && jpy '
alerts = sorted(json.loads(l)["seq"] for l in open(sys.argv[1]))
audit = sorted(e["seq"] for l in open(sys.argv[2]) for e in json.loads(l)["timeline"])
msgs = [json.loads(l) for l in open(sys.argv[3])]
ga = sorted(m["msg"]["seq"] for m in msgs if m["msgid"] == "alert")
gi = sorted(int(m["sd"]["seq"]) for m in msgs if m["msgid"] == "incident")
if ga != alerts or gi != audit:
    print("alerts %s, got %s; audit %s, got %s" % (alerts, ga, audit, gi), file=sys.stderr)
    sys.exit(1)' "$T/alerts.json" "$T/timeline.json" "$T/$1.parsed"
}
check "a. TCP: every alert and every audit entry arrives once" wait_for "tcp" 15 got tcp
cp "$T/tcp.parsed" "$T/a.parsed"

check "a. the hostile alert: PRI local4.err, host, SD, BOM + JSON with the signature intact" jpy '
msgs = [json.loads(l) for l in open(sys.argv[1])]
a = [m for m in msgs if m["msgid"] == "alert" and m["msg"]["alert"]["signature_id"] == 100]
assert len(a) == 1, a
a = a[0]
assert a["pri"] == 20 * 8 + 3, a["pri"]
assert a["host"] == "pc-a1" and a["app"] == "vigil", a
assert a["procid"].isdigit()
assert a["msg"]["alert"]["signature"] == sys.argv[2], a["msg"]["alert"]["signature"]
assert a["msg"]["agent"]["office"] == "Xã Tân Phú", a["msg"]["agent"]
sd = a["sd"]
assert sd["agent"] == "pc-a1" and sd["office"] == "Xã Tân Phú", sd
assert sd["severity"] == "high" and sd["category"], sd
# the signature, escaped as for a log line: no raw line break or override
assert sd["signature"] == sys.argv[2].replace("\\", "\\\\").replace("\n", "\\x0a").replace("\u202e", "\\xe2\\x80\\xae"), sd["signature"]
assert int(sd["id"]) > 0
low = [m for m in msgs if m["msgid"] == "alert" and m["msg"]["alert"]["signature_id"] == 101]
assert len(low) == 5 and all(m["pri"] == 20 * 8 + 5 for m in low), [m["pri"] for m in low]
' "$T/a.parsed" "$HOSTILE"
check "a. incident messages: correlation opened them, with the incident" jpy '
msgs = [json.loads(l) for l in open(sys.argv[1])]
i = [m for m in msgs if m["msgid"] == "incident"]
assert i, msgs
o = [m for m in i if m["sd"]["action"] == "open" and m["sd"]["actor"] == "correlate"]
assert len(o) == 2, [m["sd"] for m in i]
for m in o:
    assert m["msg"]["audit"]["seq"] == int(m["sd"]["seq"])
    assert m["msg"]["incident"]["id"] == int(m["sd"]["incident"])
    assert m["sd"]["severity"] == m["msg"]["incident"]["severity"]
    assert m["sd"]["status"] == "new", m["sd"]
    assert m["pri"] == 20 * 8 + {"critical": 2, "high": 3, "medium": 4, "low": 5}[m["sd"]["severity"]]
    assert m["host"] != "-"
' "$T/a.parsed"

ID=$(jpy 'print(min(json.loads(l)["id"] for l in open(sys.argv[1])))' "$T/incidents.json")
coll incidents ack "$ID" --as "Lan" >/dev/null
coll incidents note "$ID" $'checked the PC\nall clean] "ok"' --as "Lan" >/dev/null
check "a. the CLI's changes arrive while the collector runs" wait_for "cli" 15 got tcp
check "a. ... as actions status (ack) and note by Lan" jpy '
msgs = [json.loads(l) for l in open(sys.argv[1])]
i = [(m["sd"]["action"], m["sd"]["actor"], m["sd"]["status"]) for m in msgs if m["msgid"] == "incident" and m["sd"]["incident"] == sys.argv[2]]
assert ("status", "Lan", "acknowledged") in i and ("note", "Lan", "acknowledged") in i, i
' "$T/tcp.parsed" "$ID"

# b. the receiver down
sink_stop tcp
N0=$(lines "$T/tcp.log")
agent "$T/a1" emit --type alert --severity 2 --sid 102 --count 30 --signature "while down" >/dev/null
check "b. 36 alerts stored while the receiver is down" wait_for "stored" 20 count_is 36 --type alert
coll incidents status "$ID" investigating --as "Lan" >/dev/null
sleep 3
check "b. nothing arrived meanwhile" test "$(lines "$T/tcp.log")" = "$N0"
check "b. one log line for the outage" test "$(grep -c 'forward: tcp://.*keeping the messages' "$T/coll.log")" = 1
sink tcp tcp "$TCP_PORT"
check "b. the receiver back: the backlog arrives, nothing lost, nothing twice" wait_for "backlog" 90 got tcp
check "b. the collector said it delivers again" grep -q 'forward: tcp://.*delivering again after' "$T/coll.log"

# c. a clean restart sends nothing again
N1=$(lines "$T/tcp.log")
stop_collector
start_collector "$T/coll" || exit 1
sleep 2
check "c. after a restart nothing is sent twice" test "$(lines "$T/tcp.log")" = "$N1"
agent "$T/a1" emit --type alert --severity 1 --sid 103 --signature "after restart" >/dev/null
check "c. ... and a new alert arrives once" wait_for "after restart" 20 got tcp

# d. UDP
stop_collector
sink udp udp || exit 1
sed -i "s|^syslog = tcp://.*|syslog = udp://127.0.0.1:$(cat "$T/udp.port")|" "$T/collector.conf"
start_collector "$T/coll" || exit 1
agent "$T/a1" emit --type alert --severity 1 --sid 104 --count 3 --signature "over udp" >/dev/null
udp_got() { parsed udp && [ "$(jpy 'print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["msgid"] == "alert"))' "$T/udp.parsed")" = 3 ]; }
check "d. UDP: the 3 new alerts arrive, strict RFC 5424" wait_for "udp" 20 udp_got
check "d. ... and only they: the cursor went on from TCP" jpy '
m = [json.loads(l) for l in open(sys.argv[1])]
assert all(x["msg"]["alert"]["signature"] == "over udp" for x in m if x["msgid"] == "alert"), m' "$T/udp.parsed"

# e. TLS
stop_collector
sink tls tls 0 srv || exit 1
sed -i "s|^syslog = udp://.*|syslog = tls://127.0.0.1:$(cat "$T/tls.port")\nca_file = $T/ca.crt|" "$T/collector.conf"
start_collector "$T/coll" || exit 1
agent "$T/a1" emit --type alert --severity 1 --sid 105 --count 2 --signature "over tls" >/dev/null
tls_got() { parsed tls && [ "$(jpy 'print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["msgid"] == "alert"))' "$T/tls.parsed")" = 2 ]; }
check "e. TLS with the test's CA: the 2 new alerts arrive" wait_for "tls" 20 tls_got
stop_collector
sink tls rogue 0 rogue || exit 1
sed -i "s|^syslog = tls://.*|syslog = tls://127.0.0.1:$(cat "$T/rogue.port")|" "$T/collector.conf"
start_collector "$T/coll" || exit 1
agent "$T/a1" emit --type alert --severity 1 --sid 106 --signature "to a stranger" >/dev/null
check "e. a receiver with a stranger's certificate: the log says why" \
	wait_for "rogue" 20 grep -q 'forward: tls://.*certificate' "$T/coll.log"
check "e. ... and it got nothing" bash -c "! grep -q '\"msg\"' '$T/rogue.log' 2>/dev/null"
check "audit verify: intact" coll audit verify
finish_collector "$T/coll.log"
