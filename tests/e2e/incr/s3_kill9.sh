#!/usr/bin/env bash
# kill -9 of `ferry save SET/ --incremental` at points s3rver holds
# (HOLD_FILE), so each kill lands exactly there whatever the timing: a
# part of the layer's multipart upload, its completion, the index, the
# state (sent, then taken by the server after the kill, as S3 may) and
# retention's deletes.  Trials pick the points at random (FERRY_TRIALS,
# default 20, issue 17's count: about 60 s on 2 busy cores; the seed is
# printed, FERRY_SEED replays it).  After every kill the set restores to
# exactly the last completed save (or, killed with the state sent, to the
# new one), and the next save works and completes.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
. "$(dirname "$0")/incr.bash"
export HOLD_FILE=$WORK/hold
start_s3
ws=$WORK/ws
make_workspace "$ws" 1
set=s3://$S3_BUCKET/s/
seed=${FERRY_SEED:-$RANDOM}
echo "seed $seed" >&2
RANDOM=$seed

save_ok() {
  run_ferry save "$ws" "$set" --incremental
  assert_exit 0
  keep_state last "$ws"
}

# restores_to NAME: the set's newest state is exactly state NAME
restores_to() {
  rm -rf "$WORK/check"
  run_ferry restore "$set" "$WORK/check"
  [ "$RC" -eq 0 ] || return 1
  same_snap "$WORK/state-$1" "$WORK/check" 2>/dev/null
}

# change: a new 192 KiB file (3 parts of 64 KiB), an edit, a deletion
n=0
change() {
  n=$((n + 1))
  head -c 196608 /dev/urandom >"$ws/blob$n.bin"
  echo "edit $n" >>"$ws/src/pkg/mod1.py"
  rm -f "$ws/blob$((n - 2)).bin"
}

# killed_at REGEX: a save, killed -9 once s3rver holds a request matching
# REGEX; then the server goes on
killed_at() {
  echo "$1" >"$HOLD_FILE"
  local held; held=$(grep -c '^HELD ' "$WORK/s3.log")
  start_bg save "$FERRY" save "$ws" "$set" --incremental
  local pid=$BG_PID
  wait_for 60 bash -c "[ \$(grep -c '^HELD ' '$WORK/s3.log') -gt $held ]" || fail "the save never reached '$1': $(tail -3 "$WORK/save.log")"
  local child; child=$(child_of "$pid")
  [ -n "$child" ] || fail "no ferry process under $pid"
  kill -KILL "$child"
  stop_bg "$pid"
  rm -f "$HOLD_FILE"
}

save_ok
save_ok # nothing changed
change && save_ok
change && save_ok # from here on, every save removes an old state

points=(
  'PUT /bkt/s/layer-[0-9]+-[0-9a-f]+\.tar\.zst\?partNumber=2'
  'POST /bkt/s/layer-[0-9]+-[0-9a-f]+\.tar\.zst\?uploadId='
  'PUT /bkt/s/index-'
  'PUT /bkt/s/state-'
  'DELETE /bkt/s/'
)
trials=${FERRY_TRIALS:-20}
for t in $(seq 1 "$trials"); do
  p=$((RANDOM % ${#points[@]}))
  keep_state prev "$WORK/state-last"
  change
  keep_state new "$ws"
  killed_at "^${points[$p]}"
  case $p in
    0 | 1 | 2) restores_to prev || fail "trial $t (${points[$p]}): not the last completed save" ;;
    3) restores_to prev || restores_to new || fail "trial $t (state sent): neither save" ;;
    4) restores_to new || fail "trial $t (retention): not the new save" ;;
  esac
  echo "trial $t: killed at ${points[$p]}: ok" >&2
  # the next save works, and restores to exactly its tree
  change && save_ok
  restores_to last || fail "trial $t: the save after the kill does not restore"
done
[ -z "$(s3_uploads)" ] || echo "note: killed multipart uploads are left for the bucket's lifecycle rule" >&2
exit 0
