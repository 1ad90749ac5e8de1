#!/usr/bin/env python3
"""tests/e2e/servers/presign.py - a SigV4 pre-signed URL (query-string auth,
as the AWS CLI's `aws s3 presign` makes them) for the test's s3rver, signed
with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION from the
environment.  Only the host header is signed; the payload is
UNSIGNED-PAYLOAD.  Written here from the SigV4 description (canonical
request, string to sign, derived key), with hashlib and hmac only.

usage: presign.py METHOD URL [EXPIRES [AGE]]
URL is http://HOST:PORT/BUCKET/KEY (the key already URI-encoded); EXPIRES
seconds (default 600); AGE seconds ago is when it was signed (default 0),
so a URL can be made that has already expired.  Prints the URL.
"""
import datetime
import hashlib
import hmac
import os
import sys
import urllib.parse

method, url = sys.argv[1], sys.argv[2]
expires = int(sys.argv[3]) if len(sys.argv) > 3 else 600
age = int(sys.argv[4]) if len(sys.argv) > 4 else 0
akid = os.environ["AWS_ACCESS_KEY_ID"]
secret = os.environ["AWS_SECRET_ACCESS_KEY"]
region = os.environ.get("AWS_REGION", "us-east-1")

u = urllib.parse.urlsplit(url)
when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=age)
amz_date = when.strftime("%Y%m%dT%H%M%SZ")
day = amz_date[:8]
scope = "%s/%s/s3/aws4_request" % (day, region)


def enc(s):
    return urllib.parse.quote(s, safe="-_.~")


params = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
          ("X-Amz-Credential", "%s/%s" % (akid, scope)),
          ("X-Amz-Date", amz_date),
          ("X-Amz-Expires", str(expires)),
          ("X-Amz-SignedHeaders", "host")]
query = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in sorted(params))
canonical = "\n".join([method, u.path, query, "host:%s\n" % u.netloc, "host",
                       "UNSIGNED-PAYLOAD"])
to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])


def mac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


key = mac(("AWS4" + secret).encode(), day)
for part in (region, "s3", "aws4_request"):
    key = mac(key, part)
signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
print("%s://%s%s?%s&X-Amz-Signature=%s" % (u.scheme, u.netloc, u.path, query,
                                           signature))
