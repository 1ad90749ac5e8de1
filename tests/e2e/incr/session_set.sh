#!/usr/bin/env bash
# up / down / autosave with a manifest whose remote ends in '/': a save
# set.  up finds no save and starts empty; down writes a full layer, then
# deltas (an unchanged down uploads nothing); up on another "VM" restores
# the newest state exactly, up --save 1 the one before; keep = 1 keeps two
# states; down --autosave saves a change (a delta) and stops on SIGTERM.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/incr.bash"
set=file://$WORK/store/sets/work/
cat >"$WORK/ferry.ini" <<INI
[workspace]
path   = \$VM/work
remote = $set
keep   = 1
INI

VM=$WORK/vm1 run_ferry up -f "$WORK/ferry.ini"
assert_exit 0
grep -qi 'no save' "$WORK/err" || fail "up did not say there is no save yet: $(cat "$WORK/err")"
w=$WORK/vm1/work
mkdir -p "$w/src" && echo first >"$w/src/notes.txt"
head -c 300000 /dev/urandom >"$w/model.bin"
VM=$WORK/vm1 run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
keep_state 1 "$w"
VM=$WORK/vm1 run_ferry --json down -f "$WORK/ferry.ini"
assert_exit 0
ls "$WORK/store/sets/work" | grep -c '^state-' | grep -qx 1 || fail "an unchanged down wrote a state: $(ls "$WORK/store/sets/work")"
echo second >"$w/src/notes.txt"
rm "$w/model.bin"
VM=$WORK/vm1 run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
keep_state 2 "$w"
layer2=$(ls "$WORK/store/sets/work" | grep '^layer-00000002-') || fail "no delta layer"
[ "$(stat -c %s "$WORK/store/sets/work/$layer2")" -lt 100000 ] || fail "the delta is not small"

VM=$WORK/vm2 run_ferry up -f "$WORK/ferry.ini"
assert_exit 0
same_snap "$WORK/state-2" "$WORK/vm2/work" || fail "vm2: not the newest state"
VM=$WORK/vm3 run_ferry up -f "$WORK/ferry.ini" --save 1
assert_exit 0
same_snap "$WORK/state-1" "$WORK/vm3/work" || fail "vm3: up --save 1 is not the state before"

# autosave: a change is saved at the next interval, then SIGTERM ends it
start_bg auto env VM="$WORK/vm1" "$FERRY" down -f "$WORK/ferry.ini" --autosave 1s
pid=$BG_PID
wait_for 60 grep -q 'autosave: saved' "$WORK/auto.log" || fail "no first autosave: $(tail -3 "$WORK/auto.log")"
echo third >"$w/src/notes.txt"
wait_for 60 bash -c "[ \$(grep -c 'autosave: saved' '$WORK/auto.log') -ge 2 ]" || fail "the change was not autosaved: $(tail -3 "$WORK/auto.log")"
ls "$WORK/store/sets/work" | grep -q '^state-00000003\.json$' || fail "no state 3: $(ls "$WORK/store/sets/work")"
keep_state 3 "$w"
stop_bg "$pid"
VM=$WORK/vm4 run_ferry up -f "$WORK/ferry.ini"
assert_exit 0
same_snap "$WORK/state-3" "$WORK/vm4/work" || fail "vm4: not the autosaved state"
ls "$WORK/store/sets/work" | grep -c '^state-' | grep -qx 2 || fail "keep = 1: $(ls "$WORK/store/sets/work")"
exit 0
