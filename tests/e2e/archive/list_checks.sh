#!/usr/bin/env bash
# list reads and checks everything verify checks (issue 9): it prints the
# rows of the entries it has checked as it goes, then, if the archive turns
# out damaged, one error line and exit 3 or 4 -- the same exit and line as
# verify.  Cases: a flipped data byte (manifest checksum, exit 4), an
# edited size in the manifest (exit 4), a zip cut short (exit 3: ferry's,
# and another tool's, which only the seeking zip reader catches), a zip
# whose CRC-32 is wrong (exit 4).  An intact archive still lists with exit 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
small_ws "$WORK/src"
"$FERRY" -q pack "$WORK/src" -o "$WORK/good.tar" || fail "pack tar"
"$FERRY" -q pack "$WORK/src" -o "$WORK/good.zip" || fail "pack zip"
run_ferry list "$WORK/good.tar"
assert_exit 0
grep -q ' a.txt$' "$WORK/out" || fail "intact: a.txt not listed"

# list_like_verify ARCHIVE EXIT PATTERN: verify and list exit EXIT with one
# matching line; list printed rows before it (all entries before the
# damaged one)
list_like_verify() {
  run_ferry verify "$1"
  assert_exit "$2"
  assert_one_error_line "$3"
  cp "$WORK/err" "$WORK/verify.err"
  run_ferry list "$1"
  assert_exit "$2"
  assert_one_error_line "$3"
  diff -u "$WORK/verify.err" "$WORK/err" >&2 || fail "list and verify say different things"
  grep -q ' a.txt$' "$WORK/out" || fail "list printed no rows before the error"
}

# offset_of TAR NAME [manifest]: where NAME's data starts in TAR
offset_of() {
  python3 -c "
import tarfile, sys
for m in tarfile.open(sys.argv[1]):
    if m.name == sys.argv[2]:
        print(m.offset_data + m.size // 2)" "$1" "$2"
}

# a data byte: the manifest's checksum
cp "$WORK/good.tar" "$WORK/data.tar"
flip "$WORK/data.tar" "$(offset_of "$WORK/good.tar" sub/numbers.txt)"
list_like_verify "$WORK/data.tar" 4 "data.tar: sub/numbers.txt: checksum mismatch"

# the manifest's size of a file changed (one digit, same length)
python3 - "$WORK/good.tar" "$WORK/mf.tar" <<'PY' || fail "edit the manifest"
import re, sys, tarfile
data = bytearray(open(sys.argv[1], "rb").read())
m = [m for m in tarfile.open(sys.argv[1]) if m.name == ".ferry/manifest"][0]
body = bytes(data[m.offset_data:m.offset_data + m.size])
at = body.index(b"f 6 ") + 2  # a.txt, 6 bytes
data[m.offset_data + at] = ord("7")
open(sys.argv[2], "wb").write(data)
PY
list_like_verify "$WORK/mf.tar" 4 "mf.tar: a.txt: checksum mismatch"

# a zip cut short: the last bytes of its central directory are gone
size=$(stat -c %s "$WORK/good.zip")
head -c $((size - 40)) "$WORK/good.zip" >"$WORK/cut.zip"
run_ferry verify "$WORK/cut.zip"
assert_exit 3
cp "$WORK/err" "$WORK/verify.err"
run_ferry list "$WORK/cut.zip"
assert_exit 3
assert_one_error_line "cut.zip"
diff -u "$WORK/verify.err" "$WORK/err" >&2 || fail "list and verify differ on cut.zip"

# another tool's zip cut short: no manifest to catch it, and libarchive's
# streaming reader would read its symlink as a file, with exit 0
python3 - "$WORK/other.zip" <<'PY' || fail "zipfile"
import stat, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("d/f", b"hello\n")
    link = zipfile.ZipInfo("l")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    z.writestr(link, b"d/f")
PY
size=$(stat -c %s "$WORK/other.zip")
head -c $((size - 10)) "$WORK/other.zip" >"$WORK/other-cut.zip"
for cmd in verify list; do
  run_ferry "$cmd" "$WORK/other-cut.zip"
  assert_exit 3
  assert_one_error_line "other-cut.zip: corrupt or truncated zip"
done
run_ferry unpack "$WORK/other-cut.zip" -C "$WORK/unpacked"
assert_exit 3
[ ! -e "$WORK/unpacked" ] || fail "unpack of a cut zip left a target"
run_ferry list "$WORK/other.zip"
assert_exit 0
grep -q '^l.* l -> d/f$' "$WORK/out" || fail "the intact zip's symlink: $(cat "$WORK/out")"

# a zip's CRC-32 (the format's own checksum)
python3 "$ARCHIVE_TESTS/hostile.py" zip-crc "$WORK/crc.zip" || fail "hostile.py"
run_ferry list "$WORK/crc.zip"
assert_exit 4
assert_one_error_line "crc.zip: entry 'f': checksum mismatch"
exit 0
