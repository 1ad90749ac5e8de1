#!/usr/bin/env bash
# pull resume against s3rver (GETs throttled to 2 MB/s each, so a pull can
# be cut at a chosen byte count).  Ctrl-C keeps FILE.part and the sidecar
# (the ETag S3 gave, no credential); the rerun's ranged GETs ask exactly
# for the bytes the sidecar lacks, each signed with If-Match.  The object
# pushed again with new bytes (same size) between runs: the rerun starts
# over and FILE is the new object.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
need python3 sha256sum
CHUNK=$((1 << 20))
SIZE=$((12 << 20))
export FERRY_S3_PART_SIZE=$CHUNK
export GET_RATE=$((2 << 20))
start_s3
URL="s3://$S3_BUCKET/dir/obj.bin"
OUT="$WORK/out.bin"
on_disk() { stat -c '%b %B' "$OUT.part" 2>/dev/null | awk '{ print $1 * $2 }'; }
# interrupt_at BYTES: a pull in the background, SIGINT once BYTES are on
# disk; it must end with 130 and keep its files
interrupt_at() {
  "$FERRY" -v pull "$URL" -o "$OUT" 2>"$WORK/bg.err" &
  local pid=$!
  for _ in $(seq 1 1200); do
    [ "$(on_disk)" -ge "$1" ] 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -INT "$pid" 2>/dev/null
  wait "$pid"
  local rc=$?
  [ "$rc" -eq 130 ] || fail "interrupted pull: exit $rc: $(cat "$WORK/bg.err")"
  [ -f "$OUT.part" ] && [ -f "$OUT.part.ferry" ] || fail "the interrupted pull kept nothing"
}

head -c "$SIZE" /dev/urandom >"$WORK/v1.bin"
"$FERRY" -q push "$WORK/v1.bin" "$URL" || fail "push v1"
interrupt_at $((SIZE / 3))
grep -q '"url":"s3://bkt/dir/obj.bin","size":12582912,"etag":"\\"[0-9a-f-]*\\""' "$OUT.part.ferry" \
  || fail "sidecar: $(cat "$OUT.part.ferry")"
grep -q 'S3RVER' "$OUT.part.ferry" && fail "a credential reached the sidecar"
cp "$OUT.part.ferry" "$WORK/record.json"
mark=$(wc -l <"$WORK/s3.log")
run_ferry -v pull "$URL" -o "$OUT"
assert_exit 0
cmp "$WORK/v1.bin" "$OUT" || fail "resumed pull differs"
grep -q 'SIGV4 REJECTED' "$WORK/s3.log" && fail "a request was badly signed"
# the rerun's ranges are exactly the complement of the record
tail -n +$((mark + 1)) "$WORK/s3.log" | python3 -c '
import json, re, sys
rec = json.load(open(sys.argv[1]))
size, done = rec["size"], [tuple(r) for r in rec["done"]]
asked = sorted((int(a), int(b) + 1) for a, b in re.findall(r"^GET /bkt/dir/obj.bin - bytes=(\d+)-(\d+)$", sys.stdin.read(), re.M))
gaps, pos = [], 0
for a, b in done:
    if a > pos: gaps.append((pos, a))
    pos = b
if pos < size: gaps.append((pos, size))
merged = []
for a, b in asked:
    if merged and merged[-1][1] == a: merged[-1] = (merged[-1][0], b)
    else: merged.append((a, b))
if merged != gaps:
    sys.exit("asked for %s, missing were %s" % (merged, gaps))
' "$WORK/record.json" || fail "the rerun did not ask for exactly the missing bytes"

# pushed again between runs (same size, new bytes, new ETag): start over
rm -f "$OUT"
interrupt_at $((SIZE / 2))
head -c "$SIZE" /dev/urandom >"$WORK/v2.bin"
"$FERRY" -q push "$WORK/v2.bin" "$URL" || fail "push v2"
run_ferry -v pull "$URL" -o "$OUT"
assert_exit 0
grep -q 'the object changed since the last run (another ETag): starting over' "$WORK/err" || fail "no -v line: $(cat "$WORK/err")"
cmp "$WORK/v2.bin" "$OUT" || fail "after the object changed: not the new object"
[ ! -e "$OUT.part" ] && [ ! -e "$OUT.part.ferry" ] || fail "files left behind"
exit 0
