#!/usr/bin/env bash
# Floods from one address do not lock out agents from another (issue 8,
# item 2).
#
# The collector listens on 127.0.0.1 with max_connections 1000, a 30 s
# handshake timeout and handshake_memory 256K (64 connections before
# their handshake); good agents speak from 127.0.0.1, floods come from
# other loopback addresses (the whole of 127.0.0.0/8 is local, so no
# network namespace is needed):
#  A. 3000 idle sockets from 127.0.0.2, held: a new agent still enrolls
#     (vigil-agent enroll), its daemon delivers, and a peer delivers.
#  B. 300 sockets from 127.0.0.3 each announcing a 1 MiB DATA record
#     before any handshake and sending all of it but the last byte: every
#     one is closed at the header (or refused at accept), and the
#     collector's peak RSS grows by less than 32 MB meanwhile.
#  C. 100 handshakes in a row from 127.0.0.4 with an enrolled key
#     (source_handshakes 5, so a burst of 10): most are refused before any
#     DH work, while a good peer from 127.0.0.1 still gets in.
#  D. 4 x 60 idle sockets from 127.0.0.5-8 at once, more than
#     handshake_memory holds: the oldest make way (at least 176 closed),
#     and a good peer still gets in meanwhile.
# Then no sanitizer report, and a clean exit.
. "$(dirname "$0")/lib.sh"

cat >"$T/collector.conf" <<EOC
[collector]
max_connections = 1000
handshake_timeout = 30s
handshake_memory = 256K
source_handshakes = 5
EOC

in_range() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$CPID/status"; }

deliver() { peer_deliver "$T/good.key"; }

start_collector "$T/coll" || { check "collector starts" false; finish; }
check "a good peer enrolls" peer_enroll "$T/good.key" good
check "a second peer enrolls" peer_enroll "$T/busy.key" busy

log "A: 3000 idle sockets from 127.0.0.2"
timeout -k 5 60 "$PEER" attack flood --collector "$CADDR" \
    --source 127.0.0.2 --conns 3000 --seconds 25 >"$T/flood.out" 2>&1 &
FLOOD=$!
sleep 3
check "during the flood, a peer delivers 100 events" deliver
check "during the flood, a new agent enrolls from 127.0.0.1" \
    enroll_agent "$T/ag" pc-1 lab
start_agent "$T/ag"
agent "$T/ag" emit --count 50 >/dev/null 2>&1
check "during the flood, its daemon delivers 50 events" \
    wait_for "50 events" 15 count_is 50 --agent pc-1 --type test
check "the flood was still on meanwhile" kill -0 $FLOOD
wait $FLOOD
indent "$(cat "$T/flood.out")"
stop_agent "$T/ag"

log "B: 300 sockets from 127.0.0.3 announce 1 MiB DATA before a handshake"
before=$(hwm_kb)
out=$(timeout -k 5 90 "$PEER" attack dataflood --collector "$CADDR" \
    --source 127.0.0.3 --conns 300 --seconds 3 --timeout 30 2>&1)
rc=$?
indent "$out"
after=$(hwm_kb)
log "collector peak RSS: ${before} kB before, ${after} kB after"
check "every DATA-before-handshake socket closed at the header" [ $rc -eq 0 ]
check "peak RSS grew by less than 32 MB ($(( (after - before) / 1024 )) MB)" \
    [ $((after - before)) -lt $((32 * 1024)) ]
check "then a peer delivers 100 events" deliver

log "C: 100 handshakes in a row from 127.0.0.4 (source_handshakes 5)"
out=$(timeout -k 5 90 "$PEER" attack hsflood --collector "$CADDR" \
    --source 127.0.0.4 --key "$T/busy.key" --conns 100 --timeout 5 2>&1)
indent "$out"
answered=$(sed -n 's/.* s: \([0-9]*\) answered.*/\1/p' <<<"$out")
check "1 to 20 of 100 handshakes from one address answered (${answered:-?})" \
    in_range "$answered" 1 20
check "a peer from 127.0.0.1 still gets in and delivers" deliver

log "D: 4 x 60 idle sockets from 127.0.0.5-8, handshake_memory for 64"
pids=()
for i in 5 6 7 8; do
	timeout -k 5 60 "$PEER" attack flood --collector "$CADDR" \
	    --source 127.0.0.$i --conns 60 --seconds 8 >"$T/flood$i.out" 2>&1 &
	pids+=($!)
done
sleep 3
check "during the floods, a peer delivers 100 events" deliver
wait "${pids[@]}"
closed=0
for i in 5 6 7 8; do
	indent "$(cat "$T/flood$i.out")"
	n=$(sed -n 's/^flood: \([0-9]*\) of them closed.*/\1/p' "$T/flood$i.out")
	closed=$((closed + ${n:-0}))
done
check "at least 176 of the 240 made way for newer ones ($closed)" \
    [ "$closed" -ge 176 ]

finish_collector "$T/coll.log"
