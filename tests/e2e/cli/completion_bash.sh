#!/usr/bin/env bash
# `ferry completion bash` (issue 15): the script loads in a plain bash and
# registers `complete -F _ferry ferry`; completing command lines as bash
# would (COMP_WORDS/COMP_CWORD) gives the commands, each command's
# options and the words an option takes, files where a path goes and
# directories where a directory goes, with "--opt VALUE" and "--opt=VALUE"
# read as getopt reads them; it still works next to the bash-completion
# package.  Usage errors of the command itself; --help shows how to load it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/completion.bash"
need bash

run_ferry completion bash
assert_exit 0
[ ! -s "$WORK/err" ] || fail "completion bash wrote to stderr: $(cat "$WORK/err")"
cp "$WORK/out" "$WORK/ferry.bash"
COMP_SCRIPT=$WORK/ferry.bash
bash -n "$COMP_SCRIPT" || fail "the bash script does not parse"

spec=$(bash --norc --noprofile -c '. "$1" && complete -p ferry' _ "$COMP_SCRIPT" 2>&1) \
  || fail "complete -p ferry after sourcing the script: $spec"
[ "$spec" = "complete -F _ferry ferry" ] || fail "complete -p ferry: $spec"

# a directory with files, directories and a name with a space
mkdir -p "$WORK/t/adir" "$WORK/t/bdir"
: >"$WORK/t/afile.txt"
: >"$WORK/t/sp ace.txt"
cd "$WORK/t" || fail "cd"

# commands: those `ferry --help` lists, and help
cmds=$("$FERRY" --help | sed -n '/^Commands:$/,/^$/s/^  \([a-z-]*\) .*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 15 ] || fail "commands in the usage: $cmds"
expect_comp "$cmds help" ferry ''
expect_comp "pack" ferry pa
expect_comp "push pull" ferry pu
expect_comp "completion" ferry -q --color never co
expect_comp "pack" ferry --color=never pa
expect_comp "help" ferry he

# options of a command, the global ones too; ferry's own before a command
expect_comp "--exclude --exclude-from" ferry pack --ex
expect_comp_has "--output --format --level --help -o -h --quiet --json --no-progress --color -q -v" ferry pack -
expect_comp_has "--help --version -h -V --quiet --color" ferry -
expect_comp "--strip-components" ferry unpack x.tar --str
expect_comp "--no-dht" ferry fetch --no-d

# values: fixed words, in both forms (bash splits "--format=t" at '=')
expect_comp "tar.zst tar.gz tar.xz tar zip" ferry pack adir --format ''
expect_comp "tar.zst tar.gz tar.xz tar" ferry pack adir --format = t
expect_comp "tar.zst tar.gz tar.xz tar zip" ferry pack adir --format =
expect_comp "--format=tar.zst --format=tar.gz --format=tar.xz" ferry pack --format=tar.
expect_comp "auto always never" ferry --color ''
expect_comp "always auto" ferry list --color a
expect_comp "bash zsh fish" ferry completion ''
expect_comp "zsh" ferry completion z

# paths: files (and directories on the way) or directories only
expect_comp "adir afile.txt" ferry push a
expect_comp "adir" ferry pack a
expect_comp "adir bdir" ferry unpack x.tar -C ''
expect_comp "adir bdir" ferry fetch magnet:x -o ''
expect_comp "adir afile.txt" ferry pack adir -o a
expect_comp "adir afile.txt" ferry pack adir --exclude-from a
got=$(comp_bash "$COMP_SCRIPT" ferry verify sp)
[ "$got" = "sp ace.txt" ] || fail "completing 'ferry verify sp': got '$got'"
expect_comp "adir afile.txt" ferry up -f a
# URLs: the schemes
expect_comp "s3:// sftp://" ferry push afile.txt s
expect_comp "s3:// https:// http:// sftp:// file://" ferry rm s3://b/k ''
# what fills a value is not an argument: "--exclude a" then DIR
expect_comp "adir" ferry pack --exclude x a
expect_comp "" ferry pack --exclude a
expect_comp "adir" ferry pack -o out.tar.zst a
expect_comp "adir" ferry --color never pack a
# a value only after '=' (--long[=LOG]) does not eat the next word
expect_comp "adir afile.txt" ferry list --long a
# no argument past the last one; "--" ends the options
expect_comp "" ferry pack adir ''
expect_comp "" ferry completion bash ''
expect_comp "" ferry up ''
expect_comp "" ferry pack -- --ex
# ferry help COMMAND
expect_comp "pack" ferry help pa

# next to the bash-completion package (its _init_completion, its loader)
bc=/usr/share/bash-completion/bash_completion
if [ -f "$bc" ]; then
  export COMP_PRELUDE=$bc
  expect_comp "pack" ferry pa
  expect_comp "adir" ferry pack a
  expect_comp "tar.zst tar.gz tar.xz tar zip" ferry pack adir --format ''
  unset COMP_PRELUDE
else
  echo "NOTE: bash-completion is not installed: not tried next to it" >&2
fi

# the command itself
run_ferry completion
assert_exit 2
assert_one_error_line "^ferry: completion: missing SHELL"
run_ferry completion tcsh
assert_exit 2
assert_one_error_line "^ferry: completion: 'tcsh' is not bash, zsh or fish"
[ ! -s "$WORK/out" ] || fail "completion tcsh wrote to stdout"
run_ferry completion bash zsh
assert_exit 2
assert_one_error_line "^ferry: completion: unexpected argument 'zsh'"
run_ferry completion --help
assert_exit 0
grep -qF 'source <(ferry completion bash)' "$WORK/out" || fail "completion --help does not show how to load it"
grep -q '^Examples:' "$WORK/out" || fail "completion --help has no examples"
exit 0
