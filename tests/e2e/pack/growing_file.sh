#!/usr/bin/env bash
# A file that grows while it is packed: a warning names it, the pack exits
# 0, the archive is valid (verify 0, zstd -t, GNU tar), its manifest lists
# the file as unstable, and unpack warns about it and restores the bytes
# that were read.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3 zstd tar
small_ws "$WORK/ws"
head -c 64000000 /dev/urandom >"$WORK/ws/train.log"
# append 4 KiB every millisecond until told to stop (at most 60 s)
python3 - "$WORK/ws/train.log" "$WORK/stop" <<'PY' &
import os, sys, time
end = time.time() + 60
with open(sys.argv[1], "ab", buffering=0) as f:
    while time.time() < end and not os.path.exists(sys.argv[2]):
        f.write(b"step loss\n" * 410)
        time.sleep(0.001)
PY
APPENDER=$!
_bg_pids+=("$APPENDER")
# start packing only once the appender is really appending (python can take
# longer than the whole pack to start on a loaded machine)
grown() { [ "$(stat -c %s "$WORK/ws/train.log")" -gt 64100000 ]; }
wait_for 30 grown || fail "the appender did not start"
run_ferry pack "$WORK/ws" -o "$WORK/a.tar.zst"
touch "$WORK/stop"; wait "$APPENDER"
assert_exit 0
grep -q "^ferry: warning: .*train.log: changed while it was read" "$WORK/err" || fail "no warning: $(cat "$WORK/err")"
zstd -tq "$WORK/a.tar.zst" || fail "zstd -t"
tar -I zstd -tf "$WORK/a.tar.zst" >/dev/null || fail "GNU tar cannot read it"
run_ferry verify "$WORK/a.tar.zst"
assert_exit 0
grep -q 'train.log changed while it was packed' "$WORK/err" || fail "verify did not report the unstable file"
tar -I zstd -xOf "$WORK/a.tar.zst" .ferry/manifest | grep -q '^u 0 - train.log$' || fail "manifest does not mark train.log"
run_ferry unpack "$WORK/a.tar.zst" -C "$WORK/dst"
assert_exit 0
grep -q 'warning: .*train.log changed while it was packed' "$WORK/err" || fail "unpack did not warn"
[ "$(stat -c %s "$WORK/dst/train.log")" -ge 64000000 ] || fail "train.log lost data"
exit 0
