#!/usr/bin/env bash
# Issue 9, early warning: the real collector and agent (alerts injected
# with `vigil-agent emit`, sent, stored, correlated), and what it tells.
#
#  a. the notify command gets the incident as valid JSON on standard input
#     and exactly its configured argv: a title with $(...), ; and quotes
#     runs nothing
#  b. a webhook on a loopback HTTPS server with a certificate of the
#     test's own CA (ca_file) gets the templated body within 1 s of the
#     emit; a second URL whose certificate is not of that CA is refused
#     and recorded as failed
#  c. a third webhook whose server is down: failed, recorded, retried,
#     and delivered once the server is up; a fourth that accepts and
#     never answers times out, recorded, and delays none of the others
#  d. mail through a loopback SMTP relay: "[vigil]" subject, Vietnamese
#     and English body
#  e. a storm of 5,000 alerts across 5 incidents: a handful of messages
#  f. smtp_starttls = yes against a relay without STARTTLS: no mail, the
#     failure recorded (never a silent fall back to plain text)
#  g. over the rate (3 a minute): the rest held back, then one summary
#     that names them
. "$(dirname "$0")/lib.sh"

SINK=$SRC/tests/tools/notify_sink.py
command -v openssl >/dev/null || { log "SKIP: needs openssl"; exit 77; }

jpy() { python3 -c "import json, sys, email, email.policy
$1" "${@:2}"; }
hooks() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
has_lines() { [ "$(hooks "$1")" -ge "$2" ]; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# certificates: a CA, a server certificate of it, and a stranger's
python3 "$SINK" certs "$T" >"$T/openssl.log" 2>&1
check "the test's CA and certificates are made" test -s "$T/rogue.crt" -a -s "$T/srv.crt"

sink_https() {	# NAME CERT [PORT]
	python3 "$SINK" https --cert "$T/$2.crt" --key "$T/$2.key" \
		--port-file "$T/$1.port" --log "$T/$1.log" --port "${3:-0}" \
		2>>"$T/$1.err" &
	eval "PID_$1=$!"
}
sink_https good srv
sink_https rogue rogue
python3 "$SINK" smtp --port-file "$T/smtp.port" --log "$T/smtp.log" \
	2>>"$T/smtp.err" &
PID_smtp=$!
python3 "$SINK" silent --port-file "$T/silent.port" 2>>"$T/silent.err" &
PID_silent=$!
for s in good rogue smtp silent; do
	check "the $s sink listens" wait_for "$s" 10 test -s "$T/$s.port"
done
P3=$(free_port)
mkdir -p "$T/cmd"

write_collector_conf "$T/collector.conf"
cat >>"$T/collector.conf" <<EOC
[notify]
min_severity = high
command = /usr/bin/python3 $SINK cmd $T/cmd "two words" \$HOME a;b | *
webhook = https://127.0.0.1:$(cat "$T/good.port")/bot123:SECRET/send
webhook = https://127.0.0.1:$(cat "$T/rogue.port")/rogue
webhook = https://127.0.0.1:$P3/later
webhook = https://127.0.0.1:$(cat "$T/silent.port")/hangs
webhook_template = {"chat_id": "42", "text": "{{title}} ({{severity}}, {{change}}) #{{id}}"}
ca_file = $T/ca.crt
timeout = 3s
smtp = smtp://127.0.0.1:$(cat "$T/smtp.port")
smtp_starttls = no
mail_from = vigil@example.org
mail_to = soc@example.org
retry = 1s 2s 2s 2s 2s 2s
EOC
start_collector "$T/coll" || exit 1
check "agent a1 enrolls" enroll_agent "$T/a1" "pc-a1" "Xã Tân Phú"
start_agent "$T/a1"
agent "$T/a1" emit --type test >/dev/null
check "the agent delivers" wait_for "first event" 20 count_is 1 --type test

TITLE='x"; $(touch '"$T"'/pwned) ; `touch '"$T"'/pwned2` \ end'
T0=$(date +%s.%N)
agent "$T/a1" emit --type alert --severity 1 --sid 100 --signature "$TITLE" >/dev/null
check "the webhook is told" wait_for "webhook" 10 has_lines "$T/good.log" 1
check "b. within 1 s of the emit" jpy '
l = [json.loads(x) for x in open(sys.argv[1])]
d = l[0]["t"] - float(sys.argv[2])
print("    emit to webhook: %.3f s" % d)
assert d < 1.0, d' "$T/good.log" "$T0"
check "b. the body is the template, the title JSON-escaped inside it" jpy '
l = [json.loads(x) for x in open(sys.argv[1])]
b = json.loads(l[0]["body"])
assert set(b) == {"chat_id", "text"}, b
assert b["chat_id"] == "42"
assert b["text"].startswith(sys.argv[2] + " (high, opened) #"), b["text"]
assert l[0]["type"] == "application/json", l[0]
assert l[0]["path"] == "/bot123:SECRET/send"' "$T/good.log" "$TITLE"
ID=$(jpy 'print(json.loads(json.loads(open(sys.argv[1]).readline())["body"])["text"].rsplit("#", 1)[1])' "$T/good.log")

# a. the command
cmd_done() { compgen -G "$T/cmd/cmd-*.json" >/dev/null; }
check "a. the command runs" wait_for "command" 10 cmd_done
check "a. exactly its configured argv, the incident JSON on stdin, env PATH and LANG, in /" jpy '
import glob
j = json.load(open(glob.glob(sys.argv[1] + "/cmd-*.json")[0]))
want = ["/usr/bin/python3", sys.argv[2], "cmd", sys.argv[1], "two words",
        "$HOME", "a;b", "|", "*"]
assert j["argv"] == want[1:], j["argv"]  # python drops argv[0]
inc = json.loads(j["stdin"])
assert inc["title"] == sys.argv[3], inc["title"]
assert inc["severity"] == "high" and inc["change"] == "opened", inc
assert inc["agents"] == ["pc-a1"], inc["agents"]
assert j["env"] == ["LANG", "LC_CTYPE", "PATH"] or j["env"] == ["LANG", "PATH"], j["env"]
assert j["cwd"] == "/", j["cwd"]
' "$T/cmd" "$SINK" "$TITLE"
check "a. no shell ran: nothing was touched" test ! -e "$T/pwned" -a ! -e "$T/pwned2"

# b. the stranger's certificate; c. the server down
shown() { coll incidents show "$ID" --json >"$T/show.json"; }
outcome() {	# TARGET-PREFIX OUTCOME [MIN-ATTEMPT]
	shown && jpy '
j = json.load(open(sys.argv[1]))
n = [x for x in j["notifications"] if x["target"].startswith(sys.argv[2])
     and x["outcome"] == sys.argv[3] and x["attempt"] >= int(sys.argv[4])]
assert n, j["notifications"]' "$T/show.json" "$@" "${3:-1}"
}
check "b. the URL with a stranger's certificate: recorded failed" \
	wait_for "rogue failed" 10 outcome "2:https://127.0.0.1:" failed
check "b. ... because of its certificate" jpy '
j = json.load(open(sys.argv[1]))
n = [x for x in j["notifications"] if x["target"].startswith("2:")]
assert "certificate" in n[0]["detail"].lower(), n[0]' "$T/show.json"
check "b. ... and it got nothing" test "$(hooks "$T/rogue.log")" = 0
check "b. no secret of the URL in the record" \
	bash -c "! grep -q SECRET '$T/show.json'"
check "c. the server down: recorded failed" \
	wait_for "down failed" 10 outcome "3:https://127.0.0.1:$P3" failed
sink_https later srv "$P3"
check "c. once it is up, a retry delivers" \
	wait_for "later sent" 20 outcome "3:https://127.0.0.1:$P3" sent 2
check "c. the body arrived" has_lines "$T/later.log" 1
show_lists() {
	coll incidents show "$ID" >"$T/show.txt" &&
	grep -Eq '^  [0-9TZ:-]+ +opened +webhook +#[0-9]+ +sent +3:https://127\.0\.0\.1:[0-9]+/\.\.\.: HTTP 200' "$T/show.txt"
}
check "show lists the attempts" wait_for "show" 10 show_lists
check "b. the stranger is given up after the schedule" \
	wait_for "rogue given up" 30 outcome "2:https://127.0.0.1:" given-up 7

# d. mail
check "d. the relay gets a mail" wait_for "mail" 10 has_lines "$T/smtp.log" 1
check "c. d. within 1 s of the emit, though webhook 4 hangs" jpy '
m = json.loads(open(sys.argv[1]).readline())
d = m["t"] - float(sys.argv[2])
print("    emit to mail: %.3f s" % d)
assert d < 1.0, d' "$T/smtp.log" "$T0"
check "c. the hung webhook: timed out, recorded" \
	wait_for "hung" 10 outcome "4:https://127.0.0.1:" failed
check "d. [vigil] subject, Vietnamese and English body, the title" jpy '
m = json.loads(open(sys.argv[1]).readline())
assert m["from"] == "<vigil@example.org>" and m["to"] == ["<soc@example.org>"], m
msg = email.message_from_string(m["data"], policy=email.policy.default)
s = str(msg["subject"])
assert s.startswith("[vigil] high (opened): " + sys.argv[2]), s
body = msg.get_content()
assert "Cảnh báo sớm vigil" in body and "Mức độ: cao" in body, body
assert "vigil early warning" in body and "Severity: high" in body, body
assert "Tiêu đề: " + sys.argv[2] in body, body
assert "Máy: pc-a1" in body and "Computers: pc-a1" in body, body' "$T/smtp.log" "$TITLE"

# e. the storm
N0=$(hooks "$T/good.log")
for sid in 201 202 203 204 205; do
	agent "$T/a1" emit --type alert --severity 1 --sid $sid --count 1000 \
		--signature "storm $sid" >/dev/null
done
check "e. 5,000 alerts stored" wait_for "storm" 60 count_is 5001 --type alert
sleep 2
check "e. a handful of messages: one per incident" jpy '
l = [json.loads(x) for x in open(sys.argv[1])][int(sys.argv[2]):]
t = sorted(json.loads(x["body"])["text"].split(" (")[0] for x in l)
print("    storm messages: %d" % len(l))
assert t == ["storm %d" % s for s in range(201, 206)], t' "$T/good.log" "$N0"
check "audit verify: intact" coll audit verify

# f. STARTTLS required
M0=$(hooks "$T/smtp.log")
stop_collector
printf 'smtp_starttls = yes\nrate = 3\n' >>"$T/collector.conf"
start_collector "$T/coll" || exit 1
agent "$T/a1" emit --type alert --severity 1 --sid 300 --signature "tls only" >/dev/null
mail_refused() {
	coll incidents list --json >"$T/list.json" && jpy '
rows = [json.loads(l) for l in open(sys.argv[1])]
print([r["id"] for r in rows if r["title"] == "tls only"][0])' "$T/list.json" >"$T/fid" &&
	ID=$(cat "$T/fid") outcome "127.0.0.1:" failed
}
check "f. STARTTLS required and not offered: recorded failed" \
	wait_for "mail refused" 15 mail_refused
check "f. ... and the relay got no mail" test "$(hooks "$T/smtp.log")" = "$M0"

# g. the rate: "tls only" was the first message of the minute
N0=$(hooks "$T/good.log")
for sid in 401 402 403 404 405; do
	agent "$T/a1" emit --type alert --severity 1 --sid $sid --count 200 \
		--signature "rate $sid" >/dev/null
done
check "g. two more messages in the minute" wait_for "rate" 20 has_lines "$T/good.log" $((N0 + 2))
summary_in() { grep -q 'held back' "$T/good.log"; }
check "g. a summary of the rest a minute later" wait_for "summary" 75 summary_in
check "g. it names the three held back, and nothing else came" jpy '
l = [json.loads(json.loads(x)["body"])["text"] for x in open(sys.argv[1])][int(sys.argv[2]):]
print("    " + l[-1])
assert len(l) == 3, l
assert l[-1].startswith("3 notifications held back (rate limit): incidents #"), l[-1]
assert l[-1].count("#") == 4, l[-1]' "$T/good.log" "$N0"

stop_agent "$T/a1"
for p in "$PID_good" "$PID_rogue" "$PID_later" "$PID_smtp" "$PID_silent"; do
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
finish_collector "$T/coll.log"
