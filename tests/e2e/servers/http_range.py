#!/usr/bin/env python3
"""http_range.py - loopback-only static HTTP/1.1 server with byte ranges.

Python's http.server ignores Range, and a BEP 19 web seed asks for byte
ranges of files, so the e2e tests use this instead.  GET and HEAD, one
range per request ("bytes=A-B", "bytes=A-", "bytes=-N") answered with 206,
keep-alive, one thread per connection.  Every request is logged as one line
on stdout:  METHOD PATH RANGE STATUS BYTES  (so a test can tell that the
data came from here).  Binds 127.0.0.1 only.

With RATE (bytes/s), every connection sends at most RATE bytes a second,
each request is logged as it arrives too (ASK METHOD PATH RANGE), and a
response the client stops reading is logged as GONE METHOD PATH RANGE
BYTES-SENT: a slow web seed whose every asked and sent byte a test can
count.

usage: http_range.py ROOT PORT [RATE]
"""
import http.server
import os
import re
import socketserver
import sys
import time
import urllib.parse

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."
    rate = 0

    def log_message(self, fmt, *args):
        pass

    def log(self, status, nbytes):
        sys.stdout.write("%s %s %s %d %d\n" % (self.command, self.path,
                         self.headers.get("Range", "-"), status, nbytes))
        sys.stdout.flush()

    def do_GET(self):
        self.serve(True)

    def do_HEAD(self):
        self.serve(False)

    def reply_empty(self, status, extra=()):
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.log(status, 0)

    def serve(self, body):
        if self.rate > 0:
            sys.stdout.write("ASK %s %s %s\n" % (self.command, self.path,
                             self.headers.get("Range", "-")))
            sys.stdout.flush()
        rel = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        if ".." in parts:
            return self.reply_empty(403)
        path = os.path.join(self.root, *parts)
        if not os.path.isfile(path):
            return self.reply_empty(404)
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            start, end, status = 0, size - 1, 200
            rng = self.headers.get("Range")
            if rng:
                m = RANGE.match(rng.strip())
                if not m or m.group(1) == m.group(2) == "":
                    return self.reply_empty(416, [("Content-Range", "bytes */%d" % size)])
                if m.group(1) == "":
                    start = max(0, size - int(m.group(2)))
                else:
                    start = int(m.group(1))
                    if m.group(2):
                        end = min(int(m.group(2)), size - 1)
                if start > end or start >= size:
                    return self.reply_empty(416, [("Content-Range", "bytes */%d" % size)])
                status = 206
            length = end - start + 1
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(length))
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
            self.end_headers()
            sent = 0
            step = 16384 if self.rate > 0 else 1 << 20
            if body:
                f.seek(start)
                while sent < length:
                    chunk = f.read(min(step, length - sent))
                    if not chunk:
                        break
                    try:
                        self.wfile.write(chunk)
                    except OSError:
                        sys.stdout.write("GONE %s %s %s %d\n" % (
                            self.command, self.path,
                            self.headers.get("Range", "-"), sent))
                        sys.stdout.flush()
                        self.close_connection = True
                        return
                    sent += len(chunk)
                    if self.rate > 0:
                        time.sleep(len(chunk) / self.rate)
            self.log(status, sent)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: http_range.py ROOT PORT [RATE]")
    Handler.root = os.path.abspath(sys.argv[1])
    if len(sys.argv) == 4:
        Handler.rate = int(sys.argv[3])
    srv = Server(("127.0.0.1", int(sys.argv[2])), Handler)
    sys.stdout.write("serving %s on http://127.0.0.1:%d/\n" % (Handler.root, srv.server_address[1]))
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
