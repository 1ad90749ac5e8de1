#!/usr/bin/env bash
# A flipped byte in a zstd frame (inside stored random data, inside a
# compressed text frame, in a frame header) is detected: by zstd (frame
# checksum or corrupt block, exit 3), or for data in ferry's stored frames
# by their XXH64, which unpack checks as verify does (exit 3, "stored frame
# checksum mismatch", before the manifest's check at the end).  unpack
# --force leaves the target as it was.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
corrupt_setup
size=$(stat -c %s "$WORK/good.tar.zst")
# in_stored OFF: "yes" if OFF is inside the data of one of ferry's stored
# frames (zframes.py)
in_stored() { python3 "$ARCHIVE_TESTS/zframes.py" "$WORK/good.tar.zst" "$1"; }
stored=0
# the middle of the compressed frames between the first two stored frames
# (sub/big-text.txt)
text=$(python3 "$ARCHIVE_TESTS/zframes.py" "$WORK/good.tar.zst" |
  { read -r _ e1 && read -r s2 _ && echo $(((e1 + s2) / 2)); })
[ "$(in_stored "$text")" = no ] || fail "offset $text should be in compressed data"
# stored random data, compressed text, the magic, the start of a file
for off in $((size / 3)) $((size - 3000)) "$text" 2 700; do
  cp "$WORK/good.tar.zst" "$WORK/bad.tar.zst"
  flip "$WORK/bad.tar.zst" "$off"
  run_ferry unpack "$WORK/bad.tar.zst" -C "$WORK/target" --force
  [ "$RC" -eq 3 ] || [ "$RC" -eq 4 ] || { cat "$WORK/err" >&2; fail "offset $off: exit $RC"; }
  if [ "$(in_stored "$off")" = yes ]; then
    [ "$RC" -eq 3 ] || fail "offset $off (stored data): expected 3, got $RC"
    assert_one_error_line "stored frame checksum mismatch"
    stored=$((stored + 1))
  else
    [ "$RC" -eq 3 ] || [ "$off" -eq 700 ] || fail "offset $off: expected 3, got $RC"
    assert_one_error_line "bad.tar.zst"
  fi
  target_untouched
  run_ferry verify "$WORK/bad.tar.zst"
  [ "$RC" -eq 3 ] || [ "$off" -eq 700 ] || fail "verify offset $off: expected 3, got $RC"
  [ "$RC" -eq 3 ] || [ "$RC" -eq 4 ] || fail "verify offset $off: exit $RC"
done
[ "$stored" -ge 1 ] || fail "no offset fell into a stored frame"
exit 0
