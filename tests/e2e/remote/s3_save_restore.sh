#!/usr/bin/env bash
# save DIR s3://... then restore s3://... DIR2: the same tree (files,
# symlinks, hardlinks, modes, empty directories) through a multipart upload
# and parallel ranged GETs, with no temporary archive anywhere; restore
# refuses a non-empty DIR without --force and replaces it with --force.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3
make_workspace "$WORK/ws" 2
echo '*.skip' >"$WORK/ws/.ferryignore"
echo junk >"$WORK/ws/notes.skip"

run_ferry --json save "$WORK/ws" "s3://$S3_BUCKET/ws.tar.zst" --parallel 3
assert_exit 0
parts=$(grep -c 'PUT /bkt/ws.tar.zst?partNumber=' "$WORK/s3.log")
[ "$parts" -ge 10 ] || fail "expected a multipart upload, got $parts parts"
[ -z "$(s3_uploads)" ] || fail "multipart upload left behind"
grep -q '"event":"done","v":1,"command":"save"' "$WORK/out" || fail "no done event"
find "$WORK" -path "$WORK/s3data" -prune -o -name '*.tar.zst*' -print | grep -q . && fail "a temporary archive was written"

run_ferry restore "s3://$S3_BUCKET/ws.tar.zst" "$WORK/back"
assert_exit 0
rm "$WORK/ws/notes.skip"
same_workspace "$WORK/ws" "$WORK/back" || fail "restored tree differs"
grep -q 'every file matches the manifest' "$WORK/err" || fail "no manifest check: $(cat "$WORK/err")"

# a non-empty target: refused (exit 4, untouched), then replaced (--force)
echo keep >"$WORK/back/extra"
run_ferry restore "s3://$S3_BUCKET/ws.tar.zst" "$WORK/back"
assert_exit 4
[ -f "$WORK/back/extra" ] || fail "refused restore touched DIR"
run_ferry restore --force "s3://$S3_BUCKET/ws.tar.zst" "$WORK/back"
assert_exit 0
[ ! -e "$WORK/back/extra" ] || fail "--force did not replace DIR"
same_workspace "$WORK/ws" "$WORK/back" || fail "forced restore differs"

# a workspace that fits in one part: a single PUT
mkdir "$WORK/tiny" && echo hello >"$WORK/tiny/a.txt"
run_ferry save "$WORK/tiny" "s3://$S3_BUCKET/tiny.tar.zst"
assert_exit 0
grep -q '^PUT /bkt/tiny.tar.zst [0-9]*$' "$WORK/s3.log" || fail "tiny save was not one PUT"
run_ferry restore "s3://$S3_BUCKET/tiny.tar.zst" "$WORK/tiny2"
assert_exit 0
same_workspace "$WORK/tiny" "$WORK/tiny2" || fail "tiny round trip differs"

# a missing object: exit 1, nothing created
run_ferry restore "s3://$S3_BUCKET/none.tar.zst" "$WORK/none"
assert_exit 1
assert_one_error_line 'no such object'
[ ! -e "$WORK/none" ] || fail "restore of a missing object created DIR"
exit 0
