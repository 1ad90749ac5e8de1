#!/usr/bin/env bash
# save DIR file:///SET/ --incremental: a full layer, then deltas of what
# changed (an edit, a new file, a deletion, a chmod, a symlink retargeted,
# a file that became a directory, a deleted directory, a touched mtime, a
# hardlink); each restore equals its tree exactly (modes, mtimes in ns,
# contents, link targets); an unchanged tree uploads nothing; --state N
# restores an older state; ls SET/ shows the states; layers are plain tar
# archives GNU tar reads.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
. "$(dirname "$0")/incr.bash"
need tar zstd
set=file://$WORK/set/
ws=$WORK/ws
make_workspace "$ws" 2
mkdir -p "$ws/gone/deep" && echo x >"$ws/gone/deep/x.txt"
echo one >"$ws/becomes-dir"

run_ferry save "$ws" "$set" --incremental --keep 5
assert_exit 0
grep -q 'as state 1: a full layer' "$WORK/err" || fail "first save: $(cat "$WORK/err")"
keep_state 1 "$ws"
ls "$WORK/set" >"$WORK/objs1"
[ "$(grep -c '^layer-00000001-.*\.tar\.zst$' "$WORK/objs1")" -eq 1 ] || fail "no layer: $(cat "$WORK/objs1")"
[ "$(grep -c '^state-00000001\.json$' "$WORK/objs1")" -eq 1 ] || fail "no state"

# unchanged: nothing uploaded, no new object
run_ferry save "$ws" "$set" --incremental --keep 5
assert_exit 0
grep -q 'unchanged since state 1' "$WORK/err" || fail "unchanged save: $(cat "$WORK/err")"
ls "$WORK/set" | diff - "$WORK/objs1" || fail "an unchanged save wrote objects"

# the changes
echo edited >>"$ws/src/pkg/mod3.py"
echo edited >>"$ws/src/pkg/mod1.py" # hardlinked with hard1.py
echo new >"$ws/src/new.txt"
rm "$ws/src/pkg/mod4.py"
chmod 600 "$ws/src/pkg/mod5.py"
ln -sfn ../run.sh "$ws/src/link0"
rm "$ws/becomes-dir" && mkdir "$ws/becomes-dir" && echo in >"$ws/becomes-dir/f"
rm -rf "$ws/gone"
touch -d '2020-01-02 03:04:05.123456789' "$ws/src/pkg/mod6.py"
ln "$ws/src/new.txt" "$ws/src/new-hard.txt"
run_ferry save "$ws" "$set" --incremental --keep 5
assert_exit 0
grep -q 'as state 2: a delta layer' "$WORK/err" || fail "second save: $(cat "$WORK/err")"
keep_state 2 "$ws"

# the delta holds what changed, not the rest (file0.bin is 2 MiB)
layer2=$(ls "$WORK/set" | grep '^layer-00000002-')
tar -tf "$WORK/set/$layer2" >"$WORK/list2" || fail "GNU tar cannot read a delta"
grep -q '^src/new.txt$' "$WORK/list2" || fail "delta misses a new file: $(cat "$WORK/list2")"
grep -q '^\.ferry/deleted$' "$WORK/list2" || fail "delta has no deletion list"
grep -q 'file0.bin' "$WORK/list2" && fail "delta holds an unchanged file"
tar -xOf "$WORK/set/$layer2" .ferry/deleted | grep -q '^src/pkg/mod4.py$' || fail "deletion not recorded"

run_ferry restore "$set" "$WORK/back2"
assert_exit 0
grep -q 'restored state 2 ' "$WORK/err" || fail "restore: $(cat "$WORK/err")"
same_snap "$WORK/state-2" "$WORK/back2" || fail "state 2 restored differs"

# another delta on top, then every state restores exactly
echo three >"$ws/three.txt"
echo again >>"$ws/src/pkg/mod1.py" # its layer-2 copy is now a newer layer's
rm -rf "$ws/empty"
run_ferry save "$ws" "$set" --incremental --keep 5
assert_exit 0
keep_state 3 "$ws"
run_ferry restore "$set" "$WORK/back3"
assert_exit 0
same_snap "$WORK/state-3" "$WORK/back3" || fail "state 3 restored differs"
run_ferry restore --state 1 "$set" "$WORK/back1"
assert_exit 0
same_snap "$WORK/state-1" "$WORK/back1" || fail "state 1 restored differs"

# a non-empty DIR: refused (exit 4), untouched; --force replaces it
run_ferry restore --state 2 "$set" "$WORK/back3"
assert_exit 4
same_snap "$WORK/state-3" "$WORK/back3" || fail "a refused restore touched DIR"
run_ferry restore --force --state 2 "$set" "$WORK/back3"
assert_exit 0
same_snap "$WORK/state-2" "$WORK/back3" || fail "--force restore differs"

# retention: --keep 2 keeps states 3 and 4 and every layer they name
echo four >"$ws/four.txt"
run_ferry save "$ws" "$set" --incremental --keep 2
assert_exit 0
keep_state 4 "$ws"
ls "$WORK/set" | grep -c '^state-' | grep -qx 2 || fail "retention: $(ls "$WORK/set")"
run_ferry restore "$set" "$WORK/back4"
assert_exit 0
same_snap "$WORK/state-4" "$WORK/back4" || fail "state 4 restored differs"
run_ferry restore --state 3 "$set" "$WORK/back3b"
assert_exit 0
same_snap "$WORK/state-3" "$WORK/back3b" || fail "state 3 after retention differs"

# ls SET/: one line per state (3 and 4, with 3 and 4 layers)
run_ferry ls "$set"
assert_exit 0
grep -Eq '^ +4 .* 4 ' "$WORK/out" || fail "ls: $(cat "$WORK/out")"
[ "$(grep -Ec '^ +[0-9]+ ' "$WORK/out")" -eq 2 ] || fail "ls shows other states: $(cat "$WORK/out")"
run_ferry restore --state 1 "$set" "$WORK/gone1"
assert_exit 3
assert_one_error_line 'no state 1'
[ ! -e "$WORK/gone1" ] || fail "a failed restore made DIR"
exit 0
