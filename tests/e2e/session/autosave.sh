#!/usr/bin/env bash
# ferry down --autosave over file://: a first save at once; an interval
# without change makes no save; a change (also one that keeps size and
# mtime) makes one at the next interval; SIGTERM and SIGHUP save a last
# time what changed since and exit 0; a signal with nothing new saves
# nothing more.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/down.bash"
ws=$WORK/ws remote="file://$WORK/store/work.tar.zst"
mkdir -p "$ws/src" "$WORK/store"
echo one >"$ws/src/a.txt"
manifest "$WORK/ferry.ini" "$ws" "$remote" 20

saves() { find "$WORK/store/work.tar.zst.saves" -name '*.tar.zst' 2>/dev/null | wc -l; }
checks() { grep -c 'autosave: no change' "$WORK/auto.log"; }
# for wait_for, which runs its arguments again and again
saves_ge() { [ "$(saves)" -ge "$1" ]; }
checks_ge() { [ "$(checks)" -ge "$1" ]; }
# restored_has TEXT: the save up picks holds src/a.txt = TEXT
restored_has() {
  rm -rf "$WORK/back"
  restore_current "$remote" "$WORK/back" && [ "$(cat "$WORK/back/src/a.txt")" = "$1" ]
}

start_bg auto "$FERRY" -v down -f "$WORK/ferry.ini" --autosave 1s
pid=$BG_PID
wait_for 30 saves_ge 1 || fail "no first save: $(cat "$WORK/auto.log")"
restored_has one || fail "first save"

# no change: two checks, no save
wait_for 30 checks_ge 2 || fail "no checks: $(cat "$WORK/auto.log")"
[ "$(saves)" -eq 1 ] || fail "a save without a change"

# a change: a save at the next interval
echo two >"$ws/src/a.txt"
wait_for 30 saves_ge 2 || fail "the change was not saved: $(cat "$WORK/auto.log")"
wait_for 10 restored_has two || fail "the new save does not hold the change"

# same size, mtime set back: the ctime tells
touch -r "$ws/src/a.txt" "$WORK/stamp"
echo 222 >"$ws/src/a.txt"
touch -r "$WORK/stamp" "$ws/src/a.txt"
wait_for 30 saves_ge 3 || fail "a same-size same-mtime change was not saved"
wait_for 10 restored_has 222 || fail "that save does not hold it"

kill -TERM "$(child_of "$pid")"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc: $(tail -3 "$WORK/auto.log")"

# SIGTERM after a change, long before the next interval: the final save
# holds it, exit 0
n=$(saves)
start_bg auto "$FERRY" -v down -f "$WORK/ferry.ini" --autosave 1h
pid=$BG_PID
wait_for 30 saves_ge $((n + 1)) || fail "no first save"
n=$(saves)
echo last >"$ws/src/a.txt"
kill -TERM "$(child_of "$pid")"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc: $(tail -3 "$WORK/auto.log")"
[ "$(saves)" -eq $((n + 1)) ] || fail "no final save"
restored_has last || fail "the final save does not hold the last change"

# SIGHUP: the same
n=$(saves)
start_bg auto "$FERRY" -v down -f "$WORK/ferry.ini" --autosave 1h
pid=$BG_PID
wait_for 30 saves_ge $((n + 1)) || fail "no first save"
echo hup >"$ws/src/a.txt"
kill -HUP "$(child_of "$pid")"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || fail "SIGHUP: exit $rc: $(tail -3 "$WORK/auto.log")"
restored_has hup || fail "SIGHUP: the final save does not hold the last change"

# a signal with nothing new: no more save
n=$(saves)
start_bg auto "$FERRY" -v down -f "$WORK/ferry.ini" --autosave 1h
pid=$BG_PID
wait_for 30 saves_ge $((n + 1)) || fail "no first save"
n=$(saves)
kill -TERM "$(child_of "$pid")"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || fail "idle SIGTERM: exit $rc"
grep -q 'nothing changed since the last save' "$WORK/auto.log" || fail "idle SIGTERM: $(tail -3 "$WORK/auto.log")"
[ "$(saves)" -eq "$n" ] || fail "idle SIGTERM made a save"
exit 0
