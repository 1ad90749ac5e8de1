#!/usr/bin/env bash
# The server dies for good in the middle of a save: ferry gives up after
# its bounded retries (exit 1, within seconds), and once the server is
# back nothing is visible under the key.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3
make_workspace "$WORK/ws" 12
start=$(date +%s)
"$FERRY" save "$WORK/ws" "s3://$S3_BUCKET/ws.tar.zst" --retries 2 --parallel 1 --threads 1 >"$WORK/save.out" 2>"$WORK/save.err" &
pid=$!
wait_for 30 s3_parts_ge 3 || fail "upload did not start"
port=$S3_PORT
kill_s3
wait "$pid"; rc=$?
[ "$rc" -eq 1 ] || { cat "$WORK/save.err" >&2; fail "expected exit 1, got $rc"; }
grep -Eq '^ferry: s3://bkt/ws.tar.zst \(part [0-9]+\): cannot connect.*gave up after 3 attempts' "$WORK/save.err" || { cat "$WORK/save.err" >&2; fail "unexpected error line"; }
[ "$(grep -c '^ferry: ' "$WORK/save.err")" -eq 1 ] || fail "more than one error line"
[ $(( $(date +%s) - start )) -lt 60 ] || fail "gave up too late"
start_s3 "$port"
s3_has ws.tar.zst && fail "a failed save is visible"
run_ferry pull "s3://$S3_BUCKET/ws.tar.zst" -o "$WORK/x"
assert_exit 1
exit 0
