#!/usr/bin/env bash
# One honest seeder plus one whose copy has corrupted pieces (aria2c with
# --bt-seed-unverified, so it serves them as they are): the fetch completes,
# every file matches, the bad data shows up as `hash_failed` events and in
# done.hash_failures, and the bad seeder is banned.  To make sure the bad
# seeder really serves data, the fetch starts with only the bad seeder; the
# honest one (`ferry seed`) dials in once the first hash failure is reported.
. "$(dirname "$0")/../lib.sh"
need aria2c

make_payload "$WORK/src/bundle" 8 3
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --piece-size 64
assert_exit 0

# the bad copy: flip one byte in every 4th 64 KiB block of every file
mkdir -p "$WORK/bad"
cp -a "$WORK/src/bundle" "$WORK/bad/bundle"
python3 - "$WORK/bad/bundle" <<'PY'
import os, sys
for dirpath, _, names in os.walk(sys.argv[1]):
    for n in names:
        p = os.path.join(dirpath, n)
        size = os.path.getsize(p)
        with open(p, "r+b") as f:
            for off in range(1000, size, 4 * 65536):
                f.seek(off)
                b = f.read(1)
                f.seek(off)
                f.write(bytes([b[0] ^ 0xFF]))
PY
cmp -s "$WORK/src/bundle/file0.bin" "$WORK/bad/bundle/file0.bin" && fail "the bad copy is not corrupted"
start_aria2_seed bad "$WORK/b.torrent" "$WORK/bad" --bt-seed-unverified=true

fetch_port=$(free_port)
start_bg fetch "$FERRY" --json fetch "$WORK/b.torrent" -o "$WORK/dst" \
  --peer "127.0.0.1:$ARIA2_PORT" --listen "127.0.0.1:$fetch_port" "${LOOPBACK_FLAGS[@]}" \
  --stall-timeout 40 --timeout 55
fetch_pid=$BG_PID
wait_for 30 grep -q '^{"event":"hash_failed"' "$WORK/fetch.log" \
  || fail "no hash_failed event while only the bad seeder was there"

start_seed "$WORK/b.torrent" "$WORK/src" honest --peer "127.0.0.1:$fetch_port"
wait_for 50 eval '! kill -0 '"$fetch_pid" || fail "the fetch did not finish with an honest seeder"
wait "$fetch_pid"
rc=$?
[ "$rc" -eq 0 ] || fail "fetch exited $rc: $(grep '^ferry:' "$WORK/fetch.log")"
same_tree "$WORK/src" "$WORK/dst" || fail "fetched files differ"
n=$(json_count hash_failed "$WORK/fetch.log")
[ "$n" -ge 1 ] || fail "no hash_failed event"
hf=$(json_last "done" hash_failures "$WORK/fetch.log")
[ "${hf:-0}" -ge 1 ] || fail "done.hash_failures=${hf:-none}, expected >= 1"
[ "$hf" -eq "$n" ] || fail "done.hash_failures=$hf but $n hash_failed events"
# the only peer that sent the failed piece is banned (SPEC: "banned; the
# download goes on")
grep -q "^ferry: warning: peer 127.0.0.1:$ARIA2_PORT banned" "$WORK/fetch.log" \
  || fail "the bad seeder 127.0.0.1:$ARIA2_PORT was not reported banned"
