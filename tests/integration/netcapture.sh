#!/usr/bin/env bash
# Live capture in the daemon (issue 10): a network namespace and a veth
# pair made here; the agent captures on the host's end with one traffic
# rule; a UDP datagram sent from inside the namespace gives an alert at
# the collector within 2 s. The capture child (vigil-capture) runs as the unprivileged
# user with no capability, no new privileges and a seccomp filter; killed
# with SIGKILL it comes back and alerts again; a datagram that crashes it
# (the test build's hook: the child aborts on the decoded packet, as a
# decoder bug would) likewise, the daemon saying so (signal 6) and counting
# the restart in the heartbeat; SIGHUP with a broken rules
# file keeps the running rules, SIGHUP with a good new one takes it, a
# filter that does not compile keeps the running capture; the
# capture counters reach the collector in heartbeats. The rules are
# root's alone and hold the test build's marker: the child reads them as
# root and parses them only after dropping root (issue 12); its compiled
# set is taken from the cache on the next start, and a garbage one is
# compiled over. Needs root (exit 77
# otherwise, or when namespaces cannot be made).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	log "SKIP: needs root (network namespaces, capture)"
	exit 77
fi
NS=vigil-nc-$$
VA=vnc$$a
VB=vnc$$b
NET=10.199.77
net_cleanup() {
	ip link del "$VA" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	cleanup
}
trap net_cleanup EXIT
if ! ip netns add "$NS" 2>/dev/null ||
    ! ip link add "$VA" type veth peer name "$VB" netns "$NS" 2>/dev/null; then
	log "SKIP: cannot make a network namespace and a veth pair"
	exit 77
fi
ip addr add "$NET.1/24" dev "$VA" && ip link set "$VA" up &&
	ip netns exec "$NS" ip addr add "$NET.2/24" dev "$VB" &&
	ip netns exec "$NS" ip link set "$VB" up &&
	ip netns exec "$NS" ip link set lo up || exit 1

# the rules root's alone (the child reads them as root, then parses them
# as the unprivileged user); the marker makes a test build's child abort
# if it still has any privilege when it starts parsing
mkdir -p "$T/traffic" && chmod 700 "$T/traffic"
rule() {
	printf '# VIGIL-TEST-ASSERT-UNPRIVILEGED\nalert udp any any -> any 9999 (msg:"vigil net test %s"; content:"vigil-net-test"; sid:%s; rev:1;)\n' "$1" "$1" >"$T/traffic/test.rules"
	chmod 600 "$T/traffic/test.rules"
}
rule 9100001

# send: one datagram from the namespace to the host's end, port 9999
send() {
	ip netns exec "$NS" python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hello vigil-net-test " + sys.argv[2].encode(), (sys.argv[1], 9999))' "$NET.1" "$1"
}
# send_crash: a datagram with the capture child's crash marker (and
# nothing a rule matches), to the same port
send_crash() {
	ip netns exec "$NS" python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"VIGIL-TEST-CRASH-CAPTURE", (sys.argv[1], 9999))' "$NET.1"
}

write_agent_conf "$T/agent.conf"
cat >>"$T/agent.conf" <<EOC
[agent]
user = vigil
[network]
enabled = yes
interface = $VA
rules = $T/traffic
local_rules =
local_ioc =
EOC
if ! getent passwd vigil >/dev/null; then
	sed -i 's/^user = vigil$/user = nobody/' "$T/agent.conf"
fi

start_collector "$T/coll" || exit 1
enroll_agent "$T/a" pc-net "Xã Tân Phú" || exit 1
start_agent "$T/a"
APID=${APIDS[$T/a]}
check "the capture child starts" wait_for "capture running" 30 grep -q "capture: running" "$T/a.log"

child_pid() { pgrep -P "$APID" -f capture-child | head -1; }
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

alerts() { count --type alert --agent pc-net; }

# alert_within2 DESC SID: a datagram sent now is an alert with SID at the
# collector within 2 s
alert_within2() {
	local desc=$1 sid=$2 before t0 t1
	before=$(count --type alert --agent pc-net)
	t0=$(date +%s.%N)
	send "$sid"
	wait_for "alert $sid" 5 count_is $((before + 1)) --type alert --agent pc-net
	t1=$(date +%s.%N)
	log "$desc: alert stored $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s after the datagram"
	check "$desc: alert at the collector within 2 s" \
		awk -v a="$t0" -v b="$t1" -v n="$(alerts)" -v want=$((before + 1)) \
		'BEGIN{exit !(n == want && b - a <= 2.0)}'
	check "$desc: it is rule $sid's, with the flow" sh -c \
		"\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" events --json --type alert --agent pc-net | tail -1 | grep '\"signature_id\":$sid' | grep -q '\"dest_port\":9999'"
}

sleep 0.5
alert_within2 "live capture" 9100001
check "the child parsed its rules with no privilege left (no abort)" sh -c \
	"! grep -q 'killed by signal 6' '$T/a.log'"
RC=$T/a/rules-cache
check "the first start compiles" sh -c "grep 'capture: 1 traffic rules' '$T/a.log' | head -1 | grep -qv 'from the cache'"
check "the compiled set is named by the daemon after READY" wait_for "cache set" 5 \
	sh -c "[ \$(ls '$RC' | grep -c '^net-[0-9a-f]\{64\}\.hsdb\$') = 1 ] && [ -z \"\$(ls -A '$RC' | grep '^\.net-')\" ]"
check "the set is root's alone" sh -c "[ \"\$(stat -c '%U %a' '$RC'/net-*.hsdb)\" = 'root 600' ]"

CPID1=$(child_pid)
check "the capture child runs as an unprivileged user" \
	sh -c "[ -n '$CPID1' ] && [ \"\$(awk '/^Uid:/ {print \$2 \$3 \$4 \$5}' /proc/$CPID1/status)\" != 0000 ] && ! awk '/^Uid:/ {exit !(\$2 == 0 || \$3 == 0 || \$4 == 0)}' /proc/$CPID1/status"
check "its groups are not root's" sh -c "! awk '/^Gid:/ {exit !(\$2 == 0 || \$3 == 0 || \$4 == 0)}' /proc/$CPID1/status && [ -z \"\$(awk '/^Groups:/ {print \$2}' /proc/$CPID1/status | grep -x 0)\" ]"
for cap in CapEff CapPrm CapInh CapBnd CapAmb; do
	check "its $cap is empty" [ "$(status_field "$CPID1" "$cap")" = 0000000000000000 ]
done
check "no new privileges" [ "$(status_field "$CPID1" NoNewPrivs)" = 1 ]
check "a seccomp filter" [ "$(status_field "$CPID1" Seccomp)" = 2 ]
check "it holds no descriptor but stdio, its socket and the capture" \
	sh -c "[ \$(ls /proc/$CPID1/fd | wc -l) -le 5 ]"
check "the daemon itself still runs as root" [ "$(awk '/^Uid:/ {print $2}' "/proc/$APID/status")" = 0 ]

# killed: restarted (1 s back-off), and alerting again
kill -KILL "$CPID1"
check "a killed child is restarted" wait_for "restart" 15 sh -c \
	"[ \$(grep -c 'capture: running' '$T/a.log') -ge 2 ]"
check "the daemon says why it ended" grep -q "capture child $CPID1 ended: killed by signal 9" "$T/a.log"
CPID2=$(child_pid)
check "a new child" [ -n "$CPID2" ] && [ "$CPID2" != "$CPID1" ]
check "the second start takes the compiled set from the cache" sh -c \
	"grep 'capture: 1 traffic rules' '$T/a.log' | sed -n 2p | grep -q 'compiled set from the cache'"
alert_within2 "after a restart" 9100001

# crafted traffic crashes the child: restarted (2 s back-off), alerting
send_crash
check "a child crashed by a packet is restarted" wait_for "crash restart" 15 sh -c \
	"[ \$(grep -c 'capture: running' '$T/a.log') -ge 3 ]"
check "the daemon says it aborted" grep -q "capture child $CPID2 ended: killed by signal 6" "$T/a.log"
check "the crash was the child's, not the daemon's" kill -0 "$APID"
CPID2B=$(child_pid)
check "a new child after the crash" sh -c "[ -n '$CPID2B' ] && [ '$CPID2B' != '$CPID2' ]"
CPID2=$CPID2B
sleep 0.5
alert_within2 "after a crash" 9100001

# SIGHUP, broken rules: the running child and its rules stay
printf 'alert udp any any -> any 9999 (msg:"broken"; content:; sid:1\n' >"$T/traffic/test.rules"
kill -HUP "$APID"
check "a broken rule file is refused on SIGHUP" wait_for "refused" 15 grep -q "keeping the last good ones" "$T/a.log"
check "the running child stays" [ "$(child_pid)" = "$CPID2" ]
sleep 0.5
alert_within2 "after a broken reload, the last good rules" 9100001

# SIGHUP, a good new rule: a new child with it replaces the old one
rule 9100002
kill -HUP "$APID"
check "a good rule file is taken on SIGHUP" wait_for "reloaded" 15 sh -c \
	"[ \$(grep -c 'capture: running' '$T/a.log') -ge 4 ]"
check "the old child is gone" wait_for "old child gone" 5 sh -c "! kill -0 $CPID2 2>/dev/null"
sleep 0.5
alert_within2 "after a good reload, the new rule" 9100002

# SIGHUP, a filter that does not compile: the new child says so (exit 8)
# and the running one stays, with its rules
CPID3=$(child_pid)
printf 'filter = udp and (\n' >>"$T/agent.conf"
kill -HUP "$APID"
check "a filter that does not compile is refused on SIGHUP" wait_for "bad filter" 15 \
	grep -q "filter does not compile (exit 8)" "$T/a.log"
check "the child says what is wrong with it" grep -q "\[network\] filter 'udp and ('" "$T/a.log"
check "the running child stays" [ "$(child_pid)" = "$CPID3" ]
alert_within2 "after a bad filter, the running capture" 9100002

check "the capture counters reach the collector in a heartbeat" wait_for "heartbeat" 15 \
	sh -c "\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" agents --json | python3 -c 'import json,sys
a = json.loads(sys.stdin.readline())
hb = a[\"heartbeat\"] if isinstance(a[\"heartbeat\"], dict) else json.loads(a[\"heartbeat\"])
n = hb[\"network\"]
sys.exit(not (n[\"state\"] == \"capturing\" and n[\"received\"] >= 3 and n[\"alerts\"] >= 1 and n[\"restarts\"] == 2 and n[\"rules\"][\"loaded\"] == 1))'"

# a garbage set under the rules' own name: not used (a compile, and
# alerts), and replaced by a good one
sed -i '/^filter = udp and ($/d' "$T/agent.conf"
for f in "$RC"/net-*.hsdb; do head -c 4096 /dev/urandom >"$f"; done
RUNS=$(grep -c 'capture: running' "$T/a.log")
kill -KILL "$(child_pid)"
check "a child restarted over a garbage set" wait_for "restart over garbage" 15 sh -c \
	"[ \$(grep -c 'capture: running' '$T/a.log') -gt $RUNS ]"
check "it says the set does not parse and compiles" grep -q "a compiled set that does not parse; compiling" "$T/a.log"
check "the garbage is replaced by the set it compiled" wait_for "set replaced" 5 sh -c \
	"head -c 14 '$RC'/net-*.hsdb | grep -q '^vigil-netdb-1'"
sleep 0.5
alert_within2 "after a garbage set" 9100002

# a local rule file root's alone, 0600 in a 0700 folder: loads
mkdir -p "$T/local" && chmod 700 "$T/local"
printf '# VIGIL-TEST-ASSERT-UNPRIVILEGED\nalert udp any any -> any 9998 (msg:"local"; content:"x"; sid:9100003;)\n' >"$T/local/local.rules"
chmod 600 "$T/local/local.rules"
sed -i "s|^local_rules =\$|local_rules = $T/local|" "$T/agent.conf"
aborts=$(grep -c 'killed by signal 6' "$T/a.log" || true)
kill -HUP "$APID"
check "a root-only local rule file loads" wait_for "local rules" 15 \
	grep -q "capture: running (pid [0-9]*, 1 interfaces, 2 rules" "$T/a.log"
check "still no abort" sh -c "[ \$(grep -c 'killed by signal 6' '$T/a.log') = $aborts ]"

CPID3=$(child_pid)
stop_agent "$T/a"
check "the capture child stops with the daemon" sh -c "! kill -0 '$CPID3' 2>/dev/null"
check "no sanitizer report in the agent log" no_sanitizer_report "$T/a.log"
finish_collector "$T/coll.log"
