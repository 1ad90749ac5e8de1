#!/usr/bin/env bash
# Pre-signed URLs end to end, signed here for s3rver (servers/presign.py,
# SigV4 query auth; s3.js checks the signature and the expiry):
# push FILE to a URL pre-signed for PUT, pull and restore from URLs
# pre-signed for GET (whose HEAD is refused: the size comes from a GET of
# byte 0).  A wrong signature or an expired URL fails (exit 1, nothing
# stored); push - to a pre-signed PUT is refused by S3 (no chunked
# uploads) with a line that says so.  The signature and the credential
# are never shown: not on stderr, not with -v, not in --json events.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3
presign() { python3 "$SERVERS_DIR/presign.py" "$@"; }
BASE="$AWS_ENDPOINT_URL/$S3_BUCKET"
head -c 3000000 /dev/urandom >"$WORK/f.bin"

# no_secret WHAT URL: neither URL's signature nor its credential appears in
# what ferry printed
no_secret() {
  local sig cred
  sig=$(sed -n 's/.*X-Amz-Signature=\([0-9a-f]*\).*/\1/p' <<<"$2")
  cred=$(sed -n 's/.*X-Amz-Credential=\([^&]*\).*/\1/p' <<<"$2")
  [ ${#sig} -eq 64 ] || fail "$1: presign.py made no signature"
  ! grep -q -e "$sig" -e "$cred" -e "${cred%%%2F*}%2F" "$WORK/out" "$WORK/err" \
    || { cat "$WORK/err" "$WORK/out" >&2; fail "$1: a secret was shown"; }
  grep -q 'X-Amz-Signature=\*\*\*' "$WORK/err" "$WORK/out" || fail "$1: the URL is not shown with *** for its signature"
}

# push FILE to a URL pre-signed for PUT
put=$(presign PUT "$BASE/up.bin")
run_ferry -v --json push "$WORK/f.bin" "$put"
assert_exit 0
no_secret "push" "$put"
grep -q '^PUT /bkt/up.bin?X-Amz-Algorithm=' "$WORK/s3.log" || fail "push: no pre-signed PUT reached s3rver"
grep -q 'SIGV4 REJECTED' "$WORK/s3.log" && fail "push: s3rver refused the signature: $(grep -A3 REJECTED "$WORK/s3.log")"
s3_has up.bin || fail "push: nothing stored"

# pull and restore from URLs pre-signed for GET
get=$(presign GET "$BASE/up.bin")
run_ferry -v --json pull "$get" -o "$WORK/got.bin"
assert_exit 0
cmp -s "$WORK/f.bin" "$WORK/got.bin" || fail "pull: content differs"
grep -q 'HEAD refused (HTTP 403): asking for its first byte instead' "$WORK/err" || fail "pull: the HEAD was not refused"
no_secret "pull" "$get"
run_ferry pull "$get" -o -
assert_exit 0
cmp -s "$WORK/f.bin" "$WORK/out" || fail "pull -o -: content differs"

make_workspace "$WORK/ws" 1
run_ferry save "$WORK/ws" "s3://$S3_BUCKET/ws.tar.zst"
assert_exit 0
get=$(presign GET "$BASE/ws.tar.zst")
run_ferry -v --json restore "$get" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "restore differs"
no_secret "restore" "$get"

# a wrong signature, an expired URL: refused, nothing stored, not shown
good=$(presign PUT "$BASE/bad.bin")
bad="${good%?}0"; [ "$bad" != "$good" ] || bad="${good%?}1"
run_ferry -v push "$WORK/f.bin" "$bad"
assert_exit 1
assert_one_error_line '^ferry: http://127\.0\.0\.1:[0-9]+/bkt/bad\.bin\?.*X-Amz-Signature=\*\*\*: access denied: check credentials and permissions \(HTTP 403\)$'
no_secret "bad signature" "$bad"
s3_has bad.bin && fail "a PUT with a bad signature stored something"
old=$(presign PUT "$BASE/old.bin" 60 3600)
run_ferry push "$WORK/f.bin" "$old"
assert_exit 1
assert_one_error_line 'access denied.*\(HTTP 403\)$'
s3_has old.bin && fail "an expired URL stored something"

# push - to a pre-signed PUT: a chunked PUT, which S3 refuses
put=$(presign PUT "$BASE/piped.bin")
"$FERRY" -v push - "$put" <"$WORK/f.bin" >"$WORK/out" 2>"$WORK/err"
RC=$?
assert_exit 1
assert_one_error_line 'HTTP 501.*the server takes no streamed \(chunked\) upload, push a file instead$'
no_secret "push -" "$put"
s3_has piped.bin && fail "push - stored something"
exit 0
