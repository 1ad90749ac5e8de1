#!/usr/bin/env bash
# A save whose parts keep failing gives up after --retries, exits 1, leaves
# nothing under the key and aborts the multipart upload (none is listed).
# The same for Ctrl-C (SIGINT) in the middle of a save: exit 130.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
export FAIL_PARTS=1000000
start_s3
make_workspace "$WORK/ws" 1

start=$(date +%s)
run_ferry save "$WORK/ws" "s3://$S3_BUCKET/ws.tar.zst" --retries 2
assert_exit 1
assert_one_error_line '^ferry: s3://bkt/ws.tar.zst \(part [0-9]+\): server busy \(HTTP 503 SlowDown\) \(gave up after 3 attempts\)$'
[ $(( $(date +%s) - start )) -lt 60 ] || fail "retries were not bounded"
grep -q '^ABORTED ' "$WORK/s3.log" || fail "the multipart upload was not aborted"
[ -z "$(s3_uploads)" ] || fail "multipart upload left behind: $(s3_uploads)"
s3_has ws.tar.zst && fail "a failed save is visible"

# interrupted: a slow save (server fails, ferry backs off), then SIGINT
"$FERRY" save "$WORK/ws" "s3://$S3_BUCKET/ws2.tar.zst" --retries 50 >"$WORK/int.out" 2>"$WORK/int.err" &
pid=$!
wait_for 20 grep -q 'partNumber=' "$WORK/s3.log" || fail "save did not start"
sleep 0.5
kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 130 ] || { cat "$WORK/int.err" >&2; fail "SIGINT: expected exit 130, got $rc"; }
[ -z "$(s3_uploads)" ] || fail "interrupted save left a multipart upload"
s3_has ws2.tar.zst && fail "an interrupted save is visible"
exit 0
