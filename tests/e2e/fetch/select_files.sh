#!/usr/bin/env bash
# --select fetches only the matching files: each selected file matches the
# source; no unselected file exists with its full content.  Globs without
# '/' match file names, globs with '/' match the path inside the torrent
# with or without its top directory.  A glob that matches nothing: exit 3.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 6 4   # file0.bin sub/file1.bin file2.bin sub/file3.bin
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --piece-size 16
assert_exit 0
start_seed "$WORK/b.torrent" "$WORK/src"

all=(file0.bin sub/file1.bin file2.bin sub/file3.bin)

. "$(dirname "$0")/select.bash"

# select_fetch, and done.bytes is the selected size, give or take pieces
try_select() {  # EXPECTED_FILES... -- GLOBS...
  select_fetch "$@"
  local bytes=0 f
  for f in "${want[@]}"; do bytes=$((bytes + $(stat -c %s "$WORK/src/bundle/$f"))); done
  # done.bytes counts whole pieces (libtorrent's total_wanted): at least
  # the selected size, at most one extra piece at each end of each file
  local got max
  got=$(json_last "done" bytes "$WORK/out")
  max=$((bytes + 2 * 16384 * ${#want[@]}))
  [ "${got:-0}" -ge "$bytes" ] && [ "$got" -le "$max" ] \
    || fail "--select $*: done.bytes=${got:-none}, expected $bytes..$max"
}

try_select file2.bin -- 'file2.bin'
try_select sub/file1.bin sub/file3.bin -- 'sub/*'
try_select sub/file3.bin -- 'bundle/sub/file3.bin'
try_select file0.bin sub/file1.bin -- 'file0.*' '*1.bin'

run_ferry fetch "$WORK/b.torrent" -o "$WORK/dst-none" --select 'nothing*' --peer "127.0.0.1:$SEED_PORT" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20
assert_exit 3
assert_one_error_line '^ferry: --select: '
for f in "${all[@]}"; do
  [ -e "$WORK/dst-none/bundle/$f" ] && fail "--select matching nothing wrote $f"
done
exit 0
