#!/usr/bin/env bash
# Global options (issue 10, item 4): -q -v --json --no-progress --color
# stand before or after the command word; an option that takes a value
# takes the next word first, even one that looks like a global ("--exclude
# -v"); "--opt VALUE" and "--opt=VALUE" both work; "--" ends the options;
# an unknown global option names ferry, not "ferry ferry".
. "$(dirname "$0")/../lib.sh"

mkdir -p "$WORK/ws"
printf 'keep\n' >"$WORK/ws/keep.txt"
printf 'drop\n' >"$WORK/ws/-v"
cd "$WORK" || fail "cd"

# an option's value is taken before globals are looked for
run_ferry pack ws --exclude -v -o g2.tar.zst
assert_exit 0
"$FERRY" list g2.tar.zst >"$WORK/rows" || fail "list g2"
grep -q ' keep.txt$' "$WORK/rows" || fail "keep.txt is missing"
grep -q ' -v$' "$WORK/rows" && fail "--exclude -v did not exclude the file named -v"
# ... and -q after "--exclude X" is still quiet
run_ferry pack ws --exclude x -q -o g3.tar.zst
assert_exit 0
[ ! -s "$WORK/err" ] || fail "-q after --exclude x: $(cat "$WORK/err")"

# --color VALUE and --color=VALUE, before and after the command word
for form in "--color never" "--color=never" "--colour always"; do
  # shellcheck disable=SC2086 # the form is two words on purpose
  run_ferry pack ws $form -o "c.tar.zst" -q
  assert_exit 0
  [ ! -s "$WORK/err" ] || fail "pack ws $form: $(cat "$WORK/err")"
  rm -f c.tar.zst
  # shellcheck disable=SC2086
  run_ferry $form list g2.tar.zst
  assert_exit 0
done
run_ferry pack ws --color bogus -o c.tar.zst
assert_exit 2
assert_one_error_line "^ferry: --color: 'bogus' is not auto, always or never$"
run_ferry list g2.tar.zst --color
assert_exit 2
assert_one_error_line "^ferry: list: option '--color' needs a value \(see 'ferry list --help'\)$"

# globals after the command word take effect: --json, -q
run_ferry list g2.tar.zst --json
assert_exit 0
grep -q '^{"event":"entry","v":1,"command":"list","path":"keep.txt"' "$WORK/out" || fail "--json after the command word: $(head -2 "$WORK/out")"
run_ferry pack ws -o q.tar.zst -q
assert_exit 0
[ ! -s "$WORK/err" ] || fail "-q after the command word: $(cat "$WORK/err")"

# "--" ends the options: -v after it is an argument
run_ferry list -- -v
assert_exit 1
assert_one_error_line "^ferry: -v: No such file or directory$"

# an unknown global option, before the command word
run_ferry --jsn list g2.tar.zst
assert_exit 2
assert_one_error_line "^ferry: unknown option '--jsn' \(did you mean '--json'\?\)$"
run_ferry -x
assert_exit 2
assert_one_error_line "^ferry: unknown option '-x' \(see 'ferry --help'\)$"
# ... and after it: the command's help
run_ferry list g2.tar.zst --jsn
assert_exit 2
assert_one_error_line "^ferry: list: unknown option '--jsn' \(did you mean '--json'\?\)$"
exit 0
