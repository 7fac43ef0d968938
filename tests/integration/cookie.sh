#!/usr/bin/env bash
# Handshakes under load (issue 8, item 4).
#
#  1. A collector that always asks for a cookie (cookie_threshold 0):
#     vigil-agent enroll, the agent daemon and vigil-peer all answer the
#     COOKIE and get in; five handshakes in a row each answered a cookie;
#     bad cookies (a wrong MAC, another connection's cookie, one nobody
#     asked for, a plain HS_INIT again) are refused without an HS_RESP.
#  2. cookie_threshold 20 (SIGHUP): 200 bogus handshakes from unknown keys
#     from 127.0.0.2..11: the first ones get the Diffie-Hellman work and a
#     refusal, and once 20 a second have come, the rest get a cookie first.
#  3. Refusals are logged at most a burst of 30 lines and one a second,
#     then one line with the count of the rest.
# Then no sanitizer report, and a clean exit.
. "$(dirname "$0")/lib.sh"

conf() {
	cat >"$T/collector.conf" <<EOC
[collector]
handshake_timeout = 10s
cookie_threshold = $1
source_handshakes = 100
[quota]
events_per_second = 1000000
bytes_per_second = 1G
EOC
}

deliver() { peer_deliver "$T/good.key"; }

cookies_answered() { sed -n 's/.*; \([0-9]*\) cookies answered.*/\1/p' <<<"$1"; }
refusal_lines() { grep -c "; connection closed" "$T/coll.log"; }
summary_count() {
	sed -n 's/.* \([0-9]*\) more refused connections in the last.*/\1/p' \
	    "$T/coll.log" | awk '{ n += $1 } END { print n + 0 }'
}

conf 0
start_collector "$T/coll" || { check "collector starts" false; finish; }

log "1. cookie_threshold 0: every handshake asks for a cookie"
check "a peer enrolls through a cookie" peer_enroll "$T/good.key" good
check "vigil-agent enroll gets in through a cookie" enroll_agent "$T/ag" pc-1 lab
start_agent "$T/ag"
agent "$T/ag" emit --count 20 >/dev/null 2>&1
check "the agent daemon delivers through a cookie" \
    wait_for "20 events" 20 count_is 20 --agent pc-1 --type test
stop_agent "$T/ag"
check "a peer delivers 100 events" deliver
out=$(timeout -k 5 60 "$PEER" attack hsflood --collector "$CADDR" \
    --key "$T/good.key" --conns 5 --timeout 10 2>&1)
indent "$out"
check "5 handshakes, 5 answered, each after a cookie" \
    grep -q "5 answered, 0 closed, 0 other; 5 cookies answered" <<<"$out"
out=$(timeout -k 5 60 "$PEER" attack badcookie --collector "$CADDR" \
    --timeout 10 2>&1)
rc=$?
indent "$out"
check "bad cookies are refused without an HS_RESP" [ $rc -eq 0 ]
check "the log says why" grep -q "handshake with a wrong cookie" \
    "$T/coll.log"
check "then a peer delivers 100 events" deliver

log "2. cookie_threshold 20: 200 bogus handshakes from 10 addresses"
conf 20
kill -HUP "$CPID"
check "the new threshold is applied" wait_for "reload" 10 \
    grep -q "configuration reloaded" "$T/coll.log"
sleep 2
lines0=$(refusal_lines)
total=0
for i in $(seq 2 11); do
	out=$(timeout -k 5 60 "$PEER" attack hsflood --collector "$CADDR" \
	    --source 127.0.0.$i --conns 20 --timeout 10 2>/dev/null)
	n=$(cookies_answered "$out")
	total=$((total + ${n:-0}))
done
log "$total of 200 bogus handshakes were asked for a cookie first"
check "once 20 a second had come, the rest were asked for a cookie" \
    [ "$total" -ge 100 ]
check "a good peer still gets in and delivers" deliver

log "3. the refusals in the log"
check "a summary line with a count comes within 12 s" \
    wait_for "summary" 12 grep -q "more refused connections" "$T/coll.log"
lines=$(( $(refusal_lines) - lines0 ))
sum=$(summary_count)
log "$lines refusal lines for 200 refusals; $sum counted in summaries"
check "at most 30 + one a second of them logged one by one ($lines)" \
    [ "$lines" -le 45 ]
check "the rest are counted ($lines + $sum >= 200)" \
    [ $((lines + sum)) -ge 200 ]

finish_collector "$T/coll.log"
