#!/usr/bin/env bash
# pull resume treats FILE.part and FILE.part.ferry as hostile input.  A
# well-formed sidecar that names the object is trusted (only the missing
# bytes are fetched); any other -- garbage, a huge file, unknown keys,
# ranges outside the object or out of order, another size or URL, a
# FILE.part of another length, a symlink -- starts the download over and
# the result is the object.  A FILE.part that is a symlink, a FIFO or a
# hard link is removed, never written through (the files it points at stay
# as they were).  A server that sends no validator: nothing is trusted.
# Two pulls into one FILE: the second is refused.  No secret of the URL
# reaches the sidecar.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
need python3 curl sha256sum
SIZE=$((3 << 20))
# a request with X-Slow is throttled (for a pull that must stay running)
NGINX_HTTP_EXTRA="log_format bytes '\$request_method \$status \$body_bytes_sent \$http_range';
  access_log $WORK/nginx/bytes.log bytes;
  map \$http_x_slow \$pull_rate { default 0; 1 64k; }
  limit_rate \$pull_rate;"
start_nginx
head -c "$SIZE" /dev/urandom >"$WORK/www/obj.bin"
want=$(sha256sum <"$WORK/www/obj.bin")
URL="$HTTP_BASE/obj.bin"
OUT="$WORK/out.bin"
hdr() { curl -sI "$URL" | tr -d '\r' | sed -n "s/^$1: //Ip"; }
ETAG=$(hdr ETag) LASTMOD=$(hdr Last-Modified)
[ -n "$ETAG" ] && [ -n "$LASTMOD" ] || fail "nginx sent no validators"
sent() { awk '$1 == "GET" { s += $3 } END { print s + 0 }' "$WORK/nginx/bytes.log"; }

# sidecar [KEY=JSON...]: a sidecar for URL with [0, SIZE/2) done, with
# some keys replaced (VALUE is JSON; DROP removes the key)
sidecar() {
  python3 - "$URL" "$SIZE" "$ETAG" "$LASTMOD" "$@" <<'PY' >"$OUT.part.ferry"
import json, sys
url, size, etag, mod = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
d = {"format": "ferry-resume", "version": 1, "url": url, "size": size,
     "etag": etag, "modified": mod, "done": [[0, size // 2]]}
for kv in sys.argv[5:]:
    k, v = kv.split("=", 1)
    if v == "DROP":
        del d[k]
    else:
        d[k] = json.loads(v)
print(json.dumps(d, separators=(",", ":")))
PY
}
# half_part: FILE.part holds the first half of the object, SIZE long
half_part() {
  rm -f "$OUT.part"
  head -c $((SIZE / 2)) "$WORK/www/obj.bin" >"$OUT.part"
  truncate -s "$SIZE" "$OUT.part"
}
# pull_ok EXPECT_SENT: pull, exit 0, the object, nothing left, and nginx
# sent EXPECT_SENT bytes for it
pull_ok() {
  local before; before=$(sent)
  run_ferry -v pull "$URL" -o "$OUT"
  assert_exit 0
  [ "$(sha256sum <"$OUT")" = "$want" ] || fail "$CASE: the result differs"
  [ ! -e "$OUT.part" ] && [ ! -e "$OUT.part.ferry" ] && [ ! -e "$OUT.part.ferry.tmp" ] || fail "$CASE: files left behind"
  wait_for 10 test "$(( $(sent) - before ))" -eq "$1" || fail "$CASE: nginx sent $(( $(sent) - before )) bytes, expected $1"
  rm -f "$OUT"
}
# starts_over WARNING_PATTERN: the pull warns (or -v says) and fetches all
starts_over() {
  pull_ok "$SIZE"
  grep -Eq "$1" "$WORK/err" || fail "$CASE: expected '$1' on stderr: $(cat "$WORK/err")"
}

CASE="a valid sidecar"; half_part; sidecar
pull_ok $((SIZE - SIZE / 2))
grep -q 'resuming: 1.50 MiB of 3.00 MiB' "$WORK/err" || fail "$CASE: no -v line: $(cat "$WORK/err")"

CASE=garbage; half_part; printf 'garbage\0\001{' >"$OUT.part.ferry"
starts_over 'warning: .*out.bin.part.ferry: not a valid resume record \(not valid JSON'
CASE=huge; half_part; sidecar; head -c $((2 << 20)) /dev/zero | tr '\0' ' ' >>"$OUT.part.ferry"
starts_over 'warning: .*out.bin.part.ferry: not a resume record \(too large\)'
CASE="unknown key"; half_part; sidecar 'extra="x"'
starts_over 'not a valid resume record \(unknown key\)'
CASE="version 2"; half_part; sidecar 'version=2'
starts_over 'not a valid resume record \(not a ferry resume record'
CASE="no etag key"; half_part; sidecar 'etag=DROP'
starts_over 'not a valid resume record \(missing key\)'
CASE="a range outside"; half_part; sidecar "done=[[0,$((SIZE + 1))]]"
starts_over 'out of order or outside the object'
CASE="ranges out of order"; half_part; sidecar 'done=[[100,200],[0,50]]'
starts_over 'out of order or outside the object'
CASE="overlapping ranges"; half_part; sidecar 'done=[[0,200],[100,300]]'
starts_over 'out of order or outside the object'
CASE="negative range"; half_part; sidecar 'done=[[-5,10]]'
starts_over 'out of order or outside the object'
CASE="a control byte in the etag"; half_part; sidecar 'etag="\"x\u0007\""'
starts_over 'not a valid resume record \(bad "etag"\)'
CASE="another size"; half_part; sidecar "size=$((SIZE * 2))"
starts_over 'the object changed since the last run \(another size\)'
CASE="another ETag"; half_part; sidecar 'etag="\"0-0\""'
starts_over 'the object changed since the last run \(another ETag\)'
CASE="another URL"; half_part; sidecar "url=\"$HTTP_BASE/other.bin\""
starts_over 'holds a download of another URL'
CASE="FILE.part of another length"; half_part; truncate -s $((SIZE - 1)) "$OUT.part"; sidecar
starts_over 'out.bin.part is 3145727 bytes, the record says 3145728'
CASE="FILE.part without a sidecar"; half_part
starts_over 'no .*out.bin.part.ferry: starting over'

# the sidecar is a symlink to a well-formed record elsewhere: not read,
# and the file it points at is untouched
CASE="sidecar symlink"; half_part; sidecar; mv "$OUT.part.ferry" "$WORK/elsewhere.json"
cp "$WORK/elsewhere.json" "$WORK/elsewhere.orig"
ln -s "$WORK/elsewhere.json" "$OUT.part.ferry"
starts_over 'out.bin.part.ferry: not a resume record \(not a regular file\)'
cmp -s "$WORK/elsewhere.json" "$WORK/elsewhere.orig" || fail "$CASE: the link's target changed"

# FILE.part is a symlink to another file, a hard link to one, a FIFO
echo "precious" >"$WORK/victim"
CASE="FILE.part symlink"; rm -f "$OUT.part"; ln -s "$WORK/victim" "$OUT.part"; sidecar
starts_over 'out.bin.part: not a file ferry made'
CASE="FILE.part hard link"; ln "$WORK/victim" "$OUT.part"; sidecar
starts_over 'out.bin.part: not a file ferry made'
[ "$(cat "$WORK/victim")" = precious ] || fail "a linked victim file was written"
CASE="FILE.part FIFO"; mkfifo "$OUT.part"; sidecar
starts_over 'out.bin.part: not a file ferry made'
CASE="sidecar FIFO"; half_part; mkfifo "$OUT.part.ferry"
starts_over 'not a resume record \(not a regular file\)'

# a server without validators (http_range.py sends no ETag and no
# Last-Modified): -v says a cut pull will start over; a record for it is
# not trusted even when it names the URL
CASE="no validators"
start_http plain "$WORK/www"
half_part
python3 -c 'import json, sys
print(json.dumps({"format": "ferry-resume", "version": 1, "url": sys.argv[1],
                  "size": int(sys.argv[2]), "etag": None, "modified": None,
                  "done": [[0, int(sys.argv[2]) // 2]]}))' "${HTTP_URL}obj.bin" "$SIZE" >"$OUT.part.ferry"
run_ferry -v pull "${HTTP_URL}obj.bin" -o "$OUT"
assert_exit 0
grep -q 'the server sends no ETag or Last-Modified: an interrupted pull will start over' "$WORK/err" || fail "$CASE: $(cat "$WORK/err")"
[ "$(sha256sum <"$OUT")" = "$want" ] || fail "$CASE: the result differs"
[ ! -e "$OUT.part" ] && [ ! -e "$OUT.part.ferry" ] || fail "$CASE: files left behind"
[ "$(awk '$1 == "GET" { s += $5 } END { print s }' "$WORK/plain.log")" -eq "$SIZE" ] || fail "$CASE: not all fetched: $(cat "$WORK/plain.log")"
rm -f "$OUT"

# two pulls into one FILE: the second is refused, the first goes on
CASE="two pulls"
SECRET_URL="http://user:hunter2-password@${URL#http://}?token=sekrit-token-1234"
"$FERRY" pull "$SECRET_URL" -o "$OUT" --header 'X-Slow: 1' 2>"$WORK/first.err" &
first=$!
wait_for 20 test -s "$OUT.part.ferry" || fail "$CASE: the first pull made no sidecar"
run_ferry pull "$SECRET_URL" -o "$OUT"
assert_exit 1
assert_one_error_line 'another ferry is downloading into .*out.bin.part$'
# no secret of the URL on disk: user:password and token are not there
grep -q '"url":"http://user:\*\*\*@127.0.0.1:[0-9]*/obj.bin?token=\*\*\*"' "$OUT.part.ferry" || fail "sidecar URL: $(cat "$OUT.part.ferry")"
grep -Eq 'hunter2|sekrit' "$OUT.part.ferry" && fail "a secret reached the sidecar"
kill -INT "$first"
wait "$first"
[ $? -eq 130 ] || fail "$CASE: the first pull did not end with 130: $(cat "$WORK/first.err")"
grep -Eq 'hunter2|sekrit' "$OUT.part.ferry" && fail "a secret reached the sidecar"
run_ferry -v pull "$SECRET_URL" -o "$OUT"
assert_exit 0
grep -q 'resuming' "$WORK/err" || fail "the interrupted pull did not resume: $(cat "$WORK/err")"
[ "$(sha256sum <"$OUT")" = "$want" ] || fail "$CASE: the result differs"
exit 0
