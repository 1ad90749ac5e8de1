#!/usr/bin/env bash
# ferry down to plain HTTP (nginx with WebDAV PUT and DELETE on
# 127.0.0.1), where nothing can be listed: the pointer alone says which
# saves there are, pruning removes (DELETE) the saves that fell off it,
# and the save it names first restores to the last state saved.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
. "$(dirname "$0")/down.bash"
need nginx
start_nginx
make_workspace "$WORK/ws" 1
remote="$HTTP_BASE/vm1/work.tar.zst"
manifest "$WORK/ferry.ini" "$WORK/ws" "$remote" 1
declare -a names
for i in 1 2 3; do
  echo "change $i" >"$WORK/ws/src/pkg/mod1.py"
  run_ferry down -f "$WORK/ferry.ini"
  assert_exit 0
  names[$i]=$(current_save "$remote")
  [ -f "$WORK/www/vm1/work.tar.zst.saves/${names[$i]}" ] || fail "save $i not on the server"
done
[ "$(sed -n 2,3p "$WORK/www/vm1/work.tar.zst.current" | tr '\n' ' ')" = "${names[3]} ${names[2]} " ] \
  || fail "pointer: $(cat "$WORK/www/vm1/work.tar.zst.current")"
[ ! -e "$WORK/www/vm1/work.tar.zst.saves/${names[1]}" ] || fail "the save that fell off the pointer was not removed"
run_ferry restore "$remote.saves/${names[3]}" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "the current save is not the last state"
exit 0
