#!/usr/bin/env bash
# DIR/.ferryignore is read like .gitignore (and packed itself); rules
# given on the command line come after it, so they win.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
exclude_ws "$WORK/ws"
printf '*.pyc\ncache/\n*.log\n' >"$WORK/ws/.ferryignore"
run_ferry pack "$WORK/ws" -o "$WORK/a.tar.zst"
assert_exit 0
archive_paths "$WORK/a.tar.zst" >"$WORK/p"
grep -qx '.ferryignore' "$WORK/p" || fail ".ferryignore itself not packed"
grep -q '\.pyc$' "$WORK/p" && fail "*.pyc kept"
grep -q 'cache' "$WORK/p" && fail "cache/ kept"
grep -q '\.log$' "$WORK/p" && fail "*.log kept"

run_ferry pack "$WORK/ws" -o "$WORK/b.tar.zst" --exclude '!keep.log'
assert_exit 0
archive_paths "$WORK/b.tar.zst" >"$WORK/p"
grep -qx 'logs/keep.log' "$WORK/p" || fail "--exclude '!keep.log' did not override .ferryignore"
grep -qx 'logs/a.log' "$WORK/p" && fail "logs/a.log kept"
exit 0
