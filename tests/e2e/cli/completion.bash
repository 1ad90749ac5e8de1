# tests/e2e/cli/completion.bash - for the completion tests: run bash's
# completion of a ferry command line as bash itself would, in a fresh
# `bash --norc` with the generated script loaded.
#
# comp_bash SCRIPT WORD...: the function `complete -p ferry` names is
# called with COMP_WORDS=(WORD...) and the cursor at the end of the last
# word; its COMPREPLY goes to stdout, one per line, sorted.  Run it in the
# directory whose files should be offered.  Before sourcing SCRIPT it
# sources $COMP_PRELUDE if set (bash-completion's bash_completion).
comp_bash() {
  local script=$1; shift
  bash --norc --noprofile -c '
    [ -n "${COMP_PRELUDE:-}" ] && . "$COMP_PRELUDE"
    . "$1" || exit 3
    shift
    spec=$(complete -p ferry) || exit 4
    fn=${spec#*-F }; fn=${fn%% *}
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    "$fn" ferry "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$script" "$@" 2>"$WORK/comp.err" | sed '/^$/d' | LC_ALL=C sort
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || fail "bash completion of '$*' failed ($rc): $(cat "$WORK/comp.err")"
  [ ! -s "$WORK/comp.err" ] || fail "bash completion of '$*' wrote to stderr: $(cat "$WORK/comp.err")"
}

# expect_comp WANT WORD...: the completions of WORD... are exactly WANT
# (space-separated, any order; '' for none).
expect_comp() {
  local want=$1 got; shift
  got=$(comp_bash "$COMP_SCRIPT" "$@" | tr '\n' ' ' | sed 's/ $//')
  want=$(printf '%s\n' $want | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$want" ] || fail "completing '$*': got '$got', want '$want'"
}

# expect_comp_has WANT WORD...: the completions of WORD... include every
# word of WANT.
expect_comp_has() {
  local want=$1 got w; shift
  got=$(comp_bash "$COMP_SCRIPT" "$@")
  for w in $want; do
    printf '%s\n' "$got" | grep -qxF -- "$w" || fail "completing '$*': no '$w' in: $(echo $got)"
  done
}

# comp_batch SCRIPT < LINES: like comp_bash for many command lines in one
# bash: each input line is the words, tab-separated; each output line is
# that line's completions, space-separated, in bash's order.
comp_batch() {
  bash --norc --noprofile -c '
    . "$1" || exit 3
    spec=$(complete -p ferry) || exit 4
    fn=${spec#*-F }; fn=${fn%% *}
    while IFS=$'"'\t'"' read -r -a w; do
      COMP_WORDS=("${w[@]}"); COMP_CWORD=$((${#w[@]} - 1))
      COMP_LINE="${w[*]}"; COMP_POINT=${#COMP_LINE}
      COMPREPLY=()
      "$fn" ferry "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
      echo "${COMPREPLY[*]}"
    done' _ "$1" 2>"$WORK/comp.err"
  local rc=$?
  [ "$rc" -eq 0 ] || fail "bash completion failed ($rc): $(cat "$WORK/comp.err")"
  [ ! -s "$WORK/comp.err" ] || fail "bash completion wrote to stderr: $(cat "$WORK/comp.err")"
}
