#!/usr/bin/env bash
# The same-mtime trap: a file rewritten with other bytes of the same size,
# its mtime put back with touch -d, in the same second as the save before
# (and again later), is found changed and saved; restores equal the tree.
# Also a file replaced by another inode with the same size and mtime.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/incr.bash"
ws=$WORK/ws
mkdir -p "$ws/d"
printf 'AAAA' >"$ws/d/f.txt"
printf 'BBBB' >"$ws/g.txt"
touch -d '2021-05-06 07:08:09.5' "$ws/d/f.txt" "$ws/g.txt"
set=file://$WORK/set/
run_ferry save "$ws" "$set" --incremental
assert_exit 0
for round in 1 2 3; do
  mt=$(stat -c %y "$ws/d/f.txt")
  printf 'C%03d' "$round" >"$ws/d/f.txt"
  touch -d "$mt" "$ws/d/f.txt"
  # g.txt: a new inode with the same size and mtime
  printf 'D%03d' "$round" >"$ws/g.new" && touch -d "$mt" "$ws/g.new" && mv "$ws/g.new" "$ws/g.txt"
  touch -d "$(stat -c %y "$ws/d")" "$ws/d" "$ws"
  run_ferry save "$ws" "$set" --incremental
  assert_exit 0
  grep -q "as state $((round + 1)): " "$WORK/err" || fail "round $round: change missed: $(cat "$WORK/err")"
  rm -rf "$WORK/back"
  run_ferry restore "$set" "$WORK/back"
  assert_exit 0
  same_snap "$ws" "$WORK/back" || fail "round $round: restore differs"
done
exit 0
