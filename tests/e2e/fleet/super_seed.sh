#!/usr/bin/env bash
# A small fleet on 127.0.0.1: one `ferry seed --super-seed` origin,
# opentracker, three `ferry fetch` VMs started together that find the
# origin and each other through the tracker.  Every VM completes and every
# file's sha256 matches.  The origin really is in BEP 16 mode: its
# `seeding` event says super_seed true, and a raw peer (bt_peek.py) that
# connects to it gets no bitfield but HAVE for one piece (a plain `ferry
# seed`, checked first, sends the full bitfield at once).
. "$(dirname "$0")/../lib.sh"
need opentracker

make_payload "$WORK/src/bundle" 8 4
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/plain.torrent" --piece-size 64
assert_exit 0
ih=$(torrent_infohash "$WORK/plain.torrent")
npieces=$(( ($(payload_bytes "$WORK/src/bundle") + 65535) / 65536 ))
start_tracker "$ih"
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --piece-size 64 \
  --tracker "$TRACKER_URL"
assert_exit 0

peek() { python3 "$SERVERS_DIR/bt_peek.py" 127.0.0.1 "$1" "$ih" "$npieces" "$2"; }

# 1. a plain seed announces every piece at once
start_seed "$WORK/plain.torrent" "$WORK/src" plain
grep -q '"event":"seeding".*"super_seed":false' "$WORK/plain.log" \
  || fail "plain seed: no super_seed:false in its seeding event: $(grep seeding "$WORK/plain.log")"
got=$(peek "$SEED_PORT" 5) || fail "bt_peek could not talk to the plain seed"
[ "$got" = "bitfield=$npieces haves=0 unchoked=1" ] \
  || [ "${got% unchoked=*}" = "bitfield=$npieces haves=0" ] \
  || fail "plain seed announced '$got', expected a full bitfield of $npieces"
stop_bg "$SEED_PID"

# 2. the origin of the fleet: super seeding
start_seed "$WORK/b.torrent" "$WORK/src" origin --super-seed --tracker "$TRACKER_URL"
grep -q '"event":"seeding".*"super_seed":true' "$WORK/origin.log" \
  || fail "no super_seed:true in the origin's seeding event: $(grep seeding "$WORK/origin.log")"
got=$(peek "$SEED_PORT" 30) || fail "bt_peek could not talk to the origin"
case $got in
  "bitfield=-1 haves=1 "* | "bitfield=0 haves=1 "*) ;;
  *) fail "the origin announced '$got': not super seeding (a full bitfield is $npieces)" ;;
esac
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
up=$(json_last "done" session_up "$WORK/origin.log")
[ -n "$up" ] || fail "the origin printed no done event"
size=$(payload_bytes "$WORK/src/bundle")
echo "origin sent $up bytes for 3 VMs of $size bytes" >&2
