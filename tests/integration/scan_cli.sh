#!/usr/bin/env bash
# `vigil-agent scan` against the yara command (4.2.3, same libyara, same
# rules) over a generated tree: the same (rule, path) pairs, --json lines
# that parse, exit statuses like yara's, and the cases yara does not
# handle the same way (special files, loops, too big, timeouts, rule
# files with errors, a string over libyara's match limit) reported as
# documented. Skipped (77) without yara.
. "$(dirname "$0")/lib.sh"

RULES=$SRC/rules/yara
SAMPLES=$BIN/tests/vigil-scan-samples
# signature-base's variables; filepath is "" so the removable-media rule,
# which needs it, never fires under yara: it is compared separately
YARA_VARS=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)
MEDIA_RULE=Removable_Media_PE_Executable

if ! command -v yara >/dev/null; then
	log "SKIP: the yara command is not installed"
	exit 77
fi
check "vigil-agent scan --help (the command is wired)" \
	sh -c "\"$AGENT\" scan --help | grep -q 'usage: vigil-agent scan'"

# The tree: every sample and the clean files, then what yara and we treat
# differently. Symbolic links: we never follow them inside folders, and
# yara -N does not either.
TREE=$T/tree
"$SAMPLES" "$TREE" >"$T/expected.tsv" || exit 1
mkdir -p "$TREE/deep/a/b/c" "$TREE/with space"
cp "$TREE/eicar.com" "$TREE/deep/a/b/c/eicar copy.com"
cp "$TREE/www/upload/x.php" "$TREE/with space/shell.php"
cp "$TREE/www/upload/x.php" "$TREE/www/caf$(printf '\351').php"	# Latin-1
ln -s .. "$TREE/deep/a/up"			# a symlink loop
ln -s "$TREE/eicar.com" "$TREE/link-to-eicar"	# a symlink to a sample
mkfifo "$TREE/fifo"
head -c 3000000 /dev/zero >"$TREE/big.bin"

run_ours() { "$AGENT" scan --rules "$RULES" --max-size 2M "$@"; }
pairs() { LC_ALL=C grep -av "^$MEDIA_RULE " | LC_ALL=C sed 's/ /\t/' | LC_ALL=C sort; }
# yara prints paths as raw bytes; we escape them for the terminal
# (docs/events.md, "Text that is not safe to show"): "\\" for a backslash,
# "\xNN" for each byte that is not UTF-8 or belongs to a control or bidi
# character. This is that escaping written again in Python, applied to
# yara's "RULE PATH" lines so that the two can be compared.
cat >"$T/term_escape.py" <<'EOF'
import sys
UNSAFE = [(0, 0x1f), (0x7f, 0x9f), (0x2028, 0x2029), (0x202a, 0x202e), (0x2066, 0x2069)]
def esc(b):
    out = []
    for ch in b.decode("utf-8", "surrogateescape"):
        o = ord(ch)
        if 0xdc80 <= o <= 0xdcff:
            out.append("\\x%02x" % (o - 0xdc00))
        elif ch == "\\":
            out.append("\\\\")
        elif any(lo <= o <= hi for lo, hi in UNSAFE):
            out.extend("\\x%02x" % c for c in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out).encode("utf-8")
for line in sys.stdin.buffer:
    rule, _, path = line.rstrip(b"\n").partition(b" ")
    sys.stdout.buffer.write(rule + b" " + esc(path) + b"\n")
EOF

# 1. The same matches as yara -r.
run_ours "$TREE" >"$T/ours.txt" 2>"$T/ours.err"
RC=$?
check "scan exits 0 (it ran; matches and unscannable files do not change that)" \
	[ "$RC" -eq 0 ]
timeout 120 yara -r -N -w -z 2000000 "${YARA_VARS[@]}" "$RULES"/*.yar "$TREE" \
	>"$T/yara.txt" 2>"$T/yara.err"
YRC=$?
check "yara -r exits 0 too" [ "$YRC" -eq 0 ]
pairs <"$T/ours.txt" >"$T/ours.pairs"
python3 "$T/term_escape.py" <"$T/yara.txt" | pairs >"$T/yara.pairs"
log "matches: ours $(wc -l <"$T/ours.txt"), yara $(wc -l <"$T/yara.txt") (+ the $MEDIA_RULE rule, ours only)"
check "the same (rule, path) pairs as yara -r" cmp -s "$T/ours.pairs" "$T/yara.pairs"
cmp -s "$T/ours.pairs" "$T/yara.pairs" || diff "$T/ours.pairs" "$T/yara.pairs" | head -20
check "every sample fires its rule" \
	sh -c "cut -f1,2 \"$T/expected.tsv\" | tr '\t' ' ' | while read -r l; do grep -qxF \"\$l\" \"$T/ours.txt\" || { echo \"missing: \$l\"; exit 1; }; done"
check "the removable-media rule fires on media/ only" \
	sh -c "[ \"\$(grep '^$MEDIA_RULE ' \"$T/ours.txt\")\" = \"$MEDIA_RULE $TREE/media/usb/setup.exe\" ]"
check "no rule fires on the clean files" \
	sh -c "! grep -q ' $TREE/clean/' \"$T/ours.txt\""
check "symbolic links are not followed" \
	sh -c "! grep -q -e 'link-to-eicar' -e '/up/' \"$T/ours.txt\""
check "the non-UTF-8 name is printed escaped, as caf\\xe9.php (yara: raw bytes)" \
	grep -qF 'caf\xe9.php' "$T/ours.txt"
check "the FIFO is reported, not opened" \
	grep -q "$TREE/fifo: special: a FIFO" "$T/ours.err"
check "the big file is reported as too big" \
	grep -q "$TREE/big.bin: too_big: 3000000 bytes" "$T/ours.err"

# 2. The thread count changes nothing but the order.
run_ours --threads 1 "$TREE" 2>/dev/null | LC_ALL=C sort >"$T/t1.txt"
run_ours --threads 7 "$TREE" 2>/dev/null | LC_ALL=C sort >"$T/t7.txt"
check "--threads 1 and 7 find the same" cmp -s "$T/t1.txt" "$T/t7.txt"
LC_ALL=C sort "$T/ours.txt" >"$T/t2.txt"
check "... as the default (2)" cmp -s "$T/t1.txt" "$T/t2.txt"

# 3. --json: one EVE event per line, alerts and problems.
run_ours --json "$TREE" >"$T/ours.json" 2>"$T/json.err"
check "--json exits 0" [ $? -eq 0 ]
cat >"$T/check.py" <<'EOF'
import json, sys
tree, n_text = sys.argv[1], int(sys.argv[2])
alerts = problems = 0
for line in open(sys.argv[3], "rb"):
    ev = json.loads(line)                      # each line parses alone
    assert ev["event_type"] in ("alert", "scan"), ev
    assert ev["timestamp"].endswith("+0000")
    if ev["event_type"] == "alert":
        alerts += 1
        a, f, y = ev["alert"], ev["file"], ev["yara"]
        assert a["gid"] == 2 and a["action"] == "allowed" and a["rev"] == 1
        assert 0 < a["signature_id"] < 2**31 and 1 <= a["severity"] <= 3
        assert a["signature"] == y["rule"] and a["category"]
        assert len(f["sha256"]) == 64 and f["size"] >= 0 and f["owner"]
        for k in ("uid", "mtime", "inode", "device"):
            assert k in f, k
        assert y["namespace"].endswith(".yar") and isinstance(y["tags"], list)
        assert y["meta"]["author"] == "vigil" and "description" in y["meta"]
        if y["rule"] != "Removable_Media_PE_Executable":
            assert y["strings"] and all(s.startswith("$") for s in y["strings"])
        if "caf" in f["path"]:
            assert f["path"].endswith("caf\\xe9.php") and f["path_escaped"] is True
    else:
        problems += 1
        s = ev["scan"]
        assert s["status"] in ("too_big", "timeout", "unreadable", "special", "error")
        assert s["path"] in (tree + "/fifo", tree + "/big.bin"), s
assert alerts == n_text, (alerts, n_text)
assert problems == 2, problems
print("alerts %d, problems %d" % (alerts, problems))
EOF
check "--json: every line parses, alerts match the text output, problems are events" \
	python3 "$T/check.py" "$TREE" "$(wc -l <"$T/ours.txt")" "$T/ours.json"
check "--json: nothing per file on stderr" [ ! -s "$T/json.err" ]

# 4. Exit status like yara's.
mkdir -p "$T/badrules"
cp "$RULES"/*.yar "$T/badrules/"
printf 'rule broken {\n  strings:\n    $a = "vigil" wibble\n  condition: $a\n}\n' \
	>"$T/badrules/broken.yar"
run_ours --rules "$T/badrules" "$TREE" >"$T/bad.txt" 2>"$T/bad.err"
RC=$?
yara -r -N -w "${YARA_VARS[@]}" "$T/badrules"/*.yar "$TREE" >/dev/null 2>&1
YRC=$?
check "a rules file with an error: exit $YRC like yara" [ "$RC" -eq "$YRC" ] && [ "$RC" -eq 1 ]
check "... reported as FILE:LINE" grep -q "$T/badrules/broken.yar:3: " "$T/bad.err"
check "... and the other rule files still scan" \
	grep -q "^EICAR_Test_File $TREE/eicar.com$" "$T/bad.txt"

mkdir -p "$T/allbad"
cp "$T/badrules/broken.yar" "$T/allbad/"
"$AGENT" scan --rules "$T/allbad" "$TREE" >/dev/null 2>&1
RC=$?
yara -r "$T/allbad/broken.yar" "$TREE" >/dev/null 2>&1
check "no rule file compiles: exit 1, like yara ($?)" [ "$RC" -eq 1 ]

run_ours "$T/nosuch" >/dev/null 2>&1
RC=$?
yara "${YARA_VARS[@]}" "$RULES"/*.yar "$T/nosuch" >/dev/null 2>&1
YRC=$?
check "a PATH that does not exist: exit $YRC like yara" [ "$RC" -eq "$YRC" ]

printf 'rule slow { condition: for all i in (0..filesize - 1) : (for all j in (0..filesize - 1) : (uint8(i) == uint8(j))) }\n' \
	>"$T/slow.yar"
head -c 4000000 /dev/zero >"$T/zeros"
"$AGENT" scan --rules "$T/slow.yar" --timeout 1 "$T/zeros" >/dev/null 2>"$T/slow.err"
RC=$?
yara -a 1 "$T/slow.yar" "$T/zeros" >/dev/null 2>&1
YRC=$?
check "a file operand that times out: exit $YRC like yara" [ "$RC" -eq "$YRC" ]
check "... reported as a timeout" grep -q "$T/zeros: timeout" "$T/slow.err"
mkdir -p "$T/slowdir"
mv "$T/zeros" "$T/slowdir/"
"$AGENT" scan --rules "$T/slow.yar" --timeout 1 "$T/slowdir" >/dev/null 2>&1
check "inside a folder it is reported and the scan exits 0" [ $? -eq 0 ]

"$AGENT" scan --rules "$RULES" >/dev/null 2>&1
check "no PATH: usage error, exit 2" [ $? -eq 2 ]
"$AGENT" scan --threads 0 "$TREE" >/dev/null 2>&1
check "--threads 0: usage error, exit 2" [ $? -eq 2 ]

# 6. --cache: the second scan reads only what changed, and says the same.
unchanged_count() { sed -n 's/.*(\([0-9]*\) unchanged since a clean scan).*/\1/p' "$1"; }
run_ours --cache "$T/cache.db" "$TREE" 2>"$T/c1.err" | LC_ALL=C sort >"$T/c1.txt"
check "--cache, first run: the same output as without" cmp -s "$T/c1.txt" "$T/t2.txt"
check "... the cache file is mode 0600" \
	[ "$(stat -c %a "$T/cache.db")" = 600 ]
run_ours --cache "$T/cache.db" -v "$TREE" 2>"$T/c2.err" | LC_ALL=C sort >"$T/c2.txt"
check "--cache, second run: the same output (matches are never cached)" \
	cmp -s "$T/c2.txt" "$T/t2.txt"
NCLEAN=$(unchanged_count "$T/c2.err")
log "second run: ${NCLEAN:-?} files unchanged since a clean scan"
check "... and the clean files were not read again" [ "${NCLEAN:-0}" -ge 5 ]
# rewritten with EICAR, its mtime put back: ctime still changes
F=$(find "$TREE/clean" -type f | LC_ALL=C sort | head -1)
cp -p "$F" "$T/mtime.ref"
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$F"
touch -r "$T/mtime.ref" "$F"
run_ours --cache "$T/cache.db" -v "$TREE" 2>"$T/c3.err" >"$T/c3.txt"
check "a clean file rewritten (mtime restored) is scanned again and matches" \
	grep -qxF "EICAR_Test_File $F" "$T/c3.txt"
check "... one file fewer came from the cache" \
	[ "$(unchanged_count "$T/c3.err")" -eq $((NCLEAN - 1)) ]
"$AGENT" scan --rules "$RULES/eicar.yar" --cache "$T/cache.db" -v "$TREE" \
	>/dev/null 2>"$T/c4.err"
check "other rules: nothing comes from the cache" \
	[ "$(unchanged_count "$T/c4.err")" -eq 0 ]
run_ours --cache "$T/nosuchdir/cache.db" "$TREE" 2>"$T/c5.err" | LC_ALL=C sort >"$T/c5.txt"
check "a cache that cannot be opened: said, and the scan still runs" \
	sh -c "grep -q 'cannot open the scan cache' \"$T/c5.err\" && grep -qxF \"EICAR_Test_File $F\" \"$T/c5.txt\""

# 7. A string found over a million times, libyara's limit: yara goes on
# without it and warns (without the file's name); so do we, naming the
# file, the rule and the string, on standard error or as a --json event.
printf 'rule counted { strings: $a = "AA" condition: #a > 5 }\n' >"$T/counted.yar"
head -c 1000100 /dev/zero | tr '\0' A >"$T/many.txt"
"$AGENT" scan --rules "$T/counted.yar" "$T/many.txt" >"$T/many.out" 2>"$T/many.err"
RC=$?
check "too many matches: exit 0 and the match reported" \
	sh -c "[ $RC -eq 0 ] && grep -qxF 'counted $T/many.txt' \"$T/many.out\""
check "... and a warning naming the file, the rule and the string" \
	grep -q "$T/many.txt: too_many_matches: rule counted: .*\\\$a" "$T/many.err"
yara "$T/counted.yar" "$T/many.txt" >/dev/null 2>"$T/ymany.err"
check "... as yara warns" grep -q 'too many matches for \$a' "$T/ymany.err"
"$AGENT" scan --json --rules "$T/counted.yar" "$T/many.txt" >"$T/many.json" 2>/dev/null
check "... and with --json, a scan event too_many_matches beside the alert" \
	python3 -c 'import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert [e["event_type"] for e in evs] == ["alert", "scan"], evs
assert evs[1]["scan"]["status"] == "too_many_matches", evs[1]' "$T/many.json"

# 5. A folder loop through a bind mount (root only): reported, not walked
# forever.
mkdir -p "$TREE/deep/bind"
if mount --bind "$TREE/deep" "$TREE/deep/bind" 2>/dev/null; then
	timeout 60 "$AGENT" scan --rules "$RULES" "$TREE/deep" >"$T/loop.txt" 2>"$T/loop.err"
	RC=$?
	umount "$TREE/deep/bind"
	check "a bind-mount loop ends (exit $RC)" [ "$RC" -eq 0 ]
	check "... and is reported as a loop" grep -q "folder loop" "$T/loop.err"
else
	log "bind mount not allowed here: loop case not run"
fi
finish
