#!/usr/bin/env bash
# ferry down to S3 (s3rver on 127.0.0.1): the save is a multipart upload
# under REMOTE.saves/, the pointer REMOTE.current is one PUT made after
# it; ferry ls shows both; with keep = 2 only 3 saves remain, the pointer
# names them newest first, and the current one restores to the last
# state saved.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
. "$(dirname "$0")/down.bash"
start_s3
make_workspace "$WORK/ws" 1
remote="s3://$S3_BUCKET/vm1/work.tar.zst"
manifest "$WORK/ferry.ini" "$WORK/ws" "$remote" 2

run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
first=$(current_save "$remote")
[ -n "$first" ] || fail "no pointer after down"
s3_has "vm1/work.tar.zst.saves/$first" || fail "the save is not there"
grep -q "^PUT /bkt/vm1/work.tar.zst.saves/$first?partNumber=" "$WORK/s3.log" || fail "the save was not a multipart upload"
# the pointer is written after the save is complete
done_at=$(grep -n "^POST /bkt/vm1/work.tar.zst.saves/$first?uploadId=" "$WORK/s3.log" | tail -1 | cut -d: -f1)
ptr_at=$(grep -n '^PUT /bkt/vm1/work.tar.zst.current ' "$WORK/s3.log" | head -1 | cut -d: -f1)
[ -n "$done_at" ] && [ -n "$ptr_at" ] && [ "$ptr_at" -gt "$done_at" ] || fail "pointer ($ptr_at) not after the complete ($done_at)"

run_ferry ls "s3://$S3_BUCKET/vm1/"
assert_exit 0
grep -q ' work.tar.zst.current$' "$WORK/out" || fail "ls shows no pointer: $(cat "$WORK/out")"
grep -q 'PRE work.tar.zst.saves/$' "$WORK/out" || fail "ls shows no saves: $(cat "$WORK/out")"
run_ferry ls "$remote.saves/"
grep -q " $first$" "$WORK/out" || fail "ls of the saves: $(cat "$WORK/out")"

for i in 2 3 4 5; do
  echo "change $i" >"$WORK/ws/src/pkg/mod1.py"
  run_ferry down -f "$WORK/ferry.ini"
  assert_exit 0
done
run_ferry ls "$remote.saves/"
n=$(grep -c '\.tar\.zst$' "$WORK/out")
[ "$n" -eq 3 ] || fail "keep = 2: expected 3 saves, found $n: $(cat "$WORK/out")"
s3_has "vm1/work.tar.zst.saves/$first" && fail "the oldest save was kept"
[ -z "$(s3_uploads)" ] || fail "a multipart upload was left behind"
restore_current "$remote" "$WORK/back" || fail "restore of the current save"
same_workspace "$WORK/ws" "$WORK/back" || fail "the current save is not the last state"
exit 0
