#!/usr/bin/env bash
# A trailing '/' matches directories only: 'build/' drops the directory
# build (and its contents) but keeps the plain file src/build.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
exclude_ws "$WORK/ws"
run_ferry pack "$WORK/ws" -o "$WORK/a.tar.zst" --exclude 'build/'
assert_exit 0
archive_paths "$WORK/a.tar.zst" >"$WORK/p"
grep -q '^build' "$WORK/p" && fail "directory build was kept"
grep -qx 'src/build' "$WORK/p" || fail "file src/build was dropped"
exit 0
