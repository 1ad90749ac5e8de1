#!/usr/bin/env bash
# `ferry completion zsh` (issue 15): the script parses (zsh -n), and in a
# real interactive zsh (zsh/zpty) with compinit, Tab after a command line
# offers the commands, a command's options, the words an option takes and
# directories where a directory goes.  The candidates are read from a
# compadd wrapper (compadd -O: what matches the word under the cursor);
# Tab is bound to a widget that marks the end of its answer.
# Skipped without zsh.
. "$(dirname "$0")/../lib.sh"
need zsh

run_ferry completion zsh
assert_exit 0
[ ! -s "$WORK/err" ] || fail "completion zsh wrote to stderr: $(cat "$WORK/err")"
mkdir -p "$WORK/fpath"
cp "$WORK/out" "$WORK/fpath/_ferry"
zsh -n "$WORK/fpath/_ferry" 2>"$WORK/zshn.err" || fail "zsh -n: $(cat "$WORK/zshn.err")"
head -n 1 "$WORK/fpath/_ferry" | grep -qx '#compdef ferry' || fail "no #compdef line"

mkdir -p "$WORK/t/adir" "$WORK/t/bdir"
: >"$WORK/t/afile.txt"

# zsh_comp LINE: the candidates zsh's Tab offers after LINE, sorted, unique;
# the script is autoloaded from $fpath, or sourced if ZSH_SOURCE is set
zsh_comp() {
  local log=$WORK/zsh.log
  : >"$log"
  HOME=$WORK ZDOTDIR=$WORK timeout 30 zsh -f -c '
    zmodload zsh/zpty || exit 3
    zpty z "zsh -f -i" || exit 4
    if [[ -n $5 ]]; then load="autoload -U compinit; compinit -u -D; source $1/_ferry"
    else load="fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"; fi
    zpty -w z "PS1=\"> \"; $load; cd $2; compadd() { local -a _m; builtin compadd -O _m \"\$@\"; print -rl -- \$_m >>$3; builtin compadd \"\$@\"; }; _t() { _main_complete; print -r -- __END__ >>$3; }; zle -C t-complete complete-word _t; bindkey \"^I\" t-complete"
    zpty -w -n z "$4"$'"'\t'"'
    for i in {1..250}; do grep -qx __END__ $3 && break; sleep 0.1; done
    zpty -d z' _ "$WORK/fpath" "$WORK/t" "$log" "$1" "${ZSH_SOURCE:-}" >/dev/null 2>"$WORK/zpty.err" \
    || fail "zsh, completing '$1': $(cat "$WORK/zpty.err")"
  grep -qx __END__ "$log" || fail "zsh, completing '$1': no answer in 30 s"
  sed '/^$/d; /^__END__$/d' "$log" | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'
}
expect() {
  local got want
  got=$(zsh_comp "$2")
  want=$(printf '%s\n' $1 | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$want" ] || fail "zsh, completing '$2': got '$got', want '$want'"
}

cmds=$("$FERRY" --help | sed -n '/^Commands:$/,/^$/s/^  \([a-z-]*\) .*/\1/p')
expect "$cmds help" "ferry "
expect "pack" "ferry pa"
expect "--exclude --exclude-from" "ferry pack --ex"
expect "tar.zst tar.gz tar.xz tar zip" "ferry pack adir --format "
expect "tar.zst tar.gz tar.xz tar" "ferry pack adir --format=t"
expect "bash zsh fish" "ferry completion "
expect "adir" "ferry pack a"
expect "adir bdir" "ferry unpack x.tar -C "
# sourced after compinit (source <(ferry completion zsh)) instead of $fpath
ZSH_SOURCE=1 expect "--exclude --exclude-from" "ferry pack --ex"
exit 0
