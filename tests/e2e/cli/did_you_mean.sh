#!/usr/bin/env bash
# "Did you mean" (issue 15): a mistyped command or long option is a usage
# error (exit 2) that names the closest command or option, by edit
# distance; a word far from every name gets the plain "see --help" line.
# Every command's long options are covered: each option its --help names,
# with one letter dropped, must be suggested back.  An abbreviation that
# fits several options is called ambiguous; a value given to an option
# that takes none is said so.
. "$(dirname "$0")/../lib.sh"

expect() {
  local re=$1; shift
  run_ferry "$@"
  assert_exit 2
  assert_one_error_line "$re"
  [ ! -s "$WORK/out" ] || fail "ferry $*: wrote to stdout"
}

# commands: one typo each of a dropped, swapped, changed or added letter
expect "^ferry: unknown command 'fetc' \(did you mean 'fetch'\?\)$" fetc
expect "^ferry: unknown command 'pakc' \(did you mean 'pack'\?\)$" pakc
expect "^ferry: unknown command 'sed' \(did you mean 'seed'\?\)$" sed
expect "^ferry: unknown command 'unpak' \(did you mean 'unpack'\?\)$" unpak
expect "^ferry: unknown command 'restor' \(did you mean 'restore'\?\)$" restor
expect "^ferry: unknown command 'make-torent' \(did you mean 'make-torrent'\?\)$" make-torent
expect "^ferry: unknown command 'Pull' \(did you mean 'pull'\?\)$" Pull
expect "^ferry: unknown command 'hlep' \(did you mean 'help'\?\)$" hlep
expect "^ferry: unknown command 'fecth' \(did you mean 'fetch'\?\)$" help fecth
# far from everything: no guess
for w in xyzzy frobnicate q zz deploy; do
  expect "^ferry: $w: unknown command \(see 'ferry --help'\)$" "$w"
done

# ferry's own options and the globals
expect "^ferry: unknown option '--verison' \(did you mean '--version'\?\)$" --verison
expect "^ferry: unknown option '--jsn' \(did you mean '--json'\?\)$" --jsn list x
expect "^ferry: unknown option '--quite' \(did you mean '--quiet'\?\)$" --quite list x
expect "^ferry: unknown option '--bogus' \(see 'ferry --help'\)$" --bogus list x

# a command's options, and the globals after the command word
expect "^ferry: pack: unknown option '--exlude' \(did you mean '--exclude'\?\)$" pack --exlude x ws
expect "^ferry: pack: unknown option '--exlude' \(did you mean '--exclude'\?\)$" pack ws --exlude=x
expect "^ferry: fetch: unknown option '--tiemout' \(did you mean '--timeout'\?\)$" fetch --tiemout 5 s
expect "^ferry: list: unknown option '--jsno' \(did you mean '--json'\?\)$" list x --jsno
expect "^ferry: pack: unknown option '--frobnicate' \(see 'ferry pack --help'\)$" pack --frobnicate
expect "^ferry: pack: unknown option '--zz' \(see 'ferry pack --help'\)$" pack --zz
expect "^ferry: pack: ambiguous option '--excl' \(did you mean '--exclude' or '--exclude-from'\?\)$" pack ws --excl x
expect "^ferry: list: option '--json' takes no value \(see 'ferry list --help'\)$" list x --json=yes

# every long option of every command, one letter dropped, comes back
run_ferry --help
cmds=$(sed -n '/^Commands:$/,/^$/s/^  \([a-z-]*\) .*/\1/p' "$WORK/out")
[ "$(echo "$cmds" | wc -w)" -ge 11 ] || fail "commands in the usage: $cmds"
checked=0
for cmd in $cmds; do
  "$FERRY" "$cmd" --help >"$WORK/help" 2>&1 || fail "$cmd --help"
  # the options its help defines: "  -o, --output DIR", "      --list"
  opts=$(sed -nE 's/^ {2,6}(-[a-zA-Z], )?(--[a-z][a-z0-9-]{3,}).*/\2/p' "$WORK/help" | sort -u)
  for opt in $opts; do
    name=${opt#--}
    typo="--${name:0:2}${name:3}" # drop the third letter
    # the typo may itself be another option's abbreviation or name: then
    # --help ends the run (in $WORK, with no manifest to find)
    (cd "$WORK" && HOME=$WORK XDG_CONFIG_HOME=$WORK timeout 20 "$FERRY" "$cmd" "$typo" --help) \
      >/dev/null 2>"$WORK/err" && continue
    grep -q "unknown option '$typo'" "$WORK/err" || continue
    grep -qF "(did you mean '$opt'?)" "$WORK/err" ||
      fail "$cmd $typo: $(cat "$WORK/err")"
    checked=$((checked + 1))
    echo "$cmd $typo" >>"$WORK/checked"
  done
done
[ "$checked" -ge 60 ] || fail "only $checked options checked"
exit 0
