#!/usr/bin/env bash
# make-torrent honours Ctrl-C/SIGTERM while it hashes: on a 16 GiB sparse
# file (minutes of SHA-1) a SIGINT and a SIGTERM each end it with exit 130
# and the one error line, and no .torrent (nor .part) is left behind.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$WORK/big"
truncate -s 16G "$WORK/big/zeros.bin"
for sig in INT TERM; do
  "$FERRY" make-torrent "$WORK/big" -o "$WORK/big.torrent" >"$WORK/out" 2>"$WORK/err" &
  pid=$!
  sleep 0.5
  kill "-$sig" "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    fail "SIG$sig: make-torrent still hashing 10 s after the signal"
  fi
  wait "$pid"
  RC=$?
  assert_exit 130
  assert_one_error_line '^ferry: .*big: interrupted$'
  [ ! -e "$WORK/big.torrent" ] && [ ! -e "$WORK/big.torrent.part" ] \
    || fail "SIG$sig: an interrupted make-torrent left a file behind"
done
exit 0
