#!/usr/bin/env bash
# The collector's disk fills up: commits fail, nothing is acknowledged, the
# agent keeps the events and resends them once there is room. At the end
# stored == generated, no duplicates. Needs root to mount a small tmpfs
# (skipped, exit 77, where mounting is not allowed).
. "$(dirname "$0")/lib.sh"

MNT=$T/coll
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=48m,mode=0700 vigil-test "$MNT" 2>/dev/null; then
	log "SKIP: cannot mount a tmpfs here"
	exit 77
fi
umount_it() { umount -l "$MNT" 2>/dev/null || true; }
trap 'umount_it; cleanup' EXIT

start_collector "$MNT" || exit 1
enroll_agent "$T/a" pc1 "Xã Tân Phú" || exit 1
start_agent "$T/a"
agent "$T/a" emit --count 100 >/dev/null
check "delivery before the disk fills" wait_for "first" 30 count_is 100

# Fill the file system, leaving the store no room to grow.
dd if=/dev/zero of="$MNT/filler" bs=16k 2>/dev/null || true
agent "$T/a" emit --count 20000 >/dev/null
check "collector reports the failed commit" wait_for "store failed" 30 \
	grep -q "store failed" "$T/coll.log"
BEFORE=$(count)
log "stored while the disk was full: $BEFORE of 20100"
check "the agent keeps what was not stored" \
	sh -c "\"$AGENT\" -c \"$T/agent.conf\" --data-dir \"$T/a\" status --json | grep -qv '\"depth\":0,'"
check "collector still running" kill -0 "$CPID"

rm -f "$MNT/filler"
check "after space returns: stored == generated (20100)" wait_for "all" 60 count_is 20100
check "no duplicates" sh -c "coll_json=\$(\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$MNT\" agents --json); echo \"\$coll_json\" | grep -q '\"events\":20100,\"last_seq\":20100'"
stop_agent "$T/a"
stop_collector
finish
