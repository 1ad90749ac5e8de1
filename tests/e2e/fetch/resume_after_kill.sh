#!/usr/bin/env bash
# kill -9 in the middle of a download, then rerun the same command: it
# completes, every file matches, and the second run receives at most the
# pieces the saved resume state did not have, plus a few.
# The seeder (aria2c) is capped at 4 MiB/s so the first run is still busy
# when it is killed.  (`ferry seed --max-up` is not used: see rate_limits.sh.)
. "$(dirname "$0")/../lib.sh"
need aria2c

make_payload "$WORK/src/bundle" 32 3
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
ih=$(torrent_infohash "$WORK/b.torrent")
plen=$(bt piece-length "$WORK/b.torrent")
size=$(payload_bytes "$WORK/src/bundle")
npieces=$(( (size + plen - 1) / plen ))
mkdir -p "$WORK/seed"
cp -al "$WORK/src/bundle" "$WORK/seed/bundle"
start_aria2_seed aria2 "$WORK/b.torrent" "$WORK/seed" --max-upload-limit=4M

fetch=("$FERRY" --json fetch "$WORK/b.torrent" -o "$WORK/dst" --peer "127.0.0.1:$ARIA2_PORT"
       --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 30)
export FERRY_PROGRESS_INTERVAL=0.5
resume="$WORK/dst/.ferry/$ih.resume"

# run 1: kill -9 once the saved state holds at least a quarter of the pieces
start_bg run1 "${fetch[@]}"
run1=$BG_PID
have_quarter() { [ -f "$resume" ] && [ "$(bt resume-have "$resume" 2>/dev/null || echo 0)" -ge $(( npieces / 4 )) ]; }
wait_for 40 have_quarter || fail "run 1 saved no resume state with 1/4 of the pieces in 40 s"
victim=$(child_of "$run1") || fail "cannot find run 1's ferry process"
kill -KILL "$victim"
wait "$run1" 2>/dev/null
[ "$(json_count "done" "$WORK/run1.log")" -eq 0 ] || fail "run 1 finished before it was killed; the test proves nothing"
have=$(bt resume-have "$resume")
[ "$have" -lt "$npieces" ] || fail "the resume state already had every piece"
missing=$(( (npieces - have) * plen ))
echo "killed run 1 with $have of $npieces pieces ($plen bytes each) saved" >&2

# run 2: the same command
"${fetch[@]}" >"$WORK/run2.log" 2>"$WORK/run2.err"
rc=$?
[ "$rc" -eq 0 ] || fail "run 2 exited $rc: $(tail -3 "$WORK/run2.err")"
same_tree "$WORK/src" "$WORK/dst" || fail "files differ after resume"
got=$(json_last "done" session_down "$WORK/run2.log")
[ -n "$got" ] || fail "run 2 printed no done event"
slack=$(( 4 * plen ))
[ "$got" -le $(( missing + slack )) ] \
  || fail "run 2 received $got bytes; only $missing were missing (+$slack slack)"
[ "$got" -lt "$size" ] || fail "run 2 downloaded everything again ($got bytes)"
# its first fetch progress already counts the resumed pieces as done
first=$(grep '^{"event":"progress"' "$WORK/run2.log" | grep '"phase":"fetch"' | head -1 \
        | sed -n 's/.*"done":\([0-9]*\).*/\1/p')
[ "${first:-0}" -ge $(( (have - 1) * plen )) ] \
  || fail "run 2 started at done=${first:-none}, expected >= $(( (have - 1) * plen ))"
