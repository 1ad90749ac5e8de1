#!/usr/bin/env bash
# ferry up with no save at the remote yet: the workspace starts empty,
# up says so and exits 0.  The manifest is found as ./ferry.ini, else in
# $XDG_CONFIG_HOME/ferry/; -f FILE wins; none at all is exit 3.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3

mkdir -p "$WORK/cwd" "$WORK/xdg/ferry"
cat >"$WORK/xdg/ferry/ferry.ini" <<INI
[workspace]
path   = $WORK/xdgws
remote = s3://$S3_BUCKET/none/work.tar.zst
INI
cd "$WORK/cwd" || fail "cd"
export XDG_CONFIG_HOME=$WORK/xdg

run_ferry --json up
assert_exit 0
[ -d "$WORK/xdgws" ] || fail "no empty workspace made"
[ -z "$(ls -A "$WORK/xdgws")" ] || fail "workspace not empty"
grep -q '"event":"workspace".*"state":"empty"' "$WORK/out" || fail "no workspace event: $(cat "$WORK/out")"
grep -q '"event":"part","v":1,"command":"up","bundle":"workspace".*"result":"no save yet: empty"' "$WORK/out" || fail "no part event"

run_ferry up
assert_exit 0
grep -q "no saved workspace at s3://$S3_BUCKET/none/work.tar.zst yet: starting with an empty $WORK/xdgws" "$WORK/err" ||
  fail "no message: $(cat "$WORK/err")"
grep -q '^ferry:' "$WORK/err" && fail "an error line on success"

# ./ferry.ini comes before $XDG_CONFIG_HOME
cat >"$WORK/cwd/ferry.ini" <<INI
[workspace]
path   = here
remote = s3://$S3_BUCKET/none/work.tar.zst
INI
run_ferry up
assert_exit 0
[ -d "$WORK/cwd/here" ] || fail "./ferry.ini not used"
# -f wins over both
run_ferry up -f "$WORK/xdg/ferry/ferry.ini" --no-workspace
assert_exit 0
grep -q 'nothing to do' "$WORK/err" || fail "--no-workspace of a workspace-only manifest: $(cat "$WORK/err")"
# none at all
rm "$WORK/cwd/ferry.ini"
export XDG_CONFIG_HOME=$WORK/nothing
run_ferry up
assert_exit 3
assert_one_error_line "^ferry: ferry.ini: not found \(not in the current directory, nor $WORK/nothing/ferry/ferry.ini; give -f FILE\)$"
run_ferry up -f "$WORK/missing.ini"
assert_exit 3
assert_one_error_line "^ferry: $WORK/missing.ini: No such file or directory$"
