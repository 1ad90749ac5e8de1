#!/usr/bin/env bash
# `cmake --install` puts the three completion scripts, written at build
# time by the binary just built, into the vendor directories (issue 15):
# share/bash-completion/completions/ferry, share/zsh/vendor-completions/
# _ferry, share/fish/vendor_completions.d/ferry.fish, each the same as
# `ferry completion SHELL` prints.  From there each shell finds it by
# itself: bash-completion's loader (XDG_DATA_DIRS), zsh's compinit (the
# directory in $fpath), fish's completion path.  No root needed: the
# install goes to a private prefix.
. "$(dirname "$0")/../lib.sh"
need cmake

build=$(dirname "$FERRY")
[ -f "$build/cmake_install.cmake" ] || skip "$FERRY is not in a CMake build directory"
prefix=$WORK/inst
cmake --install "$build" --prefix "$prefix" >"$WORK/install.log" 2>&1 \
  || fail "cmake --install failed: $(tail -n 5 "$WORK/install.log")"

check() {  # SHELL PATH
  local f=$prefix/$2
  [ -f "$f" ] || fail "cmake --install put no $2"
  "$FERRY" completion "$1" >"$WORK/want.$1" || fail "ferry completion $1 failed"
  cmp -s "$WORK/want.$1" "$f" || fail "$2 differs from 'ferry completion $1'"
}
check bash share/bash-completion/completions/ferry
check zsh share/zsh/vendor-completions/_ferry
check fish share/fish/vendor_completions.d/ferry.fish

bc=/usr/share/bash-completion/bash_completion
if [ -f "$bc" ]; then
  spec=$(XDG_DATA_DIRS=$prefix/share bash --norc --noprofile -c \
    '. "$1"; __load_completion ferry; complete -p ferry' _ "$bc" 2>&1)
  [ "$spec" = "complete -F _ferry ferry" ] \
    || fail "bash-completion did not load the installed script: $spec"
else
  echo "NOTE: no bash-completion: its loader not tried" >&2
fi
if command -v zsh >/dev/null; then
  got=$(HOME=$WORK zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -D; print -r -- $_comps[ferry]' \
    _ "$prefix/share/zsh/vendor-completions" 2>&1)
  [ "$got" = _ferry ] || fail "zsh compinit did not pick up the installed _ferry: $got"
else
  echo "NOTE: no zsh: compinit not tried" >&2
fi
if command -v fish >/dev/null; then
  mkdir -p "$WORK/t" && cd "$WORK/t" || fail "cd"
  got=$(HOME=$WORK PATH=$prefix/bin:$PATH fish --no-config -c \
    'set -p fish_complete_path $argv[1]; complete -C"ferry pa"' \
    "$prefix/share/fish/vendor_completions.d" 2>&1 | cut -f1)
  [ "$got" = pack ] || fail "fish did not load the installed ferry.fish: $got"
else
  echo "NOTE: no fish: its completion path not tried" >&2
fi
exit 0
