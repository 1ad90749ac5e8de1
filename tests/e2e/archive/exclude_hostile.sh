#!/usr/bin/env bash
# A hostile exclude rule (a .ferryignore may come from a shared repo) costs
# pack nothing: the matcher never backtracks.  '*a*a*a*a*a*a*a*a*a*a*b'
# took 13 s against one 40-byte name with the old matcher; here 16 stars
# meet names of 250 bytes through .ferryignore, --exclude-from and
# --exclude, and the rules still decide what they should (the last one
# wins, '!' re-includes, '/' anchors).  The 60 s limit only turns a hang
# into a failure; the pack takes well under 1 s.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

a250=$(printf 'a%.0s' $(seq 1 250))
a249b=$(printf 'a%.0s' $(seq 1 249))b
stars=$(printf '*a%.0s' $(seq 1 16))
mkdir -p "$WORK/ws/$a250"
printf 'x\n' >"$WORK/ws/$a250/$a250"
printf 'x\n' >"$WORK/ws/$a250/$a249b"
printf 'x\n' >"$WORK/ws/$a249b"
printf 'x\n' >"$WORK/ws/keep.txt"
printf '%s\n' "$stars*b" "**/$stars*c/**" >"$WORK/ws/.ferryignore"
printf '%s\n' "$a250/**/[!x]$stars" >"$WORK/rules"

start=$SECONDS
timeout -k 5 60 "$FERRY" pack "$WORK/ws" -o "$WORK/a.tar.zst" \
  --exclude-from "$WORK/rules" --exclude "!/$stars*b" >"$WORK/out" 2>"$WORK/err"
RC=$?
[ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "pack with hostile excludes did not finish in 60 s"
assert_exit 0
echo "pack took $((SECONDS - start)) s" >&2
expect_paths "$WORK/a.tar.zst" .ferryignore keep.txt "$a249b" "$a250"
exit 0
