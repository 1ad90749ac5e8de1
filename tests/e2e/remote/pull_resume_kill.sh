#!/usr/bin/env bash
# pull resumes across runs: a 200 MB pull from nginx (throttled to 4 MB/s
# a connection, so the kill points do not race the download) is killed
# with SIGKILL ten times, each time once a chosen number of bytes (random,
# rising) is on disk.  After each kill the bytes nginx sent that the
# sidecar does not account for must be at most one chunk (8 MiB) -- what
# a rerun fetches twice; the record never shrinks (no run starts over).
# The last run finishes: FILE equals the object (sha256), FILE.part and
# its sidecar are gone, and nginx sent at most size + 10 chunks in all.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
need python3 curl sha256sum
CHUNK=$((8 << 20))
SIZE=$((200 << 20))
export FERRY_S3_PART_SIZE=$CHUNK
STATUS_PORT=$(free_port)
# every request's body bytes as nginx counts them; a status page says
# when the killed connections are all closed (and so logged)
NGINX_HTTP_EXTRA="log_format bytes '\$request_method \$status \$body_bytes_sent \$http_range';
  access_log $WORK/nginx/bytes.log bytes;
  limit_rate 4m;
  server { listen 127.0.0.1:$STATUS_PORT; access_log off; location / { stub_status; } }"
start_nginx
head -c "$SIZE" /dev/urandom >"$WORK/www/obj.bin" || fail "cannot make the object"
want=$(sha256sum <"$WORK/www/obj.bin")
URL="$HTTP_BASE/obj.bin"
OUT="$WORK/out.bin"

# nginx has closed every connection but the status request itself
idle() { curl -s "http://127.0.0.1:$STATUS_PORT/" | grep -q '^Active connections: 1 *$'; }
# body bytes nginx sent for GETs, in all
sent() { awk '$1 == "GET" { s += $3 } END { print s + 0 }' "$WORK/nginx/bytes.log"; }
# bytes the sidecar says are on disk
recorded() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(b - a for a, b in d["done"]))' "$OUT.part.ferry" 2>/dev/null || echo 0
}
on_disk() { stat -c '%b %B' "$OUT.part" 2>/dev/null | awk '{ print $1 * $2 }'; }

prev_waste=0 prev_rec=0
for i in $(seq 1 10); do
  # rising, random, at most 3/4 of the object: the run cannot finish first
  target=$(python3 -c "import random; print(int($SIZE * ($i - 1 + random.uniform(0.2, 0.8)) / 13))")
  "$FERRY" -q pull "$URL" -o "$OUT" 2>"$WORK/run$i.err" &
  pid=$!
  for _ in $(seq 1 1200); do # at most 60 s
    [ "$(on_disk)" -ge "$target" ] 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ -e "$OUT" ] && fail "run $i finished before its kill point ($target bytes)"
  [ -e "$OUT.part" ] || fail "run $i: $OUT.part is gone"
  grep -q '^ferry:' "$WORK/run$i.err" && fail "run $i failed: $(cat "$WORK/run$i.err")"
  wait_for 30 idle || fail "nginx kept connections open after kill $i"
  rec=$(recorded) s=$(sent)
  waste=$((s - rec))
  echo "kill $i at $target bytes on disk: sent $s, recorded $rec, fetched twice $((waste - prev_waste))" >&2
  [ "$rec" -ge "$prev_rec" ] || fail "kill $i: the record shrank ($prev_rec -> $rec): a run started over"
  [ $((waste - prev_waste)) -le "$CHUNK" ] || fail "kill $i: $((waste - prev_waste)) bytes were sent but not kept (more than a chunk)"
  prev_waste=$waste prev_rec=$rec
done

run_ferry -v pull "$URL" -o "$OUT"
assert_exit 0
grep -q 'resuming' "$WORK/err" || fail "the last run did not say it resumed: $(cat "$WORK/err")"
[ "$(sha256sum <"$OUT")" = "$want" ] || fail "the result differs from the object"
[ ! -e "$OUT.part" ] && [ ! -e "$OUT.part.ferry" ] || fail "FILE.part or its sidecar left behind"
wait_for 30 idle || fail "nginx kept connections open"
total=$(sent)
echo "sent $total bytes for a $SIZE-byte object and 10 kills" >&2
[ "$total" -le $((SIZE + 10 * CHUNK)) ] || fail "nginx sent $total bytes: more than the object plus one chunk per kill"
# SPEC: no secret on disk -- and nothing else either: the sidecar is ours
exit 0
