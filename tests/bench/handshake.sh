#!/usr/bin/env bash
# Bogus handshakes (issue 8, item 4): what each costs the collector, with
# cookies off (the collector does the Diffie-Hellman work for each) and
# on (cookie_threshold 0: a COOKIE first, the work only for who answers),
# and how long a good agent's handshake takes meanwhile.
#
#   tests/bench/handshake.sh [BUILD_DIR] [CONNS] [FLOODERS]
#
# Defaults: build-bench (Release, built if missing), 3,000 HS_INIT per
# flooder, 4 flooders (vigil-peer attack hsinit, from 127.0.0.2-5, each a
# fresh unknown key per connection, never answering a cookie). Per-address
# limits are raised out of the way, so only the cookie makes the
# difference. CPU is the collector's utime+stime from /proc over the
# flood; refusals logged are the collector's warning lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
N=${2:-3000}
K=${3:-4}
. tests/bench/lib.sh
bench_build "$B" tests/vigil-peer vigil-collector
bench_tmp
C=$B/vigil-collector
P=$B/tests/vigil-peer

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() {		# LABEL COOKIE_THRESHOLD
	local dir=$D/$1 addr cpid c0 c1 t0 t1 j good pids=() i
	mkdir -p "$dir"
	printf '[collector]\ncookie_threshold = %s\nsource_handshakes = 100000\nsource_connections = 100000\n' \
	    "$2" >"$D/c.conf"
	"$C" -c "$D/c.conf" --data-dir "$dir" --listen 127.0.0.1:0 run \
	    2>"$dir.log" &
	cpid=$!
	for _ in $(seq 50); do [ -s "$dir/listen.addr" ] && break; sleep 0.1; done
	addr=$(cat "$dir/listen.addr")
	j=$("$C" -c "$D/c.conf" --data-dir "$dir" enroll-token --name good \
	    --office lab --json)
	"$P" enroll --collector "$addr" --key "$D/$1.key" \
	    --token "$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<<"$j")" \
	    --fingerprint "$(sed -n 's/.*"fingerprint":"\([0-9a-f]*\)".*/\1/p' \
	    <<<"$j")" >/dev/null
	c0=$(cpu_ticks "$cpid")
	t0=$(date +%s.%N)
	for ((i = 0; i < K; i++)); do
		"$P" attack hsinit --collector "$addr" --source "127.0.0.$((i + 2))" \
		    --conns "$N" >"$D/f$i.out" 2>/dev/null &
		pids+=($!)
	done
	sleep 0.5
	good=$("$P" attack hsflood --collector "$addr" --key "$D/$1.key" \
	    --conns 20 2>/dev/null)
	wait "${pids[@]}"
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$cpid")
	kill -TERM "$cpid"; wait "$cpid" || true
	python3 - "$1" "$((K * N))" "$c0" "$c1" "$t0" "$t1" "$good" \
	    "$(grep -c 'warn' "$dir.log" || true)" \
	    "$(cat "$D"/f*.out | awk '/got a cookie/ { c += $(NF-6) } END { print c + 0 }')" <<'PY'
import os, sys
label, n, c0, c1, t0, t1, good, warns, cookies = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), \
    sys.argv[7], int(sys.argv[8]), int(sys.argv[9])
hz = os.sysconf("SC_CLK_TCK")
cpu = (c1 - c0) / hz
secs = t1 - t0
gs = good.split(" in ")[1].split(" s")[0] if " in " in good else "?"
print(f"{label}: {n} bogus HS_INIT in {secs:.2f} s ({n / secs:,.0f}/s), "
      f"{cookies} answered with a cookie; collector CPU {cpu:.2f} s = "
      f"{cpu / n * 1e6:.0f} us each; {warns} warning lines; 20 good "
      f"handshakes meanwhile took {gs} s")
PY
}

run off 1000000
run on 0
