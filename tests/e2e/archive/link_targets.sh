#!/usr/bin/env bash
# The manifest covers link targets (issue 9): pack writes the XXH3-128 of
# every symlink's and hardlink's target on its 'l' / 'h' line, and unpack,
# verify and list compare it: a changed symlink target, or a hardlink
# pointed at another (safe, earlier) file, is exit 4 naming the link, the
# target left alone.  A manifest of an earlier version ('-' there) still
# verifies and unpacks, links intact.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3 tar
mkdir -p "$WORK/src/sub"
printf 'hello\n' >"$WORK/src/a.txt"
printf 'other\n' >"$WORK/src/b.txt"
ln -s ../a.txt "$WORK/src/sub/link"
ln "$WORK/src/a.txt" "$WORK/src/sub/hard.txt"
"$FERRY" -q pack "$WORK/src" -o "$WORK/good.tar" || fail "pack"
tar -xOf "$WORK/good.tar" .ferry/manifest >"$WORK/manifest" || fail "tar -x"
grep -Eq '^l 0 [0-9a-f]{32} sub/link$' "$WORK/manifest" || fail "no target hash on the 'l' line: $(cat "$WORK/manifest")"
grep -Eq '^h 0 [0-9a-f]{32} sub/hard.txt$' "$WORK/manifest" || fail "no target hash on the 'h' line: $(cat "$WORK/manifest")"

# relink OUT EDIT: rewrite good.tar with EDIT (Python) run on each member
# m (and d, its data; the manifest is copied as it is)
relink() {
  python3 - "$WORK/good.tar" "$1" "$2" <<'PY' || fail "relink $1"
import io, sys, tarfile
src = tarfile.open(sys.argv[1])
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as t:
    for m in src:
        d = src.extractfile(m).read() if m.isfile() else None
        exec(sys.argv[3])
        t.addfile(m, io.BytesIO(d) if d is not None else None)
PY
}

# all_exit ARCHIVE EXIT PATTERN: unpack, verify and list alike
all_exit() {
  run_ferry unpack "$1" -C "$WORK/t"
  assert_exit "$2"
  assert_one_error_line "$3"
  [ ! -e "$WORK/t" ] || fail "a target was left"
  for cmd in verify list; do
    run_ferry "$cmd" "$1"
    assert_exit "$2"
    assert_one_error_line "$3"
  done
}

relink "$WORK/sym.tar" "
if m.name == 'sub/link': m.linkname = '../b.txt'"
all_exit "$WORK/sym.tar" 4 "sym.tar: sub/link: link target differs from the manifest"

relink "$WORK/hard.tar" "
if m.name == 'sub/hard.txt': m.linkname = 'b.txt'"
all_exit "$WORK/hard.tar" 4 "hard.tar: sub/hard.txt: link target differs from the manifest"

# an earlier version's manifest: '-' for link targets
relink "$WORK/old.tar" "
if m.name == '.ferry/manifest':
    import re
    d = re.sub(rb'(?m)^([lh]) 0 [0-9a-f]{32} ', rb'\1 0 - ', d)
    m.size = len(d)"
tar -xOf "$WORK/old.tar" .ferry/manifest | grep -q '^l 0 - sub/link$' || fail "old.tar: not edited"
for cmd in verify list; do
  run_ferry "$cmd" "$WORK/old.tar"
  assert_exit 0
done
run_ferry unpack "$WORK/old.tar" -C "$WORK/old"
assert_exit 0
grep -q "every file matches the manifest" "$WORK/err" || fail "old.tar: $(cat "$WORK/err")"
assert_same_tree "$WORK/src" "$WORK/old"
[ "$(stat -c %i "$WORK/old/a.txt")" = "$(stat -c %i "$WORK/old/sub/hard.txt")" ] || fail "hardlink lost"
exit 0
