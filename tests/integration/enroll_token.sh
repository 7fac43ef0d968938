#!/usr/bin/env bash
# The enrollment token need not appear on the command line: enroll takes
# it from a file or from standard input (--token-file), where other users
# cannot read it in /proc/PID/cmdline while enroll waits for the
# collector. Bad token files are refused with a clear message.
. "$(dirname "$0")/lib.sh"

write_agent_conf "$T/agent.conf"
start_collector "$T/coll" || exit 1

new_token() {	# name -> sets TOKEN and FPR
	local tok
	tok=$(coll enroll-token --name "$1" --office "Xã Tân Phú" --json) || return 1
	TOKEN=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<<"$tok")
	FPR=$(sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' <<<"$tok")
}

new_token pc-stdin || exit 1
check "enroll reads the token from standard input" \
	sh -c "printf '  %s \r\n' '$TOKEN' | \"$AGENT\" -c \"$T/agent.conf\" --data-dir \"$T/a1\" enroll --collector $CADDR --token-file - --fingerprint $FPR"
new_token pc-file || exit 1
(umask 077 && printf '%s\n' "$TOKEN" >"$T/token")
check "enroll reads the token from a file" \
	agent "$T/a2" enroll --collector "$CADDR" --token-file "$T/token" --fingerprint "$FPR"
check "both agents are enrolled" \
	sh -c "coll() { \"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" \"\$@\"; }; [ \"\$(coll agents --json | grep -c '\"status\"')\" -ge 2 ]"
start_agent "$T/a2"
agent "$T/a2" emit --count 10 >/dev/null
check "and it delivers" wait_for "stored" 20 count_is 10 --agent pc-file

# refusals: exit 1 with the reason, or 2 for a usage error
refused() {	# expected-status pattern args...
	local want=$1 pat=$2 rc=0
	shift 2
	agent "$T/bad" enroll --collector "$CADDR" --fingerprint "$FPR" "$@" \
		</dev/null >"$T/out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] && grep -q -- "$pat" "$T/out"
}
: >"$T/empty"
head -c 4000 /dev/zero | tr '\0' a >"$T/long"
check "an empty token file is refused" refused 1 "empty" --token-file "$T/empty"
check "a file whose first line is too long is refused" \
	refused 1 "too long" --token-file "$T/long"
check "a missing file is refused" refused 1 "No such file" --token-file "$T/nope"
check "empty standard input is refused" refused 1 "empty" --token-file -
check "--token and --token-file together are a usage error" \
	refused 2 "one of --token or --token-file" --token "$TOKEN" --token-file "$T/token"

# A collector that accepts and never answers: enroll waits (10 s), and
# meanwhile anyone may read its command line.
python3 - "$T/hang.port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
end = time.time() + 30
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
PY
HANG=$!
wait_for "hanging server" 10 test -s "$T/hang.port"
HADDR=127.0.0.1:$(cat "$T/hang.port")
cmdline_of_enroll() {	# args... -> the waiting enroll's command line
	"$AGENT" -c "$T/agent.conf" --data-dir "$T/hang" enroll \
		--collector "$HADDR" --fingerprint "$FPR" "$@" >/dev/null 2>&1 &
	local pid=$! i
	for ((i = 0; i < 50; i++)); do
		[ -e /proc/$pid/cmdline ] && break
		sleep 0.1
	done
	sleep 0.5
	grep -q vigil-agent /proc/$pid/cmdline || echo "not the agent"
	tr '\0' ' ' </proc/$pid/cmdline
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
}
check "with --token the token is in /proc/PID/cmdline (the exposure)" \
	sh -c "printf %s \"\$1\" | grep -q '$TOKEN'" _ "$(cmdline_of_enroll --token "$TOKEN")"
check "with --token-file it is not" \
	sh -c "printf %s \"\$1\" | grep -q -- '--token-file' && ! printf %s \"\$1\" | grep -q '$TOKEN'" _ "$(cmdline_of_enroll --token-file "$T/token")"
kill $HANG 2>/dev/null
wait $HANG 2>/dev/null
finish
