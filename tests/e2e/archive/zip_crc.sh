#!/usr/bin/env bash
# A zip's CRC-32 is checked (issue 9, item 3): libarchive reports a
# mismatch only as a warning, which ferry treats as what it is.  A wrong
# CRC-32 (deflated, or stored as Python's zipfile writes it) is a checksum
# mismatch: verify and unpack exit 4, one line, the target untouched.  A
# local header that disagrees with the central directory is corrupt
# (exit 3).  A zip made by ferry with one byte of file data changed fails
# the same way, and so does a symlink whose target or CRC-32 was changed
# (libarchive reads symlink targets without their CRC-32).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
mkdir -p "$WORK/target/old"; printf 'old\n' >"$WORK/target/old/f"
snapshot "$WORK/target" >"$WORK/target.snap"

check() { # ARCHIVE EXIT PATTERN
  run_ferry verify "$1"
  assert_exit "$2"
  assert_one_error_line "$3"
  run_ferry unpack "$1" -C "$WORK/target" --force
  assert_exit "$2"
  assert_one_error_line "$3"
  target_untouched
}

python3 "$ARCHIVE_TESTS/hostile.py" zip-crc "$WORK/crc.zip" || fail "hostile.py"
check "$WORK/crc.zip" 4 "^ferry: $WORK/crc.zip: entry 'f': checksum mismatch \(ZIP bad CRC: 0x[0-9a-f]+ should be 0x[0-9a-f]+\)$"

python3 "$ARCHIVE_TESTS/hostile.py" zip-inconsistent "$WORK/inc.zip" || fail "hostile.py"
check "$WORK/inc.zip" 3 "^ferry: $WORK/inc.zip: .*CRC32"

# stored (not deflated), written by zipfile, one data byte flipped
python3 - "$WORK/stored.zip" <<'PY' || fail "zipfile"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("a.txt", "hello stored zip\n" * 100)
PY
off=$(python3 -c "
import sys
d = open(sys.argv[1], 'rb').read()
print(d.index(b'hello stored zip') + 5)" "$WORK/stored.zip")
flip "$WORK/stored.zip" "$off"
check "$WORK/stored.zip" 4 "^ferry: $WORK/stored.zip: entry 'a.txt': checksum mismatch \(ZIP bad CRC"

# ferry's own zip, a byte of a file's data changed
small_ws "$WORK/src"
"$FERRY" -q pack "$WORK/src" -o "$WORK/ws.zip" || fail "pack"
# (random data: deflate stores it, so its bytes are found as they are)
off=$(python3 -c "
import sys
d = open(sys.argv[1], 'rb').read()
r = open(sys.argv[2], 'rb').read()
print(d.index(r[150000:150064]) + 10)" "$WORK/ws.zip" "$WORK/src/sub/random.bin")
flip "$WORK/ws.zip" "$off"
check "$WORK/ws.zip" 4 "^ferry: $WORK/ws.zip: entry 'sub/random.bin': checksum mismatch \(ZIP bad CRC"

# a symlink's target: libarchive reads it without its CRC-32, ferry checks
# it against the central directory (a target changed, or its CRC-32)
for what in target crc; do
  python3 - "$WORK/link-$what.zip" "$what" <<'PY' || fail "zipfile link"
import stat, struct, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("a.txt", b"hello\n")
    link = zipfile.ZipInfo("l")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    z.writestr(link, b"a.txt")
data = bytearray(open(sys.argv[1], "rb").read())
if sys.argv[2] == "target":
    at = data.rindex(b"a.txt", 0, data.index(b"PK\x01\x02"))
    data[at:at + 5] = b"a.txu"
else:
    for sig, off in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        at = data.rindex(sig)  # the link is the last entry
        data[at + off] ^= 0x20
open(sys.argv[1], "wb").write(data)
PY
  check "$WORK/link-$what.zip" 4 "^ferry: $WORK/link-$what.zip: entry 'l': checksum mismatch \(ZIP bad CRC"
  run_ferry list "$WORK/link-$what.zip"
  assert_exit 4
done
exit 0
