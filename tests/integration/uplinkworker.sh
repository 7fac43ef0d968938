#!/usr/bin/env bash
# The uplink worker (vigil-uplink) under the daemon, end to end with the
# collector (issue 12):
#  - what reads the collector's bytes runs in a process of its own, as
#    the [agent] user when run as root, with no capabilities, seccomp on
#    and no_new_privs, holding no file: only stdio, its socket to the
#    daemon and the collector's connection;
#  - through a relay that, on the first connection only, turns the
#    collector's handshake reply into one that trips the test build's
#    crash hook: the worker dies (signal 6), the daemon logs it, starts
#    another, reconnects, and every event spooled meanwhile arrives; the
#    heartbeat counts the restart;
#  - the daemon holds no connection to the collector: the TCP socket is
#    the worker's.
. "$(dirname "$0")/lib.sh"

EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
mkdir -p "$T/watched"

start_collector "$T/coll" || exit 1
files_conf "$T/agent.conf" "$T/watched"
enroll_agent "$T/a" pc-link "Xã Tân Phú" || exit 1

# the relay: first connection's HS_RESP body starts with the crash marker
python3 - "$CADDR" "$T/relay.port" "$T/relay.count" <<'EOP' &
import socket, sys, threading
host, port = sys.argv[1].rsplit(':', 1)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0))
srv.listen(8)
open(sys.argv[2], 'w').write(str(srv.getsockname()[1]))
n = 0
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def recv_exact(s, k):
    b = b''
    while len(b) < k:
        d = s.recv(k - len(b))
        if not d:
            raise OSError('closed')
        b += d
    return b
def serve(c, first):
    u = socket.create_connection((host, int(port)))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    if first:
        try:
            hdr = recv_exact(u, 5)
            body = recv_exact(u, int.from_bytes(hdr[:4], 'big') - 1)
            if hdr[4] == 4:
                body = b'VIGIL-TEST-CRASH' + body[16:]
            c.sendall(hdr + body)
        except OSError:
            return
    pipe(u, c)
while n < 50:
    c, _ = srv.accept()
    n += 1
    open(sys.argv[3], 'w').write(str(n))
    threading.Thread(target=serve, args=(c, n == 1), daemon=True).start()
EOP
RELAY=$!
wait_for "relay" 10 test -s "$T/relay.port" || exit 1
printf '[uplink]\ncollector = 127.0.0.1:%s\n' "$(cat "$T/relay.port")" >>"$T/agent.conf"

start_agent "$T/a"
wait_for "the first worker" 10 pgrep -f "vigil-uplink .*--data-dir $T/a uplink-worker" >/dev/null
check "the first worker dies of the crafted reply (signal 6), logged by the daemon" \
	wait_for "worker end" 15 grep -q "uplink worker [0-9]* ended (killed by signal 6" "$T/a.log"
printf '%s' "$EICAR" >"$T/watched/during.com"
check "the daemon connects again through a new worker" \
	wait_for "reconnect" 20 sh -c "[ \$(cat '$T/relay.count') -ge 2 ] && grep -q 'connected to collector' '$T/a.log'"
check "the file dropped around the crash alerts at the collector" \
	wait_for "alert" 20 count_is 1 --type alert --agent pc-link
heartbeat_restart() {
	coll agents --json | grep '"name":"pc-link"' | grep -q '"uplink":{"restarts":1}'
}
check "the heartbeat counts the restart" wait_for "heartbeat" 15 heartbeat_restart

pid=$(pgrep -f "vigil-uplink .*--data-dir $T/a uplink-worker" | head -1)
check "a worker runs" test -n "$pid"
if [ -n "$pid" ]; then
	check_confined "the worker" "$pid"
	if [ "$(id -u)" -eq 0 ]; then
		# descriptors above stdio (which is the daemon's log here)
		files=$(find /proc/$pid/fd -mindepth 1 -regex '.*/[0-9]*[3-9][0-9]*\|.*/[1-9][0-9]+' -printf '%l\n' | grep -vc '^socket:')
		check "the worker holds no file above stdio (only sockets)" test "$files" = 0
		rport=$(cat "$T/relay.port")
		apid=${APIDS[$T/a]}
		check "the collector's connection is the worker's, not the daemon's" \
			sh -c "ss -Htnp state established '( dport = :$rport )' | grep -q 'pid=$pid,' && ! ss -Htnp state established '( dport = :$rport )' | grep -q 'pid=$apid,'"
	fi
fi
kill "$RELAY" 2>/dev/null
stop_agent "$T/a"
finish
