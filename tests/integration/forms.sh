#!/usr/bin/env bash
# Issue 9: the report forms of Circular 20/2017 (vigil-collector
# incidents form) and the export (vigil-collector export), through the
# real collector and agents.
#
#  1. an incident raised by correlation (agents emit alerts), one opened
#     by hand with a hostile title, note, agent name and office; a file
#     alert whose path holds control characters, bidi and bad UTF-8
#  2. Mau 03 in vi and en, HTML and Markdown: every field of the issue
#     by its label, the office's details from [office], IDS ticked for
#     the correlated incident, hostile text escaped (no raw tag, quote or
#     control byte); --final gives Mau 04 with its own fields
#  3. export: EVE and CSV of events parse (python3 json, csv), hold as
#     many rows as `events --json`, show the hostile path escaped
#     as a terminal does, and neutralise formula cells; incidents likewise; -o FILE;
#     exit 2 for usage errors, 1 for a missing incident
. "$(dirname "$0")/lib.sh"

EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
EVIL=$'x\e]0;pwned\a\r\e[2K<img src=x onerror=alert(1)>\n\xff\xe2\x80\xae"q\'.com'
# the same name as text.h's TEXT_TERM shows it
SHOWN='x\x1b]0;pwned\x07\x0d\x1b[2K<img src=x onerror=alert(1)>\x0a\xff\xe2\x80\xae"q'"'"'.com'
TITLE='<script>alert("x")</script> & *bold* [l](javascript:x) =1+2'
NOTE=$'cleaned\r\n\e[2J<img src=x onerror=alert(1)> `code` | a'

write_collector_conf "$T/collector.conf"
cat >>"$T/collector.conf" <<'EOC'
[office]
name = Sở Khoa học & Công nghệ <Tỉnh X>
address = 1 Đường "Lê Lợi", TP. X
phone = 0123 456 789
email = attt@example.gov.vn
contact = Nguyễn Văn An
contact_position = Chuyên viên
contact_phone = 0987 654 321
contact_email = an@example.gov.vn
owner = UBND tỉnh X
operator = Trung tâm Công nghệ thông tin
system = Hệ thống một cửa điện tử
security_level = 3
os = Debian 12
services = web, thư điện tử
measures = tường lửa, vigil
public = 203.0.113.10
public = motcua.example.gov.vn
governing_body = UBND tỉnh X
coordinator = Trung tâm VNCERT/CC
EOC
mkdir -p "$T/watched"
files_conf "$T/agent-files.conf" "$T/watched" "watcher = inotify"
write_agent_conf "$T/agent.conf"

start_collector "$T/coll" || exit 1
check "agent a1 enrolls" enroll_agent "$T/a1" 'pc"<b>a1' 'Xã <i>Tân</i> Phú'
check "agent a2 enrolls" enroll_agent "$T/a2" '=HYPERLINK("http://e")' "Xã Hòa"
check "agent a3 enrolls" enroll_agent "$T/a3" "pc-files" "Xã Hòa"

# 1. the incidents
agent "$T/a1" emit --type alert --count 5 --severity 1 >/dev/null
agent "$T/a2" emit --type alert --count 2 >/dev/null
start_agent "$T/a1"
start_agent "$T/a2"
"$AGENT" -c "$T/agent-files.conf" --data-dir "$T/a3" run 2>>"$T/a3.log" &
APIDS[$T/a3]=$!
check "7 alerts stored" wait_for "alerts" 30 count_is 7 --type alert
sleep 1
printf '%s' "$EICAR" >"$T/watched/$EVIL"
check "the file alert arrives" wait_for "file alert" 20 count_is 8 --type alert
check "correlation opened an incident" wait_for "incident" 20 \
	sh -c "'$COLLECTOR' -c '$T/collector.conf' --data-dir '$CD' incidents list --json | grep -q 'VIGIL test alert'"
CID=$(coll incidents list --json | python3 -c '
import json, sys
print([j["id"] for j in map(json.loads, sys.stdin) if j["alerts"] == 5][0])')
out=$(coll incidents open --title "$TITLE" --category malware --severity high \
	--agent 'pc"<b>a1' --as tester --json)
HID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$out")
check "a note with controls is taken" \
	coll incidents note "$HID" "$NOTE" --as tester
check "reported to the coordinator" \
	coll incidents reported "$HID" --to 'VNCERT/CC' --as tester

# 2. the forms
cat >"$T/form.py" <<'EOF'
import sys, re
path, lang, fmt, which = sys.argv[1:5]
raw = open(path, "rb").read()
t = raw.decode("utf-8")                 # raises on invalid UTF-8
for b in raw:
    assert b >= 0x20 or b in (0x0a,), "raw control byte %#x" % b
assert "\u202e" not in t, "raw bidi override"
if fmt == "md":                         # what a reader sees
    shown = re.sub(r"\\(.)", r"\1", t)
else:
    import html
    assert re.search(r"<script|<img|<b>a1|<i>T", t, re.I) is None, "raw tag"
    assert "@page" in t and "size: A4" in t, "A4 page"
    assert re.search(r"<[^>]*\b(src|href)\s*=", t, re.I) is None, \
        "external resource"
    assert '<meta charset="utf-8">' in t
    shown = html.unescape(re.sub(r"<[^>]*>", "", t))
VI03 = ["Mẫu 03", "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG", "Tên đơn vị", "Địa chỉ",
    "Điện thoại", "Thư điện tử", "Người liên hệ", "Đơn vị chủ quản",
    "Đơn vị vận hành", "Tên hệ thống", "Cấp độ an toàn hệ thống thông tin",
    "Tóm tắt", "Mức độ ảnh hưởng", "Ngày, giờ phát hiện sự cố",
    "Tình trạng sự cố", "Đã xử lý", "Chưa xử lý", "Cách thức phát hiện",
    "(IDS)", "nhật ký", "Được thông báo từ", "Khác", "Đã thông báo sự cố cho",
    "Hệ điều hành", "dịch vụ", "Các biện pháp an toàn thông tin đã triển khai",
    "Địa chỉ IP công khai và tên miền", "Tài liệu gửi kèm",
    "Đề nghị hỗ trợ", "Thời gian báo cáo", "[TBSC]"]
EN03 = ["Form 03", "INITIAL CYBER INCIDENT REPORT", "Name of the organisation",
    "Address", "Phone", "E-mail", "Contact person", "Owner", "Operator",
    "System name", "security level", "Summary", "Impact",
    "Date and time of detection", "Status of the incident", "Handled",
    "Not handled yet", "How it was detected", "(IDS)", "Log review",
    "Notified by", "Other", "Already notified", "Operating systems",
    "Services", "Security measures in place",
    "Public addresses and domain names", "Attachments",
    "Requests for support", "Time of this report", "[TBSC]"]
VI04 = ["Mẫu 04", "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ", "Tên đơn vị",
    "Người liên hệ", "Tên hệ thống", "Tóm tắt", "Ngày, giờ phát hiện sự cố",
    "Các biện pháp xử lý đã thực hiện", "Kết quả xử lý sự cố",
    "Đánh giá thiệt hại", "Bài học kinh nghiệm",
    "Thời gian kết thúc xử lý sự cố", "Tài liệu gửi kèm", "[TBSC]"]
EN04 = ["Form 04", "FINAL INCIDENT RESPONSE REPORT", "Name of the organisation",
    "Contact person", "System name", "Summary", "Date and time of detection",
    "Handling measures taken", "Outcome and resolution", "Damage",
    "Lessons learned", "Time handling ended", "Attachments", "[TBSC]"]
labels = {("vi", "03"): VI03, ("en", "03"): EN03, ("vi", "04"): VI04,
    ("en", "04"): EN04}[(lang, which)]
for l in labels:
    assert l in shown, "label missing: " + l
office = ["Sở Khoa học & Công nghệ <Tỉnh X>", '1 Đường "Lê Lợi", TP. X',
    "0123 456 789", "attt@example.gov.vn", "Nguyễn Văn An", "Chuyên viên",
    "UBND tỉnh X", "Hệ thống một cửa điện tử", "Trung tâm VNCERT/CC"]
if which == "03":
    office += ["Debian 12", "web, thư điện tử", "tường lửa, vigil",
        "203.0.113.10", "motcua.example.gov.vn",
        "vigil-incident-", "-events.csv", "vigil-collector export --since"]
for v in office:
    assert v in shown, "office detail missing: " + v
assert "☒" in shown or "\u2612" in shown or "&#x2612;" in t
for extra in sys.argv[5:]:
    assert extra in shown, "missing: " + extra
EOF
form_ok() {	# ID LANG FMT 03|04 [TEXT THAT MUST SHOW]...
	local id=$1 lang=$2 fmt=$3 which=$4 fin=""
	shift 4
	[ "$which" = 04 ] && fin=--final
	coll incidents form "$id" $fin --lang "$lang" --format "$fmt" \
		>"$T/form.$lang.$fmt" || return 1
	python3 "$T/form.py" "$T/form.$lang.$fmt" "$lang" "$fmt" "$which" "$@"
}
TSHOWN='<script>alert("x")</script> & *bold* [l](javascript:x) =1+2'
for lang in vi en; do
	for fmt in html md; do
		check "Mau 03 $lang $fmt: every field, the office, escaped" \
			form_ok "$HID" $lang $fmt 03 "$TSHOWN" 'pc"<b>a1' \
			'Xã <i>Tân</i> Phú' 'VNCERT/CC'
	done
done
form_has() {	# ID TEXT [OPTIONS]...: the form holds TEXT as it is
	local id=$1 text=$2
	shift 2
	coll incidents form "$id" "$@" >"$T/form.has" && grep -qF -- "$text" "$T/form.has"
}
check "the correlated incident: IDS ticked (html)" \
	form_has "$CID" '&#x2612;</span> Hệ thống phát hiện xâm nhập (IDS)'
check "the hand-opened one: IDS not ticked (md)" \
	form_has "$HID" '☐ Hệ thống phát hiện xâm nhập \(IDS\)' --format md
check "the correlated incident: handled not ticked (en md)" \
	form_has "$CID" '☒ Not handled yet' --format md --lang en
check "the correlated incident lists its agent and rule" \
	form_ok "$CID" en md 03 'pc"<b>a1' '1:9000001'
check "markdown: the title's markup is escaped" form_has "$HID" \
	'\<script\>alert\("x"\)\</script\> \& \*bold\* \[l\]\(javascript:x\)' \
	--format md --lang en
check "html: the note's text does not reach an initial report" \
	sh -c "! grep -q 'onerror' '$T/form.vi.html'"
coll incidents resolve "$HID" --resolution true-positive \
	--reason 'host <cleaned> & "restored"' --as tester >/dev/null
for lang in vi en; do
	for fmt in html md; do
		check "Mau 04 $lang $fmt: every field, notes and outcome" \
			form_ok "$HID" $lang $fmt 04 '\x1b[2J<img src=x onerror=alert(1)>' \
			'host <cleaned> & "restored"' 'tester'
	done
done
check "Mau 04 vi: the resolution in Vietnamese" grep -q 'Sự cố thật' "$T/form.vi.md"
check "form -o FILE writes the file" \
	coll incidents form "$HID" --final -o "$T/final.html"
check "  and it is the html form" grep -q 'FINAL\|KẾT THÚC' "$T/final.html"
check_exit() { local want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }
check "form of a missing incident: exit 1" check_exit 1 coll incidents form 999
check "form --lang fr: exit 2" check_exit 2 coll incidents form "$HID" --lang fr
check "form --format pdf: exit 2" check_exit 2 coll incidents form "$HID" --format pdf

# 3. export (the agents stopped: no heartbeat lands between two commands)
stop_agent "$T/a1"
stop_agent "$T/a2"
stop_agent "$T/a3"
coll events --json >"$T/events.json"
N=$(wc -l <"$T/events.json")
check "export eve" coll export --since 1970-01-01 -o "$T/ev.eve"
check "export csv" coll export --since 1970-01-01 --format csv -o "$T/ev.csv"
check "export csv to stdout" sh -c "'$COLLECTOR' -c '$T/collector.conf' --data-dir '$CD' export --since 1970-01-01 --format csv >'$T/ev2.csv'"
cat >"$T/export.py" <<'EOF'
import csv, json, sys
eve, csvf, n, evil = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = [json.loads(l) for l in open(eve, encoding="utf-8")]
assert len(rows) == n, (len(rows), n)
assert rows == [json.loads(l) for l in open(sys.argv[5], encoding="utf-8")]
with open(csvf, newline="", encoding="utf-8") as f:
    data = f.read()
for ch in data:
    assert ch in "\r\n" or ord(ch) >= 0x20 and not 0x7f <= ord(ch) <= 0x9f \
        and not 0x202a <= ord(ch) <= 0x202e, "raw %r" % ch
r = list(csv.DictReader(data.splitlines(True)))
assert len(r) == n, (len(r), n)
# the hostile path, escaped as on a terminal (text.h TEXT_TERM)
paths = [x["file.path"] for x in r if x["file.path"]]
assert any(p.endswith("/" + evil) for p in paths), (paths, evil)
for x in r:
    for k, v in x.items():
        assert not v or v[0] not in "=+-@\t\r" or k in ("seq",) , (k, v)
names = [x["agent_name"] for x in r if "HYPERLINK" in x["agent_name"]]
assert names and all(v == "'=HYPERLINK(\"http://e\")" for v in names), names
assert sum(1 for x in r if x["event_type"] == "alert") == 8
EOF
check "export: eve and csv parse, the counts match events --json, the path comes back, formulas neutralised" \
	python3 "$T/export.py" "$T/ev.eve" "$T/ev.csv" "$N" "$SHOWN" "$T/events.json"
check "export csv: stdout is the same as -o" cmp "$T/ev.csv" "$T/ev2.csv"
check "export --until before everything: no events" sh -c \
	"test \$('$COLLECTOR' -c '$T/collector.conf' --data-dir '$CD' export --since 1970-01-01 --until 1970-01-02 | wc -l) = 0"
coll incidents list --json >"$T/inc.json"
check "export incidents (JSON lines, CSV)" sh -c "
	'$COLLECTOR' -c '$T/collector.conf' --data-dir '$CD' export --since 1970-01-01 --what incidents -o '$T/inc.eve' &&
	'$COLLECTOR' -c '$T/collector.conf' --data-dir '$CD' export --since 1970-01-01 --what incidents --format csv -o '$T/inc.csv'"
check "export incidents: as many as incidents list, the title's formula neutralised" python3 -c "
import csv, json, sys
lst = [json.loads(l) for l in open(sys.argv[1])]
eve = [json.loads(l) for l in open(sys.argv[2])]
assert [i['id'] for i in lst] == [i['id'] for i in eve]
r = list(csv.DictReader(open(sys.argv[3], newline='')))
assert len(r) == len(lst), (len(r), len(lst))
t = [x['title'] for x in r if 'script' in x['title']]
assert t == [sys.argv[4]], t
" "$T/inc.json" "$T/inc.eve" "$T/inc.csv" "$TITLE"
check "export without --since: exit 2" check_exit 2 coll export
check "export --what bogus: exit 2" check_exit 2 coll export --since 1d --what x
check "export --format xml: exit 2" check_exit 2 coll export --since 1d --format xml
check "export --until before --since: exit 2" \
	check_exit 2 coll export --since 2026-01-02 --until 2026-01-01
check "export into a missing folder: exit 1, nothing left" \
	check_exit 1 coll export --since 1d -o "$T/nope/x.csv"
check "audit verify: intact" coll audit verify
finish_collector "$T/coll.log"
