#!/usr/bin/env bash
# ferry up fetches its bundles at the same time, in one BitTorrent
# session: with the session's download limit shared, both bundles move
# together (progress events of each, partly done, interleave), and the
# session listens once (one "listening on" line with -v, where a session
# per bundle would listen twice).
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
[network]
listen = 127.0.0.1:0
dht = no
lsd = no
upnp = no
max-down = 4M
INI
export FERRY_PROGRESS_INTERVAL=0.05
run_ferry --json -v up -f "$WORK/ferry.ini" --peer "127.0.0.1:$portA" --peer "127.0.0.1:$portB" --stall-timeout 60
assert_exit 0
same_tree "$WORK/srcA" "$WORK/tools" || fail "tools differs"
same_tree "$WORK/srcB" "$WORK/data" || fail "data differs"
n=$(grep -c 'listening on' "$WORK/err")
[ "$n" -eq 1 ] || fail "expected one session listening once, got $n: $(grep listening "$WORK/err")"
python3 - "$WORK/out" <<'PY' || fail "the bundles did not move at the same time"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
part = [(i, e["bundle"]) for i, e in enumerate(ev)
        if e.get("event") == "progress" and e.get("phase") == "fetch"
        and 0 < e["done"] < e["total"]]
idx = {b: [i for i, x in part if x == b] for b in ("tools", "data")}
assert idx["tools"] and idx["data"], idx
# each bundle was partly done while the other was too
assert idx["data"][0] < idx["tools"][-1] and idx["tools"][0] < idx["data"][-1], idx
PY
