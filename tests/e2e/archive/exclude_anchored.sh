#!/usr/bin/env bash
# A rule with a '/' is anchored at the packed directory: 'data/raw' drops
# only the top-level one, '/top.txt' only the top-level file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
exclude_ws "$WORK/ws"
run_ferry pack "$WORK/ws" -o "$WORK/a.tar.zst" --exclude data/raw --exclude /top.txt
assert_exit 0
archive_paths "$WORK/a.tar.zst" >"$WORK/p"
grep -qx 'data' "$WORK/p" || fail "data itself was dropped"
grep -q '^data/raw' "$WORK/p" && fail "data/raw was kept"
grep -qx 'x/data/raw/r.bin' "$WORK/p" || fail "x/data/raw was dropped (rule must be anchored)"
grep -qx 'top.txt' "$WORK/p" && fail "/top.txt was kept"
grep -qx 'x/top.txt' "$WORK/p" || fail "x/top.txt was dropped"
exit 0
