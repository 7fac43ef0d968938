#!/usr/bin/env bash
# Connections closed while paused (issue 8, item 1).
#
# A collector with a small, slow writer queue (queue_events 10, a commit
# every 2 s) runs under ASan with stack-use-after-return detection. Two
# keys are enrolled with vigil-peer; `vigil-peer attack replace-paused`
# then drives the sequence that used to corrupt the paused list: key B
# fills the queue and is paused, a new connection of key A sends KEYREQ
# and HS_INIT in one write and is paused after the KEYREQ, A's old
# connection is paused after a batch, and at the commit the new
# connection's handshake replaces the old one while it waits to resume.
# B must then be paused and resumed twice more, each batch acknowledged.
# Then a real agent enrolls and delivers through the same slow queue, and
# B still delivers. Last, the queue is bounded in bytes (queue_bytes 64K,
# applied by SIGHUP): B's two batches of 100 KB go to the writer one
# commit after the other (4 s), not both into the first (2 s). The
# collector logs no sanitizer report and exits cleanly.
. "$(dirname "$0")/lib.sh"

export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_stack_use_after_return=1"
cat >"$T/collector.conf" <<EOC
[collector]
handshake_timeout = 10s
[store]
queue_events = 10
commit_events = 100000
commit_interval = 2s
EOC

start_collector "$T/coll" || { check "collector starts" false; finish; }
check "peer A enrolled" peer_enroll "$T/a.key" peer-a
check "peer B enrolled" peer_enroll "$T/b.key" peer-b

out=$(timeout -k 5 60 "$PEER" attack replace-paused --collector "$CADDR" \
    --key "$T/a.key" --key2 "$T/b.key" --start 1 --timeout 15 2>&1)
rc=$?
indent "$out"
check "a paused connection replaced at resume: B still paused and resumed" \
    [ $rc -eq 0 ]
check "collector still running after the replacement" kill -0 "$CPID"
check "the log says the old connection was replaced" \
    grep -q "replaced by a new connection" "$T/coll.log"

check "an agent enrolls" enroll_agent "$T/ag" pc-1 lab
start_agent "$T/ag"
check "its daemon connects" wait_for "agent connected" 20 \
    grep -qE "agent pc-1 \(.*connected from" "$T/coll.log"
for i in 1 2 3; do agent "$T/ag" emit --count 20 >/dev/null 2>&1; done
check "the agent's 60 events are stored" wait_for "60 events" 30 \
    count_is 60 --agent pc-1 --type test
stop_agent "$T/ag"
out=$(timeout -k 5 60 "$PEER" send --collector "$CADDR" --key "$T/b.key" \
    --count 100 --start 1000 2>&1)
rc=$?
indent "$out"
check "B still delivers 100 events" [ $rc -eq 0 ]

cat >"$T/collector.conf" <<EOC
[collector]
handshake_timeout = 10s
[store]
queue_events = 100000
queue_bytes = 64K
commit_events = 100000
commit_interval = 2s
EOC
kill -HUP "$CPID"
check "the new queue limits are applied" wait_for "reload" 10 \
    grep -q "configuration reloaded" "$T/coll.log"
out=$(timeout -k 5 60 "$PEER" send --collector "$CADDR" --key "$T/b.key" \
    --count 100 --batch 50 --pad 2000 --start 2000 2>&1)
rc=$?
indent "$out"
secs=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' <<<"$out")
check "two batches of 100 KB over queue_bytes took two commits (${secs:-?} s)" \
    awk -v s="${secs:-0}" 'BEGIN { exit !(s >= 3.5) }'

finish_collector "$T/coll.log"
