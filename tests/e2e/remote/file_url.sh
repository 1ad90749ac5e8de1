#!/usr/bin/env bash
# file:// storage (atomic like pack), and the command-line contract: wrong
# scheme -> exit 3, missing arguments -> exit 2, missing object -> exit 1.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
head -c 300000 /dev/urandom >"$WORK/f.bin"
run_ferry push "$WORK/f.bin" "file://$WORK/store/deep/f.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/store/deep/f.bin" || fail "push differs"
[ ! -e "$WORK/store/deep/f.bin.part" ] || fail ".part left behind"
run_ferry pull "file://$WORK/store/deep/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "pull differs"

make_workspace "$WORK/ws" 1
run_ferry --json save "$WORK/ws" "file://$WORK/store/ws.tar.zst"
assert_exit 0
grep -q '"event":"done"' "$WORK/out" || fail "no done event"
"$FERRY" -q verify "$WORK/store/ws.tar.zst" || fail "saved archive does not verify"
run_ferry restore "file://$WORK/store/ws.tar.zst" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "round trip differs"

run_ferry pull "file://$WORK/store/none.bin" -o "$WORK/x"
assert_exit 1
assert_one_error_line 'no such object'
for url in "ftp://h/x" "gopher://h/x" "s3://bucket-only" "s3:///key" "file://relative/x" "sftp://host" "nourl"; do
  run_ferry push "$WORK/f.bin" "$url"
  assert_exit 3
  assert_one_error_line "^ferry: "
done
run_ferry push "$WORK/f.bin"
assert_exit 2
run_ferry pull
assert_exit 2
run_ferry save "$WORK/ws"
assert_exit 2
run_ferry restore "file://$WORK/store/ws.tar.zst"
assert_exit 2
run_ferry push "$WORK/f.bin" "file://$WORK/x" --retries nope
assert_exit 2
run_ferry save "$WORK/ws" "ftp://h/ws.tar.zst"
assert_exit 3
exit 0
