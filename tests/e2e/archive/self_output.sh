#!/usr/bin/env bash
# An archive written inside the directory being packed never packs itself
# (also when it is stdout redirected there), nor an older archive of the
# same name; a target that is a file is refused without --force.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
small_ws "$WORK/ws"
cd "$WORK/ws" || fail "cd"
run_ferry pack . -o ./self.tar.zst
assert_exit 0
run_ferry pack . -o ./self.tar.zst
assert_exit 0
archive_paths "$WORK/ws/self.tar.zst" >"$WORK/p"
grep -q 'self.tar.zst' "$WORK/p" && fail "the archive packed itself: $(cat "$WORK/p")"
grep -qx 'sub/random.bin' "$WORK/p" || fail "content missing"
"$FERRY" -q pack . -o - >./stdout.tar.zst || fail "pack -o - > file"
archive_paths "$WORK/ws/stdout.tar.zst" >"$WORK/p"
grep -q 'stdout.tar.zst' "$WORK/p" && fail "stdout's file packed into itself"
cd "$WORK" || fail "cd"
printf 'x\n' >"$WORK/afile"
run_ferry unpack "$WORK/ws/self.tar.zst" -C "$WORK/afile"
assert_exit 4
assert_one_error_line "afile: exists and is not a directory"
[ "$(cat "$WORK/afile")" = x ] || fail "the file was changed"
exit 0
