#!/usr/bin/env python3
"""syslog_sink.py: a SIEM's syslog receiver, for the forwarder's test
(tests/integration/forward.sh). Loopback only.

  udp|tcp|tls --port-file F --log L [--port P] [--cert C --key K]
      UDP: each datagram is one message (RFC 5426). TCP and TLS: octet
      counting (RFC 6587, 3.4.1: MSG-LEN SP SYSLOG-MSG), strictly: a
      frame that does not start with a non-zero digit, or a length over
      1 MiB, is an error and the connection is closed. TLS (RFC 5425)
      with the certificate C and key K.
      Each message is a JSON line {"t", "conn", "msg"} in L (msg decoded
      as UTF-8, strictly); an error a line {"t", "conn", "error"}.
"""
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import time

LOCK = threading.Lock()
CONNS = [0]


def opt(args, name, default=None):
    if name in args:
        return args[args.index(name) + 1]
    return default


def append(path, obj):
    obj["t"] = time.time()
    with LOCK, open(path, "a") as f:
        f.write(json.dumps(obj) + "\n")


def record(log, conn, raw):
    try:
        append(log, {"conn": conn, "msg": raw.decode("utf-8", "strict")})
    except UnicodeDecodeError as e:
        append(log, {"conn": conn, "error": "not UTF-8: %s" % e})


def frames(sock, log, conn):
    """Octet-counted frames until EOF or a framing error."""
    buf = b""
    while True:
        sp = buf.find(b" ")
        if sp == -1:
            if len(buf) > 8:
                append(log, {"conn": conn, "error": "no length: %r" % buf[:16]})
                return
            chunk = sock.recv(65536)
            if not chunk:
                if buf:
                    append(log, {"conn": conn, "error": "cut frame"})
                return
            buf += chunk
            continue
        head = buf[:sp]
        if not head.isdigit() or head[:1] == b"0" or int(head) > 1 << 20:
            append(log, {"conn": conn, "error": "bad length: %r" % head[:16]})
            return
        n = int(head)
        while len(buf) < sp + 1 + n:
            chunk = sock.recv(65536)
            if not chunk:
                append(log, {"conn": conn, "error": "cut frame"})
                return
            buf += chunk
        record(log, conn, buf[sp + 1:sp + 1 + n])
        buf = buf[sp + 1 + n:]


def serve(kind, args):
    log = opt(args, "--log")
    port = int(opt(args, "--port", "0"))
    ctx = None
    if kind == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opt(args, "--cert"), opt(args, "--key"))

    class Stream(socketserver.BaseRequestHandler):
        def handle(self):
            with LOCK:
                CONNS[0] += 1
                conn = CONNS[0]
            s = self.request
            if ctx is not None:
                try:
                    s = ctx.wrap_socket(s, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    append(log, {"conn": conn, "error": "TLS: %s" % e})
                    return
            try:
                frames(s, log, conn)
            except (ssl.SSLError, OSError) as e:
                append(log, {"conn": conn, "error": "read: %s" % e})

    class Dgram(socketserver.BaseRequestHandler):
        def handle(self):
            record(log, 0, self.request[0])

    if kind == "udp":
        socketserver.UDPServer.allow_reuse_address = True
        srv = socketserver.UDPServer(("127.0.0.1", port), Dgram)
    else:
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer.daemon_threads = True
        srv = socketserver.ThreadingTCPServer(("127.0.0.1", port), Stream)
    pf = opt(args, "--port-file")
    with open(pf + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(pf + ".tmp", pf)
    srv.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
