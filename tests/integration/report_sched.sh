#!/usr/bin/env bash
# Issue 11, the schedule: a real collector with [report] schedule = month
# whose clock (VIGIL_TEST_CLOCK_OFFSET, docs/report.md) says the month
# has just ended, a real agent, and a loopback SMTP relay.
#
#  0. a fresh store: the month that ended last is written at the start
#     (the province's only: no office had agents then), not this one
#  1. an agent in "Xã Tân Phú" sends 3 alerts; the collector is
#     restarted on the 1st of next month, 00:00:30 local: it writes this
#     month's report (the province's and the office's) in md and json,
#     mode 0600, whose figures are the store's (3 alerts, 1 PC)
#  2. the relay is down: the mail fails, is recorded (attempts, the
#     error) and retried
#  3. the collector restarts: nothing is written twice (same files, same
#     runs); the relay comes up: the mail arrives with both files
#     attached, byte for byte, the subject in Vietnamese; recorded sent
#  4. a file changed on disk is not mailed: the run records why
#  5. `reports` lists it all, text and JSON; an unknown format in the
#     configuration is refused at start
. "$(dirname "$0")/lib.sh"

export TZ=Asia/Ho_Chi_Minh
SINK=$SRC/tests/tools/notify_sink.py
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
runs() { coll reports --json >"$T/runs.json" && python3 -c "import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]
print($1)" "$T/runs.json"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
MONTH=$(date +%Y-%m)
PREV=$(python3 -c 'import datetime; n = datetime.date.today().replace(day=1) - datetime.timedelta(days=1); print(n.strftime("%Y-%m"))')
OFFICE="Xã Tân Phú"
P=$(free_port)

write_collector_conf "$T/collector.conf"
cat >>"$T/collector.conf" <<EOC
[notify]
syslog = no
smtp = smtp://127.0.0.1:$P
smtp_starttls = no
mail_from = vigil@example.org
timeout = 3s
[report]
lang = vi
schedule = month
formats = md, json
offices = both
mail_to = pho.chu.tich@example.org, soc@example.org
retry = 1s 1s 1s 1s 1s 1s 1s 1s
EOC

# 1. the month's data, then the 1st of next month
start_collector "$T/coll" || exit 1
check "agent a1 enrolls" enroll_agent "$T/a1" pc-a1 "$OFFICE"
agent "$T/a1" emit --type alert --count 3 --severity 2 >/dev/null
start_agent "$T/a1"
check "3 alerts stored" wait_for "3 alerts" 60 count_is 3 --type alert
check "a fresh store: the month that ended last, the province's only" \
	wait_for "last month" 20 runs '"ok" if [(x["period"], x["office"]) for x in r] == [("'"$PREV"'", None)] else sys.exit(1)'
check "the month under way is not written" test ! -e "$T/coll/reports/report-$MONTH.json"
stop_agent "$T/a1"
stop_collector
OFFSET=$(python3 -c 'import time, datetime
n = datetime.datetime.now()
y, m = (n.year + 1, 1) if n.month == 12 else (n.year, n.month + 1)
print(int(datetime.datetime(y, m, 1, 0, 0, 30).timestamp() - time.time()))')
export VIGIL_TEST_CLOCK_OFFSET=$OFFSET
start_collector "$T/coll" || exit 1
R=$T/coll/reports
check "the province's report is written, md and json" \
	wait_for "the report" 30 test -s "$R/report-$MONTH.json" -a -s "$R/report-$MONTH.md"
check "the folder is 0700, the files 0600" \
	test "$(stat -c %a "$R") $(stat -c %a "$R/report-$MONTH.md")" = "700 600"
check "json: the period, 3 alerts, 1 PC reported" \
	test "$(jget "$R/report-$MONTH.json" 'j["period"]["label"], j["total"]["detections"]["alerts"], j["total"]["coverage"]["reported"]')" = "$MONTH 3 1"
check "md: in Vietnamese, the offices table" grep -q "^| $OFFICE | 1 | 1 | " "$R/report-$MONTH.md"
OJ=$(ls "$R"/report-"$MONTH"-Xã-Tân-Phú-*.json 2>/dev/null)
check "the office's report, its name kept apart by a hash" test -s "$OJ"
check "office json: the office, 3 alerts" \
	test "$(jget "$OJ" 'j["office"], j["total"]["detections"]["alerts"]')" = "$OFFICE 3"

# 2. the relay is down
check "the mail fails, is recorded and retried" \
	wait_for "a failed attempt" 20 runs '"ok" if all(x["mail"] == "pending" and x["attempts"] >= 2 and "onnect" in x["last_error"] for x in r) else sys.exit(1)'
check "the log says so" grep -q "mail failed (attempt" "$T/coll.log"

# 3. a restart writes nothing twice; the relay comes up
SUM1=$(sha256sum "$R"/* | sort)
MT1=$(stat -c %Y "$R/report-$MONTH.md")
stop_collector
python3 "$SINK" smtp --port "$P" --port-file "$T/smtp.port" --log "$T/smtp.log" \
	2>>"$T/smtp.err" &
check "the relay listens" wait_for "relay" 10 test -s "$T/smtp.port"
start_collector "$T/coll" || exit 1
mails() { [ -f "$T/smtp.log" ] && [ "$(wc -l <"$T/smtp.log")" -ge "$1" ]; }
# (a function: counted again at each try, not once before the first)
check "the three mails arrive after the restart" wait_for "mail" 30 mails 3
check "recorded sent" wait_for "sent" 10 runs '"ok" if [x["mail"] for x in r] == ["sent"] * 3 else sys.exit(1)'
check "three runs, still: none written twice" \
	test "$(runs 'len(r), [len(x["files"]) for x in r]')" = "3 [2, 2, 2]"
check "the files are those of the first start" \
	test "$(sha256sum "$R"/* | sort)" = "$SUM1" -a "$(stat -c %a "$R/report-$MONTH.md")" = 600 \
	-a "$(stat -c %Y "$R/report-$MONTH.md")" = "$MT1"
cat >"$T/mail.py" <<'PY'
import email, email.policy, json, os, sys
log, rdir, month, office = sys.argv[1:5]
seen = []
mails = [json.loads(l) for l in open(log)]
subjects = []
for m in mails:
    msg = email.message_from_string(m["data"], policy=email.policy.default)
    assert sorted(m["to"]) == ["<pho.chu.tich@example.org>", "<soc@example.org>"], m["to"]
    subjects.append(str(msg["subject"]))
    parts = list(msg.iter_attachments())
    names = sorted(p.get_filename() for p in parts)
    assert len(names) == 2 and all(n.endswith((".md", ".json")) for n in names), names
    for p in parts:
        want = open(os.path.join(rdir, p.get_filename()), "rb").read()
        assert p.get_payload(decode=True) == want, p.get_filename()
    label = names[0].split("-")[1] + "-" + names[0].split("-")[2].split(".")[0]
    seen.append(label)
    body = msg.get_body(("plain",)).get_content()
    assert "Báo cáo tháng " + label in body and "monthly report " + label in body, body
assert any(s.startswith("[vigil] Báo cáo tháng " + month) and s.endswith(office) for s in subjects), subjects
assert sum(s.endswith("toàn bộ các đơn vị") for s in subjects) == 2, subjects
assert sorted(seen).count(month) == 2 and len(seen) == 3, seen
print("ok")
PY
check "each mail: both recipients, both files attached byte for byte, the subject in Vietnamese" \
	python3 "$T/mail.py" "$T/smtp.log" "$R" "$MONTH" "$OFFICE"

# 4. a file changed on disk is not mailed
stop_collector
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE report_runs SET mail='pending', attempts=0, next_try=0 WHERE office='' AND period=?\", (sys.argv[2],)); c.commit()" "$T/coll/collector.db" "$MONTH"
echo tampered >>"$R/report-$MONTH.md"
N0=$(wc -l <"$T/smtp.log")
start_collector "$T/coll" || exit 1
check "the changed file: not mailed, the run says why" \
	wait_for "refused" 20 runs '"ok" if any(x["office"] is None and "changed since it was written" in x["last_error"] for x in r) else sys.exit(1)'
check "no mail sent for it" test "$(wc -l <"$T/smtp.log")" = "$N0"

# 5. the list, and a format refused at start
coll reports >"$T/list.txt"
check "reports: a line per run, its files with their sha256" \
	test "$(grep -cE "^$MONTH +month" "$T/list.txt") $(grep -cE "^$PREV +month" "$T/list.txt") $(grep -c 'sha256 [0-9a-f]\{64\}$' "$T/list.txt")" = "2 1 6"
stop_collector
sed -i 's/^formats = md, json$/formats = md, docx/' "$T/collector.conf"
check "an unknown format: the collector does not start, and says why" \
	sh -c "! \"$COLLECTOR\" -c \"$T/collector.conf\" --data-dir \"$T/coll\" run 2>\"$T/bad.log\" && grep -q \"formats = 'md, docx': 'docx': must be pdf, html, md, csv or json\" \"$T/bad.log\""
no_sanitizer_report "$T/coll.log"
finish
