#!/usr/bin/env bash
# A magnet link with only an x.pe peer hint (no tracker) fetches a bundle
# from `ferry seed`; every file matches; resume state lands in DIR/.ferry.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 8 3
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
magnet=$(cat "$WORK/out")
[[ "$magnet" == magnet:\?xt=urn:btih:* ]] || fail "make-torrent printed no magnet: $magnet"

start_seed "$WORK/b.torrent" "$WORK/src"
run_ferry fetch "$magnet&x.pe=127.0.0.1:$SEED_PORT" -o "$WORK/dst" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 60
assert_exit 0
same_tree "$WORK/src" "$WORK/dst" || fail "fetched files differ"
ls "$WORK/dst/.ferry/"*.resume >/dev/null 2>&1 || fail "no resume state in DIR/.ferry"
grep -q 'fetched bundle' "$WORK/err" || fail "no summary line"
