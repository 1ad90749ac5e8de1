#!/usr/bin/env bash
# Compaction and retention: once the deltas outgrow half the full layer
# the next save writes a full layer; the old base and its deltas stay while
# a kept state names them, and go (states first) once none does; --full
# forces a full layer; every state kept restores exactly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/incr.bash"
ws=$WORK/ws
set=file://$WORK/set/
mkdir -p "$ws/d"
head -c 200000 /dev/urandom >"$ws/d/base.bin"
kind() { sed -n 's/.*as state [0-9]*: a \([a-z]*\) layer.*/\1/p' "$WORK/err"; }
save() {
  run_ferry save "$ws" "$set" --incremental "$@"
  assert_exit 0
}
objs() { ls "$WORK/set" | grep -c "^$1-"; }

save
[ "$(kind)" = full ] || fail "first save: $(cat "$WORK/err")"
head -c 60000 /dev/urandom >"$ws/d/a.bin"
save
[ "$(kind)" = delta ] || fail "second save: $(cat "$WORK/err")"
head -c 60000 /dev/urandom >"$ws/d/b.bin"
save
[ "$(kind)" = delta ] || fail "third save (deltas at 30%): $(cat "$WORK/err")"
keep_state 3 "$ws"
# deltas now 60% of the base: the next save is a full one
echo small >"$ws/d/c.txt"
save
[ "$(kind)" = full ] || fail "fourth save did not compact: $(cat "$WORK/err")"
keep_state 4 "$ws"
# states 3 and 4 kept; layers 1-3 still named by state 3
[ "$(objs state)" -eq 2 ] && [ "$(objs layer)" -eq 4 ] || fail "after compaction: $(ls "$WORK/set")"
run_ferry restore --state 3 "$set" "$WORK/b3"
assert_exit 0
same_snap "$WORK/state-3" "$WORK/b3" || fail "state 3 differs"
# one more: state 3 drops out, and with it layers 1-3 and their indexes
echo more >"$ws/d/c.txt"
save
[ "$(kind)" = delta ] || fail "fifth save: $(cat "$WORK/err")"
keep_state 5 "$ws"
[ "$(objs state)" -eq 2 ] && [ "$(objs layer)" -eq 2 ] && [ "$(objs index)" -eq 2 ] || fail "retention: $(ls "$WORK/set")"
ls "$WORK/set" | grep -q '^layer-0000000[123]-' && fail "old layers kept: $(ls "$WORK/set")"
run_ferry restore "$set" "$WORK/b5"
assert_exit 0
same_snap "$WORK/state-5" "$WORK/b5" || fail "state 5 differs"
run_ferry restore --state 4 "$set" "$WORK/b4"
assert_exit 0
same_snap "$WORK/state-4" "$WORK/b4" || fail "state 4 differs"
# --full
echo x >"$ws/x"
save --full --keep 1
[ "$(kind)" = full ] || fail "--full: $(cat "$WORK/err")"
[ "$(objs state)" -eq 1 ] && [ "$(objs layer)" -eq 1 ] || fail "--keep 1: $(ls "$WORK/set")"
run_ferry restore "$set" "$WORK/b6"
assert_exit 0
same_snap "$ws" "$WORK/b6" || fail "state 6 differs"
# usage
run_ferry save "$ws" "$set"
assert_exit 2
run_ferry save "$ws" "file://$WORK/x.tar.zst" --incremental
assert_exit 2
exit 0
