#!/usr/bin/env bash
# The scan worker (vigil-scan) under the daemon, end to end with the
# collector (issue 12):
#  - YARA runs in a process of its own, as the [agent] user when run as
#    root, with no capabilities, seccomp on and no_new_privs;
#  - a file that makes the worker crash (a test build's hook) gives a
#    scan event with status error saying the worker ended, the worker is
#    started again, and the next file dropped still alerts;
#  - the rules are compiled with no privilege: a local rule file only
#    root can read (0600 in a 0700 folder, when run as root) compiles,
#    read by the daemon, and a marker (test hook) makes the worker abort
#    unless it has dropped root, capabilities and set no_new_privs by
#    then; after a reload with a rule file that crashes the compiler
#    (test hook) the daemon keeps the last good rules and scans on.
. "$(dirname "$0")/lib.sh"

EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
mkdir -p "$T/watched"

events_with() {
	local type=$1 line
	shift
	coll events --json --type "$type" | while IFS= read -r line; do
		local t ok=1
		for t in "$@"; do [[ $line == *"$t"* ]] || ok=0; done
		[ $ok = 1 ] && echo x
	done | wc -l
}

start_collector "$T/coll" || exit 1
files_conf "$T/agent.conf" "$T/watched"
mkdir -m 0700 "$T/local"
cat >"$T/local/local.yar" <<'EOR'
// VIGIL-TEST-ASSERT-UNPRIVILEGED
rule vigil_root_only_marker
{
	strings:
		$a = "VIGIL-ROOT-ONLY-MARKER-51c2"
	condition:
		$a
}
EOR
chmod 0600 "$T/local/local.yar"
sed -i "s|^local_rules =.*|local_rules = $T/local|" "$T/agent.conf"
enroll_agent "$T/a" pc-scan "Xã Tân Phú" || exit 1
start_agent "$T/a"
wait_for "rules in the worker" 20 grep -q "in the scan worker" "$T/a.log" || true
wait_for "first rescan" 20 grep -q "rescanned $T/watched:" "$T/a.log" || true

pid=$(pgrep -f "vigil-scan .*--data-dir $T/a scan-worker" | head -1)
check "the scan worker runs" test -n "$pid"
[ -n "$pid" ] && check_confined "the worker" "$pid"

crash_reported() {
	[ "$(events_with scan crash.bin '"status":"error"' \
		'the scan worker ended while scanning this file')" -ge 1 ]
}
printf 'VIGIL-TEST-CRASH %s' "$EICAR" >"$T/watched/crash.bin"
check "the crashing file is reported: the worker ended while scanning it" \
	wait_for "scan error" 15 crash_reported
check "the daemon logs the worker's end and its signal" \
	wait_for "log" 5 grep -q "scan worker [0-9]* ended while scanning .*crash.bin (killed by signal 6" "$T/a.log"

before=$(count --type alert --agent pc-scan)
printf '%s' "$EICAR" >"$T/watched/after.com"
check "the next file still alerts (a new worker)" \
	wait_for "alert" 15 count_is $((before + 1)) --type alert --agent pc-scan
npid=$(pgrep -f "vigil-scan .*--data-dir $T/a scan-worker" | head -1)
check "a new worker runs" sh -c "[ -n '$npid' ] && [ '$npid' != '$pid' ]"

local_alert() {
	[ "$(events_with alert "$1" vigil_root_only_marker)" -ge 1 ]
}
echo "VIGIL-ROOT-ONLY-MARKER-51c2" >"$T/watched/marker1.txt"
check "a root-only rule file compiled by the unprivileged worker alerts" \
	wait_for "local rule" 15 local_alert marker1.txt

printf 'rule crash { condition: false } // VIGIL-TEST-CRASH-COMPILE\n' \
	>"$T/local/crash.yar"
kill -HUP "${APIDS[$T/a]}"
check "a rule file that crashes the compiler: the last good rules kept" \
	wait_for "reload refused" 15 grep -q "rules not reloaded; keeping the last good" "$T/a.log"
echo "VIGIL-ROOT-ONLY-MARKER-51c2 again" >"$T/watched/marker2.txt"
check "the daemon scans on with the last good rules" \
	wait_for "local rule again" 15 local_alert marker2.txt
stop_agent "$T/a"
finish
