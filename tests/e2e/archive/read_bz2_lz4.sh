#!/usr/bin/env bash
# unpack, list, verify and restore read tar.bz2 and tar.lz4 made by GNU tar
# with the real bzip2 and lz4 tools, told by their magic bytes (not by
# name), from a file or a pipe; every checksum they carry is checked: a
# flipped byte (bzip2 block/stream CRC, lz4 content or block checksum), a
# cut stream or bytes after it are exit 3 with one error line, and nothing
# is unpacked.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need tar bzip2 lz4
small_ws "$WORK/src"
tar -C "$WORK/src" -cjf "$WORK/g.tar.bz2" . || fail "tar -cj"
tar -C "$WORK/src" -I lz4 -cf "$WORK/g.tar.lz4" . || fail "tar -I lz4"
tar -C "$WORK/src" -cf "$WORK/g.tar" . || fail "tar -c"
lz4 -q -BD -BX -c "$WORK/g.tar" >"$WORK/bx.tar.lz4" || fail "lz4 -BX"   # block checksums too
# several members, as pbzip2 and lbzip2 write them, and several lz4 frames
head -c 100000 "$WORK/g.tar" >"$WORK/p1"; tail -c +100001 "$WORK/g.tar" >"$WORK/p2"
{ bzip2 -c "$WORK/p1"; bzip2 -c "$WORK/p2"; } >"$WORK/multi.tar.bz2"
{ lz4 -q -c "$WORK/p1"; lz4 -q -c "$WORK/p2"; } >"$WORK/multi.tar.lz4"
cp "$WORK/g.tar.bz2" "$WORK/bz2-named.bin"   # the magic decides, not the name

n=0
for a in g.tar.bz2 g.tar.lz4 bx.tar.lz4 multi.tar.bz2 multi.tar.lz4 bz2-named.bin; do
  n=$((n + 1))
  run_ferry verify "$WORK/$a"
  assert_exit 0
  run_ferry list "$WORK/$a"
  assert_exit 0
  grep -q ' sub/numbers.txt$' "$WORK/out" || fail "$a: list: $(cat "$WORK/out")"
  run_ferry unpack "$WORK/$a" -C "$WORK/d$n"
  assert_exit 0
  assert_same_tree "$WORK/src" "$WORK/d$n" --no-mtime   # gnu format: whole seconds
  cat "$WORK/$a" | "$FERRY" -q unpack - -C "$WORK/pipe$n" || fail "$a: unpack from a pipe"
  assert_same_tree "$WORK/src" "$WORK/pipe$n" --no-mtime
done
run_ferry restore "file://$WORK/g.tar.lz4" "$WORK/r1"
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/r1" --no-mtime
# unpack names the directory after the archive without its extension
(cd "$WORK" && "$FERRY" -q unpack g.tar.bz2) || fail "unpack without -C"
assert_same_tree "$WORK/src" "$WORK/g" --no-mtime

# flip BYTE-OFFSET (negative: from the end) of $WORK/$1 into $WORK/bad
flip() {
  python3 - "$WORK/$1" "$2" "$WORK/bad" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = int(sys.argv[2])
d[i] ^= 0x10
open(sys.argv[3], "wb").write(d)
PY
}
# bad_one WHAT PATTERN: verify and unpack of $WORK/bad are exit 3, one line
bad_one() {
  run_ferry verify "$WORK/bad"
  assert_exit 3
  assert_one_error_line "^ferry: $WORK/bad: $2"
  rm -rf "$WORK/nope"
  run_ferry unpack "$WORK/bad" -C "$WORK/nope"
  assert_exit 3
  [ ! -e "$WORK/nope" ] || fail "$1: a damaged archive was unpacked"
}
flip g.tar.bz2 -3    # the stream's combined CRC
bad_one "bz2 stream CRC" "corrupt bzip2 data \(a CRC does not match, or a block is damaged\)$"
flip g.tar.bz2 2000  # inside the block: its CRC, or garbage libarchive sees first
bad_one "bz2 block" "."
flip g.tar.lz4 -3    # the content checksum
bad_one "lz4 content checksum" "corrupt lz4 data: ERROR_contentChecksum_invalid$"
flip g.tar.lz4 2000  # data: the content checksum catches it at the end
bad_one "lz4 data" "corrupt lz4 data: ERROR_"
size=$(stat -c %s "$WORK/bx.tar.lz4")
flip bx.tar.lz4 $((size / 2))
bad_one "lz4 block checksum" "corrupt lz4 data: ERROR_"
head -c -20 "$WORK/g.tar.bz2" >"$WORK/bad"
bad_one "bz2 cut" "truncated \(the bzip2 stream ends early\)$"
head -c -20 "$WORK/g.tar.lz4" >"$WORK/bad"
bad_one "lz4 cut" "truncated \(the lz4 stream ends early\)$"
{ cat "$WORK/g.tar.bz2"; printf 'junk'; } >"$WORK/bad"
bad_one "bz2 trailer" "corrupt bzip2 data: bytes after the end of the stream$"
{ cat "$WORK/g.tar.lz4"; printf 'junk'; } >"$WORK/bad"
bad_one "lz4 trailer" "corrupt lz4 data: bytes after the end of the stream$"
lz4 -q -l -c "$WORK/g.tar" >"$WORK/bad"   # legacy frames carry no checksum
bad_one "lz4 legacy" "lz4 legacy format \(lz4 -l\) is not read"
# a plain tar whose first name starts like bzip2's header is still a tar
mkdir "$WORK/bzname" && echo hi >"$WORK/bzname/BZh9x"
tar -C "$WORK/bzname" -cf "$WORK/bzname.tar" BZh9x || fail "tar -c BZh9x"
run_ferry verify "$WORK/bzname.tar"
assert_exit 0
# zero padding after the stream is what block-padding writers add: fine
{ cat "$WORK/g.tar.bz2"; head -c 4096 /dev/zero; } >"$WORK/padded"
run_ferry verify "$WORK/padded"
assert_exit 0
exit 0
