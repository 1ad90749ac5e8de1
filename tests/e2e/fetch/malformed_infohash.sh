#!/usr/bin/env bash
# A magnet whose info-hash is malformed (libtorrent 2.0.8 would accept some
# of these) is refused by ferry itself: exit 3, one "ferry: magnet link:"
# line, DIR not created.  Controls: well-formed 40-hex (upper case) and
# 32-base32 (lower case) info-hashes are accepted and only time out (5).
. "$(dirname "$0")/../lib.sh"

hex40=0123456789abcdef0123456789abcdef01234567
b32=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567
dir="$WORK/never"

bad() {  # LABEL MAGNET
  run_ferry fetch "$2" -o "$dir" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 2 --timeout 5
  [ "$RC" -eq 3 ] || { cat "$WORK/err" >&2; fail "$1: expected exit 3, got $RC"; }
  assert_one_error_line '^ferry: magnet link: '
  [ -e "$dir" ] && fail "$1: created $dir"
  return 0
}

bad "39 hex digits"          "magnet:?xt=urn:btih:${hex40:0:39}"
bad "41 hex digits"          "magnet:?xt=urn:btih:${hex40}8"
bad "40 chars, one not hex"  "magnet:?xt=urn:btih:${hex40:0:39}g"
bad "40 chars, non-hex"      "magnet:?xt=urn:btih:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
bad "base32 with '1'"        "magnet:?xt=urn:btih:${b32:0:31}1"
bad "base32 with '8'"        "magnet:?xt=urn:btih:8${b32:1}"
bad "base32 with '0'"        "magnet:?xt=urn:btih:${b32:0:10}0${b32:11}"
bad "31 base32 chars"        "magnet:?xt=urn:btih:${b32:0:31}"
bad "33 base32 chars"        "magnet:?xt=urn:btih:${b32}A"
bad "empty info-hash"        "magnet:?xt=urn:btih:"
bad "percent-encoded hex"    "magnet:?xt=urn:btih:%30${hex40:1}"
bad "no xt at all"           "magnet:?dn=bundle&tr=http%3A%2F%2F127.0.0.1%3A1%2Fannounce"
bad "two btih, second bad"   "magnet:?xt=urn:btih:$hex40&xt.1=urn:btih:${hex40:0:39}"
bad "btmh too short"         "magnet:?xt=urn:btmh:1220${hex40}${hex40:0:23}"

# controls: valid forms pass the check and wait for metadata (exit 5)
good() {  # LABEL MAGNET
  run_ferry fetch "$2" -o "$WORK/ok" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 0 --timeout 1
  [ "$RC" -eq 5 ] || { cat "$WORK/err" >&2; fail "$1: expected exit 5 (timeout), got $RC"; }
  assert_one_error_line '^ferry: metadata: --timeout 1 s reached'
}
good "40 hex, upper case"    "magnet:?xt=urn:btih:$(echo "$hex40" | tr '[:lower:]' '[:upper:]')&dn=x"
good "32 base32, lower case" "magnet:?xt=urn:btih:$(echo "$b32" | tr '[:upper:]' '[:lower:]')"
exit 0
