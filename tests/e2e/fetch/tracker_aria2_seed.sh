#!/usr/bin/env bash
# aria2c seeds a bundle and announces to opentracker on 127.0.0.1; `ferry
# fetch FILE.torrent` (made by `ferry make-torrent --tracker`) learns the
# seeder from the tracker alone, completes, and every file's sha256 matches.
# The same with the magnet make-torrent printed (tr= only; aria2c also
# serves the metadata).
. "$(dirname "$0")/../lib.sh"
need aria2c opentracker

make_payload "$WORK/src/bundle" 8 4
# The info-hash does not depend on the announce URL: hash once to whitelist
# it, then make the real torrent with the tracker's URL.
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/plain.torrent"
assert_exit 0
ih=$(torrent_infohash "$WORK/plain.torrent")
[ ${#ih} -eq 40 ] || fail "no info-hash for the torrent"
start_tracker "$ih"
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --tracker "$TRACKER_URL"
assert_exit 0
magnet=$(cat "$WORK/out")
[ "$(torrent_infohash "$WORK/b.torrent")" = "$ih" ] || fail "info-hash changed with --tracker"
python3 -c 'import sys, urllib.parse as u; q = u.parse_qs(u.urlsplit(sys.argv[1]).query); sys.exit(sys.argv[2] not in q.get("tr", []))' \
  "$magnet" "$TRACKER_URL" || fail "the magnet has no tr= for the tracker: $magnet"

mkdir -p "$WORK/seed"
cp -al "$WORK/src/bundle" "$WORK/seed/bundle"
start_aria2_seed aria2 "$WORK/b.torrent" "$WORK/seed"
wait_for 30 tracker_has 1 1 "$TRACKER_URL" "$ih" || fail "aria2c never announced as a seeder"

run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 30 --timeout 50
assert_exit 0
same_tree "$WORK/src" "$WORK/dst" || fail "fetched files differ"
[ "$(json_count "done" "$WORK/out")" -eq 1 ] || fail "no done event"
size=$(payload_bytes "$WORK/src/bundle")
got=$(json_last "done" session_down "$WORK/out")
[ "${got:-0}" -ge "$size" ] || fail "done.session_down=$got < $size: the data did not come over the wire"

run_ferry fetch "$magnet" -o "$WORK/dst2" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 30 --timeout 50
assert_exit 0
same_tree "$WORK/src" "$WORK/dst2" || fail "files fetched by magnet differ"
