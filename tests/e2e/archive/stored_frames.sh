#!/usr/bin/env bash
# Random-looking file data goes into ferry's stored zstd frames (raw blocks,
# header 28 b5 2f fd 04 39), which unpack reads itself, straight into its
# buffers (files of 4 MiB and more are written from there with O_DIRECT,
# their odd tails through the page cache).  Sizes around the 128 KiB block and the 1 MiB buffer, from a
# file and from a pipe, round-trip; zstd -t accepts the archive; archives of
# earlier versions (window byte 0x38, read by libzstd) still unpack; a
# stored frame cut short, with a block that is not raw, or with changed
# data (its XXH64, checked by unpack as by verify) exits 3 with one line
# and leaves the target alone; stored frames without a manifest are
# refused (exit 4).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need zstd
mkdir -p "$WORK/src/r" "$WORK/src/big" "$WORK/target/old"
# files of 4 MiB and more are written with O_DIRECT (odd tails through the
# page cache): random, compressible, and with a hole
head -c 4194637 /dev/urandom >"$WORK/src/big/odd.bin"
head -c 9437189 /dev/urandom >"$WORK/src/big/odd2.bin"
seq 1 900000 >"$WORK/src/big/text.txt"
head -c 1000 /dev/urandom >"$WORK/src/big/holey.bin"
truncate -s 6000000 "$WORK/src/big/holey.bin"
head -c 70000 /dev/urandom >>"$WORK/src/big/holey.bin"
printf 'old tree\n' >"$WORK/target/old/file"
snapshot "$WORK/target" >"$WORK/target.snap"
i=0
for n in 16384 131071 131072 131073 262144 1048573 1048576 1048579 3145733; do
  head -c "$n" /dev/urandom >"$WORK/src/r/f$i.bin"
  seq 1 $((i * 700 + 1)) >"$WORK/src/r/t$i.txt" # text frames in between
  i=$((i + 1))
done
"$FERRY" -q pack "$WORK/src" -o "$WORK/a.tar.zst" || fail "pack failed"
zstd -tq "$WORK/a.tar.zst" || fail "zstd -t rejects the archive"

# where the stored frames are (zframes.py reads the bytes, not ferry)
python3 "$ARCHIVE_TESTS/zframes.py" "$WORK/a.tar.zst" >"$WORK/frames"
[ "$(wc -l <"$WORK/frames")" -ge 9 ] || fail "fewer stored frames than random files"
read -r last end < <(tail -n 1 "$WORK/frames")

run_ferry unpack "$WORK/a.tar.zst" -C "$WORK/out-file"
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/out-file"
"$FERRY" -q unpack - -C "$WORK/out-pipe" <"$WORK/a.tar.zst" || fail "unpack from a pipe"
assert_same_tree "$WORK/src" "$WORK/out-pipe"
run_ferry verify "$WORK/a.tar.zst"
assert_exit 0

# an archive of an earlier version: the same frames with window byte 0x38
python3 - "$WORK/a.tar.zst" "$WORK/old.tar.zst" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(data.replace(bytes.fromhex("28b52ffd0439"),
                                           bytes.fromhex("28b52ffd0438")))
PY
cmp -s "$WORK/a.tar.zst" "$WORK/old.tar.zst" && fail "nothing replaced"
run_ferry unpack "$WORK/old.tar.zst" -C "$WORK/out-old"
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/out-old"

# patch FILE OFFSET HEX: overwrite bytes
patch() {
  python3 -c "
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); f.write(bytes.fromhex(sys.argv[3]))" "$@"
}
# bad ARCHIVE WHAT: unpack --force exits 3 with one line naming WHAT
bad() {
  run_ferry unpack "$1" -C "$WORK/target" --force
  assert_exit 3
  assert_one_error_line "$2"
  target_untouched
}

# cut inside the payload of the last (3 MiB) stored frame
head -c $((last + 6 + 3 + 200000)) "$WORK/a.tar.zst" >"$WORK/cut.tar.zst"
bad "$WORK/cut.tar.zst" "truncated"
# and right after its header
head -c $((last + 6)) "$WORK/a.tar.zst" >"$WORK/cut2.tar.zst"
bad "$WORK/cut2.tar.zst" "truncated"

# a payload byte changed: the frame's XXH64 (exit 3), in unpack, verify
# and list alike, before the manifest's XXH3 is compared at the end
cp "$WORK/a.tar.zst" "$WORK/sum.tar.zst"
flip "$WORK/sum.tar.zst" $((last + 6 + 3 + 1000))
bad "$WORK/sum.tar.zst" "stored frame checksum mismatch"
for cmd in verify list; do
  run_ferry "$cmd" "$WORK/sum.tar.zst"
  assert_exit 3
  assert_one_error_line "stored frame checksum mismatch"
done
# the frame's checksum field itself changed (the data intact): unpack
# reads every stored frame's XXH64 (issue 9, item 5)
cp "$WORK/a.tar.zst" "$WORK/sumf.tar.zst"
flip "$WORK/sumf.tar.zst" $((end - 2))
bad "$WORK/sumf.tar.zst" "stored frame checksum mismatch"

# stored frames without the manifest that vouches for them: the archive
# cut after the last stored frame (r/f8.bin's data), then its padding and
# the end-of-archive blocks in a libzstd frame -- a valid tar without
# r/t*.txt and .ferry/manifest
head -c "$end" "$WORK/a.tar.zst" >"$WORK/nomf.tar.zst"
head -c $((507 + 1024)) /dev/zero | zstd -q >>"$WORK/nomf.tar.zst"
zstd -tq "$WORK/nomf.tar.zst" || fail "the cut archive should be valid zstd"
run_ferry unpack "$WORK/nomf.tar.zst" -C "$WORK/target" --force
assert_exit 4
assert_one_error_line "stored zstd frames but no ferry manifest"
target_untouched

# the first block header says "compressed" (type 2) instead of raw
cp "$WORK/a.tar.zst" "$WORK/type.tar.zst"
patch "$WORK/type.tar.zst" $((last + 6)) 04
bad "$WORK/type.tar.zst" "a stored frame holds a compressed block"

# a block longer than zstd allows (size field 0x1fffff)
cp "$WORK/a.tar.zst" "$WORK/size.tar.zst"
patch "$WORK/size.tar.zst" $((last + 6)) f8ffff
bad "$WORK/size.tar.zst" "block too big"
exit 0
