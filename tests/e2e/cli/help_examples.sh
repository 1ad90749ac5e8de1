#!/usr/bin/env bash
# Issue 15: every command's --help teaches by example.  For every command
# the usage lists (main.c's table, so a new command is covered as soon as
# it is added), `ferry CMD --help` exits 0, writes nothing on stderr, and
# has an "Examples:" section (up to the next blank line) with at least one
# line that runs that very command ("ferry [GLOBAL...] CMD ...").
. "$(dirname "$0")/../lib.sh"

run_ferry --help
assert_exit 0
cmds=$(sed -n '/^Commands:$/,/^$/s/^  \([a-z-]*\) .*/\1/p' "$WORK/out")
[ "$(echo "$cmds" | wc -w)" -ge 15 ] || fail "commands in the usage: $cmds"

missing=""
for cmd in $cmds; do
  run_ferry "$cmd" --help
  assert_exit 0
  [ ! -s "$WORK/err" ] || fail "$cmd --help wrote to stderr: $(cat "$WORK/err")"
  sed -n '/^Examples:$/,/^$/p' "$WORK/out" >"$WORK/examples"
  if [ ! -s "$WORK/examples" ]; then
    missing="$missing $cmd(no Examples: section)"
    continue
  fi
  # the command itself, after "ferry" and any global options
  if ! grep -Eq "ferry( +-[-a-z=]+)* +$cmd( |$)" "$WORK/examples"; then
    missing="$missing $cmd(no 'ferry $cmd' example)"
  fi
done
[ -z "$missing" ] || fail "--help without examples:$missing"
exit 0
