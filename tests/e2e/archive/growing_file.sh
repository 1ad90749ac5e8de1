#!/usr/bin/env bash
# A file that grows while it is packed: a warning names it, the pack exits
# 0, the archive is valid (verify 0, zstd -t, GNU tar), its manifest lists
# the file as unstable, and unpack warns about it and restores the bytes
# that were read.
#
# The growth happens during the read, deterministically: pack writes to a
# pipe of 4 KiB that this test does not drain; the growing file is the
# first one packed and holds 64 MB, more than ferry buffers, so once the
# pipe is full ferry has opened the file and cannot have finished reading
# it.  Only then is the file appended to, and the pipe drained.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3 zstd tar
small_ws "$WORK/ws"
# "0-" sorts before every other name: the first file packed
head -c 64000000 /dev/urandom >"$WORK/ws/0-train.log"

# ferry is inside 0-train.log once the pipe is full: grow it then
python3 "$(dirname "$0")/pack_paused.py" "$FERRY" "$WORK/ws" "$WORK/a.tar.zst" "$WORK/err" \
  "head -c 41000 /dev/zero >>'$WORK/ws/0-train.log'" || fail "the pack run failed: $(cat "$WORK/err")"
grep -q "^ferry: warning: .*0-train.log: changed while it was read" "$WORK/err" || fail "no warning: $(cat "$WORK/err")"
zstd -tq "$WORK/a.tar.zst" || fail "zstd -t"
tar -I zstd -tf "$WORK/a.tar.zst" >/dev/null || fail "GNU tar cannot read it"
run_ferry verify "$WORK/a.tar.zst"
assert_exit 0
grep -q '0-train.log changed while it was packed' "$WORK/err" || fail "verify did not report the unstable file"
tar -I zstd -xOf "$WORK/a.tar.zst" .ferry/manifest | grep -q '^u 0 - 0-train.log$' || fail "manifest does not mark 0-train.log"
run_ferry unpack "$WORK/a.tar.zst" -C "$WORK/dst"
assert_exit 0
grep -q 'warning: .*0-train.log changed while it was packed' "$WORK/err" || fail "unpack did not warn"
[ "$(stat -c %s "$WORK/dst/0-train.log")" -ge 64000000 ] || fail "0-train.log lost data"
exit 0
