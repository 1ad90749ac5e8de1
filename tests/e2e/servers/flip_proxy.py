#!/usr/bin/env python3
"""tests/e2e/servers/flip_proxy.py - a loopback HTTP/1.1 proxy in front of
another server that damages request bodies on the way, as a bad NIC or a
broken middlebox would: for each PATTERN given, the first PUT whose request
target contains PATTERN reaches the server with one byte of its body
flipped (the byte in the middle, XOR 0xFF).  Everything else passes through
unchanged, the Host header included (SigV4 signs it), one upstream
connection per request.  Bodies are read whole (the tests' are small).

usage: flip_proxy.py PORTFILE UPSTREAM_PORT [PATTERN...]
Listens on 127.0.0.1 (a free port, written to PORTFILE once it listens);
forwards to 127.0.0.1:UPSTREAM_PORT.  Every request is logged on stdout as
one JSON line: method, path, body length, flipped (true/false), status.
"""
import http.client
import http.server
import json
import os
import socketserver
import sys
import threading

portfile, upstream = sys.argv[1], int(sys.argv[2])
patterns = list(sys.argv[3:])  # each flips one body, then is used up
lock = threading.Lock()
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
       "te", "trailer", "upgrade", "expect", "content-length"}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = []
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                out.append(self.rfile.read(n))
                self.rfile.readline()
                if n == 0:
                    return b"".join(out)
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def forward(self):
        body = self.body()
        flipped = False
        if self.command == "PUT" and body:
            with lock:
                hit = next((p for p in patterns if p in self.path), None)
                if hit is not None:
                    patterns.remove(hit)
            if hit is not None:
                b = bytearray(body)
                b[len(b) // 2] ^= 0xFF
                body = bytes(b)
                flipped = True
        up = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        up.putrequest(self.command, self.path, skip_host=True,
                      skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() not in HOP:
                up.putheader(k, v)
        if body or self.command in ("PUT", "POST"):
            up.putheader("Content-Length", str(len(body)))
        up.endheaders(body if body else None)
        r = up.getresponse()
        data = r.read()
        up.close()
        print(json.dumps({"method": self.command, "path": self.path,
                          "length": len(body), "flipped": flipped,
                          "status": r.status}), flush=True)
        self.send_response_only(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP or (self.command == "HEAD" and
                                        k.lower() == "content-length"):
                self.send_header(k, v)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = forward


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
