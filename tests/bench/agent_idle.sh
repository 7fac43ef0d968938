#!/usr/bin/env bash
# Agent at rest with an idle link: resident memory and CPU share.
# Targets (issue 3): under 10 MB RSS and under 0.5% of one core.
#
#   tests/bench/agent_idle.sh [BUILD_DIR] [SECONDS] [link|files|net]
#
# BUILD_DIR defaults to build-bench (a Release build made if missing).
# Starts a collector and an enrolled agent on 127.0.0.1 with the shipped
# defaults (30 s heartbeat, 200 ms spool poll, the shipped YARA rules
# loaded, the watcher on) except that it watches an empty folder of its
# own and keeps the integrity record of /etc only: "at rest" is after the
# first full scan and baseline, whose cost the scan and integrity
# benchmarks measure. Waits for the link and the baseline, then reads the
# agent's CPU time from /proc before and after SECONDS (default 60) and
# its VmRSS / VmHWM, and its PSS from smaps_rollup.
#
# Modes: link: file watching and integrity off (issue 3's agent);
# files: on. The network sensor is on, as shipped (the default route's
# interface, the shipped traffic rules and lists, or NET_RULES if set: a
# rules file or folder; NET=no turns it off). net: files, and the network
# sensor with the shipped [network] defaults capturing on a quiet link:
# one end of a veth pair whose other end sits in a network namespace the
# script makes (NET_IFACE=lo to capture on the loopback instead, which
# carries the agent's own link to the collector).
#
# The capture child, the scan worker and the uplink worker are processes of their own,
# measured the same way and reported beside the daemon, and all together. RSS counts every
# page mapped, shared library pages included, so the sum counts the
# libraries both map twice; PSS divides each shared page among the
# processes that map it, and sums honestly. SMAPS=1 adds a table of
# where each process's resident memory lies (by mapping).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
S=${2:-60}
MODE=${3:-files}
case $MODE in link|files|net) ;; *) echo "mode: link, files or net" >&2; exit 2 ;; esac
if [ ! -x "$B/vigil-agent" ]; then
	cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$B" -j"$(nproc)" >/dev/null
fi
D=$(mktemp -d)
NS=
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
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
IFACE=
if [ "$MODE" = net ]; then
	IFACE=${NET_IFACE:-}
	if [ -z "$IFACE" ]; then
		# a link nothing speaks on: its peer is alone in a namespace
		NS=vigil-idle-$$
		IFACE=vidle$$
		ip netns add "$NS"
		ip link add "$IFACE" type veth peer name vpeer netns "$NS"
		ip link set "$IFACE" up
		ip -n "$NS" link set vpeer up
	fi
	printf '[network]\nenabled = yes\ninterface = %s\n' "$IFACE" >>"$D/agent.conf"
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
for _ in $(seq 600); do
	[ "${NET:-yes}" = no ] && break
	grep -q "capture: running\|no default route" "$D/a.log" && break
	sleep 0.2
done
sleep 5
echo "$(grep -c . "$D/a.log") log lines; watcher: $(grep -o 'watching with [a-z]*' "$D/a.log" || true)${IFACE:+; capturing on $IFACE}" >&2
# the daemon's children: the capture child, the scan and uplink workers
KPID=$(pgrep -P "$APID" -x vigil-capture | head -1 || true)
WPID=$(pgrep -P "$APID" -x vigil-scan | head -1 || true)
UPID=$(pgrep -P "$APID" -x vigil-uplink | head -1 || true)
TCK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/$3"; }
c0=$(cpu "$APID")
[ -n "$KPID" ] && k0=$(cpu "$KPID")
[ -n "$WPID" ] && w0=$(cpu "$WPID")
[ -n "$UPID" ] && u0=$(cpu "$UPID")
sleep "$S"
c1=$(cpu "$APID")
# one line per process: name, cpu %, rss, hwm, pss (kB)
measure() {
	awk -v n="$1" -v c0="$2" -v c1="$3" -v t="$TCK" -v s="$S" \
	    -v rss="$(kb "$4" VmRSS status)" -v hwm="$(kb "$4" VmHWM status)" \
	    -v pss="$(kb "$4" Pss smaps_rollup)" \
	    'BEGIN { printf "%s %.3f %d %d %d\n", n, (c1 - c0) / t / s * 100, rss, hwm, pss }'
}
{
	measure daemon "$c0" "$c1" "$APID"
	if [ -n "$KPID" ]; then
		measure capture "$k0" "$(cpu "$KPID")" "$KPID"
	fi
	if [ -n "$WPID" ]; then
		measure scan "$w0" "$(cpu "$WPID")" "$WPID"
	fi
	if [ -n "$UPID" ]; then
		measure uplink "$u0" "$(cpu "$UPID")" "$UPID"
	fi
} >"$D/m"
# where the resident memory lies, by mapping (file, or heap, stack, anon)
smaps_table() {
	awk '
	/^[0-9a-f]+-[0-9a-f]+ / {
		name = NF >= 6 ? $6 : "[anon]"
		sub(/.*\//, "", name)
		next
	}
	$1 == "Rss:" { rss[name] += $2 }
	$1 == "Pss:" { pss[name] += $2 }
	END { for (k in rss) if (rss[k] > 0) printf "%8d %8d  %s\n", rss[k], pss[k], k }
	' "/proc/$1/smaps" | sort -rn | head -"${SMAPS_LINES:-14}"
}
if [ "${SMAPS:-0}" = 1 ]; then
	for p in "$APID" $KPID $WPID $UPID; do
		echo "smaps of $([ "$p" = "$APID" ] && echo daemon || cat "/proc/$p/comm") (kB): rss pss mapping" >&2
		smaps_table "$p" >&2
	done
fi
[ -n "$KPID" ] || echo "no capture child: $(grep -c 'capture' "$D/a.log") capture log lines" >&2
awk -v mode="$MODE" -v s="$S" -v l="$(grep -o '[0-9]* traffic rules.*' "$D/a.log" | tail -1)" '
{ name[NR] = $1; cpu[NR] = $2; rss[NR] = $3; hwm[NR] = $4; pss[NR] = $5
  tc += $2; tr += $3; tp += $5 }
END {
	for (i = 1; i <= NR; i++)
		printf "%s (%s) idle for %d s: cpu %.3f%% of a core, rss %.1f MB, pss %.1f MB, peak rss %.1f MB%s\n",
			name[i], mode, s, cpu[i], rss[i] / 1024, pss[i] / 1024, hwm[i] / 1024,
			name[i] == "capture" ? " (" l ")" : name[i] == "scan" ? " (the scan worker: YARA and the compiled rules)" : name[i] == "uplink" ? " (the uplink worker: handshake, channel, ACKs)" : " (targets: cpu < 0.5%, rss < 10 MB)"
	if (NR > 1)
		printf "together: cpu %.3f%% of a core, rss %.1f MB (shared pages twice), pss %.1f MB\n",
			tc, tr / 1024, tp / 1024
	printf "{\"mode\":\"%s\",\"seconds\":%d,\"cpu_pct\":%.3f,\"rss_kb\":%d,\"hwm_kb\":%d,\"pss_kb\":%d", mode, s, cpu[1], rss[1], hwm[1], pss[1]
	for (i = 2; i <= NR; i++)
		printf ",\"%s\":{\"cpu_pct\":%.3f,\"rss_kb\":%d,\"hwm_kb\":%d,\"pss_kb\":%d}", name[i], cpu[i], rss[i], hwm[i], pss[i]
	printf "}\n"
}' "$D/m"
