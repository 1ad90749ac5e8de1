#!/usr/bin/env bash
# A streamed save cannot be replayed byte for byte, so an HTTP upload cut
# midway is started again from the first byte (DIR packed anew): the saved
# object is whole and unpacks to the workspace.  A server that cuts every
# upload makes save give up after --retries (exit 1, one error line) and
# nothing is stored.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
make_workspace "$WORK/ws" 2
: >"$WORK/served"

start_cut() { start_cutoff "$WORK/served" "$1"; }

# cut once: the save starts over and completes
start_cut once
run_ferry -v save "$WORK/ws" "$CUT_URL"
assert_exit 0
grep -qE "^retrying $CUT_URL in [0-9.]+ s: connection lost: .* \(attempt 2 of 6; the directory is packed again\)$" "$WORK/err" \
  || { cat "$WORK/err" >&2; fail "no restart reported"; }
grep -qE ' 1 retried\)$' "$WORK/err" || { cat "$WORK/err" >&2; fail "the restart is not counted"; }
[ "$(grep -c '^PUT ' "$WORK/cut-once.log")" -eq 2 ] || fail "expected 2 PUTs: $(cat "$WORK/cut-once.log")"
run_ferry unpack "$WORK/served.put" -C "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "restarted save differs"

# every upload cut: bounded attempts, exit 1, nothing stored
start_cut always
run_ferry save "$WORK/ws" "$CUT_URL" --retries 2
assert_exit 1
assert_one_error_line 'cannot be replayed.*gave up after 3 uploads'
[ "$(grep -c '^PUT ' "$WORK/cut-always.log")" -eq 3 ] || fail "expected 3 PUTs: $(cat "$WORK/cut-always.log")"
[ ! -e "$WORK/served.put" ] || fail "a cut upload was stored"
exit 0
