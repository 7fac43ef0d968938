#!/usr/bin/env bash
# The incident register's queries on a province-sized store (issue 9:
# `incidents list` with filters and `incidents show` under 100 ms each on
# 10,000,000 events and 100,000 incidents).
#
#   tests/bench/register.sh [BUILD_DIR]
#
# BUILD_DIR defaults to build-bench (a Release build is made if missing).
# The store is made once by bench_regfill in REG_DIR (default
# /var/tmp/vigil-reg; EVENTS, INCIDENTS, AGENTS, OFFICES as there:
# 10,000,000, 100,000, 2,000, 200) and kept for later runs; delete it to
# make it again. Each query runs RUNS times (default 5) through the real
# command, output to /dev/null; the median and the worst wall time are
# printed, page cache warm (the first, cold run is shown apart). Times
# are whole processes: start, open, query, print, exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
REG_DIR=${REG_DIR:-/var/tmp/vigil-reg}
EVENTS=${EVENTS:-10000000}
INCIDENTS=${INCIDENTS:-100000}
RUNS=${RUNS:-5}

if [ ! -x "$B/vigil-collector" ] || [ ! -x "$B/tests/bench_regfill" ]; then
	cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release -DVIGIL_TESTS=ON >/dev/null
	cmake --build "$B" -j"$(nproc)" --target vigil-collector bench_regfill >/dev/null
fi
if [ ! -s "$REG_DIR/collector.db" ]; then
	mkdir -p "$REG_DIR"
	chmod 700 "$REG_DIR"
	echo "filling $REG_DIR/collector.db: $EVENTS events, $INCIDENTS incidents"
	t0=$(date +%s)
	"$B/tests/bench_regfill" "$REG_DIR/collector.db" "$EVENTS" "$INCIDENTS" \
		"${AGENTS:-2000}" "${OFFICES:-200}"
	echo "filled in $(($(date +%s) - t0)) s"
fi
C=("$B/vigil-collector" --data-dir "$REG_DIR")
MID=$((INCIDENTS / 2))
printf 'store: %s (%s MB); %s cores, load average %s\n' "$REG_DIR/collector.db" \
	"$(($(stat -c %s "$REG_DIR/collector.db") / 1048576))" "$(nproc)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-52s %8s %8s %8s %8s\n' query rows "cold ms" "median" "worst"

# run NAME ARGS...: the query RUNS times
run() {
	local name=$1 rows t i
	shift
	rows=$("${C[@]}" "$@" 2>/dev/null | wc -l)
	local ts=()
	for ((i = 0; i < RUNS; i++)); do
		t=$EPOCHREALTIME
		"${C[@]}" "$@" >/dev/null 2>&1
		ts+=("$(python3 -c "print($EPOCHREALTIME - $t)")")
	done
	python3 - "$name" "$rows" "${ts[@]}" <<'EOP'
import sys
name, rows, ts = sys.argv[1], int(sys.argv[2]), sorted(float(t) * 1000 for t in sys.argv[3:])
print("%-52s %8d %8s %8.0f %8.0f  %s" % (name, rows, "", ts[len(ts) // 2], ts[-1],
      "ok" if ts[-1] < 100 else "OVER 100 ms"))
EOP
}

sync
[ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches
t=$EPOCHREALTIME
"${C[@]}" incidents list --status new >/dev/null 2>&1
printf '%-52s %8s %8.0f\n' "incidents list --status new (page cache dropped)" "" \
	"$(python3 -c "print(($EPOCHREALTIME - $t) * 1000)")"

run "incidents list (all $INCIDENTS)" incidents list
run "incidents list --limit 100" incidents list --limit 100
run "incidents list --status new" incidents list --status new
run "incidents list --severity critical" incidents list --severity critical
run "incidents list --category encryption" incidents list --category encryption
run "incidents list --office 'Xã 007'" incidents list --office "Xã 007"
run "incidents list --agent pc-0007" incidents list --agent pc-0007
run "incidents list --since 7d" incidents list --since 7d
run "incidents list --overdue" incidents list --overdue
run "incidents list --status new --office 'Xã 007' --json" incidents list --status new --office "Xã 007" --json
run "incidents show $MID" incidents show "$MID"
run "incidents show $MID --json" incidents show "$MID" --json
