#!/usr/bin/env bash
# What a fetch leaves and says:
# - with --select, unselected files are not created, and libtorrent's part file (pieces of unselected files it
#   had to download) is not left in DIR itself but in DIR/.ferry, and a
#   later fetch of everything uses it and completes;
# - the 100% line and the summary name the peers the data came from, not
#   the 0 peers left connected once the seed is dropped;
# - a signal during --seed-time after completion ends the fetch with exit 0
#   (the download is complete, nothing to resume).
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 3 4   # file0.bin sub/file1.bin file2.bin sub/file3.bin
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --piece-size 16
assert_exit 0
ih=$(torrent_infohash "$WORK/b.torrent")
start_seed "$WORK/b.torrent" "$WORK/src"
fetch=(fetch "$WORK/b.torrent" -o "$WORK/dst" --peer "127.0.0.1:$SEED_PORT"
       --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 60)

export FERRY_TEST_TTY=1 FERRY_PROGRESS_INTERVAL=0
run_ferry "${fetch[@]}" --select file2.bin
assert_exit 0
cmp -s "$WORK/src/bundle/file2.bin" "$WORK/dst/bundle/file2.bin" || fail "file2.bin differs"
for f in file0.bin sub/file1.bin sub/file3.bin; do
  [ ! -e "$WORK/dst/bundle/$f" ] || fail "unselected $f was created (its pieces belong in the part file)"
done
[ -z "$(find "$WORK/dst" -maxdepth 1 -name '.*.parts')" ] \
  || fail "the part file was left in DIR: $(ls -a "$WORK/dst")"
[ -f "$WORK/dst/.ferry/$ih.parts" ] || fail "no part file kept in DIR/.ferry: $(ls -a "$WORK/dst/.ferry")"
tr '\r' '\n' <"$WORK/err" | grep '100.0%' | tail -1 | grep -q 'peers 1 (1 seeds)' \
  || fail "the 100% line does not name the seed: $(tr '\r' '\n' <"$WORK/err" | grep '100.0%' | tail -1)"
grep -q 'from up to 1 peer, 1 seed)' "$WORK/err" || fail "the summary does not name the seed: $(cat "$WORK/err")"
unset FERRY_TEST_TTY

# everything now: the kept pieces come back from DIR/.ferry
run_ferry "${fetch[@]}"
assert_exit 0
same_tree "$WORK/src" "$WORK/dst" || fail "the full fetch after a --select fetch differs"
[ -z "$(find "$WORK/dst" -maxdepth 1 -name '.*.parts')" ] || fail "a part file was left in DIR"

# Ctrl-C while seeding after completion: exit 0
start_bg seeding "$FERRY" --json "${fetch[@]/$WORK\/dst/$WORK/dst2}" --seed-time 600
wait_for 60 grep -q '"event":"done"' "$WORK/seeding.log" || fail "the fetch did not complete: $(tail -3 "$WORK/seeding.log")"
pid=$(child_of "$BG_PID") || fail "no ferry process"
kill -INT "$pid"
wait "$BG_PID"
rc=$?
[ "$rc" -eq 0 ] || fail "SIGINT while seeding after completion: exit $rc, expected 0: $(tail -3 "$WORK/seeding.log")"
grep -q '^ferry: ' "$WORK/seeding.log" && fail "an error line after a complete fetch: $(grep '^ferry: ' "$WORK/seeding.log")"
exit 0
