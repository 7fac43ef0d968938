#!/usr/bin/env bash
# The agent's link draining a spool: N test events queued while the
# collector is down, then the collector started; how long until the
# collector holds all of them, and the CPU the agent's processes spent
# meanwhile (the daemon, and the uplink worker where there is one), per
# event. Run it on two builds to see what the uplink worker costs: this
# tree's (the handshake, channel and ACKs in vigil-uplink, each batch
# handed over as a sealed memfd) and an older one's (all in the daemon).
#
#   tests/bench/uplink.sh [BUILD_DIR] [N] [ROUNDS]
#
# BUILD_DIR defaults to build-bench (a Release build made if missing); N
# to 200000 events; ROUNDS to 3 (each round from the same enrolled
# agent, the collector's store emptied). File, integrity and network
# sensors off: the link alone. Shipped [uplink] defaults but the
# back-off (100-200 ms), so the reconnect waits little; the collector's
# per-agent quota out of reach (it would hold one agent to 1,000 events
# a second, by design). The collector
# and the agent share the machine: compare builds in the same session.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
N=${2:-200000}
ROUNDS=${3:-3}
if [ ! -x "$B/vigil-agent" ]; then
	cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$B" -j"$(nproc)" >/dev/null
fi
D=$(mktemp -d)
CPID=
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT
printf '[quota]\nevents_per_second = 1000000\nbytes_per_second = 1G\n' >"$D/collector.conf"
start_collector() {
	"$B/vigil-collector" -c "$D/collector.conf" --data-dir "$D/c" --listen "$1" run 2>>"$D/c.log" &
	CPID=$!
	for _ in $(seq 100); do [ -s "$D/c/listen.addr" ] && return; sleep 0.05; done
	echo "the collector did not start" >&2
	exit 1
}
stop_collector() {
	kill "$CPID"
	wait "$CPID" 2>/dev/null || true
	rm -f "$D/c/listen.addr"
}
start_collector 127.0.0.1:0
ADDR=$(cat "$D/c/listen.addr")
J=$("$B/vigil-collector" -c "$D/collector.conf" --data-dir "$D/c" enroll-token --name drain --json)
TOK=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<<"$J")
FPR=$(sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' <<<"$J")
printf '[uplink]\nbackoff_min = 100ms\nbackoff_max = 200ms\n[files]\nenabled = no\n[integrity]\nenabled = no\n[network]\nenabled = no\n' >"$D/agent.conf"
"$B/vigil-agent" -c "$D/agent.conf" --data-dir "$D/a" enroll --collector "$ADDR" \
	--token "$TOK" --fingerprint "$FPR" >/dev/null
stop_collector
cp -a "$D/c" "$D/c0"		# the enrolled, empty store of every round
"$B/vigil-agent" -c "$D/agent.conf" --data-dir "$D/a" run 2>"$D/a.log" &
APID=$!
sleep 1
TCK=$(getconf CLK_TCK)
cpu() {	# the agent's processes' CPU ticks (the daemon and its children)
	local p t=0
	for p in "$APID" $(pgrep -P "$APID" || true); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
echo "build $B: $(ls "$B"/vigil-uplink 2>/dev/null >/dev/null && echo 'uplink worker' || echo 'uplink in the daemon'); $N events a round" >&2
for r in $(seq "$ROUNDS"); do
	rm -rf "$D/c"
	cp -a "$D/c0" "$D/c"
	"$B/vigil-agent" -c "$D/agent.conf" --data-dir "$D/a" emit --type test --count "$N" >/dev/null
	c0=$(cpu)
	t0=$(date +%s.%N)
	start_collector "$ADDR"
	while :; do
		n=$("$B/vigil-collector" -c "$D/collector.conf" --data-dir "$D/c" events --count --type test 2>/dev/null || echo 0)
		[ "$n" -ge "$N" ] && break
		sleep 0.05
	done
	t1=$(date +%s.%N)
	c1=$(cpu)
	stop_collector
	awk -v a="$t0" -v b="$t1" -v c0="$c0" -v c1="$c1" -v t="$TCK" -v n="$N" -v r="$r" \
	    'BEGIN { s = b - a; c = (c1 - c0) / t;
		printf "round %d: %d events in %.2f s (%.0f events/s); agent CPU %.2f s, %.2f us an event\n", r, n, s, n / s, c, c / n * 1e6 }'
done
