#!/usr/bin/env bash
# kill -9 during unpack --force: the existing target is untouched; the
# staging directory it leaves is removed by the next run, which succeeds.
# SIGINT instead: exit 130, target untouched, staging removed at once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
small_ws "$WORK/src"
head -c 8000000 /dev/urandom >"$WORK/src/big.bin"
"$FERRY" -q pack "$WORK/src" -o "$WORK/a.tar.zst" || fail "pack"
mkdir -p "$WORK/target/keep"
printf 'old\n' >"$WORK/target/keep/me"
snapshot "$WORK/target" >"$WORK/target.snap"
size=$(stat -c %s "$WORK/a.tar.zst")

# feed half the archive through a FIFO, then stall: ferry is mid-extraction
start_half() {
  rm -f "$WORK/fifo"; mkfifo "$WORK/fifo"
  # the child opens the FIFO (a redirect on a function would block here)
  "$FERRY" unpack - -C "$WORK/target" --force <"$WORK/fifo" >"$WORK/$1.log" 2>&1 &
  FPID=$!
  _bg_pids+=("$FPID")
  exec 3>"$WORK/fifo"
  head -c $((size / 2)) "$WORK/a.tar.zst" >&3
  wait_for 30 sh -c "ls -d '$WORK'/target.ferry-* >/dev/null 2>&1" || fail "no staging directory appeared"
  sleep 0.3
  kill -0 "$FPID" 2>/dev/null || fail "unpack ended early: $(cat "$WORK/$1.log")"
}
start_half u1
kill -KILL "$FPID"; wait "$FPID" 2>/dev/null
exec 3>&-
snapshot "$WORK/target" | diff -u "$WORK/target.snap" - >&2 || fail "target changed by the killed unpack"
ls -d "$WORK"/target.ferry-* >/dev/null 2>&1 || fail "expected a leftover staging directory"

run_ferry -v unpack "$WORK/a.tar.zst" -C "$WORK/target" --force
assert_exit 0
grep -q 'left by an interrupted unpack' "$WORK/err" || fail "leftover not reported: $(cat "$WORK/err")"
no_staging "$WORK/target"
assert_same_tree "$WORK/src" "$WORK/target"

# SIGINT while it waits for input
rm -rf "$WORK/target"; mkdir -p "$WORK/target/keep"; printf 'old\n' >"$WORK/target/keep/me"
snapshot "$WORK/target" >"$WORK/target.snap"
start_half u2
kill -INT "$FPID"
wait "$FPID"; rc=$?
exec 3>&-
[ "$rc" -eq 130 ] || fail "SIGINT: exit $rc: $(cat "$WORK/u2.log")"
snapshot "$WORK/target" | diff -u "$WORK/target.snap" - >&2 || fail "target changed by the interrupted unpack"
no_staging "$WORK/target"
exit 0
