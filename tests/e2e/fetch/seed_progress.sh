#!/usr/bin/env bash
# ferry seed's progress shows what seeding does: bytes sent, upload rate,
# peers and ratio (sent / payload size), never "0.0% 0 B / ?"; its --json
# progress events carry the same ("done" = bytes sent, "rate", "peers",
# "share_ratio") with null, never -1, for what is unknown; the done event at the
# end has the ratio too.  The fetcher is a real one (ferry fetch) on
# 127.0.0.1.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 2 3
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
size=$(payload_bytes "$WORK/src/bundle")
F=(--listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 60)
export FERRY_PROGRESS_INTERVAL=0   # every status poll is drawn

# --json
start_seed "$WORK/b.torrent" "$WORK/src"
run_ferry fetch "$WORK/b.torrent" -o "$WORK/dst" --peer "127.0.0.1:$SEED_PORT" "${F[@]}"
assert_exit 0
sent_all() {
  python3 - "$WORK/seed.log" "$size" <<'PY'
import json, sys
size = int(sys.argv[2])
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
sys.exit(0 if any(e["event"] == "progress" and e.get("phase") == "seed" and e["done"] >= size for e in ev) else 1)
PY
}
wait_for 30 sent_all || fail "no seed progress event counts the bytes sent: $(grep '"seed"' "$WORK/seed.log" | tail -2)"
stop_bg "$SEED_PID"
python3 - "$WORK/seed.log" "$size" <<'PY' || fail "seed's JSON events are wrong"
import json, sys
size = int(sys.argv[2])
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
seed = [e for e in ev if e["event"] == "progress" and e.get("phase") == "seed"]
assert seed, ev
for e in seed:
    for k in ("done", "rate", "peers", "share_ratio"):
        assert isinstance(e.get(k), (int, float)) and e[k] >= 0, (k, e)
    for k, v in e.items():
        assert v != -1, (k, e)
    assert abs(e["share_ratio"] - e["done"] / size) < 1e-6, e
    assert e["session_up"] == e["done"], e
last = seed[-1]
assert last["done"] >= size and last["share_ratio"] >= 1.0, last
done = [e for e in ev if e["event"] == "done"]
assert len(done) == 1 and done[0]["session_up"] >= size and done[0]["share_ratio"] >= 1.0, done
PY

# the plain line (stderr is not a terminal)
start_bg seed2 "$FERRY" seed "$WORK/b.torrent" -d "$WORK/src" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}"
pid2=$BG_PID
wait_for 60 grep -q 'seeding bundle' "$WORK/seed2.log" || fail "seed did not start"
port2=$(sed -n 's/.* on port \([0-9]*\);.*/\1/p' "$WORK/seed2.log" | head -1)
run_ferry fetch "$WORK/b.torrent" -o "$WORK/dst2" --peer "127.0.0.1:$port2" "${F[@]}"
assert_exit 0
wait_for 30 grep -qE '^seed  2\.[0-9]{2} MiB sent  [0-9.]+ (B|KiB|MiB)/s  peers [0-9]+  ratio 1\.[0-9]{2}$' "$WORK/seed2.log" \
  || fail "no seed line with sent, rate, peers and ratio: $(tail -3 "$WORK/seed2.log")"
grep '^seed ' "$WORK/seed2.log" | grep -q '%' && fail "seed's line still shows a percentage"
stop_bg "$pid2"
grep -qE '^stopped seeding: 2\.[0-9]{2} MiB sent, ratio 1\.[0-9]{2}$' "$WORK/seed2.log" || fail "no final line with the ratio: $(tail -2 "$WORK/seed2.log")"
exit 0
