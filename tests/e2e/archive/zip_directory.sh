#!/usr/bin/env bash
# A zip's central directory must be where its end record says, and hold as
# many entries as it says, each read once (issue 9, found by fuzz_mutate):
# libarchive 3.6.2 starts reading the directory where the record's size
# field points, never counts, and drops an entry whose local header another
# entry names too, so a damaged size or offset made a zip read as holding
# fewer entries, or none, with exit 0.  Now unpack, verify and list exit 3
# with one line.  A zip64 (more than 65,535 entries, counted in the zip64
# record) still verifies.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
python3 - "$WORK/other.zip" <<'PY' || fail "zipfile"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for i in range(5):
        z.writestr("d/f%d.txt" % i, b"hello %d\n" % i)
PY
run_ferry verify "$WORK/other.zip"
assert_exit 0

# eocd ZIP OUT FIELD VALUE: OUT is ZIP with the 4-byte end-record field at
# +FIELD (12: directory size, 16: its offset) changed to VALUE (Python
# expression of cd_size, cd_off)
eocd() {
  python3 - "$@" <<'PY' || fail "eocd"
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
e = data.rfind(b"PK\x05\x06")
cd_size, cd_off = struct.unpack_from("<II", data, e + 12)
struct.pack_into("<I", data, e + int(sys.argv[3]), eval(sys.argv[4]))
open(sys.argv[2], "wb").write(data)
PY
}
all3() { # ARCHIVE EXIT PATTERN
  local cmd
  for cmd in verify list unpack; do
    if [ "$cmd" = unpack ]; then
      run_ferry unpack "$1" -C "$WORK/t"
      [ ! -e "$WORK/t" ] || fail "a target was left"
    else
      run_ferry "$cmd" "$1"
    fi
    assert_exit "$2"
    assert_one_error_line "$3"
  done
}
# another tool's zip: no manifest to notice the missing entries
eocd "$WORK/other.zip" "$WORK/size1.zip" 12 1
all3 "$WORK/size1.zip" 3 "size1.zip: corrupt zip: no central directory of 5 entries where its end record says"
# the size one entry short
eocd "$WORK/other.zip" "$WORK/short.zip" 12 "cd_size - 46 - 8"
all3 "$WORK/short.zip" 3 "short.zip: corrupt zip: no central directory of 5 entries"
# two entries naming the same local header: libarchive reads it once
python3 - "$WORK/other.zip" "$WORK/dup.zip" <<'PY' || fail "dup"
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
e = data.rfind(b"PK\x05\x06")
cd = struct.unpack_from("<I", data, e + 16)[0]
first = struct.unpack_from("<I", data, cd + 42)[0]
second = cd + 46 + sum(struct.unpack_from("<HHH", data, cd + 28))
struct.pack_into("<I", data, second + 42, first)
open(sys.argv[2], "wb").write(data)
PY
all3 "$WORK/dup.zip" 3 "dup.zip: corrupt zip: its central directory lists 5 entries, 4 were found"
# ferry's own zip
mkdir -p "$WORK/src/sub"
printf 'a\n' >"$WORK/src/a.txt"; printf 'b\n' >"$WORK/src/sub/b.txt"
"$FERRY" -q pack "$WORK/src" -o "$WORK/ferry.zip" || fail "pack"
eocd "$WORK/ferry.zip" "$WORK/ferry1.zip" 12 1
all3 "$WORK/ferry1.zip" 3 "ferry1.zip: corrupt zip: no central directory of [0-9]+ entries"

# a zip64 end record (70,000 entries): counted there
python3 - "$WORK/z64.zip" <<'PY' || fail "zipfile z64"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for i in range(70000):
        z.writestr("f%05d" % i, b"")
PY
run_ferry verify "$WORK/z64.zip"
assert_exit 0
grep -q "ok: 70000 files" "$WORK/err" || fail "z64: $(cat "$WORK/err")"
exit 0
