#!/usr/bin/env bash
# --stall-timeout 2 with no source of data at all: exit 5 within a bounded
# time, one "ferry:" line that says nothing was found.  For a .torrent
# without trackers, a magnet without tr=/x.pe=, and a .torrent whose only
# tracker is down (the line names the tracker and its error).
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 1 2
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
magnet=$(cat "$WORK/out")
dead_port=$(free_port)
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/t.torrent" --tracker "http://127.0.0.1:$dead_port/announce"
assert_exit 0

stall() {  # SOURCE: fetch with --stall-timeout 2; sets ELAPSED
  local t0 t1
  t0=$(date +%s%N)
  N=$((${N:-0} + 1))  # a fresh DIR: its resume state would hold the metadata
  run_ferry fetch "$1" -o "$WORK/dst$N" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 2
  t1=$(date +%s%N)
  ELAPSED=$(( (t1 - t0) / 1000000 ))
  assert_exit 5
  [ "$ELAPSED" -lt 20000 ] || fail "$1: gave up after $ELAPSED ms (stall timeout 2 s)"
  [ "$ELAPSED" -ge 1900 ] || fail "$1: gave up after $ELAPSED ms, before the 2 s stall timeout"
}

stall "$WORK/b.torrent"
assert_one_error_line "^ferry: $WORK/b.torrent: no data for [0-9]+ s: 0 peers connected now, 0 at most, 0 known; no tracker, peer or web seed gave a usable address$"

stall "$magnet"
assert_one_error_line '^ferry: magnet: no metadata for [0-9]+ s: 0 peers connected now, 0 at most, 0 known; no tracker, peer or web seed gave a usable address$'

stall "$WORK/t.torrent"
assert_one_error_line "^ferry: $WORK/t.torrent: no data for [0-9]+ s: .*tracker http://127.0.0.1:$dead_port/announce: .+"
exit 0
