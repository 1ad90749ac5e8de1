#!/usr/bin/env bash
# The completion scripts cannot drift from the option tables (issue 15).
# Read straight from the C sources (main.c's command table, each
# src/cmd_<name>.c's `options[]` with the REMOTE_LONGOPTS and
# ARC_PACK_LONGOPTS it expands, cli.c's global options), every long option
# of every command must be offered by bash for "ferry CMD --", named for
# that command in the zsh and fish scripts, and take the next word as its
# value in bash exactly when its table says required_argument.  Backwards:
# every option bash offers is in the sources and accepted by ferry's own
# getopt ("ferry CMD --opt[=x] --help" is never "unknown option"), every
# option a command's --help documents is offered, and the commands offered
# are those `ferry --help` lists.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/completion.bash"
need bash python3

SRC=$(cd "$FERRY_TESTS_DIR/.." && pwd)
[ -f "$SRC/src/main.c" ] || skip "no sources at $SRC"

# "CMD OPTION HAS_ARG" for every command and global option in the sources
python3 - "$SRC" >"$WORK/tables" <<'PY' || fail "could not read the option tables from the sources"
import glob, os, re, sys
src = sys.argv[1]
entry = re.compile(r'\{\s*"([a-z0-9-]+)"\s*,\s*(no|required|optional)_argument')
def macros():
    out = {}
    for h in glob.glob(os.path.join(src, "include/ferry/*.h")):
        text = open(h).read().replace("\\\n", " ")
        for m in re.finditer(r'#define (\w+_LONGOPTS)(.*)', text):
            out[m.group(1)] = entry.findall(m.group(2))
    return out
mac = macros()
assert "REMOTE_LONGOPTS" in mac and "ARC_PACK_LONGOPTS" in mac, mac.keys()
def table(text, name):
    m = re.search(r'static const struct option ' + name + r'\[\] = \{(.*?)\n\};', text, re.S)
    assert m, name
    body = m.group(1)
    opts = []
    # in source order: entries and macro names
    for t in re.finditer(r'\{\s*"[a-z0-9-]+"\s*,\s*(?:no|required|optional)_argument|\b\w+_LONGOPTS\b', body):
        s = t.group(0)
        if s.endswith("_LONGOPTS"):
            opts += mac[s]
        else:
            opts.append(entry.match(s).groups())
    return opts
main = open(os.path.join(src, "src/main.c")).read()
rows = re.findall(r'\{"([a-z-]+)",\s*cmd_([a-z_]+),', main)
assert len(rows) >= 15, rows
for word, fn in rows:
    text = open(os.path.join(src, "src/cmd_%s.c" % fn)).read()
    seen = set()
    for name, arg in table(text, "options"):
        if name not in seen:
            seen.add(name)
            print(word, name, arg)
glob_text = open(os.path.join(src, "src/cli.c")).read()
for name, arg in table(glob_text, "global_options"):
    print("-", name, arg)
PY
[ "$(grep -c '' "$WORK/tables")" -ge 100 ] || fail "too few options read: $(wc -l <"$WORK/tables")"

for sh in bash zsh fish; do
  run_ferry completion "$sh"
  assert_exit 0
  cp "$WORK/out" "$WORK/ferry.$sh"
done
COMP_SCRIPT=$WORK/ferry.bash
mkdir -p "$WORK/t" && cd "$WORK/t" || fail "cd"

# the commands
cmds=$("$FERRY" --help | sed -n '/^Commands:$/,/^$/s/^  \([a-z-]*\) .*/\1/p')
src_cmds=$(awk '$1 != "-" { print $1 }' "$WORK/tables" | uniq)
[ "$(echo $cmds)" = "$(echo $src_cmds)" ] || fail "ferry --help lists '$(echo $cmds)', main.c '$(echo $src_cmds)'"
expect_comp "$cmds help" ferry ''

globals=$(awk '$1 == "-" { print "--" $2 }' "$WORK/tables")
# what bash completes after "CMD --opt --h", for every option, in one bash:
# "--help" unless the option takes the next word as its value
awk '$1 != "-" { printf "ferry\t%s\t--%s\t--h\n", $1, $2 }' "$WORK/tables" >"$WORK/after.in"
comp_batch "$COMP_SCRIPT" <"$WORK/after.in" >"$WORK/after.out"
paste -d ' ' <(awk '$1 != "-" { print $1, $2 }' "$WORK/tables") "$WORK/after.out" >"$WORK/after"
n=0
for cmd in $cmds; do
  offered=$(comp_bash "$COMP_SCRIPT" ferry "$cmd" --)
  # zsh: the command's case arm; fish: its complete lines
  awk -v c="    $cmd)" '$0 == c { on = 1; next } on && /ret=0 ;;$/ { exit } on' \
    "$WORK/ferry.zsh" >"$WORK/zsh.$cmd"
  grep "__ferry_using $cmd'" "$WORK/ferry.fish" >"$WORK/fish.$cmd"
  flags=()
  while read -r c name arg; do
    [ "$c" = "$cmd" ] || continue
    n=$((n + 1))
    printf '%s\n' "$offered" | grep -qxF -- "--$name" \
      || fail "bash does not offer --$name for 'ferry $cmd --' (its table has it)"
    grep -qE -- "[-,]-$name[=+'}]" "$WORK/zsh.$cmd" || fail "the zsh script lacks --$name of $cmd"
    grep -qE -- " -l $name( |$)" "$WORK/fish.$cmd" || fail "the fish script lacks --$name of $cmd"
    # a value in the next word (getopt: required_argument) is not an option
    next=$(awk -v c="$cmd" -v o="$name" '$1 == c && $2 == o { $1 = $2 = ""; print }' "$WORK/after" | tr ' ' '\n' | sed '/^$/d')
    if [ "$arg" = required ]; then
      [ -z "$next" ] || fail "bash offers '$(echo $next)' for the value of $cmd --$name"
    else
      printf '%s\n' "$next" | grep -qxF -- --help \
        || fail "bash takes the word after $cmd --$name ($arg argument) as its value"
    fi
    # getopt takes it: the flags below all at once, a value one at a time
    if [ "$arg" = no ] || [ "$arg" = optional ]; then
      flags+=("--$name")
    else
      run_ferry "$cmd" "--$name=1" --help
      if grep -qE "unknown option|needs a value" "$WORK/err"; then
        fail "ferry $cmd does not take --$name: $(cat "$WORK/err")"
      fi
    fi
  done <"$WORK/tables"
  run_ferry "$cmd" "${flags[@]}" --help
  assert_exit 0
  grep -q "^usage: ferry $cmd" "$WORK/out" || fail "ferry $cmd ${flags[*]} --help printed no help"
  # every option offered is in the sources (the command's or a global)
  for o in $(printf '%s\n' "$offered" | grep -- '^--'); do
    grep -qxF -- "$cmd ${o#--} " <(awk '{ print $1, $2, "" }' "$WORK/tables") \
      || printf '%s\n' $globals | grep -qxF -- "$o" \
      || fail "bash offers $o for $cmd, which its table lacks"
  done
  # the global options are offered after every command too
  for g in $globals; do
    printf '%s\n' "$offered" | grep -qxF -- "$g" || fail "bash does not offer $g after $cmd"
  done
  # every option the command's --help documents is offered
  for o in $("$FERRY" "$cmd" --help | grep -oE '^ {2,}(-[A-Za-z0-9], )?--[a-z0-9][a-z0-9-]*' | sed 's/.*--/--/'); do
    printf '%s\n' "$offered" | grep -qxF -- "$o" || fail "ferry $cmd --help documents $o; bash does not offer it"
  done
done
[ "$n" -ge 100 ] || fail "only $n command options checked"
echo "ok: $n options of $(echo $cmds | wc -w) commands" >&2
exit 0
