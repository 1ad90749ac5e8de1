# What the --select tests share (select_files.sh, select_dir.sh); sourced
# after lib.sh, once $all lists the payload's files and a seed runs
# (start_seed) for $WORK/b.torrent.

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

# select_fetch EXPECTED_FILES... -- GLOBS...: fetch into $WORK/dst$n with
# those --select globs; exactly the expected files arrive and the metadata
# event counts them.  Leaves them in $want.
n=0
select_fetch() {
  local sel=() g s
  want=()
  while [ "$1" != -- ]; do want+=("$1"); shift; done
  shift
  for g in "$@"; do sel+=(--select "$g"); done
  n=$((n + 1))
  run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst$n" "${sel[@]}" --peer "127.0.0.1:$SEED_PORT" \
    --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 50
  assert_exit 0
  check_only "$WORK/dst$n" "${want[@]}"
  s=$(json_last metadata selected "$WORK/out")
  [ "$s" = "${#want[@]}" ] || fail "--select $*: metadata.selected=$s, expected ${#want[@]}"
}
