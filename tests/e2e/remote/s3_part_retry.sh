#!/usr/bin/env bash
# Each multipart part is retried on its own: the server answers the first
# three UploadPart requests with 503 SlowDown (Retry-After: 0); the upload
# completes, with exactly three retries, and the object is intact.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
export FAIL_PARTS=3
start_s3
head -c 1000000 /dev/urandom >"$WORK/f.bin"
run_ferry --json push "$WORK/f.bin" "s3://$S3_BUCKET/f.bin"
assert_exit 0
[ "$(json_last done retries "$WORK/out")" = 3 ] || fail "expected 3 retries: $(tail -1 "$WORK/out")"
[ "$(grep -c '?partNumber=' "$WORK/s3.log")" -eq $((16 + 3)) ] || fail "expected 19 part requests"
run_ferry pull "s3://$S3_BUCKET/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "round trip differs"
exit 0
