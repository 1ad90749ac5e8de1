#!/usr/bin/env bash
# push/pull/save/restore over HTTP against nginx's WebDAV PUT: Content-Length
# PUT for a file, chunked PUT for save, parallel ranged GETs for pull and
# restore, --header sent, 404 -> "no such object", save's format taken from
# the object's name (not from a query string).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_nginx
head -c 1500000 /dev/urandom >"$WORK/f.bin"

run_ferry push "$WORK/f.bin" "$HTTP_BASE/up/f.bin" --header 'X-Ferry-Test: yes'
assert_exit 0
cmp "$WORK/f.bin" "$WORK/www/up/f.bin" || fail "pushed file differs"
run_ferry pull "$HTTP_BASE/up/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "pulled file differs"
n=$(grep -c '"GET /up/f.bin HTTP/1.1" 206' "$WORK/nginx/access.log")
[ "$n" -eq 23 ] || fail "expected 23 ranged GETs, got $n"

make_workspace "$WORK/ws" 1
run_ferry save "$WORK/ws" "$HTTP_BASE/up/ws.tar.zst"
assert_exit 0
grep -q '"PUT /up/ws.tar.zst HTTP/1.1" 201' "$WORK/nginx/access.log" || fail "no PUT of the archive"
run_ferry restore "$HTTP_BASE/up/ws.tar.zst" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "restored tree differs"
# the format follows the object's name, not a pre-signed query string
run_ferry save "$WORK/ws" "$HTTP_BASE/up/ws.tar.gz?X-Amz-Signature=0123abcd"
assert_exit 0
[ "$(head -c 2 "$WORK/www/up/ws.tar.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ] || fail "ws.tar.gz?query was not saved as gzip"

run_ferry pull "$HTTP_BASE/up/missing.bin" -o "$WORK/m.bin"
assert_exit 1
assert_one_error_line '^ferry: http://127.0.0.1:[0-9]+/up/missing.bin: no such object \(HTTP 404\)$'
[ ! -e "$WORK/m.bin" ] || fail "missing object created a file"
run_ferry restore "$HTTP_BASE/up/missing.tar.zst" "$WORK/none"
assert_exit 1
[ ! -e "$WORK/none" ] || fail "missing object created DIR"
exit 0
