#!/usr/bin/env python3
"""tests/e2e/servers/s3_region.py - an S3 endpoint of region REGION on
127.0.0.1, in front of s3rver, that answers requests signed for another
region the ways AWS does, for the region redirect tests.

usage: s3_region.py PORTFILE UPSTREAM_PORT REGION MODE
Listens on 127.0.0.1 (a free port, written to PORTFILE once it listens).
A request whose SigV4 Authorization is signed for REGION (its Credential
scope) goes to s3rver at 127.0.0.1:UPSTREAM_PORT as it came, Host header
included (so s3.js still finds the signature right), and s3rver's answer
comes back.  A request signed for any other region gets, per MODE:

  301      301 PermanentRedirect, x-amz-bucket-region: REGION, and
           <Endpoint>BUCKET.s3.REGION.amazonaws.com</Endpoint>
  400      400 AuthorizationHeaderMalformed with <Region>REGION</Region>
           and no header; a HEAD gets a bare 400, as from AWS
  307      307 TemporaryRedirect, Location: http://BUCKET.s3-REGION.
           amazonaws.com/PATH and the same Endpoint, no header
  hostile  301 PermanentRedirect naming no region: x-amz-bucket-region
           "evil.example/x", Endpoint "evil.example", Location
           http://evil.example/
  flip     as 301, and a request signed for REGION is sent on to region
           "ap-south-1" the same way: a server that never settles

Every request is one line on stdout: METHOD PATH signed=REGION -> STATUS.
Nothing here talks to anything but s3rver on 127.0.0.1.
"""
import http.client
import http.server
import os
import re
import socketserver
import sys

portfile, upstream, region, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
HOP = {"connection", "keep-alive", "expect", "transfer-encoding", "content-length"}


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def signed_for(self):
        m = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/s3/",
                      self.headers.get("Authorization", ""))
        return m.group(1) if m else "-"

    def body(self):
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n > 0 else b""

    def answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def wrong_region(self, to):
        bucket = self.path.split("?")[0].split("/")[1] if self.path.count("/") else ""
        ep = "%s.s3.%s.amazonaws.com" % (bucket, to)
        if mode == "hostile":
            return 301, [("x-amz-bucket-region", "evil.example/x"),
                         ("Location", "http://evil.example/")], \
                b"<Error><Code>PermanentRedirect</Code>" \
                b"<Endpoint>evil.example</Endpoint></Error>"
        if mode in ("301", "flip"):
            return 301, [("x-amz-bucket-region", to)], \
                ("<Error><Code>PermanentRedirect</Code><Message>The bucket "
                 "you are attempting to access must be addressed using the "
                 "specified endpoint.</Message><Bucket>%s</Bucket><Endpoint>"
                 "%s</Endpoint></Error>" % (bucket, ep)).encode()
        if mode == "400":
            if self.command == "HEAD":
                return 400, [], b""
            return 400, [], \
                ("<Error><Code>AuthorizationHeaderMalformed</Code><Message>"
                 "the region '%s' is wrong; expecting '%s'</Message><Region>"
                 "%s</Region></Error>" % (self.signed_for(), to, to)).encode()
        if mode == "307":
            loc = "http://%s.s3-%s.amazonaws.com%s" % (
                bucket, to, self.path[len(bucket) + 1:])
            return 307, [("Location", loc)], \
                ("<Error><Code>TemporaryRedirect</Code><Message>Please "
                 "re-send this request to the specified temporary endpoint."
                 "</Message><Endpoint>%s.s3-%s.amazonaws.com</Endpoint>"
                 "</Error>" % (bucket, to)).encode()
        raise SystemExit("unknown mode " + mode)

    def proxy(self, data):
        c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        c.putrequest(self.command, self.path, skip_host=True,
                     skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() not in HOP:
                c.putheader(k, v)
        c.putheader("Content-Length", str(len(data)))
        c.endheaders(data)
        r = c.getresponse()
        body = r.read()
        headers = [(k, v) for k, v in r.getheaders() if k.lower() not in HOP]
        # s3rver 3.7 answers "bytes=0-0" with the whole object (an end of
        # 0 is taken as none): cut it to the range asked for
        m = re.match(r"bytes=(\d+)-(\d+)$", self.headers.get("Range", ""))
        cr = re.match(r"bytes (\d+)-\d+/(\d+)$", r.getheader("Content-Range") or "")
        if r.status == 206 and m and cr and int(cr.group(1)) == int(m.group(1)):
            a, b = int(m.group(1)), int(m.group(2))
            if len(body) > b - a + 1:
                body = body[:b - a + 1]
                headers = [(k, v) for k, v in headers if k.lower() != "content-range"]
                headers.append(("Content-Range", "bytes %d-%d/%s" % (a, b, cr.group(2))))
        if self.command == "HEAD" and r.getheader("Content-Length"):
            headers.append(("Content-Length", r.getheader("Content-Length")))
        c.close()
        return r.status, headers, body

    def handle_one(self):
        data = self.body()
        signed = self.signed_for()
        if signed != region:
            status, headers, body = self.wrong_region(region)
        elif mode == "flip":
            status, headers, body = self.wrong_region("ap-south-1")
        else:
            status, headers, body = self.proxy(data)
        print("%s %s signed=%s -> %d" % (self.command, self.path, signed, status),
              flush=True)
        self.answer(status, headers, body)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_one


srv = Server(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.replace(portfile + ".tmp", portfile)
srv.serve_forever()
