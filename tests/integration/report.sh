#!/usr/bin/env bash
# Issue 11, first step: `vigil-collector report` on a store made by a
# real collector and real agents in two offices, while the daemon runs.
#
#  1. two agents in "Xã Tân Phú" emit alerts, one in "Xã Bình Minh" a
#     test event; an incident opened by hand, acknowledged
#  2. this month's report, JSON: the alerts, agents, offices, incidents
#     and controls as the store has them; the audit head as `audit
#     verify` prints it
#  3. Markdown and CSV in Vietnamese (the default from the shipped
#     config) and English: headings with their diacritics, the figures
#  4. PDF in both languages (pdftotext, pdfinfo): A4, the headings with
#     their diacritics, the figures, "Trang N/M"; never to a terminal
#  5. --office, a month without data, a quarter, a half year, a year;
#     -o FILE; usage errors (exit 2)
#  6. HTML: self-contained; in headless Chromium (Debian's chromium):
#     renders with no console message, the chart a bar per day, A4
#  6. backup while an agent sends: checked, 0600, recorded; the backups
#     control (its age limit is test_backup.c's, with the report's now)
. "$(dirname "$0")/lib.sh"

export TZ=Asia/Ho_Chi_Minh
# jget FILE EXPR: a Python expression over the JSON object j in FILE
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# status_is N CMD...: CMD exits with N
status_is() { local want=$1 rc; shift; "$@" >"$T/out" 2>"$T/err"; rc=$?; [ "$rc" = "$want" ] || { log "exit $rc, not $want: $*"; cat "$T/err"; return 1; }; }
rep() { coll report "$@"; }

write_collector_conf "$T/collector.conf"
# the shipped [report] section: lang = vi
sed -n '/^\[report\]/,$p' "$SRC/etc/collector.conf" >>"$T/collector.conf"
start_collector "$T/coll" || exit 1
MONTH=$(date +%Y-%m)
YEAR=$(date +%Y)
Q=$(( ($(date +%-m) - 1) / 3 + 1 ))
H=$(( ($(date +%-m) - 1) / 6 + 1 ))

# 1. the store
check "agent a1 enrolls" enroll_agent "$T/a1" pc-a1 "Xã Tân Phú"
check "agent a2 enrolls" enroll_agent "$T/a2" pc-a2 "Xã Tân Phú"
check "agent b1 enrolls" enroll_agent "$T/b1" pc-b1 "Xã Bình Minh"
agent "$T/a1" emit --type alert --count 4 --severity 2 >/dev/null
agent "$T/a2" emit --type alert --count 2 --severity 1 >/dev/null
agent "$T/b1" emit --count 1 >/dev/null
for a in a1 a2 b1; do start_agent "$T/$a"; done
check "6 alerts stored" wait_for "6 alerts" 60 count_is 6 --type alert
check "the test event stored" wait_for "test event" 30 count_is 1 --type test
coll incidents open --title "Gọi điện: giả mạo" --category spoofing \
	--severity critical --agent pc-b1 --as alice >/dev/null
coll incidents ack "$(coll incidents list --json --category spoofing | jget /dev/stdin 'j["id"]')" --as bob >/dev/null

# 2. JSON
rep --month "$MONTH" --format json >"$T/m.json"
check "json: a valid document of this month" \
	test "$(jget "$T/m.json" 'j["schema"], j["period"]["label"], j["office"]')" = \
	"vigil-report-1 $MONTH None"
check "json: two offices, side by side" \
	test "$(jget "$T/m.json" '[o["office"] for o in j["offices"]]')" = "['Xã Bình Minh', 'Xã Tân Phú']"
check "json: 3 PCs enrolled, 3 reported" \
	test "$(jget "$T/m.json" 'j["total"]["coverage"]["enrolled"], j["total"]["coverage"]["reported"]')" = "3 3"
check "json: 6 alerts, by severity 4 + 2" \
	test "$(jget "$T/m.json" 'j["total"]["detections"]["alerts"], sorted((s["severity"], s["count"]) for s in j["total"]["detections"]["by_severity"])')" = \
	"6 [(1, 2), (2, 4)]"
check "json: the top host pc-a1 with 4" \
	test "$(jget "$T/m.json" '[(h["name"], h["count"]) for h in j["total"]["detections"]["top_hosts"]]')" = \
	"[('pc-a1', 4), ('pc-a2', 2)]"
check "json: incidents: by hand in Bình Minh (acked within the hour), by correlation in Tân Phú (one per agent)" \
	test "$(jget "$T/m.json" '[(o["office"], o["incidents"]["opened"], o["incidents"]["critical"], o["incidents"]["critical_acked_1h"]) for o in j["offices"]], j["total"]["incidents"]["opened"]')" = \
	"[('Xã Bình Minh', 1, 1, 1), ('Xã Tân Phú', 2, 0, 0)] 3"
check "json: the controls every office passes" \
	test "$(jget "$T/m.json" '[c["status"] for c in j["total"]["controls"]]')" = \
	"['pass', 'unknown', 'pass', 'pass']"
coll audit verify --json >"$T/verify.json"
check "json: the audit head is the one audit verify prints" \
	test "$(jget "$T/m.json" 'j["audit"]["head"]')" = "$(jget "$T/verify.json" 'j["head"]')"
check "json: the audit chain control passes" \
	test "$(jget "$T/m.json" '[c["status"] for c in j["controls"] if c["id"] == "audit_chain"]')" = "['pass']"

# 3. Markdown and CSV, both languages
rep --month "$MONTH" --format md >"$T/vi.md"
check "md: Vietnamese by default (shipped [report] lang = vi)" \
	grep -q '^# BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN THÔNG TIN$' "$T/vi.md"
check "md vi: coverage" grep -q '^| Máy đã đăng ký | 3 |$' "$T/vi.md"
check "md vi: the summary" grep -q 'Trong kỳ, 3 trên 3 máy đã đăng ký gửi dữ liệu; có 6 cảnh báo, 3 sự cố mới phát sinh' "$T/vi.md"
check "md vi: the offices table" grep -q '^| Xã Tân Phú | 2 | 2 | ' "$T/vi.md"
check "md vi: an incident category in words" grep -q '^| Tấn công giả mạo | 1 |$' "$T/vi.md"
rep --month "$MONTH" --format md --lang en >"$T/en.md"
check "md en" grep -q '^# SECURITY COMPLIANCE REPORT$' "$T/en.md"
check "md en: the summary" grep -q 'In the period 3 of 3 enrolled PCs reported; there were 6 alerts, 3 incidents opened' "$T/en.md"
check "md en: a control" grep -q '^| The audit chain verifies | Pass |' "$T/en.md"
rep --month "$MONTH" --format csv >"$T/vi.csv"
check "csv vi: the header" test "$(head -1 "$T/vi.csv")" = "$(printf 'phần,đơn vị,chỉ tiêu,nhãn,khóa,giá trị\r')"
check "csv vi: a figure" grep -q '^"detections","\*","alerts","Tổng số cảnh báo","",6' "$T/vi.csv"
check "csv: every row has six cells" python3 -c "
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
assert len(rows) > 50 and all(len(r) == 6 for r in rows), [r for r in rows if len(r) != 6][:3]
" "$T/vi.csv"
rep --month "$MONTH" --format csv --lang en >"$T/en.csv"
check "csv en: the header" grep -q '^section,office,figure,label,key,value' "$T/en.csv"

# 4. PDF
# pdftext FILE: its text in drawing order, white space folded
pdftext() { pdftotext -raw "$1" - | tr -s ' \n\f' '   '; }
check "pdf vi -o FILE" status_is 0 rep --month "$MONTH" --format pdf -o "$T/vi.pdf"
check "pdf vi: A4" grep -q 'Page size: *595.276 x 841.89 pts (A4)' <(pdfinfo "$T/vi.pdf")
check "pdf vi: made by vigil" grep -q '^Creator: *vigil ' <(pdfinfo "$T/vi.pdf")
pdftext "$T/vi.pdf" >"$T/vi.pdf.txt"
NP=$(pdfinfo "$T/vi.pdf" | sed -n 's/^Pages: *//p')
check "pdf vi: the title, the headings with their diacritics" \
	grep -q 'BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN THÔNG TIN .*Mức độ bao phủ .*Danh mục kiểm soát' "$T/vi.pdf.txt"
check "pdf vi: the summary's figures" \
	grep -q 'Trong kỳ, 3 trên 3 máy đã đăng ký gửi dữ liệu; có 6 cảnh báo, 3 sự cố mới phát sinh' "$T/vi.pdf.txt"
check "pdf vi: both offices" grep -q 'Xã Bình Minh .*Xã Tân Phú' "$T/vi.pdf.txt"
check "pdf vi: PCs enrolled, 3" grep -q 'Máy đã đăng ký 3 ' "$T/vi.pdf.txt"
check "pdf vi: an incident category in words" grep -q 'Tấn công giả mạo 1 ' "$T/vi.pdf.txt"
check "pdf vi: the audit head" grep -q "$(jget "$T/m.json" 'j["audit"]["head"][:16]')" "$T/vi.pdf.txt"
check "pdf vi: Trang 1/$NP .. Trang $NP/$NP" \
	test "$(grep -o 'Trang [0-9]*/[0-9]*' "$T/vi.pdf.txt" | tr '\n' ' ')" = \
	"$(for i in $(seq 1 "$NP"); do printf 'Trang %d/%d ' "$i" "$NP"; done)"
check "pdf vi: the signature block on the last page" \
	grep -q 'Lãnh đạo đơn vị' <(pdftotext -f "$NP" -l "$NP" "$T/vi.pdf" -)
rep --month "$MONTH" --format pdf --lang en >"$T/en.pdf"
check "pdf en, to a redirected stdout" grep -q 'Page size: .*(A4)' <(pdfinfo "$T/en.pdf")
pdftext "$T/en.pdf" >"$T/en.pdf.txt"
check "pdf en: the summary" grep -q 'In the period 3 of 3 enrolled PCs reported; there were 6 alerts, 3 incidents opened' "$T/en.pdf.txt"
check "pdf en: Page 1/N" grep -q 'Page 1/[0-9]' "$T/en.pdf.txt"
check "pdf: an empty month" status_is 0 rep --month 2020-01 --format pdf -o "$T/empty.pdf"
check "  ... Không có" grep -q 'Không có' <(pdftext "$T/empty.pdf")
check "pdf: not to a terminal (exit 2)" status_is 2 script -qec \
	"$(printf '%q ' "$COLLECTOR" -c "$T/collector.conf" --data-dir "$CD" report --month "$MONTH" --format pdf)" /dev/null
check "  ... said" grep -q 'not to a terminal' "$T/out"

# 5. scopes, periods, files, errors
rep --month "$MONTH" --office "Xã Tân Phú" >"$T/o.json"
check "--office: that commune only" \
	test "$(jget "$T/o.json" 'len(j["offices"]), j["total"]["coverage"]["enrolled"], j["total"]["incidents"]["opened"], j["total"]["detections"]["alerts"]')" = "1 2 2 6"
rep --month 2020-01 >"$T/empty.json"
check "a month before any agent: a report with zeros" \
	test "$(jget "$T/empty.json" 'len(j["offices"]), j["total"]["coverage"]["enrolled"], j["total"]["detections"]["alerts"]')" = "0 0 0"
check "  ... in Markdown too" status_is 0 rep --month 2020-01 --format md
rep --quarter "$YEAR-Q$Q" >"$T/q.json"
rep --half "$YEAR-H$H" >"$T/h.json"
rep --year "$YEAR" >"$T/y.json"
check "quarter, half year and year hold this month's alerts" \
	test "$(for f in q h y; do jget "$T/$f.json" 'j["period"]["kind"], j["total"]["detections"]["alerts"]'; done | tr '\n' ' ')" = \
	"quarter 6 half 6 year 6 "
check "-o FILE" status_is 0 rep --month "$MONTH" --format md -o "$T/out.md"
# but for the time it was made and the disk's free bytes
same() { sed '/Lập lúc/d; /byte trống/d' "$1"; }
check "  ... the same document" cmp <(same "$T/out.md") <(same "$T/vi.md")

# 6. HTML, and the same file in headless Chromium: it renders with no
# console message (a blocked fetch or script, a CSP violation would log
# one), the chart has a bar per day of the month, it prints on A4
rep --month "$MONTH" --format html -o "$T/r.html"
check "html: one self-contained file" test "$(grep -c -E '<script|<link|src=|href=|url\(' "$T/r.html")" = 0
check "html: Vietnamese headings" grep -q '<h2>2. Mức độ bao phủ</h2>' "$T/r.html"
DAYS=$(python3 -c "import calendar,sys; print(calendar.monthrange(int(sys.argv[1][:4]), int(sys.argv[1][5:]))[1])" "$MONTH")
# chrome FILE OUT...: headless Chromium on FILE, its console in $T/console
chrome() {
	local f=$1; shift
	timeout 60 chromium --headless --disable-gpu --no-sandbox \
		--user-data-dir="$T/chromium" --no-first-run \
		--enable-logging=stderr --v=0 "$@" "file://$f" 2>"$T/console"
}
printf '<p>ok</p>' >"$T/probe.html"
if ! command -v chromium >/dev/null; then
	log "SKIP: html in Chromium: no chromium (scripts/deps installs it)"
elif ! chrome "$T/probe.html" --dump-dom | grep -q '<p>ok</p>'; then
	log "SKIP: html in Chromium: chromium cannot run here:"; tail -3 "$T/console"
else
	# the console check can fail: a page that breaks the same CSP logs
	printf '<meta http-equiv="Content-Security-Policy" content="default-src %s"><img src="x.png">' "'none'" >"$T/bad.html"
	chrome "$T/bad.html" --dump-dom >/dev/null
	check "chromium: a CSP violation is seen on its console" grep -q ':CONSOLE' "$T/console"
	chrome "$T/r.html" --dump-dom >"$T/dom.html"
	check "chromium: the report renders (its DOM has the title)" \
		grep -q '<h1>BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN THÔNG TIN</h1>' "$T/dom.html"
	check "chromium: no console message" test ! -s <(grep ':CONSOLE' "$T/console")
	check "chromium: the chart, a bar per day of the month ($DAYS)" \
		test "$(grep -o '<rect class="bar"' "$T/dom.html" | wc -l)" = "$DAYS"
	chrome "$T/r.html" --no-pdf-header-footer --print-to-pdf="$T/r.pdf" >/dev/null
	check "chromium: printed on A4" grep -q '^Page size: .* (A4)$' <(pdfinfo "$T/r.pdf")
	check "  ... with page numbers in the margin" grep -q 'Trang 1 / [0-9]' <(pdftotext "$T/r.pdf" -)
	check "  ... the headings with their diacritics" grep -q 'Danh mục kiểm soát' <(pdftotext "$T/r.pdf" -)
fi
check "no period: usage (exit 2)" status_is 2 rep
check "two periods: usage (exit 2)" status_is 2 rep --month "$MONTH" --year "$YEAR"
check "a bad month: usage (exit 2)" status_is 2 rep --month 2026-13
check "  ... named" grep -q -- "--month: YYYY-MM, not '2026-13'" "$T/err"
check "a bad quarter: usage (exit 2)" status_is 2 rep --quarter 2026-Q5
check "a bad language: usage (exit 2)" status_is 2 rep --month "$MONTH" --lang fr
check "a bad format: usage (exit 2)" status_is 2 rep --month "$MONTH" --format docx

# 6. backup while an agent sends: a checked store with what was committed
#    before it began, 0600, recorded in the audit log; the backups
#    control passes (test_backup.c: and fails once older than its limit)
rep --month "$MONTH" >"$T/nob.json"
check "backups: none recorded, the control fails" \
	test "$(jget "$T/nob.json" '[(c["status"], c["evidence"]["recorded"]) for c in j["controls"] if c["id"] == "backups"]')" = "[('fail', 0)]"
agent "$T/a2" emit --type alert --count 300 >/dev/null &
EMIT=$!
check "backup -o FILE while the agent sends" status_is 0 coll backup -o "$T/copy.db"
wait "$EMIT"
check "  ... said" grep -q "^backup $T/copy.db: [0-9]* bytes, sha256 [0-9a-f]\{64\}, schema [0-9]*, quick_check ok" "$T/out"
check "  ... mode 0600" test "$(stat -c %a "$T/copy.db")" = 600
check "  ... one file (no -wal beside it)" test ! -e "$T/copy.db-wal"
check "  ... a checked store with the 6 alerts committed before it began" python3 -c "
import sqlite3, sys
db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
assert db.execute('PRAGMA quick_check').fetchone()[0] == 'ok'
assert db.execute(\"SELECT count(*) FROM events WHERE type = 'alert'\").fetchone()[0] >= 6
" "$T/copy.db"
check "  ... its sha256 the audit log's" python3 -c "
import hashlib, sqlite3, sys, json
db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
d = json.loads(db.execute(\"SELECT detail FROM audit WHERE action = 'backup' ORDER BY seq DESC\").fetchone()[0])
assert d['path'] == sys.argv[2] and d['sha256'] == hashlib.sha256(open(sys.argv[2], 'rb').read()).hexdigest(), d
" "$CD/collector.db" "$(realpath "$T/copy.db")"
check "  ... never over a file (exit 1)" status_is 1 coll backup -o "$T/copy.db"
check "backup into DATA_DIR/backups (0700)" status_is 0 coll backup
check "  ... the folder 0700" test "$(stat -c %a "$CD/backups")" = 700
check "--keep with -o: usage (exit 2)" status_is 2 coll backup -o "$T/x.db" --keep 1
check "the audit chain still verifies" status_is 0 coll audit verify
rep --month "$MONTH" >"$T/bk.json"
check "backups: recorded twice, the control passes" \
	test "$(jget "$T/bk.json" '[(c["status"], c["evidence"]["recorded"]) for c in j["controls"] if c["id"] == "backups"]')" = "[('pass', 2)]"
for a in a1 a2 b1; do stop_agent "$T/$a"; done
finish_collector "$T/coll.log"
