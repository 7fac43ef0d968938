#!/usr/bin/env bash
# A collector started as root with `user = nobody` binds, opens its store,
# hands its data directory to that user and drops root; it then still
# enrolls agents, stores events, and survives a restart. Skipped (77)
# unless run as root on a system with the user nobody.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	log "SKIP: needs root and the user nobody"
	exit 77
fi
# nobody must be able to reach the data directory's parent
chmod 711 "$T"
write_collector_conf "$T/collector.conf"
echo "user = nobody" >>"$T/collector.conf"
start_collector "$T/coll" || exit 1
check "the collector runs as nobody" \
	sh -c "[ \"\$(ps -o user= -p $CPID)\" = nobody ]"
check "it logs the drop" grep -q "running as nobody" "$T/coll.log"
check "its files belong to nobody" \
	sh -c "[ -z \"\$(find \"$T/coll\" ! -user nobody)\" ]"
enroll_agent "$T/a" pc1 "Xã Tân Phú" || exit 1
start_agent "$T/a"
agent "$T/a" emit --count 500 >/dev/null
check "events are stored after the drop" wait_for "stored" 30 count_is 500
stop_collector TERM
agent "$T/a" emit --count 500 >/dev/null
start_collector "$T/coll" || exit 1
check "and after a restart" wait_for "stored" 30 count_is 1000
check "the key and store stay mode 0600" \
	sh -c "[ \"\$(stat -c %a \"$T/coll/collector.key\" \"$T/coll/collector.db\" | sort -u)\" = 600 ]"
finish
