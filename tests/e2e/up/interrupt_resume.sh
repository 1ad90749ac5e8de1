#!/usr/bin/env bash
# Ctrl-C during ferry up: exit 130 with one error line, resume state saved
# in each bundle's dest/.ferry; the rerun completes without fetching again
# what had arrived.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/srcA/tools" 8 3
make_payload "$WORK/srcB/data" 8 2
run_ferry make-torrent "$WORK/srcA/tools" -o "$WORK/a.torrent"
assert_exit 0
run_ferry make-torrent "$WORK/srcB/data" -o "$WORK/b.torrent"
assert_exit 0
start_seed "$WORK/a.torrent" "$WORK/srcA" seedA
portA=$SEED_PORT
start_seed "$WORK/b.torrent" "$WORK/srcB" seedB
portB=$SEED_PORT
cat >"$WORK/ferry.ini" <<INI
[bundle "tools"]
source = $WORK/a.torrent
dest   = $WORK/tools
[bundle "data"]
source = $WORK/b.torrent
dest   = $WORK/data
INI
flags=(-f "$WORK/ferry.ini" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --peer "127.0.0.1:$portA" --peer "127.0.0.1:$portB" --stall-timeout 60)

export FERRY_PROGRESS_INTERVAL=0.1
"$FERRY" --json up "${flags[@]}" --max-down 1M >"$WORK/out1" 2>"$WORK/err1" &
pid=$!
wait_for 60 grep -q '"bundle":"data".*"phase":"fetch","done":[1-9]' "$WORK/out1" || { kill -KILL "$pid"; fail "no progress"; }
wait_for 60 grep -q '"bundle":"tools".*"phase":"fetch","done":[1-9]' "$WORK/out1" || { kill -KILL "$pid"; fail "no progress"; }
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || { cat "$WORK/err1" >&2; fail "expected exit 130, got $rc"; }
[ "$(grep -c '^ferry: ' "$WORK/err1")" -eq 1 ] || fail "not one error line: $(cat "$WORK/err1")"
grep -qE '^ferry: bundle (tools|data): interrupted: state saved in ' "$WORK/err1" || fail "wrong error: $(cat "$WORK/err1")"
ls "$WORK/tools/.ferry/"*.resume "$WORK/data/.ferry/"*.resume >/dev/null || fail "no resume state"

run_ferry --json up "${flags[@]}"
assert_exit 0
same_tree "$WORK/srcA" "$WORK/tools" || fail "tools differs"
same_tree "$WORK/srcB" "$WORK/data" || fail "data differs"
python3 - "$WORK/out" <<'PY' || fail "the rerun fetched everything again: $(grep '"done"' "$WORK/out")"
import json, sys
# the bundles' done events (up's own has no bundle)
done = [e for e in map(json.loads, open(sys.argv[1]))
        if e["event"] == "done" and "bundle" in e]
assert len(done) == 2, done
for d in done:
    assert d["session_down"] < d["bytes"], d
PY
