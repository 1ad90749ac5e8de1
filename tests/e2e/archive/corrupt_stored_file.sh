#!/usr/bin/env bash
# A flipped byte inside a stored file, recompressed so every zstd frame is
# intact, is caught by the manifest's XXH3-128: unpack --force exits 4
# naming the file and leaves the target as it was; verify exits 4.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need zstd
corrupt_setup
zstd -qdc "$WORK/good.tar.zst" >"$WORK/plain.tar" || fail "zstd -d"
off=$(python3 -c "
import tarfile, sys
for m in tarfile.open(sys.argv[1]):
    if m.name == 'sub/big-text.txt':
        print(m.offset_data + m.size // 2)" "$WORK/plain.tar")
[ -n "$off" ] || fail "file not found in the tar"
flip "$WORK/plain.tar" "$off"
zstd -q -3 --check "$WORK/plain.tar" -o "$WORK/tampered.tar.zst" || fail "zstd"
zstd -tq "$WORK/tampered.tar.zst" || fail "frames should be intact"

run_ferry unpack "$WORK/tampered.tar.zst" -C "$WORK/target" --force
assert_exit 4
assert_one_error_line "tampered.tar.zst: sub/big-text.txt: checksum mismatch"
target_untouched
run_ferry verify "$WORK/tampered.tar.zst"
assert_exit 4
assert_one_error_line "sub/big-text.txt: checksum mismatch"

# the same for an uncompressed tar
run_ferry unpack "$WORK/plain.tar" -C "$WORK/target" --force
assert_exit 4
target_untouched

# and the untouched archive does replace the target with --force
run_ferry unpack "$WORK/good.tar.zst" -C "$WORK/target" --force
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/target"
no_staging "$WORK/target"
exit 0
