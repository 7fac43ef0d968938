#!/usr/bin/env bash
# The agent as the packaged unit runs it, on this host (issue 12): not
# root, but the user vigil-agent with the unit's seven capabilities as
# ambient ones (setpriv does what systemd's AmbientCapabilities= does),
# so that fanotify, which a container's service cannot use, is exercised
# here:
#  - `vigil-agent enroll` run by root in the service user's data folder
#    gives it the key and the spool it creates;
#  - the daemon runs as vigil-agent with exactly those capabilities; its
#    workers switch to vigil-worker and keep none;
#  - the file sensor watches with fanotify, and a test virus dropped in
#    the watched folder alerts at the collector;
#  - `vigil-agent status` run by root reads the service's spool.
# Needs root (exit 77 otherwise); makes the two system users if missing.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	log "SKIP: needs root (users, capabilities)"
	exit 77
fi
for u in vigil-agent vigil-worker; do
	id "$u" >/dev/null 2>&1 || useradd --system --user-group \
		--home-dir /nonexistent --shell /usr/sbin/nologin "$u" || exit 1
done
CAPS=+sys_admin,+dac_read_search,+net_raw,+net_admin,+setuid,+setgid,+setpcap
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
chmod 755 "$T"		# the service user reaches its folder below
mkdir -p "$T/watched"
install -d -m 0700 -o vigil-agent -g vigil-agent "$T/a"

start_collector "$T/coll" || exit 1
files_conf "$T/agent.conf" "$T/watched"
printf '[agent]\nuser = vigil-worker\n' >>"$T/agent.conf"
chmod 644 "$T/agent.conf"
check "root enrolls the agent in the service user's folder" \
	enroll_agent "$T/a" pc-svc "Xã Tân Phú"
check "the key and the spool are the service user's" \
	sh -c "[ -z \"\$(find '$T/a' -mindepth 1 ! -user vigil-agent)\" ] &&
	    [ \"\$(stat -c %U '$T/a/agent.key')\" = vigil-agent ]"

setpriv --reuid=vigil-agent --regid=vigil-agent --init-groups \
	--inh-caps="$CAPS" --ambient-caps="$CAPS" \
	"$AGENT" -c "$T/agent.conf" --data-dir "$T/a" run 2>>"$T/a.log" &
APIDS[$T/a]=$!
apid=${APIDS[$T/a]}
workers_up() {
	pgrep -P "$apid" -x vigil-scan >/dev/null &&
	    pgrep -P "$apid" -x vigil-uplink >/dev/null &&
	    grep -q "connected to collector" "$T/a.log"
}
check "the daemon starts its workers and connects" wait_for "workers" 20 workers_up
# CAP_DAC_READ_SEARCH 2, SETGID 6, SETUID 7, SETPCAP 8, NET_ADMIN 12,
# NET_RAW 13, SYS_ADMIN 21
check "the daemon runs as vigil-agent with the unit's capabilities only" \
	sh -c "[ \"\$(ps -o user= -p $apid)\" = vigil-agent ] &&
	    grep -q '^CapEff:	00000000002031c4$' /proc/$apid/status"
for w in vigil-scan vigil-uplink; do
	pid=$(pgrep -P "$apid" -x $w | head -1)
	check "$w switched to vigil-worker" \
		sh -c "[ \"\$(ps -o user= -p $pid)\" = vigil-worker ]"
	[ -n "$pid" ] && check_confined "$w" "$pid"
done
if grep -q "watching with fanotify" "$T/a.log"; then
	log "watching with fanotify"
else
	log "note: not fanotify here: $(grep -o 'watching with [a-z]*' "$T/a.log")"
fi
sleep 1
printf '%s' "$EICAR" >"$T/watched/eicar.com"
check "a test virus dropped in the watched folder alerts at the collector" \
	wait_for "alert" 20 count_is 1 --type alert --agent pc-svc
check "root's status reads the service's spool (connected, nothing waiting)" \
	sh -c "'$AGENT' -c '$T/agent.conf' --data-dir '$T/a' status --json |
	    grep -q '\"link_state\":\"connected\".*\"depth\":0'"
stop_agent "$T/a"
finish
