# lib.sh: helpers shared by the integration tests. Source it; do not run it.
#
# NOTE: reconstructed on 2026-11-25 after the first version was overwritten
# by mistake; the API below is the one delivery.sh, faults.sh, diskfull.sh
# and bad_input.sh use. Check it against your copy if you have one.
#
# Sourcing it checks VIGIL_BIN (the cmake build directory), sets COLLECTOR,
# AGENT and PEER (the programs), makes T, a fresh directory under
# ${TMPDIR:-/tmp}, writes $T/collector.conf and $T/agent.conf (short
# timers for tests; a test may rewrite them before starting anything) and
# installs `trap cleanup EXIT`. Everything listens on 127.0.0.1 only.
# VIGIL_KEEP_TMP=1 keeps $T even when every check passed.
#
# start_collector DIR
#     Runs `vigil-collector -c $T/collector.conf --data-dir DIR run`, log
#     appended to DIR.log, and waits up to 10 s for DIR/listen.addr. The
#     first start listens on 127.0.0.1:0; a restart on the same DIR reuses
#     the address, so enrolled agents find it again. Sets CD (DIR), CADDR
#     (host:port) and CPID. Returns 1, showing the log, if it did not come up.
# stop_collector [SIG]
#     Sends SIG (default TERM) to CPID and waits for it (SIGKILL after
#     10 s). Returns the collector's exit status.
# coll ARG...
#     A collector command (events, agents, revoke, enroll-token) on $CD.
# count [ARG...]
#     `coll events --count ARG...`: prints the number of stored events.
# count_is N [ARG...]
#     True if `count ARG...` prints N.
# enroll_agent DIR NAME OFFICE
#     Creates a token for NAME/OFFICE and runs `vigil-agent enroll` with
#     data directory DIR against $CADDR (output in DIR.log).
# agent DIR ARG...
#     An agent command (emit, status, ...) with data directory DIR.
# start_agent DIR / stop_agent DIR [SIG]
#     Runs the agent daemon for DIR in the background (log DIR.log) / sends
#     it SIG (default TERM) and waits for it (SIGKILL after 10 s).
# wait_for WHAT SECS CMD [ARG...]
#     Runs CMD every 0.2 s until it succeeds (0) or SECS pass (1, and a
#     "timed out waiting for WHAT" line).
# log MSG
#     Prints "--- MSG".
# check MSG CMD [ARG...]
#     Runs CMD: "PASS: MSG" if it exits 0, otherwise "FAIL: MSG" with its
#     exit status, counted in FAILS. Returns CMD's status.
# finish
#     Prints the summary and exits 0, or 1 if any check failed.
# cleanup
#     The EXIT trap (call it from your own trap if you replace it): stops
#     every process started here, by pid (TERM, then KILL after 5 s), and
#     removes $T unless a check failed or VIGIL_KEEP_TMP=1.

FAILS=0
PIDS=()
declare -A AGENT_PIDS=()
CD= CADDR= CPID=

if [ -z "${VIGIL_BIN:-}" ] || [ ! -x "$VIGIL_BIN/vigil-collector" ]; then
	echo "FAIL: VIGIL_BIN must be the build directory" \
	    "(no ${VIGIL_BIN:-\$VIGIL_BIN}/vigil-collector)"
	exit 1
fi
COLLECTOR=$VIGIL_BIN/vigil-collector
AGENT=$VIGIL_BIN/vigil-agent
PEER=$VIGIL_BIN/tests/vigil-peer
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-$(basename "$0" .sh).XXXXXX") || exit 1

cat >"$T/collector.conf" <<'EOF'
[collector]
log_level = info
handshake_timeout = 10s
idle_timeout = 120s
[store]
commit_interval = 20ms
EOF
cat >"$T/agent.conf" <<'EOF'
[agent]
log_level = info
[uplink]
heartbeat = 2s
backoff_min = 100ms
backoff_max = 2s
connect_timeout = 2s
[spool]
poll = 50ms
EOF

# Start "$@" in the background, output appended to $1; pid in SPAWNED.
_spawn() {
	local out=$1

	shift
	"$@" >>"$out" 2>&1 &
	SPAWNED=$!
	PIDS+=("$SPAWNED")
}

# Signal pid $1 with $2 and wait up to 10 s, then SIGKILL; its status.
_stop() {
	local pid=$1 i

	kill -"$2" "$pid" 2>/dev/null || return 1
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null		# no "Killed" job notice
}

start_collector() {
	local dir=$1 listen=127.0.0.1:0 i

	if [ "$dir" = "$CD" ] && [ -n "$CADDR" ]; then
		listen=$CADDR
	fi
	CD=$dir
	rm -f "$CD/listen.addr"
	_spawn "$CD.log" "$COLLECTOR" -c "$T/collector.conf" --data-dir "$CD" \
	    --listen "$listen" run
	CPID=$SPAWNED
	for i in $(seq 100); do
		if [ -s "$CD/listen.addr" ]; then
			CADDR=$(cat "$CD/listen.addr")
			return 0
		fi
		kill -0 "$CPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "collector did not start; its log:"
	sed 's/^/    /' "$CD.log"
	return 1
}

stop_collector() {
	_stop "$CPID" "${1:-TERM}"
}

coll() {
	"$COLLECTOR" -c "$T/collector.conf" --data-dir "$CD" "$@"
}

count() {
	coll events --count "$@"
}

count_is() {
	local n=$1

	shift
	[ "$(count "$@")" = "$n" ]
}

enroll_agent() {
	local dir=$1 j tok fpr

	j=$(coll enroll-token --name "$2" --office "$3" --json) || return 1
	tok=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<<"$j")
	fpr=$(sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' <<<"$j")
	agent "$dir" enroll --collector "$CADDR" --token "$tok" \
	    --fingerprint "$fpr" >>"$dir.log" 2>&1
}

agent() {
	local dir=$1

	shift
	"$AGENT" -c "$T/agent.conf" --data-dir "$dir" "$@"
}

start_agent() {
	_spawn "$1.log" "$AGENT" -c "$T/agent.conf" --data-dir "$1" run
	AGENT_PIDS[$1]=$SPAWNED
}

stop_agent() {
	local pid=${AGENT_PIDS[$1]:-}

	[ -n "$pid" ] || return 1
	unset "AGENT_PIDS[$1]"
	_stop "$pid" "${2:-TERM}"
}

wait_for() {
	local what=$1 end=$((SECONDS + $2))

	shift 2
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		if [ $SECONDS -ge $end ]; then
			log "timed out waiting for $what"
			return 1
		fi
		sleep 0.2
	done
}

log() {
	echo "--- $*"
}

check() {
	local msg=$1 rc

	shift
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "PASS: $msg"
	else
		echo "FAIL: $msg (exit status $rc)"
		FAILS=$((FAILS + 1))
	fi
	return $rc
}

finish() {
	if [ "$FAILS" -eq 0 ]; then
		echo "all checks passed (${SECONDS}s)"
		exit 0
	fi
	echo "$FAILS check(s) FAILED (${SECONDS}s)"
	exit 1
}

cleanup() {
	local pid i alive

	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for i in $(seq 50); do
		alive=0
		for pid in "${PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	[ -d "$T" ] || return 0
	if [ "$FAILS" -ne 0 ] || [ "${VIGIL_KEEP_TMP:-0}" = 1 ]; then
		echo "logs and data kept in $T"
	else
		rm -rf "$T"
	fi
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
