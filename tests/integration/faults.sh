#!/usr/bin/env bash
# Faults in the middle of a stream of 100,000 events: the collector down
# for a while, kill -9 of the agent, kill -9 of the collector. At the end:
# events stored == events generated, and no duplicates (each agent's
# stored count equals its highest sequence number).
. "$(dirname "$0")/lib.sh"

# Small batches, one in flight: a stream of 100,000 events takes long
# enough that each kill lands in its middle.
write_agent_conf "$T/agent.conf"
printf '[uplink]\nbatch_events = 200\nwindow = 1\n' >>"$T/agent.conf"
start_collector "$T/coll" || exit 1
enroll_agent "$T/a" pc1 "Xã Tân Phú" || { log "enroll failed"; exit 1; }
start_agent "$T/a"
TOTAL=0

emit() { agent "$T/a" emit --count "$1" >/dev/null && TOTAL=$((TOTAL + $1)); }
stored() { count; }
no_dups() {
	local j
	j=$(coll agents --json | grep '"name":"pc1"')
	grep -q "\"events\":$TOTAL," <<<"$j" && grep -q "\"last_seq\":$TOTAL," <<<"$j"
}

# 1. Collector down for a while, then back.
emit 1000
wait_for "first events" 30 count_is $TOTAL
stop_collector TERM
emit 5000
sleep 3
check "agent notices the collector is gone" \
	sh -c "\"$AGENT\" -c \"$T/agent.conf\" --data-dir \"$T/a\" status --json | grep -v '\"link_state\":\"connected\"' | grep -q '\"depth\":5000'"
start_collector "$T/coll" || exit 1
check "collector back: the backlog arrives" wait_for "backlog" 60 count_is $TOTAL

# 2. kill -9 of the agent in the middle of 100,000 events.
BASE=$TOTAL
stop_agent "$T/a"
emit 100000
start_agent "$T/a"
wait_for "stream under way" 60 sh -c "[ \$(\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" events --count) -gt $BASE ]"
stop_agent "$T/a" KILL
AT=$(stored)
log "stored when the agent was killed: $AT of $TOTAL"
check "the agent was killed mid-stream" [ "$AT" -lt "$TOTAL" ]
start_agent "$T/a"
check "after agent kill -9: stored == generated ($TOTAL)" wait_for "all" 120 count_is $TOTAL
check "no duplicates after agent kill -9" no_dups

# 3. kill -9 of the collector in the middle of 100,000 events.
BASE=$TOTAL
emit 100000
wait_for "stream under way" 60 sh -c "[ \$(\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" events --count) -gt $BASE ]"
stop_collector KILL
AT=$(stored)
log "stored when the collector was killed: $AT of $TOTAL"
check "the collector was killed mid-stream" [ "$AT" -lt "$TOTAL" ]
sleep 1
start_collector "$T/coll" || exit 1
check "after collector kill -9: stored == generated ($TOTAL)" wait_for "all" 120 count_is $TOTAL
check "no duplicates after collector kill -9" no_dups
check "agent spool drained" wait_for "drained" 20 \
	sh -c "\"$AGENT\" -c \"$T/agent.conf\" --data-dir \"$T/a\" status --json | grep -q '\"depth\":0'"
finish
