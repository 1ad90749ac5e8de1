# tests/e2e/lib.sh - shared helpers for end-to-end scripts.  Source it first:
#   . "$(dirname "$0")/../lib.sh"
#
# Gives: $FERRY (the binary under test), $WORK (a fresh private directory,
# removed on exit), start_bg/stop_bg (processes this script started, by PID,
# always stopped on exit), free_port, wait_for, assert_* helpers, and
# LOOPBACK_FLAGS (every ferry session here runs with DHT, LSD, UPnP and
# NAT-PMP off and listens on 127.0.0.1 only).
#
# Exit status: 0 pass, 1 fail, 77 skip (a tool the test needs is missing).
set -u

: "${FERRY:?FERRY must point at the ferry binary (ctest sets it)}"
FERRY_TESTS_DIR=${FERRY_TESTS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferry-e2e-$TEST_NAME.XXXXXX")
LOOPBACK_FLAGS=(--no-dht --no-lsd --no-upnp)
_bg_pids=()
# Every JSON event any ferry of this test prints (--json) is copied here
# (ferry appends with O_APPEND) and checked against the schema on exit:
# an event without "command", a -1, a field of the wrong type fails the
# test (doc/json.md, tests/e2e/json_check.py).  Beside $WORK, not in it.
FERRY_TEST_JSON_LOG="$WORK.events"
export FERRY_TEST_JSON_LOG
JSON_SCHEMA="$FERRY_TESTS_DIR/../doc/ferry-events.schema.json"

# check_json_log [FILE]: every line of FILE (default: this test's log)
# is an event the schema accepts; fails the test otherwise.
check_json_log() {
  local log=${1:-$FERRY_TEST_JSON_LOG} rc=0
  [ -s "$log" ] || return 0
  [ -x /usr/bin/python3 ] || { echo "NOTE: $TEST_NAME: JSON events not checked: no /usr/bin/python3" >&2; return 0; }
  /usr/bin/python3 "$FERRY_TESTS_DIR/e2e/json_check.py" "$JSON_SCHEMA" "$log" || rc=$?
  case $rc in
    0) return 0 ;;
    77) echo "NOTE: $TEST_NAME: JSON events not checked: python3-jsonschema missing (scripts/deps)" >&2; return 0 ;;
    *) echo "FAIL: $TEST_NAME: ferry printed JSON events that do not match $JSON_SCHEMA" >&2; return 1 ;;
  esac
}

_cleanup() {
  local rc=$?
  for pid in "${_bg_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${_bg_pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  # every event the test made ferry print, once all of them have ended
  if [ "$rc" -ne 77 ] && ! check_json_log && [ "$rc" -eq 0 ]; then
    rc=1
  fi
  rm -f -- "$FERRY_TEST_JSON_LOG"
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -z "${KEEP_WORK:-}" ]; then
    echo "--- last lines of the logs in $WORK (set KEEP_WORK=1 to keep it) ---" >&2
    for f in "$WORK"/*.log "$WORK"/*.err; do
      [ -f "$f" ] && { echo "== $f" >&2; tail -n 20 "$f" >&2; }
    done
    rm -rf -- "$WORK"
  elif [ -z "${KEEP_WORK:-}" ]; then
    rm -rf -- "$WORK"
  fi
  exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $TEST_NAME: $*" >&2; exit 1; }
skip() { echo "SKIP: $TEST_NAME: $*" >&2; exit 77; }
need() { for t in "$@"; do command -v "$t" >/dev/null 2>&1 || skip "needs $t"; done; }

# start_bg NAME CMD...: run CMD in the background under a time limit, output
# in $WORK/NAME.log; the PID goes in $BG_PID and is stopped on exit.
start_bg() {
  local name=$1; shift
  timeout --signal=TERM --kill-after=5 600 "$@" >"$WORK/$name.log" 2>&1 </dev/null &
  BG_PID=$!
  _bg_pids+=("$BG_PID")
}

# stop_bg PID [SIGNAL]: stop one process we started and wait for it.
stop_bg() {
  local pid=$1 sig=${2:-TERM}
  kill "-$sig" "$pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
wait_for() {
  local secs=$1; shift
  local n=$((secs * 10))
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# port_open PORT: something listens on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# run_ferry ARGS...: run ferry; stdout in $WORK/out, stderr in $WORK/err,
# exit code in $RC.  Never fails by itself.
run_ferry() {
  "$FERRY" "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  if [ "$RC" -gt 128 ] && [ "$RC" -ne 130 ]; then
    cat "$WORK/err" >&2
    fail "ferry $* crashed (exit $RC)"
  fi
  return 0
}

# assert_exit CODE: the last run_ferry exited CODE.
assert_exit() {
  [ "$RC" -eq "$1" ] || { cat "$WORK/err" >&2; fail "expected exit $1, got $RC"; }
}

# assert_one_error_line PATTERN: stderr is exactly one "ferry: " line that
# matches the extended regex PATTERN.
assert_one_error_line() {
  local n
  n=$(grep -c '^ferry: ' "$WORK/err")
  [ "$n" -eq 1 ] || { cat "$WORK/err" >&2; fail "expected one 'ferry:' line, got $n"; }
  grep -qE "$1" "$WORK/err" || { cat "$WORK/err" >&2; fail "stderr does not match: $1"; }
}

# make_payload DIR MB [NFILES]: deterministic pseudo-random files (not
# piece-aligned), half of them in DIR/sub/.
make_payload() {
  python3 - "$@" <<'PY'
import hashlib, os, sys
d, mb = sys.argv[1], int(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 3
os.makedirs(os.path.join(d, "sub"), exist_ok=True)
total = mb * 1024 * 1024
for i in range(n):
    size = total // n + i * 4099 + 17
    path = os.path.join(d, "sub" if i % 2 else "", "file%d.bin" % i)
    seed = hashlib.sha256(b"ferry-%d" % i).digest()
    with open(path, "wb") as f:
        block, ctr = b"", 0
        left = size
        while left > 0:
            chunk = b"".join(hashlib.sha256(seed + (ctr + k).to_bytes(8, "little")).digest() for k in range(2048))
            ctr += 2048
            f.write(chunk[:left])
            left -= len(chunk[:left])
PY
}

# same_tree A B: every regular file under A is in B with the same content.
same_tree() {
  (cd "$1" && find . -type f ! -path './.ferry/*' -print0 | sort -z | xargs -0 sha256sum) >"$WORK/a.sum"
  (cd "$2" && find . -type f ! -path './.ferry/*' ! -name '.*.parts' -print0 | sort -z | xargs -0 sha256sum) >"$WORK/b.sum"
  diff -u "$WORK/a.sum" "$WORK/b.sum" >&2
}

# start_seed TORRENT DIR: `ferry seed` on 127.0.0.1 with a free port;
# sets SEED_PID and SEED_PORT once it is seeding.
start_seed() {
  local torrent=$1 dir=$2 name=${3:-seed}
  start_bg "$name" "$FERRY" --json seed "$torrent" -d "$dir" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" "${@:4}"
  SEED_PID=$BG_PID
  wait_for 60 grep -q '"event":"seeding"' "$WORK/$name.log" || fail "ferry seed did not start: $(tail -3 "$WORK/$name.log")"
  SEED_PORT=$(sed -n 's/.*"event":"seeding".*"port":\([0-9]*\).*/\1/p' "$WORK/$name.log" | head -1)
  [ -n "$SEED_PORT" ] || fail "ferry seed printed no port"
}

# start_tracker INFOHASH...: opentracker on a free port with a whitelist of
# these info-hashes (Debian's build serves only whitelisted ones); sets
# TRACKER_URL and TRACKER_PID.
start_tracker() {
  need opentracker
  local port; port=$(free_port)
  mkdir -p "$WORK/ot"
  printf '%s\n' "$@" >"$WORK/ot/whitelist.txt"
  chmod 755 "$WORK" "$WORK/ot"; chmod 644 "$WORK/ot/whitelist.txt"
  if [ "$(id -u)" -eq 0 ]; then
    start_bg tracker opentracker -i 127.0.0.1 -p "$port" -P "$port" -d "$WORK/ot" -u nobody -w whitelist.txt
  else
    start_bg tracker opentracker -i 127.0.0.1 -p "$port" -P "$port" -w "$WORK/ot/whitelist.txt"
  fi
  TRACKER_PID=$BG_PID
  wait_for 10 port_open "$port" || fail "opentracker did not start"
  TRACKER_URL="http://127.0.0.1:$port/announce"
}

# infohash_of TORRENT: the v1 info-hash (hex) of a .torrent file.
infohash_of() {
  "$FERRY" --json fetch "$1" --list --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" 2>/dev/null \
    | sed -n 's/.*"event":"start".*"infohash":"\([0-9a-f]*\)".*/\1/p' | head -1
}

# ---------------------------------------------------------------------------
# Helpers for the fetch/seed tests: other clients, servers, JSON events.

# Loopback traffic never goes through a proxy (libcurl honours these).
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY ftp_proxy
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
SERVERS_DIR="$FERRY_TESTS_DIR/e2e/servers"

# The AWS credential chain sees only what a test sets up: no instance
# metadata (169.254.169.254 is never asked; IMDS tests point
# AWS_EC2_METADATA_SERVICE_ENDPOINT at a server on 127.0.0.1), no
# container or web identity settings of the machine, and shared files in
# $WORK/aws (absent until a test writes them), never the user's ~/.aws.
export AWS_EC2_METADATA_DISABLED=true
unset AWS_EC2_METADATA_SERVICE_ENDPOINT AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE
unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI
unset AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
unset AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_ROLE_SESSION_NAME
unset AWS_ENDPOINT_URL_STS AWS_IGNORE_CONFIGURED_ENDPOINT_URLS AWS_PROFILE
export AWS_CONFIG_FILE="$WORK/aws/config"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/aws/credentials"

# aria2c, loopback only: no DHT/DHT6/LPD/PEX, no IPv6, every socket on
# 127.0.0.1, no config file, no console noise.
ARIA2_FLAGS=(--no-conf=true --enable-dht=false --enable-dht6=false
  --bt-enable-lpd=false --enable-peer-exchange=false --disable-ipv6=true
  --interface=127.0.0.1 --summary-interval=0 --show-console-readout=false
  --console-log-level=warn --download-result=hide --file-allocation=none)

# start_aria2_seed NAME TORRENT DIR [aria2c options...]: aria2c seeding the
# complete copy in DIR (which holds the torrent's top directory) forever,
# after verifying it (pass --bt-seed-unverified=true to skip that).  Sets
# ARIA2_PID and ARIA2_PORT once it listens.
start_aria2_seed() {
  local name=$1 torrent=$2 dir=$3; shift 3
  need aria2c
  ARIA2_PORT=$(free_port)
  local verify=(-V --bt-hash-check-seed=true)
  case " $* " in *" --bt-seed-unverified=true "*) verify=() ;; esac
  start_bg "$name" aria2c "${ARIA2_FLAGS[@]}" "${verify[@]}" --seed-ratio=0.0 \
    --listen-port="$ARIA2_PORT" --dir="$dir" --bt-tracker-interval=1 \
    --log="$WORK/$name.aria2.log" --log-level=info "$@" "$torrent"
  ARIA2_PID=$BG_PID
  wait_for 60 port_open "$ARIA2_PORT" || fail "aria2c seeder $name did not listen: $(tail -3 "$WORK/$name.log")"
}

# start_http NAME ROOT [RATE]: tests/e2e/servers/http_range.py serving ROOT
# on a free 127.0.0.1 port (byte ranges, one log line per request in
# $WORK/NAME.log; RATE: bytes/s per connection, see http_range.py).
# Sets HTTP_PORT, HTTP_PID and HTTP_URL (ending with '/').
start_http() {
  local name=$1 root=$2
  HTTP_PORT=$(free_port)
  start_bg "$name" python3 -u "$SERVERS_DIR/http_range.py" "$root" "$HTTP_PORT" "${@:3}"
  HTTP_PID=$BG_PID
  wait_for 10 port_open "$HTTP_PORT" || fail "http_range.py did not start: $(tail -3 "$WORK/$name.log")"
  HTTP_URL="http://127.0.0.1:$HTTP_PORT/"
}

# scrape TRACKER_ANNOUNCE_URL INFOHASH: prints "complete incomplete downloaded"
# (0 0 0 when the tracker does not know the torrent).
scrape() {
  python3 - "$1" "$2" <<'PY'
import re, sys, urllib.parse, urllib.request
url, ih = sys.argv[1], bytes.fromhex(sys.argv[2])
url = url.replace("/announce", "/scrape") + "?info_hash=" + urllib.parse.quote(ih, safe="")
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
body = opener.open(url, timeout=5).read()
i = body.find(b"20:" + ih)
if i < 0:
    print("0 0 0"); sys.exit(0)
d = body[i + 23:]
def num(key):
    m = re.search(rb"%d:%si(\d+)e" % (len(key), key), d)
    return int(m.group(1)) if m else 0
print(num(b"complete"), num(b"incomplete"), num(b"downloaded"))
PY
}

# tracker_has FIELD MIN TRACKER_URL INFOHASH: the tracker's scrape shows at
# least MIN seeders (FIELD 1) or leechers (FIELD 2); for wait_for.
tracker_has() {
  local n
  n=$(scrape "$3" "$4" 2>/dev/null | cut -d' ' -f"$1")
  [ -n "$n" ] && [ "$n" -ge "$2" ]
}

# json_count EVENT FILE: how many JSON lines of that event FILE holds.
json_count() {
  grep -c "^{\"event\":\"$1\"" "$2" 2>/dev/null || true
}

# json_last EVENT FIELD FILE: the numeric FIELD of the last EVENT line
# (empty if none).
json_last() {
  grep "^{\"event\":\"$1\"" "$3" 2>/dev/null | tail -1 \
    | sed -n "s/.*\"$2\":\\(-\\{0,1\\}[0-9.e+]*\\).*/\\1/p"
}

# child_of PID: the (first) child of a process start_bg started, i.e. the
# real command under its `timeout` wrapper.
child_of() {
  local c
  c=$(cut -d' ' -f1 2>/dev/null <"/proc/$1/task/$1/children")
  [ -n "$c" ] && echo "$c"
}

# tree_snapshot DIR [EXCLUDE_PATH...]: every path under DIR (sorted), minus
# the excluded subtrees; to compare before/after a run.
tree_snapshot() {
  local dir=$1; shift
  local args=() x
  for x in "$@"; do args+=(-path "$x" -prune -o); done
  find "$dir" "${args[@]}" -print | sort
}

# bt ARGS...: tests/e2e/servers/bt.py (infohash, piece-length, resume-have,
# craft); see its header.
bt() { python3 "$SERVERS_DIR/bt.py" "$@"; }

# torrent_infohash TORRENT: the v1 info-hash (hex) of a .torrent, computed
# by the test itself (not by ferry).
torrent_infohash() { bt infohash "$1"; }

# payload_bytes DIR: total size of the regular files under DIR.
payload_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
