#!/usr/bin/env bash
# Interop, ferry as the seeder: transmission-cli 3.00 downloads a bundle
# from `ferry seed` and every file's sha256 matches.
#
# transmission 3.00 drops tracker peers in 127.0.0.0/8 and keeps one
# connection per IP, so on loopback the seeder has to dial in: transmission
# starts first and announces to opentracker; then `ferry seed` announces,
# learns transmission's address from the tracker and connects to it.
# transmission runs with a no-IPv6 LD_PRELOAD shim (servers/noipv6.c) and a
# settings.json with DHT, LPD, PEX, port forwarding and uTP off, bound to
# 127.0.0.1; its -f script marks completion.
. "$(dirname "$0")/../lib.sh"
need transmission-cli opentracker cc

make_payload "$WORK/src/bundle" 8 3
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/plain.torrent"
assert_exit 0
ih=$(torrent_infohash "$WORK/plain.torrent")
start_tracker "$ih"
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --tracker "$TRACKER_URL"
assert_exit 0

cc -shared -fPIC -o "$WORK/noipv6.so" "$SERVERS_DIR/noipv6.c" -ldl 2>"$WORK/cc.err" \
  || fail "cannot build the no-IPv6 shim: $(cat "$WORK/cc.err")"

tr_port=$(free_port)
cfg="$WORK/tr-config"
mkdir -p "$cfg" "$WORK/dst"
printf '#!/bin/sh\n: > "%s"\n' "$WORK/tr-finished" >"$WORK/tr-done.sh"
chmod 755 "$WORK/tr-done.sh"
cat >"$cfg/settings.json" <<JSON
{
  "dht-enabled": false,
  "lpd-enabled": false,
  "pex-enabled": false,
  "utp-enabled": false,
  "port-forwarding-enabled": false,
  "bind-address-ipv4": "127.0.0.1",
  "bind-address-ipv6": "::1",
  "peer-port": $tr_port,
  "peer-port-random-on-start": false,
  "blocklist-enabled": false,
  "download-dir": "$WORK/dst",
  "incomplete-dir-enabled": false,
  "rename-partial-files": false,
  "speed-limit-down-enabled": false,
  "speed-limit-up-enabled": false,
  "alt-speed-enabled": false,
  "ratio-limit-enabled": false,
  "script-torrent-done-enabled": true,
  "script-torrent-done-filename": "$WORK/tr-done.sh",
  "message-level": 2
}
JSON
start_bg transmission env LD_PRELOAD="$WORK/noipv6.so" HOME="$WORK" \
  transmission-cli -g "$cfg" -w "$WORK/dst" -p "$tr_port" -M -B -f "$WORK/tr-done.sh" "$WORK/b.torrent"
TR_PID=$BG_PID
wait_for 20 port_open "$tr_port" || fail "transmission-cli did not listen on 127.0.0.1:$tr_port"
wait_for 30 tracker_has 2 1 "$TRACKER_URL" "$ih" || fail "transmission never announced to the tracker"

start_seed "$WORK/b.torrent" "$WORK/src"
wait_for 60 test -e "$WORK/tr-finished" || fail "transmission did not finish within 60 s"
stop_bg "$TR_PID" INT
same_tree "$WORK/src" "$WORK/dst" || fail "files transmission fetched from ferry differ"

# transmission rewrites settings.json on exit: it must have kept ours.
for kv in '"dht-enabled": false' '"lpd-enabled": false' '"port-forwarding-enabled": false' \
          '"bind-address-ipv4": "127.0.0.1"'; do
  grep -qF "$kv" "$cfg/settings.json" || fail "transmission did not keep $kv"
done

stop_bg "$SEED_PID" TERM
up=$(json_last "done" session_up "$WORK/seed.log")
[ "${up:-0}" -ge "$(payload_bytes "$WORK/src/bundle")" ] || fail "ferry seed sent ${up:-0} bytes, less than the payload"
