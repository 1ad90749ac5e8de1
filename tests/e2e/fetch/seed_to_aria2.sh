#!/usr/bin/env bash
# Interop, ferry as the seeder: `ferry seed` announces to opentracker on
# 127.0.0.1, aria2c downloads the torrent from it (the only peer), checks
# the pieces itself, and every file's sha256 matches; ferry seed reports
# that it sent at least the whole payload.
. "$(dirname "$0")/../lib.sh"
need aria2c opentracker

make_payload "$WORK/src/bundle" 8 3
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/plain.torrent"
assert_exit 0
ih=$(torrent_infohash "$WORK/plain.torrent")
start_tracker "$ih"
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --tracker "$TRACKER_URL"
assert_exit 0

start_seed "$WORK/b.torrent" "$WORK/src"
wait_for 30 tracker_has 1 1 "$TRACKER_URL" "$ih" || fail "ferry seed never announced as a seeder"

aria_port=$(free_port)
timeout 60 aria2c "${ARIA2_FLAGS[@]}" --seed-time=0 --listen-port="$aria_port" \
  --bt-tracker-interval=1 --dir="$WORK/dst" --check-integrity=true \
  --log="$WORK/aria2-get.log" --log-level=info "$WORK/b.torrent" \
  >"$WORK/aria2-get.err" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "aria2c exited $rc: $(tail -5 "$WORK/aria2-get.err")"
same_tree "$WORK/src" "$WORK/dst" || fail "files aria2c fetched from ferry differ"

stop_bg "$SEED_PID" TERM
size=$(payload_bytes "$WORK/src/bundle")
up=$(json_last "done" session_up "$WORK/seed.log")
[ -n "$up" ] || fail "ferry seed printed no done event on SIGTERM: $(tail -3 "$WORK/seed.log")"
[ "$up" -ge "$size" ] || fail "ferry seed sent $up bytes < payload $size"
