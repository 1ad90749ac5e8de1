#!/usr/bin/env bash
# --max-up (seed) and --max-down (fetch) limit the payload rate, also for
# peers on the same host or LAN (here 127.0.0.1): 16 MiB at 4 MiB/s takes
# at least ~3 s (it takes well under 1 s unlimited on loopback).
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 16 2
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0

secs_of() { json_last "done" seconds "$WORK/out" | cut -d. -f1; }

# seed --max-up 4M
start_seed "$WORK/b.torrent" "$WORK/src" seed-up --max-up 4M
run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst1" --peer "127.0.0.1:$SEED_PORT" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 50
assert_exit 0
same_tree "$WORK/src" "$WORK/dst1" || fail "files differ"
up_secs=$(secs_of)
stop_bg "$SEED_PID"

# fetch --max-down 4M from an unlimited seeder
start_seed "$WORK/b.torrent" "$WORK/src" seed-free
run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst2" --peer "127.0.0.1:$SEED_PORT" --max-down 4M \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 50
assert_exit 0
same_tree "$WORK/src" "$WORK/dst2" || fail "files differ"
down_secs=$(secs_of)

[ "${up_secs:-0}" -ge 3 ] && [ "${down_secs:-0}" -ge 3 ] \
  || fail "16 MiB arrived in ${up_secs:-?} s with seed --max-up 4M and in ${down_secs:-?} s with fetch --max-down 4M; expected >= 3 s each (limits not applied to a 127.0.0.1 peer?)"
