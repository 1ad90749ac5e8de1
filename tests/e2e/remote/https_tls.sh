#!/usr/bin/env bash
# HTTPS against nginx with a certificate from a CA made by the test.  An
# untrusted server is refused (one error line, exit 1, nothing written) by
# pull and by fetch of a .torrent URL; with the CA named in CURL_CA_BUNDLE
# (or AWS_CA_BUNDLE, SSL_CERT_FILE) push, ranged pull, save and restore
# work over TLS.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
unset AWS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE
start_nginx tls
case "$HTTP_BASE" in https://*) ;; *) fail "not https: $HTTP_BASE" ;; esac
CA=$WORK/tls/ca.pem
head -c 20000000 /dev/urandom >"$WORK/f.bin"
mkdir -p "$WORK/www/pre"
cp "$WORK/f.bin" "$WORK/www/pre/f.bin"

# untrusted: refused, nothing written
run_ferry pull "$HTTP_BASE/pre/f.bin" -o "$WORK/g.bin" --retries 1
assert_exit 1
assert_one_error_line 'TLS|certificate'
ls "$WORK" | grep -q '^g\.bin' && fail "an untrusted pull wrote something"

mkdir -p "$WORK/bundle/sub" && head -c 100000 /dev/urandom >"$WORK/bundle/sub/a.bin"
"$FERRY" -q make-torrent "$WORK/bundle" -o "$WORK/www/b.torrent" >/dev/null || fail "make-torrent"
run_ferry fetch "$HTTP_BASE/b.torrent" --list -o "$WORK/fx" --no-dht --no-lsd --no-upnp --listen 127.0.0.1:0
assert_exit 1
assert_one_error_line 'b\.torrent: .*(SSL|certificate)'

# trusted through CURL_CA_BUNDLE: ranged pull, push
CURL_CA_BUNDLE=$CA run_ferry pull "$HTTP_BASE/pre/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "pulled file differs"
n=$(grep -c '"GET /pre/f.bin HTTP/1.1" 206' "$WORK/nginx/access.log")
[ "$n" -ge 3 ] || fail "expected ranged GETs, got $n"
SSL_CERT_FILE=$CA run_ferry push "$WORK/f.bin" "$HTTP_BASE/up/f.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/www/up/f.bin" || fail "pushed file differs"
AWS_CA_BUNDLE=$CA run_ferry fetch "$HTTP_BASE/b.torrent" --list -o "$WORK/fx" --no-dht --no-lsd --no-upnp --listen 127.0.0.1:0
assert_exit 0
grep -q 'sub/a.bin' "$WORK/out" || fail "--list did not show the file: $(cat "$WORK/out")"

# save and restore over TLS
make_workspace "$WORK/ws" 1
CURL_CA_BUNDLE=$CA run_ferry save "$WORK/ws" "$HTTP_BASE/up/ws.tar.zst"
assert_exit 0
CURL_CA_BUNDLE=$CA run_ferry restore "$HTTP_BASE/up/ws.tar.zst" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "restored workspace differs"
exit 0
