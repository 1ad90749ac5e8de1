#!/usr/bin/env bash
# Broken downloads.  A connection cut in the middle of a GET is resumed
# with a Range request (the restore succeeds).  A server that always cuts
# makes restore fail after its retries (exit 1) and a truncated archive
# fails the unpack (exit 3); either way an existing DIR is untouched.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
export FERRY_S3_PART_SIZE=$((1 << 20))
make_workspace "$WORK/ws" 2
"$FERRY" -q pack "$WORK/ws" -o "$WORK/ws.tar.zst" || fail "pack"
mkdir -p "$WORK/dir" && echo precious >"$WORK/dir/keep.txt"
snap() { tree_snapshot "$WORK/dir"; cat "$WORK/dir/keep.txt"; }
snap >"$WORK/before"

start_cut() { start_cutoff "$WORK/ws.tar.zst" "$1"; }

# cut once: resumed, restored
start_cut once
run_ferry -v restore "$CUT_URL" "$WORK/ok"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/ok" || fail "resumed restore differs"
grep -q 'retrying' "$WORK/err" || fail "no retry reported"
grep -Eq 'GET /ws.tar.zst bytes=[1-9][0-9]*-' "$WORK/cut-once.log" || fail "no resumed range request"

# always cut: gives up, DIR untouched
start_cut always
run_ferry restore --force "$CUT_URL" "$WORK/dir" --retries 2
assert_exit 1
assert_one_error_line 'gave up after 3 attempts'
snap | diff - "$WORK/before" >&2 || fail "a failed restore touched DIR"
ls "$WORK" | grep -q 'dir.ferry-' && fail "staging directory left behind"

# a truncated object: the unpack refuses it, DIR untouched
head -c $(( $(stat -c %s "$WORK/ws.tar.zst") / 2 )) "$WORK/ws.tar.zst" >"$WORK/half.tar.zst"
run_ferry restore --force "file://$WORK/half.tar.zst" "$WORK/dir"
[ "$RC" -ne 0 ] || fail "a truncated archive restored"
assert_exit 3
snap | diff - "$WORK/before" >&2 || fail "a truncated restore touched DIR"
exit 0
