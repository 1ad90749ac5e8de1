#!/usr/bin/env bash
# Web identity (EKS IRSA, GitHub OIDC...): AWS_WEB_IDENTITY_TOKEN_FILE +
# AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME], exchanged at a fake STS on
# 127.0.0.1 (AWS_ENDPOINT_URL_STS) by AssumeRoleWithWebIdentity for
# temporary credentials; push and pull with them.  The same from a
# profile (role_arn + web_identity_token_file, STS from its [services]
# section).  STS refusing the token is an error naming its code; the token
# never shows, not even with -v; the storage endpoint (AWS_ENDPOINT_URL)
# never sees it.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3_temp
JWT="eyJhbGciOiJSUzI1NiJ9.test-$RANDOM.sig+/="
ARN="arn:aws:iam::123456789012:role/ferry-test"
start_aws_meta sts sts --web-token "$JWT" --role-arn "$ARN"
printf '%s\n' "$JWT" >"$WORK/jwt"
export AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/jwt" AWS_ROLE_ARN="$ARN"
export AWS_ROLE_SESSION_NAME=ferry-e2e AWS_ENDPOINT_URL_STS="$META_URL"

head -c 150000 /dev/urandom >"$WORK/ws.bin"
run_ferry -v push "$WORK/ws.bin" "s3://$S3_BUCKET/wi/ws.bin"
assert_exit 0
cp "$WORK/err" "$WORK/push-v.err"
run_ferry pull "s3://$S3_BUCKET/wi/ws.bin" -o "$WORK/back.bin"
assert_exit 0
cmp "$WORK/ws.bin" "$WORK/back.bin" || fail "pulled file differs"
no_rejects || fail "s3rver refused a request"
[ -n "$(temp_auths)" ] || fail "no request signed with the STS credentials"
[ "$(issued_count sts)" -eq 2 ] || fail "expected 2 AssumeRoleWithWebIdentity: $(cat "$WORK/sts.log")"
python3 - "$WORK/sts.log" <<'PY' || fail "STS request malformed: $(tail -2 "$WORK/sts.log")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if '"method"' in l]
for r in reqs:
    assert r["method"] == "POST" and r["path"] == "/", r
    assert r["action"] == "AssumeRoleWithWebIdentity", r
    assert r["version"] == "2011-06-15", r
    assert r["session"] == "ferry-e2e", r
    assert r["web_token"] == "match", r
    assert r["content_type"] == "application/x-www-form-urlencoded", r
PY
grep -qF "$JWT" "$WORK/push-v.err" && fail "the web identity token was printed"
grep -q 'Action=\|AssumeRole' "$WORK/s3.log" && fail "the storage endpoint saw the STS request"

# from a profile: role_arn + web_identity_token_file, STS from [services]
unset AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_ROLE_SESSION_NAME AWS_ENDPOINT_URL_STS
mkdir -p "$WORK/aws"
cat >"$WORK/aws/config" <<CONF
[profile oidc]
role_arn = $ARN
web_identity_token_file = $WORK/jwt
role_session_name = from-profile
services = local-sts

[services local-sts]
sts =
  endpoint_url = $META_URL
CONF
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/wi/profile.bin" --profile oidc
assert_exit 0
tail -1 "$WORK/sts.log" | grep -q '"session": "from-profile"' || fail "profile's session name not used: $(tail -1 "$WORK/sts.log")"

# STS refuses the token
export AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/jwt" AWS_ROLE_ARN="$ARN" AWS_ENDPOINT_URL_STS="$META_URL"
printf 'not-the-token\n' >"$WORK/jwt"
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/wi/refused.bin"
assert_exit 1
assert_one_error_line '^ferry: s3://bkt/wi/refused.bin: web identity: STS AssumeRoleWithWebIdentity answered HTTP 400 InvalidIdentityToken$'
# half configured
unset AWS_ROLE_ARN
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/wi/refused.bin"
assert_exit 1
assert_one_error_line 'web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not$'
s3_has wi/refused.bin && fail "uploaded without credentials"
exit 0
