#!/usr/bin/env bash
# Several agents deliver to one collector over loopback: every event
# arrives exactly once, with its agent's office; revocation cuts an agent
# off and keeps its events in its spool.
. "$(dirname "$0")/lib.sh"

start_collector "$T/coll" || exit 1
log "collector at $CADDR"

OFFICES=("Xã Tân Phú" "Xã Bình An" "Phường 3")
N=3000
for i in 0 1 2; do
	check "agent $i enrolls" enroll_agent "$T/a$i" "pc$i" "${OFFICES[$i]}"
	agent "$T/a$i" emit --count $N >/dev/null		# before it runs
	start_agent "$T/a$i"
done
for i in 0 1 2; do
	agent "$T/a$i" emit --count $N --type alert >/dev/null	# while it runs
done
wait_for "all events stored" 60 count_is $((6 * N))
check "every event stored exactly once ($((6 * N)))" count_is $((6 * N))
for i in 0 1 2; do
	check "agent pc$i: $((2 * N)) events" count_is $((2 * N)) --agent "pc$i"
	check "agent pc$i: spool drained" wait_for "spool empty" 10 \
		sh -c "\"$AGENT\" -c \"$T/agent.conf\" --data-dir \"$T/a$i\" status --json | grep -q '\"depth\":0'"
done
check "alerts are typed" count_is $((3 * N)) --type alert
check "the office travels with the events" \
	sh -c "\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" events --json --agent pc1 --limit 1 | grep -q '\"office\":\"Xã Bình An\"'"
check "agents: three enrolled, active" \
	sh -c "[ \$(\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" agents --json | grep -c '\"status\":\"active\"') = 3 ]"
check "heartbeats reach the registry" wait_for "heartbeat" 10 \
	sh -c "\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" agents --json | grep '\"name\":\"pc0\"' | grep -q '\"uptime\"'"

# Revocation: the collector closes pc2's link; new events stay spooled.
check "revoke pc2" coll revoke pc2 >/dev/null
check "collector logs the revocation" wait_for "revoked log" 10 grep -q "revoked" "$CD.log"
agent "$T/a2" emit --count 100 >/dev/null
sleep 3
check "revoked agent's new events are not stored" count_is $((2 * N)) --agent pc2
check "revoked agent keeps them in its spool" \
	sh -c "\"$AGENT\" -c \"$T/agent.conf\" --data-dir \"$T/a2\" status --json | grep -q '\"depth\":100'"
agent "$T/a0" emit --count 10 >/dev/null
check "other agents still deliver" wait_for "pc0 delivers" 20 count_is $((2 * N + 10)) --agent pc0
finish
