#!/usr/bin/env bash
# An archive that holds ferry's manifest entry (.ferry/manifest) is checked
# against it, so a damaged one never passes for "no manifest" (issue 9):
# a flipped byte in its first line, a manifest that is not the last entry
# or comes twice, one that is not a regular file -- unpack, verify and list
# all exit 3 with one line naming it, and unpack leaves no target.  An
# archive without that entry (another tool's) still unpacks, with the
# structural checks only.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3 tar
small_ws "$WORK/src"
"$FERRY" -q pack "$WORK/src" -o "$WORK/good.tar" || fail "pack"

# all_exit ARCHIVE EXIT PATTERN: unpack, verify and list alike
all_exit() {
  run_ferry unpack "$1" -C "$WORK/t"
  assert_exit "$2"
  assert_one_error_line "$3"
  [ ! -e "$WORK/t" ] || fail "a target was left"
  no_staging "$WORK/t"
  for cmd in verify list; do
    run_ferry "$cmd" "$1"
    assert_exit "$2"
    assert_one_error_line "$3"
  done
}

# remake OUT PYTHON: rewrite good.tar member by member; PYTHON is the body
# of a loop over (member, data) that appends to `out` (a list), with
# `mf` the manifest member and `mfdata` its bytes
remake() {
  python3 - "$WORK/good.tar" "$1" "$2" <<'PY' || fail "remake $1"
import io, sys, tarfile
src = tarfile.open(sys.argv[1])
members = [(m, src.extractfile(m).read() if m.isfile() else None) for m in src]
mf, mfdata = [(m, d) for m, d in members if m.name == ".ferry/manifest"][0]
members = [(m, d) for m, d in members if m.name != ".ferry/manifest"]
out = []
exec(sys.argv[3])
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as t:
    for m, d in out:
        t.addfile(m, io.BytesIO(d) if d is not None else None)
PY
}

# one byte of "ferry-manifest 1" changed (its size unchanged)
cp "$WORK/good.tar" "$WORK/magic.tar"
off=$(python3 -c "
import tarfile, sys
for m in tarfile.open(sys.argv[1]):
    if m.name == '.ferry/manifest':
        print(m.offset_data + 3)" "$WORK/good.tar")
flip "$WORK/magic.tar" "$off"
all_exit "$WORK/magic.tar" 3 "magic.tar: manifest: not a ferry manifest"

# not the last entry: a file follows it
remake "$WORK/late.tar" "
out = members + [(mf, mfdata)]
x = tarfile.TarInfo('zz-late.txt'); x.size = 3
out.append((x, b'new'))"
all_exit "$WORK/late.tar" 3 "late.tar: entry '.ferry/manifest': corrupt: ferry's manifest is not the last entry"

# twice (an older manifest first)
remake "$WORK/twice.tar" "out = [(mf, mfdata)] + members + [(mf, mfdata)]"
all_exit "$WORK/twice.tar" 3 "twice.tar: entry '.ferry/manifest': corrupt: ferry's manifest is not the last entry"

# not a regular file: a directory, a symlink
remake "$WORK/dir.tar" "
d = tarfile.TarInfo('.ferry/manifest'); d.type = tarfile.DIRTYPE
out = members + [(d, None)]"
all_exit "$WORK/dir.tar" 3 "dir.tar: entry '.ferry/manifest': corrupt: ferry's manifest is not a regular file"
remake "$WORK/sym.tar" "
l = tarfile.TarInfo('.ferry/manifest'); l.type = tarfile.SYMTYPE; l.linkname = 'a.txt'
out = members + [(l, None)]"
all_exit "$WORK/sym.tar" 3 "sym.tar: entry '.ferry/manifest': corrupt: ferry's manifest is not a regular file"

# the same archive without the manifest: another tool's, structure only
remake "$WORK/none.tar" "out = members"
run_ferry unpack "$WORK/none.tar" -C "$WORK/none"
assert_exit 0
grep -q "no ferry manifest, checksums not verified" "$WORK/err" || fail "no-manifest unpack: $(cat "$WORK/err")"
assert_same_tree "$WORK/src" "$WORK/none"
tar -C "$WORK/src" -cf "$WORK/gnu.tar" . || fail "tar"
run_ferry verify "$WORK/gnu.tar"
assert_exit 0
grep -q "no ferry manifest, structure checked only" "$WORK/err" || fail "GNU tar: $(cat "$WORK/err")"
exit 0
