#!/usr/bin/env bash
# SPEC: a reader that closes ferry's stdout ends ferry quietly, as for any
# Unix filter (issue 10, item 1).  ferry ignores SIGPIPE, so it exits 141
# (128 + SIGPIPE, what a shell shows for a filter SIGPIPE ended, and what
# `set -o pipefail` sees) with nothing on stderr, and stops early.
#   - real pipes to head: list, --json list, list --json, pull -o -,
#     pack -o -, fetch --list; each writes megabytes, far more than a pipe
#     holds, so the pipe is closed while ferry still writes; and --json
#     fetch | head -1, whose fetch (no peer) would otherwise never end
#   - a pipe closed before ferry starts (deterministic for short outputs):
#     make-torrent's magnet line, --help, fetch --list
#   - a stdout that fails otherwise (a full device) is still exit 1 with
#     "ferry: stdout: No space left on device"
. "$(dirname "$0")/../lib.sh"
need python3 head

# many entries with long names: `list` prints about 2.4 MiB
python3 - "$WORK/many" <<'PY'
import os, sys
d = sys.argv[1]
os.makedirs(d)
for i in range(10000):
    with open(os.path.join(d, "%s%05d" % ("n" * 200, i)), "w") as f:
        f.write("x")
PY
"$FERRY" -q pack "$WORK/many" -o "$WORK/many.tar.zst" || fail "pack many"
mkdir -p "$WORK/big"
head -c $((8 << 20)) /dev/urandom >"$WORK/big/data.bin"
"$FERRY" -q pack "$WORK/big" -o "$WORK/big.tar.zst" --level 1 || fail "pack big"

# piped NAME ARGS...: run ferry ARGS | head -c 100 (stderr in $WORK/NAME.err);
# its exit code in $RC
piped() {
  local name=$1; shift
  set -o pipefail
  "$FERRY" "$@" 2>"$WORK/$name.err" | head -c 100 >/dev/null
  RC=$?
  set +o pipefail
}
# quiet NAME: exit 141 and no "ferry:" line (progress lines may be there)
quiet() {
  [ "$RC" -eq 141 ] || { cat "$WORK/$1.err" >&2; fail "$1: expected exit 141, got $RC"; }
  if grep -q '^ferry: ' "$WORK/$1.err"; then
    cat "$WORK/$1.err" >&2; fail "$1: a message for a closed pipe"
  fi
  return 0
}

piped list list "$WORK/many.tar.zst"
quiet list
piped json_list --json list "$WORK/many.tar.zst"
quiet json_list
piped list_json list "$WORK/many.tar.zst" --json
quiet list_json
piped pull pull "file://$WORK/big.tar.zst" -o -
quiet pull
piped pack pack "$WORK/big" -o -
quiet pack
ls "$WORK"/*.part 2>/dev/null && fail "a .part was left"

# fetch --list of a torrent with 1000 long names: 210 KiB of rows, more
# than a pipe holds
mkdir -p "$WORK/some"
cp "$WORK/many/"*00[0-9]?? "$WORK/some/" 2>/dev/null
[ "$(find "$WORK/some" -type f | wc -l)" -eq 1000 ] || fail "copy some"
"$FERRY" -q make-torrent "$WORK/some" -o "$WORK/some.torrent" >/dev/null || fail "make-torrent"
piped fetch_list fetch "$WORK/some.torrent" --list --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}"
quiet fetch_list

# --json fetch | head -1: the events stop at once, not the fetch's end
# (it has no peer and would wait forever): it stops as on a signal,
# quietly, bounded here by timeout
set -o pipefail
FERRY_PROGRESS_INTERVAL=0.1 timeout -k 5 60 "$FERRY" --json fetch "$WORK/some.torrent" -o "$WORK/dl" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 0 2>"$WORK/json_fetch.err" | head -1 >"$WORK/first"
RC=$?
set +o pipefail
quiet json_fetch
grep -q '^{"event":"start"' "$WORK/first" || fail "json fetch: first event: $(cat "$WORK/first")"

# closed NAME ARGS...: ferry ARGS with a stdout pipe whose reader closed
# before ferry started
closed() {
  local name=$1; shift
  python3 - "$FERRY" "$@" 2>"$WORK/$name.err" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stdin=subprocess.DEVNULL)
sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)
PY
  RC=$?
}
closed magnet make-torrent "$WORK/big" -o "$WORK/big.torrent"
quiet magnet
[ -s "$WORK/big.torrent" ] || fail "make-torrent did not write the torrent"
closed help pack --help
quiet help
closed small_list fetch "$WORK/big.torrent" --list --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}"
quiet small_list

# not a closed pipe: a stdout that is full is an error with a message
mknod "$WORK/full" c 1 7 2>/dev/null || skip "cannot make a device node"
"$FERRY" list "$WORK/many.tar.zst" >"$WORK/full" 2>"$WORK/full.err"
RC=$?
[ "$RC" -eq 1 ] || { cat "$WORK/full.err" >&2; fail "full stdout: expected exit 1, got $RC"; }
grep -qx 'ferry: stdout: No space left on device' "$WORK/full.err" \
  || { cat "$WORK/full.err" >&2; fail "full stdout: no message"; }
exit 0
