#!/usr/bin/env bash
# `ferry completion fish` (issue 15): the script parses (fish -n) and, loaded
# into fish, `complete -C` gives the commands, a command's options, the
# words an option takes, files or directories where a path goes, and reads
# "--opt VALUE" as getopt does.  Skipped without fish.
. "$(dirname "$0")/../lib.sh"
need fish

run_ferry completion fish
assert_exit 0
[ ! -s "$WORK/err" ] || fail "completion fish wrote to stderr: $(cat "$WORK/err")"
cp "$WORK/out" "$WORK/ferry.fish"
fish --no-config -n "$WORK/ferry.fish" 2>"$WORK/fishn.err" || fail "fish -n: $(cat "$WORK/fishn.err")"

mkdir -p "$WORK/t/adir" "$WORK/t/bdir"
: >"$WORK/t/afile.txt"
cd "$WORK/t" || fail "cd"

# fish_comp LINE: the candidates fish offers for LINE (names only), sorted
fish_comp() {
  HOME=$WORK fish --no-config -c 'source $argv[1]; complete -C"$argv[2]"' "$WORK/ferry.fish" "$1" \
    2>"$WORK/fish.err" | cut -f1 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
  [ ! -s "$WORK/fish.err" ] || fail "fish, completing '$1': $(cat "$WORK/fish.err")"
}
expect() {
  local got want
  got=$(fish_comp "$2")
  want=$(printf '%s\n' $1 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$want" ] || fail "fish, completing '$2': got '$got', want '$want'"
}

cmds=$("$FERRY" --help | sed -n '/^Commands:$/,/^$/s/^  \([a-z-]*\) .*/\1/p')
expect "$cmds help" "ferry "
expect "pack" "ferry pa"
expect "pack" "ferry --color never pa"
expect "--exclude --exclude-from" "ferry pack --ex"
expect "tar tar.gz tar.xz tar.zst zip" "ferry pack adir --format "
expect "auto always never" "ferry --color "
expect "bash fish zsh" "ferry completion "
expect "adir/" "ferry pack a"
expect "adir/ afile.txt" "ferry push a"
expect "adir/ bdir/" "ferry unpack x.tar -C "
expect "adir/ afile.txt" "ferry pack adir -o a"
expect "s3:// sftp://" "ferry push afile.txt s"
expect "adir/" "ferry pack --exclude x a"
expect "" "ferry pack adir "
expect "pack" "ferry help pa"
got=$(fish_comp "ferry pack -")
for o in --output --format --help --quiet --json -o -q; do
  printf '%s\n' $got | grep -qxF -- "$o" || fail "fish offers no $o for 'ferry pack -': $got"
done
exit 0
