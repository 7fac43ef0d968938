#!/usr/bin/env bash
# The agent daemon's own full scan of a watched tree, and its warm rescan
# after a restart, side by side with `yara -r -p 2` on the same tree and
# rules in the same run. Issue 4's targets: a warm rescan at least 20
# times faster than yara -r; agent peak RSS during a full scan under
# 64 MB.
#
#   tests/bench/daemon_scan.sh [BUILD_DIR]
#
# BUILD_DIR defaults to build-bench (a Release build is made if missing).
# The tree is TREE, or else tests/bench/scan.sh's (BENCH_DIR, default
# /tmp/vigil-bench-scan; run scan.sh once first to generate it), e.g.
# TREE=DIR/tree after tests/bench/corpus.sh DIR. RULES: the rules folder
# (default: the shipped rules/yara). PRECOMPILE=1: fill the agent's
# compiled-rules cache before the first start (with `vigil-agent scan`),
# so that the first start's peak RSS is its scan's, not the rule
# compiler's.
#
# A collector and an enrolled agent on 127.0.0.1; the agent watches the
# tree (integrity off, shipped defaults otherwise: 2 scan workers). At
# start the agent rescans every watched root, as after a reboot; it logs
# "files: rescanned ROOT: N files, M unchanged ..., in S s" when done. Run
# 1 starts with an empty scan cache (cold: every file is read and
# scanned), run 2 is a restart (warm: the scan cache of run 1). With
# root, the page cache is dropped before each run and before yara's. The
# agent's peak RSS is its VmHWM at the end of each run; "all processes"
# adds the peaks of its workers (vigil-scan, vigil-uplink, vigil-capture:
# each process's own peak, so a sum that may exceed any one moment's) and
# their CPU time (user + system, from /proc) to the daemon's. Without
# vigil-scan beside vigil-agent (NOSCAN=1 hides it for the run) YARA
# runs in the daemon, as before the split. WORKERS: [files] workers, the
# scans at once (default 2, the shipped value).
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
B=${1:-build-bench}
D=${BENCH_DIR:-/tmp/vigil-bench-scan}
RULES=${RULES:-$SRC/rules/yara}
T=${TREE:-$D/tree}
[ -d "$T" ] || { echo "no tree $T: run tests/bench/scan.sh first" >&2; exit 1; }
T=$(cd "$T" && pwd)
command -v yara >/dev/null || { echo "the yara command is needed" >&2; exit 1; }
if [ ! -x "$B/vigil-agent" ]; then
	cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$B" -j"$(nproc)" >/dev/null
fi
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
drop() { if [ -w /proc/sys/vm/drop_caches ]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi; }

"$B/vigil-collector" --data-dir "$W/c" --listen 127.0.0.1:0 run 2>"$W/c.log" &
for _ in $(seq 50); do [ -s "$W/c/listen.addr" ] && break; sleep 0.1; done
J=$("$B/vigil-collector" --data-dir "$W/c" enroll-token --name bench --json)
TOK=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<<"$J")
FPR=$(sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' <<<"$J")
"$B/vigil-agent" --data-dir "$W/a" enroll --collector "$(cat "$W/c/listen.addr")" \
	--token "$TOK" --fingerprint "$FPR" >/dev/null 2>&1
if [ "${PRECOMPILE:-0}" = 1 ]; then
	"$B/vigil-agent" --data-dir "$W/a" scan --rules "$RULES" /dev/null >/dev/null 2>&1 || true
fi
printf '[files]\nwatch = %s\nrules = %s\nlocal_rules =\nworkers = %s\n[integrity]\nenabled = no\n' \
	"$T" "$RULES" "${WORKERS:-2}" >"$W/agent.conf"
NF=$(find "$T" -type f | wc -l)
SZ=$(du -sm "$T" | cut -f1)
echo "tree: $NF files, $SZ MB; rules: $RULES; page cache: $([ -w /proc/sys/vm/drop_caches ] && echo dropped || echo warm)"

# run_agent N: start the agent, wait for its rescan line, print
# "seconds files unchanged hwm_kb"
run_agent() {
	local log=$W/a$1.log pid line
	drop
	"$B/vigil-agent" -c "$W/agent.conf" --data-dir "$W/a" run 2>"$log" &
	pid=$!
	for _ in $(seq 1800); do
		line=$(grep -m1 "files: rescanned $T:" "$log" || true)
		[ -n "$line" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
		sleep 0.1
	done
	[ -n "$line" ] || { echo "no rescan line in 180 s" >&2; exit 1; }
	local hwm all=0 cpu=0 p tck
	tck=$(getconf CLK_TCK)
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	for p in "$pid" $(pgrep -P "$pid" || true); do
		all=$((all + $(awk '/^VmHWM/ {print $2}' "/proc/$p/status")))
		cpu=$((cpu + $(awk '{print $14 + $15}' "/proc/$p/stat")))
		echo "    $(cat /proc/$p/comm): peak RSS $(awk '/^VmHWM/ {print $2}' "/proc/$p/status") kB, cpu $(awk -v t="$tck" '{printf "%.2f", ($14 + $15) / t}' "/proc/$p/stat") s" >&2
	done
	kill -TERM "$pid"
	wait "$pid" || true
	sed -n 's/.*rescanned [^:]*: \([0-9]*\) files, \([0-9]*\) unchanged.* in \([0-9.]*\) s.*/\3 \1 \2/p' <<<"$line" |
		awk -v h="$hwm" -v a="$all" -v c="$cpu" -v t="$tck" '{printf "%s %d %d %.2f\n", $0, h, a, c / t}'
}

if [ "${NOSCAN:-0}" = 1 ] && [ -x "$B/vigil-scan" ]; then
	mv "$B/vigil-scan" "$B/vigil-scan.hidden"
	trap 'mv "$B/vigil-scan.hidden" "$B/vigil-scan"; kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
fi
read -r cs cf cu ch ca cc <<<"$(run_agent 1)"
read -r ws wf wu wh wa wc <<<"$(run_agent 2)"
drop
t0=$(date +%s.%N)
# shellcheck disable=SC2046
yara -r -N -w -p 2 -d filename= -d filepath= -d extension= -d filetype= -d owner= \
	$(find "$RULES" -maxdepth 1 \( -name '*.yar' -o -name '*.yara' \) | LC_ALL=C sort) \
	"$T" >"$W/yara.out" 2>/dev/null || true
t1=$(date +%s.%N)
ys=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
ALERTS=$("$B/vigil-collector" --data-dir "$W/c" events --type alert --count 2>/dev/null || echo "?")

printf '  agent, first start (empty scan cache)  %7.2f s  %d files, %d unchanged  peak RSS %d MB (all processes %d MB, cpu %.2f s)\n' "$cs" "$cf" "$cu" $((ch / 1024)) $((ca / 1024)) "$cc"
printf '  agent, restart (warm scan cache)       %7.2f s  %d files, %d unchanged  peak RSS %d MB (all processes %d MB, cpu %.2f s)\n' "$ws" "$wf" "$wu" $((wh / 1024)) $((wa / 1024)) "$wc"
printf '  yara -r -p 2                           %7.2f s  %d matches\n' "$ys" "$(wc -l <"$W/yara.out")"
printf '  warm rescan, ratio yara/agent: %.1f (target >= 20); alerts stored at the collector: %s\n' \
	"$(awk -v a="$ys" -v b="$ws" 'BEGIN {print a / b}')" "$ALERTS"
printf '{"files":%d,"mb":%d,"agent_cold_s":%s,"agent_warm_s":%s,"yara_s":%s,"cold_hwm_kb":%d,"warm_hwm_kb":%d,"cold_all_hwm_kb":%d,"cold_all_cpu_s":%s,"warm_unchanged":%d}\n' \
	"$NF" "$SZ" "$cs" "$ws" "$ys" "$ch" "$wh" "$ca" "$cc" "$wu"
