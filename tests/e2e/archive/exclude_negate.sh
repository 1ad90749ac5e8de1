#!/usr/bin/env bash
# '!' re-includes and the last matching rule wins: '*.log' then
# '!keep.log' keeps every keep.log; but nothing below an excluded
# directory can come back ('logs/' then '!logs/keep.log'), as in git.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
exclude_ws "$WORK/ws"
run_ferry pack "$WORK/ws" -o "$WORK/a.tar.zst" --exclude '*.log' --exclude '!keep.log'
assert_exit 0
archive_paths "$WORK/a.tar.zst" >"$WORK/p"
grep -qx 'logs/a.log' "$WORK/p" && fail "logs/a.log was kept"
grep -qx 'logs/keep.log' "$WORK/p" || fail "logs/keep.log was not re-included"
grep -qx 'keep.log' "$WORK/p" || fail "keep.log was not re-included"

run_ferry pack "$WORK/ws" -o "$WORK/b.tar.zst" --exclude 'logs/' --exclude '!logs/keep.log'
assert_exit 0
archive_paths "$WORK/b.tar.zst" >"$WORK/p"
grep -q '^logs' "$WORK/p" && fail "something below the excluded logs/ came back"
exit 0
