#!/usr/bin/env bash
# The global options global_options.sh leaves out: "ferry help CMD" prints
# exactly what "ferry CMD --help" prints, for every command in the usage;
# "ferry help" is "ferry --help"; "help" of an unknown command is a usage
# error; --version and -V print "ferry X.Y.Z" first; -q before
# the command word silences the summary pack prints; "--" before the
# command word ends the global options.
. "$(dirname "$0")/../lib.sh"

# the commands, as the usage lists them
run_ferry --help
assert_exit 0
[ ! -s "$WORK/err" ] || fail "--help wrote to stderr: $(cat "$WORK/err")"
cp "$WORK/out" "$WORK/usage"
cmds=$(sed -n '/^Commands:$/,/^$/s/^  \([a-z-]*\) .*/\1/p' "$WORK/usage")
[ "$(echo "$cmds" | wc -w)" -ge 11 ] || fail "commands in the usage: $cmds"

for cmd in $cmds; do
  run_ferry "$cmd" --help
  assert_exit 0
  [ ! -s "$WORK/err" ] || fail "$cmd --help wrote to stderr: $(cat "$WORK/err")"
  grep -q "^usage: ferry $cmd" "$WORK/out" || fail "$cmd --help: $(head -1 "$WORK/out")"
  cp "$WORK/out" "$WORK/want"
  run_ferry help "$cmd"
  assert_exit 0
  [ ! -s "$WORK/err" ] || fail "help $cmd wrote to stderr: $(cat "$WORK/err")"
  cmp -s "$WORK/want" "$WORK/out" || fail "'help $cmd' differs from '$cmd --help'"
done

run_ferry help
assert_exit 0
cmp -s "$WORK/usage" "$WORK/out" || fail "'ferry help' differs from 'ferry --help'"
run_ferry help bogus
assert_exit 2
assert_one_error_line "^ferry: bogus: unknown command \(see 'ferry --help'\)$"
[ ! -s "$WORK/out" ] || fail "help bogus wrote to stdout"

for v in --version -V; do
  run_ferry "$v"
  assert_exit 0
  [ ! -s "$WORK/err" ] || fail "$v wrote to stderr: $(cat "$WORK/err")"
  # then the libraries' versions (cli/version.sh)
  head -1 "$WORK/out" | grep -qxE 'ferry [0-9]+\.[0-9]+\.[0-9]+' || fail "$v: $(cat "$WORK/out")"
done

# -q before the command word: pack's summary line goes away
mkdir -p "$WORK/ws"
printf 'hello\n' >"$WORK/ws/a.txt"
run_ferry pack "$WORK/ws" -o "$WORK/loud.tar.zst"
assert_exit 0
grep -q '^packed ' "$WORK/err" || fail "pack without -q printed no summary: $(cat "$WORK/err")"
run_ferry -q pack "$WORK/ws" -o "$WORK/quiet.tar.zst"
assert_exit 0
[ ! -s "$WORK/err" ] || fail "-q before the command word: $(cat "$WORK/err")"
[ -s "$WORK/quiet.tar.zst" ] || fail "-q pack wrote no archive"

# "--" before the command word ends the global options
run_ferry -q -- list "$WORK/quiet.tar.zst"
assert_exit 0
grep -q ' a.txt$' "$WORK/out" || fail "-q -- list: $(cat "$WORK/out")"
run_ferry -- -q list "$WORK/quiet.tar.zst"
assert_exit 2
assert_one_error_line "^ferry: -q: unknown command \(see 'ferry --help'\)$"
exit 0
