# lib.sh: shared helpers for the integration tests (sourced, not run).
#
# Environment: VIGIL_BIN = the cmake build directory (programs at
# $VIGIL_BIN/vigil-collector, $VIGIL_BIN/vigil-agent, tools at
# $VIGIL_BIN/tests/<tool>); VIGIL_SRC = the source directory.
#
#   T                    this test's scratch directory (removed on exit)
#   start_collector D [ARGS]   start a collector with data dir D on
#                        127.0.0.1 (port 0, or ARGS' --listen); sets CPID and
#                        CADDR; its stderr goes to D.log
#   stop_collector [SIG] stop it (default TERM) and wait
#   enroll_agent D NAME OFFICE  enroll an agent with data dir D to the
#                        running collector
#   start_agent D        run the agent with data dir D (stderr to D.log);
#                        sets APID_<basename D>
#   count [ARGS]         vigil-collector events --count ARGS
#   wait_for DESC SECS CMD...   retry CMD every 0.2 s until it succeeds
#   each_watcher FN      FN inotify, then FN fanotify when root
#   check DESC CMD...    run CMD: print PASS/FAIL; failures make the test fail
#   files_conf F W [L..] an agent config scanning folder W
#   finish               print the summary and exit with the right status
#   peer_enroll KEY NAME enroll vigil-peer's key KEY (created if absent) as
#                        NAME, office lab, to the running collector
#   stop_status          stop the collector with SIGTERM; its exit status
#   indent TEXT          TEXT with each line indented, for the log
#   peer_deliver KEY     vigil-peer sends 100 events as KEY, numbered on
#                        from the last call (PEER_NEXT); all acknowledged?
#   finish_collector LOG the collector still runs, exits cleanly on SIGTERM
#                        and left no sanitizer report in LOG; then finish

set -u
BIN=${VIGIL_BIN:?set VIGIL_BIN to the build directory}
SRC=${VIGIL_SRC:?set VIGIL_SRC to the source directory}
COLLECTOR=$BIN/vigil-collector
AGENT=$BIN/vigil-agent
PEER=$BIN/tests/vigil-peer
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-it.XXXXXX")
FAILS=0
PASSES=0
CD=""
CPID=""
CADDR=""
declare -A APIDS=()

cleanup() {
	local p i
	for p in "${APIDS[@]}" $CPID; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for ((i = 0; i < 50; i++)); do
		[ -z "$(jobs -pr)" ] && break
		sleep 0.1
	done
	for p in $(jobs -pr); do
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "$FAILS" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "scratch directory kept: $T"
	fi
}
trap cleanup EXIT

log() { printf '%s %s\n' "$(date +%T.%N | cut -c1-12)" "$*"; }

check() {
	local desc=$1
	shift
	if "$@"; then
		PASSES=$((PASSES + 1))
		log "PASS: $desc"
	else
		FAILS=$((FAILS + 1))
		log "FAIL: $desc"
	fi
}

finish() {
	log "$PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
	exit $?
}

wait_for() {
	local desc=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	log "timed out after ${secs}s waiting for: $desc"
	return 1
}

each_watcher() {
	"$1" inotify
	if [ "$(id -u)" -eq 0 ]; then
		"$1" fanotify
	else
		log "SKIP: fanotify case needs root"
	fi
}

# A config file for quick tests: short timeouts and backoff; per-agent
# quotas out of reach (quota.sh tests them), so that tests which count
# every event and time their delivery see no agent_health events.
# [collector] comes last: a test may append to it.
write_collector_conf() {
	cat >"$1" <<EOC
[quota]
events_per_second = 1000000
bytes_per_second = 1G
[collector]
handshake_timeout = ${HS_TIMEOUT:-5s}
idle_timeout = ${IDLE_TIMEOUT:-60s}
EOC
}

write_agent_conf() {
	cat >"$1" <<EOC
[uplink]
heartbeat = ${HEARTBEAT:-2s}
backoff_min = 1s
backoff_max = ${BACKOFF_MAX:-2s}
[spool]
poll = 50ms
[files]
enabled = no
[integrity]
enabled = no
[network]
enabled = no
EOC
}

# files_conf FILE WATCHED [LINE...]: write_agent_conf FILE, then file
# scanning of WATCHED with the shipped rules and a 100 ms debounce, each
# LINE added to [files]; integrity off.
files_conf() {
	local f=$1 w=$2
	shift 2
	write_agent_conf "$f"
	printf '[files]\nenabled = yes\nwatch = %s\nrules = %s/rules/yara\n' \
		"$w" "$SRC" >>"$f"
	printf 'local_rules =\ndebounce = 100ms\n' >>"$f"
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$f"
	printf '[integrity]\nenabled = no\n' >>"$f"
}

start_collector() {
	local d=$1
	shift
	CD=$d
	mkdir -p "$d"
	[ -f "$T/collector.conf" ] || write_collector_conf "$T/collector.conf"
	rm -f "$d/listen.addr"
	local listen=127.0.0.1:0
	[ -n "$CADDR" ] && listen=$CADDR
	"$COLLECTOR" -c "$T/collector.conf" --data-dir "$d" --listen "$listen" "$@" run 2>>"$d.log" &
	CPID=$!
	wait_for "collector listening" 20 test -s "$d/listen.addr" || return 1
	CADDR=$(cat "$d/listen.addr")
}

stop_collector() {
	[ -n "$CPID" ] || return 0
	kill -"${1:-TERM}" "$CPID" 2>/dev/null || true
	wait "$CPID" 2>/dev/null || true
	CPID=""
}

coll() { "$COLLECTOR" -c "$T/collector.conf" --data-dir "$CD" "$@"; }

enroll_agent() {
	local d=$1 name=$2 office=$3 tok token fpr
	mkdir -p "$d"
	[ -f "$T/agent.conf" ] || write_agent_conf "$T/agent.conf"
	tok=$(coll enroll-token --name "$name" --office "$office" --json) || return 1
	token=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<<"$tok")
	fpr=$(sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' <<<"$tok")
	printf '%s\n' "$token" | "$AGENT" -c "$T/agent.conf" --data-dir "$d" \
		enroll --collector "$CADDR" --token-file - --fingerprint "$fpr" >/dev/null
}

agent() { local d=$1; shift; "$AGENT" -c "$T/agent.conf" --data-dir "$d" "$@"; }

start_agent() {
	local d=$1
	"$AGENT" -c "$T/agent.conf" --data-dir "$d" run 2>>"$d.log" &
	APIDS[$d]=$!
}

stop_agent() {
	local d=$1
	[ -n "${APIDS[$d]:-}" ] || return 0
	kill -"${2:-TERM}" "${APIDS[$d]}" 2>/dev/null || true
	wait "${APIDS[$d]}" 2>/dev/null || true
	unset "APIDS[$d]"
}

count() { coll events --count "$@"; }

# check_confined WHO PID: the process has no capability, runs under a
# seccomp filter with no_new_privs; when the test is root, also not as
# root and with an empty bounding set.
check_confined() {
	local who=$1 status=/proc/$2/status
	check "$who has no capabilities" \
		grep -q "^CapEff:[[:space:]]*0000000000000000" "$status"
	check "$who is under a seccomp filter" \
		grep -q "^Seccomp:[[:space:]]*2" "$status"
	check "$who has no_new_privs" grep -q "^NoNewPrivs:[[:space:]]*1" "$status"
	if [ "$(id -u)" -eq 0 ]; then
		check "$who is not root" \
			awk '/^Uid:/ { exit !($2 != 0 && $3 != 0 && $4 != 0) }' "$status"
		check "$who's bounding set is empty" \
			grep -q "^CapBnd:[[:space:]]*0000000000000000" "$status"
	fi
}

# count_is N [ARGS]: the store holds exactly N matching events.
count_is() { local n=$1; shift; [ "$(count "$@")" = "$n" ]; }

indent() { sed 's/^/    /' <<<"$1"; }

peer_enroll() {
	local key=$1 name=$2 j tok fpr out rc

	j=$(coll enroll-token --name "$name" --office lab --json) || return 1
	tok=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<<"$j")
	fpr=$(sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' <<<"$j")
	out=$(timeout 20 "$PEER" enroll --collector "$CADDR" --token "$tok" \
	    --fingerprint "$fpr" --key "$key" 2>&1)
	rc=$?
	indent "$out"
	return $rc
}

# stop_collector discards the exit status; this returns it.
stop_status() {
	local pid=$CPID

	CPID=""
	kill -TERM "$pid" && wait "$pid"
}

no_sanitizer_report() {
	! grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$1"
}

finish_collector() {
	check "collector still running at the end" kill -0 "$CPID"
	check "collector exits cleanly on SIGTERM" stop_status
	check "no sanitizer report in the collector log" no_sanitizer_report "$1"
	finish
}

PEER_NEXT=1
peer_deliver() {
	local out rc

	out=$(timeout -k 5 40 "$PEER" send --collector "$CADDR" --key "$1" \
	    --count 100 --start "$PEER_NEXT" 2>&1)
	rc=$?
	indent "$out"
	PEER_NEXT=$((PEER_NEXT + 100))
	return $rc
}
