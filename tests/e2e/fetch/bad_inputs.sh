#!/usr/bin/env bash
# Bad command lines and bad sources: the exact exit code and exactly one
# "ferry: ..." line on stderr, and -o DIR is never created.
#   2 usage: unknown flag, missing SOURCE, bad numbers/rates/addresses
#   3 input: malformed magnet, garbage/truncated .torrent, an http URL that
#     serves garbage
#   1 runtime: a nonexistent path, an http URL that answers 404 (issue 10:
#     a missing input named on the command line is an I/O error everywhere)
# and for `ferry seed`: missing -d (2), a magnet (3), data that does not
# match the torrent (4).
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 1 2
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
head -c 4096 /dev/urandom >"$WORK/garbage.torrent"
printf 'd4:infod4:name1:xee' >"$WORK/truncated.torrent"
mkdir -p "$WORK/www"
cp "$WORK/garbage.torrent" "$WORK/www/garbage.torrent"
start_http http "$WORK/www"

dir="$WORK/never"
common=(-o "$dir" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 5 --timeout 20)

# expect CODE REGEX ARGS...: ferry ARGS exits CODE with one matching line
expect() {
  local code=$1 re=$2; shift 2
  run_ferry "$@"
  [ "$RC" -eq "$code" ] || { cat "$WORK/err" >&2; fail "ferry $*: expected exit $code, got $RC"; }
  assert_one_error_line "$re"
  [ -e "$dir" ] && fail "ferry $*: created $dir"
  return 0
}

# usage errors: 2
expect 2 "^ferry: fetch: unknown option '--bogus'" fetch --bogus "$WORK/b.torrent" "${common[@]}"
expect 2 '^ferry: fetch: missing SOURCE' fetch "${common[@]}"
expect 2 "^ferry: --timeout: bad duration 'abc' \(e.g. 90s, 10m, 1h30m\)" fetch "$WORK/b.torrent" "${common[@]}" --timeout abc
expect 2 '^ferry: --stall-timeout: ' fetch "$WORK/b.torrent" "${common[@]}" --stall-timeout -1
expect 2 "^ferry: --max-down: '5Q' is not a rate" fetch "$WORK/b.torrent" "${common[@]}" --max-down 5Q
expect 2 "^ferry: --peer: 'nocolon' is not HOST:PORT" fetch "$WORK/b.torrent" "${common[@]}" --peer nocolon
expect 2 '^ferry: fetch: unexpected argument' fetch "$WORK/b.torrent" extra "${common[@]}"

# invalid input: 3
expect 3 '^ferry: magnet link: ' fetch 'magnet:?xt=urn:btih:nothex' "${common[@]}"
expect 3 "^ferry: magnet link: no 'xt=urn:btih:' info-hash" fetch 'magnet:?dn=bundle' "${common[@]}"
expect 3 '^ferry: magnet link: ' fetch 'magnet:xt=urn:btih:0123456789abcdef0123456789abcdef01234567' "${common[@]}"
expect 3 "^ferry: $WORK/garbage.torrent: not a valid .torrent" fetch "$WORK/garbage.torrent" "${common[@]}"
expect 3 "^ferry: $WORK/truncated.torrent: not a valid .torrent" fetch "$WORK/truncated.torrent" "${common[@]}"
expect 3 "^ferry: ${HTTP_URL}garbage.torrent: not a valid .torrent" fetch "${HTTP_URL}garbage.torrent" "${common[@]}"

# runtime: no such file, or the server says 404
expect 1 "^ferry: $WORK/nonexistent.torrent: .*No such file or directory$" fetch "$WORK/nonexistent.torrent" "${common[@]}"
expect 1 "^ferry: ${HTTP_URL}missing.torrent: .*404" fetch "${HTTP_URL}missing.torrent" "${common[@]}"
grep -q '^GET /missing.torrent - 404' "$WORK/http.log" || fail "ferry never asked the HTTP server"

# seed
expect 2 '^ferry: seed: missing -d DIR' seed "$WORK/b.torrent" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}"
expect 3 '^ferry: .*seed needs a .torrent file' seed 'magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567' \
  -d "$WORK/src" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}"
mkdir -p "$WORK/wrong"
cp -a "$WORK/src/bundle" "$WORK/wrong/bundle"
printf 'X' | dd of="$WORK/wrong/bundle/file0.bin" bs=1 seek=100 conv=notrunc status=none
expect 4 "^ferry: $WORK/wrong: does not match the torrent" seed "$WORK/b.torrent" -d "$WORK/wrong" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}"
cmp -s "$WORK/src/bundle/sub/file1.bin" "$WORK/wrong/bundle/sub/file1.bin" || fail "seed changed a file it refused"
[ "$(dd if="$WORK/wrong/bundle/file0.bin" bs=1 skip=100 count=1 status=none)" = X ] || fail "seed changed the bad file"
exit 0
