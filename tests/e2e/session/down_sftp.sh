#!/usr/bin/env bash
# ferry down over SFTP (OpenSSH's sshd on 127.0.0.1): the saves directory
# is made on the first down, the pointer is replaced (servers do not
# rename over a file: ferry removes the old one just before), keep = 1
# leaves 2 saves, a save no pointer names (a down killed before its
# pointer) is removed by the next down, and the current save restores to
# the last state saved.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
. "$(dirname "$0")/down.bash"
start_sshd
export HOME=$SSH_HOME
mkdir -p "$WORK/srv"
make_workspace "$WORK/ws" 1
remote="$SFTP_BASE$WORK/srv/work.tar.zst"
manifest "$WORK/ferry.ini" "$WORK/ws" "$remote" 1
saves() { find "$WORK/srv/work.tar.zst.saves" -name '*.tar.zst' | wc -l; }

for i in 1 2 3; do
  echo "change $i" >"$WORK/ws/src/pkg/mod1.py"
  run_ferry down -f "$WORK/ferry.ini"
  assert_exit 0
done
[ "$(saves)" -eq 2 ] || fail "keep = 1: expected 2 saves, found $(saves)"
cur=$(current_save "$remote")
[ -f "$WORK/srv/work.tar.zst.saves/$cur" ] || fail "the pointer names no save: '$cur'"

# an unreferenced save older than the next one: removed by it
cp "$WORK/srv/work.tar.zst.saves/$cur" "$WORK/srv/work.tar.zst.saves/20260101T000000.000Z-0badf00d.tar.zst"
echo "change 4" >"$WORK/ws/src/pkg/mod1.py"
run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
[ ! -e "$WORK/srv/work.tar.zst.saves/20260101T000000.000Z-0badf00d.tar.zst" ] || fail "the unreferenced save stayed"
[ "$(saves)" -eq 2 ] || fail "expected 2 saves, found $(saves)"
restore_current "$remote" "$WORK/back" || fail "restore of the current save"
same_workspace "$WORK/ws" "$WORK/back" || fail "the current save is not the last state"
exit 0
