#!/usr/bin/env bash
# A rerun of a complete fetch checks the files on disk again and says
# "already complete" (done event: "already_complete":true, 0 bytes
# received) with no peer at all; DIR/.ferry keeps only ferry's own files
# (resume data and marker, 0600) for it.  A file damaged after the fetch
# is found by that check and repaired, never reported complete.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 3 3
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
ih=$(torrent_infohash "$WORK/b.torrent")
F=(--listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 60)
done_field() {
  python3 -c '
import json, sys
d = [e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "done"]
assert len(d) == 1, d
print(json.dumps(d[0].get(sys.argv[2])))' "$WORK/out" "$1"
}

start_seed "$WORK/b.torrent" "$WORK/src"
run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst" --peer "127.0.0.1:$SEED_PORT" "${F[@]}"
assert_exit 0
[ "$(done_field already_complete)" = false ] || fail "a first fetch is not already complete"
same_tree "$WORK/src" "$WORK/dst" || fail "files differ"
stop_bg "$SEED_PID"

# DIR/.ferry: ferry's two files for this torrent, private, nothing else
(cd "$WORK/dst/.ferry" && find . -mindepth 1 -printf '%y %m %P\n' | LC_ALL=C sort) >"$WORK/state.ls"
printf 'f 600 %s.resume\nf 600 %s.state\n' "$ih" "$ih" >"$WORK/state.want"
diff -u "$WORK/state.want" "$WORK/state.ls" >&2 || fail "DIR/.ferry holds other files"

# no peer now: the rerun checks the files and is done
run_ferry fetch "$WORK/b.torrent" -o "$WORK/dst" "${F[@]}" --stall-timeout 10
assert_exit 0
grep -q '^bundle: already complete (3.01 MiB, every piece checked)$' "$WORK/err" || { cat "$WORK/err" >&2; fail "rerun does not say already complete"; }
grep -q 'received' "$WORK/err" && fail "rerun still talks of bytes received"
run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst" "${F[@]}" --stall-timeout 10
assert_exit 0
[ "$(done_field already_complete)" = true ] || fail "done event lacks already_complete: true"
[ "$(done_field session_down)" = 0 ] || fail "a rerun received bytes"

# a byte changed after the fetch: found by the rerun's check and repaired
printf 'X' | dd of="$WORK/dst/bundle/file0.bin" bs=1 seek=1000 conv=notrunc 2>/dev/null
start_seed "$WORK/b.torrent" "$WORK/src" seed2
run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst" --peer "127.0.0.1:$SEED_PORT" "${F[@]}"
assert_exit 0
[ "$(done_field already_complete)" = false ] || fail "a damaged DIR was reported already complete"
same_tree "$WORK/src" "$WORK/dst" || fail "the damaged file was not repaired"
exit 0
