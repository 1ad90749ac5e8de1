#!/usr/bin/env bash
# Errors name what the user gave (issue 10, item 8): never ferry's own
# FILE.part or DIR.ferry-XXXXXX; `pull -o DIR` (an existing directory, or
# any path ending in '/') saves DIR/<last element of the URL>, like cp and
# curl --output-dir; a path where a URL goes says it is not a URL.
. "$(dirname "$0")/../lib.sh"
need python3

mkdir -p "$WORK/ws" "$WORK/into" "$WORK/www"
printf 'hello\n' >"$WORK/ws/a.txt"
printf 'x\n' >"$WORK/afile"
"$FERRY" -q pack "$WORK/ws" -o "$WORK/ws.tar.zst" || fail "pack"
cp "$WORK/ws.tar.zst" "$WORK/www/ws.tar.zst"
nf="No such file or directory"

# a missing output directory: the path given, not FILE.part
run_ferry pack "$WORK/ws" -o "$WORK/nodir/x.tar.zst"
assert_exit 1
assert_one_error_line "^ferry: $WORK/nodir/x.tar.zst: $nf$"
run_ferry make-torrent "$WORK/ws" -o "$WORK/nodir/x.torrent"
assert_exit 1
assert_one_error_line "^ferry: $WORK/nodir/x.torrent: $nf$"
run_ferry pull "file://$WORK/ws.tar.zst" -o "$WORK/nodir/x.tar.zst"
assert_exit 1
assert_one_error_line "^ferry: $WORK/nodir/x.tar.zst: $nf$"
[ ! -e "$WORK/nodir" ] || fail "a missing output directory was made"

# pull -o DIR and -o DIR/ save into DIR, for file:// and http alike
start_http http "$WORK/www"
for src in "file://$WORK/ws.tar.zst" "${HTTP_URL}ws.tar.zst"; do
  for dst in "$WORK/into" "$WORK/into/"; do
    rm -f "$WORK/into/ws.tar.zst"
    run_ferry pull "$src" -o "$dst"
    assert_exit 0
    cmp -s "$WORK/ws.tar.zst" "$WORK/into/ws.tar.zst" || fail "pull $src -o $dst: not saved as into/ws.tar.zst"
    grep -q "into $WORK/into/ws.tar.zst in " "$WORK/err" || fail "pull -o $dst: summary: $(cat "$WORK/err")"
    [ -z "$(find "$WORK/into" -name '*.part')" ] || fail "a .part was left"
  done
done
run_ferry pull "file://$WORK/ws.tar.zst" -o "$WORK/nodir/"
assert_exit 1
assert_one_error_line "^ferry: $WORK/nodir/: $nf$"
run_ferry pull "file://$WORK/ws.tar.zst" -o "$WORK/afile/"
assert_exit 1
assert_one_error_line "^ferry: $WORK/afile/: Not a directory$"
[ "$(cat "$WORK/afile")" = x ] || fail "afile was changed"

# a path where a URL goes
run_ferry pull /nonexistent
assert_exit 3
assert_one_error_line "^ferry: /nonexistent: not a URL \(use file:///nonexistent for a local file\)$"
# a missing local FILE to push is not a missing object
run_ferry push "$WORK/nofile" "file://$WORK/up/x"
assert_exit 1
assert_one_error_line "^ferry: $WORK/nofile: $nf$"

# a directory ferry may not write in: the path given, never the .part or
# the staging directory DIR.ferry-XXXXXX (root passes permission checks,
# an immutable directory stops it too)
mkdir -p "$WORK/imm"
if chattr +i "$WORK/imm" 2>/dev/null; then
  "$FERRY" pack "$WORK/ws" -o "$WORK/imm/x.tar.zst" >"$WORK/out" 2>"$WORK/err"; rc1=$?
  cp "$WORK/err" "$WORK/pack.err"
  "$FERRY" unpack "$WORK/ws.tar.zst" -C "$WORK/imm/x" >"$WORK/out" 2>"$WORK/err"; rc2=$?
  chattr -i "$WORK/imm"
  RC=$rc2
  assert_exit 1
  assert_one_error_line "^ferry: $WORK/imm/x: Operation not permitted$"
  cp "$WORK/pack.err" "$WORK/err"
  RC=$rc1
  assert_exit 1
  assert_one_error_line "^ferry: $WORK/imm/x.tar.zst: Operation not permitted$"
  [ -z "$(ls -A "$WORK/imm")" ] || fail "something was made in imm"
else
  echo "note: chattr +i does not work here, the immutable-directory rows are skipped" >&2
fi
exit 0
