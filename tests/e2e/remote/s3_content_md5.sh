#!/usr/bin/env bash
# Every S3 PUT and UploadPart carries Content-MD5, and the store checks it:
# a proxy between ferry and s3rver flips one byte in the body of the first
# attempt of part 3 of a file's multipart upload, of a small file's single
# PUT and of part 2 of a stream from stdin.  s3rver answers 400 BadDigest
# each time and stores nothing; ferry sends that body again (one retry,
# counted in the JSON done event and shown by -v as "HTTP 400 BadDigest"),
# the upload succeeds, and what is stored is what was sent.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3
start_flip_proxy "/$S3_BUCKET/big.bin?partNumber=3&" "/$S3_BUCKET/small.bin" \
  "/$S3_BUCKET/piped.bin?partNumber=2&"
head -c 1000000 /dev/urandom >"$WORK/big.bin"    # 16 parts of 64 KiB
head -c 5000 /dev/urandom >"$WORK/small.bin"      # one PUT
head -c 300000 /dev/urandom >"$WORK/piped.bin"    # 5 parts, from stdin

# check NAME: one flipped body, one BadDigest, one retry, and the object
# stored is the one sent
check() {
  local name=$1
  assert_exit 0
  [ "$(grep -c "\"path\": \"/$S3_BUCKET/$name[?\"].*\"flipped\": true" "$WORK/flip.log")" -eq 1 ] \
    || fail "$name: the proxy flipped no byte (or more than one)"
  [ "$(grep -c "^BADDIGEST /$S3_BUCKET/$name\$" "$WORK/s3.log")" -eq 1 ] \
    || { tail -5 "$WORK/s3.log" >&2; fail "$name: s3rver saw no BadDigest"; }
  [ "$(json_last done retries "$WORK/out")" = 1 ] || fail "$name: expected 1 retry: $(tail -1 "$WORK/out")"
  grep -qE "^retrying s3://$S3_BUCKET/$name( \\(part [0-9]+\\))? in [0-9.]+ s: HTTP 400 BadDigest \\(attempt 2 of 6\\)$" "$WORK/err" \
    || { cat "$WORK/err" >&2; fail "$name: -v shows no retry for the BadDigest"; }
  rm -f "$WORK/got"
  "$FERRY" pull "s3://$S3_BUCKET/$name" -o "$WORK/got" 2>"$WORK/pull.err" || fail "$name: pull failed"
  [ "$(sha256sum <"$WORK/got")" = "$(sha256sum <"$WORK/$name")" ] || fail "$name: the stored object differs"
}

run_ferry -v --json push "$WORK/big.bin" "s3://$S3_BUCKET/big.bin"
check big.bin
grep -q '"path": "/bkt/big.bin?partNumber=3&.*"status": 400' "$WORK/flip.log" || fail "big.bin: part 3 was not refused"

run_ferry -v --json push "$WORK/small.bin" "s3://$S3_BUCKET/small.bin"
check small.bin

"$FERRY" -v --json push - "s3://$S3_BUCKET/piped.bin" <"$WORK/piped.bin" >"$WORK/out" 2>"$WORK/err"
RC=$?
check piped.bin

# every PUT that reached the store carried a Content-MD5
[ "$(grep -c '^PUT ' "$WORK/s3.log")" -gt 20 ] || fail "too few PUTs logged"
# (s3.js logs "CONTENT-MD5" on the line after such a request's)
awk 'p && $0 != "CONTENT-MD5" {print p; bad = 1} {p = /^PUT / ? $0 : ""}
     END {if (p) print p; exit bad || p != ""}' "$WORK/s3.log" >&2 || fail "a PUT without Content-MD5"
s3_uploads | grep -q . && fail "a multipart upload was left behind"
exit 0
