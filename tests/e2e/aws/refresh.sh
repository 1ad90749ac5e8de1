#!/usr/bin/env bash
# Temporary credentials that expire during a multipart upload are
# refreshed from their source before they run out (at half their life
# when they are this short): a fake IMDS hands out credentials that live 3
# seconds, s3rver holds every part 400 ms and ferry sends one part at a
# time, so the upload lasts at least 4.8 s whatever the machine's speed:
# the service is asked again during the upload and the parts are signed
# with more than one key; the same for a streamed upload (save).  When the refresh fails, the old credentials are
# used until they expire, and then the upload fails saying why.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
export DELAY_PARTS_MS=400
start_s3_temp
start_aws_meta imds imds --life 3
unset AWS_EC2_METADATA_DISABLED
export AWS_EC2_METADATA_SERVICE_ENDPOINT="$META_URL"

head -c $((12 * 65536)) /dev/urandom >"$WORK/ws.bin"
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/refresh/ws.bin" --parallel 1
assert_exit 0
no_rejects || fail "s3rver refused a request"
n=$(issued_count imds)
[ "$n" -ge 2 ] || fail "the credentials were not refreshed during the upload ($n fetch)"
keys=$(grep -A2 'partNumber=' "$WORK/s3.log" | grep '^AUTH ASIA' | cut -d' ' -f2 | sort -u | wc -l)
[ "$keys" -ge 2 ] || fail "all parts were signed with one key"
unset DELAY_PARTS_MS
run_ferry pull "s3://$S3_BUCKET/refresh/ws.bin" -o "$WORK/back.bin"
assert_exit 0
cmp "$WORK/ws.bin" "$WORK/back.bin" || fail "pulled file differs"

# the same in a streamed upload (save: the parts go up from the engine's
# own thread while the packer fills the next one)
mkdir -p "$WORK/dir"
cp "$WORK/ws.bin" "$WORK/dir/ws.bin"
n0=$(issued_count imds)
run_ferry save "$WORK/dir" "s3://$S3_BUCKET/refresh/dir.tar.zst" --parallel 1
assert_exit 0
[ $(($(issued_count imds) - n0)) -ge 2 ] || fail "save: the credentials were not refreshed"
run_ferry restore "s3://$S3_BUCKET/refresh/dir.tar.zst" "$WORK/restored"
assert_exit 0
cmp "$WORK/ws.bin" "$WORK/restored/ws.bin" || fail "restored file differs"
no_rejects || fail "s3rver refused a request"

# the service fails after its first answer: the upload goes on with the
# first credentials while they last, then stops with the reason
start_aws_meta imds2 imds --life 3 --fail-after 1
AWS_EC2_METADATA_SERVICE_ENDPOINT="$META_URL" run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/refresh/failed.bin" --parallel 1
assert_exit 1
assert_one_error_line '^ferry: s3://bkt/refresh/failed.bin \(part [0-9]+\): AWS credentials expired and could not be refreshed: IMDS: the credentials request was answered HTTP 500$'
[ "$(issued_count imds2)" -eq 1 ] || fail "expected one good fetch"
s3_has refresh/failed.bin && fail "a failed upload is visible"
exit 0
