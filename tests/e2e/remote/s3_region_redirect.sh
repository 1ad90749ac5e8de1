#!/usr/bin/env bash
# A bucket in another region than the one configured: the endpoint
# (tests/e2e/servers/s3_region.py, in front of s3rver, "in" eu-west-1)
# answers requests signed for us-east-1 as AWS does - 301
# PermanentRedirect with x-amz-bucket-region, 400
# AuthorizationHeaderMalformed with <Region> (a bare 400 to a HEAD), 307
# TemporaryRedirect to an amazonaws.com host - and ferry moves to
# eu-west-1 once, signs anew, sends the request again and says so with -v;
# push (single PUT and multipart), pull, save and restore all end with the
# right object.  A redirect naming no region name, or a second region, is
# not followed: one error line, a few requests, never another host.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3
direct=$AWS_ENDPOINT_URL # s3rver itself, for the checks
export AWS_REGION=us-east-1

# start_region MODE: s3_region.py in MODE; sets REGION_URL, log in
# $WORK/region-MODE.log
start_region() {
  rm -f "$WORK/region-$1.port"
  start_bg "region-$1" python3 -u "$SERVERS_DIR/s3_region.py" "$WORK/region-$1.port" "$S3_PORT" eu-west-1 "$1"
  wait_for 10 test -s "$WORK/region-$1.port" || fail "s3_region.py $1 did not start: $(tail -3 "$WORK/region-$1.log")"
  REGION_URL="http://127.0.0.1:$(cat "$WORK/region-$1.port")"
}
# switched: -v said once that ferry moved from us-east-1 to eu-west-1
switched() {
  local n
  n=$(grep -c 'the bucket is in region eu-west-1, not us-east-1: sending the requests there (set AWS_REGION=eu-west-1' "$WORK/err")
  [ "$n" -eq 1 ] || { cat "$WORK/err" >&2; fail "$1: expected one region switch line, got $n"; }
}
redirects() { grep -c 'signed=us-east-1 -> ' "$WORK/region-$1.log"; }

head -c 40000 /dev/urandom >"$WORK/small.bin"
head -c 500000 /dev/urandom >"$WORK/big.bin"
make_workspace "$WORK/ws" 1

for mode in 301 400 307; do
  start_region "$mode"
  export AWS_ENDPOINT_URL="$REGION_URL"
  run_ferry -v push "$WORK/small.bin" "s3://$S3_BUCKET/$mode/small.bin"
  assert_exit 0
  switched "$mode: push"
  [ "$(redirects "$mode")" -eq 1 ] || fail "$mode: push: expected 1 redirected request: $(cat "$WORK/region-$mode.log")"
  s3_curl -o "$WORK/got.bin" "$direct/$S3_BUCKET/$mode/small.bin" && cmp "$WORK/small.bin" "$WORK/got.bin" \
    || fail "$mode: the pushed object is not in the bucket"

  # multipart: CreateMultipartUpload is redirected, then 8 parts of 64 KiB
  # go to eu-west-1 (parts racing a switch: tests/unit/test_s3_addr.c)
  run_ferry -v push "$WORK/big.bin" "s3://$S3_BUCKET/$mode/big.bin"
  assert_exit 0
  switched "$mode: multipart push"
  run_ferry -v pull "s3://$S3_BUCKET/$mode/big.bin" -o "$WORK/back.bin"
  assert_exit 0
  switched "$mode: pull"
  cmp "$WORK/big.bin" "$WORK/back.bin" || fail "$mode: pulled file differs"

  run_ferry -v save "$WORK/ws" "s3://$S3_BUCKET/$mode/ws.tar.zst"
  assert_exit 0
  switched "$mode: save"
  rm -rf "$WORK/ws-back"
  run_ferry -v restore "s3://$S3_BUCKET/$mode/ws.tar.zst" "$WORK/ws-back"
  assert_exit 0
  switched "$mode: restore"
  same_workspace "$WORK/ws" "$WORK/ws-back" || fail "$mode: restored workspace differs"
  [ -z "$(AWS_ENDPOINT_URL=$direct s3_uploads)" ] || fail "$mode: a multipart upload was left behind"
  ! grep -q 'signed=eu-west-1 -> 3' "$WORK/region-$mode.log" || fail "$mode: a request signed for eu-west-1 was redirected"
done
grep -q '^HEAD .* signed=us-east-1 -> 400$' "$WORK/region-400.log" || fail "400: the HEAD was not refused (test broken)"
grep -q '^GET .* signed=eu-west-1 -> 206$' "$WORK/region-400.log" || fail "400: no ranged GET after the switch"

# the right region from the start: no redirect, no -v line
AWS_REGION=eu-west-1 run_ferry -v pull "s3://$S3_BUCKET/301/small.bin" -o "$WORK/direct.bin"
assert_exit 0
cmp "$WORK/small.bin" "$WORK/direct.bin" || fail "direct pull differs"
! grep -q 'the bucket is in region' "$WORK/err" || fail "a switch without a redirect"

# a region that is no region name is not followed anywhere
start_region hostile
export AWS_ENDPOINT_URL="$REGION_URL"
run_ferry -v push "$WORK/small.bin" "s3://$S3_BUCKET/h/small.bin"
assert_exit 1
assert_one_error_line '^ferry: s3://bkt/h/small.bin: redirected elsewhere \(wrong region or endpoint\?\) \(HTTP 301 PermanentRedirect\)$'
[ "$(grep -c ' -> ' "$WORK/region-hostile.log")" -eq 1 ] || fail "hostile: more than one request: $(cat "$WORK/region-hostile.log")"
! grep -q 'evil' "$WORK/err" || fail "hostile: the server's text reached the output: $(cat "$WORK/err")"

# a server that never settles: one switch, then it gives up
start_region flip
export AWS_ENDPOINT_URL="$REGION_URL"
run_ferry -v pull "s3://$S3_BUCKET/301/small.bin" -o "$WORK/flip.bin"
assert_exit 1
assert_one_error_line '^ferry: s3://bkt/301/small.bin: the server sends the request to region ap-south-1 after ferry moved to eu-west-1 \(HTTP 301\): giving up$'
switched "flip"
n=$(grep -c ' -> ' "$WORK/region-flip.log")
[ "$n" -le 4 ] || fail "flip: $n requests: $(cat "$WORK/region-flip.log")"
[ ! -e "$WORK/flip.bin" ] && [ ! -e "$WORK/flip.bin.part" ] || fail "flip: a failed pull left a file"
run_ferry -v push "$WORK/small.bin" "s3://$S3_BUCKET/f/small.bin"
assert_exit 1
assert_one_error_line 'redirected elsewhere \(wrong region or endpoint\?\) \(HTTP 301 PermanentRedirect\)$'
AWS_ENDPOINT_URL=$direct s3_has f/small.bin && fail "flip: the object appeared"
exit 0
