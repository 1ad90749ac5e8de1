#!/usr/bin/env bash
# EC2 instance credentials (IMDSv2) from a fake metadata service on
# 127.0.0.1: push (one PUT, a multipart upload) and pull with the temporary
# key and its session token, which s3rver checks; the token request comes
# first and every metadata GET carries the token; the region comes from
# the instance when nothing else sets it.  An IMDSv1-only service is
# refused, saying so, without a credentials request; AWS_EC2_METADATA_
# DISABLED skips IMDS.  A request with a wrong session token is refused by
# the server, so the checks above mean something.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3_temp
start_aws_meta imds imds --region eu-test-3
unset AWS_EC2_METADATA_DISABLED AWS_REGION
export AWS_EC2_METADATA_SERVICE_ENDPOINT="$META_URL"

head -c 40000 /dev/urandom >"$WORK/small.bin"
head -c 300000 /dev/urandom >"$WORK/big.bin"
run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/imds/small.bin"
assert_exit 0
run_ferry push "$WORK/big.bin" "s3://$S3_BUCKET/imds/big.bin"
assert_exit 0
grep -q 'imds/big.bin?partNumber=5' "$WORK/s3.log" || fail "no multipart upload"
run_ferry pull "s3://$S3_BUCKET/imds/big.bin" -o "$WORK/back.bin"
assert_exit 0
cmp "$WORK/big.bin" "$WORK/back.bin" || fail "pulled file differs"
no_rejects || fail "s3rver refused a request"
[ -n "$(temp_auths)" ] || fail "no request was signed with the instance's credentials"
grep -q '^AUTH S3RVER' "$WORK/s3.log" && fail "static keys were used"
[ "$(issued_count imds)" -eq 3 ] || fail "expected one credential fetch per run: $(issued_count imds)"
# the region is the instance's
[ "$(grep '^AUTH ASIA' "$WORK/s3.log" | cut -d' ' -f3 | sort -u)" = eu-test-3 ] \
  || fail "region not from IMDS: $(grep '^AUTH' "$WORK/s3.log" | sort -u | head -3)"
# IMDSv2: a token first, then only requests carrying it
python3 - "$WORK/imds.log" <<'PY' || fail "IMDSv2 protocol not followed: $(head -5 "$WORK/imds.log")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if '"method"' in l]
assert reqs[0]["method"] == "PUT" and reqs[0]["path"] == "/latest/api/token", reqs[0]
gets = [r for r in reqs if r["method"] == "GET"]
assert gets and all(r.get("token") == "match" for r in gets), gets
assert all(r["status"] == 200 for r in reqs), reqs
PY

# the server refuses a wrong session token (and takes the right one)
read -r key secret token < <(head -1 "$WORK/temp-creds")
code() {
  curl -sS -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$key:$secret" -H "x-amz-security-token: $1" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$AWS_ENDPOINT_URL/$S3_BUCKET/imds/small.bin"
}
[ "$(code "$token")" = 200 ] || fail "s3rver refuses the issued token"
[ "$(code "${token}x")" = 403 ] || fail "s3rver takes a wrong session token"

# IMDSv1 only: refused, and no credentials are asked for
start_aws_meta imdsv1 imdsv1 --v1-status 405
AWS_EC2_METADATA_SERVICE_ENDPOINT="$META_URL" run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/imds/v1.bin"
assert_exit 1
assert_one_error_line "^ferry: s3://bkt/imds/v1.bin: no AWS credentials: .*IMDS: the token request \(IMDSv2\) was answered HTTP 405: the service offers only IMDSv1, which ferry does not use$"
grep -q 'security-credentials' "$WORK/imdsv1.log" && fail "ferry fell back to IMDSv1"
start_aws_meta imdsv1b imdsv1
AWS_EC2_METADATA_SERVICE_ENDPOINT="$META_URL" run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/imds/v1.bin"
assert_exit 1
grep -q 'answered HTTP 403: the service offers only IMDSv1' "$WORK/err" || fail "403: $(cat "$WORK/err")"

# disabled: not even asked
n=$(wc -l <"$WORK/imds.log")
AWS_EC2_METADATA_DISABLED=true run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/imds/off.bin"
assert_exit 1
assert_one_error_line 'IMDS: disabled \(AWS_EC2_METADATA_DISABLED\)$'
[ "$(wc -l <"$WORK/imds.log")" -eq "$n" ] || fail "IMDS was asked although disabled"
# nobody listening: a quick "no answer"
AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$(free_port)" run_ferry push "$WORK/small.bin" "s3://$S3_BUCKET/imds/off.bin"
assert_exit 1
assert_one_error_line 'IMDS: no answer \(cannot connect\)$'
s3_has imds/off.bin && fail "an object appeared without credentials"
exit 0
