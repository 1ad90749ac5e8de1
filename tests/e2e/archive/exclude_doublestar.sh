#!/usr/bin/env bash
# '**' spans directories: '**/tmp' is tmp at any depth, 'a/**/z.txt' is
# z.txt anywhere below a (also directly in it), 'out/**' is everything
# inside out but not out itself.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
exclude_ws "$WORK/ws"
run_ferry pack "$WORK/ws" -o "$WORK/a.tar.zst" --exclude '**/tmp' --exclude 'a/**/z.txt' --exclude 'out/**'
assert_exit 0
archive_paths "$WORK/a.tar.zst" >"$WORK/p"
grep -q 'tmp' "$WORK/p" && fail "a tmp directory was kept"
grep -q 'z.txt' "$WORK/p" && fail "a/**/z.txt was kept"
grep -qx 'out' "$WORK/p" || fail "out itself was dropped"
grep -q '^out/' "$WORK/p" && fail "something inside out was kept"
grep -qx 'a/b' "$WORK/p" || fail "a/b was dropped"
exit 0
