#!/usr/bin/env bash
# `ferry seed --send-once`, the origin of a fleet: a raw peer (bt_ask.py)
# asks for the same block over two connections; a plain `ferry seed` sends
# it on both, the --send-once origin turns the second away with a BEP 6
# REJECT while the first is getting that piece.  Then three `ferry fetch`
# VMs started together fetch from the --send-once origin through
# opentracker: every VM completes, every file's sha256 matches, and the
# origin's events say send_once (seeding) and held_back (done).
. "$(dirname "$0")/../lib.sh"
need opentracker

make_payload "$WORK/src/bundle" 8 4
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/plain.torrent" --piece-size 64
assert_exit 0
ih=$(torrent_infohash "$WORK/plain.torrent")
start_tracker "$ih"
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --piece-size 64 \
  --tracker "$TRACKER_URL"
assert_exit 0
ask() { python3 "$SERVERS_DIR/bt_ask.py" 127.0.0.1 "$1" "$ih" 15; }

# 1. a plain seed serves the block twice
start_seed "$WORK/plain.torrent" "$WORK/src" plain
got=$(ask "$SEED_PORT") || fail "bt_ask could not talk to the plain seed"
[ "$got" = "A=piece B=piece" ] || fail "plain seed: '$got', expected A=piece B=piece"
stop_bg "$SEED_PID"

# 2. the --send-once origin sends it once
start_seed "$WORK/b.torrent" "$WORK/src" origin --send-once --tracker "$TRACKER_URL"
grep -q '"event":"seeding".*"send_once":true' "$WORK/origin.log" \
  || fail "no send_once:true in the origin's seeding event: $(grep seeding "$WORK/origin.log")"
got=$(ask "$SEED_PORT") || fail "bt_ask could not talk to the origin"
[ "$got" = "A=piece B=reject" ] || fail "--send-once origin: '$got', expected A=piece B=reject"
wait_for 30 tracker_has 1 1 "$TRACKER_URL" "$ih" || fail "the origin never announced as a seeder"

pids=()
for i in 1 2 3; do
  "$FERRY" --json fetch "$WORK/b.torrent" -o "$WORK/vm$i" --listen 127.0.0.1:0 \
    "${LOOPBACK_FLAGS[@]}" --seed-time 3 --stall-timeout 60 --timeout 120 \
    >"$WORK/vm$i.log" 2>"$WORK/vm$i.err" </dev/null &
  pids+=($!)
  _bg_pids+=($!)
done
for i in 1 2 3; do
  wait "${pids[$((i - 1))]}"
  rc=$?
  [ "$rc" -eq 0 ] || fail "vm$i: ferry fetch exited $rc: $(tail -3 "$WORK/vm$i.err")"
  same_tree "$WORK/src" "$WORK/vm$i" || fail "vm$i: fetched files differ"
done

stop_bg "$SEED_PID"
held=$(json_last "done" held_back "$WORK/origin.log")
[ -n "$held" ] && [ "$held" -ge 1 ] \
  || fail "the origin's done event has no held_back >= 1 (the probe was turned away once): $(tail -2 "$WORK/origin.log")"
