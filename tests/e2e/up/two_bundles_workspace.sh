#!/usr/bin/env bash
# ferry up: two bundles fetched in one session from two local seeders
# (one by magnet, one by .torrent file) while the workspace saved with
# `ferry save` is restored from s3rver; a summary table with a line per
# part.  A rerun verifies the complete bundles from their resume data
# (nothing received) and keeps the non-empty workspace.  --no-bundles and
# --no-workspace each do one half.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3

make_payload "$WORK/srcA/tools" 4 3
make_payload "$WORK/srcB/data" 3 2
run_ferry make-torrent "$WORK/srcA/tools" -o "$WORK/a.torrent"
assert_exit 0
magnet=$(cat "$WORK/out")
run_ferry make-torrent "$WORK/srcB/data" -o "$WORK/b.torrent"
assert_exit 0
start_seed "$WORK/a.torrent" "$WORK/srcA" seedA
portA=$SEED_PORT
start_seed "$WORK/b.torrent" "$WORK/srcB" seedB
portB=$SEED_PORT

make_workspace "$WORK/ws" 1
run_ferry save "$WORK/ws" "s3://$S3_BUCKET/vm1/work.tar.zst"
assert_exit 0

mkdir -p "$WORK/vm"
cat >"$WORK/vm/ferry.ini" <<INI
; VM 1
[workspace]
path   = \${WORKDIR}/vm/work        ; expanded from the environment
remote = s3://$S3_BUCKET/vm1/work.tar.zst

[bundle "tools"]
source = $magnet
dest   = tools-dir                  ; relative: beside ferry.ini

[bundle "data"]
source    = $WORK/b.torrent
dest      = $WORK/vm/data
seed-time = 0s

[network]
listen = 127.0.0.1:0
dht = no
INI
export WORKDIR=$WORK
up_flags=(--no-lsd --no-upnp --peer "127.0.0.1:$portA" --peer "127.0.0.1:$portB" --stall-timeout 1m)

run_ferry --json up -f "$WORK/vm/ferry.ini" "${up_flags[@]}"
assert_exit 0
same_tree "$WORK/srcA" "$WORK/vm/tools-dir" || fail "bundle tools differs"
same_tree "$WORK/srcB" "$WORK/vm/data" || fail "bundle data differs"
same_workspace "$WORK/ws" "$WORK/vm/work" || fail "workspace differs"
# one progress stream per bundle, named
grep -q '"bundle":"tools"' "$WORK/out" || fail "no events of bundle tools"
grep -q '"bundle":"data"' "$WORK/out" || fail "no events of bundle data"
grep -q '"event":"part","v":1,"command":"up","bundle":"tools".*"result":"fetched"' "$WORK/out" || fail "tools not fetched: $(grep part "$WORK/out")"
grep -q '"event":"part","v":1,"command":"up","bundle":"data".*"result":"fetched"' "$WORK/out" || fail "data not fetched"
grep -q '"event":"part","v":1,"command":"up","bundle":"workspace".*"result":"restored"' "$WORK/out" || fail "workspace not restored"
# the source is shown by info-hash only; no secret anywhere
grep -q '"source":"magnet:?xt=urn:btih:[0-9a-f]\{40\}"' "$WORK/out" || fail "magnet not shown by its info-hash"
grep -q 'S3RVER' "$WORK/out" "$WORK/err" && fail "a secret was printed"

# the table without --json; the bundles are taken from their resume data
# (complete last time: their files are checked again, nothing downloaded)
run_ferry -v up -f "$WORK/vm/ferry.ini" "${up_flags[@]}"
assert_exit 0
grep -q "^tools: resuming from $WORK/vm/tools-dir/.ferry/[0-9a-f]*.resume (complete before: checking the files)$" "$WORK/err" || fail "tools not resumed: $(cat "$WORK/err")"
grep -q "^data: resuming from $WORK/vm/data/.ferry/[0-9a-f]*.resume (complete before: checking the files)$" "$WORK/err" || fail "data not resumed"
grep -qE '^what +size +time +result +source' "$WORK/err" || fail "no summary table: $(cat "$WORK/err")"
grep -qE '^tools +[0-9.]+ MiB .*verified \(had it\) +magnet:\?xt=urn:btih:' "$WORK/err" || fail "tools not verified from resume data: $(cat "$WORK/err")"
grep -qE '^data +[0-9.]+ MiB .*verified \(had it\)' "$WORK/err" || fail "data not verified from resume data"
grep -qE '^workspace .*kept \(not empty\) +s3://bkt/vm1/work.tar.zst' "$WORK/err" || fail "workspace not kept"

# rerun with --json: nothing received this time
run_ferry --json up -f "$WORK/vm/ferry.ini" "${up_flags[@]}"
assert_exit 0
n=$(grep -c '"event":"done".*"session_down":0' "$WORK/out")
[ "$n" -eq 2 ] || fail "expected 2 bundles with nothing received, got $n: $(grep '"done"' "$WORK/out")"

# --no-bundles: a fresh VM gets only the workspace
sed -e "s|vm/work|vm2/work|" -e "s|tools-dir|tools2|" -e "s|vm/data|vm2/data|" "$WORK/vm/ferry.ini" >"$WORK/vm/two.ini"
run_ferry up -f "$WORK/vm/two.ini" "${up_flags[@]}" --no-bundles
assert_exit 0
[ ! -e "$WORK/vm/tools2" ] && [ ! -e "$WORK/vm2/data" ] || fail "--no-bundles fetched"
same_workspace "$WORK/ws" "$WORK/vm2/work" || fail "--no-bundles: workspace differs"
# --no-workspace: only the bundles
rm -rf "$WORK/vm2"
run_ferry up -f "$WORK/vm/two.ini" "${up_flags[@]}" --no-workspace
assert_exit 0
[ ! -e "$WORK/vm2/work" ] || fail "--no-workspace restored"
same_tree "$WORK/srcA" "$WORK/vm/tools2" || fail "--no-workspace: tools differs"
same_tree "$WORK/srcB" "$WORK/vm2/data" || fail "--no-workspace: data differs"
