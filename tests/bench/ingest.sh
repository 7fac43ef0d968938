#!/usr/bin/env bash
# Collector ingest: 200 simulated agents over loopback, counted as
# committed rows, beside its ceiling measured in the same run: the same
# rows written by a bare loop of prepared inserts in batched SQLite
# transactions (bench_ceiling). Targets (issue 3): >= 50,000 events/s
# sustained with nothing lost, and >= half of the ceiling.
#
#   tests/bench/ingest.sh [BUILD_DIR] [AGENTS] [EVENTS_PER_AGENT] [BATCH] [PAD] [KIND]
#
# KIND test (default): `test` events, which correlation passes over.
# KIND alert: YARA file alerts (the same rule and file on every agent:
# one scan's storm on 200 PCs), so every event goes through correlation
# in the writer's transaction (grouping, links, spreading); the run
# also reports the incidents it ended with. CORRELATION=no turns
# [correlation] off for a comparison.
#
# ROUNDS (default 3) collector runs alternate with ceiling runs
# (collector, ceiling, collector, ceiling, ...): each ceiling writes the
# rows of the collector run just before it, so a swing of the disk's
# fsync time hits both sides; the ratio reported is that of the medians.
# Every round starts from the same enrolled store (copied), so the
# agents enroll once. The collector's CPU time per event (user + system
# of all its threads, from /proc/PID/stat, over the sending only) does
# not depend on the disk: it is the figure to compare between builds.
#
# Defaults: build-bench (Release, built if missing), 200 agents, 5,000
# events each (1,000,000 events), batches of 1,000, events padded to about
# 300 bytes of JSON (PAD 220). The agents are vigil-peer load threads on
# the same 2 cores: real handshakes, real secretstream frames, uncompressed
# EVENTS messages. Per-agent quotas are set out of reach: this measures
# the collector's own ceiling (tests/bench/quota.sh measures the quotas).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
N=${2:-200}
M=${3:-5000}
BATCH=${4:-1000}
PAD=${5:-220}
KIND=${6:-test}
ROUNDS=${ROUNDS:-3}
. tests/bench/lib.sh
bench_build "$B" tests/vigil-peer tests/bench_ceiling
bench_tmp
C=$B/vigil-collector
P=$B/tests/vigil-peer
HZ=$(getconf CLK_TCK)

printf '[quota]\nevents_per_second = 1000000\nbytes_per_second = 1G\n' \
    >"$D/c.conf"
printf '[correlation]\nenabled = %s\n' "${CORRELATION:-yes}" >>"$D/c.conf"
# 200 simulated agents on one address: enrollments and connections at once
printf '[collector]\nsource_handshakes = 100000\nsource_connections = 100000\n' >>"$D/c.conf"
ALERT=""
[ "$KIND" = alert ] && ALERT=--alert

cpu_s() { awk -v hz="$HZ" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
cc() { "$C" -c "$D/c.conf" --data-dir "$D/c" "$@"; }

bench_collector
echo "enrolling $N simulated agents..." >&2
bench_sims "$N"
kill -TERM "$CPID"; wait "$CPID" || true
mv "$D/c" "$D/enrolled"
rm -f "$D/enrolled/listen.addr"

# One collector run and the ceiling after it: a JSON line on stdout.
round() {
	local t0 t1 cpu0 cpu1 load stored hwm incidents linked ceil

	rm -rf "$D/c" "$D/ceiling.db"*
	cp -a "$D/enrolled" "$D/c"
	bench_collector
	sleep 0.5
	echo "round $1: sending $((N * M)) events..." >&2
	cpu0=$(cpu_s "$CPID")
	t0=$(date +%s.%N)
	load=$("$P" load --collector "$ADDR" --keys "$D/keys" --agents "$N" \
	    --events "$M" --batch "$BATCH" --pad "$PAD" $ALERT)
	t1=$(date +%s.%N)
	stored=$(cc events --count)
	cpu1=$(cpu_s "$CPID")
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$CPID/status")
	kill -TERM "$CPID"; wait "$CPID" || true
	incidents=$(cc incidents list --json | wc -l)
	linked=$(cc incidents list --json | python3 -c \
	    'import json,sys; print(sum(json.loads(l)["alerts"] for l in sys.stdin))')
	cc audit verify >/dev/null || echo "AUDIT VERIFY FAILED" >&2
	ceil=$("$B/tests/bench_ceiling" "$D/c/collector.db" "$D/ceiling.db" 5000)
	printf '{"t0":%s,"t1":%s,"cpu":%s,"stored":%s,"hwm":%s,"incidents":%s,"links":%s,"load":%s,"ceil":%s}\n' \
	    "$t0" "$t1" "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {print b - a}')" "$stored" "$hwm" \
	    "$incidents" "$linked" "$load" "$ceil"
}

for ((r = 1; r <= ROUNDS; r++)); do
	round "$r" >>"$D/rounds.json"
done

python3 - "$D/rounds.json" "$N" "$M" "$KIND" "${CORRELATION:-yes}" <<'PY'
import json, statistics, sys
rounds = [json.loads(l) for l in open(sys.argv[1])]
n, m, kind, corr = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
for i, r in enumerate(rounds, 1):
    r["rate"] = r["stored"] / (r["t1"] - r["t0"])
    r["ceil_rate"] = r["ceil"]["rows_per_s"]
    r["us"] = r["cpu"] * 1e6 / max(r["stored"], 1)
    lost = "nothing lost" if r["stored"] == n * m else f"LOST {n * m - r['stored']}"
    print(f"round {i}:   collector {r['rate']:,.0f} events/s ({r['stored']} of {n*m} committed, {lost}, "
          f"{r['t1'] - r['t0']:.2f} s), then ceiling {r['ceil_rate']:,.0f} rows/s: "
          f"{r['rate'] / r['ceil_rate']:.2f}; collector CPU {r['us']:.1f} us/event")
ratios = [r["rate"] / r["ceil_rate"] for r in rounds]
rate = statistics.median(r["rate"] for r in rounds)
ceil = statistics.median(r["ceil_rate"] for r in rounds)
us = statistics.median(r["us"] for r in rounds)
hwm = max(r["hwm"] for r in rounds)
stored = min(r["stored"] for r in rounds)
last = rounds[-1]
print(f"collector: median {rate:,.0f} events/s from {n} agents over {len(rounds)} rounds "
      f"({'nothing lost' if stored == n * m else 'LOST EVENTS'}) (target >= 50,000)")
print(f"ceiling:   bare prepared inserts, same rows, batches of {last['ceil']['batch']}: median {ceil:,.0f} rows/s")
print(f"ratio:     median collector / median ceiling = {rate / ceil:.2f} (target >= 0.5); "
      "per round " + ", ".join(f"{x:.2f}" for x in ratios))
print(f"memory:    collector peak RSS {hwm/1024:.1f} MB (largest of the rounds)")
print(f"cpu:       collector {us:.1f} us of CPU per event (median; user + system, all threads, while sending)")
print(f"events:    {kind}, correlation {corr}: {last['incidents']} incidents, {last['links']} event links")
print(f"wire:      {last['load']['bytes_sent']/last['stored']:.1f} bytes sent per event for "
      f"{last['load']['json_bytes']/last['stored']:.1f} bytes of JSON (uncompressed batches)")
print(json.dumps({"agents": n, "events": n * m, "stored": stored, "rounds": len(rounds),
                  "events_per_s": round(rate), "ceiling_rows_per_s": round(ceil),
                  "ratio": round(rate / ceil, 3), "ratios": [round(x, 3) for x in ratios],
                  "collector_hwm_kb": hwm, "collector_us_per_event": round(us, 2),
                  "kind": kind, "correlation": corr, "incidents": last["incidents"], "links": last["links"]}))
PY
