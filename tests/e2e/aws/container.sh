#!/usr/bin/env bash
# Container credentials (ECS/EKS style) from a fake endpoint on 127.0.0.1:
# AWS_CONTAINER_CREDENTIALS_FULL_URI with the Authorization token read
# from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (or the token itself in
# AWS_CONTAINER_AUTHORIZATION_TOKEN): push and pull with the temporary key
# and its session token.  A wrong token is an error that names the
# variables; a FULL_URI over plain http to a host that is not loopback is
# refused before any request; a token never shows in messages.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3_temp
TOKEN="container-auth-$RANDOM-secret"
start_aws_meta cont container --auth "$TOKEN"
printf '%s\n' "$TOKEN" >"$WORK/token"
export AWS_CONTAINER_CREDENTIALS_FULL_URI="$META_URL/v2/credentials/abc"
export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$WORK/token"

head -c 200000 /dev/urandom >"$WORK/ws.bin"
run_ferry -v push "$WORK/ws.bin" "s3://$S3_BUCKET/cont/ws.bin"
assert_exit 0
run_ferry -v pull "s3://$S3_BUCKET/cont/ws.bin" -o "$WORK/back.bin"
assert_exit 0
cmp "$WORK/ws.bin" "$WORK/back.bin" || fail "pulled file differs"
no_rejects || fail "s3rver refused a request"
[ -n "$(temp_auths)" ] || fail "no request signed with the container's credentials"
[ "$(issued_count cont)" -eq 2 ] || fail "expected 2 fetches: $(cat "$WORK/cont.log")"
grep -q '"auth": "mismatch"\|"auth": "absent"' "$WORK/cont.log" && fail "a fetch without the token"

# the token in the variable instead of a file
unset AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
AWS_CONTAINER_AUTHORIZATION_TOKEN="$TOKEN" run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/cont/ws2.bin"
assert_exit 0
# a wrong token: the endpoint's refusal, naming where the token comes from
AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong-$TOKEN" run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/cont/ws3.bin"
assert_exit 1
assert_one_error_line '^ferry: s3://bkt/cont/ws3.bin: container credentials endpoint answered HTTP 401 \(check AWS_CONTAINER_AUTHORIZATION_TOKEN\[_FILE\]\)$'
grep -q "$TOKEN" "$WORK/err" "$WORK/out" && fail "the token was printed"
# plain http only to loopback or the container agent (a malformed
# setting: exit 3, refused before any connection; 192.0.2.1 is TEST-NET-1,
# RFC 5737, which no host answers on)
n=$(wc -l <"$WORK/cont.log")
AWS_CONTAINER_CREDENTIALS_FULL_URI="http://192.0.2.1/creds" run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/cont/ws4.bin"
assert_exit 3
assert_one_error_line 'AWS_CONTAINER_CREDENTIALS_FULL_URI: http:// only to a loopback address'
AWS_CONTAINER_CREDENTIALS_FULL_URI="file:///etc/passwd" run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/cont/ws4.bin"
assert_exit 3
assert_one_error_line 'AWS_CONTAINER_CREDENTIALS_FULL_URI: not an http:// or https:// URL'
[ "$(wc -l <"$WORK/cont.log")" -eq "$n" ] || fail "a refused URI was asked"
s3_has cont/ws4.bin && fail "uploaded without credentials"
exit 0
