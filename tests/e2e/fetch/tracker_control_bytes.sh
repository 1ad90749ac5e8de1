#!/usr/bin/env bash
# Text from the network is escaped before ferry prints it: a tracker whose
# failure reason carries terminal control bytes (ESC sequences, BEL, CR)
# shows up in -v lines, JSON events and the stall error as \xNN, never as
# raw bytes that could move the cursor or forge a line.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 1 1
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0

port=$(free_port)
cat >"$WORK/tracker.py" <<'PY'
import http.server, sys
reason = b"\x1b[2J\x1b[31mferry: fake line\x07\r"
body = b"d14:failure reason%d:%se" % (len(reason), reason)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        sys.stdout.write("GET %s\n" % self.path)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
start_bg tracker python3 -u "$WORK/tracker.py" "$port"
wait_for 10 port_open "$port" || fail "the tracker did not start"

run_ferry -v fetch "$WORK/b.torrent" -o "$WORK/dst" --tracker "http://127.0.0.1:$port/announce" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 3 --timeout 30
assert_exit 5
grep -q 'GET /announce' "$WORK/tracker.log" || fail "ferry never asked the tracker"
if LC_ALL=C grep -q $'[\x1b\x07\r]' "$WORK/err"; then
  fail "raw control bytes reached stderr: $(od -c "$WORK/err" | head -20)"
fi
grep -q '\\x1b\[31mferry: fake line\\x07' "$WORK/err" || fail "the escaped reason is missing: $(cat "$WORK/err")"
[ "$(grep -c '^ferry: ' "$WORK/err")" -eq 1 ] || fail "more than one 'ferry:' line: $(cat "$WORK/err")"

run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst2" --tracker "http://127.0.0.1:$port/announce" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 3 --timeout 30
assert_exit 5
grep -q '"event":"tracker_error"' "$WORK/out" || fail "no tracker_error event"
if LC_ALL=C grep -q $'[\x1b\x07\r]' "$WORK/out" "$WORK/err"; then
  fail "raw control bytes in the JSON output"
fi
exit 0
