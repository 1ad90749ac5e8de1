#!/usr/bin/env bash
# push/pull against s3rver: a single PUT, a multipart upload of many parts,
# a pull in parallel ranged GETs, every request's SigV4 signature checked by
# the server, and the one-line errors (bad secret, missing object).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3

head -c 40000 /dev/urandom >"$WORK/small.bin"
head -c 3000000 /dev/urandom >"$WORK/big.bin"

# small: one PUT, no multipart
run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/dir/small.bin"
assert_exit 0
grep -q '^PUT /bkt/dir/small.bin 40000$' "$WORK/s3.log" || fail "no single PUT in the log"
grep -q 'uploads=' "$WORK/s3.log" && fail "a small file went multipart"

# big: multipart, 46 parts of 64 KiB, 4 in flight, then completed
run_ferry --json push "$WORK/big.bin" "s3://$S3_BUCKET/dir/big file+1.bin"
assert_exit 0
parts=$(grep -c 'PUT /bkt/dir/big%20file%2B1.bin?partNumber=' "$WORK/s3.log")
[ "$parts" -eq 46 ] || fail "expected 46 parts, got $parts"
grep -q '^POST /bkt/dir/big%20file%2B1.bin?uploadId=' "$WORK/s3.log" || fail "no CompleteMultipartUpload"
[ "$(json_last done parts "$WORK/out")" = 46 ] || fail "done event: $(tail -1 "$WORK/out")"
[ -z "$(s3_uploads)" ] || fail "multipart upload left behind"
grep -q 'SIGV4 REJECTED' "$WORK/s3.log" && fail "a request was badly signed: $(grep -A3 'SIGV4 REJECTED' "$WORK/s3.log" | head -5)"

# pull: HEAD, then 46 ranged GETs; the result is byte-identical
run_ferry pull "s3://$S3_BUCKET/dir/big file+1.bin" -o "$WORK/back.bin"
assert_exit 0
cmp "$WORK/big.bin" "$WORK/back.bin" || fail "pulled file differs"
gets=$(grep -c '^GET /bkt/dir/big%20file%2B1.bin ' "$WORK/s3.log")
[ "$gets" -eq 46 ] || fail "expected 46 ranged GETs, got $gets"
[ ! -e "$WORK/back.bin.part" ] || fail ".part left behind"

# default output name, and stdout
(cd "$WORK" && "$FERRY" -q pull "s3://$S3_BUCKET/dir/small.bin") || fail "pull without -o"
cmp "$WORK/small.bin" "$WORK/small.bin" || fail "pull without -o differs"
run_ferry pull "s3://$S3_BUCKET/dir/small.bin" -o -
assert_exit 0
cmp "$WORK/small.bin" "$WORK/out" || fail "pull -o - differs"


# a missing object, a wrong secret
run_ferry pull "s3://$S3_BUCKET/nope.bin" -o "$WORK/nope.bin"
assert_exit 1
assert_one_error_line '^ferry: s3://bkt/nope.bin: no such object \(HTTP 404\)$'
[ ! -e "$WORK/nope.bin" ] && [ ! -e "$WORK/nope.bin.part" ] || fail "pull of a missing object left a file"
AWS_SECRET_ACCESS_KEY=wrong run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/denied.bin"
assert_exit 1
assert_one_error_line 'access denied: check credentials and permissions \(HTTP 403 SignatureDoesNotMatch\)'
s3_has denied.bin && fail "a refused upload is visible"

# no credentials at all
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$WORK" "$FERRY" push "$WORK/small.bin" "s3://$S3_BUCKET/x" 2>"$WORK/err"
[ $? -eq 1 ] || fail "no credentials: wrong exit"
grep -q 'no AWS credentials' "$WORK/err" || fail "no credentials: $(cat "$WORK/err")"
exit 0
