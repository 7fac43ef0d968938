#!/usr/bin/env python3
"""notify_sink.py: what the early warning talks to, for its tests
(tests/integration/notify.sh, tests/bench/notify.sh). Loopback only.

  https --cert C --key K --port-file F --log L [--port P]
      an HTTPS server: each POST is a JSON line {t, path, body} in L
  smtp --port-file F --log L [--port P]
      a minimal SMTP relay (no TLS, no auth): each message a JSON line
      {t, from, to, data} in L
  silent --port-file F
      accepts TCP connections and never says a word (a hung webhook)
  certs DIR
      with openssl: DIR/ca.{crt,key} (a CA), DIR/srv.{crt,key} (of that CA,
      for IP 127.0.0.1), DIR/rogue.{crt,key} (self-signed, same name)
  cmd OUTDIR [ARG...]
      a notify command: writes OUTDIR/cmd-<pid>.json with its argv and
      standard input
"""
import asyncio
import http.server
import json
import os
import ssl
import subprocess
import sys
import time


def append(path, obj):
    with open(path, "a") as f:
        f.write(json.dumps(obj) + "\n")


def opt(args, name, default=None):
    if name in args:
        return args[args.index(name) + 1]
    return default


def https(args):
    log = opt(args, "--log")

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8", "replace")
            append(log, {"t": time.time(), "path": self.path, "body": body,
                         "type": self.headers.get("Content-Type")})
            out = b'{"ok":true}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *a):
            pass

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", int(opt(args, "--port", "0"))), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opt(args, "--cert"), opt(args, "--key"))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(opt(args, "--port-file") + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(opt(args, "--port-file") + ".tmp", opt(args, "--port-file"))
    srv.serve_forever()


async def smtp_session(reader, writer, log):
    def say(s):
        writer.write((s + "\r\n").encode())

    say("220 sink ESMTP")
    frm, to = None, []
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = line.decode("utf-8", "replace").strip()
        up = cmd.upper()
        if up.startswith("EHLO") or up.startswith("HELO"):
            say("250-sink")
            say("250 8BITMIME")
        elif up.startswith("MAIL FROM:"):
            frm, to = cmd[10:].strip(), []
            say("250 ok")
        elif up.startswith("RCPT TO:"):
            to.append(cmd[8:].strip())
            say("250 ok")
        elif up == "DATA":
            say("354 go on")
            await writer.drain()
            data = b""
            while not data.endswith(b"\r\n.\r\n"):
                chunk = await reader.readline()
                if not chunk:
                    return
                data += chunk
            append(log, {"t": time.time(), "from": frm, "to": to,
                         "data": data[:-5].decode("utf-8", "replace")})
            say("250 queued")
        elif up == "QUIT":
            say("221 bye")
            await writer.drain()
            break
        else:
            say("250 ok" if up in ("RSET", "NOOP") else "502 no")
        await writer.drain()
    writer.close()


async def smtp_main(args):
    log = opt(args, "--log")
    srv = await asyncio.start_server(
        lambda r, w: smtp_session(r, w, log), "127.0.0.1",
        int(opt(args, "--port", "0")))
    pf = opt(args, "--port-file")
    with open(pf + ".tmp", "w") as f:
        f.write(str(srv.sockets[0].getsockname()[1]))
    os.rename(pf + ".tmp", pf)
    async with srv:
        await srv.serve_forever()


def silent(args):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    pf = opt(args, "--port-file")
    with open(pf + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(pf + ".tmp", pf)
    held = []
    while True:
        held.append(s.accept()[0])


def certs(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for c in (["req", "-x509"] + ec + ["-days", "2", "-subj", "/CN=vigil-test-ca",
               "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign",
               "-keyout", "ca.key", "-out", "ca.crt"],
              ["req"] + ec + ["-subj", "/CN=127.0.0.1", "-keyout", "srv.key",
                              "-out", "srv.csr"],
              ["x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey",
               "ca.key", "-CAcreateserial", "-days", "2", "-extfile",
               "san.ext", "-out", "srv.crt"],
              ["req", "-x509"] + ec + ["-days", "2", "-subj", "/CN=127.0.0.1",
               "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
               "rogue.key", "-out", "rogue.crt"]):
        subprocess.run(["openssl"] + c, cwd=d, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cmd(args):
    data = sys.stdin.buffer.read().decode("utf-8", "replace")
    out = os.path.join(args[0], "cmd-%d.json" % os.getpid())
    with open(out + ".tmp", "w") as f:
        json.dump({"t": time.time(), "argv": sys.argv, "stdin": data,
                   "env": sorted(os.environ), "cwd": os.getcwd()}, f)
    os.rename(out + ".tmp", out)


if __name__ == "__main__":
    what, rest = sys.argv[1], sys.argv[2:]
    if what == "https":
        https(rest)
    elif what == "smtp":
        asyncio.run(smtp_main(rest))
    elif what == "silent":
        silent(rest)
    elif what == "certs":
        certs(rest[0])
    elif what == "cmd":
        cmd(rest)
    else:
        sys.exit("usage: notify_sink.py https|smtp|certs|cmd ...")
