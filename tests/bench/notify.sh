#!/usr/bin/env bash
# Early warning latency: from `vigil-agent emit` of an alert that opens a
# high incident to the webhook's arrival at an HTTPS server on loopback
# (a certificate of the run's own CA), while AGENTS simulated agents send
# RATE events/s in all (vigil-peer load --rate, paced per agent, `test`
# events in batches of 10). Each sample is a new rule, so a new incident;
# the path is the whole one: the agent's spool and uplink, the
# collector's event loop, the writer's commit with correlation, the hand
# off to the notifier, its read of the incident, the HTTPS POST.
# Target (issue 9): p99 under 1 s at 10,000 events/s from 200 agents.
#
#   tests/bench/notify.sh [BUILD_DIR] [AGENTS] [RATE] [SAMPLES] [GAP_S]
#
# Defaults: build-bench (Release, built if missing), 200 agents, 10,000
# events/s, 100 samples 0.5 s apart (about a minute of load).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
N=${2:-200}
RATE=${3:-10000}
SAMPLES=${4:-100}
GAP=${5:-0.5}
. tests/bench/lib.sh
bench_build "$B" tests/vigil-peer vigil-agent
bench_tmp
C=$B/vigil-collector
A=$B/vigil-agent
P=$B/tests/vigil-peer
SINK=tests/tools/notify_sink.py

python3 "$SINK" certs "$D"
python3 "$SINK" https --cert "$D/srv.crt" --key "$D/srv.key" \
    --port-file "$D/hook.port" --log "$D/hook.log" 2>"$D/hook.err" &
for _ in $(seq 50); do [ -s "$D/hook.port" ] && break; sleep 0.1; done

cat >"$D/c.conf" <<EOC
[quota]
events_per_second = 1000000
bytes_per_second = 1G
[collector]
source_handshakes = 100000
source_connections = 100000
[notify]
syslog = no
webhook = https://127.0.0.1:$(cat "$D/hook.port")/hook
webhook_template = {"text": "{{title}}"}
ca_file = $D/ca.crt
rate = 10000
EOC
printf '[uplink]\nheartbeat = 5s\n[spool]\npoll = 50ms\n[files]\nenabled = no\n[integrity]\nenabled = no\n' >"$D/a.conf"
bench_collector
echo "enrolling $N simulated agents and one real one..." >&2
bench_sims "$N"
J=$(bench_token pc-bench)
bench_field token <<<"$J" | "$A" -c "$D/a.conf" --data-dir "$D/a" enroll \
    --collector "$ADDR" --token-file - \
    --fingerprint "$(bench_field fingerprint <<<"$J")" >/dev/null
"$A" -c "$D/a.conf" --data-dir "$D/a" run 2>"$D/a.log" &

SECS=$(python3 -c "import math; print(math.ceil($SAMPLES * $GAP) + 15)")
PER=$((RATE * SECS / N))
echo "load: $N agents, $RATE events/s for about ${SECS}s ($PER events each)" >&2
t0=$(date +%s.%N)
"$P" load --collector "$ADDR" --keys "$D/keys" --agents "$N" --events "$PER" \
    --batch 10 --rate "$RATE" >"$D/load.json" &
LPID=$!
sleep 5				# the load is on
: >"$D/emits"
for ((i = 1; i <= SAMPLES; i++)); do
	printf '%s %s\n' "$i" "$(date +%s.%N)" >>"$D/emits"
	"$A" -c "$D/a.conf" --data-dir "$D/a" emit --type alert --severity 1 \
	    --sid $((100000 + i)) --signature "bench $i" >/dev/null
	sleep "$GAP"
done
sleep 3
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
wait "$LPID" || echo "LOAD FAILED" >&2
t1=$(date +%s.%N)
STORED=$("$C" -c "$D/c.conf" --data-dir "$D/c" events --count --type test)
kill -TERM "$CPID"; wait "$CPID" || true

python3 - "$D/emits" "$D/hook.log" "$STORED" "$t0" "$t1" "$N" "$RATE" "$LOADAVG" "$(nproc)" <<'PY'
import json, sys
emits = {int(l.split()[0]): float(l.split()[1]) for l in open(sys.argv[1])}
got = {}
for l in open(sys.argv[2]):
    j = json.loads(l)
    t = json.loads(j["body"])["text"]
    if t.startswith("bench "):
        got.setdefault(int(t.split()[1]), j["t"])
lat = sorted(got[i] - emits[i] for i in emits if i in got)
stored, t0, t1 = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000
print(f"samples:   {len(lat)} of {len(emits)} alerts notified")
print(f"latency:   emit to webhook p50 {pct(50):.0f} ms, p99 {pct(99):.0f} ms, max {lat[-1]*1000:.0f} ms (target p99 < 1000 ms)")
print(f"load:      {stored} test events stored in {t1-t0:.1f} s = {stored/(t1-t0):,.0f} events/s from {sys.argv[6]} agents (asked {int(sys.argv[7]):,}/s)")
print(f"machine:   {sys.argv[9]} cores, load average at the end {sys.argv[8]}")
print(json.dumps({"samples": len(lat), "p50_ms": round(pct(50)), "p99_ms": round(pct(99)),
                  "max_ms": round(lat[-1] * 1000), "events_per_s": round(stored / (t1 - t0)),
                  "agents": int(sys.argv[6])}))
PY
