#!/usr/bin/env bash
# Proxies (issue 15): storage goes through libcurl, which reads the usual
# proxy variables, and ferry never turns that off; the README, the man page
# and the storage commands' --help say so.  A recording "proxy" on
# 127.0.0.1 logs the first line of every request it gets and answers
# nothing, beside a plain HTTP server with the object:
#   - http_proxy: pull asks the proxy (absolute-form request line), exit 1
#   - NO_PROXY=127.0.0.1 with http_proxy: pull goes straight to the server
#   - HTTP_PROXY (upper case, ignored by libcurl: httpoxy): straight there
#   - ALL_PROXY: pull asks the proxy
#   - a .torrent URL given to fetch goes through http_proxy too
#   - sftp:// with ALL_PROXY tunnels through the proxy (CONNECT host:port)
# Everything here is 127.0.0.1: a regression that ignored the variables
# would reach the loopback server directly and fail the assertions.
. "$(dirname "$0")/../lib.sh"
need python3 ssh-keygen
unset http_proxy https_proxy HTTPS_PROXY HTTP_PROXY ALL_PROXY all_proxy NO_PROXY no_proxy

mkdir -p "$WORK/srv"
printf 'the object\n' >"$WORK/srv/obj"
make_payload "$WORK/src/bundle" 1 1
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/srv/b.torrent"
assert_exit 0

hport=$(free_port)
start_bg http python3 -m http.server "$hport" --bind 127.0.0.1 --directory "$WORK/srv"
wait_for 10 port_open "$hport" || fail "the HTTP server did not start"

pport=$(free_port)
cat >"$WORK/proxy.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        d = c.recv(4096)
    except OSError:
        d = b""
    line = d.split(b"\r\n")[0].decode("latin-1")
    if line:
        print("REQ " + line, flush=True)
    c.close()
PY
start_bg proxy python3 -u "$WORK/proxy.py" "$pport"
wait_for 10 port_open "$pport" || fail "the proxy did not start"
proxy="http://127.0.0.1:$pport"
obj="http://127.0.0.1:$hport/obj"
asked() { grep -c "^REQ " "$WORK/proxy.log"; }

# http_proxy: the request goes to the proxy, which answers nothing
http_proxy=$proxy run_ferry -q pull "$obj" -o "$WORK/a" --retries 0
assert_exit 1
grep -q "^REQ [A-Z]* $obj HTTP/1" "$WORK/proxy.log" || fail "http_proxy not used: $(cat "$WORK/proxy.log")"
[ ! -e "$WORK/a" ] || fail "a file from nowhere"

# NO_PROXY: straight to the server, the proxy asked nothing more
n=$(asked)
http_proxy=$proxy NO_PROXY=127.0.0.1 run_ferry -q pull "$obj" -o "$WORK/b" --retries 0
assert_exit 0
cmp -s "$WORK/srv/obj" "$WORK/b" || fail "NO_PROXY pull: wrong bytes"
[ "$(asked)" -eq "$n" ] || fail "NO_PROXY=127.0.0.1 still went through the proxy"

# HTTP_PROXY in upper case is not read for http:// (libcurl, httpoxy)
HTTP_PROXY=$proxy run_ferry -q pull "$obj" -o "$WORK/c" --retries 0
assert_exit 0
cmp -s "$WORK/srv/obj" "$WORK/c" || fail "HTTP_PROXY pull: wrong bytes"
[ "$(asked)" -eq "$n" ] || fail "HTTP_PROXY was used"

# ALL_PROXY: every scheme
ALL_PROXY=$proxy run_ferry -q pull "$obj" -o "$WORK/d" --retries 0
assert_exit 1
[ "$(asked)" -gt "$n" ] || fail "ALL_PROXY not used"

# fetch's .torrent URL goes through libcurl as well
n=$(asked)
http_proxy=$proxy run_ferry -q fetch "http://127.0.0.1:$hport/b.torrent" -o "$WORK/dst" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --timeout 20
assert_exit 1
grep -q "^REQ GET http://127.0.0.1:$hport/b.torrent HTTP/1" "$WORK/proxy.log" ||
  fail "the .torrent URL did not go through http_proxy: $(cat "$WORK/proxy.log")"

# sftp:// through an HTTP proxy: a CONNECT tunnel to HOST:PORT
ssh-keygen -q -t ed25519 -N '' -f "$WORK/key" || fail "ssh-keygen"
: >"$WORK/known_hosts"
ALL_PROXY=$proxy run_ferry -q pull "sftp://me@127.0.0.1:$hport/srv/obj" -o "$WORK/e" \
  --ssh-key "$WORK/key" --insecure-host --known-hosts "$WORK/known_hosts" --retries 0
assert_exit 1
grep -q 'Proxy CONNECT' "$WORK/err" || fail "sftp: $(cat "$WORK/err")"
grep -q "^REQ CONNECT 127.0.0.1:$hport HTTP/1" "$WORK/proxy.log" ||
  fail "sftp did not tunnel through ALL_PROXY: $(cat "$WORK/proxy.log")"
exit 0
