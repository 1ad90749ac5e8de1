#!/usr/bin/env bash
# GNU tar (+ zstd) extracts ferry's archive exactly (seeing one extra file,
# .ferry/manifest), and ferry unpacks archives made by GNU tar: zstd (gnu
# format, "./" names) and gzip (posix format, nanosecond mtimes).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need tar zstd gzip

small_ws "$WORK/src"
ln "$WORK/src/a.txt" "$WORK/src/sub/a-hardlink"
chmod 0755 "$WORK/src/sub/deeper/x.txt"
chmod 0444 "$WORK/src/sub/numbers.txt"

run_ferry pack "$WORK/src" -o "$WORK/f.tar.zst"
assert_exit 0
mkdir "$WORK/gnu"
tar -C "$WORK/gnu" -I zstd -xf "$WORK/f.tar.zst" 2>"$WORK/tar.err" || fail "GNU tar failed: $(cat "$WORK/tar.err")"
[ ! -s "$WORK/tar.err" ] || fail "GNU tar complained: $(cat "$WORK/tar.err")"
assert_same_tree "$WORK/src" "$WORK/gnu" --ignore .ferry
head -1 "$WORK/gnu/.ferry/manifest" | grep -qx 'ferry-manifest 1' || fail "no manifest for GNU tar users"

# GNU tar's own archives, unpacked by ferry
tar -C "$WORK/src" -I 'zstd -T0 -3' -cf "$WORK/g.tar.zst" . || fail "tar -c"
run_ferry unpack "$WORK/g.tar.zst" -C "$WORK/from-gnu"
assert_exit 0
grep -q 'no ferry manifest' "$WORK/err" || fail "expected 'no ferry manifest': $(cat "$WORK/err")"
assert_same_tree "$WORK/src" "$WORK/from-gnu" --no-mtime   # gnu format: whole seconds

tar -C "$WORK/src" --format=posix -czf "$WORK/g.tar.gz" . || fail "tar -cz"
run_ferry unpack "$WORK/g.tar.gz" -C "$WORK/from-gnu-gz"
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/from-gnu-gz"
exit 0
