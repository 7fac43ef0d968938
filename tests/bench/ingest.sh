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
. tests/bench/lib.sh
bench_build "$B" tests/vigil-peer tests/bench_ceiling
bench_tmp
C=$B/vigil-collector
P=$B/tests/vigil-peer

printf '[quota]\nevents_per_second = 1000000\nbytes_per_second = 1G\n' \
    >"$D/c.conf"
printf '[correlation]\nenabled = %s\n' "${CORRELATION:-yes}" >>"$D/c.conf"
# 200 simulated agents on one address: enrollments and connections at once
printf '[collector]\nsource_handshakes = 100000\nsource_connections = 100000\n' >>"$D/c.conf"
ALERT=""
[ "$KIND" = alert ] && ALERT=--alert
bench_collector
echo "enrolling $N simulated agents..." >&2
bench_sims "$N"

echo "sending $((N * M)) events..." >&2
t0=$(date +%s.%N)
LOAD=$("$P" load --collector "$ADDR" --keys "$D/keys" --agents "$N" --events "$M" --batch "$BATCH" --pad "$PAD" $ALERT)
t1=$(date +%s.%N)
STORED=$("$C" -c "$D/c.conf" --data-dir "$D/c" events --count)
HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$CPID/status")
# the collector's CPU time (user + system, all threads), a figure the
# machine's other load disturbs less than the wall-clock rate
CPU=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$CPID/stat")
kill -TERM "$CPID"; wait "$CPID" || true
INCIDENTS=$("$C" -c "$D/c.conf" --data-dir "$D/c" incidents list --json | wc -l)
LINKED=$("$C" -c "$D/c.conf" --data-dir "$D/c" incidents list --json |
    python3 -c 'import json,sys; print(sum(json.loads(l)["alerts"] for l in sys.stdin))')
"$C" -c "$D/c.conf" --data-dir "$D/c" audit verify >/dev/null || echo "AUDIT VERIFY FAILED" >&2

CEIL=$("$B/tests/bench_ceiling" "$D/c/collector.db" "$D/ceiling.db" 5000)

python3 - "$LOAD" "$CEIL" "$STORED" "$HWM" "$t0" "$t1" "$N" "$M" "$KIND" "${CORRELATION:-yes}" "$INCIDENTS" "$LINKED" "$CPU" <<'PY'
import json, sys
load, ceil = json.loads(sys.argv[1]), json.loads(sys.argv[2])
kind, corr, incidents, linked = sys.argv[9], sys.argv[10], int(sys.argv[11]), int(sys.argv[12])
stored, hwm, t0, t1, n, m = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
cpu = float(sys.argv[13])
rate = stored / (t1 - t0)
print(f"collector: {stored} of {n*m} events committed ({'nothing lost' if stored == n*m else 'LOST ' + str(n*m - stored)}) "
      f"in {t1-t0:.2f} s = {rate:,.0f} events/s from {n} agents (target >= 50,000)")
print(f"ceiling:   bare prepared inserts, same rows, batches of {ceil['batch']}: {ceil['rows_per_s']:,.0f} rows/s")
print(f"ratio:     collector / ceiling = {rate / ceil['rows_per_s']:.2f} (target >= 0.5)")
print(f"memory:    collector peak RSS {hwm/1024:.1f} MB")
print(f"cpu:       collector {cpu:.2f} s of CPU in all (enrollment included) = {cpu * 1e6 / stored:.1f} us per event")
print(f"events:    {kind}, correlation {corr}: {incidents} incidents, {linked} event links")
print(f"wire:      {load['bytes_sent']/stored:.1f} bytes sent per event for {load['json_bytes']/stored:.1f} bytes of JSON (uncompressed batches)")
print(json.dumps({"agents": n, "events": n*m, "stored": stored, "seconds": round(t1-t0, 3),
                  "events_per_s": round(rate), "ceiling_rows_per_s": ceil["rows_per_s"],
                  "ratio": round(rate / ceil["rows_per_s"], 3), "collector_hwm_kb": hwm,
                  "collector_cpu_s": cpu,
                  "kind": kind, "correlation": corr, "incidents": incidents, "links": linked}))
PY
