#!/usr/bin/env bash
# Profiles, region and endpoint: --profile and AWS_PROFILE with static keys
# (--profile beats the environment's keys; a 1 KiB session token on one
# line of the credentials file), endpoint_url at profile level and in a
# [services] section (which wins), --endpoint-url over AWS_ENDPOINT_URL,
# --region over AWS_REGION over the profile's region (the region s3rver
# sees in each signature).  Errors: a named profile that is in neither
# file, one key without the other (environment or profile), no
# credentials at all (every source listed), bad flag values (exit 2).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3_temp
DEAD="http://127.0.0.1:$(free_port)"
S3="http://127.0.0.1:$S3_PORT"
# a temporary key with a long session token, as s3rver will accept it
TOKEN="IQoJb3JpZ2luX2VjE$(head -c 900 /dev/zero | tr '\0' 'Q')end"
echo "ASIAPROFILE0001 temp-secret $TOKEN" >>"$WORK/temp-creds"
mkdir -p "$WORK/aws"
cat >"$WORK/aws/credentials" <<CONF
[minio]
aws_access_key_id = S3RVER
aws_secret_access_key = S3RVER

[temp]
aws_access_key_id = ASIAPROFILE0001
aws_secret_access_key = temp-secret
aws_session_token = $TOKEN

[half]
aws_access_key_id = S3RVER
CONF
cat >"$WORK/aws/config" <<CONF
[profile minio]
region = ap-prof-2

[profile ep]
aws_access_key_id = S3RVER
aws_secret_access_key = S3RVER
endpoint_url = $S3

[profile svc]
aws_access_key_id = S3RVER
aws_secret_access_key = S3RVER
endpoint_url = $DEAD
services = local

[services local]
s3 =
  endpoint_url = $S3
CONF
head -c 70000 /dev/urandom >"$WORK/ws.bin"
region_of_last() { grep '^AUTH' "$WORK/s3.log" | tail -1 | cut -d' ' -f3; }

# --profile beats keys in the environment; AWS_PROFILE does the same
AWS_ACCESS_KEY_ID=WRONG AWS_SECRET_ACCESS_KEY=WRONG run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/1.bin" --profile minio
assert_exit 0
AWS_PROFILE=minio run_ferry pull "s3://$S3_BUCKET/p/1.bin" -o "$WORK/back.bin"
assert_exit 0
cmp "$WORK/ws.bin" "$WORK/back.bin" || fail "pulled file differs"
grep -q '^AUTH WRONG' "$WORK/s3.log" && fail "the environment's keys beat --profile"
# a session token longer than libinih's line, from the credentials file
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/temp.bin" --profile temp
assert_exit 0
grep -q '^AUTH ASIAPROFILE0001' "$WORK/s3.log" || fail "the profile's temporary key was not used"
no_rejects || fail "s3rver refused a request"

# region: --region > AWS_REGION (us-east-1, set by start_s3) > profile
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/2.bin" --profile minio --region eu-flag-1
assert_exit 0
[ "$(region_of_last)" = eu-flag-1 ] || fail "--region not used: $(region_of_last)"
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/2.bin" --profile minio
[ "$(region_of_last)" = us-east-1 ] || fail "AWS_REGION not used: $(region_of_last)"
(unset AWS_REGION; run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/2.bin" --profile minio; assert_exit 0)
[ "$(region_of_last)" = ap-prof-2 ] || fail "the profile's region not used: $(region_of_last)"

# endpoint: the profile's endpoint_url; [services] over it; the flag over
# the environment
unset AWS_ENDPOINT_URL
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/ep.bin" --profile ep
assert_exit 0
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/svc.bin" --profile svc
assert_exit 0
AWS_ENDPOINT_URL=$DEAD run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/flag.bin" --profile minio --endpoint-url "$S3"
assert_exit 0
AWS_ENDPOINT_URL=$DEAD AWS_ENDPOINT_URL_S3=$S3 run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/s3env.bin" --profile minio
assert_exit 0
export AWS_ENDPOINT_URL=$S3
s3_has p/ep.bin && s3_has p/svc.bin && s3_has p/flag.bin && s3_has p/s3env.bin || fail "an upload is missing"

# a named profile in neither file
AWS_PROFILE=nosuch run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/x.bin"
assert_exit 1
assert_one_error_line "^ferry: s3://bkt/p/x.bin: AWS profile 'nosuch': not in $WORK/aws/credentials or $WORK/aws/config$"
run_ferry pull "s3://$S3_BUCKET/p/1.bin" -o "$WORK/x" --profile nosuch
assert_exit 1
assert_one_error_line "AWS profile 'nosuch': not in "
# one key without the other
AWS_ACCESS_KEY_ID=S3RVER run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/x.bin"
assert_exit 1
assert_one_error_line '^ferry: s3://bkt/p/x.bin: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not \(set both, or neither to use the other sources\)$'
AWS_SECRET_ACCESS_KEY=S3RVER run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/x.bin" --profile minio
assert_exit 0
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/x.bin" --profile half
assert_exit 3
assert_one_error_line "AWS profile 'half': aws_access_key_id without aws_secret_access_key"
# nothing anywhere: every source says why
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/none.bin"
assert_exit 1
assert_one_error_line "^ferry: s3://bkt/p/none.bin: no AWS credentials: env: unset; profile 'default': not in $WORK/aws/credentials or $WORK/aws/config; web identity: unset; container: unset; IMDS: disabled \(AWS_EC2_METADATA_DISABLED\)$"
printf '[default]\nregion = eu-west-1\n' >>"$WORK/aws/config"
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/none.bin"
assert_exit 1
assert_one_error_line "no AWS credentials: env: unset; profile 'default': no credentials in "
s3_has p/none.bin && fail "uploaded without credentials"
# flag values
for bad in "--region eu.west" "--endpoint-url ftp://x" "--profile a]b"; do
  # shellcheck disable=SC2086
  run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/p/x.bin" $bad
  assert_exit 2
done
exit 0
