#!/usr/bin/env bash
# --select speaks the exclude dialect (README, "fetch --select"): a rule
# that matches a parent directory selects everything below it, so 'sub/'
# fetches the files under every directory named sub (it found nothing when
# --select used fnmatch); '/sub/' is anchored (with or without the top
# directory); '!' takes files back and the last matching rule decides.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 2 4   # file0.bin sub/file1.bin file2.bin sub/file3.bin
mkdir -p "$WORK/src/bundle/lib/sub"
head -c 70000 /dev/urandom >"$WORK/src/bundle/lib/sub/deep.bin"
head -c 50000 /dev/urandom >"$WORK/src/bundle/subway.bin"
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --piece-size 16
assert_exit 0
start_seed "$WORK/b.torrent" "$WORK/src"

all=(file0.bin sub/file1.bin file2.bin sub/file3.bin lib/sub/deep.bin subway.bin)

# check_only DIR WANTED...: the wanted files are complete and right, the
# others are absent or not a complete copy.
check_only() {
  local dir=$1; shift
  local f w want
  for f in "${all[@]}"; do
    want=0
    for w in "$@"; do [ "$w" = "$f" ] && want=1; done
    if [ "$want" -eq 1 ]; then
      cmp -s "$WORK/src/bundle/$f" "$dir/bundle/$f" || fail "$dir: selected $f is missing or differs"
    elif [ -e "$dir/bundle/$f" ] && cmp -s "$WORK/src/bundle/$f" "$dir/bundle/$f"; then
      fail "$dir: unselected $f was downloaded in full"
    fi
  done
}

n=0
try_select() {  # EXPECTED_FILES... -- GLOBS...
  local want=() sel=()
  while [ "$1" != -- ]; do want+=("$1"); shift; done
  shift
  for g in "$@"; do sel+=(--select "$g"); done
  n=$((n + 1))
  run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst$n" "${sel[@]}" --peer "127.0.0.1:$SEED_PORT" \
    --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 50
  [ "$RC" -eq 0 ] || { cat "$WORK/err" >&2; fail "--select $*: exit $RC"; }
  check_only "$WORK/dst$n" "${want[@]}"
  local s
  s=$(json_last metadata selected "$WORK/out")
  [ "$s" = "${#want[@]}" ] || fail "--select $*: metadata.selected=$s, expected ${#want[@]}"
}

try_select sub/file1.bin sub/file3.bin lib/sub/deep.bin -- 'sub/'
try_select sub/file1.bin sub/file3.bin -- '/sub/'
try_select lib/sub/deep.bin -- 'bundle/lib/'
try_select sub/file1.bin lib/sub/deep.bin subway.bin -- 'sub*' '!*3.bin'
exit 0
