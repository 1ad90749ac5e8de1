#!/usr/bin/env bash
# Web seed only (BEP 19), no peers: an HTTP server on 127.0.0.1 with byte
# ranges serves the bundle.  `ferry fetch` completes and every file matches,
# both with a torrent made by `make-torrent --webseed URL` and with a plain
# torrent plus `fetch --webseed URL`; the server logged ranged GETs.
# For a multi-file torrent the URL is a directory ending with '/': the
# client appends the torrent's name and each file's path.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 6 4
mkdir -p "$WORK/www"
cp -al "$WORK/src/bundle" "$WORK/www/bundle"
start_http http "$WORK/www"

# 1. the web seed is in the torrent
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/ws.torrent" --webseed "$HTTP_URL"
assert_exit 0
run_ferry --json fetch "$WORK/ws.torrent" -o "$WORK/dst1" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 50
assert_exit 0
same_tree "$WORK/src" "$WORK/dst1" || fail "files fetched from the torrent's web seed differ"
size=$(payload_bytes "$WORK/src/bundle")
got=$(json_last "done" session_down "$WORK/out")
[ "${got:-0}" -ge "$size" ] || fail "done.session_down=${got:-none} < $size"
n1=$(grep -c '^GET /bundle/.* 20[06] ' "$WORK/http.log")
[ "$n1" -ge 1 ] || fail "the web seed served no file data: $(tail -3 "$WORK/http.log")"

# 2. a plain torrent, web seed given on the command line
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/plain.torrent"
assert_exit 0
run_ferry --json fetch "$WORK/plain.torrent" -o "$WORK/dst2" --webseed "$HTTP_URL" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 50
assert_exit 0
same_tree "$WORK/src" "$WORK/dst2" || fail "files fetched with --webseed differ"
n2=$(grep -c '^GET /bundle/.* 20[06] ' "$WORK/http.log")
[ "$n2" -gt "$n1" ] || fail "--webseed: the web seed served nothing"
grep -q '^GET /bundle/sub/file1.bin bytes=' "$WORK/http.log" \
  || fail "no ranged request for bundle/sub/file1.bin (URL = base + name + path)"
