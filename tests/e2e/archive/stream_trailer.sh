#!/usr/bin/env bash
# The compressed stream's own checksums are checked to its very end
# (issue 9, item 3): libarchive stops reading at the tar end-of-archive
# marker and never checks a gzip member's CRC-32 and size, so a damaged
# trailer (zstd's last frame checksum, xz's stream footer, gzip's CRC-32 or
# size) passed with exit 0.  Now every byte flipped among the last 8 of a
# ferry tar.zst, tar.gz and tar.xz makes verify and unpack fail (exit 3 or
# 4, one line, target untouched), and so does a stream cut after the
# marker.  Zero padding after a gzip stream is accepted, other bytes not.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
small_ws "$WORK/src"
mkdir -p "$WORK/target/old"; printf 'old\n' >"$WORK/target/old/f"
snapshot "$WORK/target" >"$WORK/target.snap"

refused() { # ARCHIVE
  local cmd
  for cmd in verify unpack; do
    if [ $cmd = verify ]; then run_ferry verify "$1"
    else run_ferry unpack "$1" -C "$WORK/target" --force; fi
    [ "$RC" -eq 3 ] || [ "$RC" -eq 4 ] || fail "$cmd $1: exit $RC: $(cat "$WORK/err")"
    assert_one_error_line "^ferry: $1: "
  done
  target_untouched
}

for fmt in tar.zst tar.gz tar.xz; do
  "$FERRY" -q pack "$WORK/src" -o "$WORK/ws.$fmt" || fail "pack $fmt"
  run_ferry verify "$WORK/ws.$fmt"
  assert_exit 0
  size=$(stat -c %s "$WORK/ws.$fmt")
  for back in 1 2 3 4 5 6 7 8; do
    cp "$WORK/ws.$fmt" "$WORK/bad.$fmt"
    flip "$WORK/bad.$fmt" $((size - back))
    refused "$WORK/bad.$fmt"
  done
  head -c $((size - 4)) "$WORK/ws.$fmt" >"$WORK/cut.$fmt"
  refused "$WORK/cut.$fmt"
  run_ferry verify "$WORK/cut.$fmt"
  assert_one_error_line "truncated"
done

# gzip: zero padding after the stream is fine, anything else is not
cp "$WORK/ws.tar.gz" "$WORK/pad.tar.gz"; head -c 4096 /dev/zero >>"$WORK/pad.tar.gz"
run_ferry verify "$WORK/pad.tar.gz"
assert_exit 0
cp "$WORK/ws.tar.gz" "$WORK/junk.tar.gz"; printf 'junk' >>"$WORK/junk.tar.gz"
run_ferry verify "$WORK/junk.tar.gz"
assert_exit 3
assert_one_error_line "^ferry: $WORK/junk.tar.gz: corrupt gzip data: bytes after the end of the stream$"
# two members read as one stream (gzip -d does the same)
python3 - "$WORK/ws.tar.gz" "$WORK/two.tar.gz" <<'PY' || fail "split"
import gzip, sys
data = gzip.decompress(open(sys.argv[1], "rb").read())
half = len(data) // 2
with open(sys.argv[2], "wb") as f:
    f.write(gzip.compress(data[:half]) + gzip.compress(data[half:]))
PY
run_ferry verify "$WORK/two.tar.gz"
assert_exit 0
exit 0
