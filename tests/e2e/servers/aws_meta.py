#!/usr/bin/env python3
"""aws_meta.py - fake AWS credential services on 127.0.0.1 for the tests
of ferry's credential chain.  Each hands out temporary credentials (a
new access key, secret and session token at every fetch) and appends them
to CREDS_FILE as "KEY SECRET TOKEN" lines, which tests/e2e/servers/s3.js
(S3_CREDS_FILE) then accepts, with exactly that token.

usage: aws_meta.py MODE PORTFILE CREDS_FILE [options]
  MODE imds       EC2 IMDSv2: PUT /latest/api/token (needs the
                  X-aws-ec2-metadata-token-ttl-seconds header), then
                  GET /latest/meta-data/iam/security-credentials/[ROLE]
                  and /latest/meta-data/placement/region, which need the
                  token in X-aws-ec2-metadata-token (else 401)
  MODE imdsv1     an IMDSv1-only service: the token PUT is answered
                  --v1-status (default 403); the GETs work without a token
  MODE container  GET of any path: the container credentials endpoint;
                  with --auth TOKEN the Authorization header must equal it
                  (else 401)
  MODE sts        POST /: STS AssumeRoleWithWebIdentity; the form's
                  WebIdentityToken must equal --web-token (else 400
                  InvalidIdentityToken), RoleArn --role-arn
options:
  --life SECS     the credentials expire SECS after they are handed out
                  (default 3600)
  --region R      what /latest/meta-data/placement/region says (us-east-1)
  --fail-after N  answer 500 to every credential fetch after the first N
Every request is one JSON line on stdout: method, path, the headers that
matter (tokens shown only as "match"/"mismatch"/"absent"), and what was
handed out ("issued": KEY).  Listens on 127.0.0.1 only, port 0 (any free
one), written to PORTFILE once listening.
"""
import argparse
import http.server
import json
import math
import os
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone

ROLE = "ferry-test-role"
IMDS_TOKEN = "imds-session-token-" + "t" * 40


class State:
    lock = threading.Lock()
    issued = 0


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["imds", "imdsv1", "container", "sts"])
    p.add_argument("portfile")
    p.add_argument("creds_file")
    p.add_argument("--life", type=float, default=3600)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--auth", default=None)
    p.add_argument("--web-token", default=None)
    p.add_argument("--role-arn", default=None)
    p.add_argument("--v1-status", type=int, default=403)
    p.add_argument("--fail-after", type=int, default=-1)
    return p.parse_args()


ARGS = parse_args()


def issue():
    """A new set of credentials, also written to CREDS_FILE."""
    with State.lock:
        State.issued += 1
        n = State.issued
        key = "ASIAFERRYTEST%04d" % n
        secret = "tmp-secret-%d" % n
        # real session tokens are long (~1 KiB); so is this one
        token = "FwoGZXIvYXdzEFERRY%d" % n + "x" * 900
        exp = math.ceil(time.time() + ARGS.life)
        with open(ARGS.creds_file, "a") as f:
            f.write("%s %s %s\n" % (key, secret, token))
    stamp = datetime.fromtimestamp(exp, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    return key, secret, token, stamp


def failing():
    return ARGS.fail_after >= 0 and State.issued >= ARGS.fail_after


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log(self, status, **extra):
        rec = {"method": self.command, "path": self.path, "status": status}
        rec.update(extra)
        print(json.dumps(rec), flush=True)

    def send(self, status, body, ctype="text/plain", **extra):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.log(status, **extra)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    # ------------------------------------------------------------ IMDS
    def imds(self):
        v1 = ARGS.mode == "imdsv1"
        if self.command == "PUT" and self.path == "/latest/api/token":
            self.body()
            if v1:
                return self.send(ARGS.v1_status, "")
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.send(400, "missing ttl header")
            return self.send(200, IMDS_TOKEN)
        tok = self.headers.get("X-aws-ec2-metadata-token")
        seen = "absent" if tok is None else (
            "match" if tok == IMDS_TOKEN else "mismatch")
        if not v1 and seen != "match":
            return self.send(401, "", token=seen)
        base = "/latest/meta-data/iam/security-credentials/"
        if self.command == "GET" and self.path == base:
            return self.send(200, ROLE, token=seen)
        if self.command == "GET" and self.path == base + ROLE:
            if failing():
                return self.send(500, "", token=seen)
            key, secret, token, exp = issue()
            doc = {"Code": "Success", "LastUpdated": exp, "Type": "AWS-HMAC",
                   "AccessKeyId": key, "SecretAccessKey": secret,
                   "Token": token, "Expiration": exp}
            return self.send(200, json.dumps(doc), "application/json",
                             token=seen, issued=key)
        if self.command == "GET" and self.path == "/latest/meta-data/placement/region":
            return self.send(200, ARGS.region, token=seen)
        return self.send(404, "", token=seen)

    # ------------------------------------------------------- container
    def container(self):
        auth = self.headers.get("Authorization")
        seen = "absent" if auth is None else (
            "match" if auth == ARGS.auth else "mismatch")
        if ARGS.auth is not None and seen != "match":
            return self.send(401, "", auth=seen)
        if failing():
            return self.send(500, "", auth=seen)
        key, secret, token, exp = issue()
        doc = {"AccessKeyId": key, "SecretAccessKey": secret, "Token": token,
               "Expiration": exp, "RoleArn": "arn:aws:iam::1:role/x"}
        return self.send(200, json.dumps(doc), "application/json", auth=seen,
                         issued=key)

    # ------------------------------------------------------------- STS
    def sts(self):
        if self.command != "POST":
            return self.send(405, "")
        form = urllib.parse.parse_qs(self.body().decode())
        one = lambda k: (form.get(k) or [None])[0]
        wt = one("WebIdentityToken")
        seen = "absent" if wt is None else (
            "match" if wt == ARGS.web_token else "mismatch")
        info = {"action": one("Action"), "version": one("Version"),
                "role": one("RoleArn"), "session": one("RoleSessionName"),
                "web_token": seen,
                "content_type": self.headers.get("Content-Type")}
        if seen != "match" or (ARGS.role_arn and info["role"] != ARGS.role_arn):
            err = ("<ErrorResponse><Error><Type>Sender</Type>"
                   "<Code>InvalidIdentityToken</Code><Message>no</Message>"
                   "</Error></ErrorResponse>")
            return self.send(400, err, "text/xml", **info)
        if failing():
            return self.send(500, "", **info)
        key, secret, token, exp = issue()
        xml = ('<AssumeRoleWithWebIdentityResponse xmlns="https://sts.'
               'amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>'
               '<Credentials><SessionToken>%s</SessionToken>'
               '<SecretAccessKey>%s</SecretAccessKey>'
               '<Expiration>%s</Expiration><AccessKeyId>%s</AccessKeyId>'
               '</Credentials><Provider>test</Provider>'
               '</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>'
               % (token, secret, exp, key))
        return self.send(200, xml, "text/xml", issued=key, **info)

    def handle_one(self):
        if ARGS.mode in ("imds", "imdsv1"):
            self.imds()
        elif ARGS.mode == "container":
            self.container()
        else:
            self.sts()

    do_GET = do_PUT = do_POST = handle_one


def main():
    open(ARGS.creds_file, "a").close()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = ARGS.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.portfile)
    print(json.dumps({"listening": srv.server_address[1]}), flush=True)
    # the test stops us by PID; the lifetime cap is start_bg's timeout
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
