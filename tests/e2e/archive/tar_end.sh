#!/usr/bin/env bash
# A tar must end with its end-of-archive marker, and only zeros may follow
# it (issue 9, found by fuzz_mutate): libarchive takes the input's end
# right after an entry for the archive's end, and stops at the first zero
# block, so a tar cut between two entries, or one whose middle was zeroed
# (hiding every entry after it, ferry's manifest too), passed with exit 0.
# Now both are exit 3 for unpack, verify and list, plain or compressed; a
# tar that ends with one zero block instead of POSIX's two is fine.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3 tar gzip
mkdir -p "$WORK/src"
seq 1 1000 >"$WORK/src/a"
printf 'x' >"$WORK/src/b"
tar -C "$WORK/src" -cf "$WORK/gnu.tar" a b || fail "tar"

all3() { # ARCHIVE EXIT PATTERN
  local cmd
  for cmd in verify list unpack; do
    if [ "$cmd" = unpack ]; then
      run_ferry unpack "$1" -C "$WORK/t"
      [ "$2" -eq 0 ] || [ ! -e "$WORK/t" ] || fail "a target was left"
      rm -rf "$WORK/t"
    else
      run_ferry "$cmd" "$1"
    fi
    assert_exit "$2"
    [ "$2" -eq 0 ] || assert_one_error_line "$3"
  done
}
all3 "$WORK/gnu.tar" 0

# cut right after the last entry's data (a 512-byte boundary)
end=$(python3 -c "
import tarfile, sys
m = tarfile.open(sys.argv[1]).getmembers()[-1]
print(m.offset_data + (m.size + 511) // 512 * 512)" "$WORK/gnu.tar")
head -c "$end" "$WORK/gnu.tar" >"$WORK/cut.tar"
all3 "$WORK/cut.tar" 3 "cut.tar: truncated \(the tar ends without its end-of-archive marker\)"
gzip -c "$WORK/cut.tar" >"$WORK/cut.tar.gz"
all3 "$WORK/cut.tar.gz" 3 "cut.tar.gz: truncated \(the tar ends without its end-of-archive marker\)"
# one zero block as the marker
{ cat "$WORK/cut.tar"; head -c 512 /dev/zero; } >"$WORK/one.tar"
all3 "$WORK/one.tar" 0

# two tars joined: the second would be ignored
cat "$WORK/gnu.tar" "$WORK/gnu.tar" >"$WORK/joined.tar"
all3 "$WORK/joined.tar" 3 "joined.tar: corrupt tar: data after its end-of-archive marker"

# ferry's tar with the header of a file zeroed (and its next block): the
# rest, its manifest too, would be hidden behind a false marker
mkdir -p "$WORK/ws/sub"
printf 'hello\n' >"$WORK/ws/a.txt"
seq 1 20000 >"$WORK/ws/sub/z.txt"
"$FERRY" -q pack "$WORK/ws" -o "$WORK/ferry.tar" || fail "pack"
off=$(python3 -c "
import tarfile, sys
for m in tarfile.open(sys.argv[1]):
    if m.name == 'sub/z.txt':
        print(m.offset)" "$WORK/ferry.tar")
python3 -c "
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); f.write(bytes(1024))" "$WORK/ferry.tar" "$off"
all3 "$WORK/ferry.tar" 3 "ferry.tar: corrupt tar: data after its end-of-archive marker"
exit 0
