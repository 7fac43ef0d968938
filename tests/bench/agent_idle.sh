#!/usr/bin/env bash
# Agent at rest with an idle link: resident memory and CPU share.
# Targets (issue 3): under 10 MB RSS and under 0.5% of one core.
#
#   tests/bench/agent_idle.sh [BUILD_DIR] [SECONDS] [link|files]
#
# BUILD_DIR defaults to build-bench (a Release build made if missing).
# Starts a collector and an enrolled agent on 127.0.0.1 with the shipped
# defaults (30 s heartbeat, 200 ms spool poll, the shipped YARA rules
# loaded, the watcher on) except that it watches an empty folder of its
# own and keeps the integrity record of /etc only: "at rest" is after the
# first full scan and baseline, whose cost the scan and integrity
# benchmarks measure. Waits for the link and the baseline, then reads the
# agent's CPU time from /proc before and after SECONDS (default 60) and
# its VmRSS / VmHWM. The network sensor is on, as shipped (the default
# route's interface, the shipped traffic rules and lists, or NET_RULES
# if set: a rules file or folder; NET=no turns it off); its capture
# child is a process of its own, measured the same way and reported
# beside the agent.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
S=${2:-60}
MODE=${3:-files}	# link: file watching and integrity off (issue 3's agent)
if [ ! -x "$B/vigil-agent" ]; then
	cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$B" -j"$(nproc)" >/dev/null
fi
D=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
"$B/vigil-collector" --data-dir "$D/c" --listen 127.0.0.1:0 run 2>"$D/c.log" &
for _ in $(seq 50); do [ -s "$D/c/listen.addr" ] && break; sleep 0.1; done
J=$("$B/vigil-collector" --data-dir "$D/c" enroll-token --name idle --json)
TOK=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<<"$J")
FPR=$(sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' <<<"$J")
"$B/vigil-agent" --data-dir "$D/a" enroll --collector "$(cat "$D/c/listen.addr")" \
	--token "$TOK" --fingerprint "$FPR" >/dev/null
mkdir -p "$D/watched"
if [ "$MODE" = link ]; then
	printf '[files]\nenabled = no\n[integrity]\nenabled = no\n' >"$D/agent.conf"
else
	printf '[files]\nwatch = %s\n[integrity]\npath = /etc\n' "$D/watched" >"$D/agent.conf"
fi
[ -n "${NET_RULES:-}" ] && printf '[network]\nrules = %s\n' "$NET_RULES" >>"$D/agent.conf"
[ "${NET:-yes}" = no ] && printf '[network]\nenabled = no\n' >>"$D/agent.conf"
"$B/vigil-agent" -c "$D/agent.conf" --data-dir "$D/a" run 2>"$D/a.log" &
APID=$!
for _ in $(seq 50); do
	"$B/vigil-agent" --data-dir "$D/a" status --json | grep -q '"link_state":"connected"' && break
	sleep 0.1
done
for _ in $(seq 300); do
	[ "$MODE" = link ] || grep -q "integrity: baseline" "$D/a.log" && break
	sleep 0.2
done
sleep 5
echo "$(grep -c . "$D/a.log") log lines; watcher: $(grep -o 'watching with [a-z]*' "$D/a.log")" >&2
for _ in $(seq 600); do
	[ "${NET:-yes}" = no ] && break
	grep -q "capture: running\|no default route" "$D/a.log" && break
	sleep 0.2
done
KPID=$(pgrep -P "$APID" -f capture-child || true)
TCK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
c0=$(cpu "$APID")
[ -n "$KPID" ] && k0=$(cpu "$KPID")
sleep "$S"
c1=$(cpu "$APID")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$APID/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$APID/status")
if [ -n "$KPID" ]; then
	k1=$(cpu "$KPID")
	krss=$(awk '/^VmRSS/ {print $2}' "/proc/$KPID/status")
	khwm=$(awk '/^VmHWM/ {print $2}' "/proc/$KPID/status")
	awk -v c0="$k0" -v c1="$k1" -v t="$TCK" -v s="$S" -v rss="$krss" \
	    -v hwm="$khwm" -v l="$(grep -o '[0-9]* traffic rules.*' "$D/a.log" | tail -1)" 'BEGIN {
		printf "capture child (%s) idle for %d s: cpu %.3f%% of a core, rss %.1f MB, peak rss %.1f MB\n",
			l, s, (c1 - c0) / t / s * 100, rss / 1024, hwm / 1024
	}'
else
	echo "no capture child: $(grep -c 'capture' "$D/a.log") capture log lines"
fi
awk -v mode="$MODE" -v c0="$c0" -v c1="$c1" -v t="$TCK" -v s="$S" -v rss="$rss" -v hwm="$hwm" 'BEGIN {
	pct = (c1 - c0) / t / s * 100
	printf "agent (" mode ") idle for %d s: cpu %.3f%% of a core (target < 0.5%%), rss %.1f MB, peak rss %.1f MB (target < 10 MB)\n",
		s, pct, rss / 1024, hwm / 1024
	printf "{\"mode\":\"%s\",\"seconds\":%d,\"cpu_pct\":%.3f,\"rss_kb\":%d,\"hwm_kb\":%d}\n", mode, s, pct, rss, hwm
}'
