#!/usr/bin/env bash
# pull resume over SFTP (sshd on 127.0.0.1): SFTP has no ETag, so the
# sidecar keeps the size and the mtime the server reports.  Ctrl-C keeps
# FILE.part and the sidecar; the rerun moves exactly the bytes the sidecar
# lacks.  A file whose mtime changed between runs is fetched whole again.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
need python3
export FERRY_S3_PART_SIZE=$((1 << 20))
SIZE=$((96 << 20))
start_sshd
export HOME="$SSH_HOME"
head -c "$SIZE" /dev/urandom >"$WORK/obj.bin"
touch -d @1700000000 "$WORK/obj.bin"
URL="$SFTP_BASE$WORK/obj.bin"
OUT="$WORK/out.bin"
on_disk() { stat -c '%b %B' "$OUT.part" 2>/dev/null | awk '{ print $1 * $2 }'; }
recorded() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(b - a for a, b in d["done"]))' "$OUT.part.ferry"
}
interrupt_at() {
  "$FERRY" -v pull "$URL" -o "$OUT" 2>"$WORK/bg.err" &
  local pid=$!
  for _ in $(seq 1 1200); do
    [ "$(on_disk)" -ge "$1" ] 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  kill -INT "$pid" 2>/dev/null
  wait "$pid"
  local rc=$?
  [ "$rc" -eq 130 ] || fail "interrupted pull: exit $rc: $(cat "$WORK/bg.err")"
  [ -f "$OUT.part" ] && [ -f "$OUT.part.ferry" ] || fail "the interrupted pull kept nothing"
}

interrupt_at $((SIZE / 5))
grep -q '"etag":null,"modified":"1700000000"' "$OUT.part.ferry" || fail "sidecar: $(cat "$OUT.part.ferry")"
rec=$(recorded)
run_ferry -v --json pull "$URL" -o "$OUT"
assert_exit 0
cmp "$WORK/obj.bin" "$OUT" || fail "resumed SFTP pull differs"
grep -q "\"resumed\":$rec," "$WORK/out" || fail "done event: $(grep '"done"' "$WORK/out")"
grep -q "\"bytes\":$((SIZE - rec))," "$WORK/out" || fail "moved more than the missing bytes: $(grep '"done"' "$WORK/out")"
rm -f "$OUT"

# the file changed (new mtime): start over
interrupt_at $((SIZE / 5))
touch -d @1700000100 "$WORK/obj.bin"
run_ferry -v --json pull "$URL" -o "$OUT"
assert_exit 0
grep -q 'the object changed since the last run (another modification time): starting over' "$WORK/err" || fail "no -v line: $(cat "$WORK/err")"
grep -q "\"bytes\":$SIZE," "$WORK/out" || fail "did not fetch it all: $(grep '"done"' "$WORK/out")"
cmp "$WORK/obj.bin" "$OUT" || fail "differs"
exit 0
