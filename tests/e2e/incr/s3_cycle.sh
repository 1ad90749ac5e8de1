#!/usr/bin/env bash
# An incremental set on S3 (s3rver): a full layer through a multipart
# upload, an unchanged save that uploads nothing (not a byte: no PUT, no
# POST), a delta after an edit, a new file, a deletion and a chmod that
# uploads far less than the tree, and restores of both states that equal
# their trees exactly; ls shows the states.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
. "$(dirname "$0")/incr.bash"
start_s3
ws=$WORK/ws
make_workspace "$ws" 2
set=s3://$S3_BUCKET/sets/ws/

run_ferry save "$ws" "$set" --incremental
assert_exit 0
keep_state 1 "$ws"
grep -q 'PUT /bkt/sets/ws/layer-00000001-[0-9a-f]*\.tar\.zst?partNumber=' "$WORK/s3.log" || fail "the full layer was not a multipart upload"
grep -q 'PUT /bkt/sets/ws/state-00000001\.json' "$WORK/s3.log" || fail "no state PUT"
# the state is written last
last=$(grep -E '^(PUT|POST) /bkt/sets/ws/' "$WORK/s3.log" | tail -1)
case $last in "PUT /bkt/sets/ws/state-00000001.json"*) ;; *) fail "the state was not the last write: $last" ;; esac

# unchanged: no write request at all (<= 1 MB uploaded: 0 bytes)
before=$(grep -cE '^(PUT|POST|DELETE) ' "$WORK/s3.log")
run_ferry --json save "$ws" "$set" --incremental
assert_exit 0
grep -q '"unchanged":true' "$WORK/out" || fail "not unchanged: $(cat "$WORK/out")"
grep -q '"archive_bytes":0' "$WORK/out" || fail "an unchanged save uploaded: $(cat "$WORK/out")"
[ "$(grep -cE '^(PUT|POST|DELETE) ' "$WORK/s3.log")" -eq "$before" ] || fail "an unchanged save wrote to the server"

# a delta
echo edited >>"$ws/src/pkg/mod7.py"
echo new >"$ws/src/new.txt"
rm "$ws/src/pkg/mod8.py"
chmod 700 "$ws/src/pkg/mod9.py"
run_ferry --json save "$ws" "$set" --incremental
assert_exit 0
keep_state 2 "$ws"
up=$(sed -n 's/.*"archive_bytes":\([0-9]*\).*/\1/p' "$WORK/out")
[ -n "$up" ] && [ "$up" -lt 65536 ] || fail "the delta uploaded $up bytes"

run_ferry restore "$set" "$WORK/back2"
assert_exit 0
same_snap "$WORK/state-2" "$WORK/back2" || fail "state 2 differs"
run_ferry restore --state 1 "$set" "$WORK/back1"
assert_exit 0
same_snap "$WORK/state-1" "$WORK/back1" || fail "state 1 differs"

run_ferry ls "$set"
assert_exit 0
grep -Eq '^ +1 .* 1 .*full' "$WORK/out" || fail "ls: $(cat "$WORK/out")"
grep -Eq '^ +2 .* 2 ' "$WORK/out" || fail "ls: $(cat "$WORK/out")"
[ -z "$(s3_uploads)" ] || fail "multipart upload left behind"
exit 0
