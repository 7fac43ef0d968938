#!/usr/bin/env bash
# One agent cannot flood the store (issue 8, item 3).
#
# A collector with [quota] bytes_per_second 256K and max_event_size 32K.
#  1. Agent F sends 100 events of 20 KB, zstd-compressed (2 MB stored from
#     a few KB on the wire) as fast as it can: the collector slows it down
#     (at least 5 s instead of well under one), stores every one of them,
#     and stores an agent_health event about F saying it was throttled.
#     Meanwhile agent G delivers 100 small events within 3 s.
#  2. F sends 5 events of 40 KB, over max_event_size: each is stored in
#     its place as an agent_health event saying why and how long it was,
#     so F's sequence numbers stay whole.
# Then no sanitizer report, and a clean exit.
. "$(dirname "$0")/lib.sh"

cat >"$T/collector.conf" <<EOC
[collector]
handshake_timeout = 10s
[quota]
bytes_per_second = 256K
max_event_size = 32K
EOC

# send KEY START COUNT PAD [ARGS]: vigil-peer send; prints its seconds
send_events() {
	local key=$1 start=$2 n=$3 pad=$4 out rc

	shift 4
	out=$(timeout -k 5 90 "$PEER" send --collector "$CADDR" --key "$key" \
	    --start "$start" --count "$n" --pad "$pad" --timeout 60 "$@" 2>&1)
	rc=$?
	indent "$out" >&2
	[ $rc -eq 0 ] || return 1
	sed -n 's/.* in \([0-9.]*\) s$/\1/p' <<<"$out"
}

at_least() { awk -v s="$1" -v lo="$2" 'BEGIN { exit !(s != "" && s >= lo) }'; }
at_most() { awk -v s="$1" -v hi="$2" 'BEGIN { exit !(s != "" && s <= hi) }'; }

health() { coll events --agent f --type agent_health --json; }
throttle_reported() { health | grep -q '"throttled_ms"'; }
refused_is() { [ "$(health | grep -c '"reason":"over max_event_size"')" = "$1" ]; }
f_whole() {
	coll agents --json | grep '"name":"f"' |
	    grep -q '"events":105,"last_seq":105,'
}

start_collector "$T/coll" || { check "collector starts" false; finish; }
check "agent F enrolled" peer_enroll "$T/f.key" f
check "agent G enrolled" peer_enroll "$T/g.key" g

log "1. F sends 2 MB of compressible events as fast as it can"
send_events "$T/f.key" 1 100 20000 --batch 10 --compress >"$T/f.secs" &
FPID=$!
sleep 1
gsecs=$(send_events "$T/g.key" 1 100 0)
check "meanwhile G's 100 events are acknowledged within 3 s (${gsecs:-?} s)" \
    at_most "$gsecs" 3
wait $FPID
fsecs=$(cat "$T/f.secs")
check "F's 2 MB took at least 5 s at 256 KiB/s (${fsecs:-?} s)" \
    at_least "$fsecs" 5
check "all 100 of F's events are stored" count_is 100 --agent f --type test
check "G's 100 too" count_is 100 --agent g --type test
check "an agent_health event says F was throttled" \
    wait_for "health event" 5 throttle_reported
h=$(health | head -1)
indent "$h"

log "2. F sends 5 events of 40 KB, over max_event_size"
check "F's 5 big events are acknowledged" send_events "$T/f.key" 101 5 40000
check "each is stored in its place as agent_health, with its length" \
    refused_is 5
check "F's sequence numbers are whole: 105 events, last 105" f_whole

finish_collector "$T/coll.log"
