#!/usr/bin/env bash
# S3 addressing against s3rver, both ways: a custom endpoint is path-style
# by default (http://HOST:PORT/BUCKET/KEY), FERRY_S3_ADDRESSING=virtual
# puts the bucket in the host name (http://BUCKET.s3.localhost:PORT/KEY;
# libcurl resolves *.localhost to loopback by itself) for a single PUT, a
# multipart upload, a pull, save/restore and an abort, every request's
# SigV4 signature (over the Host header libcurl sends) checked by s3.js.
# A bad FERRY_S3_ADDRESSING is a usage error.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3
ep="http://s3.localhost:$S3_PORT"
export AWS_ENDPOINT_URL="$ep"

head -c 40000 /dev/urandom >"$WORK/small.bin"
head -c 700000 /dev/urandom >"$WORK/big.bin"
no_bad_signature() {
  ! grep -q 'SIGV4 REJECTED' "$WORK/s3.log" || fail "a request was badly signed: $(grep -A3 'SIGV4 REJECTED' "$WORK/s3.log" | head -5)"
}

# auto, custom endpoint: path-style, the bucket in the path
run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/p/small.bin"
assert_exit 0
grep -q '^PUT /bkt/p/small.bin 40000$' "$WORK/s3.log" || fail "auto: not path-style: $(grep PUT "$WORK/s3.log")"
FERRY_S3_ADDRESSING=path run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/p/small2.bin"
assert_exit 0
grep -q '^PUT /bkt/p/small2.bin 40000$' "$WORK/s3.log" || fail "path: not path-style"
! grep -q 'vhost=' "$WORK/s3.log" || fail "a path-style request went virtual-hosted"

# virtual: the bucket in the Host, the key alone in the path
export FERRY_S3_ADDRESSING=virtual
run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/v/small.bin"
assert_exit 0
grep -q '^PUT /v/small.bin 40000 vhost=bkt$' "$WORK/s3.log" || fail "virtual: single PUT not virtual-hosted: $(grep PUT "$WORK/s3.log" | tail -2)"
run_ferry --json push "$WORK/big.bin" "s3://$S3_BUCKET/v/big file.bin"
assert_exit 0
parts=$(grep -c '^PUT /v/big%20file.bin?partNumber=.* vhost=bkt$' "$WORK/s3.log")
[ "$parts" -eq 11 ] || fail "virtual: expected 11 virtual-hosted parts, got $parts"
grep -q '^POST /v/big%20file.bin?uploads= .* vhost=bkt$' "$WORK/s3.log" || fail "virtual: no virtual-hosted CreateMultipartUpload"
grep -q '^POST /v/big%20file.bin?uploadId=.* vhost=bkt$' "$WORK/s3.log" || fail "virtual: no virtual-hosted CompleteMultipartUpload"
no_bad_signature
run_ferry pull "s3://$S3_BUCKET/v/big file.bin" -o "$WORK/back.bin"
assert_exit 0
cmp "$WORK/big.bin" "$WORK/back.bin" || fail "virtual: pulled file differs"
grep -q '^HEAD /v/big%20file.bin - vhost=bkt$' "$WORK/s3.log" || fail "virtual: HEAD not virtual-hosted"
gets=$(grep -cE '^GET /v/big%20file.bin - (bytes=[0-9]+-[0-9]+ )?vhost=bkt$' "$WORK/s3.log")
[ "$gets" -eq 11 ] || fail "virtual: expected 11 virtual-hosted ranged GETs, got $gets"
! grep -qE '^(GET|PUT|POST|HEAD) /bkt/v/' "$WORK/s3.log" || fail "virtual: a request went path-style"
# the same object, read path-style: both ways name one bucket
FERRY_S3_ADDRESSING=path run_ferry pull "s3://$S3_BUCKET/v/big file.bin" -o "$WORK/back2.bin"
assert_exit 0
cmp "$WORK/big.bin" "$WORK/back2.bin" || fail "path-style pull of a virtual-hosted upload differs"

# save and restore (streamed multipart, parallel ranged GETs)
make_workspace "$WORK/ws" 1
run_ferry save "$WORK/ws" "s3://$S3_BUCKET/v/ws.tar.zst"
assert_exit 0
run_ferry restore "s3://$S3_BUCKET/v/ws.tar.zst" "$WORK/ws-back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/ws-back" || fail "virtual: restored workspace differs"

# a dotted bucket under http: still a host name (s3rver makes the bucket)
code=$(s3_curl -o /dev/null -w '%{http_code}' -X PUT "http://127.0.0.1:$S3_PORT/my.bkt")
[ "$code" = 200 ] || fail "could not make bucket my.bkt (HTTP $code)"
run_ferry push "$WORK/small.bin" "s3://my.bkt/d/small.bin"
assert_exit 0
grep -q '^PUT /d/small.bin 40000 vhost=my.bkt$' "$WORK/s3.log" || fail "virtual: dotted bucket under http not virtual-hosted"
no_bad_signature

# a multipart upload that fails is aborted virtual-hosted too
kill_s3
FAIL_PARTS=1000 start_s3 "$S3_PORT"
export AWS_ENDPOINT_URL="$ep"
run_ferry push "$WORK/big.bin" "s3://$S3_BUCKET/v/fail.bin" --retries 0
assert_exit 1
grep -q '^DELETE /v/fail.bin?uploadId=.* vhost=bkt$' "$WORK/s3.log" || fail "virtual: no virtual-hosted abort"
grep -q '^ABORTED ' "$WORK/s3.log" || fail "virtual: the abort did not reach the upload"
[ -z "$(s3_uploads)" ] || fail "virtual: multipart upload left behind"
no_bad_signature

# a bad value: usage error, nothing sent
n=$(grep -c . "$WORK/s3.log")
FERRY_S3_ADDRESSING=vhost run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/x.bin"
assert_exit 2
assert_one_error_line "^ferry: s3://bkt/x.bin: FERRY_S3_ADDRESSING: 'vhost' is not auto, path or virtual$"
[ "$(grep -c . "$WORK/s3.log")" -eq "$n" ] || fail "a request went out with a bad FERRY_S3_ADDRESSING"
exit 0
