#!/usr/bin/env bash
# kill -9 during pack: no file appears under the final name, an older
# archive of that name is byte-for-byte intact, and the next pack (which
# removes the stale ARCHIVE.part) succeeds.  SIGINT instead: exit 130 and
# the .part is removed by ferry itself.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
text_ws "$WORK/ws" 24

# 1. no older archive: nothing under the final name
bg_ferry pack1 pack "$WORK/ws" -o "$WORK/new.tar.zst" --level 19 --threads 1
wait_for 30 test -e "$WORK/new.tar.zst.part" || fail "no .part appeared"
sleep 0.3
kill -0 "$FPID" 2>/dev/null || fail "pack finished too early to be killed"
kill -KILL "$FPID"; wait "$FPID" 2>/dev/null
[ ! -e "$WORK/new.tar.zst" ] || fail "a final archive appeared after kill -9"

# 2. an older archive survives
"$FERRY" -q pack "$WORK/ws" -o "$WORK/ws.tar.zst" --level 1 || fail "first pack"
old=$(sha256sum <"$WORK/ws.tar.zst")
echo "new line" >>"$WORK/ws/log0.txt"
bg_ferry pack2 pack "$WORK/ws" -o "$WORK/ws.tar.zst" --level 19 --threads 1
wait_for 30 test -e "$WORK/ws.tar.zst.part" || fail "no .part appeared"
sleep 0.3
kill -0 "$FPID" 2>/dev/null || fail "pack finished too early to be killed"
kill -KILL "$FPID"; wait "$FPID" 2>/dev/null
[ "$(sha256sum <"$WORK/ws.tar.zst")" = "$old" ] || fail "older archive changed"
run_ferry verify "$WORK/ws.tar.zst"
assert_exit 0

# 3. the rerun succeeds and leaves no .part
run_ferry pack "$WORK/ws" -o "$WORK/ws.tar.zst" --level 1
assert_exit 0
[ ! -e "$WORK/ws.tar.zst.part" ] || fail "stale .part not removed"
run_ferry unpack "$WORK/ws.tar.zst" -C "$WORK/dst"
assert_exit 0
assert_same_tree "$WORK/ws" "$WORK/dst"

# 4. SIGINT: exit 130, .part gone, archive intact
old=$(sha256sum <"$WORK/ws.tar.zst")
bg_ferry pack4 pack "$WORK/ws" -o "$WORK/ws.tar.zst" --level 19 --threads 1
wait_for 30 test -e "$WORK/ws.tar.zst.part" || fail "no .part appeared"
sleep 0.3
kill -INT "$FPID"
wait "$FPID"; rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT: exit $rc, expected 130: $(cat "$WORK/pack4.log")"
grep -q '^ferry: .*interrupted' "$WORK/pack4.log" || fail "no 'interrupted' line: $(cat "$WORK/pack4.log")"
[ ! -e "$WORK/ws.tar.zst.part" ] || fail ".part left after SIGINT"
[ "$(sha256sum <"$WORK/ws.tar.zst")" = "$old" ] || fail "archive changed by the interrupted pack"
exit 0
