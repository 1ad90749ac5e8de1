#!/usr/bin/env bash
# ferry down --autosave to S3 (s3rver): a save that lasts several
# intervals (its upload held by the server) is not started twice, and a
# change made while it runs is saved at the next interval once it ends;
# SIGTERM during a save lets it end, then saves the last change and exits
# 0; a second signal stops that last save (exit 130, the current save
# stays).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
. "$(dirname "$0")/down.bash"
export HOLD_FILE=$WORK/hold
start_s3
ws=$WORK/ws remote="s3://$S3_BUCKET/vm1/work.tar.zst"
mkdir -p "$ws/src"
echo one >"$ws/src/a.txt"
manifest "$WORK/ferry.ini" "$ws" "$remote" 20

restored_has() {
  rm -rf "$WORK/back"
  restore_current "$remote" "$WORK/back" 2>/dev/null && [ "$(cat "$WORK/back/src/a.txt")" = "$1" ]
}
save_puts() { grep -c '^PUT /bkt/vm1/work.tar.zst.saves/' "$WORK/s3.log"; }
held_ge() { [ "$(grep -c '^HELD ' "$WORK/s3.log")" -ge "$1" ]; }

start_bg auto "$FERRY" -v down -f "$WORK/ferry.ini" --autosave 1s
pid=$BG_PID
wait_for 30 restored_has one || fail "no first save: $(cat "$WORK/auto.log")"

# hold the next save's upload for several intervals
echo '^PUT /bkt/vm1/work\.tar\.zst\.saves/' >"$HOLD_FILE"
before=$(save_puts)
echo two >"$ws/src/a.txt"
wait_for 30 held_ge 1 || fail "the change was not saved: $(tail -3 "$WORK/auto.log")"
sleep 3 # three intervals pass while the save is held
echo three >"$ws/src/a.txt"
sleep 1
[ "$(save_puts)" -eq $((before + 1)) ] || fail "a second save started while one ran: $(grep saves/ "$WORK/s3.log" | tail -3)"
grep -c '^HELD ' "$WORK/s3.log" | grep -qx 1 || fail "more than one upload held"
rm -f "$HOLD_FILE"
# the held save ends, then the next interval saves the later change
wait_for 30 restored_has three || fail "the change made during a save was not saved: $(tail -3 "$WORK/auto.log")"

# SIGTERM while a save runs (held): that save is not stopped but ends,
# then the last save takes what changed meanwhile; exit 0
echo '^PUT /bkt/vm1/work\.tar\.zst\.saves/' >"$HOLD_FILE"
echo four >"$ws/src/a.txt"
wait_for 30 held_ge 2 || fail "the change was not saved: $(tail -3 "$WORK/auto.log")"
echo five >"$ws/src/a.txt"
done_before=$(grep -c '^autosave: saved' "$WORK/auto.log")
kill -TERM "$(child_of "$pid")"
sleep 1 # the signal is handled while the upload waits
kill -0 "$pid" 2>/dev/null || fail "SIGTERM stopped ferry during a save"
rm -f "$HOLD_FILE"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc: $(tail -3 "$WORK/auto.log")"
[ "$(grep -c '^autosave: saved' "$WORK/auto.log")" -eq $((done_before + 1)) ] || fail "the running save did not end normally: $(tail -5 "$WORK/auto.log")"
grep -q '^final save: saved' "$WORK/auto.log" || fail "no last save: $(tail -3 "$WORK/auto.log")"
restored_has five || fail "the last change is not in the last save"

# a second signal stops the last save: exit 130, the current save stays
start_bg auto2 "$FERRY" -v down -f "$WORK/ferry.ini" --autosave 1h
pid=$BG_PID
wait_for 30 grep -q '^autosave: saved' "$WORK/auto2.log" || fail "no first save: $(cat "$WORK/auto2.log")"
echo '^PUT /bkt/vm1/work\.tar\.zst\.saves/' >"$HOLD_FILE"
held=$(grep -c '^HELD ' "$WORK/s3.log")
echo six >"$ws/src/a.txt"
kill -TERM "$(child_of "$pid")"
wait_for 30 held_ge $((held + 1)) || fail "no last save: $(tail -3 "$WORK/auto2.log")"
kill -TERM "$(child_of "$pid")"
wait "$pid"; rc=$?
rm -f "$HOLD_FILE"
[ "$rc" -eq 130 ] || fail "second SIGTERM: exit $rc: $(tail -3 "$WORK/auto2.log")"
restored_has five || fail "a stopped last save changed the current save"
exit 0
