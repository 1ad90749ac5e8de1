#!/usr/bin/env bash
# ferry down to file://: each down is a new save under REMOTE.saves/ and
# the pointer REMOTE.current names it, then the `keep` before it; with
# keep = 2 only 3 saves remain; a .part a killed down left is not a save;
# the saves restore to what was saved; bad manifests and remotes are
# exit 3 before anything is written.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/down.bash"
ws=$WORK/ws store=$WORK/store remote="file://$WORK/store/work.tar.zst"
mkdir -p "$ws/src" "$store"
echo one >"$ws/src/a.txt"
echo junk >"$ws/x.tmp"
manifest "$WORK/ferry.ini" "$ws" "$remote" 2 '*.tmp'

run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
grep -q 'current now, 1 save kept' "$WORK/err" || fail "no summary: $(cat "$WORK/err")"
first=$(current_save "$remote")
[ -f "$store/work.tar.zst.saves/$first" ] || fail "pointer names no save: '$first'"
run_ferry ls "file://$store/"
assert_exit 0
grep -q 'work.tar.zst.current$' "$WORK/out" || fail "ls shows no pointer: $(cat "$WORK/out")"
grep -q 'PRE work.tar.zst.saves/$' "$WORK/out" || fail "ls shows no saves: $(cat "$WORK/out")"
run_ferry ls "$remote.saves/"
grep -q "$first" "$WORK/out" || fail "ls of the saves: $(cat "$WORK/out")"

# several downs, keep = 2: the current save and the 2 before it
declare -a states names
for i in 2 3 4 5; do
  echo "$i" >"$ws/src/a.txt"
  echo "file $i" >"$ws/src/f$i.txt"
  run_ferry --json down -f "$WORK/ferry.ini"
  assert_exit 0
  names[$i]=$(current_save "$remote")
  mkdir "$WORK/s$i" && cp -a "$ws/." "$WORK/s$i/" && rm "$WORK/s$i/x.tmp"
done
grep -q '"event":"done".*"command":"down"' "$WORK/out" || fail "no done event: $(cat "$WORK/out")"
n=$(find "$store/work.tar.zst.saves" -name '*.tar.zst' | wc -l)
[ "$n" -eq 3 ] || fail "keep = 2: expected 3 saves, found $n"
[ "$(sed -n 2,4p "$store/work.tar.zst.current" | tr '\n' ' ')" = "${names[5]} ${names[4]} ${names[3]} " ] \
  || fail "pointer: $(cat "$store/work.tar.zst.current")"
[ ! -e "$store/work.tar.zst.saves/$first" ] || fail "the oldest save was kept"

# each kept save is what was saved then (the excluded file left out)
for i in 3 4 5; do
  run_ferry restore "$remote.saves/${names[$i]}" "$WORK/r$i"
  assert_exit 0
  diff -r "$WORK/s$i" "$WORK/r$i" >&2 || fail "save $i differs"
done
restore_current "$remote" "$WORK/cur" || fail "restore of the current save"
diff -r "$WORK/s5" "$WORK/cur" >&2 || fail "current save differs"

# a .part a killed down left behind is not a save, and stays harmless
echo partial >"$store/work.tar.zst.saves/${names[5]%.tar.zst}.x.tar.zst.part"
run_ferry down -f "$WORK/ferry.ini"
assert_exit 0
n=$(find "$store/work.tar.zst.saves" -name '*.tar.zst' | wc -l)
[ "$n" -eq 3 ] || fail "after a .part: expected 3 saves, found $n"

# errors: exit 3, nothing written
before=$(tree_snapshot "$store")
manifest "$WORK/bad.ini" "$ws" "file://$WORK/store/work" 2
run_ferry down -f "$WORK/bad.ini"
assert_exit 3
assert_one_error_line 'archive extension'
manifest "$WORK/bad.ini" "$ws" "gopher://h/work.tar.zst" 2
run_ferry down -f "$WORK/bad.ini"
assert_exit 3
printf '[workspace]\npath = %s\nremote = %s\nkepp = 2\n' "$ws" "$remote" >"$WORK/bad.ini"
run_ferry down -f "$WORK/bad.ini"
assert_exit 3
assert_one_error_line 'bad.ini:4'
run_ferry down -f "$WORK/none.ini"
[ "$RC" -ne 0 ] || fail "a missing manifest was accepted"
[ "$(tree_snapshot "$store")" = "$before" ] || fail "a refused down wrote to the store"

# usage
run_ferry down -f "$WORK/ferry.ini" extra
assert_exit 2
run_ferry down --autosave 15q -f "$WORK/ferry.ini"
assert_exit 2
run_ferry down --help
assert_exit 0
grep -q 'REMOTE.current' "$WORK/out" || fail "--help does not teach the pointer"
grep -q -- '--autosave DURATION' "$WORK/out" || fail "--help lacks --autosave"
exit 0
