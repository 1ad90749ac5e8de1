#!/usr/bin/env python3
"""s3_list_hostile.py - a fake S3 endpoint whose ListObjectsV2 answers are
hostile, for `ferry ls` (signatures are not checked).

usage: s3_list_hostile.py PORTFILE MODE

Listens on 127.0.0.1 (a free port, written to PORTFILE once listening),
logs one line per request ("GET /bkt/?query") to stdout.  MODE:
  circle    every page is truncated; the tokens go A, B, A, B, ...
  same      every page is truncated and names the token it was asked with
  notoken   the first page is truncated and names no token
  huge      one page of 20 MiB (a key followed by padding)
  dtd       a "billion laughs" document (a DTD with nested entities)
  outside   a key that is not under the prefix asked for
  escape    keys (url-encoded, EncodingType url) holding ESC, CR, a
            newline and invalid UTF-8; two pages
  slowpage  a good page whose body stops halfway the first time, then
            whole: a retry must not show an entry twice
"""
import http.server
import os
import sys
import urllib.parse

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        '<Name>bkt</Name>')
TAIL = '</ListBucketResult>'


def contents(key, size=1):
    return ('<Contents><Key>%s</Key><LastModified>2026-01-02T03:04:05.000Z'
            '</LastModified><Size>%d</Size></Contents>' % (key, size))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    served = 0

    def log_message(self, fmt, *args):
        pass

    def send(self, body, cut=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data if cut is None else data[:cut])
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True

    def do_GET(self):
        print("GET " + self.path, flush=True)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        token = q.get("continuation-token", [None])[0]
        prefix = q.get("prefix", [""])[0]
        mode = self.server.mode
        Handler.served += 1
        if mode == "circle":
            nxt = "B" if token == "A" else "A"
            self.send(HEAD + "<IsTruncated>true</IsTruncated>"
                      "<NextContinuationToken>%s</NextContinuationToken>"
                      % nxt + contents(prefix + "k" + nxt) + TAIL)
        elif mode == "same":
            self.send(HEAD + "<IsTruncated>true</IsTruncated>"
                      "<NextContinuationToken>%s</NextContinuationToken>"
                      % (token or "T1") + contents(prefix + "k") + TAIL)
        elif mode == "notoken":
            self.send(HEAD + "<IsTruncated>true</IsTruncated>"
                      + contents(prefix + "k") + TAIL)
        elif mode == "huge":
            pad = "<Pad>" + "x" * (20 << 20) + "</Pad>"
            self.send(HEAD + contents(prefix + "k") + pad + TAIL)
        elif mode == "dtd":
            ents = '<!ENTITY a0 "lol">' + "".join(
                '<!ENTITY a%d "%s">' % (i, ("&a%d;" % (i - 1)) * 10)
                for i in range(1, 10))
            self.send('<?xml version="1.0"?><!DOCTYPE ListBucketResult ['
                      + ents + ']><ListBucketResult><Contents><Key>&a9;'
                      '</Key></Contents></ListBucketResult>')
        elif mode == "outside":
            self.send(HEAD + contents(prefix + "ok") + contents("elsewhere/x")
                      + TAIL)
        elif mode == "escape":
            enc = urllib.parse.quote
            if token is None:
                self.send(HEAD + "<EncodingType>url</EncodingType>"
                          "<IsTruncated>true</IsTruncated>"
                          "<NextContinuationToken>p2</NextContinuationToken>"
                          + contents(enc(prefix + "a\x1b[31mred")) + TAIL)
            else:
                self.send(HEAD + "<EncodingType>url</EncodingType>"
                          + contents(enc(prefix + "b\nfake line"))
                          + contents(enc(prefix + "c\rback"))
                          + contents(enc(prefix) + "d%FF%FE") + TAIL)
        elif mode == "slowpage":
            body = HEAD + contents(prefix + "one") + contents(prefix + "two") \
                + TAIL
            self.send(body, cut=len(body) // 2 if Handler.served == 1 else None)
        else:
            self.send_error(500)


def main():
    portfile, mode = sys.argv[1], sys.argv[2]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.mode = mode
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
