#!/usr/bin/env bash
# Live capture at a fixed packet rate (issue 10): a network namespace and a
# veth pair made here, a collector and an enrolled agent capturing on the
# host's end with the shipped rules, and bench_udpflood sending UDP
# datagrams from inside the namespace at PPS for SECONDS. Reports what the
# kernel and vigil dropped (the agent's heartbeat counters) and the CPU of
# the capture child and of the daemon. Root only; everything is removed
# at the end.
#
#   tests/bench/live.sh [BUILD_DIR] [PPS] [SECONDS] [SIZE]
#
# Defaults: build-bench (Release), 100,000 packets/s, 10 s, 200-byte
# payloads; BUFFER sets [network] buffer (default the shipped one). Target: no kernel drops at 100,000 packets/s; CPU stated.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
PPS=${2:-100000}
SECS=${3:-10}
SIZE=${4:-200}
. tests/bench/lib.sh
bench_build "$B" vigil-agent vigil-collector tests/bench_udpflood
[ "$(id -u)" -eq 0 ] || { echo "live.sh: needs root (namespaces, capture)" >&2; exit 1; }
export VIGIL_BIN=$B VIGIL_SRC=$PWD
. tests/integration/lib.sh
NS=vigil-live-$$
VA=vlv$$a
VB=vlv$$b
NET=10.199.78
net_cleanup() {
	ip link del "$VA" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	cleanup
}
trap net_cleanup EXIT
ip netns add "$NS"
ip link add "$VA" type veth peer name "$VB" netns "$NS"
ip addr add "$NET.1/24" dev "$VA"; ip link set "$VA" up
ip netns exec "$NS" ip addr add "$NET.2/24" dev "$VB"
ip netns exec "$NS" ip link set "$VB" up
# the host answers nothing on these ports: no ICMP storm back
iptables -I INPUT -i "$VA" -p udp -j DROP 2>/dev/null || true

write_agent_conf "$T/agent.conf"
cat >>"$T/agent.conf" <<EOC
[uplink]
heartbeat = 2s
[network]
enabled = yes
interface = $VA
${BUFFER:+buffer = $BUFFER}
local_rules =
local_ioc =
EOC
start_collector "$T/coll" >/dev/null
enroll_agent "$T/a" pc-live "Xã Tân Phú" >/dev/null
start_agent "$T/a"
APID=${APIDS[$T/a]}
wait_for "capture running" 30 grep -q "capture: running" "$T/a.log"
CHILD=$(pgrep -P "$APID" -f capture-child | head -1)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hb() {
	coll agents --json | python3 -c 'import json,sys
a = json.loads(sys.stdin.readline())
hb = a["heartbeat"] if isinstance(a["heartbeat"], dict) else json.loads(a["heartbeat"])
n = hb["network"]
print(n["received"], n["dropped_kernel"], n.get("dropped_if", 0), n["dropped_vigil"], n["frames"])'
}
sleep 3
read -r R0 K0 I0 V0 F0 <<<"$(hb)"
C0=$(ticks "$CHILD"); D0=$(ticks "$APID")
ip netns exec "$NS" "$B/tests/bench_udpflood" "$NET.1" 20000 "$PPS" "$SECS" "$SIZE" >"$T/flood.json"
sleep 5		# two heartbeats after the flood
read -r R1 K1 I1 V1 F1 <<<"$(hb)"
C1=$(ticks "$CHILD"); D1=$(ticks "$APID")
HZ=$(getconf CLK_TCK)
python3 - "$T/flood.json" "$R0" "$R1" "$K0" "$K1" "$V0" "$V1" "$F0" "$F1" "$C0" "$C1" "$D0" "$D1" "$HZ" "$SECS" "$(awk '/^VmRSS/ {print $2}' /proc/$CHILD/status)" "$(awk '/^VmRSS/ {print $2}' /proc/$APID/status)" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
r0, r1, k0, k1, v0, v1, f0, f1, c0, c1, d0, d1 = map(float, sys.argv[2:14])
hz, secs, crss, drss = float(sys.argv[14]), float(sys.argv[15]), int(sys.argv[16]), int(sys.argv[17])
print(f"sent:     {f['sent']:,} datagrams in {f['seconds']:.2f} s = {f['pps']:,.0f} packets/s ({secs:.0f} s asked)")
print(f"captured: {r1 - r0:,.0f} received by the capture, {f1 - f0:,.0f} frames through the sensor")
print(f"dropped:  kernel {k1 - k0:,.0f}, vigil {v1 - v0:,.0f} (target: no kernel drops)")
print(f"CPU:      capture child {(c1 - c0) / hz / f['seconds'] * 100:.1f}% of a core, daemon {(d1 - d0) / hz / f['seconds'] * 100:.1f}% over the flood")
print(f"RSS:      capture child {crss / 1024:.1f} MB (the kernel's packet ring mapped in included), daemon {drss / 1024:.1f} MB")
PY
stop_agent "$T/a"
