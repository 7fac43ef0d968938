#!/usr/bin/env bash
# Issue 8, item 12: a watched folder that is a symbolic link, or sits
# below one, is reported under the link's target by the kernel. The
# daemon must compare those paths with its roots resolved the same way:
# a file dropped in such a folder gives an alert (files) or an integrity
# event (integrity), and a file written there while the agent was off is
# found by the scan at start. inotify, and fanotify when run as root.
. "$(dirname "$0")/lib.sh"

EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

# has_event TYPE AGENT TEXT: the collector holds such an event naming TEXT
has_event() { coll events --json --type "$1" --agent "$2" | grep -q "$3"; }

run_case() {
	local w=$1 a=$T/a-$1 base=$T/$1
	mkdir -p "$base/real/watched" "$base/realdir/sub" "$base/realdir/etc"
	ln -s real/watched "$base/link-root"		# the root is a link
	ln -s realdir "$base/linkdir"			# the root is below one
	echo "original" >"$base/realdir/etc/app.conf"
	printf '%s' "$EICAR" >"$base/real/watched/before-start.com"
	write_agent_conf "$T/agent.conf"
	cat >>"$T/agent.conf" <<EOC
[files]
enabled = yes
watch = $base/link-root
watch = $base/linkdir/sub
rules = $SRC/rules/yara
watcher = $w
debounce = 100ms
[integrity]
enabled = yes
path = $base/linkdir/etc
interval = 1h
EOC
	enroll_agent "$a" "pc-$w" "Xã Tân Phú" || return 1
	start_agent "$a"
	wait_for "agent up" 20 sh -c "grep -q 'watching' '$a.log'" || true
	check "$w: a file written before the start, in a linked root, is found" \
		wait_for "before" 15 has_event alert "pc-$w" before-start.com
	wait_for "baseline" 20 sh -c "grep -q 'integrity: baseline' '$a.log'" || true
	sleep 1
	printf '%s' "$EICAR" >"$base/link-root/dropped.com"
	check "$w: a file dropped in a root that is a symlink gives an alert" \
		wait_for "link-root" 10 has_event alert "pc-$w" dropped.com
	printf '%s' "$EICAR" >"$base/linkdir/sub/below.com"
	check "$w: a file dropped in a root below a symlink gives an alert" \
		wait_for "linkdir" 10 has_event alert "pc-$w" below.com
	echo "changed by an intruder" >>"$base/linkdir/etc/app.conf"
	check "$w: a change below an integrity path under a symlink is reported" \
		wait_for "integrity" 10 has_event integrity "pc-$w" app.conf
	stop_agent "$a"
}

start_collector "$T/coll" || exit 1
each_watcher run_case
finish
