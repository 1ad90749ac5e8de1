#!/usr/bin/env bash
# Declared sizes and sparse maps are not trusted (issue 9, item 2): a zip64
# declaring 2^62 bytes for 12, a zip declaring 4 GiB + 12 for 12 (libarchive
# only compares the low 32 bits), and a GNU sparse tar whose data block is
# mapped at 2^55 in a 1 KiB file are corrupt: verify and unpack exit 3 at
# once, one line, the target untouched, no staging left, never a file
# padded with zeros.  A sparse file whose hole is 1 TiB unpacks in no time
# (its holes are neither hashed nor written); a size the filesystem refuses
# is exit 3 naming it; a sparse entry in an archive with ferry's manifest
# is corrupt (ferry never writes one).  GNU tar's own sparse archives
# unpack byte for byte.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
hostile() { python3 "$ARCHIVE_TESTS/hostile.py" "$@" || fail "hostile.py $*"; }
# every run is bounded: before the fix these spun forever, deaf to SIGTERM
bounded() {
  timeout -k 2 30 "$FERRY" "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  [ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "ferry $* did not finish in 30 s"
}
mkdir -p "$WORK/target/old"; printf 'old\n' >"$WORK/target/old/f"
snapshot "$WORK/target" >"$WORK/target.snap"

refused() { # ARCHIVE PATTERN
  bounded verify "$1"
  assert_exit 3
  assert_one_error_line "$2"
  bounded unpack "$1" -C "$WORK/target" --force
  assert_exit 3
  assert_one_error_line "$2"
  target_untouched
  bounded unpack "$1" -C "$WORK/new"
  assert_exit 3
  [ ! -e "$WORK/new" ] || fail "$1: a target was created"
  no_staging "$WORK/new"
}

hostile zip-size "$WORK/z62.zip" $((1 << 62))
refused "$WORK/z62.zip" "^ferry: $WORK/z62.zip: entry 'f': ZIP uncompressed data is wrong size \(read 12, expected 4611686018427387904\)$"
hostile zip-size "$WORK/z4g.zip" $(((1 << 32) + 12))
refused "$WORK/z4g.zip" "^ferry: $WORK/z4g.zip: entry 'f': corrupt or truncated: 12 bytes of data, the header declares 4294967308$"
hostile sparse "$WORK/far.tar" $((1 << 55)) 1024
refused "$WORK/far.tar" "^ferry: $WORK/far.tar: entry 's': corrupt: data beyond the declared size of 1024 bytes$"

# a legitimate sparse file with a 1 TiB hole, no manifest: holes cost nothing
hostile sparse "$WORK/hole.tar" $((1 << 40)) $(((1 << 40) + 4096))
bounded unpack "$WORK/hole.tar" -C "$WORK/hole"
assert_exit 0
[ "$(stat -c %s "$WORK/hole/s")" = $(((1 << 40) + 4096)) ] || fail "sparse file has the wrong size"
python3 - "$WORK/hole/s" <<'PY' || fail "sparse data not at its offset"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
assert os.pread(fd, 512, 1 << 40) == b"x" * 512
assert os.pread(fd, 4, (1 << 40) + 512) == bytes(4)
assert os.pread(fd, 4, 0) == bytes(4)
PY
[ "$(du -k "$WORK/hole/s" | cut -f1)" -lt 1024 ] || fail "the hole was written out"
bounded verify "$WORK/hole.tar"
assert_exit 0

# a size the filesystem refuses: exit 3, naming it (skipped where allowed)
if ! python3 -c "import os,sys; f=open(sys.argv[1],'wb'); os.truncate(sys.argv[1], 1 << 62)" "$WORK/probe" 2>/dev/null; then
  hostile sparse "$WORK/huge.tar" 0 $((1 << 62))
  bounded unpack "$WORK/huge.tar" -C "$WORK/target" --force
  assert_exit 3
  assert_one_error_line "^ferry: $WORK/huge.tar: entry 's': its declared size of 4611686018427387904 bytes is more than the filesystem allows$"
  target_untouched
fi
rm -f "$WORK/probe"

# a sparse entry where ferry's manifest lists the file (with the XXH3-128
# of its whole content, holes included, taken from a manifest ferry wrote
# for the same bytes): ferry never writes these
mkdir -p "$WORK/one"; head -c 4096 /dev/zero >"$WORK/one/s"
python3 -c "
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(0); f.write(b'x' * 512)" "$WORK/one/s"
"$FERRY" -q pack "$WORK/one" -o "$WORK/one.tar" || fail "pack"
hash=$(tar -xOf "$WORK/one.tar" .ferry/manifest | awk '$1 == "f" && $4 == "s" {print $3}')
[ -n "$hash" ] || fail "no hash in ferry's manifest"
hostile sparse "$WORK/mf.tar" 0 4096 manifest "$hash"
bounded verify "$WORK/mf.tar"
assert_exit 3
assert_one_error_line "^ferry: $WORK/mf.tar: s: corrupt: a sparse entry in an archive of ferry's, which never writes them$"
bounded unpack "$WORK/mf.tar" -C "$WORK/target" --force
assert_exit 3
target_untouched

# GNU tar's sparse formats (old GNU and pax 1.0) unpack byte for byte
if command -v tar >/dev/null && tar --version 2>/dev/null | grep -q GNU; then
  mkdir -p "$WORK/sp"
  python3 - "$WORK/sp/f" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    for off in (0, 5 << 20, 40 << 20):
        f.seek(off); f.write(os.urandom(70000))
    f.truncate(64 << 20)
PY
  for fmt in gnu posix; do
    tar --sparse --format=$fmt -C "$WORK/sp" -cf "$WORK/sp-$fmt.tar" f || fail "tar $fmt"
    bounded unpack "$WORK/sp-$fmt.tar" -C "$WORK/sp-$fmt"
    assert_exit 0
    cmp "$WORK/sp/f" "$WORK/sp-$fmt/f" || fail "GNU tar $fmt sparse file differs"
    bounded verify "$WORK/sp-$fmt.tar"
    assert_exit 0
  done
fi
exit 0
