#!/usr/bin/env bash
# kill -9 of ferry down at four points, each held by s3rver (HOLD_FILE)
# so the kill lands exactly there: during the multipart upload of the
# save, between the complete save and the pointer, with the pointer's PUT
# sent, and while old saves are removed.  After each, the save up picks
# is complete and restores to exactly one state that was saved (never a
# mix), and the next down works and cleans up what the killed one left.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
. "$(dirname "$0")/down.bash"
export HOLD_FILE=$WORK/hold
start_s3
remote="s3://$S3_BUCKET/vm1/work.tar.zst"
ws=$WORK/ws
manifest "$WORK/ferry.ini" "$ws" "$remote" 1

# state NAME: make the workspace state NAME (1 MiB of incompressible
# data: 16 parts of 64 KiB) and keep a copy in $WORK/state-NAME
state() {
  rm -rf "$ws" && mkdir -p "$ws/sub"
  head -c 1048576 /dev/urandom >"$ws/sub/data.bin"
  echo "state $1" >"$ws/which.txt"
  rm -rf "$WORK/state-$1" && cp -a "$ws" "$WORK/state-$1"
}

# is_current NAME: the pointer's save restores to exactly state NAME
is_current() {
  rm -rf "$WORK/check"
  restore_current "$remote" "$WORK/check" || fail "$1: the current save does not restore"
  diff -r "$WORK/state-$1" "$WORK/check" >&2 || fail "current save is not state $1"
}

# killed_at REGEX: run down, wait until s3rver holds a request matching
# REGEX, kill -9 ferry there, then let the server go on
killed_at() {
  echo "$1" >"$HOLD_FILE"
  local held; held=$(grep -c '^HELD ' "$WORK/s3.log")
  start_bg down "$FERRY" down -f "$WORK/ferry.ini"
  local pid=$BG_PID
  wait_for 60 bash -c "[ \$(grep -c '^HELD ' '$WORK/s3.log') -gt $held ]" || fail "down never reached '$1': $(tail -3 "$WORK/down.log")"
  local child; child=$(child_of "$pid")
  [ -n "$child" ] || fail "no ferry process under $pid"
  kill -KILL "$child"
  stop_bg "$pid"
  rm -f "$HOLD_FILE"
}

state A
run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
a=$(current_save "$remote")
is_current A

# 1. during the multipart upload (part 3 held): nothing changes
state B
killed_at '^PUT /bkt/vm1/work\.tar\.zst\.saves/.*partNumber=3'
[ "$(current_save "$remote")" = "$a" ] || fail "killed upload: pointer moved"
is_current A
run_ferry ls "$remote.saves/"
[ "$(grep -c '\.tar\.zst$' "$WORK/out")" -eq 1 ] || fail "killed upload left a visible save: $(cat "$WORK/out")"

# 2. between the complete save and the pointer (the pointer is read
# again first; that read held): the old save is current, the new one
# complete but named by no pointer
killed_at '^HEAD /bkt/vm1/work\.tar\.zst\.current'
grep -q '^POST /bkt/vm1/work.tar.zst.saves/.*uploadId=' "$WORK/s3.log" || fail "the save was not completed before the pointer"
[ "$(current_save "$remote")" = "$a" ] || fail "killed before pointer: pointer moved"
is_current A
run_ferry ls "$remote.saves/"
[ "$(grep -c '\.tar\.zst$' "$WORK/out")" -eq 2 ] || fail "expected the current and an unreferenced save: $(cat "$WORK/out")"

# 2b. killed once the pointer's PUT is sent (held by the server, which
# then takes it, as S3 may): the pointer names the old or the new save,
# both complete, each restoring to exactly its own state
state B2
killed_at '^PUT /bkt/vm1/work\.tar\.zst\.current'
if [ "$(picked_save "$remote")" = "$a" ]; then is_current A; else is_current B2; fi

# 3. while old saves are removed: the new save is current
state C
killed_at '^(HEAD|DELETE) /bkt/vm1/work\.tar\.zst\.saves/'
c=$(current_save "$remote")
[ -n "$c" ] && [ "$c" != "$a" ] || fail "killed while pruning: the pointer was not moved"
is_current C

# the next down works and removes what the killed ones left: keep = 1
state D
run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
is_current D
run_ferry ls "$remote.saves/"
[ "$(grep -c '\.tar\.zst$' "$WORK/out")" -eq 2 ] || fail "expected 2 saves after cleanup: $(cat "$WORK/out")"
grep -q " $c$" "$WORK/out" || fail "the previous save is gone: $(cat "$WORK/out")"
exit 0
