#!/usr/bin/env bash
# A flipped byte in a zstd frame (inside stored random data, inside a
# compressed text frame, in a frame header) is detected by zstd (frame
# checksum or corrupt block): unpack --force exits 3 and leaves the target
# as it was; verify exits 3.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
corrupt_setup
size=$(stat -c %s "$WORK/good.tar.zst")
# where the stored random file and the compressed text sit in the archive
for off in $((size / 3)) $((size - 3000)) 2 700; do
  cp "$WORK/good.tar.zst" "$WORK/bad.tar.zst"
  flip "$WORK/bad.tar.zst" "$off"
  run_ferry unpack "$WORK/bad.tar.zst" -C "$WORK/target" --force
  [ "$RC" -eq 3 ] || [ "$RC" -eq 4 ] || { cat "$WORK/err" >&2; fail "offset $off: exit $RC"; }
  [ "$RC" -eq 3 ] || [ "$off" -eq 700 ] || fail "offset $off: expected 3, got $RC"
  assert_one_error_line "bad.tar.zst"
  target_untouched
  run_ferry verify "$WORK/bad.tar.zst"
  [ "$RC" -eq 3 ] || [ "$RC" -eq 4 ] || fail "verify offset $off: exit $RC"
done
exit 0
