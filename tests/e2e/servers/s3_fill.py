#!/usr/bin/env python3
"""s3_fill.py - put many small objects into the test s3rver, fast.

usage: s3_fill.py ENDPOINT BUCKET PREFIX COUNT [THREADS]

PUTs COUNT objects named PREFIX + a 5-digit number (PREFIX00000,
PREFIX00001, ...), each holding its own name, through THREADS (default 8)
keep-alive connections, every request SigV4-signed with the test server's
key (S3RVER/S3RVER, us-east-1).  Spawning one curl per object costs
seconds per hundred on a busy machine; this takes about a second for a
thousand.  Exit 0 when every PUT answered 200, else 1 with the first
failure on stderr.  Loopback only: ENDPOINT must be http://127.0.0.1:PORT.
"""
import datetime
import hashlib
import hmac
import http.client
import sys
import threading
import urllib.parse

KEY = SECRET = "S3RVER"
REGION = "us-east-1"


def sign(method, host, path, body_hash, now):
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {"host": host, "x-amz-content-sha256": body_hash,
               "x-amz-date": amz_date}
    names = sorted(headers)
    canonical = "\n".join([
        method, path, "",
        "".join("%s:%s\n" % (n, headers[n]) for n in names),
        ";".join(names), body_hash])
    scope = "%s/%s/s3/aws4_request" % (day, REGION)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + SECRET).encode()
    for part in (day, REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (KEY, scope, ";".join(names), sig))
    return headers


def main():
    endpoint, bucket, prefix, count = sys.argv[1:5]
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    url = urllib.parse.urlsplit(endpoint)
    if url.hostname != "127.0.0.1":
        sys.exit("s3_fill.py: loopback endpoints only")
    names = ["%s%05d" % (prefix, i) for i in range(int(count))]
    errors = []
    lock = threading.Lock()

    def worker(mine):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        for name in mine:
            body = name.encode()
            path = "/%s/%s" % (bucket, urllib.parse.quote(name, safe="/~"))
            headers = sign("PUT", url.netloc, path,
                           hashlib.sha256(body).hexdigest(),
                           datetime.datetime.utcnow())
            headers["content-length"] = str(len(body))
            conn.request("PUT", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                with lock:
                    errors.append("%s: HTTP %d" % (name, resp.status))
                return
        conn.close()

    pool = [threading.Thread(target=worker, args=(names[i::threads],))
            for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        sys.exit("s3_fill.py: " + errors[0])


if __name__ == "__main__":
    main()
