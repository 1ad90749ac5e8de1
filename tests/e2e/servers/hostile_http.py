#!/usr/bin/env python3
"""tests/e2e/servers/hostile_http.py - small HTTP servers that misbehave on
purpose, for the remote storage tests.

usage: hostile_http.py PORTFILE MODE[+MODIFIER...] [ARG] [FILE]
Listens on 127.0.0.1 (a free port, written to PORTFILE once it listens).
Every request is logged on stdout as one JSON line: method, path and all
its headers, so a test can tell what reached this server.

MODE
  serve FILE       GET and HEAD of FILE at any path, one byte range honoured.
  redirect BASE [FILE]  every GET and HEAD answers 302 to BASE + "/moved" +
                   the request path; with FILE, a path under /moved/ is
                   served from FILE (as serve does).  BASE "self" is this
                   server.
  size N           HEAD and GET declare an object of N bytes (Content-Length,
                   and Content-Range on a ranged GET), send at most 16 bytes
                   of it and close the connection.
  busy N FILE      the first N requests of each method answer 503 with
                   Retry-After: 1 (a request body is read first); then GET
                   and HEAD serve FILE, and a PUT is stored as FILE.put.
MODIFIER (serve, size)
  nohead=CODE      HEAD answers CODE, as for a URL pre-signed for GET (403)
                   or a server without HEAD (405, 501).
  norange          GET ignores Range: 200 and the whole object.
"""
import http.server
import json
import os
import re
import socketserver
import sys
import threading

portfile, spec = sys.argv[1], sys.argv[2]
mode, *mods = spec.split("+")
nohead = next((int(m[7:]) for m in mods if m.startswith("nohead=")), None)
norange = "norange" in mods
arg = sys.argv[3] if len(sys.argv) > 3 else None
data_file = arg if mode == "serve" else (sys.argv[4] if len(sys.argv) > 4 else None)
data = open(data_file, "rb").read() if data_file else b""
seen = {}  # busy: requests per method
seen_lock = threading.Lock()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self):
        print(json.dumps({"method": self.command, "path": self.path,
                          "headers": dict(self.headers.items())}), flush=True)

    def span(self, size):
        m = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if not m or norange:
            return 200, 0, size
        a = int(m.group(1))
        b = int(m.group(2)) + 1 if m.group(2) else size
        return 206, a, min(b, size)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = []
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                out.append(self.rfile.read(n))
                self.rfile.readline()
                if n == 0:
                    return b"".join(out)
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def refuse(self, code, extra=()):
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def busy(self):
        """busy mode: answer 503 to the first N requests of each method."""
        with seen_lock:
            n = seen.get(self.command, 0)
            seen[self.command] = n + 1
        if n >= int(arg):
            return False
        self.refuse(503, [("Retry-After", "1")])
        return True

    def answer(self, body):
        self.note()
        if mode == "busy" and self.busy():
            return
        if nohead is not None and not body:
            self.refuse(nohead)
            return
        if mode == "redirect" and not self.path.startswith("/moved/"):
            base = arg if arg != "self" else "http://127.0.0.1:%d" % self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", base.rstrip("/") + "/moved" + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "size":
            size = int(arg)
            code, a, b = self.span(size)
            self.send_response(code)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(b - a))
            if code == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (a, b - 1, size))
            self.send_header("Connection", "close")
            self.end_headers()
            if body:
                self.wfile.write(b"\0" * min(16, b - a))
            self.close_connection = True
        else:
            code, a, b = self.span(len(data))
            self.send_response(code)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(b - a))
            if code == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (a, b - 1, len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data[a:b])

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)

    def do_PUT(self):
        got = self.read_body()
        self.note()
        if mode != "busy":
            self.refuse(405)
            return
        if self.busy():
            return
        with open(data_file + ".put.tmp", "wb") as f:
            f.write(got)
        os.rename(data_file + ".put.tmp", data_file + ".put")
        self.refuse(201)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), H)
tmp = portfile + ".tmp"
with open(tmp, "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(tmp, portfile)
srv.serve_forever()
