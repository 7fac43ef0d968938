#!/usr/bin/env bash
# Retention ([store] retention) with the real collector: events older than
# the retention are deleted between the writer's batches, except those
# linked to an incident; each step is in the audit log, which stays
# intact; the collector keeps receiving meanwhile.
. "$(dirname "$0")/lib.sh"

write_collector_conf "$T/collector.conf"
# [collector] comes last in the quick config: add the sections after it
printf '[store]\nretention = 2\n' >>"$T/collector.conf"
start_collector "$T/coll" || exit 1
check "agent enrolls" enroll_agent "$T/a" "pc-r1" "Xã Tân Phú"

# 300 plain events and 40 alerts (correlation makes them one incident)
agent "$T/a" emit --count 300 >/dev/null
agent "$T/a" emit --type alert --count 40 >/dev/null
start_agent "$T/a"
check "340 events stored" wait_for "340 events" 30 count_is 340

incident_alerts() {
	coll incidents list --json | python3 -c "
import json, sys
print(sum(json.loads(l)['alerts'] for l in sys.stdin if l.strip()))"
}
alerts_linked() { [ "$(incident_alerts)" = "$1" ]; }
check "the 40 alerts belong to an incident" wait_for "linked" 20 alerts_linked 40

# The first look comes 10 s after start, then a step a second while old
# events remain: the 300 plain events (older than 2 s by then) go.
check "events older than the retention are purged, linked ones kept" \
	wait_for "purge" 40 count_is 40
check "... the kept ones are the alerts" count_is 40 --type alert
check "... the incident still counts them" alerts_linked 40

audit_purges() {
	python3 - "$CD/collector.db" <<'EOP'
import json, sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
n = 0
for actor, action, detail in db.execute(
        "SELECT actor, action, detail FROM audit WHERE action = 'purge'"):
    assert actor == "retention", actor
    n += json.loads(detail)["events"]
print(n)
EOP
}
check "every purged event is in the audit log (retention, purge)" \
	[ "$(audit_purges)" = 300 ]
check "audit verify: intact" coll audit verify

# still receiving, and new events are kept until they are old
agent "$T/a" emit --count 10 >/dev/null
check "new events still arrive" wait_for "10 more" 20 count_is 50
finish
