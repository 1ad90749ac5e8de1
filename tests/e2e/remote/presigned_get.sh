#!/usr/bin/env bash
# A URL pre-signed for GET answers HEAD with 403 (other servers: 405, 501),
# yet curl downloads it: pull, pull -o - and restore learn the size from a
# GET of byte 0 (Content-Range) instead and then go on as usual.  A server
# that also ignores Range (200 and the whole body) gets one plain GET.
# The signature is never shown, also not with -v.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
make_workspace "$WORK/ws" 1
run_ferry pack "$WORK/ws" -o "$WORK/ws.tar.zst"
assert_exit 0
SECRET=c2VjcmV0c2lnbmF0dXJlMTIzNDU2
QUERY="X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDSECRETID%2F20250101&X-Amz-Signature=$SECRET"

no_secret() {
  ! grep -q -e "$SECRET" -e AKIDSECRETID "$WORK/err" || { cat "$WORK/err" >&2; fail "$1: a secret was shown"; }
}

for spec in serve+nohead=403 serve+nohead=405 serve+nohead=501 serve+nohead=403+norange; do
  start_hostile "$spec" "$spec" "$WORK/ws.tar.zst"
  url="$HOSTILE_URL/ws.tar.zst?$QUERY"
  shown="$HOSTILE_URL/ws.tar.zst?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Signature=***"
  code=${spec#*=}; code=${code%%+*}

  rm -f "$WORK/got.tar.zst"
  run_ferry -v pull "$url" -o "$WORK/got.tar.zst"
  assert_exit 0
  cmp -s "$WORK/ws.tar.zst" "$WORK/got.tar.zst" || fail "$spec: pull: content differs"
  grep -qxF "$shown: HEAD refused (HTTP $code): asking for its first byte instead" "$WORK/err" \
    || { cat "$WORK/err" >&2; fail "$spec: no -v line for the refused HEAD"; }
  no_secret "$spec pull"

  run_ferry pull "$url" -o -
  assert_exit 0
  cmp -s "$WORK/ws.tar.zst" "$WORK/out" || fail "$spec: pull -o -: content differs"
  no_secret "$spec pull -o -"

  rm -rf "$WORK/back"
  run_ferry -v restore "$url" "$WORK/back"
  assert_exit 0
  same_workspace "$WORK/ws" "$WORK/back" || fail "$spec: restore differs"
  no_secret "$spec restore"

  if [ "${spec%norange}" != "$spec" ]; then
    grep -q 'the server ignores byte ranges: one plain GET' "$WORK/err" || fail "$spec: no -v line for the plain GET"
    # each command: one GET of byte 0 (stopped after its headers), one plain GET
    [ "$(grep -c '"method": "GET"' "$WORK/$spec.log")" -eq 6 ] || fail "$spec: expected 6 GETs: $(grep -c GET "$WORK/$spec.log")"
  fi
done
exit 0
