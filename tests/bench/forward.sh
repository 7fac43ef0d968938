#!/usr/bin/env bash
# Forwarding throughput: N alerts (default 5,000) emitted at once by a
# real agent, stored by the collector, and forwarded over TCP (RFC 6587)
# to the Python receiver of the tests (tests/tools/syslog_sink.py) on
# loopback. Prints when the store had them all and when the receiver
# had them all, both from the emit.
#
#   VIGIL_BIN=build VIGIL_SRC=. [N=5000] tests/bench/forward.sh
. "$VIGIL_SRC/tests/integration/lib.sh"
SINK=$SRC/tests/tools/syslog_sink.py
N=${N:-5000}
python3 "$SINK" tcp --port-file "$T/p" --log "$T/s.log" 2>/dev/null &
wait_for sink 10 test -s "$T/p" || exit 1
write_collector_conf "$T/collector.conf"
printf '[notify]\nsyslog = no\n[forward]\nsyslog = tcp://127.0.0.1:%s\n' \
	"$(cat "$T/p")" >>"$T/collector.conf"
start_collector "$T/coll" || exit 1
enroll_agent "$T/a1" pc-a1 lab
start_agent "$T/a1"
received() { [ "$(grep -c ' alert \[' "$T/s.log" 2>/dev/null)" -ge "$N" ]; }
t0=$(date +%s.%N)
agent "$T/a1" emit --type alert --severity 2 --sid 7 --count "$N" \
	--signature bench >/dev/null
wait_for "stored" 300 count_is "$N" --type alert || exit 1
t1=$(date +%s.%N)
wait_for "forwarded" 300 received || exit 1
t2=$(date +%s.%N)
python3 -c 'import sys; t0, t1, t2 = map(float, sys.argv[2:])
print("%s alerts: stored %.2f s after the emit, all at the receiver %.2f s "
      "after it" % (sys.argv[1], t1 - t0, t2 - t0))' "$N" "$t0" "$t1" "$t2"
