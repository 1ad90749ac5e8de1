#!/usr/bin/env bash
# bsdtar extracts ferry's archive exactly, and ferry unpacks bsdtar's
# archives (pax + zstd with nanosecond mtimes, and its default + xz).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need bsdtar

small_ws "$WORK/src"
ln "$WORK/src/a.txt" "$WORK/src/sub/a-hardlink"
chmod 0700 "$WORK/src/sub/deeper"

run_ferry pack "$WORK/src" -o "$WORK/f.tar.zst"
assert_exit 0
mkdir "$WORK/bsd"
bsdtar -C "$WORK/bsd" -xpf "$WORK/f.tar.zst" 2>"$WORK/bsdtar.err" || fail "bsdtar failed: $(cat "$WORK/bsdtar.err")"
[ ! -s "$WORK/bsdtar.err" ] || fail "bsdtar complained: $(cat "$WORK/bsdtar.err")"
assert_same_tree "$WORK/src" "$WORK/bsd" --ignore .ferry

bsdtar --format pax --zstd -cf "$WORK/b.tar.zst" -C "$WORK/src" . || fail "bsdtar -c"
run_ferry unpack "$WORK/b.tar.zst" -C "$WORK/from-bsd"
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/from-bsd"

bsdtar -cJf "$WORK/b.tar.xz" -C "$WORK/src" . || fail "bsdtar -cJ"
run_ferry unpack "$WORK/b.tar.xz" -C "$WORK/from-bsd-xz"
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/from-bsd-xz" --no-mtime  # restricted pax: seconds
exit 0
