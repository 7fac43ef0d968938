#!/usr/bin/env bash
# Issue 8, item 6: a file name is an attacker's text. One holding ESC ] 0 ;
# ... BEL (sets the terminal's title), CR and ESC [ 2 K (erases the line),
# LF (starts a forged line), a C1 CSI, a bidi override and bytes that are
# not UTF-8 is dropped in a watched folder. Every text output that shows
# it must show it escaped, on one line per record, with no raw control
# byte: vigil-collector events (text and --json), vigil-agent scan (text
# and --json), vigil-agent integrity, and the log lines that quote it.
. "$(dirname "$0")/lib.sh"

EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
EVIL=$'x\e]0;pwned\a\r\e[2Kpc-forged  [1] Fake\n\xff\xc2\x9b\xe2\x80\xaegnp.com'
# the same name as text.h's TEXT_TERM shows it
SHOWN='x\x1b]0;pwned\x07\x0d\x1b[2Kpc-forged  [1] Fake\x0a\xff\xc2\x9b\xe2\x80\xaegnp.com'

# clean FILE [LINES]: every line valid UTF-8 with no control character
# (C0, DEL, C1), no bidi control or line separator; exactly LINES lines
# when given.
cat >"$T/clean.py" <<'EOF'
import sys
UNSAFE = [(0, 0x1f), (0x7f, 0x9f), (0x2028, 0x2029), (0x202a, 0x202e), (0x2066, 0x2069)]
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
assert lines[-1] == b"", "no final newline"
lines = lines[:-1]
if len(sys.argv) > 2:
    assert len(lines) == int(sys.argv[2]), (len(lines), sys.argv[2])
for l in lines:
    t = l.decode("utf-8")           # raises on invalid UTF-8
    for ch in t:
        assert not any(lo <= ord(ch) <= hi for lo, hi in UNSAFE), (hex(ord(ch)), l)
EOF
clean() { python3 "$T/clean.py" "$@"; }

mkdir -p "$T/watched" "$T/fim"
write_agent_conf "$T/agent.conf"
cat >>"$T/agent.conf" <<EOC
[files]
enabled = yes
watch = $T/watched
rules = $SRC/rules/yara
watcher = inotify
debounce = 100ms
EOC
start_collector "$T/coll" || exit 1
enroll_agent "$T/a" pc-ketoan "Xã Tân Phú" || exit 1
start_agent "$T/a"
wait_for "agent up" 20 sh -c "grep -q 'watching' '$T/a.log'" || true
sleep 1
printf '%s' "$EICAR" >"$T/watched/$EVIL"
check "the alert arrives" wait_for "alert" 15 count_is 1 --type alert

# 1. vigil-collector events, as a person reads it: one line, escaped.
coll events --type alert >"$T/events.txt"
check "events: one line for one alert, nothing raw" clean "$T/events.txt" 1
check "events: the name is shown escaped" grep -qF "$SHOWN" "$T/events.txt"
check "events: the forged line is not a line" \
	sh -c "! grep -q '^pc-forged' '$T/events.txt'"
coll events >"$T/all.txt"
check "events: every event on its own line, nothing raw" \
	clean "$T/all.txt" "$(count)"

# 2. --json: one object per line, the same value, nothing a terminal acts on.
coll events --json --type alert >"$T/events.json"
check "events --json: one line, nothing raw" clean "$T/events.json" 1
cat >"$T/evpath.py" <<'EOF'
import json, sys
evil = sys.argv[2].encode("utf-8", "surrogateescape")
ev = json.loads(open(sys.argv[1], "rb").read())
f = ev["file"]
assert f["path_escaped"] is True
p = f["path"]
out, i = bytearray(), 0                 # docs/events.md's escaping, undone
while i < len(p):
    if p[i] == "\\" and p[i + 1] == "\\":
        out += b"\\"; i += 2
    elif p[i] == "\\" and p[i + 1] == "x":
        out.append(int(p[i + 2:i + 4], 16)); i += 4
    else:
        out += p[i].encode(); i += 1
assert bytes(out).endswith(b"/" + evil), (out, evil)
EOF
check "events --json: the path gives back the name's bytes" \
	python3 "$T/evpath.py" "$T/events.json" "$EVIL"
coll agents >"$T/agents.txt"
check "agents: nothing raw" clean "$T/agents.txt" 2
stop_agent "$T/a"

# 3. vigil-agent scan: "RULE PATH" on one line, escaped; --json parses.
"$AGENT" scan --rules "$SRC/rules/yara" "$T/watched" >"$T/scan.txt" 2>"$T/scan.err"
check "scan: one line for one match, nothing raw" clean "$T/scan.txt" 1
check "scan: the name is shown escaped" grep -qF "$SHOWN" "$T/scan.txt"
"$AGENT" scan --json --rules "$SRC/rules/yara" "$T/watched" >"$T/scan.json"
check "scan --json: one line, nothing raw" clean "$T/scan.json" 1
check "scan --json: the path gives back the name's bytes" \
	python3 "$T/evpath.py" "$T/scan.json" "$EVIL"
"$AGENT" scan --rules "$SRC/rules/yara" "$T/watched/nosuch-$EVIL" >/dev/null 2>"$T/scan-missing.err"
check "scan: a missing PATH is reported on one line, escaped" \
	sh -c "python3 '$T/clean.py' '$T/scan-missing.err' 1 && grep -qF '$SHOWN' '$T/scan-missing.err'"

# 4. vigil-agent integrity: one line per change, escaped.
echo one >"$T/fim/plain"
"$AGENT" integrity baseline --db "$T/fim.db" "$T/fim" 2>/dev/null
echo two >"$T/fim/$EVIL"
ln -s "$EVIL" "$T/fim/link"
"$AGENT" integrity check --db "$T/fim.db" "$T/fim" >"$T/fim.txt" 2>/dev/null
check "integrity: one line per change (2), nothing raw" clean "$T/fim.txt" 2
check "integrity: the name and the symlink target are shown escaped" \
	sh -c "[ \"\$(grep -cF '$SHOWN' '$T/fim.txt')\" = 2 ]"
"$AGENT" integrity check --json --db "$T/fim.db" "$T/fim" >"$T/fim.json" 2>/dev/null
check "integrity --json: one line per change, nothing raw" clean "$T/fim.json" 2

# 5. Log lines quote paths too.
"$AGENT" --data-dir "$T/nosuch-$EVIL" status 2>"$T/status.err" >/dev/null
check "a log line quoting the name: one line, escaped" \
	sh -c "python3 '$T/clean.py' '$T/status.err' 1 && grep -qF '$SHOWN' '$T/status.err'"
check "the daemons' own logs: nothing raw" \
	sh -c "python3 '$T/clean.py' '$T/a.log' && python3 '$T/clean.py' '$T/coll.log'"
finish
