#!/usr/bin/env bash
# The archive's SHA-256, taken while it is written, is what sha256sum
# prints of the file: in pack's summary line and done event (also for
# -o -, where the events go to stderr, and for tar.gz), and in save's for
# the object uploaded to file://.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need sha256sum
small_ws "$WORK/ws"

# done_sha FILE: the "sha256" of the done event in FILE.
done_sha() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "done":
        print(e.get("sha256"))' "$1"
}
sum_of() { sha256sum "$1" | cut -d' ' -f1; }

run_ferry --json pack "$WORK/ws" -o "$WORK/a.tar.zst"
assert_exit 0
want=$(sum_of "$WORK/a.tar.zst")
[ "$(done_sha "$WORK/out")" = "$want" ] || fail "pack done sha256 $(done_sha "$WORK/out") != $want"

run_ferry pack "$WORK/ws" -o "$WORK/b.tar.gz"
assert_exit 0
grep -qx "sha256: $(sum_of "$WORK/b.tar.gz")" "$WORK/err" || { cat "$WORK/err" >&2; fail "pack summary lacks the sha256 of b.tar.gz"; }

"$FERRY" --json pack "$WORK/ws" -o - >"$WORK/c.tar.zst" 2>"$WORK/c.err" || fail "pack -o - failed"
[ "$(done_sha "$WORK/c.err")" = "$(sum_of "$WORK/c.tar.zst")" ] || fail "pack -o - sha256 differs"

. "$SERVERS_DIR/remote_lib.bash"
run_ferry --json save "$WORK/ws" "file://$WORK/store/ws.tar.zst"
assert_exit 0
[ "$(done_sha "$WORK/out")" = "$(sum_of "$WORK/store/ws.tar.zst")" ] || fail "save done sha256 differs from the object's"
run_ferry save "$WORK/ws" "file://$WORK/store/ws2.tar.xz"
assert_exit 0
grep -qx "sha256: $(sum_of "$WORK/store/ws2.tar.xz")" "$WORK/err" || { cat "$WORK/err" >&2; fail "save summary lacks the sha256"; }
exit 0
