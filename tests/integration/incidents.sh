#!/usr/bin/env bash
# Issue 9, first step: the incident register, its audit log and the
# responder's command line, through the real vigil-collector while the
# daemon runs and an agent (vigil-peer) delivers events.
#
#  1. open (by hand: --agent, --tlp, --detected), list with every filter,
#     show; the overdue mark; text from people escaped in every output
#  2. ack, assign, status (allowed, refused with the next states named,
#     resolved refused without a resolution), note, resolve, close, reopen,
#     merge, reported; --as and the default actor; --json
#  3. exit statuses: 0, 1 (no such incident, a refused change), 2 (usage)
#  4. two CLI processes changing one incident at once while events are
#     ingested: every change lands, the chain stays intact
#  5. audit verify: intact (head printed), --head of an earlier head; then,
#     on copies of the store, an edited, a deleted, a reordered and a
#     deleted last entry: exit 3 naming the entry and the fault
. "$(dirname "$0")/lib.sh"

cat >"$T/clean.py" <<'PY'
import sys
UNSAFE = [(0, 0x1f), (0x7f, 0x9f), (0x2028, 0x2029), (0x202a, 0x202e), (0x2066, 0x2069)]
data = open(sys.argv[1], "rb").read()
for l in data.split(b"\n"):
    for ch in l.decode("utf-8"):
        assert not any(lo <= ord(ch) <= hi for lo, hi in UNSAFE), (hex(ord(ch)), l)
PY
clean() { python3 "$T/clean.py" "$1"; }
# jget FILE EXPR: a Python expression over the JSON object j in FILE
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
inc() { coll incidents "$@"; }
# status_is N CMD...: CMD exits with N
status_is() { local want=$1 rc; shift; "$@" >"$T/out" 2>"$T/err"; rc=$?; [ "$rc" = "$want" ] || { log "exit $rc, not $want: $*"; cat "$T/err"; return 1; }; }

start_collector "$T/coll" || exit 1
check "an agent enrolls" peer_enroll "$T/peer.key" pc-ketoan
check "it delivers events" peer_deliver "$T/peer.key"

# 1. opening and listing
inc open --title "Mã độc trên pc-ketoan" --category malware --severity high \
	--agent pc-ketoan --as alice --json >"$T/i1.json"
check "open prints the new incident as JSON" \
	test "$(jget "$T/i1.json" 'j["id"], j["status"], j["tlp"], j["category_vi"]')" = \
	"1 new amber Tấn công sử dụng mã độc"
inc open --title "DDoS vào cổng thông tin" --category dos --severity low \
	--tlp red --detected 6d --as alice >"$T/i2.txt"
check "open prints one line for people" \
	grep -q '^incident 2 \[low\] new, assignee -, deadline .* OVERDUE: DDoS' "$T/i2.txt"
inc open --title "Gọi điện: giả mạo email" --category spoofing --severity medium >/dev/null
inc show 3 --json >"$T/i3.json"
check "the default actor is the invoking user" \
	test "$(jget "$T/i3.json" 'j["timeline"][0]["actor"]')" = "$(id -un)"
listed() { local n=$1; shift; [ "$(inc list --json "$@" | wc -l)" = "$n" ]; }
check "list: all three" listed 3
check "list --category" listed 1 --category malware
check "list --severity" listed 1 --severity low
check "list --status" listed 3 --status new
check "list --office (from the agents)" listed 1 --office lab
check "list --agent by name" listed 1 --agent pc-ketoan
check "list --since 1h (by detection: not the one of 6 days ago)" listed 2 --since 1h
check "list --since a date to come" listed 0 --since 2099-01-01
check "list --overdue" listed 1 --overdue
check "list --limit 2: the newest two" \
	test "$(inc list --json --limit 2 | python3 -c 'import json,sys; print([json.loads(l)["id"] for l in sys.stdin])')" = "[3, 2]"
check "list --limit with a filter" listed 1 --limit 5 --severity low
check "list --limit 0: a usage error" status_is 2 inc list --limit 0
inc list >"$T/list.txt"
check "list for people: header, three rows, the overdue one marked" \
	sh -c "[ \$(wc -l <'$T/list.txt') = 4 ] && grep -q '^2 .*OVERDUE' '$T/list.txt'"
check "list: nothing raw" clean "$T/list.txt"

# 2. the responder's changes
acked() { inc ack 1 --as bob | grep -q '^incident 1 \[high\] acknowledged'; }
check "ack" acked
check "ack twice: refused (exit 1), the allowed next states named" \
	status_is 1 inc ack 1 --as bob
check "  ... named" grep -q 'from acknowledged it may go to: investigating, contained, resolved' "$T/err"
check "status: not a status (exit 2)" status_is 2 inc status 1 bogus
check "status resolved: needs resolve (exit 2)" status_is 2 inc status 1 resolved
check "status investigating" status_is 0 inc status 1 investigating --as bob
check "assign" status_is 0 inc assign 1 "Nguyễn Văn An" --as bob
EVIL=$'called pc-ketoan\e]0;pwned\a\r\e[2K forged\nline \xe2\x80\xae gnp.exe'
check "note with control characters" status_is 0 inc note 1 "$EVIL" --as bob
check "note that is not UTF-8: refused (exit 2)" status_is 2 inc note 1 $'\xff\xfe'
check "resolve without a reason (exit 2)" status_is 2 inc resolve 1 --resolution true-positive
check "resolve" status_is 0 inc resolve 1 --resolution true-positive \
	--reason "EICAR test from the accounting PC" --as bob
check "close" status_is 0 inc status 1 closed --as carol
inc status 1 investigating --as carol --json >"$T/reopen.json"
check "reopen: investigating, resolution cleared" \
	test "$(jget "$T/reopen.json" 'j["status"], j["resolution"]')" = "investigating None"
inc merge 3 1 --as carol --json >"$T/merge.json"
check "merge: closed duplicate, merged_into set" \
	test "$(jget "$T/merge.json" 'j["status"], j["resolution"], j["merged_into"]')" = \
	"closed duplicate 1"
check "merge again: refused (exit 1)" status_is 1 inc merge 3 1
check "  ... saying it was merged" grep -q 'merged into 1' "$T/err"
check "merge into itself (exit 2)" status_is 2 inc merge 1 1
inc reported 2 --to "VNCERT/CC" --at 1h --as alice --json >"$T/rep.json"
check "reported: at, to, no longer overdue" \
	test "$(jget "$T/rep.json" 'j["reported_to"], j["overdue"], j["reported_at"] is not None')" = \
	"VNCERT/CC False True"
check "list --overdue: none now" listed 0 --overdue
inc show 1 >"$T/show.txt"
inc show 1 --json >"$T/show.json"
check "show: agents, notes and the timeline" \
	test "$(jget "$T/show.json" 'len(j["agents"]), j["agents"][0]["office"], len(j["notes"]), [e["action"] for e in j["timeline"]]')" = \
	"1 lab 1 ['open', 'agent', 'status', 'status', 'assign', 'note', 'resolve', 'status', 'status', 'absorb']"
check "show --json: the note's text kept exactly" \
	python3 -c "import json,sys; j=json.load(open('$T/show.json')); assert j['notes'][0]['text'] == sys.argv[1].encode('utf-8','surrogateescape').decode()" "$EVIL"
check "show: nothing raw" clean "$T/show.txt"
check "show: the note escaped on one line" grep -qF 'called pc-ketoan\x1b]0;pwned\x07\x0d\x1b[2K forged\x0aline \xe2\x80\xae gnp.exe' "$T/show.txt"
check "show --json: nothing raw" clean "$T/show.json"

# 3. exit statuses
check "show of no incident (exit 1)" status_is 1 inc show 99
check "show of a non-number (exit 2)" status_is 2 inc show abc
check "an unknown subcommand (exit 2)" status_is 2 inc frobnicate 1
check "an option that does not apply (exit 2)" status_is 2 inc ack 1 --overdue
check "open of an unknown agent (exit 1)" \
	status_is 1 inc open --title x --category other --severity low --agent nosuch
check "  ... and nothing opened" listed 3

# 4. two writers while events arrive
coll audit verify --json >"$T/v0.json"
HEAD0=$(jget "$T/v0.json" 'j["head"]')
writer() { local i; for ((i = 0; i < 25; i++)); do inc note 2 "$1 $i" --as "$1" >/dev/null || return 1; done; }
writer w1 & W1=$!
writer w2 & W2=$!
peer_deliver "$T/peer.key" >/dev/null
check "writer 1 done" wait $W1
check "writer 2 done" wait $W2
inc show 2 --json >"$T/show2.json"
check "both writers' 50 notes are there" test "$(jget "$T/show2.json" 'len(j["notes"])')" = 50
check "events kept arriving" count_is 200

# 5. audit verify
coll audit verify >"$T/v.txt"; rc=$?
check "audit verify: intact (exit 0)" test "$rc" = 0
check "  ... and prints the head" grep -qE '^head: [0-9]+ [0-9a-f]{64}$' "$T/v.txt"
check "audit verify --head of an earlier head" status_is 0 coll audit verify --head "$HEAD0"
check "audit verify --head of a hash not in the log (exit 3)" \
	status_is 3 coll audit verify --head "$(printf '%064d' 0)"
check "audit verify --head that is not a hash (exit 2)" status_is 2 coll audit verify --head xyz
N=$(jget "$T/v0.json" 'j["entries"]')
check "collector still running after all of it" kill -0 "$CPID"
check "collector exits cleanly on SIGTERM" stop_status
check "no sanitizer report in the collector log" no_sanitizer_report "$T/coll.log"

# tamper COPY SQL: a copy of the store with SQL applied
tamper() {
	rm -rf "$T/$1"; mkdir -m 700 "$T/$1"
	cp "$T/coll/collector.db" "$T/$1/"
	python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()" \
		"$T/$1/collector.db" "$2"
}
# broken COPY FAULT ENTRY: audit verify on it exits 3 naming the entry
broken() {
	"$COLLECTOR" -c "$T/collector.conf" --data-dir "$T/$1" audit verify --json >"$T/$1.json"
	local rc=$?
	[ "$rc" = 3 ] || { log "exit $rc"; return 1; }
	[ "$(jget "$T/$1.json" 'j["fault"], j["entry"]')" = "$2 $3" ] || { cat "$T/$1.json"; return 1; }
}
tamper edited "UPDATE audit SET actor = 'mallory' WHERE seq = 5"
check "an edited entry is found" broken edited edited 5
tamper deleted "DELETE FROM audit WHERE seq = 7"
check "a deleted entry is found" broken deleted missing 7
tamper reordered "UPDATE audit SET seq = -seq WHERE seq IN (8, 9); UPDATE audit SET seq = 17 + seq WHERE seq IN (-8, -9)"
check "reordered entries are found" broken reordered reordered 8
LAST=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select max(seq) from audit').fetchone()[0])" "$T/coll/collector.db")
tamper last "DELETE FROM audit WHERE seq = $LAST"
check "a deleted last entry is found" broken last missing "$LAST"
"$COLLECTOR" -c "$T/collector.conf" --data-dir "$T/edited" audit verify >"$T/broken.txt"
check "for people: BROKEN, the entry and why" \
	grep -q '^audit log BROKEN at entry 5 (edited): entry 5 was edited' "$T/broken.txt"
check "the untouched store is still intact" status_is 0 coll audit verify
finish
