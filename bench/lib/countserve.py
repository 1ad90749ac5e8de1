#!/usr/bin/env python3
"""countserve.py - a static HTTP/1.1 server with byte ranges that counts the
body bytes it serves: the web seed origin (BEP 19) of bench/fleet.

usage: countserve.py ROOT ADDR PORT STATSFILE [RATE]

Serves GET and HEAD of the files under ROOT (one "bytes=A-B" range per
request, 206; no '..'), keep-alive, one thread per connection, on ADDR:PORT
only.  After every request and on SIGTERM it writes "BYTES REQUESTS" (body
bytes sent in all, requests answered) to STATSFILE (written to a temporary
name, then renamed).  RATE (bytes/s, 0 or absent = none) caps the sum of
all connections, like the upload link of one server.
"""
import http.server
import os
import re
import signal
import socketserver
import sys
import threading
import time
import urllib.parse

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


class Bucket:
    """A token bucket shared by every connection (RATE bytes/s)."""

    def __init__(self, rate):
        self.rate = rate
        self.lock = threading.Lock()
        self.next = time.monotonic()

    def take(self, n):
        if self.rate <= 0:
            return
        with self.lock:
            now = time.monotonic()
            start = max(self.next, now)
            self.next = start + n / self.rate
            wait = start - now
        if wait > 0:
            time.sleep(wait)


class Stats:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.bytes = 0
        self.requests = 0

    def add(self, n):
        with self.lock:
            self.bytes += n
            self.requests += 1
            self.write_locked()

    def write_locked(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d %d\n" % (self.bytes, self.requests))
        os.replace(tmp, self.path)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."
    stats = None
    bucket = None

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.serve(True)

    def do_HEAD(self):
        self.serve(False)

    def empty(self, status, extra=()):
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.stats.add(0)

    def serve(self, body):
        rel = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        if ".." in parts:
            return self.empty(403)
        path = os.path.join(self.root, *parts)
        if not os.path.isfile(path):
            return self.empty(404)
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            start, end, status = 0, size - 1, 200
            rng = self.headers.get("Range")
            if rng:
                m = RANGE.match(rng.strip())
                bad = ("Content-Range", "bytes */%d" % size)
                if not m or m.group(1) == m.group(2) == "":
                    return self.empty(416, [bad])
                if m.group(1) == "":
                    start = max(0, size - int(m.group(2)))
                else:
                    start = int(m.group(1))
                    if m.group(2):
                        end = min(int(m.group(2)), size - 1)
                if start > end or start >= size:
                    return self.empty(416, [bad])
                status = 206
            length = end - start + 1
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(length))
            if status == 206:
                self.send_header("Content-Range",
                                 "bytes %d-%d/%d" % (start, end, size))
            self.end_headers()
            sent = 0
            try:
                if body:
                    f.seek(start)
                    while sent < length:
                        chunk = f.read(min(CHUNK, length - sent))
                        if not chunk:
                            break
                        self.bucket.take(len(chunk))
                        self.wfile.write(chunk)
                        sent += len(chunk)
            finally:
                self.stats.add(sent)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv):
    if len(argv) not in (5, 6):
        sys.exit(__doc__)
    Handler.root = os.path.abspath(argv[1])
    Handler.stats = Stats(argv[4])
    Handler.bucket = Bucket(float(argv[5]) if len(argv) == 6 else 0)
    with Handler.stats.lock:
        Handler.stats.write_locked()
    srv = Server((argv[2], int(argv[3])), Handler)

    def stop(signum, frame):
        with Handler.stats.lock:
            Handler.stats.write_locked()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
