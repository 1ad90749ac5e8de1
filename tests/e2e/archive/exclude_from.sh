#!/usr/bin/env bash
# --exclude-from FILE reads rules one a line (comments, blank lines and
# CRLF endings are fine); a missing FILE is an error that leaves nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
exclude_ws "$WORK/ws"
printf '# build products\n*.pyc\r\n\nbuild/\n  \n' >"$WORK/rules"
run_ferry pack "$WORK/ws" -o "$WORK/a.tar.zst" --exclude-from "$WORK/rules"
assert_exit 0
archive_paths "$WORK/a.tar.zst" >"$WORK/p"
grep -q '\.pyc$' "$WORK/p" && fail "*.pyc kept"
grep -q '^build' "$WORK/p" && fail "build/ kept"
grep -qx 'src/m.py' "$WORK/p" || fail "src/m.py dropped"

run_ferry pack "$WORK/ws" -o "$WORK/b.tar.zst" --exclude-from "$WORK/missing"
assert_exit 1
assert_one_error_line "missing"
[ ! -e "$WORK/b.tar.zst" ] && [ ! -e "$WORK/b.tar.zst.part" ] || fail "output left behind"
exit 0
