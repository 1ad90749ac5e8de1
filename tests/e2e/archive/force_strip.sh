#!/usr/bin/env bash
# A non-empty target is refused (exit 4, untouched) unless --force, which
# replaces it whole; a target that is a symlink is refused (exit 4), with
# or without --force, and what it points to is untouched; --strip-components drops leading components (and the manifest check
# still covers every file); usage errors exit 2 with one line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need tar
small_ws "$WORK/src"
"$FERRY" -q pack "$WORK/src" -o "$WORK/a.tar.zst" || fail "pack"
mkdir -p "$WORK/t/old"; printf 'old\n' >"$WORK/t/old/f"
snapshot "$WORK/t" >"$WORK/t.snap"
run_ferry unpack "$WORK/a.tar.zst" -C "$WORK/t"
assert_exit 4
assert_one_error_line "exists and is not empty \(use --force"
snapshot "$WORK/t" | diff -u "$WORK/t.snap" - >&2 || fail "target changed"
no_staging "$WORK/t"
chmod 0711 "$WORK/t"
run_ferry unpack "$WORK/a.tar.zst" -C "$WORK/t" --force
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/t"
[ "$(stat -c %a "$WORK/t")" = 711 ] || fail "the target's own mode was not kept"
no_staging "$WORK/t"

# a symlink as the target (issue 9): refused, never followed, even with
# --force; the directory it points to and the link stay as they were
mkdir -p "$WORK/real/old"; printf 'keep\n' >"$WORK/real/old/f"; ln -s real "$WORK/link"
snapshot "$WORK/real" >"$WORK/real.snap"
for force in "" --force; do
  run_ferry unpack "$WORK/a.tar.zst" -C "$WORK/link" $force
  assert_exit 4
  assert_one_error_line "ferry: $WORK/link: is a symlink \(to $WORK/real\); give the real directory$"
  [ -L "$WORK/link" ] || fail "the symlink was replaced"
  snapshot "$WORK/real" | diff -u "$WORK/real.snap" - >&2 || fail "the link's target changed"
  no_staging "$WORK/link"; no_staging "$WORK/real"
done
# the same for the default target, named after the archive
(cd "$WORK" && ln -s real a && "$FERRY" unpack a.tar.zst) 2>"$WORK/err"; RC=$?
assert_exit 4
assert_one_error_line "ferry: a: is a symlink"
snapshot "$WORK/real" | diff -u "$WORK/real.snap" - >&2 || fail "the link's target changed"

# --strip-components
mkdir -p "$WORK/proj"; cp -a "$WORK/src" "$WORK/proj/top"
tar -C "$WORK/proj" -cf "$WORK/p.tar" top || fail "tar"
run_ferry unpack "$WORK/p.tar" -C "$WORK/stripped" --strip-components 1
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/stripped" --no-mtime   # gnu format: seconds
run_ferry unpack "$WORK/a.tar.zst" -C "$WORK/s2" --strip-components 1
assert_exit 0
grep -q 'every file matches the manifest' "$WORK/err" || fail "strip: manifest not checked: $(cat "$WORK/err")"
assert_same_tree "$WORK/src/sub" "$WORK/s2"

run_ferry unpack "$WORK/a.tar.zst" --bogus
assert_exit 2
assert_one_error_line "unpack: unknown option '--bogus'"
run_ferry unpack "$WORK/a.tar.zst" --strip-components x
assert_exit 2
run_ferry pack "$WORK/src/a.txt"
assert_exit 3
assert_one_error_line "a.txt: not a directory$"
run_ferry pack "$WORK/nope" -o "$WORK/n.tar.zst"
assert_exit 1
[ ! -e "$WORK/n.tar.zst.part" ] && [ ! -e "$WORK/n.tar.zst" ] || fail "output left behind"
exit 0
