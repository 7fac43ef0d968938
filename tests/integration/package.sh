#!/usr/bin/env bash
# The Debian packages on a clean Debian 12 booted in a container (issue
# 12): build them (scripts/package: lintian must report no error), and
# the previous release's from its commit (PREV_REV, default 93dc9e7, the
# last of the previous release); install the previous release into a
# fresh bookworm (mmdebstrap) booted with systemd-nspawn on a private
# network, see both services start under systemd, enroll the agent, see
# a dropped test file's alert reach the collector and open an incident,
# change the register (audit entries), take an integrity baseline; then,
# with the collector down and events waiting in the agent's spool,
# upgrade to this tree's packages: every spooled event must arrive once,
# the register and its audit chain (with the head noted before) must be
# kept, the old baseline must be taken over and report no change; then
# purge and find nothing left.
#
# Needs root, systemd-nspawn (systemd-container), mmdebstrap and Debian's
# archive (the root file system is made once and kept in
# $VIGIL_NSPAWN_CACHE, default /var/tmp/vigil-nspawn, and so are the
# previous release's packages, by commit). Skips (77) only when not root
# or when the container cannot boot here, and says why.
set -u
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (packages, a container)"; exit 77; }
for t in systemd-nspawn mmdebstrap dpkg-buildpackage lintian; do
	command -v "$t" >/dev/null || { echo "FAIL: $t missing (scripts/deps installs it)"; exit 1; }
done
CACHE=${VIGIL_NSPAWN_CACHE:-/var/tmp/vigil-nspawn}
mkdir -p "$CACHE"
PREV_REV=${PREV_REV:-93dc9e7}

# 1. this tree's packages, and the previous release's from its commit
check "scripts/package builds the packages, lintian reports no error" \
	"$SRC/scripts/package" "$T/dist"
ls "$T"/dist/*.deb >/dev/null 2>&1 || { echo "FAIL: no packages"; finish; }
NEW=$(dpkg-deb -f "$T"/dist/vigil-agent_*_amd64.deb Version)
prev=$(git -C "$SRC" rev-parse --verify -q "$PREV_REV^{commit}") ||
	{ echo "FAIL: PREV_REV $PREV_REV is not a commit of $SRC"; exit 1; }
PREV=$CACHE/prev-$prev
if ! ls "$PREV"/vigil-agent_*.deb >/dev/null 2>&1; then
	log "building the packages of $PREV_REV ($prev)"
	# a clone of the commit (its own scripts/package packs git ls-files)
	git clone -q --shared --no-checkout "$SRC" "$T/prev-src" &&
		git -C "$T/prev-src" checkout -q --detach "$prev" &&
		"$T/prev-src/scripts/package" "$T/prev-dist" >"$T/prev-package.log" 2>&1
	ls "$T"/prev-dist/vigil-{agent,collector,rules}_*.deb >/dev/null 2>&1 ||
		{ tail -20 "$T/prev-package.log"; echo "FAIL: the packages of $PREV_REV"; exit 1; }
	mkdir -p "$PREV.making" && cp "$T"/prev-dist/*.deb "$PREV.making/" &&
		mv "$PREV.making" "$PREV"
	rm -rf "$T/prev-src"
fi
OLD=$(dpkg-deb -f "$PREV"/vigil-agent_*_amd64.deb Version)
mkdir -p "$T/dist1"
for d in "$PREV"/vigil-{agent,collector,rules}_*.deb; do
	# below this tree's version whatever the two changelogs say, so that
	# dpkg takes this tree's packages as the upgrade
	rm -rf "$T/x" && dpkg-deb -R "$d" "$T/x"
	sed -i -e "s/^Version: .*/Version: $OLD~prev/" \
	    -e "s/vigil-rules (= $OLD)/vigil-rules (= $OLD~prev)/" "$T/x/DEBIAN/control"
	dpkg-deb -b "$T/x" "$T/dist1/" >/dev/null
done
rm -rf "$T/x"

# 2. a clean bookworm with the packages' dependencies (no network inside)
deps=$(for d in "$T"/dist/vigil-{agent,collector}_*.deb "$T"/dist1/vigil-{agent,collector}_*.deb; do dpkg-deb -f "$d" Depends; done |
	tr ',' '\n' | sed -e 's/(.*)//' -e 's/|.*//' -e 's/ //g' | grep -v '^vigil' | sort -u | tr '\n' ',')
key=$(printf '%s' "$deps" | sha256sum | cut -c1-12)
TAR=$CACHE/bookworm-$key.tar
if [ ! -s "$TAR" ]; then
	echo "making $TAR (mmdebstrap, Debian's archive)"
	# the name ends in .tar: mmdebstrap picks its output's format by it
	mmdebstrap --variant=apt --include="systemd,systemd-sysv,dbus,procps,${deps%,}" \
		bookworm "$CACHE/making-$key.tar" "deb http://deb.debian.org/debian bookworm main" \
		>"$T/mmdebstrap.log" 2>&1 || { tail -20 "$T/mmdebstrap.log"; echo "FAIL: mmdebstrap"; exit 1; }
	mv "$CACHE/making-$key.tar" "$TAR"
fi
R=$T/root
mkdir -p "$R" && tar -C "$R" -xf "$TAR"
mkdir -p "$R/debs/1" "$R/debs/2"
cp "$T"/dist1/*.deb "$R/debs/1/"
cp "$T"/dist/vigil-{agent,collector,rules}_*.deb "$R/debs/2/"

# 3. boot it
systemd-nspawn -b -D "$R" --register=no --keep-unit --private-network \
	-M vigil-pkg-test >"$T/boot.log" 2>&1 &
NSPAWN=$!
leader() {	# the container's PID 1, seen from here
	local m
	m=$(ps -o pid= --ppid "$NSPAWN" 2>/dev/null | head -1 | tr -d ' ')
	[ -n "$m" ] && ps -o pid= --ppid "$m" 2>/dev/null | head -1 | tr -d ' '
}
inside() { nsenter -t "$L" -a -- "$@"; }
L=
for _ in $(seq 100); do
	L=$(leader)
	[ -n "$L" ] && inside systemctl is-system-running 2>/dev/null | grep -Eq 'running|degraded' && break
	sleep 0.3
done
if [ -z "$L" ] || ! inside systemctl is-system-running 2>/dev/null | grep -Eq 'running|degraded'; then
	tail -5 "$T/boot.log"
	kill "$NSPAWN" 2>/dev/null; wait
	echo "SKIP: a Debian 12 container does not boot here (systemd-nspawn, above)"
	exit 77
fi
stop_container() {
	[ -n "$L" ] && inside systemctl poweroff >/dev/null 2>&1
	for _ in $(seq 50); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.2; done
	kill "$NSPAWN" 2>/dev/null
	wait "$NSPAWN" 2>/dev/null
	L=
}
trap 'stop_container; cleanup' EXIT

# 4. install the previous release: the collector starts, the agent is enabled
check "install: dpkg -i of the previous release's packages ($OLD, $PREV_REV)" \
	inside sh -c 'dpkg -i /debs/1/*.deb >/debs/install.log 2>&1'
check "the collector runs under systemd (Type=notify: it said READY)" \
	wait_for "the collector" 10 inside systemctl is-active --quiet vigil-collector
check "the collector runs as vigil, with no capability" \
	inside sh -c '[ "$(ps -o user= -C vigil-collector)" = vigil ] &&
	    grep -q "^CapEff:	0000000000000000" /proc/$(pidof vigil-collector)/status'
check "the agent's service is enabled, not started before enrollment" \
	inside sh -c 'systemctl is-enabled --quiet vigil-agent && ! systemctl is-active --quiet vigil-agent'
check "data folders: 0700, the collector's owned by vigil, the agent's by root" \
	inside sh -c '[ "$(stat -c "%a %U" /var/lib/vigil-collector)" = "700 vigil" ] &&
	    [ "$(stat -c "%a %U" /var/lib/vigil-agent)" = "700 root" ]'

# 5. enroll, start, drop a test file
inside vigil-collector enroll-token --name pc-01 --office 'Xã Thử' --json >"$T/token.json"
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$T/token.json" 2>/dev/null)
FPR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fingerprint"])' "$T/token.json" 2>/dev/null)
check "enroll: the agent enrolls with a token from the packaged collector" \
	inside sh -c "printf '%s\n' '$TOKEN' | vigil-agent enroll --collector 127.0.0.1:7414 --token-file - --fingerprint '$FPR' >/dev/null"
check "a command run by root on the packaged store left it the service's" \
	inside sh -c '! find /var/lib/vigil-collector -user root | grep -q .'
inside systemctl start vigil-agent
check "the agent runs under systemd" inside systemctl is-active --quiet vigil-agent
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
alert() {	# the collector has an alert naming file $1
	inside sh -c "vigil-collector events --json --type alert | grep -q '$1'"
}
sleep 2	# the watcher's marks are set once the daemon is ready; give it a moment
drop() {	# the test file named $1 in the container's /tmp (a tmpfs there)
	printf '%s' "$EICAR" | inside sh -c "cat >/tmp/$1"
}
drop eicar-1.com
check "a dropped test file's alert reaches the collector" wait_for "alert 1" 30 alert eicar-1.com
n_inc=$(inside vigil-collector incidents list --json 2>/dev/null | grep -c '"id"' || true)
check "the alert opened an incident in the register" test "${n_inc:-0}" -ge 1
jfield() {	# jfield EXPR: EXPR of the JSON on standard input (j)
	python3 -c 'import json,sys; j=json.load(sys.stdin); print('"$1"')' 2>/dev/null
}
inc=$(inside vigil-collector incidents list --json 2>/dev/null | grep -o '"id": *[0-9]*' | head -1 | grep -o '[0-9]*$')
check "the register changes: assign and note incident ${inc:-?} (audit entries)" \
	inside sh -c "vigil-collector incidents assign '${inc:-1}' an --as admin >/dev/null &&
	    vigil-collector incidents note '${inc:-1}' 'trước khi nâng cấp' --as admin >/dev/null"
inside vigil-collector audit verify --json >"$T/audit1.json" 2>/dev/null
HEAD1=$(jfield 'j["head"]' <"$T/audit1.json")
N_AUDIT1=$(jfield 'j["entries"]' <"$T/audit1.json")
check "the audit chain verifies before the upgrade (${N_AUDIT1:-?} entries, head ${HEAD1:-?})" \
	test "${N_AUDIT1:-0}" -ge 3 -a -n "$HEAD1"
# a baseline of folders no package here touches, by the previous release
FIMDB=/var/lib/vigil-agent/t-fim.db
check "integrity: the previous release takes a baseline" \
	inside vigil-agent integrity baseline --db $FIMDB /etc/default /etc/apt /usr/share/base-files
check "the agent's own baseline exists (the daemon made it)" \
	wait_for "fim.db" 30 inside test -e /var/lib/vigil-agent/fim.db

# 6. upgrade while the collector is down: the agent spools meanwhile
inside systemctl stop vigil-collector
N_EV1=$(inside vigil-collector events --count 2>/dev/null)
drop eicar-2.com
N_TEST=500
check "$N_TEST test events queued in the spool" \
	inside vigil-agent emit --type test --count $N_TEST
spooled() {	# the agent's spool holds at least $1 events
	local d
	d=$(inside vigil-agent status --json 2>/dev/null | jfield 'j["spool"]["depth"]')
	[ "${d:-0}" -ge "$1" ]
}
check "the spool holds them and the alert (collector down)" \
	wait_for "spool" 20 spooled $((N_TEST + 1))
check "upgrade: dpkg -i of this tree's packages ($NEW)" \
	inside sh -c 'dpkg -i /debs/2/*.deb >/debs/upgrade.log 2>&1'
check "after the upgrade both services run the new version" \
	inside sh -c "dpkg-query -W -f='\${Version}\n' vigil-agent vigil-collector | grep -vqx '$NEW' && exit 1;
	    systemctl start vigil-collector && systemctl is-active --quiet vigil-collector && systemctl is-active --quiet vigil-agent"
check "after the upgrade the agent's daemon runs as vigil-agent, not root" \
	inside sh -c '[ "$(ps -o user= -p $(systemctl show -P MainPID vigil-agent))" = vigil-agent ]'
# CAP_DAC_READ_SEARCH 2, SETGID 6, SETUID 7, SETPCAP 8, NET_ADMIN 12,
# NET_RAW 13, SYS_ADMIN 21: the unit's, and nothing else
check "with the unit's capabilities only (CapEff 00000000002031c4)" \
	inside sh -c 'grep -q "^CapEff:	00000000002031c4$" /proc/$(systemctl show -P MainPID vigil-agent)/status'
check "the upgrade gave the agent's data folder and every file in it to vigil-agent" \
	inside sh -c '[ "$(stat -c "%a %U" /var/lib/vigil-agent)" = "700 vigil-agent" ] &&
	    ! find /var/lib/vigil-agent ! -user vigil-agent | grep -q .'
workers_confined() {	# the scan and uplink workers: vigil-worker, no capability
	inside sh -c 'for p in vigil-scan vigil-uplink; do
		pid=$(pgrep -x $p | head -1); [ -n "$pid" ] || exit 1
		[ "$(ps -o user= -p $pid)" = vigil-worker ] || exit 1
		grep -q "^CapEff:	0000000000000000$" /proc/$pid/status || exit 1
		grep -q "^Seccomp:	2$" /proc/$pid/status || exit 1
	done'
}
check "its workers (vigil-scan, vigil-uplink) run as vigil-worker, no capability, seccomp" \
	wait_for "workers" 20 workers_confined
check "the alert spooled while the collector was down arrives after the upgrade" \
	wait_for "alert 2" 60 alert eicar-2.com
check "the first alert is still in the store" alert eicar-1.com
n_test() { inside vigil-collector events --count --type test 2>/dev/null; }
tests_in() { [ "$(n_test)" -ge "$N_TEST" ]; }
wait_for "$N_TEST test events" 60 tests_in
check "every spooled test event arrives, once ($(n_test) of $N_TEST)" test "$(n_test)" = "$N_TEST"
spool_empty() { ! spooled 1; }
check "the agent's spool is empty" wait_for "spool empty" 20 spool_empty
N_EV2=$(inside vigil-collector events --count 2>/dev/null)
check "the store kept its events (${N_EV1:-?} before, ${N_EV2:-?} after with $((N_TEST + 1)) spooled)" \
	test "${N_EV2:-0}" -ge $(( ${N_EV1:-0} + N_TEST + 1 ))
n_inc2=$(inside vigil-collector incidents list --json 2>/dev/null | grep -c '"id"' || true)
check "the register kept its incidents (${n_inc:-0} before, ${n_inc2:-0} after)" \
	test "${n_inc:-0}" -ge 1 -a "${n_inc2:-0}" -ge "${n_inc:-0}"
kept() {	# incident $inc has its assignee and note
	[ "$(inside vigil-collector incidents show "${inc:-1}" --json 2>/dev/null |
	    jfield 'j.get("assignee") == "an" and "trước khi nâng cấp" in json.dumps(j, ensure_ascii=False)')" = True ]
}
check "incident ${inc:-?} kept its assignee and note" kept
check "the audit chain verifies after the upgrade and holds the head noted before" \
	inside vigil-collector audit verify --head "${HEAD1:-none}"
N_AUDIT2=$(inside vigil-collector audit verify --json 2>/dev/null | jfield 'j["entries"]')
check "the audit log kept its entries (${N_AUDIT1:-?} before, ${N_AUDIT2:-?} after)" \
	test "${N_AUDIT2:-0}" -ge "${N_AUDIT1:-1}"
check "integrity: the previous release's baseline, checked by this one, reports no change" \
	inside sh -c "vigil-agent integrity check --db $FIMDB /etc/default /etc/apt /usr/share/base-files >/debs/fim-check.log 2>&1"
check "integrity: the baseline was taken over (schema upgraded, not made anew)" \
	grep -q "schema upgraded to version" "$R/debs/fim-check.log"
took_over() {
	inside journalctl -u vigil-agent --no-pager |
	    grep -q 'fim /var/lib/vigil-agent/fim.db: schema upgraded to version'
}
check "the agent took its own baseline over too" wait_for "agent baseline" 20 took_over

# 7. purge: nothing left behind
check "purge: dpkg --purge of the three packages" \
	inside sh -c 'dpkg --purge vigil-agent vigil-collector vigil-rules >/debs/purge.log 2>&1'
left=$(inside sh -c 'ls -d /var/lib/vigil-agent /var/lib/vigil-collector /etc/vigil \
	    /usr/share/vigil /usr/share/doc/vigil-* /lib/systemd/system/vigil-* \
	    /etc/systemd/system/*/vigil-* /usr/bin/vigil-* /usr/libexec/vigil 2>/dev/null;
	    for u in vigil vigil-agent vigil-worker; do getent passwd $u; getent group $u; done
	    pgrep -a vigil-')
check "nothing left: data, configuration, rules, units, the users, processes${left:+ (left: $(echo $left))}" \
	test -z "$left"
if [ "$FAILS" -ne 0 ]; then
	for f in install upgrade purge; do
		[ -s "$R/debs/$f.log" ] && indent "$(tail -15 "$R/debs/$f.log")"
	done
	indent "$(inside journalctl -u vigil-agent -u vigil-collector --no-pager 2>/dev/null | tail -40)"
fi
stop_container
finish
