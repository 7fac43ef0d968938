#!/usr/bin/env bash
# A week offline in miniature: the collector is away, the agent's spool
# fills (max_size 1M), events are dropped lowest priority first and
# counted by type; alerts are kept; the counts reach the collector in the
# agent's heartbeats once the link is back.
. "$(dirname "$0")/lib.sh"

write_agent_conf "$T/agent.conf"
cat >>"$T/agent.conf" <<EOC
[spool]
max_size = 1M
EOC
start_collector "$T/coll" || exit 1
enroll_agent "$T/a" pc1 "Xã Tân Phú" || exit 1
start_agent "$T/a"
stop_collector TERM

agent "$T/a" emit --count 200 --type alert --severity 1 >/dev/null
agent "$T/a" emit --count 20000 >"$T/emit.out" 2>&1	# about 3 MB of test events
ST=$(agent "$T/a" status --json)
log "agent status while offline: $ST"
check "the spool stays within its bound" \
	python3 -c 'import json,sys; s=json.loads(sys.argv[1])["spool"]; sys.exit(0 if s["bytes"] <= s["max_bytes"] == 1048576 else 1)' "$ST"
check "drops are counted by type, test events only" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1])["drops"]; sys.exit(0 if d["total"] > 0 and set(d["by_type"]) == {"test"} else 1)' "$ST"
check "emit says it dropped events, and why" grep -q "dropped .*spool full" "$T/emit.out"

start_collector "$T/coll" || exit 1
check "every alert survives and arrives" wait_for "alerts" 30 count_is 200 --type alert
DROPPED=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["drops"]["total"])' "$ST")
check "stored + dropped == generated" wait_for "drained" 30 count_is $((20200 - DROPPED))
check "the drop count reaches the collector in a heartbeat" wait_for "heartbeat drops" 20 \
	sh -c "\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" agents --json | grep -q '\"total\":$DROPPED'"
finish
