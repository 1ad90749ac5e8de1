#!/usr/bin/env bash
# A disk that fills up during unpack (issue 12: the writer threads make and
# write the files): exit 1, one line naming the entry and the reason, no
# target and no staging directory left -- for a tree of small files (made
# by the writers) and for one big file (written by the main thread and a
# writer together).  Needs root for a small tmpfs; skipped otherwise.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
mkdir -p "$WORK/mnt"
mount -t tmpfs -o size=2m,nr_inodes=4096 ferry-test "$WORK/mnt" 2>/dev/null ||
  skip "cannot mount a tmpfs here"
trap 'rc=$?; umount "$WORK/mnt" 2>/dev/null; (exit $rc); _cleanup' EXIT

python3 - "$WORK/small" "$WORK/big" <<'PY'
import os, sys
small, big = sys.argv[1], sys.argv[2]
for i in range(300):
    d = os.path.join(small, "d%02d" % (i % 10))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%03d" % i), "wb") as f:
        f.write(os.urandom(12000 + i))
os.makedirs(big)
with open(os.path.join(big, "one.bin"), "wb") as f:
    f.write(os.urandom(9 << 20))
PY
for ws in small big; do
  "$FERRY" pack -q "$WORK/$ws" -o "$WORK/$ws.tar.zst" || fail "pack $ws failed"
  run_ferry unpack "$WORK/$ws.tar.zst" -C "$WORK/mnt/out"
  assert_exit 1
  assert_one_error_line "ferry: .*$ws\.tar\.zst: entry '.*': No space left on device"
  [ -e "$WORK/mnt/out" ] && fail "$ws: the target was made"
  no_staging "$WORK/mnt/out"
  [ -z "$(ls -A "$WORK/mnt")" ] || fail "$ws: left in the filesystem: $(ls -A "$WORK/mnt")"
done
exit 0
