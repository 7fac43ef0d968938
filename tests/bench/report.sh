#!/usr/bin/env bash
# The periodic report on a province-sized store (issue 11: the province's
# monthly report in every format under 5 s, memory stated).
#
#   tests/bench/report.sh [BUILD_DIR]
#
# BUILD_DIR defaults to build-bench (a Release build is made if missing).
# The store is the one tests/bench/register.sh makes with bench_regfill
# (REG_DIR, default /var/tmp/vigil-reg: 2,000 agents in 200 communes,
# 10,000,000 events over the last 365 days, 100,000 incidents); it is
# made here the same way if missing, and kept. MONTH defaults to the last
# whole month. Each report runs RUNS times (default 3) through the real
# command, output to a file; the median and worst wall time and the peak
# RSS (GNU time) are printed, page cache warm (the first, cold run of
# the province's is shown apart).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
REG_DIR=${REG_DIR:-/var/tmp/vigil-reg}
RUNS=${RUNS:-3}
export TZ=${TZ:-Asia/Ho_Chi_Minh}
MONTH=${MONTH:-$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)}
OFFICE=${OFFICE:-Xã 007}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ ! -x "$B/vigil-collector" ] || [ ! -x "$B/tests/bench_regfill" ]; then
	cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release -DVIGIL_TESTS=ON >/dev/null
	cmake --build "$B" -j8 --target vigil-collector bench_regfill >/dev/null
fi
if [ ! -s "$REG_DIR/collector.db" ]; then
	mkdir -p "$REG_DIR"
	chmod 700 "$REG_DIR"
	echo "filling $REG_DIR/collector.db (as tests/bench/register.sh does)"
	"$B/tests/bench_regfill" "$REG_DIR/collector.db" "${EVENTS:-10000000}" \
		"${INCIDENTS:-100000}" "${AGENTS:-2000}" "${OFFICES:-200}"
fi
C=("$B/vigil-collector" --data-dir "$REG_DIR")
printf 'store: %s (%s MB); month %s, TZ %s; %s cores, load average %s\n' \
	"$REG_DIR/collector.db" "$(($(stat -c %s "$REG_DIR/collector.db") / 1048576))" \
	"$MONTH" "$TZ" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"

# once: the time in seconds and the peak RSS in KB of one run
once() {
	/usr/bin/time -f '%e %M' -o "$OUT/time" "${C[@]}" report "$@" \
		-o "$OUT/report" 2>/dev/null
	cat "$OUT/time"
}

sync
[ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches
read -r s kb <<<"$(once --month "$MONTH" --format json)"
printf '%-44s %8s %8s %8s %9s\n' report "cold s" "median" "worst" "peak RSS"
printf '%-44s %8s %8s %8s %6d MB\n' "province json (page cache dropped)" "$s" "" "" $((kb / 1024))

run() {
	local name=$1 ts=() kbs=() i s kb
	shift
	for ((i = 0; i < RUNS; i++)); do
		read -r s kb <<<"$(once "$@")"
		ts+=("$s")
		kbs+=("$kb")
	done
	python3 - "$name" "$(stat -c %s "$OUT/report")" "${#ts[@]}" "${ts[@]}" "${kbs[@]}" <<'EOP'
import sys
name, size, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ts = sorted(float(t) for t in sys.argv[4:4 + n])
kb = max(int(k) for k in sys.argv[4 + n:])
print("%-44s %8s %8.2f %8.2f %6d MB  %7d bytes  %s" % (name, "", ts[len(ts) // 2],
      ts[-1], kb // 1024, size, "ok" if ts[-1] < 5 else "OVER 5 s"))
EOP
}

for f in json md csv html pdf; do
	run "province, $MONTH, $f" --month "$MONTH" --format "$f"
done
for f in json md csv html pdf; do
	run "$OFFICE, $MONTH, $f" --month "$MONTH" --office "$OFFICE" --format "$f"
done
run "province, quarter, json" --quarter "$(date -d "$MONTH-01" +%Y)-Q$(( ($(date -d "$MONTH-01" +%-m) - 1) / 3 + 1 ))" --format json
run "province, half, json" --half "$(date -d "$MONTH-01" +%Y)-H$(( ($(date -d "$MONTH-01" +%-m) - 1) / 6 + 1 ))" --format json
run "province, year, json" --year "$(date -d "$MONTH-01" +%Y)" --format json
