#!/usr/bin/env python3
"""tests/e2e/servers/cutoff.py - an HTTP server that breaks downloads.

usage: cutoff.py FILE PORTFILE MODE
Serves FILE at any path on 127.0.0.1 (a free port, written to PORTFILE).
HEAD and GET honour one byte range.  MODE "once": the first GET sends half
of its body and closes the connection (a resumed GET then succeeds);
"always": every GET does.  PUT (Content-Length or chunked) is cut the same
way: the server reads 64 KiB of the body, then closes the connection; an
uncut PUT replaces what is served (FILE itself is not touched) and is also
written to FILE.put.  One log line per request on stdout.
"""
import http.server
import os
import re
import sys

path, portfile, mode = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
cuts = {"n": 0}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        print("%s %s %s" % (self.command, self.path, self.headers.get("Range", "-")), flush=True)

    def span(self):
        m = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if not m:
            return 200, 0, len(data)
        a = int(m.group(1))
        b = int(m.group(2)) + 1 if m.group(2) else len(data)
        return 206, a, min(b, len(data))

    def head(self, code, a, b):
        self.send_response(code)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(b - a))
        if code == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (a, b - 1, len(data)))
        self.end_headers()

    def do_HEAD(self):
        self.head(200, 0, len(data))

    def do_GET(self):
        code, a, b = self.span()
        self.head(code, a, b)
        if mode == "always" or cuts["n"] == 0:
            cuts["n"] += 1
            self.wfile.write(data[a:a + (b - a) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data[a:b])

    def body(self):
        """The whole request body, or None if the connection was cut."""
        cut = mode == "always" or cuts["n"] == 0
        if cut:
            cuts["n"] += 1
        out, want = [], 64 << 10
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                out.append(self.rfile.read(n))
                self.rfile.readline()
                if n == 0 or (cut and sum(map(len, out)) >= want):
                    break
        else:
            n = int(self.headers.get("Content-Length", "0"))
            out.append(self.rfile.read(min(n, want) if cut else n))
        if cut:
            print("PUT %s cut" % self.path, flush=True)
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        return b"".join(out)

    def do_PUT(self):
        global data
        got = self.body()
        if got is None:
            return
        data = got
        with open(path + ".put.tmp", "wb") as f:
            f.write(got)
        os.rename(path + ".put.tmp", path + ".put")
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
