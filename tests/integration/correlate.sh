#!/usr/bin/env bash
# Issue 9, second step: correlation on the collector's own path, through
# the real vigil-collector and vigil-agent (events injected with
# `vigil-agent emit`, spooled, sent, stored and correlated in the
# writer's transaction).
#
#  1. a storm of 5,000 alerts of one rule on one agent: one incident
#     holding all 5,000, a handful of audit entries
#  2. the same rule on three agents within the window: one critical
#     spreading incident across them
#  3. a restart of the collector continues the same incidents
#  4. an agent silent beyond offline_after: an "agent offline" incident,
#     resolved by correlate when the agent is back
#  5. audit verify stays intact throughout
. "$(dirname "$0")/lib.sh"

jl() { python3 -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print($2)" "$1"; }
inc_list() { coll incidents list --json >"$T/list.json"; }
# nrows EXPR: rows of the list for which EXPR (over r) holds
nrows() { inc_list && jl "$T/list.json" "sum(1 for r in rows if $1)"; }
rows_are() { [ "$(nrows "$1")" = "$2" ]; }
verify() { coll audit verify >"$T/verify.out" 2>&1; }

write_collector_conf "$T/collector.conf"
mkdir -p "$T/sys" "$T/other"
echo "server = 10.0.0.1" >"$T/sys/app.conf"
echo "colour = blue" >"$T/other/prefs.conf"
printf '[correlation]\noffline_after = 5s\nspread_agents = 3\ncritical_path = %s\n' \
	"$T/sys" >>"$T/collector.conf"
start_collector "$T/coll" || exit 1
# the others enroll when they start: an agent enrolled and silent is
# offline after 5 s, and a slow (sanitizer) build takes longer than that
# for the storm
check "agent a1 enrolls" enroll_agent "$T/a1" "pc-a1" "Xã Tân Phú"

# 1. the storm
agent "$T/a1" emit --type alert --count 5000 --severity 1 >/dev/null
start_agent "$T/a1"
check "5,000 alerts stored" wait_for "5000 alerts" 60 count_is 5000 --type alert
check "one incident holds all 5,000" \
	wait_for "alerts linked" 20 rows_are 'r["alerts"] == 5000' 1
check "and it is the only one" rows_are 'True' 1
check "its severity from alert.severity 1: high" \
	rows_are 'r["severity"] == "high" and r["title"] == "VIGIL test alert"' 1
ID=$(jl "$T/list.json" '[r["id"] for r in rows if r["alerts"] == 5000][0]')
coll incidents show "$ID" --json >"$T/show.json"
check "a handful of audit entries, not 5,000" python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert 2 <= len(j['timeline']) <= 200, len(j['timeline'])
assert all(e['actor'] == 'correlate' for e in j['timeline'])
assert [i['kind'] for i in j['indicators']] == ['rule'], j['indicators']
" "$T/show.json"
check "audit verify: intact" verify

# 2. spreading
for a in a2 a3; do
	check "agent $a enrolls" enroll_agent "$T/$a" "pc-$a" "Xã Tân Phú"
done
agent "$T/a2" emit --type alert --count 3 >/dev/null
agent "$T/a3" emit --type alert --count 3 >/dev/null
start_agent "$T/a2"
start_agent "$T/a3"
check "the third agent raises one critical spreading incident" \
	wait_for "spreading" 30 rows_are \
	'r["severity"] == "critical" and r["title"].startswith("Spreading on 3 agents")' 1
SID=$(jl "$T/list.json" '[r["id"] for r in rows if r["title"].startswith("Spreading")][0]')
coll incidents show "$SID" --json >"$T/spread.json"
check "it links the three agents" \
	test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["agents"]))' "$T/spread.json")" = 3
check "each agent also has its own group incident" \
	rows_are 'r["title"] == "VIGIL test alert"' 3
check "audit verify: intact" verify

# 3. restart: the same incidents continue
stop_collector
start_collector "$T/coll" || exit 1
agent "$T/a1" emit --type alert --count 10 >/dev/null
check "after a restart, alerts join the open incident" \
	wait_for "5010" 30 rows_are "r['id'] == $ID and r['alerts'] == 5010" 1
check "no new incident" rows_are 'not r["title"].startswith("Agent offline")' 4

# 4. offline and back
stop_agent "$T/a3"
check "a silent agent raises an offline incident" \
	wait_for "offline" 30 rows_are \
	'r["title"] == "Agent offline (possible tampering): pc-a3" and r["status"] == "new"' 1
start_agent "$T/a3"
check "it resolves itself when the agent is back" \
	wait_for "resolved" 30 rows_are \
	'r["title"].startswith("Agent offline") and r["status"] == "resolved" and r["resolution"] == "indeterminate"' 1
OID=$(jl "$T/list.json" '[r["id"] for r in rows if r["title"].startswith("Agent offline")][0]')
coll incidents show "$OID" --json >"$T/off.json"
check "resolved by correlate, with its reason" python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j['timeline'][-1]['actor'] == 'correlate', j['timeline'][-1]
assert 'agent back' in j['reason'], j['reason']
" "$T/off.json"
check "audit verify: intact" verify
check "audit verify names its head" grep -q '^head: ' "$T/verify.out"

# 5. integrity through a real agent: a change on a critical path opens
# an incident, one elsewhere does not
write_agent_conf "$T/agent.conf"
printf '[integrity]\nenabled = yes\npath = %s\npath = %s\ninterval = 1h\n' \
	"$T/sys" "$T/other" >>"$T/agent.conf"
check "agent a4 (integrity) enrolls" enroll_agent "$T/a4" "pc-a4" "Xã Tân Phú"
start_agent "$T/a4"
wait_for "a4 baseline" 20 grep -q "integrity" "$T/a4.log" || true
sleep 2
echo "server = 203.0.113.66" >>"$T/sys/app.conf"
echo "colour = red" >>"$T/other/prefs.conf"
check "both changes reach the collector" wait_for "integrity events" 20 \
	sh -c "[ \$(\"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$CD\" events --count --type integrity) -ge 2 ]"
check "the critical one opens an incident" wait_for "critical" 20 rows_are \
	"r['title'] == 'Critical file changed: $T/sys/app.conf'" 1
check "the other one does not" rows_are "'prefs.conf' in r['title']" 0
check "audit verify: still intact" verify

for a in a1 a2 a3 a4; do stop_agent "$T/$a"; done
finish_collector "$T/coll.log"
