#!/usr/bin/env bash
# pull resume and a changing object (nginx; a request with X-Slow is
# throttled, so a pull can be cut at a chosen byte count, and its rerun,
# without it, is fast).  Ctrl-C keeps FILE.part and its sidecar (exit
# 130) and the rerun asks only for the bytes not recorded; SIGTERM too.
# An object replaced between runs (same size, new ETag) is fetched whole
# and FILE is the new object; one replaced during a run answers 412 to the
# If-Match of the next GET and the run starts over by itself.
# --no-resume fetches everything and keeps nothing.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
need python3 curl sha256sum
CHUNK=$((2 << 20))
SIZE=$((24 << 20))
export FERRY_S3_PART_SIZE=$CHUNK
STATUS_PORT=$(free_port)
NGINX_HTTP_EXTRA="log_format bytes '\$request_method \$status \$body_bytes_sent \$http_range';
  access_log $WORK/nginx/bytes.log bytes;
  map \$http_x_slow \$pull_rate { default 0; 1 1m; }
  limit_rate \$pull_rate;
  server { listen 127.0.0.1:$STATUS_PORT; access_log off; location / { stub_status; } }"
start_nginx
URL="$HTTP_BASE/obj.bin"
OUT="$WORK/out.bin"

idle() { curl -s "http://127.0.0.1:$STATUS_PORT/" | grep -q '^Active connections: 1 *$'; }
sent() { awk '$1 == "GET" { s += $3 } END { print s + 0 }' "$WORK/nginx/bytes.log"; }
statuses() { awk '$1 == "GET" { print $2 }' "$WORK/nginx/bytes.log" | sort | uniq -c | tr '\n' ' '; }
recorded() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(b - a for a, b in d["done"]))' "$OUT.part.ferry"
}
on_disk() { stat -c '%b %B' "$OUT.part" 2>/dev/null | awk '{ print $1 * $2 }'; }
# make_object SEED MTIME: a new $WORK/www/obj.bin of SIZE bytes, put in
# place by rename (as a store would), with that mtime (so its ETag differs)
make_object() {
  python3 - "$WORK/www/obj.new" "$SIZE" "$1" <<'PY'
import hashlib, sys
path, size, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
block = b"".join(hashlib.sha256(seed + i.to_bytes(4, "little")).digest() for i in range(32768))
with open(path, "wb") as f:
    left = size
    while left > 0:
        f.write(block[:left]); left -= min(left, len(block))
PY
  touch -d "@$2" "$WORK/www/obj.new"
  mv "$WORK/www/obj.new" "$WORK/www/obj.bin"
  sha256sum <"$WORK/www/obj.bin"
}
# start_pull ARGS...: a slow ferry pull in the background (PULL_PID)
start_pull() {
  "$FERRY" -v pull "$URL" -o "$OUT" --header 'X-Slow: 1' "$@" 2>"$WORK/bg.err" &
  PULL_PID=$!
}
# stop_at BYTES SIGNAL: send SIGNAL once BYTES are on disk; wait; RC
stop_at() {
  for _ in $(seq 1 1200); do
    [ "$(on_disk)" -ge "$1" ] 2>/dev/null && break
    kill -0 "$PULL_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill "-$2" "$PULL_PID" 2>/dev/null
  wait "$PULL_PID"
  RC=$?
  wait_for 30 idle || fail "nginx kept connections open"
}

now=$(date +%s)
v1=$(make_object one $((now - 1000)))

# Ctrl-C: exit 130, both files kept, the rerun fetches exactly the rest
start_pull
stop_at $((SIZE / 3)) INT
[ "$RC" -eq 130 ] || { cat "$WORK/bg.err" >&2; fail "Ctrl-C: exit $RC, not 130"; }
[ -f "$OUT.part" ] && [ -f "$OUT.part.ferry" ] || fail "Ctrl-C removed FILE.part or its sidecar"
[ ! -e "$OUT" ] || fail "Ctrl-C left FILE"
grep -q 'kept .*out.bin.part.ferry' "$WORK/bg.err" || fail "no -v line about what was kept: $(cat "$WORK/bg.err")"
rec=$(recorded) before=$(sent)
[ "$rec" -gt 0 ] || fail "nothing recorded"
grep -q '"url":"http://127.0.0.1:[0-9]*/obj.bin"' "$OUT.part.ferry" || fail "sidecar URL: $(cat "$OUT.part.ferry")"
[ "$(stat -c %a "$OUT.part.ferry")" = 600 ] || fail "the sidecar is not 0600"
run_ferry -v --json pull "$URL" -o "$OUT"
assert_exit 0
[ "$(sha256sum <"$OUT")" = "$v1" ] || fail "resumed after Ctrl-C: differs"
wait_for 30 idle || fail "nginx busy"
again=$(( $(sent) - before ))
[ "$again" -eq $((SIZE - rec)) ] || fail "the rerun fetched $again bytes, the missing ones are $((SIZE - rec))"
grep -q "\"resumed\":$rec" "$WORK/out" || fail "done event: $(grep '"done"' "$WORK/out")"
[ ! -e "$OUT.part" ] && [ ! -e "$OUT.part.ferry" ] || fail "FILE.part or its sidecar left behind"
rm -f "$OUT"

# SIGTERM, then the object is replaced (same size, new ETag): start over
start_pull
stop_at $((SIZE / 2)) TERM
[ "$RC" -eq 130 ] || fail "SIGTERM: exit $RC, not 130"
[ -f "$OUT.part.ferry" ] || fail "SIGTERM removed the sidecar"
v2=$(make_object two $((now - 500)))
before=$(sent)
run_ferry -v pull "$URL" -o "$OUT"
assert_exit 0
grep -q 'the object changed since the last run (another ETag): starting over' "$WORK/err" || fail "no -v line about the change: $(cat "$WORK/err")"
[ "$(sha256sum <"$OUT")" = "$v2" ] || fail "after a change between runs: not the new object"
wait_for 30 idle || fail "nginx busy"
[ $(( $(sent) - before )) -eq "$SIZE" ] || fail "after a change: fetched $(( $(sent) - before )), not the whole object"
rm -f "$OUT"

# replaced during a run: 412, the run starts over, FILE is the new object
: >"$WORK/nginx/bytes.log.mark"
start_pull
for _ in $(seq 1 1200); do [ "$(on_disk)" -ge $((SIZE / 4)) ] 2>/dev/null && break; sleep 0.05; done
v3=$(make_object three $((now - 100)))
wait "$PULL_PID"
RC=$?
[ "$RC" -eq 0 ] || { cat "$WORK/bg.err" >&2; fail "replaced during the run: exit $RC"; }
grep -q 'the object changed during the download.*starting over' "$WORK/bg.err" || fail "no -v line about starting over: $(cat "$WORK/bg.err")"
[ "$(sha256sum <"$OUT")" = "$v3" ] || fail "replaced during the run: not the new object"
statuses | grep -q ' 412' || fail "no GET answered 412: $(statuses)"
rm -f "$OUT"

# --no-resume: a kept part is ignored and removed, everything is fetched
start_pull
stop_at $((SIZE / 2)) INT
[ -f "$OUT.part.ferry" ] || fail "no sidecar before --no-resume: $RC $(cat "$WORK/bg.err")"
wait_for 30 idle
before=$(sent)
run_ferry -v pull --no-resume "$URL" -o "$OUT"
assert_exit 0
[ "$(sha256sum <"$OUT")" = "$v3" ] || fail "--no-resume: differs"
wait_for 30 idle
[ $(( $(sent) - before )) -eq "$SIZE" ] || fail "--no-resume fetched $(( $(sent) - before )) bytes, not all"
[ ! -e "$OUT.part" ] && [ ! -e "$OUT.part.ferry" ] || fail "--no-resume left FILE.part or its sidecar"
rm -f "$OUT"
# and an interrupted --no-resume keeps nothing
start_pull --no-resume
stop_at $((SIZE / 3)) INT
[ "$RC" -eq 130 ] || fail "--no-resume, Ctrl-C: exit $RC"
[ ! -e "$OUT.part" ] && [ ! -e "$OUT.part.ferry" ] || fail "an interrupted --no-resume kept files"
exit 0
