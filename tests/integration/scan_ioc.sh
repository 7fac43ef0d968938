#!/usr/bin/env bash
# `vigil-agent scan --ioc` (issue 10): files whose SHA-256 an indicator
# list holds are reported beside the YARA matches, as "ioc:LIST PATH"
# lines and as IOC alerts in --json; bad list lines are named; an --ioc
# list that cannot be read fails the command; --cache does not hide a
# file listed after it was cached clean.
. "$(dirname "$0")/lib.sh"

TREE=$T/tree
mkdir -p "$TREE/sub" "$T/lists"
printf 'rule it_marker { strings: $a = "VIGIL-IT-IOC-MARKER" condition: $a }\n' \
	>"$T/r.yar"
printf 'a listed download\n' >"$TREE/listed.exe"
printf 'listed and VIGIL-IT-IOC-MARKER\n' >"$TREE/sub/both.bin"
printf 'an ordinary file\n' >"$TREE/clean.txt"
printf 'listed later\n' >"$TREE/later.doc"
sha() { sha256sum "$1" | cut -d' ' -f1; }
{
	echo "# office hash list"
	echo "$(sha "$TREE/listed.exe") # seen in mail"
	sha "$TREE/sub/both.bin" | tr a-f A-F	# either case
	echo "evil.example"
	echo "d41d8cd98f00b204e9800998ecf8427e"	# MD5: refused
} >"$T/lists/office.txt"

scan() { "$AGENT" scan --rules "$T/r.yar" "$@"; }

# 1. Text output.
scan --ioc "$T/lists" "$TREE" >"$T/out.txt" 2>"$T/err.txt"
RC=$?
check "scan --ioc exits 0" [ "$RC" -eq 0 ]
check "ioc:office for the listed file" grep -qxF "ioc:office $TREE/listed.exe" "$T/out.txt"
check "the YARA match and the listing of one file: both lines" \
	sh -c "grep -qxF 'it_marker $TREE/sub/both.bin' '$T/out.txt' && grep -qxF 'ioc:office $TREE/sub/both.bin' '$T/out.txt'"
check "three lines in all (nothing for the unlisted files)" [ "$(wc -l <"$T/out.txt")" -eq 3 ]
check "the bad line is named FILE:LINE" grep -qF "$T/lists/office.txt:5: indicator skipped" "$T/err.txt"

# 2. --json: the IOC alerts' fields.
scan --ioc "$T/lists/office.txt" --json "$TREE" >"$T/out.json" 2>/dev/null
check "--json exits 0" [ $? -eq 0 ]
cat >"$T/check.py" <<'EOF'
import hashlib, json, sys
tree = sys.argv[1]
def h(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()
def sid(ns, rule):
    d = hashlib.blake2b(ns.encode() + b"\0" + rule.encode(), digest_size=16).digest()
    v = int.from_bytes(d[:4], "big") & 0x7fffffff
    return v or 1
iocs, yaras = {}, {}
for line in open(sys.argv[2], "rb"):
    ev = json.loads(line)
    assert ev["event_type"] == "alert", ev
    a, f = ev["alert"], ev["file"]
    if a["gid"] == 3:
        assert f["path"] not in iocs, "two IOC alerts for one file"
        iocs[f["path"]] = ev
        e = ev["evidence"]
        assert a["signature_id"] == sid("office", "file.sha256"), a
        assert a["signature"] == "vigil IOC list office: file.sha256", a
        assert a["action"] == "allowed" and a["rev"] == 1
        assert a["category"] == "Malware" and a["severity"] == 1
        assert f["sha256"] == h(f["path"]) and f["size"] > 0 and f["owner"]
        assert e["list"] == "office" and e["kind"] == "sha256"
        assert e["where"] == "file.sha256" and e["value"] == f["sha256"]
        assert e["indicator"].lower() == f["sha256"]
        assert "yara" not in ev
    else:
        assert a["gid"] == 2 and ev["yara"]["rule"] == "it_marker"
        yaras[f["path"]] = ev
assert sorted(iocs) == [tree + "/listed.exe", tree + "/sub/both.bin"], sorted(iocs)
assert iocs[tree + "/listed.exe"]["evidence"]["note"] == "seen in mail"
assert "note" not in iocs[tree + "/sub/both.bin"]["evidence"]
assert sorted(yaras) == [tree + "/sub/both.bin"], sorted(yaras)
print("ioc alerts %d, yara alerts %d" % (len(iocs), len(yaras)))
EOF
check "--json: one IOC alert per listed file, fields as documented" \
	python3 "$T/check.py" "$TREE" "$T/out.json"

# 3. Lists that cannot be read.
scan --ioc "$T/no-such-list" "$TREE" >/dev/null 2>"$T/err2.txt"
check "an --ioc list that cannot be read: exit 1" [ $? -eq 1 ]
check "... said so" grep -q "no-such-list" "$T/err2.txt"
scan "$TREE" >"$T/default.txt" 2>/dev/null
check "without --ioc (the configured lists: the shipped folder, no list): exit 0" [ $? -eq 0 ]
check "... and no ioc line" sh -c "! grep -q '^ioc:' '$T/default.txt'"

printf '[network]\nioc = %s\nlocal_ioc =\n' "$T/lists" >"$T/agent.conf"
"$AGENT" -c "$T/agent.conf" scan --rules "$T/r.yar" "$TREE" >"$T/conf.txt" 2>/dev/null
check "without --ioc, the lists of [network] ioc" \
	grep -qxF "ioc:office $TREE/listed.exe" "$T/conf.txt"

# 4. --cache: later.doc is cached clean, then its hash is listed.
scan --ioc "$T/lists" --cache "$T/scan.db" "$TREE" >/dev/null 2>&1
scan -v --ioc "$T/lists" --cache "$T/scan.db" "$TREE" >/dev/null 2>"$T/v1.txt"
check "the same lists again: the clean files come from the cache" \
	grep -q "(2 unchanged since a clean scan)" "$T/v1.txt"
sha "$TREE/later.doc" >"$T/lists/new.list"
scan -v --ioc "$T/lists" --cache "$T/scan.db" "$TREE" >"$T/out3.txt" 2>"$T/v2.txt"
check "a hash listed since: the file is scanned again and reported" \
	grep -qxF "ioc:new $TREE/later.doc" "$T/out3.txt"
check "... (every cached verdict was dropped with the lists' change)" \
	grep -q "(0 unchanged since a clean scan)" "$T/v2.txt"
printf 'other.example\n' >"$T/lists/domains.txt"
scan --ioc "$T/lists" --cache "$T/scan.db" "$TREE" >/dev/null 2>&1
scan -v --ioc "$T/lists" --cache "$T/scan.db" "$TREE" >/dev/null 2>"$T/v3.txt"
check "a list change without hashes keeps the cache" \
	grep -q "(1 unchanged since a clean scan)" "$T/v3.txt"

finish
