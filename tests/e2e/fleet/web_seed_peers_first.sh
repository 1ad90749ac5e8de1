#!/usr/bin/env bash
# Peers first: `ferry fetch` asks a web seed (BEP 19) only for the pieces
# no peer can give (src/torrent_webseed.cpp).
#
# 1. A VM whose torrent has a slow web seed (512 KiB/s per connection)
#    and which is also given a `ferry seed` peer holding every piece
#    (capped at 4 MiB/s, so the fetch lasts a few seconds) gets the bundle
#    from the peer: the web seed is asked for at most 4 MiB of the 16 MiB
#    (requests of 1 MiB sent before the peer's pieces were known; 1-2
#    seen) and sends at most that; the done event counts the requests
#    held back (webseed_held >= 1: the VM keeps trying the web seed, about
#    once a second, and holds each try).  Before this change a web seed
#    request spanned up to 16 MiB of pieces (main's ferry asked for all
#    16 MiB here and got 12 MB of it, the fetch waiting for the slow web
#    seed); with the 1 MiB requests but without the plugin
#    (FERRY_WEBSEED=plain) requests for pieces the peer has still go out
#    (2.3 MiB asked), and none is held.
# 2. A VM with the same web seed unthrottled and no peer at all completes
#    from the web seed alone, and nothing is held back.
# Every file's sha256 matches in both.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 16 4
mkdir -p "$WORK/web"
cp -al "$WORK/src/bundle" "$WORK/web/bundle"
start_http slow "$WORK/web" 524288
slow_url=$HTTP_URL
start_http fast "$WORK/web"
fast_url=$HTTP_URL

run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --piece-size 256 \
  --web-seed "$slow_url"
assert_exit 0
start_seed "$WORK/b.torrent" "$WORK/src" seed --max-up 4M

# asked BYTES / sent BYTES: what the web seed's log says it was asked for
# (Range sizes of the ASK lines) and sent (finished and cut off responses).
web_bytes() {
  python3 - "$1" "$2" <<'PY'
import re, sys
asked = sent = 0
for line in open(sys.argv[2]):
    f = line.split()
    if f and f[0] == "ASK":
        m = re.match(r"bytes=(\d+)-(\d+)$", f[3])
        asked += int(m.group(2)) - int(m.group(1)) + 1 if m else 0
    elif f and f[0] == "GONE":
        sent += int(f[4])
    elif f and f[0] in ("GET", "HEAD"):
        sent += int(f[4])
print(asked if sys.argv[1] == "asked" else sent)
PY
}

"$FERRY" --json fetch "$WORK/b.torrent" -o "$WORK/vm1" --listen 127.0.0.1:0 \
  "${LOOPBACK_FLAGS[@]}" --peer "127.0.0.1:$SEED_PORT" --stall-timeout 60 \
  --timeout 120 >"$WORK/vm1.log" 2>"$WORK/vm1.err" </dev/null
rc=$?
[ "$rc" -eq 0 ] || fail "vm1: ferry fetch exited $rc: $(tail -3 "$WORK/vm1.err")"
same_tree "$WORK/src" "$WORK/vm1" || fail "vm1: fetched files differ"
grep -q '^ASK GET /bundle/' "$WORK/slow.log" \
  || fail "vm1 never asked the web seed (the test proves nothing): $(tail -3 "$WORK/slow.log")"
asked=$(web_bytes asked "$WORK/slow.log")
sent=$(web_bytes sent "$WORK/slow.log")
held=$(json_last "done" webseed_held "$WORK/vm1.log")
echo "vm1: web seed asked for $asked bytes, sent $sent; requests held: $held" >&2
[ "$asked" -le $((4 * 1024 * 1024)) ] \
  || fail "vm1 asked the web seed for $asked bytes of a 16 MiB bundle its peer had whole (at most 4 MiB expected)"
[ "$sent" -le "$asked" ] || fail "the web seed sent $sent bytes, more than the $asked asked"
[ -n "$held" ] && [ "$held" -ge 1 ] \
  || fail "vm1's done event has no webseed_held >= 1: $(grep '"event":"done"' "$WORK/vm1.log")"
stop_bg "$SEED_PID"

"$FERRY" --json fetch "$WORK/b.torrent" -o "$WORK/vm2" --listen 127.0.0.1:0 \
  "${LOOPBACK_FLAGS[@]}" --webseed "$fast_url" --stall-timeout 60 --timeout 120 \
  >"$WORK/vm2.log" 2>"$WORK/vm2.err" </dev/null
rc=$?
[ "$rc" -eq 0 ] || fail "vm2 (web seed only): ferry fetch exited $rc: $(tail -3 "$WORK/vm2.err")"
same_tree "$WORK/src" "$WORK/vm2" || fail "vm2: fetched files differ"
grep -q '^GET /bundle/.* bytes=.* 206 ' "$WORK/fast.log" \
  || fail "vm2 got no ranged file data from the web seed: $(tail -3 "$WORK/fast.log")"
held=$(json_last "done" webseed_held "$WORK/vm2.log")
[ "$held" = 0 ] || fail "vm2 (no peer) held $held web seed requests back"
