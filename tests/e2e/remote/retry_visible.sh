#!/usr/bin/env bash
# Every retry is counted and shown: a server answers the first two requests
# of each method with 503 and Retry-After: 1.  pull, restore (a HEAD and a
# GET each time: 4 retries), push and save (2 PUTs: 2 retries) succeed,
# their summary line and JSON done event count the retries, and -v prints
# one line per retry naming the URL (secrets shown as ***), the wait the
# server asked for and the attempt.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
make_workspace "$WORK/ws" 1
run_ferry pack "$WORK/ws" -o "$WORK/ws.tar.zst"
assert_exit 0
SECRET=c2VjcmV0c2lnbmF0dXJlMTIzNDU2

# busy NAME: a fresh server (its counts start at 0); sets URL and SHOWN
busy() {
  start_hostile "$1" busy 2 "$WORK/ws.tar.zst"
  URL="$HOSTILE_URL/ws.tar.zst?X-Amz-Signature=$SECRET"
  SHOWN="$HOSTILE_URL/ws.tar.zst?X-Amz-Signature=***"
}

# retried N WHAT TAIL...: the -v lines say N retries, each as "retrying
# SHOWN in 1.0 s: HTTP 503 (attempt K of 6TAIL)" for the Ks given; the
# summary says "N retried"
retried() {
  local n=$1 what=$2 tail=$3; shift 3
  ! grep -q "$SECRET" "$WORK/err" || { cat "$WORK/err" >&2; fail "$what: the signature was shown"; }
  [ "$(grep -c '^retrying ' "$WORK/err")" -eq "$n" ] || { cat "$WORK/err" >&2; fail "$what: expected $n retry lines"; }
  for k in "$@"; do
    grep -qxF "retrying $SHOWN in 1.0 s: HTTP 503 (attempt $k of 6$tail)" "$WORK/err" \
      || { cat "$WORK/err" >&2; fail "$what: no -v line for attempt $k"; }
  done
  grep -qE ", $n retried\)" "$WORK/err" || { cat "$WORK/err" >&2; fail "$what: the summary does not count $n retries"; }
}

busy pull
run_ferry -v pull "$URL" -o "$WORK/got.tar.zst"
assert_exit 0
cmp -s "$WORK/ws.tar.zst" "$WORK/got.tar.zst" || fail "pull: content differs"
retried 4 pull "" 2 3 2   # HEAD: attempts 2 and 3; two GETs: attempt 2

busy pull-json
run_ferry --json pull "$URL" -o "$WORK/got2.tar.zst"
assert_exit 0
[ "$(json_last done retries "$WORK/out")" = 4 ] || fail "pull --json: expected 4 retries: $(tail -1 "$WORK/out")"

busy restore
run_ferry -v restore "$URL" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "restore differs"
retried 4 restore "" 2 3 2

busy push
run_ferry -v push "$WORK/ws.tar.zst" "$URL"
assert_exit 0
cmp -s "$WORK/ws.tar.zst" "$WORK/ws.tar.zst.put" || fail "push: stored object differs"
retried 2 push "" 2 3
rm -f "$WORK/ws.tar.zst.put"

busy push-json
run_ferry --json push "$WORK/ws.tar.zst" "$URL"
assert_exit 0
[ "$(json_last done retries "$WORK/out")" = 2 ] || fail "push --json: expected 2 retries: $(tail -1 "$WORK/out")"
rm -f "$WORK/ws.tar.zst.put"

# save streams its upload: a retry packs the directory again
busy save
run_ferry -v save "$WORK/ws" "$URL"
assert_exit 0
retried 2 save "; the directory is packed again" 2 3
run_ferry unpack "$WORK/ws.tar.zst.put" -C "$WORK/back2"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back2" || fail "save: stored object differs"
run_ferry -v save "$WORK/ws" "$URL" # the server is no longer busy: 0 retries
assert_exit 0
grep -qE ', 0 retried\)' "$WORK/err" || fail "save: a retry was counted where none happened"
exit 0
