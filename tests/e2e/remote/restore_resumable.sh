#!/usr/bin/env bash
# restore and resume (nginx; a request with X-Slow is throttled so a
# restore can be cut at a chosen byte count).  By default a restore keeps
# no file but the new tree: an interrupted one leaves nothing behind.
# --resumable keeps the archive in DIR.ferry-download.part as it arrives:
# after Ctrl-C (exit 130, DIR untouched) or kill -9 the rerun -- with or
# without the flag -- downloads only what the record lacks, unpacks from
# the start and removes both files once DIR is restored.  An archive
# replaced between runs is fetched whole; --no-resume removes the files.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
need python3 curl
CHUNK=$((1 << 20))
export FERRY_S3_PART_SIZE=$CHUNK
STATUS_PORT=$(free_port)
NGINX_HTTP_EXTRA="log_format bytes '\$request_method \$status \$body_bytes_sent \$http_range';
  access_log $WORK/nginx/bytes.log bytes;
  map \$http_x_slow \$pull_rate { default 0; 1 1m; }
  limit_rate \$pull_rate;
  server { listen 127.0.0.1:$STATUS_PORT; access_log off; location / { stub_status; } }"
start_nginx
make_workspace "$WORK/ws" 16
"$FERRY" -q pack "$WORK/ws" -o "$WORK/www/ws.tar.zst" || fail "pack"
SIZE=$(stat -c %s "$WORK/www/ws.tar.zst")
URL="$HTTP_BASE/ws.tar.zst"
DIR="$WORK/dir"
CACHE="$WORK/dir.ferry-download.part"
mkdir -p "$DIR" && echo precious >"$DIR/keep.txt"
idle() { curl -s "http://127.0.0.1:$STATUS_PORT/" | grep -q '^Active connections: 1 *$'; }
sent() { awk '$1 == "GET" { s += $3 } END { print s + 0 }' "$WORK/nginx/bytes.log"; }
recorded() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(b - a for a, b in d["done"]))' "$CACHE.ferry"
}
on_disk() { stat -c '%b %B' "$CACHE" 2>/dev/null | awk '{ print $1 * $2 }'; }
untouched() { [ "$(ls "$DIR")" = keep.txt ] && [ "$(cat "$DIR/keep.txt")" = precious ]; }
# stop_at BYTES SIGNAL ARGS...: a slow restore --force in the background,
# SIGNAL once BYTES are in the cache (or, without a cache, after BYTES
# were sent); RC is its exit code
stop_at() {
  local bytes=$1 sig=$2; shift 2
  local base; base=$(sent)
  "$FERRY" -v restore --force "$URL" "$DIR" --header 'X-Slow: 1' "$@" 2>"$WORK/bg.err" &
  local pid=$!
  for _ in $(seq 1 1200); do
    [ "$(on_disk)" -ge "$bytes" ] 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill "-$sig" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  RC=$?
  wait_for 30 idle || fail "nginx kept connections open"
}

# no flag: no file but the tree, and nothing left after Ctrl-C (cut
# once a third of the archive is unpacked in the staging directory)
staged() { du -sb "$WORK"/dir.ferry-* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
"$FERRY" -v restore --force "$URL" "$DIR" --header 'X-Slow: 1' 2>"$WORK/bg.err" &
pid=$!
for _ in $(seq 1 1200); do
  [ "$(staged)" -ge $((SIZE / 3)) ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
kill -INT "$pid"
wait "$pid"
[ $? -eq 130 ] || fail "plain restore, Ctrl-C: not 130: $(cat "$WORK/bg.err")"
wait_for 30 idle
untouched || fail "an interrupted restore touched DIR"
[ -z "$(ls "$WORK" | grep -E 'ferry-download|dir\.ferry-')" ] || fail "a plain restore left files: $(ls "$WORK")"

# --resumable, Ctrl-C at a third: 130, DIR untouched, the download kept
stop_at $((SIZE / 3)) INT --resumable
[ "$RC" -eq 130 ] || fail "--resumable, Ctrl-C: exit $RC: $(cat "$WORK/bg.err")"
untouched || fail "an interrupted restore touched DIR"
[ -f "$CACHE" ] && [ -f "$CACHE.ferry" ] || fail "--resumable kept nothing: $(ls "$WORK")"
rec=$(recorded) before=$(sent)
# the rerun needs no flag: it finds the kept download
run_ferry -v --json restore --force "$URL" "$DIR"
assert_exit 0
same_workspace "$WORK/ws" "$DIR" || fail "resumed restore differs"
wait_for 30 idle
[ $(( $(sent) - before )) -eq $((SIZE - rec)) ] || fail "the rerun fetched $(( $(sent) - before )) bytes, missing were $((SIZE - rec))"
grep -q "\"resumed\":$rec," "$WORK/out" || fail "done event: $(grep '"done"' "$WORK/out")"
[ ! -e "$CACHE" ] && [ ! -e "$CACHE.ferry" ] || fail "the kept download was not removed"

# kill -9 at a half: the rerun fetches at most a chunk twice
rm -rf "$DIR" && mkdir -p "$DIR" && echo precious >"$DIR/keep.txt"
stop_at $((SIZE / 2)) KILL --resumable
untouched || fail "a killed restore touched DIR"
rec=$(recorded) before=$(sent)
[ "$rec" -gt 0 ] || fail "kill -9: nothing recorded"
run_ferry restore --resumable --force "$URL" "$DIR"
assert_exit 0
same_workspace "$WORK/ws" "$DIR" || fail "restore after kill -9 differs"
wait_for 30 idle
[ $(( $(sent) - before )) -eq $((SIZE - rec)) ] || fail "after kill -9: fetched $(( $(sent) - before )), missing were $((SIZE - rec))"

# the archive replaced between runs: the kept bytes are not used
stop_at $((SIZE / 2)) INT --resumable
[ -f "$CACHE.ferry" ] || fail "no record"
echo "new file" >"$WORK/ws/new.txt"
"$FERRY" -q pack "$WORK/ws" -o "$WORK/new.tar.zst" || fail "pack"
touch -d '@1700000000' "$WORK/new.tar.zst" && mv "$WORK/new.tar.zst" "$WORK/www/ws.tar.zst"
run_ferry -v restore --force "$URL" "$DIR"
assert_exit 0
grep -q 'the object changed since the last run' "$WORK/err" || fail "no -v line: $(cat "$WORK/err")"
same_workspace "$WORK/ws" "$DIR" || fail "after the archive changed: not the new tree"

# --no-resume removes a kept download and keeps nothing
stop_at $((SIZE / 2)) INT --resumable
[ -f "$CACHE" ] || fail "no kept download"
run_ferry restore --no-resume --force "$URL" "$DIR"
assert_exit 0
[ ! -e "$CACHE" ] && [ ! -e "$CACHE.ferry" ] || fail "--no-resume left the kept download"
run_ferry restore --no-resume --resumable "$URL" "$DIR"
assert_exit 2
exit 0
