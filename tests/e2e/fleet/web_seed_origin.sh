#!/usr/bin/env bash
# A fleet with no BitTorrent origin: the torrent (make-torrent --web-seed,
# the new spelling) names two BEP 19 web seeds on 127.0.0.1, one serving
# the bundle and one serving a copy with a byte changed in every 16 KiB
# (a hostile or stale bucket); no peer seeds.  Two `ferry fetch` VMs find
# each other through opentracker, both complete, and every file's sha256
# matches: the hostile seed's data is checked and thrown away like a bad
# peer's.  The good server served file data with byte ranges; the hostile
# one was asked too (so its data was really offered).
. "$(dirname "$0")/../lib.sh"
need opentracker

make_payload "$WORK/src/bundle" 8 4
mkdir -p "$WORK/good" "$WORK/bad"
cp -al "$WORK/src/bundle" "$WORK/good/bundle"
cp -r "$WORK/src/bundle" "$WORK/bad/bundle"
python3 - "$WORK/bad/bundle" <<'PY'
import os, sys
for d, _, files in os.walk(sys.argv[1]):
    for fn in files:
        p = os.path.join(d, fn)
        with open(p, "r+b") as f:
            size = os.fstat(f.fileno()).st_size
            for off in range(100, size, 16384):
                f.seek(off)
                b = f.read(1)
                f.seek(off)
                f.write(bytes([b[0] ^ 0xFF]))
PY
start_http good "$WORK/good"
good_url=$HTTP_URL
start_http bad "$WORK/bad"
bad_url=$HTTP_URL

run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/plain.torrent" --piece-size 64
assert_exit 0
ih=$(torrent_infohash "$WORK/plain.torrent")
start_tracker "$ih"
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --piece-size 64 \
  --tracker "$TRACKER_URL" --web-seed "$bad_url" --web-seed "$good_url"
assert_exit 0
[ "$(torrent_infohash "$WORK/b.torrent")" = "$ih" ] || fail "info-hash changed with --web-seed"
python3 - "$WORK/b.torrent" "$good_url" "$bad_url" "$FERRY_TESTS_DIR/../scripts/lib" <<'PY' || fail "url-list is not the two web seeds"
import sys
sys.path.insert(0, sys.argv[4])
from bencode import bdecode
t, _ = bdecode(open(sys.argv[1], "rb").read())
ul = t.get(b"url-list")
ul = [ul] if isinstance(ul, bytes) else ul
sys.exit(sorted(u.decode() for u in ul) != sorted(sys.argv[2:4]))
PY

pids=()
for i in 1 2; do
  "$FERRY" --json fetch "$WORK/b.torrent" -o "$WORK/vm$i" --listen 127.0.0.1:0 \
    "${LOOPBACK_FLAGS[@]}" --seed-time 3 --stall-timeout 60 --timeout 120 \
    >"$WORK/vm$i.log" 2>"$WORK/vm$i.err" </dev/null &
  pids+=($!)
  _bg_pids+=($!)
done
for i in 1 2; do
  wait "${pids[$((i - 1))]}"
  rc=$?
  [ "$rc" -eq 0 ] || fail "vm$i: ferry fetch exited $rc: $(tail -3 "$WORK/vm$i.err")"
  same_tree "$WORK/src" "$WORK/vm$i" || fail "vm$i: fetched files differ"
done
grep -q '^GET /bundle/.* bytes=.* 206 ' "$WORK/good.log" \
  || fail "the good web seed served no ranged file data: $(tail -3 "$WORK/good.log")"
grep -q '^GET /bundle/' "$WORK/bad.log" \
  || fail "the hostile web seed was never asked: $(tail -3 "$WORK/bad.log")"
