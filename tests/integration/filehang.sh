#!/usr/bin/env bash
# A FUSE mount whose server stops answering, under a watched folder
# (issue 8, item 9), end to end with the agent and the collector. Root
# only (FUSE mounts with allow_other); run in a mount namespace of its
# own so that nothing else on the machine meets the mount.
#  - by default the agent never enters it: the rescan at start says so
#    with an other_fs event, and files written elsewhere keep alerting;
#  - `vigil-agent scan` over that folder does not enter it either, and
#    ends;
#  - with remote_filesystems = yes the rescan enters it and the worker
#    that opens its file hangs in the kernel: the watchdog gives it up
#    after twice the timeout (a stalled event), another worker scans what
#    comes next, and the agent still stops when told to.
if [ -z "${VIGIL_IN_NS:-}" ] && [ "$(id -u)" -eq 0 ]; then
	exec unshare -m --propagation private env VIGIL_IN_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/fuse ]; then
	log "SKIP: needs root and /dev/fuse (FUSE mounts)"
	exit 77
fi
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
FUSE=$BIN/tests/vigil-fuse-hang
mkdir -p "$T/watched/fuse"

"$FUSE" --hang open --ready "$T/fuse.ready" "$T/watched/fuse" 2>>"$T/fuse.log" &
APIDS[fuse]=$!		# lib.sh's cleanup stops it first: what waits then fails
wait_for "FUSE mounted" 10 test -e "$T/fuse.ready" || exit 1

# the default unsaid (remote_filesystems = no): the old agent read the
# same file
conf() {
	if [ "$1" = yes ]; then
		files_conf "$T/agent.conf" "$T/watched" "timeout = 1s" \
			"remote_filesystems = yes"
	else
		files_conf "$T/agent.conf" "$T/watched" "timeout = 1s"
	fi
}

# events_with TYPE TEXT...: stored events of TYPE whose line holds each TEXT
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

# Default: not entered.
conf no
enroll_agent "$T/a" pc-hang "Xã Tân Phú" || exit 1
start_agent "$T/a"
check "default: the rescan says the FUSE mount is not entered" \
	wait_for "other_fs" 15 sh -c "[ \$(\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" events --json --type scan | grep -c '\"other_fs\"') -ge 1 ]"
check "... naming the mount point and its kind" \
	[ "$(events_with scan "$T/watched/fuse\"" '"other_fs"' FUSE)" -ge 1 ]
printf '%s' "$EICAR" >"$T/watched/a.com"
check "default: a file written elsewhere alerts within 2 s" \
	wait_for "alert" 2 sh -c "[ \$(\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" events --json --type alert | grep -c '/a.com\"') -ge 1 ]"
check "default: no worker got stuck" [ "$(events_with scan '"stalled"')" = 0 ]
t0=$(date +%s)
stop_agent "$T/a"
check "default: the agent stops at once" [ $(($(date +%s) - t0)) -le 3 ]

# The one-shot command walks as the daemon does: `vigil-agent scan` over
# the folder holding the mount ends, names the mount it did not enter and
# still finds the file beside it (the old walk, fts, entered the mount and
# its worker waited in open() for ever).
cat >"$T/eicar.yar" <<'EOR'
rule eicar_test { strings: $a = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" condition: $a }
EOR
"$AGENT" scan --rules "$T/eicar.yar" "$T/watched" >"$T/scan.out" \
	2>"$T/scan.err" &
spid=$! rc=hung
for _ in $(seq 300); do	# 30 s; a zombie has ended too
	st=$(cut -d' ' -f3 "/proc/$spid/stat" 2>/dev/null) || break
	[ "$st" = Z ] && break
	sleep 0.1
done
if [ "${st:-}" = Z ] || ! kill -0 "$spid" 2>/dev/null; then
	wait "$spid"
	rc=$?
else
	kill -9 "$spid"	# asleep in the kernel: reaped when the server goes
fi
check "scan: ends by itself beside a FUSE mount that never answers (exit 0)" \
	[ "$rc" = 0 ]
check "... reports the mount as not entered" \
	grep -q "^vigil-agent scan: $T/watched/fuse: other_fs: .*FUSE" "$T/scan.err"
check "... and finds the file beside it" \
	grep -qx "eicar_test $T/watched/a.com" "$T/scan.out"

# remote_filesystems = yes: entered; the read hangs; given up. The agent
# then exits with a thread asleep in the kernel: LeakSanitizer's check at
# exit stops every thread with ptrace first, and would wait for that one
# for ever (a release build has no such check).
conf yes
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" start_agent "$T/a"
check "entered: the file whose open never returns is given up as stalled" \
	wait_for "stalled" 15 sh -c "[ \$(\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" events --json --type scan | grep -c '\"stalled\"') -ge 1 ]"
check "... naming it and the wait" \
	[ "$(events_with scan "$T/watched/fuse/payload\"" '"stalled"' 'did not answer in 2 s')" -ge 1 ]
printf '%s' "$EICAR" >"$T/watched/b.com"
check "entered: another worker still scans what comes next, within 2 s" \
	wait_for "alert" 2 sh -c "[ \$(\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" events --json --type alert | grep -c '/b.com\"') -ge 1 ]"
check "entered: the thread is reported stuck in the kernel" \
	grep -q "did not answer in 2 s" "$T/a.log"
# Told to stop, the daemon shuts down and says it leaves the stuck thread
# behind; the process is reaped only when that thread leaves the kernel,
# that is when the FUSE server goes away (nothing, not even SIGKILL, ends
# a thread asleep in D state).
kill -TERM "${APIDS[$T/a]}"
check "entered: the agent shuts down within 10 s, leaving the stuck thread" \
	wait_for "shutdown" 10 grep -q "stuck in the kernel and did not stop" "$T/a.log"
kill -TERM "${APIDS[fuse]}"
wait "${APIDS[fuse]}" 2>/dev/null
unset "APIDS[fuse]"
t0=$(date +%s)
stop_agent "$T/a"
check "... and its process ends once the FUSE server is gone" \
	[ $(($(date +%s) - t0)) -le 5 ]
finish
