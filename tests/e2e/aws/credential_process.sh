#!/usr/bin/env bash
# credential_process in ~/.aws/config: ferry runs the command (split like
# a shell would, quotes kept, but without a shell) and signs with the
# temporary credentials it prints (JSON, Version 1).  --profile beats the
# AWS_ACCESS_KEY_ID variables; a failing command's error carries the
# first line of its stderr, never its stdout; output that is not Version
# 1 JSON is refused; shell syntax in the command is not run.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3_temp
mkdir -p "$WORK/my tools" "$WORK/aws"
cat >"$WORK/my tools/creds.py" <<'PY'
import datetime, json, sys, time
creds, count = sys.argv[1], sys.argv[2]
with open(count, "a") as f:
    f.write("run %s\n" % " ".join(sys.argv[3:]))
n = sum(1 for _ in open(count))
key, secret, token = "ASIAPROC%04d" % n, "proc-secret-%d" % n, "proc-token-%d-" % n + "z" * 500
with open(creds, "a") as f:
    f.write("%s %s %s\n" % (key, secret, token))
exp = datetime.datetime.fromtimestamp(time.time() + 3600, datetime.timezone.utc)
print(json.dumps({"Version": 1, "AccessKeyId": key, "SecretAccessKey": secret,
                  "SessionToken": token, "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}))
print("stdout-secret-marker", file=sys.stdout if len(sys.argv) > 9 else sys.stderr)
PY
cat >"$WORK/aws/config" <<CONF
[profile proc]
credential_process = python3 "$WORK/my tools/creds.py" '$WORK/temp-creds' $WORK/count.txt  a\ b ; touch $WORK/pwned

[profile bad]
credential_process = sh -c 'echo SECRET-ON-STDOUT; echo "token expired, run login" >&2; exit 2'

[profile v2]
credential_process = sh -c 'echo "{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"B\"}"'
CONF

head -c 100000 /dev/urandom >"$WORK/ws.bin"
AWS_PROFILE=proc run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/proc/ws.bin"
assert_exit 0
# --profile wins over keys in the environment
AWS_ACCESS_KEY_ID=WRONG AWS_SECRET_ACCESS_KEY=WRONG run_ferry pull "s3://$S3_BUCKET/proc/ws.bin" -o "$WORK/back.bin" --profile proc
assert_exit 0
cmp "$WORK/ws.bin" "$WORK/back.bin" || fail "pulled file differs"
no_rejects || fail "s3rver refused a request"
[ "$(temp_auths | grep -c '^ASIAPROC')" -eq 2 ] || fail "the process's credentials were not used: $(temp_auths)"
grep -q '^AUTH WRONG' "$WORK/s3.log" && fail "the environment's keys beat --profile"
# split like a shell: quotes kept, "a\ b" one word, ";" just a word
[ "$(head -1 "$WORK/count.txt")" = "run a b ; touch $WORK/pwned" ] || fail "args: $(head -1 "$WORK/count.txt")"
[ ! -e "$WORK/pwned" ] || fail "credential_process ran through a shell"

run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/proc/bad.bin" --profile bad
assert_exit 1
assert_one_error_line "^ferry: s3://bkt/proc/bad.bin: AWS profile 'bad': credential_process: exited with status 2: token expired, run login$"
grep -q SECRET-ON-STDOUT "$WORK/err" && fail "the process's stdout was printed"
run_ferry push "$WORK/ws.bin" "s3://$S3_BUCKET/proc/bad.bin" --profile v2
assert_exit 1
assert_one_error_line "credential_process: unusable output: \"Version\": 1 expected$"
s3_has proc/bad.bin && fail "uploaded without credentials"
exit 0
