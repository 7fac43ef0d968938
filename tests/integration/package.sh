#!/usr/bin/env bash
# The Debian packages on a clean Debian 12 booted in a container (issue
# 12): build them (scripts/package: lintian must report no error),
# install them into a fresh bookworm (mmdebstrap) booted with
# systemd-nspawn on a private network, see both services start under
# systemd, enroll the agent, see a dropped test file's alert reach the
# collector, upgrade to a newer build while the collector is down and
# events wait in the agent's spool (nothing spooled or registered may be
# lost, the audit chain must verify), then purge and find nothing left.
#
# Needs root, systemd-nspawn (systemd-container), mmdebstrap and Debian's
# archive (the root file system is made once and kept in
# $VIGIL_NSPAWN_CACHE, default /var/tmp/vigil-nspawn). Skips (77) only
# when not root or when the container cannot boot here, and says why.
set -u
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (packages, a container)"; exit 77; }
for t in systemd-nspawn mmdebstrap dpkg-buildpackage lintian; do
	command -v "$t" >/dev/null || { echo "FAIL: $t missing (scripts/deps installs it)"; exit 1; }
done
CACHE=${VIGIL_NSPAWN_CACHE:-/var/tmp/vigil-nspawn}
mkdir -p "$CACHE"

# 1. the packages, and a newer build of them for the upgrade
check "scripts/package builds the packages, lintian reports no error" \
	"$SRC/scripts/package" "$T/dist"
ls "$T"/dist/*.deb >/dev/null 2>&1 || { echo "FAIL: no packages"; finish; }
VER=$(dpkg-deb -f "$T"/dist/vigil-agent_*_amd64.deb Version)
NEW=$VER+t1
mkdir -p "$T/dist2"
for d in "$T"/dist/vigil-{agent,collector,rules}_*.deb; do
	# the same build under a newer version: dpkg's upgrade path (old
	# maintainer scripts, conffiles, the restart) is what is tested
	rm -rf "$T/x" && dpkg-deb -R "$d" "$T/x"
	sed -i -e "s/^Version: .*/Version: $NEW/" \
	    -e "s/vigil-rules (= $VER)/vigil-rules (= $NEW)/" "$T/x/DEBIAN/control"
	dpkg-deb -b "$T/x" "$T/dist2/" >/dev/null
done

# 2. a clean bookworm with the packages' dependencies (no network inside)
deps=$(for d in "$T"/dist/vigil-{agent,collector}_*.deb; do dpkg-deb -f "$d" Depends; done |
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
cp "$T"/dist/vigil-{agent,collector,rules}_*.deb "$R/debs/1/"
cp "$T"/dist2/*.deb "$R/debs/2/"

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

# 4. install: the collector starts, the agent is enabled
check "install: dpkg -i of the three packages" \
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

# 6. upgrade while the collector is down: the agent spools meanwhile
inside systemctl stop vigil-collector
drop eicar-2.com
sleep 3
check "upgrade: dpkg -i of the newer build" \
	inside sh -c 'dpkg -i /debs/2/*.deb >/debs/upgrade.log 2>&1'
check "after the upgrade both services run the new version" \
	inside sh -c "dpkg-query -W -f='\${Version}\n' vigil-agent vigil-collector | grep -vq '$NEW' && exit 1;
	    systemctl start vigil-collector && systemctl is-active --quiet vigil-collector && systemctl is-active --quiet vigil-agent"
check "the alert spooled while the collector was down arrives after the upgrade" \
	wait_for "alert 2" 60 alert eicar-2.com
check "the first alert is still in the store" alert eicar-1.com
n_inc2=$(inside vigil-collector incidents list --json 2>/dev/null | grep -c '"id"' || true)
check "the register kept its incidents (${n_inc:-0} before, ${n_inc2:-0} after)" \
	test "${n_inc:-0}" -ge 1 -a "${n_inc2:-0}" -ge "${n_inc:-0}"
check "the audit chain verifies after the upgrade" inside vigil-collector audit verify

# 7. purge: nothing left behind
check "purge: dpkg --purge of the three packages" \
	inside sh -c 'dpkg --purge vigil-agent vigil-collector vigil-rules >/debs/purge.log 2>&1'
left=$(inside sh -c 'ls -d /var/lib/vigil-agent /var/lib/vigil-collector /etc/vigil \
	    /usr/share/vigil /usr/share/doc/vigil-* /lib/systemd/system/vigil-* \
	    /etc/systemd/system/*/vigil-* /usr/bin/vigil-* 2>/dev/null;
	    getent passwd vigil; getent group vigil; pgrep -a vigil-')
check "nothing left: data, configuration, rules, units, the user, processes${left:+ (left: $(echo $left))}" \
	test -z "$left"
if [ "$FAILS" -ne 0 ]; then
	for f in install upgrade purge; do
		[ -s "$R/debs/$f.log" ] && indent "$(tail -15 "$R/debs/$f.log")"
	done
	indent "$(inside journalctl -u vigil-agent -u vigil-collector --no-pager 2>/dev/null | tail -40)"
fi
stop_container
finish
