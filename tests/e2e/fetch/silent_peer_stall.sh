#!/usr/bin/env bash
# --stall-timeout 3 with a peer that accepts the connection and never says
# a word (servers/silent_peer.py), and with a peer address where nothing
# listens: exit 5 in bounded time (< 30 s), one "ferry:" line that says what
# was tried (peers connected, at most, known).  The silent peer saw ferry
# connect.  Both for a .torrent (no data) and a magnet (no metadata).
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 1 2
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
magnet=$(cat "$WORK/out")

port=$(free_port)
start_bg silent python3 -u "$SERVERS_DIR/silent_peer.py" "$port"
wait_for 10 port_open "$port" || fail "silent_peer.py did not start"
closed=$(free_port)
wait_for 5 grep -q accepted "$WORK/silent.log"  # port_open's own probe
a0=$(grep -c accepted "$WORK/silent.log")

stall() {  # SOURCE PEER_PORT
  local t0 t1 ms
  t0=$(date +%s%N)
  N=$((${N:-0} + 1))  # a fresh DIR: its resume state would hold the metadata
  run_ferry fetch "$1" -o "$WORK/dst$N" --peer "127.0.0.1:$2" \
    --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 3
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
  assert_exit 5
  [ "$ms" -lt 30000 ] || fail "$1 --peer :$2: gave up after $ms ms"
  [ "$ms" -ge 2900 ] || fail "$1 --peer :$2: gave up after $ms ms, before the 3 s stall timeout"
}

stall "$WORK/b.torrent" "$port"
assert_one_error_line "^ferry: $WORK/b.torrent: no data for [0-9]+ s: [0-9]+ peers connected now, [0-9]+ at most, [1-9][0-9]* known"
[ "$(grep -c accepted "$WORK/silent.log")" -gt "$a0" ] || fail "ferry never connected to the silent peer"
a=$(grep -c accepted "$WORK/silent.log")

stall "$magnet" "$port"
assert_one_error_line '^ferry: magnet: no metadata for [0-9]+ s: [0-9]+ peers connected now, [0-9]+ at most, [1-9][0-9]* known'
[ "$(grep -c accepted "$WORK/silent.log")" -gt "$a" ] || fail "the magnet fetch never connected to the silent peer"

stall "$WORK/b.torrent" "$closed"
assert_one_error_line "^ferry: $WORK/b.torrent: no data for [0-9]+ s: 0 peers connected now, 0 at most, [0-9]+ known"
exit 0
