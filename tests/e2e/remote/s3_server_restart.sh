#!/usr/bin/env bash
# The server dies in the middle of a multipart upload and comes back on
# the same port: the failed parts are retried with backoff and the push
# completes with the right content.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3
head -c 16000000 /dev/urandom >"$WORK/f.bin"
"$FERRY" -v push "$WORK/f.bin" "s3://$S3_BUCKET/f.bin" --parallel 2 >"$WORK/push.out" 2>"$WORK/push.err" &
pid=$!
wait_for 30 s3_parts_ge 5 || fail "upload did not start"
port=$S3_PORT
kill_s3
sleep 1
cp "$WORK/s3.log" "$WORK/s3-first.log"
start_s3 "$port"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/push.err" >&2; fail "push did not survive a server restart (exit $rc)"; }
grep -q 'retrying' "$WORK/push.err" || fail "no retry was reported"
run_ferry pull "s3://$S3_BUCKET/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "content differs after the restart"
exit 0
