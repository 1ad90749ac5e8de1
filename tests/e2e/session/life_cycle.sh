#!/usr/bin/env bash
# The whole VM session from one manifest: up on "VM 1" (fresh directories)
# fetches the bundle and finds no save; the workspace is edited; down
# saves it (twice); everything local is gone; up on "VM 2" gives the same
# bundles and the last saved workspace; up --save 1 the save before it;
# up --autosave keeps running, saves a change at the next interval and
# once more on SIGTERM (exit 0), and up on "VM 4" restores that last
# change.  The manifest names the VM's directories through $VM.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/down.bash"
need python3

make_payload "$WORK/src/tools" 4 3
make_payload "$WORK/src2/data" 2 2
run_ferry make-torrent "$WORK/src/tools" -o "$WORK/tools.torrent"
assert_exit 0
run_ferry make-torrent "$WORK/src2/data" -o "$WORK/data.torrent"
assert_exit 0
start_seed "$WORK/tools.torrent" "$WORK/src" seed1
port1=$SEED_PORT
start_seed "$WORK/data.torrent" "$WORK/src2" seed2
port2=$SEED_PORT
remote="file://$WORK/store/work.tar.zst"
mkdir -p "$WORK/store"
cat >"$WORK/ferry.ini" <<INI
[workspace]
path   = \$VM/work
remote = $remote
keep   = 2

[bundle "tools"]
source = $WORK/tools.torrent
dest   = \$VM/tools

[bundle "data"]
source = $WORK/data.torrent
dest   = \$VM/data
INI
flags=(-f "$WORK/ferry.ini" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --peer "127.0.0.1:$port1" --peer "127.0.0.1:$port2")

# VM 1: the bundle, and no save yet
VM=$WORK/vm1 run_ferry up "${flags[@]}"
assert_exit 0
grep -qi 'no save' "$WORK/err" || fail "up did not say there is no save yet: $(cat "$WORK/err")"
same_tree "$WORK/src" "$WORK/vm1/tools" || fail "vm1: the tools bundle differs"
same_tree "$WORK/src2" "$WORK/vm1/data" || fail "vm1: the data bundle differs"
[ -d "$WORK/vm1/work" ] || fail "vm1: no workspace directory"

# work, save, work more, save again
mkdir -p "$WORK/vm1/work/src"
echo 'first' >"$WORK/vm1/work/src/notes.txt"
head -c 300000 /dev/urandom >"$WORK/vm1/work/model.bin"
VM=$WORK/vm1 run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
cp -a "$WORK/vm1/work" "$WORK/first"
echo 'second' >"$WORK/vm1/work/src/notes.txt"
echo 'new file' >"$WORK/vm1/work/src/new.txt"
VM=$WORK/vm1 run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
cp -a "$WORK/vm1/work" "$WORK/second"
rm -rf "$WORK/vm1"

# VM 2: the same bundle and the last save
VM=$WORK/vm2 run_ferry up "${flags[@]}"
assert_exit 0
same_tree "$WORK/src" "$WORK/vm2/tools" || fail "vm2: the tools bundle differs"
same_tree "$WORK/src2" "$WORK/vm2/data" || fail "vm2: the data bundle differs"
same_tree "$WORK/second" "$WORK/vm2/work" || fail "vm2: the workspace is not the last save"

# VM 3: the save before it
VM=$WORK/vm3 run_ferry up "${flags[@]}" --no-bundles --save 1
assert_exit 0
same_tree "$WORK/first" "$WORK/vm3/work" || fail "vm3: --save 1 is not the earlier save"

# VM 2 keeps running with autosave: a change is saved at the next
# interval, the last one on SIGTERM
first_name() { "$FERRY" -q pull "$remote.current" -o - 2>/dev/null | sed -n 2p; }
before=$(first_name)
[ -n "$before" ] || fail "no pointer at $remote.current"
changed() { [ "$(first_name)" != "$before" ]; }
VM=$WORK/vm2 start_bg auto "$FERRY" -v up "${flags[@]}" --no-bundles --autosave=1s
pid=$BG_PID
wait_for 60 grep -q 'autosave' "$WORK/auto.log" || fail "no autosave: $(cat "$WORK/auto.log")"
echo 'third' >"$WORK/vm2/work/src/notes.txt"
wait_for 60 changed || fail "the change was not saved: $(cat "$WORK/auto.log")"
before=$(first_name)
echo 'fourth' >"$WORK/vm2/work/src/notes.txt"
kill -TERM "$(child_of "$pid")"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc: $(tail -3 "$WORK/auto.log")"
changed || fail "no final save on SIGTERM: $(tail -5 "$WORK/auto.log")"
VM=$WORK/vm4 run_ferry up "${flags[@]}" --no-bundles
assert_exit 0
[ "$(cat "$WORK/vm4/work/src/notes.txt")" = fourth ] || fail "vm4: not the last change"

# --autosave needs a workspace to save
VM=$WORK/vm5 run_ferry up "${flags[@]}" --no-workspace --autosave
assert_exit 2
[ ! -e "$WORK/vm5" ] || fail "vm5 made although the command line was refused"
exit 0
