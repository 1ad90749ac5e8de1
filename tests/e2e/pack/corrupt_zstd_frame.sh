#!/usr/bin/env bash
# A flipped byte in a zstd frame (inside stored random data, inside a
# compressed text frame, in a frame header) is detected: by zstd (frame
# checksum or corrupt block, exit 3), or for data in ferry's stored frames,
# whose XXH64 unpack leaves to the manifest, by the manifest (exit 4).
# unpack --force leaves the target as it was; verify checks both (exit 3).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
corrupt_setup
size=$(stat -c %s "$WORK/good.tar.zst")
# in_stored OFF: "yes" if OFF is inside the payload of one of ferry's
# stored frames (header 28 b5 2f fd 04 39, raw blocks, XXH64)
in_stored() {
  python3 - "$WORK/good.tar.zst" "$1" <<'PY'
import sys
data, off = open(sys.argv[1], "rb").read(), int(sys.argv[2])
at = 0
while True:
    at = data.find(bytes.fromhex("28b52ffd0439"), at)
    if at < 0:
        break
    p = at + 6
    while True:
        bh = int.from_bytes(data[p:p + 3], "little")
        if p + 3 <= off < p + 3 + (bh >> 3):
            print("yes")
            sys.exit(0)
        p += 3 + (bh >> 3)
        if bh & 1:
            break
    at = p
print("no")
PY
}
stored=0
# the middle of the compressed frames between the first two stored frames
# (sub/big-text.txt)
text=$(python3 - "$WORK/good.tar.zst" <<'PY'
import sys
data, head = open(sys.argv[1], "rb").read(), bytes.fromhex("28b52ffd0439")
first = data.find(head)
p = first + 6
while True:
    bh = int.from_bytes(data[p:p + 3], "little")
    p += 3 + (bh >> 3)
    if bh & 1:
        break
print((p + 4 + data.find(head, p)) // 2)
PY
)
[ "$(in_stored "$text")" = no ] || fail "offset $text should be in compressed data"
# stored random data, compressed text, the magic, the start of a file
for off in $((size / 3)) $((size - 3000)) "$text" 2 700; do
  cp "$WORK/good.tar.zst" "$WORK/bad.tar.zst"
  flip "$WORK/bad.tar.zst" "$off"
  run_ferry unpack "$WORK/bad.tar.zst" -C "$WORK/target" --force
  [ "$RC" -eq 3 ] || [ "$RC" -eq 4 ] || { cat "$WORK/err" >&2; fail "offset $off: exit $RC"; }
  if [ "$(in_stored "$off")" = yes ]; then
    [ "$RC" -eq 4 ] || fail "offset $off (stored data): expected 4, got $RC"
    assert_one_error_line "checksum mismatch"
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
