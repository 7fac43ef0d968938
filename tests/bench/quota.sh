#!/usr/bin/env bash
# One agent floods, another is timed (issue 8, item 3): the ACK latency of
# a quiet agent and what the flooding agent gets stored, with per-agent
# quotas off (rates raised out of reach: the collector as it was) and on
# (the shipped defaults).
#
#   tests/bench/quota.sh [BUILD_DIR] [SECONDS]
#
# Defaults: build-bench (Release, built if missing), a 10 s flood. The
# flooder is `vigil-peer send` of 64 KiB events (zstd, so a few hundred
# bytes each on the wire), batches of 15, as fast as acknowledged; the
# quiet agent is `vigil-peer ping`: batches of one event, one at a time,
# 20 ms apart, before the flood (alone) and during it. Prints one line
# per run: stored bytes and events of the flooder, wire bytes, and the
# quiet agent's ACK latency (p50/p95/max ms) alone and during the flood.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
SECS=${2:-10}
. tests/bench/lib.sh
bench_build "$B" tests/vigil-peer vigil-collector
bench_tmp
C=$B/vigil-collector
P=$B/tests/vigil-peer

enroll() {	# DIR ADDR NAME KEY
	local j
	j=$("$C" -c "$D/c.conf" --data-dir "$1" enroll-token --name "$3" \
	    --office lab --json)
	"$P" enroll --collector "$2" --key "$4" \
	    --token "$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<<"$j")" \
	    --fingerprint "$(sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' \
	    <<<"$j")" >/dev/null
}

run() {		# LABEL CONFIG-TEXT
	local dir=$D/$1 addr cpid fpid alone during out
	rm -rf "$D"/*.key "$D"/*.key.ts "$D/fk"
	mkdir -p "$D/fk"
	printf '%s' "$2" >"$D/c.conf"
	"$C" -c "$D/c.conf" --data-dir "$dir" --listen 127.0.0.1:0 run \
	    2>"$dir.log" &
	cpid=$!
	for _ in $(seq 50); do [ -s "$dir/listen.addr" ] && break; sleep 0.1; done
	addr=$(cat "$dir/listen.addr")
	enroll "$dir" "$addr" flooder "$D/fk/key0"
	enroll "$dir" "$addr" quiet "$D/quiet.key"
	alone=$("$P" ping --collector "$addr" --key "$D/quiet.key" --count 100 \
	    --start 1)
	"$P" load --collector "$addr" --keys "$D/fk" --agents 1 \
	    --events 1000000 --batch 15 --pad 65000 --compress \
	    --seconds "$SECS" >"$D/load.out" 2>&1 &
	fpid=$!
	sleep 1
	during=$("$P" ping --collector "$addr" --key "$D/quiet.key" \
	    --count $(( (SECS - 2) * 40 )) --start 1000)
	wait "$fpid" || true
	sleep 1
	out=$("$C" -c "$D/c.conf" --data-dir "$dir" agents --json |
	    grep '"name":"flooder"')
	kill -TERM "$cpid"; wait "$cpid" || true
	python3 - "$1" "$SECS" "$out" "$alone" "$during" \
	    "$(du -sb "$dir" | cut -f1)" "$(tail -1 "$D/load.out")" <<'PY'
import json, sys
label, secs, ag, alone, during, du, load = sys.argv[1], int(sys.argv[2]), \
    json.loads(sys.argv[3]), json.loads(sys.argv[4]), json.loads(sys.argv[5]), \
    int(sys.argv[6]), json.loads(sys.argv[7])
print(f"{label}: flooder sent {load['bytes_sent'] / 1e3:.1f} KB on the wire, "
      f"{ag['events']} events of 64 KiB stored in {load['seconds']:.1f} s, "
      f"collector data dir {du / 1e6:.1f} MB; quiet agent ACK latency "
      f"p50/p95/max {alone['p50_ms']}/{alone['p95_ms']}/{alone['max_ms']} ms "
      f"alone, {during['p50_ms']}/{during['p95_ms']}/{during['max_ms']} ms "
      f"during the flood")
PY
}

mkdir -p "$D/off" "$D/on"
run off $'[quota]\nevents_per_second = 1000000\nbytes_per_second = 1G\n'
run on ''
